/*
 * tulipvm: DHCP server for local-only segments (see net/dhcpd.h).
 * Message layout per RFC 2131 section 2, options per RFC 2132.
 */
#include "net/dhcpd.h"
#include "net/inet.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#define BOOTP_FIXED   236
#define DHCP_MAGIC    0x63825363u
#define DHCP_DISCOVER 1
#define DHCP_OFFER    2
#define DHCP_REQUEST  3
#define DHCP_ACK      5
#define DHCP_NAK      6

static void net_dhcpd_load(NetDhcpd *d)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!d->lease_file ||
        !g_file_get_contents(d->lease_file, &text, NULL, NULL)) {
        return;
    }
    memset(d->leases, 0, sizeof(d->leases));
    lines = g_strsplit(text, "\n", -1);
    for (unsigned i = 0; lines[i]; i++) {
        unsigned idx, m[6];
        if (sscanf(lines[i], "%u %x:%x:%x:%x:%x:%x", &idx, &m[0], &m[1], &m[2],
                   &m[3], &m[4], &m[5]) == 7 &&
            idx < NET_DHCPD_POOL) {
            for (int k = 0; k < 6; k++) {
                d->leases[idx].mac[k] = (uint8_t)m[k];
            }
            d->leases[idx].used = true;
        }
    }
}

static void net_dhcpd_save(NetDhcpd *d)
{
    GString *s;

    if (!d->lease_file) {
        return;
    }
    s = g_string_new(NULL);
    for (unsigned i = 0; i < NET_DHCPD_POOL; i++) {
        const uint8_t *m = d->leases[i].mac;
        if (d->leases[i].used) {
            g_string_append_printf(s, "%u %02x:%02x:%02x:%02x:%02x:%02x\n", i,
                                   m[0], m[1], m[2], m[3], m[4], m[5]);
        }
    }
    /* Atomic replace: a reader never sees half a file. */
    g_file_set_contents(d->lease_file, s->str, (gssize)s->len, NULL);
    g_string_free(s, TRUE);
}

void net_dhcpd_init(NetDhcpd *d, const char *lease_file)
{
    static const uint8_t mac[6] = {0x02, 0x54, 0x56, 0x4C, 0x00, 0x01};

    memset(d, 0, sizeof(*d));
    memcpy(d->mac, mac, 6);
    d->server_ip = 0xC0A84D01u; /* 192.168.77.1 */
    d->netmask = 0xFFFFFF00u;
    d->pool_start = 0xC0A84D64u; /* .100 */
    d->lease_secs = 3600;
    d->lease_file = g_strdup(lease_file);
}

void net_dhcpd_cleanup(NetDhcpd *d)
{
    g_free(d->lease_file);
    d->lease_file = NULL;
}

/* Index of the lease for mac, allocating one if asked; -1 if none. */
static int net_dhcpd_lease(NetDhcpd *d, const uint8_t *mac, bool alloc)
{
    net_dhcpd_load(d); /* another server may have written it */
    for (int i = 0; i < NET_DHCPD_POOL; i++) {
        if (d->leases[i].used && !memcmp(d->leases[i].mac, mac, 6)) {
            return i;
        }
    }
    if (!alloc) {
        return -1;
    }
    for (int i = 0; i < NET_DHCPD_POOL; i++) {
        if (!d->leases[i].used) {
            d->leases[i].used = true;
            memcpy(d->leases[i].mac, mac, 6);
            net_dhcpd_save(d);
            return i;
        }
    }
    return -1;
}

/* Finds option code in the options area; returns its value or NULL. */
static const uint8_t *dhcp_opt(const uint8_t *opt, size_t len, uint8_t code,
                               uint8_t *olen)
{
    size_t i = 0;
    while (i < len && opt[i] != 255) {
        if (opt[i] == 0) {
            i++;
            continue;
        }
        if (i + 2 > len || i + 2 + opt[i + 1] > len) {
            return NULL;
        }
        if (opt[i] == code) {
            *olen = opt[i + 1];
            return opt + i + 2;
        }
        i += 2 + (size_t)opt[i + 1];
    }
    return NULL;
}

