/*
 * svc_stage1.c - stage 1 of the service: a poll of articles through
 * nr_stage1 (engine.h) on the tagging workers, then, in input order, dead
 * letters, count events batched per repartition partition, enriched
 * articles and offsets; and the event-time synchronisation of the input
 * partitions (watermark.h): pacing and watermark headers.
 */
#include "svc_int.h"

/* ---- stage 1: event-time synchronisation (watermark.h) ------------------------------ */

struct s1_src *svc_s1_src_find(struct stage *st, const char *topic, int32_t part, bool create)
{
    for (size_t i = 0; i < st->art.n_src; i++)
        if (st->art.src[i].partition == part && strcmp(st->art.src[i].topic, topic) == 0)
            return &st->art.src[i];
    if (!create)
        return NULL;
    if (st->art.n_src == st->art.cap_src) {
        st->art.cap_src = st->art.cap_src ? 2 * st->art.cap_src : 16;
        st->art.src = nr_xrealloc(st->art.src, st->art.cap_src * sizeof(*st->art.src));
        st->art.wm_want = nr_xrealloc(st->art.wm_want, st->art.cap_src * sizeof(*st->art.wm_want));
    }
    struct s1_src *s = &st->art.src[st->art.n_src++];
    s->topic = nr_xstrndup(topic, strlen(topic));
    s->partition = part;
    s->next = -1;
    s->eof = -1;
    s->time_ms = NR_TIME_NONE;
    nr_wm_src_init(&s->wm, nr_clock_mono_s());
    return s;
}

void svc_s1_src_drop(struct stage *st, const char *topic, int32_t part)
{
    struct s1_src *s = svc_s1_src_find(st, topic, part, false);
    if (!s)
        return;
    free(s->topic);
    *s = st->art.src[--st->art.n_src];
}

/* kafka.partition_idle in seconds */
static double idle_s(const struct stage *st)
{
    return (double)st->cfg->kafka.partition_idle_ms / 1000.0;
}

/* The watermarks of every source this stage owns, as a message header:
 * sent after the events they cover, by the same producer into the same
 * partition, so stage 2 always reads a source's events before its mark. */
static rd_kafka_headers_t *wm_headers(struct stage *st, uint64_t *sum)
{
    *sum = 0;
    if (!st->art.n_src)
        return NULL;
    double now = nr_clock_mono_s(), idle = idle_s(st);
    struct nr_wm_mark marks[64];
    size_t n = 0;
    rd_kafka_headers_t *h = rd_kafka_headers_new(1);
    /* at most 64 sources per header: an instance owning more sends several */
    for (size_t i = 0; i < st->art.n_src; i++) {
        const struct s1_src *s = &st->art.src[i];
        marks[n++] = (struct nr_wm_mark){
            s->topic, strlen(s->topic), s->partition,
            s->wm.wm, s->wm.first_ms,   nr_wm_src_idle(&s->wm, now, idle) ? NR_WM_IDLE : 0};
        if (n == NR_ARRAY_LEN(marks) || i + 1 == st->art.n_src) {
            nr_wm_encode(marks, n, &st->art.wmbuf, &st->art.wmcap, &st->art.wmlen);
            rd_kafka_header_add(h, WM_HEADER, -1, st->art.wmbuf, (ssize_t)st->art.wmlen);
            *sum = nr_hash64(st->art.wmbuf, st->art.wmlen, *sum + 1);
            n = 0;
        }
    }
    return h;
}

/* Every repartition partition hears of changed watermarks within
 * WM_MARK_S, and of unchanged ones every WM_BEAT_S (stage 2 must not take
 * the sources for silent): those that got no batch since the last round get
 * a message with the header only (no payload). */
void svc_s1_marks(struct stage *st)
{
    double now = nr_clock_mono_s();
    if (!st->art.n_src || now - st->art.last_mark < WM_MARK_S)
        return;
    uint64_t sum;
    rd_kafka_headers_destroy(wm_headers(st, &sum));
    bool beat = now - st->art.last_mark >= WM_BEAT_S;
    if (sum == st->art.last_mark_sum && !beat)
        return;
    st->art.last_mark_sum = sum;
    st->art.last_mark = now;
    /* a partition whose last batch carried these very marks needs no more */
    for (int32_t p = 0; p < st->art.n_evb; p++) {
        if (st->art.evb_sum[p] == sum && !beat)
            continue;
        (void)svc_produce(st, st->cfg->kafka.repartition_topic, p, NULL, 0, NULL, 0,
                          wm_headers(st, &st->art.evb_sum[p]), NULL);
    }
}

