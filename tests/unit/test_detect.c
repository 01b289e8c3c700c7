/* test_detect.c - Poisson tail, severity, and the detector's state machine
 * (firing, escalated, resolved, cooldown, late events, determinism). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_fixture.h"
#include "newsradar/alert.h"
#include "newsradar/detect.h"
#include "newsradar/window.h"

#include <math.h>
#include <stdlib.h>

static void test_poisson(void **state)
{
    (void)state;
    assert_true(fabs(nr_poisson_tail(0, 3.0) - 1.0) < 1e-12);
    assert_true(fabs(nr_poisson_tail(1, 1.0) - (1 - exp(-1.0))) < 1e-12);
    double p3 = 1 - exp(-0.5) * (1 + 0.5 + 0.125);
    assert_true(fabs(nr_poisson_tail(3, 0.5) - p3) / p3 < 1e-9);
    /* continued-fraction branch: P(X >= 5; 10) = 1 - sum_{i<5} */
    double s = 0, term = exp(-10.0);
    for (int i = 0; i < 5; i++) {
        s += term;
        term *= 10.0 / (i + 1);
    }
    assert_true(fabs(nr_poisson_tail(5, 10.0) - (1 - s)) < 1e-12);
    /* huge k: tiny but finite and positive, no overflow */
    double tiny = nr_poisson_tail(1000, 10.0);
    assert_true(isfinite(tiny) && tiny >= 0 && tiny < 1e-300);
    double big = nr_poisson_tail(4000000000u, 4e9);
    assert_true(isfinite(big) && big > 0.4 && big < 0.6);
    /* monotone in k */
    double prev = 1.0;
    for (uint64_t k = 1; k < 60; k++) {
        double p = nr_poisson_tail(k, 7.5);
        assert_true(p <= prev + 1e-15);
        prev = p;
    }
}

static void test_severity_and_spike(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    const struct nr_alert_rule *r = &f.rules[0];
    assert_int_equal(nr_detect_severity(r, 1.0), NR_SEV_LOW);
    assert_int_equal(nr_detect_severity(r, 6.0), NR_SEV_MEDIUM);
    assert_int_equal(nr_detect_severity(r, 12.5), NR_SEV_HIGH);
    assert_int_equal(nr_detect_severity(r, 100), NR_SEV_CRITICAL);
    double ratio, p;
    assert_false(nr_detect_spike(r, 2, 0.1, &ratio, &p)); /* under min_count */
    assert_true(nr_detect_spike(r, 3, 0.5, &ratio, &p));
    assert_true(fabs(ratio - 6.0) < 1e-12);
    assert_false(nr_detect_spike(r, 5, 2.0, &ratio, &p));  /* ratio 2.5 < 3 */
    const struct nr_alert_rule *rp = &f.rules[1];          /* max_p 0.001 */
    assert_false(nr_detect_spike(rp, 3, 0.5, &ratio, &p)); /* p = 0.0144 */
    assert_true(nr_detect_spike(rp, 6, 0.5, &ratio, &p));
    assert_true(p <= 0.001);
    /* ids: stable, and different for another window start */
    assert_true(nr_detect_alert_id("r", "country=PK", 1000) ==
                nr_detect_alert_id("r", "country=PK", 1000));
    assert_true(nr_detect_alert_id("r", "country=PK", 1000) !=
                nr_detect_alert_id("r", "country=PK", 2000));
}

struct got {
    int n;
    enum nr_alert_state st[64];
    enum nr_severity sev[64];
    char id[64][17];
    uint32_t count[64];
    char *json[64];
};

static void collect(void *ud, const struct nr_alert *a)
{
    struct got *g = ud;
    assert_true(g->n < 64);
    g->st[g->n] = a->state;
    g->sev[g->n] = a->severity;
    memcpy(g->id[g->n], a->alert_id, 17);
    g->count[g->n] = a->count;
    g->json[g->n] = nr_alert_to_json(a);
    assert_non_null(g->json[g->n]);
    g->n++;
}

static void got_free(struct got *g)
{
    for (int i = 0; i < g->n; i++)
        free(g->json[i]);
}

static void feed(struct nr_detector *d, const struct fixture *f, uint32_t ent, int64_t t, int i,
                 struct got *g)
{
    char id[32];
    snprintf(id, sizeof(id), "a%d", i);
    struct nr_count_event ev = fx_event(f, 0, ent, t, id, fx_story((unsigned)i));
    nr_detector_count(d, &ev, collect, g);
}

