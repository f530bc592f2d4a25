/*
 * tulipvm: x87 FPU (i387-compatible unit of an i586-class CPU).
 *
 * Models: the register stack, control/status/tag words, the instruction,
 * data and opcode pointers, every documented D8-DF encoding of the Pentium
 * plus FCOMI/FUCOMI(P), FCMOVcc and FFREEP, the 16/32-bit real and
 * protected-mode layouts of FNSTENV/FLDENV/FNSAVE/FRSTOR, and exceptions
 * (flags, masked responses, ES/B summary for unmasked ones).
 *
 * Arithmetic is not emulated: each instruction executes on the host's x87
 * unit (see x87_host.c), so results and status are bit-exact by
 * construction.  This file decodes, fetches and stores the guest memory
 * operands through the CPU's callbacks, converts the state to and from the
 * host's FNSAVE image and the guest's environment layouts, and keeps the
 * pointer registers, which the host cannot know.
 *
 * Not modelled: the undocumented register aliases (FSTP1, FCOM2, FCOMP3,
 * FXCH4, FCOMP5, FXCH7, FSTP8, FSTP9) raise #UD; FISTTP (SSE3) raises #UD
 * as on a Pentium; FNENI/FNDISI/FNSETPM do nothing, as on a 387.
 */
#include "emu/bytes.h"
#include "emu/x87.h"
#include "x87_host.h"

#include <string.h>

#define X87_CW_INIT      0x037F
#define X87_CW_EXC       0x003F /* IM DM ZM OM UM PM */
#define X87_SW_ES        0x0080 /* error summary */
#define X87_SW_B         0x8000 /* busy, mirrors ES */
#define X87_SW_TOP_SHIFT 11
#define X87_ENV16_SIZE   14
#define X87_ENV32_SIZE   28
#define X87_REGS_SIZE    80

/* What a memory form does with its operand. */
typedef enum X87MemKind {
    MK_UD = 0,
    MK_LOAD,  /* read len bytes, then execute */
    MK_STORE, /* execute, then write len bytes unless suppressed */
    MK_LDENV, /* FLDENV */
    MK_STENV, /* FNSTENV */
    MK_RSTOR, /* FRSTOR */
    MK_SAVE,  /* FNSAVE */
} X87MemKind;

typedef struct X87MemForm {
    uint8_t kind;
    uint8_t len;
    bool control; /* leaves FIP/FDP/FOP alone */
} X87MemForm;

#define LD(n)                                                                  \
    {                                                                          \
        MK_LOAD, n, false                                                      \
    }
#define ST(n)                                                                  \
    {                                                                          \
        MK_STORE, n, false                                                     \
    }
#define UD                                                                     \
    {                                                                          \
        MK_UD, 0, false                                                        \
    }

/* Indexed by escape opcode & 7, then ModRM.reg. */
// clang-format off
static const X87MemForm x87_mem_forms[8][8] = {
    /* D8: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR m32real */
    {LD(4), LD(4), LD(4), LD(4), LD(4), LD(4), LD(4), LD(4)},
    /* D9: FLD m32, -, FST m32, FSTP m32, FLDENV, FLDCW, FNSTENV, FNSTCW */
    {LD(4), UD, ST(4), ST(4), {MK_LDENV, 0, true}, {MK_LOAD, 2, true},
     {MK_STENV, 0, true}, {MK_STORE, 2, true}},
    /* DA: FIADD .. FIDIVR m32int */
    {LD(4), LD(4), LD(4), LD(4), LD(4), LD(4), LD(4), LD(4)},
    /* DB: FILD m32, FISTTP, FIST m32, FISTP m32, -, FLD m80, -, FSTP m80 */
    {LD(4), UD, ST(4), ST(4), UD, LD(10), UD, ST(10)},
    /* DC: arithmetic m64real */
    {LD(8), LD(8), LD(8), LD(8), LD(8), LD(8), LD(8), LD(8)},
    /* DD: FLD m64, FISTTP, FST m64, FSTP m64, FRSTOR, -, FNSAVE, FNSTSW */
    {LD(8), UD, ST(8), ST(8), {MK_RSTOR, 0, true}, UD, {MK_SAVE, 0, true},
     {MK_STORE, 2, true}},
    /* DE: arithmetic m16int */
    {LD(2), LD(2), LD(2), LD(2), LD(2), LD(2), LD(2), LD(2)},
    /* DF: FILD m16, FISTTP, FIST m16, FISTP m16, FBLD, FILD m64, FBSTP,
     * FISTP m64 */
    {LD(2), UD, ST(2), ST(2), LD(10), LD(8), ST(10), ST(8)},
};
// clang-format on
#undef LD
#undef ST
#undef UD

