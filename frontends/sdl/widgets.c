/*
 * tulipvm: immediate-mode widgets (see widgets.h).  Drawing is plain
 * rectangles and SDL_ttf text; the look follows the classic grey 3D
 * dialogs Virtual PC had.
 */
#include "widgets.h"

#include <string.h>

const SDL_Color ui_black = {0, 0, 0, 255};
const SDL_Color ui_white = {255, 255, 255, 255};
const SDL_Color ui_face = {212, 208, 200, 255};
const SDL_Color ui_shadow = {128, 128, 128, 255};
const SDL_Color ui_light = {255, 255, 255, 255};
const SDL_Color ui_red = {192, 0, 0, 255};
const SDL_Color ui_grey_text = {96, 96, 96, 255};
const SDL_Color ui_title = {10, 36, 106, 255};

static void ui_frame_rect(Ui *ui, SDL_Rect r, SDL_Color c);

#define UI_FIXED_CHAR_W 8
#define UI_FIXED_LINE_H 16

/* Without a font text is measured as 8x16 cells: enough to lay out. */
void ui_init(Ui *ui, SDL_Renderer *r, TTF_Font *font)
{
    memset(ui, 0, sizeof(*ui));
    ui->r = r;
    ui->font = font;
    ui->line_h = font ? TTF_FontHeight(font) : UI_FIXED_LINE_H;
    ui->popup.picked = -1;
}

bool ui_input_pending(const UiInput *in)
{
    return in->click || in->text[0] || in->backspace || in->del || in->left ||
           in->right || in->home || in->end;
}

void ui_begin_frame(Ui *ui)
{
    UiPopup *p = &ui->popup;
    SDL_Point at = {ui->in.cx, ui->in.cy};

    p->picked = -1;
    if (!p->id[0] || !ui->in.click) {
        return;
    }
    /* The list lies over other widgets: they must not see this click. */
    ui->in.click = false;
    if (SDL_PointInRect(&at, &p->list) && p->item_h > 0) {
        p->picked = (at.y - p->list.y) / p->item_h;
    } else {
        p->id[0] = 0;
    }
}

static void ui_draw_popup(Ui *ui)
{
    UiPopup *p = &ui->popup;

    if (!p->id[0]) {
        return;
    }
    ui_fill(ui, p->list, ui_white);
    for (unsigned i = 0; i < p->n; i++) {
        SDL_Rect item = {p->list.x, p->list.y + (int)i * p->item_h, p->list.w,
                         p->item_h};
        if (ui->widget_fn) {
            char id[UI_ID_MAX + 64];
            g_snprintf(id, sizeof(id), "%s=%s", p->id, p->items[i]);
            ui->widget_fn(ui->widget_opaque, id, item);
        }
        bool sel = i == p->sel;
        if (sel) {
            ui_fill(ui, item, ui_title);
        }
        ui_label(ui, item.x + 4, item.y + (item.h - ui->line_h) / 2,
                 p->items[i], sel ? ui_white : ui_black);
    }
    ui_frame_rect(ui, p->list, ui_black);
}

void ui_end_frame(Ui *ui)
{
    ui_draw_popup(ui);
    ui->popup.picked = -1;
    memset(&ui->in, 0, sizeof(ui->in));
}

static void ui_report(Ui *ui, const char *id, SDL_Rect r)
{
    if (ui->widget_fn) {
        ui->widget_fn(ui->widget_opaque, id, r);
    }
}

int ui_text_width(const Ui *ui, const char *text)
{
    int w = 0;
    if (!ui->font || TTF_SizeUTF8(ui->font, text, &w, NULL) < 0) {
        return (int)strlen(text) * UI_FIXED_CHAR_W;
    }
    return w;
}

void ui_fill(Ui *ui, SDL_Rect r, SDL_Color c)
{
    if (ui->r) {
        SDL_SetRenderDrawColor(ui->r, c.r, c.g, c.b, c.a);
        SDL_RenderFillRect(ui->r, &r);
    }
}

static void ui_hline(Ui *ui, int x, int y, int w, SDL_Color c)
{
    ui_fill(ui, (SDL_Rect){x, y, w, 1}, c);
}

static void ui_vline(Ui *ui, int x, int y, int h, SDL_Color c)
{
    ui_fill(ui, (SDL_Rect){x, y, 1, h}, c);
}

static void ui_frame_rect(Ui *ui, SDL_Rect r, SDL_Color c)
{
    ui_hline(ui, r.x, r.y, r.w, c);
    ui_vline(ui, r.x, r.y, r.h, c);
    ui_hline(ui, r.x, r.y + r.h - 1, r.w, c);
    ui_vline(ui, r.x + r.w - 1, r.y, r.h, c);
}

