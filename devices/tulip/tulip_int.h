/*
 * tulipvm: DEC 21140 model internals shared by tulip.c, srom.c, mii.c and
 * filter.c.  Not a public interface.
 */
#ifndef TULIP_INT_H
#define TULIP_INT_H

#include "devices/tulip.h"
#include "tulip_regs.h"
#include "tulip_srom.h"

/* Longest frame the chip assembles or stores (jabber / watchdog limit). */
#define TULIP_MAX_FRAME 2048

/* ---- serial ROM (srom.c) ---------------------------------------------- */

typedef enum SromPhase {
    SROM_IDLE, /* waiting for the start bit; leading zeros ignored */
    SROM_OPCODE,
    SROM_ADDR,
    SROM_DATA,   /* shifting out words */
    SROM_IGNORE, /* write/erase cycles: the ROM is write-protected */
} SromPhase;

typedef struct TulipSrom {
    uint16_t words[TULIP_SROM_WORDS];
    SromPhase phase;
    bool cs, sk;
    unsigned nbits; /* bits of the current field received */
    unsigned opcode, addr;
    uint16_t shift;
    unsigned left; /* data bits still to present from shift */
    bool dout;
} TulipSrom;

void tulip_srom_init(TulipSrom *r, const uint8_t image[TULIP_SROM_BYTES]);
void tulip_srom_reset(TulipSrom *r);
/* The CSR9 pins as written: SR select, CS, SK, DI. */
void tulip_srom_pins(TulipSrom *r, bool selected, bool cs, bool sk, bool di);
bool tulip_srom_dout(const TulipSrom *r);

/* ---- MII management and PHY (mii.c) ----------------------------------- */

typedef enum MiiPhase {
    MII_IDLE, /* counting preamble ones */
    MII_CMD,  /* ST, OP, PHYAD, REGAD (14 bits) */
    MII_READ, /* PHY drives turnaround and data */
    MII_WRITE,
} MiiPhase;

typedef struct TulipMii {
    bool present;  /* board has a PHY (model dc21140) */
    unsigned addr; /* PHY address */
    uint16_t regs[32];
    bool link;         /* cable state */
    bool link_latched; /* BMSR link bit latched low since last read */
    /* management frame decoder */
    MiiPhase phase;
    bool mdc;
    unsigned ones, edges;
    uint32_t cmd;
    uint16_t data;
    bool mdi;
} TulipMii;

void tulip_mii_init(TulipMii *m, bool present, bool link);
void tulip_mii_reset(TulipMii *m);
void tulip_mii_set_link(TulipMii *m, bool up);
/* MDC, MDO and the direction bit as written to CSR9. */
void tulip_mii_pins(TulipMii *m, bool mdc, bool mdo, bool read_dir);
bool tulip_mii_mdi(const TulipMii *m);

/* ---- receive address filter (filter.c) -------------------------------- */

typedef enum TulipFilterMode {
    TULIP_FILTER_PERFECT = 0, /* FT1 FT0 = 00 */
    TULIP_FILTER_HASH = 1,    /* 01: hash for multicast + one perfect */
    TULIP_FILTER_INVERSE = 2, /* 10 */
    TULIP_FILTER_HASH_ONLY = 3,
} TulipFilterMode;

typedef struct TulipFilter {
    TulipFilterMode mode;
    uint8_t perfect[16][6];
    uint8_t station[6]; /* hash mode's perfect address */
    uint16_t hash[32];  /* 512 bits */
} TulipFilter;

void tulip_filter_clear(TulipFilter *f);
/* Load a 192-byte setup frame of the given mode. */
void tulip_filter_load(TulipFilter *f, TulipFilterMode mode,
                       const uint8_t table[TULIP_SETUP_FRAME_LEN]);
/* The table decision alone (no PR/PM/RA). */
bool tulip_filter_match(const TulipFilter *f, const uint8_t *da);
/* CSR6 HP/HO/IF as the loaded mode sets them. */
uint32_t tulip_filter_csr6_bits(const TulipFilter *f);
/* What the filter plus CSR6 PR/PM/RA accept, for the network layer. */
void tulip_filter_declare(const TulipFilter *f, uint32_t csr6,
                          NetRxFilter *out);

/* ---- frame check sequence (fcs.c) -------------------------------------- */

/* IEEE 802.3 CRC-32 of a frame, equal to zlib's crc32(0, p, len). */
uint32_t tulip_fcs(const uint8_t *p, size_t len);
/*
 * Copy len bytes from src to dst (which must not overlap) and return the
 * CRC continued over them from crc, the CRC of the bytes before (0 at the
 * start of a frame): one pass over the data.
 */
uint32_t tulip_fcs_copy(uint32_t crc, uint8_t *dst, const uint8_t *src,
                        size_t len);

#endif /* TULIP_INT_H */
