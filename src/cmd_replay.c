/*
 * cmd_replay.c - `newsradar replay -c FILE [OPTIONS] ARTICLES|-`
 *
 * Runs the whole engine (decode, tag, count, detect) over a file of articles
 * in event time, exactly as the service would, and writes every alert as one
 * JSON line to stdout. The input is cut into JSON texts by cmd_input.c
 * (JSONL, pretty-printed objects, arrays and envelopes of articles). A bad
 * article is reported on stderr as `newsradar replay: FILE:LINE: REASON:
 * message` (the first 100; then only counted) and skipped; a summary closes
 * the run.
 *
 * Event time: an article without published_at takes the stream time (the
 * largest event time seen so far; the engine's fallback), so a replay of the
 * same file always gives the same alerts. The arrival time of every article
 * is this machine's clock when it is read: an article dated more than
 * engine.max_future after it is future-dated (engine.future_policy).
 * Input out of order beyond engine.grace is counted late and warned about;
 * --sort (cmd_sort.c) orders it by event time first.
 *
 * Signals: SIGINT and SIGTERM stop the run after the article being
 * processed; the alerts so far are flushed, the summary printed, and the
 * exit status is 130 or 143 (128 + signal), so no half-written line is left.
 */
#include "cmd.h"
#include "cmd_input.h"
#include "cmd_sort.h"

#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/engine.h"
#include "newsradar/calibrate.h"
#include "newsradar/report.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    g_stop = sig;
}

struct progress {
    bool on, tty;
    double last;
    uint64_t total; /* input size when known, else 0 */
};

struct replay {
    const char *name;  /* input name for messages */
    uint64_t lines;    /* JSON texts read */
    uint64_t articles; /* articles in them (an array holds several) */
    uint64_t skipped;
    uint64_t by_reason[NR_REJECT_COUNT];
    uint64_t line; /* the text being processed */
    uint64_t shown;
    bool quiet, write_failed, line_flush;
    struct nr_engine *engine;
    struct input *in;
    struct progress *pg;
    struct nr_report *report; /* --report, else NULL */
    struct nr_calib *calib;   /* --calibrate, else NULL */
};

/* The detector has one observer: hand each evaluation to both users. */
static void on_observe(void *ud, const struct nr_detect_obs *o)
{
    struct replay *rp = ud;
    if (rp->report)
        nr_report_observe(rp->report, o);
    if (rp->calib)
        nr_calib_observe(rp->calib, o);
}

static void on_alert(void *ud, const struct nr_alert *alert)
{
    struct replay *rp = ud;
    if (rp->report)
        nr_report_alert(rp->report, alert);
    if (rp->calib)
        nr_calib_alert(rp->calib, alert);
    char *json = nr_alert_to_json(alert);
    if (!json || fputs(json, stdout) == EOF || putchar('\n') == EOF ||
        (rp->line_flush && fflush(stdout) == EOF))
        rp->write_failed = true;
    free(json);
}

static void reject(struct replay *rp, uint64_t line, size_t index, enum nr_reject r,
                   const char *msg)
{
    rp->skipped++;
    rp->by_reason[r < NR_REJECT_COUNT ? r : 0]++;
    if (rp->quiet || rp->shown >= NR_CLI_MAX_MESSAGES)
        return;
    rp->shown++;
    if (line == 0) /* held by the engine, settled at the end (the message names it) */
        fprintf(stderr, "newsradar replay: %s: %s: %s\n", rp->name, nr_reject_name(r), msg);
    else if (index > 0)
        fprintf(stderr, "newsradar replay: %s:%llu: article %zu: %s: %s\n", rp->name,
                (unsigned long long)line, index + 1, nr_reject_name(r), msg);
    else
        fprintf(stderr, "newsradar replay: %s:%llu: %s: %s\n", rp->name, (unsigned long long)line,
                nr_reject_name(r), msg);
}

static void on_reject(void *ud, long index, enum nr_reject r, const char *msg, struct nr_str record)
{
    (void)record;
    struct replay *rp = ud;
    reject(rp, rp->line, index > 0 ? (size_t)index : 0, r, msg);
}

static uint64_t field_errors(const struct nr_engine_stats *st)
{
    uint64_t n = 0;
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        n += st->field_errors[f];
    return n;
}

