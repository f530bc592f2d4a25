/*
 * tulipvm: the Ethernet frame check sequence the 21140 stores after each
 * received frame (IEEE 802.3 CRC-32, reflected polynomial 0xEDB88320, the
 * value zlib's crc32() returns).
 *
 * Byte-at-a-time CRC costs more than everything else the receive path
 * does, so on x86 with PCLMULQDQ the bulk of the frame is folded 64 bytes
 * at a time with carry-less multiplication (Gopal et al., "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ", Intel 2009) and
 * reduced with a bit-reflected Barrett step; zlib handles the tail and
 * machines without the instruction.  The folding constants are x^n mod P
 * for the distances used (512+32, 512-32, 128+32, 128-32, 64), the
 * reflected P and floor(x^64 / P).
 */
#include "tulip_int.h"

#include <zlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define FOLD_512_LO 0x154442bd4ull
#define FOLD_512_HI 0x1c6e41596ull
#define FOLD_128_LO 0x1751997d0ull
#define FOLD_128_HI 0x0ccaa009eull
#define FOLD_64     0x163cd6124ull
#define POLY_REFL   0x1db710641ull
#define BARRETT_MU  0x1f7011641ull

static inline __attribute__((target("pclmul,sse4.1"))) __m128i
fold(__m128i acc, __m128i k, __m128i next)
{
    __m128i lo = _mm_clmulepi64_si128(acc, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(acc, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

/* Raw (non-inverted) CRC state over len bytes, len >= 64, multiple of 16. */
static __attribute__((target("pclmul,sse4.1"))) uint32_t
crc_fold(uint32_t crc, const uint8_t *p, size_t len)
{
    __m128i x0 = _mm_loadu_si128((const __m128i *)p);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    __m128i k, t, mask32;

    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)crc));
    p += 64;
    len -= 64;
    k = _mm_set_epi64x((long long)FOLD_512_HI, (long long)FOLD_512_LO);
    while (len >= 64) {
        x0 = fold(x0, k, _mm_loadu_si128((const __m128i *)p));
        x1 = fold(x1, k, _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = fold(x2, k, _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = fold(x3, k, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        len -= 64;
    }
    k = _mm_set_epi64x((long long)FOLD_128_HI, (long long)FOLD_128_LO);
    x0 = fold(x0, k, x1);
    x0 = fold(x0, k, x2);
    x0 = fold(x0, k, x3);
    while (len >= 16) {
        x0 = fold(x0, k, _mm_loadu_si128((const __m128i *)p));
        p += 16;
        len -= 16;
    }
    /* 128 -> 64 bits, appending 32 zero bits */
    t = _mm_clmulepi64_si128(x0, k, 0x10);
    x0 = _mm_xor_si128(_mm_srli_si128(x0, 8), t);
    /* 64 -> 32 bits */
    mask32 = _mm_set_epi32(0, 0, 0, -1);
    t = _mm_srli_si128(x0, 4);
    x0 = _mm_and_si128(x0, mask32);
    x0 = _mm_clmulepi64_si128(x0, _mm_cvtsi64_si128((long long)FOLD_64), 0x00);
    x0 = _mm_xor_si128(x0, t);
    /* Barrett reduction, bit-reflected */
    k = _mm_set_epi64x((long long)BARRETT_MU, (long long)POLY_REFL);
    t = x0;
    x0 = _mm_and_si128(x0, mask32);
    x0 = _mm_clmulepi64_si128(x0, k, 0x10);
    x0 = _mm_and_si128(x0, mask32);
    x0 = _mm_clmulepi64_si128(x0, k, 0x00);
    x0 = _mm_xor_si128(x0, t);
    return (uint32_t)_mm_extract_epi32(x0, 1);
}

uint32_t tulip_fcs(const uint8_t *p, size_t len)
{
    if (len >= 64 && __builtin_cpu_supports("pclmul") &&
        __builtin_cpu_supports("sse4.1")) {
        size_t bulk = len & ~(size_t)15;
        uint32_t raw = crc_fold(0xFFFFFFFFu, p, bulk);
        /* zlib continues from the finished (inverted) value */
        return crc32(~raw & 0xFFFFFFFFu, p + bulk, (uInt)(len - bulk));
    }
    return crc32(0L, p, (uInt)len);
}

#else

uint32_t tulip_fcs(const uint8_t *p, size_t len)
{
    return crc32(0L, p, (uInt)len);
}

#endif
