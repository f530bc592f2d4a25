/*
 * A hostile or broken guest against the DEC 21140: descriptors and buffers
 * outside RAM or inside MMIO, descriptor loops, zero-sized buffers, frames
 * longer than every buffer, absurd CSR values, DMA with bus mastering off
 * and a seeded random command stream.  The emulator must not crash, hang
 * or touch host memory; the chip's error bits and a guest-error log line
 * appear where the real chip has them.
 */
#include <criterion/criterion.h>
#include "drivers/tulip_drv.h"
#include "emu/log.h"

static TestMachine *tm;
static TulipDrv d;
static const uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x01};
static const uint8_t peer[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x09};

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

TestSuite(tulip_hostile, .init = setup, .fini = teardown);

#define EB(v) (((v) >> 23) & 7)

Test(tulip_hostile, tx_descriptor_outside_ram_is_a_fatal_bus_error)
{
    uint64_t before = log_count(LOG_GUEST_ERROR);
    drv_reset(tm, 0x01A08000);
    csr_w(tm, 7, 0x0001EBEF);
    csr_w(tm, 4, 0xF0000000);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000);
    tm_step_ns(tm, 10000);
    uint32_t s5 = csr_r(tm, 5);
    cr_assert_eq(s5 & 0x2000, 0x2000, "FBE");
    cr_assert_eq(EB(s5), 1, "master abort");
    cr_assert_eq((s5 >> 20) & 7, 0, "transmit process stopped");
    cr_assert(tm_irq(tm), "FBE is abnormal");
    cr_assert_gt(log_count(LOG_GUEST_ERROR), before);
    cr_assert(tm_cfg_read(tm, TM_SLOT, 0x06, 2) & 0x2000,
              "PCI status: received master abort");
    csr_w(tm, 5, 0x2000);
    cr_assert_eq(EB(csr_r(tm, 5)), 0);
}

Test(tulip_hostile, rx_descriptor_outside_ram)
{
    drv_reset(tm, 0x01A08000);
    csr_w(tm, 3, 0xFFFFFFF0);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2);
    cr_assert_eq(csr_r(tm, 5) & 0x2000, 0x2000);
    cr_assert_eq((csr_r(tm, 5) >> 17) & 7, 0, "receive process stopped");
}

Test(tulip_hostile, descriptor_in_the_nic_own_registers_is_refused)
{
    drv_reset(tm, 0x01A08000);
    csr_w(tm, 10, 0x80000000); /* would look like OWN if it were read */
    csr_w(tm, 4, TM_MMIO_BASE + 0x50);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000);
    tm_step_ns(tm, 10000);
    cr_assert_eq(csr_r(tm, 5) & 0x2000, 0x2000);
    cr_assert_eq(csr_r(tm, 10), 0x80000000u, "registers untouched");
}

Test(tulip_hostile, buffers_outside_ram)
{
    uint8_t f[100];
    drv_open(&d, tm, mac, 2, 4, 1536, false);
    /* transmit buffer beyond the end of RAM */
    uint32_t t = drv_tx_desc(&d, 1);
    ram_w32(tm, t + 4, 100 | 0x60000000u);
    ram_w32(tm, t + 8, TM_RAM_SIZE - 50);
    ram_w32(tm, t, 0x80000000);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 10000);
    cr_assert_eq(csr_r(tm, 5) & 0x2000, 0x2000);
    cr_assert_eq(net_recorder_count(tm->wire), 0);
    /* receive buffer in a hole: nothing written, FBE */
    csr_w(tm, 5, 0x1FFFF);
    drv_open(&d, tm, mac, 2, 4, 1536, false);
    ram_w32(tm, drv_rx_desc(&d, 0) + 8, 0xE0000000);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_eq(csr_r(tm, 5) & 0x2000, 0x2000);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 1, "not closed");
}

/*
 * A second RAM window right after the first (an alias of RAM offset 0):
 * DMA lands at the right place in each, and a buffer that is contiguous
 * in physical addresses but spans both windows is refused like a hole,
 * even after both windows have been used.
 */
Test(tulip_hostile, buffer_across_two_ram_windows_is_refused)
{
    GError *err = NULL;
    uint8_t f[100], got[100], tail[50], zero[50] = {0};

    cr_assert(mem_map_ram(tm->mem, TM_RAM_SIZE, 0, 0x100000, &err));
    drv_open(&d, tm, mac, 2, 4, 1536, false);
    ram_w32(tm, drv_rx_desc(&d, 0) + 8, TM_RAM_SIZE + 0x40000);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    cr_assert_gt(net_recorder_inject(tm->wire, f, sizeof(f)), 0);
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 0, "received");
    ram_read(tm, 0x40000, got, sizeof(got));
    cr_assert_arr_eq(got, f, sizeof(f), "through the alias window");

    ram_w32(tm, drv_rx_desc(&d, 1) + 8, TM_RAM_SIZE - 50);
    drv_make_frame(f, sizeof(f), mac, peer, 2);
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_eq(csr_r(tm, 5) & 0x2000, 0x2000, "FBE");
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 1)) >> 31, 1, "not closed");
    ram_read(tm, TM_RAM_SIZE - 50, tail, sizeof(tail));
    cr_assert_arr_eq(tail, zero, sizeof(zero), "nothing written");
    ram_read(tm, 0, tail, sizeof(tail));
    cr_assert_arr_eq(tail, zero, sizeof(zero), "nor in the alias");
}

