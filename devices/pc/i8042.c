/*
 * tulipvm: 8042 keyboard controller with a PS/2 keyboard.
 *
 * The controller has a one-byte output buffer; the keyboard keeps a small
 * queue and hands the next byte over whenever the buffer is empty and the
 * keyboard interface is enabled.  IRQ1 follows "output buffer full with
 * keyboard data" while the command byte enables it.  Everything completes
 * at once, so IBF never reads as set.
 *
 * Modelled: command byte, self test (0xAA -> 0x55), interface test, port
 * enable/disable, output port (A20, reset via 0xD1 and the 0xF0-0xFF
 * pulse commands, 0xFE being the one kernels use), keyboard commands
 * (reset/BAT, identify, LEDs, scan code set, typematic, enable/disable,
 * echo, resend).  Keys arrive from the frontend already in set 1, which is
 * what the CPU sees with translation on (the PC default); the controller
 * does not translate.
 *
 * Not modelled: the auxiliary (mouse) channel.  It is reported as absent
 * quickly: the 0xD3 loopback answers on the keyboard channel (so Linux's
 * "AUX loop" check fails at once instead of timing out) and the interface
 * test 0xA9 reports a stuck clock line.  A controller reply replaces an
 * unread controller reply; unread keyboard data goes back to its queue.
 */
#include "devices/i8042.h"
#include "emu/log.h"
#include "i8042_regs.h"

static void i8042_update_irq(I8042 *s)
{
    bool level = s->ob_full && s->ob_from_kbd && (s->ctr & CTR_KBDINT);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq1, level);
    }
}

/* Move the next keyboard byte into an empty output buffer. */
static void i8042_pull_kbd(I8042 *s)
{
    if (s->ob_full || !s->kq_count || (s->ctr & CTR_KBDDIS)) {
        return;
    }
    s->ob = s->kq[s->kq_head];
    s->kq_head = (s->kq_head + 1) % KBD_QUEUE_SIZE;
    s->kq_count--;
    s->ob_full = true;
    s->ob_from_kbd = true;
}

static void i8042_controller_reply(I8042 *s, uint8_t v)
{
    if (s->ob_full && s->ob_from_kbd && s->kq_count < KBD_QUEUE_SIZE) {
        /* Keyboard data not read yet goes back to the front. */
        s->kq_head = (s->kq_head + KBD_QUEUE_SIZE - 1) % KBD_QUEUE_SIZE;
        s->kq[s->kq_head] = s->ob;
        s->kq_count++;
    }
    s->ob = v;
    s->ob_full = true;
    s->ob_from_kbd = false;
}

static bool kbd_queue(I8042 *s, uint8_t v)
{
    if (s->kq_count >= KBD_QUEUE_SIZE) {
        s->kbd_overruns++;
        return false;
    }
    s->kq[(s->kq_head + s->kq_count) % KBD_QUEUE_SIZE] = v;
    s->kq_count++;
    s->kbd_last = v;
    return true;
}

static void kbd_reset_state(I8042 *s)
{
    s->kq_head = s->kq_count = 0;
    s->kbd_pending_cmd = 0;
    s->kbd_set = 2;
    s->kbd_leds = 0;
    s->kbd_scanning = true;
}

static void kbd_write(I8042 *s, uint8_t v)
{
    TRACE(TRACE_KBD, "kbd_cmd 0x%x", v);
    if (s->kbd_pending_cmd) {
        uint8_t cmd = s->kbd_pending_cmd;
        s->kbd_pending_cmd = 0;
        if (cmd == KBD_CMD_SET_LEDS) {
            s->kbd_leds = v & 0x07;
        } else if (cmd == KBD_CMD_SCANSET) {
            if (v > 3) {
                kbd_queue(s, KBD_REPLY_RESEND);
                return;
            }
            if (v == 0) {
                kbd_queue(s, KBD_REPLY_ACK);
                kbd_queue(s, s->kbd_set);
                return;
            }
            s->kbd_set = v;
        }
        kbd_queue(s, KBD_REPLY_ACK);
        return;
    }
    switch (v) {
    case KBD_CMD_RESET:
        kbd_reset_state(s);
        kbd_queue(s, KBD_REPLY_ACK);
        kbd_queue(s, KBD_REPLY_BAT_OK);
        break;
    case KBD_CMD_RESEND: {
        uint8_t last = s->kbd_last;
        kbd_queue(s, last);
        break;
    }
    case KBD_CMD_GET_ID:
        kbd_queue(s, KBD_REPLY_ACK);
        kbd_queue(s, KBD_ID_1);
        kbd_queue(s, (s->ctr & CTR_XLATE) ? KBD_ID_2_XLATED : KBD_ID_2);
        break;
    case KBD_CMD_ECHO:
        kbd_queue(s, KBD_REPLY_ECHO);
        break;
    case KBD_CMD_SET_LEDS:
    case KBD_CMD_SCANSET:
    case KBD_CMD_TYPEMATIC:
        s->kbd_pending_cmd = v;
        kbd_queue(s, KBD_REPLY_ACK);
        break;
    case KBD_CMD_ENABLE:
        s->kbd_scanning = true;
        kbd_queue(s, KBD_REPLY_ACK);
        break;
    case KBD_CMD_DISABLE:
    case KBD_CMD_DEFAULTS:
        /* Both restore defaults; F5 also stops scanning. */
        s->kbd_set = 2;
        s->kbd_scanning = v == KBD_CMD_DEFAULTS;
        kbd_queue(s, KBD_REPLY_ACK);
        break;
    default:
        if (v >= 0xF7 && v <= 0xFD) {
            kbd_queue(s, KBD_REPLY_ACK); /* set 3 key types: accepted */
        } else {
            kbd_queue(s, KBD_REPLY_RESEND);
        }
        break;
    }
}

