/*
 * tulipvm: SDL2 window (see gui.h).
 *
 * The console is drawn from a glyph atlas: the 256 code page 437
 * characters rendered once with SDL_ttf in white, tinted per cell with the
 * attribute's foreground colour; line drawing (0xB3-0xDA) and the solid
 * blocks (0xDB-0xDF) are drawn as rectangles instead, so they join across
 * cells as on a real screen.  Cursor blink (about 4 Hz) and attribute
 * blink (about 2 Hz) follow the VGA's frame-counter rates at 60 Hz.  The
 * status line polls the VM's adapter counters each frame; an activity
 * light stays lit for a moment after any counter moved.
 *
 * Not done here: graphics modes, guest-loaded fonts, the ninth pixel
 * column, scaling the window, a mouse for the guest.  F12 belongs to the
 * frontend and is not passed to the guest.
 */
#include "gui.h"
#include "cp437.h"
#include "emu/log.h"
#include "keymap.h"
#include "settings.h"

#include <png.h>
#include <string.h>

#define GUI_FONT_PT         16
#define GUI_UI_FONT_PT      12
#define GUI_STATUS_SLOT_W   175
#define GUI_CURSOR_BLINK_MS 266
#define GUI_TEXT_BLINK_MS   533
#define GUI_ACTIVITY_MS     250
#define GUI_ATLAS_COLS      16

struct Gui {
    GuiConfig cfg;
    SDL_Window *win;
    SDL_Renderer *r;
    TTF_Font *font, *ui_font;
    SDL_Texture *atlas;
    int cw, ch;        /* console cell */
    int width, height; /* window */
    int status_h;
    VgaTextScreen scr;
    uint64_t drawn_gen;
    unsigned drawn_phase; /* cursor and text blink phases last drawn */
    bool dirty;
    bool quit;
    Ui ui;
    SettingsDialog dlg;
    bool dlg_open;
    bool held[SDL_NUM_SCANCODES]; /* keys the guest saw go down */
    VmConfig own_cfg;             /* when the caller keeps no settings */
    /* Status line */
    VmAdapterInfo shown[VM_MAX_ADAPTERS];
    unsigned shown_count;
    uint32_t active_until[VM_MAX_ADAPTERS];
    bool active_shown[VM_MAX_ADAPTERS];
    /* Screenshot requested for the next frame */
    const char *shot_path;
    GError *shot_err;
    bool shot_ok;
};

static bool gui_sdl_error(GError **errp, const char *what)
{
    g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "display: %s: %s", what,
                SDL_GetError());
    return false;
}

/*
 * Without a window system SDL quietly falls back to its offscreen driver:
 * the VM would run with a window nobody can see and, windowed, no serial
 * console either.  Only an explicit SDL_VIDEODRIVER may ask for that.
 */
static bool gui_no_window_system(GError **errp, const char *why)
{
    g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                "display: no window system to open a window on (%s); use "
                "-display none or -nographic",
                why);
    return false;
}

static bool gui_driver_shows_windows(GError **errp)
{
    const char *drv = SDL_GetCurrentVideoDriver();
    const char *asked = g_getenv("SDL_VIDEODRIVER");

    if (drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy")) &&
        !(asked && !strcmp(asked, drv))) {
        g_autofree char *why = g_strdup_printf(
            "SDL could open none: DISPLAY=%s WAYLAND_DISPLAY=%s",
            g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "",
            g_getenv("WAYLAND_DISPLAY") ? g_getenv("WAYLAND_DISPLAY") : "");
        return gui_no_window_system(errp, why);
    }
    return true;
}

/* The font is a run-time dependency: say which package provides it. */
static TTF_Font *gui_open_font(const char *path, int pt, GError **errp)
{
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "display: font %s is missing (Debian package "
                    "fonts-dejavu-core)",
                    path);
        return NULL;
    }
    TTF_Font *f = TTF_OpenFont(path, pt);
    if (!f) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "display: cannot load font %s: %s", path, TTF_GetError());
    }
    return f;
}

