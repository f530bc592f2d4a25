/*
 * tulipvm: x86 memory management: segment checks, paging and the TLB.
 *
 * Two direct-mapped software TLBs (one for CPL 3, one for CPL 0-2, so a
 * privilege change needs no flush) map linear pages to host pointers for
 * RAM and ROM; the access fast path in cpu_internal.h is one compare.
 * Page walks implement non-PAE two-level paging with 4 MiB pages (PSE),
 * global pages (PGE), CR0.WP and the accessed/dirty bits.  A page is only
 * entered as writable once its dirty bit is set, so the first write to it
 * takes the slow path and updates the PTE.  MMIO pages are never entered:
 * each access walks and dispatches through the memory bus.
 *
 * Not modelled: PAE, PCD/PWT caching attributes, A20 masking (A20 is
 * always on), alignment checking (#AC).
 */
#include "cpu_internal.h"
#include "emu/log.h"

#define PTE_P  0x001u
#define PTE_W  0x002u
#define PTE_U  0x004u
#define PTE_A  0x020u
#define PTE_D  0x040u
#define PTE_PS 0x080u
#define PTE_G  0x100u

typedef struct Xlat {
    uint32_t phys;
    bool writable; /* for the privilege the walk was made for */
    bool global;
    bool dirty;
    bool large;
} Xlat;

/* Physical address to RAM offset, remembering the last RAM window seen
 * (page tables and most code live in one window). */
static bool phys_ram(Cpu *c, uint32_t addr, uint64_t *off, uint64_t *end)
{
    if (addr - c->win_lo < c->win_len) {
        *off = addr + c->win_delta;
        *end = (uint64_t)c->win_lo + c->win_len;
        return true;
    }
    if (!mem_phys_to_ram(c->mem, addr, off, end)) {
        return false;
    }
    c->win_lo = addr & ~0xFFFu;
    c->win_len = (uint32_t)(*end - c->win_lo);
    c->win_delta = *off - addr;
    return true;
}

static uint32_t phys_read32(Cpu *c, uint32_t addr)
{
    uint64_t off, end;
    if (phys_ram(c, addr, &off, &end) && off + 4 <= c->ram_size) {
        return ld_le(c->ram + off, 4);
    }
    return mem_read(c->mem, addr, 4);
}

static void phys_write32(Cpu *c, uint32_t addr, uint32_t val)
{
    uint64_t off, end;
    if (phys_ram(c, addr, &off, &end) && off + 4 <= c->ram_size) {
        st_le(c->ram + off, val, 4);
        return;
    }
    mem_write(c->mem, addr, val, 4);
}

static G_NORETURN void page_fault(Cpu *c, uint32_t lin, uint32_t err)
{
    c->cr2 = lin;
    TRACE(TRACE_CPU, "#PF lin 0x%08x err %u eip 0x%08x", lin, err, c->insn_eip);
    cpu_raise(c, CPU_EXC_PF, err);
}

/*
 * Walk the page tables.  With fault=false, returns false instead of raising
 * and makes no A/D updates (debugger translation).
 */
static bool walk(Cpu *c, uint32_t lin, bool write, bool user, bool fault,
                 Xlat *x)
{
    if (!c->paging) {
        x->phys = lin & ~0xFFFu;
        x->writable = true;
        x->global = false;
        x->dirty = true;
        x->large = false;
        return true;
    }
    uint32_t err = (write ? 2u : 0u) | (user ? 4u : 0u);
    uint32_t pde_addr = (c->cr3 & ~0xFFFu) | ((lin >> 22) << 2);
    uint32_t pde = phys_read32(c, pde_addr);
    if (!(pde & PTE_P)) {
        if (!fault) {
            return false;
        }
        page_fault(c, lin, err);
    }
    bool large = (pde & PTE_PS) && (c->cr4 & CPU_CR4_PSE);
    uint32_t pte_addr = 0, pte, perm;
    if (large) {
        pte = pde;
        perm = pde;
    } else {
        pte_addr = (pde & ~0xFFFu) | (((lin >> 12) & 0x3FF) << 2);
        pte = phys_read32(c, pte_addr);
        if (!(pte & PTE_P)) {
            if (!fault) {
                return false;
            }
            page_fault(c, lin, err);
        }
        perm = pde & pte;
    }
    bool w_ok;
    if (user) {
        if (!(perm & PTE_U)) {
            if (!fault) {
                return false;
            }
            page_fault(c, lin, err | 1);
        }
        w_ok = perm & PTE_W;
    } else {
        w_ok = (perm & PTE_W) || !(c->cr0 & CPU_CR0_WP);
    }
    if (write && !w_ok) {
        if (!fault) {
            return false;
        }
        page_fault(c, lin, err | 1);
    }
    if (fault) {
        if (large) {
            uint32_t n = pde | PTE_A | (write ? PTE_D : 0);
            if (n != pde) {
                phys_write32(c, pde_addr, n);
                pde = n;
                pte = n;
            }
        } else {
            if (!(pde & PTE_A)) {
                phys_write32(c, pde_addr, pde | PTE_A);
            }
            uint32_t n = pte | PTE_A | (write ? PTE_D : 0);
            if (n != pte) {
                phys_write32(c, pte_addr, n);
                pte = n;
            }
        }
    }
    x->phys = large ? (pde & 0xFFC00000u) | (lin & 0x3FF000u) : (pte & ~0xFFFu);
    x->writable = w_ok;
    x->global = (pte & PTE_G) && (c->cr4 & CPU_CR4_PGE);
    x->dirty = pte & PTE_D;
    x->large = large;
    return true;
}

