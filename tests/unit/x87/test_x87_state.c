/*
 * x87 state as the kernel and libc see it: initial values, the register
 * stack and tag word, environment and save images in all four layouts,
 * exceptions (masked responses, unmasked ones pending for #MF/IRQ13),
 * faulting operands, invalid encodings and the pointer registers.  Driven
 * through x87_exec as the interpreter would; byte images are checked
 * against the host CPU's own FNSTENV/FNSAVE where it can produce them and
 * against the documented layouts where it cannot (real mode).
 */
#include <criterion/criterion.h>
#include <string.h>
#include "emu/bytes.h"
#include "x87_harness.h"

#define ONE        ((F80){0x8000000000000000ull, 0x3FFF})
#define TWO        ((F80){0x8000000000000000ull, 0x4000})
#define INF        ((F80){0x8000000000000000ull, 0x7FFF})
#define INDEFINITE ((F80){0xC000000000000000ull, 0xFFFF})

static void assert_f80(F80 got, F80 want)
{
    cr_assert(got.mant == want.mant && got.se == want.se,
              "got %04x:%016llx, want %04x:%016llx", got.se,
              (unsigned long long)got.mant, want.se,
              (unsigned long long)want.mant);
}

Test(x87_state, fninit_leaves_what_the_kernel_probe_expects)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    x87_init(&f);
    f.cw = 0x0C00;
    f.sw = 0x3FFF;
    f.tw = 0;
    x87t_exec_ok(&f, &m, 0xDB, 0xE3, 0);                       /* FNINIT */
    cr_assert_eq(x87t_exec(&f, &m, 0xDF, 0xE0, 0), X87_OK_AX); /* FNSTSW AX */
    cr_assert_eq(x87_status_word(&f), 0);
    x87t_exec_ok(&f, &m, 0xD9, 0x38, 0x20); /* FNSTCW [0x20] */
    cr_assert_eq(le16_get(m.b + 0x20), 0x037F);
    cr_assert_eq(f.tw, 0xFFFF);
    cr_assert_not(x87_error_pending(&f));
}

Test(x87_state, fdiv_bug_check_gives_zero)
{
    /* The kernel's check_fpu(): x - (x / y) * y with the Pentium FDIV
     * operands, stored by FISTP m32. */
    X87 f;
    TestMem m;
    tm_init(&m);
    x87_init(&f);
    double x = 4195835.0, y = 3145727.0;
    memcpy(m.b + 0x40, &x, 8);
    memcpy(m.b + 0x48, &y, 8);
    memset(m.b + 0x50, 0xEE, 4);
    x87t_exec_ok(&f, &m, 0xDB, 0xE3, 0);    /* fninit */
    x87t_exec_ok(&f, &m, 0xDD, 0x05, 0x40); /* fldl x */
    x87t_exec_ok(&f, &m, 0xDC, 0x35, 0x48); /* fdivl y */
    x87t_exec_ok(&f, &m, 0xDC, 0x0D, 0x48); /* fmull y */
    x87t_exec_ok(&f, &m, 0xDD, 0x05, 0x40); /* fldl x */
    x87t_exec_ok(&f, &m, 0xDE, 0xE9, 0);    /* fsubp */
    x87t_exec_ok(&f, &m, 0xDB, 0x1D, 0x50); /* fistpl */
    cr_assert_eq(le32_get(m.b + 0x50), 0);
    cr_assert_eq(x87t_top(&f), 0);
    cr_assert_eq(f.tw, 0xFFFF);
}

Test(x87_state, push_uses_the_physical_register_below_top)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    x87_init(&f);
    x87t_exec_ok(&f, &m, 0xD9, 0xE8, 0); /* FLD1 */
    cr_assert_eq(x87t_top(&f), 7);
    assert_f80(f80_get(f.st[7]), ONE);
    cr_assert_eq(f.tw, 0x3FFF);          /* R7 valid */
    x87t_exec_ok(&f, &m, 0xD9, 0xEE, 0); /* FLDZ */
    cr_assert_eq(x87t_top(&f), 6);
    cr_assert_eq(f.tw, 0x1FFF);          /* R6 zero, R7 valid */
    x87t_exec_ok(&f, &m, 0xDE, 0xC1, 0); /* FADDP: ST1 = 1 + 0, pop */
    cr_assert_eq(x87t_top(&f), 7);
    assert_f80(x87t_st(&f, 0), ONE);
    x87t_exec_ok(&f, &m, 0xD9, 0xC0, 0); /* FLD ST0 */
    x87t_exec_ok(&f, &m, 0xDE, 0xC1, 0); /* FADDP */
    assert_f80(x87t_st(&f, 0), TWO);
}

