/*
 * tulipvm: a small DHCP server for local-only segments (dhcp=on), after
 * Virtual Server's per-network DHCP: a test domain needs no server of its
 * own.
 *
 * It answers DISCOVER with OFFER and REQUEST with ACK (or NAK for an
 * address it did not offer), leases from a fixed pool, and keeps its
 * leases in a caller-chosen file so a server taking over on the segment
 * hands out the same addresses.  No router or DNS option: a local-only
 * segment leads nowhere.
 *
 * Not provided: DECLINE/RELEASE/INFORM handling beyond ignoring them,
 * relay agents, options other than mask, server id and lease time.
 */
#ifndef NET_DHCPD_H
#define NET_DHCPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_DHCPD_POOL 100

typedef struct NetDhcpd {
    uint8_t mac[6];     /* server's own Ethernet address */
    uint32_t server_ip; /* host order */
    uint32_t netmask;
    uint32_t pool_start; /* first address handed out */
    uint32_t lease_secs;
    char *lease_file; /* NULL: in memory only */
    struct {
        uint8_t mac[6];
        bool used;
    } leases[NET_DHCPD_POOL];
} NetDhcpd;

/* The default segment network 192.168.77.0/24, server .1, pool .100+. */
void net_dhcpd_init(NetDhcpd *d, const char *lease_file);
void net_dhcpd_cleanup(NetDhcpd *d);

/*
 * If frame is a DHCP request for us, build the reply into out (at least
 * 600 bytes) and return its length; 0 when there is nothing to answer.
 */
size_t net_dhcpd_handle(NetDhcpd *d, const uint8_t *frame, size_t len,
                        uint8_t *out, size_t out_size);

#endif /* NET_DHCPD_H */
