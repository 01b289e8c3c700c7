/*
 * svc_stage2.c - stage 2 of the service: count events of one repartition
 * partition through its nr_stage2 (engine.h), held until every source's
 * watermark has passed them, alerts produced, and the dirty keys
 * checkpointed to the compacted changelog topic.
 */
#include "svc_int.h"
#include "newsradar/bytes.h"

void svc_dirty_clear(struct dirty *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i]);
    d->n = 0;
    if (d->slots)
        memset(d->slots, 0, d->n_slots * sizeof(*d->slots));
}

void svc_dirty_free(struct dirty *d)
{
    svc_dirty_clear(d);
    free(d->v);
    free(d->slots);
    memset(d, 0, sizeof(*d));
}

static void dirty_rehash(struct dirty *d, size_t n_slots)
{
    free(d->slots);
    d->n_slots = n_slots;
    d->slots = nr_xcalloc(n_slots, sizeof(*d->slots));
    for (size_t i = 0; i < d->n; i++) {
        size_t s = nr_hash64(d->v[i], strlen(d->v[i]), 0) & (n_slots - 1);
        while (d->slots[s])
            s = (s + 1) & (n_slots - 1);
        d->slots[s] = (uint32_t)i + 1;
    }
}

void svc_dirty_add(struct dirty *d, const char *rule_id, const char *key)
{
    char buf[NR_EVENT_KEY_MAX + 256];
    int len = snprintf(buf, sizeof(buf), "%s\x1f%s", rule_id, key);
    if (len < 0 || (size_t)len >= sizeof(buf))
        return;
    if ((d->n + 1) * 2 > d->n_slots)
        dirty_rehash(d, d->n_slots ? d->n_slots * 2 : 64);
    size_t s = nr_hash64(buf, (size_t)len, 0) & (d->n_slots - 1);
    while (d->slots[s]) {
        if (strcmp(d->v[d->slots[s] - 1], buf) == 0)
            return;
        s = (s + 1) & (d->n_slots - 1);
    }
    nr_grow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v));
    d->v[d->n] = nr_xstrndup(buf, (size_t)len);
    d->slots[s] = (uint32_t)++d->n;
}

/* ---- stage 2: count events -> windows -> alerts ----------------------------------- */

static void emit_alert(void *ud, const struct nr_alert *al)
{
    struct stage *st = ud;
    char *json = nr_alert_to_json(al);
    if (json) {
        svc_produce_for_entry(st, st->cfg->kafka.alert_topic, RD_KAFKA_PARTITION_UA, al->alert_id,
                              strlen(al->alert_id), json, strlen(json), NULL);
        free(json);
    }
    char labels[512], rule[256];
    nr_metrics_escape(al->rule, rule, sizeof(rule));
    snprintf(labels, sizeof(labels), "rule=\"%s\",state=\"%s\"", rule,
             nr_alert_state_name(al->state));
    nr_counter_add(nr_metrics_counter(st->s->mt.reg, "newsradar_alerts_total",
                                      "Alerts produced, by rule and state.", labels),
                   1);
    if (st->cnt.cur_p2)
        svc_dirty_add(&st->cnt.cur_p2->dirty, al->rule, al->key);
}

struct p2 *svc_p2_get(struct stage *st, int32_t partition, bool create)
{
    if (partition < 0)
        return NULL;
    if ((size_t)partition >= st->cnt.n_p2) {
        if (!create)
            return NULL;
        size_t n = (size_t)partition + 1;
        st->cnt.p2 = nr_xrealloc(st->cnt.p2, n * sizeof(*st->cnt.p2));
        memset(st->cnt.p2 + st->cnt.n_p2, 0, (n - st->cnt.n_p2) * sizeof(*st->cnt.p2));
        st->cnt.n_p2 = n;
    }
    return &st->cnt.p2[partition];
}

struct wm_ctx {
    struct p2 *p;
    double now;
};

static void wm_mark(void *ud, const struct nr_wm_mark *mk)
{
    struct wm_ctx *c = ud;
    nr_wm_table_update(&c->p->wmt, mk, c->now);
}

