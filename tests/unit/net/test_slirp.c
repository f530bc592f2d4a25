/*
 * Shared networking (NAT) through libslirp with real peers: a guest stack
 * on a switch VM port, the slirp backend on the uplink, and host sockets in
 * network namespaces the test creates (its own, holding "the host", and a
 * peer namespace reached over a veth pair with addresses from
 * 198.18.0.0/15, playing a machine on the outside).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include "net/slirp.h"
#include "net/switch.h"
#include "net/inet.h"
#include "guest_stack.h"
#include "netns_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const uint8_t GUEST_MAC[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x01};
static const uint8_t IP_GUEST[4] = {10, 0, 2, 15};
static const uint8_t IP_GW[4] = {10, 0, 2, 2};
static const uint8_t IP_DNS[4] = {10, 0, 2, 3};
static const uint8_t IP_PEER[4] = {198, 18, 0, 2};
static const uint8_t IP_HOST_VETH[4] = {198, 18, 0, 1};
static const uint8_t IP_LOOP[4] = {127, 0, 0, 1};

static Clock *clk;
static GMainContext *ctx;
static NetSwitch *sw;
static NetSwitchPort *vmp, *upp;
static NetSlirp *sl;
static Guest g;
static int ns_self = -1, ns_peer = -1;

static void setup(void)
{

    ns_self = netns_isolate();
    cr_assert_geq(ns_self, 0, "needs root: network namespaces");
    cr_assert(netns_resolv_conf("nameserver 127.0.0.1\n"));
    ns_peer = netns_peer_veth();
    cr_assert_geq(ns_peer, 0);
    cr_assert(netns_sh("ip addr add 198.18.0.1/24 dev tvm0 && "
                       "ip link set tvm0 up"));
    cr_assert(netns_sh_in(ns_peer, ns_self,
                          "ip addr add 198.18.0.2/24 dev tvm1 && "
                          "ip link set tvm1 up"));
    cr_assert(netns_wait_link_up("tvm0"));
    clk = clock_new(1000000000);
    ctx = g_main_context_new();
    sw = net_switch_new(clk, "nat");
    vmp = net_switch_add_vm_port(sw, "vm", NET_PROMISC_DENY, false);
    upp = net_switch_add_uplink(sw, "slirp");
    guest_init(&g, clk, GUEST_MAC);
    net_port_connect(&g.port, &vmp->port);
}

static void teardown(void)
{
    net_slirp_free(sl);
    sl = NULL;
    net_switch_free(sw);
    guest_cleanup(&g);
    g_main_context_unref(ctx);
    clock_free(clk);
}

TestSuite(slirp, .init = setup, .fini = teardown, .timeout = 60);

static void start(const char *spec)
{
    NetNicConfig nic;
    NetSlirpConfig cfg;
    g_autoptr(GError) err = NULL;

    cr_assert(net_nic_config_parse(spec, &nic, &err), "%s",
              err ? err->message : "");
    net_slirp_config_from_nic(&cfg, &nic, 0);
    sl = net_slirp_new(clk, ctx, &cfg, &err);
    cr_assert_not_null(sl, "%s", err ? err->message : "");
    net_port_connect(net_slirp_port(sl), &upp->port);
    net_nic_config_clear(&nic);
}

typedef bool (*CondFn)(void *arg);

/* Run the machine (slirp, clock, guest) until cond holds; host-time cap. */
static bool pump(CondFn cond, void *arg)
{
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (!cond(arg)) {
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_main_context_iteration(ctx, FALSE);
        clock_step_ns(clk, 1000000);
        guest_poll(&g);
    }
    return true;
}

static void pump_for(unsigned iterations)
{
    for (unsigned i = 0; i < iterations; i++) {
        g_main_context_iteration(ctx, FALSE);
        clock_step_ns(clk, 1000000);
        guest_poll(&g);
    }
}

static bool cond_gw_known(void *arg)
{
    (void)arg;
    return g.gw_known;
}

static bool cond_bound(void *arg)
{
    (void)arg;
    return g.dhcp == 3;
}

static bool cond_udp(void *arg)
{
    (void)arg;
    return g.udp_got;
}

static bool cond_established_or_rst(void *arg)
{
    (void)arg;
    return g.tcp.state == GTCP_ESTABLISHED || g.tcp.rst;
}

/* Guest with the first lease configured by hand, gateway MAC resolved. */
static void guest_up(void)
{
    guest_set_ip(&g, IP_GUEST);
    guest_arp_request(&g, IP_GW);
    cr_assert(pump(cond_gw_known, NULL), "slirp answers ARP for 10.0.2.2");
}

