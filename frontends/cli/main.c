/*
 * tulipvm: the command-line frontend.
 *
 * Builds a PC from the options (architecture.md "Command line"), attaches
 * each adapter to its network, loads Linux (the prepared default guest
 * unless -kernel or -bios says otherwise) and runs the emulation loop.
 * The serial console goes to stdio (raw mode on a terminal; Ctrl-A X
 * quits), a file or nowhere.  With a window (-display sdl, the default when
 * a display exists) the machine gets a VGA text screen and the kernel its
 * VGA console, the keyboard goes to the guest's i8042, and the window is
 * polled at about 60 Hz from the emulation loop's GLib context, as the
 * control socket is.
 */
#include "options.h"
#include "keyfeed.h"
#include "control.h"
#include "devices/pc.h"
#include "devices/vga.h"
#include "gui.h"
#include "emu/loader.h"
#include "emu/log.h"
#include "net/attach.h"
#include "vm.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#ifndef TULIPVM_GUEST_DIR
#define TULIPVM_GUEST_DIR "cache/guest"
#endif

/* Fast-boot command line for the default guest (pc-platform.md 3.10). */
#define DEFAULT_APPEND                                                         \
    "console=ttyS0 acpi=off noapic nolapic cryptomgr.notests noisapnp "        \
    "pnpbios=off tsc=reliable rdinit=/init"

typedef struct App {
    CliConfig cli;
    Pc *pc;
    Clock *clock;
    NetAttachment *att[PC_MAX_NICS];
    int n_nics;
    FILE *serial_out;
    bool stdin_raw;
    struct termios saved_tio;
    guint stdin_watch;
    uint8_t pending_in[256];
    size_t pending_len;
    bool escape;       /* Ctrl-A seen on the console */
    VmConfig settings; /* -config FILE, overridden by the command line */
    MachineVm vm;
    Control *control;
    bool windowed; /* -display sdl, or a display exists */
    bool have_vga;
    Vga vga;
    Gui *gui;
    guint gui_timer;
    KeyFeed keys;        /* the window's key events on their way to the i8042 */
    GHashTable *widgets; /* id -> SDL_Rect, the window's last layout */
} App;

static void serial_tx(void *opaque, const uint8_t *buf, size_t len)
{
    App *app = opaque;
    if (app->serial_out) {
        fwrite(buf, 1, len, app->serial_out);
        fflush(app->serial_out);
    }
}

static gboolean stdin_ready(gint fd, GIOCondition cond, gpointer opaque);

/* Push console input into the UART; keep what does not fit. */
static void serial_push_pending(App *app)
{
    size_t n = uart_receive(&app->pc->com1, app->pending_in, app->pending_len);
    memmove(app->pending_in, app->pending_in + n, app->pending_len - n);
    app->pending_len -= n;
    if (!app->pending_len && !app->stdin_watch) {
        app->stdin_watch = g_unix_fd_add(0, G_IO_IN, stdin_ready, app);
    }
}

static void serial_rx_ready(void *opaque)
{
    App *app = opaque;
    if (app->pending_len) {
        serial_push_pending(app);
    }
}

