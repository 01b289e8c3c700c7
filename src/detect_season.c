/*
 * detect_season.c - seasonal baselines (rule option `seasonality`).
 *
 * The news has a daily cycle (bulletins in the morning, quiet nights) and a
 * weekly one (thin weekends). A flat baseline spreads the day's articles
 * evenly, so every busy morning looks like a spike and a real spike at night
 * is judged against the day's average. With `seasonality: daily` the period
 * is 1 d, with `weekly` 7 d; the phase of a baseline bucket b is b mod
 * (period / baseline_bucket) (bucket 0 starts at the epoch, a Thursday
 * 00:00 UTC, so phases are UTC hours of the day / of the week).
 *
 * From the observed baseline buckets (those before the window and not
 * before the first counted event; the same buckets the flat mean uses):
 *
 *     flat      = total count / observed buckets              (per bucket)
 *     rate(ph)  = (sum(ph) + K * flat) / (n(ph) + K),   K = NR_SEASON_PRIOR
 *     expected  = sum over the window's buckets b of
 *                 rate(phase(b)) * (part of b inside the window)
 *
 * so a phase seen on n days is trusted n / (n + 2): after one day a third
 * flat, after a week 2/9. No state beyond the baseline ring: the phase sums
 * are recomputed from it, so snapshots need nothing new and the cost is the
 * flat mean's (one pass over the baseline buckets) plus a phase table.
 */
#include "newsradar/detect_season.h"

#include <string.h>

#define MAX_PHASES 10080 /* a week of 1 min buckets */

static uint32_t ring_at(const struct nr_ring *r, int64_t b)
{
    if (r->head == NR_TIME_NONE || b > r->head || b <= r->head - (int64_t)r->n)
        return 0;
    int64_t m = b % (int64_t)r->n;
    return r->count[m < 0 ? m + (int64_t)r->n : m];
}

/* Index of dispersion of the observed baseline buckets [lo, c_end) around
 * their fit (the flat mean, or the phase rates): residual variance / mean;
 * 1 when it cannot be told (fewer than 2 buckets, no articles) or is below
 * 1 (never under-dispersed). */
static double dispersion(const struct nr_wkey *k, int64_t lo, int64_t c_end, const double *rate,
                         int64_t nph, int64_t ph_lo)
{
    int64_t n = c_end - lo;
    if (n < 2)
        return 1.0;
    double total = 0;
    for (int64_t b = lo; b < c_end; b++)
        total += ring_at(&k->coarse, b);
    double m = total / (double)n;
    if (m <= 0)
        return 1.0;
    double ss = 0;
    int64_t ph = ph_lo;
    for (int64_t b = lo; b < c_end; b++) {
        double fit = rate ? rate[ph] : m;
        double d = ring_at(&k->coarse, b) - fit;
        ss += d * d;
        if (rate && ++ph == nph)
            ph = 0;
    }
    double phi = ss / (double)(n - 1) / m;
    return phi > 1.0 ? phi : 1.0;
}

/* The observed baseline buckets: [*lo, c_end); false when there are none. */
static bool observed(const struct nr_wkey *k, const struct nr_alert_rule *r,
                     int64_t window_start_ms, int64_t first_seen_ms, int64_t *lo, int64_t *c_end)
{
    int64_t cw = k->coarse.width;
    *c_end = nr_floordiv(window_start_ms, cw);
    int64_t n_base = r->baseline_ms / cw;
    if (n_base < 1)
        n_base = 1;
    *lo = *c_end - n_base;
    if (first_seen_ms != NR_TIME_NONE && nr_floordiv(first_seen_ms, cw) > *lo)
        *lo = nr_floordiv(first_seen_ms, cw);
    return *lo < *c_end;
}

double nr_season_expected(const struct nr_wkey *k, const struct nr_alert_rule *r,
                          int64_t window_start_ms, int64_t first_seen_ms)
{
    return nr_baseline_expected(k, r, window_start_ms, first_seen_ms, NULL);
}

double nr_baseline_expected(const struct nr_wkey *k, const struct nr_alert_rule *r,
                            int64_t window_start_ms, int64_t first_seen_ms, double *phi)
{
    if (phi)
        *phi = 1.0;
    if (r->season == NR_SEASON_NONE) {
        int64_t lo, c_end;
        if (phi && observed(k, r, window_start_ms, first_seen_ms, &lo, &c_end))
            *phi = dispersion(k, lo, c_end, NULL, 0, 0);
        return nr_window_expected(k, r, window_start_ms, first_seen_ms);
    }
    int64_t cw = k->coarse.width;
    int64_t period = r->season == NR_SEASON_WEEKLY ? 7 * INT64_C(86400000) : INT64_C(86400000);
    int64_t nph = period / cw;
    if (period % cw != 0 || nph < 1 || nph > MAX_PHASES)
        return nr_window_expected(k, r, window_start_ms, first_seen_ms);
    int64_t c_end = nr_floordiv(window_start_ms, cw); /* exclusive */
    int64_t n_base = r->baseline_ms / cw;
    if (n_base < 1)
        n_base = 1;
    int64_t lo = c_end - n_base;
    if (first_seen_ms != NR_TIME_NONE && nr_floordiv(first_seen_ms, cw) > lo)
        lo = nr_floordiv(first_seen_ms, cw);
    if (lo >= c_end)
        return nr_window_expected(k, r, window_start_ms, first_seen_ms);

    /* phase sums; a phase's observed buckets are counted, not stored: the
     * buckets [lo, c_end) give each phase floor or ceil of (len / nph) */
    static _Thread_local double sum[MAX_PHASES];
    memset(sum, 0, (size_t)nph * sizeof(double));
    double total = 0;
    int64_t ph = lo % nph;
    if (ph < 0)
        ph += nph;
    const int64_t ph_lo = ph;
    for (int64_t b = lo; b < c_end; b++) {
        uint32_t c = ring_at(&k->coarse, b);
        sum[ph] += c;
        total += c;
        if (++ph == nph)
            ph = 0;
    }
    int64_t len = c_end - lo;
    double flat = total / (double)len;
    if (phi) { /* the phase rates of every phase, for the residuals */
        static _Thread_local double rate[MAX_PHASES];
        for (int64_t p = 0; p < nph; p++) {
            int64_t first = (p - ph_lo + nph) % nph;
            double n = first < len ? (double)((len - 1 - first) / nph + 1) : 0;
            rate[p] = (sum[p] + NR_SEASON_PRIOR * flat) / (n + NR_SEASON_PRIOR);
        }
        *phi = dispersion(k, lo, c_end, rate, nph, ph_lo);
    }

    double expected = 0;
    int64_t we = window_start_ms + r->window_ms;
    for (int64_t b = nr_floordiv(window_start_ms, cw); b * cw < we; b++) {
        int64_t from = b * cw > window_start_ms ? b * cw : window_start_ms;
        int64_t to = (b + 1) * cw < we ? (b + 1) * cw : we;
        int64_t p = b % nph;
        if (p < 0)
            p += nph;
        /* buckets of phase p in [lo, c_end): those at offsets p - ph_lo,
         * + nph, ... */
        int64_t first = (p - ph_lo + nph) % nph;
        double n = first < len ? (double)((len - 1 - first) / nph + 1) : 0;
        double rate = (sum[p] + NR_SEASON_PRIOR * flat) / (n + NR_SEASON_PRIOR);
        expected += rate * (double)(to - from) / (double)cw;
    }
    double floor = r->baseline_floor > 1e-3 ? r->baseline_floor : 1e-3;
    return expected > floor ? expected : floor;
}
