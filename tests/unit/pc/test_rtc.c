/*
 * MC146818 RTC/CMOS driven through ports 0x70/0x71 as Linux's rtc-cmos and
 * mc146818-lib drive it, on a hand-stepped machine clock.
 */
#include <criterion/criterion.h>
#include "irq_probe.h"
#include "devices/rtc.h"

#define CPU_HZ   100000000ull
#define US       (CPU_HZ / 1000000)
#define MS       (CPU_HZ / 1000)
#define START_TS 1709251198 /* 2024-02-29 23:59:58 UTC, a Thursday */

static Bus *io;
static Clock *clk;
static Rtc rtc;
static IrqProbe irq8;

static uint8_t cmos_read(uint8_t idx)
{
    bus_write(io, 0x70, idx, 1);
    return bus_read(io, 0x71, 1);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
    bus_write(io, 0x70, idx, 1);
    bus_write(io, 0x71, v, 1);
}

static void setup(void)
{
    io = bus_new("io", 0xFFFF);
    clk = clock_new(CPU_HZ);
    irq8.level = false;
    irq8.rises = 0;
    RtcConfig cfg = {.start_time = START_TS, .ram_size = 128u << 20};
    cr_assert(rtc_init(&rtc, io, clk, irq_probe_line(&irq8), &cfg, NULL));
}

static void teardown(void)
{
    rtc_destroy(&rtc);
    clock_free(clk);
    bus_free(io);
}

TestSuite(pc_rtc, .init = setup, .fini = teardown);

Test(pc_rtc, power_on_time_reads_in_bcd_24_hour)
{
    cr_assert_eq(cmos_read(0x0B), 0x02, "24h, BCD");
    cr_assert_eq(cmos_read(0x00), 0x58);
    cr_assert_eq(cmos_read(0x02), 0x59);
    cr_assert_eq(cmos_read(0x04), 0x23);
    cr_assert_eq(cmos_read(0x06), 0x05, "Thursday = 5 (Sunday = 1)");
    cr_assert_eq(cmos_read(0x07), 0x29);
    cr_assert_eq(cmos_read(0x08), 0x02);
    cr_assert_eq(cmos_read(0x09), 0x24);
    cr_assert_eq(cmos_read(0x32), 0x20, "century byte");
    cr_assert_eq(cmos_read(0x0A), 0x26);
    cr_assert_eq(cmos_read(0x0D), 0x80, "VRT: battery good");
}

Test(pc_rtc, time_advances_with_the_machine_clock_across_leap_day)
{
    clock_step(clk, 3 * CPU_HZ);
    cr_assert_eq(cmos_read(0x00), 0x01);
    cr_assert_eq(cmos_read(0x02), 0x00);
    cr_assert_eq(cmos_read(0x04), 0x00);
    cr_assert_eq(cmos_read(0x07), 0x01);
    cr_assert_eq(cmos_read(0x08), 0x03, "Feb 29 -> Mar 1");
    cr_assert_eq(cmos_read(0x06), 0x06, "Friday");
    cr_assert_eq(rtc_get_time(&rtc), START_TS + 3);
}

Test(pc_rtc, binary_and_12_hour_formats_follow_register_b)
{
    cmos_write(0x0B, 0x04); /* binary, 12 hour */
    cr_assert_eq(cmos_read(0x00), 58);
    cr_assert_eq(cmos_read(0x04), 0x80 | 11, "11 PM");
    cr_assert_eq(cmos_read(0x09), 24);
    clock_step(clk, 2 * CPU_HZ);
    cr_assert_eq(cmos_read(0x04), 12, "midnight is 12 AM");
}

