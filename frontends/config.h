/*
 * tulipvm: persistent VM settings (the -config FILE and the settings
 * dialog), stored as a GLib key file:
 *
 *   [vm]
 *   adapters=2                 ; 1-4 network adapters
 *
 *   [adapter0]                 ; adapter0 .. adapter3
 *   attachment=user            ; none | user | local | bridge | tap | vde
 *   segment=default            ; local: the segment name
 *   ifname=eth0                ; bridge, tap: the host interface
 *   sock=/run/vde.ctl          ; vde: the switch socket
 *   options=restrict=on        ; optional: the backend's other -nic options
 *   mac=00:03:ff:12:34:56      ; optional; absent = the machine's default
 *   link=true                  ; cable connected
 *   capture=/tmp/nic0.pcap     ; optional pcap file
 *
 * Loading is strict: an unknown group or key, a value of the wrong type,
 * an out-of-range count, a malformed or multicast MAC, one MAC on two
 * adapters in use, a value with a bad escape sequence or a missing ifname
 * is an error naming the group and key.  Attachments are also written as
 * -nic style specs ("local,net=lab"), the form the VM control interface
 * and the command line use.
 */
#ifndef FRONTENDS_CONFIG_H
#define FRONTENDS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define VM_MAX_ADAPTERS    4
#define VM_DETAIL_MAX      108 /* a unix socket path fits */
#define VM_CAPTURE_MAX     512
#define VM_DEFAULT_SEGMENT "default"

typedef enum VmAttachKind {
    VM_ATTACH_NONE,   /* adapter present, cable to nowhere */
    VM_ATTACH_USER,   /* shared networking (NAT) */
    VM_ATTACH_LOCAL,  /* local-only segment between VMs */
    VM_ATTACH_BRIDGE, /* a host adapter through the network service */
    VM_ATTACH_TAP,
    VM_ATTACH_VDE,
    VM_ATTACH__COUNT
} VmAttachKind;

#define VM_ATTACH_OPTS_MAX 1024

typedef struct VmAttachment {
    VmAttachKind kind;
    char detail[VM_DETAIL_MAX]; /* segment, ifname or socket; "" if none */
    /* The backend's further -nic options as given, e.g.
     * "restrict=on,hostfwd=tcp::2222-:22"; "" if none. */
    char opts[VM_ATTACH_OPTS_MAX];
} VmAttachment;

typedef struct VmAdapterConfig {
    VmAttachment attach;
    bool has_mac;
    uint8_t mac[6];
    bool link; /* cable connected */
    char capture[VM_CAPTURE_MAX];
} VmAdapterConfig;

typedef struct VmConfig {
    unsigned adapters;
    VmAdapterConfig adapter[VM_MAX_ADAPTERS];
} VmConfig;

/* "none", "user", ... (the -nic type names). */
const char *vm_attach_kind_name(VmAttachKind k);
/* What the dialog and status line call it: "Shared networking (NAT)". */
char *vm_attach_describe(const VmAttachment *a);

/*
 * An attachment spec: "none", "user", "local[,net=NAME]",
 * "bridge,ifname=IF", "tap,ifname=IF", "vde,sock=PATH", each with the
 * -nic options of its backend ("user,restrict=on,hostfwd=...",
 * "local,net=lab,dhcp=off").  The adapter's own options (mac, model,
 * link, capture, rate, promisc, macspoof) are refused: they are not where
 * the cable goes.
 */
bool vm_attach_parse(const char *spec, VmAttachment *out, GError **errp);
/* The attachment part of a whole -nic argument: the adapter's own options
 * are left out. */
bool vm_attach_from_nic(const char *nic_spec, VmAttachment *out, GError **errp);
char *vm_attach_spec(const VmAttachment *a);
bool vm_attach_equal(const VmAttachment *a, const VmAttachment *b);

/* One adapter attached to NAT with its cable in; the others the same. */
void vm_config_defaults(VmConfig *c);
/* On failure c is left at the defaults. */
bool vm_config_load(VmConfig *c, const char *path, GError **errp);
bool vm_config_load_data(VmConfig *c, const char *data, GError **errp);
bool vm_config_save(const VmConfig *c, const char *path, GError **errp);
char *vm_config_to_data(const VmConfig *c);

/* The full -nic argument for an adapter (attachment, mac, link, capture). */
char *vm_adapter_nic_spec(const VmAdapterConfig *a);

#endif /* FRONTENDS_CONFIG_H */
