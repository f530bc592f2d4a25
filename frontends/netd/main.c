/*
 * tulipvm-netd: the host network service daemon.
 *
 * Owns the privileged part of networking so VM processes need none: it
 * serves bridged segments (a NetBridge on the named host adapter, opened
 * on first use) and local segments shared between users to any number of
 * VM processes over a Unix SOCK_SEQPACKET socket (protocol in net/netd.h).
 *
 *  - Each client's credentials (SO_PEERCRED) are checked against the
 *    allowed group (--group, default "tulipvm"; root is always allowed).
 *  - The host-wide registry of MACs held by its clients refuses duplicates.
 *  - Each client is a VM port of the segment's switch with source-MAC
 *    enforcement and promiscuous policy deny: a client cannot send as
 *    another MAC or see other machines' unicast.
 *  - After start-up it keeps only CAP_NET_RAW (bridging) and sets
 *    no_new_privs.
 *  - A client that crashes, disconnects or sends garbage loses only its
 *    own connection: messages are size-checked, reads are non-blocking and
 *    bounded, writes never raise SIGPIPE and never block.
 *
 * Not provided: per-segment ACLs beyond the group, Wi-Fi MAC translation.
 */
#define _GNU_SOURCE
#include "net/bridge.h"
#include "net/netd.h"
#include "net/switch.h"
#include "emu/clock.h"
#include "emu/log.h"

#include <errno.h>
#include <glib-unix.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define CLIENT_READ_BUDGET 64
#define NETD_MAX_CLIENTS   256

typedef struct Netd Netd;

typedef struct Segment {
    Netd *d;
    char *key; /* "local:NAME" or "bridge:IF" */
    NetSwitch *sw;
    NetBridge *bridge;
    unsigned users;
} Segment;

typedef struct Client {
    Netd *d;
    int fd;
    GSource *src;
    bool attached;
    uid_t uid;
    pid_t pid;
    Segment *seg;
    NetPort nic; /* stands in for the client's NIC on the switch */
    NetSwitchPort *vm;
    uint64_t key; /* MAC in the registry */
    uint64_t dropped;
} Client;

struct Netd {
    Clock *clock;
    gint64 start_us;
    GMainContext *ctx;
    int listen_fd;
    gid_t group;
    bool have_group;
    GHashTable *segments; /* key -> Segment */
    GHashTable *macs;     /* MAC as uint64 -> Client */
    GPtrArray *clients;
};

