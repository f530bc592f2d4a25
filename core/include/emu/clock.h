/*
 * tulipvm: the machine clock.
 *
 * Virtual time is a count of CPU cycles at a configured frequency; the TSC
 * reads it, and the PIT, RTC and every device timer derive from it, so the
 * guest sees one consistent time base.  The CPU advances the clock by the
 * cycles it executed and runs until the next event deadline
 * (clock_next_deadline); due events then fire in deadline order, events
 * with equal deadlines in the order they were scheduled.
 *
 * Devices never read host time.  The only link to the host is
 * clock_idle_wait_ns(): when the guest halts, the main loop may jump
 * virtual time to the next deadline but no further than host time has
 * progressed since the clock started (virtual time may lag host time while
 * the CPU is busy, and then catches up through idle jumps).  Tests install
 * their own host-time source or none and step the clock by hand.
 *
 * Timers are embedded in device state (no allocation per event).  A
 * callback runs with its timer already disarmed; periodic timers re-arm.
 */
#ifndef EMU_CLOCK_H
#define EMU_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_NEVER UINT64_MAX

typedef struct Clock Clock;

typedef void (*TimerFn)(void *opaque);

typedef struct Timer {
    Clock *clock;
    TimerFn cb;
    void *opaque;
    uint64_t deadline; /* cycle at which cb runs */
    uint64_t seq;      /* scheduling order, breaks deadline ties */
    int heap_index;    /* -1 when not armed */
} Timer;

/* Returns host monotonic time in nanoseconds. */
typedef int64_t (*HostTimeFn)(void *opaque);

Clock *clock_new(uint64_t freq_hz);
void clock_free(Clock *c);

uint64_t clock_freq(const Clock *c);
uint64_t clock_now(const Clock *c); /* cycles */
int64_t clock_now_ns(const Clock *c);

/* Conversions, exact to the cycle/nanosecond (128-bit intermediates). */
int64_t clock_cycles_to_ns(const Clock *c, uint64_t cycles);
uint64_t clock_ns_to_cycles(const Clock *c, int64_t ns);

void timer_init(Timer *t, Clock *c, TimerFn cb, void *opaque);
/* Arm (or re-arm) at an absolute cycle; a past deadline fires next run. */
void timer_mod(Timer *t, uint64_t deadline_cycles);
void timer_mod_ns(Timer *t, int64_t deadline_ns);
/* Arm relative to now. */
void timer_mod_in(Timer *t, uint64_t cycles);
void timer_mod_in_ns(Timer *t, int64_t ns);
void timer_del(Timer *t);
bool timer_pending(const Timer *t);
uint64_t timer_deadline(const Timer *t); /* CLOCK_NEVER when disarmed */

/* Earliest armed deadline, CLOCK_NEVER if none. */
uint64_t clock_next_deadline(const Clock *c);

/*
 * CPU side: account executed cycles.  Does not fire events; the run loop
 * calls clock_run_due() once the deadline is reached.
 */
void clock_advance(Clock *c, uint64_t cycles);

/* Fire every event whose deadline is <= now, in order; returns how many. */
unsigned clock_run_due(Clock *c);

/*
 * Move time forward to target (no-op if target <= now), firing each due
 * event at its own deadline (clock_now() inside a callback equals that
 * callback's deadline).  This is how tests wait.
 */
void clock_run_until(Clock *c, uint64_t target);
void clock_step(Clock *c, uint64_t cycles);
void clock_step_ns(Clock *c, int64_t ns);

/*
 * Host-time coupling.  With no source installed (the default, and what
 * tests use) virtual time is never held back.
 */
void clock_set_host_time(Clock *c, HostTimeFn fn, void *opaque);
/* Host monotonic clock (g_get_monotonic_time based) for the frontends. */
int64_t clock_host_monotonic_ns(void *opaque);
/* Restart the host/virtual pairing (after a pause). */
void clock_sync_host(Clock *c);
/*
 * Nanoseconds of host time to wait before virtual time may reach target;
 * 0 when it may go there now.
 */
int64_t clock_idle_wait_ns(const Clock *c, uint64_t target);
/* The furthest virtual cycle reachable now without running ahead. */
uint64_t clock_idle_limit(const Clock *c);

#endif /* EMU_CLOCK_H */