Test(tulip_hostile, dma_with_bus_mastering_off)
{
    drv_open(&d, tm, mac, 2, 4, 1536, false);
    tm_cfg_write(tm, TM_SLOT, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY,
                 2);
    uint8_t f[64];
    drv_make_frame(f, sizeof(f), peer, mac, 1);
    drv_tx(&d, f, sizeof(f), 0);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 10000);
    cr_assert_eq(csr_r(tm, 5) & 0x2000, 0x2000);
    cr_assert_eq(net_recorder_count(tm->wire), 0);
}

Test(tulip_hostile, self_chained_empty_descriptor_loop_does_not_hang)
{
    drv_reset(tm, 0x01A08000);
    /* one owned, empty, self-chained descriptor: the chip spins on it */
    ram_w32(tm, 0x8000 + 4, 1u << 24);
    ram_w32(tm, 0x8000 + 12, 0x8000);
    ram_w32(tm, 0x8000, 0x80000000);
    csr_w(tm, 4, 0x8000);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000);
    ram_w32(tm, 0x8000, 0x80000000);
    for (int i = 0; i < 100; i++) {
        ram_w32(tm, 0x8000, 0x80000000); /* the guest keeps handing it */
        tm_step_ns(tm, 10000);
    }
    cr_assert_neq((csr_r(tm, 5) >> 20) & 7, 0, "still running");
    csr_w(tm, 6, DRV_CSR6_MII);
    tm_step_ns(tm, 10000);
    cr_assert_eq((csr_r(tm, 5) >> 20) & 7, 0, "and stoppable");
}

Test(tulip_hostile, endless_frame_without_ls_is_cut_by_jabber)
{
    uint64_t before = log_count(LOG_GUEST_ERROR);
    drv_reset(tm, 0x01A08000);
    csr_w(tm, 7, 0x0001EBEF);
    /* FS, then descriptors without LS whose chain loops back */
    for (uint32_t k = 0; k < 4; k++) {
        uint32_t a = 0x8000 + 0x100 * k;
        ram_w32(tm, a + 4, 1000 | 1u << 24 | (k == 0 ? 1u << 29 : 0));
        ram_w32(tm, a + 8, 0x100000);
        ram_w32(tm, a + 12, k == 3 ? 0x8100 : a + 0x100);
    }
    for (int k = 3; k >= 0; k--) {
        ram_w32(tm, 0x8000 + 0x100 * (uint32_t)k, 0x80000000);
    }
    csr_w(tm, 4, 0x8000);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000);
    tm_step_ns(tm, 100000);
    cr_assert_eq(csr_r(tm, 5) & 0x8, 0x8, "TJT");
    cr_assert_gt(log_count(LOG_GUEST_ERROR), before);
    cr_assert_eq(net_recorder_count(tm->wire), 0);
}

Test(tulip_hostile, jabbered_frame_is_closed_with_to)
{
    drv_open(&d, tm, mac, 2, 8, 1536, false);
    for (unsigned i = 1; i <= 3; i++) {
        uint32_t t = drv_tx_desc(&d, i);
        ram_w32(tm, t + 4,
                1500 | (i == 1 ? 1u << 29 : 0) | (i == 3 ? 1u << 30 : 0));
        ram_w32(tm, t + 8, 0x100000);
    }
    for (unsigned i = 3; i >= 1; i--) {
        ram_w32(tm, drv_tx_desc(&d, i), 0x80000000);
    }
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 50000);
    cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, 3)), 0xC000, "ES|TO");
    cr_assert_eq(net_recorder_count(tm->wire), 0);
    /* the process goes on with the next frame */
    uint8_t f[64];
    d.tx_next = 4;
    drv_make_frame(f, sizeof(f), peer, mac, 1);
    drv_tx(&d, f, sizeof(f), 0);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 10000);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
}

