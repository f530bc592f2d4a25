/*
 * tulipvm: x86 system behaviour: descriptors, segment loads, exceptions
 * and interrupts, privilege transitions, control registers, CPUID, MSRs.
 *
 * Exceptions and interrupts go through the IDT (interrupt and trap gates,
 * 16- and 32-bit) or, in real mode, the IVT.  A ring 3 -> ring 0 transfer
 * takes SS0:ESP0 from the 32-bit TSS.  Nested faults during delivery
 * follow the double-fault table; a fault while delivering #DF shuts the
 * CPU down (cpu_run returns CPU_STOP_RESET).
 *
 * Not modelled: task gates and hardware task switches (logged, then
 * shutdown), call gates (#GP, logged), virtual-8086 mode, 16-bit TSS
 * stacks, I/O permission bitmaps.
 */
#include "cpu_internal.h"
#include "emu/log.h"

static bool has_error_code(int vec)
{
    return vec == CPU_EXC_DF || (vec >= CPU_EXC_TS && vec <= CPU_EXC_PF) ||
           vec == CPU_EXC_AC;
}

void cpu_raise(Cpu *c, int vec, uint32_t err)
{
    c->pending_vec = vec;
    c->pending_err = err;
    c->pending_has_err = has_error_code(vec);
    longjmp(c->jmp, 1);
}

void cpu_raise_noerr(Cpu *c, int vec)
{
    cpu_raise(c, vec, 0);
}

void cpu_set_cpl(Cpu *c, unsigned cpl)
{
    c->cpl = cpl;
    c->tlb = cpl == 3 ? c->tlb_user : c->tlb_sup;
    c->fetch_page = TLB_NONE;
}

void cpu_seg_update(Cpu *c, int s)
{
    CpuSegment *sg = &c->seg[s];
    uint32_t f = sg->flags;
    uint8_t ok;
    if (!c->pe) {
        ok = 3;
    } else if (!(f & SEG_P) || !(f & SEG_S)) {
        ok = 0;
    } else if (f & SEG_CODE) {
        ok = (f & SEG_RW) ? 1 : 0;
    } else if (f & SEG_DC) {
        ok = 0; /* expand-down: slow path */
    } else {
        ok = (f & SEG_RW) ? 3 : 1;
    }
    c->seg_ok[s] = ok;
    if (s == CPU_CS) {
        c->code32 = f & SEG_DB;
        c->fetch_page = TLB_NONE;
    } else if (s == CPU_SS) {
        c->stack32 = f & SEG_DB;
    }
}

void cpu_seg_real(Cpu *c, int s, uint16_t sel)
{
    c->seg[s].sel = sel;
    c->seg[s].base = (uint32_t)sel << 4;
    cpu_seg_update(c, s);
}

static void desc_to_seg(CpuSegment *sg, uint16_t sel, uint32_t lo, uint32_t hi)
{
    sg->sel = sel;
    sg->base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u);
    uint32_t limit = (lo & 0xFFFF) | (hi & 0xF0000);
    if (hi & SEG_G) {
        limit = (limit << 12) | 0xFFF;
    }
    sg->limit = limit;
    sg->flags = hi & 0x00F0FF00u;
}

bool cpu_load_desc(Cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    uint32_t base, limit;
    if (sel & 4) {
        if (!(c->ldtr.flags & SEG_P)) {
            return false;
        }
        base = c->ldtr.base;
        limit = c->ldtr.limit;
    } else {
        base = c->gdt_base;
        limit = c->gdt_limit;
    }
    uint32_t idx = sel & ~7u;
    if (idx + 7 > limit) {
        return false;
    }
    *lo = cpu_sys_read(c, base + idx, 4);
    *hi = cpu_sys_read(c, base + idx + 4, 4);
    return true;
}

static uint32_t desc_addr(Cpu *c, uint16_t sel)
{
    return ((sel & 4) ? c->ldtr.base : c->gdt_base) + (sel & ~7u);
}

