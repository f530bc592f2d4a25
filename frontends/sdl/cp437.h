/*
 * tulipvm: IBM code page 437 (the VGA's built-in character set) to Unicode,
 * so the frontend can draw text-mode cells with a TrueType font.
 */
#ifndef FRONTENDS_SDL_CP437_H
#define FRONTENDS_SDL_CP437_H

#include <stdbool.h>
#include <stdint.h>

/* The Unicode code point that looks like VGA character c. */
uint16_t cp437_to_unicode(uint8_t c);

/*
 * Line-drawing characters 0xB3-0xDA as four arms from the cell centre,
 * each 0 (none), 1 (single) or 2 (double): arms[CP437_UP..CP437_RIGHT].
 * False for other characters.  The frontend draws these itself so lines
 * join across cells, which font glyphs do not guarantee.
 */
enum { CP437_UP, CP437_DOWN, CP437_LEFT, CP437_RIGHT };
bool cp437_box_arms(uint8_t c, uint8_t arms[4]);

#endif /* FRONTENDS_SDL_CP437_H */
