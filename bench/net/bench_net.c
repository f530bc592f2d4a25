/*
 * tulipvm network benchmarks (not a test: prints figures, asserts nothing).
 *
 * Every figure is reported with a baseline measured in the same run on the
 * same machine, as a ratio, so it means something on a loaded 2-core box:
 *
 *  switch   64-byte unicast frames VM port -> switch -> VM port per second,
 *           against the bare port layer (NetPort to NetPort, no switch);
 *  bridge   64- and 1514-byte frames per second from a VM through the
 *           switch and the AF_PACKET bridge to a peer on a veth pair, at
 *           zero loss, against a raw packet socket sending on the same veth;
 *  nat      MB/s of a TCP stream guest -> libslirp -> peer, against a plain
 *           kernel TCP stream between the same two namespaces.
 *
 * Needs root (network namespaces); touches nothing outside them.
 * Run: build/tests/unit/net/bench_net [seconds-per-figure]
 */
#define _GNU_SOURCE
#include "net/bridge.h"
#include "net/slirp.h"
#include "net/switch.h"
#include "guest_stack.h"
#include "net_test_util.h"
#include "netns_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static double secs = 1.0;
static int ns_self, ns_peer;

static double now_s(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* --- switch ------------------------------------------------------------- */

typedef struct CountEnd {
    NetPort port;
    uint64_t n;
} CountEnd;

static ssize_t count_receive(NetPort *self, const uint8_t *f, size_t len)
{
    (void)f;
    ((CountEnd *)self->opaque)->n++;
    return (ssize_t)len;
}

static const NetPortOps count_ops = {.receive = count_receive};

static double rate_loop(NetPort *from, CountEnd *to, const uint8_t *f,
                        size_t len)
{
    uint64_t sent = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 4096; i++) {
            net_port_send(from, f, len);
        }
        sent += 4096;
        t = now_s();
    } while (t - t0 < secs);
    if (to->n != sent) {
        fprintf(stderr, "lost %" G_GUINT64_FORMAT " frames\n", sent - to->n);
    }
    return (double)sent / (t - t0);
}

static void bench_switch(void)
{
    static const uint8_t A[6] = {0, 3, 0xFF, 0, 0, 1},
                         B[6] = {0, 3, 0xFF, 0, 0, 2};
    Clock *clk = clock_new(1000000000);
    CountEnd a = {0}, b = {0};
    uint8_t f[64];
    NetRxFilter flt = {.broadcast = true, .n_addrs = 1};

    test_frame(f, sizeof(f), B, A, 0);
    net_port_init(&a.port, clk, "a", &count_ops, &a);
    net_port_init(&b.port, clk, "b", &count_ops, &b);
    net_port_connect(&a.port, &b.port);
    double base = rate_loop(&a.port, &b, f, sizeof(f));
    net_port_disconnect(&a.port);

    NetSwitch *sw = net_switch_new(clk, "bench");
    NetSwitchPort *pa =
        net_switch_add_vm_port(sw, "a", NET_PROMISC_DENY, false);
    NetSwitchPort *pb =
        net_switch_add_vm_port(sw, "b", NET_PROMISC_DENY, false);
    net_port_set_mac(&a.port, A);
    net_port_set_mac(&b.port, B);
    memcpy(flt.addrs[0], B, 6);
    net_port_set_rx_filter(&b.port, &flt);
    net_port_connect(&a.port, &pa->port);
    net_port_connect(&b.port, &pb->port);
    b.n = 0;
    double sw_rate = rate_loop(&a.port, &b, f, sizeof(f));
    printf("switch   64-byte frames: %.2f M/s through the switch, %.2f M/s "
           "bare port layer (ratio %.2f)\n",
           sw_rate / 1e6, base / 1e6, sw_rate / base);
    net_switch_free(sw);
    net_port_cleanup(&a.port);
    net_port_cleanup(&b.port);
    clock_free(clk);
}

/* --- bridge ------------------------------------------------------------- */

typedef struct Rx {
    int fd;
    volatile uint64_t n;
    volatile bool stop;
} Rx;

static void *rx_thread(void *arg)
{
    Rx *rx = arg;
    uint8_t buf[2048];
    while (!rx->stop) {
        ssize_t r = recv(rx->fd, buf, sizeof(buf), 0);
        if (r >= 14 && buf[12] == 0x88 && buf[13] == 0xB5) {
            rx->n++;
        }
    }
    return NULL;
}

