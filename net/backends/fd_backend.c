/*
 * tulipvm: frame-per-read file descriptor backends (see fd_backend.h).
 */
#include "fd_backend.h"
#include "emu/log.h"

#include <errno.h>
#include <string.h>

#define FD_READ_BUDGET 64
#define FD_WIRE_MAX    1518 /* 1514 plus an 802.1Q tag */
#define FD_WIRE_MIN    60

struct NetFdWatch {
    GSource source; /* first: the GSource is the watch */
    gpointer tag;
    bool paused;
    void (*ready)(void *opaque);
    void *opaque;
};

static gboolean net_fd_watch_dispatch(GSource *source, GSourceFunc cb,
                                      gpointer data)
{
    NetFdWatch *w = (NetFdWatch *)source;
    (void)cb;
    (void)data;
    w->ready(w->opaque);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs net_fd_watch_funcs = {
    .dispatch = net_fd_watch_dispatch,
};

NetFdWatch *net_fd_watch_new(GMainContext *ctx, int fd,
                             void (*ready)(void *opaque), void *opaque)
{
    NetFdWatch *w =
        (NetFdWatch *)g_source_new(&net_fd_watch_funcs, sizeof(NetFdWatch));
    w->ready = ready;
    w->opaque = opaque;
    w->paused = false;
    w->tag = g_source_add_unix_fd(&w->source, fd, G_IO_IN);
    g_source_attach(&w->source, ctx);
    return w;
}

void net_fd_watch_pause(NetFdWatch *w, bool pause)
{
    /* NULL: ready() may come from the switch before the watch exists. */
    if (w && w->paused != pause) {
        w->paused = pause;
        g_source_modify_unix_fd(&w->source, w->tag, pause ? 0 : G_IO_IN);
    }
}

void net_fd_watch_free(NetFdWatch *w)
{
    if (w) {
        g_source_destroy(&w->source);
        g_source_unref(&w->source);
    }
}

static void net_fd_backend_read(void *opaque)
{
    NetFdBackend *b = opaque;
    uint8_t buf[65536];

    for (int i = 0; i < FD_READ_BUDGET; i++) {
        ssize_t n;
        if (!net_port_can_send(&b->port) && b->port.peer) {
            /* Leave frames in the kernel queue until ready(). */
            net_fd_watch_pause(b->watch, true);
            return;
        }
        n = b->read(b->opaque, buf, sizeof(buf));
        if (n <= 0) {
            return;
        }
        if (n > FD_WIRE_MAX) {
            b->stats.rx_oversize++;
            continue;
        }
        if (n < 14) {
            continue;
        }
        if (n < FD_WIRE_MIN) {
            /* A tap hands over unpadded frames (ARP is 42 bytes). */
            memset(buf + n, 0, (size_t)(FD_WIRE_MIN - n));
            n = FD_WIRE_MIN;
        }
        b->stats.rx_frames++;
        net_port_send(&b->port, buf, (size_t)n);
    }
}

static ssize_t net_fd_backend_receive(NetPort *self, const uint8_t *frame,
                                      size_t len)
{
    NetFdBackend *b = self->opaque;

    if (b->write(b->opaque, frame, len) < 0) {
        b->stats.tx_errors++;
        TRACE(TRACE_NET, "%s: write failed: %s", self->name, g_strerror(errno));
    } else {
        b->stats.tx_frames++;
    }
    return (ssize_t)len;
}

static void net_fd_backend_ready(NetPort *self)
{
    NetFdBackend *b = self->opaque;
    net_fd_watch_pause(b->watch, false);
}

static const NetPortOps net_fd_backend_ops = {
    .receive = net_fd_backend_receive,
    .ready = net_fd_backend_ready,
};

void net_fd_backend_init(NetFdBackend *b, Clock *clock, GMainContext *ctx,
                         const char *name, int fd, NetFdReadFn rd,
                         NetFdWriteFn wr, void *opaque)
{
    net_port_init(&b->port, clock, name, &net_fd_backend_ops, b);
    b->fd = fd;
    b->read = rd;
    b->write = wr;
    b->opaque = opaque;
    b->watch = net_fd_watch_new(ctx, fd, net_fd_backend_read, b);
}

void net_fd_backend_cleanup(NetFdBackend *b)
{
    net_port_cleanup(&b->port);
    net_fd_watch_free(b->watch);
    b->watch = NULL;
}
