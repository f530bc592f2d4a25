/*
 * tulipvm: TAP device backend (see net/tap.h).
 */
#include "net/tap.h"
#include "fd_backend.h"
#include "emu/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct NetTap {
    NetFdBackend fdb;
    int fd;
};

static ssize_t net_tap_read(void *opaque, uint8_t *buf, size_t len)
{
    NetTap *t = opaque;
    return read(t->fd, buf, len);
}

static ssize_t net_tap_write(void *opaque, const uint8_t *buf, size_t len)
{
    NetTap *t = opaque;
    return write(t->fd, buf, len);
}

NetTap *net_tap_new(Clock *clock, GMainContext *ctx, const char *ifname,
                    GError **errp)
{
    struct ifreq ifr = {0};
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "tap,ifname=%s: cannot open /dev/net/tun: %s", ifname,
                    g_strerror(errno));
        return NULL;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    g_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "tap,ifname=%s: cannot attach: %s%s", ifname,
                    g_strerror(errno),
                    errno == EPERM ? " (create it first with `ip tuntap add "
                                     "dev IF mode tap user USER`)"
                                   : "");
        close(fd);
        return NULL;
    }
    NetTap *t = g_new0(NetTap, 1);
    t->fd = fd;
    net_fd_backend_init(&t->fdb, clock, ctx, "tap", fd, net_tap_read,
                        net_tap_write, t);
    return t;
}

void net_tap_free(NetTap *t)
{
    if (!t) {
        return;
    }
    net_fd_backend_cleanup(&t->fdb);
    close(t->fd);
    g_free(t);
}

NetPort *net_tap_port(NetTap *t)
{
    return &t->fdb.port;
}
