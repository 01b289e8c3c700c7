/*
 * calibrate.c - what a back-test says about each rule's threshold.
 *
 * Alerts: firing alerts (episodes) per rule, the keys they came from, and the
 * back-test's length in days (first to last evaluation, stream time).
 *
 * The threshold for a target rate: every evaluation of a key with at least
 * min_count articles has a ratio count / expected. Per key, the largest ratio
 * of each stretch of `cooldown` (at least one window) is a **candidate
 * episode**: with min_ratio at or below it, an episode could have started
 * there. The candidates of a rule go into a histogram of 64 bins per decade of
 * ratio (1 to 10^4); the suggested min_ratio is the lowest bin edge with at
 * most rate x days candidates at or above it. This ignores max_p and
 * escalation (it calibrates min_ratio alone) and counts a burst that
 * straddles two stretches twice, so it is a starting point to confirm by
 * replaying with the new value, not an exact inversion.
 *
 * Memory: per key a small record (up to MAX_KEYS keys; beyond, new keys are
 * not followed and the output says how many), per rule a fixed histogram.
 */
#include "newsradar/calibrate.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BINS_PER_DECADE 64
#define DECADES         4
#define N_BINS          (BINS_PER_DECADE * DECADES + 1) /* last: >= 10^4 */
#define MAX_KEYS        (1u << 20)
#define TAB             (1u << 16)

struct ckey {
    uint32_t rule;
    uint64_t hash;
    char *key;
    int64_t stretch_start;
    double peak; /* 0: no candidate in this stretch yet */
    struct ckey *next;
};

struct crule {
    uint64_t hist[N_BINS];
    uint64_t firing, all_alerts, candidates;
    uint64_t keys_alerted;
};

struct nr_calib {
    const struct nr_config *cfg;
    double rate;
    struct ckey *tab[TAB];
    size_t n_keys;
    uint64_t keys_unfollowed;
    struct crule *rules;
    int64_t t_min, t_max;
    /* alerted keys: a second small set keyed like tab */
    struct ckey *alerted[TAB];
};

static uint64_t khash(uint32_t rule, const char *key)
{
    return nr_hash64(key, strlen(key), (uint64_t)rule * 0x9e3779b97f4a7c15ull + 11);
}

struct nr_calib *nr_calib_new(const struct nr_config *cfg, double rate)
{
    struct nr_calib *c = nr_xcalloc(1, sizeof(*c));
    c->cfg = cfg;
    c->rate = rate;
    c->rules = nr_xcalloc(cfg->n_rules ? cfg->n_rules : 1, sizeof(*c->rules));
    c->t_min = c->t_max = NR_TIME_NONE;
    return c;
}

static void free_chain(struct ckey **tab)
{
    for (size_t i = 0; i < TAB; i++) {
        struct ckey *k = tab[i];
        while (k) {
            struct ckey *n = k->next;
            free(k->key);
            free(k);
            k = n;
        }
    }
}

void nr_calib_free(struct nr_calib *c)
{
    if (!c)
        return;
    free_chain(c->tab);
    free_chain(c->alerted);
    free(c->rules);
    free(c);
}

static struct ckey *find(struct ckey **tab, uint32_t rule, const char *key, uint64_t h)
{
    for (struct ckey *k = tab[h & (TAB - 1)]; k; k = k->next)
        if (k->hash == h && k->rule == rule && strcmp(k->key, key) == 0)
            return k;
    return NULL;
}

static struct ckey *add(struct ckey **tab, uint32_t rule, const char *key, uint64_t h)
{
    struct ckey *k = nr_xcalloc(1, sizeof(*k));
    k->rule = rule;
    k->hash = h;
    k->key = nr_xstrdup(key);
    k->stretch_start = NR_TIME_NONE;
    k->next = tab[h & (TAB - 1)];
    tab[h & (TAB - 1)] = k;
    return k;
}

