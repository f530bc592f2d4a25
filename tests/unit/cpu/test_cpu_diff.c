/*
 * Differential test of the integer instruction set against the host CPU.
 *
 * Each case is a short instruction sequence with initial registers, flags
 * and memory.  The 32-bit helper diff_host (built with gcc -m32) runs it
 * natively; the emulator runs the same bytes at the same addresses in
 * flat protected mode.  Registers, the data and stack windows, the fault
 * (#DE, #UD or none) and EFLAGS are compared; only flags the manuals leave
 * undefined for the instructions involved are masked.  Directed cases
 * cover every integer instruction form in all operand sizes; random
 * sequences combine them, tracking which flags are defined.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "cpu_vm.h"
#include "diff_case.h"

#define F_CF  0x001u
#define F_PF  0x004u
#define F_AF  0x010u
#define F_ZF  0x040u
#define F_SF  0x080u
#define F_OF  0x800u
#define F_DF  0x400u
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

#define IDT_STUBS 0x4000u
#define BATCH     64

/* ---------------- case generation ---------------- */

typedef struct Rng {
    uint64_t s;
} Rng;

static uint32_t rnd(Rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 32);
}

static uint32_t rnd_below(Rng *r, uint32_t n)
{
    return rnd(r) % n;
}

/* Operand values biased towards boundaries. */
static uint32_t rnd_val(Rng *r)
{
    static const uint32_t special[] = {
        0,          1,      2,      0x7F,    0x80,       0xFF,       0x100,
        0x7FFF,     0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
        0xFFFFFFFE, 0x0F,   0x10,   0x99,    0x09,       0xFFFFFF80};
    switch (rnd_below(r, 4)) {
    case 0:
        return special[rnd_below(r, G_N_ELEMENTS(special))];
    case 1:
        return rnd_below(r, 256);
    default:
        return rnd(r);
    }
}

typedef struct Gen {
    Rng *r;
    DiffIn *in;
    uint32_t defined; /* flags whose value is architecturally defined */
    bool seq;         /* random sequence: restrict to sequence-safe forms */
    bool code16;      /* 16-bit code segment, DS = ES = data window */
} Gen;

static void emit(Gen *g, uint8_t b)
{
    cr_assert_lt(g->in->code_len, DIFF_CODE_MAX - 8);
    g->in->code[g->in->code_len++] = b;
}

static void emit32(Gen *g, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        emit(g, (uint8_t)(v >> (8 * i)));
    }
}

static void emit_imm(Gen *g, unsigned size, uint32_t v)
{
    for (unsigned i = 0; i < size; i++) {
        emit(g, (uint8_t)(v >> (8 * i)));
    }
}

/* Flag effects: written with defined values / left undefined. */
static void fl(Gen *g, uint32_t def, uint32_t undef)
{
    g->defined = (g->defined | def) & ~undef;
}

static bool can_read(const Gen *g, uint32_t flags)
{
    return (g->defined & flags) == flags;
}

static uint32_t cond_reads(unsigned cc)
{
    static const uint32_t t[8] = {F_OF, F_CF, F_ZF,        F_CF | F_ZF,
                                  F_SF, F_PF, F_SF | F_OF, F_SF | F_OF | F_ZF};
    return t[(cc >> 1) & 7];
}

/* Registers a case may overwrite: not EBX (data pointer) nor ESP. */
static unsigned dst_reg(Gen *g, unsigned size)
{
    static const unsigned r8[] = {0, 1, 2, 4, 5, 6};
    static const unsigned r32[] = {0, 1, 2, 5, 6, 7};
    return size == 1 ? r8[rnd_below(g->r, 6)] : r32[rnd_below(g->r, 6)];
}

static unsigned any_reg(Gen *g)
{
    return rnd_below(g->r, 8);
}

static void prefix(Gen *g, unsigned size)
{
    /* now and then a segment override: ES/SS/DS are flat on both sides
     * (in 16-bit cases ES and DS are the data window, SS is not) */
    if (rnd_below(g->r, 8) == 0) {
        static const uint8_t seg[] = {0x26, 0x3E, 0x36};
        emit(g, seg[rnd_below(g->r, g->code16 ? 2 : 3)]);
    }
    if (size == (g->code16 ? 4u : 2u)) {
        emit(g, 0x66);
    }
}

/* mov r32/r16 (operand size of the case's code), imm: a "skipped" marker */
static unsigned emit_marker(Gen *g, unsigned reg)
{
    emit(g, (uint8_t)(0xB8 + reg));
    if (g->code16) {
        emit(g, 0x5A);
        emit(g, 0x5A);
        return 3;
    }
    emit32(g, 0x5A5A5A5A);
    return 5;
}

/* A memory operand inside the data window, in one of several encodings. */
static void modrm_mem(Gen *g, unsigned reg, unsigned maxoff)
{
    uint32_t off = rnd_below(g->r, maxoff);
    if (g->code16) {
        /* 16-bit addressing with BX = 0 (EBX = DIFF_DATA_ADDR) */
        switch (rnd_below(g->r, 4)) {
        case 0:
            emit(g, 0x00 | (reg << 3) | 7); /* [bx] */
            break;
        case 1:
            emit(g, 0x40 | (reg << 3) | 7);
            emit(g, (uint8_t)(off & 0x7F));
            break;
        case 2:
            emit(g, 0x80 | (reg << 3) | 7);
            emit(g, (uint8_t)off);
            emit(g, (uint8_t)(off >> 8));
            break;
        default:
            emit(g, 0x00 | (reg << 3) | 6); /* [disp16] */
            emit(g, (uint8_t)off);
            emit(g, (uint8_t)(off >> 8));
            break;
        }
        return;
    }
    switch (rnd_below(g->r, 5)) {
    case 0:
        emit(g, 0x00 | (reg << 3) | 3); /* [ebx] */
        break;
    case 1:
        emit(g, 0x40 | (reg << 3) | 3);
        emit(g, (uint8_t)(off & 0x7F));
        break;
    case 2:
        emit(g, 0x80 | (reg << 3) | 3);
        emit32(g, off);
        break;
    case 3:
        emit(g, 0x40 | (reg << 3) | 4);
        emit(g, (uint8_t)(rnd_below(g->r, 4) << 6 | 4 << 3 | 3));
        emit(g, (uint8_t)(off & 0x7F));
        break;
    default:
        emit(g, 0x00 | (reg << 3) | 5);
        emit32(g, DIFF_DATA_ADDR + off);
        break;
    }
}

