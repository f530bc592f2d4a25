/*
 * tulipvm tests: screenshots of the window (RGBA8 PNG files written by
 * the frontend) read back and examined pixel by pixel.  Failures are
 * Criterion assertions: these helpers are only called from tests.
 */
#ifndef TESTS_SUPPORT_SHOT_H
#define TESTS_SUPPORT_SHOT_H

#include <stdint.h>
#include <SDL.h>

typedef struct Shot {
    uint8_t *px; /* RGBA8, row after row; g_free it */
    int w, h;
} Shot;

/* Read the PNG at path; fails the test if it cannot be read. */
Shot shot_read(const char *path);
/* The pixel at x, y as 0xRRGGBB; fails the test outside the image. */
uint32_t shot_pixel(const Shot *sh, int x, int y);
/* How many pixels of the rectangle r differ from colour. */
int shot_count_not(const Shot *sh, SDL_Rect r, uint32_t colour);

#endif /* TESTS_SUPPORT_SHOT_H */
