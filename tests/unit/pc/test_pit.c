/*
 * 8254 PIT and port 0x61 driven as Linux drives them: TSC calibration on
 * channel 2 (quick_pit_calibrate and pit_calibrate_tsc), the periodic and
 * one-shot clockevent on channel 0, and the latched-count clocksource.
 */
#include <criterion/criterion.h>
#include "irq_probe.h"
#include "devices/pit.h"

#define CPU_HZ 100000000ull /* deliberately not a multiple of the PIT rate */

static Bus *io;
static Clock *clk;
static Pit pit;
static IrqProbe irq0;

static void outb(uint16_t port, uint8_t v)
{
    bus_write(io, port, v, 1);
}

static uint8_t inb(uint16_t port)
{
    return bus_read(io, port, 1);
}

/* Cycles for n PIT ticks, rounded up. */
static uint64_t ticks(uint64_t n)
{
    return (n * CPU_HZ + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ;
}

static void setup(void)
{
    io = bus_new("io", 0xFFFF);
    clk = clock_new(CPU_HZ);
    irq0.level = false;
    irq0.rises = 0;
    cr_assert(pit_init(&pit, io, clk, irq_probe_line(&irq0), NULL));
}

static void teardown(void)
{
    pit_destroy(&pit);
    clock_free(clk);
    bus_free(io);
}

static uint16_t read_latched(uint16_t port, uint8_t latch_cmd)
{
    outb(0x43, latch_cmd);
    uint16_t lo = inb(port);
    return lo | inb(port) << 8;
}

TestSuite(pc_pit, .init = setup, .fini = teardown);

Test(pc_pit, quick_calibration_sees_msb_step_every_256_ticks)
{
    /* quick_pit_calibrate: gate high, speaker off, mode 0, 0xFFFF. */
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xB0);
    outb(0x42, 0xFF);
    outb(0x42, 0xFF);
    (void)inb(0x42);
    cr_assert_eq(inb(0x42), 0xFF);
    /* Poll like pit_expect_msb() and record the TSC at each MSB change. */
    uint64_t change_at[4];
    int changes = 0;
    uint8_t expect = 0xFF;
    for (int i = 0; i < 200000 && changes < 4; i++) {
        clock_step(clk, 37);
        (void)inb(0x42);
        uint8_t msb = inb(0x42);
        if (msb != expect) {
            cr_assert_eq(msb, (uint8_t)(expect - 1), "MSB counts down by one");
            change_at[changes++] = clock_now(clk);
            expect = msb;
        }
    }
    cr_assert_eq(changes, 4);
    for (int i = 1; i < 4; i++) {
        uint64_t delta = change_at[i] - change_at[i - 1];
        /* 256 PIT ticks, within the 37-cycle polling granularity. */
        cr_assert(delta + 37 >= ticks(256) && delta <= ticks(256) + 37,
                  "delta %lu", (unsigned long)delta);
    }
}

Test(pc_pit, slow_calibration_out2_rises_after_latch_ticks)
{
    /* pit_calibrate_tsc(): 10 ms in mode 0, then poll 0x61 bit 5. */
    const uint16_t latch = PIT_FREQ_HZ / 100;
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xB0);
    outb(0x42, latch & 0xFF);
    outb(0x42, latch >> 8);
    uint64_t start = clock_now(clk);
    cr_assert_eq(inb(0x61) & 0x20, 0, "OUT2 low while counting");
    unsigned loops = 0;
    while (!(inb(0x61) & 0x20) && loops < 10000000) {
        clock_step(clk, 100);
        loops++;
    }
    uint64_t elapsed = clock_now(clk) - start;
    cr_assert(elapsed >= ticks(latch) && elapsed <= ticks(latch) + 100);
    /* 10 ms of a 100 MHz clock: the kernel would compute 100 MHz. */
    cr_assert(elapsed >= 999000 && elapsed <= 1001000);
}

Test(pc_pit, gate_low_inhibits_mode0_counting)
{
    outb(0x61, 0x01);
    outb(0x43, 0xB0);
    outb(0x42, 0x00);
    outb(0x42, 0x10); /* 0x1000 */
    clock_step(clk, ticks(0x100));
    outb(0x61, 0x00);
    uint16_t held = read_latched(0x42, 0x80);
    clock_step(clk, ticks(0x400));
    cr_assert_eq(read_latched(0x42, 0x80), held, "no counting with gate low");
    outb(0x61, 0x01);
    clock_step(clk, ticks(0x10));
    uint16_t now = read_latched(0x42, 0x80);
    cr_assert(now < held && now >= held - 0x11);
}

Test(pc_pit, periodic_mode2_gives_hz_interrupts)
{
    /* pit_set_periodic(): 0x34 and LATCH for HZ = 250. */
    outb(0x43, 0x34);
    outb(0x40, 4773 & 0xFF);
    outb(0x40, 4773 >> 8);
    irq0.rises = 0;
    clock_step(clk, CPU_HZ); /* one second */
    cr_assert(irq0.rises >= 249 && irq0.rises <= 250, "rises %d", irq0.rises);
    /* pit_shutdown(): 0x30, 0, 0 ends the periodic interrupts. */
    outb(0x43, 0x30);
    outb(0x40, 0);
    outb(0x40, 0);
    cr_assert_not(irq0.level, "mode 0 drives OUT low");
    irq0.rises = 0;
    clock_step(clk, CPU_HZ);
    cr_assert_leq(irq0.rises, 1, "at most the terminal count of 65536");
}

