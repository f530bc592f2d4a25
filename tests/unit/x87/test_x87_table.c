/*
 * x87 results against the host CPU: every instruction form runs once
 * natively (FRSTOR, the same two instruction bytes, FNSAVE) and once
 * through x87_exec driven like the interpreter drives it (FRSTOR from guest
 * memory, the instruction, FNSAVE to guest memory).  Control, status and
 * tag words, all eight registers, the memory operand and EFLAGS must match
 * bit for bit, over normal, denormal, zero, infinite, NaN and unsupported
 * operands, all rounding and precision modes, masked and unmasked
 * exceptions, and empty or full stacks.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "x87_harness.h"

enum { K_REG, K_LOAD, K_STORE };
enum { T_NONE, T_R32, T_R64, T_R80, T_I16, T_I32, T_I64, T_BCD, T_CW };

typedef uint64_t (*NativeFn)(uint8_t *img, uint8_t *mem, uint64_t flags);

/*
 * Native runner for one encoding: memory forms use ModRM mod=00 rm=110,
 * which is [rsi] on the host.  The red zone is stepped over before the
 * flags are pushed.
 */
#define NATIVE(name, b0, b1, k, t)                                             \
    static uint64_t nat_##name(uint8_t *img, uint8_t *mem, uint64_t fl)        \
    {                                                                          \
        __asm__ volatile("sub $128, %%rsp\n\t"                                 \
                         "frstor (%%rdi)\n\t"                                  \
                         "push %%rcx\n\t"                                      \
                         "popfq\n\t"                                           \
                         ".byte " #b0 ", " #b1 "\n\t"                          \
                         "pushfq\n\t"                                          \
                         "pop %%rcx\n\t"                                       \
                         "fnsave (%%rdi)\n\t"                                  \
                         "add $128, %%rsp"                                     \
                         : "+c"(fl)                                            \
                         : "D"(img), "S"(mem)                                  \
                         : "memory", "cc", "rax");                             \
        return fl;                                                             \
    }