/* r/m operand: a register (destination-safe if dst) or memory. */
static void modrm_rm(Gen *g, unsigned reg, unsigned size, bool dst, bool mem)
{
    if (mem) {
        modrm_mem(g, reg, DIFF_MEM_SIZE - 8);
    } else {
        emit(g, 0xC0 | (reg << 3) | (dst ? dst_reg(g, size) : any_reg(g)));
    }
}

static unsigned rnd_size(Gen *g)
{
    static const unsigned s[] = {1, 2, 4};
    return s[rnd_below(g->r, 3)];
}

static unsigned rnd_vsize(Gen *g)
{
    return rnd_below(g->r, 2) ? 4 : 2;
}

static uint32_t alu_flags_undef(unsigned op)
{
    return (op == 1 || op == 4 || op == 6) ? F_AF : 0;
}

/* ---- generators: each emits one instruction (or a tiny idiom) ---- */

static bool g_alu(Gen *g)
{
    unsigned op = rnd_below(g->r, 8);
    if ((op == 2 || op == 3) && !can_read(g, F_CF)) {
        return false;
    }
    unsigned form = rnd_below(g->r, 6);
    unsigned size = (form & 1) ? rnd_vsize(g) : 1;
    bool mem = rnd_below(g->r, 2);
    bool writes_rm = form < 2 && op != 7;
    prefix(g, size);
    emit(g, (uint8_t)(op << 3 | form));
    switch (form) {
    case 0:
    case 1:
        modrm_rm(g, any_reg(g), size, writes_rm, mem);
        break;
    case 2:
    case 3:
        modrm_rm(g, op == 7 ? any_reg(g) : dst_reg(g, size), size, false, mem);
        break;
    default:
        emit_imm(g, size, rnd_val(g->r));
        break;
    }
    fl(g, F_ALL & ~alu_flags_undef(op), alu_flags_undef(op));
    return true;
}

static bool g_grp1(Gen *g)
{
    unsigned op = rnd_below(g->r, 8);
    if ((op == 2 || op == 3) && !can_read(g, F_CF)) {
        return false;
    }
    static const uint8_t opc[] = {0x80, 0x81, 0x83};
    uint8_t o = opc[rnd_below(g->r, 3)];
    unsigned size = o == 0x80 ? 1 : rnd_vsize(g);
    prefix(g, size);
    emit(g, o);
    modrm_rm(g, op, size, op != 7, rnd_below(g->r, 2));
    emit_imm(g, o == 0x81 ? size : 1, rnd_val(g->r));
    fl(g, F_ALL & ~alu_flags_undef(op), alu_flags_undef(op));
    return true;
}

static bool g_test(Gen *g)
{
    unsigned size = rnd_size(g);
    prefix(g, size);
    switch (rnd_below(g->r, 3)) {
    case 0:
        emit(g, size == 1 ? 0x84 : 0x85);
        modrm_rm(g, any_reg(g), size, false, rnd_below(g->r, 2));
        break;
    case 1:
        emit(g, size == 1 ? 0xA8 : 0xA9);
        emit_imm(g, size, rnd_val(g->r));
        break;
    default:
        emit(g, size == 1 ? 0xF6 : 0xF7);
        modrm_rm(g, rnd_below(g->r, 2), size, false, rnd_below(g->r, 2));
        emit_imm(g, size, rnd_val(g->r));
        break;
    }
    fl(g, F_ALL & ~F_AF, F_AF);
    return true;
}

static bool g_incdec(Gen *g)
{
    unsigned size = rnd_size(g);
    bool dec = rnd_below(g->r, 2);
    if (size != 1 && rnd_below(g->r, 2)) {
        prefix(g, size);
        emit(g, (uint8_t)((dec ? 0x48 : 0x40) + dst_reg(g, size)));
    } else {
        prefix(g, size);
        emit(g, size == 1 ? 0xFE : 0xFF);
        modrm_rm(g, dec, size, true, rnd_below(g->r, 2));
    }
    fl(g, F_ALL & ~F_CF, 0);
    return true;
}

static bool g_grp3(Gen *g)
{
    unsigned op = 2 + rnd_below(g->r, 6);
    unsigned size = rnd_size(g);
    if (g->seq && op >= 6) {
        return false; /* #DE ends a sequence */
    }
    prefix(g, size);
    emit(g, size == 1 ? 0xF6 : 0xF7);
    bool mem = rnd_below(g->r, 2);
    if (op >= 4 && !mem) {
        emit(g, (uint8_t)(0xC0 | op << 3 | any_reg(g)));
    } else {
        modrm_rm(g, op, size, true, mem);
    }
    switch (op) {
    case 2:
        break;
    case 3:
        fl(g, F_ALL, 0);
        break;
    case 4:
    case 5:
        fl(g, F_CF | F_OF, F_PF | F_AF | F_ZF | F_SF);
        break;
    default:
        fl(g, 0, F_ALL);
        break;
    }
    return true;
}

static bool g_shift(Gen *g)
{
    unsigned op = rnd_below(g->r, 8);
    unsigned size = rnd_size(g);
    unsigned form = rnd_below(g->r, 3); /* imm, 1, CL */
    unsigned cnt;
    if (form == 2 && g->seq) {
        form = 0;
    }
    if ((op == 2 || op == 3) && !can_read(g, F_CF)) {
        return false;
    }
    prefix(g, size);
    emit(g, form == 0   ? (size == 1 ? 0xC0 : 0xC1)
            : form == 1 ? (size == 1 ? 0xD0 : 0xD1)
                        : (size == 1 ? 0xD2 : 0xD3));
    modrm_rm(g, op, size, true, rnd_below(g->r, 2));
    if (form == 0) {
        cnt = rnd_below(g->r, 4) ? rnd_below(g->r, 34) : rnd(g->r) & 0xFF;
        emit(g, (uint8_t)cnt);
    } else if (form == 1) {
        cnt = 1;
    } else {
        cnt = g->in->regs[1] & 0xFF;
    }
    cnt &= 31;
    unsigned bits = size * 8;
    if (cnt == 0) {
        return true;
    }
    if (op < 4) { /* rotates: CF, OF only */
        fl(g, F_CF | (cnt == 1 ? F_OF : 0), cnt == 1 ? 0 : F_OF);
        return true;
    }
    uint32_t undef = F_AF | (cnt == 1 ? 0 : F_OF);
    if (cnt >= bits) {
        undef |= F_CF;
        if (op != 7) {
            undef |= F_OF;
        }
    }
    fl(g, F_ALL & ~undef, undef);
    return true;
}

