/* Tests for event-time synchronisation (watermark.h): stage-1 pacing, the
 * header, the stage-2 minimum and the event queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "newsradar/watermark.h"

#define H (3600 * INT64_C(1000))

static void test_pace_holds_back_the_fast(void **state)
{
    (void)state;
    struct nr_wm_src s[3];
    bool want[3];
    for (int i = 0; i < 3; i++)
        nr_wm_src_init(&s[i], 0);
    /* one source not read yet: every source that was read waits for it */
    nr_wm_src_article(&s[0], 10 * H, true, 0.1);
    nr_wm_src_article(&s[1], 1 * H, false, 0.1);
    assert_int_equal(nr_wm_pace(s, 3, 0.2, 2.0, H, want), 2);
    assert_true(want[0] && want[1] && !want[2]);
    /* it arrives: only the one far ahead stays paused */
    nr_wm_src_article(&s[2], 2 * H, true, 0.3);
    s[0].paused = s[1].paused = true;
    nr_wm_pace(s, 3, 0.3, 2.0, H, want);
    assert_true(want[0]);
    assert_false(want[1]); /* within lead/2 of the slowest running one: resumed */
    assert_false(want[2]);
    s[1].paused = false;
    /* the slow ones run out of data: after the idle time they stop holding
     * the fast one back */
    nr_wm_pace(s, 3, 1.0, 2.0, H, want);
    assert_true(want[0]);
    nr_wm_pace(s, 3, 3.0, 2.0, H, want);
    assert_false(want[0]);
    /* ... unless the consumer knows more is waiting */
    s[2].behind = true;
    nr_wm_pace(s, 3, 3.0, 2.0, H, want);
    assert_true(want[0]);
    /* first_ms: earliest event time of an article with events */
    assert_int_equal(s[0].first_ms, 10 * H);
    assert_int_equal(s[1].first_ms, NR_TIME_NONE);
}

struct got {
    struct nr_wm_mark m[4];
    char topics[4][32];
    int n;
};

static void on_mark(void *ud, const struct nr_wm_mark *m)
{
    struct got *g = ud;
    memcpy(g->topics[g->n], m->topic, m->topic_len);
    g->topics[g->n][m->topic_len] = '\0';
    g->m[g->n++] = *m;
}

static void test_header_round_trip(void **state)
{
    (void)state;
    struct nr_wm_mark m[2] = {
        {"articles", 8, 5, 123456789, NR_TIME_NONE, 0},
        {"more", 4, 0, NR_TIME_NONE, -7, NR_WM_IDLE},
    };
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    nr_wm_encode(m, 2, &buf, &cap, &len);
    struct got g = {0};
    struct nr_error err = {{0}};
    assert_int_equal(nr_wm_decode(buf, len, on_mark, &g, &err), 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.topics[0], "articles");
    assert_int_equal(g.m[0].partition, 5);
    assert_int_equal(g.m[0].wm, 123456789);
    assert_int_equal(g.m[0].first_ms, NR_TIME_NONE);
    assert_string_equal(g.topics[1], "more");
    assert_int_equal(g.m[1].wm, NR_TIME_NONE);
    assert_int_equal(g.m[1].first_ms, -7);
    assert_int_equal(g.m[1].flags, NR_WM_IDLE);
    /* every truncation and a trailing byte are rejected, nothing reported */
    for (size_t l = 0; l < len; l++) {
        g.n = 0;
        assert_int_equal(nr_wm_decode(buf, l, on_mark, &g, &err), -1);
        assert_int_equal(g.n, 0);
    }
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    assert_int_equal(nr_wm_decode(longer, len + 1, on_mark, &g, &err), -1);
    assert_non_null(strstr(err.msg, "trailing"));
    buf[0] = 9;
    assert_int_equal(nr_wm_decode(buf, len, on_mark, &g, &err), -1);
    assert_non_null(strstr(err.msg, "format 9"));
    free(longer);
    free(buf);
}

