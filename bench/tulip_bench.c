/*
 * tulipvm benchmark: DEC 21140 frames through transmit -> internal
 * loopback -> receive, driven by a synthetic driver (rings of 64, frames
 * queued in batches, one CSR1 poll demand per batch, received descriptors
 * checked and handed back), against a memcpy of the same bytes between
 * the same guest buffers in the same run.  Not a test: prints figures.
 *
 *   build/bench/tulip_bench [seconds-per-case [bytes]]   (default 2; both
 *   sizes, or only the one given, e.g. for profiling)
 *
 * Targets (issue 3): 1514-byte frames within 4x of the memcpy, 64-byte
 * frames above 2 million frames/s; each line says whether it is met.
 */
#include "drivers/tulip_drv.h"
#include "emu/log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING   64
#define BATCH  RING
#define ROUNDS 5

/* Issue 3's targets for these 2-core machines. */
#define TARGET_SMALL_FPS   2e6
#define TARGET_LARGE_RATIO 4.0

typedef struct Result {
    double frames_per_s, ns_per_frame;
    uint64_t frames;
} Result;

static const uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x01};

/*
 * Descriptor words as a guest driver's CPU reaches them: one little-endian
 * load or store into guest RAM (ram_w32/ram_r32 would add the test
 * helpers' checks and byte shuffling to every frame's figure).
 */
static inline void guest_w32(uint8_t *ram, uint32_t addr, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(ram + addr, &v, 4);
}

static inline uint32_t guest_r32(const uint8_t *ram, uint32_t addr)
{
    uint32_t v;
    memcpy(&v, ram + addr, 4);
    return GUINT32_FROM_LE(v);
}

static Result run_nic(size_t len, double seconds)
{
    TestMachine *tm = tm_new(NULL);
    uint8_t *ram = mem_ram_base(tm->mem);
    TulipDrv d;
    uint8_t f[1514];
    Result res = {0};
    uint64_t frames = 0, bad = 0;
    unsigned rx_next = 0;

    tm_probe(tm);
    drv_open(&d, tm, mac, RING, RING, 1536, false);
    csr_w(tm, 6, DRV_CSR6_MII | 0x2002 | 1u << 10); /* internal loopback */
    csr_w(tm, 7, 0);
    drv_make_frame(f, len, mac, mac, 1);
    for (unsigned i = 0; i < RING; i++) {
        ram_write(tm, DRV_TX_BUFS + i * DRV_BUF_STRIDE, f, len);
        ram_w32(tm, drv_tx_desc(&d, i) + 8, DRV_TX_BUFS + i * DRV_BUF_STRIDE);
    }
    /* per-frame PCI time at 33 MHz, generously rounded up */
    int64_t step = (int64_t)BATCH * (1000 + (int64_t)len * 9);
    int64_t t0 = g_get_monotonic_time();
    int64_t end = t0 + (int64_t)(seconds * 1e6);
    int64_t now = t0;
    while (now < end) {
        for (int b = 0; b < 16; b++) {
            for (unsigned k = 0; k < BATCH; k++) {
                unsigned i = d.tx_next;
                uint32_t a = drv_tx_desc(&d, i);
                guest_w32(ram, a + 4,
                          (uint32_t)len | 0x60000000u |
                              (i == RING - 1 ? 1u << 25 : 0));
                guest_w32(ram, a, 0x80000000u);
                d.tx_next = (i + 1) % RING;
            }
            csr_w(tm, 1, 0);
            tm_step_ns(tm, step);
            for (unsigned k = 0; k < BATCH; k++) {
                uint32_t a = drv_rx_desc(&d, rx_next);
                uint32_t st = guest_r32(ram, a);
                if (st >> 31) {
                    break;
                }
                if (((st >> 16) & 0x3FFF) != len + 4 || (st & 0x8000)) {
                    bad++;
                }
                guest_w32(ram, a, 0x80000000u);
                rx_next = (rx_next + 1) % RING;
                frames++;
            }
        }
        now = g_get_monotonic_time();
    }
    if (bad || csr_r(tm, 8)) {
        fprintf(stderr,
                "tulip_bench: %" G_GUINT64_FORMAT " bad frames, missed %u\n",
                bad, csr_r(tm, 8));
        exit(1);
    }
    res.frames = frames;
    res.ns_per_frame = (double)(now - t0) * 1000.0 / (double)frames;
    res.frames_per_s = 1e9 / res.ns_per_frame;
    tm_free(tm);
    return res;
}

