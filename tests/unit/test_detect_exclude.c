/*
 * test_detect_exclude.c - `exclude_alerts`: the baseline (expected count,
 * dispersion, and the Poisson and negative-binomial tails they give) with a
 * key's past alert episodes left out, against values computed independently
 * by tests/data/detect/exclude_reference.py (the formulas of docs/alerts.md
 * in Python, the tails from scipy.stats); the episode bits' life in the
 * ring; a detector that resolves an episode marks it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_fixture.h"
#include "newsradar/detect.h"
#include "newsradar/detect_season.h"
#include "newsradar/window.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BUCKETS 1024
#define DAY0        1700006400000LL /* 2023-11-15T00:00:00Z */

static const char *g_data;

struct ref_case {
    char name[64], season[16];
    int shift, window_h, first_min;
    unsigned count;
    int firing_from;
    int n_ep, ep[8][2];
    int n; /* baseline buckets */
    unsigned counts[MAX_BUCKETS];
    double expected, phi, p_poisson, p_negbin;
};

static bool parse_case(char *line, struct ref_case *c)
{
    static char counts[8192];
    char eps[256];
    memset(c, 0, sizeof(*c));
    if (sscanf(line, "%63s %15s %d %d %d %u %d %255s %8191s %lf %lf %lf %lf", c->name, c->season,
               &c->shift, &c->window_h, &c->first_min, &c->count, &c->firing_from, eps, counts,
               &c->expected, &c->phi, &c->p_poisson, &c->p_negbin) != 13)
        return false;
    if (strcmp(eps, "-") != 0)
        for (char *t = strtok(eps, ","); t && c->n_ep < 8; t = strtok(NULL, ","))
            if (sscanf(t, "%d-%d", &c->ep[c->n_ep][0], &c->ep[c->n_ep][1]) == 2)
                c->n_ep++;
    for (char *t = strtok(counts, ","); t && c->n < MAX_BUCKETS; t = strtok(NULL, ","))
        c->counts[c->n++] = (unsigned)strtoul(t, NULL, 10);
    return c->n >= 1 && c->window_h >= 1 && c->first_min >= 0 && c->first_min < 60;
}

/* The rule of the reference: a window of window_h hours, a baseline of the
 * case's buckets of 1 h. */
static void ref_rule(struct nr_alert_rule *r, const struct ref_case *c, bool exclude)
{
    r->window_ms = c->window_h * FX_HOUR;
    r->baseline_ms = c->n * FX_HOUR;
    r->baseline_bucket_ms = FX_HOUR;
    r->baseline_floor = 1e-3;
    r->season = strcmp(c->season, "daily") == 0    ? NR_SEASON_DAILY
                : strcmp(c->season, "weekly") == 0 ? NR_SEASON_WEEKLY
                                                   : NR_SEASON_NONE;
    r->score = NR_SCORE_NEGBIN;
    r->exclude_alerts = exclude;
}

/* A key holding the case's counts (bucket 0's from the first event, first_min
 * into it), and its episodes when `marks`. */
static struct nr_wkey *ref_key(struct nr_wstore *s, const struct fixture *f,
                               const struct ref_case *c, bool marks, int64_t t0)
{
    struct nr_count_event ev = fx_event(f, 0, 0, t0, "k", 1);
    struct nr_wkey *k = nr_wstore_get(s, &ev, NULL);
    for (int i = 0; i < c->n; i++) {
        assert_true((i ? 1 : c->first_min) + (int)c->counts[i] <= 60);
        for (unsigned j = 0; j < c->counts[i]; j++) {
            int64_t t =
                t0 + i * FX_HOUR + (i ? (int64_t)(j + 1) : c->first_min + (int64_t)j) * FX_MIN;
            assert_true(nr_window_add(k, t, t));
        }
    }
    if (!marks)
        return k;
    for (int e = 0; e < c->n_ep; e++)
        nr_window_mark_episode(k, t0 + c->ep[e][0] * FX_HOUR,
                               t0 + c->ep[e][1] * FX_HOUR + 30 * FX_MIN);
    if (c->firing_from >= 0) {
        k->det.firing = true;
        k->det.episode_start_ms = t0 + c->firing_from * FX_HOUR;
    }
    return k;
}

/* Every value off the reference is printed (all cases run), then counted
 * once by the caller's assert. */
static int close_to(const char *what, const char *name, double got, double want, double rel)
{
    if (fabs(got - want) <= rel * fabs(want) + 1e-300)
        return 0;
    print_error("%s: %s = %.17g, reference %.17g\n", name, what, got, want);
    return 1;
}

