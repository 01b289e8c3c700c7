/*
 * text.c - normalization for matching (see text.h for the normalized form);
 * the other text rooms are listed in text_int.h.
 *
 * Design: news text is mostly ASCII, so ASCII bytes go through one 128-entry
 * table (fold + classify) with a branch-free whitespace collapse; only
 * non-ASCII code points pay for utf8proc (text_fold.c: full case folding +
 * NFKD of that one code point, then mark stripping and our own
 * punctuation/Arabic folds), and each distinct one only once per nr_text:
 * the result is cached (struct nr_fold_slot), so Cyrillic, Arabic or CJK
 * text costs a table lookup and a copy per code point. The commonest ones
 * skip the cache too (fold2_run): a 2-byte code point whose form is 1 or 2
 * bytes is one entry of a per-process table (nr_text_fold2), a CJK
 * ideograph is its own form.
 * Output buffers live in struct nr_text and grow geometrically, so in steady
 * state a call allocates nothing. Cost: ~1-2 ns per ASCII byte, a few tens
 * of ns per non-ASCII code point the first time, a few after.
 *
 * The offset map: a uint32 origin per normalized byte cost 4 bytes per byte,
 * the largest part of an article's memory (a 20 MB body cost 7 times its
 * size). Consecutive origins differ by 0 (several bytes from one code
 * point), 1 (ASCII) or a few (a multi-byte character folded to fewer
 * bytes, a dropped mark); only a collapsed white-space run or a run of
 * dropped invisible characters steps further. So the map keeps a 4-bit step
 * per byte, a full origin every 32 bytes (random access: at most 31 steps,
 * added as SWAR nibble sums of the block's 16 bytes), and each step of 15
 * or more as an (index, origin) pair, binary searched. That is 0.625 bytes
 * per byte, plus 8 bytes per 15 or more original bytes consumed by long
 * steps (reserved for the worst case, touched only when used). The
 * normalizer writes uint32 origins into a
 * 4096-entry window on the stack, packed after every window.
 */
#include "text_int.h"

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ASCII fold table: output byte per input byte; ' ' marks a collapsible
 * space (whitespace, controls, hyphen-minus). */
static unsigned char ascii_fold[2][128];
/* 1 for ASCII bytes that are part of a word (letters, digits). */
static unsigned char ascii_word[128];
unsigned char nr_text_ascii_sep[256];

static void tables_fill(void)
{
    for (int k = 0; k < 2; k++) {
        for (int c = 0; c < 128; c++) {
            unsigned char o = (unsigned char)c;
            if (c < 0x20 || c == 0x7f || c == '-')
                o = ' ';
            else if (c == '`')
                o = '\'';
            else if (k == 0 && c >= 'A' && c <= 'Z')
                o = (unsigned char)(c + 32);
            ascii_fold[k][c] = o;
        }
    }
    for (int c = 0; c < 128; c++) {
        ascii_word[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        nr_text_ascii_sep[c] = !ascii_word[c] && c != '\'' && c != '_';
    }
}

/* Once per process, before any thread reads them (pthread_once: threads
 * that start tagging together wait for the one filling them). */
void nr_text_tables_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    (void)pthread_once(&once, tables_fill);
}

const unsigned char *nr_text_ascii_fold_table(unsigned keep)
{
    nr_text_tables_init();
    return ascii_fold[keep ? 1 : 0];
}

void nr_text_init(struct nr_text *t)
{
    memset(t, 0, sizeof(*t));
    nr_text_tables_init();
}

void nr_text_fini(struct nr_text *t)
{
    if (!t)
        return;
    free(t->buf);
    free(t->base);
    free(t->nib);
    free(t->exc);
    free(t->folds);
    memset(t, 0, sizeof(*t));
}

#define MAP_BLOCK 32 /* bytes per full origin */
#define MAP_ESC   15 /* nibble: the step is in exc */

/* Room for need bytes (and map entries). Small texts double; from 1 MiB
 * on, need plus an eighth, not the next power of two. -1 (t unchanged but
 * for grown arrays) when memory runs out. */
int nr_text_reserve(struct nr_text *t, size_t need)
{
    if (need <= t->cap)
        return 0;
    size_t c;
    if (need >= ((size_t)1 << 20)) {
        c = need + need / 8;
    } else {
        c = t->cap ? t->cap : 256;
        while (c < need)
            c *= 2;
    }
    if (c > SIZE_MAX / 8)
        return -1;
    char *b = nr_try_realloc(t->buf, c);
    if (!b)
        return -1;
    t->buf = b;
    /* map entries: c + 1; the steps of the exceptions add up to at most the
     * input length, which is below c */
    uint32_t *base = nr_try_realloc(t->base, (c / MAP_BLOCK + 2) * sizeof(uint32_t));
    if (!base)
        return -1;
    t->base = base;
    /* + MAP_BLOCK / 2: nr_text_orig reads the last block's 16 bytes whole */
    uint8_t *nib = nr_try_realloc(t->nib, c / 2 + 2 + MAP_BLOCK / 2);
    if (!nib)
        return -1;
    t->nib = nib;
    size_t ec = c / MAP_ESC + 2;
    uint32_t *exc = nr_try_realloc(t->exc, ec * 2 * sizeof(uint32_t));
    if (!exc)
        return -1;
    t->exc = exc;
    t->exc_cap = ec;
    t->cap = c;
    return 0;
}

