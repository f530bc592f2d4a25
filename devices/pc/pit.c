/*
 * tulipvm: Intel 8254 programmable interval timer and port 0x61.
 *
 * The counters run at 1.193182 MHz derived from the machine's cycle clock,
 * so the TSC (the cycle count) and the PIT never disagree.  Counts and
 * output levels are computed on demand from the number of PIT ticks since
 * the count was loaded; only channel 0 needs events (its OUT drives IRQ0),
 * and one timer fires at each of its output transitions.
 *
 * Modelled: modes 0-5, binary and BCD counting, LSB/MSB/word access, the
 * counter latch and read-back commands (count and status), gate 2 from
 * port 0x61 (inhibit in modes 0/4, restart in 2/3, trigger in 1/5), OUT2
 * and the refresh toggle on port 0x61.
 *
 * Not modelled: the one-tick delay between writing a count and counting;
 * a count written in modes 2/3 restarts the period at once instead of at
 * the next reload; the speaker itself (only its enable bits are kept).
 */
#include "devices/pit.h"
#include "emu/log.h"
#include "pit_regs.h"

/*
 * PIT ticks are derived from the cycle count, never accumulated, so the
 * TSC/PIT ratio the kernel measures is exact and rounding cannot drift.
 */
static uint64_t pit_now_tick(const Pit *p)
{
    return (unsigned __int128)clock_now(p->clock) * PIT_FREQ_HZ /
           clock_freq(p->clock);
}

/* First cycle at which pit_now_tick() reaches tick. */
static uint64_t pit_tick_to_cycle(const Pit *p, uint64_t tick)
{
    unsigned __int128 c = (unsigned __int128)tick * clock_freq(p->clock);
    return (c + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ;
}

static uint32_t pit_modulus(const PitChannel *c)
{
    return c->bcd ? 10000 : 0x10000;
}

static uint64_t pit_elapsed(const PitChannel *c, uint64_t now)
{
    if (c->frozen) {
        return c->frozen_elapsed;
    }
    return now - c->load_tick;
}

static bool pit_counting(const PitChannel *c)
{
    if (!c->loaded) {
        return false;
    }
    return !((c->mode == 1 || c->mode == 5) && !c->triggered);
}

/* OUT after d ticks of counting (datasheet waveforms, figure per mode). */
static bool pit_out_at(const PitChannel *c, uint64_t d)
{
    uint64_t n = c->reload;
    if (!c->loaded) {
        return c->mode != 0; /* mode 0 drives OUT low from the control word */
    }
    if (!pit_counting(c)) {
        return true;
    }
    switch (c->mode) {
    case 0:
    case 1:
        return d >= n;
    case 2:
        return !c->gate || d % n != n - 1;
    case 3:
        return !c->gate || d % n < (n + 1) / 2;
    default: /* 4, 5: one-tick low strobe when the count expires */
        return d != n;
    }
}

/* Counting element value after d ticks; mode 3 counts down by two. */
static uint32_t pit_count_at(const PitChannel *c, uint64_t d)
{
    uint32_t m = pit_modulus(c);
    uint64_t n = c->reload;
    if (!pit_counting(c)) {
        return n % m;
    }
    switch (c->mode) {
    case 2:
        return (n - d % n) % m;
    case 3:
        return ((n - (2 * d) % n) & ~1ull) % m;
    default:
        return (n + m - d % m) % m;
    }
}

/* Elapsed tick of the next OUT change after d, or 0 when none is due. */
static uint64_t pit_next_transition(const PitChannel *c, uint64_t d)
{
    uint64_t n = c->reload;
    if (!pit_counting(c) || c->frozen) {
        return 0;
    }
    uint64_t phase = d % n, base = d - phase;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? n : 0;
    case 2:
        return phase < n - 1 ? base + n - 1 : base + n;
    case 3:
        return phase < (n + 1) / 2 ? base + (n + 1) / 2 : base + n;
    default:
        if (d < n) {
            return n;
        }
        return d == n ? n + 1 : 0;
    }
}

