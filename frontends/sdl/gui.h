/*
 * tulipvm: the SDL2 window.  It shows the guest's VGA text screen, a status
 * line with each network adapter's attachment, link and activity, and the
 * Settings dialog (F12 or the status line's Settings button).  Keys go to
 * the guest as PS/2 set 1 scan codes through key_fn while the dialog is
 * closed.
 *
 * The window runs in the machine's thread: the main loop calls gui_poll()
 * between slices of guest execution.  Wall-clock time is used only for the
 * cursor blink and the activity lights.
 */
#ifndef FRONTENDS_SDL_GUI_H
#define FRONTENDS_SDL_GUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "config.h"
#include "devices/vga.h"
#include "vm_control.h"
#include "widgets.h"

#define GUI_DEFAULT_FONT    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#define GUI_DEFAULT_UI_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

/* Scan code set 1 bytes for the guest (i8042_put_scancodes() fits). */
typedef void (*GuiKeyFn)(void *opaque, const uint8_t *set1, size_t len);

typedef struct GuiConfig {
    Vga *vga;
    VmControl vm;
    VmConfig *cfg;        /* the settings the dialog edits; NULL: own */
    const char *cfg_path; /* NULL: settings are not saved */
    GuiKeyFn key_fn;
    void *key_opaque;
    const char *title;
    const char *font_path;    /* NULL: GUI_DEFAULT_FONT */
    const char *ui_font_path; /* NULL: GUI_DEFAULT_UI_FONT, else the above */
    const char *const
        *host_ifaces;     /* NULL: the host's, listed at each opening */
    bool software;        /* force the software renderer */
    UiWidgetFn widget_fn; /* optional: every widget's id and rectangle */
    void *widget_opaque;
} GuiConfig;

typedef struct Gui Gui;

/* Whether a window can be opened at all (X11 or Wayland): the command
 * line makes -display sdl the default only then. */
bool gui_display_available(void);

/* Opens the window; errors name a missing font or a failing display. */
Gui *gui_new(const GuiConfig *cfg, GError **errp);
void gui_free(Gui *g);

/*
 * Handle window events (waiting up to wait_ms for the first) and redraw
 * what changed.  Returns false once the user closed the window, after
 * asking the VM to quit.
 */
bool gui_poll(Gui *g, uint32_t wait_ms);

void gui_open_settings(Gui *g);
bool gui_settings_open(const Gui *g);
/* Why the last OK was refused ("" if it was not). */
const char *gui_settings_error(const Gui *g);

/* Draw a frame now and write it to path as PNG. */
bool gui_screenshot(Gui *g, const char *path, GError **errp);

/* Console geometry in window pixels, for tests. */
void gui_cell_size(const Gui *g, int *w, int *h);
/* Status line: the link light of adapter idx. */
SDL_Rect gui_link_light_rect(const Gui *g, unsigned idx);

/* RGBA8 PNG files (libpng), used for screenshots and by the tests. */
bool gui_png_write(const char *path, const uint8_t *rgba, int w, int h,
                   GError **errp);
uint8_t *gui_png_read(const char *path, int *w, int *h, GError **errp);

#endif /* FRONTENDS_SDL_GUI_H */
