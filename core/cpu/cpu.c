/*
 * tulipvm: x86 CPU lifecycle, run loop and external interrupts.
 *
 * cpu_run() executes instructions until the cycle budget (the distance to
 * the clock's next deadline or the caller's limit) is used up, the CPU
 * halts, or it shuts down.  Executed cycles reach the clock before every
 * port or MMIO access (devices see the right time) and when cpu_run
 * returns.  A device access may arm an earlier timer, so the budget is
 * recomputed after it.
 *
 * INTR is sampled only when something could have changed it (run entry,
 * after port/MMIO accesses, when IF becomes 1, cpu_interrupt_poke()),
 * which in a single-threaded machine is every instruction boundary that
 * matters.  STI and MOV/POP SS block it for one instruction.
 */
#include <stdlib.h>
#include "cpu_internal.h"
#include "emu/log.h"

static void cpu_code_written(void *opaque, uint32_t ram_page)
{
    Cpu *c = opaque;
    cpu_icache_invalidate(c, ram_page);
}

static uint64_t c_ram_pages(MemMap *mem)
{
    return mem_ram_size(mem) >> 12;
}

Cpu *cpu_new(MemMap *mem, Bus *io, Clock *clock, const IntrSource *intr,
             GError **errp)
{
    if (!mem || !io || !clock) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "cpu: memory map, port bus and clock are required");
        return NULL;
    }
    Cpu *c = g_malloc0(sizeof(*c));
    c->icache = g_new0(DInsn, ICACHE_SIZE);
    c->code_map = g_new0(uint32_t, c_ram_pages(mem));
    c->mem = mem;
    c->ram = mem_ram_base(mem);
    c->ram_size = mem_ram_size(mem);
    c->io = io;
    c->clock = clock;
    if (intr) {
        c->intr = *intr;
    }
    mem_set_code_write_hook(mem, cpu_code_written, c);
    cpu_reset(c);
    return c;
}

void cpu_free(Cpu *c)
{
    if (!c) {
        return;
    }
    mem_set_code_write_hook(c->mem, NULL, NULL);
    g_free(c->icache);
    g_free(c->code_map);
    g_free(c);
}

void cpu_reset(Cpu *c)
{
    memset(&c->g, 0, sizeof(c->g));
    c->g.r[CPU_EDX] = 0x00000543; /* family/model/stepping */
    c->eip = 0xFFF0;
    c->eflags = 0x2;
    c->cc_op = CC_EFLAGS;
    c->cr0 = CPU_CR0_ET | 0x60000000u; /* CD | NW */
    c->cr2 = c->cr3 = c->cr4 = 0;
    memset(c->dr, 0, sizeof(c->dr));
    c->dr[6] = 0xFFFF0FF0u;
    c->dr[7] = 0x400;
    c->pe = c->paging = false;
    for (int s = 0; s < 6; s++) {
        c->seg[s].sel = 0;
        c->seg[s].base = 0;
        c->seg[s].limit = 0xFFFF;
        c->seg[s].flags = SEG_P | SEG_S | SEG_RW | SEG_ACCESSED;
    }
    c->seg[CPU_CS].sel = 0xF000;
    c->seg[CPU_CS].base = 0xFFFF0000u;
    c->seg[CPU_CS].flags |= SEG_CODE;
    c->ldtr = (CpuSegment){0, 0, 0xFFFF, 0x8200};
    c->tr = (CpuSegment){0, 0, 0xFFFF, 0x8B00};
    c->gdt_base = c->idt_base = 0;
    c->gdt_limit = c->idt_limit = 0xFFFF;
    c->tsc_offset = 0;
    c->halted = c->shutdown = c->shadow = false;
    c->delivering = -1;
    c->check_intr = true;
    cpu_set_cpl(c, 0);
    c->tlb_epoch = TLB_EPOCH_MAX; /* the flush below clears everything */
    cpu_tlb_flush(c, false);
    for (int s = 0; s < 6; s++) {
        cpu_seg_update(c, s);
    }
    x87_init(&c->fpu);
}

static CpuSegment flat_seg(uint16_t sel, bool code)
{
    CpuSegment s;
    s.sel = sel;
    s.base = 0;
    s.limit = 0xFFFFFFFFu;
    s.flags = SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G |
              (code ? SEG_CODE : 0);
    return s;
}

