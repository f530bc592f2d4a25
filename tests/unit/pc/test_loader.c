/*
 * Linux loader on synthetic kernels built here: a tiny i386 ELF wrapped as
 * an XZ or gzip bzImage payload behind a minimal setup header, loaded into
 * guest RAM the way the machine will do it.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <lzma.h>
#include <zlib.h>
#include "emu/bytes.h"
#include "emu/loader.h"

#define RAM_SIZE    (64u << 20)
#define SETUP_LEN   0xA00 /* setup_sects = 4 */
#define PAYLOAD_REL 0x40

static MemMap *mem;

static void setup(void)
{
    mem = mem_new(RAM_SIZE, NULL);
    cr_assert(mem_map_ram(mem, 0, 0, 0xA0000, NULL));
    cr_assert(mem_map_ram(mem, 0x100000, 0x100000, RAM_SIZE - 0x100000, NULL));
    /* Garbage everywhere, so zeroed bss and written bytes show. */
    memset(mem_ram_base(mem), 0xCC, RAM_SIZE);
}

static void teardown(void)
{
    mem_free(mem);
}

static uint32_t get32(uint64_t addr)
{
    uint32_t v;
    cr_assert(mem_dma_read_le32(mem, addr, &v));
    return v;
}

static uint8_t get8(uint64_t addr)
{
    uint8_t v;
    cr_assert(mem_dma_read(mem, addr, &v, 1));
    return v;
}

/* ELF32 i386 EXEC: text at paddr 0x1000000 (vaddr 0xC1000000), data with
 * a bss tail at 0x1001000; entry given as a virtual address. */
static const uint8_t text[16] = {0xFC, 0xFA, 0x8B, 0x25, 1, 2,  3,  4,
                                 5,    6,    7,    8,    9, 10, 11, 12};
static const uint8_t data[8] = "DATA!!!";

static GByteArray *make_elf(void)
{
    uint8_t f[0x300] = {0};
    memcpy(f,
           "\x7f"
           "ELF",
           4);
    f[4] = 1; /* ELFCLASS32 */
    f[5] = 1; /* little endian */
    f[6] = 1;
    le16_put(f + 16, 2); /* ET_EXEC */
    le16_put(f + 18, 3); /* EM_386 */
    le32_put(f + 20, 1);
    le32_put(f + 24, 0xC1000004); /* e_entry (virtual) */
    le32_put(f + 28, 52);         /* e_phoff */
    le16_put(f + 40, 52);
    le16_put(f + 42, 32);
    le16_put(f + 44, 3);
    uint8_t *ph = f + 52;
    le32_put(ph + 0, 1); /* PT_LOAD text */
    le32_put(ph + 4, 0x200);
    le32_put(ph + 8, 0xC1000000);
    le32_put(ph + 12, 0x1000000);
    le32_put(ph + 16, sizeof text);
    le32_put(ph + 20, sizeof text);
    ph += 32;
    le32_put(ph + 0, 1); /* PT_LOAD data + bss */
    le32_put(ph + 4, 0x280);
    le32_put(ph + 8, 0xC1001000);
    le32_put(ph + 12, 0x1001000);
    le32_put(ph + 16, sizeof data);
    le32_put(ph + 20, 0x3000);
    ph += 32;
    le32_put(ph + 0, 4); /* PT_NOTE: ignored */
    memcpy(f + 0x200, text, sizeof text);
    memcpy(f + 0x280, data, sizeof data);
    GByteArray *a = g_byte_array_new();
    g_byte_array_append(a, f, sizeof f);
    return a;
}

static GByteArray *compress_xz(const GByteArray *in)
{
    size_t cap = in->len + 1024, pos = 0;
    uint8_t *out = g_malloc(cap);
    cr_assert_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in->data,
                                         in->len, out, &pos, cap),
                 LZMA_OK);
    GByteArray *a = g_byte_array_new_take(out, pos);
    uint8_t size[4];
    le32_put(size, in->len); /* the kernel build's size trailer */
    g_byte_array_append(a, size, 4);
    return a;
}

static GByteArray *compress_gzip(const GByteArray *in)
{
    z_stream zs = {0};
    cr_assert_eq(
        deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
        Z_OK);
    size_t cap = deflateBound(&zs, in->len);
    uint8_t *out = g_malloc(cap);
    zs.next_in = in->data;
    zs.avail_in = in->len;
    zs.next_out = out;
    zs.avail_out = cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t n = zs.total_out;
    deflateEnd(&zs);
    return g_byte_array_new_take(out, n); /* ISIZE is the size trailer */
}

