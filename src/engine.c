/*
 * engine.c - the pipeline behind engine.h: decode -> exact dedup -> tag ->
 * count events (stage 1) -> detector (stage 2, detect.c).
 *
 * The engine owns one decoder and one tagger scratch, so it is single
 * threaded; the Kafka service runs one engine per worker. The exact-duplicate
 * set is checked before tagging so a redelivered article costs a hash lookup,
 * not a tagging pass.
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
};

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

enum nr_reject nr_engine_process(struct nr_engine *e, const char *msg, size_t len,
                                 int64_t fallback_ms, nr_alert_fn fn, void *ud,
                                 struct nr_error *err)
{
    struct nr_article a;
    enum nr_reject rj = nr_article_decode(e->decoder, msg, len, &a, err);
    if (rj != NR_REJECT_NONE) {
        e->stats.rejected++;
        return rj;
    }
    int64_t t = a.published_ms != NR_TIME_NONE ? a.published_ms : fallback_ms;
    if (t == NR_TIME_NONE)
        t = nr_detector_stream_ms(e->det);
    if (t == NR_TIME_NONE) {
        nr_error_set(err, "article has no published_at and no fallback time");
        e->stats.rejected++;
        return NR_REJECT_BAD_TIME;
    }
    /* every article moves stream time, counted or not: a quiet hour must
     * still resolve the spike before it */
    nr_detector_advance(e->det, t, fn, ud);
    struct nr_str id = a.field[NR_FIELD_ID];
    if (id.p && nr_idset_seen(e->ids, nr_event_id_hash(id.p, id.len), t)) {
        e->stats.duplicates++;
        return NR_REJECT_NONE;
    }
    const struct nr_tags *tags = nr_tagger_tag(e->tagger, e->scratch, &a);
    e->stats.articles++;
    if (!tags)
        return NR_REJECT_NONE;
    if (tags->n_entities || tags->n_topics)
        e->stats.tagged++;
    struct inproc p = {e, fn, ud};
    nr_engine_events(e, &a, tags, t, to_stage2, &p);
    return NR_REJECT_NONE;
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
