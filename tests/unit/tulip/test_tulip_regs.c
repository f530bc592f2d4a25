/*
 * DEC 21140: PCI identity and BARs, the CSR file (reset values, writable
 * and read-only fields), software reset, interrupt summaries and masking,
 * the general-purpose timer and port.  Driven through configuration
 * cycles, port I/O and MMIO only.
 */
#include <criterion/criterion.h>
#include "drivers/tulip_drv.h"
#include "emu/log.h"

static TestMachine *tm;

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

TestSuite(tulip_pci, .init = setup, .fini = teardown);
TestSuite(tulip_csr, .init = setup, .fini = teardown);
TestSuite(tulip_irq, .init = setup, .fini = teardown);
TestSuite(tulip_timer, .init = setup, .fini = teardown);

Test(tulip_pci, identity_is_virtual_pc_21140a)
{
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x00, 4), 0x00091011u);
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x08, 1), 0x20, "revision 21140A");
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x09, 1), 0x00);
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x0A, 2), 0x0200, "Ethernet");
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x2C, 4), 0x21140A00u,
                 "subsystem 0A00:2114");
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x3D, 1), 1, "INTA");
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x3C, 1), TM_IRQ);
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x06, 2), 0x0280);
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x34, 1), 0, "no capabilities");
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x0E, 1), 0, "single function");
}

Test(tulip_pci, bars_are_128_bytes_io_and_memory)
{
    tm_cfg_write(tm, TM_SLOT, 0x10, 0xFFFFFFFF, 4);
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x10, 4), 0xFFFFFF81u,
                 "I/O BAR: 128 bytes, I/O space bit");
    tm_cfg_write(tm, TM_SLOT, 0x14, 0xFFFFFFFF, 4);
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x14, 4), 0xFFFFFF80u,
                 "memory BAR: 128 bytes, 32-bit non-prefetchable");
    for (int b = 0x18; b <= 0x24; b += 4) {
        tm_cfg_write(tm, TM_SLOT, b, 0xFFFFFFFF, 4);
        cr_assert_eq(tm_cfg_read(tm, TM_SLOT, b, 4), 0, "BAR 0x%x unused", b);
    }
    tm_cfg_write(tm, TM_SLOT, 0x10, TM_IO_BASE | 1, 4);
    tm_cfg_write(tm, TM_SLOT, 0x14, TM_MMIO_BASE, 4);
    /* the same CSR file behind both */
    csr_w(tm, 10, 0x12345678);
    tm->use_mmio = true;
    cr_assert_eq(csr_r(tm, 10), 0x12345678);
    csr_w(tm, 15, 0x3);
    tm->use_mmio = false;
    cr_assert_eq(csr_r(tm, 15), 0x3);
}

Test(tulip_pci, disabled_decoding_hides_the_csrs)
{
    tm_cfg_write(tm, TM_SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    cr_assert_eq(csr_r(tm, 5), 0xFFFFFFFFu, "I/O decode off");
    tm->use_mmio = true;
    cr_assert_neq(csr_r(tm, 5), 0xFFFFFFFFu);
}

Test(tulip_pci, cfdd_and_cache_line_are_writable)
{
    tm_cfg_write(tm, TM_SLOT, 0x40, 0xC000AB00, 4);
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x40, 4), 0xC000AB00u);
    tm_cfg_write(tm, TM_SLOT, 0x40, 0, 4);
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x40, 4), 0);
    tm_cfg_write(tm, TM_SLOT, 0x0C, 0x10, 1);
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x0C, 1), 0x10);
}

Test(tulip_csr, reset_values)
{
    cr_assert_eq(csr_r(tm, 0), 0xFE000000u);
    cr_assert_eq(csr_r(tm, 1), 0xFFFFFFFFu);
    cr_assert_eq(csr_r(tm, 2), 0xFFFFFFFFu);
    cr_assert_eq(csr_r(tm, 5), 0xFC000000u, "stopped, no events");
    cr_assert_eq(csr_r(tm, 6), 0x32000040u);
    cr_assert_eq(csr_r(tm, 7), 0xFFFE0000u);
    cr_assert_eq(csr_r(tm, 8), 0);
    /* CSR9 with the live SROM DO and MII MDI pins idle high */
    cr_assert_eq(csr_r(tm, 9), 0xFFFC83FFu);
    cr_assert_eq(csr_r(tm, 11), 0xFFFE0000u, "timer stopped");
    cr_assert_eq(csr_r(tm, 12), 0x40, "all inputs; GP6 = link");
    cr_assert_eq(csr_r(tm, 13), 0);
    cr_assert_eq(csr_r(tm, 14), 0);
    cr_assert_eq(tm_irq(tm), false);
}

