/*
 * Guest RAM, the physical map and checked DMA.
 */
#include <criterion/criterion.h>
#include "emu/mem.h"
#include "emu/log.h"

#define MB (1024u * 1024u)

static MemMap *pc_layout(uint64_t size)
{
    MemMap *m = mem_new(size, NULL);
    cr_assert_not_null(m);
    cr_assert(mem_map_ram(m, 0, 0, 0xA0000, NULL));
    cr_assert(mem_map_ram(m, MB, MB, size - MB, NULL));
    return m;
}

Test(mem, rejects_bad_sizes)
{
    GError *err = NULL;
    cr_assert_null(mem_new(0, &err));
    cr_assert_eq(err->code, EMU_ERROR_INVALID);
    g_clear_error(&err);
    cr_assert_null(mem_new(4097, &err));
    g_clear_error(&err);
}

Test(mem, ram_is_zeroed_and_cpu_accesses_reach_it)
{
    MemMap *m = pc_layout(16 * MB);
    cr_assert_eq(mem_read(m, 0x123456, 4), 0);
    mem_write(m, 0x123456, 0xDEADBEEF, 4);
    cr_assert_eq(mem_read(m, 0x123456, 4), 0xDEADBEEFu);
    cr_assert_eq(mem_ram_base(m)[0x123456], 0xEF);
    /* the VGA hole is not RAM */
    mem_write(m, 0xB8000, 0x41, 1);
    cr_assert_eq(mem_read(m, 0xB8000, 1), 0xFF);
    mem_free(m);
}

Test(mem, mmio_may_not_overlap_ram_or_rom)
{
    MemMap *m = pc_layout(16 * MB);
    static const IoRegionOps ops = {NULL, NULL, 4, 4};
    uint8_t rom[4096] = {0};
    GError *err = NULL;

    cr_assert_null(mem_map_mmio(m, "nic", 0x100000, 0x80, &ops, NULL, &err));
    cr_assert_eq(err->code, EMU_ERROR_OVERLAP);
    g_clear_error(&err);
    cr_assert(mem_map_rom(m, "bios", 0xFFFFF000, rom, sizeof(rom), NULL));
    cr_assert_null(mem_map_mmio(m, "nic", 0xFFFFFF80, 0x80, &ops, NULL, &err));
    g_clear_error(&err);
    cr_assert_not_null(
        mem_map_mmio(m, "nic", 0xFEBF1000, 0x80, &ops, NULL, NULL));
    mem_free(m);
}

Test(mem, dma_within_ram_round_trips)
{
    MemMap *m = pc_layout(16 * MB);
    uint8_t out[256], in[256];
    for (int i = 0; i < 256; i++) {
        out[i] = (uint8_t)(i * 7);
    }
    cr_assert(mem_dma_write(m, 0x200000, out, sizeof(out)));
    cr_assert(mem_dma_read(m, 0x200000, in, sizeof(in)));
    cr_assert_arr_eq(in, out, sizeof(in));
    cr_assert(mem_dma_write_le32(m, 0x300000, 0x80000000u));
    uint32_t v;
    cr_assert(mem_dma_read_le32(m, 0x300000, &v));
    cr_assert_eq(v, 0x80000000u);
    cr_assert_eq(mem_ram_base(m)[0x300003], 0x80);
    mem_free(m);
}

Test(mem, dma_past_end_of_ram_fails_and_changes_nothing)
{
    MemMap *m = pc_layout(16 * MB);
    uint8_t *ram = mem_ram_base(m);
    uint8_t buf[64];

    memset(buf, 0xAA, sizeof(buf));
    /* last 32 bytes of RAM plus 32 beyond */
    cr_assert_not(mem_dma_write(m, 16 * MB - 32, buf, sizeof(buf)));
    for (int i = 0; i < 32; i++) {
        cr_assert_eq(ram[16 * MB - 32 + i], 0, "byte %d was written", i);
    }
    memset(buf, 0x55, sizeof(buf));
    cr_assert_not(mem_dma_read(m, 16 * MB - 32, buf, sizeof(buf)));
    cr_assert_eq(buf[0], 0x55, "failed read leaves the buffer alone");
    /* wrap-around at 4 GiB */
    cr_assert_not(mem_dma_read(m, 0xFFFFFFF0u, buf, 64));
    /* huge lengths do not overflow the check */
    cr_assert_not(mem_dma_read(m, 0x1000, buf, SIZE_MAX));
    mem_free(m);
}

Test(mem, dma_across_the_vga_hole_fails)
{
    MemMap *m = pc_layout(16 * MB);
    uint8_t buf[16] = {0};
    cr_assert_not(mem_dma_write(m, 0x9FFF8, buf, sizeof(buf)));
    cr_assert_not(mem_dma_read(m, 0xB8000, buf, 4));
    mem_free(m);
}

