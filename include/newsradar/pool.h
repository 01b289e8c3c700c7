/*
 * pool.h - a fixed set of helper threads that run fn(ctx, worker, item) for
 * every item of a batch, together with the calling thread.
 *
 * Stage 1 of the Kafka service decodes and tags the articles of one poll
 * this way: the items are independent, the caller does what must stay in
 * order (producing, offsets) after nr_pool_run returns. Items are handed out
 * one at a time from a shared counter, so a slow article does not hold up a
 * whole share. The calling thread is worker 0, helpers are 1..n_helpers, so
 * fn can keep per-worker state (a decoder, a tagger scratch) in an array.
 *
 * Hand-written rather than a library: it is ~100 lines of pthreads and its
 * cost per batch (one broadcast, one wait) matters at ~20 us per article.
 */
#ifndef NEWSRADAR_POOL_H
#define NEWSRADAR_POOL_H

#include <stddef.h>

typedef void (*nr_pool_fn)(void *ctx, unsigned worker, size_t item);

struct nr_pool;

/* n_helpers threads (0 is valid: then nr_pool_run runs everything on the
 * caller). The threads inherit the caller's signal mask. NULL if a thread
 * cannot be created (the others are stopped again). */
struct nr_pool *nr_pool_new(unsigned n_helpers, const char *thread_name);
void nr_pool_free(struct nr_pool *p); /* joins the helpers; NULL is fine */
unsigned nr_pool_helpers(const struct nr_pool *p);

/* Run fn(ctx, w, i) once for every i < n_items and return when all are
 * done. Batches of fewer than min_parallel items run on the caller alone
 * (waking helpers costs more than a few items). Not reentrant; one caller. */
void nr_pool_run(struct nr_pool *p, nr_pool_fn fn, void *ctx, size_t n_items, size_t min_parallel);

/* CPUs this process may use: its affinity mask (taskset, cpusets), lowered
 * to the container's CPU quota (cgroup v2 cpu.max, or v1 cfs quota/period,
 * rounded up) when one is set; at least 1. What `kafka.tag_threads: 0`
 * means. */
unsigned nr_cpus_usable(void);

/* The CPU limit in the text of a cgroup v2 cpu.max ("QUOTA PERIOD"):
 * ceil(QUOTA / PERIOD), or 0 for "max ..." (no limit) or anything else. */
unsigned nr_cpu_quota_parse(const char *cpu_max);

#endif