void ui_bevel(Ui *ui, SDL_Rect r, bool sunken)
{
    SDL_Color tl = sunken ? ui_shadow : ui_light;
    SDL_Color br = sunken ? ui_light : ui_shadow;
    ui_hline(ui, r.x, r.y, r.w, tl);
    ui_vline(ui, r.x, r.y, r.h, tl);
    ui_hline(ui, r.x, r.y + r.h - 1, r.w, br);
    ui_vline(ui, r.x + r.w - 1, r.y, r.h, br);
}

/* Rendered per call: the dialog redraws only on input or caret blink, so
 * a texture cache would not pay for its code. */
void ui_label(Ui *ui, int x, int y, const char *text, SDL_Color c)
{
    if (!ui->r || !ui->font || !*text) {
        return;
    }
    SDL_Surface *s = TTF_RenderUTF8_Blended(ui->font, text, c);
    if (!s) {
        return;
    }
    SDL_Texture *t = SDL_CreateTextureFromSurface(ui->r, s);
    if (t) {
        SDL_Rect dst = {x, y, s->w, s->h};
        SDL_RenderCopy(ui->r, t, NULL, &dst);
        SDL_DestroyTexture(t);
    }
    SDL_FreeSurface(s);
}

void ui_note(Ui *ui, const char *id, int x, int y, const char *text,
             SDL_Color c)
{
    ui_report(ui, id, (SDL_Rect){x, y, ui_text_width(ui, text), ui->line_h});
    ui_label(ui, x, y, text, c);
}

/* A click is a left-button release inside r. */
bool ui_hit(const Ui *ui, SDL_Rect r)
{
    SDL_Point p = {ui->in.cx, ui->in.cy};
    return ui->in.click && SDL_PointInRect(&p, &r);
}

static int ui_text_y(const Ui *ui, SDL_Rect r)
{
    return r.y + (r.h - ui->line_h) / 2;
}

bool ui_button(Ui *ui, const char *id, SDL_Rect r, const char *label,
               bool pressed)
{
    ui_report(ui, id, r);
    ui_fill(ui, r, pressed ? ui_light : ui_face);
    ui_bevel(ui, r, pressed);
    ui_label(ui, r.x + (r.w - ui_text_width(ui, label)) / 2, ui_text_y(ui, r),
             label, ui_black);
    return ui_hit(ui, r);
}

/* A filled disc of radius rad around (cx, cy), one span per row. */
static void ui_disc(Ui *ui, int cx, int cy, int rad, SDL_Color c)
{
    for (int dy = -rad; dy <= rad; dy++) {
        int half = 0;
        while ((half + 1) * (half + 1) + dy * dy <= rad * rad) {
            half++;
        }
        ui_hline(ui, cx - half, cy + dy, 2 * half + 1, c);
    }
}

bool ui_radio(Ui *ui, const char *id, SDL_Rect r, const char *label,
              bool selected)
{
    int d = ui->line_h * 2 / 3;
    int rad = d / 2, cx = r.x + rad, cy = r.y + r.h / 2;

    ui_report(ui, id, r);
    ui_disc(ui, cx, cy, rad, ui_shadow);
    ui_disc(ui, cx, cy, rad - 1, ui_white);
    if (selected) {
        ui_disc(ui, cx, cy, rad / 2, ui_black);
    }
    ui_label(ui, r.x + d + 6, ui_text_y(ui, r), label, ui_black);
    return ui_hit(ui, r);
}

bool ui_checkbox(Ui *ui, const char *id, SDL_Rect r, const char *label,
                 bool *value)
{
    int d = ui->line_h * 4 / 5;
    SDL_Rect box = {r.x, r.y + (r.h - d) / 2, d, d};
    bool hit = ui_hit(ui, r);

    ui_report(ui, id, r);
    if (hit) {
        *value = !*value;
    }
    ui_fill(ui, box, ui_white);
    ui_bevel(ui, box, true);
    if (*value && ui->r) {
        /* A tick: two strokes, two pixels thick. */
        int x0 = box.x + 3, y0 = box.y + d / 2;
        int x1 = box.x + d / 2 - 1, y1 = box.y + d - 4;
        int x2 = box.x + d - 4, y2 = box.y + 3;
        SDL_SetRenderDrawColor(ui->r, 0, 0, 0, 255);
        for (int i = 0; i < 2; i++) {
            SDL_RenderDrawLine(ui->r, x0, y0 + i, x1, y1 + i);
            SDL_RenderDrawLine(ui->r, x1, y1 + i, x2, y2 + i);
        }
    }
    ui_label(ui, r.x + d + 6, ui_text_y(ui, r), label, ui_black);
    return hit;
}

