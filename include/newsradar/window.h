/*
 * window.h - per-key event-time counts and the bounded store of keys.
 *
 * A key (rule, key string) owns two rings of counters: fine buckets covering
 * the short window (window / bucket of them) and coarse buckets covering the
 * baseline plus the window (so the baseline can exclude the short window).
 * Besides counts a key carries its dedup history and detector state, and the
 * whole of it can be serialised (nr_window_key_snapshot) for a changelog.
 *
 * The store is a chained hash table with an LRU list (least recently
 * updated at the tail) and a list of firing keys; at most max_keys keys.
 */
#ifndef NEWSRADAR_WINDOW_H
#define NEWSRADAR_WINDOW_H

#include "newsradar/common.h"
#include "newsradar/config.h"
#include "newsradar/dedup.h"
#include "newsradar/detect.h"
#include "newsradar/event.h"

/* Floor division for possibly negative times. */
static inline int64_t nr_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

struct nr_ring {
    uint32_t n;      /* buckets */
    int64_t width;   /* ms per bucket */
    int64_t head;    /* highest bucket index written; slots (head-n, head] valid */
    uint32_t *count; /* n counters, slot = index mod n */
    uint64_t *excl;  /* coarse ring: n bits, slot's bucket was in an alert episode; else NULL */
};

struct nr_wkey {
    uint32_t rule;
    char *key;
    uint64_t hash;
    uint32_t n_dims;
    struct nr_event_dim dims[NR_EVENT_MAX_DIMS];
    int64_t last_event_ms; /* latest event time of this key */
    struct nr_ring fine, coarse;
    struct nr_history hist;
    struct nr_detect_state det;
    /* store links */
    struct nr_wkey *hnext, *lru_prev, *lru_next, *fire_prev, *fire_next;
    bool in_fire;
};

/* Ring geometry of a rule: fine = window/bucket, coarse covers baseline +
 * window + 2 buckets of slack. */
void nr_window_geometry(const struct nr_alert_rule *r, uint32_t *n_fine, uint32_t *n_coarse);

/* Add one event at t_ms. Returns false if t is older than the coarse ring
 * (relative to stream_ms): nothing counted (late_dropped). */
bool nr_window_add(struct nr_wkey *k, int64_t t_ms, int64_t stream_ms);

/* Count in the fine buckets [S - n + 1, S], S = bucket of stream_ms; and that
 * window's [start, end). */
uint32_t nr_window_count(const struct nr_wkey *k, int64_t stream_ms, int64_t *start_ms,
                         int64_t *end_ms);

/* Expected count per window from the coarse buckets wholly before the
 * window start, scaled by the time actually observed since first_seen_ms
 * (at least one window); then max(expected, floor). With the rule's
 * exclude_alerts, buckets of alert episodes (nr_window_in_episode) are left
 * out of both the sum and the observed time when nr_window_excluding says
 * so. */
double nr_window_expected(const struct nr_wkey *k, const struct nr_alert_rule *r,
                          int64_t window_start_ms, int64_t first_seen_ms);

/* Coarse bucket b belonged to an alert episode of the key: marked by
 * nr_window_mark_episode, or at or after the start of the episode firing
 * now. */
static inline bool nr_window_in_episode(const struct nr_wkey *k, int64_t b)
{
    const struct nr_ring *r = &k->coarse;
    if (k->det.firing && k->det.episode_start_ms != NR_TIME_NONE &&
        (b + 1) * r->width > k->det.episode_start_ms)
        return true;
    if (r->head == NR_TIME_NONE || b > r->head || b <= r->head - (int64_t)r->n)
        return false;
    int64_t m = b % (int64_t)r->n;
    size_t i = (size_t)(m < 0 ? m + (int64_t)r->n : m);
    return (r->excl[i >> 6] >> (i & 63)) & 1u;
}

/* Mark the coarse buckets overlapping [from_ms, to_ms] as an episode's (an
 * episode that resolved at stream time to_ms); to_ms must not be older
 * than the ring. O(buckets marked). */
void nr_window_mark_episode(struct nr_wkey *k, int64_t from_ms, int64_t to_ms);

/* The rule leaves episodes out of the baseline and the key has one in its
 * ring (or is firing): O(ring / 64). */
bool nr_window_has_episode(const struct nr_wkey *k, const struct nr_alert_rule *r);

/* Whether the flat baseline [lo, c_end) (coarse bucket indices, observed
 * from from_ms) leaves the episodes out: nr_window_has_episode, and the
 * clean observed time is at least the episodes' and at least one window
 * (a key in episodes most of the time is normally that busy). *excl_ms gets
 * the observed time in episodes (0 when false). */
bool nr_window_excluding(const struct nr_wkey *k, const struct nr_alert_rule *r, int64_t lo,
                         int64_t c_end, int64_t from_ms, int64_t *excl_ms);

/* ---- the store ------------------------------------------------------------- */

struct nr_wstore;

struct nr_wstore *nr_wstore_new(const struct nr_config *cfg);
void nr_wstore_free(struct nr_wstore *s);

/* Find (rule, key) or create it (evicting the least recently updated key if
 * the store is full). The key moves to the LRU front. *created tells which. */
struct nr_wkey *nr_wstore_get(struct nr_wstore *s, const struct nr_count_event *ev, bool *created);
struct nr_wkey *nr_wstore_find(const struct nr_wstore *s, uint32_t rule, const char *key);
/* Evict at most `budget` keys whose last event is older than stream - idle. */
size_t nr_wstore_evict_idle(struct nr_wstore *s, int64_t stream_ms, size_t budget);

/* Iterate every key, most recently updated first. Do not add or remove keys
 * of this store while iterating. */
struct nr_wkey *nr_wstore_first(const struct nr_wstore *s);
struct nr_wkey *nr_wstore_next(const struct nr_wstore *s, const struct nr_wkey *k);

size_t nr_wstore_count(const struct nr_wstore *s);
uint64_t nr_wstore_evicted(const struct nr_wstore *s);
size_t nr_wstore_firing(const struct nr_wstore *s); /* keys on the firing list */

void nr_wstore_fire_add(struct nr_wstore *s, struct nr_wkey *k);
void nr_wstore_fire_del(struct nr_wstore *s, struct nr_wkey *k);
struct nr_wkey *nr_wstore_fire_first(const struct nr_wstore *s);

/* Serialise one key's full state (rings, history, detector state) into a
 * versioned little-endian byte buffer (caller frees *out). Rules and
 * entities are named by id, not by index (format 5, src/window_snapshot.c,
 * which also reads formats 2 to 4). */
int nr_window_key_snapshot(const struct nr_wstore *s, const struct nr_wkey *k, uint8_t **out,
                           size_t *out_len);
/* Rebuild a key from a snapshot, possibly written under another config,
 * replacing any key with the same identity; ids are resolved against s's
 * config. -1 with a message (the store unchanged) when the rule is gone, its
 * `by` changed, a dimension's entity is gone or changed kind, a bucket width
 * cannot be re-bucketed, or the buffer is not a valid snapshot. A changed
 * ring length or a bucket width that is a multiple of the old one is
 * re-bucketed; co-mentioned entities that are gone are dropped. */
int nr_window_key_restore(struct nr_wstore *s, const uint8_t *buf, size_t len, struct nr_wkey **out,
                          struct nr_error *err);

#endif
