/*
 * DEC 21140 serial ROM (93C46 bit-banged over CSR9, Digital SROM layout
 * with both checksums) and MII management of the PHY, as drivers do it.
 */
#include <criterion/criterion.h>
#include <zlib.h>
#include "drivers/tulip_drv.h"

static TestMachine *tm;
static const uint8_t vpc_mac[6] = {0x00, 0x03, 0xFF, 0x12, 0x34, 0x56};

static void setup_mii(void)
{
    tm = tm_new_probed(TULIP_MODEL_DC21140, vpc_mac);
}

static void setup_gpr(void)
{
    tm = tm_new_probed(TULIP_MODEL_DC21140_GPR, vpc_mac);
}

static void teardown(void)
{
    tm_free(tm);
}

TestSuite(tulip_srom, .init = setup_mii, .fini = teardown);
TestSuite(tulip_srom_gpr, .init = setup_gpr, .fini = teardown);
TestSuite(tulip_mii, .init = setup_mii, .fini = teardown);
TestSuite(tulip_mii_gpr, .init = setup_gpr, .fini = teardown);

static void read_image(uint8_t img[128])
{
    for (unsigned w = 0; w < 64; w++) {
        uint16_t v = (uint16_t)drv_srom_read(tm, w, 6, false);
        img[2 * w] = v & 0xFF;
        img[2 * w + 1] = v >> 8;
    }
}

/* docs/dec21140.md section 6, "Example A" */
static const uint8_t example_a[48] = {
    0x00, 0x0a, 0x14, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x1d, 0x00, 0x03, 0x01, 0x00, 0x03, 0xff, 0x12,
    0x34, 0x56, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x8c, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x78, 0xe1, 0x01, 0x00, 0x50, 0x00, 0x18, 0x00,
};

Test(tulip_srom, bit_banged_image_is_example_a_with_valid_crc)
{
    uint8_t img[128];
    read_image(img);
    cr_assert_arr_eq(img, example_a, sizeof(example_a));
    for (int i = 48; i < 0x7E; i++) {
        cr_assert_eq(img[i], 0, "byte 0x%x", i);
    }
    uint16_t crc = crc32(0L, img, 0x7E) & 0xFFFF;
    cr_assert_eq(img[0x7E] | img[0x7F] << 8, crc, "CRC at 0x7E");
    cr_assert_eq(crc, 0x73D4, "the documented value");
}

Test(tulip_srom, mac_at_0x14_follows_the_configuration)
{
    TulipConfig cfg;
    uint8_t img[128];
    const uint8_t mac2[6] = {0x00, 0x03, 0xFF, 0xAB, 0xCD, 0xEF};
    tm_free(tm);
    tulip_config_default(&cfg);
    memcpy(cfg.mac, mac2, 6);
    tm = tm_new(&cfg);
    tm_probe(tm);
    read_image(img);
    cr_assert_arr_eq(img + 0x14, mac2, 6);
    cr_assert_eq(img[0x7E] | img[0x7F] << 8, crc32(0L, img, 0x7E) & 0xFFFF);
    cr_assert(memcmp(img, img + 16, 8), "new-format test of Linux/iPXE");
}

Test(tulip_srom, linux_size_detection_sees_a_93c46)
{
    /* read address 0xFF with 8 address bits; bit 18 is the sample after
     * the sixth address bit, the dummy zero of a 6-bit part */
    uint32_t raw = drv_srom_read(tm, 0xFF, 8, true);
    cr_assert_eq((raw >> 18) & 1, 0);
    cr_assert_eq((raw >> 19) & 0xFF, 0xFF, "DO high before the dummy");
}

