/*
 * i8042 keyboard controller and port 0x92 driven as Linux's i8042 and atkbd
 * drivers and the reboot code drive them.
 */
#include <criterion/criterion.h>
#include "irq_probe.h"
#include "devices/i8042.h"
#include "devices/port92.h"

static Bus *io;
static I8042 kbc;
static Port92 p92;
static IrqProbe irq1;
static int resets, a20_calls;
static bool a20;

static void on_reset(void *opaque)
{
    (void)opaque;
    resets++;
}

static void on_a20(void *opaque, bool enabled)
{
    (void)opaque;
    a20_calls++;
    a20 = enabled;
}

static void outb(uint16_t port, uint8_t v)
{
    bus_write(io, port, v, 1);
}

static uint8_t inb(uint16_t port)
{
    return bus_read(io, port, 1);
}

static void setup(void)
{
    io = bus_new("io", 0xFFFF);
    irq1.level = false;
    irq1.rises = resets = a20_calls = 0;
    a20 = true;
    SysCtrlOps ops = {on_reset, on_a20, NULL};
    cr_assert(i8042_init(&kbc, io, irq_probe_line(&irq1), &ops, NULL));
    cr_assert(port92_init(&p92, io, &ops, NULL));
}

static void teardown(void)
{
    port92_destroy(&p92);
    i8042_destroy(&kbc);
    bus_free(io);
}

/* i8042_command(): write the command, then read the reply if any. */
static int command(uint8_t cmd, int reply)
{
    cr_assert_eq(inb(0x64) & 0x02, 0, "input buffer never busy");
    outb(0x64, cmd);
    if (!reply) {
        return -1;
    }
    cr_assert(inb(0x64) & 0x01, "reply to 0x%x", cmd);
    return inb(0x60);
}

TestSuite(pc_i8042, .init = setup, .fini = teardown);

Test(pc_i8042, linux_probe_finds_a_controller_that_passes_self_test)
{
    uint8_t st = inb(0x64);
    cr_assert_neq(st, 0xFF, "a present controller");
    cr_assert_eq(st & 0x01, 0, "nothing to flush");
    cr_assert_eq(command(0xAA, 1), 0x55);
    cr_assert(inb(0x64) & 0x04, "system flag");
    int ctr = command(0x20, 1);
    cr_assert_eq(ctr & 0x40, 0x40, "translation on as firmware leaves it");
    outb(0x64, 0x60);
    outb(0x60, ctr & ~0x01);
    cr_assert_eq(command(0x20, 1), ctr & ~0x01);
    cr_assert_eq(command(0xAB, 1), 0x00, "keyboard interface test passes");
}

Test(pc_i8042, absent_aux_port_fails_loop_test_without_timeout)
{
    outb(0x64, 0xD3);
    outb(0x60, 0x5A);
    uint8_t st = inb(0x64);
    cr_assert(st & 0x01, "answers at once");
    cr_assert_eq(st & 0x20, 0, "not aux data: Linux sees auxerr");
    int r = command(0xA9, 1);
    cr_assert(r != 0 && r != 0xFA && r != 0xFF, "external test fails");
    cr_assert_eq(inb(0x64) & 0x01, 0, "nothing stale left");
}

Test(pc_i8042, keyboard_reset_answers_ack_then_bat_each_on_irq1)
{
    outb(0x60, 0xFF);
    cr_assert(irq1.level);
    cr_assert_eq(inb(0x60), 0xFA);
    cr_assert(irq1.level);
    cr_assert_eq(irq1.rises, 2, "a new edge for the second byte");
    cr_assert_eq(inb(0x60), 0xAA);
    cr_assert_not(irq1.level);
    cr_assert_eq(inb(0x64) & 0x01, 0);
}

