/*
 * engine.h - the pipeline, in two stages so that the Kafka service can put
 * a repartition topic between them:
 *
 *   stage 1 (nr_stage1, one per worker thread, any instance):
 *       message -> decode -> exact dedup -> tag -> count events (key, time, ref)
 *   stage 2 (nr_stage2, one per key range: the key's owner):
 *       count event -> window store -> near dedup -> detect -> alerts
 *
 * Every driver calls these same functions: `replay` and the tests through
 * nr_engine (both stages in process, below), `newsradar run` with one
 * nr_stage1 per worker and one nr_stage2 per repartition partition, the
 * benchmarks through either. A driver adds I/O, never logic: decoding,
 * duplicates, event time and stream time are decided here. The engine never
 * reads the wall clock (arrival and message times are arguments) and does
 * no I/O.
 */
#ifndef NEWSRADAR_ENGINE_H
#define NEWSRADAR_ENGINE_H

#include "newsradar/alert.h"
#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/detect.h"
#include "newsradar/event.h"
#include "newsradar/tagger.h"

struct nr_engine;

struct nr_engine_stats {
    uint64_t articles;        /* decoded and tagged */
    uint64_t rejected;        /* bad input (each article of a message counts) */
    uint64_t tagged;          /* with >= 1 entity or topic */
    uint64_t events;          /* count events produced by stage 1 */
    uint64_t duplicates;      /* exact (same id) and near duplicates */
    uint64_t late;            /* events older than stream time - grace */
    uint64_t late_dropped;    /* older than the whole baseline: counted here only */
    uint64_t late_articles;   /* articles (not events) older than stream time - grace */
    uint64_t alerts[4];       /* by state: firing, escalated, resolved, (unused) */
    uint64_t keys;            /* window keys alive now */
    uint64_t keys_evicted;    /* dropped: store full (LRU) or idle past idle_evict */
    uint64_t keys_firing;     /* keys in a firing episode now; at the end of a replay,
                                 the spikes that are still open (not resolved) */
    uint64_t future;          /* published more than engine.max_future after arrival, or
                                 (replay) ahead of a stream time the next article keeps */
    uint64_t undated_held;    /* replay: undated articles held until a stream time was known */
    uint64_t undated_arrival; /* of those, given their arrival time (hold full, or no date
                                 in the whole input) */
    uint64_t utf8_repairs;    /* invalid UTF-8 sequences replaced (article.invalid_utf8) */
    uint64_t boilerplate;     /* body segments blanked as their source's boilerplate */
    uint64_t field_errors[NR_FIELD_COUNT]; /* optional fields unreadable, read as absent */
};

typedef void (*nr_event_fn)(void *ud, const struct nr_count_event *ev);
typedef void (*nr_alert_fn)(void *ud, const struct nr_alert *alert);

/* Called for each article of a message that is rejected: index is the
 * article's place in the message, -1 when the message is rejected whole
 * (record: the article's JSON text, {NULL, 0} for the whole message). */
typedef void (*nr_reject_fn)(void *ud, long index, enum nr_reject r, const char *msg,
                             struct nr_str record);

/* ---- stage 1 ------------------------------------------------------------ */

/* What the stage-1 workers of one process share: the config, the tagger
 * (read-only), the exact-duplicate set of recent article ids and stage 1's
 * stream time (the largest event time seen, the last fallback of an article
 * without a time). Thread-safe: the set is behind a mutex (one short lookup
 * per article), stream time is an atomic. It keeps a pointer to cfg. */
struct nr_stage1_shared;
struct nr_stage1_shared *nr_stage1_shared_new(const struct nr_config *cfg, struct nr_error *err);
void nr_stage1_shared_free(struct nr_stage1_shared *sh);
const struct nr_tagger *nr_stage1_shared_tagger(const struct nr_stage1_shared *sh);
int64_t nr_stage1_stream_ms(const struct nr_stage1_shared *sh); /* NR_TIME_NONE: none yet */
/* Hand the duplicate set, stream time and boilerplate model of `from`
 * (e.g. the configuration before a reload) to `to`, before any nr_stage1
 * of `to` is made; `from` is left empty. The model moves only if both
 * configurations set it up alike (article.boilerplate_*). */
void nr_stage1_shared_take(struct nr_stage1_shared *to, struct nr_stage1_shared *from);
/* Back to the state of a new one (no id seen, no stream time): the service's
 * exactly_once rewind, which reads again from the committed offsets. */
