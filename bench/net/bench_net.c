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
 *           kernel TCP stream between the same two namespaces; then the
 *           same stream through our backend and through QEMU's slirp
 *           backend, each in a NAT process behind a UDP frame pipe, as a
 *           ratio (see "The NAT comparison" below).  Needs
 *           qemu-system-x86_64 (Debian: qemu-system-x86) and fails without.
 *           QEMU warns "hub 0 with no nics" once per round: expected, the
 *           hub joins two netdevs and no NIC.
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
#include <glib-unix.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

/*
 * The NAT comparison.  libslirp is the same library in tulipvm and in QEMU,
 * so what differs is the glue around it: how frames reach it, how its
 * sockets are polled, how its timers run.  Three paths carry the same TCP
 * stream from the same synthetic guest stack to the same listener:
 *
 *  in-process  guest port -> switch -> our slirp, one thread (as in a VM);
 *  pipe/ours   guest port -> UDP frame pipe -> this program re-executed as
 *              a NAT process: switch -> our slirp, blocking in its main loop;
 *  pipe/qemu   guest port -> UDP frame pipe -> qemu-system-x86_64 with no
 *              machine: socket netdev -> hub -> user netdev (its slirp).
 *
 * pipe/ours against pipe/qemu is the fair ratio: the same socket hop, a
 * separate process each, both sleeping in poll() when idle.  QEMU cannot
 * run its slirp inside our process, so in-process has no QEMU twin; it is
 * printed to show what the hop costs.
 */

#define NAT_GUEST_MAC                                                          \
    {                                                                          \
        0, 3, 0xFF, 0, 9, 5                                                    \
    }

typedef struct NatPath {
    const char *name;
    NetPort *attach;   /* what the guest port plugs into */
    GMainContext *ctx; /* in-process: the backend's context */
    int fd;            /* pipe: UDP socket connected to the NAT process */
    NetPort end;       /* pipe: the guest port's peer */
    GPid pid;          /* pipe: the NAT process */
    bool reaped;       /* pipe: it died and was waited for */
} NatPath;

static ssize_t pipe_receive(NetPort *self, const uint8_t *f, size_t len)
{
    NatPath *np = self->opaque;
    if (send(np->fd, f, len, 0) < 0) {
        /* The NAT process is not up yet: the guest retries. */
    }
    return (ssize_t)len;
}

static const NetPortOps pipe_ops = {.receive = pipe_receive};

/* Deliver what the NAT side sent; the number of frames. */
static unsigned nat_pump(NatPath *np)
{
    uint8_t buf[2048];
    unsigned n = 0;
    if (np->ctx) {
        g_main_context_iteration(np->ctx, FALSE);
        return 0;
    }
    for (; n < 64; n++) {
        ssize_t r = recv(np->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r <= 0) {
            break;
        }
        net_port_send(&np->end, buf, (size_t)r);
    }
    return n;
}

static uint16_t udp_bind_lo(int fd, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        return 0;
    }
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    return ntohs(sa.sin_port);
}

