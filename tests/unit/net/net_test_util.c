/*
 * Test helpers for the network layer (see net_test_util.h).
 */
#include "net_test_util.h"

#include <string.h>

const uint8_t TEST_BCAST[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

static ssize_t test_end_receive(NetPort *self, const uint8_t *frame, size_t len)
{
    TestEnd *e = self->opaque;
    if (e->refuse) {
        return 0;
    }
    e->n++;
    if (e->frames->len < TEST_END_MAX_FRAMES) {
        g_ptr_array_add(e->frames, g_bytes_new(frame, len));
    }
    return (ssize_t)len;
}

static void test_end_link_changed(NetPort *self, bool up)
{
    TestEnd *e = self->opaque;
    e->link_changes++;
    e->link = up;
}

static const NetPortOps test_end_ops = {
    .receive = test_end_receive,
    .link_changed = test_end_link_changed,
};

void test_end_init(TestEnd *e, Clock *clk, const char *name,
                   const uint8_t mac[6])
{
    memset(e, 0, sizeof(*e));
    net_port_init(&e->port, clk, name, &test_end_ops, e);
    e->frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    e->link = true;
    if (mac) {
        net_port_set_mac(&e->port, mac);
    }
}

void test_end_cleanup(TestEnd *e)
{
    net_port_cleanup(&e->port);
    g_ptr_array_free(e->frames, TRUE);
}

void test_end_filter(TestEnd *e, bool promisc, bool allmulti,
                     const uint8_t (*groups)[6], unsigned n_groups)
{
    NetRxFilter f = {.broadcast = true};
    f.promisc = promisc;
    f.all_multicast = allmulti;
    memcpy(f.addrs[0], e->port.mac, 6);
    f.n_addrs = 1;
    for (unsigned i = 0; i < n_groups && f.n_addrs < NET_FILTER_MAX_ADDRS;
         i++) {
        memcpy(f.addrs[f.n_addrs++], groups[i], 6);
    }
    net_port_set_rx_filter(&e->port, &f);
}

const uint8_t *test_end_frame(const TestEnd *e, unsigned i, size_t *len)
{
    if (i >= e->frames->len) {
        return NULL;
    }
    gsize l;
    const uint8_t *d = g_bytes_get_data(g_ptr_array_index(e->frames, i), &l);
    if (len) {
        *len = l;
    }
    return d;
}

void test_end_clear(TestEnd *e)
{
    e->n = 0;
    g_ptr_array_set_size(e->frames, 0);
}

void test_frame(uint8_t *buf, size_t len, const uint8_t dst[6],
                const uint8_t src[6], uint8_t tag)
{
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    buf[12] = 0x88;
    buf[13] = 0xB5;
    for (size_t i = 14; i < len; i++) {
        buf[i] = (uint8_t)(tag + i);
    }
}