// clang-format off
#define FORMS(X) \
    X(fadd_st0_st1, 0xD8, 0xC1, K_REG, T_NONE) \
    X(fadd_st0_st0, 0xD8, 0xC0, K_REG, T_NONE) \
    X(fmul_st0_st1, 0xD8, 0xC9, K_REG, T_NONE) \
    X(fcom_st1, 0xD8, 0xD1, K_REG, T_NONE) \
    X(fcomp_st1, 0xD8, 0xD9, K_REG, T_NONE) \
    X(fsub_st0_st1, 0xD8, 0xE1, K_REG, T_NONE) \
    X(fsubr_st0_st1, 0xD8, 0xE9, K_REG, T_NONE) \
    X(fdiv_st0_st1, 0xD8, 0xF1, K_REG, T_NONE) \
    X(fdivr_st0_st1, 0xD8, 0xF9, K_REG, T_NONE) \
    X(fadd_st1_st0, 0xDC, 0xC1, K_REG, T_NONE) \
    X(fmul_st2_st0, 0xDC, 0xCA, K_REG, T_NONE) \
    X(fsubr_st1_st0, 0xDC, 0xE1, K_REG, T_NONE) \
    X(fsub_st1_st0, 0xDC, 0xE9, K_REG, T_NONE) \
    X(fdivr_st1_st0, 0xDC, 0xF1, K_REG, T_NONE) \
    X(fdiv_st1_st0, 0xDC, 0xF9, K_REG, T_NONE) \
    X(faddp, 0xDE, 0xC1, K_REG, T_NONE) \
    X(fmulp, 0xDE, 0xC9, K_REG, T_NONE) \
    X(fcompp, 0xDE, 0xD9, K_REG, T_NONE) \
    X(fsubrp, 0xDE, 0xE1, K_REG, T_NONE) \
    X(fsubp, 0xDE, 0xE9, K_REG, T_NONE) \
    X(fdivrp, 0xDE, 0xF1, K_REG, T_NONE) \
    X(fdivp, 0xDE, 0xF9, K_REG, T_NONE) \
    X(fld_st1, 0xD9, 0xC1, K_REG, T_NONE) \
    X(fxch_st1, 0xD9, 0xC9, K_REG, T_NONE) \
    X(fnop, 0xD9, 0xD0, K_REG, T_NONE) \
    X(fchs, 0xD9, 0xE0, K_REG, T_NONE) \
    X(fabs, 0xD9, 0xE1, K_REG, T_NONE) \
    X(ftst, 0xD9, 0xE4, K_REG, T_NONE) \
    X(fxam, 0xD9, 0xE5, K_REG, T_NONE) \
    X(fld1, 0xD9, 0xE8, K_REG, T_NONE) \
    X(fldl2t, 0xD9, 0xE9, K_REG, T_NONE) \
    X(fldl2e, 0xD9, 0xEA, K_REG, T_NONE) \
    X(fldpi, 0xD9, 0xEB, K_REG, T_NONE) \
    X(fldlg2, 0xD9, 0xEC, K_REG, T_NONE) \
    X(fldln2, 0xD9, 0xED, K_REG, T_NONE) \
    X(fldz, 0xD9, 0xEE, K_REG, T_NONE) \
    X(f2xm1, 0xD9, 0xF0, K_REG, T_NONE) \
    X(fyl2x, 0xD9, 0xF1, K_REG, T_NONE) \
    X(fptan, 0xD9, 0xF2, K_REG, T_NONE) \
    X(fpatan, 0xD9, 0xF3, K_REG, T_NONE) \
    X(fxtract, 0xD9, 0xF4, K_REG, T_NONE) \
    X(fprem1, 0xD9, 0xF5, K_REG, T_NONE) \
    X(fdecstp, 0xD9, 0xF6, K_REG, T_NONE) \
    X(fincstp, 0xD9, 0xF7, K_REG, T_NONE) \
    X(fprem, 0xD9, 0xF8, K_REG, T_NONE) \
    X(fyl2xp1, 0xD9, 0xF9, K_REG, T_NONE) \
    X(fsqrt, 0xD9, 0xFA, K_REG, T_NONE) \
    X(fsincos, 0xD9, 0xFB, K_REG, T_NONE) \
    X(frndint, 0xD9, 0xFC, K_REG, T_NONE) \
    X(fscale, 0xD9, 0xFD, K_REG, T_NONE) \
    X(fsin, 0xD9, 0xFE, K_REG, T_NONE) \
    X(fcos, 0xD9, 0xFF, K_REG, T_NONE) \
    X(fcmovb, 0xDA, 0xC1, K_REG, T_NONE) \
    X(fcmove, 0xDA, 0xC9, K_REG, T_NONE) \
    X(fcmovbe, 0xDA, 0xD1, K_REG, T_NONE) \
    X(fcmovu, 0xDA, 0xD9, K_REG, T_NONE) \
    X(fucompp, 0xDA, 0xE9, K_REG, T_NONE) \
    X(fcmovnb, 0xDB, 0xC1, K_REG, T_NONE) \
    X(fcmovne, 0xDB, 0xC9, K_REG, T_NONE) \
    X(fcmovnbe, 0xDB, 0xD1, K_REG, T_NONE) \
    X(fcmovnu, 0xDB, 0xD9, K_REG, T_NONE) \
    X(fnclex, 0xDB, 0xE2, K_REG, T_NONE) \
    X(fninit, 0xDB, 0xE3, K_REG, T_NONE) \
    X(fucomi_st1, 0xDB, 0xE9, K_REG, T_NONE) \
    X(fcomi_st1, 0xDB, 0xF1, K_REG, T_NONE) \
    X(ffree_st1, 0xDD, 0xC1, K_REG, T_NONE) \
    X(fst_st1, 0xDD, 0xD1, K_REG, T_NONE) \
    X(fstp_st1, 0xDD, 0xD9, K_REG, T_NONE) \
    X(fstp_st0, 0xDD, 0xD8, K_REG, T_NONE) \
    X(fucom_st1, 0xDD, 0xE1, K_REG, T_NONE) \
    X(fucomp_st1, 0xDD, 0xE9, K_REG, T_NONE) \
    X(ffreep_st1, 0xDF, 0xC1, K_REG, T_NONE) \
    X(fucomip_st1, 0xDF, 0xE9, K_REG, T_NONE) \
    X(fcomip_st1, 0xDF, 0xF1, K_REG, T_NONE) \
    X(fadd_m32, 0xD8, 0x06, K_LOAD, T_R32) \
    X(fmul_m32, 0xD8, 0x0E, K_LOAD, T_R32) \
    X(fcom_m32, 0xD8, 0x16, K_LOAD, T_R32) \
    X(fcomp_m32, 0xD8, 0x1E, K_LOAD, T_R32) \
    X(fsub_m32, 0xD8, 0x26, K_LOAD, T_R32) \
    X(fsubr_m32, 0xD8, 0x2E, K_LOAD, T_R32) \
    X(fdiv_m32, 0xD8, 0x36, K_LOAD, T_R32) \
    X(fdivr_m32, 0xD8, 0x3E, K_LOAD, T_R32) \
    X(fadd_m64, 0xDC, 0x06, K_LOAD, T_R64) \
    X(fmul_m64, 0xDC, 0x0E, K_LOAD, T_R64) \
    X(fcom_m64, 0xDC, 0x16, K_LOAD, T_R64) \
    X(fcomp_m64, 0xDC, 0x1E, K_LOAD, T_R64) \
    X(fsub_m64, 0xDC, 0x26, K_LOAD, T_R64) \
    X(fsubr_m64, 0xDC, 0x2E, K_LOAD, T_R64) \
    X(fdiv_m64, 0xDC, 0x36, K_LOAD, T_R64) \
    X(fdivr_m64, 0xDC, 0x3E, K_LOAD, T_R64) \
    X(fiadd_m32, 0xDA, 0x06, K_LOAD, T_I32) \
    X(fimul_m32, 0xDA, 0x0E, K_LOAD, T_I32) \
    X(ficom_m32, 0xDA, 0x16, K_LOAD, T_I32) \
    X(ficomp_m32, 0xDA, 0x1E, K_LOAD, T_I32) \
    X(fisub_m32, 0xDA, 0x26, K_LOAD, T_I32) \
    X(fisubr_m32, 0xDA, 0x2E, K_LOAD, T_I32) \
    X(fidiv_m32, 0xDA, 0x36, K_LOAD, T_I32) \
    X(fidivr_m32, 0xDA, 0x3E, K_LOAD, T_I32) \
    X(fiadd_m16, 0xDE, 0x06, K_LOAD, T_I16) \
    X(fimul_m16, 0xDE, 0x0E, K_LOAD, T_I16) \
    X(ficom_m16, 0xDE, 0x16, K_LOAD, T_I16) \
    X(ficomp_m16, 0xDE, 0x1E, K_LOAD, T_I16) \
    X(fisub_m16, 0xDE, 0x26, K_LOAD, T_I16) \
    X(fisubr_m16, 0xDE, 0x2E, K_LOAD, T_I16) \
    X(fidiv_m16, 0xDE, 0x36, K_LOAD, T_I16) \
    X(fidivr_m16, 0xDE, 0x3E, K_LOAD, T_I16) \
    X(fld_m32, 0xD9, 0x06, K_LOAD, T_R32) \
    X(fldcw, 0xD9, 0x2E, K_LOAD, T_CW) \
    X(fild_m32, 0xDB, 0x06, K_LOAD, T_I32) \
    X(fld_m80, 0xDB, 0x2E, K_LOAD, T_R80) \
    X(fld_m64, 0xDD, 0x06, K_LOAD, T_R64) \
    X(fild_m16, 0xDF, 0x06, K_LOAD, T_I16) \
    X(fbld, 0xDF, 0x26, K_LOAD, T_BCD) \
    X(fild_m64, 0xDF, 0x2E, K_LOAD, T_I64) \
    X(fst_m32, 0xD9, 0x16, K_STORE, 4) \
    X(fstp_m32, 0xD9, 0x1E, K_STORE, 4) \
    X(fnstcw, 0xD9, 0x3E, K_STORE, 2) \
    X(fist_m32, 0xDB, 0x16, K_STORE, 4) \
    X(fistp_m32, 0xDB, 0x1E, K_STORE, 4) \
    X(fstp_m80, 0xDB, 0x3E, K_STORE, 10) \
    X(fst_m64, 0xDD, 0x16, K_STORE, 8) \
    X(fstp_m64, 0xDD, 0x1E, K_STORE, 8) \
    X(fnstsw_m16, 0xDD, 0x3E, K_STORE, 2) \
    X(fist_m16, 0xDF, 0x16, K_STORE, 2) \
    X(fistp_m16, 0xDF, 0x1E, K_STORE, 2) \
    X(fbstp, 0xDF, 0x36, K_STORE, 10) \
    X(fistp_m64, 0xDF, 0x3E, K_STORE, 8)
