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
 *
 * Holding (nr_stage1_hold, replay; docs/article.md "Undated articles" and
 * "Future dates"). A driver without a clock of its own for each message
 * (replay: the file is the clock) lets stage 1 hold articles, copied (fields,
 * warnings and record text in one allocation), for two reasons:
 *
 *   - undated articles before the first dated one: stream time is not known
 *     yet. They wait, up to engine.hold_bytes of copies, and take the first
 *     dated article's time when it comes; past the cap, or when the input
 *     ends without a date, they take their arrival time. None is dropped.
 *   - one-article lookahead for a jump: a dated article more than
 *     engine.max_future ahead of stream time is either an honest gap of a
 *     sparse feed or a wrong date (2099). It waits for the next dated
 *     article: if that one is not more than max_future before it, the
 *     stream did move and the held article is processed at its own time;
 *     else it is future-dated (clamped to stream time or rejected, as
 *     engine.future_policy says) and never moves stream time. At the end of
 *     input nothing confirms it: future-dated.
 *
 * Cost: one copy per held article; at most one lookahead article and
 * hold_bytes of undated ones per worker. The service does not hold: a held
 * message's offset could be committed before the article is processed, and
 * its arrival time is a real clock, which the future-date check uses.
 */
#include "newsradar/boiler.h"
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
    /* the workers' boilerplate model, used under bmu; while `ordered`, in
     * item order: item bnext is the next to use it */
    struct nr_boiler *boiler;
    pthread_mutex_t bmu;
    pthread_cond_t bcv;
    size_t bnext;
    bool ordered;
};

/* A held article: its fields, warnings and record text copied into mem. */
struct held {
    struct nr_article a;
    struct nr_str record;
    long index;
    int64_t arrival_ms;
    size_t bytes;
    char *mem;
};

struct nr_stage1 {
    struct nr_stage1_shared *sh;
    struct nr_decoder *decoder;
    struct nr_tag_scratch *scratch;
    struct nr_engine_stats stats;
    bool hold;
    struct held *pend; /* undated, before any stream time */
    size_t n_pend, cap_pend, pend_bytes;
    struct held ahead; /* the lookahead article (ahead.mem != NULL) */
    size_t seq;        /* nr_stage1_order_item */
    bool passed;       /* item seq has had its turn */
};

