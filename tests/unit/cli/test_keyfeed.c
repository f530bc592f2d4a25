/*
 * The window's type-ahead: key events typed faster than a lagging guest
 * reads its 16-byte keyboard buffer all reach the guest, whole and in
 * order, read as Linux's i8042 driver reads them (status port, then data
 * port, one byte per IRQ1).
 */
#include <criterion/criterion.h>
#include "keyfeed.h"

static Bus *io;
static I8042 kbc;
static KeyFeed feed;

static void setup(void)
{
    io = bus_new("io", 0xFFFF);
    SysCtrlOps ops = {0};
    cr_assert(i8042_init(&kbc, io, irq_line(NULL, NULL, 0), &ops, NULL));
    keyfeed_init(&feed, &kbc);
}

static void teardown(void)
{
    keyfeed_destroy(&feed);
    i8042_destroy(&kbc);
    bus_free(io);
}

TestSuite(keyfeed, .init = setup, .fini = teardown);

/* The guest's interrupt handler: everything the controller has now. */
static size_t guest_reads(uint8_t *out, size_t max)
{
    size_t n = 0;
    while (n < max && (bus_read(io, I8042_CMD_PORT, 1) & 0x01)) {
        out[n++] = (uint8_t)bus_read(io, I8042_DATA_PORT, 1);
    }
    return n;
}

/* "A" typed as Shift+a, then Enter: 4 + 2 events. */
static const uint8_t shift_make[] = {0x2A}, shift_break[] = {0xAA};
static const uint8_t a_make[] = {0x1E}, a_break[] = {0x9E};
static const uint8_t right_ctrl_make[] = {0xE0, 0x1D};

Test(keyfeed, keys_typed_ahead_of_a_slow_guest_all_arrive_in_order)
{
    uint8_t want[600], got[600];
    size_t nwant = 0, ngot = 0;

    /* 100 capital A's and right-Ctrl presses: far more than 16 bytes */
    for (int i = 0; i < 100; i++) {
        const uint8_t *ev[] = {shift_make, a_make, a_break, shift_break,
                               right_ctrl_make};
        const size_t len[] = {1, 1, 1, 1, 2};
        for (int e = 0; e < 5; e++) {
            keyfeed_put(&feed, ev[e], len[e]);
            memcpy(want + nwant, ev[e], len[e]);
            nwant += len[e];
        }
    }
    cr_assert_gt(keyfeed_pending(&feed), 0, "the keyboard buffer is full");
    /* the guest reads a little at a time; the UI tick pumps in between */
    for (int round = 0; round < 1000 && ngot < nwant; round++) {
        ngot += guest_reads(got + ngot, 5 < nwant - ngot ? 5 : nwant - ngot);
        keyfeed_pump(&feed);
    }
    ngot += guest_reads(got + ngot, sizeof(got) - ngot);
    cr_assert_eq(ngot, nwant, "every byte arrived (%zu of %zu)", ngot, nwant);
    cr_assert_arr_eq(got, want, nwant, "in order, no overrun code");
    cr_assert_eq(kbc.kbd_overruns, 0);
    cr_assert_eq(feed.dropped, 0);
    cr_assert_eq(keyfeed_pending(&feed), 0);
}

Test(keyfeed, a_two_byte_event_never_splits_across_the_buffer_edge)
{
    uint8_t got[32];
    /* 15 one-byte events (one in the output buffer, 14 queued) leave room
     * for one byte only */
    for (int i = 0; i < 15; i++) {
        keyfeed_put(&feed, a_make, 1);
    }
    keyfeed_put(&feed, right_ctrl_make, 2);
    cr_assert_eq(keyfeed_pending(&feed), 3, "E0 1D waits whole");
    cr_assert_eq(guest_reads(got, 15), 15);
    cr_assert_eq(got[14], 0x1E, "no lone E0 prefix in the buffer");
    keyfeed_pump(&feed);
    cr_assert_eq(guest_reads(got, sizeof got), 2);
    cr_assert_eq(got[0], 0xE0);
    cr_assert_eq(got[1], 0x1D);
}

Test(keyfeed, a_guest_that_never_reads_bounds_the_feed)
{
    for (int i = 0; i < 2 * KEYFEED_MAX_BYTES; i++) {
        keyfeed_put(&feed, a_make, 1);
    }
    cr_assert_leq(keyfeed_pending(&feed), KEYFEED_MAX_BYTES);
    cr_assert_gt(feed.dropped, 0, "the excess is counted, not kept");
}
