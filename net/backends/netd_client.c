/*
 * tulipvm: client side of tulipvm-netd (see net/netd.h).
 */
#include "net/netd.h"
#include "fd_backend.h"
#include "emu/log.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NETD_REPLY_TIMEOUT_MS 5000

struct NetNetd {
    NetFdBackend fdb;
    int fd;
};

static ssize_t net_netd_read(void *opaque, uint8_t *buf, size_t len)
{
    NetNetd *n = opaque;
    return recv(n->fd, buf, len, MSG_DONTWAIT);
}

static ssize_t net_netd_write(void *opaque, const uint8_t *buf, size_t len)
{
    NetNetd *n = opaque;
    return send(n->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

NetNetd *net_netd_new(Clock *clock, GMainContext *ctx, const char *socket_path,
                      NetdKind kind, const char *name, const uint8_t mac[6],
                      GError **errp)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    NetdAttachRequest req = {
        .magic = NETD_MAGIC,
        .version = NETD_VERSION,
        .kind = (uint16_t)kind,
    };
    NetdReply rep;
    struct pollfd pfd;
    ssize_t r;
    int fd;

    if (strlen(socket_path) >= sizeof(sa.sun_path) ||
        strlen(name) >= NETD_NAME_MAX) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "netd: socket path or segment name too long");
        return NULL;
    }
    g_strlcpy(sa.sun_path, socket_path, sizeof(sa.sun_path));
    memcpy(req.mac, mac, 6);
    g_strlcpy(req.name, name, sizeof(req.name));
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "netd: cannot reach tulipvm-netd at %s: %s", socket_path,
                    g_strerror(errno));
        goto fail;
    }
    if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
        int e = errno;
        /* Refused at once (credentials): the reason is already queued. */
        if (recv(fd, &rep, sizeof(rep), MSG_DONTWAIT) == (ssize_t)sizeof(rep) &&
            rep.magic == NETD_MAGIC && rep.status != 0) {
            rep.message[NETD_MESSAGE_MAX - 1] = 0;
            g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "netd refused: %s",
                        rep.message);
        } else {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                        "netd: cannot send the request: %s", g_strerror(e));
        }
        goto fail;
    }
    pfd = (struct pollfd){.fd = fd, .events = POLLIN};
    r = -1;
    if (poll(&pfd, 1, NETD_REPLY_TIMEOUT_MS) == 1) {
        r = recv(fd, &rep, sizeof(rep), MSG_DONTWAIT);
        if (r < 0 && errno == ECONNRESET) {
            /*
             * A refusing daemon closes at once; if our request was still
             * unread, the kernel reports a reset before the queued reply.
             */
            r = recv(fd, &rep, sizeof(rep), MSG_DONTWAIT);
        }
    }
    if (r != (ssize_t)sizeof(rep) || rep.magic != NETD_MAGIC) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "netd: no valid answer from tulipvm-netd at %s",
                    socket_path);
        goto fail;
    }
    if (rep.status != 0) {
        rep.message[NETD_MESSAGE_MAX - 1] = 0;
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "netd refused: %s",
                    rep.message);
        goto fail;
    }
    NetNetd *n = g_new0(NetNetd, 1);
    n->fd = fd;
    net_fd_backend_init(&n->fdb, clock, ctx, "netd", fd, net_netd_read,
                        net_netd_write, n);
    return n;

fail:
    if (fd >= 0) {
        close(fd);
    }
    return NULL;
}

void net_netd_free(NetNetd *n)
{
    if (!n) {
        return;
    }
    net_fd_backend_cleanup(&n->fdb);
    close(n->fd);
    g_free(n);
}

NetPort *net_netd_port(NetNetd *n)
{
    return &n->fdb.port;
}
