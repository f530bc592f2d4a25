/*
 * tulipvm: SDL scan codes (USB HID usage order) to scan code set 1.
 *
 * Set 1 break codes are the make code with bit 7 set; extended keys carry
 * an E0 prefix on both.  Print Screen is the E0 2A E0 37 pair (fake left
 * shift plus the key); Pause has no break code.  Keys without a set 1 code
 * (media keys and the like) are dropped.
 */
#include "keymap.h"

#define EXT 0x100 /* E0-prefixed */

// clang-format off
static const uint16_t keymap_table[SDL_NUM_SCANCODES] = {
    [SDL_SCANCODE_A] = 0x1E, [SDL_SCANCODE_B] = 0x30, [SDL_SCANCODE_C] = 0x2E,
    [SDL_SCANCODE_D] = 0x20, [SDL_SCANCODE_E] = 0x12, [SDL_SCANCODE_F] = 0x21,
    [SDL_SCANCODE_G] = 0x22, [SDL_SCANCODE_H] = 0x23, [SDL_SCANCODE_I] = 0x17,
    [SDL_SCANCODE_J] = 0x24, [SDL_SCANCODE_K] = 0x25, [SDL_SCANCODE_L] = 0x26,
    [SDL_SCANCODE_M] = 0x32, [SDL_SCANCODE_N] = 0x31, [SDL_SCANCODE_O] = 0x18,
    [SDL_SCANCODE_P] = 0x19, [SDL_SCANCODE_Q] = 0x10, [SDL_SCANCODE_R] = 0x13,
    [SDL_SCANCODE_S] = 0x1F, [SDL_SCANCODE_T] = 0x14, [SDL_SCANCODE_U] = 0x16,
    [SDL_SCANCODE_V] = 0x2F, [SDL_SCANCODE_W] = 0x11, [SDL_SCANCODE_X] = 0x2D,
    [SDL_SCANCODE_Y] = 0x15, [SDL_SCANCODE_Z] = 0x2C,
    [SDL_SCANCODE_1] = 0x02, [SDL_SCANCODE_2] = 0x03, [SDL_SCANCODE_3] = 0x04,
    [SDL_SCANCODE_4] = 0x05, [SDL_SCANCODE_5] = 0x06, [SDL_SCANCODE_6] = 0x07,
    [SDL_SCANCODE_7] = 0x08, [SDL_SCANCODE_8] = 0x09, [SDL_SCANCODE_9] = 0x0A,
    [SDL_SCANCODE_0] = 0x0B,
    [SDL_SCANCODE_RETURN] = 0x1C, [SDL_SCANCODE_ESCAPE] = 0x01,
    [SDL_SCANCODE_BACKSPACE] = 0x0E, [SDL_SCANCODE_TAB] = 0x0F,
    [SDL_SCANCODE_SPACE] = 0x39, [SDL_SCANCODE_MINUS] = 0x0C,
    [SDL_SCANCODE_EQUALS] = 0x0D, [SDL_SCANCODE_LEFTBRACKET] = 0x1A,
    [SDL_SCANCODE_RIGHTBRACKET] = 0x1B, [SDL_SCANCODE_BACKSLASH] = 0x2B,
    [SDL_SCANCODE_NONUSHASH] = 0x2B, [SDL_SCANCODE_SEMICOLON] = 0x27,
    [SDL_SCANCODE_APOSTROPHE] = 0x28, [SDL_SCANCODE_GRAVE] = 0x29,
    [SDL_SCANCODE_COMMA] = 0x33, [SDL_SCANCODE_PERIOD] = 0x34,
    [SDL_SCANCODE_SLASH] = 0x35, [SDL_SCANCODE_CAPSLOCK] = 0x3A,
    [SDL_SCANCODE_F1] = 0x3B, [SDL_SCANCODE_F2] = 0x3C, [SDL_SCANCODE_F3] = 0x3D,
    [SDL_SCANCODE_F4] = 0x3E, [SDL_SCANCODE_F5] = 0x3F, [SDL_SCANCODE_F6] = 0x40,
    [SDL_SCANCODE_F7] = 0x41, [SDL_SCANCODE_F8] = 0x42, [SDL_SCANCODE_F9] = 0x43,
    [SDL_SCANCODE_F10] = 0x44, [SDL_SCANCODE_F11] = 0x57,
    [SDL_SCANCODE_F12] = 0x58, [SDL_SCANCODE_SCROLLLOCK] = 0x46,
    [SDL_SCANCODE_INSERT] = EXT | 0x52, [SDL_SCANCODE_HOME] = EXT | 0x47,
    [SDL_SCANCODE_PAGEUP] = EXT | 0x49, [SDL_SCANCODE_DELETE] = EXT | 0x53,
    [SDL_SCANCODE_END] = EXT | 0x4F, [SDL_SCANCODE_PAGEDOWN] = EXT | 0x51,
    [SDL_SCANCODE_RIGHT] = EXT | 0x4D, [SDL_SCANCODE_LEFT] = EXT | 0x4B,
    [SDL_SCANCODE_DOWN] = EXT | 0x50, [SDL_SCANCODE_UP] = EXT | 0x48,
    [SDL_SCANCODE_NUMLOCKCLEAR] = 0x45, [SDL_SCANCODE_KP_DIVIDE] = EXT | 0x35,
    [SDL_SCANCODE_KP_MULTIPLY] = 0x37, [SDL_SCANCODE_KP_MINUS] = 0x4A,
    [SDL_SCANCODE_KP_PLUS] = 0x4E, [SDL_SCANCODE_KP_ENTER] = EXT | 0x1C,
    [SDL_SCANCODE_KP_1] = 0x4F, [SDL_SCANCODE_KP_2] = 0x50,
    [SDL_SCANCODE_KP_3] = 0x51, [SDL_SCANCODE_KP_4] = 0x4B,
    [SDL_SCANCODE_KP_5] = 0x4C, [SDL_SCANCODE_KP_6] = 0x4D,
    [SDL_SCANCODE_KP_7] = 0x47, [SDL_SCANCODE_KP_8] = 0x48,
    [SDL_SCANCODE_KP_9] = 0x49, [SDL_SCANCODE_KP_0] = 0x52,
    [SDL_SCANCODE_KP_PERIOD] = 0x53, [SDL_SCANCODE_NONUSBACKSLASH] = 0x56,
    [SDL_SCANCODE_APPLICATION] = EXT | 0x5D,
    [SDL_SCANCODE_LCTRL] = 0x1D, [SDL_SCANCODE_LSHIFT] = 0x2A,
    [SDL_SCANCODE_LALT] = 0x38, [SDL_SCANCODE_LGUI] = EXT | 0x5B,
    [SDL_SCANCODE_RCTRL] = EXT | 0x1D, [SDL_SCANCODE_RSHIFT] = 0x36,
    [SDL_SCANCODE_RALT] = EXT | 0x38, [SDL_SCANCODE_RGUI] = EXT | 0x5C,
};
// clang-format on

size_t keymap_set1(SDL_Scancode sc, bool down, uint8_t out[KEYMAP_MAX_BYTES])
{
    static const uint8_t pause[6] = {0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5};
    uint8_t brk = down ? 0 : 0x80;

    if ((unsigned)sc >= SDL_NUM_SCANCODES) {
        return 0;
    }
    if (sc == SDL_SCANCODE_PAUSE) {
        if (!down) {
            return 0;
        }
        for (size_t i = 0; i < sizeof(pause); i++) {
            out[i] = pause[i];
        }
        return sizeof(pause);
    }
    if (sc == SDL_SCANCODE_PRINTSCREEN) {
        out[0] = 0xE0;
        out[1] = down ? 0x2A : 0xB7;
        out[2] = 0xE0;
        out[3] = down ? 0x37 : 0xAA;
        return 4;
    }
    uint16_t code = keymap_table[sc];
    if (!code) {
        return 0;
    }
    if (code & EXT) {
        out[0] = 0xE0;
        out[1] = (uint8_t)(code | brk);
        return 2;
    }
    out[0] = (uint8_t)(code | brk);
    return 1;
}
