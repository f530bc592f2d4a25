/*
 * tulipvm: IPv4 header helpers (see net/inet.h).
 */
#include "net/inet.h"

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
