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

#define WAYS 8

struct slot {
    uint64_t key; /* 0 = empty */
    uint32_t story[NR_BOILER_MAX_ARTICLES];
    uint32_t tick; /* article counter when last seen */
    uint8_t n;     /* distinct stories in story[] */
};

struct nr_boiler {
    struct slot *t;
    size_t mask; /* buckets - 1 */
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
    b->t = nr_xcalloc(buckets * WAYS, sizeof(*b->t));
    b->mask = buckets - 1;
    b->min_articles = min_articles;
    return b;
}

void nr_boiler_free(struct nr_boiler *b)
{
    if (!b)
        return;
    free(b->t);
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
 * white space around it and returns where the next one starts; *h is its
 * FNV-1a hash with ASCII case folded, digits as '0' and each white space
 * run inside as one space, seeded with the source. One pass, one table
 * lookup per byte. */
static size_t segment(const unsigned char *s, size_t i, size_t len, uint64_t seed, size_t *a,
                      size_t *z, uint64_t *h)
{
    while (i < len && cls[s[i]] == C_WS)
        i++;
    *a = *z = i;
    uint64_t x = 1469598103934665603ULL ^ seed;
    bool gap = false;
    size_t next = len;
    for (; i < len; i++) {
        unsigned char c = s[i];
        unsigned k = cls[c];
        if (k == C_WS) {
            gap = true;
            continue;
        }
        if (k == C_NL) {
            next = i + 1;
            break;
        }
        if (gap) {
            x = (x ^ ' ') * FNV_P;
            gap = false;
        }
        x = (x ^ fold(c)) * FNV_P;
        *z = i + 1;
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
                *z = i + 3;
                next = i + 3;
                break;
            }
        }
    }
    x = mix(x);
    *h = x ? x : 1;
    return next;
}

/* The slot of key, or a slot to reuse for it (key set, counts cleared):
 * an empty one, else a segment seen under one story only (the oldest),
 * else the oldest. */
static struct slot *lookup(struct nr_boiler *b, uint64_t key)
{
    struct slot *set = &b->t[(key & b->mask) * WAYS];
    struct slot *empty = NULL, *victim = NULL;
    for (int w = 0; w < WAYS; w++) {
        struct slot *s = &set[w];
        if (s->key == key)
            return s;
        if (s->key == 0) {
            empty = empty ? empty : s;
            continue;
        }
        if (!victim) {
            victim = s;
            continue;
        }
        bool once = s->n <= 1, v_once = victim->n <= 1;
        if ((once && !v_once) || (once == v_once && b->tick - s->tick > b->tick - victim->tick))
            victim = s;
    }
    struct slot *r = empty ? empty : victim;
    memset(r, 0, sizeof(*r));
    r->key = key;
    return r;
}

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
    for (size_t i = 0; i < len;) {
        size_t a, z;
        uint64_t key;
        i = segment(s, i, len, src, &a, &z, &key);
        if (z - a < 2)
            continue;
        struct slot *sl = lookup(b, key);
        sl->tick = b->tick;
        bool known = false;
        for (uint8_t k = 0; k < sl->n; k++)
            known |= sl->story[k] == story;
        if (!known && sl->n < b->min_articles)
            sl->story[sl->n++] = story;
        if (sl->n >= b->min_articles) {
            memset(s + a, ' ', z - a);
            blanked++;
        }
    }
    return blanked;
}
