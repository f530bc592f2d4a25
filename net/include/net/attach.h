/*
 * tulipvm: one adapter's attachment to a network, built from its -nic
 * configuration - what the frontends call.
 *
 *   att = net_attachment_new(&env, &cfg, index, &err);   MAC chosen + held
 *   nic = tulip_new(..., net_attachment_mac(att), ...);
 *   net_attachment_plug(att, tulip_port(nic));
 *   net_attachment_set_link(att, false);                 cable pulled
 *   net_attachment_reattach(att, &other_cfg, &err);      e.g. NAT -> bridge
 *   net_attachment_free(att);
 *
 * An attachment owns the adapter's switch (one VM port with the adapter's
 * promisc policy and source-MAC rule, plus the backend's uplink), the
 * backend, the capture file and the MAC held in the host registry.
 * `none` is an attachment with the cable unplugged and no backend.
 */
#ifndef NET_ATTACH_H
#define NET_ATTACH_H

#include "net/nic_opts.h"
#include "net/port.h"

typedef struct NetAttachment NetAttachment;

typedef struct NetAttachEnv {
    Clock *clock;
    GMainContext *ctx; /* the emulation thread's context */
    const char *vm_name;
} NetAttachEnv;

NetAttachment *net_attachment_new(const NetAttachEnv *env,
                                  const NetNicConfig *cfg, unsigned index,
                                  GError **errp);
void net_attachment_free(NetAttachment *att);

const uint8_t *net_attachment_mac(const NetAttachment *att);
/* Connect the NIC's port; the NIC should declare the attachment's MAC. */
void net_attachment_plug(NetAttachment *att, NetPort *nic);
/* The cable: both ends see it; the NIC's PHY reports it. */
void net_attachment_set_link(NetAttachment *att, bool up);
bool net_attachment_link(const NetAttachment *att);
/*
 * Move the adapter to another network while the VM runs.  The MAC and the
 * NIC connection stay; on failure the old attachment is kept.
 */
bool net_attachment_reattach(NetAttachment *att, const NetNicConfig *cfg,
                             GError **errp);
/*
 * Start writing every frame the adapter sends or receives to a new pcap
 * file (replacing a capture already running), or stop.  On failure the
 * previous capture goes on.
 */
bool net_attachment_capture_start(NetAttachment *att, const char *path,
                                  GError **errp);
void net_attachment_capture_stop(NetAttachment *att);
/* Counters for the CLI and GUI, one "name=value" per line. */
char *net_attachment_describe(NetAttachment *att);

#endif /* NET_ATTACH_H */
