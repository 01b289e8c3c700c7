/*
 * cmd_eval.c - `newsradar eval -c FILE [--json] [--floors FILE] ARTICLES.jsonl...`
 *
 * Tags labelled articles with exactly the engine's decoder and tagger (the
 * ones `tag`, `replay` and `run` use) and prints micro precision, recall and
 * F1 per kind (countries, groups, officials), per topic and over all topics,
 * per language (declared or detected) when articles declare one or are of
 * several languages, then every miss per article id. The
 * scoring lives in eval.c; this file reads, prints and checks floors.
 *
 * Input lines are read with getline, so a file of any size streams; each
 * line is parsed twice (by the article decoder, and by jansson for its
 * "labels"), which is nothing next to tagging. A bad line gives
 * `FILE:LINE: message` on stderr and the run goes on.
 * Exit: 0 ok; 1 a metric below its floor, or an I/O error; 2 invalid
 * configuration or floors file; 3 some input rejected; 64 usage.
 */
#include "cmd.h"

#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/eval.h"
#include "newsradar/tagger.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: newsradar eval -c FILE [--json] [--floors FILE] [--no-misses] ARTICLES.jsonl...\n"
        "\n"
        "  -c, --config FILE   the main configuration file\n"
        "  --json              print the report as one JSON object\n"
        "  --floors FILE       lines of `METRIC VALUE` (countries.p 0.95, attack.f1 0.8):\n"
        "                      exit 1 when a metric is below its floor\n"
        "  --no-misses         leave out the per-article misses\n"
        "  ARTICLES.jsonl      labelled articles, one per line (`-` reads stdin)\n"
        "\n"
        "Each article carries \"labels\": {\"countries\": [ISO codes], \"groups\": [...],\n"
        "\"officials\": [...], \"topics\": [topic ids]}. Prints micro precision, recall\n"
        "and F1 per kind and per topic, and the misses of every article.\n"
        "\n"
        "exit status: 0 ok, 1 below a floor or I/O error, 2 invalid configuration or\n"
        "floors file, 3 some input rejected, 64 usage error\n");
}

struct opts {
    const char *config, *floors;
    bool json, no_misses;
    const char **files;
    int n_files;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
    o->files = nr_xcalloc((size_t)argc + 1, sizeof(char *));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int got = nr_cli_file_arg("eval", argc, argv, &i, "-c", "--config", &o->config);
        if (got == 0)
            got = nr_cli_file_arg("eval", argc, argv, &i, NULL, "--floors", &o->floors);
        if (got < 0)
            return -1;
        if (got > 0)
            continue;
        if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--no-misses") == 0) {
            o->no_misses = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            return 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "newsradar eval: unknown option '%s'\n", a);
            return -1;
        } else {
            o->files[o->n_files++] = a;
        }
    }
    if (!o->config || !*o->config) {
        fprintf(stderr, "newsradar eval: -c FILE is required\n");
        return -1;
    }
    if (o->n_files == 0) {
        fprintf(stderr, "newsradar eval: no ARTICLES file given\n");
        return -1;
    }
    return 0;
}

struct run {
    const struct nr_config *cfg;
    struct nr_decoder *dec;
    const struct nr_tagger *tagger;
    struct nr_tag_scratch *scratch;
    struct nr_eval *ev;
    unsigned long rejected;
};

/* A rejected line: counted; the first NR_CLI_MAX_MESSAGES are shown, as in
 * tag and replay. */
static bool show_reject(struct run *r)
{
    return r->rejected++ < NR_CLI_MAX_MESSAGES;
}

