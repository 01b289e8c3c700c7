/*
 * eval.c - score the tagger against labelled articles (see eval.h).
 *
 * Build: every entity of kind country, group or official contributes keys
 * (its normalized id, name, code and aliases) to one array sorted by key, so
 * a label is looked up by binary search and the few entities that carry it
 * are checked against what the tagger found in the article. Article ids go
 * into an open-addressing set (nr_hash64) to refuse a repeated id: a copied
 * line would otherwise count twice without anyone noticing.
 *
 * Per article the work is O(labels * log(keys) + tags); the misses are kept
 * (one small record each) because the point of an evaluation is to read them.
 */
#include "newsradar/eval.h"

#include "newsradar/names.h"
#include "newsradar/text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const nr_eval_kind_names[NR_EVAL_KINDS] = {"countries", "groups", "officials",
                                                       "topics"};
/* the entity kind scored by each label kind */
static const char *const entity_kinds[NR_EVAL_TOPICS] = {"country", "group", "official"};

struct key {
    char *s;
    uint32_t entity;
};

struct nr_eval_priv {
    const struct nr_config *cfg;
    struct key *keys;
    size_t n_keys;
    int8_t *ekind; /* per entity: enum nr_eval_kind, or -1 when not scored */
    uint64_t *ids; /* id hash set: hash + 1, 0 = empty */
    size_t n_slots, n_ids;
    char **id_strs; /* parallel to ids: the id, for collisions */
    struct nr_text norm;
    /* per-article scratch */
    uint32_t *pred;
    bool *used;
    size_t cap_pred;
    char **gold;
    size_t n_gold, cap_gold;
    size_t cap_misses, cap_articles;
};

double nr_eval_precision(const struct nr_eval_counts *c)
{
    return c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : NAN;
}

double nr_eval_recall(const struct nr_eval_counts *c)
{
    return c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : NAN;
}

double nr_eval_f1(const struct nr_eval_counts *c)
{
    uint64_t d = 2 * c->tp + c->fp + c->fn;
    return d ? 2.0 * (double)c->tp / (double)d : NAN;
}

static int key_str_cmp(const void *a, const void *b)
{
    return strcmp(((const struct key *)a)->s, ((const struct key *)b)->s);
}

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->entity > y->entity) - (x->entity < y->entity);
}

static void add_key(struct nr_eval_priv *p, size_t *cap, const char *s, uint32_t entity)
{
    if (!s || !*s)
        return;
    nr_grow((void **)&p->keys, cap, p->n_keys + 1, sizeof(*p->keys));
    p->keys[p->n_keys].s = nr_text_dup(&p->norm, s, strlen(s));
    p->keys[p->n_keys].entity = entity;
    p->n_keys++;
}

static void add_fold_key(struct nr_eval_priv *p, size_t *cap, const char *s, uint32_t entity)
{
    char *f = nr_name_fold_dup(s);
    if (*f) {
        nr_grow((void **)&p->keys, cap, p->n_keys + 1, sizeof(*p->keys));
        p->keys[p->n_keys].s = f;
        p->keys[p->n_keys++].entity = entity;
    } else {
        free(f);
    }
}

/* A name of three or more words also by its first and last ("Pedro
 * Sanchez" labels "Pedro Arnulfo Sánchez": a middle name left out). */
static void add_first_last_key(struct nr_eval_priv *p, size_t *cap, const char *s, uint32_t entity)
{
    char *f = nr_name_fold_dup(s);
    char *sp = strchr(f, ' '), *last = strrchr(f, ' ');
    if (sp && last != sp) {
        memmove(sp + 1, last + 1, strlen(last + 1) + 1);
        nr_grow((void **)&p->keys, cap, p->n_keys + 1, sizeof(*p->keys));
        p->keys[p->n_keys].s = f;
        p->keys[p->n_keys++].entity = entity;
    } else {
        free(f);
    }
}

