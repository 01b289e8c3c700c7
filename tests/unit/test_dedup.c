/* test_dedup.c - the engine-wide exact id set and per-key history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_fixture.h"
#include "newsradar/dedup.h"

static void test_idset_basic(void **state)
{
    (void)state;
    struct nr_idset *s = nr_idset_new(100, 0);
    assert_false(nr_idset_seen(s, 42, 0));
    assert_true(nr_idset_seen(s, 42, 0));
    assert_false(nr_idset_seen(s, 0, 0)); /* 0 is a valid hash too */
    assert_true(nr_idset_seen(s, 0, 0));
    assert_int_equal(nr_idset_count(s), 2);
    nr_idset_free(s);
    nr_idset_free(NULL);
}

/* The service's exactly_once rewind: a cleared set is a new one. */
static void test_idset_clear(void **state)
{
    (void)state;
    struct nr_idset *s = nr_idset_new(100, 0);
    for (uint64_t i = 1; i <= 150; i++)
        assert_false(nr_idset_seen(s, i, 0));
    nr_idset_clear(s);
    assert_int_equal(nr_idset_count(s), 0);
    for (uint64_t i = 1; i <= 150; i++) /* each once more, as read again */
        assert_false(nr_idset_seen(s, i, 0));
    assert_true(nr_idset_seen(s, 150, 0));
    assert_int_equal(nr_idset_count(s), 100);
    nr_idset_free(s);
}

static void test_idset_capacity(void **state)
{
    (void)state;
    struct nr_idset *s = nr_idset_new(1000, 0);
    for (uint64_t i = 1; i <= 5000; i++)
        assert_false(nr_idset_seen(s, nr_hash64(&i, sizeof(i), 0), (int64_t)i));
    assert_int_equal(nr_idset_count(s), 1000);
    /* the newest 1000 are remembered, older ones forgotten */
    for (uint64_t i = 4001; i <= 5000; i++)
        assert_true(nr_idset_seen(s, nr_hash64(&i, sizeof(i), 0), 5000));
    uint64_t old = 10;
    assert_false(nr_idset_seen(s, nr_hash64(&old, sizeof(old), 0), 5000));
    nr_idset_free(s);
}

static void test_idset_expiry(void **state)
{
    (void)state;
    struct nr_idset *s = nr_idset_new(1000, 100);
    for (uint64_t i = 1; i <= 50; i++)
        nr_idset_seen(s, i, 0);
    /* time passes: each insert expires a few of the old ones */
    for (uint64_t i = 1000; i < 1100; i++)
        nr_idset_seen(s, i, 1000);
    assert_int_equal(nr_idset_count(s), 100);
    assert_false(nr_idset_seen(s, 7, 1000)); /* forgotten */
    nr_idset_free(s);
}

static void test_history(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_history h = {0};
    struct nr_str orig;
    struct nr_count_event a = fx_event(&f, 0, 0, FX_T0, "a", 0xF0F0F0F0F0F0F0F0ULL);
    assert_int_equal(nr_history_check(&h, &a, 3, 0, &orig), NR_DUP_NONE);
    nr_history_add(&h, 4, &a, NULL);
    assert_int_equal(nr_history_check(&h, &a, 3, 0, &orig), NR_DUP_EXACT);
    /* 3 bits away: near; 4 bits away: a different story */
    struct nr_count_event b = fx_event(&f, 0, 0, FX_T0, "b", 0xF0F0F0F0F0F0F0F7ULL);
    assert_int_equal(nr_history_check(&h, &b, 3, 0, &orig), NR_DUP_NEAR);
    assert_string_equal(orig.p, "a");
    struct nr_count_event c = fx_event(&f, 0, 0, FX_T0, "c", 0xF0F0F0F0F0F0F0FFULL);
    assert_int_equal(nr_history_check(&h, &c, 3, 0, &orig), NR_DUP_NONE);
    /* only inside the window */
    assert_int_equal(nr_history_check(&h, &b, 3, FX_T0 + 1, &orig), NR_DUP_NONE);
    /* a copy of a copy points at the first original */
    nr_history_add(&h, 4, &b, "a");
    struct nr_count_event d = fx_event(&f, 0, 0, FX_T0, "d", 0xF0F0F0F0F0F0F0F6ULL);
    assert_int_equal(nr_history_check(&h, &d, 3, 0, &orig), NR_DUP_NEAR);
    assert_string_equal(orig.p, "a");
    /* no text (simhash 0) or bits 0: no near test */
    struct nr_count_event z = fx_event(&f, 0, 0, FX_T0, "z", 0);
    assert_int_equal(nr_history_check(&h, &z, 3, 0, &orig), NR_DUP_NONE);
    assert_int_equal(nr_history_check(&h, &b, 0, 0, &orig), NR_DUP_EXACT);
    assert_int_equal(nr_history_check(&h, &d, 0, 0, &orig), NR_DUP_NONE);
    /* the ring keeps the newest `cap` entries */
    for (int i = 0; i < 10; i++) {
        char id[8];
        snprintf(id, sizeof(id), "x%d", i);
        struct nr_count_event x = fx_event(&f, 0, 0, FX_T0 + i, id, fx_story((unsigned)i));
        nr_history_add(&h, 4, &x, NULL);
    }
    assert_int_equal(h.n, 4);
    assert_string_equal(nr_hist_str(nr_history_at(&h, 0), 0), "x6");
    assert_string_equal(nr_hist_str(nr_history_at(&h, 3), 1), "A title");
    assert_null(nr_hist_str(nr_history_at(&h, 3), 3)); /* no source */
    assert_int_equal(nr_history_check(&h, &a, 3, 0, &orig), NR_DUP_NONE);
    nr_history_clear(&h);
}

