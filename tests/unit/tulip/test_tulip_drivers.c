/*
 * Driver-faithful replays against the DEC 21140: the register sequences of
 * Linux tulip (probe, open, xmit, interrupt and NAPI paths, set_rx_mode,
 * overload recovery, media timer, close), NetBSD tlp, FreeBSD de and iPXE,
 * as docs/dec21140.md section 9 describes them.  Each must see a working
 * NIC: frames out, frames in, the interrupts it expects.
 */
#include <criterion/criterion.h>
#include "drivers/tulip_drv.h"

static TestMachine *tm;
static const uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x12, 0x34, 0x56};
static const uint8_t peer[6] = {0x00, 0x03, 0xFF, 0x65, 0x43, 0x21};

static void setup_mii(void)
{
    tm = tm_new_probed(TULIP_MODEL_DC21140, mac);
}

static void setup_gpr(void)
{
    tm = tm_new_probed(TULIP_MODEL_DC21140_GPR, mac);
}

static void teardown(void)
{
    tm_free(tm);
}

TestSuite(tulip_linux, .init = setup_mii, .fini = teardown);
TestSuite(tulip_netbsd, .init = setup_mii, .fini = teardown);
TestSuite(tulip_freebsd, .init = setup_gpr, .fini = teardown);
TestSuite(tulip_ipxe, .init = setup_mii, .fini = teardown);

#define NIS   0x10000u
#define AIS   0x08000u
#define RI    0x40u
#define RU    0x80u
#define TI    0x01u
#define TU    0x04u
#define TPS   0x02u
#define RPS   0x100u
#define GTE   0x800u
#define OWN   0x80000000u
#define ST    0x2000u
#define SR    0x2u
#define TS(v) (((v) >> 20) & 7)
#define RS(v) (((v) >> 17) & 7)

/* Reads the SROM like every driver: size probe, then the words. */
static void read_srom(uint8_t ee[128], unsigned nwords)
{
    uint32_t raw = drv_srom_read(tm, 0xFF, 8, true);
    unsigned addr_len = (raw & 0x40000) ? 8 : 6;
    cr_assert_eq(addr_len, 6, "a 93C46");
    memset(ee, 0, 128);
    for (unsigned w = 0; w < nwords; w++) {
        uint16_t v = (uint16_t)drv_srom_read(tm, w, addr_len, false);
        ee[2 * w] = v & 0xFF;
        ee[2 * w + 1] = v >> 8;
    }
}

static void wait_stopped(void)
{
    for (int i = 0; i < 13 && (TS(csr_r(tm, 5)) || RS(csr_r(tm, 5))); i++) {
        tm_step_ns(tm, 100000);
    }
    cr_assert_eq(TS(csr_r(tm, 5)), 0);
    cr_assert_eq(RS(csr_r(tm, 5)), 0);
}

/* ====================================================================== */
/* Linux tulip                                                             */

#define L_RX   128
#define L_TX   32
#define L_CSR6 0x020E0000u /* MBO|HBD|PS|CA */

typedef struct LinuxNic {
    unsigned cur_rx, cur_tx, dirty_tx;
    unsigned rx_frames, tx_done, tx_errors, rx_errors;
    uint64_t rx_missed;
    uint32_t csr6;
    unsigned irqs, stops;
    uint8_t last[1600];
    size_t last_len;
    bool napi;
} LinuxNic;

static LinuxNic ln;

static uint32_t l_rxd(unsigned i)
{
    return DRV_RX_RING + 16 * (i % L_RX);
}

static uint32_t l_txd(unsigned i)
{
    return DRV_TX_RING + 16 * (i % L_TX);
}

static void linux_probe(void)
{
    uint8_t ee[128];
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0, 4), 0x00091011u);
    tm_cfg_write(tm, TM_SLOT, 0x10, 0xFFFFFFFF, 4);
    cr_assert_geq(~(tm_cfg_read(tm, TM_SLOT, 0x10, 4) & ~3u) + 1, 128);
    tm_cfg_write(tm, TM_SLOT, 0x10, TM_IO_BASE, 4);
    /* tulip_stop_rxtx, bus master, a dummy CSR8 read */
    csr_w(tm, 6, csr_r(tm, 6) & ~(ST | SR));
    csr_r(tm, 8);
    read_srom(ee, 63);
    cr_assert(memcmp(ee, ee + 16, 8), "new-format SROM");
    cr_assert_arr_eq(ee + 20, mac, 6);
    unsigned leaf = ee[27];
    cr_assert_eq(leaf, 0x1E);
    cr_assert_eq(ee[leaf] | ee[leaf + 1] << 8, 0x0800, "autosense");
    cr_assert_eq(ee[leaf + 3], 1, "one block");
    cr_assert_eq(ee[leaf + 4] & 0x80, 0x80, "extended");
    cr_assert_eq(ee[leaf + 5], 1, "21140 MII PHY block");
    csr_w(tm, 12, ee[leaf + 2] | 0x100);
    /* tulip_find_mii: 1..31 then 0 */
    int found = -1;
    for (int k = 1; k <= 32 && found < 0; k++) {
        unsigned phy = k & 31;
        uint16_t bmsr = drv_mii_read(tm, phy, 1);
        if ((bmsr & 0x8301) == 0x8001 ||
            (!(bmsr & 0x8000) && (bmsr & 0x7800))) {
            found = (int)phy;
        }
    }
    cr_assert_eq(found, 1);
    cr_assert_eq(drv_mii_read(tm, 1, 0), 0x1000, "config 1000");
    cr_assert_eq(drv_mii_read(tm, 1, 1), 0x782D, "status 782d");
    cr_assert_eq(drv_mii_read(tm, 1, 4), 0x01E1, "advertising 01e1");
    csr_w(tm, 12, ee[leaf + 2] | 0x100);
}

