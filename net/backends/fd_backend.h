/*
 * tulipvm: shared plumbing for backends that move one frame per read or
 * write on a file descriptor (tap, vde): a GSource on the emulation
 * thread's context, a bounded read batch per dispatch, and backpressure by
 * not reading while the switch cannot take frames (style.md section 3,
 * rule 5).  Internal to net/backends.
 */
#ifndef NET_FD_BACKEND_H
#define NET_FD_BACKEND_H

#include "net/port.h"

typedef ssize_t (*NetFdReadFn)(void *opaque, uint8_t *buf, size_t len);
typedef ssize_t (*NetFdWriteFn)(void *opaque, const uint8_t *buf, size_t len);

typedef struct NetFdBackendStats {
    uint64_t rx_frames, tx_frames;
    uint64_t rx_oversize; /* longer than a 21140 takes: dropped */
    uint64_t tx_errors;   /* write failed (queue full, peer gone) */
} NetFdBackendStats;

/*
 * A watch on a host fd in the emulation thread's context: ready(opaque)
 * runs whenever the fd is readable, unless paused (backpressure: frames
 * then wait in the kernel queue).  Every fd-driven backend uses one.
 */
typedef struct NetFdWatch NetFdWatch;
NetFdWatch *net_fd_watch_new(GMainContext *ctx, int fd,
                             void (*ready)(void *opaque), void *opaque);
void net_fd_watch_pause(NetFdWatch *w, bool pause); /* NULL: no-op */
void net_fd_watch_free(NetFdWatch *w);              /* NULL is fine */

typedef struct NetFdBackend {
    NetPort port;
    int fd;
    NetFdReadFn read;
    NetFdWriteFn write;
    void *opaque;
    NetFdWatch *watch;
    NetFdBackendStats stats;
} NetFdBackend;

void net_fd_backend_init(NetFdBackend *b, Clock *clock, GMainContext *ctx,
                         const char *name, int fd, NetFdReadFn rd,
                         NetFdWriteFn wr, void *opaque);
/* Stops polling and disconnects; the fd stays open (its owner closes it). */
void net_fd_backend_cleanup(NetFdBackend *b);

#endif /* NET_FD_BACKEND_H */
