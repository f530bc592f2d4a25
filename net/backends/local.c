/*
 * tulipvm: Local only segments over Unix datagram sockets in a shared
 * directory (see net/local.h for the design).
 */
#include "net/local.h"
#include "fd_backend.h"
#include "net/dhcpd.h"
#include "net/inet.h"
#include "emu/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LOCAL_READ_BUDGET  64
#define LOCAL_MAX_PEERS    256
#define LOCAL_LIST_REFRESH G_USEC_PER_SEC
#define LOCAL_SOCK_PREFIX  "ep-"
#define LOCAL_LEARN_MAX    1024
#define LOCAL_TXQ_MAX      512
#define LOCAL_RETRY_MS     1

struct NetLocal {
    NetPort port;
    char *dir;
    char *path;
    int fd;
    NetFdWatch *watch;
    GPtrArray *peers; /* char * socket paths, excluding ours */
    struct timespec dir_mtime;
    gint64 listed_at;
    GHashTable *learned; /* MAC as uint64 -> char * path */
    GMainContext *ctx;
    GQueue txq; /* LocalPending *, waiting for a full member */
    GSource *retry_src;
    bool dhcp;
    int dhcp_lock_fd; /* >= 0 once we serve DHCP */
    NetDhcpd dhcpd;
    NetLocalStats stats;
};