static void eval_line(struct run *r, const char *name, unsigned long line, const char *s, size_t n)
{
    struct nr_article a;
    struct nr_error err = {{0}};
    enum nr_reject rj = nr_article_decode(r->dec, s, n, &a, &err);
    if (rj != NR_REJECT_NONE) {
        if (show_reject(r))
            fprintf(stderr, "newsradar eval: %s:%lu: %s: %s\n", name, line, nr_reject_name(rj),
                    err.msg);
        return;
    }
    if (nr_tag_scratch_reserve(r->scratch, &a) < 0) {
        if (show_reject(r))
            fprintf(stderr,
                    "newsradar eval: %s:%lu: too_large: out of memory for the normalized text\n",
                    name, line);
        return;
    }
    json_t *o = json_loadb(s, n, 0, NULL); /* valid: the decoder accepted it */
    const struct nr_tags *t = nr_tagger_tag(r->tagger, r->scratch, &a);
    if (nr_tag_scratch_failed(r->scratch)) {
        if (show_reject(r))
            fprintf(stderr, "newsradar eval: %s:%lu: too_large: out of memory for the matches\n",
                    name, line);
        json_decref(o);
        return;
    }
    if (nr_eval_add(r->ev, &a, t, o ? json_object_get(o, "labels") : NULL, &err) < 0 &&
        show_reject(r))
        fprintf(stderr, "newsradar eval: %s:%lu: %s\n", name, line, err.msg);
    json_decref(o);
}

static int eval_file(struct run *r, const char *path)
{
    bool use_stdin = strcmp(path, "-") == 0;
    const char *name = use_stdin ? "<stdin>" : path;
    FILE *f = use_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "newsradar eval: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long line = 0;
    while ((got = getline(&buf, &cap, f)) >= 0) {
        line++;
        size_t n = (size_t)got;
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        size_t b = 0;
        while (b < n && (buf[b] == ' ' || buf[b] == '\t'))
            b++;
        if (b < n)
            eval_line(r, name, line, buf + b, n - b);
    }
    int e = errno; /* of the failed read, before free and fclose */
    int rc = ferror(f) ? -1 : 0;
    if (rc)
        fprintf(stderr, "newsradar eval: %s: read error: %s\n", name, strerror(e));
    free(buf);
    if (!use_stdin)
        fclose(f);
    return rc;
}

/* ---- text report ---------------------------------------------------------- */

static void print_num(double v)
{
    if (isnan(v))
        printf("      -");
    else
        printf("  %5.3f", v);
}

static void print_row(const char *name, const struct nr_eval_counts *c)
{
    printf("%-22s %6llu %6llu %6llu %6llu %6llu", name, (unsigned long long)(c->tp + c->fn),
           (unsigned long long)(c->tp + c->fp), (unsigned long long)c->tp,
           (unsigned long long)c->fp, (unsigned long long)c->fn);
    print_num(nr_eval_precision(c));
    print_num(nr_eval_recall(c));
    print_num(nr_eval_f1(c));
    putchar('\n');
}

static void print_header(const char *first)
{
    printf("%-22s %6s %6s %6s %6s %6s %7s %7s %7s\n", first, "labels", "found", "tp", "fp", "fn",
           "P", "R", "F1");
}

static void print_kinds(const struct nr_eval_scores *s)
{
    for (int k = 0; k < NR_EVAL_KINDS; k++)
        print_row(nr_eval_kind_names[k], &s->kind[k]);
}

static void print_misses(const struct nr_eval *ev)
{
    bool any_unlisted = false;
    for (size_t i = 0; i < ev->n_misses; i++)
        any_unlisted |= ev->misses[i].unlisted;
    printf("\nmisses (%zu): -X labelled, not found; +X found, not labelled%s\n", ev->n_misses,
           any_unlisted ? "; * in no watchlist or rule file" : "");
    for (size_t i = 0; i < ev->n_misses;) {
        uint32_t art = ev->misses[i].article;
        printf("  %-16s", ev->article_ids[art]);
        int kind = -1;
        for (; i < ev->n_misses && ev->misses[i].article == art; i++) {
            const struct nr_eval_miss *m = &ev->misses[i];
            if (m->kind != kind) {
                printf("%s%s", kind >= 0 ? "; " : " ", nr_eval_kind_names[m->kind]);
                kind = m->kind;
            }
            printf(" %c%s%s", m->fp ? '+' : '-', m->text, m->unlisted ? "*" : "");
        }
        putchar('\n');
    }
}

