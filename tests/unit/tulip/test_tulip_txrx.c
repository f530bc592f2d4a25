/*
 * DEC 21140 transmit and receive processes: descriptors in guest RAM, ring
 * and chained lists, frames spanning descriptors, the ownership handshake
 * and written-back status, suspension (TU/RU) and recovery, backpressure
 * with the missed-frame counter, and modelled time per frame.
 */
#include <criterion/criterion.h>
#include <zlib.h>
#include "drivers/tulip_drv.h"
#include "emu/log.h"

static TestMachine *tm;
static TulipDrv d;
static const uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x01};
static const uint8_t peer[6] = {0x00, 0x03, 0xFF, 0x99, 0x88, 0x77};

static void setup(void)
{
    log_set_enabled(0);
    tm = tm_new(NULL);
    tm_probe(tm);
}

static void teardown(void)
{
    tm_free(tm);
}

TestSuite(tulip_tx, .init = setup, .fini = teardown);
TestSuite(tulip_rx, .init = setup, .fini = teardown);

static const GByteArray *wire_frame(unsigned i)
{
    return net_recorder_frame(tm->wire, i);
}

/* ---- transmit ---------------------------------------------------------- */

Test(tulip_tx, single_frame_reaches_the_wire_with_ti)
{
    uint8_t f[100];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    drv_make_frame(f, sizeof(f), peer, mac, 1);
    unsigned i = drv_tx(&d, f, sizeof(f), 1u << 31);
    csr_w(tm, 1, 0);
    cr_assert_eq(net_recorder_count(tm->wire), 0, "nothing before time");
    cr_assert(tm_wait_irq(tm, 20000));
    cr_assert_eq(csr_r(tm, 5) & 0x1FFFF, 0x10001 | 0x4,
                 "TI (IC), then TU on the next empty descriptor");
    cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, i)), 0, "closed, no errors");
    cr_assert_eq(net_recorder_count(tm->wire), 1);
    cr_assert_eq(wire_frame(0)->len, 100);
    cr_assert_arr_eq(wire_frame(0)->data, f, 100);
    cr_assert_eq((csr_r(tm, 5) >> 20) & 7, 6, "TX suspended");
}

Test(tulip_tx, short_frames_are_padded_unless_dpd)
{
    uint8_t f[42];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    drv_make_frame(f, sizeof(f), peer, mac, 2);
    drv_tx(&d, f, sizeof(f), 0);
    drv_tx(&d, f, sizeof(f), 1u << 23); /* DPD */
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 20000);
    cr_assert_eq(net_recorder_count(tm->wire), 2);
    cr_assert_eq(wire_frame(0)->len, 60);
    cr_assert_arr_eq(wire_frame(0)->data, f, 42);
    for (int i = 42; i < 60; i++) {
        cr_assert_eq(wire_frame(0)->data[i], 0, "pad byte %d", i);
    }
    cr_assert_eq(wire_frame(1)->len, 42, "DPD: sent as is");
}

Test(tulip_tx, frame_spanning_descriptors_and_two_buffers)
{
    uint8_t f[1000];
    drv_open(&d, tm, mac, 4, 8, 1536, false);
    drv_make_frame(f, sizeof(f), peer, mac, 3);
    /* entry 1: FS, buffers of 100 + 200; entry 2: 300; entry 3: LS 400 */
    uint32_t parts[4] = {100, 200, 300, 400};
    uint32_t addr[4] = {0x300000, 0x300400, 0x301000, 0x302000};
    uint32_t off = 0;
    for (int p = 0; p < 4; p++) {
        ram_write(tm, addr[p], f + off, parts[p]);
        off += parts[p];
    }
    uint32_t t1 = drv_tx_desc(&d, 1), t2 = drv_tx_desc(&d, 2),
             t3 = drv_tx_desc(&d, 3);
    ram_w32(tm, t1 + 4, 100 | 200 << 11 | 1u << 29);
    ram_w32(tm, t1 + 8, addr[0]);
    ram_w32(tm, t1 + 12, addr[1]);
    ram_w32(tm, t2 + 4, 300);
    ram_w32(tm, t2 + 8, addr[2]);
    ram_w32(tm, t3 + 4, 400 | 1u << 30 | 1u << 31);
    ram_w32(tm, t3 + 8, addr[3]);
    /* NetBSD order: later descriptors first, the first one last */
    ram_w32(tm, t3, 0x80000000);
    ram_w32(tm, t2, 0x80000000);
    ram_w32(tm, t1, 0x80000000);
    csr_w(tm, 1, 0);
    cr_assert(tm_wait_irq(tm, 50000));
    cr_assert_eq(net_recorder_count(tm->wire), 1);
    cr_assert_eq(wire_frame(0)->len, 1000);
    cr_assert_arr_eq(wire_frame(0)->data, f, 1000);
    cr_assert_eq(ram_r32(tm, t1), 0);
    cr_assert_eq(ram_r32(tm, t2), 0);
    cr_assert_eq(ram_r32(tm, t3), 0);
    cr_assert_eq(csr_r(tm, 5) & 1, 1, "TI from the LS descriptor's IC");
}

