/*
 * tulipvm: bridged host adapter over AF_PACKET with a TPACKET_V3 ring and a
 * generated classic BPF filter (see net/bridge.h).
 */
#include "net/bridge.h"
#include "fd_backend.h"
#include "net/inet.h"
#include "emu/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define RING_BLOCK_SIZE (1u << 17) /* holds a 64 KiB super-frame */
#define RING_BLOCKS     8
#define RING_FRAME_SIZE 2048
#define RING_RETIRE_MS  1 /* sparse traffic waits at most this long */
#define BPF_ACCEPT      0x40000u
#define BPF_MAX_MACS    32
#define WIRE_MAX        1514 /* without FCS */
#define WIRE_MIN        60
#define VLAN_HLEN       4
#define CARRIER_POLL_MS 500

struct NetBridge {
    NetPort port;
    NetSwitch *sw;
    NetSwitchPort *uplink;
    char ifname[IFNAMSIZ];
    int fd;
    uint8_t *ring;
    size_t ring_size;
    unsigned block; /* next block to read */
    unsigned pkt;   /* packets of that block already handled */
    NetFdWatch *watch;
    unsigned filter_len;
    GSource *carrier_src;
    bool carrier;
    NetBridgeLinkFn link_cb;
    void *link_opaque;
    /* VLAN re-insertion of the frame being split */
    uint16_t vlan_tpid, vlan_tci;
    bool vlan;
    NetBridgeStats stats;
};

/* --- BPF generation ------------------------------------------------------ */

static void bpf_push(GArray *a, uint16_t code, uint8_t jt, uint8_t jf,
                     uint32_t k)
{
    struct sock_filter f = {code, jt, jf, k};
    g_array_append_val(a, f);
}

/*
 * accept if dst is a VM MAC, broadcast, or (if wanted) any group address:
 *
 *   ldb [0]; jset #1 -> group
 *   per MAC: ld [2]; jeq lo ? next : skip; ldh [0]; jeq hi ? accept : next
 *   ret 0
 *   group: (all multicast) ret accept | (else) check ff:ff:ff:ff:ff:ff
 *   accept: ret #BPF_ACCEPT
 */
static GArray *net_bridge_build_filter(NetBridge *b)
{
    uint8_t macs[BPF_MAX_MACS + 1][6];
    NetSwitchWants w;
    unsigned n = net_switch_vm_macs(b->sw, macs, BPF_MAX_MACS + 1, &w);
    GArray *a = g_array_new(FALSE, FALSE, sizeof(struct sock_filter));

    if (w.promisc || n > BPF_MAX_MACS) {
        /* A promiscuous guest allowed to see all, or too many MACs. */
        bpf_push(a, BPF_RET | BPF_K, 0, 0, BPF_ACCEPT);
        return a;
    }
    /* Layout: 2 + 4n + 1 + group block (1 or 5) + 1 */
    unsigned group_len = w.all_multicast ? 1 : 5;
    unsigned group_at = 2 + 4 * n + 1;
    unsigned accept_at = group_at + group_len;

    bpf_push(a, BPF_LD | BPF_B | BPF_ABS, 0, 0, 0);
    bpf_push(a, BPF_JMP | BPF_JSET | BPF_K, (uint8_t)(group_at - 2), 0, 1);
    for (unsigned i = 0; i < n; i++) {
        unsigned here = 2 + 4 * i;
        uint32_t lo = (uint32_t)macs[i][2] << 24 | (uint32_t)macs[i][3] << 16 |
                      (uint32_t)macs[i][4] << 8 | macs[i][5];
        uint32_t hi = (uint32_t)macs[i][0] << 8 | macs[i][1];
        bpf_push(a, BPF_LD | BPF_W | BPF_ABS, 0, 0, 2);
        bpf_push(a, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, lo);
        bpf_push(a, BPF_LD | BPF_H | BPF_ABS, 0, 0, 0);
        bpf_push(a, BPF_JMP | BPF_JEQ | BPF_K,
                 (uint8_t)(accept_at - (here + 3) - 1), 0, hi);
    }
    bpf_push(a, BPF_RET | BPF_K, 0, 0, 0);
    if (w.all_multicast) {
        bpf_push(a, BPF_RET | BPF_K, 0, 0, BPF_ACCEPT);
    } else {
        bpf_push(a, BPF_LD | BPF_W | BPF_ABS, 0, 0, 2);
        bpf_push(a, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0xFFFFFFFFu);
        bpf_push(a, BPF_LD | BPF_H | BPF_ABS, 0, 0, 0);
        bpf_push(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0xFFFFu);
        bpf_push(a, BPF_RET | BPF_K, 0, 0, 0);
    }
    bpf_push(a, BPF_RET | BPF_K, 0, 0, BPF_ACCEPT);
    return a;
}

