/*
 * tulipvm: the Settings dialog (see settings.h).  Layout is computed top
 * to bottom from the font's line height every frame; widget ids are
 * stable strings ("attach-none", "attach-bridge-eth0", "mac", "ok") that
 * tests use to find them.
 */
#include "settings.h"
#include "emu/log.h"
#include "net/mac.h"
#include "net/nic_opts.h"

#include <net/if.h>
#include <string.h>

#define SETTINGS_W      640
#define SETTINGS_H      404 /* fits the tallest layout, error line included */
#define SETTINGS_MARGIN 8
#define NEXT_START_NOTE "(takes effect at next start)"

static const char *settings_mac_text(const uint8_t mac[6], char *buf)
{
    return net_mac_format(mac, buf);
}

void settings_init(SettingsDialog *d, const VmControl *vm, VmConfig *cfg,
                   const char *cfg_path, const char *const *host_ifaces)
{
    memset(d, 0, sizeof(*d));
    d->vm = *vm;
    d->cfg = cfg;
    d->cfg_path = g_strdup(cfg_path);
    d->host_ifaces = g_ptr_array_new_with_free_func(g_free);
    settings_set_host_ifaces(d, host_ifaces);
}

void settings_set_host_ifaces(SettingsDialog *d, const char *const *host_ifaces)
{
    g_ptr_array_set_size(d->host_ifaces, 0);
    for (unsigned i = 0; host_ifaces && host_ifaces[i]; i++) {
        g_ptr_array_add(d->host_ifaces, g_strdup(host_ifaces[i]));
    }
}

void settings_destroy(SettingsDialog *d)
{
    if (d->host_ifaces) {
        g_ptr_array_free(d->host_ifaces, TRUE);
    }
    g_free(d->cfg_path);
    memset(d, 0, sizeof(*d));
}

/* The index of a host interface; one that is bridged but no longer
 * listed (unplugged USB adapter, say) is added so it can be shown. */
static unsigned settings_offer_iface(SettingsDialog *d, const char *name)
{
    for (unsigned i = 0; i < d->host_ifaces->len; i++) {
        if (!strcmp(g_ptr_array_index(d->host_ifaces, i), name)) {
            return i;
        }
    }
    g_ptr_array_add(d->host_ifaces, g_strdup(name));
    return d->host_ifaces->len - 1;
}

/*
 * Adapters that exist show what the VM has now (the control socket may
 * have changed it since); adapters for the next start show the config.
 */
void settings_load(SettingsDialog *d)
{
    unsigned live = vm_adapter_count(&d->vm);

    d->count = d->orig_count = d->cfg->adapters;
    if (d->current >= d->count) {
        d->current = 0;
    }
    d->error[0] = 0;
    for (unsigned i = 0; i < VM_MAX_ADAPTERS; i++) {
        SettingsAdapter *a = &d->ad[i];
        const VmAdapterConfig *c = &d->cfg->adapter[i];
        VmAdapterInfo info;

        memset(a, 0, sizeof(*a));
        a->live = i < live && vm_adapter_info(&d->vm, i, &info);
        if (a->live) {
            a->attach = info.attach;
            a->cable = info.cable_connected;
            g_strlcpy(a->orig_capture, info.capture, sizeof(a->orig_capture));
            /* A MAC chosen for the next start wins over the current one. */
            settings_mac_text(c->has_mac ? c->mac : info.mac, a->orig_mac);
        } else {
            a->attach = c->attach;
            a->cable = c->link;
            g_strlcpy(a->orig_capture, c->capture, sizeof(a->orig_capture));
            if (c->has_mac) {
                settings_mac_text(c->mac, a->orig_mac);
            }
        }
        a->orig_attach = a->attach;
        a->orig_cable = a->cable;
        ui_tf_set(&a->mac, a->orig_mac);
        ui_tf_set(&a->capture, a->orig_capture);
        ui_tf_set(&a->segment, a->attach.kind == VM_ATTACH_LOCAL
                                   ? a->attach.detail
                                   : VM_DEFAULT_SEGMENT);
        if (a->attach.kind == VM_ATTACH_BRIDGE) {
            a->iface_sel = settings_offer_iface(d, a->attach.detail);
        }
    }
}

