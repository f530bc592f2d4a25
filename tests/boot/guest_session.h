/*
 * A running tulipvm process whose serial console the test reads and types
 * into, the way a person at the console would (expect-style helpers).
 */
#ifndef TEST_GUEST_SESSION_H
#define TEST_GUEST_SESSION_H

#include <stdbool.h>
#include <glib.h>

typedef struct GuestSession {
    GPid pid;
    int in_fd, out_fd;
    GString *log;   /* everything the console printed so far */
    gsize mark;     /* expect() searches from here */
    char *log_path; /* copy of the console for failure reports */
    bool exited;
    int status;
} GuestSession;

/*
 * Start tulipvm (TULIPVM_BIN) with -nographic -serial stdio and the given
 * extra arguments (NULL-terminated).
 */
GuestSession *guest_start(const char *const *extra_args);
/* Wait until the console shows pattern (a GRegex) after the mark; the
 * mark then moves past it.  Returns the match or NULL on timeout/exit. */
char *guest_expect(GuestSession *s, const char *pattern, double timeout_s);
void guest_send(GuestSession *s, const char *text);
/* Read the console until the VM exits by itself; false at the timeout. */
bool guest_wait_exit(GuestSession *s, double timeout_s);
/* Ask the VM to quit (SIGTERM) and reap it; returns its exit status. */
int guest_stop(GuestSession *s);
void guest_free(GuestSession *s);

/* Seconds to allow for a boot: longer under the sanitizers. */
double guest_boot_timeout(void);

#endif
