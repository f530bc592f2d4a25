/*
 * tulipvm: the x86 CPU (an i586-class interpreter).
 *
 * Models a single Pentium-class CPU without MMX: real mode, 16/32-bit
 * protected mode with segmentation (GDT/LDT/IDT, rings 0 and 3), two-level
 * paging with 4 KiB and 4 MiB pages, global pages, CR0.WP, exceptions and
 * external interrupts, the integer instruction set up to CMPXCHG8B and
 * CMOVcc, CPUID (family 5), RDTSC from the machine clock.  The x87 is
 * reached through core/include/emu/x87.h.
 *
 * Not modelled: virtual-8086 mode, hardware task switching (a task gate
 * is logged and treated as a shutdown), call gates, debug breakpoints
 * (DR0-DR3/DR7 are plain storage; single-step with EFLAGS.TF works), SMM, the
 * I/O permission bitmap (IN/OUT at CPL > IOPL raise #GP), caches and timing:
 * every instruction and every REP iteration costs one clock cycle.
 *
 * The machine owns memory, the port bus, the clock and the interrupt
 * controller and hands them to cpu_new().  cpu_run() executes until the
 * clock's next event deadline (or the caller's limit), advancing the clock
 * by the cycles executed; the caller then fires the due events.
 */
#ifndef EMU_CPU_H
#define EMU_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "emu/bus.h"
#include "emu/clock.h"
#include "emu/irq.h"
#include "emu/mem.h"

typedef struct Cpu Cpu;

/* Register numbers, in ModRM order. */
enum {
    CPU_EAX,
    CPU_ECX,
    CPU_EDX,
    CPU_EBX,
    CPU_ESP,
    CPU_EBP,
    CPU_ESI,
    CPU_EDI,
};

/* Segment register numbers, in ModRM order. */
enum {
    CPU_ES,
    CPU_CS,
    CPU_SS,
    CPU_DS,
    CPU_FS,
    CPU_GS,
};

/* EFLAGS bits. */
#define CPU_FLAG_CF   0x00000001u
#define CPU_FLAG_PF   0x00000004u
#define CPU_FLAG_AF   0x00000010u
#define CPU_FLAG_ZF   0x00000040u
#define CPU_FLAG_SF   0x00000080u
#define CPU_FLAG_TF   0x00000100u
#define CPU_FLAG_IF   0x00000200u
#define CPU_FLAG_DF   0x00000400u
#define CPU_FLAG_OF   0x00000800u
#define CPU_FLAG_IOPL 0x00003000u
#define CPU_FLAG_NT   0x00004000u
#define CPU_FLAG_RF   0x00010000u
#define CPU_FLAG_VM   0x00020000u
#define CPU_FLAG_AC   0x00040000u
#define CPU_FLAG_ID   0x00200000u

#define CPU_CR0_PE 0x00000001u
#define CPU_CR0_MP 0x00000002u
#define CPU_CR0_EM 0x00000004u
#define CPU_CR0_TS 0x00000008u
#define CPU_CR0_ET 0x00000010u
#define CPU_CR0_NE 0x00000020u
#define CPU_CR0_WP 0x00010000u
#define CPU_CR0_AM 0x00040000u
#define CPU_CR0_PG 0x80000000u

#define CPU_CR4_PSE 0x00000010u
#define CPU_CR4_PGE 0x00000080u

/* Exception vectors. */
enum {
    CPU_EXC_DE = 0,
    CPU_EXC_DB = 1,
    CPU_EXC_NMI = 2,
    CPU_EXC_BP = 3,
    CPU_EXC_OF = 4,
    CPU_EXC_BR = 5,
    CPU_EXC_UD = 6,
    CPU_EXC_NM = 7,
    CPU_EXC_DF = 8,
    CPU_EXC_TS = 10,
    CPU_EXC_NP = 11,
    CPU_EXC_SS = 12,
    CPU_EXC_GP = 13,
    CPU_EXC_PF = 14,
    CPU_EXC_MF = 16,
    CPU_EXC_AC = 17,
};

