/*
 * tulipvm: Shared networking (NAT) backend on libslirp 4.7 (see
 * net/slirp.h).
 *
 * libslirp is not thread-safe, so everything here runs on the emulation
 * thread: the NIC's frames arrive through the switch, and a custom GSource
 * on the emulation thread's GMainContext polls slirp's sockets
 * (prepare = slirp_pollfds_fill, dispatch = slirp_pollfds_poll).  Frames
 * slirp emits - possibly from inside slirp_input() - go out through our
 * NetPort; the port layer defers any that would re-enter the sender.
 */
#include "net/slirp.h"
#include "net/inet.h"
#include "emu/log.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <string.h>
#include <slirp/libslirp.h>

#define HOST_ADDRS_REFRESH_US G_USEC_PER_SEC
#define MIN_FRAME             60
#define UDP_REPLY_SLOTS       64

typedef struct NetSlirpTimer {
    Timer timer;
    NetSlirp *s;
    SlirpTimerId id;
    void *cb_opaque;
} NetSlirpTimer;

typedef struct NetSlirpSource {
    GSource source;
    NetSlirp *s;
} NetSlirpSource;

struct NetSlirp {
    NetPort port;
    Clock *clock;
    Slirp *slirp;
    NetSlirpSource *source;
    GArray *pollfds; /* GPollFD, attached to the source */
    GArray *pending; /* GPollFD, being filled */
    int64_t due_ns;  /* machine time slirp wants its timers run, or -1 */
    struct in_addr net, mask, host, dns;
    bool hostaccess;
    GArray *host_addrs; /* in_addr_t of the host's own addresses */
    gint64 host_addrs_at;
    /*
     * UDP flows the host side opened towards the guest (hostfwd udp):
     * the guest's answers to them are replies, not new connections.
     */
    struct {
        in_addr_t remote;
        uint16_t rport, gport;
    } udp_replies[UDP_REPLY_SLOTS];
    unsigned udp_reply_next;
    NetSlirpStats stats;
};

/* --- host protection ---------------------------------------------------- */

static void net_slirp_refresh_host_addrs(NetSlirp *s)
{
    struct ifaddrs *ifa, *i;

    g_array_set_size(s->host_addrs, 0);
    if (getifaddrs(&ifa) == 0) {
        for (i = ifa; i; i = i->ifa_next) {
            if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
                in_addr_t a =
                    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
                g_array_append_val(s->host_addrs, a);
            }
        }
        freeifaddrs(ifa);
    }
    s->host_addrs_at = g_get_monotonic_time();
}

static bool net_slirp_is_host_addr(NetSlirp *s, in_addr_t a)
{
    uint32_t h = ntohl(a);

    /* Loopback and "this host" always mean the host. */
    if ((h >> 24) == 127 || h == 0) {
        return true;
    }
    if (g_get_monotonic_time() - s->host_addrs_at > HOST_ADDRS_REFRESH_US) {
        net_slirp_refresh_host_addrs(s);
    }
    for (unsigned i = 0; i < s->host_addrs->len; i++) {
        if (g_array_index(s->host_addrs, in_addr_t, i) == a) {
            return true;
        }
    }
    return false;
}

static void net_slirp_note_udp_in(NetSlirp *s, const uint8_t *frame, size_t len)
{
    NetIpv4View v;
    in_addr_t src;

    if (!net_ipv4_parse(frame, len, &v) || v.proto != IPPROTO_UDP_ || !v.l4 ||
        v.l4_len < 8) {
        return;
    }
    memcpy(&src, v.ip + 12, 4);
    for (unsigned i = 0; i < UDP_REPLY_SLOTS; i++) {
        if (s->udp_replies[i].remote == src &&
            s->udp_replies[i].rport == net_get16(v.l4) &&
            s->udp_replies[i].gport == net_get16(v.l4 + 2)) {
            return;
        }
    }
    s->udp_replies[s->udp_reply_next].remote = src;
    s->udp_replies[s->udp_reply_next].rport = net_get16(v.l4);
    s->udp_replies[s->udp_reply_next].gport = net_get16(v.l4 + 2);
    s->udp_reply_next = (s->udp_reply_next + 1) % UDP_REPLY_SLOTS;
}

