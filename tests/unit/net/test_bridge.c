/*
 * Bridged host adapter with real peers: the bridge attaches to one end of
 * a veth pair in a private network namespace; the other end lives in a
 * peer namespace where the test plays another machine on the LAN (raw
 * frames and a real TCP/IP stack, addresses from 198.18.0.0/15).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include "net/bridge.h"
#include "net/inet.h"
#include "guest_stack.h"
#include "net_test_util.h"
#include "netns_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const uint8_t MAC_A[6] = {0x00, 0x03, 0xFF, 0x00, 0x02, 0x0A};
static const uint8_t MAC_B[6] = {0x00, 0x03, 0xFF, 0x00, 0x02, 0x0B};
static const uint8_t MAC_X[6] = {0x00, 0x03, 0xFF, 0x00, 0x02, 0x99};
static const uint8_t MAC_PEER[6] = {0x02, 0x00, 0x00, 0x00, 0x02, 0x02};
static const uint8_t MC_GROUP[6] = {0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB};
static const uint8_t MC_OTHER[6] = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x77};

static int ns_self, ns_peer;
static Clock *clk;
static GMainContext *ctx;
static NetSwitch *sw;
static NetBridge *br;
static int peer_raw = -1;

static void setup(void)
{
    int pid;
    g_autoptr(GError) err = NULL;

    ns_self = netns_isolate();
    cr_assert_geq(ns_self, 0, "needs root: network namespaces");
    ns_peer = netns_peer(&pid);
    cr_assert_geq(ns_peer, 0);
    /* No IPv6 chatter (DAD, MLD) to muddle frame counts. */
    cr_assert(netns_sh("sysctl -q -w net.ipv6.conf.default.disable_ipv6=1 "
                       "net.ipv6.conf.all.disable_ipv6=1"));
    cr_assert(netns_sh_in(ns_peer, ns_self,
                          "sysctl -q -w net.ipv6.conf.default.disable_ipv6=1 "
                          "net.ipv6.conf.all.disable_ipv6=1"));
    cr_assert(
        netns_sh("ip link add tvm0 type veth peer name tvm1 netns %d", pid));
    netns_peer_release(pid);
    cr_assert(netns_sh("ip addr add 198.18.2.1/24 dev tvm0 && "
                       "ip link set tvm0 up"));
    cr_assert(netns_sh_in(ns_peer, ns_self,
                          "ip link set tvm1 address 02:00:00:00:02:02 && "
                          "ip addr add 198.18.2.2/24 dev tvm1 && "
                          "ip link set tvm1 up"));
    cr_assert(netns_wait_link_up("tvm0"));

    /* The peer's raw view of its wire. */
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL)};
    cr_assert(netns_enter(ns_peer));
    peer_raw = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
    sll.sll_ifindex = (int)if_nametoindex("tvm1");
    cr_assert(netns_enter(ns_self));
    cr_assert_geq(peer_raw, 0);
    cr_assert_eq(bind(peer_raw, (struct sockaddr *)&sll, sizeof(sll)), 0);

    clk = clock_new(1000000000);
    ctx = g_main_context_new();
    sw = net_switch_new(clk, "br");
    br = net_bridge_new(clk, ctx, "tvm0", sw, &err);
    cr_assert_not_null(br, "%s", err ? err->message : "");
}

static void teardown(void)
{
    net_bridge_free(br);
    net_switch_free(sw);
    g_main_context_unref(ctx);
    clock_free(clk);
    close(peer_raw);
}

TestSuite(bridge, .init = setup, .fini = teardown, .timeout = 60);

static NetSwitchPort *vm(TestEnd *nic, const uint8_t *mac, NetPromiscPolicy pol)
{
    NetSwitchPort *sp = net_switch_add_vm_port(sw, "vm", pol, false);
    test_end_init(nic, clk, "nic", mac);
    net_port_connect(&nic->port, &sp->port);
    test_end_filter(nic, false, false, NULL, 0);
    return sp;
}

static void pump(unsigned ms)
{
    for (unsigned i = 0; i < ms * 2; i++) {
        while (g_main_context_iteration(ctx, FALSE)) {
        }
        clock_step_ns(clk, 500000);
        g_usleep(500);
    }
}

