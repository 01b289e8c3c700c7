/*
 * svc_int.h - private to the Kafka service: the state its rooms share and
 * how they call each other.
 *
 * The rooms: svc_kafka.c (start-up, the stage threads, teardown),
 * svc_client.c (librdkafka configuration, consumers, topics), svc_produce.c
 * (producing, delivery reports, dead letters), svc_stage1.c (articles ->
 * count events, on the tagging workers and in input order, watermarks),
 * svc_stage2.c (count events -> alerts, checkpoints), svc_restore.c (window
 * state from the changelog), svc_rebalance.c (offsets, assignment and
 * revocation), svc_metrics.c (Prometheus metrics, readiness), svc_reload.c
 * (SIGHUP), svc_txn.c (kafka.guarantee: exactly_once, transactions). The pipeline itself (decode,
 * tag, count, detect) is the engine library's (engine.h): these files add Kafka I/O around it.
 *
 * Threads: everything in struct stage is touched only by its stage's
 * thread after start-up (callbacks included: they are served when that
 * thread polls its own queues); struct svc holds what the main thread and
 * the stages share, as atomics.
 *
 * struct stage is a common base, the part of its own kind (art: stage 1,
 * cnt: stage 2) and its ops (struct stage_ops, defined in svc_stage1.c and
 * svc_stage2.c): the stage thread, the rebalance callback, the reload and
 * the transactions call the ops and never ask which stage they run for.
 */
#ifndef NEWSRADAR_SVC_INT_H
#define NEWSRADAR_SVC_INT_H

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
#include "newsradar/srcpos.h"
#include "newsradar/watermark.h"
#include "newsradar/window.h"

#define MOD             "kafka"
#define BATCH           256
#define TRACK_CAP       65536 /* in-flight input messages per partition */
#define META_KEY        "\x1fmeta"
#define HELD_KEY        "\x1fheld."
#define HELDN_KEY       "\x1fheldn"
#define SEEN_KEY        "\x1fseen"
#define DLQ_MAX_PAYLOAD (512 * 1024) /* bytes of a dead letter's payload kept */
/* Event-time synchronisation (watermark.h). WM_HEADER carries the
 * watermarks of the sources (input partitions) stage 1 owns. */
#define WM_HEADER   "newsradar.wm"
#define WM_LEAD_MS  (15 * 60 * 1000)   /* a source may run this far ahead of the slowest */
#define WM_MARK_S   0.1                /* watermark-only messages at most this often */
#define WM_BEAT_S   5.0                /* and this often when nothing changed */
#define WM_SILENT_S 30.0               /* stage 2 ignores a source not heard of this long */
#define WM_HOLD_MAX ((size_t)64 << 20) /* bytes of events held per partition, then forced */

/* A set of dirty window keys ("rule_id\x1fkey"), deduplicated, to checkpoint. */
struct dirty {
    char **v;
    size_t n, cap;
    uint32_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t n_slots;
};