static bool g_imul(Gen *g)
{
    unsigned size = rnd_vsize(g);
    prefix(g, size);
    switch (rnd_below(g->r, 3)) {
    case 0:
        emit(g, 0x69);
        modrm_rm(g, dst_reg(g, size), size, false, rnd_below(g->r, 2));
        emit_imm(g, size, rnd_val(g->r));
        break;
    case 1:
        emit(g, 0x6B);
        modrm_rm(g, dst_reg(g, size), size, false, rnd_below(g->r, 2));
        emit(g, (uint8_t)rnd_val(g->r));
        break;
    default:
        emit(g, 0x0F);
        emit(g, 0xAF);
        modrm_rm(g, dst_reg(g, size), size, false, rnd_below(g->r, 2));
        break;
    }
    fl(g, F_CF | F_OF, F_PF | F_AF | F_ZF | F_SF);
    return true;
}

static bool g_shld(Gen *g)
{
    unsigned size = rnd_vsize(g);
    bool cl = !g->seq && rnd_below(g->r, 2);
    bool right = rnd_below(g->r, 2);
    unsigned cnt;
    if (cl) {
        cnt = g->in->regs[1] & 31;
        if (size == 2 && cnt > 16) {
            return false;
        }
    } else {
        cnt = rnd_below(g->r, size == 2 ? 17 : 32);
    }
    prefix(g, size);
    emit(g, 0x0F);
    emit(g, (uint8_t)((right ? 0xAC : 0xA4) + cl));
    modrm_rm(g, any_reg(g), size, true, rnd_below(g->r, 2));
    if (!cl) {
        emit(g, (uint8_t)cnt);
    }
    if (cnt == 0) {
        return true;
    }
    fl(g, F_ALL & ~(F_AF | (cnt == 1 ? 0 : F_OF)),
       F_AF | (cnt == 1 ? 0 : F_OF));
    return true;
}

static bool g_bt(Gen *g)
{
    unsigned size = rnd_vsize(g);
    unsigned op = rnd_below(g->r, 4);
    bool imm8 = rnd_below(g->r, 2);
    prefix(g, size);
    emit(g, 0x0F);
    if (imm8) {
        emit(g, 0xBA);
        modrm_rm(g, 4 + op, size, true, rnd_below(g->r, 2));
        emit(g, (uint8_t)rnd(g->r));
    } else {
        static const uint8_t opc[] = {0xA3, 0xAB, 0xB3, 0xBB};
        emit(g, opc[op]);
        if (rnd_below(g->r, 2) && !g->seq && !g->code16) {
            /* memory with a register bit offset: [ebx+128], offset from
             * a register holding -512..511 */
            unsigned reg = dst_reg(g, 4);
            g->in->regs[reg] = (uint32_t)((int32_t)rnd_below(g->r, 1024) - 512);
            if (size == 2) {
                g->in->regs[reg] = (uint32_t)(int32_t)(int16_t)g->in->regs[reg];
            }
            emit(g, (uint8_t)(0x80 | reg << 3 | 3));
            emit32(g, 128);
        } else {
            emit(g, (uint8_t)(0xC0 | any_reg(g) << 3 | dst_reg(g, size)));
        }
    }
    fl(g, F_CF, F_OF | F_SF | F_AF | F_PF);
    return true;
}

static bool g_bsf(Gen *g)
{
    unsigned size = rnd_vsize(g);
    /* F3 0F BC/BD (TZCNT/LZCNT) must run as BSF/BSR without BMI1; the
     * host has BMI1, so only the emulator sees the prefix. */
    if (!g->seq && g->in->code_len == 0 && rnd_below(g->r, 4) == 0) {
        g->in->emu_prefix = 0xF3;
    }
    prefix(g, size);
    emit(g, 0x0F);
    bool rev = rnd_below(g->r, 2);
    emit(g, rev ? 0xBD : 0xBC);
    modrm_rm(g, dst_reg(g, size), size, false, rnd_below(g->r, 2));
    fl(g, F_ZF, F_CF | F_OF | F_SF | F_AF | F_PF);
    return true;
}

static bool g_cmov(Gen *g)
{
    unsigned cc = rnd_below(g->r, 16);
    if (!can_read(g, cond_reads(cc))) {
        return false;
    }
    unsigned size = rnd_vsize(g);
    prefix(g, size);
    emit(g, 0x0F);
    emit(g, (uint8_t)(0x40 + cc));
    modrm_rm(g, dst_reg(g, size), size, false, rnd_below(g->r, 2));
    return true;
}

static bool g_setcc(Gen *g)
{
    unsigned cc = rnd_below(g->r, 16);
    if (!can_read(g, cond_reads(cc))) {
        return false;
    }
    emit(g, 0x0F);
    emit(g, (uint8_t)(0x90 + cc));
    modrm_rm(g, 0, 1, true, rnd_below(g->r, 2));
    return true;
}

static bool g_jcc(Gen *g)
{
    unsigned cc = rnd_below(g->r, 16);
    if (!can_read(g, cond_reads(cc))) {
        return false;
    }
    unsigned r = dst_reg(g, 4);
    unsigned skip = g->code16 ? 3 : 5;
    if (rnd_below(g->r, 2)) {
        emit(g, (uint8_t)(0x70 + cc));
        emit(g, (uint8_t)skip);
    } else {
        emit(g, 0x0F);
        emit(g, (uint8_t)(0x80 + cc));
        emit_imm(g, g->code16 ? 2 : 4, skip);
    }
    emit_marker(g, r); /* skipped if taken */
    return true;
}

static bool g_xchg(Gen *g)
{
    unsigned size = rnd_size(g);
    switch (rnd_below(g->r, 3)) {
    case 0:
        prefix(g, size);
        emit(g, size == 1 ? 0x86 : 0x87);
        modrm_rm(g, dst_reg(g, size), size, true, rnd_below(g->r, 2));
        break;
    case 1:
        size = rnd_vsize(g);
        prefix(g, size);
        emit(g, (uint8_t)(0x90 + dst_reg(g, size)));
        break;
    default: /* XADD */
        prefix(g, size);
        emit(g, 0x0F);
        emit(g, size == 1 ? 0xC0 : 0xC1);
        modrm_rm(g, dst_reg(g, size), size, true, rnd_below(g->r, 2));
        fl(g, F_ALL, 0);
        break;
    }
    return true;
}