/* Minimal bzImage: setup header + protected-mode stub + payload. */
static GByteArray *make_bzimage(const GByteArray *payload, uint32_t initrd_max)
{
    size_t len = SETUP_LEN + PAYLOAD_REL + payload->len + 16;
    uint8_t *k = g_malloc0(len);
    k[0x1F1] = 4;
    le16_put(k + 0x1FE, 0xAA55);
    k[0x200] = 0xEB;
    k[0x201] = 0x6A;
    memcpy(k + 0x202, "HdrS", 4);
    le16_put(k + 0x206, 0x020F);
    k[0x211] = 0x01;
    le32_put(k + 0x214, 0x100000);
    le32_put(k + 0x22C, initrd_max);
    le32_put(k + 0x230, 0x1000000);
    le32_put(k + 0x238, 2047);
    le32_put(k + 0x248, PAYLOAD_REL);
    le32_put(k + 0x24C, payload->len);
    le32_put(k + 0x258, 0x1000000);
    le32_put(k + 0x260, 0x1000000); /* init_size: 16 MiB */
    memset(k + SETUP_LEN, 0x90, PAYLOAD_REL);
    memcpy(k + SETUP_LEN + PAYLOAD_REL, payload->data, payload->len);
    return g_byte_array_new_take(k, len);
}

static GByteArray *xz_kernel(uint32_t initrd_max)
{
    GByteArray *elf = make_elf();
    GByteArray *xz = compress_xz(elf);
    GByteArray *k = make_bzimage(xz, initrd_max);
    g_byte_array_free(elf, TRUE);
    g_byte_array_free(xz, TRUE);
    return k;
}

static void assert_vmlinux_loaded(const CpuEntryState *e)
{
    cr_assert_eq(e->eip, 0x1000004, "virtual e_entry translated");
    for (unsigned i = 0; i < sizeof text; i++) {
        cr_assert_eq(get8(0x1000000 + i), text[i]);
    }
    for (unsigned i = 0; i < sizeof data; i++) {
        cr_assert_eq(get8(0x1001000 + i), data[i]);
    }
    for (unsigned i = sizeof data; i < 0x3000; i += 0x101) {
        cr_assert_eq(get8(0x1001000 + i), 0, "bss zeroed at +0x%x", i);
    }
}

static void assert_boot_params(const char *cmdline)
{
    const uint32_t bp = LOADER_BOOT_PARAMS;
    cr_assert_eq(get32(bp + 0x202), 0x53726448, "header copied");
    cr_assert_eq(get32(bp + 0x206) & 0xFFFF, 0x020F);
    cr_assert_eq(get8(bp + 0x1EF), 0, "sentinel stays zero");
    cr_assert_eq(get8(bp + 0x210), 0xFF, "type_of_loader non-zero");
    cr_assert_eq(get32(bp + 0x228), LOADER_CMDLINE_ADDR);
    for (size_t i = 0; i <= strlen(cmdline); i++) {
        cr_assert_eq(get8(LOADER_CMDLINE_ADDR + i), (uint8_t)cmdline[i]);
    }
    cr_assert_eq(get8(bp + 0x1E8), 4, "e820 entries");
    struct {
        uint32_t addr, size, type;
    } want[4] = {{0, 0x9FC00, 1},
                 {0x9FC00, 0x400, 2},
                 {0xF0000, 0x10000, 2},
                 {0x100000, RAM_SIZE - 0x100000, 1}};
    for (int i = 0; i < 4; i++) {
        uint32_t e = bp + 0x2D0 + i * 20;
        cr_assert_eq(get32(e), want[i].addr);
        cr_assert_eq(get32(e + 4), 0);
        cr_assert_eq(get32(e + 8), want[i].size);
        cr_assert_eq(get32(e + 16), want[i].type);
    }
    /* GDT: flat code at 0x10, flat data at 0x18 */
    cr_assert_eq(get32(LOADER_GDT_ADDR + 0x10), 0x0000FFFF);
    cr_assert_eq(get32(LOADER_GDT_ADDR + 0x14), 0x00CF9B00);
    cr_assert_eq(get32(LOADER_GDT_ADDR + 0x18), 0x0000FFFF);
    cr_assert_eq(get32(LOADER_GDT_ADDR + 0x1C), 0x00CF9300);
}