Test(pc_pit, oneshot_mode4_fires_once_after_count)
{
    outb(0x43, 0x38); /* pit_set_oneshot() */
    outb(0x40, 1000 & 0xFF);
    outb(0x40, 1000 >> 8);
    irq0.rises = 0;
    clock_step(clk, ticks(999));
    cr_assert_eq(irq0.rises, 0, "not before the count expires");
    clock_step(clk, ticks(10));
    cr_assert_eq(irq0.rises, 1);
    clock_step(clk, ticks(200000));
    cr_assert_eq(irq0.rises, 1, "one strobe only");
    /* pit_next_event(): a new count re-arms without a control word. */
    outb(0x40, 50);
    outb(0x40, 0);
    clock_step(clk, ticks(60));
    cr_assert_eq(irq0.rises, 2);
}

Test(pc_pit, latch_command_freezes_the_value_read)
{
    outb(0x43, 0x34);
    outb(0x40, 0x00);
    outb(0x40, 0x00); /* 65536 */
    clock_step(clk, ticks(1000));
    outb(0x43, 0x00);
    clock_step(clk, ticks(5000));
    uint16_t lo = inb(0x40);
    uint16_t v = lo | inb(0x40) << 8;
    cr_assert(v <= 65536 - 1000 && v >= 65536 - 1001, "v %u", v);
    /* The next read sequence is live again. */
    lo = inb(0x40);
    v = lo | inb(0x40) << 8;
    cr_assert(v <= 65536 - 6000 && v >= 65536 - 6001);
}

Test(pc_pit, readback_returns_status_then_count)
{
    outb(0x43, 0xB4); /* ch2, word, mode 2 */
    outb(0x43, 0xE8); /* read-back status only, ch2 */
    cr_assert_eq(inb(0x42), 0x40 | 0x80 | 0x34, "null count before a count");
    outb(0x42, 0x00);
    outb(0x42, 0x01); /* 256 */
    outb(0x61, 0x01);
    clock_step(clk, ticks(16));
    outb(0x43, 0xC8); /* count and status, ch2 */
    cr_assert_eq(inb(0x42), 0x80 | 0x34, "OUT high, count loaded");
    uint16_t lo = inb(0x42);
    uint16_t v = lo | inb(0x42) << 8;
    cr_assert(v == 240 || v == 239, "v %u", v);
}

Test(pc_pit, lsb_only_access_loads_with_one_byte)
{
    outb(0x43, 0x90); /* ch2, LSB only, mode 0 */
    outb(0x61, 0x01);
    outb(0x42, 100);
    clock_step(clk, ticks(40));
    uint8_t v = inb(0x42);
    cr_assert(v == 60 || v == 59, "v %u", v);
    clock_step(clk, ticks(70));
    cr_assert(inb(0x61) & 0x20, "OUT2 high after terminal count");
}

Test(pc_pit, square_wave_mode3_half_period_high)
{
    outb(0x43, 0xB6); /* ch2, word, mode 3 */
    outb(0x42, 100);
    outb(0x42, 0);
    outb(0x61, 0x03);
    int high = 0;
    for (int i = 0; i < 1000; i++) {
        if (inb(0x61) & 0x20) {
            high++;
        }
        clock_step(clk, ticks(1));
    }
    cr_assert(high >= 495 && high <= 505, "high %d", high);
    cr_assert(pit_speaker_enabled(&pit));
}

Test(pc_pit, bcd_counts_in_decimal)
{
    outb(0x43, 0xB1); /* ch2, word, mode 0, BCD */
    outb(0x61, 0x01);
    outb(0x42, 0x00);
    outb(0x42, 0x10); /* 1000 decimal */
    clock_step(clk, ticks(1));
    uint16_t v = read_latched(0x42, 0x80);
    cr_assert(v == 0x0999 || v == 0x0998, "v 0x%x", v);
}

Test(pc_pit, refresh_bit_toggles)
{
    uint8_t a = inb(0x61) & 0x10;
    clock_step(clk, ticks(18));
    cr_assert_neq(inb(0x61) & 0x10, a);
}

Test(pc_pit, illegal_count_one_in_mode2_stays_bounded)
{
    outb(0x43, 0x34);
    outb(0x40, 1);
    outb(0x40, 0);
    irq0.rises = 0;
    clock_step(clk, ticks(100));
    cr_assert(irq0.rises >= 49 && irq0.rises <= 50);
}

Test(pc_pit, mode1_one_shot_starts_on_gate_edge_and_retriggers)
{
    outb(0x61, 0x00);
    outb(0x43, 0xB2); /* ch2, word, mode 1 */
    outb(0x42, 100);
    outb(0x42, 0);
    clock_step(clk, ticks(500));
    cr_assert(inb(0x61) & 0x20, "OUT high until triggered");
    outb(0x61, 0x01); /* gate rising edge */
    clock_step(clk, ticks(50));
    cr_assert_eq(inb(0x61) & 0x20, 0, "low while the one-shot runs");
    outb(0x61, 0x00);
    outb(0x61, 0x01); /* retrigger: another full count */
    clock_step(clk, ticks(80));
    cr_assert_eq(inb(0x61) & 0x20, 0);
    clock_step(clk, ticks(30));
    cr_assert(inb(0x61) & 0x20, "high after the count");
}

Test(pc_pit, mode5_strobe_follows_gate_edge)
{
    outb(0x61, 0x00);
    outb(0x43, 0xBA); /* ch2, word, mode 5 */
    outb(0x42, 20);
    outb(0x42, 0);
    outb(0x61, 0x01);
    int low = 0, first_low = -1;
    for (int i = 0; i < 60; i++) {
        if (!(inb(0x61) & 0x20)) {
            low++;
            if (first_low < 0) {
                first_low = i;
            }
        }
        clock_step(clk, ticks(1));
    }
    cr_assert_eq(low, 1, "a one-tick strobe");
    cr_assert(first_low == 20 || first_low == 19, "at the count (%d)",
              first_low);
}