/*
 * One arm of a line-drawing character, drawn into the atlas cell.  A
 * double arm is two lines g pixels either side of the centre line; where
 * arms meet, each line stops at the line it joins (inner corner), or runs
 * on to the far line when nothing joins it on its side (outer corner), so
 * "╔═╗" and "╠╬╣" close the way the VGA's font does.
 */
static void gui_box_arm(SDL_Surface *s, SDL_Rect cell, const uint8_t arms[4],
                        int arm, Uint32 white)
{
    bool vertical = arm == CP437_UP || arm == CP437_DOWN;
    int dir = arm == CP437_UP || arm == CP437_LEFT ? -1 : 1;
    int len = vertical ? cell.h : cell.w;
    int c_axis = len / 2, c_perp = (vertical ? cell.w : cell.h) / 2;
    int g = cell.w / 5 > 2 ? cell.w / 5 : 2;
    int side[2] = {vertical ? CP437_LEFT : CP437_UP,
                   vertical ? CP437_RIGHT : CP437_DOWN};
    int offs[2], inner[2], n = arms[arm];

    if (n == 1) {
        bool perp_double = arms[side[0]] == 2 || arms[side[1]] == 2;
        offs[0] = 0;
        inner[0] = perp_double ? -dir * g : 0;
    } else {
        for (int k = 0; k < 2; k++) {
            int ws = arms[side[k]], wo = arms[side[!k]];
            offs[k] = k ? g : -g;
            inner[k] = ws == 2 ? dir * g : ws == 0 && wo == 2 ? -dir * g : 0;
        }
    }
    for (int k = 0; k < n; k++) {
        int p0 = c_axis + inner[k];
        int a0 = dir > 0 ? p0 : 0, a1 = dir > 0 ? len : p0 + 1;
        SDL_Rect r;
        if (vertical) {
            r = (SDL_Rect){cell.x + c_perp + offs[k], cell.y + a0, 1, a1 - a0};
        } else {
            r = (SDL_Rect){cell.x + a0, cell.y + c_perp + offs[k], a1 - a0, 1};
        }
        SDL_FillRect(s, &r, white);
    }
}

/* Line drawing and the solid blocks 0xDB-0xDF; false for other glyphs. */
static bool gui_draw_shape(SDL_Surface *s, SDL_Rect cell, uint8_t c)
{
    Uint32 white = SDL_MapRGBA(s->format, 255, 255, 255, 255);
    uint8_t arms[4];
    SDL_Rect r = cell;

    if (cp437_box_arms(c, arms)) {
        for (int a = CP437_UP; a <= CP437_RIGHT; a++) {
            if (arms[a]) {
                gui_box_arm(s, cell, arms, a, white);
            }
        }
        return true;
    }
    switch (c) {
    case 0xDB: /* full block */
        break;
    case 0xDC: /* lower half */
        r.y += cell.h / 2;
        r.h -= cell.h / 2;
        break;
    case 0xDD: /* left half */
        r.w = cell.w / 2;
        break;
    case 0xDE: /* right half */
        r.x += cell.w / 2;
        r.w -= cell.w / 2;
        break;
    case 0xDF: /* upper half */
        r.h = cell.h / 2;
        break;
    default:
        return false;
    }
    SDL_FillRect(s, &r, white);
    return true;
}

/* Render the 256 glyphs once, white on transparent, 16 per atlas row. */
static bool gui_build_atlas(Gui *g, GError **errp)
{
    const SDL_Color white = {255, 255, 255, 255};
    SDL_Surface *atlas = SDL_CreateRGBSurfaceWithFormat(
        0, GUI_ATLAS_COLS * g->cw, (256 / GUI_ATLAS_COLS) * g->ch, 32,
        SDL_PIXELFORMAT_RGBA32);
    if (!atlas) {
        return gui_sdl_error(errp, "glyph atlas");
    }
    SDL_FillRect(atlas, NULL, SDL_MapRGBA(atlas->format, 0, 0, 0, 0));
    for (unsigned c = 0; c < 256; c++) {
        SDL_Rect cell = {(int)(c % GUI_ATLAS_COLS) * g->cw,
                         (int)(c / GUI_ATLAS_COLS) * g->ch, g->cw, g->ch};
        if (gui_draw_shape(atlas, cell, (uint8_t)c)) {
            continue;
        }
        SDL_Surface *gs =
            TTF_RenderGlyph_Blended(g->font, cp437_to_unicode(c), white);
        if (!gs) {
            continue; /* glyph missing from the font: the cell stays blank */
        }
        SDL_SetSurfaceBlendMode(gs, SDL_BLENDMODE_NONE);
        SDL_Rect src = {0, 0, gs->w < g->cw ? gs->w : g->cw,
                        gs->h < g->ch ? gs->h : g->ch};
        SDL_Rect dst = {cell.x + (g->cw - src.w) / 2, cell.y, src.w, src.h};
        SDL_BlitSurface(gs, &src, atlas, &dst);
        SDL_FreeSurface(gs);
    }
    g->atlas = SDL_CreateTextureFromSurface(g->r, atlas);
    SDL_FreeSurface(atlas);
    if (!g->atlas) {
        return gui_sdl_error(errp, "glyph texture");
    }
    SDL_SetTextureBlendMode(g->atlas, SDL_BLENDMODE_BLEND);
    return true;
}

