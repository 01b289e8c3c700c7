/*
 * engine_stage1.c - stage 1 of the pipeline (engine.h): message -> decode
 * -> event time -> exact dedup -> tag -> count events.
 *
 * The shared part (struct nr_stage1_shared) holds what every worker of a
 * process reads: the config, the tagger, and two small pieces of state, the
 * exact-duplicate set and stage 1's stream time. The set is checked before
 * tagging so that a redelivered article costs a hash lookup, not a tagging
 * pass; it is behind a mutex (one lookup per article: a few tens of
 * nanoseconds against tens of microseconds of tagging). Each key's history
 * in stage 2 catches an id again too, so a duplicate that reaches another
 * instance (or slips past the set after a reload) is still not counted.
 *
 * A worker (struct nr_stage1) owns a decoder and a tagger scratch and is
 * single threaded. A message may hold several articles (an array or an
 * envelope, article.h); each is its own pass and its own rejection.
 */
#include "newsradar/dedup.h"
#include "newsradar/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define IDSET_CAP (1u << 18) /* recent article ids remembered per process */

struct nr_stage1_shared {
    const struct nr_config *cfg;
    struct nr_tagger *tagger;
    pthread_mutex_t mu;
    struct nr_idset *ids; /* under mu */
    _Atomic int64_t stream_ms;
};

struct nr_stage1 {
    struct nr_stage1_shared *sh;
    struct nr_decoder *decoder;
    struct nr_tag_scratch *scratch;
    struct nr_engine_stats stats;
};

struct nr_stage1_shared *nr_stage1_shared_new(const struct nr_config *cfg, struct nr_error *err)
{
    struct nr_stage1_shared *sh = nr_xcalloc(1, sizeof(*sh));
    sh->cfg = cfg;
    pthread_mutex_init(&sh->mu, NULL);
    atomic_init(&sh->stream_ms, NR_TIME_NONE);
    int64_t retention = 0;
    for (size_t i = 0; i < cfg->n_rules; i++) {
        int64_t r = cfg->rules[i].baseline_ms + cfg->rules[i].window_ms;
        if (r > retention)
            retention = r;
    }
    sh->ids = nr_idset_new(IDSET_CAP, retention);
    sh->tagger = nr_tagger_new(cfg, err);
    if (!sh->tagger) {
        nr_stage1_shared_free(sh);
        return NULL;
    }
    return sh;
}

void nr_stage1_shared_free(struct nr_stage1_shared *sh)
{
    if (!sh)
        return;
    nr_tagger_free(sh->tagger);
    nr_idset_free(sh->ids);
    pthread_mutex_destroy(&sh->mu);
    free(sh);
}

const struct nr_tagger *nr_stage1_shared_tagger(const struct nr_stage1_shared *sh)
{
    return sh->tagger;
}

int64_t nr_stage1_stream_ms(const struct nr_stage1_shared *sh)
{
    return atomic_load_explicit(&sh->stream_ms, memory_order_relaxed);
}

void nr_stage1_shared_take(struct nr_stage1_shared *to, struct nr_stage1_shared *from)
{
    pthread_mutex_lock(&from->mu);
    pthread_mutex_lock(&to->mu);
    struct nr_idset *t = to->ids;
    to->ids = from->ids;
    from->ids = t;
    pthread_mutex_unlock(&to->mu);
    pthread_mutex_unlock(&from->mu);
    int64_t s = nr_stage1_stream_ms(from);
    if (s != NR_TIME_NONE &&
        (nr_stage1_stream_ms(to) == NR_TIME_NONE || s > nr_stage1_stream_ms(to)))
        atomic_store(&to->stream_ms, s);
}