void cpu_set_flat32(Cpu *c, uint32_t eip)
{
    c->cr0 |= CPU_CR0_PE;
    c->cr0 &= ~(CPU_CR0_PG | 0x60000000u);
    c->pe = true;
    c->paging = false;
    c->seg[CPU_CS] = flat_seg(0x10, true);
    for (int s = 0; s < 6; s++) {
        if (s != CPU_CS) {
            c->seg[s] = flat_seg(0x18, false);
        }
    }
    c->eflags = 0x2;
    c->cc_op = CC_EFLAGS;
    c->eip = eip;
    c->halted = false;
    cpu_set_cpl(c, 0);
    cpu_tlb_flush(c, false);
    for (int s = 0; s < 6; s++) {
        cpu_seg_update(c, s);
    }
}

bool cpu_load_bios(Cpu *c, const uint8_t *rom, size_t size, GError **errp)
{
    if (size == 0 || size % MEM_PAGE_SIZE || size > 16 * 1024 * 1024) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "BIOS image of %zu bytes: size must be a non-zero "
                    "multiple of 4 KiB up to 16 MiB",
                    size);
        return false;
    }
    size_t low = size < 0x20000 ? size : 0x20000;
    if (!mem_map_rom(c->mem, "bios", 0x100000000ull - size, rom, size, errp) ||
        !mem_map_rom(c->mem, "bios-low", 0x100000 - low, rom + size - low, low,
                     errp)) {
        return false;
    }
    cpu_reset(c);
    return true;
}

void cpu_sync_clock(Cpu *c)
{
    uint64_t done = c->cycles_done - c->cycles_left;
    if (done) {
        clock_advance(c->clock, done);
        c->insn_count += done;
    }
    c->cycles_done = c->cycles_left;
}

void cpu_after_io(Cpu *c)
{
    /* A device may have armed an earlier event. */
    uint64_t now = clock_now(c->clock);
    uint64_t dl = clock_next_deadline(c->clock);
    uint64_t left = dl > now ? dl - now : 0;
    if (left < c->cycles_left) {
        c->cycles_left = left;
        c->cycles_done = left;
    }
    c->check_intr = true;
}

void cpu_request_exit(Cpu *c)
{
    c->exit_request = true;
    c->check_intr = true;
}

void cpu_interrupt_poke(Cpu *c)
{
    c->check_intr = true;
}

bool cpu_halted(const Cpu *c)
{
    return c->halted;
}

static bool contributory(int vec)
{
    return vec == CPU_EXC_DE || (vec >= CPU_EXC_TS && vec <= CPU_EXC_GP);
}

/* Deliver the exception recorded by cpu_raise (after a longjmp). */
static void handle_exception(Cpu *c)
{
    int vec = c->pending_vec;
    uint32_t err = c->pending_err;
    bool has_err = c->pending_has_err;

    c->g.r[CPU_ESP] = c->insn_esp;
    c->eip = c->insn_eip;
    if (c->shutdown) {
        return;
    }
    if (c->delivering >= 0) {
        int first = c->delivering;
        if (first == CPU_EXC_DF) {
            emu_log(LOG_GUEST_ERROR,
                    "cpu: triple fault (vector %d during #DF) at "
                    "%04x:%08x",
                    vec, c->seg[CPU_CS].sel, c->eip);
            c->shutdown = true;
            return;
        }
        if ((contributory(first) && contributory(vec)) ||
            (first == CPU_EXC_PF && (contributory(vec) || vec == CPU_EXC_PF))) {
            vec = CPU_EXC_DF;
            err = 0;
            has_err = true;
        }
    }
    c->last_exc = vec;
    c->exc_count++;
    TRACE(TRACE_CPU, "exception %d err 0x%x at %04x:%08x", vec, err,
          c->seg[CPU_CS].sel, c->eip);
    c->delivering = vec;
    cpu_deliver(c, vec, has_err, err, false, c->eip);
    c->delivering = -1;
}

static void take_interrupt(Cpu *c)
{
    uint8_t vec = c->intr.ack(c->intr.opaque);
    c->halted = false;
    c->insn_eip = c->eip;
    c->insn_esp = c->g.r[CPU_ESP];
    c->delivering = vec; /* benign: a fault during delivery is serial */
    cpu_deliver(c, vec, false, 0, false, c->eip);
    c->delivering = -1;
}

/* #DB after an instruction that started with TF=1 (a trap: EIP is the
 * next instruction).  An instruction that faulted never gets here. */
static void single_step_trap(Cpu *c)
{
    c->dr[6] |= 0x4000; /* BS */
    c->insn_eip = c->eip;
    c->insn_esp = c->g.r[CPU_ESP];
    c->exc_count++;
    c->last_exc = CPU_EXC_DB;
    c->delivering = CPU_EXC_DB;
    cpu_deliver(c, CPU_EXC_DB, false, 0, false, c->eip);
    c->delivering = -1;
}