static void build_keys(struct nr_eval_priv *p)
{
    const struct nr_config *cfg = p->cfg;
    size_t cap = 0;
    p->ekind = nr_xmalloc(cfg->n_entities ? cfg->n_entities : 1);
    for (size_t i = 0; i < cfg->n_entities; i++) {
        const struct nr_entity *e = &cfg->entities[i];
        p->ekind[i] = -1;
        for (int k = 0; k < NR_EVAL_TOPICS; k++)
            if (strcmp(e->kind, entity_kinds[k]) == 0)
                p->ekind[i] = (int8_t)k;
        if (p->ekind[i] < 0)
            continue;
        add_key(p, &cap, e->id, (uint32_t)i);
        add_key(p, &cap, e->name, (uint32_t)i);
        add_key(p, &cap, e->code, (uint32_t)i);
        for (size_t a = 0; a < e->n_aliases; a++)
            add_key(p, &cap, e->aliases[a].text, (uint32_t)i);
        if (p->ekind[i] == NR_EVAL_OFFICIALS) { /* "Antony J. Blinken" = "Antony Blinken" */
            for (size_t a = 0; a < e->n_aliases; a++)
                add_fold_key(p, &cap, e->aliases[a].text, (uint32_t)i);
            add_first_last_key(p, &cap, e->name, (uint32_t)i);
        }
    }
    if (p->n_keys)
        qsort(p->keys, p->n_keys, sizeof(*p->keys), key_cmp);
}

struct nr_eval *nr_eval_new(const struct nr_config *cfg)
{
    struct nr_eval *ev = nr_xcalloc(1, sizeof(*ev));
    struct nr_eval_priv *p = nr_xcalloc(1, sizeof(*p));
    ev->priv = p;
    p->cfg = cfg;
    nr_text_init(&p->norm);
    build_keys(p);
    ev->n_config_topics = ev->n_topics = cfg->n_topics;
    ev->topic_ids = nr_xcalloc(cfg->n_topics + 1, sizeof(char *));
    for (size_t i = 0; i < cfg->n_topics; i++)
        ev->topic_ids[i] = nr_xstrdup(cfg->topics[i].id);
    ev->all.topic = nr_xcalloc(cfg->n_topics + 1, sizeof(struct nr_eval_counts));
    p->n_slots = 1024;
    p->ids = nr_xcalloc(p->n_slots, sizeof(*p->ids));
    p->id_strs = nr_xcalloc(p->n_slots, sizeof(char *));
    return ev;
}

void nr_eval_free(struct nr_eval *ev)
{
    if (!ev)
        return;
    struct nr_eval_priv *p = ev->priv;
    for (size_t i = 0; i < p->n_keys; i++)
        free(p->keys[i].s);
    free(p->keys);
    free(p->ekind);
    for (size_t i = 0; i < p->n_slots; i++)
        free(p->id_strs[i]);
    free(p->id_strs);
    free(p->ids);
    nr_text_fini(&p->norm);
    free(p->pred);
    free(p->used);
    for (size_t i = 0; i < p->n_gold; i++)
        free(p->gold[i]);
    free(p->gold);
    free(p);
    for (size_t i = 0; i < ev->n_topics; i++)
        free(ev->topic_ids[i]);
    free(ev->topic_ids);
    free(ev->all.topic);
    for (size_t i = 0; i < ev->n_langs; i++) {
        free(ev->langs[i].lang);
        free(ev->langs[i].s.topic);
    }
    free(ev->langs);
    for (size_t i = 0; i < ev->n_misses; i++)
        free(ev->misses[i].text);
    free(ev->misses);
    for (size_t i = 0; i < ev->n_articles; i++)
        free(ev->article_ids[i]);
    free(ev->article_ids);
    free(ev);
}

/* ---- ids ------------------------------------------------------------------ */

static void ids_insert(struct nr_eval_priv *p, uint64_t h, char *s)
{
    size_t mask = p->n_slots - 1, i = (size_t)h & mask;
    while (p->ids[i])
        i = (i + 1) & mask;
    p->ids[i] = h | 1; /* never 0 */
    p->id_strs[i] = s;
    p->n_ids++;
}

