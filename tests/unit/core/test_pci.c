/*
 * PCI: configuration mechanism #1 driven through ports 0xCF8/0xCFC as the
 * Linux probe does, BAR sizing and decoding, INTx routing, bus mastering.
 */
#include <criterion/criterion.h>
#include "emu/pci.h"
#include "emu/log.h"
#include "devices/i440fx.h"

typedef struct Fixture {
    Bus *io;
    MemMap *mem;
    PciBus *pci;
    I440fx host;
    IrqLine outs[16];
    bool levels[16];
} Fixture;

typedef struct Dummy {
    PciDevice pci;
    uint32_t regs[32];
} Dummy;

static Fixture fx;
static Dummy dummies[4];

static void line_set(void *opaque, int n, bool level)
{
    ((Fixture *)opaque)->levels[n] = level;
}

/* Slots 3 and 4 share IRQ 11 as on a board with one routed link. */
static int route(void *opaque, int slot, int pin)
{
    (void)opaque;
    (void)pin;
    return slot == 5 ? 10 : 11;
}

static uint32_t dummy_read(void *opaque, uint32_t off, unsigned size)
{
    (void)size;
    return ((Dummy *)opaque)->regs[off / 4];
}

static void dummy_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    (void)size;
    ((Dummy *)opaque)->regs[off / 4] = val;
}

static const IoRegionOps dummy_ops = {dummy_read, dummy_write, 4, 4};

static void setup(void)
{
    memset(&fx, 0, sizeof(fx));
    fx.io = bus_new("io", 0xFFFF);
    fx.mem = mem_new(32u << 20, NULL);
    mem_map_ram(fx.mem, 0, 0, 32u << 20, NULL);
    for (int i = 0; i < 16; i++) {
        fx.outs[i] = irq_line(line_set, &fx, i);
    }
    fx.pci = pci_bus_new(fx.io, fx.mem, fx.outs, 16, route, NULL, NULL);
    cr_assert_not_null(fx.pci);
    cr_assert(i440fx_init(&fx.host, fx.pci, NULL));
}

static void teardown(void)
{
    pci_bus_free(fx.pci);
    mem_free(fx.mem);
    bus_free(fx.io);
}

/* Devices live in static storage so teardown can unplug them. */
static Dummy *plug_dummy(int slot)
{
    Dummy *d = &dummies[slot - 3];
    memset(d, 0, sizeof(*d));
    cr_assert(pci_device_init(&d->pci, fx.pci, "dummy", slot, 0, 0x1011, 0x0009,
                              0x20, 0x020000, 1, NULL));
    pci_register_bar(&d->pci, 0, PCI_BAR_TYPE_IO, 128, &dummy_ops, d);
    pci_register_bar(&d->pci, 1, PCI_BAR_TYPE_MEM32, 128, &dummy_ops, d);
    return d;
}

static uint32_t cfg_addr(int slot, int func, int reg)
{
    return 0x80000000u | slot << 11 | func << 8 | (reg & 0xFC);
}

static uint32_t cfg_read(int slot, int reg, unsigned size)
{
    bus_write(fx.io, 0xCF8, cfg_addr(slot, 0, reg), 4);
    return bus_read(fx.io, 0xCFC + (reg & 3), size);
}

static void cfg_write(int slot, int reg, uint32_t val, unsigned size)
{
    bus_write(fx.io, 0xCF8, cfg_addr(slot, 0, reg), 4);
    bus_write(fx.io, 0xCFC + (reg & 3), val, size);
}

TestSuite(pci, .init = setup, .fini = teardown);

