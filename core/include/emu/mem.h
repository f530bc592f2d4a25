/*
 * tulipvm: guest RAM, the physical memory map and checked DMA.
 *
 * Guest RAM is one host allocation of the configured size.  The physical
 * map (a Bus covering 4 GiB) holds windows onto that RAM, read-only ROM
 * images and MMIO regions; registration rejects any overlap between them.
 *
 * Devices reach guest memory only through mem_dma_read/mem_dma_write (or
 * pci_dma_* which adds the bus-master check).  A transfer must lie wholly
 * in RAM: anything touching a hole, ROM or MMIO fails as a whole, copies
 * nothing, and is traced.  DMA into MMIO is refused on purpose: a device
 * must never re-enter its own registers through a descriptor pointer.
 *
 * The CPU caches decoded instructions per physical page.  It marks pages
 * holding such code with mem_mark_code(); a write to a marked page through
 * DMA (or through the CPU's slow path) calls the code-write hook so stale
 * translations are dropped.
 */
#ifndef EMU_MEM_H
#define EMU_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "emu/bus.h"

#define MEM_PAGE_BITS  12
#define MEM_PAGE_SIZE  (1u << MEM_PAGE_BITS)
#define MEM_PHYS_LIMIT 0xFFFFFFFFull /* 32-bit physical address space */

typedef struct MemMap MemMap;

/* Called with the RAM page number (offset into RAM / 4 KiB) that changed. */
typedef void (*CodeWriteFn)(void *opaque, uint32_t ram_page);

/* Allocate ram_size bytes of zeroed guest RAM (a multiple of 4 KiB). */
MemMap *mem_new(uint64_t ram_size, GError **errp);
void mem_free(MemMap *m);

uint64_t mem_ram_size(const MemMap *m);
/* Host pointer to the start of guest RAM (loaders, the CPU's TLB). */
uint8_t *mem_ram_base(MemMap *m);

/* The physical address space bus (for MMIO mapping and lookups). */
Bus *mem_bus(MemMap *m);

/*
 * Make RAM bytes [ram_off, ram_off + len) visible at physical base.
 * The usual PC layout is mem_map_ram(m, 0, 0, 640K) and
 * mem_map_ram(m, 1M, 1M, size - 1M).
 */
bool mem_map_ram(MemMap *m, uint64_t base, uint64_t ram_off, uint64_t len,
                 GError **errp);

/* Map a copy of a ROM image read-only at base. */
bool mem_map_rom(MemMap *m, const char *name, uint64_t base,
                 const uint8_t *data, uint64_t len, GError **errp);

IoRegion *mem_map_mmio(MemMap *m, const char *name, uint64_t base, uint64_t len,
                       const IoRegionOps *ops, void *opaque, GError **errp);
void mem_unmap_mmio(MemMap *m, IoRegion *r);

/* CPU-side physical accesses of 1, 2 or 4 bytes (any region kind). */
uint32_t mem_read(MemMap *m, uint64_t addr, unsigned size);
void mem_write(MemMap *m, uint64_t addr, uint32_t val, unsigned size);

/*
 * Checked DMA.  Returns false, copies nothing and leaves guest memory
 * unchanged unless [addr, addr + len) is entirely RAM.
 */
bool mem_dma_read(MemMap *m, uint64_t addr, void *buf, size_t len);
bool mem_dma_write(MemMap *m, uint64_t addr, const void *buf, size_t len);

/*
 * The same check without the copy, for a device that reads or fills a
 * guest buffer in place (e.g. computing a checksum in the same pass):
 * the host address of [addr, addr + len), or NULL (traced) unless that
 * range is entirely RAM.  For a write the range is reported as written
 * (code-write hook) at once: fill it before the guest CPU runs again.
 * The pointer is valid until the memory map changes.
 */
uint8_t *mem_dma_ptr(MemMap *m, uint64_t addr, size_t len, bool write);

/* Little-endian 32-bit helpers for descriptor words. */
bool mem_dma_read_le32(MemMap *m, uint64_t addr, uint32_t *val);
bool mem_dma_write_le32(MemMap *m, uint64_t addr, uint32_t val);

/*
 * Translate a physical address to a RAM offset; false when addr is not RAM.
 * ram_window_end receives the first physical address past the RAM window
 * that holds addr.
 */
bool mem_phys_to_ram(MemMap *m, uint64_t addr, uint64_t *ram_off,
                     uint64_t *ram_window_end);

/* Code tracking for the CPU's decoded-instruction cache. */
void mem_set_code_write_hook(MemMap *m, CodeWriteFn fn, void *opaque);
void mem_mark_code(MemMap *m, uint32_t ram_page);
void mem_clear_code(MemMap *m, uint32_t ram_page);
bool mem_page_has_code(const MemMap *m, uint32_t ram_page);
/* Note that RAM [ram_off, ram_off + len) changed outside the CPU's view. */
void mem_ram_written(MemMap *m, uint64_t ram_off, uint64_t len);

#endif /* EMU_MEM_H */