static bool net_slirp_is_udp_reply(NetSlirp *s, in_addr_t dst,
                                   const NetIpv4View *v)
{
    uint16_t sport = net_get16(v->l4), dport = net_get16(v->l4 + 2);

    for (unsigned i = 0; i < UDP_REPLY_SLOTS; i++) {
        if (s->udp_replies[i].remote == dst &&
            s->udp_replies[i].rport == dport &&
            s->udp_replies[i].gport == sport) {
            return true;
        }
    }
    return false;
}

/* Answer a refused SYN with RST|ACK, as a closed port would. */
static void net_slirp_send_rst(NetSlirp *s, const uint8_t *frame,
                               const NetIpv4View *v)
{
    uint8_t out[MIN_FRAME] = {0};
    uint8_t *ip = out + ETH_HLEN_, *tcp = ip + 20;
    const uint8_t *itcp = v->l4;
    size_t seglen = v->l4_len - (size_t)(itcp[12] >> 4) * 4 + 1; /* +SYN */

    memcpy(out, frame + 6, 6);
    memcpy(out + 6, frame, 6);
    net_put16(out + 12, ETHTYPE_IPV4);
    ip[0] = 0x45;
    net_put16(ip + 2, 40);
    ip[8] = 64;
    ip[9] = IPPROTO_TCP_;
    memcpy(ip + 12, v->ip + 16, 4);
    memcpy(ip + 16, v->ip + 12, 4);
    net_ipv4_set_csum(ip, 20);
    memcpy(tcp, itcp + 2, 2);
    memcpy(tcp + 2, itcp, 2);
    net_put32(tcp + 8, net_get32(itcp + 4) + (uint32_t)seglen);
    tcp[12] = 5 << 4;
    tcp[13] = TCPF_RST | TCPF_ACK;
    net_put16(tcp + 16, net_l4_csum(ip + 12, ip + 16, IPPROTO_TCP_, tcp, 20));
    net_port_send(&s->port, out, sizeof(out));
}

