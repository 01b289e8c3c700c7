/*
 * bench_util.h - what the benchmark programs share: a deterministic PRNG
 * (xorshift64, so every run builds the same corpus) and the thread's CPU
 * clock (so time the other core spends on other work does not count).
 */
#ifndef NEWSRADAR_BENCH_UTIL_H
#define NEWSRADAR_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

static uint64_t bench_rng = 0x9E3779B97F4A7C15ULL;

static inline uint64_t next(void)
{
    bench_rng ^= bench_rng << 13;
    bench_rng ^= bench_rng >> 7;
    bench_rng ^= bench_rng << 17;
    return bench_rng;
}

static inline double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