static void summary_text(const struct replay *rp, const struct nr_engine_stats *st)
{
    unsigned long long f = st->alerts[0], e = st->alerts[1], r = st->alerts[2];
    fprintf(stderr,
            "newsradar replay: %llu articles, %llu tagged, %llu skipped, %llu alerts (%llu "
            "firing, %llu escalated, %llu resolved), %llu duplicates, %llu late (%llu dropped), "
            "%llu future, %llu undated held (%llu at arrival time), %llu field errors, %llu UTF-8 "
            "repairs, %llu boilerplate, %llu keys "
            "(%llu evicted), %llu spikes still open\n",
            (unsigned long long)rp->articles, (unsigned long long)st->tagged,
            (unsigned long long)rp->skipped, f + e + r, f, e, r, (unsigned long long)st->duplicates,
            (unsigned long long)st->late, (unsigned long long)st->late_dropped,
            (unsigned long long)st->future, (unsigned long long)st->undated_held,
            (unsigned long long)st->undated_arrival, (unsigned long long)field_errors(st),
            (unsigned long long)st->utf8_repairs, (unsigned long long)st->boilerplate,
            (unsigned long long)st->keys, (unsigned long long)st->keys_evicted,
            (unsigned long long)st->keys_firing);
}

static void summary_json(const struct replay *rp, const struct nr_engine_stats *st)
{
    unsigned long long f = st->alerts[0], e = st->alerts[1], r = st->alerts[2];
    fprintf(stderr,
            "{\"articles\":%llu,\"tagged\":%llu,\"skipped\":%llu,\"alerts\":%llu,"
            "\"firing\":%llu,\"escalated\":%llu,\"resolved\":%llu,\"duplicates\":%llu,"
            "\"late\":%llu,\"late_dropped\":%llu,\"late_articles\":%llu,\"future\":%llu,"
            "\"undated_held\":%llu,\"undated_arrival\":%llu,\"utf8_"
            "repairs\":%llu,"
            "\"boilerplate\":%llu,\"keys\":%llu,\"keys_evicted\":%llu,\"keys_firing\":%llu,\"field_"
            "errors\":{",
            (unsigned long long)rp->articles, (unsigned long long)st->tagged,
            (unsigned long long)rp->skipped, f + e + r, f, e, r, (unsigned long long)st->duplicates,
            (unsigned long long)st->late, (unsigned long long)st->late_dropped,
            (unsigned long long)st->late_articles, (unsigned long long)st->future,
            (unsigned long long)st->undated_held, (unsigned long long)st->undated_arrival,
            (unsigned long long)st->utf8_repairs, (unsigned long long)st->boilerplate,
            (unsigned long long)st->keys, (unsigned long long)st->keys_evicted,
            (unsigned long long)st->keys_firing);
    bool first = true;
    for (int i = 0; i < NR_FIELD_COUNT; i++) {
        if (!st->field_errors[i])
            continue;
        fprintf(stderr, "%s\"%s\":%llu", first ? "" : ",", nr_field_names[i],
                (unsigned long long)st->field_errors[i]);
        first = false;
    }
    fprintf(stderr, "},\"rejected\":{");
    first = true;
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
    fprintf(f, "usage: newsradar replay -c FILE [OPTIONS] ARTICLES|-\n"
               "\n"
               "Runs the engine over a file of articles (JSONL, pretty-printed objects,\n"
               "arrays or envelopes of articles) in event time; alerts go to stdout as\n"
               "JSON lines, rejected articles and a summary to stderr.\n"
               "\n"
               "  -c, --config FILE     the main configuration file (required)\n"
               "      --summary-json    print the summary as one JSON object\n"
               "      --sort            order the input by event time first (bounded\n"
               "                        memory: sorted runs on disk past --sort-memory)\n"
               "      --sort-memory N   bytes of articles held in memory by --sort\n"
               "                        (default 268435456; K, M, G suffixes)\n"
               "      --progress        a progress line on stderr even when it is not a\n"
               "                        terminal (default: only on a terminal)\n"
               "      --calibrate RATE  per rule: episodes per day and per key, and the\n"
               "                        min_ratio giving RATE episodes a day (table on\n"
               "                        stderr)\n"
               "      --calibrate-json FILE  the same as one JSON object in FILE\n"
               "      --report FILE     also write a self-contained HTML report of the\n"
               "                        back-test (alerts, timelines, evidence) to FILE\n"
               "  -q, --quiet           no progress line and no per-article messages\n"
               "  -h, --help            this text\n"
               "\n"
               "exit status: 0 ok, 1 I/O failure, 2 invalid configuration,\n"
               "3 some articles were rejected, 64 usage error, 130/143 stopped by\n"
               "SIGINT/SIGTERM (alerts so far written, summary printed)\n");
}