/* Stage-2 state of one repartition partition. */
struct p2 {
    bool active;
    struct nr_stage2 *s2; /* this partition's windows and detector */
    struct nr_opart *op;
    struct dirty dirty;
    int64_t last_offset; /* last processed, -1 none */
    bool redo_all;       /* a checkpoint record failed: write every key next time */
    /* what the last checkpoint covered: an unchanged partition writes none */
    bool ck_valid;
    int64_t ck_offset, ck_stream_ms, ck_first_ms;
    size_t ck_held;
    struct nr_detect_stats last_stats; /* for metric deltas */
    /* restore from the changelog (restore_step): the partition stays paused
     * in the counts consumer until its changelog is read up to rs_hi */
    bool restoring, rs_started, rs_seek;
    bool rs_assigned;       /* in the restore consumer's assignment (kept by p2_drop) */
    int64_t rs_hi, rs_last; /* end offset at the start; last record read */
    size_t rs_n, rs_bad;    /* keys restored, records unusable */
    double rs_t0, rs_retry_at, rs_progress_at;
    /* exactly_once: the held count events checkpointed with the state,
     * read back as chunks (key HELD_KEY "<i>") of which the first
     * rs_held_n (key HELDN_KEY) are current */
    uint8_t **rs_held;
    size_t *rs_held_len, rs_held_cap;
    long rs_held_n;
    /* event-time synchronisation: the sources' watermarks and the count
     * events held until the minimum passes them */
    struct nr_wm_table wmt;
    struct nr_evq held;
    /* the highest input offset per source whose events reached this
     * partition (srcpos.h): a record at or below it is a repeat */
    struct nr_srcpos_table seen;
    /* at_least_once: the `seen` record of the last checkpoint whose records
     * were all delivered (written again after one that failed) */
    uint8_t *seen_ok;
    size_t seen_ok_len;
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
    uint8_t *seen; /* at_least_once: its `seen` record, p2.seen_ok once all are delivered */
    size_t seen_len;
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
/* An authentication or TLS failure stops the service only when it persists:
 * at least SEC_FATAL_COUNT of them (from any client) over at least
 * SEC_FATAL_SPAN_S seconds with no successful connection in between (a
 * passed topic check, or a broker UP in a client's statistics). librdkafka
 * reports an identical error of one broker at most every 30 s, so a wrong
 * password stops the service after about 30 s. docs/deployment.md. */
#define SEC_FATAL_COUNT  3
#define SEC_FATAL_SPAN_S 30
/* Languages with a series of their own in newsradar_articles_total: CLD2
 * names about 80, a feed a few; the cap bounds the metric's cardinality
 * whatever a declared `language` field holds. */
#define SVC_LANG_SERIES 64

struct metrics {
    struct nr_metrics *reg;
    _Atomic uint64_t *in, *bytes, *tagged, *dlq, *events, *late, *late_dropped, *dups, *deliv_fail,
        *reloads, *reload_fail, *ckpt_records, *restored, *future, *utf8_repairs, *boilerplate,
        *wm_forced, *wm_silent, *repeats, *wm_paused, *rewinds;
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
    /* its new articles per language (lang.h tag, "" unknown), for
     * newsradar_articles_total{language}; freed by s1_finish */
    struct s1_lang {
        char tag[NR_LANG_TAG_MAX];
        uint32_t n;
    } * langs;
    uint32_t n_langs, cap_langs;
    /* an article of it has no usable published_at: the workers leave it
     * (nr_stage1_out.defer) and the stage thread feeds it again in input
     * order with fallback_ms, its partition's stream time at that point */
    bool deferred;
    int64_t fallback_ms;
};

/* Stage 1: one input partition it owns, as a source of watermarks. */
/* The position stage 1 gave a repartition partition's last record. */
struct s1_at {
    uint64_t src;
    int64_t offset;
    uint32_t n; /* records of that input message sent to the partition so far */
};

struct s1_src {
    char *topic;
    int32_t partition;
    int64_t next;    /* offset after the last message read, -1 unknown */
    int64_t eof;     /* offset of its last end-of-partition event, -1 none */
    int64_t time_ms; /* its stream time: the latest event time read, in order */
    struct nr_wm_src wm;
};

/* What differs between the two stages. The stage thread, the rebalance
 * callback and the reload call these instead of asking which stage they
 * run for; NULL entries do nothing. */
struct stage;
struct stage_ops {
    int num;            /* 1, 2: transactional.id suffix, logs */
    const char *name;   /* "articles", "counts": logs */
    const char *thread; /* thread name, visible in top -H */
    int rounds;         /* poll batches drained per loop round, at most */
    /* on the stage thread, before its loop */
    void (*begin)(struct stage *st);
    /* one poll's messages (consume errors included), in order */
    void (*batch)(struct stage *st, rd_kafka_message_t **msgs, size_t n);
    /* housekeeping once per loop round; true: work is left (poll again at once) */
    bool (*tick)(struct stage *st);
    /* at shutdown, before the drain */
    void (*end)(struct stage *st);
    /* partitions assigned (offset entries reset), before librdkafka's assign */
    void (*assign)(struct stage *st, rd_kafka_topic_partition_list_t *parts);
    /* after librdkafka's assign succeeded */
    void (*assigned)(struct stage *st, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts);
    /* partitions revoked: before the drain and commit (at least once;
     * exactly_once commits its transaction instead), and after them */
    void (*revoking)(struct stage *st, rd_kafka_topic_partition_list_t *parts);
    void (*revoked)(struct stage *st, rd_kafka_topic_partition_list_t *parts);
    /* take the posted configuration (svc_reload_take); false: not yet */
    bool (*reload)(struct stage *st);
    /* exactly_once: the input offsets its transaction commits (svc_txn_commit) */
    void (*txn_offsets)(struct stage *st, rd_kafka_topic_partition_list_t *l);
    /* exactly_once rewind (svc_rewind), before its partitions are dropped
     * and taken again: forget what the stage holds beyond them, undo what
     * a fresh assignment would not expect (a pause) */
    void (*rewind)(struct stage *st);
};
extern const struct stage_ops svc_stage1_ops, svc_stage2_ops;

/* Stage 1's own part: articles -> count events. */
struct stage_art {
    /* the tagger and duplicate set the workers share; worker 0 is the stage
     * thread, the others are the pool's helpers */
    struct nr_stage1_shared *sh;
    struct nr_stage1_shared *rl_sh; /* a reload's new one, until taken */
    struct s1_worker *w;
    unsigned n_w;
    struct nr_pool *pool;
    struct s1_item *items;      /* one poll's articles, BATCH of them */
    struct nr_event_batch *evb; /* one open batch per repartition partition */
    int32_t n_evb;
    struct ticket **evb_tk;         /* the inputs of each open batch, NULL while empty */
    struct nr_srcpos_runs *evb_pos; /* per open batch: its records' positions (srcpos.h) */
    struct s1_at *evb_at;           /* per partition: the input message it got records of last */
    struct s1_src *src;             /* the input partitions owned */
    size_t n_src, cap_src;
    bool *wm_want;     /* nr_wm_pace's advice, one per source */
    uint64_t *evb_sum; /* per partition: checksum of the marks it was sent last */
    double last_mark;
    uint64_t last_mark_sum; /* of the header last sent by s1_marks */
    uint8_t *wmbuf;
    size_t wmcap, wmlen;
    /* newsradar_articles_total{language} series met so far (a language
     * past SVC_LANG_SERIES counts as "other") */
    struct {
        char tag[NR_LANG_TAG_MAX];
        _Atomic uint64_t *c;
    } lang_series[SVC_LANG_SERIES];
    size_t n_lang_series;
    _Atomic uint64_t *lang_other;
};

/* Stage 2's own part: count events -> alerts, window state. */
struct stage_cnt {
    rd_kafka_t *restore;  /* the changelog consumer */
    rd_kafka_queue_t *qr; /* its queue (wakes the thread too) */
    struct p2 *p2;
    size_t n_p2;
    size_t n_restoring; /* active partitions still restoring */
    char **in_topic;    /* the input topics and their partition counts: the sources */
    int *in_parts;
    size_t n_in;
    double last_ckpt, last_metrics, last_release; /* housekeeping (s2_tick) */
    size_t rl_kept, rl_dropped;                   /* the last reload's report */
    struct nr_oentry rs_dummy; /* the entry of held events read back from the changelog */
    struct p2 *cur_p2;         /* callback context */
    const rd_kafka_message_t *cur_msg;
    struct nr_srcpos_runs cur_pos; /* cur_msg's source positions, if it has them */
    bool cur_has_pos;
    size_t cur_run; /* the run of cur_pos the next record is in, and its place there */
    uint32_t cur_in_run;
};

/* One stage and everything only its thread touches (after start-up): a
 * common base, the part of its own kind (art for stage 1, cnt for stage
 * 2: the other stays zero) and its ops. */
struct stage {
    struct svc *s;
    const struct stage_ops *ops;
    struct nr_config *cfg; /* this stage's view: swapped on reload */
    _Atomic uint64_t *lag; /* its consumer lag gauge */
    _Atomic int joined;    /* a rebalance handed this consumer its share */

