/*
 * dedup.c - exact duplicate set and per-key near-duplicate history.
 *
 * nr_idset: open addressing (linear probing, table twice the capacity, so
 * probes stay short) plus a FIFO ring of the inserted hashes with their
 * times. The ring gives both expiry orders for free: when full the oldest
 * insert goes, and a few entries older than the retention are dropped on each
 * insert (bounded work per call, no sweep). Deletion uses backward-shift so no
 * tombstones accumulate. Memory: 24 bytes per entry of capacity.
 *
 * nr_history: a ring of at most `history` entries per key, grown 4, 8, ...
 * up to `history` slots before it first wraps (most keys see few articles).
 * Each slot owns one buffer (co-mentions, then the five strings) that is
 * reused when the ring overwrites the slot, so a key in steady state
 * remembers an article without allocating. The near test is a linear scan
 * of popcount(a ^ b) over <= 64 entries, cheaper than any index at this
 * size.
 */
#include "newsradar/dedup.h"

#include <stdlib.h>
#include <string.h>

struct nr_idset {
    uint64_t *table; /* 0 = empty */
    size_t mask;
    uint64_t *ring_h;
    int64_t *ring_t;
    size_t cap, head, n;
    int64_t retention_ms;
};

struct nr_idset *nr_idset_new(size_t cap, int64_t retention_ms)
{
    struct nr_idset *s = nr_xcalloc(1, sizeof(*s));
    if (cap < 16)
        cap = 16;
    size_t tsz = 32;
    while (tsz < cap * 2)
        tsz *= 2;
    s->table = nr_xcalloc(tsz, sizeof(uint64_t));
    s->mask = tsz - 1;
    s->ring_h = nr_xcalloc(cap, sizeof(uint64_t));
    s->ring_t = nr_xcalloc(cap, sizeof(int64_t));
    s->cap = cap;
    s->retention_ms = retention_ms;
    return s;
}

void nr_idset_free(struct nr_idset *s)
{
    if (!s)
        return;
    free(s->table);
    free(s->ring_h);
    free(s->ring_t);
    free(s);
}

void nr_idset_clear(struct nr_idset *s)
{
    memset(s->table, 0, (s->mask + 1) * sizeof(uint64_t));
    s->head = s->n = 0;
}

size_t nr_idset_count(const struct nr_idset *s)
{
    return s->n;
}

static uint64_t norm(uint64_t h)
{
    return h ? h : 1;
}

static void table_del(struct nr_idset *s, uint64_t h)
{
    size_t i = h & s->mask;
    while (s->table[i] && s->table[i] != h)
        i = (i + 1) & s->mask;
    if (!s->table[i])
        return;
    /* backward-shift deletion */
    size_t j = i;
    for (;;) {
        j = (j + 1) & s->mask;
        if (!s->table[j])
            break;
        size_t home = s->table[j] & s->mask;
        /* move table[j] into the hole at i if its home is not in (i, j] */
        if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
            s->table[i] = s->table[j];
            i = j;
        }
    }
    s->table[i] = 0;
}

static void pop_oldest(struct nr_idset *s)
{
    table_del(s, s->ring_h[s->head]);
    s->head = (s->head + 1) % s->cap;
    s->n--;
}

bool nr_idset_seen(struct nr_idset *s, uint64_t h, int64_t now_ms)
{
    h = norm(h);
    size_t i = h & s->mask;
    while (s->table[i]) {
        if (s->table[i] == h)
            return true;
        i = (i + 1) & s->mask;
    }
    /* expire a few old entries per call: bounded work */
    for (int k = 0;
         k < 4 && s->n > 0 && s->retention_ms > 0 && s->ring_t[s->head] < now_ms - s->retention_ms;
         k++)
        pop_oldest(s);
    if (s->n == s->cap)
        pop_oldest(s);
    /* slot may have moved after deletions: probe again */
    i = h & s->mask;
    while (s->table[i])
        i = (i + 1) & s->mask;
    s->table[i] = h;
    size_t tail = (s->head + s->n) % s->cap;
    s->ring_h[tail] = h;
    s->ring_t[tail] = now_ms;
    s->n++;
    return false;
}

/* ---- history ------------------------------------------------------------ */

const struct nr_hist_entry *nr_history_at(const struct nr_history *h, uint32_t i)
{
    return &h->v[(h->head + i) % h->cap];
}