/* OUT0 -> IRQ0, and the timer for the next transition. */
static void pit_update_irq(Pit *p)
{
    PitChannel *c = &p->ch[0];
    uint64_t now = pit_now_tick(p);
    uint64_t d = pit_elapsed(c, now);
    bool out = pit_out_at(c, d);
    if (out != c->out_level) {
        c->out_level = out;
        TRACE(TRACE_PIT, "pit_out0 level=%d", out);
        irq_set(&p->irq0, out);
    }
    uint64_t next = pit_next_transition(c, d);
    if (next) {
        timer_mod(&p->timer, pit_tick_to_cycle(p, c->load_tick + next));
    } else {
        timer_del(&p->timer);
    }
}

static void pit_timer_cb(void *opaque)
{
    pit_update_irq(opaque);
}

static uint16_t bin_to_bcd16(uint32_t v)
{
    return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
           (v / 1000 % 10) << 12;
}

static uint32_t bcd16_to_bin(uint16_t v)
{
    return (v & 0xF) + (v >> 4 & 0xF) * 10 + (v >> 8 & 0xF) * 100 +
           (v >> 12 & 0xF) * 1000;
}

static void pit_load_count(Pit *p, int idx, uint16_t val)
{
    PitChannel *c = &p->ch[idx];
    uint32_t n = val;
    if (c->bcd) {
        n = bcd16_to_bin(val);
        if (n >= 10000) {
            emu_log(LOG_GUEST_ERROR, "pit: invalid BCD count 0x%x", val);
            n %= 10000;
        }
    }
    if (n == 0) {
        n = pit_modulus(c);
    }
    if ((c->mode == 2 || c->mode == 3) && n == 1) {
        /* Illegal on the 8254; keep the output periodic and finite. */
        emu_log(LOG_GUEST_ERROR, "pit: count 1 in mode %u", c->mode);
        n = 2;
    }
    TRACE(TRACE_PIT, "pit_load ch=%d mode=%u count=%u", idx, c->mode, n);
    c->reload = n;
    c->loaded = true;
    c->load_tick = pit_now_tick(p);
    c->triggered = false;
    /* Modes 0 and 4 wait for the gate; 2 and 3 restart when it rises. */
    c->frozen = !c->gate && c->mode != 1 && c->mode != 5;
    c->frozen_elapsed = 0;
    if (idx == 0) {
        pit_update_irq(p);
    }
}

static void pit_set_gate(Pit *p, int idx, bool gate)
{
    PitChannel *c = &p->ch[idx];
    if (c->gate == gate) {
        return;
    }
    uint64_t now = pit_now_tick(p);
    switch (c->mode) {
    case 0:
    case 4:
        if (!gate) {
            c->frozen_elapsed = pit_elapsed(c, now);
            c->frozen = true;
        } else if (c->frozen) {
            c->load_tick = now - c->frozen_elapsed;
            c->frozen = false;
        }
        break;
    case 1:
    case 5:
        if (gate) {
            c->load_tick = now;
            c->triggered = true;
        }
        break;
    default:
        if (!gate) {
            c->frozen_elapsed = pit_elapsed(c, now);
            c->frozen = true;
        } else {
            c->load_tick = now;
            c->frozen = false;
        }
        break;
    }
    c->gate = gate;
    if (idx == 0) {
        pit_update_irq(p);
    }
}

static void pit_latch_count(Pit *p, PitChannel *c)
{
    if (c->latch_state) {
        return; /* a latched count is held until read */
    }
    c->latched_count = pit_count_at(c, pit_elapsed(c, pit_now_tick(p)));
    if (c->bcd) {
        c->latched_count = bin_to_bcd16(c->latched_count);
    }
    c->latch_state = c->rw;
}