/* Append the origin of the next map entry (entries come in order). */
static inline void map_put(struct nr_text *t, uint32_t origin)
{
    size_t i = t->n_map++;
    unsigned v;
    if (i % MAP_BLOCK == 0) {
        t->base[i / MAP_BLOCK] = origin;
        v = 0;
    } else {
        uint32_t d = origin - t->last;
        v = d < MAP_ESC ? d : MAP_ESC;
        if (v == MAP_ESC) {
            t->exc[2 * t->n_exc] = (uint32_t)i;
            t->exc[2 * t->n_exc + 1] = origin;
            t->n_exc++;
        }
    }
    if (i & 1)
        t->nib[i / 2] |= (uint8_t)(v << 4);
    else
        t->nib[i / 2] = (uint8_t)v;
    t->last = origin;
}

static uint32_t exc_find(const struct nr_text *t, size_t i)
{
    size_t lo = 0, hi = t->n_exc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->exc[2 * mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return t->exc[2 * lo + 1]; /* present: the nibble said so */
}

uint32_t nr_text_orig(const struct nr_text *t, size_t i)
{
    if (t->n_map == 0)
        return 0;
    if (i >= t->n_map)
        i = t->n_map - 1;
    size_t k = i / MAP_BLOCK * MAP_BLOCK;
    uint32_t o = t->base[i / MAP_BLOCK];
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && MAP_BLOCK == 32
    /* The block's 32 steps are 16 bytes (nr_text_reserve keeps them
     * readable for the last block): add steps 1..i - k as SWAR nibble sums
     * instead of up to 31 dependent additions (the tagger asks for the
     * origin of every mention's ends). An escaped step goes the slow way. */
    uint64_t w0, w1;
    memcpy(&w0, t->nib + k / 2, 8);
    memcpy(&w1, t->nib + k / 2 + 8, 8);
    unsigned nb = (unsigned)(i - k) + 1; /* nibbles 0..i-k; nibble 0 is no step */
    w0 &= ~(uint64_t)0xF;
    if (nb < 16) {
        w0 &= ((uint64_t)1 << (4 * nb)) - 1;
        w1 = 0;
    } else if (nb < 32) {
        w1 &= ((uint64_t)1 << (4 * (nb - 16))) - 1;
    }
    const uint64_t n1 = 0x1111111111111111ULL, n0f = 0x0F0F0F0F0F0F0F0FULL;
    uint64_t esc =
        (w0 & (w0 >> 1) & (w0 >> 2) & (w0 >> 3)) | (w1 & (w1 >> 1) & (w1 >> 2) & (w1 >> 3));
    if (!(esc & n1)) {
        /* bytes <= 60, then 16-bit lanes <= 120, summed by one multiply */
        uint64_t b = (w0 & n0f) + ((w0 >> 4) & n0f) + (w1 & n0f) + ((w1 >> 4) & n0f);
        b = (b & 0x00FF00FF00FF00FFULL) + ((b >> 8) & 0x00FF00FF00FF00FFULL);
        return o + (uint32_t)((b * 0x0001000100010001ULL) >> 48);
    }
#endif
    for (size_t q = k + 1; q <= i; q++) {
        unsigned v = (t->nib[q / 2] >> ((q & 1) * 4)) & 0xF;
        o = v == MAP_ESC ? exc_find(t, q) : o + v;
    }
    return o;
}

static void text_reserve(struct nr_text *t, size_t need)
{
    if (nr_text_reserve(t, need) != 0) {
        fprintf(stderr, "newsradar: out of memory (normalized text of %zu bytes)\n", need);
        abort();
    }
}

/* Decode one UTF-8 sequence at s[0..n) (n >= 1, s[0] >= 0x80). Returns the
 * code point and its length in *l, or -1 (and *l = 1) when invalid. */
static inline int32_t utf8_decode(const unsigned char *s, size_t n, size_t *l)
{
    unsigned c = s[0];
    size_t k;
    int32_t cp, min;
    if ((c & 0xE0) == 0xC0)
        k = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        k = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        k = 4, cp = c & 0x07, min = 0x10000;
    else
        goto bad;
    if (n < k)
        goto bad;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto bad;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        goto bad;
    *l = k;
    return cp;
bad:
    *l = 1;
    return -1;
}

/* Scripts without spaces between words: no boundary tests there. */
static bool unspaced(int32_t cp)
{
    return (cp >= 0x0E00 && cp <= 0x0EFF) || /* Thai, Lao */
           (cp >= 0x1000 && cp <= 0x109F) || /* Myanmar */
           (cp >= 0x1100 && cp <= 0x11FF) || /* Hangul Jamo */
           (cp >= 0x1780 && cp <= 0x17FF) || /* Khmer */
           (cp >= 0x3040 && cp <= 0x30FF) || /* kana */
           (cp >= 0x3130 && cp <= 0x318F) || /* Hangul compat jamo */
           (cp >= 0x31F0 && cp <= 0x31FF) || /* kana ext */
           (cp >= 0x3400 && cp <= 0x4DBF) || /* CJK ext A */
           (cp >= 0x4E00 && cp <= 0x9FFF) || /* CJK */
           (cp >= 0xAC00 && cp <= 0xD7AF) || /* Hangul syllables */
           (cp >= 0xF900 && cp <= 0xFAFF) || /* CJK compat */
           (cp >= 0xFF66 && cp <= 0xFF9F) || /* half-width kana */
           (cp >= 0x20000 && cp <= 0x3FFFF); /* CJK ext B.. */
}

static bool cp_is_word(int32_t cp)
{
    if (cp < 0x80)
        return ascii_word[cp];
    if (unspaced(cp))
        return false;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
        return true;
    default:
        return false;
    }
}

