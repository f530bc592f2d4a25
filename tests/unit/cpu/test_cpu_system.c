/*
 * x86 system behaviour, driven by bare-metal guest programs
 * (tests/guest/, assembled with nasm) that report through port 0xE9.
 */
#include <string.h>
#include <criterion/criterion.h>
#include "cpu_vm.h"
#include "emu/log.h"

#define MB (1024u * 1024u)

static TestVm *boot(const char *prog)
{
    TestVm *vm = vm_new(16 * MB);
    vm_load_guest(vm, prog, 0x10000);
    cpu_set_flat32(vm->cpu, 0x10000);
    return vm;
}

/* One fault report: expected EIP, then vector, error, CR2, saved EIP. */
static void expect_fault(TestVm *vm, unsigned *i, uint32_t vec, uint32_t err)
{
    cr_assert_lt(*i + 4, vm->nreports, "missing report for vector %u", vec);
    uint32_t want_eip = vm->reports[*i];
    cr_expect_eq(vm->reports[*i + 1], vec, "vector: got %u want %u",
                 vm->reports[*i + 1], vec);
    cr_expect_eq(vm->reports[*i + 2], err,
                 "vector %u error code: got 0x%x want 0x%x", vec,
                 vm->reports[*i + 2], err);
    cr_expect_eq(vm->reports[*i + 4], want_eip,
                 "vector %u saved EIP: got 0x%x want 0x%x", vec,
                 vm->reports[*i + 4], want_eip);
    *i += 5;
}

Test(cpu_system, exceptions_push_right_error_code_and_eip)
{
    TestVm *vm = boot("sys_exc");
    cr_assert_eq(vm_run(vm, 1000000), CPU_STOP_HALT);
    unsigned i = 0;
    expect_fault(vm, &i, 0, 0);             /* #DE */
    expect_fault(vm, &i, 6, 0);             /* #UD */
    expect_fault(vm, &i, 13, 0x1234);       /* #GP(sel), TI set */
    expect_fault(vm, &i, 11, 0x38);         /* #NP(sel) */
    expect_fault(vm, &i, 12, 0x38);         /* #SS(sel) */
    expect_fault(vm, &i, 13, 0);            /* RDMSR */
    expect_fault(vm, &i, 3, 0);             /* INT3: trap */
    expect_fault(vm, &i, 4, 0);             /* INTO: trap */
    expect_fault(vm, &i, 5, 0);             /* BOUND */
    expect_fault(vm, &i, 11, 0x41 * 8 + 2); /* gate not present */
    expect_fault(vm, &i, 13, 0x45 * 8 + 2); /* beyond IDT limit */
    expect_fault(vm, &i, 13, 0);            /* read-only segment */
    expect_fault(vm, &i, 13, 0);            /* segment limit */
    cr_assert_eq(i + 1, vm->nreports);
    cr_assert_eq(vm->reports[i], 0xC0FFEE);
    vm_free(vm);
}

