/*
 * svc_kafka.c - `newsradar run`: the engine between Kafka topics; this room
 * starts the clients and the two stage threads, runs their loops and tears
 * them down (the other rooms: svc_int.h).
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
 * kafka.guarantee: exactly_once replaces the offset commits below with
 * transactions (svc_txn.c): each stage commits what it produced together
 * with the input offsets that caused it.
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
#include "svc_int.h"

volatile sig_atomic_t nr_svc_stop_requested;
volatile sig_atomic_t nr_svc_reload_requested;

/* ---- the stage threads ---------------------------------------------------------------- */

static size_t poll_batch(struct stage *st)
{
    rd_kafka_message_t *msgs[BATCH];
    ssize_t n = rd_kafka_consume_batch_queue(st->q, 0, msgs, BATCH);
    if (n <= 0)
        return 0;
    if (!st->rewind) /* else read again after svc_rewind's seek */
        st->ops->batch(st, msgs, (size_t)n);
    for (ssize_t i = 0; i < n; i++)
        rd_kafka_message_destroy(msgs[i]);
    rd_kafka_poll(st->prod, 0);
    return (size_t)n;
}

bool svc_stopping(const struct svc *s)
{
    return s->stop || s->fatal;
}

/* librdkafka 2.0.2 aborts in rd_kafka_destroy of a cooperative-sticky
 * consumer that joined its group but never received an assignment
 * (rd_kafka_sticky_assignor_state_destroy: Assertion 'assignor_state'
 * failed; the state is created by the first SyncGroup response; upstream
 * issue 4312, fixed in 2.3.0). After a restart the group first waits for
 * the old, dead member (session.timeout.ms), so a SIGTERM soon after the
 * start fell in that window. Before closing, wait a bounded time for the
 * first assignment (serving the rebalance, dropping unprocessed messages:
 * nothing of theirs is committed); if it never comes, the consumer is left
 * open and not destroyed (it owns nothing, so nothing is lost; the group
 * drops it after session.timeout.ms). Returns false in that case. */
#define FIRST_ASSIGN_WAIT_S 15.0
static bool first_assignment_wait(struct stage *st)
{
    _Atomic int *joined = &st->joined;
    if (*joined)
        return true;
    NR_INFO(MOD, "%s: stopping before the first assignment; waiting up to %.0f s for it",
            st->ops->name, FIRST_ASSIGN_WAIT_S);
    for (double until = nr_clock_mono_s() + FIRST_ASSIGN_WAIT_S;
         !*joined && nr_clock_mono_s() < until;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(st->c, 100);
        if (m)
            rd_kafka_message_destroy(m);
        rd_kafka_poll(st->prod, 0);
    }
    if (*joined)
        return true;
    NR_WARN(MOD,
            "%s: no assignment came; leaving the group without closing its consumer "
            "(librdkafka 2.0.2 would abort, upstream issue 4312)",
            st->ops->name);
    return false;
}