static void test_fire_escalate_resolve(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_error err;
    struct nr_detector *d = nr_detector_new(&f.cfg, &err);
    assert_non_null(d);
    struct got g = {0};
    feed(d, &f, 0, FX_T0, 1, &g);
    feed(d, &f, 0, FX_T0 + FX_MIN, 2, &g);
    assert_int_equal(g.n, 0);
    feed(d, &f, 0, FX_T0 + 2 * FX_MIN, 3, &g); /* 3 / floor 0.5 = 6: medium */
    assert_int_equal(g.n, 1);
    assert_int_equal(g.st[0], NR_ALERT_FIRING);
    assert_int_equal(g.sev[0], NR_SEV_MEDIUM);
    assert_int_equal(g.count[0], 3);
    for (int i = 4; i <= 12; i++)
        feed(d, &f, 0, FX_T0 + 3 * FX_MIN, i, &g);
    /* 6 -> ratio 12: high; 12 -> ratio 24: critical */
    assert_int_equal(g.n, 3);
    assert_int_equal(g.st[1], NR_ALERT_ESCALATED);
    assert_int_equal(g.sev[1], NR_SEV_HIGH);
    assert_int_equal(g.count[1], 6);
    assert_int_equal(g.st[2], NR_ALERT_ESCALATED);
    assert_int_equal(g.sev[2], NR_SEV_CRITICAL);
    assert_string_equal(g.id[0], g.id[1]);
    assert_string_equal(g.id[0], g.id[2]);
    /* another country is an independent key */
    feed(d, &f, 1, FX_T0 + 4 * FX_MIN, 100, &g);
    assert_int_equal(g.n, 3);
    /* the window still holds the bucket at T0 until stream reaches T0+60m */
    nr_detector_advance(d, FX_T0 + 59 * FX_MIN, collect, &g);
    assert_int_equal(g.n, 3);
    nr_detector_advance(d, FX_T0 + 60 * FX_MIN, collect, &g);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.st[3], NR_ALERT_RESOLVED);
    assert_string_equal(g.id[3], g.id[0]);
    assert_int_equal(g.sev[3], NR_SEV_CRITICAL);
    /* stream time never goes back */
    nr_detector_advance(d, FX_T0, collect, &g);
    assert_int_equal(nr_detector_stream_ms(d), FX_T0 + 60 * FX_MIN);
    struct nr_detect_stats st;
    nr_detector_stats(d, &st);
    assert_int_equal(st.alerts[NR_ALERT_FIRING], 1);
    assert_int_equal(st.alerts[NR_ALERT_ESCALATED], 2);
    assert_int_equal(st.alerts[NR_ALERT_RESOLVED], 1);
    assert_int_equal(st.keys, 2);
    assert_int_equal(st.keys_firing, 0);
    got_free(&g);
    nr_detector_free(d);
}

static void test_cooldown(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.rules[0].min_ratio = 0; /* count >= 3 is a spike */
    struct nr_detector *d = nr_detector_new(&f.cfg, NULL);
    struct got g = {0};
    for (int i = 0; i < 3; i++)
        feed(d, &f, 0, FX_T0 + i * FX_MIN, i, &g);
    assert_int_equal(g.n, 1);
    nr_detector_advance(d, FX_T0 + 70 * FX_MIN, collect, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.st[1], NR_ALERT_RESOLVED);
    /* a new spike 80 min after the first firing: inside the 2 h cooldown */
    for (int i = 0; i < 4; i++)
        feed(d, &f, 0, FX_T0 + (80 + i) * FX_MIN, 10 + i, &g);
    assert_int_equal(g.n, 2);
    /* 125 min after: a new episode with a new id */
    feed(d, &f, 0, FX_T0 + 125 * FX_MIN, 20, &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.st[2], NR_ALERT_FIRING);
    assert_string_not_equal(g.id[2], g.id[0]);
    got_free(&g);
    nr_detector_free(d);
}

static void test_late_and_dups(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_detector *d = nr_detector_new(&f.cfg, NULL);
    struct got g = {0};
    feed(d, &f, 0, FX_T0, 1, &g);
    feed(d, &f, 0, FX_T0 + 30 * FX_MIN, 2, &g);
    feed(d, &f, 0, FX_T0 + 10 * FX_MIN, 3, &g); /* late (> 5 min grace) but counted */
    assert_int_equal(g.n, 1);                   /* 3 in the window: fires */
    assert_int_equal(g.count[0], 3);
    feed(d, &f, 0, FX_T0 - 3 * 24 * FX_HOUR, 4, &g); /* older than the whole ring */
    feed(d, &f, 0, FX_T0 + 31 * FX_MIN, 2, &g);      /* same id: exact duplicate */
    char id[] = "copy";
    struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0 + 32 * FX_MIN, id, fx_story(2) ^ 0x5);
    nr_detector_count(d, &ev, collect, &g); /* 2 bits from story 2: near duplicate */
    struct nr_detect_stats st;
    nr_detector_stats(d, &st);
    assert_int_equal(st.late, 2);
    assert_int_equal(st.late_dropped, 1);
    assert_int_equal(st.duplicates, 2);
    assert_int_equal(st.near_duplicates, 1);
    /* the count did not move: a fourth distinct story escalates nothing but
     * shows count 4 would be reached only by a new story */
    feed(d, &f, 0, FX_T0 + 33 * FX_MIN, 5, &g);
    feed(d, &f, 0, FX_T0 + 33 * FX_MIN, 6, &g);
    feed(d, &f, 0, FX_T0 + 33 * FX_MIN, 7, &g); /* 6 distinct -> ratio 12: high */
    assert_int_equal(g.n, 2);
    assert_int_equal(g.count[1], 6);
    assert_non_null(strstr(g.json[1], "\"duplicate_of\":\"a2\""));
    got_free(&g);
    nr_detector_free(d);
}