static void linux_up(void)
{
    uint8_t table[192];
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    memset(&ln, 0, sizeof(ln));
    ln.csr6 = L_CSR6;
    csr_w(tm, 6, 0x00040000);
    csr_w(tm, 0, 1);
    tm_step_ns(tm, 100000);
    csr_w(tm, 0, 0x01A08000);
    tm_step_ns(tm, 100000);
    for (unsigned i = 0; i < L_RX; i++) {
        ram_w32(tm, l_rxd(i) + 4, 1536 | (i == L_RX - 1 ? 1u << 25 : 0));
        ram_w32(tm, l_rxd(i) + 8, DRV_RX_BUFS + i * DRV_BUF_STRIDE);
        ram_w32(tm, l_rxd(i) + 12, l_rxd(i + 1));
        ram_w32(tm, l_rxd(i), OWN);
    }
    for (unsigned i = 0; i < L_TX; i++) {
        ram_w32(tm, l_txd(i), 0);
        ram_w32(tm, l_txd(i) + 4, i == L_TX - 1 ? 1u << 25 : 0);
        ram_w32(tm, l_txd(i) + 12, l_txd(i + 1));
    }
    csr_w(tm, 3, DRV_RX_RING);
    csr_w(tm, 4, DRV_TX_RING);
    /* build_setup_frame_perfect: broadcast everywhere, MAC in entry 15 */
    uint8_t addrs[16][6];
    for (int e = 0; e < 16; e++) {
        memcpy(addrs[e], e == 15 ? mac : bcast, 6);
    }
    drv_table_perfect(table, addrs, 16);
    ram_write(tm, DRV_SETUP, table, 192);
    ram_w32(tm, l_txd(0) + 4, 0x08000000u | 192);
    ram_w32(tm, l_txd(0) + 8, DRV_SETUP);
    ram_w32(tm, l_txd(0), OWN);
    ln.cur_tx = ln.dirty_tx = 1;
    /* tulip_stop_rxtx, then TX alone, enables, then RX */
    csr_w(tm, 6, ln.csr6);
    csr_w(tm, 6, ln.csr6 | ST);
    csr_w(tm, 5, 0x0001EBEF);
    csr_w(tm, 7, 0x0001EBEF);
    csr_w(tm, 6, ln.csr6 | ST | SR);
    csr_w(tm, 2, 0);
}

static void linux_rx(void)
{
    for (int budget = 0; budget < L_RX; budget++) {
        uint32_t a = l_rxd(ln.cur_rx);
        uint32_t st = ram_r32(tm, a);
        if (st & OWN) {
            break;
        }
        if ((st & 0x0300) != 0x0300 || (st & 0x38000010) ||
            (st & (0x2 | 0x40 | 0x800 | 0x4000))) {
            ln.rx_errors++;
        } else {
            size_t len = ((st >> 16) & 0x7FF) - 4;
            cr_assert_leq(len, 1518);
            ram_read(tm, DRV_RX_BUFS + (ln.cur_rx % L_RX) * DRV_BUF_STRIDE,
                     ln.last, len);
            ln.last_len = len;
            ln.rx_frames++;
        }
        /* tulip_refill_rx: hand it back, no CSR2 on a 21140 */
        ram_w32(tm, a, OWN);
        ln.cur_rx++;
    }
}

static void linux_tx_clean(void)
{
    while (ln.dirty_tx != ln.cur_tx) {
        uint32_t st = ram_r32(tm, l_txd(ln.dirty_tx));
        if (st & OWN) {
            break;
        }
        if (ram_r32(tm, l_txd(ln.dirty_tx) + 4) & 0x08000000u) {
            ln.dirty_tx++; /* setup frame */
            continue;
        }
        if (st & 0x8000) {
            ln.tx_errors++;
        } else {
            ln.tx_done++;
        }
        ln.dirty_tx++;
    }
}

/* tulip_interrupt (non-NAPI unless ln.napi) */
static void linux_isr(void)
{
    ln.irqs++;
    for (int work = 0; work < 20; work++) {
        uint32_t csr5 = csr_r(tm, 5);
        if (!(csr5 & (NIS | AIS))) {
            break;
        }
        cr_assert_neq(csr5, 0xFFFFFFFFu);
        if (ln.napi && (csr5 & (RI | RU))) {
            csr_w(tm, 7, 0x0001EBEF & ~0x3C0u); /* mask RxPollInt */
            csr_w(tm, 5, csr5 & 0x0001FF3F);
        } else {
            csr_w(tm, 5, csr5 & 0x0001FFFF);
        }
        if (!ln.napi && (csr5 & (RI | RU))) {
            linux_rx();
        }
        if (csr5 & (TI | TU | TPS | GTE)) {
            linux_tx_clean();
        }
        if (csr5 & GTE) {
            csr_w(tm, 7, 0x0001EBEF);
        }
        if (csr5 & (TPS | RPS)) {
            /* count, then restart rx/tx as tulip_interrupt does */
            ln.stops++;
            csr_w(tm, 6, ln.csr6 | ST | SR);
        }
        if (csr5 & AIS) {
            csr_w(tm, 5, 0x0800F7BA);
        }
        ln.rx_missed += csr_r(tm, 8) & 0x1FFFF;
        if (ln.napi && (csr5 & (RI | RU))) {
            break;
        }
    }
}

