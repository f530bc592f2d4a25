/*
 * The real window: each test starts its own Xvfb (a free display chosen by
 * the server through -displayfd), runs tulipvm-gui-demo on it (a fake VM
 * and a VGA device filled through its MMIO window), drives it with xdotool
 * key presses and clicks, and checks PNG screenshots pixel by pixel and
 * the calls the frontend made on the VM.  Nothing sleeps blindly: every
 * wait is for a line from the demo or a window, with a deadline.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gui.h"
#include "settings.h"
#include "support/shot.h"
#include "support/xvfb.h"

#define WAIT_MS 8000

typedef struct Session {
    Xvfb x;
    GPid demo;
    int to_demo, from_demo;
    GString *buf;
    GPtrArray *lines; /* everything the demo printed */
    GHashTable *widgets;
    char wid[32];
    int console_w, console_h, cw, ch;
} Session;

static Session s;

static int64_t now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static void widget_line(const char *line)
{
    char id[64];
    SDL_Rect r;
    if (sscanf(line, "widget %63s %d %d %d %d", id, &r.x, &r.y, &r.w, &r.h) ==
        5) {
        g_hash_table_insert(s.widgets, g_strdup(id), g_memdup2(&r, sizeof(r)));
    }
}

/* The next line from the demo, or NULL at the deadline. */
static const char *read_line(int64_t deadline)
{
    for (;;) {
        char *nl = strchr(s.buf->str, '\n');
        if (nl) {
            char *line = g_strndup(s.buf->str, (gsize)(nl - s.buf->str));
            g_string_erase(s.buf, 0, nl - s.buf->str + 1);
            g_ptr_array_add(s.lines, line);
            widget_line(line);
            return line;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            return NULL;
        }
        struct pollfd pf = {s.from_demo, POLLIN, 0};
        if (poll(&pf, 1, (int)left) <= 0) {
            continue;
        }
        char tmp[4096];
        ssize_t n = read(s.from_demo, tmp, sizeof(tmp));
        if (n <= 0) {
            return NULL;
        }
        g_string_append_len(s.buf, tmp, n);
    }
}

static const char *wait_for(const char *prefix)
{
    int64_t deadline = now_ms() + WAIT_MS;
    const char *line;
    while ((line = read_line(deadline))) {
        if (g_str_has_prefix(line, prefix)) {
            return line;
        }
    }
    cr_assert_fail("the demo never printed '%s'", prefix);
    return NULL;
}

static bool seen(const char *prefix)
{
    for (unsigned i = 0; i < s.lines->len; i++) {
        if (g_str_has_prefix(g_ptr_array_index(s.lines, i), prefix)) {
            return true;
        }
    }
    return false;
}

static void send_cmd(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void send_cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *line = g_strconcat(cmd, "\n", NULL);
    cr_assert_eq(write(s.to_demo, line, strlen(line)), (ssize_t)strlen(line));
}

static void start_demo(const char *extra)
{
    g_autofree char *cmd = g_strdup_printf(
        "'%s' --software --host-ifaces eth0,veth-lab %s", GUI_DEMO, extra);
    g_auto(GStrv) argv = NULL;
    GError *err = NULL;

    s.buf = g_string_new(NULL);
    s.lines = g_ptr_array_new_with_free_func(g_free);
    s.widgets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    xvfb_start(&s.x);
    cr_assert(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    cr_assert(g_spawn_async_with_pipes(
                  NULL, argv, s.x.env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                  &s.demo, &s.to_demo, &s.from_demo, NULL, &err),
              "%s", err ? err->message : "");
    const char *ready = wait_for("ready ");
    cr_assert_eq(sscanf(ready, "ready %d %d %d %d", &s.console_w, &s.console_h,
                        &s.cw, &s.ch),
                 4);
    g_autofree char *wid =
        xvfb_xdotool(&s.x, "search --sync --name '^tulipvm-demo$'");
    g_strlcpy(s.wid, g_strstrip(wid), sizeof(s.wid));
    cr_assert(s.wid[0]);
    g_free(xvfb_xdotool(&s.x, "windowfocus --sync %s", s.wid));
    /* Keys go to the window under the pointer when nothing manages focus. */
    g_free(xvfb_xdotool(&s.x, "mousemove --window %s 5 5", s.wid));
}

/* Quit the demo the normal way; it must exit cleanly (no crash, no ASan). */
static void finish(void)
{
    send_cmd("quit");
    close(s.to_demo);
    int status = xvfb_reap(s.demo, 3000);
    s.demo = 0;
    close(s.from_demo);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "demo exit status 0x%x", status);
}