/* true if new (and remembered) */
static bool ids_add(struct nr_eval_priv *p, const char *s, size_t len)
{
    uint64_t h = nr_hash64(s, len, 0) | 1;
    size_t mask = p->n_slots - 1;
    for (size_t i = (size_t)h & mask; p->ids[i]; i = (i + 1) & mask)
        if (p->ids[i] == h && strlen(p->id_strs[i]) == len && memcmp(p->id_strs[i], s, len) == 0)
            return false;
    if (2 * (p->n_ids + 1) > p->n_slots) {
        uint64_t *old = p->ids;
        char **old_s = p->id_strs;
        size_t n = p->n_slots;
        p->n_slots *= 2;
        p->ids = nr_xcalloc(p->n_slots, sizeof(*p->ids));
        p->id_strs = nr_xcalloc(p->n_slots, sizeof(char *));
        p->n_ids = 0;
        for (size_t i = 0; i < n; i++)
            if (old[i])
                ids_insert(p, old[i], old_s[i]);
        free(old);
        free(old_s);
    }
    ids_insert(p, h, nr_xstrndup(s, len));
    return true;
}

/* ---- labels --------------------------------------------------------------- */

static int check_labels(const json_t *labels, struct nr_error *err)
{
    if (!labels) {
        nr_error_set(err, "no \"labels\" object");
        return -1;
    }
    if (!json_is_object(labels)) {
        nr_error_set(err, "\"labels\" must be an object");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)labels, k, v)
    {
        int kind = -1;
        for (int i = 0; i < NR_EVAL_KINDS; i++)
            if (strcmp(k, nr_eval_kind_names[i]) == 0)
                kind = i;
        if (kind < 0) {
            nr_error_set(err, "labels: unknown key \"%s\" (countries, groups, officials, topics)",
                         k);
            return -1;
        }
        if (!json_is_array(v)) {
            nr_error_set(err, "labels.%s must be an array of strings", k);
            return -1;
        }
        size_t i;
        json_t *s;
        json_array_foreach(v, i, s)
        {
            if (!json_is_string(s) || json_string_length(s) == 0) {
                nr_error_set(err, "labels.%s[%zu] must be a non-empty string", k, i);
                return -1;
            }
        }
    }
    return 0;
}

static void add_miss(struct nr_eval *ev, int kind, bool fp, bool unlisted, const char *text)
{
    struct nr_eval_priv *p = ev->priv;
    nr_grow((void **)&ev->misses, &p->cap_misses, ev->n_misses + 1, sizeof(*ev->misses));
    struct nr_eval_miss *m = &ev->misses[ev->n_misses++];
    m->article = (uint32_t)(ev->n_articles - 1);
    m->kind = (uint8_t)kind;
    m->fp = fp;
    m->unlisted = unlisted;
    m->text = nr_xstrdup(text);
}

static void count(struct nr_eval_scores *a, struct nr_eval_scores *b, int kind, int topic, int what)
{
    struct nr_eval_scores *s[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (!s[i])
            continue;
        struct nr_eval_counts *c[2] = {&s[i]->kind[kind], topic >= 0 ? &s[i]->topic[topic] : NULL};
        for (int j = 0; j < 2; j++) {
            if (!c[j])
                continue;
            if (what == 0)
                c[j]->tp++;
            else if (what == 1)
                c[j]->fp++;
            else
                c[j]->fn++;
        }
    }
}

/* The labels of one kind, normalized and without repeats, in p->gold;
 * their original text stays in the JSON array at the same index order. */
