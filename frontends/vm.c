/*
 * tulipvm: VmControl over the machine's adapters (see vm.h).
 */
#include "vm.h"
#include "emu/log.h"
#include "net/mac.h"

#include <string.h>

void machine_vm_attachment_of(const NetNicConfig *nic, VmAttachment *out)
{
    const char *detail = NULL;

    memset(out, 0, sizeof(*out));
    switch (nic->type) {
    case NET_BACKEND_USER:
        out->kind = VM_ATTACH_USER;
        break;
    case NET_BACKEND_LOCAL:
        out->kind = VM_ATTACH_LOCAL;
        detail = nic->segment ? nic->segment : VM_DEFAULT_SEGMENT;
        break;
    case NET_BACKEND_BRIDGE:
        out->kind = VM_ATTACH_BRIDGE;
        detail = nic->ifname;
        break;
    case NET_BACKEND_TAP:
        out->kind = VM_ATTACH_TAP;
        detail = nic->ifname;
        break;
    case NET_BACKEND_VDE:
        out->kind = VM_ATTACH_VDE;
        detail = nic->sock;
        break;
    case NET_BACKEND_NONE:
    default:
        out->kind = VM_ATTACH_NONE;
        break;
    }
    if (detail) {
        g_strlcpy(out->detail, detail, sizeof(out->detail));
    }
}

void machine_vm_init(MachineVm *m, VmConfig *cfg, void (*quit_fn)(void *opaque),
                     void *quit_opaque)
{
    memset(m, 0, sizeof(*m));
    m->cfg = cfg;
    m->quit_fn = quit_fn;
    m->quit_opaque = quit_opaque;
}

/* The whole spec when it reads as an attachment; else what the parsed
 * -nic says (a value with an escaped comma, say). */
void machine_vm_attachment_from(const NetNicConfig *nic, const char *spec,
                                VmAttachment *out)
{
    if (!spec || !vm_attach_from_nic(spec, out, NULL)) {
        machine_vm_attachment_of(nic, out);
    }
}

void machine_vm_add(MachineVm *m, NetAttachment *att, NetPort *nic,
                    const NetNicConfig *from, const char *spec)
{
    unsigned i = m->count;

    g_assert(i < VM_MAX_ADAPTERS);
    m->att[i] = att;
    m->nic[i] = nic;
    machine_vm_attachment_from(from, spec, &m->attach[i]);
    m->cable[i] = from->link_up;
    if (from->capture) {
        g_strlcpy(m->capture[i], from->capture, sizeof(m->capture[i]));
    }
    m->count++;
}

static unsigned mvm_adapter_count(void *opaque)
{
    MachineVm *m = opaque;
    return m->count;
}

static bool mvm_adapter_info(void *opaque, unsigned idx, VmAdapterInfo *out)
{
    MachineVm *m = opaque;
    const NetPortStats *st;

    if (idx >= m->count) {
        return false;
    }
    memset(out, 0, sizeof(*out));
    out->attach = m->attach[idx];
    memcpy(out->mac, net_attachment_mac(m->att[idx]), 6);
    out->cable_connected = m->cable[idx];
    out->link_up = net_attachment_link(m->att[idx]);
    /* The adapter's side: what the guest's driver sent and was given. */
    st = &m->nic[idx]->stats;
    out->tx_frames = st->tx_frames;
    out->rx_frames = st->rx_frames;
    out->tx_dropped = st->tx_no_peer;
    out->rx_dropped = st->rx_dropped_full + st->rx_dropped + st->rx_oversize;
    g_strlcpy(out->capture, m->capture[idx], sizeof(out->capture));
    return true;
}

static bool mvm_set_cable(void *opaque, unsigned idx, bool on, GError **errp)
{
    MachineVm *m = opaque;

    if (!vm_adapter_exists(idx, m->count, errp)) {
        return false;
    }
    net_attachment_set_link(m->att[idx], on);
    m->cable[idx] = on;
    if (m->cfg) {
        m->cfg->adapter[idx].link = on;
    }
    return true;
}

/* Options fixed at power-on (the serial ROM's MAC, the chip) or with a
 * call of their own (capture, cable). */
static bool machine_vm_spec_is_live(const char *spec, GError **errp)
{
    static const char *const fixed[] = {"mac",  "model",   "capture", "link",
                                        "rate", "promisc", "macspoof"};
    g_auto(GStrv) parts = g_strsplit(spec, ",", -1);

    for (unsigned i = 1; parts[i]; i++) {
        for (unsigned k = 0; k < G_N_ELEMENTS(fixed); k++) {
            size_t n = strlen(fixed[k]);
            if (!strncmp(parts[i], fixed[k], n) && parts[i][n] == '=') {
                g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                            "%s: %s= cannot be changed by re-attaching", spec,
                            fixed[k]);
                return false;
            }
        }
    }
    return true;
}