/* Count the held events that no source can precede any more (event time at
 * or before the minimum watermark), in event-time order, then move stream
 * time to that minimum. force: count every held event (the offset ring is
 * full); past WM_HOLD_MAX bytes the earliest are counted anyway. Each
 * event's alerts wait on the offset entry of the message it came in. */
void svc_p2_release(struct stage *st, struct p2 *p, bool force)
{
    struct nr_wm_now w;
    nr_wm_table_min(&p->wmt, nr_clock_mono_s(), WM_SILENT_S, &w);
    if (w.first_ms != NR_TIME_NONE) {
        /* the baseline is scaled by the time since the stream's first event,
         * wherever it was counted (replay has one detector) */
        int64_t sm, fs;
        nr_detector_meta(nr_stage2_detector(p->s2), &sm, &fs);
        if (fs == NR_TIME_NONE || w.first_ms < fs)
            nr_detector_set_meta(nr_stage2_detector(p->s2), sm, w.first_ms);
    }
    struct nr_oentry *cur = st->cur_entry;
    struct p2 *curp = st->cnt.cur_p2;
    st->cnt.cur_p2 = p;
    const struct nr_evq_item *top;
    while ((top = nr_evq_top(&p->held)) &&
           (top->t <= w.release || force || p->held.bytes > WM_HOLD_MAX)) {
        struct nr_evq_item it;
        if (top->t > w.release)
            nr_counter_add(st->s->mt.wm_forced, 1);
        else if (top->t > w.strict)
            nr_counter_add(st->s->mt.wm_silent, 1);
        nr_evq_pop(&p->held, &it);
        struct nr_error err = {{0}};
        st->cur_entry = it.opaque;
        const struct nr_count_event *ev =
            nr_stage2_count_record(p->s2, (const char *)it.rec, it.len, emit_alert, st, &err);
        if (ev) {
            svc_dirty_add(&p->dirty, st->cfg->rules[ev->rule].id, ev->key);
        } else { /* a reload removed its rule while it was held */
            NR_WARN(MOD, "held count event of %s @%" PRId64 " dropped: %s",
                    st->cfg->kafka.repartition_topic, it.offset, err.msg);
        }
        nr_oentry_done(it.opaque, true);
        free(it.rec);
    }
    st->cur_entry = cur;
    if (w.advance != NR_TIME_NONE)
        nr_stage2_advance(p->s2, w.advance, emit_alert, st);
    st->cnt.cur_p2 = curp;
}

/* The position of the next record of the current message (false:
 * unknown), records taken in order. */
static bool pos_next(struct stage_cnt *c, uint64_t *src, int64_t *offset, uint32_t *index)
{
    if (!c->cur_has_pos || c->cur_run >= c->cur_pos.n)
        return false;
    const struct nr_srcpos_run *r = &c->cur_pos.v[c->cur_run];
    *src = r->src;
    *offset = r->offset;
    *index = r->first + c->cur_in_run;
    if (++c->cur_in_run == r->n) {
        c->cur_run++;
        c->cur_in_run = 0;
    }
    return true;
}

/* A valid count event is held until no source can still send an earlier
 * one (p2_release counts it), unless its position says it reached this
 * partition before (srcpos.h). */
static void s2_hold(void *ud, const struct nr_count_event *ev, const char *rec, size_t len)
{
    struct stage *st = ud;
    struct p2 *p = st->cnt.cur_p2;
    uint64_t src = 0;
    int64_t off = -1;
    uint32_t idx = 0;
    if (pos_next(&st->cnt, &src, &off, &idx) && nr_srcpos_seen(&p->seen, src, off, idx)) {
        nr_counter_add(st->s->mt.repeats, 1); /* counted or held already */
        return;
    }
    nr_oentry_expect(st->cur_entry);
    nr_evq_push_src(&p->held, ev->event_ms, st->cnt.cur_msg->offset, st->cur_entry, rec, len, src,
                    off, idx);
}

static void s2_reject(void *ud, long index, const char *msg, struct nr_str record)
{
    struct stage *st = ud;
    const rd_kafka_message_t *m = st->cnt.cur_msg;
    if (record.p) {
        uint64_t src;
        int64_t off;
        uint32_t idx;
        (void)pos_next(&st->cnt, &src, &off, &idx); /* keep the positions in step */
        svc_dead_letter_part(st, m, record.p, record.len, index, "invalid_event", msg);
    } else {
        svc_dead_letter(st, m, "invalid_event", msg);
    }
}

