/*
 * tulipvm: x86 instruction decoder and integer semantics.
 *
 * Decoding (prefixes, ModRM/SIB/displacement, immediates) happens once per
 * instruction: the result is cached by the RAM offset of the instruction
 * (DInsn, cpu_internal.h) and reused until a write to that page drops it.
 * Execution recomputes the effective address from the current registers
 * and reads immediates from the cached bytes.  Memory operands that are
 * read, modified and written are first translated for writing, so a
 * faulting write cannot leave flags or registers half updated.
 *
 * Speed: at decode time the hottest 32-bit forms get a specialised
 * handler (DInsn.fast); the execution loop is threaded (each handler
 * dispatches the next instruction itself) and a sequential instruction in
 * the same page is found in the next cache slot without a lookup.  All
 * other forms run through the generic switch (exec_insn), which is the
 * reference the fast handlers must agree with; the differential tests
 * exercise both.  Code pages are tracked in 128-byte chunks so stores to
 * data sharing a page with code do not throw the code away.
 *
 * Not modelled: debug breakpoints (DR0-DR3), alignment checks, MMX/SSE and
 * anything else beyond the i586 integer set (#UD).  Single-step (TF) is
 * handled by the run loop in cpu.c.
 */
#include "cpu_internal.h"
#include "emu/log.h"

typedef struct Dec {
    bool op32, ad32;
    int8_t seg; /* override, -1 when none */
    uint8_t rep;
    uint8_t mod, reg, rm;
    int8_t eseg;
    uint32_t ea;
    const uint8_t *ip; /* next immediate byte */
    const DInsn *di;
} Dec;

/* Immediates come from the decoded instruction, in encoding order. */
static inline uint8_t ifetch8(Dec *d)
{
    return *d->ip++;
}

static inline uint16_t ifetch16(Dec *d)
{
    uint16_t v = (uint16_t)(d->ip[0] | d->ip[1] << 8);
    d->ip += 2;
    return v;
}

static inline uint32_t ifetch32(Dec *d)
{
    uint32_t v = ld_le(d->ip, 4);
    d->ip += 4;
    return v;
}

static inline uint32_t iimm(Dec *d, unsigned size)
{
    return size == 1 ? ifetch8(d) : size == 2 ? ifetch16(d) : ifetch32(d);
}

static inline uint32_t ea_calc(const Cpu *c, const DInsn *di)
{
    uint32_t ea =
        c->g.r[di->base] + (c->g.r[di->index] << di->scale) + di->disp;
    return (di->flags & DI_AD32) ? ea : ea & 0xFFFF;
}

/* ---- registers ---- */

static inline uint32_t reg_rd(const Cpu *c, unsigned size, unsigned n)
{
    switch (size) {
    case 1:
        return n < 4 ? c->g.r8[n * 4] : c->g.r8[(n - 4) * 4 + 1];
    case 2:
        return c->g.r16[n * 2];
    default:
        return c->g.r[n];
    }
}

static inline void reg_wr(Cpu *c, unsigned size, unsigned n, uint32_t v)
{
    switch (size) {
    case 1:
        if (n < 4) {
            c->g.r8[n * 4] = (uint8_t)v;
        } else {
            c->g.r8[(n - 4) * 4 + 1] = (uint8_t)v;
        }
        break;
    case 2:
        c->g.r16[n * 2] = (uint16_t)v;
        break;
    default:
        c->g.r[n] = v;
    }
}

static inline uint32_t sext(uint32_t v, unsigned size)
{
    return size == 1   ? (uint32_t)(int8_t)v
           : size == 2 ? (uint32_t)(int16_t)v
                       : v;
}

static inline uint32_t szmask(unsigned size)
{
    return size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
}

static inline uint32_t rm_rd(Cpu *c, const Dec *d, unsigned size)
{
    if (d->mod == 3) {
        return reg_rd(c, size, d->rm);
    }
    return mem_rd(c, d->eseg, d->ea, size);
}

static inline void rm_wr(Cpu *c, const Dec *d, unsigned size, uint32_t v)
{
    if (d->mod == 3) {
        reg_wr(c, size, d->rm, v);
    } else {
        mem_wr(c, d->eseg, d->ea, v, size);
    }
}

/* Read a read-modify-write operand; afterwards the write cannot fault. */
static inline uint32_t rmw_rd(Cpu *c, const Dec *d, unsigned size,
                              uint32_t *lin)
{
    if (d->mod == 3) {
        return reg_rd(c, size, d->rm);
    }
    uint32_t a = seg_lin(c, d->eseg, d->ea, size, true);
    *lin = a;
    const TlbEntry *e = &c->tlb[(a >> 12) & (TLB_SIZE - 1)];
    if (G_LIKELY(e->tag_w == ((a & ~0xFFFu) | c->tlb_epoch) &&
                 (a & 0xFFF) <= 0x1000 - size)) {
        return ld_le((const uint8_t *)(e->addend + a), size);
    }
    cpu_lin_probe(c, a, size, true);
    return lin_read(c, a, size);
}

static inline void rmw_wr(Cpu *c, const Dec *d, unsigned size, uint32_t lin,
                          uint32_t v)
{
    if (d->mod == 3) {
        reg_wr(c, size, d->rm, v);
    } else {
        lin_write(c, lin, v, size);
    }
}

/* ---- flags helpers ---- */

static void flags_set(Cpu *c, uint32_t set, uint32_t mask)
{
    cpu_flags_flush(c);
    c->eflags = (c->eflags & ~mask) | (set & mask);
}

/* Eager SF/ZF/PF from a result plus explicit CF/OF/AF. */
static void flags_result(Cpu *c, unsigned size, uint32_t res, bool cf, bool of,
                         bool af)
{
    flags_set(c, cpu_flags_of_result(size, res, cf, of, af), FLAGS_ARITH);
}

/* Conditions without materialising flags for the usual producers. */
static inline bool cond_fast(Cpu *c, unsigned cc)
{
    unsigned op = c->cc_op;
    if (G_LIKELY(op != CC_EFLAGS)) {
        unsigned k = cc >> 1;
        uint32_t m =
            c->cc_size == 4 ? 0xFFFFFFFFu : (1u << (c->cc_size * 8)) - 1;
        uint32_t r = c->cc_res & m;
        if (k == 2) { /* Z: every lazy op defines ZF from the result */
            return (r == 0) ^ (cc & 1);
        }
        if (k == 4) { /* S */
            return ((r >> (c->cc_size * 8 - 1)) & 1) ^ (cc & 1);
        }
        if (c->cc_size == 4 && (op == CC_SUB || op == CC_LOGIC)) {
            uint32_t a = c->cc_src1, b = c->cc_src2;
            bool sub = op == CC_SUB;
            bool res;
            switch (k) {
            case 1: /* B */
                res = sub && a < b;
                break;
            case 3: /* BE */
                res = sub ? a <= b : r == 0;
                break;
            case 6: /* L */
                res = sub ? (int32_t)a < (int32_t)b : (int32_t)r < 0;
                break;
            case 7: /* LE */
                res = sub ? (int32_t)a <= (int32_t)b : (int32_t)r <= 0;
                break;
            default:
                return cpu_cond(c, cc);
            }
            return res ^ (cc & 1);
        }
    }
    return cpu_cond(c, cc);
}

/* CF for INC/DEC and ADC/SBB without a call for the usual producers. */
static inline bool cf_fast(const Cpu *c)
{
    switch (c->cc_op) {
    case CC_LOGIC:
        return false;
    case CC_INC:
    case CC_DEC:
        return c->cc_cfin;
    case CC_EFLAGS:
        return c->eflags & CPU_FLAG_CF;
    case CC_SUB: {
        uint32_t m = szmask(c->cc_size);
        return (c->cc_src1 & m) < (c->cc_src2 & m);
    }
    case CC_ADD: {
        uint32_t m = szmask(c->cc_size);
        return (c->cc_res & m) < (c->cc_src1 & m);
    }
    default:
        return cpu_get_cf(c);
    }
}

/* ---- ALU ---- */

static inline uint32_t alu(Cpu *c, unsigned op, unsigned size, uint32_t a,
                           uint32_t b)
{
    uint32_t r, cf;
    switch (op) {
    case 0:
        r = a + b;
        cc_set(c, CC_ADD, size, r, a, b);
        return r;
    case 1:
        r = a | b;
        cc_set(c, CC_LOGIC, size, r, 0, 0);
        return r;
    case 2:
        cf = cpu_get_cf(c);
        r = a + b + cf;
        cc_set(c, CC_ADC, size, r, a, b);
        c->cc_cfin = cf;
        return r;
    case 3:
        cf = cpu_get_cf(c);
        r = a - b - cf;
        cc_set(c, CC_SBB, size, r, a, b);
        c->cc_cfin = cf;
        return r;
    case 4:
        r = a & b;
        cc_set(c, CC_LOGIC, size, r, 0, 0);
        return r;
    case 5:
    case 7:
        r = a - b;
        cc_set(c, CC_SUB, size, r, a, b);
        return r;
    default:
        r = a ^ b;
        cc_set(c, CC_LOGIC, size, r, 0, 0);
        return r;
    }
}

static void alu_rm(Cpu *c, Dec *d, unsigned op, unsigned size, uint32_t b)
{
    if (op == 7) {
        alu(c, 7, size, rm_rd(c, d, size), b);
        return;
    }
    uint32_t lin = 0;
    uint32_t a = rmw_rd(c, d, size, &lin);
    uint32_t r;
    /* The write goes before the flag update for ADD/SUB; for the others
     * rmw_rd already made the write fault-free. */
    switch (op) {
    case 0:
        r = a + b;
        rmw_wr(c, d, size, lin, r);
        cc_set(c, CC_ADD, size, r, a, b);
        return;
    case 5:
        r = a - b;
        rmw_wr(c, d, size, lin, r);
        cc_set(c, CC_SUB, size, r, a, b);
        return;
    default:
        r = alu(c, op, size, a, b);
        rmw_wr(c, d, size, lin, r);
        return;
    }
}

static inline void incdec(Cpu *c, unsigned size, uint32_t a, bool dec,
                          uint32_t *r)
{
    bool cf = cf_fast(c);
    *r = dec ? a - 1 : a + 1;
    cc_set(c, dec ? CC_DEC : CC_INC, size, *r, a, 1);
    c->cc_cfin = cf;
}