static bool net_bridge_attach_filter(NetBridge *b, GError **errp)
{
    GArray *a = net_bridge_build_filter(b);
    struct sock_fprog prog = {
        .len = (unsigned short)a->len,
        .filter = (struct sock_filter *)a->data,
    };
    bool ok = setsockopt(b->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
                         sizeof(prog)) == 0;

    if (!ok) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "bridge,ifname=%s: cannot attach the MAC filter: %s",
                    b->ifname, g_strerror(errno));
    } else {
        b->filter_len = a->len;
        b->stats.filter_updates++;
    }
    g_array_free(a, TRUE);
    return ok;
}

static void net_bridge_switch_changed(void *opaque, NetSwitch *sw)
{
    NetBridge *b = opaque;
    g_autoptr(GError) err = NULL;
    (void)sw;
    if (!net_bridge_attach_filter(b, &err)) {
        emu_log(LOG_WARN, "%s", err->message);
    }
}

/* --- receive ---------------------------------------------------------- */

static void net_bridge_deliver(void *opaque, const uint8_t *frame, size_t len)
{
    NetBridge *b = opaque;
    uint8_t tagged[WIRE_MAX + VLAN_HLEN];
    uint8_t padded[WIRE_MIN];

    if (len < WIRE_MIN) {
        /* The host's own frames are captured before the driver pads them;
         * a real wire never delivers a runt. */
        memcpy(padded, frame, len);
        memset(padded + len, 0, WIRE_MIN - len);
        frame = padded;
        len = WIRE_MIN;
    }
    if (b->vlan && len + VLAN_HLEN <= sizeof(tagged)) {
        /* Put back the 802.1Q tag the hardware stripped. */
        memcpy(tagged, frame, 12);
        net_put16(tagged + 12, b->vlan_tpid);
        net_put16(tagged + 14, b->vlan_tci);
        memcpy(tagged + 16, frame + 12, len - 12);
        frame = tagged;
        len += VLAN_HLEN;
    }
    b->stats.rx_frames++;
    net_port_send(&b->port, frame, len);
}

static void net_bridge_segment_out(void *opaque, const uint8_t *frame,
                                   size_t len)
{
    NetBridge *b = opaque;
    b->stats.rx_segments++;
    net_bridge_deliver(b, frame, len);
}

static void net_bridge_handle(NetBridge *b, struct tpacket3_hdr *h)
{
    const struct sockaddr_ll *sll =
        (const void *)((uint8_t *)h + TPACKET_ALIGN(sizeof(*h)));
    uint8_t *frame = (uint8_t *)h + h->tp_mac;
    size_t len = h->tp_snaplen;

    if (h->tp_snaplen < h->tp_len) {
        b->stats.rx_truncated++;
        return;
    }
    if (len < 14) {
        return;
    }
    if (sll->sll_pkttype != PACKET_OUTGOING &&
        net_switch_lookup_vm(b->sw, frame + 6)) {
        /* Another machine uses a VM's MAC: report, never deliver. */
        b->stats.rx_mac_conflict++;
        return;
    }
    if (sll->sll_pkttype == PACKET_OUTGOING) {
        b->stats.rx_host_frames++;
    }
    b->vlan = h->tp_status & TP_STATUS_VLAN_VALID;
    b->vlan_tci = h->hv1.tp_vlan_tci;
    b->vlan_tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID)
                       ? h->hv1.tp_vlan_tpid
                       : ETH_P_8021Q;
    if (h->tp_status & TP_STATUS_CSUMNOTREADY) {
        net_ipv4_fix_l4_csum(frame, len);
    }
    if (len > WIRE_MAX) {
        unsigned n =
            net_tcp4_segment(frame, len, WIRE_MAX, net_bridge_segment_out, b);
        if (n) {
            b->stats.rx_superframes++;
        } else {
            b->stats.rx_oversize++;
        }
        return;
    }
    net_bridge_deliver(b, frame, len);
}

