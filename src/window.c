/*
 * window.c - bucket rings in event time, the bounded key store, and a key's
 * snapshot.
 *
 * Why rings: a sliding 1 h window at 5 min resolution is 12 counters and a
 * 7 d baseline at 1 h is ~170; adding an event is O(1) and summing the window
 * is O(buckets), with no per-event allocation and no timers. Buckets are
 * cleared lazily when the ring head moves forward, so an idle key costs
 * nothing until its next event. A key (struct, both rings, key string) is
 * one allocation.
 *
 * Memory bound: max_keys keys. A full store evicts the least recently
 * updated key (LRU list, O(1)); keys idle for idle_evict are dropped a few
 * per call from the LRU tail, so there is never a stop-the-world sweep.
 *
 * Alert episodes: one bit per coarse bucket (n / 8 bytes beside the 4 n of
 * counts) says the bucket belonged to an episode of the key, from the
 * window start at its first firing to the stream time it resolved. The bits
 * live and are cleared with their slots, so they cost no time of their own
 * and forget an episode exactly when its counts leave the ring. The
 * baseline (nr_window_expected, detect_season.c) skips those buckets, as the
 * EARS and Farrington methods leave past outbreaks out of theirs.
 *
 * Snapshot: a versioned little-endian record of everything a key knows
 * (rings, dedup history, detector state), so the Kafka service can write it
 * to a compacted changelog and rebuild the key on another instance, or in a
 * detector built from a reloaded config (rules and entities by id).
 */
#include "newsradar/window.h"

#include <stdlib.h>
#include <string.h>

struct nr_wstore {
    const struct nr_config *cfg;
    struct nr_wkey **tab;
    size_t mask, n, max;
    struct nr_wkey *lru_head, *lru_tail; /* head = most recently updated */
    struct nr_wkey *fire_head;
    size_t n_fire;
    uint64_t evicted;
    /* entity id -> index + 1 (0 = empty), built on the first restore */
    uint32_t *ent_tab;
    size_t ent_mask;
};

void nr_window_geometry(const struct nr_alert_rule *r, uint32_t *n_fine, uint32_t *n_coarse)
{
    int64_t nf = r->bucket_ms > 0 ? r->window_ms / r->bucket_ms : 1;
    if (nf < 1)
        nf = 1;
    int64_t cb = r->baseline_bucket_ms > 0 ? r->baseline_bucket_ms : 1;
    int64_t nc = r->baseline_ms / cb + (r->window_ms + cb - 1) / cb + 2;
    *n_fine = (uint32_t)nf;
    *n_coarse = (uint32_t)nc;
}

static size_t slot(const struct nr_ring *r, int64_t b)
{
    int64_t m = b % (int64_t)r->n;
    return (size_t)(m < 0 ? m + (int64_t)r->n : m);
}

static size_t excl_words(uint32_t n)
{
    return ((size_t)n + 63) / 64;
}

static void ring_zero(struct nr_ring *r, size_t i)
{
    r->count[i] = 0;
    if (r->excl)
        r->excl[i >> 6] &= ~(UINT64_C(1) << (i & 63));
}

static void ring_zero_all(struct nr_ring *r)
{
    memset(r->count, 0, r->n * sizeof(uint32_t));
    if (r->excl)
        memset(r->excl, 0, excl_words(r->n) * sizeof(uint64_t));
}

/* Make bucket b addressable; false if it is older than the ring. */
static bool ring_reach(struct nr_ring *r, int64_t b)
{
    if (r->head == NR_TIME_NONE) {
        ring_zero_all(r);
        r->head = b;
        return true;
    }
    if (b > r->head) {
        int64_t steps = b - r->head;
        if (steps >= (int64_t)r->n)
            ring_zero_all(r);
        else
            for (int64_t i = r->head + 1; i <= b; i++)
                ring_zero(r, slot(r, i));
        r->head = b;
        return true;
    }
    return b > r->head - (int64_t)r->n;
}

static uint64_t ring_sum(const struct nr_ring *r, int64_t lo, int64_t hi)
{
    if (r->head == NR_TIME_NONE)
        return 0;
    if (lo < r->head - (int64_t)r->n + 1)
        lo = r->head - (int64_t)r->n + 1;
    if (hi > r->head)
        hi = r->head;
    uint64_t s = 0;
    if (lo > hi)
        return 0;
    /* one division for the first slot, then a wrapping index */
    size_t i = slot(r, lo);
    for (int64_t b = lo; b <= hi; b++) {
        s += r->count[i];
        if (++i == r->n)
            i = 0;
    }
    return s;
}

bool nr_window_add(struct nr_wkey *k, int64_t t_ms, int64_t stream_ms)
{
    int64_t cb = nr_floordiv(t_ms, k->coarse.width);
    if (cb <= nr_floordiv(stream_ms, k->coarse.width) - (int64_t)k->coarse.n)
        return false;
    if (!ring_reach(&k->coarse, cb))
        return false;
    k->coarse.count[slot(&k->coarse, cb)]++;
    int64_t fb = nr_floordiv(t_ms, k->fine.width);
    if (ring_reach(&k->fine, fb))
        k->fine.count[slot(&k->fine, fb)]++;
    if (k->last_event_ms == NR_TIME_NONE || t_ms > k->last_event_ms)
        k->last_event_ms = t_ms;
    return true;
}