Test(x87_state, tag_word_classifies_register_contents)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    x87_init(&f);
    F80 vals[4] = {ONE, {0, 0}, INF, {1, 0}}; /* valid zero special(inf),
                                                  special(denormal) */
    uint8_t img[X87T_IMG];
    x87t_image(img, 0x037F, 2, vals, 4);
    x87t_load(&f, &m, img);
    /* Physical R2..R5 hold ST0..ST3; R6, R7, R0, R1 empty. */
    cr_assert_eq(f.tw, 0xF000 | 2 << 10 | 2 << 8 | 1 << 6 | 0 << 4 | 0xF,
                 "tw %04x", f.tw);
    x87t_exec_ok(&f, &m, 0xDD, 0xC2, 0); /* FFREE ST2 */
    cr_assert_eq((f.tw >> 8) & 3, 3);
    x87t_exec_ok(&f, &m, 0xD9, 0xF7, 0); /* FINCSTP: TOP moves, tags stay */
    cr_assert_eq(x87t_top(&f), 3);
    cr_assert_eq((f.tw >> 4) & 3, 0);
}

Test(x87_state, stack_overflow_and_underflow_set_IE_SF_and_C1)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    x87_init(&f);
    for (int i = 0; i < 8; i++) {
        x87t_exec_ok(&f, &m, 0xD9, 0xE8, 0); /* FLD1 */
    }
    cr_assert_eq(f.sw & (SW_IE | SW_SF), 0);
    x87t_exec_ok(&f, &m, 0xD9, 0xEE, 0); /* FLDZ onto a full stack */
    cr_assert_eq(f.sw & (SW_IE | SW_SF | SW_C1), SW_IE | SW_SF | SW_C1);
    assert_f80(x87t_st(&f, 0), INDEFINITE); /* masked response */
    cr_assert_not(x87_error_pending(&f));

    x87t_exec_ok(&f, &m, 0xDB, 0xE3, 0);
    x87t_exec_ok(&f, &m, 0xD8, 0xC1, 0); /* FADD ST0, ST1 on an empty stack */
    cr_assert_eq(f.sw & (SW_IE | SW_SF | SW_C1), SW_IE | SW_SF);
}

Test(x87_state, constants_round_as_the_control_word_says)
{
    /* FLDPI: pi = C90FDAA2 2168C234 C4C6..., so the last bit depends on
     * rounding control; FLDL2E likewise. */
    static const struct {
        uint16_t cw;
        uint64_t pi;
    } cases[] = {
        {0x037F, 0xC90FDAA22168C235ull},
        {0x077F, 0xC90FDAA22168C234ull},
        {0x0B7F, 0xC90FDAA22168C235ull},
        {0x0F7F, 0xC90FDAA22168C234ull},
    };
    for (unsigned i = 0; i < 4; i++) {
        X87 f;
        TestMem m;
        tm_init(&m);
        x87_init(&f);
        x87t_fldcw(&f, &m, cases[i].cw);
        x87t_exec_ok(&f, &m, 0xD9, 0xEB, 0); /* FLDPI */
        assert_f80(x87t_st(&f, 0), (F80){cases[i].pi, 0x4000});
    }
}

Test(x87_state, precision_control_rounds_to_24_and_53_bits)
{
    static const struct {
        uint16_t cw;
        uint64_t third;
    } cases[] = {
        {0x037F, 0xAAAAAAAAAAAAAAABull}, /* 64-bit: round to nearest */
        {0x027F, 0xAAAAAAAAAAAAA800ull}, /* 53-bit */
        {0x007F, 0xAAAAAB0000000000ull}, /* 24-bit */
        {0x0F7F, 0xAAAAAAAAAAAAAAAAull}, /* 64-bit chop */
        {0x0C7F, 0xAAAAAA0000000000ull}, /* 24-bit chop */
    };
    for (unsigned i = 0; i < 5; i++) {
        X87 f;
        TestMem m;
        tm_init(&m);
        x87_init(&f);
        x87t_fldcw(&f, &m, cases[i].cw);
        float three = 3.0f;
        memcpy(m.b + 0x40, &three, 4);
        x87t_exec_ok(&f, &m, 0xD9, 0x05, 0x40); /* FLD m32 3 */
        x87t_exec_ok(&f, &m, 0xD9, 0xE8, 0);    /* FLD1 */
        x87t_exec_ok(&f, &m, 0xD8, 0xF1, 0);    /* FDIV ST0, ST1 */
        assert_f80(x87t_st(&f, 0), (F80){cases[i].third, 0x3FFD});
        cr_assert(f.sw & SW_PE);
    }
}