void svc_stage2(struct stage *st, const rd_kafka_message_t *m)
{
    struct p2 *p = svc_p2_get(st, m->partition, false);
    if (!p || !p->active) {
        NR_WARN(MOD, "event for unassigned partition %" PRId32 " skipped", m->partition);
        return;
    }
    if (p->restoring) {
        /* Paused since its assignment, so not expected; if librdkafka had
         * fetched it before the pause, read it again after the restore. */
        if (!p->rs_seek) {
            rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt), m->partition)
                ->offset = m->offset;
            rd_kafka_error_t *e = rd_kafka_seek_partitions(st->c, l, 5000);
            if (e || l->elems[0].err) {
                NR_ERROR(MOD, "seek back during restore: %s",
                         e ? rd_kafka_error_string(e) : rd_kafka_err2str(l->elems[0].err));
                if (e)
                    rd_kafka_error_destroy(e);
                st->s->fatal = 1; /* not committed: read again after the restart */
            }
            rd_kafka_topic_partition_list_destroy(l);
            p->rs_seek = true;
            NR_WARN(MOD,
                    "count event of restoring partition %" PRId32 " @%" PRId64
                    ": read again after the restore",
                    m->partition, m->offset);
        }
        return;
    }
    struct nr_oentry *e = svc_track_begin(st, m, true);
    if (!e)
        return;
    st->cur_entry = e;
    st->cnt.cur_p2 = p;
    /* The sources' watermarks (stage 1 of some instance) */
    rd_kafka_headers_t *hd = NULL;
    const void *hv = NULL;
    size_t hl = 0;
    bool marked = false;
    if (rd_kafka_message_headers(m, &hd) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        struct wm_ctx wc = {p, nr_clock_mono_s()};
        for (size_t i = 0; rd_kafka_header_get(hd, i, WM_HEADER, &hv, &hl) == 0; i++) {
            struct nr_error werr = {{0}};
            if (nr_wm_decode(hv, hl, wm_mark, &wc, &werr) != 0)
                NR_WARN(MOD, "%s [%" PRId32 "] @%" PRId64 ": %s", rd_kafka_topic_name(m->rkt),
                        m->partition, m->offset, werr.msg);
            marked = true;
        }
    }
    if (marked && !m->payload) { /* watermarks only */
        p->last_offset = m->offset;
        svc_p2_release(st, p, false);
        nr_oentry_done(e, true);
        st->cur_entry = NULL;
        st->cnt.cur_p2 = NULL;
        return;
    }
    /* Our own topic, but a reload (here or in another instance) may have
     * removed or added a rule: whatever cannot be counted is kept as a dead
     * letter (nr_stage2_feed says which). */
    st->cnt.cur_msg = m;
    st->cnt.cur_run = 0;
    st->cnt.cur_in_run = 0;
    st->cnt.cur_has_pos = false;
    if (hd && rd_kafka_header_get_last(hd, NR_SRCPOS_HEADER, &hv, &hl) == 0) {
        struct nr_error perr = {{0}};
        struct nr_event_reader rd;
        int n_rec = nr_event_reader_open(&rd, m->payload, m->len, &perr);
        if (n_rec > 0 && nr_srcpos_decode(&st->cnt.cur_pos, hv, hl, &perr) == 0 &&
            st->cnt.cur_pos.records != (uint32_t)n_rec)
            snprintf(perr.msg, sizeof(perr.msg), "%s header: %" PRIu32 " positions for %d records",
                     NR_SRCPOS_HEADER, st->cnt.cur_pos.records, n_rec);
        if (n_rec > 0 && !perr.msg[0])
            st->cnt.cur_has_pos = true;
        else if (n_rec > 0) /* counted without: a repeat may be counted twice */
            NR_WARN(MOD, "%s [%" PRId32 "] @%" PRId64 ": %s", rd_kafka_topic_name(m->rkt),
                    m->partition, m->offset, perr.msg);
    }
    const struct nr_stage2_out out = {.ud = st, .hold = s2_hold, .reject = s2_reject};
    nr_stage2_feed(p->s2, m->payload, m->len, &out);
    if (st->cnt.cur_has_pos) /* after the message: its records repeat none of its own */
        nr_srcpos_note(&p->seen, &st->cnt.cur_pos);
    st->cnt.cur_msg = NULL;
    p->last_offset = m->offset;
    svc_p2_release(st, p, false);
    nr_oentry_done(e, true);
    st->cur_entry = NULL;
    st->cnt.cur_p2 = NULL;
}

