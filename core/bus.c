/*
 * tulipvm: address-space dispatch for port I/O and MMIO (see emu/bus.h).
 *
 * Regions live in an array sorted by base address; lookup is a binary
 * search.  Buses hold tens of regions, and the CPU caches RAM translations
 * in its TLB, so nothing fancier is needed.
 */
#include "emu/bus.h"
#include "emu/log.h"

#include <string.h>

struct IoRegion {
    char *name;
    uint64_t base, len;
    IoRegionOps ops;
    void *opaque;
    uint8_t *host; /* RAM/ROM: direct memory */
    bool read_only;
};

struct Bus {
    char *name;
    uint64_t limit;
    GPtrArray *regions; /* IoRegion *, sorted by base */
    uint64_t unassigned;
};

Bus *bus_new(const char *name, uint64_t limit)
{
    Bus *b = g_new0(Bus, 1);
    b->name = g_strdup(name);
    b->limit = limit;
    b->regions = g_ptr_array_new();
    return b;
}

static void io_region_free(IoRegion *r)
{
    g_free(r->name);
    g_free(r);
}

void bus_free(Bus *b)
{
    if (!b) {
        return;
    }
    for (guint i = 0; i < b->regions->len; i++) {
        io_region_free(g_ptr_array_index(b->regions, i));
    }
    g_ptr_array_free(b->regions, TRUE);
    g_free(b->name);
    g_free(b);
}

/* Index of the first region whose base is > addr. */
static guint bus_upper_bound(const Bus *b, uint64_t addr)
{
    guint lo = 0, hi = b->regions->len;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        const IoRegion *r = g_ptr_array_index(b->regions, mid);
        if (r->base <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

IoRegion *bus_find(Bus *b, uint64_t addr)
{
    guint i = bus_upper_bound(b, addr);
    if (i == 0) {
        return NULL;
    }
    IoRegion *r = g_ptr_array_index(b->regions, i - 1);
    return addr - r->base < r->len ? r : NULL;
}

static IoRegion *bus_insert(Bus *b, const char *region_name, uint64_t base,
                            uint64_t len, GError **errp)
{
    if (len == 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "%s: region '%s' has zero length", b->name, region_name);
        return NULL;
    }
    if (base > b->limit || len - 1 > b->limit - base) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "%s: region '%s' [0x%" G_GINT64_MODIFIER
                    "x, +0x%" G_GINT64_MODIFIER "x) leaves the bus",
                    b->name, region_name, base, len);
        return NULL;
    }
    guint i = bus_upper_bound(b, base);
    const IoRegion *prev = i > 0 ? g_ptr_array_index(b->regions, i - 1) : NULL;
    const IoRegion *next =
        i < b->regions->len ? g_ptr_array_index(b->regions, i) : NULL;
    const IoRegion *clash = NULL;

    if (prev && base - prev->base < prev->len) {
        clash = prev;
    } else if (next && next->base - base < len) {
        clash = next;
    }
    if (clash) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_OVERLAP,
                    "%s: region '%s' at 0x%" G_GINT64_MODIFIER
                    "x overlaps '%s' [0x%" G_GINT64_MODIFIER
                    "x, +0x%" G_GINT64_MODIFIER "x)",
                    b->name, region_name, base, clash->name, clash->base,
                    clash->len);
        return NULL;
    }

    IoRegion *r = g_new0(IoRegion, 1);
    r->name = g_strdup(region_name);
    r->base = base;
    r->len = len;
    g_ptr_array_insert(b->regions, (gint)i, r);
    TRACE(TRACE_BUS,
          "%s: map '%s' at 0x%" G_GINT64_MODIFIER "x len 0x%" G_GINT64_MODIFIER
          "x",
          b->name, region_name, base, len);
    return r;
}

IoRegion *bus_map(Bus *b, const char *region_name, uint64_t base, uint64_t len,
                  const IoRegionOps *ops, void *opaque, GError **errp)
{
    IoRegion *r = bus_insert(b, region_name, base, len, errp);
    if (!r) {
        return NULL;
    }
    r->ops = *ops;
    if (r->ops.min_size == 0) {
        r->ops.min_size = 1;
    }
    if (r->ops.max_size == 0) {
        r->ops.max_size = 4;
    }
    g_assert(r->ops.min_size <= r->ops.max_size);
    r->opaque = opaque;
    return r;
}

IoRegion *bus_map_ram(Bus *b, const char *region_name, uint64_t base,
                      uint64_t len, uint8_t *host, bool read_only,
                      GError **errp)
{
    IoRegion *r = bus_insert(b, region_name, base, len, errp);
    if (!r) {
        return NULL;
    }
    r->host = host;
    r->read_only = read_only;
    return r;
}

void bus_unmap(Bus *b, IoRegion *r)
{
    if (!r) {
        return;
    }
    TRACE(TRACE_BUS, "%s: unmap '%s' at 0x%" G_GINT64_MODIFIER "x", b->name,
          r->name, r->base);
    gboolean removed = g_ptr_array_remove(b->regions, r);
    g_assert(removed);
    io_region_free(r);
}

uint64_t io_region_base(const IoRegion *r)
{
    return r->base;
}

uint64_t io_region_len(const IoRegion *r)
{
    return r->len;
}

const char *io_region_name(const IoRegion *r)
{
    return r->name;
}

uint8_t *io_region_host(const IoRegion *r)
{
    return r->host;
}

bool io_region_read_only(const IoRegion *r)
{
    return r->read_only;
}

