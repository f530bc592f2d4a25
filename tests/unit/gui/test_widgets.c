/*
 * Widget behaviour without a window: text field editing, focus by click,
 * checkbox toggling, button hit testing.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "fake_vm.h"
#include "gui.h"
#include "widgets.h"
#include <stdlib.h>

Test(gui_widgets, text_field_inserts_deletes_and_moves)
{
    UiTextField tf;
    ui_tf_set(&tf, "00:03:ff");
    cr_assert_eq(tf.cursor, 8);
    cr_assert(ui_tf_insert(&tf, ":12"));
    cr_assert_str_eq(tf.buf, "00:03:ff:12");
    ui_tf_move(&tf, -3);
    cr_assert(ui_tf_backspace(&tf));
    cr_assert_str_eq(tf.buf, "00:03:f:12");
    cr_assert(ui_tf_delete(&tf));
    cr_assert_str_eq(tf.buf, "00:03:f12");
    ui_tf_home(&tf);
    cr_assert_not(ui_tf_backspace(&tf), "nothing before the start");
    ui_tf_move(&tf, -5);
    cr_assert_eq(tf.cursor, 0);
    ui_tf_move(&tf, 100);
    cr_assert_eq(tf.cursor, tf.len);
    cr_assert_not(ui_tf_delete(&tf), "nothing after the end");
    cr_assert_eq(tf.len, strlen(tf.buf));
}

Test(gui_widgets, text_field_keeps_printable_ascii_and_its_bound)
{
    UiTextField tf;
    ui_tf_set(&tf, "");
    cr_assert_not(ui_tf_insert(&tf, "\t\n\x7f"));
    cr_assert(ui_tf_insert(&tf, "a\x01"
                                "b"));
    cr_assert_str_eq(tf.buf, "ab");
    char big[UI_TEXT_MAX + 20];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    ui_tf_insert(&tf, big);
    cr_assert_eq(tf.len, UI_TEXT_MAX - 1);
    cr_assert_eq(strlen(tf.buf), UI_TEXT_MAX - 1);
}

Test(gui_widgets, click_focuses_a_field_and_typing_edits_only_it)
{
    Ui ui;
    UiTextField a, b;
    SDL_Rect ra = {10, 10, 100, 20}, rb = {10, 40, 100, 20};
    ui_init(&ui, NULL, NULL);
    ui_tf_set(&a, "seg");
    ui_tf_set(&b, "x");
    ui.in.click = true;
    ui.in.cx = 50;
    ui.in.cy = 45;
    ui_textfield(&ui, "a", ra, &a);
    ui_textfield(&ui, "b", rb, &b);
    ui_end_frame(&ui);
    cr_assert_str_eq(ui.focus, "b");
    g_strlcpy(ui.in.text, "yz", sizeof(ui.in.text));
    cr_assert_not(ui_textfield(&ui, "a", ra, &a));
    cr_assert(ui_textfield(&ui, "b", rb, &b));
    ui_end_frame(&ui);
    cr_assert_str_eq(a.buf, "seg");
    cr_assert_str_eq(b.buf, "xyz");
    ui.in.backspace = true;
    ui_textfield(&ui, "b", rb, &b);
    cr_assert_str_eq(b.buf, "xy");
}

Test(gui_widgets, checkbox_toggles_and_buttons_hit_only_inside)
{
    Ui ui;
    bool on = true;
    SDL_Rect r = {100, 100, 80, 20};
    ui_init(&ui, NULL, NULL);
    cr_assert_not(ui_checkbox(&ui, "c", r, "Cable", &on), "no click");
    ui.in.click = true;
    ui.in.cx = 179;
    ui.in.cy = 119;
    cr_assert(ui_checkbox(&ui, "c", r, "Cable", &on));
    cr_assert_not(on);
    cr_assert(ui_button(&ui, "b", r, "OK", false));
    ui.in.cx = 180; /* one past the right edge */
    cr_assert_not(ui_button(&ui, "b", r, "OK", false));
    cr_assert_not(ui_radio(&ui, "r", r, "NAT", false));
}

/* Every kind of input counts, so the window gives each its own frame. */
Test(gui_widgets, any_click_text_or_editing_key_is_pending_input)
{
    UiInput in = {0};
    cr_assert_not(ui_input_pending(&in));
    in.backspace = true;
    cr_assert(ui_input_pending(&in));
    in = (UiInput){.text = "x"};
    cr_assert(ui_input_pending(&in));
    in = (UiInput){.click = true};
    cr_assert(ui_input_pending(&in));
    in = (UiInput){.end = true};
    cr_assert(ui_input_pending(&in));
}

/* Host problems are errors naming the cause, before any window opens. */
Test(gui_errors, missing_font_is_an_error_naming_the_package)
{
    FakeVm vm;
    Vga *vga = NULL;
    fake_vm_init(&vm, 1);
    GuiConfig gc = {.vga = vga,
                    .vm = fake_vm_control(&vm),
                    .font_path = "/nonexistent/DejaVuSansMono.ttf"};
    GError *err = NULL;
    cr_assert_null(gui_new(&gc, &err));
    cr_assert(strstr(err->message, "/nonexistent/DejaVuSansMono.ttf"), "%s",
              err->message);
    cr_assert(strstr(err->message, "fonts-dejavu-core"));
    g_error_free(err);
    fake_vm_destroy(&vm);
}

Test(gui_errors, no_display_is_an_error_not_a_crash)
{
    FakeVm vm;
    fake_vm_init(&vm, 1);
    setenv("SDL_VIDEODRIVER", "x11", 1);
    setenv("DISPLAY", ":65000", 1); /* no such server */
    GuiConfig gc = {.vm = fake_vm_control(&vm)};
    GError *err = NULL;
    cr_assert_null(gui_new(&gc, &err));
    cr_assert(g_str_has_prefix(err->message, "display: "), "%s", err->message);
    g_error_free(err);
    fake_vm_destroy(&vm);
}

/* SDL would fall back to an invisible offscreen "window": refused. */
Test(gui_errors, no_window_system_is_an_error_not_an_invisible_window)
{
    FakeVm vm;
    fake_vm_init(&vm, 1);
    unsetenv("SDL_VIDEODRIVER");
    unsetenv("WAYLAND_DISPLAY");
    setenv("DISPLAY", ":65000", 1); /* no such server */
    GuiConfig gc = {.vm = fake_vm_control(&vm)};
    GError *err = NULL;
    cr_assert_null(gui_new(&gc, &err));
    cr_assert(strstr(err->message, "display: no window system"), "%s",
              err->message);
    cr_assert(strstr(err->message, "DISPLAY=:65000"), "%s", err->message);
    cr_assert(strstr(err->message, "-display none"), "%s", err->message);
    g_clear_error(&err);
    unsetenv("DISPLAY");
    cr_assert_null(gui_new(&gc, &err));
    cr_assert(strstr(err->message, "DISPLAY and WAYLAND_DISPLAY are unset"),
              "%s", err->message);
    g_error_free(err);
    fake_vm_destroy(&vm);
}

Test(gui_errors, display_is_available_only_with_x11_or_wayland)
{
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    cr_assert_not(gui_display_available());
    setenv("DISPLAY", "", 1);
    cr_assert_not(gui_display_available(), "empty DISPLAY");
    setenv("DISPLAY", ":3", 1);
    cr_assert(gui_display_available());
    unsetenv("DISPLAY");
    setenv("WAYLAND_DISPLAY", "wayland-0", 1);
    cr_assert(gui_display_available());
}
