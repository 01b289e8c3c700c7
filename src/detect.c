/*
 * detect.c - spike tests, the per-key state machine, and the detector
 * (stage 2: count event -> dedup -> window -> detect -> alert).
 *
 * Poisson tail: P(X >= k; lambda) = P(k, lambda), the regularized lower
 * incomplete gamma function. The series (for lambda < k + 1, where the tail
 * is small and precision matters) and Lentz's continued fraction for the
 * complement are both evaluated with the prefactor exp(k ln lambda - lambda -
 * lgamma(k)) in log space, so nothing overflows for large k.
 *
 * Time: stream time is the largest event time seen; every decision uses it,
 * never the wall clock, so a replay is deterministic. When stream time enters
 * a new bucket, only the firing keys (a list kept by the store) are
 * re-evaluated: O(firing keys), not O(keys). Keys that are not firing only
 * change state on their own events.
 */
#include "newsradar/detect.h"
#include "newsradar/detect_season.h"
#include "newsradar/names.h"

#include "newsradar/window.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double gamma_series(double a, double x)
{
    double ap = a, del = 1.0 / a, sum = del;
    for (int n = 0; n < 10000000; n++) {
        ap += 1.0;
        del *= x / ap;
        sum += del;
        if (fabs(del) < fabs(sum) * 1e-15)
            break;
    }
    return log(sum) - x + a * log(x) - lgamma(a);
}

#define LENTZ_TINY 1e-300

/* One step of the modified Lentz method for a continued fraction b0 +
 * a1/(b1 + a2/(b2 + ...)): the new C and D from term (an, bn); returns the
 * factor C x D the value is multiplied by (Numerical Recipes 5.2). */
static double lentz_step(double *c, double *d, double an, double bn)
{
    *d = an * *d + bn;
    if (fabs(*d) < LENTZ_TINY)
        *d = LENTZ_TINY;
    *c = bn + an / *c;
    if (fabs(*c) < LENTZ_TINY)
        *c = LENTZ_TINY;
    *d = 1.0 / *d;
    return *d * *c;
}

static double gamma_cf(double a, double x)
{
    const double tiny = LENTZ_TINY;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int i = 1; i < 10000000; i++) {
        double an = -i * (i - a);
        b += 2.0;
        double del = lentz_step(&c, &d, an, b);
        h *= del;
        if (fabs(del - 1.0) < 1e-15)
            break;
    }
    return log(h) - x + a * log(x) - lgamma(a); /* log Q(a, x) */
}

double nr_poisson_tail(uint64_t k, double lambda)
{
    if (k == 0)
        return 1.0;
    if (!(lambda > 0))
        return 0.0;
    double a = (double)k;
    if (lambda < a + 1.0)
        return exp(gamma_series(a, lambda));
    double q = exp(gamma_cf(a, lambda));
    double p = 1.0 - q;
    return p < 0 ? 0 : p;
}

/* log of the continued fraction of the regularized incomplete beta I_x(a, b)
 * (modified Lentz), valid for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = LENTZ_TINY;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m < 100000; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        h *= lentz_step(&c, &d, aa, 1);
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        double del = lentz_step(&c, &d, aa, 1);
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return log(h);
}

/* I_x(a, b), the regularized incomplete beta function, in [0, 1]. */
static double ibeta(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double lfront = a * log(x) + b * log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b));
    if (x < (a + 1) / (a + b + 2))
        return exp(lfront - log(a) + beta_cf(a, b, x));
    double v = 1 - exp(lfront - log(b) + beta_cf(b, a, 1 - x));
    return v < 0 ? 0 : v;
}

double nr_negbin_tail(uint64_t k, double mu, double phi)
{
    if (k == 0)
        return 1.0;
    if (!(mu > 0))
        return 0.0;
    if (!(phi > 1.0 + 1e-9))
        return nr_poisson_tail(k, mu);
    /* X ~ NB(size r, success p): mean mu = r (1 - p) / p, variance mu / p =
     * phi mu, so p = 1 / phi and r = mu / (phi - 1); P(X >= k) = I_{1-p}(k, r) */
    double p = 1.0 / phi, r = mu / (phi - 1.0);
    return ibeta((double)k, r, 1.0 - p);
}