/* Test frames only (EtherType 0x88B5): the wire may carry other chatter. */
static unsigned test_frames(const TestEnd *e, const uint8_t *dst)
{
    unsigned n = 0;
    for (unsigned i = 0; i < e->frames->len; i++) {
        size_t len;
        const uint8_t *f = test_end_frame(e, i, &len);
        if (len >= 14 && f[12] == 0x88 && f[13] == 0xB5 &&
            (!dst || !memcmp(f, dst, 6))) {
            n++;
        }
    }
    return n;
}

static void peer_send(const uint8_t *dst, uint8_t tag)
{
    uint8_t f[64];
    test_frame(f, sizeof(f), dst, MAC_PEER, tag);
    cr_assert_eq(send(peer_raw, f, sizeof(f), 0), (ssize_t)sizeof(f));
}

/* Frames the peer saw from src (test frames only). */
static unsigned peer_count_from(const uint8_t *src, uint8_t *last)
{
    uint8_t buf[2048];
    unsigned n = 0;
    ssize_t r;
    while ((r = recv(peer_raw, buf, sizeof(buf), 0)) > 0) {
        if (r >= 14 && !memcmp(buf + 6, src, 6) && buf[12] == 0x88 &&
            buf[13] == 0xB5) {
            if (last) {
                memcpy(last, buf, 64);
            }
            n++;
        }
    }
    return n;
}

Test(bridge, vm_gets_its_unicast_broadcast_and_joined_multicast_only)
{
    TestEnd a, b;
    vm(&a, MAC_A, NET_PROMISC_DENY);
    vm(&b, MAC_B, NET_PROMISC_DENY);
    test_end_filter(&a, false, false, &MC_GROUP, 1);
    pump(5);

    peer_send(MAC_A, 1);
    peer_send(TEST_BCAST, 2);
    peer_send(MC_GROUP, 3);
    peer_send(MC_OTHER, 4);
    peer_send(MAC_X, 5);
    pump(30);
    cr_assert_eq(test_frames(&a, MAC_A), 1, "its unicast");
    cr_assert_eq(test_frames(&a, TEST_BCAST), 1, "broadcast");
    cr_assert_eq(test_frames(&a, MC_GROUP), 1, "joined multicast");
    cr_assert_eq(test_frames(&a, NULL), 3, "nothing else");
    cr_assert_eq(test_frames(&b, NULL), 1, "B: only the broadcast");
    cr_assert_eq(test_frames(&b, TEST_BCAST), 1);
    /* The kernel filter kept another MAC's unicast out of user space. */
    cr_assert_eq(net_bridge_stats(br)->rx_frames, 4);
    test_end_cleanup(&a);
    test_end_cleanup(&b);
}

Test(bridge, promiscuous_vm_sees_other_macs_only_when_policy_allows)
{
    TestEnd a, c;
    vm(&a, MAC_A, NET_PROMISC_DENY);
    vm(&c, MAC_B, NET_PROMISC_ALLOW_ALL);
    test_end_filter(&a, true, false, NULL, 0);
    pump(5);
    peer_send(MAC_X, 1);
    pump(30);
    cr_assert_eq(test_frames(&a, MAC_X), 0, "deny: nothing extra");
    cr_assert_eq(test_frames(&c, MAC_X), 0, "not promiscuous yet");
    unsigned updates = net_bridge_stats(br)->filter_updates;
    test_end_filter(&c, true, false, NULL, 0);
    cr_assert_gt(net_bridge_stats(br)->filter_updates, updates,
                 "the kernel filter follows the switch");
    peer_send(MAC_X, 2);
    pump(30);
    cr_assert_eq(test_frames(&c, MAC_X), 1, "allow-all: the whole wire");
    cr_assert_eq(test_frames(&a, MAC_X), 0);
    test_end_cleanup(&a);
    test_end_cleanup(&c);
}

Test(bridge, vm_frames_reach_the_peer_with_the_vm_mac_and_spoofs_do_not)
{
    TestEnd a;
    NetSwitchPort *pa = vm(&a, MAC_A, NET_PROMISC_DENY);
    uint8_t f[64], got[64];

    pump(5);
    peer_count_from(MAC_A, NULL);
    test_frame(f, sizeof(f), MAC_PEER, MAC_A, 9);
    net_port_send(&a.port, f, sizeof(f));
    pump(20);
    cr_assert_eq(peer_count_from(MAC_A, got), 1);
    cr_assert_arr_eq(got, f, sizeof(f), "byte for byte, source = VM MAC");

    test_frame(f, sizeof(f), MAC_PEER, MAC_X, 10);
    net_port_send(&a.port, f, sizeof(f));
    pump(20);
    cr_assert_eq(peer_count_from(MAC_X, NULL), 0, "spoofed frame dropped");
    cr_assert_eq(pa->stats.drop_spoofed, 1);
    cr_assert_eq(net_bridge_stats(br)->tx_frames, 1);
    test_end_cleanup(&a);
}