static Result run_memcpy(size_t len, double seconds)
{
    TestMachine *tm = tm_new(NULL);
    uint8_t *ram = mem_ram_base(tm->mem);
    Result res = {0};
    uint64_t frames = 0;
    volatile uint8_t sink = 0;

    int64_t t0 = g_get_monotonic_time();
    int64_t end = t0 + (int64_t)(seconds * 1e6);
    int64_t now = t0;
    while (now < end) {
        for (int b = 0; b < 16 * BATCH; b++) {
            unsigned i = (unsigned)(frames % RING);
            memcpy(ram + DRV_RX_BUFS + i * DRV_BUF_STRIDE,
                   ram + DRV_TX_BUFS + i * DRV_BUF_STRIDE, len);
            sink ^= ram[DRV_RX_BUFS + i * DRV_BUF_STRIDE + len - 1];
            frames++;
        }
        now = g_get_monotonic_time();
    }
    (void)sink;
    res.frames = frames;
    res.ns_per_frame = (double)(now - t0) * 1000.0 / (double)frames;
    res.frames_per_s = 1e9 / res.ns_per_frame;
    tm_free(tm);
    return res;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    size_t only = argc > 2 ? (size_t)atoi(argv[2]) : 0;
    static const size_t sizes[2] = {64, 1514};
    bool all_met = true;

    log_set_enabled(0);
    if (seconds <= 0) {
        seconds = 2.0;
    }
    if (only && (only < 60 || only > 1514)) {
        fprintf(stderr, "tulip_bench: frame size %zu not in 60..1514\n", only);
        return 2;
    }
    printf("DEC 21140 TX -> internal loopback -> RX, synthetic driver, "
           "unpaced\n");
    printf("%6s  %14s %10s  %14s %10s  %7s  %s\n", "bytes", "nic frames/s",
           "ns/frame", "memcpy fr/s", "ns/frame", "ratio", "target");
    /* Interleaved rounds, best of each: the machine is shared. */
    for (int s = 0; s < 2; s++) {
        size_t len = only ? only : sizes[s];
        Result n = {0}, m = {0};
        char verdict[64];
        bool met;
        double ratio;

        for (int round = 0; round < ROUNDS; round++) {
            Result rn = run_nic(len, seconds / ROUNDS);
            Result rm = run_memcpy(len, seconds / ROUNDS);
            if (rn.frames_per_s > n.frames_per_s) {
                n = rn;
            }
            if (rm.frames_per_s > m.frames_per_s) {
                m = rm;
            }
        }
        ratio = n.ns_per_frame / m.ns_per_frame;
        if (len == 64) {
            met = n.frames_per_s > TARGET_SMALL_FPS;
            snprintf(verdict, sizeof(verdict), "> %.0f M fr/s: %s",
                     TARGET_SMALL_FPS / 1e6, met ? "met" : "MISSED");
        } else if (len == 1514) {
            met = ratio <= TARGET_LARGE_RATIO;
            snprintf(verdict, sizeof(verdict), "<= %.0fx memcpy: %s",
                     TARGET_LARGE_RATIO, met ? "met" : "MISSED");
        } else {
            met = true;
            snprintf(verdict, sizeof(verdict), "(none for this size)");
        }
        all_met = all_met && met;
        printf("%6zu  %14.0f %10.1f  %14.0f %10.1f  %6.1fx  %s\n", len,
               n.frames_per_s, n.ns_per_frame, m.frames_per_s, m.ns_per_frame,
               ratio, verdict);
        if (only) {
            break;
        }
    }
    printf("targets %s\n", all_met ? "met" : "MISSED");
    return 0;
}
