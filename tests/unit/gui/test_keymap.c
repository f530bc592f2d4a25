/*
 * SDL keys to PS/2 set 1 scan codes, as the i8042 hands them to the guest
 * with translation on; and the CP437 glyph table the console draws with.
 */
#include <criterion/criterion.h>
#include "cp437.h"
#include "keymap.h"

static size_t keys(SDL_Scancode sc, bool down, uint8_t *out)
{
    return keymap_set1(sc, down, out);
}

Test(gui_keymap, letters_digits_and_enter_make_and_break)
{
    uint8_t b[KEYMAP_MAX_BYTES];
    cr_assert_eq(keys(SDL_SCANCODE_A, true, b), 1);
    cr_assert_eq(b[0], 0x1E);
    cr_assert_eq(keys(SDL_SCANCODE_A, false, b), 1);
    cr_assert_eq(b[0], 0x9E);
    keys(SDL_SCANCODE_Q, true, b);
    cr_assert_eq(b[0], 0x10);
    keys(SDL_SCANCODE_1, true, b);
    cr_assert_eq(b[0], 0x02);
    keys(SDL_SCANCODE_0, true, b);
    cr_assert_eq(b[0], 0x0B);
    keys(SDL_SCANCODE_RETURN, true, b);
    cr_assert_eq(b[0], 0x1C);
    keys(SDL_SCANCODE_LSHIFT, false, b);
    cr_assert_eq(b[0], 0xAA);
    keys(SDL_SCANCODE_F1, true, b);
    cr_assert_eq(b[0], 0x3B);
}

Test(gui_keymap, extended_keys_carry_e0_on_make_and_break)
{
    uint8_t b[KEYMAP_MAX_BYTES];
    cr_assert_eq(keys(SDL_SCANCODE_UP, true, b), 2);
    cr_assert_eq(b[0], 0xE0);
    cr_assert_eq(b[1], 0x48);
    cr_assert_eq(keys(SDL_SCANCODE_UP, false, b), 2);
    cr_assert_eq(b[1], 0xC8);
    keys(SDL_SCANCODE_RCTRL, true, b);
    cr_assert_eq(b[0], 0xE0);
    cr_assert_eq(b[1], 0x1D);
    keys(SDL_SCANCODE_KP_ENTER, false, b);
    cr_assert_eq(b[1], 0x9C);
}

Test(gui_keymap, print_screen_and_pause_sequences)
{
    uint8_t b[KEYMAP_MAX_BYTES];
    cr_assert_eq(keys(SDL_SCANCODE_PRINTSCREEN, true, b), 4);
    cr_assert_arr_eq(b, ((uint8_t[]){0xE0, 0x2A, 0xE0, 0x37}), 4);
    cr_assert_eq(keys(SDL_SCANCODE_PRINTSCREEN, false, b), 4);
    cr_assert_arr_eq(b, ((uint8_t[]){0xE0, 0xB7, 0xE0, 0xAA}), 4);
    cr_assert_eq(keys(SDL_SCANCODE_PAUSE, true, b), 6);
    cr_assert_arr_eq(b, ((uint8_t[]){0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5}), 6);
    cr_assert_eq(keys(SDL_SCANCODE_PAUSE, false, b), 0);
}

Test(gui_keymap, keys_a_pc_keyboard_lacks_send_nothing)
{
    uint8_t b[KEYMAP_MAX_BYTES];
    cr_assert_eq(keys(SDL_SCANCODE_AUDIOPLAY, true, b), 0);
    cr_assert_eq(keys(SDL_SCANCODE_UNKNOWN, true, b), 0);
    cr_assert_eq(keys((SDL_Scancode)SDL_NUM_SCANCODES, true, b), 0);
}

Test(gui_cp437, box_drawing_blocks_and_pictographs)
{
    cr_assert_eq(cp437_to_unicode(0xC9), 0x2554); /* double top-left */
    cr_assert_eq(cp437_to_unicode(0xCD), 0x2550);
    cr_assert_eq(cp437_to_unicode(0xB3), 0x2502);
    cr_assert_eq(cp437_to_unicode(0xC4), 0x2500);
    cr_assert_eq(cp437_to_unicode(0xDA), 0x250C);
    cr_assert_eq(cp437_to_unicode(0xDB), 0x2588); /* full block */
    cr_assert_eq(cp437_to_unicode(0xB0), 0x2591);
    cr_assert_eq(cp437_to_unicode(0x01), 0x263A);
    cr_assert_eq(cp437_to_unicode(0x7F), 0x2302);
    cr_assert_eq(cp437_to_unicode('A'), 'A');
    cr_assert_eq(cp437_to_unicode(0xE1), 0x00DF);
}

Test(gui_cp437, line_drawing_arms_match_the_glyphs)
{
    uint8_t a[4];
    cr_assert(cp437_box_arms(0xC9, a)); /* ╔ */
    cr_assert_arr_eq(a, ((uint8_t[]){0, 2, 0, 2}), 4);
    cr_assert(cp437_box_arms(0xC5, a)); /* ┼ */
    cr_assert_arr_eq(a, ((uint8_t[]){1, 1, 1, 1}), 4);
    cr_assert(cp437_box_arms(0xD8, a)); /* ╪ */
    cr_assert_arr_eq(a, ((uint8_t[]){1, 1, 2, 2}), 4);
    cr_assert(cp437_box_arms(0xB6, a)); /* ╢ */
    cr_assert_arr_eq(a, ((uint8_t[]){2, 2, 1, 0}), 4);
    cr_assert(cp437_box_arms(0xDA, a)); /* ┌ */
    cr_assert_arr_eq(a, ((uint8_t[]){0, 1, 0, 1}), 4);
    cr_assert_not(cp437_box_arms(0xB2, a));
    cr_assert_not(cp437_box_arms(0xDB, a));
    cr_assert_not(cp437_box_arms('-', a));
}