static uint32_t shift_op(Cpu *c, unsigned op, unsigned size, uint32_t a,
                         unsigned cnt)
{
    unsigned bits = size * 8;
    uint32_t m = szmask(size), sign = 1u << (bits - 1);
    a &= m;
    cnt &= 31;
    if (cnt == 0) {
        return a;
    }
    uint32_t r;
    bool cf, of;
    switch (op) {
    case 0: { /* ROL */
        unsigned n = cnt % bits;
        r = n ? ((a << n) | (a >> (bits - n))) & m : a;
        cf = r & 1;
        of = ((r & sign) != 0) ^ cf;
        flags_set(c, (cf ? CPU_FLAG_CF : 0) | (of ? CPU_FLAG_OF : 0),
                  CPU_FLAG_CF | CPU_FLAG_OF);
        return r;
    }
    case 1: { /* ROR */
        unsigned n = cnt % bits;
        r = n ? ((a >> n) | (a << (bits - n))) & m : a;
        cf = (r & sign) != 0;
        of = cf ^ ((r & (sign >> 1)) != 0);
        flags_set(c, (cf ? CPU_FLAG_CF : 0) | (of ? CPU_FLAG_OF : 0),
                  CPU_FLAG_CF | CPU_FLAG_OF);
        return r;
    }
    case 2: { /* RCL */
        unsigned n = cnt % (bits + 1);
        uint64_t v = (uint64_t)a | ((uint64_t)cpu_get_cf(c) << bits);
        if (n) {
            v = (v << n) | (v >> (bits + 1 - n));
        }
        r = (uint32_t)v & m;
        cf = (v >> bits) & 1;
        of = ((r & sign) != 0) ^ cf;
        flags_set(c, (cf ? CPU_FLAG_CF : 0) | (of ? CPU_FLAG_OF : 0),
                  CPU_FLAG_CF | CPU_FLAG_OF);
        return r;
    }
    case 3: { /* RCR */
        unsigned n = cnt % (bits + 1);
        uint64_t v = (uint64_t)a | ((uint64_t)cpu_get_cf(c) << bits);
        if (n) {
            v = (v >> n) | (v << (bits + 1 - n));
        }
        r = (uint32_t)v & m;
        cf = (v >> bits) & 1;
        of = ((r & sign) != 0) ^ ((r & (sign >> 1)) != 0);
        flags_set(c, (cf ? CPU_FLAG_CF : 0) | (of ? CPU_FLAG_OF : 0),
                  CPU_FLAG_CF | CPU_FLAG_OF);
        return r;
    }
    case 4:
    case 6: { /* SHL */
        uint64_t v = (uint64_t)a << cnt;
        r = (uint32_t)v & m;
        cc_set(c, CC_SHL, size, r, a, cnt);
        c->cc_cfin = (v >> bits) & 1;
        return r;
    }
    case 5: /* SHR */
        r = (uint32_t)((uint64_t)a >> cnt);
        cc_set(c, CC_SHR, size, r, a, cnt);
        c->cc_cfin = ((uint64_t)a >> (cnt - 1)) & 1;
        return r;
    default: { /* SAR */
        int64_t v = (int32_t)sext(a, size);
        r = (uint32_t)(v >> cnt) & m;
        cc_set(c, CC_SAR, size, r, a, cnt);
        c->cc_cfin = (v >> (cnt - 1)) & 1;
        return r;
    }
    }
}

static void grp2(Cpu *c, Dec *d, unsigned size, unsigned cnt)
{
    uint32_t lin = 0;
    if ((cnt & 31) == 0) {
        /* No flags change; the operand is still accessed. */
        rm_rd(c, d, size);
        return;
    }
    uint32_t a = rmw_rd(c, d, size, &lin);
    uint32_t r = shift_op(c, d->reg, size, a, cnt);
    rmw_wr(c, d, size, lin, r);
}

static uint32_t shld(Cpu *c, unsigned size, uint32_t dst, uint32_t src,
                     unsigned cnt, bool right)
{
    unsigned bits = size * 8;
    uint32_t m = szmask(size), sign = 1u << (bits - 1);
    cnt &= 31;
    dst &= m;
    src &= m;
    if (cnt == 0) {
        return dst;
    }
    uint64_t r64;
    bool cf;
    if (size == 2) {
        /* Counts above 16 are undefined; this is a 32-bit funnel. */
        if (!right) {
            uint32_t v = (dst << 16) | src;
            cf = (v >> (32 - cnt)) & 1;
            r64 = ((uint64_t)v << cnt) >> 16;
        } else {
            uint32_t v = (src << 16) | dst;
            cf = (v >> (cnt - 1)) & 1;
            r64 = v >> cnt;
        }
    } else if (!right) {
        uint64_t v = ((uint64_t)dst << 32) | src;
        cf = (v >> (64 - cnt)) & 1;
        r64 = (v << cnt) >> 32;
    } else {
        uint64_t v = ((uint64_t)src << 32) | dst;
        cf = (v >> (cnt - 1)) & 1;
        r64 = v >> cnt;
    }
    uint32_t r = (uint32_t)r64 & m;
    bool of = ((r ^ dst) & sign) != 0;
    flags_result(c, size, r, cf, of, false);
    return r;
}

/* ---- control transfer ---- */

static inline void leave(Cpu *c, unsigned osz)
{
    uint32_t bp = c->stack32 ? c->g.r[CPU_EBP] : c->g.r16[CPU_EBP * 2];
    uint32_t v = mem_rd(c, CPU_SS, bp, osz);
    sp_set(c, bp + osz);
    reg_wr(c, osz, CPU_EBP, v);
}

static inline void jump(Cpu *c, Dec *d, uint32_t target)
{
    if (!d->op32) {
        target &= 0xFFFF;
    }
    if (G_UNLIKELY(target > c->seg[CPU_CS].limit)) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    c->next_eip = target;
}

static inline uint32_t count_reg(const Cpu *c, const Dec *d)
{
    return d->ad32 ? c->g.r[CPU_ECX] : c->g.r16[CPU_ECX * 2];
}

static inline void count_set(Cpu *c, const Dec *d, uint32_t v)
{
    if (d->ad32) {
        c->g.r[CPU_ECX] = v;
    } else {
        c->g.r16[CPU_ECX * 2] = (uint16_t)v;
    }
}

/* INT n, INT3, INTO, INT1: traps, so the return address is the next
 * instruction; cpu_deliver checks the gate DPL for the soft ones. */
static void soft_int(Cpu *c, int vec)
{
    if (vec < 32) {
        c->exc_count++;
        c->last_exc = vec;
    }
    c->eip = c->next_eip;
    cpu_deliver(c, vec, false, 0, vec != 1, c->next_eip);
}

/* ---- I/O ---- */

static void io_check(Cpu *c)
{
    if (c->pe && c->cpl > cpu_iopl(c)) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
}

static uint32_t io_in(Cpu *c, uint16_t port, unsigned size)
{
    cpu_sync_clock(c);
    uint32_t v = bus_read(c->io, port, size);
    cpu_after_io(c);
    return v;
}

static void io_out(Cpu *c, uint16_t port, uint32_t v, unsigned size)
{
    if (port == 0x80 || port == 0x190) {
        TRACE(TRACE_POST, "post 0x%02x", v & 0xFF);
    }
    cpu_sync_clock(c);
    bus_write(c->io, port, v, size);
    cpu_after_io(c);
}

/* ---- string instructions ---- */

static inline uint32_t idx_get(const Cpu *c, const Dec *d, int r)
{
    return d->ad32 ? c->g.r[r] : c->g.r16[r * 2];
}

static inline void idx_add(Cpu *c, const Dec *d, int r, int32_t delta)
{
    if (d->ad32) {
        c->g.r[r] += delta;
    } else {
        c->g.r16[r * 2] += delta;
    }
}

/* Bulk REP STOS / REP MOVS inside single pages; returns iterations done. */
static uint32_t rep_fast(Cpu *c, Dec *d, bool movs, unsigned size,
                         uint32_t count)
{
    if (!d->ad32 || (c->eflags & CPU_FLAG_DF) || c->seg_ok[CPU_ES] != 3) {
        return 0;
    }
    uint32_t edi = c->g.r[CPU_EDI], esi = c->g.r[CPU_ESI];
    const CpuSegment *es = &c->seg[CPU_ES];
    if (edi > es->limit || (es->limit - edi) / size < count - 1) {
        return 0;
    }
    uint32_t dlin = es->base + edi;
    uint32_t n = (0x1000 - (dlin & 0xFFF)) / size;
    int sseg = d->seg >= 0 ? d->seg : CPU_DS;
    uint32_t slin = 0;
    if (movs) {
        const CpuSegment *ss = &c->seg[sseg];
        if (!(c->seg_ok[sseg] & 1) || esi > ss->limit ||
            (ss->limit - esi) / size < count - 1) {
            return 0;
        }
        slin = ss->base + esi;
        uint32_t sn = (0x1000 - (slin & 0xFFF)) / size;
        if (sn < n) {
            n = sn;
        }
    }
    if (n > count) {
        n = count;
    }
    if (n > c->cycles_left + 1) {
        n = (uint32_t)c->cycles_left + 1;
    }
    if (n < 2) {
        return 0;
    }
    uint8_t *dp = cpu_lin_ptr(c, dlin, true);
    if (!dp) {
        return 0;
    }
    if (movs) {
        uint8_t *sp = cpu_lin_ptr(c, slin, false);
        if (!sp) {
            return 0;
        }
        /* A destination just above the source sees the elements it
         * already wrote, as the one-by-one definition says. */
        if (dp > sp && dp < sp + (size_t)n * size) {
            for (uint32_t i = 0; i < n; i++) {
                st_le(dp + i * size, ld_le(sp + i * size, size), size);
            }
        } else {
            memmove(dp, sp, (size_t)n * size);
        }
        c->g.r[CPU_ESI] += n * size;
    } else {
        uint32_t v = c->g.r[CPU_EAX];
        if (size == 1) {
            memset(dp, v & 0xFF, n);
        } else {
            for (uint32_t i = 0; i < n; i++) {
                st_le(dp + i * size, v, size);
            }
        }
    }
    c->g.r[CPU_EDI] += n * size;
    c->g.r[CPU_ECX] -= n;
    return n;
}