Test(bridge, frame_the_host_sends_to_a_vm_is_delivered_locally)
{
    TestEnd a;
    vm(&a, MAC_A, NET_PROMISC_DENY);
    pump(5);
    cr_assert(netns_sh("ip neigh replace 198.18.2.50 lladdr "
                       "00:03:ff:00:02:0a dev tvm0 nud permanent"));
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9999)};
    inet_pton(AF_INET, "198.18.2.50", &sa.sin_addr);
    cr_assert_eq(
        sendto(fd, "from-host", 9, 0, (struct sockaddr *)&sa, sizeof(sa)), 9);
    close(fd);
    pump(30);

    bool found = false;
    for (unsigned i = 0; i < a.frames->len; i++) {
        size_t len;
        const uint8_t *f = test_end_frame(&a, i, &len);
        NetIpv4View v;
        if (net_ipv4_parse(f, len, &v) && v.proto == IPPROTO_UDP_ &&
            v.l4_len == 17 && !memcmp(v.l4 + 8, "from-host", 9)) {
            cr_assert_arr_eq(f, MAC_A, 6);
            cr_assert_eq(len, 60, "padded to the Ethernet minimum");
            cr_assert_eq(
                net_l4_csum(v.ip + 12, v.ip + 16, IPPROTO_UDP_, v.l4, v.l4_len),
                0, "checksum completed for the guest");
            found = true;
        }
    }
    cr_assert(found, "the host's datagram reached the VM");
    cr_assert_geq(net_bridge_stats(br)->rx_host_frames, 1);
    test_end_cleanup(&a);
}

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7 + (i >> 8));
}

Test(bridge, offload_superframes_are_split_for_the_guest)
{
    static const uint8_t ip[4] = {198, 18, 2, 50};
    static const uint8_t peer_ip[4] = {198, 18, 2, 2};
    NetSwitchPort *sp =
        net_switch_add_vm_port(sw, "vm", NET_PROMISC_DENY, false);
    Guest g;
    const size_t total = 400000;

    guest_init(&g, clk, MAC_A);
    net_port_connect(&g.port, &sp->port);
    guest_set_ip(&g, ip);
    guest_tcp_listen(&g, 7000);
    guest_arp_request(&g, peer_ip);
    for (gint64 dl = test_deadline(); !g.gw_known && test_before(dl);) {
        pump(1);
    }
    cr_assert(g.gw_known, "the peer answers the guest's ARP");

    /* The peer connects to the guest and sends a stream. */
    cr_assert(netns_enter(ns_peer));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    cr_assert(netns_enter(ns_self));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7000)};
    memcpy(&sa.sin_addr, ip, 4);
    cr_assert(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
              errno == EINPROGRESS);
    g_autofree uint8_t *data = g_malloc(total);
    for (size_t i = 0; i < total; i++) {
        data[i] = pattern(i);
    }
    size_t sent = 0;
    for (gint64 dl = test_deadline();
         g.tcp.rx->len < total && test_before(dl);) {
        if (sent < total) {
            ssize_t n = write(fd, data + sent, total - sent);
            if (n > 0) {
                sent += (size_t)n;
            }
        }
        while (g_main_context_iteration(ctx, FALSE)) {
        }
        clock_step_ns(clk, 500000);
        guest_poll(&g);
        g_usleep(100);
    }
    cr_assert_eq(g.tcp.rx->len, total, "received %u of %zu", g.tcp.rx->len,
                 total);
    cr_assert_arr_eq(g.tcp.rx->data, data, total, "every byte intact");
    const NetBridgeStats *st = net_bridge_stats(br);
    cr_assert_gt(st->rx_superframes, 0, "the veth delivered super-frames");
    cr_assert_gt(st->rx_segments, st->rx_superframes);
    cr_assert_eq(st->rx_oversize, 0);
    close(fd);
    guest_cleanup(&g);
}