static void udp_connect_lo(int fd, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/* A NAT process must not outlive the benchmark. */
static void die_with_parent(gpointer unused)
{
    (void)unused;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static bool nat_pipe_open(NatPath *np, Clock *clk, bool qemu)
{
    g_autoptr(GError) err = NULL;
    np->fd = socket(AF_INET, SOCK_DGRAM, 0);
    uint16_t mine = udp_bind_lo(np->fd, 0);
    /* A free port for the NAT process's end (it binds it right away). */
    int probe = socket(AF_INET, SOCK_DGRAM, 0);
    uint16_t theirs = udp_bind_lo(probe, 0);
    close(probe);
    udp_connect_lo(np->fd, theirs);
    net_port_init(&np->end, clk, "pipe", &pipe_ops, np);
    np->attach = &np->end;

    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *a_mine = g_strdup_printf("%u", mine);
    g_autofree char *a_theirs = g_strdup_printf("%u", theirs);
    g_autofree char *sock = g_strdup_printf(
        "socket,id=s,udp=127.0.0.1:%u,localaddr=127.0.0.1:%u", mine, theirs);
    const char *ours_argv[] = {self, "--nat-process", a_theirs, a_mine, NULL};
    const char *qemu_argv[] = {"qemu-system-x86_64",
                               "-machine",
                               "none",
                               "-nodefaults",
                               "-display",
                               "none",
                               "-monitor",
                               "none",
                               "-netdev",
                               "user,id=u,ipv6=off",
                               "-netdev",
                               "hubport,id=p1,hubid=0,netdev=u",
                               "-netdev",
                               sock,
                               "-netdev",
                               "hubport,id=p2,hubid=0,netdev=s",
                               NULL};
    if (!g_spawn_async(NULL, (char **)(qemu ? qemu_argv : ours_argv), NULL,
                       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
                       die_with_parent, NULL, &np->pid, &err)) {
        fprintf(stderr, "bench_net: cannot start %s: %s\n", np->name,
                err->message);
        return false;
    }
    return true;
}

static void nat_pipe_close(NatPath *np)
{
    if (!np->reaped) {
        /* SIGKILL: QEMU would log a SIGTERM on stderr. */
        kill(np->pid, SIGKILL);
        waitpid(np->pid, NULL, 0);
    }
    g_spawn_close_pid(np->pid);
    net_port_cleanup(&np->end);
    close(np->fd);
}

/* CPU seconds the process has used so far, all threads, user + system. */
static double proc_cpu_s(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *txt = NULL;
    unsigned long ut, st;
    if (!g_file_get_contents(path, &txt, NULL, NULL)) {
        return 0;
    }
    /* Fields 14 and 15, counted after the parenthesised command name. */
    const char *p = strrchr(txt, ')');
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2) {
        return 0;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Whether the NAT process has died (then it said why on stderr). */
static bool nat_pipe_dead(NatPath *np)
{
    if (!np->ctx && waitpid(np->pid, NULL, WNOHANG) == np->pid) {
        np->reaped = true;
    }
    return np->reaped;
}

/*
 * Stream for `secs` from the guest to a listener in the peer namespace
 * through np; MB/s received by the listener, < 0 if the path never came up.
 */
typedef struct NatResult {
    double mbps;          /* < 0: the path never came up */
    double cpu_ms_per_mb; /* NAT process CPU per MB carried (pipe only) */
} NatResult;

static NatResult nat_stream(NatPath *np, Clock *clk, uint16_t port)
{
    static const uint8_t MAC[6] = NAT_GUEST_MAC;
    static const uint8_t gw[4] = {10, 0, 2, 2}, me[4] = {10, 0, 2, 15};
    static const uint8_t peer[4] = {198, 18, 9, 2};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    static uint8_t buf[65536];
    int one = 1;
    NatResult res = {.mbps = -1};
    double cpu0 = 0;

    netns_enter(ns_peer);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    netns_enter(ns_self);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    inet_pton(AF_INET, "198.18.9.2", &sa.sin_addr);
    bind(l, (struct sockaddr *)&sa, sizeof(sa));
    listen(l, 1);

    Guest g;
    guest_init(&g, clk, MAC);
    net_port_connect(&g.port, np->attach);
    guest_set_ip(&g, me);
    /* A NAT process takes a moment to start: ask until it answers. */
    double t0 = now_s(), t;
    for (int i = 0; !g.gw_known && now_s() - t0 < 10; i++) {
        if (i % 100 == 0) {
            guest_arp_request(&g, gw);
        }
        nat_pump(np);
        clock_step_ns(clk, 1000000);
        g_usleep(np->ctx ? 0 : 500);
        if (nat_pipe_dead(np)) {
            break;
        }
    }
    int s = -1;
    if (g.gw_known) {
        guest_tcp_connect(&g, peer, port, 40000);
        t0 = now_s();
        while (s < 0 && now_s() - t0 < 5) {
            guest_poll(&g);
            nat_pump(np);
            clock_step_ns(clk, 100000);
            s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
        }
    }
    if (s < 0) {
        fprintf(stderr, "bench_net: %s: no connection through the NAT\n",
                np->name);
        goto out;
    }
    for (int i = 0; i < 5000 && g.tcp.state != GTCP_ESTABLISHED; i++) {
        nat_pump(np);
        clock_step_ns(clk, 100000);
        g_usleep(np->ctx ? 0 : 100);
    }
    uint64_t got = 0;
    t0 = now_s();
    if (!np->ctx) {
        cpu0 = proc_cpu_s(np->pid);
    }
    do {
        if (g.tcp.tx->len - (g.tcp.snd_nxt - g.tcp.iss - 1) < 65536) {
            guest_tcp_write(&g, buf, sizeof(buf));
        }
        guest_poll(&g);
        unsigned frames = nat_pump(np);
        clock_step_ns(clk, 100000);
        ssize_t n;
        uint64_t before = got;
        while ((n = read(s, buf, sizeof(buf))) > 0) {
            got += (uint64_t)n;
        }
        if (!np->ctx && !frames && got == before) {
            /* Idle until the NAT process or the listener has news, as a
             * guest waits for its interrupt, leaving the CPU to them. */
            struct pollfd pf[2] = {{.fd = np->fd, .events = POLLIN},
                                   {.fd = s, .events = POLLIN}};
            poll(pf, 2, getenv("BN_BUSY") ? 0 : 1);
        }
        t = now_s();
    } while (t - t0 < secs);
    res.mbps = (double)got / (t - t0) / 1e6;
    if (!np->ctx && got) {
        res.cpu_ms_per_mb = (proc_cpu_s(np->pid) - cpu0) * 1e3 / (got / 1e6);
    }
out:
    if (s >= 0) {
        close(s);
    }
    close(l);
    guest_cleanup(&g);
    return res;
}

static NatResult nat_in_process(uint16_t port)
{
    g_autoptr(GError) err = NULL;
    Clock *clk = clock_new(1000000000);
    GMainContext *ctx = g_main_context_new();
    NetSwitch *sw = net_switch_new(clk, "nat");
    NetSwitchPort *vp =
        net_switch_add_vm_port(sw, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *up = net_switch_add_uplink(sw, "slirp");
    NetSlirpConfig cfg = {0};
    NetSlirp *sl = net_slirp_new(clk, ctx, &cfg, &err);
    if (!sl) {
        fprintf(stderr, "bench_net: slirp: %s\n", err->message);
        exit(1);
    }
    net_port_connect(net_slirp_port(sl), &up->port);
    NatPath np = {
        .name = "in-process", .attach = &vp->port, .ctx = ctx, .fd = -1};
    NatResult r = nat_stream(&np, clk, port);
    net_slirp_free(sl);
    net_switch_free(sw);
    g_main_context_unref(ctx);
    clock_free(clk);
    return r;
}

static NatResult nat_pipe(bool qemu, uint16_t port)
{
    Clock *clk = clock_new(1000000000);
    NatPath np = {.name = qemu ? "pipe/qemu" : "pipe/ours"};
    NatResult r = {.mbps = -1};
    if (nat_pipe_open(&np, clk, qemu)) {
        r = nat_stream(&np, clk, port);
        nat_pipe_close(&np);
    }
    clock_free(clk);
    return r;
}

/* --- the NAT process (pipe/ours) ----------------------------------------- */

typedef struct NatProc {
    NetPort end; /* plugged into the switch's VM port, like a NIC */
    int fd;
} NatProc;

static ssize_t proc_receive(NetPort *self, const uint8_t *f, size_t len)
{
    NatProc *p = self->opaque;
    if (send(p->fd, f, len, 0) < 0) {
        /* The benchmark went away. */
    }
    return (ssize_t)len;
}

static const NetPortOps proc_ops = {.receive = proc_receive};

static gboolean proc_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    NatProc *p = opaque;
    uint8_t buf[2048];
    (void)cond;
    for (int i = 0; i < 64; i++) {
        ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r <= 0) {
            break;
        }
        net_port_send(&p->end, buf, (size_t)r);
    }
    return G_SOURCE_CONTINUE;
}

/*
 * Our `user` backend behind a UDP frame pipe, in its own process, run the
 * way the emulator runs it: a blocking main loop, the machine clock kept
 * on host time.  Ends when killed.
 */
static int nat_process(uint16_t mine, uint16_t theirs)
{
    static const uint8_t MAC[6] = NAT_GUEST_MAC;
    g_autoptr(GError) err = NULL;
    Clock *clk = clock_new(1000000000);
    GMainContext *ctx = g_main_context_new();
    NetSwitch *sw = net_switch_new(clk, "nat");
    NetSwitchPort *vp =
        net_switch_add_vm_port(sw, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *up = net_switch_add_uplink(sw, "slirp");
    NetSlirpConfig cfg = {0};
    NetSlirp *sl = net_slirp_new(clk, ctx, &cfg, &err);
    if (!sl) {
        fprintf(stderr, "bench_net: slirp: %s\n", err->message);
        return 1;
    }
    net_port_connect(net_slirp_port(sl), &up->port);
    NatProc p = {.fd = socket(AF_INET, SOCK_DGRAM, 0)};
    if (udp_bind_lo(p.fd, mine) != mine) {
        fprintf(stderr, "bench_net: NAT process cannot bind port %u\n", mine);
        return 1;
    }
    udp_connect_lo(p.fd, theirs);
    net_port_init(&p.end, clk, "pipe", &proc_ops, &p);
    net_port_set_mac(&p.end, MAC);
    net_port_connect(&p.end, &vp->port);
    GSource *src = g_unix_fd_source_new(p.fd, G_IO_IN);
    g_source_set_callback(src, G_SOURCE_FUNC(proc_readable), &p, NULL);
    g_source_attach(src, ctx);
    /* As the emulator's idle loop does: the machine clock catches up with
     * host time after every wait, before the sources check their due. */
    int64_t last = g_get_monotonic_time();
    for (;;) {
        gint prio, timeout, nfds;
        GPollFD fds[64];
        g_main_context_acquire(ctx);
        g_main_context_prepare(ctx, &prio);
        nfds = g_main_context_query(ctx, prio, &timeout, fds, 64);
        uint64_t next = clock_next_deadline(clk);
        if (next != CLOCK_NEVER) {
            int64_t ms =
                (clock_cycles_to_ns(clk, next - MIN(next, clock_now(clk))) +
                 999999) /
                1000000;
            if (timeout < 0 || ms < timeout) {
                timeout = (gint)ms;
            }
        }
        g_poll(fds, (guint)MIN(nfds, 64), timeout);
        int64_t now = g_get_monotonic_time();
        clock_step_ns(clk, (now - last) * 1000);
        last = now;
        if (g_main_context_check(ctx, prio, fds, MIN(nfds, 64))) {
            g_main_context_dispatch(ctx);
        }
        /* Frames the switch deferred while a send was in progress. */
        clock_run_due(clk);
        g_main_context_release(ctx);
    }
}

/* "7.2.22" from `qemu-system-x86_64 --version`, or NULL if it is missing. */
static char *qemu_find_version(void)
{
    const char *argv[] = {"qemu-system-x86_64", "--version", NULL};
    g_autofree char *out = NULL;
    int status;
    if (!g_spawn_sync(NULL, (char **)argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                      NULL, &out, NULL, &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL)) {
        return NULL;
    }
    const char *v = strstr(out, "version ");
    return v ? g_strndup(v + 8, strcspn(v + 8, " \n")) : g_strdup("?");
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--nat-process")) {
        return nat_process((uint16_t)atoi(argv[2]), (uint16_t)atoi(argv[3]));
    }
    if (argc > 1) {
        secs = atof(argv[1]);
    }
    g_autofree char *qemu_version = qemu_find_version();
    if (!qemu_version) {
        fprintf(stderr,
                "bench_net: qemu-system-x86_64 not found or not working; the "
                "NAT figure is a comparison with QEMU's slirp backend, so "
                "install it (Debian package qemu-system-x86)\n");
        return 1;
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
    double n = nat_in_process(7101).mbps;
    printf("nat      TCP guest -> peer through libslirp: %.1f MB/s; kernel "
           "TCP between the same namespaces %.1f MB/s (ratio %.3f)\n",
           n, k, n / k);
    /* Alternate the two so a change in the machine's load hits both. */
    enum { ROUNDS = 3 };
    NatResult r[2][ROUNDS];
    double mbps[2] = {0}, cpu[2] = {0};
    for (int i = 0; i < ROUNDS; i++) {
        for (int q = 0; q < 2; q++) {
            r[q][i] = nat_pipe(q, (uint16_t)(7102 + 2 * i + q));
            if (r[q][i].mbps < 0) {
                return 1;
            }
            mbps[q] += r[q][i].mbps / ROUNDS;
            cpu[q] += r[q][i].cpu_ms_per_mb / ROUNDS;
        }
        printf("nat      pipe round %d: ours %.1f MB/s (%.1f ms CPU/MB), "
               "QEMU %.1f MB/s (%.1f ms CPU/MB)\n",
               i + 1, r[0][i].mbps, r[0][i].cpu_ms_per_mb, r[1][i].mbps,
               r[1][i].cpu_ms_per_mb);
    }
    printf("nat      same stream via a UDP frame pipe to a NAT process, mean "
           "of %d rounds: ours %.1f MB/s, QEMU %s slirp %.1f MB/s (ratio "
           "%.2f); NAT process CPU per MB: ours %.1f ms, QEMU %.1f ms "
           "(ratio %.2f, < 1 is cheaper)\n",
           ROUNDS, mbps[0], qemu_version, mbps[1], mbps[0] / mbps[1], cpu[0],
           cpu[1], cpu[0] / cpu[1]);
    return 0;
}