static int held_cmp(const void *a, const void *b)
{
    const struct nr_evq_item *x = *(const struct nr_evq_item *const *)a;
    const struct nr_evq_item *y = *(const struct nr_evq_item *const *)b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void held_put(struct stage *st, int32_t part, struct ckpt *c, size_t i, const uint8_t *buf,
                     size_t len)
{
    char key[64];
    int kl = snprintf(key, sizeof(key), HELD_KEY "%zu", i);
    c->pending++;
    if (svc_produce(st, st->cfg->kafka.changelog_topic, part, key, (size_t)kl, buf, len, NULL,
                    OPAQUE_CKPT(c)) != 0) {
        c->pending--;
        c->failed = true;
    }
}

/* exactly_once: the held count events are part of the state the committed
 * offsets continue from (their messages are not read again), so they go to
 * the changelog too, in event-time order, as chunks of records
 * [int64 event time][int64 offset][uint32 length][event], each chunk under
 * EVB_MAX_BYTES, and HELDN_KEY says how many chunks are current. */
static void held_checkpoint(struct stage *st, struct p2 *p, int32_t part, struct ckpt *c)
{
    size_t n = p->held.n, chunks = 0, len = 0;
    const struct nr_evq_item **v = nr_xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = &p->held.h[i];
    qsort(v, n, sizeof(*v), held_cmp);
    uint8_t *buf = nr_xcalloc(EVB_MAX_BYTES, 1);
    for (size_t i = 0; i < n; i++) {
        size_t need = 20 + v[i]->len;
        if (need > EVB_MAX_BYTES)
            continue; /* not reached: an event is at most a few KiB */
        if (len + need > EVB_MAX_BYTES) {
            held_put(st, part, c, chunks++, buf, len);
            len = 0;
        }
        nr_be_put(buf + len, (uint64_t)v[i]->t, 8);
        nr_be_put(buf + len + 8, (uint64_t)v[i]->offset, 8);
        nr_be_put(buf + len + 16, v[i]->len, 4);
        memcpy(buf + len + 20, v[i]->rec, v[i]->len);
        len += need;
    }
    if (len)
        held_put(st, part, c, chunks++, buf, len);
    free(buf);
    free(v);
    char num[32];
    int nl = snprintf(num, sizeof(num), "%zu", chunks);
    c->pending++;
    if (svc_produce(st, st->cfg->kafka.changelog_topic, part, HELDN_KEY, strlen(HELDN_KEY), num,
                    (size_t)nl, NULL, OPAQUE_CKPT(c)) != 0) {
        c->pending--;
        c->failed = true;
    }
}

/* at_least_once, after a checkpoint that failed in part: the `seen`
 * record of the last whole one (none yet: an empty table, nothing taken
 * for a repeat) goes to the changelog again, so that a restore pairs it
 * with keys at least as new. Produced without waiting (this may run in a
 * delivery report); if it cannot be, the next checkpoint writes every key
 * (redo_all) and a new one. */
static void seen_rewrite(struct stage *st, struct p2 *p, int32_t part)
{
    uint8_t *empty = NULL;
    size_t len = p->seen_ok_len;
    const uint8_t *v = p->seen_ok;
    if (!v) {
        struct nr_srcpos_table none = {0};
        nr_srcpos_table_encode(&none, &empty, &len);
        v = empty;
    }
    rd_kafka_resp_err_t err = rd_kafka_producev(
        st->prod, RD_KAFKA_V_TOPIC(st->cfg->kafka.changelog_topic), RD_KAFKA_V_PARTITION(part),
        RD_KAFKA_V_KEY((void *)SEEN_KEY, strlen(SEEN_KEY)), RD_KAFKA_V_VALUE((void *)v, len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err)
        NR_WARN(MOD, "%s [%" PRId32 "]: source positions not written again: %s",
                st->cfg->kafka.changelog_topic, part, rd_kafka_err2str(err));
    p->redo_all = true;
    free(empty);
}

/* The sources' positions as of what the checkpoint covers. In
 * at_least_once the held events are not in it: their messages are read
 * again, so each source's entry goes below its earliest held event. */
static void seen_checkpoint(struct stage *st, struct p2 *p, int32_t part, struct ckpt *c)
{
    struct nr_srcpos_table t = {0};
    nr_grow((void **)&t.v, &t.cap, p->seen.n ? p->seen.n : 1, sizeof(*t.v));
    if (p->seen.n)
        memcpy(t.v, p->seen.v, p->seen.n * sizeof(*t.v));
    t.n = p->seen.n;
    if (!svc_eos(st->cfg))
        for (size_t i = 0; i < p->held.n; i++)
            if (p->held.h[i].src)
                nr_srcpos_lower(&t, p->held.h[i].src, p->held.h[i].src_off, p->held.h[i].src_idx);
    uint8_t *buf;
    size_t len;
    nr_srcpos_table_encode(&t, &buf, &len);
    nr_srcpos_table_free(&t);
    if (c->failed && !svc_eos(st->cfg)) {
        /* a key of this checkpoint is not written: the positions must not
         * run ahead of the keys in the changelog (its events would be
         * taken for repeats after a restore) */
        free(buf);
        seen_rewrite(st, p, part);
        return;
    }
    c->pending++;
    if (svc_produce(st, st->cfg->kafka.changelog_topic, part, SEEN_KEY, strlen(SEEN_KEY), buf, len,
                    NULL, OPAQUE_CKPT(c)) != 0) {
        c->pending--;
        c->failed = true;
    }
    if (svc_eos(st->cfg)) { /* the transaction keeps it whole or aborts it */
        free(buf);
    } else {
        c->seen = buf;
        c->seen_len = len;
    }
}

void svc_ckpt_done(struct stage *st, struct ckpt *c)
{
    if (c->op)
        nr_opart_ckpt_end(c->op, c->t, c->upto, !c->failed);
    struct p2 *p = svc_p2_get(st, c->part, false);
    if (p && p->active && !svc_eos(st->cfg)) {
        if (!c->failed && c->seen) {
            free(p->seen_ok);
            p->seen_ok = c->seen;
            p->seen_ok_len = c->seen_len;
            c->seen = NULL;
        } else if (c->failed && c->seen) { /* its seen may be delivered, a key not */
            seen_rewrite(st, p, c->part);
        }
    }
    free(c->seen);
    free(c);
}

/* Write every dirty key of partition `part` to the changelog; the offsets
 * processed so far become committable when all records are delivered. */
void svc_checkpoint(struct stage *st, int32_t part)
{
    struct p2 *p = svc_p2_get(st, part, false);
    if (!p || !p->active || p->last_offset < 0)
        return;
    const struct nr_config *cfg = st->cfg;
    int64_t st_ms = 0, fs_ms = 0;
    nr_detector_meta(nr_stage2_detector(p->s2), &st_ms, &fs_ms);
    /* Nothing read, counted or moved since the last one: no records (an
     * idle stage writes nothing and, in exactly_once, commits no
     * transaction: svc_txn_commit). The offsets it covered are the same. */
    if (p->ck_valid && !p->redo_all && p->dirty.n == 0 && p->ck_offset == p->last_offset &&
        p->ck_stream_ms == st_ms && p->ck_first_ms == fs_ms && p->ck_held == p->held.n)
        return;
    p->ck_valid = true;
    p->ck_offset = p->last_offset;
    p->ck_stream_ms = st_ms;
    p->ck_first_ms = fs_ms;
    p->ck_held = p->held.n;
    struct nr_wstore *ws = nr_detector_store(nr_stage2_detector(p->s2));
    struct ckpt *c = nr_xcalloc(1, sizeof(*c));
    c->op = p->op;
    c->t = nr_opart_ckpt_begin(p->op);
    c->part = part;
    c->upto = p->last_offset;
    /* held events are not in the state yet: their messages are not covered */
    int64_t held = nr_evq_min_offset(&p->held);
    if (held >= 0 && held - 1 < c->upto)
        c->upto = held - 1;
    if (p->redo_all) { /* an earlier checkpoint lost keys: write them all */
        p->redo_all = false;
        for (struct nr_wkey *k = nr_wstore_first(ws); k; k = nr_wstore_next(ws, k))
            svc_dirty_add(&p->dirty, cfg->rules[k->rule].id, k->key);
    }
    c->pending = 1; /* our own hold while producing */
    const char *topic = cfg->kafka.changelog_topic;
    for (size_t i = 0; i < p->dirty.n; i++) {
        const char *k = p->dirty.v[i];
        const char *sep = strchr(k, '\x1f');
        char rule_id[256];
        size_t rl = (size_t)(sep - k);
        if (rl >= sizeof(rule_id))
            continue;
        memcpy(rule_id, k, rl);
        rule_id[rl] = '\0';
        int ri = -1;
        for (size_t r = 0; r < cfg->n_rules; r++)
            if (strcmp(cfg->rules[r].id, rule_id) == 0)
                ri = (int)r;
        struct nr_wkey *wk = ri >= 0 ? nr_wstore_find(ws, (uint32_t)ri, sep + 1) : NULL;
        uint8_t *buf = NULL;
        size_t len = 0;
        if (wk && nr_window_key_snapshot(ws, wk, &buf, &len) == 0) {
            c->pending++;
            if (svc_produce(st, topic, part, k, strlen(k), buf, len, NULL, OPAQUE_CKPT(c)) != 0) {
                c->pending--;
                c->failed = true;
                p->redo_all = true;
            }
            nr_counter_add(st->s->mt.ckpt_records, 1);
        }
        free(buf);
    }
    if (svc_eos(cfg))
        held_checkpoint(st, p, part, c);
    seen_checkpoint(st, p, part, c);
    char meta[64];
    int ml = snprintf(meta, sizeof(meta), "%" PRId64 " %" PRId64, st_ms, fs_ms);
    c->pending++;
    if (svc_produce(st, topic, part, META_KEY, strlen(META_KEY), meta, (size_t)ml, NULL,
                    OPAQUE_CKPT(c)) != 0) {
        c->pending--;
        c->failed = true;
    }
    svc_dirty_clear(&p->dirty);
    if (c->failed) /* not taken: the next one is written even if nothing changes */
        p->ck_valid = false;
    /* release our hold */
    if (--c->pending == 0)
        svc_ckpt_done(st, c);
}

/* ---- the stage's part in the thread loop and the rebalances (stage_ops) --------------- */

void svc_checkpoint_all(struct stage *st)
{
    for (size_t i = 0; i < st->cnt.n_p2; i++)
        if (st->cnt.p2[i].active)
            svc_checkpoint(st, (int32_t)i);
}

static void p2_drop(struct p2 *p)
{
    bool assigned = p->rs_assigned; /* until restore_assign removes it */
    svc_held_chunks_free(p);
    nr_stage2_free(p->s2);
    svc_dirty_free(&p->dirty);
    nr_evq_free(&p->held); /* their messages are read again by the next owner */
    nr_wm_table_free(&p->wmt);
    nr_srcpos_table_free(&p->seen);
    free(p->seen_ok);
    memset(p, 0, sizeof(*p));
    p->rs_assigned = assigned;
}

static void s2_batch(struct stage *st, rd_kafka_message_t **msgs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_message_t *m = msgs[i];
        if (!m->err)
            svc_stage2(st, m);
        else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            NR_WARN(MOD, "consume: %s", rd_kafka_message_errstr(m));
    }
}

/* A restore slice; a source that fell silent stops holding events back;
 * checkpoints every commit interval (exactly_once: svc_txn_commit does,
 * from the stage thread's loop); metrics every second. */
static bool s2_tick(struct stage *st)
{
    bool more = st->cnt.n_restoring && svc_restore_step(st);
    double now = nr_clock_mono_s();
    if (now - st->cnt.last_release >= WM_MARK_S) {
        for (size_t i = 0; i < st->cnt.n_p2; i++)
            if (st->cnt.p2[i].active && !st->cnt.p2[i].restoring && st->cnt.p2[i].wmt.n)
                svc_p2_release(st, &st->cnt.p2[i], false);
        st->cnt.last_release = now;
    }
    if (!svc_eos(st->cfg) &&
        now - st->cnt.last_ckpt >= (double)st->cfg->kafka.commit_interval_ms / 1000.0) {
        svc_checkpoint_all(st);
        st->cnt.last_ckpt = now;
    }
    if (now - st->cnt.last_metrics >= 1.0) {
        svc_metrics_update2(st);
        st->cnt.last_metrics = now;
    }
    return more;
}

static void s2_begin(struct stage *st)
{
    st->cnt.last_ckpt = nr_clock_mono_s();
}

static void s2_assign(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        struct p2 *p = svc_p2_get(st, tp->partition, true);
        /* every input partition is a source it waits for */
        double now = nr_clock_mono_s();
        for (size_t t = 0; t < st->cnt.n_in; t++)
            for (int k = 0; k < st->cnt.in_parts[t]; k++)
                nr_wm_table_expect(&p->wmt, st->cnt.in_topic[t], k, now);
        struct nr_error err = {{0}};
        p->s2 = nr_stage2_new(st->cfg, &err);
        if (!p->s2) { /* the config was validated: not expected */
            NR_ERROR(MOD, "detector: %s", err.msg);
            st->s->fatal = 1;
            continue;
        }
        p->op = nr_otrack_part(&st->track, tp->topic, tp->partition, true);
        p->op->hold = true;
        p->last_offset = -1;
        p->active = true;
        memset(&p->last_stats, 0, sizeof(p->last_stats));
        /* paused by s2_assigned; restore_step resumes it */
        p->restoring = true;
        p->rs_t0 = p->rs_progress_at = nr_clock_mono_s();
        st->cnt.n_restoring++;
    }
}

