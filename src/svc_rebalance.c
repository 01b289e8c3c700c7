/*
 * svc_rebalance.c - offsets (stored only once what they caused is
 * delivered, offsets.h) and the cooperative rebalance callbacks of both
 * consumers: checkpoint, flush and commit on revocation, fresh state on
 * assignment.
 */
#include "svc_int.h"

/* ---- offsets ------------------------------------------------------------------------ */

/* Each stage's tracker holds only its own consumer's partitions. */
void svc_store_offsets(struct stage *st)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    for (struct nr_opart *op = st->track.parts; op; op = op->next) {
        int64_t off = nr_opart_advance(op);
        if (off < 0)
            continue;
        if (!l)
            l = rd_kafka_topic_partition_list_new(8);
        rd_kafka_topic_partition_list_add(l, op->topic, op->partition)->offset = off;
    }
    if (l && svc_eos(st->cfg)) { /* committed by the transactions (svc_txn.c) */
        rd_kafka_topic_partition_list_destroy(l);
        l = NULL;
    }
    if (l) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_store(st->c, l);
        if (err)
            NR_DEBUG(MOD, "offsets_store: %s", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(l);
    }
}

struct nr_oentry *svc_track_begin(struct stage *st, const rd_kafka_message_t *m, bool hold)
{
    struct nr_opart *op =
        nr_otrack_part(&st->track, rd_kafka_topic_name(m->rkt), m->partition, true);
    op->hold = hold;
    struct nr_oentry *e;
    /* A full ring is backpressure: wait for deliveries, store what is done. */
    while (!(e = nr_opart_begin(op, m->offset))) {
        if (svc_stopping(st->s))
            return NULL; /* not processed, not committed: read again after restart */
        rd_kafka_poll(st->prod, 50);
        if (hold) {
            /* held events keep their messages in the ring: count them */
            struct p2 *p = svc_p2_get(st, m->partition, false);
            if (p && p->active && p->held.n)
                svc_p2_release(st, p, true);
            svc_checkpoint(st, m->partition);
        }
        svc_store_offsets(st);
    }
    return e;
}

/* ---- rebalancing (on the consumer's stage thread) ----------------------------------- */

void svc_drain(struct stage *st)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(st->prod, (int)st->cfg->kafka.flush_timeout_ms);
    if (err)
        NR_WARN(MOD, "flush: %d messages still in flight after %" PRId64 " ms",
                rd_kafka_outq_len(st->prod), st->cfg->kafka.flush_timeout_ms);
}

static void on_revoke(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
    if (svc_eos(st->cfg)) {
        /* what was done with the revoked partitions (and the others: one
         * transaction) commits before the next owner reads them */
        (void)svc_txn_commit(st);
    } else {
        if (st->ops->revoking)
            st->ops->revoking(st, parts);
        svc_drain(st);
        svc_store_offsets(st);
        rd_kafka_resp_err_t err = rd_kafka_commit(st->c, NULL, 0);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
            NR_WARN(MOD, "commit on revoke: %s", rd_kafka_err2str(err));
    }
    if (rd_kafka_outq_len(st->prod) == 0) /* every report served: retired rings are unused */
        nr_otrack_free_retired(&st->track);
    for (int i = 0; i < parts->cnt; i++) {
        struct nr_opart *op =
            nr_otrack_part(&st->track, parts->elems[i].topic, parts->elems[i].partition, false);
        if (op)
            nr_opart_reset(op);
    }
    if (st->ops->revoked)
        st->ops->revoked(st, parts);
}

static void on_assign(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        nr_opart_reset(nr_otrack_part(&st->track, tp->topic, tp->partition, true));
    }
    if (st->ops->assign)
        st->ops->assign(st, parts);
    NR_INFO(MOD, "%s: assigned %d partition(s)", st->ops->name, parts->cnt);
}

void svc_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct stage *st = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *e = NULL;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        on_assign(st, parts);
        st->joined = 1;
        if (coop)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
        if (!e && st->ops->assigned)
            st->ops->assigned(st, rk, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        on_revoke(st, parts);
        if (coop)
            e = rd_kafka_incremental_unassign(rk, parts);
        else
            rd_kafka_assign(rk, NULL);
    } else {
        NR_ERROR(MOD, "rebalance: %s", rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
    }
    if (e) {
        NR_ERROR(MOD, "rebalance: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
}
