/*
 * A minimal guest TCP/IP stack for tests (see guest_stack.h).
 */
#include "guest_stack.h"
#include "net/inet.h"

#include <string.h>

#define GUEST_MSS 1460
#define GUEST_WND 65535

static const uint8_t BCAST[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

static void guest_send_ip(Guest *g, const uint8_t dst[4], uint8_t proto,
                          const uint8_t *l4, size_t l4_len)
{
    uint8_t f[1600] = {0};
    uint8_t *ip = f + 14;
    bool bcast = !memcmp(dst, "\xff\xff\xff\xff", 4);
    size_t len;

    memcpy(f, bcast ? BCAST : g->gw_mac, 6);
    memcpy(f + 6, g->mac, 6);
    net_put16(f + 12, ETHTYPE_IPV4);
    ip[0] = 0x45;
    net_put16(ip + 2, (uint16_t)(20 + l4_len));
    net_put16(ip + 4, g->ip_id++);
    ip[6] = 0x40; /* DF */
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, g->ip, 4);
    memcpy(ip + 16, dst, 4);
    net_ipv4_set_csum(ip, 20);
    memcpy(ip + 20, l4, l4_len);
    len = 14 + 20 + l4_len;
    net_port_send(&g->port, f, len < 60 ? 60 : len);
}

void guest_udp_send(Guest *g, const uint8_t dst[4], uint16_t sport,
                    uint16_t dport, const uint8_t *data, size_t len)
{
    uint8_t u[1500];
    net_put16(u, sport);
    net_put16(u + 2, dport);
    net_put16(u + 4, (uint16_t)(8 + len));
    net_put16(u + 6, 0);
    memcpy(u + 8, data, len);
    net_put16(u + 6, net_l4_csum(g->ip, dst, IPPROTO_UDP_, u, 8 + len));
    guest_send_ip(g, dst, IPPROTO_UDP_, u, 8 + len);
}

static void guest_tcp_segment(Guest *g, uint8_t flags, uint32_t seq,
                              const uint8_t *data, size_t len)
{
    GuestTcp *t = &g->tcp;
    uint8_t s[1600];
    size_t hl = (flags & TCPF_SYN) ? 24 : 20;

    memset(s, 0, hl);
    net_put16(s, t->lport);
    net_put16(s + 2, t->rport);
    net_put32(s + 4, seq);
    net_put32(s + 8, (flags & TCPF_ACK) ? t->rcv_nxt : 0);
    s[12] = (uint8_t)((hl / 4) << 4);
    s[13] = flags;
    net_put16(s + 14, GUEST_WND);
    if (flags & TCPF_SYN) {
        s[20] = 2; /* MSS */
        s[21] = 4;
        net_put16(s + 22, GUEST_MSS);
    }
    if (len) {
        memcpy(s + hl, data, len);
    }
    net_put16(s + 16, net_l4_csum(g->ip, t->rip, IPPROTO_TCP_, s, hl + len));
    guest_send_ip(g, t->rip, IPPROTO_TCP_, s, hl + len);
}

void guest_arp_request(Guest *g, const uint8_t ip[4])
{
    uint8_t f[60] = {0};
    memcpy(f, BCAST, 6);
    memcpy(f + 6, g->mac, 6);
    net_put16(f + 12, ETHTYPE_ARP);
    net_put16(f + 14, 1);
    net_put16(f + 16, ETHTYPE_IPV4);
    f[18] = 6;
    f[19] = 4;
    net_put16(f + 20, 1);
    memcpy(f + 22, g->mac, 6);
    memcpy(f + 28, g->ip, 4);
    memcpy(f + 38, ip, 4);
    net_port_send(&g->port, f, sizeof(f));
}

static void guest_arp_in(Guest *g, const uint8_t *f, size_t len)
{
    if (len < 42) {
        return;
    }
    uint16_t op = net_get16(f + 20);
    if (op == 1 && !memcmp(f + 38, g->ip, 4)) {
        uint8_t r[60] = {0};
        memcpy(r, f + 22, 6);
        memcpy(r + 6, g->mac, 6);
        net_put16(r + 12, ETHTYPE_ARP);
        memcpy(r + 14, f + 14, 6);
        net_put16(r + 20, 2);
        memcpy(r + 22, g->mac, 6);
        memcpy(r + 28, g->ip, 4);
        memcpy(r + 32, f + 22, 10);
        net_port_send(&g->port, r, sizeof(r));
    } else if (op == 2) {
        memcpy(g->gw_mac, f + 22, 6);
        g->gw_known = true;
    }
}