static void progress_show(struct progress *pg, const struct replay *rp, bool final);

/* One JSON text (p == NULL: longer than article.max_bytes, n bytes) through
 * the engine. Returns false once a signal asks to stop. */
static bool one_text(void *ud, const char *p, size_t n, uint64_t line)
{
    struct replay *rp = ud;
    rp->lines++;
    if (!p) {
        char m[96];
        if (rp->in->oom)
            snprintf(m, sizeof(m), "%zu bytes: out of memory for the text", n);
        else
            snprintf(m, sizeof(m), "%zu bytes, limit %zu (article.max_bytes)", n, rp->in->limit);
        rp->articles++;
        reject(rp, line, 0, NR_REJECT_TOO_LARGE, m);
        return !g_stop;
    }
    rp->line = line;
    rp->articles +=
        nr_engine_feed(rp->engine, p, n, NR_TIME_NONE, nr_clock_wall_ms(), on_alert, on_reject, rp);
    progress_show(rp->pg, rp, false);
    return !g_stop;
}

static void progress_show(struct progress *pg, const struct replay *rp, bool final)
{
    const struct input *in = rp->in;
    const struct nr_engine *e = rp->engine;
    if (!pg->on)
        return;
    double now = nr_clock_mono_s();
    if (!final && now - pg->last < 1.0)
        return;
    pg->last = now;
    struct nr_engine_stats st;
    nr_engine_stats_get(e, &st);
    char pct[16] = "";
    if (pg->total)
        snprintf(pct, sizeof(pct), " (%.0f%%)", 100.0 * (double)in->bytes / (double)pg->total);
    fprintf(stderr, "%snewsradar replay: %llu articles, %.1f MB%s, %llu alerts, %llu skipped%s",
            pg->tty ? "\r" : "", (unsigned long long)rp->articles, (double)in->bytes / 1e6, pct,
            (unsigned long long)(st.alerts[0] + st.alerts[1] + st.alerts[2]),
            (unsigned long long)rp->skipped, pg->tty ? "\033[K" : "\n");
    if (final && pg->tty)
        fprintf(stderr, "\r\033[K");
}

/* The command line of one replay. */
struct replay_args {
    const char *cfg_path, *report_path, *calib_json, *input;
    double calib_rate; /* --calibrate, else 0 */
    bool want_json, sort, force_progress, quiet;
    size_t sort_mem;
};

/* Fills *a from the command line. Returns -1 to go on, else the exit
 * status (help, usage error). */
static int parse_args(int argc, char **argv, struct replay_args *a)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"summary-json", no_argument, NULL, 'j'},
        {"sort", no_argument, NULL, 's'},
        {"sort-memory", required_argument, NULL, 'm'},
        {"progress", no_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"report", required_argument, NULL, 'r'},
        {"calibrate", required_argument, NULL, 'C'},
        {"calibrate-json", required_argument, NULL, 'J'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct replay_args){.sort_mem = (size_t)256 << 20};
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            a->cfg_path = optarg;
            break;
        case 'j':
            a->want_json = true;
            break;
        case 's':
            a->sort = true;
            break;
        case 'm':
            if (nr_cli_parse_size(optarg, &a->sort_mem) < 0 || a->sort_mem < 4096) {
                fprintf(stderr, "newsradar replay: --sort-memory: bad size '%s'\n", optarg);
                return NR_EXIT_USAGE;
            }
            break;
        case 'r':
            a->report_path = optarg;
            break;
        case 'C': {
            char *end;
            a->calib_rate = strtod(optarg, &end);
            if (*end || !(a->calib_rate > 0) || a->calib_rate > 1e6) {
                fprintf(stderr,
                        "newsradar replay: --calibrate: bad rate '%s' (episodes per day, "
                        "> 0)\n",
                        optarg);
                return NR_EXIT_USAGE;
            }
            break;
        }
        case 'J':
            a->calib_json = optarg;
            break;
        case 'p':
            a->force_progress = true;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return NR_EXIT_OK;
        case ':':
            fprintf(stderr, "newsradar replay: %s needs an argument\n", argv[optind - 1]);
            usage(stderr);
            return NR_EXIT_USAGE;
        default:
            fprintf(stderr, "newsradar replay: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return NR_EXIT_USAGE;
        }
    }
    if (!a->cfg_path || optind != argc - 1) {
        fprintf(stderr, "newsradar replay: %s\n",
                !a->cfg_path ? "-c FILE is required" : "expected exactly one input file");
        usage(stderr);
        return NR_EXIT_USAGE;
    }
    a->input = argv[optind];
    if (a->calib_json && a->calib_rate == 0)
        a->calib_rate = 1.0;
    return -1;
}

