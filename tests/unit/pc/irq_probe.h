/*
 * tulipvm tests: what a PC device suite sees of an interrupt line, its
 * current level and how many times it rose, through a plain IrqLine.
 */
#ifndef TESTS_PC_IRQ_PROBE_H
#define TESTS_PC_IRQ_PROBE_H

#include <stdbool.h>
#include "emu/irq.h"

typedef struct IrqProbe {
    bool level;
    int rises;
} IrqProbe;

static inline void irq_probe_set(void *opaque, int n, bool level)
{
    IrqProbe *p = opaque;
    (void)n;
    if (level && !p->level) {
        p->rises++;
    }
    p->level = level;
}

/* The line a device drives into p. */
static inline IrqLine irq_probe_line(IrqProbe *p)
{
    return irq_line(irq_probe_set, p, 0);
}

#endif /* TESTS_PC_IRQ_PROBE_H */
