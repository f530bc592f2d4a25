/*
 * tulipvm: persistent VM settings as a GLib key file (see config.h for the
 * layout).  Shared by the settings dialog and the command line's -config.
 */
#include "config.h"
#include "emu/log.h"
#include "net/mac.h"
#include "net/nic_opts.h"

#include <net/if.h>
#include <string.h>

static const char *const attach_names[VM_ATTACH__COUNT] = {
    [VM_ATTACH_NONE] = "none",   [VM_ATTACH_USER] = "user",
    [VM_ATTACH_LOCAL] = "local", [VM_ATTACH_BRIDGE] = "bridge",
    [VM_ATTACH_TAP] = "tap",     [VM_ATTACH_VDE] = "vde",
};

/* The option that carries each kind's detail, NULL when it has none. */
static const char *const detail_keys[VM_ATTACH__COUNT] = {
    [VM_ATTACH_LOCAL] = "net",
    [VM_ATTACH_BRIDGE] = "ifname",
    [VM_ATTACH_TAP] = "ifname",
    [VM_ATTACH_VDE] = "sock",
};

/* The key file calls the local segment "segment" (the -nic option "net"). */
static const char *const file_detail_keys[VM_ATTACH__COUNT] = {
    [VM_ATTACH_LOCAL] = "segment",
    [VM_ATTACH_BRIDGE] = "ifname",
    [VM_ATTACH_TAP] = "ifname",
    [VM_ATTACH_VDE] = "sock",
};

const char *vm_attach_kind_name(VmAttachKind k)
{
    return (unsigned)k < VM_ATTACH__COUNT ? attach_names[k] : "?";
}

char *vm_attach_describe(const VmAttachment *a)
{
    switch (a->kind) {
    case VM_ATTACH_NONE:
        return g_strdup("Not connected");
    case VM_ATTACH_USER:
        return g_strdup("Shared networking (NAT)");
    case VM_ATTACH_LOCAL:
        return g_strdup_printf("Local only (%s)", a->detail);
    case VM_ATTACH_BRIDGE:
        return g_strdup_printf("Host adapter %s", a->detail);
    case VM_ATTACH_TAP:
        return g_strdup_printf("TAP %s", a->detail);
    case VM_ATTACH_VDE:
        return g_strdup_printf("VDE %s", a->detail);
    default:
        return g_strdup("?");
    }
}

static bool attach_kind_from_name(const char *name, VmAttachKind *k)
{
    for (unsigned i = 0; i < VM_ATTACH__COUNT; i++) {
        if (!strcmp(name, attach_names[i])) {
            *k = (VmAttachKind)i;
            return true;
        }
    }
    return false;
}

/* A detail must survive the trip through a comma-separated spec. */
static bool attach_check_detail(VmAttachKind k, const char *what,
                                const char *val, GError **errp)
{
    size_t max = k == VM_ATTACH_BRIDGE || k == VM_ATTACH_TAP
                     ? IFNAMSIZ - 1
                     : VM_DETAIL_MAX - 1;
    if (!*val) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID, "%s: empty value",
                    what);
        return false;
    }
    if (strlen(val) > max) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "%s=%s: longer than %zu characters", what, val, max);
        return false;
    }
    if (strchr(val, ',') || strchr(val, '\n')) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "%s=%s: commas and newlines are not allowed", what, val);
        return false;
    }
    return true;
}

/* -nic options that belong to the adapter, not to its attachment. */
static const char *const adapter_keys[] = {
    "mac", "model", "link", "capture", "rate", "promisc", "macspoof",
};

static bool attach_is_adapter_key(const char *key, size_t klen)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(adapter_keys); i++) {
        if (strlen(adapter_keys[i]) == klen &&
            !strncmp(key, adapter_keys[i], klen)) {
            return true;
        }
    }
    return false;
}

/*
 * The kind and its detail are picked out for the dialog; the backend's
 * other options are kept as text and checked by the -nic parser, so the
 * spec that comes back (vm_attach_spec) starts the same backend.  MAC,
 * link and capture have their own controls, so here they are refused
 * rather than quietly applied.
 */
