/*
 * Control socket client for the boot tests (see control_client.h).
 */
#include "control_client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

bool ctl_connect(CtlClient *c, const char *path, double timeout_s)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    gint64 end = g_get_monotonic_time() + (gint64)(timeout_s * 1e6);

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    c->buf = g_string_new(NULL);
    for (;;) {
        c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (c->fd >= 0 &&
            connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            return true;
        }
        if (c->fd >= 0) {
            close(c->fd);
            c->fd = -1;
        }
        if (g_get_monotonic_time() > end) {
            g_printerr("control socket %s: %s\n", path, g_strerror(errno));
            return false;
        }
        g_usleep(100000);
    }
}

char *ctl_call(CtlClient *c, const char *req)
{
    g_autofree char *line = g_strconcat(req, "\n", NULL);
    gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

    if (write(c->fd, line, strlen(line)) != (ssize_t)strlen(line)) {
        return NULL;
    }
    for (;;) {
        char *nl = strchr(c->buf->str, '\n');
        if (nl) {
            char *reply = g_strndup(c->buf->str, (gsize)(nl - c->buf->str));
            g_string_erase(c->buf, 0, nl - c->buf->str + 1);
            return reply;
        }
        struct pollfd p = {c->fd, POLLIN, 0};
        if (g_get_monotonic_time() > end) {
            return NULL;
        }
        if (poll(&p, 1, 100) > 0) {
            char tmp[8192];
            ssize_t n = read(c->fd, tmp, sizeof(tmp));
            if (n <= 0) {
                return NULL;
            }
            g_string_append_len(c->buf, tmp, n);
        }
    }
}

void ctl_close(CtlClient *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    if (c->buf) {
        g_string_free(c->buf, TRUE);
        c->buf = NULL;
    }
}
