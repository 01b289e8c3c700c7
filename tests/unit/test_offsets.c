/* Tests for the in-order offset tracker (offsets.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "newsradar/offsets.h"

static void test_in_order_commit(void **state)
{
    (void)state;
    struct nr_otrack t;
    nr_otrack_init(&t, 8);
    struct nr_opart *p = nr_otrack_part(&t, "articles", 0, true);
    assert_ptr_equal(p, nr_otrack_part(&t, "articles", 0, false));
    assert_null(nr_otrack_part(&t, "articles", 1, false));

    struct nr_oentry *a = nr_opart_begin(p, 10);
    struct nr_oentry *b = nr_opart_begin(p, 11);
    nr_oentry_expect(a);     /* one produced message awaited */
    nr_oentry_done(a, true); /* processing finished */
    nr_oentry_done(b, true);
    /* b is done but a still waits: nothing committable */
    assert_int_equal(nr_opart_advance(p), -1);
    nr_oentry_done(a, true); /* delivery report */
    assert_int_equal(nr_opart_advance(p), 12);
    assert_int_equal(nr_opart_advance(p), -1);
    assert_int_equal(nr_opart_inflight(p), 0);
    nr_otrack_destroy(&t);
}

static void test_ring_full_is_backpressure(void **state)
{
    (void)state;
    struct nr_otrack t;
    nr_otrack_init(&t, 2);
    struct nr_opart *p = nr_otrack_part(&t, "a", 3, true);
    struct nr_oentry *a = nr_opart_begin(p, 0);
    assert_non_null(nr_opart_begin(p, 1));
    assert_null(nr_opart_begin(p, 2));
    nr_oentry_done(a, true);
    assert_int_equal(nr_opart_advance(p), 1);
    assert_non_null(nr_opart_begin(p, 2));
    nr_otrack_destroy(&t);
}

static void test_failure_blocks(void **state)
{
    (void)state;
    struct nr_otrack t;
    nr_otrack_init(&t, 4);
    struct nr_opart *p = nr_otrack_part(&t, "a", 0, true);
    struct nr_oentry *a = nr_opart_begin(p, 5);
    nr_oentry_expect(a);
    nr_oentry_done(a, true);
    nr_oentry_done(a, false); /* delivery failed for good */
    assert_true(nr_opart_failed(p));
    assert_int_equal(nr_opart_advance(p), -1);
    nr_otrack_destroy(&t);
}

static void test_hold_until_durable(void **state)
{
    (void)state;
    struct nr_otrack t;
    nr_otrack_init(&t, 4);
    struct nr_opart *p = nr_otrack_part(&t, "counts", 1, true);
    p->hold = true;
    nr_oentry_done(nr_opart_begin(p, 0), true);
    nr_oentry_done(nr_opart_begin(p, 1), true);
    assert_int_equal(nr_opart_advance(p), -1); /* no checkpoint yet */
    nr_opart_durable(p, 0);
    assert_int_equal(nr_opart_advance(p), 1);
    nr_opart_durable(p, 1);
    assert_int_equal(nr_opart_advance(p), 2);
    nr_otrack_destroy(&t);
}

static void test_reset_retires_ring(void **state)
{
    (void)state;
    struct nr_otrack t;
    nr_otrack_init(&t, 4);
    struct nr_opart *p = nr_otrack_part(&t, "a", 0, true);
    struct nr_oentry *old = nr_opart_begin(p, 7);
    nr_opart_reset(p);
    struct nr_oentry *fresh = nr_opart_begin(p, 100);
    assert_ptr_not_equal(old, fresh);
    nr_oentry_done(old, true); /* a late report touches retired memory only */
    assert_int_equal(fresh->pending, 1);
    nr_oentry_done(fresh, true);
    assert_int_equal(nr_opart_advance(p), 101);
    /* once nothing can report any more, the retired rings go (ASan checks
     * that nothing leaks or is freed twice); resets without entries in
     * flight retire nothing */
    assert_true(nr_otrack_has_retired(&t));
    nr_otrack_free_retired(&t);
    assert_false(nr_otrack_has_retired(&t));
    nr_opart_reset(p);
    assert_false(nr_otrack_has_retired(&t));
    assert_non_null(nr_opart_begin(p, 200));
    nr_opart_reset(p);
    assert_true(nr_otrack_has_retired(&t));
    nr_otrack_free_retired(&t);
    nr_otrack_free_retired(&t);
    struct nr_oentry *again = nr_opart_begin(p, 300);
    nr_oentry_done(again, true);
    assert_int_equal(nr_opart_advance(p), 301);
    nr_otrack_destroy(&t);
}

static void test_checkpoint_failure_and_generations(void **state)
{
    (void)state;
    struct nr_otrack t;
    nr_otrack_init(&t, 8);
    struct nr_opart *p = nr_otrack_part(&t, "counts", 0, true);
    p->hold = true;
    for (int64_t o = 0; o < 3; o++)
        nr_oentry_done(nr_opart_begin(p, o), true);
    struct nr_ockpt a = nr_opart_ckpt_begin(p); /* covers offset 0 */
    struct nr_ockpt b = nr_opart_ckpt_begin(p); /* covers 1, started before a failed */
    nr_opart_ckpt_end(p, a, 0, false);
    nr_opart_ckpt_end(p, b, 1, true); /* may lack a's keys: must not count */
    assert_int_equal(nr_opart_advance(p), -1);
    struct nr_ockpt c = nr_opart_ckpt_begin(p); /* started after the failure: counts */
    nr_opart_ckpt_end(p, c, 2, true);
    assert_int_equal(nr_opart_advance(p), 3);

    /* a report from before a reset changes nothing */
    struct nr_ockpt old = nr_opart_ckpt_begin(p);
    nr_opart_reset(p);
    p->hold = true;
    nr_oentry_done(nr_opart_begin(p, 10), true);
    nr_opart_ckpt_end(p, old, 10, true);
    assert_int_equal(nr_opart_advance(p), -1);
    struct nr_ockpt d = nr_opart_ckpt_begin(p);
    nr_opart_ckpt_end(p, d, 10, true);
    assert_int_equal(nr_opart_advance(p), 11);
    nr_otrack_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_commit),
        cmocka_unit_test(test_ring_full_is_backpressure),
        cmocka_unit_test(test_failure_blocks),
        cmocka_unit_test(test_hold_until_durable),
        cmocka_unit_test(test_reset_retires_ring),
        cmocka_unit_test(test_checkpoint_failure_and_generations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