static gboolean stdin_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    App *app = opaque;
    uint8_t buf[sizeof(app->pending_in)];
    ssize_t n = read(fd, buf, sizeof(buf));
    (void)cond;

    if (n <= 0) {
        app->stdin_watch = 0;
        return G_SOURCE_REMOVE; /* end of input: the guest keeps running */
    }
    for (ssize_t i = 0; i < n; i++) {
        uint8_t c = buf[i];
        if (app->stdin_raw && app->escape) {
            app->escape = false;
            if (c == 'x' || c == 'X') {
                pc_request_quit(app->pc);
                continue;
            }
            if (c != 0x01) {
                continue;
            }
        } else if (app->stdin_raw && c == 0x01) {
            app->escape = true;
            continue;
        }
        if (app->pending_len < sizeof(app->pending_in)) {
            app->pending_in[app->pending_len++] = c;
        }
    }
    serial_push_pending(app);
    if (app->pending_len) {
        app->stdin_watch = 0; /* resume from rx_ready */
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void console_raw(App *app)
{
    struct termios t;
    if (!isatty(0) || tcgetattr(0, &app->saved_tio)) {
        return;
    }
    t = app->saved_tio;
    cfmakeraw(&t);
    t.c_oflag |= OPOST | ONLCR; /* keep our own messages readable */
    if (!tcsetattr(0, TCSANOW, &t)) {
        app->stdin_raw = true;
    }
}

static void console_restore(App *app)
{
    if (app->stdin_raw) {
        tcsetattr(0, TCSANOW, &app->saved_tio);
        app->stdin_raw = false;
    }
}

static gboolean on_signal(gpointer opaque)
{
    App *app = opaque;
    pc_request_quit(app->pc);
    return G_SOURCE_CONTINUE;
}

static char *guest_file(const char *name)
{
    const char *dir = g_getenv("TULIPVM_GUEST_DIR");
    return g_build_filename(dir ? dir : TULIPVM_GUEST_DIR, name, NULL);
}

static bool app_boot(App *app, GError **errp)
{
    CliConfig *c = &app->cli;
    CpuEntryState entry;
    g_autofree char *kernel = NULL, *initrd = NULL, *append = NULL;

    if (c->bios) {
        g_autofree uint8_t *rom = NULL;
        gsize len;
        if (!g_file_get_contents(c->bios, (gchar **)&rom, &len, errp)) {
            g_prefix_error(errp, "-bios: ");
            return false;
        }
        return cpu_load_bios(app->pc->cpu, rom, len, errp);
    }
    if (c->kernel) {
        kernel = g_strdup(c->kernel);
        initrd = g_strdup(c->initrd);
        append = g_strdup(c->append_given ? c->append : "");
    } else {
        kernel = guest_file("vmlinuz");
        initrd = guest_file("initrd.img");
        /* The last console= is /dev/console: the shell goes to the
         * window when there is one. */
        append = g_strdup_printf(
            "%s tsc_early_khz=%" G_GUINT64_FORMAT "%s%s%s", DEFAULT_APPEND,
            clock_freq(app->pc->clock) / 1000,
            app->have_vga ? " console=tty0" : "", c->append_given ? " " : "",
            c->append_given ? c->append : "");
        if (!g_file_test(kernel, G_FILE_TEST_EXISTS)) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "the default guest is missing (%s): run "
                        "scripts/build-guest.sh, or give -kernel",
                        kernel);
            return false;
        }
    }
    if (!linux_load_files(app->pc->mem, kernel, initrd, append,
                          c->guest_decompress, &entry, errp)) {
        return false;
    }
    if (app->have_vga && !linux_set_vga_text_console(app->pc->mem, errp)) {
        return false;
    }
    pc_apply_linux_entry(app->pc, &entry);
    return true;
}

static void app_quit(void *opaque)
{
    App *app = opaque;
    pc_request_quit(app->pc);
}

/*
 * The adapters: -nic options when given, else those of -config FILE, else
 * one on Shared networking.  The settings then describe what runs, so the
 * dialog and the control socket start from the truth.
 */
static bool app_settings(App *app, GError **errp)
{
    CliConfig *c = &app->cli;
    VmConfig *s = &app->settings;

    vm_config_defaults(s);
    if (c->config_path && g_file_test(c->config_path, G_FILE_TEST_EXISTS) &&
        !vm_config_load(s, c->config_path, errp)) {
        g_prefix_error(errp, "-config: ");
        return false;
    }
    if (c->n_nics == 0) {
        unsigned n = c->config_path ? s->adapters : 1;
        for (unsigned i = 0; i < n; i++) {
            char *spec = vm_adapter_nic_spec(&s->adapter[i]);
            if (!net_nic_config_parse(spec, &c->nic[i], errp)) {
                g_prefix_error(errp, "-config %s: adapter%u: ",
                               c->config_path ? c->config_path : "", i);
                g_free(spec);
                return false;
            }
            c->nic_spec[i] = spec;
            c->n_nics = (int)i + 1;
        }
        return true;
    }
    s->adapters = (unsigned)c->n_nics;
    for (int i = 0; i < c->n_nics; i++) {
        VmAdapterConfig *a = &s->adapter[i];
        machine_vm_attachment_from(&c->nic[i], c->nic_spec[i], &a->attach);
        a->has_mac = c->nic[i].has_mac;
        memcpy(a->mac, c->nic[i].mac, 6);
        a->link = c->nic[i].link_up;
        g_strlcpy(a->capture, c->nic[i].capture ? c->nic[i].capture : "",
                  sizeof(a->capture));
    }
    return true;
}

