/*
 * tulipvm: Linux x86 boot protocol loader (Documentation/x86/boot.rst,
 * protocol 2.15 as in Debian 12's 686 kernel; pc-platform.md sections
 * 1.1-1.5 for the measured details).
 *
 * No 16-bit setup code runs: boot_params is built here from the image's
 * setup header and the CPU starts in 32-bit protected mode.  The default
 * path decompresses the payload on the host, which saves the guest about
 * 2.3 G instructions of XZ decoding.
 *
 * Not supported: payloads compressed with lzma, bzip2, lzo, lz4 or zstd
 * on the host path (the error names the method; guest decompression
 * handles them), setup_data chains, EFI handover, KASLR on the host path
 * (the kernel runs at its link address, so no relocation is applied).
 */
#include <elf.h>
#include <string.h>
#include <lzma.h>
#include <zlib.h>
#include "emu/bytes.h"
#include "emu/loader.h"
#include "emu/log.h"

/* boot_params / setup header offsets */
/* screen_info, at the start of boot_params */
#define SI_ORIG_X         0x00
#define SI_ORIG_Y         0x01
#define SI_VIDEO_MODE     0x06
#define SI_VIDEO_COLS     0x07
#define SI_VIDEO_EGA_BX   0x0A
#define SI_VIDEO_LINES    0x0E
#define SI_VIDEO_IS_VGA   0x0F
#define SI_VIDEO_POINTS   0x10
#define BP_ALT_MEM_K      0x1E0
#define BP_E820_ENTRIES   0x1E8
#define BP_SETUP_SECTS    0x1F1
#define BP_BOOT_FLAG      0x1FE
#define BP_JUMP           0x200
#define BP_HEADER         0x202
#define BP_VERSION        0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS      0x211
#define BP_CODE32_START   0x214
#define BP_RAMDISK_IMAGE  0x218
#define BP_RAMDISK_SIZE   0x21C
#define BP_CMD_LINE_PTR   0x228
#define BP_INITRD_MAX     0x22C
#define BP_CMDLINE_SIZE   0x238
#define BP_HW_SUBARCH     0x23C
#define BP_PAYLOAD_OFFSET 0x248
#define BP_PAYLOAD_LENGTH 0x24C
#define BP_SETUP_DATA     0x250
#define BP_PREF_ADDRESS   0x258
#define BP_INIT_SIZE      0x260
#define BP_E820_TABLE     0x2D0
#define BP_SIZE           4096

#define HDR_MAGIC         0x53726448 /* "HdrS" */
#define BOOT_FLAG         0xAA55
#define LOADFLAGS_HIGH    0x01
#define LOADER_TYPE_OTHER 0xFF
#define E820_RAM          1
#define E820_RESERVED     2

#define LOW_RAM_END       0x9FC00
#define BIOS_AREA         0xF0000
#define ONE_MIB           0x100000ull
#define DEFAULT_KERNEL_AT 0x1000000u   /* LOAD_PHYSICAL_ADDR of i386 */
#define MAX_VMLINUX       (512u << 20) /* sanity cap on the size trailer */
#define MAX_PHDRS         64

static void wr64(uint8_t *p, uint64_t v)
{
    le32_put(p, v);
    le32_put(p + 4, v >> 32);
}

typedef struct BzImage {
    uint16_t version;
    size_t setup_len; /* bytes before the protected-mode part */
    size_t hdr_end;   /* end of the setup header */
    uint32_t code32_start;
    uint32_t initrd_addr_max;
    uint32_t cmdline_size;
    size_t payload_off, payload_len; /* file offsets */
    uint64_t pref_address;
    uint32_t init_size;
} BzImage;

static bool is_elf(const uint8_t *k, size_t len)
{
    return len >= SELFMAG && memcmp(k, ELFMAG, SELFMAG) == 0;
}