Test(pc_rtc, update_cycle_shows_uip_then_update_ended)
{
    cr_assert_eq(cmos_read(0x0C) & 0x10, 0);
    uint8_t before = cmos_read(0x00);
    /* Poll register A as mc146818_avoid_UIP does, 10 us apart. */
    int polls = 0;
    while (!(cmos_read(0x0A) & 0x80) && polls < 200000) {
        cr_assert_eq(cmos_read(0x00), before, "no update before UIP");
        clock_step(clk, 10 * US);
        polls++;
    }
    cr_assert(cmos_read(0x0A) & 0x80, "UIP seen");
    cr_assert_eq(cmos_read(0x0C) & 0x10, 0, "UF not yet set during UIP");
    uint64_t uip_start = clock_now(clk);
    while (cmos_read(0x0A) & 0x80) {
        clock_step(clk, 10 * US);
    }
    uint64_t uip_len = clock_now(clk) - uip_start;
    cr_assert(uip_len <= 250 * US && uip_len >= 230 * US, "UIP %lu cycles",
              (unsigned long)uip_len);
    cr_assert_eq(cmos_read(0x00), before + 1, "seconds advanced by one");
    uint8_t c = cmos_read(0x0C);
    cr_assert_eq(c & 0x10, 0x10, "update-ended flag");
    cr_assert_eq(c & 0x80, 0, "no IRQF without UIE");
    cr_assert_eq(cmos_read(0x0C), 0, "register C clears on read");
}

Test(pc_rtc, periodic_interrupt_runs_at_register_a_rate)
{
    cmos_write(0x0A, 0x26); /* 1024 Hz */
    cmos_write(0x0B, 0x02 | 0x40);
    int count = 0;
    for (uint64_t t = 0; t < CPU_HZ; t += 50 * US) {
        clock_step(clk, 50 * US);
        if (irq8.level) {
            uint8_t c = cmos_read(0x0C);
            cr_assert_eq(c & 0xC0, 0xC0, "IRQF and PF");
            cr_assert_not(irq8.level, "reading C lowers IRQ8");
            count++;
        }
    }
    cr_assert(count >= 1023 && count <= 1024, "count %d", count);
    cmos_write(0x0A, 0x2F); /* 2 Hz */
    irq8.rises = 0;
    for (int i = 0; i < 40; i++) {
        clock_step(clk, 50 * MS);
        if (irq8.level) {
            (void)cmos_read(0x0C);
        }
    }
    cr_assert_eq(irq8.rises, 4, "2 Hz over 2 s");
}

Test(pc_rtc, update_interrupt_once_per_second)
{
    cmos_write(0x0B, 0x02 | 0x10);
    for (int i = 0; i < 50; i++) {
        clock_step(clk, 100 * MS);
        if (irq8.level) {
            uint8_t c = cmos_read(0x0C);
            cr_assert_eq(c & 0x90, 0x90, "IRQF, UF: 0x%x at %d", c, i);
        }
    }
    cr_assert(irq8.rises == 5, "rises %d", irq8.rises);
}

Test(pc_rtc, alarm_interrupt_fires_at_matching_time)
{
    /* Alarm at 00:00:03 (five seconds after start). */
    cmos_write(0x01, 0x03);
    cmos_write(0x03, 0x00);
    cmos_write(0x05, 0x00);
    cmos_write(0x0B, 0x02 | 0x20);
    clock_step(clk, 4900 * MS);
    cr_assert_not(irq8.level);
    clock_step(clk, 200 * MS);
    cr_assert(irq8.level);
    cr_assert_eq(cmos_read(0x0C) & 0xB0, 0xB0, "IRQF, AF and UF");
}

Test(pc_rtc, alarm_dont_care_bytes_match_every_second)
{
    cmos_write(0x01, 0xFF);
    cmos_write(0x03, 0xFF);
    cmos_write(0x05, 0xFF);
    cmos_write(0x0B, 0x02 | 0x20);
    clock_step(clk, 1000 * MS);
    cr_assert(irq8.level);
}

