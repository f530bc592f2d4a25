/*
 * DEC 21140 receive filtering through setup frames: perfect, hash-perfect,
 * inverse and hash-only tables, promiscuous / pass-all-multicast /
 * receive-all, the hash function against the documented values, and the
 * filter the NIC declares to the network layer.
 */
#include <criterion/criterion.h>
#include "drivers/tulip_drv.h"
#include "emu/log.h"

static TestMachine *tm;
static TulipDrv d;
static const uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x01};
static const uint8_t src[6] = {0x00, 0x03, 0xFF, 0x99, 0x88, 0x77};
static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
static const uint8_t mc1[6] = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x01};
static const uint8_t mc2[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mc3[6] = {0x01, 0x00, 0x5E, 0x7F, 0xFF, 0xFA};
static const uint8_t other[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x02};

#define FT0 (1u << 22)
#define FT1 (1u << 28)

static void setup(void)
{
    log_set_enabled(0);
    tm = tm_new(NULL);
    tm_probe(tm);
    drv_open(&d, tm, mac, 16, 8, 1536, false);
}

static void teardown(void)
{
    tm_free(tm);
}

TestSuite(tulip_filter, .init = setup, .fini = teardown);

static unsigned rx_seen;

/* Offer a frame to dst; report whether it reached guest memory. */
static bool delivered(const uint8_t dst[6], uint32_t *status)
{
    uint8_t f[80];
    unsigned i = rx_seen % d.nrx;
    drv_make_frame(f, sizeof(f), dst, src, (uint8_t)rx_seen);
    cr_assert_gt(net_recorder_inject(tm->wire, f, sizeof(f)), 0,
                 "a filtered frame is consumed, never refused");
    uint32_t st = ram_r32(tm, drv_rx_desc(&d, i));
    if (st >> 31) {
        return false;
    }
    if (status) {
        *status = st;
    }
    uint8_t got[6];
    ram_read(tm, DRV_RX_BUFS + i * DRV_BUF_STRIDE, got, 6);
    cr_assert_arr_eq(got, dst, 6);
    drv_rx_post(&d, i);
    rx_seen++;
    return true;
}

static void load(const uint8_t table[192], uint32_t ft)
{
    unsigned i = drv_setup(&d, table, ft);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 5000);
    cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, i)) >> 31, 0, "setup done");
}

Test(tulip_filter, hash_index_matches_documented_values)
{
    cr_assert_eq(tulip_hash_index(bcast), 255);
    cr_assert_eq(tulip_hash_index(mc1), 510);
    cr_assert_eq(tulip_hash_index(mc2), 415);
    /* and the driver-side CRC agrees */
    cr_assert_eq(drv_ether_crc_le(mc1, 6) & 0x1FF, 510);
}

Test(tulip_filter, perfect_accepts_exactly_the_table)
{
    uint8_t table[192];
    uint8_t addrs[3][6];
    rx_seen = 0;
    memcpy(addrs[0], mac, 6);
    memcpy(addrs[1], mc1, 6);
    memcpy(addrs[2], mc2, 6);
    drv_table_perfect(table, addrs, 3); /* rest filled with broadcast */
    load(table, 0);
    cr_assert_eq(csr_r(tm, 6) & 0x15, 0, "HP/HO/IF clear");
    cr_assert(delivered(mac, NULL));
    cr_assert(delivered(mc1, NULL));
    cr_assert(delivered(mc2, NULL));
    cr_assert(delivered(bcast, NULL));
    cr_assert_not(delivered(other, NULL));
    cr_assert_not(delivered(mc3, NULL));
}

Test(tulip_filter, broadcast_is_not_implicit)
{
    uint8_t table[192];
    rx_seen = 0;
    for (int e = 0; e < 16; e++) {
        for (int j = 0; j < 3; j++) {
            table[12 * e + 4 * j] = mac[2 * j];
            table[12 * e + 4 * j + 1] = mac[2 * j + 1];
            table[12 * e + 4 * j + 2] = 0xEE; /* high halves ignored */
            table[12 * e + 4 * j + 3] = 0xEE;
        }
    }
    load(table, 0);
    cr_assert(delivered(mac, NULL));
    cr_assert_not(delivered(bcast, NULL));
}

Test(tulip_filter, hash_perfect_uses_hash_for_groups_and_station_for_unicast)
{
    uint8_t table[192];
    uint8_t mcast[1][6];
    rx_seen = 0;
    memcpy(mcast[0], mc1, 6);
    drv_table_hash(table, mcast, 1, mac);
    load(table, FT0);
    cr_assert_eq(csr_r(tm, 6) & 0x15, 0x1, "HP");
    uint32_t st = 0;
    cr_assert(delivered(mc1, &st));
    cr_assert_eq(st & 0x400, 0x400, "MF");
    cr_assert(delivered(bcast, NULL), "bit 255");
    cr_assert(delivered(mac, &st));
    cr_assert_eq(st & 0x40000400, 0, "unicast: no MF, no FF");
    cr_assert_not(delivered(mc2, NULL));
    cr_assert_not(delivered(other, NULL));
}

Test(tulip_filter, hash_bit_is_the_documented_one)
{
    uint8_t table[192] = {0};
    rx_seen = 0;
    /* only bit 415 (longword 25, bit 15): 33:33:00:00:00:01 */
    table[4 * 25 + 1] = 0x80;
    load(table, FT0 | FT1);
    cr_assert_eq(csr_r(tm, 6) & 0x15, 0x5, "HP|HO");
    cr_assert(delivered(mc2, NULL));
    cr_assert_not(delivered(mc1, NULL));
    cr_assert_not(delivered(bcast, NULL));
    cr_assert_not(delivered(mac, NULL), "hash-only: unicast by hash too");
}

