/*
 * 16550A UART at 0x3F8 driven as Linux's 8250 driver drives it: autoconfig
 * (IER probe, FIFO detection, loopback test, size_fifo), the THRE interrupt
 * test at startup, console output, and interrupt-driven receive.
 */
#include <criterion/criterion.h>
#include "devices/uart.h"

#define CPU_HZ 100000000ull
#define COM1   0x3F8

static Bus *io;
static Clock *clk;
static Uart uart;
static bool irq_level;
static GByteArray *sent;
static int rx_ready_calls;

static void irq4_set(void *opaque, int n, bool level)
{
    (void)opaque;
    (void)n;
    irq_level = level;
}

static void be_tx(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    g_byte_array_append(sent, buf, len);
}

static void be_rx_ready(void *opaque)
{
    (void)opaque;
    rx_ready_calls++;
}

static void outb(unsigned off, uint8_t v)
{
    bus_write(io, COM1 + off, v, 1);
}

static uint8_t inb(unsigned off)
{
    return bus_read(io, COM1 + off, 1);
}

static void setup(void)
{
    io = bus_new("io", 0xFFFF);
    clk = clock_new(CPU_HZ);
    sent = g_byte_array_new();
    irq_level = false;
    rx_ready_calls = 0;
    UartBackend be = {be_tx, be_rx_ready, NULL};
    cr_assert(uart_init(&uart, io, COM1, clk, irq_line(irq4_set, NULL, 0), &be,
                        NULL));
}

static void teardown(void)
{
    uart_destroy(&uart);
    g_byte_array_free(sent, TRUE);
    clock_free(clk);
    bus_free(io);
}

/* 8N1 at the given divisor, DTR|RTS|OUT2 as the driver leaves them. */
static void open_port(uint16_t divisor, uint8_t fcr)
{
    outb(3, 0x80);
    outb(0, divisor & 0xFF);
    outb(1, divisor >> 8);
    outb(3, 0x03);
    outb(2, fcr);
    outb(4, 0x0B);
}

TestSuite(pc_uart, .init = setup, .fini = teardown);

Test(pc_uart, reset_state_is_idle_transmitter_no_interrupt)
{
    cr_assert_eq(inb(1), 0x00);
    cr_assert_eq(inb(2), 0x01);
    cr_assert_eq(inb(3), 0x00);
    cr_assert_eq(inb(4), 0x00);
    cr_assert_eq(inb(5), 0x60, "THRE | TEMT: console polling sees idle");
    cr_assert_eq(inb(6) & 0xF0, 0xB0, "CTS, DSR, DCD from the terminal");
}

Test(pc_uart, linux_autoconfig_detects_a_16550a)
{
    /* IER probe */
    uint8_t scratch = inb(1);
    outb(1, 0);
    uint8_t scratch2 = inb(1) & 0x0F;
    outb(1, 0x0F);
    uint8_t scratch3 = inb(1) & 0x0F;
    outb(1, scratch);
    cr_assert_eq(scratch2, 0);
    cr_assert_eq(scratch3, 0x0F);
    /* Loopback test (done for ports without UPF_SKIP_TEST). */
    uint8_t save_mcr = inb(4);
    outb(4, 0x10 | 0x0A);
    cr_assert_eq(inb(6) & 0xF0, 0x90, "RTS->CTS, OUT2->DCD in loopback");
    outb(4, save_mcr);
    /* EFR probe lands on FCR of a 16550A, then FIFO detection. */
    outb(3, 0xBF);
    outb(2, 0);
    outb(3, 0);
    outb(2, 0x01);
    cr_assert_eq(inb(2) >> 6, 3, "IIR bits 7:6 = 11: 16550A");
    outb(2, 0);
    cr_assert_eq(inb(2) >> 6, 0, "FIFOs off again");
}

Test(pc_uart, size_fifo_in_loopback_counts_sixteen)
{
    /* size_fifo(): loopback, divisor 1, write 256 bytes, count reads. */
    outb(3, 0);
    outb(2, 0x07);
    outb(4, 0x10);
    outb(3, 0x80);
    outb(0, 1);
    outb(1, 0);
    outb(3, 0x03);
    for (int i = 0; i < 256; i++) {
        outb(0, i);
    }
    clock_step(clk, CPU_HZ / 50); /* mdelay(20) */
    int count = 0;
    uint8_t lsr = inb(5);
    cr_assert(lsr & 0x02, "overrun reported");
    while ((inb(5) & 0x01) && count < 256) {
        cr_assert_eq(inb(0), count, "FIFO keeps the first bytes in order");
        count++;
    }
    cr_assert_eq(count, 16);
    cr_assert_eq(sent->len, 0, "loopback sends nothing to the line");
}

Test(pc_uart, thre_interrupt_reasserts_when_ier_is_rewritten)
{
    outb(4, 0x08); /* OUT2: interrupt reaches the PIC */
    outb(1, 0x02);
    cr_assert(irq_level);
    uint8_t iir1 = inb(2);
    cr_assert_eq(iir1, 0x02);
    cr_assert_not(irq_level, "reading IIR acknowledges THRE");
    cr_assert_eq(inb(2), 0x01);
    outb(1, 0);
    outb(1, 0x02);
    cr_assert_eq(inb(2), 0x02, "no UART_BUG_THRE");
}