static void pit_latch_status(Pit *p, PitChannel *c)
{
    if (c->status_latched) {
        return;
    }
    bool out = pit_out_at(c, pit_elapsed(c, pit_now_tick(p)));
    c->status = (out ? PIT_ST_OUT : 0) | (c->loaded ? 0 : PIT_ST_NULL_COUNT) |
                c->rw << PIT_CW_RW_SHIFT | c->mode << PIT_CW_MODE_SHIFT |
                (c->bcd ? PIT_CW_BCD : 0);
    c->status_latched = true;
}

static void pit_write_control(Pit *p, uint8_t val)
{
    int sc = val >> PIT_CW_SC_SHIFT;
    if (sc == PIT_CW_SC_READBACK) {
        for (int i = 0; i < PIT_NUM_CHANNELS; i++) {
            if (!(val & PIT_RB_CNT(i))) {
                continue;
            }
            if (!(val & PIT_RB_NOT_COUNT)) {
                pit_latch_count(p, &p->ch[i]);
            }
            if (!(val & PIT_RB_NOT_STATUS)) {
                pit_latch_status(p, &p->ch[i]);
            }
        }
        return;
    }
    PitChannel *c = &p->ch[sc];
    int rw = (val >> PIT_CW_RW_SHIFT) & PIT_CW_RW_MASK;
    if (rw == PIT_RW_LATCH) {
        pit_latch_count(p, c);
        return;
    }
    c->rw = rw;
    c->mode = (val >> PIT_CW_MODE_SHIFT) & PIT_CW_MODE_MASK;
    if (c->mode > 5) {
        c->mode -= 4; /* 6 and 7 are aliases of 2 and 3 */
    }
    c->bcd = val & PIT_CW_BCD;
    c->read_state = c->write_state = rw;
    c->latch_state = 0;
    c->status_latched = false;
    c->loaded = false;
    c->triggered = false;
    c->frozen = false;
    TRACE(TRACE_PIT, "pit_control ch=%d rw=%d mode=%u bcd=%d", sc, rw, c->mode,
          c->bcd);
    if (sc == 0) {
        pit_update_irq(p);
    }
}

static uint8_t pit_read_counter(Pit *p, PitChannel *c)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->latch_state) {
        uint16_t v = c->latched_count;
        switch (c->latch_state) {
        case PIT_RW_MSB:
            c->latch_state = 0;
            return v >> 8;
        case PIT_RW_WORD:
            c->latch_state = PIT_RW_WORD1;
            return v & 0xFF;
        case PIT_RW_WORD1:
            c->latch_state = 0;
            return v >> 8;
        default:
            c->latch_state = 0;
            return v & 0xFF;
        }
    }
    uint16_t v = pit_count_at(c, pit_elapsed(c, pit_now_tick(p)));
    if (c->bcd) {
        v = bin_to_bcd16(v);
    }
    switch (c->read_state) {
    case PIT_RW_MSB:
        return v >> 8;
    case PIT_RW_WORD:
        c->read_state = PIT_RW_WORD1;
        return v & 0xFF;
    case PIT_RW_WORD1:
        c->read_state = PIT_RW_WORD;
        return v >> 8;
    default:
        return v & 0xFF;
    }
}

static void pit_write_counter(Pit *p, int idx, uint8_t val)
{
    PitChannel *c = &p->ch[idx];
    switch (c->write_state) {
    case PIT_RW_LSB:
        pit_load_count(p, idx, val);
        break;
    case PIT_RW_MSB:
        pit_load_count(p, idx, val << 8);
        break;
    case PIT_RW_WORD:
        c->write_lsb = val;
        c->write_state = PIT_RW_WORD1;
        if (c->mode == 0) {
            /* Datasheet: the first byte stops a mode 0 count, OUT low. */
            c->loaded = false;
            if (idx == 0) {
                pit_update_irq(p);
            }
        }
        break;
    case PIT_RW_WORD1:
        c->write_state = PIT_RW_WORD;
        pit_load_count(p, idx, c->write_lsb | val << 8);
        break;
    default:
        emu_log(LOG_GUEST_ERROR,
                "pit: count written to channel %d before "
                "a control word",
                idx);
        break;
    }
}

