/*
 * text.c - normalization for matching (see text.h for the normalized form).
 *
 * Design: news text is mostly ASCII, so ASCII bytes go through one 128-entry
 * table (fold + classify) with a branch-free whitespace collapse; only
 * non-ASCII code points pay for utf8proc (full case folding + NFKD of that
 * one code point, then mark stripping and our own punctuation/Arabic folds),
 * and each distinct one only once per nr_text: the result is cached
 * (struct nr_fold_slot), so Cyrillic, Arabic or CJK text costs a table
 * lookup and a copy per code point.
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
 * per byte, a full origin every 32 bytes (random access: at most 31
 * additions), and each step of 15 or more as an (index, origin) pair,
 * binary searched. That is 0.625 bytes per byte, plus 8 bytes per 15 or
 * more original bytes consumed by long steps (reserved for the worst case,
 * touched only when used). The normalizer writes uint32 origins into a
 * 4096-entry window on the stack, packed after every window.
 *
 * Why NFKD and not NFKC: we strip the marks anyway and only compare our own
 * outputs with each other, so recomposition would be work for nothing.
 */
#include "newsradar/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ASCII fold table: output byte per input byte; ' ' marks a collapsible
 * space (whitespace, controls, hyphen-minus). */
static unsigned char ascii_fold[2][128];
/* 1 for ASCII bytes that are part of a word (letters, digits). */
static unsigned char ascii_word[128];
/* 1 for bytes that separate simhash words (ASCII space and punctuation);
 * 256 entries so the test needs no range check. */
static unsigned char ascii_sep[256];

static void tables_init(void)
{
    static int done;
    if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        return;
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
        ascii_sep[c] = !ascii_word[c] && c != '\'' && c != '_';
    }
    /* Idempotent: racing initializers write identical values. */
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

