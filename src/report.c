/*
 * report.c - the back-test report: collect during a replay (report.h); the
 * page is written at the end by report_html.c.
 *
 * What is kept, and the bounds (each one is named at the foot of the page
 * when it was reached, with what was left out):
 *   - a timeline per (rule, key): one point per evaluation (window count,
 *     expected count, firing threshold). At most POINTS_MAX points per key:
 *     when full, neighbours are merged pairwise (the larger count wins, so a
 *     spike is never smoothed away) and later points closer than the new
 *     spacing merge into the last one. Keys that have not alerted are
 *     followed up to SERIES_FOLLOWED at a time (the least recently updated
 *     one makes room), so a key that alerts late has its recent history; a
 *     key first seen after it was evicted has its timeline from then on.
 *     Timelines are kept for at most SERIES_POINTS_ALERTED alerted keys and
 *     drawn for at most TIMELINES_MAX (the keys with most episodes first).
 *   - every alert (id, state, severity, window, count, expected, score) up
 *     to ALERTS_MAX; beyond, alerts are counted in the summary only.
 *   - per episode the union of its alerts' evidence articles (by id) up to
 *     EVIDENCE_PER_EPISODE, strings cut to a few hundred bytes, and at most
 *     EVIDENCE_BYTES_MAX bytes in all.
 *   - matched terms: a direct-mapped cache of TERMS_SLOTS recent articles
 *     (id hash -> the topic phrases and entity mentions that matched),
 *     looked up when an alert names the article; a collision or an article
 *     older than the cache shows no terms.
 *
 * Strings are kept as they came (cut to the bounds); report_html.c escapes
 * them when it writes the page.
 */
#include "report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t series_hash(uint32_t rule, const char *key)
{
    return nr_hash64(key, strlen(key), (uint64_t)rule * 0x9e3779b97f4a7c15ull + 7);
}

struct nr_report *nr_report_new(const struct nr_config *cfg)
{
    struct nr_report *r = nr_xcalloc(1, sizeof(*r));
    r->cfg = cfg;
    r->t_min = r->t_max = NR_TIME_NONE;
    r->rc = nr_xcalloc(cfg->n_rules ? cfg->n_rules : 1, sizeof(*r->rc));
    r->ep_mask = 262143; /* >= 2 x ALERTS_MAX */
    r->ep_tab = nr_xcalloc(r->ep_mask + 1, sizeof(*r->ep_tab));
    return r;
}

static void series_free(struct series *s)
{
    free(s->pts);
    free(s->key);
    free(s->label);
    free(s);
}

void nr_report_free(struct nr_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < SERIES_TAB; i++) {
        struct series *s = r->tab[i];
        while (s) {
            struct series *next = s->hnext;
            series_free(s);
            s = next;
        }
    }
    for (size_t i = 0; i < r->n_eps; i++) {
        for (uint32_t j = 0; j < r->eps[i].n_arts; j++) {
            struct ev_art *a = &r->eps[i].arts[j];
            free(a->id);
            free(a->title);
            free(a->url);
            free(a->source);
            free(a->terms);
        }
        free(r->eps[i].arts);
    }
    free(r->all);
    free(r->eps);
    free(r->ep_tab);
    free(r->alerts);
    free(r->terms);
    free(r->rc);
    free(r);
}

/* ---- keys and their timelines ---------------------------------------------- */

static void lru_unlink(struct nr_report *r, struct series *s)
{
    if (s->lru_prev)
        s->lru_prev->lru_next = s->lru_next;
    else if (r->lru_head == s)
        r->lru_head = s->lru_next;
    if (s->lru_next)
        s->lru_next->lru_prev = s->lru_prev;
    else if (r->lru_tail == s)
        r->lru_tail = s->lru_prev;
    s->lru_prev = s->lru_next = NULL;
}

static void lru_front(struct nr_report *r, struct series *s)
{
    s->lru_next = r->lru_head;
    s->lru_prev = NULL;
    if (r->lru_head)
        r->lru_head->lru_prev = s;
    r->lru_head = s;
    if (!r->lru_tail)
        r->lru_tail = s;
}

static void series_remove(struct nr_report *r, struct series *s)
{
    struct series **pp = &r->tab[s->hash & (SERIES_TAB - 1)];
    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = s->hnext;
    lru_unlink(r, s);
    r->n_followed--;
    series_free(s);
}

