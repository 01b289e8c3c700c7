/*
 * cmd_tag.c - `newsradar tag -c FILE [ARTICLE|-]`
 *
 * Tags articles offline with exactly the engine's decoder and tagger and
 * prints one JSON object per article (docs/article.md has both schemas):
 *
 *   {"id":"a1","entities":[{"id":"PK","kind":"country","name":"Pakistan",
 *     "code":"PK","mentions":2,"in_title":true,
 *     "spans":[[0,8,"title"],[120,128,"body"]]}],
 *    "topics":[{"id":"border_closure","score":2,"evidence":["closed the border"]}]}
 *
 * The input (a file, or stdin for `-` or no argument) is either one JSON
 * object, possibly pretty-printed over several lines, or JSONL. It is read
 * whole: this is a tool for people and tests; the service streams. Several
 * lines are one article when they decode (or at least parse) as one JSON
 * value, and JSONL otherwise. A bad
 * article gives `NAME:LINE: reason: message` on stderr and the run goes on.
 * Exit: 0 all tagged, 3 some input rejected, 2 configuration error, 1 I/O
 * error, 64 usage.
 */
#include "cmd.h"

#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/tagger.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: newsradar tag -c FILE [ARTICLE|-]\n"
               "\n"
               "  -c, --config FILE   the main configuration file\n"
               "  ARTICLE             one JSON article or a JSONL file (default: stdin)\n"
               "\n"
               "Prints one JSON object per article: its id, the entities found (with\n"
               "[start,end,field] byte spans into the original title/body) and the topics.\n"
               "\n"
               "exit status: 0 ok, 1 I/O error, 2 invalid configuration, 3 some input\n"
               "rejected, 64 usage error\n");
}

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = nr_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = nr_xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                free(buf);
                return NULL;
            }
            break;
        }
    }
    *len = n;
    return buf;
}

struct run {
    const char *name;
    const struct nr_config *cfg;
    struct nr_decoder *dec;
    const struct nr_tagger *tagger;
    struct nr_tag_scratch *scratch;
    unsigned long rejected;
    bool write_failed;
};

/* Decode, tag and print one article; false (and a message) if rejected. */
static bool tag_one(struct run *r, const char *msg, size_t len, unsigned long line, bool quiet)
{
    struct nr_article a;
    struct nr_error err = {{0}};
    enum nr_reject rj = nr_article_decode(r->dec, msg, len, &a, &err);
    if (rj != NR_REJECT_NONE) {
        if (!quiet) {
            fprintf(stderr, "%s:%lu: %s: %s\n", r->name, line, nr_reject_name(rj), err.msg);
            r->rejected++;
        }
        return false;
    }
    const struct nr_tags *t = nr_tagger_tag(r->tagger, r->scratch, &a);
    char *s = nr_tags_to_json(r->cfg, &a, t);
    if (!s || fputs(s, stdout) == EOF || putchar('\n') == EOF)
        r->write_failed = true;
    free(s);
    return true;
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    return true;
}

int nr_cmd_tag(int argc, char **argv)
{
    const char *path = NULL, *input = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "newsradar tag: %s needs a FILE\n", a);
                usage(stderr);
                return NR_EXIT_USAGE;
            }
            path = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            path = a + 9;
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

    int rc = NR_EXIT_FAILURE;
    struct nr_diags diags = {0};
    struct nr_config *cfg = NULL;
    struct nr_tagger *tagger = NULL;
    struct run r = {0};
    char *buf = NULL;
    FILE *f = NULL;
    struct nr_error err = {{0}};

    cfg = nr_config_load(path, &diags);
    if (!cfg) {
        nr_diags_print(&diags, stderr);
        rc = NR_EXIT_CONFIG;
        goto out;
    }
    tagger = nr_tagger_new(cfg, &err);
    if (!tagger) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        rc = NR_EXIT_CONFIG;
        goto out;
    }
    bool use_stdin = !input || strcmp(input, "-") == 0;
    f = use_stdin ? stdin : fopen(input, "rb");
    if (!f) {
        fprintf(stderr, "newsradar tag: %s: %s\n", input, strerror(errno));
        goto out;
    }
    size_t len = 0;
    buf = read_all(f, &len);
    if (!buf) {
        fprintf(stderr, "newsradar tag: %s: read error\n", use_stdin ? "<stdin>" : input);
        goto out;
    }
    r.name = use_stdin ? "<stdin>" : input;
    r.cfg = cfg;
    r.dec = nr_decoder_new(cfg);
    r.tagger = tagger;
    r.scratch = nr_tag_scratch_new(tagger);

    /* One object over several lines, or JSONL: if the input holds more than
     * one non-blank line and decodes whole, it is one (pretty-printed)
     * article; otherwise every non-blank line is an article. */
    size_t lines = 0;
    for (size_t i = 0, b = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            lines += !blank(buf + b, i - b);
            b = i + 1;
        }
    }
    json_t *whole = NULL;
    if (lines > 1 && tag_one(&r, buf, len, 1, true)) {
        /* done: a single article */
    } else if (lines > 1 && (whole = json_loadb(buf, len, 0, NULL)) != NULL) {
        /* one JSON value over several lines that is not a valid article:
         * one error, not one per line */
        json_decref(whole);
        tag_one(&r, buf, len, 1, false);
    } else {
        unsigned long line = 0;
        for (size_t i = 0, b = 0; i <= len; i++) {
            if (i < len && buf[i] != '\n')
                continue;
            line++;
            size_t n = i - b;
            if (n > 0 && buf[b + n - 1] == '\r')
                n--;
            if (!blank(buf + b, n))
                tag_one(&r, buf + b, n, line, false);
            b = i + 1;
        }
    }
    if (fflush(stdout) != 0 || r.write_failed) {
        fprintf(stderr, "newsradar tag: write error: %s\n", strerror(errno));
        goto out;
    }
    rc = r.rejected ? NR_EXIT_REJECTED : NR_EXIT_OK;
out:
    if (f && f != stdin)
        fclose(f);
    free(buf);
    nr_tag_scratch_free(r.scratch);
    nr_decoder_free(r.dec);
    nr_tagger_free(tagger);
    nr_config_free(cfg);
    nr_diags_free(&diags);
    return rc;
}