    rd_kafka_t *prod, *c;
    rd_kafka_queue_t *q, *qp;
    int wake[2]; /* pipe librdkafka writes to when q or qp gets an element */
    struct nr_otrack track;
    pthread_t th;
    bool started;
    _Atomic int exited; /* stage_main returned: safe to join */

    /* reload hand-off: the main thread fills rl_* and sets rl_posted; the
     * stage takes them at a safe point and clears rl_posted (release). */
    _Atomic int rl_posted;
    struct nr_config *rl_cfg;

    /* exactly_once (svc_txn.c) */
    bool c_abandoned; /* consumer left undestroyed at exit (svc_kafka.c) */
    bool txn_open;
    rd_kafka_topic_partition_list_t *txn_last; /* the offsets last committed */
    bool rewind; /* a transaction was aborted: svc_rewind before going on */
    double txn_t0;

    struct nr_oentry *cur_entry; /* the input message being processed (callbacks) */

    struct stage_art art;
    struct stage_cnt cnt;
};

struct svc {
    const char *path;
    struct nr_config *cfg;     /* the newest accepted configuration */
    struct nr_config *cfg_old; /* the one before, until both stages swapped */
    bool rl_hold1;             /* stage 1 gets the new config once stage 2 has it */
    struct metrics mt;
    _Atomic int fatal, stop;
    _Atomic int n_assigned1;
    /* Start-up waits, live and not ready, until the topics can be checked:
     * kafka_err is the last error of that check (0 once it passed). */
    _Atomic int topics_ok, kafka_err;
    /* The authentication or TLS failure that stopped the service (logged
     * once, then fatal); the current streak of such failures (count, and
     * when the first came, nr_clock_mono_s); ever_ready once the topics
     * passed their check: a TLS handshake cut short by end of file (a
     * broker restarting) is never fatal after that. */
    _Atomic int sec_err, sec_n, ever_ready;
    _Atomic double sec_first;
    struct stage st1, st2;
};

struct prop {
    const char *k, *v;
};

/* svc_client.c */
int svc_check_topics(rd_kafka_t *rk, const struct nr_config *cfg, rd_kafka_resp_err_t *code,
                     struct nr_error *err);
int svc_create_topics(rd_kafka_t *rk, const struct nr_config *cfg, struct nr_error *err);
rd_kafka_conf_t *svc_make_conf(struct stage *st, const char *client_id, const struct prop *defs,
                               size_t n_defs, const struct prop *forced, size_t n_forced,
                               struct nr_error *err);
rd_kafka_t *svc_make_consumer(struct stage *st, const char *group, const char *client,
                              struct nr_error *err);
int svc_subscribe(rd_kafka_t *rk, char **topics, size_t n, struct nr_error *err);
int svc_topic_partitions(rd_kafka_t *rk, const char *name, rd_kafka_resp_err_t *code,
                         struct nr_error *err);

/* svc_produce.c */
void svc_dead_letter(struct stage *st, const rd_kafka_message_t *m, const char *reason,
                     const char *msg);
void svc_dead_letter_part(struct stage *st, const rd_kafka_message_t *m, const void *payload,
                          size_t len, long index, const char *reason, const char *msg);
void svc_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
int svc_produce(struct stage *st, const char *topic, int32_t partition, const void *key,
                size_t klen, const void *val, size_t vlen, rd_kafka_headers_t *hdrs, void *opaque);
void svc_produce_for_entry(struct stage *st, const char *topic, int32_t partition, const void *key,
                           size_t klen, const void *val, size_t vlen, rd_kafka_headers_t *hdrs);
void svc_ticket_release(struct ticket *t, bool ok);

/* svc_stage1.c */
void svc_s1_marks(struct stage *st);
void svc_s1_pace(struct stage *st);
void svc_s1_src_drop(struct stage *st, const char *topic, int32_t part);
struct s1_src *svc_s1_src_find(struct stage *st, const char *topic, int32_t part, bool create);
void svc_stage1_batch(struct stage *st, rd_kafka_message_t **msgs, size_t n);
bool svc_s1_reload(struct stage *st);

/* svc_stage2.c */
void svc_checkpoint(struct stage *st, int32_t part);
/* all of a checkpoint's records delivered or failed */
void svc_ckpt_done(struct stage *st, struct ckpt *c);
void svc_dirty_add(struct dirty *d, const char *rule_id, const char *key);
void svc_dirty_clear(struct dirty *d);
void svc_dirty_free(struct dirty *d);
struct p2 *svc_p2_get(struct stage *st, int32_t partition, bool create);
void svc_p2_release(struct stage *st, struct p2 *p, bool force);
void svc_stage2(struct stage *st, const rd_kafka_message_t *m);
void svc_checkpoint_all(struct stage *st);
bool svc_s2_reload(struct stage *st);

/* svc_restore.c */
void svc_restore_assign(struct stage *st);
bool svc_restore_step(struct stage *st);
/* Free the held-event chunks read back (rs_held) and forget them. */
void svc_held_chunks_free(struct p2 *p);

/* svc_rebalance.c */
void svc_drain(struct stage *st);
void svc_rewind(struct stage *st);
void svc_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque);
void svc_store_offsets(struct stage *st);
struct nr_oentry *svc_track_begin(struct stage *st, const rd_kafka_message_t *m, bool hold);

/* svc_metrics.c */
void svc_metrics_init(struct svc *s);
void svc_metrics_update2(struct stage *st);
void svc_metrics_update_main(struct svc *s);
bool svc_ready_cb(void *ud, char *why, size_t len);

/* svc_reload.c */
void svc_reload_begin(struct svc *s);
void svc_reload_finish(struct svc *s);
bool svc_reload_pending(struct svc *s);
bool svc_reload_take(struct stage *st);

/* svc_txn.c */
bool svc_eos(const struct nr_config *cfg);
void svc_txn_id(const struct nr_config *cfg, int stage, char *buf, size_t len);
int svc_txn_init(struct stage *st);
void svc_txn_begin(struct stage *st);
int svc_txn_commit(struct stage *st);
void svc_txn_close(struct stage *st);

/* svc_kafka.c */
bool svc_stopping(const struct svc *s);

#endif
