/*
 * test_config.c - the configuration loader through its API: a valid
 * configuration read back field by field, defaults, ${ENV} substitution,
 * one case per error class (the exhaustive cases with exact lines are data:
 * tests/data/config, run by test_config_data.c), diagnostics ordering, and
 * the check that docs/configuration.md matches nr_config_print_options().
 * Files are written into a fresh temporary directory per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "newsradar/config.h"

struct tmp {
    char dir[256];
    char files[16][512], dirs[4][512];
    int n_files, n_dirs;
};

static int setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(t->dir, sizeof(t->dir), "%s/nr-config-XXXXXX", base);
    if (!mkdtemp(t->dir))
        return -1;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tmp *t = *state;
    for (int i = 0; i < t->n_files; i++)
        remove(t->files[i]);
    for (int i = 0; i < t->n_dirs; i++)
        rmdir(t->dirs[i]);
    rmdir(t->dir);
    free(t);
    return 0;
}

/* Write `text` to dir/name (name may hold one subdirectory); returns the
 * full path (valid until the next call). */
static const char *put(struct tmp *t, const char *name, const char *text)
{
    static char full[512];
    const char *slash = strchr(name, '/');
    if (slash) {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s/%.*s", t->dir, (int)(slash - name), name);
        if (access(sub, F_OK) != 0) {
            assert_int_equal(mkdir(sub, 0700), 0);
            snprintf(t->dirs[t->n_dirs++], sizeof(t->dirs[0]), "%s", sub);
        }
    }
    snprintf(full, sizeof(full), "%s/%s", t->dir, name);
    bool known = false;
    for (int i = 0; i < t->n_files; i++)
        known |= strcmp(t->files[i], full) == 0;
    if (!known)
        snprintf(t->files[t->n_files++], sizeof(t->files[0]), "%s", full);
    FILE *f = fopen(full, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return full;
}

static char *diags_text(const struct nr_diags *d)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    nr_diags_print(d, f);
    fclose(f);
    return out;
}

static const char *WATCHLIST = "entities:\n"
                               "  - id: PK\n"
                               "    kind: country\n"
                               "    name: Pakistan\n"
                               "    code: PK\n"
                               "    aliases:\n"
                               "      - Islamic Republic of Pakistan\n"
                               "      - { text: TTP, case: true }\n"
                               "      - { text: Pak, ambiguous: true }\n"
                               "    demonyms: [Pakistani]\n"
                               "  - id: pk-pm\n"
                               "    kind: official\n"
                               "    name: Prime Minister of Pakistan\n"
                               "    country: PK\n"
                               "    role: Prime Minister\n";

