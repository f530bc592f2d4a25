/*
 * tulipvm: command-line parsing (see options.h).
 *
 * Options take the QEMU spelling: a single or double dash, and the value
 * as the next argument.  Nothing here validates files: the loader reports
 * a missing kernel with its path when it opens it.
 */
#include "options.h"
#include "emu/log.h"
#include "net/mac.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef enum CliOpt {
    OPT_M,
    OPT_KERNEL,
    OPT_INITRD,
    OPT_APPEND,
    OPT_BIOS,
    OPT_NOGRAPHIC,
    OPT_DISPLAY,
    OPT_SERIAL,
    OPT_NAME,
    OPT_NIC,
    OPT_TRACE,
    OPT_D,
    OPT_CONFIG,
    OPT_CONTROL,
    OPT_CPU_MHZ,
    OPT_STATS,
    OPT_NO_REBOOT,
    OPT_GUEST_DECOMPRESS,
    OPT_HELP,
    OPT_VERSION,
} CliOpt;

typedef struct CliOptDesc {
    const char *name;
    CliOpt opt;
    const char *arg; /* NULL: a flag */
    const char *help;
} CliOptDesc;

/* A space the help never breaks a line at: an example stays copyable. */
#define NB "\037"

// clang-format off
static const CliOptDesc cli_opts[] = {
    {"m", OPT_M, "MB", "guest RAM in MiB (16-3072, default 128); a M or G "
                       "suffix is accepted: -m" NB "256, -m" NB "1G"},
    {"kernel", OPT_KERNEL, "FILE", "Linux kernel (bzImage or vmlinux) to boot "
                                   "directly; default: the prepared Debian guest"},
    {"initrd", OPT_INITRD, "FILE", "initial ramdisk for -kernel"},
    {"append", OPT_APPEND, "CMDLINE", "kernel command line, e.g. "
                                      "-append" NB "\"console=ttyS0" NB
                                      "quiet\"; with the default guest it "
                                      "is added to the built-in one"},
    {"bios", OPT_BIOS, "FILE", "raw ROM image started from the reset vector "
                               "(F000:FFF0) instead of a direct Linux boot"},
    {"nographic", OPT_NOGRAPHIC, NULL, "no window; the serial console is on "
                                       "stdio (same as -display" NB "none "
                                       "-serial" NB "stdio)"},
    {"display", OPT_DISPLAY, "sdl|none", "sdl opens a window with the VGA "
                                         "console and the settings dialog "
                                         "(F12); the default when a display "
                                         "exists"},
    {"serial", OPT_SERIAL, "stdio|file:PATH|none",
     "where COM1 goes (default: stdio without a window, none with one), "
     "e.g. -serial" NB "file:boot.log"},
    {"name", OPT_NAME, "NAME", "VM name: window title, MAC derivation, "
                               "segment ownership"},
    {"nic", OPT_NIC, "TYPE[,opt=value...]",
     "a DEC 21140 adapter; up to 4, in PCI slot order (default: one user "
     "adapter, or those of -config). TYPE: user (Shared networking, NAT), "
     "local (Local only: net=NAME, default segment \"default\"; dhcp=on "
     "serves leases on it), bridge (ifname=IF, a host adapter), tap "
     "(ifname=IF), vde (sock=URL), none (not connected). Options for all: "
     "mac=00:03:ff:xx:xx:xx (default: derived from -name), "
     "model=dc21140|dc21140-gpr, link=on|off (cable, default on), "
     "capture=FILE.pcap, rate=10M|100M (default unpaced), "
     "promisc=deny|allow-vms|allow-all, macspoof=deny|allow. For user: "
     "hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT "
     "(repeatable), restrict=on|off, net=CIDR (default 10.0.2.0/24), "
     "hostaccess=on|off (default off: the guest cannot reach the host). "
     "A comma inside a value is written twice. Examples: "
     "-nic" NB "user,hostfwd=tcp::2222-:22 -nic" NB "local,net=lab "
     "-nic" NB "bridge,ifname=eth0 -nic" NB "none"},
    {"trace", OPT_TRACE, "LIST", "developer traces, e.g. -trace" NB
                                 "tulip,pci (or all)"},
    {"d", OPT_D, "LIST", "log classes printed: guest_errors,unimp,warn "
                         "(default all) or none, e.g. -d" NB "guest_errors"},
    {"config", OPT_CONFIG, "FILE",
     "INI file with the adapters (used when no -nic is given); the settings "
     "dialog and the control socket's next-start commands save to it, "
     "creating it if needed, e.g. -config" NB "vm.ini"},
    {"control", OPT_CONTROL, "unix:PATH",
     "line-delimited JSON control socket: list, set_link, reattach, "
     "capture_start, capture_stop, set_next_mac, set_next_adapters, quit, "
     "e.g. -control" NB "unix:/tmp/vm.sock"},
    {"cpu-mhz", OPT_CPU_MHZ, "MHZ", "nominal CPU clock and TSC rate "
                                    "(10-4000, default 200)"},
    {"stats", OPT_STATS, NULL, "print instructions executed, wall time and "
                               "MIPS at exit"},
    {"no-reboot", OPT_NO_REBOOT, NULL, "exit when the guest resets instead "
                                       "of rebooting"},
    {"guest-decompress", OPT_GUEST_DECOMPRESS, NULL,
     "let a bzImage decompress itself in the guest instead of on the host"},
    {"help", OPT_HELP, NULL, "print this help and exit (also -h)"},
    {"version", OPT_VERSION, NULL, "print the version and exit"},
};
// clang-format on

