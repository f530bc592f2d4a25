/*
 * CPU benchmark: runs tests/guest/bench_loop (paging on; sieve, checksum,
 * REP MOVS/STOS, a call-heavy loop) in the interpreter and reports guest
 * MIPS, together with the same workload compiled natively as a baseline
 * measured in the same run (the slowdown factor is comparable across
 * machines, the MIPS figure is not).
 *
 * Usage: cpu_bench [rounds]   (default 300)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>
#include "emu/cpu.h"
#include "emu/log.h"

/* CPU time of this process: less disturbed by other load than wall time. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct Bench {
    uint32_t result;
} Bench;

static void report_write(void *opaque, uint32_t off, uint32_t val,
                         unsigned size)
{
    Bench *b = opaque;
    (void)off;
    (void)size;
    b->result = val;
}

/* The guest workload in C, for the native baseline. */
static uint32_t native_round(uint8_t *sieve, uint32_t *a, uint32_t *bbuf,
                             uint32_t acc)
{
    uint32_t n = 0;
    memset(sieve, 1, 8192);
    for (uint32_t i = 2; i < 8192; i++) {
        if (sieve[i]) {
            n++;
            for (uint32_t j = i * i; j < 8192; j += i) {
                sieve[j] = 0;
            }
        }
    }
    acc += n;
    uint32_t x = 0;
    for (int i = 0; i < 4096; i++) {
        x = (x << 5 | x >> 27) ^ a[i];
        x += (a[i] >> 8) & 0xFF;
    }
    acc ^= x;
    memcpy(bbuf, a, 4096 * 4);
    memset(bbuf, 0, 4096 * 4);
    uint32_t e = 0;
    for (uint32_t c = 2000; c; c--) {
        e += c & 7;
        if (e & 1) {
            e++;
        }
    }
    return acc + e;
}

int main(int argc, char **argv)
{
    uint32_t rounds = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 300;
    GError *err = NULL;
    gchar *image = NULL;
    gsize len = 0;
    char *path = g_strdup_printf("%s/bench_loop.bin", EMU_GUEST_DIR);
    if (!g_file_get_contents(path, &image, &len, &err)) {
        fprintf(stderr, "cpu_bench: %s\n", err->message);
        return 1;
    }
    g_free(path);

    MemMap *mem = mem_new(32 * 1024 * 1024, &err);
    if (!mem || !mem_map_ram(mem, 0, 0, 32 * 1024 * 1024, &err)) {
        fprintf(stderr, "cpu_bench: %s\n", err->message);
        return 1;
    }
    Bus *io = bus_new("io", 0xFFFF);
    Bench b = {0};
    static const IoRegionOps ops = {
        .write = report_write, .min_size = 1, .max_size = 4};
    bus_map(io, "report", 0xE9, 4, &ops, &b, NULL);
    Clock *clock = clock_new(1000000000);
    Cpu *cpu = cpu_new(mem, io, clock, NULL, &err);
    mem_dma_write(mem, 0x10000, image, len);
    mem_dma_write_le32(mem, 0xFF000, rounds);
    cpu_set_flat32(cpu, 0x10000);

    int64_t t0 = g_get_monotonic_time();
    double c0 = cpu_seconds();
    CpuStop st;
    do {
        st = cpu_run(cpu, CLOCK_NEVER);
    } while (st == CPU_STOP_LIMIT);
    int64_t t1 = g_get_monotonic_time();
    double csecs = cpu_seconds() - c0;
    uint64_t insns = cpu_insn_count(cpu);
    double secs = (double)(t1 - t0) / 1e6;

    /* Native baseline of the same work. */
    uint8_t *sieve = g_malloc(8192);
    uint32_t *a = g_malloc(4096 * 4), *bb = g_malloc(4096 * 4);
    uint32_t x = 12345;
    for (int i = 0; i < 4096; i++) {
        x = x * 1103515245u + 12345;
        a[i] = x;
    }
    volatile uint32_t sink = 0;
    double n0 = cpu_seconds();
    for (uint32_t r = 0; r < rounds; r++) {
        sink = native_round(sieve, a, bb, sink);
    }
    double nsecs = cpu_seconds() - n0;

    printf("cpu_bench: stop %d, result 0x%08x, %" G_GUINT64_FORMAT
           " guest instructions\n",
           st, b.result, insns);
    printf("cpu_bench: wall %.3f s = %.1f MIPS; cpu time %.3f s = %.1f MIPS\n",
           secs, insns / secs / 1e6, csecs, insns / csecs / 1e6);
    printf("cpu_bench: native baseline %.4f s cpu, interpreter slowdown "
           "%.1fx\n",
           nsecs, nsecs > 0 ? csecs / nsecs : 0.0);
    g_free(sieve);
    g_free(a);
    g_free(bb);
    g_free(image);
    cpu_free(cpu);
    clock_free(clock);
    bus_free(io);
    mem_free(mem);
    return st == CPU_STOP_HALT ? 0 : 1;
}