/* "" or the reason the MAC field is unusable. */
static void settings_check_mac(SettingsAdapter *a)
{
    uint8_t mac[6];
    GError *err = NULL;

    a->mac_error[0] = 0;
    if (!a->mac.len || net_mac_parse(a->mac.buf, mac, &err)) {
        return;
    }
    /* Drop the command line's "-nic: " prefix: this is a form field. */
    const char *msg = err->message;
    if (g_str_has_prefix(msg, "-nic: ")) {
        msg += 6;
    }
    g_strlcpy(a->mac_error, msg, sizeof(a->mac_error));
    g_error_free(err);
}

/* Everything is checked before anything is applied, so an invalid field
 * never leaves the VM half reconfigured. */
static bool settings_validate(SettingsDialog *d, GError **errp)
{
    for (unsigned i = 0; i < d->count; i++) {
        SettingsAdapter *a = &d->ad[i];
        settings_check_mac(a);
        if (a->mac_error[0]) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID, "Adapter %u: %s",
                        i + 1, a->mac_error);
            return false;
        }
        if (a->attach.kind == VM_ATTACH_LOCAL) {
            g_autofree char *spec =
                g_strdup_printf("local,net=%s", a->segment.buf);
            VmAttachment parsed;
            GError *err = NULL;
            if (!vm_attach_parse(spec, &parsed, &err)) {
                g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                            "Adapter %u: segment name: %s", i + 1,
                            err->message);
                g_error_free(err);
                return false;
            }
            /* The segment is the dialog's; options such as dhcp=off stay. */
            g_strlcpy(parsed.opts, a->attach.opts, sizeof(parsed.opts));
            a->attach = parsed;
        }
    }
    for (unsigned i = 0; i < d->count; i++) {
        uint8_t mi[6], mj[6];
        if (!d->ad[i].mac.len || !net_mac_parse(d->ad[i].mac.buf, mi, NULL)) {
            continue;
        }
        for (unsigned j = i + 1; j < d->count; j++) {
            if (d->ad[j].mac.len && net_mac_parse(d->ad[j].mac.buf, mj, NULL) &&
                !memcmp(mi, mj, 6)) {
                g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                            "Adapter %u: MAC %s is also Adapter %u's", j + 1,
                            d->ad[j].mac.buf, i + 1);
                return false;
            }
        }
    }
    return true;
}

/* What a user would do by hand: move the cable, plug or unplug it, then
 * start or stop capture.  Unchanged settings cause no call at all. */
static bool settings_apply_live(SettingsDialog *d, unsigned i, GError **errp)
{
    SettingsAdapter *a = &d->ad[i];

    if (!vm_attach_equal(&a->attach, &a->orig_attach)) {
        g_autofree char *spec = vm_attach_spec(&a->attach);
        if (!vm_reattach(&d->vm, i, spec, errp)) {
            return false;
        }
    }
    if (a->cable != a->orig_cable && !vm_set_cable(&d->vm, i, a->cable, errp)) {
        return false;
    }
    if (strcmp(a->capture.buf, a->orig_capture)) {
        if (a->orig_capture[0]) {
            vm_capture_stop(&d->vm, i);
        }
        if (a->capture.len &&
            !vm_capture_start(&d->vm, i, a->capture.buf, errp)) {
            return false;
        }
    }
    return true;
}

/* On success the working copy is reloaded from the VM, so a second OK
 * changes nothing. */
bool settings_apply(SettingsDialog *d, GError **errp)
{
    if (!settings_validate(d, errp)) {
        return false;
    }
    for (unsigned i = 0; i < d->count; i++) {
        SettingsAdapter *a = &d->ad[i];
        VmAdapterConfig *c = &d->cfg->adapter[i];
        if (a->live && !settings_apply_live(d, i, errp)) {
            return false;
        }
        if (strcmp(a->mac.buf, a->orig_mac) && a->mac.len) {
            uint8_t mac[6];
            net_mac_parse(a->mac.buf, mac, NULL);
            if (!vm_set_next_mac(&d->vm, i, mac, errp)) {
                return false;
            }
        }
        c->attach = a->attach;
        c->link = a->cable;
        g_strlcpy(c->capture, a->capture.buf, sizeof(c->capture));
        c->has_mac = a->mac.len && net_mac_parse(a->mac.buf, c->mac, NULL);
    }
    if (d->count != d->orig_count &&
        !vm_set_next_adapter_count(&d->vm, d->count, errp)) {
        return false;
    }
    d->cfg->adapters = d->count;
    if (d->cfg_path && !vm_config_save(d->cfg, d->cfg_path, errp)) {
        return false;
    }
    settings_load(d);
    return true;
}