/* Why cpu_run() returned. */
typedef enum CpuStop {
    CPU_STOP_LIMIT, /* the clock reached the deadline or the caller's limit */
    CPU_STOP_HALT,  /* HLT: nothing to do until an interrupt arrives */
    CPU_STOP_RESET, /* triple fault (shutdown): the machine should reset */
    CPU_STOP_EXIT,  /* cpu_request_exit() was called */
} CpuStop;

/* A segment register as the guest sees it plus its descriptor cache. */
typedef struct CpuSegment {
    uint16_t sel;
    uint32_t base;
    uint32_t limit; /* byte granular, already scaled by G */
    uint32_t flags; /* descriptor bits 8..23 of the high word (type, S,
                       DPL, P, AVL, D/B, G), as "access rights" */
} CpuSegment;

/* Architectural register state (for loaders, tests and debuggers). */
typedef struct CpuState {
    uint32_t r[8];
    uint32_t eip;
    uint32_t eflags;
    CpuSegment seg[6];
    CpuSegment ldtr, tr;
    uint32_t gdt_base, gdt_limit, idt_base, idt_limit;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
} CpuState;

/*
 * Create a CPU in the reset state.  io is the 64 KiB port space; intr may
 * be NULL (no external interrupts).  The CPU installs the memory map's
 * code-write hook.
 */
Cpu *cpu_new(MemMap *mem, Bus *io, Clock *clock, const IntrSource *intr,
             GError **errp);
void cpu_free(Cpu *c);

/* Power-on/RESET state: real mode, CS=F000 base FFFF0000, EIP=FFF0. */
void cpu_reset(Cpu *c);

/*
 * Direct 32-bit entry (Linux boot protocol): protected mode, paging off,
 * IF=0, CS selector 0x10 flat 32-bit code, DS/ES/SS/FS/GS 0x18 flat data,
 * all from descriptor caches (the loader provides a GDT in memory if the
 * guest reloads selectors).  Other registers are left to the caller.
 */
void cpu_set_flat32(Cpu *c, uint32_t eip);

/*
 * Reset-vector boot with a raw ROM image (-bios FILE): maps it at the top
 * of the 4 GiB space and its last 128 KiB (or all of it if smaller) at
 * 0xE0000-0xFFFFF, then resets the CPU.  size must be a multiple of 4 KiB
 * and at most 16 MiB.
 */
bool cpu_load_bios(Cpu *c, const uint8_t *rom, size_t size, GError **errp);

/* Run until clock_now() reaches min(until_cycle, next clock deadline). */
CpuStop cpu_run(Cpu *c, uint64_t until_cycle);

/* Make a running cpu_run() return CPU_STOP_EXIT at the next instruction
 * boundary (from a device callback). */
void cpu_request_exit(Cpu *c);

/*
 * External events changed what the interrupt controller signals: the CPU
 * looks at IntrSource again before the next instruction.  (The CPU also
 * looks after every port or MMIO access and whenever IF becomes 1.)
 */
void cpu_interrupt_poke(Cpu *c);

bool cpu_halted(const Cpu *c);

void cpu_get_state(const Cpu *c, CpuState *s);
/* Load registers; segment descriptor caches are taken as given. */
void cpu_set_state(Cpu *c, const CpuState *s);

uint32_t cpu_get_reg(const Cpu *c, int reg);
void cpu_set_reg(Cpu *c, int reg, uint32_t val);
uint32_t cpu_get_eip(const Cpu *c);
uint32_t cpu_get_eflags(Cpu *c);

/* Guest instructions executed (REP iterations count one each). */
uint64_t cpu_insn_count(const Cpu *c);
/* Exceptions delivered (any vector), and the vector of the last one. */
uint64_t cpu_exception_count(const Cpu *c);
int cpu_last_exception(const Cpu *c);

/*
 * Translate a linear address as the guest's current paging would, without
 * side effects (no A/D updates, no fault).  For tests and debuggers.
 */
bool cpu_translate(Cpu *c, uint32_t lin, uint32_t *phys);

#endif /* EMU_CPU_H */