static void pause_resume(struct stage *st, const struct s1_src *s, bool pause)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, s->topic, s->partition);
    rd_kafka_resp_err_t err =
        pause ? rd_kafka_pause_partitions(st->c, l) : rd_kafka_resume_partitions(st->c, l);
    if (err || l->elems[0].err)
        NR_WARN(MOD, "%s %s [%" PRId32 "]: %s", pause ? "pause" : "resume", s->topic, s->partition,
                rd_kafka_err2str(err ? err : l->elems[0].err));
    rd_kafka_topic_partition_list_destroy(l);
}

/* Read the input partitions in event-time order: pause those running more
 * than WM_LEAD_MS ahead of the slowest (librdkafka drops what it fetched of
 * a paused partition and fetches again from the position on resume). */
void svc_s1_pace(struct stage *st)
{
    if (!st->art.n_src)
        return;
    double now = nr_clock_mono_s();
    for (size_t i = 0; i < st->art.n_src; i++) {
        struct s1_src *s = &st->art.src[i];
        /* At its end only when that is known: past the end offset of the
         * last fetch, or at an end-of-partition event after its last
         * message. A source not read yet is behind until its first fetch
         * answers (the end event says where it starts): the fetch may wait
         * seconds (an open transaction of a crashed instance holds its
         * committed offset unstable), and an idle mark then would let
         * stage 2 count the other sources' later events before its
         * backlog, at a later stream time than replay. */
        int64_t lo = -1, hi = -1, pos = s->next >= 0 ? s->next : s->eof;
        bool hi_ok = rd_kafka_get_watermark_offsets(st->c, s->topic, s->partition, &lo, &hi) ==
                         RD_KAFKA_RESP_ERR_NO_ERROR &&
                     hi >= 0;
        bool at_end = pos >= 0 && ((s->eof >= 0 && s->eof >= pos) || (hi_ok && pos >= hi));
        s->wm.behind = !at_end;
    }
    struct nr_wm_src *v = nr_xmalloc(st->art.n_src * sizeof(*v));
    for (size_t i = 0; i < st->art.n_src; i++)
        v[i] = st->art.src[i].wm;
    if (nr_wm_pace(v, st->art.n_src, now, idle_s(st), WM_LEAD_MS, st->art.wm_want)) {
        for (size_t i = 0; i < st->art.n_src; i++) {
            struct s1_src *s = &st->art.src[i];
            if (st->art.wm_want[i] == s->wm.paused)
                continue;
            pause_resume(st, s, st->art.wm_want[i]);
            s->wm.paused = st->art.wm_want[i];
            s->wm.active_at = now; /* a resumed partition needs a fetch before it is idle */
        }
    }
    free(v);
    size_t paused = 0;
    for (size_t i = 0; i < st->art.n_src; i++)
        paused += st->art.src[i].wm.paused;
    nr_gauge_set(st->s->mt.wm_paused, (double)paused);
}

/* Send partition p's open batch, with the watermark header; its delivery
 * report releases its ticket. */
static void evb_send(struct stage *st, int32_t p)
{
    struct nr_event_batch *b = &st->art.evb[p];
    struct ticket *t = st->art.evb_tk[p];
    if (!b->n || !t)
        return;
    st->art.evb_tk[p] = NULL;
    rd_kafka_headers_t *h = wm_headers(st, &st->art.evb_sum[p]);
    if (!h) /* no source (not reached: a batch has events of some input) */
        h = rd_kafka_headers_new(1);
    uint8_t *pos;
    size_t pl;
    nr_srcpos_encode(&st->art.evb_pos[p], &pos, &pl);
    rd_kafka_header_add(h, NR_SRCPOS_HEADER, -1, pos, (ssize_t)pl);
    free(pos);
    if (svc_produce(st, st->cfg->kafka.repartition_topic, p, NULL, 0, b->buf, b->len, h,
                    OPAQUE_TICKET(t)) != 0) {
        if (!svc_stopping(st->s) && !svc_eos(st->cfg)) /* as a failed delivery (svc_dr_cb) */
            st->s->fatal = 1;
        svc_ticket_release(t, false);
    }
    nr_event_batch_clear(b);
    nr_srcpos_clear(&st->art.evb_pos[p]);
}