/* The ASCII fast path: fold bytes by table until the first non-ASCII byte.
 * Scalar step: always store, then advance unless this is a space following a
 * space (branch-free collapse). With SSE2, a 16-byte block that needs
 * nothing but lower-casing (no controls, hyphens, backquotes, double spaces,
 * non-ASCII) is folded and stored in a few instructions, its map written as
 * four vectors; in any other block the lanes before the first that needs
 * more are stored the same way and that byte takes the scalar step (text
 * with an accent or a hyphen every few words stays vectorized). With f2
 * (nr_text_fold2, once the text has shown a non-ASCII byte), a 2-byte code
 * point the table has, between ASCII bytes, is that step too, as in
 * fold2_run: the accents of French, Spanish, German or Turkish text no
 * longer leave the loop (~100 instructions each through the driver and the
 * cached run). A separate
 * function with restrict pointers keeps everything in registers. */
static size_t ascii_run(const unsigned char *restrict s, size_t i, size_t n, char *restrict buf,
                        uint32_t *restrict map, size_t *jp, unsigned *lsp,
                        const unsigned char *restrict tbl, bool fold, const uint32_t *restrict f2)
{
    size_t j = *jp;
    unsigned last = *lsp;
#define NR_ASCII_STEP(k)                                                                           \
    do {                                                                                           \
        unsigned char o_ = tbl[s[i + (k)]];                                                        \
        unsigned sp_ = (o_ == ' ');                                                                \
        buf[j] = (char)o_;                                                                         \
        map[j] = (uint32_t)(i + (k));                                                              \
        j += !(sp_ & last);                                                                        \
        last = sp_;                                                                                \
    } while (0)
#ifdef __SSE2__
    const __m128i c20 = _mm_set1_epi8(0x20), cdash = _mm_set1_epi8('-');
    const __m128i cbq = _mm_set1_epi8('`'), cdel = _mm_set1_epi8(0x7f);
    const __m128i cA = _mm_set1_epi8('A' - 1), cZ = _mm_set1_epi8('Z' + 1);
    const __m128i iota0 = _mm_setr_epi32(0, 1, 2, 3), c4 = _mm_set1_epi32(4);
    const __m128i lane0 = _mm_setr_epi8(-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i sp = _mm_cmpeq_epi8(v, c20);
        __m128i prev = _mm_slli_si128(sp, 1);
        if (last)
            prev = _mm_or_si128(prev, lane0);
        /* signed compare: < 0x20 also catches bytes >= 0x80 */
        __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, c20), _mm_cmpeq_epi8(v, cdash));
        bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, cbq), _mm_cmpeq_epi8(v, cdel)));
        bad = _mm_or_si128(bad, _mm_and_si128(sp, prev));
        unsigned badm = (unsigned)_mm_movemask_epi8(bad);
        if (fold) {
            __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, cA), _mm_cmplt_epi8(v, cZ));
            v = _mm_add_epi8(v, _mm_and_si128(up, c20));
        }
        if (__builtin_expect(badm != 0, 0)) {
            /* the lanes before the first one that needs more are stored
             * as a good block's (the rest is rewritten from there): text
             * with accents or hyphens every few words stays vectorized */
            unsigned k = (unsigned)__builtin_ctz(badm);
            if (k) {
                _mm_storeu_si128((__m128i *)(buf + j), v);
                __m128i m = _mm_add_epi32(_mm_set1_epi32((int)i), iota0);
                for (unsigned q = 0; q < k; q += 4, m = _mm_add_epi32(m, c4))
                    _mm_storeu_si128((__m128i *)(map + j + q), m);
                last = s[i + k - 1] == ' ';
                i += k;
                j += k;
            }
            if (s[i] >= 0x80) {
                /* the lead may be the block's last byte: its second one
                 * only if it is inside s[0..n) */
                if (i + 1 >= n)
                    goto out;
                unsigned c = s[i], c1 = s[i + 1];
                uint32_t e;
                if (!f2 || c - 0xC0u >= 0x20u || (c1 & 0xC0) != 0x80 ||
                    ((e = f2[(c << 6) + c1 - 0x3080u]) & NR_FOLD2_SLOW))
                    goto out;
                /* 2 bytes and 2 origins whatever the count (1 or 2) */
                uint16_t o = (uint16_t)e;
                memcpy(buf + j, &o, 2);
                map[j] = map[j + 1] = (uint32_t)i;
                j += e >> 16;
                last = 0;
                i += 2;
                /* a word of another script is fold2_run's (a block step
                 * per code point would cost more) */
                if (i >= n || s[i] >= 0x80)
                    goto out;
                continue;
            }
            NR_ASCII_STEP(0);
            i++;
            continue;
        }
        _mm_storeu_si128((__m128i *)(buf + j), v);
        __m128i m = _mm_add_epi32(_mm_set1_epi32((int)i), iota0);
        _mm_storeu_si128((__m128i *)(map + j), m);
        m = _mm_add_epi32(m, c4);
        _mm_storeu_si128((__m128i *)(map + j + 4), m);
        m = _mm_add_epi32(m, c4);
        _mm_storeu_si128((__m128i *)(map + j + 8), m);
        m = _mm_add_epi32(m, c4);
        _mm_storeu_si128((__m128i *)(map + j + 12), m);
        last = s[i + 15] == ' ';
        i += 16;
        j += 16;
    }