Test(tulip_tx, chained_descriptors_follow_next_pointers)
{
    uint8_t f[64];
    drv_reset(tm, 0x01A08000);
    /* three descriptors scattered, chained 0xA000 -> 0xB040 -> 0x9020 */
    uint32_t da[3] = {0xA000, 0xB040, 0x9020};
    for (int i = 0; i < 3; i++) {
        drv_make_frame(f, sizeof(f), peer, mac, (uint8_t)(10 + i));
        ram_write(tm, 0x400000 + i * 0x100, f, sizeof(f));
        ram_w32(tm, da[i] + 4, 64 | 0x60000000u | 1u << 24 | 0x7FFu << 11);
        ram_w32(tm, da[i] + 8, 0x400000 + i * 0x100);
        ram_w32(tm, da[i] + 12, i < 2 ? da[i + 1] : 0xC000);
        ram_w32(tm, da[i], 0x80000000);
    }
    ram_w32(tm, 0xC000, 0); /* host-owned terminator */
    csr_w(tm, 4, da[0]);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000);
    tm_step_ns(tm, 20000);
    cr_assert_eq(net_recorder_count(tm->wire), 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(wire_frame(i)->len, 64, "TBS2 ignored when chained");
        cr_assert_eq(wire_frame(i)->data[20], (uint8_t)(10 + i + 20));
        cr_assert_eq(ram_r32(tm, da[i]), 0);
    }
    cr_assert_eq(csr_r(tm, 5) & 4, 4, "TU at the terminator");
}

Test(tulip_tx, ring_wraps_to_csr4_at_ter)
{
    uint8_t f[80];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    for (int n = 0; n < 10; n++) {
        drv_make_frame(f, sizeof(f), peer, mac, (uint8_t)n);
        unsigned i = drv_tx(&d, f, sizeof(f), 0);
        csr_w(tm, 1, 0);
        tm_step_ns(tm, 10000);
        cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, i)), 0, "frame %d", n);
    }
    cr_assert_eq(net_recorder_count(tm->wire), 10);
    for (int n = 0; n < 10; n++) {
        cr_assert_eq(wire_frame(n)->data[14], (uint8_t)(n + 14));
    }
}

Test(tulip_tx, descriptor_skip_length_is_honoured)
{
    uint8_t f[64];
    drv_reset(tm, 0x01A08000 | 3 << 2); /* DSL = 3 longwords */
    drv_rings(&d, tm, 2, 3, 1536, false, 3);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000);
    for (int n = 0; n < 5; n++) {
        drv_make_frame(f, sizeof(f), peer, mac, (uint8_t)n);
        drv_tx(&d, f, sizeof(f), 0);
        csr_w(tm, 1, 0);
        tm_step_ns(tm, 10000);
    }
    cr_assert_eq(net_recorder_count(tm->wire), 5);
}

Test(tulip_tx, zero_length_descriptors_are_closed_and_skipped)
{
    uint8_t f[64];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    uint32_t t1 = drv_tx_desc(&d, 1);
    ram_w32(tm, t1 + 4, 0);
    ram_w32(tm, t1, 0x80000000);
    d.tx_next = 2;
    drv_make_frame(f, sizeof(f), peer, mac, 5);
    unsigned i = drv_tx(&d, f, sizeof(f), 0);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 10000);
    cr_assert_eq(ram_r32(tm, t1) >> 31, 0, "dummy descriptor closed");
    cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, i)), 0);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
}

