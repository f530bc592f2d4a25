/*
 * tulipvm-gui-demo: the SDL window on a fake VM and a real VGA device whose
 * text is written through its MMIO window and CRTC ports as a guest's
 * console driver would.  The GUI tests run it under Xvfb.
 *
 * Options: --config FILE, --host-ifaces a,b, --adapters N, --attach0 SPEC,
 * --software, --own-config (the window keeps its own settings).
 *
 * It prints one line per event on stdout:
 *   ready W H CELL_W CELL_H    the first frame is on screen
 *   widget ID X Y W H          a widget appeared or moved
 *   vm: CALL                   the frontend called the VM ("reattach 0 none")
 *   scancodes XX ...           key bytes for the guest
 *   dialog open|closed
 *   dialog-error MESSAGE       OK was refused ("" once the error is gone)
 *   shot-ok PATH | shot-error MESSAGE | echo TEXT
 * and reads commands on stdin: "shot PATH", "traffic TX RX", "drops TX RX"
 * (adapter 0), "settings", "echo TEXT", "quit", and guest-side console
 * writes: "puts ROW COL ATTR TEXT" (ATTR in hex), "cursor ROW COL",
 * "start CELLS" (scrolling).
 */
#include "devices/vga.h"
#include "fake_vm.h"
#include "gui.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct Demo {
    MemMap *mem;
    Bus *io;
    Vga vga;
    FakeVm vm;
    Gui *gui;
    GHashTable *widgets; /* id -> "x y w h" last printed */
    GString *in;
    bool quit;
} Demo;

