/*
 * engine.c - the pipeline behind engine.h: decode -> exact dedup -> tag ->
 * count events (stage 1) -> detector (stage 2, detect.c).
 *
 * The engine owns one decoder and one tagger scratch, so it is single
 * threaded; the Kafka service runs one engine per worker. The exact-duplicate
 * set is checked before tagging so a redelivered article costs a hash lookup,
 * not a tagging pass. A message may hold several articles (an array or an
 * envelope, article.h); each is its own pass and its own rejection.
 *
 * Event time (nr_engine_time): a published_at more than engine.max_future
 * after the arrival time is not believed (clamped to the fallback, or
 * rejected), so one article dated 2099 cannot move stream time and make
 * every later article late. The reference is the arrival time and not the
 * stream time: a sparse feed has honest gaps of hours between consecutive
 * articles, which a stream-time test would clamp.
 */
#include "newsradar/engine.h"

#include "newsradar/dedup.h"
#include "newsradar/detect.h"

#include <stdlib.h>
#include <string.h>

#define IDSET_CAP (1u << 18) /* recent article ids remembered engine-wide */

struct nr_engine {
    const struct nr_config *cfg;
    struct nr_tagger *tagger;
    struct nr_tag_scratch *scratch;
    struct nr_decoder *decoder;
    struct nr_detector *det;
    struct nr_idset *ids;
    struct nr_engine_stats stats;
    uint64_t keys_skipped;
    nr_tag_fn tag_fn;
    void *tag_ud;
};

struct nr_detector *nr_engine_detector(struct nr_engine *e)
{
    return e->det;
}

void nr_engine_set_tag_hook(struct nr_engine *e, nr_tag_fn fn, void *ud)
{
    e->tag_fn = fn;
    e->tag_ud = ud;
}

struct nr_engine *nr_engine_new(const struct nr_config *cfg, struct nr_error *err)
{
    struct nr_engine *e = nr_xcalloc(1, sizeof(*e));
    e->cfg = cfg;
    int64_t retention = 0;
    for (size_t i = 0; i < cfg->n_rules; i++) {
        int64_t r = cfg->rules[i].baseline_ms + cfg->rules[i].window_ms;
        if (r > retention)
            retention = r;
    }
    e->det = nr_detector_new(cfg, err);
    if (!e->det)
        goto fail;
    e->tagger = nr_tagger_new(cfg, err);
    if (!e->tagger)
        goto fail;
    e->scratch = nr_tag_scratch_new(e->tagger);
    e->decoder = nr_decoder_new(cfg);
    if (!e->scratch || !e->decoder) {
        nr_error_set(err, "engine: cannot create the tagger scratch or decoder");
        goto fail;
    }
    e->ids = nr_idset_new(IDSET_CAP, retention);
    return e;
fail:
    nr_engine_free(e);
    return NULL;
}

void nr_engine_free(struct nr_engine *e)
{
    if (!e)
        return;
    nr_idset_free(e->ids);
    nr_detector_free(e->det);
    nr_decoder_free(e->decoder);
    nr_tag_scratch_free(e->scratch);
    nr_tagger_free(e->tagger);
    free(e);
}

const struct nr_tagger *nr_engine_tagger(const struct nr_engine *e)
{
    return e->tagger;
}

struct fwd {
    struct nr_engine *e;
    nr_event_fn fn;
    void *ud;
};

static void count_event(void *ud, const struct nr_count_event *ev)
{
    struct fwd *f = ud;
    f->e->stats.events++;
    f->fn(f->ud, ev);
}

void nr_engine_events(struct nr_engine *e, const struct nr_article *a, const struct nr_tags *t,
                      int64_t event_ms, nr_event_fn fn, void *ud)
{
    struct fwd f = {e, fn, ud};
    size_t skipped = 0;
    nr_event_build(e->cfg, a, t, event_ms, count_event, &f, &skipped);
    e->keys_skipped += skipped;
}

void nr_engine_count(struct nr_engine *e, const struct nr_count_event *ev, nr_alert_fn fn, void *ud)
{
    nr_detector_count(e->det, ev, fn, ud);
}

void nr_engine_advance(struct nr_engine *e, int64_t stream_ms, nr_alert_fn fn, void *ud)
{
    nr_detector_advance(e->det, stream_ms, fn, ud);
}

struct inproc {
    struct nr_engine *e;
    nr_alert_fn fn;
    void *ud;
};

static void to_stage2(void *ud, const struct nr_count_event *ev)
{
    struct inproc *p = ud;
    nr_detector_count(p->e->det, ev, p->fn, p->ud);
}

