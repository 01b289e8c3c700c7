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
 * --text reads the input as one plain-text article (a saved web page, a
 * wire story pasted into a file): one line is the title when more text
 * follows (cmd_tag_title.c: a repeated headline, else the first
 * headline-like line after a masthead, else the first line of at most
 * NR_TEXT_TITLE_MAX bytes), the other lines the body, the file's name the
 * id. It goes through the same decoder as a JSON article (made here with
 * every byte kept: the decoder repairs or rejects invalid UTF-8 as
 * `article.invalid_utf8` says).
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
#include "cmd_tag_title.h"

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
    fprintf(f, "usage: newsradar tag -c FILE [--explain] [--text] [ARTICLE|-]\n"
               "\n"
               "  -c, --config FILE   the main configuration file\n"
               "  --explain           also say why: span texts, and per topic the signals,\n"
               "                      term matches, weights, points, score and threshold\n"
               "  --text              ARTICLE is one plain-text article: a headline line the\n"
               "                      title (past a web page's masthead), the rest the\n"
               "                      body, the file name the id\n"
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

/* s[0..n) as the contents of a JSON string: quote, backslash and control
 * bytes escaped, every other byte as it is. Not jansson (which refuses
 * invalid UTF-8): the decoder is what repairs or rejects it, as for any
 * article. */
static void json_put(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
    nr_grow((void **)out, cap, *len + 6 * n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t') {
            (*out)[(*len)++] = '\\';
            (*out)[(*len)++] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : (char)c;
        } else if (c < 0x20) {
            *len += (size_t)snprintf(*out + *len, 7, "\\u%04x", c);
        } else {
            (*out)[(*len)++] = (char)c;
        }
    }
}

/* The plain text t[0..n) (its name: the id) as one JSON article. */
static char *text_article(const char *name, const char *t, size_t n, size_t *out_len)
{
    if (n >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0) { /* a byte order mark */
        t += 3;
        n -= 3;
    }
    size_t a = 0;
    while (a < n && (t[a] == ' ' || t[a] == '\t' || t[a] == '\r' || t[a] == '\n'))
        a++;
    size_t ts = 0, te = 0, next = 0;
    bool title = nr_text_title(t, n, a, &ts, &te, &next);
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    char *out = NULL;
    size_t len = 0, cap = 0;
    nr_grow((void **)&out, &cap, 16, 1);
    len = (size_t)snprintf(out, cap, "{\"id\":\"");
    json_put(&out, &len, &cap, base, strlen(base));
    if (title) {
        nr_grow((void **)&out, &cap, len + 12, 1);
        memcpy(out + len, "\",\"title\":\"", 11);
        len += 11;
        json_put(&out, &len, &cap, t + ts, te - ts);
    }
    nr_grow((void **)&out, &cap, len + 12, 1);
    memcpy(out + len, "\",\"body\":\"", 10);
    len += 10;
    if (title) { /* the lines before the title (a masthead), then the rest */
        json_put(&out, &len, &cap, t + a, ts - a);
        a = next;
    }
    json_put(&out, &len, &cap, t + a, n - a);
    nr_grow((void **)&out, &cap, len + 3, 1);
    memcpy(out + len, "\"}", 3);
    *out_len = len + 2;
    return out;
}

/* --text: read all of fd (at most limit bytes) and tag it as one article.
 * Not cmd_input.c's reader: that one cuts JSON texts, this takes the whole
 * input as it is. */
static int tag_plain(struct run *r, int fd, size_t limit)
{
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        nr_grow((void **)&buf, &cap, n + 65536, 1);
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            fprintf(stderr, "newsradar tag: %s: read error: %s\n", r->name, strerror(errno));
            free(buf);
            return -1;
        }
        if (k == 0)
            break;
        n += (size_t)k;
        if (n > limit) {
            char m[96];
            snprintf(m, sizeof(m), "more than %zu bytes (article.max_bytes)", limit);
            rejected(r, 1, 0, NR_REJECT_TOO_LARGE, m);
            free(buf);
            return 0;
        }
    }
    size_t jl;
    char *json = text_article(r->name, buf, n, &jl);
    if (jl > limit) { /* the escapes (quotes, control bytes) made it longer */
        char m[128];
        snprintf(m, sizeof(m), "%zu bytes, %zu once escaped as JSON, limit %zu (article.max_bytes)",
                 n, jl, limit);
        rejected(r, 1, 0, NR_REJECT_TOO_LARGE, m);
    } else {
        tag_text(r, json, jl, 1);
    }
    free(json);
    free(buf);
    return 0;
}

int nr_cmd_tag(int argc, char **argv)
{
    const char *path = NULL, *input = NULL;
    bool explain = false, text = false;
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
        } else if (strcmp(a, "--text") == 0) {
            text = true;
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
    if (text) {
        if (tag_plain(&r, fd, cfg->max_article_bytes) != 0)
            goto out;
        goto done;
    }
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
done:
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
