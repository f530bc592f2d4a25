/*
 * DEC 21140 loopback modes (CSR6.OM): internal loopback returns transmitted
 * frames to the receiver and keeps them off the network; external loopback
 * sends them and receives them back too.
 */
#include <criterion/criterion.h>
#include "drivers/tulip_drv.h"
#include "emu/log.h"

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
