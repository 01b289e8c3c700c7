/*
 * config_rules.c - rule files: topics (queries, phrases, exclusions) and
 * alert rules (windows, thresholds, severities); the tables are sec_topic,
 * sec_alert and their subsections in config.c.
 *
 * Queries are parsed here (query.c) so that a syntax error is reported at
 * its place in the YAML scalar. Topic references and entity kinds are
 * checked after every rule file is read (cfg_check_rules).
 */
#include "config_int.h"
#include "newsradar/lang.h"
#include "newsradar/query.h"
#include "newsradar/stem.h"

#include <stdlib.h>
#include <string.h>

/* A parse error of a query or exclusion phrase, at its place in the file. */
static void query_error(struct cm_ctx *c, const struct cy_node *n, const char *key,
                        const struct nr_query_error *qe)
{
    uint32_t line, col;
    cy_scalar_pos(n, qe->off, &line, &col);
    nr_diags_add(c->d, c->file, line, col, "%s: %s", key, qe->msg);
}

static struct nr_query **parse_phrases(struct cm_ctx *c, const struct nr_strlist *l,
                                       const struct cy_node *seq, const char *key)
{
    struct nr_query **v = nr_xcalloc(l->n + 1, sizeof(*v));
    for (size_t k = 0; k < l->n; k++) {
        struct nr_query_error qe;
        v[k] = nr_query_parse_phrase(l->v[k], strlen(l->v[k]), &qe);
        if (!v[k] && seq && seq->type == CY_SEQ && seq->n == l->n)
            query_error(c, seq->items[k], key, &qe);
        else if (!v[k])
            ERR(c, seq, "%s: %s", key, qe.msg);
    }
    return v;
}

static void parse_signal(struct cm_ctx *c, struct nr_topic *t, const struct cy_node *n)
{
    struct nr_topic_signal *sg = &t->signals[t->n_signals];
    memset(sg, 0, sizeof(*sg));
    const struct cy_node *qn = n;
    if (n->type == CY_MAP) {
        const struct cy_node *seen[MAX_OPTS];
        if (cm_parse_section(c, n, &sec_signal, sg, seen, n) > 0) {
            free(sg->q);
            return;
        }
        qn = seen[cm_opt_idx(&sec_signal, "q")];
    } else if (n->type == CY_SCALAR) {
        sg->q = cm_get_string(c, n, "query", true);
        sg->weight = 1;
    } else {
        cm_type_error(c, n, "query", "string or {q, weight}");
        return;
    }
    if (!sg->q)
        return;
    struct nr_query_error qe;
    sg->query = nr_query_parse(sg->q, strlen(sg->q), &qe);
    if (!sg->query) {
        query_error(c, qn, "query", &qe);
        free(sg->q);
        return;
    }
    sg->pos = cm_srcpos(c, qn);
    t->n_signals++;
}

/* `query:` (a string or a list of strings and {q, weight}), `threshold`
 * against its old name, exclusions and the stemming language. */
static void parse_topic_query(struct cm_ctx *c, struct nr_topic *t, const struct cy_node **ts,
                              const struct section *sec)
{
    const struct cy_node *qn = ts[cm_opt_idx(sec, "query")];
    if (qn && !cm_is_null(qn)) {
        size_t n = qn->type == CY_SEQ ? qn->n : 1;
        t->signals = nr_xcalloc(n + 1, sizeof(*t->signals));
        if (qn->type == CY_SEQ) {
            for (size_t i = 0; i < qn->n; i++)
                parse_signal(c, t, qn->items[i]);
        } else {
            parse_signal(c, t, qn); /* a string, or one {q, weight} */
        }
    }
    if (sec == &sec_topic) {
        const struct cy_node *th = ts[cm_opt_idx(sec, "threshold")];
        const struct cy_node *ms = ts[cm_opt_idx(sec, "min_score")];
        if (th && ms)
            ERR(c, ms, "give `threshold` or its old name `min_score`, not both");
    }
    t->exclude_q = parse_phrases(c, &t->exclude, ts[cm_opt_idx(sec, "exclude")], "exclude");
    const struct cy_node *en = ts[cm_opt_idx(sec, "exclude_near")];
    const struct cy_node *ent = NULL;
    for (size_t i = 0; en && en->type == CY_MAP && i + 1 < en->n; i += 2) {
        if (en->items[i]->type != CY_SCALAR)
            continue;
        if (strcmp(en->items[i]->str, "terms") == 0)
            ent = en->items[i + 1];
        else if (sec != &sec_topic && strcmp(en->items[i]->str, "past_years") == 0)
            ERR(c, en->items[i],
                "past_years: set it on the topic (it masks the years in every "
                "language), not in `extend:`");
    }
    t->exclude_near.q = parse_phrases(c, &t->exclude_near.terms, ent, "exclude_near");
    t->stem_lang = -1;
    if (sec == &sec_topic && t->language && strcmp(t->language, "none") != 0) {
        t->stem_lang = nr_stem_lang(t->language);
        if (t->stem_lang < 0)
            ERR(c, ts[cm_opt_idx(&sec_topic, "language")],
                "language: no Snowball stemmer for \"%s\" (ISO 639-1 code such as en, fr, es, "
                "de, ru, ar, tr, pt; or none)",
                t->language);
    }
}