#else
    (void)fold;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ULL)
            break;
        NR_ASCII_STEP(0);
        NR_ASCII_STEP(1);
        NR_ASCII_STEP(2);
        NR_ASCII_STEP(3);
        NR_ASCII_STEP(4);
        NR_ASCII_STEP(5);
        NR_ASCII_STEP(6);
        NR_ASCII_STEP(7);
        i += 8;
    }
#endif
    while (i < n && s[i] < 0x80) {
        NR_ASCII_STEP(0);
        i++;
    }
#ifdef __SSE2__
out:
#endif
#undef NR_ASCII_STEP
    *jp = j;
    *lsp = last;
    return i;
}

/* Per-text cache of nr_text_fold_cp results, direct-mapped by code point.
 *
 * Why: nr_text_fold_cp costs a utf8proc call (property lookups, a decomposition
 * table walk) and our range tests, ~100-150 instructions for each Cyrillic,
 * Arabic or CJK letter, while its result depends only on the code point
 * and the case flag, and a text in one script uses a few hundred distinct
 * code points (a few thousand for Chinese). A slot is 16 bytes: the key,
 * the length and up to 11 output bytes (every Latin, Cyrillic, Arabic and
 * CJK letter; longer forms, e.g. ligatures such as U+FDFA, are not cached).
 * A hit without a space in its output is copied with one 16-byte store of
 * bytes and one of map entries (both buffers have 96 entries of room).
 * Code points below 4096 (Latin to Arabic and Indic) get a slot each; above,
 * the index mixes in the high bits. The table (64 KB) is allocated at the
 * first non-ASCII code point a text sees; without memory it is skipped. */
#define FOLD_SLOTS 4096
#define FOLD_MAX   10
struct nr_fold_slot {
    uint32_t key; /* code point * 2 + keep-case bit, + 1; 0 = empty */
    uint8_t n;
    uint8_t sp; /* out has a ' ' (space runs collapse across code points) */
    unsigned char out[FOLD_MAX];
};

/* Origins are written as uint32 into a window of this many entries (plus
 * room for one code point's expansion), packed into the map when full. */
#define MAP_WINDOW 4096

/* Pack n origins w[0..n) into the map; w[-1] is readable (the caller keeps
 * the last origin packed there). SSE2: 16 entries at a time, when their 16
 * steps are all below 15 (the common case), as 8 bytes of nibbles. */
