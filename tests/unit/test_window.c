/* test_window.c - bucket rings, baseline, the key store (LRU and idle
 * eviction) and key snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_fixture.h"
#include "newsradar/window.h"

#include <math.h>
#include <stdlib.h>

static struct nr_wkey *key_for(struct nr_wstore *s, const struct fixture *f, uint32_t ent)
{
    struct nr_count_event ev = fx_event(f, 0, ent, FX_T0, "k", 1);
    return nr_wstore_get(s, &ev, NULL);
}

static void test_sliding_count(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_wstore *s = nr_wstore_new(&f.cfg);
    struct nr_wkey *k = key_for(s, &f, 0);
    assert_int_equal(k->fine.n, 12);
    assert_int_equal(k->coarse.n, 24 + 1 + 2);
    assert_true(nr_window_add(k, FX_T0, FX_T0));
    assert_true(nr_window_add(k, FX_T0 + 4 * FX_MIN, FX_T0 + 4 * FX_MIN));
    assert_true(nr_window_add(k, FX_T0 + 50 * FX_MIN, FX_T0 + 50 * FX_MIN));
    int64_t ws, we;
    assert_int_equal(nr_window_count(k, FX_T0 + 50 * FX_MIN, &ws, &we), 3);
    assert_int_equal(ws, FX_T0 - 5 * FX_MIN);
    assert_int_equal(we, FX_T0 + 55 * FX_MIN);
    /* the bucket at T0 (two events) leaves the window at T0 + 60 min */
    assert_int_equal(nr_window_count(k, FX_T0 + 59 * FX_MIN, NULL, NULL), 3);
    assert_int_equal(nr_window_count(k, FX_T0 + 60 * FX_MIN, NULL, NULL), 1);
    assert_int_equal(nr_window_count(k, FX_T0 + 5 * FX_HOUR, NULL, NULL), 0);
    /* a jump far ahead clears the ring; an old event is refused */
    assert_true(nr_window_add(k, FX_T0 + 3 * 24 * FX_HOUR, FX_T0 + 3 * 24 * FX_HOUR));
    assert_int_equal(nr_window_count(k, FX_T0 + 3 * 24 * FX_HOUR, NULL, NULL), 1);
    assert_false(nr_window_add(k, FX_T0, FX_T0 + 3 * 24 * FX_HOUR));
    /* late but inside the coarse ring: counted in the baseline only */
    assert_true(
        nr_window_add(k, FX_T0 + 2 * 24 * FX_HOUR + 12 * FX_HOUR, FX_T0 + 3 * 24 * FX_HOUR));
    assert_int_equal(nr_window_count(k, FX_T0 + 3 * 24 * FX_HOUR, NULL, NULL), 1);
    /* negative times (before 1970) floor correctly */
    assert_int_equal(nr_floordiv(-1, 5), -1);
    assert_int_equal(nr_floordiv(-5, 5), -1);
    assert_int_equal(nr_floordiv(-6, 5), -2);
    nr_wstore_free(s);
}

static void test_baseline(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_wstore *s = nr_wstore_new(&f.cfg);
    struct nr_wkey *k = key_for(s, &f, 0);
    const struct nr_alert_rule *r = &f.rules[0];
    int64_t ws;
    /* cold start: nothing before the window -> the floor */
    nr_window_add(k, FX_T0, FX_T0);
    nr_window_count(k, FX_T0, &ws, NULL);
    assert_true(fabs(nr_window_expected(k, r, ws, FX_T0) - 0.5) < 1e-12);
    /* one event an hour for a day: about one per window */
    for (int h = 1; h <= 24; h++)
        nr_window_add(k, FX_T0 + h * FX_HOUR, FX_T0 + h * FX_HOUR);
    int64_t now = FX_T0 + 24 * FX_HOUR;
    nr_window_count(k, now, &ws, NULL);
    double e = nr_window_expected(k, r, ws, FX_T0);
    assert_true(e > 0.9 && e < 1.1);
    /* the same counts seen only for a short time are not diluted by the
     * unobserved part of the baseline: 4 events in ~3 h of observation */
    struct nr_wkey *k2 = key_for(s, &f, 1);
    for (int i = 0; i < 4; i++)
        nr_window_add(k2, FX_T0 + i * 40 * FX_MIN, FX_T0 + i * 40 * FX_MIN);
    now = FX_T0 + 4 * FX_HOUR;
    nr_window_count(k2, now, &ws, NULL);
    e = nr_window_expected(k2, r, ws, FX_T0);
    assert_true(e > 1.0); /* diluted over 24 h it would be ~0.17 */
    nr_wstore_free(s);
}

