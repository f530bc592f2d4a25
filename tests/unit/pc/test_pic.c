/*
 * 8259A pair driven through ports 0x20/0x21, 0xA0/0xA1 and 0x4D0/0x4D1 the
 * way Linux's i8259.c programs and acknowledges it.
 */
#include <criterion/criterion.h>
#include "irq_probe.h"
#include "devices/pic.h"

static Bus *io;
static PicPair pic;
static IrqProbe intr;

static void outb(uint16_t port, uint8_t v)
{
    bus_write(io, port, v, 1);
}

static uint8_t inb(uint16_t port)
{
    return bus_read(io, port, 1);
}

/* init_8259A(auto_eoi = 0): vectors 0x30 / 0x38, cascade on IR2. */
static void linux_init(uint8_t icw4)
{
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    outb(0x20, 0x11);
    outb(0x21, 0x30);
    outb(0x21, 0x04);
    outb(0x21, icw4);
    outb(0xA0, 0x11);
    outb(0xA1, 0x38);
    outb(0xA1, 0x02);
    outb(0xA1, 0x01);
    outb(0x21, 0x00);
    outb(0xA1, 0x00);
}

static void setup(void)
{
    io = bus_new("io", 0xFFFF);
    intr.level = false;
    intr.rises = 0;
    cr_assert(pic_init(&pic, io, NULL));
    pic_set_intr_output(&pic, irq_probe_line(&intr));
    linux_init(0x01);
}

static void teardown(void)
{
    pic_destroy(&pic);
    bus_free(io);
}

static void set_irq(int n, bool level)
{
    IrqLine l = pic_irq_line(&pic, n);
    irq_set(&l, level);
}

/* mask_and_ack_8259A: mask, specific EOI (slave then master IR2). */
static void mask_and_ack(int irq, uint8_t *mmask, uint8_t *smask)
{
    if (irq & 8) {
        *smask |= 1u << (irq & 7);
        (void)inb(0xA1);
        outb(0xA1, *smask);
        outb(0xA0, 0x60 + (irq & 7));
        outb(0x20, 0x62);
    } else {
        *mmask |= 1u << irq;
        (void)inb(0x21);
        outb(0x21, *mmask);
        outb(0x20, 0x60 + irq);
    }
}

static uint8_t read_isr(uint16_t cmd)
{
    outb(cmd, 0x0B);
    uint8_t v = inb(cmd);
    outb(cmd, 0x0A);
    return v;
}

TestSuite(pc_pic, .init = setup, .fini = teardown);

Test(pc_pic, init_sequence_sets_vector_bases_and_cascade)
{
    set_irq(0, true);
    cr_assert(pic_intr_pending(&pic));
    cr_assert(intr.level, "INTR output follows");
    cr_assert_eq(pic_intr_ack(&pic), 0x30);
    outb(0x20, 0x60);
    set_irq(12, true);
    cr_assert(pic_intr_pending(&pic));
    cr_assert_eq(pic_intr_ack(&pic), 0x3C);
    cr_assert_eq(read_isr(0xA0), 0x10);
    cr_assert_eq(read_isr(0x20), 0x04, "cascade IR2 in service on master");
}

Test(pc_pic, imr_reads_back_and_holds_edge_until_unmasked)
{
    outb(0x21, 0xA5);
    cr_assert_eq(inb(0x21), 0xA5);
    outb(0xA1, 0x5A);
    cr_assert_eq(inb(0xA1), 0x5A);
    outb(0x21, 0x01);
    set_irq(0, true);
    set_irq(0, false);
    cr_assert_not(pic_intr_pending(&pic), "masked");
    outb(0x20, 0x0A);
    cr_assert_eq(inb(0x20), 0x01, "edge latched in IRR while masked");
    outb(0x21, 0x00);
    cr_assert(pic_intr_pending(&pic));
    cr_assert_eq(pic_intr_ack(&pic), 0x30);
}

Test(pc_pic, level_triggered_line_reasserts_after_eoi_while_high)
{
    uint8_t mm = 0, sm = 0;
    outb(0x4D1, 0x08); /* IRQ11 level, as firmware sets it for a PCI NIC */
    cr_assert_eq(inb(0x4D1), 0x08);
    set_irq(11, true);
    cr_assert(pic_intr_pending(&pic));
    cr_assert_eq(pic_intr_ack(&pic), 0x3B);
    mask_and_ack(11, &mm, &sm);
    cr_assert_not(pic_intr_pending(&pic), "masked during the handler");
    /* The handler did not clear the device's interrupt: unmask. */
    sm &= ~0x08;
    outb(0xA1, sm);
    cr_assert(pic_intr_pending(&pic), "still-high level line raises again");
    cr_assert_eq(pic_intr_ack(&pic), 0x3B);
    mask_and_ack(11, &mm, &sm);
    set_irq(11, false); /* this time the handler cleared it */
    sm &= ~0x08;
    outb(0xA1, sm);
    cr_assert_not(pic_intr_pending(&pic));
    cr_assert_not(intr.level);
}

Test(pc_pic, edge_triggered_line_needs_a_new_edge_after_eoi)
{
    uint8_t mm = 0, sm = 0;
    set_irq(4, true);
    cr_assert_eq(pic_intr_ack(&pic), 0x34);
    mask_and_ack(4, &mm, &sm);
    outb(0x21, 0x00);
    cr_assert_not(pic_intr_pending(&pic), "line still high but no new edge");
    set_irq(4, false);
    cr_assert_not(pic_intr_pending(&pic));
    set_irq(4, true);
    cr_assert(pic_intr_pending(&pic));
    cr_assert_eq(pic_intr_ack(&pic), 0x34);
}