static bool g_cmpxchg(Gen *g)
{
    unsigned size = rnd_size(g);
    bool mem = rnd_below(g->r, 2);
    if (mem && !g->code16 && rnd_below(g->r, 2)) {
        /* make the comparison succeed sometimes */
        uint32_t off = rnd_below(g->r, DIFF_MEM_SIZE - 8);
        memcpy(&g->in->regs[0], &g->in->data[off], 4);
        prefix(g, size);
        if (rnd_below(g->r, 4) == 0) {
            emit(g, 0xF0); /* LOCK */
        }
        emit(g, 0x0F);
        emit(g, size == 1 ? 0xB0 : 0xB1);
        emit(g, (uint8_t)(0x80 | dst_reg(g, size) << 3 | 3));
        emit32(g, off);
    } else {
        prefix(g, size);
        emit(g, 0x0F);
        emit(g, size == 1 ? 0xB0 : 0xB1);
        modrm_rm(g, any_reg(g), size, true, mem);
    }
    fl(g, F_ALL, 0);
    return true;
}

static bool g_cmpxchg8b(Gen *g)
{
    uint32_t off = rnd_below(g->r, DIFF_MEM_SIZE - 8);
    if (rnd_below(g->r, 2)) {
        memcpy(&g->in->regs[0], &g->in->data[off], 4);
        memcpy(&g->in->regs[2], &g->in->data[off + 4], 4);
    }
    if (rnd_below(g->r, 2)) {
        emit(g, 0xF0);
    }
    emit(g, 0x0F);
    emit(g, 0xC7);
    if (g->code16) {
        emit(g, 0x0E); /* mod 0, reg 1, [disp16] */
        emit(g, (uint8_t)off);
        emit(g, (uint8_t)(off >> 8));
    } else {
        emit(g, 0x8B); /* mod 2, reg 1, [ebx + disp32] */
        emit32(g, off);
    }
    fl(g, F_ZF, 0);
    return true;
}

static bool g_bswap(Gen *g)
{
    if (g->code16) {
        emit(g, 0x66);
    }
    emit(g, 0x0F);
    emit(g, (uint8_t)(0xC8 + dst_reg(g, 4)));
    return true;
}

static bool g_movx(Gen *g)
{
    unsigned size = rnd_vsize(g);
    static const uint8_t opc[] = {0xB6, 0xB7, 0xBE, 0xBF};
    uint8_t o = opc[rnd_below(g->r, 4)];
    prefix(g, size);
    emit(g, 0x0F);
    emit(g, o);
    modrm_rm(g, dst_reg(g, size), (o & 1) ? 2 : 1, false, rnd_below(g->r, 2));
    return true;
}

static bool g_lea(Gen *g)
{
    unsigned size = rnd_vsize(g);
    unsigned mod = rnd_below(g->r, 3), rm = rnd_below(g->r, 8);
    prefix(g, size);
    if (g->code16) {
        emit(g, 0x67); /* the 32-bit addressing forms below */
    }
    emit(g, 0x8D);
    emit(g, (uint8_t)(mod << 6 | dst_reg(g, size) << 3 | rm));
    if (rm == 4) {
        uint8_t sib = (uint8_t)rnd(g->r);
        emit(g, sib);
        if ((sib & 7) == 5 && mod == 0) {
            emit32(g, rnd(g->r));
        }
    }
    if (mod == 0 && rm == 5) {
        emit32(g, rnd(g->r));
    } else if (mod == 1) {
        emit(g, (uint8_t)rnd(g->r));
    } else if (mod == 2) {
        emit32(g, rnd(g->r));
    }
    return true;
}

static bool g_mov(Gen *g)
{
    unsigned size = rnd_size(g);
    switch (rnd_below(g->r, 6)) {
    case 0:
        prefix(g, size);
        emit(g, size == 1 ? 0x88 : 0x89);
        modrm_rm(g, any_reg(g), size, true, rnd_below(g->r, 2));
        break;
    case 1:
        prefix(g, size);
        emit(g, size == 1 ? 0x8A : 0x8B);
        modrm_rm(g, dst_reg(g, size), size, false, rnd_below(g->r, 2));
        break;
    case 2:
        prefix(g, size);
        emit(g, size == 1 ? 0xC6 : 0xC7);
        modrm_rm(g, 0, size, true, rnd_below(g->r, 2));
        emit_imm(g, size, rnd_val(g->r));
        break;
    case 3:
        prefix(g, size);
        emit(g, (uint8_t)((size == 1 ? 0xB0 : 0xB8) + dst_reg(g, size)));
        emit_imm(g, size, rnd_val(g->r));
        break;
    default: /* moffs */
        prefix(g, size);
        emit(g, (uint8_t)((rnd_below(g->r, 2) ? 0xA0 : 0xA2) + (size != 1)));
        if (g->code16) {
            emit_imm(g, 2, rnd_below(g->r, DIFF_MEM_SIZE - 4));
        } else {
            emit32(g, DIFF_DATA_ADDR + rnd_below(g->r, DIFF_MEM_SIZE - 4));
        }
        break;
    }
    return true;
}

static bool g_conv(Gen *g)
{
    unsigned size = rnd_vsize(g);
    prefix(g, size);
    emit(g, rnd_below(g->r, 2) ? 0x98 : 0x99);
    return true;
}

static bool g_flagop(Gen *g)
{
    switch (rnd_below(g->r, 8)) {
    case 0:
        emit(g, 0xF8); /* CLC */
        fl(g, F_CF, 0);
        break;
    case 1:
        emit(g, 0xF9);
        fl(g, F_CF, 0);
        break;
    case 2:
        if (!can_read(g, F_CF)) {
            return false;
        }
        emit(g, 0xF5);
        break;
    case 3:
        emit(g, 0x9E); /* SAHF */
        fl(g, F_CF | F_PF | F_AF | F_ZF | F_SF, 0);
        break;
    case 4:
        if (!can_read(g, F_CF | F_PF | F_AF | F_ZF | F_SF)) {
            return false;
        }
        emit(g, 0x9F); /* LAHF */
        break;
    case 5:
        if (!can_read(g, F_CF)) {
            return false;
        }
        emit(g, 0xD6); /* SALC */
        break;
    case 6:
        emit(g, 0xFC);
        break;
    default:
        emit(g, 0xFD);
        break;
    }
    return true;
}