Test(pc_i8042, keyboard_identifies_as_translated_mf2)
{
    outb(0x60, 0xF2);
    cr_assert_eq(inb(0x60), 0xFA);
    cr_assert_eq(inb(0x60), 0xAB);
    cr_assert_eq(inb(0x60), 0x41);
    outb(0x64, 0x60);
    outb(0x60, 0x01); /* translation off */
    outb(0x60, 0xF2);
    (void)inb(0x60);
    (void)inb(0x60);
    cr_assert_eq(inb(0x60), 0x83);
}

Test(pc_i8042, two_byte_keyboard_commands_ack_each_byte)
{
    outb(0x60, 0xED);
    cr_assert_eq(inb(0x60), 0xFA);
    outb(0x60, 0x07);
    cr_assert_eq(inb(0x60), 0xFA);
    cr_assert_eq(kbc.kbd_leds, 0x07);
    outb(0x60, 0xF0);
    (void)inb(0x60);
    outb(0x60, 0x00);
    cr_assert_eq(inb(0x60), 0xFA);
    cr_assert_eq(inb(0x60), 0x02, "current scan code set");
    outb(0x60, 0xEE);
    cr_assert_eq(inb(0x60), 0xEE, "echo");
    outb(0x60, 0x42);
    cr_assert_eq(inb(0x60), 0xFE, "unknown command: resend");
}

Test(pc_i8042, keys_reach_the_cpu_and_wait_while_interface_disabled)
{
    const uint8_t a_press_release[] = {0x1E, 0x9E};
    command(0xAD, 0);
    cr_assert(i8042_put_scancodes(&kbc, a_press_release, 2));
    cr_assert_eq(inb(0x64) & 0x01, 0, "held by the disabled interface");
    cr_assert_not(irq1.level);
    command(0xAE, 0);
    cr_assert(irq1.level);
    cr_assert_eq(inb(0x60), 0x1E);
    cr_assert_eq(inb(0x60), 0x9E);
    cr_assert_not(irq1.level);
}

Test(pc_i8042, keyboard_buffer_overflow_ends_with_overrun_code)
{
    uint8_t keys[40];
    memset(keys, 0x1E, sizeof keys);
    cr_assert_not(i8042_put_scancodes(&kbc, keys, sizeof keys));
    int n = 0;
    uint8_t last = 0;
    while ((inb(0x64) & 0x01) && n < 64) {
        last = inb(0x60);
        n++;
    }
    cr_assert_eq(n, 16);
    cr_assert_eq(last, 0xFF);
}

Test(pc_i8042, controller_reply_does_not_lose_keyboard_data)
{
    const uint8_t key = 0x1C;
    i8042_put_scancodes(&kbc, &key, 1);
    cr_assert_eq(command(0x20, 1) & 0x40, 0x40);
    cr_assert_eq(inb(0x60), 0x1C);
}

Test(pc_i8042, pulse_command_0xfe_resets_the_machine)
{
    outb(0x64, 0xFE);
    cr_assert_eq(resets, 1);
    outb(0x64, 0xFF); /* pulses nothing */
    cr_assert_eq(resets, 1);
}

Test(pc_i8042, output_port_drives_a20_and_reset)
{
    cr_assert_eq(command(0xD0, 1) & 0x03, 0x03);
    outb(0x64, 0xD1);
    outb(0x60, 0x01); /* A20 off, reset line inactive */
    cr_assert_eq(a20_calls, 1);
    cr_assert_not(a20);
    cr_assert_eq(resets, 0);
    outb(0x64, 0xD1);
    outb(0x60, 0x02);
    cr_assert(a20);
    cr_assert_eq(resets, 1);
}

Test(pc_i8042, port92_reads_a20_on_and_resets_on_bit0)
{
    cr_assert_eq(inb(0x92), 0x02);
    outb(0x92, 0x00);
    cr_assert_eq(a20_calls, 1);
    cr_assert_not(a20);
    outb(0x92, 0x03);
    cr_assert(a20);
    cr_assert_eq(resets, 1);
    outb(0x92, 0x03);
    cr_assert_eq(resets, 1, "only a 0 -> 1 transition resets");
}
