/*
 * mock_cluster: librdkafka's in-process mock Kafka cluster (rdkafka_mock.h)
 * as a small standalone broker for tests and fault injection.
 *
 *   mock_cluster [-k] BROKERS [TOPIC[:PARTITIONS[:REPLICAS]]...]
 *
 * Prints the bootstrap list ("127.0.0.1:P1,127.0.0.1:P2,...") as the first
 * line on stdout, creates the topics, prints "ready", then reads one command
 * per line on stdin and answers each with one line, "ok" or "error: why", so a
 * driver can wait for a fault to be in place before it goes on:
 *
 *   down ID                  broker ID closes its connections and refuses new ones
 *   up ID                    broker ID serves again
 *   rtt ID MS                delay every reply of broker ID by MS milliseconds
 *   leader TOPIC PART ID     move a partition's leadership (-1: no leader)
 *   topic NAME PARTS [REPL]  create a topic
 *   perr ID COUNT CODE       the next COUNT Produce requests to broker ID fail
 *                            with Kafka error code CODE (e.g. 29: topic
 *                            authorization failed, not retried)
 *   rerr API COUNT CODE      the next COUNT requests of Kafka API key API, to
 *                            any broker, fail with CODE (e.g. rerr 28 1 22:
 *                            a TxnOffsetCommit gets ILLEGAL_GENERATION, as
 *                            after a rebalance during a transaction)
 *   quit                     exit
 *
 * It exits 0 on quit, on SIGTERM/SIGINT, and on end of input unless -k
 * (keep running until a signal: for scripts that background it with no stdin).
 *
 * Why a separate process rather than the mock inside each test program: the
 * tests then drive the real `newsradar run` binary and kcat against it, exactly
 * as against a real broker, and kill brokers from a shell script.
 * Cost: the mock runs on one librdkafka thread; see shared limits for its
 * quirks (~5 MiB kept per partition, random ports, no real transactions).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MC_MAX_BROKERS 16
#define MC_LINE_MAX    1024

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: mock_cluster [-k] BROKERS [TOPIC[:PARTITIONS[:REPLICAS]]...]\n"
            "  BROKERS: 1..%d; PARTITIONS default 1; REPLICAS default min(BROKERS,3)\n"
            "  stdin commands: down ID | up ID | rtt ID MS | leader TOPIC PART ID |\n"
            "                  perr ID COUNT CODE | rerr API COUNT CODE |\n"
            "                  topic NAME PARTS [REPL] | quit\n",
            MC_MAX_BROKERS);
}

/* Parses a whole decimal int in [lo, hi]; 0 on success. */
static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int default_replicas(int brokers)
{
    return brokers < 3 ? brokers : 3;
}

