/*
 * tulipvm: PS/2 "system control port A" at 0x92 (fast A20 gate and fast
 * reset).
 */
#ifndef DEVICES_PORT92_H
#define DEVICES_PORT92_H

#include <glib.h>
#include "devices/sysctrl.h"
#include "emu/bus.h"

#define PORT92_BASE 0x92

typedef struct Port92 {
    Bus *io;
    IoRegion *region;
    SysCtrlOps ops;
    uint8_t value; /* bit 1: A20 enabled */
} Port92;

/* A20 starts enabled: the direct boot needs addresses with bit 20 set. */
bool port92_init(Port92 *s, Bus *io, const SysCtrlOps *ops, GError **errp);
void port92_destroy(Port92 *s);

#endif /* DEVICES_PORT92_H */