static void parse_topic(struct cm_ctx *c, const struct cy_node *item)
{
    struct nr_config *cfg = c->cfg;
    struct nr_topic *t = cm_list_add(c, item, "topics item", (void **)&cfg->topics, &cfg->n_topics,
                                     &c->cap_topics, sizeof(*cfg->topics));
    if (!t)
        return;
    size_t idx = cfg->n_topics - 1;
    t->min_score = 1; /* threshold and min_score share it: no table default */
    const struct cy_node *ts[MAX_OPTS];
    cm_parse_section(c, item, &sec_topic, t, ts, item);
    const struct cy_node *id_n = ts[cm_opt_idx(&sec_topic, "id")];
    t->pos = cm_srcpos(c, id_n ? id_n : item);
    if (!t->name && t->id)
        t->name = nr_xstrdup(t->id);
    const struct cy_node *near = ts[cm_opt_idx(&sec_topic, "near")];
    if (near && !cm_is_null(near)) {
        if (near->type != CY_SEQ) {
            cm_type_error(c, near, "near", "sequence");
        } else {
            t->near = nr_xcalloc(near->n + 1, sizeof(*t->near));
            for (size_t i = 0; i < near->n; i++) {
                const struct cy_node *it = near->items[i];
                if (it->type != CY_MAP) {
                    cm_type_error(c, it, "near item", "mapping");
                    continue;
                }
                cm_parse_section(c, it, &sec_near, &t->near[t->n_near++], NULL, it);
            }
        }
    }
    parse_topic_query(c, t, ts, &sec_topic);
    if (t->any.n == 0 && t->n_near == 0 && t->n_signals == 0 &&
        !(near && near->type == CY_SEQ && near->n > 0) && !ts[cm_opt_idx(&sec_topic, "query")])
        ERR(c, item, "topic \"%s\" has no phrases (give `query:`, `any:` or `near:`)",
            t->id ? t->id : "?");
    size_t first = cm_claim_id(&c->topic_ids, t->id, idx);
    if (first != (size_t)-1)
        cm_dup_id(c, id_n, "topic", t->id, &cfg->topics[first].pos);
}

static const struct cy_node *at_or(const struct cy_node *n, const struct cy_node *dflt)
{
    return n ? n : dflt;
}

/* A language value of the configuration, normalized like an article's
 * (lang.h): "fr", "fr-FR", "French" -> "fr". NULL (and an error) if it
 * names no language. */
static char *lang_value(struct cm_ctx *c, const struct cy_node *n, const char *v, const char *key)
{
    char tag[NR_LANG_TAG_MAX];
    if (nr_lang_normalize(v, strlen(v), tag) < 0) {
        ERR(c, n,
            "%s: \"%s\" is not a language (an ISO 639-1 code such as fr, ar, zh, or a "
            "language's name)",
            key, v);
        return NULL;
    }
    return nr_xstrdup(tag);
}

/* An item of `extend:`: a topic's terms in one language (file_lang: the
 * file's `language:` value and its node, NULL if none). */
