/*
 * The window on a real guest: Debian's kernel boots in tulipvm under Xvfb
 * with -display sdl; the screenshot (PNG) shows the guest's boot text on
 * its VGA console; the Settings dialog, driven with xdotool clicks, moves
 * the adapter to "Not connected" and the tulip driver sees the link go
 * down, then back to "Shared networking" and the lease comes back.  The
 * guest is driven by typing at its VGA console (keyboard through the
 * i8042); answers come back over the serial port (-serial file:).
 * Screenshots are kept in the build tree for docs/.
 */
#include <criterion/criterion.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "control_client.h"
#include "gui.h"
#include "support/shot.h"
#include "support/xvfb.h"
#include "support/tmpdir.h"

#define BOOT_TIMEOUT_S (TULIPVM_SLOW ? 900 : 300)
#define SHELL_WAIT_S   (TULIPVM_SLOW ? 300 : 90)

typedef struct Run {
    Xvfb x;
    GPid vm;
    char dir[TMPDIR_LEN];
    char *sock, *serial;
    CtlClient ctl;
    char wid[32];
    gsize serial_mark;
} Run;

static Run r;

static int64_t now_s(void)
{
    return g_get_monotonic_time() / G_USEC_PER_SEC;
}

static JsonObject *call(const char *req, JsonParser **p)
{
    g_autofree char *reply = ctl_call(&r.ctl, req);
    cr_assert_not_null(reply, "no reply to %s", req);
    *p = json_parser_new();
    cr_assert(json_parser_load_from_data(*p, reply, -1, NULL), "%s", reply);
    JsonObject *o = json_node_get_object(json_parser_get_root(*p));
    cr_assert(json_object_get_boolean_member(o, "ok"), "%s -> %s", req, reply);
    return o;
}

static void start_vm(void)
{
    tmpdir_make(r.dir, "gui");
    r.sock = g_strdup_printf("%s/ctl.sock", r.dir);
    r.serial = g_strdup_printf("%s/serial.log", r.dir);
    g_autofree char *ctl = g_strdup_printf("unix:%s", r.sock);
    g_autofree char *ser = g_strdup_printf("file:%s", r.serial);
    const char *argv[] = {TULIPVM_BIN, "-display", "sdl", "-name",
                          "tvm-gui",   "-serial",  ser,   "-control",
                          ctl,         NULL};
    GError *err = NULL;
    xvfb_start(&r.x);
    cr_assert(g_spawn_async(NULL, (char **)argv, r.x.env,
                            G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &r.vm, &err),
              "%s", err ? err->message : "");
    cr_assert(ctl_connect(&r.ctl, r.sock, 60), "the control socket");
    g_autofree char *wid =
        xvfb_xdotool(&r.x, "search --sync --name '^tvm-gui$'");
    g_strlcpy(r.wid, g_strstrip(wid), sizeof(r.wid));
    cr_assert(r.wid[0]);
    /* Keys go to the window under the pointer when nothing manages focus. */
    g_free(xvfb_xdotool(&r.x, "mousemove --window %s 5 5", r.wid));
}

static void teardown(void)
{
    ctl_close(&r.ctl);
    if (r.vm) {
        kill(r.vm, SIGKILL);
        waitpid(r.vm, NULL, 0);
    }
    xvfb_stop(&r.x);
    if (r.dir[0] && !tmpdir_remove(r.dir)) {
        g_printerr("could not remove %s\n", r.dir);
    }
    g_free(r.sock);
    g_free(r.serial);
    memset(&r, 0, sizeof(r));
}

/* The VGA text as one string, rows joined with newlines. */
static char *screen_text_cursor(int *cw, int *ch, int *crow, int *ccol)
{
    JsonParser *p;
    JsonObject *o = call("{\"cmd\":\"screen_text\"}", &p);
    JsonArray *rows = json_object_get_array_member(o, "rows");
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < json_array_get_length(rows); i++) {
        g_string_append_printf(s, "%s\n",
                               json_array_get_string_element(rows, i));
    }
    if (cw) {
        *cw = (int)json_object_get_int_member(o, "cell_w");
        *ch = (int)json_object_get_int_member(o, "cell_h");
    }
    if (crow) {
        *crow = (int)json_object_get_int_member(o, "cursor_row");
        *ccol = (int)json_object_get_int_member(o, "cursor_col");
    }
    g_object_unref(p);
    return g_string_free(s, FALSE);
}

static char *screen_text(int *cw, int *ch)
{
    return screen_text_cursor(cw, ch, NULL, NULL);
}

static void wait_screen(const char *needle, int timeout_s)
{
    int64_t end = now_s() + timeout_s;
    for (;;) {
        g_autofree char *text = screen_text(NULL, NULL);
        if (strstr(text, needle)) {
            return;
        }
        cr_assert_lt(now_s(), end, "'%s' never on screen:\n%s", needle, text);
        g_usleep(500000);
    }
}