static uint64_t mac_key(const uint8_t *m)
{
    return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
           (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

/*
 * The member list is the directory listing.  Re-reading it on every flood
 * would cost a readdir per broadcast, so it is cached and re-read when the
 * directory's mtime moves (a member joined or left) or, because mtime has
 * coarse granularity, at least once a second.
 */
static void net_local_list_peers(NetLocal *l)
{
    struct stat st;
    DIR *d;
    struct dirent *e;

    if (stat(l->dir, &st) < 0) {
        return;
    }
    if (st.st_mtim.tv_sec == l->dir_mtime.tv_sec &&
        st.st_mtim.tv_nsec == l->dir_mtime.tv_nsec &&
        g_get_monotonic_time() - l->listed_at < LOCAL_LIST_REFRESH) {
        return;
    }
    l->dir_mtime = st.st_mtim;
    l->listed_at = g_get_monotonic_time();
    g_ptr_array_set_size(l->peers, 0);
    d = opendir(l->dir);
    if (!d) {
        return;
    }
    while ((e = readdir(d)) && l->peers->len < LOCAL_MAX_PEERS) {
        if (!g_str_has_prefix(e->d_name, LOCAL_SOCK_PREFIX)) {
            continue;
        }
        char *p = g_build_filename(l->dir, e->d_name, NULL);
        if (strcmp(p, l->path)) {
            g_ptr_array_add(l->peers, p);
        } else {
            g_free(p);
        }
    }
    closedir(d);
}

/* 1 sent, 0 the member's queue is full (try later), -1 member gone. */
static int net_local_try_send(NetLocal *l, const char *path,
                              const uint8_t *frame, size_t len)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    if (sendto(l->fd, frame, len, MSG_DONTWAIT, (struct sockaddr *)&sa,
               sizeof(sa)) >= 0) {
        l->stats.tx_frames++;
        return 1;
    }
    if (errno == ECONNREFUSED) {
        /* Nobody is bound: a member that crashed without cleaning up. */
        if (unlink(path) == 0) {
            l->stats.stale_removed++;
        }
        return -1;
    }
    if (errno == ENOENT) {
        return -1;
    }
    return 0; /* EAGAIN: the kernel keeps only a few datagrams per member */
}

static void net_local_forget(NetLocal *l, const char *path);

typedef struct LocalPending {
    char *path;
    size_t len;
    uint8_t data[];
} LocalPending;

static void local_pending_free(LocalPending *p)
{
    g_free(p->path);
    g_free(p);
}

/* Send what waits, in order; stop at the first member still full. */
static gboolean net_local_retry(gpointer opaque)
{
    NetLocal *l = opaque;
    LocalPending *p;

    while ((p = g_queue_peek_head(&l->txq))) {
        int r = net_local_try_send(l, p->path, p->data, p->len);
        if (r == 0) {
            return G_SOURCE_CONTINUE;
        }
        if (r < 0) {
            net_local_forget(l, p->path);
        }
        local_pending_free(g_queue_pop_head(&l->txq));
    }
    l->retry_src = NULL;
    return G_SOURCE_REMOVE;
}

/*
 * Queue a frame behind the ones already waiting (order is kept), bounded
 * like a switch buffer; the overflow is dropped and counted, as on a
 * congested wire.
 */
static void net_local_enqueue(NetLocal *l, const char *path,
                              const uint8_t *frame, size_t len)
{
    LocalPending *p;

    if (l->txq.length >= LOCAL_TXQ_MAX) {
        l->stats.tx_dropped++;
        return;
    }
    p = g_malloc(sizeof(*p) + len);
    p->path = g_strdup(path);
    p->len = len;
    memcpy(p->data, frame, len);
    g_queue_push_tail(&l->txq, p);
    l->stats.tx_queued++;
    if (!l->retry_src) {
        l->retry_src = g_timeout_source_new(LOCAL_RETRY_MS);
        g_source_set_callback(l->retry_src, net_local_retry, l, NULL);
        g_source_attach(l->retry_src, l->ctx);
        g_source_unref(l->retry_src); /* the context holds it */
    }
}

/* Returns false when the peer is gone for good. */
static bool net_local_sendto(NetLocal *l, const char *path,
                             const uint8_t *frame, size_t len)
{
    int r;

    if (l->txq.length) {
        net_local_enqueue(l, path, frame, len);
        return true;
    }
    r = net_local_try_send(l, path, frame, len);
    if (r == 0) {
        net_local_enqueue(l, path, frame, len);
    }
    return r >= 0;
}

static gboolean learned_is_path(gpointer k, gpointer v, gpointer path)
{
    (void)k;
    return !strcmp(v, path);
}

static void net_local_forget(NetLocal *l, const char *path)
{
    g_autofree char *copy = g_strdup(path);
    g_hash_table_foreach_remove(l->learned, learned_is_path, copy);
    l->listed_at = 0; /* re-list */
}

static void net_local_flood(NetLocal *l, const uint8_t *frame, size_t len)
{
    net_local_list_peers(l);
    for (unsigned i = 0; i < l->peers->len; i++) {
        const char *p = g_ptr_array_index(l->peers, i);
        if (!net_local_sendto(l, p, frame, len)) {
            net_local_forget(l, p);
        }
    }
}

/*
 * Unicast goes to the member the destination was last heard from, like a
 * learning switch; a member that vanished is forgotten and the frame
 * flooded so a MAC that moved is found again.
 */
static void net_local_transmit(NetLocal *l, const uint8_t *frame, size_t len)
{
    if (!(frame[0] & 1)) {
        const char *p = g_hash_table_lookup(
            l->learned, (gpointer)(uintptr_t)mac_key(frame));
        if (p) {
            g_autofree char *path = g_strdup(p);
            if (net_local_sendto(l, path, frame, len)) {
                return;
            }
            net_local_forget(l, path);
        }
    }
    net_local_flood(l, frame, len);
}

/* Serve a DHCP request if we are (or can become) the segment's server. */
static void net_local_dhcp(NetLocal *l, const uint8_t *frame, size_t len)
{
    uint8_t reply[640];
    size_t n;

    if (!l->dhcp) {
        return;
    }
    if (l->dhcp_lock_fd < 0) {
        g_autofree char *lock = g_build_filename(l->dir, "dhcp.lock", NULL);
        int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            return;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            close(fd); /* another member serves */
            return;
        }
        l->dhcp_lock_fd = fd;
    }
    n = net_dhcpd_handle(&l->dhcpd, frame, len, reply, sizeof(reply));
    if (!n) {
        return;
    }
    l->stats.dhcp_replies++;
    /* Replies are broadcast: the segment and our own VMs. */
    net_local_flood(l, reply, n);
    net_port_send(&l->port, reply, n);
}

static ssize_t net_local_receive(NetPort *self, const uint8_t *frame,
                                 size_t len)
{
    NetLocal *l = self->opaque;

    if (len < 14 || len > NET_MAX_FRAME) {
        return (ssize_t)len;
    }
    net_local_transmit(l, frame, len);
    net_local_dhcp(l, frame, len);
    return (ssize_t)len;
}

static void net_local_ready(NetPort *self)
{
    NetLocal *l = self->opaque;
    net_fd_watch_pause(l->watch, false);
}

static const NetPortOps net_local_port_ops = {
    .receive = net_local_receive,
    .ready = net_local_ready,
};

