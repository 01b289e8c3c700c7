/*
 * engine.c - both stages of the pipeline in one process (engine.h), for
 * replay, the tests and the benchmarks, and the event-time rule every
 * driver uses (nr_engine_time).
 *
 * nr_engine is one nr_stage1 (engine_stage1.c) whose count events go
 * straight to one nr_stage2 (engine_stage2.c), and whose article times
 * advance that stage 2's stream time: the same functions the Kafka service
 * calls with a repartition topic between them. Single threaded.
 *
 * Event time (nr_engine_time): a published_at more than engine.max_future
 * after the arrival time is not believed (clamped to the fallback, or
 * rejected), so one article dated 2099 cannot move stream time and make
 * every later article late. The reference is the arrival time; with
 * nr_engine_hold (replay), also the stream time, with a one-article
 * lookahead (engine_stage1.c) so that the honest gap of a sparse feed is
 * not clamped.
 */
#include "newsradar/engine.h"

#include <stdlib.h>
#include <string.h>

struct nr_engine {
    struct nr_stage1_shared *sh;
    struct nr_stage1 *s1;
    struct nr_stage2 *s2;
    nr_tag_fn tag_fn;
    void *tag_ud;
};

const struct nr_tagger *nr_engine_tagger(const struct nr_engine *e)
{
    return nr_stage1_shared_tagger(e->sh);
}

struct nr_detector *nr_engine_detector(struct nr_engine *e)
{
    return nr_stage2_detector(e->s2);
}

void nr_engine_set_tag_hook(struct nr_engine *e, nr_tag_fn fn, void *ud)
{
    e->tag_fn = fn;
    e->tag_ud = ud;
}

struct nr_engine *nr_engine_new(const struct nr_config *cfg, struct nr_error *err)
{
    struct nr_engine *e = nr_xcalloc(1, sizeof(*e));
    e->s2 = nr_stage2_new(cfg, err);
    if (!e->s2)
        goto fail;
    e->sh = nr_stage1_shared_new(cfg, err);
    if (!e->sh)
        goto fail;
    e->s1 = nr_stage1_new(e->sh, err);
    if (!e->s1)
        goto fail;
    return e;
fail:
    nr_engine_free(e);
    return NULL;
}

void nr_engine_free(struct nr_engine *e)
{
    if (!e)
        return;
    nr_stage1_free(e->s1);
    nr_stage1_shared_free(e->sh);
    nr_stage2_free(e->s2);
    free(e);
}

void nr_engine_advance(struct nr_engine *e, int64_t stream_ms, nr_alert_fn fn, void *ud)
{
    nr_stage2_advance(e->s2, stream_ms, fn, ud);
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

struct inproc {
    struct nr_engine *e;
    nr_alert_fn fn;
    nr_reject_fn rfn;
    void *ud;
};

static void to_stage2(void *ud, const struct nr_count_event *ev)
{
    struct inproc *p = ud;
    nr_stage2_count(p->e->s2, ev, p->fn, p->ud);
}

static void advance_stage2(void *ud, int64_t t)
{
    struct inproc *p = ud;
    nr_stage2_advance(p->e->s2, t, p->fn, p->ud);
}

static void on_tagged(void *ud, long index, const struct nr_article *a, const struct nr_tags *t,
                      struct nr_str record, int64_t event_ms)
{
    (void)index;
    (void)record;
    struct inproc *p = ud;
    if (p->e->tag_fn)
        p->e->tag_fn(p->e->tag_ud, a, t, event_ms);
}

static void on_reject(void *ud, long index, enum nr_reject r, const char *msg, struct nr_str record)
{
    struct inproc *p = ud;
    if (p->rfn)
        p->rfn(p->ud, index, r, msg, record);
}

/* Stage 1's outputs wired to stage 2 and the caller's callbacks in p. */
static struct nr_stage1_out inproc_out(struct inproc *p)
{
    return (struct nr_stage1_out){.ud = p,
                                  .event = to_stage2,
                                  .time = advance_stage2,
                                  .tagged = on_tagged,
                                  .reject = on_reject};
}

size_t nr_engine_feed(struct nr_engine *e, const char *msg, size_t len, int64_t fallback_ms,
                      int64_t arrival_ms, nr_alert_fn fn, nr_reject_fn rfn, void *ud)
{
    struct inproc p = {e, fn, rfn, ud};
    const struct nr_stage1_out out = inproc_out(&p);
    return nr_stage1_feed(e->s1, msg, len, fallback_ms, arrival_ms, &out);
}

void nr_engine_hold(struct nr_engine *e, bool on)
{
    nr_stage1_hold(e->s1, on);
}

void nr_engine_flush(struct nr_engine *e, nr_alert_fn fn, nr_reject_fn rfn, void *ud)
{
    struct inproc p = {e, fn, rfn, ud};
    const struct nr_stage1_out out = inproc_out(&p);
    nr_stage1_flush(e->s1, &out);
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

static void first_reject(void *ud, long index, enum nr_reject r, const char *msg,
                         struct nr_str record)
{
    (void)index;
    (void)record;
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
    memset(out, 0, sizeof(*out));
    nr_stage1_stats_add(e->s1, out);
    nr_stage2_stats_add(e->s2, out);
}