static void *stage_main(void *arg)
{
    struct stage *st = arg;
    struct svc *s = st->s;
    /* visible in top -H / ps -L */
    prctl(PR_SET_NAME, st->ops->thread, 0, 0, 0);
    if (st->ops->begin)
        st->ops->begin(st);
    double last_commit = nr_clock_mono_s();
    bool more = false; /* the last tick left work waiting (a restore slice) */
    bool eos = svc_eos(st->cfg);
    while (!svc_stopping(s)) {
        if (st->rewind)
            svc_rewind(st);
        (void)svc_reload_take(st);
        size_t n = 0;
        for (int k = 0; k < st->ops->rounds; k++) {
            size_t got = poll_batch(st);
            n += got;
            if (got < BATCH || st->rewind)
                break;
        }
        if (st->rewind)
            continue; /* at once, before anything else is produced */
        rd_kafka_poll(st->prod, 0);
        if (n == 0 && !more) {
            /* Queues empty: sleep until a message, a changelog record or a
             * delivery report arrives; 20 ms bounds the housekeeping and
             * the stop check. */
            struct pollfd pfd = {.fd = st->wake[0], .events = POLLIN};
            char junk[64];
            (void)poll(&pfd, 1, 20);
            while (read(st->wake[0], junk, sizeof(junk)) > 0)
                ;
        }
        more = st->ops->tick(st);
        double now = nr_clock_mono_s();
        if (eos && now - last_commit >= (double)st->cfg->kafka.commit_interval_ms / 1000.0) {
            (void)svc_txn_commit(st); /* stage 2: checkpoints every partition first */
            last_commit = now;
        }
        svc_store_offsets(st);
        /* rings retired by a revocation past the flush deadline: freed once
         * every delivery report that could point into them was served */
        if (nr_otrack_has_retired(&st->track) && rd_kafka_outq_len(st->prod) == 0)
            nr_otrack_free_retired(&st->track);
    }
    /* Stop fetching, commit the transaction (exactly_once) or checkpoint
     * (stage 2), flush with a deadline, store, then close: close commits
     * what is stored (and runs the revocation on this thread). */
    if (eos)
        svc_txn_close(st);
    else if (st->ops->end)
        st->ops->end(st);
    svc_drain(st);
    svc_store_offsets(st);
    if (st->q) { /* no queue reference may outlive its client */
        rd_kafka_queue_destroy(st->q);
        st->q = NULL;
    }
    if (st->c && !first_assignment_wait(st)) {
        st->c_abandoned = true;
        st->c = NULL; /* deliberately not destroyed (first_assignment_wait) */
    }
    if (st->c) {
        rd_kafka_consumer_close(st->c);
        rd_kafka_destroy(st->c);
        st->c = NULL;
    }
    nr_pool_free(st->art.pool);
    st->art.pool = NULL;
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
    /* exactly_once: a transaction must end within transaction.timeout.ms,
     * and librdkafka wants every message settled by then */
    const struct prop pdefs_eos[] = {
        {"message.timeout.ms", "60000"},         {"transaction.timeout.ms", "60000"},
        {"queue.buffering.max.kbytes", "65536"}, {"linger.ms", "5"},
        {"partitioner", "murmur2_random"},
    };
    char txn_id[512];
    svc_txn_id(st->cfg, st->ops->num, txn_id, sizeof(txn_id));
    const struct prop pforced[] = {{"enable.idempotence", "true"}, {"transactional.id", txn_id}};
    bool eos = svc_eos(st->cfg);
    rd_kafka_conf_t *pc = svc_make_conf(st, client, eos ? pdefs_eos : pdefs,
                                        eos ? NR_ARRAY_LEN(pdefs_eos) : NR_ARRAY_LEN(pdefs),
                                        pforced, eos ? 2 : 1, err);
    if (!pc)
        return NULL;
    rd_kafka_conf_set_dr_msg_cb(pc, svc_dr_cb);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(pc);
        nr_error_set(err, "producer: %s", errstr);
        return NULL;
    }
    if (eos) {
        NR_INFO(MOD, "stage %d: exactly_once, transactional.id %s", st->ops->num, txn_id);
        st->prod = rk; /* svc_txn_init fences our previous incarnation */
        if (svc_txn_init(st) != 0) {
            st->prod = NULL;
            rd_kafka_destroy(rk);
            nr_error_set(err, "stage %d: init_transactions failed", st->ops->num);
            return NULL;
        }
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
    if (st->cnt.restore) {
        st->cnt.qr = rd_kafka_queue_get_consumer(st->cnt.restore);
        rd_kafka_queue_io_event_enable(st->cnt.qr, st->wake[1], "r", 1);
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
        if (s->cfg->kafka.create_topics && svc_create_topics(rk, s->cfg, err) != 0)
            code = RD_KAFKA_RESP_ERR__TIMED_OUT;
        else
            n = svc_check_topics(rk, s->cfg, &code, err);
        if (n >= 0 || code == RD_KAFKA_RESP_ERR_NO_ERROR) {
            s->kafka_err = 0;
            s->topics_ok = n >= 0;
            if (n >= 0) {
                s->ever_ready = 1;
                s->sec_n = 0; /* connected: a failure streak ends */
            }
            return n;
        }
        /* Serve the error callback: an authentication or TLS failure
         * stops here (logged once there) instead of waiting forever. */
        rd_kafka_poll(rk, 0);
        if (s->sec_err) {
            nr_error_set(err, "%s", rd_kafka_err2str((rd_kafka_resp_err_t)s->sec_err));
            return -1;
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
            rd_kafka_poll(rk, 0);
            if (s->sec_err) {
                nr_error_set(err, "%s", rd_kafka_err2str((rd_kafka_resp_err_t)s->sec_err));
                return -1;
            }
            (void)poll(NULL, 0, 50);
        }
    }
}

