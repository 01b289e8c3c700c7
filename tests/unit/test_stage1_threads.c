/*
 * test_stage1_threads.c - stage 1 as the service runs it (engine.h): several
 * workers, each its own nr_stage1, over one nr_stage1_shared (the tagger,
 * the locked duplicate set, the atomic stream time), on threads at once.
 * Every worker feeds the same articles: each id is tagged by exactly one of
 * them and is a duplicate for the others, the count events add up to one
 * serial pass's, and stream time is the latest article's. And the workers
 * share one boilerplate model, used in item order (nr_stage1_order_*): each
 * article's body is blanked exactly as by one decoder reading them in turn.
 * Run under
 * ThreadSanitizer by tests/run.sh (label threads) for the data races this
 * cannot see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "newsradar/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ART    200
#define N_THREAD 4
#define T0       1709251200000LL /* 2024-03-01T00:00:00Z */

static const char *const PLACES[] = {"Afghanistan", "Pakistan", "Kabul", "the border"};

struct worker {
    struct nr_stage1 *s1;
    size_t events;
    size_t fed;
};

static void on_event(void *ud, const struct nr_count_event *ev)
{
    (void)ev;
    ((struct worker *)ud)->events++;
}

static int article(int i, char *buf, size_t len)
{
    return snprintf(buf, len,
                    "{\"id\":\"t%d\",\"title\":\"Explosion in %s\",\"body\":\"%s: an "
                    "explosion, report %d of the day, near the %s.\",\"published_at\":%lld}",
                    i, PLACES[i % 4], PLACES[(i / 4) % 4], i, i % 2 ? "market" : "old bridge",
                    (long long)(T0 + (int64_t)i * 60000));
}

static void feed_all(struct worker *w)
{
    const struct nr_stage1_out out = {.ud = w, .event = on_event};
    char line[512];
    for (int i = 0; i < N_ART; i++) {
        int n = article(i, line, sizeof(line));
        w->fed += nr_stage1_feed(w->s1, line, (size_t)n, NR_TIME_NONE, NR_TIME_NONE, &out);
    }
}

static void *thread_main(void *arg)
{
    feed_all(arg);
    return NULL;
}

static struct nr_config *load_cfg(void)
{
    const char *src = getenv("NR_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/replay/config/newsradar.yaml", src ? src : ".");
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(path, &d);
    if (!cfg)
        nr_diags_print(&d, stderr);
    nr_diags_free(&d);
    return cfg;
}

static void test_shared_workers(void **state)
{
    (void)state;
    struct nr_config *cfg = load_cfg();
    assert_non_null(cfg);
    struct nr_error err;

    /* one worker: the reference */
    struct nr_stage1_shared *sh1 = nr_stage1_shared_new(cfg, &err);
    assert_non_null(sh1);
    struct worker ref = {nr_stage1_new(sh1, &err), 0, 0};
    assert_non_null(ref.s1);
    feed_all(&ref);
    struct nr_engine_stats rs = {0};
    nr_stage1_stats_add(ref.s1, &rs);
    assert_int_equal(rs.articles, N_ART);
    assert_int_equal(rs.duplicates, 0);
    assert_true(ref.events > 0); /* the articles make count events */

    /* N_THREAD workers at once over one shared part */
    struct nr_stage1_shared *sh = nr_stage1_shared_new(cfg, &err);
    assert_non_null(sh);
    struct worker w[N_THREAD];
    pthread_t th[N_THREAD];
    for (int k = 0; k < N_THREAD; k++) {
        w[k] = (struct worker){nr_stage1_new(sh, &err), 0, 0};
        assert_non_null(w[k].s1);
    }
    for (int k = 0; k < N_THREAD; k++)
        assert_int_equal(pthread_create(&th[k], NULL, thread_main, &w[k]), 0);
    for (int k = 0; k < N_THREAD; k++)
        assert_int_equal(pthread_join(th[k], NULL), 0);
    struct nr_engine_stats st = {0};
    size_t events = 0, fed = 0;
    for (int k = 0; k < N_THREAD; k++) {
        nr_stage1_stats_add(w[k].s1, &st);
        events += w[k].events;
        fed += w[k].fed;
    }
    assert_int_equal(fed, (size_t)N_THREAD * N_ART);
    assert_int_equal(st.articles, N_ART); /* each id tagged once */
    assert_int_equal(st.duplicates, (N_THREAD - 1) * N_ART);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(events, ref.events);
    assert_int_equal(nr_stage1_stream_ms(sh), T0 + (int64_t)(N_ART - 1) * 60000);

    for (int k = 0; k < N_THREAD; k++)
        nr_stage1_free(w[k].s1);
    nr_stage1_shared_free(sh);
    nr_stage1_free(ref.s1);
    nr_stage1_shared_free(sh1);
    nr_config_free(cfg);
}

/* ---- the shared boilerplate model, in item order ------------------------------ */

#define N_BP 120
static _Atomic int bp_next;
static uint32_t bp_blanked[N_BP]; /* per article, from the tagged hook */

struct bp_worker {
    struct nr_stage1 *s1;
    struct nr_stage1_shared *sh;
};

static void on_tagged(void *ud, long index, const struct nr_article *a, const struct nr_tags *t,
                      struct nr_str record, int64_t event_ms)
{
    (void)ud, (void)index, (void)t, (void)record, (void)event_ms;
    int i = atoi(a->field[NR_FIELD_ID].p + 1);
    if (i >= 0 && i < N_BP)
        bp_blanked[i] = a->boilerplate;
}