bool cpu_translate(Cpu *c, uint32_t lin, uint32_t *phys)
{
    Xlat x;
    if (!walk(c, lin, false, false, false, &x)) {
        return false;
    }
    *phys = x.phys | (lin & 0xFFF);
    return true;
}

/* Host memory behind a physical page; NULL for MMIO and holes. */
static uint8_t *host_page(Cpu *c, uint32_t phys, bool *read_only)
{
    uint64_t off, end;
    if (phys_ram(c, phys, &off, &end) &&
        (uint64_t)phys + MEM_PAGE_SIZE <= end) {
        *read_only = false;
        return c->ram + off;
    }
    IoRegion *r = bus_find(mem_bus(c->mem), phys);
    if (r && io_region_host(r) &&
        (uint64_t)phys + MEM_PAGE_SIZE <=
            io_region_base(r) + io_region_len(r)) {
        *read_only = io_region_read_only(r);
        return io_region_host(r) + (phys - io_region_base(r));
    }
    return NULL;
}

/*
 * Translate one access within a page, filling the TLB for RAM/ROM.
 * Returns the host pointer to lin's page or NULL (then *phys is set).
 */
static uint8_t *xlat_fill(Cpu *c, uint32_t lin, bool write, uint32_t *phys)
{
    Xlat x;
    bool user = c->cpl == 3;
    walk(c, lin, write, user, true, &x);
    *phys = x.phys | (lin & 0xFFF);
    bool ro;
    uint8_t *host = host_page(c, x.phys, &ro);
    if (!host) {
        return NULL;
    }
    TlbEntry *e = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    uint32_t page = lin & ~0xFFFu;
    bool in_ram = host >= c->ram && host < c->ram + c->ram_size;
    bool code =
        in_ram && mem_page_has_code(c->mem, (uint32_t)((host - c->ram) >> 12));
    bool wr = x.writable && x.dirty && !ro;
    uint32_t tag = page | c->tlb_epoch;
    e->tag_r = tag;
    /* Pages with cached code are not written through the fast path: the
     * medium path (tag_wc) drops stale translations first. */
    e->tag_w = (wr && !code) ? tag : TLB_INVALID;
    e->tag_wc = wr ? tag : TLB_INVALID;
    e->ram = in_ram ? (uint32_t)(host - c->ram) : TLB_NONE;
    e->addend = (uintptr_t)host - page;
    e->phys = x.phys;
    e->global = x.global;
    if (x.large) {
        c->tlb_has_large = true;
    }
    if (x.global) {
        c->tlb_globals = true;
    }
    if (write && ro) {
        return NULL; /* ROM: the bus drops the write */
    }
    return host;
}

uint32_t cpu_lin_read_slow(Cpu *c, uint32_t lin, unsigned size)
{
    if ((lin & 0xFFF) > 0x1000 - size) {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            v |= lin_read(c, lin + i, 1) << (8 * i);
        }
        return v;
    }
    uint32_t phys;
    uint8_t *host = xlat_fill(c, lin, false, &phys);
    if (host) {
        return ld_le(host + (lin & 0xFFF), size);
    }
    cpu_sync_clock(c);
    uint32_t v = mem_read(c->mem, phys, size);
    cpu_after_io(c);
    return v;
}

void cpu_lin_write_slow(Cpu *c, uint32_t lin, uint32_t val, unsigned size)
{
    const TlbEntry *e = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_wc == ((lin & ~0xFFFu) | c->tlb_epoch) && e->ram != TLB_NONE &&
        (lin & 0xFFF) <= 0x1000 - size) {
        cpu_code_write(c, e->ram + (lin & 0xFFF), size);
        st_le((uint8_t *)(e->addend + lin), val, size);
        return;
    }
    if ((lin & 0xFFF) > 0x1000 - size) {
        cpu_lin_probe(c, lin, size, true);
        for (unsigned i = 0; i < size; i++) {
            lin_write(c, lin + i, (val >> (8 * i)) & 0xFF, 1);
        }
        return;
    }
    uint32_t phys;
    uint8_t *host = xlat_fill(c, lin, true, &phys);
    if (host) {
        if (host >= c->ram && host < c->ram + c->ram_size) {
            cpu_code_write(c, (uint32_t)(host - c->ram) + (lin & 0xFFF), size);
        }
        st_le(host + (lin & 0xFFF), val, size);
        return;
    }
    cpu_sync_clock(c);
    mem_write(c->mem, phys, val, size);
    cpu_after_io(c);
}