static void test_valid_round_trip(void **state)
{
    struct tmp *t = *state;
    put(t, "w/countries.yaml", WATCHLIST);
    put(t, "r.yaml",
        "topics:\n"
        "  - id: attack\n"
        "    name: Attack\n"
        "    any: [bombing]\n"
        "    near: [{ terms: [attack], with: [killed, wounded], within: 4 }]\n"
        "    exclude: [heart attack]\n"
        "    min_score: 2\n"
        "alerts:\n"
        "  - id: a1\n"
        "    topic: attack\n"
        "    by: [country]\n"
        "    window: 30m\n"
        "    bucket: 1m\n"
        "    max_p: 0.01\n"
        "  - id: a2\n"
        "    min_ratio: 2\n"
        "    severity: { high: 5 }\n");
    const char *main_path = put(t, "main.yaml",
                                "watchlists: [w/countries.yaml]\n"
                                "rules: [r.yaml]\n"
                                "article: { max_bytes: 4096, fields: { id: /m/id } }\n"
                                "kafka:\n"
                                "  brokers: b:1\n"
                                "  create_topics: true\n"
                                "  properties: { a.b: c, d: \"e f\" }\n"
                                "http: { port: 0 }\n"
                                "log: { level: warn, format: json }\n");
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(main_path, &d);
    if (!cfg) {
        char *s = diags_text(&d);
        print_error("%s", s);
        free(s);
    }
    assert_non_null(cfg);
    assert_int_equal(d.n, 0);
    assert_int_equal(cfg->n_files, 3);
    assert_string_equal(cfg->path, main_path);
    assert_int_equal(cfg->max_article_bytes, 4096);
    assert_string_equal(cfg->field_ptr[NR_FIELD_ID], "/m/id");
    assert_string_equal(cfg->field_ptr[NR_FIELD_TITLE], "/title");
    assert_string_equal(cfg->field_ptr[NR_FIELD_PUBLISHED_AT], "/published_at");

    assert_int_equal(cfg->n_entities, 2);
    const struct nr_entity *e = &cfg->entities[0];
    assert_string_equal(e->id, "PK");
    assert_string_equal(e->kind, "country");
    assert_string_equal(e->code, "PK");
    assert_null(e->country);
    assert_int_equal(e->n_aliases, 5);
    assert_string_equal(e->aliases[0].text, "Pakistan");
    assert_int_equal(e->aliases[0].flags, NR_ALIAS_NAME);
    assert_string_equal(e->aliases[2].text, "TTP");
    assert_int_equal(e->aliases[2].flags, NR_ALIAS_CASE);
    assert_int_equal(e->aliases[3].flags, NR_ALIAS_AMBIGUOUS);
    assert_string_equal(e->aliases[4].text, "Pakistani");
    assert_int_equal(e->aliases[4].flags, NR_ALIAS_DEMONYM);
    assert_int_equal(e->aliases[2].pos.line, 8);
    assert_non_null(strstr(e->aliases[2].pos.file, "w/countries.yaml"));
    assert_int_equal(e->pos.line, 2);
    assert_string_equal(cfg->entities[1].country, "PK");
    assert_string_equal(cfg->entities[1].role, "Prime Minister");
    assert_int_equal(nr_config_entity_index(cfg, "pk-pm"), 1);
    assert_int_equal(nr_config_entity_index(cfg, "nope"), -1);

    assert_int_equal(cfg->n_topics, 1);
    const struct nr_topic *tp = &cfg->topics[0];
    assert_string_equal(tp->name, "Attack");
    assert_int_equal(tp->any.n, 1);
    assert_int_equal(tp->n_near, 1);
    assert_int_equal(tp->near[0].within, 4);
    assert_int_equal(tp->near[0].with.n, 2);
    assert_string_equal(tp->exclude.v[0], "heart attack");
    assert_true(tp->min_score == 2.0);

    assert_int_equal(cfg->n_rules, 2);
    const struct nr_alert_rule *r = &cfg->rules[0];
    assert_int_equal(r->topic_index, 0);
    assert_int_equal(r->window_ms, 30 * 60000);
    assert_int_equal(r->bucket_ms, 60000);
    assert_int_equal(r->baseline_ms, 7 * 86400000LL);
    assert_true(r->min_ratio == 0.0); /* only max_p is tested */
    assert_true(r->max_p == 0.01);
    assert_true(r->severity_ratio[NR_SEV_MEDIUM] == 6.0);
    assert_true(r->severity_ratio[NR_SEV_CRITICAL] == 24.0);
    r = &cfg->rules[1];
    assert_int_equal(r->topic_index, -1);
    assert_null(r->topic);
    assert_int_equal(r->by.n, 0);
    assert_true(r->min_ratio == 2.0);
    assert_true(r->severity_ratio[NR_SEV_MEDIUM] == 4.0);
    assert_true(r->severity_ratio[NR_SEV_HIGH] == 5.0);
    assert_true(r->severity_ratio[NR_SEV_CRITICAL] == 16.0);

    assert_string_equal(cfg->kafka.brokers, "b:1");
    assert_true(cfg->kafka.create_topics);
    assert_int_equal(cfg->kafka.n_properties, 2);
    assert_string_equal(cfg->kafka.properties[1].key, "d");
    assert_string_equal(cfg->kafka.properties[1].value, "e f");
    assert_int_equal(cfg->kafka.properties[1].pos.line, 7);
    assert_int_equal(cfg->http.port, 0);
    assert_string_equal(cfg->log.level, "warn");
    assert_string_equal(cfg->log.format, "json");

    char line[256];
    nr_config_summary(cfg, line, sizeof(line));
    assert_string_equal(line, "ok: 2 entities (2 kinds), 1 topic, 2 alert rules from 3 files");
    nr_config_free(cfg);
    nr_diags_free(&d);
}

