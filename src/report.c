/*
 * report.c - the back-test report: collect during a replay, render one
 * self-contained HTML page at the end (report.h).
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
 * Hostile text: every string from an article (and from the config) goes
 * through nr_report_escape; a link is written only for an http(s) URL, as
 * an escaped attribute. The page has no script and loads nothing: the CSS
 * and SVG are inline, fonts are the reader's own.
 */
#include "newsradar/report.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SERIES_FOLLOWED       2048 /* keys without an alert followed at a time */
#define SERIES_POINTS_ALERTED 4096 /* alerted keys that keep their timeline */
#define POINTS_MAX            600
#define ALERTS_MAX            100000
#define EVIDENCE_PER_EPISODE  20
#define EVIDENCE_BYTES_MAX    ((size_t)64 << 20)
#define TERMS_SLOTS           65536
#define TERMS_LEN             160
#define TIMELINES_MAX         500
#define STR_ID_MAX            200
#define STR_TITLE_MAX         300
#define STR_URL_MAX           600
#define STR_SOURCE_MAX        120
#define SERIES_TAB            8192 /* hash buckets of the key table */

struct pt {
    int64_t t;
    float count, expected, threshold;
};

struct series {
    uint32_t rule;
    uint64_t hash;
    char *key, *label;
    struct series *hnext, *lru_prev, *lru_next;
    struct pt *pts;
    uint32_t n, cap;
    int64_t min_dt;
    bool alerted, no_points, late_start;
    uint32_t n_episodes;
};

struct ev_art {
    char *id, *title, *url, *source, *terms;
    int64_t published_ms;
    bool dup;
};

struct episode {
    uint64_t id;
    struct series *s;
    int64_t start_ms, esc_ms, end_ms;
    uint8_t severity;
    struct ev_art *arts;
    uint32_t n_arts;
};

struct ralert {
    char id[17];
    uint8_t state, severity;
    uint32_t episode;
    int64_t detected_ms, ws, we;
    uint32_t count;
    double baseline, ratio, p;
};

struct terms_slot {
    uint64_t hash;
    char text[TERMS_LEN];
};

struct rule_count {
    uint64_t state[3], severity[4];
    uint64_t keys;
};

struct nr_report {
    const struct nr_config *cfg;
    struct series *tab[SERIES_TAB];
    size_t n_followed, n_alerted, n_with_points;
    struct series *lru_head, *lru_tail; /* keys without an alert */
    uint64_t series_evicted;
    struct series **all; /* alerted keys, in order of first alert */
    size_t cap_all;
    struct episode *eps;
    size_t n_eps, cap_eps;
    uint32_t *ep_tab; /* episode index + 1, open addressing on the id */
    size_t ep_mask;
    struct ralert *alerts;
    size_t n_alerts, cap_alerts;
    uint64_t alerts_unlisted, episodes_unlisted;
    size_t ev_bytes;
    uint64_t ev_dropped;
    struct terms_slot *terms;
    int64_t t_min, t_max;
    struct rule_count *rc;
};

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

/* ---- writing ------------------------------------------------------------------ */

static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c < 0xe0) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c < 0xf0) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c < 0xf5) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

void nr_report_escape(FILE *f, const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0, run = 0; /* bytes [i - run, i) pass through unchanged */
    while (i < n) {
        unsigned c = s[i];
        const char *rep = NULL;
        size_t l = 1;
        if (c == '&')
            rep = "&amp;";
        else if (c == '<')
            rep = "&lt;";
        else if (c == '>')
            rep = "&gt;";
        else if (c == '"')
            rep = "&quot;";
        else if (c == '\'')
            rep = "&#39;";
        else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            rep = "\xef\xbf\xbd";
        else if (c >= 0x80 && (l = utf8_len(s + i, n - i)) == 0) {
            rep = "\xef\xbf\xbd";
            l = 1;
        } else if (c >= 0x80 && l == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
            rep = "\xef\xbf\xbd"; /* C1 controls */
        }
        if (rep) {
            if (run)
                fwrite(p + i - run, 1, run, f);
            run = 0;
            fputs(rep, f);
            i += l;
            continue;
        }
        i += l;
        run += l;
    }
    if (run)
        fwrite(p + n - run, 1, run, f);
}

static void esc(FILE *f, const char *s)
{
    if (s)
        nr_report_escape(f, s, strlen(s));
}

