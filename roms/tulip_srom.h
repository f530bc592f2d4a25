/*
 * tulipvm: generator of the DEC 21140 serial ROM image (93C46, 64 words).
 * Layout and checksums are documented in roms/README.md.
 */
#ifndef ROMS_TULIP_SROM_H
#define ROMS_TULIP_SROM_H

#include <stdbool.h>
#include <stdint.h>

#define TULIP_SROM_WORDS 64
#define TULIP_SROM_BYTES (TULIP_SROM_WORDS * 2)

/* Which controller info leaf the image carries. */
typedef enum TulipSromBoard {
    TULIP_SROM_MII, /* autosense, one 21140 MII PHY block (type 1) */
    TULIP_SROM_GPR, /* fixed 100BASE-TX, compact GPR block, link on GP6 */
} TulipSromBoard;

/* The GP pin a GPR board's SROM names as its (active-high) link indicator. */
#define TULIP_SROM_GPR_LINK_PIN 6

/* Fill image (little-endian bytes) for the given identity and board. */
void tulip_srom_build(uint8_t image[TULIP_SROM_BYTES], TulipSromBoard board,
                      const uint8_t mac[6], uint16_t subsys_vendor,
                      uint16_t subsys_id);
/* Low 16 bits of the zlib CRC-32 over bytes 0x00-0x7D (stored at 0x7E). */
uint16_t tulip_srom_crc16(const uint8_t image[TULIP_SROM_BYTES]);
/* CRC-8 (x^8+x^2+x+1, init 0xFF, MSB first) over bytes 0x00-0x0F, 0x11. */
uint8_t tulip_srom_id_crc(const uint8_t image[TULIP_SROM_BYTES]);

#endif /* ROMS_TULIP_SROM_H */
