/*
 * tulipvm tests: screenshots read back for pixel checks (see shot.h).
 */
#include "support/shot.h"

#include <criterion/criterion.h>
#include "gui.h"

Shot shot_read(const char *path)
{
    Shot sh;
    GError *err = NULL;
    sh.px = gui_png_read(path, &sh.w, &sh.h, &err);
    cr_assert_not_null(sh.px, "%s", err ? err->message : "");
    return sh;
}

uint32_t shot_pixel(const Shot *sh, int x, int y)
{
    cr_assert(x >= 0 && y >= 0 && x < sh->w && y < sh->h);
    const uint8_t *p = sh->px + ((size_t)y * sh->w + x) * 4;
    return (uint32_t)(p[0] << 16 | p[1] << 8 | p[2]);
}

int shot_count_not(const Shot *sh, SDL_Rect r, uint32_t colour)
{
    int n = 0;
    for (int y = r.y; y < r.y + r.h; y++) {
        for (int x = r.x; x < r.x + r.w; x++) {
            n += shot_pixel(sh, x, y) != colour;
        }
    }
    return n;
}
