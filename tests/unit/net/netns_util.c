/*
 * Network-namespace helpers for tests (see netns_util.h).
 */
#define _GNU_SOURCE
#include "netns_util.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

static bool lo_up(void)
{
    struct ifreq ifr = {0};
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    bool ok;

    if (s < 0) {
        return false;
    }
    strcpy(ifr.ifr_name, "lo");
    ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP;
    ok = ok && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    close(s);
    return ok;
}

int netns_isolate(void)
{
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
        perror("unshare");
        return -1;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        perror("mount private");
        return -1;
    }
    if (!lo_up()) {
        return -1;
    }
    return open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
}

bool netns_sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
        return false;
    }
    return true;
}

int netns_peer(const char *name)
{
    g_autofree char *path = g_strdup_printf("/var/run/netns/%s", name);
    if (!netns_sh("ip netns add %s", name)) {
        return -1;
    }
    netns_sh("ip -n %s link set lo up", name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

bool netns_enter(int fd)
{
    return setns(fd, CLONE_NEWNET) == 0;
}

bool netns_resolv_conf(const char *contents)
{
    char tmpl[] = "/tmp/tvm-resolv-XXXXXX";
    int fd = mkstemp(tmpl);
    bool ok;

    if (fd < 0) {
        return false;
    }
    ok = write(fd, contents, strlen(contents)) == (ssize_t)strlen(contents);
    close(fd);
    ok = ok && mount(tmpl, "/etc/resolv.conf", NULL, MS_BIND, NULL) == 0;
    unlink(tmpl); /* the bind mount keeps it alive */
    return ok;
}