static size_t gather_gold(struct nr_eval_priv *p, const json_t *arr, const char **orig)
{
    for (size_t i = 0; i < p->n_gold; i++)
        free(p->gold[i]);
    p->n_gold = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        char *g = nr_text_dup(&p->norm, s, json_string_length(v));
        bool dup = false;
        for (size_t k = 0; k < p->n_gold && !dup; k++)
            dup = strcmp(p->gold[k], g) == 0;
        if (dup) {
            free(g);
            continue;
        }
        nr_grow((void **)&p->gold, &p->cap_gold, p->n_gold + 1, sizeof(*p->gold));
        orig[p->n_gold] = s;
        p->gold[p->n_gold++] = g;
    }
    return p->n_gold;
}

/* Does the label (normalized, and for officials also folded) name entity
 * e? *listed is set when some entity of the kind carries the label. */
static bool lookup(struct nr_eval_priv *p, const char *label, int kind, size_t n_pred, bool *listed)
{
    struct key probe = {(char *)label, 0};
    struct key *k =
        p->n_keys ? bsearch(&probe, p->keys, p->n_keys, sizeof(*p->keys), key_str_cmp) : NULL;
    if (!k)
        return false;
    while (k > p->keys && strcmp(k[-1].s, label) == 0) /* widen to every equal key */
        k--;
    for (; k < p->keys + p->n_keys && strcmp(k->s, label) == 0; k++) {
        if (p->ekind[k->entity] != kind)
            continue;
        *listed = true;
        for (size_t j = 0; j < n_pred; j++)
            if (p->pred[j] == k->entity && !p->used[j])
                return p->used[j] = true;
    }
    return false;
}

static void add_pred(struct nr_eval_priv *p, size_t *n, uint32_t v)
{
    if (*n == p->cap_pred) {
        p->cap_pred = p->cap_pred ? 2 * p->cap_pred : 64;
        p->pred = nr_xrealloc(p->pred, p->cap_pred * sizeof(*p->pred));
        p->used = nr_xrealloc(p->used, p->cap_pred * sizeof(*p->used));
    }
    p->used[*n] = false;
    p->pred[(*n)++] = v;
}

/* Predictions are watchlist entities of the kind; for officials, then the
 * role-found officials (pred = ROLE + index into tags->officials). */
#define ROLE 0x80000000u

static void score_entities(struct nr_eval *ev, struct nr_eval_scores *ls, const struct nr_tags *t,
                           const json_t *labels, int kind)
{
    struct nr_eval_priv *p = ev->priv;
    size_t n_pred = 0, n_ent;
    for (size_t i = 0; i < t->n_entities; i++)
        if (p->ekind[t->entities[i].entity] == kind)
            add_pred(p, &n_pred, t->entities[i].entity);
    n_ent = n_pred;
    if (kind == NR_EVAL_OFFICIALS)
        for (size_t i = 0; i < t->n_officials; i++)
            add_pred(p, &n_pred, ROLE | (uint32_t)i);
    const json_t *arr = json_object_get(labels, nr_eval_kind_names[kind]);
    size_t n_arr = arr ? json_array_size(arr) : 0;
    const char **orig = nr_xcalloc(n_arr + 1, sizeof(char *));
    size_t n_gold = arr ? gather_gold(p, arr, orig) : 0;
    for (size_t g = 0; g < n_gold; g++) {
        bool listed = false, hit = lookup(p, p->gold[g], kind, n_ent, &listed);
        if (!hit && kind == NR_EVAL_OFFICIALS) {
            char *fold = nr_name_fold_dup(orig[g]);
            hit = lookup(p, fold, kind, n_ent, &listed);
            for (size_t j = n_ent; j < n_pred && !hit; j++)
                if (!p->used[j] && strcmp(t->officials[p->pred[j] & ~ROLE].key, fold) == 0)
                    hit = p->used[j] = true;
            /* a role official known by the surname only ("Defence Minister
             * Gallant") is the labelled "Yoav Gallant" */
            const char *last = strrchr(fold, ' ');
            for (size_t j = n_ent; j < n_pred && !hit && last; j++)
                if (!p->used[j] && strcmp(t->officials[p->pred[j] & ~ROLE].key, last + 1) == 0)
                    hit = p->used[j] = true;
            free(fold);
        }
        count(&ev->all, ls, kind, -1, hit ? 0 : 2);
        if (!hit)
            add_miss(ev, kind, false, !listed, orig[g]);
    }
    free(orig);
    for (size_t j = 0; j < n_pred; j++) {
        if (p->used[j])
            continue;
        const char *text;
        if (p->pred[j] & ROLE) {
            text = t->officials[p->pred[j] & ~ROLE].name;
        } else {
            const struct nr_entity *e = &p->cfg->entities[p->pred[j]];
            text = kind == NR_EVAL_COUNTRIES && e->code ? e->code : e->name;
        }
        count(&ev->all, ls, kind, -1, 1);
        add_miss(ev, kind, true, false, text);
    }
}

