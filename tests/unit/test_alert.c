/* test_alert.c - alert JSON: exact bytes and key order, nulls, and the
 * structural check of docs/alert.schema.json (alert_check.h) on built alerts
 * and on alerts from the detector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alert_check.h"
#include "engine_fixture.h"

/* a C string (or NULL) as a struct nr_str */
static struct nr_str S(const char *x) {
    return (struct nr_str){x, x ? strlen(x) : 0};
}
#include "newsradar/alert.h"
#include "newsradar/detect.h"

#include <math.h>
#include <stdlib.h>

static const struct nr_str NONE = {NULL, 0};

static struct nr_alert sample(struct nr_alert_dim *dims, struct nr_alert_article *arts,
                              struct nr_alert_entity *ents)
{
    struct nr_alert a;
    memset(&a, 0, sizeof(a));
    strcpy(a.alert_id, "00ff00ff00ff00ff");
    a.rule = "attack_by_country";
    a.state = NR_ALERT_ESCALATED;
    a.severity = NR_SEV_HIGH;
    a.topic = "attack";
    dims[0] = (struct nr_alert_dim){"country", "PK", "Pakistan", "PK"};
    dims[1] = (struct nr_alert_dim){"group", "TTP", "Tehreek-e-Taliban", NULL};
    a.dims = dims;
    a.n_dims = 2;
    a.window_start_ms = FX_T0 - 55 * FX_MIN;
    a.window_end_ms = FX_T0 + 5 * FX_MIN;
    a.count = 6;
    a.baseline = 0.5;
    a.ratio = 12;
    a.p_value = 1.41649e-05;
    arts[0] = (struct nr_alert_article){
        S("a2"), S("Second"), S("https://x.org/2"), S("wire"), FX_T0, S("a1"), "ur"};
    arts[1] = (struct nr_alert_article){S("a1"), NONE, NONE, NONE, NR_TIME_NONE, NONE, NULL};
    a.articles = arts;
    a.n_articles = 2;
    ents[0] = (struct nr_alert_entity){"IN", "country", "India", 4};
    a.entities = ents;
    a.n_entities = 1;
    a.detected_ms = FX_T0 + 2 * FX_MIN;
    return a;
}

static void test_exact_json(void **state)
{
    (void)state;
    struct nr_alert_dim dims[2];
    struct nr_alert_article arts[2];
    struct nr_alert_entity ents[1];
    struct nr_alert a = sample(dims, arts, ents);
    char *s = nr_alert_to_json(&a);
    assert_non_null(s);
    assert_string_equal(
        s, "{\"alert_id\":\"00ff00ff00ff00ff\",\"rule\":\"attack_by_country\",\"state\":"
           "\"escalated\",\"severity\":\"high\",\"topic\":\"attack\",\"dimensions\":{\"country\":"
           "{\"id\":\"PK\",\"name\":\"Pakistan\",\"code\":\"PK\"},\"group\":{\"id\":\"TTP\","
           "\"name\":\"Tehreek-e-Taliban\"}},\"window\":{\"start\":\"2023-11-14T21:25:00.000Z\","
           "\"end\":\"2023-11-14T22:25:00.000Z\"},\"count\":6,\"baseline\":0.5,\"score\":{"
           "\"ratio\":12.0,\"p_value\":1.41649e-5},\"articles\":[{\"id\":\"a2\",\"title\":"
           "\"Second\",\"url\":\"https://x.org/2\",\"source\":\"wire\",\"language\":\"ur\","
           "\"published_at\":\"2023-11-14T22:20:00.000Z\",\"duplicate_of\":\"a1\"},{\"id\":\"a1\","
           "\"title\":null,\"url\":null,\"source\":null,\"language\":null,\"published_at\":null}],"
           "\"entities\":[{\"id\":\"IN\","
           "\"kind\":\"country\",\"name\":\"India\",\"mentions\":4}],\"detected_at\":"
           "\"2023-11-14T22:22:00.000Z\"}");
    json_t *j = json_loads(s, 0, NULL);
    assert_null(alert_check(j));
    json_decref(j);
    free(s);
}