static void test_defaults(void **state)
{
    struct tmp *t = *state;
    put(t, "w.yaml", WATCHLIST);
    put(t, "r.yaml", "alerts: [{ id: plain }]\n");
    const char *p = put(t, "main.yaml", "watchlists: [w.yaml]\nrules: [r.yaml]\n");
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(p, &d);
    assert_non_null(cfg);
    assert_int_equal(cfg->max_article_bytes, 1048576);
    assert_string_equal(cfg->field_ptr[NR_FIELD_BODY], "/body");
    assert_int_equal(cfg->engine.max_keys, 100000);
    assert_int_equal(cfg->engine.idle_evict_ms, 7 * 86400000LL);
    assert_int_equal(cfg->engine.grace_ms, 300000);
    assert_int_equal(cfg->engine.near_duplicate_bits, 8);
    assert_int_equal(cfg->engine.history, 64);
    assert_int_equal(cfg->engine.evidence_articles, 10);
    assert_int_equal(cfg->engine.evidence_entities, 5);
    const struct nr_kafka_opts *k = &cfg->kafka;
    assert_string_equal(k->brokers, "127.0.0.1:9092");
    assert_string_equal(k->group_id, "newsradar");
    assert_int_equal(k->input_topics.n, 1);
    assert_string_equal(k->input_topics.v[0], "articles");
    assert_string_equal(k->alert_topic, "alerts");
    assert_string_equal(k->dead_letter_topic, "articles.dlq");
    assert_string_equal(k->repartition_topic, "newsradar.counts");
    assert_string_equal(k->enriched_topic, "");
    assert_string_equal(k->changelog_topic, "newsradar.windows");
    assert_int_equal(k->repartition_partitions, 12);
    assert_false(k->create_topics);
    assert_int_equal(k->topic_partitions, 6);
    assert_int_equal(k->replication, 1);
    assert_int_equal(k->commit_interval_ms, 5000);
    assert_int_equal(k->flush_timeout_ms, 10000);
    assert_int_equal(k->n_properties, 0);
    assert_string_equal(cfg->http.listen, "127.0.0.1");
    assert_int_equal(cfg->http.port, 9464);
    assert_string_equal(cfg->log.level, "info");
    assert_string_equal(cfg->log.format, "logfmt");
    const struct nr_alert_rule *r = &cfg->rules[0];
    assert_int_equal(r->window_ms, 3600000);
    assert_int_equal(r->bucket_ms, 300000);
    assert_int_equal(r->baseline_ms, 7 * 86400000LL);
    assert_int_equal(r->baseline_bucket_ms, 3600000);
    assert_int_equal(r->cooldown_ms, 2 * 3600000);
    assert_true(r->baseline_floor == 0.5);
    assert_int_equal(r->min_count, 3);
    assert_true(r->min_ratio == 3.0);
    assert_true(r->max_p == 0.0);
    assert_true(r->severity_ratio[NR_SEV_MEDIUM] == 6.0);
    assert_true(r->severity_ratio[NR_SEV_HIGH] == 12.0);
    assert_true(r->severity_ratio[NR_SEV_CRITICAL] == 24.0);
    nr_config_free(cfg);
    nr_diags_free(&d);
}

