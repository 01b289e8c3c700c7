/*
 * kb.c - the client side of the Kafka benchmark (bench/kafka/run.sh).
 *
 *   kb preload BROKERS TOPIC N            generate N ~4 KB articles, produce them
 *   kb ceiling BROKERS TOPIC N GROUP      bare high-level consumer: msgs/s, MB/s
 *   kb paced   BROKERS TOPIC RATE SECS    articles at RATE/s with published_at = now,
 *                                         plus bursts that make spike alerts fire
 *   kb alerts  BROKERS TOPIC SECS [FROM]  alert latency percentiles (read SECS,
 *                                         or until SIGTERM/SIGINT; only alerts
 *                                         whose newest article was produced at
 *                                         or after FROM, µs since the epoch)
 *   kb topics  BROKERS NAME:PARTS[:compact]...  create topics
 *   kb sample  N                          the first N preload articles on stdout
 *   kb lag     BROKERS GROUP TOPIC        committed lag of GROUP (never-committed
 *                                         partitions count from the low watermark;
 *                                         counts the messages with a payload a
 *                                         read_committed reader gets)
 *
 * Articles are generated, not read from files: a deterministic xorshift PRNG
 * seeded by the article number picks frequent English words, entity names of
 * the shipped watchlists (countries, armed groups, places) and topic phrases
 * of the shipped rules, so the corpus is the same on every run and tags like
 * real news. Paced articles carry their produce time (µs, CLOCK_REALTIME) in
 * their id, "p<seq>.<us>": an alert's evidence names the articles that made it,
 * so the alert consumer needs no side channel to compute latency.
 *
 * Results go to stdout as "key=value" lines that run.sh parses.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ARTICLE_BYTES 4096
#define FETCH_MAX     "8388608" /* limits.md: librdkafka's 50 MiB default faults */

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "kb: %s: %s\n", what, why);
    exit(2);
}

/* ---- the corpus ----------------------------------------------------------------- */

static const char *words[] = {
    "the",        "of",         "and",         "to",          "in",
    "a",          "said",       "on",          "for",         "that",
    "was",        "with",       "by",          "as",          "at",
    "from",       "government", "officials",   "minister",    "ministry",
    "week",       "people",     "after",       "security",    "province",
    "district",   "local",      "residents",   "reported",    "according",
    "police",     "spokesman",  "statement",   "told",        "reporters",
    "meeting",    "talks",      "trade",       "economy",     "prices",
    "market",     "exports",    "imports",     "fuel",        "electricity",
    "water",      "flood",      "rain",        "season",      "farmers",
    "wheat",      "harvest",    "schools",     "students",    "hospital",
    "health",     "doctors",    "vaccination", "campaign",    "election",
    "parliament", "opposition", "party",       "leader",      "court",
    "judge",      "hearing",    "case",        "lawyers",     "budget",
    "tax",        "revenue",    "bank",        "loan",        "inflation",
    "currency",   "investment", "project",     "road",        "highway",
    "bridge",     "railway",    "airport",     "flights",     "trucks",
    "traders",    "goods",      "customs",     "visa",        "travel",
    "migrants",   "families",   "village",     "city",        "capital",
    "region",     "northern",   "southern",    "eastern",     "western",
    "morning",    "evening",    "Monday",      "Tuesday",     "Wednesday",
    "Thursday",   "Friday",     "Saturday",    "Sunday",      "later",
    "earlier",    "also",       "would",       "could",       "will",
    "has",        "have",       "had",         "been",        "were",
    "not",        "but",        "while",       "during",      "before",
    "over",       "more",       "than",        "about",       "into",
    "new",        "first",      "last",        "two",         "three",
    "several",    "many",       "senior",      "official",    "agency",
    "foreign",    "defence",    "interior",    "national",    "international",
    "military",   "army",       "forces",      "troops",      "border",
    "crossing",   "area",       "tribal",      "peace",       "agreement",
    "dialogue",   "delegation", "visit",       "cooperation", "support",
    "aid",
};
static const char *countries[] = {
    "Pakistan",    "Afghanistan", "India",      "Iran",       "China",        "Russia",
    "Ukraine",     "Egypt",       "Nigeria",    "Syria",      "Iraq",         "Yemen",
    "Sudan",       "Somalia",     "Kenya",      "Ethiopia",   "Bangladesh",   "Nepal",
    "Germany",     "France",      "Brazil",     "Mexico",     "Japan",        "Indonesia",
    "Philippines", "Myanmar",     "Lebanon",    "Israel",     "Jordan",       "Libya",
    "Mali",        "Niger",       "Chad",       "Colombia",   "Venezuela",    "Peru",
    "Poland",      "Kazakhstan",  "Uzbekistan", "Tajikistan", "Turkmenistan", "Saudi Arabia",
    "Qatar",       "Oman",        "Morocco",    "Algeria",    "Tunisia",      "Ghana",
    "Senegal",
};
static const char *others[] = {
    "Tehrik-i-Taliban Pakistan",
    "Afghan Taliban",
    "Haqqani network",
    "Baloch Liberation Army",
    "Lashkar-e-Taiba",
    "Jaish-e-Mohammed",
    "Shehbaz Sharif",
    "Ishaq Dar",
    "Asim Munir",
    "Amir Khan Muttaqi",
    "Zabihullah Mujahid",
    "Torkham",
    "Chaman",
    "Spin Boldak",
    "Durand Line",
    "Khyber Pakhtunkhwa",
    "Waziristan",
    "Bajaur",
    "Kurram",
    "Bannu",
    "Balochistan",
    "Quetta",
    "Peshawar",
    "Islamabad",
    "Karachi",
    "Lahore",
};
static const char *topic_phrases[] = {
    "border closure",     "closed the border", "border clash", "exchange of fire",
    "suicide bombing",    "roadside bomb",     "drone strike", "military operation",
    "security operation", "ceasefire",         "truce",
};
#define N_WORDS     (sizeof(words) / sizeof(words[0]))
#define N_COUNTRIES (sizeof(countries) / sizeof(countries[0]))
#define N_OTHERS    (sizeof(others) / sizeof(others[0]))
#define N_TOPICS    (sizeof(topic_phrases) / sizeof(topic_phrases[0]))

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static uint64_t seed_of(uint64_t n)
{
    uint64_t z = n * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) | 1;
}

struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        b->cap = (b->n + l + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            die("realloc", strerror(errno));
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

static void rfc3339(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char d[32];
    strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%03dZ", d, (int)(ms % 1000));
}

/* What an article is about: picked by the caller. */
struct about {
    const char *country; /* mentioned often; NULL = random mentions only */
    const char *topic;   /* a topic phrase in title and body; NULL none */
    double topic_p;      /* else the chance of a random topic phrase */
};

/* One article of about ARTICLE_BYTES bytes of JSON into b (reset first). */
static void gen_article(struct buf *b, uint64_t n, const char *id, int64_t published_ms,
                        const struct about *ab)
{
    uint64_t s = seed_of(n);
    const char *country = ab->country ? ab->country : countries[rnd(&s) % N_COUNTRIES];
    const char *other = others[rnd(&s) % N_OTHERS];
    const char *topic = ab->topic;
    if (!topic && (double)(rnd(&s) % 10000) / 10000.0 < ab->topic_p)
        topic = topic_phrases[rnd(&s) % N_TOPICS];
    char ts[40], tmp[256];
    rfc3339(published_ms, ts, sizeof(ts));
    b->n = 0;
    put(b, "{\"id\":\"");
    put(b, id);
    put(b, "\",\"title\":\"");
    snprintf(tmp, sizeof(tmp), "%s: %s %s %s %s", country, words[16 + rnd(&s) % 60],
             topic ? topic : words[16 + rnd(&s) % 60], words[rnd(&s) % 16],
             ab->country ? other : words[16 + rnd(&s) % 60]);
    put(b, tmp);
    put(b, "\",\"body\":\"");
    size_t body_end = ARTICLE_BYTES - 200 - strlen(id);
    int in_sentence = 0;
    bool topic_done = false;
    while (b->n < body_end) {
        uint64_t r = rnd(&s) % 1000;
        const char *w;
        if (r < 12)
            w = country;
        else if (r < 18)
            w = other;
        else if (r < 20)
            w = countries[rnd(&s) % N_COUNTRIES];
        else if (topic && !topic_done && r < 25) {
            w = topic;
            topic_done = true;
        } else
            w = words[rnd(&s) % N_WORDS];
        if (in_sentence == 0) {
            snprintf(tmp, sizeof(tmp), "%c%s", w[0] >= 'a' && w[0] <= 'z' ? w[0] - 32 : w[0],
                     w + 1);
            put(b, tmp);
        } else {
            put(b, w);
        }
        if (++in_sentence >= 10 + (int)(rnd(&s) % 10)) {
            put(b, ". ");
            in_sentence = 0;
        } else {
            put(b, " ");
        }
    }
    if (topic && !topic_done) {
        put(b, topic);
        put(b, " ");
    }
    put(b, "end.\",\"url\":\"https://news.example.org/");
    put(b, id);
    snprintf(tmp, sizeof(tmp), "\",\"source\":\"wire-%d\",\"language\":\"en\",\"published_at\":\"",
             (int)(n % 7));
    put(b, tmp);
    put(b, ts);
    put(b, "\"}");
}

/* ---- clients -------------------------------------------------------------------- */

static void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die(k, err);
}