static void test_odd_values(void **state)
{
    (void)state;
    struct nr_alert_dim dims[2];
    struct nr_alert_article arts[2];
    struct nr_alert_entity ents[1];
    struct nr_alert a = sample(dims, arts, ents);
    a.topic = NULL;
    a.n_dims = 0; /* the global key */
    a.ratio = INFINITY;
    a.p_value = NAN;
    arts[0].title = S("bad \xff utf-8");
    a.state = NR_ALERT_RESOLVED;
    char *s = nr_alert_to_json(&a);
    assert_non_null(s);
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "topic")));
    assert_int_equal(json_object_size(json_object_get(j, "dimensions")), 0);
    assert_true(
        json_is_null(json_object_get(json_array_get(json_object_get(j, "articles"), 0), "title")));
    assert_null(alert_check(j));
    assert_string_equal(nr_alert_state_name(NR_ALERT_RESOLVED), "resolved");
    assert_string_equal(nr_severity_name(NR_SEV_CRITICAL), "critical");
    json_decref(j);
    free(s);
    a.rule = "bad \xff";
    assert_null(nr_alert_to_json(&a));
}

/* The check must be able to fail: break valid alerts one way at a time. */
static void test_check_rejects(void **state)
{
    (void)state;
    struct nr_alert_dim dims[2];
    struct nr_alert_article arts[2];
    struct nr_alert_entity ents[1];
    struct nr_alert a = sample(dims, arts, ents);
    char *s = nr_alert_to_json(&a);
    static const char *const breaks[] = {
        "{\"alert_id\":\"XYZ\"}",
        "{\"state\":\"open\"}",
        "{\"severity\":\"severe\"}",
        "{\"count\":-1}",
        "{\"baseline\":0}",
        "{\"score\":{\"ratio\":1}}",
        "{\"window\":{\"start\":\"2024-01-01T00:00:00Z\",\"end\":\"2023-01-01T00:00:00Z\"}}",
        "{\"extra\":1}",
        "{\"articles\":[{\"id\":1}]}",
        "{\"entities\":[{}]}",
        "{\"detected_at\":\"yesterday\"}",
        "{\"dimensions\":{\"country\":{\"id\":\"PK\"}}}",
    };
    for (size_t i = 0; i < NR_ARRAY_LEN(breaks); i++) {
        json_t *j = json_loads(s, 0, NULL), *patch = json_loads(breaks[i], 0, NULL);
        assert_non_null(patch);
        json_object_update(j, patch);
        if (!alert_check(j))
            fail_msg("not rejected: %s", breaks[i]);
        json_decref(patch);
        json_decref(j);
    }
    json_t *j = json_loads(s, 0, NULL);
    json_object_del(j, "rule");
    assert_non_null(alert_check(j));
    json_decref(j);
    free(s);
}

static int n_checked;

static void check_cb(void *ud, const struct nr_alert *a)
{
    (void)ud;
    char *s = nr_alert_to_json(a);
    json_t *j = json_loads(s, 0, NULL);
    const char *why = alert_check(j);
    if (why)
        fail_msg("%s: %s", why, s);
    json_decref(j);
    free(s);
    n_checked++;
}

static void test_detector_alerts_valid(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_detector *d = nr_detector_new(&f.cfg, NULL);
    for (int i = 0; i < 30; i++) {
        char id[16];
        snprintf(id, sizeof(id), "n%d", i);
        uint32_t rule = (uint32_t)(i % 3);
        struct nr_count_event ev = fx_event(&f, rule, (uint32_t)(i % 2 ? 0 : 3), FX_T0 + i * FX_MIN,
                                            id, fx_story((unsigned)i / 2));
        nr_detector_count(d, &ev, check_cb, NULL);
    }
    nr_detector_advance(d, FX_T0 + 5 * FX_HOUR, check_cb, NULL);
    assert_true(n_checked >= 4);
    nr_detector_free(d);
}

/* ---- reference: the jansson encoder nr_alert_to_json replaced -------------- */

static json_t *ref_str_or_null(const char *s)
{
    json_t *v = s ? json_string(s) : NULL;
    return v ? v : json_null();
}

static json_t *ref_nstr_or_null(struct nr_str s)
{
    json_t *v = s.p ? json_stringn(s.p, s.len) : NULL;
    return v ? v : json_null();
}

