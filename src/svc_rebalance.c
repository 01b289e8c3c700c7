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

/* The partitions are no longer this stage's: offset entries and state go. */
static void drop_parts(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
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
    drop_parts(st, parts);
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

/* exactly_once, after an aborted transaction (svc_txn.c): back to the last
 * committed position, in process, on the stage thread between two polls.
 * As librdkafka's examples/transactions.c (rewind_consumer) and Kafka's
 * consume-transform-produce loop do, the consumer seeks its assignment to
 * the committed offsets (the beginning where none is committed yet, as
 * auto.offset.reset=earliest). What the stage computed from the aborted
 * input must go too, as in a restart: the partitions are dropped as if
 * revoked and taken again as if assigned (stage 2 restores their windows
 * from the changelog, read read_committed: the state the committed offsets
 * continue from), and ops->rewind forgets the rest first (stage 1: its
 * duplicate set and stream time, and it resumes what it paused). Messages
 * fetched before the seek are discarded by librdkafka (an outdated fetch
 * version). Any failure here stops the instance: the restart is then the
 * rewind. */
void svc_rewind(struct stage *st)
{
    st->rewind = false;
    if (st->txn_last) { /* the next commit goes whatever it holds */
        rd_kafka_topic_partition_list_destroy(st->txn_last);
        st->txn_last = NULL;
    }
    /* the aborted transaction's messages were purged: serve their reports */
    for (int i = 0; i < 500 && rd_kafka_outq_len(st->prod) > 0; i++)
        rd_kafka_poll(st->prod, 10);
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_resp_err_t err = rd_kafka_assignment(st->c, &parts);
    if (err) {
        NR_ERROR(MOD, "%s: rewind: assignment: %s; exiting so that it is restarted", st->ops->name,
                 rd_kafka_err2str(err));
        st->s->fatal = 1;
        return;
    }
    if (st->ops->rewind)
        st->ops->rewind(st);
    drop_parts(st, parts);
    if (parts->cnt) {
        err = rd_kafka_committed(st->c, parts, 30000);
        for (int i = 0; !err && i < parts->cnt; i++) {
            err = parts->elems[i].err;
            if (parts->elems[i].offset < 0)
                parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        }
        if (!err) {
            on_assign(st, parts);
            if (st->ops->assigned)
                st->ops->assigned(st, st->c, parts);
            rd_kafka_error_t *e = rd_kafka_seek_partitions(st->c, parts, 30000);
            if (e) {
                err = rd_kafka_error_code(e);
                rd_kafka_error_destroy(e);
            }
            for (int i = 0; !err && i < parts->cnt; i++)
                err = parts->elems[i].err;
        }
    }
    if (err) {
        NR_ERROR(MOD, "%s: rewind: %s; exiting so that it is restarted", st->ops->name,
                 rd_kafka_err2str(err));
        st->s->fatal = 1;
    } else {
        NR_INFO(MOD, "%s: rewound %d partition(s) to the last committed offsets", st->ops->name,
                parts->cnt);
        nr_counter_add(st->s->mt.rewinds, 1);
    }
    rd_kafka_topic_partition_list_destroy(parts);
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
