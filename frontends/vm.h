/*
 * tulipvm: the real VmControl (vm_control.h) over a running machine's
 * network adapters - what the control socket and the SDL window call.
 *
 * Each adapter is a NIC port (its counters are the guest's view: frames
 * the driver sent and received) and the NetAttachment that connects it to
 * a network.  Live changes go to the attachment (cable, re-attachment,
 * capture); the adapter count and MAC addresses are recorded in the
 * settings for the next start.  Every change is mirrored in the settings
 * (cfg); writing them to a file is the caller's part (the control socket
 * after each command, the Settings dialog on OK).  Not modelled:
 * hot-adding or removing an adapter.
 */
#ifndef FRONTENDS_VM_H
#define FRONTENDS_VM_H

#include "config.h"
#include "net/attach.h"
#include "net/nic_opts.h"
#include "vm_control.h"

typedef struct MachineVm {
    unsigned count;
    NetAttachment *att[VM_MAX_ADAPTERS];
    NetPort *nic[VM_MAX_ADAPTERS]; /* the adapter's end of the cable */
    VmAttachment attach[VM_MAX_ADAPTERS];
    bool cable[VM_MAX_ADAPTERS];
    char capture[VM_MAX_ADAPTERS][VM_CAPTURE_MAX];
    VmConfig *cfg; /* settings kept in step; next-start values */
    void (*quit_fn)(void *opaque);
    void *quit_opaque;
} MachineVm;

/* What a parsed -nic says about the attachment, in settings terms. */
void machine_vm_attachment_of(const NetNicConfig *nic, VmAttachment *out);
/* The same with the backend's options kept, from the -nic argument spec
 * that nic was parsed from (NULL: only what nic says). */
void machine_vm_attachment_from(const NetNicConfig *nic, const char *spec,
                                VmAttachment *out);

/*
 * Adapter i: its attachment and NIC port, and the -nic it was made from.
 * cfg must outlive the MachineVm.
 */
void machine_vm_init(MachineVm *m, VmConfig *cfg, void (*quit_fn)(void *opaque),
                     void *quit_opaque);
void machine_vm_add(MachineVm *m, NetAttachment *att, NetPort *nic,
                    const NetNicConfig *from, const char *spec);

VmControl machine_vm_control(MachineVm *m);

#endif /* FRONTENDS_VM_H */
