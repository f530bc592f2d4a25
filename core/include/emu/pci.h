/*
 * tulipvm: conventional PCI bus (PCI Local Bus Specification 2.1/2.2).
 *
 * Configuration mechanism #1: a dword address register at port 0xCF8 (only
 * 32-bit writes change it, as on the i440FX) and a data window at
 * 0xCFC-0xCFF accepting byte, word and dword accesses.
 *
 * Every function has a 256-byte configuration space with a writable mask
 * and a write-1-to-clear mask (status register error bits).  The bus owns
 * BAR decoding: when the guest moves a BAR or flips COMMAND's I/O or memory
 * enable, the bus unmaps and remaps the device's region on the port or
 * memory bus.  BAR sizing works as the spec says: writing all ones reads
 * back the size mask with the type bits.  With COMMAND's bus-master bit
 * clear, pci_dma_* refuse the transfer.
 *
 * INTx routing: the machine supplies a function from (slot, pin) to a
 * platform interrupt line (0-15 on a PC).  The bus pre-fills
 * INTERRUPT_LINE with it, as firmware would, and merges the devices that
 * share a line with an OR gate, so the line stays asserted while any of
 * them holds it.
 */
#ifndef EMU_PCI_H
#define EMU_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "emu/bus.h"
#include "emu/irq.h"
#include "emu/mem.h"

/* Configuration space offsets (PCI 2.2, section 6.1). */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define PCI_STATUS              0x06
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0A
#define PCI_CACHE_LINE_SIZE     0x0C
#define PCI_LATENCY_TIMER       0x0D
#define PCI_HEADER_TYPE         0x0E
#define PCI_BIST                0x0F
#define PCI_BASE_ADDRESS_0      0x10
#define PCI_CARDBUS_CIS         0x28
#define PCI_SUBSYSTEM_VENDOR_ID 0x2C
#define PCI_SUBSYSTEM_ID        0x2E
#define PCI_ROM_ADDRESS         0x30
#define PCI_CAPABILITY_LIST     0x34
#define PCI_INTERRUPT_LINE      0x3C
#define PCI_INTERRUPT_PIN       0x3D
#define PCI_MIN_GNT             0x3E
#define PCI_MAX_LAT             0x3F

#define PCI_COMMAND_IO         0x0001
#define PCI_COMMAND_MEMORY     0x0002
#define PCI_COMMAND_MASTER     0x0004
#define PCI_COMMAND_SPECIAL    0x0008
#define PCI_COMMAND_INVALIDATE 0x0010
#define PCI_COMMAND_PARITY     0x0040
#define PCI_COMMAND_SERR       0x0100
#define PCI_COMMAND_FAST_BACK  0x0200

#define PCI_STATUS_FAST_BACK        0x0080
#define PCI_STATUS_DEVSEL_MEDIUM    0x0200
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define PCI_STATUS_REC_TARGET_ABORT 0x1000
#define PCI_STATUS_REC_MASTER_ABORT 0x2000
#define PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define PCI_STATUS_DETECTED_PARITY  0x8000

#define PCI_BAR_IO           0x1
#define PCI_BAR_MEM_PREFETCH 0x8

#define PCI_NUM_BARS 6
#define PCI_SLOTS    32
#define PCI_FUNCS    8

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA    0xCFC

typedef struct PciBus PciBus;
typedef struct PciDevice PciDevice;

typedef enum PciBarType {
    PCI_BAR_UNUSED = 0,
    PCI_BAR_TYPE_IO,
    PCI_BAR_TYPE_MEM32,
} PciBarType;

typedef struct PciBar {
    PciBarType type;
    uint32_t size; /* power of two; I/O >= 4, memory >= 16 */
    const IoRegionOps *ops;
    void *opaque;
    IoRegion *mapped; /* current mapping, NULL when not decoding */
    uint32_t mapped_at;
} PciBar;

/*
 * Hooks a device may set.  config_write runs after the bus has applied the
 * write (masks, BAR and command handling) so the device can react, e.g. to
 * the bus-master bit.
 */
typedef void (*PciConfigWriteFn)(PciDevice *d, uint8_t off, uint32_t val,
                                 unsigned size);

struct PciDevice {
    PciBus *bus;
    uint8_t slot, func;
    char name[32];
    uint8_t config[256];
    uint8_t wmask[256];   /* bits the guest may write */
    uint8_t w1cmask[256]; /* bits cleared by writing 1 */
    PciBar bars[PCI_NUM_BARS];
    IrqLine irq; /* INTx as routed by the bus */
    bool irq_level;
    PciConfigWriteFn config_write;
    void *opaque;
};

/* (slot, pin 1..4) -> platform IRQ number, or -1 for "not connected". */
typedef int (*PciIrqRouteFn)(void *opaque, int slot, int pin);

/*
 * Create a bus: io receives the config ports and I/O BARs, mem the memory
 * BARs; irq_outputs[n] is platform line n (nirq of them).
 */
