/*
 * boiler.c - per-source boilerplate (see boiler.h).
 *
 * Why segments and distinct titles: boilerplate is whole lines or whole
 * sentences ("Read more", "Please support ... Donate", a cookie notice),
 * while what a source says again about a story is a paragraph of one story
 * told twice (an update, a redelivery). Counting the distinct titles under
 * which a segment appears separates the two with one small set per segment
 * instead of any per-article history.
 *
 * Why this table: the fingerprints of a stream's sentences are mostly seen
 * once; the boilerplate ones are seen again and again. An 8-way set
 * associative table with "evict a once-seen segment first, then the least
 * recently seen" (a two-tier LRU, as segmented LRU caches do) keeps the
 * repeated ones while unique sentences churn through, with fixed memory
 * and O(8) work per segment. Fingerprints are 64-bit hashes of the source
 * and of the segment with ASCII case folded, digits as 0 ("© 2024" and
 * "© 2025" are one segment) and white space runs as one space; a collision
 * can only blank a segment that looked like one the source repeats.
 */
#include "newsradar/boiler.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define WAYS  8
#define BATCH 32 /* segments cut and prefetched before their lookups */

/* A set: what every probe reads, in two adjacent cache lines of one
 * 128-byte block (the keys compared on every probe, then the counters the
 * victim choice reads on a miss). The stories of a slot are apart
 * (struct story), read on a hit and written once when a slot is reused,
 * so a probe touches 2 prefetched lines and at most one more. */
struct set {
    uint64_t key[WAYS];  /* 0 = empty */
    uint32_t tick[WAYS]; /* article counter when last seen */
    uint8_t n[WAYS];     /* distinct stories in story[] */
    uint8_t pad[128 - WAYS * 13];
};

struct story {
    uint32_t v[NR_BOILER_MAX_ARTICLES];
};

struct nr_boiler {
    void *mem;        /* allocation of sets, aligned up to 128 */
    struct set *sets; /* buckets */
    struct story *st; /* buckets * WAYS */
    size_t mask;      /* buckets - 1 */
    uint32_t min_articles;
    uint32_t tick;
};

struct nr_boiler *nr_boiler_new(uint32_t min_articles, uint32_t entries)
{
    if (min_articles == 0)
        return NULL;
    if (min_articles > NR_BOILER_MAX_ARTICLES)
        min_articles = NR_BOILER_MAX_ARTICLES;
    size_t buckets = 1;
    while (buckets * WAYS < entries)
        buckets *= 2;
    struct nr_boiler *b = nr_xcalloc(1, sizeof(*b));
    b->mem = nr_xcalloc(buckets * sizeof(struct set) + 127, 1);
    b->sets = (struct set *)(((uintptr_t)b->mem + 127) & ~(uintptr_t)127);
    b->st = nr_xcalloc(buckets * WAYS, sizeof(*b->st));
    b->mask = buckets - 1;
    b->min_articles = min_articles;
    return b;
}

void nr_boiler_free(struct nr_boiler *b)
{
    if (!b)
        return;
    free(b->mem);
    free(b->st);
    free(b);
}

/* Byte classes of the one pass over a body: ordinary, white space, a line
 * end, sentence punctuation, the first byte of … or 。！？ */
enum { C_ORD, C_WS, C_NL, C_PUNCT, C_LEAD };
static const unsigned char cls[256] = {
    [' '] = C_WS,    ['\t'] = C_WS,   ['\r'] = C_WS,   ['\f'] = C_WS,
    ['\v'] = C_WS,   ['\n'] = C_NL,   ['.'] = C_PUNCT, ['!'] = C_PUNCT,
    ['?'] = C_PUNCT, [0xE2] = C_LEAD, [0xE3] = C_LEAD, [0xEF] = C_LEAD,
};

/* ASCII upper case to lower, digits to '0'. */
static inline unsigned char fold(unsigned char c)
{
    if ((unsigned)(c - 'A') < 26u)
        return (unsigned char)(c + 32);
    return (unsigned)(c - '0') < 10u ? (unsigned char)'0' : c;
}

static inline bool is_ws(unsigned char c)
{
    return cls[c] == C_WS || cls[c] == C_NL;
}