bool ui_dropdown(Ui *ui, const char *id, SDL_Rect r, const char *const *items,
                 unsigned n, unsigned *sel)
{
    UiPopup *p = &ui->popup;
    bool open = !strcmp(p->id, id);
    bool picked = false;

    ui_report(ui, id, r);
    if (open && p->picked >= 0 && (unsigned)p->picked < n) {
        picked = true;
        *sel = (unsigned)p->picked;
        p->id[0] = 0;
        open = false;
    } else if (ui_hit(ui, r) && n) {
        g_strlcpy(p->id, id, sizeof(p->id));
        open = true;
    }
    if (*sel >= n) {
        *sel = 0;
    }
    if (open) {
        p->item_h = r.h;
        p->list = (SDL_Rect){r.x, r.y + r.h, r.w, (int)n * r.h};
        p->items = items;
        p->n = n;
        p->sel = *sel;
    }
    ui_fill(ui, r, ui_white);
    ui_bevel(ui, r, true);
    ui_label(ui, r.x + 4, r.y + (r.h - ui->line_h) / 2, n ? items[*sel] : "",
             ui_black);
    /* The arrow button at the right end. */
    int bw = r.h;
    SDL_Rect btn = {r.x + r.w - bw - 1, r.y + 1, bw, r.h - 2};
    ui_fill(ui, btn, ui_face);
    ui_bevel(ui, btn, false);
    for (int i = 0; i < bw / 4; i++) {
        ui_hline(ui, btn.x + bw / 4 + i, btn.y + btn.h / 2 - bw / 8 + i,
                 bw / 2 - 2 * i, ui_black);
    }
    return picked;
}

bool ui_textfield(Ui *ui, const char *id, SDL_Rect r, UiTextField *tf)
{
    bool changed = false;

    ui_report(ui, id, r);
    if (ui_hit(ui, r)) {
        g_strlcpy(ui->focus, id, sizeof(ui->focus));
        ui_tf_end(tf);
    }
    bool focused = !strcmp(ui->focus, id);
    if (focused) {
        const UiInput *in = &ui->in;
        changed |= in->backspace && ui_tf_backspace(tf);
        changed |= in->del && ui_tf_delete(tf);
        if (in->left) {
            ui_tf_move(tf, -1);
        }
        if (in->right) {
            ui_tf_move(tf, 1);
        }
        if (in->home) {
            ui_tf_home(tf);
        }
        if (in->end) {
            ui_tf_end(tf);
        }
        changed |= in->text[0] && ui_tf_insert(tf, in->text);
    }
    ui_fill(ui, r, ui_white);
    ui_bevel(ui, r, true);
    /* Show the tail when the text is wider than the field. */
    const char *shown = tf->buf;
    while (*shown && ui_text_width(ui, shown) > r.w - 8) {
        shown++;
    }
    ui_label(ui, r.x + 4, ui_text_y(ui, r), shown, ui_black);
    if (focused && ui->caret_on) {
        char head[UI_TEXT_MAX];
        size_t skip = (size_t)(shown - tf->buf);
        size_t n = tf->cursor > skip ? tf->cursor - skip : 0;
        memcpy(head, shown, n);
        head[n] = 0;
        ui_fill(
            ui,
            (SDL_Rect){r.x + 4 + ui_text_width(ui, head), r.y + 3, 1, r.h - 6},
            ui_black);
    }
    return changed;
}

void ui_tf_set(UiTextField *tf, const char *text)
{
    g_strlcpy(tf->buf, text, sizeof(tf->buf));
    tf->len = strlen(tf->buf);
    tf->cursor = tf->len;
}

/* Printable ASCII only: MACs, interface and segment names and paths need
 * nothing more, and byte offsets then equal character positions. */
bool ui_tf_insert(UiTextField *tf, const char *text)
{
    bool changed = false;
    for (; *text; text++) {
        if (*text < 0x20 || *text > 0x7E || tf->len + 1 >= sizeof(tf->buf)) {
            continue;
        }
        memmove(tf->buf + tf->cursor + 1, tf->buf + tf->cursor,
                tf->len - tf->cursor + 1);
        tf->buf[tf->cursor++] = *text;
        tf->len++;
        changed = true;
    }
    return changed;
}

bool ui_tf_backspace(UiTextField *tf)
{
    if (!tf->cursor) {
        return false;
    }
    tf->cursor--;
    return ui_tf_delete(tf);
}

bool ui_tf_delete(UiTextField *tf)
{
    if (tf->cursor >= tf->len) {
        return false;
    }
    memmove(tf->buf + tf->cursor, tf->buf + tf->cursor + 1,
            tf->len - tf->cursor);
    tf->len--;
    return true;
}

void ui_tf_move(UiTextField *tf, int delta)
{
    if (delta < 0 && (size_t)-delta > tf->cursor) {
        tf->cursor = 0;
    } else if (delta > 0 && tf->cursor + (size_t)delta > tf->len) {
        tf->cursor = tf->len;
    } else {
        tf->cursor = (size_t)((long)tf->cursor + delta);
    }
}

void ui_tf_home(UiTextField *tf)
{
    tf->cursor = 0;
}

void ui_tf_end(UiTextField *tf)
{
    tf->cursor = tf->len;
}