static bool app_build(App *app, GError **errp)
{
    CliConfig *c = &app->cli;
    PcConfig pcfg = {0};
    NetAttachEnv env = {NULL, NULL, c->name ? c->name : "tulipvm"};

    if (!app_settings(app, errp)) {
        return false;
    }
    app->n_nics = c->n_nics;

    pcfg.ram_size = c->ram_mb << 20;
    pcfg.cpu_hz = (uint64_t)c->cpu_mhz * 1000000u;
    pcfg.rtc_start = g_get_real_time() / G_USEC_PER_SEC;
    pcfg.serial = (UartBackend){serial_tx, serial_rx_ready, app};
    pcfg.n_nics = app->n_nics;
    pcfg.no_reboot = c->no_reboot;

    /* Attachments first: they choose and reserve each adapter's MAC, which
     * the adapter's serial ROM carries from power-on. */
    app->clock = clock_new(pcfg.cpu_hz ? pcfg.cpu_hz : PC_DEFAULT_CPU_HZ);
    pcfg.clock = app->clock;
    env.clock = app->clock;
    env.ctx = g_main_context_default();
    for (int n = 0; n < app->n_nics; n++) {
        app->att[n] = net_attachment_new(&env, &c->nic[n], (unsigned)n, errp);
        if (!app->att[n]) {
            g_prefix_error(
                errp, "-nic %s: ", c->nic_spec[n] ? c->nic_spec[n] : "user");
            return false;
        }
        tulip_config_default(&pcfg.nic[n]);
        if (!tulip_parse_model(c->nic[n].model[0] ? c->nic[n].model : "dc21140",
                               &pcfg.nic[n].model, errp)) {
            g_prefix_error(
                errp, "-nic %s: ", c->nic_spec[n] ? c->nic_spec[n] : "user");
            return false;
        }
        memcpy(pcfg.nic[n].mac, net_attachment_mac(app->att[n]), 6);
        pcfg.nic[n].rate_mbps = (unsigned)(c->nic[n].rate_bps / 1000000u);
        pcfg.nic[n].link_up =
            c->nic[n].link_up && c->nic[n].type != NET_BACKEND_NONE;
    }
    app->pc = pc_new(&pcfg, errp);
    if (!app->pc) {
        return false;
    }
    machine_vm_init(&app->vm, &app->settings, app_quit, app);
    for (int n = 0; n < app->n_nics; n++) {
        net_attachment_plug(app->att[n], pc_nic_port(app->pc, n));
        machine_vm_add(&app->vm, app->att[n], pc_nic_port(app->pc, n),
                       &c->nic[n], c->nic_spec[n]);
    }
    return true;
}

static void keys_to_kbc(void *opaque, const uint8_t *set1, size_t len)
{
    App *app = opaque;
    keyfeed_put(&app->keys, set1, len);
}

static void widget_seen(void *opaque, const char *id, SDL_Rect r)
{
    App *app = opaque;
    g_hash_table_insert(app->widgets, g_strdup(id), g_memdup2(&r, sizeof(r)));
}