Test(pci, linux_type1_probe_finds_host_bridge)
{
    /* the byte poke at 0xCFB must not disturb the address register */
    bus_write(fx.io, 0xCF8, 0x12345678 & 0x80FFFFFC, 4);
    bus_write(fx.io, 0xCFB, 0x01, 1);
    cr_assert_eq(bus_read(fx.io, 0xCF8, 4), 0x12345678 & 0x80FFFFFC);
    bus_write(fx.io, 0xCF8, 0x80000000, 4);
    cr_assert_eq(bus_read(fx.io, 0xCF8, 4), 0x80000000u);
    cr_assert_eq(cfg_read(0, 0, 4), 0x12378086u);
    cr_assert_eq(cfg_read(0, 0x0A, 2), 0x0600, "class: host bridge");
    cr_assert_eq(cfg_read(0, 0x02, 2), 0x1237);
    cr_assert_eq(cfg_read(0, 0x01, 1), 0x80);
}

Test(pci, absent_functions_and_disabled_cycles_read_all_ones)
{
    cr_assert_eq(cfg_read(7, 0, 4), 0xFFFFFFFFu);
    cr_assert_eq(cfg_read(7, 0, 2), 0xFFFF);
    bus_write(fx.io, 0xCF8, 0x00000000, 4); /* enable bit clear */
    cr_assert_eq(bus_read(fx.io, 0xCFC, 4), 0xFFFFFFFFu);
    bus_write(fx.io, 0xCF8, 0x80010000, 4); /* bus 1 does not exist */
    cr_assert_eq(bus_read(fx.io, 0xCFC, 4), 0xFFFFFFFFu);
}

Test(pci, byte_word_dword_config_accesses_agree)
{
    plug_dummy(3);
    uint32_t id = cfg_read(3, 0, 4);
    cr_assert_eq(id, 0x00091011u);
    cr_assert_eq(cfg_read(3, 0, 1), 0x11);
    cr_assert_eq(cfg_read(3, 1, 1), 0x10);
    cr_assert_eq(cfg_read(3, 2, 2), 0x0009);
    cr_assert_eq(cfg_read(3, 3, 1), 0x00);
    cr_assert_eq(cfg_read(3, 8, 4), 0x02000020u, "class 020000 rev 0x20");
    /* read-only identity ignores writes */
    cfg_write(3, 0, 0xFFFFFFFF, 4);
    cr_assert_eq(cfg_read(3, 0, 4), 0x00091011u);
    /* latency timer is writable with a byte access */
    cfg_write(3, 0x0D, 0x40, 1);
    cr_assert_eq(cfg_read(3, 0x0C, 4) >> 8 & 0xFF, 0x40);
}

Test(pci, bar_sizing_returns_size_mask_with_type_bits)
{
    plug_dummy(3);
    cfg_write(3, 0x10, 0xFFFFFFFF, 4);
    cr_assert_eq(cfg_read(3, 0x10, 4), 0xFFFFFF81u, "I/O, 128 bytes");
    cfg_write(3, 0x14, 0xFFFFFFFF, 4);
    cr_assert_eq(cfg_read(3, 0x14, 4), 0xFFFFFF80u, "memory, 128 bytes");
    cfg_write(3, 0x18, 0xFFFFFFFF, 4);
    cr_assert_eq(cfg_read(3, 0x18, 4), 0, "unused BAR reads zero");
    cfg_write(3, 0x30, 0xFFFFFFFF, 4);
    cr_assert_eq(cfg_read(3, 0x30, 4), 0, "no expansion ROM");
}

Test(pci, io_bar_decodes_only_with_io_enable)
{
    Dummy *d = plug_dummy(3);
    d->regs[0x28 / 4] = 0xE1000000;
    cfg_write(3, 0x10, 0xC001, 4);
    cr_assert_eq(bus_read(fx.io, 0xC028, 4), 0xFFFFFFFFu,
                 "not decoding before COMMAND.IO");
    cfg_write(3, 0x04, PCI_COMMAND_IO, 2);
    cr_assert_eq(bus_read(fx.io, 0xC028, 4), 0xE1000000u);
    bus_write(fx.io, 0xC038, 0x1A1, 4);
    cr_assert_eq(d->regs[0x38 / 4], 0x1A1);
    cfg_write(3, 0x04, 0, 2);
    cr_assert_eq(bus_read(fx.io, 0xC028, 4), 0xFFFFFFFFu,
                 "I/O space disabled reads all ones");
}