/* Canonical form of a segment [a, z): its bytes with ASCII case folded,
 * digits as '0' and each white space run as one ' ' (a segment never holds a
 * line end). Two segments are the same boilerplate exactly when their
 * canonical forms are equal, so the fingerprint is a hash of that string,
 * taken 16 bytes at a time (one 64x64->128 multiply per 16 bytes) instead of
 * one dependent FNV step (xor, multiply: ~5 cycles) per byte.
 *
 * Why this is fast: in news copy nearly every segment is already canonical
 * but for case and digits (single spaces between words, no tabs), so the
 * hash reads the segment's own bytes in place, folds 16 at a time with SSE2
 * and checks on the same vectors that they are canonical (no control byte,
 * no two spaces in a row); only other segments take the byte loop that
 * builds the canonical form. The end of a segment is found first with a
 * 16-byte SSE2 search for the few bytes that can end one (line end, . ! ?,
 * the lead bytes of … 。！？), so no loop with a branch per byte or per word
 * runs in the common case. */

__extension__ typedef unsigned __int128 u128;

/* One 16-byte step (wyhash's "mum"): a 64x64->128 multiply of the two
 * halves, one of them keyed with the running hash, folded to 64 bits: every
 * input bit reaches every output bit, one multiply per 16 bytes. */
static inline uint64_t step16(uint64_t x, uint64_t lo, uint64_t hi)
{
    u128 m = (u128)(lo ^ 0xa0761d6478bd642fULL) * (hi ^ x);
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static inline uint64_t finish(uint64_t x, size_t n)
{
    x = nr_mix64(x ^ (uint64_t)n * 0x9E3779B97F4A7C15ULL);
    return x ? x : 1;
}

#define SEED0 0x243F6A8885A308D3ULL

/* The canonical form built byte by byte, in the same 16-byte chunks (the
 * last one padded with 0x80; the length is hashed, so padding is
 * unambiguous). */
static uint64_t hash_slow(const unsigned char *s, size_t a, size_t z, uint64_t seed)
{
    uint64_t x = seed ^ SEED0, lo, hi;
    unsigned char buf[16];
    size_t k = 0, n = 0;
    bool gap = false;
    for (size_t p = a; p < z; p++) {
        unsigned char c = s[p];
        if (cls[c] == C_WS) {
            gap = true;
            continue;
        }
        for (int twice = gap ? 2 : 1; twice > 0; twice--) {
            buf[k++] = twice == 2 ? (unsigned char)' ' : fold(c);
            n++;
            if (k == 16) {
                memcpy(&lo, buf, 8);
                memcpy(&hi, buf + 8, 8);
                x = step16(x, lo, hi);
                k = 0;
            }
        }
        gap = false;
    }
    memset(buf + k, 0x80, 16 - k);
    memcpy(&lo, buf, 8);
    memcpy(&hi, buf + 8, 8);
    return finish(step16(x, lo, hi), n);
}

#ifdef __SSE2__
/* 0x00 x 16 then 0xff x 16: loadu(pad_mask + 16 - k) has 0xff from lane k. */
static const unsigned char pad_mask[32] = {
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Fingerprint of segment [a, z) (no white space at either end; s has len
 * bytes), seeded with the source: the hash of its canonical form, 16 bytes
 * per step. A block is folded with SSE2 compares and checked for what
 * would make it differ from its canonical form: a byte <= 0x1f (tab, CR,
 * FF, VT; any control byte, to be simple) or two spaces side by side (in
 * the block or across blocks); such a segment is hashed by hash_slow, which
 * gives the same value for the same canonical form. */
static uint64_t seg_hash(const unsigned char *s, size_t a, size_t z, size_t len, uint64_t seed)
{
    const __m128i cA = _mm_set1_epi8('A' - 1), cZ = _mm_set1_epi8('Z' + 1);
    const __m128i c0 = _mm_set1_epi8('0' - 1), c9 = _mm_set1_epi8('9' + 1);
    const __m128i c20 = _mm_set1_epi8(0x20), c1f = _mm_set1_epi8(0x1f);
    const __m128i cz = _mm_set1_epi8('0'), c80 = _mm_set1_epi8((char)0x80);
    uint64_t x = seed ^ SEED0;
    unsigned irr = 0, prev = 0;
    for (size_t p = a; p < z; p += 16) {
        __m128i v;
        if (p + 16 <= len) {
            v = _mm_loadu_si128((const __m128i *)(s + p));
            if (p + 16 > z) { /* last block: pad lanes from z on with 0x80 */
                __m128i m = _mm_loadu_si128((const __m128i *)(pad_mask + 16 - (z - p)));
                v = _mm_or_si128(_mm_andnot_si128(m, v), _mm_and_si128(m, c80));
            }
        } else {
            unsigned char t[16];
            memset(t, 0x80, sizeof(t));
            memcpy(t, s + p, z - p);
            v = _mm_loadu_si128((const __m128i *)t);
        }
        unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, c20));
        irr |= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v));
        irr |= (sp & (sp >> 1)) | (sp & prev);
        prev = sp >> 15;
        /* signed compares: bytes >= 0x80 are below 'A' and '0', unchanged */
        __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, cA), _mm_cmplt_epi8(v, cZ));
        v = _mm_add_epi8(v, _mm_and_si128(up, c20));
        __m128i dg = _mm_and_si128(_mm_cmpgt_epi8(v, c0), _mm_cmplt_epi8(v, c9));
        v = _mm_or_si128(_mm_andnot_si128(dg, v), _mm_and_si128(dg, cz));
        uint64_t lo = (uint64_t)_mm_cvtsi128_si64(v);
        uint64_t hi = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
        x = step16(x, lo, hi);
    }
    if ((z - a) % 16 == 0) /* the empty padded chunk hash_slow ends with */
        x = step16(x, 0x8080808080808080ULL, 0x8080808080808080ULL);
    if (irr)
        return hash_slow(s, a, z, seed);
    return finish(x, z - a);
}
#else
static uint64_t seg_hash(const unsigned char *s, size_t a, size_t z, size_t len, uint64_t seed)
{
    (void)len;
    return hash_slow(s, a, z, seed);
}
#endif