bool vm_attach_parse(const char *spec, VmAttachment *out, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
    VmAttachment a = {0};
    GString *opts = g_string_new(NULL);
    bool ok = false;

    if (!parts[0] || !attach_kind_from_name(parts[0], &a.kind)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "attachment '%s': unknown type (expected none, user, "
                    "local, bridge, tap or vde)",
                    spec);
        goto out;
    }
    const char *key = detail_keys[a.kind];
    for (unsigned i = 1; parts[i]; i++) {
        const char *eq = strchr(parts[i], '=');
        size_t klen = eq ? (size_t)(eq - parts[i]) : strlen(parts[i]);
        if (!eq || !klen) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "attachment '%s': option '%s' needs a name and a "
                        "value (commas inside values are not allowed here)",
                        spec, parts[i]);
            goto out;
        }
        if (attach_is_adapter_key(parts[i], klen)) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "attachment '%s': %.*s= belongs to the adapter, not "
                        "to its attachment",
                        spec, (int)klen, parts[i]);
            goto out;
        }
        if (!key || strlen(key) != klen || strncmp(parts[i], key, klen)) {
            g_string_append_printf(opts, "%s%s", opts->len ? "," : "",
                                   parts[i]);
            continue;
        }
        if (a.detail[0]) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "attachment '%s': %s given twice", spec, key);
            goto out;
        }
        if (!attach_check_detail(a.kind, key, eq + 1, errp)) {
            goto out;
        }
        g_strlcpy(a.detail, eq + 1, sizeof(a.detail));
    }
    if (a.kind == VM_ATTACH_LOCAL && !a.detail[0]) {
        g_strlcpy(a.detail, VM_DEFAULT_SEGMENT, sizeof(a.detail));
    }
    if (key && !a.detail[0]) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "attachment '%s': %s needs %s=", spec, parts[0], key);
        goto out;
    }
    if (opts->len >= sizeof(a.opts)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "attachment '%s': options longer than %d characters", spec,
                    VM_ATTACH_OPTS_MAX - 1);
        goto out;
    }
    g_strlcpy(a.opts, opts->str, sizeof(a.opts));
    if (a.opts[0]) {
        g_autofree char *full = vm_attach_spec(&a);
        NetNicConfig nic = {0};
        GError *err = NULL;
        if (!net_nic_config_parse(full, &nic, &err)) {
            const char *why = err->message;
            if (g_str_has_prefix(why, "-nic: ")) {
                why += 6;
            }
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "attachment '%s': %s", spec, why);
            g_error_free(err);
            goto out;
        }
        net_nic_config_clear(&nic);
    }
    *out = a;
    ok = true;
out:
    g_string_free(opts, TRUE);
    return ok;
}

bool vm_attach_from_nic(const char *nic_spec, VmAttachment *out, GError **errp)
{
    GString *attach = g_string_new(NULL);
    const char *p = nic_spec;
    bool ok;

    /* Items are split at single commas; ",," stays inside its value. */
    while (*p) {
        const char *end = p;
        while (*end && !(end[0] == ',' && end[1] != ',')) {
            end += end[0] == ',' ? 2 : 1;
        }
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq || !attach_is_adapter_key(p, (size_t)(eq - p))) {
            g_string_append_printf(attach, "%s%.*s", attach->len ? "," : "",
                                   (int)(end - p), p);
        }
        p = *end ? end + 1 : end;
    }
    ok = vm_attach_parse(attach->str, out, errp);
    g_string_free(attach, TRUE);
    return ok;
}

/* The inverse of vm_attach_parse(): the result parses back equal. */
char *vm_attach_spec(const VmAttachment *a)
{
    const char *key =
        (unsigned)a->kind < VM_ATTACH__COUNT ? detail_keys[a->kind] : NULL;
    GString *s = g_string_new(vm_attach_kind_name(a->kind));

    if (key) {
        g_string_append_printf(s, ",%s=%s", key, a->detail);
    }
    if (a->opts[0]) {
        g_string_append_printf(s, ",%s", a->opts);
    }
    return g_string_free(s, FALSE);
}

