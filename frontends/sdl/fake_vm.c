/*
 * tulipvm: fake VM behind VmControl (see fake_vm.h).  Attachment specs are
 * checked with the same parser the real machine will use, so a malformed
 * spec from the frontend fails here as it would there.
 */
#include "fake_vm.h"
#include "emu/log.h"
#include "net/mac.h"

#include <string.h>

static void G_GNUC_PRINTF(2, 3) fake_log(FakeVm *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(f->calls, line);
    if (f->log_fn) {
        f->log_fn(f->log_opaque, line);
    }
}

/* What the guest would see: link needs a cable and something at its far
 * end ("Not connected" is a cable to nowhere). */
static void fake_update_link(VmAdapterInfo *a)
{
    a->link_up = a->cable_connected && a->attach.kind != VM_ATTACH_NONE;
}

static unsigned fake_adapter_count(void *opaque)
{
    FakeVm *f = opaque;
    return f->count;
}

static bool fake_adapter_info(void *opaque, unsigned idx, VmAdapterInfo *out)
{
    FakeVm *f = opaque;
    if (idx >= f->count) {
        return false;
    }
    *out = f->ad[idx];
    return true;
}

static bool fake_set_cable(void *opaque, unsigned idx, bool on, GError **errp)
{
    FakeVm *f = opaque;
    if (!vm_adapter_exists(idx, f->count, errp)) {
        return false;
    }
    fake_log(f, "set_cable %u %s", idx, on ? "on" : "off");
    f->ad[idx].cable_connected = on;
    fake_update_link(&f->ad[idx]);
    return true;
}

static bool fake_reattach(void *opaque, unsigned idx, const char *spec,
                          GError **errp)
{
    FakeVm *f = opaque;
    VmAttachment a;
    if (!vm_adapter_exists(idx, f->count, errp) ||
        !vm_attach_parse(spec, &a, errp)) {
        return false;
    }
    fake_log(f, "reattach %u %s", idx, spec);
    f->ad[idx].attach = a;
    fake_update_link(&f->ad[idx]);
    return true;
}

static bool fake_capture_start(void *opaque, unsigned idx, const char *path,
                               GError **errp)
{
    FakeVm *f = opaque;
    if (!vm_adapter_exists(idx, f->count, errp)) {
        return false;
    }
    fake_log(f, "capture_start %u %s", idx, path);
    g_strlcpy(f->ad[idx].capture, path, sizeof(f->ad[idx].capture));
    return true;
}

static void fake_capture_stop(void *opaque, unsigned idx)
{
    FakeVm *f = opaque;
    if (idx < f->count) {
        fake_log(f, "capture_stop %u", idx);
        f->ad[idx].capture[0] = 0;
    }
}

/* Next-start settings may name adapters the VM does not have yet. */
static bool fake_set_next_mac(void *opaque, unsigned idx, const uint8_t mac[6],
                              GError **errp)
{
    FakeVm *f = opaque;
    char text[18];
    if (idx >= VM_MAX_ADAPTERS) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID, "no adapter %u", idx);
        return false;
    }
    fake_log(f, "set_next_mac %u %s", idx, net_mac_format(mac, text));
    memcpy(f->next_mac[idx], mac, 6);
    return true;
}

static bool fake_set_next_adapter_count(void *opaque, unsigned n, GError **errp)
{
    FakeVm *f = opaque;
    if (n < 1 || n > VM_MAX_ADAPTERS) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "adapter count %u: expected 1 to %d", n, VM_MAX_ADAPTERS);
        return false;
    }
    fake_log(f, "set_next_adapter_count %u", n);
    f->next_count = n;
    return true;
}

static void fake_quit(void *opaque)
{
    FakeVm *f = opaque;
    fake_log(f, "quit");
    f->quit_requested = true;
}

static const VmControlOps fake_vm_ops = {
    .adapter_count = fake_adapter_count,
    .adapter_info = fake_adapter_info,
    .set_cable = fake_set_cable,
    .reattach = fake_reattach,
    .capture_start = fake_capture_start,
    .capture_stop = fake_capture_stop,
    .set_next_mac = fake_set_next_mac,
    .set_next_adapter_count = fake_set_next_adapter_count,
    .quit = fake_quit,
};

void fake_vm_init(FakeVm *f, unsigned count)
{
    memset(f, 0, sizeof(*f));
    f->count = f->next_count = count;
    f->calls = g_ptr_array_new_with_free_func(g_free);
    for (unsigned i = 0; i < VM_MAX_ADAPTERS; i++) {
        VmAdapterInfo *a = &f->ad[i];
        static const uint8_t base[6] = {0x00, 0x03, 0xff, 0x00, 0x00, 0x00};
        memcpy(a->mac, base, 6);
        a->mac[5] = (uint8_t)(i + 1);
        memcpy(f->next_mac[i], a->mac, 6);
        a->attach.kind = VM_ATTACH_USER;
        a->cable_connected = true;
        fake_update_link(a);
    }
}

void fake_vm_destroy(FakeVm *f)
{
    g_ptr_array_free(f->calls, TRUE);
    f->calls = NULL;
}

VmControl fake_vm_control(FakeVm *f)
{
    VmControl vm = {&fake_vm_ops, f};
    return vm;
}

/* Frames flow only where there is link, as on a real segment. */
void fake_vm_traffic(FakeVm *f, unsigned tx, unsigned rx)
{
    for (unsigned i = 0; i < f->count; i++) {
        if (f->ad[i].link_up) {
            f->ad[i].tx_frames += tx;
            f->ad[i].rx_frames += rx;
        }
    }
}

const char *fake_vm_last_call(const FakeVm *f)
{
    return f->calls->len ? g_ptr_array_index(f->calls, f->calls->len - 1)
                         : NULL;
}

bool fake_vm_called(const FakeVm *f, const char *line)
{
    for (unsigned i = 0; i < f->calls->len; i++) {
        if (!strcmp(g_ptr_array_index(f->calls, i), line)) {
            return true;
        }
    }
    return false;
}