static bool bzimage_parse(const uint8_t *k, size_t len, BzImage *bz,
                          GError **errp)
{
    if (len < 0x270 || le16_get(k + BP_BOOT_FLAG) != BOOT_FLAG ||
        le32_get(k + BP_HEADER) != HDR_MAGIC) {
        return emu_error_invalid(errp, "kernel",
                                 "not a bzImage (no boot flag 0xAA55 and "
                                 "\"HdrS\" header) and not an ELF vmlinux");
    }
    bz->version = le16_get(k + BP_VERSION);
    if (bz->version < 0x0208) {
        return emu_error_invalid(
            errp, "kernel",
            "boot protocol %u.%02u is too old (2.08 or later "
            "is needed for the payload fields)",
            bz->version >> 8, bz->version & 0xFF);
    }
    unsigned sects = k[BP_SETUP_SECTS] ? k[BP_SETUP_SECTS] : 4;
    bz->setup_len = (size_t)(sects + 1) * 512;
    bz->hdr_end = MIN((size_t)BP_HEADER + k[BP_JUMP + 1], 0x280);
    bz->code32_start = le32_get(k + BP_CODE32_START);
    bz->initrd_addr_max = le32_get(k + BP_INITRD_MAX);
    bz->cmdline_size =
        bz->version >= 0x0206 ? le32_get(k + BP_CMDLINE_SIZE) : 255;
    bz->payload_off = bz->setup_len + le32_get(k + BP_PAYLOAD_OFFSET);
    bz->payload_len = le32_get(k + BP_PAYLOAD_LENGTH);
    bz->pref_address = bz->version >= 0x020A ? le32_get(k + BP_PREF_ADDRESS)
                                             : DEFAULT_KERNEL_AT;
    bz->init_size = bz->version >= 0x020A ? le32_get(k + BP_INIT_SIZE) : 0;
    if (bz->setup_len >= len) {
        return emu_error_invalid(errp, "kernel",
                                 "setup (%zu bytes) is larger than the file",
                                 bz->setup_len);
    }
    if (bz->payload_off > len || bz->payload_len > len - bz->payload_off ||
        bz->payload_len < 8) {
        return emu_error_invalid(errp, "kernel",
                                 "payload [0x%zx, +0x%zx) is outside the file",
                                 bz->payload_off, bz->payload_len);
    }
    return true;
}

static const char *payload_method(const uint8_t *p, size_t len)
{
    static const struct {
        const char *name;
        uint8_t magic[6];
        size_t n;
    } methods[] = {
        {"gzip", {0x1F, 0x8B}, 2},
        {"xz", {0xFD, '7', 'z', 'X', 'Z', 0}, 6},
        {"lzma", {0x5D, 0, 0}, 3},
        {"bzip2", {'B', 'Z', 'h'}, 3},
        {"lzo", {0x89, 'L', 'Z', 'O'}, 4},
        {"lz4", {0x02, 0x21, 0x4C, 0x18}, 4},
        {"zstd", {0x28, 0xB5, 0x2F, 0xFD}, 4},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(methods); i++) {
        if (len >= methods[i].n && !memcmp(p, methods[i].magic, methods[i].n)) {
            return methods[i].name;
        }
    }
    return "unknown";
}

static uint8_t *decompress_xz(const uint8_t *in, size_t in_len, size_t out_size,
                              size_t *out_len, GError **errp)
{
    lzma_stream strm = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&strm, UINT64_MAX, 0) != LZMA_OK) {
        emu_error_invalid(errp, "kernel", "cannot start the XZ decoder");
        return NULL;
    }
    uint8_t *out = g_malloc(out_size);
    strm.next_in = in;
    strm.avail_in = in_len;
    strm.next_out = out;
    strm.avail_out = out_size;
    /* One stream: the kernel's 4-byte size trailer stays unread. */
    lzma_ret r = lzma_code(&strm, LZMA_FINISH);
    *out_len = strm.total_out;
    lzma_end(&strm);
    if (r != LZMA_STREAM_END) {
        emu_error_invalid(
            errp, "kernel", "XZ payload does not decode (liblzma error %d%s)",
            r, strm.avail_out == 0 ? ", larger than its size trailer" : "");
        g_free(out);
        return NULL;
    }
    return out;
}

