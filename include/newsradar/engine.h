/*
 * engine.h - the whole pipeline behind one interface, in two stages so that
 * the Kafka service can put a repartition topic between them:
 *
 *   stage 1 (any instance):  article -> tags -> count events (key, time, ref)
 *   stage 2 (key's owner):   count event -> window store -> detect -> alerts
 *
 * `replay`, `tag`, the tests and the benchmarks drive exactly this code.
 * The engine never reads the wall clock and does no I/O.
 */
#ifndef NEWSRADAR_ENGINE_H
#define NEWSRADAR_ENGINE_H

#include "newsradar/alert.h"
#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/event.h"
#include "newsradar/tagger.h"

struct nr_engine;

struct nr_engine_stats {
    uint64_t articles;     /* decoded and tagged */
    uint64_t rejected;     /* by nr_engine_process (bad input) */
    uint64_t tagged;       /* with >= 1 entity or topic */
    uint64_t events;       /* count events produced by stage 1 */
    uint64_t duplicates;   /* exact (same id) and near duplicates */
    uint64_t late;         /* events older than stream time - grace */
    uint64_t late_dropped; /* older than the whole baseline: counted here only */
    uint64_t alerts[4];    /* by state: firing, escalated, resolved, (unused) */
    uint64_t keys;         /* window keys alive now */
    uint64_t keys_evicted; /* dropped: store full (LRU) or idle past idle_evict */
    uint64_t keys_firing;  /* keys in a firing episode now; at the end of a replay,
                              the spikes that are still open (not resolved) */
    uint64_t future;       /* published more than engine.max_future after arrival */
    uint64_t utf8_repairs; /* invalid UTF-8 sequences replaced (article.invalid_utf8) */
    uint64_t boilerplate;  /* body segments blanked as their source's boilerplate */
    uint64_t field_errors[NR_FIELD_COUNT]; /* optional fields unreadable, read as absent */
};

typedef void (*nr_event_fn)(void *ud, const struct nr_count_event *ev);
typedef void (*nr_alert_fn)(void *ud, const struct nr_alert *alert);

/* The engine keeps a pointer to cfg; cfg must outlive it. */
struct nr_engine *nr_engine_new(const struct nr_config *cfg, struct nr_error *err);
void nr_engine_free(struct nr_engine *e);

const struct nr_tagger *nr_engine_tagger(const struct nr_engine *e);

/* Stage 2's detector (replay --report observes its evaluations). */
struct nr_detector *nr_engine_detector(struct nr_engine *e);

/* Called for each article nr_engine_feed tags, before its count events
 * (replay --report keeps the matched terms of evidence articles). */
typedef void (*nr_tag_fn)(void *ud, const struct nr_article *a, const struct nr_tags *t,
                          int64_t event_ms);
void nr_engine_set_tag_hook(struct nr_engine *e, nr_tag_fn fn, void *ud);

/* Stage 1: the count events of one tagged article (one per alert rule whose
 * topic matched, times the cross product of its `by` dimensions). event_ms is
 * the article's event time (published_at, else a fallback the caller chose). */
void nr_engine_events(struct nr_engine *e, const struct nr_article *a, const struct nr_tags *t,
                      int64_t event_ms, nr_event_fn fn, void *ud);

/* Stage 2: count one event in its key's windows and run detection; alerts
 * (firing, escalated, resolved) go to fn. */
void nr_engine_count(struct nr_engine *e, const struct nr_count_event *ev, nr_alert_fn fn,
                     void *ud);

/* Advance stream time without an event (resolves spikes that are over). */
void nr_engine_advance(struct nr_engine *e, int64_t stream_ms, nr_alert_fn fn, void *ud);

/* The event time of a decoded article, for every driver (pure: no state).
 * published_at, unless it is more than engine.max_future after arrival_ms
 * (then *future is set and, by engine.future_policy, the article is rejected
 * as future_published_at or its published time is ignored); else
 * fallback_ms (the message time); else stream_ms. NR_TIME_NONE arguments
 * are unknown. A time that cannot be had at all is invalid_published_at. */
enum nr_reject nr_engine_time(const struct nr_config *cfg, const struct nr_article *a,
                              int64_t fallback_ms, int64_t arrival_ms, int64_t stream_ms,
                              int64_t *out_ms, bool *future, struct nr_error *err);

/* Called for each article of a message that is rejected: index is the
 * article's place in the message (0 when it holds one). */
typedef void (*nr_reject_fn)(void *ud, size_t index, enum nr_reject r, const char *msg);

/* Offline driver used by replay: decode every article of one message (one
 * object, an array or an envelope), tag, stage 1 and stage 2 in process.
 * fallback_ms is used when an article has no published_at, arrival_ms for
 * the future-date check (both may be NR_TIME_NONE). Returns the number of
 * articles the message held (1 when it is rejected whole); each article
 * rejected is reported to rfn. */
size_t nr_engine_feed(struct nr_engine *e, const char *msg, size_t len, int64_t fallback_ms,
                      int64_t arrival_ms, nr_alert_fn fn, nr_reject_fn rfn, void *ud);

/* nr_engine_feed without an arrival time; returns NR_REJECT_NONE or the
 * reason of the first article rejected (err says more). */
enum nr_reject nr_engine_process(struct nr_engine *e, const char *msg, size_t len,
                                 int64_t fallback_ms, nr_alert_fn fn, void *ud,
                                 struct nr_error *err);

/* Counters so far. Nothing is pending inside the engine, so at the end of
 * input these are final; spikes still open stay open (keys_firing) and are
 * not resolved: no later article says they are over. */
void nr_engine_stats_get(const struct nr_engine *e, struct nr_engine_stats *out);

#endif