const char *nr_hist_str(const struct nr_hist_entry *e, int k)
{
    return nr_hist_strn(e, k).p;
}

/* Offsets come from the lengths, never from strlen: an id or title with a
 * \u0000 in it must not shift the strings after it. */
struct nr_str nr_hist_strn(const struct nr_hist_entry *e, int k)
{
    if (k < 0 || k > 4 || !(e->present & (1u << k)))
        return (struct nr_str){NULL, 0};
    size_t off = 0;
    for (int i = 0; i < k; i++)
        off += (size_t)e->slen[i] + 1;
    return (struct nr_str){e->strs + off, e->slen[k]};
}

int nr_hist_entry_split(struct nr_hist_entry *e)
{
    size_t off = 0;
    for (int i = 0; i < 5; i++) {
        const char *z = off < e->strs_len ? memchr(e->strs + off, 0, e->strs_len - off) : NULL;
        if (!z)
            return -1;
        e->slen[i] = (uint32_t)(z - (e->strs + off));
        off += e->slen[i] + 1;
    }
    return off == e->strs_len ? 0 : -1;
}

/* Bits set in x. __builtin_popcountll is a libgcc call without -mpopcnt
 * (the default x86-64 target): this is a dozen inline instructions. */
static inline uint32_t popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (uint32_t)((x * 0x0101010101010101ULL) >> 56);
}

enum nr_dup nr_history_check(const struct nr_history *h, const struct nr_count_event *ev,
                             uint32_t bits, int64_t window_start_ms, struct nr_str *orig)
{
    *orig = (struct nr_str){NULL, 0};
    /* walk the ring by index (no division per entry): oldest at head */
    for (uint32_t i = 0, j = h->head; i < h->n; i++, j = j + 1 == h->cap ? 0 : j + 1)
        if (h->v[j].id_hash == ev->id_hash)
            return NR_DUP_EXACT;
    if (bits == 0 || ev->article.simhash == 0 || h->n == 0)
        return NR_DUP_NONE;
    /* newest first: the closest story in time is the likeliest original */
    uint32_t j = (uint32_t)(((uint64_t)h->head + h->n - 1) % h->cap);
    for (uint32_t i = 0; i < h->n; i++, j = j == 0 ? h->cap - 1 : j - 1) {
        const struct nr_hist_entry *e = &h->v[j];
        if (e->event_ms < window_start_ms || e->simhash == 0)
            continue;
        if (popcount64(e->simhash ^ ev->article.simhash) <= bits) {
            struct nr_str d = nr_hist_strn(e, 4);
            *orig = d.p ? d : nr_hist_strn(e, 0);
            return NR_DUP_NEAR;
        }
    }
    return NR_DUP_NONE;
}

struct nr_hist_entry *nr_history_append(struct nr_history *h, uint32_t cap)
{
    if (h->cap == 0) {
        if (cap == 0)
            return NULL;
        h->cap = cap;
    }
    if (h->n == h->cap) {
        /* full: the oldest slot becomes the newest, its buffer reused */
        struct nr_hist_entry *e = &h->v[h->head];
        h->head = (h->head + 1) % h->cap;
        return e;
    }
    if (h->n == h->alloc) {
        /* not wrapped yet (head == 0): grow geometrically, so a key that
         * sees three articles does not pay for `history` slots */
        uint32_t na = h->alloc ? h->alloc * 2 : 4;
        if (na > h->cap)
            na = h->cap;
        h->v = nr_xrealloc(h->v, (size_t)na * sizeof(*h->v));
        memset(h->v + h->alloc, 0, (size_t)(na - h->alloc) * sizeof(*h->v));
        h->alloc = na;
    }
    return &h->v[(h->head + h->n++) % h->cap];
}

void nr_hist_entry_reserve(struct nr_hist_entry *e, uint32_t n_co, size_t strs_len)
{
    size_t co_bytes = (size_t)n_co * sizeof(struct nr_event_co);
    size_t need = co_bytes + strs_len;
    if (need > e->mem_cap) {
        /* round up so a slot settles at its largest article after a few
         * rounds of the ring instead of growing on every longer title */
        size_t cap = (need + 127) & ~(size_t)127;
        free(e->mem);
        e->mem = nr_xmalloc(cap);
        e->mem_cap = (uint32_t)cap;
    }
    e->co = (struct nr_event_co *)e->mem;
    e->strs = (char *)e->mem + co_bytes;
    e->n_co = n_co;
    e->strs_len = (uint32_t)strs_len;
}

