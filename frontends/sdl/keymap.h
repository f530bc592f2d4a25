/*
 * tulipvm: SDL key events to PS/2 scan code set 1 (what the guest reads
 * from the i8042 with translation on, as i8042_put_scancodes() takes it).
 */
#ifndef FRONTENDS_SDL_KEYMAP_H
#define FRONTENDS_SDL_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <SDL.h>

#define KEYMAP_MAX_BYTES 6 /* Pause: E1 1D 45 E1 9D C5 */

/*
 * The bytes for pressing (down) or releasing a key; 0 for keys a PC
 * keyboard does not have.  Pause sends its whole sequence on press and
 * nothing on release, as the real key does.
 */
size_t keymap_set1(SDL_Scancode sc, bool down, uint8_t out[KEYMAP_MAX_BYTES]);

#endif /* FRONTENDS_SDL_KEYMAP_H */
