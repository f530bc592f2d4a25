/*
 * tulipvm: virtual Ethernet switch (see net/switch.h for the rules).
 *
 * The forwarding decision per frame is: drop runts and invalid or spoofed
 * sources, learn the source, then deliver unicast to the one port that owns
 * the destination (a VM's declared MAC first, then the learnt table) or
 * flood it, and group-addressed frames to every port that wants them.  VM
 * ports are few, so they are scanned linearly; the learnt table is a hash.
 */
#include "net/switch.h"
#include "net/pcap.h"
#include "emu/log.h"

#include <string.h>

struct NetSwitch {
    Clock *clock;
    char name[32];
    GPtrArray *ports;       /* NetSwitchPort *, owned */
    GHashTable *learned;    /* MAC as uint64 -> NetSwitchPort * */
    unsigned n_open_policy; /* VM ports whose policy is not deny */
    NetSwitchChangedFn changed;
    void *changed_opaque;
};

static inline uint64_t mac_key(const uint8_t *m)
{
    return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
           (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

static inline bool mac_eq(const uint8_t *a, const uint8_t *b)
{
    return !memcmp(a, b, 6);
}

static inline bool mac_is_broadcast(const uint8_t *m)
{
    return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xFF;
}

static inline bool mac_is_zero(const uint8_t *m)
{
    return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

static void net_switch_notify(NetSwitch *sw)
{
    if (sw->changed) {
        sw->changed(sw->changed_opaque, sw);
    }
}

static void net_switch_learn(NetSwitch *sw, const uint8_t *src,
                             NetSwitchPort *sp)
{
    gpointer key = (gpointer)(uintptr_t)mac_key(src);
    NetSwitchPort *old = g_hash_table_lookup(sw->learned, key);

    if (old == sp) {
        return;
    }
    if (!old && g_hash_table_size(sw->learned) >= NET_SWITCH_MAC_TABLE_MAX) {
        /* Bounded: forgetting only costs flooding until relearnt. */
        g_hash_table_remove_all(sw->learned);
    }
    g_hash_table_insert(sw->learned, key, sp);
}

/* Whether a promiscuous guest on sp may see a frame that is not for it. */
static bool vm_port_snoops(const NetSwitchPort *sp, const NetSwitchPort *in)
{
    const NetPort *nic = sp->port.peer;

    if (!nic || !nic->filter.promisc) {
        return false;
    }
    switch (sp->promisc) {
    case NET_PROMISC_ALLOW_ALL:
        return true;
    case NET_PROMISC_ALLOW_VMS:
        return in->kind == NET_SWITCH_PORT_VM;
    case NET_PROMISC_DENY:
    default:
        return false;
    }
}

/* Whether a VM port's NIC should see a frame for dst sent by ingress. */
static bool vm_port_wants(const NetSwitchPort *sp, const uint8_t *dst,
                          const NetSwitchPort *ingress)
{
    const NetPort *nic = sp->port.peer;
    const NetRxFilter *f;

    if (!nic) {
        return false;
    }
    f = &nic->filter;
    if (mac_eq(dst, nic->mac)) {
        return true;
    }
    if (dst[0] & 1) {
        if (mac_is_broadcast(dst) ? f->broadcast : f->all_multicast) {
            return true;
        }
    }
    /*
     * Exact entries: group addresses always; other unicast addresses only
     * for an adapter allowed to use foreign MACs (an NLB cluster MAC), or
     * a guest could sniff another VM by naming its MAC in a setup frame.
     */
    if ((dst[0] & 1) || sp->allow_spoof) {
        for (unsigned i = 0; i < f->n_addrs && i < NET_FILTER_MAX_ADDRS; i++) {
            if (mac_eq(dst, f->addrs[i])) {
                return true;
            }
        }
    }
    return vm_port_snoops(sp, ingress);
}

static bool vm_port_backlogged(const NetSwitchPort *sp)
{
    const NetPort *nic = sp->port.peer;
    /* An unplugged NIC owes no flush: its frames are dropped, not held. */
    return nic && sp->port.link_up && nic->link_up &&
           (nic->waiting || nic->incoming.length);
}

static ssize_t net_switch_output(NetSwitchPort *sp, const uint8_t *frame,
                                 size_t len)
{
    ssize_t r = net_port_send(&sp->port, frame, len);
    if (r >= 0 && sp->capture) {
        net_pcap_write(sp->capture, frame, len);
    }
    return r;
}

NetSwitchPort *net_switch_lookup_vm(NetSwitch *sw, const uint8_t mac[6])
{
    for (unsigned i = 0; i < sw->ports->len; i++) {
        NetSwitchPort *sp = g_ptr_array_index(sw->ports, i);
        if (sp->kind == NET_SWITCH_PORT_VM && sp->port.peer &&
            mac_eq(sp->port.peer->mac, mac)) {
            return sp;
        }
    }
    return NULL;
}

/* Copies of a unicast frame for promiscuous guests allowed to see it. */
static void net_switch_snoopers(NetSwitch *sw, const NetSwitchPort *in,
                                const NetSwitchPort *to, const uint8_t *frame,
                                size_t len)
{
    for (unsigned i = 0; i < sw->ports->len; i++) {
        NetSwitchPort *sp = g_ptr_array_index(sw->ports, i);
        if (sp != in && sp != to && sp->kind == NET_SWITCH_PORT_VM &&
            vm_port_snoops(sp, in)) {
            net_switch_output(sp, frame, len);
        }
    }
}

/* Returns the verdict for the ingress port (len, or 0 when held). */
static ssize_t net_switch_forward(NetSwitch *sw, NetSwitchPort *in,
                                  const uint8_t *frame, size_t len)
{
    const uint8_t *dst = frame;
    bool from_vm = in->kind == NET_SWITCH_PORT_VM;
    unsigned delivered = 0;

    if (!(dst[0] & 1)) {
        /* A VM's declared MAC wins over anything learnt from a wire. */
        NetSwitchPort *to = net_switch_lookup_vm(sw, dst);
        if (!to) {
            to = g_hash_table_lookup(sw->learned,
                                     (gpointer)(uintptr_t)mac_key(dst));
        }
        if (to == in ||
            (to && to->kind == NET_SWITCH_PORT_UPLINK && !from_vm)) {
            /* Between two hosts of the same wire: not ours to carry. */
            if (sw->n_open_policy) {
                net_switch_snoopers(sw, in, NULL, frame, len);
            }
            in->stats.drop_unwanted++;
            return (ssize_t)len;
        }
        if (to) {
            if (!from_vm && vm_port_backlogged(to)) {
                /*
                 * Hold it at the uplink so its backend stops reading; the
                 * NIC owes a flush for its backlog, which releases us.
                 */
                in->held = true;
                in->stats.held++;
                return 0;
            }
            net_switch_output(to, frame, len);
            if (sw->n_open_policy) {
                net_switch_snoopers(sw, in, to, frame, len);
            }
            return (ssize_t)len;
        }
        /* Unknown unicast: flood, as a real switch does. */
    }
    for (unsigned i = 0; i < sw->ports->len; i++) {
        NetSwitchPort *sp = g_ptr_array_index(sw->ports, i);
        if (sp == in) {
            continue;
        }
        if (sp->kind == NET_SWITCH_PORT_VM) {
            if (!vm_port_wants(sp, dst, in)) {
                continue;
            }
        } else if (!from_vm) {
            continue; /* never uplink to uplink */
        }
        net_switch_output(sp, frame, len);
        delivered++;
    }
    if (!delivered) {
        in->stats.drop_unwanted++;
    }
    return (ssize_t)len;
}

static ssize_t net_switch_port_receive(NetPort *self, const uint8_t *frame,
                                       size_t len)
{
    NetSwitchPort *in = self->opaque;
    NetSwitch *sw = in->sw;
    const uint8_t *src = frame + 6;

    if (in->kind == NET_SWITCH_PORT_VM && in->capture) {
        /* What the adapter sent, including what the switch then refuses. */
        net_pcap_write(in->capture, frame, len);
    }
    if (len < 14) {
        in->stats.drop_runt++;
        return (ssize_t)len;
    }
    if ((src[0] & 1) || mac_is_zero(src)) {
        in->stats.drop_bad_src++;
        return (ssize_t)len;
    }
    if (in->kind == NET_SWITCH_PORT_VM) {
        if (!mac_eq(src, self->peer ? self->peer->mac : src)) {
            if (!in->allow_spoof) {
                in->stats.drop_spoofed++;
                TRACE(TRACE_NET, "%s: spoofed source dropped", self->name);
                return (ssize_t)len;
            }
            net_switch_learn(sw, src, in);
        }
    } else if (!net_switch_lookup_vm(sw, src)) {
        /* A foreign sender of a VM's MAC must not steal its traffic. */
        net_switch_learn(sw, src, in);
    }
    return net_switch_forward(sw, in, frame, len);
}

static void net_switch_release_held(NetSwitch *sw)
{
    for (unsigned i = 0; i < sw->ports->len; i++) {
        NetSwitchPort *up = g_ptr_array_index(sw->ports, i);
        if (up->held) {
            up->held = false;
            net_port_flush(&up->port);
        }
    }
}

/* A VM's NIC drained its queue: release uplinks that were held for it. */
static void net_switch_port_ready(NetPort *self)
{
    NetSwitchPort *sp = self->opaque;
    net_switch_release_held(sp->sw);
}

static void net_switch_port_filter_changed(NetPort *self, const NetRxFilter *f)
{
    NetSwitchPort *sp = self->opaque;
    (void)f;
    if (sp->kind == NET_SWITCH_PORT_VM) {
        net_switch_notify(sp->sw);
    }
}

static const NetPortOps net_switch_port_ops = {
    .receive = net_switch_port_receive,
    .ready = net_switch_port_ready,
    .peer_filter_changed = net_switch_port_filter_changed,
};

NetSwitch *net_switch_new(Clock *clock, const char *name)
{
    NetSwitch *sw = g_new0(NetSwitch, 1);
    sw->clock = clock;
    g_strlcpy(sw->name, name, sizeof(sw->name));
    sw->ports = g_ptr_array_new();
    sw->learned = g_hash_table_new(g_direct_hash, g_direct_equal);
    return sw;
}

static NetSwitchPort *net_switch_add(NetSwitch *sw, const char *name,
                                     NetSwitchPortKind kind)
{
    NetSwitchPort *sp = g_new0(NetSwitchPort, 1);
    g_autofree char *pname = g_strdup_printf("%s.%s", sw->name, name);

    sp->sw = sw;
    sp->kind = kind;
    net_port_init(&sp->port, sw->clock, pname, &net_switch_port_ops, sp);
    /* Uplinks and NICs both keep their own bounded queues. */
    sp->port.filter.promisc = true;
    g_ptr_array_add(sw->ports, sp);
    return sp;
}

NetSwitchPort *net_switch_add_vm_port(NetSwitch *sw, const char *name,
                                      NetPromiscPolicy promisc,
                                      bool allow_spoof)
{
    NetSwitchPort *sp = net_switch_add(sw, name, NET_SWITCH_PORT_VM);
    sp->promisc = promisc;
    sp->allow_spoof = allow_spoof;
    if (promisc != NET_PROMISC_DENY) {
        sw->n_open_policy++;
    }
    return sp;
}

NetSwitchPort *net_switch_add_uplink(NetSwitch *sw, const char *name)
{
    NetSwitchPort *sp = net_switch_add(sw, name, NET_SWITCH_PORT_UPLINK);
    /*
     * A backend may emit a whole TCP window at once (slirp, from inside
     * its own input path, which the port layer defers): room for that.
     */
    net_port_set_queue_limit(&sp->port, NET_SWITCH_UPLINK_QUEUE);
    return sp;
}

static gboolean learned_points_to(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    return value == data;
}

void net_switch_remove_port(NetSwitch *sw, NetSwitchPort *sp)
{
    bool vm = sp->kind == NET_SWITCH_PORT_VM;

    if (vm && sp->promisc != NET_PROMISC_DENY) {
        sw->n_open_policy--;
    }
    g_hash_table_foreach_remove(sw->learned, learned_points_to, sp);
    g_ptr_array_remove(sw->ports, sp);
    net_port_cleanup(&sp->port);
    g_free(sp);
    if (vm) {
        /* Frames held for this VM now go nowhere: let the uplinks run. */
        net_switch_release_held(sw);
        net_switch_notify(sw);
    }
}

void net_switch_free(NetSwitch *sw)
{
    if (!sw) {
        return;
    }
    sw->changed = NULL;
    while (sw->ports->len) {
        net_switch_remove_port(sw, g_ptr_array_index(sw->ports, 0));
    }
    g_ptr_array_free(sw->ports, TRUE);
    g_hash_table_destroy(sw->learned);
    g_free(sw);
}

void net_switch_port_set_link(NetSwitchPort *sp, bool up)
{
    net_port_set_link(&sp->port, up);
    if (sp->port.peer) {
        net_port_set_link(sp->port.peer, up);
    }
    if (!up) {
        net_switch_release_held(sp->sw);
    }
}

bool net_switch_announce(NetSwitchPort *sp)
{
    uint8_t f[60] = {0};
    const NetPort *nic = sp->port.peer;

    if (sp->kind != NET_SWITCH_PORT_VM || !nic || !sp->port.link_up ||
        !nic->link_up) {
        return false;
    }
    memset(f, 0xFF, 6);
    memcpy(f + 6, nic->mac, 6);
    f[12] = 0x80; /* RARP */
    f[13] = 0x35;
    f[15] = 1;    /* Ethernet */
    f[16] = 0x08; /* IPv4 */
    f[18] = 6;
    f[19] = 4;
    f[21] = 3; /* reverse request */
    memcpy(f + 22, nic->mac, 6);
    memcpy(f + 32, nic->mac, 6);
    net_switch_port_receive(&sp->port, f, sizeof(f));
    return true;
}

void net_switch_port_set_capture(NetSwitchPort *sp, NetPcap *pcap)
{
    sp->capture = pcap;
}

void net_switch_set_changed_cb(NetSwitch *sw, NetSwitchChangedFn fn,
                               void *opaque)
{
    sw->changed = fn;
    sw->changed_opaque = opaque;
}

unsigned net_switch_vm_macs(NetSwitch *sw, uint8_t (*macs)[6], unsigned max,
                            NetSwitchWants *wants)
{
    unsigned n = 0;

    memset(wants, 0, sizeof(*wants));
    for (unsigned i = 0; i < sw->ports->len; i++) {
        NetSwitchPort *sp = g_ptr_array_index(sw->ports, i);
        const NetPort *nic = sp->port.peer;
        if (sp->kind != NET_SWITCH_PORT_VM || !nic) {
            continue;
        }
        if (n < max) {
            memcpy(macs[n], nic->mac, 6);
        }
        n++;
        if (nic->filter.all_multicast) {
            wants->all_multicast = true;
        }
        for (unsigned j = 0; j < nic->filter.n_addrs; j++) {
            if (nic->filter.addrs[j][0] & 1) {
                /* Exact groups are rare; pass all multicast up. */
                wants->all_multicast = true;
            }
        }
        if ((nic->filter.promisc && sp->promisc == NET_PROMISC_ALLOW_ALL) ||
            sp->allow_spoof) {
            wants->promisc = true;
        }
    }
    return n < max ? n : max;
}

unsigned net_switch_learned(const NetSwitch *sw)
{
    return g_hash_table_size(sw->learned);
}

bool net_promisc_policy_parse(const char *s, NetPromiscPolicy *out)
{
    if (!strcmp(s, "deny")) {
        *out = NET_PROMISC_DENY;
    } else if (!strcmp(s, "allow-vms")) {
        *out = NET_PROMISC_ALLOW_VMS;
    } else if (!strcmp(s, "allow-all")) {
        *out = NET_PROMISC_ALLOW_ALL;
    } else {
        return false;
    }
    return true;
}

const char *net_promisc_policy_name(NetPromiscPolicy p)
{
    switch (p) {
    case NET_PROMISC_ALLOW_VMS:
        return "allow-vms";
    case NET_PROMISC_ALLOW_ALL:
        return "allow-all";
    case NET_PROMISC_DENY:
    default:
        return "deny";
    }
}