/* End of a poll of stage 1: send every open batch. */
static void evb_flush(struct stage *st)
{
    for (int32_t p = 0; p < st->art.n_evb; p++)
        evb_send(st, p);
}

struct nr_oentry *svc_track_begin(struct stage *st, const rd_kafka_message_t *m, bool hold);

/* ---- stage 1, on the workers: decode, tag, count events ---------------------------- */

struct s1_ctx {
    struct stage *st;
    struct s1_worker *w;
    struct s1_item *it;
};

/* A count event goes to the repartition partition its key "rule|key" maps
 * to by the Java client's murmur2 partitioner (what earlier versions let
 * librdkafka pick per event), so a key's partition is the same in every
 * instance and across the upgrade. The worker encodes it; the stage thread
 * copies it into that partition's batch. */
static void s1_event(void *ud, const struct nr_count_event *ev)
{
    struct s1_ctx *c = ud;
    const struct nr_config *cfg = c->st->cfg;
    const char *rid = cfg->rules[ev->rule].id;
    char key[NR_EVENT_KEY_MAX + 256];
    size_t rl = strlen(rid), kl = strlen(ev->key);
    if (rl + 1 + kl > sizeof(key)) { /* ids are capped in config: not reached */
        c->it->ev_failed++;
        return;
    }
    memcpy(key, rid, rl);
    key[rl] = '|';
    memcpy(key + rl + 1, ev->key, kl);
    int32_t part =
        rd_kafka_msg_partitioner_murmur2(NULL, key, rl + 1 + kl, c->st->art.n_evb, NULL, NULL);
    struct nr_event_batch *b = &c->w->rec;
    if (nr_event_batch_add(cfg, b, ev) != 0) { /* the event fits its config: not reached */
        c->it->ev_failed++;
        return;
    }
    struct s1_worker *w = c->w;
    if (w->n_ev == w->cap_ev) {
        w->cap_ev = w->cap_ev ? 2 * w->cap_ev : 1024;
        w->ev = nr_xrealloc(w->ev, w->cap_ev * sizeof(*w->ev));
    }
    w->ev[w->n_ev++] = (struct s1_ev){part, b->last_len, b->last_off};
}

/* One more new article in language tag (worker side: the item only). */
static void s1_lang_count(struct s1_item *it, const char *tag)
{
    for (uint32_t k = 0; k < it->n_langs; k++)
        if (strcmp(it->langs[k].tag, tag) == 0) {
            it->langs[k].n++;
            return;
        }
    if (it->n_langs == it->cap_langs) {
        it->cap_langs = it->cap_langs ? 2 * it->cap_langs : 2;
        it->langs = nr_xrealloc(it->langs, it->cap_langs * sizeof(*it->langs));
    }
    struct s1_lang *l = &it->langs[it->n_langs++];
    snprintf(l->tag, sizeof(l->tag), "%s", tag);
    l->n = 1;
}

/* The series of newsradar_articles_total for language tag ("" = "und",
 * BCP 47's undetermined), registered when first met (stage thread). */
static _Atomic uint64_t *s1_lang_series(struct stage *st, const char *tag)
{
    static const char help[] =
        "New articles tagged, by language (declared or detected; und: unknown).";
    if (!*tag)
        tag = "und";
    for (size_t k = 0; k < st->art.n_lang_series; k++)
        if (strcmp(st->art.lang_series[k].tag, tag) == 0)
            return st->art.lang_series[k].c;
    char lb[32];
    if (st->art.n_lang_series == SVC_LANG_SERIES) {
        if (!st->art.lang_other)
            st->art.lang_other = nr_metrics_counter(st->s->mt.reg, "newsradar_articles_total", help,
                                                    "language=\"other\"");
        return st->art.lang_other;
    }
    /* tags are lang.h's: 2-3 lowercase letters, nothing to escape */
    snprintf(lb, sizeof(lb), "language=\"%s\"", tag);
    size_t k = st->art.n_lang_series++;
    snprintf(st->art.lang_series[k].tag, sizeof(st->art.lang_series[k].tag), "%s", tag);
    st->art.lang_series[k].c =
        nr_metrics_counter(st->s->mt.reg, "newsradar_articles_total", help, lb);
    return st->art.lang_series[k].c;
}

