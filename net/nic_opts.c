/*
 * tulipvm: -nic option parser (see net/nic_opts.h).
 *
 * Table-driven: each option names the backend types it applies to and a
 * parser for its value, so an option given to the wrong type gets its own
 * message instead of being ignored.
 */
#include "net/nic_opts.h"
#include "emu/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define T(x)      (1u << (x))
#define ALL_TYPES 0x3Fu

typedef bool (*OptParseFn)(NetNicConfig *cfg, const char *key, const char *val,
                           GError **errp);

typedef struct NicOptDesc {
    const char *key;
    unsigned types;
    bool repeatable;
    OptParseFn parse;
} NicOptDesc;

static const char *const type_names[] = {
    [NET_BACKEND_USER] = "user",     [NET_BACKEND_LOCAL] = "local",
    [NET_BACKEND_BRIDGE] = "bridge", [NET_BACKEND_TAP] = "tap",
    [NET_BACKEND_VDE] = "vde",       [NET_BACKEND_NONE] = "none",
};

const char *net_backend_type_name(NetBackendType t)
{
    return (unsigned)t < G_N_ELEMENTS(type_names) ? type_names[t] : "?";
}

static bool parse_on_off(const char *key, const char *val, bool *out,
                         GError **errp)
{
    if (!strcmp(val, "on")) {
        *out = true;
    } else if (!strcmp(val, "off")) {
        *out = false;
    } else {
        return emu_error_invalid(errp, "-nic", "%s=%s: expected on or off", key,
                                 val);
    }
    return true;
}

static bool parse_port(const char *what, const char *s, uint16_t *out,
                       GError **errp)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v < 1 || v > 65535 || s[0] == '-' ||
        s[0] == '+') {
        return emu_error_invalid(
            errp, "-nic", "hostfwd: %s '%s' is not a port (1-65535)", what, s);
    }
    *out = (uint16_t)v;
    return true;
}

bool net_mac_parse(const char *s, uint8_t mac[6], GError **errp)
{
    unsigned v[6];
    char sep;
    int n = 0;

    if (strlen(s) != 17) {
        return emu_error_invalid(errp, "-nic",
                                 "mac=%s: expected six hex bytes like "
                                 "00:03:ff:12:34:56",
                                 s);
    }
    sep = s[2];
    for (int i = 0; i < 6; i++) {
        const char *p = s + i * 3;
        if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]) ||
            (i < 5 && p[2] != sep) || (sep != ':' && sep != '-')) {
            return emu_error_invalid(errp, "-nic",
                                     "mac=%s: expected six hex bytes like "
                                     "00:03:ff:12:34:56",
                                     s);
        }
        v[i] = (unsigned)(g_ascii_xdigit_value(p[0]) << 4 |
                          g_ascii_xdigit_value(p[1]));
        n |= (int)v[i];
    }
    if (v[0] & 1) {
        return emu_error_invalid(errp, "-nic",
                                 "mac=%s: a multicast address cannot be an "
                                 "adapter's address",
                                 s);
    }
    if (!n) {
        return emu_error_invalid(errp, "-nic",
                                 "mac=%s: the all-zero address is invalid", s);
    }
    for (int i = 0; i < 6; i++) {
        mac[i] = (uint8_t)v[i];
    }
    return true;
}

static bool parse_ipv4(const char *what, const char *s, struct in_addr *out,
                       GError **errp)
{
    if (inet_pton(AF_INET, s, out) != 1) {
        return emu_error_invalid(
            errp, "-nic", "hostfwd: %s '%s' is not an IPv4 address", what, s);
    }
    return true;
}

/* "[ADDR]:PORT" with an optional address. */
static bool parse_addr_port(const char *what, const char *s,
                            struct in_addr *addr, uint16_t *port, GError **errp)
{
    const char *colon = strrchr(s, ':');
    g_autofree char *host = NULL;
    g_autofree char *msg = g_strdup_printf("%s address", what);
    g_autofree char *pmsg = g_strdup_printf("%s port", what);

    if (!colon) {
        return emu_error_invalid(errp, "-nic",
                                 "hostfwd: %s part '%s' must be "
                                 "[ADDRESS]:PORT",
                                 what, s);
    }
    host = g_strndup(s, (gsize)(colon - s));
    if (*host && !parse_ipv4(msg, host, addr, errp)) {
        return false;
    }
    return parse_port(pmsg, colon + 1, port, errp);
}