char **settings_host_ifaces(void)
{
    GPtrArray *names = g_ptr_array_new();
    struct if_nameindex *list = if_nameindex();

    for (struct if_nameindex *p = list; p && p->if_name; p++) {
        if (strcmp(p->if_name, "lo")) {
            g_ptr_array_add(names, g_strdup(p->if_name));
        }
    }
    if (list) {
        if_freenameindex(list);
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

SDL_Rect settings_rect(SDL_Rect area)
{
    int w = area.w - 2 * SETTINGS_MARGIN;
    if (w > SETTINGS_W) {
        w = SETTINGS_W;
    }
    int h = area.h - 2 * SETTINGS_MARGIN;
    if (h > SETTINGS_H) {
        h = SETTINGS_H;
    }
    return (SDL_Rect){area.x + (area.w - w) / 2, area.y + (area.h - h) / 2, w,
                      h};
}

/* The attachment choices of the current adapter. */
static void settings_attach_rows(SettingsDialog *d, Ui *ui, int x, int *y,
                                 int row)
{
    SettingsAdapter *a = &d->ad[d->current];
    int w = SETTINGS_W - 60;

    if (ui_radio(ui, "attach-none", (SDL_Rect){x, *y, w, row}, "Not connected",
                 a->attach.kind == VM_ATTACH_NONE)) {
        a->attach = (VmAttachment){.kind = VM_ATTACH_NONE};
    }
    *y += row;
    int lw = ui_text_width(ui, "Local only") + 40;
    if (ui_radio(ui, "attach-local", (SDL_Rect){x, *y, lw, row}, "Local only",
                 a->attach.kind == VM_ATTACH_LOCAL)) {
        a->attach = (VmAttachment){.kind = VM_ATTACH_LOCAL};
        g_strlcpy(a->attach.detail, a->segment.buf, sizeof(a->attach.detail));
    }
    ui_label(ui, x + lw, *y + (row - ui->line_h) / 2, "segment:", ui_grey_text);
    int sx = x + lw + ui_text_width(ui, "segment: ") + 4;
    if (ui_textfield(ui, "segment", (SDL_Rect){sx, *y + 1, 180, row - 2},
                     &a->segment) &&
        a->attach.kind == VM_ATTACH_LOCAL) {
        g_strlcpy(a->attach.detail, a->segment.buf, sizeof(a->attach.detail));
    }
    *y += row;
    if (ui_radio(ui, "attach-user", (SDL_Rect){x, *y, w, row},
                 "Shared networking (NAT)", a->attach.kind == VM_ATTACH_USER)) {
        a->attach = (VmAttachment){.kind = VM_ATTACH_USER};
    }
    *y += row;
    /* Host adapters: one choice plus a drop-down, however many the host
     * has (Virtual PC lists them the same way). */
    unsigned n = d->host_ifaces->len;
    const char *bridge_label = n ? "Host adapter:" : "Host adapter: (none)";
    int bw = ui_text_width(ui, bridge_label) + 40;
    bool was_bridge = a->attach.kind == VM_ATTACH_BRIDGE;
    bool pick = ui_radio(ui, "attach-bridge", (SDL_Rect){x, *y, bw, row},
                         bridge_label, was_bridge) &&
                n;
    if (n) {
        pick |= ui_dropdown(
            ui, "host-iface", (SDL_Rect){x + bw, *y + 1, 220, row - 2},
            (const char *const *)d->host_ifaces->pdata, n, &a->iface_sel);
    }
    if (pick) {
        a->attach = (VmAttachment){.kind = VM_ATTACH_BRIDGE};
        g_strlcpy(a->attach.detail,
                  g_ptr_array_index(d->host_ifaces, a->iface_sel),
                  sizeof(a->attach.detail));
    }
    *y += row;
    if (a->attach.kind == VM_ATTACH_TAP || a->attach.kind == VM_ATTACH_VDE) {
        g_autofree char *desc = vm_attach_describe(&a->attach);
        g_autofree char *label = g_strdup_printf("Other: %s", desc);
        ui_radio(ui, "attach-other", (SDL_Rect){x, *y, w, row}, label, true);
        *y += row;
    }
}

/* Immediate mode: the pass that draws a widget also handles the click on
 * it, so a click always lands on what the user saw. */
SettingsResult settings_frame(SettingsDialog *d, Ui *ui, SDL_Rect area)
{
    SDL_Rect r = settings_rect(area);
    int row = ui->line_h + 8;
    int x = r.x + 14, y = r.y;
    char buf[64];
    SettingsResult res = SETTINGS_OPEN;

    ui_fill(ui, r, ui_face);
    ui_bevel(ui, r, false);
    ui_fill(ui, (SDL_Rect){r.x + 2, r.y + 2, r.w - 4, row}, ui_title);
    ui_label(ui, x, r.y + 2 + (row - ui->line_h) / 2, "Settings: Networking",
             ui_white);
    y += row + 12;

    /* Number of adapters */
    const char *count_label = "Number of network adapters:";
    ui_label(ui, x, y + (row - ui->line_h) / 2, count_label, ui_black);
    int cx = x + ui_text_width(ui, count_label) + 12;
    for (unsigned n = 1; n <= VM_MAX_ADAPTERS; n++) {
        g_snprintf(buf, sizeof(buf), "count-%u", n);
        char label[2] = {(char)('0' + n), 0};
        if (ui_radio(ui, buf, (SDL_Rect){cx, y, 44, row}, label,
                     d->count == n)) {
            d->count = n;
            if (d->current >= n) {
                d->current = n - 1;
            }
        }
        cx += 44;
    }
    ui_note(ui, "note-count", cx + 6, y + (row - ui->line_h) / 2,
            NEXT_START_NOTE, ui_grey_text);
    y += row + 8;

    /* One tab per adapter */
    int tx = x;
    for (unsigned i = 0; i < d->count; i++) {
        g_snprintf(buf, sizeof(buf), "tab-%u", i);
        char label[32];
        g_snprintf(label, sizeof(label), "Adapter %u", i + 1);
        int tw = ui_text_width(ui, label) + 24;
        if (ui_button(ui, buf, (SDL_Rect){tx, y, tw, row + 2}, label,
                      d->current == i)) {
            d->current = i;
        }
        tx += tw + 4;
    }
    y += row + 10;

    SettingsAdapter *a = &d->ad[d->current];
    ui_label(ui, x, y + (row - ui->line_h) / 2, "Attached to:", ui_black);
    y += row;
    settings_attach_rows(d, ui, x + 16, &y, row);
    y += 6;

    /* MAC, cable, capture */
    const char *mac_label = "MAC address:";
    int fx = x + ui_text_width(ui, "Capture file:") + 12;
    ui_label(ui, x, y + (row - ui->line_h) / 2, mac_label, ui_black);
    ui_textfield(ui, "mac", (SDL_Rect){fx, y + 1, 170, row - 2}, &a->mac);
    ui_note(ui, "note-mac", fx + 180, y + (row - ui->line_h) / 2,
            NEXT_START_NOTE, ui_grey_text);
    y += row;
    settings_check_mac(a);
    if (a->mac_error[0]) {
        ui_label(ui, fx, y + (row - ui->line_h) / 2, a->mac_error, ui_red);
    } else if (!a->mac.len) {
        ui_label(ui, fx, y + (row - ui->line_h) / 2,
                 "(empty: chosen automatically)", ui_grey_text);
    }
    y += row;
    ui_checkbox(ui, "cable", (SDL_Rect){x, y, 200, row}, "Cable connected",
                &a->cable);
    y += row;
    ui_label(ui, x, y + (row - ui->line_h) / 2, "Capture file:", ui_black);
    ui_textfield(ui, "capture",
                 (SDL_Rect){fx, y + 1, r.x + r.w - 14 - fx, row - 2},
                 &a->capture);
    y += row;
    if (!a->live) {
        ui_note(ui, "note-added", x, y + (row - ui->line_h) / 2,
                "This adapter is added at the next start.", ui_grey_text);
    }

    /* Buttons and the apply error */
    int by = r.y + r.h - row - 14;
    if (d->error[0]) {
        ui_label(ui, x, by - row, d->error, ui_red);
    }
    SDL_Rect cancel = {r.x + r.w - 14 - 90, by, 90, row + 4};
    SDL_Rect ok = {cancel.x - 8 - 90, by, 90, row + 4};
    if (ui_button(ui, "ok", ok, "OK", false)) {
        GError *err = NULL;
        if (settings_apply(d, &err)) {
            res = SETTINGS_OK;
        } else {
            g_strlcpy(d->error, err->message, sizeof(d->error));
            g_error_free(err);
        }
    }
    if (ui_button(ui, "cancel", cancel, "Cancel", false)) {
        res = SETTINGS_CANCEL;
    }
    return res;
}