static int raw_on(int ns, const char *ifname)
{
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL)};
    struct timeval tv = {.tv_usec = 100000};
    int rcv = 8 << 20;
    netns_enter(ns);
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    sll.sll_ifindex = (int)if_nametoindex(ifname);
    netns_enter(ns_self);
    bind(fd, (struct sockaddr *)&sll, sizeof(sll));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/*
 * Send in bursts, waiting for the receiver to catch up after each, so the
 * figure is a zero-loss rate: bursts whose frames did not all arrive
 * within the wait count as losses and are reported.
 */
typedef void (*SendFn)(void *opaque, const uint8_t *f, size_t len);

static double zero_loss_rate(Rx *rx, SendFn send_fn, void *opaque,
                             const uint8_t *f, size_t len, uint64_t *lost)
{
    const unsigned burst = 64;
    uint64_t sent = 0;
    double t0 = now_s(), t;
    rx->n = 0;
    do {
        for (unsigned i = 0; i < burst; i++) {
            send_fn(opaque, f, len);
        }
        sent += burst;
        double w = now_s();
        while (rx->n < sent && now_s() - w < 0.05) {
        }
        t = now_s();
    } while (t - t0 < secs);
    *lost = sent - rx->n;
    return (double)rx->n / (t - t0);
}

static void raw_send(void *opaque, const uint8_t *f, size_t len)
{
    while (send(*(int *)opaque, f, len, 0) < 0 && errno == ENOBUFS) {
    }
}

static void vm_send(void *opaque, const uint8_t *f, size_t len)
{
    net_port_send(opaque, f, len);
}

static void bench_bridge(void)
{
    static const uint8_t VM[6] = {0, 3, 0xFF, 0, 9, 1};
    static const uint8_t PEER[6] = {0x02, 0, 0, 0, 9, 2};
    int pid;
    g_autoptr(GError) err = NULL;

    ns_peer = netns_peer(&pid);
    netns_sh("ip link add tvm0 type veth peer name tvm1 netns %d", pid);
    netns_peer_release(pid);
    netns_sh("ip link set tvm0 up");
    netns_sh_in(ns_peer, ns_self,
                "ip link set tvm1 address 02:00:00:00:09:02 "
                "&& ip link set tvm1 up");
    netns_wait_link_up("tvm0");

    Rx rx = {.fd = raw_on(ns_peer, "tvm1")};
    pthread_t th;
    pthread_create(&th, NULL, rx_thread, &rx);
    int raw = raw_on(ns_self, "tvm0");

    Clock *clk = clock_new(1000000000);
    GMainContext *ctx = g_main_context_new();
    NetSwitch *sw = net_switch_new(clk, "br");
    NetSwitchPort *vp =
        net_switch_add_vm_port(sw, "vm", NET_PROMISC_DENY, false);
    NetBridge *br = net_bridge_new(clk, ctx, "tvm0", sw, &err);
    if (!br) {
        fprintf(stderr, "bridge: %s\n", err->message);
        exit(1);
    }
    TestEnd nic;
    test_end_init(&nic, clk, "nic", VM);
    test_end_filter(&nic, false, false, NULL, 0);
    net_port_connect(&nic.port, &vp->port);

    size_t sizes[] = {64, 1514};
    for (unsigned k = 0; k < 2; k++) {
        uint8_t f[1514];
        uint64_t lost_base, lost_vm;
        test_frame(f, sizes[k], PEER, VM, 1);
        double base =
            zero_loss_rate(&rx, raw_send, &raw, f, sizes[k], &lost_base);
        double vm =
            zero_loss_rate(&rx, vm_send, &nic.port, f, sizes[k], &lost_vm);
        printf("bridge %4zu-byte frames VM -> veth peer: %.0f frames/s "
               "(lost %" G_GUINT64_FORMAT "), raw socket %.0f frames/s "
               "(lost %" G_GUINT64_FORMAT "), ratio %.2f\n",
               sizes[k], vm, lost_vm, base, lost_base, vm / base);
    }
    rx.stop = true;
    pthread_join(th, NULL);
    net_bridge_free(br);
    net_switch_free(sw);
    test_end_cleanup(&nic);
    g_main_context_unref(ctx);
    clock_free(clk);
    close(raw);
    close(rx.fd);
}

/* --- NAT ---------------------------------------------------------------- */

