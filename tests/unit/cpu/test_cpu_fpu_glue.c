/*
 * The CPU side of the x87 interface (emu/x87.h) with the real FPU: what
 * the CPU hands over (opcode, ModRM, effective address through its
 * segmentation, memory callbacks) and what it does with the answers
 * (faults at the FPU instruction, #MF at the next waiting instruction).
 */
#include <string.h>
#include <criterion/criterion.h>
#include "cpu_vm.h"
#include "emu/x87.h"

Test(cpu_fpu_glue, memory_operands_faults_and_mf_reach_the_guest)
{
    TestVm *vm = vm_new(16 * 1024 * 1024);
    vm_load_guest(vm, "sys_fpu", 0x10000);
    cpu_set_flat32(vm->cpu, 0x10000);
    cr_assert_eq(vm_run(vm, 100000), CPU_STOP_HALT);
    uint32_t *r = vm->reports;
    cr_assert_eq(vm->nreports, 14);
    cr_expect_eq(r[0], 0x037F, "FNSTCW after reset");
    cr_expect_eq(r[1], 0x027E, "FLDCW through [ebx+esi*2]");
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