Test(pci, moving_a_bar_moves_its_decoding)
{
    Dummy *d = plug_dummy(3);
    d->regs[0] = 0x12345678;
    cfg_write(3, 0x14, 0xFEBF1000, 4);
    cfg_write(3, 0x04, PCI_COMMAND_MEMORY, 2);
    cr_assert_eq(mem_read(fx.mem, 0xFEBF1000, 4), 0x12345678u);
    cfg_write(3, 0x14, 0xFEBF2000, 4);
    cr_assert_eq(mem_read(fx.mem, 0xFEBF1000, 4), 0xFFFFFFFFu);
    cr_assert_eq(mem_read(fx.mem, 0xFEBF2000, 4), 0x12345678u);
    /* sizing with decode on leaves nothing mapped at the probe value */
    cfg_write(3, 0x14, 0xFFFFFFFF, 4);
    cr_assert_null(bus_find(mem_bus(fx.mem), 0xFFFFFF80));
    cr_assert_eq(mem_read(fx.mem, 0xFEBF2000, 4), 0xFFFFFFFFu);
}

Test(pci, bar_over_ram_is_left_unmapped_with_guest_error)
{
    plug_dummy(3);
    uint64_t before = log_count(LOG_GUEST_ERROR);
    mem_write(fx.mem, 0x100000, 0xAABBCCDD, 4);
    cfg_write(3, 0x14, 0x100000, 4);
    cfg_write(3, 0x04, PCI_COMMAND_MEMORY, 2);
    cr_assert_eq(mem_read(fx.mem, 0x100000, 4), 0xAABBCCDDu, "RAM intact");
    cr_assert_gt(log_count(LOG_GUEST_ERROR), before);
}

Test(pci, interrupt_line_is_prefilled_from_routing)
{
    plug_dummy(3);
    cr_assert_eq(cfg_read(3, 0x3D, 1), 1, "INTA");
    cr_assert_eq(cfg_read(3, 0x3C, 1), 11);
}

Test(pci, shared_intx_stays_asserted_while_any_device_holds_it)
{
    Dummy *a = plug_dummy(3), *b = plug_dummy(4);
    cr_assert_eq(cfg_read(4, 0x3C, 1), 11);
    pci_set_irq(&a->pci, true);
    pci_set_irq(&b->pci, true);
    cr_assert(fx.levels[11]);
    pci_set_irq(&a->pci, false);
    cr_assert(fx.levels[11], "device b still asserts INTA");
    pci_set_irq(&b->pci, false);
    cr_assert_not(fx.levels[11]);
    cr_assert_not(fx.levels[10]);
}

Test(pci, dma_is_refused_without_bus_mastering)
{
    Dummy *d = plug_dummy(3);
    uint8_t buf[4] = {1, 2, 3, 4}, in[4] = {0};
    cr_assert_not(pci_dma_write(&d->pci, 0x1000, buf, 4));
    cr_assert_eq(mem_read(fx.mem, 0x1000, 4), 0, "memory unchanged");
    cfg_write(3, 0x04, PCI_COMMAND_MASTER, 2);
    cr_assert(pci_dma_write(&d->pci, 0x1000, buf, 4));
    cr_assert(pci_dma_read(&d->pci, 0x1000, in, 4));
    cr_assert_arr_eq(in, buf, 4);
    cr_assert_not(pci_dma_read(&d->pci, 32u << 20, in, 4), "past RAM");
}

Test(pci, dma_ptr_needs_bus_mastering_and_ram)
{
    Dummy *d = plug_dummy(3);
    uint8_t *p;
    cr_assert_null(pci_dma_ptr(&d->pci, 0x1000, 4, true));
    cr_assert_null(pci_dma_ptr(&d->pci, 0x1000, 4, false));
    cfg_write(3, 0x04, PCI_COMMAND_MASTER, 2);
    p = pci_dma_ptr(&d->pci, 0x1000, 4, true);
    cr_assert_not_null(p);
    memcpy(p, "\x11\x22\x33\x44", 4);
    cr_assert_eq(mem_read(fx.mem, 0x1000, 4), 0x44332211u);
    cr_assert_null(pci_dma_ptr(&d->pci, 32u << 20, 4, false), "past RAM");
}