enum nr_severity nr_detect_severity(const struct nr_alert_rule *r, double ratio)
{
    enum nr_severity s = NR_SEV_LOW;
    for (int i = NR_SEV_MEDIUM; i <= NR_SEV_CRITICAL; i++)
        if (r->severity_ratio[i] > 0 && ratio >= r->severity_ratio[i])
            s = (enum nr_severity)i;
    return s;
}

bool nr_detect_spike(const struct nr_alert_rule *r, uint32_t count, double expected, double *ratio,
                     double *p)
{
    return nr_detect_spike_phi(r, count, expected, 1.0, ratio, p);
}

bool nr_detect_spike_phi(const struct nr_alert_rule *r, uint32_t count, double expected, double phi,
                         double *ratio, double *p)
{
    if (expected < 1e-9)
        expected = 1e-9;
    *ratio = count / expected;
    *p = r->score == NR_SCORE_NEGBIN ? nr_negbin_tail(count, expected, phi)
                                     : nr_poisson_tail(count, expected);
    if (count < r->min_count || count == 0)
        return false;
    if (r->min_ratio > 0 && *ratio < r->min_ratio)
        return false;
    if (r->max_p > 0 && *p > r->max_p)
        return false;
    return true;
}

void nr_detect_state_write(struct nr_wbuf *w, const struct nr_detect_state *st)
{
    nr_wbuf_u8(w, st->firing);
    nr_wbuf_u8(w, st->severity);
    nr_wbuf_u64(w, (uint64_t)st->episode_start_ms);
    nr_wbuf_u64(w, (uint64_t)st->last_fire_ms);
    nr_wbuf_u64(w, (uint64_t)st->last_eval_bucket);
    nr_wbuf_u64(w, st->alert_id);
}

void nr_detect_state_read(struct nr_rbuf *r, struct nr_detect_state *st)
{
    st->firing = nr_rbuf_u8(r) != 0;
    st->severity = nr_rbuf_u8(r);
    st->episode_start_ms = (int64_t)nr_rbuf_u64(r);
    st->last_fire_ms = (int64_t)nr_rbuf_u64(r);
    st->last_eval_bucket = (int64_t)nr_rbuf_u64(r);
    st->alert_id = nr_rbuf_u64(r);
}

bool nr_detect_state_valid(const struct nr_detect_state *st)
{
    return st->severity <= NR_SEV_CRITICAL && nr_snap_time_ok(st->episode_start_ms) &&
           nr_snap_time_ok(st->last_fire_ms) && nr_snap_time_ok(st->last_eval_bucket);
}

uint64_t nr_detect_alert_id(const char *rule_id, const char *key, int64_t window_start_ms)
{
    char buf[NR_EVENT_KEY_MAX + 512];
    int n =
        snprintf(buf, sizeof(buf), "%s\x1f%s\x1f%lld", rule_id, key, (long long)window_start_ms);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(buf))
        n = (int)sizeof(buf) - 1;
    return nr_hash64(buf, (size_t)n, 0);
}

/* ---- detector --------------------------------------------------------------- */

struct nr_detector {
    const struct nr_config *cfg;
    struct nr_wstore *store;
    struct nr_detect_stats stats;
    int64_t stream_ms, first_seen_ms;
    nr_detect_obs_fn obs_fn;
    void *obs_ud;
};

struct nr_detector *nr_detector_new(const struct nr_config *cfg, struct nr_error *err)
{
    for (size_t i = 0; i < cfg->n_rules; i++) {
        const struct nr_alert_rule *r = &cfg->rules[i];
        uint32_t nf, nc;
        if (r->bucket_ms <= 0 || r->window_ms <= 0 || r->window_ms % r->bucket_ms != 0 ||
            r->baseline_bucket_ms <= 0 || r->baseline_ms < 0) {
            nr_error_set(err, "rule %s: window/bucket/baseline settings are inconsistent", r->id);
            return NULL;
        }
        if (r->by.n > NR_EVENT_MAX_DIMS) {
            nr_error_set(err, "rule %s: at most %d `by` kinds", r->id, NR_EVENT_MAX_DIMS);
            return NULL;
        }
        if (r->window_ms / r->bucket_ms > NR_RULE_MAX_BUCKETS ||
            r->baseline_ms / r->baseline_bucket_ms > NR_RULE_MAX_BUCKETS) {
            nr_error_set(err, "rule %s: more than %d buckets per key", r->id, NR_RULE_MAX_BUCKETS);
            return NULL;
        }
        nr_window_geometry(r, &nf, &nc);
    }
    struct nr_detector *d = nr_xcalloc(1, sizeof(*d));
    d->cfg = cfg;
    d->store = nr_wstore_new(cfg);
    d->stream_ms = NR_TIME_NONE;
    d->first_seen_ms = NR_TIME_NONE;
    return d;
}

