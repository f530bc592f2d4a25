/*
 * tulipvm: lazy EFLAGS for the x86 interpreter.
 *
 * Arithmetic instructions record their operands and result (cc_*); the
 * six status flags are derived only when something reads them (Jcc, SETcc,
 * CMOVcc, PUSHF, ADC/SBB, interrupts).  Where the manuals leave a flag
 * undefined we produce what is cheapest; the differential tests mask those.
 */
#include "cpu_internal.h"

static inline uint32_t size_mask(unsigned size)
{
    return size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
}

static inline uint32_t size_sign(unsigned size)
{
    return 1u << (size * 8 - 1);
}

bool cpu_get_cf(const Cpu *c)
{
    uint32_t m = size_mask(c->cc_size);
    uint32_t a = c->cc_src1 & m, b = c->cc_src2 & m, r = c->cc_res & m;

    switch (c->cc_op) {
    case CC_EFLAGS:
        return c->eflags & CPU_FLAG_CF;
    case CC_ADD:
        return r < a;
    case CC_ADC:
        return c->cc_cfin ? r <= a : r < a;
    case CC_SUB:
        return a < b;
    case CC_SBB:
        return c->cc_cfin ? a <= b : a < b;
    case CC_LOGIC:
        return false;
    case CC_INC:
    case CC_DEC:
        return c->cc_cfin;
    case CC_NEG:
        return r != 0;
    case CC_SHL:
    case CC_SHR:
    case CC_SAR:
        return c->cc_cfin; /* computed by the shift itself */
    case CC_MUL:
        return c->cc_src1 != 0;
    }
    return false;
}

uint32_t cpu_flags_compute(const Cpu *c)
{
    if (c->cc_op == CC_EFLAGS) {
        return c->eflags & FLAGS_ARITH;
    }
    uint32_t m = size_mask(c->cc_size), sign = size_sign(c->cc_size);
    uint32_t a = c->cc_src1 & m, b = c->cc_src2 & m, r = c->cc_res & m;
    bool cf = cpu_get_cf(c), of = false, af = false;

    switch (c->cc_op) {
    case CC_ADD:
    case CC_ADC:
        of = ((a ^ r) & (b ^ r) & sign) != 0;
        af = (a ^ b ^ r) & 0x10;
        break;
    case CC_SUB:
    case CC_SBB:
        of = ((a ^ b) & (a ^ r) & sign) != 0;
        af = (a ^ b ^ r) & 0x10;
        break;
    case CC_INC:
        of = r == sign;
        af = (r & 0xF) == 0;
        break;
    case CC_DEC:
        of = r == sign - 1;
        af = (r & 0xF) == 0xF;
        break;
    case CC_NEG:
        of = r == sign;
        af = (r ^ b) & 0x10;
        break;
    case CC_SHL:
        of = cf ^ ((r & sign) != 0);
        break;
    case CC_SHR:
        of = (a & sign) != 0;
        break;
    case CC_MUL:
        of = cf;
        break;
    default:
        break;
    }
    return cpu_flags_of_result(c->cc_size, r, cf, of, af);
}

bool cpu_cond(Cpu *c, unsigned cc)
{
    bool r;
    /* Fast paths for the usual producers of a condition. */
    if (c->cc_op == CC_SUB && cc >= 2) {
        uint32_t m = size_mask(c->cc_size);
        unsigned sh = 32 - c->cc_size * 8;
        uint32_t a = c->cc_src1 & m, b = c->cc_src2 & m;
        int32_t sa = (int32_t)(a << sh), sb = (int32_t)(b << sh);
        switch (cc >> 1) {
        case 1:
            r = a < b;
            break;
        case 2:
            r = a == b;
            break;
        case 3:
            r = a <= b;
            break;
        case 6:
            r = sa < sb;
            break;
        case 7:
            r = sa <= sb;
            break;
        default:
            goto slow;
        }
        return r ^ (cc & 1);
    }
    if (c->cc_op == CC_LOGIC) {
        uint32_t m = size_mask(c->cc_size);
        uint32_t v = c->cc_res & m;
        bool neg = (v & size_sign(c->cc_size)) != 0;
        switch (cc >> 1) {
        case 0: /* O */
        case 1: /* B */
            r = false;
            break;
        case 2: /* Z */
        case 3: /* BE */
            r = v == 0;
            break;
        case 4: /* S */
        case 6: /* L: SF != OF */
            r = neg;
            break;
        case 7: /* LE */
            r = v == 0 || neg;
            break;
        default:
            goto slow;
        }
        return r ^ (cc & 1);
    }
slow:;
    uint32_t f = cpu_flags_compute(c);
    bool sf = f & CPU_FLAG_SF, of = f & CPU_FLAG_OF;
    switch (cc >> 1) {
    case 0:
        r = of;
        break;
    case 1:
        r = f & CPU_FLAG_CF;
        break;
    case 2:
        r = f & CPU_FLAG_ZF;
        break;
    case 3:
        r = f & (CPU_FLAG_CF | CPU_FLAG_ZF);
        break;
    case 4:
        r = sf;
        break;
    case 5:
        r = f & CPU_FLAG_PF;
        break;
    case 6:
        r = sf != of;
        break;
    default:
        r = (f & CPU_FLAG_ZF) || sf != of;
        break;
    }
    return r ^ (cc & 1);
}

uint32_t cpu_read_eflags(Cpu *c)
{
    cpu_flags_flush(c);
    return c->eflags;
}

void cpu_write_eflags(Cpu *c, uint32_t val, uint32_t mask)
{
    cpu_flags_flush(c);
    uint32_t old = c->eflags;
    c->eflags = ((old & ~mask) | (val & mask)) | 0x2;
    c->eflags &=
        ~(0x8u | 0x20u | 0x8000u | 0xFFC00000u | CPU_FLAG_VM | CPU_FLAG_RF);
    if ((c->eflags & CPU_FLAG_IF) && !(old & CPU_FLAG_IF)) {
        c->check_intr = true;
    }
    if (c->eflags & CPU_FLAG_TF) {
        c->check_intr = true; /* cpu_run single-steps while TF is set */
    }
}
