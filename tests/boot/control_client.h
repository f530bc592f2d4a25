/*
 * A client of tulipvm's control socket for the boot tests: one JSON
 * request per line, its reply line back, bounded in time.
 */
#ifndef TEST_CONTROL_CLIENT_H
#define TEST_CONTROL_CLIENT_H

#include <stdbool.h>
#include <glib.h>

typedef struct CtlClient {
    int fd;
    GString *buf;
} CtlClient;

/* Connect, retrying until the socket exists (up to timeout_s). */
bool ctl_connect(CtlClient *c, const char *path, double timeout_s);
/* The reply to one request, or NULL on timeout or a closed socket. */
char *ctl_call(CtlClient *c, const char *req);
void ctl_close(CtlClient *c);

#endif
