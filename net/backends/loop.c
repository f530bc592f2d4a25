/*
 * tulipvm: recording backend and loopback cable for tests (net/loop.h).
 * They move frames between ports only through the net/port.h contract, so
 * backpressure, queue bounds and deferred delivery behave as with a real
 * backend.
 */
#include "net/loop.h"

#include <string.h>

struct NetRecorder {
    NetPort port;
    GPtrArray *frames; /* GByteArray * */
    unsigned max_frames;
    uint64_t total, overflow;
    bool refuse;
    unsigned ready;
    NetRxFilter peer_filter;
    unsigned filter_changes;
};

static ssize_t recorder_receive(NetPort *self, const uint8_t *frame, size_t len)
{
    NetRecorder *r = self->opaque;
    GByteArray *copy;

    if (r->refuse) {
        return 0; /* the layer holds it; set_refuse(false) flushes */
    }
    if (r->frames->len >= r->max_frames) {
        g_ptr_array_remove_index(r->frames, 0);
        r->overflow++;
    }
    copy = g_byte_array_sized_new(len);
    g_byte_array_append(copy, frame, len);
    g_ptr_array_add(r->frames, copy);
    r->total++;
    return (ssize_t)len;
}

static void recorder_ready(NetPort *self)
{
    ((NetRecorder *)self->opaque)->ready++;
}

static void recorder_filter(NetPort *self, const NetRxFilter *f)
{
    NetRecorder *r = self->opaque;
    r->peer_filter = *f;
    r->filter_changes++;
}

static const NetPortOps recorder_ops = {
    .receive = recorder_receive,
    .ready = recorder_ready,
    .peer_filter_changed = recorder_filter,
};

static void free_frame(gpointer p)
{
    g_byte_array_unref(p);
}

NetRecorder *net_recorder_new(Clock *clock, const char *name,
                              unsigned max_frames)
{
    NetRecorder *r = g_new0(NetRecorder, 1);
    net_port_init(&r->port, clock, name, &recorder_ops, r);
    r->frames = g_ptr_array_new_with_free_func(free_frame);
    r->max_frames = max_frames ? max_frames : 1;
    return r;
}

void net_recorder_free(NetRecorder *r)
{
    if (!r) {
        return;
    }
    net_port_cleanup(&r->port);
    g_ptr_array_unref(r->frames);
    g_free(r);
}

NetPort *net_recorder_port(NetRecorder *r)
{
    return &r->port;
}

ssize_t net_recorder_inject(NetRecorder *r, const uint8_t *frame, size_t len)
{
    return net_port_send(&r->port, frame, len);
}

unsigned net_recorder_count(const NetRecorder *r)
{
    return r->frames->len;
}

const GByteArray *net_recorder_frame(const NetRecorder *r, unsigned i)
{
    return i < r->frames->len ? g_ptr_array_index(r->frames, i) : NULL;
}

void net_recorder_clear(NetRecorder *r)
{
    g_ptr_array_set_size(r->frames, 0);
}

uint64_t net_recorder_total(const NetRecorder *r)
{
    return r->total;
}

uint64_t net_recorder_overflow(const NetRecorder *r)
{
    return r->overflow;
}

void net_recorder_set_refuse(NetRecorder *r, bool refuse)
{
    r->refuse = refuse;
    if (!refuse) {
        net_port_flush(&r->port);
    }
}

unsigned net_recorder_ready_count(const NetRecorder *r)
{
    return r->ready;
}

const NetRxFilter *net_recorder_peer_filter(const NetRecorder *r)
{
    return &r->peer_filter;
}

unsigned net_recorder_filter_changes(const NetRecorder *r)
{
    return r->filter_changes;
}

struct NetLoopPair {
    NetPort end[2];
    uint64_t carried[2];
};

/*
 * A frame entering one end leaves through the other.  Backpressure stays
 * with the far receiver: if it refuses, the layer queues the frame there
 * (bounded), so this end reports it consumed.
 */
static ssize_t pair_receive(NetPort *self, const uint8_t *frame, size_t len)
{
    NetLoopPair *p = self->opaque;
    int i = self == &p->end[0] ? 0 : 1;
    ssize_t r = net_port_send(&p->end[1 - i], frame, len);
    if (r < 0) {
        return r;
    }
    p->carried[i]++;
    return (ssize_t)len; /* delivered, or queued at the far receiver */
}

static void pair_link(NetPort *self, bool up)
{
    NetLoopPair *p = self->opaque;
    int i = self == &p->end[0] ? 0 : 1;
    /* One cable: unplugging one end unplugs both. */
    net_port_set_link(&p->end[1 - i], up);
}

static const NetPortOps pair_ops = {
    .receive = pair_receive,
    .link_changed = pair_link,
};

NetLoopPair *net_loop_pair_new(Clock *clock, const char *name)
{
    NetLoopPair *p = g_new0(NetLoopPair, 1);
    char n[32];
    for (int i = 0; i < 2; i++) {
        g_snprintf(n, sizeof(n), "%s.%d", name, i);
        net_port_init(&p->end[i], clock, n, &pair_ops, p);
    }
    return p;
}

void net_loop_pair_free(NetLoopPair *p)
{
    if (!p) {
        return;
    }
    net_port_cleanup(&p->end[0]);
    net_port_cleanup(&p->end[1]);
    g_free(p);
}

NetPort *net_loop_pair_end(NetLoopPair *p, int i)
{
    return &p->end[i ? 1 : 0];
}

uint64_t net_loop_pair_carried(const NetLoopPair *p, int i)
{
    return p->carried[i ? 1 : 0];
}
