/*
 * The interpreter's side of the x87: escape opcodes reach the FPU, and the
 * results that land in integer state (FNSTSW AX, FCOMI's EFLAGS, FCMOVcc
 * reading EFLAGS, memory stores) arrive where the kernel's FPU checks and
 * busybox expect them.
 */
#include <criterion/criterion.h>
#include "cpu_vm.h"

static const uint8_t prog[] = {
    0xDB, 0xE3,                   /* fninit */
    0xDF, 0xE0,                   /* fnstsw ax  -> 0 with an FPU present */
    0x89, 0xC3,                   /* mov ebx, eax */
    0xD9, 0xE8,                   /* fld1 */
    0xD9, 0xEE,                   /* fldz: st0 = 0, st1 = 1 */
    0xDB, 0xF1,                   /* fcomi st0, st1: 0 < 1 -> CF */
    0x9C,                         /* pushfd */
    0x5A,                         /* pop edx */
    0xDA, 0xC1,                   /* fcmovb st0, st1: CF set -> st0 = 1 */
    0xDB, 0x1D, 0x00, 0x20, 0, 0, /* fistp dword [0x2000] */
    0xD9, 0xEE,                   /* fldz */
    0xDE, 0xF9,                   /* fdivp st1, st0: 1/0, ZE masked */
    0xDF, 0xE0,                   /* fnstsw ax */
    0xF4,                         /* hlt */
};

Test(cpu_fpu, status_compare_flags_and_stores_reach_integer_state)
{
    TestVm *vm = vm_new(1u << 20);
    vm_load(vm, 0x1000, prog, sizeof(prog));
    vm_wr32(vm, 0x2000, 0xDEADBEEF);
    cpu_set_flat32(vm->cpu, 0x1000);
    cpu_set_reg(vm->cpu, CPU_ESP, 0x8000);
    cpu_set_reg(vm->cpu, CPU_EAX, 0xFFFFFFFF);
    cr_assert_eq(vm_run(vm, 1000), CPU_STOP_HALT);

    cr_assert_eq(cpu_get_reg(vm->cpu, CPU_EBX), 0xFFFF0000u,
                 "FNSTSW AX wrote the status word (0) into AX only");
    uint32_t fl = cpu_get_reg(vm->cpu, CPU_EDX);
    cr_assert(fl & CPU_FLAG_CF, "FCOMI: 0 < 1 sets CF");
    cr_assert_not(fl & (CPU_FLAG_ZF | CPU_FLAG_PF), "ordered, not equal");
    cr_assert_eq(vm_rd32(vm, 0x2000), 1, "FCMOVB moved st1 (1.0) into st0");
    uint16_t sw = cpu_get_reg(vm->cpu, CPU_EAX) & 0xFFFF;
    cr_assert(sw & 0x0004, "division by zero flagged in the status word");
    vm_free(vm);
}
