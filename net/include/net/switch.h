/*
 * tulipvm: the virtual Ethernet switch between NIC endpoints and backends.
 *
 * A switch has two kinds of ports:
 *
 *  - VM ports, one per emulated adapter.  The NIC's NetPort is connected to
 *    the switch port's NetPort; the NIC's declared MAC and receive filter
 *    (port.h) decide what it is given: frames for its MAC, broadcast, the
 *    multicast it declared, and - when the guest asks for promiscuous mode -
 *    whatever the port's promiscuous policy allows (VirtualBox's deny /
 *    allow-vms / allow-all).  Frames a VM sends must carry the MAC it owns
 *    (source-MAC enforcement) unless the adapter opted out for NLB-style
 *    clusters; such an adapter has the foreign source MACs it uses learnt.
 *
 *  - Uplinks, one per backend (NAT, bridged adapter, local segment...).
 *    Source MACs seen on an uplink are learnt so unicast goes to the one
 *    uplink that leads to it; unknown unicast from a VM goes to every
 *    uplink.  Frames from an uplink are never sent out another uplink, and
 *    frames between VMs of the switch (or for a VM MAC from anywhere) are
 *    delivered locally and never leave through an uplink.
 *
 * Backpressure: a VM port always consumes what its NIC sends (a wire has no
 * flow control; each destination's bounded queue holds or drops).  A frame
 * from an uplink for one VM whose NIC cannot take it now is refused with 0,
 * so the backend stops reading its socket; the switch flushes the uplink
 * when that NIC flushes.
 *
 * Not modelled: VLANs, spanning tree, MAC-table ageing (the table is
 * bounded and cleared when full, which only costs some flooding).
 */
#ifndef NET_SWITCH_H
#define NET_SWITCH_H

#include "net/port.h"

#define NET_SWITCH_MAC_TABLE_MAX 4096
#define NET_SWITCH_UPLINK_QUEUE  256

typedef struct NetSwitch NetSwitch;
typedef struct NetPcap NetPcap;

typedef enum NetPromiscPolicy {
    NET_PROMISC_DENY,      /* never more than the port's own traffic */
    NET_PROMISC_ALLOW_VMS, /* also frames sent by other VMs of the switch */
    NET_PROMISC_ALLOW_ALL, /* everything the switch carries */
} NetPromiscPolicy;

typedef enum NetSwitchPortKind {
    NET_SWITCH_PORT_VM,
    NET_SWITCH_PORT_UPLINK,
} NetSwitchPortKind;

typedef struct NetSwitchPortStats {
    uint64_t drop_spoofed;  /* VM sent with a source MAC it does not own */
    uint64_t drop_bad_src;  /* group or all-zero source MAC */
    uint64_t drop_runt;     /* shorter than an Ethernet header */
    uint64_t drop_unwanted; /* reached no port at all */
    uint64_t held;          /* uplink frames refused for backpressure */
} NetSwitchPortStats;

typedef struct NetSwitchPort {
    NetPort port; /* connect the NIC or backend port to this one */
    NetSwitch *sw;
    NetSwitchPortKind kind;
    NetPromiscPolicy promisc;
    bool allow_spoof;
    bool held; /* refused a frame; flush when a VM drains */
    NetPcap *capture;
    NetSwitchPortStats stats;
} NetSwitchPort;

/* Called when the set of VM MACs or declared filters changes. */
typedef void (*NetSwitchChangedFn)(void *opaque, NetSwitch *sw);

NetSwitch *net_switch_new(Clock *clock, const char *name);
/* Removes (and disconnects) every port. */
void net_switch_free(NetSwitch *sw);

NetSwitchPort *net_switch_add_vm_port(NetSwitch *sw, const char *name,
                                      NetPromiscPolicy promisc,
                                      bool allow_spoof);
NetSwitchPort *net_switch_add_uplink(NetSwitch *sw, const char *name);
void net_switch_remove_port(NetSwitch *sw, NetSwitchPort *sp);

/*
 * Plug or unplug the cable of a VM port: both ends' link state change, so
 * the NIC's link_changed hook runs and its PHY reports it.
 */
void net_switch_port_set_link(NetSwitchPort *sp, bool up);
/* Record what the port's NIC sends and receives (NULL stops). */
void net_switch_port_set_capture(NetSwitchPort *sp, NetPcap *pcap);

void net_switch_set_changed_cb(NetSwitch *sw, NetSwitchChangedFn fn,
                               void *opaque);

/*
 * Announce a VM port's MAC to the network, as QEMU does after migration:
 * one broadcast RARP (EtherType 0x8035, opcode 3, sender = target = the
 * NIC's MAC) sent as if by the VM, so physical switches relearn where the
 * MAC lives after a re-attachment or a cable replug.  Returns false when
 * the port has no NIC or no link.
 */
bool net_switch_announce(NetSwitchPort *sp);

/*
 * What uplink backends need to filter at the source (bridge BPF): the MACs
 * owned by VM ports, and whether any VM wants every multicast or every
 * frame.  Returns how many MACs were written (at most max).
 */
typedef struct NetSwitchWants {
    bool all_multicast;
    bool promisc;
} NetSwitchWants;
unsigned net_switch_vm_macs(NetSwitch *sw, uint8_t (*macs)[6], unsigned max,
                            NetSwitchWants *wants);

/* The VM port that owns a MAC, or NULL. */
NetSwitchPort *net_switch_lookup_vm(NetSwitch *sw, const uint8_t mac[6]);
unsigned net_switch_learned(const NetSwitch *sw);

bool net_promisc_policy_parse(const char *s, NetPromiscPolicy *out);
const char *net_promisc_policy_name(NetPromiscPolicy p);

#endif /* NET_SWITCH_H */