static void grow_topics(struct nr_eval_scores *s, size_t n)
{
    s->topic = nr_xrealloc(s->topic, (n + 1) * sizeof(*s->topic));
    memset(&s->topic[n - 1], 0, sizeof(*s->topic));
}

static int topic_index(struct nr_eval *ev, const char *id, bool add)
{
    for (size_t i = 0; i < ev->n_topics; i++)
        if (strcmp(ev->topic_ids[i], id) == 0)
            return (int)i;
    if (!add)
        return -1;
    ev->topic_ids = nr_xrealloc(ev->topic_ids, (ev->n_topics + 2) * sizeof(char *));
    ev->topic_ids[ev->n_topics++] = nr_xstrdup(id);
    grow_topics(&ev->all, ev->n_topics);
    for (size_t i = 0; i < ev->n_langs; i++)
        grow_topics(&ev->langs[i].s, ev->n_topics);
    return (int)ev->n_topics - 1;
}

static void score_topics(struct nr_eval *ev, struct nr_eval_scores *ls, const struct nr_tags *t,
                         const json_t *labels)
{
    const json_t *arr = json_object_get(labels, "topics");
    size_t n = arr ? json_array_size(arr) : 0;
    bool *found = nr_xcalloc(t->n_topics + 1, sizeof(bool));
    for (size_t g = 0; g < n; g++) {
        const char *id = json_string_value(json_array_get(arr, g));
        bool dup = false;
        for (size_t k = 0; k < g && !dup; k++)
            dup = strcmp(json_string_value(json_array_get(arr, k)), id) == 0;
        if (dup)
            continue;
        int ti = topic_index(ev, id, true);
        bool hit = false;
        for (size_t j = 0; j < t->n_topics && !hit; j++)
            if ((int)t->topics[j].topic == ti)
                hit = found[j] = true;
        count(&ev->all, ls, NR_EVAL_TOPICS, ti, hit ? 0 : 2);
        if (!hit)
            add_miss(ev, NR_EVAL_TOPICS, false, (size_t)ti >= ev->n_config_topics, id);
    }
    for (size_t j = 0; j < t->n_topics; j++)
        if (!found[j]) {
            count(&ev->all, ls, NR_EVAL_TOPICS, (int)t->topics[j].topic, 1);
            add_miss(ev, NR_EVAL_TOPICS, true, false, ev->topic_ids[t->topics[j].topic]);
        }
    free(found);
}

static struct nr_eval_scores *lang_scores(struct nr_eval *ev, struct nr_str lang)
{
    const char *l = lang.p ? lang.p : "";
    size_t n = lang.p ? lang.len : 0;
    for (size_t i = 0; i < ev->n_langs; i++)
        if (strlen(ev->langs[i].lang) == n && memcmp(ev->langs[i].lang, l, n) == 0)
            return &ev->langs[i].s;
    ev->langs = nr_xrealloc(ev->langs, (ev->n_langs + 1) * sizeof(*ev->langs));
    struct nr_eval_lang *e = &ev->langs[ev->n_langs++];
    memset(e, 0, sizeof(*e));
    e->lang = nr_xstrndup(l, n);
    e->s.topic = nr_xcalloc(ev->n_topics + 1, sizeof(*e->s.topic));
    return &e->s;
}

