/*
 * svc_produce.c - producing and what success means: the delivery report.
 * Every message carries an opaque (an input offset entry, a checkpoint or a
 * ticket of inputs) released by its report; QUEUE_FULL means serve reports
 * and retry, never drop. Dead letters keep the input (cut at 512 KiB) with
 * the reason and its source in headers.
 */
#include "svc_int.h"

/* ---- delivery reports ---------------------------------------------------------- */

struct p2 *svc_p2_get(struct stage *st, int32_t partition, bool create);

/* The batch message of t was delivered (ok) or failed for good: its input
 * messages are done with it. An entry of a ring retired by a revocation is
 * updated in memory nobody reads any more (offsets.h). */
void svc_ticket_release(struct ticket *t, bool ok)
{
    for (uint32_t i = 0; i < t->n; i++)
        nr_oentry_done(t->e[i], ok);
    free(t->e);
    free(t);
}

/* Served on the producer's stage thread (rd_kafka_poll of its producer). */
void svc_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct stage *st = opaque;
    bool ok = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
    bool purged = m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
                  m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT; /* at exit: logged once there */
    if (!ok && !purged) {
        nr_counter_add(st->s->mt.deliv_fail, 1);
        NR_ERROR(MOD, "delivery to %s failed: %s", rd_kafka_topic_name(m->rkt),
                 rd_kafka_err2str(m->err));
    }
    uintptr_t op = (uintptr_t)m->_private;
    if (!op)
        return;
    if (op & 2u) {
        /* A batch of count events lost for good: a later batch of the same
         * sources may be delivered, and stage 2 would take the failed
         * articles for repeats when they are read again (srcpos.h); stop,
         * so that the restart reads them before anything later. */
        if (!ok && !purged && !svc_eos(st->cfg)) {
            NR_ERROR(MOD, "count events lost for good: stopping (restarted, the instance reads "
                          "their input again)");
            st->s->fatal = 1;
        }
        svc_ticket_release((struct ticket *)(op & ~(uintptr_t)3u), ok);
    } else if (op & 1u) {
        struct ckpt *c = (struct ckpt *)(op & ~(uintptr_t)1u);
        if (!ok) {
            c->failed = true;
            struct p2 *p = svc_p2_get(st, c->part, false);
            if (p && p->active)
                p->redo_all = true;
        }
        if (--c->pending == 0)
            svc_ckpt_done(st, c);
    } else {
        nr_oentry_done((struct nr_oentry *)op, ok); /* maybe in a retired ring: harmless */
    }
}

bool svc_stopping(const struct svc *s);

/* Produce, serving delivery reports while the queue is full. The opaque is
 * accounted by the caller before the call and released here on failure. A
 * stop request ends the wait (brokers may be down for good): the message is
 * then not produced and its input offset not committed. */
int svc_produce(struct stage *st, const char *topic, int32_t partition, const void *key,
                size_t klen, const void *val, size_t vlen, rd_kafka_headers_t *hdrs, void *opaque)
{
    if (svc_eos(st->cfg)) {
        svc_txn_begin(st); /* a transaction is open from the first message on */
        if (!st->txn_open) {
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            return -1;
        }
    }
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            st->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY((void *)key, klen), RD_KAFKA_V_VALUE((void *)val, vlen),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !svc_stopping(st->s)) {
            rd_kafka_poll(st->prod, 50);
            continue;
        }
        NR_ERROR(MOD, "produce to %s: %s", topic, rd_kafka_err2str(err));
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        nr_counter_add(st->s->mt.deliv_fail, 1); /* refused before delivery */
        return -1;
    }
}

/* Produce on behalf of the input message being processed. */
void svc_produce_for_entry(struct stage *st, const char *topic, int32_t partition, const void *key,
                           size_t klen, const void *val, size_t vlen, rd_kafka_headers_t *hdrs)
{
    struct nr_oentry *e = st->cur_entry;
    if (!e) { /* stage 2 moving stream time on its own (a source fell silent) */
        (void)svc_produce(st, topic, partition, key, klen, val, vlen, hdrs, NULL);
        return;
    }
    nr_oentry_expect(e);
    if (svc_produce(st, topic, partition, key, klen, val, vlen, hdrs, e) != 0)
        nr_oentry_done(e, false);
}

/* ---- stage 1: articles -> count events / dead letters ------------------------------ */

/* A dead letter of m, or of part of it: payload/len and its index within m
 * (index >= 0: header newsradar.source.index). */
void svc_dead_letter_part(struct stage *st, const rd_kafka_message_t *m, const void *payload,
                          size_t len, long index, const char *reason, const char *msg)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(8);
    char num[32];
    rd_kafka_header_add(h, "newsradar.reason", -1, reason, -1);
    rd_kafka_header_add(h, "newsradar.error", -1, msg, -1);
    rd_kafka_header_add(h, "newsradar.source.topic", -1, rd_kafka_topic_name(m->rkt), -1);
    snprintf(num, sizeof(num), "%" PRId32, m->partition);
    rd_kafka_header_add(h, "newsradar.source.partition", -1, num, -1);
    snprintf(num, sizeof(num), "%" PRId64, m->offset);
    rd_kafka_header_add(h, "newsradar.source.offset", -1, num, -1);
    if (index >= 0) {
        snprintf(num, sizeof(num), "%ld", index);
        rd_kafka_header_add(h, "newsradar.source.index", -1, num, -1);
    }
    /* Kafka's default message limit is ~1 MB: a dead letter larger than
     * that would fail for good and wedge its partition's commits, so its
     * payload is cut and the header says how long it was. */
    if (len > DLQ_MAX_PAYLOAD) {
        snprintf(num, sizeof(num), "%zu", len);
        rd_kafka_header_add(h, "newsradar.truncated_from", -1, num, -1);
        len = DLQ_MAX_PAYLOAD;
    }
    svc_produce_for_entry(st, st->cfg->kafka.dead_letter_topic, RD_KAFKA_PARTITION_UA, m->key,
                          m->key_len, payload, len, h);
    nr_counter_add(st->s->mt.dlq, 1);
    char at[32] = "";
    if (index >= 0)
        snprintf(at, sizeof(at), " #%ld", index);
    NR_WARN(MOD, "dead letter %s [%" PRId32 "] @%" PRId64 "%s: %s: %s", rd_kafka_topic_name(m->rkt),
            m->partition, m->offset, at, reason, msg);
}

void svc_dead_letter(struct stage *st, const rd_kafka_message_t *m, const char *reason,
                     const char *msg)
{
    svc_dead_letter_part(st, m, m->payload, m->len, -1, reason, msg);
}
