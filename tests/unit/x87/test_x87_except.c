/*
 * x87 exceptions, faults and decoding as the CPU relies on them: masked
 * responses, unmasked exceptions left pending for #MF/IRQ13 (ES, B and
 * x87_error_pending), stores an unmasked exception suppresses, memory
 * operands that fault leaving the FPU untouched, #UD encodings, which
 * instructions wait, the pointer registers, and the values handed back to
 * the CPU (FNSTSW AX, FCOMI flags, FCMOVcc conditions).
 */
#include <criterion/criterion.h>
#include <string.h>
#include "x87_harness.h"

#define EFL_CF 0x001
#define EFL_PF 0x004
#define EFL_ZF 0x040

/* FNINIT, then push b and a so that ST0 = a, ST1 = b. */
static void push2(X87 *f, TestMem *m, double a, double b)
{
    x87_init(f);
    memcpy(m->b + 0x40, &b, 8);
    memcpy(m->b + 0x48, &a, 8);
    x87t_exec_ok(f, m, 0xDD, 0x05, 0x40);
    x87t_exec_ok(f, m, 0xDD, 0x05, 0x48);
}

Test(x87_except, masked_zero_divide_gives_infinity_and_no_pending_error)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, 1.0, 0.0);
    x87t_exec_ok(&f, &m, 0xD8, 0xF1, 0); /* FDIV ST0, ST1 */
    F80 r = x87t_st(&f, 0);
    cr_assert(r.se == 0x7FFF && r.mant == 0x8000000000000000ull);
    cr_assert(f.sw & SW_ZE);
    cr_assert_not(f.sw & (SW_ES | SW_B));
    cr_assert_not(x87_error_pending(&f));
}

Test(x87_except, unmasked_zero_divide_keeps_operand_and_is_pending)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, 1.0, 0.0);
    x87t_fldcw(&f, &m, 0x037B); /* ZM clear */
    cr_assert_not(x87_error_pending(&f));
    x87t_exec_ok(&f, &m, 0xD8, 0xF1, 0);
    F80 r = x87t_st(&f, 0);
    cr_assert(r.se == 0x3FFF && r.mant == 0x8000000000000000ull);
    cr_assert_eq(f.sw & (SW_ZE | SW_ES | SW_B), SW_ZE | SW_ES | SW_B);
    cr_assert(x87_error_pending(&f));
    cr_assert_not(x87_insn_waits(0xDB, 0xE2));
    x87t_exec_ok(&f, &m, 0xDB, 0xE2, 0); /* FNCLEX */
    cr_assert_not(x87_error_pending(&f));
    cr_assert_eq(f.sw & 0x80FF, 0);
}

Test(x87_except, unmasking_a_raised_flag_makes_it_pending)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, 1.0, 3.0);
    x87t_exec_ok(&f, &m, 0xD8, 0xF1, 0); /* 1/3: inexact, masked */
    cr_assert(f.sw & SW_PE);
    cr_assert_not(x87_error_pending(&f));
    x87t_fldcw(&f, &m, 0x035F); /* PM clear */
    cr_assert(x87_error_pending(&f));
    cr_assert(f.sw & SW_ES);
}

Test(x87_except, unmasked_invalid_integer_store_writes_nothing)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, 1e10, 0.0);
    memset(m.b + 0x80, 0xCC, 4);
    x87t_fldcw(&f, &m, 0x037E); /* IM clear */
    unsigned writes = m.writes;
    x87t_exec_ok(&f, &m, 0xDF, 0x1D, 0x80); /* FISTP m16 */
    cr_assert_eq(m.writes, writes);
    cr_assert_eq(m.b[0x80], 0xCC);
    cr_assert_eq(x87t_top(&f), 6); /* no pop either */
    cr_assert(x87_error_pending(&f));

    /* Masked, the integer indefinite is stored and the stack popped. */
    push2(&f, &m, 1e10, 0.0);
    x87t_exec_ok(&f, &m, 0xDF, 0x1D, 0x80);
    cr_assert_eq(m.b[0x80] | m.b[0x81] << 8, 0x8000);
    cr_assert_eq(x87t_top(&f), 7);
    cr_assert(f.sw & SW_IE);
}