bool vm_attach_equal(const VmAttachment *a, const VmAttachment *b)
{
    return a->kind == b->kind && !strcmp(a->detail, b->detail) &&
           !strcmp(a->opts, b->opts);
}

/* Every slot gets usable settings, so raising the adapter count in the
 * dialog adds working NAT adapters, as Virtual PC does. */
void vm_config_defaults(VmConfig *c)
{
    memset(c, 0, sizeof(*c));
    c->adapters = 1;
    for (unsigned i = 0; i < VM_MAX_ADAPTERS; i++) {
        c->adapter[i].attach.kind = VM_ATTACH_USER;
        c->adapter[i].link = true;
    }
}

/* Adapter index from "adapterN", or -1. */
static int config_adapter_group(const char *group)
{
    if (strncmp(group, "adapter", 7) || !g_ascii_isdigit(group[7]) ||
        group[8]) {
        return -1;
    }
    int n = group[7] - '0';
    return n < VM_MAX_ADAPTERS ? n : -1;
}

/*
 * GKeyFile returns what it could make of a value with a bad escape
 * sequence and sets an error beside it: such a value is refused, never
 * used half-read.
 */
static char *config_get_string(GKeyFile *kf, const char *group, const char *key,
                               GError **errp)
{
    GError *err = NULL;
    char *val = g_key_file_get_string(kf, group, key, &err);

    if (err) {
        g_error_free(err);
        g_free(val);
        emu_error_invalid(errp, "config",
                          "[%s] %s: unreadable value (a bad escape "
                          "sequence or not UTF-8)",
                          group, key);
        return NULL;
    }
    return val;
}

/*
 * The attachment is read first because it decides which detail key is
 * allowed; then each key is checked in file order so the error names the
 * first offending one.
 */