Test(tulip_tx, suspend_raises_tu_and_poll_demand_resumes)
{
    uint8_t f[64];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    cr_assert_eq((csr_r(tm, 5) >> 20) & 7, 6, "suspended after setup");
    drv_make_frame(f, sizeof(f), peer, mac, 6);
    drv_tx(&d, f, sizeof(f), 0);
    tm_step_ns(tm, 100000);
    cr_assert_eq(net_recorder_count(tm->wire), 0, "no poll, no transmit");
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 10000);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
    cr_assert_eq(csr_r(tm, 5) & 4, 4, "TU again on suspension");
    cr_assert(tm_irq(tm), "TU interrupts (NIS)");
}

Test(tulip_tx, auto_poll_finds_new_descriptors)
{
    uint8_t f[64];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    csr_w(tm, 0, 0x01A08000 | 4u << 17); /* TAP: 12.8 us */
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 5000);
    drv_make_frame(f, sizeof(f), peer, mac, 7);
    drv_tx(&d, f, sizeof(f), 0);
    tm_step_ns(tm, 30000);
    cr_assert_eq(net_recorder_count(tm->wire), 1, "sent without CSR1");
}

Test(tulip_tx, stop_finishes_the_frame_then_raises_tps)
{
    uint8_t f[1514];
    TulipConfig cfg;
    tm_free(tm);
    tulip_config_default(&cfg);
    cfg.rate_mbps = 10;
    tm = tm_new(&cfg);
    tm_probe(tm);
    drv_open(&d, tm, cfg.mac, 4, 4, 1536, false);
    drv_make_frame(f, sizeof(f), peer, cfg.mac, 8);
    unsigned i = drv_tx(&d, f, sizeof(f), 0);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 5000);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2); /* clear ST mid-frame */
    cr_assert_neq((csr_r(tm, 5) >> 20) & 7, 0, "still sending");
    cr_assert_eq(csr_r(tm, 5) & 2, 0);
    tm_step_ns(tm, 1300000);
    cr_assert_eq((csr_r(tm, 5) >> 20) & 7, 0, "stopped within 1.3 ms");
    cr_assert_eq(csr_r(tm, 5) & 2, 2, "TPS");
    cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, i)), 0, "frame completed");
    cr_assert_eq(net_recorder_count(tm->wire), 1);
}

Test(tulip_tx, paced_frames_take_wire_time)
{
    uint8_t f[1514];
    TulipConfig cfg;
    tm_free(tm);
    tulip_config_default(&cfg);
    cfg.rate_mbps = 100;
    tm = tm_new(&cfg);
    tm_probe(tm);
    drv_open(&d, tm, cfg.mac, 4, 4, 1536, false);
    drv_make_frame(f, sizeof(f), peer, cfg.mac, 9);
    drv_tx(&d, f, sizeof(f), 1u << 31);
    drv_tx(&d, f, sizeof(f), 1u << 31);
    int64_t t0 = clock_now_ns(tm->clock);
    csr_w(tm, 1, 0);
    cr_assert(tm_wait_irq(tm, 1000000));
    int64_t t1 = clock_now_ns(tm->clock) - t0;
    /* 1538 byte times at 80 ns = 123.04 us on the wire */
    cr_assert_geq(t1, 123040, "first TI after %lld ns", (long long)t1);
    cr_assert_lt(t1, 140000);
    csr_w(tm, 5, 1);
    cr_assert(tm_wait_irq(tm, 1000000));
    int64_t t2 = clock_now_ns(tm->clock) - t0;
    cr_assert_geq(t2 - t1, 123040, "frames are serialised");
    cr_assert_eq(net_recorder_count(tm->wire), 2);
}

Test(tulip_tx, unpaced_frames_still_cost_pci_time)
{
    uint8_t f[1514];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    drv_make_frame(f, sizeof(f), peer, mac, 9);
    drv_tx(&d, f, sizeof(f), 1u << 31);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 1000);
    cr_assert_eq(csr_r(tm, 5) & 1, 0, "TI not before the burst is done");
    cr_assert(tm_wait_irq(tm, 100000));
    cr_assert_eq(net_recorder_count(tm->wire), 1);
}

Test(tulip_tx, unplugged_cable_reports_no_carrier)
{
    uint8_t f[64];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    net_port_set_link(tulip_port(tm->nic), false);
    drv_make_frame(f, sizeof(f), peer, mac, 1);
    unsigned i = drv_tx(&d, f, sizeof(f), 0);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 10000);
    cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, i)), 0x8C00, "ES|LO|NC");
    cr_assert_eq(net_recorder_count(tm->wire), 0);
}