bool net_hostfwd_parse(const char *s, NetHostFwd *fwd, GError **errp)
{
    const char *rest;
    const char *dash;
    g_autofree char *hostpart = NULL;

    memset(fwd, 0, sizeof(*fwd));
    fwd->host_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (g_str_has_prefix(s, "tcp:")) {
        rest = s + 4;
    } else if (g_str_has_prefix(s, "udp:")) {
        fwd->udp = true;
        rest = s + 4;
    } else {
        return emu_error_invalid(errp, "-nic",
                                 "hostfwd=%s: must start with tcp: or udp: "
                                 "(tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:"
                                 "GUESTPORT)",
                                 s);
    }
    dash = strchr(rest, '-');
    if (!dash) {
        return emu_error_invalid(errp, "-nic",
                                 "hostfwd=%s: missing '-' between the host "
                                 "and guest parts",
                                 s);
    }
    hostpart = g_strndup(rest, (gsize)(dash - rest));
    if (!parse_addr_port("host", hostpart, &fwd->host_addr, &fwd->host_port,
                         errp)) {
        return false;
    }
    return parse_addr_port("guest", dash + 1, &fwd->guest_addr,
                           &fwd->guest_port, errp);
}

static bool opt_mac(NetNicConfig *cfg, const char *key, const char *val,
                    GError **errp)
{
    (void)key;
    cfg->has_mac = true;
    return net_mac_parse(val, cfg->mac, errp);
}

static bool opt_model(NetNicConfig *cfg, const char *key, const char *val,
                      GError **errp)
{
    (void)key;
    /* The adapter models tulipvm emulates (devices/tulip, TulipModel). */
    if (strcmp(val, "dc21140") && strcmp(val, "dc21140-gpr")) {
        return emu_error_invalid(errp, "-nic",
                                 "model=%s: unknown NIC model (available: "
                                 "dc21140, dc21140-gpr)",
                                 val);
    }
    g_strlcpy(cfg->model, val, sizeof(cfg->model));
    return true;
}

static bool opt_link(NetNicConfig *cfg, const char *key, const char *val,
                     GError **errp)
{
    return parse_on_off(key, val, &cfg->link_up, errp);
}

static bool opt_capture(NetNicConfig *cfg, const char *key, const char *val,
                        GError **errp)
{
    if (!*val) {
        return emu_error_invalid(errp, "-nic", "%s=: a file name is required",
                                 key);
    }
    cfg->capture = g_strdup(val);
    return true;
}

static bool opt_rate(NetNicConfig *cfg, const char *key, const char *val,
                     GError **errp)
{
    char *end;
    uint64_t mult = 1;
    unsigned long long v;

    errno = 0;
    v = strtoull(val, &end, 10);
    if (end != val) {
        if (*end == 'K' || *end == 'k') {
            mult = 1000;
            end++;
        } else if (*end == 'M') {
            mult = 1000000;
            end++;
        } else if (*end == 'G') {
            mult = 1000000000;
            end++;
        }
    }
    if (end == val || *end || errno || !v || v > 10000000000ull / mult ||
        val[0] == '-') {
        return emu_error_invalid(errp, "-nic",
                                 "%s=%s: expected a bit rate like 10M or 100M",
                                 key, val);
    }
    cfg->rate_bps = v * mult;
    return true;
}

static bool opt_promisc(NetNicConfig *cfg, const char *key, const char *val,
                        GError **errp)
{
    if (!net_promisc_policy_parse(val, &cfg->promisc)) {
        return emu_error_invalid(errp, "-nic",
                                 "%s=%s: expected deny, allow-vms or allow-all",
                                 key, val);
    }
    return true;
}

static bool opt_macspoof(NetNicConfig *cfg, const char *key, const char *val,
                         GError **errp)
{
    if (!strcmp(val, "allow")) {
        cfg->allow_spoof = true;
    } else if (!strcmp(val, "deny")) {
        cfg->allow_spoof = false;
    } else {
        return emu_error_invalid(errp, "-nic", "%s=%s: expected deny or allow",
                                 key, val);
    }
    return true;
}

static bool opt_hostfwd(NetNicConfig *cfg, const char *key, const char *val,
                        GError **errp)
{
    (void)key;
    if (cfg->n_hostfwd >= NET_MAX_HOSTFWD) {
        return emu_error_invalid(errp, "-nic",
                                 "hostfwd: at most %d forwards per adapter",
                                 NET_MAX_HOSTFWD);
    }
    if (!net_hostfwd_parse(val, &cfg->hostfwd[cfg->n_hostfwd], errp)) {
        return false;
    }
    cfg->n_hostfwd++;
    return true;
}

