/*
 * Network-namespace helpers for tests that need real sockets and links.
 * Each test process isolates itself in fresh network and mount namespaces
 * (Criterion runs every test in its own process), so nothing it creates -
 * veth pairs, addresses from 198.18.0.0/15, anonymous peer namespaces - is
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
/*
 * Create an anonymous peer namespace held by a child process (its pid goes
 * to *pid, usable as `ip link ... netns PID`); returns the namespace fd.
 * netns_peer_release() ends the child; the fd keeps the namespace.
 */
int netns_peer(int *pid);
void netns_peer_release(int pid);
/* A peer namespace joined to ours by a veth pair, tvm0 here and tvm1 there
 * (both down, no addresses).  Returns the peer namespace fd, -1 on
 * failure. */
int netns_peer_veth(void);
/* Run a shell command inside ns_fd, then return to home_fd. */
bool netns_sh_in(int ns_fd, int home_fd, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Switch the calling thread to the namespace fd. */
bool netns_enter(int fd);
/* Wait (up to 2 s) until ifname in the current namespace has carrier. */
bool netns_wait_link_up(const char *ifname);
/* Replace /etc/resolv.conf (in our mount namespace only). */
bool netns_resolv_conf(const char *contents);

#endif