Test(tulip_tx, csr4_rewrite_restarts_at_the_base_ipxe_style)
{
    uint8_t f[64];
    drv_open(&d, tm, mac, 2, 2, 1536, false);
    for (int n = 0; n < 3; n++) {
        csr_w(tm, 6, DRV_CSR6_MII | 0x2); /* ST off */
        drv_make_frame(f, sizeof(f), peer, mac, (uint8_t)(n + 40));
        ram_write(tm, DRV_TX_BUFS, f, sizeof(f));
        ram_w32(tm, DRV_TX_RING + 4, 64 | 0x60000000u | 1u << 25);
        ram_w32(tm, DRV_TX_RING + 8, DRV_TX_BUFS);
        ram_w32(tm, DRV_TX_RING, 0x80000000);
        csr_w(tm, 4, DRV_TX_RING);
        csr_w(tm, 6, DRV_CSR6_MII | 0x2002);
        csr_w(tm, 1, 0);
        for (int t = 0; t < 100 && (ram_r32(tm, DRV_TX_RING) >> 31); t++) {
            tm_step_ns(tm, 1000);
        }
        cr_assert_eq(ram_r32(tm, DRV_TX_RING) >> 31, 0);
    }
    cr_assert_eq(net_recorder_count(tm->wire), 3);
    cr_assert_eq(wire_frame(2)->data[20], (uint8_t)(42 + 20));
}

Test(tulip_tx, csr3_csr4_writes_ignored_while_running)
{
    drv_open(&d, tm, mac, 2, 2, 1536, false);
    csr_w(tm, 2, 0);
    uint64_t before = log_count(LOG_GUEST_ERROR);
    csr_w(tm, 3, 0x5000);
    cr_assert_eq(csr_r(tm, 3), DRV_RX_RING, "RX waiting: not idle");
    cr_assert_gt(log_count(LOG_GUEST_ERROR), before);
}

/* ---- receive ----------------------------------------------------------- */

static void check_rx(unsigned i, const uint8_t *f, size_t len)
{
    uint32_t a = drv_rx_desc(&d, i);
    uint32_t st = ram_r32(tm, a);
    uint8_t buf[2048];
    uint32_t crc = crc32(0L, f, len);
    cr_assert_eq(st >> 31, 0, "desc %u closed", i);
    cr_assert_eq(st & 0x300, 0x300, "FS|LS");
    cr_assert_eq((st >> 16) & 0x3FFF, len + 4, "FL includes the FCS");
    cr_assert_eq(st & 0x8000, 0, "no ES");
    ram_read(tm, ram_r32(tm, a + 8), buf, len + 4);
    cr_assert_arr_eq(buf, f, len);
    cr_assert_eq(buf[len] | buf[len + 1] << 8 | buf[len + 2] << 16 |
                     (uint32_t)buf[len + 3] << 24,
                 crc, "FCS stored after the data");
}

Test(tulip_rx, frame_lands_in_the_buffer_with_status_and_ri)
{
    uint8_t f[200];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    cr_assert_eq(net_recorder_inject(tm->wire, f, sizeof(f)), 200);
    check_rx(0, f, sizeof(f));
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) & 0x3FFF, 0x0320,
                 "FS|LS|FT (Ethernet II), no MF/FF/errors");
    cr_assert_eq(csr_r(tm, 5) & 0x40, 0x40, "RI");
    cr_assert(tm_irq(tm));
}

Test(tulip_rx, runts_from_the_host_are_padded_to_the_minimum)
{
    uint8_t f[42];
    uint8_t padded[60] = {0};
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    memcpy(padded, f, sizeof(f));
    net_recorder_inject(tm->wire, f, sizeof(f));
    check_rx(0, padded, 60);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) & 0x800, 0, "no RF");
}

Test(tulip_rx, ring_wraps_at_rer)
{
    uint8_t f[100];
    drv_open(&d, tm, mac, 3, 4, 1536, false);
    for (int n = 0; n < 7; n++) {
        unsigned i = n % 3;
        drv_make_frame(f, sizeof(f), mac, peer, (uint8_t)n);
        cr_assert_gt(net_recorder_inject(tm->wire, f, sizeof(f)), 0);
        check_rx(i, f, sizeof(f));
        drv_rx_post(&d, i);
    }
}