static void string_op(Cpu *c, Dec *d, uint8_t op)
{
    unsigned size = (op & 1) ? (d->op32 ? 4 : 2) : 1;
    int32_t delta = (c->eflags & CPU_FLAG_DF) ? -(int32_t)size : (int32_t)size;
    int sseg = d->seg >= 0 ? d->seg : CPU_DS;
    bool rep = d->rep != 0;
    uint32_t iters = 0;
    uint64_t budget = c->cycles_left + 1;

    if (op == 0x6C || op == 0x6D || op == 0x6E || op == 0x6F) {
        io_check(c);
    }
    if (rep) {
        uint32_t cnt = count_reg(c, d);
        if (cnt == 0) {
            return;
        }
        if ((op & 0xFE) == 0xA4 || (op & 0xFE) == 0xAA) {
            uint32_t n = rep_fast(c, d, (op & 0xFE) == 0xA4, size, cnt);
            iters += n;
            if (n) {
                goto done;
            }
        }
    }
    for (;;) {
        uint32_t si = idx_get(c, d, CPU_ESI), di = idx_get(c, d, CPU_EDI);
        switch (op & 0xFE) {
        case 0xA4: { /* MOVS */
            uint32_t v = mem_rd(c, sseg, si, size);
            mem_wr(c, CPU_ES, di, v, size);
            idx_add(c, d, CPU_ESI, delta);
            idx_add(c, d, CPU_EDI, delta);
            break;
        }
        case 0xA6: { /* CMPS */
            uint32_t a = mem_rd(c, sseg, si, size);
            uint32_t b = mem_rd(c, CPU_ES, di, size);
            alu(c, 7, size, a, b);
            idx_add(c, d, CPU_ESI, delta);
            idx_add(c, d, CPU_EDI, delta);
            break;
        }
        case 0xAA: /* STOS */
            mem_wr(c, CPU_ES, di, c->g.r[CPU_EAX], size);
            idx_add(c, d, CPU_EDI, delta);
            break;
        case 0xAC: /* LODS */
            reg_wr(c, size, CPU_EAX, mem_rd(c, sseg, si, size));
            idx_add(c, d, CPU_ESI, delta);
            break;
        case 0xAE: { /* SCAS */
            uint32_t b = mem_rd(c, CPU_ES, di, size);
            alu(c, 7, size, reg_rd(c, size, CPU_EAX), b);
            idx_add(c, d, CPU_EDI, delta);
            break;
        }
        case 0x6C: { /* INS: probe the destination before the port read */
            uint32_t lin = seg_lin(c, CPU_ES, di, size, true);
            cpu_lin_probe(c, lin, size, true);
            uint32_t v = io_in(c, c->g.r16[CPU_EDX * 2], size);
            lin_write(c, lin, v, size);
            idx_add(c, d, CPU_EDI, delta);
            break;
        }
        default: { /* OUTS */
            uint32_t v = mem_rd(c, sseg, si, size);
            io_out(c, c->g.r16[CPU_EDX * 2], v, size);
            idx_add(c, d, CPU_ESI, delta);
            break;
        }
        }
        iters++;
        if (!rep) {
            return;
        }
        uint32_t cnt = count_reg(c, d) - 1;
        count_set(c, d, cnt);
        if (cnt == 0) {
            break;
        }
        if ((op & 0xF6) == 0xA6) { /* CMPS/SCAS: REPE / REPNE */
            bool zf = cpu_cond(c, 4);
            if ((d->rep == 0xF3) != zf) {
                break;
            }
        }
        if (iters >= budget || c->cycles_left + 1 <= iters || c->check_intr) {
            /* Out of time: resume the instruction later. */
            c->next_eip = c->insn_eip;
            break;
        }
        if ((op & 0xFE) == 0xA4 || (op & 0xFE) == 0xAA) {
            uint32_t left = count_reg(c, d);
            uint32_t n = rep_fast(c, d, (op & 0xFE) == 0xA4, size, left);
            if (n) {
                iters += n;
                goto done;
            }
        }
    }
    c->cycles_left -= iters > c->cycles_left + 1 ? c->cycles_left : iters - 1;
    return;
done:
    if (count_reg(c, d) != 0) {
        c->next_eip = c->insn_eip;
    }
    c->cycles_left -= iters - 1 > c->cycles_left ? c->cycles_left : iters - 1;
}

/* ---- multiply / divide ---- */

static void mul_op(Cpu *c, Dec *d, unsigned size, bool sign)
{
    uint32_t b = rm_rd(c, d, size);
    if (size == 1) {
        uint32_t a = c->g.r8[0];
        uint16_t r = sign ? (uint16_t)((int8_t)a * (int8_t)b)
                          : (uint16_t)(a * (uint8_t)b);
        c->g.r16[0] = r;
        bool ovf = sign ? (int16_t)r != (int8_t)r : (r >> 8) != 0;
        cc_set(c, CC_MUL, 1, r, ovf, 0);
    } else if (size == 2) {
        uint32_t a = c->g.r16[0];
        uint32_t r =
            sign ? (uint32_t)((int16_t)a * (int16_t)b) : a * (uint16_t)b;
        c->g.r16[0] = (uint16_t)r;
        c->g.r16[CPU_EDX * 2] = (uint16_t)(r >> 16);
        bool ovf = sign ? (int32_t)r != (int16_t)r : (r >> 16) != 0;
        cc_set(c, CC_MUL, 2, r, ovf, 0);
    } else {
        uint64_t r;
        bool ovf;
        if (sign) {
            int64_t s = (int64_t)(int32_t)c->g.r[0] * (int32_t)b;
            r = (uint64_t)s;
            ovf = s != (int32_t)s;
        } else {
            r = (uint64_t)c->g.r[0] * b;
            ovf = (r >> 32) != 0;
        }
        c->g.r[0] = (uint32_t)r;
        c->g.r[CPU_EDX] = (uint32_t)(r >> 32);
        cc_set(c, CC_MUL, 4, (uint32_t)r, ovf, 0);
    }
}

static void div_op(Cpu *c, Dec *d, unsigned size, bool sign)
{
    uint32_t b = rm_rd(c, d, size);
    b &= szmask(size);
    if (b == 0) {
        cpu_raise_noerr(c, CPU_EXC_DE);
    }
    if (size == 1) {
        uint16_t a = c->g.r16[0];
        if (sign) {
            int32_t q = (int16_t)a / (int8_t)b, r = (int16_t)a % (int8_t)b;
            if (q != (int8_t)q) {
                cpu_raise_noerr(c, CPU_EXC_DE);
            }
            c->g.r8[0] = (uint8_t)q;
            c->g.r8[1] = (uint8_t)r;
        } else {
            uint32_t q = a / b, r = a % b;
            if (q > 0xFF) {
                cpu_raise_noerr(c, CPU_EXC_DE);
            }
            c->g.r8[0] = (uint8_t)q;
            c->g.r8[1] = (uint8_t)r;
        }
    } else if (size == 2) {
        uint32_t a = c->g.r16[0] | (uint32_t)c->g.r16[CPU_EDX * 2] << 16;
        if (sign) {
            int32_t sa = (int32_t)a, sb = (int16_t)b;
            if (sa == INT32_MIN && sb == -1) {
                cpu_raise_noerr(c, CPU_EXC_DE);
            }
            int32_t q = sa / sb, r = sa % sb;
            if (q != (int16_t)q) {
                cpu_raise_noerr(c, CPU_EXC_DE);
            }
            c->g.r16[0] = (uint16_t)q;
            c->g.r16[CPU_EDX * 2] = (uint16_t)r;
        } else {
            uint32_t q = a / b, r = a % b;
            if (q > 0xFFFF) {
                cpu_raise_noerr(c, CPU_EXC_DE);
            }
            c->g.r16[0] = (uint16_t)q;
            c->g.r16[CPU_EDX * 2] = (uint16_t)r;
        }
    } else {
        uint64_t a = c->g.r[0] | (uint64_t)c->g.r[CPU_EDX] << 32;
        if (sign) {
            int64_t sa = (int64_t)a, sb = (int32_t)b;
            if (sa == INT64_MIN && sb == -1) {
                cpu_raise_noerr(c, CPU_EXC_DE);
            }
            int64_t q = sa / sb, r = sa % sb;
            if (q != (int32_t)q) {
                cpu_raise_noerr(c, CPU_EXC_DE);
            }
            c->g.r[0] = (uint32_t)q;
            c->g.r[CPU_EDX] = (uint32_t)r;
        } else {
            uint64_t q = a / b, r = a % b;
            if (q > 0xFFFFFFFFu) {
                cpu_raise_noerr(c, CPU_EXC_DE);
            }
            c->g.r[0] = (uint32_t)q;
            c->g.r[CPU_EDX] = (uint32_t)r;
        }
    }
}

static uint32_t imul3(Cpu *c, unsigned size, uint32_t a, uint32_t b)
{
    int64_t r = (int64_t)(int32_t)sext(a, size) * (int32_t)sext(b, size);
    bool ovf = size == 4 ? r != (int32_t)r : r != (int32_t)sext(r, size);
    cc_set(c, CC_MUL, size, (uint32_t)r, ovf, 0);
    return (uint32_t)r;
}

/* ---- BCD ---- */

static void bcd_op(Cpu *c, uint8_t op)
{
    uint8_t al = c->g.r8[0];
    bool cf = cpu_get_cf(c);
    uint32_t fl = cpu_read_eflags(c);
    bool af = fl & CPU_FLAG_AF;
    switch (op) {
    case 0x27: { /* DAA */
        uint8_t old = al;
        bool ncf = false, naf = false;
        if ((al & 0xF) > 9 || af) {
            al += 6;
            ncf = cf || old > 0xF9;
            naf = true;
        }
        if (old > 0x99 || cf) {
            al += 0x60;
            ncf = true;
        }
        c->g.r8[0] = al;
        flags_result(c, 1, al, ncf, false, naf);
        break;
    }
    case 0x2F: { /* DAS */
        uint8_t old = al;
        bool ncf = false, naf = false;
        if ((al & 0xF) > 9 || af) {
            al -= 6;
            ncf = cf || old < 6;
            naf = true;
        }
        if (old > 0x99 || cf) {
            al -= 0x60;
            ncf = true;
        }
        c->g.r8[0] = al;
        flags_result(c, 1, al, ncf, false, naf);
        break;
    }
    case 0x37:   /* AAA */
    case 0x3F: { /* AAS */
        bool adj = (al & 0xF) > 9 || af;
        if (adj) {
            if (op == 0x37) {
                c->g.r16[0] += 0x106;
            } else {
                c->g.r16[0] -= 6;
                c->g.r8[1] -= 1;
            }
        }
        c->g.r8[0] &= 0xF;
        flags_result(c, 1, c->g.r8[0], adj, false, adj);
        break;
    }
    }
}

/* ---- the instruction ---- */

static G_NORETURN void ud(Cpu *c)
{
    cpu_raise_noerr(c, CPU_EXC_UD);
}

static void need_cpl0(Cpu *c)
{
    if (c->pe && c->cpl != 0) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
}

static void exec_0f(Cpu *c, Dec *d);