static bool g_stack(Gen *g)
{
    unsigned size = rnd_vsize(g);
    unsigned r = dst_reg(g, size);
    switch (rnd_below(g->r, 7)) {
    case 0: /* push reg; pop reg */
        prefix(g, size);
        emit(g, (uint8_t)(0x50 + any_reg(g)));
        prefix(g, size);
        emit(g, (uint8_t)(0x58 + r));
        break;
    case 1: /* push imm; pop mem */
        prefix(g, size);
        if (rnd_below(g->r, 2)) {
            emit(g, 0x6A);
            emit(g, (uint8_t)rnd(g->r));
        } else {
            emit(g, 0x68);
            emit_imm(g, size, rnd(g->r));
        }
        prefix(g, size);
        emit(g, 0x8F);
        modrm_rm(g, 0, size, true, rnd_below(g->r, 2));
        break;
    case 2: /* push mem; pop reg */
        prefix(g, size);
        emit(g, 0xFF);
        modrm_rm(g, 6, size, false, true);
        prefix(g, size);
        emit(g, (uint8_t)(0x58 + r));
        break;
    case 3: /* pusha; popa (EBX and ESP restored) */
        prefix(g, size);
        emit(g, 0x60);
        emit_marker(g, r);
        prefix(g, size);
        emit(g, 0x61);
        break;
    case 4: /* push flags image; popfd */
        if (g->seq || g->code16) {
            return false;
        }
        emit(g, 0x68);
        emit32(g, (rnd(g->r) & (F_ALL | F_DF)) | 2);
        emit(g, 0x9D);
        fl(g, F_ALL, 0);
        break;
    case 5: /* enter / leave */
        if (g->seq || g->code16) {
            return false;
        }
        g->in->regs[5] = DIFF_ESP + 0x40 - 4 * rnd_below(g->r, 8);
        prefix(g, size);
        emit(g, 0xC8);
        emit(g, (uint8_t)rnd_below(g->r, 32));
        emit(g, 0);
        emit(g, (uint8_t)rnd_below(g->r, 4));
        if (rnd_below(g->r, 2)) {
            prefix(g, size);
            emit(g, 0xC9);
        } else {
            /* restore ESP/EBP by hand so the stack window is checked */
            emit(g, 0x89); /* mov eax, ebp */
            emit(g, 0xE8);
        }
        break;
    default: /* call next; pop reg / push addr; ret */
        if (g->code16) {
            return false;
        }
        if (rnd_below(g->r, 2)) {
            emit(g, 0xE8);
            emit32(g, 0);
            emit(g, (uint8_t)(0x58 + dst_reg(g, 4)));
        } else {
            uint32_t target = DIFF_CODE_ADDR + g->in->code_len + 5 + 3 + 1;
            bool imm = rnd_below(g->r, 2);
            target += imm ? 2 : 0;
            emit(g, 0x68);
            emit32(g, target);
            emit(g, 0x90);
            emit(g, 0x90);
            emit(g, 0x90);
            if (imm) {
                emit(g, 0xC2);
                emit(g, 0);
                emit(g, 0);
            } else {
                emit(g, 0xC3);
            }
        }
        break;
    }
    return true;
}

static bool g_string(Gen *g)
{
    static const uint8_t ops[] = {0xA4, 0xA6, 0xAA, 0xAC, 0xAE};
    uint8_t op = ops[rnd_below(g->r, 5)];
    unsigned size = rnd_size(g);
    bool down = rnd_below(g->r, 2);
    unsigned rep = rnd_below(g->r, 3); /* none, F3, F2 */
    if (g->seq) {
        return false;
    }
    if (rep == 2 && !(op == 0xA6 || op == 0xAE)) {
        rep = 1;
    }
    uint32_t cnt = rnd_below(g->r, 10);
    g->in->regs[1] = cnt;
    uint32_t span = cnt * size + 4;
    uint32_t lo = down ? span : 0;
    uint32_t hi = down ? DIFF_MEM_SIZE - 4 : DIFF_MEM_SIZE - span;
    g->in->regs[6] = DIFF_DATA_ADDR + lo + rnd_below(g->r, hi - lo);
    g->in->regs[7] = DIFF_DATA_ADDR + lo + rnd_below(g->r, hi - lo);
    emit(g, down ? 0xFD : 0xFC);
    if (rep) {
        emit(g, rep == 1 ? 0xF3 : 0xF2);
    }
    prefix(g, size);
    emit(g, (uint8_t)(op + (size != 1)));
    if (op == 0xA6 || op == 0xAE) {
        if (!(rep && cnt == 0)) {
            fl(g, F_ALL, 0);
        }
    }
    return true;
}

static bool g_bcd(Gen *g)
{
    switch (rnd_below(g->r, 6)) {
    case 0:
    case 1:
        if (!can_read(g, F_CF | F_AF)) {
            return false;
        }
        emit(g, rnd_below(g->r, 2) ? 0x27 : 0x2F);
        fl(g, F_ALL & ~F_OF, F_OF);
        break;
    case 2:
    case 3:
        if (!can_read(g, F_AF)) {
            return false;
        }
        emit(g, rnd_below(g->r, 2) ? 0x37 : 0x3F);
        fl(g, F_AF | F_CF, F_OF | F_SF | F_ZF | F_PF);
        break;
    case 4:
        if (g->seq) {
            return false;
        }
        emit(g, 0xD4);
        emit(g, (uint8_t)(rnd_below(g->r, 4) ? 10 : rnd(g->r)));
        fl(g, F_SF | F_ZF | F_PF, F_OF | F_AF | F_CF);
        break;
    default:
        emit(g, 0xD5);
        emit(g, (uint8_t)(rnd_below(g->r, 4) ? 10 : rnd(g->r)));
        fl(g, F_SF | F_ZF | F_PF, F_OF | F_AF | F_CF);
        break;
    }
    return true;
}

static bool g_misc(Gen *g)
{
    switch (rnd_below(g->r, 6)) {
    case 0:
        emit(g, 0xD7); /* XLAT */
        break;
    case 1: { /* LOOP family: skip a mov when taken */
        uint8_t o = (uint8_t)(0xE0 + rnd_below(g->r, 4));
        if (o != 0xE2 && o != 0xE3 && !can_read(g, F_ZF)) {
            return false;
        }
        if (g->seq) {
            return false;
        }
        g->in->regs[1] = rnd_below(g->r, 3);
        emit(g, o);
        emit(g, g->code16 ? 3 : 5);
        emit_marker(g, dst_reg(g, 4));
        break;
    }
    case 2:
        emit(g, 0x90);
        break;
    case 3:
        emit(g, 0x66);
        emit(g, 0x90);
        break;
    case 4: /* NOPL */
        emit(g, 0x0F);
        emit(g, 0x1F);
        modrm_rm(g, 0, 4, false, true);
        break;
    default: /* jmp over a mov */
        emit(g, 0xEB);
        emit(g, g->code16 ? 3 : 5);
        emit_marker(g, dst_reg(g, 4));
        break;
    }
    return true;
}