void nr_text_init(struct nr_text *t)
{
    memset(t, 0, sizeof(*t));
    tables_init();
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
    uint8_t *nib = nr_try_realloc(t->nib, c / 2 + 2);
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

static size_t utf8_encode(int32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Marks we strip: generic combining diacritics and Arabic harakat (optional
 * vowel signs). Marks that are part of the spelling (Indic vowel signs,
 * viramas) are kept. */
static bool strip_mark(int32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
           (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
           (cp >= 0xFE20 && cp <= 0xFE2F) || (cp >= 0x0610 && cp <= 0x061A) ||
           (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || (cp >= 0x06D6 && cp <= 0x06ED);
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

/* Arabic-script letter variants (text.h lists them); digits to ASCII. */
static int32_t fold_arabic(int32_t cp)
{
    if (cp >= 0x0660 && cp <= 0x0669)
        return '0' + (cp - 0x0660);
    if (cp >= 0x06F0 && cp <= 0x06F9)
        return '0' + (cp - 0x06F0);
    switch (cp) {
    case 0x0643: /* kaf */
    case 0x06AA: /* swash kaf */
        return 0x06A9;
    case 0x064A: /* yeh */
    case 0x0649: /* alef maksura */
    case 0x0626: /* yeh with hamza (its NFKD: yeh + hamza above) */
        return 0x06CC;
    case 0x0623: /* alef with hamza above, below, madda, wasla */
    case 0x0625:
    case 0x0622:
    case 0x0671:
        return 0x0627;
    case 0x0624: /* waw with hamza */
        return 0x0648;
    case 0x0629: /* teh marbuta */
    case 0x06C1: /* heh goal (Urdu) */
    case 0x06C2: /* heh goal with hamza */
    case 0x06C3: /* teh marbuta goal */
    case 0x06BE: /* heh doachashmee (Urdu aspirates) */
    case 0x06D5: /* ae */
    case 0x06C0: /* heh with yeh above */
        return 0x0647;
    default:
        return cp;
    }
}

/* Our folds, applied before and after utf8proc. Returns the replacement code
 * point, or -1 to drop the character. ' ' means a collapsible space. */
static int32_t fold_special(int32_t cp)
{
    switch (cp) {
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x02BC:
    case 0x02BB:
    case 0x2032:
    case 0x00B4:
    case 0xFF07:
        return '\'';
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x00AB:
    case 0x00BB:
    case 0x2033:
    case 0xFF02:
        return '"';
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
    case 0xFE58:
    case 0xFE63:
    case 0xFF0D:
    case 0x2043:
    case 0x058A:
    case 0x05BE:
    case 0x0085:
    case 0x2028:
    case 0x2029:
        return ' ';
    case 0x00AD:
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x200E: /* LRM, RLM, Arabic letter mark: invisible in Arabic web text */
    case 0x200F:
    case 0x061C:
    case 0x2060:
    case 0xFEFF:
    case 0x0640:
        return -1;
    default:
        break;
    }
    if (cp >= 0x0600 && cp <= 0x06FF)
        return fold_arabic(cp);
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) /* bidi controls */
        return -1;
    if (cp >= 0x80 && cp <= 0x9F) /* C1 controls */
        return ' ';
    return cp;
}

/* The ASCII fast path: fold bytes by table until the first non-ASCII byte.
 * Scalar step: always store, then advance unless this is a space following a
 * space (branch-free collapse). With SSE2, a 16-byte block that needs
 * nothing but lower-casing (no controls, hyphens, backquotes, double spaces,
 * non-ASCII) is folded and stored in a few instructions, its map written as
 * four vectors; other blocks take the scalar step. A separate function with
 * restrict pointers keeps everything in registers. */
static size_t ascii_run(const unsigned char *restrict s, size_t i, size_t n, char *restrict buf,
                        uint32_t *restrict map, size_t *jp, unsigned *lsp,
                        const unsigned char *restrict tbl, bool fold)
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
        if (_mm_movemask_epi8(bad)) {
            for (int k = 0; k < 16; k++, i++) {
                if (s[i] >= 0x80)
                    goto out;
                NR_ASCII_STEP(0);
            }
            continue;
        }
        if (fold) {
            __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, cA), _mm_cmplt_epi8(v, cZ));
            v = _mm_add_epi8(v, _mm_and_si128(up, c20));
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

/* The normalized form of one non-ASCII code point, before the collapse of
 * space runs: fold_special, utf8proc's NFKD (and case fold unless opts
 * lacks it) of that code point alone, Unicode separators as ' ', marks
 * stripped, our folds again, ASCII through tbl. Writes at most 96 bytes
 * (24 code points of 4) to out; returns how many. */
static size_t fold_cp(int32_t cp, utf8proc_option_t opts, const unsigned char *tbl,
                      unsigned char *out)
{
    cp = fold_special(cp);
    if (cp < 0)
        return 0;
    int32_t dec[24];
    utf8proc_ssize_t n;
    if (cp < 0x80 || (cp >= 0xAC00 && cp <= 0xD7A3)) {
        dec[0] = cp;
        n = 1;
    } else {
        int bc = 0;
        n = utf8proc_decompose_char(cp, dec, (utf8proc_ssize_t)NR_ARRAY_LEN(dec), opts, &bc);
        if (n < 0 || n > (utf8proc_ssize_t)NR_ARRAY_LEN(dec)) {
            dec[0] = cp;
            n = 1;
        }
        /* Unicode spaces (Zs) and other separators become our space. */
        if (n == 1 && dec[0] >= 0x80) {
            utf8proc_category_t cat = utf8proc_category(dec[0]);
            if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
                cat == UTF8PROC_CATEGORY_ZP || cat == UTF8PROC_CATEGORY_CC)
                dec[0] = ' ';
        }
    }
    size_t m = 0;
    for (utf8proc_ssize_t k = 0; k < n; k++) {
        int32_t d = dec[k];
        if (strip_mark(d))
            continue;
        if (d >= 0x80) {
            d = fold_special(d);
            if (d < 0)
                continue;
        }
        if (d < 0x80)
            out[m++] = tbl[d];
        else
            m += utf8_encode(d, (char *)out + m);
    }
    return m;
}

/* Per-text cache of fold_cp results, direct-mapped by code point.
 *
 * Why: fold_cp costs a utf8proc call (property lookups, a decomposition
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

void nr_text_normalize(struct nr_text *t, const char *src, size_t len, unsigned flags)
{
    tables_init();
    if (len > NR_TEXT_MAX_INPUT)
        len = NR_TEXT_MAX_INPUT;
    const unsigned char *s = (const unsigned char *)src;
    const unsigned keep = (flags & NR_TEXT_KEEP_CASE) ? 1 : 0;
    const unsigned char *tbl = ascii_fold[keep];
    utf8proc_option_t opts = UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE;
    if (!keep)
        opts |= UTF8PROC_CASEFOLD;

    text_reserve(t, len + 64);
    t->n_map = 0;
    t->n_exc = 0;
    t->last = 0;
    uint32_t wbuf[1 + MAP_WINDOW + 128];
    uint32_t *win = wbuf + 1; /* win[-1]: the last origin packed */
    char *buf = t->buf;
    size_t j = 0, i = 0;
    size_t j0 = 0; /* the normalized byte of win[0] */
    unsigned last_space = 0;
    while (i < len) {
        /* bytes before j are final (j itself may still be rewritten by a
         * collapsed space) */
        if (j - j0 >= MAP_WINDOW - 128) {
            wbuf[0] = t->last;
            window_pack(t, win, j - j0);
            j0 = j;
        }
        if (s[i] < 0x80) {
            if (i + 1 < len && s[i + 1] >= 0x80) {
                /* one ASCII byte (a space) between words of another
                 * script: ascii_run's setup would cost more than it */
                unsigned char o = tbl[s[i]];
                unsigned sp = (o == ' ');
                buf[j] = (char)o;
                win[j - j0] = (uint32_t)i;
                j += !(sp & last_space);
                last_space = sp;
                i++;
                continue;
            }
            /* at most one normalized byte per input byte */
            size_t room = MAP_WINDOW - (j - j0);
            size_t n = len - i < room ? len : i + room;
            size_t jw = j - j0;
            i = ascii_run(s, i, n, buf + j0, win, &jw, &last_space, tbl, !keep);
            j = j0 + jw;
            continue;
        }
        /* Non-ASCII: worst-case expansion of one code point is 24 code
         * points of up to 4 bytes. */
        if (j + 96 > t->cap) {
            t->len = j;
            text_reserve(t, j + 96 + (len - i) + 64);
            buf = t->buf;
        }
        if (!t->folds)
            t->folds = calloc(FOLD_SLOTS, sizeof(*t->folds));
        /* The common case in one tight loop: a run of valid 2- and 3-byte
         * sequences (Latin-1 to Arabic, Indic, CJK) whose folds are cached
         * without a space, copied as 16 bytes and 4 offsets at a time; the
         * first other byte or cache miss leaves for the general step. */
        if (t->folds) {
            while (i + 2 < len && j + 96 <= t->cap && j - j0 + 96 <= MAP_WINDOW) {
                unsigned c = s[i], c1 = s[i + 1];
                uint32_t u;
                size_t l;
                if (c >= 0xC2 && c < 0xE0 && (c1 & 0xC0) == 0x80) {
                    u = (c & 0x1Fu) << 6 | (c1 & 0x3Fu);
                    l = 2;
                } else if ((c & 0xF0) == 0xE0 && (c1 & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
                    u = (c & 0x0Fu) << 12 | (c1 & 0x3Fu) << 6 | (s[i + 2] & 0x3Fu);
                    if (u < 0x800 || (u >= 0xD800 && u <= 0xDFFF))
                        break;
                    l = 3;
                } else {
                    break;
                }
                const struct nr_fold_slot *sl =
                    &t->folds[(u ^ (u >> 12) * 0x9E5u) & (FOLD_SLOTS - 1)];
                if (sl->key != (u << 1 | keep) + 1 || sl->sp)
                    break;
                size_t m = sl->n;
                memcpy(buf + j, sl->out, FOLD_MAX);
#ifdef __SSE2__
                _mm_storeu_si128((__m128i *)(win + (j - j0)), _mm_set1_epi32((int)i));
                for (size_t q = 4; q < m; q++)
                    win[j - j0 + q] = (uint32_t)i;
#else
                for (size_t q = 0; q < m; q++)
                    win[j - j0 + q] = (uint32_t)i;
#endif
                j += m;
                last_space = m ? 0 : last_space;
                i += l;
            }
            if (i >= len || s[i] < 0x80)
                continue;
            if (j + 96 > t->cap) {
                t->len = j;
                text_reserve(t, j + 96 + (len - i) + 64);
                buf = t->buf;
            }
        }
        size_t l;
        int32_t cp = utf8_decode(s + i, len - i, &l);
        uint32_t origin = (uint32_t)i;
        i += l;
        unsigned char tmp[96];
        const unsigned char *out = tmp;
        size_t m;
        if (cp < 0) { /* invalid UTF-8: a space */
            tmp[0] = tbl[' '];
            m = 1;
        } else {
            uint32_t key = ((uint32_t)cp << 1 | keep) + 1;
            struct nr_fold_slot *slot =
                t->folds
                    ? &t->folds[((uint32_t)cp ^ ((uint32_t)cp >> 12) * 0x9E5u) & (FOLD_SLOTS - 1)]
                    : NULL;
            if (slot && slot->key == key) {
                m = slot->n;
                if (!slot->sp) {
                    memcpy(buf + j, slot->out, FOLD_MAX);
#ifdef __SSE2__
                    _mm_storeu_si128((__m128i *)(win + (j - j0)), _mm_set1_epi32((int)origin));
                    for (size_t q = 4; q < m; q++)
                        win[j - j0 + q] = origin;
#else
                    for (size_t q = 0; q < m; q++)
                        win[j - j0 + q] = origin;
#endif
                    j += m;
                    last_space = m ? 0 : last_space;
                    continue;
                }
                out = slot->out;
            } else {
                m = fold_cp(cp, opts, tbl, tmp);
                if (slot && m <= FOLD_MAX) {
                    slot->key = key;
                    slot->n = (uint8_t)m;
                    slot->sp = memchr(tmp, ' ', m) != NULL;
                    memcpy(slot->out, tmp, m);
                }
            }
        }
        /* the bytes, a space only when the previous output was none */
        for (size_t q = 0; q < m; q++) {
            unsigned char o = out[q];
            unsigned sp = (o == ' ');
            if (sp & last_space)
                continue;
            buf[j] = (char)o;
            win[j - j0] = origin;
            j++;
            last_space = sp;
        }
    }
    wbuf[0] = t->last;
    window_pack(t, win, j - j0);
    map_put(t, (uint32_t)len);
    buf[j] = '\0';
    t->len = j;
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
    tables_init();
    if (start > 0 && nr_text_word_before(buf, start) && nr_text_word_at(buf, len, start) &&
        !nr_text_arabic_prefix_ok(buf, len, start))
        return false;
    if (end < len && nr_text_word_before(buf, end) && nr_text_word_at(buf, len, end) &&
        !nr_text_arabic_suffix_ok(buf, len, end))
        return false;
    return true;
}

/* ---- simhash ---------------------------------------------------------------
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
    return ascii_sep[c];
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
    tables_init();
    const unsigned char *s = (const unsigned char *)buf;
    /* Words are separated by single spaces in at most NR_SIMHASH_LEAD
     * bytes, so at most NR_SIMHASH_LEAD / 2 + 1 of them. */
    uint64_t sh[NR_SIMHASH_LEAD / 2 + 2];
    uint64_t w0 = 0, w1 = 0, w2 = 0;
    size_t nw = 0, ns = 0, ws = 0;
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
        /* stored unconditionally (ns stays 0 for the first two words) */                          \
        uint64_t x_ =                                                                              \
            (w0 ^ ((w1 << 21) | (w1 >> 43)) ^ ((w2 << 42) | (w2 >> 22))) * 0xc4ceb9fe1a85ec53ULL;  \
        sh[ns] = x_ ^ (x_ >> 31);                                                                  \
        ns += (++nw >= 3);                                                                         \
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
        sh[0] = nr_mix64(nw == 1 ? w2 : w1 + ((w2 << 42) | (w2 >> 22)));
        ns = 1;
    }
    return vote(sh, ns);
}