/* Host FNSTENV (32- and 16-bit) of a state image, and the state after. */
static void native_stenv(const uint8_t *state, uint8_t *env32, uint8_t *env16,
                         uint8_t *after)
{
    uint8_t img[X87T_IMG];
    memcpy(img, state, X87T_IMG);
    __asm__ volatile("frstor (%0)\n\t"
                     "data16 fnstenv (%2)\n\t"
                     "fnsave (%0)\n\t"
                     "frstor (%3)\n\t"
                     "fnstenv (%1)\n\t"
                     "fnsave (%0)"
                     :
                     : "r"(img), "r"(env32), "r"(env16), "r"(state)
                     : "memory");
    memcpy(after, img, X87T_IMG);
}

/*
 * A state whose pointers were set by FADD m32 at [ea] (a non-control
 * instruction with a memory operand), with registers, a partly unmasked
 * control word and a masked flag raised.
 */
static void pointer_state(X87 *f, TestMem *m, bool real_mode, uint32_t ea)
{
    F80 vals[3] = {ONE, {0, 0}, INF};
    uint8_t img[X87T_IMG];
    x87t_image(img, 0x0272, 5, vals, 3);
    x87_init(f);
    x87t_load(f, m, img);
    float v = 0.5f;
    memcpy(m->b + ea, &v, 4);
    X87Insn in = {
        .opcode = 0xD8,
        .modrm = 0x06,
        .ea = ea,
        .eip = real_mode ? 0x5678 : X87T_EIP,
        .cs = real_mode ? 0x1234 : X87T_CS,
        .ds = real_mode ? 0x2000 : X87T_DS,
        .real_mode = real_mode,
    };
    cr_assert_eq(x87t_exec_insn(f, m, &in), X87_OK);
}

static X87Result env_op(X87 *f, TestMem *m, uint8_t op, uint8_t modrm,
                        uint32_t ea, bool op16, bool real_mode)
{
    X87Insn in = {
        .opcode = op,
        .modrm = modrm,
        .ea = ea,
        .op16 = op16,
        .real_mode = real_mode,
        .eip = 0x9999,
        .cs = 0x77,
        .ds = 0x88,
    };
    return x87t_exec_insn(f, m, &in);
}

Test(x87_env, fnstenv_protected_layouts_match_host)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    pointer_state(&f, &m, false, 0x123);
    uint8_t state[X87T_IMG], env32[28], env16[14], after[X87T_IMG];
    X87 saved = f;
    x87t_save(&f, &m, state);
    f = saved;
    native_stenv(state, env32, env16, after);

    cr_assert_eq(env_op(&f, &m, 0xD9, 0x30, 0x200, false, false), X87_OK);
    const uint8_t *e = m.b + 0x200;
    cr_assert_arr_eq(e, env32, 12); /* CW SW TW with reserved halves */
    cr_assert_eq(le32_get(e + 12), X87T_EIP);
    cr_assert_eq(le32_get(e + 16), X87T_CS | 0x006u << 16); /* FCS, FOP */
    cr_assert_eq(le32_get(e + 20), 0x123);
    cr_assert_eq(le32_get(e + 24),
                 (le32_get(env32 + 24) & 0xFFFF0000u) | X87T_DS);
    /* FNSTENV then masks every exception, as on the host. */
    uint8_t emu_after[X87T_IMG];
    x87t_save(&f, &m, emu_after);
    cr_assert_arr_eq(emu_after, after, 12);

    f = saved;
    cr_assert_eq(env_op(&f, &m, 0xD9, 0x30, 0x200, true, false), X87_OK);
    cr_assert_arr_eq(e, env16, 6);
    cr_assert_eq(le16_get(e + 6), X87T_EIP & 0xFFFF);
    cr_assert_eq(le16_get(e + 8), X87T_CS);
    cr_assert_eq(le16_get(e + 10), 0x123);
    cr_assert_eq(le16_get(e + 12), X87T_DS);
}

Test(x87_env, fnstenv_real_mode_layouts_hold_linear_pointers)
{
    /* CS:IP 1234:5678 -> 0x179B8, DS:ea 2000:0ABC -> 0x20ABC (Intel SDM
     * vol. 1 figures 8-10 and 8-12). */
    X87 f, saved;
    TestMem m;
    tm_init(&m);
    pointer_state(&f, &m, true, 0xABC);
    saved = f;
    uint8_t state[X87T_IMG], env32[28], env16[14], after[X87T_IMG];
    x87t_save(&f, &m, state);
    native_stenv(state, env32, env16, after);

    f = saved;
    cr_assert_eq(env_op(&f, &m, 0xD9, 0x30, 0x200, false, true), X87_OK);
    const uint8_t *e = m.b + 0x200;
    cr_assert_arr_eq(e, env32, 12);
    cr_assert_eq(le16_get(e + 12), 0x79B8);
    cr_assert_eq(le32_get(e + 16), 0x1u << 12 | 0x006);
    cr_assert_eq(le16_get(e + 20), 0x0ABC);
    cr_assert_eq(le32_get(e + 24), 0x2u << 12);

    f = saved;
    cr_assert_eq(env_op(&f, &m, 0xD9, 0x30, 0x200, true, true), X87_OK);
    cr_assert_arr_eq(e, env16, 6);
    cr_assert_eq(le16_get(e + 6), 0x79B8);
    cr_assert_eq(le16_get(e + 8), 0x1u << 12 | 0x006);
    cr_assert_eq(le16_get(e + 10), 0x0ABC);
    cr_assert_eq(le16_get(e + 12), 0x2u << 12);
}

