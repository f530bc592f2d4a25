/*
 * All platform devices on one port bus and one clock, hammered with random
 * port traffic (what a buggy or hostile guest can do), then re-initialised
 * the way Linux does it: every device must still behave.  ASan/UBSan and
 * the ctest timeout catch crashes and hangs.
 */
#include <criterion/criterion.h>
#include "devices/i8042.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/port92.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "emu/log.h"

#define CPU_HZ 100000000ull

typedef struct Platform {
    Bus *io;
    Clock *clk;
    PicPair pic;
    Pit pit;
    Rtc rtc;
    Uart uart;
    I8042 kbc;
    Port92 p92;
    int resets;
} Platform;

static void count_reset(void *opaque)
{
    ((Platform *)opaque)->resets++;
}

static void platform_init(Platform *p)
{
    log_set_enabled(0); /* the guest errors are expected here */
    p->io = bus_new("io", 0xFFFF);
    p->clk = clock_new(CPU_HZ);
    p->resets = 0;
    cr_assert(pic_init(&p->pic, p->io, NULL));
    cr_assert(pit_init(&p->pit, p->io, p->clk, pic_irq_line(&p->pic, 0), NULL));
    RtcConfig rc = {.start_time = 1700000000, .ram_size = 128u << 20};
    cr_assert(
        rtc_init(&p->rtc, p->io, p->clk, pic_irq_line(&p->pic, 8), &rc, NULL));
    cr_assert(uart_init(&p->uart, p->io, UART_COM1_BASE, p->clk,
                        pic_irq_line(&p->pic, 4), NULL, NULL));
    SysCtrlOps ops = {count_reset, NULL, p};
    cr_assert(i8042_init(&p->kbc, p->io, pic_irq_line(&p->pic, 1), &ops, NULL));
    cr_assert(port92_init(&p->p92, p->io, &ops, NULL));
}

static void platform_free(Platform *p)
{
    port92_destroy(&p->p92);
    i8042_destroy(&p->kbc);
    uart_destroy(&p->uart);
    rtc_destroy(&p->rtc);
    pit_destroy(&p->pit);
    pic_destroy(&p->pic);
    clock_free(p->clk);
    bus_free(p->io);
}

static const uint16_t ports[] = {0x20,  0x21,  0xA0,  0xA1,  0x4D0, 0x4D1,
                                 0x40,  0x41,  0x42,  0x43,  0x61,  0x70,
                                 0x71,  0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC,
                                 0x3FD, 0x3FE, 0x3FF, 0x60,  0x64,  0x92};

static void chaos(Platform *p, guint32 seed, int ops)
{
    GRand *r = g_rand_new_with_seed(seed);
    uint8_t junk[24];
    for (int i = 0; i < ops; i++) {
        uint16_t port = ports[g_rand_int_range(r, 0, G_N_ELEMENTS(ports))];
        int what = g_rand_int_range(r, 0, 100);
        if (what < 55) {
            bus_write(p->io, port, g_rand_int_range(r, 0, 256), 1);
        } else if (what < 85) {
            (void)bus_read(p->io, port, 1);
        } else if (what < 95) {
            clock_step(p->clk, g_rand_int_range(r, 1, 20000));
        } else if (what < 98) {
            if (pic_intr_pending(&p->pic)) {
                (void)pic_intr_ack(&p->pic);
            }
        } else {
            for (unsigned j = 0; j < sizeof junk; j++) {
                junk[j] = g_rand_int_range(r, 0, 256);
            }
            uart_receive(&p->uart, junk, g_rand_int_range(r, 0, 24));
            i8042_put_scancodes(&p->kbc, junk, g_rand_int_range(r, 0, 24));
        }
    }
    g_rand_free(r);
}

static void outb(Platform *p, uint16_t port, uint8_t v)
{
    bus_write(p->io, port, v, 1);
}

static uint8_t inb(Platform *p, uint16_t port)
{
    return bus_read(p->io, port, 1);
}

/* Linux's bring-up of each device, checking that each answers sanely. */
static void linux_bringup_works(Platform *p)
{
    static const uint8_t pic_init_seq[][2] = {
        {0x21, 0xFF}, {0xA1, 0xFF}, {0x20, 0x11}, {0x21, 0x30},
        {0x21, 0x04}, {0x21, 0x01}, {0xA0, 0x11}, {0xA1, 0x38},
        {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0xFE}, {0xA1, 0xFF}};
    outb(p, 0x4D0, 0);
    outb(p, 0x4D1, 0);
    for (unsigned i = 0; i < G_N_ELEMENTS(pic_init_seq); i++) {
        outb(p, pic_init_seq[i][0], pic_init_seq[i][1]);
    }
    /* Periodic PIT at HZ = 250: about 25 timer interrupts in 100 ms. */
    outb(p, 0x43, 0x34);
    outb(p, 0x40, 4773 & 0xFF);
    outb(p, 0x40, 4773 >> 8);
    int ticks = 0;
    for (int i = 0; i < 1000; i++) {
        clock_step(p->clk, CPU_HZ / 10000);
        while (pic_intr_pending(&p->pic)) {
            cr_assert_eq(pic_intr_ack(&p->pic), 0x30);
            outb(p, 0x20, 0x60);
            ticks++;
        }
    }
    cr_assert(ticks >= 24 && ticks <= 26, "timer ticks %d", ticks);

    /* RTC: 24h BCD, then every time byte is valid BCD. */
    outb(p, 0x70, 0x0A);
    outb(p, 0x71, 0x26);
    outb(p, 0x70, 0x0B);
    outb(p, 0x71, 0x02);
    static const uint8_t time_regs[] = {0, 2, 4, 7, 8, 9};
    for (unsigned i = 0; i < sizeof time_regs; i++) {
        outb(p, 0x70, time_regs[i]);
        uint8_t v = inb(p, 0x71);
        cr_assert((v & 0x0F) <= 9 && (v >> 4) <= 9, "reg %u = 0x%x",
                  time_regs[i], v);
    }

    /* UART autoconfig */
    outb(p, 0x3FB, 0x00);
    outb(p, 0x3F9, 0x00);
    cr_assert_eq(inb(p, 0x3F9) & 0x0F, 0);
    outb(p, 0x3F9, 0x0F);
    cr_assert_eq(inb(p, 0x3F9) & 0x0F, 0x0F);
    outb(p, 0x3F9, 0x00);
    outb(p, 0x3FA, 0x01);
    cr_assert_eq(inb(p, 0x3FA) >> 6, 3);

    /* i8042: flush, then self test */
    for (int i = 0; i < 32 && (inb(p, 0x64) & 0x01); i++) {
        (void)inb(p, 0x60);
    }
    outb(p, 0x64, 0xAA);
    cr_assert_eq(inb(p, 0x60), 0x55);
}

Test(pc_platform_robustness, random_port_traffic_then_linux_bringup)
{
    for (guint32 seed = 1; seed <= 8; seed++) {
        Platform p;
        platform_init(&p);
        chaos(&p, seed, 50000);
        linux_bringup_works(&p);
        platform_free(&p);
    }
}
