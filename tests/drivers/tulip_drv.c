/*
 * tulipvm tests: TestMachine and driver-style helpers for the DEC 21140
 * (see tulip_drv.h).  The helpers do what the Linux/NetBSD/iPXE drivers do
 * at register level; they know nothing of the model's internals.
 */
#include "drivers/tulip_drv.h"
#include "devices/tulip.h"
#include "emu/log.h"

#include <string.h>

static void tm_line_set(void *opaque, int n, bool level)
{
    TestMachine *tm = opaque;
    if (level && !tm->irq[n]) {
        tm->irq_raises[n]++;
    }
    tm->irq[n] = level;
}

static int tm_route(void *opaque, int slot, int pin)
{
    (void)opaque;
    (void)slot;
    (void)pin;
    return TM_IRQ;
}

TestMachine *tm_new(const TulipConfig *cfg)
{
    TestMachine *tm = g_new0(TestMachine, 1);
    TulipConfig def;
    GError *err = NULL;

    if (!cfg) {
        tulip_config_default(&def);
        cfg = &def;
    }
    tm->clock = clock_new(TM_CLOCK_HZ);
    tm->io = bus_new("io", 0xFFFF);
    tm->mem = mem_new(TM_RAM_SIZE, &err);
    g_assert_no_error(err);
    g_assert(mem_map_ram(tm->mem, 0, 0, TM_RAM_SIZE, &err));
    for (int i = 0; i < 16; i++) {
        tm->outs[i] = irq_line(tm_line_set, tm, i);
    }
    tm->pci = pci_bus_new(tm->io, tm->mem, tm->outs, 16, tm_route, NULL, &err);
    g_assert_no_error(err);
    g_assert(i440fx_init(&tm->host, tm->pci, &err));
    tm->wire = net_recorder_new(tm->clock, "wire", 4096);
    tm->nic = tulip_create(tm->pci, TM_SLOT, tm->clock,
                           net_recorder_port(tm->wire), cfg, &err);
    g_assert_no_error(err);
    return tm;
}

void tm_free(TestMachine *tm)
{
    tulip_destroy(tm->nic);
    net_recorder_free(tm->wire);
    pci_bus_free(tm->pci);
    mem_free(tm->mem);
    bus_free(tm->io);
    clock_free(tm->clock);
    g_free(tm);
}

uint32_t tm_cfg_read(TestMachine *tm, int slot, int reg, unsigned size)
{
    bus_write(tm->io, PCI_CONFIG_ADDRESS,
              0x80000000u | (uint32_t)slot << 11 | (reg & 0xFC), 4);
    return bus_read(tm->io, PCI_CONFIG_DATA + (reg & 3), size);
}

void tm_cfg_write(TestMachine *tm, int slot, int reg, uint32_t val,
                  unsigned size)
{
    bus_write(tm->io, PCI_CONFIG_ADDRESS,
              0x80000000u | (uint32_t)slot << 11 | (reg & 0xFC), 4);
    bus_write(tm->io, PCI_CONFIG_DATA + (reg & 3), val, size);
}