/* Whether a frame from the guest opens a connection to the host itself. */
static bool net_slirp_host_protect(NetSlirp *s, const uint8_t *frame,
                                   size_t len)
{
    NetIpv4View v;
    in_addr_t dst;
    bool syn, alias;
    uint16_t dport;

    if (s->hostaccess || !net_ipv4_parse(frame, len, &v)) {
        return false;
    }
    memcpy(&dst, v.ip + 16, 4);
    if (!v.l4 || (net_get16(v.ip + 6) & 0x2000)) {
        /*
         * A fragment: slirp reassembles before it looks at ports, so a SYN
         * split across fragments would slip past the checks below.  Drop
         * fragments for the host; only the DNS service may get them.
         */
        if (dst == s->dns.s_addr || ((dst & s->mask.s_addr) != s->net.s_addr &&
                                     !net_slirp_is_host_addr(s, dst))) {
            return false;
        }
        s->stats.host_protect_drops++;
        return true;
    }
    if (v.proto == IPPROTO_TCP_) {
        if (v.l4_len < 20 || (size_t)(v.l4[12] >> 4) * 4 > v.l4_len) {
            return false; /* slirp discards it anyway */
        }
        syn = (v.l4[13] & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
        if (!syn) {
            return false;
        }
    } else if (v.proto == IPPROTO_UDP_) {
        if (v.l4_len < 8) {
            return false;
        }
    } else {
        return false;
    }
    dport = net_get16(v.l4 + 2);
    if (v.proto == IPPROTO_UDP_ && net_slirp_is_udp_reply(s, dst, &v)) {
        return false;
    }
    alias = (dst & s->mask.s_addr) == s->net.s_addr;
    if (alias) {
        /* slirp maps its aliases to the host; only DNS and DHCP may pass. */
        if ((dst == s->dns.s_addr && dport == 53) ||
            (v.proto == IPPROTO_UDP_ && dport == 67)) {
            return false;
        }
    } else if (!net_slirp_is_host_addr(s, dst)) {
        return false;
    }
    s->stats.host_protect_drops++;
    TRACE(TRACE_SLIRP, "host protection: %s to %s:%u refused",
          v.proto == IPPROTO_TCP_ ? "tcp" : "udp",
          inet_ntoa((struct in_addr){dst}), dport);
    if (v.proto == IPPROTO_TCP_) {
        net_slirp_send_rst(s, frame, &v);
    }
    return true;
}

/* --- frames ----------------------------------------------------------- */

static ssize_t net_slirp_receive(NetPort *self, const uint8_t *frame,
                                 size_t len)
{
    NetSlirp *s = self->opaque;

    if (len > NET_MAX_FRAME || net_slirp_host_protect(s, frame, len)) {
        return (ssize_t)len;
    }
    slirp_input(s->slirp, frame, (int)len);
    return (ssize_t)len;
}

static const NetPortOps net_slirp_port_ops = {
    .receive = net_slirp_receive,
};

static ssize_t net_slirp_send_packet(const void *buf, size_t len, void *opaque)
{
    NetSlirp *s = opaque;
    uint8_t padded[MIN_FRAME];
    const uint8_t *f = buf;

    if (!s->hostaccess) {
        net_slirp_note_udp_in(s, buf, len);
    }
    /* A wire never carries runts: pad as an Ethernet MAC would. */
    if (len < MIN_FRAME) {
        memcpy(padded, buf, len);
        memset(padded + len, 0, MIN_FRAME - len);
        f = padded;
        len = MIN_FRAME;
    }
    if (net_port_send(&s->port, f, len) < 0) {
        /* Allowed by the libslirp contract: TCP retransmits. */
        s->stats.to_guest_dropped++;
    }
    return (ssize_t)len;
}

/* --- callbacks ---------------------------------------------------------- */

static void net_slirp_guest_error(const char *msg, void *opaque)
{
    (void)opaque;
    emu_log(LOG_GUEST_ERROR, "slirp: %s", msg);
}

static int64_t net_slirp_clock_get_ns(void *opaque)
{
    NetSlirp *s = opaque;
    return clock_now_ns(s->clock);
}

static void net_slirp_timer_cb(void *opaque)
{
    NetSlirpTimer *t = opaque;
    slirp_handle_timer(t->s->slirp, t->id, t->cb_opaque);
}

static void *net_slirp_timer_new_opaque(SlirpTimerId id, void *cb_opaque,
                                        void *opaque)
{
    NetSlirp *s = opaque;
    NetSlirpTimer *t = g_new0(NetSlirpTimer, 1);
    t->s = s;
    t->id = id;
    t->cb_opaque = cb_opaque;
    timer_init(&t->timer, s->clock, net_slirp_timer_cb, t);
    return t;
}

static void net_slirp_timer_free(void *timer, void *opaque)
{
    NetSlirpTimer *t = timer;
    (void)opaque;
    timer_del(&t->timer);
    g_free(t);
}

/* expire is absolute, in milliseconds of clock_get_ns()'s time base. */
static void net_slirp_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    NetSlirpTimer *t = timer;
    (void)opaque;
    timer_mod_ns(&t->timer, expire_ms * 1000000);
}

static void net_slirp_register_poll_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

static void net_slirp_notify(void *opaque)
{
    NetSlirp *s = opaque;
    g_main_context_wakeup(g_source_get_context(&s->source->source));
}

static void net_slirp_init_completed(Slirp *slirp, void *opaque)
{
    NetSlirp *s = opaque;
    s->slirp = slirp;
}

static const SlirpCb net_slirp_cb = {
    .send_packet = net_slirp_send_packet,
    .guest_error = net_slirp_guest_error,
    .clock_get_ns = net_slirp_clock_get_ns,
    .timer_free = net_slirp_timer_free,
    .timer_mod = net_slirp_timer_mod,
    .register_poll_fd = net_slirp_register_poll_fd,
    .unregister_poll_fd = net_slirp_register_poll_fd,
    .notify = net_slirp_notify,
    .init_completed = net_slirp_init_completed,
    .timer_new_opaque = net_slirp_timer_new_opaque,
};

/* --- GLib integration ------------------------------------------------- */

static int net_slirp_add_poll(int fd, int events, void *opaque)
{
    NetSlirp *s = opaque;
    GPollFD pfd = {.fd = fd};

    if (events & SLIRP_POLL_IN) {
        pfd.events |= G_IO_IN;
    }
    if (events & SLIRP_POLL_OUT) {
        pfd.events |= G_IO_OUT;
    }
    if (events & SLIRP_POLL_PRI) {
        pfd.events |= G_IO_PRI;
    }
    if (events & SLIRP_POLL_ERR) {
        pfd.events |= G_IO_ERR;
    }
    if (events & SLIRP_POLL_HUP) {
        pfd.events |= G_IO_HUP;
    }
    g_array_append_val(s->pending, pfd);
    return (int)s->pending->len - 1;
}