static gboolean gui_tick(gpointer opaque)
{
    App *app = opaque;
    keyfeed_pump(&app->keys);
    if (!gui_poll(app->gui, 0)) {
        app->gui_timer = 0; /* closed: the VM was asked to quit */
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* The VGA joins the machine before the kernel is loaded (screen_info). */
static bool app_open_vga(App *app, GError **errp)
{
    if (!app->windowed) {
        return true;
    }
    if (!vga_init(&app->vga, app->pc->mem, app->pc->io, errp)) {
        return false;
    }
    app->have_vga = true;
    return true;
}

static bool app_open_window(App *app, GError **errp)
{
    GuiConfig gc = {
        .vga = &app->vga,
        .vm = machine_vm_control(&app->vm),
        .cfg = &app->settings,
        .cfg_path = app->cli.config_path,
        .key_fn = keys_to_kbc,
        .key_opaque = app,
        .title = app->cli.name ? app->cli.name : "tulipvm",
        .widget_fn = widget_seen,
        .widget_opaque = app,
    };

    if (!app->windowed) {
        return true;
    }
    app->widgets =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    keyfeed_init(&app->keys, &app->pc->kbc);
    app->gui = gui_new(&gc, errp);
    if (!app->gui) {
        return false;
    }
    app->gui_timer = g_timeout_add(16, gui_tick, app);
    return true;
}

/* Screen text as plain lines: CP437 beyond ASCII becomes '?'. */
static void control_screen_text(App *app, JsonBuilder *b)
{
    VgaTextScreen scr;

    vga_text_snapshot(&app->vga, &scr);
    json_builder_set_member_name(b, "rows");
    json_builder_begin_array(b);
    for (int r = 0; r < VGA_TEXT_ROWS; r++) {
        char line[VGA_TEXT_COLS + 1];
        int len = 0;
        for (int col = 0; col < VGA_TEXT_COLS; col++) {
            uint8_t ch = scr.cells[r][col].ch;
            line[col] = ch >= 0x20 && ch < 0x7F ? (char)ch : ch ? '?' : ' ';
            if (line[col] != ' ') {
                len = col + 1;
            }
        }
        line[len] = 0;
        json_builder_add_string_value(b, line);
    }
    json_builder_end_array(b);
    if (app->gui) {
        int cw, ch;
        gui_cell_size(app->gui, &cw, &ch);
        json_builder_set_member_name(b, "cell_w");
        json_builder_add_int_value(b, cw);
        json_builder_set_member_name(b, "cell_h");
        json_builder_add_int_value(b, ch);
    }
    json_builder_set_member_name(b, "cursor_row");
    json_builder_add_int_value(b, scr.cursor_row);
    json_builder_set_member_name(b, "cursor_col");
    json_builder_add_int_value(b, scr.cursor_col);
}

/* What the window adds to the control socket: screendump PATH (PNG),
 * screen_text (the VGA text rows) and widgets (the window's layout, for
 * scripts that click in it). */
static bool control_window_cmd(void *opaque, const char *cmd, JsonObject *req,
                               JsonBuilder *b, GError **errp)
{
    App *app = opaque;

    if (strcmp(cmd, "screendump") && strcmp(cmd, "screen_text") &&
        strcmp(cmd, "widgets")) {
        return false;
    }
    if (!app->gui) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "%s: there is no window (-display none)", cmd);
        return true;
    }
    if (!strcmp(cmd, "screendump")) {
        JsonNode *n = json_object_get_member(req, "path");
        if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
            json_node_get_value_type(n) != G_TYPE_STRING) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "screendump: missing \"path\" (a string)");
            return true;
        }
        gui_screenshot(app->gui, json_node_get_string(n), errp);
        return true;
    }
    if (!strcmp(cmd, "screen_text")) {
        control_screen_text(app, b);
        return true;
    }
    GHashTableIter it;
    gpointer key, val;
    json_builder_set_member_name(b, "widgets");
    json_builder_begin_object(b);
    g_hash_table_iter_init(&it, app->widgets);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        const SDL_Rect *r = val;
        json_builder_set_member_name(b, key);
        json_builder_begin_array(b);
        json_builder_add_int_value(b, r->x);
        json_builder_add_int_value(b, r->y);
        json_builder_add_int_value(b, r->w);
        json_builder_add_int_value(b, r->h);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    return true;
}

static bool app_open_control(App *app, GError **errp)
{
    ControlApi api = {machine_vm_control(&app->vm), control_window_cmd, app,
                      &app->settings, app->cli.config_path};

    if (!app->cli.control_path) {
        return true;
    }
    app->control = control_new(app->cli.control_path, &api,
                               g_main_context_default(), errp);
    return app->control != NULL;
}

