/*
 * Network-namespace helpers for tests that need real sockets and links.
 * Each test process isolates itself in fresh network and mount namespaces
 * (Criterion runs every test in its own process), so nothing it creates -
 * veth pairs, addresses from 198.18.0.0/15, named peer namespaces - is
 * visible to the machine or survives the test.  Needs root.
 */
#ifndef NETNS_UTIL_H
#define NETNS_UTIL_H

#include <stdbool.h>
#include <glib.h>

/* New netns + private mount ns with loopback up.  Returns the netns fd. */
int netns_isolate(void);
/* Run a shell command; false (and logged) on failure. */
bool netns_sh(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Create a named peer namespace (private to our mount ns); returns its fd. */
int netns_peer(const char *name);
/* Switch the calling thread to the namespace fd. */
bool netns_enter(int fd);
/* Replace /etc/resolv.conf (in our mount namespace only). */
bool netns_resolv_conf(const char *contents);

#endif