static void window_pack(struct nr_text *t, const uint32_t *w, size_t n)
{
    size_t k = 0;
#ifdef __SSE2__
    while (k < n && t->n_map % 16)
        map_put(t, w[k++]);
    const __m128i c14 = _mm_set1_epi8(14), lo8 = _mm_set1_epi16(0x00FF);
    const __m128i first0 =
        _mm_setr_epi8(0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    while (k + 16 <= n) {
        const __m128i *c = (const __m128i *)(w + k), *p = (const __m128i *)(w + k - 1);
        __m128i d0 = _mm_sub_epi32(_mm_loadu_si128(c), _mm_loadu_si128(p));
        __m128i d1 = _mm_sub_epi32(_mm_loadu_si128(c + 1), _mm_loadu_si128(p + 1));
        __m128i d2 = _mm_sub_epi32(_mm_loadu_si128(c + 2), _mm_loadu_si128(p + 2));
        __m128i d3 = _mm_sub_epi32(_mm_loadu_si128(c + 3), _mm_loadu_si128(p + 3));
        /* steps are >= 0: signed then unsigned saturation keeps any step
         * of 15 or more at 15 or more */
        __m128i v = _mm_packus_epi16(_mm_packs_epi32(d0, d1), _mm_packs_epi32(d2, d3));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(v, c14), _mm_setzero_si128())) !=
            0xFFFF) {
            for (int q = 0; q < 16; q++)
                map_put(t, w[k++]);
            continue;
        }
        size_t i = t->n_map;
        if (i % MAP_BLOCK == 0) {
            t->base[i / MAP_BLOCK] = w[k];
            v = _mm_and_si128(v, first0);
        }
        __m128i nb = _mm_or_si128(_mm_and_si128(v, lo8), _mm_slli_epi16(_mm_srli_epi16(v, 8), 4));
        _mm_storel_epi64((__m128i *)(t->nib + i / 2), _mm_packus_epi16(nb, nb));
        t->n_map += 16;
        t->last = w[k + 15];
        k += 16;
    }
#endif
    while (k < n)
        map_put(t, w[k++]);
}

/* Write origin as the map entry of the m (1 to FOLD_MAX) normalized bytes
 * at w: one 16-byte store for the first four. */
static inline void win_fill(uint32_t *w, uint32_t origin, size_t m)
{
#ifdef __SSE2__
    _mm_storeu_si128((__m128i *)w, _mm_set1_epi32((int)origin));
    for (size_t q = 4; q < m; q++)
        w[q] = origin;
#else
    for (size_t q = 0; q < m; q++)
        w[q] = origin;
#endif
}

/* As win_fill, writing 8 entries whatever m (at most FOLD_MAX): for a
 * window with room for them past the m it needs. */
static inline void win_fill8(uint32_t *w, uint32_t origin, size_t m)
{
#ifdef __SSE2__
    __m128i o = _mm_set1_epi32((int)origin);
    _mm_storeu_si128((__m128i *)w, o);
    _mm_storeu_si128((__m128i *)(w + 4), o);
    if (m > 8)
        w[8] = w[9] = origin;
#else
    win_fill(w, origin, m);
#endif
}

/* One nr_text_normalize call: its input, its output position and the
 * origin window. The steps below copy what their loops advance into locals
 * and store it back, so the loops run in registers. */
struct norm {
    struct nr_text *t;
    const unsigned char *s; /* input */
    size_t len;
    const unsigned char *tbl; /* ascii_fold[keep] */
    const uint32_t *fold2;    /* nr_text_fold2(keep), from the first non-ASCII byte */
    unsigned keep;            /* NR_TEXT_KEEP_CASE */
    utf8proc_option_t opts;   /* utf8proc's NFKD (+ case fold unless keep) */
    char *buf;                /* t->buf (moves when it grows) */
    uint32_t *wbuf;           /* wbuf[0]: the last origin packed; wbuf + 1: win */
    size_t i;                 /* next input byte */
    size_t j;                 /* next normalized byte */
    size_t j0;                /* the normalized byte of win[0] */
    unsigned last_space;      /* the byte before j is a collapsible space */
};

/* Pack the window into the map when it is nearly full. Bytes before j are
 * final (j itself may still be rewritten by a collapsed space). */
static inline void norm_flush(struct norm *st)
{
    if (st->j - st->j0 >= MAP_WINDOW - 128) {
        st->wbuf[0] = st->t->last;
        window_pack(st->t, st->wbuf + 1, st->j - st->j0);
        st->j0 = st->j;
    }
}

/* ASCII from s[i] (an ASCII byte) on: ascii_run up to the next non-ASCII
 * byte or the end of the window. */
