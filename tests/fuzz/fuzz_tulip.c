/*
 * tulipvm fuzz target: the DEC 21140 driven by a command stream, after
 * QEMU's generic-fuzz design.  Each input is a sequence of commands:
 *
 *   0 n v32    CSR n write (port I/O)      5 r v32   PCI config write
 *   1 n        CSR n read                  6 n v32   CSR n write (MMIO)
 *   2 a16 v32  guest RAM longword write    7         cable unplug/replug
 *   3 l16 ...  frame from the network      8         driver-style open
 *   4 t16      clock step (t * 100 ns)
 *
 * Built as a libFuzzer target with -DEMU_FUZZ=ON (clang); otherwise
 * fuzz_tulip_replay runs it over seeded pseudo-random inputs as a test.
 */
#include "drivers/tulip_drv.h"
#include "emu/log.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Cursor {
    const uint8_t *p;
    size_t left;
} Cursor;

static uint32_t take(Cursor *c, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes && c->left; i++) {
        v |= (uint32_t)*c->p++ << (8 * i);
        c->left--;
    }
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x01};
    Cursor c = {data, size};
    TestMachine *tm;
    TulipDrv d;
    uint8_t frame[1600];
    bool link = true;

    TulipConfig cfg;
    static const unsigned rates[3] = {0, 10, 100};
    unsigned setup = take(&c, 1);

    /* the first byte picks the board and the pacing */
    log_set_enabled(0);
    tulip_config_default(&cfg);
    cfg.rate_mbps = rates[setup % 3];
    cfg.model = setup & 4 ? TULIP_MODEL_DC21140_GPR : TULIP_MODEL_DC21140;
    tm = tm_new(&cfg);
    tm_probe(tm);
    for (unsigned steps = 0; c.left && steps < 4096; steps++) {
        unsigned op = take(&c, 1) % 9;
        unsigned n = take(&c, 1) % 16;
        switch (op) {
        case 0:
            csr_w(tm, n, take(&c, 4));
            break;
        case 1:
            csr_r(tm, n);
            break;
        case 2:
            ram_w32(tm, (take(&c, 2) << 2) & 0xFFFC, take(&c, 4));
            break;
        case 3: {
            size_t len = take(&c, 2) % sizeof(frame);
            memset(frame, 0, sizeof(frame));
            memcpy(frame, c.p, MIN(len, c.left));
            net_recorder_inject(tm->wire, frame, len);
            break;
        }
        case 4:
            tm_step_ns(tm, (int64_t)take(&c, 2) * 100);
            break;
        case 5:
            tm_cfg_write(tm, TM_SLOT, (int)(take(&c, 1) & 0xFC), take(&c, 4),
                         4);
            break;
        case 6:
            tm->use_mmio = true;
            csr_w(tm, n, take(&c, 4));
            tm->use_mmio = false;
            break;
        case 7:
            link = !link;
            net_port_set_link(tulip_port(tm->nic), link);
            break;
        default:
            tm_probe(tm);
            drv_open(&d, tm, mac, 4, 4, 1536, n & 1);
            break;
        }
    }
    tm_step_ns(tm, 1000000);
    tm_free(tm);
    return 0;
}
