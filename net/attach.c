/*
 * tulipvm: adapter attachments (see net/attach.h).
 *
 * Every adapter gets a switch of its own even when it has one uplink: the
 * switch is where the per-adapter policy lives (source MAC, promiscuous
 * policy, capture, cable), and a bridged uplink reads its BPF filter from
 * it.  VMs sharing a network meet one level further out - on the host
 * adapter, the local segment's directory, or inside tulipvm-netd - so no
 * process-wide state is needed here.
 */
#include "net/attach.h"
#include "net/bridge.h"
#include "net/local.h"
#include "net/mac.h"
#include "net/netd.h"
#include "net/pcap.h"
#include "net/slirp.h"
#include "net/switch.h"
#include "net/tap.h"
#include "emu/log.h"

#include <string.h>

typedef struct NetBackendInst {
    NetBackendType type;
    NetSlirp *slirp;
    NetLocal *local;
    NetBridge *bridge;
    NetTap *tap;
    NetVde *vde;
    NetNetd *netd;
    NetSwitchPort *uplink; /* NULL for bridge (owns its own) and none */
} NetBackendInst;

struct NetAttachment {
    NetAttachEnv env;
    char *vm_name;
    unsigned index;
    uint8_t mac[6];
    NetMacClaim *claim;
    NetSwitch *sw;
    NetSwitchPort *vm;
    NetPcap *capture;
    NetBackendInst be;
    bool link_wanted; /* link=, set_link */
    bool link_now;    /* what the NIC was last told */
};

static void net_attachment_carrier(void *opaque, bool up);

static void backend_free(NetAttachment *att, NetBackendInst *be)
{
    net_slirp_free(be->slirp);
    net_local_free(be->local);
    net_bridge_free(be->bridge);
    net_tap_free(be->tap);
    net_vde_free(be->vde);
    net_netd_free(be->netd);
    if (be->uplink) {
        net_switch_remove_port(att->sw, be->uplink);
    }
    memset(be, 0, sizeof(*be));
}

static bool backend_new(NetAttachment *att, const NetNicConfig *cfg,
                        NetBackendInst *be, GError **errp)
{
    Clock *clk = att->env.clock;
    GMainContext *ctx = att->env.ctx;
    NetPort *port = NULL;

    memset(be, 0, sizeof(*be));
    be->type = cfg->type;
    switch (cfg->type) {
    case NET_BACKEND_USER: {
        NetSlirpConfig sc;
        net_slirp_config_from_nic(&sc, cfg, att->index);
        sc.hostname = att->vm_name;
        be->slirp = net_slirp_new(clk, ctx, &sc, errp);
        port = be->slirp ? net_slirp_port(be->slirp) : NULL;
        break;
    }
    case NET_BACKEND_LOCAL:
        be->local = net_local_new(clk, ctx, cfg->segment, cfg->dhcp, errp);
        port = be->local ? net_local_port(be->local) : NULL;
        break;
    case NET_BACKEND_BRIDGE: {
        g_autoptr(GError) local_err = NULL;
        const char *sock = g_getenv("TULIPVM_NETD_SOCKET");
        be->bridge = net_bridge_new(clk, ctx, cfg->ifname, att->sw, &local_err);
        if (be->bridge) {
            net_bridge_set_link_cb(be->bridge, net_attachment_carrier, att);
            return true;
        }
        /* Without CAP_NET_RAW, the daemon bridges for us. */
        be->netd = net_netd_new(clk, ctx, sock ? sock : NETD_DEFAULT_SOCKET,
                                NETD_KIND_BRIDGE, cfg->ifname, att->mac, errp);
        if (!be->netd) {
            g_prefix_error(errp,
                           "%s; through tulipvm-netd: ", local_err->message);
            return false;
        }
        port = net_netd_port(be->netd);
        break;
    }
    case NET_BACKEND_TAP:
        be->tap = net_tap_new(clk, ctx, cfg->ifname, errp);
        port = be->tap ? net_tap_port(be->tap) : NULL;
        break;
    case NET_BACKEND_VDE:
        be->vde = net_vde_new(clk, ctx, cfg->sock, errp);
        port = be->vde ? net_vde_port(be->vde) : NULL;
        break;
    case NET_BACKEND_NONE:
    default:
        return true;
    }
    if (!port) {
        return false;
    }
    be->uplink =
        net_switch_add_uplink(att->sw, net_backend_type_name(be->type));
    net_port_connect(port, &be->uplink->port);
    return true;
}

static void net_attachment_apply_link(NetAttachment *att)
{
    bool carrier = !att->be.bridge || net_bridge_carrier(att->be.bridge);
    bool up = att->link_wanted && att->be.type != NET_BACKEND_NONE && carrier;

    net_switch_port_set_link(att->vm, up);
    if (up && !att->link_now) {
        /* Tell the network where this MAC now lives. */
        net_switch_announce(att->vm);
    }
    /* Only a plugged NIC has seen the link (and could be announced). */
    att->link_now = up && att->vm->port.peer;
}

static void net_attachment_carrier(void *opaque, bool up)
{
    (void)up;
    net_attachment_apply_link(opaque);
}

