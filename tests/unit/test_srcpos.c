/* test_srcpos.c - source positions (srcpos.h): the header's runs round
 * trip and reject bad bytes; the table drops repeats, is lowered below
 * held events and survives its checkpoint form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "newsradar/srcpos.h"

static void test_runs_round_trip(void **state)
{
    (void)state;
    uint64_t a = nr_srcpos_id("in", 0), b = nr_srcpos_id("in", 1);
    assert_true(a != b && a && b);
    assert_true(nr_srcpos_id("in", 0) == a);
    struct nr_srcpos_runs r = {0}, d = {0};
    /* three records of one input message, one of the next, two of another
     * source, then a record of a/10 again past a gap (its index 5: the
     * others went to an earlier batch) */
    nr_srcpos_add(&r, a, 10, 0);
    nr_srcpos_add(&r, a, 10, 1);
    nr_srcpos_add(&r, a, 10, 2);
    nr_srcpos_add(&r, a, 11, 0);
    nr_srcpos_add(&r, b, 7, 0);
    nr_srcpos_add(&r, b, 7, 1);
    nr_srcpos_add(&r, a, 10, 5);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.records, 7);
    uint8_t *buf;
    size_t len;
    nr_srcpos_encode(&r, &buf, &len);
    struct nr_error err = {{0}};
    assert_int_equal(nr_srcpos_decode(&d, buf, len, &err), 0);
    assert_int_equal(d.n, 4);
    assert_int_equal(d.records, 7);
    uint64_t src;
    int64_t off;
    uint32_t idx;
    assert_true(nr_srcpos_at(&d, 2, &src, &off, &idx) && src == a && off == 10 && idx == 2);
    assert_true(nr_srcpos_at(&d, 3, &src, &off, &idx) && off == 11 && idx == 0);
    assert_true(nr_srcpos_at(&d, 5, &src, &off, &idx) && src == b && idx == 1);
    assert_true(nr_srcpos_at(&d, 6, &src, &off, &idx) && src == a && off == 10 && idx == 5);
    assert_false(nr_srcpos_at(&d, 7, &src, &off, &idx));
    /* every truncation and a wrong version are refused, leaving it empty */
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(nr_srcpos_decode(&d, buf, n, &err), -1);
        assert_int_equal(d.n, 0);
    }
    buf[0] = 9;
    assert_int_equal(nr_srcpos_decode(&d, buf, len, &err), -1);
    assert_non_null(strstr(err.msg, "version"));
    buf[0] = 1;
    memset(buf + len - 4, 0, 4); /* a run of 0 records */
    assert_int_equal(nr_srcpos_decode(&d, buf, len, &err), -1);
    free(buf);
    nr_srcpos_clear(&r);
    assert_int_equal(r.records, 0);
    nr_srcpos_free(&r);
    nr_srcpos_free(&d);
}

static void test_table(void **state)
{
    (void)state;
    uint64_t a = nr_srcpos_id("in", 0), b = nr_srcpos_id("in", 1);
    struct nr_srcpos_table t = {0}, u = {0};
    struct nr_srcpos_runs r = {0};
    assert_false(nr_srcpos_seen(&t, a, 0, 0)); /* nothing seen yet */
    nr_srcpos_add(&r, a, 5, 0);
    nr_srcpos_add(&r, a, 9, 0);
    nr_srcpos_add(&r, a, 9, 1);
    nr_srcpos_add(&r, b, 3, 0);
    nr_srcpos_note(&t, &r);
    assert_true(nr_srcpos_seen(&t, a, 9, 1));
    assert_true(nr_srcpos_seen(&t, a, 1, 7));
    assert_false(nr_srcpos_seen(&t, a, 9, 2)); /* the rest of a/9, in the next batch */
    assert_false(nr_srcpos_seen(&t, a, 10, 0));
    assert_true(nr_srcpos_seen(&t, b, 3, 0));
    assert_false(nr_srcpos_seen(&t, b, 4, 0));
    /* a/9's records 2 and 3 come in the next message: counted, then seen */
    nr_srcpos_clear(&r);
    nr_srcpos_add(&r, a, 9, 2);
    nr_srcpos_add(&r, a, 9, 3);
    nr_srcpos_note(&t, &r);
    assert_true(nr_srcpos_seen(&t, a, 9, 3));
    /* a message of lower positions (a repeat) never lowers it */
    nr_srcpos_clear(&r);
    nr_srcpos_add(&r, a, 2, 0);
    nr_srcpos_note(&t, &r);
    assert_true(nr_srcpos_seen(&t, a, 9, 3));
    /* events of a/9 index 1 and a/7 index 0 still held: the checkpoint's
     * entry stays below the earliest */
    nr_srcpos_lower(&t, a, 9, 1);
    assert_true(nr_srcpos_seen(&t, a, 9, 0));
    assert_false(nr_srcpos_seen(&t, a, 9, 1));
    nr_srcpos_lower(&t, a, 7, 0);
    assert_true(nr_srcpos_seen(&t, a, 6, 99));
    assert_false(nr_srcpos_seen(&t, a, 7, 0));
    nr_srcpos_lower(&t, a, 8, 0); /* above it: nothing */
    assert_false(nr_srcpos_seen(&t, a, 7, 0));
    nr_srcpos_lower(&t, nr_srcpos_id("other", 0), 1, 0); /* unknown: nothing */
    assert_int_equal(t.n, 2);
    uint8_t *buf;
    size_t len;
    nr_srcpos_table_encode(&t, &buf, &len);
    struct nr_error err = {{0}};
    assert_int_equal(nr_srcpos_table_decode(&u, buf, len, &err), 0);
    assert_int_equal(u.n, 2);
    assert_true(nr_srcpos_seen(&u, a, 6, 5) && !nr_srcpos_seen(&u, a, 7, 0));
    assert_true(nr_srcpos_seen(&u, b, 3, 0) && !nr_srcpos_seen(&u, b, 4, 0));
    for (size_t n = 0; n < len; n++)
        assert_int_equal(nr_srcpos_table_decode(&u, buf, n, &err), -1);
    assert_int_equal(u.n, 0);
    memcpy(buf + 25, buf + 5, 8); /* the same source twice */
    assert_int_equal(nr_srcpos_table_decode(&u, buf, len, &err), -1);
    free(buf);
    nr_srcpos_free(&r);
    nr_srcpos_table_free(&t);
    nr_srcpos_table_free(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_round_trip),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