/* The ring grows before its first wrap, then reuses each slot's buffer. */
static void test_history_reuse(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_history h = {0};
    char ids[42][16];
    for (int i = 0; i < 42; i++) {
        snprintf(ids[i], sizeof(ids[i]), "r%d", i);
        struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0 + i, ids[i], fx_story((unsigned)i));
        ev.n_co = (uint32_t)(i % 3);
        nr_history_add(&h, 16, &ev, NULL);
        uint32_t want = i + 1 < 16 ? (uint32_t)i + 1 : 16;
        assert_int_equal(h.n, want);
        assert_true(h.alloc <= 16);
        /* oldest to newest, across growth and wrap */
        for (uint32_t j = 0; j < h.n; j++) {
            const struct nr_hist_entry *e = nr_history_at(&h, j);
            assert_string_equal(nr_hist_str(e, 0), ids[i + 1 - (int)h.n + (int)j]);
            assert_int_equal(e->event_ms, FX_T0 + i + 1 - (int)h.n + (int)j);
            assert_int_equal(e->n_co, (uint32_t)((i + 1 - (int)h.n + (int)j) % 3));
        }
    }
    assert_int_equal(h.alloc, 16);
    /* the original named by dup_of lives in the slot about to be reused, at
     * the same offset (both with two co-mentions) as the new id */
    const char *oldest = nr_hist_str(nr_history_at(&h, 0), 0);
    assert_string_equal(oldest, "r26");
    struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0 + 100, "copy", 1);
    nr_history_add(&h, 16, &ev, oldest);
    const struct nr_hist_entry *e = nr_history_at(&h, 15);
    assert_string_equal(nr_hist_str(e, 0), "copy");
    assert_string_equal(nr_hist_str(e, 4), "r26");
    assert_true(e->duplicate);
    /* a longer article than the slot held before */
    char title[3000];
    memset(title, 'x', sizeof(title) - 1);
    title[sizeof(title) - 1] = '\0';
    ev = fx_event(&f, 0, 0, FX_T0 + 101, "long", 2);
    ev.article.title.p = title;
    ev.article.title.len = strlen(title);
    nr_history_add(&h, 16, &ev, NULL);
    e = nr_history_at(&h, 15);
    assert_string_equal(nr_hist_str(e, 1), title);
    assert_null(nr_hist_str(e, 4));
    assert_int_equal(e->strs_len, 5 + 21 + 4 + strlen(title));
    assert_int_equal(e->co[0].mentions, 3);
    /* cap 0 remembers nothing */
    struct nr_history z = {0};
    nr_history_add(&z, 0, &ev, NULL);
    assert_int_equal(z.n, 0);
    nr_history_clear(&z);
    nr_history_clear(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idset_basic),    cmocka_unit_test(test_idset_clear),
        cmocka_unit_test(test_idset_capacity), cmocka_unit_test(test_idset_expiry),
        cmocka_unit_test(test_history),        cmocka_unit_test(test_history_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