bool gui_display_available(void)
{
    const char *x11 = g_getenv("DISPLAY");
    const char *wayland = g_getenv("WAYLAND_DISPLAY");
    return (x11 && *x11) || (wayland && *wayland);
}

Gui *gui_new(const GuiConfig *cfg, GError **errp)
{
    Gui *g = g_new0(Gui, 1);
    const char *font = cfg->font_path ? cfg->font_path : GUI_DEFAULT_FONT;
    const char *ui_font = cfg->ui_font_path ? cfg->ui_font_path
                          : cfg->font_path  ? cfg->font_path
                                            : GUI_DEFAULT_UI_FONT;
    int adv = 0;

    g->cfg = *cfg;
    /* Fonts first: a missing package is reported even without a display. */
    if (!TTF_WasInit() && TTF_Init() < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "display: SDL_ttf: %s",
                    TTF_GetError());
        goto out_free;
    }
    g->font = gui_open_font(font, GUI_FONT_PT, errp);
    if (!g->font) {
        goto out_free;
    }
    g->ui_font = gui_open_font(ui_font, GUI_UI_FONT_PT, errp);
    if (!g->ui_font) {
        goto out_font;
    }
    TTF_GlyphMetrics(g->font, 'M', NULL, NULL, NULL, NULL, &adv);
    g->cw = adv > 0 ? adv : 8;
    g->ch = TTF_FontHeight(g->font);
    g->status_h = TTF_FontHeight(g->ui_font) + 12;
    g->width = VGA_TEXT_COLS * g->cw;
    g->height = VGA_TEXT_ROWS * g->ch + g->status_h;
    /* Without either, SDL's probing only finds its offscreen driver. */
    if (!g_getenv("SDL_VIDEODRIVER") && !gui_display_available()) {
        gui_no_window_system(errp, "DISPLAY and WAYLAND_DISPLAY are unset");
        goto out_ui_font;
    }
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) < 0) {
        gui_sdl_error(errp, "SDL video");
        goto out_ui_font;
    }
    if (!gui_driver_shows_windows(errp)) {
        goto out_video;
    }
    g->win = SDL_CreateWindow(cfg->title ? cfg->title : "tulipvm",
                              SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                              g->width, g->height, 0);
    if (!g->win) {
        gui_sdl_error(errp, "window");
        goto out_video;
    }
    g->r = SDL_CreateRenderer(g->win, -1,
                              cfg->software ? SDL_RENDERER_SOFTWARE : 0);
    if (!g->r) {
        gui_sdl_error(errp, "renderer");
        goto out_window;
    }
    if (!gui_build_atlas(g, errp)) {
        goto out_renderer;
    }
    ui_init(&g->ui, g->r, g->ui_font);
    g->ui.widget_fn = cfg->widget_fn;
    g->ui.widget_opaque = cfg->widget_opaque;
    if (!cfg->cfg) {
        vm_config_defaults(&g->own_cfg);
        g->own_cfg.adapters = vm_adapter_count(&cfg->vm);
        if (g->own_cfg.adapters < 1 || g->own_cfg.adapters > VM_MAX_ADAPTERS) {
            g->own_cfg.adapters = 1;
        }
    }
    settings_init(&g->dlg, &cfg->vm, cfg->cfg ? cfg->cfg : &g->own_cfg,
                  cfg->cfg_path, cfg->host_ifaces);
    SDL_StopTextInput();
    g->dirty = true;
    return g;

