/*
 * cmd_replay.c - `newsradar replay -c FILE [--summary-json] ARTICLES.jsonl|-`
 *
 * Runs the whole engine (decode, tag, count, detect) over a JSONL file in
 * event time, exactly as the service would, and writes every alert as one
 * JSON line to stdout. A bad line is reported on stderr as
 * `FILE:LINE: REASON: message` and skipped; a summary closes the run.
 *
 * Lines are read through a small bounded reader instead of getline(3): a
 * line longer than article.max_bytes is skipped while it streams past, so a
 * multi-gigabyte line without a newline costs one buffer of max_bytes, not
 * its own size. The buffer is reused, so the steady state does no malloc.
 *
 * Event time: an article without published_at takes the stream time (the
 * largest event time seen so far; the engine's fallback), so a replay of the
 * same file always gives the same alerts. An article without published_at
 * before any article with one has no time at all and is rejected
 * (invalid_published_at).
 */
#include "cmd.h"

#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- bounded line reader ------------------------------------------------ */

enum { LINE_EOF = 0, LINE_OK = 1, LINE_TOO_LONG = 2, LINE_ERROR = -1 };

struct reader {
    int fd;
    char *buf;
    size_t cap, beg, end;
    size_t limit; /* longest line returned whole */
    bool eof;
};

/* Next line without its newline in *p and *n (valid until the next call); for
 * LINE_TOO_LONG *n is the line's full length and *p is unusable. */
static int reader_next(struct reader *r, char **p, size_t *n)
{
    size_t scanned = 0, dropped = 0;
    bool dropping = false;
    for (;;) {
        size_t have = r->end - r->beg;
        char *nl = memchr(r->buf + r->beg + scanned, '\n', have - scanned);
        if (nl || (r->eof && (have > 0 || dropping))) {
            size_t len = nl ? (size_t)(nl - (r->buf + r->beg)) : have;
            *p = r->buf + r->beg;
            r->beg += len + (nl ? 1 : 0);
            *n = dropped + len;
            return dropping || len > r->limit ? LINE_TOO_LONG : LINE_OK;
        }
        if (r->eof)
            return LINE_EOF;
        scanned = have;
        if (scanned > r->limit) {
            /* too long: forget what we have, keep counting until '\n' */
            dropping = true;
            dropped += scanned;
            r->beg = r->end = 0;
            scanned = 0;
        } else if (r->beg > 0) {
            memmove(r->buf, r->buf + r->beg, have);
            r->end = have;
            r->beg = 0;
        }
        if (r->end == r->cap) {
            r->cap *= 2;
            r->buf = nr_xrealloc(r->buf, r->cap);
        }
        ssize_t got;
        do {
            got = read(r->fd, r->buf + r->end, r->cap - r->end);
        } while (got < 0 && errno == EINTR);
        if (got < 0)
            return LINE_ERROR;
        if (got == 0)
            r->eof = true;
        r->end += (size_t)got;
    }
}

/* ---- the command ----------------------------------------------------------- */

struct replay {
    const char *name; /* input name for messages */
    uint64_t lines;   /* non-blank lines */
    uint64_t skipped;
    uint64_t by_reason[NR_REJECT_COUNT];
    bool write_failed;
};

static void on_alert(void *ud, const struct nr_alert *alert)
{
    struct replay *rp = ud;
    char *json = nr_alert_to_json(alert);
    if (!json || fputs(json, stdout) == EOF || putchar('\n') == EOF)
        rp->write_failed = true;
    free(json);
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    }
    return true;
}

static void reject(struct replay *rp, uint64_t line, enum nr_reject r, const char *msg)
{
    rp->skipped++;
    rp->by_reason[r < NR_REJECT_COUNT ? r : 0]++;
    fprintf(stderr, "%s:%llu: %s: %s\n", rp->name, (unsigned long long)line, nr_reject_name(r),
            msg);
}