uint32_t nr_window_count(const struct nr_wkey *k, int64_t stream_ms, int64_t *start_ms,
                         int64_t *end_ms)
{
    int64_t s = nr_floordiv(stream_ms, k->fine.width);
    int64_t lo = s - (int64_t)k->fine.n + 1;
    if (start_ms)
        *start_ms = lo * k->fine.width;
    if (end_ms)
        *end_ms = (s + 1) * k->fine.width;
    uint64_t c = ring_sum(&k->fine, lo, s);
    return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

double nr_window_expected(const struct nr_wkey *k, const struct nr_alert_rule *r,
                          int64_t window_start_ms, int64_t first_seen_ms)
{
    int64_t cw = k->coarse.width;
    int64_t c_end = nr_floordiv(window_start_ms, cw); /* exclusive */
    int64_t n_base = r->baseline_ms / cw;
    if (n_base < 1)
        n_base = 1;
    int64_t c_start = c_end - n_base;
    int64_t from = c_start * cw;
    if (first_seen_ms != NR_TIME_NONE && first_seen_ms > from)
        from = first_seen_ms;
    int64_t excl_ms = 0, observed = c_end * cw - from;
    double sum;
    if (nr_window_excluding(k, r, c_start, c_end, from, &excl_ms)) {
        uint64_t s = 0;
        for (int64_t b = nr_floordiv(from, cw); b < c_end; b++)
            if (!nr_window_in_episode(k, b))
                s += ring_sum(&k->coarse, b, b);
        sum = (double)s;
        observed -= excl_ms;
    } else {
        sum = (double)ring_sum(&k->coarse, c_start, c_end - 1);
    }
    if (observed < r->window_ms)
        observed = r->window_ms;
    double expected = observed > 0 ? sum * (double)r->window_ms / (double)observed : 0;
    double floor = r->baseline_floor > 1e-3 ? r->baseline_floor : 1e-3;
    return expected > floor ? expected : floor;
}

void nr_window_mark_episode(struct nr_wkey *k, int64_t from_ms, int64_t to_ms)
{
    struct nr_ring *r = &k->coarse;
    int64_t hi = nr_floordiv(to_ms, r->width), lo = nr_floordiv(from_ms, r->width);
    if (from_ms == NR_TIME_NONE || !ring_reach(r, hi))
        return;
    if (lo <= r->head - (int64_t)r->n)
        lo = r->head - (int64_t)r->n + 1;
    for (int64_t b = lo; b <= hi; b++) {
        size_t i = slot(r, b);
        r->excl[i >> 6] |= UINT64_C(1) << (i & 63);
    }
}

bool nr_window_has_episode(const struct nr_wkey *k, const struct nr_alert_rule *r)
{
    if (!r->exclude_alerts)
        return false;
    if (k->det.firing)
        return true;
    uint64_t any = 0;
    for (size_t i = 0; i < excl_words(k->coarse.n); i++)
        any |= k->coarse.excl[i];
    return any != 0;
}

bool nr_window_excluding(const struct nr_wkey *k, const struct nr_alert_rule *r, int64_t lo,
                         int64_t c_end, int64_t from_ms, int64_t *excl_ms)
{
    *excl_ms = 0;
    if (!nr_window_has_episode(k, r)) /* the common case: no episode in the ring */
        return false;
    int64_t cw = k->coarse.width, ex = 0;
    if (nr_floordiv(from_ms, cw) > lo)
        lo = nr_floordiv(from_ms, cw);
    for (int64_t b = lo; b < c_end; b++)
        if (nr_window_in_episode(k, b)) {
            int64_t s = b * cw > from_ms ? b * cw : from_ms;
            ex += (b + 1) * cw - s;
        }
    int64_t clean = c_end * cw - from_ms - ex;
    if (ex == 0 || clean <= ex || clean < r->window_ms)
        return false;
    *excl_ms = ex;
    return true;
}

/* ---- store ------------------------------------------------------------------ */

static uint64_t key_hash(uint32_t rule, const char *key)
{
    return nr_hash64(key, strlen(key), (uint64_t)rule + 1);
}

struct nr_wstore *nr_wstore_new(const struct nr_config *cfg)
{
    struct nr_wstore *s = nr_xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    s->max = cfg->engine.max_keys ? cfg->engine.max_keys : 1;
    s->mask = 255;
    s->tab = nr_xcalloc(s->mask + 1, sizeof(*s->tab));
    return s;
}

static void key_free(struct nr_wkey *k)
{
    if (!k)
        return;
    nr_history_clear(&k->hist);
    free(k); /* the counters and the key string live in the same block */
}

void nr_wstore_free(struct nr_wstore *s)
{
    if (!s)
        return;
    struct nr_wkey *k = s->lru_head;
    while (k) {
        struct nr_wkey *next = k->lru_next;
        key_free(k);
        k = next;
    }
    free(s->tab);
    free(s->ent_tab);
    free(s);
}

struct nr_wkey *nr_wstore_first(const struct nr_wstore *s)
{
    return s->lru_head;
}

struct nr_wkey *nr_wstore_next(const struct nr_wstore *s, const struct nr_wkey *k)
{
    (void)s;
    return k->lru_next;
}

size_t nr_wstore_count(const struct nr_wstore *s)
{
    return s->n;
}

size_t nr_wstore_firing(const struct nr_wstore *s)
{
    return s->n_fire;
}

uint64_t nr_wstore_evicted(const struct nr_wstore *s)
{
    return s->evicted;
}

static void lru_unlink(struct nr_wstore *s, struct nr_wkey *k)
{
    if (k->lru_prev)
        k->lru_prev->lru_next = k->lru_next;
    else
        s->lru_head = k->lru_next;
    if (k->lru_next)
        k->lru_next->lru_prev = k->lru_prev;
    else
        s->lru_tail = k->lru_prev;
    k->lru_prev = k->lru_next = NULL;
}

static void lru_push_front(struct nr_wstore *s, struct nr_wkey *k)
{
    k->lru_prev = NULL;
    k->lru_next = s->lru_head;
    if (s->lru_head)
        s->lru_head->lru_prev = k;
    s->lru_head = k;
    if (!s->lru_tail)
        s->lru_tail = k;
}

void nr_wstore_fire_add(struct nr_wstore *s, struct nr_wkey *k)
{
    if (k->in_fire)
        return;
    k->fire_prev = NULL;
    k->fire_next = s->fire_head;
    if (s->fire_head)
        s->fire_head->fire_prev = k;
    s->fire_head = k;
    k->in_fire = true;
    s->n_fire++;
}

void nr_wstore_fire_del(struct nr_wstore *s, struct nr_wkey *k)
{
    if (!k->in_fire)
        return;
    if (k->fire_prev)
        k->fire_prev->fire_next = k->fire_next;
    else
        s->fire_head = k->fire_next;
    if (k->fire_next)
        k->fire_next->fire_prev = k->fire_prev;
    k->fire_prev = k->fire_next = NULL;
    k->in_fire = false;
    s->n_fire--;
}

struct nr_wkey *nr_wstore_fire_first(const struct nr_wstore *s)
{
    return s->fire_head;
}

static void remove_key(struct nr_wstore *s, struct nr_wkey *k)
{
    struct nr_wkey **pp = &s->tab[k->hash & s->mask];
    while (*pp && *pp != k)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = k->hnext;
    lru_unlink(s, k);
    nr_wstore_fire_del(s, k);
    s->n--;
    key_free(k);
}

struct nr_wkey *nr_wstore_find(const struct nr_wstore *s, uint32_t rule, const char *key)
{
    uint64_t h = key_hash(rule, key);
    for (struct nr_wkey *k = s->tab[h & s->mask]; k; k = k->hnext)
        if (k->hash == h && k->rule == rule && strcmp(k->key, key) == 0)
            return k;
    return NULL;
}

static void grow_table(struct nr_wstore *s)
{
    size_t nsz = (s->mask + 1) * 2;
    struct nr_wkey **nt = nr_xcalloc(nsz, sizeof(*nt));
    for (size_t i = 0; i <= s->mask; i++) {
        struct nr_wkey *k = s->tab[i];
        while (k) {
            struct nr_wkey *next = k->hnext;
            k->hnext = nt[k->hash & (nsz - 1)];
            nt[k->hash & (nsz - 1)] = k;
            k = next;
        }
    }
    free(s->tab);
    s->tab = nt;
    s->mask = nsz - 1;
}

/* A new, empty key, not yet in the store: one allocation holds the key,
 * the episode bits, both rings' counters and the key string. */
static struct nr_wkey *key_alloc(const struct nr_alert_rule *r, uint32_t rule, const char *key)
{
    uint32_t nf, nc;
    nr_window_geometry(r, &nf, &nc);
    size_t kl = strlen(key);
    size_t bits = excl_words(nc) * sizeof(uint64_t);
    size_t counters = ((size_t)nf + nc) * sizeof(uint32_t);
    struct nr_wkey *k = nr_xcalloc(1, sizeof(*k) + bits + counters + kl + 1);
    k->coarse.excl = (uint64_t *)(k + 1);
    k->fine.count = (uint32_t *)((uint8_t *)(k + 1) + bits);
    k->coarse.count = k->fine.count + nf;
    k->key = (char *)(k->fine.count + nf + nc);
    memcpy(k->key, key, kl + 1);
    k->rule = rule;
    k->hash = key_hash(rule, key);
    k->last_event_ms = NR_TIME_NONE;
    k->fine.n = nf;
    k->coarse.n = nc;
    k->fine.width = r->bucket_ms;
    k->coarse.width = r->baseline_bucket_ms;
    k->fine.head = k->coarse.head = NR_TIME_NONE;
    k->det.episode_start_ms = NR_TIME_NONE;
    k->det.last_fire_ms = NR_TIME_NONE;
    k->det.last_eval_bucket = NR_TIME_NONE;
    return k;
}

/* Link k into the store (evicting first if full). */
static void key_link(struct nr_wstore *s, struct nr_wkey *k)
{
    while (s->n >= s->max && s->lru_tail) {
        remove_key(s, s->lru_tail);
        s->evicted++;
    }
    if (s->n + 1 > s->mask + 1)
        grow_table(s);
    k->hnext = s->tab[k->hash & s->mask];
    s->tab[k->hash & s->mask] = k;
    lru_push_front(s, k);
    s->n++;
}

struct nr_wkey *nr_wstore_get(struct nr_wstore *s, const struct nr_count_event *ev, bool *created)
{
    struct nr_wkey *k = nr_wstore_find(s, ev->rule, ev->key);
    if (k) {
        lru_unlink(s, k);
        lru_push_front(s, k);
        if (created)
            *created = false;
        return k;
    }
    k = key_alloc(&s->cfg->rules[ev->rule], ev->rule, ev->key);
    key_link(s, k);
    k->n_dims = ev->n_dims;
    memcpy(k->dims, ev->dims, sizeof(k->dims));
    if (created)
        *created = true;
    return k;
}

size_t nr_wstore_evict_idle(struct nr_wstore *s, int64_t stream_ms, size_t budget)
{
    size_t done = 0;
    int64_t idle = s->cfg->engine.idle_evict_ms;
    if (idle <= 0)
        return 0;
    while (done < budget && s->lru_tail) {
        struct nr_wkey *k = s->lru_tail;
        /* a key that never counted anything (all late) is idle too */
        if (k->in_fire ||
            (k->last_event_ms != NR_TIME_NONE && k->last_event_ms >= stream_ms - idle))
            break;
        remove_key(s, k);
        s->evicted++;
        done++;
    }
    return done;
}

/* ---- snapshot --------------------------------------------------------------- */

/*
 * Format version 5, little-endian; str = u32 length + bytes (no NUL).
 *
 *   u32 magic "NRWK", u32 version
 *   str rule id, str key
 *   u32 n_by, n_by x str     the rule's `by` words when written
 *   u32 n_ent, n_ent x str   entity ids the key refers to (table T)
 *   u32 n_dims, n_dims x (u32 by index, u32 index into T)
 *     or, for a role-derived official, (u32 by index | 1 << 31, str its
 *     folded name: the dimension's id, not in the config)
 *   u64 last_event_ms
 *   2 x ring: u32 n, u64 width ms, u64 head bucket, n x u32 counts (slot order)
 *   ceil(coarse n / 64) x u64   the coarse ring's episode bits (bit i of
 *     word i / 64 = slot i's bucket was in an alert episode)
 *   u8 firing, u8 severity, u64 episode_start, last_fire, last_eval_bucket,
 *   u64 alert_id
 *   u32 n_hist, each: u64 id_hash, simhash, event_ms, published_ms, u8 present,
 *     u8 duplicate, u8 language length (0 unknown, else 2 or 3), that many
 *     lowercase ASCII letters (the lang.h tag), 5 x u32 string length,
 *     str strings (5 NUL-terminated), u32 n_co, n_co x (u32 index into T,
 *     u32 mentions)
 *
 * Version 5 added the language (alert evidence shows it); versions 2 to 4
 * are read as entries of unknown language. Version 4 added the episode bits
 * (rule option exclude_alerts). Version 3 (no bits: past episodes are
 * forgotten, the one firing now is still known from the detector state) is
 * still read. Version 3 added the five lengths: an id or title may hold a
 * NUL (JSON's \u0000), so the strings cannot be found by their terminators.
 * Version 2 (no lengths; strings without NULs inside) is still read.
 *
 * Rules and entities are named by id and resolved against the config of the
 * store restored into, so a snapshot survives rules and entities being
 * reordered, added or removed. Per key, restore rejects: a rule that is
 * gone, a changed `by`, a dimension entity that is gone or changed kind, a
 * bucket width that is not a multiple of the stored one. A ring whose
 * length changed (window or baseline) or whose bucket width became a
 * multiple of the old one is re-bucketed: counts move to the bucket holding
 * their time, those older than the new ring are dropped, and a longer ring
 * starts with zeros for the time the old one did not cover. Co-mentioned
 * entities that are gone are dropped from the history entry; a shorter
 * `history` keeps the newest entries.
 */
#define SNAP_MAGIC     0x4b57524eu /* "NRWK" little-endian */
#define SNAP_VERSION   5u
#define SNAP_VERSION_4 4u                      /* read too: no language */
#define SNAP_VERSION_3 3u                      /* read too: no episode bits */
#define SNAP_VERSION_2 2u                      /* read too: strings found by their NULs */
#define SNAP_ID_MAX    4096u                   /* bytes of an id or `by` word */
#define SNAP_DIM_DYN   (1u << 31)              /* dimension flag: a role-derived official */
#define SNAP_WIDTH_MAX (INT64_C(1) << 40)      /* ms per bucket, ~35 years */
#define SNAP_TIME_LIM  (INT64_C(1) << 61)      /* |bucket index x width| bound */
#define SNAP_HIST_MIN  (4 * 8 + 2 + 4 + 5 + 4) /* bytes of the smallest entry */

struct wbuf {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
    nr_grow((void **)&w->p, &w->cap, w->n + n, 1);
    memcpy(w->p + w->n, src, n);
    w->n += n;
}

static void put_u64(struct wbuf *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 8);
}

