/*
 * tulipvm: 8259A register bits (Intel 8259A datasheet, order 231468-003;
 * ELCR as in the Intel 82371AB PIIX4 datasheet, section 3.3).
 */
#ifndef DEVICES_PC_PIC_REGS_H
#define DEVICES_PC_PIC_REGS_H

/* Port offsets within a chip: A0 = 0 (command) and A0 = 1 (data/IMR). */
#define PIC_CMD  0
#define PIC_DATA 1

/* ICW1, written to A0 = 0 with D4 = 1 */
#define ICW1_IC4  0x01 /* ICW4 follows */
#define ICW1_SNGL 0x02 /* single chip, no ICW3 */
#define ICW1_ADI  0x04 /* call address interval (8080 mode only) */
#define ICW1_LTIM 0x08 /* level triggered mode for all inputs */
#define ICW1_INIT 0x10

/* ICW4 */
#define ICW4_UPM  0x01 /* 8086/8088 mode */
#define ICW4_AEOI 0x02 /* automatic end of interrupt */
#define ICW4_MS   0x04 /* buffered mode master/slave */
#define ICW4_BUF  0x08 /* buffered mode */
#define ICW4_SFNM 0x10 /* special fully nested mode */

/* OCW2, written to A0 = 0 with D4:D3 = 00: R SL EOI in D7:D5, level in D2:0 */
#define OCW2_LEVEL        0x07
#define OCW2_CMD_MASK     0xE0
#define OCW2_ROT_AEOI_CLR 0x00
#define OCW2_NS_EOI       0x20
#define OCW2_NOP          0x40
#define OCW2_SPEC_EOI     0x60
#define OCW2_ROT_AEOI_SET 0x80
#define OCW2_ROT_NS_EOI   0xA0
#define OCW2_SET_PRIO     0xC0
#define OCW2_ROT_SPEC_EOI 0xE0

/* OCW3, written to A0 = 0 with D4:D3 = 01 */
#define OCW3_SEL  0x08
#define OCW3_RIS  0x01 /* read ISR (with RR) */
#define OCW3_RR   0x02 /* read register command */
#define OCW3_P    0x04 /* poll */
#define OCW3_SMM  0x20 /* special mask mode value (with ESMM) */
#define OCW3_ESMM 0x40 /* enable special mask mode change */

/* Poll word: D7 = interrupt, D2:0 = highest priority request */
#define PIC_POLL_INT 0x80

/* ELCR bits that cannot be level triggered: IRQ0, 1, 2 and 8, 13. */
#define ELCR_MASTER_MASK 0xF8
#define ELCR_SLAVE_MASK  0xDE

#endif /* DEVICES_PC_PIC_REGS_H */
