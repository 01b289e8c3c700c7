/*
 * svc_restore.c - a partition's window state read back from the changelog
 * on assignment, in bounded slices between batches, while the partition
 * stays paused in the counts consumer; the restore consumer's assignment
 * changes incrementally (only the partitions that start or stop).
 */
#include "svc_int.h"
#include "newsradar/bytes.h"

/* ---- restore: window state from the changelog, between batches ------------------- */

/* A newly assigned repartition partition starts paused (rebalance_cb) and
 * restoring. restore_step, on the stage thread between polls, reads the
 * changelog partitions of all restoring partitions a slice at a time, so a
 * large changelog neither blocks the other partitions nor holds up the
 * rebalance (max.poll.interval.ms), and has no deadline. A partition is
 * resumed once its changelog is read up to the end offset taken when its
 * restore started: only then are its count events counted. */

/* Bring the restore consumer's assignment in line with the partitions that
 * are restoring: add the ones that started, remove the ones that finished or
 * were revoked. Incremental on purpose: handing rd_kafka_assign() the whole
 * list again on every change lets librdkafka 2.0.2 stop one partition twice
 * when calls come quickly in a row (assertion rktp_started, upstream issue
 * 5573), which aborted the process now and then. */
void svc_restore_assign(struct stage *st)
{
    const char *topic = st->cfg->kafka.changelog_topic;
    rd_kafka_topic_partition_list_t *add = rd_kafka_topic_partition_list_new(4);
    rd_kafka_topic_partition_list_t *del = rd_kafka_topic_partition_list_new(4);
    for (size_t i = 0; i < st->cnt.n_p2; i++) {
        struct p2 *p = &st->cnt.p2[i];
        bool want = p->active && p->restoring && p->rs_started;
        if (want && !p->rs_assigned)
            rd_kafka_topic_partition_list_add(add, topic, (int32_t)i)->offset = p->rs_last + 1;
        else if (!want && p->rs_assigned)
            rd_kafka_topic_partition_list_add(del, topic, (int32_t)i);
        else
            continue;
        p->rs_assigned = want;
    }
    rd_kafka_error_t *e;
    if (del->cnt && (e = rd_kafka_incremental_unassign(st->cnt.restore, del))) {
        NR_ERROR(MOD, "restore: unassign: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    if (add->cnt && (e = rd_kafka_incremental_assign(st->cnt.restore, add))) {
        NR_ERROR(MOD, "restore: assign: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(add);
    rd_kafka_topic_partition_list_destroy(del);
}

void svc_held_chunks_free(struct p2 *p)
{
    for (size_t i = 0; i < p->rs_held_cap; i++)
        free(p->rs_held[i]);
    free(p->rs_held);
    free(p->rs_held_len);
    p->rs_held = NULL;
    p->rs_held_len = NULL;
    p->rs_held_cap = 0;
    p->rs_held_n = 0;
}

/* exactly_once: the held events of the current chunks go back to the queue. */
static void held_restore(struct stage *st, struct p2 *p)
{
    size_t n_ev = 0;
    for (long i = 0; i < p->rs_held_n && (size_t)i < p->rs_held_cap; i++) {
        const uint8_t *b = p->rs_held[i];
        size_t len = p->rs_held_len[i], off = 0;
        while (b && off + 20 <= len) {
            uint32_t l = (uint32_t)nr_be_get(b + off + 16, 4);
            if (l > len - off - 20) {
                NR_WARN(MOD, "changelog: held chunk %ld is cut short", i);
                break;
            }
            nr_evq_push(&p->held, (int64_t)nr_be_get(b + off, 8),
                        (int64_t)nr_be_get(b + off + 8, 8), &st->cnt.rs_dummy, b + off + 20, l);
            off += 20 + l;
            n_ev++;
        }
    }
    svc_held_chunks_free(p);
    if (n_ev)
        NR_INFO(MOD, "restored %zu held count events", n_ev);
}

static void restore_done(struct stage *st, int32_t part, struct p2 *p)
{
    held_restore(st, p);
    p->restoring = p->rs_started = p->rs_seek = false;
    st->cnt.n_restoring--;
    nr_counter_add(st->s->mt.restored, p->rs_n);
    NR_INFO(MOD, "restored %zu keys of %s [%" PRId32 "] (%zu unusable) in %.1f s", p->rs_n,
            st->cfg->kafka.changelog_topic, part, p->rs_bad, nr_clock_mono_s() - p->rs_t0);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, st->cfg->kafka.repartition_topic, part);
    rd_kafka_resp_err_t err = rd_kafka_resume_partitions(st->c, l);
    if (err || l->elems[0].err) {
        /* cannot happen for an assigned partition; stay safe: restart */
        NR_ERROR(MOD, "resume %s [%" PRId32 "]: %s", st->cfg->kafka.repartition_topic, part,
                 rd_kafka_err2str(err ? err : l->elems[0].err));
        st->s->fatal = 1;
    }
    rd_kafka_topic_partition_list_destroy(l);
}

static void restore_record(struct stage *st, struct p2 *p, const rd_kafka_message_t *m)
{
    if (m->key_len == strlen(META_KEY) && memcmp(m->key, META_KEY, m->key_len) == 0) {
        char meta[64];
        size_t ml = m->len < sizeof(meta) - 1 ? m->len : sizeof(meta) - 1;
        if (ml)
            memcpy(meta, m->payload, ml);
        meta[ml] = '\0';
        long long a = 0, b = 0;
        if (sscanf(meta, "%lld %lld", &a, &b) == 2)
            nr_detector_set_meta(nr_stage2_detector(p->s2), a, b);
    } else if (m->key_len == strlen(SEEN_KEY) && memcmp(m->key, SEEN_KEY, m->key_len) == 0) {
        struct nr_error e = {{0}};
        if (m->payload && nr_srcpos_table_decode(&p->seen, m->payload, m->len, &e) != 0) {
            NR_WARN(MOD, "changelog %s [%" PRId32 "] @%" PRId64 ": %s",
                    st->cfg->kafka.changelog_topic, m->partition, m->offset, e.msg);
        } else if (m->payload) { /* a whole checkpoint's: written again after a failed one */
            free(p->seen_ok);
            p->seen_ok = nr_xmalloc(m->len);
            memcpy(p->seen_ok, m->payload, m->len);
            p->seen_ok_len = m->len;
        }
    } else if (m->key_len == strlen(HELDN_KEY) && memcmp(m->key, HELDN_KEY, m->key_len) == 0) {
        char num[32];
        size_t nl = m->len < sizeof(num) - 1 ? m->len : sizeof(num) - 1;
        if (nl)
            memcpy(num, m->payload, nl);
        num[nl] = '\0';
        p->rs_held_n = strtol(num, NULL, 10);
    } else if (m->key_len > strlen(HELD_KEY) && memcmp(m->key, HELD_KEY, strlen(HELD_KEY)) == 0) {
        char num[32];
        size_t nl = m->key_len - strlen(HELD_KEY);
        nl = nl < sizeof(num) - 1 ? nl : sizeof(num) - 1;
        memcpy(num, (const char *)m->key + strlen(HELD_KEY), nl);
        num[nl] = '\0';
        long i = strtol(num, NULL, 10);
        if (i < 0 || i > 100000)
            return;
        if ((size_t)i >= p->rs_held_cap) {
            size_t cap = (size_t)i + 1;
            p->rs_held = realloc(p->rs_held, cap * sizeof(*p->rs_held));
            p->rs_held_len = realloc(p->rs_held_len, cap * sizeof(*p->rs_held_len));
            if (!p->rs_held || !p->rs_held_len)
                abort();
            for (size_t k = p->rs_held_cap; k < cap; k++) {
                p->rs_held[k] = NULL;
                p->rs_held_len[k] = 0;
            }
            p->rs_held_cap = cap;
        }
        free(p->rs_held[i]);
        p->rs_held[i] = NULL;
        p->rs_held_len[i] = 0;
        if (m->payload && m->len) {
            p->rs_held[i] = nr_xcalloc(m->len, 1);
            memcpy(p->rs_held[i], m->payload, m->len);
            p->rs_held_len[i] = m->len;
        }
    } else if (m->payload) {
        struct nr_wkey *wk;
        struct nr_error e = {{0}};
        if (nr_window_key_restore(nr_detector_store(nr_stage2_detector(p->s2)), m->payload, m->len,
                                  &wk, &e) == 0)
            p->rs_n++;
        else if (p->rs_bad++ < 5)
            NR_WARN(MOD, "changelog %s [%" PRId32 "] @%" PRId64 ": key not restored: %s",
                    st->cfg->kafka.changelog_topic, m->partition, m->offset, e.msg);
    }
}

/* Returns true when the slice ended with records still waiting. */
bool svc_restore_step(struct stage *st)
{
    const char *topic = st->cfg->kafka.changelog_topic;
    bool reassign = false, queried = false;
    double now = nr_clock_mono_s();
    for (size_t i = 0; i < st->cnt.n_p2; i++) {
        struct p2 *p = &st->cnt.p2[i];
        if (!p->active || !p->restoring)
            continue;
        if (now - p->rs_progress_at > RESTORE_STALL_S) {
            /* no end offset and no record for that long: restart and retry
             * rather than leave the partition paused unnoticed */
            NR_ERROR(MOD, "changelog %s [%zu]: restore made no progress for %d s", topic, i,
                     RESTORE_STALL_S);
            st->s->fatal = 1;
            p->rs_progress_at = now;
        }
        /* one end-offset query per step (it blocks up to 1 s) */
        if (p->rs_started || now < p->rs_retry_at || queried)
            continue;
        queried = true;
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(st->cnt.restore, topic, (int32_t)i, &lo, &hi, 1000);
        /* The error first: on failure librdkafka leaves lo and hi untouched,
         * and taking 0..0 for "nothing checkpointed" would start empty. */
        if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || (!err && hi <= lo)) {
            restore_done(st, (int32_t)i, p); /* nothing checkpointed yet */
            continue;
        }
        if (err) {
            NR_WARN(MOD, "changelog %s [%zu]: %s; retrying", topic, i, rd_kafka_err2str(err));
            p->rs_retry_at = nr_clock_mono_s() + 1.0;
            continue;
        }
        p->rs_started = true;
        p->rs_hi = hi;
        p->rs_last = lo - 1;
        p->rs_progress_at = nr_clock_mono_s();
        reassign = true;
    }
    if (reassign)
        svc_restore_assign(st);
    /* a slice of ~20 ms, then back to the other partitions */
    double until = nr_clock_mono_s() + 0.02;
    bool finished = false, more = false;
    rd_kafka_message_t *m;
    while (st->cnt.n_restoring && (m = rd_kafka_consumer_poll(st->cnt.restore, 0))) {
        struct p2 *p = svc_p2_get(st, m->partition, false);
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                NR_WARN(MOD, "changelog read: %s", rd_kafka_message_errstr(m));
        } else if (p && p->active && p->restoring && p->rs_started && m->offset > p->rs_last) {
            restore_record(st, p, m);
            p->rs_last = m->offset;
            p->rs_progress_at = nr_clock_mono_s();
            if (p->rs_last >= p->rs_hi - 1) {
                restore_done(st, m->partition, p);
                finished = true;
            }
        }
        rd_kafka_message_destroy(m);
        if (nr_clock_mono_s() > until) {
            more = true;
            break;
        }
    }
    /* Transactions end with a control record that is never delivered (and
     * aborted records are skipped): a partition whose read position has
     * reached the end offset is done too. */
    for (size_t i = 0; i < st->cnt.n_p2 && st->cnt.n_restoring; i++) {
        struct p2 *p = &st->cnt.p2[i];
        if (!p->active || !p->restoring || !p->rs_started || !p->rs_assigned)
            continue;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, (int32_t)i);
        if (!rd_kafka_position(st->cnt.restore, l) && l->elems[0].offset >= p->rs_hi) {
            restore_done(st, (int32_t)i, p);
            finished = true;
        }
        rd_kafka_topic_partition_list_destroy(l);
    }
    if (finished)
        svc_restore_assign(st);
    return more && st->cnt.n_restoring;
}