void nr_stage1_shared_reset(struct nr_stage1_shared *sh);
/* The workers of one stage 1 share its boilerplate model (boiler.h), so
 * that it learns from every article as replay's single decoder does, not
 * from each worker's share. Between nr_stage1_order_begin and
 * nr_stage1_order_end (a driver's parallel run over items 0..n-1, taken in
 * increasing order), each worker announces its item (nr_stage1_order_item)
 * and ends it with nr_stage1_order_done, and the model is used in item
 * order: the same model as one decoder reading the items in turn. */
void nr_stage1_order_begin(struct nr_stage1_shared *sh);
void nr_stage1_order_end(struct nr_stage1_shared *sh);

/* What stage 1 tells its driver about one message. Every member but `event`
 * may be NULL. */
struct nr_stage1_out {
    void *ud;
    /* a count event of the current article (valid during the call) */
    nr_event_fn event;
    /* an article was accepted with event time t (before the duplicate test):
     * stream time moves with every article, counted or not, so that a quiet
     * hour still resolves the spike before it */
    void (*time)(void *ud, int64_t t);
    /* a new (not duplicate) article was tagged, before its count events;
     * record is its JSON text, event_ms its event time */
    void (*tagged)(void *ud, long index, const struct nr_article *a, const struct nr_tags *t,
                   struct nr_str record, int64_t event_ms);
    nr_reject_fn reject;
    /* defer: a message with an article that needs fallback_ms (no usable
     * published_at) is left alone: nothing is counted or reported and
     * nr_stage1_feed returns NR_STAGE1_DEFERRED, so that a driver running
     * the workers in parallel can feed it again in input order, with the
     * fallback time known only then (the service: the stream time of the
     * message's partition) */
    bool defer;
};
#define NR_STAGE1_DEFERRED ((size_t)-1)

/* One worker: its decoder and tagger scratch (single threaded). */
struct nr_stage1;
struct nr_stage1 *nr_stage1_new(struct nr_stage1_shared *sh, struct nr_error *err);
void nr_stage1_free(struct nr_stage1 *s);
void nr_stage1_order_item(struct nr_stage1 *s, size_t seq);
void nr_stage1_order_done(struct nr_stage1 *s);

/* Decode every article of one message (one object, an array or an
 * envelope), drop exact duplicates (an id seen within the retention), tag
 * the rest and build their count events. fallback_ms (see nr_engine_time) is
 * an article's time when it has no usable published_at, arrival_ms is the
 * reference of the future-date check; both may be NR_TIME_NONE (see
 * nr_engine_time). Returns the number of articles the message held (1 when
 * it is rejected whole). */
size_t nr_stage1_feed(struct nr_stage1 *s, const char *msg, size_t len, int64_t fallback_ms,
                      int64_t arrival_ms, const struct nr_stage1_out *out);

/* Let stage 1 hold articles across calls (engine_stage1.c, for a driver
 * whose messages have no clock of their own: fallback_ms NR_TIME_NONE):
 * undated articles until the first dated one, and a dated article far ahead
 * of stream time until the next dated article says whether the stream
 * moved. A driver that holds calls nr_stage1_flush at the end of input. */
void nr_stage1_hold(struct nr_stage1 *s, bool on);
/* Settle what is held: the lookahead article is future-dated (nothing
 * confirms it), undated articles take stream time, or their arrival time
 * when there is none. */
void nr_stage1_flush(struct nr_stage1 *s, const struct nr_stage1_out *out);

/* This worker's counters (articles, rejected, tagged, events, duplicates,
 * future, utf8_repairs, boilerplate, field_errors; the stage-2 fields stay
 * 0), added to
 * *out. */
void nr_stage1_stats_add(const struct nr_stage1 *s, struct nr_engine_stats *out);

/* ---- stage 2 ------------------------------------------------------------ */

/* One detector (windows, near dedup, spike tests, alert states) and the
 * buffer its wire events are decoded into. It keeps a pointer to cfg. */
struct nr_stage2;
struct nr_stage2 *nr_stage2_new(const struct nr_config *cfg, struct nr_error *err);
void nr_stage2_free(struct nr_stage2 *s);
struct nr_detector *nr_stage2_detector(struct nr_stage2 *s);
/* Count one event in its key's windows and run detection; alerts (firing,
 * escalated, resolved) go to fn. */
void nr_stage2_count(struct nr_stage2 *s, const struct nr_count_event *ev, nr_alert_fn fn,
                     void *ud);
/* Advance stream time without an event (resolves spikes that are over). */
void nr_stage2_advance(struct nr_stage2 *s, int64_t stream_ms, nr_alert_fn fn, void *ud);

