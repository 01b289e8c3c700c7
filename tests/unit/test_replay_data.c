/*
 * test_replay_data.c - replay cases as data: every tests/data/replay/NAME.jsonl
 * (articles, one per line) is run through the engine exactly as `newsradar
 * replay` does (nr_engine_feed, no fallback time: the stream time)
 * and the alerts are compared with NAME.expect.jsonl.
 *
 * Comparison is a subset match: each expected line is an object whose keys
 * (typically alert_id, rule, state, severity, count, dimensions; optionally
 * baseline or articles) must equal the produced alert's; objects recurse,
 * arrays must have the same length, numbers match to 1e-6. The number of
 * alerts must be equal. Optional NAME.stats.json is matched the same way
 * against the engine stats. Config: NAME.yaml, else config/newsradar.yaml.
 * Optional NAME.arrival (one RFC 3339 time) is every article's arrival time,
 * for the future-date check (engine.max_future); without it there is none.
 * Every produced alert also passes alert_check() (the schema in C), and each
 * case is run twice to check that the output is byte for byte the same.
 *
 * Adding a case is adding files; run with NR_REPLAY_PRINT=1 to print the
 * alerts a case produces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alert_check.h"
#include "newsradar/engine.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *g_dir;

struct out {
    char **v;
    size_t n, cap;
};

static void on_alert(void *ud, const struct nr_alert *a)
{
    struct out *o = ud;
    nr_grow((void **)&o->v, &o->cap, o->n + 1, sizeof(char *));
    o->v[o->n] = nr_alert_to_json(a);
    assert_non_null(o->v[o->n]);
    o->n++;
}

/* Every line of a case must be accepted. */
static void on_reject(void *ud, long index, enum nr_reject r, const char *msg, struct nr_str record)
{
    (void)ud;
    (void)record;
    fail_msg("article %ld rejected: %s: %s", index < 0 ? 1 : index + 1, nr_reject_name(r), msg);
}

static void out_free(struct out *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->v[i]);
    free(o->v);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        nr_grow((void **)&buf, &cap, n + 4096, 1);
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Run one case; alerts into *o, stats into *st. */
static void run_case(const char *name, struct out *o, struct nr_engine_stats *st)
{
    char path[1024], cpath[1024];
    snprintf(cpath, sizeof(cpath), "%s/replay/%s.yaml", g_dir, name);
    if (!file_exists(cpath))
        snprintf(cpath, sizeof(cpath), "%s/replay/config/newsradar.yaml", g_dir);
    struct nr_diags diags = {0};
    struct nr_config *cfg = nr_config_load(cpath, &diags);
    if (!cfg) {
        nr_diags_print(&diags, stderr);
        nr_diags_free(&diags);
        fail_msg("%s: config %s does not load", name, cpath);
    }
    nr_diags_free(&diags);
    struct nr_error err;
    struct nr_engine *e = nr_engine_new(cfg, &err);
    if (!e) {
        nr_config_free(cfg);
        fail_msg("%s: engine: %s", name, err.msg);
    }
    nr_engine_hold(e, true); /* as replay */
    snprintf(path, sizeof(path), "%s/replay/%s.jsonl", g_dir, name);
    size_t len;
    char *text = slurp(path, &len);
    assert_non_null(text);
    int64_t arrival = NR_TIME_NONE;
    snprintf(path, sizeof(path), "%s/replay/%s.arrival", g_dir, name);
    size_t alen;
    char *at = slurp(path, &alen);
    if (at) {
        while (alen > 0 && (at[alen - 1] == '\n' || at[alen - 1] == ' '))
            alen--;
        if (nr_time_parse_rfc3339(at, alen, &arrival) != 0)
            fail_msg("%s.arrival: not an RFC 3339 time", name);
        free(at);
    }
    char *p = text;
    while (*p) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0) {
            /* as replay: no fallback, the engine takes the stream time */
            nr_engine_feed(e, p, n, NR_TIME_NONE, arrival, on_alert, on_reject, o);
        }
        p += n + (nl ? 1 : 0);
    }
    free(text);
    nr_engine_flush(e, on_alert, on_reject, o);
    nr_engine_stats_get(e, st);
    nr_engine_free(e);
    nr_config_free(cfg);
}

static bool subset(json_t *want, json_t *got)
{
    if (json_is_object(want)) {
        const char *k;
        json_t *v;
        if (!json_is_object(got))
            return false;
        json_object_foreach(want, k, v)
        {
            if (!subset(v, json_object_get(got, k)))
                return false;
        }
        return true;
    }
    if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(want) != json_array_size(got))
            return false;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!subset(json_array_get(want, i), json_array_get(got, i)))
                return false;
        return true;
    }
    if (json_is_number(want))
        return json_is_number(got) && fabs(json_number_value(want) - json_number_value(got)) <
                                          1e-6 * (1 + fabs(json_number_value(want)));
    return got && json_equal(want, got);
}