out_renderer:
    SDL_DestroyRenderer(g->r);
out_window:
    SDL_DestroyWindow(g->win);
out_video:
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
out_ui_font:
    TTF_CloseFont(g->ui_font);
out_font:
    TTF_CloseFont(g->font);
out_free:
    g_free(g);
    return NULL;
}

void gui_free(Gui *g)
{
    if (!g) {
        return;
    }
    settings_destroy(&g->dlg);
    SDL_DestroyTexture(g->atlas);
    SDL_DestroyRenderer(g->r);
    SDL_DestroyWindow(g->win);
    TTF_CloseFont(g->ui_font);
    TTF_CloseFont(g->font);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    g_free(g);
}

void gui_cell_size(const Gui *g, int *w, int *h)
{
    *w = g->cw;
    *h = g->ch;
}

SDL_Rect gui_link_light_rect(const Gui *g, unsigned idx)
{
    int d = g->status_h / 2;
    return (SDL_Rect){6 + (int)idx * GUI_STATUS_SLOT_W,
                      VGA_TEXT_ROWS * g->ch + (g->status_h - d) / 2, d, d};
}

/* The dialog takes the keyboard: release what the guest holds, or the
 * guest would see those keys stuck down until pressed again. */
static void gui_release_keys(Gui *g)
{
    uint8_t bytes[KEYMAP_MAX_BYTES];

    for (unsigned sc = 0; sc < SDL_NUM_SCANCODES; sc++) {
        if (!g->held[sc]) {
            continue;
        }
        g->held[sc] = false;
        size_t n = keymap_set1((SDL_Scancode)sc, false, bytes);
        if (n && g->cfg.key_fn) {
            g->cfg.key_fn(g->cfg.key_opaque, bytes, n);
        }
    }
}

void gui_open_settings(Gui *g)
{
    if (!g->dlg_open) {
        gui_release_keys(g);
        if (!g->cfg.host_ifaces) {
            /* Interfaces come and go (USB, VPN): list them afresh. */
            g_auto(GStrv) names = settings_host_ifaces();
            settings_set_host_ifaces(&g->dlg, (const char *const *)names);
        }
        settings_load(&g->dlg);
        g->dlg_open = true;
        g->ui.focus[0] = 0;
        SDL_StartTextInput();
        g->dirty = true;
    }
}

static void gui_close_settings(Gui *g)
{
    g->dlg_open = false;
    SDL_StopTextInput();
    g->dirty = true;
}

bool gui_settings_open(const Gui *g)
{
    return g->dlg_open;
}

const char *gui_settings_error(const Gui *g)
{
    return g->dlg.error;
}

static void gui_set_color(Gui *g, uint32_t rgb)
{
    SDL_SetRenderDrawColor(g->r, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF,
                           rgb & 0xFF, 255);
}