// clang-format on

FORMS(NATIVE)

typedef struct Form {
    const char *name;
    uint8_t opcode, modrm, kind, type;
    NativeFn native;
} Form;

#define ENTRY(name, b0, b1, k, t) {#name, b0, b1, k, t, nat_##name},
static const Form forms[] = {FORMS(ENTRY)};
#define NFORMS (sizeof(forms) / sizeof(forms[0]))

/* clang-format off */
static const F80 v80[] = {
    {0, 0x0000}, {0, 0x8000},                                 /* +-0 */
    {0x8000000000000000ull, 0x3FFF}, {0x8000000000000000ull, 0xBFFF},
    {0xC000000000000000ull, 0x3FFF},                          /* 1.5 */
    {0xB000000000000000ull, 0xC000},                          /* -2.75 */
    {0xC000000000000000ull, 0x4000},                          /* 3 */
    {0xAAAAAAAAAAAAAAABull, 0x3FFD},                          /* 1/3 */
    {0xC90FDAA22168C235ull, 0x4000},                          /* pi */
    {0xA000000000000000ull, 0x4000},                          /* 2.5 */
    {0xA000000000000000ull, 0xC000},                          /* -2.5 */
    {0x8000000000000001ull, 0x3FFF},                          /* 1+2^-63 */
    {0x8000008000000000ull, 0x3FFF},                          /* 1+2^-24 */
    {0x8000000000000400ull, 0xBFFF},                          /* -(1+2^-53) */
    {0xFFFFFFFFFFFFFFFFull, 0x7FFE},                          /* max */
    {0x8000000000000000ull, 0x0001},                          /* min normal */
    {0x0000000000000001ull, 0x0000},                          /* denormal */
    {0x4000000000000000ull, 0x8000},                          /* -denormal */
    {0x8000000000000000ull, 0x0000},                          /* pseudo-denormal */
    {0x8000000000000000ull, 0x7FFF}, {0x8000000000000000ull, 0xFFFF},
    {0xC000000000000000ull, 0x7FFF},                          /* QNaN */
    {0xC000000000000000ull, 0xFFFF},                          /* indefinite */
    {0x8000000000000001ull, 0x7FFF},                          /* SNaN */
    {0x4000000000000000ull, 0x4000},                          /* unnormal */
    {0x8000000000000000ull, 0x403F},                          /* 2^64 */
    {0xFFFFFFFF00000000ull, 0x401D},                          /* 2^31-0.5 */
    {0x9502F90000000000ull, 0x4020},                          /* 1e10 */
    {0x8000000000000000ull, 0x3FFE},                          /* 0.5 */
    {0xC90FDAA22168C235ull, 0x403F},                          /* > 2^63 */
    {0x8000000000000000ull, 0x7FF0},                          /* huge */
    {0x8000000000000000ull, 0x0010},                          /* tiny */
};
#define NV80 (sizeof(v80) / sizeof(v80[0]))

