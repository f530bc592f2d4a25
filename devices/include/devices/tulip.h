/*
 * tulipvm: DEC 21140A "Tulip" PCI Fast Ethernet controller (public API).
 *
 * The adapter Virtual PC, Virtual Server and Hyper-V's legacy network
 * adapter present: PCI 1011:0009 rev 0x20, subsystem 0A00:2114, one I/O
 * and one memory BAR of 128 bytes onto the same sixteen CSRs, INTA#.
 * Behaviour and its sources are in docs/dec21140.md.
 *
 * The NIC owns one NetPort (tulip_port()); tulip_create() connects it to
 * the peer it is given (a switch port or a backend), or leaves it
 * unconnected ("not connected" adapter) when peer is NULL.
 */
#ifndef DEVICES_TULIP_H
#define DEVICES_TULIP_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "emu/clock.h"
#include "emu/pci.h"
#include "net/port.h"

typedef enum TulipModel {
    TULIP_MODEL_DC21140 = 0, /* 21140A + MII PHY at address 1 (default) */
    TULIP_MODEL_DC21140_GPR, /* GPR-controlled 100BASE-TX, no MII */
} TulipModel;

typedef struct TulipConfig {
    uint8_t mac[6];
    TulipModel model;
    bool link_up;       /* cable plugged at creation */
    unsigned rate_mbps; /* 0 = unpaced (default), 10 or 100: wire pacing */
    uint16_t subsys_vendor, subsys_id; /* default 0x0A00 / 0x2114 */
} TulipConfig;

typedef struct Tulip Tulip;

/* Defaults: MAC 00:03:ff:00:00:01, model dc21140, link up, unpaced. */
void tulip_config_default(TulipConfig *cfg);
/* "dc21140" or "dc21140-gpr"; otherwise a GError naming the value. */
bool tulip_parse_model(const char *name, TulipModel *model, GError **errp);
/* "10M" or "100M" (also "0"/"off" for unpaced). */
bool tulip_parse_rate(const char *s, unsigned *mbps, GError **errp);
const char *tulip_model_name(TulipModel model);

Tulip *tulip_create(PciBus *bus, int slot, Clock *clock, NetPort *peer,
                    const TulipConfig *cfg, GError **errp);
/* Power-on / PCI RST#: CSRs, processes, filter, PHY; not configuration. */
void tulip_reset(Tulip *s);
void tulip_destroy(Tulip *s);

NetPort *tulip_port(Tulip *s);
PciDevice *tulip_pci(Tulip *s);

/*
 * The 9-bit hash-filter index of a destination address: low bits of the
 * little-endian CRC-32 (init all ones, no final inversion), docs section 5.
 */
unsigned tulip_hash_index(const uint8_t addr[6]);

#endif /* DEVICES_TULIP_H */
