/*
 * tulipvm: guest RAM, physical memory map and checked DMA (see emu/mem.h).
 */
#include "emu/mem.h"
#include "emu/log.h"

#include <string.h>
#include <sys/mman.h>

#define MEM_MAX_RAM_WINDOWS 8

typedef struct RamWindow {
    uint64_t base, ram_off, len;
} RamWindow;

struct MemMap {
    Bus *bus;
    uint8_t *ram;
    uint64_t ram_size;
    RamWindow windows[MEM_MAX_RAM_WINDOWS];
    int nwindows;
    GPtrArray *roms;     /* owned ROM copies */
    uint8_t *code_pages; /* one byte per RAM page: decoded code present */
    CodeWriteFn code_hook;
    void *code_hook_opaque;
};

MemMap *mem_new(uint64_t ram_size, GError **errp)
{
    if (ram_size == 0 || ram_size % MEM_PAGE_SIZE ||
        ram_size > MEM_PHYS_LIMIT) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "guest RAM size %" G_GUINT64_FORMAT
                    " is not a non-zero multiple of 4 KiB below 4 GiB",
                    ram_size);
        return NULL;
    }
    /* Anonymous mapping: zeroed, and pages the guest never touches cost
     * nothing. */
    void *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "cannot allocate %" G_GUINT64_FORMAT " MiB of guest RAM",
                    ram_size >> 20);
        return NULL;
    }
    MemMap *m = g_new0(MemMap, 1);
    m->ram = ram;
    m->ram_size = ram_size;
    m->bus = bus_new("mem", MEM_PHYS_LIMIT);
    m->roms = g_ptr_array_new_with_free_func(g_free);
    m->code_pages = g_malloc0(ram_size / MEM_PAGE_SIZE);
    return m;
}

void mem_free(MemMap *m)
{
    if (!m) {
        return;
    }
    bus_free(m->bus);
    munmap(m->ram, m->ram_size);
    g_ptr_array_free(m->roms, TRUE);
    g_free(m->code_pages);
    g_free(m);
}

uint64_t mem_ram_size(const MemMap *m)
{
    return m->ram_size;
}

uint8_t *mem_ram_base(MemMap *m)
{
    return m->ram;
}

Bus *mem_bus(MemMap *m)
{
    return m->bus;
}

bool mem_map_ram(MemMap *m, uint64_t base, uint64_t ram_off, uint64_t len,
                 GError **errp)
{
    if (ram_off > m->ram_size || len > m->ram_size - ram_off) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "RAM window [0x%" G_GINT64_MODIFIER
                    "x, +0x%" G_GINT64_MODIFIER "x) exceeds guest RAM",
                    ram_off, len);
        return false;
    }
    if (m->nwindows == MEM_MAX_RAM_WINDOWS) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID, "too many RAM windows");
        return false;
    }
    if (!bus_map_ram(m->bus, "ram", base, len, m->ram + ram_off, false, errp)) {
        return false;
    }
    m->windows[m->nwindows++] = (RamWindow){base, ram_off, len};
    return true;
}

bool mem_map_rom(MemMap *m, const char *name, uint64_t base,
                 const uint8_t *data, uint64_t len, GError **errp)
{
    uint8_t *copy = g_memdup2(data, len);
    if (!bus_map_ram(m->bus, name, base, len, copy, true, errp)) {
        g_free(copy);
        return false;
    }
    g_ptr_array_add(m->roms, copy);
    return true;
}

IoRegion *mem_map_mmio(MemMap *m, const char *name, uint64_t base, uint64_t len,
                       const IoRegionOps *ops, void *opaque, GError **errp)
{
    return bus_map(m->bus, name, base, len, ops, opaque, errp);
}

void mem_unmap_mmio(MemMap *m, IoRegion *r)
{
    g_assert(!r || !io_region_host(r));
    bus_unmap(m->bus, r);
}

bool mem_phys_to_ram(MemMap *m, uint64_t addr, uint64_t *ram_off,
                     uint64_t *ram_window_end)
{
    for (int i = 0; i < m->nwindows; i++) {
        const RamWindow *w = &m->windows[i];
        if (addr - w->base < w->len) {
            *ram_off = w->ram_off + (addr - w->base);
            if (ram_window_end) {
                *ram_window_end = w->base + w->len;
            }
            return true;
        }
    }
    return false;
}