static uint32_t mmio_reads;
static uint32_t count_read(void *o, uint32_t off, unsigned size)
{
    (void)o;
    (void)off;
    (void)size;
    mmio_reads++;
    return 0;
}

Test(mem, dma_into_mmio_is_refused_without_touching_the_device)
{
    MemMap *m = pc_layout(16 * MB);
    static const IoRegionOps ops = {count_read, NULL, 4, 4};
    uint8_t buf[4];

    mem_map_mmio(m, "nic", 0xFEBF1000, 0x80, &ops, NULL, NULL);
    mmio_reads = 0;
    cr_assert_not(mem_dma_read(m, 0xFEBF1000, buf, 4));
    cr_assert_not(mem_dma_write(m, 0xFEBF1000, buf, 4));
    cr_assert_eq(mmio_reads, 0);
    mem_free(m);
}

static uint32_t invalidated[8];
static int ninvalidated;
static void on_code_write(void *opaque, uint32_t page)
{
    (void)opaque;
    invalidated[ninvalidated++] = page;
}

Test(mem, dma_write_over_code_page_calls_invalidate_hook_once)
{
    MemMap *m = pc_layout(16 * MB);
    uint8_t buf[8] = {0x90};

    ninvalidated = 0;
    mem_set_code_write_hook(m, on_code_write, NULL);
    mem_mark_code(m, 0x400);
    cr_assert(mem_dma_write(m, 0x3FFFFC, buf, 8)); /* pages 0x3FF, 0x400 */
    cr_assert_eq(ninvalidated, 1);
    cr_assert_eq(invalidated[0], 0x400);
    cr_assert_not(mem_page_has_code(m, 0x400));
    cr_assert(mem_dma_write(m, 0x400000, buf, 8));
    cr_assert_eq(ninvalidated, 1, "no code left on the page");
    mem_write(m, 0x1000, 1, 1);
    cr_assert_eq(ninvalidated, 1);
    mem_mark_code(m, 1);
    mem_write(m, 0x1000, 1, 1);
    cr_assert_eq(ninvalidated, 2, "CPU slow-path writes invalidate too");
    mem_free(m);
}

Test(mem, dma_ptr_gives_ram_in_place_with_the_same_checks)
{
    MemMap *m = pc_layout(16 * MB);
    static const IoRegionOps ops = {count_read, NULL, 4, 4};
    uint8_t *p;

    p = mem_dma_ptr(m, 0x200000, 256, true);
    cr_assert_eq(p, mem_ram_base(m) + 0x200000);
    p[255] = 0x5A;
    cr_assert_eq(mem_read(m, 0x2000FF, 1), 0x5A, "the guest sees the fill");
    cr_assert_eq(mem_dma_ptr(m, 0x2000FF, 1, false), p + 255);
    cr_assert_null(mem_dma_ptr(m, 16 * MB - 32, 64, true), "past RAM");
    cr_assert_null(mem_dma_ptr(m, 0x9FFF8, 16, false), "across the hole");
    cr_assert_null(mem_dma_ptr(m, 0xFFFFFFF0u, 64, false), "wraps at 4 GiB");
    cr_assert_null(mem_dma_ptr(m, 0x1000, SIZE_MAX, false), "huge length");
    mem_map_mmio(m, "nic", 0xFEBF1000, 0x80, &ops, NULL, NULL);
    mmio_reads = 0;
    cr_assert_null(mem_dma_ptr(m, 0xFEBF1000, 4, false), "MMIO refused");
    cr_assert_eq(mmio_reads, 0);
    mem_free(m);
}

Test(mem, dma_ptr_for_writing_invalidates_code_but_reading_does_not)
{
    MemMap *m = pc_layout(16 * MB);

    ninvalidated = 0;
    mem_set_code_write_hook(m, on_code_write, NULL);
    mem_mark_code(m, 0x400);
    cr_assert_not_null(mem_dma_ptr(m, 0x3FFFFC, 8, false));
    cr_assert_eq(ninvalidated, 0, "reading leaves translations alone");
    cr_assert(mem_page_has_code(m, 0x400));
    cr_assert_not_null(mem_dma_ptr(m, 0x3FFFFC, 8, true));
    cr_assert_eq(ninvalidated, 1);
    cr_assert_eq(invalidated[0], 0x400);
    cr_assert_not(mem_page_has_code(m, 0x400));
    cr_assert_null(mem_dma_ptr(m, 16 * MB - 4, 8, true));
    mem_free(m);
}