static void run_once(const struct fixture *f, struct got *g)
{
    struct nr_detector *d = nr_detector_new(&f->cfg, NULL);
    for (int i = 0; i < 40; i++)
        feed(d, f, (uint32_t)(i % 2), FX_T0 + (i * 7 % 90) * FX_MIN, i, g);
    nr_detector_advance(d, FX_T0 + 10 * FX_HOUR, collect, g);
    nr_detector_free(d);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct got a = {0}, b = {0};
    run_once(&f, &a);
    run_once(&f, &b);
    assert_true(a.n > 0);
    assert_int_equal(a.n, b.n);
    for (int i = 0; i < a.n; i++)
        assert_string_equal(a.json[i], b.json[i]);
    got_free(&a);
    got_free(&b);
}

/* What the Kafka service does on SIGHUP: every key of the old detector is
 * snapshot and restored into a detector built from the new config (rules
 * reordered, an entity removed). An episode in progress goes on with the
 * same id and the evidence gathered before the reload. */
static void test_reload(void **state)
{
    (void)state;
    struct fixture f, g2;
    fx_init(&f);
    fx_config_b(&g2);
    struct nr_detector *d = nr_detector_new(&f.cfg, NULL);
    struct got g = {0};
    for (int i = 1; i <= 3; i++)
        feed(d, &f, 0, FX_T0 + i * FX_MIN, i, &g); /* PK fires */
    feed(d, &f, 1, FX_T0 + 4 * FX_MIN, 50, &g);    /* an AF key */
    assert_int_equal(g.n, 1);
    assert_int_equal(g.st[0], NR_ALERT_FIRING);

    struct nr_detector *nd = nr_detector_new(&g2.cfg, NULL);
    struct nr_wstore *old = nr_detector_store(d);
    size_t kept = 0, dropped = 0;
    for (struct nr_wkey *k = nr_wstore_first(old); k; k = nr_wstore_next(old, k)) {
        uint8_t *buf;
        size_t len;
        struct nr_error err;
        assert_int_equal(nr_window_key_snapshot(old, k, &buf, &len), 0);
        if (nr_window_key_restore(nr_detector_store(nd), buf, len, NULL, &err) == 0)
            kept++;
        else
            dropped++;
        free(buf);
    }
    assert_int_equal(kept, 1);
    assert_int_equal(dropped, 1); /* AF is gone */
    int64_t sm, fs;
    nr_detector_meta(d, &sm, &fs);
    nr_detector_set_meta(nd, sm, fs);
    nr_detector_free(d);

    /* three more PK stories under config B (attack_by_country is rule 2):
     * 6 in the window -> ratio 12 -> escalated, same id */
    for (int i = 4; i <= 6; i++) {
        char id[16];
        snprintf(id, sizeof(id), "a%d", i);
        struct nr_count_event ev =
            fx_event(&g2, 2, 0, FX_T0 + 5 * FX_MIN, id, fx_story((unsigned)i));
        nr_detector_count(nd, &ev, collect, &g);
    }
    /* a redelivered pre-reload article is still known as a duplicate */
    struct nr_count_event ev = fx_event(&g2, 2, 0, FX_T0 + 5 * FX_MIN, "a2", fx_story(2));
    nr_detector_count(nd, &ev, collect, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.st[1], NR_ALERT_ESCALATED);
    assert_int_equal(g.count[1], 6);
    assert_string_equal(g.id[1], g.id[0]);
    assert_non_null(strstr(g.json[1], "\"id\":\"a1\""));
    nr_detector_advance(nd, FX_T0 + 2 * FX_HOUR, collect, &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.st[2], NR_ALERT_RESOLVED);
    assert_string_equal(g.id[2], g.id[0]);
    struct nr_detect_stats st;
    nr_detector_stats(nd, &st);
    assert_int_equal(st.duplicates, 1);
    got_free(&g);
    nr_detector_free(nd);
}

static void test_bad_rules(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.rules[1].bucket_ms = 7 * FX_MIN; /* 1 h is not a multiple of 7 min */
    struct nr_error err;
    assert_null(nr_detector_new(&f.cfg, &err));
    assert_non_null(strstr(err.msg, "everything"));
    /* events from another config are ignored, not crashed on */
    fx_init(&f);
    struct nr_detector *d = nr_detector_new(&f.cfg, NULL);
    struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0, "x", 1);
    ev.rule = 99;
    nr_detector_count(d, &ev, collect, NULL);
    ev.rule = 0;
    ev.dims[0].entity = 1000;
    nr_detector_count(d, &ev, collect, NULL);
    struct nr_detect_stats st;
    nr_detector_stats(d, &st);
    assert_int_equal(st.events, 0);
    nr_detector_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poisson),
        cmocka_unit_test(test_severity_and_spike),
        cmocka_unit_test(test_fire_escalate_resolve),
        cmocka_unit_test(test_cooldown),
        cmocka_unit_test(test_late_and_dups),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