static inline void norm_ascii(struct norm *st)
{
    const unsigned char *s = st->s;
    size_t i = st->i, j = st->j, j0 = st->j0;
    uint32_t *win = st->wbuf + 1;
    unsigned last_space = st->last_space;
    if (i + 1 < st->len && s[i + 1] >= 0x80) {
        /* one ASCII byte (a space) between words of another script:
         * ascii_run's setup would cost more than it */
        unsigned char o = st->tbl[s[i]];
        unsigned sp = (o == ' ');
        st->buf[j] = (char)o;
        win[j - j0] = (uint32_t)i;
        st->j = j + !(sp & last_space);
        st->last_space = sp;
        st->i = i + 1;
        return;
    }
    /* at most one normalized byte per input byte */
    size_t room = MAP_WINDOW - (j - j0);
    size_t n = st->len - i < room ? st->len : i + room;
    size_t jw = j - j0;
    st->i = ascii_run(s, i, n, st->buf + j0, win, &jw, &last_space, st->tbl, !st->keep, st->fold2);
    st->j = j0 + jw;
    st->last_space = last_space;
}

/* Room for the worst-case expansion of one non-ASCII code point: 24 code
 * points of up to 4 bytes. */
static inline void norm_room(struct norm *st)
{
    if (st->j + 96 > st->t->cap) {
        st->t->len = st->j;
        text_reserve(st->t, st->j + 96 + (st->len - st->i) + 64);
        st->buf = st->t->buf;
    }
}

/* The code point of a valid 2- or 3-byte UTF-8 sequence at p (3 bytes
 * readable) in *u, and its length; 0 for anything else. */
static inline size_t utf8_decode23(const unsigned char *p, uint32_t *u)
{
    unsigned c = p[0], c1 = p[1];
    if (c >= 0xC2 && c < 0xE0 && (c1 & 0xC0) == 0x80) {
        *u = (c & 0x1Fu) << 6 | (c1 & 0x3Fu);
        return 2;
    }
    if ((c & 0xF0) == 0xE0 && (c1 & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        uint32_t v = (c & 0x0Fu) << 12 | (c1 & 0x3Fu) << 6 | (p[2] & 0x3Fu);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        *u = v;
        return 3;
    }
    return 0;
}

/* The fold cache slot of code point cp. */
static inline struct nr_fold_slot *fold_slot(struct nr_fold_slot *folds, uint32_t cp)
{
    return &folds[(cp ^ (cp >> 12) * 0x9E5u) & (FOLD_SLOTS - 1)];
}

/* The fast steps of norm_cached_run, from s[i] while i < end: a 2-byte code
 * point in the 2-byte table (nr_text_fold2: Cyrillic, Arabic, Greek and
 * Hebrew letters, the accents of Latin text), a CJK ideograph (its own
 * form), and the single ASCII bytes between words, as norm_ascii folds
 * them. A step reads 3 bytes at most (s[end + 1] must be readable),
 * advances i by 1 to 3 and j by at most as much. Cost: ~25 instructions a
 * code point (the cache's step: ~40). */
static inline size_t fold2_run(const unsigned char *restrict s, size_t i, size_t end,
                               char *restrict buf, uint32_t *restrict win, size_t *jp,
                               unsigned *lsp, const uint32_t *restrict f2,
                               const unsigned char *restrict tbl)
{
    size_t j = *jp;
    unsigned ls = *lsp;
    /* the origin i in both halves, for the two map entries of a code
     * point in one store */
    uint64_t oo = (uint64_t)(uint32_t)i * 0x100000001ULL;
    while (i < end) {
        unsigned c = s[i], c1 = s[i + 1];
        if (c < 0x80) {
            if (c1 < 0x80)
                break;
            unsigned char o = tbl[c];
            unsigned sp = (o == ' ');
            buf[j] = (char)o;
            win[j] = (uint32_t)oo;
            j += !(sp & ls);
            ls = sp;
            i++;
            oo += 0x100000001ULL;
            continue;
        }
        if (c - 0xC0u < 0x20u) {
            if ((c1 & 0xC0) != 0x80)
                break;
            /* a lead C0 or C1 (overlong) indexes below 0x80: NR_FOLD2_SLOW */
            uint32_t e = f2[(c << 6) + c1 - 0x3080u];
            if (e & NR_FOLD2_SLOW)
                break;
            /* 2 bytes and 2 origins stored whatever the count (1 or 2):
             * what is past j is rewritten or past the end */
            uint16_t o = (uint16_t)e;
            memcpy(buf + j, &o, 2);
            memcpy(win + j, &oo, 8);
            j += e >> 16;
            ls = 0;
            i += 2;
            oo += 0x200000002ULL;
            continue;
        }
        if (c - 0xE3u < 7u) {
            /* E3..E9: a CJK ideograph is its own form (nr_text_cjk_same) */
            unsigned c2 = s[i + 2];
            uint32_t u = (c & 0x0Fu) << 12 | (c1 & 0x3Fu) << 6 | (c2 & 0x3Fu);
            if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 || !nr_text_cjk_same(u))
                break;
            buf[j] = (char)c;
            buf[j + 1] = (char)c1;
            buf[j + 2] = (char)c2;
            memcpy(win + j, &oo, 8);
            win[j + 2] = (uint32_t)oo;
            j += 3;
            ls = 0;
            i += 3;
            oo += 0x300000003ULL;
            continue;
        }
        break;
    }
    *jp = j;
    *lsp = ls;
    return i;
}