Test(tulip_rx, chained_receive_list)
{
    uint8_t f[100];
    drv_open(&d, tm, mac, 3, 4, 1536, true);
    for (int n = 0; n < 4; n++) {
        drv_make_frame(f, sizeof(f), mac, peer, (uint8_t)n);
        net_recorder_inject(tm->wire, f, sizeof(f));
        check_rx(n % 3, f, sizeof(f));
        drv_rx_post(&d, n % 3);
    }
}

Test(tulip_rx, long_frame_spans_descriptors)
{
    uint8_t f[1000], buf[1004];
    drv_open(&d, tm, mac, 8, 4, 256, false);
    drv_make_frame(f, sizeof(f), mac, peer, 3);
    net_recorder_inject(tm->wire, f, sizeof(f));
    /* 1004 bytes with FCS over 256-byte buffers: 4 descriptors */
    for (unsigned i = 0; i < 4; i++) {
        uint32_t st = ram_r32(tm, drv_rx_desc(&d, i));
        cr_assert_eq(st >> 31, 0);
        cr_assert_eq(st & 0x200, i == 0 ? 0x200 : 0, "FS only on the first");
        cr_assert_eq(st & 0x100, i == 3 ? 0x100 : 0, "LS only on the last");
        ram_read(tm, DRV_RX_BUFS + i * DRV_BUF_STRIDE, buf + 256 * i,
                 i < 3 ? 256 : 1004 - 768);
    }
    cr_assert_eq((ram_r32(tm, drv_rx_desc(&d, 3)) >> 16) & 0x3FFF, 1004);
    cr_assert_arr_eq(buf, f, 1000);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 4)) >> 31, 1, "next untouched");
}

/*
 * The FCS after the data, for lengths around every folding step of the CRC
 * and for buffer sizes that split data and FCS anywhere: frames from the
 * wire and through internal loopback (the transmit FIFO) alike.
 */
Test(tulip_rx, fcs_follows_the_data_for_every_length_and_split)
{
    static const size_t lens[] = {60,   61,   63,   64,   95,   96,  97,
                                  99,   127,  128,  129,  143,  196, 197,
                                  255,  256,  257,  511,  512,  513, 1023,
                                  1024, 1025, 1499, 1500, 1513, 1514};
    static const unsigned sizes[] = {100, 1536};
    uint8_t f[1514], buf[1518];

    for (unsigned loop = 0; loop < 2; loop++) {
        for (unsigned z = 0; z < 2; z++) {
            for (unsigned k = 0; k < G_N_ELEMENTS(lens); k++) {
                size_t len = lens[k], got = 0;
                uint32_t crc;
                unsigned i = 0;

                drv_open(&d, tm, mac, 16, 2, sizes[z], false);
                drv_make_frame(f, len, mac, peer, (uint8_t)k);
                if (loop) {
                    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 1u << 10);
                    drv_tx(&d, f, len, 0);
                    csr_w(tm, 1, 0);
                    tm_step_ns(tm, 100000);
                } else {
                    cr_assert_eq(net_recorder_inject(tm->wire, f, len),
                                 (ssize_t)len);
                }
                for (;; i++) {
                    uint32_t st = ram_r32(tm, drv_rx_desc(&d, i));
                    size_t n = MIN(sizes[z], len + 4 - got);
                    cr_assert_eq(st >> 31, 0, "%zu bytes: desc %u closed", len,
                                 i);
                    ram_read(tm, DRV_RX_BUFS + i * DRV_BUF_STRIDE, buf + got,
                             n);
                    got += n;
                    if (st & 0x100) {
                        cr_assert_eq((st >> 16) & 0x3FFF, len + 4);
                        cr_assert_eq(st & 0x8000, 0, "no ES");
                        break;
                    }
                }
                cr_assert_eq(got, len + 4, "%zu bytes: LS where it ends", len);
                cr_assert_arr_eq(buf, f, len, "%zu bytes: data", len);
                crc = crc32(0L, f, len);
                cr_assert_eq(buf[len] | buf[len + 1] << 8 | buf[len + 2] << 16 |
                                 (uint32_t)buf[len + 3] << 24,
                             crc, "%zu bytes (%s, %u-byte buffers): FCS", len,
                             loop ? "loopback" : "wire", sizes[z]);
            }
        }
    }
}