static void fmt_time(int64_t ms, char *buf, size_t cap)
{
    if (ms == NR_TIME_NONE) {
        snprintf(buf, cap, "\xe2\x80\x94");
        return;
    }
    time_t sec = (time_t)(ms / 1000 - (ms % 1000 < 0));
    struct tm tm;
    if (!gmtime_r(&sec, &tm)) {
        snprintf(buf, cap, "?");
        return;
    }
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

static bool http_url(const char *u)
{
    if (!u)
        return false;
    bool ok = strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0;
    for (const unsigned char *p = (const unsigned char *)u; ok && *p; p++)
        ok = *p > 0x20 && *p != 0x7f;
    return ok;
}

static void dur_text(int64_t ms, char *buf, size_t cap)
{
    if (ms % 86400000 == 0)
        snprintf(buf, cap, "%lldd", (long long)(ms / 86400000));
    else if (ms % 3600000 == 0)
        snprintf(buf, cap, "%lldh", (long long)(ms / 3600000));
    else if (ms % 60000 == 0)
        snprintf(buf, cap, "%lldm", (long long)(ms / 60000));
    else
        snprintf(buf, cap, "%llds", (long long)(ms / 1000));
}

static const char CSS[] =
    ":root{--fg:#1b1f24;--mut:#5b6470;--bg:#fff;--line:#d8dde3;--count:#1f5fbf;"
    "--exp:#6b7280;--thr:#c0262d;--fire:#f6b26b;--esc:#e06666;--res:#2e7d32}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);"
    "background:var(--bg)}"
    "main{max-width:1200px;margin:0 auto;padding:16px}"
    "h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;margin:1.4em 0 .4em;"
    "border-bottom:2px solid var(--line)}h3{font-size:1.05em;margin:1em 0 .3em}"
    ".meta,.note{color:var(--mut);font-size:.9em}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;margin:.3em 0 .8em;font-size:.9em}"
    "th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:#f3f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code{font:.85em ui-monospace,monospace;word-break:break-all}"
    ".key{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:12px 0}"
    ".tl{overflow-x:auto}.tl svg{display:block;width:100%;min-width:640px;height:auto}"
    "svg .axis{stroke:#9aa3ad;stroke-width:1}svg text{font-size:13px;fill:#4b5563}"
    "svg .count{fill:none;stroke:var(--count);stroke-width:2}"
    "svg .dot{fill:var(--count)}"
    "svg .expected{fill:none;stroke:var(--exp);stroke-width:1.5;stroke-dasharray:6 4}"
    "svg .threshold{fill:none;stroke:var(--thr);stroke-width:1.5;stroke-dasharray:2 3}"
    "svg .ep-firing{fill:var(--fire);opacity:.45}svg .ep-escalated{fill:var(--esc);opacity:.45}"
    "svg .ep-resolved{stroke:var(--res);stroke-width:2}"
    ".legend{font-size:.85em;color:var(--mut)}.legend span{margin-right:12px;white-space:nowrap}"
    ".sw{display:inline-block;width:18px;height:10px;margin-right:4px;vertical-align:middle}"
    ".sev-low{color:#3b6}.sev-medium{color:#b70}.sev-high{color:#d40}.sev-critical{color:#b00;"
    "font-weight:bold}"
    "ul.ev{list-style:none;padding:0;margin:.3em 0 .8em}"
    "ul.ev li{border-left:3px solid var(--line);padding:2px 8px;margin:4px 0;"
    "overflow-wrap:anywhere}"
    ".src{color:var(--mut);font-size:.88em}.terms{font-size:.88em}"
    ".terms b{font-weight:600}"
    "@media (max-width:640px){body{font-size:14px}main{padding:8px}"
    "th,td{padding:2px 4px}.key{padding:6px}}";

static void write_summary(const struct nr_report *r, FILE *f)
{
    const struct nr_config *cfg = r->cfg;
    fputs("<section id=\"summary\"><h2>Alerts per rule</h2><div class=\"scroll\"><table>"
          "<tr><th>rule</th><th>topic</th><th>keys</th><th>alerts</th><th>firing</th>"
          "<th>escalated</th><th>resolved</th><th>low</th><th>medium</th><th>high</th>"
          "<th>critical</th></tr>",
          f);
    uint64_t tot[10] = {0};
    for (size_t i = 0; i < cfg->n_rules; i++) {
        const struct rule_count *c = &r->rc[i];
        uint64_t all = c->state[0] + c->state[1] + c->state[2];
        fprintf(f, "<tr><td><a href=\"#r%zu\">", i);
        esc(f, cfg->rules[i].id);
        fputs("</a></td><td>", f);
        esc(f, cfg->rules[i].topic ? cfg->rules[i].topic : "(any)");
        fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>", c->keys,
                all);
        uint64_t v[9] = {c->keys,        all,
                         c->state[0],    c->state[1],
                         c->state[2],    c->severity[0],
                         c->severity[1], c->severity[2],
                         c->severity[3]};
        for (int j = 2; j < 9; j++)
            fprintf(f, "<td class=\"n\">%" PRIu64 "</td>", v[j]);
        fputs("</tr>", f);
        for (int j = 0; j < 9; j++)
            tot[j] += v[j];
    }
    fputs("<tr><th>all rules</th><th></th>", f);
    for (int j = 0; j < 9; j++)
        fprintf(f, "<th class=\"n\">%" PRIu64 "</th>", tot[j]);
    fputs("</tr></table></div><p class=\"note\">Severity columns count alerts by the severity "
          "they carry (an episode's highest so far).</p></section>\n",
          f);
}

