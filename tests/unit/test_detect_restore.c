/*
 * test_detect_restore.c - window state across a snapshot and restore for the
 * newer baselines: a rule with `seasonality: daily`, `score: negbin` and
 * `exclude_alerts` gives the same alerts, byte for byte, when every key is
 * snapshot and restored into a new detector again and again as when it runs
 * uninterrupted (the episode bits survive); and a snapshot of format 3 (before
 * the episode bits), built here byte by byte as that format's writer laid it
 * out, restores into the current format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_fixture.h"
#include "newsradar/alert.h"
#include "newsradar/detect.h"
#include "newsradar/window.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ALERTS 512

struct got {
    int n;
    char *json[MAX_ALERTS];
};

static void collect(void *ud, const struct nr_alert *a)
{
    struct got *g = ud;
    assert_true(g->n < MAX_ALERTS);
    g->json[g->n] = nr_alert_to_json(a);
    assert_non_null(g->json[g->n]);
    g->n++;
}

static void got_free(struct got *g)
{
    for (int i = 0; i < g->n; i++)
        free(g->json[i]);
    g->n = 0;
}

/* Four days of one key: a morning peak (07-10 UTC, 6 an hour), one article
 * every ~3 h otherwise, a night story on day 2 (10 in 40 min) and a smaller
 * one on day 3 (5 in 30 min); AF gets a few articles too. Sorted by time. */
struct ev_t {
    int64_t t;
    uint32_t ent;
};

static int by_time(const void *a, const void *b)
{
    const struct ev_t *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

static size_t make_feed(struct ev_t *out, size_t cap)
{
    const int64_t day0 = 1700006400000LL; /* a UTC midnight */
    size_t n = 0;
    uint32_t rng = 12345;
    for (int d = 0; d < 4; d++)
        for (int h = 0; h < 24; h++) {
            int64_t hour = day0 + (int64_t)(d * 24 + h) * FX_HOUR;
            int k = h >= 7 && h < 10 ? 6 : h % 3 == 0;
            for (int i = 0; i < k && n < cap; i++) {
                rng = rng * 1103515245u + 12345u;
                out[n++] = (struct ev_t){hour + (int64_t)(rng >> 16) % 60 * FX_MIN, 0};
            }
            if (h % 7 == 0 && n < cap)
                out[n++] = (struct ev_t){hour + 17 * FX_MIN, 1};
        }
    for (int i = 0; i < 10 && n < cap; i++)
        out[n++] = (struct ev_t){day0 + (24 + 2) * FX_HOUR + 4 * i * FX_MIN, 0};
    for (int i = 0; i < 5 && n < cap; i++)
        out[n++] = (struct ev_t){day0 + (48 + 23) * FX_HOUR + 6 * i * FX_MIN, 0};
    qsort(out, n, sizeof(*out), by_time);
    return n;
}

static void seasonal_rule(struct nr_alert_rule *r)
{
    r->season = NR_SEASON_DAILY;
    r->score = NR_SCORE_NEGBIN;
    r->min_ratio = 0;
    r->max_p = 0.01;
    r->exclude_alerts = true;
}

/* Every key of d into a new detector of the same config; d is freed. */
static struct nr_detector *move_keys(struct nr_detector *d, const struct nr_config *cfg)
{
    struct nr_detector *nd = nr_detector_new(cfg, NULL);
    assert_non_null(nd);
    struct nr_wstore *old = nr_detector_store(d);
    for (struct nr_wkey *k = nr_wstore_first(old); k; k = nr_wstore_next(old, k)) {
        uint8_t *buf;
        size_t len;
        struct nr_error err;
        assert_int_equal(nr_window_key_snapshot(old, k, &buf, &len), 0);
        if (nr_window_key_restore(nr_detector_store(nd), buf, len, NULL, &err) != 0)
            fail_msg("restore: %s", err.msg);
        free(buf);
    }
    int64_t sm, fs;
    nr_detector_meta(d, &sm, &fs);
    nr_detector_set_meta(nd, sm, fs);
    nr_detector_free(d);
    return nd;
}

/* Replay the feed; every `every` events (0: never) move the keys. */
static void run(const struct fixture *f, const struct ev_t *evs, size_t n, size_t every,
                struct got *g)
{
    struct nr_detector *d = nr_detector_new(&f->cfg, NULL);
    assert_non_null(d);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof(id), "a%zu", i);
        struct nr_count_event ev = fx_event(f, 0, evs[i].ent, evs[i].t, id, fx_story((unsigned)i));
        nr_detector_count(d, &ev, collect, g);
        if (every && i % every == every - 1)
            d = move_keys(d, &f->cfg);
    }
    nr_detector_advance(d, evs[n - 1].t + 6 * FX_HOUR, collect, g);
    nr_detector_free(d);
}

