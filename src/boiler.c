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
 * victim choice reads on a miss). The stories of a slot are apart (st),
 * read on a hit and written once when a slot is reused, so a probe touches
 * 2 prefetched lines and at most one more. A slot keeps min_articles
 * stories, not NR_BOILER_MAX_ARTICLES: no more are ever read or written,
 * and at the default 4 the stories take 1 MiB instead of 2 (a third less
 * memory for the cache to hold next to the tagger's). */
struct set {
    uint64_t key[WAYS];  /* 0 = empty */
    uint32_t tick[WAYS]; /* article counter when last seen */
    uint8_t n[WAYS];     /* distinct stories in story[] */
    uint8_t pad[128 - WAYS * 13];
};

struct nr_boiler {
    void *mem;        /* allocation of sets, aligned up to 128 */
    struct set *sets; /* buckets */
    uint32_t *st;     /* buckets * WAYS slots of min_articles stories */
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
    b->st = nr_xcalloc(buckets * WAYS * min_articles, sizeof(*b->st));
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
#if defined(__x86_64__) && defined(__GNUC__)
    /* the same product with one mulq: gcc spills an unsigned __int128 to
     * the stack in the block loop, which puts a store and a reload into the
     * hash's dependency chain on every 16 bytes */
    uint64_t l = lo ^ 0xa0761d6478bd642fULL, h;
    __asm__("mulq %[b]" : "+a"(l), "=d"(h) : [b] "r"(hi ^ x) : "cc");
    return l ^ h;
#else
    u128 m = (u128)(lo ^ 0xa0761d6478bd642fULL) * (hi ^ x);
    return (uint64_t)m ^ (uint64_t)(m >> 64);
#endif
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

/* A fingerprint being taken, block by block: the hash so far, the lanes
 * that make the segment differ from its canonical form (a byte <= 0x1f:
 * tab, CR, FF, VT, any control byte, to be simple; a space after a space,
 * in the block or across blocks), and the previous block's spaces. The
 * lanes are OR-ed as vectors and tested once per segment: a movemask and
 * scalar shifts per block cost more. */
struct hstate {
    uint64_t x;
    __m128i irr, sp;
};

static inline void hs_init(struct hstate *h, uint64_t seed)
{
    h->x = seed ^ SEED0;
    h->irr = _mm_setzero_si128();
    h->sp = _mm_setzero_si128();
}

/* The lanes of v holding a byte <= 0x1f. */
static inline __m128i ctl_lanes(__m128i v)
{
    return _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
}

/* One 16-byte block of a segment (lanes past its end padded with 0x80):
 * irregular lanes noted, the block folded and hashed. A-Z and 0-9 are each
 * found with one add and one signed compare (the range moved to the bottom
 * of the signed bytes, so bytes >= 0x80 stay out); A-Z get 0x20 added and
 * a digit 0x3N loses its low nibble, becoming '0'. Case and digits are
 * disjoint, so both masks come from the original bytes. ctl is
 * ctl_lanes(v), which the cut has computed already. */
static inline void hs_block(struct hstate *h, __m128i v, __m128i ctl)
{
    __m128i sp = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x20));
    __m128i before = _mm_or_si128(_mm_slli_si128(sp, 1), _mm_srli_si128(h->sp, 15));
    h->irr = _mm_or_si128(h->irr, _mm_or_si128(ctl, _mm_and_si128(sp, before)));
    h->sp = sp;
    __m128i up = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - 'A'))),
                                _mm_set1_epi8((char)(0x80 + 26)));
    __m128i dg = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - '0'))),
                                _mm_set1_epi8((char)(0x80 + 10)));
    v = _mm_or_si128(v, _mm_and_si128(up, _mm_set1_epi8(0x20)));
    v = _mm_andnot_si128(_mm_and_si128(dg, _mm_set1_epi8(0x0f)), v);
    uint64_t lo = (uint64_t)_mm_cvtsi128_si64(v);
    uint64_t hi = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
    h->x = step16(h->x, lo, hi);
}

/* lanes k.. of v replaced with 0x80 (0 < k < 16): the padding of a last
 * block */
static inline __m128i pad_from(__m128i v, size_t k)
{
    __m128i m = _mm_loadu_si128((const __m128i *)(pad_mask + 16 - k));
    return _mm_or_si128(_mm_andnot_si128(m, v), _mm_and_si128(m, _mm_set1_epi8((char)0x80)));
}