static void test_env_substitution(void **state)
{
    struct tmp *t = *state;
    put(t, "w.yaml", WATCHLIST);
    const char *p = put(t, "main.yaml",
                        "watchlists: [w.yaml]\n"
                        "kafka:\n"
                        "  brokers: \"${NR_T_HOST}:${NR_T_PORT}\"\n"
                        "  group_id: g-$notvar-${NR_T_EMPTY}\n"
                        "  properties: { sasl.password: \"${NR_T_PASS}\" }\n");
    setenv("NR_T_HOST", "kafka.internal", 1);
    setenv("NR_T_PORT", "9093", 1);
    setenv("NR_T_EMPTY", "", 1);
    setenv("NR_T_PASS", "p@ss ${NOT_EXPANDED_TWICE}", 1);
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(p, &d);
    assert_non_null(cfg);
    assert_string_equal(cfg->kafka.brokers, "kafka.internal:9093");
    assert_string_equal(cfg->kafka.group_id, "g-$notvar-");
    assert_string_equal(cfg->kafka.properties[0].value, "p@ss ${NOT_EXPANDED_TWICE}");
    nr_config_free(cfg);

    unsetenv("NR_T_PASS");
    cfg = nr_config_load(p, &d);
    assert_null(cfg);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.v[0].pos.line, 5);
    assert_int_equal(d.v[0].pos.col, 32);
    assert_string_equal(d.v[0].msg, "sasl.password: environment variable NR_T_PASS is not set");
    nr_diags_free(&d);
}

/* A plain number, boolean or duration may be ${NAME} too, read after the
 * expansion as if written there (the container's http.port). */
static void test_env_substitution_numbers(void **state)
{
    struct tmp *t = *state;
    put(t, "w.yaml", WATCHLIST);
    const char *p = put(t, "main.yaml",
                        "watchlists: [w.yaml]\n"
                        "kafka:\n"
                        "  flush_timeout: ${NR_T_FLUSH}\n"
                        "  create_topics: ${NR_T_CREATE}\n"
                        "http:\n"
                        "  port: ${NR_T_HTTP_PORT}\n");
    setenv("NR_T_HTTP_PORT", "19464", 1);
    setenv("NR_T_FLUSH", "3s", 1);
    setenv("NR_T_CREATE", "true", 1);
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(p, &d);
    assert_non_null(cfg);
    assert_int_equal(cfg->http.port, 19464);
    assert_int_equal(cfg->kafka.flush_timeout_ms, 3000);
    assert_true(cfg->kafka.create_topics);
    nr_config_free(cfg);

    /* the expanded text must be a valid value, reported at the scalar */
    setenv("NR_T_HTTP_PORT", "94x", 1);
    cfg = nr_config_load(p, &d);
    assert_null(cfg);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.v[0].pos.line, 6);
    assert_int_equal(d.v[0].pos.col, 9);
    assert_non_null(strstr(d.v[0].msg, "port: expected integer"));
    nr_diags_free(&d);

    unsetenv("NR_T_HTTP_PORT");
    cfg = nr_config_load(p, &d);
    assert_null(cfg);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.v[0].msg, "port: environment variable NR_T_HTTP_PORT is not set");
    nr_diags_free(&d);
    unsetenv("NR_T_FLUSH");
    unsetenv("NR_T_CREATE");
}

/* Load `main` (with a standard watchlist w.yaml and rules r.yaml) and
 * expect exactly one diagnostic containing `want` at line:col of `file`. */
static void expect_error(struct tmp *t, const char *main_text, const char *rules_text,
                         const char *file, uint32_t line, uint32_t col, const char *want)
{
    put(t, "w.yaml", WATCHLIST);
    put(t, "r.yaml", rules_text ? rules_text : "topics: []\n");
    const char *p = put(t, "main.yaml", main_text);
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(p, &d);
    char *text = diags_text(&d);
    if (d.n != 1 || !strstr(d.v[0].msg, want) || d.v[0].pos.line != line || d.v[0].pos.col != col)
        print_error("want \"%s\", got:\n%s", want, text);
    assert_null(cfg);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.v[0].msg, want));
    assert_non_null(strstr(d.v[0].pos.file, file));
    assert_int_equal(d.v[0].pos.line, line);
    assert_int_equal(d.v[0].pos.col, col);
    /* the printed form is file:line:col: message */
    char prefix[600];
    snprintf(prefix, sizeof(prefix), "%s:%u:%u: %s\n", d.v[0].pos.file, line, col, d.v[0].msg);
    assert_string_equal(text, prefix);
    free(text);
    nr_diags_free(&d);
}