static void summary(const struct replay *rp, const struct nr_engine_stats *st, bool json)
{
    unsigned long long f = st->alerts[0], e = st->alerts[1], r = st->alerts[2];
    if (!json) {
        fprintf(stderr,
                "replay: %llu articles, %llu tagged, %llu skipped, %llu alerts (%llu firing, "
                "%llu escalated, %llu resolved), %llu duplicates, %llu late (%llu dropped), "
                "%llu keys (%llu evicted), %llu spikes still open\n",
                (unsigned long long)rp->lines, (unsigned long long)st->tagged,
                (unsigned long long)rp->skipped, f + e + r, f, e, r,
                (unsigned long long)st->duplicates, (unsigned long long)st->late,
                (unsigned long long)st->late_dropped, (unsigned long long)st->keys,
                (unsigned long long)st->keys_evicted, (unsigned long long)st->keys_firing);
        return;
    }
    fprintf(stderr,
            "{\"articles\":%llu,\"tagged\":%llu,\"skipped\":%llu,\"alerts\":%llu,"
            "\"firing\":%llu,\"escalated\":%llu,\"resolved\":%llu,\"duplicates\":%llu,"
            "\"late\":%llu,\"late_dropped\":%llu,\"keys\":%llu,\"keys_evicted\":%llu,"
            "\"keys_firing\":%llu,\"rejected\":{",
            (unsigned long long)rp->lines, (unsigned long long)st->tagged,
            (unsigned long long)rp->skipped, f + e + r, f, e, r, (unsigned long long)st->duplicates,
            (unsigned long long)st->late, (unsigned long long)st->late_dropped,
            (unsigned long long)st->keys, (unsigned long long)st->keys_evicted,
            (unsigned long long)st->keys_firing);
    bool first = true;
    for (int i = 1; i < NR_REJECT_COUNT; i++) {
        if (!rp->by_reason[i])
            continue;
        fprintf(stderr, "%s\"%s\":%llu", first ? "" : ",", nr_reject_name((enum nr_reject)i),
                (unsigned long long)rp->by_reason[i]);
        first = false;
    }
    fprintf(stderr, "}}\n");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: newsradar replay -c FILE [--summary-json] ARTICLES.jsonl|-\n"
               "\n"
               "Runs the engine over one article per line in event time; alerts go to\n"
               "stdout as JSON lines, rejected lines and a summary to stderr.\n"
               "\n"
               "  -c, --config FILE   the main configuration file (required)\n"
               "      --summary-json  print the summary as one JSON object\n"
               "  -h, --help          this text\n"
               "\n"
               "exit status: 0 ok, 1 I/O failure, 2 invalid configuration,\n"
               "3 some lines were rejected, 64 usage error\n");
}

int nr_cmd_replay(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"summary-json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cfg_path = NULL;
    bool summary_json = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            cfg_path = optarg;
            break;
        case 'j':
            summary_json = true;
            break;
        case 'h':
            usage(stdout);
            return NR_EXIT_OK;
        default:
            usage(stderr);
            return NR_EXIT_USAGE;
        }
    }
    if (!cfg_path || optind != argc - 1) {
        fprintf(stderr, "newsradar replay: %s\n",
                !cfg_path ? "-c FILE is required" : "expected exactly one input file");
        usage(stderr);
        return NR_EXIT_USAGE;
    }
    const char *input = argv[optind];

    int rc = NR_EXIT_FAILURE;
    struct nr_diags diags = {0};
    struct nr_config *cfg = NULL;
    struct nr_engine *engine = NULL;
    struct reader rd = {.fd = -1};
    struct nr_error err = {{0}};
    struct replay rp = {.name = input};

    /* the input first: a mistyped path fails before a costly config load */
    bool is_stdin = strcmp(input, "-") == 0;
    rd.fd = is_stdin ? STDIN_FILENO : open(input, O_RDONLY | O_CLOEXEC);
    if (rd.fd < 0) {
        fprintf(stderr, "newsradar replay: %s: %s\n", input, strerror(errno));
        goto out;
    }
    if (is_stdin)
        rp.name = "<stdin>";

    cfg = nr_config_load(cfg_path, &diags);
    if (!cfg) {
        nr_diags_print(&diags, stderr);
        rc = NR_EXIT_CONFIG;
        goto out;
    }
    engine = nr_engine_new(cfg, &err);
    if (!engine) {
        fprintf(stderr, "newsradar replay: %s: %s\n", cfg_path, err.msg);
        rc = NR_EXIT_CONFIG;
        goto out;
    }
    rd.limit = cfg->max_article_bytes;
    rd.cap = 64 * 1024;
    rd.buf = nr_xmalloc(rd.cap);

    uint64_t lineno = 0;
    for (;;) {
        char *p;
        size_t n;
        int got = reader_next(&rd, &p, &n);
        if (got == LINE_EOF)
            break;
        if (got == LINE_ERROR) {
            fprintf(stderr, "newsradar replay: %s: read error: %s\n", rp.name, strerror(errno));
            goto out;
        }
        lineno++;
        if (got == LINE_TOO_LONG) {
            char m[96];
            snprintf(m, sizeof(m), "line is %zu bytes, limit %zu", n, rd.limit);
            rp.lines++;
            reject(&rp, lineno, NR_REJECT_TOO_LARGE, m);
            continue;
        }
        if (blank(p, n))
            continue;
        rp.lines++;
        enum nr_reject r = nr_engine_process(engine, p, n, NR_TIME_NONE, on_alert, &rp, &err);
        if (r != NR_REJECT_NONE) {
            reject(&rp, lineno, r, err.msg);
            continue;
        }
    }

    struct nr_engine_stats st;
    nr_engine_stats_get(engine, &st);
    if (fflush(stdout) != 0 || ferror(stdout) || rp.write_failed) {
        fprintf(stderr, "newsradar replay: writing alerts failed: %s\n", strerror(errno));
        goto out;
    }
    summary(&rp, &st, summary_json);
    rc = rp.skipped ? NR_EXIT_REJECTED : NR_EXIT_OK;
out:
    if (rd.fd > STDIN_FILENO)
        close(rd.fd);
    free(rd.buf);
    nr_engine_free(engine);
    nr_config_free(cfg);
    nr_diags_free(&diags);
    return rc;
}
