/*
 * DEC 21140 loopback modes (CSR6.OM): internal loopback returns transmitted
 * frames to the receiver and keeps them off the network; external loopback
 * sends them and receives them back too.
 */
#include <criterion/criterion.h>
#include "drivers/tulip_drv.h"
#include "emu/log.h"

#include <zlib.h>

static TestMachine *tm;
static TulipDrv d;
static const uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x01};
static const uint8_t other[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x02};

static void setup(void)
{
    log_set_enabled(0);
    tm = tm_new(NULL);
    tm_probe(tm);
    drv_open(&d, tm, mac, 4, 4, 1536, false);
}

static void teardown(void)
{
    tm_free(tm);
}

TestSuite(tulip_loopback, .init = setup, .fini = teardown);

static void send(const uint8_t dst[6], uint8_t seed)
{
    uint8_t f[100];
    drv_make_frame(f, sizeof(f), dst, mac, seed);
    drv_tx(&d, f, sizeof(f), 0);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 20000);
}

Test(tulip_loopback, internal_returns_frames_and_keeps_the_wire_quiet)
{
    uint8_t buf[100], f[100];
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 1u << 10);
    send(mac, 7);
    cr_assert_eq(net_recorder_count(tm->wire), 0, "nothing reaches the net");
    uint32_t st = ram_r32(tm, drv_rx_desc(&d, 0));
    cr_assert_eq(st >> 31, 0, "received");
    cr_assert_eq((st >> 12) & 3, 1, "DT: internal loopback");
    cr_assert_eq((st >> 16) & 0x3FFF, 104);
    ram_read(tm, DRV_RX_BUFS, buf, sizeof(buf));
    drv_make_frame(f, sizeof(f), mac, mac, 7);
    cr_assert_arr_eq(buf, f, sizeof(f));
    cr_assert_eq(csr_r(tm, 5) & 0x41, 0x40, "RI (no IC on the tx side)");
}

Test(tulip_loopback, internal_still_filters_and_ignores_the_wire)
{
    uint8_t f[100];
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 1u << 10);
    send(other, 1);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 1, "filtered");
    drv_make_frame(f, sizeof(f), mac, other, 2);
    cr_assert_gt(net_recorder_inject(tm->wire, f, sizeof(f)), 0);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 1,
                 "disconnected from the wire");
}

Test(tulip_loopback, internal_without_buffers_counts_missed)
{
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 1u << 10);
    for (int i = 0; i < 4; i++) {
        send(mac, (uint8_t)i);
    }
    cr_assert_eq(csr_r(tm, 8), 0);
    send(mac, 9);
    cr_assert_eq(csr_r(tm, 8), 1, "no descriptor: a missed frame");
}

Test(tulip_loopback, external_sends_and_receives)
{
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 2u << 10);
    send(mac, 3);
    cr_assert_eq(net_recorder_count(tm->wire), 1, "on the wire");
    uint32_t st = ram_r32(tm, drv_rx_desc(&d, 0));
    cr_assert_eq(st >> 31, 0, "and back");
    cr_assert_eq((st >> 12) & 3, 2, "DT: external loopback");
}

Test(tulip_loopback, normal_mode_does_not_loop)
{
    send(mac, 3);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 1);
}

/* The loopback pair as a cable between the NIC and a recording host. */
Test(tulip_loopback, loop_pair_carries_frames_both_ways)
{
    uint8_t f[100];
    NetLoopPair *pair = net_loop_pair_new(tm->clock, "cable");
    net_port_connect(tulip_port(tm->nic), net_loop_pair_end(pair, 0));
    net_port_connect(net_loop_pair_end(pair, 1), net_recorder_port(tm->wire));
    send(other, 4);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
    cr_assert_eq(net_loop_pair_carried(pair, 0), 1);
    drv_make_frame(f, sizeof(f), mac, other, 5);
    cr_assert_gt(net_recorder_inject(tm->wire, f, sizeof(f)), 0);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 0, "received");
    cr_assert_eq(net_loop_pair_carried(pair, 1), 1);
    /* unplugging one end of the cable unplugs the other */
    net_port_set_link(net_loop_pair_end(pair, 1), false);
    cr_assert_not(net_port_link_up(net_loop_pair_end(pair, 0)));
    net_port_disconnect(tulip_port(tm->nic));
    net_port_disconnect(net_recorder_port(tm->wire));
    net_loop_pair_free(pair);
}