Test(tulip_rx, two_buffers_per_descriptor)
{
    uint8_t f[300], buf[300];
    drv_open(&d, tm, mac, 2, 4, 1536, false);
    uint32_t a = drv_rx_desc(&d, 0);
    ram_w32(tm, a + 4, 128 | 512 << 11);
    ram_w32(tm, a + 12, 0x500000);
    drv_make_frame(f, sizeof(f), mac, peer, 4);
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_eq(ram_r32(tm, a) & 0x80000300, 0x300);
    ram_read(tm, DRV_RX_BUFS, buf, 128);
    ram_read(tm, 0x500000, buf + 128, 172);
    cr_assert_arr_eq(buf, f, 300);
}

Test(tulip_rx, exhaustion_raises_ru_holds_one_frame_and_counts_missed)
{
    uint8_t f[100];
    drv_open(&d, tm, mac, 2, 4, 1536, false);
    for (int n = 0; n < 2; n++) {
        drv_make_frame(f, sizeof(f), mac, peer, (uint8_t)n);
        cr_assert_eq(net_recorder_inject(tm->wire, f, sizeof(f)), 100);
    }
    cr_assert_eq(csr_r(tm, 5) & 0x80, 0x80, "RU once the ring is full");
    cr_assert_eq((csr_r(tm, 5) >> 17) & 7, 4, "RX suspended");
    csr_w(tm, 5, 0x80);
    drv_make_frame(f, sizeof(f), mac, peer, 2);
    cr_assert_eq(net_recorder_inject(tm->wire, f, sizeof(f)), 0,
                 "refused and held");
    cr_assert_eq(net_port_queued(tulip_port(tm->nic)), 1);
    for (int n = 3; n < 6; n++) {
        drv_make_frame(f, sizeof(f), mac, peer, (uint8_t)n);
        cr_assert_lt(net_recorder_inject(tm->wire, f, sizeof(f)), 0);
    }
    tm_step_ns(tm, 1000);
    cr_assert_eq(csr_r(tm, 5) & 0x80, 0, "RU not repeated per frame");
    cr_assert_eq(csr_r(tm, 8), 3, "three real overflows");
    cr_assert_eq(csr_r(tm, 8), 0, "cleared by the read");
}

Test(tulip_rx, recovers_on_the_next_frame_without_csr2)
{
    uint8_t f[100], held[100];
    drv_open(&d, tm, mac, 2, 4, 1536, false);
    for (int n = 0; n < 3; n++) {
        drv_make_frame(f, sizeof(f), mac, peer, (uint8_t)n);
        net_recorder_inject(tm->wire, f, sizeof(f));
    }
    memcpy(held, f, sizeof(f));
    /* Linux refills without touching CSR2 */
    drv_rx_post(&d, 0);
    drv_rx_post(&d, 1);
    tm_step_ns(tm, 100000);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 1,
                 "nothing happens until a frame arrives");
    drv_make_frame(f, sizeof(f), mac, peer, 9);
    net_recorder_inject(tm->wire, f, sizeof(f));
    tm_step_ns(tm, 1000);
    check_rx(0, held, sizeof(held));
    cr_assert_eq((csr_r(tm, 5) >> 17) & 7, 3, "running again");
    cr_assert_eq(csr_r(tm, 8), 1, "the frame that arrived meanwhile");
    drv_make_frame(f, sizeof(f), mac, peer, 10);
    cr_assert_eq(net_recorder_inject(tm->wire, f, sizeof(f)), 100);
    check_rx(1, f, sizeof(f));
}

Test(tulip_rx, csr2_poll_demand_delivers_the_held_frame)
{
    uint8_t f[100];
    drv_open(&d, tm, mac, 1, 4, 1536, false);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    drv_make_frame(f, sizeof(f), mac, peer, 2);
    cr_assert_eq(net_recorder_inject(tm->wire, f, sizeof(f)), 0);
    drv_rx_post(&d, 0);
    csr_w(tm, 2, 1);
    check_rx(0, f, sizeof(f));
    cr_assert_eq(net_port_queued(tulip_port(tm->nic)), 0);
    cr_assert_eq(csr_r(tm, 8), 0, "nothing lost");
    cr_assert_geq(net_recorder_ready_count(tm->wire), 1,
                  "the sender hears it may send again");
}

Test(tulip_rx, missed_counter_saturates_with_overflow_bit)
{
    uint8_t f[60];
    drv_open(&d, tm, mac, 1, 4, 1536, false);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    net_recorder_inject(tm->wire, f, sizeof(f)); /* held */
    for (int n = 0; n < 0x10001; n++) {
        net_recorder_inject(tm->wire, f, sizeof(f));
    }
    cr_assert_eq(csr_r(tm, 8), 0x1FFFF, "MFC saturated, MFO set");
    cr_assert_eq(csr_r(tm, 8), 0);
}