/* The fingerprint of segment [a, z) once all its blocks are in h: a segment
 * with an irregular lane is hashed again by hash_slow, which gives the same
 * value for the same canonical form. */
static inline uint64_t hs_fin(struct hstate *h, const unsigned char *s, size_t a, size_t z,
                              uint64_t seed)
{
    if ((z - a) % 16 == 0) /* the empty padded chunk hash_slow ends with */
        h->x = step16(h->x, 0x8080808080808080ULL, 0x8080808080808080ULL);
    if (_mm_movemask_epi8(h->irr))
        return hash_slow(s, a, z, seed);
    return finish(h->x, z - a);
}

/* The blocks of segment [a, z) from p on (p - a a multiple of 16; s has len
 * bytes), the last one padded from z on with 0x80, then the fingerprint.
 * h is a copy: the callers' state stays in registers. */
static uint64_t hs_end(struct hstate h, const unsigned char *s, size_t a, size_t p, size_t z,
                       size_t len, uint64_t seed)
{
    for (; p < z; p += 16) {
        __m128i v;
        if (p + 16 <= len) {
            v = _mm_loadu_si128((const __m128i *)(s + p));
            if (p + 16 > z)
                v = pad_from(v, z - p);
        } else {
            unsigned char t[16];
            memset(t, 0x80, sizeof(t));
            memcpy(t, s + p, z - p);
            v = _mm_loadu_si128((const __m128i *)t);
        }
        hs_block(&h, v, ctl_lanes(v));
    }
    return hs_fin(&h, s, a, z, seed);
}

/* Fingerprint of segment [a, z) (no white space at either end; s has len
 * bytes), seeded with the source: the hash of its canonical form, 16 bytes
 * per step. */
static uint64_t seg_hash(const unsigned char *s, size_t a, size_t z, size_t len, uint64_t seed)
{
    struct hstate h;
    hs_init(&h, seed);
    return hs_end(h, s, a, a, z, len, seed);
}

/* The lanes of v holding a byte that can end a segment (stop[] below) or
 * another control byte (ctl = ctl_lanes(v)): the control lanes the
 * fingerprint needs anyway stand in for a compare with '\n' (one register
 * fewer in the loop); seg_end rejects a tab or a CR as it rejects a '.'
 * inside "U.S.". */
static inline unsigned stop_bits(__m128i v, __m128i ctl)
{
    __m128i m = _mm_or_si128(ctl, _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('!')),
                                     _mm_cmpeq_epi8(v, _mm_set1_epi8('?'))));
    /* 0xE2 and 0xE3 differ in the low bit only */
    m = _mm_or_si128(
        m, _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xFE)), _mm_set1_epi8((char)0xE2)));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xEF)));
    return (unsigned)_mm_movemask_epi8(m);
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

/* The end of a's segment without its trailing white space. */
static inline size_t trim(const unsigned char *s, size_t a, size_t e)
{
    while (e > a && cls[s[e - 1]] == C_WS)
        e--;
    return e;
}

/* Whether the stop byte at q ends the segment that starts at a: a line
 * end, . ! ? before white space or the end, … (U+2026) before white space,
 * 。！？ always (a sentence keeps its final punctuation). If so, sets *z to
 * the segment's end without white space and *next to where the next one
 * starts. Always inlined: as a call (gcc declines to inline it, it is used
 * twice) it costs more than its common case, a '.' before a space. */
static inline __attribute__((always_inline)) bool
seg_end(const unsigned char *s, size_t a, size_t q, size_t len, size_t *z, size_t *next)
{
    unsigned char c = s[q];
    if (c == '\n') {
        *z = trim(s, a, q);
        *next = q + 1;
        return true;
    }
    if (cls[c] == C_PUNCT) {
        if (q + 1 == len || is_ws(s[q + 1])) {
            *z = *next = q + 1;
            return true;
        }
        return false;
    }
    if (q + 2 < len) {
        bool ell =
            c == 0xE2 && s[q + 1] == 0x80 && s[q + 2] == 0xA6 && (q + 3 == len || is_ws(s[q + 3]));
        bool cjk = (c == 0xE3 && s[q + 1] == 0x80 && s[q + 2] == 0x82) ||
                   (c == 0xEF && s[q + 1] == 0xBC && (s[q + 2] == 0x81 || s[q + 2] == 0x9F));
        if (ell || cjk) {
            *z = *next = q + 3;
            return true;
        }
    }
    return false;
}