static void teardown(void)
{
    if (s.demo) {
        send_cmd("quit");
        close(s.to_demo);
        xvfb_reap(s.demo, 3000);
        close(s.from_demo);
    }
    xvfb_stop(&s.x);
    if (s.lines) {
        g_ptr_array_free(s.lines, TRUE);
        g_hash_table_destroy(s.widgets);
        g_string_free(s.buf, TRUE);
    }
    memset(&s, 0, sizeof(s));
}

TestSuite(gui_window, .fini = teardown, .timeout = 60);

static void key(const char *name)
{
    g_free(xvfb_xdotool(&s.x, "key --window %s %s", s.wid, name));
}

static void click(const char *id)
{
    const SDL_Rect *r = g_hash_table_lookup(s.widgets, id);
    cr_assert_not_null(r, "no widget %s on screen", id);
    g_free(xvfb_xdotool(&s.x, "mousemove --window %s %d %d click 1", s.wid,
                        r->x + r->w / 2, r->y + r->h / 2));
}

static Shot shot(const char *name)
{
    g_mkdir_with_parents(GUI_SHOT_DIR, 0755);
    g_autofree char *path =
        g_strdup_printf("%s/%s-%d.png", GUI_SHOT_DIR, name, (int)getpid());
    send_cmd("shot %s", path);
    const char *res = wait_for("shot-");
    cr_assert(g_str_has_prefix(res, "shot-ok"), "%s", res);
    Shot sh = shot_read(path);
    /* Keep one copy under a stable name for the documentation. */
    g_autofree char *keep = g_strdup_printf("%s/%s.png", GUI_SHOT_DIR, name);
    rename(path, keep);
    return sh;
}

static uint32_t centre(const Shot *sh, const char *id)
{
    const SDL_Rect *r = g_hash_table_lookup(s.widgets, id);
    cr_assert_not_null(r, "no widget %s", id);
    return shot_pixel(sh, r->x + r->w / 2, r->y + r->h / 2);
}

static SDL_Rect cells(int row, int col, int ncols)
{
    return (SDL_Rect){col * s.cw, row * s.ch, ncols * s.cw, s.ch};
}

#define LINK_UP   0x00C800u
#define LINK_DOWN 0x5A5A5Au
#define DLG_FACE  0xD4D0C8u

Test(gui_window, console_shows_the_text_the_guest_wrote)
{
    start_demo("");
    Shot sh = shot("console");
    cr_assert_eq(sh.w, s.console_w);
    cr_assert_gt(sh.h, s.console_h, "status line below the console");
    /* Row 0 holds "Linux version ...": many lit pixels in its cells. */
    cr_assert_gt(shot_count_not(&sh, cells(0, 0, 13), 0x000000), 100);
    /* An empty row is plain black. */
    cr_assert_eq(shot_count_not(&sh, cells(20, 0, 80), 0x000000), 0);
    /* " link up " has attribute 0x2F: green background. */
    cr_assert_eq(shot_pixel(&sh, 20 * s.cw + 1, 11 * s.ch + 1), 0x00AA00);
    /* The box-drawing frame (attr 0x1F) has white strokes on blue. */
    SDL_Rect corner = cells(10, 2, 1);
    cr_assert_eq(shot_pixel(&sh, corner.x, corner.y), 0x0000AA);
    cr_assert_gt(shot_count_not(&sh, cells(10, 3, 10), 0x0000AA), 10);
    cr_assert_eq(centre(&sh, "link-0"), LINK_UP);
    g_free(sh.px);
    finish();
}

/* New guest output shows up: the window redraws on the VGA's changes. */
Test(gui_window, guest_writes_and_scrolling_reach_the_window)
{
    start_demo("");
    Shot before = shot("before-write");
    cr_assert_eq(shot_count_not(&before, cells(22, 0, 20), 0x000000), 0);
    send_cmd("puts 22 0 07 eth0: link up, 100Mbps");
    Shot after = shot("after-write");
    cr_assert_gt(shot_count_not(&after, cells(22, 0, 20), 0x000000), 100);
    /* Scroll by four rows through the CRTC start address: the top row now
     * shows, pixel for pixel, what row 4 showed. */
    send_cmd("start %d", 4 * 80);
    Shot scrolled = shot("scrolled");
    for (int y = 0; y < s.ch; y++) {
        for (int x = 0; x < s.console_w; x++) {
            cr_assert_eq(shot_pixel(&scrolled, x, y),
                         shot_pixel(&after, x, 4 * s.ch + y), "(%d,%d)", x, y);
        }
    }
    g_free(before.px);
    g_free(after.px);
    g_free(scrolled.px);
    finish();
}

