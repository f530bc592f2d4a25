/*
 * tulipvm: a few immediate-mode widgets for the settings dialog.
 *
 * Each frame the caller fills Ui.in with what happened since the last
 * frame (a click, typed text, editing keys) and calls the widget functions
 * in drawing order; a widget draws itself and reports whether the input hit
 * it.  Without a renderer (Ui.r NULL) nothing is drawn and widgets only lay
 * out and react, which is how unit tests drive the dialog.  Every widget
 * reports its id and rectangle through widget_fn, so a test can find where
 * to click.
 */
#ifndef FRONTENDS_SDL_WIDGETS_H
#define FRONTENDS_SDL_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <SDL.h>
#include <SDL_ttf.h>
#include <glib.h>

#define UI_TEXT_MAX 512
#define UI_ID_MAX   40

typedef struct UiInput {
    bool click; /* left button released at (cx, cy) */
    int cx, cy;
    char text[32]; /* printable ASCII typed this frame */
    bool backspace, del, left, right, home, end;
} UiInput;

typedef struct UiTextField {
    char buf[UI_TEXT_MAX];
    size_t len, cursor; /* bytes; the field holds printable ASCII only */
} UiTextField;

typedef void (*UiWidgetFn)(void *opaque, const char *id, SDL_Rect r);

/* The open drop-down list, drawn over everything at the end of a frame. */
typedef struct UiPopup {
    char id[UI_ID_MAX]; /* "" when no list is open */
    SDL_Rect list;      /* where its items were drawn last frame */
    int item_h;
    const char *const *items;
    unsigned n, sel;
    int picked; /* item clicked this frame, or -1 */
} UiPopup;

typedef struct Ui {
    SDL_Renderer *r; /* NULL: lay out and react, draw nothing */
    TTF_Font *font;  /* NULL: fixed 8x16 metrics */
    int line_h;
    UiInput in;
    char focus[UI_ID_MAX]; /* id of the text field taking keys, "" none */
    bool caret_on;
    UiPopup popup;
    UiWidgetFn widget_fn;
    void *widget_opaque;
} Ui;

/* Colours of the dialog (classic light grey 3D look). */
extern const SDL_Color ui_black, ui_white, ui_face, ui_shadow, ui_light, ui_red,
    ui_grey_text, ui_title;

void ui_init(Ui *ui, SDL_Renderer *r, TTF_Font *font);
/* Whether in holds anything for the widgets. */
bool ui_input_pending(const UiInput *in);
/* Before the frame's widgets: an open list takes the click first. */
void ui_begin_frame(Ui *ui);
/* After them: draw the open list on top, forget this frame's input. */
void ui_end_frame(Ui *ui);

int ui_text_width(const Ui *ui, const char *text);
void ui_fill(Ui *ui, SDL_Rect r, SDL_Color c);
void ui_bevel(Ui *ui, SDL_Rect r, bool sunken);
void ui_label(Ui *ui, int x, int y, const char *text, SDL_Color c);
/* A label scripts and tests can find: reported under id like a widget. */
void ui_note(Ui *ui, const char *id, int x, int y, const char *text,
             SDL_Color c);
bool ui_hit(const Ui *ui, SDL_Rect r);

bool ui_button(Ui *ui, const char *id, SDL_Rect r, const char *label,
               bool pressed);
/* True when clicked (the caller selects it). */
bool ui_radio(Ui *ui, const char *id, SDL_Rect r, const char *label,
              bool selected);
/* Toggles *value on a click; true when it changed. */
bool ui_checkbox(Ui *ui, const char *id, SDL_Rect r, const char *label,
                 bool *value);
/*
 * A drop-down list of n items showing items[*sel]; a click opens the list
 * (its items are reported as "ID=ITEM"), a click on an item selects it,
 * a click elsewhere closes it.  True when an item was picked (even the
 * one already selected).  items must stay
 * valid until ui_end_frame().
 */
bool ui_dropdown(Ui *ui, const char *id, SDL_Rect r, const char *const *items,
                 unsigned n, unsigned *sel);
/* Takes focus on a click, then edits; true when the text changed. */
bool ui_textfield(Ui *ui, const char *id, SDL_Rect r, UiTextField *tf);

/* Text field editing, independent of any window. */
void ui_tf_set(UiTextField *tf, const char *text);
bool ui_tf_insert(UiTextField *tf, const char *text);
bool ui_tf_backspace(UiTextField *tf);
bool ui_tf_delete(UiTextField *tf);
void ui_tf_move(UiTextField *tf, int delta);
void ui_tf_home(UiTextField *tf);
void ui_tf_end(UiTextField *tf);

#endif /* FRONTENDS_SDL_WIDGETS_H */