static uint64_t delivered, failed;
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        if (failed++ < 5)
            fprintf(stderr, "kb: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        delivered++;
    }
}

static rd_kafka_t *producer(const char *brokers, const char *linger)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", brokers);
    set(c, "linger.ms", linger);
    set(c, "batch.size", "1000000");
    set(c, "queue.buffering.max.kbytes", "262144");
    set(c, "acks", "all");
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!rk)
        die("producer", err);
    return rk;
}

static void produce(rd_kafka_t *rk, const char *topic, const char *key, const struct buf *b)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, strlen(key)),
            RD_KAFKA_V_VALUE(b->p, b->n), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (!e)
            return;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            die("produce", rd_kafka_err2str(e));
        rd_kafka_poll(rk, 10);
    }
}

static void finish(rd_kafka_t *rk)
{
    while (rd_kafka_outq_len(rk) > 0)
        rd_kafka_poll(rk, 100);
    rd_kafka_destroy(rk);
}

static int cmd_preload(const char *brokers, const char *topic, long n)
{
    rd_kafka_t *rk = producer(brokers, "20");
    struct buf b = {0};
    /* Event time: from 2026-01-01T00:00Z, one article every 400 ms. */
    const int64_t base_ms = 1767225600000LL;
    struct about ab = {NULL, NULL, 0.35};
    double t0 = mono_s();
    uint64_t bytes = 0;
    for (long i = 0; i < n && !stop; i++) {
        char id[32];
        snprintf(id, sizeof(id), "b-%08ld", i);
        gen_article(&b, (uint64_t)i, id, base_ms + i * 400, &ab);
        bytes += b.n;
        produce(rk, topic, id, &b);
        rd_kafka_poll(rk, 0);
    }
    finish(rk);
    double dt = mono_s() - t0;
    printf("preload_msgs=%" PRIu64 "\npreload_failed=%" PRIu64 "\npreload_bytes=%" PRIu64
           "\npreload_avg_bytes=%.0f\npreload_s=%.2f\npreload_msgs_per_s=%.0f\n",
           delivered, failed, bytes, n ? (double)bytes / (double)n : 0.0, dt,
           (double)delivered / dt);
    free(b.p);
    return failed ? 1 : 0;
}

/* The first n preload articles as JSON lines (to inspect, or to tag offline). */
static int cmd_sample(long n)
{
    struct buf b = {0};
    struct about ab = {NULL, NULL, 0.35};
    for (long i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof(id), "b-%08ld", i);
        gen_article(&b, (uint64_t)i, id, 1767225600000LL + i * 400, &ab);
        puts(b.p);
    }
    free(b.p);
    return 0;
}