Test(tulip_csr, writable_fields_read_back)
{
    csr_w(tm, 0, 0x01A08000);
    cr_assert_eq(csr_r(tm, 0), 0xFFA08000u);
    csr_w(tm, 0, 0xFFFFFFFE);
    cr_assert_eq(csr_r(tm, 0), 0xFFBFFFFEu, "bit 22 reserved");
    csr_w(tm, 3, 0x00123458);
    cr_assert_eq(csr_r(tm, 3), 0x00123458);
    csr_w(tm, 4, 0x0004567B);
    cr_assert_eq(csr_r(tm, 4), 0x00045678, "low two bits ignored");
    csr_w(tm, 7, 0xFFFFFFFF);
    cr_assert_eq(csr_r(tm, 7), 0xFFFFEBEFu);
    csr_w(tm, 10, 0xA5A5A5A5);
    cr_assert_eq(csr_r(tm, 10), 0xA5A5A5A5u);
    csr_w(tm, 15, 0x31);
    cr_assert_eq(csr_r(tm, 15), 0x31);
    csr_w(tm, 13, 0x1234);
    csr_w(tm, 14, 0x1234);
    cr_assert_eq(csr_r(tm, 13), 0);
    cr_assert_eq(csr_r(tm, 14), 0);
}

Test(tulip_csr, csr6_filter_bits_are_read_only)
{
    csr_w(tm, 6, 0x020E0000 | 0x15); /* HP|HO|IF written as ones */
    cr_assert_eq(csr_r(tm, 6) & 0x15, 0);
    cr_assert_eq(csr_r(tm, 6) & 0x020E0000, 0x020E0000);
}

Test(tulip_csr, csr8_is_read_only)
{
    csr_w(tm, 8, 0x1234);
    cr_assert_eq(csr_r(tm, 8), 0);
}

Test(tulip_csr, csr5_ignores_writes_to_state_fields)
{
    csr_w(tm, 5, 0xFFFFFFFF);
    cr_assert_eq(csr_r(tm, 5), 0xFC000000u);
}

Test(tulip_csr, software_reset_self_clears_and_restores_defaults)
{
    csr_w(tm, 7, 0x0001EBEF);
    csr_w(tm, 6, 0x020E0000);
    csr_w(tm, 3, 0x1000);
    csr_w(tm, 11, 0x100);
    csr_w(tm, 0, 1);
    cr_assert_eq(csr_r(tm, 0) & 1, 1, "SWR reads 1 while resetting");
    tm_step_ns(tm, 1000);
    cr_assert_eq(csr_r(tm, 0) & 1, 1);
    tm_step_ns(tm, 9000);
    cr_assert_eq(csr_r(tm, 0), 0xFE000000u, "done within 10 us");
    cr_assert_eq(csr_r(tm, 7), 0xFFFE0000u);
    cr_assert_eq(csr_r(tm, 6), 0x32000040u);
    cr_assert_eq(csr_r(tm, 5), 0xFC000000u);
    cr_assert_eq(csr_r(tm, 11), 0xFFFE0000u);
    /* PCI configuration survives */
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x10, 4), TM_IO_BASE | 1);
}

Test(tulip_csr, unaligned_offsets_are_not_registers)
{
    uint64_t before = log_count(LOG_GUEST_ERROR);
    cr_assert_eq(bus_read(tm->io, TM_IO_BASE + 4, 4), 0xFFFFFFFFu);
    bus_write(tm->io, TM_IO_BASE + 0x2C, 0xFFFFFFFF, 4);
    cr_assert_eq(csr_r(tm, 5), 0xFC000000u);
    cr_assert_gt(log_count(LOG_GUEST_ERROR), before);
}

Test(tulip_csr, gp_port_direction_and_link_pin)
{
    csr_w(tm, 12, 0x11F); /* pins 0-4 out, 5-7 in */
    csr_w(tm, 12, 0x09);
    cr_assert_eq(csr_r(tm, 12), 0x49, "outputs read back, GP6 = link up");
    net_port_set_link(tulip_port(tm->nic), false);
    cr_assert_eq(csr_r(tm, 12), 0x09, "link pin follows the cable");
    net_port_set_link(tulip_port(tm->nic), true);
    csr_w(tm, 12, 0x1FF);
    csr_w(tm, 12, 0x00);
    cr_assert_eq(csr_r(tm, 12), 0x00, "GP6 as output reads the latch");
}

