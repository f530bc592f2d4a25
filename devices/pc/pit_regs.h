/*
 * tulipvm: 8254 register layout (Intel 8254 datasheet, order 231164-005)
 * and PC/AT port 0x61 bits.
 */
#ifndef DEVICES_PC_PIT_REGS_H
#define DEVICES_PC_PIT_REGS_H

#define PIT_CTRL 3 /* offset of the control word register */

/* Control word */
#define PIT_CW_BCD         0x01
#define PIT_CW_MODE_SHIFT  1
#define PIT_CW_MODE_MASK   0x07
#define PIT_CW_RW_SHIFT    4
#define PIT_CW_RW_MASK     0x03
#define PIT_CW_SC_SHIFT    6
#define PIT_CW_SC_READBACK 3

/* Read/write access modes (RW1:RW0) */
#define PIT_RW_LATCH 0
#define PIT_RW_LSB   1
#define PIT_RW_MSB   2
#define PIT_RW_WORD  3
#define PIT_RW_WORD1 4 /* internal: second byte of a word access */

/* Read-back command (SC = 11) */
#define PIT_RB_NOT_COUNT  0x20
#define PIT_RB_NOT_STATUS 0x10
#define PIT_RB_CNT(n)     (0x02 << (n))

/* Status byte */
#define PIT_ST_OUT        0x80
#define PIT_ST_NULL_COUNT 0x40

/* Port 0x61, system control port B */
#define PORTB_GATE2    0x01 /* timer 2 gate */
#define PORTB_SPKR     0x02 /* speaker data enable */
#define PORTB_WRITABLE 0x0F /* bits 2-3: parity/IOCHK check disables */
#define PORTB_REFRESH  0x10 /* toggles with DRAM refresh (~15 us) */
#define PORTB_OUT2     0x20 /* timer 2 output */

/* Refresh request period in PIT ticks (15.09 us at 1.193182 MHz). */
#define PORTB_REFRESH_TICKS 18

#endif /* DEVICES_PC_PIT_REGS_H */
