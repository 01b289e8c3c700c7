/*
 * detect.h - spike tests and the per-key alert state machine, and the
 * detector: stage 2 of the engine (count event -> dedup -> window -> detect
 * -> alerts), free of tagging so the Kafka service can run it on the
 * instance that owns a key.
 *
 * States: idle -> firing (new episode, new alert_id) -> escalated (severity
 * rose; same id) -> resolved (the test fails; same id). A new episode for the
 * key cannot start within the rule's cooldown of the previous firing.
 */
#ifndef NEWSRADAR_DETECT_H
#define NEWSRADAR_DETECT_H

#include "newsradar/alert.h"
#include "newsradar/bytes.h"
#include "newsradar/common.h"
#include "newsradar/config.h"
#include "newsradar/event.h"

/* Per-key detector state (lives in the key, serialised with it). */
struct nr_detect_state {
    bool firing;
    uint8_t severity;         /* enum nr_severity of the episode so far */
    int64_t episode_start_ms; /* window start at first firing */
    int64_t last_fire_ms;     /* stream time of the last firing, NR_TIME_NONE */
    int64_t last_eval_bucket; /* fine bucket index of the last evaluation */
    uint64_t alert_id;
};

/* The state's part of a window key snapshot (format in window_snapshot.c):
 * u8 firing, u8 severity, u64 episode_start, last_fire, last_eval_bucket,
 * u64 alert_id. read only reads (r->bad when the bytes run out); valid says
 * whether what was read can be a detector's state. */
void nr_detect_state_write(struct nr_wbuf *w, const struct nr_detect_state *st);
void nr_detect_state_read(struct nr_rbuf *r, struct nr_detect_state *st);
bool nr_detect_state_valid(const struct nr_detect_state *st);

/* P(X >= k) for X ~ Poisson(lambda): the regularized lower incomplete gamma
 * P(k, lambda), computed in log space (series or continued fraction), exact
 * to ~1e-12 relative, no overflow for large k. k == 0 gives 1. */
double nr_poisson_tail(uint64_t k, double lambda);

/* P(X >= k) for X negative binomial with mean mu and variance phi x mu
 * (phi <= 1: Poisson): the regularized incomplete beta I_{1-1/phi}(k,
 * mu / (phi - 1)) by its continued fraction. k == 0 gives 1. */
double nr_negbin_tail(uint64_t k, double mu, double phi);

/* Severity of a ratio under the rule's thresholds (low below medium). */
enum nr_severity nr_detect_severity(const struct nr_alert_rule *r, double ratio);

/* The spike test; fills ratio and p (always computed). */
bool nr_detect_spike(const struct nr_alert_rule *r, uint32_t count, double expected, double *ratio,
                     double *p);

/* The same with the baseline's index of dispersion phi (used by `score:
 * negbin`; nr_detect_spike is phi = 1). */
bool nr_detect_spike_phi(const struct nr_alert_rule *r, uint32_t count, double expected, double phi,
                         double *ratio, double *p);

/* Stable id of an episode: nr_hash64 over rule id, key and window start. */
uint64_t nr_detect_alert_id(const char *rule_id, const char *key, int64_t window_start_ms);

/* ---- the detector (stage 2) ------------------------------------------- */

struct nr_detect_stats {
    uint64_t events;     /* events counted or examined */
    uint64_t duplicates; /* exact + near duplicates seen per key */
    uint64_t near_duplicates;
    uint64_t late;         /* older than stream time - grace */
    uint64_t late_dropped; /* older than the key's whole ring: not counted */
    uint64_t alerts[4];    /* firing, escalated, resolved */
    uint64_t keys, keys_evicted;
    uint64_t keys_firing; /* keys in a firing episode now */
};

struct nr_detector;
struct nr_wstore;

/* Validates the rules' time settings (err says which). */
struct nr_detector *nr_detector_new(const struct nr_config *cfg, struct nr_error *err);
void nr_detector_free(struct nr_detector *d);

void nr_detector_count(struct nr_detector *d, const struct nr_count_event *ev, nr_alert_cb fn,
                       void *ud);
/* Move stream time forward (never back) and re-evaluate firing keys. */
void nr_detector_advance(struct nr_detector *d, int64_t stream_ms, nr_alert_cb fn, void *ud);

void nr_detector_stats(const struct nr_detector *d, struct nr_detect_stats *out);
int64_t nr_detector_stream_ms(const struct nr_detector *d);
/* The detector's own time state (stream time, earliest counted event time;
 * NR_TIME_NONE when unknown), for a changelog next to the keys' snapshots. */
void nr_detector_meta(const struct nr_detector *d, int64_t *stream_ms, int64_t *first_seen_ms);
void nr_detector_set_meta(struct nr_detector *d, int64_t stream_ms, int64_t first_seen_ms);
struct nr_wstore *nr_detector_store(struct nr_detector *d);

/* Smallest window count that passes the rule's spike test against this
 * expected count (min_count, min_ratio and max_p together); UINT32_MAX when
 * no count up to 2^31 would. */
uint32_t nr_detect_threshold(const struct nr_alert_rule *r, double expected);
uint32_t nr_detect_threshold_phi(const struct nr_alert_rule *r, double expected, double phi);

/* ---- observing evaluations (replay --report) ------------------------------ */

/* One evaluation of a key: the window count at stream time t_ms, the
 * expected count and the firing threshold (nr_detect_threshold). */
struct nr_detect_obs {
    uint32_t rule; /* index into cfg->rules */
    const char *key;
    int64_t t_ms, window_start_ms;
    uint32_t count;
    double expected;
    uint32_t threshold;
};

typedef void (*nr_detect_obs_fn)(void *ud, const struct nr_detect_obs *o);

/* Call fn on every evaluation (fn NULL: off, the default). With an observer
 * the expected count is computed for quiet keys too (O(baseline buckets)
 * per event), so it is for back-tests, not the service. */
void nr_detector_set_observer(struct nr_detector *d, nr_detect_obs_fn fn, void *ud);

#endif