static void stream_advance(struct nr_stage1_shared *sh, int64_t t)
{
    int64_t cur = atomic_load_explicit(&sh->stream_ms, memory_order_relaxed);
    while ((cur == NR_TIME_NONE || t > cur) &&
           !atomic_compare_exchange_weak_explicit(&sh->stream_ms, &cur, t, memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

static bool seen_before(struct nr_stage1_shared *sh, const struct nr_article *a, int64_t t)
{
    struct nr_str id = a->field[NR_FIELD_ID];
    if (!id.p)
        return false;
    uint64_t h = nr_event_id_hash(id.p, id.len);
    pthread_mutex_lock(&sh->mu);
    bool seen = nr_idset_seen(sh->ids, h, t);
    pthread_mutex_unlock(&sh->mu);
    return seen;
}

struct nr_stage1 *nr_stage1_new(struct nr_stage1_shared *sh, struct nr_error *err)
{
    struct nr_stage1 *s = nr_xcalloc(1, sizeof(*s));
    s->sh = sh;
    s->decoder = nr_decoder_new(sh->cfg);
    s->scratch = nr_tag_scratch_new(sh->tagger);
    if (!s->decoder || !s->scratch) {
        nr_error_set(err, "stage 1: cannot create the decoder or tagger scratch");
        nr_stage1_free(s);
        return NULL;
    }
    return s;
}

void nr_stage1_free(struct nr_stage1 *s)
{
    if (!s)
        return;
    nr_decoder_free(s->decoder);
    nr_tag_scratch_free(s->scratch);
    free(s);
}

struct fwd {
    struct nr_stage1 *s;
    const struct nr_stage1_out *out;
};

static void count_event(void *ud, const struct nr_count_event *ev)
{
    struct fwd *f = ud;
    f->s->stats.events++;
    f->out->event(f->out->ud, ev);
}

/* One decoded article (record i of the message) through the stage. */
static enum nr_reject one_article(struct nr_stage1 *s, long i, const struct nr_article *a,
                                  int64_t fallback_ms, int64_t arrival_ms,
                                  const struct nr_stage1_out *out, struct nr_error *err)
{
    struct nr_stage1_shared *sh = s->sh;
    s->stats.utf8_repairs += a->utf8_repairs;
    s->stats.boilerplate += a->boilerplate;
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        s->stats.field_errors[f] += (a->field_errors >> f) & 1u;
    int64_t t;
    bool future;
    enum nr_reject rj = nr_engine_time(sh->cfg, a, fallback_ms, arrival_ms, nr_stage1_stream_ms(sh),
                                       &t, &future, err);
    s->stats.future += future;
    if (rj != NR_REJECT_NONE)
        return rj;
    int64_t stream = nr_stage1_stream_ms(sh);
    if (stream != NR_TIME_NONE && t < stream - sh->cfg->engine.grace_ms)
        s->stats.late_articles++;
    stream_advance(sh, t);
    if (out->time)
        out->time(out->ud, t);
    if (seen_before(sh, a, t)) {
        s->stats.duplicates++;
        return NR_REJECT_NONE;
    }
    if (nr_tag_scratch_reserve(s->scratch, a) < 0) {
        nr_error_set(err, "out of memory for the normalized text of a %zu-byte body",
                     a->field[NR_FIELD_BODY].len);
        return NR_REJECT_TOO_LARGE;
    }
    const struct nr_tags *tags = nr_tagger_tag(sh->tagger, s->scratch, a);
    s->stats.articles++;
    if (!tags)
        return NR_REJECT_NONE;
    if (tags->n_entities || tags->n_topics)
        s->stats.tagged++;
    if (out->tagged)
        out->tagged(out->ud, i, a, tags, nr_article_record_text(s->decoder, (size_t)i), t);
    struct fwd f = {s, out};
    nr_event_build(sh->cfg, a, tags, t, count_event, &f, NULL);
    return NR_REJECT_NONE;
}

size_t nr_stage1_feed(struct nr_stage1 *s, const char *msg, size_t len, int64_t fallback_ms,
                      int64_t arrival_ms, const struct nr_stage1_out *out)
{
    struct nr_error err = {{0}};
    enum nr_reject rj;
    size_t n = msg ? nr_article_open(s->decoder, msg, len, &rj, &err) : 0;
    if (!msg) {
        rj = NR_REJECT_BAD_JSON;
        nr_error_set(&err, "empty message");
    }
    if (rj != NR_REJECT_NONE) {
        s->stats.rejected++;
        if (out->reject)
            out->reject(out->ud, -1, rj, err.msg, (struct nr_str){NULL, 0});
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        struct nr_article a;
        rj = nr_article_record(s->decoder, i, &a, &err);
        if (rj == NR_REJECT_NONE)
            rj = one_article(s, (long)i, &a, fallback_ms, arrival_ms, out, &err);
        if (rj != NR_REJECT_NONE) {
            s->stats.rejected++;
            /* the only article of a message: the message is rejected whole */
            if (out->reject && n == 1)
                out->reject(out->ud, -1, rj, err.msg, (struct nr_str){NULL, 0});
            else if (out->reject)
                out->reject(out->ud, (long)i, rj, err.msg, nr_article_record_text(s->decoder, i));
        }
    }
    return n;
}

void nr_stage1_stats_add(const struct nr_stage1 *s, struct nr_engine_stats *out)
{
    const struct nr_engine_stats *a = &s->stats;
    out->articles += a->articles;
    out->rejected += a->rejected;
    out->tagged += a->tagged;
    out->events += a->events;
    out->duplicates += a->duplicates;
    out->future += a->future;
    out->late_articles += a->late_articles;
    out->utf8_repairs += a->utf8_repairs;
    out->boilerplate += a->boilerplate;
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        out->field_errors[f] += a->field_errors[f];
}
