/*
 * tulipvm: the -nic option (architecture.md "Command line").
 *
 *   -nic TYPE[,opt=value...]
 *
 * TYPE is user, local, bridge, tap, vde or none.  Options for all types:
 * mac=, model= (dc21140), link=on|off, capture=FILE, rate=N[K|M|G],
 * promisc=deny|allow-vms|allow-all, macspoof=deny|allow.  For user:
 * hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (repeatable;
 * HOSTADDR defaults to 127.0.0.1 so a forward is not exposed to the LAN by
 * accident), restrict=on|off, net=A.B.C.D/N, hostaccess=on|off.  For local:
 * net=NAME, dhcp=on|off.  For bridge and tap: ifname=.  For vde: sock=URL.
 *
 * A value containing a comma writes it twice (",,"), as QEMU does.  Every
 * malformed, unknown, misplaced or repeated option is an error naming it.
 */
#ifndef NET_NIC_OPTS_H
#define NET_NIC_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <glib.h>

#include "net/switch.h"

#define NET_MAX_HOSTFWD 16

typedef enum NetBackendType {
    NET_BACKEND_USER,
    NET_BACKEND_LOCAL,
    NET_BACKEND_BRIDGE,
    NET_BACKEND_TAP,
    NET_BACKEND_VDE,
    NET_BACKEND_NONE,
} NetBackendType;

typedef struct NetHostFwd {
    bool udp;
    struct in_addr host_addr; /* network order */
    uint16_t host_port;
    struct in_addr guest_addr; /* 0: the first DHCP lease */
    uint16_t guest_port;
} NetHostFwd;

typedef struct NetNicConfig {
    NetBackendType type;
    char model[16];
    bool has_mac;
    uint8_t mac[6];
    bool link_up;
    char *capture;     /* NULL: none */
    uint64_t rate_bps; /* 0: unpaced */
    NetPromiscPolicy promisc;
    bool allow_spoof;
    /* user */
    NetHostFwd hostfwd[NET_MAX_HOSTFWD];
    unsigned n_hostfwd;
    bool restricted;
    bool hostaccess;
    bool has_net;
    struct in_addr net_addr, net_mask; /* network order */
    /* local */
    char *segment; /* default "default" */
    bool dhcp;
    /* bridge, tap */
    char *ifname;
    /* vde */
    char *sock;
} NetNicConfig;

/* Parse one -nic argument.  On failure cfg is left cleared. */
bool net_nic_config_parse(const char *spec, NetNicConfig *cfg, GError **errp);
void net_nic_config_clear(NetNicConfig *cfg);

const char *net_backend_type_name(NetBackendType t);
/* "00:03:ff:12:34:56" or with '-'; must be a non-zero unicast address. */
bool net_mac_parse(const char *s, uint8_t mac[6], GError **errp);
/* One hostfwd= value. */
bool net_hostfwd_parse(const char *s, NetHostFwd *fwd, GError **errp);

#endif /* NET_NIC_OPTS_H */
