/*
 * tulipvm: DEC 21140 serial ROM image generator.
 *
 * Builds the 128-byte Digital-format SROM (format version 3, one
 * controller) the 21140A boards carry, from the adapter's configuration:
 * subsystem ids, the IEEE address and a controller info leaf describing
 * either an MII PHY (type 1 extended block) or a GPR-controlled 100BASE-TX
 * port (compact block with a link indicator).  Both checksums are filled
 * in.  Layout: roms/README.md.  Not generated: multi-controller images,
 * 21142/3 leaves, the older 0x5E checksum variant.
 */
#include "tulip_srom.h"

#include <string.h>
#include <zlib.h>

#define SROM_ID_CRC     0x10
#define SROM_VERSION    0x12
#define SROM_CTRL_COUNT 0x13
#define SROM_MAC        0x14
#define SROM_CTRL0_DEV  0x1A
#define SROM_CTRL0_LEAF 0x1B
#define SROM_LEAF       0x1E /* first free byte after controller 0 */
#define SROM_CRC        0x7E
#define SROM_FORMAT_V3  3

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v & 0xFF;
    p[1] = v >> 8;
}

uint16_t tulip_srom_crc16(const uint8_t image[TULIP_SROM_BYTES])
{
    return crc32(0L, image, SROM_CRC) & 0xFFFF;
}

uint8_t tulip_srom_id_crc(const uint8_t image[TULIP_SROM_BYTES])
{
    uint8_t crc = 0xFF;
    uint32_t bits;
    /* Words 0-7 as 16-bit values, then byte 0x11, all MSB first. */
    for (int i = 0; i <= 8; i++) {
        int nbits = i < 8 ? 16 : 8;
        bits = i < 8 ? (uint32_t)(image[2 * i] | image[2 * i + 1] << 8)
                     : image[0x11];
        for (int b = nbits - 1; b >= 0; b--) {
            unsigned in = (bits >> b) & 1;
            unsigned msb = crc >> 7;
            crc = (uint8_t)(crc << 1);
            if (msb ^ in) {
                crc ^= 0x07;
            }
        }
    }
    return crc;
}

void tulip_srom_build(uint8_t image[TULIP_SROM_BYTES], TulipSromBoard board,
                      const uint8_t mac[6], uint16_t subsys_vendor,
                      uint16_t subsys_id)
{
    uint8_t *leaf = image + SROM_LEAF;

    memset(image, 0, TULIP_SROM_BYTES);
    put16(image + 0, subsys_vendor);
    put16(image + 2, subsys_id);
    image[SROM_VERSION] = SROM_FORMAT_V3;
    image[SROM_CTRL_COUNT] = 1;
    memcpy(image + SROM_MAC, mac, 6);
    image[SROM_CTRL0_DEV] = 0;
    put16(image + SROM_CTRL0_LEAF, SROM_LEAF);

    if (board == TULIP_SROM_MII) {
        put16(leaf + 0, 0x0800);  /* autosense */
        leaf[2] = 0x00;           /* GP port: all inputs */
        leaf[3] = 1;              /* one block */
        leaf[4] = 0x80 | 12;      /* extended, 12 bytes follow */
        leaf[5] = 1;              /* type 1: 21140 MII PHY */
        leaf[6] = 0;              /* first PHY found */
        leaf[7] = 0;              /* no GP sequence */
        leaf[8] = 0;              /* no reset sequence */
        put16(leaf + 9, 0x7800);  /* media capabilities (BMSR 15:11) */
        put16(leaf + 11, 0x01E1); /* NWay advertisement */
        put16(leaf + 13, 0x5000); /* full-duplex bitmap */
        put16(leaf + 15, 0x1800); /* TTM bitmap */
    } else {
        put16(leaf + 0, 0x0003); /* fixed 100BASE-TX */
        leaf[2] = 0x1F;          /* GP0-4 outputs, GP5-7 inputs */
        leaf[3] = 1;
        leaf[4] = 0x03; /* compact block: media 100BASE-TX */
        leaf[5] = 0x09; /* GP data */
        /* command: PS|PCS|SCR, link on GP6, active high */
        put16(leaf + 6,
              0x0001 | TULIP_SROM_GPR_LINK_PIN << 1 | 0x0020 | 0x0040);
    }
    image[SROM_ID_CRC] = tulip_srom_id_crc(image);
    put16(image + SROM_CRC, tulip_srom_crc16(image));
}