static void set_accessed(Cpu *c, uint16_t sel, uint32_t *hi)
{
    if (!(*hi & SEG_ACCESSED)) {
        *hi |= SEG_ACCESSED;
        cpu_sys_write(c, desc_addr(c, sel) + 5, (*hi >> 8) & 0xFF, 1);
    }
}

void cpu_load_seg(Cpu *c, int s, uint16_t sel)
{
    if (!c->pe) {
        cpu_seg_real(c, s, sel);
        return;
    }
    uint32_t lo, hi;
    unsigned rpl = sel & 3;
    if ((sel & ~3u) == 0) {
        if (s == CPU_SS) {
            cpu_raise(c, CPU_EXC_GP, 0);
        }
        c->seg[s].sel = sel;
        c->seg[s].base = 0;
        c->seg[s].limit = 0;
        c->seg[s].flags = 0;
        cpu_seg_update(c, s);
        return;
    }
    if (!cpu_load_desc(c, sel, &lo, &hi)) {
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
    unsigned dpl = seg_dpl(hi);
    if (s == CPU_SS) {
        if (rpl != c->cpl || dpl != c->cpl || !(hi & SEG_S) ||
            (hi & SEG_CODE) || !(hi & SEG_RW)) {
            cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
        }
        if (!(hi & SEG_P)) {
            cpu_raise(c, CPU_EXC_SS, sel & 0xFFFC);
        }
    } else {
        if (!(hi & SEG_S) || ((hi & SEG_CODE) && !(hi & SEG_RW))) {
            cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
        }
        bool conforming_code = (hi & SEG_CODE) && (hi & SEG_DC);
        if (!conforming_code && (dpl < c->cpl || dpl < rpl)) {
            cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
        }
        if (!(hi & SEG_P)) {
            cpu_raise(c, CPU_EXC_NP, sel & 0xFFFC);
        }
    }
    set_accessed(c, sel, &hi);
    desc_to_seg(&c->seg[s], sel, lo, hi);
    cpu_seg_update(c, s);
}

/* Check a code segment target for JMP/CALL/RET/IRET/interrupts. */
static void check_code_desc(Cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    if ((sel & ~3u) == 0) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    if (!cpu_load_desc(c, sel, lo, hi)) {
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
    if (!(*hi & SEG_S) || !(*hi & SEG_CODE)) {
        if (!(*hi & SEG_S)) {
            emu_log(LOG_UNIMP,
                    "cpu: far transfer through system descriptor 0x%04x "
                    "(type %u) not modelled",
                    sel, (*hi >> 8) & 0xF);
        }
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
}

static void load_cs(Cpu *c, uint16_t sel, uint32_t lo, uint32_t hi,
                    unsigned cpl)
{
    set_accessed(c, sel, &hi);
    desc_to_seg(&c->seg[CPU_CS], (sel & ~3u) | cpl, lo, hi);
    cpu_set_cpl(c, cpl);
    cpu_seg_update(c, CPU_CS);
}

/* The protected-mode checks of a far JMP or CALL straight to a code
 * segment (same privilege level): type, privilege, presence, limit. */
static void check_far_target(Cpu *c, uint16_t sel, uint32_t off, uint32_t *lo,
                             uint32_t *hi)
{
    check_code_desc(c, sel, lo, hi);
    unsigned dpl = seg_dpl(*hi), rpl = sel & 3;
    if (*hi & SEG_DC) {
        if (dpl > c->cpl) {
            cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
        }
    } else if (rpl > c->cpl || dpl != c->cpl) {
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
    if (!(*hi & SEG_P)) {
        cpu_raise(c, CPU_EXC_NP, sel & 0xFFFC);
    }
    CpuSegment tmp;
    desc_to_seg(&tmp, sel, *lo, *hi);
    if (off > tmp.limit) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
}

void cpu_far_jump(Cpu *c, uint16_t sel, uint32_t off, bool op32)
{
    if (!op32) {
        off &= 0xFFFF;
    }
    if (!c->pe) {
        cpu_seg_real(c, CPU_CS, sel);
        c->next_eip = off;
        return;
    }
    uint32_t lo, hi;
    check_far_target(c, sel, off, &lo, &hi);
    load_cs(c, sel, lo, hi, c->cpl);
    c->next_eip = off;
}

void cpu_far_call(Cpu *c, uint16_t sel, uint32_t off, bool op32)
{
    unsigned sz = op32 ? 4 : 2;
    uint32_t sp = sp_get(c);
    uint32_t m = c->stack32 ? 0xFFFFFFFFu : 0xFFFFu;
    uint16_t old_cs = c->seg[CPU_CS].sel;
    uint32_t ret = c->next_eip;
    if (!op32) {
        off &= 0xFFFF;
    }
    if (!c->pe) {
        mem_wr(c, CPU_SS, (sp - sz) & m, old_cs, sz);
        mem_wr(c, CPU_SS, (sp - 2 * sz) & m, ret, sz);
        sp_set(c, sp - 2 * sz);
        cpu_seg_real(c, CPU_CS, sel);
        c->next_eip = off;
        return;
    }
    uint32_t lo, hi;
    check_far_target(c, sel, off, &lo, &hi);
    mem_wr(c, CPU_SS, (sp - sz) & m, old_cs, sz);
    mem_wr(c, CPU_SS, (sp - 2 * sz) & m, ret, sz);
    sp_set(c, sp - 2 * sz);
    load_cs(c, sel, lo, hi, c->cpl);
    c->next_eip = off;
}

/* After a return to an outer ring, data segments the new CPL may not use
 * become null. */
static void invalidate_segs(Cpu *c)
{
    static const int segs[4] = {CPU_ES, CPU_DS, CPU_FS, CPU_GS};
    for (int i = 0; i < 4; i++) {
        CpuSegment *sg = &c->seg[segs[i]];
        uint32_t f = sg->flags;
        bool conf_code = (f & SEG_CODE) && (f & SEG_DC);
        if ((f & SEG_S) && !conf_code && seg_dpl(f) < c->cpl) {
            sg->sel = 0;
            sg->flags = 0;
            cpu_seg_update(c, segs[i]);
        }
    }
}

/* Validate and load SS:ESP for a return to an outer ring. */
static void check_ss_desc(Cpu *c, uint16_t sel, unsigned rpl, uint32_t *lo,
                          uint32_t *hi)
{
    if ((sel & ~3u) == 0) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    if (!cpu_load_desc(c, sel, lo, hi)) {
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
    if ((sel & 3) != rpl || seg_dpl(*hi) != rpl || !(*hi & SEG_S) ||
        (*hi & SEG_CODE) || !(*hi & SEG_RW)) {
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
    if (!(*hi & SEG_P)) {
        cpu_raise(c, CPU_EXC_SS, sel & 0xFFFC);
    }
}

static void check_ret_cs(Cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    unsigned rpl = sel & 3;
    check_code_desc(c, sel, lo, hi);
    if (rpl < c->cpl) {
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
    unsigned dpl = seg_dpl(*hi);
    if ((*hi & SEG_DC) ? dpl > rpl : dpl != rpl) {
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
    if (!(*hi & SEG_P)) {
        cpu_raise(c, CPU_EXC_NP, sel & 0xFFFC);
    }
}

void cpu_far_ret(Cpu *c, bool op32, uint16_t extra)
{
    unsigned sz = op32 ? 4 : 2;
    uint32_t m = c->stack32 ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t sp = sp_get(c);
    uint32_t eip = mem_rd(c, CPU_SS, sp & m, sz);
    uint16_t sel = mem_rd(c, CPU_SS, (sp + sz) & m, 2);
    if (!c->pe) {
        cpu_seg_real(c, CPU_CS, sel);
        c->next_eip = eip;
        sp_set(c, sp + 2 * sz + extra);
        return;
    }
    uint32_t lo, hi;
    check_ret_cs(c, sel, &lo, &hi);
    unsigned rpl = sel & 3;
    if (rpl == c->cpl) {
        load_cs(c, sel, lo, hi, rpl);
        c->next_eip = eip;
        sp_set(c, sp + 2 * sz + extra);
        return;
    }
    uint32_t nsp = sp + 2 * sz + extra;
    uint32_t new_esp = mem_rd(c, CPU_SS, nsp & m, sz);
    uint16_t ss_sel = mem_rd(c, CPU_SS, (nsp + sz) & m, 2);
    uint32_t slo, shi;
    check_ss_desc(c, ss_sel, rpl, &slo, &shi);
    load_cs(c, sel, lo, hi, rpl);
    set_accessed(c, ss_sel, &shi);
    desc_to_seg(&c->seg[CPU_SS], ss_sel, slo, shi);
    cpu_seg_update(c, CPU_SS);
    sp_set(c, new_esp + extra);
    c->next_eip = eip;
    invalidate_segs(c);
}

void cpu_iret(Cpu *c, bool op32)
{
    unsigned sz = op32 ? 4 : 2;
    uint32_t m = c->stack32 ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t sp = sp_get(c);
    uint32_t eip = mem_rd(c, CPU_SS, sp & m, sz);
    uint16_t sel = mem_rd(c, CPU_SS, (sp + sz) & m, 2);
    uint32_t fl = mem_rd(c, CPU_SS, (sp + 2 * sz) & m, sz);
    uint32_t mask;

    if (!c->pe) {
        mask = op32 ? 0x257FD5u : 0x7FD5u;
        cpu_seg_real(c, CPU_CS, sel);
        c->next_eip = eip;
        sp_set(c, sp + 3 * sz);
        cpu_write_eflags(c, fl, mask);
        return;
    }
    if (c->eflags & CPU_FLAG_NT) {
        emu_log(LOG_UNIMP, "cpu: IRET with NT (task return) not modelled");
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    if (op32 && (fl & CPU_FLAG_VM) && c->cpl == 0) {
        emu_log(LOG_UNIMP, "cpu: IRET to virtual-8086 mode not modelled");
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    uint32_t lo, hi;
    check_ret_cs(c, sel, &lo, &hi);
    unsigned rpl = sel & 3;
    /* Flags the old privilege level may change. */
    mask = CPU_FLAG_CF | CPU_FLAG_PF | CPU_FLAG_AF | CPU_FLAG_ZF | CPU_FLAG_SF |
           CPU_FLAG_TF | CPU_FLAG_DF | CPU_FLAG_OF | CPU_FLAG_NT | CPU_FLAG_AC |
           CPU_FLAG_ID;
    if (c->cpl <= cpu_iopl(c)) {
        mask |= CPU_FLAG_IF;
    }
    if (c->cpl == 0) {
        mask |= CPU_FLAG_IOPL;
    }
    if (!op32) {
        mask &= 0xFFFF;
    }
    if (rpl == c->cpl) {
        CpuSegment tmp;
        desc_to_seg(&tmp, sel, lo, hi);
        if (eip > tmp.limit) {
            cpu_raise(c, CPU_EXC_GP, 0);
        }
        load_cs(c, sel, lo, hi, rpl);
        c->next_eip = eip;
        sp_set(c, sp + 3 * sz);
        cpu_write_eflags(c, fl, mask);
        return;
    }
    uint32_t new_esp = mem_rd(c, CPU_SS, (sp + 3 * sz) & m, sz);
    uint16_t ss_sel = mem_rd(c, CPU_SS, (sp + 4 * sz) & m, 2);
    uint32_t slo, shi;
    check_ss_desc(c, ss_sel, rpl, &slo, &shi);
    CpuSegment tmp;
    desc_to_seg(&tmp, sel, lo, hi);
    if (eip > tmp.limit) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    cpu_write_eflags(c, fl, mask);
    load_cs(c, sel, lo, hi, rpl);
    set_accessed(c, ss_sel, &shi);
    desc_to_seg(&c->seg[CPU_SS], ss_sel, slo, shi);
    cpu_seg_update(c, CPU_SS);
    if (op32 && c->stack32) {
        c->g.r[CPU_ESP] = new_esp;
    } else {
        sp_set(c, new_esp);
    }
    c->next_eip = eip;
    invalidate_segs(c);
}

static void deliver_real(Cpu *c, int vec, uint32_t ret_eip)
{
    if ((uint32_t)vec * 4 + 3 > c->idt_limit) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    uint32_t ent = cpu_sys_read(c, c->idt_base + vec * 4, 4);
    uint32_t sp = sp_get(c);
    uint32_t m = c->stack32 ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t fl = cpu_read_eflags(c);
    mem_wr(c, CPU_SS, (sp - 2) & m, fl, 2);
    mem_wr(c, CPU_SS, (sp - 4) & m, c->seg[CPU_CS].sel, 2);
    mem_wr(c, CPU_SS, (sp - 6) & m, ret_eip, 2);
    sp_set(c, sp - 6);
    c->eflags &= ~(CPU_FLAG_IF | CPU_FLAG_TF | CPU_FLAG_AC);
    cpu_seg_real(c, CPU_CS, ent >> 16);
    c->eip = ent & 0xFFFF;
}

void cpu_deliver(Cpu *c, int vec, bool has_err, uint32_t err, bool soft,
                 uint32_t ret_eip)
{
    if (!c->pe) {
        deliver_real(c, vec, ret_eip);
        return;
    }
    uint32_t ext = soft ? 0 : 1;
    uint32_t idt_err = (uint32_t)vec * 8 + 2 + ext;
    if ((uint32_t)vec * 8 + 7 > c->idt_limit) {
        cpu_raise(c, CPU_EXC_GP, idt_err);
    }
    uint32_t glo = cpu_sys_read(c, c->idt_base + vec * 8, 4);
    uint32_t ghi = cpu_sys_read(c, c->idt_base + vec * 8 + 4, 4);
    unsigned type = (ghi >> 8) & 0x1F;
    if (type == 0x05) {
        emu_log(LOG_UNIMP, "cpu: task gate for vector %d not modelled", vec);
        c->shutdown = true;
        cpu_raise(c, CPU_EXC_DF, 0);
    }
    if (type != 0x0E && type != 0x0F && type != 0x06 && type != 0x07) {
        cpu_raise(c, CPU_EXC_GP, idt_err);
    }
    if (soft && seg_dpl(ghi) < c->cpl) {
        cpu_raise(c, CPU_EXC_GP, idt_err);
    }
    if (!(ghi & SEG_P)) {
        cpu_raise(c, CPU_EXC_NP, idt_err);
    }
    bool gate32 = type & 8;
    uint16_t sel = glo >> 16;
    uint32_t off = (glo & 0xFFFF) | (gate32 ? (ghi & 0xFFFF0000u) : 0);
    uint32_t lo, hi;
    if ((sel & ~3u) == 0) {
        cpu_raise(c, CPU_EXC_GP, ext);
    }
    if (!cpu_load_desc(c, sel, &lo, &hi)) {
        cpu_raise(c, CPU_EXC_GP, (sel & 0xFFFC) + ext);
    }
    unsigned dpl = seg_dpl(hi);
    if (!(hi & SEG_S) || !(hi & SEG_CODE) || dpl > c->cpl) {
        cpu_raise(c, CPU_EXC_GP, (sel & 0xFFFC) + ext);
    }
    if (!(hi & SEG_P)) {
        cpu_raise(c, CPU_EXC_NP, (sel & 0xFFFC) + ext);
    }
    unsigned sz = gate32 ? 4 : 2;
    uint32_t fl = cpu_read_eflags(c);
    uint32_t vals[6];
    unsigned n = 0;
    bool inner = !(hi & SEG_DC) && dpl < c->cpl;
    unsigned new_cpl = (hi & SEG_DC) ? c->cpl : dpl;
    CpuSegment new_ss = c->seg[CPU_SS];
    uint32_t esp;
    if (inner) {
        /* Fetch SS:ESP for the handler's ring from the 32-bit TSS. */
        uint32_t tss_off = 4 + dpl * 8;
        if (!(c->tr.flags & SEG_P) || tss_off + 5 > c->tr.limit) {
            cpu_raise(c, CPU_EXC_TS, (c->tr.sel & 0xFFFC) + ext);
        }
        esp = cpu_sys_read(c, c->tr.base + tss_off, 4);
        uint16_t ss_sel = cpu_sys_read(c, c->tr.base + tss_off + 4, 2);
        uint32_t slo, shi;
        if ((ss_sel & ~3u) == 0 || !cpu_load_desc(c, ss_sel, &slo, &shi) ||
            (ss_sel & 3) != dpl || seg_dpl(shi) != dpl || !(shi & SEG_S) ||
            (shi & SEG_CODE) || !(shi & SEG_RW)) {
            cpu_raise(c, CPU_EXC_TS, (ss_sel & 0xFFFC) + ext);
        }
        if (!(shi & SEG_P)) {
            cpu_raise(c, CPU_EXC_SS, (ss_sel & 0xFFFC) + ext);
        }
        set_accessed(c, ss_sel, &shi);
        desc_to_seg(&new_ss, ss_sel, slo, shi);
        vals[n++] = c->seg[CPU_SS].sel;
        vals[n++] = c->g.r[CPU_ESP];
    } else {
        esp = c->g.r[CPU_ESP];
    }
    vals[n++] = fl;
    vals[n++] = c->seg[CPU_CS].sel;
    vals[n++] = ret_eip;
    if (has_err) {
        vals[n++] = err;
    }
    bool s32 = new_ss.flags & SEG_DB;
    uint32_t m = s32 ? 0xFFFFFFFFu : 0xFFFFu;
    /* Check the whole frame against the stack limit, then write it. */
    uint32_t top = (esp - n * sz) & m;
    bool expand_down = !(new_ss.flags & SEG_CODE) && (new_ss.flags & SEG_DC);
    bool fits = expand_down
                    ? top > new_ss.limit
                    : (esp & m) - 1 <= new_ss.limit && top <= new_ss.limit;
    if (!fits && (esp & m) != 0) {
        cpu_raise(c, CPU_EXC_SS, inner ? (new_ss.sel & 0xFFFC) + ext : 0);
    }
    for (unsigned i = 0; i < n; i++) {
        uint32_t a = new_ss.base + ((esp - (i + 1) * sz) & m);
        cpu_sys_write(c, a, vals[i], sz);
    }
    /* Commit. */
    if (inner) {
        c->seg[CPU_SS] = new_ss;
    }
    load_cs(c, sel, lo, hi, new_cpl);
    cpu_seg_update(c, CPU_SS);
    if (s32) {
        c->g.r[CPU_ESP] = top;
    } else {
        c->g.r16[CPU_ESP * 2] = top;
    }
    c->eflags &= ~(CPU_FLAG_TF | CPU_FLAG_NT | CPU_FLAG_RF | CPU_FLAG_VM);
    if (!(type & 1)) {
        c->eflags &= ~CPU_FLAG_IF;
    }
    if (inner) {
        invalidate_segs(c);
    }
    c->eip = off;
}

void cpu_write_cr(Cpu *c, int n, uint32_t val)
{
    switch (n) {
    case 0: {
        uint32_t valid = CPU_CR0_PE | CPU_CR0_MP | CPU_CR0_EM | CPU_CR0_TS |
                         CPU_CR0_NE | CPU_CR0_WP | CPU_CR0_AM | 0x60000000u |
                         CPU_CR0_PG;
        val = (val & valid) | CPU_CR0_ET;
        if ((val & CPU_CR0_PG) && !(val & CPU_CR0_PE)) {
            cpu_raise(c, CPU_EXC_GP, 0);
        }
        uint32_t changed = c->cr0 ^ val;
        c->cr0 = val;
        c->pe = val & CPU_CR0_PE;
        c->paging = val & CPU_CR0_PG;
        if (changed & (CPU_CR0_PE | CPU_CR0_PG | CPU_CR0_WP)) {
            cpu_tlb_flush(c, false);
            TRACE(TRACE_CPU, "cr0 0x%08x (pe %d pg %d)", val, c->pe, c->paging);
        }
        if (changed & CPU_CR0_PE) {
            if (!c->pe) {
                cpu_set_cpl(c, 0);
            }
            for (int s = 0; s < 6; s++) {
                cpu_seg_update(c, s);
            }
        }
        break;
    }
    case 2:
        c->cr2 = val;
        break;
    case 3:
        c->cr3 = val & 0xFFFFF018u;
        cpu_tlb_flush(c, true);
        break;
    case 4: {
        /* TSD, DE, PSE, PGE (+ tolerated MCE) are accepted. */
        uint32_t valid = 0x04u | 0x08u | CPU_CR4_PSE | 0x40u | CPU_CR4_PGE;
        if (val & ~valid) {
            cpu_raise(c, CPU_EXC_GP, 0);
        }
        if ((c->cr4 ^ val) & (CPU_CR4_PSE | CPU_CR4_PGE)) {
            cpu_tlb_flush(c, false);
        }
        c->cr4 = val;
        break;
    }
    default:
        cpu_raise_noerr(c, CPU_EXC_UD);
    }
}

uint32_t cpu_read_cr(Cpu *c, int n)
{
    switch (n) {
    case 0:
        return c->cr0;
    case 2:
        return c->cr2;
    case 3:
        return c->cr3;
    case 4:
        return c->cr4;
    default:
        cpu_raise_noerr(c, CPU_EXC_UD);
    }
}

void cpu_lldt(Cpu *c, uint16_t sel)
{
    uint32_t lo, hi;
    if ((sel & ~3u) == 0) {
        c->ldtr.sel = sel;
        c->ldtr.base = 0;
        c->ldtr.limit = 0;
        c->ldtr.flags = 0;
        return;
    }
    if ((sel & 4) || !cpu_load_desc(c, sel, &lo, &hi) || (hi & SEG_S) ||
        ((hi >> 8) & 0xF) != 2) {
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
    if (!(hi & SEG_P)) {
        cpu_raise(c, CPU_EXC_NP, sel & 0xFFFC);
    }
    desc_to_seg(&c->ldtr, sel, lo, hi);
}

void cpu_ltr(Cpu *c, uint16_t sel)
{
    uint32_t lo, hi;
    if ((sel & ~3u) == 0) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    unsigned type = 0;
    if (!(sel & 4) && cpu_load_desc(c, sel, &lo, &hi)) {
        type = (hi >> 8) & 0x1F;
    }
    if (type != 0x01 && type != 0x09) {
        cpu_raise(c, CPU_EXC_GP, sel & 0xFFFC);
    }
    if (!(hi & SEG_P)) {
        cpu_raise(c, CPU_EXC_NP, sel & 0xFFFC);
    }
    hi |= 0x200; /* busy */
    cpu_sys_write(c, desc_addr(c, sel) + 5, (hi >> 8) & 0xFF, 1);
    desc_to_seg(&c->tr, sel, lo, hi);
}

uint32_t cpu_lar_lsl(Cpu *c, uint16_t sel, bool lsl, bool *ok)
{
    uint32_t lo, hi;
    *ok = false;
    if ((sel & ~3u) == 0 || !cpu_load_desc(c, sel, &lo, &hi)) {
        return 0;
    }
    unsigned dpl = seg_dpl(hi), rpl = sel & 3;
    if (hi & SEG_S) {
        bool conf = (hi & SEG_CODE) && (hi & SEG_DC);
        if (!conf && (dpl < c->cpl || dpl < rpl)) {
            return 0;
        }
    } else {
        static const uint32_t lar_ok = 0x3EBE; /* types valid for LAR */
        static const uint32_t lsl_ok = 0x0A0E; /* TSS and LDT only */
        unsigned type = (hi >> 8) & 0x1F;
        if (!(((lsl ? lsl_ok : lar_ok) >> type) & 1) || dpl < c->cpl ||
            dpl < rpl) {
            return 0;
        }
    }
    *ok = true;
    if (lsl) {
        CpuSegment tmp;
        desc_to_seg(&tmp, sel, lo, hi);
        return tmp.limit;
    }
    return hi & 0x00F0FF00u;
}

bool cpu_verr_verw(Cpu *c, uint16_t sel, bool write)
{
    uint32_t lo, hi;
    if ((sel & ~3u) == 0 || !cpu_load_desc(c, sel, &lo, &hi) || !(hi & SEG_S)) {
        return false;
    }
    unsigned dpl = seg_dpl(hi), rpl = sel & 3;
    bool conf = (hi & SEG_CODE) && (hi & SEG_DC);
    if (!conf && (dpl < c->cpl || dpl < rpl)) {
        return false;
    }
    if (write) {
        return !(hi & SEG_CODE) && (hi & SEG_RW);
    }
    return !(hi & SEG_CODE) || (hi & SEG_RW);
}

void cpu_cpuid(Cpu *c)
{
    uint32_t leaf = c->g.r[CPU_EAX];
    uint32_t a = 0, b = 0, cx = 0, d = 0;
    if (leaf == 0) {
        a = 1;
        b = 0x756E6547;  /* "Genu" */
        d = 0x49656E69;  /* "ineI" */
        cx = 0x6C65746E; /* "ntel" */
    } else if (leaf == 1) {
        a = 0x00000543;
        d = 0x00008111; /* FPU TSC CX8 CMOV */
    }
    c->g.r[CPU_EAX] = a;
    c->g.r[CPU_EBX] = b;
    c->g.r[CPU_ECX] = cx;
    c->g.r[CPU_EDX] = d;
}

#define MSR_TSC 0x10

void cpu_rdmsr(Cpu *c)
{
    if (c->cpl != 0) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    if (c->g.r[CPU_ECX] == MSR_TSC) {
        cpu_sync_clock(c);
        uint64_t t = clock_now(c->clock) + c->tsc_offset;
        c->g.r[CPU_EAX] = (uint32_t)t;
        c->g.r[CPU_EDX] = (uint32_t)(t >> 32);
        return;
    }
    TRACE(TRACE_CPU, "rdmsr 0x%x: #GP", c->g.r[CPU_ECX]);
    cpu_raise(c, CPU_EXC_GP, 0);
}

void cpu_wrmsr(Cpu *c)
{
    if (c->cpl != 0) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    if (c->g.r[CPU_ECX] == MSR_TSC) {
        cpu_sync_clock(c);
        uint64_t v = (uint64_t)c->g.r[CPU_EDX] << 32 | c->g.r[CPU_EAX];
        c->tsc_offset = v - clock_now(c->clock);
        return;
    }
    TRACE(TRACE_CPU, "wrmsr 0x%x: #GP", c->g.r[CPU_ECX]);
    cpu_raise(c, CPU_EXC_GP, 0);
}
