/*
 * test_pool.c - the stage-1 worker pool (pool.h): every item runs exactly
 * once per batch, on a valid worker index, for batch after batch; small
 * batches stay on the caller; a pool without helpers is serial.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "newsradar/pool.h"

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define MAXN 1000

struct ctx {
    _Atomic unsigned runs[MAXN];
    _Atomic unsigned by_worker[8];
    unsigned max_worker;
    unsigned long sum[8];        /* per-worker state: only its worker writes it */
    _Atomic unsigned bad_worker; /* checked on the main thread: no cmocka asserts in helpers */
};

static void work(void *c, unsigned w, size_t i)
{
    struct ctx *x = c;
    if (w > x->max_worker) {
        atomic_fetch_add(&x->bad_worker, 1);
        return;
    }
    atomic_fetch_add(&x->runs[i], 1);
    atomic_fetch_add(&x->by_worker[w], 1);
    x->sum[w] += i;
}

static void run_batches(unsigned helpers)
{
    struct nr_pool *p = nr_pool_new(helpers, "nr-test");
    assert_non_null(p);
    assert_int_equal(nr_pool_helpers(p), helpers);
    static struct ctx x;
    for (int round = 0; round < 300; round++) {
        memset(&x, 0, sizeof(x));
        x.max_worker = helpers;
        size_t n = (size_t)(round * 37) % MAXN;
        nr_pool_run(p, work, &x, n, 4);
        assert_int_equal(atomic_load(&x.bad_worker), 0);
        unsigned long total = 0, total_runs = 0;
        for (size_t i = 0; i < n; i++)
            assert_int_equal(atomic_load(&x.runs[i]), 1);
        for (size_t i = n; i < MAXN; i++)
            assert_int_equal(atomic_load(&x.runs[i]), 0);
        for (unsigned w = 0; w <= helpers; w++) {
            total += x.sum[w];
            total_runs += atomic_load(&x.by_worker[w]);
        }
        assert_int_equal(total_runs, n);
        assert_int_equal(total, n ? n * (n - 1) / 2 : 0);
    }
    /* below min_parallel: the caller alone */
    memset(&x, 0, sizeof(x));
    x.max_worker = helpers;
    nr_pool_run(p, work, &x, 3, 4);
    assert_int_equal(atomic_load(&x.by_worker[0]), 3);
    nr_pool_free(p);
}

static void test_no_helpers(void **state)
{
    (void)state;
    run_batches(0);
}

static void test_one_helper(void **state)
{
    (void)state;
    run_batches(1);
}

static void test_many_helpers(void **state)
{
    (void)state;
    run_batches(5);
}

static void test_null_pool(void **state)
{
    (void)state;
    static struct ctx x;
    x.max_worker = 0;
    nr_pool_run(NULL, work, &x, 10, 1);
    assert_int_equal(atomic_load(&x.by_worker[0]), 10);
    nr_pool_free(NULL);
    assert_int_equal(nr_pool_helpers(NULL), 0);
}

static void test_cpus(void **state)
{
    (void)state;
    assert_int_equal(nr_cpu_quota_parse("max 100000\n"), 0);
    assert_int_equal(nr_cpu_quota_parse("150000 100000\n"), 2);
    assert_int_equal(nr_cpu_quota_parse("200000 100000"), 2);
    assert_int_equal(nr_cpu_quota_parse("50000 100000"), 1);
    assert_int_equal(nr_cpu_quota_parse("-1 100000"), 0); /* cgroup v1: no quota */
    assert_int_equal(nr_cpu_quota_parse(""), 0);
    assert_int_equal(nr_cpu_quota_parse(NULL), 0);
    assert_int_equal(nr_cpu_quota_parse("100000 0"), 0);
    unsigned n = nr_cpus_usable();
    assert_true(n >= 1);
    assert_true((long)n <= sysconf(_SC_NPROCESSORS_ONLN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_helpers),   cmocka_unit_test(test_one_helper),
        cmocka_unit_test(test_many_helpers), cmocka_unit_test(test_null_pool),
        cmocka_unit_test(test_cpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