static void write_run(const struct nr_report *r, const struct nr_report_run *run, FILE *f)
{
    const struct nr_engine_stats *st = &run->stats;
    uint64_t fe = 0;
    for (int i = 0; i < NR_FIELD_COUNT; i++)
        fe += st->field_errors[i];
    char a[32], b[32];
    fmt_time(r->t_min, a, sizeof(a));
    fmt_time(r->t_max, b, sizeof(b));
    fputs("<section id=\"run\"><h2>Back-test</h2><div class=\"scroll\"><table>", f);
    fprintf(f, "<tr><th>stream time</th><td>%s &ndash; %s UTC</td></tr>", a, b);
    fprintf(f, "<tr><th>articles read</th><td class=\"n\">%" PRIu64 "</td></tr>", run->articles);
    fprintf(f, "<tr><th>tagged</th><td class=\"n\">%" PRIu64 "</td></tr>", st->tagged);
    fprintf(f, "<tr><th>rejected</th><td class=\"n\">%" PRIu64 "</td></tr>", run->skipped);
    for (int i = 1; i < NR_REJECT_COUNT; i++)
        if (run->by_reason[i])
            fprintf(f, "<tr><th>&nbsp;&nbsp;%s</th><td class=\"n\">%" PRIu64 "</td></tr>",
                    nr_reject_name((enum nr_reject)i), run->by_reason[i]);
    fprintf(f, "<tr><th>duplicates (exact + near)</th><td class=\"n\">%" PRIu64 "</td></tr>",
            st->duplicates);
    fprintf(f,
            "<tr><th>late (older than stream time &minus; grace)</th><td class=\"n\">%" PRIu64
            "</td></tr>",
            st->late);
    fprintf(f,
            "<tr><th>late, not counted (older than the baseline)</th><td class=\"n\">%" PRIu64
            "</td></tr>",
            st->late_dropped);
    fprintf(f, "<tr><th>future-dated</th><td class=\"n\">%" PRIu64 "</td></tr>", st->future);
    fprintf(f, "<tr><th>field errors</th><td class=\"n\">%" PRIu64 "</td></tr>", fe);
    fprintf(f, "<tr><th>UTF-8 repairs</th><td class=\"n\">%" PRIu64 "</td></tr>", st->utf8_repairs);
    fprintf(f,
            "<tr><th>keys alive (evicted)</th><td class=\"n\">%" PRIu64 " (%" PRIu64 ")</td></tr>",
            st->keys, st->keys_evicted);
    fprintf(f, "<tr><th>spikes still open at the end</th><td class=\"n\">%" PRIu64 "</td></tr>",
            st->keys_firing);
    fputs("</table></div>", f);
    if (run->stopped)
        fprintf(f,
                "<p class=\"note\">The replay was stopped by signal %d: this is the part "
                "read until then.</p>",
                run->stopped);
    if (st->late && !run->sorted)
        fputs("<p class=\"note\">Some articles came later than engine.grace behind the newest "
              "one: alerts depend on the input order (replay --sort orders it).</p>",
              f);
    fputs("</section>\n", f);
}

static double nice_ceil(double v)
{
    if (v <= 3)
        return 3;
    double e = pow(10, floor(log10(v)));
    double m = v / e;
    double n = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return n * e;
}