static int tcp_listener_in(int ns, const char *addr, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int one = 1, fd;

    cr_assert(netns_enter(ns));
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    cr_assert(netns_enter(ns_self));
    cr_assert_geq(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    inet_pton(AF_INET, addr, &sa.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s",
                 strerror(errno));
    cr_assert_eq(listen(fd, 4), 0);
    return fd;
}

static int udp_socket_in(int ns, const char *addr, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd;

    cr_assert(netns_enter(ns));
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    cr_assert(netns_enter(ns_self));
    inet_pton(AF_INET, addr, &sa.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s",
                 strerror(errno));
    return fd;
}

static uint8_t pattern(size_t i, uint8_t seed)
{
    return (uint8_t)((i * 131u + seed) ^ (i >> 9));
}

/* A host-side stream: accept (or connect), read all, write all. */
typedef struct HostConn {
    int listen_fd, fd;
    size_t want_rx, got_rx;
    bool rx_ok;
    size_t tx_len, tx_off;
    uint8_t seed_rx, seed_tx;
} HostConn;

static void host_conn_service(HostConn *h)
{
    uint8_t buf[65536];

    if (h->fd < 0 && h->listen_fd >= 0) {
        h->fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK);
    }
    if (h->fd < 0) {
        return;
    }
    for (;;) {
        ssize_t n = read(h->fd, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != pattern(h->got_rx + (size_t)i, h->seed_rx)) {
                h->rx_ok = false;
            }
        }
        h->got_rx += (size_t)n;
    }
    while (h->tx_off < h->tx_len) {
        size_t chunk = MIN(sizeof(buf), h->tx_len - h->tx_off);
        for (size_t i = 0; i < chunk; i++) {
            buf[i] = pattern(h->tx_off + i, h->seed_tx);
        }
        ssize_t n = write(h->fd, buf, chunk);
        if (n <= 0) {
            break;
        }
        h->tx_off += (size_t)n;
    }
}

typedef struct StreamCheck {
    HostConn *h;
} StreamCheck;

static bool cond_stream_done(void *arg)
{
    HostConn *h = arg;
    host_conn_service(h);
    return h->got_rx >= h->want_rx && g.tcp.rx->len >= h->tx_len &&
           h->tx_off >= h->tx_len;
}

static void guest_queue_pattern(size_t len, uint8_t seed)
{
    g_autofree uint8_t *d = g_malloc(len);
    for (size_t i = 0; i < len; i++) {
        d[i] = pattern(i, seed);
    }
    guest_tcp_write(&g, d, len);
}

static void assert_guest_got_pattern(size_t len, uint8_t seed)
{
    cr_assert_eq(g.tcp.rx->len, len);
    for (size_t i = 0; i < len; i++) {
        if (g.tcp.rx->data[i] != pattern(i, seed)) {
            cr_assert_fail("guest byte %zu differs", i);
        }
    }
}

Test(slirp, dhcp_lease_carries_address_router_and_dns)
{
    start("user");
    guest_dhcp_discover(&g);
    cr_assert(pump(cond_bound, NULL), "DHCP handshake completes");
    cr_assert_arr_eq(g.ip, IP_GUEST, 4, "first lease is 10.0.2.15");
    cr_assert_arr_eq(g.router, IP_GW, 4);
    cr_assert_arr_eq(g.dns, IP_DNS, 4);
    cr_assert_arr_eq(g.server_id, IP_GW, 4);
}

Test(slirp, second_adapter_defaults_to_the_next_network)
{
    NetNicConfig nic;
    NetSlirpConfig cfg;
    g_autoptr(GError) err = NULL;

    cr_assert(net_nic_config_parse("user", &nic, &err));
    net_slirp_config_from_nic(&cfg, &nic, 1);
    sl = net_slirp_new(clk, ctx, &cfg, &err);
    cr_assert_not_null(sl);
    net_port_connect(net_slirp_port(sl), &upp->port);
    guest_dhcp_discover(&g);
    cr_assert(pump(cond_bound, NULL));
    cr_assert_arr_eq(g.ip, ((uint8_t[]){10, 0, 3, 15}), 4);
}