static void parse_extend(struct cm_ctx *c, const struct cy_node *item, const char *file_lang,
                         const struct cy_node *file_lang_n)
{
    if (item->type != CY_MAP) {
        cm_type_error(c, item, "extend item", "mapping");
        return;
    }
    struct nr_topic t;
    memset(&t, 0, sizeof(t));
    const struct cy_node *ts[MAX_OPTS];
    cm_parse_section(c, item, &sec_extend, &t, ts, item);
    const struct cy_node *id_n = ts[cm_opt_idx(&sec_extend, "topic")];
    const struct cy_node *ln = ts[cm_opt_idx(&sec_extend, "language")];
    t.pos = cm_srcpos(c, id_n ? id_n : item);
    parse_topic_query(c, &t, ts, &sec_extend);
    const char *lv = t.language ? t.language : file_lang;
    char *tag = NULL;
    if (!lv)
        ERR(c, item, "extend: no language (give `language:` here or at the top of the file)");
    else
        tag = lang_value(c, ln ? ln : file_lang_n ? file_lang_n : item, lv, "language");
    free(t.language);
    t.language = tag;
    t.stem_lang = tag ? nr_stem_lang(tag) : -1; /* -1: no stemmer (ur, fa, zh): exact words */
    if (t.n_signals == 0 && !ts[cm_opt_idx(&sec_extend, "query")])
        ERR(c, item, "extend of topic \"%s\" has no `query:`", t.id ? t.id : "?");
    nr_grow((void **)&c->ext, &c->cap_ext, c->n_ext + 1, sizeof(*c->ext));
    c->ext[c->n_ext++] = t;
}

/* ms as a duration for a message ("90s"), in buf. */
static const char *dur(int64_t ms, char buf[32])
{
    nr_duration_format(ms, buf, 32);
    return buf;
}