static uint32_t pit_io_read(void *opaque, uint32_t off, unsigned size)
{
    Pit *p = opaque;
    (void)size;
    if (off == PIT_CTRL) {
        return 0xFF; /* the control register is write-only */
    }
    return pit_read_counter(p, &p->ch[off]);
}

static void pit_io_write(void *opaque, uint32_t off, uint32_t val,
                         unsigned size)
{
    Pit *p = opaque;
    (void)size;
    if (off == PIT_CTRL) {
        pit_write_control(p, val);
    } else {
        pit_write_counter(p, off, val);
    }
}

static uint32_t portb_read(void *opaque, uint32_t off, unsigned size)
{
    Pit *p = opaque;
    (void)off;
    (void)size;
    uint64_t tick = pit_now_tick(p);
    uint8_t v = p->port_b;
    if ((tick / PORTB_REFRESH_TICKS) & 1) {
        v |= PORTB_REFRESH;
    }
    if (pit_out_at(&p->ch[2], pit_elapsed(&p->ch[2], tick))) {
        v |= PORTB_OUT2;
    }
    return v;
}

static void portb_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    Pit *p = opaque;
    (void)off;
    (void)size;
    p->port_b = val & PORTB_WRITABLE;
    pit_set_gate(p, 2, val & PORTB_GATE2);
}

static const IoRegionOps pit_ops = {
    .read = pit_io_read,
    .write = pit_io_write,
    .min_size = 1,
    .max_size = 1,
};

static const IoRegionOps portb_ops = {
    .read = portb_read,
    .write = portb_write,
    .min_size = 1,
    .max_size = 1,
};

void pit_reset(Pit *p)
{
    uint64_t now = pit_now_tick(p);
    for (int i = 0; i < PIT_NUM_CHANNELS; i++) {
        PitChannel *c = &p->ch[i];
        *c = (PitChannel){.pit = p};
        c->mode = 3;
        c->rw = c->read_state = c->write_state = PIT_RW_WORD;
        c->reload = 0x10000;
        c->loaded = true;
        c->load_tick = now;
        c->gate = i != 2; /* gates 0 and 1 are tied high */
        c->frozen = !c->gate;
    }
    p->port_b = 0;
    p->ch[0].out_level = false;
    irq_lower(&p->irq0);
    pit_update_irq(p);
}

bool pit_init(Pit *p, Bus *io, Clock *clock, IrqLine irq0, GError **errp)
{
    *p = (Pit){.clock = clock, .io = io, .irq0 = irq0};
    timer_init(&p->timer, clock, pit_timer_cb, p);
    p->regions[0] = bus_map(io, "pit", PIT_BASE, 4, &pit_ops, p, errp);
    if (!p->regions[0]) {
        goto fail;
    }
    p->regions[1] = bus_map(io, "port61", PIT_PORT_B, 1, &portb_ops, p, errp);
    if (!p->regions[1]) {
        goto fail;
    }
    pit_reset(p);
    return true;

fail:
    pit_destroy(p);
    return false;
}

void pit_destroy(Pit *p)
{
    timer_del(&p->timer);
    for (int i = 0; i < 2; i++) {
        if (p->regions[i]) {
            bus_unmap(p->io, p->regions[i]);
            p->regions[i] = NULL;
        }
    }
}

bool pit_get_out(Pit *p, int channel)
{
    g_assert(channel >= 0 && channel < PIT_NUM_CHANNELS);
    PitChannel *c = &p->ch[channel];
    return pit_out_at(c, pit_elapsed(c, pit_now_tick(p)));
}

bool pit_speaker_enabled(const Pit *p)
{
    return (p->port_b & PORTB_SPKR) && p->ch[2].gate;
}