static bool config_load_adapter(GKeyFile *kf, const char *group,
                                VmAdapterConfig *a, GError **errp)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    g_autofree char *kind_name = NULL;
    GError *err = NULL;

    if (g_key_file_has_key(kf, group, "attachment", NULL)) {
        kind_name = config_get_string(kf, group, "attachment", errp);
        if (!kind_name) {
            return false;
        }
    }
    if (kind_name && !attach_kind_from_name(kind_name, &a->attach.kind)) {
        return emu_error_invalid(errp, "config",
                                 "[%s] attachment=%s: unknown (expected none, "
                                 "user, local, bridge, tap or vde)",
                                 group, kind_name);
    }
    const char *detail_key = file_detail_keys[a->attach.kind];
    for (unsigned i = 0; keys && keys[i]; i++) {
        const char *k = keys[i];
        g_autofree char *val = config_get_string(kf, group, k, errp);
        if (!val) {
            return false;
        }
        if (!strcmp(k, "attachment")) {
            continue;
        }
        if (!strcmp(k, "segment") || !strcmp(k, "ifname") ||
            !strcmp(k, "sock")) {
            if (!detail_key || strcmp(k, detail_key)) {
                return emu_error_invalid(errp, "config",
                                         "[%s] %s= does not apply to "
                                         "attachment=%s",
                                         group, k,
                                         vm_attach_kind_name(a->attach.kind));
            }
            if (!attach_check_detail(a->attach.kind, k, val, &err)) {
                emu_error_invalid(errp, "config", "[%s] %s", group,
                                  err->message);
                g_error_free(err);
                return false;
            }
            g_strlcpy(a->attach.detail, val, sizeof(a->attach.detail));
        } else if (!strcmp(k, "options")) {
            if (strlen(val) >= sizeof(a->attach.opts)) {
                return emu_error_invalid(errp, "config",
                                         "[%s] options: longer than %d "
                                         "characters",
                                         group, VM_ATTACH_OPTS_MAX - 1);
            }
            g_strlcpy(a->attach.opts, val, sizeof(a->attach.opts));
        } else if (!strcmp(k, "mac")) {
            if (!net_mac_parse(val, a->mac, &err)) {
                /* net_mac_parse speaks of "-nic: mac=...": keep its reason. */
                const char *why = strstr(err->message, "mac=");
                emu_error_invalid(errp, "config", "[%s] %s", group,
                                  why ? why : err->message);
                g_error_free(err);
                return false;
            }
            a->has_mac = true;
        } else if (!strcmp(k, "link")) {
            a->link = g_key_file_get_boolean(kf, group, k, &err);
            if (err) {
                g_error_free(err);
                return emu_error_invalid(errp, "config",
                                         "[%s] link=%s: expected true or false",
                                         group, val);
            }
        } else if (!strcmp(k, "capture")) {
            if (strlen(val) >= sizeof(a->capture)) {
                return emu_error_invalid(errp, "config",
                                         "[%s] capture: path too long", group);
            }
            g_strlcpy(a->capture, val, sizeof(a->capture));
        } else {
            return emu_error_invalid(
                errp, "config",
                "[%s] unknown key '%s' (known: attachment, "
                "segment, ifname, sock, options, mac, link, capture)",
                group, k);
        }
    }
    if (a->attach.kind == VM_ATTACH_LOCAL && !a->attach.detail[0]) {
        g_strlcpy(a->attach.detail, VM_DEFAULT_SEGMENT,
                  sizeof(a->attach.detail));
    }
    if (detail_key && !a->attach.detail[0]) {
        return emu_error_invalid(
            errp, "config", "[%s] attachment=%s needs %s=", group,
            vm_attach_kind_name(a->attach.kind), detail_key);
    }
    if (a->attach.opts[0]) {
        /* Checked as the spec it becomes, so a start cannot refuse it. */
        g_autofree char *spec = vm_attach_spec(&a->attach);
        VmAttachment back;
        if (!vm_attach_parse(spec, &back, &err)) {
            emu_error_invalid(errp, "config", "[%s] options=%s: %s", group,
                              a->attach.opts, err->message);
            g_error_free(err);
            return false;
        }
    }
    return true;
}

static bool config_load_vm(GKeyFile *kf, VmConfig *c, GError **errp)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "vm", NULL, NULL);

    for (unsigned i = 0; keys && keys[i]; i++) {
        g_autofree char *val = config_get_string(kf, "vm", keys[i], errp);
        if (!val) {
            return false;
        }
        if (strcmp(keys[i], "adapters")) {
            return emu_error_invalid(errp, "config",
                                     "[vm] unknown key '%s' (known: adapters)",
                                     keys[i]);
        }
        char *end = NULL;
        long n = val ? strtol(val, &end, 10) : 0;
        if (!val || !*val || *end || n < 1 || n > VM_MAX_ADAPTERS) {
            return emu_error_invalid(
                errp, "config",
                "[vm] adapters=%s: expected a number from 1 "
                "to %d",
                val ? val : "", VM_MAX_ADAPTERS);
        }
        c->adapters = (unsigned)n;
    }
    return true;
}

/* One address on two adapters of the VM could not start. */
static bool config_macs_unique(const VmConfig *c, GError **errp)
{
    char text[18];

    for (unsigned i = 0; i < c->adapters; i++) {
        for (unsigned j = i + 1; j < c->adapters; j++) {
            const VmAdapterConfig *a = &c->adapter[i], *b = &c->adapter[j];
            if (a->has_mac && b->has_mac && !memcmp(a->mac, b->mac, 6)) {
                return emu_error_invalid(errp, "config",
                                         "[adapter%u] mac=%s: also the MAC "
                                         "of [adapter%u]",
                                         j, net_mac_format(b->mac, text), i);
            }
        }
    }
    return true;
}

/* Sections may come in any order.  An [adapterN] past [vm] adapters is
 * loaded (raising the count brings it back) but a save drops it. */
