/*
 * tulipvm tests: Xvfb and xdotool for the window tests (see xvfb.h).
 */
#include "support/xvfb.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define XVFB_REPORT_MS 10000
#define XDOTOOL_MAX_S  20

static int64_t now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

/* The display number Xvfb writes to fd as one line, or -1 at deadline. */
static int xvfb_read_display(int fd, int64_t deadline)
{
    char num[16] = {0};
    size_t got = 0;

    while (!strchr(num, '\n') && now_ms() < deadline && got < 15) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 100) > 0) {
            ssize_t n = read(fd, num + got, sizeof(num) - 1 - got);
            if (n <= 0) {
                break;
            }
            got += (size_t)n;
        }
    }
    return strchr(num, '\n') ? atoi(num) : -1;
}

void xvfb_start(Xvfb *x)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    g_autofree char *cmd = g_strdup_printf(
        "Xvfb -displayfd %d -screen 0 1024x768x24 -nolisten tcp", p[1]);
    g_auto(GStrv) argv = g_strsplit(cmd, " ", -1);
    GError *err = NULL;
    cr_assert(g_spawn_async(NULL, argv, NULL,
                            G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                G_SPAWN_LEAVE_DESCRIPTORS_OPEN |
                                G_SPAWN_STDOUT_TO_DEV_NULL |
                                G_SPAWN_STDERR_TO_DEV_NULL,
                            NULL, NULL, &x->pid, &err),
              "Xvfb: %s", err ? err->message : "");
    close(p[1]);
    int display = xvfb_read_display(p[0], now_ms() + XVFB_REPORT_MS);
    close(p[0]);
    cr_assert(display >= 0, "Xvfb did not report its display");
    g_autofree char *disp = g_strdup_printf(":%d", display);
    x->env = g_environ_setenv(g_get_environ(), "DISPLAY", disp, TRUE);
    /* Under ASan: X, Mesa and D-Bus leave allocations behind at exit that
     * are not ours; memory errors still make the programs fail. */
    x->env = g_environ_setenv(x->env, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
}

void xvfb_stop(Xvfb *x)
{
    if (x->pid) {
        kill(x->pid, SIGTERM);
        xvfb_reap(x->pid, 3000);
    }
    g_strfreev(x->env);
    memset(x, 0, sizeof(*x));
}

char *xvfb_xdotool(const Xvfb *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *cmd =
        g_strdup_printf("timeout %d xdotool %s", XDOTOOL_MAX_S, args);
    g_auto(GStrv) argv = NULL;
    char *out = NULL;
    int status = 0;
    GError *err = NULL;
    cr_assert(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    cr_assert(g_spawn_sync(NULL, argv, x->env, G_SPAWN_SEARCH_PATH, NULL, NULL,
                           &out, NULL, &status, &err),
              "%s", err ? err->message : "");
    cr_assert(g_spawn_check_wait_status(status, NULL), "xdotool %s failed",
              args);
    return out;
}

int xvfb_reap(GPid pid, int wait_ms)
{
    int64_t deadline = now_ms() + wait_ms;
    int status = 0;
    while (now_ms() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            return status;
        }
        g_usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
}
