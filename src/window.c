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
 * Snapshot (window_snapshot.c): a versioned little-endian record of
 * everything a key knows (rings, dedup history, detector state), so the
 * Kafka service can write it to a compacted changelog and rebuild the key on
 * another instance, or in a detector built from a reloaded config (rules and
 * entities by id).
 */
#include "window_int.h"

#include <stdlib.h>
#include <string.h>

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
        memset(r->excl, 0, window_excl_words(r->n) * sizeof(uint64_t));
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
                ring_zero(r, window_slot(r, i));
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
    size_t i = window_slot(r, lo);
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
    k->coarse.count[window_slot(&k->coarse, cb)]++;
    int64_t fb = nr_floordiv(t_ms, k->fine.width);
    if (ring_reach(&k->fine, fb))
        k->fine.count[window_slot(&k->fine, fb)]++;
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
        size_t i = window_slot(r, b);
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
    for (size_t i = 0; i < window_excl_words(k->coarse.n); i++)
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

void window_key_free(struct nr_wkey *k)
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
        window_key_free(k);
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

void window_key_remove(struct nr_wstore *s, struct nr_wkey *k)
{
    struct nr_wkey **pp = &s->tab[k->hash & s->mask];
    while (*pp && *pp != k)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = k->hnext;
    lru_unlink(s, k);
    nr_wstore_fire_del(s, k);
    s->n--;
    window_key_free(k);
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
struct nr_wkey *window_key_alloc(const struct nr_alert_rule *r, uint32_t rule, const char *key)
{
    uint32_t nf, nc;
    nr_window_geometry(r, &nf, &nc);
    size_t kl = strlen(key);
    size_t bits = window_excl_words(nc) * sizeof(uint64_t);
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
void window_key_link(struct nr_wstore *s, struct nr_wkey *k)
{
    while (s->n >= s->max && s->lru_tail) {
        window_key_remove(s, s->lru_tail);
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
    k = window_key_alloc(&s->cfg->rules[ev->rule], ev->rule, ev->key);
    window_key_link(s, k);
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
        window_key_remove(s, k);
        s->evicted++;
        done++;
    }
    return done;
}