Test(tulip_srom, leading_idle_clocks_are_ignored)
{
    /* NetBSD idles with 25 clocks, CS high, DI 0, before each command */
    csr_w(tm, 9, 0x4801);
    for (int i = 0; i < 25; i++) {
        csr_w(tm, 9, 0x4801);
        csr_w(tm, 9, 0x4803);
    }
    cr_assert_eq(csr_r(tm, 9) & 8, 8, "not driving yet");
    /* start 1, READ 10, address 0x0C */
    unsigned cmd = 0x6 << 6 | 0x0C;
    for (int i = 8; i >= 0; i--) {
        uint32_t di = (cmd >> i) & 1 ? 4 : 0;
        csr_w(tm, 9, 0x4801 | di);
        csr_w(tm, 9, 0x4803 | di);
    }
    cr_assert_eq(csr_r(tm, 9) & 8, 0, "dummy zero");
    uint16_t v = 0;
    for (int i = 0; i < 16; i++) {
        csr_w(tm, 9, 0x4801);
        csr_w(tm, 9, 0x4803);
        v = (uint16_t)(v << 1 | ((csr_r(tm, 9) >> 3) & 1));
    }
    cr_assert_eq(v, 0x5634, "word 12: MAC bytes 4-5");
    /* the ROM goes on with the next word */
    v = 0;
    for (int i = 0; i < 16; i++) {
        csr_w(tm, 9, 0x4801);
        csr_w(tm, 9, 0x4803);
        v = (uint16_t)(v << 1 | ((csr_r(tm, 9) >> 3) & 1));
    }
    cr_assert_eq(v, 0x1E00, "word 13");
    csr_w(tm, 9, 0x4800);
    cr_assert_eq(csr_r(tm, 9) & 8, 8, "released when CS drops");
}

Test(tulip_srom, write_commands_leave_the_rom_unchanged)
{
    /* EWEN then WRITE word 0 = 0x0000: the ROM is write-protected */
    unsigned cmds[2] = {0x4 << 6 | 0x30, 0x5 << 6 | 0x00};
    for (int c = 0; c < 2; c++) {
        csr_w(tm, 9, 0x4801);
        for (int i = 8; i >= 0; i--) {
            uint32_t di = (cmds[c] >> i) & 1 ? 4 : 0;
            csr_w(tm, 9, 0x4801 | di);
            csr_w(tm, 9, 0x4803 | di);
        }
        for (int i = 0; i < 16; i++) {
            csr_w(tm, 9, 0x4801);
            csr_w(tm, 9, 0x4803);
        }
        csr_w(tm, 9, 0x4800);
    }
    cr_assert_eq(drv_srom_read(tm, 0, 6, false), 0x0A00);
}

Test(tulip_srom_gpr, gpr_leaf_and_checksums)
{
    static const uint8_t leaf[8] = {0x03, 0x00, 0x1f, 0x01,
                                    0x03, 0x09, 0x6d, 0x00};
    uint8_t img[128];
    read_image(img);
    cr_assert_arr_eq(img, example_a, 0x1E, "same header as example A");
    cr_assert_arr_eq(img + 0x1E, leaf, sizeof(leaf));
    for (int i = 0x26; i < 0x7E; i++) {
        cr_assert_eq(img[i], 0);
    }
    cr_assert_eq(img[0x7E] | img[0x7F] << 8, crc32(0L, img, 0x7E) & 0xFFFF);
}

/* ---- MII ------------------------------------------------------------------
 */

Test(tulip_mii, phy_registers_as_linux_probes_them)
{
    cr_assert_eq(drv_mii_read(tm, 1, 0), 0x1000, "BMCR");
    uint16_t bmsr = drv_mii_read(tm, 1, 1);
    cr_assert_eq(bmsr, 0x782D, "BMSR with link and AN complete");
    cr_assert((bmsr & 0x8000) == 0 && (bmsr & 0x7800) != 0,
              "passes Linux's PHY test");
    cr_assert_eq(drv_mii_read(tm, 1, 2), 0x0016);
    cr_assert_eq(drv_mii_read(tm, 1, 3), 0xF830);
    cr_assert_eq(drv_mii_read(tm, 1, 4), 0x01E1, "ANAR");
    cr_assert_eq(drv_mii_read(tm, 1, 5), 0x45E1, "ANLPAR: 100FD partner");
    cr_assert_eq(drv_mii_read(tm, 1, 6), 0x0001, "ANER");
    for (unsigned r = 7; r < 32; r++) {
        cr_assert_eq(drv_mii_read(tm, 1, r), 0, "reg %u", r);
    }
}

Test(tulip_mii, absent_addresses_read_all_ones)
{
    for (unsigned phy = 0; phy < 32; phy++) {
        if (phy != 1) {
            cr_assert_eq(drv_mii_read(tm, phy, 1), 0xFFFF, "phy %u", phy);
        }
    }
}