/* tulip_poll: ack RI|RU, drain while RI reappears, unmask */
static void linux_poll(void)
{
    do {
        csr_w(tm, 5, RI | RU);
        linux_rx();
    } while (csr_r(tm, 5) & RI);
    csr_w(tm, 7, 0x0001EBEF);
}

static void linux_service(int64_t ns)
{
    for (int64_t t = 0; t < ns; t += 1000) {
        tm_step_ns(tm, 1000);
        if (tm_irq(tm)) {
            linux_isr();
            if (ln.napi && !tm_irq(tm) && (csr_r(tm, 7) & RI) == 0) {
                linux_poll();
            }
        }
    }
}

static void linux_xmit(const uint8_t *f, size_t len)
{
    unsigned entry = ln.cur_tx % L_TX;
    unsigned queued = ln.cur_tx - ln.dirty_tx;
    uint32_t flag = 0x60000000u; /* FS|LS */
    if (queued == L_TX / 2) {
        flag |= 0x80000000u;
    }
    if (entry == L_TX - 1) {
        flag |= 0x80000000u | 1u << 25;
    }
    ram_write(tm, DRV_TX_BUFS + entry * DRV_BUF_STRIDE, f, len);
    ram_w32(tm, l_txd(entry) + 8, DRV_TX_BUFS + entry * DRV_BUF_STRIDE);
    ram_w32(tm, l_txd(entry) + 4, (uint32_t)len | flag);
    ram_w32(tm, l_txd(entry), OWN);
    ln.cur_tx++;
    csr_w(tm, 1, 0);
}

static void linux_close(void)
{
    csr_w(tm, 7, 0);
    csr_w(tm, 6, ln.csr6 & ~(ST | SR));
    wait_stopped();
    ln.rx_missed += csr_r(tm, 8) & 0xFFFF;
}

Test(tulip_linux, probe_open_transfer_close)
{
    uint8_t f[1514];
    linux_probe();
    linux_up();
    linux_service(50000);
    cr_assert_eq(ram_r32(tm, l_txd(0)) & OWN, 0, "setup frame taken");
    cr_assert_geq(ln.irqs, 1, "TU interrupt after the setup frame");
    /* 40 frames out: the 32-entry ring wraps; reaped on TI/TU */
    for (int n = 0; n < 40; n++) {
        size_t len = 60 + (size_t)n * 30;
        drv_make_frame(f, len, peer, mac, (uint8_t)n);
        linux_xmit(f, len);
        linux_service(30000);
    }
    cr_assert_eq(net_recorder_count(tm->wire), 40);
    cr_assert_eq(ln.tx_done, 40);
    cr_assert_eq(ln.dirty_tx, ln.cur_tx, "everything reaped");
    /* 300 frames in, in bursts of 10: the 128-entry ring wraps */
    for (int n = 0; n < 300; n++) {
        size_t len = 60 + (size_t)(n * 7) % 1454;
        drv_make_frame(f, len, mac, peer, (uint8_t)n);
        cr_assert_gt(net_recorder_inject(tm->wire, f, len), 0);
        if (n % 10 == 9) {
            linux_service(20000);
            cr_assert_eq(ln.last_len, len);
            cr_assert_arr_eq(ln.last, f, len);
        }
    }
    cr_assert_eq(ln.rx_frames, 300);
    cr_assert_eq(ln.rx_errors, 0);
    cr_assert_eq(ln.rx_missed, 0);
    cr_assert_eq(ln.stops, 0, "no TPS/RPS without a stop");
    linux_close();
    cr_assert_not(tm_irq(tm));
}

Test(tulip_linux, rx_ring_overrun_recovers_without_csr2)
{
    uint8_t f[200];
    linux_probe();
    linux_up();
    linux_service(50000);
    /* the guest is busy: 140 frames arrive with no ISR run */
    for (int n = 0; n < 140; n++) {
        drv_make_frame(f, sizeof(f), mac, peer, (uint8_t)n);
        net_recorder_inject(tm->wire, f, sizeof(f));
    }
    cr_assert(tm_irq(tm));
    cr_assert_eq(csr_r(tm, 5) & RU, RU);
    linux_service(10000);
    cr_assert_eq(ln.rx_frames, 128);
    cr_assert_eq(ln.rx_missed, 11, "CSR8: 140 - 128 - 1 held");
    /* the next frame wakes the receiver; the held one comes first */
    drv_make_frame(f, sizeof(f), mac, peer, 200);
    net_recorder_inject(tm->wire, f, sizeof(f));
    linux_service(10000);
    cr_assert_eq(ln.rx_frames, 129);
    drv_make_frame(f, sizeof(f), mac, peer, 201);
    net_recorder_inject(tm->wire, f, sizeof(f));
    linux_service(10000);
    cr_assert_eq(ln.rx_frames, 130);
    cr_assert_arr_eq(ln.last, f, sizeof(f));
}

Test(tulip_linux, napi_masks_rx_and_inta_drops_without_an_ack)
{
    uint8_t f[100];
    linux_probe();
    linux_up();
    linux_service(50000);
    ln.napi = true;
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert(tm_irq(tm));
    /* ISR: mask RxPollInt, ack the rest, leave RI latched */
    uint32_t csr5 = csr_r(tm, 5);
    csr_w(tm, 7, 0x0001E82F);
    csr_w(tm, 5, csr5 & 0x0001FF3F);
    cr_assert_eq(csr_r(tm, 5) & RI, RI, "RI still latched");
    cr_assert_not(tm_irq(tm), "derived NIS: INTA released");
    /* frames keep arriving while polled */
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_not(tm_irq(tm));
    linux_poll();
    cr_assert_eq(ln.rx_frames, 2);
    cr_assert_not(tm_irq(tm));
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert(tm_irq(tm), "unmasked again");
}

