/*
 * svc_kafka.c - `newsradar run`: the engine between Kafka topics.
 *
 * Every instance runs both stages of the pipeline (engine.h: nr_stage1 on
 * every tagging worker, one nr_stage2 per repartition partition), each on
 * its own thread; this file adds the Kafka I/O around them, no pipeline
 * logic:
 *
 *   articles topic --c1--> decode, tag --> count events --> repartition topic
 *                      \-> dead-letter topic (reason headers)   (key = rule|key)
 *   repartition topic --c2--> per-partition detector --> alerts topic
 *                                  \--> changelog topic (key state, compacted)
 *
 * c1 and c2 are two consumers in two groups (<group_id> and
 * <group_id>.counts), both cooperative-sticky. Because all events of one key
 * land in one repartition partition, and each repartition partition has its
 * own detector (own stream time), the alerts do not depend on how many
 * instances share the work: N instances give the alerts of one.
 *
 * Threads. Stage 1 (decode + tag: most of the CPU) and stage 2 (detectors,
 * checkpoints) share nothing mutable, so each runs on its own thread with its
 * own consumer, its own producer and its own offset tracker: a stage's
 * delivery reports, rebalance and statistics callbacks are all served on its
 * own thread when it polls its own queues, so struct nr_otrack, the
 * detectors and the checkpoints need no locks. The restore consumer belongs
 * to stage 2. Each thread sleeps on its own wake-up pipe, fed by its consumer
 * queue and its producer queue. Metrics are atomics. The main thread keeps
 * signals and HTTP: it turns SIGTERM into a stop flag the stages poll, and
 * applies SIGHUP as a hand-off (reload_begin): it loads and validates the new
 * configuration and builds stage 1's tagger, posts them to both stages, each
 * swaps its own state between two batches, and the old configuration is
 * freed only when both have swapped. A fatal error in either stage stops
 * both. Two cores give up to twice one thread's throughput; the cost is a
 * second producer (a second connection set and idempotence PID).
 *
 * At-least-once: an input offset is stored only after everything it caused
 * (events, dead letters, alerts) is acknowledged by a delivery report
 * (offsets.h). Stage 2 additionally holds its offsets until the window state
 * they produced is checkpointed to the changelog; on assignment a partition's
 * state is restored from the changelog, so a restart or a rebalance resumes
 * where the last commit left off. Re-processing after a crash may repeat
 * alerts, always with the same alert_id (stable per episode).
 *
 * Event time across input partitions (watermark.h, docs/operations.md):
 * stage 1 pauses input partitions that run ahead in event time and sends
 * the watermarks of the partitions it owns in a header of every repartition
 * message (and header-only messages every 100 ms); stage 2 holds count
 * events until the minimum watermark over the input partitions passes them
 * and counts them in event-time order, so a backlog over several partitions
 * gives replay's alerts. Held events keep their message's offset entry
 * pending, and checkpoints cover only messages before the first held one.
 *
 * Offsets are stored (rd_kafka_offsets_store) and committed by librdkafka's
 * auto-commit every commit_interval, synchronously on revocation, and at
 * close. QUEUE_FULL means serve delivery reports and retry, never drop.
 */
#include "svc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "newsradar/engine.h"
#include "newsradar/log.h"
#include "newsradar/offsets.h"
#include "newsradar/pool.h"
#include "newsradar/watermark.h"
#include "newsradar/window.h"

#define MOD             "kafka"
#define BATCH           256
#define TRACK_CAP       65536 /* in-flight input messages per partition */
#define META_KEY        "\x1fmeta"
#define DLQ_MAX_PAYLOAD (512 * 1024) /* bytes of a dead letter's payload kept */
/* Event-time synchronisation (watermark.h). WM_HEADER carries the
 * watermarks of the sources (input partitions) stage 1 owns. */
#define WM_HEADER   "newsradar.wm"
#define WM_LEAD_MS  (15 * 60 * 1000)   /* a source may run this far ahead of the slowest */
#define WM_IDLE_S   2.0                /* a source without data this long is idle */
#define WM_MARK_S   0.1                /* watermark-only messages at most this often */
#define WM_BEAT_S   5.0                /* and this often when nothing changed */
#define WM_SILENT_S 30.0               /* stage 2 ignores a source not heard of this long */
#define WM_HOLD_MAX ((size_t)64 << 20) /* bytes of events held per partition, then forced */

/* ---- small helpers -------------------------------------------------------- */

volatile sig_atomic_t nr_svc_stop_requested;
volatile sig_atomic_t nr_svc_reload_requested;

/* A set of dirty window keys ("rule_id\x1fkey"), deduplicated, to checkpoint. */
struct dirty {
    char **v;
    size_t n, cap;
    uint32_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t n_slots;
};

static void dirty_clear(struct dirty *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i]);
    d->n = 0;
    if (d->slots)
        memset(d->slots, 0, d->n_slots * sizeof(*d->slots));
}

static void dirty_free(struct dirty *d)
{
    dirty_clear(d);
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

static void dirty_add(struct dirty *d, const char *rule_id, const char *key)
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

/* Stage-2 state of one repartition partition. */
struct p2 {
    bool active;
    struct nr_stage2 *s2; /* this partition's windows and detector */
    struct nr_opart *op;
    struct dirty dirty;
    int64_t last_offset;               /* last processed, -1 none */
    bool redo_all;                     /* a checkpoint record failed: write every key next time */
    struct nr_detect_stats last_stats; /* for metric deltas */
    /* restore from the changelog (restore_step): the partition stays paused
     * in the counts consumer until its changelog is read up to rs_hi */
    bool restoring, rs_started, rs_seek;
    bool rs_assigned;       /* in the restore consumer's assignment (kept by p2_drop) */
    int64_t rs_hi, rs_last; /* end offset at the start; last record read */
    size_t rs_n, rs_bad;    /* keys restored, records unusable */
    double rs_t0, rs_retry_at, rs_progress_at;
    /* event-time synchronisation: the sources' watermarks and the count
     * events held until the minimum passes them */
    struct nr_wm_table wmt;
    struct nr_evq held;
};

/* A changelog checkpoint in flight: when all its records are delivered the
 * partition's offsets up to `upto` may be committed. */
struct ckpt {
    struct nr_opart *op;
    struct nr_ockpt t; /* its number and generation (offsets.h) */
    int32_t part;      /* to flag its p2 for a full checkpoint on failure */
    int64_t upto;
    uint32_t pending;
    bool failed;
};

/* The input messages whose count events are in one event batch (event.h),
 * that is in one Kafka message: each waits (one nr_oentry_expect) for its
 * delivery report, so a batch that fails holds back only its own inputs. */
struct ticket {
    uint32_t n, cap;
    struct nr_oentry **e;
};

/* Delivery-report opaques are tagged pointers: bit 0 set = struct ckpt,
 * bit 1 set = struct ticket, else a struct nr_oentry. */
#define OPAQUE_CKPT(c)   ((void *)((uintptr_t)(c) | 1u))
#define OPAQUE_TICKET(t) ((void *)((uintptr_t)(t) | 2u))
/* A batch is sent before it would grow past this: well under Kafka's
 * default message size limit (1,000,000 bytes), as an event is at most a few
 * KiB (NR_EVENT_STR_MAX). */
#define EVB_MAX_BYTES   (512 * 1024)
#define RESTORE_STALL_S 120 /* a restore without progress this long is fatal */

struct metrics {
    struct nr_metrics *reg;
    _Atomic uint64_t *in, *bytes, *tagged, *dlq, *events, *late, *late_dropped, *dups, *deliv_fail,
        *reloads, *reload_fail, *ckpt_records, *restored, *future, *utf8_repairs, *wm_forced,
        *wm_paused;
    _Atomic uint64_t *field_errors[NR_FIELD_COUNT];
    _Atomic uint64_t *lag_articles, *lag_counts, *keys, *rss, *assigned_articles, *assigned_counts,
        *restoring, *held, *wm_waiting;
    struct nr_histogram *latency;
};

struct svc;

/* What one stage-1 worker keeps: its nr_stage1 (decoder, tagger scratch),
 * and the count events and rejected articles of the current poll, until the
 * stage thread has copied them into the partitions' batches and the dead
 * letters. */
struct s1_ev {
    int32_t part;
    uint32_t len;
    size_t off; /* in rec.buf */
};
struct s1_rej {
    long index; /* in the message; -1: the message is rejected whole */
    enum nr_reject reason;
    char msg[256];
    size_t off, len; /* the article's JSON text in rj_text (index >= 0) */
};
struct s1_worker {
    struct nr_stage1 *s1;
    struct nr_event_batch rec; /* used as a record store; its framing is ignored */
    struct s1_ev *ev;
    size_t n_ev, cap_ev;
    struct s1_rej *rj;
    size_t n_rj, cap_rj;
    char *rj_text;
    size_t rj_len, rj_cap;
};

/* One article of a poll: filled by a worker, consumed in order by the stage
 * thread (dead letter, count events, enriched article, offsets). */
struct s1_item {
    const rd_kafka_message_t *m;
    struct nr_oentry *e;          /* NULL: not processed (consume error or stopping) */
    struct nr_engine_stats stats; /* what nr_stage1_feed counted for it */
    unsigned worker;
    size_t ev_first, ev_n;
    size_t rj_first, rj_n;
    uint32_t ev_failed; /* events that could not be encoded (not reached) */
    char **enriched;    /* the enriched-topic values of its articles */
    size_t *enriched_len, n_enriched;
    double secs;   /* decode + tag + events */
    int64_t ev_ms; /* latest event time of its accepted articles, NR_TIME_NONE */
};

/* Stage 1: one input partition it owns, as a source of watermarks. */
struct s1_src {
    char *topic;
    int32_t partition;
    int64_t next; /* offset after the last message read, -1 unknown */
    struct nr_wm_src wm;
};

/* One stage and everything only its thread touches (after start-up). */
struct stage {
    struct svc *s;
    int id;                /* 1: articles, 2: counts */
    struct nr_config *cfg; /* this stage's view: swapped on reload */

    rd_kafka_t *prod, *c, *restore; /* restore: stage 2 only */
    rd_kafka_queue_t *q, *qp;
    int wake[2]; /* pipe librdkafka writes to when q or qp gets an element */
    struct nr_otrack track;
    pthread_t th;
    bool started;
    _Atomic int exited; /* stage_main returned: safe to join */

    /* stage 1: the tagger and duplicate set the workers share; worker 0 is
     * the stage thread, the others are the pool's helpers */
    struct nr_stage1_shared *sh;
    struct s1_worker *w;
    unsigned n_w;
    struct nr_pool *pool;
    struct s1_item *items;      /* one poll's articles, BATCH of them */
    struct nr_event_batch *evb; /* one open batch per repartition partition */
    int32_t n_evb;
    struct ticket **evb_tk; /* the inputs of each open batch, NULL while empty */
    struct s1_src *src;     /* the input partitions owned */
    size_t n_src, cap_src;
    bool *wm_want;     /* nr_wm_pace's advice, one per source */
    uint64_t *evb_sum; /* per partition: checksum of the marks it was sent last */
    double last_mark;
    uint64_t last_mark_sum; /* of the header last sent by s1_marks */
    uint8_t *wmbuf;
    size_t wmcap, wmlen;

    /* stage 2 */
    struct p2 *p2;
    size_t n_p2;
    size_t n_restoring;   /* active partitions still restoring */
    rd_kafka_queue_t *qr; /* the restore consumer's queue (wakes the thread too) */
    char **in_topic;      /* the input topics and their partition counts: the sources */
    int *in_parts;
    size_t n_in;

    /* reload hand-off: the main thread fills rl_* and sets rl_posted; the
     * stage takes them at a safe point and clears rl_posted (release). */
    _Atomic int rl_posted;
    struct nr_config *rl_cfg;
    struct nr_stage1_shared *rl_sh; /* stage 1 */
    size_t rl_kept, rl_dropped;     /* stage 2's report */

    /* the input message being processed (callback context) */
    struct nr_oentry *cur_entry;
    struct p2 *cur_p2;
    const rd_kafka_message_t *cur_msg; /* stage 2 */
};

struct svc {
    const char *path;
    struct nr_config *cfg;     /* the newest accepted configuration */
    struct nr_config *cfg_old; /* the one before, until both stages swapped */
    bool rl_hold1;             /* stage 1 gets the new config once stage 2 has it */
    struct metrics mt;
    _Atomic int fatal, stop;
    _Atomic int n_assigned1;
    _Atomic int joined1, joined2; /* a rebalance handed this consumer its share */
    /* Start-up waits, live and not ready, until the topics can be checked:
     * kafka_err is the last error of that check (0 once it passed). */
    _Atomic int topics_ok, kafka_err;
    struct stage st1, st2;
};

/* ---- configuration of the clients -------------------------------------------- */

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    nr_log_syslog(level, "rdkafka", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct stage *st = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_fatal_error(rk, why, sizeof(why));
        NR_ERROR(MOD, "fatal error from %s: %s", rd_kafka_name(rk), why);
        if (st)
            st->s->fatal = 1;
        return;
    }
    /* Transient: librdkafka retries. A single broker's transport error is
     * already in librdkafka's own log line (routed through ours), so only
     * "all brokers down" is worth a warning of its own. */
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        NR_WARN(MOD, "%s: all brokers are down: %s", rd_kafka_name(rk), reason);
    else
        NR_DEBUG(MOD, "%s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name((rd_kafka_resp_err_t)err),
                 reason);
}

