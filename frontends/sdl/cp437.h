/*
 * tulipvm: IBM code page 437 (the VGA's built-in character set) to Unicode,
 * so the frontend can draw text-mode cells with a TrueType font.
 */
#ifndef FRONTENDS_SDL_CP437_H
#define FRONTENDS_SDL_CP437_H

#include <stdint.h>

/* The Unicode code point that looks like VGA character c. */
uint16_t cp437_to_unicode(uint8_t c);

#endif /* FRONTENDS_SDL_CP437_H */