void cli_config_init(CliConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ram_mb = CLI_DEFAULT_RAM_MB;
}

void cli_config_clear(CliConfig *cfg)
{
    g_free(cfg->kernel);
    g_free(cfg->initrd);
    g_free(cfg->append);
    g_free(cfg->bios);
    g_free(cfg->serial_path);
    g_free(cfg->name);
    g_free(cfg->trace);
    g_free(cfg->log);
    g_free(cfg->config_path);
    g_free(cfg->control_path);
    for (int i = 0; i < cfg->n_nics; i++) {
        g_free(cfg->nic_spec[i]);
        net_nic_config_clear(&cfg->nic[i]);
    }
    cli_config_init(cfg);
}

static const CliOptDesc *cli_find(const char *arg)
{
    if (arg[0] != '-') {
        return NULL;
    }
    arg += arg[1] == '-' ? 2 : 1;
    for (size_t i = 0; i < G_N_ELEMENTS(cli_opts); i++) {
        if (!strcmp(arg, cli_opts[i].name)) {
            return &cli_opts[i];
        }
    }
    if (!strcmp(arg, "h")) {
        return cli_find("-help");
    }
    return NULL;
}

static bool cli_parse_ram(const char *v, uint64_t *mb, GError **errp)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end != v && *v != '-' && !errno) {
        if (!g_ascii_strcasecmp(end, "G")) {
            n = n > UINT32_MAX ? UINT64_MAX : n * 1024;
            end += 1;
        } else if (!g_ascii_strcasecmp(end, "M")) {
            end += 1;
        }
    }
    if (end == v || *end || *v == '-' || errno || n < CLI_MIN_RAM_MB ||
        n > CLI_MAX_RAM_MB) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "-m: '%s' is not a RAM size between %d and %d MiB", v,
                    CLI_MIN_RAM_MB, CLI_MAX_RAM_MB);
        return false;
    }
    *mb = n;
    return true;
}

static bool cli_set_string(char **slot, const char *opt, const char *v,
                           GError **errp)
{
    if (!*v) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "-%s: the value is empty", opt);
        return false;
    }
    g_free(*slot);
    *slot = g_strdup(v);
    return true;
}

