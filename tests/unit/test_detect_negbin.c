/*
 * test_detect_negbin.c - `score: negbin`: nr_negbin_tail against values
 * computed independently (tests/data/detect/negbin_reference.py sums the
 * mass function; the C code uses the incomplete beta's continued fraction),
 * its Poisson limit, and the spike test and threshold it gives a rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/detect.h"

static const char *g_data;

static void test_reference(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/detect/negbin_tail.tsv", g_data);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#')
            continue;
        unsigned long long k;
        double mu, phi, want;
        assert_int_equal(sscanf(line, "%llu %lf %lf %lf", &k, &mu, &phi, &want), 4);
        double got = nr_negbin_tail(k, mu, phi);
        if (!(fabs(got - want) <= 1e-9 * want + 1e-300))
            fail_msg("P(X >= %llu; mu %g, phi %g) = %.17g, reference %.17g", k, mu, phi, got, want);
        n++;
    }
    fclose(f);
    assert_true(n >= 50);
}

static void test_limits(void **state)
{
    (void)state;
    assert_true(nr_negbin_tail(0, 3.0, 2.0) == 1.0);
    assert_true(nr_negbin_tail(5, 0.0, 2.0) == 0.0);
    /* phi 1: exactly the Poisson tail; phi just above 1: close to it */
    for (uint64_t k = 1; k < 40; k += 3) {
        assert_true(nr_negbin_tail(k, 7.5, 1.0) == nr_poisson_tail(k, 7.5));
        double a = nr_negbin_tail(k, 7.5, 1.0 + 1e-6), b = nr_poisson_tail(k, 7.5);
        assert_true(fabs(a - b) <= 1e-4 * b + 1e-12);
    }
    /* over-dispersion makes a large count less surprising, monotonically */
    double prev = 0;
    for (double phi = 1.0; phi <= 20.0; phi += 0.5) {
        double p = nr_negbin_tail(30, 6.0, phi);
        assert_true(p >= prev);
        prev = p;
    }
}

static void test_rule(void **state)
{
    (void)state;
    struct nr_alert_rule r;
    memset(&r, 0, sizeof(r));
    r.min_count = 3;
    r.max_p = 0.001;
    r.score = NR_SCORE_NEGBIN;
    double ratio, p, pp;
    /* 15 articles against an expected 4: a Poisson spike, not under phi 4 */
    assert_true(nr_detect_spike_phi(&r, 15, 4.0, 1.0, &ratio, &pp));
    assert_false(nr_detect_spike_phi(&r, 15, 4.0, 4.0, &ratio, &p));
    assert_true(p > pp);
    /* the threshold is the smallest count that passes */
    for (double phi = 1.0; phi <= 9.0; phi += 2.0) {
        uint32_t t = nr_detect_threshold_phi(&r, 4.0, phi);
        assert_true(nr_detect_spike_phi(&r, t, 4.0, phi, &ratio, &p));
        assert_false(nr_detect_spike_phi(&r, t - 1, 4.0, phi, &ratio, &p));
    }
    assert_true(nr_detect_threshold_phi(&r, 4.0, 5.0) > nr_detect_threshold_phi(&r, 4.0, 1.0));
    r.score = NR_SCORE_POISSON; /* poisson ignores phi */
    assert_int_equal(nr_detect_threshold_phi(&r, 4.0, 5.0), nr_detect_threshold(&r, 4.0));
}

int main(int argc, char **argv)
{
    g_data = argc > 1 ? argv[1] : "tests/data";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