struct plot {
    int64_t t0, t1;
    double ymax;
};

#define PL 56.0
#define PR 990.0
#define PT 12.0
#define PB 226.0

static double px(const struct plot *p, int64_t t)
{
    double x = PL + (double)(t - p->t0) / (double)(p->t1 - p->t0) * (PR - PL);
    return x < PL ? PL : x > PR ? PR : x;
}

static double py(const struct plot *p, double v)
{
    if (!(v == v) || v > p->ymax)
        v = p->ymax;
    if (v < 0)
        v = 0;
    return PB - v / p->ymax * (PB - PT);
}

static void write_timeline(const struct nr_report *r, const struct series *s, const uint32_t *eps,
                           size_t n_eps, FILE *f)
{
    const struct nr_alert_rule *ru = &r->cfg->rules[s->rule];
    struct plot p = {r->t_min, r->t_max, 0};
    if (p.t1 <= p.t0)
        p.t1 = p.t0 + 1;
    double top = 1;
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->pts[i].count > top)
            top = s->pts[i].count;
        if (s->pts[i].expected > top)
            top = s->pts[i].expected;
    }
    double thr_top = top;
    for (uint32_t i = 0; i < s->n; i++)
        if (isfinite(s->pts[i].threshold) && s->pts[i].threshold > thr_top &&
            s->pts[i].threshold <= 2 * top + 3)
            thr_top = s->pts[i].threshold;
    p.ymax = nice_ceil(thr_top * 1.1);

    fputs("<div class=\"tl\"><svg viewBox=\"0 0 1000 260\" role=\"img\" "
          "xmlns=\"http://www.w3.org/2000/svg\"><title>window count, expected count and "
          "firing threshold over stream time</title>",
          f);
    /* episodes first, so the lines are drawn over them */
    for (size_t i = 0; i < n_eps; i++) {
        const struct episode *e = &r->eps[eps[i]];
        int64_t end = e->end_ms != NR_TIME_NONE ? e->end_ms : p.t1;
        int64_t esc_at = e->esc_ms != NR_TIME_NONE ? e->esc_ms : end;
        double x0 = px(&p, e->start_ms), x1 = px(&p, esc_at), x2 = px(&p, end);
        fprintf(f,
                "<rect class=\"ep-firing\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
                "height=\"%.0f\"><title>episode %016" PRIx64 " firing</title></rect>",
                x0, PT, x1 - x0 < 2 ? 2 : x1 - x0, PB - PT, e->id);
        if (e->esc_ms != NR_TIME_NONE)
            fprintf(f,
                    "<rect class=\"ep-escalated\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
                    "height=\"%.0f\"><title>episode %016" PRIx64 " escalated</title></rect>",
                    x1, PT, x2 - x1 < 2 ? 2 : x2 - x1, PB - PT, e->id);
        if (e->end_ms != NR_TIME_NONE)
            fprintf(f,
                    "<line class=\"ep-resolved\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" "
                    "y2=\"%.0f\"><title>episode %016" PRIx64 " resolved</title></line>",
                    x2, x2, PT, PB, e->id);
    }
    /* axes and ticks */
    fprintf(f, "<line class=\"axis\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\"/>", PL, PR, PB,
            PB);
    fprintf(f, "<line class=\"axis\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\"/>", PL, PL, PT,
            PB);
    for (int i = 0; i <= 4; i++) {
        double v = p.ymax * i / 4;
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%g</text>", PL - 6,
                py(&p, v) + 4, v);
    }
    for (int i = 0; i <= 4; i++) {
        int64_t t = p.t0 + (p.t1 - p.t0) * i / 4;
        char tb[32];
        fmt_time(t, tb, sizeof(tb));
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">%s</text>", px(&p, t), PB + 20,
                i == 0   ? "start"
                : i == 4 ? "end"
                         : "middle",
                tb);
    }
    /* threshold and expected: continuous */
    const char *cls[2] = {"threshold", "expected"};
    for (int c = 0; c < 2; c++) {
        fprintf(f, "<polyline class=\"%s\" points=\"", cls[c]);
        for (uint32_t i = 0; i < s->n; i++) {
            double v = c == 0 ? s->pts[i].threshold : s->pts[i].expected;
            fprintf(f, "%s%.1f,%.1f", i ? " " : "", px(&p, s->pts[i].t), py(&p, v));
        }
        fputs("\"/>", f);
    }
    /* the count: a line while evaluations are less than a window apart
     * (the key had articles in the window), a dot for a lone point */
    int64_t gap = ru->window_ms > 2 * s->min_dt ? ru->window_ms : 2 * s->min_dt;
    uint32_t i = 0;
    while (i < s->n) {
        uint32_t j = i + 1;
        while (j < s->n && s->pts[j].t - s->pts[j - 1].t <= gap)
            j++;
        if (j - i == 1) {
            fprintf(f, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>",
                    px(&p, s->pts[i].t), py(&p, s->pts[i].count));
        } else {
            fputs("<polyline class=\"count\" points=\"", f);
            for (uint32_t k = i; k < j; k++)
                fprintf(f, "%s%.1f,%.1f", k > i ? " " : "", px(&p, s->pts[k].t),
                        py(&p, s->pts[k].count));
            fputs("\"/>", f);
        }
        i = j;
    }
    fputs("</svg></div>", f);
    fputs("<p class=\"legend\"><span><i class=\"sw\" style=\"background:var(--count)\"></i>window "
          "count</span><span><i class=\"sw\" style=\"border-top:2px dashed var(--exp)\"></i>"
          "expected</span><span><i class=\"sw\" style=\"border-top:2px dotted var(--thr)\"></i>"
          "firing threshold</span><span><i class=\"sw\" style=\"background:var(--fire)\"></i>"
          "firing</span><span><i class=\"sw\" style=\"background:var(--esc)\"></i>escalated"
          "</span><span><i class=\"sw\" style=\"background:var(--res)\"></i>resolved</span></p>",
          f);
    if (s->late_start)
        fputs("<p class=\"note\">The timeline may start late: this key was first followed "
              "after the report's key limit was reached.</p>",
              f);
}