/* Lit cursor pixels in a cell (light grey on the black background). */
static int cursor_pixels(const Shot *sh, int row, int col)
{
    SDL_Rect c = cells(row, col, 1);
    /* The BIOS cursor: lines 13-14 of 16, drawn in the cell's colour. */
    SDL_Rect lines = {c.x, c.y + s.ch * 13 / 16, c.w, s.ch * 2 / 16};
    return lines.w * lines.h - shot_count_not(sh, lines, 0xAAAAAA);
}

/* The cursor blinks at the CRTC location and follows it. */
Test(gui_window, cursor_blinks_at_the_crtc_location_and_follows_it)
{
    start_demo("");
    bool on = false, off = false;
    for (int i = 0; i < 60 && !(on && off); i++) {
        Shot sh = shot("cursor");
        int n = cursor_pixels(&sh, 14, 11);
        on |= n > 10;
        off |= n == 0;
        g_free(sh.px);
        g_usleep(20000);
    }
    cr_assert(on && off, "cursor at row 14 col 11 seen on=%d off=%d", on, off);
    send_cmd("cursor 20 40");
    on = false;
    for (int i = 0; i < 60 && !on; i++) {
        Shot sh = shot("cursor-moved");
        on = cursor_pixels(&sh, 20, 40) > 10;
        cr_assert_eq(cursor_pixels(&sh, 14, 11), 0, "old place is clear");
        g_free(sh.px);
        g_usleep(20000);
    }
    cr_assert(on, "cursor never shown at its new place");
    finish();
}

/* A pixel row of the band that is colour all along [x0, x1). */
static bool solid_row(const Shot *sh, int y0, int y1, int x0, int x1,
                      uint32_t colour)
{
    for (int y = y0; y < y1; y++) {
        int x = x0;
        while (x < x1 && shot_pixel(sh, x, y) == colour) {
            x++;
        }
        if (x == x1) {
            return true;
        }
    }
    return false;
}

static bool solid_column(const Shot *sh, int x0, int x1, int y0, int y1,
                         uint32_t colour)
{
    for (int x = x0; x < x1; x++) {
        int y = y0;
        while (y < y1 && shot_pixel(sh, x, y) == colour) {
            y++;
        }
        if (y == y1) {
            return true;
        }
    }
    return false;
}

/* Box-drawing characters join their neighbours without gaps. */
Test(gui_window, box_drawing_lines_join_across_cells)
{
    start_demo("");
    Shot sh = shot("box");
    /* "╔════╗" on row 10, columns 2-15, white (attr 0x1F). */
    cr_assert(solid_row(&sh, 10 * s.ch, 11 * s.ch, 2 * s.cw + s.cw / 2,
                        15 * s.cw + s.cw / 2, 0xFFFFFF));
    /* "║" on row 11 continues the corners of rows 10 and 12. */
    cr_assert(solid_column(&sh, 2 * s.cw, 3 * s.cw, 10 * s.ch + s.ch / 2,
                           12 * s.ch + s.ch / 2, 0xFFFFFF));
    /* "┌────┬────┐" then "│" and "└" (light grey, attr 0x07). */
    cr_assert(solid_row(&sh, 16 * s.ch, 17 * s.ch, 2 * s.cw + s.cw / 2,
                        13 * s.cw + s.cw / 2, 0xAAAAAA));
    cr_assert(solid_column(&sh, 2 * s.cw, 3 * s.cw, 16 * s.ch + s.ch / 2,
                           18 * s.ch + s.ch / 2, 0xAAAAAA));
    /* "████" is solid yellow. */
    cr_assert_eq(shot_count_not(&sh, cells(17, 20, 4), 0xFFFF55), 0);
    g_free(sh.px);
    finish();
}