Test(x87_except, unmasked_overflow_on_float_store_writes_nothing)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, 1e300, 0.0);
    x87t_fldcw(&f, &m, 0x0377); /* OM clear */
    memset(m.b + 0x80, 0xCC, 4);
    x87t_exec_ok(&f, &m, 0xD9, 0x1D, 0x80); /* FSTP m32 */
    cr_assert_eq(m.b[0x80], 0xCC);
    cr_assert(f.sw & SW_OE);
    cr_assert(x87_error_pending(&f));
}

Test(x87_except, store_of_the_sentinel_pattern_is_still_written)
{
    /* 0x5A5A5A5A and 0xA5A5A5A5 as floats must be stored even though they
     * equal the patterns used to spot suppressed stores. */
    static const uint32_t pats[] = {0x5A5A5A5A, 0xA5A5A5A5};
    for (unsigned i = 0; i < 2; i++) {
        X87 f;
        TestMem m;
        tm_init(&m);
        x87_init(&f);
        memcpy(m.b + 0x40, &pats[i], 4);
        x87t_exec_ok(&f, &m, 0xD9, 0x05, 0x40); /* FLD m32 */
        memset(m.b + 0x80, 0, 4);
        x87t_exec_ok(&f, &m, 0xD9, 0x1D, 0x80); /* FSTP m32 */
        cr_assert_arr_eq(m.b + 0x80, &pats[i], 4);
    }
}

Test(x87_except, waiting_instruction_with_error_pending_runs_masked)
{
    /* What the CPU does under IGNNE#: the pending exception is ignored;
     * the host must not trap and the guest's masks survive. */
    X87 f;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, 1.0, 0.0);
    x87t_fldcw(&f, &m, 0x037B);
    x87t_exec_ok(&f, &m, 0xD8, 0xF1, 0); /* pending ZE */
    x87t_exec_ok(&f, &m, 0xD8, 0xF1, 0); /* again: masked response, inf */
    F80 r = x87t_st(&f, 0);
    cr_assert(r.se == 0x7FFF && r.mant == 0x8000000000000000ull);
    cr_assert_eq(f.cw, 0x037B);
    cr_assert(x87_error_pending(&f));
    cr_assert(f.sw & SW_ES);
}

Test(x87_except, faulting_operand_leaves_the_fpu_untouched)
{
    X87 f, before;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, 2.0, 3.0);
    m.fault_lo = 0x800;
    m.fault_hi = 0x900;
    before = f;
    static const struct {
        uint8_t op, modrm;
        bool op16;
    } insns[] = {
        {0xDD, 0x05, false}, /* FLD m64 */
        {0xD8, 0x05, false}, /* FADD m32 */
        {0xDD, 0x1D, false}, /* FSTP m64 */
        {0xDF, 0x3D, false}, /* FISTP m64 */
        {0xD9, 0x2D, false}, /* FLDCW */
        {0xDD, 0x35, false}, /* FNSAVE */
        {0xDD, 0x35, true},  /* FNSAVE 16-bit */
        {0xDD, 0x25, false}, /* FRSTOR */
        {0xD9, 0x35, false}, /* FNSTENV */
        {0xD9, 0x25, true},  /* FLDENV 16-bit */
    };
    for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
        /* The last bytes of the operand fall in the faulting range. */
        X87Insn in = {.opcode = insns[i].op,
                      .modrm = insns[i].modrm,
                      .op16 = insns[i].op16,
                      .ea = 0x800 - 1,
                      .eip = 0x1000,
                      .cs = 8};
        cr_assert_eq(x87t_exec_insn(&f, &m, &in), X87_FAULT, "insn %u", i);
        cr_assert_arr_eq(&f, &before, sizeof(f), "insn %u changed state", i);
    }
}