/* The common case in one tight loop: fold2_run's steps (the 2-byte table,
 * CJK ideographs, single ASCII bytes), then a run of valid 2- and 3-byte
 * sequences (Latin-1 to Arabic, Indic, CJK) whose folds are cached without
 * a space, copied as 16 bytes and 8 offsets at a time, and the single ASCII
 * bytes (spaces, commas) between their words; the first other byte, ASCII
 * pair or cache miss leaves for norm_ascii or norm_code_point. A 2-byte
 * code point is its own slot index (fold_slot of cp < 4096). The bounds of
 * room are computed once, not per step. Cost: ~25 instructions a code point
 * in fold2_run, ~45 through the cache (callgrind, bench_replay's mixed
 * corpus). Needs t->folds and st->fold2. */
static inline void norm_cached_run(struct norm *st)
{
    const unsigned char *restrict s = st->s;
    const struct nr_fold_slot *restrict folds = st->t->folds;
    const unsigned char *restrict tbl = st->tbl;
    const uint32_t *restrict f2 = st->fold2;
    char *restrict buf = st->buf;
    const size_t j0 = st->j0;
    uint32_t *restrict win = st->wbuf + 1;
    const uint32_t keep1 = st->keep + 1;
    size_t i = st->i, j = st->j;
    unsigned last_space = st->last_space;
    /* a step reads at most 3 bytes and writes at most FOLD_MAX: room for
     * it is what the caller's norm_room and norm_flush would check */
    if (st->len < 3 || st->t->cap < 96 || j0 + MAP_WINDOW < 96)
        return;
    const size_t iend = st->len - 2;
    const size_t jend =
        st->t->cap - 96 < j0 + MAP_WINDOW - 96 ? st->t->cap - 96 : j0 + MAP_WINDOW - 96;
    while (i < iend && j <= jend) {
        {
            /* fold2_run advances j by at most what it advances i, so i
             * below min(iend, i + jend - j) keeps both in their room */
            size_t jw = j - j0;
            i = fold2_run(s, i, iend - i < jend - j ? iend : i + (jend - j), buf + j0, win, &jw,
                          &last_space, f2, tbl);
            j = j0 + jw;
            if (i >= iend || j > jend)
                break;
        }
        unsigned c = s[i], c1 = s[i + 1];
        uint32_t u;
        size_t l;
        if (c < 0x80) {
            /* one ASCII byte (a space, a comma) between two words of
             * this run, as norm_ascii folds it: a run of two or more is
             * left to ascii_run */
            if (c1 < 0x80)
                break;
            unsigned char o = tbl[c];
            unsigned sp = (o == ' ');
            buf[j] = (char)o;
            win[j - j0] = (uint32_t)i;
            j += !(sp & last_space);
            last_space = sp;
            i++;
            continue;
        }
        const struct nr_fold_slot *sl;
        if (c - 0xC2u < 0x1Eu && (c1 & 0xC0) == 0x80) {
            /* 2 bytes: U+0080..U+07FF, whose slot is the code point */
            u = (c << 6) + c1 - 0x3080u;
            l = 2;
            sl = folds + u;
        } else if ((l = utf8_decode23(s + i, &u))) {
            sl = fold_slot((struct nr_fold_slot *)folds, u);
        } else {
            break;
        }
        if (sl->key != (u << 1) + keep1 || sl->sp)
            break;
        size_t m = sl->n;
        memcpy(buf + j, sl->out, FOLD_MAX);
        win_fill8(win + (j - j0), (uint32_t)i, m);
        j += m;
        last_space &= (m == 0);
        i += l;
    }
    st->i = i;
    st->j = j;
    st->last_space = last_space;
}

/* Append the m bytes out[] of one code point from origin, a space only when
 * the previous output was none. */
static inline void norm_emit(struct norm *st, const unsigned char *out, size_t m, uint32_t origin)
{
    uint32_t *win = st->wbuf + 1;
    for (size_t q = 0; q < m; q++) {
        unsigned char o = out[q];
        unsigned sp = (o == ' ');
        if (sp & st->last_space)
            continue;
        st->buf[st->j] = (char)o;
        win[st->j - st->j0] = origin;
        st->j++;
        st->last_space = sp;
    }
}

/* The general step: one non-ASCII sequence at s[i] (invalid UTF-8 is a
 * space), its fold from the cache, else from nr_text_fold_cp (then
 * cached when it fits a slot). */