static void put_u32(struct wbuf *w, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 4);
}

static void put_u8(struct wbuf *w, uint8_t v)
{
    put(w, &v, 1);
}

static void put_str(struct wbuf *w, const char *s, size_t n)
{
    put_u32(w, (uint32_t)n);
    put(w, s, n);
}

static void put_ring(struct wbuf *w, const struct nr_ring *r)
{
    put_u32(w, r->n);
    put_u64(w, (uint64_t)r->width);
    put_u64(w, (uint64_t)r->head);
    for (uint32_t i = 0; i < r->n; i++)
        put_u32(w, r->count[i]);
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Position of config entity e in the sorted table t. */
static uint32_t tab_index(const uint32_t *t, size_t n, uint32_t e)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid] < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

int nr_window_key_snapshot(const struct nr_wstore *s, const struct nr_wkey *k, uint8_t **out,
                           size_t *out_len)
{
    const struct nr_config *cfg = s->cfg;
    *out = NULL;
    *out_len = 0;
    if (k->rule >= cfg->n_rules || k->n_dims > NR_EVENT_MAX_DIMS)
        return -1;
    const struct nr_alert_rule *r = &cfg->rules[k->rule];
    /* the entity table: every entity the key refers to, once */
    size_t n_refs = k->n_dims;
    for (uint32_t i = 0; i < k->hist.n; i++)
        n_refs += nr_history_at(&k->hist, i)->n_co;
    uint32_t *ents = nr_xmalloc((n_refs ? n_refs : 1) * sizeof(uint32_t));
    size_t n_ent = 0;
    for (uint32_t i = 0; i < k->n_dims; i++)
        if (k->dims[i].entity != NR_NO_ENTITY) /* role-derived officials go inline */
            ents[n_ent++] = k->dims[i].entity;
    for (uint32_t i = 0; i < k->hist.n; i++) {
        const struct nr_hist_entry *e = nr_history_at(&k->hist, i);
        for (uint32_t j = 0; j < e->n_co; j++)
            ents[n_ent++] = e->co[j].entity;
    }
    qsort(ents, n_ent, sizeof(*ents), u32_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n_ent; i++)
        if (m == 0 || ents[m - 1] != ents[i])
            ents[m++] = ents[i];
    n_ent = m;
    for (size_t i = 0; i < n_ent; i++)
        if (ents[i] >= cfg->n_entities) {
            free(ents);
            return -1;
        }

    struct wbuf w = {0};
    put_u32(&w, SNAP_MAGIC);
    put_u32(&w, SNAP_VERSION);
    put_str(&w, r->id, strlen(r->id));
    put_str(&w, k->key, strlen(k->key));
    put_u32(&w, (uint32_t)r->by.n);
    for (size_t i = 0; i < r->by.n; i++)
        put_str(&w, r->by.v[i], strlen(r->by.v[i]));
    put_u32(&w, (uint32_t)n_ent);
    for (size_t i = 0; i < n_ent; i++) {
        const char *id = cfg->entities[ents[i]].id;
        put_str(&w, id, strlen(id));
    }
    put_u32(&w, k->n_dims);
    for (uint32_t i = 0; i < k->n_dims; i++) {
        const struct nr_event_dim *d = &k->dims[i];
        put_u32(&w, d->by | (d->entity == NR_NO_ENTITY ? SNAP_DIM_DYN : 0));
        if (d->entity == NR_NO_ENTITY) /* a role-derived official: its name inline */
            put_str(&w, k->key + d->key_off, d->key_len);
        else
            put_u32(&w, tab_index(ents, n_ent, d->entity));
    }
    put_u64(&w, (uint64_t)k->last_event_ms);
    put_ring(&w, &k->fine);
    put_ring(&w, &k->coarse);
    for (size_t i = 0; i < excl_words(k->coarse.n); i++)
        put_u64(&w, k->coarse.excl[i]);
    put_u8(&w, k->det.firing);
    put_u8(&w, k->det.severity);
    put_u64(&w, (uint64_t)k->det.episode_start_ms);
    put_u64(&w, (uint64_t)k->det.last_fire_ms);
    put_u64(&w, (uint64_t)k->det.last_eval_bucket);
    put_u64(&w, k->det.alert_id);
    put_u32(&w, k->hist.n);
    for (uint32_t i = 0; i < k->hist.n; i++) {
        const struct nr_hist_entry *e = nr_history_at(&k->hist, i);
        put_u64(&w, e->id_hash);
        put_u64(&w, e->simhash);
        put_u64(&w, (uint64_t)e->event_ms);
        put_u64(&w, (uint64_t)e->published_ms);
        put_u8(&w, e->present);
        put_u8(&w, e->duplicate);
        size_t ll = strnlen(e->lang, sizeof(e->lang) - 1);
        put_u8(&w, (uint8_t)ll);
        put(&w, e->lang, ll);
        for (int j = 0; j < 5; j++)
            put_u32(&w, e->slen[j]);
        put_str(&w, e->strs, e->strs_len);
        put_u32(&w, e->n_co);
        for (uint32_t j = 0; j < e->n_co; j++) {
            put_u32(&w, tab_index(ents, n_ent, e->co[j].entity));
            put_u32(&w, e->co[j].mentions);
        }
    }
    free(ents);
    *out = w.p;
    *out_len = w.n;
    return 0;
}