static void test_eviction(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.cfg.engine.max_keys = 2;
    f.cfg.engine.idle_evict_ms = FX_HOUR;
    struct nr_wstore *s = nr_wstore_new(&f.cfg);
    struct nr_wkey *pk = key_for(s, &f, 0);
    nr_window_add(pk, FX_T0, FX_T0);
    struct nr_wkey *af = key_for(s, &f, 1);
    nr_window_add(af, FX_T0, FX_T0);
    key_for(s, &f, 0); /* touch PK: AF is now least recently updated */
    struct nr_wkey *in = key_for(s, &f, 3);
    nr_window_add(in, FX_T0 + 2 * FX_HOUR, FX_T0 + 2 * FX_HOUR);
    assert_int_equal(nr_wstore_count(s), 2);
    assert_int_equal(nr_wstore_evicted(s), 1);
    assert_null(nr_wstore_find(s, 0, "country=AF"));
    assert_non_null(nr_wstore_find(s, 0, "country=PK"));
    /* idle: PK's last event is 2 h before stream time; IN is fresh */
    assert_int_equal(nr_wstore_evict_idle(s, FX_T0 + 2 * FX_HOUR, 10), 1);
    assert_null(nr_wstore_find(s, 0, "country=PK"));
    assert_non_null(nr_wstore_find(s, 0, "country=IN"));
    assert_int_equal(nr_wstore_evicted(s), 2);
    /* a firing key is not idle-evicted */
    struct nr_wkey *k = nr_wstore_find(s, 0, "country=IN");
    nr_wstore_fire_add(s, k);
    assert_int_equal(nr_wstore_evict_idle(s, FX_T0 + 9 * FX_HOUR, 10), 0);
    nr_wstore_fire_del(s, k);
    assert_int_equal(nr_wstore_evict_idle(s, FX_T0 + 9 * FX_HOUR, 10), 1);
    assert_int_equal(nr_wstore_count(s), 0);
    nr_wstore_free(s);
}

static void test_many_keys(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.cfg.engine.max_keys = 1000;
    struct nr_wstore *s = nr_wstore_new(&f.cfg);
    for (int i = 0; i < 5000; i++) {
        struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0, "x", 1);
        snprintf(ev.key, sizeof(ev.key), "country=K%d", i);
        struct nr_wkey *k = nr_wstore_get(s, &ev, NULL);
        nr_window_add(k, FX_T0, FX_T0);
    }
    assert_int_equal(nr_wstore_count(s), 1000);
    assert_int_equal(nr_wstore_evicted(s), 4000);
    assert_non_null(nr_wstore_find(s, 0, "country=K4999"));
    assert_non_null(nr_wstore_find(s, 0, "country=K4000"));
    assert_null(nr_wstore_find(s, 0, "country=K3999"));
    nr_wstore_free(s);
}

static struct nr_wkey *filled_key(struct nr_wstore *s, const struct fixture *f)
{
    struct nr_wkey *k = NULL;
    for (int i = 0; i < 70; i++) { /* more than `history`: the ring wraps */
        char id[16];
        snprintf(id, sizeof(id), "id%d", i);
        struct nr_count_event ev = fx_event(f, 0, 0, FX_T0 + i * FX_MIN, id, fx_story(i));
        strcpy(ev.article.lang, i % 3 == 0 ? "" : i % 3 == 1 ? "en" : "fil");
        k = nr_wstore_get(s, &ev, NULL);
        nr_window_add(k, ev.event_ms, ev.event_ms);
        nr_history_add(&k->hist, f->cfg.engine.history, &ev, i == 5 ? "id4" : NULL);
    }
    k->det.firing = true;
    k->det.severity = NR_SEV_HIGH;
    k->det.alert_id = 0x1234;
    k->det.last_fire_ms = FX_T0;
    k->det.episode_start_ms = FX_T0 - FX_HOUR;
    return k;
}