Test(x87_except, invalid_encodings_raise_ud_and_change_nothing)
{
    static const uint8_t ud[][2] =
        {
            {0xD9, 0x08}, /* D9 /1 mem */
            {0xD9, 0xD1}, {0xD9, 0xD8}, {0xD9, 0xE2}, {0xD9, 0xE7},
            {0xD9, 0xEF}, {0xDA, 0xE0}, {0xDA, 0xE8}, {0xDA, 0xF0},
            {0xDB, 0x08}, /* FISTTP m32 (SSE3) */
            {0xDB, 0x20}, {0xDB, 0x30}, {0xDB, 0xE5}, {0xDB, 0xF8},
            {0xDC, 0xD0}, {0xDC, 0xD8}, {0xDD, 0x08}, {0xDD, 0x28},
            {0xDD, 0xC8}, {0xDD, 0xF0}, {0xDE, 0xD0}, {0xDE, 0xD8},
            {0xDF, 0x08}, {0xDF, 0xC8}, {0xDF, 0xD0}, {0xDF, 0xE1},
            {0xDF, 0xF8}, {0xD7, 0x00}, {0xE0, 0xC0},
        };
    X87 f, before;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, 2.0, 3.0);
    before = f;
    for (unsigned i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
        cr_assert_eq(x87t_exec(&f, &m, ud[i][0], ud[i][1], 0x100), X87_UD,
                     "%02x %02x", ud[i][0], ud[i][1]);
        cr_assert_arr_eq(&f, &before, sizeof(f));
    }
    /* FNENI, FNDISI, FNSETPM are accepted and ignored. */
    x87t_exec_ok(&f, &m, 0xDB, 0xE0, 0);
    x87t_exec_ok(&f, &m, 0xDB, 0xE1, 0);
    x87t_exec_ok(&f, &m, 0xDB, 0xE4, 0);
    cr_assert_arr_eq(&f, &before, sizeof(f));
}

Test(x87_except, only_the_no_wait_forms_skip_the_error_check)
{
    cr_assert_not(x87_insn_waits(0xDB, 0xE2)); /* FNCLEX */
    cr_assert_not(x87_insn_waits(0xDB, 0xE3)); /* FNINIT */
    cr_assert_not(x87_insn_waits(0xDF, 0xE0)); /* FNSTSW AX */
    cr_assert_not(x87_insn_waits(0xDD, 0x38)); /* FNSTSW m16 */
    cr_assert_not(x87_insn_waits(0xD9, 0x38)); /* FNSTCW */
    cr_assert_not(x87_insn_waits(0xD9, 0x74)); /* FNSTENV */
    cr_assert_not(x87_insn_waits(0xDD, 0xB0)); /* FNSAVE */
    cr_assert(x87_insn_waits(0xD9, 0x28));     /* FLDCW */
    cr_assert(x87_insn_waits(0xDD, 0x20));     /* FRSTOR */
    cr_assert(x87_insn_waits(0xD9, 0x20));     /* FLDENV */
    cr_assert(x87_insn_waits(0xD8, 0xC1));     /* FADD */
    cr_assert(x87_insn_waits(0xD9, 0xD0));     /* FNOP */
    cr_assert(x87_insn_waits(0xDF, 0x38));     /* FISTP m64 */
}

Test(x87_except, pointers_follow_the_last_non_control_instruction)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    x87_init(&f);
    X87Insn in = {.opcode = 0xDD,
                  .modrm = 0x45,
                  .ea = 0x140,
                  .eip = 0x2000,
                  .cs = 0x10,
                  .ds = 0x18};
    double v = 1.5;
    memcpy(m.b + 0x140, &v, 8);
    cr_assert_eq(x87t_exec_insn(&f, &m, &in), X87_OK); /* FLD m64 */
    cr_assert_eq(f.fip, 0x2000);
    cr_assert_eq(f.fcs, 0x10);
    cr_assert_eq(f.fop, 0x545);
    cr_assert_eq(f.fdp, 0x140);
    cr_assert_eq(f.fds, 0x18);

    /* A register form moves FIP/FOP but not the data pointer. */
    in = (X87Insn){.opcode = 0xD9, .modrm = 0xE1, .eip = 0x2004, .cs = 0x10};
    cr_assert_eq(x87t_exec_insn(&f, &m, &in), X87_OK); /* FABS */
    cr_assert_eq(f.fip, 0x2004);
    cr_assert_eq(f.fop, 0x1E1);
    cr_assert_eq(f.fdp, 0x140);

    /* Control instructions leave all of them alone. */
    static const uint8_t ctl[][2] = {
        {0xD9, 0x38}, {0xD9, 0x28}, {0xDD, 0x38}, {0xDB, 0xE2}, {0xDF, 0xE0}};
    for (unsigned i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++) {
        in = (X87Insn){.opcode = ctl[i][0],
                       .modrm = ctl[i][1],
                       .ea = 0x200,
                       .eip = 0x3000,
                       .cs = 0x20,
                       .ds = 0x28};
        m.b[0x200] = 0x7F;
        m.b[0x201] = 0x03;
        X87Result r = x87t_exec_insn(&f, &m, &in);
        cr_assert(r == X87_OK || r == X87_OK_AX);
        cr_assert_eq(f.fip, 0x2004, "%02x %02x", ctl[i][0], ctl[i][1]);
        cr_assert_eq(f.fop, 0x1E1);
        cr_assert_eq(f.fdp, 0x140);
    }
    cr_assert_eq(x87t_exec(&f, &m, 0xDB, 0xE3, 0), X87_OK); /* FNINIT */
    cr_assert_eq(f.fip | f.fdp | f.fop | f.fcs | f.fds, 0);
}