static int cmd_ceiling(const char *brokers, const char *topic, long n, const char *group)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", brokers);
    set(c, "group.id", group);
    set(c, "auto.offset.reset", "earliest");
    set(c, "fetch.max.bytes", FETCH_MAX);
    set(c, "enable.partition.eof", "false");
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!rk)
        die("consumer", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    double t_start = mono_s(), t_first = 0;
    uint64_t msgs = 0, bytes = 0;
    clock_t cpu0 = 0;
    while (msgs < (uint64_t)n && !stop && mono_s() - t_start < 600) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err) {
            if (!msgs) {
                t_first = mono_s();
                cpu0 = clock();
            }
            msgs++;
            bytes += m->len;
        }
        rd_kafka_message_destroy(m);
    }
    double t_end = mono_s();
    double cpu = (double)(clock() - cpu0) / CLOCKS_PER_SEC;
    double dt = t_end - t_first;
    printf("ceiling_msgs=%" PRIu64 "\nceiling_bytes=%" PRIu64
           "\nceiling_join_s=%.2f\nceiling_s=%.3f\nceiling_msgs_per_s=%.0f\n"
           "ceiling_mb_per_s=%.1f\nceiling_cpu_us_per_msg=%.2f\n",
           msgs, bytes, t_first - t_start, dt, (double)msgs / dt, (double)bytes / dt / 1e6,
           msgs ? cpu * 1e6 / (double)msgs : 0.0);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return msgs == (uint64_t)n ? 0 : 1;
}

/* Background articles at `rate`/s; every `burst_every` s a burst of
 * `burst_n` articles about one country + topic, `burst_gap_ms` apart, which
 * spikes that key far above its baseline. */