static bool g_div(Gen *g)
{
    unsigned size = rnd_size(g);
    bool sign = rnd_below(g->r, 2);
    /* keep the quotient in range most of the time */
    if (rnd_below(g->r, 4)) {
        g->in->regs[2] = sign ? (uint32_t) - (int32_t)rnd_below(g->r, 2) : 0;
        if (size == 1) {
            g->in->regs[0] &= 0xFF;
        }
    }
    prefix(g, size);
    emit(g, size == 1 ? 0xF6 : 0xF7);
    modrm_rm(g, sign ? 7 : 6, size, false, rnd_below(g->r, 2));
    fl(g, 0, F_ALL);
    return true;
}

/* CALL/JMP through a register or memory, skipping a MOV */
static bool g_indirect(Gen *g)
{
    if (g->code16) {
        return false;
    }
    bool call = rnd_below(g->r, 2);
    /* in a sequence an earlier store could change a target in memory */
    bool mem = !g->seq && rnd_below(g->r, 2);
    unsigned len = mem ? 6 : 2; /* FF /r with [ebx+disp32] or a register */
    unsigned reg = dst_reg(g, 4);
    uint32_t target;
    if (!mem) {
        /* mov reg, target; call/jmp reg */
        target = DIFF_CODE_ADDR + g->in->code_len + 5 + len + 5;
        emit(g, (uint8_t)(0xB8 + reg));
        emit32(g, target);
        emit(g, 0xFF);
        emit(g, (uint8_t)(0xC0 | (call ? 2 : 4) << 3 | reg));
    } else {
        uint32_t off = rnd_below(g->r, DIFF_MEM_SIZE - 4);
        target = DIFF_CODE_ADDR + g->in->code_len + len + 5;
        memcpy(&g->in->data[off], &target, 4);
        emit(g, 0xFF);
        emit(g, (uint8_t)(0x80 | (call ? 2 : 4) << 3 | 3));
        emit32(g, off);
    }
    emit(g, (uint8_t)(0xB8 + dst_reg(g, 4))); /* skipped */
    emit32(g, 0x5A5A5A5A);
    return true;
}

/*
 * 16-bit addressing (67 prefix) through FS, which both sides set up as a
 * data segment based at the data window (host: an LDT entry).  Register
 * values are chosen so the 16-bit sum, wrapped, lands in the window.
 */
static bool g_addr16(Gen *g)
{
    if (g->code16) {
        return false;
    }
    static const uint8_t base16[8] = {3, 3, 5, 5, 6, 7, 5, 3};
    static const int8_t index16[8] = {6, 7, 6, 7, -1, -1, -1, -1};
    if (g->seq) {
        return false;
    }
    unsigned rm = rnd_below(g->r, 8), mod = rnd_below(g->r, 3);
    uint16_t target = (uint16_t)rnd_below(g->r, DIFF_MEM_SIZE - 8);
    uint16_t sum = 0;
    uint32_t disp = 0;
    unsigned b = base16[rm];
    int ix = index16[rm];
    bool disp_only = mod == 0 && rm == 6;
    if (ix >= 0) {
        uint16_t iv = (uint16_t)rnd(g->r);
        g->in->regs[ix] = (g->in->regs[ix] & 0xFFFF0000u) | iv;
        sum = iv;
    }
    if (mod == 1) {
        disp = (uint32_t)(int8_t)rnd(g->r);
    } else if (mod == 2 || disp_only) {
        disp = rnd(g->r) & 0xFFFF;
    }
    if (disp_only) {
        disp = target;
    } else {
        /* base register makes up the difference (mod 64 KiB) */
        uint16_t bv = (uint16_t)(target - sum - disp);
        g->in->regs[b] = (g->in->regs[b] & 0xFFFF0000u) | bv;
    }
    unsigned size = rnd_size(g);
    unsigned reg = size == 1 ? 0 : dst_reg(g, size);
    uint8_t op;
    unsigned aop = 0;
    switch (rnd_below(g->r, 4)) {
    case 0:
        op = size == 1 ? 0x8A : 0x8B;
        break;
    case 1:
        op = size == 1 ? 0x88 : 0x89;
        break;
    case 2:
        aop = rnd_below(g->r, 8);
        if ((aop == 2 || aop == 3) && !can_read(g, F_CF)) {
            return false;
        }
        op = (uint8_t)(aop << 3 | (size == 1 ? 0 : 1));
        fl(g, F_ALL & ~alu_flags_undef(aop), alu_flags_undef(aop));
        break;
    default:
        op = 0x8D; /* LEA: the 16-bit address itself */
        if (size == 1) {
            size = 2;
            reg = dst_reg(g, 2);
        }
        break;
    }
    if (op != 0x8D) {
        emit(g, 0x64); /* FS */
    }
    if (size == 2) {
        emit(g, 0x66);
    }
    emit(g, 0x67);
    emit(g, op);
    emit(g, (uint8_t)(mod << 6 | reg << 3 | rm));
    if (mod == 1) {
        emit(g, (uint8_t)disp);
    } else if (mod == 2 || disp_only) {
        emit(g, (uint8_t)disp);
        emit(g, (uint8_t)(disp >> 8));
    }
    /* the instruction may have changed BX: restore EBX for the harness */
    emit(g, 0xBB);
    emit32(g, DIFF_DATA_ADDR);
    return true;
}

typedef bool (*GenFn)(Gen *g);

typedef struct Form {
    const char *name;
    GenFn fn;
    unsigned weight; /* directed cases per round */
    bool in_seq;
    bool in16; /* also in 16-bit code */
} Form;