static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    struct stage *st = opaque;
    json_t *root = json_loadb(json, len, 0, NULL);
    if (!root)
        return 0;
    int64_t lag = 0;
    json_t *topics = json_object_get(root, "topics"), *t;
    const char *tname;
    json_object_foreach(topics, tname, t)
    {
        json_t *parts = json_object_get(t, "partitions"), *p;
        const char *pname;
        json_object_foreach(parts, pname, p)
        {
            if (strcmp(pname, "-1") == 0)
                continue;
            /* consumer_lag is -1 until the partition's first commit: then
             * count from what the application has consumed (or the log
             * start), so a fresh group's backlog shows. */
            json_int_t l = json_integer_value(json_object_get(p, "consumer_lag"));
            json_int_t hi = json_integer_value(json_object_get(p, "hi_offset"));
            json_int_t app = json_integer_value(json_object_get(p, "app_offset"));
            json_int_t lo = json_integer_value(json_object_get(p, "lo_offset"));
            if (l < 0 && hi >= 0)
                l = hi - (app >= 0 ? app : lo >= 0 ? lo : 0);
            if (l > 0)
                lag += l;
        }
    }
    json_decref(root);
    if (rk == st->c)
        nr_gauge_set(st->id == 1 ? st->s->mt.lag_articles : st->s->mt.lag_counts, (double)lag);
    return 0;
}

static int conf_set(rd_kafka_conf_t *c, const char *k, const char *v, struct nr_error *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(c, k, v, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        nr_error_set(err, "%s: %s", k, errstr);
        return -1;
    }
    return 0;
}

struct prop {
    const char *k, *v;
};

/* Our defaults, then the user's pass-through properties (which win), then
 * the few properties correctness depends on (which the user cannot change).
 * The client's opaque is its stage: every callback runs on that stage. */
static rd_kafka_conf_t *make_conf(struct stage *st, const char *client_id, const struct prop *defs,
                                  size_t n_defs, const struct prop *forced, size_t n_forced,
                                  struct nr_error *err)
{
    const struct nr_kafka_opts *k = &st->cfg->kafka;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (conf_set(c, "bootstrap.servers", k->brokers, err) ||
        conf_set(c, "client.id", client_id, err) ||
        conf_set(c, "log.connection.close", "false", err))
        goto fail;
    for (size_t i = 0; i < n_defs; i++)
        if (conf_set(c, defs[i].k, defs[i].v, err))
            goto fail;
    rd_kafka_conf_set_log_cb(c, log_cb);
    rd_kafka_conf_set_error_cb(c, error_cb);
    rd_kafka_conf_set_opaque(c, st);
    for (size_t i = 0; i < k->n_properties; i++) {
        const struct nr_kv *kv = &k->properties[i];
        char errstr[512];
        if (rd_kafka_conf_set(c, kv->key, kv->value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
            nr_error_set(err, "%s:%u:%u: kafka.properties.%s: %s", kv->pos.file, kv->pos.line,
                         kv->pos.col, kv->key, errstr);
            goto fail;
        }
    }
    for (size_t i = 0; i < n_forced; i++)
        if (conf_set(c, forced[i].k, forced[i].v, err))
            goto fail;
    return c;
fail:
    rd_kafka_conf_destroy(c);
    return NULL;
}

int nr_svc_check_properties(const struct nr_config *cfg, struct nr_diags *diags)
{
    int bad = 0;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    for (size_t i = 0; i < cfg->kafka.n_properties; i++) {
        const struct nr_kv *kv = &cfg->kafka.properties[i];
        char errstr[512];
        if (rd_kafka_conf_set(c, kv->key, kv->value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
            nr_diags_add(diags, kv->pos.file, kv->pos.line, kv->pos.col, "kafka.properties.%s: %s",
                         kv->key, errstr);
            bad = -1;
        }
    }
    rd_kafka_conf_destroy(c);
    return bad;
}

/* ---- delivery reports ---------------------------------------------------------- */

static struct p2 *p2_get(struct stage *st, int32_t partition, bool create);

/* The batch message of t was delivered (ok) or failed for good: its input
 * messages are done with it. An entry of a ring retired by a revocation is
 * updated in memory nobody reads any more (offsets.h). */
static void ticket_release(struct ticket *t, bool ok)
{
    for (uint32_t i = 0; i < t->n; i++)
        nr_oentry_done(t->e[i], ok);
    free(t->e);
    free(t);
}

/* Served on the producer's stage thread (rd_kafka_poll of its producer). */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
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
        ticket_release((struct ticket *)(op & ~(uintptr_t)3u), ok);
    } else if (op & 1u) {
        struct ckpt *c = (struct ckpt *)(op & ~(uintptr_t)1u);
        if (!ok) {
            c->failed = true;
            struct p2 *p = p2_get(st, c->part, false);
            if (p && p->active)
                p->redo_all = true;
        }
        if (--c->pending == 0) {
            if (c->op)
                nr_opart_ckpt_end(c->op, c->t, c->upto, !c->failed);
            free(c);
        }
    } else {
        nr_oentry_done((struct nr_oentry *)op, ok); /* maybe in a retired ring: harmless */
    }
}

static bool stopping(const struct svc *s);

/* Produce, serving delivery reports while the queue is full. The opaque is
 * accounted by the caller before the call and released here on failure. A
 * stop request ends the wait (brokers may be down for good): the message is
 * then not produced and its input offset not committed. */
