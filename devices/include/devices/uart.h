/*
 * tulipvm: National Semiconductor PC16550D-compatible UART ("16550A") with
 * 16-byte FIFOs, as at COM1 (0x3F8, IRQ4).
 */
#ifndef DEVICES_UART_H
#define DEVICES_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "emu/bus.h"
#include "emu/clock.h"
#include "emu/irq.h"

#define UART_COM1_BASE 0x3F8
#define UART_FIFO_SIZE 16

/* Bytes the guest transmitted (not called in loopback mode). */
typedef void (*UartTxFn)(void *opaque, const uint8_t *buf, size_t len);
/* The receive FIFO has room again after refusing input. */
typedef void (*UartRxReadyFn)(void *opaque);

typedef struct UartBackend {
    UartTxFn tx;
    UartRxReadyFn rx_ready;
    void *opaque;
} UartBackend;

typedef struct Uart {
    Clock *clock;
    Bus *io;
    IoRegion *region;
    IrqLine irq;
    Timer timeout_timer; /* character timeout indication */
    UartBackend be;
    uint16_t divisor;
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
    uint8_t modem_in; /* CTS/DSR/RI/DCD from the outside, MSR bit layout */
    uint8_t rx_fifo[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;
    bool rx_refused;      /* input was refused; call rx_ready on room */
    bool thr_ipending;    /* THRE interrupt condition */
    bool timeout_pending; /* character timeout condition */
    bool irq_level;
} Uart;

bool uart_init(Uart *s, Bus *io, uint16_t base, Clock *clock, IrqLine irq,
               const UartBackend *be, GError **errp);
void uart_destroy(Uart *s);
void uart_reset(Uart *s);

/*
 * Offer received bytes; returns how many were taken (the FIFO's free
 * room).  The backend keeps the rest and retries after rx_ready.
 */
size_t uart_receive(Uart *s, const uint8_t *buf, size_t len);
size_t uart_rx_space(const Uart *s);

/* Modem status inputs (MSR bits 4-7: CTS, DSR, RI, DCD). */
void uart_set_modem_inputs(Uart *s, uint8_t msr_bits);

#endif /* DEVICES_UART_H */