void nr_detector_free(struct nr_detector *d)
{
    if (!d)
        return;
    nr_wstore_free(d->store);
    free(d);
}

struct nr_wstore *nr_detector_store(struct nr_detector *d)
{
    return d->store;
}

int64_t nr_detector_stream_ms(const struct nr_detector *d)
{
    return d->stream_ms;
}

void nr_detector_meta(const struct nr_detector *d, int64_t *stream_ms, int64_t *first_seen_ms)
{
    *stream_ms = d->stream_ms;
    *first_seen_ms = d->first_seen_ms;
}

void nr_detector_set_meta(struct nr_detector *d, int64_t stream_ms, int64_t first_seen_ms)
{
    /* values from a changelog: refuse what would overflow time arithmetic */
    const int64_t lim = INT64_C(1) << 61;
    if (stream_ms <= -lim || stream_ms >= lim)
        stream_ms = NR_TIME_NONE;
    if (first_seen_ms <= -lim || first_seen_ms >= lim)
        first_seen_ms = NR_TIME_NONE;
    d->stream_ms = stream_ms;
    d->first_seen_ms = first_seen_ms;
}

void nr_detector_stats(const struct nr_detector *d, struct nr_detect_stats *out)
{
    *out = d->stats;
    out->keys = nr_wstore_count(d->store);
    out->keys_evicted = nr_wstore_evicted(d->store);
    out->keys_firing = nr_wstore_firing(d->store);
}

struct ent_acc {
    uint32_t entity, mentions;
};

static int acc_by_entity(const void *a, const void *b)
{
    const struct ent_acc *x = a, *y = b;
    return x->entity < y->entity ? -1 : x->entity > y->entity;
}

static int acc_by_mentions(const void *a, const void *b)
{
    const struct ent_acc *x = a, *y = b;
    if (x->mentions != y->mentions)
        return x->mentions > y->mentions ? -1 : 1;
    return x->entity < y->entity ? -1 : x->entity > y->entity;
}

struct art_pick {
    const struct nr_hist_entry *e;
    uint32_t order; /* arrival order, for ties */
};

static int pick_newest(const void *a, const void *b)
{
    const struct art_pick *x = a, *y = b;
    if (x->e->event_ms != y->e->event_ms)
        return x->e->event_ms > y->e->event_ms ? -1 : 1;
    return x->order > y->order ? -1 : x->order < y->order;
}