static void test_reference(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/detect/exclude_baseline.tsv", g_data);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char line[16384];
    int n = 0, bad = 0, excluded = 0, windows6 = 0, mid = 0, weekly = 0;
    while (fgets(line, sizeof(line), fp)) {
        if (line[0] == '#')
            continue;
        struct ref_case c;
        assert_true(parse_case(line, &c));
        struct fixture f;
        fx_init(&f);
        ref_rule(&f.rules[0], &c, true);
        const struct nr_alert_rule *r = &f.rules[0];
        int64_t t0 = DAY0 + c.shift * FX_HOUR, ws = t0 + c.n * FX_HOUR;
        int64_t first = t0 + c.first_min * FX_MIN; /* the first counted event */
        struct nr_wstore *s = nr_wstore_new(&f.cfg);
        struct nr_wkey *k = ref_key(s, &f, &c, true, t0);
        double phi = 0;
        double e = nr_baseline_expected(k, r, ws, first, &phi);
        bad += close_to("expected", c.name, e, c.expected, 1e-12);
        bad += close_to("phi", c.name, phi, c.phi, 1e-12);
        bad += close_to("Poisson tail", c.name, nr_poisson_tail(c.count, e), c.p_poisson, 1e-9);
        bad += close_to("negbin tail", c.name, nr_negbin_tail(c.count, e, phi), c.p_negbin, 1e-9);
        double ratio, p;
        (void)nr_detect_spike_phi(r, c.count, e, phi, &ratio, &p);
        bad += close_to("spike p", c.name, p, c.p_negbin, 1e-9);

        /* exclude_alerts: false is the baseline of the same counts without
         * episodes, marks or not */
        struct nr_wstore *s2 = nr_wstore_new(&f.cfg);
        struct nr_wkey *k2 = ref_key(s2, &f, &c, false, t0);
        double phi2 = 0, e2 = nr_baseline_expected(k2, r, ws, first, &phi2);
        f.rules[0].exclude_alerts = false;
        double phi3 = 0, e3 = nr_baseline_expected(k, r, ws, first, &phi3);
        assert_true(e3 == e2 && phi3 == phi2);
        excluded += e != e2;
        windows6 += c.window_h == 6;
        mid += c.first_min > 0;
        weekly += r->season == NR_SEASON_WEEKLY && e != e2;
        nr_wstore_free(s2);
        nr_wstore_free(s);
        n++;
    }
    fclose(fp);
    assert_int_equal(bad, 0);
    assert_true(n >= 23);
    assert_true(excluded >= 10); /* the cases do leave episodes out */
    assert_true(windows6 >= 4 && mid >= 4 && weekly >= 2);
}

/* The bits are cleared with their bucket: an episode is forgotten when its
 * counts leave the ring, and a new bucket in the same slot is clean. */
static void test_bits_life(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_wstore *s = nr_wstore_new(&f.cfg);
    struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0, "k", 1);
    struct nr_wkey *k = nr_wstore_get(s, &ev, NULL);
    assert_true(nr_window_add(k, FX_T0, FX_T0));
    int64_t b0 = nr_floordiv(FX_T0, FX_HOUR);
    nr_window_mark_episode(k, FX_T0, FX_T0 + 2 * FX_HOUR + 1); /* reaches ahead */
    for (int64_t b = b0; b <= b0 + 2; b++)
        assert_true(nr_window_in_episode(k, b));
    assert_false(nr_window_in_episode(k, b0 - 1));
    assert_false(nr_window_in_episode(k, b0 + 3));
    f.rules[0].exclude_alerts = true;
    assert_true(nr_window_has_episode(k, &f.rules[0]));
    /* the ring (27 buckets) slides past: the slots are reused, clean */
    int64_t later = FX_T0 + (int64_t)k->coarse.n * FX_HOUR;
    assert_true(nr_window_add(k, later, later));
    assert_false(nr_window_in_episode(k, b0));
    assert_false(nr_window_in_episode(k, b0 + (int64_t)k->coarse.n));
    assert_true(nr_window_in_episode(k, b0 + 2)); /* still in the ring */
    later += 3 * FX_HOUR;
    assert_true(nr_window_add(k, later, later));
    assert_false(nr_window_has_episode(k, &f.rules[0]));
    f.rules[0].exclude_alerts = false;
    k->det.firing = true;
    k->det.episode_start_ms = later;
    assert_false(nr_window_has_episode(k, &f.rules[0])); /* the rule does not ask */
    nr_wstore_free(s);
}

static int64_t last_detected_ms; /* of the last alert count_alerts saw */

static void count_alerts(void *ud, const struct nr_alert *a)
{
    last_detected_ms = a->detected_ms;
    (*(int *)ud)++;
}

/* A detector marks an episode when it resolves: window start at the first
 * firing to the stream time it resolved (the first bucket boundary at which
 * the spike no longer passed, at or before the time advanced to). */
static void test_resolve_marks(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.rules[0].exclude_alerts = true;
    struct nr_detector *d = nr_detector_new(&f.cfg, NULL);
    int n = 0;
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "s%d", i);
        struct nr_count_event ev =
            fx_event(&f, 0, 0, FX_T0 + i * FX_MIN, id, fx_story((unsigned)i));
        nr_detector_count(d, &ev, count_alerts, &n);
    }
    assert_int_equal(n, 1); /* firing */
    struct nr_wkey *k = nr_wstore_find(nr_detector_store(d), 0, "country=PK");
    assert_non_null(k);
    int64_t start = k->det.episode_start_ms;
    assert_true(nr_window_in_episode(k, nr_floordiv(FX_T0, FX_HOUR))); /* firing now */
    nr_detector_advance(d, FX_T0 + 3 * FX_HOUR, count_alerts, &n);
    assert_int_equal(n, 2); /* resolved */
    assert_false(k->det.firing);
    assert_true(last_detected_ms > start && last_detected_ms <= FX_T0 + 3 * FX_HOUR);
    for (int64_t b = nr_floordiv(start, FX_HOUR); b <= nr_floordiv(last_detected_ms, FX_HOUR); b++)
        assert_true(nr_window_in_episode(k, b));
    assert_false(nr_window_in_episode(k, nr_floordiv(start, FX_HOUR) - 1));
    nr_detector_free(d);
}

int main(int argc, char **argv)
{
    g_data = argc > 1 ? argv[1] : "tests/data";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_bits_life),
        cmocka_unit_test(test_resolve_marks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