/* The TX process suspends at once on an empty ring: TU, no TPS. */
static void start_tx_on_empty_ring(void)
{
    TulipDrv d;
    drv_rings(&d, tm, 1, 2, 1536, false, 0);
    ram_w32(tm, DRV_RX_RING, 0); /* leave RX without buffers */
    csr_w(tm, 6, 0x02002000);
    tm_step_ns(tm, 2000);
}

Test(tulip_irq, summaries_count_only_enabled_sources)
{
    start_tx_on_empty_ring();
    cr_assert_eq(csr_r(tm, 5) & 0x1FFFF, 0x4, "TU latched, no summary");
    cr_assert_not(tm_irq(tm));
    csr_w(tm, 7, 0x00010000); /* NIS enable only */
    cr_assert_eq(csr_r(tm, 5) & 0x18000, 0, "TU itself not enabled");
    cr_assert_not(tm_irq(tm));
    csr_w(tm, 7, 0x00010004);
    cr_assert_eq(csr_r(tm, 5) & 0x18000, 0x10000, "NIS");
    cr_assert(tm_irq(tm), "INTA follows a CSR7 write at once");
    csr_w(tm, 7, 0x00000004);
    cr_assert_not(tm_irq(tm), "NIS enable off masks INTA");
    cr_assert_eq(csr_r(tm, 5) & 0x10000, 0x10000,
                 "summary still reported while its enable is off");
    csr_w(tm, 7, 0x00010004);
    cr_assert(tm_irq(tm));
    csr_w(tm, 5, 0x4);
    cr_assert_not(tm_irq(tm), "write-1-to-clear deasserts");
    cr_assert_eq(csr_r(tm, 5) & 0x1FFFF, 0);
}

Test(tulip_irq, abnormal_summary_and_zero_writes)
{
    csr_w(tm, 7, 0x0001EBEF);
    csr_w(tm, 6, 0x02002000); /* start TX, no ring: TU */
    tm_step_ns(tm, 2000);
    csr_w(tm, 6, 0x02000000); /* stop: TPS (abnormal) */
    uint32_t s5 = csr_r(tm, 5);
    cr_assert_eq(s5 & 0x1FFFF, 0x18006, "TU|TPS with both summaries");
    cr_assert(tm_irq(tm));
    csr_w(tm, 5, 0);
    cr_assert_eq(csr_r(tm, 5) & 0x1FFFF, 0x18006, "zeros change nothing");
    csr_w(tm, 5, 0x2);
    cr_assert_eq(csr_r(tm, 5) & 0x1FFFF, 0x10004, "AIS gone with TPS");
    csr_w(tm, 5, 0x0001FFFF);
    cr_assert_not(tm_irq(tm));
}

Test(tulip_irq, tps_only_on_a_real_stop)
{
    csr_w(tm, 6, 0x02000000);
    csr_w(tm, 6, 0x02000000);
    cr_assert_eq(csr_r(tm, 5) & 0x102, 0, "no TPS/RPS without a stop");
    TulipDrv d;
    drv_rings(&d, tm, 2, 2, 1536, false, 0);
    csr_w(tm, 6, 0x02002002);
    tm_step_ns(tm, 2000);
    cr_assert_eq(csr_r(tm, 5) & (7u << 20), 6u << 20, "TX suspended");
    cr_assert_eq(csr_r(tm, 5) & (7u << 17), 3u << 17, "RX waiting");
    csr_w(tm, 6, 0x02000000);
    cr_assert_eq(csr_r(tm, 5) & 0x102, 0x102, "TPS and RPS");
    cr_assert_eq(csr_r(tm, 5) & (0x3Fu << 17), 0, "both stopped");
}

Test(tulip_timer, counts_down_and_raises_gte_through_ais)
{
    csr_w(tm, 6, 0x020C0000); /* PS, 100 Mb/s: 81.92 us ticks */
    csr_w(tm, 7, 0x00008800); /* AIS | GTE only, as Linux's overload path */
    csr_w(tm, 11, 0x12);
    cr_assert_eq(csr_r(tm, 11) & 0xFFFF, 0x12);
    tm_step_ns(tm, 81920 * 9);
    cr_assert_eq(csr_r(tm, 11) & 0xFFFF, 9, "half way");
    cr_assert_not(tm_irq(tm));
    tm_step_ns(tm, 81920 * 9 - 10);
    cr_assert_not(tm_irq(tm), "not before the last tick");
    tm_step_ns(tm, 10);
    cr_assert(tm_irq(tm), "GTE interrupts with NIS disabled");
    cr_assert_eq(csr_r(tm, 5) & 0x1FFFF, 0x8800);
    cr_assert_eq(csr_r(tm, 11) & 0xFFFF, 0, "one-shot stops");
    csr_w(tm, 5, 0x800);
    tm_step_ns(tm, 81920 * 40);
    cr_assert_not(tm_irq(tm), "no second expiry");
}

