/*
 * tulipvm: the 21140's receive address filter and setup-frame decoding
 * (docs/dec21140.md section 5).
 *
 * A 192-byte setup frame carries either sixteen perfect addresses (entry i
 * at byte 12*i, two address bytes in the low half of each of three
 * longwords) or a 512-bit hash table (bit k in bit k%16 of longword k/16)
 * plus, in hash-perfect mode, one station address at byte 156.  The hash
 * index is the low 9 bits of the little-endian CRC-32 of the destination
 * with initial value all ones and no final inversion.  Broadcast is not
 * implicit: it passes only through a table entry or hash bit 255.
 */
#include "tulip_int.h"

#include <string.h>

#define SETUP_STATION_OFF 156

static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

unsigned tulip_hash_index(const uint8_t addr[6])
{
    uint32_t crc = 0xFFFFFFFFu;
    for (int i = 0; i < 6; i++) {
        crc ^= addr[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (crc & 1 ? 0xEDB88320u : 0);
        }
    }
    return crc & 0x1FF;
}

void tulip_filter_clear(TulipFilter *f)
{
    memset(f, 0, sizeof(*f));
}

/* Two address bytes from the low half of longword lw of the table. */
static void table_pair(const uint8_t *table, unsigned lw, uint8_t *out)
{
    out[0] = table[4 * lw];
    out[1] = table[4 * lw + 1];
}

void tulip_filter_load(TulipFilter *f, TulipFilterMode mode,
                       const uint8_t table[TULIP_SETUP_FRAME_LEN])
{
    f->mode = mode;
    if (mode == TULIP_FILTER_PERFECT || mode == TULIP_FILTER_INVERSE) {
        for (unsigned i = 0; i < 16; i++) {
            for (unsigned j = 0; j < 3; j++) {
                table_pair(table, 3 * i + j, &f->perfect[i][2 * j]);
            }
        }
        return;
    }
    for (unsigned i = 0; i < 32; i++) {
        f->hash[i] = table[4 * i] | table[4 * i + 1] << 8;
    }
    for (unsigned j = 0; j < 3; j++) {
        table_pair(table, SETUP_STATION_OFF / 4 + j, &f->station[2 * j]);
    }
}

static bool hash_hit(const TulipFilter *f, const uint8_t *da)
{
    unsigned k = tulip_hash_index(da);
    return (f->hash[k / 16] >> (k % 16)) & 1;
}

static bool perfect_hit(const TulipFilter *f, const uint8_t *da)
{
    for (unsigned i = 0; i < 16; i++) {
        if (!memcmp(f->perfect[i], da, 6)) {
            return true;
        }
    }
    return false;
}

bool tulip_filter_match(const TulipFilter *f, const uint8_t *da)
{
    switch (f->mode) {
    case TULIP_FILTER_PERFECT:
        return perfect_hit(f, da);
    case TULIP_FILTER_INVERSE:
        return !perfect_hit(f, da);
    case TULIP_FILTER_HASH:
        if (da[0] & 1) {
            return hash_hit(f, da);
        }
        return !memcmp(f->station, da, 6);
    case TULIP_FILTER_HASH_ONLY:
        return hash_hit(f, da);
    }
    return false;
}

uint32_t tulip_filter_csr6_bits(const TulipFilter *f)
{
    switch (f->mode) {
    case TULIP_FILTER_HASH:
        return CSR6_HP;
    case TULIP_FILTER_HASH_ONLY:
        return CSR6_HP | CSR6_HO;
    case TULIP_FILTER_INVERSE:
        return CSR6_IF;
    case TULIP_FILTER_PERFECT:
        break;
    }
    return 0;
}

static void declare_addr(NetRxFilter *out, const uint8_t *a)
{
    if (!memcmp(a, bcast, 6)) {
        out->broadcast = true;
        return;
    }
    for (unsigned i = 0; i < out->n_addrs; i++) {
        if (!memcmp(out->addrs[i], a, 6)) {
            return;
        }
    }
    if (out->n_addrs < NET_FILTER_MAX_ADDRS) {
        memcpy(out->addrs[out->n_addrs++], a, 6);
    }
}

void tulip_filter_declare(const TulipFilter *f, uint32_t csr6, NetRxFilter *out)
{
    memset(out, 0, sizeof(*out));
    out->all_multicast = (csr6 & CSR6_PM) != 0;
    /* Inverse and hash-only accept unicast we cannot list: say "all". */
    out->promisc = (csr6 & (CSR6_PR | CSR6_RA)) != 0 ||
                   f->mode == TULIP_FILTER_INVERSE ||
                   f->mode == TULIP_FILTER_HASH_ONLY;
    switch (f->mode) {
    case TULIP_FILTER_PERFECT:
        for (unsigned i = 0; i < 16; i++) {
            declare_addr(out, f->perfect[i]);
        }
        break;
    case TULIP_FILTER_HASH:
        declare_addr(out, f->station);
        out->all_multicast = true;
        out->broadcast = hash_hit(f, bcast);
        break;
    case TULIP_FILTER_INVERSE:
    case TULIP_FILTER_HASH_ONLY:
        out->broadcast = tulip_filter_match(f, bcast);
        break;
    }
}
