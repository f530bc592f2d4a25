/*
 * tulipvm: 16550A UART (PC16550D register set with 16-byte FIFOs).
 *
 * Transmission is instantaneous: a byte written to THR reaches the backend
 * (or, in loopback, the receiver) at once, so THRE and TEMT read as set
 * and the THRE interrupt re-arms right after each write.  Reception is
 * paced by the backend, which offers bytes and is told how many the FIFO
 * took (backpressure instead of overruns); only loopback can overrun.
 * The character timeout indication fires four character times (from LCR
 * and the divisor) after the last FIFO activity.
 *
 * Modelled: DLAB and divisor latch, IER, IIR with the datasheet priorities
 * (line status, received data / timeout, THRE, modem status) and the rule
 * that reading IIR clears a THRE interrupt, FCR enable/reset/trigger
 * levels, LSR with clear-on-read error bits, MCR loopback (TX to RX, RTS
 * to CTS, DTR to DSR, OUT1 to RI, OUT2 to DCD), MSR deltas, the scratch
 * register, and the PC's OUT2 gating of the interrupt output.
 *
 * Not modelled: line timing of transmission, parity/framing errors and
 * breaks from the backend, DMA mode signals.
 */
#include "devices/uart.h"
#include "emu/log.h"
#include "uart_regs.h"

static const uint8_t uart_trigger_levels[4] = {1, 4, 8, 14};

static bool uart_fifo_on(const Uart *s)
{
    return s->fcr & FCR_FIFO_EN;
}

static unsigned uart_capacity(const Uart *s)
{
    return uart_fifo_on(s) ? UART_FIFO_SIZE : 1;
}

static bool uart_rx_trigger_reached(const Uart *s)
{
    if (!uart_fifo_on(s)) {
        return s->rx_count > 0;
    }
    return s->rx_count >= uart_trigger_levels[s->fcr >> 6];
}

/* Highest-priority pending interrupt (datasheet table 4, IIR). */
static uint8_t uart_iir_id(const Uart *s)
{
    if ((s->ier & IER_ELSI) && (s->lsr & LSR_ERRS)) {
        return IIR_RLSI;
    }
    if (s->ier & IER_ERBFI) {
        if (uart_rx_trigger_reached(s)) {
            return IIR_RDI;
        }
        if (s->timeout_pending) {
            return IIR_CTI;
        }
    }
    if ((s->ier & IER_ETBEI) && s->thr_ipending) {
        return IIR_THRI;
    }
    if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTA)) {
        return IIR_MSI;
    }
    return IIR_NO_INT;
}

static void uart_update_irq(Uart *s)
{
    /* On a PC the INTR pin reaches the PIC through a buffer that OUT2
     * enables; loopback disconnects OUT2 from the pin. */
    bool level = uart_iir_id(s) != IIR_NO_INT && (s->mcr & MCR_OUT2) &&
                 !(s->mcr & MCR_LOOP);
    if (level != s->irq_level) {
        s->irq_level = level;
        TRACE(TRACE_UART, "uart_irq level=%d", level);
        irq_set(&s->irq, level);
    }
}

/* Four character times at the current line settings. */
static int64_t uart_timeout_ns(const Uart *s)
{
    unsigned bits = 1 + 5 + (s->lcr & LCR_WLS_MASK) +
                    ((s->lcr & LCR_PEN) ? 1 : 0) + ((s->lcr & LCR_STB) ? 2 : 1);
    uint64_t div = s->divisor ? s->divisor : 0x10000;
    return (int64_t)(4 * bits * div * 1000000000ull / UART_BASE_BAUD);
}

static void uart_arm_timeout(Uart *s)
{
    if (uart_fifo_on(s) && s->rx_count) {
        timer_mod_in_ns(&s->timeout_timer, uart_timeout_ns(s));
    } else {
        timer_del(&s->timeout_timer);
    }
}

static void uart_timeout_cb(void *opaque)
{
    Uart *s = opaque;
    if (s->rx_count) {
        s->timeout_pending = true;
        uart_update_irq(s);
    }
}

