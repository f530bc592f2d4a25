/*
 * tulipvm: the decoded-instruction cache.
 *
 * Decoded instructions are kept in a direct-mapped table indexed by the
 * RAM offset of their first byte (ICACHE_SIZE slots; the slots of one
 * page are contiguous, which the fall-through in exec.c relies on).  Each
 * RAM page with cached code is marked in the memory map and in code_map,
 * 32 bits of 128-byte chunks.  Stores to such a page take the medium
 * path (TLB tag_wc) into cpu_code_write(), which drops the instructions of
 * the chunks it touches (and of the chunk before, whose last instruction
 * may reach in); DMA reaches cpu_icache_invalidate() through the memory
 * map's code-write hook.  When a page has no cached code left its TLB
 * entries get their direct write permission back.
 *
 * Not cached: instructions crossing a page boundary and code fetched from
 * ROM or MMIO (decoded on each execution instead).
 */
#include "cpu_internal.h"

/* Switch the TLB's direct write permission for one RAM page. */
static void tlb_set_code(Cpu *c, uint32_t ram_page, bool code)
{
    uint32_t ram = ram_page << 12;
    TlbEntry *t[2] = {c->tlb_user, c->tlb_sup};
    for (int k = 0; k < 2; k++) {
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            TlbEntry *e = &t[k][i];
            if (e->ram == ram && e->tag_wc != TLB_INVALID) {
                e->tag_w = code ? TLB_INVALID : e->tag_wc;
            }
        }
    }
}

/* Record cached code in [off, off + len) of one RAM page. */
static void mark_code(Cpu *c, uint32_t off, unsigned len)
{
    uint32_t page = off >> 12;
    uint32_t first = (off & 0xFFF) >> 7, last = ((off & 0xFFF) + len - 1) >> 7;
    uint32_t bits = (uint32_t)(((2ull << last) - 1) & ~((1ull << first) - 1));
    if (!c->code_map[page]) {
        mem_mark_code(c->mem, page);
        tlb_set_code(c, page, true);
    }
    c->code_map[page] |= bits;
}

/* Drop cached instructions starting in the given chunks of a page. */
static void drop_chunks(Cpu *c, uint32_t page, uint32_t chunks)
{
    chunks &= c->code_map[page];
    while (chunks) {
        unsigned k = (unsigned)__builtin_ctz(chunks);
        chunks &= chunks - 1;
        uint32_t off = (page << 12) | (k << 7);
        DInsn *e = &c->icache[off & (ICACHE_SIZE - 1)];
        for (unsigned i = 0; i < 128; i++) {
            if ((uint32_t)e[i].key == off + i) {
                e[i].key = 0;
            }
        }
        c->code_map[page] &= ~(1u << k);
    }
    if (!c->code_map[page]) {
        mem_clear_code(c->mem, page);
        tlb_set_code(c, page, false);
    }
    c->icache_flushes++;
}

void cpu_icache_invalidate(Cpu *c, uint32_t ram_page)
{
    if (c->code_map[ram_page]) {
        drop_chunks(c, ram_page, 0xFFFFFFFFu);
    }
}

void cpu_code_write(Cpu *c, uint32_t ram_off, unsigned size)
{
    uint32_t page = ram_off >> 12;
    uint32_t m = c->code_map[page];
    if (!m) {
        return;
    }
    /* An instruction overlapping chunk k starts in chunk k or k - 1. */
    uint32_t s = (ram_off & 0xFFF) >> 7;
    uint32_t e = ((ram_off & 0xFFF) + size - 1) >> 7;
    uint32_t first = s ? s - 1 : 0;
    uint32_t bits = (uint32_t)(((2ull << e) - 1) & ~((1ull << first) - 1));
    if (m & bits) {
        drop_chunks(c, page, bits);
    }
}

static const DInsn *decode_into(Cpu *c, DInsn *e, uint32_t off, uint32_t lin)
{
    DInsn tmp;
    cpu_decode(c, &tmp);
    cpu_select_fast(&tmp);
    if ((lin & 0xFFF) + tmp.len <= 0x1000) {
        tmp.key = (uint64_t)(1 + c->code32) << 32 | off;
        *e = tmp;
        mark_code(c, off, tmp.len);
        return e;
    }
    c->scratch = tmp;
    c->scratch.key = 0; /* not in the cache: no fall-through */
    return &c->scratch;
}

/* Find (or decode and cache) the instruction at CS:EIP: the miss path. */
const DInsn *cpu_lookup_slow(Cpu *c, uint32_t lin)
{
    if ((lin & ~0xFFFu) != c->fetch_page) {
        cpu_fetch_window(c, c->eip);
    }
    if ((lin & ~0xFFFu) == c->fetch_page && c->fetch_ram != FETCH_NOT_RAM) {
        uint32_t off = c->fetch_ram | (lin & 0xFFF);
        DInsn *e = &c->icache[off & (ICACHE_SIZE - 1)];
        if (e->key == (c->fetch_key | (lin & 0xFFF))) {
            return e;
        }
        return decode_into(c, e, off, lin);
    }
    cpu_decode(c, &c->scratch);
    c->scratch.fast = FAST_NONE;
    c->scratch.key = 0;
    return &c->scratch;
}