Test(cpu_system, page_faults_wp_large_global_pages_and_user_checks)
{
    TestVm *vm = boot("sys_paging");
    cr_assert_eq(vm_run(vm, 1000000), CPU_STOP_HALT);
    unsigned i = 0;
    expect_fault(vm, &i, 14, 0); /* not present, read */
    cr_expect_eq(vm->reports[i - 2], 0x300000, "CR2 0x%x", vm->reports[i - 2]);
    expect_fault(vm, &i, 14, 2); /* not present, write */
    cr_expect_eq(vm->reports[i - 2], 0x300004);
    cr_expect_eq(vm->reports[i++], 0x11, "WP=0 supervisor write lost");
    expect_fault(vm, &i, 14, 3); /* WP=1, protection, write */
    cr_expect_eq(vm->reports[i - 2], 0x301000);
    cr_expect_eq(vm->reports[i++], 0x11, "faulting write changed memory");
    cr_expect_eq(vm->reports[i++], 0xABCD1234, "4 MiB page alias");
    cr_expect_eq(vm->reports[i++], 0x60, "4 MiB PDE accessed+dirty");
    cr_expect_eq(vm->reports[i++], 0x20, "PTE accessed after a read");
    cr_expect_eq(vm->reports[i++], 0x60, "PTE dirty after a write");
    cr_expect_eq(vm->reports[i++], 0x1111, "global entry lost on CR3 load");
    cr_expect_eq(vm->reports[i++], 0x4444, "non-global entry survived");
    cr_expect_eq(vm->reports[i++], 0x3333, "INVLPG kept a global entry");
    expect_fault(vm, &i, 14, 5); /* user read of supervisor page */
    cr_expect_eq(vm->reports[i - 2], 0x302000);
    expect_fault(vm, &i, 14, 7); /* user write of supervisor page */
    expect_fault(vm, &i, 14, 7); /* user write of a read-only page */
    cr_expect_eq(vm->reports[i++], 0xC0FFEE);
    /* HLT in ring 3 */
    cr_assert_eq(vm->reports[i], 13);
    vm_free(vm);
}

Test(cpu_system, ring3_to_ring0_through_gate_and_back_with_iret)
{
    TestVm *vm = boot("sys_rings");
    cr_assert_eq(vm_run(vm, 1000000), CPU_STOP_HALT);
    uint32_t *r = vm->reports;
    cr_expect_eq(r[0], 0, "ES (DPL 0) not nulled on return to ring 3");
    cr_expect_eq(r[1], 0x2B, "FS (DPL 3) lost");
    /* inside the handler */
    cr_expect_eq(r[2], 0x23, "old CS");
    cr_expect_eq(r[3], 0x2B, "old SS");
    cr_expect_eq(r[4], 0x80000, "old ESP");
    uint32_t tss_esp0 = r[5] + 20; /* five dwords pushed */
    cr_expect_eq(r[6], 0x18, "SS from TSS");
    cr_expect_eq(r[7], 0x10, "handler CS");
    /* back in ring 3 */
    cr_expect_eq(r[8], 42, "syscall result");
    cr_expect_eq(r[9], 0x23);
    cr_expect_eq(r[10], 0x2B);
    cr_expect_eq(r[11], 0x80000, "ring 3 ESP restored");
    unsigned i = 12;
    expect_fault(vm, &i, 13, 0);            /* mov eax, cr0 */
    expect_fault(vm, &i, 13, 0x81 * 8 + 2); /* int to a DPL 0 gate */
    expect_fault(vm, &i, 13, 0);            /* lgdt */
    expect_fault(vm, &i, 13, 0x18);         /* DPL 0 data segment */
    cr_expect_eq(r[i++], 0xC0FFEE);
    cr_expect_eq(r[i], 13, "HLT in ring 3 must fault");
    /* the fault frame sits on the TSS stack too */
    cr_expect_neq(tss_esp0, 0);
    vm_free(vm);
}

Test(cpu_system, interrupts_respect_sti_shadow_and_wake_hlt)
{
    TestVm *vm = boot("sys_intr");
    /* INTR is asserted from the start; IF=0 keeps it pending */
    vm->intr_line = true;
    vm->intr_vec = 0x30;
    CpuStop st = vm_run(vm, 1000000);
    cr_assert_eq(st, CPU_STOP_HALT);
    cr_assert_eq(vm->acks, 1);
    cr_assert_eq(vm->nreports, 4);
    uint32_t *r = vm->reports;
    cr_expect_eq(r[1], r[0],
                 "interrupt must land right after the "
                 "instruction following STI");
    cr_expect_eq(r[2], 1, "instruction in the STI shadow did not run");
    cr_assert(cpu_halted(vm->cpu));
    /* nothing pending: stays halted, time still passes */
    uint64_t t0 = clock_now(vm->clock);
    cr_assert_eq(cpu_run(vm->cpu, t0 + 1000), CPU_STOP_HALT);
    cr_assert_eq(vm->nreports, 4);
    vm->intr_line = true;
    st = vm_run(vm, 1000000);
    cr_assert_eq(st, CPU_STOP_HALT);
    cr_assert_eq(vm->acks, 2);
    cr_assert_eq(vm->nreports, 7);
    cr_expect_eq(r[4], r[3], "interrupted EIP must follow the HLT");
    cr_expect_eq(r[6], 0x3000, "execution did not resume after IRET");
    vm_free(vm);
}

