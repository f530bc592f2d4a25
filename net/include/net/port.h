/*
 * tulipvm: the frame-passing contract between a NIC model and the network
 * services (the netdev endpoint API; architecture.md "Frames and
 * backpressure").  A descendant of QEMU's NetClientState.
 *
 * Two NetPorts are connected as peers: a NIC's port and a switch port or a
 * backend.  net_port_send() offers a frame to the peer's receive():
 *
 *   > 0   consumed (or deliberately filtered out by the receiver);
 *     0   cannot take it now: the layer keeps the frame in the receiver's
 *         bounded incoming queue and the receiver promises a later
 *         net_port_flush() ("I can receive again");
 *   < 0   dropped by the receiver.
 *
 * Rules the layer enforces:
 *  - Every queue is bounded (net_port_set_queue_limit); a frame that does
 *    not fit is dropped, counted, and the receiver's missed() hook runs
 *    (the 21140 counts it in CSR8).
 *  - No synchronous re-entry: a frame sent *to* a port while that port is
 *    inside its own net_port_send() (slirp answering an ARP at once) is
 *    queued and delivered from the clock's next event run, never on the
 *    sender's stack.
 *  - Order is kept: while frames are queued for a port, new ones queue
 *    behind them.
 *  - When a receiver flushes and its queue drains, its peer's ready() hook
 *    runs, so an fd backend can resume reading (backpressure by not
 *    reading, as QEMU's tap does).
 *
 * A port also carries what the NIC declares about itself: its MAC, the
 * receive filter (so the host side can filter at the source) and the link
 * (cable) state, with hooks that tell the peer about changes.
 */
#ifndef NET_PORT_H
#define NET_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>
#include "emu/clock.h"

#define NET_MAX_FRAME           1518 /* 802.3 maximum with FCS; a 21140 takes no more */
#define NET_QUEUE_BUF           65536 /* largest frame the layer carries at all */
#define NET_FILTER_MAX_ADDRS    32
#define NET_DEFAULT_QUEUE_LIMIT 64

typedef struct NetPort NetPort;

typedef struct NetRxFilter {
    bool promisc;       /* every frame */
    bool all_multicast; /* every group-addressed frame */
    bool broadcast;     /* ff:ff:ff:ff:ff:ff */
    unsigned n_addrs;   /* exact destination addresses (unicast or group) */
    uint8_t addrs[NET_FILTER_MAX_ADDRS][6];
} NetRxFilter;

typedef struct NetPortStats {
    uint64_t tx_frames, tx_bytes; /* sent by this port */
    uint64_t tx_no_peer;          /* sent with nothing attached */
    uint64_t rx_frames, rx_bytes; /* consumed by this port */
    uint64_t rx_queued;           /* held for a later flush */
    uint64_t rx_dropped_full;     /* queue full */
    uint64_t rx_dropped;          /* receiver returned < 0 */
    uint64_t rx_oversize;         /* longer than NET_QUEUE_BUF */
} NetPortStats;

typedef struct NetPortOps {
    /* Required for a port that receives. */
    ssize_t (*receive)(NetPort *self, const uint8_t *frame, size_t len);
    /* Cheap, no side effects.  NULL means "always". */
    bool (*can_receive)(NetPort *self);
    /* The peer flushed: frames may be sent to it again. */
    void (*ready)(NetPort *self);
    /* A frame for this port was dropped because its queue was full. */
    void (*missed)(NetPort *self);
    /* The link (cable / attachment) changed. */
    void (*link_changed)(NetPort *self, bool up);
    /* The peer declared a new MAC or receive filter. */
    void (*peer_filter_changed)(NetPort *self, const NetRxFilter *f);
} NetPortOps;

typedef struct NetQueuedFrame NetQueuedFrame;

struct NetPort {
    const NetPortOps *ops;
    void *opaque;
    char name[32];
    NetPort *peer;
    Clock *clock; /* deferred deliveries run on its event queue */
    Timer deliver_timer;
    GQueue incoming; /* NetQueuedFrame *, waiting to be delivered here */
    unsigned queue_limit;
    bool sending; /* inside net_port_send(): deliveries here wait */
    bool waiting; /* receiver returned 0; flush pending */
    bool link_up;
    uint8_t mac[6];
    NetRxFilter filter;
    NetPortStats stats;
};

void net_port_init(NetPort *p, Clock *clock, const char *name,
                   const NetPortOps *ops, void *opaque);
/* Disconnects and drops every queued frame. */
void net_port_cleanup(NetPort *p);

/* Connect two ports (either may be NULL-peered before). */
void net_port_connect(NetPort *a, NetPort *b);
void net_port_disconnect(NetPort *p);

/* Returns the peer's verdict (> 0, 0 = queued, < 0 = dropped). */
ssize_t net_port_send(NetPort *from, const uint8_t *frame, size_t len);
/* The receiver can take frames again: deliver what is queued for it. */
void net_port_flush(NetPort *self);
/* Whether a frame sent now would go straight through. */
bool net_port_can_send(NetPort *from);
unsigned net_port_queued(const NetPort *p);
void net_port_set_queue_limit(NetPort *p, unsigned limit);

/* Link (cable) state: set by the network layer, read by the NIC. */
void net_port_set_link(NetPort *p, bool up);
bool net_port_link_up(const NetPort *p);

/* The NIC's declared identity and filter, passed on to the peer. */
void net_port_set_mac(NetPort *p, const uint8_t mac[6]);
void net_port_set_rx_filter(NetPort *p, const NetRxFilter *f);
/* Whether a destination address passes a declared filter. */
bool net_rx_filter_accepts(const NetRxFilter *f, const uint8_t *dst);

#endif /* NET_PORT_H */
