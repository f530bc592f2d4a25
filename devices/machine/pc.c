/*
 * tulipvm: PC machine wiring and the emulation loop (see devices/pc.h).
 *
 * Not modelled: a BIOS (direct Linux boot needs none; -bios maps a raw
 * image), the A20 gate (always enabled: the CPU sees a flat 32-bit
 * physical space; a guest turning A20 off is logged), DMA controllers,
 * the floppy and IDE controllers, VGA (comes with the SDL frontend).
 */
#include "devices/pc.h"
#include "emu/log.h"

#include <string.h>

#define PC_LOW_RAM      0xA0000u    /* 640 KiB */
#define PC_HIGH_RAM     0x100000u   /* 1 MiB */
#define PC_NIC_IO_BASE  0xC000u     /* BAR0 of adapter n: 0xC000 + 0x100 n */
#define PC_NIC_MEM_BASE 0xFEBF0000u /* BAR1: + 0x1000 n */
/* Host I/O is polled at least this often while the CPU is busy. */
#define PC_POLL_INTERVAL_NS 1000000
/* Longest single host wait while the guest idles (keeps quit responsive). */
#define PC_MAX_IDLE_WAIT_MS 50

/* IRQ of the adapter in slot 3, 4, 5, 6 (free ISA lines, level). */
static const int pc_nic_irq[PC_MAX_NICS] = {11, 10, 9, 5};

static int pc_pci_route(void *opaque, int slot, int pin)
{
    (void)opaque;
    int n = slot - PC_NIC_FIRST_SLOT;
    if (n < 0 || n >= PC_MAX_NICS || pin < 1 || pin > 4) {
        return -1;
    }
    /* Rotate pins the usual way so a multi-function device would spread. */
    return pc_nic_irq[(n + pin - 1) % PC_MAX_NICS];
}

static void pc_intr_changed(void *opaque, int n, bool level)
{
    Pc *pc = opaque;
    (void)n;
    if (level && pc->cpu) {
        cpu_interrupt_poke(pc->cpu);
    }
}

static void pc_sys_reset(void *opaque)
{
    Pc *pc = opaque;
    TRACE(TRACE_CPU, "system reset requested by the guest");
    pc->reset_requested = true;
    if (pc->cpu) {
        cpu_request_exit(pc->cpu);
    }
}

static void pc_sys_a20(void *opaque, bool enabled)
{
    (void)opaque;
    if (!enabled) {
        emu_log(LOG_UNIMP, "A20 gate disabled by the guest: not modelled, "
                           "memory stays linear");
    }
}

static bool pc_add_nic(Pc *pc, int n, GError **errp)
{
    int slot = PC_NIC_FIRST_SLOT + n;
    Tulip *t =
        tulip_create(pc->pci, slot, pc->clock, NULL, &pc->cfg.nic[n], errp);
    if (!t) {
        return false;
    }
    pc->nic[n] = t;
    PciDevice *d = tulip_pci(t);
    pci_set_bar_address(d, 0, PC_NIC_IO_BASE + 0x100u * n);
    pci_set_bar_address(d, 1, PC_NIC_MEM_BASE + 0x1000u * n);
    pci_set_command(d, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    return true;
}

Pc *pc_new(const PcConfig *cfg, GError **errp)
{
    Pc *pc = g_new0(Pc, 1);
    IrqLine isa[16];
    SysCtrlOps sys = {pc_sys_reset, pc_sys_a20, pc};
    uint16_t elcr = 0;

    pc->cfg = *cfg;
    if (!pc->cfg.cpu_hz) {
        pc->cfg.cpu_hz = PC_DEFAULT_CPU_HZ;
    }
    if (!pc->cfg.host_time) {
        pc->cfg.host_time = clock_host_monotonic_ns;
        pc->cfg.host_time_opaque = NULL;
    }
    if (pc->cfg.ram_size < 2 * PC_HIGH_RAM) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "guest RAM must be at least 2 MiB");
        goto fail;
    }
    if (pc->cfg.n_nics < 0 || pc->cfg.n_nics > PC_MAX_NICS) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "%d network adapters requested; a VM has 1 to %d",
                    pc->cfg.n_nics, PC_MAX_NICS);
        goto fail;
    }

    if (cfg->clock) {
        pc->clock = cfg->clock;
        pc->cfg.cpu_hz = clock_freq(cfg->clock);
    } else {
        pc->clock = clock_new(pc->cfg.cpu_hz);
        pc->own_clock = true;
    }
    pc->io = bus_new("io", 0xFFFF);
    pc->mem = mem_new(pc->cfg.ram_size, errp);
    if (!pc->mem || !mem_map_ram(pc->mem, 0, 0, PC_LOW_RAM, errp) ||
        !mem_map_ram(pc->mem, PC_HIGH_RAM, PC_HIGH_RAM,
                     pc->cfg.ram_size - PC_HIGH_RAM, errp)) {
        goto fail;
    }

    if (!pic_init(&pc->pic, pc->io, errp)) {
        goto fail;
    }
    pic_set_intr_output(&pc->pic, irq_line(pc_intr_changed, pc, 0));
    for (int i = 0; i < 16; i++) {
        isa[i] = i == 2 ? irq_line(NULL, NULL, 0) : pic_irq_line(&pc->pic, i);
    }
    pc->intr = pic_intr_source(&pc->pic);

    RtcConfig rtc_cfg = {cfg->rtc_start, pc->cfg.ram_size};
    if (!pit_init(&pc->pit, pc->io, pc->clock, isa[0], errp) ||
        !rtc_init(&pc->rtc, pc->io, pc->clock, isa[8], &rtc_cfg, errp) ||
        !uart_init(&pc->com1, pc->io, UART_COM1_BASE, pc->clock, isa[4],
                   &pc->cfg.serial, errp) ||
        !i8042_init(&pc->kbc, pc->io, isa[1], &sys, errp) ||
        !port92_init(&pc->port92, pc->io, &sys, errp)) {
        goto fail;
    }

    pc->pci = pci_bus_new(pc->io, pc->mem, isa, 16, pc_pci_route, pc, errp);
    if (!pc->pci || !i440fx_init(&pc->host_bridge, pc->pci, errp)) {
        goto fail;
    }
    for (int n = 0; n < pc->cfg.n_nics; n++) {
        if (!pc_add_nic(pc, n, errp)) {
            goto fail;
        }
        elcr |= 1u << pc_nic_irq[n];
    }
    pic_set_elcr(&pc->pic, elcr);

    pc->cpu = cpu_new(pc->mem, pc->io, pc->clock, &pc->intr, errp);
    if (!pc->cpu) {
        goto fail;
    }
    return pc;