Test(cpu_system, code_modified_after_running_executes_new_bytes)
{
    TestVm *vm = boot("sys_smc");
    cr_assert_eq(vm_run(vm, 20000), CPU_STOP_LIMIT);
    cr_assert_eq(vm->nreports, 6);
    cr_expect_eq(vm->reports[0], 0x11111111);
    cr_expect_eq(vm->reports[1], 0x22222222, "stale code after a store");
    cr_expect_eq(vm->reports[2], 0x55, "next instruction not refetched");
    cr_expect_eq(vm->reports[3], 0x11223344);
    cr_expect_eq(vm->reports[4], 0x55663344,
                 "instruction straddling code chunks kept stale bytes");
    uint32_t imm_addr = vm->reports[5];
    /* the guest spins on its own code; a device rewrites it */
    uint32_t v = 0x12345678;
    cr_assert(mem_dma_write(vm->mem, imm_addr, &v, 4));
    cr_assert_eq(vm_run(vm, 20000), CPU_STOP_HALT);
    cr_assert_eq(vm->nreports, 7);
    cr_expect_eq(vm->reports[6], 0x12345678, "stale code after DMA");
    vm_free(vm);
}

Test(cpu_system, reset_vector_boot_real_to_protected_to_paging)
{
    TestVm *vm = vm_new_pc(16 * MB);
    size_t n;
    uint8_t *rom = vm_read_guest("boot_modes", &n);
    cr_assert(cpu_load_bios(vm->cpu, rom, n, NULL));
    g_free(rom);
    cr_assert_eq(cpu_get_eip(vm->cpu), 0xFFF0);
    cr_assert_eq(vm_run(vm, 1000000), CPU_STOP_HALT);
    cr_assert_eq(vm->nreports, 5);
    cr_expect_eq(vm->reports[0], 0x2345);
    cr_expect_eq(vm->reports[1], 0xBEEF, "16-bit addressing");
    cr_expect_eq(vm->reports[2], 0x4040, "real-mode IVT interrupt");
    cr_expect_eq(vm->reports[3], 0x32323232, "protected mode");
    cr_expect_eq(vm->reports[4], 0x77, "paging");
    cr_assert_eq(vm->npost, 3);
    cr_expect_eq(vm->post[0], 0x01);
    cr_expect_eq(vm->post[1], 0x02);
    cr_expect_eq(vm->post[2], 0xFF);
    vm_free(vm);
}

Test(cpu_system, bios_image_size_is_validated)
{
    TestVm *vm = vm_new_pc(16 * MB);
    uint8_t rom[100] = {0};
    GError *err = NULL;
    cr_assert_not(cpu_load_bios(vm->cpu, rom, sizeof(rom), &err));
    cr_assert_not_null(err);
    cr_expect_eq(err->code, EMU_ERROR_INVALID);
    g_error_free(err);
    vm_free(vm);
}