/* ---- internal loopback moves frames straight between guest buffers ---- */

#define OWN    0x80000000u
#define TX_LS  (1u << 30)
#define TX_FS  (1u << 29)
#define TX_AC  (1u << 26)
#define RX_ES  (1u << 15)
#define RX_FS  (1u << 9)
#define RX_LS  (1u << 8)
#define RX_MF  (1u << 10)
#define FL(st) (((st) >> 16) & 0x3FFF)
#define BUF_A  0x00300000u
#define BUF_B  0x00310000u
#define BUF_C  0x00320000u

static void internal_loopback(void)
{
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 1u << 10);
}

/* Transmit descriptor i (not the ring's last) with two buffers; OWN last. */
static void tx_desc(unsigned i, uint32_t ctl, uint32_t b1, uint32_t b2)
{
    uint32_t a = drv_tx_desc(&d, i);
    ram_w32(tm, a + 4, ctl);
    ram_w32(tm, a + 8, b1);
    ram_w32(tm, a + 12, b2);
}

static void fcs_le(uint8_t out[4], const uint8_t *f, size_t len)
{
    uint32_t crc = (uint32_t)crc32(0L, f, (uInt)len);
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)(crc >> (8 * i));
    }
}

/*
 * A frame in three transmit buffers over two descriptors, received into
 * two 1000-byte buffers with its FCS split across them: every boundary
 * between pieces and buffers falls somewhere else.
 */
Test(tulip_loopback, internal_frame_in_pieces_spans_two_rx_descriptors)
{
    uint8_t f[998], got[1002], fcs[4];
    unsigned t = d.tx_next;
    uint32_t st0, st1;

    internal_loopback();
    drv_make_frame(f, sizeof(f), mac, mac, 5);
    ram_write(tm, BUF_A, f, 200);
    ram_write(tm, BUF_B, f + 200, 300);
    ram_write(tm, BUF_C, f + 500, 498);
    ram_w32(tm, drv_rx_desc(&d, 0) + 4, 1000);
    ram_w32(tm, drv_rx_desc(&d, 1) + 4, 1000);
    tx_desc(t, TX_FS | 200, BUF_A, 0);
    tx_desc(t + 1, TX_LS | 498u << 11 | 300, BUF_B, BUF_C);
    ram_w32(tm, drv_tx_desc(&d, t + 1), OWN);
    ram_w32(tm, drv_tx_desc(&d, t), OWN);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 50000);

    cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, t + 1)), 0, "sent, no error");
    st0 = ram_r32(tm, drv_rx_desc(&d, 0));
    st1 = ram_r32(tm, drv_rx_desc(&d, 1));
    cr_assert_eq(st0 & (OWN | RX_FS | RX_LS), RX_FS, "first part, closed");
    cr_assert_eq(st1 & (OWN | RX_FS | RX_LS | RX_ES), RX_LS, "last part");
    cr_assert_eq(FL(st1), 1002, "frame length with FCS");
    ram_read(tm, DRV_RX_BUFS, got, 1000);
    ram_read(tm, DRV_RX_BUFS + DRV_BUF_STRIDE, got + 1000, 2);
    cr_assert_arr_eq(got, f, sizeof(f));
    fcs_le(fcs, f, sizeof(f));
    cr_assert_arr_eq(got + 998, fcs, 4, "FCS over the whole frame");
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 2)) >> 31, 1, "one frame");
}