static struct series *series_find(struct nr_report *r, uint32_t rule, const char *key, uint64_t h)
{
    for (struct series *s = r->tab[h & (SERIES_TAB - 1)]; s; s = s->hnext)
        if (s->hash == h && s->rule == rule && strcmp(s->key, key) == 0)
            return s;
    return NULL;
}

static struct series *series_new(struct nr_report *r, uint32_t rule, const char *key, uint64_t h)
{
    struct series *s = nr_xcalloc(1, sizeof(*s));
    s->rule = rule;
    s->hash = h;
    s->key = nr_xstrdup(key);
    s->hnext = r->tab[h & (SERIES_TAB - 1)];
    r->tab[h & (SERIES_TAB - 1)] = s;
    return s;
}

static int64_t bin(int64_t t, int64_t w)
{
    return t / w - (t % w < 0);
}

static void point_add(struct series *s, const struct pt *p)
{
    if (s->no_points)
        return;
    /* after a compaction, points of one bin of min_dt (a fixed grid, so a
     * run of merges cannot slide along) become one */
    if (s->n > 0 && s->min_dt > 0 && bin(p->t, s->min_dt) == bin(s->pts[s->n - 1].t, s->min_dt)) {
        struct pt *last = &s->pts[s->n - 1];
        if (p->count >= last->count)
            *last = *p;
        return;
    }
    if (s->n == POINTS_MAX) {
        uint32_t m = 0;
        for (uint32_t i = 0; i + 1 < s->n; i += 2)
            s->pts[m++] = s->pts[i + 1].count >= s->pts[i].count ? s->pts[i + 1] : s->pts[i];
        if (s->n % 2)
            s->pts[m++] = s->pts[s->n - 1];
        s->n = m;
        int64_t span = s->pts[s->n - 1].t - s->pts[0].t;
        s->min_dt = span / (POINTS_MAX / 2) + 1;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap;
        nr_grow((void **)&s->pts, &cap, (size_t)s->n + 1, sizeof(*s->pts));
        s->cap = cap > POINTS_MAX ? POINTS_MAX : (uint32_t)cap;
    }
    s->pts[s->n++] = *p;
}

void nr_report_observe(void *ud, const struct nr_detect_obs *o)
{
    struct nr_report *r = ud;
    if (o->rule >= r->cfg->n_rules)
        return;
    if (r->t_min == NR_TIME_NONE || o->t_ms < r->t_min)
        r->t_min = o->t_ms;
    if (r->t_max == NR_TIME_NONE || o->t_ms > r->t_max)
        r->t_max = o->t_ms;
    uint64_t h = series_hash(o->rule, o->key);
    struct series *s = series_find(r, o->rule, o->key, h);
    if (!s) {
        if (r->n_followed >= SERIES_FOLLOWED && r->lru_tail) {
            series_remove(r, r->lru_tail);
            r->series_evicted++;
        }
        s = series_new(r, o->rule, o->key, h);
        s->late_start = r->series_evicted > 0;
        r->n_followed++;
        lru_front(r, s);
    } else if (!s->alerted) {
        lru_unlink(r, s);
        lru_front(r, s);
    }
    struct pt p = {o->t_ms, (float)o->count, (float)o->expected,
                   o->threshold == UINT32_MAX ? INFINITY : (float)o->threshold};
    point_add(s, &p);
}

/* ---- matched terms ----------------------------------------------------------- */

static uint64_t id_hash(const char *p, size_t n)
{
    if (n > 2048) /* evidence ids are cut to 2048 bytes */
        n = 2048;
    return nr_hash64(p, n, 0x7465726d);
}

