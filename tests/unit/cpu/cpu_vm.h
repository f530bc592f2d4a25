/*
 * A minimal machine for CPU tests: guest RAM mapped at 0, a port bus with
 * a report port (0xE9, dwords collected in order), a clock, and an
 * interrupt source the test drives by hand.
 */
#ifndef TEST_CPU_VM_H
#define TEST_CPU_VM_H

#include <stdbool.h>
#include <stdint.h>
#include "emu/bus.h"
#include "emu/clock.h"
#include "emu/cpu.h"
#include "emu/irq.h"
#include "emu/mem.h"

#define VM_MAX_REPORTS 1024

typedef struct TestVm {
    MemMap *mem;
    Bus *io;
    Clock *clock;
    Cpu *cpu;
    uint32_t reports[VM_MAX_REPORTS];
    unsigned nreports;
    bool intr_line;   /* INTR asserted */
    uint8_t intr_vec; /* vector returned by the acknowledge */
    unsigned acks;
    uint8_t post[64]; /* POST codes written to 0x80 */
    unsigned npost;
} TestVm;

TestVm *vm_new(uint64_t ram_size);
/* PC layout: RAM below 640 KiB and from 1 MiB, nothing in between. */
TestVm *vm_new_pc(uint64_t ram_size);
void vm_free(TestVm *vm);
/* Copy bytes into guest RAM at a physical address. */
void vm_load(TestVm *vm, uint32_t addr, const void *data, size_t len);
/* Load tests/guest/<name>.bin at addr; returns its size. */
size_t vm_load_guest(TestVm *vm, const char *name, uint32_t addr);
/* Read a whole guest program image (caller g_free()s). */
uint8_t *vm_read_guest(const char *name, size_t *len);
/* Run until HLT (with IF=0 or no interrupt coming) or max_cycles. */
CpuStop vm_run(TestVm *vm, uint64_t max_cycles);
uint32_t vm_rd32(TestVm *vm, uint32_t addr);
void vm_wr32(TestVm *vm, uint32_t addr, uint32_t v);

#endif
