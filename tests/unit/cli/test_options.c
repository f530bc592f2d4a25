/*
 * Every command-line option, and every error message a user can get from
 * one (architecture.md "Command line").
 */
#include <criterion/criterion.h>
#include "options.h"
#include "emu/log.h"

static CliConfig cfg;

static void setup(void)
{
    cli_config_init(&cfg);
}

static void teardown(void)
{
    cli_config_clear(&cfg);
    emu_trace_mask = 0;
    log_set_enabled(LOG_GUEST_ERROR | LOG_UNIMP | LOG_WARN);
}

TestSuite(cli, .init = setup, .fini = teardown);

/* Parse a NULL-terminated argument list (without argv[0]). */
static bool parse(GError **errp, ...)
{
    const char *args[32] = {"tulipvm"};
    int n = 1;
    va_list ap;
    va_start(ap, errp);
    for (const char *a; (a = va_arg(ap, const char *));) {
        args[n++] = a;
    }
    va_end(ap);
    return cli_parse(n, (char **)args, &cfg, errp);
}

/* Expect failure with a message containing every given fragment. */
#define EXPECT_ERROR(frag, ...)                                                \
    do {                                                                       \
        GError *e_ = NULL;                                                     \
        cli_config_clear(&cfg);                                                \
        cr_assert_not(parse(&e_, __VA_ARGS__, NULL), "accepted");              \
        cr_assert_not_null(e_);                                                \
        cr_assert(strstr(e_->message, frag), "message '%s' lacks '%s'",        \
                  e_->message, frag);                                          \
        g_error_free(e_);                                                      \
    } while (0)

Test(cli, no_options_give_the_default_vm)
{
    cr_assert(parse(NULL, NULL));
    cr_assert_eq(cfg.ram_mb, CLI_DEFAULT_RAM_MB);
    cr_assert_null(cfg.kernel);
    cr_assert_eq(cfg.n_nics, 0, "the frontend adds the default user NIC");
    cr_assert_eq(cfg.display, CLI_DISPLAY_DEFAULT);
    cr_assert_eq(cfg.serial, CLI_SERIAL_DEFAULT);
}

Test(cli, m_takes_mib_with_optional_suffix)
{
    cr_assert(parse(NULL, "-m", "256", NULL));
    cr_assert_eq(cfg.ram_mb, 256);
    cr_assert(parse(NULL, "-m", "1G", NULL));
    cr_assert_eq(cfg.ram_mb, 1024);
    cr_assert(parse(NULL, "--m", "64M", NULL));
    cr_assert_eq(cfg.ram_mb, 64);
}

Test(cli, m_rejects_sizes_out_of_range_or_malformed)
{
    EXPECT_ERROR("-m: '8' is not a RAM size between 16 and 3072 MiB", "-m",
                 "8");
    EXPECT_ERROR("-m: '4096'", "-m", "4096");
    EXPECT_ERROR("-m: '12x'", "-m", "12x");
    EXPECT_ERROR("-m: '-128'", "-m", "-128");
    EXPECT_ERROR("-m: '5G'", "-m", "5G");
    EXPECT_ERROR("-m needs a value: -m MB", "-m");
}

Test(cli, boot_files_and_command_line)
{
    cr_assert(parse(NULL, "-kernel", "bz", "-initrd", "rd", "-append",
                    "console=ttyS0 quiet", NULL));
    cr_assert_str_eq(cfg.kernel, "bz");
    cr_assert_str_eq(cfg.initrd, "rd");
    cr_assert_str_eq(cfg.append, "console=ttyS0 quiet");
    cr_assert(parse(NULL, "-append", "", NULL));
    cr_assert(cfg.append_given);
    cr_assert_str_eq(cfg.append, "");
}

Test(cli, boot_option_errors)
{
    EXPECT_ERROR("-kernel: the value is empty", "-kernel", "");
    EXPECT_ERROR("-initrd needs -kernel", "-initrd", "rd");
    EXPECT_ERROR("-bios and -kernel exclude each other", "-bios", "rom",
                 "-kernel", "bz");
    EXPECT_ERROR("-append needs a value", "-append");
}

Test(cli, bios_is_stored)
{
    cr_assert(parse(NULL, "-bios", "test386.bin", NULL));
    cr_assert_str_eq(cfg.bios, "test386.bin");
}