/* The enriched article: {"article": <the input, byte for byte>, "tags":
 * <what `newsradar tag` prints>}. The input was validated as a JSON object
 * by the decoder, so splicing it is safe. record: the article as decoded
 * (after UTF-8 repair). */
static void s1_tagged(void *ud, long index, const struct nr_article *a, const struct nr_tags *t,
                      struct nr_str record, int64_t event_ms)
{
    (void)index;
    (void)event_ms;
    struct s1_ctx *c = ud;
    s1_lang_count(c->it, t->lang);
    if (!*c->st->cfg->kafka.enriched_topic)
        return;
    char *tags = nr_tags_to_json(c->st->cfg, a, t);
    if (!tags)
        return;
    static const char pre[] = "{\"article\":", mid[] = ",\"tags\":";
    size_t tl = strlen(tags), n = sizeof(pre) - 1 + record.len + sizeof(mid) - 1 + tl + 1;
    char *buf = nr_xmalloc(n + 1);
    size_t o = 0;
    memcpy(buf + o, pre, sizeof(pre) - 1), o += sizeof(pre) - 1;
    memcpy(buf + o, record.p, record.len), o += record.len;
    memcpy(buf + o, mid, sizeof(mid) - 1), o += sizeof(mid) - 1;
    memcpy(buf + o, tags, tl), o += tl;
    buf[o++] = '}';
    free(tags);
    struct s1_item *it = c->it;
    it->enriched = nr_xrealloc(it->enriched, (it->n_enriched + 1) * sizeof(*it->enriched));
    it->enriched_len =
        nr_xrealloc(it->enriched_len, (it->n_enriched + 1) * sizeof(*it->enriched_len));
    it->enriched[it->n_enriched] = buf;
    it->enriched_len[it->n_enriched++] = o;
}

/* An accepted article's event time: the source's watermark moves with it. */
static void s1_time(void *ud, int64_t t)
{
    struct s1_ctx *c = ud;
    if (c->it->ev_ms == NR_TIME_NONE || t > c->it->ev_ms)
        c->it->ev_ms = t;
}

/* A rejected article (or message), kept with its text until the stage
 * thread produces its dead letter. */
static void s1_reject(void *ud, long index, enum nr_reject r, const char *msg, struct nr_str record)
{
    struct s1_ctx *c = ud;
    struct s1_worker *w = c->w;
    nr_grow((void **)&w->rj, &w->cap_rj, w->n_rj + 1, sizeof(*w->rj));
    struct s1_rej *j = &w->rj[w->n_rj++];
    j->index = index;
    j->reason = r;
    snprintf(j->msg, sizeof(j->msg), "%s", msg);
    j->off = w->rj_len;
    j->len = record.p ? record.len : 0;
    if (j->len) {
        nr_grow((void **)&w->rj_text, &w->rj_cap, w->rj_len + j->len, 1);
        memcpy(w->rj_text + w->rj_len, record.p, j->len);
        w->rj_len += j->len;
    }
    c->it->rj_n++;
}

/* nr_pool_fn: one message on worker wi, through nr_stage1_feed (engine.h).
 * Touches only the item, the worker's own state and what is shared and
 * thread-safe (the config, the tagger, the duplicate set). An article's
 * time: published_at unless future-dated (engine.max_future after now);
 * else, as in replay, the stream time before it, here its partition's: a
 * message needing it is deferred to the stage thread (s1_fallback). */