static void net_bridge_read(void *opaque)
{
    NetBridge *b = opaque;
    /* Bounded: at most every block once per dispatch. */
    for (unsigned i = 0; i < RING_BLOCKS; i++) {
        struct tpacket_block_desc *bd =
            (void *)(b->ring + (size_t)b->block * RING_BLOCK_SIZE);
        struct tpacket3_hdr *h;

        if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
              TP_STATUS_USER)) {
            return;
        }
        h = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
        for (unsigned k = 0; k < bd->hdr.bh1.num_pkts; k++) {
            if (k >= b->pkt) {
                if (!net_port_can_send(&b->port) && b->port.peer) {
                    /* Backpressure: leave the rest in the ring. */
                    net_fd_watch_pause(b->watch, true);
                    return;
                }
                net_bridge_handle(b, h);
                b->pkt = k + 1;
            }
            h = (void *)((uint8_t *)h + h->tp_next_offset);
        }
        b->pkt = 0;
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
                         __ATOMIC_RELEASE);
        b->block = (b->block + 1) % RING_BLOCKS;
    }
}

static void net_bridge_ready(NetPort *self)
{
    NetBridge *b = self->opaque;
    net_fd_watch_pause(b->watch, false);
    net_bridge_read(b);
}

/* --- transmit --------------------------------------------------------- */

static ssize_t net_bridge_receive(NetPort *self, const uint8_t *frame,
                                  size_t len)
{
    NetBridge *b = self->opaque;

    if (len > WIRE_MAX + VLAN_HLEN) {
        b->stats.tx_oversize++;
        return (ssize_t)len;
    }
    if (send(b->fd, frame, len, MSG_DONTWAIT) < 0) {
        /* A wire has no flow control: count it and let TCP recover. */
        b->stats.tx_errors++;
        TRACE(TRACE_BRIDGE, "%s: send failed: %s", b->ifname,
              g_strerror(errno));
    } else {
        b->stats.tx_frames++;
    }
    return (ssize_t)len;
}

static const NetPortOps net_bridge_port_ops = {
    .receive = net_bridge_receive,
    .ready = net_bridge_ready,
};

/* --- carrier ------------------------------------------------------------ */