static void emit(struct nr_detector *d, struct nr_wkey *k, enum nr_alert_state st, uint32_t count,
                 double expected, double ratio, double p, int64_t ws, int64_t we, nr_alert_cb fn,
                 void *ud)
{
    const struct nr_config *cfg = d->cfg;
    const struct nr_alert_rule *r = &cfg->rules[k->rule];
    struct nr_alert a;
    struct nr_alert_dim dims[NR_EVENT_MAX_DIMS];
    memset(&a, 0, sizeof(a));
    d->stats.alerts[st]++;
    if (!fn)
        return;
    snprintf(a.alert_id, sizeof(a.alert_id), "%016llx", (unsigned long long)k->det.alert_id);
    a.rule = r->id;
    a.state = st;
    a.severity = (enum nr_severity)k->det.severity;
    a.topic = r->topic;
    a.key = k->key;
    char dyn_id[NR_EVENT_MAX_DIMS][NR_EVENT_KEY_MAX], dyn_name[NR_EVENT_MAX_DIMS][NR_EVENT_KEY_MAX];
    for (uint32_t i = 0; i < k->n_dims; i++) {
        const struct nr_event_dim *kd = &k->dims[i];
        dims[i].kind = r->by.v[kd->by];
        if (kd->entity == NR_NO_ENTITY) { /* a role-derived official: id in the key */
            size_t n = kd->key_len;
            memcpy(dyn_id[i], k->key + kd->key_off, n);
            dyn_id[i][n] = '\0';
            nr_name_display(dyn_id[i], n, dyn_name[i], sizeof(dyn_name[i]));
            dims[i].id = dyn_id[i];
            dims[i].name = dyn_name[i];
            dims[i].code = NULL;
            continue;
        }
        const struct nr_entity *e = &cfg->entities[kd->entity];
        dims[i].id = e->id;
        dims[i].name = e->name;
        dims[i].code = e->code;
    }
    a.dims = dims;
    a.n_dims = k->n_dims;
    a.window_start_ms = ws;
    a.window_end_ms = we;
    a.count = count;
    a.baseline = expected;
    a.ratio = ratio;
    a.p_value = p;
    a.detected_ms = d->stream_ms;

    /* evidence: the key's remembered articles inside the window */
    uint32_t nh = k->hist.n;
    struct art_pick *picks = nr_xcalloc(nh ? nh : 1, sizeof(*picks));
    size_t np = 0, n_acc = 0;
    for (uint32_t i = 0; i < nh; i++) {
        const struct nr_hist_entry *e = nr_history_at(&k->hist, i);
        if (e->event_ms >= ws && e->event_ms < we) {
            picks[np].e = e;
            picks[np].order = i;
            np++;
            n_acc += e->n_co;
        }
    }
    qsort(picks, np, sizeof(*picks), pick_newest);
    size_t na = np < cfg->engine.evidence_articles ? np : cfg->engine.evidence_articles;
    struct nr_alert_article *arts = nr_xcalloc(na ? na : 1, sizeof(*arts));
    for (size_t i = 0; i < na; i++) {
        const struct nr_hist_entry *e = picks[i].e;
        arts[i].id = nr_hist_strn(e, 0);
        arts[i].title = nr_hist_strn(e, 1);
        arts[i].url = nr_hist_strn(e, 2);
        arts[i].source = nr_hist_strn(e, 3);
        arts[i].duplicate_of = nr_hist_strn(e, 4);
        arts[i].published_ms = e->published_ms;
        arts[i].language = e->lang;
    }
    a.articles = arts;
    a.n_articles = na;

    /* co-mentioned entities: summed over the window's articles, minus the
     * key's own dimensions */
    struct ent_acc *acc = nr_xcalloc(n_acc ? n_acc : 1, sizeof(*acc));
    size_t nacc = 0;
    for (size_t i = 0; i < np; i++) {
        const struct nr_hist_entry *e = picks[i].e;
        for (uint32_t j = 0; j < e->n_co; j++) {
            bool own = false;
            for (uint32_t di = 0; di < k->n_dims; di++)
                own |= k->dims[di].entity == e->co[j].entity;
            if (!own) {
                acc[nacc].entity = e->co[j].entity;
                acc[nacc].mentions = e->co[j].mentions;
                nacc++;
            }
        }
    }
    qsort(acc, nacc, sizeof(*acc), acc_by_entity);
    size_t m = 0;
    for (size_t i = 0; i < nacc; i++) {
        if (m > 0 && acc[m - 1].entity == acc[i].entity)
            acc[m - 1].mentions += acc[i].mentions;
        else
            acc[m++] = acc[i];
    }
    qsort(acc, m, sizeof(*acc), acc_by_mentions);
    size_t ne = m < cfg->engine.evidence_entities ? m : cfg->engine.evidence_entities;
    struct nr_alert_entity *ents = nr_xcalloc(ne ? ne : 1, sizeof(*ents));
    for (size_t i = 0; i < ne; i++) {
        const struct nr_entity *e = &cfg->entities[acc[i].entity];
        ents[i].id = e->id;
        ents[i].kind = e->kind;
        ents[i].name = e->name;
        ents[i].mentions = acc[i].mentions;
    }
    a.entities = ents;
    a.n_entities = ne;
    fn(ud, &a);
    free(ents);
    free(acc);
    free(arts);
    free(picks);
}

void nr_detector_set_observer(struct nr_detector *d, nr_detect_obs_fn fn, void *ud)
{
    d->obs_fn = fn;
    d->obs_ud = ud;
}

uint32_t nr_detect_threshold(const struct nr_alert_rule *r, double expected)
{
    return nr_detect_threshold_phi(r, expected, 1.0);
}

static double tail_of(const struct nr_alert_rule *r, uint64_t k, double expected, double phi)
{
    return r->score == NR_SCORE_NEGBIN ? nr_negbin_tail(k, expected, phi)
                                       : nr_poisson_tail(k, expected);
}