static double kernel_tcp_mbps(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7100)};
    static uint8_t buf[65536];
    int one = 1;
    netns_enter(ns_peer);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    netns_enter(ns_self);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    inet_pton(AF_INET, "198.18.9.2", &sa.sin_addr);
    bind(l, (struct sockaddr *)&sa, sizeof(sa));
    listen(l, 1);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(c, (struct sockaddr *)&sa, sizeof(sa));
    int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    uint64_t got = 0;
    double t0 = now_s(), t;
    do {
        if (write(c, buf, sizeof(buf)) < 0) {
            /* full: drain below */
        }
        ssize_t n;
        while ((n = read(s, buf, sizeof(buf))) > 0) {
            got += (uint64_t)n;
        }
        t = now_s();
    } while (t - t0 < secs);
    close(c);
    close(s);
    close(l);
    return (double)got / (t - t0) / 1e6;
}

static double nat_mbps(void)
{
    static const uint8_t MAC[6] = {0, 3, 0xFF, 0, 9, 5};
    static const uint8_t gw[4] = {10, 0, 2, 2}, me[4] = {10, 0, 2, 15};
    static const uint8_t peer[4] = {198, 18, 9, 2};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7101)};
    static uint8_t buf[65536];
    g_autoptr(GError) err = NULL;
    int one = 1;

    netns_enter(ns_peer);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    netns_enter(ns_self);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    inet_pton(AF_INET, "198.18.9.2", &sa.sin_addr);
    bind(l, (struct sockaddr *)&sa, sizeof(sa));
    listen(l, 1);

    Clock *clk = clock_new(1000000000);
    GMainContext *ctx = g_main_context_new();
    NetSwitch *sw = net_switch_new(clk, "nat");
    NetSwitchPort *vp =
        net_switch_add_vm_port(sw, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *up = net_switch_add_uplink(sw, "slirp");
    NetSlirpConfig cfg = {0};
    NetSlirp *sl = net_slirp_new(clk, ctx, &cfg, &err);
    net_port_connect(net_slirp_port(sl), &up->port);
    Guest g;
    guest_init(&g, clk, MAC);
    net_port_connect(&g.port, &vp->port);
    guest_set_ip(&g, me);
    guest_arp_request(&g, gw);
    for (int i = 0; i < 1000 && !g.gw_known; i++) {
        g_main_context_iteration(ctx, FALSE);
        clock_step_ns(clk, 1000000);
    }
    guest_tcp_connect(&g, peer, 7101, 40000);
    int s = -1;
    for (int i = 0; i < 5000 && g.tcp.state != GTCP_ESTABLISHED; i++) {
        g_main_context_iteration(ctx, FALSE);
        clock_step_ns(clk, 1000000);
    }
    s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    uint64_t got = 0;
    double t0 = now_s(), t;
    do {
        if (g.tcp.tx->len - (g.tcp.snd_nxt - g.tcp.iss - 1) < 65536) {
            guest_tcp_write(&g, buf, sizeof(buf));
        }
        guest_poll(&g);
        g_main_context_iteration(ctx, FALSE);
        clock_step_ns(clk, 100000);
        ssize_t n;
        while (s >= 0 && (n = read(s, buf, sizeof(buf))) > 0) {
            got += (uint64_t)n;
        }
        t = now_s();
    } while (t - t0 < secs);
    close(s);
    close(l);
    net_slirp_free(sl);
    net_switch_free(sw);
    guest_cleanup(&g);
    g_main_context_unref(ctx);
    clock_free(clk);
    return (double)got / (t - t0) / 1e6;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        secs = atof(argv[1]);
    }
    ns_self = netns_isolate();
    if (ns_self < 0) {
        fprintf(stderr, "bench_net needs root (network namespaces)\n");
        return 1;
    }
    netns_sh("sysctl -q -w net.ipv6.conf.default.disable_ipv6=1");
    bench_switch();
    bench_bridge();
    netns_sh("ip addr add 198.18.9.1/24 dev tvm0");
    netns_sh_in(ns_peer, ns_self, "ip addr add 198.18.9.2/24 dev tvm1");
    double k = kernel_tcp_mbps();
    double n = nat_mbps();
    printf("nat      TCP guest -> peer through libslirp: %.1f MB/s; kernel "
           "TCP between the same namespaces %.1f MB/s (ratio %.3f)\n",
           n, k, n / k);
    return 0;
}