/* Two adapters with one address would fight over it on every network;
 * say so here rather than when the second one claims it at start. */
static bool cli_mac_unique(const CliConfig *cfg, GError **errp)
{
    const NetNicConfig *n = &cfg->nic[cfg->n_nics];
    char text[18];

    if (!n->has_mac) {
        return true;
    }
    for (int i = 0; i < cfg->n_nics; i++) {
        if (cfg->nic[i].has_mac && !memcmp(cfg->nic[i].mac, n->mac, 6)) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "-nic: mac=%s is given to adapters %d and %d",
                        net_mac_format(n->mac, text), i + 1, cfg->n_nics + 1);
            return false;
        }
    }
    return true;
}

static bool cli_apply(CliConfig *cfg, const CliOptDesc *d, const char *v,
                      GError **errp)
{
    switch (d->opt) {
    case OPT_M:
        return cli_parse_ram(v, &cfg->ram_mb, errp);
    case OPT_KERNEL:
        return cli_set_string(&cfg->kernel, d->name, v, errp);
    case OPT_INITRD:
        return cli_set_string(&cfg->initrd, d->name, v, errp);
    case OPT_APPEND:
        g_free(cfg->append);
        cfg->append = g_strdup(v); /* an empty command line is valid */
        cfg->append_given = true;
        return true;
    case OPT_BIOS:
        return cli_set_string(&cfg->bios, d->name, v, errp);
    case OPT_NOGRAPHIC:
        cfg->display = CLI_DISPLAY_NONE;
        if (cfg->serial == CLI_SERIAL_DEFAULT) {
            cfg->serial = CLI_SERIAL_STDIO;
        }
        return true;
    case OPT_DISPLAY:
        if (!strcmp(v, "sdl")) {
            cfg->display = CLI_DISPLAY_SDL;
        } else if (!strcmp(v, "none")) {
            cfg->display = CLI_DISPLAY_NONE;
        } else {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "-display: '%s' is not sdl or none", v);
            return false;
        }
        return true;
    case OPT_SERIAL:
        if (!strcmp(v, "stdio")) {
            cfg->serial = CLI_SERIAL_STDIO;
        } else if (!strcmp(v, "none")) {
            cfg->serial = CLI_SERIAL_NONE;
        } else if (g_str_has_prefix(v, "file:") && v[5]) {
            cfg->serial = CLI_SERIAL_FILE;
            g_free(cfg->serial_path);
            cfg->serial_path = g_strdup(v + 5);
        } else {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "-serial: '%s' is not stdio, file:PATH or none", v);
            return false;
        }
        return true;
    case OPT_NAME:
        return cli_set_string(&cfg->name, d->name, v, errp);
    case OPT_NIC: {
        g_autoptr(GError) err = NULL;
        if (cfg->n_nics == CLI_MAX_NICS) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "-nic %s: a VM has at most %d network adapters", v,
                        CLI_MAX_NICS);
            return false;
        }
        if (!net_nic_config_parse(v, &cfg->nic[cfg->n_nics], &err)) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID, "-nic %s: %s", v,
                        err->message);
            return false;
        }
        if (!cli_mac_unique(cfg, errp)) {
            net_nic_config_clear(&cfg->nic[cfg->n_nics]);
            return false;
        }
        cfg->nic_spec[cfg->n_nics++] = g_strdup(v);
        return true;
    }
    case OPT_TRACE:
        if (!trace_parse(v, errp)) {
            return false;
        }
        return cli_set_string(&cfg->trace, d->name, v, errp);
    case OPT_D:
        if (!log_parse(v, errp)) {
            return false;
        }
        return cli_set_string(&cfg->log, d->name, v, errp);
    case OPT_CONFIG:
        return cli_set_string(&cfg->config_path, d->name, v, errp);
    case OPT_CONTROL:
        if (!g_str_has_prefix(v, "unix:") || !v[5]) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "-control: '%s' is not unix:PATH", v);
            return false;
        }
        g_free(cfg->control_path);
        cfg->control_path = g_strdup(v + 5);
        return true;
    case OPT_CPU_MHZ: {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (end == v || *end || *v == '-' || errno || n < 10 || n > 4000) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "-cpu-mhz: '%s' is not a clock between 10 and 4000 "
                        "MHz",
                        v);
            return false;
        }
        cfg->cpu_mhz = (unsigned)n;
        return true;
    }
    case OPT_STATS:
        cfg->stats = true;
        return true;
    case OPT_NO_REBOOT:
        cfg->no_reboot = true;
        return true;
    case OPT_GUEST_DECOMPRESS:
        cfg->guest_decompress = true;
        return true;
    case OPT_HELP:
        cfg->help = true;
        return true;
    case OPT_VERSION:
        cfg->version = true;
        return true;
    }
    return false;
}