static int bin_of(double ratio)
{
    if (!(ratio >= 1.0))
        return 0;
    double b = floor(log10(ratio) * BINS_PER_DECADE);
    return b >= N_BINS - 1 ? N_BINS - 1 : (int)b;
}

static double bin_edge(int b)
{
    return pow(10.0, (double)b / BINS_PER_DECADE);
}

static void flush(struct nr_calib *c, struct ckey *k)
{
    if (k->peak > 0) {
        c->rules[k->rule].hist[bin_of(k->peak)]++;
        c->rules[k->rule].candidates++;
    }
    k->peak = 0;
}

void nr_calib_observe(void *ud, const struct nr_detect_obs *o)
{
    struct nr_calib *c = ud;
    if (o->rule >= c->cfg->n_rules)
        return;
    const struct nr_alert_rule *r = &c->cfg->rules[o->rule];
    if (c->t_min == NR_TIME_NONE || o->t_ms < c->t_min)
        c->t_min = o->t_ms;
    if (c->t_max == NR_TIME_NONE || o->t_ms > c->t_max)
        c->t_max = o->t_ms;
    if (o->count < r->min_count || o->count == 0)
        return;
    uint64_t h = khash(o->rule, o->key);
    struct ckey *k = find(c->tab, o->rule, o->key, h);
    if (!k) {
        if (c->n_keys >= MAX_KEYS) {
            c->keys_unfollowed++;
            return;
        }
        k = add(c->tab, o->rule, o->key, h);
        c->n_keys++;
    }
    int64_t stretch = r->cooldown_ms > r->window_ms ? r->cooldown_ms : r->window_ms;
    if (k->stretch_start == NR_TIME_NONE || o->t_ms - k->stretch_start >= stretch) {
        flush(c, k);
        k->stretch_start = o->t_ms;
    }
    double ratio = o->count / (o->expected > 1e-9 ? o->expected : 1e-9);
    if (ratio > k->peak)
        k->peak = ratio;
}

void nr_calib_alert(void *ud, const struct nr_alert *a)
{
    struct nr_calib *c = ud;
    for (size_t i = 0; i < c->cfg->n_rules; i++) {
        if (!a->rule || strcmp(c->cfg->rules[i].id, a->rule) != 0)
            continue;
        struct crule *cr = &c->rules[i];
        cr->all_alerts++;
        if (a->state != NR_ALERT_FIRING)
            return;
        cr->firing++;
        const char *key = a->key ? a->key : "";
        uint64_t h = khash((uint32_t)i, key);
        if (!find(c->alerted, (uint32_t)i, key, h)) {
            add(c->alerted, (uint32_t)i, key, h);
            cr->keys_alerted++;
        }
        return;
    }
}

/* A rule id as a JSON string, escaped by jansson (ids are config text,
 * UTF-8 as the YAML loader checks; anything else would be null). */
static void json_str(FILE *f, const char *s)
{
    json_t *j = json_string(s);
    if (!j || json_dumpf(j, f, JSON_ENCODE_ANY) != 0)
        fputs("null", f);
    json_decref(j);
}

static void finish(struct nr_calib *c)
{
    for (size_t i = 0; i < TAB; i++)
        for (struct ckey *k = c->tab[i]; k; k = k->next)
            flush(c, k);
}

static double days_of(const struct nr_calib *c)
{
    if (c->t_min == NR_TIME_NONE || c->t_max <= c->t_min)
        return 0;
    return (double)(c->t_max - c->t_min) / 86400000.0;
}

/* The suggested min_ratio and the candidates at or above it; false when
 * there is no candidate threshold: no candidate episode at all (no
 * evaluation reached min_count), or more than rate x days of them even at
 * the top ratio (10^4). */
static bool suggest(const struct nr_calib *c, const struct crule *cr, double days, double *s,
                    uint64_t *above)
{
    double allowed = c->rate * days;
    uint64_t n = 0;
    int b = N_BINS;
    while (b > 0 && (double)(n + cr->hist[b - 1]) <= allowed) {
        n += cr->hist[b - 1];
        b--;
    }
    *above = n;
    *s = bin_edge(b);
    return cr->candidates > 0 && b < N_BINS;
}