static void net_local_read(void *opaque)
{
    NetLocal *l = opaque;
    uint8_t buf[NET_MAX_FRAME + 1];
    struct sockaddr_un from;

    for (int i = 0; i < LOCAL_READ_BUDGET; i++) {
        socklen_t fl = sizeof(from);
        ssize_t n;

        if (!net_port_can_send(&l->port) && l->port.peer) {
            net_fd_watch_pause(l->watch, true); /* resumed by ready() */
            return;
        }
        n = recvfrom(l->fd, buf, sizeof(buf), MSG_DONTWAIT,
                     (struct sockaddr *)&from, &fl);
        if (n < 0) {
            return;
        }
        if (n < 14 || n > NET_MAX_FRAME) {
            continue;
        }
        l->stats.rx_frames++;
        if (!(buf[6] & 1) && fl > offsetof(struct sockaddr_un, sun_path) &&
            from.sun_path[0]) {
            gpointer key = (gpointer)(uintptr_t)mac_key(buf + 6);
            if (g_hash_table_size(l->learned) >= LOCAL_LEARN_MAX) {
                g_hash_table_remove_all(l->learned);
            }
            g_hash_table_replace(
                l->learned, key,
                g_strndup(from.sun_path, sizeof(from.sun_path)));
        }
        net_port_send(&l->port, buf, (size_t)n);
        net_local_dhcp(l, buf, (size_t)n);
    }
}

static char *net_local_base_dir(GError **errp)
{
    const char *env = g_getenv("TULIPVM_LOCAL_DIR");
    const char *xdg = g_getenv("XDG_RUNTIME_DIR");
    g_autofree char *dir = NULL;
    struct stat st;

    if (env && *env) {
        dir = g_strdup(env);
    } else if (xdg && *xdg) {
        dir = g_build_filename(xdg, "tulipvm-local", NULL);
    } else {
        dir = g_strdup_printf("/tmp/tulipvm-local-%u", (unsigned)getuid());
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "local: cannot create %s: %s", dir, g_strerror(errno));
        return NULL;
    }
    /* In a shared /tmp, someone else's directory would see our frames. */
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "local: %s is not a directory owned by this user", dir);
        return NULL;
    }
    return g_steal_pointer(&dir);
}

NetLocal *net_local_new(Clock *clock, GMainContext *ctx, const char *segment,
                        bool dhcp, GError **errp)
{
    g_autofree char *base = net_local_base_dir(errp);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    NetLocal *l;
    int rcvbuf = 1 << 20;

    if (!base) {
        return NULL;
    }
    l = g_new0(NetLocal, 1);
    l->fd = -1;
    l->dhcp_lock_fd = -1;
    l->ctx = ctx;
    g_queue_init(&l->txq);
    l->dir = g_build_filename(base, segment, NULL);
    l->peers = g_ptr_array_new_with_free_func(g_free);
    l->learned =
        g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    net_port_init(&l->port, clock, "local", &net_local_port_ops, l);
    if (mkdir(l->dir, 0700) < 0 && errno != EEXIST) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "local,net=%s: cannot create %s: %s", segment, l->dir,
                    g_strerror(errno));
        goto fail;
    }
    l->path = g_strdup_printf("%s/" LOCAL_SOCK_PREFIX "%d-%08x", l->dir,
                              (int)getpid(), g_random_int());
    if (strlen(l->path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "local,net=%s: socket path %s is too long", segment,
                    l->path);
        goto fail;
    }
    g_strlcpy(sa.sun_path, l->path, sizeof(sa.sun_path));
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "local,net=%s: cannot bind %s: %s", segment, l->path,
                    g_strerror(errno));
        g_clear_pointer(&l->path, g_free);
        goto fail;
    }
    setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    l->dhcp = dhcp;
    if (dhcp) {
        g_autofree char *leases = g_build_filename(l->dir, "dhcp.leases", NULL);
        net_dhcpd_init(&l->dhcpd, leases);
    }
    l->watch = net_fd_watch_new(ctx, l->fd, net_local_read, l);
    return l;

fail:
    net_local_free(l);
    return NULL;
}

void net_local_free(NetLocal *l)
{
    if (!l) {
        return;
    }
    net_port_cleanup(&l->port);
    if (l->retry_src) {
        g_source_destroy(l->retry_src);
    }
    g_queue_clear_full(&l->txq, (GDestroyNotify)local_pending_free);
    net_fd_watch_free(l->watch);
    if (l->fd >= 0) {
        close(l->fd);
    }
    if (l->path) {
        unlink(l->path);
    }
    if (l->dhcp_lock_fd >= 0) {
        close(l->dhcp_lock_fd);
    }
    if (l->dhcp) {
        net_dhcpd_cleanup(&l->dhcpd);
    }
    g_ptr_array_free(l->peers, TRUE);
    g_hash_table_destroy(l->learned);
    g_free(l->path);
    g_free(l->dir);
    g_free(l);
}

NetPort *net_local_port(NetLocal *l)
{
    return &l->port;
}

const NetLocalStats *net_local_stats(const NetLocal *l)
{
    return &l->stats;
}

const char *net_local_socket_path(const NetLocal *l)
{
    return l->path;
}