static void test_same_alerts(void **state)
{
    (void)state;
    static struct ev_t evs[2048];
    size_t n = make_feed(evs, 2048);
    assert_true(n > 100);
    for (int variant = 0; variant < 3; variant++) {
        struct fixture f;
        fx_init(&f);
        seasonal_rule(&f.rules[0]);
        if (variant == 1)
            f.rules[0].season = NR_SEASON_NONE; /* negbin, flat */
        if (variant == 2)
            f.rules[0].score = NR_SCORE_POISSON; /* daily, Poisson */
        struct got a = {0};
        run(&f, evs, n, 0, &a);
        assert_true(a.n >= 4); /* the stories fire and resolve at least */
        for (size_t every = 1; every <= 61; every += 30) {
            struct got b = {0};
            run(&f, evs, n, every, &b);
            assert_int_equal(b.n, a.n);
            for (int i = 0; i < a.n; i++)
                if (strcmp(a.json[i], b.json[i]) != 0)
                    fail_msg("variant %d, restore every %zu events: alert %d differs\n"
                             "  uninterrupted: %s\n  restored:      %s",
                             variant, every, i, a.json[i], b.json[i]);
            got_free(&b);
        }
        got_free(&a);
    }
}

/* ---- a format 3 snapshot, byte by byte ------------------------------------- */

struct bytes {
    uint8_t p[4096];
    size_t n;
    size_t rings_end, lang_at; /* where format 4 and 5 insert their parts */
};

static void b_u8(struct bytes *b, uint8_t v)
{
    assert_true(b->n < sizeof(b->p));
    b->p[b->n++] = v;
}

static void b_u32(struct bytes *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b_u8(b, (uint8_t)(v >> (8 * i)));
}

static void b_u64(struct bytes *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b_u8(b, (uint8_t)(v >> (8 * i)));
}

static void b_str(struct bytes *b, const char *s, size_t n)
{
    b_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        b_u8(b, (uint8_t)s[i]);
}

/* Format 3 as its writer laid it out: magic, version, rule id, key, `by`
 * words, entity ids, dimensions, last event, the fine and the coarse ring,
 * the detector state, the history (five string lengths per entry). The key
 * PK of attack_by_country is firing, its episode started at ep_start. */
static void v3_snapshot(struct bytes *b, int64_t now, int64_t ep_start)
{
    b->n = 0;
    b_u32(b, 0x4b57524eu); /* "NRWK" */
    b_u32(b, 3);
    b_str(b, "attack_by_country", 17);
    b_str(b, "country=PK", 10);
    b_u32(b, 1);
    b_str(b, "country", 7);
    b_u32(b, 2); /* entity table: PK, TTP */
    b_str(b, "PK", 2);
    b_str(b, "TTP", 3);
    b_u32(b, 1);
    b_u32(b, 0); /* by 0 */
    b_u32(b, 0); /* entity PK */
    b_u64(b, (uint64_t)now);
    /* fine ring: 12 x 5 min, head at now, 4 articles in the head bucket */
    int64_t fh = nr_floordiv(now, 5 * FX_MIN);
    b_u32(b, 12);
    b_u64(b, (uint64_t)(5 * FX_MIN));
    b_u64(b, (uint64_t)fh);
    for (int64_t s = 0; s < 12; s++)
        b_u32(b, s == ((fh % 12) + 12) % 12 ? 4 : 0);
    /* coarse ring: 27 x 1 h, head at now; slot i holds i % 3 (+4 at the head) */
    int64_t ch = nr_floordiv(now, FX_HOUR);
    b_u32(b, 27);
    b_u64(b, (uint64_t)FX_HOUR);
    b_u64(b, (uint64_t)ch);
    for (int64_t s = 0; s < 27; s++)
        b_u32(b, (uint32_t)(s % 3) + (s == ((ch % 27) + 27) % 27 ? 4 : 0));
    b->rings_end = b->n;
    b_u8(b, 1); /* firing */
    b_u8(b, 1); /* medium */
    b_u64(b, (uint64_t)ep_start);
    b_u64(b, (uint64_t)now);
    b_u64(b, (uint64_t)fh);
    b_u64(b, 0x1234abcd5678ef90ull);
    b_u32(b, 1); /* one remembered article */
    b_u64(b, 77);
    b_u64(b, fx_story(1));
    b_u64(b, (uint64_t)now);
    b_u64(b, (uint64_t)now);
    b_u8(b, 3); /* id and title */
    b_u8(b, 0);
    b->lang_at = b->n;
    const uint32_t lens[5] = {2, 5, 0, 0, 0};
    for (int i = 0; i < 5; i++)
        b_u32(b, lens[i]);
    b_str(b, "a1\0Title\0\0\0\0", 12);
    b_u32(b, 1);
    b_u32(b, 1); /* TTP */
    b_u32(b, 2);
}