struct nr_stage1_shared *nr_stage1_shared_new(const struct nr_config *cfg, struct nr_error *err)
{
    struct nr_stage1_shared *sh = nr_xcalloc(1, sizeof(*sh));
    sh->cfg = cfg;
    pthread_mutex_init(&sh->mu, NULL);
    pthread_mutex_init(&sh->bmu, NULL);
    pthread_cond_init(&sh->bcv, NULL);
    sh->boiler = nr_boiler_new(cfg->boilerplate_min_articles, cfg->boilerplate_entries);
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
    nr_boiler_free(sh->boiler);
    pthread_mutex_destroy(&sh->mu);
    pthread_mutex_destroy(&sh->bmu);
    pthread_cond_destroy(&sh->bcv);
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

void nr_stage1_shared_reset(struct nr_stage1_shared *sh)
{
    pthread_mutex_lock(&sh->mu);
    nr_idset_clear(sh->ids);
    pthread_mutex_unlock(&sh->mu);
    atomic_store_explicit(&sh->stream_ms, NR_TIME_NONE, memory_order_relaxed);
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
    /* the boilerplate learnt so far, if the new config keeps the model as
     * it was (else the new one starts empty) */
    if (to->boiler && from->boiler &&
        to->cfg->boilerplate_min_articles == from->cfg->boilerplate_min_articles &&
        to->cfg->boilerplate_entries == from->cfg->boilerplate_entries) {
        struct nr_boiler *b = to->boiler;
        to->boiler = from->boiler;
        from->boiler = b;
    }
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

/* nr_boiler_gate_fn of a worker's decoder: the shared model under bmu, in
 * item order while ordered. An item's first use is its turn; a message of
 * several articles uses it again without waiting. */
static void boiler_gate(void *ud, bool enter)
{
    struct nr_stage1 *s = ud;
    struct nr_stage1_shared *sh = s->sh;
    if (enter) {
        pthread_mutex_lock(&sh->bmu);
        while (sh->ordered && !s->passed && sh->bnext != s->seq)
            pthread_cond_wait(&sh->bcv, &sh->bmu);
        return;
    }
    if (sh->ordered && !s->passed) {
        s->passed = true;
        sh->bnext = s->seq + 1;
        pthread_cond_broadcast(&sh->bcv);
    }
    pthread_mutex_unlock(&sh->bmu);
}

void nr_stage1_order_begin(struct nr_stage1_shared *sh)
{
    pthread_mutex_lock(&sh->bmu);
    sh->bnext = 0;
    sh->ordered = true;
    pthread_mutex_unlock(&sh->bmu);
}

void nr_stage1_order_end(struct nr_stage1_shared *sh)
{
    pthread_mutex_lock(&sh->bmu);
    sh->ordered = false;
    pthread_mutex_unlock(&sh->bmu);
}

void nr_stage1_order_item(struct nr_stage1 *s, size_t seq)
{
    s->seq = seq;
    s->passed = false;
}

/* An item that did not use the model (rejected, a duplicate, no body) still
 * takes its turn, or the next ones would wait for it. */
void nr_stage1_order_done(struct nr_stage1 *s)
{
    struct nr_stage1_shared *sh = s->sh;
    pthread_mutex_lock(&sh->bmu);
    if (sh->ordered && !s->passed) {
        while (sh->bnext != s->seq)
            pthread_cond_wait(&sh->bcv, &sh->bmu);
        s->passed = true;
        sh->bnext = s->seq + 1;
        pthread_cond_broadcast(&sh->bcv);
    }
    pthread_mutex_unlock(&sh->bmu);
}

struct nr_stage1 *nr_stage1_new(struct nr_stage1_shared *sh, struct nr_error *err)
{
    struct nr_stage1 *s = nr_xcalloc(1, sizeof(*s));
    s->sh = sh;
    s->passed = true;
    s->decoder = nr_decoder_new_shared(sh->cfg, sh->boiler, sh->boiler ? boiler_gate : NULL, s);
    s->scratch = nr_tag_scratch_new(sh->tagger);
    if (!s->decoder || !s->scratch) {
        nr_error_set(err, "stage 1: cannot create the decoder or tagger scratch");
        nr_stage1_free(s);
        return NULL;
    }
    return s;
}

void nr_stage1_hold(struct nr_stage1 *s, bool on)
{
    s->hold = on;
}

static void held_free(struct held *h)
{
    free(h->mem);
    h->mem = NULL;
}

/* Copy a (whose strings live in the decoder) and its record text into h.
 * 0, or -1 when the copy cannot be allocated. */
static int held_copy(struct held *h, long index, const struct nr_article *a, struct nr_str record,
                     int64_t arrival_ms)
{
    size_t n = record.len + 1;
    for (int f = 0; f < NR_FIELD_COUNT; f++) {
        n += a->field[f].len + 1;
        if (a->warn[f])
            n += strlen(a->warn[f]) + 1;
    }
    char *m = malloc(n);
    if (!m)
        return -1;
    *h = (struct held){.a = *a, .index = index, .arrival_ms = arrival_ms, .bytes = n, .mem = m};
    for (int f = 0; f < NR_FIELD_COUNT; f++) {
        if (a->field[f].p) {
            memcpy(m, a->field[f].p, a->field[f].len);
            m[a->field[f].len] = '\0';
            h->a.field[f].p = m;
            m += a->field[f].len + 1;
        }
        if (a->warn[f]) {
            size_t l = strlen(a->warn[f]) + 1;
            memcpy(m, a->warn[f], l);
            h->a.warn[f] = m;
            m += l;
        }
    }
    if (record.p)
        memcpy(m, record.p, record.len);
    m[record.len] = '\0';
    h->record = (struct nr_str){record.p ? m : NULL, record.len};
    return 0;
}

void nr_stage1_free(struct nr_stage1 *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->n_pend; k++)
        held_free(&s->pend[k]);
    free(s->pend);
    held_free(&s->ahead);
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

static void account(struct nr_stage1 *s, const struct nr_article *a)
{
    s->stats.utf8_repairs += a->utf8_repairs;
    s->stats.boilerplate += a->boilerplate;
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        s->stats.field_errors[f] += (a->field_errors >> f) & 1u;
}

/* An article whose event time t is settled: stream time, duplicates, tags,
 * count events. */
static enum nr_reject process(struct nr_stage1 *s, long i, const struct nr_article *a,
                              struct nr_str record, int64_t t, const struct nr_stage1_out *out,
                              struct nr_error *err)
{
    struct nr_stage1_shared *sh = s->sh;
    int64_t stream = nr_stage1_stream_ms(sh);
    bool late = stream != NR_TIME_NONE && t < stream - sh->cfg->engine.grace_ms;
    stream_advance(sh, t);
    if (out->time)
        out->time(out->ud, t);
    if (seen_before(sh, a, t)) {
        s->stats.duplicates++;
        return NR_REJECT_NONE;
    }
    /* a late redelivery is a duplicate, counted nowhere: no late article */
    s->stats.late_articles += late;
    if (nr_tag_scratch_reserve(s->scratch, a) < 0) {
        nr_error_set(err, "out of memory for the normalized text of a %zu-byte body",
                     a->field[NR_FIELD_BODY].len);
        return NR_REJECT_TOO_LARGE;
    }
    const struct nr_tags *tags = nr_tagger_tag(sh->tagger, s->scratch, a);
    if (nr_tag_scratch_failed(s->scratch)) {
        nr_error_set(err, "out of memory for the matches of a %zu-byte body",
                     a->field[NR_FIELD_BODY].len);
        return NR_REJECT_TOO_LARGE;
    }
    s->stats.articles++;
    if (!tags)
        return NR_REJECT_NONE;
    if (tags->n_entities || tags->n_topics)
        s->stats.tagged++;
    if (out->tagged)
        out->tagged(out->ud, i, a, tags, record, t);
    struct fwd f = {s, out};
    nr_event_build(sh->cfg, a, tags, t, count_event, &f, NULL);
    return NR_REJECT_NONE;
}

/* A held article rejected: the driver's current input is another one, so
 * the message names the article by its id. */
static void report(struct nr_stage1 *s, const struct held *h, enum nr_reject rj, const char *msg,
                   const struct nr_stage1_out *out)
{
    s->stats.rejected++;
    if (!out->reject)
        return;
    struct nr_str id = h->a.field[NR_FIELD_ID];
    struct nr_error m;
    nr_error_set(&m, "held article \"%.*s\": %.400s", id.len > 80 ? 80 : (int)id.len, id.p, msg);
    out->reject(out->ud, h->index, rj, m.msg, h->record);
}

/* A held article processed at t (NR_TIME_NONE: none can be had). */
static void release(struct nr_stage1 *s, struct held *h, int64_t t, const struct nr_stage1_out *out)
{
    struct nr_error err = {{0}};
    enum nr_reject rj;
    if (t == NR_TIME_NONE) {
        rj = NR_REJECT_BAD_TIME;
        nr_error_set(&err, "article has no published_at and no fallback time");
    } else {
        rj = process(s, h->index, &h->a, h->record, t, out, &err);
    }
    if (rj != NR_REJECT_NONE)
        report(s, h, rj, err.msg, out);
    held_free(h);
}

static void release_pending(struct nr_stage1 *s, int64_t t, bool at_arrival,
                            const struct nr_stage1_out *out)
{
    for (size_t k = 0; k < s->n_pend; k++) {
        s->stats.undated_held++;
        s->stats.undated_arrival += at_arrival;
        release(s, &s->pend[k], at_arrival ? s->pend[k].arrival_ms : t, out);
    }
    s->n_pend = 0;
    s->pend_bytes = 0;
}

/* The lookahead article was wrong: future-dated, by engine.future_policy. */
static void ahead_future(struct nr_stage1 *s, const struct nr_stage1_out *out, const char *why)
{
    struct held *h = &s->ahead;
    const struct nr_config *cfg = s->sh->cfg;
    s->stats.future++;
    if (cfg->engine.future_policy && strcmp(cfg->engine.future_policy, "reject") == 0) {
        char pub[40], st[40];
        struct nr_error msg;
        nr_time_format_rfc3339(h->a.published_ms, pub, sizeof(pub));
        nr_time_format_rfc3339(nr_stage1_stream_ms(s->sh), st, sizeof(st));
        nr_error_set(&msg,
                     "published_at %s is more than engine.max_future after stream time (%s) and %s",
                     pub, st, why);
        report(s, h, NR_REJECT_FUTURE, msg.msg, out);
        held_free(h);
        return;
    }
    release(s, h, nr_stage1_stream_ms(s->sh), out); /* clamp: as if undated */
}

/* A dated article at t in hold mode: settle the lookahead article first. */
static void settle_ahead(struct nr_stage1 *s, int64_t t, const struct nr_stage1_out *out)
{
    if (!s->ahead.mem)
        return;
    int64_t max = s->sh->cfg->engine.max_future_ms;
    if (t >= s->ahead.a.published_ms - max) /* the stream did move */
        release(s, &s->ahead, s->ahead.a.published_ms, out);
    else
        ahead_future(s, out, "the next dated article is back before it");
}

/* One decoded article (record i of the message) through the stage. */
static enum nr_reject one_article(struct nr_stage1 *s, long i, const struct nr_article *a,
                                  struct nr_str record, int64_t fallback_ms, int64_t arrival_ms,
                                  const struct nr_stage1_out *out, struct nr_error *err)
{
    struct nr_stage1_shared *sh = s->sh;
    account(s, a);
    int64_t t;
    bool future;
    int64_t stream = nr_stage1_stream_ms(sh);
    enum nr_reject rj =
        nr_engine_time(sh->cfg, a, fallback_ms, arrival_ms, stream, &t, &future, err);
    s->stats.future += future;
    if (!s->hold || fallback_ms != NR_TIME_NONE) {
        if (rj != NR_REJECT_NONE)
            return rj;
        return process(s, i, a, record, t, out, err);
    }
    if (rj == NR_REJECT_BAD_TIME) {
        /* no time yet: hold it until the first dated article */
        if (s->pend_bytes >= sh->cfg->engine.hold_bytes) {
            release_pending(s, NR_TIME_NONE, true, out);
            s->stats.undated_held++;
            s->stats.undated_arrival++;
            if (arrival_ms == NR_TIME_NONE)
                return rj;
            return process(s, i, a, record, arrival_ms, out, err);
        }
        if (nr_try_grow((void **)&s->pend, &s->cap_pend, s->n_pend + 1, sizeof(*s->pend)) < 0 ||
            held_copy(&s->pend[s->n_pend], i, a, record, arrival_ms) < 0) {
            nr_error_set(err, "out of memory to hold an undated %zu-byte article", record.len);
            return NR_REJECT_TOO_LARGE;
        }
        s->pend_bytes += s->pend[s->n_pend++].bytes;
        return NR_REJECT_NONE;
    }
    if (rj != NR_REJECT_NONE)
        return rj;
    bool dated = a->published_ms != NR_TIME_NONE && !future;
    if (!dated) /* stream time: settles nothing */
        return process(s, i, a, record, t, out, err);
    if (s->n_pend) {
        /* the first stream time: the undated articles before take it */
        stream_advance(sh, t);
        release_pending(s, t, false, out);
    }
    settle_ahead(s, t, out);
    stream = nr_stage1_stream_ms(sh);
    int64_t max = sh->cfg->engine.max_future_ms;
    if (stream != NR_TIME_NONE && max > 0 && t - stream > max) {
        if (held_copy(&s->ahead, i, a, record, arrival_ms) < 0) {
            nr_error_set(err, "out of memory to hold a %zu-byte article", record.len);
            return NR_REJECT_TOO_LARGE;
        }
        return NR_REJECT_NONE;
    }
    return process(s, i, a, record, t, out, err);
}

void nr_stage1_flush(struct nr_stage1 *s, const struct nr_stage1_out *out)
{
    if (s->ahead.mem)
        ahead_future(s, out, "no later article confirms it");
    if (s->n_pend) {
        int64_t stream = nr_stage1_stream_ms(s->sh);
        release_pending(s, stream, stream == NR_TIME_NONE, out);
    }
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
    if (out->defer)
        for (size_t i = 0; i < n; i++) {
            struct nr_article a;
            int64_t t;
            bool future;
            if (nr_article_peek(s->decoder, i, &a, &err) == NR_REJECT_NONE &&
                nr_engine_time(s->sh->cfg, &a, NR_TIME_NONE, arrival_ms, NR_TIME_NONE, &t, &future,
                               &err) == NR_REJECT_BAD_TIME)
                return NR_STAGE1_DEFERRED;
        }
    for (size_t i = 0; i < n; i++) {
        struct nr_article a;
        rj = nr_article_record(s->decoder, i, &a, &err);
        if (rj == NR_REJECT_NONE)
            rj = one_article(s, (long)i, &a, nr_article_record_text(s->decoder, i), fallback_ms,
                             arrival_ms, out, &err);
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
    out->undated_held += a->undated_held;
    out->undated_arrival += a->undated_arrival;
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        out->field_errors[f] += a->field_errors[f];
}