static const uint32_t v_r32[] = {
    0, 0x80000000, 0x3F800000, 0xBFC00000, 0x7F7FFFFF, 0x00800000,
    0x00000001, 0x807FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001,
    0x3EAAAAAB, 0x40400000, 0x3DCCCCCD, 0xCB800001,
};
static const uint64_t v_r64[] = {
    0, 0x8000000000000000ull, 0x3FF0000000000000ull, 0xBFF8000000000000ull,
    0x7FEFFFFFFFFFFFFFull, 0x0010000000000000ull, 1, 0x800FFFFFFFFFFFFFull,
    0x7FF0000000000000ull, 0xFFF0000000000000ull, 0x7FF8000000000000ull,
    0x7FF0000000000001ull, 0x3FD5555555555555ull, 0x4008000000000000ull,
    0x3FB999999999999Aull, 0x4150017EC0000000ull,
};
static const uint16_t v_i16[] = {0, 1, 0xFFFF, 0x7FFF, 0x8000, 3, 100, 0xFFF9};
static const uint32_t v_i32[] = {0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000,
                                 3, 1000000, 0xF8A432EB};
static const uint64_t v_i64[] = {
    0, 1, ~0ull, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull,
    (1ull << 53) + 1, 3, 0x123456789ABCDEF0ull,
};
static const uint8_t v_bcd[][10] = {
    {0}, {0x01}, {0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x80},
    {0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0},
    {0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0x80},
    {0xAA, 0xAA, 0, 0, 0, 0, 0, 0, 0, 0},
    {0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7F},
};
static const uint16_t v_cw[] = {0x037F, 0x0000, 0x0C7F, 0x007F,
                                0x027F, 0x0B72, 0xFFFF, 0x1E3F};