Test(gui_window, keys_reach_the_guest_as_set1_scancodes)
{
    start_demo("");
    key("a");
    cr_assert_str_eq(wait_for("scancodes"), "scancodes 1e");
    cr_assert_str_eq(wait_for("scancodes"), "scancodes 9e");
    key("Return");
    cr_assert_str_eq(wait_for("scancodes"), "scancodes 1c");
    cr_assert_str_eq(wait_for("scancodes"), "scancodes 9c");
    key("Up");
    cr_assert_str_eq(wait_for("scancodes"), "scancodes e0 48");
    cr_assert_str_eq(wait_for("scancodes"), "scancodes e0 c8");
    /* A key held when the dialog opens is released for the guest, and
     * keys typed into the dialog never reach it. */
    g_free(xvfb_xdotool(&s.x, "keydown --window %s shift", s.wid));
    cr_assert_str_eq(wait_for("scancodes"), "scancodes 2a");
    key("F12");
    cr_assert_str_eq(wait_for("scancodes"), "scancodes aa");
    wait_for("dialog open");
    key("b");
    key("Escape");
    wait_for("dialog closed");
    g_free(xvfb_xdotool(&s.x, "keyup --window %s shift", s.wid));
    key("c");
    cr_assert_str_eq(wait_for("scancodes"), "scancodes 2e");
    cr_assert_not(seen("scancodes 30"), "'b' went to the guest");
    finish();
}

Test(gui_window, f12_opens_the_dialog_with_the_adapters)
{
    start_demo("--adapters 2");
    Shot before = shot("before-dialog");
    key("F12");
    wait_for("dialog open");
    Shot sh = shot("settings");
    SDL_Rect d = settings_rect((SDL_Rect){0, 0, s.console_w, s.console_h});
    /* The dialog face covers what was console text before. */
    int x = d.x + d.w - 20, y = d.y + d.h / 2;
    cr_assert_eq(shot_pixel(&sh, x, y), DLG_FACE);
    cr_assert_eq(shot_pixel(&before, 30, 3 * s.ch + 8) == DLG_FACE, false);
    cr_assert_eq(shot_pixel(&sh, d.x + 6, d.y + 6), 0x0A246Au, "title bar");
    /* Both adapter tabs and every attachment choice are on screen. */
    static const char *const ids[] = {
        "tab-0",        "tab-1",       "attach-none",
        "attach-local", "attach-user", "attach-bridge",
        "host-iface",   "mac",         "cable"};
    for (unsigned i = 0; i < G_N_ELEMENTS(ids); i++) {
        const SDL_Rect *r = g_hash_table_lookup(s.widgets, ids[i]);
        cr_assert_not_null(r, "%s", ids[i]);
        cr_assert_gt(shot_count_not(&sh, *r, DLG_FACE), 20, "%s drawn", ids[i]);
    }
    key("Escape");
    wait_for("dialog closed");
    g_free(before.px);
    g_free(sh.px);
    finish();
}

Test(gui_window, not_connected_and_ok_reattach_none_and_link_goes_down)
{
    start_demo("--own-config");
    Shot sh = shot("link-up");
    cr_assert_eq(centre(&sh, "link-0"), LINK_UP);
    g_free(sh.px);
    click("settings-button");
    wait_for("dialog open");
    click("attach-none");
    click("ok");
    cr_assert_str_eq(wait_for("vm: "), "vm: reattach 0 none");
    wait_for("dialog closed");
    sh = shot("not-connected");
    cr_assert_eq(centre(&sh, "link-0"), LINK_DOWN);
    g_free(sh.px);
    finish();
}

Test(gui_window, shared_networking_reattaches_user_and_link_comes_up)
{
    start_demo("--attach0 none");
    Shot sh = shot("link-down");
    cr_assert_eq(centre(&sh, "link-0"), LINK_DOWN);
    g_free(sh.px);
    key("F12");
    wait_for("dialog open");
    click("attach-user");
    click("ok");
    cr_assert_str_eq(wait_for("vm: "), "vm: reattach 0 user");
    wait_for("dialog closed");
    sh = shot("shared");
    cr_assert_eq(centre(&sh, "link-0"), LINK_UP);
    g_free(sh.px);
    finish();
}