struct rbuf {
    const uint8_t *p;
    size_t n, off;
    bool bad;
};

static bool need(struct rbuf *r, size_t n)
{
    if (r->bad || r->n - r->off < n) {
        r->bad = true;
        return false;
    }
    return true;
}

static size_t left(const struct rbuf *r)
{
    return r->bad ? 0 : r->n - r->off;
}

static uint64_t get_u64(struct rbuf *r)
{
    if (!need(r, 8))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->p[r->off + i] << (8 * i);
    r->off += 8;
    return v;
}

static uint32_t get_u32(struct rbuf *r)
{
    if (!need(r, 4))
        return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)r->p[r->off + i] << (8 * i);
    r->off += 4;
    return v;
}

static uint8_t get_u8(struct rbuf *r)
{
    if (!need(r, 1))
        return 0;
    return r->p[r->off++];
}

/* Borrowed view of a length-prefixed string of at most max bytes. */
static const uint8_t *get_str(struct rbuf *r, size_t max, size_t *len)
{
    uint32_t n = get_u32(r);
    *len = 0;
    if (r->bad || n > max || !need(r, n)) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    *len = n;
    return p;
}

static bool str_is(const uint8_t *p, size_t len, const char *s)
{
    return s && strlen(s) == len && memcmp(p, s, len) == 0;
}