struct nr_stage2_out {
    void *ud;
    nr_alert_fn alert;
    /* an event was counted (NULL: not told) */
    nr_event_fn counted;
    /* when set, a valid record is handed here instead of being counted: the
     * driver holds it (the service, until every source's watermark passed
     * its event time) and counts it later with nr_stage2_count_record */
    void (*hold)(void *ud, const struct nr_count_event *ev, const char *rec, size_t len);
    /* a record that cannot be counted: index -1 and record {NULL, 0} when
     * the framing of the whole message is broken (nothing is counted) */
    void (*reject)(void *ud, long index, const char *msg, struct nr_str record);
};
/* Count (or hold) every event of one wire message (a batch of records,
 * event.h).
 * A message whose framing is broken is rejected whole; in a sound batch each
 * record that does not decode against this config (e.g. a rule removed by a
 * reload) is rejected alone. Returns the number of events counted. */
size_t nr_stage2_feed(struct nr_stage2 *s, const char *msg, size_t len,
                      const struct nr_stage2_out *out);
/* Decode one record (as handed to hold) and count it: the event counted,
 * valid until the next call, or NULL with a message (e.g. a reload removed
 * its rule while it was held). */
const struct nr_count_event *nr_stage2_count_record(struct nr_stage2 *s, const char *rec,
                                                    size_t len, nr_alert_fn fn, void *ud,
                                                    struct nr_error *err);
/* Counters of the detector (the stage-2 fields), added to *out. */
void nr_stage2_stats_add(const struct nr_stage2 *s, struct nr_engine_stats *out);

/* ---- both stages in process (replay, tests, benchmarks) ----------------- */

/* The engine keeps a pointer to cfg; cfg must outlive it. */
struct nr_engine *nr_engine_new(const struct nr_config *cfg, struct nr_error *err);
void nr_engine_free(struct nr_engine *e);

/* For replay --report: the tagger, stage 2's detector (the report observes
 * its evaluations) and a hook called for each article nr_engine_feed tags,
 * before its count events (the report keeps the matched terms of evidence
 * articles). */
const struct nr_tagger *nr_engine_tagger(const struct nr_engine *e);
struct nr_detector *nr_engine_detector(struct nr_engine *e);
typedef void (*nr_tag_fn)(void *ud, const struct nr_article *a, const struct nr_tags *t,
                          int64_t event_ms);
void nr_engine_set_tag_hook(struct nr_engine *e, nr_tag_fn fn, void *ud);

/* Advance stream time without an event (resolves spikes that are over). */
void nr_engine_advance(struct nr_engine *e, int64_t stream_ms, nr_alert_fn fn, void *ud);

/* The event time of a decoded article, for every driver (pure: no state).
 * published_at, unless it is more than engine.max_future after arrival_ms
 * (then *future is set and, by engine.future_policy, the article is rejected
 * as future_published_at or its published time is ignored); else
 * fallback_ms (the service: the stream time of the input partition); else
 * stream_ms (replay: the fallback). NR_TIME_NONE arguments
 * are unknown. A time that cannot be had at all is invalid_published_at. */
enum nr_reject nr_engine_time(const struct nr_config *cfg, const struct nr_article *a,
                              int64_t fallback_ms, int64_t arrival_ms, int64_t stream_ms,
                              int64_t *out_ms, bool *future, struct nr_error *err);

/* Stage 1 and stage 2 in process: nr_stage1_feed, whose events, and the
 * time of every article, go straight to the one nr_stage2. Returns what
 * nr_stage1_feed returns; each article rejected is reported to rfn. */
size_t nr_engine_feed(struct nr_engine *e, const char *msg, size_t len, int64_t fallback_ms,
                      int64_t arrival_ms, nr_alert_fn fn, nr_reject_fn rfn, void *ud);

/* nr_stage1_hold / nr_stage1_flush of the engine's stage 1 (replay). */
void nr_engine_hold(struct nr_engine *e, bool on);
void nr_engine_flush(struct nr_engine *e, nr_alert_fn fn, nr_reject_fn rfn, void *ud);

/* nr_engine_feed without an arrival time; returns NR_REJECT_NONE or the
 * reason of the first article rejected (err says more). */
enum nr_reject nr_engine_process(struct nr_engine *e, const char *msg, size_t len,
                                 int64_t fallback_ms, nr_alert_fn fn, void *ud,
                                 struct nr_error *err);

/* Counters so far. After nr_engine_flush nothing is pending inside the
 * engine, so at the end of input these are final; spikes still open stay open (keys_firing) and are
 * not resolved: no later article says they are over. */
void nr_engine_stats_get(const struct nr_engine *e, struct nr_engine_stats *out);

#endif
