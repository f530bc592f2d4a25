/*
 * tulipvm: cycle clock and event queue (see emu/clock.h).
 *
 * Armed timers sit in a binary min-heap ordered by (deadline, seq); seq is
 * a counter taken each time a timer is armed, so timers due at the same
 * cycle fire in the order they were scheduled.  The heap stores pointers to
 * timers embedded in device state and each timer knows its index, so
 * cancel and reschedule are O(log n).
 */
#include "emu/clock.h"
#include "emu/log.h"

#include <glib.h>

struct Clock {
    uint64_t freq;
    uint64_t now;
    uint64_t next_seq;
    Timer **heap;
    int heap_len, heap_cap;
    HostTimeFn host_time;
    void *host_opaque;
    int64_t host_anchor_ns; /* host time at the last sync */
    uint64_t virt_anchor;   /* virtual cycle at the last sync */
};

Clock *clock_new(uint64_t freq_hz)
{
    g_assert(freq_hz > 0);
    Clock *c = g_new0(Clock, 1);
    c->freq = freq_hz;
    return c;
}

void clock_free(Clock *c)
{
    if (!c) {
        return;
    }
    for (int i = 0; i < c->heap_len; i++) {
        c->heap[i]->heap_index = -1;
    }
    g_free(c->heap);
    g_free(c);
}

uint64_t clock_freq(const Clock *c)
{
    return c->freq;
}

uint64_t clock_now(const Clock *c)
{
    return c->now;
}

int64_t clock_cycles_to_ns(const Clock *c, uint64_t cycles)
{
    unsigned __int128 ns = (unsigned __int128)cycles * 1000000000u / c->freq;
    return ns > INT64_MAX ? INT64_MAX : (int64_t)ns;
}

uint64_t clock_ns_to_cycles(const Clock *c, int64_t ns)
{
    if (ns <= 0) {
        return 0;
    }
    /* Round up so that the cycle reached is not before the instant. */
    unsigned __int128 cy =
        ((unsigned __int128)ns * c->freq + 999999999u) / 1000000000u;
    return cy >= CLOCK_NEVER ? CLOCK_NEVER - 1 : (uint64_t)cy;
}

int64_t clock_now_ns(const Clock *c)
{
    return clock_cycles_to_ns(c, c->now);
}

static bool timer_before(const Timer *a, const Timer *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_place(Clock *c, int i, Timer *t)
{
    c->heap[i] = t;
    t->heap_index = i;
}

static void heap_sift_up(Clock *c, int i)
{
    Timer *t = c->heap[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!timer_before(t, c->heap[parent])) {
            break;
        }
        heap_place(c, i, c->heap[parent]);
        i = parent;
    }
    heap_place(c, i, t);
}

static void heap_sift_down(Clock *c, int i)
{
    Timer *t = c->heap[i];
    for (;;) {
        int l = 2 * i + 1, r = l + 1, best = i;
        Timer *bt = t;
        if (l < c->heap_len && timer_before(c->heap[l], bt)) {
            best = l;
            bt = c->heap[l];
        }
        if (r < c->heap_len && timer_before(c->heap[r], bt)) {
            best = r;
            bt = c->heap[r];
        }
        if (best == i) {
            break;
        }
        heap_place(c, i, bt);
        i = best;
    }
    heap_place(c, i, t);
}

static void heap_remove(Clock *c, Timer *t)
{
    int i = t->heap_index;
    Timer *last = c->heap[--c->heap_len];
    t->heap_index = -1;
    if (last != t) {
        heap_place(c, i, last);
        heap_sift_up(c, i);
        heap_sift_down(c, last->heap_index);
    }
}

void timer_init(Timer *t, Clock *c, TimerFn cb, void *opaque)
{
    t->clock = c;
    t->cb = cb;
    t->opaque = opaque;
    t->deadline = CLOCK_NEVER;
    t->seq = 0;
    t->heap_index = -1;
}