static void assert_entry_state(const CpuEntryState *e)
{
    cr_assert_eq(e->esi, LOADER_BOOT_PARAMS);
    cr_assert_eq(e->ebx | e->ebp | e->edi, 0);
    cr_assert_eq(e->eflags, 0x2, "interrupts off");
    cr_assert_eq(e->cr0 & 0x80000001, 1, "protected mode, paging off");
    cr_assert_eq(e->cs, 0x10);
    cr_assert_eq(e->ds, 0x18);
    cr_assert_eq(e->ss, 0x18);
    cr_assert_eq(e->gdt_base, LOADER_GDT_ADDR);
    cr_assert_eq(e->gdt_limit, 31);
}

TestSuite(pc_loader, .init = setup, .fini = teardown);

Test(pc_loader, xz_bzimage_is_decompressed_and_vmlinux_loaded)
{
    g_autoptr(GByteArray) k = xz_kernel(0x7FFFFFFF);
    const char *cmdline = "console=ttyS0 acpi=off cryptomgr.notests";
    uint8_t initrd[10000];
    for (size_t i = 0; i < sizeof initrd; i++) {
        initrd[i] = i * 7;
    }
    LinuxBootImage img = {k->data,       k->len,  initrd,
                          sizeof initrd, cmdline, false};
    CpuEntryState e;
    GError *err = NULL;
    cr_assert(linux_load(mem, &img, &e, &err), "%s", err ? err->message : "");
    assert_vmlinux_loaded(&e);
    assert_boot_params(cmdline);
    assert_entry_state(&e);
    uint32_t rd = get32(LOADER_BOOT_PARAMS + 0x218);
    cr_assert_eq(get32(LOADER_BOOT_PARAMS + 0x21C), sizeof initrd);
    cr_assert_eq(rd & 0xFFF, 0, "page aligned");
    cr_assert(rd + sizeof initrd <= RAM_SIZE && rd >= RAM_SIZE - 0x4000,
              "at the top of RAM: 0x%x", rd);
    for (size_t i = 0; i < sizeof initrd; i += 97) {
        cr_assert_eq(get8(rd + i), initrd[i]);
    }
}

/* With a VGA, screen_info tells vgacon about an 80x25 colour text screen;
 * without one it stays zero (the dummy console). */
Test(pc_loader, vga_text_console_is_described_in_screen_info)
{
    g_autoptr(GByteArray) k = xz_kernel(0x7FFFFFFF);
    LinuxBootImage img = {k->data, k->len, NULL, 0, "console=tty0", false};
    CpuEntryState e;
    GError *err = NULL;
    const uint32_t bp = LOADER_BOOT_PARAMS;
    cr_assert(linux_load(mem, &img, &e, &err), "%s", err ? err->message : "");
    for (uint32_t i = 0; i < 0x40; i++) {
        cr_assert_eq(get8(bp + i), 0, "serial-only: screen_info zero at %u", i);
    }
    cr_assert(linux_set_vga_text_console(mem, &err), "%s",
              err ? err->message : "");
    cr_assert_eq(get8(bp + 0x06), 3, "orig_video_mode");
    cr_assert_eq(get8(bp + 0x07), 80, "orig_video_cols");
    cr_assert_eq(get8(bp + 0x0E), 25, "orig_video_lines");
    cr_assert_eq(get8(bp + 0x0F), 1, "orig_video_isVGA");
    cr_assert_eq(get8(bp + 0x10), 16, "orig_video_points");
    cr_assert_eq(get8(bp + 0x0A), 3, "orig_video_ega_bx");
    cr_assert_eq(get32(bp + 0x202), 0x53726448, "the header is untouched");
}

Test(pc_loader, gzip_payload_is_accepted_too)
{
    g_autoptr(GByteArray) elf = make_elf();
    g_autoptr(GByteArray) gz = compress_gzip(elf);
    g_autoptr(GByteArray) k = make_bzimage(gz, 0x7FFFFFFF);
    LinuxBootImage img = {k->data, k->len, NULL, 0, NULL, false};
    CpuEntryState e;
    cr_assert(linux_load(mem, &img, &e, NULL));
    assert_vmlinux_loaded(&e);
    cr_assert_eq(get32(LOADER_BOOT_PARAMS + 0x218), 0, "no initrd");
    cr_assert_eq(get8(LOADER_CMDLINE_ADDR), 0, "empty command line");
}

Test(pc_loader, guest_decompression_enters_protected_mode_part)
{
    g_autoptr(GByteArray) k = xz_kernel(0x7FFFFFFF);
    LinuxBootImage img = {k->data, k->len, NULL, 0, "nokaslr", true};
    CpuEntryState e;
    cr_assert(linux_load(mem, &img, &e, NULL));
    cr_assert_eq(e.eip, 0x100000);
    for (size_t i = 0; i < k->len - SETUP_LEN; i += 13) {
        cr_assert_eq(get8(0x100000 + i), k->data[SETUP_LEN + i]);
    }
    cr_assert_eq(get8(0x1000000), 0xCC, "nothing decompressed on the host");
    assert_boot_params("nokaslr");
    assert_entry_state(&e);
}

