/*
 * tulipvm: Linux x86 boot protocol loader (direct 32-bit entry, no BIOS).
 *
 * Two ways into a bzImage:
 *  - host decompression (default): the payload is decompressed here (XZ or
 *    gzip, dispatched on its magic), the vmlinux ELF's PT_LOAD segments are
 *    copied to their physical addresses and the CPU enters at the kernel's
 *    startup_32;
 *  - guest decompression: the protected-mode part is copied to
 *    code32_start (0x100000) and the kernel's own decompressor runs.
 * A plain vmlinux ELF is accepted too (boot_params then carries a
 * synthesized protocol 2.15 header).
 *
 * Guest memory layout (pc-platform.md 1.4): GDT at 0x5000, boot_params at
 * 0x7000, command line at 0x20000, initrd page-aligned as high as RAM and
 * initrd_addr_max allow.  e820: [0, 0x9FC00) RAM, [0x9FC00, 0xA0000) and
 * [0xF0000, 0x100000) reserved, [1 MiB, RAM end) RAM.  The caller maps
 * guest RAM 1:1 (low 640 KiB and everything from 1 MiB) before loading.
 */
#ifndef EMU_LOADER_H
#define EMU_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "emu/mem.h"

#define LOADER_GDT_ADDR     0x5000
#define LOADER_BOOT_PARAMS  0x7000
#define LOADER_CMDLINE_ADDR 0x20000
#define LOADER_STACK_TOP    0x10000
#define LOADER_SEL_CODE     0x10
#define LOADER_SEL_DATA     0x18

/*
 * CPU state at the kernel entry.  Protected mode, paging off, IF = 0.
 * Every selector names a flat descriptor (base 0, limit 4 GiB, 32-bit,
 * DPL 0) of the GDT written at gdt_base: code execute/read, data
 * read/write, so the descriptor caches can be loaded from it or preset
 * to those values.
 */
typedef struct CpuEntryState {
    uint32_t eip;
    uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp;
    uint32_t eflags;
    uint32_t cr0;
    uint32_t gdt_base;
    uint16_t gdt_limit;
    uint16_t cs, ds, es, fs, gs, ss;
} CpuEntryState;

typedef struct LinuxBootImage {
    const uint8_t *kernel; /* bzImage or vmlinux ELF bytes */
    size_t kernel_len;
    const uint8_t *initrd; /* NULL: none */
    size_t initrd_len;
    const char *cmdline;   /* NULL: empty */
    bool guest_decompress; /* bzImage only: run the kernel's decompressor */
} LinuxBootImage;

/* Load into guest RAM and fill *entry.  Errors name the problem. */
bool linux_load(MemMap *mem, const LinuxBootImage *img, CpuEntryState *entry,
                GError **errp);

/* The same from files (initrd_path may be NULL). */
bool linux_load_files(MemMap *mem, const char *kernel_path,
                      const char *initrd_path, const char *cmdline,
                      bool guest_decompress, CpuEntryState *entry,
                      GError **errp);

/*
 * After linux_load(): describe a colour VGA text console (mode 3, 80x25,
 * 8x16 font, cursor at the top left) in boot_params' screen_info so the
 * kernel's vgacon takes the screen.  Without it screen_info stays zero and
 * the kernel has only its dummy console (serial-only machines).
 */
bool linux_set_vga_text_console(MemMap *mem, GError **errp);

/*
 * Decompress a bzImage's payload into a newly allocated vmlinux (g_free
 * it); exposed for tools and tests.
 */
uint8_t *linux_bzimage_extract(const uint8_t *kernel, size_t len,
                               size_t *out_len, GError **errp);

#endif /* EMU_LOADER_H */