/* One segment from i: the next line, or sentence within a line. Sets
 * [*a, *z) to the segment without the white space around it and returns
 * where the next one starts; *h is its fingerprint (seg_hash) when it has 2
 * bytes or more (shorter ones are skipped).
 *
 * One pass (SSE2): each 16-byte block from the segment's start is searched
 * for the bytes that can end a segment (line end, . ! ?, the lead bytes of
 * … 。！？) and, when none of them ends it, folded into the fingerprint
 * there and then, while it is in a register; the block where the segment
 * ends is padded and hashed by hs_end. Reading the text once instead of a
 * search pass and then a hash pass saves a load and the loop of the second
 * pass per block. Only when a line's trailing white space reaches back
 * before the current block (" \n" across a block edge) is the hash taken
 * again from the start. */
static size_t segment(const unsigned char *s, size_t i, size_t len, uint64_t seed, size_t *a,
                      size_t *z, uint64_t *h)
{
    while (i < len && cls[s[i]] == C_WS)
        i++;
    *a = i;
    size_t p = i, e, next;
#ifdef __SSE2__
    struct hstate st;
    hs_init(&st, seed);
    for (;; p += 16) {
        if (p + 16 > len) { /* the last bytes of the body: byte by byte */
            for (size_t q = p; q < len; q++)
                if (stop[s[q]] && seg_end(s, i, q, len, &e, &next))
                    goto done;
            e = trim(s, i, len);
            next = len;
            goto done;
        }
        __m128i v = _mm_loadu_si128((const __m128i *)(s + p));
        __m128i ctl = ctl_lanes(v);
        for (unsigned bits = stop_bits(v, ctl); bits; bits &= bits - 1) {
            if (!seg_end(s, i, p + (size_t)__builtin_ctz(bits), len, &e, &next))
                continue;
            if (e < p || e > p + 16 || e - i < 2)
                goto done;
            /* the common end, in this block: hashed from the register */
            if (e < p + 16) { /* the lanes from e on are no longer ours */
                v = pad_from(v, e - p);
                ctl = ctl_lanes(v);
            }
            if (e > p)
                hs_block(&st, v, ctl);
            *z = e;
            *h = hs_fin(&st, s, i, e, seed);
            return next;
        }
        hs_block(&st, v, ctl);
    }
done:
    *z = e;
    if (e - i < 2)
        *h = 0;
    else
        *h = e >= p ? hs_end(st, s, i, p, e, len, seed) : seg_hash(s, i, e, len, seed);
#else
    for (;; p++) {
        while (p < len && !stop[s[p]])
            p++;
        if (p == len) {
            e = trim(s, i, len);
            next = len;
            break;
        }
        if (seg_end(s, i, p, len, &e, &next))
            break;
    }
    *z = e;
    *h = e - i >= 2 ? seg_hash(s, i, e, len, seed) : 0;
#endif
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
 * else the oldest. Ways are filled in order and never emptied, so the first
 * empty way ends the search: neither key nor another empty way can come
 * after it (most sets of a model that is not yet full stop after a few
 * ways). In a full set the victim is the way with the largest (seen once,
 * age), the first of equals: one score per way compared branch-free
 * instead of the two-test comparison of each pair. Reads the keys, and the
 * counters only on a miss. */
static int lookup(struct nr_boiler *b, struct set *set, uint64_t key)
{
    for (int w = 0; w < WAYS; w++) {
        if (set->key[w] == key)
            return w;
        if (set->key[w] == 0) {
            set->key[w] = key;
            set->n[w] = 0;
            return w;
        }
    }
    int victim = 0;
    uint64_t best = 0;
    for (int w = 0; w < WAYS; w++) {
        uint64_t score = (uint64_t)(set->n[w] <= 1) << 32 | (uint32_t)(b->tick - set->tick[w]);
        bool more = w == 0 || score > best;
        victim = more ? w : victim;
        best = more ? score : best;
    }
    set->key[victim] = key;
    set->n[victim] = 0;
    return victim;
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
            uint32_t *sv = b->st + ((seg[k].key & b->mask) * WAYS + (size_t)w) * b->min_articles;
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