static int setup(struct svc *s, struct nr_error *err)
{
    struct stage *a = &s->st1, *b = &s->st2;
    a->art.sh = nr_stage1_shared_new(a->cfg, err);
    if (!a->art.sh)
        return -1;
    unsigned nw = s->cfg->kafka.tag_threads;
    if (nw == 0) {
        nw = nr_cpus_usable();
        nw = nw > 64 ? 64 : nw;
    }
    a->art.n_w = nw;
    a->art.w = nr_xcalloc(nw, sizeof(*a->art.w));
    for (unsigned k = 0; k < nw; k++) {
        a->art.w[k].s1 = nr_stage1_new(a->art.sh, err);
        if (!a->art.w[k].s1)
            return -1;
    }
    a->art.items = nr_xcalloc(BATCH, sizeof(*a->art.items));

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
    a->art.n_evb = n_rp;
    a->art.evb = nr_xcalloc((size_t)n_rp, sizeof(*a->art.evb));
    a->art.evb_tk = nr_xcalloc((size_t)n_rp, sizeof(*a->art.evb_tk));
    a->art.evb_pos = nr_xcalloc((size_t)n_rp, sizeof(*a->art.evb_pos));
    a->art.evb_at = nr_xcalloc((size_t)n_rp, sizeof(*a->art.evb_at));
    a->art.evb_sum = nr_xcalloc((size_t)n_rp, sizeof(*a->art.evb_sum));
    /* Stage 2 waits for the watermark of every input partition; one whose
     * topic cannot be described now is waited for once heard of. */
    const struct nr_kafka_opts *ko = &s->cfg->kafka;
    b->cnt.in_topic =
        nr_xcalloc(ko->input_topics.n ? ko->input_topics.n : 1, sizeof(*b->cnt.in_topic));
    b->cnt.in_parts =
        nr_xcalloc(ko->input_topics.n ? ko->input_topics.n : 1, sizeof(*b->cnt.in_parts));
    for (size_t i = 0; i < ko->input_topics.n; i++) {
        struct nr_error terr = {{0}};
        rd_kafka_resp_err_t code;
        int np = svc_topic_partitions(a->prod, ko->input_topics.v[i], &code, &terr);
        if (np < 0) {
            NR_WARN(MOD, "%s; its partitions are waited for once stage 1 reports them", terr.msg);
            continue;
        }
        b->cnt.in_topic[b->cnt.n_in] =
            nr_xstrndup(ko->input_topics.v[i], strlen(ko->input_topics.v[i]));
        b->cnt.in_parts[b->cnt.n_in++] = np;
    }

    /* The restore consumer reads the changelog by assignment (no group). */
    const struct prop rforced[] = {
        {"isolation.level", "read_committed"}, /* both modes: aborted records are no state */
        {"group.id", "newsradar-restore-unused"}, {"enable.auto.commit", "false"},
        {"auto.offset.reset", "earliest"},        {"enable.partition.eof", "false"},
    };
    rd_kafka_conf_t *rc =
        svc_make_conf(b, "newsradar-restore", NULL, 0, rforced, NR_ARRAY_LEN(rforced), err);
    if (!rc)
        return -1;
    char errstr[512];
    b->cnt.restore = rd_kafka_new(RD_KAFKA_CONSUMER, rc, errstr, sizeof(errstr));
    if (!b->cnt.restore) {
        rd_kafka_conf_destroy(rc);
        nr_error_set(err, "restore consumer: %s", errstr);
        return -1;
    }
    rd_kafka_poll_set_consumer(b->cnt.restore);

    char group2[512];
    snprintf(group2, sizeof(group2), "%s.counts", s->cfg->kafka.group_id);
    a->c = svc_make_consumer(a, s->cfg->kafka.group_id, "newsradar-articles", err);
    if (!a->c)
        return -1;
    b->c = svc_make_consumer(b, group2, "newsradar-counts", err);
    if (!b->c)
        return -1;
    if (svc_subscribe(a->c, s->cfg->kafka.input_topics.v, s->cfg->kafka.input_topics.n, err) ||
        svc_subscribe(b->c, &s->cfg->kafka.repartition_topic, 1, err))
        return -1;
    if (wake_setup(a, err) || wake_setup(b, err))
        return -1;
    return 0;
}

