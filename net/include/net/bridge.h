/*
 * tulipvm: `bridge,ifname=IF` - the host network service in-process.
 *
 * Makes VMs separate computers on the host adapter's LAN, after Virtual
 * PC's Virtual Machine Network Services driver:
 *
 *  - an AF_PACKET socket on IF, in promiscuous mode through a
 *    PACKET_MR_PROMISC membership (reference-counted and dropped by the
 *    kernel when the socket closes), receiving into a TPACKET_V3 mapped
 *    ring;
 *  - a classic BPF filter generated from the switch's VM MACs, so only
 *    frames for a VM, broadcast and (when a VM asked for it) multicast
 *    reach user space; regenerated whenever a VM's MAC or filter changes;
 *  - VM frames injected as they are, with the VM's own source MAC (the
 *    switch has enforced it);
 *  - frames the host itself sends to a VM (seen as PACKET_OUTGOING) picked
 *    up and delivered locally, checksums the host left to offload
 *    completed;
 *  - receive-offload super-frames (GRO/LRO, up to 64 KiB) split into
 *    1514-byte TCP segments, anything else oversized dropped and counted;
 *  - VLAN tags the hardware stripped put back.
 *
 * Not possible with a raw socket: VM-to-host traffic (injected frames
 * never enter the host's own stack); use a tap on a Linux bridge for that.
 * Wi-Fi uplinks (MAC translation) are not handled.  Needs CAP_NET_RAW;
 * without it the error says to use tulipvm-netd.
 */
#ifndef NET_BRIDGE_H
#define NET_BRIDGE_H

#include "net/switch.h"

typedef struct NetBridge NetBridge;

typedef struct NetBridgeStats {
    uint64_t rx_frames;       /* delivered to the switch */
    uint64_t rx_host_frames;  /* of which sent by the host itself */
    uint64_t rx_superframes;  /* offload frames split */
    uint64_t rx_segments;     /* frames produced by splitting */
    uint64_t rx_oversize;     /* too long and not splittable: dropped */
    uint64_t rx_truncated;    /* longer than the ring slot: dropped */
    uint64_t rx_mac_conflict; /* someone else sends with a VM's MAC */
    uint64_t rx_kernel_drops; /* ring full (PACKET_STATISTICS) */
    uint64_t tx_frames;
    uint64_t tx_errors; /* send() failed (queue full, link down) */
    uint64_t tx_oversize;
    uint64_t filter_updates; /* BPF programs attached */
} NetBridgeStats;

/* Attaches a new uplink of sw to IF; the bridge follows sw's VM MACs. */
NetBridge *net_bridge_new(Clock *clock, GMainContext *ctx, const char *ifname,
                          NetSwitch *sw, GError **errp);
void net_bridge_free(NetBridge *b);
const NetBridgeStats *net_bridge_stats(NetBridge *b);
/*
 * The host adapter's carrier, polled twice a second: the adapters bridged
 * to it see their cable follow it (a guest renews DHCP after the host's
 * cable comes back).
 */
typedef void (*NetBridgeLinkFn)(void *opaque, bool up);
void net_bridge_set_link_cb(NetBridge *b, NetBridgeLinkFn fn, void *opaque);
bool net_bridge_carrier(const NetBridge *b);

/* Instructions in the current BPF program (for tests and diagnostics). */
unsigned net_bridge_filter_len(const NetBridge *b);

#endif /* NET_BRIDGE_H */