int nr_eval_add(struct nr_eval *ev, const struct nr_article *a, const struct nr_tags *tags,
                const json_t *labels, struct nr_error *err)
{
    struct nr_eval_priv *p = ev->priv;
    if (check_labels(labels, err) < 0)
        return -1;
    struct nr_str id = a->field[NR_FIELD_ID];
    if (!ids_add(p, id.p, id.len)) {
        nr_error_set(err, "id \"%.*s\" seen before", (int)(id.len > 200 ? 200 : id.len), id.p);
        return -1;
    }
    nr_grow((void **)&ev->article_ids, &p->cap_articles, ev->n_articles + 1, sizeof(char *));
    ev->article_ids[ev->n_articles++] = nr_xstrndup(id.p, id.len);
    if (tags->lang_source == NR_LANG_DECLARED)
        ev->any_language = true;
    struct nr_str lang = {tags->lang, strlen(tags->lang)};
    struct nr_eval_scores *ls = lang_scores(ev, lang.len ? lang : (struct nr_str){NULL, 0});
    ev->all.articles++;
    ls->articles++;
    for (int k = 0; k < NR_EVAL_TOPICS; k++)
        score_entities(ev, ls, tags, labels, k);
    score_topics(ev, ls, tags, labels);
    return 0;
}

/* ---- floors --------------------------------------------------------------- */

double nr_eval_metric_value(const struct nr_eval *ev, const char *lang, int scope, int metric)
{
    const struct nr_eval_scores *s = lang ? NULL : &ev->all;
    for (size_t i = 0; i < ev->n_langs && !s; i++)
        if (strcmp(ev->langs[i].lang, lang) == 0)
            s = &ev->langs[i].s;
    if (!s)
        return NAN; /* no article of that language */
    const struct nr_eval_counts *c =
        scope < NR_EVAL_KINDS ? &s->kind[scope] : &s->topic[scope - NR_EVAL_KINDS];
    return metric == NR_EVAL_P   ? nr_eval_precision(c)
           : metric == NR_EVAL_R ? nr_eval_recall(c)
                                 : nr_eval_f1(c);
}

static int parse_scope_metric(const struct nr_eval *ev, const char *name, int *scope, int *metric)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return -1;
    const char *m = dot + 1;
    if (strcmp(m, "p") == 0)
        *metric = NR_EVAL_P;
    else if (strcmp(m, "r") == 0)
        *metric = NR_EVAL_R;
    else if (strcmp(m, "f1") == 0)
        *metric = NR_EVAL_F1;
    else
        return -1;
    size_t n = (size_t)(dot - name);
    for (int k = 0; k < NR_EVAL_KINDS; k++)
        if (strlen(nr_eval_kind_names[k]) == n && memcmp(nr_eval_kind_names[k], name, n) == 0) {
            *scope = k;
            return 0;
        }
    for (size_t t = 0; t < ev->n_topics; t++)
        if (strlen(ev->topic_ids[t]) == n && memcmp(ev->topic_ids[t], name, n) == 0) {
            *scope = NR_EVAL_KINDS + (int)t;
            return 0;
        }
    return -1;
}

/* SCOPE.METRIC or SCOPE.METRIC@LANG (a language tag of lang.h: 2-3 lower
 * case letters); *lang is malloc'ed, or NULL for every language. */
static int parse_metric(const struct nr_eval *ev, const char *name, int *scope, int *metric,
                        char **lang)
{
    const char *at = strchr(name, '@');
    *lang = NULL;
    if (at) {
        size_t n = strlen(at + 1);
        if (n < 2 || n > 3 || strspn(at + 1, "abcdefghijklmnopqrstuvwxyz") != n)
            return -1;
    }
    char *base = nr_xstrndup(name, at ? (size_t)(at - name) : strlen(name));
    int rc = parse_scope_metric(ev, base, scope, metric);
    free(base);
    if (rc == 0 && at)
        *lang = nr_xstrdup(at + 1);
    return rc;
}