/* What a register form (mod = 3) is. */
typedef enum X87RegKind {
    RK_UD = 0,
    RK_EXEC,    /* ordinary instruction */
    RK_COMI,    /* ordinary, and sets EFLAGS */
    RK_CLEX,    /* FNCLEX: control */
    RK_INIT,    /* FNINIT: control, clears the pointers */
    RK_NOP,     /* FNENI, FNDISI, FNSETPM: ignored */
    RK_STSW_AX, /* FNSTSW AX */
} X87RegKind;

static X87RegKind x87_reg_kind(uint8_t opcode, uint8_t modrm)
{
    unsigned reg = (modrm >> 3) & 7, rm = modrm & 7;

    switch (opcode) {
    case 0xD8:
        return RK_EXEC;
    case 0xD9:
        switch (reg) {
        case 0: /* FLD ST(i) */
        case 1: /* FXCH */
            return RK_EXEC;
        case 2: /* FNOP */
            return rm == 0 ? RK_EXEC : RK_UD;
        case 3: /* FSTP1 alias */
            return RK_UD;
        case 4: /* FCHS FABS - - FTST FXAM - - */
            return (rm == 0 || rm == 1 || rm == 4 || rm == 5) ? RK_EXEC : RK_UD;
        case 5: /* FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ - */
            return rm == 7 ? RK_UD : RK_EXEC;
        default: /* F2XM1 .. FCOS */
            return RK_EXEC;
        }
    case 0xDA: /* FCMOVB/E/BE/U, FUCOMPP */
        return (reg < 4 || modrm == 0xE9) ? RK_EXEC : RK_UD;
    case 0xDB:
        if (reg < 4) { /* FCMOVNB/NE/NBE/NU */
            return RK_EXEC;
        }
        if (reg == 5 || reg == 6) { /* FUCOMI, FCOMI */
            return RK_COMI;
        }
        if (reg == 4) {
            switch (rm) {
            case 0: /* FNENI */
            case 1: /* FNDISI */
            case 4: /* FNSETPM */
                return RK_NOP;
            case 2:
                return RK_CLEX;
            case 3:
                return RK_INIT;
            default:
                return RK_UD;
            }
        }
        return RK_UD;
    case 0xDC: /* FCOM2/FCOMP3 aliases at reg 2, 3 */
        return (reg == 2 || reg == 3) ? RK_UD : RK_EXEC;
    case 0xDD: /* FFREE, -, FST, FSTP, FUCOM, FUCOMP, -, - */
        return (reg == 1 || reg >= 6) ? RK_UD : RK_EXEC;
    case 0xDE: /* FADDP FMULP - FCOMPP(D9 only) FSUBRP FSUBP FDIVRP FDIVP */
        if (reg == 2 || (reg == 3 && modrm != 0xD9)) {
            return RK_UD;
        }
        return RK_EXEC;
    case 0xDF:
        if (reg == 0) { /* FFREEP */
            return RK_EXEC;
        }
        if (modrm == 0xE0) {
            return RK_STSW_AX;
        }
        if (reg == 5 || reg == 6) { /* FUCOMIP, FCOMIP */
            return RK_COMI;
        }
        return RK_UD;
    default:
        return RK_UD;
    }
}

static unsigned x87_top(const X87 *f)
{
    return (f->sw >> X87_SW_TOP_SHIFT) & 7;
}