NetAttachment *net_attachment_new(const NetAttachEnv *env,
                                  const NetNicConfig *cfg, unsigned index,
                                  GError **errp)
{
    NetAttachment *att = g_new0(NetAttachment, 1);
    g_autofree char *swname = g_strdup_printf("nic%u", index);

    att->env = *env;
    att->vm_name = g_strdup(env->vm_name ? env->vm_name : "tulipvm");
    att->env.vm_name = att->vm_name;
    att->index = index;
    /* The MAC is held before anything can send with it. */
    memcpy(att->mac, cfg->mac, 6);
    att->claim =
        net_mac_assign(cfg->has_mac, att->mac, att->vm_name, index, errp);
    if (!att->claim) {
        goto fail;
    }
    att->sw = net_switch_new(env->clock, swname);
    att->vm =
        net_switch_add_vm_port(att->sw, "vm", cfg->promisc, cfg->allow_spoof);
    if (cfg->capture) {
        att->capture = net_pcap_open(cfg->capture, errp);
        if (!att->capture) {
            goto fail;
        }
        net_switch_port_set_capture(att->vm, att->capture);
    }
    if (!backend_new(att, cfg, &att->be, errp)) {
        goto fail;
    }
    /* Until a NIC is plugged the link only records the wish. */
    att->link_wanted = cfg->link_up;
    net_attachment_apply_link(att);
    return att;

fail:
    net_attachment_free(att);
    return NULL;
}

void net_attachment_free(NetAttachment *att)
{
    if (!att) {
        return;
    }
    if (att->sw) {
        backend_free(att, &att->be);
        net_switch_free(att->sw);
    }
    net_pcap_close(att->capture);
    net_mac_release(att->claim);
    g_free(att->vm_name);
    g_free(att);
}

const uint8_t *net_attachment_mac(const NetAttachment *att)
{
    return att->mac;
}

void net_attachment_plug(NetAttachment *att, NetPort *nic)
{
    net_port_connect(nic, &att->vm->port);
    net_attachment_apply_link(att);
}

void net_attachment_set_link(NetAttachment *att, bool up)
{
    att->link_wanted = up;
    net_attachment_apply_link(att);
}

bool net_attachment_link(const NetAttachment *att)
{
    return net_port_link_up(&att->vm->port);
}

bool net_attachment_reattach(NetAttachment *att, const NetNicConfig *cfg,
                             GError **errp)
{
    NetBackendInst old = att->be, fresh;

    /* The old backend may hold what the new one needs (a hostfwd port). */
    memset(&att->be, 0, sizeof(att->be));
    backend_free(att, &old);
    if (!backend_new(att, cfg, &fresh, errp)) {
        /* Keep the adapter usable: unplugged, as `none`. */
        memset(&att->be, 0, sizeof(att->be));
        att->be.type = NET_BACKEND_NONE;
        net_attachment_apply_link(att);
        return false;
    }
    att->be = fresh;
    /* A new network: the guest sees the cable replugged and renews DHCP. */
    net_switch_port_set_link(att->vm, false);
    att->link_now = false;
    net_attachment_apply_link(att);
    return true;
}

bool net_attachment_capture_start(NetAttachment *att, const char *path,
                                  GError **errp)
{
    NetPcap *p = net_pcap_open(path, errp);

    if (!p) {
        return false;
    }
    net_switch_port_set_capture(att->vm, p);
    net_pcap_close(att->capture);
    att->capture = p;
    return true;
}

void net_attachment_capture_stop(NetAttachment *att)
{
    net_switch_port_set_capture(att->vm, NULL);
    net_pcap_close(att->capture);
    att->capture = NULL;
}

char *net_attachment_describe(NetAttachment *att)
{
    GString *s = g_string_new(NULL);
    const NetSwitchPortStats *ps = &att->vm->stats;
    const NetPortStats *p = &att->vm->port.stats;
    char mac[18];

    g_string_append_printf(s, "type=%s\nmac=%s\nlink=%s\n",
                           net_backend_type_name(att->be.type),
                           net_mac_format(att->mac, mac),
                           net_attachment_link(att) ? "up" : "down");
    g_string_append_printf(
        s,
        "to_guest_frames=%" G_GUINT64_FORMAT
        "\nto_guest_dropped_full=%" G_GUINT64_FORMAT
        "\nfrom_guest_frames=%" G_GUINT64_FORMAT
        "\ndrop_spoofed=%" G_GUINT64_FORMAT "\ndrop_bad_src=%" G_GUINT64_FORMAT
        "\n",
        p->tx_frames,
        att->vm->port.peer ? att->vm->port.peer->stats.rx_dropped_full : 0,
        p->rx_frames, ps->drop_spoofed, ps->drop_bad_src);
    if (att->be.netd) {
        g_string_append(s, "via=tulipvm-netd\n");
    }
    if (att->be.slirp) {
        g_string_append_printf(
            s, "host_protect_drops=%" G_GUINT64_FORMAT "\n",
            net_slirp_stats(att->be.slirp)->host_protect_drops);
    }
    if (att->be.bridge) {
        const NetBridgeStats *b = net_bridge_stats(att->be.bridge);
        g_string_append_printf(s,
                               "bridge_rx=%" G_GUINT64_FORMAT
                               "\nbridge_kernel_drops=%" G_GUINT64_FORMAT
                               "\nbridge_oversize=%" G_GUINT64_FORMAT
                               "\nbridge_superframes=%" G_GUINT64_FORMAT
                               "\nbridge_tx_errors=%" G_GUINT64_FORMAT "\n",
                               b->rx_frames, b->rx_kernel_drops, b->rx_oversize,
                               b->rx_superframes, b->tx_errors);
    }
    if (att->capture) {
        g_string_append_printf(s, "captured=%" G_GUINT64_FORMAT "\n",
                               net_pcap_frames(att->capture));
    }
    return g_string_free(s, FALSE);
}
