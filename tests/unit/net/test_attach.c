/*
 * Attachments as the frontends use them: four adapters on four different
 * networks at once (NAT, local segment, bridged veth, not connected),
 * duplicate MACs refused, capture, cable unplug and re-attachment while
 * running.
 */
#include <criterion/criterion.h>
#include "net/attach.h"
#include "net/local.h"
#include "net/switch.h"
#include "guest_stack.h"
#include "net_test_util.h"
#include "netns_util.h"
#include "support/tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[TMPDIR_LEN];
static int ns_self, ns_peer;
static Clock *clk;
static GMainContext *ctx;
static NetAttachEnv env;

static void setup(void)
{

    ns_self = netns_isolate();
    cr_assert_geq(ns_self, 0, "needs root: network namespaces");
    tmpdir_make(tmp, "att");
    tmpdir_hold_state(tmp);
    ns_peer = netns_peer_veth();
    cr_assert_geq(ns_peer, 0);
    cr_assert(netns_sh("ip link set tvm0 up"));
    cr_assert(netns_sh_in(ns_peer, ns_self,
                          "ip addr add 198.18.4.2/24 dev tvm1 && "
                          "ip link set tvm1 up"));
    cr_assert(netns_wait_link_up("tvm0"));
    clk = clock_new(1000000000);
    ctx = g_main_context_new();
    env = (NetAttachEnv){.clock = clk, .ctx = ctx, .vm_name = "four"};
}

static void teardown(void)
{
    g_main_context_unref(ctx);
    clock_free(clk);
    cr_assert(tmpdir_remove(tmp));
}

TestSuite(attach, .init = setup, .fini = teardown, .timeout = 60);

static NetAttachment *attach(const char *spec, unsigned index)
{
    NetNicConfig cfg;
    g_autoptr(GError) err = NULL;
    cr_assert(net_nic_config_parse(spec, &cfg, &err), "%s",
              err ? err->message : "");
    NetAttachment *att = net_attachment_new(&env, &cfg, index, &err);
    net_nic_config_clear(&cfg);
    cr_assert_not_null(att, "%s: %s", spec, err ? err->message : "");
    return att;
}

/* Frames of one EtherType a test end received, optionally from src. */
static unsigned frames_of(const TestEnd *e, uint16_t type, const uint8_t *src)
{
    unsigned n = 0;
    for (unsigned i = 0; i < e->frames->len; i++) {
        size_t len;
        const uint8_t *f = test_end_frame(e, i, &len);
        if (len >= 14 && f[12] == type >> 8 && f[13] == (type & 0xFF) &&
            (!src || !memcmp(f + 6, src, 6))) {
            n++;
        }
    }
    return n;
}

static void pump(void)
{
    while (g_main_context_iteration(ctx, FALSE)) {
    }
    clock_step_ns(clk, 1000000);
    g_usleep(100);
}

/* Pump until e has received n frames of the type (or the deadline). */
static void wait_frames(const TestEnd *e, uint16_t type, unsigned n)
{
    for (gint64 dl = test_deadline();
         frames_of(e, type, NULL) < n && test_before(dl);) {
        pump();
    }
}

/* The carrier is polled twice a second in host time: wait up to 3 s. */
static void wait_link(NetPort *p, bool up)
{
    gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (net_port_link_up(p) != up && g_get_monotonic_time() < end) {
        pump();
        g_usleep(2000);
    }
}