/* Nothing is counted before the window state is back. */
static void s2_assigned(struct stage *st, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_resp_err_t pe = rd_kafka_pause_partitions(rk, parts);
    for (int i = 0; !pe && i < parts->cnt; i++)
        pe = parts->elems[i].err;
    if (pe) { /* counting before the restore would be wrong: restart */
        NR_ERROR(MOD, "pause for restore: %s", rd_kafka_err2str(pe));
        st->s->fatal = 1;
    }
}

static void s2_revoking(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++)
        svc_checkpoint(st, parts->elems[i].partition);
}

static void s2_revoked(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        struct p2 *p = svc_p2_get(st, parts->elems[i].partition, false);
        if (p && p->active) {
            if (p->restoring)
                st->cnt.n_restoring--;
            p2_drop(p);
        }
    }
    svc_restore_assign(st); /* stop reading changelogs of revoked partitions */
}

/* exactly_once: the repartition offsets, each with the state they continue
 * from (checkpointed into the same transaction). */
static void s2_txn_offsets(struct stage *st, rd_kafka_topic_partition_list_t *l)
{
    for (size_t i = 0; i < st->cnt.n_p2; i++) {
        struct p2 *p = &st->cnt.p2[i];
        if (!p->active || p->restoring || p->last_offset < 0)
            continue;
        svc_checkpoint(st, (int32_t)i); /* the state these offsets continue from */
        rd_kafka_topic_partition_list_add(l, st->cfg->kafka.repartition_topic, (int32_t)i)->offset =
            p->last_offset + 1;
    }
}

const struct stage_ops svc_stage2_ops = {
    .num = 2,
    .name = "counts",
    .thread = "nr-counts",
    /* each article makes a few count events: drain more of them per
     * round, as stage 1 batches are cheaper per message */
    .rounds = 8,
    .begin = s2_begin,
    .batch = s2_batch,
    .tick = s2_tick,
    .end = svc_checkpoint_all,
    .assign = s2_assign,
    .assigned = s2_assigned,
    .revoking = s2_revoking,
    .revoked = s2_revoked,
    .reload = svc_s2_reload,
    .txn_offsets = s2_txn_offsets,
};