Test(x87_except, fnstsw_ax_hands_the_host_status_word_to_the_cpu)
{
    /* After FCOM of 1 with 2: C0 set (ST0 < source), TOP 6. */
    X87 f;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, 1.0, 2.0);
    x87t_exec_ok(&f, &m, 0xD8, 0xD1, 0); /* FCOM ST1 */
    cr_assert_eq(x87t_exec(&f, &m, 0xDF, 0xE0, 0), X87_OK_AX);

    uint16_t ax;
    double a = 1.0, b = 2.0;
    __asm__ volatile("fninit\n\t"
                     "fldl %2\n\t"
                     "fldl %1\n\t"
                     "fcom %%st(1)\n\t"
                     "fnstsw %%ax\n\t"
                     "fninit\n\t"
                     "mov %%ax, %0"
                     : "=m"(ax)
                     : "m"(a), "m"(b)
                     : "rax", "memory");
    cr_assert_eq(x87_status_word(&f), ax);
    cr_assert_eq(ax & 0x4700, 0x0100);
    cr_assert_eq((ax >> 11) & 7, 6);
}

static uint32_t comi_flags(double a, double b, uint8_t op, uint8_t modrm)
{
    X87 f;
    TestMem m;
    tm_init(&m);
    push2(&f, &m, a, b);
    X87Insn in = {.opcode = op, .modrm = modrm, .eflags = 0x8D5};
    cr_assert_eq(x87t_exec_insn(&f, &m, &in), X87_OK_EFLAGS);
    cr_assert_eq(x87t_top(&f), op == 0xDF ? 7 : 6);
    return f.eflags_out;
}

Test(x87_except, fcomi_reports_order_in_zf_pf_cf)
{
    double nan = __builtin_nan("");
    cr_assert_eq(comi_flags(1.0, 2.0, 0xDB, 0xF1), EFL_CF);
    cr_assert_eq(comi_flags(2.0, 1.0, 0xDB, 0xF1), 0);
    cr_assert_eq(comi_flags(2.0, 2.0, 0xDB, 0xF1), EFL_ZF);
    cr_assert_eq(comi_flags(2.0, nan, 0xDB, 0xE9), EFL_ZF | EFL_PF | EFL_CF);
    cr_assert_eq(comi_flags(1.0, 2.0, 0xDF, 0xE9), EFL_CF); /* FUCOMIP */
}

Test(x87_except, fcmov_moves_only_when_the_guest_condition_holds)
{
    static const struct {
        uint8_t op, modrm;
        uint32_t eflags;
        bool moves;
    } cases[] = {
        {0xDA, 0xC1, EFL_CF, true}, {0xDA, 0xC1, 0, false},      /* B */
        {0xDA, 0xC9, EFL_ZF, true}, {0xDA, 0xC9, EFL_CF, false}, /* E */
        {0xDA, 0xD1, EFL_ZF, true}, {0xDA, 0xD1, 0, false},      /* BE */
        {0xDA, 0xD9, EFL_PF, true}, {0xDA, 0xD9, EFL_ZF, false}, /* U */
        {0xDB, 0xC1, 0, true},      {0xDB, 0xC1, EFL_CF, false}, /* NB */
        {0xDB, 0xC9, EFL_CF, true}, {0xDB, 0xC9, EFL_ZF, false}, /* NE */
        {0xDB, 0xD1, 0, true},      {0xDB, 0xD1, EFL_CF, false}, /* NBE */
        {0xDB, 0xD9, EFL_ZF, true}, {0xDB, 0xD9, EFL_PF, false}, /* NU */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        X87 f;
        TestMem m;
        tm_init(&m);
        push2(&f, &m, 1.0, 2.0);
        X87Insn in = {.opcode = cases[i].op,
                      .modrm = cases[i].modrm,
                      .eflags = cases[i].eflags};
        cr_assert_eq(x87t_exec_insn(&f, &m, &in), X87_OK);
        F80 r = x87t_st(&f, 0);
        cr_assert_eq(r.se, cases[i].moves ? 0x4000 : 0x3FFF, "case %u", i);
    }
}