/* With TDES1.AC the guest's own FCS ends the frame; it may be anywhere. */
Test(tulip_loopback, internal_frame_with_guest_fcs_in_the_second_buffer)
{
    uint8_t f[104], got[104];
    unsigned t = d.tx_next;

    internal_loopback();
    drv_make_frame(f, 100, mac, mac, 6);
    fcs_le(f + 100, f, 100);
    /* FCS alone in buffer 2, then split over both buffers */
    ram_write(tm, BUF_A, f, 100);
    ram_write(tm, BUF_B, f + 100, 4);
    tx_desc(t, TX_FS | TX_LS | TX_AC | 4u << 11 | 100, BUF_A, BUF_B);
    ram_w32(tm, drv_tx_desc(&d, t), OWN);
    ram_write(tm, BUF_C, f, 102);
    tx_desc(t + 1, TX_FS | TX_LS | TX_AC | 2u << 11 | 102, BUF_C, BUF_B + 2);
    ram_w32(tm, drv_tx_desc(&d, t + 1), OWN);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 50000);

    for (unsigned i = 0; i < 2; i++) {
        uint32_t st = ram_r32(tm, drv_rx_desc(&d, i));
        cr_assert_eq(st & (OWN | RX_ES), 0, "frame %u received", i);
        cr_assert_eq(FL(st), 104, "frame %u: the guest's FCS not doubled", i);
        ram_read(tm, DRV_RX_BUFS + i * DRV_BUF_STRIDE, got, sizeof(got));
        cr_assert_arr_eq(got, f, sizeof(f), "frame %u", i);
    }
}

/* A header split over two buffers still gets its status bits. */
Test(tulip_loopback, internal_frame_with_split_header)
{
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    uint8_t f[300], got[300];
    unsigned t = d.tx_next;

    internal_loopback();
    drv_make_frame(f, sizeof(f), bcast, mac, 7);
    ram_write(tm, BUF_A, f, 10);
    ram_write(tm, BUF_B, f + 10, 290);
    tx_desc(t, TX_FS | TX_LS | 290u << 11 | 10, BUF_A, BUF_B);
    ram_w32(tm, drv_tx_desc(&d, t), OWN);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 50000);

    uint32_t st = ram_r32(tm, drv_rx_desc(&d, 0));
    cr_assert_eq(st & (OWN | RX_ES | RX_MF), RX_MF, "broadcast: MF");
    cr_assert_eq(FL(st), 304);
    ram_read(tm, DRV_RX_BUFS, got, sizeof(got));
    cr_assert_arr_eq(got, f, sizeof(f));
}

/*
 * A looped-back frame whose receive buffer runs past the end of RAM: a
 * fatal bus error, nothing written, both processes stopped, and the
 * transmit descriptor (still the chip's) left open.
 */
Test(tulip_loopback, internal_frame_with_rx_buffer_outside_ram_is_a_bus_error)
{
    uint8_t f[1000], tail[50], zero[50] = {0};
    unsigned t = d.tx_next;

    internal_loopback();
    drv_make_frame(f, sizeof(f), mac, mac, 8);
    ram_write(tm, BUF_A, f, sizeof(f));
    ram_w32(tm, drv_rx_desc(&d, 0) + 8, TM_RAM_SIZE - 50);
    tx_desc(t, TX_FS | TX_LS | sizeof(f), BUF_A, 0);
    ram_w32(tm, drv_tx_desc(&d, t), OWN);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 50000);

    uint32_t s5 = csr_r(tm, 5);
    cr_assert_eq(s5 & 0x2000, 0x2000, "FBE");
    cr_assert_eq((s5 >> 23) & 7, 1, "master abort");
    cr_assert_eq((s5 >> 20) & 7, 0, "transmit process stopped");
    cr_assert_eq((s5 >> 17) & 7, 0, "receive process stopped");
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 1, "rx not closed");
    cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, t)) >> 31, 1, "tx not closed");
    ram_read(tm, TM_RAM_SIZE - 50, tail, sizeof(tail));
    cr_assert_arr_eq(tail, zero, sizeof(zero), "RAM end untouched");
    cr_assert(tm_irq(tm), "FBE is abnormal");
}
