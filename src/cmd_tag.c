/*
 * cmd_tag.c - `newsradar tag -c FILE [--explain] [ARTICLE|-]`
 *
 * Tags articles offline with exactly the engine's decoder and tagger and
 * prints one JSON object per article (docs/article.md has both schemas):
 *
 *   {"id":"a1","entities":[{"id":"PK","kind":"country","name":"Pakistan",
 *     "code":"PK","mentions":2,"in_title":true,
 *     "spans":[[0,8,"title"],[120,128,"body"]]}],
 *    "topics":[{"id":"border_closure","score":2,"evidence":["closed the border"]}]}
 *
 * --explain adds an "explain" member: the text of every entity span, and
 * for every topic with a term match its signals, term matches (field, byte
 * span, text, masking), points, score and threshold.
 *
 * The input (a file, or stdin for `-` or no argument) is cut into JSON texts
 * by cmd_input.c: JSONL, pretty-printed objects one after another, arrays
 * and envelopes of articles (one output line per article). It streams: each
 * article is written as it is tagged, and flushed per line when stdout is a
 * pipe or a terminal, so `tail -f | newsradar tag` works and memory stays
 * one text. A bad article gives `newsradar tag: NAME:LINE: reason: message`
 * on stderr (the first 100, then only counted) and the run goes on.
 * Exit: 0 all tagged, 3 some input rejected, 2 configuration error, 1 I/O
 * error, 64 usage.
 */
#include "cmd.h"
#include "cmd_input.h"

#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/tagger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: newsradar tag -c FILE [--explain] [ARTICLE|-]\n"
               "\n"
               "  -c, --config FILE   the main configuration file\n"
               "  --explain           also say why: span texts, and per topic the signals,\n"
               "                      term matches, weights, points, score and threshold\n"
               "  ARTICLE             one JSON article or a JSONL file (default: stdin)\n"
               "\n"
               "Prints one JSON object per article: its id, the entities found (with\n"
               "[start,end,field] byte spans into the original title/body) and the topics.\n"
               "\n"
               "exit status: 0 ok, 1 I/O error, 2 invalid configuration, 3 some input\n"
               "rejected, 64 usage error\n");
}

struct run {
    const char *name;
    const struct nr_config *cfg;
    struct nr_decoder *dec;
    const struct nr_tagger *tagger;
    struct nr_tag_scratch *scratch;
    unsigned long rejected;
    bool write_failed, line_flush, explain;
};

static void rejected(struct run *r, unsigned long line, size_t index, enum nr_reject rj,
                     const char *msg)
{
    r->rejected++;
    if (r->rejected > NR_CLI_MAX_MESSAGES)
        return;
    if (index > 0)
        fprintf(stderr, "newsradar tag: %s:%lu: article %zu: %s: %s\n", r->name, line, index + 1,
                nr_reject_name(rj), msg);
    else
        fprintf(stderr, "newsradar tag: %s:%lu: %s: %s\n", r->name, line, nr_reject_name(rj), msg);
}

