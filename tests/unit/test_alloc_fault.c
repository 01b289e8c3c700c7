/*
 * test_alloc_fault.c - an allocation that fails while one article is read
 * rejects that article as too_large and nothing else (issue 9): the engine
 * goes on, the next article is counted, nothing leaks (ASan). Faults are
 * injected with nr_alloc_set_fault() into the allocations that grow with
 * an article (decoder tokens and strings, UTF-8 repair, normalized text):
 * every one of them in turn (fail the k-th), and every one above a size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/engine.h"

static const char *g_dir;

struct fault {
    size_t calls, fail_at; /* fail the fail_at-th call (1-based); 0 = none */
    size_t min_size;       /* or every call of at least this many bytes; 0 = none */
    size_t failed;
};

static bool fault_fn(size_t n, void *ud)
{
    struct fault *f = ud;
    f->calls++;
    bool fail = (f->fail_at && f->calls == f->fail_at) || (f->min_size && n >= f->min_size);
    f->failed += fail;
    return fail;
}

struct seen {
    size_t rejects[NR_REJECT_COUNT];
    size_t alerts;
};

static void on_alert(void *ud, const struct nr_alert *a)
{
    (void)a;
    ((struct seen *)ud)->alerts++;
}

static void on_reject(void *ud, long index, enum nr_reject r, const char *msg, struct nr_str record)
{
    (void)index;
    (void)record;
    struct seen *s = ud;
    s->rejects[r]++;
    if (r == NR_REJECT_TOO_LARGE)
        assert_non_null(strstr(msg, "out of memory"));
}

static struct nr_config *load(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/replay/config/newsradar.yaml", g_dir);
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(path, &d);
    nr_diags_free(&d);
    assert_non_null(cfg);
    return cfg;
}

/* An array of two articles: a big one (~200 KB, with an invalid byte so the
 * UTF-8 repair runs, an escape so strings are unescaped, and a list body),
 * then a small one. Caller frees. */
static char *big_message(size_t *len)
{
    size_t cap = 300000, n = 0;
    char *m = malloc(cap);
    assert_non_null(m);
    n += (size_t)snprintf(m + n, cap - n,
                          "[{\"id\":\"big\",\"title\":\"Attack in Pakistan\\u0021\","
                          "\"published_at\":\"2024-03-01T10:00:00Z\",\"body\":\"caf\xe9 ");
    while (n < 200000)
        n += (size_t)snprintf(m + n, cap - n, "An attack was reported in Pakistan today. ");
    n += (size_t)snprintf(m + n, cap - n,
                          "\"},{\"id\":\"small\",\"title\":\"Attack in Pakistan\","
                          "\"published_at\":\"2024-03-01T10:01:00Z\",\"body\":\"A bomb.\"}]");
    *len = n;
    return m;
}

static const char *small_msg(int i, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "{\"id\":\"s%d\",\"title\":\"Attack in Pakistan number %c\","
             "\"published_at\":\"2024-03-01T10:0%d:00Z\",\"body\":\"Story %c.\"}",
             i, 'a' + i, 2 + i, 'a' + i);
    return buf;
}

/* Fail each fallible allocation of the big message in turn: the message
 * gives either two articles or a too_large rejection, and three small
 * articles after it always fire the rule (min_count 3). */
static void test_each_allocation(void **state)
{
    (void)state;
    struct nr_config *cfg = load();
    size_t len;
    char *msg = big_message(&len);
    size_t k_too_large = 0;
    for (size_t k = 1;; k++) {
        struct nr_engine *e = nr_engine_new(cfg, NULL);
        assert_non_null(e);
        struct fault f = {.fail_at = k};
        struct seen s = {{0}, 0};
        nr_alloc_set_fault(fault_fn, &f);
        size_t n = nr_engine_feed(e, msg, len, NR_TIME_NONE, NR_TIME_NONE, on_alert, on_reject, &s);
        nr_alloc_set_fault(NULL, NULL);
        bool failed = f.failed > 0;
        if (failed) {
            assert_true(s.rejects[NR_REJECT_TOO_LARGE] >= 1);
            k_too_large++;
        } else {
            assert_int_equal(n, 2);
            assert_int_equal(s.rejects[NR_REJECT_TOO_LARGE], 0);
        }
        for (int r = 0; r < NR_REJECT_COUNT; r++)
            if (r != NR_REJECT_TOO_LARGE)
                assert_int_equal(s.rejects[r], 0);
        char b[256];
        for (int i = 0; i < 3; i++) {
            const char *m = small_msg(i, b, sizeof(b));
            assert_int_equal(nr_engine_process(e, m, strlen(m), NR_TIME_NONE, on_alert, &s, NULL),
                             NR_REJECT_NONE);
        }
        assert_true(s.alerts >= 1);
        nr_engine_free(e);
        if (!failed)
            break; /* k is past the last fallible allocation */
    }
    /* tokens, token table, repair copy, strings, records, normalized text
     * (buf and map) of a fresh engine: several places, each one caught */
    assert_true(k_too_large >= 4);
    free(msg);
    nr_config_free(cfg);
}

/* Every allocation of 64 KB or more fails (a memory limit): the big
 * article is too_large, the small ones of the same and later messages are
 * read and counted. */
static void test_limit(void **state)
{
    (void)state;
    struct nr_config *cfg = load();
    size_t len;
    char *msg = big_message(&len);
    struct nr_engine *e = nr_engine_new(cfg, NULL);
    struct fault f = {.min_size = 64 * 1024};
    struct seen s = {{0}, 0};
    nr_alloc_set_fault(fault_fn, &f);
    nr_engine_feed(e, msg, len, NR_TIME_NONE, NR_TIME_NONE, on_alert, on_reject, &s);
    char b[256];
    for (int i = 0; i < 3; i++) {
        const char *m = small_msg(i, b, sizeof(b));
        assert_int_equal(nr_engine_process(e, m, strlen(m), NR_TIME_NONE, on_alert, &s, NULL),
                         NR_REJECT_NONE);
    }
    nr_alloc_set_fault(NULL, NULL);
    assert_true(f.failed >= 1);
    assert_int_equal(s.rejects[NR_REJECT_TOO_LARGE], 1);
    struct nr_engine_stats st;
    nr_engine_stats_get(e, &st);
    assert_int_equal(st.rejected, 1);
    assert_true(s.alerts >= 1);
    nr_engine_free(e);
    free(msg);
    nr_config_free(cfg);
}

int main(int argc, char **argv)
{
    g_dir = argc > 1 ? argv[1] : "tests/data";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_allocation),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