static void exec_insn(Cpu *c, const DInsn *di)
{
    Dec d;
    uint8_t b = (uint8_t)di->op;

    c->next_eip = c->eip + di->len;
    d.di = di;
    d.ip = di->imm;
    d.op32 = di->flags & DI_OP32;
    d.ad32 = di->flags & DI_AD32;
    d.seg = di->seg;
    d.rep = (di->flags & DI_REPZ) ? 0xF3 : (di->flags & DI_REPNZ) ? 0xF2 : 0;
    d.mod = di->modrm >> 6;
    d.reg = (di->modrm >> 3) & 7;
    d.rm = di->modrm & 7;
    d.eseg = di->eseg;
    d.ea = (di->flags & DI_MEM) ? ea_calc(c, di) : 0;
    if (di->op >= 0x100) {
        exec_0f(c, &d);
        c->eip = c->next_eip;
        return;
    }
    unsigned osz = d.op32 ? 4 : 2;
    unsigned size;
    uint32_t v, t, lin = 0;

    switch (b) {
    /* ALU ops 00-3F */
    case 0x00:
    case 0x01:
    case 0x08:
    case 0x09:
    case 0x10:
    case 0x11:
    case 0x18:
    case 0x19:
    case 0x20:
    case 0x21:
    case 0x28:
    case 0x29:
    case 0x30:
    case 0x31:
    case 0x38:
    case 0x39:
        size = (b & 1) ? osz : 1;
        alu_rm(c, &d, b >> 3, size, reg_rd(c, size, d.reg));
        break;
    case 0x02:
    case 0x03:
    case 0x0A:
    case 0x0B:
    case 0x12:
    case 0x13:
    case 0x1A:
    case 0x1B:
    case 0x22:
    case 0x23:
    case 0x2A:
    case 0x2B:
    case 0x32:
    case 0x33:
    case 0x3A:
    case 0x3B:
        size = (b & 1) ? osz : 1;
        v = rm_rd(c, &d, size);
        t = alu(c, b >> 3, size, reg_rd(c, size, d.reg), v);
        if ((b >> 3) != 7) {
            reg_wr(c, size, d.reg, t);
        }
        break;
    case 0x04:
    case 0x05:
    case 0x0C:
    case 0x0D:
    case 0x14:
    case 0x15:
    case 0x1C:
    case 0x1D:
    case 0x24:
    case 0x25:
    case 0x2C:
    case 0x2D:
    case 0x34:
    case 0x35:
    case 0x3C:
    case 0x3D:
        size = (b & 1) ? osz : 1;
        v = iimm(&d, size);
        t = alu(c, b >> 3, size, reg_rd(c, size, CPU_EAX), v);
        if ((b >> 3) != 7) {
            reg_wr(c, size, CPU_EAX, t);
        }
        break;
    case 0x06:
    case 0x0E:
    case 0x16:
    case 0x1E:
        push(c, c->seg[b >> 3].sel, osz);
        break;
    case 0x07:
    case 0x17:
    case 0x1F:
        v = mem_rd(c, CPU_SS, sp_get(c), osz);
        cpu_load_seg(c, b >> 3, (uint16_t)v);
        sp_set(c, sp_get(c) + osz);
        if (b == 0x17) {
            c->shadow = true;
            c->check_intr = true;
        }
        break;
    case 0x27:
    case 0x2F:
    case 0x37:
    case 0x3F:
        bcd_op(c, b);
        break;
    case 0x40 ... 0x4F:
        incdec(c, osz, reg_rd(c, osz, b & 7), b & 8, &t);
        reg_wr(c, osz, b & 7, t);
        break;
    case 0x50 ... 0x57:
        push(c, reg_rd(c, osz, b & 7), osz);
        break;
    case 0x58 ... 0x5F:
        v = pop(c, osz);
        reg_wr(c, osz, b & 7, v);
        break;
    case 0x60: { /* PUSHA */
        uint32_t sp = sp_get(c), m = c->stack32 ? 0xFFFFFFFFu : 0xFFFF;
        for (int i = 0; i < 8; i++) {
            uint32_t val = i == CPU_ESP ? c->insn_esp : c->g.r[i];
            mem_wr(c, CPU_SS, (sp - (i + 1) * osz) & m, val, osz);
        }
        sp_set(c, sp - 8 * osz);
        break;
    }
    case 0x61: { /* POPA */
        uint32_t sp = sp_get(c), m = c->stack32 ? 0xFFFFFFFFu : 0xFFFF;
        uint32_t vals[8];
        for (int i = 0; i < 8; i++) {
            vals[7 - i] = mem_rd(c, CPU_SS, (sp + i * osz) & m, osz);
        }
        for (int i = 0; i < 8; i++) {
            if (i != CPU_ESP) {
                reg_wr(c, osz, i, vals[i]);
            }
        }
        sp_set(c, sp + 8 * osz);
        break;
    }
    case 0x62: { /* BOUND */
        if (d.mod == 3) {
            ud(c);
        }
        int32_t idx = (int32_t)sext(reg_rd(c, osz, d.reg), osz);
        int32_t lo = (int32_t)sext(mem_rd(c, d.eseg, d.ea, osz), osz);
        int32_t hi = (int32_t)sext(
            mem_rd(c, d.eseg, (d.ea + osz) & (d.ad32 ? ~0u : 0xFFFF), osz),
            osz);
        if (idx < lo || idx > hi) {
            cpu_raise_noerr(c, CPU_EXC_BR);
        }
        break;
    }
    case 0x63: { /* ARPL */
        if (!c->pe) {
            ud(c);
        }
        v = rmw_rd(c, &d, 2, &lin);
        t = reg_rd(c, 2, d.reg);
        if ((v & 3) < (t & 3)) {
            rmw_wr(c, &d, 2, lin, (v & ~3u) | (t & 3));
            flags_set(c, CPU_FLAG_ZF, CPU_FLAG_ZF);
        } else {
            flags_set(c, 0, CPU_FLAG_ZF);
        }
        break;
    }
    case 0x68:
        push(c, iimm(&d, osz), osz);
        break;
    case 0x6A:
        push(c, (uint32_t)(int8_t)ifetch8(&d), osz);
        break;
    case 0x69:
    case 0x6B:
        v = rm_rd(c, &d, osz);
        t = b == 0x69 ? iimm(&d, osz) : (uint32_t)(int8_t)ifetch8(&d);
        reg_wr(c, osz, d.reg, imul3(c, osz, v, t));
        break;
    case 0x6C ... 0x6F:
    case 0xA4 ... 0xA7:
    case 0xAA ... 0xAF:
        string_op(c, &d, b);
        break;
    case 0x70 ... 0x7F:
        v = (uint32_t)(int8_t)ifetch8(&d);
        if (cond_fast(c, b & 15)) {
            jump(c, &d, c->next_eip + v);
        }
        break;
    case 0x80 ... 0x83:
        size = (b & 1) ? osz : 1;
        v = b == 0x83 ? (uint32_t)(int8_t)ifetch8(&d) : iimm(&d, size);
        alu_rm(c, &d, d.reg, size, v);
        break;
    case 0x84:
    case 0x85:
        size = (b & 1) ? osz : 1;
        alu(c, 4, size, rm_rd(c, &d, size), reg_rd(c, size, d.reg));
        break;
    case 0x86:
    case 0x87:
        size = (b & 1) ? osz : 1;
        v = rmw_rd(c, &d, size, &lin);
        rmw_wr(c, &d, size, lin, reg_rd(c, size, d.reg));
        reg_wr(c, size, d.reg, v);
        break;
    case 0x88:
    case 0x89:
        size = (b & 1) ? osz : 1;
        rm_wr(c, &d, size, reg_rd(c, size, d.reg));
        break;
    case 0x8A:
    case 0x8B:
        size = (b & 1) ? osz : 1;
        reg_wr(c, size, d.reg, rm_rd(c, &d, size));
        break;
    case 0x8C:
        if (d.reg > 5) {
            ud(c);
        }
        if (d.mod == 3) {
            reg_wr(c, osz, d.rm, c->seg[d.reg].sel);
        } else {
            mem_wr(c, d.eseg, d.ea, c->seg[d.reg].sel, 2);
        }
        break;
    case 0x8D:
        if (d.mod == 3) {
            ud(c);
        }
        reg_wr(c, osz, d.reg, d.ea);
        break;
    case 0x8E:
        if (d.reg > 5 || d.reg == CPU_CS) {
            ud(c);
        }
        cpu_load_seg(c, d.reg, (uint16_t)rm_rd(c, &d, 2));
        if (d.reg == CPU_SS) {
            c->shadow = true;
            c->check_intr = true;
        }
        break;
    case 0x8F:
        v = mem_rd(c, CPU_SS, sp_get(c), osz);
        /* The address is computed with ESP already incremented. */
        sp_set(c, sp_get(c) + osz);
        if (di->flags & DI_MEM) {
            d.ea = ea_calc(c, di);
        }
        rm_wr(c, &d, osz, v);
        break;
    case 0x90:
        break;
    case 0x91 ... 0x97:
        v = reg_rd(c, osz, b & 7);
        reg_wr(c, osz, b & 7, reg_rd(c, osz, CPU_EAX));
        reg_wr(c, osz, CPU_EAX, v);
        break;
    case 0x98:
        if (d.op32) {
            c->g.r[0] = (uint32_t)(int16_t)c->g.r16[0];
        } else {
            c->g.r16[0] = (uint16_t)(int8_t)c->g.r8[0];
        }
        break;
    case 0x99:
        if (d.op32) {
            c->g.r[CPU_EDX] = (int32_t)c->g.r[0] < 0 ? 0xFFFFFFFFu : 0;
        } else {
            c->g.r16[CPU_EDX * 2] = (int16_t)c->g.r16[0] < 0 ? 0xFFFF : 0;
        }
        break;
    case 0x9A: {
        uint32_t off = iimm(&d, osz);
        uint16_t sel = ifetch16(&d);
        cpu_far_call(c, sel, off, d.op32);
        break;
    }
    case 0x9B:
        cpu_fpu_wait(c);
        break;
    case 0x9C:
        if (c->eflags & CPU_FLAG_VM) {
            cpu_raise(c, CPU_EXC_GP, 0);
        }
        push(c, cpu_read_eflags(c) & ~(CPU_FLAG_VM | CPU_FLAG_RF), osz);
        break;
    case 0x9D: {
        v = mem_rd(c, CPU_SS, sp_get(c), osz);
        uint32_t mask = CPU_FLAG_CF | CPU_FLAG_PF | CPU_FLAG_AF | CPU_FLAG_ZF |
                        CPU_FLAG_SF | CPU_FLAG_TF | CPU_FLAG_DF | CPU_FLAG_OF |
                        CPU_FLAG_NT | CPU_FLAG_AC | CPU_FLAG_ID;
        if (!c->pe || c->cpl == 0) {
            mask |= CPU_FLAG_IOPL;
        }
        if (!c->pe || c->cpl <= cpu_iopl(c)) {
            mask |= CPU_FLAG_IF;
        }
        if (!d.op32) {
            mask &= 0xFFFF;
        }
        sp_set(c, sp_get(c) + osz);
        cpu_write_eflags(c, v, mask);
        break;
    }
    case 0x9E:
        flags_set(c, c->g.r8[1],
                  CPU_FLAG_SF | CPU_FLAG_ZF | CPU_FLAG_AF | CPU_FLAG_PF |
                      CPU_FLAG_CF);
        break;
    case 0x9F:
        c->g.r8[1] = (uint8_t)(cpu_read_eflags(c) & 0xD7) | 2;
        break;
    case 0xA0 ... 0xA2:
    case 0xA3: {
        size = (b & 1) ? osz : 1;
        uint32_t off = d.ad32 ? ifetch32(&d) : ifetch16(&d);
        int s = d.seg >= 0 ? d.seg : CPU_DS;
        if (b < 0xA2) {
            reg_wr(c, size, CPU_EAX, mem_rd(c, s, off, size));
        } else {
            mem_wr(c, s, off, reg_rd(c, size, CPU_EAX), size);
        }
        break;
    }
    case 0xA8:
    case 0xA9:
        size = (b & 1) ? osz : 1;
        alu(c, 4, size, reg_rd(c, size, CPU_EAX), iimm(&d, size));
        break;
    case 0xB0 ... 0xB7:
        reg_wr(c, 1, b & 7, ifetch8(&d));
        break;
    case 0xB8 ... 0xBF:
        reg_wr(c, osz, b & 7, iimm(&d, osz));
        break;
    case 0xC0:
    case 0xC1:
        size = (b & 1) ? osz : 1;
        grp2(c, &d, size, ifetch8(&d));
        break;
    case 0xD0:
    case 0xD1:
        size = (b & 1) ? osz : 1;
        grp2(c, &d, size, 1);
        break;
    case 0xD2:
    case 0xD3:
        size = (b & 1) ? osz : 1;
        grp2(c, &d, size, c->g.r8[CPU_ECX * 4]);
        break;
    case 0xC2:
    case 0xC3: {
        uint16_t extra = b == 0xC2 ? ifetch16(&d) : 0;
        v = mem_rd(c, CPU_SS, sp_get(c), osz);
        jump(c, &d, v);
        sp_set(c, sp_get(c) + osz + extra);
        break;
    }
    case 0xC4:
    case 0xC5: {
        if (d.mod == 3) {
            ud(c);
        }
        v = mem_rd(c, d.eseg, d.ea, osz);
        uint16_t sel =
            mem_rd(c, d.eseg, (d.ea + osz) & (d.ad32 ? ~0u : 0xFFFFu), 2);
        cpu_load_seg(c, b == 0xC4 ? CPU_ES : CPU_DS, sel);
        reg_wr(c, osz, d.reg, v);
        break;
    }
    case 0xC6:
    case 0xC7:
        size = (b & 1) ? osz : 1;
        rm_wr(c, &d, size, iimm(&d, size));
        break;
    case 0xC8: { /* ENTER */
        uint16_t frame = ifetch16(&d);
        unsigned level = ifetch8(&d) & 31;
        uint32_t m = c->stack32 ? 0xFFFFFFFFu : 0xFFFF;
        uint32_t sp = sp_get(c);
        uint32_t bp = c->stack32 ? c->g.r[CPU_EBP] : c->g.r16[CPU_EBP * 2];
        sp = (sp - osz) & m;
        mem_wr(c, CPU_SS, sp, reg_rd(c, osz, CPU_EBP), osz);
        uint32_t frame_ptr = sp;
        for (unsigned i = 1; i < level; i++) {
            bp = (bp - osz) & m;
            uint32_t val = mem_rd(c, CPU_SS, bp, osz);
            sp = (sp - osz) & m;
            mem_wr(c, CPU_SS, sp, val, osz);
        }
        if (level > 0) {
            sp = (sp - osz) & m;
            mem_wr(c, CPU_SS, sp, frame_ptr, osz);
        }
        sp = (sp - frame) & m;
        /* Touch the lowest byte so a stack overflow faults here. */
        if (frame) {
            seg_lin(c, CPU_SS, sp, 1, true);
        }
        reg_wr(c, osz, CPU_EBP, frame_ptr);
        sp_set(c, sp);
        break;
    }
    case 0xC9:
        leave(c, osz);
        break;
    case 0xCA:
    case 0xCB:
        cpu_far_ret(c, d.op32, b == 0xCA ? ifetch16(&d) : 0);
        break;
    case 0xCC:
        soft_int(c, CPU_EXC_BP);
        return;
    case 0xCD:
        v = ifetch8(&d);
        soft_int(c, v);
        return;
    case 0xCE:
        if (cpu_cond(c, 0)) {
            soft_int(c, CPU_EXC_OF);
            return;
        }
        break;
    case 0xCF:
        cpu_iret(c, d.op32);
        break;
    case 0xD4: { /* AAM */
        uint8_t base = ifetch8(&d);
        if (base == 0) {
            cpu_raise_noerr(c, CPU_EXC_DE);
        }
        uint8_t al = c->g.r8[0];
        c->g.r8[1] = al / base;
        c->g.r8[0] = al % base;
        flags_result(c, 1, c->g.r8[0], false, false, false);
        break;
    }
    case 0xD5: { /* AAD */
        uint8_t base = ifetch8(&d);
        uint8_t al = (uint8_t)(c->g.r8[0] + c->g.r8[1] * base);
        c->g.r16[0] = al;
        flags_result(c, 1, al, false, false, false);
        break;
    }
    case 0xD6: /* SALC */
        c->g.r8[0] = cpu_get_cf(c) ? 0xFF : 0;
        break;
    case 0xD7: {
        uint32_t off =
            (d.ad32 ? c->g.r[CPU_EBX] : c->g.r16[CPU_EBX * 2]) + c->g.r8[0];
        if (!d.ad32) {
            off &= 0xFFFF;
        }
        c->g.r8[0] = mem_rd(c, d.seg >= 0 ? d.seg : CPU_DS, off, 1);
        break;
    }
    case 0xD8 ... 0xDF:
        cpu_fpu_exec(c, b, di->modrm, d.ea, d.mod == 3 ? CPU_DS : d.eseg,
                     !d.op32);
        break;
    case 0xE0:
    case 0xE1:
    case 0xE2: {
        v = (uint32_t)(int8_t)ifetch8(&d);
        uint32_t cnt = count_reg(c, &d) - 1;
        count_set(c, &d, cnt);
        bool go = cnt != 0;
        if (b == 0xE0) {
            go = go && !cpu_cond(c, 4);
        } else if (b == 0xE1) {
            go = go && cpu_cond(c, 4);
        }
        if (go) {
            jump(c, &d, c->next_eip + v);
        }
        break;
    }
    case 0xE3:
        v = (uint32_t)(int8_t)ifetch8(&d);
        if (count_reg(c, &d) == 0) {
            jump(c, &d, c->next_eip + v);
        }
        break;
    case 0xE4:
    case 0xE5:
        size = (b & 1) ? osz : 1;
        v = ifetch8(&d);
        io_check(c);
        reg_wr(c, size, CPU_EAX, io_in(c, v, size));
        break;
    case 0xE6:
    case 0xE7:
        size = (b & 1) ? osz : 1;
        v = ifetch8(&d);
        io_check(c);
        io_out(c, v, reg_rd(c, size, CPU_EAX), size);
        break;
    case 0xEC:
    case 0xED:
        size = (b & 1) ? osz : 1;
        io_check(c);
        reg_wr(c, size, CPU_EAX, io_in(c, c->g.r16[CPU_EDX * 2], size));
        break;
    case 0xEE:
    case 0xEF:
        size = (b & 1) ? osz : 1;
        io_check(c);
        io_out(c, c->g.r16[CPU_EDX * 2], reg_rd(c, size, CPU_EAX), size);
        break;
    case 0xE8:
        v = iimm(&d, osz);
        t = c->next_eip + (d.op32 ? v : (uint32_t)(int16_t)v);
        push(c, c->next_eip, osz);
        jump(c, &d, t);
        break;
    case 0xE9:
        v = iimm(&d, osz);
        jump(c, &d, c->next_eip + (d.op32 ? v : (uint32_t)(int16_t)v));
        break;
    case 0xEA: {
        uint32_t off = iimm(&d, osz);
        uint16_t sel = ifetch16(&d);
        cpu_far_jump(c, sel, off, d.op32);
        break;
    }
    case 0xEB:
        v = (uint32_t)(int8_t)ifetch8(&d);
        jump(c, &d, c->next_eip + v);
        break;
    case 0xF1: /* INT1 / ICEBP */
        soft_int(c, CPU_EXC_DB);
        return;
    case 0xF4:
        need_cpl0(c);
        c->halted = true;
        c->check_intr = true;
        break;
    case 0xF5:
        flags_set(c, cpu_get_cf(c) ? 0 : CPU_FLAG_CF, CPU_FLAG_CF);
        break;
    case 0xF6:
    case 0xF7:
        size = (b & 1) ? osz : 1;
        switch (d.reg) {
        case 0:
        case 1:
            v = rm_rd(c, &d, size);
            alu(c, 4, size, v, iimm(&d, size));
            break;
        case 2:
            v = rmw_rd(c, &d, size, &lin);
            rmw_wr(c, &d, size, lin, ~v);
            break;
        case 3:
            v = rmw_rd(c, &d, size, &lin);
            rmw_wr(c, &d, size, lin, 0u - v);
            cc_set(c, CC_NEG, size, 0u - v, 0, v);
            break;
        case 4:
        case 5:
            mul_op(c, &d, size, d.reg == 5);
            break;
        default:
            div_op(c, &d, size, d.reg == 7);
            break;
        }
        break;
    case 0xF8:
        flags_set(c, 0, CPU_FLAG_CF);
        break;
    case 0xF9:
        flags_set(c, CPU_FLAG_CF, CPU_FLAG_CF);
        break;
    case 0xFA:
        if (c->pe && c->cpl > cpu_iopl(c)) {
            cpu_raise(c, CPU_EXC_GP, 0);
        }
        c->eflags &= ~CPU_FLAG_IF;
        break;
    case 0xFB:
        if (c->pe && c->cpl > cpu_iopl(c)) {
            cpu_raise(c, CPU_EXC_GP, 0);
        }
        if (!(c->eflags & CPU_FLAG_IF)) {
            c->eflags |= CPU_FLAG_IF;
            c->shadow = true;
            c->check_intr = true;
        }
        break;
    case 0xFC:
        c->eflags &= ~CPU_FLAG_DF;
        break;
    case 0xFD:
        c->eflags |= CPU_FLAG_DF;
        break;
    case 0xFE:
        if (d.reg > 1) {
            ud(c);
        }
        v = rmw_rd(c, &d, 1, &lin);
        incdec(c, 1, v, d.reg == 1, &t);
        rmw_wr(c, &d, 1, lin, t);
        break;
    case 0xFF:
        switch (d.reg) {
        case 0:
        case 1: {
            v = rmw_rd(c, &d, osz, &lin);
            bool cf = cpu_get_cf(c);
            t = d.reg ? v - 1 : v + 1;
            rmw_wr(c, &d, osz, lin, t);
            cc_set(c, d.reg ? CC_DEC : CC_INC, osz, t, v, 1);
            c->cc_cfin = cf;
            break;
        }
        case 2:
            v = rm_rd(c, &d, osz);
            push(c, c->next_eip, osz);
            jump(c, &d, v);
            break;
        case 3:
        case 5: {
            if (d.mod == 3) {
                ud(c);
            }
            v = mem_rd(c, d.eseg, d.ea, osz);
            uint16_t sel =
                mem_rd(c, d.eseg, (d.ea + osz) & (d.ad32 ? ~0u : 0xFFFFu), 2);
            if (d.reg == 3) {
                cpu_far_call(c, sel, v, d.op32);
            } else {
                cpu_far_jump(c, sel, v, d.op32);
            }
            break;
        }
        case 4:
            jump(c, &d, rm_rd(c, &d, osz));
            break;
        case 6:
            push(c, rm_rd(c, &d, osz), osz);
            break;
        default:
            ud(c);
        }
        break;
    default:
        ud(c);
    }
    c->eip = c->next_eip;
}