/* "name[:parts[:repl]]" -> topic; 0 on success, else a message on stderr. */
static int create_topic_spec(rd_kafka_mock_cluster_t *mc, char *spec, int brokers)
{
    char *name = spec;
    char *p = strchr(spec, ':');
    char *r = NULL;
    int parts = 1;
    int repl = default_replicas(brokers);
    rd_kafka_resp_err_t err;

    if (p != NULL) {
        *p++ = '\0';
        r = strchr(p, ':');
        if (r != NULL)
            *r++ = '\0';
        if (parse_int(p, 1, 100000, &parts) != 0) {
            fprintf(stderr, "mock_cluster: bad partition count '%s'\n", p);
            return -1;
        }
        if (r != NULL && parse_int(r, 1, brokers, &repl) != 0) {
            fprintf(stderr, "mock_cluster: bad replica count '%s' (1..%d)\n", r, brokers);
            return -1;
        }
    }
    if (*name == '\0') {
        fprintf(stderr, "mock_cluster: empty topic name\n");
        return -1;
    }
    err = rd_kafka_mock_topic_create(mc, name, parts, repl);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "mock_cluster: topic %s: %s\n", name, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

/* Runs one command line; writes the reply line into reply. Returns 1 on quit. */
static int run_command(rd_kafka_mock_cluster_t *mc, int brokers, char *line, char *reply,
                       size_t reply_size)
{
    char *argv[5];
    int argc = 0;
    int id, n, part;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    char *save = NULL;

    for (char *tok = strtok_r(line, " \t\r\n", &save); tok != NULL && argc < 5;
         tok = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = tok;

    snprintf(reply, reply_size, "ok");
    if (argc == 0)
        return 0; /* a blank line is answered, so a driver can use it as a ping */

    if (strcmp(argv[0], "quit") == 0 && argc == 1)
        return 1;
    if ((strcmp(argv[0], "down") == 0 || strcmp(argv[0], "up") == 0) && argc == 2) {
        /* The mock accepts any id; an unknown one would silently do nothing. */
        if (parse_int(argv[1], 1, brokers, &id) != 0)
            goto bad_id;
        err = argv[0][0] == 'd' ? rd_kafka_mock_broker_set_down(mc, id)
                                : rd_kafka_mock_broker_set_up(mc, id);
    } else if (strcmp(argv[0], "rtt") == 0 && argc == 3) {
        if (parse_int(argv[1], 1, brokers, &id) != 0)
            goto bad_id;
        if (parse_int(argv[2], 0, 600000, &n) != 0)
            goto bad_args;
        err = rd_kafka_mock_broker_set_rtt(mc, id, n);
    } else if (strcmp(argv[0], "leader") == 0 && argc == 4) {
        if (parse_int(argv[2], 0, 100000, &part) != 0)
            goto bad_args;
        if (parse_int(argv[3], -1, brokers, &id) != 0 || id == 0)
            goto bad_id;
        err = rd_kafka_mock_partition_set_leader(mc, argv[1], part, id);
    } else if (strcmp(argv[0], "perr") == 0 && argc == 4) {
        int code;
        if (parse_int(argv[1], 1, brokers, &id) != 0)
            goto bad_id;
        if (parse_int(argv[2], 1, 1000, &n) != 0 || parse_int(argv[3], 1, 32767, &code) != 0)
            goto bad_args;
        for (int i = 0; i < n && !err; i++) /* one at a time: the call is variadic */
            err = rd_kafka_mock_broker_push_request_error_rtts(mc, id, 0 /* Produce */, 1,
                                                               (rd_kafka_resp_err_t)code, 0);
    } else if (strcmp(argv[0], "rerr") == 0 && argc == 4) {
        int api, code;
        if (parse_int(argv[1], 0, 1000, &api) != 0 || parse_int(argv[2], 1, 1000, &n) != 0 ||
            parse_int(argv[3], 1, 32767, &code) != 0)
            goto bad_args;
        rd_kafka_resp_err_t errs[1000];
        for (int i = 0; i < n; i++)
            errs[i] = (rd_kafka_resp_err_t)code;
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)api, (size_t)n, errs);
    } else if (strcmp(argv[0], "topic") == 0 && (argc == 3 || argc == 4)) {
        n = default_replicas(brokers);
        if (parse_int(argv[2], 1, 100000, &part) != 0 ||
            (argc == 4 && parse_int(argv[3], 1, brokers, &n) != 0))
            goto bad_args;
        err = rd_kafka_mock_topic_create(mc, argv[1], part, n);
    } else {
        goto bad_args;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        snprintf(reply, reply_size, "error: %s", rd_kafka_err2str(err));
    return 0;

bad_id:
    snprintf(reply, reply_size, "error: broker id must be 1..%d", brokers);
    return 0;
bad_args:
    snprintf(reply, reply_size, "error: unknown command or wrong arguments");
    return 0;
}

/*
 * Reads stdin with read(2) behind poll(2) rather than stdio, so a signal is
 * noticed within 200 ms even while no input comes. Returns on quit, EOF
 * (unless keep_on_eof) or a signal.
 */
static void command_loop(rd_kafka_mock_cluster_t *mc, int brokers, int keep_on_eof)
{
    char buf[MC_LINE_MAX];
    size_t len = 0;
    int eof = 0;
    char reply[256];

    while (!stop_requested) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        ssize_t got;
        char *nl;

        if (eof) {
            pause(); /* -k: only a signal ends us */
            continue;
        }
        if (poll(&pfd, 1, 200) <= 0)
            continue;
        got = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (!keep_on_eof)
                return;
            eof = 1;
            continue;
        }
        len += (size_t)got;
        buf[len] = '\0';
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = '\0';
            if (run_command(mc, brokers, buf, reply, sizeof(reply)))
                return;
            printf("%s\n", reply);
            fflush(stdout);
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len + 1);
        }
        if (len == sizeof(buf) - 1) { /* an over-long line: drop it, say so */
            printf("error: line too long\n");
            fflush(stdout);
            len = 0;
        }
    }
}

int main(int argc, char **argv)
{
    int keep_on_eof = 0;
    int brokers = 0;
    int opt;
    int rc = 1;
    char errstr[512];
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    struct sigaction sa;

    while ((opt = getopt(argc, argv, "kh")) != -1) {
        switch (opt) {
        case 'k':
            keep_on_eof = 1;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind >= argc || parse_int(argv[optind], 1, MC_MAX_BROKERS, &brokers) != 0) {
        usage();
        return 2;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: poll/pause return at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a driver that went away must not kill us mid-reply */

    /* The mock cluster lives on a client handle's threads; a producer is the
     * lightest one and never needs a bootstrap of its own. */
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "mock_cluster: %s\n", errstr);
        goto fail;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        fprintf(stderr, "mock_cluster: %s\n", errstr);
        goto fail;
    }
    conf = NULL; /* owned by rk now */

    mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (mc == NULL) {
        fprintf(stderr, "mock_cluster: cannot create a mock cluster of %d brokers\n", brokers);
        goto fail;
    }
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);

    for (int i = optind + 1; i < argc; i++) {
        if (create_topic_spec(mc, argv[i], brokers) != 0)
            goto fail;
    }
    printf("ready\n");
    fflush(stdout);

    command_loop(mc, brokers, keep_on_eof);
    rc = 0;

fail:
    if (mc != NULL)
        rd_kafka_mock_cluster_destroy(mc);
    if (rk != NULL)
        rd_kafka_destroy(rk);
    if (conf != NULL)
        rd_kafka_conf_destroy(conf);
    return rc;
}