void timer_mod(Timer *t, uint64_t deadline_cycles)
{
    Clock *c = t->clock;
    if (t->heap_index >= 0) {
        heap_remove(c, t);
    }
    if (c->heap_len == c->heap_cap) {
        c->heap_cap = c->heap_cap ? c->heap_cap * 2 : 16;
        c->heap = g_renew(Timer *, c->heap, c->heap_cap);
    }
    t->deadline = deadline_cycles;
    t->seq = c->next_seq++;
    heap_place(c, c->heap_len++, t);
    heap_sift_up(c, t->heap_index);
}

void timer_mod_ns(Timer *t, int64_t deadline_ns)
{
    timer_mod(t, clock_ns_to_cycles(t->clock, deadline_ns));
}

void timer_mod_in(Timer *t, uint64_t cycles)
{
    uint64_t now = t->clock->now;
    timer_mod(t,
              cycles > CLOCK_NEVER - 1 - now ? CLOCK_NEVER - 1 : now + cycles);
}

void timer_mod_in_ns(Timer *t, int64_t ns)
{
    timer_mod_in(t, clock_ns_to_cycles(t->clock, ns));
}

void timer_del(Timer *t)
{
    if (t->heap_index >= 0) {
        heap_remove(t->clock, t);
    }
    t->deadline = CLOCK_NEVER;
}

bool timer_pending(const Timer *t)
{
    return t->heap_index >= 0;
}

uint64_t timer_deadline(const Timer *t)
{
    return t->heap_index >= 0 ? t->deadline : CLOCK_NEVER;
}

uint64_t clock_next_deadline(const Clock *c)
{
    return c->heap_len ? c->heap[0]->deadline : CLOCK_NEVER;
}

void clock_advance(Clock *c, uint64_t cycles)
{
    c->now += cycles;
}

unsigned clock_run_due(Clock *c)
{
    unsigned fired = 0;
    while (c->heap_len && c->heap[0]->deadline <= c->now) {
        Timer *t = c->heap[0];
        heap_remove(c, t);
        t->deadline = CLOCK_NEVER;
        fired++;
        t->cb(t->opaque);
    }
    return fired;
}

void clock_run_until(Clock *c, uint64_t target)
{
    while (c->heap_len && c->heap[0]->deadline <= target) {
        Timer *t = c->heap[0];
        if (t->deadline > c->now) {
            c->now = t->deadline;
        }
        heap_remove(c, t);
        t->deadline = CLOCK_NEVER;
        t->cb(t->opaque);
    }
    if (target > c->now) {
        c->now = target;
    }
}

void clock_step(Clock *c, uint64_t cycles)
{
    clock_run_until(c, cycles > CLOCK_NEVER - 1 - c->now ? CLOCK_NEVER - 1
                                                         : c->now + cycles);
}

void clock_step_ns(Clock *c, int64_t ns)
{
    clock_step(c, clock_ns_to_cycles(c, ns));
}

int64_t clock_host_monotonic_ns(void *opaque)
{
    (void)opaque;
    return g_get_monotonic_time() * 1000;
}

void clock_set_host_time(Clock *c, HostTimeFn fn, void *opaque)
{
    c->host_time = fn;
    c->host_opaque = opaque;
    clock_sync_host(c);
}

void clock_sync_host(Clock *c)
{
    if (c->host_time) {
        c->host_anchor_ns = c->host_time(c->host_opaque);
    }
    c->virt_anchor = c->now;
}

uint64_t clock_idle_limit(const Clock *c)
{
    if (!c->host_time) {
        return CLOCK_NEVER;
    }
    int64_t elapsed = c->host_time(c->host_opaque) - c->host_anchor_ns;
    uint64_t limit = c->virt_anchor + clock_ns_to_cycles(c, elapsed);
    return limit > c->now ? limit : c->now;
}

int64_t clock_idle_wait_ns(const Clock *c, uint64_t target)
{
    if (!c->host_time || target == CLOCK_NEVER) {
        return c->host_time ? INT64_MAX : 0;
    }
    int64_t elapsed = c->host_time(c->host_opaque) - c->host_anchor_ns;
    int64_t need = clock_cycles_to_ns(c, target - c->virt_anchor);
    if (target <= c->virt_anchor || need <= elapsed) {
        return 0;
    }
    return need - elapsed;
}