Test(cli, nographic_means_no_window_and_serial_on_stdio)
{
    cr_assert(parse(NULL, "-nographic", NULL));
    cr_assert_eq(cfg.display, CLI_DISPLAY_NONE);
    cr_assert_eq(cfg.serial, CLI_SERIAL_STDIO);
    cli_config_clear(&cfg);
    cr_assert(parse(NULL, "-serial", "none", "-nographic", NULL));
    cr_assert_eq(cfg.serial, CLI_SERIAL_NONE, "explicit -serial wins");
}

Test(cli, display_choices)
{
    cr_assert(parse(NULL, "-display", "sdl", NULL));
    cr_assert_eq(cfg.display, CLI_DISPLAY_SDL);
    cr_assert(parse(NULL, "-display", "none", NULL));
    cr_assert_eq(cfg.display, CLI_DISPLAY_NONE);
    EXPECT_ERROR("-display: 'gtk' is not sdl or none", "-display", "gtk");
}

Test(cli, serial_choices)
{
    cr_assert(parse(NULL, "-serial", "stdio", NULL));
    cr_assert_eq(cfg.serial, CLI_SERIAL_STDIO);
    cr_assert(parse(NULL, "-serial", "file:/tmp/boot.log", NULL));
    cr_assert_eq(cfg.serial, CLI_SERIAL_FILE);
    cr_assert_str_eq(cfg.serial_path, "/tmp/boot.log");
    cr_assert(parse(NULL, "-serial", "none", NULL));
    cr_assert_eq(cfg.serial, CLI_SERIAL_NONE);
    EXPECT_ERROR("-serial: 'file:' is not stdio, file:PATH or none", "-serial",
                 "file:");
    EXPECT_ERROR("-serial: 'tcp:1234'", "-serial", "tcp:1234");
}

Test(cli, name_is_stored_and_must_not_be_empty)
{
    cr_assert(parse(NULL, "-name", "lab-vm", NULL));
    cr_assert_str_eq(cfg.name, "lab-vm");
    EXPECT_ERROR("-name: the value is empty", "-name", "");
}

Test(cli, up_to_four_nics_in_order)
{
    cr_assert(parse(NULL, "-nic", "user,hostfwd=tcp::2222-:22", "-nic",
                    "local,net=lab", "-nic", "none", "-nic",
                    "user,mac=00:03:ff:00:00:09,link=off", NULL));
    cr_assert_eq(cfg.n_nics, 4);
    cr_assert_eq(cfg.nic[0].type, NET_BACKEND_USER);
    cr_assert_eq(cfg.nic[0].n_hostfwd, 1);
    cr_assert_eq(cfg.nic[1].type, NET_BACKEND_LOCAL);
    cr_assert_str_eq(cfg.nic[1].segment, "lab");
    cr_assert_eq(cfg.nic[2].type, NET_BACKEND_NONE);
    cr_assert(cfg.nic[3].has_mac);
    cr_assert_eq(cfg.nic[3].mac[5], 9);
    cr_assert_not(cfg.nic[3].link_up);
    cr_assert_str_eq(cfg.nic_spec[1], "local,net=lab");
}

Test(cli, fifth_nic_is_refused)
{
    EXPECT_ERROR("-nic none: a VM has at most 4 network adapters", "-nic",
                 "user", "-nic", "user", "-nic", "user", "-nic", "user", "-nic",
                 "none");
}

Test(cli, one_mac_on_two_adapters_is_refused)
{
    EXPECT_ERROR("-nic: mac=00:03:ff:00:00:05 is given to adapters 1 and 3",
                 "-nic", "user,mac=00:03:ff:00:00:05", "-nic", "none", "-nic",
                 "local,mac=00:03:FF:00:00:05");
    cr_assert_eq(cfg.n_nics, 2, "the duplicate is not kept");
    cli_config_clear(&cfg);
    cr_assert(parse(NULL, "-nic", "user,mac=00:03:ff:00:00:05", "-nic",
                    "user,mac=00:03:ff:00:00:06", NULL));
}

Test(cli, malformed_nic_names_the_option_and_the_problem)
{
    EXPECT_ERROR("-nic user,mac=01:03:ff:00:00:01:", "-nic",
                 "user,mac=01:03:ff:00:00:01");
    EXPECT_ERROR("multicast", "-nic", "user,mac=01:03:ff:00:00:01");
    EXPECT_ERROR("-nic user,mac=00:03:ff:00:00", "-nic",
                 "user,mac=00:03:ff:00:00");
    EXPECT_ERROR("-nic user,hostfwd=tcp::70000-:22:", "-nic",
                 "user,hostfwd=tcp::70000-:22");
    EXPECT_ERROR("-nic wifi:", "-nic", "wifi");
    EXPECT_ERROR("-nic user,speed=10:", "-nic", "user,speed=10");
}