Test(x87_env, fldenv_reloads_each_layout_it_stored)
{
    for (unsigned layout = 0; layout < 4; layout++) {
        bool op16 = layout & 1, real = layout & 2;
        unsigned len = op16 ? 14 : 28;
        X87 f;
        TestMem m;
        tm_init(&m);
        pointer_state(&f, &m, real, 0x345);
        uint16_t sw = f.sw, tw = f.tw;
        cr_assert_eq(env_op(&f, &m, 0xD9, 0x30, 0x200, op16, real), X87_OK);
        uint8_t first[28];
        memcpy(first, m.b + 0x200, len);
        /* Change the control word in the image, reset the FPU (registers
         * stay), then load the image back. */
        m.b[0x200] = 0x7F;
        m.b[0x201] = 0x0C;
        x87t_exec_ok(&f, &m, 0xDB, 0xE3, 0);
        cr_assert_eq(env_op(&f, &m, 0xD9, 0x20, 0x200, op16, real), X87_OK);
        cr_assert_eq(f.cw, 0x0C7F);
        cr_assert_eq(f.sw, sw);
        cr_assert_eq(f.tw, tw);
        cr_assert_eq(env_op(&f, &m, 0xD9, 0x30, 0x300, op16, real), X87_OK);
        first[0] = 0x7F;
        first[1] = 0x0C;
        cr_assert_arr_eq(m.b + 0x300, first, len, "layout %u", layout);
    }
}

Test(x87_env, fnsave_matches_host_and_reinitialises)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    pointer_state(&f, &m, false, 0x123);
    X87 before = f;
    uint8_t state[X87T_IMG], host[X87T_IMG];
    x87t_save(&f, &m, state);
    memcpy(host, state, X87T_IMG);
    __asm__ volatile("frstor (%0)\n\tfnsave (%0)" : : "r"(host) : "memory");
    cr_assert_arr_eq(state, host, 12);
    cr_assert_arr_eq(state + 28, host + 28, 80);
    cr_assert_eq(le32_get(state + 12), X87T_EIP);
    cr_assert_eq(le32_get(state + 20), 0x123);

    /* FNSAVE leaves an FNINIT state; the registers themselves stay. */
    cr_assert_eq(f.cw, 0x037F);
    cr_assert_eq(f.sw, 0);
    cr_assert_eq(f.tw, 0xFFFF);
    cr_assert_eq(f.fip | f.fdp | f.fop | f.fcs | f.fds, 0);
    cr_assert_arr_eq(f.st, before.st, sizeof(f.st));

    /* FRSTOR brings everything back. */
    x87t_load(&f, &m, state);
    cr_assert_eq(f.cw, before.cw);
    cr_assert_eq(f.sw, before.sw);
    cr_assert_eq(f.tw, before.tw);
    cr_assert_eq(f.fip, before.fip);
    cr_assert_eq(f.fop, before.fop);
    cr_assert_eq(f.fdp, before.fdp);
    cr_assert_arr_eq(f.st, before.st, sizeof(f.st));
}

Test(x87_env, fnsave_16bit_image_restores_with_frstor)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    pointer_state(&f, &m, false, 0x123);
    X87 before = f;
    cr_assert_eq(env_op(&f, &m, 0xDD, 0x30, 0x400, true, false), X87_OK);
    for (unsigned i = 0; i < 8; i++) {
        cr_assert_arr_eq(m.b + 0x400 + 14 + 10 * i,
                         before.st[(x87t_top(&before) + i) & 7], 10);
    }
    cr_assert_eq(env_op(&f, &m, 0xDD, 0x20, 0x400, true, false), X87_OK);
    cr_assert_eq(f.cw, before.cw);
    cr_assert_eq(f.sw, before.sw);
    cr_assert_eq(f.tw, before.tw);
    cr_assert_eq(f.fip, X87T_EIP & 0xFFFF);
    cr_assert_eq(f.fcs, X87T_CS);
    cr_assert_arr_eq(f.st, before.st, sizeof(f.st));
}