size_t net_dhcpd_handle(NetDhcpd *d, const uint8_t *frame, size_t len,
                        uint8_t *out, size_t out_size)
{
    NetIpv4View v;
    const uint8_t *b, *o;
    size_t blen;
    uint8_t olen = 0, type, reply;
    int idx;
    uint32_t yiaddr = 0;

    if (out_size < 600 || !net_ipv4_parse(frame, len, &v) ||
        v.proto != IPPROTO_UDP_ || !v.l4 || v.l4_len < 8 + BOOTP_FIXED + 4 ||
        net_get16(v.l4 + 2) != 67) {
        return 0;
    }
    b = v.l4 + 8;
    blen = v.l4_len - 8;
    if (b[0] != 1 || b[1] != 1 || b[2] != 6 ||
        net_get32(b + BOOTP_FIXED) != DHCP_MAGIC) {
        return 0;
    }
    o = dhcp_opt(b + 240, blen - 240, 53, &olen);
    if (!o || olen < 1) {
        return 0;
    }
    type = o[0];
    if (type == DHCP_DISCOVER) {
        idx = net_dhcpd_lease(d, b + 28, true);
        if (idx < 0) {
            return 0; /* pool exhausted: stay silent, as servers do */
        }
        reply = DHCP_OFFER;
    } else if (type == DHCP_REQUEST) {
        const uint8_t *sid = dhcp_opt(b + 240, blen - 240, 54, &olen);
        if (sid && olen == 4 && net_get32(sid) != d->server_ip) {
            return 0; /* the client chose another server */
        }
        const uint8_t *req = dhcp_opt(b + 240, blen - 240, 50, &olen);
        uint32_t want = req && olen == 4 ? net_get32(req) : net_get32(b + 12);
        idx = net_dhcpd_lease(d, b + 28, false);
        reply = idx >= 0 && want == d->pool_start + (uint32_t)idx ? DHCP_ACK
                                                                  : DHCP_NAK;
    } else {
        return 0;
    }
    if (reply != DHCP_NAK) {
        yiaddr = d->pool_start + (uint32_t)idx;
    }

    /* Ethernet + IPv4 + UDP + BOOTP reply, broadcast (RFC 2131 4.1). */
    memset(out, 0, 600);
    uint8_t *ip = out + 14, *udp = ip + 20, *r = udp + 8, *p = r + 240;
    memset(out, 0xFF, 6);
    memcpy(out + 6, d->mac, 6);
    net_put16(out + 12, ETHTYPE_IPV4);
    r[0] = 2; /* BOOTREPLY */
    r[1] = 1;
    r[2] = 6;
    memcpy(r + 4, b + 4, 4);   /* xid */
    memcpy(r + 10, b + 10, 2); /* flags */
    net_put32(r + 16, yiaddr);
    net_put32(r + 20, d->server_ip);
    memcpy(r + 28, b + 28, 16); /* chaddr */
    net_put32(r + BOOTP_FIXED, DHCP_MAGIC);
    *p++ = 53;
    *p++ = 1;
    *p++ = reply;
    *p++ = 54;
    *p++ = 4;
    net_put32(p, d->server_ip);
    p += 4;
    if (reply != DHCP_NAK) {
        *p++ = 1;
        *p++ = 4;
        net_put32(p, d->netmask);
        p += 4;
        *p++ = 51;
        *p++ = 4;
        net_put32(p, d->lease_secs);
        p += 4;
    }
    *p++ = 255;
    size_t bootp_len = MAX((size_t)(p - r), (size_t)300);
    size_t udp_len = 8 + bootp_len;
    net_put16(udp, 67);
    net_put16(udp + 2, 68);
    net_put16(udp + 4, (uint16_t)udp_len);
    ip[0] = 0x45;
    net_put16(ip + 2, (uint16_t)(20 + udp_len));
    ip[8] = 64;
    ip[9] = IPPROTO_UDP_;
    net_put32(ip + 12, d->server_ip);
    net_put32(ip + 16, 0xFFFFFFFFu);
    net_ipv4_set_csum(ip, 20);
    net_put16(udp + 6,
              net_l4_csum(ip + 12, ip + 16, IPPROTO_UDP_, udp, udp_len));
    return 14 + 20 + udp_len;
}
