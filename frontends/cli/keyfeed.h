/*
 * tulipvm: the host's type-ahead in front of the PS/2 keyboard.
 *
 * A keyboard holds 16 bytes; a guest that lags host time (a slow build, a
 * loaded host) reads them later than a person or xdotool types.  Key
 * events wait here, whole (a Shift make never goes without its key), and
 * enter the keyboard's buffer as it empties, so no key is lost or
 * reordered on the way in.  What the guest does with them is its own
 * business.  Bounded: past KEYFEED_MAX_BYTES events are dropped and
 * counted.
 */
#ifndef FRONTENDS_KEYFEED_H
#define FRONTENDS_KEYFEED_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "devices/i8042.h"

#define KEYFEED_MAX_BYTES 4096

typedef struct KeyFeed {
    I8042 *kbc;
    GByteArray *pending; /* events as [length][scan code set 1 bytes] */
    uint64_t dropped;    /* events refused because the feed was full */
} KeyFeed;

void keyfeed_init(KeyFeed *f, I8042 *kbc);
void keyfeed_destroy(KeyFeed *f);

/* One key event (make or break, prefixes included); passes it on now if
 * the keyboard has room and nothing waits before it. */
void keyfeed_put(KeyFeed *f, const uint8_t *set1, size_t len);

/* Pass on the waiting events that fit; call it from the UI's tick. */
void keyfeed_pump(KeyFeed *f);

/* Bytes still waiting. */
size_t keyfeed_pending(const KeyFeed *f);

#endif /* FRONTENDS_KEYFEED_H */