void nr_history_add(struct nr_history *h, uint32_t cap, const struct nr_count_event *ev,
                    const char *dup_of)
{
    nr_history_add_dup(h, cap, ev, (struct nr_str){dup_of, dup_of ? strlen(dup_of) : 0});
}

void nr_history_add_dup(struct nr_history *h, uint32_t cap, const struct nr_count_event *ev,
                        struct nr_str dup)
{
    const char *dup_of = dup.p;
    struct nr_str s[5] = {ev->article.id, ev->article.title, ev->article.url, ev->article.source,
                          dup};
    size_t total = 0;
    for (int i = 0; i < 5; i++)
        total += (s[i].p ? s[i].len : 0) + 1;
    /* dup_of may live in the slot about to be overwritten (the oldest
     * entry): copy it out first */
    char dup_copy[256];
    char *dup_heap = NULL;
    if (dup_of) {
        if (s[4].len < sizeof(dup_copy)) {
            memcpy(dup_copy, dup_of, s[4].len);
            s[4].p = dup_copy;
        } else {
            dup_heap = nr_xmalloc(s[4].len);
            memcpy(dup_heap, dup_of, s[4].len);
            s[4].p = dup_heap;
        }
    }
    struct nr_hist_entry *e = nr_history_append(h, cap);
    if (!e) {
        free(dup_heap);
        return;
    }
    uint32_t n_co = ev->n_co < NR_EVENT_MAX_CO ? ev->n_co : NR_EVENT_MAX_CO;
    nr_hist_entry_reserve(e, n_co, total);
    e->id_hash = ev->id_hash;
    e->simhash = ev->article.simhash;
    e->event_ms = ev->event_ms;
    e->published_ms = ev->article.published_ms;
    e->duplicate = dup_of != NULL;
    memcpy(e->lang, ev->article.lang, sizeof(e->lang));
    e->lang[sizeof(e->lang) - 1] = '\0';
    e->present = 1; /* the id is always there (maybe empty) */
    char *p = e->strs;
    for (int i = 0; i < 5; i++) {
        e->slen[i] = s[i].p ? (uint32_t)s[i].len : 0;
        if (s[i].p) {
            memcpy(p, s[i].p, s[i].len);
            p += s[i].len;
            e->present |= (uint8_t)(1u << i);
        }
        *p++ = '\0';
    }
    if (n_co)
        memcpy(e->co, ev->co, n_co * sizeof(*e->co));
    free(dup_heap);
}

void nr_history_clear(struct nr_history *h)
{
    for (uint32_t i = 0; i < h->alloc; i++)
        free(h->v[i].mem);
    free(h->v);
    memset(h, 0, sizeof(*h));
}

/* ---- snapshot ------------------------------------------------------------- */

void nr_history_write(struct nr_wbuf *w, const struct nr_history *h,
                      uint32_t (*ent_index)(uint32_t entity, const void *ud), const void *ud)
{
    nr_wbuf_u32(w, h->n);
    for (uint32_t i = 0; i < h->n; i++) {
        const struct nr_hist_entry *e = nr_history_at(h, i);
        nr_wbuf_u64(w, e->id_hash);
        nr_wbuf_u64(w, e->simhash);
        nr_wbuf_u64(w, (uint64_t)e->event_ms);
        nr_wbuf_u64(w, (uint64_t)e->published_ms);
        nr_wbuf_u8(w, e->present);
        nr_wbuf_u8(w, e->duplicate);
        size_t ll = strnlen(e->lang, sizeof(e->lang) - 1);
        nr_wbuf_u8(w, (uint8_t)ll);
        nr_wbuf_put(w, e->lang, ll);
        for (int j = 0; j < 5; j++)
            nr_wbuf_u32(w, e->slen[j]);
        nr_wbuf_str(w, e->strs, e->strs_len);
        nr_wbuf_u32(w, e->n_co);
        for (uint32_t j = 0; j < e->n_co; j++) {
            nr_wbuf_u32(w, ent_index(e->co[j].entity, ud));
            nr_wbuf_u32(w, e->co[j].mentions);
        }
    }
}