Test(attach, four_adapters_on_four_networks_at_once)
{
    static const uint8_t peer_ip[4] = {198, 18, 4, 2};
    static const uint8_t br_ip[4] = {198, 18, 4, 50};
    g_autofree char *cap = g_strdup_printf("%s/nic1.pcap", tmp);
    g_autofree char *spec1 = g_strdup_printf("local,net=lab,capture=%s", cap);
    NetAttachment *a0 = attach("user", 0);
    NetAttachment *a1 = attach(spec1, 1);
    NetAttachment *a2 = attach("bridge,ifname=tvm0", 2);
    NetAttachment *a3 = attach("none", 3);
    Guest g0, g2;
    TestEnd n1, n3, other;
    g_autoptr(GError) err = NULL;

    /* Default MACs: Virtual PC range, all different. */
    for (int i = 0; i < 4; i++) {
        const uint8_t *m =
            net_attachment_mac((NetAttachment *[]){a0, a1, a2, a3}[i]);
        cr_assert_eq(m[0], 0x00);
        cr_assert_eq(m[1], 0x03);
        cr_assert_eq(m[2], 0xFF);
    }
    cr_assert(memcmp(net_attachment_mac(a0), net_attachment_mac(a1), 6));
    cr_assert(memcmp(net_attachment_mac(a2), net_attachment_mac(a3), 6));

    guest_init(&g0, clk, net_attachment_mac(a0));
    net_attachment_plug(a0, &g0.port);
    test_end_init(&n1, clk, "n1", net_attachment_mac(a1));
    test_end_filter(&n1, false, false, NULL, 0);
    net_attachment_plug(a1, &n1.port);
    guest_init(&g2, clk, net_attachment_mac(a2));
    net_attachment_plug(a2, &g2.port);
    test_end_init(&n3, clk, "n3", net_attachment_mac(a3));
    net_attachment_plug(a3, &n3.port);

    /* Another member of segment "lab" to talk to. */
    NetLocal *lab = net_local_new(clk, ctx, "lab", false, &err);
    cr_assert_not_null(lab);
    NetSwitch *lsw = net_switch_new(clk, "lab");
    NetSwitchPort *lvm =
        net_switch_add_vm_port(lsw, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *lup = net_switch_add_uplink(lsw, "l");
    static const uint8_t other_mac[6] = {0x00, 0x03, 0xFF, 0x77, 0x77, 0x77};
    test_end_init(&other, clk, "other", other_mac);
    test_end_filter(&other, false, false, NULL, 0);
    net_port_connect(&other.port, &lvm->port);
    net_port_connect(net_local_port(lab), &lup->port);

    /* All four at once. */
    guest_dhcp_discover(&g0);
    guest_set_ip(&g2, br_ip);
    guest_arp_request(&g2, peer_ip);
    uint8_t f[64];
    test_frame(f, sizeof(f), other_mac, net_attachment_mac(a1), 1);
    net_port_send(&n1.port, f, sizeof(f));
    test_frame(f, sizeof(f), TEST_BCAST, net_attachment_mac(a3), 2);
    cr_assert_lt(net_port_send(&n3.port, f, sizeof(f)), 0,
                 "not connected: nothing leaves");
    for (gint64 dl = test_deadline();
         !(g0.dhcp == 3 && g2.gw_known && frames_of(&other, 0x88B5, NULL)) &&
         test_before(dl);) {
        pump();
    }
    cr_assert_eq(g0.dhcp, 3, "NAT adapter got its lease");
    cr_assert_arr_eq(g0.ip, ((uint8_t[]){10, 0, 2, 15}), 4);
    cr_assert(g2.gw_known, "bridged adapter reached the peer");
    cr_assert_eq(frames_of(&other, 0x88B5, NULL), 1,
                 "local adapter reached the segment");
    cr_assert_not(net_attachment_link(a3));
    cr_assert_not(net_port_link_up(&n3.port), "the NIC sees no cable");

    /* Duplicate MAC refused, naming it. */
    char spec[96];
    const uint8_t *m0 = net_attachment_mac(a0);
    snprintf(spec, sizeof(spec), "none,mac=%02x:%02x:%02x:%02x:%02x:%02x",
             m0[0], m0[1], m0[2], m0[3], m0[4], m0[5]);
    NetNicConfig cfg;
    cr_assert(net_nic_config_parse(spec, &cfg, &err));
    cr_assert_null(net_attachment_new(&env, &cfg, 4, &err));
    cr_assert(strstr(err->message, "already in use"), "%s", err->message);
    g_clear_error(&err);
    net_nic_config_clear(&cfg);

    /* Re-attach the unplugged adapter to the local segment at run time. */
    cr_assert(net_nic_config_parse("local,net=lab", &cfg, &err));
    cr_assert(net_attachment_reattach(a3, &cfg, &err), "%s",
              err ? err->message : "");
    net_nic_config_clear(&cfg);
    cr_assert(net_port_link_up(&n3.port), "cable plugged in");
    test_frame(f, sizeof(f), TEST_BCAST, net_attachment_mac(a3), 3);
    cr_assert_geq(net_port_send(&n3.port, f, sizeof(f)), 0);
    wait_frames(&other, 0x88B5, 2);
    cr_assert_eq(frames_of(&other, 0x88B5, NULL), 2);
    cr_assert_eq(frames_of(&other, 0x8035, net_attachment_mac(a3)), 1,
                 "the re-attached adapter announced its MAC (RARP)");

    /* The bridged adapter's cable follows the host adapter's carrier. */
    cr_assert(net_port_link_up(&g2.port));
    cr_assert(netns_sh_in(ns_peer, ns_self, "ip link set tvm1 down"));
    wait_link(&g2.port, false);
    cr_assert_not(net_port_link_up(&g2.port), "carrier lost on tvm0");
    cr_assert(netns_sh_in(ns_peer, ns_self, "ip link set tvm1 up"));
    wait_link(&g2.port, true);
    cr_assert(net_port_link_up(&g2.port), "carrier back");

    /* Unplug the bridged adapter's cable. */
    net_attachment_set_link(a2, false);
    cr_assert_not(net_port_link_up(&g2.port));
    g_autofree char *desc = net_attachment_describe(a1);
    cr_assert(strstr(desc, "type=local"), "%s", desc);
    cr_assert(strstr(desc, "captured=4"),
              "sent a frame and its RARP, got a3's RARP and frame: %s", desc);

    net_attachment_free(a0);
    net_attachment_free(a1);
    net_attachment_free(a2);
    net_attachment_free(a3);
    net_local_free(lab);
    net_switch_free(lsw);
    guest_cleanup(&g0);
    guest_cleanup(&g2);
    test_end_cleanup(&n1);
    test_end_cleanup(&n3);
    test_end_cleanup(&other);
}

Test(attach, failed_backend_is_a_clear_error_and_frees_the_mac)
{
    NetNicConfig cfg;
    g_autoptr(GError) err = NULL;
    cr_assert(net_nic_config_parse(
        "bridge,ifname=nosuch0,mac=00:03:ff:44:44:44", &cfg, &err));
    cr_assert_null(net_attachment_new(&env, &cfg, 0, &err));
    cr_assert(strstr(err->message, "nosuch0"), "%s", err->message);
    g_clear_error(&err);
    net_nic_config_clear(&cfg);
    NetAttachment *a = attach("none,mac=00:03:ff:44:44:44", 0);
    net_attachment_free(a);
}

static size_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* Capture started and stopped while the adapter runs, as the control
 * socket and the Settings dialog do it. */
Test(attach, capture_starts_and_stops_at_run_time)
{
    g_autofree char *cap = g_strdup_printf("%s/live.pcap", tmp);
    NetAttachment *a = attach("local,net=capt", 0);
    NetAttachment *b = attach("local,net=capt", 1);
    TestEnd na, nb;
    uint8_t f[64];
    g_autoptr(GError) err = NULL;

    test_end_init(&na, clk, "na", net_attachment_mac(a));
    test_end_filter(&na, false, false, NULL, 0);
    net_attachment_plug(a, &na.port);
    test_end_init(&nb, clk, "nb", net_attachment_mac(b));
    test_end_filter(&nb, false, false, NULL, 0);
    net_attachment_plug(b, &nb.port);
    /* Let the announcements of both MACs (RARP) pass first. */
    wait_frames(&na, 0x8035, 1);
    for (int i = 0; i < 20; i++) {
        pump();
    }

    cr_assert_not(net_attachment_capture_start(a, "/nonexistent/x.pcap", &err));
    cr_assert(strstr(err->message, "/nonexistent/x.pcap"), "%s", err->message);
    g_clear_error(&err);

    cr_assert(net_attachment_capture_start(a, cap, &err), "%s",
              err ? err->message : "");
    cr_assert_eq(file_size(cap), 24, "pcap file header only");
    test_frame(f, sizeof(f), net_attachment_mac(b), net_attachment_mac(a), 1);
    cr_assert_geq(net_port_send(&na.port, f, sizeof(f)), 0);
    wait_frames(&nb, 0x88B5, 1);
    cr_assert_eq(frames_of(&nb, 0x88B5, NULL), 1);
    cr_assert_eq(file_size(cap), 24 + 16 + sizeof(f), "one frame captured");
    g_autofree char *desc = net_attachment_describe(a);
    cr_assert(strstr(desc, "captured=1"), "%s", desc);

    net_attachment_capture_stop(a);
    cr_assert_geq(net_port_send(&na.port, f, sizeof(f)), 0);
    wait_frames(&nb, 0x88B5, 2);
    cr_assert_eq(frames_of(&nb, 0x88B5, NULL), 2);
    cr_assert_eq(file_size(cap), 24 + 16 + sizeof(f), "nothing after stop");
    g_autofree char *desc2 = net_attachment_describe(a);
    cr_assert_null(strstr(desc2, "captured="), "%s", desc2);

    net_attachment_free(a);
    net_attachment_free(b);
    test_end_cleanup(&na);
    test_end_cleanup(&nb);
}
