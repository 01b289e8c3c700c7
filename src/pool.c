/*
 * pool.c - see pool.h. One mutex and two condition variables: a batch is a
 * generation number; helpers wake on a new generation, take items from an
 * atomic counter until none are left, and report when they stopped.
 */
#include "newsradar/pool.h"
#include "newsradar/common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

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
