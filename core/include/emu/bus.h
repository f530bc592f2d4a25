/*
 * tulipvm: address spaces for port I/O and MMIO.
 *
 * A Bus is a set of non-overlapping regions, each served by an IoRegionOps
 * callback pair that receives the offset within the region.  The same
 * abstraction serves the 64 KiB port space and the MMIO part of the
 * physical memory map (TinyEMU's PhysMemoryMap, kvmtool's trap API).
 *
 * Access sizes: a device declares the sizes it implements (min_size ..
 * max_size, each 1, 2 or 4).  The bus adapts other accesses:
 *  - wider than max_size: split into max_size pieces, little-endian order;
 *  - narrower than min_size: a read fetches the naturally aligned min_size
 *    unit and extracts the requested bytes; a write is widened to that unit
 *    with the other bytes zero.  No hidden read is made (registers that
 *    clear on read, CSR8 of the 21140, must not see one); a device that
 *    needs byte-lane precision declares min_size 1 and handles it itself.
 * Accesses that reach no region read as all ones and writes are dropped,
 * with a trace event in the "bus" category.
 */
#ifndef EMU_BUS_H
#define EMU_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef uint32_t (*IoReadFn)(void *opaque, uint32_t off, unsigned size);
typedef void (*IoWriteFn)(void *opaque, uint32_t off, uint32_t val,
                          unsigned size);

typedef struct IoRegionOps {
    IoReadFn read;              /* NULL: reads as all ones */
    IoWriteFn write;            /* NULL: writes ignored */
    uint8_t min_size, max_size; /* implemented access sizes; 0 means 1 / 4 */
} IoRegionOps;

typedef struct Bus Bus;
typedef struct IoRegion IoRegion;

/* name is used in traces ("io", "mmio"); limit is the last valid address. */
Bus *bus_new(const char *name, uint64_t limit);
void bus_free(Bus *b);

/*
 * Map [base, base + len) to ops.  Fails with EMU_ERROR_OVERLAP when the range
 * collides with a mapped region, EMU_ERROR_INVALID when len is zero or the
 * range leaves the bus.  region_name appears in traces and errors.
 */
IoRegion *bus_map(Bus *b, const char *region_name, uint64_t base, uint64_t len,
                  const IoRegionOps *ops, void *opaque, GError **errp);
void bus_unmap(Bus *b, IoRegion *r);

/*
 * Map host memory directly (guest RAM, ROM images): reads and writes go to
 * host[off] without a callback; read_only regions drop writes.  The host
 * buffer must outlive the mapping.
 */
IoRegion *bus_map_ram(Bus *b, const char *region_name, uint64_t base,
                      uint64_t len, uint8_t *host, bool read_only,
                      GError **errp);

/* The region containing addr, or NULL. */
IoRegion *bus_find(Bus *b, uint64_t addr);
uint64_t io_region_base(const IoRegion *r);
uint64_t io_region_len(const IoRegion *r);
const char *io_region_name(const IoRegion *r);
/* Host memory behind a RAM/ROM region, NULL for callback regions. */
uint8_t *io_region_host(const IoRegion *r);
bool io_region_read_only(const IoRegion *r);

/* Dispatch a 1-, 2- or 4-byte access (little-endian value). */
uint32_t bus_read(Bus *b, uint64_t addr, unsigned size);
void bus_write(Bus *b, uint64_t addr, uint32_t val, unsigned size);

/* Accesses that reached no region since the bus was created. */
uint64_t bus_unassigned_count(const Bus *b);

/* Iterate over mapped regions in address order (for "info" style dumps). */
typedef void (*BusRegionFn)(void *opaque, const IoRegion *r);
void bus_foreach(Bus *b, BusRegionFn fn, void *opaque);

#endif /* EMU_BUS_H */
