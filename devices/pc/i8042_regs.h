/*
 * tulipvm: 8042 keyboard controller and PS/2 keyboard protocol constants
 * (IBM PS/2 Hardware Interface Technical Reference, keyboard/auxiliary
 * device controller chapter; IBM 101/102-key keyboard reference).
 */
#ifndef DEVICES_PC_I8042_REGS_H
#define DEVICES_PC_I8042_REGS_H

/* Status register (read 0x64) */
#define STAT_OBF     0x01 /* output buffer full */
#define STAT_IBF     0x02 /* input buffer full */
#define STAT_SYS     0x04 /* system flag (self-test passed) */
#define STAT_A2      0x08 /* last write was a command */
#define STAT_INH     0x10 /* 1 = keyboard not inhibited */
#define STAT_AUXB    0x20 /* output buffer holds auxiliary data */
#define STAT_TIMEOUT 0x40
#define STAT_PARITY  0x80

/* Controller command byte */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS    0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE  0x40

/* Controller commands (write 0x64) */
#define CMD_READ_CTR     0x20
#define CMD_WRITE_CTR    0x60
#define CMD_AUX_DISABLE  0xA7
#define CMD_AUX_ENABLE   0xA8
#define CMD_AUX_TEST     0xA9
#define CMD_SELF_TEST    0xAA
#define CMD_KBD_TEST     0xAB
#define CMD_KBD_DISABLE  0xAD
#define CMD_KBD_ENABLE   0xAE
#define CMD_READ_INPUT   0xC0
#define CMD_READ_OUTPUT  0xD0
#define CMD_WRITE_OUTPUT 0xD1
#define CMD_WRITE_KBD_OB 0xD2
#define CMD_WRITE_AUX_OB 0xD3 /* "aux loopback" */
#define CMD_WRITE_AUX    0xD4
#define CMD_READ_TEST    0xE0
#define CMD_PULSE_BASE   0xF0 /* 0xF0-0xFF: pulse output bits 3:0 low */

#define SELF_TEST_OK       0x55
#define AUX_TEST_CLK_STUCK 0x02

#define OUTP_RESET 0x01 /* 0 = CPU reset asserted */
#define OUTP_A20   0x02

/* Keyboard commands and replies */
#define KBD_CMD_SET_LEDS  0xED
#define KBD_CMD_ECHO      0xEE
#define KBD_CMD_SCANSET   0xF0
#define KBD_CMD_GET_ID    0xF2
#define KBD_CMD_TYPEMATIC 0xF3
#define KBD_CMD_ENABLE    0xF4
#define KBD_CMD_DISABLE   0xF5
#define KBD_CMD_DEFAULTS  0xF6
#define KBD_CMD_RESEND    0xFE
#define KBD_CMD_RESET     0xFF
#define KBD_REPLY_ACK     0xFA
#define KBD_REPLY_RESEND  0xFE
#define KBD_REPLY_BAT_OK  0xAA
#define KBD_REPLY_ECHO    0xEE
#define KBD_ID_1          0xAB
#define KBD_ID_2          0x83 /* 0x41 after translation */
#define KBD_ID_2_XLATED   0x41
#define KBD_OVERRUN_SET1  0xFF

#endif /* DEVICES_PC_I8042_REGS_H */