static void test_table_minimum(void **state)
{
    (void)state;
    struct nr_wm_table t = {0};
    struct nr_wm_now w;
    nr_wm_table_min(&t, 0, 30, &w);
    assert_true(w.release == INT64_MAX); /* no source known: nothing to wait for */
    nr_wm_table_expect(&t, "a", 0, 0);
    nr_wm_table_expect(&t, "a", 1, 0);
    struct nr_wm_mark m0 = {"a", 1, 0, 5 * H, 4 * H, 0};
    nr_wm_table_update(&t, &m0, 1);
    nr_wm_table_min(&t, 1, 30, &w);
    assert_true(w.release == INT64_MIN); /* a/1 expected, not heard: blocks */
    assert_int_equal(w.first_ms, 4 * H);
    struct nr_wm_mark m1 = {"a", 1, 1, 3 * H, 2 * H, 0};
    nr_wm_table_update(&t, &m1, 2);
    nr_wm_table_min(&t, 2, 30, &w);
    assert_int_equal(w.release, 3 * H);
    assert_int_equal(w.advance, 3 * H);
    assert_int_equal(w.first_ms, 2 * H);
    assert_int_equal(w.waiting, 2);
    assert_int_equal(w.strict, 3 * H); /* nobody silent */
    /* watermarks never go back (a re-read after a rebalance) */
    struct nr_wm_mark back = {"a", 1, 1, 1 * H, 3 * H, 0};
    nr_wm_table_update(&t, &back, 3);
    nr_wm_table_min(&t, 3, 30, &w);
    assert_int_equal(w.release, 3 * H);
    assert_int_equal(w.first_ms, 2 * H);
    /* a/1 idle: a/0 alone decides */
    struct nr_wm_mark idle = {"a", 1, 1, 3 * H, NR_TIME_NONE, NR_WM_IDLE};
    nr_wm_table_update(&t, &idle, 4);
    nr_wm_table_min(&t, 4, 30, &w);
    assert_int_equal(w.release, 5 * H);
    /* both idle: everything goes, stream time to the largest watermark */
    m0.flags = NR_WM_IDLE;
    nr_wm_table_update(&t, &m0, 5);
    nr_wm_table_min(&t, 5, 30, &w);
    assert_true(w.release == INT64_MAX);
    assert_int_equal(w.advance, 5 * H);
    /* a source silent for silent_s no longer holds anything back */
    nr_wm_table_expect(&t, "b", 0, 5);
    nr_wm_table_min(&t, 6, 30, &w);
    assert_true(w.release == INT64_MIN);
    nr_wm_table_min(&t, 40, 30, &w);
    assert_true(w.release == INT64_MAX);
    assert_true(w.strict == INT64_MIN); /* b was never heard: all it skips is counted */
    /* b heard at 2h and then silent: what passes 2h passes it by */
    struct nr_wm_mark mb = {"b", 1, 0, 2 * H, 2 * H, 0};
    nr_wm_table_update(&t, &mb, 41);
    nr_wm_table_min(&t, 42, 30, &w);
    assert_true(w.release == 2 * H && w.strict == 2 * H);
    nr_wm_table_min(&t, 80, 30, &w);
    assert_true(w.release == INT64_MAX);
    assert_int_equal(w.strict, 2 * H);
    nr_wm_table_free(&t);
}

static void test_queue_order(void **state)
{
    (void)state;
    struct nr_evq q = {0};
    assert_null(nr_evq_top(&q));
    assert_int_equal(nr_evq_min_offset(&q), -1);
    /* a pseudo-random sequence of times, ties included */
    uint32_t x = 12345;
    int64_t times[500];
    for (int i = 0; i < 500; i++) {
        x = x * 1103515245u + 12345u;
        times[i] = (int64_t)((x >> 16) % 50);
        char rec[8];
        memcpy(rec, &i, sizeof(i));
        nr_evq_push(&q, times[i], 1000 - i, NULL, rec, sizeof(i));
    }
    assert_int_equal(q.bytes, 500 * sizeof(int));
    assert_int_equal(nr_evq_min_offset(&q), 501);
    int64_t last_t = -1;
    int last_i = -1, n = 0;
    struct nr_evq_item it;
    while (nr_evq_pop(&q, &it)) {
        int i;
        memcpy(&i, it.rec, sizeof(i));
        assert_int_equal(it.t, times[i]);
        assert_true(it.t >= last_t);
        if (it.t == last_t)
            assert_true(i > last_i); /* ties in arrival order */
        last_t = it.t;
        last_i = i;
        free(it.rec);
        n++;
    }
    assert_int_equal(n, 500);
    assert_int_equal(q.bytes, 0);
    nr_evq_push(&q, 1, 7, NULL, "x", 1);
    nr_evq_clear(&q);
    assert_null(nr_evq_top(&q));
    nr_evq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pace_holds_back_the_fast),
        cmocka_unit_test(test_header_round_trip),
        cmocka_unit_test(test_table_minimum),
        cmocka_unit_test(test_queue_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