uint32_t nr_detect_threshold_phi(const struct nr_alert_rule *r, double expected, double phi)
{
    if (expected < 1e-9)
        expected = 1e-9;
    double lo = r->min_count > 1 ? r->min_count : 1;
    if (r->min_ratio > 0 && ceil(r->min_ratio * expected) > lo)
        lo = ceil(r->min_ratio * expected);
    if (lo > 2147483648.0)
        return UINT32_MAX;
    uint64_t k = (uint64_t)lo;
    if (r->max_p <= 0 || tail_of(r, k, expected, phi) <= r->max_p)
        return (uint32_t)k;
    /* the tail falls with k: bisect between k (fails) and a count that passes */
    uint64_t step = 1 + (uint64_t)sqrt(expected * (phi > 1 ? phi : 1)), hi = k + step;
    while (tail_of(r, hi, expected, phi) > r->max_p) {
        k = hi;
        step *= 2;
        hi = k + step;
        if (hi > (UINT64_C(1) << 31))
            return UINT32_MAX;
    }
    while (hi - k > 1) { /* tail(k) > max_p >= tail(hi) */
        uint64_t mid = k + (hi - k) / 2;
        if (tail_of(r, mid, expected, phi) > r->max_p)
            k = mid;
        else
            hi = mid;
    }
    return (uint32_t)hi;
}

static void observe(struct nr_detector *d, struct nr_wkey *k, uint32_t count, int64_t ws)
{
    const struct nr_alert_rule *r = &d->cfg->rules[k->rule];
    struct nr_detect_obs o;
    o.rule = k->rule;
    o.key = k->key;
    o.t_ms = d->stream_ms;
    o.window_start_ms = ws;
    o.count = count;
    double phi = 1.0;
    o.expected =
        nr_baseline_expected(k, r, ws, d->first_seen_ms, r->score == NR_SCORE_NEGBIN ? &phi : NULL);
    o.threshold = nr_detect_threshold_phi(r, o.expected, phi);
    d->obs_fn(d->obs_ud, &o);
}

static void evaluate(struct nr_detector *d, struct nr_wkey *k, nr_alert_cb fn, void *ud)
{
    const struct nr_alert_rule *r = &d->cfg->rules[k->rule];
    int64_t ws, we;
    double ratio, p;
    uint32_t count = nr_window_count(k, d->stream_ms, &ws, &we);
    k->det.last_eval_bucket = nr_floordiv(d->stream_ms, r->bucket_ms);
    if (d->obs_fn)
        observe(d, k, count, ws);
    /* the common case: a quiet key under min_count cannot fire, so skip the
     * baseline sum (O(baseline buckets)) */
    if (!k->det.firing && count < r->min_count)
        return;
    double phi = 1.0;
    double expected =
        nr_baseline_expected(k, r, ws, d->first_seen_ms, r->score == NR_SCORE_NEGBIN ? &phi : NULL);
    bool spike = nr_detect_spike_phi(r, count, expected, phi, &ratio, &p);
    enum nr_severity sev = nr_detect_severity(r, ratio);
    if (!k->det.firing) {
        if (!spike)
            return;
        if (k->det.last_fire_ms != NR_TIME_NONE &&
            d->stream_ms - k->det.last_fire_ms < r->cooldown_ms)
            return;
        k->det.firing = true;
        k->det.severity = (uint8_t)sev;
        k->det.episode_start_ms = ws;
        k->det.last_fire_ms = d->stream_ms;
        k->det.alert_id = nr_detect_alert_id(r->id, k->key, ws);
        nr_wstore_fire_add(d->store, k);
        emit(d, k, NR_ALERT_FIRING, count, expected, ratio, p, ws, we, fn, ud);
    } else if (spike) {
        if ((uint8_t)sev > k->det.severity) {
            k->det.severity = (uint8_t)sev;
            emit(d, k, NR_ALERT_ESCALATED, count, expected, ratio, p, ws, we, fn, ud);
        }
    } else {
        /* the episode's buckets stay out of the key's baseline (window.c) */
        nr_window_mark_episode(k, k->det.episode_start_ms, d->stream_ms);
        k->det.firing = false;
        nr_wstore_fire_del(d->store, k);
        emit(d, k, NR_ALERT_RESOLVED, count, expected, ratio, p, ws, we, fn, ud);
    }
}