static int produce(struct stage *st, const char *topic, int32_t partition, const void *key,
                   size_t klen, const void *val, size_t vlen, rd_kafka_headers_t *hdrs,
                   void *opaque)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            st->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY((void *)key, klen), RD_KAFKA_V_VALUE((void *)val, vlen),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !stopping(st->s)) {
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
static void produce_for_entry(struct stage *st, const char *topic, int32_t partition,
                              const void *key, size_t klen, const void *val, size_t vlen,
                              rd_kafka_headers_t *hdrs)
{
    struct nr_oentry *e = st->cur_entry;
    if (!e) { /* stage 2 moving stream time on its own (a source fell silent) */
        (void)produce(st, topic, partition, key, klen, val, vlen, hdrs, NULL);
        return;
    }
    nr_oentry_expect(e);
    if (produce(st, topic, partition, key, klen, val, vlen, hdrs, e) != 0)
        nr_oentry_done(e, false);
}

/* ---- stage 1: articles -> count events / dead letters ------------------------------ */

/* A dead letter of m, or of part of it: payload/len and its index within m
 * (index >= 0: header newsradar.source.index). */
static void dead_letter_part(struct stage *st, const rd_kafka_message_t *m, const void *payload,
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
    produce_for_entry(st, st->cfg->kafka.dead_letter_topic, RD_KAFKA_PARTITION_UA, m->key,
                      m->key_len, payload, len, h);
    nr_counter_add(st->s->mt.dlq, 1);
    char at[32] = "";
    if (index >= 0)
        snprintf(at, sizeof(at), " #%ld", index);
    NR_WARN(MOD, "dead letter %s [%" PRId32 "] @%" PRId64 "%s: %s: %s", rd_kafka_topic_name(m->rkt),
            m->partition, m->offset, at, reason, msg);
}

static void dead_letter(struct stage *st, const rd_kafka_message_t *m, const char *reason,
                        const char *msg)
{
    dead_letter_part(st, m, m->payload, m->len, -1, reason, msg);
}

/* ---- stage 1: event-time synchronisation (watermark.h) ------------------------------ */

static struct s1_src *s1_src_find(struct stage *st, const char *topic, int32_t part, bool create)
{
    for (size_t i = 0; i < st->n_src; i++)
        if (st->src[i].partition == part && strcmp(st->src[i].topic, topic) == 0)
            return &st->src[i];
    if (!create)
        return NULL;
    if (st->n_src == st->cap_src) {
        st->cap_src = st->cap_src ? 2 * st->cap_src : 16;
        st->src = nr_xrealloc(st->src, st->cap_src * sizeof(*st->src));
        st->wm_want = nr_xrealloc(st->wm_want, st->cap_src * sizeof(*st->wm_want));
    }
    struct s1_src *s = &st->src[st->n_src++];
    s->topic = nr_xstrndup(topic, strlen(topic));
    s->partition = part;
    s->next = -1;
    nr_wm_src_init(&s->wm, nr_clock_mono_s());
    return s;
}

static void s1_src_drop(struct stage *st, const char *topic, int32_t part)
{
    struct s1_src *s = s1_src_find(st, topic, part, false);
    if (!s)
        return;
    free(s->topic);
    *s = st->src[--st->n_src];
}

/* The watermarks of every source this stage owns, as a message header:
 * sent after the events they cover, by the same producer into the same
 * partition, so stage 2 always reads a source's events before its mark. */
static rd_kafka_headers_t *wm_headers(struct stage *st, uint64_t *sum)
{
    *sum = 0;
    if (!st->n_src)
        return NULL;
    double now = nr_clock_mono_s();
    struct nr_wm_mark marks[64];
    size_t n = 0;
    rd_kafka_headers_t *h = rd_kafka_headers_new(1);
    /* at most 64 sources per header: an instance owning more sends several */
    for (size_t i = 0; i < st->n_src; i++) {
        const struct s1_src *s = &st->src[i];
        marks[n++] = (struct nr_wm_mark){
            s->topic, strlen(s->topic), s->partition,
            s->wm.wm, s->wm.first_ms,   nr_wm_src_idle(&s->wm, now, WM_IDLE_S) ? NR_WM_IDLE : 0};
        if (n == NR_ARRAY_LEN(marks) || i + 1 == st->n_src) {
            nr_wm_encode(marks, n, &st->wmbuf, &st->wmcap, &st->wmlen);
            rd_kafka_header_add(h, WM_HEADER, -1, st->wmbuf, (ssize_t)st->wmlen);
            *sum = nr_hash64(st->wmbuf, st->wmlen, *sum + 1);
            n = 0;
        }
    }
    return h;
}

/* Every repartition partition hears of changed watermarks within
 * WM_MARK_S, and of unchanged ones every WM_BEAT_S (stage 2 must not take
 * the sources for silent): those that got no batch since the last round get
 * a message with the header only (no payload). */
static void s1_marks(struct stage *st)
{
    double now = nr_clock_mono_s();
    if (!st->n_src || now - st->last_mark < WM_MARK_S)
        return;
    uint64_t sum;
    rd_kafka_headers_destroy(wm_headers(st, &sum));
    bool beat = now - st->last_mark >= WM_BEAT_S;
    if (sum == st->last_mark_sum && !beat)
        return;
    st->last_mark_sum = sum;
    st->last_mark = now;
    /* a partition whose last batch carried these very marks needs no more */
    for (int32_t p = 0; p < st->n_evb; p++) {
        if (st->evb_sum[p] == sum && !beat)
            continue;
        (void)produce(st, st->cfg->kafka.repartition_topic, p, NULL, 0, NULL, 0,
                      wm_headers(st, &st->evb_sum[p]), NULL);
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
static void s1_pace(struct stage *st)
{
    if (!st->n_src)
        return;
    double now = nr_clock_mono_s();
    for (size_t i = 0; i < st->n_src; i++) {
        struct s1_src *s = &st->src[i];
        int64_t lo = -1, hi = -1;
        s->wm.behind = s->next >= 0 &&
                       rd_kafka_get_watermark_offsets(st->c, s->topic, s->partition, &lo, &hi) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR &&
                       hi >= 0 && s->next < hi;
    }
    struct nr_wm_src *v = nr_xmalloc(st->n_src * sizeof(*v));
    for (size_t i = 0; i < st->n_src; i++)
        v[i] = st->src[i].wm;
    if (nr_wm_pace(v, st->n_src, now, WM_IDLE_S, WM_LEAD_MS, st->wm_want)) {
        for (size_t i = 0; i < st->n_src; i++) {
            struct s1_src *s = &st->src[i];
            if (st->wm_want[i] == s->wm.paused)
                continue;
            pause_resume(st, s, st->wm_want[i]);
            s->wm.paused = st->wm_want[i];
            s->wm.active_at = now; /* a resumed partition needs a fetch before it is idle */
        }
    }
    free(v);
    size_t paused = 0;
    for (size_t i = 0; i < st->n_src; i++)
        paused += st->src[i].wm.paused;
    nr_gauge_set(st->s->mt.wm_paused, (double)paused);
}

/* Send partition p's open batch, with the watermark header; its delivery
 * report releases its ticket. */
static void evb_send(struct stage *st, int32_t p)
{
    struct nr_event_batch *b = &st->evb[p];
    struct ticket *t = st->evb_tk[p];
    if (!b->n || !t)
        return;
    st->evb_tk[p] = NULL;
    if (produce(st, st->cfg->kafka.repartition_topic, p, NULL, 0, b->buf, b->len,
                wm_headers(st, &st->evb_sum[p]), OPAQUE_TICKET(t)) != 0)
        ticket_release(t, false);
    nr_event_batch_clear(b);
}

/* End of a poll of stage 1: send every open batch. */
static void evb_flush(struct stage *st)
{
    for (int32_t p = 0; p < st->n_evb; p++)
        evb_send(st, p);
}

static struct nr_oentry *track_begin(struct stage *st, const rd_kafka_message_t *m, bool hold);

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
        rd_kafka_msg_partitioner_murmur2(NULL, key, rl + 1 + kl, c->st->n_evb, NULL, NULL);
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
 * time: published_at unless future-dated (engine.max_future after now),
 * else the message timestamp, else stage 1's stream time. */
static void s1_work(void *ctx, unsigned wi, size_t i)
{
    struct stage *st = ctx;
    struct s1_item *it = &st->items[i];
    if (!it->e)
        return;
    double t0 = nr_clock_mono_s();
    struct s1_worker *w = &st->w[wi];
    const rd_kafka_message_t *m = it->m;
    it->worker = wi;
    it->ev_first = w->n_ev;
    it->rj_first = w->n_rj;
    struct nr_engine_stats before = {0};
    nr_stage1_stats_add(w->s1, &before);
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    struct s1_ctx c = {st, w, it};
    const struct nr_stage1_out out = {
        .ud = &c, .event = s1_event, .time = s1_time, .tagged = s1_tagged, .reject = s1_reject};
    it->ev_ms = NR_TIME_NONE;
    nr_stage1_feed(w->s1, m->payload, m->len, ts >= 0 ? ts : NR_TIME_NONE, nr_clock_wall_ms(),
                   &out);
    nr_stage1_stats_add(w->s1, &it->stats);
    it->stats.tagged -= before.tagged;
    it->stats.duplicates -= before.duplicates;
    it->stats.future -= before.future;
    it->stats.utf8_repairs -= before.utf8_repairs;
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        it->stats.field_errors[f] -= before.field_errors[f];
    it->ev_n = w->n_ev - it->ev_first;
    it->secs = nr_clock_mono_s() - t0;
}

/* ---- stage 1, on the stage thread: in input order ------------------------------------ */

/* Copy one encoded count event of the current input message into its
 * partition's batch; the message then waits for that batch's delivery. */
static void s1_emit(struct stage *st, const struct s1_ev *ev, const uint8_t *rec)
{
    struct nr_event_batch *b = &st->evb[ev->part];
    if (b->n && b->len + 4 + ev->len > EVB_MAX_BYTES)
        evb_send(st, ev->part);
    nr_event_batch_add_raw(b, rec, ev->len);
    struct ticket *t = st->evb_tk[ev->part];
    if (!t)
        t = st->evb_tk[ev->part] = nr_xcalloc(1, sizeof(*t));
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
    const struct s1_worker *w = &st->w[it->worker];
    st->cur_entry = it->e;
    nr_counter_add(mt->future, it->stats.future);
    nr_counter_add(mt->utf8_repairs, it->stats.utf8_repairs);
    nr_counter_add(mt->dups, it->stats.duplicates);
    nr_counter_add(mt->tagged, it->stats.tagged);
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        nr_counter_add(mt->field_errors[f], it->stats.field_errors[f]);
    for (size_t k = 0; k < it->rj_n; k++) {
        const struct s1_rej *j = &w->rj[it->rj_first + k];
        if (j->index < 0)
            dead_letter(st, m, nr_reject_name(j->reason), j->msg);
        else
            dead_letter_part(st, m, w->rj_text + j->off, j->len, j->index,
                             nr_reject_name(j->reason), j->msg);
    }
    for (size_t k = 0; k < it->ev_n; k++) {
        const struct s1_ev *ev = &w->ev[it->ev_first + k];
        s1_emit(st, ev, w->rec.buf + ev->off);
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
        (void)produce(st, st->cfg->kafka.enriched_topic, RD_KAFKA_PARTITION_UA, m->key, m->key_len,
                      it->enriched[k], it->enriched_len[k], NULL, NULL);
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

/* One poll of articles: track them in order, decode and tag them on the
 * workers, then, in input order, dead-letter or batch their events, and
 * send the batches. Fewer than S1_MIN_PARALLEL articles stay on this
 * thread: waking the helpers would cost more. */
#define S1_MIN_PARALLEL 8
static void stage1_batch(struct stage *st, rd_kafka_message_t **msgs, size_t n)
{
    struct metrics *mt = &st->s->mt;
    for (size_t i = 0; i < n; i++) {
        struct s1_item *it = &st->items[i];
        memset(it, 0, sizeof(*it));
        it->m = msgs[i];
        if (msgs[i]->err) {
            if (msgs[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                NR_WARN(MOD, "consume: %s", rd_kafka_message_errstr(msgs[i]));
            continue;
        }
        it->e = track_begin(st, msgs[i], false);
        if (it->e) {
            nr_counter_add(mt->in, 1);
            nr_counter_add(mt->bytes, msgs[i]->len);
        }
    }
    for (unsigned k = 0; k < st->n_w; k++) {
        nr_event_batch_clear(&st->w[k].rec);
        st->w[k].n_ev = 0;
        st->w[k].n_rj = 0;
        st->w[k].rj_len = 0;
    }
    nr_pool_run(st->pool, s1_work, st, n, S1_MIN_PARALLEL);
    for (size_t i = 0; i < n; i++)
        if (st->items[i].e)
            s1_finish(st, &st->items[i]);
    /* the watermarks move only now, so that every header sent before
     * covers only events already sent */
    double now = nr_clock_mono_s();
    for (size_t i = 0; i < n; i++) {
        const struct s1_item *it = &st->items[i];
        if (!it->e)
            continue;
        struct s1_src *src =
            s1_src_find(st, rd_kafka_topic_name(it->m->rkt), it->m->partition, true);
        src->next = it->m->offset + 1;
        nr_wm_src_article(&src->wm, it->ev_ms, it->ev_ms != NR_TIME_NONE && it->ev_n > 0, now);
    }
    evb_flush(st);
    s1_marks(st);
    s1_pace(st);
}

/* ---- stage 2: count events -> windows -> alerts ----------------------------------- */

static void emit_alert(void *ud, const struct nr_alert *al)
{
    struct stage *st = ud;
    char *json = nr_alert_to_json(al);
    if (json) {
        produce_for_entry(st, st->cfg->kafka.alert_topic, RD_KAFKA_PARTITION_UA, al->alert_id,
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
    if (st->cur_p2)
        dirty_add(&st->cur_p2->dirty, al->rule, al->key);
}

static struct p2 *p2_get(struct stage *st, int32_t partition, bool create)
{
    if (partition < 0)
        return NULL;
    if ((size_t)partition >= st->n_p2) {
        if (!create)
            return NULL;
        size_t n = (size_t)partition + 1;
        st->p2 = nr_xrealloc(st->p2, n * sizeof(*st->p2));
        memset(st->p2 + st->n_p2, 0, (n - st->n_p2) * sizeof(*st->p2));
        st->n_p2 = n;
    }
    return &st->p2[partition];
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
static void p2_release(struct stage *st, struct p2 *p, bool force)
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
    struct p2 *curp = st->cur_p2;
    st->cur_p2 = p;
    const struct nr_evq_item *top;
    while ((top = nr_evq_top(&p->held)) &&
           (top->t <= w.release || force || p->held.bytes > WM_HOLD_MAX)) {
        struct nr_evq_item it;
        if (top->t > w.release)
            nr_counter_add(st->s->mt.wm_forced, 1);
        nr_evq_pop(&p->held, &it);
        struct nr_error err = {{0}};
        st->cur_entry = it.opaque;
        const struct nr_count_event *ev =
            nr_stage2_count_record(p->s2, (const char *)it.rec, it.len, emit_alert, st, &err);
        if (ev) {
            dirty_add(&p->dirty, st->cfg->rules[ev->rule].id, ev->key);
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
    st->cur_p2 = curp;
}

/* A valid count event is held until no source can still send an earlier
 * one (p2_release counts it). */
static void s2_hold(void *ud, const struct nr_count_event *ev, const char *rec, size_t len)
{
    struct stage *st = ud;
    nr_oentry_expect(st->cur_entry);
    nr_evq_push(&st->cur_p2->held, ev->event_ms, st->cur_msg->offset, st->cur_entry, rec, len);
}

static void s2_reject(void *ud, long index, const char *msg, struct nr_str record)
{
    struct stage *st = ud;
    const rd_kafka_message_t *m = st->cur_msg;
    if (record.p)
        dead_letter_part(st, m, record.p, record.len, index, "invalid_event", msg);
    else
        dead_letter(st, m, "invalid_event", msg);
}

static void stage2(struct stage *st, const rd_kafka_message_t *m)
{
    struct p2 *p = p2_get(st, m->partition, false);
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
    struct nr_oentry *e = track_begin(st, m, true);
    if (!e)
        return;
    st->cur_entry = e;
    st->cur_p2 = p;
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
        p2_release(st, p, false);
        nr_oentry_done(e, true);
        st->cur_entry = NULL;
        st->cur_p2 = NULL;
        return;
    }
    /* Our own topic, but a reload (here or in another instance) may have
     * removed or added a rule: whatever cannot be counted is kept as a dead
     * letter (nr_stage2_feed says which). */
    st->cur_msg = m;
    const struct nr_stage2_out out = {.ud = st, .hold = s2_hold, .reject = s2_reject};
    nr_stage2_feed(p->s2, m->payload, m->len, &out);
    st->cur_msg = NULL;
    p->last_offset = m->offset;
    p2_release(st, p, false);
    nr_oentry_done(e, true);
    st->cur_entry = NULL;
    st->cur_p2 = NULL;
}

/* Write every dirty key of partition `part` to the changelog; the offsets
 * processed so far become committable when all records are delivered. */
static void checkpoint(struct stage *st, int32_t part)
{
    struct p2 *p = p2_get(st, part, false);
    if (!p || !p->active || p->last_offset < 0)
        return;
    const struct nr_config *cfg = st->cfg;
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
            dirty_add(&p->dirty, cfg->rules[k->rule].id, k->key);
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
            if (produce(st, topic, part, k, strlen(k), buf, len, NULL, OPAQUE_CKPT(c)) != 0) {
                c->pending--;
                c->failed = true;
                p->redo_all = true;
            }
            nr_counter_add(st->s->mt.ckpt_records, 1);
        }
        free(buf);
    }
    char meta[64];
    int64_t st_ms = 0, fs_ms = 0;
    nr_detector_meta(nr_stage2_detector(p->s2), &st_ms, &fs_ms);
    int ml = snprintf(meta, sizeof(meta), "%" PRId64 " %" PRId64, st_ms, fs_ms);
    c->pending++;
    if (produce(st, topic, part, META_KEY, strlen(META_KEY), meta, (size_t)ml, NULL,
                OPAQUE_CKPT(c)) != 0) {
        c->pending--;
        c->failed = true;
    }
    dirty_clear(&p->dirty);
    /* release our hold */
    if (--c->pending == 0) {
        nr_opart_ckpt_end(c->op, c->t, c->upto, !c->failed);
        free(c);
    }
}

/* Rebuild partition `part`'s detector from the changelog. */
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
static void restore_assign(struct stage *st)
{
    const char *topic = st->cfg->kafka.changelog_topic;
    rd_kafka_topic_partition_list_t *add = rd_kafka_topic_partition_list_new(4);
    rd_kafka_topic_partition_list_t *del = rd_kafka_topic_partition_list_new(4);
    for (size_t i = 0; i < st->n_p2; i++) {
        struct p2 *p = &st->p2[i];
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
    if (del->cnt && (e = rd_kafka_incremental_unassign(st->restore, del))) {
        NR_ERROR(MOD, "restore: unassign: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    if (add->cnt && (e = rd_kafka_incremental_assign(st->restore, add))) {
        NR_ERROR(MOD, "restore: assign: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(add);
    rd_kafka_topic_partition_list_destroy(del);
}

static void restore_done(struct stage *st, int32_t part, struct p2 *p)
{
    p->restoring = p->rs_started = p->rs_seek = false;
    st->n_restoring--;
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
static bool restore_step(struct stage *st)
{
    const char *topic = st->cfg->kafka.changelog_topic;
    bool reassign = false, queried = false;
    double now = nr_clock_mono_s();
    for (size_t i = 0; i < st->n_p2; i++) {
        struct p2 *p = &st->p2[i];
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
            rd_kafka_query_watermark_offsets(st->restore, topic, (int32_t)i, &lo, &hi, 1000);
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
        restore_assign(st);
    /* a slice of ~20 ms, then back to the other partitions */
    double until = nr_clock_mono_s() + 0.02;
    bool finished = false, more = false;
    rd_kafka_message_t *m;
    while (st->n_restoring && (m = rd_kafka_consumer_poll(st->restore, 0))) {
        struct p2 *p = p2_get(st, m->partition, false);
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
    if (finished)
        restore_assign(st);
    return more && st->n_restoring;
}

/* ---- offsets ------------------------------------------------------------------------ */

/* Each stage's tracker holds only its own consumer's partitions. */
static void store_offsets(struct stage *st)
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
    if (l) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_store(st->c, l);
        if (err)
            NR_DEBUG(MOD, "offsets_store: %s", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(l);
    }
}

static struct nr_oentry *track_begin(struct stage *st, const rd_kafka_message_t *m, bool hold)
{
    struct nr_opart *op =
        nr_otrack_part(&st->track, rd_kafka_topic_name(m->rkt), m->partition, true);
    op->hold = hold;
    struct nr_oentry *e;
    /* A full ring is backpressure: wait for deliveries, store what is done. */
    while (!(e = nr_opart_begin(op, m->offset))) {
        if (stopping(st->s))
            return NULL; /* not processed, not committed: read again after restart */
        rd_kafka_poll(st->prod, 50);
        if (hold) {
            /* held events keep their messages in the ring: count them */
            struct p2 *p = p2_get(st, m->partition, false);
            if (p && p->active && p->held.n)
                p2_release(st, p, true);
            checkpoint(st, m->partition);
        }
        store_offsets(st);
    }
    return e;
}

/* ---- rebalancing (on the consumer's stage thread) ----------------------------------- */

static void drain(struct stage *st)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(st->prod, (int)st->cfg->kafka.flush_timeout_ms);
    if (err)
        NR_WARN(MOD, "flush: %d messages still in flight after %" PRId64 " ms",
                rd_kafka_outq_len(st->prod), st->cfg->kafka.flush_timeout_ms);
}

static void p2_drop(struct p2 *p)
{
    bool assigned = p->rs_assigned; /* until restore_assign removes it */
    nr_stage2_free(p->s2);
    dirty_free(&p->dirty);
    nr_evq_free(&p->held); /* their messages are read again by the next owner */
    nr_wm_table_free(&p->wmt);
    memset(p, 0, sizeof(*p));
    p->rs_assigned = assigned;
}

static void on_revoke(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
    if (st->id == 2)
        for (int i = 0; i < parts->cnt; i++)
            checkpoint(st, parts->elems[i].partition);
    drain(st);
    if (rd_kafka_outq_len(st->prod) == 0) /* every report served: retired rings are unused */
        nr_otrack_free_retired(&st->track);
    store_offsets(st);
    rd_kafka_resp_err_t err = rd_kafka_commit(st->c, NULL, 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        NR_WARN(MOD, "commit on revoke: %s", rd_kafka_err2str(err));
    for (int i = 0; i < parts->cnt; i++) {
        struct nr_opart *op =
            nr_otrack_part(&st->track, parts->elems[i].topic, parts->elems[i].partition, false);
        if (op)
            nr_opart_reset(op);
        if (st->id == 2) {
            struct p2 *p = p2_get(st, parts->elems[i].partition, false);
            if (p && p->active) {
                if (p->restoring)
                    st->n_restoring--;
                p2_drop(p);
            }
        }
    }
    if (st->id == 2)
        restore_assign(st); /* stop reading changelogs of revoked partitions */
    if (st->id == 1) {
        st->s->n_assigned1 -= parts->cnt;
        for (int i = 0; i < parts->cnt; i++)
            s1_src_drop(st, parts->elems[i].topic, parts->elems[i].partition);
    }
}

static void on_assign(struct stage *st, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        struct nr_opart *op = nr_otrack_part(&st->track, tp->topic, tp->partition, true);
        nr_opart_reset(op);
        if (st->id != 2) {
            (void)s1_src_find(st, tp->topic, tp->partition, true);
            continue;
        }
        struct p2 *p = p2_get(st, tp->partition, true);
        /* every input partition is a source it waits for */
        double now = nr_clock_mono_s();
        for (size_t t = 0; t < st->n_in; t++)
            for (int k = 0; k < st->in_parts[t]; k++)
                nr_wm_table_expect(&p->wmt, st->in_topic[t], k, now);
        struct nr_error err = {{0}};
        p->s2 = nr_stage2_new(st->cfg, &err);
        if (!p->s2) { /* the config was validated: not expected */
            NR_ERROR(MOD, "detector: %s", err.msg);
            st->s->fatal = 1;
            continue;
        }
        p->op = op;
        op->hold = true;
        p->last_offset = -1;
        p->active = true;
        memset(&p->last_stats, 0, sizeof(p->last_stats));
        /* paused by rebalance_cb once assigned; restore_step resumes it */
        p->restoring = true;
        p->rs_t0 = p->rs_progress_at = nr_clock_mono_s();
        st->n_restoring++;
    }
    if (st->id == 1)
        st->s->n_assigned1 += parts->cnt;
    NR_INFO(MOD, "%s: assigned %d partition(s)", st->id == 1 ? "articles" : "counts", parts->cnt);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct stage *st = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *e = NULL;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        on_assign(st, parts);
        if (st->id == 1)
            st->s->joined1 = 1;
        else
            st->s->joined2 = 1;
        if (coop)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
        /* stage 2: nothing is counted before the window state is back */
        if (st->id == 2 && !e) {
            rd_kafka_resp_err_t pe = rd_kafka_pause_partitions(rk, parts);
            for (int i = 0; !pe && i < parts->cnt; i++)
                pe = parts->elems[i].err;
            if (pe) { /* counting before the restore would be wrong: restart */
                NR_ERROR(MOD, "pause for restore: %s", rd_kafka_err2str(pe));
                st->s->fatal = 1;
            }
        }
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

/* ---- set-up ---------------------------------------------------------------------------- */

static rd_kafka_t *make_consumer(struct stage *st, const char *group, const char *client,
                                 struct nr_error *err)
{
    char ival[32];
    snprintf(ival, sizeof(ival), "%" PRId64, st->cfg->kafka.commit_interval_ms);
    const struct prop defs[] = {
        {"auto.commit.interval.ms", ival},
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"auto.offset.reset", "earliest"},
        {"fetch.max.bytes", "1048576"}, /* performance.md: 1 MiB beat 2 and 8 MiB end to end */
        {"statistics.interval.ms", "5000"},
    };
    const struct prop forced[] = {
        {"group.id", group},
        {"enable.auto.offset.store", "false"}, /* stored only after delivery */
        {"enable.auto.commit", "true"},
        {"enable.partition.eof", "false"},
    };
    rd_kafka_conf_t *c =
        make_conf(st, client, defs, NR_ARRAY_LEN(defs), forced, NR_ARRAY_LEN(forced), err);
    if (!c)
        return NULL;
    rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
    rd_kafka_conf_set_stats_cb(c, stats_cb);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof(errstr));
    if (!rk) {
        nr_error_set(err, "consumer: %s", errstr);
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

static int subscribe(rd_kafka_t *rk, char **topics, size_t n, struct nr_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        nr_error_set(err, "subscribe: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Stage 2 checkpoints repartition partition P into changelog partition P:
 * both topics must exist with the same partition count, or checkpoints fail
 * and those partitions never commit nor restore. */
static int topic_partitions(rd_kafka_t *rk, const char *name, rd_kafka_resp_err_t *code,
                            struct nr_error *err)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, name, NULL);
    const struct rd_kafka_metadata *md = NULL;
    /* short: start-up retries it, and a stop request waits for it */
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, 5000);
    int n = -1;
    if (!e && md->topic_cnt == 1)
        e = md->topics[0].err;
    if (!e && md->topic_cnt == 1)
        n = md->topics[0].partition_cnt;
    else
        nr_error_set(err, "topic %s: %s", name, rd_kafka_err2str(e));
    *code = e;
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return n;
}

/* The repartition topic's partition count, or -1 with *code the Kafka error
 * (unreachable broker, missing topic: worth retrying) or 0 (the topics do
 * not fit together: a configuration error). */
static int check_topics(rd_kafka_t *rk, const struct nr_config *cfg, rd_kafka_resp_err_t *code,
                        struct nr_error *err)
{
    const struct nr_kafka_opts *k = &cfg->kafka;
    *code = RD_KAFKA_RESP_ERR_NO_ERROR;
    int rp = topic_partitions(rk, k->repartition_topic, code, err);
    if (rp < 0)
        return -1;
    int cp = topic_partitions(rk, k->changelog_topic, code, err);
    if (cp < 0)
        return -1;
    if (rp != cp) {
        nr_error_set(err,
                     "kafka.changelog_topic %s has %d partitions, kafka.repartition_topic %s "
                     "has %d: they must be equal",
                     k->changelog_topic, cp, k->repartition_topic, rp);
        return -1;
    }
    return rp;
}

/* Create the topics we use (kafka.create_topics): existing ones are fine. */
static int create_topics(rd_kafka_t *rk, const struct nr_config *cfg, struct nr_error *err)
{
    const struct nr_kafka_opts *k = &cfg->kafka;
    struct want {
        const char *name;
        int parts;
        bool compact;
    } want[16];
    size_t n = 0;
    for (size_t i = 0; i < k->input_topics.n && n < 10; i++)
        want[n++] = (struct want){k->input_topics.v[i], (int)k->topic_partitions, false};
    want[n++] = (struct want){k->repartition_topic, (int)k->repartition_partitions, false};
    want[n++] = (struct want){k->changelog_topic, (int)k->repartition_partitions, true};
    want[n++] = (struct want){k->alert_topic, (int)k->topic_partitions, false};
    want[n++] = (struct want){k->dead_letter_topic, (int)k->topic_partitions, false};
    if (k->enriched_topic && *k->enriched_topic)
        want[n++] = (struct want){k->enriched_topic, (int)k->topic_partitions, false};

    rd_kafka_NewTopic_t *nt[16];
    char errstr[512];
    for (size_t i = 0; i < n; i++) {
        nt[i] = rd_kafka_NewTopic_new(want[i].name, want[i].parts, (int)k->replication, errstr,
                                      sizeof(errstr));
        if (want[i].compact) {
            /* compact closed segments early: a restore reads the tail */
            rd_kafka_NewTopic_set_config(nt[i], "cleanup.policy", "compact");
            rd_kafka_NewTopic_set_config(nt[i], "segment.ms", "3600000");
            rd_kafka_NewTopic_set_config(nt[i], "min.cleanable.dirty.ratio", "0.1");
        }
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, nt, n, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    int rc = 0;
    if (!ev) {
        nr_error_set(err, "create topics: no answer within 30 s");
        rc = -1;
    } else if (rd_kafka_event_error(ev)) {
        nr_error_set(err, "create topics: %s", rd_kafka_event_error_string(ev));
        rc = -1;
    } else {
        size_t cnt;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
            if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS || !e)
                continue;
            nr_error_set(err, "create topic %s: %s", rd_kafka_topic_result_name(res[i]),
                         rd_kafka_topic_result_error_string(res[i]));
            rc = -1;
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    for (size_t i = 0; i < n; i++)
        rd_kafka_NewTopic_destroy(nt[i]);
    return rc;
}

static void metrics_init(struct svc *s)
{
    struct metrics *m = &s->mt;
    m->reg = nr_metrics_new();
#define C(f, name, help)     m->f = nr_metrics_counter(m->reg, name, help, NULL)
#define G(f, name, help, lb) m->f = nr_metrics_gauge(m->reg, name, help, lb)
    C(in, "newsradar_articles_in_total", "Messages read from the article topics.");
    C(bytes, "newsradar_articles_in_bytes_total", "Bytes read from the article topics.");
    C(tagged, "newsradar_articles_tagged_total", "Articles with at least one entity or topic.");
    C(dlq, "newsradar_dead_letters_total", "Messages sent to the dead-letter topic.");
    C(events, "newsradar_count_events_total", "Count events produced to the repartition topic.");
    C(late, "newsradar_late_events_total", "Events older than stream time minus grace.");
    C(late_dropped, "newsradar_late_dropped_total", "Events older than the whole window ring.");
    C(dups, "newsradar_duplicates_total", "Exact and near duplicate articles per key.");
    C(deliv_fail, "newsradar_delivery_failures_total", "Produced messages that failed for good.");
    C(reloads, "newsradar_reloads_total", "Successful configuration reloads (SIGHUP).");
    C(reload_fail, "newsradar_reload_failures_total", "Rejected configuration reloads.");
    C(ckpt_records, "newsradar_checkpoint_records_total",
      "Window states written to the changelog.");
    C(restored, "newsradar_restored_keys_total", "Window keys restored from the changelog.");
    C(wm_forced, "newsradar_watermark_forced_total",
      "Count events counted before the minimum watermark passed them (too many held).");
    G(wm_paused, "newsradar_paused_partitions",
      "Input partitions paused because they ran ahead in event time.", NULL);
    G(held, "newsradar_held_events",
      "Count events held until the minimum watermark of the input partitions passes them.", NULL);
    C(future, "newsradar_future_articles_total",
      "Articles published more than engine.max_future after arrival (clamped or rejected).");
    C(utf8_repairs, "newsradar_utf8_repairs_total",
      "Invalid UTF-8 sequences replaced by U+FFFD (article.invalid_utf8: repair).");
    for (int f = 0; f < NR_FIELD_COUNT; f++) {
        char lb[64];
        snprintf(lb, sizeof(lb), "field=\"%s\"", nr_field_names[f]);
        m->field_errors[f] = nr_metrics_counter(
            m->reg, "newsradar_field_errors_total",
            "Optional article fields present but unreadable, read as absent.", lb);
    }
    G(lag_articles, "newsradar_consumer_lag", "Consumer lag (messages) from librdkafka statistics.",
      "stage=\"articles\"");
    G(lag_counts, "newsradar_consumer_lag", "Consumer lag (messages) from librdkafka statistics.",
      "stage=\"counts\"");
    G(keys, "newsradar_window_keys", "Window keys held by this instance.", NULL);
    G(rss, "newsradar_resident_memory_bytes", "Resident set size of the process.", NULL);
    G(assigned_articles, "newsradar_assigned_partitions", "Partitions assigned.",
      "stage=\"articles\"");
    G(assigned_counts, "newsradar_assigned_partitions", "Partitions assigned.", "stage=\"counts\"");
    G(restoring, "newsradar_restoring_partitions",
      "Repartition partitions paused while their window state is read from the changelog.", NULL);
#undef C
#undef G
    static const double b[] = {0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005,
                               0.01,    0.05,    0.1,    0.5,    1};
    m->latency =
        nr_metrics_histogram(m->reg, "newsradar_processing_seconds",
                             "Time to decode, tag and hand on one article.", b, NR_ARRAY_LEN(b));
}

/* Stage 2's share of the metrics (its detectors), on its thread. */
static void metrics_update2(struct stage *st)
{
    struct metrics *mt = &st->s->mt;
    uint64_t keys = 0, held = 0;
    size_t n2 = 0;
    for (size_t i = 0; i < st->n_p2; i++) {
        struct p2 *p = &st->p2[i];
        if (!p->active)
            continue;
        n2++;
        struct nr_detect_stats ds;
        nr_detector_stats(nr_stage2_detector(p->s2), &ds);
        nr_counter_add(mt->late, ds.late - p->last_stats.late);
        nr_counter_add(mt->late_dropped, ds.late_dropped - p->last_stats.late_dropped);
        nr_counter_add(mt->dups, ds.duplicates - p->last_stats.duplicates);
        keys += ds.keys;
        held += p->held.n;
        p->last_stats = ds;
    }
    nr_gauge_set(mt->keys, (double)keys);
    nr_gauge_set(mt->held, (double)held);
    nr_gauge_set(mt->assigned_counts, (double)n2);
    nr_gauge_set(mt->restoring, (double)st->n_restoring);
}

/* The process-wide part, on the main thread. */
static void metrics_update_main(struct svc *s)
{
    nr_gauge_set(s->mt.assigned_articles, s->n_assigned1);
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        unsigned long size, rss;
        if (fscanf(f, "%lu %lu", &size, &rss) == 2)
            nr_gauge_set(s->mt.rss, (double)rss * (double)sysconf(_SC_PAGESIZE));
        fclose(f);
    }
}

/* Ready: both consumers have been given their share of partitions (an
 * instance beyond the partition count is ready with none: it is a standby
 * that takes over on the next rebalance) and no fatal error stopped the
 * producers or consumers. */
static bool ready_cb(void *ud, char *why, size_t len)
{
    struct svc *s = ud;
    if (s->fatal) {
        snprintf(why, len, "fatal Kafka error");
        return false;
    }
    if (!s->topics_ok) {
        int e = s->kafka_err;
        snprintf(why, len, "waiting for Kafka: %s",
                 e ? rd_kafka_err2str((rd_kafka_resp_err_t)e) : "checking the topics");
        return false;
    }
    if (!s->joined1 || !s->joined2) {
        snprintf(why, len, "waiting for partition assignment (articles: %s, counts: %s)",
                 s->joined1 ? "done" : "pending", s->joined2 ? "done" : "pending");
        return false;
    }
    snprintf(why, len, "%d article partition(s) assigned", (int)s->n_assigned1);
    return true;
}

/* ---- reload ------------------------------------------------------------------------------ */

/* Settings bound into the running clients, subscriptions and offset
 * bookkeeping: a reload must not change them behind the clients' back. */
static const char *restart_only_change(const struct nr_config *a, const struct nr_config *b)
{
    const struct nr_kafka_opts *x = &a->kafka, *y = &b->kafka;
#define SAME(f) ((x->f == NULL && y->f == NULL) || (x->f && y->f && strcmp(x->f, y->f) == 0))
    if (!SAME(brokers))
        return "kafka.brokers";
    if (!SAME(group_id))
        return "kafka.group_id";
    if (!SAME(alert_topic) || !SAME(dead_letter_topic) || !SAME(repartition_topic) ||
        !SAME(changelog_topic) || !SAME(enriched_topic))
        return "a kafka.*_topic";
#undef SAME
    if (x->input_topics.n != y->input_topics.n)
        return "kafka.input_topics";
    for (size_t i = 0; i < x->input_topics.n; i++)
        if (strcmp(x->input_topics.v[i], y->input_topics.v[i]) != 0)
            return "kafka.input_topics";
    return NULL;
}

static bool reload_pending(struct svc *s)
{
    return s->cfg_old != NULL;
}

/* Main thread, on SIGHUP: load and validate the new configuration, build
 * what can be built here (stage 1's shared part with the tagger; a trial
 * nr_stage2, so that stage 2's own builds cannot fail), then post it to both
 * stages. Anything rejected leaves both stages untouched. */
static void reload_begin(struct svc *s)
{
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(s->path, &d);
    if (cfg && nr_svc_check_properties(cfg, &d) != 0) {
        nr_config_free(cfg);
        cfg = NULL;
    }
    if (!cfg) {
        for (size_t i = 0; i < d.n; i++)
            NR_ERROR("config", "reload rejected: %s:%u:%u: %s", d.v[i].pos.file, d.v[i].pos.line,
                     d.v[i].pos.col, d.v[i].msg);
        nr_diags_free(&d);
        nr_counter_add(s->mt.reload_fail, 1);
        NR_ERROR("config", "reload of %s failed: still running on the previous configuration",
                 s->path);
        return;
    }
    nr_diags_free(&d);
    const char *changed = restart_only_change(s->cfg, cfg);
    if (changed) {
        NR_ERROR("config", "reload rejected: %s changed; restart to apply it", changed);
        nr_config_free(cfg);
        nr_counter_add(s->mt.reload_fail, 1);
        return;
    }
    struct nr_error err = {{0}};
    struct nr_stage1_shared *sh = nr_stage1_shared_new(cfg, &err);
    struct nr_stage2 *trial = sh ? nr_stage2_new(cfg, &err) : NULL;
    if (!trial) {
        NR_ERROR("config", "reload rejected: %s", err.msg);
        nr_stage1_shared_free(sh);
        nr_config_free(cfg);
        nr_counter_add(s->mt.reload_fail, 1);
        return;
    }
    nr_stage2_free(trial);
    struct stage *a = &s->st1, *b = &s->st2;
    a->rl_cfg = cfg;
    a->rl_sh = sh;
    b->rl_cfg = cfg;
    b->rl_kept = b->rl_dropped = 0;
    s->cfg_old = s->cfg;
    s->cfg = cfg;
    /* Stage 2 first: stage 1 may send events of a rule the reload adds
     * only once this instance's stage 2 knows it (reload_finish posts
     * stage 1's part). Events of a rule it removes that are still in
     * flight cannot be counted by the new stage 2: they become
     * invalid_event dead letters (docs/operations.md). */
    s->rl_hold1 = true;
    atomic_store_explicit(&b->rl_posted, 1, memory_order_release);
}

/* Stage 1, between batches: swap in the tagger built by the main thread;
 * the duplicate set and stream time carry over. */
static bool reload_apply1(struct stage *st)
{
    struct nr_error err = {{0}};
    struct nr_stage1 **nw = nr_xcalloc(st->n_w, sizeof(*nw));
    for (unsigned k = 0; k < st->n_w; k++) {
        nw[k] = nr_stage1_new(st->rl_sh, &err);
        if (!nw[k]) { /* out of memory only */
            NR_ERROR("config", "reload: stage 1: %s", err.msg);
            for (unsigned j = 0; j < k; j++)
                nr_stage1_free(nw[j]);
            free(nw);
            st->s->fatal = 1;
            return false;
        }
    }
    for (unsigned k = 0; k < st->n_w; k++) { /* the pool is idle between polls */
        nr_stage1_free(st->w[k].s1);
        st->w[k].s1 = nw[k];
    }
    free(nw);
    nr_stage1_shared_take(st->rl_sh, st->sh);
    nr_stage1_shared_free(st->sh);
    st->cfg = st->rl_cfg;
    st->sh = st->rl_sh;
    st->rl_cfg = NULL;
    st->rl_sh = NULL;
    return true;
}

/* Stage 2, between batches: move every key whose rule still exists into a
 * new detector. Snapshots name rules and entities by id, so indices may
 * change. All new detectors are built before any is swapped in. */
static bool reload_apply2(struct stage *st)
{
    struct nr_config *cfg = st->rl_cfg;
    struct nr_error err = {{0}};
    struct nr_stage2 **nd = nr_xcalloc(st->n_p2 ? st->n_p2 : 1, sizeof(*nd));
    for (size_t i = 0; i < st->n_p2; i++) {
        if (!st->p2[i].active)
            continue;
        nd[i] = nr_stage2_new(cfg, &err);
        if (!nd[i]) {
            /* cannot happen: the main thread built one from the same cfg */
            NR_ERROR("config", "reload: stage 2: %s", err.msg);
            for (size_t j = 0; j < i; j++)
                nr_stage2_free(nd[j]);
            free(nd);
            st->s->fatal = 1; /* stop; the old config stays in use until then */
            return false;
        }
    }
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < st->n_p2; i++) {
        struct p2 *p = &st->p2[i];
        if (!p->active)
            continue;
        struct nr_detector *od = nr_stage2_detector(p->s2), *ndet = nr_stage2_detector(nd[i]);
        struct nr_wstore *old = nr_detector_store(od), *fresh = nr_detector_store(ndet);
        for (struct nr_wkey *k = nr_wstore_first(old); k; k = nr_wstore_next(old, k)) {
            uint8_t *buf = NULL;
            size_t len = 0;
            struct nr_wkey *nk;
            if (nr_window_key_snapshot(old, k, &buf, &len) == 0 &&
                nr_window_key_restore(fresh, buf, len, &nk, &err) == 0) {
                kept++;
            } else {
                if (dropped++ < 5)
                    NR_WARN("config", "reload: key %s of rule %s dropped: %s", k->key,
                            st->cfg->rules[k->rule].id, err.msg);
            }
            free(buf);
        }
        int64_t a, b;
        nr_detector_meta(od, &a, &b);
        nr_detector_set_meta(ndet, a, b);
        nr_stage2_free(p->s2);
        p->s2 = nd[i];
        /* the new detector's counters start at zero */
        memset(&p->last_stats, 0, sizeof(p->last_stats));
        /* every key may have changed identity: checkpoint them all */
        dirty_clear(&p->dirty);
        for (struct nr_wkey *k = nr_wstore_first(fresh); k; k = nr_wstore_next(fresh, k))
            dirty_add(&p->dirty, cfg->rules[k->rule].id, k->key);
    }
    free(nd);
    st->cfg = cfg;
    st->rl_cfg = NULL;
    st->rl_kept = kept;
    st->rl_dropped = dropped;
    return true;
}

/* On a stage thread, between batches. */
static bool reload_take(struct stage *st)
{
    if (!atomic_load_explicit(&st->rl_posted, memory_order_acquire))
        return false;
    if (st->id == 1 ? !reload_apply1(st) : !reload_apply2(st))
        return false; /* rl_posted stays set: the old config is never freed under us */
    atomic_store_explicit(&st->rl_posted, 0, memory_order_release);
    return true;
}

/* Main thread: once both stages swapped, nobody uses the old config. */
static void reload_finish(struct svc *s)
{
    if (!reload_pending(s))
        return;
    if (s->rl_hold1 && !atomic_load_explicit(&s->st2.rl_posted, memory_order_acquire)) {
        s->rl_hold1 = false;
        atomic_store_explicit(&s->st1.rl_posted, 1, memory_order_release);
    }
    if (s->rl_hold1 || atomic_load_explicit(&s->st1.rl_posted, memory_order_acquire) ||
        atomic_load_explicit(&s->st2.rl_posted, memory_order_acquire))
        return;
    nr_config_free(s->cfg_old);
    s->cfg_old = NULL;
    nr_counter_add(s->mt.reloads, 1);
    NR_INFO("config",
            "reloaded %s: %zu entities, %zu topics, %zu rules; %zu keys kept, %zu dropped", s->path,
            s->cfg->n_entities, s->cfg->n_topics, s->cfg->n_rules, s->st2.rl_kept,
            s->st2.rl_dropped);
}

/* ---- the stage threads ---------------------------------------------------------------- */

static size_t poll_batch(struct stage *st)
{
    rd_kafka_message_t *msgs[BATCH];
    ssize_t n = rd_kafka_consume_batch_queue(st->q, 0, msgs, BATCH);
    if (n <= 0)
        return 0;
    if (st->id == 1)
        stage1_batch(st, msgs, (size_t)n);
    for (ssize_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = msgs[i];
        if (st->id == 2) {
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    NR_WARN(MOD, "consume: %s", rd_kafka_message_errstr(m));
            } else {
                stage2(st, m);
            }
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_poll(st->prod, 0);
    return (size_t)n;
}

static void checkpoint_all(struct stage *st)
{
    for (size_t i = 0; i < st->n_p2; i++)
        if (st->p2[i].active)
            checkpoint(st, (int32_t)i);
}

static bool stopping(const struct svc *s)
{
    return s->stop || s->fatal;
}

static void *stage_main(void *arg)
{
    struct stage *st = arg;
    struct svc *s = st->s;
    /* visible in top -H / ps -L */
    prctl(PR_SET_NAME, st->id == 1 ? "nr-articles" : "nr-counts", 0, 0, 0);
    if (st->id == 1 && st->n_w > 1) {
        st->pool = nr_pool_new(st->n_w - 1, "nr-tag");
        if (!st->pool) {
            NR_ERROR(MOD, "cannot start %u tagging threads", st->n_w - 1);
            s->fatal = 1;
        } else {
            NR_INFO(MOD, "stage 1 decodes and tags on %u threads", st->n_w);
        }
    }
    double last_ckpt = nr_clock_mono_s(), last_metrics = 0, last_release = 0;
    double ckpt_every = (double)st->cfg->kafka.commit_interval_ms / 1000.0;
    bool rs_more = false; /* the last restore slice left records waiting */
    while (!stopping(s)) {
        if (reload_take(st))
            ckpt_every = (double)st->cfg->kafka.commit_interval_ms / 1000.0;
        size_t n = 0;
        if (st->id == 1) {
            n = poll_batch(st);
        } else {
            /* Each article makes a few count events: drain more of them
             * per round, as stage 1 batches are cheaper per message. */
            for (int k = 0; k < 8; k++) {
                size_t got = poll_batch(st);
                n += got;
                if (got < BATCH)
                    break;
            }
        }
        rd_kafka_poll(st->prod, 0);
        if (n == 0 && !rs_more) {
            /* Queues empty: sleep until a message, a changelog record or a
             * delivery report arrives; 20 ms bounds the housekeeping and
             * the stop check. */
            struct pollfd pfd = {.fd = st->wake[0], .events = POLLIN};
            char junk[64];
            (void)poll(&pfd, 1, 20);
            while (read(st->wake[0], junk, sizeof(junk)) > 0)
                ;
        }
        rs_more = st->id == 2 && st->n_restoring && restore_step(st);
        double now = nr_clock_mono_s();
        if (st->id == 1) { /* watermarks keep flowing when no article comes */
            s1_marks(st);
            s1_pace(st);
        } else if (now - last_release >= WM_MARK_S) {
            /* a source that fell silent stops holding events back */
            for (size_t i = 0; i < st->n_p2; i++)
                if (st->p2[i].active && !st->p2[i].restoring && st->p2[i].wmt.n)
                    p2_release(st, &st->p2[i], false);
            last_release = now;
        }
        if (st->id == 2 && now - last_ckpt >= ckpt_every) {
            checkpoint_all(st);
            last_ckpt = now;
        }
        store_offsets(st);
        /* rings retired by a revocation past the flush deadline: freed once
         * every delivery report that could point into them was served */
        if (nr_otrack_has_retired(&st->track) && rd_kafka_outq_len(st->prod) == 0)
            nr_otrack_free_retired(&st->track);
        if (st->id == 2 && now - last_metrics >= 1.0) {
            metrics_update2(st);
            last_metrics = now;
        }
    }
    /* Stop fetching, checkpoint, flush with a deadline, store, then close:
     * close commits what is stored (and runs the revocation on this thread). */
    if (st->id == 2)
        checkpoint_all(st);
    drain(st);
    store_offsets(st);
    if (st->q) { /* no queue reference may outlive its client */
        rd_kafka_queue_destroy(st->q);
        st->q = NULL;
    }
    if (st->c) {
        rd_kafka_consumer_close(st->c);
        rd_kafka_destroy(st->c);
        st->c = NULL;
    }
    nr_pool_free(st->pool);
    st->pool = NULL;
    st->exited = 1;
    return NULL;
}

/* ---- set-up and teardown --------------------------------------------------------------- */

static rd_kafka_t *make_producer(struct stage *st, const char *client, struct nr_error *err)
{
    /* Never give up on a message by default (message.timeout.ms 0 =
     * infinite): a broker outage only delays. Users may bound it. */
    const struct prop pdefs[] = {
        {"message.timeout.ms", "0"},
        {"queue.buffering.max.kbytes", "65536"}, /* bound memory during an outage */
        {"linger.ms", "5"},
        {"partitioner", "murmur2_random"}, /* the Java client's, for mixed clients */
    };
    const struct prop pforced[] = {{"enable.idempotence", "true"}};
    rd_kafka_conf_t *pc =
        make_conf(st, client, pdefs, NR_ARRAY_LEN(pdefs), pforced, NR_ARRAY_LEN(pforced), err);
    if (!pc)
        return NULL;
    rd_kafka_conf_set_dr_msg_cb(pc, dr_cb);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(pc);
        nr_error_set(err, "producer: %s", errstr);
    }
    return rk;
}

/* The stage's consumer queue and producer queue both write to its pipe. */
static int wake_setup(struct stage *st, struct nr_error *err)
{
    st->q = rd_kafka_queue_get_consumer(st->c);
    st->qp = rd_kafka_queue_get_main(st->prod);
    if (pipe(st->wake) != 0) {
        st->wake[0] = st->wake[1] = -1;
        nr_error_set(err, "pipe: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < 2; i++)
        fcntl(st->wake[i], F_SETFL, fcntl(st->wake[i], F_GETFL) | O_NONBLOCK);
    rd_kafka_queue_io_event_enable(st->q, st->wake[1], "c", 1);
    rd_kafka_queue_io_event_enable(st->qp, st->wake[1], "p", 1);
    if (st->restore) {
        st->qr = rd_kafka_queue_get_consumer(st->restore);
        rd_kafka_queue_io_event_enable(st->qr, st->wake[1], "r", 1);
    }
    return 0;
}

/* Create (kafka.create_topics) and check the topics, retrying while the
 * brokers cannot be reached or a topic is missing: the process stays up
 * (/healthz 200, /readyz 503 with the reason) instead of exiting into a
 * restart loop. Returns the repartition partition count, or -1 on a
 * configuration error or a stop request (nr_svc_stop_requested). */
static int wait_for_topics(struct svc *s, struct nr_error *err)
{
    rd_kafka_t *rk = s->st1.prod;
    for (unsigned attempt = 0;; attempt++) {
        rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
        int n = -1;
        if (s->cfg->kafka.create_topics && create_topics(rk, s->cfg, err) != 0)
            code = RD_KAFKA_RESP_ERR__TIMED_OUT;
        else
            n = check_topics(rk, s->cfg, &code, err);
        if (n >= 0 || code == RD_KAFKA_RESP_ERR_NO_ERROR) {
            s->kafka_err = 0;
            s->topics_ok = n >= 0;
            return n;
        }
        s->kafka_err = (int)code;
        double delay = attempt < 3 ? (double)(1u << attempt) : 10.0; /* 1, 2, 4, 10, 10 ... */
        NR_WARN(MOD, "not ready: %s (attempt %u; retrying in %.0f s)", err->msg, attempt + 1,
                delay);
        for (double until = nr_clock_mono_s() + delay; nr_clock_mono_s() < until;) {
            if (nr_svc_stop_requested) {
                nr_error_set(err, "stop requested before the topics could be checked");
                return -1;
            }
            (void)poll(NULL, 0, 50);
        }
    }
}

static int setup(struct svc *s, struct nr_error *err)
{
    struct stage *a = &s->st1, *b = &s->st2;
    a->sh = nr_stage1_shared_new(a->cfg, err);
    if (!a->sh)
        return -1;
    unsigned nw = s->cfg->kafka.tag_threads;
    if (nw == 0) {
        nw = nr_cpus_usable();
        nw = nw > 64 ? 64 : nw;
    }
    a->n_w = nw;
    a->w = nr_xcalloc(nw, sizeof(*a->w));
    for (unsigned k = 0; k < nw; k++) {
        a->w[k].s1 = nr_stage1_new(a->sh, err);
        if (!a->w[k].s1)
            return -1;
    }
    a->items = nr_xcalloc(BATCH, sizeof(*a->items));

    a->prod = make_producer(a, "newsradar-producer", err);
    if (!a->prod)
        return -1;
    b->prod = make_producer(b, "newsradar-producer-counts", err);
    if (!b->prod)
        return -1;
    int n_rp = wait_for_topics(s, err);
    if (n_rp <= 0) {
        if (n_rp == 0)
            nr_error_set(err, "kafka.repartition_topic %s has no partitions",
                         s->cfg->kafka.repartition_topic);
        return -1;
    }
    a->n_evb = n_rp;
    a->evb = nr_xcalloc((size_t)n_rp, sizeof(*a->evb));
    a->evb_tk = nr_xcalloc((size_t)n_rp, sizeof(*a->evb_tk));
    a->evb_sum = nr_xcalloc((size_t)n_rp, sizeof(*a->evb_sum));
    /* Stage 2 waits for the watermark of every input partition; one whose
     * topic cannot be described now is waited for once heard of. */
    const struct nr_kafka_opts *ko = &s->cfg->kafka;
    b->in_topic = nr_xcalloc(ko->input_topics.n ? ko->input_topics.n : 1, sizeof(*b->in_topic));
    b->in_parts = nr_xcalloc(ko->input_topics.n ? ko->input_topics.n : 1, sizeof(*b->in_parts));
    for (size_t i = 0; i < ko->input_topics.n; i++) {
        struct nr_error terr = {{0}};
        rd_kafka_resp_err_t code;
        int np = topic_partitions(a->prod, ko->input_topics.v[i], &code, &terr);
        if (np < 0) {
            NR_WARN(MOD, "%s; its partitions are waited for once stage 1 reports them", terr.msg);
            continue;
        }
        b->in_topic[b->n_in] = nr_xstrndup(ko->input_topics.v[i], strlen(ko->input_topics.v[i]));
        b->in_parts[b->n_in++] = np;
    }

    /* The restore consumer reads the changelog by assignment (no group). */
    const struct prop rforced[] = {
        {"group.id", "newsradar-restore-unused"},
        {"enable.auto.commit", "false"},
        {"auto.offset.reset", "earliest"},
        {"enable.partition.eof", "false"},
    };
    rd_kafka_conf_t *rc =
        make_conf(b, "newsradar-restore", NULL, 0, rforced, NR_ARRAY_LEN(rforced), err);
    if (!rc)
        return -1;
    char errstr[512];
    b->restore = rd_kafka_new(RD_KAFKA_CONSUMER, rc, errstr, sizeof(errstr));
    if (!b->restore) {
        rd_kafka_conf_destroy(rc);
        nr_error_set(err, "restore consumer: %s", errstr);
        return -1;
    }
    rd_kafka_poll_set_consumer(b->restore);

    char group2[512];
    snprintf(group2, sizeof(group2), "%s.counts", s->cfg->kafka.group_id);
    a->c = make_consumer(a, s->cfg->kafka.group_id, "newsradar-articles", err);
    if (!a->c)
        return -1;
    b->c = make_consumer(b, group2, "newsradar-counts", err);
    if (!b->c)
        return -1;
    if (subscribe(a->c, s->cfg->kafka.input_topics.v, s->cfg->kafka.input_topics.n, err) ||
        subscribe(b->c, &s->cfg->kafka.repartition_topic, 1, err))
        return -1;
    if (wake_setup(a, err) || wake_setup(b, err))
        return -1;
    return 0;
}

/* After the stage's thread ended (or never started). */
static void stage_teardown(struct stage *st)
{
    if (st->qr)
        rd_kafka_queue_destroy(st->qr);
    if (st->qp)
        rd_kafka_queue_destroy(st->qp);
    if (st->q)
        rd_kafka_queue_destroy(st->q);
    if (st->c) {
        rd_kafka_consumer_close(st->c);
        rd_kafka_destroy(st->c);
    }
    if (st->restore) {
        rd_kafka_consumer_close(st->restore);
        rd_kafka_destroy(st->restore);
    }
    if (st->prod) {
        drain(st);
        /* What is still undelivered now never will be (its input is not
         * committed, so it is produced again after the restart): fail it,
         * so that its delivery report frees what it carries. */
        int left = rd_kafka_outq_len(st->prod);
        if (left > 0) {
            NR_WARN(MOD, "exit: %d messages undelivered; their input is read again at restart",
                    left);
            rd_kafka_purge(st->prod, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            for (int i = 0; i < 100 && rd_kafka_outq_len(st->prod) > 0; i++)
                rd_kafka_poll(st->prod, 10);
        }
        rd_kafka_destroy(st->prod);
    }
    for (size_t i = 0; i < st->n_p2; i++) {
        if (st->p2[i].active)
            nr_stage2_free(st->p2[i].s2);
        dirty_free(&st->p2[i].dirty);
        nr_evq_free(&st->p2[i].held);
        nr_wm_table_free(&st->p2[i].wmt);
    }
    free(st->p2);
    for (size_t i = 0; i < st->n_in; i++)
        free(st->in_topic[i]);
    free(st->in_topic);
    free(st->in_parts);
    for (size_t i = 0; i < st->n_src; i++)
        free(st->src[i].topic);
    free(st->src);
    free(st->wm_want);
    free(st->evb_sum);
    free(st->wmbuf);
    for (int32_t i = 0; i < st->n_evb; i++) {
        nr_event_batch_free(&st->evb[i]);
        if (st->evb_tk[i]) { /* never sent (not reached: every poll sends its batches) */
            free(st->evb_tk[i]->e);
            free(st->evb_tk[i]);
        }
    }
    free(st->evb);
    free(st->evb_tk);
    nr_otrack_destroy(&st->track);
    for (unsigned k = 0; k < st->n_w; k++) {
        nr_stage1_free(st->w[k].s1);
        nr_event_batch_free(&st->w[k].rec);
        free(st->w[k].ev);
        free(st->w[k].rj);
        free(st->w[k].rj_text);
    }
    free(st->w);
    free(st->items);
    nr_stage1_shared_free(st->sh);
    /* a reload posted but never taken (stopped first) */
    nr_stage1_shared_free(st->rl_sh);
    for (int i = 0; i < 2; i++)
        if (st->wake[i] >= 0)
            close(st->wake[i]);
}

static void stage_init(struct stage *st, struct svc *s, int id)
{
    st->s = s;
    st->id = id;
    st->cfg = s->cfg;
    st->wake[0] = st->wake[1] = -1;
    nr_otrack_init(&st->track, TRACK_CAP);
}

/* Stage threads leave the signals to the main thread, whose loop reacts. */
static int stage_start(struct stage *st, struct nr_error *err)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int e = pthread_create(&st->th, NULL, stage_main, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        nr_error_set(err, "pthread_create: %s", strerror(e));
        return -1;
    }
    st->started = true;
    return 0;
}

int nr_svc_run(const char *config_path, struct nr_config *cfg)
{
    struct svc s;
    memset(&s, 0, sizeof(s));
    s.path = config_path;
    s.cfg = cfg;
    stage_init(&s.st1, &s, 1);
    stage_init(&s.st2, &s, 2);
    metrics_init(&s);
    struct nr_error err = {{0}};
    struct nr_http *http = NULL;
    int rc = 1;

    /* HTTP first: live (and not ready) while the brokers are still out of reach. */
    if (s.cfg->http.port) {
        http = nr_http_start(s.cfg->http.listen, s.cfg->http.port, s.mt.reg, ready_cb, &s, &err);
        if (!http) {
            NR_ERROR("http", "%s", err.msg);
            goto out;
        }
        NR_INFO("http", "serving /metrics, /healthz, /readyz on %s:%u", s.cfg->http.listen,
                s.cfg->http.port);
    }
    if (setup(&s, &err) != 0) {
        if (nr_svc_stop_requested) { /* SIGTERM while waiting for Kafka: a clean stop */
            NR_INFO(MOD, "%s", err.msg);
            rc = 0;
        } else {
            NR_ERROR(MOD, "%s", err.msg);
        }
        goto out;
    }
    NR_INFO(MOD, "running: brokers=%s group=%s input=%s alerts=%s", s.cfg->kafka.brokers,
            s.cfg->kafka.group_id, s.cfg->kafka.input_topics.v[0], s.cfg->kafka.alert_topic);
    if (stage_start(&s.st1, &err) != 0 || stage_start(&s.st2, &err) != 0) {
        NR_ERROR(MOD, "%s", err.msg);
        s.fatal = 1;
    }

    /* The main thread: signals, reload hand-off, process metrics. */
    double last_metrics = 0;
    while (!nr_svc_stop_requested && !s.fatal) {
        if (nr_svc_reload_requested && !reload_pending(&s)) {
            nr_svc_reload_requested = 0;
            reload_begin(&s);
        }
        reload_finish(&s);
        double now = nr_clock_mono_s();
        if (now - last_metrics >= 1.0) {
            metrics_update_main(&s);
            last_metrics = now;
        }
        (void)poll(NULL, 0, 20);
    }
    rc = s.fatal ? 1 : 0;
    NR_INFO(MOD, "%s: draining", s.fatal ? "fatal error" : "stop requested");
    s.stop = 1;
    /* One deadline for the whole shutdown: both stages flush (each up to
     * flush_timeout, once before close and once in the revocation close
     * runs) and close their consumers, which librdkafka 2.0.2 can fail to
     * finish under cooperative rebalancing. Past the deadline, exit without
     * waiting: only delivered work was ever committed, so nothing is lost,
     * the rest is read again after the restart. */
    double deadline =
        nr_clock_mono_s() + 2.0 * (double)s.cfg->kafka.flush_timeout_ms / 1000.0 + 20.0;
    while ((s.st1.started && !s.st1.exited) || (s.st2.started && !s.st2.exited)) {
        if (nr_clock_mono_s() > deadline) {
            NR_ERROR(MOD, "shutdown did not finish in time: exiting without closing the "
                          "consumers (uncommitted input is read again after the restart)");
            _exit(1);
        }
        (void)poll(NULL, 0, 50);
    }
    for (struct stage *st = &s.st1; st <= &s.st2; st++)
        if (st->started)
            pthread_join(st->th, NULL);
out:
    nr_http_stop(http);
    stage_teardown(&s.st1);
    stage_teardown(&s.st2);
    nr_metrics_free(s.mt.reg);
    nr_config_free(s.cfg_old);
    nr_config_free(s.cfg);
    NR_INFO(MOD, "stopped");
    return rc;
}
