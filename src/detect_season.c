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
 * From the observed baseline, the time the flat mean (nr_window_expected)
 * observes: from max(baseline start, first counted event) to the window
 * start, each bucket weighted by its observed part w(b) (1, except the
 * bucket of a first event counted mid-bucket, which was not watched before
 * it; its empty start is not a zero):
 *
 *     flat      = total count / sum of w(b)                   (per bucket)
 *     rate(ph)  = (sum(ph) + K * flat) / (n(ph) + K),   K = NR_SEASON_PRIOR
 *                 n(ph) = sum of w(b) over the phase's buckets
 *     expected  = sum over the window's buckets b of
 *                 rate(phase(b)) * (part of b inside the window)
 *
 * so a phase seen in n periods is trusted n / (n + 2): after one day two
 * thirds flat, after a week 2/9 flat. No state beyond the baseline ring
 * and its episode bits: the phase sums are recomputed from them at each
 * evaluation. Cost: one pass over the baseline buckets into a phase table
 * (24 phases of 1 h for daily, 168 for weekly; cleared and read twice per
 * evaluation), and for `score: negbin` two more passes for the dispersion
 * (the flat mean's too).
 *
 * With the rule's exclude_alerts, buckets of the key's alert episodes
 * (nr_window_in_episode) are left out of every sum, count and residual
 * above (flat, sum(ph), n(ph), the dispersion), as if never observed, in
 * each phase where the episodes' observed time is less than the rest's
 * (fewer than half of its buckets). A phase in episodes at least half the
 * time is the key's normal, not a story: a daily peak that fired while it
 * was not learned yet would otherwise never be learned and fire every day.
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

/* The observed baseline: buckets [lo, c_end), the first observed from
 * from_ms (its weight w0 = its observed part, in (0, 1]). */
struct span {
    int64_t lo, c_end, from_ms;
    double w0;
};

/* Index of dispersion of the observed baseline buckets around their fit
 * (the flat mean, or the phase rates), each bucket's fit scaled by its
 * weight: residual variance / mean over the observed time in buckets; 1
 * when it cannot be told (under 2 buckets of observed time, no articles)
 * or is below 1 (never under-dispersed). Buckets of an episode are left out
 * in the phases with skip[phase] set (the flat mean: one phase). */
static double dispersion(const struct nr_wkey *k, const struct span *sp, const double *rate,
                         int64_t nph, int64_t ph_lo, const uint8_t *skip)
{
    int64_t ph = ph_lo;
    double total = 0, n = 0;
    for (int64_t b = sp->lo; b < sp->c_end; b++) {
        if (!skip[ph] || !nr_window_in_episode(k, b)) {
            total += ring_at(&k->coarse, b);
            n += b == sp->lo ? sp->w0 : 1.0;
        }
        if (++ph == nph)
            ph = 0;
    }
    if (n < 2)
        return 1.0;
    double m = total / n;
    if (m <= 0)
        return 1.0;
    double ss = 0;
    ph = ph_lo;
    for (int64_t b = sp->lo; b < sp->c_end; b++) {
        if (!skip[ph] || !nr_window_in_episode(k, b)) {
            double fit = (rate ? rate[ph] : m) * (b == sp->lo ? sp->w0 : 1.0);
            double d = ring_at(&k->coarse, b) - fit;
            ss += d * d;
        }
        if (++ph == nph)
            ph = 0;
    }
    double phi = ss / (n - 1) / m;
    return phi > 1.0 ? phi : 1.0;
}

/* The observed baseline, as nr_window_expected observes it: from
 * max(baseline start, first_seen_ms) to the window start; false when
 * nothing of it was observed. */
static bool observed(const struct nr_wkey *k, const struct nr_alert_rule *r,
                     int64_t window_start_ms, int64_t first_seen_ms, struct span *sp)
{
    int64_t cw = k->coarse.width;
    sp->c_end = nr_floordiv(window_start_ms, cw);
    int64_t n_base = r->baseline_ms / cw;
    if (n_base < 1)
        n_base = 1;
    sp->lo = sp->c_end - n_base;
    sp->from_ms = sp->lo * cw;
    if (first_seen_ms != NR_TIME_NONE && first_seen_ms > sp->from_ms) {
        sp->from_ms = first_seen_ms;
        sp->lo = nr_floordiv(first_seen_ms, cw);
    }
    sp->w0 = (double)((sp->lo + 1) * cw - sp->from_ms) / (double)cw;
    return sp->lo < sp->c_end;
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
    int64_t cw = k->coarse.width, excl_ms;
    int64_t period = r->season == NR_SEASON_WEEKLY ? 7 * INT64_C(86400000) : INT64_C(86400000);
    int64_t nph = period / cw;
    struct span sp;
    bool seen = observed(k, r, window_start_ms, first_seen_ms, &sp);
    if (r->season == NR_SEASON_NONE || period % cw != 0 || nph < 1 || nph > MAX_PHASES || !seen) {
        if (phi && seen) {
            uint8_t skip = nr_window_excluding(k, r, sp.lo, sp.c_end, sp.from_ms, &excl_ms);
            *phi = dispersion(k, &sp, NULL, 1, 0, &skip);
        }
        return nr_window_expected(k, r, window_start_ms, first_seen_ms);
    }
    const bool excl = nr_window_has_episode(k, r);

    /* per phase: the sum and observed weight of its clean buckets, and of
     * its episode buckets (all buckets are clean when nothing is excluded) */
    static _Thread_local double sum[MAX_PHASES], cnt[MAX_PHASES], xsum[MAX_PHASES],
        xcnt[MAX_PHASES], rate[MAX_PHASES];
    static _Thread_local uint8_t skip[MAX_PHASES];
    memset(sum, 0, (size_t)nph * sizeof(double));
    memset(cnt, 0, (size_t)nph * sizeof(double));
    int64_t ph = sp.lo % nph;
    if (ph < 0)
        ph += nph;
    const int64_t ph_lo = ph;
    if (excl) {
        memset(xsum, 0, (size_t)nph * sizeof(double));
        memset(xcnt, 0, (size_t)nph * sizeof(double));
        for (int64_t b = sp.lo; b < sp.c_end; b++) {
            uint32_t c = ring_at(&k->coarse, b);
            bool ep = nr_window_in_episode(k, b);
            (ep ? xsum : sum)[ph] += c;
            (ep ? xcnt : cnt)[ph] += b == sp.lo ? sp.w0 : 1.0;
            if (++ph == nph)
                ph = 0;
        }
    } else {
        for (int64_t b = sp.lo; b < sp.c_end; b++) {
            sum[ph] += ring_at(&k->coarse, b);
            cnt[ph] += b == sp.lo ? sp.w0 : 1.0;
            if (++ph == nph)
                ph = 0;
        }
    }
    /* a phase that was in an episode at least half its observed time is
     * the key's normal (a daily peak that fired while it was not learned
     * yet): its episode buckets count, or it would never be learned */
    double total = 0, len = 0;
    for (int64_t p = 0; p < nph; p++) {
        skip[p] = excl && xcnt[p] > 0 && xcnt[p] < cnt[p];
        if (excl && !skip[p]) {
            sum[p] += xsum[p];
            cnt[p] += xcnt[p];
        }
        total += sum[p];
        len += cnt[p];
    }
    /* at least one window observed, as nr_window_expected: a first event
     * late in its bucket (a tiny w0) must not make the mean count/w0 */
    double min_len = (double)r->window_ms / (double)cw;
    double flat = total / (len > min_len ? len : min_len);
    for (int64_t p = 0; p < nph; p++)
        rate[p] = (sum[p] + NR_SEASON_PRIOR * flat) / (cnt[p] + NR_SEASON_PRIOR);
    if (phi)
        *phi = dispersion(k, &sp, rate, nph, ph_lo, skip);

    double expected = 0;
    int64_t we = window_start_ms + r->window_ms;
    for (int64_t b = nr_floordiv(window_start_ms, cw); b * cw < we; b++) {
        int64_t from = b * cw > window_start_ms ? b * cw : window_start_ms;
        int64_t to = (b + 1) * cw < we ? (b + 1) * cw : we;
        int64_t p = b % nph;
        if (p < 0)
            p += nph;
        expected += rate[p] * (double)(to - from) / (double)cw;
    }
    double floor = r->baseline_floor > 1e-3 ? r->baseline_floor : 1e-3;
    return expected > floor ? expected : floor;
}
