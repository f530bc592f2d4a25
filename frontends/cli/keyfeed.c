/*
 * tulipvm: the host's type-ahead in front of the PS/2 keyboard (see
 * keyfeed.h).
 */
#include "keyfeed.h"

#include "emu/log.h"

void keyfeed_init(KeyFeed *f, I8042 *kbc)
{
    f->kbc = kbc;
    f->pending = g_byte_array_new();
    f->dropped = 0;
}

void keyfeed_destroy(KeyFeed *f)
{
    g_byte_array_unref(f->pending);
    f->pending = NULL;
}

void keyfeed_pump(KeyFeed *f)
{
    guint used = 0;

    while (used < f->pending->len) {
        size_t len = f->pending->data[used];
        if (len > i8042_kbd_room(f->kbc)) {
            break;
        }
        i8042_put_scancodes(f->kbc, f->pending->data + used + 1, len);
        used += 1 + (guint)len;
    }
    if (used) {
        g_byte_array_remove_range(f->pending, 0, used);
    }
}

void keyfeed_put(KeyFeed *f, const uint8_t *set1, size_t len)
{
    if (!len) {
        return;
    }
    if (len > KBD_QUEUE_SIZE - 1 ||
        f->pending->len + 1 + len > KEYFEED_MAX_BYTES) {
        if (!f->dropped++) {
            emu_log(LOG_WARN, "keyboard: the guest is not reading its keys; "
                              "dropping key events");
        }
        return;
    }
    uint8_t n = (uint8_t)len;
    g_byte_array_append(f->pending, &n, 1);
    g_byte_array_append(f->pending, set1, (guint)len);
    keyfeed_pump(f);
}

size_t keyfeed_pending(const KeyFeed *f)
{
    return f->pending->len;
}