/* One line without its newline; 0 ok or blank, -1 after a diagnostic. */
static int floors_line(struct nr_eval_floors *out, const struct nr_eval *ev, const char *file,
                       uint32_t lineno, const char *s, size_t n, struct nr_diags *diags)
{
    size_t i = 0, end = n;
    for (size_t k = 0; k < n; k++)
        if (s[k] == '#') {
            end = k;
            break;
        }
    while (i < end && isspace((unsigned char)s[i]))
        i++;
    if (i == end)
        return 0;
    size_t ms = i;
    while (i < end && !isspace((unsigned char)s[i]) && s[i] != ':' && s[i] != '=')
        i++;
    char *name = nr_xstrndup(s + ms, i - ms);
    while (i < end && isspace((unsigned char)s[i]))
        i++;
    if (i < end && (s[i] == ':' || s[i] == '=')) {
        i++;
        while (i < end && isspace((unsigned char)s[i]))
            i++;
    }
    size_t vs = i;
    while (i < end && !isspace((unsigned char)s[i]))
        i++;
    char *val = nr_xstrndup(s + vs, i - vs);
    while (i < end && isspace((unsigned char)s[i]))
        i++;
    int scope = 0, metric = 0;
    char *e = NULL, *lang = NULL;
    errno = 0;
    double v = *val ? strtod(val, &e) : 0;
    int rc = -1;
    if (parse_metric(ev, name, &scope, &metric, &lang) < 0)
        nr_diags_add(diags, file, lineno, (uint32_t)ms + 1,
                     "unknown metric '%s': want SCOPE.p, SCOPE.r or SCOPE.f1 (then @LANG for "
                     "one language), SCOPE one of countries, groups, officials, topics or a "
                     "topic id",
                     name);
    else if (!*val || errno || *e || !(v >= 0 && v <= 1))
        nr_diags_add(diags, file, lineno, (uint32_t)vs + 1,
                     "'%s': the floor must be a number from 0 to 1", val);
    else if (i < end)
        nr_diags_add(diags, file, lineno, (uint32_t)i + 1, "unexpected text after the floor");
    else
        rc = 0;
    for (size_t k = 0; rc == 0 && k < out->n; k++)
        if (strcmp(out->v[k].name, name) == 0) {
            nr_diags_add(diags, file, lineno, (uint32_t)ms + 1, "'%s' given twice", name);
            rc = -1;
        }
    if (rc == 0) {
        out->v = nr_xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
        out->v[out->n++] = (struct nr_eval_floor){name, lang, scope, metric, v, NAN, false};
        name = lang = NULL;
    }
    free(name);
    free(lang);
    free(val);
    return rc;
}

int nr_eval_floors_parse(struct nr_eval_floors *out, const struct nr_eval *ev, const char *file,
                         const char *buf, size_t len, struct nr_diags *diags)
{
    int rc = 0;
    uint32_t line = 0;
    for (size_t b = 0, i = 0; i <= len; i++) {
        if (i < len && buf[i] != '\n')
            continue;
        size_t n = i - b;
        if (n && buf[b + n - 1] == '\r')
            n--;
        if (floors_line(out, ev, file, ++line, buf + b, n, diags) < 0)
            rc = -1;
        b = i + 1;
    }
    return rc;
}

size_t nr_eval_floors_check(struct nr_eval_floors *f, const struct nr_eval *ev)
{
    size_t below = 0;
    for (size_t i = 0; i < f->n; i++) {
        struct nr_eval_floor *x = &f->v[i];
        x->value = nr_eval_metric_value(ev, x->lang, x->scope, x->metric);
        x->below = !isnan(x->value) && x->value < x->min - 1e-12;
        below += x->below;
    }
    return below;
}

void nr_eval_floors_free(struct nr_eval_floors *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].lang);
    }
    free(f->v);
    f->v = NULL;
    f->n = 0;
}