bool cli_parse(int argc, char **argv, CliConfig *cfg, GError **errp)
{
    for (int i = 1; i < argc; i++) {
        const CliOptDesc *d = cli_find(argv[i]);
        const char *v = NULL;

        if (!d) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        argv[i][0] == '-'
                            ? "unknown option '%s' (see tulipvm -help)"
                            : "unexpected argument '%s' (options start with "
                              "'-'; see tulipvm -help)",
                        argv[i]);
            return false;
        }
        if (d->arg) {
            if (i + 1 >= argc) {
                g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                            "-%s needs a value: -%s %s", d->name, d->name,
                            d->arg);
                return false;
            }
            v = argv[++i];
        }
        if (!cli_apply(cfg, d, v, errp)) {
            return false;
        }
    }
    if (cfg->initrd && !cfg->kernel) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "-initrd needs -kernel (the default guest brings its own)");
        return false;
    }
    if (cfg->bios && cfg->kernel) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "-bios and -kernel exclude each other: a ROM boots from "
                    "the reset vector, -kernel boots Linux directly");
        return false;
    }
    return true;
}

char *cli_help_text(void)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(
        s,
        "tulipvm %s - a small PC emulator with DEC 21140 networking\n\n"
        "usage: tulipvm [options]\n"
        "With no -kernel, boots the default guest (Debian's i386 kernel with "
        "its\ntulip driver) with one adapter on Shared networking.\n\n",
        TULIPVM_VERSION);
    for (size_t i = 0; i < G_N_ELEMENTS(cli_opts); i++) {
        const CliOptDesc *d = &cli_opts[i];
        g_autofree char *head = g_strdup_printf(
            "-%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
        g_string_append_printf(s, "  %s\n", head);
        /* Wrap the description at 72 columns, indented. */
        g_auto(GStrv) words = g_strsplit(d->help, " ", -1);
        int col = 0;
        for (int w = 0; words[w]; w++) {
            int len = (int)strlen(words[w]);
            if (col == 0) {
                g_string_append(s, "      ");
                col = 6;
            } else if (col + 1 + len > 78) {
                g_string_append(s, "\n      ");
                col = 6;
            } else {
                g_string_append_c(s, ' ');
                col++;
            }
            g_strdelimit(words[w], NB, ' ');
            g_string_append(s, words[w]);
            col += len;
        }
        g_string_append_c(s, '\n');
    }
    g_string_append(
        s, "\nExamples:\n"
           "  tulipvm -nographic\n"
           "  tulipvm -nic user,hostfwd=tcp::8080-:80 -nic local,net=lab\n"
           "  tulipvm -nic bridge,ifname=eth0,mac=00:03:ff:12:34:56 -nic "
           "none,link=off\n"
           "  tulipvm -config vm.ini -control unix:/tmp/vm.sock\n"
           "  tulipvm -kernel bzImage -initrd initrd.img -append "
           "\"console=ttyS0\" \\\n"
           "      -serial file:boot.log\n");
    return g_string_free(s, FALSE);
}