#define MAIN_WR "watchlists: [w.yaml]\nrules: [r.yaml]\n"

static void test_error_classes(void **state)
{
    struct tmp *t = *state;
    expect_error(t, MAIN_WR "http: { prot: 1 }\n", NULL, "main.yaml", 3, 9,
                 "unknown key \"prot\" in http (allowed: listen, port)");
    expect_error(t, MAIN_WR "http: { port: x }\n", NULL, "main.yaml", 3, 15,
                 "port: expected integer, got string \"x\"");
    expect_error(t, "rules: [r.yaml]\n", NULL, "main.yaml", 1, 1,
                 "missing required key \"watchlists\" in main file");
    expect_error(t, MAIN_WR "log: { level: info, level: warn }\n", NULL, "main.yaml", 3, 21,
                 "duplicate key \"level\" (first at ");
    expect_error(t, MAIN_WR, "alerts: [{ id: a, window: 1y }]\n", "r.yaml", 1, 27,
                 "window: invalid duration \"1y\"");
    expect_error(t, MAIN_WR, "alerts: [{ id: a, min_ratio: 0.9 }]\n", "r.yaml", 1, 30,
                 "min_ratio: 0.9 must be >= 1");
    expect_error(t, MAIN_WR, "alerts: [{ id: a, window: 1h, bucket: 25m }]\n", "r.yaml", 1, 27,
                 "window (1h) is not a multiple of bucket (25m)");
    expect_error(t, MAIN_WR, "alerts: [{ id: a, window: 7d }]\n", "r.yaml", 1, 10,
                 "baseline (7d) must be longer than window (7d)");
    expect_error(t, MAIN_WR, "alerts: [{ id: a, topic: nope }]\n", "r.yaml", 1, 26,
                 "topic: unknown topic \"nope\"");
    expect_error(t, "watchlists: [w.yaml, missing.yaml]\n", NULL, "main.yaml", 1, 22,
                 "cannot read \"");
    expect_error(t, "watchlists: [w.yaml\n", NULL, "main.yaml", 2, 1, "YAML syntax error: ");
    expect_error(t,
                 "watchlists: [w.yaml]\nx: &x [a, a, a, a, a, a, a, a, a, a]\n"
                 "y: &y [*x, *x, *x, *x, *x, *x, *x, *x, *x, *x]\n"
                 "z: &z [*y, *y, *y, *y, *y, *y, *y, *y, *y, *y]\n"
                 "q: [*z, *z, *z, *z, *z, *z, *z, *z, *z, *z]\n",
                 NULL, "main.yaml", 5, 33, "YAML aliases expand to more than 10000 nodes");
}

static void test_watchlist_errors(void **state)
{
    struct tmp *t = *state;
    put(t, "w2.yaml",
        "entities:\n"
        "  - { id: PK, kind: country, name: Pakistan Again }\n");
    expect_error(t, "watchlists: [w.yaml, w2.yaml]\n", NULL, "w2.yaml", 2, 11,
                 "duplicate entity id \"PK\" (first defined at ");
    put(t, "w2.yaml",
        "entities:\n"
        "  - { id: XX, kind: group, name: X, aliases: [\"  islamic  REPUBLIC of "
        "pakistan\"] }\n");
    expect_error(t, "watchlists: [w.yaml, w2.yaml]\n", NULL, "w2.yaml", 2, 47,
                 "alias \"islamic  REPUBLIC of pakistan\" of entity \"XX\" is already claimed "
                 "by entity \"PK\" (\"Islamic Republic of Pakistan\" at ");
    put(t, "w2.yaml",
        "entities:\n"
        "  - { id: XX, kind: group, name: X, aliases: [{ text: \" \" }] }\n");
    expect_error(t, "watchlists: [w.yaml, w2.yaml]\n", NULL, "w2.yaml", 2, 55,
                 "empty alias in entity \"XX\"");
}