/* A printable copy of untrusted bytes for an error message. */
static const char *show(const uint8_t *p, size_t len, char *out, size_t cap)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    out[n] = '\0';
    return out;
}

/* A time (or bucket index) from a snapshot: NR_TIME_NONE or small enough
 * that the window arithmetic cannot overflow. */
static bool sane_time(int64_t t)
{
    return t == NR_TIME_NONE || (t > -SNAP_TIME_LIM && t < SNAP_TIME_LIM);
}

static uint64_t ent_hash(const void *p, size_t len)
{
    return nr_hash64(p, len, 0x656e74);
}

/* Config entity index of an id, or -1; the id table is built on first use
 * (restore is rare: a rebalance or a reload). */
static int ent_lookup(struct nr_wstore *s, const uint8_t *id, size_t len)
{
    const struct nr_config *cfg = s->cfg;
    if (!s->ent_tab) {
        size_t sz = 16;
        while (sz < cfg->n_entities * 2)
            sz *= 2;
        s->ent_tab = nr_xcalloc(sz, sizeof(*s->ent_tab));
        s->ent_mask = sz - 1;
        for (size_t i = 0; i < cfg->n_entities; i++) {
            const char *e = cfg->entities[i].id;
            if (!e)
                continue;
            size_t h = (size_t)ent_hash(e, strlen(e)) & s->ent_mask;
            while (s->ent_tab[h])
                h = (h + 1) & s->ent_mask;
            s->ent_tab[h] = (uint32_t)i + 1;
        }
    }
    size_t h = (size_t)ent_hash(id, len) & s->ent_mask;
    for (; s->ent_tab[h]; h = (h + 1) & s->ent_mask)
        if (str_is(id, len, cfg->entities[s->ent_tab[h] - 1].id))
            return (int)s->ent_tab[h] - 1;
    return -1;
}