static void test_format3(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    seasonal_rule(&f.rules[0]);
    const int64_t now = FX_T0 + 30 * FX_HOUR + 7 * FX_MIN, ep_start = now - 55 * FX_MIN;
    struct bytes b;
    v3_snapshot(&b, now, ep_start);
    struct nr_wstore *s = nr_wstore_new(&f.cfg);
    struct nr_wkey *k = NULL;
    struct nr_error err;
    if (nr_window_key_restore(s, b.p, b.n, &k, &err) != 0)
        fail_msg("format 3: %s", err.msg);
    assert_non_null(k);
    assert_string_equal(k->key, "country=PK");
    assert_true(k->det.firing);
    assert_int_equal(k->det.severity, NR_SEV_MEDIUM);
    assert_true(k->det.alert_id == 0x1234abcd5678ef90ull);
    assert_int_equal(k->hist.n, 1);
    assert_int_equal(nr_window_count(k, now, NULL, NULL), 4);
    int64_t ch = nr_floordiv(now, FX_HOUR);
    for (int64_t bk = ch - 26; bk <= ch; bk++) {
        int64_t sl = ((bk % 27) + 27) % 27;
        assert_int_equal(k->coarse.count[sl], (uint32_t)(sl % 3) + (bk == ch ? 4 : 0));
        /* no episode bits in format 3; the firing episode is still known */
        assert_int_equal(nr_window_in_episode(k, bk), (bk + 1) * FX_HOUR > ep_start);
        assert_false((k->coarse.excl[sl >> 6] >> (sl & 63)) & 1u);
    }
    /* written again it is the current format, 5, and that reads back to
     * the same key: format 3 and one u64 of episode bits for the 27 coarse
     * buckets (format 4) and a language length byte (0: unknown) for the
     * one history entry (format 5) */
    uint8_t *buf;
    size_t len;
    assert_int_equal(nr_window_key_snapshot(s, k, &buf, &len), 0);
    assert_int_equal(buf[4], 5);
    assert_true(buf[5] == 0 && buf[6] == 0 && buf[7] == 0);
    assert_int_equal(len, b.n + 8 + 1);
    /* byte for byte: format 3's bytes, the bits (none set) after the rings,
     * the language byte after the entry's flags */
    const size_t r_end = b.rings_end, l_at = b.lang_at;
    assert_memory_equal(buf + 8, b.p + 8, r_end - 8);
    for (size_t i = r_end; i < r_end + 8; i++)
        assert_int_equal(buf[i], 0);
    assert_memory_equal(buf + r_end + 8, b.p + r_end, l_at - r_end);
    assert_int_equal(buf[l_at + 8], 0);
    assert_memory_equal(buf + l_at + 9, b.p + l_at, b.n - l_at);
    struct nr_wkey *k2 = NULL;
    struct nr_wstore *s2 = nr_wstore_new(&f.cfg);
    assert_int_equal(nr_window_key_restore(s2, buf, len, &k2, &err), 0);
    assert_memory_equal(k2->coarse.count, k->coarse.count, 27 * sizeof(uint32_t));
    assert_true(k2->det.alert_id == k->det.alert_id && k2->det.firing);
    free(buf);
    /* an episode marked after the restore survives the current format */
    nr_window_mark_episode(k, now - 5 * FX_HOUR, now - 3 * FX_HOUR);
    assert_int_equal(nr_window_key_snapshot(s, k, &buf, &len), 0);
    assert_int_equal(nr_window_key_restore(s2, buf, len, &k2, &err), 0);
    for (int64_t bk = ch - 26; bk <= ch; bk++)
        assert_int_equal(nr_window_in_episode(k2, bk), nr_window_in_episode(k, bk));
    assert_true(nr_window_in_episode(k2, ch - 4));
    assert_false(nr_window_in_episode(k2, ch - 6));
    free(buf);
    /* a truncated format 3 is refused, not misread as a later format */
    for (size_t cut = 0; cut < b.n; cut += 7)
        assert_int_equal(nr_window_key_restore(s2, b.p, cut, NULL, &err), -1);
    b.p[4] = 99; /* a future version */
    assert_int_equal(nr_window_key_restore(s2, b.p, b.n, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "format version 99"));
    nr_wstore_free(s2);
    nr_wstore_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_alerts),
        cmocka_unit_test(test_format3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