static void s1_work(void *ctx, unsigned wi, size_t i)
{
    struct stage *st = ctx;
    struct s1_item *it = &st->art.items[i];
    if (!it->e)
        return;
    double t0 = nr_clock_mono_s();
    struct s1_worker *w = &st->art.w[wi];
    const rd_kafka_message_t *m = it->m;
    it->worker = wi;
    it->ev_first = w->n_ev;
    it->rj_first = w->n_rj;
    struct nr_engine_stats before = {0};
    nr_stage1_stats_add(w->s1, &before);
    memset(&it->stats, 0, sizeof(it->stats));
    struct s1_ctx c = {st, w, it};
    const struct nr_stage1_out out = {.ud = &c,
                                      .event = s1_event,
                                      .time = s1_time,
                                      .tagged = s1_tagged,
                                      .reject = s1_reject,
                                      .defer = !it->deferred};
    it->ev_ms = NR_TIME_NONE;
    if (nr_stage1_feed(w->s1, m->payload, m->len, it->deferred ? it->fallback_ms : NR_TIME_NONE,
                       nr_clock_wall_ms(), &out) == NR_STAGE1_DEFERRED) {
        it->deferred = true;
        it->ev_n = 0;
        return;
    }
    nr_stage1_stats_add(w->s1, &it->stats);
    it->stats.tagged -= before.tagged;
    it->stats.duplicates -= before.duplicates;
    it->stats.future -= before.future;
    it->stats.utf8_repairs -= before.utf8_repairs;
    it->stats.boilerplate -= before.boilerplate;
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        it->stats.field_errors[f] -= before.field_errors[f];
    it->ev_n = w->n_ev - it->ev_first;
    it->secs = nr_clock_mono_s() - t0;
}

/* ---- stage 1, on the stage thread: in input order ------------------------------------ */

/* Copy one encoded count event of input message m into its partition's
 * batch, with m's position; m then waits for that batch's delivery. */
static void s1_emit(struct stage *st, const rd_kafka_message_t *m, uint64_t src,
                    const struct s1_ev *ev, const uint8_t *rec)
{
    struct nr_event_batch *b = &st->art.evb[ev->part];
    if (b->n && b->len + 4 + ev->len > EVB_MAX_BYTES)
        evb_send(st, ev->part);
    nr_event_batch_add_raw(b, rec, ev->len);
    /* its index among m's records for this partition, across batches */
    struct s1_at *at = &st->art.evb_at[ev->part];
    if (at->src != src || at->offset != m->offset)
        *at = (struct s1_at){src, m->offset, 0};
    nr_srcpos_add(&st->art.evb_pos[ev->part], src, m->offset, at->n++);
    struct ticket *t = st->art.evb_tk[ev->part];
    if (!t)
        t = st->art.evb_tk[ev->part] = nr_xcalloc(1, sizeof(*t));
    /* an input's events are emitted together: it joins a ticket once */
    if (t->n == 0 || t->e[t->n - 1] != st->cur_entry) {
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 64;
            t->e = nr_xrealloc(t->e, t->cap * sizeof(*t->e));
        }
        nr_oentry_expect(st->cur_entry);
        t->e[t->n++] = st->cur_entry;
    }
}

static void s1_finish(struct stage *st, struct s1_item *it)
{
    struct metrics *mt = &st->s->mt;
    const rd_kafka_message_t *m = it->m;
    const struct s1_worker *w = &st->art.w[it->worker];
    st->cur_entry = it->e;
    nr_counter_add(mt->future, it->stats.future);
    nr_counter_add(mt->utf8_repairs, it->stats.utf8_repairs);
    nr_counter_add(mt->boilerplate, it->stats.boilerplate);
    nr_counter_add(mt->dups, it->stats.duplicates);
    nr_counter_add(mt->tagged, it->stats.tagged);
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        nr_counter_add(mt->field_errors[f], it->stats.field_errors[f]);
    for (uint32_t k = 0; k < it->n_langs; k++)
        nr_counter_add(s1_lang_series(st, it->langs[k].tag), it->langs[k].n);
    free(it->langs);
    it->langs = NULL;
    it->n_langs = it->cap_langs = 0;
    for (size_t k = 0; k < it->rj_n; k++) {
        const struct s1_rej *j = &w->rj[it->rj_first + k];
        if (j->index < 0)
            svc_dead_letter(st, m, nr_reject_name(j->reason), j->msg);
        else
            svc_dead_letter_part(st, m, w->rj_text + j->off, j->len, j->index,
                                 nr_reject_name(j->reason), j->msg);
    }
    /* m's source id, once for all its events (srcpos.h) */
    uint64_t src = it->ev_n ? nr_srcpos_id(rd_kafka_topic_name(m->rkt), m->partition) : 0;
    for (size_t k = 0; k < it->ev_n; k++) {
        const struct s1_ev *ev = &w->ev[it->ev_first + k];
        s1_emit(st, m, src, ev, w->rec.buf + ev->off);
    }
    nr_counter_add(mt->events, it->ev_n);
    for (uint32_t k = 0; k < it->ev_failed; k++) {
        NR_ERROR(MOD, "a count event of %s [%" PRId32 "] @%" PRId64 " cannot be encoded",
                 rd_kafka_topic_name(m->rkt), m->partition, m->offset);
        nr_oentry_expect(it->e);
        nr_oentry_done(it->e, false);
    }
    /* Derived data, not gating the input's commit: a failed delivery (e.g.
     * larger than the topic's limit) is counted, never a reason to stop. */
    for (size_t k = 0; k < it->n_enriched; k++) {
        (void)svc_produce(st, st->cfg->kafka.enriched_topic, RD_KAFKA_PARTITION_UA, m->key,
                          m->key_len, it->enriched[k], it->enriched_len[k], NULL, NULL);
        free(it->enriched[k]);
    }
    free(it->enriched);
    free(it->enriched_len);
    it->enriched = NULL;
    it->enriched_len = NULL;
    it->n_enriched = 0;
    nr_oentry_done(it->e, true);
    st->cur_entry = NULL;
    nr_histogram_observe(mt->latency, it->secs);
}

