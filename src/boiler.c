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
    unsigned char fold[256]; /* fold() of each byte */
};

static inline unsigned char fold(unsigned char c);

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
    for (int c = 0; c < 256; c++)
        b->fold[c] = fold((unsigned char)c);
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

static inline uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
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

#define FNV_P 1099511628211ULL

/* One segment from i: the next line, or sentence within a line (a sentence
 * keeps its final punctuation). Sets [*a, *z) to the segment without the
 * white space around it and returns where the next one starts; *h is a
 * hash, seeded with the source, of its bytes other than white space with
 * ASCII case folded and digits as '0', each byte also marked with whether
 * white space came before it: the same for two segments exactly when they
 * read the same with each white space run inside as one space. One pass,
 * and no branch on white space: a byte's hash step is always computed and
 * kept or dropped by a conditional move (a branch per word boundary was
 * a mispredicted jump twice a word, most of the model's cost). */
static size_t segment(const unsigned char *fold_t, const unsigned char *s, size_t i, size_t len,
                      uint64_t seed, size_t *a, size_t *z, uint64_t *h)
{
    while (i < len && cls[s[i]] == C_WS)
        i++;
    *a = i;
    size_t end = i;
    uint64_t x = 1469598103934665603ULL ^ seed;
    uint64_t gap = 0;
    size_t next = len;
    for (; i < len; i++) {
        unsigned char c = s[i];
        unsigned k = cls[c];
        uint64_t y = (x ^ (fold_t[c] | gap)) * FNV_P;
        if (k <= C_WS) {
            bool ws = k == C_WS;
            x = ws ? x : y;
            end = ws ? end : i + 1;
            gap = ws ? 0x100 : 0;
            continue;
        }
        if (k == C_NL) {
            next = i + 1;
            break;
        }
        x = y;
        gap = 0;
        end = i + 1;
        if (k == C_PUNCT && (i + 1 == len || is_ws(s[i + 1]))) {
            next = i + 1;
            break;
        }
        if (k == C_LEAD && i + 2 < len) {
            /* … (U+2026) before white space; 。！？ always */
            bool ell = c == 0xE2 && s[i + 1] == 0x80 && s[i + 2] == 0xA6 &&
                       (i + 3 == len || is_ws(s[i + 3]));
            bool cjk = (c == 0xE3 && s[i + 1] == 0x80 && s[i + 2] == 0x82) ||
                       (c == 0xEF && s[i + 1] == 0xBC && (s[i + 2] == 0x81 || s[i + 2] == 0x9F));
            if (ell || cjk) {
                x = (x ^ s[i + 1]) * FNV_P;
                x = (x ^ s[i + 2]) * FNV_P;
                end = i + 3;
                next = i + 3;
                break;
            }
        }
    }
    *z = end;
    x = mix(x);
    *h = x ? x : 1;
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
            i = segment(b->fold, s, i, len, src, &g->a, &g->z, &g->key);
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