Test(pc_pic, vanished_level_request_gives_spurious_irq7)
{
    outb(0x4D0, 0x20); /* IRQ5 level */
    set_irq(5, true);
    cr_assert(pic_intr_pending(&pic));
    set_irq(5, false); /* withdrawn before INTA */
    cr_assert_not(pic_intr_pending(&pic));
    cr_assert_eq(pic_intr_ack(&pic), 0x37);
    cr_assert_eq(read_isr(0x20), 0x00, "spurious IR7 sets no ISR bit");
}

Test(pc_pic, vanished_slave_request_gives_spurious_irq15)
{
    outb(0x4D1, 0x04); /* IRQ10 level */
    set_irq(10, true);
    set_irq(10, false);
    /* The master latched the cascade edge; the slave has nothing. */
    cr_assert(pic_intr_pending(&pic));
    cr_assert_eq(pic_intr_ack(&pic), 0x3F);
    cr_assert_eq(read_isr(0xA0), 0x00);
    cr_assert_eq(read_isr(0x20), 0x04, "master still has IR2 in service");
    outb(0x20, 0x62);
    cr_assert_eq(read_isr(0x20), 0x00);
    cr_assert_not(pic_intr_pending(&pic));
}

Test(pc_pic, ack_with_nothing_requested_is_spurious)
{
    cr_assert_eq(pic_intr_ack(&pic), 0x37);
    cr_assert_eq(read_isr(0x20), 0);
}

Test(pc_pic, higher_priority_nests_and_eoi_variants_clear_right_bit)
{
    set_irq(3, true);
    cr_assert_eq(pic_intr_ack(&pic), 0x33);
    set_irq(5, true);
    cr_assert_not(pic_intr_pending(&pic), "IR5 waits for IR3");
    set_irq(1, true);
    cr_assert(pic_intr_pending(&pic), "IR1 preempts IR3");
    cr_assert_eq(pic_intr_ack(&pic), 0x31);
    cr_assert_eq(read_isr(0x20), 0x0A);
    outb(0x20, 0x20); /* non-specific EOI: highest in service (IR1) */
    cr_assert_eq(read_isr(0x20), 0x08);
    cr_assert_not(pic_intr_pending(&pic));
    outb(0x20, 0x63); /* specific EOI IR3 */
    cr_assert_eq(read_isr(0x20), 0x00);
    cr_assert_eq(pic_intr_ack(&pic), 0x35);
}

Test(pc_pic, lowest_numbered_request_wins)
{
    outb(0x21, 0xFF);
    set_irq(6, true);
    set_irq(3, true);
    set_irq(7, true);
    outb(0x21, 0x00);
    cr_assert_eq(pic_intr_ack(&pic), 0x33);
    outb(0x20, 0x20);
    cr_assert_eq(pic_intr_ack(&pic), 0x36);
    outb(0x20, 0x20);
    cr_assert_eq(pic_intr_ack(&pic), 0x37);
}

Test(pc_pic, set_priority_rotates_order)
{
    outb(0x21, 0xFF);
    set_irq(1, true);
    set_irq(5, true);
    outb(0x20, 0xC0 | 3); /* IR3 lowest: IR4 highest */
    outb(0x21, 0x00);
    cr_assert_eq(pic_intr_ack(&pic), 0x35);
}

Test(pc_pic, auto_eoi_leaves_isr_clear)
{
    linux_init(0x03);
    set_irq(4, true);
    cr_assert_eq(pic_intr_ack(&pic), 0x34);
    cr_assert_eq(read_isr(0x20), 0x00);
    set_irq(4, false);
    set_irq(3, true);
    cr_assert(pic_intr_pending(&pic), "no EOI needed before the next");
}

Test(pc_pic, poll_mode_reports_and_acknowledges)
{
    outb(0x20, 0x0C); /* OCW3 poll */
    cr_assert_eq(inb(0x20), 0x00, "nothing pending");
    set_irq(6, true);
    outb(0x20, 0x0C);
    cr_assert_eq(inb(0x20), 0x86);
    cr_assert_eq(read_isr(0x20), 0x40);
    cr_assert_eq(inb(0x21), 0x00, "poll is one read only; IMR again");
}

Test(pc_pic, elcr_keeps_isa_timer_keyboard_and_cascade_edge)
{
    outb(0x4D0, 0xFF);
    outb(0x4D1, 0xFF);
    cr_assert_eq(inb(0x4D0), 0xF8);
    cr_assert_eq(inb(0x4D1), 0xDE);
}

Test(pc_pic, reinitialisation_clears_masks_and_needs_a_new_edge)
{
    set_irq(3, true);
    outb(0x21, 0xFF);
    linux_init(0x01);
    cr_assert_eq(inb(0x21), 0x00, "IMR restored by the sequence");
    cr_assert_not(pic_intr_pending(&pic), "edge sense was reset");
    set_irq(3, false);
    set_irq(3, true);
    cr_assert_eq(pic_intr_ack(&pic), 0x33);
}

Test(pc_pic, intr_output_follows_pending_state)
{
    set_irq(1, true);
    cr_assert(intr.level);
    cr_assert_eq(intr.rises, 1);
    pic_intr_ack(&pic);
    cr_assert_not(intr.level);
    outb(0x20, 0x61);
    set_irq(1, false);
    set_irq(1, true);
    cr_assert(intr.level);
    cr_assert_eq(intr.rises, 2);
}

Test(pc_pic, intr_source_interface_reaches_the_pair)
{
    IntrSource src = pic_intr_source(&pic);
    cr_assert_not(src.pending(src.opaque));
    set_irq(8, true);
    cr_assert(src.pending(src.opaque));
    cr_assert_eq(src.ack(src.opaque), 0x38);
}
