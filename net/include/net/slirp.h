/*
 * tulipvm: the `user` backend, Shared networking (NAT) through libslirp.
 *
 * One Slirp instance per adapter, driven from the emulation thread: a GSource
 * on the caller's GMainContext polls slirp's sockets, and slirp's clock and
 * timers are the machine Clock (SlirpCb.clock_get_ns, timer_new_opaque), so
 * a test that steps the clock steps slirp too.
 *
 * Host protection (architecture.md): unless hostaccess is on, the guest
 * cannot open connections to the host itself.  The backend drops
 * guest-initiated TCP SYNs and UDP datagrams addressed to any of the host's
 * own addresses (loopback and every interface address, re-read at most once
 * a second) or to a slirp alias (10.0.2.2 and the rest of the virtual
 * network lead to the host's loopback) other than the DNS and DHCP
 * services; a refused TCP connection is answered with a reset.  Replies to
 * UDP the host side sent first (udp hostfwd) pass.  libslirp's own
 * disable_host_loopback is not used: it covers only 10.0.2.2, and it makes
 * slirp drop replies to a udp hostfwd client on the host's loopback.
 *
 * Not provided: IPv6 (in6_enabled off), TFTP/bootfile, guestfwd/exec and
 * tcp_emu (unsafe), ICMP beyond what libslirp does by itself.
 */
#ifndef NET_SLIRP_H
#define NET_SLIRP_H

#include "net/nic_opts.h"
#include "net/port.h"

typedef struct NetSlirp NetSlirp;

typedef struct NetSlirpConfig {
    struct in_addr net, mask; /* 0: 10.0.2.0/24 */
    bool restricted;
    bool hostaccess;
    const NetHostFwd *hostfwd;
    unsigned n_hostfwd;
    const char *hostname; /* DHCP host name option, may be NULL */
} NetSlirpConfig;

typedef struct NetSlirpStats {
    uint64_t host_protect_drops; /* guest connections refused */
    uint64_t to_guest_dropped;   /* switch refused a frame */
} NetSlirpStats;

/* ctx: the emulation thread's main context (NULL = the default one). */
NetSlirp *net_slirp_new(Clock *clock, GMainContext *ctx,
                        const NetSlirpConfig *cfg, GError **errp);
void net_slirp_free(NetSlirp *s);
/* Connect this to a switch uplink. */
NetPort *net_slirp_port(NetSlirp *s);
const NetSlirpStats *net_slirp_stats(const NetSlirp *s);

/* Fill cfg from a parsed -nic user: adapter index picks 10.0.(2+i).0/24. */
void net_slirp_config_from_nic(NetSlirpConfig *cfg, const NetNicConfig *nic,
                               unsigned adapter_index);

#endif /* NET_SLIRP_H */