static bool net_bridge_read_carrier(NetBridge *b)
{
    struct ifreq ifr = {0};

    g_strlcpy(ifr.ifr_name, b->ifname, sizeof(ifr.ifr_name));
    if (ioctl(b->fd, SIOCGIFFLAGS, &ifr) < 0) {
        return false; /* gone: as good as unplugged */
    }
    return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

static gboolean net_bridge_poll_carrier(gpointer opaque)
{
    NetBridge *b = opaque;
    bool up = net_bridge_read_carrier(b);

    if (up != b->carrier) {
        b->carrier = up;
        TRACE(TRACE_BRIDGE, "%s: carrier %s", b->ifname, up ? "up" : "down");
        if (b->link_cb) {
            b->link_cb(b->link_opaque, up);
        }
    }
    return G_SOURCE_CONTINUE;
}

void net_bridge_set_link_cb(NetBridge *b, NetBridgeLinkFn fn, void *opaque)
{
    b->link_cb = fn;
    b->link_opaque = opaque;
}

bool net_bridge_carrier(const NetBridge *b)
{
    return b->carrier;
}

/* --- lifecycle ---------------------------------------------------------- */

NetBridge *net_bridge_new(Clock *clock, GMainContext *ctx, const char *ifname,
                          NetSwitch *sw, GError **errp)
{
    NetBridge *b = g_new0(NetBridge, 1);
    int ver = TPACKET_V3;
    struct tpacket_req3 req = {
        .tp_block_size = RING_BLOCK_SIZE,
        .tp_block_nr = RING_BLOCKS,
        .tp_frame_size = RING_FRAME_SIZE,
        .tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCKS,
        .tp_retire_blk_tov = RING_RETIRE_MS,
    };
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL)};
    struct packet_mreq mr = {.mr_type = PACKET_MR_PROMISC};

    b->fd = -1;
    b->sw = sw;
    g_strlcpy(b->ifname, ifname, sizeof(b->ifname));
    net_port_init(&b->port, clock, "bridge", &net_bridge_port_ops, b);
    sll.sll_ifindex = (int)if_nametoindex(ifname);
    if (!sll.sll_ifindex) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "bridge,ifname=%s: no such interface", ifname);
        goto fail;
    }
    {
        g_autofree char *w1 =
            g_strdup_printf("/sys/class/net/%s/wireless", ifname);
        g_autofree char *w2 =
            g_strdup_printf("/sys/class/net/%s/phy80211", ifname);
        if (g_file_test(w1, G_FILE_TEST_EXISTS) ||
            g_file_test(w2, G_FILE_TEST_EXISTS)) {
            /* Access points drop frames from MACs they did not associate. */
            emu_log(LOG_WARN,
                    "bridge,ifname=%s: a Wi-Fi adapter will not carry frames "
                    "with the VM's MAC; use -nic user, or tap on a wired "
                    "bridge",
                    ifname);
        }
    }
    /* Protocol 0: nothing is queued before the filter is in place. */
    b->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (b->fd < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "bridge,ifname=%s: cannot open a packet socket: %s%s",
                    ifname, g_strerror(errno),
                    errno == EPERM ? " (needs CAP_NET_RAW; run tulipvm-netd "
                                     "to bridge without privileges)"
                                   : "");
        goto fail;
    }
    if (!net_bridge_attach_filter(b, errp)) {
        goto fail;
    }
    if (setsockopt(b->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) < 0 ||
        setsockopt(b->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "bridge,ifname=%s: cannot set up the TPACKET_V3 ring: %s",
                    ifname, g_strerror(errno));
        goto fail;
    }
    b->ring_size = (size_t)RING_BLOCK_SIZE * RING_BLOCKS;
    b->ring = mmap(NULL, b->ring_size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_LOCKED, b->fd, 0);
    if (b->ring == MAP_FAILED) {
        /* MAP_LOCKED may exceed RLIMIT_MEMLOCK; it is only an optimisation. */
        b->ring = mmap(NULL, b->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                       b->fd, 0);
    }
    if (b->ring == MAP_FAILED) {
        b->ring = NULL;
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "bridge,ifname=%s: cannot map the ring: %s", ifname,
                    g_strerror(errno));
        goto fail;
    }
    if (bind(b->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "bridge,ifname=%s: cannot bind: %s", ifname,
                    g_strerror(errno));
        goto fail;
    }
    mr.mr_ifindex = sll.sll_ifindex;
    if (setsockopt(b->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) <
        0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "bridge,ifname=%s: cannot enable promiscuous mode: %s",
                    ifname, g_strerror(errno));
        goto fail;
    }
    b->watch = net_fd_watch_new(ctx, b->fd, net_bridge_read, b);
    b->carrier = net_bridge_read_carrier(b);
    b->carrier_src = g_timeout_source_new(CARRIER_POLL_MS);
    g_source_set_callback(b->carrier_src, net_bridge_poll_carrier, b, NULL);
    g_source_attach(b->carrier_src, ctx);
    b->uplink = net_switch_add_uplink(sw, ifname);
    net_port_connect(&b->port, &b->uplink->port);
    net_switch_set_changed_cb(sw, net_bridge_switch_changed, b);
    return b;

fail:
    net_bridge_free(b);
    return NULL;
}

void net_bridge_free(NetBridge *b)
{
    if (!b) {
        return;
    }
    if (b->uplink) {
        net_switch_set_changed_cb(b->sw, NULL, NULL);
        net_switch_remove_port(b->sw, b->uplink);
    }
    net_port_cleanup(&b->port);
    if (b->carrier_src) {
        g_source_destroy(b->carrier_src);
        g_source_unref(b->carrier_src);
    }
    net_fd_watch_free(b->watch);
    if (b->ring) {
        munmap(b->ring, b->ring_size);
    }
    if (b->fd >= 0) {
        close(b->fd);
    }
    g_free(b);
}

const NetBridgeStats *net_bridge_stats(NetBridge *b)
{
    struct tpacket_stats_v3 st;
    socklen_t sl = sizeof(st);

    /* The kernel resets its counters on read: accumulate. */
    if (getsockopt(b->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) {
        b->stats.rx_kernel_drops += st.tp_drops;
    }
    return &b->stats;
}

unsigned net_bridge_filter_len(const NetBridge *b)
{
    return b->filter_len;
}
