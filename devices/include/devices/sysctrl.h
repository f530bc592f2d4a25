/*
 * tulipvm: the machine-level requests that PC chipset ports can make (CPU
 * reset, A20 gate).  The i8042 output port and port 0x92 both drive them.
 */
#ifndef DEVICES_SYSCTRL_H
#define DEVICES_SYSCTRL_H

#include <stdbool.h>

typedef void (*SysResetFn)(void *opaque);
typedef void (*SysA20Fn)(void *opaque, bool enabled);

typedef struct SysCtrlOps {
    SysResetFn reset; /* the guest asked for a CPU/system reset */
    SysA20Fn set_a20; /* the guest changed the A20 gate */
    void *opaque;
} SysCtrlOps;

#endif /* DEVICES_SYSCTRL_H */