void cpu_lin_probe(Cpu *c, uint32_t lin, unsigned len, bool write)
{
    uint32_t phys;
    uint32_t last = lin + len - 1;
    xlat_fill(c, lin, write, &phys);
    if ((last ^ lin) & ~0xFFFu) {
        xlat_fill(c, last, write, &phys);
    }
}

uint8_t *cpu_lin_ptr(Cpu *c, uint32_t lin, bool write)
{
    const TlbEntry *e = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    uint32_t page = (lin & ~0xFFFu) | c->tlb_epoch;
    if ((write ? e->tag_w : e->tag_r) == page) {
        return (uint8_t *)(e->addend + lin);
    }
    uint32_t phys;
    uint8_t *host = xlat_fill(c, lin, write, &phys);
    if (!host || (write && e->tag_w != page)) {
        return NULL;
    }
    return host + (lin & 0xFFF);
}

/* Translate the code page holding CS:eip and make it the fetch window when
 * it is RAM/ROM lying wholly inside CS.  Returns the host page or NULL. */
static uint8_t *fetch_page_setup(Cpu *c, uint32_t eip, uint32_t *phys)
{
    const CpuSegment *cs = &c->seg[CPU_CS];
    if (eip > cs->limit) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    uint32_t lin = cs->base + eip;
    const TlbEntry *e = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    uint8_t *host;
    if (e->tag_r == ((lin & ~0xFFFu) | c->tlb_epoch)) {
        host = (uint8_t *)(e->addend + (lin & ~0xFFFu));
        *phys = e->phys | (lin & 0xFFF);
    } else {
        host = xlat_fill(c, lin, false, phys);
    }
    if (!host) {
        return NULL;
    }
    uint32_t page_off = (lin & ~0xFFFu) - cs->base;
    if (page_off <= cs->limit && cs->limit - page_off >= 0xFFF &&
        page_off + 0xFFFu >= page_off) {
        c->fetch_page = lin & ~0xFFFu;
        c->fetch_host = host;
        c->fetch_ram = (host >= c->ram && host < c->ram + c->ram_size)
                           ? (uint32_t)(host - c->ram)
                           : FETCH_NOT_RAM;
        c->fetch_key = (uint64_t)(1 + c->code32) << 32 | c->fetch_ram;
    }
    return host;
}

void cpu_fetch_window(Cpu *c, uint32_t eip)
{
    uint32_t phys;
    fetch_page_setup(c, eip, &phys);
}

uint8_t cpu_fetch_slow(Cpu *c)
{
    uint32_t eip = c->next_eip;
    uint32_t phys;
    uint8_t *host = fetch_page_setup(c, eip, &phys);
    c->next_eip = eip + 1;
    if (!host) {
        cpu_sync_clock(c);
        uint8_t v = (uint8_t)mem_read(c->mem, phys, 1);
        cpu_after_io(c);
        return v;
    }
    return host[phys & 0xFFF];
}

static void tlb_clear(Cpu *c)
{
    memset(c->tlb_user, 0, sizeof(c->tlb_user));
    memset(c->tlb_sup, 0, sizeof(c->tlb_sup));
    c->tlb_epoch = 1;
    c->tlb_has_large = false;
    c->tlb_globals = false;
}

void cpu_tlb_flush(Cpu *c, bool keep_global)
{
    c->fetch_page = TLB_NONE;
    if (c->tlb_epoch >= TLB_EPOCH_MAX) {
        /* out of epochs: one real clear (globals are refilled on use) */
        tlb_clear(c);
        return;
    }
    uint32_t old = c->tlb_epoch++;
    if (!keep_global || !c->tlb_globals) {
        if (!keep_global) {
            c->tlb_has_large = false;
            c->tlb_globals = false;
        }
        return;
    }
    /* Global entries survive: move them to the new epoch. */
    TlbEntry *t[2] = {c->tlb_user, c->tlb_sup};
    for (int k = 0; k < 2; k++) {
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            TlbEntry *e = &t[k][i];
            if (e->global && (e->tag_r & 0xFFF) == old) {
                e->tag_r = (e->tag_r & ~0xFFFu) | c->tlb_epoch;
                if (e->tag_w != TLB_INVALID) {
                    e->tag_w = (e->tag_w & ~0xFFFu) | c->tlb_epoch;
                }
                if (e->tag_wc != TLB_INVALID) {
                    e->tag_wc = (e->tag_wc & ~0xFFFu) | c->tlb_epoch;
                }
            }
        }
    }
}