static void guest_dhcp_send(Guest *g, uint8_t type)
{
    uint8_t b[300] = {0};
    uint8_t *o = b + 240;

    b[0] = 1; /* BOOTREQUEST */
    b[1] = 1;
    b[2] = 6;
    net_put32(b + 4, g->xid);
    net_put16(b + 10, 0x8000); /* broadcast replies */
    memcpy(b + 28, g->mac, 6);
    net_put32(b + 236, 0x63825363);
    *o++ = 53;
    *o++ = 1;
    *o++ = type;
    if (type == 3) {
        *o++ = 50;
        *o++ = 4;
        memcpy(o, g->offered, 4);
        o += 4;
        *o++ = 54;
        *o++ = 4;
        memcpy(o, g->server_id, 4);
        o += 4;
    }
    *o++ = 255;
    guest_udp_send(g, (const uint8_t *)"\xff\xff\xff\xff", 68, 67, b,
                   sizeof(b));
}

void guest_dhcp_discover(Guest *g)
{
    g->xid = 0x12345678;
    g->dhcp = 1;
    guest_dhcp_send(g, 1);
}

static void guest_dhcp_in(Guest *g, const uint8_t *b, size_t len)
{
    uint8_t type = 0;
    uint8_t router[4] = {0}, dns[4] = {0}, sid[4] = {0};

    if (len < 240 || b[0] != 2 || net_get32(b + 4) != g->xid ||
        net_get32(b + 236) != 0x63825363) {
        return;
    }
    for (size_t i = 240; i < len && b[i] != 255;) {
        if (b[i] == 0) {
            i++;
            continue;
        }
        if (i + 2 > len || i + 2 + b[i + 1] > len) {
            break;
        }
        const uint8_t *v = b + i + 2;
        uint8_t ol = b[i + 1];
        if (b[i] == 53 && ol >= 1) {
            type = v[0];
        } else if (b[i] == 3 && ol >= 4) {
            memcpy(router, v, 4);
        } else if (b[i] == 6 && ol >= 4) {
            memcpy(dns, v, 4);
        } else if (b[i] == 54 && ol >= 4) {
            memcpy(sid, v, 4);
        }
        i += 2 + ol;
    }
    if (type == 2 && g->dhcp == 1) {
        memcpy(g->offered, b + 16, 4);
        memcpy(g->server_id, sid, 4);
        g->dhcp = 2;
        guest_dhcp_send(g, 3);
    } else if (type == 5 && g->dhcp == 2) {
        memcpy(g->ip, b + 16, 4);
        memcpy(g->router, router, 4);
        memcpy(g->dns, dns, 4);
        g->dhcp = 3;
    }
}

static void guest_tcp_in(Guest *g, const uint8_t *ip, const uint8_t *s,
                         size_t len)
{
    GuestTcp *t = &g->tcp;
    size_t hl;
    uint8_t fl;
    uint32_t seq, ack;

    if (len < 20 || (hl = (size_t)(s[12] >> 4) * 4) > len ||
        net_get16(s + 2) != t->lport) {
        return;
    }
    fl = s[13];
    seq = net_get32(s + 4);
    ack = net_get32(s + 8);
    if (fl & TCPF_RST) {
        t->rst = true;
        t->state = GTCP_CLOSED;
        return;
    }
    if (t->state == GTCP_LISTEN && (fl & TCPF_SYN)) {
        memcpy(t->rip, ip + 12, 4);
        t->rport = net_get16(s);
        t->rcv_nxt = seq + 1;
        t->snd_una = t->snd_nxt = t->iss;
        t->peer_wnd = net_get16(s + 14);
        guest_tcp_segment(g, TCPF_SYN | TCPF_ACK, t->snd_nxt++, NULL, 0);
        t->state = GTCP_SYN_RCVD;
        return;
    }
    if (t->state == GTCP_SYN_SENT && (fl & TCPF_SYN) && (fl & TCPF_ACK)) {
        t->rcv_nxt = seq + 1;
        t->snd_una = ack;
        t->peer_wnd = net_get16(s + 14);
        t->state = GTCP_ESTABLISHED;
        guest_tcp_segment(g, TCPF_ACK, t->snd_nxt, NULL, 0);
        return;
    }
    if (t->state < GTCP_SYN_RCVD || !(fl & TCPF_ACK)) {
        return;
    }
    if (t->state == GTCP_SYN_RCVD) {
        t->state = GTCP_ESTABLISHED;
    }
    if ((int32_t)(ack - t->snd_una) > 0 && (int32_t)(ack - t->snd_nxt) <= 0) {
        t->snd_una = ack;
        t->stall = 0;
    }
    t->peer_wnd = net_get16(s + 14);
    size_t dlen = len - hl;
    if (dlen || (fl & TCPF_FIN)) {
        if (seq == t->rcv_nxt) {
            g_byte_array_append(t->rx, s + hl, (guint)dlen);
            t->rcv_nxt += (uint32_t)dlen;
            if (fl & TCPF_FIN) {
                t->rcv_nxt++;
                t->fin_rcvd = true;
            }
        }
        guest_tcp_segment(g, TCPF_ACK, t->snd_nxt, NULL, 0);
    }
}