static void bt_op(Cpu *c, Dec *d, unsigned op, unsigned osz, uint32_t bit,
                  bool from_reg)
{
    uint32_t lin = 0, v;
    unsigned bits = osz * 8;
    if (d->mod != 3 && from_reg) {
        /* Register bit offsets address memory beyond the operand. */
        int32_t off = (int32_t)sext(bit, osz);
        int32_t disp = (off >> (osz == 4 ? 5 : 4)) * (int32_t)osz;
        d->ea += disp;
        if (!d->ad32) {
            d->ea &= 0xFFFF;
        }
    }
    bit &= bits - 1;
    if (op == 0) {
        v = rm_rd(c, d, osz);
    } else {
        v = rmw_rd(c, d, osz, &lin);
    }
    bool cf = (v >> bit) & 1;
    switch (op) {
    case 1:
        rmw_wr(c, d, osz, lin, v | (1u << bit));
        break;
    case 2:
        rmw_wr(c, d, osz, lin, v & ~(1u << bit));
        break;
    case 3:
        rmw_wr(c, d, osz, lin, v ^ (1u << bit));
        break;
    default:
        break;
    }
    flags_set(c, cf ? CPU_FLAG_CF : 0, CPU_FLAG_CF);
}

static void exec_0f(Cpu *c, Dec *d)
{
    uint8_t b = (uint8_t)d->di->op;
    unsigned osz = d->op32 ? 4 : 2;
    uint32_t v, t, lin = 0;

    switch (b) {
    case 0x00:
        if (!c->pe) {
            ud(c);
        }
        switch (d->reg) {
        case 0: /* SLDT */
        case 1: /* STR */
            v = d->reg ? c->tr.sel : c->ldtr.sel;
            if (d->mod == 3) {
                reg_wr(c, osz, d->rm, v);
            } else {
                mem_wr(c, d->eseg, d->ea, v, 2);
            }
            break;
        case 2:
            need_cpl0(c);
            cpu_lldt(c, rm_rd(c, d, 2));
            break;
        case 3:
            need_cpl0(c);
            cpu_ltr(c, rm_rd(c, d, 2));
            break;
        case 4:
        case 5: {
            bool ok = cpu_verr_verw(c, rm_rd(c, d, 2), d->reg == 5);
            flags_set(c, ok ? CPU_FLAG_ZF : 0, CPU_FLAG_ZF);
            break;
        }
        default:
            ud(c);
        }
        break;
    case 0x01:
        switch (d->reg) {
        case 0: /* SGDT */
        case 1: /* SIDT */
            if (d->mod == 3) {
                ud(c);
            }
            v = d->reg ? c->idt_base : c->gdt_base;
            t = d->reg ? c->idt_limit : c->gdt_limit;
            if (!d->op32) {
                v &= 0xFFFFFF;
            }
            cpu_lin_probe(c, seg_lin(c, d->eseg, d->ea, 6, true), 6, true);
            mem_wr(c, d->eseg, d->ea, t, 2);
            mem_wr(c, d->eseg, d->ea + 2, v, 4);
            break;
        case 2: /* LGDT */
        case 3: /* LIDT */
            if (d->mod == 3) {
                ud(c);
            }
            need_cpl0(c);
            t = mem_rd(c, d->eseg, d->ea, 2);
            v = mem_rd(c, d->eseg, d->ea + 2, 4);
            if (!d->op32) {
                v &= 0xFFFFFF;
            }
            if (d->reg == 2) {
                c->gdt_base = v;
                c->gdt_limit = t;
            } else {
                c->idt_base = v;
                c->idt_limit = t;
            }
            break;
        case 4: /* SMSW */
            if (d->mod == 3) {
                reg_wr(c, osz, d->rm, c->cr0);
            } else {
                mem_wr(c, d->eseg, d->ea, c->cr0, 2);
            }
            break;
        case 6: /* LMSW: cannot clear PE */
            need_cpl0(c);
            v = rm_rd(c, d, 2);
            cpu_write_cr(c, 0, (c->cr0 & ~0xEu) | (v & 0xF) | (c->cr0 & 1));
            break;
        case 7: /* INVLPG */
            if (d->mod == 3) {
                ud(c);
            }
            need_cpl0(c);
            cpu_tlb_flush_page(c, c->seg[d->eseg].base + d->ea);
            break;
        default:
            ud(c);
        }
        break;
    case 0x02:
    case 0x03: {
        if (!c->pe) {
            ud(c);
        }
        bool ok;
        v = cpu_lar_lsl(c, rm_rd(c, d, 2), b == 0x03, &ok);
        if (ok) {
            reg_wr(c, osz, d->reg, v);
        }
        flags_set(c, ok ? CPU_FLAG_ZF : 0, CPU_FLAG_ZF);
        break;
    }
    case 0x06: /* CLTS */
        need_cpl0(c);
        c->cr0 &= ~CPU_CR0_TS;
        break;
    case 0x08: /* INVD */
    case 0x09: /* WBINVD */
        need_cpl0(c);
        break;
    case 0x0D: /* prefetch hints */
    case 0x18 ... 0x1E:
    case 0x1F: /* NOPL */
        break;
    case 0x20:
    case 0x22: {
        uint8_t m = d->di->modrm;
        need_cpl0(c);
        unsigned cr = (m >> 3) & 7;
        if (b == 0x20) {
            c->g.r[m & 7] = cpu_read_cr(c, cr);
        } else {
            cpu_write_cr(c, cr, c->g.r[m & 7]);
        }
        break;
    }
    case 0x21:
    case 0x23: {
        uint8_t m = d->di->modrm;
        need_cpl0(c);
        unsigned dr = (m >> 3) & 7;
        if (dr == 4 || dr == 5) {
            dr += 2;
        }
        if (b == 0x21) {
            c->g.r[m & 7] = c->dr[dr];
        } else {
            c->dr[dr] = c->g.r[m & 7];
        }
        break;
    }
    case 0x30:
        cpu_wrmsr(c);
        break;
    case 0x31: {
        if ((c->cr4 & 0x4) && c->pe && c->cpl != 0) {
            cpu_raise(c, CPU_EXC_GP, 0);
        }
        cpu_sync_clock(c);
        uint64_t tsc = clock_now(c->clock) + c->tsc_offset;
        c->g.r[CPU_EAX] = (uint32_t)tsc;
        c->g.r[CPU_EDX] = (uint32_t)(tsc >> 32);
        break;
    }
    case 0x32:
        cpu_rdmsr(c);
        break;
    case 0x40 ... 0x4F:
        v = rm_rd(c, d, osz);
        if (cond_fast(c, b & 15)) {
            reg_wr(c, osz, d->reg, v);
        }
        break;
    case 0x80 ... 0x8F:
        v = d->op32 ? ifetch32(d) : (uint32_t)(int16_t)ifetch16(d);
        if (cond_fast(c, b & 15)) {
            jump(c, d, c->next_eip + v);
        }
        break;
    case 0x90 ... 0x9F:
        rm_wr(c, d, 1, cond_fast(c, b & 15));
        break;
    case 0xA0:
    case 0xA8:
        push(c, c->seg[b == 0xA0 ? CPU_FS : CPU_GS].sel, osz);
        break;
    case 0xA1:
    case 0xA9:
        v = mem_rd(c, CPU_SS, sp_get(c), osz);
        cpu_load_seg(c, b == 0xA1 ? CPU_FS : CPU_GS, (uint16_t)v);
        sp_set(c, sp_get(c) + osz);
        break;
    case 0xA2:
        cpu_cpuid(c);
        break;
    case 0xA3:
    case 0xAB:
    case 0xB3:
    case 0xBB:
        bt_op(c, d, (b >> 3) & 3, osz, reg_rd(c, osz, d->reg), true);
        break;
    case 0xBA:
        if (d->reg < 4) {
            ud(c);
        }
        bt_op(c, d, d->reg & 3, osz, ifetch8(d), false);
        break;
    case 0xA4:
    case 0xA5:
    case 0xAC:
    case 0xAD: {
        unsigned cnt = (b & 1) ? c->g.r8[CPU_ECX * 4] : ifetch8(d);
        if ((cnt & 31) == 0) {
            rm_rd(c, d, osz);
            break;
        }
        v = rmw_rd(c, d, osz, &lin);
        t = shld(c, osz, v, reg_rd(c, osz, d->reg), cnt, b >= 0xAC);
        rmw_wr(c, d, osz, lin, t);
        break;
    }
    case 0xAF:
        v = rm_rd(c, d, osz);
        reg_wr(c, osz, d->reg, imul3(c, osz, reg_rd(c, osz, d->reg), v));
        break;
    case 0xB0:
    case 0xB1: { /* CMPXCHG */
        unsigned size = (b & 1) ? osz : 1;
        v = rmw_rd(c, d, size, &lin);
        uint32_t acc = reg_rd(c, size, CPU_EAX);
        if (((acc ^ v) & szmask(size)) == 0) {
            rmw_wr(c, d, size, lin, reg_rd(c, size, d->reg));
        } else {
            rmw_wr(c, d, size, lin, v);
            reg_wr(c, size, CPU_EAX, v);
        }
        cc_set(c, CC_SUB, size, acc - v, acc, v);
        break;
    }
    case 0xB2:
    case 0xB4:
    case 0xB5: {
        if (d->mod == 3) {
            ud(c);
        }
        v = mem_rd(c, d->eseg, d->ea, osz);
        uint16_t sel =
            mem_rd(c, d->eseg, (d->ea + osz) & (d->ad32 ? ~0u : 0xFFFFu), 2);
        int s = b == 0xB2 ? CPU_SS : b == 0xB4 ? CPU_FS : CPU_GS;
        cpu_load_seg(c, s, sel);
        reg_wr(c, osz, d->reg, v);
        break;
    }
    case 0xB6:
    case 0xB7:
    case 0xBE:
    case 0xBF: {
        unsigned size = (b & 1) ? 2 : 1;
        v = rm_rd(c, d, size);
        reg_wr(c, osz, d->reg, b >= 0xBE ? sext(v, size) : v);
        break;
    }
    case 0xBC:
    case 0xBD: /* BSF / BSR (F3 prefix ignored: no BMI1) */
        v = rm_rd(c, d, osz) & szmask(osz);
        if (v == 0) {
            flags_set(c, CPU_FLAG_ZF, CPU_FLAG_ZF);
        } else {
            t = b == 0xBC ? (uint32_t)__builtin_ctz(v)
                          : 31u - (uint32_t)__builtin_clz(v);
            reg_wr(c, osz, d->reg, t);
            flags_set(c, 0, CPU_FLAG_ZF);
        }
        break;
    case 0xC0:
    case 0xC1: { /* XADD */
        unsigned size = (b & 1) ? osz : 1;
        v = rmw_rd(c, d, size, &lin);
        uint32_t src = reg_rd(c, size, d->reg);
        t = v + src;
        /* Source first: with the same register twice the sum wins. */
        reg_wr(c, size, d->reg, v);
        rmw_wr(c, d, size, lin, t);
        cc_set(c, CC_ADD, size, t, v, src);
        break;
    }
    case 0xC7: { /* CMPXCHG8B */
        if (d->mod == 3 || d->reg != 1) {
            ud(c);
        }
        uint32_t a = seg_lin(c, d->eseg, d->ea, 8, true);
        cpu_lin_probe(c, a, 8, true);
        uint32_t lo = lin_read(c, a, 4), hi = lin_read(c, a + 4, 4);
        if (lo == c->g.r[CPU_EAX] && hi == c->g.r[CPU_EDX]) {
            lin_write(c, a, c->g.r[CPU_EBX], 4);
            lin_write(c, a + 4, c->g.r[CPU_ECX], 4);
            flags_set(c, CPU_FLAG_ZF, CPU_FLAG_ZF);
        } else {
            lin_write(c, a, lo, 4);
            lin_write(c, a + 4, hi, 4);
            c->g.r[CPU_EAX] = lo;
            c->g.r[CPU_EDX] = hi;
            flags_set(c, 0, CPU_FLAG_ZF);
        }
        break;
    }
    case 0xC8 ... 0xCF:
        if (d->op32) {
            c->g.r[b & 7] = __builtin_bswap32(c->g.r[b & 7]);
        } else {
            c->g.r16[(b & 7) * 2] = 0; /* undefined; Intel gives 0 */
        }
        break;
    case 0x0B: /* UD2 */
    default:
        ud(c);
    }
}

