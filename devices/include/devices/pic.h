/*
 * tulipvm: Intel 8259A programmable interrupt controller pair (master at
 * 0x20/0x21, slave at 0xA0/0xA1 cascaded on master IR2) with the PIIX-style
 * edge/level control registers (ELCR) at 0x4D0/0x4D1.
 */
#ifndef DEVICES_PIC_H
#define DEVICES_PIC_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "emu/bus.h"
#include "emu/irq.h"

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE  0xA0
#define PIC_ELCR_BASE   0x4D0
#define PIC_NUM_IRQS    16
#define PIC_CASCADE_IRQ 2

/* One 8259A.  Fields are internal; use the functions below. */
typedef struct Pic8259 {
    uint8_t irr;         /* interrupt request register */
    uint8_t isr;         /* in-service register */
    uint8_t imr;         /* interrupt mask register */
    uint8_t lines;       /* current level of each IR input */
    uint8_t elcr;        /* 1 = level triggered */
    uint8_t elcr_mask;   /* ELCR bits that exist for this chip */
    uint8_t vector_base; /* ICW2 & 0xF8 */
    uint8_t icw3;        /* cascade configuration */
    uint8_t lowest;      /* IR of lowest priority (rotation), 7 at reset */
    uint8_t init_step;   /* 0: operational; 2..4: expecting ICWn */
    bool icw4_expected;  /* ICW1.IC4 */
    bool single;         /* ICW1.SNGL */
    bool auto_eoi;       /* ICW4.AEOI */
    bool rotate_on_aeoi; /* OCW2 R=1 SL=0 EOI=0 */
    bool sfnm;           /* ICW4.SFNM (special fully nested mode) */
    bool special_mask;   /* OCW3.SMM */
    bool read_isr;       /* OCW3.RIS: port A reads ISR instead of IRR */
    bool poll;           /* OCW3.P: next read is a poll */
    bool is_master;
} Pic8259;

typedef struct PicPair {
    Pic8259 chip[2]; /* 0 master, 1 slave */
    IrqLine intr;    /* optional: INTR output towards the CPU */
    bool intr_level; /* last level driven on intr */
    Bus *io;
    IoRegion *regions[3];
} PicPair;

/* Map the three port ranges; the pair starts in its power-on state. */
bool pic_init(PicPair *s, Bus *io, GError **errp);
void pic_destroy(PicPair *s);
/* Power-on state; input line levels are kept (they belong to devices). */
void pic_reset(PicPair *s);

/* Input IRQ line n (0-15) for a device to drive. */
IrqLine pic_irq_line(PicPair *s, int n);
/* Route the INTR output somewhere (the CPU loop may also poll). */
void pic_set_intr_output(PicPair *s, IrqLine intr);
/* Firmware-style preset of the edge/level control registers. */
void pic_set_elcr(PicPair *s, uint16_t elcr);

/* The interface the CPU uses: INTR level and the INTA cycle. */
IntrSource pic_intr_source(PicPair *s);
bool pic_intr_pending(PicPair *s);
uint8_t pic_intr_ack(PicPair *s);

#endif /* DEVICES_PIC_H */