uint64_t bus_unassigned_count(const Bus *b)
{
    return b->unassigned;
}

void bus_foreach(Bus *b, BusRegionFn fn, void *opaque)
{
    for (guint i = 0; i < b->regions->len; i++) {
        fn(opaque, g_ptr_array_index(b->regions, i));
    }
}

static uint32_t size_mask(unsigned size)
{
    return size >= 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
}

/* One access that fits the region's implemented sizes. */
static uint32_t region_read_impl(IoRegion *r, uint64_t off, unsigned size)
{
    if (r->host) {
        uint32_t v = 0;
        memcpy(&v, r->host + off, size); /* hosts are little-endian */
        return v;
    }
    if (!r->ops.read) {
        return size_mask(size);
    }
    return r->ops.read(r->opaque, (uint32_t)off, size) & size_mask(size);
}

static void region_write_impl(IoRegion *r, uint64_t off, uint32_t val,
                              unsigned size)
{
    if (r->host) {
        if (!r->read_only) {
            memcpy(r->host + off, &val, size);
        }
        return;
    }
    if (r->ops.write) {
        r->ops.write(r->opaque, (uint32_t)off, val & size_mask(size), size);
    }
}

static uint32_t bus_read_byte_path(Bus *b, uint64_t addr, unsigned size);
static void bus_write_byte_path(Bus *b, uint64_t addr, uint32_t val,
                                unsigned size);

static uint32_t region_read(IoRegion *r, uint64_t off, unsigned size)
{
    if (r->host) {
        return region_read_impl(r, off, size);
    }
    if (size > r->ops.max_size) {
        /* Split into max_size pieces, lowest address first. */
        unsigned piece = r->ops.max_size;
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i += piece) {
            v |= region_read(r, off + i, piece) << (i * 8);
        }
        return v;
    }
    if (size < r->ops.min_size) {
        unsigned unit = r->ops.min_size;
        uint64_t aligned = off & ~(uint64_t)(unit - 1);
        unsigned shift = (unsigned)(off - aligned) * 8;
        if (off - aligned + size > unit) {
            /* Straddles two units: assemble byte by byte. */
            uint32_t v = 0;
            for (unsigned i = 0; i < size; i++) {
                v |= region_read(r, off + i, 1) << (i * 8);
            }
            return v;
        }
        return (region_read_impl(r, aligned, unit) >> shift) & size_mask(size);
    }
    return region_read_impl(r, off, size);
}

static void region_write(IoRegion *r, uint64_t off, uint32_t val, unsigned size)
{
    if (r->host) {
        region_write_impl(r, off, val, size);
        return;
    }
    if (size > r->ops.max_size) {
        unsigned piece = r->ops.max_size;
        for (unsigned i = 0; i < size; i += piece) {
            region_write(r, off + i, (val >> (i * 8)) & size_mask(piece),
                         piece);
        }
        return;
    }
    if (size < r->ops.min_size) {
        unsigned unit = r->ops.min_size;
        uint64_t aligned = off & ~(uint64_t)(unit - 1);
        unsigned shift = (unsigned)(off - aligned) * 8;
        if (off - aligned + size > unit) {
            for (unsigned i = 0; i < size; i++) {
                region_write(r, off + i, (val >> (i * 8)) & 0xFF, 1);
            }
            return;
        }
        region_write_impl(r, aligned, (val & size_mask(size)) << shift, unit);
        return;
    }
    region_write_impl(r, off, val, size);
}

uint32_t bus_read(Bus *b, uint64_t addr, unsigned size)
{
    IoRegion *r = bus_find(b, addr);

    g_assert(size == 1 || size == 2 || size == 4);
    if (r && addr - r->base + size <= r->len) {
        return region_read(r, addr - r->base, size);
    }
    return bus_read_byte_path(b, addr, size);
}

void bus_write(Bus *b, uint64_t addr, uint32_t val, unsigned size)
{
    IoRegion *r = bus_find(b, addr);

    g_assert(size == 1 || size == 2 || size == 4);
    if (r && addr - r->base + size <= r->len) {
        region_write(r, addr - r->base, val, size);
        return;
    }
    bus_write_byte_path(b, addr, val, size);
}

/*
 * Accesses that miss, or run past the end of a region: handled byte by
 * byte so each byte goes where it belongs; bytes nobody decodes read as
 * 0xFF.
 */
static uint32_t bus_read_byte_path(Bus *b, uint64_t addr, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;
        IoRegion *r = a <= b->limit ? bus_find(b, a) : NULL;
        uint32_t byte;
        if (r) {
            byte = region_read(r, a - r->base, 1);
        } else {
            b->unassigned++;
            TRACE(TRACE_BUS, "%s: unassigned read 0x%" G_GINT64_MODIFIER "x",
                  b->name, a);
            byte = 0xFF;
        }
        v |= byte << (i * 8);
    }
    return v;
}

static void bus_write_byte_path(Bus *b, uint64_t addr, uint32_t val,
                                unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;
        IoRegion *r = a <= b->limit ? bus_find(b, a) : NULL;
        if (r) {
            region_write(r, a - r->base, (val >> (i * 8)) & 0xFF, 1);
        } else {
            b->unassigned++;
            TRACE(TRACE_BUS,
                  "%s: unassigned write 0x%" G_GINT64_MODIFIER "x = 0x%x",
                  b->name, a, (val >> (i * 8)) & 0xFF);
        }
    }
}
