/*
 * tulipvm: system control port A (0x92), as on PS/2 machines and PIIX
 * chipsets.  Bit 1 gates A20, a 0 -> 1 transition of bit 0 resets the
 * system.  Not modelled: the other bits (security lock, activity lights),
 * which read as zero.
 */
#include "devices/port92.h"
#include "emu/log.h"

#define PORT92_RESET 0x01
#define PORT92_A20   0x02

static uint32_t port92_read(void *opaque, uint32_t off, unsigned size)
{
    Port92 *s = opaque;
    (void)off;
    (void)size;
    return s->value;
}

static void port92_write(void *opaque, uint32_t off, uint32_t val,
                         unsigned size)
{
    Port92 *s = opaque;
    (void)off;
    (void)size;
    uint8_t old = s->value;
    s->value = val & (PORT92_A20 | PORT92_RESET);
    TRACE(TRACE_KBD, "port92_write val=0x%x", val);
    if ((old ^ s->value) & PORT92_A20 && s->ops.set_a20) {
        s->ops.set_a20(s->ops.opaque, s->value & PORT92_A20);
    }
    if ((s->value & PORT92_RESET) && !(old & PORT92_RESET) && s->ops.reset) {
        s->ops.reset(s->ops.opaque);
    }
}

static const IoRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .min_size = 1,
    .max_size = 1,
};

bool port92_init(Port92 *s, Bus *io, const SysCtrlOps *ops, GError **errp)
{
    *s = (Port92){.io = io, .value = PORT92_A20};
    if (ops) {
        s->ops = *ops;
    }
    s->region = bus_map(io, "port92", PORT92_BASE, 1, &port92_ops, s, errp);
    return s->region != NULL;
}

void port92_destroy(Port92 *s)
{
    if (s->region) {
        bus_unmap(s->io, s->region);
        s->region = NULL;
    }
}