Test(tulip_linux, set_rx_mode_hash_with_dummy_descriptor)
{
    uint8_t f[100];
    uint8_t table[192];
    uint8_t mc[20][6];
    linux_probe();
    linux_up();
    linux_service(50000);
    for (int i = 0; i < 20; i++) {
        const uint8_t m[6] = {0x01, 0x00, 0x5E, 0x00, 0x01, (uint8_t)i};
        memcpy(mc[i], m, 6);
    }
    drv_table_hash(table, mc, 20, mac);
    ram_write(tm, DRV_SETUP, table, 192);
    /* dummy zero-length descriptor, then the setup frame */
    unsigned dummy = ln.cur_tx++ % L_TX;
    unsigned entry = ln.cur_tx++ % L_TX;
    ram_w32(tm, l_txd(dummy) + 4, dummy == L_TX - 1 ? 1u << 25 : 0);
    ram_w32(tm, l_txd(dummy) + 8, 0);
    ram_w32(tm, l_txd(entry) + 4, 0x08400000u | 192);
    ram_w32(tm, l_txd(entry) + 8, DRV_SETUP);
    ram_w32(tm, l_txd(entry), OWN);
    ram_w32(tm, l_txd(dummy), OWN);
    csr_w(tm, 1, 0);
    csr_w(tm, 6, (ln.csr6 | ST | SR) & ~0xD5u);
    linux_service(20000);
    cr_assert_eq(ram_r32(tm, l_txd(dummy)) & OWN, 0);
    cr_assert_eq(ram_r32(tm, l_txd(entry)) & OWN, 0);
    cr_assert_eq(csr_r(tm, 6) & 1, 1, "HP reported");
    cr_assert_eq(net_recorder_count(tm->wire), 0);
    for (int i = 0; i < 20; i++) {
        drv_make_frame(f, sizeof(f), mc[i], peer, (uint8_t)i);
        net_recorder_inject(tm->wire, f, sizeof(f));
    }
    static const uint8_t not_joined[6] = {0x01, 0x00, 0x5E, 0x7F, 0, 1};
    drv_make_frame(f, sizeof(f), not_joined, peer, 99);
    net_recorder_inject(tm->wire, f, sizeof(f));
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    drv_make_frame(f, sizeof(f), bcast, peer, 98);
    net_recorder_inject(tm->wire, f, sizeof(f));
    drv_make_frame(f, sizeof(f), mac, peer, 97);
    net_recorder_inject(tm->wire, f, sizeof(f));
    linux_service(20000);
    cr_assert_eq(ln.rx_frames, 22, "20 groups + broadcast + unicast");
}

Test(tulip_linux, overload_recovers_through_the_gte_interrupt)
{
    uint8_t f[100];
    linux_probe();
    linux_up();
    linux_service(50000);
    drv_make_frame(f, sizeof(f), mac, peer, 1);
    net_recorder_inject(tm->wire, f, sizeof(f));
    uint32_t csr5 = csr_r(tm, 5);
    cr_assert_eq(csr5 & (NIS | RI), NIS | RI);
    /* overload path of tulip_interrupt on a 21140 */
    csr_w(tm, 5, 0x8001FFFF);
    csr_w(tm, 7, ((~csr5) & 0x0001EBEF) | AIS | GTE);
    csr_w(tm, 11, 0x12);
    linux_rx();
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert_not(tm_irq(tm), "normal interrupts are off");
    int64_t t0 = clock_now_ns(tm->clock);
    cr_assert(tm_wait_irq(tm, 3000000), "GTE raises INTA through AIS");
    cr_assert_geq(clock_now_ns(tm->clock) - t0, 18 * 81920 - 1000);
    linux_isr();
    cr_assert_eq(csr_r(tm, 7), 0xFFFFEBEFu, "re-enabled by the GTE branch");
    cr_assert_eq(ln.rx_frames, 2);
    net_recorder_inject(tm->wire, f, sizeof(f));
    cr_assert(tm_irq(tm), "RI interrupts again");
}

Test(tulip_linux, media_timer_sets_full_duplex_and_restarts)
{
    uint8_t f[100];
    linux_probe();
    linux_up();
    linux_service(50000);
    /* tulip_check_duplex */
    uint16_t bmsr = drv_mii_read(tm, 1, 1);
    cr_assert(bmsr & 0x4, "link");
    uint16_t lpa = drv_mii_read(tm, 1, 5);
    uint16_t negotiated = lpa & 0x01E1;
    cr_assert(negotiated & 0x0100, "100FD in common");
    csr_w(tm, 6, ln.csr6);
    wait_stopped();
    ln.csr6 |= 0x200;
    csr_w(tm, 6, ln.csr6 | ST | SR);
    linux_service(10000);
    drv_make_frame(f, sizeof(f), peer, mac, 1);
    linux_xmit(f, sizeof(f));
    drv_make_frame(f, sizeof(f), mac, peer, 2);
    net_recorder_inject(tm->wire, f, sizeof(f));
    linux_service(20000);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
    cr_assert_eq(ln.rx_frames, 1);
}

