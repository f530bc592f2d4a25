/*
 * tulipvm: interrupt lines.
 *
 * An IrqLine is a small value type (TinyEMU's IRQSignal, QEMU's qemu_irq):
 * a device holds one and drives it with irq_set(); whoever created it (an
 * interrupt controller input, an OR gate for a shared PCI INTx line, a test
 * recorder) observes the level.  Lines are level lines: an edge-triggered
 * input sees a rising edge when the level goes 0 -> 1, which irq_pulse()
 * produces for devices that signal with pulses (the PIT's OUT0 in mode 2).
 *
 * IrqOrGate merges several level sources into one output, the way wired-OR
 * PCI INTx sharing works: the output stays asserted while any input is.
 */
#ifndef EMU_IRQ_H
#define EMU_IRQ_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*IrqSetFn)(void *opaque, int n, bool level);

typedef struct IrqLine {
    IrqSetFn set;
    void *opaque;
    int n;
} IrqLine;

static inline IrqLine irq_line(IrqSetFn set, void *opaque, int n)
{
    IrqLine l = {set, opaque, n};
    return l;
}

/* Drive the line; a line with no receiver ignores it. */
static inline void irq_set(const IrqLine *l, bool level)
{
    if (l->set) {
        l->set(l->opaque, l->n, level);
    }
}

static inline void irq_raise(const IrqLine *l)
{
    irq_set(l, true);
}

static inline void irq_lower(const IrqLine *l)
{
    irq_set(l, false);
}

/* A rising then falling edge: for edge-triggered consumers. */
static inline void irq_pulse(const IrqLine *l)
{
    irq_set(l, true);
    irq_set(l, false);
}

#define IRQ_OR_MAX_INPUTS 32

typedef struct IrqOrGate {
    IrqLine out;
    uint32_t inputs; /* bit i: input i asserted */
    bool level;      /* last level driven on out */
} IrqOrGate;

void irq_or_init(IrqOrGate *g, IrqLine out);
/* Line that drives input i (0 .. IRQ_OR_MAX_INPUTS - 1) of the gate. */
IrqLine irq_or_input(IrqOrGate *g, int i);

/*
 * What the CPU sees of the interrupt controller: whether INTR is asserted and
 * the vector delivered by an acknowledge cycle.  The 8259A pair implements
 * this; tests provide their own.
 */
typedef struct IntrSource {
    bool (*pending)(void *opaque);
    uint8_t (*ack)(void *opaque);
    void *opaque;
} IntrSource;

#endif /* EMU_IRQ_H */