static void test_diags_order(void **state)
{
    (void)state;
    struct nr_diags d = {0};
    nr_diags_note_file(&d, "main.yaml");
    nr_diags_note_file(&d, "z.yaml");
    nr_diags_note_file(&d, "a.yaml");
    nr_diags_add(&d, "a.yaml", 1, 1, "third");
    nr_diags_add(&d, "z.yaml", 9, 2, "second %d", 2);
    nr_diags_add(&d, "main.yaml", 3, 4, "first-b");
    nr_diags_add(&d, "main.yaml", 3, 1, "first-a");
    nr_diags_add(&d, "never-noted.yaml", 1, 1, "last");
    char *s = diags_text(&d);
    assert_string_equal(s, "main.yaml:3:1: first-a\n"
                           "main.yaml:3:4: first-b\n"
                           "z.yaml:9:2: second 2\n"
                           "a.yaml:1:1: third\n"
                           "never-noted.yaml:1:1: last\n");
    free(s);
    nr_diags_free(&d);
    nr_diags_free(&d); /* idempotent */
    nr_diags_free(NULL);
    nr_config_free(NULL);
}

static void test_missing_main_file(void **state)
{
    struct tmp *t = *state;
    char p[600];
    snprintf(p, sizeof(p), "%s/absent.yaml", t->dir);
    struct nr_diags d = {0};
    assert_null(nr_config_load(p, &d));
    assert_int_equal(d.n, 1);
    assert_int_equal(d.v[0].pos.line, 1);
    assert_string_equal(d.v[0].msg, "cannot read config file: No such file or directory");
    nr_diags_free(&d);
    /* NULL diags is allowed: the caller only learns that it failed */
    assert_null(nr_config_load(p, NULL));
}

/* docs/configuration.md holds the output of nr_config_print_options()
 * between its markers; regenerate with `newsradar check --print-options`. */
static void test_docs_up_to_date(void **state)
{
    (void)state;
    const char *src = getenv("NR_SOURCE_DIR");
    if (!src)
        src = ".";
    char path[1024];
    snprintf(path, sizeof(path), "%s/docs/configuration.md", src);
    FILE *f = fopen(path, "rb");
    if (!f)
        print_error("cannot open %s (set NR_SOURCE_DIR)\n", path);
    assert_non_null(f);
    char *doc = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&doc, &cap, '\0', f);
    fclose(f);
    assert_true(n > 0);
    const char *begin_m = "<!-- BEGIN OPTIONS -->\n", *end_m = "<!-- END OPTIONS -->";
    char *b = strstr(doc, begin_m);
    assert_non_null(b);
    b += strlen(begin_m);
    char *e = strstr(b, end_m);
    assert_non_null(e);
    *e = '\0';

    char *gen = NULL;
    size_t glen = 0;
    FILE *m = open_memstream(&gen, &glen);
    nr_config_print_options(m);
    fclose(m);
    if (strcmp(b, gen) != 0)
        print_error("docs/configuration.md is out of date: replace the part between the markers "
                    "with `newsradar check --print-options`\n");
    assert_string_equal(b, gen);
    /* every option of every section is documented with its key */
    assert_non_null(strstr(gen, "| `changelog_topic` |"));
    assert_non_null(strstr(gen, "| `ambiguous` |"));
    free(gen);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_substitution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_substitution_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watchlist_errors, setup, teardown),
        cmocka_unit_test(test_diags_order),
        cmocka_unit_test_setup_teardown(test_missing_main_file, setup, teardown),
        cmocka_unit_test(test_docs_up_to_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