static void i8042_write_output_port(I8042 *s, uint8_t v)
{
    uint8_t old = s->out_port;
    s->out_port = v;
    if (((old ^ v) & OUTP_A20) && s->ops.set_a20) {
        s->ops.set_a20(s->ops.opaque, v & OUTP_A20);
    }
    if (!(v & OUTP_RESET) && s->ops.reset) {
        s->ops.reset(s->ops.opaque);
    }
}

static void i8042_command(I8042 *s, uint8_t cmd)
{
    TRACE(TRACE_KBD, "i8042_cmd 0x%x", cmd);
    if (cmd >= CMD_PULSE_BASE) {
        /* Bits 3:0 = 0 pulse the matching output port bit low. */
        if (!(cmd & OUTP_RESET) && s->ops.reset) {
            s->ops.reset(s->ops.opaque);
        }
        return;
    }
    if (cmd == CMD_READ_CTR) {
        i8042_controller_reply(s, s->ctr);
        return;
    }
    if (cmd > CMD_READ_CTR && cmd < CMD_WRITE_CTR) {
        i8042_controller_reply(s, 0); /* other internal RAM bytes */
        return;
    }
    if (cmd > CMD_WRITE_CTR && cmd < CMD_WRITE_CTR + 0x20) {
        s->pending_cmd = cmd; /* internal RAM write: the byte is dropped */
        return;
    }
    switch (cmd) {
    case CMD_WRITE_CTR:
    case CMD_WRITE_OUTPUT:
    case CMD_WRITE_KBD_OB:
    case CMD_WRITE_AUX_OB:
    case CMD_WRITE_AUX:
        s->pending_cmd = cmd;
        break;
    case CMD_AUX_DISABLE:
        s->ctr |= CTR_AUXDIS;
        break;
    case CMD_AUX_ENABLE:
        s->ctr &= ~CTR_AUXDIS;
        break;
    case CMD_AUX_TEST:
        i8042_controller_reply(s, AUX_TEST_CLK_STUCK);
        break;
    case CMD_SELF_TEST:
        s->status_flags |= STAT_SYS;
        i8042_controller_reply(s, SELF_TEST_OK);
        break;
    case CMD_KBD_TEST:
        i8042_controller_reply(s, 0x00);
        break;
    case CMD_KBD_DISABLE:
        s->ctr |= CTR_KBDDIS;
        break;
    case CMD_KBD_ENABLE:
        s->ctr &= ~CTR_KBDDIS;
        break;
    case CMD_READ_INPUT:
        i8042_controller_reply(s, 0x80); /* keyboard not inhibited */
        break;
    case CMD_READ_OUTPUT:
        i8042_controller_reply(s, s->out_port);
        break;
    case CMD_READ_TEST:
        i8042_controller_reply(s, 0x00);
        break;
    default:
        emu_log(LOG_UNIMP, "i8042: controller command 0x%x", cmd);
        break;
    }
}

static void i8042_data_write(I8042 *s, uint8_t v)
{
    uint8_t cmd = s->pending_cmd;
    s->pending_cmd = 0;
    switch (cmd) {
    case CMD_WRITE_CTR:
        s->ctr = v;
        if (v & CTR_SYS) {
            s->status_flags |= STAT_SYS;
        }
        break;
    case CMD_WRITE_OUTPUT:
        i8042_write_output_port(s, v);
        break;
    case CMD_WRITE_KBD_OB:
        i8042_controller_reply(s, v);
        s->ob_from_kbd = true;
        break;
    case CMD_WRITE_AUX_OB:
        i8042_controller_reply(s, v); /* no AUXB: there is no aux port */
        break;
    case CMD_WRITE_AUX:
        emu_log(LOG_GUEST_ERROR, "i8042: byte 0x%x for absent aux device", v);
        break;
    case 0:
        /* Writing the keyboard enables its interface (8042 firmware). */
        s->ctr &= ~CTR_KBDDIS;
        kbd_write(s, v);
        break;
    default:
        break; /* internal RAM bytes other than the command byte */
    }
}