static void norm_code_point(struct norm *st)
{
    size_t l;
    int32_t cp = utf8_decode(st->s + st->i, st->len - st->i, &l);
    uint32_t origin = (uint32_t)st->i;
    st->i += l;
    unsigned char tmp[96];
    if (cp < 0) {
        tmp[0] = st->tbl[' '];
        norm_emit(st, tmp, 1, origin);
        return;
    }
    uint32_t key = ((uint32_t)cp << 1 | st->keep) + 1;
    struct nr_fold_slot *slot = st->t->folds ? fold_slot(st->t->folds, (uint32_t)cp) : NULL;
    if (slot && slot->key == key) {
        size_t m = slot->n;
        if (slot->sp) {
            norm_emit(st, slot->out, m, origin);
            return;
        }
        memcpy(st->buf + st->j, slot->out, FOLD_MAX);
        win_fill(st->wbuf + 1 + (st->j - st->j0), origin, m);
        st->j += m;
        st->last_space = m ? 0 : st->last_space;
        return;
    }
    size_t m = nr_text_fold_cp(cp, st->opts, st->tbl, tmp);
    if (slot && m <= FOLD_MAX) {
        slot->key = key;
        slot->n = (uint8_t)m;
        slot->sp = memchr(tmp, ' ', m) != NULL;
        memcpy(slot->out, tmp, m);
    }
    norm_emit(st, tmp, m, origin);
}

void nr_text_normalize(struct nr_text *t, const char *src, size_t len, unsigned flags)
{
    nr_text_tables_init();
    if (len > NR_TEXT_MAX_INPUT)
        len = NR_TEXT_MAX_INPUT;
    const unsigned keep = (flags & NR_TEXT_KEEP_CASE) ? 1 : 0;
    utf8proc_option_t opts = UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE;
    if (!keep)
        opts |= UTF8PROC_CASEFOLD;
    text_reserve(t, len + 64);
    t->n_map = 0;
    t->n_exc = 0;
    t->last = 0;
    uint32_t wbuf[1 + MAP_WINDOW + 128];
    struct norm st = {
        .t = t,
        .s = (const unsigned char *)src,
        .len = len,
        .tbl = ascii_fold[keep],
        .keep = keep,
        .opts = opts,
        .buf = t->buf,
        .wbuf = wbuf,
    };
    while (st.i < len) {
        norm_flush(&st);
        if (st.s[st.i] < 0x80) {
            norm_ascii(&st);
            continue;
        }
        norm_room(&st);
        if (!st.fold2)
            st.fold2 = nr_text_fold2(keep);
        if (!t->folds)
            t->folds = calloc(FOLD_SLOTS, sizeof(*t->folds));
        if (t->folds) {
            norm_cached_run(&st);
            if (st.i >= len || st.s[st.i] < 0x80)
                continue;
            norm_room(&st);
        }
        norm_code_point(&st);
    }
    wbuf[0] = t->last;
    window_pack(t, wbuf + 1, st.j - st.j0);
    map_put(t, (uint32_t)len);
    st.buf[st.j] = '\0';
    t->len = st.j;
}

char *nr_text_dup(struct nr_text *t, const char *s, size_t len)
{
    nr_text_normalize(t, s, len, 0);
    const char *b = t->buf, *e = t->buf + t->len;
    while (b < e && *b == ' ')
        b++;
    while (e > b && e[-1] == ' ')
        e--;
    return nr_xstrndup(b, (size_t)(e - b));
}

bool nr_text_word_at(const char *buf, size_t len, size_t pos)
{
    if (pos >= len)
        return false;
    unsigned c = (unsigned char)buf[pos];
    if (c < 0x80)
        return ascii_word[c];
    size_t l;
    int32_t cp = utf8_decode((const unsigned char *)buf + pos, len - pos, &l);
    return cp >= 0 && cp_is_word(cp);
}

bool nr_text_word_before(const char *buf, size_t pos)
{
    if (pos == 0)
        return false;
    unsigned c = (unsigned char)buf[pos - 1];
    if (c < 0x80)
        return ascii_word[c];
    size_t b = pos - 1, k = 0;
    while (b > 0 && k < 3 && ((unsigned char)buf[b] & 0xC0) == 0x80)
        b--, k++;
    size_t l;
    int32_t cp = utf8_decode((const unsigned char *)buf + b, pos - b, &l);
    return cp >= 0 && b + l == pos && cp_is_word(cp);
}

bool nr_text_boundary_ok(const char *buf, size_t len, size_t start, size_t end)
{
    nr_text_tables_init();
    if (start > 0 && nr_text_word_before(buf, start) && nr_text_word_at(buf, len, start) &&
        !nr_text_arabic_prefix_ok(buf, len, start))
        return false;
    if (end < len && nr_text_word_before(buf, end) && nr_text_word_at(buf, len, end) &&
        !nr_text_arabic_suffix_ok(buf, len, end))
        return false;
    return true;
}
