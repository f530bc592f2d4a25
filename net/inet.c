/*
 * tulipvm: IPv4 header helpers (see net/inet.h).
 *
 * Checksums are RFC 1071 one's-complement sums over big-endian 16-bit
 * words; TCP and UDP add the IPv4 pseudo-header (RFC 793, RFC 768).
 * Nothing here trusts a length field it has not compared with the frame.
 */
#include "net/inet.h"

#include <string.h>

uint32_t net_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)(data[i] << 8 | data[i + 1]);
    }
    if (i < len) {
        sum += (uint32_t)data[i] << 8;
    }
    return sum;
}

uint16_t net_csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

uint16_t net_l4_csum(const uint8_t *ip_src, const uint8_t *ip_dst,
                     uint8_t proto, const uint8_t *l4, size_t l4_len)
{
    uint32_t sum = 0;
    sum = net_csum_add(sum, ip_src, 4);
    sum = net_csum_add(sum, ip_dst, 4);
    sum += proto;
    sum += (uint32_t)l4_len;
    sum = net_csum_add(sum, l4, l4_len);
    return net_csum_fold(sum);
}

bool net_ipv4_parse(const uint8_t *frame, size_t len, NetIpv4View *v)
{
    const uint8_t *ip = frame + ETH_HLEN_;
    size_t hlen, tot;

    if (len < ETH_HLEN_ + 20 || net_get16(frame + 12) != ETHTYPE_IPV4) {
        return false;
    }
    if ((ip[0] >> 4) != 4) {
        return false;
    }
    hlen = (size_t)(ip[0] & 0xF) * 4;
    tot = net_get16(ip + 2);
    if (hlen < 20 || tot < hlen || ETH_HLEN_ + tot > len) {
        return false;
    }
    v->ip = ip;
    v->ip_hlen = hlen;
    v->ip_len = tot;
    v->proto = ip[9];
    /* Only the first fragment carries the transport header. */
    if (net_get16(ip + 6) & 0x1FFF) {
        v->l4 = NULL;
        v->l4_len = 0;
    } else {
        v->l4 = ip + hlen;
        v->l4_len = tot - hlen;
    }
    return true;
}

void net_ipv4_set_csum(uint8_t *ip, size_t hlen)
{
    ip[10] = ip[11] = 0;
    net_put16(ip + 10, net_csum_fold(net_csum_add(0, ip, hlen)));
}

bool net_ipv4_fix_l4_csum(uint8_t *frame, size_t len)
{
    NetIpv4View v;
    uint8_t *l4;
    size_t off;
    uint16_t c;

    if (!net_ipv4_parse(frame, len, &v) || !v.l4) {
        return false;
    }
    if (v.proto == IPPROTO_TCP_ && v.l4_len >= 20) {
        off = 16;
    } else if (v.proto == IPPROTO_UDP_ && v.l4_len >= 8) {
        off = 6;
    } else {
        return false;
    }
    l4 = frame + (v.l4 - frame);
    l4[off] = l4[off + 1] = 0;
    c = net_l4_csum(v.ip + 12, v.ip + 16, v.proto, l4, v.l4_len);
    if (v.proto == IPPROTO_UDP_ && c == 0) {
        c = 0xFFFF; /* 0 means "no checksum" in UDP */
    }
    net_put16(l4 + off, c);
    return true;
}

unsigned net_tcp4_segment(const uint8_t *frame, size_t len, size_t max_len,
                          NetEmitFn emit, void *opaque)
{
    NetIpv4View v;
    uint8_t out[2048];
    size_t thl, hdrs, payload, mss, off;
    uint32_t seq;
    uint16_t id;
    uint8_t flags;
    unsigned n = 0;

    if (!net_ipv4_parse(frame, len, &v) || v.proto != IPPROTO_TCP_ || !v.l4 ||
        v.l4_len < 20) {
        return 0;
    }
    thl = (size_t)(v.l4[12] >> 4) * 4;
    hdrs = ETH_HLEN_ + v.ip_hlen + thl;
    if (thl < 20 || thl > v.l4_len || max_len > sizeof(out) ||
        hdrs >= max_len) {
        return 0;
    }
    payload = v.l4_len - thl;
    /* Each piece carries the full headers, options included (timestamps
     * stay valid: every piece was sent at the same time). */
    mss = max_len - hdrs;
    seq = net_get32(v.l4 + 4);
    id = net_get16(v.ip + 4);
    flags = v.l4[13];
    off = 0;
    do {
        size_t chunk = payload - off < mss ? payload - off : mss;
        bool last = off + chunk == payload;
        uint8_t *ip = out + ETH_HLEN_, *tcp = ip + v.ip_hlen;

        memcpy(out, frame, hdrs);
        memcpy(out + hdrs, frame + hdrs + off, chunk);
        net_put16(ip + 2, (uint16_t)(v.ip_hlen + thl + chunk));
        net_put16(ip + 4, (uint16_t)(id + n));
        net_ipv4_set_csum(ip, v.ip_hlen);
        net_put32(tcp + 4, seq + (uint32_t)off);
        tcp[13] = flags;
        if (!last) {
            tcp[13] &= (uint8_t) ~(TCPF_FIN | TCPF_PSH);
        }
        if (n) {
            tcp[13] &= (uint8_t)~0x80; /* CWR */
        }
        tcp[16] = tcp[17] = 0;
        net_put16(tcp + 16, net_l4_csum(ip + 12, ip + 16, IPPROTO_TCP_, tcp,
                                        thl + chunk));
        emit(opaque, out, hdrs + chunk);
        n++;
        off += chunk;
    } while (off < payload);
    return n;
}