static void write_evidence(const struct episode *e, FILE *f)
{
    if (!e->n_arts)
        return;
    fputs("<ul class=\"ev\">", f);
    for (uint32_t i = 0; i < e->n_arts; i++) {
        const struct ev_art *a = &e->arts[i];
        char tb[32];
        fmt_time(a->published_ms, tb, sizeof(tb));
        fputs("<li>", f);
        if (http_url(a->url)) {
            fputs("<a rel=\"noopener noreferrer nofollow\" href=\"", f);
            esc(f, a->url);
            fputs("\">", f);
        }
        if (a->title && a->title[0])
            esc(f, a->title);
        else
            fputs("(no title)", f);
        if (http_url(a->url))
            fputs("</a>", f);
        fputs("<br><span class=\"src\">", f);
        esc(f, a->source ? a->source : "(no source)");
        fprintf(f, " &middot; %s &middot; <code>", tb);
        esc(f, a->id);
        fputs("</code>", f);
        if (a->dup)
            fputs(" &middot; near duplicate", f);
        fputs("</span>", f);
        if (a->terms) {
            fputs("<br><span class=\"terms\"><b>matched:</b> ", f);
            esc(f, a->terms);
            fputs("</span>", f);
        }
        fputs("</li>", f);
    }
    fputs("</ul>", f);
}

static const char *state_name(uint8_t s)
{
    return nr_alert_state_name((enum nr_alert_state)s);
}

static int cmp_series(const void *a, const void *b)
{
    const struct series *x = *(struct series *const *)a, *y = *(struct series *const *)b;
    if (x->rule != y->rule)
        return x->rule < y->rule ? -1 : 1;
    if (x->n_episodes != y->n_episodes)
        return x->n_episodes > y->n_episodes ? -1 : 1;
    return strcmp(x->key, y->key);
}

struct ep_ref {
    const struct series *s;
    int64_t start;
    uint32_t idx;
};