static const unsigned char stop[256] = {
    ['\n'] = 1, ['.'] = 1, ['!'] = 1, ['?'] = 1, [0xE2] = 1, [0xE3] = 1, [0xEF] = 1};

/* The first byte at or after p that can end a segment (stop[]), or len. */
static size_t next_stop(const unsigned char *s, size_t p, size_t len)
{
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n'), dot = _mm_set1_epi8('.');
    const __m128i ex = _mm_set1_epi8('!'), qm = _mm_set1_epi8('?');
    const __m128i fe = _mm_set1_epi8((char)0xFE), e2 = _mm_set1_epi8((char)0xE2);
    const __m128i ef = _mm_set1_epi8((char)0xEF);
    while (p + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + p));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, dot));
        m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, ex), _mm_cmpeq_epi8(v, qm)));
        /* 0xE2 and 0xE3 differ in the low bit only */
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_and_si128(v, fe), e2));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, ef));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return p + (size_t)__builtin_ctz(bits);
        p += 16;
    }
#endif
    while (p < len && !stop[s[p]])
        p++;
    return p;
}

/* The end of a's segment without its trailing white space. */
static inline size_t trim(const unsigned char *s, size_t a, size_t e)
{
    while (e > a && cls[s[e - 1]] == C_WS)
        e--;
    return e;
}

/* One segment from i: the next line, or sentence within a line (a sentence
 * keeps its final punctuation). Sets [*a, *z) to the segment without the
 * white space around it and returns where the next one starts; *h is its
 * fingerprint (seg_hash) when it has 2 bytes or more (shorter ones are
 * skipped). */