/* New serial output matching pattern since the last match, or NULL. */
static char *serial_find(const char *pattern)
{
    g_autofree char *log = NULL;
    gsize len = 0;
    if (!g_file_get_contents(r.serial, &log, &len, NULL) ||
        len <= r.serial_mark) {
        return NULL;
    }
    g_autoptr(GRegex) re = g_regex_new(pattern, 0, 0, NULL);
    g_autoptr(GMatchInfo) mi = NULL;
    if (!g_regex_match_full(re, log, (gssize)len, (gint)r.serial_mark, 0, &mi,
                            NULL)) {
        return NULL;
    }
    gint start, stop;
    g_match_info_fetch_pos(mi, 0, &start, &stop);
    r.serial_mark = (gsize)stop;
    return g_match_info_fetch(mi, 0);
}

/*
 * Type a command at the guest's VGA console.  Right after the prompt the
 * shell asks the terminal for the cursor position (ESC [ 6 n) and keys
 * typed into the answer are lost, so callers type again until the answer
 * comes; the Return first ends what a lost attempt left on the line.
 */
static void type_line(const char *cmd)
{
    g_autofree char *q = g_shell_quote(cmd);
    g_free(xvfb_xdotool(&r.x, "key --window %s Return", r.wid));
    /* At a typist's pace: the guest takes its keys one interrupt at a
     * time and a loaded host runs it slowly. */
    g_free(xvfb_xdotool(&r.x, "type --window %s --delay 60 %s", r.wid, q));
    g_free(xvfb_xdotool(&r.x, "key --window %s Return", r.wid));
}

/* Ask the guest for eth0's carrier (typed, answered on the serial port)
 * until it is want: tulip looks at the MII link every 3 s without carrier
 * and every 60 s with it. */
static void wait_carrier(int want)
{
    int64_t end = now_s() + 150 + SHELL_WAIT_S;
    g_autofree char *pat = g_strdup_printf("carrier-%d\\b", want);
    for (;;) {
        type_line("echo carrier-$(cat /sys/class/net/eth0/carrier) "
                  ">/dev/ttyS0");
        for (int64_t t = now_s() + 5; now_s() < t;) {
            g_autofree char *m = serial_find(pat);
            if (m) {
                return;
            }
            g_usleep(200000);
        }
        cr_assert_lt(now_s(), end, "the guest never saw carrier %d", want);
    }
}

static Shot screendump(const char *name)
{
    g_mkdir_with_parents(GUI_SHOT_DIR, 0755);
    g_autofree char *path = g_strdup_printf("%s/%s.png", GUI_SHOT_DIR, name);
    g_autofree char *req =
        g_strdup_printf("{\"cmd\":\"screendump\",\"path\":\"%s\"}", path);
    JsonParser *p;
    call(req, &p);
    g_object_unref(p);
    return shot_read(path);
}

/* Pixels of a cell range that are not the black background. */
static int lit(const Shot *png, int x0, int y0, int w, int h)
{
    return shot_count_not(png, (SDL_Rect){x0, y0, w, h}, 0x000000);
}

static SDL_Rect widget(const char *id)
{
    JsonParser *p;
    JsonObject *o = call("{\"cmd\":\"widgets\"}", &p);
    JsonObject *ws = json_object_get_object_member(o, "widgets");
    cr_assert(json_object_has_member(ws, id), "no widget %s", id);
    JsonArray *a = json_object_get_array_member(ws, id);
    SDL_Rect rect = {(int)json_array_get_int_element(a, 0),
                     (int)json_array_get_int_element(a, 1),
                     (int)json_array_get_int_element(a, 2),
                     (int)json_array_get_int_element(a, 3)};
    g_object_unref(p);
    return rect;
}

static void click(const char *id)
{
    SDL_Rect w = widget(id);
    g_free(xvfb_xdotool(&r.x, "mousemove --window %s %d %d click 1", r.wid,
                        w.x + w.w / 2, w.y + w.h / 2));
}

/* The adapter as the control socket lists it. */
static void expect_adapter(const char *attachment, bool link)
{
    JsonParser *p;
    JsonObject *o = call("{\"cmd\":\"list\"}", &p);
    JsonObject *a = json_array_get_object_element(
        json_object_get_array_member(o, "adapters"), 0);
    cr_assert_str_eq(json_object_get_string_member(a, "attachment"),
                     attachment);
    cr_assert_eq(json_object_get_boolean_member(a, "link"), link);
    g_object_unref(p);
}