static void demo_print(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void demo_print(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void demo_vm_log(void *opaque, const char *line)
{
    (void)opaque;
    demo_print("vm: %s", line);
}

static void demo_keys(void *opaque, const uint8_t *set1, size_t len)
{
    GString *s = g_string_new("scancodes");
    (void)opaque;
    for (size_t i = 0; i < len; i++) {
        g_string_append_printf(s, " %02x", set1[i]);
    }
    demo_print("%s", s->str);
    g_string_free(s, TRUE);
}

static void demo_widget(void *opaque, const char *id, SDL_Rect r)
{
    Demo *d = opaque;
    char *pos = g_strdup_printf("%d %d %d %d", r.x, r.y, r.w, r.h);
    const char *old = g_hash_table_lookup(d->widgets, id);
    if (old && !strcmp(old, pos)) {
        g_free(pos);
        return;
    }
    demo_print("widget %s %s", id, pos);
    g_hash_table_insert(d->widgets, g_strdup(id), pos);
}

/* Console output the way vgacon produces it: stores into 0xB8000. */
static void guest_puts(Demo *d, unsigned row, unsigned col, const char *s,
                       uint8_t attr)
{
    unsigned cell = row * VGA_TEXT_COLS + col;
    for (; *s; s++, cell++) {
        mem_write(d->mem, VGA_TEXT_BASE + cell * 2,
                  (uint32_t)(attr << 8 | (uint8_t)*s), 2);
    }
}

static void guest_cursor(Demo *d, unsigned row, unsigned col)
{
    unsigned pos = row * VGA_TEXT_COLS + col;
    bus_write(d->io, 0x3D4, 0x0E | (pos & 0xFF00), 2);
    bus_write(d->io, 0x3D4, 0x0F | ((pos << 8) & 0xFF00), 2);
}

static void guest_boot_text(Demo *d)
{
    static const char *const lines[] = {
        "Linux version 6.1.0-50-686 (debian-kernel@lists.debian.org)",
        "Command line: console=tty0 console=ttyS0",
        "Console: colour VGA+ 80x25",
        "",
        "tulip: Linux Tulip driver version 1.1.15 (Feb 27, 2007)",
        "tulip0: EEPROM default media type Autosense",
        "net eth0: Digital DS21140 Tulip rev 34 at Port 0xc000,"
        " 00:03:ff:00:00:01, IRQ 11",
        "udhcpc: lease of 10.0.2.15 obtained from 10.0.2.2",
    };
    unsigned row = 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(lines); i++) {
        guest_puts(d, row++, 0, lines[i], 0x07);
    }
    /* CP437 box drawing and colours, as a text-mode program draws them. */
    guest_puts(d, 10, 2,
               "\xC9\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xBB",
               0x1F);
    guest_puts(d, 11, 2, "\xBA tulipvm    \xBA", 0x1F);
    guest_puts(d, 12, 2,
               "\xC8\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xCD\xBC",
               0x1F);
    guest_puts(d, 11, 20, " link up ", 0x2F);
    guest_puts(d, 11, 30, " 10.0.2.15 ", 0x4E);
    /* A single-line table and the block characters. */
    guest_puts(d, 16, 2, "\xDA\xC4\xC4\xC4\xC4\xC4\xC2\xC4\xC4\xC4\xC4\xBF",
               0x07);
    guest_puts(d, 17, 2, "\xB3 eth0\xB3 up \xB3", 0x07);
    guest_puts(d, 18, 2, "\xC0\xC4\xC4\xC4\xC4\xC4\xC1\xC4\xC4\xC4\xC4\xD9",
               0x07);
    guest_puts(d, 17, 20, "\xDB\xDB\xDB\xDB\xB2\xB2\xB1\xB1\xB0\xB0", 0x0E);
    guest_puts(d, 14, 0, "tulipvm:/# ", 0x07);
    guest_cursor(d, 14, 11);
}

static void demo_command(Demo *d, const char *line)
{
    if (g_str_has_prefix(line, "shot ")) {
        GError *err = NULL;
        if (gui_screenshot(d->gui, line + 5, &err)) {
            demo_print("shot-ok %s", line + 5);
        } else {
            demo_print("shot-error %s", err->message);
            g_error_free(err);
        }
    } else if (g_str_has_prefix(line, "traffic ")) {
        unsigned tx = 0, rx = 0;
        if (sscanf(line + 8, "%u %u", &tx, &rx) == 2) {
            fake_vm_traffic(&d->vm, tx, rx);
        }
    } else if (g_str_has_prefix(line, "drops ")) {
        unsigned tx = 0, rx = 0;
        if (sscanf(line + 6, "%u %u", &tx, &rx) == 2) {
            d->vm.ad[0].tx_dropped += tx;
            d->vm.ad[0].rx_dropped += rx;
        }
    } else if (g_str_has_prefix(line, "puts ")) {
        unsigned row, col, attr;
        int at = 0;
        if (sscanf(line + 5, "%u %u %x %n", &row, &col, &attr, &at) == 3 &&
            row < VGA_TEXT_ROWS && col < VGA_TEXT_COLS) {
            guest_puts(d, row, col, line + 5 + at, (uint8_t)attr);
        }
    } else if (g_str_has_prefix(line, "cursor ")) {
        unsigned row, col;
        if (sscanf(line + 7, "%u %u", &row, &col) == 2) {
            guest_cursor(d, row, col);
        }
    } else if (g_str_has_prefix(line, "start ")) {
        /* vgacon scrolling: CRTC start address in character cells. */
        unsigned cells = (unsigned)atoi(line + 6);
        bus_write(d->io, 0x3D4, 0x0C | (cells & 0xFF00), 2);
        bus_write(d->io, 0x3D4, 0x0D | ((cells << 8) & 0xFF00), 2);
    } else if (!strcmp(line, "settings")) {
        gui_open_settings(d->gui);
    } else if (g_str_has_prefix(line, "echo ")) {
        demo_print("echo %s", line + 5);
    } else if (!strcmp(line, "quit")) {
        d->quit = true;
    }
}

static void demo_read_stdin(Demo *d)
{
    char buf[512];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

    if (n == 0) {
        d->quit = true; /* the test went away */
        return;
    }
    if (n < 0) {
        return;
    }
    g_string_append_len(d->in, buf, n);
    char *nl;
    while ((nl = strchr(d->in->str, '\n'))) {
        *nl = 0;
        demo_command(d, d->in->str);
        g_string_erase(d->in, 0, nl - d->in->str + 1);
    }
}

int main(int argc, char **argv)
{
    Demo d = {0};
    VmConfig cfg;
    const char *cfg_path = NULL, *attach0 = NULL;
    g_auto(GStrv) ifaces = NULL;
    unsigned adapters = 1;
    bool software = false, own_config = false;
    GError *err = NULL;

    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--software")) {
            software = true;
        } else if (!strcmp(argv[i], "--own-config")) {
            own_config = true; /* the window keeps its own settings */
        } else if (!strcmp(argv[i], "--config") && val) {
            cfg_path = argv[++i];
        } else if (!strcmp(argv[i], "--host-ifaces") && val) {
            ifaces = g_strsplit(argv[++i], ",", -1);
        } else if (!strcmp(argv[i], "--adapters") && val) {
            adapters = (unsigned)atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--attach0") && val) {
            attach0 = argv[++i];
        } else {
            fprintf(stderr, "tulipvm-gui-demo: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (adapters < 1 || adapters > VM_MAX_ADAPTERS) {
        fprintf(stderr, "tulipvm-gui-demo: --adapters 1 to 4\n");
        return 2;
    }
    vm_config_defaults(&cfg);
    if (cfg_path && g_file_test(cfg_path, G_FILE_TEST_EXISTS) &&
        !vm_config_load(&cfg, cfg_path, &err)) {
        fprintf(stderr, "tulipvm-gui-demo: %s\n", err->message);
        return 2;
    }
    cfg.adapters = adapters;

    d.mem = mem_new(1024 * 1024, NULL);
    d.io = bus_new("io", 0xFFFF);
    if (!d.mem || !d.io || !vga_init(&d.vga, d.mem, d.io, &err)) {
        fprintf(stderr, "tulipvm-gui-demo: %s\n", err ? err->message : "?");
        return 1;
    }
    fake_vm_init(&d.vm, adapters);
    if (attach0 && !vm_attach_parse(attach0, &d.vm.ad[0].attach, &err)) {
        fprintf(stderr, "tulipvm-gui-demo: %s\n", err->message);
        return 2;
    }
    d.vm.ad[0].link_up = d.vm.ad[0].attach.kind != VM_ATTACH_NONE;
    d.vm.log_fn = demo_vm_log;
    d.widgets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    d.in = g_string_new(NULL);
    guest_boot_text(&d);

    GuiConfig gc = {
        .vga = &d.vga,
        .vm = fake_vm_control(&d.vm),
        .cfg = own_config ? NULL : &cfg,
        .cfg_path = cfg_path,
        .key_fn = demo_keys,
        .title = "tulipvm-demo",
        .host_ifaces = (const char *const *)ifaces,
        .software = software,
        .widget_fn = demo_widget,
        .widget_opaque = &d,
    };
    d.gui = gui_new(&gc, &err);
    if (!d.gui) {
        fprintf(stderr, "tulipvm-gui-demo: %s\n", err->message);
        return 1;
    }
    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    int cw, ch;
    gui_cell_size(d.gui, &cw, &ch);
    gui_poll(d.gui, 0);
    demo_print("ready %d %d %d %d", VGA_TEXT_COLS * cw, VGA_TEXT_ROWS * ch, cw,
               ch);
    bool was_open = false;
    char last_error[256] = "";
    while (!d.quit && !d.vm.quit_requested) {
        if (!gui_poll(d.gui, 10)) {
            break;
        }
        if (gui_settings_open(d.gui) != was_open) {
            was_open = !was_open;
            demo_print("dialog %s", was_open ? "open" : "closed");
        }
        if (strcmp(gui_settings_error(d.gui), last_error)) {
            g_strlcpy(last_error, gui_settings_error(d.gui),
                      sizeof(last_error));
            demo_print("dialog-error %s", last_error);
        }
        demo_read_stdin(&d);
    }
    gui_free(d.gui);
    TTF_Quit();
    SDL_Quit(); /* also closes SDL's D-Bus connection */
    g_string_free(d.in, TRUE);
    g_hash_table_destroy(d.widgets);
    fake_vm_destroy(&d.vm);
    vga_destroy(&d.vga);
    bus_free(d.io);
    mem_free(d.mem);
    return 0;
}
