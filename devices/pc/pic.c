/*
 * tulipvm: Intel 8259A programmable interrupt controller pair, as wired in
 * a PC/AT: the slave's INT drives the master's IR2, the master's INT is the
 * CPU's INTR.  Edge or level sensing per input comes from the ELCR pair at
 * 0x4D0/0x4D1 (PIIX/ISA bridges); IRQ0, 1, 2, 8 and 13 are edge only.
 *
 * Modelled: ICW1-ICW4, IMR, OCW2 EOI variants and priority rotation, OCW3
 * register select, special mask mode and poll mode, automatic EOI, special
 * fully nested mode, spurious IR7 (vector base + 7 without an ISR bit) when
 * a request vanished before the acknowledge, on either chip.
 *
 * Not modelled: MCS-80/85 mode (call address interval), buffered mode pins,
 * ICW1.LTIM (ELCR decides, as on PIIX where LTIM is ignored).  An edge
 * request stays latched when the line falls before INTA, so devices that
 * pulse their line (irq_pulse) are still seen.
 */
#include "devices/pic.h"
#include "emu/log.h"
#include "pic_regs.h"

static bool pic_chip_is_level(const Pic8259 *p, int ir)
{
    return (p->elcr >> ir) & 1;
}

/* Priority rank (0 = highest) of the best bit in mask, or 8 when empty. */
static int pic_best_rank(const Pic8259 *p, uint8_t mask)
{
    for (int rank = 0; rank < 8; rank++) {
        if (mask & (1u << ((p->lowest + 1 + rank) & 7))) {
            return rank;
        }
    }
    return 8;
}

static int pic_rank_to_ir(const Pic8259 *p, int rank)
{
    return (p->lowest + 1 + rank) & 7;
}

/* The IR this chip would present at INTA now, or -1 if INT is inactive. */
static int pic_chip_get_irq(const Pic8259 *p)
{
    int req = pic_best_rank(p, p->irr & ~p->imr);
    if (req == 8) {
        return -1;
    }
    uint8_t in_service = p->isr;
    if (p->special_mask) {
        in_service &= ~p->imr;
    }
    /* In SFNM a slave's in-service IR2 does not block its other inputs. */
    if (p->is_master && p->sfnm) {
        in_service &= ~(1u << PIC_CASCADE_IRQ);
    }
    if (req < pic_best_rank(p, in_service)) {
        return pic_rank_to_ir(p, req);
    }
    return -1;
}

/*
 * Edge inputs latch IRR on a rising edge and keep it; level inputs
 * request exactly while high, which is what makes a still-asserted PCI
 * line interrupt again after the handler's EOI and unmask.
 */
static void pic_chip_set_input(Pic8259 *p, int ir, bool level)
{
    uint8_t mask = 1u << ir;
    if (level) {
        if (!(p->lines & mask) || pic_chip_is_level(p, ir)) {
            p->irr |= mask;
        }
        p->lines |= mask;
    } else {
        p->lines &= ~mask;
        if (pic_chip_is_level(p, ir)) {
            p->irr &= ~mask;
        }
    }
}

static void pic_chip_ack(Pic8259 *p, int ir)
{
    uint8_t mask = 1u << ir;
    if (p->auto_eoi) {
        if (p->rotate_on_aeoi) {
            p->lowest = ir;
        }
    } else {
        p->isr |= mask;
    }
    /* A level request stays in IRR while the line is high. */
    if (!pic_chip_is_level(p, ir)) {
        p->irr &= ~mask;
    }
}

static void pic_update_irq(PicPair *s)
{
    bool slave_int = pic_chip_get_irq(&s->chip[1]) >= 0;
    if (slave_int != (bool)(s->chip[0].lines & (1u << PIC_CASCADE_IRQ))) {
        pic_chip_set_input(&s->chip[0], PIC_CASCADE_IRQ, slave_int);
    }
    bool level = pic_chip_get_irq(&s->chip[0]) >= 0;
    if (level != s->intr_level) {
        s->intr_level = level;
        TRACE(TRACE_PIC, "pic_intr level=%d", level);
        irq_set(&s->intr, level);
    }
}

static void pic_set_irq(void *opaque, int n, bool level)
{
    PicPair *s = opaque;
    if (n < 0 || n >= PIC_NUM_IRQS || n == PIC_CASCADE_IRQ) {
        /* Wiring bug in the machine, never guest input. */
        g_assert_not_reached();
    }
    Pic8259 *p = &s->chip[n >> 3];
    if ((bool)((p->lines >> (n & 7)) & 1) != level) {
        TRACE(TRACE_PIC, "pic_irq irq=%d level=%d", n, level);
    }
    pic_chip_set_input(p, n & 7, level);
    pic_update_irq(s);
}

static void pic_chip_reset(Pic8259 *p, bool master)
{
    uint8_t lines = p->lines;
    *p = (Pic8259){0};
    p->lines = lines;
    p->is_master = master;
    p->elcr_mask = master ? ELCR_MASTER_MASK : ELCR_SLAVE_MASK;
    p->lowest = 7;
}

