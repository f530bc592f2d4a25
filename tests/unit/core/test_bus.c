/*
 * Port I/O and MMIO dispatch: overlap rules, unassigned accesses and the
 * bus adapting access sizes a device does not implement.
 */
#include <criterion/criterion.h>
#include "emu/bus.h"
#include "emu/log.h"

/* A device that records every access it receives. */
typedef struct Recorder {
    uint8_t regs[16];
    struct {
        uint32_t off, val;
        unsigned size;
        bool write;
    } log[32];
    int n;
} Recorder;

static uint32_t rec_read(void *opaque, uint32_t off, unsigned size)
{
    Recorder *r = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)r->regs[off + i] << (8 * i);
    }
    r->log[r->n].off = off;
    r->log[r->n].size = size;
    r->log[r->n].val = v;
    r->log[r->n++].write = false;
    return v;
}

static void rec_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    Recorder *r = opaque;
    for (unsigned i = 0; i < size; i++) {
        r->regs[off + i] = (val >> (8 * i)) & 0xFF;
    }
    r->log[r->n].off = off;
    r->log[r->n].size = size;
    r->log[r->n].val = val;
    r->log[r->n++].write = true;
}

static const IoRegionOps ops32 = {rec_read, rec_write, 4, 4};
static const IoRegionOps ops8 = {rec_read, rec_write, 1, 1};
static const IoRegionOps ops_any = {rec_read, rec_write, 1, 4};

Test(bus, map_rejects_overlap_and_zero_length)
{
    Bus *b = bus_new("io", 0xFFFF);
    Recorder r = {0};
    GError *err = NULL;

    cr_assert_not_null(bus_map(b, "a", 0x100, 0x10, &ops_any, &r, NULL));
    /* starts inside, ends inside, covers, and touches the last byte */
    cr_assert_null(bus_map(b, "b", 0x108, 0x4, &ops_any, &r, &err));
    cr_assert_eq(err->code, EMU_ERROR_OVERLAP);
    cr_assert(strstr(err->message, "'a'"), "error names the clash: %s",
              err->message);
    g_clear_error(&err);
    cr_assert_null(bus_map(b, "c", 0xF0, 0x11, &ops_any, &r, NULL));
    cr_assert_null(bus_map(b, "d", 0x0, 0x1000, &ops_any, &r, NULL));
    cr_assert_null(bus_map(b, "e", 0x10F, 1, &ops_any, &r, NULL));
    cr_assert_null(bus_map(b, "f", 0x200, 0, &ops_any, &r, &err));
    cr_assert_eq(err->code, EMU_ERROR_INVALID);
    g_clear_error(&err);
    /* past the end of the bus */
    cr_assert_null(bus_map(b, "g", 0xFFFE, 4, &ops_any, &r, NULL));
    /* adjacent on both sides is fine */
    cr_assert_not_null(bus_map(b, "h", 0xF0, 0x10, &ops_any, &r, NULL));
    cr_assert_not_null(bus_map(b, "i", 0x110, 0x10, &ops_any, &r, NULL));
    bus_free(b);
}

Test(bus, dispatch_passes_offset_within_region)
{
    Bus *b = bus_new("io", 0xFFFF);
    Recorder r = {0};

    bus_map(b, "dev", 0x3F8, 8, &ops_any, &r, NULL);
    bus_write(b, 0x3FB, 0x83, 1);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.log[0].off, 3);
    cr_assert_eq(r.log[0].size, 1);
    cr_assert_eq(bus_read(b, 0x3FB, 1), 0x83);
    cr_assert_eq(r.log[1].off, 3);
    bus_free(b);
}

Test(bus, unassigned_reads_all_ones_and_writes_are_dropped)
{
    Bus *b = bus_new("io", 0xFFFF);
    Recorder r = {0};

    bus_map(b, "dev", 0x60, 1, &ops_any, &r, NULL);
    cr_assert_eq(bus_read(b, 0x64, 1), 0xFF);
    cr_assert_eq(bus_read(b, 0x64, 2), 0xFFFF);
    cr_assert_eq(bus_read(b, 0x1000, 4), 0xFFFFFFFFu);
    bus_write(b, 0x64, 0xFE, 1);
    cr_assert_eq(r.n, 0, "no device saw the stray accesses");
    cr_assert_gt(bus_unassigned_count(b), 0);
    bus_free(b);
}

