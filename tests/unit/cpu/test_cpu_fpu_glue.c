/*
 * The CPU side of the x87 interface (emu/x87.h), tested against a small
 * fake FPU defined here: it implements FNSTCW, FLDCW, FNCLEX and flags an
 * error on FDIVP, so the tests see exactly what the CPU hands over (opcode,
 * ModRM, effective address, memory callbacks) and what it does with the
 * answers (faults, #MF).  The real FPU in core/x87/ has its own suite.
 */
#include <string.h>
#include <criterion/criterion.h>
#include "cpu_vm.h"
#include "emu/x87.h"

void x87_init(X87 *f)
{
    memset(f, 0, sizeof(*f));
    f->cw = 0x037F;
    f->tw = 0xFFFF;
}

X87Result x87_exec(X87 *f, const X87Insn *insn, const X87Mem *mem)
{
    unsigned reg = (insn->modrm >> 3) & 7, mod = insn->modrm >> 6;
    if (insn->opcode == 0xD9 && mod != 3 && reg == 7) { /* FNSTCW */
        uint8_t b[2] = {f->cw & 0xFF, f->cw >> 8};
        return mem->write(mem->ctx, insn->ea, b, 2) ? X87_OK : X87_FAULT;
    }
    if (insn->opcode == 0xD9 && mod != 3 && reg == 5) { /* FLDCW */
        uint8_t b[2];
        if (!mem->read(mem->ctx, insn->ea, b, 2)) {
            return X87_FAULT;
        }
        f->cw = (uint16_t)(b[0] | b[1] << 8);
        return X87_OK;
    }
    if (insn->opcode == 0xDB && insn->modrm == 0xE2) { /* FNCLEX */
        f->sw &= 0x7F00;
        return X87_OK;
    }
    if (insn->opcode == 0xDE && insn->modrm == 0xF9) { /* FDIVP */
        f->sw |= 0x0084;                               /* ZE + ES */
        return X87_OK;
    }
    return X87_UD;
}

bool x87_error_pending(const X87 *f)
{
    return f->sw & 0x0080;
}

uint16_t x87_status_word(const X87 *f)
{
    return f->sw;
}

Test(cpu_fpu_glue, memory_operands_faults_and_mf_reach_the_guest)
{
    TestVm *vm = vm_new(16 * 1024 * 1024);
    vm_load_guest(vm, "sys_fpu", 0x10000);
    cpu_set_flat32(vm->cpu, 0x10000);
    cr_assert_eq(vm_run(vm, 100000), CPU_STOP_HALT);
    uint32_t *r = vm->reports;
    cr_assert_eq(vm->nreports, 14);
    cr_expect_eq(r[0], 0x037F, "FNSTCW after reset");
    cr_expect_eq(r[1], 0x027F, "FLDCW through [ebx+esi*2]");
    /* #GP(0) from the segment limit, at the FPU instruction */
    cr_expect_eq(r[3], 13);
    cr_expect_eq(r[4], 0);
    cr_expect_eq(r[6], r[2]);
    cr_expect_eq(r[7], 0x11111111, "faulting FPU store wrote memory");
    /* #MF at the FWAIT */
    cr_expect_eq(r[9], 16);
    cr_expect_eq(r[12], r[8]);
    cr_expect_eq(r[13], 0xC0FFEE);
    vm_free(vm);
}