static bool opt_restrict(NetNicConfig *cfg, const char *key, const char *val,
                         GError **errp)
{
    return parse_on_off(key, val, &cfg->restricted, errp);
}

static bool opt_hostaccess(NetNicConfig *cfg, const char *key, const char *val,
                           GError **errp)
{
    return parse_on_off(key, val, &cfg->hostaccess, errp);
}

static bool opt_dhcp(NetNicConfig *cfg, const char *key, const char *val,
                     GError **errp)
{
    return parse_on_off(key, val, &cfg->dhcp, errp);
}

/* net= is a CIDR for user and a segment name for local. */
static bool opt_net(NetNicConfig *cfg, const char *key, const char *val,
                    GError **errp)
{
    if (cfg->type == NET_BACKEND_LOCAL) {
        if (!*val || strlen(val) > 64 || strchr(val, '/') || val[0] == '.') {
            return emu_error_invalid(errp, "-nic",
                                     "%s=%s: a segment name is 1-64 "
                                     "characters without '/' or a leading "
                                     "'.'",
                                     key, val);
        }
        g_free(cfg->segment);
        cfg->segment = g_strdup(val);
        return true;
    }
    const char *slash = strchr(val, '/');
    g_autofree char *addr = NULL;
    char *end;
    unsigned long bits;

    if (!slash) {
        return emu_error_invalid(errp, "-nic",
                                 "%s=%s: expected A.B.C.D/N, e.g. "
                                 "10.0.2.0/24",
                                 key, val);
    }
    addr = g_strndup(val, (gsize)(slash - val));
    errno = 0;
    bits = strtoul(slash + 1, &end, 10);
    if (inet_pton(AF_INET, addr, &cfg->net_addr) != 1 || !slash[1] || *end ||
        errno) {
        return emu_error_invalid(errp, "-nic",
                                 "%s=%s: expected A.B.C.D/N, e.g. "
                                 "10.0.2.0/24",
                                 key, val);
    }
    /* slirp needs room for its host, DNS and 16 leases from .15 on. */
    if (bits < 8 || bits > 27) {
        return emu_error_invalid(
            errp, "-nic", "%s=%s: prefix length must be 8 to 27", key, val);
    }
    cfg->net_mask.s_addr = htonl(~0u << (32 - bits));
    if (cfg->net_addr.s_addr & ~cfg->net_mask.s_addr) {
        return emu_error_invalid(
            errp, "-nic", "%s=%s: host bits set; the network is %s/%lu", key,
            val,
            inet_ntoa(
                (struct in_addr){cfg->net_addr.s_addr & cfg->net_mask.s_addr}),
            bits);
    }
    cfg->has_net = true;
    return true;
}

static bool opt_string(char **dst, const char *key, const char *val,
                       GError **errp)
{
    if (!*val) {
        return emu_error_invalid(errp, "-nic", "%s=: a value is required", key);
    }
    g_free(*dst);
    *dst = g_strdup(val);
    return true;
}

static bool opt_ifname(NetNicConfig *cfg, const char *key, const char *val,
                       GError **errp)
{
    if (strlen(val) >= 16 || strchr(val, '/') || strchr(val, ' ')) {
        return emu_error_invalid(errp, "-nic",
                                 "%s=%s: not a valid interface name", key, val);
    }
    return opt_string(&cfg->ifname, key, val, errp);
}

static bool opt_sock(NetNicConfig *cfg, const char *key, const char *val,
                     GError **errp)
{
    return opt_string(&cfg->sock, key, val, errp);
}

// clang-format off
static const NicOptDesc nic_opts[] = {
    {"mac",        ALL_TYPES,              false, opt_mac},
    {"model",      ALL_TYPES,              false, opt_model},
    {"link",       ALL_TYPES,              false, opt_link},
    {"capture",    ALL_TYPES,              false, opt_capture},
    {"rate",       ALL_TYPES,              false, opt_rate},
    {"promisc",    ALL_TYPES,              false, opt_promisc},
    {"macspoof",   ALL_TYPES,              false, opt_macspoof},
    {"hostfwd",    T(NET_BACKEND_USER),    true,  opt_hostfwd},
    {"restrict",   T(NET_BACKEND_USER),    false, opt_restrict},
    {"hostaccess", T(NET_BACKEND_USER),    false, opt_hostaccess},
    {"net",        T(NET_BACKEND_USER) | T(NET_BACKEND_LOCAL), false, opt_net},
    {"dhcp",       T(NET_BACKEND_LOCAL),   false, opt_dhcp},
    {"ifname",     T(NET_BACKEND_BRIDGE) | T(NET_BACKEND_TAP), false,
                   opt_ifname},
    {"sock",       T(NET_BACKEND_VDE),     false, opt_sock},
};
// clang-format on

