/*
 * tulipvm: PCI bus, configuration mechanism #1, BAR decoding, INTx routing
 * and bus-master DMA (see emu/pci.h).
 *
 * Not modelled: PCI-to-PCI bridges (everything is on bus 0), 64-bit and
 * expansion-ROM BARs, capabilities, configuration mechanism #2.
 */
#include "emu/pci.h"
#include "emu/log.h"

#include <string.h>

#define PCI_MAX_IRQS 16

struct PciBus {
    Bus *io;
    MemMap *mem;
    PciDevice *devs[PCI_SLOTS][PCI_FUNCS];
    uint32_t config_address; /* 0xCF8 */
    IoRegion *addr_region, *data_region;
    IrqOrGate gates[PCI_MAX_IRQS];
    int gate_users[PCI_MAX_IRQS];
    int nirq;
    PciIrqRouteFn route;
    void *route_opaque;
};

/* ---- configuration mechanism #1 ---------------------------------------- */

static PciDevice *pci_addressed(PciBus *b, uint8_t *reg)
{
    uint32_t a = b->config_address;
    if (!(a & 0x80000000u) || ((a >> 16) & 0xFF) != 0) {
        return NULL; /* disabled, or a bus number we do not have */
    }
    *reg = a & 0xFC;
    return b->devs[(a >> 11) & 0x1F][(a >> 8) & 0x7];
}

static uint32_t pci_addr_read(void *opaque, uint32_t off, unsigned size)
{
    PciBus *b = opaque;
    /* Only dword accesses reach the address register (i440FX). */
    if (off == 0 && size == 4) {
        return b->config_address;
    }
    return 0xFFFFFFFFu;
}

static void pci_addr_write(void *opaque, uint32_t off, uint32_t val,
                           unsigned size)
{
    PciBus *b = opaque;
    if (off == 0 && size == 4) {
        b->config_address = val & 0x80FFFFFCu;
        return;
    }
    /* Linux pokes 0x01 into 0xCFB while probing; other chipsets' business. */
    TRACE(TRACE_PCI, "ignored %u-byte write 0x%x to port 0x%x", size, val,
          PCI_CONFIG_ADDRESS + off);
}

static uint32_t pci_data_read(void *opaque, uint32_t off, unsigned size)
{
    PciBus *b = opaque;
    uint8_t reg;
    PciDevice *d = pci_addressed(b, &reg);
    uint32_t v;

    if (!d || off + size > 4) {
        return 0xFFFFFFFFu;
    }
    v = pci_config_read(d, reg + off, size);
    TRACE(TRACE_PCI, "config read %s [0x%02x] size %u = 0x%x", d->name,
          reg + off, size, v);
    return v;
}

static void pci_data_write(void *opaque, uint32_t off, uint32_t val,
                           unsigned size)
{
    PciBus *b = opaque;
    uint8_t reg;
    PciDevice *d = pci_addressed(b, &reg);

    if (!d || off + size > 4) {
        return;
    }
    TRACE(TRACE_PCI, "config write %s [0x%02x] size %u = 0x%x", d->name,
          reg + off, size, val);
    pci_config_write(d, reg + off, val, size);
}

static const IoRegionOps pci_addr_ops = {
    .read = pci_addr_read,
    .write = pci_addr_write,
    .min_size = 1,
    .max_size = 4,
};

static const IoRegionOps pci_data_ops = {
    .read = pci_data_read,
    .write = pci_data_write,
    .min_size = 1,
    .max_size = 4,
};

PciBus *pci_bus_new(Bus *io, MemMap *mem, const IrqLine *irq_outputs, int nirq,
                    PciIrqRouteFn route, void *route_opaque, GError **errp)
{
    PciBus *b = g_new0(PciBus, 1);
    b->io = io;
    b->mem = mem;
    b->nirq = MIN(nirq, PCI_MAX_IRQS);
    b->route = route;
    b->route_opaque = route_opaque;
    for (int i = 0; i < b->nirq; i++) {
        irq_or_init(&b->gates[i], irq_outputs[i]);
    }
    b->addr_region = bus_map(io, "pci-config-address", PCI_CONFIG_ADDRESS, 4,
                             &pci_addr_ops, b, errp);
    if (!b->addr_region) {
        goto out_free;
    }
    b->data_region = bus_map(io, "pci-config-data", PCI_CONFIG_DATA, 4,
                             &pci_data_ops, b, errp);
    if (!b->data_region) {
        goto out_unmap_addr;
    }
    return b;

out_unmap_addr:
    bus_unmap(io, b->addr_region);
out_free:
    g_free(b);
    return NULL;
}