Test(pc_loader, plain_vmlinux_elf_gets_a_synthesized_header)
{
    g_autoptr(GByteArray) elf = make_elf();
    LinuxBootImage img = {elf->data, elf->len, NULL, 0, "quiet", false};
    CpuEntryState e;
    cr_assert(linux_load(mem, &img, &e, NULL));
    assert_vmlinux_loaded(&e);
    assert_boot_params("quiet");
}

Test(pc_loader, initrd_stays_below_initrd_addr_max)
{
    g_autoptr(GByteArray) k = xz_kernel(0x02FFFFFF);
    uint8_t initrd[5000] = {1};
    LinuxBootImage img = {k->data, k->len, initrd, sizeof initrd, NULL, false};
    CpuEntryState e;
    cr_assert(linux_load(mem, &img, &e, NULL));
    uint32_t rd = get32(LOADER_BOOT_PARAMS + 0x218);
    cr_assert(rd + sizeof initrd <= 0x3000000 && rd >= 0x2FFD000, "0x%x", rd);
}

static void assert_load_error(const LinuxBootImage *img, const char *needle)
{
    CpuEntryState e;
    GError *err = NULL;
    cr_assert_not(linux_load(mem, img, &e, &err));
    cr_assert_not_null(err);
    cr_assert(strstr(err->message, needle), "message: %s", err->message);
    g_error_free(err);
}

Test(pc_loader, malformed_images_give_clear_errors)
{
    uint8_t junk[4096] = {0};
    LinuxBootImage img = {junk, sizeof junk, NULL, 0, NULL, false};
    assert_load_error(&img, "not a bzImage");

    g_autoptr(GByteArray) k = xz_kernel(0x7FFFFFFF);
    /* zstd magic in place of XZ */
    g_autoptr(GByteArray) z = g_byte_array_new();
    g_byte_array_append(z, k->data, k->len);
    memcpy(z->data + SETUP_LEN + PAYLOAD_REL, "\x28\xb5\x2f\xfd", 4);
    img = (LinuxBootImage){z->data, z->len, NULL, 0, NULL, false};
    assert_load_error(&img, "zstd");

    /* corrupted XZ data */
    z->data[SETUP_LEN + PAYLOAD_REL + 40] ^= 0xFF;
    memcpy(z->data + SETUP_LEN + PAYLOAD_REL,
           "\xfd"
           "7zXZ",
           5);
    assert_load_error(&img, "XZ payload");

    /* payload length beyond the file */
    img = (LinuxBootImage){k->data, SETUP_LEN + 0x80, NULL, 0, NULL, false};
    assert_load_error(&img, "outside the file");

    /* command line longer than cmdline_size */
    g_autofree char *longcmd = g_strnfill(3000, 'x');
    img = (LinuxBootImage){k->data, k->len, NULL, 0, longcmd, false};
    assert_load_error(&img, "limit of 2047");

    /* initrd larger than the space above the kernel */
    uint8_t *big = g_malloc0(RAM_SIZE - 0x1000000);
    img = (LinuxBootImage){k->data, k->len, big, RAM_SIZE - 0x1000000,
                           NULL,    false};
    assert_load_error(&img, "does not fit");
    g_free(big);
}

Test(pc_loader, kernel_outside_guest_ram_is_reported)
{
    MemMap *small = mem_new(8u << 20, NULL);
    cr_assert(mem_map_ram(small, 0, 0, 0xA0000, NULL));
    cr_assert(
        mem_map_ram(small, 0x100000, 0x100000, (8u << 20) - 0x100000, NULL));
    g_autoptr(GByteArray) k = xz_kernel(0x7FFFFFFF);
    LinuxBootImage img = {k->data, k->len, NULL, 0, NULL, false};
    CpuEntryState e;
    GError *err = NULL;
    cr_assert_not(linux_load(small, &img, &e, &err));
    cr_assert(strstr(err->message, "not in guest RAM (8 MiB)"), "%s",
              err->message);
    g_clear_error(&err);
    img.guest_decompress = true;
    cr_assert_not(linux_load(small, &img, &e, &err));
    cr_assert(strstr(err->message, "needs 32 MiB"), "%s", err->message);
    g_error_free(err);
    mem_free(small);
}