/* suggest() for the writers: the ratio to `prec` significant digits and
 * the candidates above it, or `none` in both. */
static void suggest_str(const struct nr_calib *c, const struct crule *cr, double days, int prec,
                        const char *none, char sug[32], char would[32])
{
    uint64_t above;
    double s;
    if (suggest(c, cr, days, &s, &above)) {
        snprintf(sug, 32, "%.*g", prec, s);
        snprintf(would, 32, "%" PRIu64, above);
    } else {
        snprintf(sug, 32, "%s", none);
        snprintf(would, 32, "%s", none);
    }
}

static double per_day(const struct crule *cr, double days)
{
    return days > 0 ? (double)cr->firing / days : 0.0;
}

static double per_key(const struct crule *cr)
{
    return cr->keys_alerted ? (double)cr->firing / (double)cr->keys_alerted : 0.0;
}

int nr_calib_write_text(struct nr_calib *c, FILE *f)
{
    finish(c);
    double days = days_of(c);
    fprintf(f,
            "newsradar replay --calibrate: %.2f days of stream time, target %.3g episodes per "
            "day per rule\n",
            days, c->rate);
    fprintf(f, "%-32s %9s %9s %7s %9s %9s %11s %9s\n", "rule", "episodes", "per day", "keys",
            "per key", "min_ratio", "suggested", "would");
    for (size_t i = 0; i < c->cfg->n_rules; i++) {
        const struct crule *cr = &c->rules[i];
        char sug[32], would[32];
        suggest_str(c, cr, days, 3, "-", sug, would);
        fprintf(f, "%-32s %9" PRIu64 " %9.3f %7" PRIu64 " %9.2f %9.3g %11s %9s\n",
                c->cfg->rules[i].id, cr->firing, per_day(cr, days), cr->keys_alerted, per_key(cr),
                c->cfg->rules[i].min_ratio, sug, would);
    }
    if (c->keys_unfollowed)
        fprintf(f, "(%" PRIu64 " evaluations of keys beyond the %u followed were not used)\n",
                c->keys_unfollowed, MAX_KEYS);
    fprintf(f, "suggested: the min_ratio at which about the target rate of candidate episodes "
               "remain (would: how many in this back-test; -: no such threshold, no candidate "
               "or too many even at ratio 10^4); max_p is not calibrated\n");
    return ferror(f) ? -1 : 0;
}

int nr_calib_write_json(struct nr_calib *c, FILE *f)
{
    finish(c);
    double days = days_of(c);
    fprintf(f, "{\"days\":%.6g,\"target_per_day\":%.6g,\"rules\":[", days, c->rate);
    for (size_t i = 0; i < c->cfg->n_rules; i++) {
        const struct crule *cr = &c->rules[i];
        char sug[32], would[32];
        suggest_str(c, cr, days, 6, "null", sug, would);
        fprintf(f, "%s{\"rule\":", i ? "," : "");
        json_str(f, c->cfg->rules[i].id);
        fprintf(f,
                ",\"episodes\":%" PRIu64 ",\"alerts\":%" PRIu64
                ",\"per_day\":%.6g,\"keys\":%" PRIu64 ",\"per_key\":%.6g,\"min_ratio\":%.6g,"
                "\"suggested_min_ratio\":%s,\"candidates_above\":%s,\"candidates\":%" PRIu64 "}",
                cr->firing, cr->all_alerts, per_day(cr, days), cr->keys_alerted, per_key(cr),
                c->cfg->rules[i].min_ratio, sug, would, cr->candidates);
    }
    fprintf(f, "],\"keys_unfollowed\":%" PRIu64 "}\n", c->keys_unfollowed);
    return ferror(f) ? -1 : 0;
}