static void test_snapshot_roundtrip(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_wstore *a = nr_wstore_new(&f.cfg), *b = nr_wstore_new(&f.cfg);
    struct nr_wkey *k = filled_key(a, &f);
    uint8_t *buf, *buf2;
    size_t len, len2;
    assert_int_equal(nr_window_key_snapshot(a, k, &buf, &len), 0);
    struct nr_wkey *r = NULL;
    struct nr_error err;
    assert_int_equal(nr_window_key_restore(b, buf, len, &r, &err), 0);
    assert_non_null(r);
    assert_string_equal(r->key, "country=PK");
    assert_int_equal(r->hist.n, 64);
    assert_true(r->in_fire);
    int64_t now = FX_T0 + 69 * FX_MIN;
    assert_int_equal(nr_window_count(r, now, NULL, NULL), nr_window_count(k, now, NULL, NULL));
    for (uint32_t i = 0; i < r->hist.n; i++)
        assert_string_equal(nr_history_at(&r->hist, i)->lang, nr_history_at(&k->hist, i)->lang);
    assert_string_equal(nr_history_at(&r->hist, r->hist.n - 2)->lang, "fil"); /* id68 */
    assert_int_equal(nr_window_key_snapshot(b, r, &buf2, &len2), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    /* restoring again replaces the key */
    assert_int_equal(nr_window_key_restore(b, buf, len, &r, &err), 0);
    assert_int_equal(nr_wstore_count(b), 1);
    free(buf2);
    /* every truncation and a sweep of byte flips: rejected or accepted, never
     * a crash or leak (ASan checks the latter) */
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(nr_window_key_restore(b, buf, cut, NULL, &err), -1);
    for (size_t i = 0; i < len; i += 3) {
        uint8_t *m = malloc(len);
        memcpy(m, buf, len);
        m[i] ^= 0xff;
        (void)nr_window_key_restore(b, m, len, NULL, &err);
        free(m);
    }
    uint8_t junk[64];
    memset(junk, 0x41, sizeof(junk));
    assert_int_equal(nr_window_key_restore(b, junk, sizeof(junk), NULL, &err), -1);
    free(buf);
    nr_wstore_free(a);
    nr_wstore_free(b);
}

/* A key of a role-derived official (not in the config) survives a
 * snapshot: its folded name is carried inline and rebuilt into the key. */
static void test_snapshot_role_official(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_config cfg = f.cfg, cfg2 = f.cfg;
    struct nr_alert_rule rule, rule2;
    char *by[1] = {"official"}, *by2[1] = {"country"};
    fx_rule(&rule, "by_official", NULL, -1);
    rule.by = (struct nr_strlist){by, 1};
    cfg.rules = &rule;
    cfg.n_rules = 1;
    struct nr_count_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.n_dims = 1;
    ev.dims[0] = (struct nr_event_dim){.by = 0, .entity = NR_NO_ENTITY};
    const char *names[1] = {"antony blinken"};
    size_t lens[1] = {14};
    assert_true(nr_event_key_dyn(&cfg, &rule, ev.dims, 1, names, lens, ev.key) > 0);
    assert_string_equal(ev.key, "official=antony blinken");
    assert_int_equal(ev.dims[0].key_off, 9);
    assert_int_equal(ev.dims[0].key_len, 14);
    ev.event_ms = FX_T0;
    ev.article.id = (struct nr_str){"a1", 2};
    struct nr_wstore *a = nr_wstore_new(&cfg), *b = nr_wstore_new(&cfg);
    struct nr_wkey *k = nr_wstore_get(a, &ev, NULL);
    assert_true(nr_window_add(k, FX_T0, FX_T0));
    uint8_t *buf, *buf2;
    size_t len, len2;
    assert_int_equal(nr_window_key_snapshot(a, k, &buf, &len), 0);
    struct nr_wkey *r = NULL;
    struct nr_error err;
    assert_int_equal(nr_window_key_restore(b, buf, len, &r, &err), 0);
    assert_string_equal(r->key, "official=antony blinken");
    assert_int_equal(r->dims[0].entity, NR_NO_ENTITY);
    assert_int_equal(r->dims[0].key_off, 9);
    assert_int_equal(r->dims[0].key_len, 14);
    assert_int_equal(nr_window_key_snapshot(b, r, &buf2, &len2), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    /* a rule of that id now keyed by country cannot take it */
    rule2 = rule;
    rule2.by = (struct nr_strlist){by2, 1};
    cfg2.rules = &rule2;
    cfg2.n_rules = 1;
    struct nr_wstore *c = nr_wstore_new(&cfg2);
    assert_int_equal(nr_window_key_restore(c, buf, len, NULL, &err), -1);
    free(buf);
    free(buf2);
    nr_wstore_free(a);
    nr_wstore_free(b);
    nr_wstore_free(c);
}

/* Snapshot of `k` in store a, restored into b; -1 and err as restore gives. */
static int move_key(struct nr_wstore *a, const struct nr_wkey *k, struct nr_wstore *b,
                    struct nr_wkey **out, struct nr_error *err)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(nr_window_key_snapshot(a, k, &buf, &len), 0);
    int rc = nr_window_key_restore(b, buf, len, out, err);
    free(buf);
    return rc;
}

static uint64_t ring_total(const struct nr_ring *r)
{
    uint64_t t = 0;
    for (uint32_t i = 0; i < r->n; i++)
        t += r->count[i];
    return t;
}

static void test_snapshot_geometry(void **state)
{
    (void)state;
    struct fixture f, g;
    fx_init(&f);
    struct nr_wstore *a = nr_wstore_new(&f.cfg);
    struct nr_wkey *k = filled_key(a, &f), *r = NULL;
    int64_t now = FX_T0 + 69 * FX_MIN;
    struct nr_error err;
    assert_int_equal(nr_window_count(k, now, NULL, NULL), 60);

    /* 5 min -> 10 min buckets (a multiple): re-bucketed, same window count */
    fx_init(&g);
    g.rules[0].bucket_ms = 10 * FX_MIN;
    struct nr_wstore *b = nr_wstore_new(&g.cfg);
    assert_int_equal(move_key(a, k, b, &r, &err), 0);
    assert_int_equal(r->fine.n, 6);
    assert_int_equal(r->fine.width, 10 * FX_MIN);
    assert_int_equal(nr_window_count(r, now, NULL, NULL), 60);
    assert_int_equal(ring_total(&r->fine), 60);
    assert_int_equal(ring_total(&r->coarse), 70);
    assert_int_equal(r->det.last_eval_bucket, NR_TIME_NONE); /* other grid */
    assert_true(r->in_fire);
    nr_wstore_free(b);

    /* 5 min -> 7 min: cannot re-bucket, rejected with the reason */
    fx_init(&g);
    g.rules[0].bucket_ms = 7 * FX_MIN;
    g.rules[0].window_ms = 63 * FX_MIN;
    b = nr_wstore_new(&g.cfg);
    assert_int_equal(move_key(a, k, b, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "window bucket changed from 300000 ms to 420000 ms"));
    assert_int_equal(nr_wstore_count(b), 0);
    nr_wstore_free(b);

    /* a longer window (same buckets) keeps what the old ring held; the time
     * it did not cover starts empty */
    fx_init(&g);
    g.rules[0].window_ms = 2 * FX_HOUR;
    b = nr_wstore_new(&g.cfg);
    assert_int_equal(move_key(a, k, b, &r, &err), 0);
    assert_int_equal(r->fine.n, 24);
    assert_int_equal(nr_window_count(r, now, NULL, NULL), 60);
    assert_int_equal(nr_window_count(r, now + FX_HOUR, NULL, NULL), 60);
    nr_wstore_free(b);

    /* a shorter baseline (coarse ring 3 + 1 + 2 buckets) keeps the newest
     * hours; a shorter `history` keeps the newest entries */
    fx_init(&g);
    g.rules[0].baseline_ms = 3 * FX_HOUR;
    g.cfg.engine.history = 10;
    b = nr_wstore_new(&g.cfg);
    assert_int_equal(move_key(a, k, b, &r, &err), 0);
    assert_int_equal(r->coarse.n, 6);
    assert_int_equal(ring_total(&r->coarse), 70);
    assert_int_equal(r->hist.n, 10);
    assert_string_equal(nr_hist_str(nr_history_at(&r->hist, 9), 0), "id69");
    assert_string_equal(nr_hist_str(nr_history_at(&r->hist, 0), 0), "id60");
    nr_wstore_free(b);
    nr_wstore_free(a);
}

static void test_snapshot_config_change(void **state)
{
    (void)state;
    struct fixture f, g;
    fx_init(&f);
    fx_config_b(&g);
    struct nr_wstore *a = nr_wstore_new(&f.cfg), *b = nr_wstore_new(&g.cfg);
    struct nr_error err;
    struct nr_wkey *r = NULL;

    /* rule 0 (attack_by_country), country=PK; co-mentions PK, TTP and AF */
    struct nr_wkey *k = NULL;
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof(id), "p%d", i);
        struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0 + i * FX_MIN, id, fx_story(i));
        ev.co[2].entity = 1; /* AF */
        ev.co[2].mentions = 7;
        ev.n_co = 3;
        k = nr_wstore_get(a, &ev, NULL);
        nr_window_add(k, ev.event_ms, ev.event_ms);
        nr_history_add(&k->hist, f.cfg.engine.history, &ev, NULL);
    }
    k->det.firing = true;
    k->det.alert_id = 77;
    assert_int_equal(move_key(a, k, b, &r, &err), 0);
    assert_int_equal(r->rule, 2); /* attack_by_country moved to the end */
    assert_string_equal(g.cfg.rules[r->rule].id, "attack_by_country");
    assert_string_equal(r->key, "country=PK");
    assert_int_equal(r->dims[0].entity, 0);
    assert_true(r->in_fire);
    assert_int_equal(r->det.alert_id, 77);
    assert_ptr_equal(nr_wstore_find(b, 2, "country=PK"), r);
    assert_int_equal(nr_window_count(r, FX_T0 + 4 * FX_MIN, NULL, NULL), 5);
    assert_int_equal(r->hist.n, 5);
    for (uint32_t i = 0; i < r->hist.n; i++) {
        const struct nr_hist_entry *e = nr_history_at(&r->hist, i);
        assert_int_equal(e->n_co, 2); /* AF dropped */
        assert_string_equal(g.cfg.entities[e->co[0].entity].id, "PK");
        assert_int_equal(e->co[0].mentions, 3);
        assert_string_equal(g.cfg.entities[e->co[1].entity].id, "TTP");
        assert_int_equal(e->co[1].entity, 1);
    }
    assert_string_equal(nr_hist_str(nr_history_at(&r->hist, 4), 0), "p4");

    /* two dimensions: TTP's index changes from 2 to 1 */
    struct nr_count_event ev = fx_event(&f, 2, 3, FX_T0, "cg", fx_story(9));
    k = nr_wstore_get(a, &ev, NULL);
    nr_window_add(k, ev.event_ms, ev.event_ms);
    assert_int_equal(move_key(a, k, b, &r, &err), 0);
    assert_int_equal(r->rule, 0);
    assert_string_equal(r->key, "country=IN,group=TTP");
    assert_int_equal(r->dims[0].entity, 2);
    assert_int_equal(r->dims[1].entity, 1);
    assert_int_equal(r->dims[1].by, 1);

    /* a key of the removed entity is rejected, saying which */
    ev = fx_event(&f, 0, 1, FX_T0, "af", fx_story(10));
    k = nr_wstore_get(a, &ev, NULL);
    assert_int_equal(move_key(a, k, b, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "entity \"AF\" is not in the config"));
    assert_int_equal(nr_wstore_count(b), 2);

    /* and back: B's snapshot restores under A */
    struct nr_wstore *a2 = nr_wstore_new(&f.cfg);
    r = nr_wstore_find(b, 2, "country=PK");
    assert_int_equal(move_key(b, r, a2, &r, &err), 0);
    assert_int_equal(r->rule, 0);
    assert_int_equal(nr_history_at(&r->hist, 0)->co[1].entity, 2);
    nr_wstore_free(a2);
    nr_wstore_free(a);
    nr_wstore_free(b);
}