/* ====================================================================== */
/* NetBSD tlp                                                              */

#define N_RX 16
#define N_TX 16

static uint32_t n_rxd(unsigned i)
{
    return DRV_RX_RING + 16 * (i % N_RX);
}

static uint32_t n_txd(unsigned i)
{
    return DRV_TX_RING + 16 * (i % N_TX);
}

static unsigned n_rx_next, n_tx_next, n_rx_frames;

static void netbsd_reset(void)
{
    csr_w(tm, 0, 1);
    int i;
    for (i = 0; i < 10000 && (csr_r(tm, 0) & 1); i++) {
        tm_step_ns(tm, 1000);
    }
    cr_assert_lt(i, 10000, "reset completes");
    tm_step_ns(tm, 1000000);
    csr_w(tm, 12, 0x100);
    csr_w(tm, 12, 0);
}

static void netbsd_init(void)
{
    uint8_t table[192];
    uint8_t addrs[16][6];
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    csr_w(tm, 6, 0x02040000); /* MBO | PS, before the reset */
    netbsd_reset();
    csr_w(tm, 0, 0x00A04002); /* BAR | CAL 8 | RLE | RME */
    csr_w(tm, 7, 0x0001A3EF);
    csr_w(tm, 5, 0xFFFFFFFF);
    for (unsigned i = 0; i < N_TX; i++) {
        ram_w32(tm, n_txd(i), 0);
        ram_w32(tm, n_txd(i) + 4, i == N_TX - 1 ? 1u << 25 : 0);
        ram_w32(tm, n_txd(i) + 12, n_txd(i + 1));
    }
    for (unsigned i = 0; i < N_RX; i++) {
        ram_w32(tm, n_rxd(i) + 4, 2044 | (i == N_RX - 1 ? 1u << 25 : 0));
        ram_w32(tm, n_rxd(i) + 8, DRV_RX_BUFS + i * DRV_BUF_STRIDE);
        ram_w32(tm, n_rxd(i) + 12, n_rxd(i + 1));
        ram_w32(tm, n_rxd(i), OWN);
    }
    csr_w(tm, 4, DRV_TX_RING);
    csr_w(tm, 3, DRV_RX_RING);
    /* tlp_filter_setup: MAC, broadcast, unused entries repeat the MAC */
    memcpy(addrs[0], mac, 6);
    memcpy(addrs[1], bcast, 6);
    for (int e = 2; e < 16; e++) {
        memcpy(addrs[e], mac, 6);
    }
    drv_table_perfect(table, addrs, 16);
    ram_write(tm, DRV_SETUP, table, 192);
    ram_w32(tm, n_txd(0) + 4, 0x08000000u | 0xE0000000u | 192);
    ram_w32(tm, n_txd(0) + 8, DRV_SETUP);
    ram_w32(tm, n_txd(0), OWN);
    n_tx_next = 1;
    n_rx_next = 0;
    n_rx_frames = 0;
    csr_w(tm, 6, 0x02040000 | ST | SR);
    csr_w(tm, 1, 0);
    csr_w(tm, 2, 1);
}

static void netbsd_intr(void)
{
    for (int loop = 0; loop < 10; loop++) {
        uint32_t csr5 = csr_r(tm, 5);
        if (!(csr5 & (NIS | AIS))) {
            break;
        }
        csr_w(tm, 5, csr5);
        cr_assert_eq(csr5 & (TPS | RPS | 0x2000), 0,
                     "NetBSD would re-initialise the chip");
        if (csr5 & (RI | RU)) {
            while (!(ram_r32(tm, n_rxd(n_rx_next)) & OWN)) {
                uint32_t st = ram_r32(tm, n_rxd(n_rx_next));
                cr_assert_eq(st & 0x300, 0x300, "packet spilled");
                cr_assert_eq(st & 0x8000, 0);
                n_rx_frames++;
                ram_w32(tm, n_rxd(n_rx_next), OWN);
                n_rx_next++;
            }
        }
        if (csr5 & RU) {
            /* tlp_idle the receiver, restart at the current index */
            csr_w(tm, 6, 0x02040000 | ST);
            for (int i = 0; i < 100 && !(csr_r(tm, 5) & RPS); i++) {
                tm_step_ns(tm, 100);
            }
            cr_assert(csr_r(tm, 5) & RPS, "RPS after clearing SR");
            csr_w(tm, 5, RPS);
            csr_w(tm, 3, n_rxd(n_rx_next));
            csr_w(tm, 6, 0x02040000 | ST | SR);
            csr_w(tm, 2, 1);
        }
    }
}

