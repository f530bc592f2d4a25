/*
 * tap and vde backends with real peers: the host's own stack through a
 * TAP device (the path a raw-socket bridge cannot offer), and two VDE
 * endpoints joined by libvdeplug's udp:// plugin over loopback, all inside
 * a private network namespace.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include "net/tap.h"
#include "net/switch.h"
#include "guest_stack.h"
#include "net_test_util.h"
#include "netns_util.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <dlfcn.h>
/*
 * libvdeplug loads its plugins with RTLD_DEEPBIND, which AddressSanitizer
 * refuses outright.  In the sanitizer build only, this test binary's own
 * dlopen (found before libasan's by libvdeplug) drops that flag, which
 * only affects symbol isolation of the plugin.
 */
void *dlopen(const char *file, int flags)
{
    void *(*real)(const char *, int) =
        (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    return real(file, flags & ~RTLD_DEEPBIND);
}
#endif

static const uint8_t MAC_A[6] = {0x00, 0x03, 0xFF, 0x00, 0x03, 0x0A};
static const uint8_t MAC_B[6] = {0x00, 0x03, 0xFF, 0x00, 0x03, 0x0B};

static int ns_self;
static Clock *clk;
static GMainContext *ctx;

static void setup(void)
{
    ns_self = netns_isolate();
    cr_assert_geq(ns_self, 0, "needs root: network namespaces");
    clk = clock_new(1000000000);
    ctx = g_main_context_new();
}

static void teardown(void)
{
    g_main_context_unref(ctx);
    clock_free(clk);
}

TestSuite(tap_vde, .init = setup, .fini = teardown, .timeout = 60);

static void pump(void)
{
    while (g_main_context_iteration(ctx, FALSE)) {
    }
    clock_step_ns(clk, 1000000);
    g_usleep(200);
}

Test(tap_vde, host_and_vm_talk_both_ways_through_a_tap)
{
    static const uint8_t vm_ip[4] = {198, 18, 3, 2};
    static const uint8_t host_ip[4] = {198, 18, 3, 1};
    g_autoptr(GError) err = NULL;
    NetSwitch *sw = net_switch_new(clk, "tap");
    NetSwitchPort *vp =
        net_switch_add_vm_port(sw, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *up = net_switch_add_uplink(sw, "tap");
    NetTap *tap = net_tap_new(clk, ctx, "tvmtap0", &err);
    Guest g;

    cr_assert_not_null(tap, "%s", err ? err->message : "");
    net_port_connect(net_tap_port(tap), &up->port);
    cr_assert(netns_sh("ip addr add 198.18.3.1/24 dev tvmtap0 && "
                       "ip link set tvmtap0 up"));
    cr_assert(netns_wait_link_up("tvmtap0"));
    guest_init(&g, clk, MAC_A);
    net_port_connect(&g.port, &vp->port);
    guest_set_ip(&g, vm_ip);
    guest_arp_request(&g, host_ip);
    for (gint64 dl = test_deadline(); !g.gw_known && test_before(dl);) {
        pump();
    }
    cr_assert(g.gw_known, "the host's stack answers the VM's ARP");

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5000)};
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(5001)};
    memcpy(&sa.sin_addr, vm_ip, 4);
    memcpy(&me.sin_addr, host_ip, 4);
    cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
    cr_assert_eq(
        sendto(fd, "hello-vm", 8, 0, (struct sockaddr *)&sa, sizeof(sa)), 8);
    for (gint64 dl = test_deadline(); !g.udp_got && test_before(dl);) {
        pump();
    }
    cr_assert(g.udp_got, "the host reaches the VM");
    cr_assert_eq(g.udp_dport, 5000);
    cr_assert_arr_eq(g.udp_rx->data, "hello-vm", 8);

    guest_udp_send(&g, host_ip, 5000, 5001, (const uint8_t *)"hello-host", 10);
    char buf[32];
    ssize_t n = -1;
    for (gint64 dl = test_deadline(); n < 0 && test_before(dl);) {
        pump();
        n = recv(fd, buf, sizeof(buf), 0);
    }
    cr_assert_eq(n, 10, "the VM reaches the host");
    cr_assert_arr_eq(buf, "hello-host", 10);
    close(fd);
    net_tap_free(tap);
    net_switch_free(sw);
    guest_cleanup(&g);
}

Test(tap_vde, two_vde_endpoints_exchange_frames)
{
    g_autoptr(GError) err = NULL;
    NetSwitch *s1 = net_switch_new(clk, "v1"), *s2 = net_switch_new(clk, "v2");
    NetSwitchPort *p1 =
        net_switch_add_vm_port(s1, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *p2 =
        net_switch_add_vm_port(s2, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *u1 = net_switch_add_uplink(s1, "vde");
    NetSwitchPort *u2 = net_switch_add_uplink(s2, "vde");
    NetVde *v1 = net_vde_new(clk, ctx, "udp://17000->127.0.0.1:17001", &err);
    cr_assert_not_null(v1, "%s", err ? err->message : "");
    NetVde *v2 = net_vde_new(clk, ctx, "udp://17001->127.0.0.1:17000", &err);
    cr_assert_not_null(v2, "%s", err ? err->message : "");
    TestEnd a, b;
    uint8_t f[100];

    test_end_init(&a, clk, "a", MAC_A);
    test_end_init(&b, clk, "b", MAC_B);
    test_end_filter(&a, false, false, NULL, 0);
    test_end_filter(&b, false, false, NULL, 0);
    net_port_connect(&a.port, &p1->port);
    net_port_connect(&b.port, &p2->port);
    net_port_connect(net_vde_port(v1), &u1->port);
    net_port_connect(net_vde_port(v2), &u2->port);

    test_frame(f, sizeof(f), MAC_B, MAC_A, 4);
    net_port_send(&a.port, f, sizeof(f));
    for (gint64 dl = test_deadline(); !b.n && test_before(dl);) {
        pump();
    }
    cr_assert_eq(b.n, 1);
    size_t len;
    const uint8_t *got = test_end_frame(&b, 0, &len);
    cr_assert_eq(len, sizeof(f));
    cr_assert_arr_eq(got, f, sizeof(f));

    test_frame(f, sizeof(f), TEST_BCAST, MAC_B, 5);
    net_port_send(&b.port, f, sizeof(f));
    for (gint64 dl = test_deadline(); !a.n && test_before(dl);) {
        pump();
    }
    cr_assert_eq(a.n, 1);

    net_vde_free(v1);
    net_vde_free(v2);
    net_switch_free(s1);
    net_switch_free(s2);
    test_end_cleanup(&a);
    test_end_cleanup(&b);
}

Test(tap_vde, unusable_urls_and_names_are_clear_errors)
{
    g_autoptr(GError) err = NULL;
    cr_assert_null(net_vde_new(clk, ctx, "nosuchplugin://x", &err));
    cr_assert(strstr(err->message, "vde,sock=nosuchplugin://x"), "%s",
              err->message);
    g_clear_error(&err);
    cr_assert_null(net_tap_new(clk, ctx, "bad/name", &err));
    cr_assert(strstr(err->message, "tap,ifname=bad/name"), "%s", err->message);
}
