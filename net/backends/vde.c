/*
 * tulipvm: libvdeplug backend (see net/tap.h).
 */
#include "net/tap.h"
#include "fd_backend.h"
#include "emu/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libvdeplug.h>
#include <sys/socket.h>

struct NetVde {
    NetFdBackend fdb;
    VDECONN *conn;
};

static ssize_t net_vde_read(void *opaque, uint8_t *buf, size_t len)
{
    NetVde *v = opaque;
    return vde_recv(v->conn, buf, len, MSG_DONTWAIT);
}

static ssize_t net_vde_write(void *opaque, const uint8_t *buf, size_t len)
{
    NetVde *v = opaque;
    return vde_send(v->conn, buf, len, MSG_DONTWAIT);
}

NetVde *net_vde_new(Clock *clock, GMainContext *ctx, const char *url,
                    GError **errp)
{
    g_autofree char *u = g_strdup(url);
    /* The deprecated open_args struct must be NULL (vdeplug4). */
    char descr[] = "tulipvm";
    VDECONN *conn = vde_open(u, descr, NULL);

    if (!conn) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "vde,sock=%s: cannot connect: %s", url, g_strerror(errno));
        return NULL;
    }
    NetVde *v = g_new0(NetVde, 1);
    v->conn = conn;
    /* Plugins may ignore MSG_DONTWAIT: make the socket itself non-blocking
     * so a spurious wakeup never stalls the emulation thread. */
    int fd = vde_datafd(conn);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    net_fd_backend_init(&v->fdb, clock, ctx, "vde", fd, net_vde_read,
                        net_vde_write, v);
    return v;
}

void net_vde_free(NetVde *v)
{
    if (!v) {
        return;
    }
    net_fd_backend_cleanup(&v->fdb);
    vde_close(v->conn);
    g_free(v);
}

NetPort *net_vde_port(NetVde *v)
{
    return &v->fdb.port;
}
