/*
 * Test harness for the x87 FPU: guest memory as a byte array reached
 * through X87Mem callbacks (as the CPU would provide them), helpers that
 * drive x87_exec like the interpreter, and a runner for native x87 code on
 * the host.
 */
#ifndef X87_HARNESS_H
#define X87_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include "emu/x87.h"

#define TM_SIZE  4096
#define X87T_IMG 108
#define X87T_EIP 0x00401234u
#define X87T_CS  0x0023
#define X87T_DS  0x002B

/* Status word bits. */
#define SW_IE 0x0001
#define SW_ZE 0x0004
#define SW_OE 0x0008
#define SW_PE 0x0020
#define SW_SF 0x0040
#define SW_ES 0x0080
#define SW_C0 0x0100
#define SW_C1 0x0200
#define SW_C2 0x0400
#define SW_C3 0x4000
#define SW_B  0x8000

typedef struct TestMem {
    uint8_t b[TM_SIZE];
    uint32_t fault_lo, fault_hi; /* accesses touching [lo, hi) fault */
    unsigned reads, writes;
} TestMem;

void tm_init(TestMem *m);
X87Mem tm_ops(TestMem *m);

/* Run one instruction as the CPU would (32-bit protected mode). */
X87Result x87t_exec(X87 *f, TestMem *m, uint8_t opcode, uint8_t modrm,
                    uint32_t ea);
X87Result x87t_exec_insn(X87 *f, TestMem *m, const X87Insn *in);
/* x87t_exec that must succeed (fails the test otherwise). */
void x87t_exec_ok(X87 *f, TestMem *m, uint8_t opcode, uint8_t modrm,
                  uint32_t ea);
/* FLDCW cw, through memory at 0x10. */
void x87t_fldcw(X87 *f, TestMem *m, uint16_t cw);
/* FRSTOR / FNSAVE of a 108-byte 32-bit protected-mode image, via memory. */
void x87t_load(X87 *f, TestMem *m, const uint8_t *img);
void x87t_save(X87 *f, TestMem *m, uint8_t *img);

/* 80-bit value helpers. */
typedef struct F80 {
    uint64_t mant;
    uint16_t se; /* sign and exponent */
} F80;
void f80_put(uint8_t *p, F80 v);
F80 f80_get(const uint8_t *p);

/* TOP from the status word, and ST(i) as a value. */
static inline unsigned x87t_top(const X87 *f)
{
    return (f->sw >> 11) & 7;
}

static inline F80 x87t_st(const X87 *f, unsigned i)
{
    return f80_get(f->st[(x87t_top(f) + i) & 7]);
}

/*
 * Build an FNSAVE image: control word cw, TOP = top, ST(i) = vals[i] for
 * i < n, the other registers empty (holding a junk pattern).
 */
void x87t_image(uint8_t *img, uint16_t cw, unsigned top, const F80 *vals,
                unsigned n);

#endif /* X87_HARNESS_H */