static const Form forms[] = {
    {"alu", g_alu, 16, true, true},
    {"grp1", g_grp1, 12, true, true},
    {"test", g_test, 4, true, true},
    {"incdec", g_incdec, 4, true, true},
    {"grp3", g_grp3, 8, true, true},
    {"div", g_div, 8, false, true},
    {"shift", g_shift, 20, true, true},
    {"imul", g_imul, 4, true, true},
    {"shld", g_shld, 8, true, true},
    {"bt", g_bt, 8, true, true},
    {"bsf", g_bsf, 4, true, true},
    {"cmov", g_cmov, 6, true, true},
    {"setcc", g_setcc, 4, true, true},
    {"jcc", g_jcc, 6, true, true},
    {"xchg", g_xchg, 4, true, true},
    {"cmpxchg", g_cmpxchg, 4, true, true},
    {"cmpxchg8b", g_cmpxchg8b, 2, true, true},
    {"bswap", g_bswap, 1, true, true},
    {"movx", g_movx, 4, true, true},
    {"lea", g_lea, 6, true, true},
    {"mov", g_mov, 6, true, true},
    {"conv", g_conv, 2, true, true},
    {"flagop", g_flagop, 4, true, true},
    {"stack", g_stack, 8, true, true},
    {"string", g_string, 10, false, true},
    {"bcd", g_bcd, 6, true, true},
    {"misc", g_misc, 4, true, true},
    {"indirect", g_indirect, 3, true, false},
    {"addr16", g_addr16, 8, false, false},
};

static void init_case(Gen *g, DiffIn *in, Rng *r)
{
    memset(in, 0, sizeof(*in));
    g->r = r;
    g->in = in;
    g->defined = F_ALL;
    for (int i = 0; i < 8; i++) {
        in->regs[i] = rnd_val(r);
    }
    in->regs[3] = DIFF_DATA_ADDR;
    in->regs[4] = DIFF_ESP;
    in->eflags = 0x2 | (rnd(r) & F_ALL);
    for (unsigned i = 0; i < DIFF_MEM_SIZE; i++) {
        in->data[i] = (uint8_t)rnd_val(r);
        in->stack[i] = (uint8_t)rnd(r);
    }
}

/* ---------------- running both sides ---------------- */

typedef struct Host {
    GPid pid;
    int to, from;
} Host;

static void host_start(Host *h)
{
    char *argv[] = {g_strdup(EMU_DIFF_HOST), NULL};
    GError *err = NULL;
    bool ok =
        g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 &h->pid, &h->to, &h->from, NULL, &err);
    g_free(argv[0]);
    if (!ok) {
        cr_assert_fail("cannot start %s: %s", EMU_DIFF_HOST, err->message);
    }
}

static void io_full(int fd, void *buf, size_t len, bool wr)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);
        cr_assert_gt(n, 0, "diff_host pipe closed");
        p += n;
        len -= (size_t)n;
    }
}

static void host_stop(Host *h)
{
    close(h->to);
    close(h->from);
    g_spawn_close_pid(h->pid);
}

/* CPU state every case starts from (flat 32-bit, tables set up). */
static CpuState emu_base;

static void emu_setup(TestVm *vm)
{
    static const uint64_t gdt[4] = {0, 0, 0x00CF9A000000FFFFull,
                                    0x00CF92000000FFFFull};
    vm_load(vm, 0x800, gdt, sizeof(gdt));
    for (uint32_t v = 0; v < 32; v++) {
        uint32_t h = IDT_STUBS + v * 16;
        vm_wr32(vm, 0x1000 + v * 8, (h & 0xFFFF) | 0x100000);
        vm_wr32(vm, 0x1000 + v * 8 + 4, (h & 0xFFFF0000) | 0x8E00);
        uint8_t hlt = 0xF4;
        vm_load(vm, h, &hlt, 1);
    }
    cpu_set_flat32(vm->cpu, DIFF_CODE_ADDR);
    cpu_get_state(vm->cpu, &emu_base);
    emu_base.gdt_base = 0x800;
    emu_base.gdt_limit = 31;
    emu_base.idt_base = 0x1000;
    emu_base.idt_limit = 32 * 8 - 1;
    /* FS as the host helper sets it up (see g_addr16) */
    emu_base.seg[CPU_FS].sel = 7;
    emu_base.seg[CPU_FS].base = DIFF_DATA_ADDR;
    emu_base.seg[CPU_FS].limit = 0xFFFF;
    emu_base.seg[CPU_FS].flags = 0x40F300; /* P, DPL 3, data RW, B */
}

static void emu_run(TestVm *vm, const DiffIn *in, DiffOut *out)
{
    uint8_t code[DIFF_CODE_MAX + 2];
    unsigned pre = in->emu_prefix ? 1 : 0;
    code[0] = in->emu_prefix;
    memcpy(code + pre, in->code, in->code_len);
    code[pre + in->code_len] = 0xF4;
    vm_load(vm, DIFF_CODE_ADDR, code, pre + in->code_len + 1);
    vm_load(vm, DIFF_DATA_ADDR, in->data, DIFF_MEM_SIZE);
    vm_load(vm, DIFF_STACK_CMP, in->stack, DIFF_MEM_SIZE);
    CpuState s = emu_base;
    memcpy(s.r, in->regs, sizeof(s.r));
    s.eip = DIFF_CODE_ADDR;
    if (in->code16) {
        /* as diff_host sets it up: 16-bit CS at the code, DS/ES = data */
        s.eip = 0;
        s.seg[CPU_CS].base = DIFF_CODE_ADDR;
        s.seg[CPU_CS].limit = 0xFFFF;
        s.seg[CPU_CS].flags = 0x9B00; /* P, DPL 0, code RX accessed */
        s.seg[CPU_CS].sel = 0x08;
        for (int sg = CPU_ES; sg <= CPU_DS; sg += CPU_DS - CPU_ES) {
            s.seg[sg].sel = 7;
            s.seg[sg].base = DIFF_DATA_ADDR;
            s.seg[sg].limit = 0xFFFF;
            s.seg[sg].flags = 0x40F300;
        }
    }
    s.eflags = in->eflags;
    cpu_set_state(vm->cpu, &s);
    CpuStop st = vm_run(vm, 100000);
    cr_assert_eq(st, CPU_STOP_HALT, "case did not end in HLT");
    cpu_get_state(vm->cpu, &s);
    memcpy(out->regs, s.r, sizeof(out->regs));
    out->eflags = s.eflags;
    if (s.eip == (in->code16 ? 0 : DIFF_CODE_ADDR) + pre + in->code_len + 1) {
        out->fault = DIFF_FAULT_NONE;
    } else if (s.eip > IDT_STUBS && s.eip <= IDT_STUBS + 32 * 16) {
        uint32_t v = (s.eip - IDT_STUBS - 1) / 16;
        out->fault = (v == 0 || v == 6) ? (int32_t)v : DIFF_FAULT_OTHER;
    } else {
        out->fault = DIFF_FAULT_OTHER;
    }
    cr_assert(mem_dma_read(vm->mem, DIFF_DATA_ADDR, out->data, DIFF_MEM_SIZE));
    cr_assert(mem_dma_read(vm->mem, DIFF_STACK_CMP, out->stack, DIFF_MEM_SIZE));
}