/* When firing key k is next due for evaluation: the first bucket boundary
 * after its last evaluation, if that is at or before t; INT64_MAX if its
 * bucket at t was already evaluated. A key without an evaluation on this
 * bucket grid (restored from another config) is due at t. */
static int64_t due_ms(const struct nr_detector *d, const struct nr_wkey *k, int64_t t)
{
    const struct nr_alert_rule *r = &d->cfg->rules[k->rule];
    int64_t cur = nr_floordiv(t, r->bucket_ms), last = k->det.last_eval_bucket;
    if (last == cur)
        return INT64_MAX;
    if (last == NR_TIME_NONE || last > cur)
        return t;
    return (last + 1) * r->bucket_ms;
}

/* Stream time moves to stream_ms. Every firing key is evaluated at every
 * bucket boundary it crosses, in time order, so that what the detector
 * decides does not depend on how often it is advanced: replay advances on
 * every article, the service on every watermark, and both give the same
 * alerts. The steps are bounded: with no event counted meanwhile a firing
 * key's window empties after window/bucket boundaries, and it resolves. */
void nr_detector_advance(struct nr_detector *d, int64_t stream_ms, nr_alert_cb fn, void *ud)
{
    if (d->stream_ms != NR_TIME_NONE && stream_ms <= d->stream_ms)
        return;
    for (;;) {
        int64_t m = INT64_MAX;
        for (struct nr_wkey *k = nr_wstore_fire_first(d->store); k; k = k->fire_next) {
            int64_t t = due_ms(d, k, stream_ms);
            if (t < m)
                m = t;
        }
        if (m == INT64_MAX)
            break;
        if (d->stream_ms == NR_TIME_NONE || m > d->stream_ms)
            d->stream_ms = m;
        struct nr_wkey *k = nr_wstore_fire_first(d->store);
        while (k) {
            struct nr_wkey *next = k->fire_next; /* k may leave the list */
            if (due_ms(d, k, stream_ms) == m)
                evaluate(d, k, fn, ud);
            k = next;
        }
    }
    d->stream_ms = stream_ms;
    nr_wstore_evict_idle(d->store, stream_ms, 4);
}

void nr_detector_count(struct nr_detector *d, const struct nr_count_event *ev, nr_alert_cb fn,
                       void *ud)
{
    const struct nr_config *cfg = d->cfg;
    if (ev->rule >= cfg->n_rules || ev->n_dims != cfg->rules[ev->rule].by.n ||
        memchr(ev->key, 0, sizeof(ev->key)) == NULL)
        return; /* not from this config; nr_event_decode rejects these earlier */
    for (uint32_t i = 0; i < ev->n_dims; i++) {
        const struct nr_event_dim *dm = &ev->dims[i];
        bool dyn_ok = dm->entity == NR_NO_ENTITY && dm->key_len > 0 &&
                      (size_t)dm->key_off + dm->key_len < NR_EVENT_KEY_MAX;
        if ((dm->entity >= cfg->n_entities && !dyn_ok) || dm->by >= ev->n_dims)
            return;
    }
    d->stats.events++;
    nr_detector_advance(d, ev->event_ms, fn, ud);
    if (ev->event_ms < d->stream_ms - cfg->engine.grace_ms)
        d->stats.late++;
    struct nr_wkey *k = nr_wstore_get(d->store, ev, NULL);
    int64_t ws;
    nr_window_count(k, d->stream_ms, &ws, NULL);
    struct nr_str orig = {NULL, 0};
    enum nr_dup dup = nr_history_check(&k->hist, ev, cfg->engine.near_duplicate_bits, ws, &orig);
    if (dup == NR_DUP_EXACT) {
        d->stats.duplicates++;
        return;
    }
    if (dup == NR_DUP_NEAR) {
        d->stats.duplicates++;
        d->stats.near_duplicates++;
        nr_history_add_dup(&k->hist, cfg->engine.history, ev, orig);
        return;
    }
    if (!nr_window_add(k, ev->event_ms, d->stream_ms)) {
        d->stats.late_dropped++;
        return;
    }
    /* counted events only: a dropped straggler must not stretch the time
     * the baseline is divided by */
    if (d->first_seen_ms == NR_TIME_NONE || ev->event_ms < d->first_seen_ms)
        d->first_seen_ms = ev->event_ms;
    nr_history_add(&k->hist, cfg->engine.history, ev, NULL);
    evaluate(d, k, fn, ud);
}
