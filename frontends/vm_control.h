/*
 * tulipvm: what a frontend may ask of a running VM's network adapters.
 *
 * The SDL status line and settings dialog and the control socket see the
 * machine only through this ops table.  The machine implements it; tests
 * use a fake (frontends/sdl/fake_vm.c).  All calls come from the thread
 * that runs the machine.
 *
 * Live changes are those real hardware allows while running: moving the
 * cable to another network (re-attach), plugging or unplugging it, and
 * capture.  The adapter count and MAC addresses only change at the next
 * start; the set_next_* calls record them for that.
 */
#ifndef FRONTENDS_VM_CONTROL_H
#define FRONTENDS_VM_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "config.h"
#include "emu/log.h"

typedef struct VmAdapterInfo {
    VmAttachment attach;
    uint8_t mac[6];       /* the address the adapter has now */
    bool cable_connected; /* the user's "cable connected" setting */
    bool link_up;         /* what the guest sees: cable in and attached */
    uint64_t tx_frames, rx_frames;
    uint64_t tx_dropped, rx_dropped;
    char capture[VM_CAPTURE_MAX]; /* "" when not capturing */
} VmAdapterInfo;

typedef struct VmControlOps {
    unsigned (*adapter_count)(void *opaque);
    bool (*adapter_info)(void *opaque, unsigned idx, VmAdapterInfo *out);
    bool (*set_cable)(void *opaque, unsigned idx, bool connected,
                      GError **errp);
    /* spec as for vm_attach_parse(): "user", "local,net=lab", "none"... */
    bool (*reattach)(void *opaque, unsigned idx, const char *spec,
                     GError **errp);
    bool (*capture_start)(void *opaque, unsigned idx, const char *path,
                          GError **errp);
    void (*capture_stop)(void *opaque, unsigned idx);
    bool (*set_next_mac)(void *opaque, unsigned idx, const uint8_t mac[6],
                         GError **errp);
    bool (*set_next_adapter_count)(void *opaque, unsigned n, GError **errp);
    void (*quit)(void *opaque);
} VmControlOps;

typedef struct VmControl {
    const VmControlOps *ops;
    void *opaque;
} VmControl;

/* For implementations: whether adapter idx is one of count, with the
 * error every VmControl gives otherwise. */
static inline bool vm_adapter_exists(unsigned idx, unsigned count,
                                     GError **errp)
{
    if (idx >= count) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "adapter %u does not exist (the VM has %u)", idx, count);
        return false;
    }
    return true;
}

static inline unsigned vm_adapter_count(const VmControl *vm)
{
    return vm->ops->adapter_count(vm->opaque);
}

static inline bool vm_adapter_info(const VmControl *vm, unsigned idx,
                                   VmAdapterInfo *out)
{
    return vm->ops->adapter_info(vm->opaque, idx, out);
}

static inline bool vm_set_cable(const VmControl *vm, unsigned idx, bool on,
                                GError **errp)
{
    return vm->ops->set_cable(vm->opaque, idx, on, errp);
}

static inline bool vm_reattach(const VmControl *vm, unsigned idx,
                               const char *spec, GError **errp)
{
    return vm->ops->reattach(vm->opaque, idx, spec, errp);
}

static inline bool vm_capture_start(const VmControl *vm, unsigned idx,
                                    const char *path, GError **errp)
{
    return vm->ops->capture_start(vm->opaque, idx, path, errp);
}

static inline void vm_capture_stop(const VmControl *vm, unsigned idx)
{
    vm->ops->capture_stop(vm->opaque, idx);
}

static inline bool vm_set_next_mac(const VmControl *vm, unsigned idx,
                                   const uint8_t mac[6], GError **errp)
{
    return vm->ops->set_next_mac(vm->opaque, idx, mac, errp);
}

static inline bool vm_set_next_adapter_count(const VmControl *vm, unsigned n,
                                             GError **errp)
{
    return vm->ops->set_next_adapter_count(vm->opaque, n, errp);
}

static inline void vm_quit(const VmControl *vm)
{
    vm->ops->quit(vm->opaque);
}

#endif /* FRONTENDS_VM_CONTROL_H */