static bool app_open_serial(App *app, GError **errp)
{
    CliConfig *c = &app->cli;
    CliSerial s = c->serial;

    if (s == CLI_SERIAL_DEFAULT) {
        s = app->windowed ? CLI_SERIAL_NONE : CLI_SERIAL_STDIO;
    }
    if (s == CLI_SERIAL_FILE) {
        app->serial_out = fopen(c->serial_path, "w");
        if (!app->serial_out) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "-serial file:%s: %s",
                        c->serial_path, g_strerror(errno));
            return false;
        }
    } else if (s == CLI_SERIAL_STDIO) {
        app->serial_out = stdout;
        console_raw(app);
        app->stdin_watch = g_unix_fd_add(0, G_IO_IN, stdin_ready, app);
    }
    return true;
}

static void app_free(App *app)
{
    control_free(app->control);
    if (app->gui_timer) {
        g_source_remove(app->gui_timer);
    }
    gui_free(app->gui);
    if (app->keys.pending) {
        keyfeed_destroy(&app->keys);
    }
    if (app->widgets) {
        g_hash_table_destroy(app->widgets);
    }
    if (app->stdin_watch) {
        g_source_remove(app->stdin_watch);
    }
    console_restore(app);
    for (int n = 0; n < PC_MAX_NICS; n++) {
        if (app->att[n]) {
            net_attachment_free(app->att[n]);
        }
    }
    if (app->have_vga) {
        vga_destroy(&app->vga);
    }
    pc_free(app->pc);
    clock_free(app->clock);
    if (app->serial_out && app->serial_out != stdout) {
        fclose(app->serial_out);
    }
    cli_config_clear(&app->cli);
}

int main(int argc, char **argv)
{
    App app = {0};
    g_autoptr(GError) err = NULL;
    int status = 0;

    cli_config_init(&app.cli);
    if (!cli_parse(argc, argv, &app.cli, &err)) {
        fprintf(stderr, "tulipvm: %s\n", err->message);
        cli_config_clear(&app.cli);
        return 2;
    }
    if (app.cli.help) {
        g_autofree char *h = cli_help_text();
        fputs(h, stdout);
        cli_config_clear(&app.cli);
        return 0;
    }
    if (app.cli.version) {
        printf("tulipvm %s\n", TULIPVM_VERSION);
        cli_config_clear(&app.cli);
        return 0;
    }
    app.windowed =
        app.cli.display == CLI_DISPLAY_SDL ||
        (app.cli.display == CLI_DISPLAY_DEFAULT && gui_display_available());

    if (!app_build(&app, &err) || !app_open_vga(&app, &err) ||
        !app_boot(&app, &err) || !app_open_window(&app, &err) ||
        !app_open_control(&app, &err) || !app_open_serial(&app, &err)) {
        fprintf(stderr, "tulipvm: %s\n", err->message);
        app_free(&app);
        return 1;
    }
    g_unix_signal_add(SIGINT, on_signal, &app);
    g_unix_signal_add(SIGTERM, on_signal, &app);

    int64_t t0 = g_get_monotonic_time();
    for (;;) {
        PcExit why = pc_run(app.pc, NULL);
        if (why != PC_EXIT_RESET) {
            break;
        }
        if (app.cli.no_reboot) {
            break;
        }
        pc_reset(app.pc);
        if (app.have_vga) {
            vga_reset(&app.vga);
        }
        if (!app_boot(&app, &err)) {
            fprintf(stderr, "tulipvm: reboot: %s\n", err->message);
            status = 1;
            break;
        }
    }
    console_restore(&app);
    if (app.cli.stats) {
        double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
        uint64_t insns = cpu_insn_count(app.pc->cpu);
        fprintf(stderr,
                "tulipvm: %" G_GUINT64_FORMAT
                " guest instructions in %.3f s: %.1f MIPS\n",
                insns, secs, secs > 0 ? (double)insns / secs / 1e6 : 0.0);
    }
    app_free(&app);
    return status;
}