static void print_text(const struct nr_eval *ev, const struct opts *o)
{
    printf("eval: %llu articles from %d file%s\n\n", (unsigned long long)ev->all.articles,
           o->n_files, o->n_files == 1 ? "" : "s");
    print_header("kind");
    print_kinds(&ev->all);
    putchar('\n');
    print_header("topic");
    for (size_t t = 0; t < ev->n_topics; t++)
        print_row(ev->topic_ids[t], &ev->all.topic[t]);
    if (ev->any_language || ev->n_langs > 1) {
        for (size_t l = 0; l < ev->n_langs; l++) {
            char head[64];
            snprintf(head, sizeof(head), "language %s (%llu)",
                     *ev->langs[l].lang ? ev->langs[l].lang : "none",
                     (unsigned long long)ev->langs[l].s.articles);
            putchar('\n');
            print_header(head);
            print_kinds(&ev->langs[l].s);
        }
    }
    if (!o->no_misses)
        print_misses(ev);
}

/* ---- JSON report ---------------------------------------------------------- */

static json_t *num_json(double v)
{
    return isnan(v) ? json_null() : json_real(round(v * 10000) / 10000);
}

static json_t *counts_json(const struct nr_eval_counts *c)
{
    return json_pack("{s:I,s:I,s:I,s:o,s:o,s:o}", "tp", (json_int_t)c->tp, "fp", (json_int_t)c->fp,
                     "fn", (json_int_t)c->fn, "p", num_json(nr_eval_precision(c)), "r",
                     num_json(nr_eval_recall(c)), "f1", num_json(nr_eval_f1(c)));
}

static json_t *scores_json(const struct nr_eval *ev, const struct nr_eval_scores *s)
{
    json_t *kinds = json_object(), *topics = json_object();
    for (int k = 0; k < NR_EVAL_KINDS; k++)
        json_object_set_new(kinds, nr_eval_kind_names[k], counts_json(&s->kind[k]));
    for (size_t t = 0; t < ev->n_topics; t++)
        json_object_set_new(topics, ev->topic_ids[t], counts_json(&s->topic[t]));
    return json_pack("{s:I,s:o,s:o}", "articles", (json_int_t)s->articles, "kinds", kinds, "topics",
                     topics);
}

static json_t *misses_json(const struct nr_eval *ev)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < ev->n_misses;) {
        uint32_t art = ev->misses[i].article;
        json_t *fn = json_object(), *fp = json_object(), *unl = json_array();
        for (; i < ev->n_misses && ev->misses[i].article == art; i++) {
            const struct nr_eval_miss *m = &ev->misses[i];
            json_t *side = m->fp ? fp : fn;
            const char *k = nr_eval_kind_names[m->kind];
            if (!json_object_get(side, k))
                json_object_set_new(side, k, json_array());
            json_array_append_new(json_object_get(side, k), json_string(m->text));
            if (m->unlisted)
                json_array_append_new(unl, json_string(m->text));
        }
        json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:o}", "id", ev->article_ids[art], "fn",
                                             fn, "fp", fp, "unlisted", unl));
    }
    return arr;
}

static int print_json(const struct nr_eval *ev, const struct opts *o,
                      const struct nr_eval_floors *fl, unsigned long rejected)
{
    json_t *root = scores_json(ev, &ev->all);
    json_object_set_new(root, "rejected", json_integer((json_int_t)rejected));
    if (ev->any_language || ev->n_langs > 1) {
        json_t *langs = json_object();
        for (size_t l = 0; l < ev->n_langs; l++)
            json_object_set_new(langs, *ev->langs[l].lang ? ev->langs[l].lang : "none",
                                scores_json(ev, &ev->langs[l].s));
        json_object_set_new(root, "languages", langs);
    }
    if (o->floors) {
        json_t *arr = json_array();
        for (size_t i = 0; i < fl->n; i++)
            json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:b}", "metric", fl->v[i].name,
                                                 "floor", num_json(fl->v[i].min), "value",
                                                 num_json(fl->v[i].value), "ok", !fl->v[i].below));
        json_object_set_new(root, "floors", arr);
    }
    if (!o->no_misses)
        json_object_set_new(root, "misses", misses_json(ev));
    char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(root);
    int rc = s && puts(s) != EOF ? 0 : -1;
    free(s);
    return rc;
}

