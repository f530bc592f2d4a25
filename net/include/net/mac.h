/*
 * tulipvm: adapter MAC addresses.
 *
 * Defaults are 00:03:FF:xx:xx:xx (the Virtual PC OUI) with the low 24 bits
 * taken from SHA-256(machine id, VM name, adapter index, attempt): stable
 * for a VM on a host, different between VMs and hosts.
 *
 * Uniqueness on the host: a running adapter holds its MAC in a host-wide
 * registry, one lock file per MAC in a shared sticky directory
 * ($TULIPVM_MAC_DIR, default /tmp/tulipvm-macs), locked with flock().  The
 * kernel drops the lock when the holder exits or crashes, so the registry
 * never needs cleaning.  An explicit mac= already held elsewhere is an
 * error naming the holder; a default MAC that is taken moves on to the next
 * attempt.  (Between users the netd daemon keeps the same registry.)
 */
#ifndef NET_MAC_H
#define NET_MAC_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define NET_MAC_DEFAULT_ATTEMPTS 64

typedef struct NetMacClaim NetMacClaim;

/* machine_id NULL reads /etc/machine-id. */
void net_mac_default(const char *machine_id, const char *vm_name,
                     unsigned adapter, unsigned attempt, uint8_t mac[6]);

/* Hold mac host-wide for owner ("vm-name"); NULL + error if taken. */
NetMacClaim *net_mac_claim(const uint8_t mac[6], const char *owner,
                           GError **errp);
void net_mac_release(NetMacClaim *c);

/*
 * Pick and hold the MAC of adapter `index`: the explicit one (has_mac) or
 * the first free default.  The chosen address is written to mac.
 */
NetMacClaim *net_mac_assign(bool has_mac, uint8_t mac[6], const char *vm_name,
                            unsigned index, GError **errp);

/* "00:03:ff:12:34:56"; buf of at least 18 bytes. */
const char *net_mac_format(const uint8_t mac[6], char *buf);

#endif /* NET_MAC_H */
