/*
 * The virtual switch: per-port delivery, source-MAC enforcement, the
 * promiscuous policy, local delivery between VMs, uplink isolation and
 * backpressure towards an uplink.  Test ports stand in for NICs (with a
 * declared MAC and filter) and for backends.
 */
#include <criterion/criterion.h>
#include "net/switch.h"
#include "net_test_util.h"

#include <string.h>

static const uint8_t MAC_A[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x0A};
static const uint8_t MAC_B[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x0B};
static const uint8_t MAC_C[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x0C};
static const uint8_t MAC_PEER[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t MAC_PEER2[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t MC_GROUP[6] = {0x01, 0x00, 0x5E, 0x01, 0x02, 0x03};
static const uint8_t MC_OTHER[6] = {0x01, 0x00, 0x5E, 0x07, 0x07, 0x07};

static Clock *clk;
static NetSwitch *sw;
static NetSwitchPort *pa, *pb, *pup;
static TestEnd nic_a, nic_b, up;
static uint8_t fr[64];

static void attach_vm(NetSwitchPort **sp, TestEnd *nic, const char *name,
                      const uint8_t *mac, NetPromiscPolicy pol, bool spoof)
{
    test_end_init(nic, clk, name, mac);
    test_end_filter(nic, false, false, NULL, 0);
    *sp = net_switch_add_vm_port(sw, name, pol, spoof);
    net_port_connect(&nic->port, &(*sp)->port);
}

static void setup(void)
{
    clk = clock_new(1000000);
    sw = net_switch_new(clk, "sw");
    attach_vm(&pa, &nic_a, "a", MAC_A, NET_PROMISC_DENY, false);
    attach_vm(&pb, &nic_b, "b", MAC_B, NET_PROMISC_DENY, false);
    test_end_init(&up, clk, "up", NULL);
    pup = net_switch_add_uplink(sw, "up");
    net_port_connect(&up.port, &pup->port);
}

static void teardown(void)
{
    net_switch_free(sw);
    test_end_cleanup(&nic_a);
    test_end_cleanup(&nic_b);
    test_end_cleanup(&up);
    clock_free(clk);
}

TestSuite(switch, .init = setup, .fini = teardown);

static void from_uplink(const uint8_t *dst, const uint8_t *src)
{
    test_frame(fr, sizeof(fr), dst, src, 0);
    net_port_send(&up.port, fr, sizeof(fr));
}

Test(switch, vm_gets_its_unicast_and_broadcast_but_not_another_mac)
{
    from_uplink(MAC_A, MAC_PEER);
    cr_assert_eq(nic_a.n, 1);
    cr_assert_eq(nic_b.n, 0, "unicast for A must not reach B");
    size_t len;
    const uint8_t *got = test_end_frame(&nic_a, 0, &len);
    cr_assert_eq(len, sizeof(fr));
    cr_assert_arr_eq(got, fr, sizeof(fr));

    from_uplink(TEST_BCAST, MAC_PEER);
    cr_assert_eq(nic_a.n, 2);
    cr_assert_eq(nic_b.n, 1);

    from_uplink(MAC_C, MAC_PEER); /* a MAC nobody here owns */
    cr_assert_eq(nic_a.n, 2);
    cr_assert_eq(nic_b.n, 1);
    cr_assert_eq(up.n, 0, "an uplink frame never goes back out");
}

Test(switch, vm_gets_only_the_multicast_it_declared)
{
    test_end_filter(&nic_a, false, false, &MC_GROUP, 1);
    from_uplink(MC_GROUP, MAC_PEER);
    from_uplink(MC_OTHER, MAC_PEER);
    cr_assert_eq(nic_a.n, 1);
    cr_assert_arr_eq(test_end_frame(&nic_a, 0, NULL), MC_GROUP, 6);
    cr_assert_eq(nic_b.n, 0, "B joined no group");

    test_end_filter(&nic_b, false, true, NULL, 0); /* all-multicast */
    from_uplink(MC_OTHER, MAC_PEER);
    cr_assert_eq(nic_b.n, 1);
    cr_assert_eq(nic_a.n, 1);
}

Test(switch, spoofed_source_mac_is_dropped_and_counted)
{
    test_frame(fr, sizeof(fr), MAC_PEER, MAC_C, 0);
    cr_assert_gt(net_port_send(&nic_a.port, fr, sizeof(fr)), 0,
                 "the wire takes it; the switch drops it");
    cr_assert_eq(up.n, 0);
    cr_assert_eq(nic_b.n, 0);
    cr_assert_eq(pa->stats.drop_spoofed, 1);

    /* Another VM's MAC is just as foreign. */
    test_frame(fr, sizeof(fr), TEST_BCAST, MAC_B, 0);
    net_port_send(&nic_a.port, fr, sizeof(fr));
    cr_assert_eq(up.n, 0);
    cr_assert_eq(pa->stats.drop_spoofed, 2);

    test_frame(fr, sizeof(fr), MAC_PEER, MAC_A, 0);
    net_port_send(&nic_a.port, fr, sizeof(fr));
    cr_assert_eq(up.n, 1, "its own MAC passes");
}

Test(switch, spoof_opt_out_lets_a_cluster_mac_through_and_learns_it)
{
    static const uint8_t CLUSTER[6] = {0x02, 0xBF, 0x0A, 0x00, 0x00, 0x63};
    NetSwitchPort *pc;
    TestEnd nic_c;

    attach_vm(&pc, &nic_c, "c", MAC_C, NET_PROMISC_DENY, true);
    test_frame(fr, sizeof(fr), MAC_PEER, CLUSTER, 0);
    net_port_send(&nic_c.port, fr, sizeof(fr));
    cr_assert_eq(up.n, 1);
    cr_assert_eq(pc->stats.drop_spoofed, 0);

    from_uplink(CLUSTER, MAC_PEER);
    cr_assert_eq(nic_c.n, 1, "replies to the cluster MAC come back");
    cr_assert_eq(nic_a.n + nic_b.n, 0);
    net_switch_remove_port(sw, pc);
    test_end_cleanup(&nic_c);
}

Test(switch, invalid_source_and_runt_frames_are_dropped)
{
    test_frame(fr, sizeof(fr), MAC_A, MC_GROUP, 0);
    net_port_send(&up.port, fr, sizeof(fr));
    cr_assert_eq(nic_a.n, 0);
    cr_assert_eq(pup->stats.drop_bad_src, 1);
    net_port_send(&up.port, fr, 10);
    cr_assert_eq(pup->stats.drop_runt, 1);
    cr_assert_eq(nic_a.n + nic_b.n, 0);
}

Test(switch, vm_to_vm_frames_stay_local)
{
    test_frame(fr, sizeof(fr), MAC_B, MAC_A, 7);
    net_port_send(&nic_a.port, fr, sizeof(fr));
    cr_assert_eq(nic_b.n, 1);
    cr_assert_arr_eq(test_end_frame(&nic_b, 0, NULL), fr, sizeof(fr));
    cr_assert_eq(up.n, 0, "VM-to-VM unicast never reaches the uplink");
    cr_assert_eq(nic_a.n, 0, "nothing echoes back to the sender");

    test_frame(fr, sizeof(fr), TEST_BCAST, MAC_A, 8);
    net_port_send(&nic_a.port, fr, sizeof(fr));
    cr_assert_eq(nic_b.n, 2);
    cr_assert_eq(up.n, 1, "broadcast goes to the LAN too");
    cr_assert_eq(nic_a.n, 0);
}

Test(switch, unknown_unicast_floods_uplinks_then_learnt_mac_picks_one)
{
    TestEnd up2;
    NetSwitchPort *pup2 = net_switch_add_uplink(sw, "up2");
    test_end_init(&up2, clk, "up2", NULL);
    net_port_connect(&up2.port, &pup2->port);

    test_frame(fr, sizeof(fr), MAC_PEER2, MAC_A, 0);
    net_port_send(&nic_a.port, fr, sizeof(fr));
    cr_assert_eq(up.n, 1);
    cr_assert_eq(up2.n, 1);
    cr_assert_eq(nic_b.n, 0);

    test_frame(fr, sizeof(fr), TEST_BCAST, MAC_PEER2, 0);
    net_port_send(&up2.port, fr, sizeof(fr));
    cr_assert_eq(up.n, 1, "uplink-to-uplink never forwarded");
    cr_assert_eq(net_switch_learned(sw), 1);

    test_frame(fr, sizeof(fr), MAC_PEER2, MAC_A, 0);
    net_port_send(&nic_a.port, fr, sizeof(fr));
    cr_assert_eq(up2.n, 2);
    cr_assert_eq(up.n, 1, "learnt: only the uplink that leads there");

    net_switch_remove_port(sw, pup2);
    cr_assert_eq(net_switch_learned(sw), 0, "entries die with their port");
    test_end_cleanup(&up2);
}

Test(switch, uplink_cannot_steal_a_vm_mac)
{
    /* Someone on the LAN sends with A's MAC: A keeps its traffic. */
    from_uplink(MAC_PEER2, MAC_A);
    cr_assert_eq(nic_a.n, 0);
    test_frame(fr, sizeof(fr), MAC_A, MAC_B, 0);
    net_port_send(&nic_b.port, fr, sizeof(fr));
    cr_assert_eq(nic_a.n, 1);
    cr_assert_eq(up.n, 0);
}

Test(switch, promisc_deny_shows_nothing_extra)
{
    test_end_filter(&nic_b, true, false, NULL, 0);
    test_frame(fr, sizeof(fr), MAC_PEER, MAC_A, 0);
    net_port_send(&nic_a.port, fr, sizeof(fr));
    from_uplink(MAC_C, MAC_PEER);
    from_uplink(MC_OTHER, MAC_PEER);
    cr_assert_eq(nic_b.n, 0);
}

Test(switch, promisc_allow_vms_shows_other_vms_but_not_the_lan)
{
    NetSwitchPort *pc;
    TestEnd nic_c;

    attach_vm(&pc, &nic_c, "c", MAC_C, NET_PROMISC_ALLOW_VMS, false);
    test_end_filter(&nic_c, true, false, NULL, 0);
    test_frame(fr, sizeof(fr), MAC_PEER, MAC_A, 1);
    net_port_send(&nic_a.port, fr, sizeof(fr)); /* A to the LAN */
    test_frame(fr, sizeof(fr), MAC_B, MAC_A, 2);
    net_port_send(&nic_a.port, fr, sizeof(fr)); /* A to B */
    cr_assert_eq(nic_c.n, 2, "frames sent by other VMs are visible");
    cr_assert_eq(nic_b.n, 1);

    from_uplink(MAC_PEER2, MAC_PEER);
    from_uplink(MAC_A, MAC_PEER);
    cr_assert_eq(nic_c.n, 2, "LAN traffic for others stays hidden");
    net_switch_remove_port(sw, pc);
    test_end_cleanup(&nic_c);
}

Test(switch, promisc_allow_all_shows_everything)
{
    NetSwitchPort *pc;
    TestEnd nic_c;

    attach_vm(&pc, &nic_c, "c", MAC_C, NET_PROMISC_ALLOW_ALL, false);
    from_uplink(MAC_A, MAC_PEER);
    cr_assert_eq(nic_c.n, 0, "not while the guest is not promiscuous");
    test_end_filter(&nic_c, true, false, NULL, 0);
    from_uplink(MAC_A, MAC_PEER);
    from_uplink(MAC_PEER2, MAC_PEER);
    from_uplink(MC_OTHER, MAC_PEER);
    cr_assert_eq(nic_c.n, 3);
    cr_assert_eq(nic_a.n, 2);
    net_switch_remove_port(sw, pc);
    test_end_cleanup(&nic_c);
}

Test(switch, busy_nic_holds_uplink_frames_until_it_flushes)
{
    nic_a.refuse = true;
    from_uplink(MAC_A, MAC_PEER);
    cr_assert_eq(net_port_queued(&nic_a.port), 1, "first one waits at NIC");
    from_uplink(MAC_A, MAC_PEER);
    from_uplink(MAC_A, MAC_PEER);
    cr_assert_eq(net_port_queued(&pup->port), 2, "the rest wait at uplink");
    cr_assert_not(net_port_can_send(&up.port), "backend must stop reading");
    cr_assert_eq(pup->stats.held, 1);

    nic_a.refuse = false;
    net_port_flush(&nic_a.port);
    cr_assert_eq(nic_a.n, 3, "all delivered in order after the flush");
    cr_assert_eq(net_port_queued(&pup->port), 0);
    cr_assert(net_port_can_send(&up.port));
}

Test(switch, unplugged_vm_port_gets_nothing_and_nic_sees_link_down)
{
    net_switch_port_set_link(pa, false);
    cr_assert_eq(nic_a.link_changes, 1);
    cr_assert_not(nic_a.link);
    from_uplink(MAC_A, MAC_PEER);
    from_uplink(TEST_BCAST, MAC_PEER);
    cr_assert_eq(nic_a.n, 0);
    cr_assert_eq(nic_b.n, 1);
    test_frame(fr, sizeof(fr), MAC_PEER, MAC_A, 0);
    cr_assert_lt(net_port_send(&nic_a.port, fr, sizeof(fr)), 0);
    cr_assert_eq(up.n, 0);

    net_switch_port_set_link(pa, true);
    cr_assert(nic_a.link);
    from_uplink(MAC_A, MAC_PEER);
    cr_assert_eq(nic_a.n, 1);
}

static unsigned changed_calls;
static void on_changed(void *opaque, NetSwitch *s)
{
    (void)opaque;
    (void)s;
    changed_calls++;
}

Test(switch, reports_vm_macs_and_wants_for_source_filtering)
{
    uint8_t macs[4][6];
    NetSwitchWants w;

    changed_calls = 0;
    net_switch_set_changed_cb(sw, on_changed, NULL);
    cr_assert_eq(net_switch_vm_macs(sw, macs, 4, &w), 2);
    cr_assert_arr_eq(macs[0], MAC_A, 6);
    cr_assert_arr_eq(macs[1], MAC_B, 6);
    cr_assert_not(w.all_multicast);
    cr_assert_not(w.promisc);
    test_end_filter(&nic_a, false, false, &MC_GROUP, 1);
    cr_assert_eq(changed_calls, 1, "a new NIC filter is announced");
    net_switch_vm_macs(sw, macs, 4, &w);
    cr_assert(w.all_multicast);
}

Test(switch, announce_sends_a_rarp_for_the_vm_mac_everywhere)
{
    cr_assert(net_switch_announce(pa));
    cr_assert_eq(up.n, 1);
    cr_assert_eq(nic_b.n, 1, "other VMs hear it too");
    cr_assert_eq(nic_a.n, 0);
    size_t len;
    const uint8_t *f = test_end_frame(&up, 0, &len);
    cr_assert_eq(len, 60);
    cr_assert_arr_eq(f, TEST_BCAST, 6);
    cr_assert_arr_eq(f + 6, MAC_A, 6);
    cr_assert_eq(f[12], 0x80);
    cr_assert_eq(f[13], 0x35);
    cr_assert_eq(f[21], 3, "reverse request");
    cr_assert_arr_eq(f + 22, MAC_A, 6);
    cr_assert_arr_eq(f + 32, MAC_A, 6);
    net_switch_port_set_link(pa, false);
    cr_assert_not(net_switch_announce(pa), "no cable, no announcement");
    cr_assert_eq(up.n, 1);
}

Test(switch, unplugging_a_busy_nic_releases_its_held_uplink)
{
    nic_a.refuse = true;
    from_uplink(MAC_A, MAC_PEER);
    from_uplink(MAC_A, MAC_PEER);
    cr_assert_not(net_port_can_send(&up.port), "held for A");
    net_switch_port_set_link(pa, false);
    cr_assert(net_port_can_send(&up.port),
              "an unplugged NIC owes no flush: the wire keeps flowing");
    from_uplink(MAC_B, MAC_PEER);
    cr_assert_eq(nic_b.n, 1);
}
