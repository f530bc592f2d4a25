/*
 * tulipvm: the host x87 unit that executes guest x87 instructions
 * (internal to core/x87/).  See x87_host.c.
 */
#ifndef X87_HOST_H
#define X87_HOST_H

#include <stdint.h>

/* Size of an FNSAVE image in the host's (32-bit protected-mode) layout. */
#define X87_HOST_IMAGE_SIZE 108
#define X87_HOST_ENV_SIZE   28

/*
 * Load img into the host FPU (FRSTOR), set the host's OF SF ZF AF PF CF from
 * *flags, run the stub, store the host's EFLAGS into *flags and the FPU
 * state back into img (FNSAVE, which leaves the host FPU initialised), then
 * restore the caller's control word.  A memory operand of the stub is
 * operand[0..].
 */
void x87_host_call(uint8_t *img, uint8_t *operand, const void *stub,
                   uint64_t *flags);

/* The stub running opcode/modrm natively; a memory form addresses the
 * operand buffer.  Only for encodings the caller has checked are valid. */
const void *x87_host_stub(uint8_t opcode, uint8_t modrm);

#endif /* X87_HOST_H */