static void test_snapshot_rule_changes(void **state)
{
    (void)state;
    struct fixture f, g;
    fx_init(&f);
    struct nr_wstore *a = nr_wstore_new(&f.cfg);
    struct nr_wkey *k = filled_key(a, &f);
    struct nr_error err;

    /* the rule is gone (attack_by_country dropped from the config) */
    fx_init(&g);
    g.cfg.rules = &g.rules[1];
    g.cfg.n_rules = 2;
    struct nr_wstore *b = nr_wstore_new(&g.cfg);
    assert_int_equal(move_key(a, k, b, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "rule \"attack_by_country\" is not in the config"));
    assert_int_equal(nr_wstore_count(b), 0);
    nr_wstore_free(b);

    /* its `by` changed: the old key names no key the rule can produce */
    fx_init(&g);
    g.by_country[0] = "group";
    b = nr_wstore_new(&g.cfg);
    assert_int_equal(move_key(a, k, b, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "`by` changed"));
    nr_wstore_free(b);

    /* the dimension's entity changed kind */
    fx_init(&g);
    g.ents[0].kind = "place";
    b = nr_wstore_new(&g.cfg);
    assert_int_equal(move_key(a, k, b, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no longer a country"));
    assert_int_equal(nr_wstore_count(b), 0);
    nr_wstore_free(b);
    nr_wstore_free(a);
}

/* A version-4 snapshot (no language) is still restored, its entries of
 * unknown language; a bad language is rejected. */
static void test_snapshot_version4(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_wstore *a = nr_wstore_new(&f.cfg), *b = nr_wstore_new(&f.cfg);
    struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0, "v3", 1);
    strcpy(ev.article.lang, "ur");
    struct nr_wkey *k = nr_wstore_get(a, &ev, NULL);
    nr_window_add(k, ev.event_ms, ev.event_ms);
    nr_history_add(&k->hist, f.cfg.engine.history, &ev, NULL);
    const struct nr_hist_entry *e = nr_history_at(&k->hist, 0);
    uint8_t *buf;
    size_t len;
    struct nr_error err;
    struct nr_wkey *r = NULL;
    assert_int_equal(nr_window_key_snapshot(a, k, &buf, &len), 0);
    assert_int_equal(nr_window_key_restore(b, buf, len, &r, &err), 0);
    assert_string_equal(nr_history_at(&r->hist, 0)->lang, "ur");
    /* the one entry ends the snapshot: ... u8 dup, u8 2, "ur", 5 x u32,
     * str strings, u32 n_co, n_co x 8 */
    size_t at = len - (8u * e->n_co + 4 + 4 + e->strs_len + 20) - 3;
    assert_int_equal(buf[at], 2);
    assert_memory_equal(buf + at + 1, "ur", 2);
    /* bad languages */
    buf[at + 2] = 'R';
    assert_int_equal(nr_window_key_restore(b, buf, len, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "bad history entry"));
    buf[at + 2] = 'r';
    buf[at] = 1;
    assert_int_equal(nr_window_key_restore(b, buf, len, NULL, &err), -1);
    /* version 4: the three bytes out */
    uint8_t *v3 = malloc(len);
    memcpy(v3, buf, at);
    memcpy(v3 + at, buf + at + 3, len - at - 3);
    v3[4] = 4;
    r = NULL;
    if (nr_window_key_restore(b, v3, len - 3, &r, &err) != 0)
        fail_msg("version 4: %s", err.msg);
    assert_int_equal(r->hist.n, 1);
    assert_string_equal(nr_history_at(&r->hist, 0)->lang, "");
    assert_string_equal(nr_hist_strn(nr_history_at(&r->hist, 0), 0).p, "v3");
    /* and written back as version 5 with a 0-length language */
    uint8_t *buf4;
    size_t len4;
    assert_int_equal(nr_window_key_snapshot(b, r, &buf4, &len4), 0);
    assert_int_equal(buf4[4], 5);
    assert_int_equal(len4, len - 2);
    free(buf4);
    free(v3);
    free(buf);
    nr_wstore_free(a);
    nr_wstore_free(b);
}

static void test_snapshot_garbage(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_wstore *a = nr_wstore_new(&f.cfg), *b = nr_wstore_new(&f.cfg);
    struct nr_error err;
    /* a key with two dimensions and a full, wrapped history */
    struct nr_wkey *k = NULL;
    for (int i = 0; i < 70; i++) {
        char id[16];
        snprintf(id, sizeof(id), "g%d", i);
        struct nr_count_event ev = fx_event(&f, 2, 0, FX_T0 + i * FX_MIN, id, fx_story(i));
        k = nr_wstore_get(a, &ev, NULL);
        nr_window_add(k, ev.event_ms, ev.event_ms);
        nr_history_add(&k->hist, f.cfg.engine.history, &ev, i % 9 == 0 ? "g0" : NULL);
    }
    uint8_t *buf;
    size_t len;
    assert_int_equal(nr_window_key_snapshot(a, k, &buf, &len), 0);
    assert_int_equal(nr_window_key_restore(b, buf, len, NULL, &err), 0);
    /* every truncation is rejected and leaves the store as it was */
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(nr_window_key_restore(b, buf, cut, NULL, &err), -1);
        assert_int_equal(nr_wstore_count(b), 1);
    }
    /* every single byte flipped: accepted or rejected, never a crash or leak */
    uint8_t *m = malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        memcpy(m, buf, len);
        m[i] ^= 0xff;
        (void)nr_window_key_restore(b, m, len, NULL, &err);
        m[i] ^= 0x01 ^ 0xff;
        (void)nr_window_key_restore(b, m, len, NULL, &err);
    }
    /* one trailing byte */
    memcpy(m, buf, len);
    m[len] = 0;
    assert_int_equal(nr_window_key_restore(b, m, len + 1, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "trailing"));
    /* another format version */
    memcpy(m, buf, len);
    m[4] = 1;
    assert_int_equal(nr_window_key_restore(b, m, len, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "version 1"));
    free(m);
    /* random bytes of every length up to 300, some behind a valid header */
    uint64_t x = 88172645463325252ULL;
    uint8_t junk[300];
    for (size_t n = 0; n <= sizeof(junk); n++) {
        for (int rep = 0; rep < 4; rep++) {
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                junk[i] = (uint8_t)x;
            }
            if (rep >= 2 && n >= 8)
                memcpy(junk, buf, 8 + (rep == 3 && n >= 30 ? 22 : 0));
            assert_int_equal(nr_window_key_restore(b, junk, n, NULL, &err), -1);
        }
    }
    free(buf);
    nr_wstore_free(a);
    nr_wstore_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sliding_count),
        cmocka_unit_test(test_baseline),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_snapshot_roundtrip),
        cmocka_unit_test(test_snapshot_role_official),
        cmocka_unit_test(test_snapshot_geometry),
        cmocka_unit_test(test_snapshot_config_change),
        cmocka_unit_test(test_snapshot_rule_changes),
        cmocka_unit_test(test_snapshot_version4),
        cmocka_unit_test(test_snapshot_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