static uint8_t *decompress_gzip(const uint8_t *in, size_t in_len,
                                size_t out_size, size_t *out_len, GError **errp)
{
    z_stream zs = {0};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        emu_error_invalid(errp, "kernel", "cannot start the gzip decoder");
        return NULL;
    }
    uint8_t *out = g_malloc(out_size);
    zs.next_in = (Bytef *)in;
    zs.avail_in = in_len;
    zs.next_out = out;
    zs.avail_out = out_size;
    int r = inflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    inflateEnd(&zs);
    if (r != Z_STREAM_END) {
        emu_error_invalid(errp, "kernel",
                          "gzip payload does not decode (zlib error %d)", r);
        g_free(out);
        return NULL;
    }
    return out;
}

uint8_t *linux_bzimage_extract(const uint8_t *kernel, size_t len,
                               size_t *out_len, GError **errp)
{
    BzImage bz;
    if (!bzimage_parse(kernel, len, &bz, errp)) {
        return NULL;
    }
    const uint8_t *p = kernel + bz.payload_off;
    /* The build appends the decompressed size (le32) to every payload. */
    size_t size = le32_get(p + bz.payload_len - 4);
    if (size == 0 || size > MAX_VMLINUX) {
        emu_error_invalid(errp, "kernel",
                          "payload size trailer %zu is implausible", size);
        return NULL;
    }
    const char *method = payload_method(p, bz.payload_len);
    TRACE(TRACE_LOADER, "loader: %s payload, %zu -> %zu bytes", method,
          bz.payload_len, size);
    if (!strcmp(method, "xz")) {
        return decompress_xz(p, bz.payload_len - 4, size, out_len, errp);
    }
    if (!strcmp(method, "gzip")) {
        return decompress_gzip(p, bz.payload_len, size, out_len, errp);
    }
    emu_error_invalid(
        errp, "kernel",
        "%s-compressed payload: host decompression supports xz and "
        "gzip (use guest decompression)",
        method);
    return NULL;
}

static bool guest_write(MemMap *mem, uint64_t addr, const void *buf, size_t len,
                        const char *what, GError **errp)
{
    if (!mem_dma_write(mem, addr, buf, len)) {
        return emu_error_invalid(errp, "kernel",
                                 "%s [0x%" G_GINT64_MODIFIER
                                 "x, +0x%zx) is not in "
                                 "guest RAM (%" G_GUINT64_FORMAT " MiB)",
                                 what, addr, len, mem_ram_size(mem) >> 20);
    }
    return true;
}