static void pic_icw1(Pic8259 *p, uint8_t val)
{
    if (val & ICW1_LTIM) {
        emu_log(LOG_UNIMP, "pic: ICW1.LTIM ignored, use the ELCR for level "
                           "triggering");
    }
    /* Datasheet: IMR cleared, IR7 lowest, SMM off, IRR selected for read,
     * and the edge sense latches reset (a high input must fall first). */
    p->init_step = 2;
    p->icw4_expected = val & ICW1_IC4;
    p->single = val & ICW1_SNGL;
    p->imr = 0;
    p->isr = 0;
    p->irr = p->lines & p->elcr;
    p->lowest = 7;
    p->special_mask = false;
    p->read_isr = false;
    p->poll = false;
    p->auto_eoi = false;
    p->rotate_on_aeoi = false;
    p->sfnm = false;
}

static void pic_ocw2(Pic8259 *p, uint8_t val)
{
    int level = val & OCW2_LEVEL;
    switch (val & OCW2_CMD_MASK) {
    case OCW2_NS_EOI:
    case OCW2_ROT_NS_EOI: {
        int rank = pic_best_rank(p, p->isr);
        if (rank == 8) {
            break; /* nothing in service: a no-op on the real part */
        }
        int ir = pic_rank_to_ir(p, rank);
        p->isr &= ~(1u << ir);
        if ((val & OCW2_CMD_MASK) == OCW2_ROT_NS_EOI) {
            p->lowest = ir;
        }
        break;
    }
    case OCW2_SPEC_EOI:
        p->isr &= ~(1u << level);
        break;
    case OCW2_ROT_SPEC_EOI:
        p->isr &= ~(1u << level);
        p->lowest = level;
        break;
    case OCW2_SET_PRIO:
        p->lowest = level;
        break;
    case OCW2_ROT_AEOI_SET:
        p->rotate_on_aeoi = true;
        break;
    case OCW2_ROT_AEOI_CLR:
        p->rotate_on_aeoi = false;
        break;
    default: /* OCW2_NOP */
        break;
    }
}

static void pic_ocw3(Pic8259 *p, uint8_t val)
{
    if (val & OCW3_P) {
        p->poll = true;
    }
    if (val & OCW3_RR) {
        p->read_isr = val & OCW3_RIS;
    }
    if (val & OCW3_ESMM) {
        p->special_mask = val & OCW3_SMM;
    }
}

static void pic_write_data(Pic8259 *p, uint8_t val)
{
    switch (p->init_step) {
    case 2:
        p->vector_base = val & 0xF8;
        if (!p->single) {
            p->init_step = 3;
        } else {
            p->init_step = p->icw4_expected ? 4 : 0;
        }
        break;
    case 3:
        p->icw3 = val;
        p->init_step = p->icw4_expected ? 4 : 0;
        break;
    case 4:
        if (!(val & ICW4_UPM)) {
            emu_log(LOG_UNIMP, "pic: MCS-80/85 mode not modelled (ICW4=0x%x)",
                    val);
        }
        p->auto_eoi = val & ICW4_AEOI;
        p->sfnm = val & ICW4_SFNM;
        p->init_step = 0;
        break;
    default:
        p->imr = val;
        break;
    }
}

/* Poll mode: the read acts as an INTA and returns the level (D7 = int). */
static uint8_t pic_poll_read(PicPair *s, Pic8259 *p)
{
    p->poll = false;
    int ir = pic_chip_get_irq(p);
    if (ir < 0) {
        return 0;
    }
    pic_chip_ack(p, ir);
    pic_update_irq(s);
    return PIC_POLL_INT | ir;
}

static uint32_t pic_chip_read(PicPair *s, int c, uint32_t off)
{
    Pic8259 *p = &s->chip[c];
    if (p->poll) {
        return pic_poll_read(s, p);
    }
    if (off == PIC_CMD) {
        return p->read_isr ? p->isr : p->irr;
    }
    return p->imr;
}

static void pic_chip_write(PicPair *s, int c, uint32_t off, uint32_t val)
{
    Pic8259 *p = &s->chip[c];
    TRACE(TRACE_PIC, "pic_write chip=%d off=%u val=0x%x", c, off, val);
    if (off == PIC_DATA) {
        pic_write_data(p, val);
    } else if (val & ICW1_INIT) {
        pic_icw1(p, val);
    } else if (val & OCW3_SEL) {
        pic_ocw3(p, val);
    } else {
        pic_ocw2(p, val);
    }
    pic_update_irq(s);
}

static uint32_t pic_master_read(void *opaque, uint32_t off, unsigned size)
{
    (void)size;
    return pic_chip_read(opaque, 0, off);
}

static void pic_master_write(void *opaque, uint32_t off, uint32_t val,
                             unsigned size)
{
    (void)size;
    pic_chip_write(opaque, 0, off, val);
}