/* What one run holds; replay_close frees it. */
struct replay_run {
    const struct replay_args *a;
    struct nr_diags diags;
    struct nr_config *cfg;
    struct nr_engine *engine;
    struct input in;
    int fd;
    FILE *report_f; /* --report: created first, removed unless written */
    struct nr_error err;
    struct replay rp;
    struct progress pg;
};

/* The input and the report file first (a mistyped path fails before a
 * costly config load), then the config and the engine with the report's
 * and calibration's hooks. Returns 0, else the exit status. */
static int replay_open(struct replay_run *r)
{
    const struct replay_args *a = r->a;
    bool is_stdin = strcmp(a->input, "-") == 0;
    r->fd = is_stdin ? STDIN_FILENO : open(a->input, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        fprintf(stderr, "newsradar replay: %s: %s\n", a->input, strerror(errno));
        return NR_EXIT_FAILURE;
    }
    if (is_stdin)
        r->rp.name = "<stdin>";
    if (a->report_path) {
        r->report_f = fopen(a->report_path, "w");
        if (!r->report_f) {
            fprintf(stderr, "newsradar replay: --report %s: %s\n", a->report_path, strerror(errno));
            return NR_EXIT_FAILURE;
        }
    }
    r->cfg = nr_config_load(a->cfg_path, &r->diags);
    if (!r->cfg) {
        nr_diags_print(&r->diags, stderr);
        return NR_EXIT_CONFIG;
    }
    r->engine = nr_engine_new(r->cfg, &r->err);
    if (!r->engine) {
        fprintf(stderr, "newsradar replay: %s: %s\n", a->cfg_path, r->err.msg);
        return NR_EXIT_CONFIG;
    }
    nr_engine_hold(r->engine, true);
    if (r->report_f) {
        r->rp.report = nr_report_new(r->cfg);
        nr_engine_set_tag_hook(r->engine, nr_report_tagged, r->rp.report);
    }
    if (a->calib_rate > 0)
        r->rp.calib = nr_calib_new(r->cfg, a->calib_rate);
    if (r->rp.report || r->rp.calib)
        nr_detector_set_observer(nr_engine_detector(r->engine), on_observe, &r->rp);
    input_init(&r->in, r->fd, r->cfg->max_article_bytes);
    r->in.stop = &g_stop;
    r->rp.engine = r->engine;
    r->rp.in = &r->in;
    r->rp.pg = &r->pg;
    return 0;
}

/* Output flushing, the progress line and the signals that stop the run. */
static void replay_terminal(struct replay_run *r)
{
    struct stat sb;
    /* a pipe or a terminal sees each alert as it is raised */
    r->rp.line_flush =
        isatty(STDOUT_FILENO) || (fstat(STDOUT_FILENO, &sb) == 0 && S_ISFIFO(sb.st_mode));
    r->pg.tty = isatty(STDERR_FILENO);
    r->pg.on = !r->a->quiet && (r->a->force_progress || r->pg.tty);
    r->pg.last = nr_clock_mono_s();
    if (fstat(r->fd, &sb) == 0 && S_ISREG(sb.st_mode))
        r->pg.total = (uint64_t)sb.st_size;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: a blocked read returns */
    sigaction(SIGTERM, &sa, NULL);
}

/* Every text of the input through the engine (sorted first with --sort),
 * then what the engine still holds (an interrupted run settles it too).
 * Returns 0, or -1 on a read or sort failure. */
static int replay_feed(struct replay_run *r)
{
    struct replay *rp = &r->rp;
    if (r->a->sort) {
        uint64_t too_long;
        if (nr_cli_sort(r->cfg, &r->in, r->a->sort_mem, one_text, rp, &too_long, &r->err) < 0 &&
            !g_stop) {
            fprintf(stderr, "newsradar replay: --sort: %s: %s\n", rp->name, r->err.msg);
            return -1;
        }
    } else {
        while (!g_stop) {
            char *p;
            size_t n;
            uint64_t line;
            int got = input_next(&r->in, &p, &n, &line);
            if (got == INPUT_EOF)
                break;
            if (got == INPUT_ERROR) {
                if (errno == EINTR && g_stop)
                    break;
                fprintf(stderr, "newsradar replay: %s: read error: %s\n", rp->name,
                        strerror(errno));
                return -1;
            }
            one_text(rp, got == INPUT_TOO_LONG ? NULL : p, n, line);
        }
    }
    rp->line = 0;
    nr_engine_flush(r->engine, on_alert, on_reject, rp);
    progress_show(&r->pg, rp, true);
    return 0;
}