static inline uint32_t fast_imm32(const DInsn *di)
{
    return di->op == 0x83 ? (uint32_t)(int8_t)di->imm[0] : ld_le(di->imm, 4);
}

static inline uint32_t rm32_rd(Cpu *c, const DInsn *di)
{
    if (di->flags & DI_MEM) {
        return mem_rd(c, di->eseg, ea_calc(c, di), 4);
    }
    return c->g.r[di->modrm & 7];
}

static inline void rm32_wr(Cpu *c, const DInsn *di, uint32_t v)
{
    if (di->flags & DI_MEM) {
        mem_wr(c, di->eseg, ea_calc(c, di), v, 4);
    } else {
        c->g.r[di->modrm & 7] = v;
    }
}

static inline uint32_t rm8_rd(Cpu *c, const DInsn *di)
{
    if (di->flags & DI_MEM) {
        return mem_rd(c, di->eseg, ea_calc(c, di), 1);
    }
    return reg_rd(c, 1, di->modrm & 7);
}

static inline void rm8_wr(Cpu *c, const DInsn *di, uint32_t v)
{
    if (di->flags & DI_MEM) {
        mem_wr(c, di->eseg, ea_calc(c, di), v, 1);
    } else {
        reg_wr(c, 1, di->modrm & 7, v);
    }
}

