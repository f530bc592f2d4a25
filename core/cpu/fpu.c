/*
 * tulipvm: glue between the x86 interpreter and the x87 FPU.
 *
 * The interpreter decodes the escape opcode and its effective address,
 * applies CR0.EM/TS (#NM) and the pending-error check of waiting
 * instructions (#MF with CR0.NE), and lets x87_exec() do the rest.  Memory
 * operands reach the FPU through X87Mem callbacks that apply segmentation
 * and paging; a fault inside a callback is caught, reported to the FPU as
 * a failed access, and raised once x87_exec() has returned.
 *
 * Not modelled: IRQ13 (FERR#) reporting when CR0.NE=0; such errors are
 * logged once and otherwise ignored (Linux runs with NE=1).
 */
#include "cpu_internal.h"
#include "emu/log.h"

typedef struct FpuCtx {
    Cpu *c;
    int seg;
    bool faulted;
    int vec;
    uint32_t err;
} FpuCtx;

/* Run fn with faults turned into a false return instead of a longjmp. */
static bool fpu_access(FpuCtx *x, uint32_t off, void *buf, unsigned len,
                       bool write)
{
    Cpu *c = x->c;
    jmp_buf saved;
    memcpy(saved, c->jmp, sizeof(saved));
    if (setjmp(c->jmp)) {
        memcpy(c->jmp, saved, sizeof(saved));
        x->faulted = true;
        x->vec = c->pending_vec;
        x->err = c->pending_err;
        return false;
    }
    uint8_t *p = buf;
    if (len) {
        uint32_t lin = seg_lin(c, x->seg, off, len, write);
        if (write) {
            cpu_lin_probe(c, lin, len, true);
        }
        for (unsigned i = 0; i < len; i++) {
            if (write) {
                lin_write(c, lin + i, p[i], 1);
            } else {
                p[i] = (uint8_t)lin_read(c, lin + i, 1);
            }
        }
    }
    memcpy(c->jmp, saved, sizeof(saved));
    return true;
}

static bool fpu_read(void *ctx, uint32_t offset, void *buf, unsigned len)
{
    return fpu_access(ctx, offset, buf, len, false);
}

static bool fpu_write(void *ctx, uint32_t offset, const void *buf, unsigned len)
{
    return fpu_access(ctx, offset, (void *)buf, len, true);
}

static void fpu_check_error(Cpu *c)
{
    if (!x87_error_pending(&c->fpu)) {
        return;
    }
    if (c->cr0 & CPU_CR0_NE) {
        cpu_raise_noerr(c, CPU_EXC_MF);
    }
    emu_log(LOG_UNIMP, "cpu: x87 error with CR0.NE=0 (IRQ13) not modelled");
}

void cpu_fpu_wait(Cpu *c)
{
    if ((c->cr0 & (CPU_CR0_TS | CPU_CR0_MP)) == (CPU_CR0_TS | CPU_CR0_MP)) {
        cpu_raise_noerr(c, CPU_EXC_NM);
    }
    fpu_check_error(c);
}

void cpu_fpu_exec(Cpu *c, uint8_t op, uint8_t modrm, uint32_t ea, int seg,
                  bool op16)
{
    if (c->cr0 & (CPU_CR0_EM | CPU_CR0_TS)) {
        cpu_raise_noerr(c, CPU_EXC_NM);
    }
    if (x87_insn_waits(op, modrm)) {
        fpu_check_error(c);
    }
    cpu_flags_flush(c); /* FCMOVcc reads CF, PF, ZF */
    FpuCtx x = {.c = c, .seg = seg};
    X87Mem mem = {.read = fpu_read, .write = fpu_write, .ctx = &x};
    X87Insn insn = {
        .opcode = op,
        .modrm = modrm,
        .op16 = op16,
        .real_mode = !c->pe,
        .ea = ea,
        .eip = c->insn_eip,
        .cs = c->seg[CPU_CS].sel,
        .ds = c->seg[seg].sel,
        .eflags = c->eflags,
    };
    switch (x87_exec(&c->fpu, &insn, &mem)) {
    case X87_OK:
        break;
    case X87_OK_AX: /* FNSTSW AX */
        c->g.r[CPU_EAX] =
            (c->g.r[CPU_EAX] & 0xFFFF0000u) | x87_status_word(&c->fpu);
        break;
    case X87_OK_EFLAGS: /* FCOMI family */
        cpu_flags_flush(c);
        c->eflags = (c->eflags & ~X87_EFLAGS_MASK) |
                    (c->fpu.eflags_out & X87_EFLAGS_MASK);
        break;
    case X87_FAULT:
        if (x.faulted) {
            cpu_raise(c, x.vec, x.err);
        }
        cpu_raise(c, CPU_EXC_GP, 0);
    case X87_UD:
        cpu_raise_noerr(c, CPU_EXC_UD);
    }
}