/* The time of an undated (or future-dated, clamped) article of message m,
 * in input order: its partition's stream time, as replay's is the stream
 * time before it; for a partition with no time yet (just assigned) stage
 * 1's stream time, else the message timestamp. Not the timestamp first: in
 * a backlog it is when the message was produced, and one undated article
 * would move stream time that far and make every later article late. */
static int64_t s1_fallback(struct stage *st, const struct s1_src *src, const rd_kafka_message_t *m)
{
    if (src->time_ms != NR_TIME_NONE)
        return src->time_ms;
    int64_t t = nr_stage1_stream_ms(st->art.sh);
    if (t != NR_TIME_NONE)
        return t;
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    return ts >= 0 ? ts : NR_TIME_NONE;
}

/* s1_work with its turn at the shared boilerplate model (items are taken
 * in increasing order, so each waits at most for those before it). */
static void s1_work_ordered(void *ctx, unsigned wi, size_t i)
{
    struct stage *st = ctx;
    struct nr_stage1 *s1 = st->art.w[wi].s1;
    nr_stage1_order_item(s1, i);
    s1_work(ctx, wi, i);
    nr_stage1_order_done(s1);
}

/* One poll of articles: track them in order, decode and tag them on the
 * workers, then, in input order, dead-letter or batch their events, and
 * send the batches. Fewer than S1_MIN_PARALLEL articles stay on this
 * thread: waking the helpers would cost more. */