void pci_bus_free(PciBus *b)
{
    if (!b) {
        return;
    }
    for (int s = 0; s < PCI_SLOTS; s++) {
        for (int f = 0; f < PCI_FUNCS; f++) {
            if (b->devs[s][f]) {
                pci_device_unplug(b->devs[s][f]);
            }
        }
    }
    bus_unmap(b->io, b->data_region);
    bus_unmap(b->io, b->addr_region);
    g_free(b);
}

PciDevice *pci_bus_device(PciBus *b, int slot, int func)
{
    if (slot < 0 || slot >= PCI_SLOTS || func < 0 || func >= PCI_FUNCS) {
        return NULL;
    }
    return b->devs[slot][func];
}

MemMap *pci_bus_mem(PciBus *b)
{
    return b->mem;
}

/* ---- configuration space ----------------------------------------------- */

void pci_set_byte(PciDevice *d, uint8_t off, uint8_t v)
{
    d->config[off] = v;
}

void pci_set_word(PciDevice *d, uint8_t off, uint16_t v)
{
    d->config[off] = v & 0xFF;
    d->config[(uint8_t)(off + 1)] = v >> 8;
}

void pci_set_long(PciDevice *d, uint8_t off, uint32_t v)
{
    pci_set_word(d, off, v & 0xFFFF);
    pci_set_word(d, (uint8_t)(off + 2), v >> 16);
}

uint16_t pci_get_word(const PciDevice *d, uint8_t off)
{
    return d->config[off] | (uint16_t)d->config[(uint8_t)(off + 1)] << 8;
}

uint32_t pci_get_long(const PciDevice *d, uint8_t off)
{
    return pci_get_word(d, off) | (uint32_t)pci_get_word(d, (uint8_t)(off + 2))
                                      << 16;
}

static void pci_set_wmask_word(PciDevice *d, uint8_t off, uint16_t m)
{
    d->wmask[off] = m & 0xFF;
    d->wmask[off + 1] = m >> 8;
}

bool pci_device_init(PciDevice *d, PciBus *b, const char *name, int slot,
                     int func, uint16_t vendor, uint16_t device,
                     uint8_t revision, uint32_t class_code, uint8_t pin,
                     GError **errp)
{
    if (slot < 0 || slot >= PCI_SLOTS || func < 0 || func >= PCI_FUNCS) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "PCI %s: slot %d function %d out of range", name, slot,
                    func);
        return false;
    }
    if (b->devs[slot][func]) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_OVERLAP,
                    "PCI %s: slot %02x.%d already holds %s", name, slot, func,
                    b->devs[slot][func]->name);
        return false;
    }
    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    memset(d->w1cmask, 0, sizeof(d->w1cmask));
    memset(d->bars, 0, sizeof(d->bars));
    d->bus = b;
    d->slot = (uint8_t)slot;
    d->func = (uint8_t)func;
    g_strlcpy(d->name, name, sizeof(d->name));
    d->irq = irq_line(NULL, NULL, 0);
    d->irq_level = false;

    pci_set_word(d, PCI_VENDOR_ID, vendor);
    pci_set_word(d, PCI_DEVICE_ID, device);
    pci_set_byte(d, PCI_REVISION_ID, revision);
    pci_set_byte(d, PCI_CLASS_PROG, class_code & 0xFF);
    pci_set_word(d, PCI_CLASS_DEVICE, (class_code >> 8) & 0xFFFF);
    pci_set_word(d, PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM);

    pci_set_wmask_word(d, PCI_COMMAND,
                       PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                           PCI_COMMAND_MASTER | PCI_COMMAND_INVALIDATE |
                           PCI_COMMAND_PARITY | PCI_COMMAND_SERR);
    d->w1cmask[PCI_STATUS + 1] =
        (PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
         PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR |
         PCI_STATUS_DETECTED_PARITY) >>
        8;
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xFF;
    d->wmask[PCI_LATENCY_TIMER] = 0xFF;
    d->wmask[PCI_INTERRUPT_LINE] = 0xFF;

    if (pin >= 1 && pin <= 4) {
        int line = b->route ? b->route(b->route_opaque, slot, pin) : -1;
        pci_set_byte(d, PCI_INTERRUPT_PIN, pin);
        if (line >= 0 && line < b->nirq &&
            b->gate_users[line] < IRQ_OR_MAX_INPUTS) {
            d->irq = irq_or_input(&b->gates[line], b->gate_users[line]++);
            pci_set_byte(d, PCI_INTERRUPT_LINE, (uint8_t)line);
        } else {
            pci_set_byte(d, PCI_INTERRUPT_LINE, 0xFF);
        }
    }
    b->devs[slot][func] = d;
    return true;
}