/* Masked with each rounding and precision control, then unmasked sets. */
static const uint16_t cws[] = {
    0x037F, 0x077F, 0x0B7F, 0x0F7F, 0x027F, 0x067F, 0x0A7F, 0x0E7F,
    0x007F, 0x047F, 0x087F, 0x0C7F, 0x0360, 0x0340, 0x0372, 0x037B,
};
/* clang-format on */
#define NCWS (sizeof(cws) / sizeof(cws[0]))

/* Fill operand bytes for value index i of a type; returns its length. */
static unsigned operand(uint8_t type, unsigned i, uint8_t *out)
{
    switch (type) {
    case T_R32:
        i %= sizeof(v_r32) / sizeof(v_r32[0]);
        memcpy(out, &v_r32[i], 4);
        return 4;
    case T_R64:
        i %= sizeof(v_r64) / sizeof(v_r64[0]);
        memcpy(out, &v_r64[i], 8);
        return 8;
    case T_R80:
        f80_put(out, v80[i % NV80]);
        return 10;
    case T_I16:
        i %= sizeof(v_i16) / sizeof(v_i16[0]);
        memcpy(out, &v_i16[i], 2);
        return 2;
    case T_I32:
        i %= sizeof(v_i32) / sizeof(v_i32[0]);
        memcpy(out, &v_i32[i], 4);
        return 4;
    case T_I64:
        i %= sizeof(v_i64) / sizeof(v_i64[0]);
        memcpy(out, &v_i64[i], 8);
        return 8;
    case T_BCD:
        i %= sizeof(v_bcd) / sizeof(v_bcd[0]);
        memcpy(out, v_bcd[i], 10);
        return 10;
    case T_CW:
        i %= sizeof(v_cw) / sizeof(v_cw[0]);
        memcpy(out, &v_cw[i], 2);
        return 2;
    default:
        return 0;
    }
}

static unsigned operand_count(uint8_t type)
{
    switch (type) {
    case T_R80:
        return NV80;
    case T_NONE:
        return 1;
    default:
        return 16;
    }
}

#define EA     0x100
#define OPAREA 16

typedef struct Stats {
    unsigned cases, mismatches;
} Stats;

static void hex(char *out, const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}

