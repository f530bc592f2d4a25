/*
 * tulipvm: i440FX-like PCI host bridge at 00:00.0.
 */
#ifndef DEVICES_I440FX_H
#define DEVICES_I440FX_H

#include "emu/pci.h"

#define I440FX_VENDOR 0x8086
#define I440FX_DEVICE 0x1237

typedef struct I440fx {
    PciDevice pci;
} I440fx;

bool i440fx_init(I440fx *s, PciBus *bus, GError **errp);

#endif