/* After the stage's thread ended (or never started). */
static void stage_teardown(struct stage *st)
{
    if (st->cnt.qr)
        rd_kafka_queue_destroy(st->cnt.qr);
    if (st->qp)
        rd_kafka_queue_destroy(st->qp);
    if (st->q)
        rd_kafka_queue_destroy(st->q);
    if (st->c) {
        rd_kafka_consumer_close(st->c);
        rd_kafka_destroy(st->c);
    }
    if (st->cnt.restore) {
        rd_kafka_consumer_close(st->cnt.restore);
        rd_kafka_destroy(st->cnt.restore);
    }
    if (st->prod) {
        svc_drain(st);
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
    for (size_t i = 0; i < st->cnt.n_p2; i++) {
        if (st->cnt.p2[i].active)
            nr_stage2_free(st->cnt.p2[i].s2);
        svc_dirty_free(&st->cnt.p2[i].dirty);
        nr_evq_free(&st->cnt.p2[i].held);
        svc_held_chunks_free(&st->cnt.p2[i]);
        nr_wm_table_free(&st->cnt.p2[i].wmt);
        nr_srcpos_table_free(&st->cnt.p2[i].seen);
        free(st->cnt.p2[i].seen_ok);
    }
    free(st->cnt.p2);
    nr_srcpos_free(&st->cnt.cur_pos);
    for (size_t i = 0; i < st->cnt.n_in; i++)
        free(st->cnt.in_topic[i]);
    free(st->cnt.in_topic);
    free(st->cnt.in_parts);
    for (size_t i = 0; i < st->art.n_src; i++)
        free(st->art.src[i].topic);
    free(st->art.src);
    free(st->art.wm_want);
    free(st->art.evb_sum);
    free(st->art.wmbuf);
    for (int32_t i = 0; i < st->art.n_evb; i++) {
        nr_event_batch_free(&st->art.evb[i]);
        nr_srcpos_free(&st->art.evb_pos[i]);
        if (st->art.evb_tk[i]) { /* never sent (not reached: every poll sends its batches) */
            free(st->art.evb_tk[i]->e);
            free(st->art.evb_tk[i]);
        }
    }
    free(st->art.evb);
    free(st->art.evb_tk);
    free(st->art.evb_pos);
    free(st->art.evb_at);
    nr_otrack_destroy(&st->track);
    if (st->txn_last)
        rd_kafka_topic_partition_list_destroy(st->txn_last);
    for (unsigned k = 0; k < st->art.n_w; k++) {
        nr_stage1_free(st->art.w[k].s1);
        nr_event_batch_free(&st->art.w[k].rec);
        free(st->art.w[k].ev);
        free(st->art.w[k].rj);
        free(st->art.w[k].rj_text);
    }
    free(st->art.w);
    free(st->art.items);
    nr_stage1_shared_free(st->art.sh);
    /* a reload posted but never taken (stopped first) */
    nr_stage1_shared_free(st->art.rl_sh);
    for (int i = 0; i < 2; i++)
        if (st->wake[i] >= 0)
            close(st->wake[i]);
}

static void stage_init(struct stage *st, struct svc *s, const struct stage_ops *ops)
{
    st->s = s;
    st->ops = ops;
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
    stage_init(&s.st1, &s, &svc_stage1_ops);
    stage_init(&s.st2, &s, &svc_stage2_ops);
    svc_metrics_init(&s);
    s.st1.lag = s.mt.lag_articles;
    s.st2.lag = s.mt.lag_counts;
    struct nr_error err = {{0}};
    struct nr_http *http = NULL;
    int rc = 1;

    /* HTTP first: live (and not ready) while the brokers are still out of reach. */
    if (s.cfg->http.port) {
        http =
            nr_http_start(s.cfg->http.listen, s.cfg->http.port, s.mt.reg, svc_ready_cb, &s, &err);
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
        } else if (s.sec_err) { /* its one ERROR line is out already */
            NR_INFO(MOD, "not started: %s", err.msg);
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
        if (nr_svc_reload_requested && !svc_reload_pending(&s)) {
            nr_svc_reload_requested = 0;
            svc_reload_begin(&s);
        }
        svc_reload_finish(&s);
        double now = nr_clock_mono_s();
        if (now - last_metrics >= 1.0) {
            svc_metrics_update_main(&s);
            last_metrics = now;
        }
        (void)poll(NULL, 0, 20);
    }
    rc = s.fatal ? 1 : 0;
    NR_INFO(MOD, "%s: draining", s.fatal ? "fatal error" : "stop requested");
    s.stop = 1;
    /* One deadline for the whole shutdown: both stages flush (each up to
     * flush_timeout: in exactly_once once before the last commit, then once
     * before close and once in the revocation close runs) and close their
     * consumers, which librdkafka 2.0.2 can fail to
     * finish under cooperative rebalancing. Past the deadline, exit without
     * waiting: only delivered work was ever committed, so nothing is lost,
     * the rest is read again after the restart. */
    double deadline =
        nr_clock_mono_s() + 3.0 * (double)s.cfg->kafka.flush_timeout_ms / 1000.0 + 20.0;
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