/* One case: state img, memory operand opnd, guest EFLAGS. */
static void run_case(Stats *st, const Form *fm, const uint8_t *img,
                     const uint8_t *opnd, unsigned oplen, uint32_t eflags)
{
    uint8_t nimg[X87T_IMG], nmem[OPAREA];
    memcpy(nimg, img, X87T_IMG);
    memset(nmem, 0x77, OPAREA);
    memcpy(nmem, opnd, oplen);
    uint64_t nfl = fm->native(nimg, nmem, (eflags & X87_EFLAGS_MASK) | 2);

    static __thread TestMem m;
    tm_init(&m);
    X87 f;
    x87_init(&f);
    x87t_load(&f, &m, img);
    memset(m.b + EA, 0x77, OPAREA);
    memcpy(m.b + EA, opnd, oplen);
    X87Insn in = {
        .opcode = fm->opcode,
        .modrm = fm->modrm,
        .ea = EA,
        .eip = X87T_EIP,
        .cs = X87T_CS,
        .ds = X87T_DS,
        .eflags = eflags,
    };
    X87Result r = x87t_exec_insn(&f, &m, &in);
    X87Result want = X87_OK;
    if (fm->kind == K_REG && (fm->opcode == 0xDB || fm->opcode == 0xDF) &&
        (fm->modrm & 0xF0) >= 0xE0 && fm->modrm >= 0xE8) {
        want = X87_OK_EFLAGS;
    }
    uint32_t efl = f.eflags_out;
    uint8_t eimg[X87T_IMG];
    x87t_save(&f, &m, eimg);

    st->cases++;
    bool ok =
        r == want && memcmp(eimg, nimg, 12) == 0 &&
        memcmp(eimg + 28, nimg + 28, 80) == 0 &&
        memcmp(m.b + EA, nmem, OPAREA) == 0 &&
        (want != X87_OK_EFLAGS || efl == ((uint32_t)nfl & X87_EFLAGS_MASK));
    if (!ok && ++st->mismatches <= 10) {
        char a[2 * X87T_IMG + 1], b[2 * X87T_IMG + 1];
        hex(a, img, X87T_IMG);
        fprintf(stderr, "%s mismatch (r=%d)\n in   %s\n", fm->name, r, a);
        hex(a, nimg, X87T_IMG);
        hex(b, eimg, X87T_IMG);
        fprintf(stderr, " host %s\n emu  %s\n", a, b);
        hex(a, nmem, OPAREA);
        hex(b, m.b + EA, OPAREA);
        fprintf(stderr, " mem host %s emu %s flags host %x emu %x\n", a, b,
                (unsigned)nfl & X87_EFLAGS_MASK, efl);
    }
}

/*
 * All forms of one kind against: every pair of 80-bit values in ST0/ST1
 * (two control words each, rotating through the list), every single value
 * under every control word, and empty, one-deep and full stacks.
 */
static void run_kind(int kind, Stats *st)
{
    uint8_t img[X87T_IMG], opnd[16];
    unsigned k = 0;

    for (unsigned fi = 0; fi < NFORMS; fi++) {
        const Form *fm = &forms[fi];
        if (fm->kind != kind) {
            continue;
        }
        unsigned nops = operand_count(fm->type);
        for (unsigned a = 0; a < NV80; a++) {
            for (unsigned b = 0; b < NV80; b++, k++) {
                F80 vals[8] = {v80[a], v80[b]};
                unsigned oi = (a * 7 + b) % nops;
                unsigned oplen = operand(fm->type, oi, opnd);
                x87t_image(img, cws[0], k & 7, vals, 2);
                run_case(st, fm, img, opnd, oplen, (uint32_t)k);
                x87t_image(img, cws[1 + k % (NCWS - 1)], (k + 3) & 7, vals, 2);
                run_case(st, fm, img, opnd, oplen, (uint32_t)(k >> 3));
            }
            for (unsigned c = 0; c < NCWS; c++) {
                for (unsigned o = 0; o < nops; o += 3) {
                    F80 vals[8] = {v80[a], v80[(a + c) % NV80]};
                    unsigned oplen = operand(fm->type, o + c, opnd);
                    x87t_image(img, cws[c], (a + c) & 7, vals, 2);
                    run_case(st, fm, img, opnd, oplen, (uint32_t)(a * c));
                }
            }
        }
        for (unsigned c = 0; c < NCWS; c++) {
            for (unsigned depth = 0; depth <= 8; depth += 1) {
                F80 vals[8];
                for (unsigned i = 0; i < 8; i++) {
                    vals[i] = v80[(c + 3 * i) % NV80];
                }
                unsigned oplen = operand(fm->type, c + depth, opnd);
                x87t_image(img, cws[c], (c + depth) & 7, vals, depth);
                run_case(st, fm, img, opnd, oplen, (uint32_t)c * 0x41);
            }
        }
    }
}