/* The five strings of an entry: NUL-terminated, tiled by their lengths
 * (version 2: exactly five NULs, the last at the end). */
static bool hist_strs_ok(const uint8_t *sp, size_t l, const uint32_t slen[5], bool v2)
{
    bool ok = l > 0 && sp[l - 1] == 0;
    if (v2) {
        size_t nuls = 0;
        for (size_t j = 0; j < l; j++)
            nuls += sp[j] == 0;
        return ok && nuls == 5;
    }
    size_t off = 0;
    for (int j = 0; j < 5 && ok; j++) {
        off += slen[j];
        ok = off < l && sp[off] == 0;
        off++;
    }
    return ok && off == l;
}

/* The language of an entry (version 5 on): u8 length (0, 2 or 3), lowercase
 * ASCII letters. false when it cannot be one (or the bytes ran out). */
static bool hist_lang(struct nr_rbuf *r, char lang[NR_LANG_TAG_MAX])
{
    uint32_t ll = nr_rbuf_u8(r);
    const uint8_t *lp = NULL;
    if (ll < NR_LANG_TAG_MAX)
        lp = nr_rbuf_bytes(r, ll);
    bool ok = lp && ll != 1;
    for (uint32_t j = 0; ok && j < ll; j++)
        ok = lp[j] >= 'a' && lp[j] <= 'z';
    if (ok && ll)
        memcpy(lang, lp, ll);
    return ok;
}

int nr_history_read(struct nr_rbuf *r, struct nr_history *h, uint32_t nh, uint32_t cap, bool v2,
                    bool lang, const int *ent_idx, uint32_t n_ent, struct nr_error *err)
{
    size_t l;
    for (uint32_t i = 0; i < nh; i++) {
        uint64_t id_hash = nr_rbuf_u64(r), simhash = nr_rbuf_u64(r);
        int64_t event_ms = (int64_t)nr_rbuf_u64(r), published_ms = (int64_t)nr_rbuf_u64(r);
        uint8_t present = nr_rbuf_u8(r), dup = nr_rbuf_u8(r);
        char elang[NR_LANG_TAG_MAX] = "";
        bool lang_ok = !lang || hist_lang(r, elang);
        uint32_t slen[5] = {0};
        for (int j = 0; j < 5 && !v2; j++)
            slen[j] = nr_rbuf_u32(r);
        const uint8_t *sp = nr_rbuf_str(r, 1u << 24, &l);
        uint32_t n_co = nr_rbuf_u32(r);
        if (r->bad)
            return 1;
        if (!hist_strs_ok(sp, l, slen, v2) || !lang_ok || !(present & 1u) || (present & ~0x1fu) ||
            dup > 1 || !nr_snap_time_ok(event_ms) || !nr_snap_time_ok(published_ms) ||
            n_co > NR_EVENT_MAX_CO) {
            nr_error_set(err, "snapshot: bad history entry %u", i);
            return -1;
        }
        struct nr_event_co co[NR_EVENT_MAX_CO];
        uint32_t kept = 0;
        for (uint32_t j = 0; j < n_co; j++) {
            uint32_t ti = nr_rbuf_u32(r), mentions = nr_rbuf_u32(r);
            if (r->bad)
                return 1;
            if (ti >= n_ent) {
                nr_error_set(err, "snapshot: bad co-mention in entry %u", i);
                return -1;
            }
            if (ent_idx[ti] < 0)
                continue; /* no longer in the config: drop it */
            co[kept].entity = (uint32_t)ent_idx[ti];
            co[kept].mentions = mentions;
            kept++;
        }
        /* a shorter `history` keeps the newest entries: the ring drops the oldest */
        struct nr_hist_entry *e = nr_history_append(h, cap);
        if (!e)
            continue;
        nr_hist_entry_reserve(e, kept, l);
        e->id_hash = id_hash;
        e->simhash = simhash;
        e->event_ms = event_ms;
        e->published_ms = published_ms;
        e->present = present;
        e->duplicate = dup != 0;
        memcpy(e->lang, elang, sizeof(elang));
        memcpy(e->strs, sp, l);
        if (v2)
            (void)nr_hist_entry_split(e); /* checked above: five NULs, the last at the end */
        else
            memcpy(e->slen, slen, sizeof(slen));
        if (kept)
            memcpy(e->co, co, kept * sizeof(co[0]));
    }
    return 0;
}