Test(tulip_rx, stopped_receiver_drops_frames_silently)
{
    uint8_t f[100];
    drv_reset(tm, 0x01A08000);
    drv_rings(&d, tm, 2, 2, 1536, false, 0);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    cr_assert_eq(net_recorder_inject(tm->wire, f, sizeof(f)), 100);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 1);
    cr_assert_eq(csr_r(tm, 8), 0);
    cr_assert_eq(net_port_queued(tulip_port(tm->nic)), 0);
}

Test(tulip_rx, stopping_drops_the_held_frame_and_raises_rps)
{
    uint8_t f[100];
    drv_open(&d, tm, mac, 1, 4, 1536, false);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_eq(net_port_queued(tulip_port(tm->nic)), 1);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000);
    cr_assert_eq(net_port_queued(tulip_port(tm->nic)), 0);
    cr_assert_eq(csr_r(tm, 5) & 0x100, 0x100, "RPS");
    cr_assert_eq(csr_r(tm, 8), 1, "counted as missed, not lost silently");
}

Test(tulip_rx, oversized_frames_are_flagged)
{
    uint8_t f[3000];
    drv_open(&d, tm, mac, 4, 4, 2000, false);
    drv_make_frame(f, 1600, mac, peer, 1);
    net_recorder_inject(tm->wire, f, 1600);
    uint32_t st = ram_r32(tm, drv_rx_desc(&d, 0));
    cr_assert_eq(st & 0x8080, 0x8080, "TL with ES above 1518");
    cr_assert_eq((st >> 16) & 0x3FFF, 1604);
    drv_make_frame(f, sizeof(f), mac, peer, 2);
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 1)) & 0x80000300, 0x200);
    st = ram_r32(tm, drv_rx_desc(&d, 2));
    cr_assert_eq(st & 0x8110, 0x8110, "LS|ES|RW: the watchdog cut it");
    cr_assert_eq((st >> 16) & 0x3FFF, 2048, "cut at 2048 bytes");
    cr_assert_eq(csr_r(tm, 5) & 0x200, 0x200, "RWT");
}

Test(tulip_rx, frame_larger_than_the_ring_ends_with_de)
{
    uint8_t f[1500];
    drv_open(&d, tm, mac, 2, 4, 256, false);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    uint32_t s0 = ram_r32(tm, drv_rx_desc(&d, 0));
    uint32_t s1 = ram_r32(tm, drv_rx_desc(&d, 1));
    cr_assert_eq(s0 & 0x80000300, 0x200);
    cr_assert_eq(s1 & 0x8000C100, 0xC100, "LS|ES|DE in the last one");
    cr_assert_eq(csr_r(tm, 5) & 0xC0, 0xC0, "RI and RU");
}

Test(tulip_rx, paced_reception_takes_wire_time)
{
    uint8_t f[1514];
    TulipConfig cfg;
    tm_free(tm);
    tulip_config_default(&cfg);
    cfg.rate_mbps = 100;
    tm = tm_new(&cfg);
    tm_probe(tm);
    drv_open(&d, tm, cfg.mac, 4, 4, 1536, false);
    drv_make_frame(f, sizeof(f), cfg.mac, peer, 1);
    cr_assert_eq(net_recorder_inject(tm->wire, f, sizeof(f)), 1514);
    tm_step_ns(tm, 120000);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 1, "still arriving");
    cr_assert_eq(net_recorder_inject(tm->wire, f, sizeof(f)), 1514,
                 "the next one queues behind it");
    tm_step_ns(tm, 10000);
    check_rx(0, f, sizeof(f));
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 1)) >> 31, 1, "on the wire");
    tm_step_ns(tm, 125000);
    check_rx(1, f, sizeof(f));
}

