/*
 * tulipvm: 16550 register map (National Semiconductor PC16550D datasheet,
 * June 1995), datasheet register and bit names.
 */
#ifndef DEVICES_PC_UART_REGS_H
#define DEVICES_PC_UART_REGS_H

#define UART_RBR 0 /* read, DLAB = 0 */
#define UART_THR 0 /* write, DLAB = 0 */
#define UART_DLL 0 /* DLAB = 1 */
#define UART_IER 1 /* DLAB = 0 */
#define UART_DLM 1 /* DLAB = 1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK  0x0F

#define IIR_NO_INT 0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_RLSI   0x06
#define IIR_CTI    0x0C
#define IIR_FIFOS  0xC0 /* both bits set when FCR0 = 1 */

#define FCR_FIFO_EN   0x01
#define FCR_RX_RESET  0x02
#define FCR_TX_RESET  0x04
#define FCR_DMA_MODE  0x08
#define FCR_TRIG_MASK 0xC0

#define LCR_WLS_MASK 0x03
#define LCR_STB      0x04
#define LCR_PEN      0x08
#define LCR_DLAB     0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1F

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80
#define MSR_DELTA 0x0F
#define MSR_LINES 0xF0

/* Reference clock 1.8432 MHz / 16 = 115200 baud at divisor 1. */
#define UART_BASE_BAUD 115200

#endif /* DEVICES_PC_UART_REGS_H */