PciBus *pci_bus_new(Bus *io, MemMap *mem, const IrqLine *irq_outputs, int nirq,
                    PciIrqRouteFn route, void *route_opaque, GError **errp);
void pci_bus_free(PciBus *b);

/*
 * Initialise and plug a function.  Fills identity registers, makes the
 * command register (I/O, memory, master, MWI, parity, SERR enables),
 * latency timer, interrupt line and the status error bits writable, and
 * routes INTx when pin is 1..4.  Fails if the slot/function is taken.
 */
bool pci_device_init(PciDevice *d, PciBus *b, const char *name, int slot,
                     int func, uint16_t vendor, uint16_t device,
                     uint8_t revision, uint32_t class_code, uint8_t pin,
                     GError **errp);
void pci_device_unplug(PciDevice *d);

/* Declare BAR n; it decodes once the guest (or firmware) enables it. */
void pci_register_bar(PciDevice *d, int n, PciBarType type, uint32_t size,
                      const IoRegionOps *ops, void *opaque);

/* Firmware-style assignment of a BAR address (no guest involvement). */
void pci_set_bar_address(PciDevice *d, int n, uint32_t addr);
/* Set COMMAND as firmware would, applying mappings. */
void pci_set_command(PciDevice *d, uint16_t cmd);

/* Configuration access as the guest sees it (also used by tests). */
uint32_t pci_config_read(PciDevice *d, uint8_t off, unsigned size);
void pci_config_write(PciDevice *d, uint8_t off, uint32_t val, unsigned size);

/* Device-side configuration helpers. */
void pci_set_byte(PciDevice *d, uint8_t off, uint8_t v);
void pci_set_word(PciDevice *d, uint8_t off, uint16_t v);
void pci_set_long(PciDevice *d, uint8_t off, uint32_t v);
uint16_t pci_get_word(const PciDevice *d, uint8_t off);
uint32_t pci_get_long(const PciDevice *d, uint8_t off);

/* Drive the device's INTx pin. */
void pci_set_irq(PciDevice *d, bool level);

/* Bus-master DMA into guest RAM; false if mastering is off or out of RAM. */
bool pci_dma_read(PciDevice *d, uint64_t addr, void *buf, size_t len);
bool pci_dma_write(PciDevice *d, uint64_t addr, const void *buf, size_t len);
bool pci_dma_read_le32(PciDevice *d, uint64_t addr, uint32_t *val);
bool pci_dma_write_le32(PciDevice *d, uint64_t addr, uint32_t val);
/* mem_dma_ptr() behind the bus-master check; NULL when either fails. */
uint8_t *pci_dma_ptr(PciDevice *d, uint64_t addr, size_t len, bool write);

/*
 * A device's memo of the RAM stretches its DMA has reached, for paths
 * where resolving every descriptor and buffer through pci_dma_ptr() costs
 * more than the transfer (the NIC's per-frame work).  RAM windows are
 * disjoint and never unmapped, so a range inside a stretch seen before
 * passes exactly pci_dma_ptr()'s checks (bus mastering on, wholly RAM);
 * anything else goes through pci_dma_ptr() itself, which refuses and
 * logs.  Zero-initialised memory is an empty memo.
 */
#define PCI_DMA_STRETCHES 4

typedef struct PciDmaStretch {
    uint64_t lo, hi; /* guest addresses [lo, hi), wholly RAM */
    uint64_t ram_off;
} PciDmaStretch;

typedef struct PciDmaCache {
    PciDmaStretch s[PCI_DMA_STRETCHES];
    unsigned victim;
    MemMap *mem;
    uint8_t *ram;
} PciDmaCache;

/* pci_dma_ptr(), remembering the stretch of RAM it resolved into c. */
uint8_t *pci_dma_ptr_remember(PciDevice *d, PciDmaCache *c, uint64_t addr,
                              size_t len, bool write);

/* pci_dma_ptr() through the memo c of device d. */
static inline uint8_t *pci_dma_ptr_cached(PciDevice *d, PciDmaCache *c,
                                          uint64_t addr, size_t len, bool write)
{
    if (len && d->bus && (d->config[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
        for (unsigned i = 0; i < PCI_DMA_STRETCHES; i++) {
            const PciDmaStretch *w = &c->s[i];
            if (addr >= w->lo && addr < w->hi && len <= w->hi - addr) {
                uint64_t off = w->ram_off + (addr - w->lo);
                if (write) {
                    mem_ram_written(c->mem, off, len);
                }
                return c->ram + off;
            }
        }
    }
    return pci_dma_ptr_remember(d, c, addr, len, write);
}

/* Lookup for tests and "info pci". */
PciDevice *pci_bus_device(PciBus *b, int slot, int func);
MemMap *pci_bus_mem(PciBus *b);

#endif /* EMU_PCI_H */
