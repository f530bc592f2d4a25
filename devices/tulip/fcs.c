/*
 * tulipvm: the Ethernet frame check sequence the 21140 stores after each
 * received frame (IEEE 802.3 CRC-32, reflected polynomial 0xEDB88320, the
 * value zlib's crc32() returns).
 *
 * Byte-at-a-time CRC costs more than everything else the receive path
 * does, so on x86 with PCLMULQDQ the bulk of the frame is folded with
 * carry-less multiplication (Gopal et al., "Fast CRC Computation for
 * Generic Polynomials Using PCLMULQDQ", Intel 2009) and reduced with a
 * bit-reflected Barrett step; a last partial block is folded in with one
 * more step, and zlib handles short runs and machines without the
 * instruction.  Where the CPU has VPCLMULQDQ the folding works on
 * 256-bit registers, 128 bytes per step, which halves the multiplications
 * issued per byte.  The receive path copies the frame into guest memory
 * in the same pass (tulip_fcs_copy), so the data is read once.
 *
 * Folding constants are x^n mod P, bit-reflected and shifted left by one,
 * for n = D + 32 (low quadword) and D - 32 (high quadword) where D is the
 * folding distance in bits (1024, 512, 256, 128), then x^64 mod P, the
 * reflected P and floor(x^64 / P) for the final reduction.
 */
#include "tulip_int.h"

#include <string.h>
#include <zlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define FOLD_1024_LO 0x1e88ef372ull
#define FOLD_1024_HI 0x14a7fe880ull
#define FOLD_512_LO  0x154442bd4ull
#define FOLD_512_HI  0x1c6e41596ull
#define FOLD_256_LO  0x0f1da05aaull
#define FOLD_256_HI  0x15a546366ull
#define FOLD_128_LO  0x1751997d0ull
#define FOLD_128_HI  0x0ccaa009eull
#define FOLD_64      0x163cd6124ull
#define POLY_REFL    0x1db710641ull
#define BARRETT_MU   0x1f7011641ull

#define CLMUL  __attribute__((target("pclmul,sse4.1")))
#define VCLMUL __attribute__((target("pclmul,sse4.1,avx2,vpclmulqdq")))

static inline CLMUL __m128i fold(__m128i acc, __m128i k, __m128i next)
{
    __m128i lo = _mm_clmulepi64_si128(acc, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(acc, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

/* 16 bytes from src, also stored at dst when copying. */
static inline CLMUL __m128i load16(uint8_t *dst, const uint8_t *src, size_t off)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(src + off));
    if (dst) {
        _mm_storeu_si128((__m128i *)(dst + off), v);
    }
    return v;
}

/* 128 folded bits -> the raw 32-bit CRC state. */
static inline CLMUL uint32_t reduce128(__m128i x0)
{
    __m128i k = _mm_set_epi64x((long long)FOLD_128_HI, (long long)FOLD_128_LO);
    __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
    __m128i t;

    /* 128 -> 64 bits, appending 32 zero bits */
    t = _mm_clmulepi64_si128(x0, k, 0x10);
    x0 = _mm_xor_si128(_mm_srli_si128(x0, 8), t);
    /* 64 -> 32 bits */
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

/*
 * The last r (1..15) bytes of a message of len bytes at src, after x0
 * folded everything before them: the 16 + r bytes left are re-cut as a
 * zero-padded r-byte block (the first r bytes of x0) followed by a full
 * block (the rest of x0, then the tail), which one more fold combines.
 * The tail is read, and copied to dst, as the message's last 16 bytes.
 */
static const uint8_t shuf_tab[48] = {
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0,    1,    2,    3,    4,    5,    6,    7,
    8,    9,    10,   11,   12,   13,   14,   15,   0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};

static inline CLMUL __m128i fold_tail(__m128i x0, uint8_t *dst,
                                      const uint8_t *src, size_t len, size_t r)
{
    __m128i k = _mm_set_epi64x((long long)FOLD_128_HI, (long long)FOLD_128_LO);
    __m128i last = _mm_loadu_si128((const __m128i *)(src + len - 16));
    /* lanes 16 - r.. of shuf_tab + 16 + r are 0x80: a byte mask */
    __m128i keep =
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(shuf_tab + 16 + r)),
                       _mm_set1_epi8((char)0x80));
    __m128i head =
        _mm_shuffle_epi8(x0, _mm_loadu_si128((const __m128i *)(shuf_tab + r)));
    __m128i rest = _mm_or_si128(
        _mm_shuffle_epi8(x0,
                         _mm_loadu_si128((const __m128i *)(shuf_tab + 16 + r))),
        _mm_and_si128(last, keep));

    if (dst) {
        _mm_storeu_si128((__m128i *)(dst + len - 16), last);
    }
    return fold(head, k, rest);
}

/*
 * Raw (non-inverted) CRC state over len bytes, len >= 64,
 * copying them to dst unless it is NULL.
 */
static inline CLMUL uint32_t crc_fold128(uint32_t crc, uint8_t *dst,
                                         const uint8_t *p, size_t len)
{
    __m128i x0 = load16(dst, p, 0);
    __m128i x1 = load16(dst, p, 16);
    __m128i x2 = load16(dst, p, 32);
    __m128i x3 = load16(dst, p, 48);
    __m128i k;
    size_t off = 64;

    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)crc));
    k = _mm_set_epi64x((long long)FOLD_512_HI, (long long)FOLD_512_LO);
    for (; len - off >= 64; off += 64) {
        x0 = fold(x0, k, load16(dst, p, off));
        x1 = fold(x1, k, load16(dst, p, off + 16));
        x2 = fold(x2, k, load16(dst, p, off + 32));
        x3 = fold(x3, k, load16(dst, p, off + 48));
    }
    k = _mm_set_epi64x((long long)FOLD_128_HI, (long long)FOLD_128_LO);
    x0 = fold(x0, k, x1);
    x0 = fold(x0, k, x2);
    x0 = fold(x0, k, x3);
    for (; len - off >= 16; off += 16) {
        x0 = fold(x0, k, load16(dst, p, off));
    }
    if (off < len) {
        x0 = fold_tail(x0, dst, p, len, len - off);
    }
    return reduce128(x0);
}

