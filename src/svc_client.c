/*
 * svc_client.c - the librdkafka clients: configuration (our defaults, the
 * forced properties, kafka.properties passed through), log, error and
 * statistics callbacks, consumers, subscriptions, and the topics (checked,
 * or created with kafka.create_topics).
 */
#include "svc_int.h"

#include <strings.h>

/* ---- configuration of the clients -------------------------------------------- */

/* An authentication or TLS error whose cause is the network or a token
 * source, not the configuration: a login cut short by a broker restart
 * ("handshake failed: Local: Broker transport failure", "Connection reset
 * by peer", a timeout), or an OAUTHBEARER/IAM token that could not be had
 * (librdkafka retries it and reports it only when it changes). */
static bool transient_security_error(const char *r)
{
    static const char *const cues[] = {
        "transport failure", "Disconnected", "reset by peer",      "Broken pipe",
        "timed out",         "Timed out",    "Connection refused", "Failed to acquire",
    };
    if (!r)
        return false;
    for (size_t i = 0; i < NR_ARRAY_LEN(cues); i++)
        if (strstr(r, cues[i]))
            return true;
    return false;
}

/* A TLS handshake cut short by the peer: OpenSSL 3 says "unexpected eof
 * while reading" (a broker restarting, or a plaintext listener, which
 * closes on the ClientHello). */
static bool eof_security_error(const char *r)
{
    return r && (strstr(r, "unexpected eof") || strstr(r, "unexpected EOF"));
}

/* librdkafka's FAIL line of one failed login or TLS handshake attempt. */
static bool handshake_failure_line(const char *buf)
{
    return strstr(buf, "SASL authentication error") || strstr(buf, "SSL handshake failed") ||
           strstr(buf, "in state SSL_HANDSHAKE") || strstr(buf, "in state AUTH");
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* A failed login or TLS handshake (whatever the cause, end of file
     * included) also reaches error_cb, which warns and, when the failure
     * persists, stops the service with one ERROR line that says what to
     * check: librdkafka's own line for each attempt (from each client) is
     * detail, at debug. */
    if (fac && strcmp(fac, "FAIL") == 0 && buf && handshake_failure_line(buf) &&
        !transient_security_error(buf))
        level = 7; /* syslog LOG_DEBUG */
    nr_log_syslog(level, "rdkafka", fac, buf);
}

/* The value of a kafka.properties entry, or NULL. */
static const char *prop_value(const struct nr_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->kafka.n_properties; i++)
        if (strcmp(cfg->kafka.properties[i].key, key) == 0)
            return cfg->kafka.properties[i].value;
    return NULL;
}

/* librdkafka before 2.6.1 sends a wrong SCRAM nonce in its final message;
 * Kafka 4.x brokers check it strictly and refuse every SCRAM login (the
 * Java client and librdkafka 2.6.1+ are not affected). */
static bool scram_nonce_bug(const struct nr_config *cfg)
{
    const char *m = prop_value(cfg, "sasl.mechanisms");
    if (!m)
        m = prop_value(cfg, "sasl.mechanism");
    return m && strncasecmp(m, "SCRAM-", 6) == 0 && rd_kafka_version() < 0x020601ff;
}

/* Authentication and TLS failures that persist do not heal by retrying
 * (wrong credentials, a certificate the CA file does not vouch for, TLS
 * against a plaintext listener): librdkafka would retry them forever, each
 * retry only a debug line, and the service would wait unready without
 * saying why. Stop instead, with one line that says what failed; exit
 * status 1. Called once the failure persisted (security_error). */
static void security_failure(struct stage *st, rd_kafka_t *rk, int err, const char *reason)
{
    if (!st)
        return;
    int none = 0;
    if (atomic_compare_exchange_strong(&st->s->sec_err, &none, err)) {
        if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
            NR_ERROR(
                MOD,
                "Kafka authentication failed (%s): %s; check kafka.properties sasl.mechanisms, "
                "sasl.username and the password%s",
                rd_kafka_name(rk), reason,
                scram_nonce_bug(st->cfg)
                    ? "; note: this librdkafka (older than 2.6.1) cannot log in with SCRAM to "
                      "Kafka 4.x brokers: use PLAIN over SASL_SSL or librdkafka 2.6.1 or newer"
                    : "");
        else
            NR_ERROR(MOD,
                     "TLS connection to Kafka failed (%s): %s; check kafka.properties "
                     "security.protocol and ssl.ca.location",
                     rd_kafka_name(rk), reason);
    }
    st->s->fatal = 1;
}

/* One authentication or TLS failure: a warning, and fatal only when it is
 * the SEC_FATAL_COUNT-th of a streak at least SEC_FATAL_SPAN_S old (no
 * successful connection in between, which resets sec_n). Network-caused
 * ones never count, nor, once the service has been ready, a handshake cut
 * short by end of file (a broker restarting mid-handshake). */