static int cmp_ep(const void *a, const void *b)
{
    const struct ep_ref *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void write_rule_head(const struct nr_report *r, size_t ri, FILE *f)
{
    const struct nr_alert_rule *ru = &r->cfg->rules[ri];
    char w[24], b[24], bb[24], cd[24];
    dur_text(ru->window_ms, w, sizeof(w));
    dur_text(ru->baseline_ms, b, sizeof(b));
    dur_text(ru->baseline_bucket_ms, bb, sizeof(bb));
    dur_text(ru->cooldown_ms, cd, sizeof(cd));
    fprintf(f, "<h2 id=\"r%zu\">Rule ", ri);
    esc(f, ru->id);
    fputs("</h2><p class=\"meta\">topic ", f);
    esc(f, ru->topic ? ru->topic : "(any)");
    fputs(" &middot; by [", f);
    for (size_t i = 0; i < ru->by.n; i++) {
        if (i)
            fputs(", ", f);
        esc(f, ru->by.v[i]);
    }
    fprintf(f, "] &middot; window %s &middot; baseline %s in %s buckets &middot; min_count %u", w,
            b, bb, ru->min_count);
    if (ru->min_ratio > 0)
        fprintf(f, " &middot; min_ratio %g", ru->min_ratio);
    if (ru->max_p > 0)
        fprintf(f, " &middot; max_p %g", ru->max_p);
    fprintf(f, " &middot; cooldown %s</p>", cd);
}

static void write_keys(const struct nr_report *r, FILE *f)
{
    size_t na = r->n_alerted;
    struct series **ss = nr_xmalloc((na ? na : 1) * sizeof(*ss));
    memcpy(ss, r->all, na * sizeof(*ss));
    qsort(ss, na, sizeof(*ss), cmp_series);
    struct ep_ref *er = nr_xmalloc((r->n_eps ? r->n_eps : 1) * sizeof(*er));
    for (size_t i = 0; i < r->n_eps; i++)
        er[i] = (struct ep_ref){r->eps[i].s, r->eps[i].start_ms, (uint32_t)i};
    qsort(er, r->n_eps, sizeof(*er), cmp_ep);
    /* alerts grouped by episode, in their order: a counting sort */
    uint32_t *first = nr_xcalloc(r->n_eps + 1, sizeof(*first));
    uint32_t *order = nr_xmalloc((r->n_alerts ? r->n_alerts : 1) * sizeof(*order));
    for (size_t i = 0; i < r->n_alerts; i++)
        first[r->alerts[i].episode + 1]++;
    for (size_t i = 0; i < r->n_eps; i++)
        first[i + 1] += first[i];
    uint32_t *fill = nr_xmalloc((r->n_eps + 1) * sizeof(*fill));
    memcpy(fill, first, (r->n_eps + 1) * sizeof(*fill));
    for (size_t i = 0; i < r->n_alerts; i++)
        order[fill[r->alerts[i].episode]++] = (uint32_t)i;
    free(fill);

    uint32_t *eps = nr_xmalloc((r->n_eps ? r->n_eps : 1) * sizeof(*eps));
    size_t timelines = 0, no_timeline = 0;
    int64_t last_rule = -1;
    for (size_t si = 0; si < na; si++) {
        const struct series *s = ss[si];
        if ((int64_t)s->rule != last_rule) {
            if (last_rule >= 0)
                fputs("</section>\n", f);
            fputs("<section class=\"rule\">", f);
            write_rule_head(r, s->rule, f);
            last_rule = s->rule;
        }
        /* this key's episodes: a binary search in er */
        size_t lo = 0, hi = r->n_eps;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (er[mid].s < s)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t ne = 0;
        for (size_t k = lo; k < r->n_eps && er[k].s == s; k++)
            eps[ne++] = er[k].idx;
        fputs("<article class=\"key\"><h3>", f);
        esc(f, s->label);
        fprintf(f, "</h3><p class=\"meta\">%zu episode%s</p>", ne, ne == 1 ? "" : "s");
        if (s->n > 0 && timelines < TIMELINES_MAX) {
            write_timeline(r, s, eps, ne, f);
            timelines++;
        } else {
            no_timeline++;
            fputs("<p class=\"note\">No timeline drawn for this key (report limits, see the "
                  "foot of the page).</p>",
                  f);
        }
        for (size_t k = 0; k < ne; k++) {
            const struct episode *e = &r->eps[eps[k]];
            fprintf(f,
                    "<h4 id=\"e%016" PRIx64 "\">Episode <code>%016" PRIx64 "</code> "
                    "<span class=\"sev-%s\">%s</span></h4>",
                    e->id, e->id, nr_severity_name((enum nr_severity)e->severity),
                    nr_severity_name((enum nr_severity)e->severity));
            fputs("<div class=\"scroll\"><table><tr><th>alert_id</th><th>state</th>"
                  "<th>severity</th><th>detected</th><th>window</th><th>count</th>"
                  "<th>expected</th><th>ratio</th><th>p</th></tr>",
                  f);
            for (uint32_t q = first[eps[k]]; q < first[eps[k] + 1]; q++) {
                const struct ralert *a = &r->alerts[order[q]];
                char d[32], w0[32], w1[32];
                fmt_time(a->detected_ms, d, sizeof(d));
                fmt_time(a->ws, w0, sizeof(w0));
                fmt_time(a->we, w1, sizeof(w1));
                fprintf(f,
                        "<tr><td><code>%s</code></td><td>%s</td><td class=\"sev-%s\">%s</td>"
                        "<td>%s</td><td>%s &ndash; %s</td><td class=\"n\">%u</td>"
                        "<td class=\"n\">%.2f</td><td class=\"n\">%.2f</td>"
                        "<td class=\"n\">%.3g</td></tr>",
                        a->id, state_name(a->state),
                        nr_severity_name((enum nr_severity)a->severity),
                        nr_severity_name((enum nr_severity)a->severity), d, w0, w1 + 11, a->count,
                        a->baseline, a->ratio, a->p);
            }
            fputs("</table></div>", f);
            write_evidence(e, f);
        }
        fputs("</article>", f);
    }
    if (last_rule >= 0)
        fputs("</section>\n", f);
    else
        fputs("<section class=\"rule\"><h2>Alerts</h2><p>No rule alerted in this back-test."
              "</p></section>\n",
              f);
    free(eps);
    free(order);
    free(first);
    free(er);
    free(ss);
    (void)no_timeline;
}

static void write_limits(const struct nr_report *r, FILE *f)
{
    fputs("<footer><h2>About this report</h2><p class=\"note\">Timelines show, at each "
          "evaluation of the key (each of its articles, and every bucket while it fires), the "
          "window count, the expected count from the baseline and the smallest count that "
          "would fire. Episodes are shaded from the firing alert to the escalation and to the "
          "resolution (open episodes run to the end). Times are stream (event) times in UTC.",
          f);
    fprintf(f,
            " Bounds: at most %d points per timeline (beyond, neighbours merge and the "
            "larger count is kept), %d keys followed before they alert, %d timelines drawn, "
            "%d alerts listed, %d evidence articles per episode.",
            POINTS_MAX, SERIES_FOLLOWED, TIMELINES_MAX, ALERTS_MAX, EVIDENCE_PER_EPISODE);
    fputs("</p>", f);
    if (r->alerts_unlisted)
        fprintf(f,
                "<p class=\"note\"><b>%" PRIu64 " alerts</b> (%" PRIu64
                " episodes) are not listed: more than %d alerts. They are counted in the "
                "summary table; the JSON lines on stdout have them all.</p>",
                r->alerts_unlisted, r->episodes_unlisted, ALERTS_MAX);
    if (r->ev_dropped)
        fprintf(f,
                "<p class=\"note\">%" PRIu64 " evidence articles were not kept (more than %d "
                "per episode, or the %zu MB evidence budget was reached).</p>",
                r->ev_dropped, EVIDENCE_PER_EPISODE, EVIDENCE_BYTES_MAX >> 20);
    if (r->series_evicted)
        fprintf(f,
                "<p class=\"note\">%" PRIu64 " keys without an alert were dropped from the "
                "timelines to stay within %d followed keys.</p>",
                r->series_evicted, SERIES_FOLLOWED);
    if (r->n_alerted > SERIES_POINTS_ALERTED)
        fprintf(f, "<p class=\"note\">%zu keys alerted; timelines were kept for the first %d.</p>",
                r->n_alerted, SERIES_POINTS_ALERTED);
    else if (r->n_alerted > TIMELINES_MAX)
        fprintf(f,
                "<p class=\"note\">%zu keys alerted; timelines are drawn for %d of them (most "
                "episodes first within each rule).</p>",
                r->n_alerted, TIMELINES_MAX);
    fputs("</footer>", f);
}

int nr_report_write(const struct nr_report *r, const struct nr_report_run *run, FILE *f)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\">"
          "<title>newsradar back-test: ",
          f);
    esc(f, run->input);
    fprintf(f, "</title><style>%s</style></head><body><main>\n", CSS);
    fputs("<h1>Back-test report</h1><p class=\"meta\">newsradar replay of <code>", f);
    esc(f, run->input);
    fputs("</code> with <code>", f);
    esc(f, run->config);
    fputs("</code></p>\n", f);
    write_summary(r, f);
    write_run(r, run, f);
    write_keys(r, f);
    write_limits(r, f);
    fputs("</main></body></html>\n", f);
    return ferror(f) ? -1 : 0;
}