Test(tulip_filter, hash_only_accepts_unicast_by_hash)
{
    uint8_t table[192] = {0};
    rx_seen = 0;
    unsigned k = tulip_hash_index(mac);
    table[4 * (k / 16) + ((k % 16) >= 8)] = (uint8_t)(1u << (k % 8));
    load(table, FT0 | FT1);
    cr_assert(delivered(mac, NULL));
    cr_assert_not(delivered(other, NULL));
}

Test(tulip_filter, inverse_rejects_the_table)
{
    uint8_t table[192];
    uint8_t addrs[1][6];
    rx_seen = 0;
    memcpy(addrs[0], other, 6);
    drv_table_perfect(table, addrs, 1);
    load(table, FT1);
    cr_assert_eq(csr_r(tm, 6) & 0x15, 0x10, "IF");
    cr_assert_not(delivered(other, NULL));
    cr_assert_not(delivered(bcast, NULL));
    cr_assert(delivered(mac, NULL));
    cr_assert(delivered(mc1, NULL));
}

Test(tulip_filter, promiscuous_sets_ff_only_on_filter_failures)
{
    uint32_t st = 0;
    rx_seen = 0;
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 0x40);
    cr_assert(delivered(other, &st));
    cr_assert_eq(st & 0x40000000, 0x40000000, "FF");
    cr_assert(delivered(mac, &st));
    cr_assert_eq(st & 0x40000000, 0, "own address: no FF");
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002);
    cr_assert_not(delivered(other, NULL));
}

Test(tulip_filter, pass_all_multicast)
{
    uint32_t st = 0;
    rx_seen = 0;
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 0x80);
    cr_assert(delivered(mc3, &st));
    cr_assert_eq(st & 0x40000400, 0x400, "MF, no FF");
    cr_assert_not(delivered(other, NULL));
}

Test(tulip_filter, receive_all)
{
    uint32_t st = 0;
    rx_seen = 0;
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 0x40000000);
    cr_assert(delivered(other, &st));
    cr_assert_eq(st & 0x40000000, 0x40000000);
}

Test(tulip_filter, filter_modes_ignore_csr6_writes)
{
    uint8_t table[192];
    uint8_t mcast[1][6];
    memcpy(mcast[0], mc1, 6);
    drv_table_hash(table, mcast, 1, mac);
    load(table, FT0);
    /* Linux writes CSR6 with 0x00D5 cleared right after queuing */
    csr_w(tm, 6, (csr_r(tm, 6) & ~0xD5u));
    cr_assert_eq(csr_r(tm, 6) & 0x15, 0x1, "HP stays");
}

Test(tulip_filter, declares_what_it_accepts_to_the_network)
{
    const NetRxFilter *f = net_recorder_peer_filter(tm->wire);
    cr_assert_not(f->promisc);
    cr_assert(f->broadcast);
    cr_assert_eq(f->n_addrs, 1);
    cr_assert_arr_eq(f->addrs[0], mac, 6);
    cr_assert(net_rx_filter_accepts(f, mac));
    cr_assert_not(net_rx_filter_accepts(f, other));

    uint8_t table[192];
    uint8_t mcast[1][6];
    memcpy(mcast[0], mc1, 6);
    drv_table_hash(table, mcast, 1, mac);
    load(table, FT0);
    f = net_recorder_peer_filter(tm->wire);
    cr_assert(f->all_multicast, "hash mode: groups via the hash");
    cr_assert(net_rx_filter_accepts(f, mac));
    cr_assert_not(net_rx_filter_accepts(f, other));

    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 0x40);
    cr_assert(net_recorder_peer_filter(tm->wire)->promisc);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002);
    cr_assert_not(net_recorder_peer_filter(tm->wire)->promisc);
}

Test(tulip_filter, truncated_setup_frame_is_ignored_and_logged)
{
    uint8_t table[192];
    uint8_t addrs[1][6];
    rx_seen = 0;
    memcpy(addrs[0], other, 6);
    drv_table_perfect(table, addrs, 1);
    uint64_t before = log_count(LOG_GUEST_ERROR);
    unsigned i = drv_setup(&d, table, 0);
    uint32_t a = drv_tx_desc(&d, i);
    ram_w32(tm, a + 4, (ram_r32(tm, a + 4) & ~0x7FFu) | 100);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 5000);
    cr_assert_eq(ram_r32(tm, a) >> 31, 0, "closed");
    cr_assert_gt(log_count(LOG_GUEST_ERROR), before);
    cr_assert(delivered(mac, NULL), "old filter still loaded");
    cr_assert_not(delivered(other, NULL));
}

Test(tulip_filter, setup_frame_with_ic_interrupts)
{
    uint8_t table[192];
    uint8_t addrs[1][6];
    memcpy(addrs[0], mac, 6);
    drv_table_perfect(table, addrs, 1);
    drv_setup(&d, table, 1u << 31);
    csr_w(tm, 1, 0);
    cr_assert(tm_wait_irq(tm, 10000));
    cr_assert_eq(csr_r(tm, 5) & 1, 1, "TI");
    cr_assert_eq(net_recorder_count(tm->wire), 0, "never on the wire");
}

Test(tulip_filter, software_reset_clears_the_mode_bits)
{
    uint8_t table[192];
    uint8_t mcast[1][6];
    memcpy(mcast[0], mc1, 6);
    drv_table_hash(table, mcast, 1, mac);
    load(table, FT0);
    cr_assert_eq(csr_r(tm, 6) & 0x15, 0x1);
    csr_w(tm, 0, 1);
    tm_step_ns(tm, 10000);
    cr_assert_eq(csr_r(tm, 6), 0x32000040u);
}