Test(tulip_netbsd, init_multisegment_tx_and_rx_with_ru_recovery)
{
    uint8_t f[1200], ee[128];
    read_srom(ee, 64);
    uint16_t crc = 0;
    {
        /* tlp_srom_crcok: the 0x7E CRC must be valid */
        uint32_t c = 0xFFFFFFFFu;
        for (int i = 0; i < 0x7E; i++) {
            c ^= ee[i];
            for (int b = 0; b < 8; b++) {
                c = (c >> 1) ^ (c & 1 ? 0xEDB88320u : 0);
            }
        }
        crc = (uint16_t)(~c & 0xFFFF);
    }
    cr_assert_eq(crc, ee[0x7E] | ee[0x7F] << 8);
    netbsd_init();
    tm_step_ns(tm, 20000);
    cr_assert_eq(ram_r32(tm, n_txd(0)) & OWN, 0);
    cr_assert(tm_irq(tm), "TI for the setup frame (IC)");
    netbsd_intr();
    cr_assert_not(tm_irq(tm));
    /* a frame in three segments, OWN of the first set last */
    drv_make_frame(f, sizeof(f), peer, mac, 5);
    uint32_t parts[3] = {14, 586, 600}, off = 0;
    for (unsigned k = 0; k < 3; k++) {
        unsigned i = n_tx_next + k;
        ram_write(tm, DRV_TX_BUFS + i * DRV_BUF_STRIDE, f + off, parts[k]);
        off += parts[k];
        ram_w32(tm, n_txd(i) + 8, DRV_TX_BUFS + i * DRV_BUF_STRIDE);
        ram_w32(tm, n_txd(i) + 4,
                parts[k] | (k == 0 ? 1u << 29 : 0) |
                    (k == 2 ? 0xC0000000u : 0));
        if (k) {
            ram_w32(tm, n_txd(i), OWN);
        }
    }
    ram_w32(tm, n_txd(n_tx_next), OWN);
    csr_w(tm, 1, 0);
    cr_assert(tm_wait_irq(tm, 50000));
    cr_assert_eq(ram_r32(tm, n_txd(n_tx_next + 2)), 0, "last: clean status");
    netbsd_intr();
    cr_assert_eq(net_recorder_count(tm->wire), 1);
    cr_assert_arr_eq(net_recorder_frame(tm->wire, 0)->data, f, sizeof(f));
    /* overrun the ring, NetBSD restarts the receiver itself */
    for (int n = 0; n < N_RX + 1; n++) {
        drv_make_frame(f, 1000, mac, peer, (uint8_t)n);
        net_recorder_inject(tm->wire, f, 1000);
    }
    netbsd_intr();
    tm_step_ns(tm, 10000);
    netbsd_intr();
    cr_assert_eq(n_rx_frames, N_RX);
    cr_assert_eq(csr_r(tm, 8), 1, "the frame without a buffer is counted");
    drv_make_frame(f, 1000, mac, peer, 77);
    net_recorder_inject(tm->wire, f, 1000);
    netbsd_intr();
    cr_assert_eq(n_rx_frames, N_RX + 1, "receiving again");
}

/* ====================================================================== */
/* FreeBSD de (GPR board)                                                  */

Test(tulip_freebsd, gpr_media_link_indicator_and_traffic)
{
    uint8_t ee[128], f[1500];
    read_srom(ee, 64);
    unsigned leaf = ee[27];
    cr_assert_eq(ee[leaf] | ee[leaf + 1] << 8, 0x0003, "100BASE-TX");
    uint8_t gpdir = ee[leaf + 2];
    cr_assert_eq(ee[leaf + 4] & 0x80, 0, "compact block");
    uint8_t gpdata = ee[leaf + 5];
    uint16_t cmd = ee[leaf + 6] | ee[leaf + 7] << 8;
    uint32_t media = 0x02000000u | (uint32_t)(cmd & 0x71) << 18;
    cr_assert_eq(media, 0x03840000u);
    unsigned pin = (cmd >> 1) & 7;
    bool active_low = cmd & 0x80;

    /* tulip_reset */
    csr_w(tm, 6, media);
    csr_w(tm, 0, 1);
    tm_step_ns(tm, 10000);
    TulipDrv d;
    drv_rings(&d, tm, 8, 8, 1024, false, 0); /* CSR3/CSR4 */
    csr_w(tm, 0, 0x00204800);
    csr_w(tm, 7, 0x0001A16B);
    csr_w(tm, 12, 0x100 | gpdir);
    tm_step_ns(tm, 10000);
    csr_w(tm, 12, gpdata);
    bool link = ((csr_r(tm, 12) >> pin) & 1) != active_low;
    cr_assert(link, "indicator says link");
    net_port_set_link(tulip_port(tm->nic), false);
    cr_assert_not(((csr_r(tm, 12) >> pin) & 1) != active_low);
    net_port_set_link(tulip_port(tm->nic), true);

    /* filter: perfect with broadcast, padded with the own MAC */
    uint8_t table[192], addrs[16][6];
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    memcpy(addrs[0], bcast, 6);
    for (int e = 1; e < 16; e++) {
        memcpy(addrs[e], mac, 6);
    }
    drv_table_perfect(table, addrs, 16);
    drv_setup(&d, table, 1u << 31);
    csr_w(tm, 6, media | ST | SR);
    cr_assert(tm_wait_irq(tm, 20000));
    csr_w(tm, 5, csr_r(tm, 5));

    /* large frames span 1024-byte buffers; length from RDES0 */
    unsigned i = 0, frames = 0;
    for (int n = 0; n < 12; n++) {
        size_t len = 1000 + (size_t)(n % 6) * 100;
        drv_make_frame(f, len, mac, peer, (uint8_t)n);
        net_recorder_inject(tm->wire, f, len);
        while (!(ram_r32(tm, drv_rx_desc(&d, i % 8)) & OWN)) {
            uint32_t st = ram_r32(tm, drv_rx_desc(&d, i % 8));
            cr_assert_eq(st & 0x8000, 0);
            if (st & 0x100) {
                size_t got = ((st >> 16) & 0x7FFF) - 4;
                cr_assert_eq(got, len, "FF clear: length intact");
                frames++;
            }
            drv_rx_post(&d, i % 8);
            i++;
        }
    }
    cr_assert_eq(frames, 12);
    cr_assert_gt(i, 12, "frames spanned descriptors");
    /* transmit with PBL 8: several bursts per buffer */
    drv_make_frame(f, 1500, peer, mac, 1);
    unsigned t = drv_tx(&d, f, 1500, 0);
    csr_w(tm, 1, 0);
    tm_step_ns(tm, 30000);
    cr_assert_eq(ram_r32(tm, drv_tx_desc(&d, t)), 0);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
}

