/*
 * Test helpers for the network layer: endpoints that stand in for NICs and
 * backends, and an Ethernet frame builder.
 */
#ifndef NET_TEST_UTIL_H
#define NET_TEST_UTIL_H

#include "net/port.h"

#define TEST_END_MAX_FRAMES 1024

typedef struct TestEnd {
    NetPort port;
    bool refuse;       /* receive returns 0 (and the test flushes later) */
    unsigned n;        /* frames received */
    GPtrArray *frames; /* GBytes * of each frame received */
    unsigned link_changes;
    bool link;
} TestEnd;

void test_end_init(TestEnd *e, Clock *clk, const char *name,
                   const uint8_t mac[6]);
void test_end_cleanup(TestEnd *e);
/* Declare a filter: own MAC plus broadcast, optional extras. */
void test_end_filter(TestEnd *e, bool promisc, bool allmulti,
                     const uint8_t (*groups)[6], unsigned n_groups);
/* Frame i received (NULL when out of range). */
const uint8_t *test_end_frame(const TestEnd *e, unsigned i, size_t *len);
void test_end_clear(TestEnd *e);

/* Build an Ethernet frame: dst, src, type 0x88B5 (local experimental),
 * payload byte pattern tag; len >= 14. */
void test_frame(uint8_t *buf, size_t len, const uint8_t dst[6],
                const uint8_t src[6], uint8_t tag);

extern const uint8_t TEST_BCAST[6];

/*
 * Waits on real peers are bounded in host time, not iterations, so a test
 * on a loaded machine waits longer instead of failing.
 */
#define TEST_WAIT_US (10 * G_USEC_PER_SEC)
static inline gint64 test_deadline(void)
{
    return g_get_monotonic_time() + TEST_WAIT_US;
}
static inline bool test_before(gint64 deadline)
{
    return g_get_monotonic_time() < deadline;
}

#endif