static bool mvm_reattach(void *opaque, unsigned idx, const char *spec,
                         GError **errp)
{
    MachineVm *m = opaque;
    NetNicConfig nic;
    VmAttachment to;
    bool ok;

    /* The spec is kept whole (vm_attach_parse) for list and the settings,
     * so a restart makes the same backend. */
    if (!vm_adapter_exists(idx, m->count, errp) ||
        !machine_vm_spec_is_live(spec, errp) ||
        !vm_attach_parse(spec, &to, errp) ||
        !net_nic_config_parse(spec, &nic, errp)) {
        return false;
    }
    ok = net_attachment_reattach(m->att[idx], &nic, errp);
    if (ok) {
        m->attach[idx] = to;
    } else {
        /* The attachment fell back to "not connected". */
        memset(&m->attach[idx], 0, sizeof(m->attach[idx]));
        m->attach[idx].kind = VM_ATTACH_NONE;
    }
    if (m->cfg) {
        m->cfg->adapter[idx].attach = m->attach[idx];
    }
    net_nic_config_clear(&nic);
    return ok;
}

static bool mvm_capture_start(void *opaque, unsigned idx, const char *path,
                              GError **errp)
{
    MachineVm *m = opaque;

    if (!vm_adapter_exists(idx, m->count, errp)) {
        return false;
    }
    if (!path || !path[0] || strlen(path) >= VM_CAPTURE_MAX) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "capture file name empty or longer than %d bytes",
                    VM_CAPTURE_MAX - 1);
        return false;
    }
    if (!net_attachment_capture_start(m->att[idx], path, errp)) {
        return false;
    }
    g_strlcpy(m->capture[idx], path, sizeof(m->capture[idx]));
    if (m->cfg) {
        g_strlcpy(m->cfg->adapter[idx].capture, path,
                  sizeof(m->cfg->adapter[idx].capture));
    }
    return true;
}

static void mvm_capture_stop(void *opaque, unsigned idx)
{
    MachineVm *m = opaque;

    if (idx >= m->count) {
        return;
    }
    net_attachment_capture_stop(m->att[idx]);
    m->capture[idx][0] = 0;
    if (m->cfg) {
        m->cfg->adapter[idx].capture[0] = 0;
    }
}

static bool mvm_set_next_mac(void *opaque, unsigned idx, const uint8_t mac[6],
                             GError **errp)
{
    MachineVm *m = opaque;

    /* Adapters the VM does not have yet may get theirs too. */
    if (idx >= VM_MAX_ADAPTERS) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "adapter %u: a VM has at most %d", idx, VM_MAX_ADAPTERS);
        return false;
    }
    if ((mac[0] & 1) ||
        !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "adapter %u: the MAC must be a non-zero unicast address",
                    idx);
        return false;
    }
    for (unsigned j = 0; j < VM_MAX_ADAPTERS; j++) {
        const VmAdapterConfig *o = &m->cfg->adapter[j];
        bool next = o->has_mac && !memcmp(o->mac, mac, 6);
        bool now = j < m->count && !o->has_mac &&
                   !memcmp(net_attachment_mac(m->att[j]), mac, 6);
        if (j != idx && (next || now)) {
            char text[18];
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "adapter %u: MAC %s is also adapter %u's", idx,
                        net_mac_format(mac, text), j);
            return false;
        }
    }
    m->cfg->adapter[idx].has_mac = true;
    memcpy(m->cfg->adapter[idx].mac, mac, 6);
    return true;
}

static bool mvm_set_next_adapter_count(void *opaque, unsigned n, GError **errp)
{
    MachineVm *m = opaque;

    if (n < 1 || n > VM_MAX_ADAPTERS) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "adapter count %u: expected 1 to %d", n, VM_MAX_ADAPTERS);
        return false;
    }
    m->cfg->adapters = n;
    return true;
}

static void mvm_quit(void *opaque)
{
    MachineVm *m = opaque;
    if (m->quit_fn) {
        m->quit_fn(m->quit_opaque);
    }
}

static const VmControlOps machine_vm_ops = {
    .adapter_count = mvm_adapter_count,
    .adapter_info = mvm_adapter_info,
    .set_cable = mvm_set_cable,
    .reattach = mvm_reattach,
    .capture_start = mvm_capture_start,
    .capture_stop = mvm_capture_stop,
    .set_next_mac = mvm_set_next_mac,
    .set_next_adapter_count = mvm_set_next_adapter_count,
    .quit = mvm_quit,
};

VmControl machine_vm_control(MachineVm *m)
{
    VmControl vm = {&machine_vm_ops, m};
    return vm;
}
