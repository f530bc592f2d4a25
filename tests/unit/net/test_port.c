/*
 * The frame-passing contract: verdicts, bounded queues, flush-driven
 * backpressure and no synchronous re-entry.
 */
#include <criterion/criterion.h>
#include "net/port.h"

typedef struct End {
    NetPort port;
    bool accept; /* receive returns len, else 0 */
    int received;
    uint8_t last[64];
    int missed, ready;
    NetPort *echo_to; /* answer every frame at once from inside receive */
    bool in_receive;
    bool reentered;
} End;

static ssize_t end_receive(NetPort *self, const uint8_t *frame, size_t len)
{
    End *e = self->opaque;
    if (e->in_receive) {
        e->reentered = true;
    }
    if (!e->accept) {
        return 0;
    }
    e->in_receive = true;
    e->received++;
    memcpy(e->last, frame, len < 64 ? len : 64);
    if (e->echo_to) {
        uint8_t reply[60] = {0x42};
        net_port_send(e->echo_to, reply, sizeof(reply));
    }
    e->in_receive = false;
    return (ssize_t)len;
}

static void end_missed(NetPort *self)
{
    ((End *)self->opaque)->missed++;
}

static void end_ready(NetPort *self)
{
    ((End *)self->opaque)->ready++;
}

static const NetPortOps end_ops = {
    .receive = end_receive,
    .missed = end_missed,
    .ready = end_ready,
};

static Clock *clk;
static End a, b;

static void setup(void)
{
    clk = clock_new(1000000);
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    net_port_init(&a.port, clk, "a", &end_ops, &a);
    net_port_init(&b.port, clk, "b", &end_ops, &b);
    a.accept = b.accept = true;
    net_port_connect(&a.port, &b.port);
}

static void teardown(void)
{
    net_port_cleanup(&a.port);
    net_port_cleanup(&b.port);
    clock_free(clk);
}

TestSuite(port, .init = setup, .fini = teardown);

static uint8_t frame[60] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
                            0x03, 0xFF, 0x12, 0x34, 0x56, 0x08, 0x06};

Test(port, frame_reaches_peer)
{
    cr_assert_eq(net_port_send(&a.port, frame, sizeof(frame)), 60);
    cr_assert_eq(b.received, 1);
    cr_assert_arr_eq(b.last, frame, 14);
    cr_assert_eq(a.port.stats.tx_frames, 1);
    cr_assert_eq(b.port.stats.rx_bytes, 60);
}

Test(port, refused_frame_is_held_until_flush)
{
    b.accept = false;
    cr_assert_eq(net_port_send(&a.port, frame, sizeof(frame)), 0);
    cr_assert_eq(net_port_queued(&b.port), 1);
    cr_assert_not(net_port_can_send(&a.port));
    /* later frames queue behind, in order */
    frame[20] = 2;
    net_port_send(&a.port, frame, sizeof(frame));
    clock_step(clk, 100);
    cr_assert_eq(b.received, 0, "nothing delivered without a flush");
    b.accept = true;
    net_port_flush(&b.port);
    cr_assert_eq(b.received, 2);
    cr_assert_eq(b.last[20], 2, "delivered in order");
    cr_assert_eq(a.ready, 1, "sender told it may send again");
    cr_assert(net_port_can_send(&a.port));
    frame[20] = 0;
}

Test(port, full_queue_drops_and_counts)
{
    b.accept = false;
    net_port_set_queue_limit(&b.port, 4);
    for (int i = 0; i < 10; i++) {
        net_port_send(&a.port, frame, sizeof(frame));
    }
    cr_assert_eq(net_port_queued(&b.port), 4);
    cr_assert_eq(b.port.stats.rx_dropped_full, 6);
    cr_assert_eq(b.missed, 6, "receiver hears of every missed frame");
}

Test(port, no_synchronous_reentry_into_a_sending_port)
{
    b.echo_to = &b.port; /* b answers a at once, like slirp's ARP reply */
    net_port_send(&a.port, frame, sizeof(frame));
    cr_assert_eq(b.received, 1);
    cr_assert_eq(a.received, 0, "reply not delivered on a's own stack");
    cr_assert_eq(net_port_queued(&a.port), 1);
    clock_run_due(clk);
    cr_assert_eq(a.received, 1, "delivered from the event loop");
    cr_assert_not(a.reentered);
}

Test(port, unplugged_link_carries_nothing)
{
    net_port_set_link(&a.port, false);
    cr_assert_lt(net_port_send(&a.port, frame, sizeof(frame)), 0);
    cr_assert_eq(b.received, 0);
    cr_assert_eq(a.port.stats.tx_no_peer, 1);
    net_port_set_link(&a.port, true);
    net_port_disconnect(&a.port);
    cr_assert_lt(net_port_send(&a.port, frame, sizeof(frame)), 0);
}

Test(port, declared_filter_accepts_what_the_nic_asked_for)
{
    NetRxFilter f = {.broadcast = true, .n_addrs = 1};
    uint8_t me[6] = {0x00, 0x03, 0xFF, 0x12, 0x34, 0x56};
    uint8_t other[6] = {0x00, 0x03, 0xFF, 0x12, 0x34, 0x57};
    uint8_t mc[6] = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x01};
    uint8_t bc[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    memcpy(f.addrs[0], me, 6);
    cr_assert(net_rx_filter_accepts(&f, me));
    cr_assert(net_rx_filter_accepts(&f, bc));
    cr_assert_not(net_rx_filter_accepts(&f, other));
    cr_assert_not(net_rx_filter_accepts(&f, mc));
    f.all_multicast = true;
    cr_assert(net_rx_filter_accepts(&f, mc));
    cr_assert_not(net_rx_filter_accepts(&f, other));
    f.promisc = true;
    cr_assert(net_rx_filter_accepts(&f, other));
}