static bool config_load_keyfile(VmConfig *c, GKeyFile *kf, GError **errp)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

    for (unsigned i = 0; groups[i]; i++) {
        int idx = config_adapter_group(groups[i]);
        bool ok;
        if (!strcmp(groups[i], "vm")) {
            ok = config_load_vm(kf, c, errp);
        } else if (idx >= 0) {
            ok = config_load_adapter(kf, groups[i], &c->adapter[idx], errp);
        } else {
            return emu_error_invalid(errp, "config",
                                     "unknown section [%s] (known: [vm], "
                                     "[adapter0] to [adapter%d])",
                                     groups[i], VM_MAX_ADAPTERS - 1);
        }
        if (!ok) {
            return false;
        }
    }
    return config_macs_unique(c, errp);
}

/* Absent keys keep their defaults; a failed load resets everything so a
 * caller never runs with half a file. */
bool vm_config_load_data(VmConfig *c, const char *data, GError **errp)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *err = NULL;

    vm_config_defaults(c);
    if (!g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE,
                                   &err)) {
        emu_error_invalid(errp, "config", "%s", err->message);
        g_error_free(err);
        return false;
    }
    if (!config_load_keyfile(c, kf, errp)) {
        vm_config_defaults(c);
        return false;
    }
    return true;
}

bool vm_config_load(VmConfig *c, const char *path, GError **errp)
{
    g_autofree char *data = NULL;
    GError *err = NULL;

    vm_config_defaults(c);
    if (!g_file_get_contents(path, &data, NULL, &err)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "config: %s",
                    err->message);
        g_error_free(err);
        return false;
    }
    if (!vm_config_load_data(c, data, &err)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID, "%s: %s", path,
                    err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

/* Only the adapters in use, and only the detail key their attachment
 * takes, so the file loads back under the strict rules above. */
char *vm_config_to_data(const VmConfig *c)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    char mac[18];

    g_key_file_set_integer(kf, "vm", "adapters", (int)c->adapters);
    for (unsigned i = 0; i < c->adapters && i < VM_MAX_ADAPTERS; i++) {
        const VmAdapterConfig *a = &c->adapter[i];
        g_autofree char *group = g_strdup_printf("adapter%u", i);
        const char *dkey = file_detail_keys[a->attach.kind];
        g_key_file_set_string(kf, group, "attachment",
                              vm_attach_kind_name(a->attach.kind));
        if (dkey) {
            g_key_file_set_string(kf, group, dkey, a->attach.detail);
        }
        if (a->attach.opts[0]) {
            g_key_file_set_string(kf, group, "options", a->attach.opts);
        }
        if (a->has_mac) {
            g_key_file_set_string(kf, group, "mac",
                                  net_mac_format(a->mac, mac));
        }
        g_key_file_set_boolean(kf, group, "link", a->link);
        if (a->capture[0]) {
            g_key_file_set_string(kf, group, "capture", a->capture);
        }
    }
    return g_key_file_to_data(kf, NULL, NULL);
}

/* g_file_set_contents() writes a temporary file and renames it over the
 * old one: a crash never leaves half a config behind. */
bool vm_config_save(const VmConfig *c, const char *path, GError **errp)
{
    g_autofree char *data = vm_config_to_data(c);
    GError *err = NULL;

    if (!g_file_set_contents(path, data, -1, &err)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "config: %s",
                    err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

char *vm_adapter_nic_spec(const VmAdapterConfig *a)
{
    g_autofree char *attach = vm_attach_spec(&a->attach);
    GString *s = g_string_new(attach);
    char mac[18];

    if (a->has_mac) {
        g_string_append_printf(s, ",mac=%s", net_mac_format(a->mac, mac));
    }
    if (!a->link) {
        g_string_append(s, ",link=off");
    }
    if (a->capture[0]) {
        /* -nic doubles a comma inside a value. */
        g_auto(GStrv) parts = g_strsplit(a->capture, ",", -1);
        g_autofree char *esc = g_strjoinv(",,", parts);
        g_string_append_printf(s, ",capture=%s", esc);
    }
    return g_string_free(s, FALSE);
}