/* ---- floors --------------------------------------------------------------- */

static int load_floors(struct nr_eval_floors *fl, const struct nr_eval *ev, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "newsradar eval: %s: %s\n", path, strerror(errno));
        return NR_EXIT_FAILURE;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, got, m);
    bool bad = ferror(f);
    fclose(f);
    fclose(m);
    if (bad) {
        fprintf(stderr, "newsradar eval: %s: read error\n", path);
        free(buf);
        return NR_EXIT_FAILURE;
    }
    struct nr_diags diags = {0};
    int rc = nr_eval_floors_parse(fl, ev, path, buf, len, &diags) < 0 ? NR_EXIT_CONFIG : 0;
    nr_diags_print(&diags, stderr);
    nr_diags_free(&diags);
    free(buf);
    return rc;
}

static void report_floors(const struct nr_eval_floors *fl, const char *path, bool text)
{
    size_t below = 0;
    for (size_t i = 0; i < fl->n; i++)
        below += fl->v[i].below;
    if (text)
        printf("\nfloors (%s): %zu checked, %zu below\n", path, fl->n, below);
    for (size_t i = 0; i < fl->n; i++) {
        const struct nr_eval_floor *x = &fl->v[i];
        if (!x->below)
            continue;
        if (text)
            printf("  below: %s %.4f < %.4f\n", x->name, x->value, x->min);
        fprintf(stderr, "newsradar eval: below floor: %s %.4f < %.4f\n", x->name, x->value, x->min);
    }
}

int nr_cmd_eval(int argc, char **argv)
{
    struct opts o = {0};
    int prc = parse_args(argc, argv, &o);
    if (prc != 0) {
        usage(prc > 0 ? stdout : stderr);
        free(o.files);
        return prc > 0 ? NR_EXIT_OK : NR_EXIT_USAGE;
    }
    int rc = NR_EXIT_FAILURE;
    struct nr_eval_floors fl = {0};
    struct run r = {0};
    struct nr_tagger *tagger = NULL;
    struct nr_config *cfg = NULL;
    if ((rc = nr_cli_load_tagger("eval", o.config, &cfg, &tagger)) != 0)
        goto out;
    r.cfg = cfg;
    r.dec = nr_decoder_new(cfg);
    r.tagger = tagger;
    r.scratch = nr_tag_scratch_new(tagger);
    r.ev = nr_eval_new(cfg);
    if (o.floors && (rc = load_floors(&fl, r.ev, o.floors)) != 0)
        goto out;
    rc = NR_EXIT_FAILURE;
    for (int i = 0; i < o.n_files; i++)
        if (eval_file(&r, o.files[i]) < 0)
            goto out;
    if (r.rejected > NR_CLI_MAX_MESSAGES)
        fprintf(stderr, "newsradar eval: %lu more rejected lines not shown\n",
                r.rejected - NR_CLI_MAX_MESSAGES);
    size_t below = nr_eval_floors_check(&fl, r.ev);
    if (o.json) {
        if (print_json(r.ev, &o, &fl, r.rejected) < 0)
            goto write_error;
    } else {
        print_text(r.ev, &o);
    }
    if (o.floors)
        report_floors(&fl, o.floors, !o.json);
    if (fflush(stdout) != 0)
        goto write_error;
    rc = below ? NR_EXIT_FAILURE : r.rejected ? NR_EXIT_REJECTED : NR_EXIT_OK;
    goto out;
write_error:
    fprintf(stderr, "newsradar eval: write error: %s\n", strerror(errno));
    rc = NR_EXIT_FAILURE;
out:
    nr_eval_floors_free(&fl);
    nr_eval_free(r.ev);
    nr_tag_scratch_free(r.scratch);
    nr_decoder_free(r.dec);
    nr_tagger_free(tagger);
    nr_config_free(cfg);
    free(o.files);
    return rc;
}