Test(tulip_timer, continuous_mode_repeats_and_zero_stops)
{
    csr_w(tm, 6, 0x02000000); /* 10 Mb/s port: 204.8 us ticks */
    csr_w(tm, 11, 0x10000 | 5);
    for (int i = 0; i < 3; i++) {
        tm_step_ns(tm, 204800 * 5);
        cr_assert_eq(csr_r(tm, 5) & 0x800, 0x800, "expiry %d", i);
        csr_w(tm, 5, 0x800);
    }
    cr_assert_eq(csr_r(tm, 11), 0xFFFF0000u | 5, "CON set, reloaded");
    csr_w(tm, 11, 0);
    tm_step_ns(tm, 204800 * 10);
    cr_assert_eq(csr_r(tm, 5) & 0x800, 0);
    cr_assert_eq(csr_r(tm, 11), 0xFFFE0000u);
}

Test(tulip_pci, two_adapters_keep_separate_state)
{
    TulipConfig cfg;
    GError *err = NULL;
    tulip_config_default(&cfg);
    cfg.mac[5] = 0x22;
    cfg.model = TULIP_MODEL_DC21140_GPR;
    Tulip *second = tulip_create(tm->pci, 4, tm->clock, NULL, &cfg, &err);
    cr_assert_null(err);
    tm_cfg_write(tm, 4, 0x10, 0xD000, 4);
    tm_cfg_write(tm, 4, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
    bus_write(tm->io, 0xD000 + 8 * 10, 0x1111, 4);
    csr_w(tm, 10, 0x2222);
    cr_assert_eq(bus_read(tm->io, 0xD000 + 8 * 10, 4), 0x1111);
    cr_assert_eq(csr_r(tm, 10), 0x2222);
    /* the GPR board has no PHY; the first one's PHY still answers */
    drv_mii_write(tm, 1, 4, 0x0021);
    cr_assert_eq(drv_mii_read(tm, 1, 4), 0x0021);
    bus_write(tm->io, 0xD000 + 8 * 12, 0x100, 4);
    cr_assert_eq(bus_read(tm->io, 0xD000 + 8 * 12, 4), 0x40);
    csr_w(tm, 12, 0x1FF);
    csr_w(tm, 12, 0x00);
    cr_assert_eq(bus_read(tm->io, 0xD000 + 8 * 12, 4), 0x40,
                 "GP port per instance");
    cr_assert_eq(tm_cfg_read(tm, 4, 0x2C, 4), 0x21140A00u);
    cr_assert(net_port_link_up(tulip_port(second)));
    tulip_destroy(second);
    cr_assert_eq(tm_cfg_read(tm, 4, 0, 4), 0xFFFFFFFFu, "unplugged");
}

Test(tulip_pci, bad_configuration_is_a_clear_error)
{
    TulipConfig cfg;
    GError *err = NULL;
    TulipModel m;
    unsigned rate;
    tulip_config_default(&cfg);
    cfg.rate_mbps = 1000;
    cr_assert_null(tulip_create(tm->pci, 5, tm->clock, NULL, &cfg, &err));
    cr_assert_not_null(err);
    cr_assert(strstr(err->message, "rate"), "%s", err->message);
    g_clear_error(&err);
    cr_assert_null(tulip_create(tm->pci, TM_SLOT, tm->clock, NULL,
                                (tulip_config_default(&cfg), &cfg), &err));
    cr_assert_not_null(err, "slot taken");
    g_clear_error(&err);
    cr_assert_not(tulip_parse_model("dc21143", &m, &err));
    cr_assert(strstr(err->message, "dc21143"), "%s", err->message);
    g_clear_error(&err);
    cr_assert(tulip_parse_model("dc21140-gpr", &m, NULL));
    cr_assert_eq(m, TULIP_MODEL_DC21140_GPR);
    cr_assert(tulip_parse_rate("100M", &rate, NULL));
    cr_assert_eq(rate, 100);
    cr_assert_not(tulip_parse_rate("1G", &rate, &err));
    cr_assert(strstr(err->message, "1G"), "%s", err->message);
    g_clear_error(&err);
    cfg.mac[0] = 0x01;
    cr_assert_null(tulip_create(tm->pci, 6, tm->clock, NULL, &cfg, &err));
    cr_assert(strstr(err->message, "group"), "%s", err->message);
    g_clear_error(&err);
}