Test(bus, access_running_off_a_region_splits_per_byte)
{
    Bus *b = bus_new("io", 0xFFFF);
    Recorder r = {0};

    bus_map(b, "dev", 0x70, 2, &ops_any, &r, NULL);
    r.regs[0] = 0x11;
    r.regs[1] = 0x22;
    /* bytes 0x72, 0x73 are unassigned and read as 0xFF */
    cr_assert_eq(bus_read(b, 0x70, 4), 0xFFFF2211u);
    bus_free(b);
}

Test(bus, sixteen_bit_read_of_32_bit_device_extracts_half)
{
    Bus *b = bus_new("mmio", 0xFFFFFFFF);
    Recorder r = {0};

    bus_map(b, "csr", 0xFEBF1000, 0x80, &ops32, &r, NULL);
    r.regs[4] = 0x78;
    r.regs[5] = 0x56;
    r.regs[6] = 0x34;
    r.regs[7] = 0x12;
    cr_assert_eq(bus_read(b, 0xFEBF1006, 2), 0x1234);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.log[0].off, 4, "device sees an aligned dword");
    cr_assert_eq(r.log[0].size, 4);
    cr_assert_eq(bus_read(b, 0xFEBF1004, 1), 0x78);
    cr_assert_eq(bus_read(b, 0xFEBF1005, 1), 0x56);
    bus_free(b);
}

Test(bus, sixteen_bit_write_to_32_bit_device_is_widened_without_read)
{
    Bus *b = bus_new("mmio", 0xFFFFFFFF);
    Recorder r = {0};

    bus_map(b, "csr", 0x1000, 0x80, &ops32, &r, NULL);
    bus_write(b, 0x100A, 0xBEEF, 2);
    cr_assert_eq(r.n, 1, "one device access, no hidden read");
    cr_assert(r.log[0].write);
    cr_assert_eq(r.log[0].off, 8);
    cr_assert_eq(r.log[0].size, 4);
    cr_assert_eq(r.log[0].val, 0xBEEF0000u);
    bus_free(b);
}

Test(bus, wide_access_to_byte_device_is_split_little_endian)
{
    Bus *b = bus_new("io", 0xFFFF);
    Recorder r = {0};

    bus_map(b, "uart", 0x3F8, 8, &ops8, &r, NULL);
    bus_write(b, 0x3F8, 0x44332211, 4);
    cr_assert_eq(r.n, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(r.log[i].size, 1);
        cr_assert_eq(r.log[i].off, (uint32_t)i);
        cr_assert_eq(r.log[i].val, 0x11u * (i + 1));
    }
    cr_assert_eq(bus_read(b, 0x3F9, 2), 0x3322);
    cr_assert_eq(r.log[4].off, 1);
    cr_assert_eq(r.log[5].off, 2);
    bus_free(b);
}

Test(bus, unmap_stops_decoding)
{
    Bus *b = bus_new("io", 0xFFFF);
    Recorder r = {0};
    IoRegion *reg = bus_map(b, "dev", 0xC000, 0x80, &ops_any, &r, NULL);

    r.regs[0] = 0x5A;
    cr_assert_eq(bus_read(b, 0xC000, 1), 0x5A);
    cr_assert_eq(bus_find(b, 0xC07F), reg);
    bus_unmap(b, reg);
    cr_assert_eq(bus_read(b, 0xC000, 1), 0xFF);
    cr_assert_null(bus_find(b, 0xC000));
    /* the range is free again */
    cr_assert_not_null(bus_map(b, "dev2", 0xC000, 0x80, &ops_any, &r, NULL));
    bus_free(b);
}

Test(bus, ram_region_reads_and_rom_ignores_writes)
{
    Bus *b = bus_new("mem", 0xFFFFFFFF);
    uint8_t ram[16] = {0}, rom[16] = {1, 2, 3, 4};

    bus_map_ram(b, "ram", 0, 16, ram, false, NULL);
    bus_map_ram(b, "rom", 0x100, 16, rom, true, NULL);
    bus_write(b, 4, 0xCAFEBABE, 4);
    cr_assert_eq(bus_read(b, 4, 4), 0xCAFEBABEu);
    cr_assert_eq(ram[4], 0xBE);
    bus_write(b, 0x100, 0xFFFFFFFF, 4);
    cr_assert_eq(bus_read(b, 0x100, 4), 0x04030201u);
    bus_free(b);
}