/* The memo a NIC keeps for its per-frame DMA answers as pci_dma_ptr does:
 * the same host memory, and the same refusals once it has seen RAM. */
Test(pci, cached_dma_ptr_makes_the_same_checks_as_pci_dma_ptr)
{
    Dummy *d = plug_dummy(3);
    PciDmaCache c = {0};
    const uint64_t alias = 64u << 20; /* RAM offset 0 seen again, 4 KiB */
    cr_assert(mem_map_ram(fx.mem, alias, 0, 4096, NULL));

    cr_assert_null(pci_dma_ptr_cached(&d->pci, &c, 0x1000, 4, false),
                   "no bus mastering yet");
    cfg_write(3, 0x04, PCI_COMMAND_MASTER, 2);
    uint8_t *p = pci_dma_ptr_cached(&d->pci, &c, 0x1000, 16, true);
    cr_assert_eq(p, pci_dma_ptr(&d->pci, 0x1000, 16, false));
    /* from the memo now: other addresses of the same window */
    cr_assert_eq(pci_dma_ptr_cached(&d->pci, &c, 0x2000, 64, false),
                 pci_dma_ptr(&d->pci, 0x2000, 64, false));
    cr_assert_eq(pci_dma_ptr_cached(&d->pci, &c, 0x800, 16, false),
                 pci_dma_ptr(&d->pci, 0x800, 16, false), "grown downwards");
    cr_assert_null(pci_dma_ptr_cached(&d->pci, &c, (32u << 20) - 8, 16, true),
                   "runs past the end of RAM");
    cr_assert_eq(pci_dma_ptr_cached(&d->pci, &c, alias + 16, 16, false),
                 mem_ram_base(fx.mem) + 16, "the alias window");
    cr_assert_null(pci_dma_ptr_cached(&d->pci, &c, alias + 4088, 16, false),
                   "runs past the alias window");
    cfg_write(3, 0x04, 0, 2);
    cr_assert_null(pci_dma_ptr_cached(&d->pci, &c, 0x1000, 16, true),
                   "bus mastering turned off after the memo");
}

Test(pci, status_error_bits_are_write_one_to_clear)
{
    Dummy *d = plug_dummy(3);
    pci_set_word(&d->pci, PCI_STATUS,
                 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DEVSEL_MEDIUM);
    cfg_write(3, 0x06, PCI_STATUS_SIG_TARGET_ABORT, 2);
    cr_assert(cfg_read(3, 0x06, 2) & PCI_STATUS_REC_MASTER_ABORT,
              "writing 0 keeps it");
    cfg_write(3, 0x06, PCI_STATUS_REC_MASTER_ABORT, 2);
    cr_assert_eq(cfg_read(3, 0x06, 2), PCI_STATUS_DEVSEL_MEDIUM);
}

Test(pci, slot_collision_is_an_error)
{
    Dummy b;
    GError *err = NULL;
    plug_dummy(3);
    cr_assert_not(
        pci_device_init(&b.pci, fx.pci, "b", 3, 0, 1, 2, 0, 0, 1, &err));
    cr_assert_eq(err->code, EMU_ERROR_OVERLAP);
    g_error_free(err);
}

Test(pci, unplug_unmaps_bars)
{
    Dummy *d = plug_dummy(3);
    cfg_write(3, 0x10, 0xC001, 4);
    cfg_write(3, 0x04, PCI_COMMAND_IO, 2);
    cr_assert_not_null(bus_find(fx.io, 0xC000));
    pci_device_unplug(&d->pci);
    cr_assert_null(bus_find(fx.io, 0xC000));
    cr_assert_eq(cfg_read(3, 0, 4), 0xFFFFFFFFu);
}
