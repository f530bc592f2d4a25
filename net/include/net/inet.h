/*
 * tulipvm: small helpers for the IPv4 headers the network services look
 * into (host protection under NAT, the local segment's DHCP server,
 * splitting receive-offload super-frames).  Everything works on frames in
 * network byte order and checks lengths before reading.
 */
#ifndef NET_INET_H
#define NET_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HLEN_    14
#define ETHTYPE_IPV4 0x0800
#define ETHTYPE_ARP  0x0806
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define TCPF_FIN     0x01
#define TCPF_SYN     0x02
#define TCPF_RST     0x04
#define TCPF_PSH     0x08
#define TCPF_ACK     0x10

static inline uint16_t net_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t net_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static inline void net_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void net_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One's-complement sum of len bytes added to sum (not folded). */
uint32_t net_csum_add(uint32_t sum, const uint8_t *data, size_t len);
/* Fold and complement. */
uint16_t net_csum_fold(uint32_t sum);
/* Checksum of a TCP/UDP segment with the IPv4 pseudo-header. */
uint16_t net_l4_csum(const uint8_t *ip_src, const uint8_t *ip_dst,
                     uint8_t proto, const uint8_t *l4, size_t l4_len);

/* A parsed IPv4 frame: offsets into the frame, all bounds-checked. */
typedef struct NetIpv4View {
    const uint8_t *ip; /* IPv4 header */
    size_t ip_hlen;
    size_t ip_len; /* total length from the header, within the frame */
    uint8_t proto;
    const uint8_t *l4; /* transport header, NULL for later fragments */
    size_t l4_len;     /* bytes from l4 to the end of the IP datagram */
} NetIpv4View;

/* Whether frame is an untagged IPv4 Ethernet frame; fills v. */
bool net_ipv4_parse(const uint8_t *frame, size_t len, NetIpv4View *v);

/* Fix the IPv4 header checksum in place. */
void net_ipv4_set_csum(uint8_t *ip, size_t hlen);

/*
 * Receive-offload super-frames (GRO/LRO on the host, TSO of the host's own
 * traffic) carry up to 64 KiB of TCP in one frame; a 21140 takes at most
 * 1518 bytes.  Cut an IPv4 TCP frame into frames of at most max_len bytes
 * as the sender's NIC would have: headers copied, IP length, ID and
 * checksum, TCP sequence and checksum fixed, FIN/PSH only on the last
 * piece, CWR only on the first.  Returns how many frames emit received, or
 * 0 when the frame is not IPv4 TCP (or is malformed) and cannot be split.
 */
typedef void (*NetEmitFn)(void *opaque, const uint8_t *frame, size_t len);
unsigned net_tcp4_segment(const uint8_t *frame, size_t len, size_t max_len,
                          NetEmitFn emit, void *opaque);

/*
 * Complete the TCP or UDP checksum of an IPv4 frame in place: frames the
 * host sends are captured before the NIC would have computed it
 * (CHECKSUM_PARTIAL).  Returns false if the frame is not IPv4 TCP/UDP.
 */
bool net_ipv4_fix_l4_csum(uint8_t *frame, size_t len);

#endif /* NET_INET_H */