enum nr_reject nr_engine_time(const struct nr_config *cfg, const struct nr_article *a,
                              int64_t fallback_ms, int64_t arrival_ms, int64_t stream_ms,
                              int64_t *out_ms, bool *future, struct nr_error *err)
{
    int64_t t = a->published_ms;
    int64_t max = cfg->engine.max_future_ms;
    *future = false;
    if (t != NR_TIME_NONE && max > 0 && arrival_ms != NR_TIME_NONE && t - arrival_ms > max) {
        *future = true;
        if (cfg->engine.future_policy && strcmp(cfg->engine.future_policy, "reject") == 0) {
            char pub[40], arr[40];
            nr_time_format_rfc3339(t, pub, sizeof(pub));
            nr_time_format_rfc3339(arrival_ms, arr, sizeof(arr));
            nr_error_set(err, "published_at %s is more than engine.max_future after arrival (%s)",
                         pub, arr);
            return NR_REJECT_FUTURE;
        }
        t = NR_TIME_NONE; /* clamp: as if it had no date */
    }
    if (t == NR_TIME_NONE)
        t = fallback_ms;
    if (t == NR_TIME_NONE)
        t = stream_ms;
    if (t == NR_TIME_NONE) {
        nr_error_set(err, *future ? "published_at is in the future and there is no fallback time"
                                  : "article has no published_at and no fallback time");
        return NR_REJECT_BAD_TIME;
    }
    *out_ms = t;
    return NR_REJECT_NONE;
}

/* One decoded article through the pipeline. */
static enum nr_reject process_article(struct nr_engine *e, const struct nr_article *a,
                                      int64_t fallback_ms, int64_t arrival_ms, nr_alert_fn fn,
                                      void *ud, struct nr_error *err)
{
    e->stats.utf8_repairs += a->utf8_repairs;
    e->stats.boilerplate += a->boilerplate;
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        e->stats.field_errors[f] += (a->field_errors >> f) & 1u;
    int64_t t;
    bool future;
    enum nr_reject rj = nr_engine_time(e->cfg, a, fallback_ms, arrival_ms,
                                       nr_detector_stream_ms(e->det), &t, &future, err);
    e->stats.future += future;
    if (rj != NR_REJECT_NONE)
        return rj;
    /* every article moves stream time, counted or not: a quiet hour must
     * still resolve the spike before it */
    nr_detector_advance(e->det, t, fn, ud);
    struct nr_str id = a->field[NR_FIELD_ID];
    if (id.p && nr_idset_seen(e->ids, nr_event_id_hash(id.p, id.len), t)) {
        e->stats.duplicates++;
        return NR_REJECT_NONE;
    }
    if (nr_tag_scratch_reserve(e->scratch, a) < 0) {
        nr_error_set(err, "out of memory for the normalized text of a %zu-byte body",
                     a->field[NR_FIELD_BODY].len);
        return NR_REJECT_TOO_LARGE;
    }
    const struct nr_tags *tags = nr_tagger_tag(e->tagger, e->scratch, a);
    e->stats.articles++;
    if (!tags)
        return NR_REJECT_NONE;
    if (tags->n_entities || tags->n_topics)
        e->stats.tagged++;
    if (e->tag_fn)
        e->tag_fn(e->tag_ud, a, tags, t);
    struct inproc p = {e, fn, ud};
    nr_engine_events(e, a, tags, t, to_stage2, &p);
    return NR_REJECT_NONE;
}

size_t nr_engine_feed(struct nr_engine *e, const char *msg, size_t len, int64_t fallback_ms,
                      int64_t arrival_ms, nr_alert_fn fn, nr_reject_fn rfn, void *ud)
{
    struct nr_error err = {{0}};
    enum nr_reject rj;
    size_t n = nr_article_open(e->decoder, msg, len, &rj, &err);
    if (rj != NR_REJECT_NONE) {
        e->stats.rejected++;
        if (rfn)
            rfn(ud, 0, rj, err.msg);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        struct nr_article a;
        rj = nr_article_record(e->decoder, i, &a, &err);
        if (rj == NR_REJECT_NONE)
            rj = process_article(e, &a, fallback_ms, arrival_ms, fn, ud, &err);
        if (rj != NR_REJECT_NONE) {
            e->stats.rejected++;
            if (rfn)
                rfn(ud, i, rj, err.msg);
        }
    }
    return n;
}

struct first_reject {
    nr_alert_fn fn;
    void *ud;
    enum nr_reject r;
    struct nr_error *err;
};

static void first_alert(void *ud, const struct nr_alert *alert)
{
    struct first_reject *f = ud;
    if (f->fn)
        f->fn(f->ud, alert);
}

static void first_reject(void *ud, size_t index, enum nr_reject r, const char *msg)
{
    (void)index;
    struct first_reject *f = ud;
    if (f->r == NR_REJECT_NONE) {
        f->r = r;
        nr_error_set(f->err, "%s", msg);
    }
}

enum nr_reject nr_engine_process(struct nr_engine *e, const char *msg, size_t len,
                                 int64_t fallback_ms, nr_alert_fn fn, void *ud,
                                 struct nr_error *err)
{
    struct first_reject f = {fn, ud, NR_REJECT_NONE, err};
    if (err)
        err->msg[0] = '\0';
    nr_engine_feed(e, msg, len, fallback_ms, NR_TIME_NONE, first_alert, first_reject, &f);
    return f.r;
}

void nr_engine_stats_get(const struct nr_engine *e, struct nr_engine_stats *out)
{
    struct nr_detect_stats ds;
    nr_detector_stats(e->det, &ds);
    *out = e->stats;
    out->duplicates += ds.duplicates;
    out->late = ds.late;
    out->late_dropped = ds.late_dropped;
    for (int i = 0; i < 4; i++)
        out->alerts[i] = ds.alerts[i];
    out->keys = ds.keys;
    out->keys_evicted = ds.keys_evicted;
    out->keys_firing = ds.keys_firing;
}
