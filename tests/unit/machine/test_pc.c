/*
 * The PC wiring: what a BIOS-less Linux finds when it probes the machine
 * (pc-platform.md 3.8), and the run loop's reaction to a guest reset.
 */
#include <criterion/criterion.h>
#include "devices/pc.h"

#include <glib-unix.h>
#include <unistd.h>

static Pc *make_pc(int nics, GError **errp)
{
    PcConfig cfg = {0};
    cfg.ram_size = 32u << 20;
    cfg.n_nics = nics;
    for (int i = 0; i < nics && i < PC_MAX_NICS; i++) {
        tulip_config_default(&cfg.nic[i]);
        cfg.nic[i].mac[5] = (uint8_t)(0x10 + i);
    }
    return pc_new(&cfg, errp);
}

static uint32_t cfg_read(Pc *pc, int slot, int reg)
{
    bus_write(pc->io, 0xCF8, 0x80000000u | slot << 11 | (reg & 0xFC), 4);
    return bus_read(pc->io, 0xCFC, 4);
}

Test(pc, adapters_have_firmware_style_bars_and_level_irqs)
{
    Pc *pc = make_pc(4, NULL);
    static const int irq[4] = {11, 10, 9, 5};
    cr_assert_not_null(pc);
    cr_assert_eq(cfg_read(pc, 0, 0), 0x12378086u, "i440FX host bridge");
    for (int n = 0; n < 4; n++) {
        int slot = 3 + n;
        cr_assert_eq(cfg_read(pc, slot, 0), 0x00091011u, "DEC 21140");
        cr_assert_eq(cfg_read(pc, slot, 0x10), 0xC001u + 0x100u * n);
        cr_assert_eq(cfg_read(pc, slot, 0x14), 0xFEBF0000u + 0x1000u * n);
        cr_assert_eq(cfg_read(pc, slot, 0x3C) & 0xFFFF, 0x100u | irq[n],
                     "INTA routed to IRQ %d and pre-filled", irq[n]);
        cr_assert_eq(cfg_read(pc, slot, 0x04) & 3, 3, "I/O and memory on");
        /* the CSRs answer at the assigned I/O base: CSR0 reset value */
        cr_assert_eq(bus_read(pc->io, 0xC000 + 0x100 * n, 4), 0xFE000000u);
    }
    /* the adapters' IRQs are level-triggered in the ELCR */
    uint16_t elcr = bus_read(pc->io, 0x4D0, 1) | bus_read(pc->io, 0x4D1, 1)
                                                     << 8;
    cr_assert_eq(elcr, (1u << 11) | (1u << 10) | (1u << 9) | (1u << 5));
    cr_assert_eq(cfg_read(pc, 7, 0), 0xFFFFFFFFu, "nothing in slot 7");
    pc_free(pc);
}

Test(pc, configuration_errors_name_the_problem)
{
    GError *err = NULL;
    cr_assert_null(make_pc(5, &err));
    cr_assert(strstr(err->message, "5 network adapters"), "%s", err->message);
    g_clear_error(&err);
    PcConfig cfg = {.ram_size = 1u << 20};
    cr_assert_null(pc_new(&cfg, &err));
    cr_assert(strstr(err->message, "at least 2 MiB"), "%s", err->message);
    g_clear_error(&err);
}

Test(pc, guest_reset_through_port_0x92_ends_the_run)
{
    Pc *pc = make_pc(1, NULL);
    /* mov al, 1; out 0x92, al; jmp $ */
    static const uint8_t code[] = {0xB0, 0x01, 0xE6, 0x92, 0xEB, 0xFE};
    mem_dma_write(pc->mem, 0x1000, code, sizeof(code));
    cpu_set_flat32(pc->cpu, 0x1000);
    cr_assert_eq(pc_run_for(pc, clock_now(pc->clock) + 1000000), PC_EXIT_RESET);
    pc_reset(pc);
    cr_assert_eq(pc->resets, 1);
    pc_free(pc);
}

Test(pc, halted_guest_lets_time_run_to_the_limit)
{
    Pc *pc = make_pc(1, NULL);
    static const uint8_t code[] = {0xFA, 0xF4}; /* cli; hlt */
    mem_dma_write(pc->mem, 0x1000, code, sizeof(code));
    cpu_set_flat32(pc->cpu, 0x1000);
    uint64_t until = clock_now(pc->clock) + clock_freq(pc->clock) / 10;
    cr_assert_eq(pc_run_for(pc, until), PC_EXIT_LIMIT);
    cr_assert_eq(clock_now(pc->clock), until, "idle time fast-forwarded");
    cr_assert_lt(cpu_insn_count(pc->cpu), 10, "no busy loop while halted");
    pc_free(pc);
}

/* A host clock that jumps an hour ahead after pc_run() has paired with it:
 * the guest then lags host time the way a slow build or a loaded host
 * makes it lag. */
static int64_t host_an_hour_ahead(void *opaque)
{
    int *calls = opaque;
    int64_t ahead = (*calls)++ ? INT64_C(3600) * 1000000000 : 0;
    return g_get_monotonic_time() * 1000 + ahead;
}

static void tick_1ms(void *opaque)
{
    Timer *t = opaque;
    timer_mod_in_ns(t, 1000000);
}

static gboolean input_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    char byte;
    (void)cond;
    cr_assert_eq(read(fd, &byte, 1), 1);
    pc_request_quit(opaque);
    return G_SOURCE_REMOVE;
}

/*
 * Console input and the control socket are host events: a guest that
 * lags host time and idles through timer ticks to catch up still sees
 * them at once, not after it has caught up (an hour of virtual time here).
 */
Test(pc, host_input_is_served_while_a_lagging_guest_catches_up)
{
    int calls = 0;
    PcConfig cfg = {.ram_size = 32u << 20,
                    .host_time = host_an_hour_ahead,
                    .host_time_opaque = &calls};
    Pc *pc = pc_new(&cfg, NULL);
    cr_assert_not_null(pc);
    static const uint8_t code[] = {0xFA, 0xF4}; /* cli; hlt */
    mem_dma_write(pc->mem, 0x1000, code, sizeof(code));
    cpu_set_flat32(pc->cpu, 0x1000);
    Timer tick;
    timer_init(&tick, pc->clock, tick_1ms, &tick);
    timer_mod_in_ns(&tick, 1000000);

    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], "x", 1), 1, "input waiting before the run");
    GMainContext *ctx = g_main_context_new();
    GSource *src = g_unix_fd_source_new(fds[0], G_IO_IN);
    g_source_set_callback(src, G_SOURCE_FUNC(input_ready), pc, NULL);
    g_source_attach(src, ctx);

    uint64_t start = clock_now(pc->clock);
    cr_assert_eq(pc_run(pc, ctx), PC_EXIT_QUIT, "the input was handled");
    double virt_s =
        (double)(clock_now(pc->clock) - start) / (double)clock_freq(pc->clock);
    cr_assert_lt(virt_s, 60.0,
                 "input served after %.0f s of guest catch-up, not at once",
                 virt_s);
    cr_assert_gt(calls, 1, "pc_run used the configured host time");

    timer_del(&tick);
    g_source_destroy(src);
    g_source_unref(src);
    g_main_context_unref(ctx);
    close(fds[0]);
    close(fds[1]);
    pc_free(pc);
}