/* ====================================================================== */
/* iPXE (polling, no interrupts)                                           */

#define I_RX 4

static uint32_t i_rxd(unsigned i)
{
    return DRV_RX_RING + 16 * (i % I_RX);
}

static unsigned i_cur_rx;

/* tulip_poll: one frame if the current descriptor is ours */
static int ipxe_poll(uint8_t *out)
{
    uint32_t a = i_rxd(i_cur_rx);
    uint32_t st = ram_r32(tm, a);
    if (st & OWN) {
        return -1;
    }
    cr_assert_eq(st & 0x8000, 0, "iPXE drops ES frames");
    int len = (int)((st >> 16) & 0x3FFF) - 4;
    ram_read(tm, ram_r32(tm, a + 8), out, (size_t)len);
    ram_w32(tm, a, OWN); /* hand back, never CSR2 */
    i_cur_rx++;
    return len;
}

static void ipxe_transmit(const uint8_t *f, size_t len)
{
    uint32_t csr6 = csr_r(tm, 6);
    csr_w(tm, 6, csr6 & ~ST);
    ram_write(tm, DRV_TX_BUFS, f, len);
    ram_w32(tm, DRV_TX_RING + 4, 0x60000000u | (uint32_t)(len < 60 ? 60 : len));
    ram_w32(tm, DRV_TX_RING + 8, DRV_TX_BUFS);
    ram_w32(tm, DRV_TX_RING, OWN);
    csr_w(tm, 4, DRV_TX_RING);
    csr_w(tm, 6, csr6 | ST);
    csr_w(tm, 1, 0);
    int i;
    for (i = 0; i < 2000 && (ram_r32(tm, DRV_TX_RING) & OWN); i++) {
        tm_step_ns(tm, 1000);
    }
    cr_assert_lt(i, 2000, "transmit completes");
    csr_w(tm, 6, csr_r(tm, 6) & ~ST);
}

Test(tulip_ipxe, probe_reset_transmit_and_polled_receive)
{
    uint8_t ee[128], f[1514], got[1600];
    /* probe */
    csr_w(tm, 7, 0);
    csr_w(tm, 6, csr_r(tm, 6) & ~(ST | SR));
    csr_r(tm, 8);
    cr_assert_neq(csr_r(tm, 5), 0xFFFFFFFFu);
    read_srom(ee, 64);
    cr_assert_arr_eq(ee + 20, mac, 6);
    int phy = -1;
    for (int p = 0; p < 32 && phy < 0; p++) {
        uint16_t s = drv_mii_read(tm, (unsigned)p, 1);
        if (s != 0xFFFF && s != 0) {
            phy = p;
        }
    }
    cr_assert_eq(phy, 1);
    drv_mii_write(tm, 1, 0, drv_mii_read(tm, 1, 0) | 0x1000);
    csr_w(tm, 12, ee[ee[27] + 2] | 0x100);

    /* reset */
    csr_w(tm, 6, 0x814C0000);
    csr_w(tm, 0, 1);
    tm_step_ns(tm, 1000000);
    csr_w(tm, 0, 0x01A08000);
    for (unsigned i = 0; i < I_RX; i++) {
        ram_w32(tm, i_rxd(i) + 4, 1536 | (i == I_RX - 1 ? 1u << 25 : 0));
        ram_w32(tm, i_rxd(i) + 8, DRV_RX_BUFS + i * DRV_BUF_STRIDE);
        ram_w32(tm, i_rxd(i) + 12, i_rxd(i + 1));
        ram_w32(tm, i_rxd(i), OWN);
    }
    uint8_t table[192];
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    uint8_t addrs[16][6];
    memcpy(addrs[0], mac, 6);
    for (int e = 1; e < 16; e++) {
        memcpy(addrs[e], bcast, 6);
    }
    drv_table_perfect(table, addrs, 16);
    ram_write(tm, DRV_SETUP, table, 192);
    ram_w32(tm, DRV_TX_RING + 4, 0x08000000u | 1u << 25 | 192);
    ram_w32(tm, DRV_TX_RING + 8, DRV_SETUP);
    ram_w32(tm, DRV_TX_RING, OWN);
    csr_w(tm, 3, DRV_RX_RING);
    csr_w(tm, 4, DRV_TX_RING);
    csr_w(tm, 6, 0x814C0000);
    csr_w(tm, 6, 0x814C0000 | ST);
    csr_w(tm, 1, 0);
    int w;
    for (w = 0; w < 2000 && (ram_r32(tm, DRV_TX_RING) & OWN); w++) {
        tm_step_ns(tm, 1000);
    }
    cr_assert_lt(w, 2000, "setup frame within 2 s");
    csr_w(tm, 6, csr_r(tm, 6) | 0x80); /* PM */
    csr_w(tm, 6, csr_r(tm, 6) | ST | SR);
    i_cur_rx = 0;

    /* DHCP-like exchange: a broadcast out, answers in */
    drv_make_frame(f, 342, bcast, mac, 1);
    ipxe_transmit(f, 342);
    cr_assert_eq(net_recorder_count(tm->wire), 1);
    cr_assert_eq(csr_r(tm, 5) & TPS, TPS, "ST cleared after each frame");
    for (int n = 0; n < 10; n++) {
        drv_make_frame(f, 300 + (size_t)n, mac, peer, (uint8_t)n);
        net_recorder_inject(tm->wire, f, 300 + (size_t)n);
        tm_step_ns(tm, 1000);
        cr_assert_eq(ipxe_poll(got), 300 + n);
        cr_assert_arr_eq(got, f, 300 + (size_t)n);
    }
    /* a burst larger than the ring while iPXE is busy elsewhere */
    for (int n = 0; n < 6; n++) {
        drv_make_frame(f, 400, mac, peer, (uint8_t)(50 + n));
        net_recorder_inject(tm->wire, f, 400);
    }
    int got_frames = 0;
    while (ipxe_poll(got) > 0) {
        got_frames++;
    }
    cr_assert_eq(got_frames, 4);
    /* the receiver resumes by itself on the next frame */
    drv_make_frame(f, 400, mac, peer, 99);
    net_recorder_inject(tm->wire, f, 400);
    tm_step_ns(tm, 1000);
    while (ipxe_poll(got) > 0) {
        got_frames++;
    }
    cr_assert_eq(got_frames, 5, "the held frame arrives");
    drv_make_frame(f, 400, mac, peer, 100);
    net_recorder_inject(tm->wire, f, 400);
    cr_assert_eq(ipxe_poll(got), 400);
    cr_assert_arr_eq(got, f, 400);
    /* and transmit still works after all that */
    drv_make_frame(f, 60, peer, mac, 7);
    ipxe_transmit(f, 60);
    cr_assert_eq(net_recorder_count(tm->wire), 2);
    cr_assert_eq(tm->irq_raises[TM_IRQ], 0, "polling: CSR7 = 0, no INTA");
}