static void gui_draw_console(Gui *g, bool cursor_on, bool text_on)
{
    const VgaTextScreen *s = &g->scr;

    if (!s->display_enabled) {
        gui_set_color(g, 0);
        SDL_RenderFillRect(g->r,
                           &(SDL_Rect){0, 0, g->width, VGA_TEXT_ROWS * g->ch});
        return;
    }
    for (int r = 0; r < VGA_TEXT_ROWS; r++) {
        for (int c = 0; c < VGA_TEXT_COLS; c++) {
            VgaCell cell = s->cells[r][c];
            unsigned bg = (cell.attr >> 4) & (s->blink_enabled ? 7 : 15);
            unsigned fg = cell.attr & 15;
            bool blinking = s->blink_enabled && (cell.attr & 0x80);
            SDL_Rect dst = {c * g->cw, r * g->ch, g->cw, g->ch};

            gui_set_color(g, s->palette[bg]);
            SDL_RenderFillRect(g->r, &dst);
            if (cell.ch == ' ' || cell.ch == 0 || cell.ch == 0xFF ||
                (blinking && !text_on) || fg == bg) {
                continue;
            }
            uint32_t rgb = s->palette[fg];
            SDL_Rect src = {(cell.ch % GUI_ATLAS_COLS) * g->cw,
                            (cell.ch / GUI_ATLAS_COLS) * g->ch, g->cw, g->ch};
            SDL_SetTextureColorMod(g->atlas, (rgb >> 16) & 0xFF,
                                   (rgb >> 8) & 0xFF, rgb & 0xFF);
            SDL_RenderCopy(g->r, g->atlas, &src, &dst);
        }
    }
    if (s->cursor_visible && cursor_on) {
        /* Scale the cursor's scan lines from the VGA cell to ours. */
        unsigned h = s->char_height ? s->char_height : 16;
        int y0 = g->ch * s->cursor_start / (int)h;
        int y1 = g->ch * (s->cursor_end + 1) / (int)h;
        if (y1 > g->ch) {
            y1 = g->ch;
        }
        VgaCell cell = s->cells[s->cursor_row][s->cursor_col];
        gui_set_color(g, s->palette[cell.attr & 15]);
        SDL_RenderFillRect(g->r, &(SDL_Rect){(int)s->cursor_col * g->cw,
                                             (int)s->cursor_row * g->ch + y0,
                                             g->cw, y1 > y0 ? y1 - y0 : 1});
    }
}

static const char *gui_attach_short(const VmAttachment *a, char *buf,
                                    size_t len)
{
    switch (a->kind) {
    case VM_ATTACH_NONE:
        return "not connected";
    case VM_ATTACH_USER:
        return "NAT";
    case VM_ATTACH_LOCAL:
        g_snprintf(buf, len, "local %s", a->detail);
        return buf;
    default:
        g_snprintf(buf, len, "%s %s", vm_attach_kind_name(a->kind), a->detail);
        return buf;
    }
}

/* Poll the adapters; true when the status line must be redrawn. */
static bool gui_poll_status(Gui *g, uint32_t now)
{
    unsigned n = vm_adapter_count(&g->cfg.vm);
    bool changed = n != g->shown_count;

    if (n > VM_MAX_ADAPTERS) {
        n = VM_MAX_ADAPTERS;
    }
    for (unsigned i = 0; i < n; i++) {
        VmAdapterInfo info;
        if (!vm_adapter_info(&g->cfg.vm, i, &info)) {
            continue;
        }
        VmAdapterInfo *old = &g->shown[i];
        if (info.tx_frames != old->tx_frames ||
            info.rx_frames != old->rx_frames) {
            g->active_until[i] = now + GUI_ACTIVITY_MS;
        }
        bool active = (int32_t)(g->active_until[i] - now) > 0;
        changed |= memcmp(&info, old, sizeof(info)) != 0 ||
                   active != g->active_shown[i];
        g->active_shown[i] = active;
        *old = info;
    }
    g->shown_count = n;
    return changed;
}

