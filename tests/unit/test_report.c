/*
 * test_report.c - src/report.c: HTML escaping of hostile bytes, the bounded
 * timeline (points merge, the spike survives), and nr_detect_threshold
 * against a direct search over the spike test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/detect.h"
#include "newsradar/report.h"

static char *escaped(const char *p, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    nr_report_escape(f, p, n);
    fclose(f);
    return buf;
}

static void test_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *want;
    } cases[] = {
        {"plain text", 10, "plain text"},
        {"<script>a&b</script>", 20, "&lt;script&gt;a&amp;b&lt;/script&gt;"},
        {"\"q\" 'a'", 7, "&quot;q&quot; &#39;a&#39;"},
        {"a\0b", 3,
         "a\xef\xbf\xbd"
         "b"},
        {"x\xff\xfey", 4, "x\xef\xbf\xbd\xef\xbf\xbdy"},
        {"\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9"},               /* valid UTF-8 kept */
        {"\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd"},                 /* cut sequence */
        {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
        {"\xc2\x85", 2, "\xef\xbf\xbd"},                             /* C1 control */
        {"tab\tnl\n\x1b", 8, "tab\tnl\n\xef\xbf\xbd"},
        {"\xf0\x9f\x93\xb0", 4, "\xf0\x9f\x93\xb0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = escaped(cases[i].in, cases[i].n);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
    /* every byte value, alone: never a raw markup character or control */
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        char *got = escaped(&c, 1);
        for (const char *p = got; *p; p++) {
            assert_true(*p != '<' && *p != '>' && *p != '"' && *p != '\'');
            assert_true((unsigned char)*p >= 0x20 || *p == '\t' || *p == '\n');
        }
        free(got);
    }
}

static struct nr_alert_rule rule(uint32_t min_count, double min_ratio, double max_p)
{
    struct nr_alert_rule r;
    memset(&r, 0, sizeof(r));
    r.id = "r";
    r.min_count = min_count;
    r.min_ratio = min_ratio;
    r.max_p = max_p;
    r.window_ms = 3600000;
    r.bucket_ms = 300000;
    r.baseline_ms = 86400000;
    r.baseline_bucket_ms = 3600000;
    return r;
}

/* The threshold is the smallest count the spike test passes. */
static void test_threshold(void **state)
{
    (void)state;
    const struct nr_alert_rule rules[] = {rule(3, 3, 0), rule(3, 0, 0.01), rule(1, 2, 0.001),
                                          rule(5, 1.5, 0.05)};
    const double expected[] = {0.001, 0.5, 1, 2.5, 7, 30, 120, 900};
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        for (size_t j = 0; j < sizeof(expected) / sizeof(expected[0]); j++) {
            uint32_t t = nr_detect_threshold(&rules[i], expected[j]);
            uint32_t k = 0;
            double ratio, p;
            while (!nr_detect_spike(&rules[i], k, expected[j], &ratio, &p))
                k++;
            assert_int_equal(t, k);
        }
}

static const struct nr_alert_rule *g_rule;

/* A key evaluated 5000 times (more than the per-key point cap) with one
 * spike: the page still draws the spike's count. */
static void test_points_bounded(void **state)
{
    (void)state;
    struct nr_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    struct nr_alert_rule r = rule(3, 3, 0);
    g_rule = &r;
    cfg.rules = &r;
    cfg.n_rules = 1;
    struct nr_report *rep = nr_report_new(&cfg);
    for (int i = 0; i < 5000; i++) {
        struct nr_detect_obs o = {
            0,   "k", (int64_t)i * 60000, (int64_t)i * 60000 - 3600000, i == 3001 ? 977u : 1u,
            1.0, 3};
        nr_report_observe(rep, &o);
    }
    struct nr_alert_dim dim = {"country", "PK", "Pakistan", "PK"};
    struct nr_alert a;
    memset(&a, 0, sizeof(a));
    memcpy(a.alert_id, "00000000000000ab", 17);
    a.rule = "r";
    a.key = "k";
    a.dims = &dim;
    a.n_dims = 1;
    a.count = 977;
    a.detected_ms = 3001 * 60000;
    nr_report_alert(rep, &a);
    struct nr_report_run run;
    memset(&run, 0, sizeof(run));
    run.input = "in<put>";
    run.config = "cfg";
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(nr_report_write(rep, &run, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "00000000000000ab"));
    assert_non_null(strstr(buf, "in&lt;put&gt;"));
    /* the count polyline: at most 600 points, and one at the top (y = 12 +
     * (226 - 12) x (1 - 977 / ymax) with ymax = nice(1.1 x 977) = 2000: 121.5) */
    const char *pl = strstr(buf, "<polyline class=\"count\" points=\"");
    assert_non_null(pl);
    size_t pts = 0;
    for (const char *p = pl; *p && *p != '/'; p++)
        pts += *p == ',';
    assert_true(pts > 100 && pts <= 600);
    const char *end = strchr(pl, '/');
    char *seg = strndup(pl, (size_t)(end - pl));
    assert_non_null(strstr(seg, ",121.5"));
    free(seg);
    free(buf);
    nr_report_free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_points_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
