/*
 * Guest-controlled input must never crash or hang the emulator: random
 * byte strings run as code (32-bit protected mode with an IDT, and real
 * mode), including whatever system instructions they happen to contain
 * (control registers, descriptor tables, port I/O, HLT).  Each run is
 * bounded by its cycle budget and must end with a defined stop reason.
 */
#include <string.h>
#include <criterion/criterion.h>
#include "cpu_vm.h"
#include "emu/log.h"

#define RAM (4u * 1024 * 1024)

static uint32_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)*s;
}

static void setup_flat(TestVm *vm)
{
    static const uint64_t gdt[4] = {0, 0, 0x00CF9A000000FFFFull,
                                    0x00CF92000000FFFFull};
    vm_load(vm, 0x800, gdt, sizeof(gdt));
    for (uint32_t v = 0; v < 256; v++) {
        uint32_t h = 0x4000 + (v & 31) * 16;
        vm_wr32(vm, 0x1000 + v * 8, (h & 0xFFFF) | 0x100000);
        vm_wr32(vm, 0x1000 + v * 8 + 4, (h & 0xFFFF0000) | 0x8E00);
    }
    uint8_t hlt[32 * 16];
    memset(hlt, 0xF4, sizeof(hlt));
    vm_load(vm, 0x4000, hlt, sizeof(hlt));
    cpu_set_flat32(vm->cpu, 0x20000);
    CpuState s;
    cpu_get_state(vm->cpu, &s);
    s.gdt_base = 0x800;
    s.gdt_limit = 31;
    s.idt_base = 0x1000;
    s.idt_limit = 256 * 8 - 1;
    s.r[CPU_ESP] = 0x30000;
    cpu_set_state(vm->cpu, &s);
}

static void run_random(bool real_mode, unsigned programs, uint64_t seed)
{
    TestVm *vm = vm_new(RAM);
    uint8_t code[256];
    unsigned printed = log_enabled();
    log_set_enabled(0); /* triple faults are expected here */
    for (unsigned p = 0; p < programs; p++) {
        for (unsigned i = 0; i < sizeof(code); i++) {
            code[i] = (uint8_t)rng_next(&seed);
        }
        cpu_reset(vm->cpu);
        if (real_mode) {
            CpuState s;
            cpu_get_state(vm->cpu, &s);
            s.seg[CPU_CS].sel = 0x2000;
            s.seg[CPU_CS].base = 0x20000;
            s.eip = 0;
            cpu_set_state(vm->cpu, &s);
        } else {
            setup_flat(vm);
        }
        vm_load(vm, 0x20000, code, sizeof(code));
        uint64_t before = clock_now(vm->clock);
        CpuStop st = cpu_run(vm->cpu, before + 5000);
        cr_assert(st == CPU_STOP_LIMIT || st == CPU_STOP_HALT ||
                      st == CPU_STOP_RESET,
                  "program %u: stop %d", p, st);
        cr_assert_leq(clock_now(vm->clock), before + 5000);
    }
    log_set_enabled(printed);
    vm_free(vm);
}

Test(cpu_robust, random_code_in_protected_mode_is_contained)
{
    run_random(false, 2000, 0x9E3779B97F4A7C15ull);
}

Test(cpu_robust, random_code_in_real_mode_is_contained)
{
    run_random(true, 2000, 0xD1B54A32D192ED03ull);
}
