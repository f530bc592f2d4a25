/*
 * tulipvm: frame passing between ports with bounded queues, deferred
 * delivery and flush-driven backpressure (see net/port.h).
 */
#include "net/port.h"
#include "emu/log.h"

#include <string.h>

struct NetQueuedFrame {
    size_t len;
    uint8_t data[];
};

static void net_port_deliver_queued(NetPort *p);

static void net_port_deliver_cb(void *opaque)
{
    net_port_deliver_queued(opaque);
}

void net_port_init(NetPort *p, Clock *clock, const char *name,
                   const NetPortOps *ops, void *opaque)
{
    memset(p, 0, sizeof(*p));
    p->ops = ops;
    p->opaque = opaque;
    g_strlcpy(p->name, name, sizeof(p->name));
    p->clock = clock;
    g_queue_init(&p->incoming);
    p->queue_limit = NET_DEFAULT_QUEUE_LIMIT;
    p->link_up = true;
    p->filter.broadcast = true;
    if (clock) {
        timer_init(&p->deliver_timer, clock, net_port_deliver_cb, p);
    }
}

static void net_port_drop_queue(NetPort *p)
{
    NetQueuedFrame *f;
    while ((f = g_queue_pop_head(&p->incoming))) {
        g_free(f);
    }
}

void net_port_cleanup(NetPort *p)
{
    net_port_disconnect(p);
    net_port_drop_queue(p);
    if (p->clock) {
        timer_del(&p->deliver_timer);
    }
}

void net_port_connect(NetPort *a, NetPort *b)
{
    net_port_disconnect(a);
    net_port_disconnect(b);
    a->peer = b;
    b->peer = a;
    if (a->ops && a->ops->peer_filter_changed) {
        a->ops->peer_filter_changed(a, &b->filter);
    }
    if (b->ops && b->ops->peer_filter_changed) {
        b->ops->peer_filter_changed(b, &a->filter);
    }
}

void net_port_disconnect(NetPort *p)
{
    if (p->peer) {
        p->peer->peer = NULL;
        p->peer = NULL;
    }
}

unsigned net_port_queued(const NetPort *p)
{
    return p->incoming.length;
}

void net_port_set_queue_limit(NetPort *p, unsigned limit)
{
    p->queue_limit = limit;
}

/* Queue a frame for later delivery to p; false (and counted) when full. */
static bool net_port_enqueue(NetPort *p, const uint8_t *frame, size_t len)
{
    if (p->incoming.length >= p->queue_limit) {
        p->stats.rx_dropped_full++;
        TRACE(TRACE_NET, "%s: queue full (%u), frame of %zu bytes dropped",
              p->name, p->queue_limit, len);
        if (p->ops && p->ops->missed) {
            p->ops->missed(p);
        }
        return false;
    }
    NetQueuedFrame *f = g_malloc(sizeof(*f) + len);
    f->len = len;
    memcpy(f->data, frame, len);
    g_queue_push_tail(&p->incoming, f);
    p->stats.rx_queued++;
    return true;
}

static void net_port_schedule_delivery(NetPort *p)
{
    if (p->clock && !timer_pending(&p->deliver_timer)) {
        timer_mod(&p->deliver_timer, clock_now(p->clock));
    }
}

/* Offer one frame to p->ops->receive and account for the verdict. */
static ssize_t net_port_offer(NetPort *p, const uint8_t *frame, size_t len)
{
    ssize_t r;
    if (!p->ops || !p->ops->receive) {
        p->stats.rx_dropped++;
        return -1;
    }
    if (p->ops->can_receive && !p->ops->can_receive(p)) {
        return 0;
    }
    r = p->ops->receive(p, frame, len);
    if (r > 0) {
        p->stats.rx_frames++;
        p->stats.rx_bytes += len;
    } else if (r < 0) {
        p->stats.rx_dropped++;
    }
    return r;
}

ssize_t net_port_send(NetPort *from, const uint8_t *frame, size_t len)
{
    NetPort *to = from->peer;
    ssize_t r;

    if (!to || !from->link_up || !to->link_up) {
        from->stats.tx_no_peer++;
        return -1;
    }
    if (len > NET_QUEUE_BUF) {
        to->stats.rx_oversize++;
        return -1;
    }
    from->stats.tx_frames++;
    from->stats.tx_bytes += len;

    /* Keep order, and never re-enter a port that is sending itself. */
    if (to->sending || to->waiting || to->incoming.length) {
        if (!net_port_enqueue(to, frame, len)) {
            return -1;
        }
        if (!to->waiting) {
            net_port_schedule_delivery(to);
        }
        return 0;
    }

    from->sending = true;
    r = net_port_offer(to, frame, len);
    from->sending = false;
    if (r == 0) {
        to->waiting = true;
        if (!net_port_enqueue(to, frame, len)) {
            return -1;
        }
    }
    if (from->incoming.length && !from->waiting) {
        net_port_schedule_delivery(from);
    }
    return r;
}

static void net_port_deliver_queued(NetPort *p)
{
    NetQueuedFrame *f;
    unsigned budget = p->queue_limit + 1; /* bounded work per event */

    while (budget-- && (f = g_queue_peek_head(&p->incoming))) {
        ssize_t r;
        if (p->sending) {
            net_port_schedule_delivery(p);
            return;
        }
        r = net_port_offer(p, f->data, f->len);
        if (r == 0) {
            p->waiting = true;
            return;
        }
        g_queue_pop_head(&p->incoming);
        g_free(f);
    }
    if (p->incoming.length) {
        net_port_schedule_delivery(p);
        return;
    }
    if (p->peer && p->peer->ops && p->peer->ops->ready) {
        p->peer->ops->ready(p->peer);
    }
}

void net_port_flush(NetPort *self)
{
    self->waiting = false;
    net_port_deliver_queued(self);
}

bool net_port_can_send(NetPort *from)
{
    NetPort *to = from->peer;
    if (!to || !from->link_up) {
        return false;
    }
    if (to->waiting || to->incoming.length >= to->queue_limit) {
        return false;
    }
    return !to->ops || !to->ops->can_receive || to->ops->can_receive(to);
}

void net_port_set_link(NetPort *p, bool up)
{
    if (p->link_up == up) {
        return;
    }
    p->link_up = up;
    TRACE(TRACE_NET, "%s: link %s", p->name, up ? "up" : "down");
    if (p->ops && p->ops->link_changed) {
        p->ops->link_changed(p, up);
    }
}

bool net_port_link_up(const NetPort *p)
{
    return p->link_up;
}

void net_port_set_mac(NetPort *p, const uint8_t mac[6])
{
    memcpy(p->mac, mac, 6);
}

void net_port_set_rx_filter(NetPort *p, const NetRxFilter *f)
{
    p->filter = *f;
    if (p->filter.n_addrs > NET_FILTER_MAX_ADDRS) {
        p->filter.n_addrs = NET_FILTER_MAX_ADDRS;
    }
    if (p->peer && p->peer->ops && p->peer->ops->peer_filter_changed) {
        p->peer->ops->peer_filter_changed(p->peer, &p->filter);
    }
}

bool net_rx_filter_accepts(const NetRxFilter *f, const uint8_t *dst)
{
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

    if (f->promisc) {
        return true;
    }
    if (!memcmp(dst, bcast, 6)) {
        return f->broadcast;
    }
    if ((dst[0] & 1) && f->all_multicast) {
        return true;
    }
    for (unsigned i = 0; i < f->n_addrs && i < NET_FILTER_MAX_ADDRS; i++) {
        if (!memcmp(dst, f->addrs[i], 6)) {
            return true;
        }
    }
    return false;
}