static inline VCLMUL __m256i vfold(__m256i acc, __m256i k, __m256i next)
{
    __m256i lo = _mm256_clmulepi64_epi128(acc, k, 0x00);
    __m256i hi = _mm256_clmulepi64_epi128(acc, k, 0x11);
    return _mm256_xor_si256(_mm256_xor_si256(lo, hi), next);
}

static inline VCLMUL __m256i load32(uint8_t *dst, const uint8_t *src,
                                    size_t off)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(src + off));
    if (dst) {
        _mm256_storeu_si256((__m256i *)(dst + off), v);
    }
    return v;
}

/* As crc_fold128 on 256-bit registers: len >= 128. */
static inline VCLMUL uint32_t crc_fold256(uint32_t crc, uint8_t *dst,
                                          const uint8_t *p, size_t len)
{
    __m256i y0 = load32(dst, p, 0);
    __m256i y1 = load32(dst, p, 32);
    __m256i y2 = load32(dst, p, 64);
    __m256i y3 = load32(dst, p, 96);
    __m256i k;
    __m128i x0, k128;
    size_t off = 128;

    y0 = _mm256_xor_si256(y0,
                          _mm256_zextsi128_si256(_mm_cvtsi32_si128((int)crc)));
    k = _mm256_set_epi64x((long long)FOLD_1024_HI, (long long)FOLD_1024_LO,
                          (long long)FOLD_1024_HI, (long long)FOLD_1024_LO);
    for (; len - off >= 128; off += 128) {
        y0 = vfold(y0, k, load32(dst, p, off));
        y1 = vfold(y1, k, load32(dst, p, off + 32));
        y2 = vfold(y2, k, load32(dst, p, off + 64));
        y3 = vfold(y3, k, load32(dst, p, off + 96));
    }
    k = _mm256_set_epi64x((long long)FOLD_256_HI, (long long)FOLD_256_LO,
                          (long long)FOLD_256_HI, (long long)FOLD_256_LO);
    y0 = vfold(y0, k, y1);
    y0 = vfold(y0, k, y2);
    y0 = vfold(y0, k, y3);
    for (; len - off >= 32; off += 32) {
        y0 = vfold(y0, k, load32(dst, p, off));
    }
    /* The low lane holds the earlier bytes: 128 bits before the high one. */
    k128 = _mm_set_epi64x((long long)FOLD_128_HI, (long long)FOLD_128_LO);
    x0 =
        fold(_mm256_castsi256_si128(y0), k128, _mm256_extracti128_si256(y0, 1));
    for (; len - off >= 16; off += 16) {
        x0 = fold(x0, k128, load16(dst, p, off));
    }
    if (off < len) {
        x0 = fold_tail(x0, dst, p, len, len - off);
    }
    return reduce128(x0);
}

static CLMUL uint32_t crc_fold128_plain(uint32_t crc, const uint8_t *p,
                                        size_t len)
{
    return crc_fold128(crc, NULL, p, len);
}

static CLMUL uint32_t crc_fold128_copy(uint32_t crc, uint8_t *dst,
                                       const uint8_t *p, size_t len)
{
    return crc_fold128(crc, dst, p, len);
}

static VCLMUL uint32_t crc_fold256_plain(uint32_t crc, const uint8_t *p,
                                         size_t len)
{
    return crc_fold256(crc, NULL, p, len);
}

static VCLMUL uint32_t crc_fold256_copy(uint32_t crc, uint8_t *dst,
                                        const uint8_t *p, size_t len)
{
    return crc_fold256(crc, dst, p, len);
}

static bool have_clmul(void)
{
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

static bool have_vclmul(void)
{
    return __builtin_cpu_supports("vpclmulqdq") &&
           __builtin_cpu_supports("avx2") && have_clmul();
}

/*
 * Continue the finished CRC crc over len bytes of src, copying them to dst
 * unless it is NULL.
 */
static uint32_t fcs_update(uint32_t crc, uint8_t *dst, const uint8_t *src,
                           size_t len)
{
    if (len >= 128 && have_vclmul()) {
        return ~(dst ? crc_fold256_copy(~crc, dst, src, len)
                     : crc_fold256_plain(~crc, src, len));
    }
    if (len >= 64 && have_clmul()) {
        return ~(dst ? crc_fold128_copy(~crc, dst, src, len)
                     : crc_fold128_plain(~crc, src, len));
    }
    if (dst && len) {
        memcpy(dst, src, len);
    }
    return (uint32_t)crc32(crc, src, (uInt)len);
}

#else

static uint32_t fcs_update(uint32_t crc, uint8_t *dst, const uint8_t *src,
                           size_t len)
{
    if (dst && len) {
        memcpy(dst, src, len);
    }
    return (uint32_t)crc32(crc, src, (uInt)len);
}

#endif

uint32_t tulip_fcs(const uint8_t *p, size_t len)
{
    return fcs_update(0, NULL, p, len);
}

uint32_t tulip_fcs_copy(uint32_t crc, uint8_t *dst, const uint8_t *src,
                        size_t len)
{
    return fcs_update(crc, dst, src, len);
}