/* Every case of one kind matches the host; at least min_cases ran. */
static void expect_kind_matches_host(int kind, const char *what,
                                     unsigned min_cases)
{
    Stats st = {0};
    run_kind(kind, &st);
    cr_log_info("%s: %u cases", what, st.cases);
    cr_assert_gt(st.cases, min_cases);
    cr_assert_eq(st.mismatches, 0, "%u of %u cases differ", st.mismatches,
                 st.cases);
}

Test(x87_table, register_forms_match_host)
{
    expect_kind_matches_host(K_REG, "x87 register forms", 100000);
}

Test(x87_table, memory_load_forms_match_host)
{
    expect_kind_matches_host(K_LOAD, "x87 load forms", 50000);
}

Test(x87_table, memory_store_forms_match_host)
{
    expect_kind_matches_host(K_STORE, "x87 store forms", 20000);
}

/* Deterministic generator for the random sequences (xorshift64). */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static bool is_fnclex(const Form *fm)
{
    return fm->opcode == 0xDB && fm->modrm == 0xE2;
}

Test(x87_table, random_sequences_match_host_after_every_instruction)
{
    /*
     * State carried from one instruction to the next on both sides.  When
     * an unmasked exception is pending, both sides run FNCLEX first, as a
     * kernel #MF handler would (the host would trap otherwise).
     */
    const Form *clex = NULL;
    for (unsigned i = 0; i < NFORMS; i++) {
        if (is_fnclex(&forms[i])) {
            clex = &forms[i];
        }
    }
    cr_assert_not_null(clex);

    uint64_t seed = 0x9E3779B97F4A7C15ull;
    Stats st = {0};
    static TestMem m;
    uint8_t nimg[X87T_IMG], eimg[X87T_IMG], nmem[OPAREA], opnd[16];

    for (unsigned seq = 0; seq < 1500 && st.mismatches == 0; seq++) {
        F80 vals[8];
        unsigned depth = rng_next(&seed) % 9;
        for (unsigned i = 0; i < 8; i++) {
            vals[i] = v80[rng_next(&seed) % NV80];
        }
        x87t_image(nimg, cws[rng_next(&seed) % NCWS], rng_next(&seed) & 7, vals,
                   depth);
        tm_init(&m);
        X87 f;
        x87_init(&f);
        x87t_load(&f, &m, nimg);

        for (unsigned step = 0; step < 24; step++) {
            const Form *fm = &forms[rng_next(&seed) % NFORMS];
            if (x87_error_pending(&f) &&
                x87_insn_waits(fm->opcode, fm->modrm)) {
                fm = clex;
            }
            uint64_t r = rng_next(&seed);
            unsigned oplen = operand(fm->type, (unsigned)(r >> 8), opnd);
            uint32_t eflags = (uint32_t)(r >> 32);

            memset(nmem, 0x77, OPAREA);
            memcpy(nmem, opnd, oplen);
            uint64_t nfl =
                fm->native(nimg, nmem, (eflags & X87_EFLAGS_MASK) | 2);

            memset(m.b + EA, 0x77, OPAREA);
            memcpy(m.b + EA, opnd, oplen);
            X87Insn in = {.opcode = fm->opcode,
                          .modrm = fm->modrm,
                          .ea = EA,
                          .eip = X87T_EIP + step,
                          .cs = X87T_CS,
                          .ds = X87T_DS,
                          .eflags = eflags};
            X87Result res = x87t_exec_insn(&f, &m, &in);
            X87 keep = f;
            x87t_save(&f, &m, eimg);
            f = keep;

            st.cases++;
            bool ok = (res == X87_OK || res == X87_OK_EFLAGS) &&
                      memcmp(eimg, nimg, 12) == 0 &&
                      memcmp(eimg + 28, nimg + 28, 80) == 0 &&
                      memcmp(m.b + EA, nmem, OPAREA) == 0 &&
                      (res != X87_OK_EFLAGS ||
                       f.eflags_out == ((uint32_t)nfl & X87_EFLAGS_MASK));
            if (!ok) {
                st.mismatches++;
                fprintf(stderr, "sequence %u step %u: %s differs\n", seq, step,
                        fm->name);
                break;
            }
        }
    }
    cr_log_info("x87 random sequences: %u instructions", st.cases);
    cr_assert_eq(st.mismatches, 0);
    cr_assert_gt(st.cases, 30000);
}