static bool guest_zero(MemMap *mem, uint64_t addr, uint64_t len,
                       const char *what, GError **errp)
{
    static const uint8_t zeros[4096];
    while (len) {
        size_t n = MIN(len, sizeof zeros);
        if (!guest_write(mem, addr, zeros, n, what, errp)) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

/* Copy PT_LOAD segments to p_paddr; entry and end are physical. */
static bool load_elf(MemMap *mem, const uint8_t *elf, size_t len,
                     uint32_t *entry, uint64_t *end, GError **errp)
{
    if (len < sizeof(Elf32_Ehdr) || !is_elf(elf, len) ||
        elf[EI_CLASS] != ELFCLASS32 || elf[EI_DATA] != ELFDATA2LSB) {
        return emu_error_invalid(errp, "kernel",
                                 "vmlinux is not a little-endian ELF32 file");
    }
    if (le16_get(elf + offsetof(Elf32_Ehdr, e_machine)) != EM_386 ||
        le16_get(elf + offsetof(Elf32_Ehdr, e_type)) != ET_EXEC) {
        return emu_error_invalid(errp, "kernel",
                                 "vmlinux is not an i386 executable");
    }
    uint32_t e_entry = le32_get(elf + offsetof(Elf32_Ehdr, e_entry));
    uint32_t phoff = le32_get(elf + offsetof(Elf32_Ehdr, e_phoff));
    uint16_t phentsize = le16_get(elf + offsetof(Elf32_Ehdr, e_phentsize));
    uint16_t phnum = le16_get(elf + offsetof(Elf32_Ehdr, e_phnum));
    if (phentsize < sizeof(Elf32_Phdr) || phnum == 0 || phnum > MAX_PHDRS ||
        phoff > len || (size_t)phnum * phentsize > len - phoff) {
        return emu_error_invalid(errp, "kernel",
                                 "vmlinux program headers are malformed");
    }
    bool entry_found = false;
    unsigned loads = 0;
    *end = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = elf + phoff + (size_t)i * phentsize;
        if (le32_get(ph + offsetof(Elf32_Phdr, p_type)) != PT_LOAD) {
            continue;
        }
        uint32_t off = le32_get(ph + offsetof(Elf32_Phdr, p_offset));
        uint32_t vaddr = le32_get(ph + offsetof(Elf32_Phdr, p_vaddr));
        uint32_t paddr = le32_get(ph + offsetof(Elf32_Phdr, p_paddr));
        uint32_t filesz = le32_get(ph + offsetof(Elf32_Phdr, p_filesz));
        uint32_t memsz = le32_get(ph + offsetof(Elf32_Phdr, p_memsz));
        if (off > len || filesz > len - off || filesz > memsz) {
            return emu_error_invalid(
                errp, "kernel", "vmlinux segment %u lies outside the file", i);
        }
        TRACE(TRACE_LOADER,
              "loader: PT_LOAD %u paddr 0x%x filesz 0x%x memsz 0x%x", i, paddr,
              filesz, memsz);
        if (!guest_write(mem, paddr, elf + off, filesz, "kernel segment",
                         errp) ||
            !guest_zero(mem, (uint64_t)paddr + filesz, memsz - filesz,
                        "kernel bss", errp)) {
            return false;
        }
        /* e_entry is physical in Linux's vmlinux (startup_32) but may be
         * virtual elsewhere: translate through its segment then. */
        if (!entry_found && e_entry - paddr < memsz) {
            *entry = e_entry;
            entry_found = true;
        } else if (!entry_found && e_entry - vaddr < memsz) {
            *entry = e_entry - vaddr + paddr;
            entry_found = true;
        }
        *end = MAX(*end, (uint64_t)paddr + memsz);
        loads++;
    }
    if (!loads) {
        return emu_error_invalid(errp, "kernel",
                                 "vmlinux has no loadable segment");
    }
    if (!entry_found) {
        return emu_error_invalid(
            errp, "kernel", "vmlinux entry 0x%x is in no segment", e_entry);
    }
    return true;
}

static void add_e820(uint8_t *bp, unsigned *n, uint64_t addr, uint64_t size,
                     uint32_t type)
{
    uint8_t *e = bp + BP_E820_TABLE + *n * 20;
    wr64(e, addr);
    wr64(e + 8, size);
    le32_put(e + 16, type);
    (*n)++;
}

static bool write_gdt(MemMap *mem, GError **errp)
{
    /* null, unused, 0x10 flat code, 0x18 flat data (pc-platform.md 1.5) */
    static const uint64_t gdt[4] = {0, 0, 0x00CF9B000000FFFFull,
                                    0x00CF93000000FFFFull};
    uint8_t raw[sizeof gdt];
    for (unsigned i = 0; i < G_N_ELEMENTS(gdt); i++) {
        wr64(raw + i * 8, gdt[i]);
    }
    return guest_write(mem, LOADER_GDT_ADDR, raw, sizeof raw, "GDT", errp);
}

bool linux_load(MemMap *mem, const LinuxBootImage *img, CpuEntryState *entry,
                GError **errp)
{
    const uint8_t *k = img->kernel;
    size_t klen = img->kernel_len;
    uint64_t ram_end = mem_ram_size(mem);
    g_autofree uint8_t *bp = g_malloc0(BP_SIZE);
    g_autofree uint8_t *vmlinux = NULL;
    uint32_t eip = 0, initrd_max, cmdline_max;
    uint64_t kernel_end;

    if (ram_end <= 2 * ONE_MIB) {
        return emu_error_invalid(errp, "kernel",
                                 "guest RAM of %" G_GUINT64_FORMAT
                                 " KiB is too small",
                                 ram_end >> 10);
    }
    if (is_elf(k, klen)) {
        if (img->guest_decompress) {
            return emu_error_invalid(errp, "kernel",
                                     "guest decompression needs a bzImage, "
                                     "not an ELF vmlinux");
        }
        if (!load_elf(mem, k, klen, &eip, &kernel_end, errp)) {
            return false;
        }
        le16_put(bp + BP_BOOT_FLAG, BOOT_FLAG);
        le32_put(bp + BP_HEADER, HDR_MAGIC);
        le16_put(bp + BP_VERSION, 0x020F);
        bp[BP_LOADFLAGS] = LOADFLAGS_HIGH;
        initrd_max = 0x7FFFFFFF;
        cmdline_max = 2047;
    } else {
        BzImage bz;
        if (!bzimage_parse(k, klen, &bz, errp)) {
            return false;
        }
        memcpy(bp + BP_SETUP_SECTS, k + BP_SETUP_SECTS,
               bz.hdr_end - BP_SETUP_SECTS);
        initrd_max = bz.version >= 0x0203 ? bz.initrd_addr_max : 0x37FFFFFF;
        cmdline_max = bz.cmdline_size;
        if (img->guest_decompress) {
            size_t pm_len = klen - bz.setup_len;
            uint64_t need = bz.pref_address + bz.init_size;
            if (need > ram_end) {
                return emu_error_invalid(
                    errp, "kernel",
                    "in-guest decompression needs %" G_GUINT64_FORMAT
                    " MiB of RAM, the guest has %" G_GUINT64_FORMAT,
                    (guint64)((need + ONE_MIB - 1) >> 20),
                    (guint64)(ram_end >> 20));
            }
            if (!guest_write(mem, bz.code32_start, k + bz.setup_len, pm_len,
                             "protected-mode kernel", errp)) {
                return false;
            }
            eip = bz.code32_start;
            kernel_end = MAX(need, bz.code32_start + pm_len);
        } else {
            size_t vlen;
            vmlinux = linux_bzimage_extract(k, klen, &vlen, errp);
            if (!vmlinux ||
                !load_elf(mem, vmlinux, vlen, &eip, &kernel_end, errp)) {
                return false;
            }
        }
    }

    /* Command line */
    const char *cmdline = img->cmdline ? img->cmdline : "";
    size_t clen = strlen(cmdline);
    if (clen > cmdline_max) {
        return emu_error_invalid(errp, "kernel",
                                 "command line of %zu characters exceeds the "
                                 "kernel's limit of %u",
                                 clen, cmdline_max);
    }
    if (!guest_write(mem, LOADER_CMDLINE_ADDR, cmdline, clen + 1,
                     "command line", errp)) {
        return false;
    }

    /* initrd: page aligned, as high as RAM and initrd_addr_max allow. */
    if (img->initrd && img->initrd_len) {
        uint64_t top = MIN(ram_end, (uint64_t)initrd_max + 1);
        uint64_t len = img->initrd_len;
        uint64_t addr = len <= top ? (top - len) & ~0xFFFull : 0;
        if (len > top || addr < kernel_end) {
            return emu_error_invalid(
                errp, "kernel",
                "initrd of %" G_GUINT64_FORMAT " bytes does not "
                "fit between the kernel end 0x%" G_GINT64_MODIFIER
                "x and 0x%" G_GINT64_MODIFIER "x",
                len, kernel_end, top);
        }
        if (!guest_write(mem, addr, img->initrd, len, "initrd", errp)) {
            return false;
        }
        le32_put(bp + BP_RAMDISK_IMAGE, addr);
        le32_put(bp + BP_RAMDISK_SIZE, len);
        TRACE(TRACE_LOADER, "loader: initrd at 0x%" G_GINT64_MODIFIER "x",
              addr);
    }

    bp[BP_TYPE_OF_LOADER] = LOADER_TYPE_OTHER;
    le32_put(bp + BP_CMD_LINE_PTR, LOADER_CMDLINE_ADDR);
    le32_put(bp + BP_HW_SUBARCH, 0);
    wr64(bp + BP_SETUP_DATA, 0);
    le32_put(bp + BP_ALT_MEM_K, MIN((ram_end - ONE_MIB) >> 10, 0xFFFFFFFFull));
    unsigned n = 0;
    add_e820(bp, &n, 0, LOW_RAM_END, E820_RAM);
    add_e820(bp, &n, LOW_RAM_END, 0xA0000 - LOW_RAM_END, E820_RESERVED);
    add_e820(bp, &n, BIOS_AREA, ONE_MIB - BIOS_AREA, E820_RESERVED);
    add_e820(bp, &n, ONE_MIB, ram_end - ONE_MIB, E820_RAM);
    bp[BP_E820_ENTRIES] = n;
    if (!guest_write(mem, LOADER_BOOT_PARAMS, bp, BP_SIZE, "boot_params",
                     errp) ||
        !write_gdt(mem, errp)) {
        return false;
    }

    *entry = (CpuEntryState){
        .eip = eip,
        .esi = LOADER_BOOT_PARAMS,
        .esp = LOADER_STACK_TOP,
        .eflags = 0x2,
        .cr0 = 0x11, /* PE | ET */
        .gdt_base = LOADER_GDT_ADDR,
        .gdt_limit = 4 * 8 - 1,
        .cs = LOADER_SEL_CODE,
        .ds = LOADER_SEL_DATA,
        .es = LOADER_SEL_DATA,
        .fs = LOADER_SEL_DATA,
        .gs = LOADER_SEL_DATA,
        .ss = LOADER_SEL_DATA,
    };
    TRACE(TRACE_LOADER, "loader: entry 0x%x, boot_params 0x%x", eip,
          LOADER_BOOT_PARAMS);
    return true;
}

bool linux_load_files(MemMap *mem, const char *kernel_path,
                      const char *initrd_path, const char *cmdline,
                      bool guest_decompress, CpuEntryState *entry,
                      GError **errp)
{
    g_autofree char *kernel = NULL, *initrd = NULL;
    gsize klen = 0, ilen = 0;
    if (!g_file_get_contents(kernel_path, &kernel, &klen, errp)) {
        return false;
    }
    if (initrd_path &&
        !g_file_get_contents(initrd_path, &initrd, &ilen, errp)) {
        return false;
    }
    LinuxBootImage img = {
        .kernel = (const uint8_t *)kernel,
        .kernel_len = klen,
        .initrd = (const uint8_t *)initrd,
        .initrd_len = ilen,
        .cmdline = cmdline,
        .guest_decompress = guest_decompress,
    };
    return linux_load(mem, &img, entry, errp);
}

bool linux_set_vga_text_console(MemMap *mem, GError **errp)
{
    uint8_t si[0x12] = {0};

    si[SI_ORIG_X] = 0;
    si[SI_ORIG_Y] = 0;
    si[SI_VIDEO_MODE] = 3; /* 80x25 colour text */
    si[SI_VIDEO_COLS] = 80;
    si[SI_VIDEO_EGA_BX] = 3; /* not 0x10: an EGA/VGA is present */
    si[SI_VIDEO_LINES] = 25;
    si[SI_VIDEO_IS_VGA] = 1;
    si[SI_VIDEO_POINTS] = 16; /* scan lines per character */
    return guest_write(mem, LOADER_BOOT_PARAMS, si, sizeof(si), "screen_info",
                       errp);
}