#define S1_MIN_PARALLEL 8
void svc_stage1_batch(struct stage *st, rd_kafka_message_t **msgs, size_t n)
{
    struct metrics *mt = &st->s->mt;
    for (size_t i = 0; i < n; i++) {
        struct s1_item *it = &st->art.items[i];
        memset(it, 0, sizeof(*it));
        it->m = msgs[i];
        if (msgs[i]->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            struct s1_src *src =
                svc_s1_src_find(st, rd_kafka_topic_name(msgs[i]->rkt), msgs[i]->partition, false);
            if (src)
                src->eof = msgs[i]->offset; /* read up to here: it may turn idle */
            continue;
        }
        if (msgs[i]->err) {
            NR_WARN(MOD, "consume: %s", rd_kafka_message_errstr(msgs[i]));
            continue;
        }
        it->e = svc_track_begin(st, msgs[i], false);
        if (it->e) {
            nr_counter_add(mt->in, 1);
            nr_counter_add(mt->bytes, msgs[i]->len);
        }
    }
    for (unsigned k = 0; k < st->art.n_w; k++) {
        nr_event_batch_clear(&st->art.w[k].rec);
        st->art.w[k].n_ev = 0;
        st->art.w[k].n_rj = 0;
        st->art.w[k].rj_len = 0;
    }
    /* the shared boilerplate model sees the articles in input order */
    nr_stage1_order_begin(st->art.sh);
    nr_pool_run(st->art.pool, s1_work_ordered, st, n, S1_MIN_PARALLEL);
    nr_stage1_order_end(st->art.sh);
    for (size_t i = 0; i < n; i++) {
        struct s1_item *it = &st->art.items[i];
        if (!it->e)
            continue;
        struct s1_src *src =
            svc_s1_src_find(st, rd_kafka_topic_name(it->m->rkt), it->m->partition, true);
        if (it->deferred) {
            it->fallback_ms = s1_fallback(st, src, it->m);
            s1_work(st, 0, i); /* worker 0 is this thread */
        }
        if (it->ev_ms != NR_TIME_NONE && (src->time_ms == NR_TIME_NONE || it->ev_ms > src->time_ms))
            src->time_ms = it->ev_ms;
        s1_finish(st, it);
    }
    /* the watermarks move only now, so that every header sent before
     * covers only events already sent */
    double now = nr_clock_mono_s();
    for (size_t i = 0; i < n; i++) {
        const struct s1_item *it = &st->art.items[i];
        if (!it->e)
            continue;
        struct s1_src *src =
            svc_s1_src_find(st, rd_kafka_topic_name(it->m->rkt), it->m->partition, true);
        src->next = it->m->offset + 1;
        nr_wm_src_article(&src->wm, it->ev_ms, it->ev_ms != NR_TIME_NONE && it->ev_n > 0, now);
    }
    evb_flush(st);
    svc_s1_marks(st);
    svc_s1_pace(st);
}

/* ---- the stage's part in the thread loop and the rebalances (stage_ops) --------------- */

static void s1_begin(struct stage *st)
{
    if (st->art.n_w <= 1)
        return;
    st->art.pool = nr_pool_new(st->art.n_w - 1, "nr-tag");
    if (!st->art.pool) {
        NR_ERROR(MOD, "cannot start %u tagging threads", st->art.n_w - 1);
        st->s->fatal = 1;
    } else {
        NR_INFO(MOD, "stage 1 decodes and tags on %u threads", st->art.n_w);
    }
}

/* Watermarks keep flowing when no article comes. */
static bool s1_tick(struct stage *st)
{
    svc_s1_marks(st);
    svc_s1_pace(st);
    return false;
}

/* A partition assigned again, or read again after a rewind, starts at a
 * message it may have sent records of: their indices start at 0 again. */
static void s1_at_reset(struct stage *st)
{
    memset(st->art.evb_at, 0, (size_t)st->art.n_evb * sizeof(*st->art.evb_at));
}

static void s1_assign(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
    s1_at_reset(st);
    for (int i = 0; i < parts->cnt; i++)
        (void)svc_s1_src_find(st, parts->elems[i].topic, parts->elems[i].partition, true);
    st->s->n_assigned1 += parts->cnt;
}

static void s1_revoked(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
    st->s->n_assigned1 -= parts->cnt;
    for (int i = 0; i < parts->cnt; i++)
        svc_s1_src_drop(st, parts->elems[i].topic, parts->elems[i].partition);
}

/* exactly_once: the articles' offsets (src->next moves only past
 * processed messages). */
static void s1_rewind(struct stage *st)
{
    s1_at_reset(st);
    for (size_t i = 0; i < st->art.n_src; i++)
        if (st->art.src[i].wm.paused) /* a new source is not paused */
            pause_resume(st, &st->art.src[i], false);
    nr_stage1_shared_reset(st->art.sh);
}

static void s1_txn_offsets(struct stage *st, rd_kafka_topic_partition_list_t *l)
{
    for (size_t i = 0; i < st->art.n_src; i++)
        if (st->art.src[i].next >= 0)
            rd_kafka_topic_partition_list_add(l, st->art.src[i].topic, st->art.src[i].partition)
                ->offset = st->art.src[i].next;
}

const struct stage_ops svc_stage1_ops = {
    .num = 1,
    .name = "articles",
    .thread = "nr-articles",
    .rounds = 1,
    .begin = s1_begin,
    .batch = svc_stage1_batch,
    .tick = s1_tick,
    .assign = s1_assign,
    .revoked = s1_revoked,
    .reload = svc_s1_reload,
    .txn_offsets = s1_txn_offsets,
    .rewind = s1_rewind,
};