static int net_slirp_get_revents(int idx, void *opaque)
{
    NetSlirp *s = opaque;
    int r = 0;
    gushort ev;

    if (idx < 0 || (unsigned)idx >= s->pollfds->len) {
        return 0;
    }
    ev = g_array_index(s->pollfds, GPollFD, idx).revents;
    if (ev & G_IO_IN) {
        r |= SLIRP_POLL_IN;
    }
    if (ev & G_IO_OUT) {
        r |= SLIRP_POLL_OUT;
    }
    if (ev & G_IO_PRI) {
        r |= SLIRP_POLL_PRI;
    }
    if (ev & G_IO_ERR) {
        r |= SLIRP_POLL_ERR;
    }
    if (ev & G_IO_HUP) {
        r |= SLIRP_POLL_HUP;
    }
    return r;
}

static gboolean net_slirp_prepare(GSource *source, gint *timeout)
{
    NetSlirp *s = ((NetSlirpSource *)source)->s;
    uint32_t to = UINT32_MAX;
    GArray *tmp;

    g_array_set_size(s->pending, 0);
    slirp_pollfds_fill(s->slirp, &to, net_slirp_add_poll, s);
    if (s->pending->len == s->pollfds->len) {
        /*
         * As many sockets as last time: rewrite the attached records in
         * place (the context reads them afresh when it builds its poll
         * set).  Adding or removing a poll wakes the context, so doing it
         * on every prepare made the following poll return at once and the
         * thread spin instead of sleeping.
         */
        for (unsigned i = 0; i < s->pollfds->len; i++) {
            GPollFD *cur = &g_array_index(s->pollfds, GPollFD, i);
            const GPollFD *want = &g_array_index(s->pending, GPollFD, i);
            cur->fd = want->fd;
            cur->events = want->events;
            cur->revents = 0;
        }
    } else {
        for (unsigned i = 0; i < s->pollfds->len; i++) {
            g_source_remove_poll(source,
                                 &g_array_index(s->pollfds, GPollFD, i));
        }
        /* The attached array must not move: swap in the finished one. */
        tmp = s->pollfds;
        s->pollfds = s->pending;
        s->pending = tmp;
        for (unsigned i = 0; i < s->pollfds->len; i++) {
            g_source_add_poll(source, &g_array_index(s->pollfds, GPollFD, i));
        }
    }
    *timeout = to == UINT32_MAX ? -1 : (gint)MIN(to, (uint32_t)G_MAXINT);
    /*
     * slirp's timers count machine time (clock_get_ns), so does its due.
     * slirp answers "run me within N ms" afresh on every call, so keep the
     * earliest answer until a dispatch, or a steady poller never gets due.
     */
    if (to != UINT32_MAX) {
        int64_t due = clock_now_ns(s->clock) + (int64_t)*timeout * 1000000;
        if (s->due_ns < 0 || due < s->due_ns) {
            s->due_ns = due;
        }
    }
    return *timeout == 0;
}

static gboolean net_slirp_check(GSource *source)
{
    NetSlirp *s = ((NetSlirpSource *)source)->s;

    for (unsigned i = 0; i < s->pollfds->len; i++) {
        if (g_array_index(s->pollfds, GPollFD, i).revents) {
            return TRUE;
        }
    }
    /* slirp's TCP timers run from slirp_pollfds_poll once they are due. */
    return s->due_ns >= 0 && clock_now_ns(s->clock) >= s->due_ns;
}

