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
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

int netns_peer(int *pid_out)
{
    int p[2];
    char c;
    pid_t pid;
    int fd;

    if (pipe(p) < 0) {
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        /* A process is the only handle `ip ... netns PID` accepts. */
        c = unshare(CLONE_NEWNET) == 0 && lo_up() ? 'y' : 'n';
        if (write(p[1], &c, 1) != 1) {
            _exit(1);
        }
        for (;;) {
            pause();
        }
    }
    if (pid < 0 || read(p[0], &c, 1) != 1 || c != 'y') {
        return -1;
    }
    close(p[0]);
    close(p[1]);
    g_autofree char *path = g_strdup_printf("/proc/%d/ns/net", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    *pid_out = pid;
    return fd;
}

void netns_peer_release(int pid)
{
    /* The namespace lives on through the descriptor the test holds. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int netns_peer_veth(void)
{
    int pid;
    int fd = netns_peer(&pid);
    if (fd < 0) {
        return -1;
    }
    bool ok =
        netns_sh("ip link add tvm0 type veth peer name tvm1 netns %d", pid);
    netns_peer_release(pid);
    if (!ok) {
        close(fd);
        return -1;
    }
    return fd;
}

bool netns_sh_in(int ns_fd, int home_fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!netns_enter(ns_fd)) {
        return false;
    }
    int rc = system(cmd);
    if (!netns_enter(home_fd)) {
        return false;
    }
    if (rc != 0) {
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
        return false;
    }
    return true;
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

bool netns_wait_link_up(const char *ifname)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    /*
     * The carrier of a veth follows its peer after a short delay.  (sysfs
     * shows the namespace it was mounted in, so ask the socket layer.)
     */
    for (int i = 0; i < 400 && s >= 0; i++) {
        struct ifreq ifr = {0};
        g_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
        if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
            (ifr.ifr_flags & IFF_RUNNING)) {
            close(s);
            return true;
        }
        g_usleep(5000);
    }
    if (s >= 0) {
        close(s);
    }
    fprintf(stderr, "%s did not come up\n", ifname);
    return false;
}