Test(pc_uart, out2_gates_the_interrupt_line)
{
    outb(4, 0x03); /* DTR | RTS only */
    outb(1, 0x02);
    cr_assert_not(irq_level);
    cr_assert_eq(inb(2), 0x02, "the UART itself has the interrupt");
    outb(1, 0x00);
    outb(4, 0x0B);
    outb(1, 0x02);
    cr_assert(irq_level);
}

Test(pc_uart, transmitted_bytes_reach_the_backend)
{
    open_port(1, 0xC7);
    const char *msg = "Linux version";
    for (const char *p = msg; *p; p++) {
        while (!(inb(5) & 0x20)) {
        }
        outb(0, *p);
    }
    cr_assert_eq(sent->len, strlen(msg));
    cr_assert(memcmp(sent->data, msg, sent->len) == 0);
    cr_assert_eq(inb(5) & 0x60, 0x60);
}

Test(pc_uart, rx_trigger_level_then_character_timeout)
{
    open_port(1, 0x81); /* FIFO, trigger 8, as Linux uses for 16550A */
    outb(1, 0x01);
    const uint8_t data[10] = "0123456789";
    cr_assert_eq(uart_receive(&uart, data, 7), 7);
    cr_assert_eq(inb(2), 0xC1, "below the trigger: no interrupt yet");
    cr_assert_not(irq_level);
    cr_assert_eq(uart_receive(&uart, data + 7, 3), 3);
    cr_assert_eq(inb(2), 0xC4, "received data available");
    cr_assert(irq_level);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(inb(0), '0' + i);
    }
    cr_assert_eq(inb(2), 0xC1, "5 left, below trigger");
    /* 4 characters at 115200 8N1 = 347 us */
    clock_step_ns(clk, 300000);
    cr_assert_eq(inb(2), 0xC1);
    clock_step_ns(clk, 60000);
    cr_assert_eq(inb(2), 0xCC, "character timeout");
    cr_assert(irq_level);
    for (int i = 5; i < 10; i++) {
        cr_assert_eq(inb(0), '0' + i);
    }
    cr_assert_eq(inb(5) & 0x01, 0);
    cr_assert_eq(inb(2), 0xC1);
    cr_assert_not(irq_level);
}

Test(pc_uart, full_fifo_refuses_input_and_asks_again_later)
{
    open_port(1, 0xC1);
    uint8_t data[20];
    memset(data, 'x', sizeof data);
    cr_assert_eq(uart_receive(&uart, data, 20), 16);
    cr_assert_eq(uart_rx_space(&uart), 0);
    cr_assert_eq(inb(5) & 0x02, 0, "backpressure, not overrun");
    (void)inb(0);
    cr_assert_eq(rx_ready_calls, 1);
    cr_assert_eq(uart_receive(&uart, data, 4), 1);
}

Test(pc_uart, overrun_raises_line_status_interrupt)
{
    open_port(1, 0x00); /* 16450 mode: one holding register */
    outb(4, 0x1B);      /* loopback */
    outb(1, 0x05);
    outb(0, 'a');
    outb(0, 'b');
    cr_assert_eq(inb(2), 0x06, "receiver line status first");
    uint8_t lsr = inb(5);
    cr_assert_eq(lsr & 0x03, 0x03);
    cr_assert_eq(inb(5) & 0x02, 0, "OE clears on read");
    cr_assert_eq(inb(2), 0x04);
    cr_assert_eq(inb(0), 'b', "16450 overwrites the holding register");
}

Test(pc_uart, modem_status_deltas_in_loopback)
{
    outb(4, 0x10);
    (void)inb(6);
    outb(1, 0x08);
    outb(4, 0x11); /* DTR -> DSR */
    cr_assert_eq(inb(2), 0x00, "modem status interrupt");
    uint8_t msr = inb(6);
    cr_assert_eq(msr, 0x20 | 0x02);
    cr_assert_eq(inb(6), 0x20, "deltas clear on read");
    outb(4, 0x14); /* OUT1 -> RI on, DTR off */
    (void)inb(6);
    outb(4, 0x10); /* RI trailing edge */
    cr_assert_eq(inb(6) & 0x04, 0x04, "TERI");
}

Test(pc_uart, divisor_latch_is_separate_from_ier_and_data)
{
    outb(1, 0x05);
    outb(3, 0x83);
    outb(0, 0x34);
    outb(1, 0x12);
    cr_assert_eq(inb(0), 0x34);
    cr_assert_eq(inb(1), 0x12);
    outb(3, 0x03);
    cr_assert_eq(inb(1), 0x05);
    cr_assert_eq(sent->len, 0, "DLL write is not a transmit");
    outb(7, 0x5A);
    cr_assert_eq(inb(7), 0x5A, "scratch register");
}
