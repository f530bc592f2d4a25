/*
 * tulipvm: x87 FPU interface between the x86 interpreter (core/cpu/) and
 * the FPU (core/x87/).
 *
 * The interpreter decodes an escape instruction (D8-DF, ModRM, effective
 * address) and calls x87_exec(); the FPU does everything else, reaching
 * memory operands through X87Mem callbacks that apply the CPU's
 * segmentation and paging.  A callback that faults records the exception
 * in the CPU and returns false; x87_exec then returns X87_FAULT with the
 * FPU state left as before the instruction (operand fetches happen before
 * any state change; stores are done as one callback each so a faulting
 * store changes nothing).
 *
 * The CPU owns CR0.EM/TS (#NM) and WAIT; before an instruction for which
 * x87_insn_waits() is true it asks x87_error_pending() to raise #MF
 * (CR0.NE=1) or IRQ13 (NE=0).  If it calls x87_exec anyway (IGNNE# asserted
 * after a write to port 0xF0), the instruction runs with the pending
 * exceptions treated as masked.
 *
 * Two instructions hand a value back to the CPU, signalled by their result:
 * FNSTSW AX (X87_OK_AX) and FCOMI/FCOMIP/FUCOMI/FUCOMIP (X87_OK_EFLAGS).
 * FCMOVcc reads the guest's flags from X87Insn.eflags.
 *
 * Each instruction executes on the host's own x87 unit (core/x87/
 * x87_host.c), so results are bit-exact; it costs about 0.2 us (an FRSTOR
 * and an FNSAVE around it).  x86-64 hosts only.
 */
#ifndef EMU_X87_H
#define EMU_X87_H

#include <stdbool.h>
#include <stdint.h>

/* EFLAGS bits exchanged with the FPU: OF SF ZF AF PF CF. */
#define X87_EFLAGS_MASK 0x8D5u

typedef struct X87 {
    uint8_t st[8][10];   /* physical registers R0..R7, 80-bit little-endian */
    uint16_t cw;         /* control word */
    uint16_t sw;         /* status word, TOP in bits 13..11 */
    uint16_t tw;         /* full tag word, 2 bits per physical register */
    uint16_t fop;        /* last non-control opcode (11 bits) */
    uint32_t fip, fdp;   /* last instruction / data pointer (offsets) */
    uint16_t fcs, fds;   /* their selectors */
    uint32_t eflags_out; /* out: OF SF ZF AF PF CF after X87_OK_EFLAGS */
} X87;

typedef struct X87Mem {
    /* offset is the instruction's effective address (+ displacement into
     * the operand); the callee adds the segment base and checks limits. */
    bool (*read)(void *ctx, uint32_t offset, void *buf, unsigned len);
    bool (*write)(void *ctx, uint32_t offset, const void *buf, unsigned len);
    void *ctx;
} X87Mem;

typedef enum X87Result {
    X87_OK = 0,
    X87_FAULT,     /* a memory callback faulted; CPU delivers its exception */
    X87_UD,        /* invalid opcode: CPU raises #UD */
    X87_OK_AX,     /* FNSTSW AX done: CPU sets AX = x87_status_word() */
    X87_OK_EFLAGS, /* FCOMI family done: CPU replaces the X87_EFLAGS_MASK
                      bits of EFLAGS with those of X87.eflags_out */
} X87Result;

/* The instruction being executed, as decoded by the CPU. */
typedef struct X87Insn {
    uint8_t opcode; /* 0xD8 .. 0xDF */
    uint8_t modrm;
    bool op16;       /* 16-bit operand size (FNSTENV/FLDENV/FNSAVE/FRSTOR) */
    bool real_mode;  /* real-mode (or V86) layout of the environment image */
    uint32_t ea;     /* effective address when modrm.mod != 3 */
    uint32_t eip;    /* for FIP: offset of the instruction's first byte */
    uint16_t cs;     /* for FCS */
    uint16_t ds;     /* selector of the operand's segment, for FDS */
    uint32_t eflags; /* in: current EFLAGS (CF, PF, ZF read by FCMOVcc) */
} X87Insn;

/* Power-on state: CW 0x037F, SW 0, all tags empty, registers zero. */
void x87_init(X87 *f);
X87Result x87_exec(X87 *f, const X87Insn *insn, const X87Mem *mem);
/* Unmasked exception pending (SW.ES): a waiting instruction faults. */
bool x87_error_pending(const X87 *f);
uint16_t x87_status_word(const X87 *f);
/* False for the no-wait forms (FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV,
 * FNSAVE, FNENI, FNDISI), which never check for a pending exception. */
bool x87_insn_waits(uint8_t opcode, uint8_t modrm);

#endif /* EMU_X87_H */
