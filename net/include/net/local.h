/*
 * tulipvm: `local,net=NAME` - Local only segments.
 *
 * Every adapter on the host naming the same segment shares one Ethernet
 * segment, across processes, with no daemon and no host adapter.  Design:
 * a segment is a directory (base/NAME, mode 0700, base =
 * $TULIPVM_LOCAL_DIR, else $XDG_RUNTIME_DIR/tulipvm-local, else
 * /tmp/tulipvm-local-UID) in which each member binds one Unix datagram
 * socket.  A datagram is exactly one frame, so no framing, and the kernel
 * bounds every member's queue.  A member sends unicast to the socket it
 * learnt the destination MAC from, and group or unknown unicast to every
 * socket in the directory (re-listed when the directory changes).  A
 * socket left by a crashed member refuses connections and is removed by
 * the first sender to notice.
 *
 * Why not libvdeplug's daemonless switch: its plugins' semantics and
 * permissions are not stable across the versions we meet, and it would add
 * a thread per endpoint; this design is a few hundred lines, crash-safe
 * and testable.  libvdeplug still backs `vde,sock=URL` for cross-host
 * segments.  Segments shared between users go through tulipvm-netd.
 *
 * With dhcp=on a member offers DHCP on the segment (net/dhcpd.h): the
 * member holding the flock on NAME/dhcp.lock answers, leases live in
 * NAME/dhcp.leases, and another dhcp=on member takes over if it exits.
 *
 * Backpressure: while the switch cannot take frames, the socket is not
 * read.  The kernel keeps only a few datagrams per receiving socket
 * (net.unix.max_dgram_qlen, 10 by default), so a sender keeps frames for
 * a full member in a bounded queue (512 frames, order kept) retried every
 * millisecond; beyond that frames are dropped and counted, as on a
 * congested wire.
 */
#ifndef NET_LOCAL_H
#define NET_LOCAL_H

#include "net/port.h"

typedef struct NetLocal NetLocal;

typedef struct NetLocalStats {
    uint64_t tx_frames, rx_frames;
    uint64_t tx_queued;     /* waited for a congested member */
    uint64_t tx_dropped;    /* our bounded send queue was full */
    uint64_t stale_removed; /* sockets of dead members removed */
    uint64_t dhcp_replies;
} NetLocalStats;

NetLocal *net_local_new(Clock *clock, GMainContext *ctx, const char *segment,
                        bool dhcp, GError **errp);
void net_local_free(NetLocal *l);
NetPort *net_local_port(NetLocal *l);
const NetLocalStats *net_local_stats(const NetLocal *l);
/* This member's socket path. */
const char *net_local_socket_path(const NetLocal *l);

#endif /* NET_LOCAL_H */