static size_t segment(const unsigned char *s, size_t i, size_t len, uint64_t seed, size_t *a,
                      size_t *z, uint64_t *h)
{
    while (i < len && cls[s[i]] == C_WS)
        i++;
    *a = i;
    size_t p = i, next;
    for (;;) {
        p = next_stop(s, p, len);
        if (p == len) {
            *z = trim(s, i, len);
            next = len;
            break;
        }
        unsigned char c = s[p];
        if (c == '\n') {
            *z = trim(s, i, p);
            next = p + 1;
            break;
        }
        if (cls[c] == C_PUNCT) {
            if (p + 1 == len || is_ws(s[p + 1])) {
                *z = next = p + 1;
                break;
            }
        } else if (p + 2 < len) {
            /* … (U+2026) before white space; 。！？ always */
            bool ell = c == 0xE2 && s[p + 1] == 0x80 && s[p + 2] == 0xA6 &&
                       (p + 3 == len || is_ws(s[p + 3]));
            bool cjk = (c == 0xE3 && s[p + 1] == 0x80 && s[p + 2] == 0x82) ||
                       (c == 0xEF && s[p + 1] == 0xBC && (s[p + 2] == 0x81 || s[p + 2] == 0x9F));
            if (ell || cjk) {
                *z = next = p + 3;
                break;
            }
        }
        p++;
    }
    *h = *z - *a >= 2 ? seg_hash(s, *a, *z, len, seed) : 0;
    return next;
}

static inline void prefetch_set(const struct nr_boiler *b, uint64_t key)
{
    const struct set *set = &b->sets[key & b->mask];
    __builtin_prefetch(set->key, 1, 3);
    __builtin_prefetch(set->tick, 1, 3);
}

/* The way of key in set, or one to reuse for it (key set, count cleared):
 * an empty one, else a segment seen under one story only (the oldest),
 * else the oldest. Reads the keys, and the counters only on a miss. */
static int lookup(struct nr_boiler *b, struct set *set, uint64_t key)
{
    for (int w = 0; w < WAYS; w++)
        if (set->key[w] == key)
            return w;
    int empty = -1, victim = -1;
    for (int w = 0; w < WAYS; w++) {
        if (set->key[w] == 0) {
            empty = empty >= 0 ? empty : w;
            continue;
        }
        if (victim < 0) {
            victim = w;
            continue;
        }
        bool once = set->n[w] <= 1, v_once = set->n[victim] <= 1;
        if ((once && !v_once) ||
            (once == v_once && b->tick - set->tick[w] > b->tick - set->tick[victim]))
            victim = w;
    }
    int r = empty >= 0 ? empty : victim;
    set->key[r] = key;
    set->n[r] = 0;
    return r;
}

struct seg {
    size_t a, z;
    uint64_t key;
};

uint32_t nr_boiler_apply(struct nr_boiler *b, struct nr_str source, struct nr_str title, char *body,
                         size_t len)
{
    if (!b || !source.p || source.len == 0 || !body || len == 0)
        return 0;
    b->tick++;
    uint64_t src = nr_hash64(source.p, source.len, 0x626f696c);
    uint32_t story = (uint32_t)nr_hash64(title.p ? title.p : "", title.p ? title.len : 0, 7);
    story = story ? story : 1;
    unsigned char *s = (unsigned char *)body;
    uint32_t blanked = 0;
    struct seg seg[BATCH];
    for (size_t i = 0; i < len;) {
        /* cut (and prefetch the sets of) up to BATCH segments, then look
         * them up in order: cutting reads only bytes after the previous
         * segment, so blanking after the cut changes nothing it sees */
        int m = 0;
        while (m < BATCH && i < len) {
            struct seg *g = &seg[m];
            i = segment(s, i, len, src, &g->a, &g->z, &g->key);
            if (g->z - g->a < 2)
                continue;
            prefetch_set(b, g->key);
            m++;
        }
        for (int k = 0; k < m; k++) {
            struct set *set = &b->sets[seg[k].key & b->mask];
            int w = lookup(b, set, seg[k].key);
            uint32_t *sv = b->st[(seg[k].key & b->mask) * WAYS + (size_t)w].v;
            set->tick[w] = b->tick;
            uint8_t n = set->n[w];
            bool known = false;
            for (uint8_t q = 0; q < n; q++)
                known |= sv[q] == story;
            if (!known && n < b->min_articles)
                sv[n++] = story;
            set->n[w] = n;
            if (n >= b->min_articles) {
                memset(s + seg[k].a, ' ', seg[k].z - seg[k].a);
                blanked++;
            }
        }
    }
    return blanked;
}
