/* Tests for the Prometheus registry (metrics.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "newsradar/metrics.h"

static void test_render(void **state)
{
    (void)state;
    struct nr_metrics *m = nr_metrics_new();
    _Atomic uint64_t *in = nr_metrics_counter(m, "nr_articles_total", "Articles read.", NULL);
    _Atomic uint64_t *a1 =
        nr_metrics_counter(m, "nr_alerts_total", "Alerts.", "rule=\"r1\",state=\"firing\"");
    _Atomic uint64_t *a1b =
        nr_metrics_counter(m, "nr_alerts_total", "Alerts.", "rule=\"r1\",state=\"firing\"");
    assert_ptr_equal(a1, a1b);
    _Atomic uint64_t *g = nr_metrics_gauge(m, "nr_window_keys", "Keys.", NULL);
    static const double b[] = {0.001, 0.01, 0.1};
    struct nr_histogram *h = nr_metrics_histogram(m, "nr_latency_seconds", "Latency.", b, 3);
    nr_counter_add(in, 3);
    nr_counter_add(a1, 1);
    nr_gauge_set(g, 42);
    nr_histogram_observe(h, 0.005);
    nr_histogram_observe(h, 5);
    size_t len;
    char *text = nr_metrics_render(m, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "# TYPE nr_articles_total counter\nnr_articles_total 3\n"));
    assert_non_null(strstr(text, "nr_alerts_total{rule=\"r1\",state=\"firing\"} 1\n"));
    assert_non_null(strstr(text, "nr_window_keys 42\n"));
    assert_non_null(strstr(text, "nr_latency_seconds_bucket{le=\"0.001\"} 0\n"));
    assert_non_null(strstr(text, "nr_latency_seconds_bucket{le=\"0.01\"} 1\n"));
    assert_non_null(strstr(text, "nr_latency_seconds_bucket{le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(text, "nr_latency_seconds_count 2\n"));
    free(text);
    nr_metrics_free(m);
}

static void test_escape(void **state)
{
    (void)state;
    char buf[64];
    nr_metrics_escape("a\"b\\c\nd", buf, sizeof(buf));
    assert_string_equal(buf, "a\\\"b\\\\c\\nd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