/*
 * Split at single commas; ",," is a literal comma (QEMU's convention), so
 * a capture path or vde URL containing commas can still be given.  The
 * first item is the type; it may not contain an escaped comma either.
 */
static GPtrArray *split_opts(const char *spec)
{
    GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);

    for (const char *p = spec; *p; p++) {
        if (*p == ',') {
            if (p[1] == ',') {
                g_string_append_c(cur, ',');
                p++;
                continue;
            }
            g_ptr_array_add(parts, g_string_free(cur, FALSE));
            cur = g_string_new(NULL);
            continue;
        }
        g_string_append_c(cur, *p);
    }
    g_ptr_array_add(parts, g_string_free(cur, FALSE));
    return parts;
}

static bool nic_config_parse(const char *spec, NetNicConfig *cfg, GError **errp)
{
    g_autoptr(GPtrArray) parts = split_opts(spec);
    const char *type = g_ptr_array_index(parts, 0);
    unsigned seen = 0;
    unsigned t;

    for (t = 0; t < G_N_ELEMENTS(type_names); t++) {
        if (!strcmp(type, type_names[t])) {
            break;
        }
    }
    if (t == G_N_ELEMENTS(type_names)) {
        return emu_error_invalid(errp, "-nic",
                                 "unknown type '%s' (expected user, local, "
                                 "bridge, tap, vde or none)",
                                 type);
    }
    cfg->type = (NetBackendType)t;
    for (unsigned i = 1; i < parts->len; i++) {
        const char *item = g_ptr_array_index(parts, i);
        const char *eq = strchr(item, '=');
        g_autofree char *key = NULL;
        const NicOptDesc *d = NULL;
        unsigned k;

        if (!*item) {
            return emu_error_invalid(errp, "-nic", "empty option in '%s'",
                                     spec);
        }
        if (!eq) {
            return emu_error_invalid(
                errp, "-nic", "option '%s' needs a value (%s=...)", item, item);
        }
        key = g_strndup(item, (gsize)(eq - item));
        for (k = 0; k < G_N_ELEMENTS(nic_opts); k++) {
            if (!strcmp(key, nic_opts[k].key)) {
                d = &nic_opts[k];
                break;
            }
        }
        if (!d) {
            return emu_error_invalid(errp, "-nic", "unknown option '%s'", key);
        }
        if (!(d->types & T(t))) {
            return emu_error_invalid(errp, "-nic",
                                     "option '%s' does not apply to type %s",
                                     key, type);
        }
        if (!d->repeatable && (seen & (1u << k))) {
            return emu_error_invalid(errp, "-nic", "option '%s' given twice",
                                     key);
        }
        seen |= 1u << k;
        if (!d->parse(cfg, key, eq + 1, errp)) {
            return false;
        }
    }
    if ((t == NET_BACKEND_BRIDGE || t == NET_BACKEND_TAP) && !cfg->ifname) {
        return emu_error_invalid(errp, "-nic", "type %s needs ifname=IFACE",
                                 type);
    }
    if (t == NET_BACKEND_VDE && !cfg->sock) {
        return emu_error_invalid(errp, "-nic", "type vde needs sock=URL");
    }
    if (t == NET_BACKEND_LOCAL && !cfg->segment) {
        cfg->segment = g_strdup("default");
    }
    return true;
}

bool net_nic_config_parse(const char *spec, NetNicConfig *cfg, GError **errp)
{
    memset(cfg, 0, sizeof(*cfg));
    g_strlcpy(cfg->model, "dc21140", sizeof(cfg->model));
    cfg->link_up = true;
    cfg->promisc = NET_PROMISC_DENY;
    if (!nic_config_parse(spec, cfg, errp)) {
        net_nic_config_clear(cfg);
        return false;
    }
    return true;
}

void net_nic_config_clear(NetNicConfig *cfg)
{
    g_free(cfg->capture);
    g_free(cfg->segment);
    g_free(cfg->ifname);
    g_free(cfg->sock);
    memset(cfg, 0, sizeof(*cfg));
}