CpuStop cpu_run(Cpu *c, uint64_t until_cycle)
{
    if (c->shutdown) {
        return CPU_STOP_RESET;
    }
    uint64_t now = clock_now(c->clock);
    uint64_t limit = clock_next_deadline(c->clock);
    if (until_cycle < limit) {
        limit = until_cycle;
    }
    c->cycles_left = limit > now ? limit - now : 0;
    c->cycles_done = c->cycles_left;
    c->check_intr = true;

    if (setjmp(c->jmp)) {
        handle_exception(c);
        if (c->shutdown) {
            cpu_sync_clock(c);
            return CPU_STOP_RESET;
        }
    }
    for (;;) {
        bool single = false;
        if (G_UNLIKELY(c->check_intr)) {
            c->check_intr = false;
            if (c->exit_request) {
                c->exit_request = false;
                cpu_sync_clock(c);
                return CPU_STOP_EXIT;
            }
            if (c->shadow) {
                /* one more instruction before INTR is looked at */
                c->shadow = false;
                c->check_intr = true;
                single = true;
            } else if ((c->eflags & CPU_FLAG_IF) && c->intr.pending &&
                       c->intr.pending(c->intr.opaque)) {
                take_interrupt(c);
            }
            if (c->halted) {
                cpu_sync_clock(c);
                return CPU_STOP_HALT;
            }
        }
        if (G_UNLIKELY(c->cycles_left == 0)) {
            break;
        }
        if (G_UNLIKELY(c->eflags & CPU_FLAG_TF)) {
            /* single-step: one instruction, then the #DB trap */
            c->check_intr = true;
            cpu_exec_loop(c, true);
            if (c->eflags & CPU_FLAG_TF) {
                single_step_trap(c);
            }
            continue;
        }
        cpu_exec_loop(c, single);
    }
    cpu_sync_clock(c);
    return CPU_STOP_LIMIT;
}

void cpu_get_state(const Cpu *c, CpuState *s)
{
    memcpy(s->r, c->g.r, sizeof(s->r));
    s->eip = c->eip;
    s->eflags = (c->eflags & ~FLAGS_ARITH) | cpu_flags_compute(c);
    memcpy(s->seg, c->seg, sizeof(s->seg));
    s->ldtr = c->ldtr;
    s->tr = c->tr;
    s->gdt_base = c->gdt_base;
    s->gdt_limit = c->gdt_limit;
    s->idt_base = c->idt_base;
    s->idt_limit = c->idt_limit;
    s->cr0 = c->cr0;
    s->cr2 = c->cr2;
    s->cr3 = c->cr3;
    s->cr4 = c->cr4;
    memcpy(s->dr, c->dr, sizeof(s->dr));
}

void cpu_set_state(Cpu *c, const CpuState *s)
{
    memcpy(c->g.r, s->r, sizeof(s->r));
    c->eip = s->eip;
    c->eflags = (s->eflags | 0x2) & ~(0x8u | 0x20u | 0x8000u);
    c->cc_op = CC_EFLAGS;
    memcpy(c->seg, s->seg, sizeof(c->seg));
    c->ldtr = s->ldtr;
    c->tr = s->tr;
    c->gdt_base = s->gdt_base;
    c->gdt_limit = s->gdt_limit;
    c->idt_base = s->idt_base;
    c->idt_limit = s->idt_limit;
    c->cr0 = s->cr0 | CPU_CR0_ET;
    c->cr2 = s->cr2;
    c->cr3 = s->cr3;
    c->cr4 = s->cr4;
    memcpy(c->dr, s->dr, sizeof(c->dr));
    c->pe = c->cr0 & CPU_CR0_PE;
    c->paging = c->cr0 & CPU_CR0_PG;
    c->halted = false;
    cpu_set_cpl(c, c->pe ? (c->seg[CPU_CS].sel & 3) : 0);
    cpu_tlb_flush(c, false);
    for (int i = 0; i < 6; i++) {
        cpu_seg_update(c, i);
    }
    c->check_intr = true;
}

uint32_t cpu_get_reg(const Cpu *c, int reg)
{
    return c->g.r[reg & 7];
}

void cpu_set_reg(Cpu *c, int reg, uint32_t val)
{
    c->g.r[reg & 7] = val;
}

uint32_t cpu_get_eip(const Cpu *c)
{
    return c->eip;
}

uint32_t cpu_get_eflags(Cpu *c)
{
    return cpu_read_eflags(c);
}

uint64_t cpu_insn_count(const Cpu *c)
{
    return c->insn_count;
}

uint64_t cpu_exception_count(const Cpu *c)
{
    return c->exc_count;
}

int cpu_last_exception(const Cpu *c)
{
    return c->last_exc;
}