static GString *hex(const uint8_t *p, unsigned n)
{
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < n; i++) {
        g_string_append_printf(s, "%02x ", p[i]);
    }
    return s;
}

/* Compare; returns false (and reports) on a mismatch. */
static bool compare(const DiffIn *in, const DiffOut *h, const DiffOut *e,
                    uint32_t fmask, const char *what)
{
    const char *why = NULL;
    char buf[160];
    if (h->fault != e->fault) {
        snprintf(buf, sizeof(buf), "fault host %d emu %d", h->fault, e->fault);
        why = buf;
    } else if (h->fault == DIFF_FAULT_NONE) {
        for (int i = 0; i < 8 && !why; i++) {
            if (h->regs[i] != e->regs[i]) {
                snprintf(buf, sizeof(buf), "reg %d host %08x emu %08x", i,
                         h->regs[i], e->regs[i]);
                why = buf;
            }
        }
        if (!why && ((h->eflags ^ e->eflags) & fmask)) {
            snprintf(buf, sizeof(buf), "eflags host %08x emu %08x (mask %03x)",
                     h->eflags, e->eflags, fmask);
            why = buf;
        }
        if (!why && memcmp(h->data, e->data, DIFF_MEM_SIZE)) {
            why = "data memory";
        }
        if (!why && memcmp(h->stack, e->stack, DIFF_MEM_SIZE)) {
            why = "stack memory";
        }
    }
    if (!why) {
        return true;
    }
    GString *code = hex(in->code, in->code_len);
    cr_log_error("%s mismatch: %s\n  code: %s\n  in: eax %08x ecx %08x "
                 "edx %08x ebx %08x esp %08x ebp %08x esi %08x edi %08x "
                 "fl %08x",
                 what, why, code->str, in->regs[0], in->regs[1], in->regs[2],
                 in->regs[3], in->regs[4], in->regs[5], in->regs[6],
                 in->regs[7], in->eflags);
    g_string_free(code, TRUE);
    return false;
}

typedef struct Batch {
    DiffIn in[BATCH];
    uint32_t mask[BATCH];
    const char *name[BATCH];
    unsigned n;
} Batch;

static unsigned run_batch(Host *h, TestVm *vm, Batch *b)
{
    static DiffOut hout[BATCH];
    DiffOut eout;
    unsigned bad = 0;
    io_full(h->to, b->in, sizeof(DiffIn) * b->n, true);
    io_full(h->from, hout, sizeof(DiffOut) * b->n, false);
    for (unsigned i = 0; i < b->n; i++) {
        emu_run(vm, &b->in[i], &eout);
        if (!compare(&b->in[i], &hout[i], &eout, b->mask[i], b->name[i])) {
            bad++;
        }
    }
    b->n = 0;
    return bad;
}

static unsigned run_cases(bool sequences, bool code16, unsigned rounds,
                          uint64_t seed, unsigned *total)
{
    Host h;
    TestVm *vm = vm_new(8 * 1024 * 1024);
    Batch *b = g_new0(Batch, 1);
    Rng r = {seed};
    unsigned bad = 0, n = 0;
    host_start(&h);
    emu_setup(vm);
    for (unsigned round = 0; round < rounds && bad < 20; round++) {
        for (unsigned f = 0; f < G_N_ELEMENTS(forms); f++) {
            unsigned reps = sequences ? 1 : forms[f].weight;
            if (code16 && !forms[f].in16) {
                continue;
            }
            for (unsigned k = 0; k < reps; k++) {
                Gen g;
                DiffIn *in = &b->in[b->n];
                init_case(&g, in, &r);
                g.seq = sequences;
                in->code16 = code16;
                g.code16 = code16;
                if (!sequences) {
                    while (!forms[f].fn(&g)) {
                        init_case(&g, in, &r);
                        g.seq = sequences;
                        in->code16 = code16;
                        g.code16 = code16;
                    }
                    b->name[b->n] = forms[f].name;
                } else {
                    unsigned len = 2 + rnd_below(&r, 7);
                    for (unsigned i = 0; i < len && in->code_len < 64; i++) {
                        const Form *fm;
                        do {
                            fm = &forms[rnd_below(&r, G_N_ELEMENTS(forms))];
                        } while (!fm->in_seq || (code16 && !fm->in16));
                        DiffIn save = *in;
                        uint32_t def = g.defined;
                        if (!fm->fn(&g)) {
                            *in = save;
                            g.defined = def;
                        }
                    }
                    b->name[b->n] = "sequence";
                }
                b->mask[b->n] = (g.defined & F_ALL) | F_DF;
                n++;
                if (++b->n == BATCH) {
                    bad += run_batch(&h, vm, b);
                }
            }
        }
    }
    if (b->n) {
        bad += run_batch(&h, vm, b);
    }
    host_stop(&h);
    g_free(b);
    vm_free(vm);
    *total = n;
    return bad;
}

Test(cpu_diff, every_integer_form_matches_the_host_cpu, .timeout = 120)
{
    unsigned total;
    unsigned bad = run_cases(false, false, 600, 0x1234567887654321ull, &total);
    cr_log_info("directed cases: %u, mismatches: %u", total, bad);
    cr_assert_geq(total, 100000);
    cr_assert_eq(bad, 0, "%u mismatches (see log)", bad);
}

Test(cpu_diff, random_sequences_match_the_host_cpu, .timeout = 120)
{
    unsigned total;
    unsigned bad = run_cases(true, false, 2500, 0xC0FFEE0123456789ull, &total);
    cr_log_info("sequence cases: %u, mismatches: %u", total, bad);
    cr_assert_geq(total, 60000);
    cr_assert_eq(bad, 0, "%u mismatches (see log)", bad);
}

Test(cpu_diff, sixteen_bit_code_matches_the_host_cpu, .timeout = 120)
{
    unsigned total, t2;
    unsigned bad = run_cases(false, true, 150, 0x5EED16ull, &total);
    bad += run_cases(true, true, 600, 0x5EED1616ull, &t2);
    total += t2;
    cr_log_info("16-bit cases: %u, mismatches: %u", total, bad);
    cr_assert_geq(total, 30000);
    cr_assert_eq(bad, 0, "%u mismatches (see log)", bad);
}