/* ====================================================================== */
/* ReactOS dc21x4 (the open stand-in for the Windows NDIS driver)          */

TestSuite(tulip_reactos, .init = setup_mii, .fini = teardown);

Test(tulip_reactos, isr_masks_dpc_acks_and_unmasks)
{
    uint8_t ee[128], f[300];
    /* wake: CFDD sleep/snooze cleared */
    tm_cfg_write(tm, TM_SLOT, 0x40, 0, 4);
    csr_w(tm, 6, csr_r(tm, 6) & ~(ST | SR));
    read_srom(ee, 64);
    {
        uint32_t c = 0xFFFFFFFFu;
        for (int i = 0; i < 0x7E; i++) {
            c ^= ee[i];
            for (int b = 0; b < 8; b++) {
                c = (c >> 1) ^ (c & 1 ? 0xEDB88320u : 0);
            }
        }
        cr_assert_eq((~c) & 0xFFFF, ee[0x7E] | ee[0x7F] << 8,
                     "MAC taken only with a valid CRC");
    }
    cr_assert_eq(tm_cfg_read(tm, TM_SLOT, 0x08, 1) & 0xF0, 0x20,
                 "21140A features enabled (rev >= 0x20)");
    csr_w(tm, 6, 0x00040000); /* PS before the reset */
    csr_w(tm, 0, 1);
    tm_step_ns(tm, 100000);
    csr_w(tm, 0, 0x01A08000);
    csr_r(tm, 8);
    TulipDrv d;
    drv_rings(&d, tm, 8, 8, 1536, false, 0);
    csr_w(tm, 6, DRV_CSR6_MII | ST);
    uint8_t table[192], addrs[1][6];
    memcpy(addrs[0], mac, 6);
    drv_table_perfect(table, addrs, 1);
    unsigned s = drv_setup(&d, table, 0);
    csr_w(tm, 1, 0);
    int w;
    for (w = 0; w < 500 && (ram_r32(tm, drv_tx_desc(&d, s)) & OWN); w++) {
        tm_step_ns(tm, 1000);
    }
    cr_assert_lt(w, 500, "synchronous OWN poll");
    csr_w(tm, 6, DRV_CSR6_MII | ST | SR);
    csr_w(tm, 5, 0xFFFFFFFF);
    csr_w(tm, 7, 0x0001EBEF);

    unsigned rx = 0;
    for (int n = 0; n < 20; n++) {
        drv_make_frame(f, sizeof(f), mac, peer, (uint8_t)n);
        net_recorder_inject(tm->wire, f, sizeof(f));
        cr_assert(tm_irq(tm));
        /* ISR: mask everything, INTA goes away at once */
        csr_w(tm, 7, 0);
        cr_assert_not(tm_irq(tm));
        /* DPC: ack what was read, process, unmask */
        uint32_t csr5 = csr_r(tm, 5);
        csr_w(tm, 5, csr5);
        while (!(ram_r32(tm, drv_rx_desc(&d, rx % 8)) & OWN)) {
            drv_rx_post(&d, rx % 8);
            rx++;
        }
        csr_w(tm, 7, 0x0001EBEF);
        cr_assert_not(tm_irq(tm), "nothing left pending");
    }
    cr_assert_eq(rx, 20);
    /* ring overflow is counted as missed frames, never as FIFO overflow,
     * so the 21140A RX-overflow workaround does not reset the ring */
    for (int n = 0; n < 12; n++) {
        net_recorder_inject(tm->wire, f, sizeof(f));
    }
    uint32_t csr8 = csr_r(tm, 8);
    cr_assert_eq(csr8 & 0xFFFF, 3);
    cr_assert_eq(csr8 & 0x1FFE0000, 0, "FOC/OCO stay zero");
}
