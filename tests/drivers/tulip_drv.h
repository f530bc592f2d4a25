/*
 * tulipvm tests: a machine without a CPU for driving the DEC 21140 as a
 * guest driver does, and driver-style helpers shared by the NIC suites,
 * fuzzers and the benchmark.
 *
 * TestMachine: guest RAM, the port bus with the real PCI core and host
 * bridge, a manual clock, INTx lines that record their level, and a
 * NetRecorder as the far end of the NIC's cable.  The NIC is found and
 * enabled through configuration cycles on ports 0xCF8/0xCFC; its CSRs are
 * reached by port I/O (or MMIO when use_mmio is set); descriptors and
 * buffers live in guest RAM.
 */
#ifndef TESTS_TULIP_DRV_H
#define TESTS_TULIP_DRV_H

#include <stdbool.h>
#include <stdint.h>
#include "emu/bus.h"
#include "emu/clock.h"
#include "emu/mem.h"
#include "emu/pci.h"
#include "devices/i440fx.h"
#include "devices/tulip.h"
#include "net/loop.h"

#define TM_RAM_SIZE  (16u << 20)
#define TM_CLOCK_HZ  100000000u /* 10 ns per cycle */
#define TM_SLOT      3
#define TM_IRQ       11
#define TM_IO_BASE   0xC000
#define TM_MMIO_BASE 0xFEBF0000u

typedef struct TestMachine {
    Clock *clock;
    Bus *io;
    MemMap *mem;
    PciBus *pci;
    I440fx host;
    IrqLine outs[16];
    bool irq[16];
    unsigned irq_raises[16];
    Tulip *nic;
    NetRecorder *wire;
    bool use_mmio;
} TestMachine;

/* cfg NULL: defaults.  The NIC is plugged but not yet enabled. */
TestMachine *tm_new(const TulipConfig *cfg);
void tm_free(TestMachine *tm);

/* Configuration mechanism #1 through the I/O ports. */
uint32_t tm_cfg_read(TestMachine *tm, int slot, int reg, unsigned size);
void tm_cfg_write(TestMachine *tm, int slot, int reg, uint32_t val,
                  unsigned size);
/* Size and assign both BARs, enable I/O, memory and bus mastering. */
void tm_probe(TestMachine *tm);
/* The suites' usual fixture: guest-error logging off (they provoke errors
 * on purpose), a NIC of the given model and station address, probed. */
TestMachine *tm_new_probed(TulipModel model, const uint8_t mac[6]);

uint32_t csr_r(TestMachine *tm, unsigned n);
void csr_w(TestMachine *tm, unsigned n, uint32_t v);

/* Guest physical RAM. */
void ram_w32(TestMachine *tm, uint32_t addr, uint32_t v);
uint32_t ram_r32(TestMachine *tm, uint32_t addr);
void ram_write(TestMachine *tm, uint32_t addr, const void *buf, size_t len);
void ram_read(TestMachine *tm, uint32_t addr, void *buf, size_t len);

bool tm_irq(const TestMachine *tm);
void tm_step_ns(TestMachine *tm, int64_t ns);
/* Run the clock until INTA is asserted; false after max_ns. */
bool tm_wait_irq(TestMachine *tm, int64_t max_ns);

/* ---- driver helpers ---------------------------------------------------- */

#define DRV_RX_RING    0x00010000u
#define DRV_TX_RING    0x00020000u
#define DRV_SETUP      0x00030000u
#define DRV_RX_BUFS    0x00100000u
#define DRV_TX_BUFS    0x00200000u
#define DRV_BUF_STRIDE 0x800u

typedef struct TulipDrv {
    TestMachine *tm;
    unsigned nrx, ntx;
    unsigned rx_size; /* bytes per receive buffer (RBS1) */
    bool chained;
    unsigned dsl;     /* descriptor skip, longwords */
    unsigned rx_next; /* next receive descriptor to look at */
    unsigned tx_next; /* next transmit descriptor to fill */
} TulipDrv;

uint32_t drv_rx_desc(const TulipDrv *d, unsigned i);
uint32_t drv_tx_desc(const TulipDrv *d, unsigned i);

/* CSR0.SWR, wait 10 us, then CSR0 = csr0. */
void drv_reset(TestMachine *tm, uint32_t csr0);
/* Build both rings (all receive descriptors owned by the chip), load
 * CSR3/CSR4.  Ring mode unless chained; dsl is the CSR0 skip in use. */
void drv_rings(TulipDrv *d, TestMachine *tm, unsigned nrx, unsigned ntx,
               unsigned rx_size, bool chained, unsigned dsl);
/* Hand receive descriptor i back to the chip. */
void drv_rx_post(TulipDrv *d, unsigned i);
/* Queue one frame in the next transmit descriptor (FS|LS|extra); OWN set
 * last.  Returns the descriptor index. */
unsigned drv_tx(TulipDrv *d, const void *frame, size_t len, uint32_t extra);
/* Queue a setup frame (table at DRV_SETUP) with TDES1 flags. */
unsigned drv_setup(TulipDrv *d, const uint8_t table[192], uint32_t tdes1);

/* Setup-frame tables as drivers build them. */
void drv_table_perfect(uint8_t table[192], const uint8_t (*addrs)[6],
                       unsigned n);
void drv_table_hash(uint8_t table[192], const uint8_t (*mcast)[6], unsigned n,
                    const uint8_t station[6]);
/* The driver's own little-endian CRC (Linux ether_crc_le). */
uint32_t drv_ether_crc_le(const uint8_t *data, size_t len);

/* Serial ROM read, Linux tulip_read_eeprom style (addr_len 6 or 8);
 * returns the 16 data bits, or with raw the whole sampled bit string. */
uint32_t drv_srom_read(TestMachine *tm, unsigned addr, unsigned addr_len,
                       bool raw);
/* MII management frames, Linux mdio_read/mdio_write style. */
uint16_t drv_mii_read(TestMachine *tm, unsigned phy, unsigned reg);
void drv_mii_write(TestMachine *tm, unsigned phy, unsigned reg, uint16_t val);

/* A frame to dst from src with an IPv4 ethertype and a byte pattern. */
size_t drv_make_frame(uint8_t *buf, size_t len, const uint8_t dst[6],
                      const uint8_t src[6], uint8_t seed);

/*
 * A typical open: SWR, CSR0 = 0x01A08000, rings, a perfect setup frame with
 * mac (and broadcast) in TX entry 0 found by the ST 0->1 fetch, CSR7 =
 * 0x0001EBEF, then SR; waits for the setup descriptor and acks CSR5.
 */
void drv_open(TulipDrv *d, TestMachine *tm, const uint8_t mac[6], unsigned nrx,
              unsigned ntx, unsigned rx_size, bool chained);
#define DRV_CSR6_MII 0x020E0000u
#endif /* TESTS_TULIP_DRV_H */