static void uart_rx_clear(Uart *s)
{
    s->rx_head = s->rx_count = 0;
    s->lsr &= ~LSR_DR;
    s->timeout_pending = false;
    timer_del(&s->timeout_timer);
}

/* Put one byte into the receiver; false when it had no room. */
static bool uart_rx_push(Uart *s, uint8_t byte)
{
    if (s->rx_count >= uart_capacity(s)) {
        s->lsr |= LSR_OE;
        if (!uart_fifo_on(s)) {
            s->rx_fifo[s->rx_head] = byte; /* 16450: RBR overwritten */
        }
        return false;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
    s->rx_count++;
    s->lsr |= LSR_DR;
    return true;
}

static uint8_t uart_rx_pop(Uart *s)
{
    if (!s->rx_count) {
        return s->rx_fifo[s->rx_head]; /* stale byte, as the chip does */
    }
    uint8_t byte = s->rx_fifo[s->rx_head];
    s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
    s->rx_count--;
    if (!s->rx_count) {
        s->lsr &= ~LSR_DR;
    }
    s->timeout_pending = false;
    uart_arm_timeout(s);
    if (s->rx_refused && s->be.rx_ready) {
        s->rx_refused = false;
        s->be.rx_ready(s->be.opaque);
    }
    return byte;
}

static void uart_transmit(Uart *s, uint8_t byte)
{
    TRACE(TRACE_UART, "uart_tx 0x%x", byte);
    if (s->mcr & MCR_LOOP) {
        uart_rx_push(s, byte);
        uart_arm_timeout(s);
    } else if (s->be.tx) {
        s->be.tx(s->be.opaque, &byte, 1);
    }
    /* THR and shift register are empty again at once. */
    s->lsr |= LSR_THRE | LSR_TEMT;
    s->thr_ipending = true;
}

/* Recompute the MSR lines and latch their deltas. */
static void uart_update_msr(Uart *s)
{
    uint8_t lines;
    if (s->mcr & MCR_LOOP) {
        lines = ((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
                ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
                ((s->mcr & MCR_OUT1) ? MSR_RI : 0) |
                ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
    } else {
        lines = s->modem_in & MSR_LINES;
    }
    uint8_t old = s->msr & MSR_LINES, changed = old ^ lines;
    uint8_t delta = 0;
    if (changed & MSR_CTS) {
        delta |= MSR_DCTS;
    }
    if (changed & MSR_DSR) {
        delta |= MSR_DDSR;
    }
    if ((changed & MSR_RI) && !(lines & MSR_RI)) {
        delta |= MSR_TERI; /* trailing edge only */
    }
    if (changed & MSR_DCD) {
        delta |= MSR_DDCD;
    }
    s->msr = lines | (s->msr & MSR_DELTA) | delta;
}

static void uart_write_fcr(Uart *s, uint8_t val)
{
    bool was_on = uart_fifo_on(s);
    if (!(val & FCR_FIFO_EN)) {
        /* FCR0 = 0: the other bits are not programmed (datasheet). */
        s->fcr = 0;
    } else {
        s->fcr = val & (FCR_FIFO_EN | FCR_DMA_MODE | FCR_TRIG_MASK);
    }
    if (was_on != uart_fifo_on(s) || (val & FCR_RX_RESET)) {
        uart_rx_clear(s);
        s->lsr &= ~LSR_OE;
    }
    /* TX reset: nothing is ever queued for transmission. */
}

static uint32_t uart_read(void *opaque, uint32_t off, unsigned size)
{
    Uart *s = opaque;
    uint8_t v;
    (void)size;
    switch (off) {
    case UART_RBR:
        if (s->lcr & LCR_DLAB) {
            return s->divisor & 0xFF;
        }
        v = uart_rx_pop(s);
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            return s->divisor >> 8;
        }
        return s->ier;
    case UART_IIR:
        v = uart_iir_id(s);
        if (v == IIR_THRI) {
            s->thr_ipending = false; /* reading IIR is the THRE ack */
        }
        if (uart_fifo_on(s)) {
            v |= IIR_FIFOS;
        }
        break;
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR:
        v = s->lsr;
        s->lsr &= ~LSR_ERRS;
        break;
    case UART_MSR:
        v = s->msr;
        s->msr &= ~MSR_DELTA;
        break;
    default:
        return s->scr;
    }
    uart_update_irq(s);
    return v;
}

static void uart_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    Uart *s = opaque;
    (void)size;
    TRACE(TRACE_UART, "uart_write off=%u val=0x%x", off, val);
    switch (off) {
    case UART_THR:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (s->divisor & 0xFF00) | val;
            break;
        }
        s->thr_ipending = false;
        uart_transmit(s, val);
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (s->divisor & 0x00FF) | val << 8;
            break;
        }
        /* Enabling ETBEI while THR is empty raises a THRE interrupt. */
        if ((val & IER_ETBEI) && !(s->ier & IER_ETBEI) && (s->lsr & LSR_THRE)) {
            s->thr_ipending = true;
        }
        s->ier = val & IER_MASK;
        break;
    case UART_FCR:
        uart_write_fcr(s, val);
        break;
    case UART_LCR:
        s->lcr = val;
        break;
    case UART_MCR:
        s->mcr = val & MCR_MASK;
        uart_update_msr(s);
        break;
    case UART_LSR:
    case UART_MSR:
        break; /* factory test registers on the real part */
    default:
        s->scr = val;
        break;
    }
    uart_update_irq(s);
}