Test(slirp, dns_query_is_answered_through_the_host_resolver)
{
    /* The host's resolver (per our private resolv.conf) is 127.0.0.1. */
    int dns = udp_socket_in(ns_self, "127.0.0.1", 53);
    static const uint8_t q[] = {0xAB, 0xCD, 0x01, 0x00, 0,   1,   0,   0,   0,
                                0,    0,    0,    4,    't', 'v', 'm', 'x', 4,
                                't',  'e',  's',  't',  0,   0,   1,   0,   1};
    start("user");
    guest_up();
    guest_udp_send(&g, IP_DNS, 40000, 53, q, sizeof(q));
    uint8_t buf[512];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = -1;
    for (int i = 0; i < 5000 && n < 0; i++) {
        pump_for(1);
        n = recvfrom(dns, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
    }
    cr_assert_eq(n, (ssize_t)sizeof(q), "the query reaches the resolver");
    cr_assert_arr_eq(buf, q, sizeof(q));
    /* Answer: the question plus one A record 198.18.0.42. */
    static const uint8_t ans[] = {0xC0, 0x0C, 0, 1, 0,   1,  0, 0,
                                  0,    60,   0, 4, 198, 18, 0, 42};
    buf[2] = 0x81;
    buf[3] = 0x80;
    buf[7] = 1;
    memcpy(buf + n, ans, sizeof(ans));
    sendto(dns, buf, (size_t)n + sizeof(ans), 0, (struct sockaddr *)&from, fl);
    cr_assert(pump(cond_udp, NULL), "the answer reaches the guest");
    cr_assert_arr_eq(g.udp_src, IP_DNS, 4);
    cr_assert_eq(g.udp_sport, 53);
    cr_assert_eq(g.udp_dport, 40000);
    cr_assert_eq(g.udp_rx->len, n + sizeof(ans));
    cr_assert_eq(g.udp_rx->data[0], 0xAB);
    cr_assert_arr_eq(g.udp_rx->data + g.udp_rx->len - 4,
                     ((uint8_t[]){198, 18, 0, 42}), 4);
    close(dns);
}

Test(slirp, tcp_stream_through_nat_reaches_an_outside_peer_intact)
{
    HostConn h = {.fd = -1, .rx_ok = true, .seed_rx = 7, .seed_tx = 9};
    h.listen_fd = tcp_listener_in(ns_peer, "198.18.0.2", 5000);
    h.want_rx = 300000;
    h.tx_len = 200000;

    start("user");
    guest_up();
    guest_tcp_connect(&g, IP_PEER, 5000, 33000);
    cr_assert(pump(cond_established_or_rst, NULL));
    cr_assert_eq(g.tcp.state, GTCP_ESTABLISHED);
    guest_queue_pattern(h.want_rx, h.seed_rx);
    cr_assert(pump(cond_stream_done, &h),
              "got %zu/%zu, guest %u/%zu, host sent %zu, drops %lu/%lu/%lu",
              h.got_rx, h.want_rx, g.tcp.rx->len, h.tx_len, h.tx_off,
              (unsigned long)g.port.stats.rx_dropped_full,
              (unsigned long)upp->port.stats.rx_dropped_full,
              (unsigned long)net_slirp_stats(sl)->to_guest_dropped);
    cr_assert(h.rx_ok, "every byte the guest sent arrives unchanged");
    cr_assert_eq(h.got_rx, h.want_rx);
    assert_guest_got_pattern(h.tx_len, h.seed_tx);
    close(h.fd);
    close(h.listen_fd);
}

static int tcp_connect_nb(const char *addr, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    inet_pton(AF_INET, addr, &sa.sin_addr);
    int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    cr_assert(r == 0 || errno == EINPROGRESS, "connect: %s", strerror(errno));
    return fd;
}

Test(slirp, hostfwd_tcp_carries_a_stream_both_ways)
{
    HostConn h = {.listen_fd = -1, .rx_ok = true, .seed_rx = 3, .seed_tx = 4};
    h.want_rx = 150000;
    h.tx_len = 250000;

    start("user,hostfwd=tcp:127.0.0.1:15022-:22");
    guest_up();
    guest_tcp_listen(&g, 22);
    h.fd = tcp_connect_nb("127.0.0.1", 15022);
    cr_assert(pump(cond_established_or_rst, NULL));
    cr_assert_eq(g.tcp.state, GTCP_ESTABLISHED, "guest accepted");
    guest_queue_pattern(h.want_rx, h.seed_rx);
    cr_assert(pump(cond_stream_done, &h), "got %zu/%zu, guest %u/%zu", h.got_rx,
              h.want_rx, g.tcp.rx->len, h.tx_len);
    cr_assert(h.rx_ok);
    assert_guest_got_pattern(h.tx_len, h.seed_tx);
    close(h.fd);
}

Test(slirp, hostfwd_udp_delivers_datagrams_and_replies)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(15053)};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    uint8_t buf[64];

    start("user,hostfwd=udp::15053-10.0.2.15:53");
    guest_up();
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(
        sendto(fd, "ping-udp", 8, 0, (struct sockaddr *)&sa, sizeof(sa)), 8);
    cr_assert(pump(cond_udp, NULL));
    cr_assert_eq(g.udp_dport, 53);
    cr_assert_eq(g.udp_rx->len, 8);
    cr_assert_arr_eq(g.udp_rx->data, "ping-udp", 8);
    guest_udp_send(&g, g.udp_src, 53, g.udp_sport, (const uint8_t *)"pong", 4);
    ssize_t n = -1;
    for (int i = 0; i < 5000 && n < 0; i++) {
        pump_for(1);
        n = recv(fd, buf, sizeof(buf), 0);
    }
    cr_assert_eq(n, 4, "reply to %d.%d.%d.%d:%u, drops %lu", g.udp_src[0],
                 g.udp_src[1], g.udp_src[2], g.udp_src[3], g.udp_sport,
                 (unsigned long)net_slirp_stats(sl)->host_protect_drops);
    cr_assert_arr_eq(buf, "pong", 4);
    close(fd);
}