static int bp_article(int i, char *buf, size_t len)
{
    /* one source; every body ends with the same two sentences */
    return snprintf(buf, len,
                    "{\"id\":\"b%d\",\"title\":\"Report %d on the %s\",\"source\":\"Example "
                    "Wire\",\"body\":\"Item %d: %s said the road was open. Sign up for our "
                    "newsletter. Follow us for more.\",\"published_at\":%lld}",
                    i, i, PLACES[i % 4], i, PLACES[(i / 4) % 4],
                    (long long)(T0 + (int64_t)i * 60000));
}

static void bp_feed(struct nr_stage1 *s1, int i)
{
    struct worker counted = {0};
    const struct nr_stage1_out out = {.ud = &counted, .event = on_event, .tagged = on_tagged};
    char line[512];
    int n = bp_article(i, line, sizeof(line));
    (void)nr_stage1_feed(s1, line, (size_t)n, NR_TIME_NONE, NR_TIME_NONE, &out);
}

/* as nr_pool_run's helpers: items taken in increasing order */
static void *bp_thread(void *arg)
{
    struct bp_worker *w = arg;
    for (int i; (i = atomic_fetch_add(&bp_next, 1)) < N_BP;) {
        nr_stage1_order_item(w->s1, (size_t)i);
        bp_feed(w->s1, i);
        nr_stage1_order_done(w->s1);
    }
    return NULL;
}

static void test_shared_boilerplate(void **state)
{
    (void)state;
    struct nr_config *cfg = load_cfg();
    assert_non_null(cfg);
    assert_true(cfg->boilerplate_min_articles > 0);
    struct nr_error err;

    /* one decoder reading them in turn: the reference */
    struct nr_stage1_shared *sh1 = nr_stage1_shared_new(cfg, &err);
    struct nr_stage1 *one = nr_stage1_new(sh1, &err);
    assert_non_null(one);
    for (int i = 0; i < N_BP; i++)
        bp_feed(one, i);
    uint32_t ref[N_BP], total = 0;
    memcpy(ref, bp_blanked, sizeof(ref));
    for (int i = 0; i < N_BP; i++)
        total += ref[i];
    /* learnt after a few articles, then blanked in every later one */
    assert_true(total > 0);
    assert_int_equal(ref[0], 0);
    assert_true(ref[N_BP - 1] > 0);

    struct nr_stage1_shared *sh = nr_stage1_shared_new(cfg, &err);
    assert_non_null(sh);
    struct bp_worker w[N_THREAD];
    pthread_t th[N_THREAD];
    for (int k = 0; k < N_THREAD; k++) {
        w[k] = (struct bp_worker){nr_stage1_new(sh, &err), sh};
        assert_non_null(w[k].s1);
    }
    memset(bp_blanked, 0xff, sizeof(bp_blanked));
    atomic_store(&bp_next, 0);
    nr_stage1_order_begin(sh);
    for (int k = 0; k < N_THREAD; k++)
        assert_int_equal(pthread_create(&th[k], NULL, bp_thread, &w[k]), 0);
    for (int k = 0; k < N_THREAD; k++)
        assert_int_equal(pthread_join(th[k], NULL), 0);
    nr_stage1_order_end(sh);
    for (int i = 0; i < N_BP; i++)
        assert_int_equal(bp_blanked[i], ref[i]);

    for (int k = 0; k < N_THREAD; k++)
        nr_stage1_free(w[k].s1);
    nr_stage1_shared_free(sh);
    nr_stage1_free(one);
    nr_stage1_shared_free(sh1);
    nr_config_free(cfg);
}

/* A reload hands the learnt boilerplate on: the articles after it are
 * blanked as if nothing had happened. */
static void test_take_boilerplate(void **state)
{
    (void)state;
    struct nr_config *cfg = load_cfg();
    assert_non_null(cfg);
    struct nr_error err;
    struct nr_stage1_shared *sh1 = nr_stage1_shared_new(cfg, &err);
    struct nr_stage1 *one = nr_stage1_new(sh1, &err);
    for (int i = 0; i < N_BP; i++)
        bp_feed(one, i);
    uint32_t ref[N_BP];
    memcpy(ref, bp_blanked, sizeof(ref));
    nr_stage1_free(one);
    nr_stage1_shared_free(sh1);

    struct nr_stage1_shared *a = nr_stage1_shared_new(cfg, &err);
    struct nr_stage1 *s = nr_stage1_new(a, &err);
    for (int i = 0; i < N_BP / 2; i++)
        bp_feed(s, i);
    struct nr_stage1_shared *b = nr_stage1_shared_new(cfg, &err);
    nr_stage1_shared_take(b, a);
    nr_stage1_free(s);
    nr_stage1_shared_free(a);
    s = nr_stage1_new(b, &err);
    memset(bp_blanked, 0xff, sizeof(bp_blanked));
    for (int i = N_BP / 2; i < N_BP; i++) {
        bp_feed(s, i);
        assert_int_equal(bp_blanked[i], ref[i]);
    }
    nr_stage1_free(s);
    nr_stage1_shared_free(b);
    nr_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_workers),
        cmocka_unit_test(test_shared_boilerplate),
        cmocka_unit_test(test_take_boilerplate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