static void gui_draw_status(Gui *g)
{
    const SDL_Color fg = {220, 220, 220, 255};
    int y = VGA_TEXT_ROWS * g->ch;
    char buf[96], short_buf[48];

    SDL_SetRenderDrawColor(g->r, 48, 48, 48, 255);
    SDL_RenderFillRect(g->r, &(SDL_Rect){0, y, g->width, g->status_h});
    for (unsigned i = 0; i < g->shown_count; i++) {
        const VmAdapterInfo *a = &g->shown[i];
        SDL_Rect link = gui_link_light_rect(g, i);
        SDL_Rect act = {link.x + link.w + 3, link.y, link.w, link.h};
        if (g->cfg.widget_fn) {
            g_snprintf(buf, sizeof(buf), "link-%u", i);
            g->cfg.widget_fn(g->cfg.widget_opaque, buf, link);
        }
        if (a->link_up) {
            SDL_SetRenderDrawColor(g->r, 0, 200, 0, 255);
        } else {
            SDL_SetRenderDrawColor(g->r, 90, 90, 90, 255);
        }
        SDL_RenderFillRect(g->r, &link);
        if (g->active_shown[i]) {
            SDL_SetRenderDrawColor(g->r, 255, 176, 0, 255);
        } else {
            SDL_SetRenderDrawColor(g->r, 90, 90, 90, 255);
        }
        SDL_RenderFillRect(g->r, &act);
        /* Drops are rare and matter (style.md: show drop counters). */
        char drops[48] = "";
        if (a->tx_dropped || a->rx_dropped) {
            g_snprintf(drops, sizeof(drops),
                       " drop %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                       a->tx_dropped, a->rx_dropped);
        }
        g_snprintf(buf, sizeof(buf),
                   "%u:%s%s %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "%s",
                   i + 1,
                   gui_attach_short(&a->attach, short_buf, sizeof(short_buf)),
                   a->cable_connected ? "" : " (unplugged)", a->tx_frames,
                   a->rx_frames, drops);
        ui_label(&g->ui, act.x + act.w + 5,
                 y + (g->status_h - g->ui.line_h) / 2, buf, fg);
    }
    SDL_Rect btn = {g->width - 84, y + 2, 80, g->status_h - 4};
    if (ui_button(&g->ui, "settings-button", btn, "Settings", g->dlg_open) &&
        !g->dlg_open) {
        gui_open_settings(g);
    }
}

/*
 * One frame.  The status line comes before the dialog because its button
 * may open it; the screenshot is read before presenting because the back
 * buffer is undefined afterwards.
 */
static void gui_draw(Gui *g, uint32_t now, unsigned phase)
{
    SDL_SetRenderDrawColor(g->r, 0, 0, 0, 255);
    SDL_RenderClear(g->r);
    vga_text_snapshot(g->cfg.vga, &g->scr);
    g->drawn_gen = g->scr.generation;
    g->drawn_phase = phase;
    gui_draw_console(g, !(phase & 1), !(phase & 2));
    bool was_open = g->dlg_open;
    ui_begin_frame(&g->ui);
    gui_draw_status(g);
    if (g->dlg_open) {
        if (!was_open) {
            /* Opened by this click: it must not land in the dialog too. */
            g->ui.in.click = false;
        }
        g->ui.caret_on = !(phase & 1);
        SDL_Rect area = {0, 0, g->width, VGA_TEXT_ROWS * g->ch};
        SettingsResult res = settings_frame(&g->dlg, &g->ui, area);
        if (res != SETTINGS_OPEN) {
            gui_close_settings(g);
        }
    }
    ui_end_frame(&g->ui);
    if (g->shot_path) {
        uint8_t *px = g_malloc((size_t)g->width * g->height * 4);
        if (SDL_RenderReadPixels(g->r, NULL, SDL_PIXELFORMAT_RGBA32, px,
                                 g->width * 4) < 0) {
            gui_sdl_error(&g->shot_err, "read pixels");
        } else {
            g->shot_ok = gui_png_write(g->shot_path, px, g->width, g->height,
                                       &g->shot_err);
        }
        g_free(px);
        g->shot_path = NULL;
    }
    SDL_RenderPresent(g->r);
    g->dirty = false;
    (void)now;
}

static void gui_key(Gui *g, const SDL_KeyboardEvent *k)
{
    bool down = k->type == SDL_KEYDOWN;
    uint8_t bytes[KEYMAP_MAX_BYTES];

    if (k->keysym.scancode == SDL_SCANCODE_F12) {
        if (down && !k->repeat) {
            if (g->dlg_open) {
                gui_close_settings(g);
            } else {
                gui_open_settings(g);
            }
        }
        return;
    }
    if (g->dlg_open) {
        if (!down) {
            return;
        }
        UiInput *in = &g->ui.in;
        switch (k->keysym.scancode) {
        case SDL_SCANCODE_BACKSPACE:
            in->backspace = true;
            break;
        case SDL_SCANCODE_DELETE:
            in->del = true;
            break;
        case SDL_SCANCODE_LEFT:
            in->left = true;
            break;
        case SDL_SCANCODE_RIGHT:
            in->right = true;
            break;
        case SDL_SCANCODE_HOME:
            in->home = true;
            break;
        case SDL_SCANCODE_END:
            in->end = true;
            break;
        case SDL_SCANCODE_ESCAPE:
            gui_close_settings(g);
            break;
        case SDL_SCANCODE_RETURN:
        case SDL_SCANCODE_KP_ENTER: {
            GError *err = NULL;
            if (settings_apply(&g->dlg, &err)) {
                gui_close_settings(g);
            } else {
                g_strlcpy(g->dlg.error, err->message, sizeof(g->dlg.error));
                g_error_free(err);
            }
            break;
        }
        default:
            break;
        }
        g->dirty = true;
        return;
    }
    if ((unsigned)k->keysym.scancode >= SDL_NUM_SCANCODES) {
        return;
    }
    /* A release of a key pressed while the dialog had the keyboard (its
     * Escape, say) would reach the guest without its press. */
    if (!down && !g->held[k->keysym.scancode]) {
        return;
    }
    g->held[k->keysym.scancode] = down;
    size_t n = keymap_set1(k->keysym.scancode, down, bytes);
    if (n && g->cfg.key_fn) {
        g->cfg.key_fn(g->cfg.key_opaque, bytes, n);
    }
}

static void gui_event(Gui *g, const SDL_Event *ev)
{
    switch (ev->type) {
    case SDL_QUIT:
        g->quit = true;
        break;
    case SDL_WINDOWEVENT:
        if (ev->window.event == SDL_WINDOWEVENT_CLOSE) {
            g->quit = true;
        }
        g->dirty = true;
        break;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
        gui_key(g, &ev->key);
        break;
    case SDL_TEXTINPUT:
        if (g->dlg_open) {
            size_t used = strlen(g->ui.in.text);
            g_strlcpy(g->ui.in.text + used, ev->text.text,
                      sizeof(g->ui.in.text) - used);
            g->dirty = true;
        }
        break;
    case SDL_MOUSEBUTTONUP:
        if (ev->button.button == SDL_BUTTON_LEFT) {
            g->ui.in.click = true;
            g->ui.in.cx = ev->button.x;
            g->ui.in.cy = ev->button.y;
            g->dirty = true;
        }
        break;
    default:
        break;
    }
}

bool gui_poll(Gui *g, uint32_t wait_ms)
{
    SDL_Event ev;

    if (g->quit) {
        return false;
    }
    if (SDL_WaitEventTimeout(&ev, (int)wait_ms)) {
        do {
            gui_event(g, &ev);
            /* Each click or key gets its own frame: the input holds one
             * of each kind, and two backspaces must not become one. */
            if (ui_input_pending(&g->ui.in)) {
                break;
            }
        } while (SDL_PollEvent(&ev));
    }
    if (g->quit) {
        vm_quit(&g->cfg.vm);
        return false;
    }
    uint32_t now = SDL_GetTicks();
    unsigned phase = (now / GUI_CURSOR_BLINK_MS) & 1;
    phase |= ((now / GUI_TEXT_BLINK_MS) & 1) << 1;
    bool status = gui_poll_status(g, now);
    if (g->dirty || status || phase != g->drawn_phase ||
        vga_generation(g->cfg.vga) != g->drawn_gen) {
        gui_draw(g, now, phase);
    }
    return true;
}

bool gui_screenshot(Gui *g, const char *path, GError **errp)
{
    uint32_t now = SDL_GetTicks();

    gui_poll_status(g, now);
    g->shot_path = path;
    g->shot_ok = false;
    g->shot_err = NULL;
    gui_draw(g, now, g->drawn_phase);
    if (!g->shot_ok) {
        g_propagate_error(errp, g->shot_err);
        return false;
    }
    return true;
}

bool gui_png_write(const char *path, const uint8_t *rgba, int w, int h,
                   GError **errp)
{
    png_image img;

    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_RGBA;
    if (!png_image_write_to_file(&img, path, 0, rgba, w * 4, NULL)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "PNG %s: %s", path,
                    img.message);
        return false;
    }
    return true;
}

uint8_t *gui_png_read(const char *path, int *w, int *h, GError **errp)
{
    png_image img;

    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "PNG %s: %s", path,
                    img.message);
        return NULL;
    }
    img.format = PNG_FORMAT_RGBA;
    uint8_t *buf = g_malloc(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, NULL, buf, 0, NULL)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "PNG %s: %s", path,
                    img.message);
        g_free(buf);
        return NULL;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return buf;
}