Test(cpu_system, double_fault_nm_cpuid_eflags_and_tsc)
{
    TestVm *vm = boot("sys_misc");
    cr_assert_eq(vm_run(vm, 1000000), CPU_STOP_HALT);
    unsigned i = 0;
    expect_fault(vm, &i, 8, 0); /* #DF, error code 0 */
    expect_fault(vm, &i, 7, 0); /* #NM with CR0.EM */
    expect_fault(vm, &i, 7, 0); /* #NM from WAIT with TS|MP */
    uint32_t *r = vm->reports;
    cr_assert_eq(vm->nreports, i + 10);
    cr_expect_eq(r[i], 1, "max CPUID leaf");
    cr_expect_eq(r[i + 1], 0x756E6547); /* Genu */
    cr_expect_eq(r[i + 2], 0x49656E69); /* ineI */
    cr_expect_eq(r[i + 3], 0x6C65746E); /* ntel */
    cr_expect_eq(r[i + 4], 0x543, "family 5 model 4 stepping 3");
    cr_expect_eq(r[i + 5], 0x8111, "FPU TSC CX8 CMOV");
    cr_expect_eq(r[i + 6], 0, "ID/AC set at reset");
    cr_expect_eq(r[i + 7], 0x240000, "ID/AC not writable");
    cr_expect_eq(r[i + 8], 12, "RDTSC must count one per instruction");
    cr_expect_eq(r[i + 9], 1, "TSC MSR write lost");
    vm_free(vm);
}

Test(cpu_system, fault_during_double_fault_shuts_down)
{
    TestVm *vm = boot("sys_triple");
    cr_assert_eq(vm_run(vm, 1000000), CPU_STOP_RESET);
    cr_assert_eq(vm->nreports, 1);
    cr_assert_eq(vm->reports[0], 0x7777);
    /* stays down until the machine resets it */
    cr_assert_eq(cpu_run(vm->cpu, clock_now(vm->clock) + 100), CPU_STOP_RESET);
    cpu_reset(vm->cpu);
    cr_assert_eq(cpu_get_eip(vm->cpu), 0xFFF0);
    vm_free(vm);
}

Test(cpu_system, clock_advances_by_executed_instructions)
{
    TestVm *vm = boot("sys_smc");
    cr_assert_eq(vm_run(vm, 5000), CPU_STOP_LIMIT);
    cr_assert_eq(clock_now(vm->clock), 5000);
    cr_assert_eq(cpu_insn_count(vm->cpu), 5000);
    vm_free(vm);
}

static void collect_line(void *opaque, const char *line)
{
    g_string_append_printf(opaque, "%s\n", line);
}

Test(cpu_system, post_codes_are_traced_with_trace_post)
{
    TestVm *vm = vm_new_pc(16 * MB);
    size_t n;
    uint8_t *rom = vm_read_guest("boot_modes", &n);
    cr_assert(cpu_load_bios(vm->cpu, rom, n, NULL));
    g_free(rom);
    GString *out = g_string_new(NULL);
    log_set_handler(collect_line, out);
    trace_set(TRACE_POST, true);
    cr_assert_eq(vm_run(vm, 1000000), CPU_STOP_HALT);
    trace_set(TRACE_POST, false);
    log_set_handler(NULL, NULL);
    cr_expect(strstr(out->str, "trace post: post 0x01\n") != NULL, "%s",
              out->str);
    cr_expect(strstr(out->str, "trace post: post 0x02\n") != NULL);
    cr_expect(strstr(out->str, "trace post: post 0xff\n") != NULL);
    g_string_free(out, TRUE);
    vm_free(vm);
}

Test(cpu_system, every_cr3_load_and_invlpg_drops_stale_translations)
{
    TestVm *vm = boot("sys_tlbflush");
    cr_assert_eq(vm_run(vm, 10000000), CPU_STOP_HALT);
    cr_assert_eq(vm->nreports, 1);
    cr_expect_eq(vm->reports[0], 0, "%u stale reads", vm->reports[0]);
    vm_free(vm);
}

Test(cpu_system, trap_flag_single_steps_with_db_after_each_instruction)
{
    TestVm *vm = boot("sys_step");
    cr_assert_eq(vm_run(vm, 100000), CPU_STOP_HALT);
    uint32_t *r = vm->reports;
    cr_assert_eq(vm->nreports, 7);
    cr_expect_eq(r[3], 3, "steps");
    cr_expect_eq(r[0], r[4], "first trap must follow the first NOP");
    cr_expect_eq(r[1], r[5]);
    cr_expect_eq(r[2], r[6]);
    vm_free(vm);
}