Test(tulip_mii, writes_read_back_and_reset_self_clears)
{
    drv_mii_write(tm, 1, 4, 0x0061);
    cr_assert_eq(drv_mii_read(tm, 1, 4), 0x0061);
    drv_mii_write(tm, 1, 0, 0x1200); /* AN enable + restart */
    cr_assert_eq(drv_mii_read(tm, 1, 0), 0x1000, "restart self-clears");
    drv_mii_write(tm, 1, 1, 0);
    drv_mii_write(tm, 1, 2, 0);
    cr_assert_eq(drv_mii_read(tm, 1, 1), 0x782D, "BMSR read-only");
    cr_assert_eq(drv_mii_read(tm, 1, 2), 0x0016, "ID read-only");
    drv_mii_write(tm, 1, 16, 0xBEEF);
    cr_assert_eq(drv_mii_read(tm, 1, 16), 0xBEEF, "vendor register");
    drv_mii_write(tm, 1, 0, 0x8000);
    cr_assert_eq(drv_mii_read(tm, 1, 0), 0x1000, "reset done at once");
    cr_assert_eq(drv_mii_read(tm, 1, 4), 0x01E1, "defaults restored");
    drv_mii_write(tm, 1, 0, 0x0100); /* AN off, full duplex */
    cr_assert_eq(drv_mii_read(tm, 1, 1) & 0x20, 0, "no AN complete");
    cr_assert_eq(drv_mii_read(tm, 1, 5), 0, "no partner ability");
    drv_mii_write(tm, 3, 4, 0x0000);
    cr_assert_eq(drv_mii_read(tm, 1, 4), 0x01E1, "other address ignored");
}

Test(tulip_mii, link_follows_the_cable_and_latches_low)
{
    NetPort *p = tulip_port(tm->nic);
    net_port_set_link(p, false);
    cr_assert_eq(drv_mii_read(tm, 1, 1) & 0x24, 0, "link and AN down");
    cr_assert_eq(drv_mii_read(tm, 1, 1) & 0x4, 0, "still down");
    net_port_set_link(p, true);
    cr_assert_eq(drv_mii_read(tm, 1, 1) & 0x24, 0x24, "back up");
    /* a short drop between two reads is still seen */
    net_port_set_link(p, false);
    net_port_set_link(p, true);
    cr_assert_eq(drv_mii_read(tm, 1, 1) & 0x4, 0);
    cr_assert_eq(drv_mii_read(tm, 1, 1) & 0x4, 0x4);
}

/* NetBSD's bit-banger samples the turnaround: the PHY drives it to 0. */
Test(tulip_mii, turnaround_is_driven_low_by_a_present_phy)
{
    for (int i = 0; i < 32; i++) {
        csr_w(tm, 9, 0x20000);
        csr_w(tm, 9, 0x30000);
    }
    unsigned cmd = 0x1 << 12 | 0x2 << 10 | 1 << 5 | 1; /* 01 10 00001 00001 */
    for (int i = 13; i >= 0; i--) {
        uint32_t b = (cmd >> i) & 1 ? 0x20000 : 0;
        csr_w(tm, 9, b);
        csr_w(tm, 9, b | 0x10000);
    }
    csr_w(tm, 9, 0x40000);
    cr_assert_eq(csr_r(tm, 9) & 0x80000, 0x80000, "first TA bit: Z");
    csr_w(tm, 9, 0x50000);
    csr_w(tm, 9, 0x40000);
    cr_assert_eq(csr_r(tm, 9) & 0x80000, 0, "second TA bit: 0");
    uint16_t v = 0;
    for (int i = 0; i < 16; i++) {
        csr_w(tm, 9, 0x50000);
        csr_w(tm, 9, 0x40000);
        v = (uint16_t)(v << 1 | ((csr_r(tm, 9) >> 19) & 1));
    }
    cr_assert_eq(v, 0x782D, "D15 first, nothing lost");
}

Test(tulip_mii_gpr, board_without_mii_has_no_phy)
{
    for (unsigned phy = 0; phy < 32; phy++) {
        cr_assert_eq(drv_mii_read(tm, phy, 1), 0xFFFF);
    }
    /* its link indicator is GP6 as the SROM leaf says */
    csr_w(tm, 12, 0x11F);
    csr_w(tm, 12, 0x09);
    cr_assert_eq(csr_r(tm, 12) & 0x40, 0x40);
    net_port_set_link(tulip_port(tm->nic), false);
    cr_assert_eq(csr_r(tm, 12) & 0x40, 0);
}
