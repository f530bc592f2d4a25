/*
 * tulipvm: the protocol between VM processes and tulipvm-netd, and the
 * client backend (`bridge` and shared `local` segments for unprivileged
 * VM processes).
 *
 * Transport: a Unix SOCK_SEQPACKET socket, so every message keeps its
 * boundaries.  The client's first message is a NetdAttachRequest; the
 * daemon answers with one NetdReply.  After an OK, every message in either
 * direction is exactly one Ethernet frame (14..1518 bytes).  The daemon
 * checks the client's credentials (SO_PEERCRED) against its group, holds
 * the host-wide registry of MACs in use, and enforces the source MAC and a
 * deny promiscuous policy itself: the client is not trusted.
 */
#ifndef NET_NETD_H
#define NET_NETD_H

#include "net/port.h"

#define NETD_MAGIC          0x544E4554u /* "TNET" */
#define NETD_VERSION        1
#define NETD_NAME_MAX       64
#define NETD_MESSAGE_MAX    120
#define NETD_DEFAULT_SOCKET "/run/tulipvm-netd.sock"

typedef enum NetdKind {
    NETD_KIND_LOCAL = 1,  /* a segment shared by every client naming it */
    NETD_KIND_BRIDGE = 2, /* the host adapter named */
} NetdKind;

typedef struct NetdAttachRequest {
    uint32_t magic;
    uint16_t version;
    uint16_t kind;
    uint8_t mac[6];
    uint8_t reserved[2];
    char name[NETD_NAME_MAX]; /* NUL-terminated */
} NetdAttachRequest;

typedef struct NetdReply {
    uint32_t magic;
    int32_t status; /* 0 = attached, else an errno value */
    char message[NETD_MESSAGE_MAX];
} NetdReply;

typedef struct NetNetd NetNetd;

/* Connect and attach; errors carry the daemon's own message. */
NetNetd *net_netd_new(Clock *clock, GMainContext *ctx, const char *socket_path,
                      NetdKind kind, const char *name, const uint8_t mac[6],
                      GError **errp);
void net_netd_free(NetNetd *n);
NetPort *net_netd_port(NetNetd *n);

#endif /* NET_NETD_H */
