/*
 * Console helpers for the guest driver compatibility suite.
 */
#include "guest_session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

double guest_boot_timeout(void)
{
#ifdef TULIPVM_SANITIZED
    return 900;
#else
    return 240;
#endif
}

/*
 * The VM must not outlive the test: a failed assertion ends the test
 * process without running guest_free().
 */
static void guest_child_setup(gpointer data)
{
    (void)data;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

GuestSession *guest_start(const char *const *extra_args)
{
    GuestSession *s = g_new0(GuestSession, 1);
    s->in_fd = s->out_fd = -1;
    GPtrArray *argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;

    g_ptr_array_add(argv, (char *)TULIPVM_BIN);
    g_ptr_array_add(argv, (char *)"-nographic");
    g_ptr_array_add(argv, (char *)"-serial");
    g_ptr_array_add(argv, (char *)"stdio");
    for (int i = 0; extra_args && extra_args[i]; i++) {
        g_ptr_array_add(argv, (char *)extra_args[i]);
    }
    g_ptr_array_add(argv, NULL);
    s->log = g_string_new(NULL);
    if (!g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL,
                                  G_SPAWN_DO_NOT_REAP_CHILD, guest_child_setup,
                                  NULL, &s->pid, &s->in_fd, &s->out_fd, NULL,
                                  &err)) {
        g_printerr("cannot start %s: %s\n", TULIPVM_BIN, err->message);
        s->exited = true;
    } else {
        fcntl(s->out_fd, F_SETFL, fcntl(s->out_fd, F_GETFL) | O_NONBLOCK);
    }
    g_ptr_array_free(argv, TRUE);
    return s;
}

/* Read what is there, waiting up to ms; false once the VM has exited. */
static bool guest_pump(GuestSession *s, int ms)
{
    struct pollfd p = {s->out_fd, POLLIN, 0};
    char buf[4096];

    if (s->exited) {
        return false;
    }
    if (poll(&p, 1, ms) <= 0) {
        return true;
    }
    for (;;) {
        ssize_t n = read(s->out_fd, buf, sizeof(buf));
        if (n > 0) {
            g_string_append_len(s->log, buf, n);
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            /* console closed: the VM is gone */
            int st;
            if (waitpid(s->pid, &st, 0) == s->pid) {
                s->status = st;
            }
            s->exited = true;
            return false;
        }
        return true;
    }
}

char *guest_expect(GuestSession *s, const char *pattern, double timeout_s)
{
    g_autoptr(GRegex) re = g_regex_new(pattern, G_REGEX_MULTILINE, 0, NULL);
    gint64 end = g_get_monotonic_time() + (gint64)(timeout_s * 1e6);

    g_assert(re);
    for (;;) {
        g_autoptr(GMatchInfo) mi = NULL;
        if (g_regex_match_full(re, s->log->str, (gssize)s->log->len,
                               (gint)s->mark, 0, &mi, NULL)) {
            gint start, stop;
            g_match_info_fetch_pos(mi, 0, &start, &stop);
            s->mark = (gsize)stop;
            return g_match_info_fetch(mi, 0);
        }
        if (g_get_monotonic_time() > end || !guest_pump(s, 100)) {
            g_printerr("--- console (waiting for /%s/) ---\n%s\n---\n", pattern,
                       s->log->str + MIN(s->mark, s->log->len));
            return NULL;
        }
    }
}

void guest_send(GuestSession *s, const char *text)
{
    size_t len = strlen(text);
    while (len && !s->exited) {
        ssize_t n = write(s->in_fd, text, len);
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (n > 0) {
            text += n;
            len -= (size_t)n;
        }
    }
}

bool guest_wait_exit(GuestSession *s, double timeout_s)
{
    gint64 end = g_get_monotonic_time() + (gint64)(timeout_s * 1e6);
    while (guest_pump(s, 100) && g_get_monotonic_time() < end) {
    }
    return s->exited;
}

int guest_stop(GuestSession *s)
{
    if (!s->exited) {
        kill(s->pid, SIGTERM);
        for (int i = 0; i < 100 && guest_pump(s, 100); i++) {
        }
        if (!s->exited) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &s->status, 0);
            s->exited = true;
        }
    }
    return s->status;
}

void guest_free(GuestSession *s)
{
    guest_stop(s);
    if (s->in_fd >= 0) {
        close(s->in_fd);
        close(s->out_fd);
        g_spawn_close_pid(s->pid);
    }
    g_string_free(s->log, TRUE);
    g_free(s->log_path);
    g_free(s);
}
