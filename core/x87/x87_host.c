/*
 * tulipvm: executing guest x87 instructions on the host's own x87 unit.
 *
 * tulipvm runs only on x86-64 hosts, whose x87 unit is the very FPU the
 * guest expects: 80-bit registers, the same control word (precision and
 * rounding control), the same exception flags and masked responses, the
 * same transcendental microcode.  So instead of a software float library,
 * every guest x87 instruction runs as itself: the guest state is loaded
 * into the host FPU with FRSTOR, the identical opcode and ModRM byte execute
 * (a memory form is re-pointed at a host buffer holding the operand), and
 * FNSAVE brings the state back.  Results, C0-C3, TOP, tags and exception
 * flags are therefore bit-exact by construction, including unmasked
 * responses (no store, biased exponents), which the host records in its
 * status word but never delivers: FNSAVE re-initialises the host FPU
 * before any waiting instruction could trap.
 *
 * Each stub is 16 bytes: ENDBR64, the two instruction bytes, RET.  There is
 * one stub per (escape opcode, ModRM.reg) memory form, with ModRM rewritten
 * to mod=00 rm=110 ([rsi]), and one per register form.  Encodings that
 * would raise #UD on the host are never called (x87.c checks first).
 *
 * Not modelled: differences between the host's and an original Pentium's
 * transcendental results (FSIN etc. give the host's bits).
 */
#include "x87_host.h"

#if !defined(__x86_64__)
#error "the x87 FPU executes guest instructions on an x86-64 host FPU"
#endif

#define X87_STUB_SIZE        16
#define X87_STUBS_PER_OPCODE 72 /* 8 memory forms + 64 register forms */

/* clang-format off */
__asm__(
    ".text\n"
    ".globl x87_host_call\n"
    ".hidden x87_host_call\n"
    ".type x87_host_call, @function\n"
    ".balign 16\n"
    "x87_host_call:\n"               /* rdi img, rsi operand, rdx stub, rcx flags */
    "    .byte 0xf3, 0x0f, 0x1e, 0xfa\n" /* endbr64 */
    "    sub $24, %rsp\n"            /* keeps the stack 16-byte aligned */
    "    fnstcw 8(%rsp)\n"
    "    frstor (%rdi)\n"
    "    mov (%rcx), %rax\n"
    "    and $0x8d5, %eax\n"         /* only OF SF ZF AF PF CF; DF, TF stay 0 */
    "    or $2, %eax\n"
    "    push %rax\n"
    "    popfq\n"
    "    call *%rdx\n"
    "    pushfq\n"
    "    pop %rax\n"
    "    mov %rax, (%rcx)\n"
    "    fnsave (%rdi)\n"
    "    fldcw 8(%rsp)\n"
    "    add $24, %rsp\n"
    "    ret\n"
    ".size x87_host_call, . - x87_host_call\n"

    ".globl x87_host_stubs\n"
    ".hidden x87_host_stubs\n"
    ".balign 16\n"
    "x87_host_stubs:\n"
    ".set .Lx87_op, 0xD8\n"
    ".rept 8\n"
    "  .set .Lx87_reg, 0\n"
    "  .rept 8\n"
    "    .balign 16\n"
    "    .byte 0xf3, 0x0f, 0x1e, 0xfa\n"
    "    .byte .Lx87_op, (.Lx87_reg << 3) | 6\n"
    "    ret\n"
    "    .set .Lx87_reg, .Lx87_reg + 1\n"
    "  .endr\n"
    "  .set .Lx87_modrm, 0xC0\n"
    "  .rept 64\n"
    "    .balign 16\n"
    "    .byte 0xf3, 0x0f, 0x1e, 0xfa\n"
    "    .byte .Lx87_op, .Lx87_modrm\n"
    "    ret\n"
    "    .set .Lx87_modrm, .Lx87_modrm + 1\n"
    "  .endr\n"
    "  .set .Lx87_op, .Lx87_op + 1\n"
    ".endr\n"
    ".balign 16\n");
/* clang-format on */

extern const uint8_t x87_host_stubs[];

const void *x87_host_stub(uint8_t opcode, uint8_t modrm)
{
    unsigned idx = (unsigned)(opcode & 7) * X87_STUBS_PER_OPCODE;
    if (modrm >= 0xC0) {
        idx += 8 + (modrm & 0x3F);
    } else {
        idx += (modrm >> 3) & 7;
    }
    return x87_host_stubs + (unsigned long)idx * X87_STUB_SIZE;
}