fail:
    pc_free(pc);
    return NULL;
}

void pc_free(Pc *pc)
{
    if (!pc) {
        return;
    }
    cpu_free(pc->cpu);
    for (int n = 0; n < PC_MAX_NICS; n++) {
        if (pc->nic[n]) {
            tulip_destroy(pc->nic[n]);
        }
    }
    /* Devices unmap their ports; destroying them in reverse order of
     * creation keeps each teardown independent of the others. */
    if (pc->pci) {
        pci_bus_free(pc->pci);
    }
    if (pc->io) {
        if (pc->port92.io) {
            port92_destroy(&pc->port92);
        }
        if (pc->kbc.io) {
            i8042_destroy(&pc->kbc);
        }
        if (pc->com1.io) {
            uart_destroy(&pc->com1);
        }
        if (pc->rtc.io) {
            rtc_destroy(&pc->rtc);
        }
        if (pc->pit.io) {
            pit_destroy(&pc->pit);
        }
        if (pc->pic.io) {
            pic_destroy(&pc->pic);
        }
    }
    mem_free(pc->mem);
    bus_free(pc->io);
    if (pc->own_clock) {
        clock_free(pc->clock);
    }
    g_free(pc);
}

NetPort *pc_nic_port(Pc *pc, int n)
{
    if (n < 0 || n >= PC_MAX_NICS || !pc->nic[n]) {
        return NULL;
    }
    return tulip_port(pc->nic[n]);
}

/* A flat segment as the boot GDT describes it (base 0, 4 GiB). */
static CpuSegment pc_flat_segment(uint16_t sel, bool code)
{
    /* Present, DPL 0, code (execute/read) or data (read/write), accessed,
     * 32-bit, 4 KiB granular: access rights bits 8..23 of the high word. */
    uint32_t type = code ? 0x0B : 0x03;
    CpuSegment s = {sel, 0, 0xFFFFFFFFu, (type | 0x10 | 0x80) | 0xC000u};
    s.flags <<= 8;
    return s;
}

void pc_apply_linux_entry(Pc *pc, const CpuEntryState *e)
{
    CpuState st;

    cpu_get_state(pc->cpu, &st);
    st.r[CPU_EAX] = e->eax;
    st.r[CPU_EBX] = e->ebx;
    st.r[CPU_ECX] = e->ecx;
    st.r[CPU_EDX] = e->edx;
    st.r[CPU_ESI] = e->esi;
    st.r[CPU_EDI] = e->edi;
    st.r[CPU_EBP] = e->ebp;
    st.r[CPU_ESP] = e->esp;
    st.eip = e->eip;
    st.eflags = e->eflags;
    st.cr0 = e->cr0;
    st.gdt_base = e->gdt_base;
    st.gdt_limit = e->gdt_limit;
    st.seg[CPU_CS] = pc_flat_segment(e->cs, true);
    st.seg[CPU_DS] = pc_flat_segment(e->ds, false);
    st.seg[CPU_ES] = pc_flat_segment(e->es, false);
    st.seg[CPU_FS] = pc_flat_segment(e->fs, false);
    st.seg[CPU_GS] = pc_flat_segment(e->gs, false);
    st.seg[CPU_SS] = pc_flat_segment(e->ss, false);
    cpu_set_state(pc->cpu, &st);
}