static void try_connect(const uint8_t ip[4], uint16_t port)
{
    static uint16_t sport = 41000;
    g.tcp.state = GTCP_CLOSED;
    g.tcp.rst = false;
    guest_tcp_connect(&g, ip, port, sport++);
    cr_assert(pump(cond_established_or_rst, NULL));
}

Test(slirp, guest_cannot_open_host_services_without_hostaccess)
{
    int lfd = tcp_listener_in(ns_self, "0.0.0.0", 6000);
    int ufd = udp_socket_in(ns_self, "0.0.0.0", 6001);
    uint8_t buf[16];

    start("user");
    guest_up();
    try_connect(IP_GW, 6000);
    cr_assert(g.tcp.rst, "10.0.2.2 does not lead to the host's loopback");
    try_connect(IP_HOST_VETH, 6000);
    cr_assert(g.tcp.rst, "nor does the host's own interface address");
    try_connect(IP_LOOP, 6000);
    cr_assert(g.tcp.rst, "nor 127.0.0.1 through the NAT");
    guest_udp_send(&g, IP_HOST_VETH, 6001, 6001, (const uint8_t *)"x", 1);
    guest_udp_send(&g, IP_GW, 6001, 6001, (const uint8_t *)"x", 1);
    pump_for(200);
    cr_assert_lt(recv(ufd, buf, sizeof(buf), 0), 0, "no datagram arrives");
    cr_assert_lt(accept(lfd, NULL, NULL), 0, "no connection arrives");
    cr_assert_geq(net_slirp_stats(sl)->host_protect_drops, 5);

    /* The outside world is still reachable. */
    int pfd = tcp_listener_in(ns_peer, "198.18.0.2", 6000);
    try_connect(IP_PEER, 6000);
    cr_assert_eq(g.tcp.state, GTCP_ESTABLISHED);
    close(pfd);
    close(lfd);
    close(ufd);
}

Test(slirp, hostaccess_on_lets_the_guest_reach_host_services)
{
    int lfd = tcp_listener_in(ns_self, "0.0.0.0", 6000);
    int ufd = udp_socket_in(ns_self, "0.0.0.0", 6001);
    uint8_t buf[16];

    start("user,hostaccess=on");
    guest_up();
    try_connect(IP_GW, 6000);
    cr_assert_eq(g.tcp.state, GTCP_ESTABLISHED, "10.0.2.2 is the host");
    int c1 = accept(lfd, NULL, NULL);
    cr_assert_geq(c1, 0);
    try_connect(IP_HOST_VETH, 6000);
    cr_assert_eq(g.tcp.state, GTCP_ESTABLISHED);
    guest_udp_send(&g, IP_HOST_VETH, 6001, 6001, (const uint8_t *)"y", 1);
    ssize_t n = -1;
    for (int i = 0; i < 5000 && n < 0; i++) {
        pump_for(1);
        n = recv(ufd, buf, sizeof(buf), 0);
    }
    cr_assert_eq(n, 1);
    cr_assert_eq(net_slirp_stats(sl)->host_protect_drops, 0);
    close(c1);
    close(lfd);
    close(ufd);
}