/* The state as the host's FNSAVE image; ST(i) is R((TOP + i) mod 8). */
static void x87_to_image(const X87 *f, uint8_t *img)
{
    le32_put(img + 0, 0xFFFF0000u | f->cw);
    le32_put(img + 4, 0xFFFF0000u | f->sw);
    le32_put(img + 8, 0xFFFF0000u | f->tw);
    le32_put(img + 12, f->fip);
    le32_put(img + 16, f->fcs | (uint32_t)(f->fop & 0x7FF) << 16);
    le32_put(img + 20, f->fdp);
    le32_put(img + 24, 0xFFFF0000u | f->fds);
    unsigned top = x87_top(f);
    for (unsigned i = 0; i < 8; i++) {
        memcpy(img + X87_ENV32_SIZE + 10 * i, f->st[(top + i) & 7], 10);
    }
}

/* Control, status, tags and registers back from a host image; the
 * pointers are kept by this file, not by the host. */
static void x87_from_image(X87 *f, const uint8_t *img)
{
    f->cw = le16_get(img + 0);
    f->sw = le16_get(img + 4);
    f->tw = le16_get(img + 8);
    unsigned top = x87_top(f);
    for (unsigned i = 0; i < 8; i++) {
        memcpy(f->st[(top + i) & 7], img + X87_ENV32_SIZE + 10 * i, 10);
    }
}

static unsigned x87_env_size(const X87Insn *in)
{
    return in->op16 ? X87_ENV16_SIZE : X87_ENV32_SIZE;
}

/*
 * Guest environment image (Intel SDM vol. 1 figures 8-9 to 8-12) to the
 * host's 32-bit protected-mode layout; the pointers go to *f.  Real-mode
 * images hold linear (segment * 16 + offset) pointers, loaded with a zero
 * selector.
 */
static void x87_env_from_guest(const uint8_t *g, const X87Insn *in,
                               uint8_t *host, X87 *f)
{
    uint16_t cw, sw, tw;

    if (in->op16) {
        cw = le16_get(g);
        sw = le16_get(g + 2);
        tw = le16_get(g + 4);
        if (in->real_mode) {
            uint16_t w8 = le16_get(g + 8), w12 = le16_get(g + 12);
            f->fip = le16_get(g + 6) | (uint32_t)(w8 >> 12) << 16;
            f->fop = w8 & 0x7FF;
            f->fdp = le16_get(g + 10) | (uint32_t)(w12 >> 12) << 16;
            f->fcs = f->fds = 0;
        } else {
            f->fip = le16_get(g + 6);
            f->fcs = le16_get(g + 8);
            f->fdp = le16_get(g + 10);
            f->fds = le16_get(g + 12);
            f->fop = 0; /* not part of the 16-bit protected-mode image */
        }
    } else {
        cw = le16_get(g);
        sw = le16_get(g + 4);
        tw = le16_get(g + 8);
        uint32_t d4 = le32_get(g + 16);
        if (in->real_mode) {
            uint32_t d6 = le32_get(g + 24);
            f->fip = le16_get(g + 12) | ((d4 >> 12) & 0xFFFF) << 16;
            f->fop = d4 & 0x7FF;
            f->fdp = le16_get(g + 20) | ((d6 >> 12) & 0xFFFF) << 16;
            f->fcs = f->fds = 0;
        } else {
            f->fip = le32_get(g + 12);
            f->fcs = (uint16_t)d4;
            f->fop = (d4 >> 16) & 0x7FF;
            f->fdp = le32_get(g + 20);
            f->fds = le16_get(g + 24);
        }
    }
    memset(host, 0, X87_ENV32_SIZE);
    le32_put(host + 0, 0xFFFF0000u | cw);
    le32_put(host + 4, 0xFFFF0000u | sw);
    le32_put(host + 8, 0xFFFF0000u | tw);
}

/*
 * Host environment (as stored by the host's FNSTENV/FNSAVE, so with the tag
 * word recomputed from the register contents) to the guest layout, with the
 * guest's pointers from *f.  Reserved halves are filled as the host fills
 * them.
 */