Test(tulip_hostile, zero_sized_receive_buffers)
{
    uint8_t f[100];
    uint64_t before = log_count(LOG_GUEST_ERROR);
    drv_reset(tm, 0x01A08000);
    /* a ring of 200 owned descriptors with zero-sized buffers */
    for (uint32_t i = 0; i < 200; i++) {
        uint32_t a = 0x8000 + 16 * i;
        ram_w32(tm, a + 4, i == 199 ? 1u << 25 : 0);
        ram_w32(tm, a + 8, 0x100000);
        ram_w32(tm, a, 0x80000000);
    }
    csr_w(tm, 3, 0x8000);
    csr_w(tm, 6, DRV_CSR6_MII | 0x42); /* SR, promiscuous */
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_gt(log_count(LOG_GUEST_ERROR), before);
    cr_assert_eq(ram_r32(tm, 0x8000 + 16 * 63) & 0x4100, 0x4100,
                 "bounded: DE|LS in the 64th descriptor");
}

Test(tulip_hostile, absurd_csr_values)
{
    for (unsigned n = 0; n < 16; n++) {
        csr_w(tm, n, 0xFFFFFFFF);
        tm_step_ns(tm, 5000);
    }
    for (unsigned n = 0; n < 16; n++) {
        csr_w(tm, n, 0xFFFFFFFE);
        csr_r(tm, n);
    }
    tm_step_ns(tm, 10000000);
    cr_assert_neq(csr_r(tm, 5), 0xFFFFFFFFu, "CSR5 never all ones");
    /* still a working NIC afterwards */
    drv_open(&d, tm, mac, 2, 4, 1536, false);
    uint8_t f[64];
    drv_make_frame(f, sizeof(f), peer, mac, 1);
    drv_tx(&d, f, sizeof(f), 0);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 10000);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
}

Test(tulip_hostile, random_register_and_memory_stream)
{
    GRand *r = g_rand_new_with_seed(21140);
    uint8_t f[1600];
    /* descriptors and buffers may point anywhere in the first 64 KiB */
    for (int step = 0; step < 20000; step++) {
        uint32_t op = g_rand_int_range(r, 0, 8);
        uint32_t v = g_rand_int(r);
        switch (op) {
        case 0:
            csr_w(tm, g_rand_int_range(r, 0, 16), v & ~1u);
            break;
        case 1:
            csr_r(tm, g_rand_int_range(r, 0, 16));
            break;
        case 2:
        case 3:
            ram_w32(tm, g_rand_int_range(r, 0, 0x10000) & ~3u,
                    g_rand_boolean(r) ? (v & 0x8000FFFF) | 0x80000000 : v);
            break;
        case 4:
            csr_w(tm, g_rand_int_range(r, 3, 5), v & 0xFFFF);
            break;
        case 5:
            csr_w(tm, 6, (v & 0xC0006EEF) | 0x2002);
            break;
        case 6: {
            size_t len = g_rand_int_range(r, 1, sizeof(f));
            for (size_t i = 0; i < len; i++) {
                f[i] = (uint8_t)g_rand_int(r);
            }
            net_recorder_inject(tm->wire, f, len);
            break;
        }
        default:
            tm_step_ns(tm, g_rand_int_range(r, 0, 20000));
            break;
        }
        if (step % 1000 == 0) {
            /* keep the device mastering and decoding */
            tm_probe(tm);
        }
    }
    g_rand_free(r);
    cr_assert_neq(csr_r(tm, 5), 0xFFFFFFFFu);
}

Test(tulip_hostile, self_chained_receive_descriptor_is_bounded)
{
    uint8_t f[1500];
    drv_reset(tm, 0x01A08000);
    ram_w32(tm, 0x8000 + 4, 16 | 1u << 24); /* 16-byte buffer, chained */
    ram_w32(tm, 0x8000 + 8, 0x100000);
    ram_w32(tm, 0x8000 + 12, 0x8000); /* to itself */
    ram_w32(tm, 0x8000, 0x80000000);
    csr_w(tm, 3, 0x8000);
    csr_w(tm, 6, DRV_CSR6_MII | 0x42);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    /* closing it ends the loop: the second visit finds it host-owned */
    cr_assert_eq(ram_r32(tm, 0x8000) & 0x80004100, 0x4100, "closed, DE");
    cr_assert_eq(csr_r(tm, 5) & 0x80, 0x80, "RU");
    cr_assert_eq(ram_r32(tm, 0x100010), 0, "nothing past the buffer");
}

Test(tulip_hostile, truncated_setup_frame_leaves_the_filter)
{
    uint8_t table[192] = {0};
    uint8_t f[100];
    drv_open(&d, tm, mac, 4, 4, 1536, false);
    uint64_t before = log_count(LOG_GUEST_ERROR);
    unsigned i = drv_setup(&d, table, 0);
    uint32_t a = drv_tx_desc(&d, i);
    ram_w32(tm, a + 4, (ram_r32(tm, a + 4) & ~0x7FFu) | 4);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 5000);
    cr_assert_gt(log_count(LOG_GUEST_ERROR), before);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_eq(ram_r32(tm, drv_rx_desc(&d, 0)) >> 31, 0, "still accepted");
}