void cpu_tlb_flush_page(Cpu *c, uint32_t lin)
{
    uint32_t page = lin & ~0xFFFu;
    unsigned i = (lin >> 12) & (TLB_SIZE - 1);
    TlbEntry *t[2] = {c->tlb_user, c->tlb_sup};
    for (int k = 0; k < 2; k++) {
        if ((t[k][i].tag_r & ~0xFFFu) == page) {
            t[k][i].tag_r = t[k][i].tag_w = t[k][i].tag_wc = TLB_INVALID;
            t[k][i].global = false;
        }
    }
    if (c->tlb_has_large) {
        /* A 4 MiB translation is cached as 4 KiB pieces: drop them all. */
        uint32_t big = lin & 0xFFC00000u;
        for (int k = 0; k < 2; k++) {
            for (unsigned j = 0; j < TLB_SIZE; j++) {
                if (t[k][j].tag_r != TLB_INVALID &&
                    (t[k][j].tag_r & 0xFFC00000u) == big) {
                    t[k][j].tag_r = t[k][j].tag_w = TLB_INVALID;
                    t[k][j].tag_wc = TLB_INVALID;
                    t[k][j].global = false;
                }
            }
        }
    }
    c->fetch_page = TLB_NONE;
}

uint32_t cpu_sys_read(Cpu *c, uint32_t lin, unsigned size)
{
    Xlat x;
    bool ro;
    if ((lin & 0xFFF) <= 0x1000 - size) {
        walk(c, lin, false, false, true, &x);
        uint8_t *h = host_page(c, x.phys, &ro);
        return h ? ld_le(h + (lin & 0xFFF), size)
                 : mem_read(c->mem, x.phys | (lin & 0xFFF), size);
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint32_t a = lin + i;
        walk(c, a, false, false, true, &x);
        uint8_t *h = host_page(c, x.phys, &ro);
        uint32_t b =
            h ? h[a & 0xFFF] : mem_read(c->mem, x.phys | (a & 0xFFF), 1);
        v |= b << (8 * i);
    }
    return v;
}

void cpu_sys_write(Cpu *c, uint32_t lin, uint32_t val, unsigned size)
{
    Xlat x;
    bool ro;
    if ((lin & 0xFFF) <= 0x1000 - size) {
        walk(c, lin, true, false, true, &x);
        uint8_t *h = host_page(c, x.phys, &ro);
        if (h && !ro && h >= c->ram && h < c->ram + c->ram_size) {
            cpu_code_write(c, (uint32_t)(h - c->ram) + (lin & 0xFFF), size);
            st_le(h + (lin & 0xFFF), val, size);
        } else {
            mem_write(c->mem, x.phys | (lin & 0xFFF), val, size);
        }
        return;
    }
    /* across pages: both translations first, then the bytes */
    walk(c, lin, true, false, true, &x);
    walk(c, lin + size - 1, true, false, true, &x);
    for (unsigned i = 0; i < size; i++) {
        uint32_t a = lin + i;
        walk(c, a, true, false, true, &x);
        mem_write(c->mem, x.phys | (a & 0xFFF), (val >> (8 * i)) & 0xFF, 1);
    }
}

uint32_t cpu_seg_check_slow(Cpu *c, int s, uint32_t off, unsigned size,
                            bool write)
{
    const CpuSegment *sg = &c->seg[s];
    int vec = s == CPU_SS ? CPU_EXC_SS : CPU_EXC_GP;
    uint32_t last = off + size - 1;
    if (!c->pe) {
        if (off > sg->limit || last > sg->limit || last < off) {
            cpu_raise(c, vec, 0);
        }
        return sg->base + off;
    }
    uint32_t f = sg->flags;
    if (!(f & SEG_P) || !(f & SEG_S)) {
        cpu_raise(c, vec, 0); /* null or unusable selector */
    }
    if (f & SEG_CODE) {
        if (write || !(f & SEG_RW)) {
            cpu_raise(c, vec, 0);
        }
    } else if (write && !(f & SEG_RW)) {
        cpu_raise(c, vec, 0);
    }
    if (!(f & SEG_CODE) && (f & SEG_DC)) {
        uint32_t upper = (f & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        if (off <= sg->limit || last > upper || last < off) {
            cpu_raise(c, vec, 0);
        }
    } else if (off > sg->limit || last > sg->limit || last < off) {
        cpu_raise(c, vec, 0);
    }
    return sg->base + off;
}