static int cmd_paced(const char *brokers, const char *topic, double rate, double secs)
{
    rd_kafka_t *rk = producer(brokers, "0");
    struct buf b = {0};
    const double burst_every = 3.0, burst_gap = 0.02;
    const int burst_n = 6;
    uint64_t seq = 0, bursts = 0, burst_msgs = 0;
    double t0 = mono_s(), next_burst = t0 + 2.0;
    int burst_left = 0;
    double next_burst_msg = 0;
    struct about bg = {NULL, NULL, 0.02}, bu = {NULL, NULL, 0};
    while (!stop) {
        double now = mono_s();
        if (now - t0 >= secs)
            break;
        bool is_burst = false;
        if (!burst_left && now >= next_burst) {
            burst_left = burst_n;
            bu.country = countries[bursts % N_COUNTRIES];
            bu.topic = topic_phrases[(bursts / N_COUNTRIES + bursts) % N_TOPICS];
            bursts++;
            next_burst += burst_every;
            next_burst_msg = now;
        }
        double next_bg = t0 + (double)(seq - burst_msgs) / rate;
        if (burst_left && next_burst_msg <= now) {
            is_burst = true;
        } else if (next_bg > now) {
            double until = next_bg;
            if (burst_left && next_burst_msg < until)
                until = next_burst_msg;
            int ms = (int)((until - now) * 1000);
            rd_kafka_poll(rk, ms > 0 ? ms : 0);
            if (ms <= 0) {
                struct timespec ts = {0, (long)((until - now) * 1e9)};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        char id[64];
        int64_t us = real_us();
        snprintf(id, sizeof(id), "p%" PRIu64 ".%" PRId64, seq, us);
        gen_article(&b, 1000000000ull + seq, id, us / 1000, is_burst ? &bu : &bg);
        produce(rk, topic, id, &b);
        seq++;
        if (is_burst) {
            burst_msgs++;
            burst_left--;
            next_burst_msg += burst_gap;
        }
        rd_kafka_poll(rk, 0);
    }
    double dt = mono_s() - t0;
    finish(rk);
    printf("paced_msgs=%" PRIu64 "\npaced_failed=%" PRIu64 "\npaced_s=%.1f\npaced_msgs_per_s=%.0f\n"
           "paced_bursts=%" PRIu64 "\npaced_burst_msgs=%" PRIu64 "\n",
           delivered, failed, dt, (double)seq / dt, bursts, burst_msgs);
    free(b.p);
    return failed ? 1 : 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static void report(const char *name, double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_d);
    printf("%s_n=%zu\n%s_p50_ms=%.1f\n%s_p90_ms=%.1f\n%s_p99_ms=%.1f\n%s_max_ms=%.1f\n", name, n,
           name, pct(v, n, 0.5), name, pct(v, n, 0.9), name, pct(v, n, 0.99), name,
           n ? v[n - 1] : 0.0);
}

/* Reads the alert topic from the beginning (a fresh topic per run). */
static int cmd_alerts(const char *brokers, const char *topic, double secs, int64_t from_us)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", brokers);
    set(c, "group.id", "kb-alerts-unused");
    set(c, "enable.auto.commit", "false");
    set(c, "fetch.wait.max.ms", "10");
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!rk)
        die("consumer", err);
    rd_kafka_poll_set_consumer(rk);
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 ||
        md->topics[0].partition_cnt <= 0)
        die(topic, "no metadata");
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(l, topic, md->topics[0].partitions[i].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);

    /* [0] firing only: a non-firing key changes state only on its own
     * events, so the newest article cited is the one that fired it. [1] all
     * firing + escalated: an escalation may also come from a bucket change
     * (stream time moved by another key's article), so its newest cited
     * article may be older than the trigger. */
    enum { CAP = 1 << 16 };
    static struct lat {
        double ts[CAP], rx[CAP];
        size_t n;
    } lat[2];
    uint64_t firing = 0, escalated = 0, resolved = 0, other = 0, unparsed = 0;
    double t0 = mono_s();
    while (!stop && (secs <= 0 || mono_s() - t0 < secs)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        int64_t rx = real_us();
        if (m->err || !m->payload) {
            rd_kafka_message_destroy(m);
            continue;
        }
        json_t *a = json_loadb(m->payload, m->len, 0, NULL);
        const char *state = a ? json_string_value(json_object_get(a, "state")) : NULL;
        if (!state) {
            unparsed++;
        } else if (strcmp(state, "resolved") == 0) {
            /* Decided when stream time moved on: no article triggered it. */
            resolved++;
        } else {
            if (strcmp(state, "firing") == 0)
                firing++;
            else if (strcmp(state, "escalated") == 0)
                escalated++;
            else
                other++;
            int64_t newest = -1;
            size_t i;
            json_t *art;
            json_array_foreach(json_object_get(a, "articles"), i, art)
            {
                const char *id = json_string_value(json_object_get(art, "id"));
                const char *dot = id && id[0] == 'p' ? strchr(id, '.') : NULL;
                if (dot) {
                    long long us = strtoll(dot + 1, NULL, 10);
                    if (us > newest)
                        newest = us;
                }
            }
            rd_kafka_timestamp_type_t tt;
            int64_t ts_ms = rd_kafka_message_timestamp(m, &tt);
            for (int k = 0; k < 2; k++) {
                if (newest <= 0 || newest < from_us || ts_ms <= 0 || lat[k].n >= CAP ||
                    (k == 0 && strcmp(state, "firing") != 0))
                    continue;
                lat[k].ts[lat[k].n] = (double)(ts_ms * 1000 - newest) / 1000.0;
                lat[k].rx[lat[k].n++] = (double)(rx - newest) / 1000.0;
            }
        }
        json_decref(a);
        rd_kafka_message_destroy(m);
    }
    printf("alerts_firing=%" PRIu64 "\nalerts_escalated=%" PRIu64 "\nalerts_resolved=%" PRIu64
           "\nalerts_other=%" PRIu64 "\nalerts_unparsed=%" PRIu64 "\n",
           firing, escalated, resolved, other, unparsed);
    report("lat_fire_ts", lat[0].ts, lat[0].n);
    report("lat_fire_rx", lat[0].rx, lat[0].n);
    report("lat_all_ts", lat[1].ts, lat[1].n);
    report("lat_all_rx", lat[1].rx, lat[1].n);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return 0;
}

/* The messages with a payload that a read_committed reader still gets from
 * offset `at` of a partition: neither a transaction's end marker (an
 * exactly_once stage commits the offset after its last message, which is
 * the marker's) nor a watermark-only message (no payload: newsradar sends
 * one every few seconds to each repartition partition) is work left. */
static int64_t data_after(const char *brokers, const char *topic, int32_t part, int64_t at)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", brokers);
    set(c, "group.id", "kb-lag-unused");
    set(c, "enable.auto.commit", "false");
    set(c, "enable.partition.eof", "true");
    set(c, "isolation.level", "read_committed");
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!rk)
        die("consumer", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, part)->offset = at;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int64_t n = 0;
    bool eof = false;
    for (double t0 = mono_s(); !eof && mono_s() - t0 < 10;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
        if (!m->err && m->len > 0)
            n++;
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return eof ? n : n + 1; /* not at the end within 10 s: not caught up */
}