static void x87_env_to_guest(const uint8_t *host, const X87 *f,
                             const X87Insn *in, uint8_t *g)
{
    uint16_t cw = le16_get(host), sw = le16_get(host + 4),
             tw = le16_get(host + 8);
    uint32_t rsv = (uint32_t)le16_get(host + 2) << 16;
    uint32_t ip = f->fip, dp = f->fdp;

    if (in->real_mode) {
        ip += (uint32_t)f->fcs << 4;
        dp += (uint32_t)f->fds << 4;
    }
    if (in->op16) {
        le16_put(g, cw);
        le16_put(g + 2, sw);
        le16_put(g + 4, tw);
        le16_put(g + 6, ip);
        le16_put(g + 10, dp);
        if (in->real_mode) {
            le16_put(g + 8, ((ip >> 16) & 0xF) << 12 | (f->fop & 0x7FF));
            le16_put(g + 12, ((dp >> 16) & 0xF) << 12);
        } else {
            le16_put(g + 8, f->fcs);
            le16_put(g + 12, f->fds);
        }
    } else {
        le32_put(g + 0, rsv | cw);
        le32_put(g + 4, rsv | sw);
        le32_put(g + 8, rsv | tw);
        if (in->real_mode) {
            le32_put(g + 12, rsv | (ip & 0xFFFF));
            le32_put(g + 16, (ip >> 16) << 12 | (f->fop & 0x7FF));
            le32_put(g + 20, rsv | (dp & 0xFFFF));
            le32_put(g + 24, (dp >> 16) << 12);
        } else {
            le32_put(g + 12, ip);
            le32_put(g + 16, f->fcs | (uint32_t)(f->fop & 0x7FF) << 16);
            le32_put(g + 20, dp);
            le32_put(g + 24, rsv | f->fds);
        }
    }
}

static void x87_update_es(X87 *f)
{
    if (f->sw & ~f->cw & X87_CW_EXC) {
        f->sw |= X87_SW_ES | X87_SW_B;
    } else {
        f->sw &= (uint16_t) ~(X87_SW_ES | X87_SW_B);
    }
}

