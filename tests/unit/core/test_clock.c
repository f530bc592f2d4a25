/*
 * The cycle clock and its event queue.
 */
#include <criterion/criterion.h>
#include "emu/clock.h"

typedef struct Ev {
    Timer t;
    int id;
    int *order;
    int *n;
    uint64_t fired_at;
} Ev;

static void ev_fire(void *opaque)
{
    Ev *e = opaque;
    e->order[(*e->n)++] = e->id;
    e->fired_at = clock_now(e->t.clock);
}

static void ev_init(Ev *e, Clock *c, int id, int *order, int *n)
{
    e->id = id;
    e->order = order;
    e->n = n;
    timer_init(&e->t, c, ev_fire, e);
}

Test(clock, converts_between_cycles_and_ns)
{
    Clock *c = clock_new(100000000); /* 100 MHz: 10 ns per cycle */
    cr_assert_eq(clock_cycles_to_ns(c, 1), 10);
    cr_assert_eq(clock_ns_to_cycles(c, 1000), 100);
    cr_assert_eq(clock_ns_to_cycles(c, 15), 2, "rounds up to a cycle");
    clock_free(c);
    c = clock_new(1193182ull * 251); /* awkward frequency */
    uint64_t cy = clock_ns_to_cycles(c, 1000000000);
    cr_assert_eq(cy, 1193182ull * 251);
    cr_assert_eq(clock_cycles_to_ns(c, cy), 1000000000);
    /* large values do not overflow: 100 years */
    cr_assert_gt(
        clock_cycles_to_ns(
            c, clock_ns_to_cycles(c, INT64_C(3153600000) * 1000000000)),
        0);
    clock_free(c);
}

Test(clock, events_fire_in_deadline_order)
{
    Clock *c = clock_new(1000000);
    int order[8], n = 0;
    Ev e[5];
    uint64_t at[5] = {500, 100, 300, 200, 400};
    for (int i = 0; i < 5; i++) {
        ev_init(&e[i], c, i, order, &n);
        timer_mod(&e[i].t, at[i]);
    }
    cr_assert_eq(clock_next_deadline(c), 100);
    clock_step(c, 1000);
    cr_assert_eq(n, 5);
    int want[5] = {1, 3, 2, 4, 0};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(order[i], want[i]);
        cr_assert_eq(e[i].fired_at, at[i], "fires at its own deadline");
    }
    cr_assert_eq(clock_now(c), 1000);
    clock_free(c);
}

Test(clock, equal_deadlines_fire_in_scheduling_order)
{
    Clock *c = clock_new(1000000);
    int order[8], n = 0;
    Ev e[6];
    for (int i = 0; i < 6; i++) {
        ev_init(&e[i], c, i, order, &n);
    }
    int sched[6] = {4, 1, 5, 0, 3, 2};
    for (int i = 0; i < 6; i++) {
        timer_mod(&e[sched[i]].t, 50);
    }
    clock_step(c, 50);
    cr_assert_eq(n, 6);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(order[i], sched[i]);
    }
    clock_free(c);
}

Test(clock, cancelled_events_never_fire)
{
    Clock *c = clock_new(1000000);
    int order[8], n = 0;
    Ev e[3];
    for (int i = 0; i < 3; i++) {
        ev_init(&e[i], c, i, order, &n);
        timer_mod(&e[i].t, 10 * (i + 1));
    }
    timer_del(&e[1].t);
    timer_del(&e[1].t); /* twice is harmless */
    cr_assert_not(timer_pending(&e[1].t));
    clock_step(c, 100);
    cr_assert_eq(n, 2);
    cr_assert_eq(order[0], 0);
    cr_assert_eq(order[1], 2);
    clock_free(c);
}