static void parse_alert(struct cm_ctx *c, const struct cy_node *item)
{
    struct nr_config *cfg = c->cfg;
    struct nr_alert_rule *r = cm_list_add(c, item, "alerts item", (void **)&cfg->rules,
                                          &cfg->n_rules, &c->cap_rules, sizeof(*cfg->rules));
    if (!r)
        return;
    size_t idx = cfg->n_rules - 1;
    r->topic_index = -1;
    const struct cy_node *rs[MAX_OPTS];
    int errs = cm_parse_section(c, item, &sec_alert, r, rs, item);
#define RS(k) at_or(rs[cm_opt_idx(&sec_alert, k)], item)
    const struct cy_node *id_n = RS("id");
    r->pos = cm_srcpos(c, id_n);
    if (r->topic)
        cm_pos_set(&c->topic_pos, &c->cap_topic, idx, cm_srcpos(c, RS("topic")));
    if (r->by.n)
        cm_pos_set(&c->by_pos, &c->cap_by, idx, cm_srcpos(c, RS("by")));
    size_t first = cm_claim_id(&c->rule_ids, r->id, idx);
    if (first != (size_t)-1)
        cm_dup_id(c, id_n, "alert rule", r->id, &cfg->rules[first].pos);
    const struct cy_node *lsn = rs[cm_opt_idx(&sec_alert, "languages")];
    for (size_t k = 0; k < r->languages.n; k++) {
        const struct cy_node *at = lsn && lsn->type == CY_SEQ && lsn->n == r->languages.n
                                       ? lsn->items[k]
                                       : RS("languages");
        char *tag = lang_value(c, at, r->languages.v[k], "languages");
        if (tag) {
            free(r->languages.v[k]);
            r->languages.v[k] = tag;
        }
    }
    if (errs)
        return; /* the checks below would only repeat a bad value */
    char a[32], b[32];
    if (r->window_ms % r->bucket_ms != 0) {
        ERR(c, RS("window"), "window (%s) is not a multiple of bucket (%s)", dur(r->window_ms, a),
            dur(r->bucket_ms, b));
    } else if (r->window_ms / r->bucket_ms > NR_RULE_MAX_BUCKETS) {
        ERR(c, RS("bucket"), "window (%s) / bucket (%s) is %lld buckets, at most %d per key",
            dur(r->window_ms, a), dur(r->bucket_ms, b), (long long)(r->window_ms / r->bucket_ms),
            NR_RULE_MAX_BUCKETS);
    }
    if (r->baseline_ms <= r->window_ms) {
        ERR(c, RS("baseline"), "baseline (%s) must be longer than window (%s)",
            dur(r->baseline_ms, a), dur(r->window_ms, b));
    } else if (r->baseline_ms % r->baseline_bucket_ms != 0) {
        ERR(c, RS("baseline"), "baseline (%s) is not a multiple of baseline_bucket (%s)",
            dur(r->baseline_ms, a), dur(r->baseline_bucket_ms, b));
    } else if (r->baseline_ms / r->baseline_bucket_ms > NR_RULE_MAX_BUCKETS) {
        ERR(c, RS("baseline_bucket"),
            "baseline (%s) / baseline_bucket (%s) is %lld buckets, at most %d per key",
            dur(r->baseline_ms, a), dur(r->baseline_bucket_ms, b),
            (long long)(r->baseline_ms / r->baseline_bucket_ms), NR_RULE_MAX_BUCKETS);
    }
    r->season = NR_SEASON_NONE;
    r->score =
        r->score_name && strcmp(r->score_name, "negbin") == 0 ? NR_SCORE_NEGBIN : NR_SCORE_POISSON;
    if (r->seasonality && strcmp(r->seasonality, "none") != 0) {
        r->season = strcmp(r->seasonality, "weekly") == 0 ? NR_SEASON_WEEKLY : NR_SEASON_DAILY;
        int64_t period = r->season == NR_SEASON_WEEKLY ? 7 * 86400000LL : 86400000LL;
        if (period % r->baseline_bucket_ms != 0)
            ERR(c, RS("seasonality"),
                "seasonality: %s needs a baseline_bucket that divides the %s (not %s)",
                r->seasonality, r->season == NR_SEASON_WEEKLY ? "week" : "day",
                dur(r->baseline_bucket_ms, b));
        else if (r->baseline_ms < period)
            ERR(c, RS("seasonality"), "seasonality: %s needs a baseline of at least %s",
                r->seasonality, r->season == NR_SEASON_WEEKLY ? "7d" : "1d");
    }
    if (r->min_ratio == 0 && r->max_p == 0)
        r->min_ratio = 3.0;
    double base = r->min_ratio > 0 ? r->min_ratio : 3.0;
    for (int s = NR_SEV_MEDIUM; s <= NR_SEV_CRITICAL; s++)
        if (r->severity_ratio[s] == 0)
            r->severity_ratio[s] = base * (double)(1 << (s - NR_SEV_MEDIUM + 1));
    if (!(r->severity_ratio[NR_SEV_MEDIUM] <= r->severity_ratio[NR_SEV_HIGH] &&
          r->severity_ratio[NR_SEV_HIGH] <= r->severity_ratio[NR_SEV_CRITICAL]))
        ERR(c, RS("severity"),
            "severity: thresholds must not decrease (medium %g, high %g, critical %g)",
            r->severity_ratio[NR_SEV_MEDIUM], r->severity_ratio[NR_SEV_HIGH],
            r->severity_ratio[NR_SEV_CRITICAL]);
#undef RS
}

void cfg_load_rules(struct cm_ctx *c, const struct cy_doc *doc)
{
    struct cy_node empty = {.type = CY_MAP, .line = 1, .col = 1};
    const struct cy_node *root = cm_doc_root(c, doc, &empty);
    if (!root)
        return;
    const struct cy_node *seen[MAX_OPTS];
    cm_parse_section(c, root, &sec_rulefile, NULL, seen, root);
    const struct cy_node *ln = seen[cm_opt_idx(&sec_rulefile, "language")];
    char *file_lang = ln && !cm_is_null(ln) ? cm_get_string(c, ln, "language", true) : NULL;
    static const char *const lists[] = {"topics", "alerts", "extend"};
    for (int w = 0; w < 3; w++) {
        const struct cy_node *l = seen[cm_opt_idx(&sec_rulefile, lists[w])];
        if (!l || cm_is_null(l))
            continue;
        if (l->type != CY_SEQ) {
            cm_type_error(c, l, lists[w], "sequence");
            continue;
        }
        for (size_t i = 0; i < l->n; i++) {
            if (w == 0)
                parse_topic(c, l->items[i]);
            else if (w == 1)
                parse_alert(c, l->items[i]);
            else
                parse_extend(c, l->items[i], file_lang, ln);
        }
    }
    free(file_lang);
}