static inline void fast_jump(Cpu *c, uint32_t target)
{
    if (G_UNLIKELY(target > c->seg[CPU_CS].limit)) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    c->eip = target;
}

/* The hit path, expanded in every handler. */
static inline __attribute__((always_inline)) const DInsn *lookup(Cpu *c)
{
    uint32_t lin = c->seg[CPU_CS].base + c->eip;
    if (G_LIKELY((lin & ~0xFFFu) == c->fetch_page)) {
        uint64_t key = c->fetch_key | (lin & 0xFFF);
        const DInsn *e = &c->icache[key & (ICACHE_SIZE - 1)];
        if (G_LIKELY(e->key == key)) {
            return e;
        }
    }
    return cpu_lookup_slow(c, lin);
}

/*
 * The execution loop, threaded: every handler ends with its own dispatch
 * of the next instruction, which branch predictors handle far better than
 * one shared switch.
 */
void cpu_exec_loop(Cpu *c, bool single)
{
#define L(name) [name] = &&h_##name
#define L8(base)                                                               \
    [base + 0] = &&h_##base##_0, [base + 1] = &&h_##base##_1,                  \
            [base + 2] = &&h_##base##_2, [base + 3] = &&h_##base##_3,          \
            [base + 4] = &&h_##base##_4, [base + 5] = &&h_##base##_5,          \
            [base + 6] = &&h_##base##_6, [base + 7] = &&h_##base##_7
    static const void *const handlers[FAST_END] = {
        L(FAST_NONE),       L(FAST_MOV_R_RM),      L(FAST_MOV_RM_R),
        L(FAST_MOV_R8_RM8), L(FAST_MOV_RM8_R8),    L(FAST_MOVZX8),
        L(FAST_MOVZX16),    L(FAST_LEA),           L(FAST_MOV_R_IMM),
        L(FAST_MOV_RM_IMM), L(FAST_PUSH_R),        L(FAST_POP_R),
        L(FAST_PUSH_IMM),   L(FAST_INC_R),         L(FAST_DEC_R),
        L(FAST_JCC),        L(FAST_JMP),           L(FAST_CALL),
        L(FAST_RET),        L(FAST_TEST_RM_R),     L(FAST_TEST8_IMM),
        L(FAST_CMP8_IMM),   L(FAST_MOV_RM8_IMM),   L(FAST_TEST_EAX_IMM),
        L(FAST_IMUL_R_RM),  L(FAST_SHIFT_I),       L(FAST_TEST8_RM_R),
        L(FAST_CMP8_RM_R),  L(FAST_MOV_EAX_MOFFS), L(FAST_MOV_MOFFS_EAX),
        L(FAST_LEAVE),      L(FAST_NOP),           L(FAST_CALL_RM),
        L(FAST_JMP_RM),     L(FAST_PUSH_RM),       L(FAST_LODSB),
        L(FAST_SCASB),      L8(FAST_ALU_AL_I),     L8(FAST_ALU_EAX_I),
        L8(FAST_ALU_RM_R),  L8(FAST_ALU_R_RM),     L8(FAST_ALU_RM_I),
    };
#undef L
#undef L8
    const DInsn *di;
    uint32_t v;

#define DISPATCH()                                                             \
    do {                                                                       \
        if (G_UNLIKELY(!c->cycles_left)) {                                     \
            return;                                                            \
        }                                                                      \
        c->cycles_left--;                                                      \
        c->insn_eip = c->eip;                                                  \
        c->insn_esp = c->g.r[CPU_ESP];                                         \
        di = lookup(c);                                                        \
        goto *handlers[di->fast];                                              \
    } while (0)
/* after a handler that set EIP itself */
#define NEXT_JUMPED()                                                          \
    do {                                                                       \
        if (G_UNLIKELY(single || c->check_intr)) {                             \
            return;                                                            \
        }                                                                      \
        DISPATCH();                                                            \
    } while (0)
/*
 * Fall through to the next instruction: when it starts in the same page
 * its cache slot is di + len (slots follow RAM offsets), so a matching
 * key finds it without the full lookup.  Only fast handlers come here,
 * and none of them changes CS, paging or the TLB.
 */
#define NEXT()                                                                 \
    do {                                                                       \
        uint64_t key_ = di->key + di->len;                                     \
        c->eip += di->len;                                                     \
        if (G_UNLIKELY(single || c->check_intr || !c->cycles_left)) {          \
            return;                                                            \
        }                                                                      \
        c->cycles_left--;                                                      \
        c->insn_eip = c->eip;                                                  \
        c->insn_esp = c->g.r[CPU_ESP];                                         \
        if (G_LIKELY(di->key &&                                                \
                     ((uint32_t)di->key & 0xFFF) + di->len < 0x1000 &&         \
                     di[di->len].key == key_)) {                               \
            di += di->len;                                                     \
        } else {                                                               \
            di = lookup(c);                                                    \
        }                                                                      \
        goto *handlers[di->fast];                                              \
    } while (0)
#define REG ((di->modrm >> 3) & 7)
#define RM  (di->modrm & 7)

    DISPATCH();

h_FAST_NONE:
    exec_insn(c, di);
    NEXT_JUMPED();
h_FAST_MOV_R_RM:
    c->g.r[REG] = rm32_rd(c, di);
    NEXT();
h_FAST_MOV_RM_R:
    rm32_wr(c, di, c->g.r[REG]);
    NEXT();
h_FAST_MOV_R8_RM8:
    v = rm8_rd(c, di);
    reg_wr(c, 1, REG, v);
    NEXT();
h_FAST_MOV_RM8_R8:
    rm8_wr(c, di, reg_rd(c, 1, REG));
    NEXT();
h_FAST_MOVZX8:
    c->g.r[REG] = rm8_rd(c, di);
    NEXT();
h_FAST_MOVZX16:
    c->g.r[REG] = (di->flags & DI_MEM) ? mem_rd(c, di->eseg, ea_calc(c, di), 2)
                                       : c->g.r16[RM * 2];
    NEXT();
h_FAST_LEA:
    c->g.r[REG] = ea_calc(c, di);
    NEXT();
h_FAST_MOV_R_IMM:
    c->g.r[di->op & 7] = ld_le(di->imm, 4);
    NEXT();
h_FAST_MOV_RM_IMM:
    rm32_wr(c, di, ld_le(di->imm, 4));
    NEXT();
h_FAST_PUSH_R:
    push(c, c->g.r[di->op & 7], 4);
    NEXT();
h_FAST_POP_R:
    v = pop(c, 4);
    c->g.r[di->op & 7] = v;
    NEXT();
h_FAST_PUSH_IMM:
    push(c, di->disp, 4);
    NEXT();
h_FAST_INC_R:
h_FAST_DEC_R:
    incdec(c, 4, c->g.r[di->op & 7], di->fast == FAST_DEC_R,
           &c->g.r[di->op & 7]);
    NEXT();
h_FAST_JCC:
    if (cond_fast(c, di->op & 15)) {
        fast_jump(c, c->eip + di->len + di->disp);
        NEXT_JUMPED();
    }
    NEXT();
h_FAST_JMP:
    fast_jump(c, c->eip + di->len + di->disp);
    NEXT_JUMPED();
h_FAST_CALL:
    push(c, c->eip + di->len, 4);
    fast_jump(c, c->eip + di->len + di->disp);
    NEXT_JUMPED();
h_FAST_RET:
    v = mem_rd(c, CPU_SS, sp_get(c), 4);
    fast_jump(c, v);
    sp_set(c, sp_get(c) + 4);
    NEXT_JUMPED();
h_FAST_TEST_RM_R:
    v = rm32_rd(c, di) & c->g.r[REG];
    cc_set(c, CC_LOGIC, 4, v, 0, 0);
    NEXT();
h_FAST_TEST8_IMM:
    v = rm8_rd(c, di);
    cc_set(c, CC_LOGIC, 1, v & di->imm[0], 0, 0);
    NEXT();
h_FAST_CMP8_IMM:
    v = rm8_rd(c, di);
    cc_set(c, CC_SUB, 1, v - di->imm[0], v, di->imm[0]);
    NEXT();

h_FAST_MOV_RM8_IMM:
    rm8_wr(c, di, di->imm[0]);
    NEXT();
h_FAST_TEST_EAX_IMM:
    cc_set(c, CC_LOGIC, 4, c->g.r[CPU_EAX] & ld_le(di->imm, 4), 0, 0);
    NEXT();
h_FAST_IMUL_R_RM:
    v = rm32_rd(c, di);
    c->g.r[REG] = imul3(c, 4, c->g.r[REG], v);
    NEXT();
h_FAST_SHIFT_I : {
    unsigned cnt = di->imm[0] & 31;
    if (cnt == 0 || (di->flags & DI_MEM)) {
        goto h_FAST_NONE;
    }
    uint32_t a = c->g.r[RM], r;
    switch (REG) {
    case 0: /* ROL: CF, OF only */
        r = (a << cnt) | (a >> (32 - cnt));
        c->g.r[RM] = r;
        flags_set(c,
                  ((r & 1) ? CPU_FLAG_CF : 0) |
                      ((((r >> 31) ^ r) & 1) ? CPU_FLAG_OF : 0),
                  CPU_FLAG_CF | CPU_FLAG_OF);
        break;
    case 1: /* ROR */
        r = (a >> cnt) | (a << (32 - cnt));
        c->g.r[RM] = r;
        flags_set(c,
                  ((r >> 31) ? CPU_FLAG_CF : 0) |
                      ((((r >> 31) ^ (r >> 30)) & 1) ? CPU_FLAG_OF : 0),
                  CPU_FLAG_CF | CPU_FLAG_OF);
        break;
    case 4:
        r = a << cnt;
        c->g.r[RM] = r;
        cc_set(c, CC_SHL, 4, r, a, cnt);
        c->cc_cfin = (a >> (32 - cnt)) & 1;
        break;
    case 5:
        r = a >> cnt;
        c->g.r[RM] = r;
        cc_set(c, CC_SHR, 4, r, a, cnt);
        c->cc_cfin = (a >> (cnt - 1)) & 1;
        break;
    default:
        r = (uint32_t)((int32_t)a >> cnt);
        c->g.r[RM] = r;
        cc_set(c, CC_SAR, 4, r, a, cnt);
        c->cc_cfin = ((int32_t)a >> (cnt - 1)) & 1;
        break;
    }
    NEXT();
}

h_FAST_TEST8_RM_R:
    v = rm8_rd(c, di);
    cc_set(c, CC_LOGIC, 1, v & reg_rd(c, 1, REG), 0, 0);
    NEXT();
h_FAST_CMP8_RM_R : {
    uint32_t b_ = reg_rd(c, 1, REG);
    v = rm8_rd(c, di);
    cc_set(c, CC_SUB, 1, v - b_, v, b_);
    NEXT();
}
h_FAST_MOV_EAX_MOFFS:
    c->g.r[CPU_EAX] =
        mem_rd(c, di->seg >= 0 ? di->seg : CPU_DS, ld_le(di->imm, 4), 4);
    NEXT();
h_FAST_MOV_MOFFS_EAX:
    mem_wr(c, di->seg >= 0 ? di->seg : CPU_DS, ld_le(di->imm, 4),
           c->g.r[CPU_EAX], 4);
    NEXT();
h_FAST_LEAVE:
    leave(c, 4);
    NEXT();
h_FAST_NOP:
    NEXT();
h_FAST_CALL_RM:
    v = rm32_rd(c, di);
    if (G_UNLIKELY(v > c->seg[CPU_CS].limit)) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    push(c, c->eip + di->len, 4);
    c->eip = v;
    NEXT_JUMPED();
h_FAST_JMP_RM:
    fast_jump(c, rm32_rd(c, di));
    NEXT_JUMPED();
h_FAST_PUSH_RM:
    push(c, rm32_rd(c, di), 4);
    NEXT();
h_FAST_LODSB : {
    uint32_t si = c->g.r[CPU_ESI];
    c->g.r8[0] = (uint8_t)mem_rd(c, di->seg >= 0 ? di->seg : CPU_DS, si, 1);
    c->g.r[CPU_ESI] = si + ((c->eflags & CPU_FLAG_DF) ? -1u : 1u);
    NEXT();
}
h_FAST_SCASB : {
    uint32_t dst = c->g.r[CPU_EDI];
    uint32_t b_ = mem_rd(c, CPU_ES, dst, 1), a_ = c->g.r8[0];
    cc_set(c, CC_SUB, 1, a_ - b_, a_, b_);
    c->g.r[CPU_EDI] = dst + ((c->eflags & CPU_FLAG_DF) ? -1u : 1u);
    NEXT();
}

/* op AL, imm8 and op EAX, imm32 */
#define ALU_AL_I(base, n)                                                      \
    h_##base##_##n:                                                            \
    {                                                                          \
        uint32_t r_ = alu(c, n, 1, c->g.r8[0], di->imm[0]);                    \
        if (n != 7) {                                                          \
            c->g.r8[0] = (uint8_t)r_;                                          \
        }                                                                      \
    }                                                                          \
    NEXT();
#define ALU_EAX_I(base, n)                                                     \
    h_##base##_##n:                                                            \
    {                                                                          \
        uint32_t r_ = alu(c, n, 4, c->g.r[CPU_EAX], ld_le(di->imm, 4));        \
        if (n != 7) {                                                          \
            c->g.r[CPU_EAX] = r_;                                              \
        }                                                                      \
    }                                                                          \
    NEXT();

/* op r/m32, r32: register destinations and CMP; others generic */
#define ALU_RM_R(base, n)                                                      \
    h_##base##_##n : if (n != 7 && (di->flags & DI_MEM))                       \
    {                                                                          \
        goto h_FAST_NONE;                                                      \
    }                                                                          \
    {                                                                          \
        uint32_t r_ = alu(c, n, 4, rm32_rd(c, di), c->g.r[REG]);               \
        if (n != 7) {                                                          \
            c->g.r[RM] = r_;                                                   \
        }                                                                      \
    }                                                                          \
    NEXT();
#define ALU_R_RM(base, n)                                                      \
    h_##base##_##n:                                                            \
    {                                                                          \
        uint32_t r_ = alu(c, n, 4, c->g.r[REG], rm32_rd(c, di));               \
        if (n != 7) {                                                          \
            c->g.r[REG] = r_;                                                  \
        }                                                                      \
    }                                                                          \
    NEXT();
#define ALU_RM_I(base, n)                                                      \
    h_##base##_##n : if (n != 7 && (di->flags & DI_MEM))                       \
    {                                                                          \
        goto h_FAST_NONE;                                                      \
    }                                                                          \
    {                                                                          \
        uint32_t r_ = alu(c, n, 4, rm32_rd(c, di), fast_imm32(di));            \
        if (n != 7) {                                                          \
            c->g.r[RM] = r_;                                                   \
        }                                                                      \
    }                                                                          \
    NEXT();
#define ALL8(m, base)                                                          \
    m(base, 0) m(base, 1) m(base, 2) m(base, 3) m(base, 4) m(base, 5)          \
        m(base, 6) m(base, 7)

    ALL8(ALU_AL_I, FAST_ALU_AL_I)
    ALL8(ALU_EAX_I, FAST_ALU_EAX_I)
    ALL8(ALU_RM_R, FAST_ALU_RM_R)
    ALL8(ALU_R_RM, FAST_ALU_R_RM)
    ALL8(ALU_RM_I, FAST_ALU_RM_I)

#undef ALU_AL_I
#undef ALU_EAX_I
#undef ALU_RM_R
#undef ALU_R_RM
#undef ALU_RM_I
#undef ALL8
#undef REG
#undef RM
#undef NEXT
#undef NEXT_JUMPED
#undef DISPATCH
}
