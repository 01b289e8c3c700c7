/*
 * engine_stage2.c - stage 2 of the pipeline (engine.h): count events ->
 * windows -> near dedup -> detect -> alerts, around one detector (detect.c).
 *
 * nr_stage2_feed reads one wire message of the repartition topic. Its
 * framing is checked in a first pass so that a broken message is rejected
 * whole and counts nothing (it is kept by the driver as a dead letter and
 * can be read again); then each record is decoded against this stage's
 * config and counted, or rejected alone (a rule removed by a reload here or
 * in another instance, an entity no longer known).
 */
#include "newsradar/engine.h"

#include <stdlib.h>

struct nr_stage2 {
    const struct nr_config *cfg;
    struct nr_detector *det;
    struct nr_event_buf eb;
};

struct nr_stage2 *nr_stage2_new(const struct nr_config *cfg, struct nr_error *err)
{
    struct nr_stage2 *s = nr_xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    s->det = nr_detector_new(cfg, err);
    if (!s->det) {
        free(s);
        return NULL;
    }
    return s;
}

void nr_stage2_free(struct nr_stage2 *s)
{
    if (!s)
        return;
    nr_detector_free(s->det);
    nr_event_buf_free(&s->eb);
    free(s);
}

struct nr_detector *nr_stage2_detector(struct nr_stage2 *s)
{
    return s->det;
}

void nr_stage2_count(struct nr_stage2 *s, const struct nr_count_event *ev, nr_alert_fn fn, void *ud)
{
    nr_detector_count(s->det, ev, fn, ud);
}

void nr_stage2_advance(struct nr_stage2 *s, int64_t stream_ms, nr_alert_fn fn, void *ud)
{
    nr_detector_advance(s->det, stream_ms, fn, ud);
}

size_t nr_stage2_feed(struct nr_stage2 *s, const char *msg, size_t len,
                      const struct nr_stage2_out *out)
{
    struct nr_error err = {{0}};
    struct nr_event_reader rd;
    const char *rec;
    size_t rlen, n = 0;
    int k = -1;
    if (msg && nr_event_reader_open(&rd, msg, len, &err) > 0)
        while ((k = nr_event_reader_next(&rd, &rec, &rlen, &err)) > 0)
            ;
    if (k < 0) {
        if (out->reject)
            out->reject(out->ud, -1, msg ? err.msg : "empty message", (struct nr_str){NULL, 0});
        return 0;
    }
    nr_event_reader_open(&rd, msg, len, &err);
    for (long i = 0; nr_event_reader_next(&rd, &rec, &rlen, &err) > 0; i++) {
        if (nr_event_decode(s->cfg, rec, rlen, &s->eb, &err) != 0) {
            if (out->reject)
                out->reject(out->ud, rd.single ? -1 : i, err.msg, (struct nr_str){rec, rlen});
            continue;
        }
        if (out->hold) {
            out->hold(out->ud, &s->eb.ev, rec, rlen);
            n++;
            continue;
        }
        nr_detector_count(s->det, &s->eb.ev, out->alert, out->ud);
        if (out->counted)
            out->counted(out->ud, &s->eb.ev);
        n++;
    }
    return n;
}

const struct nr_count_event *nr_stage2_count_record(struct nr_stage2 *s, const char *rec,
                                                    size_t len, nr_alert_fn fn, void *ud,
                                                    struct nr_error *err)
{
    if (nr_event_decode(s->cfg, rec, len, &s->eb, err) != 0)
        return NULL;
    nr_detector_count(s->det, &s->eb.ev, fn, ud);
    return &s->eb.ev;
}

void nr_stage2_stats_add(const struct nr_stage2 *s, struct nr_engine_stats *out)
{
    struct nr_detect_stats ds;
    nr_detector_stats(s->det, &ds);
    out->duplicates += ds.duplicates;
    out->late += ds.late;
    out->late_dropped += ds.late_dropped;
    for (int i = 0; i < 4; i++)
        out->alerts[i] += ds.alerts[i];
    out->keys += ds.keys;
    out->keys_evicted += ds.keys_evicted;
    out->keys_firing += ds.keys_firing;
}