static void security_error(struct stage *st, rd_kafka_t *rk, int err, const char *reason)
{
    if (!st || transient_security_error(reason) ||
        (st->s->ever_ready && eof_security_error(reason))) {
        NR_WARN(MOD, "%s: %s (retrying)", rd_kafka_name(rk), reason);
        return;
    }
    double now = nr_clock_mono_s();
    int n = atomic_fetch_add(&st->s->sec_n, 1) + 1;
    if (n == 1)
        st->s->sec_first = now;
    double span = now - st->s->sec_first;
    if (n >= SEC_FATAL_COUNT && span >= SEC_FATAL_SPAN_S) {
        security_failure(st, rk, err, reason);
        return;
    }
    NR_WARN(MOD, "%s: %s (failure %d in %.0f s; retrying)", rd_kafka_name(rk), reason, n, span);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct stage *st = opaque;
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL) {
        security_error(st, rk, err, reason);
        return;
    }
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
    /* A broker UP (connected, logged in) ends a streak of security errors. */
    json_t *brokers = json_object_get(root, "brokers"), *b;
    const char *bname;
    json_object_foreach(brokers, bname, b)
    {
        const char *state = json_string_value(json_object_get(b, "state"));
        if (state && strcmp(state, "UP") == 0 &&
            json_integer_value(json_object_get(b, "nodeid")) >= 0)
            st->s->sec_n = 0;
    }
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
            /* What the stage has not read yet: from its position (what the
             * application consumed; before that the committed offset, or
             * the log start) to the end (the last stable offset when it
             * reads read_committed, else the high watermark). Not
             * librdkafka's consumer_lag, which counts from its
             * committed_offset: the transactions of exactly_once commit
             * without it, and in at_least_once it stayed at 2 for good in
             * test_eos (seed 3) after the rebalances, where the group's
             * committed offsets were all at the end. A partition no longer
             * fetched (revoked) keeps its last figures in the statistics:
             * not ours. */
            const char *fs = json_string_value(json_object_get(p, "fetch_state"));
            if (!fs || strcmp(fs, "active") != 0)
                continue;
            json_int_t hi = json_integer_value(json_object_get(p, "hi_offset"));
            json_int_t ls = json_integer_value(json_object_get(p, "ls_offset"));
            json_int_t app = json_integer_value(json_object_get(p, "app_offset"));
            json_int_t lo = json_integer_value(json_object_get(p, "lo_offset"));
            json_int_t co = json_integer_value(json_object_get(p, "committed_offset"));
            json_int_t from = app >= 0 ? app : co >= 0 ? co : lo >= 0 ? lo : 0;
            json_int_t end = svc_eos(st->cfg) && ls >= 0 ? ls : hi;
            json_int_t l = end >= 0 ? end - from : 0;
            if (l > 0)
                lag += l;
        }
    }
    json_decref(root);
    if (rk == st->c)
        nr_gauge_set(st->lag, (double)lag);
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

/* Our defaults, then the user's pass-through properties (which win), then
 * the few properties correctness depends on (which the user cannot change).
 * The client's opaque is its stage: every callback runs on that stage. */
rd_kafka_conf_t *svc_make_conf(struct stage *st, const char *client_id, const struct prop *defs,
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

/* ---- set-up ---------------------------------------------------------------------------- */

rd_kafka_t *svc_make_consumer(struct stage *st, const char *group, const char *client,
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
    bool eos = svc_eos(st->cfg);
    const struct prop forced[] = {
        {"group.id", group},
        {"enable.auto.offset.store", "false"}, /* stored only after delivery */
        /* exactly_once: offsets are committed by the transactions */
        {"enable.auto.commit", eos ? "false" : "true"},
        /* stage 1: an input partition turns idle only once it is known
         * to be read to its end (svc_s1_pace) */
        {"enable.partition.eof", st->ops->num == 1 ? "true" : "false"},
        /* a reader of our own topics sees only committed transactions */
        {"isolation.level", eos ? "read_committed" : "read_uncommitted"},
    };
    rd_kafka_conf_t *c =
        svc_make_conf(st, client, defs, NR_ARRAY_LEN(defs), forced, NR_ARRAY_LEN(forced), err);
    if (!c)
        return NULL;
    rd_kafka_conf_set_rebalance_cb(c, svc_rebalance_cb);
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

int svc_subscribe(rd_kafka_t *rk, char **topics, size_t n, struct nr_error *err)
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
int svc_topic_partitions(rd_kafka_t *rk, const char *name, rd_kafka_resp_err_t *code,
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
int svc_check_topics(rd_kafka_t *rk, const struct nr_config *cfg, rd_kafka_resp_err_t *code,
                     struct nr_error *err)
{
    const struct nr_kafka_opts *k = &cfg->kafka;
    *code = RD_KAFKA_RESP_ERR_NO_ERROR;
    int rp = svc_topic_partitions(rk, k->repartition_topic, code, err);
    if (rp < 0)
        return -1;
    int cp = svc_topic_partitions(rk, k->changelog_topic, code, err);
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
int svc_create_topics(rd_kafka_t *rk, const struct nr_config *cfg, struct nr_error *err)
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