Test(pc_rtc, set_bit_freezes_time_for_setting)
{
    /* rtc-cmos set_time: SET, write the registers, clear SET. */
    cmos_write(0x0B, 0x82);
    cmos_write(0x00, 0x30);
    cmos_write(0x02, 0x15);
    cmos_write(0x04, 0x10);
    cmos_write(0x07, 0x15);
    cmos_write(0x08, 0x06);
    cmos_write(0x09, 0x25);
    clock_step(clk, 3 * CPU_HZ);
    cr_assert_eq(cmos_read(0x00), 0x30, "frozen while SET");
    cr_assert_eq(cmos_read(0x0C) & 0x10, 0, "no updates while SET");
    cmos_write(0x0B, 0x02);
    clock_step(clk, 2 * CPU_HZ);
    cr_assert_eq(cmos_read(0x00), 0x32);
    cr_assert_eq(cmos_read(0x04), 0x10);
    cr_assert_eq(cmos_read(0x08), 0x06);
    cr_assert_eq(rtc_get_time(&rtc), 1749982532); /* 2025-06-15 10:15:32 */
}

Test(pc_rtc, divider_reset_stops_and_first_update_is_half_second_later)
{
    cmos_write(0x0A, 0x70);
    uint8_t s0 = cmos_read(0x00);
    clock_step(clk, 5 * CPU_HZ);
    cr_assert_eq(cmos_read(0x00), s0);
    cmos_write(0x0A, 0x26);
    clock_step(clk, 490 * MS);
    cr_assert_eq(cmos_read(0x00), s0);
    clock_step(clk, 20 * MS);
    cr_assert_eq(cmos_read(0x00), s0 + 1);
}

Test(pc_rtc, memory_size_bytes_describe_guest_ram)
{
    cr_assert_eq(cmos_read(0x15) | cmos_read(0x16) << 8, 640);
    cr_assert_eq(cmos_read(0x17) | cmos_read(0x18) << 8, 0xFC00, "capped");
    cr_assert_eq(cmos_read(0x30) | cmos_read(0x31) << 8, 0xFC00);
    cr_assert_eq(cmos_read(0x34) | cmos_read(0x35) << 8, (112u << 20) >> 16);
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2D; i++) {
        sum += cmos_read(i);
    }
    cr_assert_eq(cmos_read(0x2E) << 8 | cmos_read(0x2F), sum);
}

Test(pc_rtc, nvram_keeps_bytes_and_index_port_carries_nmi_mask)
{
    bus_write(io, 0x70, 0x80 | 0x40, 1);
    bus_write(io, 0x71, 0xA5, 1);
    cr_assert(rtc_nmi_masked(&rtc));
    cr_assert_eq(cmos_read(0x40), 0xA5);
    cr_assert_not(rtc_nmi_masked(&rtc));
    cmos_write(0x0D, 0x00);
    cr_assert_eq(cmos_read(0x0D), 0x80, "register D is read-only");
}

Test(pc_rtc, start_time_outside_range_is_a_config_error)
{
    Rtc other;
    GError *err = NULL;
    RtcConfig cfg = {.start_time = -5, .ram_size = 1u << 20};
    cr_assert_not(
        rtc_init(&other, io, clk, irq_line(NULL, NULL, 0), &cfg, &err));
    cr_assert_not_null(err);
    cr_assert(strstr(err->message, "start time"));
    g_error_free(err);
}

Test(pc_rtc, pending_interrupt_stops_timer_events_until_c_is_read)
{
    cmos_write(0x0B, 0x02 | 0x40); /* PIE at 1024 Hz */
    clock_step(clk, 10 * MS);
    cr_assert(irq8.level);
    cr_assert_eq(clock_next_deadline(clk), CLOCK_NEVER,
                 "no event storm while IRQ8 is already asserted");
    cr_assert_eq(cmos_read(0x0C) & 0xC0, 0xC0);
    cr_assert_neq(clock_next_deadline(clk), CLOCK_NEVER, "re-armed");
    clock_step(clk, 1 * MS);
    cr_assert(irq8.level);
}