void pc_reset(Pc *pc)
{
    pc->resets++;
    pc->reset_requested = false;
    pic_reset(&pc->pic);
    pit_reset(&pc->pit);
    uart_reset(&pc->com1);
    for (int n = 0; n < PC_MAX_NICS; n++) {
        if (pc->nic[n]) {
            tulip_reset(pc->nic[n]);
        }
    }
    cpu_reset(pc->cpu);
}

void pc_request_quit(Pc *pc)
{
    pc->quit_requested = true;
    cpu_request_exit(pc->cpu);
}

/*
 * One round of host I/O: poll the GLib context's sources for at most
 * timeout_ms (0: just look) and dispatch what is ready.
 */
static void pc_poll_host(GMainContext *ctx, int timeout_ms)
{
    gint max_prio, ctx_timeout, nfds;
    GPollFD fds[64];

    if (!g_main_context_acquire(ctx)) {
        return;
    }
    g_main_context_prepare(ctx, &max_prio);
    nfds = g_main_context_query(ctx, max_prio, &ctx_timeout, fds,
                                G_N_ELEMENTS(fds));
    if (nfds > (gint)G_N_ELEMENTS(fds)) {
        emu_log(LOG_WARN, "more than %zu host event sources; some wait",
                G_N_ELEMENTS(fds));
        nfds = G_N_ELEMENTS(fds);
    }
    if (ctx_timeout >= 0 && ctx_timeout < timeout_ms) {
        timeout_ms = ctx_timeout;
    }
    g_poll(fds, (guint)nfds, timeout_ms);
    if (g_main_context_check(ctx, max_prio, fds, nfds)) {
        g_main_context_dispatch(ctx);
    }
    g_main_context_release(ctx);
}

/*
 * The guest halted: let virtual time go to the next event, host-paced.
 * Returns whether host I/O was polled.  When virtual time lags host time
 * (a slow build, a loaded host) there is no waiting and no polling here:
 * the guest catches up through these jumps, and pc_run() must still look
 * at host I/O on its own interval, or console input and the control socket
 * would wait until the guest has caught up, minutes later.
 */
static bool pc_idle(Pc *pc, GMainContext *ctx)
{
    uint64_t deadline = clock_next_deadline(pc->clock);
    int64_t wait_ns = clock_idle_wait_ns(pc->clock, deadline);

    if (ctx && wait_ns > 0) {
        int64_t ms = (wait_ns + 999999) / 1000000;
        pc_poll_host(ctx, (int)MIN(ms, PC_MAX_IDLE_WAIT_MS));
        /* Go as far as host time allows; a host event may have woken us
         * before the deadline. */
        uint64_t limit = clock_idle_limit(pc->clock);
        clock_run_until(pc->clock, MIN(limit, deadline));
        return true;
    }
    if (deadline != CLOCK_NEVER) {
        clock_run_until(pc->clock, deadline);
    }
    return false;
}

static bool pc_stop_wanted(Pc *pc, PcExit *why)
{
    if (pc->quit_requested) {
        *why = PC_EXIT_QUIT;
        return true;
    }
    if (pc->reset_requested) {
        *why = PC_EXIT_RESET;
        return true;
    }
    return false;
}

PcExit pc_run(Pc *pc, GMainContext *ctx)
{
    PcExit why;
    int64_t last_poll = g_get_monotonic_time();

    if (!ctx) {
        ctx = g_main_context_get_thread_default();
        if (!ctx) {
            ctx = g_main_context_default();
        }
    }
    clock_set_host_time(pc->clock, pc->cfg.host_time, pc->cfg.host_time_opaque);
    while (!pc_stop_wanted(pc, &why)) {
        CpuStop stop = cpu_run(pc->cpu, CLOCK_NEVER);

        clock_run_due(pc->clock);
        if (stop == CPU_STOP_RESET) {
            pc->reset_requested = true;
            continue;
        }
        if (stop == CPU_STOP_HALT && pc_idle(pc, ctx)) {
            last_poll = g_get_monotonic_time();
            continue;
        }
        int64_t now = g_get_monotonic_time();
        if ((now - last_poll) * 1000 >= PC_POLL_INTERVAL_NS) {
            pc_poll_host(ctx, 0);
            last_poll = now;
        }
    }
    return why;
}

PcExit pc_run_for(Pc *pc, uint64_t until_cycle)
{
    PcExit why = PC_EXIT_LIMIT;

    while (!pc_stop_wanted(pc, &why) && clock_now(pc->clock) < until_cycle) {
        CpuStop stop = cpu_run(pc->cpu, until_cycle);

        clock_run_due(pc->clock);
        if (stop == CPU_STOP_RESET) {
            pc->reset_requested = true;
        } else if (stop == CPU_STOP_HALT) {
            uint64_t deadline = clock_next_deadline(pc->clock);
            if (deadline >= until_cycle) {
                clock_run_until(pc->clock, until_cycle);
                break;
            }
            clock_run_until(pc->clock, deadline);
        }
    }
    return pc_stop_wanted(pc, &why) ? why : PC_EXIT_LIMIT;
}
