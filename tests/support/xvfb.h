/*
 * tulipvm tests: an X server of our own for the window tests.  Xvfb picks
 * a free display itself (-displayfd), so tests run in parallel and never
 * touch the user's display; xdotool drives windows on it.  Failures are
 * Criterion assertions: these helpers are only called from tests.
 */
#ifndef TESTS_SUPPORT_XVFB_H
#define TESTS_SUPPORT_XVFB_H

#include <glib.h>

typedef struct Xvfb {
    GPid pid;
    /* This process's environment with DISPLAY naming the server, for the
     * programs started on it. */
    char **env;
} Xvfb;

/* Start a 1024x768x24 server; fails the test if it does not report its
 * display within 10 s. */
void xvfb_start(Xvfb *x);
/* Stop the server (if started) and free env; x is zeroed. */
void xvfb_stop(Xvfb *x);
/* Run "xdotool <args>" on the server, bounded to 20 s; fails the test
 * unless xdotool exits with 0.  Returns its stdout (g_free it). */
char *xvfb_xdotool(const Xvfb *x, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Wait up to wait_ms for child pid, then SIGKILL it; its wait status. */
int xvfb_reap(GPid pid, int wait_ms);

#endif /* TESTS_SUPPORT_XVFB_H */