struct snap_ring {
    uint32_t n;
    int64_t width, head;
    const uint8_t *counts; /* n little-endian u32 in slot order */
    const uint8_t *excl;   /* the episode bits, little-endian u64 words; NULL: none */
};

/* The episode bits of a ring just read (version 4 on; before, none). */
static bool get_excl(struct rbuf *r, struct snap_ring *sr, uint32_t version)
{
    sr->excl = NULL;
    if (version < SNAP_VERSION_4)
        return true;
    size_t n = excl_words(sr->n) * 8;
    if (!need(r, n))
        return false;
    sr->excl = r->p + r->off;
    r->off += n;
    return true;
}

static bool snap_excl(const struct snap_ring *sr, int64_t b)
{
    if (!sr->excl)
        return false;
    int64_t m = b % (int64_t)sr->n;
    size_t i = (size_t)(m < 0 ? m + (int64_t)sr->n : m);
    return (sr->excl[i >> 3] >> (i & 7)) & 1u;
}

static void set_excl(struct nr_ring *ring, int64_t b)
{
    size_t i = slot(ring, b);
    ring->excl[i >> 6] |= UINT64_C(1) << (i & 63);
}

static bool get_ring(struct rbuf *r, struct snap_ring *sr)
{
    sr->excl = NULL;
    sr->n = get_u32(r);
    sr->width = (int64_t)get_u64(r);
    sr->head = (int64_t)get_u64(r);
    if (r->bad || sr->n == 0 || sr->width <= 0 || sr->width > SNAP_WIDTH_MAX ||
        left(r) / 4 < sr->n || !sane_time(sr->head))
        return false;
    /* every bucket index b in (head - n, head] must keep b x width in range */
    if (sr->head != NR_TIME_NONE) {
        uint64_t mag = sr->head < 0 ? (uint64_t)(-sr->head) : (uint64_t)sr->head;
        if (mag + sr->n > (uint64_t)(SNAP_TIME_LIM / sr->width))
            return false;
    }
    sr->counts = r->p + r->off;
    r->off += (size_t)sr->n * 4;
    return true;
}