static json_t *stats_json(const struct nr_engine_stats *s)
{
    return json_pack("{sIsIsIsIsIsIsIsIsIsIsIsIsIsIsIsIsI}", "undated_held",
                     (json_int_t)s->undated_held, "undated_arrival", (json_int_t)s->undated_arrival,
                     "late_articles", (json_int_t)s->late_articles, "boilerplate",
                     (json_int_t)s->boilerplate, "future", (json_int_t)s->future, "articles",
                     (json_int_t)s->articles, "rejected", (json_int_t)s->rejected, "tagged",
                     (json_int_t)s->tagged, "events", (json_int_t)s->events, "duplicates",
                     (json_int_t)s->duplicates, "late", (json_int_t)s->late, "late_dropped",
                     (json_int_t)s->late_dropped, "firing", (json_int_t)s->alerts[0], "escalated",
                     (json_int_t)s->alerts[1], "resolved", (json_int_t)s->alerts[2], "keys",
                     (json_int_t)s->keys, "keys_evicted", (json_int_t)s->keys_evicted);
}

static void test_case(void **state)
{
    const char *name = *state;
    struct out a = {0}, b = {0};
    struct nr_engine_stats st, st2;
    run_case(name, &a, &st);
    run_case(name, &b, &st2);
    bool print = getenv("NR_REPLAY_PRINT") != NULL;
    if (print)
        for (size_t i = 0; i < a.n; i++)
            printf("%s: %s\n", name, a.v[i]);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        if (strcmp(a.v[i], b.v[i]) != 0)
            fail_msg("%s: alert %zu differs between two runs", name, i);
        json_t *j = json_loads(a.v[i], 0, NULL);
        const char *why = alert_check(j);
        json_decref(j);
        if (why)
            fail_msg("%s: alert %zu: %s: %s", name, i, why, a.v[i]);
    }
    char path[1024];
    size_t len;
    snprintf(path, sizeof(path), "%s/replay/%s.expect.jsonl", g_dir, name);
    char *text = slurp(path, &len);
    if (!text)
        fail_msg("%s: missing %s", name, path);
    size_t k = 0;
    char *p = text;
    while (*p) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0 && p[0] != '#') {
            json_error_t je;
            json_t *want = json_loadb(p, n, 0, &je);
            if (!want)
                fail_msg("%s: expect line %zu: %s", name, k + 1, je.text);
            if (k >= a.n)
                fail_msg("%s: expected alert %zu is missing (got %zu)", name, k + 1, a.n);
            json_t *got = json_loads(a.v[k], 0, NULL);
            bool ok = subset(want, got);
            json_decref(got);
            json_decref(want);
            if (!ok)
                fail_msg("%s: alert %zu does not match\n  want: %.*s\n  got:  %s", name, k + 1,
                         (int)n, p, a.v[k]);
            k++;
        }
        p += n + (nl ? 1 : 0);
    }
    free(text);
    if (k != a.n)
        fail_msg("%s: %zu alerts expected, %zu produced (first extra: %s)", name, k, a.n, a.v[k]);
    snprintf(path, sizeof(path), "%s/replay/%s.stats.json", g_dir, name);
    text = slurp(path, &len);
    if (text) {
        json_t *want = json_loads(text, 0, NULL), *got = stats_json(&st);
        bool ok = want && subset(want, got);
        char *gs = json_dumps(got, JSON_COMPACT);
        json_decref(want);
        json_decref(got);
        free(text);
        if (!ok) {
            fprintf(stderr, "%s: stats %s\n", name, gs);
            free(gs);
            fail_msg("%s: stats do not match %s.stats.json", name, name);
        }
        free(gs);
    } else if (print) {
        json_t *got = stats_json(&st);
        char *gs = json_dumps(got, JSON_COMPACT);
        printf("%s: stats %s\n", name, gs);
        free(gs);
        json_decref(got);
    }
    out_free(&a);
    out_free(&b);
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int main(int argc, char **argv)
{
    g_dir = argc > 1 ? argv[1] : "tests/data";
    char rdir[1024];
    snprintf(rdir, sizeof(rdir), "%s/replay", g_dir);
    DIR *d = opendir(rdir);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", rdir);
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 6 && strcmp(de->d_name + l - 6, ".jsonl") == 0 &&
            !(l > 13 && strcmp(de->d_name + l - 13, ".expect.jsonl") == 0)) {
            nr_grow((void **)&names, &cap, n + 1, sizeof(char *));
            names[n++] = nr_xstrndup(de->d_name, l - 6);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(char *), by_name);
    struct CMUnitTest *tests = nr_xcalloc(n ? n : 1, sizeof(*tests));
    for (size_t i = 0; i < n; i++) {
        tests[i].name = names[i];
        tests[i].test_func = test_case;
        tests[i].initial_state = names[i];
    }
    int rc = n ? _cmocka_run_group_tests("replay_data", tests, n, NULL, NULL) : 1;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(tests);
    return rc;
}
