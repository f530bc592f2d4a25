/*
 * tulipvm: 93C46 Microwire serial EEPROM (64 x 16 bits) behind the 21140's
 * CSR9 serial ROM pins (docs/dec21140.md section 6).
 *
 * Purely edge-driven: the guest's CSR9 writes are the only clock.  DI is
 * sampled on SK rising edges while CS is high; leading zeros before the
 * start bit are ignored (Linux and iPXE clock two, NetBSD idles with 25
 * clocks).  After the rising edge that shifts in the sixth address bit DO
 * drives the dummy 0 that drivers use for size detection; each following
 * rising edge presents the next data bit, D15 first, and reads continue
 * into the next word.  CS low ends the cycle.  While not driving, DO reads
 * 1 (pull-up).  Not modelled: write, erase and EWEN/EWDS (the ROM behaves
 * as write-protected), SK timing limits.
 */
#include "tulip_int.h"
#include "emu/log.h"

#include <string.h>

#define SROM_OP_READ   2
#define SROM_ADDR_BITS 6

void tulip_srom_init(TulipSrom *r, const uint8_t image[TULIP_SROM_BYTES])
{
    for (int i = 0; i < TULIP_SROM_WORDS; i++) {
        r->words[i] = image[2 * i] | image[2 * i + 1] << 8;
    }
    tulip_srom_reset(r);
}

void tulip_srom_reset(TulipSrom *r)
{
    r->phase = SROM_IDLE;
    r->cs = r->sk = false;
    r->nbits = r->opcode = r->addr = 0;
    r->shift = 0;
    r->left = 0;
    r->dout = true;
}

static void srom_rising_edge(TulipSrom *r, bool di)
{
    switch (r->phase) {
    case SROM_IDLE:
        if (di) {
            r->phase = SROM_OPCODE;
            r->nbits = 0;
            r->opcode = 0;
        }
        break;
    case SROM_OPCODE:
        r->opcode = r->opcode << 1 | di;
        if (++r->nbits == 2) {
            r->phase = SROM_ADDR;
            r->nbits = 0;
            r->addr = 0;
        }
        break;
    case SROM_ADDR:
        r->addr = r->addr << 1 | di;
        if (++r->nbits < SROM_ADDR_BITS) {
            break;
        }
        if (r->opcode == SROM_OP_READ) {
            r->phase = SROM_DATA;
            r->shift = r->words[r->addr];
            r->left = 16;
            r->dout = false; /* the dummy zero */
            TRACE(TRACE_SROM, "read word 0x%02x = 0x%04x", r->addr, r->shift);
        } else {
            r->phase = SROM_IGNORE;
            TRACE(TRACE_SROM, "opcode %u addr 0x%02x ignored (read-only)",
                  r->opcode, r->addr);
        }
        break;
    case SROM_DATA:
        if (r->left == 0) {
            r->addr = (r->addr + 1) % TULIP_SROM_WORDS;
            r->shift = r->words[r->addr];
            r->left = 16;
        }
        r->left--;
        r->dout = (r->shift >> r->left) & 1;
        break;
    case SROM_IGNORE:
        break;
    }
}

void tulip_srom_pins(TulipSrom *r, bool selected, bool cs, bool sk, bool di)
{
    cs = selected && cs;
    if (!cs) {
        if (r->cs) {
            r->phase = SROM_IDLE;
            r->dout = true;
        }
        r->cs = false;
        r->sk = sk;
        return;
    }
    r->cs = true;
    if (sk && !r->sk) {
        srom_rising_edge(r, di);
    }
    r->sk = sk;
}

bool tulip_srom_dout(const TulipSrom *r)
{
    return r->cs ? r->dout : true;
}
