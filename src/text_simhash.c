/*
 * text_simhash.c - the 64-bit simhash of a normalized text's lead (text.h),
 * the near-duplicate fingerprint of dedup.c.
 *
 * Two passes. The word pass finds words through 64-byte space masks, hashes
 * each word once (one masked load and one multiply for words of <= 8 bytes)
 * and stores one mixed hash per 3-shingle. The vote pass counts, for each of
 * the 64 bit positions, how many shingle hashes have that bit set: a
 * bit-sliced counter (Harley-Seal carry-save adders, as in positional
 * popcount) adds 16 hashes with 15 CSAs of 5 logic operations, ~5 operations
 * per shingle instead of 64 branches or 8 table lookups; the per-bit counts
 * stay in vertical form (plane j holds bit j of all 64 counts) and the
 * majority test "2 * count > total" is a bit-sliced comparison with the
 * constant total / 2. The result is exactly the classic per-bit vote.
 * Cost: ~2 KB lead, ~350 words -> roughly 15-20 k instructions.
 */
#include "text_int.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Carry-save adder: (hi, lo) = a + b + c, bit by bit. */
#define NR_CSA(hi, lo, a, b, c)                                                                    \
    do {                                                                                           \
        uint64_t u_ = (a) ^ (b);                                                                   \
        (hi) = ((a) & (b)) | (u_ & (c));                                                           \
        (lo) = u_ ^ (c);                                                                           \
    } while (0)

/* Vertical counters: plane j holds bit j of the 64 per-position counts.
 * Planes 0-3 are Harley-Seal's ones/twos/fours/eights; 4.. count sixteens.
 * 16 planes hold counts up to 65535, far above the shingles of a lead. */
#define NR_PLANES 16

static inline void planes_add(uint64_t *p, int from, uint64_t carry)
{
    for (int j = from; j < NR_PLANES && carry; j++) {
        uint64_t t = p[j] & carry;
        p[j] ^= carry;
        carry = t;
    }
}

/* Majority vote of the n hashes x[]: bit k of the result is set when more
 * than half of them have bit k set. */
static uint64_t vote(const uint64_t *x, size_t n)
{
    uint64_t p[NR_PLANES] = {0};
    uint64_t ones = 0, twos = 0, fours = 0, eights = 0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint64_t twosA, twosB, foursA, foursB, eightsA, eightsB, sixteens;
        NR_CSA(twosA, ones, ones, x[i], x[i + 1]);
        NR_CSA(twosB, ones, ones, x[i + 2], x[i + 3]);
        NR_CSA(foursA, twos, twos, twosA, twosB);
        NR_CSA(twosA, ones, ones, x[i + 4], x[i + 5]);
        NR_CSA(twosB, ones, ones, x[i + 6], x[i + 7]);
        NR_CSA(foursB, twos, twos, twosA, twosB);
        NR_CSA(eightsA, fours, fours, foursA, foursB);
        NR_CSA(twosA, ones, ones, x[i + 8], x[i + 9]);
        NR_CSA(twosB, ones, ones, x[i + 10], x[i + 11]);
        NR_CSA(foursA, twos, twos, twosA, twosB);
        NR_CSA(twosA, ones, ones, x[i + 12], x[i + 13]);
        NR_CSA(twosB, ones, ones, x[i + 14], x[i + 15]);
        NR_CSA(foursB, twos, twos, twosA, twosB);
        NR_CSA(eightsB, fours, fours, foursA, foursB);
        NR_CSA(sixteens, eights, eights, eightsA, eightsB);
        planes_add(p, 4, sixteens);
    }
    p[0] = ones, p[1] = twos, p[2] = fours, p[3] = eights;
    for (; i < n; i++)
        planes_add(p, 0, x[i]);
    /* count > n / 2, bit-sliced, from the most significant plane down */
    uint64_t half = n / 2, gt = 0, eq = ~(uint64_t)0;
    for (int j = NR_PLANES - 1; j >= 0; j--) {
        if ((half >> j) & 1) {
            eq &= p[j];
        } else {
            gt |= eq & p[j];
            eq &= ~p[j];
        }
    }
    return gt;
}

/* Hash of one word of n >= 1 bytes. Words of up to 8 bytes (most) are one
 * masked load and one multiply; the caller inlines that case when a whole
 * 64-bit load is in bounds, and must get the same value as here. */
static inline uint64_t short_word_hash(uint64_t v)
{
    uint64_t h = (v ^ 0x9E3779B97F4A7C15ULL) * 0xff51afd7ed558ccdULL;
    return h ^ (h >> 29);
}

static uint64_t word_hash(const unsigned char *p, size_t n)
{
    /* 8-byte chunks, zero-padded: for n <= 8 this is short_word_hash() */
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    while (n > 0) {
        uint64_t v = 0;
        size_t k = n < 8 ? n : 8;
        memcpy(&v, p, k);
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
        p += k;
        n -= k;
    }
    return h;
}

/* ASCII punctuation (not letters, digits, apostrophe; non-ASCII never). */
static inline unsigned is_sep(unsigned char c)
{
    return nr_text_ascii_sep[c];
}