Test(cli, trace_and_log_lists)
{
    cr_assert(parse(NULL, "-trace", "tulip,pci", "-d", "guest_errors", NULL));
    cr_assert(trace_on(TRACE_TULIP));
    cr_assert(trace_on(TRACE_PCI));
    cr_assert_not(trace_on(TRACE_CPU));
    cr_assert_eq(log_enabled(), LOG_GUEST_ERROR);
    EXPECT_ERROR("-trace: unknown name 'tulpi'", "-trace", "tulpi");
    EXPECT_ERROR("-d: unknown name 'everything'", "-d", "everything");
}

Test(cli, config_control_and_clock)
{
    cr_assert(parse(NULL, "-config", "vm.ini", "-control", "unix:/tmp/c.sock",
                    "-cpu-mhz", "500", NULL));
    cr_assert_str_eq(cfg.config_path, "vm.ini");
    cr_assert_str_eq(cfg.control_path, "/tmp/c.sock");
    cr_assert_eq(cfg.cpu_mhz, 500);
    EXPECT_ERROR("-control: 'tcp:9' is not unix:PATH", "-control", "tcp:9");
    EXPECT_ERROR("-control: 'unix:' is not unix:PATH", "-control", "unix:");
    EXPECT_ERROR("-cpu-mhz: '5' is not a clock between 10 and 4000 MHz",
                 "-cpu-mhz", "5");
    EXPECT_ERROR("-cpu-mhz: 'fast'", "-cpu-mhz", "fast");
    EXPECT_ERROR("-config: the value is empty", "-config", "");
}

Test(cli, flags)
{
    cr_assert(parse(NULL, "-stats", "-no-reboot", "-guest-decompress", NULL));
    cr_assert(cfg.stats);
    cr_assert(cfg.no_reboot);
    cr_assert(cfg.guest_decompress);
    cr_assert(parse(NULL, "-help", NULL));
    cr_assert(cfg.help);
    cr_assert(parse(NULL, "--version", NULL));
    cr_assert(cfg.version);
}