/* Open Settings with F12, pick an attachment, OK. */
static void settings_attach(const char *id, const char *shot)
{
    g_free(xvfb_xdotool(&r.x, "key --window %s F12", r.wid));
    int64_t end = now_s() + 30;
    JsonParser *p;
    for (;;) {
        JsonObject *o = call("{\"cmd\":\"widgets\"}", &p);
        bool open = json_object_has_member(
            json_object_get_object_member(o, "widgets"), "ok");
        g_object_unref(p);
        if (open) {
            break;
        }
        cr_assert_lt(now_s(), end, "Settings did not open");
        g_usleep(100000);
    }
    click(id);
    if (shot) {
        Shot png = screendump(shot);
        SDL_Rect ok = widget("ok");
        /* The dialog face around the OK button, not the console. */
        cr_assert_eq(shot_pixel(&png, ok.x - 3, ok.y + ok.h / 2), 0xD4D0C8);
        g_free(png.px);
    }
    click("ok");
}

TestSuite(guest_gui, .fini = teardown, .timeout = 1800);

Test(guest_gui, window_console_and_settings_dialog_drive_the_real_guest)
{
    int cw, ch, crow, ccol;
    start_vm();
    /* The boot on the VGA console, up to the shell. */
    wait_screen("tulipvm:/# ", BOOT_TIMEOUT_S);
    /* The picture and the text of one moment: the kernel may still print
     * (link negotiation) while the shell waits. */
    g_autofree char *text = NULL;
    Shot png = {0};
    for (int tries = 0;; tries++) {
        g_free(text);
        g_free(png.px);
        text = screen_text_cursor(&cw, &ch, &crow, &ccol);
        png = screendump("console");
        g_autofree char *again = screen_text(NULL, NULL);
        if (!strcmp(text, again)) {
            break;
        }
        cr_assert_lt(tries, 20, "the screen never stood still");
        g_usleep(500000);
    }
    cr_assert(strstr(text, "ping 10.0.2.2 ok"), "%s", text);
    cr_assert_gt(cw, 4);
    cr_assert_gt(ch, 8);

    /* The picture matches the text: lit cells where the guest wrote, a
     * black background where it did not. */
    cr_assert_eq(png.w, 80 * cw, "80 columns wide");
    cr_assert_gt(png.h, 25 * ch, "status line below the console");
    g_auto(GStrv) rows = g_strsplit(text, "\n", 26);
    int written = 0;
    for (int row = 0; row < 25 && rows[row]; row++) {
        int len = (int)strlen(rows[row]);
        if (len) {
            cr_assert_gt(lit(&png, 0, row * ch, len * cw, ch), len,
                         "row %d '%s' drawn", row, rows[row]);
            written++;
        }
        if (len < 80) {
            /* The cursor may blink just after the text. */
            int from = row == crow && ccol >= len ? ccol + 1 : len;
            cr_assert_eq(lit(&png, from * cw, row * ch, (80 - from) * cw, ch),
                         0, "row %d blank after column %d", row, from);
        }
    }
    cr_assert_gt(written, 10, "the boot text fills the screen");
    g_free(png.px);

    /* The keyboard reaches the guest's shell. */
    int64_t end = now_s() + SHELL_WAIT_S;
    for (int64_t next = 0;;) {
        g_autofree char *typed = serial_find("typed-42");
        if (typed) {
            break;
        }
        if (now_s() >= next) {
            type_line("echo typed-$((6*7)) >/dev/ttyS0");
            next = now_s() + 15;
        }
        if (now_s() >= end) {
            g_autofree char *scr = screen_text(NULL, NULL);
            cr_assert_fail("typed command never ran; screen:\n%s", scr);
        }
        g_usleep(200000);
    }
    wait_carrier(1);

    /* Settings: Not connected.  The guest loses the link. */
    settings_attach("attach-none", "settings");
    expect_adapter("none", false);
    wait_carrier(0);

    /* Settings: Shared networking.  Link and lease come back. */
    settings_attach("attach-user", NULL);
    expect_adapter("user", true);
    wait_carrier(1);
    char *lease = NULL;
    end = now_s() + SHELL_WAIT_S;
    for (int64_t next = 0;
         !(lease = serial_find("udhcpc: eth0 bound 10\\.0\\.2\\.15/24 "
                               "router 10\\.0\\.2\\.2"));) {
        if (now_s() >= next) {
            type_line("udhcpc -i eth0 -s /etc/udhcpc.script -n -q "
                      ">/dev/ttyS0 2>&1");
            next = now_s() + 30;
        }
        cr_assert_lt(now_s(), end, "no lease after Shared networking");
        g_usleep(200000);
    }
    g_free(lease);
    Shot after = screendump("console-after");
    g_free(after.px);

    JsonParser *p;
    call("{\"cmd\":\"quit\"}", &p);
    g_object_unref(p);
    int status = 0;
    for (int64_t dl = now_s() + 30; waitpid(r.vm, &status, WNOHANG) == 0;) {
        cr_assert_lt(now_s(), dl, "tulipvm did not quit");
        g_usleep(100000);
    }
    r.vm = 0;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status 0x%x",
              status);
}