/* Append s (n bytes) to buf as a new comma-separated term unless present. */
static void terms_add(char *buf, size_t *len, const char *s, size_t n)
{
    if (n == 0)
        return;
    for (const char *q = buf; *len > 0;) {
        const char *end = strstr(q, ", ");
        size_t l = end ? (size_t)(end - q) : strlen(q);
        if (l == n && memcmp(q, s, n) == 0)
            return;
        if (!end)
            break;
        q = end + 2;
    }
    size_t need = (*len ? 2 : 0) + n;
    if (*len + need >= TERMS_LEN) {
        size_t room = TERMS_LEN - 1 - *len;
        if (room < (*len ? 6u : 4u))
            return;
        n = room - (*len ? 2 : 0);
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--; /* cut on a character boundary */
        if (n == 0)
            return;
    }
    if (*len) {
        memcpy(buf + *len, ", ", 2);
        *len += 2;
    }
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

void nr_report_tagged(void *ud, const struct nr_article *a, const struct nr_tags *t,
                      int64_t event_ms)
{
    struct nr_report *r = ud;
    (void)event_ms;
    struct nr_str id = a->field[NR_FIELD_ID];
    if (!id.p || (!t->n_topics && !t->n_entities))
        return;
    if (!r->terms)
        r->terms = nr_xcalloc(TERMS_SLOTS, sizeof(*r->terms));
    uint64_t h = id_hash(id.p, id.len);
    struct terms_slot *sl = &r->terms[h & (TERMS_SLOTS - 1)];
    sl->hash = h;
    sl->text[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < t->n_topics; i++) {
        const struct nr_topic_tag *tt = &t->topics[i];
        for (uint32_t k = 0; k < tt->n_evidence; k++) {
            const char *e = t->evidence[tt->first_evidence + k];
            if (e)
                terms_add(sl->text, &len, e, strlen(e));
        }
    }
    for (size_t i = 0; i < t->n_entities; i++) {
        const struct nr_entity_tag *et = &t->entities[i];
        for (uint32_t k = 0; k < et->n_spans && k < 4; k++) {
            const struct nr_span *sp = &t->spans[et->first_span + k];
            struct nr_str f = a->field[sp->field < NR_FIELD_COUNT ? sp->field : 0];
            if (f.p && sp->end <= f.len && sp->start < sp->end)
                terms_add(sl->text, &len, f.p + sp->start, sp->end - sp->start);
        }
    }
}

static const char *terms_of(const struct nr_report *r, struct nr_str id)
{
    if (!r->terms || !id.p)
        return NULL;
    uint64_t h = id_hash(id.p, id.len);
    const struct terms_slot *sl = &r->terms[h & (TERMS_SLOTS - 1)];
    return sl->hash == h && sl->text[0] ? sl->text : NULL;
}

/* ---- alerts ------------------------------------------------------------------ */

static char *cut_dup(struct nr_report *r, struct nr_str s, size_t max)
{
    if (!s.p)
        return NULL;
    size_t n = s.len < max ? s.len : max;
    while (n < s.len && n > 0 && ((unsigned char)s.p[n] & 0xc0) == 0x80)
        n--;
    char *c = nr_xmalloc(n + 1);
    memcpy(c, s.p, n);
    c[n] = '\0';
    r->ev_bytes += n + 1;
    return c;
}

static struct episode *episode_get(struct nr_report *r, uint64_t id, bool create, uint32_t *idx)
{
    size_t h = (size_t)(id * 0x9e3779b97f4a7c15ull) & r->ep_mask;
    for (; r->ep_tab[h]; h = (h + 1) & r->ep_mask)
        if (r->eps[r->ep_tab[h] - 1].id == id) {
            *idx = r->ep_tab[h] - 1;
            return &r->eps[*idx];
        }
    if (!create || r->n_eps >= ALERTS_MAX)
        return NULL;
    nr_grow((void **)&r->eps, &r->cap_eps, r->n_eps + 1, sizeof(*r->eps));
    struct episode *e = &r->eps[r->n_eps];
    memset(e, 0, sizeof(*e));
    e->id = id;
    e->start_ms = e->esc_ms = e->end_ms = NR_TIME_NONE;
    r->ep_tab[h] = (uint32_t)++r->n_eps;
    *idx = (uint32_t)r->n_eps - 1;
    return e;
}

static char *dims_label(const struct nr_alert *a)
{
    char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    if (a->n_dims == 0)
        snprintf(buf, sizeof(buf), "all articles (one global key)");
    for (size_t i = 0; i < a->n_dims && n < sizeof(buf) - 1; i++) {
        const struct nr_alert_dim *d = &a->dims[i];
        int w = snprintf(buf + n, sizeof(buf) - n, "%s%s: %s%s%s%s", i ? " \xc2\xb7 " : "",
                         d->kind ? d->kind : "?", d->name ? d->name : (d->id ? d->id : "?"),
                         d->code ? " (" : "", d->code ? d->code : "", d->code ? ")" : "");
        if (w < 0)
            break;
        n += (size_t)w;
    }
    return nr_xstrdup(buf);
}

static void evidence_merge(struct nr_report *r, struct episode *e, const struct nr_alert *a)
{
    for (size_t i = 0; i < a->n_articles; i++) {
        const struct nr_alert_article *art = &a->articles[i];
        bool have = false;
        for (uint32_t j = 0; j < e->n_arts && !have; j++)
            have = art->id.p && e->arts[j].id && strlen(e->arts[j].id) == art->id.len &&
                   memcmp(e->arts[j].id, art->id.p, art->id.len) == 0;
        if (have)
            continue;
        if (e->n_arts >= EVIDENCE_PER_EPISODE || r->ev_bytes >= EVIDENCE_BYTES_MAX) {
            r->ev_dropped++;
            continue;
        }
        if (e->n_arts % 4 == 0)
            e->arts = realloc(e->arts, (e->n_arts + 4) * sizeof(*e->arts));
        if (!e->arts)
            abort(); /* as nr_xmalloc */
        struct ev_art *d = &e->arts[e->n_arts++];
        memset(d, 0, sizeof(*d));
        d->id = cut_dup(r, art->id, STR_ID_MAX);
        d->title = cut_dup(r, art->title, STR_TITLE_MAX);
        d->url = cut_dup(r, art->url, STR_URL_MAX);
        d->source = cut_dup(r, art->source, STR_SOURCE_MAX);
        const char *t = terms_of(r, art->id);
        if (t)
            d->terms = cut_dup(r, (struct nr_str){t, strlen(t)}, TERMS_LEN);
        d->published_ms = art->published_ms;
        d->dup = art->duplicate_of.p != NULL;
    }
}

void nr_report_alert(void *ud, const struct nr_alert *a)
{
    struct nr_report *r = ud;
    int rule = -1;
    for (size_t i = 0; i < r->cfg->n_rules && rule < 0; i++)
        if (a->rule && strcmp(r->cfg->rules[i].id, a->rule) == 0)
            rule = (int)i;
    if (rule < 0)
        return;
    struct rule_count *rc = &r->rc[rule];
    rc->state[a->state <= NR_ALERT_RESOLVED ? a->state : 0]++;
    rc->severity[(unsigned)a->severity < 4 ? a->severity : 0]++;
    if (r->t_max == NR_TIME_NONE || a->detected_ms > r->t_max)
        r->t_max = a->detected_ms;

    const char *key = a->key ? a->key : "";
    uint64_t h = series_hash((uint32_t)rule, key);
    struct series *s = series_find(r, (uint32_t)rule, key, h);
    if (!s) {
        s = series_new(r, (uint32_t)rule, key, h);
        s->late_start = r->series_evicted > 0;
        r->n_followed++;
    }
    if (!s->alerted) {
        lru_unlink(r, s);
        r->n_followed--;
        s->alerted = true;
        s->label = dims_label(a);
        rc->keys++;
        if (r->n_with_points >= SERIES_POINTS_ALERTED) {
            s->no_points = true;
            free(s->pts);
            s->pts = NULL;
            s->n = s->cap = 0;
        } else {
            r->n_with_points++;
        }
        nr_grow((void **)&r->all, &r->cap_all, r->n_alerted + 1, sizeof(*r->all));
        r->all[r->n_alerted++] = s;
    }

    uint64_t id = strtoull(a->alert_id, NULL, 16);
    uint32_t ei;
    struct episode *e = episode_get(r, id, true, &ei);
    if (!e) {
        if (a->state == NR_ALERT_FIRING)
            r->episodes_unlisted++;
        r->alerts_unlisted++;
        return;
    }
    if (!e->s) {
        e->s = s;
        s->n_episodes++;
    }
    if (a->state == NR_ALERT_FIRING || e->start_ms == NR_TIME_NONE)
        e->start_ms = a->detected_ms;
    if (a->state == NR_ALERT_ESCALATED && e->esc_ms == NR_TIME_NONE)
        e->esc_ms = a->detected_ms;
    if (a->state == NR_ALERT_RESOLVED)
        e->end_ms = a->detected_ms;
    if ((uint8_t)a->severity > e->severity)
        e->severity = (uint8_t)a->severity;
    evidence_merge(r, e, a);

    if (r->n_alerts >= ALERTS_MAX) {
        r->alerts_unlisted++;
        return;
    }
    nr_grow((void **)&r->alerts, &r->cap_alerts, r->n_alerts + 1, sizeof(*r->alerts));
    struct ralert *ra = &r->alerts[r->n_alerts++];
    memcpy(ra->id, a->alert_id, sizeof(ra->id));
    ra->id[16] = '\0';
    ra->state = (uint8_t)a->state;
    ra->severity = (uint8_t)a->severity;
    ra->episode = ei;
    ra->detected_ms = a->detected_ms;
    ra->ws = a->window_start_ms;
    ra->we = a->window_end_ms;
    ra->count = a->count;
    ra->baseline = a->baseline;
    ra->ratio = a->ratio;
    ra->p = a->p_value;
}