Test(cli, every_option_that_takes_a_value_says_so_when_it_is_last)
{
    static const char *const valued[][2] = {
        {"-m", "MB"},
        {"-kernel", "FILE"},
        {"-initrd", "FILE"},
        {"-append", "CMDLINE"},
        {"-bios", "FILE"},
        {"-display", "sdl|none"},
        {"-serial", "stdio|file:PATH|none"},
        {"-name", "NAME"},
        {"-nic", "TYPE[,opt=value...]"},
        {"-trace", "LIST"},
        {"-d", "LIST"},
        {"-config", "FILE"},
        {"-control", "unix:PATH"},
        {"-cpu-mhz", "MHZ"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(valued); i++) {
        g_autofree char *want =
            g_strdup_printf("%s needs a value: %s %s", valued[i][0],
                            valued[i][0], valued[i][1]);
        EXPECT_ERROR(want, "-stats", valued[i][0]);
    }
}

Test(cli, empty_file_names_are_refused)
{
    EXPECT_ERROR("-initrd: the value is empty", "-kernel", "bz", "-initrd", "");
    EXPECT_ERROR("-bios: the value is empty", "-bios", "");
}

Test(cli, short_help_and_single_dash_version)
{
    cr_assert(parse(NULL, "-h", NULL));
    cr_assert(cfg.help);
    cr_assert(parse(NULL, "-version", NULL));
    cr_assert(cfg.version);
}

Test(cli, trace_all_and_log_none)
{
    cr_assert(parse(NULL, "-trace", "all", "-d", "none", NULL));
    cr_assert(trace_on(TRACE_TULIP));
    cr_assert(trace_on(TRACE_CPU));
    cr_assert_eq(log_enabled(), 0);
    cr_assert_str_eq(cfg.trace, "all");
    cr_assert_str_eq(cfg.log, "none");
}

Test(cli, nic_errors_from_the_command_line_name_the_field)
{
    EXPECT_ERROR("-nic tap,ifname=: -nic: ifname=: a value is required", "-nic",
                 "tap,ifname=");
    EXPECT_ERROR("-nic user,hostfwd=tcp::2222-:65536: ", "-nic",
                 "user,hostfwd=tcp::2222-:65536");
    EXPECT_ERROR("guest port '65536' is not a port (1-65535)", "-nic",
                 "user,hostfwd=tcp::2222-:65536");
    EXPECT_ERROR("-nic user,mac=00:03:ff:00:00:01x: ", "-nic",
                 "user,mac=00:03:ff:00:00:01x");
    EXPECT_ERROR("'restrict' does not apply to type local", "-nic",
                 "local,restrict=on");
    /* A rejected -nic does not count towards the four. */
    cli_config_clear(&cfg);
    cr_assert_not(parse(NULL, "-nic", "user,link=maybe", NULL));
    cr_assert_eq(cfg.n_nics, 0);
}

Test(cli, unknown_options_and_stray_words_are_named)
{
    EXPECT_ERROR("unknown option '-hda' (see tulipvm -help)", "-hda", "x");
    EXPECT_ERROR("unexpected argument 'disk.img'", "disk.img");
}

Test(cli, help_documents_every_option_with_examples)
{
    g_autofree char *h = cli_help_text();
    const char *opts[] = {
        "-m MB",      "-kernel FILE",      "-initrd FILE", "-append",
        "-bios FILE", "-nographic",        "-display",     "-serial",
        "-name NAME", "-nic TYPE",         "-trace LIST",  "-d LIST",
        "-config",    "-control",          "-cpu-mhz",     "-stats",
        "-no-reboot", "-guest-decompress", "-help",        "-version",
        "hostfwd=",   "Examples:"};
    for (size_t i = 0; i < G_N_ELEMENTS(opts); i++) {
        cr_assert(strstr(h, opts[i]), "help lacks %s", opts[i]);
    }
}

/* Every -nic type and option net/nic_opts.c accepts, by the name a user
 * types, and an example for each kind of attachment. */
Test(cli, help_documents_every_nic_type_and_option)
{
    g_autofree char *h = cli_help_text();
    /* Words joined by single spaces: the help wraps at 78 columns. */
    GString *flat = g_string_new(NULL);
    for (const char *p = h; *p; p++) {
        bool space = *p == ' ' || *p == '\n';
        if (!space) {
            g_string_append_c(flat, *p);
        } else if (flat->len && flat->str[flat->len - 1] != ' ') {
            g_string_append_c(flat, ' ');
        }
    }
    static const char *const want[] = {"user (",
                                       "local (",
                                       "bridge (",
                                       "tap (",
                                       "vde (",
                                       "none (",
                                       "mac=",
                                       "model=",
                                       "link=on|off",
                                       "capture=",
                                       "rate=",
                                       "promisc=",
                                       "macspoof=",
                                       "hostfwd=",
                                       "restrict=",
                                       "net=CIDR",
                                       "net=NAME",
                                       "dhcp=",
                                       "hostaccess=",
                                       "ifname=",
                                       "sock=",
                                       "-nic user,hostfwd=tcp::2222-:22",
                                       "-nic local,net=lab",
                                       "-nic none",
                                       "-nic bridge,ifname=",
                                       "-config vm.ini",
                                       "-control unix:",
                                       "-serial file:"};
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        cr_assert(strstr(flat->str, want[i]), "help lacks %s", want[i]);
    }
    /* An example is never broken across lines, so it can be copied. */
    static const char *const whole[] = {
        "-m 256",
        "-append \"console=ttyS0 quiet\"",
        "-serial file:boot.log",
        "-nic user,hostfwd=tcp::2222-:22",
        "-nic bridge,ifname=eth0",
        "-trace tulip,pci",
        "-d guest_errors",
        "-config vm.ini",
        "-control unix:/tmp/vm.sock",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(whole); i++) {
        cr_assert(strstr(h, whole[i]), "help breaks or lacks %s", whole[i]);
    }
    cr_assert_null(strchr(h, '\037'), "no hard-space marker left");
    /* Defaults a user needs to know are stated. */
    cr_assert(strstr(flat->str, "hostaccess=on|off (default off"));
    cr_assert(strstr(flat->str, "link=on|off (cable, default on)"));
    /* No line is wider than a terminal. */
    g_auto(GStrv) lines = g_strsplit(h, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        cr_assert_leq(strlen(lines[i]), 80, "too wide: %s", lines[i]);
    }
    g_string_free(flat, TRUE);
}