Test(clock, reschedule_moves_an_event)
{
    Clock *c = clock_new(1000000);
    int order[8], n = 0;
    Ev a, b;
    ev_init(&a, c, 0, order, &n);
    ev_init(&b, c, 1, order, &n);
    timer_mod(&a.t, 10);
    timer_mod(&b.t, 20);
    timer_mod(&a.t, 30); /* later than b now */
    clock_step(c, 25);
    cr_assert_eq(n, 1);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(clock_next_deadline(c), 30);
    clock_step(c, 10);
    cr_assert_eq(order[1], 0);
    cr_assert_eq(a.fired_at, 30);
    clock_free(c);
}

typedef struct Periodic {
    Timer t;
    int count;
    uint64_t period;
} Periodic;

static void periodic_fire(void *opaque)
{
    Periodic *p = opaque;
    cr_assert_not(timer_pending(&p->t), "callback runs disarmed");
    p->count++;
    timer_mod(&p->t, timer_deadline(&p->t) == CLOCK_NEVER
                         ? clock_now(p->t.clock) + p->period
                         : 0);
}

Test(clock, periodic_timer_rearms_from_its_callback)
{
    Clock *c = clock_new(1193182);
    Periodic p = {.period = 1000};
    timer_init(&p.t, c, periodic_fire, &p);
    timer_mod(&p.t, 1000);
    clock_step(c, 10500);
    cr_assert_eq(p.count, 10);
    cr_assert_eq(clock_next_deadline(c), 11000);
    clock_free(c);
}

Test(clock, cpu_loop_runs_until_next_deadline)
{
    Clock *c = clock_new(1000000);
    int order[4], n = 0;
    Ev e;
    ev_init(&e, c, 7, order, &n);
    timer_mod_in(&e.t, 1000);
    /* a CPU would execute min(budget, deadline - now) cycles */
    uint64_t budget = clock_next_deadline(c) - clock_now(c);
    cr_assert_eq(budget, 1000);
    clock_advance(c, 999);
    cr_assert_eq(clock_run_due(c), 0);
    clock_advance(c, 1);
    cr_assert_eq(clock_run_due(c), 1);
    cr_assert_eq(n, 1);
    cr_assert_eq(clock_next_deadline(c), CLOCK_NEVER);
    clock_free(c);
}

Test(clock, past_deadline_fires_on_next_run)
{
    Clock *c = clock_new(1000000);
    int order[4], n = 0;
    Ev e;
    clock_advance(c, 5000);
    ev_init(&e, c, 1, order, &n);
    timer_mod(&e.t, 10);
    cr_assert_eq(clock_run_due(c), 1);
    clock_free(c);
}

static int64_t fake_host_ns;
static int64_t fake_host(void *opaque)
{
    (void)opaque;
    return fake_host_ns;
}

Test(clock, idle_guest_does_not_run_ahead_of_host_time)
{
    Clock *c = clock_new(1000000); /* 1 cycle = 1 us */
    fake_host_ns = 5000000000;
    clock_set_host_time(c, fake_host, NULL);

    /* guest halts with an event 10 ms ahead: must wait 10 ms of host time */
    cr_assert_eq(clock_idle_wait_ns(c, 10000), 10000000);
    cr_assert_eq(clock_idle_limit(c), 0);
    fake_host_ns += 4000000;
    cr_assert_eq(clock_idle_wait_ns(c, 10000), 6000000);
    cr_assert_eq(clock_idle_limit(c), 4000);
    fake_host_ns += 6000000;
    cr_assert_eq(clock_idle_wait_ns(c, 10000), 0);

    /* a busy CPU lags host time; idle jumps then need no waiting */
    fake_host_ns += 1000000000;
    clock_advance(c, 10000);
    cr_assert_eq(clock_idle_wait_ns(c, 500000), 0);
    clock_free(c);
}

Test(clock, without_host_source_tests_step_freely)
{
    Clock *c = clock_new(1000000);
    cr_assert_eq(clock_idle_wait_ns(c, 123456789), 0);
    cr_assert_eq(clock_idle_limit(c), CLOCK_NEVER);
    clock_step_ns(c, 2000000);
    cr_assert_eq(clock_now(c), 2000);
    cr_assert_eq(clock_now_ns(c), 2000000);
    clock_free(c);
}
