/*
 * tulipvm: Intel 8042-compatible keyboard controller (ports 0x60/0x64)
 * with a PS/2 keyboard on its first channel, IRQ1.
 */
#ifndef DEVICES_I8042_H
#define DEVICES_I8042_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "devices/sysctrl.h"
#include "emu/bus.h"
#include "emu/irq.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64
#define KBD_QUEUE_SIZE  16

typedef struct I8042 {
    Bus *io;
    IoRegion *regions[2];
    IrqLine irq1;
    SysCtrlOps ops;
    uint8_t ctr;          /* controller command byte */
    uint8_t out_port;     /* output port (bit 0 reset, bit 1 A20) */
    uint8_t status_flags; /* SYS and A2 bits of the status register */
    uint8_t ob;           /* output buffer */
    bool ob_full;
    bool ob_from_kbd;    /* OB holds keyboard data (vs a controller reply) */
    uint8_t pending_cmd; /* controller command waiting for its data byte */
    bool irq_level;
    /* The keyboard */
    uint8_t kq[KBD_QUEUE_SIZE];
    unsigned kq_head, kq_count;
    uint8_t kbd_pending_cmd; /* keyboard command waiting for its argument */
    uint8_t kbd_last;        /* for the resend command */
    uint8_t kbd_set;         /* scan code set selected by the host (1-3) */
    uint8_t kbd_leds;
    bool kbd_scanning;
    uint64_t kbd_overruns;
} I8042;

bool i8042_init(I8042 *s, Bus *io, IrqLine irq1, const SysCtrlOps *ops,
                GError **errp);
void i8042_destroy(I8042 *s);

/*
 * Key events from the frontend as scan code set 1 bytes (make/break,
 * 0xE0 prefixes included): what the CPU reads with translation on.
 * Returns false when the keyboard buffer overflowed.
 */
bool i8042_put_scancodes(I8042 *s, const uint8_t *set1, size_t len);

/* Bytes i8042_put_scancodes() takes now without an overrun (a keyboard
 * that is not scanning takes, and drops, anything). */
size_t i8042_kbd_room(const I8042 *s);

#endif /* DEVICES_I8042_H */
