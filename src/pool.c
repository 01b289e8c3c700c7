/*
 * pool.c - see pool.h. One mutex and two condition variables: a batch is a
 * generation number; helpers wake on a new generation, take items from an
 * atomic counter until none are left, and report when they stopped.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "newsradar/pool.h"
#include "newsradar/common.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

struct helper {
    struct nr_pool *p;
    unsigned id;
    pthread_t th;
};

struct nr_pool {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen; /* bumped per batch, under mu */
    bool quit;
    unsigned busy; /* helpers still in the current batch, under mu */
    /* the current batch, written before gen is bumped */
    nr_pool_fn fn;
    void *ctx;
    size_t n;
    _Atomic size_t next;
    unsigned n_helpers;
    struct helper *h;
    char name[16];
};

static void take_items(struct nr_pool *p, unsigned worker)
{
    size_t i;
    while ((i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed)) < p->n)
        p->fn(p->ctx, worker, i);
}

static void *helper_main(void *arg)
{
    struct helper *h = arg;
    struct nr_pool *p = h->p;
    prctl(PR_SET_NAME, p->name, 0, 0, 0);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        take_items(p, h->id);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct nr_pool *nr_pool_new(unsigned n_helpers, const char *thread_name)
{
    struct nr_pool *p = nr_xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    snprintf(p->name, sizeof(p->name), "%s", thread_name ? thread_name : "nr-pool");
    p->h = nr_xcalloc(n_helpers ? n_helpers : 1, sizeof(*p->h));
    for (unsigned i = 0; i < n_helpers; i++) {
        p->h[i] = (struct helper){.p = p, .id = i + 1};
        if (pthread_create(&p->h[i].th, NULL, helper_main, &p->h[i]) != 0) {
            nr_pool_free(p);
            return NULL;
        }
        p->n_helpers = i + 1;
    }
    return p;
}

void nr_pool_free(struct nr_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_helpers; i++)
        pthread_join(p->h[i].th, NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->h);
    free(p);
}

unsigned nr_pool_helpers(const struct nr_pool *p)
{
    return p ? p->n_helpers : 0;
}

void nr_pool_run(struct nr_pool *p, nr_pool_fn fn, void *ctx, size_t n_items, size_t min_parallel)
{
    if (!p || p->n_helpers == 0 || n_items < min_parallel || n_items < 2) {
        for (size_t i = 0; i < n_items; i++)
            fn(ctx, 0, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n_items;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->busy = p->n_helpers;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    take_items(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->busy)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* ---- how many threads to run ---------------------------------------------- */

unsigned nr_cpu_quota_parse(const char *cpu_max)
{
    long long quota, period;
    if (!cpu_max || sscanf(cpu_max, "%lld %lld", &quota, &period) != 2 || quota <= 0 || period <= 0)
        return 0; /* "max 100000" (no limit) or unreadable */
    long long n = (quota + period - 1) / period;
    return n > 4096 ? 4096 : (unsigned)n;
}

static unsigned cgroup_quota(void)
{
    char buf[128] = "";
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r"); /* cgroup v2 */
    if (f) {
        if (!fgets(buf, sizeof(buf), f))
            buf[0] = 0;
        fclose(f);
        return nr_cpu_quota_parse(buf);
    }
    long long q = -1, p = -1; /* cgroup v1 */
    f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r");
    if (f) {
        if (fscanf(f, "%lld", &q) != 1)
            q = -1;
        fclose(f);
    }
    f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r");
    if (f) {
        if (fscanf(f, "%lld", &p) != 1)
            p = -1;
        fclose(f);
    }
    snprintf(buf, sizeof(buf), "%lld %lld", q, p);
    return nr_cpu_quota_parse(buf);
}

unsigned nr_cpus_usable(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        n = CPU_COUNT(&set);
    unsigned q = cgroup_quota();
    if (q > 0 && (long)q < n)
        n = q;
    return n < 1 ? 1 : (unsigned)n;
}
