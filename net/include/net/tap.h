/*
 * tulipvm: `tap,ifname=IF` and `vde,sock=URL` backends.
 *
 * tap: a Linux TAP device (IFF_TAP | IFF_NO_PI, no offloads, so the kernel
 * hands over checksummed frames of at most the MTU).  Unlike a raw-socket
 * bridge, the host itself reaches the VM: put the tap on a Linux bridge
 * with the host adapter for a bridged VM the host can talk to.  Opening a
 * device that does not exist needs CAP_NET_ADMIN; a persistent device made
 * with `ip tuntap add dev tap0 mode tap user $USER` does not.
 *
 * vde: libvdeplug 4, so a segment can be a vde_switch, a vxvde distributed
 * switch spanning hosts, a point-to-point udp:// link, or any other
 * vdeplug plugin URL.
 *
 * `none` needs no backend: the adapter's switch port is unplugged.
 */
#ifndef NET_TAP_H
#define NET_TAP_H

#include "net/port.h"

typedef struct NetTap NetTap;
typedef struct NetVde NetVde;

NetTap *net_tap_new(Clock *clock, GMainContext *ctx, const char *ifname,
                    GError **errp);
void net_tap_free(NetTap *t);
NetPort *net_tap_port(NetTap *t);

NetVde *net_vde_new(Clock *clock, GMainContext *ctx, const char *url,
                    GError **errp);
void net_vde_free(NetVde *v);
NetPort *net_vde_port(NetVde *v);

#endif /* NET_TAP_H */