/* Bit i set when s[i] is a space, for the 64 bytes at s (all readable). */
static inline uint64_t space_mask64(const unsigned char *s)
{
#ifdef __SSE2__
    const __m128i sp = _mm_set1_epi8(' ');
    uint64_t m0 =
        (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)s), sp));
    uint64_t m1 =
        (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + 16)), sp));
    uint64_t m2 =
        (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + 32)), sp));
    uint64_t m3 =
        (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + 48)), sp));
    return m0 | (m1 << 16) | (m2 << 32) | (m3 << 48);
#else
    uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)(s[i] == ' ') << i;
    return m;
#endif
}

uint64_t nr_text_simhash(const char *buf, size_t len)
{
    nr_text_tables_init();
    const unsigned char *s = (const unsigned char *)buf;
    /* Words are separated by single spaces in at most NR_SIMHASH_LEAD
     * bytes, so at most NR_SIMHASH_LEAD / 2 + 1 of them. */
    uint64_t sh[NR_SIMHASH_LEAD / 2 + 4];
    uint64_t w0 = 0, w1 = 0, w2 = 0;
    size_t nw = 0, ns, ws = 0;
    /* Only the lead counts: copies of a story keep the lead and cut or pad
     * the end, and the cost per article stays bounded. */
    if (len > NR_SIMHASH_LEAD) {
        size_t cut = NR_SIMHASH_LEAD;
        while (cut > NR_SIMHASH_LEAD / 2 && s[cut] != ' ')
            cut--; /* end on a word boundary */
        len = cut;
    }
    /* A word: the bytes between spaces, minus ASCII punctuation at either
     * end ("said," -> "said"). Spaces are found 64 bytes at a time as a bit
     * mask, so the per-word work has no data-dependent loop. */
#define NR_WORD(we_, checked_)                                                                     \
    do {                                                                                           \
        size_t a_ = ws, e_ = (we_);                                                                \
        if (__builtin_expect(a_ >= e_, 0))                                                         \
            break;                                                                                 \
        /* punctuation at either end ("said,") is the rare case: one test                          \
         * for both ends, loops only then */                                                       \
        if (__builtin_expect(is_sep(s[a_]) | is_sep(s[e_ - 1]), 0)) {                              \
            while (a_ < e_ && is_sep(s[a_]))                                                       \
                a_++;                                                                              \
            while (e_ > a_ && is_sep(s[e_ - 1]))                                                   \
                e_--;                                                                              \
            if (a_ == e_)                                                                          \
                break;                                                                             \
        }                                                                                          \
        size_t n_ = e_ - a_;                                                                       \
        uint64_t h_;                                                                               \
        if (__builtin_expect(n_ <= 8 && (!(checked_) || a_ + 8 <= len), 1)) {                      \
            uint64_t v_;                                                                           \
            memcpy(&v_, s + a_, 8);                                                                \
            v_ &= ~(uint64_t)0 >> (64 - 8 * n_);                                                   \
            h_ = short_word_hash(v_);                                                              \
        } else if (n_ <= 16 && (!(checked_) || a_ + 16 <= len)) {                                  \
            uint64_t v_, u_;                                                                       \
            memcpy(&v_, s + a_, 8);                                                                \
            memcpy(&u_, s + a_ + 8, 8);                                                            \
            u_ &= ~(uint64_t)0 >> (128 - 8 * n_);                                                  \
            h_ = (short_word_hash(v_) ^ u_) * 0xff51afd7ed558ccdULL;                               \
            h_ ^= h_ >> 29;                                                                        \
        } else {                                                                                   \
            h_ = word_hash(s + a_, n_);                                                            \
        }                                                                                          \
        w0 = w1;                                                                                   \
        w1 = w2;                                                                                   \
        w2 = h_;                                                                                   \
        /* stored at the word's index: the first two (not yet shingles) are                        \
         * overwritten by nothing and skipped, no count to keep per word */                        \
        uint64_t x_ =                                                                              \
            (w0 ^ ((w1 << 21) | (w1 >> 43)) ^ ((w2 << 42) | (w2 >> 22))) * 0xc4ceb9fe1a85ec53ULL;  \
        sh[nw++] = x_ ^ (x_ >> 31);                                                                \
    } while (0)
    /* Unchecked loads in the block loop: it stops 8 bytes early, so a word
     * ends before b + 64 and its 8 (or, when longer than 8 bytes, 16) bytes
     * from its start lie below len. */
    size_t b = 0;
    for (; b + 64 + 8 <= len; b += 64) {
        uint64_t m = space_mask64(s + b);
        while (m) {
            size_t p = b + (size_t)__builtin_ctzll(m);
            m &= m - 1;
            NR_WORD(p, 0);
            ws = p + 1;
        }
    }
    for (; b < len; b++) {
        if (s[b] == ' ') {
            NR_WORD(b, 1);
            ws = b + 1;
        }
    }
    NR_WORD(len, 1);
#undef NR_WORD
    if (nw == 0)
        return 0;
    if (nw < 3) { /* too short: the words themselves are the one shingle */
        sh[2] = nr_mix64(nw == 1 ? w2 : w1 + ((w2 << 42) | (w2 >> 22)));
        ns = 1;
    } else {
        ns = nw - 2;
    }
    return vote(sh + 2, ns);
}