static uint32_t pic_slave_read(void *opaque, uint32_t off, unsigned size)
{
    (void)size;
    return pic_chip_read(opaque, 1, off);
}

static void pic_slave_write(void *opaque, uint32_t off, uint32_t val,
                            unsigned size)
{
    (void)size;
    pic_chip_write(opaque, 1, off, val);
}

static uint32_t elcr_read(void *opaque, uint32_t off, unsigned size)
{
    PicPair *s = opaque;
    (void)size;
    return s->chip[off].elcr;
}

static void pic_chip_set_elcr(Pic8259 *p, uint8_t val)
{
    p->elcr = val & p->elcr_mask;
    /* Level inputs request exactly while high. */
    p->irr = (p->irr & ~p->elcr) | (p->lines & p->elcr);
}

static void elcr_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    PicPair *s = opaque;
    (void)size;
    TRACE(TRACE_PIC, "elcr_write chip=%u val=0x%x", off, val);
    pic_chip_set_elcr(&s->chip[off], val);
    pic_update_irq(s);
}

static const IoRegionOps pic_master_ops = {
    .read = pic_master_read,
    .write = pic_master_write,
    .min_size = 1,
    .max_size = 1,
};

static const IoRegionOps pic_slave_ops = {
    .read = pic_slave_read,
    .write = pic_slave_write,
    .min_size = 1,
    .max_size = 1,
};

static const IoRegionOps elcr_ops = {
    .read = elcr_read,
    .write = elcr_write,
    .min_size = 1,
    .max_size = 1,
};

void pic_reset(PicPair *s)
{
    pic_chip_reset(&s->chip[0], true);
    pic_chip_reset(&s->chip[1], false);
    pic_update_irq(s);
}

bool pic_init(PicPair *s, Bus *io, GError **errp)
{
    *s = (PicPair){0};
    s->io = io;
    pic_reset(s);
    s->regions[0] =
        bus_map(io, "pic-master", PIC_MASTER_BASE, 2, &pic_master_ops, s, errp);
    if (!s->regions[0]) {
        goto fail;
    }
    s->regions[1] =
        bus_map(io, "pic-slave", PIC_SLAVE_BASE, 2, &pic_slave_ops, s, errp);
    if (!s->regions[1]) {
        goto fail;
    }
    s->regions[2] = bus_map(io, "elcr", PIC_ELCR_BASE, 2, &elcr_ops, s, errp);
    if (!s->regions[2]) {
        goto fail;
    }
    return true;

fail:
    pic_destroy(s);
    return false;
}

void pic_destroy(PicPair *s)
{
    for (int i = 0; i < 3; i++) {
        if (s->regions[i]) {
            bus_unmap(s->io, s->regions[i]);
            s->regions[i] = NULL;
        }
    }
}

IrqLine pic_irq_line(PicPair *s, int n)
{
    g_assert(n >= 0 && n < PIC_NUM_IRQS && n != PIC_CASCADE_IRQ);
    return irq_line(pic_set_irq, s, n);
}

void pic_set_intr_output(PicPair *s, IrqLine intr)
{
    s->intr = intr;
    irq_set(&s->intr, s->intr_level);
}

void pic_set_elcr(PicPair *s, uint16_t elcr)
{
    pic_chip_set_elcr(&s->chip[0], elcr & 0xFF);
    pic_chip_set_elcr(&s->chip[1], elcr >> 8);
    pic_update_irq(s);
}

bool pic_intr_pending(PicPair *s)
{
    return pic_chip_get_irq(&s->chip[0]) >= 0;
}

uint8_t pic_intr_ack(PicPair *s)
{
    Pic8259 *m = &s->chip[0], *sl = &s->chip[1];
    uint8_t vector;
    int ir = pic_chip_get_irq(m);
    if (ir < 0) {
        /* The request went away before INTA: the 8259A answers IR7. */
        vector = m->vector_base | 7;
        TRACE(TRACE_PIC, "pic_ack spurious master vector=0x%x", vector);
    } else {
        pic_chip_ack(m, ir);
        if (ir == PIC_CASCADE_IRQ && !m->single) {
            int ir2 = pic_chip_get_irq(sl);
            if (ir2 < 0) {
                vector = sl->vector_base | 7;
                TRACE(TRACE_PIC, "pic_ack spurious slave vector=0x%x", vector);
            } else {
                pic_chip_ack(sl, ir2);
                vector = sl->vector_base | ir2;
            }
        } else {
            vector = m->vector_base | ir;
        }
    }
    pic_update_irq(s);
    return vector;
}

static bool pic_intr_pending_cb(void *opaque)
{
    return pic_intr_pending(opaque);
}

static uint8_t pic_intr_ack_cb(void *opaque)
{
    return pic_intr_ack(opaque);
}

IntrSource pic_intr_source(PicPair *s)
{
    IntrSource src = {pic_intr_pending_cb, pic_intr_ack_cb, s};
    return src;
}
