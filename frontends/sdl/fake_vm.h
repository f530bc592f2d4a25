/*
 * tulipvm: a stand-in VM behind the VmControl interface, for tests and the
 * GUI demo.  It keeps per-adapter state the way the machine would report
 * it (link up = cable in and attached), lets a test make traffic flow, and
 * logs every call as one text line ("reattach 0 none") so a test can check
 * exactly what the frontend asked for.
 */
#ifndef FRONTENDS_FAKE_VM_H
#define FRONTENDS_FAKE_VM_H

#include "vm_control.h"

typedef void (*FakeVmLogFn)(void *opaque, const char *line);

typedef struct FakeVm {
    unsigned count, next_count;
    VmAdapterInfo ad[VM_MAX_ADAPTERS];
    uint8_t next_mac[VM_MAX_ADAPTERS][6];
    bool quit_requested;
    GPtrArray *calls; /* the log lines, oldest first */
    FakeVmLogFn log_fn;
    void *log_opaque;
} FakeVm;

/* count adapters, all on NAT with the cable in, MACs 00:03:ff:00:00:0N. */
void fake_vm_init(FakeVm *f, unsigned count);
void fake_vm_destroy(FakeVm *f);
VmControl fake_vm_control(FakeVm *f);
/* Frames moved on every adapter whose link is up. */
void fake_vm_traffic(FakeVm *f, unsigned tx, unsigned rx);
/* The last logged call, or NULL. */
const char *fake_vm_last_call(const FakeVm *f);
bool fake_vm_called(const FakeVm *f, const char *line);

#endif /* FRONTENDS_FAKE_VM_H */
