/*
 * tulipvm: OR gate for shared interrupt lines (see emu/irq.h).
 */
#include "emu/irq.h"
#include "emu/log.h"

#include <glib.h>

static void irq_or_set(void *opaque, int n, bool level)
{
    IrqOrGate *g = opaque;
    uint32_t bit = 1u << n;

    if (level) {
        g->inputs |= bit;
    } else {
        g->inputs &= ~bit;
    }
    bool out = g->inputs != 0;
    if (out != g->level) {
        g->level = out;
        irq_set(&g->out, out);
    }
}

void irq_or_init(IrqOrGate *g, IrqLine out)
{
    g->out = out;
    g->inputs = 0;
    g->level = false;
}

IrqLine irq_or_input(IrqOrGate *g, int i)
{
    g_assert(i >= 0 && i < IRQ_OR_MAX_INPUTS);
    return irq_line(irq_or_set, g, i);
}