/* Decode, tag and print every article of one JSON text. */
static void tag_text(struct run *r, const char *msg, size_t len, unsigned long line)
{
    struct nr_error err = {{0}};
    enum nr_reject rj;
    size_t n = nr_article_open(r->dec, msg, len, &rj, &err);
    if (rj != NR_REJECT_NONE) {
        rejected(r, line, 0, rj, err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct nr_article a;
        rj = nr_article_record(r->dec, i, &a, &err);
        if (rj != NR_REJECT_NONE) {
            rejected(r, line, i, rj, err.msg);
            continue;
        }
        if (nr_tag_scratch_reserve(r->scratch, &a) < 0) {
            rejected(r, line, i, NR_REJECT_TOO_LARGE, "out of memory for the normalized text");
            continue;
        }
        const struct nr_tags *t = nr_tagger_tag(r->tagger, r->scratch, &a);
        if (nr_tag_scratch_failed(r->scratch)) {
            rejected(r, line, i, NR_REJECT_TOO_LARGE, "out of memory for the matches");
            continue;
        }
        char *s = r->explain ? nr_tagger_explain_json(r->cfg, r->tagger, r->scratch, &a, t)
                             : nr_tags_to_json(r->cfg, &a, t);
        if (!s || fputs(s, stdout) == EOF || putchar('\n') == EOF ||
            (r->line_flush && fflush(stdout) == EOF))
            r->write_failed = true;
        free(s);
    }
}

int nr_cmd_tag(int argc, char **argv)
{
    const char *path = NULL, *input = NULL;
    bool explain = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int got = nr_cli_file_arg("tag", argc, argv, &i, "-c", "--config", &path);
        if (got < 0) {
            usage(stderr);
            return NR_EXIT_USAGE;
        }
        if (got > 0)
            continue;
        if (strcmp(a, "--explain") == 0) {
            explain = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return NR_EXIT_OK;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "newsradar tag: unknown option '%s'\n", a);
            usage(stderr);
            return NR_EXIT_USAGE;
        } else if (!input) {
            input = a;
        } else {
            fprintf(stderr, "newsradar tag: unexpected argument '%s'\n", a);
            usage(stderr);
            return NR_EXIT_USAGE;
        }
    }
    if (!path || !*path) {
        fprintf(stderr, "newsradar tag: -c FILE is required\n");
        usage(stderr);
        return NR_EXIT_USAGE;
    }

    int rc;
    struct nr_config *cfg = NULL;
    struct nr_tagger *tagger = NULL;
    struct run r = {0};
    struct input in = {.fd = -1};
    int fd = -1;
    if ((rc = nr_cli_load_tagger("tag", path, &cfg, &tagger)) != 0)
        goto out;
    rc = NR_EXIT_FAILURE;
    bool use_stdin = !input || strcmp(input, "-") == 0;
    fd = use_stdin ? STDIN_FILENO : open(input, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "newsradar tag: %s: %s\n", input, strerror(errno));
        goto out;
    }
    r.name = use_stdin ? "<stdin>" : input;
    r.cfg = cfg;
    r.dec = nr_decoder_new(cfg);
    r.tagger = tagger;
    r.scratch = nr_tag_scratch_new(tagger);
    r.explain = explain;
    /* a pipe or a terminal reads each line as it comes: flush per line */
    struct stat sb;
    r.line_flush =
        isatty(STDOUT_FILENO) || (fstat(STDOUT_FILENO, &sb) == 0 && S_ISFIFO(sb.st_mode));
    input_init(&in, fd, cfg->max_article_bytes);
    for (;;) {
        char *p;
        size_t n;
        uint64_t line;
        int got = input_next(&in, &p, &n, &line);
        if (got == INPUT_EOF)
            break;
        if (got == INPUT_ERROR) {
            fprintf(stderr, "newsradar tag: %s: read error: %s\n", r.name, strerror(errno));
            goto out;
        }
        if (got == INPUT_TOO_LONG) {
            char m[96];
            if (in.oom)
                snprintf(m, sizeof(m), "%zu bytes: out of memory for the text", n);
            else
                snprintf(m, sizeof(m), "%zu bytes, limit %zu (article.max_bytes)", n, in.limit);
            rejected(&r, (unsigned long)line, 0, NR_REJECT_TOO_LARGE, m);
            continue;
        }
        tag_text(&r, p, n, (unsigned long)line);
        if (r.write_failed)
            break;
    }
    if (fflush(stdout) != 0 || r.write_failed) {
        fprintf(stderr, "newsradar tag: write error: %s\n", strerror(errno));
        goto out;
    }
    if (r.rejected > NR_CLI_MAX_MESSAGES)
        fprintf(stderr, "newsradar tag: %lu more rejected articles not shown\n",
                r.rejected - NR_CLI_MAX_MESSAGES);
    rc = r.rejected ? NR_EXIT_REJECTED : NR_EXIT_OK;
out:
    if (fd > STDIN_FILENO)
        close(fd);
    input_free(&in);
    nr_tag_scratch_free(r.scratch);
    nr_decoder_free(r.dec);
    nr_tagger_free(tagger);
    nr_config_free(cfg);
    return rc;
}