Test(slirp, restrict_on_isolates_the_guest_but_keeps_forwards)
{
    int pfd = tcp_listener_in(ns_peer, "198.18.0.2", 6000);
    HostConn h = {.listen_fd = -1, .rx_ok = true, .seed_rx = 1, .seed_tx = 2};
    h.want_rx = 1000;
    h.tx_len = 1000;

    start("user,restrict=on,hostfwd=tcp::15023-:23");
    guest_up();
    try_connect(IP_PEER, 6000);
    cr_assert(g.tcp.rst, "no way out when restricted");
    g.tcp.state = GTCP_CLOSED;
    g.tcp.rst = false;
    guest_tcp_listen(&g, 23);
    h.fd = tcp_connect_nb("127.0.0.1", 15023);
    cr_assert(pump(cond_established_or_rst, NULL));
    cr_assert_eq(g.tcp.state, GTCP_ESTABLISHED);
    guest_queue_pattern(h.want_rx, h.seed_rx);
    cr_assert(pump(cond_stream_done, &h));
    cr_assert(h.rx_ok);
    close(h.fd);
    close(pfd);
}

Test(slirp, occupied_hostfwd_port_is_a_clear_error)
{
    NetNicConfig nic;
    NetSlirpConfig cfg;
    g_autoptr(GError) err = NULL;
    int busy = tcp_listener_in(ns_self, "127.0.0.1", 15099);

    cr_assert(net_nic_config_parse("user,hostfwd=tcp::15099-:22", &nic, &err));
    net_slirp_config_from_nic(&cfg, &nic, 0);
    sl = net_slirp_new(clk, ctx, &cfg, &err);
    cr_assert_null(sl);
    cr_assert_not_null(err);
    cr_assert(strstr(err->message, "15099"), "%s", err->message);
    close(busy);
}

/* A SYN to dst:port from the guest, split into two IP fragments. */
static void send_fragmented_syn(const uint8_t dst[4], uint16_t port)
{
    uint8_t tcp[24] = {0};
    net_put16(tcp, 42000);
    net_put16(tcp + 2, port);
    net_put32(tcp + 4, 777);
    tcp[12] = 6 << 4;
    tcp[13] = TCPF_SYN;
    net_put16(tcp + 14, 65535);
    tcp[20] = 2;
    tcp[21] = 4;
    net_put16(tcp + 22, 1460);
    net_put16(tcp + 16, net_l4_csum(IP_GUEST, dst, IPPROTO_TCP_, tcp, 24));
    for (int part = 0; part < 2; part++) {
        uint8_t f[60] = {0};
        uint8_t *ip = f + 14;
        size_t plen = part ? 16 : 8;
        memcpy(f, g.gw_mac, 6);
        memcpy(f + 6, GUEST_MAC, 6);
        net_put16(f + 12, ETHTYPE_IPV4);
        ip[0] = 0x45;
        net_put16(ip + 2, (uint16_t)(20 + plen));
        net_put16(ip + 4, 0x4242);
        net_put16(ip + 6, part ? 1 : 0x2000); /* offset 8 bytes / MF */
        ip[8] = 64;
        ip[9] = IPPROTO_TCP_;
        memcpy(ip + 12, IP_GUEST, 4);
        memcpy(ip + 16, dst, 4);
        net_ipv4_set_csum(ip, 20);
        memcpy(ip + 20, tcp + (part ? 8 : 0), plen);
        net_port_send(&g.port, f, sizeof(f));
    }
}

static int accept_within(int lfd, unsigned iterations)
{
    int c = -1;
    for (unsigned i = 0; i < iterations && c < 0; i++) {
        pump_for(1);
        c = accept(lfd, NULL, NULL);
    }
    return c;
}

Test(slirp, fragmented_syn_to_the_host_is_refused_too)
{
    int lfd = tcp_listener_in(ns_self, "0.0.0.0", 6002);
    start("user");
    guest_up();
    send_fragmented_syn(IP_HOST_VETH, 6002);
    cr_assert_lt(accept_within(lfd, 300), 0, "no connection arrives");
    cr_assert_geq(net_slirp_stats(sl)->host_protect_drops, 2);
    close(lfd);
}

Test(slirp, fragmented_syn_reaches_the_host_with_hostaccess)
{
    int lfd = tcp_listener_in(ns_self, "0.0.0.0", 6002);
    start("user,hostaccess=on");
    guest_up();
    send_fragmented_syn(IP_HOST_VETH, 6002);
    int c = accept_within(lfd, 2000);
    cr_assert_geq(c, 0, "slirp reassembled the SYN and connected");
    close(c);
    close(lfd);
}