static uint32_t snap_count(const struct snap_ring *sr, int64_t b)
{
    int64_t m = b % (int64_t)sr->n;
    const uint8_t *p = sr->counts + 4 * (size_t)(m < 0 ? m + (int64_t)sr->n : m);
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Put the stored counts into ring (the rule's current geometry). */
static int ring_fit(struct nr_ring *ring, const struct snap_ring *sr, const char *what,
                    struct nr_error *err)
{
    if (sr->head == NR_TIME_NONE)
        return 0; /* never written: the fresh ring is the same */
    if (sr->width == ring->width && sr->n == ring->n) {
        ring->head = sr->head;
        for (uint32_t i = 0; i < sr->n; i++) {
            ring->count[i] = snap_count(sr, i);
            if (ring->excl && snap_excl(sr, i))
                set_excl(ring, i);
        }
        return 0;
    }
    if (ring->width % sr->width != 0) {
        nr_error_set(err,
                     "snapshot: %s bucket changed from %lld ms to %lld ms (not a multiple): "
                     "cannot re-bucket",
                     what, (long long)sr->width, (long long)ring->width);
        return -1;
    }
    ring->head = nr_floordiv(sr->head * sr->width, ring->width);
    for (int64_t b = sr->head - (int64_t)sr->n + 1; b <= sr->head; b++) {
        int64_t nb = nr_floordiv(b * sr->width, ring->width);
        if (nb <= ring->head - (int64_t)ring->n)
            continue; /* older than the new ring */
        uint32_t c = snap_count(sr, b);
        uint32_t *dst = &ring->count[slot(ring, nb)];
        *dst = UINT32_MAX - *dst < c ? UINT32_MAX : *dst + c;
        if (ring->excl && snap_excl(sr, b)) /* a bucket holding any of an episode is one */
            set_excl(ring, nb);
    }
    return 0;
}

struct snap_ent {
    const uint8_t *id;
    size_t len;
    int idx; /* in the config restored into, -1 if gone */
};

int nr_window_key_restore(struct nr_wstore *s, const uint8_t *buf, size_t len, struct nr_wkey **out,
                          struct nr_error *err)
{
    struct rbuf r = {buf, len, 0, false};
    const struct nr_config *cfg = s->cfg;
    struct nr_wkey *k = NULL;
    struct snap_ent *ents = NULL;
    char key[NR_EVENT_KEY_MAX], chk[NR_EVENT_KEY_MAX], txt[80];
    size_t l;
    if (out)
        *out = NULL;
    uint32_t magic = get_u32(&r), version = get_u32(&r);
    if (r.bad || magic != SNAP_MAGIC) {
        nr_error_set(err, "snapshot: not a window key snapshot");
        return -1;
    }
    if (version < SNAP_VERSION_2 || version > SNAP_VERSION) {
        nr_error_set(err, "snapshot: format version %u, this build reads versions %u to %u",
                     version, SNAP_VERSION_2, SNAP_VERSION);
        return -1;
    }
    const uint8_t *rid = get_str(&r, SNAP_ID_MAX, &l);
    if (r.bad)
        goto truncated;
    int rule = -1;
    for (size_t i = 0; i < cfg->n_rules && rule < 0; i++)
        if (str_is(rid, l, cfg->rules[i].id))
            rule = (int)i;
    if (rule < 0) {
        nr_error_set(err, "snapshot: rule \"%s\" is not in the config",
                     show(rid, l, txt, sizeof(txt)));
        return -1;
    }
    const struct nr_alert_rule *ru = &cfg->rules[rule];
    const uint8_t *kp = get_str(&r, NR_EVENT_KEY_MAX - 1, &l);
    if (r.bad)
        goto truncated;
    if (memchr(kp, 0, l)) {
        nr_error_set(err, "snapshot: bad key");
        return -1;
    }
    memcpy(key, kp, l);
    key[l] = '\0';
    uint32_t n_by = get_u32(&r);
    if (r.bad)
        goto truncated;
    if (n_by > NR_EVENT_MAX_DIMS) {
        nr_error_set(err, "snapshot: bad dimensions");
        return -1;
    }
    bool same_by = n_by == ru->by.n;
    for (uint32_t i = 0; i < n_by; i++) {
        const uint8_t *w = get_str(&r, SNAP_ID_MAX, &l);
        if (r.bad)
            goto truncated;
        if (same_by && !str_is(w, l, ru->by.v[i]))
            same_by = false;
    }
    if (!same_by) {
        nr_error_set(err, "snapshot: rule %s: `by` changed; key \"%s\" dropped", ru->id,
                     show((const uint8_t *)key, strlen(key), txt, sizeof(txt)));
        return -1;
    }
    uint32_t n_ent = get_u32(&r);
    if (r.bad || n_ent > left(&r) / 4)
        goto truncated;
    ents = nr_xmalloc((n_ent ? n_ent : 1) * sizeof(*ents));
    for (uint32_t i = 0; i < n_ent; i++) {
        ents[i].id = get_str(&r, SNAP_ID_MAX, &ents[i].len);
        if (r.bad)
            goto truncated;
        ents[i].idx = ent_lookup(s, ents[i].id, ents[i].len);
    }
    struct nr_event_dim dims[NR_EVENT_MAX_DIMS];
    const char *names[NR_EVENT_MAX_DIMS] = {NULL};
    size_t lens[NR_EVENT_MAX_DIMS] = {0};
    uint32_t nd = get_u32(&r);
    if (r.bad)
        goto truncated;
    if (nd != n_by) {
        nr_error_set(err, "snapshot: bad dimensions");
        goto fail;
    }
    for (uint32_t i = 0; i < nd; i++) {
        uint32_t by = get_u32(&r);
        if (r.bad)
            goto truncated;
        if (by & SNAP_DIM_DYN) { /* a role-derived official */
            by &= ~SNAP_DIM_DYN;
            const uint8_t *nm = get_str(&r, NR_EVENT_DYN_MAX, &l);
            if (r.bad)
                goto truncated;
            if (!nr_event_dyn_ok(ru, by, nm, l)) {
                nr_error_set(err, "snapshot: bad dimension %u", i);
                goto fail;
            }
            names[i] = (const char *)nm; /* nr_event_key_dyn copies lens[i] bytes */
            lens[i] = l;
            dims[i] = (struct nr_event_dim){.by = by, .entity = NR_NO_ENTITY};
            continue;
        }
        uint32_t ti = get_u32(&r);
        if (r.bad)
            goto truncated;
        if (by >= n_by || ti >= n_ent) {
            nr_error_set(err, "snapshot: bad dimension %u", i);
            goto fail;
        }
        if (ents[ti].idx < 0) {
            nr_error_set(err, "snapshot: key \"%s\": entity \"%s\" is not in the config",
                         show((const uint8_t *)key, strlen(key), chk, sizeof(txt)),
                         show(ents[ti].id, ents[ti].len, txt, sizeof(txt)));
            goto fail;
        }
        const struct nr_entity *e = &cfg->entities[ents[ti].idx];
        if (strcmp(ru->by.v[by], "entity") != 0 && strcmp(ru->by.v[by], e->kind) != 0) {
            nr_error_set(err, "snapshot: key \"%s\": entity %s is no longer a %s", key, e->id,
                         ru->by.v[by]);
            goto fail;
        }
        dims[i] = (struct nr_event_dim){.by = by, .entity = (uint32_t)ents[ti].idx};
    }
    if (nr_event_key_dyn(cfg, ru, dims, nd, names, lens, chk) < 0 || strcmp(chk, key) != 0) {
        nr_error_set(err, "snapshot: key \"%s\" does not match its dimensions",
                     show((const uint8_t *)key, strlen(key), txt, sizeof(txt)));
        goto fail;
    }

    k = key_alloc(ru, (uint32_t)rule, key);
    k->n_dims = nd;
    memcpy(k->dims, dims, nd * sizeof(dims[0]));
    k->last_event_ms = (int64_t)get_u64(&r);
    struct snap_ring fine, coarse;
    if (!get_ring(&r, &fine) || !get_ring(&r, &coarse) || !get_excl(&r, &coarse, version)) {
        nr_error_set(err, "snapshot: bad or truncated ring");
        goto fail;
    }
    if (ring_fit(&k->fine, &fine, "window", err) != 0 ||
        ring_fit(&k->coarse, &coarse, "baseline", err) != 0)
        goto fail;
    k->det.firing = get_u8(&r) != 0;
    k->det.severity = get_u8(&r);
    k->det.episode_start_ms = (int64_t)get_u64(&r);
    k->det.last_fire_ms = (int64_t)get_u64(&r);
    k->det.last_eval_bucket = (int64_t)get_u64(&r);
    k->det.alert_id = get_u64(&r);
    uint32_t nh = get_u32(&r);
    if (r.bad)
        goto truncated;
    if (k->det.severity > NR_SEV_CRITICAL || nh > left(&r) / SNAP_HIST_MIN ||
        !sane_time(k->last_event_ms) || !sane_time(k->det.episode_start_ms) ||
        !sane_time(k->det.last_fire_ms) || !sane_time(k->det.last_eval_bucket)) {
        nr_error_set(err, "snapshot: bad detector state or history length");
        goto fail;
    }
    if (fine.width != k->fine.width)
        k->det.last_eval_bucket = NR_TIME_NONE; /* another bucket grid: evaluate again */
    for (uint32_t i = 0; i < nh; i++) {
        uint64_t id_hash = get_u64(&r), simhash = get_u64(&r);
        int64_t event_ms = (int64_t)get_u64(&r), published_ms = (int64_t)get_u64(&r);
        uint8_t present = get_u8(&r), dup = get_u8(&r);
        char lang[NR_LANG_TAG_MAX] = "";
        bool lang_ok = true;
        if (version == SNAP_VERSION) {
            uint32_t ll = get_u8(&r);
            const uint8_t *lp = NULL;
            if (ll < NR_LANG_TAG_MAX && need(&r, ll)) {
                lp = r.p + r.off;
                r.off += ll;
            }
            lang_ok = lp && ll != 1;
            for (uint32_t j = 0; lang_ok && j < ll; j++)
                lang_ok = lp[j] >= 'a' && lp[j] <= 'z';
            if (lang_ok && ll)
                memcpy(lang, lp, ll);
        }
        uint32_t slen[5] = {0};
        for (int j = 0; j < 5 && version != SNAP_VERSION_2; j++)
            slen[j] = get_u32(&r);
        const uint8_t *sp = get_str(&r, 1u << 24, &l);
        uint32_t n_co = get_u32(&r);
        if (r.bad)
            goto truncated;
        bool strs_ok = l > 0 && sp[l - 1] == 0;
        if (version == SNAP_VERSION_2) {
            size_t nuls = 0;
            for (size_t j = 0; j < l; j++)
                nuls += sp[j] == 0;
            strs_ok = strs_ok && nuls == 5;
        } else {
            /* the lengths must tile the strings, each followed by its NUL */
            size_t off = 0;
            for (int j = 0; j < 5 && strs_ok; j++) {
                off += slen[j];
                strs_ok = off < l && sp[off] == 0;
                off++;
            }
            strs_ok = strs_ok && off == l;
        }
        if (!strs_ok || !lang_ok || !(present & 1u) || (present & ~0x1fu) || dup > 1 ||
            !sane_time(event_ms) || !sane_time(published_ms) || n_co > NR_EVENT_MAX_CO) {
            nr_error_set(err, "snapshot: bad history entry %u", i);
            goto fail;
        }
        struct nr_event_co co[NR_EVENT_MAX_CO];
        uint32_t kept = 0;
        for (uint32_t j = 0; j < n_co; j++) {
            uint32_t ti = get_u32(&r), mentions = get_u32(&r);
            if (r.bad)
                goto truncated;
            if (ti >= n_ent) {
                nr_error_set(err, "snapshot: bad co-mention in entry %u", i);
                goto fail;
            }
            if (ents[ti].idx < 0)
                continue; /* no longer in the config: drop it */
            co[kept].entity = (uint32_t)ents[ti].idx;
            co[kept].mentions = mentions;
            kept++;
        }
        /* a shorter `history` keeps the newest entries: the ring drops the oldest */
        struct nr_hist_entry *e = nr_history_append(&k->hist, cfg->engine.history);
        if (!e)
            continue;
        nr_hist_entry_reserve(e, kept, l);
        e->id_hash = id_hash;
        e->simhash = simhash;
        e->event_ms = event_ms;
        e->published_ms = published_ms;
        e->present = present;
        e->duplicate = dup != 0;
        memcpy(e->lang, lang, sizeof(lang));
        memcpy(e->strs, sp, l);
        if (version == SNAP_VERSION_2)
            (void)nr_hist_entry_split(e); /* checked above: five NULs, the last at the end */
        else
            memcpy(e->slen, slen, sizeof(slen));
        if (kept)
            memcpy(e->co, co, kept * sizeof(co[0]));
    }
    if (r.off != r.n) {
        nr_error_set(err, "snapshot: %zu trailing bytes", r.n - r.off);
        goto fail;
    }
    free(ents);
    struct nr_wkey *old = nr_wstore_find(s, (uint32_t)rule, key);
    if (old)
        remove_key(s, old);
    key_link(s, k);
    if (k->det.firing)
        nr_wstore_fire_add(s, k);
    if (out)
        *out = k;
    return 0;
truncated:
    nr_error_set(err, "snapshot: truncated or malformed at byte %zu of %zu", r.off, len);
fail:
    key_free(k);
    free(ents);
    return -1;
}