/* After every rule file: each `extend:` item joins its topic's langs. */
static void attach_extensions(struct cm_ctx *c)
{
    struct nr_config *cfg = c->cfg;
    for (size_t i = 0; i < c->n_ext; i++) {
        struct nr_topic *x = &c->ext[i];
        size_t *slot = x->id ? cm_strmap_slot(&c->topic_ids, x->id, false) : NULL;
        if (!slot) {
            if (x->id)
                nr_diags_add(c->d, x->pos.file, x->pos.line, x->pos.col,
                             "topic: unknown topic \"%s\"", x->id);
            cfg_topic_free(x);
            continue;
        }
        struct nr_topic *t = &cfg->topics[*slot];
        t->langs = nr_xrealloc(t->langs, (t->n_langs + 1) * sizeof(*t->langs));
        t->langs[t->n_langs++] = *x;
    }
    free(c->ext);
    c->ext = NULL;
    c->n_ext = c->cap_ext = 0;
}

void cfg_topic_free(struct nr_topic *t)
{
    free(t->id);
    free(t->name);
    cm_strlist_free(&t->any);
    for (size_t k = 0; t->exclude_q && k < t->exclude.n; k++)
        nr_query_free(t->exclude_q[k]);
    free(t->exclude_q);
    for (size_t k = 0; t->exclude_near.q && k < t->exclude_near.terms.n; k++)
        nr_query_free(t->exclude_near.q[k]);
    free(t->exclude_near.q);
    cm_strlist_free(&t->exclude_near.terms);
    cm_strlist_free(&t->exclude);
    for (size_t k = 0; k < t->n_signals; k++) {
        free(t->signals[k].q);
        nr_query_free(t->signals[k].query);
    }
    free(t->signals);
    free(t->language);
    for (size_t k = 0; k < t->n_near; k++) {
        cm_strlist_free(&t->near[k].terms);
        cm_strlist_free(&t->near[k].with);
    }
    free(t->near);
    for (size_t k = 0; k < t->n_langs; k++)
        cfg_topic_free(&t->langs[k]);
    free(t->langs);
}

/* After every rule file: topic references and entity kinds. */
void cfg_check_rules(struct cm_ctx *c)
{
    struct nr_config *cfg = c->cfg;
    struct cm_strmap kinds = {0};
    for (size_t i = 0; i < cfg->n_entities; i++)
        if (cfg->entities[i].kind)
            *cm_strmap_slot(&kinds, cfg->entities[i].kind, true) = i;
    for (size_t i = 0; i < cfg->n_rules; i++) {
        struct nr_alert_rule *r = &cfg->rules[i];
        /* a rule id is part of every window key and Kafka message key */
        if (r->id && strlen(r->id) > NR_RULE_ID_MAX)
            nr_diags_add(c->d, r->pos.file, r->pos.line, r->pos.col,
                         "id: rule id \"%.40s...\" is %zu bytes, at most %d", r->id, strlen(r->id),
                         NR_RULE_ID_MAX);
        if (r->topic && i < c->cap_topic && c->topic_pos[i].set) {
            size_t *slot = cm_strmap_slot(&c->topic_ids, r->topic, false);
            if (slot) {
                r->topic_index = (int)*slot;
            } else {
                const struct nr_srcpos *p = &c->topic_pos[i].pos;
                nr_diags_add(c->d, p->file, p->line, p->col, "topic: unknown topic \"%s\"",
                             r->topic);
            }
        }
        /* without entities (no watchlist read) every kind would be unknown */
        if (cfg->n_entities > 0 && i < c->cap_by && c->by_pos[i].set) {
            for (size_t k = 0; k < r->by.n; k++) {
                if (cm_strmap_slot(&kinds, r->by.v[k], false))
                    continue;
                if (strcmp(r->by.v[k], "official") == 0 &&
                    cfg->lex.roles.n + cfg->lex.weak_roles.n > 0)
                    continue; /* officials found by their role */
                const struct nr_srcpos *p = &c->by_pos[i].pos;
                nr_diags_add(c->d, p->file, p->line, p->col, "by: no entity has kind \"%s\"",
                             r->by.v[k]);
            }
        }
    }
    cm_strmap_free(&kinds);
    attach_extensions(c);
}