/* --report: the HTML page of the back-test. 0, or -1 when writing failed. */
static int write_report(struct replay_run *r, const struct nr_engine_stats *st)
{
    const struct replay *rp = &r->rp;
    struct nr_report_run run = {.input = rp->name,
                                .config = r->a->cfg_path,
                                .articles = rp->articles,
                                .skipped = rp->skipped,
                                .stats = *st,
                                .sorted = r->a->sort,
                                .stopped = (int)g_stop};
    memcpy(run.by_reason, rp->by_reason, sizeof(run.by_reason));
    int wr = nr_report_write(rp->report, &run, r->report_f);
    if (fclose(r->report_f) != 0)
        wr = -1;
    r->report_f = NULL;
    if (wr != 0) {
        fprintf(stderr, "newsradar replay: --report %s: writing failed: %s\n", r->a->report_path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* --calibrate: the table on stderr, and with --calibrate-json the same as
 * JSON. 0, or -1 when writing failed. */
static int write_calibration(struct replay_run *r)
{
    if (nr_calib_write_text(r->rp.calib, stderr) != 0)
        return -1;
    const char *path = r->a->calib_json;
    if (!path)
        return 0;
    FILE *jf = fopen(path, "w");
    int wr = jf ? nr_calib_write_json(r->rp.calib, jf) : -1;
    if (jf && fclose(jf) != 0)
        wr = -1;
    if (wr != 0) {
        fprintf(stderr, "newsradar replay: --calibrate-json %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* After the feed: the alerts flushed, the warnings, the report and
 * calibration, the summary. Returns the exit status. */
static int replay_finish(struct replay_run *r)
{
    const struct replay *rp = &r->rp;
    struct nr_engine_stats st;
    nr_engine_stats_get(r->engine, &st);
    if (fflush(stdout) != 0 || ferror(stdout) || rp->write_failed) {
        fprintf(stderr, "newsradar replay: writing alerts failed: %s\n", strerror(errno));
        return NR_EXIT_FAILURE;
    }
    if (rp->skipped > rp->shown && !r->a->quiet)
        fprintf(stderr, "newsradar replay: %llu more rejected articles not shown\n",
                (unsigned long long)(rp->skipped - rp->shown));
    if (st.late_articles > 0 && !r->a->sort)
        fprintf(stderr,
                "newsradar replay: warning: %llu article%s came later than engine.grace behind "
                "the newest one (%llu count events; input out of order?); alerts depend on the "
                "order: try --sort\n",
                (unsigned long long)st.late_articles, st.late_articles == 1 ? "" : "s",
                (unsigned long long)st.late);
    if (rp->report && write_report(r, &st) != 0)
        return NR_EXIT_FAILURE;
    if (rp->calib && write_calibration(r) != 0)
        return NR_EXIT_FAILURE;
    if (r->a->want_json)
        summary_json(rp, &st);
    else
        summary_text(rp, &st);
    return g_stop ? 128 + (int)g_stop : rp->skipped ? NR_EXIT_REJECTED : NR_EXIT_OK;
}

static void replay_close(struct replay_run *r)
{
    if (r->report_f) { /* not written: no empty page left behind */
        fclose(r->report_f);
        unlink(r->a->report_path);
    }
    nr_report_free(r->rp.report);
    nr_calib_free(r->rp.calib);
    if (r->fd > STDIN_FILENO)
        close(r->fd);
    input_free(&r->in);
    nr_engine_free(r->engine);
    nr_config_free(r->cfg);
    nr_diags_free(&r->diags);
}

int nr_cmd_replay(int argc, char **argv)
{
    struct replay_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct replay_run r = {
        .a = &a, .in = {.fd = -1}, .fd = -1, .rp = {.name = a.input, .quiet = a.quiet}};
    rc = replay_open(&r);
    if (rc == 0) {
        replay_terminal(&r);
        rc = replay_feed(&r) == 0 ? replay_finish(&r) : NR_EXIT_FAILURE;
    }
    replay_close(&r);
    return rc;
}