Test(gui_window, host_adapter_picked_from_the_list_bridges_to_it)
{
    start_demo("");
    key("F12");
    wait_for("dialog open");
    click("host-iface");
    wait_for("widget host-iface=veth-lab ");
    Shot sh = shot("host-list");
    /* The open list covers the dialog face below the field. */
    const SDL_Rect *item = g_hash_table_lookup(s.widgets, "host-iface=eth0");
    cr_assert_not_null(item);
    cr_assert_eq(shot_pixel(&sh, item->x + item->w - 3, item->y + 2), 0x0A246Au,
                 "current choice highlighted");
    g_free(sh.px);
    click("host-iface=veth-lab");
    click("ok");
    cr_assert_str_eq(wait_for("vm: "), "vm: reattach 0 bridge,ifname=veth-lab");
    wait_for("dialog closed");
    finish();
}

Test(gui_window, unplugging_the_cable_shows_link_down)
{
    start_demo("");
    key("F12");
    wait_for("dialog open");
    click("cable");
    key("Return"); /* Enter is OK */
    cr_assert_str_eq(wait_for("vm: "), "vm: set_cable 0 off");
    wait_for("dialog closed");
    Shot sh = shot("unplugged");
    cr_assert_eq(centre(&sh, "link-0"), LINK_DOWN);
    g_free(sh.px);
    finish();
}

Test(gui_window, typed_multicast_mac_is_refused_with_red_error_text)
{
    start_demo("");
    key("F12");
    wait_for("dialog open");
    click("mac");
    g_free(xvfb_xdotool(&s.x, "key --window %s --repeat 17 BackSpace", s.wid));
    g_free(xvfb_xdotool(&s.x, "type --window %s --delay 5 01:02:03:04:05:06",
                        s.wid));
    click("ok");
    /* OK saw the whole address and refused it, naming the reason. */
    cr_assert_str_eq(wait_for("dialog-error"),
                     "dialog-error Adapter 1: mac=01:02:03:04:05:06: a "
                     "multicast address cannot be an adapter's address");
    /* The dialog stays open and says why, in red, under the field. */
    const SDL_Rect *mac = g_hash_table_lookup(s.widgets, "mac");
    SDL_Rect below = {mac->x, mac->y + mac->h + 2, 300, mac->h};
    Shot sh = shot("bad-mac");
    int red = 0;
    for (int y = below.y; y < below.y + below.h; y++) {
        for (int x = below.x; x < below.x + below.w; x++) {
            uint32_t p = shot_pixel(&sh, x, y);
            red += (p >> 16) > 150 && ((p >> 8) & 0xFF) < 80;
        }
    }
    g_free(sh.px);
    cr_assert_geq(red, 20, "no red error text");
    send_cmd("echo sync");
    wait_for("echo sync");
    cr_assert_not(seen("vm: "), "an invalid MAC applied something");
    cr_assert_not(seen("dialog closed"));
    finish();
}

Test(gui_window, activity_light_follows_traffic)
{
    start_demo("");
    Shot idle = shot("idle");
    const SDL_Rect *link = g_hash_table_lookup(s.widgets, "link-0");
    cr_assert_not_null(link);
    int ax = link->x + link->w + 3 + link->w / 2, ay = link->y + link->h / 2;
    cr_assert_eq(shot_pixel(&idle, ax, ay), LINK_DOWN, "idle: grey");
    send_cmd("traffic 5 7");
    Shot busy = shot("busy");
    cr_assert_eq(shot_pixel(&busy, ax, ay), 0xFFB000u, "activity: amber");
    /* The counters are printed: the label area changed. */
    SDL_Rect label = {ax + link->w, link->y - 2, 120, link->h + 4};
    int diff = 0;
    for (int y = label.y; y < label.y + label.h; y++) {
        for (int x = label.x; x < label.x + label.w; x++) {
            diff += shot_pixel(&idle, x, y) != shot_pixel(&busy, x, y);
        }
    }
    cr_assert_gt(diff, 5);
    /* Dropped frames add " drop T/R" after the counters. */
    int label_x = link->x + 2 * link->w + 8;
    SDL_Rect tail = {label_x + 80, link->y - 2, 80, link->h + 4};
    cr_assert_eq(shot_count_not(&busy, tail, 0x303030), 0, "nothing there yet");
    send_cmd("drops 1 2");
    Shot dropped = shot("drops");
    cr_assert_gt(shot_count_not(&dropped, tail, 0x303030), 10);
    g_free(dropped.px);
    g_free(idle.px);
    g_free(busy.px);
    finish();
}