static const IoRegionOps uart_ops = {
    .read = uart_read,
    .write = uart_write,
    .min_size = 1,
    .max_size = 1,
};

void uart_reset(Uart *s)
{
    timer_del(&s->timeout_timer);
    s->divisor = 12; /* 9600 baud until the guest programs it */
    s->ier = s->lcr = s->mcr = s->scr = s->fcr = 0;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->rx_head = s->rx_count = 0;
    s->thr_ipending = s->timeout_pending = false;
    s->msr = s->modem_in & MSR_LINES;
    uart_update_irq(s);
}

bool uart_init(Uart *s, Bus *io, uint16_t base, Clock *clock, IrqLine irq,
               const UartBackend *be, GError **errp)
{
    *s = (Uart){.clock = clock, .io = io, .irq = irq};
    if (be) {
        s->be = *be;
    }
    /* A terminal is attached: CTS, DSR and DCD asserted. */
    s->modem_in = MSR_CTS | MSR_DSR | MSR_DCD;
    timer_init(&s->timeout_timer, clock, uart_timeout_cb, s);
    uart_reset(s);
    s->region = bus_map(io, "uart", base, 8, &uart_ops, s, errp);
    return s->region != NULL;
}

void uart_destroy(Uart *s)
{
    timer_del(&s->timeout_timer);
    if (s->region) {
        bus_unmap(s->io, s->region);
        s->region = NULL;
    }
}

size_t uart_rx_space(const Uart *s)
{
    if (s->mcr & MCR_LOOP) {
        return SIZE_MAX; /* the receiver is disconnected: input is lost */
    }
    return uart_capacity(s) - s->rx_count;
}

size_t uart_receive(Uart *s, const uint8_t *buf, size_t len)
{
    if (s->mcr & MCR_LOOP) {
        return len;
    }
    size_t n = 0;
    while (n < len && s->rx_count < uart_capacity(s)) {
        uart_rx_push(s, buf[n++]);
    }
    if (n < len) {
        s->rx_refused = true;
    }
    if (n) {
        TRACE(TRACE_UART, "uart_rx %zu bytes, fifo %u", n, s->rx_count);
        uart_arm_timeout(s);
        uart_update_irq(s);
    }
    return n;
}

void uart_set_modem_inputs(Uart *s, uint8_t msr_bits)
{
    s->modem_in = msr_bits & MSR_LINES;
    uart_update_msr(s);
    uart_update_irq(s);
}