Test(tulip_rx, paced_burst_is_serialised_and_bounded)
{
    uint8_t f[100];
    TulipConfig cfg;
    tm_free(tm);
    tulip_config_default(&cfg);
    cfg.rate_mbps = 100;
    tm = tm_new(&cfg);
    tm_probe(tm);
    drv_open(&d, tm, cfg.mac, 64, 4, 1536, false);
    drv_make_frame(f, sizeof(f), cfg.mac, peer, 1);
    int accepted = 0, held = 0, dropped = 0;
    for (int n = 0; n < 40; n++) {
        ssize_t r = net_recorder_inject(tm->wire, f, sizeof(f));
        accepted += r > 0;
        held += r == 0;
        dropped += r < 0;
    }
    cr_assert_eq(accepted, 32, "a backlog of 32 frames");
    cr_assert_eq(held, 1);
    cr_assert_eq(dropped, 7, "beyond it the layer drops and counts");
    /* 124 byte times at 80 ns, plus the descriptor close, per frame */
    tm_step_ns(tm, 10040 * 10 + 500);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 9)) >> 31, 0, "ten frames in");
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 10)) >> 31, 1, "not eleven");
    tm_step_ns(tm, 10040 * 30);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 32)) >> 31, 0, "held one too");
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 33)) >> 31, 1);
    cr_assert_eq(csr_r(tm, 8), 0, "no descriptor was ever missing");
}

Test(tulip_rx, stored_fcs_is_the_ethernet_crc_for_every_length)
{
    uint8_t f[1514];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    for (size_t len = 60, n = 0; len <= 1514; len += 13, n++) {
        drv_make_frame(f, len, mac, peer, (uint8_t)(len * 31));
        net_recorder_inject(tm->wire, f, len);
        check_rx(n % 4, f, len);
        drv_rx_post(&d, n % 4);
    }
}

Test(tulip_tx, big_endian_descriptors_with_dbo)
{
    uint8_t f[64];
    drv_reset(tm, 0x01A08000 | 1u << 20); /* DBO */
    drv_make_frame(f, sizeof(f), peer, mac, 3);
    ram_write(tm, DRV_TX_BUFS, f, sizeof(f));
    ram_w32(tm, DRV_TX_RING + 4, GUINT32_SWAP_LE_BE(64 | 0xE2000000u));
    ram_w32(tm, DRV_TX_RING + 8, GUINT32_SWAP_LE_BE(DRV_TX_BUFS));
    ram_w32(tm, DRV_TX_RING, GUINT32_SWAP_LE_BE(0x80000000u));
    csr_w(tm, 4, DRV_TX_RING);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000);
    tm_step_ns(tm, 10000);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
    cr_assert_eq(ram_r32(tm, DRV_TX_RING), 0, "status written back");
    cr_assert_eq(csr_r(tm, 5) & 1, 1, "IC seen through the swap");
}

Test(tulip_rx, software_reset_drops_a_held_frame_quietly)
{
    uint8_t f[100];
    drv_open(&d, tm, mac, 1, 4, 1536, false);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_eq(net_port_queued(tulip_port(tm->nic)), 1);
    csr_w(tm, 0, 1);
    tm_step_ns(tm, 10000);
    cr_assert_eq(net_port_queued(tulip_port(tm->nic)), 0);
    cr_assert_eq(csr_r(tm, 8), 0, "reset clears the counter");
}

Test(tulip_rx, stop_during_a_paced_frame_finishes_it_then_rps)
{
    uint8_t f[1000];
    TulipConfig cfg;
    tm_free(tm);
    tulip_config_default(&cfg);
    cfg.rate_mbps = 10;
    tm = tm_new(&cfg);
    tm_probe(tm);
    drv_open(&d, tm, cfg.mac, 4, 4, 1536, false);
    drv_make_frame(f, sizeof(f), cfg.mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    tm_step_ns(tm, 100000);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000); /* SR off mid-frame */
    cr_assert_neq((csr_r(tm, 5) >> 17) & 7, 0, "still receiving");
    cr_assert_eq(csr_r(tm, 5) & 0x100, 0);
    tm_step_ns(tm, 1000000);
    check_rx(0, f, sizeof(f));
    cr_assert_eq((csr_r(tm, 5) >> 17) & 7, 0);
    cr_assert_eq(csr_r(tm, 5) & 0x100, 0x100, "RPS after the frame");
}

Test(tulip_rx, descriptor_skip_length_applies_to_the_receive_ring)
{
    uint8_t f[100];
    drv_reset(tm, 0x01A08000 | 5 << 2); /* DSL = 5 longwords */
    drv_rings(&d, tm, 3, 2, 1536, false, 5);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2 | 0x40);
    for (int n = 0; n < 4; n++) {
        drv_make_frame(f, sizeof(f), mac, peer, (uint8_t)n);
        net_recorder_inject(tm->wire, f, sizeof(f));
        cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, n % 3)) >> 31, 0);
        drv_rx_post(&d, n % 3);
    }
}