static void pci_unmap_bar(PciDevice *d, PciBar *bar)
{
    if (!bar->mapped) {
        return;
    }
    if (bar->type == PCI_BAR_TYPE_IO) {
        bus_unmap(d->bus->io, bar->mapped);
    } else {
        mem_unmap_mmio(d->bus->mem, bar->mapped);
    }
    bar->mapped = NULL;
}

void pci_device_unplug(PciDevice *d)
{
    PciBus *b = d->bus;
    if (!b) {
        return;
    }
    for (int i = 0; i < PCI_NUM_BARS; i++) {
        pci_unmap_bar(d, &d->bars[i]);
    }
    pci_set_irq(d, false);
    b->devs[d->slot][d->func] = NULL;
    d->bus = NULL;
}

void pci_register_bar(PciDevice *d, int n, PciBarType type, uint32_t size,
                      const IoRegionOps *ops, void *opaque)
{
    g_assert(n >= 0 && n < PCI_NUM_BARS);
    g_assert(size && !(size & (size - 1)));
    g_assert(type == PCI_BAR_TYPE_IO ? size >= 4 : size >= 16);
    PciBar *bar = &d->bars[n];
    uint8_t off = PCI_BASE_ADDRESS_0 + 4 * n;
    uint32_t type_bits = type == PCI_BAR_TYPE_IO ? PCI_BAR_IO : 0;
    uint32_t low_mask = type == PCI_BAR_TYPE_IO ? 0x3 : 0xF;

    bar->type = type;
    bar->size = size;
    bar->ops = ops;
    bar->opaque = opaque;
    pci_set_long(d, off, type_bits);
    uint32_t wm = ~(size - 1) & ~low_mask;
    for (int i = 0; i < 4; i++) {
        d->wmask[off + i] = (wm >> (8 * i)) & 0xFF;
    }
}

/* Where BAR n should decode now, or 0 for nowhere. */
static uint32_t pci_bar_target(const PciDevice *d, int n)
{
    const PciBar *bar = &d->bars[n];
    uint16_t cmd = pci_get_word(d, PCI_COMMAND);
    uint32_t v = pci_get_long(d, PCI_BASE_ADDRESS_0 + 4 * n);

    if (bar->type == PCI_BAR_TYPE_IO) {
        uint32_t a = v & ~0x3u;
        if (!(cmd & PCI_COMMAND_IO) || a == 0 || a > 0x10000 - bar->size) {
            return 0;
        }
        return a;
    }
    if (bar->type == PCI_BAR_TYPE_MEM32) {
        uint32_t a = v & ~0xFu;
        /* all ones (a sizing probe left in place) does not decode */
        if (!(cmd & PCI_COMMAND_MEMORY) || a == 0 || a == ~(bar->size - 1)) {
            return 0;
        }
        return a;
    }
    return 0;
}

static void pci_update_mappings(PciDevice *d)
{
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        PciBar *bar = &d->bars[n];
        uint32_t target;
        g_autoptr(GError) err = NULL;
        char region[48];

        if (bar->type == PCI_BAR_UNUSED) {
            continue;
        }
        target = pci_bar_target(d, n);
        if (bar->mapped && bar->mapped_at == target) {
            continue;
        }
        pci_unmap_bar(d, bar);
        if (!target) {
            continue;
        }
        g_snprintf(region, sizeof(region), "%s-bar%d", d->name, n);
        if (bar->type == PCI_BAR_TYPE_IO) {
            bar->mapped = bus_map(d->bus->io, region, target, bar->size,
                                  bar->ops, bar->opaque, &err);
        } else {
            bar->mapped = mem_map_mmio(d->bus->mem, region, target, bar->size,
                                       bar->ops, bar->opaque, &err);
        }
        if (!bar->mapped) {
            emu_log(LOG_GUEST_ERROR, "PCI %s: BAR%d left unmapped: %s", d->name,
                    n, err->message);
            continue;
        }
        bar->mapped_at = target;
        TRACE(TRACE_PCI, "%s: BAR%d decodes at 0x%x", d->name, n, target);
    }
}

uint32_t pci_config_read(PciDevice *d, uint8_t off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < 256; i++) {
        v |= (uint32_t)d->config[off + i] << (8 * i);
    }
    return v;
}