static int cmd_lag(const char *brokers, const char *group, const char *topic)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", brokers);
    set(c, "group.id", group);
    set(c, "enable.auto.commit", "false");
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!rk)
        die("consumer", err);
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 ||
        md->topics[0].partition_cnt <= 0)
        die(topic, "no metadata");
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(l, topic, md->topics[0].partitions[i].id);
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, 10000);
    if (e)
        die("committed", rd_kafka_err2str(e));
    int64_t lag = 0, end = 0;
    for (int i = 0; i < l->cnt; i++) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_query_watermark_offsets(rk, topic, l->elems[i].partition, &lo, &hi, 10000))
            die("watermarks", topic);
        int64_t from = l->elems[i].offset >= 0 ? l->elems[i].offset : lo;
        if (hi > from && hi - from <= 64) /* a few: markers and watermarks? */
            lag += data_after(brokers, topic, l->elems[i].partition, from);
        else if (hi > from)
            lag += hi - from;
        end += hi;
    }
    printf("lag=%" PRId64 " end=%" PRId64 "\n", lag, end);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return 0;
}

/* Create topics NAME:PARTITIONS[:compact] (existing ones are an error: the
 * benchmark starts from a fresh broker). */
static int cmd_topics(const char *brokers, int n, char **specs)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", brokers);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!rk)
        die("admin", err);
    rd_kafka_NewTopic_t **nt = calloc((size_t)n, sizeof(*nt));
    for (int i = 0; i < n; i++) {
        char name[256];
        snprintf(name, sizeof(name), "%s", specs[i]);
        char *p = strchr(name, ':');
        int parts = 1;
        bool compact = false;
        if (p) {
            *p++ = '\0';
            parts = atoi(p);
            compact = strstr(p, ":compact") != NULL;
        }
        nt[i] = rd_kafka_NewTopic_new(name, parts, 1, err, sizeof(err));
        if (!nt[i])
            die(name, err);
        if (compact)
            rd_kafka_NewTopic_set_config(nt[i], "cleanup.policy", "compact");
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, nt, (size_t)n, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    int rc = 0;
    if (!ev || rd_kafka_event_error(ev)) {
        fprintf(stderr, "kb: create topics: %s\n",
                ev ? rd_kafka_event_error_string(ev) : "timeout");
        rc = 1;
    } else {
        size_t cnt;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++)
            if (rd_kafka_topic_result_error(res[i])) {
                fprintf(stderr, "kb: create topic %s: %s\n", rd_kafka_topic_result_name(res[i]),
                        rd_kafka_topic_result_error_string(res[i]));
                rc = 1;
            }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    for (int i = 0; i < n; i++)
        rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    rd_kafka_destroy(rk);
    return rc;
}

int main(int argc, char **argv)
{
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "topics") && argc >= 4)
        return cmd_topics(argv[2], argc - 3, argv + 3);
    if (!strcmp(cmd, "sample") && argc == 3)
        return cmd_sample(atol(argv[2]));
    if (!strcmp(cmd, "preload") && argc == 5)
        return cmd_preload(argv[2], argv[3], atol(argv[4]));
    if (!strcmp(cmd, "ceiling") && argc == 6)
        return cmd_ceiling(argv[2], argv[3], atol(argv[4]), argv[5]);
    if (!strcmp(cmd, "paced") && argc == 6)
        return cmd_paced(argv[2], argv[3], atof(argv[4]), atof(argv[5]));
    if (!strcmp(cmd, "alerts") && (argc == 5 || argc == 6))
        return cmd_alerts(argv[2], argv[3], atof(argv[4]), argc == 6 ? atoll(argv[5]) : 0);
    if (!strcmp(cmd, "lag") && argc == 5)
        return cmd_lag(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: kb topics BROKERS NAME:PARTS[:compact]... | sample N | preload BROKERS "
                    "TOPIC N | ceiling BROKERS TOPIC N GROUP |\n"
                    "       paced BROKERS TOPIC RATE SECS | alerts BROKERS TOPIC SECS [FROM_US] |\n"
                    "       lag BROKERS GROUP TOPIC\n");
    return 2;
}