static uint32_t i8042_data_read(void *opaque, uint32_t off, unsigned size)
{
    I8042 *s = opaque;
    (void)off;
    (void)size;
    uint8_t v = s->ob;
    s->ob_full = false;
    /* IRQ1 drops while the buffer is empty, so each byte is an edge. */
    i8042_update_irq(s);
    i8042_pull_kbd(s);
    i8042_update_irq(s);
    return v;
}

static void i8042_data_port_write(void *opaque, uint32_t off, uint32_t val,
                                  unsigned size)
{
    I8042 *s = opaque;
    (void)off;
    (void)size;
    s->status_flags &= ~STAT_A2;
    i8042_data_write(s, val);
    i8042_pull_kbd(s);
    i8042_update_irq(s);
}

static uint32_t i8042_status_read(void *opaque, uint32_t off, unsigned size)
{
    I8042 *s = opaque;
    (void)off;
    (void)size;
    return (s->ob_full ? STAT_OBF : 0) | s->status_flags | STAT_INH;
}

static void i8042_cmd_port_write(void *opaque, uint32_t off, uint32_t val,
                                 unsigned size)
{
    I8042 *s = opaque;
    (void)off;
    (void)size;
    s->status_flags |= STAT_A2;
    i8042_command(s, val);
    i8042_pull_kbd(s);
    i8042_update_irq(s);
}

static const IoRegionOps i8042_data_ops = {
    .read = i8042_data_read,
    .write = i8042_data_port_write,
    .min_size = 1,
    .max_size = 1,
};

static const IoRegionOps i8042_cmd_ops = {
    .read = i8042_status_read,
    .write = i8042_cmd_port_write,
    .min_size = 1,
    .max_size = 1,
};

bool i8042_init(I8042 *s, Bus *io, IrqLine irq1, const SysCtrlOps *ops,
                GError **errp)
{
    *s = (I8042){.io = io, .irq1 = irq1};
    if (ops) {
        s->ops = *ops;
    }
    /* As firmware leaves it: IRQ1 on, translation on, system flag set. */
    s->ctr = CTR_KBDINT | CTR_SYS | CTR_XLATE;
    s->status_flags = STAT_SYS;
    s->out_port = OUTP_RESET | OUTP_A20;
    kbd_reset_state(s);
    s->regions[0] =
        bus_map(io, "i8042-data", I8042_DATA_PORT, 1, &i8042_data_ops, s, errp);
    if (!s->regions[0]) {
        return false;
    }
    s->regions[1] =
        bus_map(io, "i8042-cmd", I8042_CMD_PORT, 1, &i8042_cmd_ops, s, errp);
    if (!s->regions[1]) {
        i8042_destroy(s);
        return false;
    }
    return true;
}

void i8042_destroy(I8042 *s)
{
    for (int i = 0; i < 2; i++) {
        if (s->regions[i]) {
            bus_unmap(s->io, s->regions[i]);
            s->regions[i] = NULL;
        }
    }
}

bool i8042_put_scancodes(I8042 *s, const uint8_t *set1, size_t len)
{
    bool ok = true;
    if (!s->kbd_scanning) {
        return true; /* a disabled keyboard drops keys */
    }
    for (size_t i = 0; i < len; i++) {
        if (s->kq_count == KBD_QUEUE_SIZE - 1) {
            /* Keep the last slot for the overrun code, as keyboards do. */
            kbd_queue(s, KBD_OVERRUN_SET1);
            ok = false;
            break;
        }
        if (s->kq_count >= KBD_QUEUE_SIZE) {
            s->kbd_overruns++;
            ok = false;
            break;
        }
        kbd_queue(s, set1[i]);
    }
    i8042_pull_kbd(s);
    i8042_update_irq(s);
    return ok;
}

size_t i8042_kbd_room(const I8042 *s)
{
    if (!s->kbd_scanning) {
        return SIZE_MAX;
    }
    /* the last slot is kept for the overrun code */
    return s->kq_count < KBD_QUEUE_SIZE - 1 ? KBD_QUEUE_SIZE - 1 - s->kq_count
                                            : 0;
}