static ssize_t guest_receive(NetPort *self, const uint8_t *f, size_t len)
{
    Guest *g = self->opaque;
    NetIpv4View v;

    if (len < 14) {
        return (ssize_t)len;
    }
    if (net_get16(f + 12) == ETHTYPE_ARP) {
        guest_arp_in(g, f, len);
        return (ssize_t)len;
    }
    if (!net_ipv4_parse(f, len, &v) || !v.l4) {
        return (ssize_t)len;
    }
    if (v.proto == IPPROTO_UDP_ && v.l4_len >= 8) {
        uint16_t dport = net_get16(v.l4 + 2);
        if (dport == 68) {
            if (!g->gw_known) { /* the DHCP server is our way out */
                memcpy(g->gw_mac, f + 6, 6);
                g->gw_known = true;
            }
            guest_dhcp_in(g, v.l4 + 8, v.l4_len - 8);
        } else {
            g->udp_got = true;
            memcpy(g->udp_src, v.ip + 12, 4);
            g->udp_sport = net_get16(v.l4);
            g->udp_dport = dport;
            g_byte_array_set_size(g->udp_rx, 0);
            g_byte_array_append(g->udp_rx, v.l4 + 8, (guint)(v.l4_len - 8));
        }
    } else if (v.proto == IPPROTO_TCP_) {
        guest_tcp_in(g, v.ip, v.l4, v.l4_len);
    }
    return (ssize_t)len;
}

static const NetPortOps guest_ops = {.receive = guest_receive};

void guest_init(Guest *g, Clock *clk, const uint8_t mac[6])
{
    memset(g, 0, sizeof(*g));
    net_port_init(&g->port, clk, "guest", &guest_ops, g);
    memcpy(g->mac, mac, 6);
    net_port_set_mac(&g->port, mac);
    g->tcp.rx = g_byte_array_new();
    g->tcp.tx = g_byte_array_new();
    g->tcp.iss = 1000;
    g->udp_rx = g_byte_array_new();
}

void guest_cleanup(Guest *g)
{
    net_port_cleanup(&g->port);
    g_byte_array_unref(g->tcp.rx);
    g_byte_array_unref(g->tcp.tx);
    g_byte_array_unref(g->udp_rx);
}

void guest_set_ip(Guest *g, const uint8_t ip[4])
{
    memcpy(g->ip, ip, 4);
}

void guest_tcp_connect(Guest *g, const uint8_t dst[4], uint16_t dport,
                       uint16_t sport)
{
    GuestTcp *t = &g->tcp;
    memcpy(t->rip, dst, 4);
    t->rport = dport;
    t->lport = sport;
    t->snd_una = t->snd_nxt = t->iss;
    t->state = GTCP_SYN_SENT;
    t->rst = false;
    guest_tcp_segment(g, TCPF_SYN, t->snd_nxt++, NULL, 0);
}

void guest_tcp_listen(Guest *g, uint16_t port)
{
    g->tcp.lport = port;
    g->tcp.state = GTCP_LISTEN;
}

void guest_tcp_write(Guest *g, const uint8_t *data, size_t len)
{
    g_byte_array_append(g->tcp.tx, data, (guint)len);
}

void guest_poll(Guest *g)
{
    GuestTcp *t = &g->tcp;
    uint32_t base = t->iss + 1;

    if (t->state != GTCP_ESTABLISHED) {
        return;
    }
    if (t->snd_una != t->snd_nxt && ++t->stall > 300) {
        t->snd_nxt = t->snd_una; /* go back N */
        t->stall = 0;
    }
    for (int n = 0; n < 64; n++) {
        uint32_t off = t->snd_nxt - base;
        uint32_t inflight = t->snd_nxt - t->snd_una;
        size_t left = t->tx->len - off;
        size_t seg = MIN(left, (size_t)GUEST_MSS);
        if (!seg || inflight + seg > t->peer_wnd) {
            break;
        }
        guest_tcp_segment(g, TCPF_ACK | TCPF_PSH, t->snd_nxt, t->tx->data + off,
                          seg);
        t->snd_nxt += (uint32_t)seg;
    }
}