static bool x87_all_bytes(const uint8_t *p, unsigned len, uint8_t v)
{
    for (unsigned i = 0; i < len; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

void x87_init(X87 *f)
{
    memset(f, 0, sizeof(*f));
    f->cw = X87_CW_INIT;
    f->tw = 0xFFFF;
}

uint16_t x87_status_word(const X87 *f)
{
    return f->sw;
}

bool x87_error_pending(const X87 *f)
{
    /* The hardware recomputes ES whenever CW or SW is loaded, so the
     * pending condition is exactly an unmasked flag. */
    return (f->sw & ~f->cw & X87_CW_EXC) != 0;
}

bool x87_insn_waits(uint8_t opcode, uint8_t modrm)
{
    unsigned reg = (modrm >> 3) & 7;

    if (modrm >= 0xC0) {
        return !((opcode == 0xDB && modrm >= 0xE0 && modrm <= 0xE3) ||
                 (opcode == 0xDF && modrm == 0xE0));
    }
    return !((opcode == 0xD9 || opcode == 0xDD) && reg >= 6);
}

X87Result x87_exec(X87 *f, const X87Insn *in, const X87Mem *mem)
{
    uint8_t opcode = in->opcode, modrm = in->modrm;
    bool is_mem = modrm < 0xC0;
    X87MemForm mf = {MK_UD, 0, false};
    X87RegKind rk = RK_EXEC;
    bool control;

    if (opcode < 0xD8 || opcode > 0xDF) {
        return X87_UD;
    }
    if (is_mem) {
        mf = x87_mem_forms[opcode & 7][(modrm >> 3) & 7];
        if (mf.kind == MK_UD) {
            return X87_UD;
        }
        control = mf.control;
    } else {
        rk = x87_reg_kind(opcode, modrm);
        switch (rk) {
        case RK_UD:
            return X87_UD;
        case RK_NOP:
            return X87_OK;
        case RK_STSW_AX:
            return X87_OK_AX;
        default:
            break;
        }
        control = rk == RK_CLEX || rk == RK_INIT;
    }

    uint8_t operand[X87_HOST_IMAGE_SIZE];
    uint8_t guest[X87_HOST_IMAGE_SIZE];
    unsigned len = mf.len;
    X87 n = *f;

    /* Fetch everything before any state changes. */
    switch (mf.kind) {
    case MK_LOAD:
        if (!mem->read(mem->ctx, in->ea, operand, len)) {
            return X87_FAULT;
        }
        break;
    case MK_LDENV:
    case MK_RSTOR:
        len = x87_env_size(in);
        if (mf.kind == MK_RSTOR) {
            len += X87_REGS_SIZE;
        }
        if (!mem->read(mem->ctx, in->ea, guest, len)) {
            return X87_FAULT;
        }
        x87_env_from_guest(guest, in, operand, &n);
        memcpy(operand + X87_ENV32_SIZE, guest + x87_env_size(in),
               mf.kind == MK_RSTOR ? X87_REGS_SIZE : 0);
        break;
    default:
        break;
    }

    /*
     * A waiting instruction normally never runs with an exception pending
     * (the CPU raises #MF first); when the CPU lets it run anyway, the host
     * must not trap, so the pending exceptions are masked while it runs and
     * the guest's masks restored afterwards.
     */
    uint16_t pending = 0;
    if (x87_insn_waits(opcode, modrm)) {
        pending = f->sw & ~f->cw & X87_CW_EXC;
    }
    uint8_t img[X87_HOST_IMAGE_SIZE];
    x87_to_image(f, img);
    img[0] |= (uint8_t)pending;

    const void *stub = x87_host_stub(opcode, modrm);
    uint64_t flags = in->eflags;
    bool store = true;
    if (mf.kind == MK_STORE) {
        /*
         * An unmasked exception suppresses the store: find out whether the
         * host wrote the buffer, with a second pattern in case the result
         * happens to equal the first.
         */
        uint8_t again[X87_HOST_IMAGE_SIZE];
        memcpy(again, img, sizeof(again));
        memset(operand, 0x5A, len);
        x87_host_call(img, operand, stub, &flags);
        if (x87_all_bytes(operand, len, 0x5A)) {
            memcpy(img, again, sizeof(img));
            flags = in->eflags;
            memset(operand, 0xA5, len);
            x87_host_call(img, operand, stub, &flags);
            store = !x87_all_bytes(operand, len, 0xA5);
        }
    } else {
        x87_host_call(img, operand, stub, &flags);
    }
    x87_from_image(&n, img);

    bool loads_cw = mf.kind == MK_LDENV || mf.kind == MK_RSTOR ||
                    (opcode == 0xD9 && is_mem && ((modrm >> 3) & 7) == 5);
    if (pending && !loads_cw) {
        n.cw = f->cw;
        x87_update_es(&n);
    }

    if (mf.kind == MK_SAVE || rk == RK_INIT) {
        n.fip = n.fdp = 0;
        n.fcs = n.fds = 0;
        n.fop = 0;
    } else if (!control) {
        n.fip = in->eip;
        n.fcs = in->cs;
        n.fop = (uint16_t)((opcode & 7) << 8 | modrm);
        if (is_mem) {
            n.fdp = in->ea;
            n.fds = in->ds;
        }
    }

    /* Stores last: a faulting write leaves *f untouched. */
    switch (mf.kind) {
    case MK_STORE:
        if (store && !mem->write(mem->ctx, in->ea, operand, len)) {
            return X87_FAULT;
        }
        break;
    case MK_STENV:
    case MK_SAVE:
        /* The stub stored the host's image of the state before the
         * instruction; the pointers are the guest's, also from before. */
        len = x87_env_size(in);
        x87_env_to_guest(operand, f, in, guest);
        if (mf.kind == MK_SAVE) {
            memcpy(guest + len, operand + X87_ENV32_SIZE, X87_REGS_SIZE);
            len += X87_REGS_SIZE;
        }
        if (!mem->write(mem->ctx, in->ea, guest, len)) {
            return X87_FAULT;
        }
        break;
    default:
        break;
    }

    *f = n;
    if (rk == RK_COMI) {
        f->eflags_out = (uint32_t)flags & X87_EFLAGS_MASK;
        return X87_OK_EFLAGS;
    }
    return X87_OK;
}