static json_t *ref_time(int64_t ms)
{
    if (ms == NR_TIME_NONE)
        return json_null();
    char buf[40];
    nr_time_format_rfc3339(ms, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *ref_real(double v)
{
    if (!isfinite(v))
        v = v > 0 ? 1e308 : 0;
    return json_real(v);
}

static char *ref_to_json(const struct nr_alert *a)
{
    json_t *o = json_object();
    json_t *rule = a->rule ? json_string(a->rule) : NULL;
    if (!rule) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "alert_id", json_string(a->alert_id));
    json_object_set_new(o, "rule", rule);
    json_object_set_new(o, "state", json_string(nr_alert_state_name(a->state)));
    json_object_set_new(o, "severity", json_string(nr_severity_name(a->severity)));
    json_object_set_new(o, "topic", ref_str_or_null(a->topic));
    json_t *dims = json_object();
    for (size_t i = 0; i < a->n_dims; i++) {
        json_t *d = json_object();
        json_object_set_new(d, "id", ref_str_or_null(a->dims[i].id));
        json_object_set_new(d, "name", ref_str_or_null(a->dims[i].name));
        if (a->dims[i].code)
            json_object_set_new(d, "code", ref_str_or_null(a->dims[i].code));
        if (a->dims[i].kind)
            json_object_set_new(dims, a->dims[i].kind, d);
        else
            json_decref(d);
    }
    json_object_set_new(o, "dimensions", dims);
    json_t *w = json_object();
    json_object_set_new(w, "start", ref_time(a->window_start_ms));
    json_object_set_new(w, "end", ref_time(a->window_end_ms));
    json_object_set_new(o, "window", w);
    json_object_set_new(o, "count", json_integer(a->count));
    json_object_set_new(o, "baseline", ref_real(a->baseline));
    json_t *score = json_object();
    json_object_set_new(score, "ratio", ref_real(a->ratio));
    json_object_set_new(score, "p_value", ref_real(a->p_value));
    json_object_set_new(o, "score", score);
    json_t *arts = json_array();
    for (size_t i = 0; i < a->n_articles; i++) {
        const struct nr_alert_article *x = &a->articles[i];
        json_t *ao = json_object();
        json_object_set_new(ao, "id", ref_nstr_or_null(x->id));
        json_object_set_new(ao, "title", ref_nstr_or_null(x->title));
        json_object_set_new(ao, "url", ref_nstr_or_null(x->url));
        json_object_set_new(ao, "source", ref_nstr_or_null(x->source));
        json_object_set_new(ao, "language",
                            x->language && *x->language ? json_string(x->language) : json_null());
        json_object_set_new(ao, "published_at", ref_time(x->published_ms));
        if (x->duplicate_of.p)
            json_object_set_new(ao, "duplicate_of", ref_nstr_or_null(x->duplicate_of));
        json_array_append_new(arts, ao);
    }
    json_object_set_new(o, "articles", arts);
    json_t *ents = json_array();
    for (size_t i = 0; i < a->n_entities; i++) {
        const struct nr_alert_entity *x = &a->entities[i];
        json_t *eo = json_object();
        json_object_set_new(eo, "id", ref_str_or_null(x->id));
        json_object_set_new(eo, "kind", ref_str_or_null(x->kind));
        json_object_set_new(eo, "name", ref_str_or_null(x->name));
        json_object_set_new(eo, "mentions", json_integer(x->mentions));
        json_array_append_new(ents, eo);
    }
    json_object_set_new(o, "entities", ents);
    json_object_set_new(o, "detected_at", ref_time(a->detected_ms));
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    return s;
}

static uint64_t rnd_state = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* A string of pieces that stress escaping and UTF-8 checks, or NULL. */
static const char *rnd_str(char *buf, size_t cap)
{
    static const char *const pieces[] = {
        "a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\r", "\b", "\f", "\x01", "\x1f", "\x7f",
        "\xc3\xa9", "\xd8\xb9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbf",
        "\xf4\x8f\xbf\xbf",
        /* invalid: stray byte, lone continuation, cut sequence, overlong,
         * surrogate, above U+10FFFF, overlong 3- and 4-byte forms */
        "\xff", "\x80", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf",
        "\xf0\x80\x80\xaf"};
    uint64_t r = rnd() % 16;
    if (r == 0)
        return NULL;
    size_t n = 0, k = rnd() % 8;
    bool clean = r < 8; /* half of them valid UTF-8 most of the time */
    for (size_t i = 0; i < k; i++) {
        size_t np = NR_ARRAY_LEN(pieces) - (clean ? 8 : 0);
        const char *p = pieces[rnd() % np];
        size_t l = strlen(p);
        if (n + l + 1 > cap)
            break;
        memcpy(buf + n, p, l);
        n += l;
    }
    buf[n] = '\0';
    return buf;
}

static double rnd_real(void)
{
    static const double fixed[] = {0.0,    -0.0,  0.5,      1.0,  12.0,      1.41649e-05,
                                   1e-300, 1e300, 5e-324,   1e21, 123456789, 0.1,
                                   2.5e-5, 1e-4,  999999.5, 1e6,  -3.25,     1e308};
    uint64_t r = rnd() % 24;
    if (r < NR_ARRAY_LEN(fixed))
        return fixed[r];
    if (r == 18)
        return NAN;
    if (r == 19)
        return INFINITY;
    if (r == 20)
        return -INFINITY;
    uint64_t bits = rnd();
    double d;
    memcpy(&d, &bits, sizeof(d));
    return r == 21 ? d : (double)(rnd() % 1000000) / (double)(1 + rnd() % 1000);
}

static int64_t rnd_time(void)
{
    return rnd() % 5 == 0 ? NR_TIME_NONE : (int64_t)(rnd() % 4102444800000ULL);
}

static void test_same_bytes_as_jansson(void **state)
{
    (void)state;
    static const char *const kinds[] = {"country", "group", "entity", "place", "\xff", ""};
    char sb[64][64];
    for (int round = 0; round < 3000; round++) {
        int si = 0;
        struct nr_alert a;
        struct nr_alert_dim dims[4];
        struct nr_alert_article arts[6];
        struct nr_alert_entity ents[5];
        memset(&a, 0, sizeof(a));
        snprintf(a.alert_id, sizeof(a.alert_id), "%016llx", (unsigned long long)rnd());
        a.rule = rnd() % 10 ? "attack_by_country" : rnd_str(sb[si++], 64);
        a.state = (enum nr_alert_state)(rnd() % 3);
        a.severity = (enum nr_severity)(rnd() % 4);
        a.topic = rnd_str(sb[si++], 64);
        a.n_dims = rnd() % 5;
        for (size_t i = 0; i < a.n_dims; i++) {
            dims[i].kind = rnd() % 8 ? kinds[rnd() % NR_ARRAY_LEN(kinds)] : NULL;
            dims[i].id = rnd_str(sb[si++], 64);
            dims[i].name = rnd_str(sb[si++], 64);
            dims[i].code = rnd() % 2 ? rnd_str(sb[si++], 64) : NULL;
        }
        a.dims = dims;
        a.window_start_ms = rnd_time();
        a.window_end_ms = rnd_time();
        a.count = rnd() % 7 == 0 ? UINT32_MAX : (uint32_t)(rnd() % 1000);
        a.baseline = rnd_real();
        a.ratio = rnd_real();
        a.p_value = rnd_real();
        a.n_articles = rnd() % 7;
        for (size_t i = 0; i < a.n_articles; i++) {
            arts[i].id = S(rnd_str(sb[si++], 64));
            arts[i].title = S(rnd_str(sb[si++], 64));
            arts[i].url = S(rnd_str(sb[si++], 64));
            arts[i].source = S(rnd_str(sb[si++], 64));
            arts[i].published_ms = rnd_time();
            arts[i].duplicate_of = rnd() % 3 ? NONE : S(rnd_str(sb[si++], 64));
            static const char *const langs[] = {NULL, "", "en", "ps", "fil"};
            arts[i].language = langs[rnd() % 5];
            if (rnd() % 5 == 0 && arts[i].title.p && arts[i].title.len > 2)
                ((char *)arts[i].title.p)[1] = '\0'; /* a NUL inside: lengths carry it */
        }
        a.articles = arts;
        a.n_entities = rnd() % 6;
        for (size_t i = 0; i < a.n_entities; i++) {
            ents[i].id = rnd_str(sb[si++], 64);
            ents[i].kind = rnd_str(sb[si++], 64);
            ents[i].name = rnd_str(sb[si++], 64);
            ents[i].mentions = (uint32_t)rnd();
        }
        a.entities = ents;
        a.detected_ms = rnd_time();
        assert_true(si <= 64);
        char *want = ref_to_json(&a), *got = nr_alert_to_json(&a);
        if (!want)
            assert_null(got);
        else
            assert_string_equal(got, want);
        free(want);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_jansson),
        cmocka_unit_test(test_exact_json),
        cmocka_unit_test(test_odd_values),
        cmocka_unit_test(test_check_rejects),
        cmocka_unit_test(test_detector_alerts_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
