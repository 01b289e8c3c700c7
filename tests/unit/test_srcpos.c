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
    /* three records of one article, one of the next, two of another source */
    nr_srcpos_add(&r, a, 10);
    nr_srcpos_add(&r, a, 10);
    nr_srcpos_add(&r, a, 10);
    nr_srcpos_add(&r, a, 11);
    nr_srcpos_add(&r, b, 7);
    nr_srcpos_add(&r, b, 7);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.records, 6);
    uint8_t *buf;
    size_t len;
    nr_srcpos_encode(&r, &buf, &len);
    struct nr_error err = {{0}};
    assert_int_equal(nr_srcpos_decode(&d, buf, len, &err), 0);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.records, 6);
    assert_true(nr_srcpos_at(&d, 2)->offset == 10);
    assert_true(nr_srcpos_at(&d, 3)->offset == 11);
    assert_true(nr_srcpos_at(&d, 4)->src == b);
    assert_null(nr_srcpos_at(&d, 6));
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
    assert_false(nr_srcpos_seen(&t, a, 0)); /* nothing seen yet */
    nr_srcpos_add(&r, a, 5);
    nr_srcpos_add(&r, a, 9);
    nr_srcpos_add(&r, b, 3);
    nr_srcpos_note(&t, &r);
    assert_true(nr_srcpos_seen(&t, a, 9));
    assert_true(nr_srcpos_seen(&t, a, 1));
    assert_false(nr_srcpos_seen(&t, a, 10));
    assert_true(nr_srcpos_seen(&t, b, 3));
    assert_false(nr_srcpos_seen(&t, b, 4));
    /* a message of lower offsets (a repeat) never lowers it */
    nr_srcpos_clear(&r);
    nr_srcpos_add(&r, a, 2);
    nr_srcpos_note(&t, &r);
    assert_true(nr_srcpos_seen(&t, a, 9));
    /* an event of a/7 still held: the checkpoint's entry stays below it */
    nr_srcpos_lower(&t, a, 7);
    assert_true(nr_srcpos_seen(&t, a, 6));
    assert_false(nr_srcpos_seen(&t, a, 7));
    nr_srcpos_lower(&t, nr_srcpos_id("other", 0), 1); /* unknown: nothing */
    assert_int_equal(t.n, 2);
    uint8_t *buf;
    size_t len;
    nr_srcpos_table_encode(&t, &buf, &len);
    struct nr_error err = {{0}};
    assert_int_equal(nr_srcpos_table_decode(&u, buf, len, &err), 0);
    assert_int_equal(u.n, 2);
    assert_true(nr_srcpos_seen(&u, a, 6) && !nr_srcpos_seen(&u, a, 7));
    assert_true(nr_srcpos_seen(&u, b, 3) && !nr_srcpos_seen(&u, b, 4));
    for (size_t n = 0; n < len; n++)
        assert_int_equal(nr_srcpos_table_decode(&u, buf, n, &err), -1);
    assert_int_equal(u.n, 0);
    memcpy(buf + 21, buf + 5, 8); /* the same source twice */
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