static uint64_t mac_key(const uint8_t *m)
{
    return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
           (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

/* --- machine clock driven by host time (for the port layer's events) --- */

static int64_t netd_host_ns(Netd *d)
{
    return (g_get_monotonic_time() - d->start_us) * 1000;
}

static gboolean clock_prepare(GSource *src, gint *timeout);
static gboolean clock_check(GSource *src);
static gboolean clock_dispatch(GSource *src, GSourceFunc cb, gpointer data);

typedef struct ClockSource {
    GSource source;
    Netd *d;
} ClockSource;

static GSourceFuncs clock_funcs = {
    .prepare = clock_prepare,
    .check = clock_check,
    .dispatch = clock_dispatch,
};

static gboolean clock_prepare(GSource *src, gint *timeout)
{
    Netd *d = ((ClockSource *)src)->d;
    uint64_t next = clock_next_deadline(d->clock);
    int64_t wait;

    if (next == CLOCK_NEVER) {
        *timeout = -1;
        return FALSE;
    }
    wait = clock_cycles_to_ns(d->clock, next) - netd_host_ns(d);
    *timeout = wait <= 0 ? 0 : (gint)MIN(wait / 1000000 + 1, 1000);
    return wait <= 0;
}

static gboolean clock_check(GSource *src)
{
    Netd *d = ((ClockSource *)src)->d;
    uint64_t next = clock_next_deadline(d->clock);
    return next != CLOCK_NEVER &&
           clock_cycles_to_ns(d->clock, next) <= netd_host_ns(d);
}

static gboolean clock_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    Netd *d = ((ClockSource *)src)->d;
    (void)cb;
    (void)data;
    clock_run_until(d->clock, clock_ns_to_cycles(d->clock, netd_host_ns(d)));
    return G_SOURCE_CONTINUE;
}

/* --- segments ----------------------------------------------------------- */

static Segment *segment_get(Netd *d, NetdKind kind, const char *name,
                            GError **errp)
{
    g_autofree char *key = g_strdup_printf(
        "%s:%s", kind == NETD_KIND_BRIDGE ? "bridge" : "local", name);
    Segment *s = g_hash_table_lookup(d->segments, key);

    if (s) {
        return s;
    }
    s = g_new0(Segment, 1);
    s->d = d;
    s->key = g_steal_pointer(&key);
    s->sw = net_switch_new(d->clock, s->key);
    if (kind == NETD_KIND_BRIDGE) {
        s->bridge = net_bridge_new(d->clock, d->ctx, name, s->sw, errp);
        if (!s->bridge) {
            net_switch_free(s->sw);
            g_free(s->key);
            g_free(s);
            return NULL;
        }
    }
    g_hash_table_insert(d->segments, s->key, s);
    return s;
}

static void segment_put(Segment *s)
{
    if (--s->users) {
        return;
    }
    g_hash_table_remove(s->d->segments, s->key);
    net_bridge_free(s->bridge);
    net_switch_free(s->sw);
    g_free(s->key);
    g_free(s);
}

/* --- clients ------------------------------------------------------------ */

static void client_reply(Client *c, int status, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void client_reply(Client *c, int status, const char *fmt, ...)
{
    NetdReply r = {.magic = NETD_MAGIC, .status = status};
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r.message, sizeof(r.message), fmt, ap);
    va_end(ap);
    if (send(c->fd, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        TRACE(TRACE_NETD, "reply to pid %d lost", (int)c->pid);
    }
}

static void client_free(Client *c)
{
    Netd *d = c->d;

    if (c->attached) {
        g_hash_table_remove(d->macs, (gpointer)(uintptr_t)c->key);
        net_switch_remove_port(c->seg->sw, c->vm);
        net_port_cleanup(&c->nic);
        segment_put(c->seg);
    }
    g_source_destroy(c->src);
    g_source_unref(c->src);
    close(c->fd);
    g_ptr_array_remove_fast(d->clients, c);
    g_free(c);
}

/* A frame for this client's VM: never block, never SIGPIPE. */
static ssize_t client_nic_receive(NetPort *self, const uint8_t *frame,
                                  size_t len)
{
    Client *c = self->opaque;
    if (send(c->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        c->dropped++;
    }
    return (ssize_t)len;
}

static const NetPortOps client_nic_ops = {.receive = client_nic_receive};

static bool client_attach(Client *c, const NetdAttachRequest *req)
{
    Netd *d = c->d;
    g_autoptr(GError) err = NULL;
    char name[NETD_NAME_MAX];
    NetRxFilter f = {.broadcast = true, .all_multicast = true};

    if (req->magic != NETD_MAGIC || req->version != NETD_VERSION ||
        (req->kind != NETD_KIND_LOCAL && req->kind != NETD_KIND_BRIDGE)) {
        client_reply(c, EPROTO, "malformed attach request");
        return false;
    }
    memcpy(name, req->name, sizeof(name));
    name[sizeof(name) - 1] = 0;
    if (!name[0] || strchr(name, '/') || (req->mac[0] & 1) ||
        !mac_key(req->mac)) {
        client_reply(c, EINVAL, "invalid segment name or MAC");
        return false;
    }
    c->key = mac_key(req->mac);
    if (g_hash_table_contains(d->macs, (gpointer)(uintptr_t)c->key)) {
        client_reply(c, EADDRINUSE,
                     "MAC %02x:%02x:%02x:%02x:%02x:%02x is already in use on "
                     "this host",
                     req->mac[0], req->mac[1], req->mac[2], req->mac[3],
                     req->mac[4], req->mac[5]);
        return false;
    }
    c->seg = segment_get(d, (NetdKind)req->kind, name, &err);
    if (!c->seg) {
        client_reply(c, EIO, "%s", err->message);
        return false;
    }
    c->seg->users++;
    net_port_init(&c->nic, d->clock, "client", &client_nic_ops, c);
    net_port_set_mac(&c->nic, req->mac);
    memcpy(f.addrs[0], req->mac, 6);
    f.n_addrs = 1;
    net_port_set_rx_filter(&c->nic, &f);
    c->vm =
        net_switch_add_vm_port(c->seg->sw, "client", NET_PROMISC_DENY, false);
    net_port_connect(&c->nic, &c->vm->port);
    g_hash_table_insert(d->macs, (gpointer)(uintptr_t)c->key, c);
    c->attached = true;
    client_reply(c, 0, "attached to %s", c->seg->key);
    TRACE(TRACE_NETD, "pid %d uid %u attached to %s", (int)c->pid,
          (unsigned)c->uid, c->seg->key);
    return true;
}

static gboolean client_readable(gint fd, GIOCondition cond, gpointer data)
{
    Client *c = data;
    uint8_t buf[NET_MAX_FRAME + 1];
    (void)fd;

    for (int i = 0; i < CLIENT_READ_BUDGET; i++) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            break;
        }
        if (n <= 0) {
            client_free(c); /* gone or crashed */
            return G_SOURCE_REMOVE;
        }
        if (!c->attached) {
            if (n != (ssize_t)sizeof(NetdAttachRequest) ||
                !client_attach(c, (const NetdAttachRequest *)buf)) {
                if (n != (ssize_t)sizeof(NetdAttachRequest)) {
                    client_reply(c, EPROTO, "expected an attach request");
                }
                client_free(c);
                return G_SOURCE_REMOVE;
            }
            continue;
        }
        if (n < 14 || n > NET_MAX_FRAME) {
            continue; /* not a frame: ignore it, keep the client */
        }
        net_port_send(&c->nic, buf, (size_t)n);
    }
    if (cond & (G_IO_HUP | G_IO_ERR)) {
        client_free(c);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static bool netd_allowed(Netd *d, uid_t uid, gid_t gid)
{
    struct passwd *pw;
    gid_t groups[256];
    int n = G_N_ELEMENTS(groups);

    if (uid == 0) {
        return true;
    }
    if (!d->have_group) {
        return false;
    }
    if (gid == d->group) {
        return true;
    }
    pw = getpwuid(uid);
    if (pw && getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) >= 0) {
        for (int i = 0; i < n; i++) {
            if (groups[i] == d->group) {
                return true;
            }
        }
    }
    return false;
}

static gboolean netd_accept(gint fd, GIOCondition cond, gpointer data)
{
    Netd *d = data;
    struct ucred cred;
    socklen_t cl = sizeof(cred);
    int cfd;
    (void)fd;
    (void)cond;

    while ((cfd = accept4(d->listen_fd, NULL, NULL,
                          SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        Client *c = g_new0(Client, 1);
        c->d = d;
        c->fd = cfd;
        c->src = g_unix_fd_source_new(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR);
        g_source_set_callback(
            c->src, (GSourceFunc)(void (*)(void))client_readable, c, NULL);
        g_source_attach(c->src, d->ctx);
        g_ptr_array_add(d->clients, c);
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
            !netd_allowed(d, cred.uid, cred.gid)) {
            client_reply(c, EACCES,
                         "uid %u is not in the group allowed to "
                         "use tulipvm-netd",
                         (unsigned)cred.uid);
            client_free(c);
            continue;
        }
        if (d->clients->len > NETD_MAX_CLIENTS) {
            client_reply(c, EBUSY, "too many clients");
            client_free(c);
            continue;
        }
        c->uid = cred.uid;
        c->pid = cred.pid;
    }
    return G_SOURCE_CONTINUE;
}

/* --- privileges ------------------------------------------------------- */

static bool netd_drop_capabilities(void)
{
    struct __user_cap_header_struct hdr = {
        .version = _LINUX_CAPABILITY_VERSION_3,
    };
    struct __user_cap_data_struct data[2] = {{0}};

    /* Out of the bounding set first: that needs CAP_SETPCAP, kept till now. */
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
        if (cap != CAP_NET_RAW) {
            prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
    }
    data[0].effective = data[0].permitted = 1u << CAP_NET_RAW;
    if (syscall(SYS_capset, &hdr, data) < 0) {
        return false;
    }
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
}

/* --- main ----------------------------------------------------------- */

static gboolean netd_quit(gpointer opaque)
{
    *(bool *)opaque = true;
    return G_SOURCE_CONTINUE;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tulipvm-netd [--socket PATH] [--group NAME] "
            "[--socket-mode OCTAL]\n"
            "  --socket PATH       where VM processes connect (default %s)\n"
            "  --group NAME        group allowed to connect (default "
            "tulipvm; root always may)\n"
            "  --socket-mode MODE  permissions of the socket (default 0660)\n"
            "  --trace LIST        trace categories (netd,bridge,net)\n",
            NETD_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
    const char *path = NETD_DEFAULT_SOCKET;
    const char *group = "tulipvm";
    unsigned long mode = 0660;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct group *gr;
    Netd d = {0};

    for (int i = 1; i < argc; i++) {
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        g_autoptr(GError) err = NULL;
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--socket") && arg) {
            path = arg;
        } else if (!strcmp(argv[i], "--group") && arg) {
            group = arg;
        } else if (!strcmp(argv[i], "--socket-mode") && arg) {
            char *end;
            mode = strtoul(arg, &end, 8);
            if (*end || mode > 0777) {
                fprintf(stderr,
                        "tulipvm-netd: --socket-mode %s: expected "
                        "an octal mode like 0660\n",
                        arg);
                return 2;
            }
        } else if (!strcmp(argv[i], "--trace") && arg) {
            if (!trace_parse(arg, &err)) {
                fprintf(stderr, "tulipvm-netd: %s\n", err->message);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
        i++;
    }
    signal(SIGPIPE, SIG_IGN);
    gr = getgrnam(group);
    d.have_group = gr != NULL;
    d.group = gr ? gr->gr_gid : 0;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "tulipvm-netd: socket path too long\n");
        return 1;
    }
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    d.listen_fd =
        socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    unlink(path);
    if (d.listen_fd < 0 ||
        bind(d.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(d.listen_fd, 16) < 0) {
        fprintf(stderr, "tulipvm-netd: cannot listen on %s: %s\n", path,
                strerror(errno));
        return 1;
    }
    if (chmod(path, (mode_t)mode) < 0 ||
        (gr && chown(path, 0, gr->gr_gid) < 0 && geteuid() == 0)) {
        fprintf(stderr, "tulipvm-netd: cannot set permissions of %s: %s\n",
                path, strerror(errno));
        return 1;
    }
    if (!netd_drop_capabilities()) {
        fprintf(stderr, "tulipvm-netd: cannot drop capabilities: %s\n",
                strerror(errno));
        return 1;
    }

    d.ctx = g_main_context_default();
    d.clock = clock_new(1000000000);
    d.start_us = g_get_monotonic_time();
    d.segments = g_hash_table_new(g_str_hash, g_str_equal);
    d.macs = g_hash_table_new(g_direct_hash, g_direct_equal);
    d.clients = g_ptr_array_new();
    GSource *cs = g_source_new(&clock_funcs, sizeof(ClockSource));
    ((ClockSource *)cs)->d = &d;
    g_source_attach(cs, d.ctx);
    GSource *ls = g_unix_fd_source_new(d.listen_fd, G_IO_IN);
    g_source_set_callback(ls, (GSourceFunc)(void (*)(void))netd_accept, &d,
                          NULL);
    g_source_attach(ls, d.ctx);
    fprintf(stderr, "tulipvm-netd: listening on %s (group %s%s)\n", path, group,
            gr ? "" : ", which does not exist: root only");
    bool quit = false;
    g_unix_signal_add(SIGTERM, netd_quit, &quit);
    g_unix_signal_add(SIGINT, netd_quit, &quit);
    while (!quit) {
        g_main_context_iteration(d.ctx, TRUE);
    }
    /* Leave no stale socket behind; clients see their connection close. */
    unlink(path);
    while (d.clients->len) {
        client_free(g_ptr_array_index(d.clients, 0));
    }
    g_source_destroy(ls);
    g_source_unref(ls);
    g_source_destroy(cs);
    g_source_unref(cs);
    g_ptr_array_free(d.clients, TRUE);
    g_hash_table_destroy(d.macs);
    g_hash_table_destroy(d.segments); /* empty: segments die with users */
    clock_free(d.clock);
    close(d.listen_fd);
    return 0;
}