void tm_probe(TestMachine *tm)
{
    tm_cfg_write(tm, TM_SLOT, PCI_BASE_ADDRESS_0, 0xFFFFFFFF, 4);
    tm_cfg_read(tm, TM_SLOT, PCI_BASE_ADDRESS_0, 4);
    tm_cfg_write(tm, TM_SLOT, PCI_BASE_ADDRESS_0, TM_IO_BASE, 4);
    tm_cfg_write(tm, TM_SLOT, PCI_BASE_ADDRESS_0 + 4, 0xFFFFFFFF, 4);
    tm_cfg_read(tm, TM_SLOT, PCI_BASE_ADDRESS_0 + 4, 4);
    tm_cfg_write(tm, TM_SLOT, PCI_BASE_ADDRESS_0 + 4, TM_MMIO_BASE, 4);
    tm_cfg_write(tm, TM_SLOT, PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
}

TestMachine *tm_new_probed(TulipModel model, const uint8_t mac[6])
{
    TulipConfig cfg;
    TestMachine *tm;

    log_set_enabled(0);
    tulip_config_default(&cfg);
    memcpy(cfg.mac, mac, 6);
    cfg.model = model;
    tm = tm_new(&cfg);
    tm_probe(tm);
    return tm;
}

uint32_t csr_r(TestMachine *tm, unsigned n)
{
    if (tm->use_mmio) {
        return mem_read(tm->mem, TM_MMIO_BASE + 8 * n, 4);
    }
    return bus_read(tm->io, TM_IO_BASE + 8 * n, 4);
}

void csr_w(TestMachine *tm, unsigned n, uint32_t v)
{
    if (tm->use_mmio) {
        mem_write(tm->mem, TM_MMIO_BASE + 8 * n, v, 4);
    } else {
        bus_write(tm->io, TM_IO_BASE + 8 * n, v, 4);
    }
}

void ram_w32(TestMachine *tm, uint32_t addr, uint32_t v)
{
    uint8_t b[4] = {v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF, v >> 24};
    ram_write(tm, addr, b, 4);
}

uint32_t ram_r32(TestMachine *tm, uint32_t addr)
{
    uint8_t b[4];
    ram_read(tm, addr, b, 4);
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

void ram_write(TestMachine *tm, uint32_t addr, const void *buf, size_t len)
{
    g_assert(addr + len <= TM_RAM_SIZE);
    memcpy(mem_ram_base(tm->mem) + addr, buf, len);
}

void ram_read(TestMachine *tm, uint32_t addr, void *buf, size_t len)
{
    g_assert(addr + len <= TM_RAM_SIZE);
    memcpy(buf, mem_ram_base(tm->mem) + addr, len);
}

bool tm_irq(const TestMachine *tm)
{
    return tm->irq[TM_IRQ];
}

void tm_step_ns(TestMachine *tm, int64_t ns)
{
    clock_step_ns(tm->clock, ns);
}

bool tm_wait_irq(TestMachine *tm, int64_t max_ns)
{
    for (int64_t t = 0; t < max_ns && !tm_irq(tm); t += 100) {
        clock_step_ns(tm->clock, 100);
    }
    return tm_irq(tm);
}

/* ---- driver helpers ---------------------------------------------------- */

void drv_reset(TestMachine *tm, uint32_t csr0)
{
    csr_w(tm, 0, 1);
    tm_step_ns(tm, 10000);
    csr_w(tm, 0, csr0);
}

static uint32_t drv_desc_stride(const TulipDrv *d)
{
    return 16 + 4 * d->dsl;
}

uint32_t drv_rx_desc(const TulipDrv *d, unsigned i)
{
    return DRV_RX_RING + i * drv_desc_stride(d);
}

uint32_t drv_tx_desc(const TulipDrv *d, unsigned i)
{
    return DRV_TX_RING + i * drv_desc_stride(d);
}

static uint32_t drv_rx_ctl(const TulipDrv *d, unsigned i)
{
    uint32_t ctl = d->rx_size;
    if (d->chained) {
        ctl |= 1u << 24;
    } else if (i == d->nrx - 1) {
        ctl |= 1u << 25;
    }
    return ctl;
}

void drv_rings(TulipDrv *d, TestMachine *tm, unsigned nrx, unsigned ntx,
               unsigned rx_size, bool chained, unsigned dsl)
{
    memset(d, 0, sizeof(*d));
    d->tm = tm;
    d->nrx = nrx;
    d->ntx = ntx;
    d->rx_size = rx_size;
    d->chained = chained;
    d->dsl = chained ? 0 : dsl;
    for (unsigned i = 0; i < nrx; i++) {
        uint32_t a = drv_rx_desc(d, i);
        ram_w32(tm, a + 4, drv_rx_ctl(d, i));
        ram_w32(tm, a + 8, DRV_RX_BUFS + i * DRV_BUF_STRIDE);
        ram_w32(tm, a + 12, chained ? drv_rx_desc(d, (i + 1) % nrx) : 0);
        ram_w32(tm, a, 0x80000000u);
    }
    for (unsigned i = 0; i < ntx; i++) {
        uint32_t a = drv_tx_desc(d, i);
        ram_w32(tm, a, 0);
        ram_w32(tm, a + 4, 0);
        ram_w32(tm, a + 8, DRV_TX_BUFS + i * DRV_BUF_STRIDE);
        ram_w32(tm, a + 12, chained ? drv_tx_desc(d, (i + 1) % ntx) : 0);
    }
    csr_w(tm, 3, DRV_RX_RING);
    csr_w(tm, 4, DRV_TX_RING);
}

void drv_rx_post(TulipDrv *d, unsigned i)
{
    uint32_t a = drv_rx_desc(d, i);
    ram_w32(d->tm, a + 4, drv_rx_ctl(d, i));
    ram_w32(d->tm, a, 0x80000000u);
}

static uint32_t drv_tx_ring_bits(const TulipDrv *d, unsigned i)
{
    if (d->chained) {
        return 1u << 24;
    }
    return i == d->ntx - 1 ? 1u << 25 : 0;
}

unsigned drv_tx(TulipDrv *d, const void *frame, size_t len, uint32_t extra)
{
    unsigned i = d->tx_next;
    uint32_t a = drv_tx_desc(d, i);
    ram_write(d->tm, DRV_TX_BUFS + i * DRV_BUF_STRIDE, frame, len);
    ram_w32(d->tm, a + 8, DRV_TX_BUFS + i * DRV_BUF_STRIDE);
    ram_w32(d->tm, a + 4,
            (uint32_t)len | 0x60000000u | drv_tx_ring_bits(d, i) | extra);
    ram_w32(d->tm, a, 0x80000000u);
    d->tx_next = (i + 1) % d->ntx;
    return i;
}

unsigned drv_setup(TulipDrv *d, const uint8_t table[192], uint32_t tdes1)
{
    unsigned i = d->tx_next;
    uint32_t a = drv_tx_desc(d, i);
    ram_write(d->tm, DRV_SETUP, table, 192);
    ram_w32(d->tm, a + 4, 192 | (1u << 27) | drv_tx_ring_bits(d, i) | tdes1);
    ram_w32(d->tm, a + 8, DRV_SETUP);
    ram_w32(d->tm, a, 0x80000000u);
    d->tx_next = (i + 1) % d->ntx;
    return i;
}

static void put_pair(uint8_t *table, unsigned lw, const uint8_t *two)
{
    /* Low half carries the bytes; Linux mirrors them into the high half. */
    table[4 * lw] = two[0];
    table[4 * lw + 1] = two[1];
    table[4 * lw + 2] = two[0];
    table[4 * lw + 3] = two[1];
}

void drv_table_perfect(uint8_t table[192], const uint8_t (*addrs)[6],
                       unsigned n)
{
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    for (unsigned e = 0; e < 16; e++) {
        const uint8_t *a = e < n ? addrs[e] : bcast;
        for (unsigned j = 0; j < 3; j++) {
            put_pair(table, 3 * e + j, a + 2 * j);
        }
    }
}

uint32_t drv_ether_crc_le(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (len--) {
        uint8_t byte = *data++;
        for (int bit = 0; bit < 8; bit++, byte >>= 1) {
            crc = (crc >> 1) ^ (((crc ^ byte) & 1) ? 0xEDB88320u : 0);
        }
    }
    return crc;
}

void drv_table_hash(uint8_t table[192], const uint8_t (*mcast)[6], unsigned n,
                    const uint8_t station[6])
{
    uint16_t bits[32] = {0};
    memset(table, 0, 192);
    bits[255 / 16] |= 1u << (255 % 16); /* broadcast, as Linux does */
    for (unsigned i = 0; i < n; i++) {
        unsigned k = drv_ether_crc_le(mcast[i], 6) & 0x1FF;
        bits[k >> 4] |= 1u << (k & 15);
    }
    for (unsigned i = 0; i < 32; i++) {
        uint8_t two[2] = {bits[i] & 0xFF, bits[i] >> 8};
        put_pair(table, i, two);
    }
    for (unsigned j = 0; j < 3; j++) {
        put_pair(table, 39 + j, station + 2 * j);
    }
}

/* Linux eeprom.c constants */
#define EE_SHIFT_CLK  0x02
#define EE_CS         0x01
#define EE_DATA_WRITE 0x04
#define EE_DATA_READ  0x08
#define EE_ENB        (0x4800 | EE_CS)
#define EE_READ_CMD   6

uint32_t drv_srom_read(TestMachine *tm, unsigned addr, unsigned addr_len,
                       bool raw)
{
    uint32_t retval = 0;
    unsigned read_cmd = addr | EE_READ_CMD << addr_len;

    csr_w(tm, 9, EE_ENB & ~EE_CS);
    csr_w(tm, 9, EE_ENB);
    for (int i = 4 + (int)addr_len; i >= 0; i--) {
        uint32_t dataval = (read_cmd & (1u << i)) ? EE_DATA_WRITE : 0;
        csr_w(tm, 9, EE_ENB | dataval);
        csr_r(tm, 9);
        csr_w(tm, 9, EE_ENB | dataval | EE_SHIFT_CLK);
        csr_r(tm, 9);
        retval = (retval << 1) | ((csr_r(tm, 9) & EE_DATA_READ) ? 1 : 0);
    }
    csr_w(tm, 9, EE_ENB);
    csr_r(tm, 9);
    for (int i = 16; i > 0; i--) {
        csr_w(tm, 9, EE_ENB | EE_SHIFT_CLK);
        csr_r(tm, 9);
        retval = (retval << 1) | ((csr_r(tm, 9) & EE_DATA_READ) ? 1 : 0);
        csr_w(tm, 9, EE_ENB);
        csr_r(tm, 9);
    }
    csr_w(tm, 9, EE_ENB & ~EE_CS);
    return raw ? retval : retval & 0xFFFF;
}

/* Linux tulip.h MII constants */
#define MDIO_SHIFT_CLK   0x10000
#define MDIO_DATA_WRITE0 0x00000
#define MDIO_DATA_WRITE1 0x20000
#define MDIO_ENB         0x00000
#define MDIO_ENB_IN      0x40000
#define MDIO_DATA_READ   0x80000

uint16_t drv_mii_read(TestMachine *tm, unsigned phy, unsigned reg)
{
    unsigned read_cmd = (0xf6 << 10) | (phy << 5) | reg;
    uint32_t retval = 0;

    for (int i = 32; i >= 0; i--) {
        csr_w(tm, 9, MDIO_ENB | MDIO_DATA_WRITE1);
        csr_r(tm, 9);
        csr_w(tm, 9, MDIO_ENB | MDIO_DATA_WRITE1 | MDIO_SHIFT_CLK);
        csr_r(tm, 9);
    }
    for (int i = 15; i >= 0; i--) {
        uint32_t dataval = (read_cmd & (1u << i)) ? MDIO_DATA_WRITE1 : 0;
        csr_w(tm, 9, MDIO_ENB | dataval);
        csr_r(tm, 9);
        csr_w(tm, 9, MDIO_ENB | dataval | MDIO_SHIFT_CLK);
        csr_r(tm, 9);
    }
    for (int i = 19; i > 0; i--) {
        csr_w(tm, 9, MDIO_ENB_IN);
        csr_r(tm, 9);
        retval = (retval << 1) | ((csr_r(tm, 9) & MDIO_DATA_READ) ? 1 : 0);
        csr_w(tm, 9, MDIO_ENB_IN | MDIO_SHIFT_CLK);
        csr_r(tm, 9);
    }
    return (retval >> 1) & 0xFFFF;
}

void drv_mii_write(TestMachine *tm, unsigned phy, unsigned reg, uint16_t val)
{
    uint32_t cmd = (0x5002u << 16) | (phy << 23) | (reg << 18) | val;

    for (int i = 32; i >= 0; i--) {
        csr_w(tm, 9, MDIO_ENB | MDIO_DATA_WRITE1);
        csr_w(tm, 9, MDIO_ENB | MDIO_DATA_WRITE1 | MDIO_SHIFT_CLK);
    }
    for (int i = 31; i >= 0; i--) {
        uint32_t dataval = (cmd & (1u << i)) ? MDIO_DATA_WRITE1 : 0;
        csr_w(tm, 9, MDIO_ENB | dataval);
        csr_w(tm, 9, MDIO_ENB | dataval | MDIO_SHIFT_CLK);
    }
    for (int i = 2; i > 0; i--) {
        csr_w(tm, 9, MDIO_ENB_IN);
        csr_w(tm, 9, MDIO_ENB_IN | MDIO_SHIFT_CLK);
    }
}

size_t drv_make_frame(uint8_t *buf, size_t len, const uint8_t dst[6],
                      const uint8_t src[6], uint8_t seed)
{
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    buf[12] = 0x08;
    buf[13] = 0x00;
    for (size_t i = 14; i < len; i++) {
        buf[i] = (uint8_t)(seed + i);
    }
    return len;
}

void drv_open(TulipDrv *d, TestMachine *tm, const uint8_t mac[6], unsigned nrx,
              unsigned ntx, unsigned rx_size, bool chained)
{
    uint8_t table[192];
    uint8_t addrs[1][6];

    drv_reset(tm, 0x01A08000);
    drv_rings(d, tm, nrx, ntx, rx_size, chained, 0);
    memcpy(addrs[0], mac, 6);
    drv_table_perfect(table, addrs, 1);
    drv_setup(d, table, 0);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2000);
    csr_w(tm, 7, 0x0001EBEF);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002);
    for (int i = 0; i < 100 && (ram_r32(tm, drv_tx_desc(d, 0)) >> 31); i++) {
        tm_step_ns(tm, 1000);
    }
    g_assert(!(ram_r32(tm, drv_tx_desc(d, 0)) >> 31));
    csr_w(tm, 5, 0x0001FFFF);
}
