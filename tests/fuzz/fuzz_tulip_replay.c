/*
 * Runs the DEC 21140 fuzz target over seeded pseudo-random command streams
 * (biased towards valid opcodes and small addresses) so the sanitizer
 * build exercises it without a fuzzing engine.  Each crash found by
 * fuzzing becomes a named test in the tulip suites.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

Test(tulip_fuzz, seeded_command_streams_run_clean)
{
    GRand *r = g_rand_new_with_seed(0x21140);
    uint8_t buf[4096];
    for (int input = 0; input < 40; input++) {
        size_t len = (size_t)g_rand_int_range(r, 16, sizeof(buf));
        for (size_t i = 0; i < len; i++) {
            buf[i] = (uint8_t)g_rand_int(r);
        }
        /* start most inputs from an opened NIC */
        buf[0] = (uint8_t)input; /* every board and pacing */
        if (input % 4) {
            buf[1] = 8;
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    g_rand_free(r);
}