uint32_t mem_read(MemMap *m, uint64_t addr, unsigned size)
{
    return bus_read(m->bus, addr, size);
}

void mem_write(MemMap *m, uint64_t addr, uint32_t val, unsigned size)
{
    uint64_t off;
    bus_write(m->bus, addr, val, size);
    if (mem_phys_to_ram(m, addr, &off, NULL)) {
        mem_ram_written(m, off, size);
    }
}

/* Resolve a DMA range to one contiguous stretch of RAM. */
static uint8_t *mem_dma_resolve(MemMap *m, uint64_t addr, size_t len,
                                const char *dir, uint64_t *ram_off_out)
{
    uint64_t off, end;

    if (len == 0) {
        *ram_off_out = 0;
        return m->ram;
    }
    if (addr > MEM_PHYS_LIMIT || len - 1 > MEM_PHYS_LIMIT - addr ||
        !mem_phys_to_ram(m, addr, &off, &end) || len > end - addr) {
        TRACE(TRACE_MEM,
              "DMA %s refused: [0x%" G_GINT64_MODIFIER "x, +0x%zx) not RAM",
              dir, addr, len);
        return NULL;
    }
    *ram_off_out = off;
    return m->ram + off;
}

bool mem_dma_read(MemMap *m, uint64_t addr, void *buf, size_t len)
{
    uint64_t off;
    uint8_t *p = mem_dma_resolve(m, addr, len, "read", &off);
    if (!p) {
        return false;
    }
    memcpy(buf, p, len);
    return true;
}

bool mem_dma_write(MemMap *m, uint64_t addr, const void *buf, size_t len)
{
    uint64_t off;
    uint8_t *p = mem_dma_resolve(m, addr, len, "write", &off);
    if (!p) {
        return false;
    }
    memcpy(p, buf, len);
    mem_ram_written(m, off, len);
    return true;
}

uint8_t *mem_dma_ptr(MemMap *m, uint64_t addr, size_t len, bool write)
{
    uint64_t off;
    uint8_t *p = mem_dma_resolve(m, addr, len, write ? "write" : "read", &off);
    if (p && write) {
        mem_ram_written(m, off, len);
    }
    return p;
}

bool mem_dma_read_le32(MemMap *m, uint64_t addr, uint32_t *val)
{
    uint8_t b[4];
    if (!mem_dma_read(m, addr, b, 4)) {
        return false;
    }
    *val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
    return true;
}

bool mem_dma_write_le32(MemMap *m, uint64_t addr, uint32_t val)
{
    uint8_t b[4] = {val & 0xFF, (val >> 8) & 0xFF, (val >> 16) & 0xFF,
                    val >> 24};
    return mem_dma_write(m, addr, b, 4);
}

void mem_set_code_write_hook(MemMap *m, CodeWriteFn fn, void *opaque)
{
    m->code_hook = fn;
    m->code_hook_opaque = opaque;
}

void mem_mark_code(MemMap *m, uint32_t ram_page)
{
    if ((uint64_t)ram_page < m->ram_size / MEM_PAGE_SIZE) {
        m->code_pages[ram_page] = 1;
    }
}

void mem_clear_code(MemMap *m, uint32_t ram_page)
{
    if ((uint64_t)ram_page < m->ram_size / MEM_PAGE_SIZE) {
        m->code_pages[ram_page] = 0;
    }
}

bool mem_page_has_code(const MemMap *m, uint32_t ram_page)
{
    return (uint64_t)ram_page < m->ram_size / MEM_PAGE_SIZE &&
           m->code_pages[ram_page];
}

void mem_ram_written(MemMap *m, uint64_t ram_off, uint64_t len)
{
    if (len == 0 || ram_off >= m->ram_size) {
        return;
    }
    uint64_t first = ram_off >> MEM_PAGE_BITS;
    uint64_t last = (ram_off + len - 1) >> MEM_PAGE_BITS;
    uint64_t npages = m->ram_size / MEM_PAGE_SIZE;
    if (last >= npages) {
        last = npages - 1;
    }
    for (uint64_t p = first; p <= last; p++) {
        if (m->code_pages[p]) {
            m->code_pages[p] = 0;
            if (m->code_hook) {
                m->code_hook(m->code_hook_opaque, (uint32_t)p);
            }
        }
    }
}