void pci_config_write(PciDevice *d, uint8_t off, uint32_t val, unsigned size)
{
    bool remap = false;
    for (unsigned i = 0; i < size && off + i < 256; i++) {
        unsigned a = off + i;
        uint8_t b = (val >> (8 * i)) & 0xFF;
        uint8_t wm = d->wmask[a], w1c = d->w1cmask[a];
        d->config[a] = (d->config[a] & ~wm) | (b & wm);
        d->config[a] &= ~(b & w1c);
        if ((a >= PCI_COMMAND && a < PCI_COMMAND + 2) ||
            (a >= PCI_BASE_ADDRESS_0 && a < PCI_CARDBUS_CIS)) {
            remap = true;
        }
    }
    if (remap && d->bus) {
        pci_update_mappings(d);
    }
    if (d->config_write) {
        d->config_write(d, off, val, size);
    }
}

void pci_set_bar_address(PciDevice *d, int n, uint32_t addr)
{
    uint8_t off = PCI_BASE_ADDRESS_0 + 4 * n;
    g_assert(n >= 0 && n < PCI_NUM_BARS);
    uint32_t old = pci_get_long(d, off);
    uint32_t wm = 0;
    for (int i = 0; i < 4; i++) {
        wm |= (uint32_t)d->wmask[off + i] << (8 * i);
    }
    pci_set_long(d, off, (old & ~wm) | (addr & wm));
    pci_update_mappings(d);
}

void pci_set_command(PciDevice *d, uint16_t cmd)
{
    pci_config_write(d, PCI_COMMAND, cmd, 2);
}

/* ---- interrupts and DMA ------------------------------------------------ */

void pci_set_irq(PciDevice *d, bool level)
{
    if (d->irq_level != level) {
        TRACE(TRACE_IRQ, "%s: INT%c %s", d->name,
              'A' + d->config[PCI_INTERRUPT_PIN] - 1,
              level ? "asserted" : "deasserted");
    }
    d->irq_level = level;
    irq_set(&d->irq, level);
}

static bool pci_master_ok(PciDevice *d, const char *dir, uint64_t addr,
                          size_t len)
{
    if (!d->bus) {
        return false;
    }
    if (!(pci_get_word(d, PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        emu_log(LOG_GUEST_ERROR,
                "PCI %s: DMA %s of %zu bytes at 0x%" G_GINT64_MODIFIER
                "x with bus mastering disabled",
                d->name, dir, len, addr);
        return false;
    }
    return true;
}

bool pci_dma_read(PciDevice *d, uint64_t addr, void *buf, size_t len)
{
    return pci_master_ok(d, "read", addr, len) &&
           mem_dma_read(d->bus->mem, addr, buf, len);
}

bool pci_dma_write(PciDevice *d, uint64_t addr, const void *buf, size_t len)
{
    return pci_master_ok(d, "write", addr, len) &&
           mem_dma_write(d->bus->mem, addr, buf, len);
}

uint8_t *pci_dma_ptr(PciDevice *d, uint64_t addr, size_t len, bool write)
{
    if (!pci_master_ok(d, write ? "write" : "read", addr, len)) {
        return NULL;
    }
    return mem_dma_ptr(d->bus->mem, addr, len, write);
}

uint8_t *pci_dma_ptr_remember(PciDevice *d, PciDmaCache *c, uint64_t addr,
                              size_t len, bool write)
{
    uint8_t *p = pci_dma_ptr(d, addr, len, write);
    uint64_t off, end;
    PciDmaStretch *w = NULL;

    if (!p || !len) {
        return p;
    }
    c->mem = d->bus->mem;
    c->ram = mem_ram_base(c->mem);
    if (!mem_phys_to_ram(c->mem, addr, &off, &end) ||
        off != (uint64_t)(p - c->ram)) {
        return p;
    }
    /* Grow the stretch of the same window downwards, or take a slot. */
    for (unsigned i = 0; i < PCI_DMA_STRETCHES && !w; i++) {
        const PciDmaStretch *o = &c->s[i];
        if (o->hi == end && o->lo > addr &&
            o->ram_off - (o->lo - addr) == off) {
            w = &c->s[i];
        }
    }
    if (!w) {
        w = &c->s[c->victim];
        c->victim = (c->victim + 1) % PCI_DMA_STRETCHES;
    }
    *w = (PciDmaStretch){.lo = addr, .hi = end, .ram_off = off};
    return p;
}

bool pci_dma_read_le32(PciDevice *d, uint64_t addr, uint32_t *val)
{
    return pci_master_ok(d, "read", addr, 4) &&
           mem_dma_read_le32(d->bus->mem, addr, val);
}

bool pci_dma_write_le32(PciDevice *d, uint64_t addr, uint32_t val)
{
    return pci_master_ok(d, "write", addr, 4) &&
           mem_dma_write_le32(d->bus->mem, addr, val);
}