static gboolean net_slirp_dispatch(GSource *source, GSourceFunc cb,
                                   gpointer data)
{
    NetSlirp *s = ((NetSlirpSource *)source)->s;
    (void)cb;
    (void)data;
    s->due_ns = -1;
    slirp_pollfds_poll(s->slirp, 0, net_slirp_get_revents, s);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs net_slirp_source_funcs = {
    .prepare = net_slirp_prepare,
    .check = net_slirp_check,
    .dispatch = net_slirp_dispatch,
};

/* --- lifecycle ---------------------------------------------------------- */

void net_slirp_config_from_nic(NetSlirpConfig *cfg, const NetNicConfig *nic,
                               unsigned adapter_index)
{
    memset(cfg, 0, sizeof(*cfg));
    if (nic->has_net) {
        cfg->net = nic->net_addr;
        cfg->mask = nic->net_mask;
    } else {
        /* VirtualBox and 86Box: adapter n on 10.0.(2+n).0/24. */
        cfg->net.s_addr =
            htonl(0x0A000000u | (2 + (adapter_index & 0xFF)) << 8);
        cfg->mask.s_addr = htonl(0xFFFFFF00u);
    }
    cfg->restricted = nic->restricted;
    cfg->hostaccess = nic->hostaccess;
    cfg->hostfwd = nic->hostfwd;
    cfg->n_hostfwd = nic->n_hostfwd;
}

NetSlirp *net_slirp_new(Clock *clock, GMainContext *ctx,
                        const NetSlirpConfig *cfg, GError **errp)
{
    NetSlirp *s = g_new0(NetSlirp, 1);
    SlirpConfig sc = {.version = 4};
    uint32_t net, mask;

    s->clock = clock;
    net = cfg->net.s_addr ? ntohl(cfg->net.s_addr) : 0x0A000200u;
    mask = cfg->mask.s_addr ? ntohl(cfg->mask.s_addr) : 0xFFFFFF00u;
    s->net.s_addr = htonl(net & mask);
    s->mask.s_addr = htonl(mask);
    s->host.s_addr = htonl((net & mask) | 2);
    s->dns.s_addr = htonl((net & mask) | 3);
    s->hostaccess = cfg->hostaccess;
    s->due_ns = -1;
    s->host_addrs = g_array_new(FALSE, FALSE, sizeof(in_addr_t));
    net_slirp_refresh_host_addrs(s);
    s->pollfds = g_array_new(FALSE, TRUE, sizeof(GPollFD));
    s->pending = g_array_new(FALSE, TRUE, sizeof(GPollFD));
    net_port_init(&s->port, clock, "slirp", &net_slirp_port_ops, s);

    sc.restricted = cfg->restricted;
    sc.in_enabled = true;
    sc.vnetwork = s->net;
    sc.vnetmask = s->mask;
    sc.vhost = s->host;
    sc.vdhcp_start.s_addr = htonl((net & mask) | 15);
    sc.vnameserver = s->dns;
    sc.vhostname = cfg->hostname;
    /*
     * Host protection is our filter's job (net_slirp_host_protect), which
     * also covers the host's other addresses.  libslirp's
     * disable_host_loopback would in addition make slirp refuse to send
     * the guest's replies to a udp hostfwd client on the host's loopback.
     */
    sc.disable_host_loopback = false;
    sc.enable_emu = false;

    /* The source must exist before slirp_new: notify may run early. */
    s->source = (NetSlirpSource *)g_source_new(&net_slirp_source_funcs,
                                               sizeof(NetSlirpSource));
    s->source->s = s;
    g_source_attach(&s->source->source, ctx);
    if (!slirp_new(&sc, &net_slirp_cb, s) || !s->slirp) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "user: libslirp refused the configuration");
        net_slirp_free(s);
        return NULL;
    }
    for (unsigned i = 0; i < cfg->n_hostfwd; i++) {
        const NetHostFwd *f = &cfg->hostfwd[i];
        if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port,
                              f->guest_addr, f->guest_port) < 0) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                        "hostfwd=%s:%s:%u: cannot listen on the host port "
                        "(in use, or below 1024 without privilege)",
                        f->udp ? "udp" : "tcp", inet_ntoa(f->host_addr),
                        f->host_port);
            net_slirp_free(s);
            return NULL;
        }
    }
    return s;
}

void net_slirp_free(NetSlirp *s)
{
    if (!s) {
        return;
    }
    net_port_cleanup(&s->port);
    if (s->source) {
        g_source_destroy(&s->source->source);
        g_source_unref(&s->source->source);
    }
    if (s->slirp) {
        slirp_cleanup(s->slirp);
    }
    g_array_free(s->pollfds, TRUE);
    g_array_free(s->pending, TRUE);
    g_array_free(s->host_addrs, TRUE);
    g_free(s);
}

NetPort *net_slirp_port(NetSlirp *s)
{
    return &s->port;
}

const NetSlirpStats *net_slirp_stats(const NetSlirp *s)
{
    return &s->stats;
}
