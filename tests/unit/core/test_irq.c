/*
 * Interrupt lines and wired-OR sharing.
 */
#include <criterion/criterion.h>
#include "emu/irq.h"

typedef struct Probe {
    bool level;
    int rises, falls;
} Probe;

static void probe_set(void *opaque, int n, bool level)
{
    Probe *p = (Probe *)opaque + n;
    if (level && !p->level) {
        p->rises++;
    }
    if (!level && p->level) {
        p->falls++;
    }
    p->level = level;
}

Test(irq, line_delivers_level_to_its_input)
{
    Probe p[4] = {0};
    IrqLine l = irq_line(probe_set, p, 2);
    irq_raise(&l);
    cr_assert(p[2].level);
    cr_assert_not(p[0].level);
    irq_lower(&l);
    cr_assert_not(p[2].level);
}

Test(irq, pulse_gives_one_rising_edge)
{
    Probe p[1] = {0};
    IrqLine l = irq_line(probe_set, p, 0);
    irq_pulse(&l);
    cr_assert_eq(p[0].rises, 1);
    cr_assert_eq(p[0].falls, 1);
    cr_assert_not(p[0].level);
}

Test(irq, unconnected_line_is_harmless)
{
    IrqLine l = irq_line(NULL, NULL, 0);
    irq_raise(&l);
    irq_lower(&l);
}

Test(irq, shared_line_stays_asserted_while_any_device_holds_it)
{
    Probe p[1] = {0};
    IrqOrGate g;
    irq_or_init(&g, irq_line(probe_set, p, 0));
    IrqLine a = irq_or_input(&g, 0), b = irq_or_input(&g, 1);

    irq_raise(&a);
    cr_assert(p[0].level);
    irq_raise(&b);
    cr_assert_eq(p[0].rises, 1, "no second edge while already high");
    irq_lower(&a);
    cr_assert(p[0].level, "b still holds the line");
    irq_lower(&b);
    cr_assert_not(p[0].level);
    cr_assert_eq(p[0].falls, 1);
    /* a device lowering twice does not disturb another's assertion */
    irq_raise(&b);
    irq_lower(&a);
    cr_assert(p[0].level);
}
