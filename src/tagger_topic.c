/*
 * tagger_topic.c - topic terms: compiled into the tagger's one automaton and
 * verified where the automaton finds them (tagger_int.h, tagger_topic.h).
 *
 * Stemming without stemming the article. Every word of every article would
 * cost a Snowball call (~100-300 ns) per word, more than the whole scan.
 * Instead each stemmed query word puts one pattern into the automaton: the
 * prefix its inflections share, i.e. the common prefix of the word and its
 * stem, less a final 'e' in English (bomb -> "bomb"; close, stem "close" ->
 * "clos" for closing; try, stem "tri" -> "tr"). A match of that prefix at the
 * start of a text word is only a candidate: the whole text word is taken and
 * stemmed, and counts when its stem equals the query word's. So only words
 * that start like a query word are stemmed (a few per article), at the
 * price of a candidate per word sharing the prefix ("closet" for close).
 * Outside English the stemmers read accents (French fermée -> ferm), so
 * there both the query word and the candidate are stemmed as written
 * (the candidate's original bytes, through the offset map) and the stems
 * compared normalized (stem.h, nr_stem_word_folded); the prefix pattern is
 * taken from the normalized word and that normalized stem.
 * Prefixes shorter than 3 characters would make every other word a
 * candidate: such words (and English function words: the, of, with...) are
 * matched exactly, as is a word written =word. A wildcard (clos*) is the
 * prefix pattern without the stem test.
 *
 * A phrase puts only its anchor word (the longest pattern) in the
 * automaton; the other words are checked in place, walking to the next or
 * previous word of the normalized text, where consecutive words are one
 * space apart (hyphens and dashes normalize to spaces). So "the" in "attack
 * on the embassy" costs nothing until "embassy" is found. Legacy `any` and
 * `near` phrases are literal patterns with word boundaries, as before.
 *
 * Cost per article: the scan (shared with aliases) + per candidate a word
 * walk, a stem for W_STEM anchors (cached for the refs of one pattern), and
 * a few byte compares per phrase word.
 */
#include "tagger_topic.h"

#include <stdio.h>
#include <string.h>

/* ---- build ---------------------------------------------------------------- */

static const char *const en_stop[] = {
    "the",   "and",  "for",  "with",  "from",  "into",  "this",  "that",  "was",   "were",
    "are",   "has",  "had",  "have",  "its",   "their", "his",   "her",   "our",   "not",
    "but",   "who",  "whom", "which", "will",  "would", "been",  "being", "after", "over",
    "under", "than", "then", "there", "they",  "them",  "these", "those", "off",   "out",
    "upon",  "onto", "via",  "per",   "while", "also",  "all",   "any",   "can",   "may",
};

static bool en_stopword(const char *s, size_t n)
{
    for (size_t i = 0; i < NR_ARRAY_LEN(en_stop); i++)
        if (strlen(en_stop[i]) == n && memcmp(en_stop[i], s, n) == 0)
            return true;
    return false;
}

static bool all_word_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (!nr_text_word_at(s, n, i))
            return false;
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return n > 0;
}

static bool ascii_letters(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z'))
            return false;
    return true;
}

static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static uint32_t add_word(struct nr_topics *tp, enum tword_mode mode, const char *s, size_t len)
{
    nr_grow((void **)&tp->words, &tp->cap_words, tp->n_words + 1, sizeof(*tp->words));
    struct tword *w = &tp->words[tp->n_words];
    memset(w, 0, sizeof(*w));
    w->mode = (uint8_t)mode;
    w->s = nr_xstrndup(s, len);
    w->len = (uint32_t)len;
    return (uint32_t)tp->n_words++;
}

/* A word of a query phrase: choose how it is matched. */
static void add_qword(struct nr_topics *tp, struct nr_stem *st, int lang, const struct nr_qword *qw)
{
    if (qw->wildcard) {
        add_word(tp, W_PREFIX, qw->norm, qw->len);
        return;
    }
    if (qw->exact) {
        add_word(tp, all_word_chars(qw->norm, qw->len) ? W_EXACT : W_LIT, qw->norm, qw->len);
        return;
    }
    if (!all_word_chars(qw->norm, qw->len)) {
        add_word(tp, W_LIT, qw->norm, qw->len);
        return;
    }
    const char *en = nr_stem_lang_name(lang);
    bool english = en && strcmp(en, "english") == 0;
    if (lang < 0 || chars(qw->norm, qw->len) < 3 || (english && en_stopword(qw->norm, qw->len)) ||
        (english && !ascii_letters(qw->norm, qw->len))) {
        add_word(tp, W_EXACT, qw->norm, qw->len);
        return;
    }
    size_t sl;
    const char *stem = nr_stem_reads_marks(lang) && qw->raw
                           ? nr_stem_word_folded(st, lang, qw->raw, qw->raw_len, &sl)
                           : nr_stem_word(st, lang, qw->norm, qw->len, &sl);
    size_t p = 0;
    while (p < sl && p < qw->len && stem[p] == qw->norm[p])
        p++;
    if (english && p > 0 && qw->norm[p - 1] == 'e')
        p--; /* close -> closing */
    else if (!english && p == qw->len && p > 0)
        p--; /* other languages rewrite the last letter more often */
    while (p > 0 && ((unsigned char)qw->norm[p] & 0xC0) == 0x80)
        p--; /* never cut a character */
    if (chars(qw->norm, p) < 3) {
        add_word(tp, W_EXACT, qw->norm, qw->len);
        return;
    }
    uint32_t id = add_word(tp, W_STEM, qw->norm, p);
    tp->words[id].stem = nr_xstrndup(stem, sl);
    tp->words[id].stem_len = (uint32_t)sl;
}

static uint32_t new_term(struct nr_topics *tp, uint32_t topic, uint8_t role, int lang,
                         const char *text)
{
    nr_grow((void **)&tp->terms, &tp->cap_terms, tp->n_terms + 1, sizeof(*tp->terms));
    struct tterm *t = &tp->terms[tp->n_terms];
    memset(t, 0, sizeof(*t));
    t->topic = topic;
    t->role = role;
    t->set = tp->cur_set;
    t->lang = lang;
    t->text = text;
    t->w0 = (uint32_t)tp->n_words;
    return (uint32_t)tp->n_terms++;
}

/* Close a term: choose its anchor and hand the pattern over. */
static void end_term(struct nr_topics *tp, uint32_t id, struct nr_pattern_sink *sink)
{
    struct tterm *t = &tp->terms[id];
    t->nw = (uint32_t)tp->n_words - t->w0;
    uint32_t best = 0;
    for (uint32_t k = 1; k < t->nw; k++)
        if (tp->words[t->w0 + k].len > tp->words[t->w0 + best].len)
            best = k;
    t->anchor = best;
    const struct tword *w = &tp->words[t->w0 + best];
    sink->add(sink->ctx, w->s, w->len, id, w->mode == W_PREFIX || w->mode == W_STEM);
    struct ttopic *tt = &tp->topics[t->topic];
    uint32_t span = t->nw;
    if (t->nw == 1 && w->mode == W_LIT) /* a legacy phrase: its spaces */
        for (uint32_t i = 0; i < w->len; i++)
            span += w->s[i] == ' ';
    if (span > tt->maxw)
        tt->maxw = span;
}

static uint32_t add_query_term(struct nr_topics *tp, struct nr_stem *st, uint32_t topic,
                               uint8_t role, int lang, const struct nr_query *q, uint32_t k,
                               struct nr_pattern_sink *sink)
{
    const struct nr_qterm *qt = &q->terms[k];
    uint32_t id = new_term(tp, topic, role, lang, qt->text);
    for (uint32_t w = 0; w < qt->n_words; w++)
        add_qword(tp, st, lang, &q->words[qt->first_word + w]);
    end_term(tp, id, sink);
    return id;
}

/* A legacy phrase: one literal pattern, normalized like an alias. */
static int add_literal(struct nr_topics *tp, struct nr_text *norm, uint32_t topic, const char *text,
                       struct nr_pattern_sink *sink, struct nr_error *err)
{
    nr_text_normalize(norm, text, strlen(text), 0);
    size_t a = 0, e = norm->len;
    while (a < e && norm->buf[a] == ' ')
        a++;
    while (e > a && norm->buf[e - 1] == ' ')
        e--;
    if (e == a) {
        nr_error_set(err, "topic %s: phrase \"%s\" is empty after normalization",
                     tp->cfg->topics[topic].id, text);
        return -1;
    }
    uint32_t id = new_term(tp, topic, R_POS, -1, text);
    add_word(tp, W_LIT, norm->buf + a, e - a);
    end_term(tp, id, sink);
    return (int)id;
}

static struct tsig *new_sig(struct nr_topics *tp, uint8_t kind, uint32_t topic, double weight,
                            const char *text)
{
    nr_grow((void **)&tp->sigs, &tp->cap_sigs, tp->n_sigs + 1, sizeof(*tp->sigs));
    struct tsig *g = &tp->sigs[tp->n_sigs++];
    memset(g, 0, sizeof(*g));
    g->kind = kind;
    g->set = tp->cur_set;
    g->topic = topic;
    g->weight = weight;
    g->text = text;
    return g;
}

static uint32_t pool_push(struct nr_topics *tp, uint32_t v)
{
    nr_grow((void **)&tp->pool, &tp->cap_pool, tp->n_pool + 1, sizeof(*tp->pool));
    tp->pool[tp->n_pool] = v;
    return (uint32_t)tp->n_pool++;
}

/* Pool entry of a NEAR node's operands: [na, a..., nb, b...]. */
static uint32_t near_lists(struct nr_topics *tp, const struct nr_query *q, uint32_t node,
                           uint32_t base)
{
    uint32_t off = (uint32_t)tp->n_pool;
    const struct nr_qnode *n = &q->nodes[node];
    for (int side = 0; side < 2; side++) {
        uint32_t child = q->kids[n->first + side];
        size_t cnt = nr_query_operand_terms(q, child, NULL, 0);
        uint32_t *tmp = nr_xcalloc(cnt + 1, sizeof(uint32_t));
        nr_query_operand_terms(q, child, tmp, cnt);
        pool_push(tp, (uint32_t)cnt);
        for (size_t i = 0; i < cnt; i++)
            pool_push(tp, base + tmp[i]);
        free(tmp);
    }
    return off;
}

/* Mark the terms under node (under a NOT) as negated: an exclusion masks
 * the evidence for a topic, never the evidence against it ("AND NOT (gas
 * leak)" sees "gas leak" even when exclude_near lists it too). */
static void mark_negated(struct nr_topics *tp, const struct nr_query *q, uint32_t node,
                         uint32_t base, bool under_not)
{
    const struct nr_qnode *n = &q->nodes[node];
    if (n->op == NR_QOP_TERM) {
        if (under_not)
            tp->terms[base + n->arg].negated = true;
        return;
    }
    for (uint32_t k = 0; k < n->n; k++)
        mark_negated(tp, q, q->kids[n->first + k], base, under_not || n->op == NR_QOP_NOT);
}

static void add_query_signal(struct nr_topics *tp, struct nr_stem *st, uint32_t topic,
                             const struct nr_topic_signal *sg, int lang,
                             struct nr_pattern_sink *sink)
{
    const struct nr_query *q = sg->query;
    uint32_t base = (uint32_t)tp->n_terms;
    for (uint32_t k = 0; k < q->n_terms; k++)
        add_query_term(tp, st, topic, R_POS, lang, q, k, sink);
    mark_negated(tp, q, q->root, base, false);
    struct tsig *g = new_sig(tp, S_QUERY, topic, sg->weight, sg->q);
    g->q = q;
    g->term = base;
    g->near_of = nr_xcalloc(q->n_nodes + 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < q->n_nodes; i++)
        if (q->nodes[i].op == NR_QOP_NEAR)
            g->near_of[i] = near_lists(tp, q, i, base);
}

/* Configs built by code (tests, benchmarks) may leave the parsed exclusion
 * phrases out: parse them here. */
static const struct nr_query *own_phrase(struct nr_topics *tp, const char *text)
{
    struct nr_query_error qe;
    struct nr_query *q = nr_query_parse_phrase(text, strlen(text), &qe);
    if (q) {
        nr_grow((void **)&tp->owned, &tp->cap_owned, tp->n_owned + 1, sizeof(*tp->owned));
        tp->owned[tp->n_owned++] = q;
    }
    return q;
}

/* The index of a language code in tp->codes, added if new; -1 for "". */
static int code_index(struct nr_topics *tp, const char *code, bool add)
{
    if (!code || !*code)
        return -1;
    for (size_t i = 0; i < tp->n_codes; i++)
        if (strcmp(tp->codes[i], code) == 0)
            return (int)i;
    if (!add || strlen(code) >= NR_LANG_TAG_MAX)
        return -1;
    nr_grow((void **)&tp->codes, &tp->cap_codes, tp->n_codes + 1, sizeof(*tp->codes));
    memcpy(tp->codes[tp->n_codes], code, strlen(code) + 1);
    return (int)tp->n_codes++;
}

/* The exclusions of one language set of topic i (t: the topic or one of
 * its `extend:` items). */
static int add_exclusions(struct nr_topics *tp, struct nr_stem *st, uint32_t i,
                          const struct nr_topic *t, struct nr_pattern_sink *sink,
                          struct nr_error *err)
{
    for (int x = 0; x < 2; x++) {
        const struct nr_strlist *l = x ? &t->exclude_near.terms : &t->exclude;
        struct nr_query *const *pq = x ? t->exclude_near.q : t->exclude_q;
        for (size_t k = 0; k < l->n; k++) {
            const struct nr_query *q = pq ? pq[k] : own_phrase(tp, l->v[k]);
            if (!q) {
                nr_error_set(err, "topic %s: exclusion \"%s\" is not a phrase", t->id, l->v[k]);
                return -1;
            }
            uint32_t id =
                add_query_term(tp, st, i, x ? R_EXCL_NEAR : R_EXCL, t->stem_lang, q, 0, sink);
            tp->terms[id].within = t->exclude_near.within;
        }
    }
    return 0;
}

/* The language sets of topic i: set 0 is the topic's own language, then
 * one per other language of its extensions (tagger_topic.h). */
static int add_lang_sets(struct nr_topics *tp, struct nr_stem *st, uint32_t i,
                         struct nr_pattern_sink *sink, struct nr_error *err)
{
    const struct nr_topic *t = &tp->cfg->topics[i];
    char own[NR_LANG_TAG_MAX] = "";
    if (t->language && strcmp(t->language, "none") != 0)
        nr_lang_normalize(t->language, strlen(t->language), own);
    char seen[MAX_SETS][NR_LANG_TAG_MAX];
    size_t n_seen = 1;
    memcpy(seen[0], own, sizeof(own));
    for (size_t k = 0; k < t->n_langs; k++) {
        const struct nr_topic *x = &t->langs[k];
        const char *code = x->language ? x->language : "";
        size_t set = 0;
        while (set < n_seen && strcmp(seen[set], code) != 0)
            set++;
        if (set == n_seen) {
            if (n_seen == MAX_SETS) {
                nr_error_set(err, "topic %s: more than %d languages", t->id, MAX_SETS);
                return -1;
            }
            snprintf(seen[n_seen++], NR_LANG_TAG_MAX, "%s", code);
        }
        tp->cur_set = (uint8_t)set;
        for (size_t j = 0; j < x->n_signals; j++)
            add_query_signal(tp, st, i, &x->signals[j], x->stem_lang, sink);
        if (add_exclusions(tp, st, i, x, sink, err) < 0)
            return -1;
    }
    tp->cur_set = 0;
    for (size_t k = 0; k < n_seen; k++)
        code_index(tp, seen[k], true);
    struct ttopic *tt = &tp->topics[i];
    tt->n_seen = (uint32_t)n_seen;
    tt->seen = nr_xcalloc(n_seen, sizeof(*tt->seen));
    memcpy(tt->seen, seen, n_seen * sizeof(*seen));
    return 0;
}

static int add_topic(struct nr_topics *tp, struct nr_stem *st, struct nr_text *norm, uint32_t i,
                     struct nr_pattern_sink *sink, struct nr_error *err)
{
    const struct nr_topic *t = &tp->cfg->topics[i];
    struct ttopic *tt = &tp->topics[i];
    tt->sig0 = (uint32_t)tp->n_sigs;
    int lang = t->stem_lang;
    tp->cur_set = 0;
    for (size_t k = 0; k < t->n_signals; k++)
        add_query_signal(tp, st, i, &t->signals[k], lang, sink);
    for (size_t k = 0; k < t->any.n; k++) {
        int id = add_literal(tp, norm, i, t->any.v[k], sink, err);
        if (id < 0)
            return -1;
        new_sig(tp, S_TERM, i, 1, t->any.v[k])->term = (uint32_t)id;
    }
    for (size_t c = 0; c < t->n_near; c++) {
        const struct nr_topic_near *nr = &t->near[c];
        uint32_t first = (uint32_t)tp->n_terms;
        for (int side = 0; side < 2; side++) {
            const struct nr_strlist *l = side ? &nr->with : &nr->terms;
            for (size_t k = 0; k < l->n; k++)
                if (add_literal(tp, norm, i, l->v[k], sink, err) < 0)
                    return -1;
        }
        struct tsig *g = new_sig(tp, S_NEAR, i, 1, NULL);
        g->within = nr->within;
        g->near = pool_push(tp, (uint32_t)nr->terms.n);
        for (size_t k = 0; k < nr->terms.n; k++)
            pool_push(tp, first + (uint32_t)k);
        pool_push(tp, (uint32_t)nr->with.n);
        for (size_t k = 0; k < nr->with.n; k++)
            pool_push(tp, first + (uint32_t)(nr->terms.n + k));
    }
    if (add_lang_sets(tp, st, i, sink, err) < 0)
        return -1;
    tt->nsig = (uint32_t)tp->n_sigs - tt->sig0;
    if (add_exclusions(tp, st, i, t, sink, err) < 0)
        return -1;
    tt->has_excl = t->exclude.n > 0 || t->exclude_near.terms.n > 0;
    tt->year_term = NO_TERM;
    if (t->exclude_near.past_years) { /* no pattern: nr_topics_resolve finds the years */
        tt->year_term = new_term(tp, i, R_EXCL_NEAR, -1, "(a year before the article's)");
        tp->terms[tt->year_term].within = t->exclude_near.within;
        tt->has_excl = tp->past_years = true;
    }
    for (size_t k = 0; k < t->n_langs; k++)
        tt->has_excl |= t->langs[k].exclude.n > 0 || t->langs[k].exclude_near.terms.n > 0;
    tt->xnear = t->exclude_near.within;
    for (size_t k = 0; k < t->n_langs; k++)
        if (t->langs[k].exclude_near.terms.n > 0 && t->langs[k].exclude_near.within > tt->xnear)
            tt->xnear = t->langs[k].exclude_near.within;
    return 0;
}

/* Once every topic is built: each topic's set per language code. */
static void index_sets(struct nr_topics *tp)
{
    for (size_t i = 0; i < tp->cfg->n_topics; i++) {
        struct ttopic *tt = &tp->topics[i];
        tt->set_of = nr_xmalloc(tp->n_codes + 1);
        memset(tt->set_of, SET_NONE, tp->n_codes + 1);
        for (uint32_t k = 0; k < tt->n_seen; k++) {
            int c = code_index(tp, tt->seen[k], false);
            if (c >= 0)
                tt->set_of[c] = (uint8_t)k;
        }
        free(tt->seen);
        tt->seen = NULL;
    }
}

void nr_topics_free(struct nr_topics *tp)
{
    if (!tp)
        return;
    for (size_t i = 0; i < tp->n_words; i++) {
        free(tp->words[i].s);
        free(tp->words[i].stem);
    }
    for (size_t i = 0; i < tp->n_sigs; i++)
        free(tp->sigs[i].near_of);
    free(tp->words);
    free(tp->terms);
    free(tp->sigs);
    for (size_t i = 0; tp->topics && i < tp->cfg->n_topics; i++) {
        free(tp->topics[i].set_of);
        free(tp->topics[i].seen);
    }
    free(tp->topics);
    free(tp->codes);
    free(tp->pool);
    for (size_t i = 0; i < tp->n_owned; i++)
        nr_query_free(tp->owned[i]);
    free(tp->owned);
    free(tp);
}

struct nr_topics *nr_topics_new(const struct nr_config *cfg, struct nr_pattern_sink *sink,
                                struct nr_error *err)
{
    struct nr_topics *tp = nr_xcalloc(1, sizeof(*tp));
    tp->cfg = cfg;
    tp->topics = nr_xcalloc(cfg->n_topics + 1, sizeof(*tp->topics));
    struct nr_stem *st = nr_stem_new();
    struct nr_text norm;
    nr_text_init(&norm);
    int rc = 0;
    for (size_t i = 0; i < cfg->n_topics && rc == 0; i++)
        rc = add_topic(tp, st, &norm, (uint32_t)i, sink, err);
    nr_text_fini(&norm);
    nr_stem_free(st);
    if (rc < 0) {
        nr_topics_free(tp);
        return NULL;
    }
    index_sets(tp);
    return tp;
}

size_t nr_topics_memory(const struct nr_topics *tp)
{
    size_t m = tp->n_terms * sizeof(struct tterm) + tp->n_sigs * sizeof(struct tsig) +
               tp->n_pool * sizeof(uint32_t);
    for (size_t i = 0; i < tp->n_words; i++)
        m += sizeof(struct tword) + tp->words[i].len + tp->words[i].stem_len + 2;
    return m;
}

/* ---- scratch -------------------------------------------------------------- */

struct nr_topics_scratch *nr_topics_scratch_new(const struct nr_topics *tp)
{
    struct nr_topics_scratch *s = nr_xcalloc(1, sizeof(*s));
    s->stem = nr_stem_new();
    s->n_topics = tp->cfg->n_topics;
    s->n_terms = tp->n_terms;
    s->topic_stamp = nr_xcalloc(s->n_topics + 1, sizeof(uint32_t));
    s->touched = nr_xcalloc(s->n_topics + 1, sizeof(uint32_t));
    s->term_bits = nr_xcalloc(s->n_terms + 1, 1);
    s->term_stamp = nr_xcalloc(s->n_terms + 1, sizeof(uint32_t));
    s->term_head = nr_xcalloc(s->n_terms + 1, sizeof(uint32_t));
    s->term_tail = nr_xcalloc(s->n_terms + 1, sizeof(uint32_t));
    s->c_field = -1;
    return s;
}

void nr_topics_scratch_free(struct nr_topics_scratch *s)
{
    if (!s)
        return;
    nr_stem_free(s->stem);
    free(s->occ);
    free(s->years);
    free(s->kept);
    free(s->topic_stamp);
    free(s->touched);
    free(s->term_bits);
    free(s->term_stamp);
    free(s->term_head);
    free(s->term_tail);
    free(s->occ_next);
    free(s->tags);
    free(s->evidence);
    free(s->tmp_a);
    free(s->tmp_b);
    free(s);
}

void nr_topics_begin(const struct nr_topics *tp, struct nr_topics_scratch *s,
                     const struct nr_text *text, const struct nr_str *orig, const char *lang,
                     int year)
{
    s->year = year;
    s->lang_code = -1;
    for (size_t i = 0; lang && *lang && i < tp->n_codes; i++)
        if (strcmp(tp->codes[i], lang) == 0)
            s->lang_code = (int)i;
    if (++s->stamp == 0) {
        memset(s->topic_stamp, 0, (s->n_topics + 1) * sizeof(uint32_t));
        memset(s->term_stamp, 0, (s->n_terms + 1) * sizeof(uint32_t));
        s->stamp = 1;
    }
    s->text = text;
    s->orig = orig;
    s->n_occ = s->n_touched = s->n_evidence = 0;
    s->c_field = -1;
    s->over = s->oom = false;
}

bool nr_topics_scratch_failed(const struct nr_topics_scratch *s)
{
    return s->oom;
}

/* Past NR_TAG_MAX_TERM_HITS matches, may one more of term in field f be
 * stored? Yes while the term has fewer than NR_TAG_TERM_HITS_KEPT there. */
static bool keep_hit(struct nr_topics_scratch *s, uint32_t term, int f)
{
    if (!s->over) {
        if (!s->kept) {
            s->kept = nr_try_realloc(NULL, (s->n_terms + 1) * 2 * sizeof(uint32_t));
            if (!s->kept) {
                s->oom = true;
                return false;
            }
        }
        memset(s->kept, 0, (s->n_terms + 1) * 2 * sizeof(uint32_t));
        for (size_t i = 0; i < s->n_occ; i++)
            s->kept[s->occ[i].term * 2 + s->occ[i].field]++;
        s->over = true;
    }
    uint32_t *k = &s->kept[term * 2 + (uint32_t)f];
    if (*k >= NR_TAG_TERM_HITS_KEPT)
        return false;
    (*k)++;
    return true;
}

/* ---- matching ------------------------------------------------------------- */

static size_t char_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* End of the word run starting at pos. */
static uint32_t word_end(const struct nr_text *tx, uint32_t pos)
{
    while (pos < tx->len && nr_text_word_at(tx->buf, tx->len, pos)) {
        pos += (uint32_t)char_len((unsigned char)tx->buf[pos]);
        if (pos > tx->len)
            pos = (uint32_t)tx->len;
    }
    return pos;
}

/* Start of the word run ending at pos. */
static uint32_t word_start(const struct nr_text *tx, uint32_t pos)
{
    while (pos > 0 && nr_text_word_before(tx->buf, pos)) {
        pos--;
        while (pos > 0 && ((unsigned char)tx->buf[pos] & 0xC0) == 0x80)
            pos--;
    }
    return pos;
}

static bool glued(const struct nr_text *tx, uint32_t pos)
{
    return pos > 0 && pos < tx->len && nr_text_word_before(tx->buf, pos) &&
           nr_text_word_at(tx->buf, tx->len, pos);
}

static bool stem_equals(struct nr_topics_scratch *s, const struct tword *w, int lang, int f,
                        uint32_t a, uint32_t b)
{
    if (s->c_field != f || s->c_start != a || s->c_end != b || s->c_lang != lang) {
        size_t n;
        const struct nr_text *tx = &s->text[f];
        const char *st = NULL;
        if (nr_stem_reads_marks(lang) && s->orig && s->orig[f].p) {
            uint32_t oa = nr_text_orig(tx, a), ob = nr_text_orig(tx, b);
            if (oa < ob && ob <= s->orig[f].len) /* the word as written */
                st = nr_stem_word_folded(s->stem, lang, s->orig[f].p + oa, ob - oa, &n);
        }
        if (!st)
            st = nr_stem_word(s->stem, lang, tx->buf + a, b - a, &n);
        if (n > NR_STEM_MAX_WORD)
            n = NR_STEM_MAX_WORD;
        memcpy(s->c_stem, st, n);
        s->c_len = n;
        s->c_field = f;
        s->c_start = a;
        s->c_end = b;
        s->c_lang = lang;
    }
    return s->c_len == w->stem_len && memcmp(s->c_stem, w->stem, w->stem_len) == 0;
}

/* Does word w stand at [a, b), b being the end of its word run (W_PREFIX,
 * W_STEM) or a + len (W_LIT, W_EXACT)? */
static bool word_ok(struct nr_topics_scratch *s, const struct tword *w, int lang, int f, uint32_t a,
                    uint32_t b)
{
    const struct nr_text *tx = &s->text[f];
    if (b - a < w->len || memcmp(tx->buf + a, w->s, w->len) != 0)
        return false;
    switch (w->mode) {
    case W_LIT:
    case W_EXACT:
        return b - a == w->len && !glued(tx, a) && !glued(tx, b);
    case W_PREFIX:
        return true;
    default:
        return stem_equals(s, w, lang, f, a, b);
    }
}

/* The word after the one ending at e: its end, or 0 if it is not w. */
static uint32_t match_right(struct nr_topics_scratch *s, const struct tword *w, int lang, int f,
                            uint32_t e)
{
    const struct nr_text *tx = &s->text[f];
    if (e >= tx->len || tx->buf[e] != ' ')
        return 0;
    uint32_t a = e + 1;
    uint32_t b = w->mode == W_LIT || w->mode == W_EXACT ? a + w->len : word_end(tx, a);
    if (b > tx->len || b == a || !word_ok(s, w, lang, f, a, b))
        return 0;
    return b;
}

/* The word before the one starting at a: its start + 1, or 0 if not w. */
static uint32_t match_left(struct nr_topics_scratch *s, const struct tword *w, int lang, int f,
                           uint32_t a)
{
    const struct nr_text *tx = &s->text[f];
    if (a < 2 || tx->buf[a - 1] != ' ')
        return 0;
    uint32_t e = a - 1, b;
    if (w->mode == W_LIT || w->mode == W_EXACT) {
        if (e < w->len)
            return 0;
        b = e - w->len;
    } else {
        b = word_start(tx, e);
    }
    if (b == e || !word_ok(s, w, lang, f, b, e))
        return 0;
    return b + 1;
}

static void touch(struct nr_topics_scratch *s, uint32_t topic)
{
    if (s->topic_stamp[topic] == s->stamp)
        return;
    s->topic_stamp[topic] = s->stamp;
    s->touched[s->n_touched++] = topic;
}

void nr_topics_hit(const struct nr_topics *tp, struct nr_topics_scratch *s, uint32_t term, int f,
                   uint32_t start, uint32_t end, bool full)
{
    const struct tterm *tm = &tp->terms[term];
    if (tm->set != nr_topic_set(tp, s, tm->topic))
        return; /* a term of another language */
    const struct tword *w = &tp->words[tm->w0 + tm->anchor];
    const struct nr_text *tx = &s->text[f];
    uint32_t e;
    if (w->mode == W_LIT || w->mode == W_EXACT) {
        if (!full)
            return;
        e = end;
    } else {
        e = word_end(tx, end);
        if (w->mode == W_STEM && !stem_equals(s, w, tm->lang, f, start, e))
            return;
    }
    uint32_t a = start;
    for (uint32_t k = tm->anchor; k-- > 0;) {
        uint32_t r = match_left(s, &tp->words[tm->w0 + k], tm->lang, f, a);
        if (!r)
            return;
        a = r - 1;
    }
    for (uint32_t k = tm->anchor + 1; k < tm->nw; k++) {
        e = match_right(s, &tp->words[tm->w0 + k], tm->lang, f, e);
        if (!e)
            return;
    }
    if (s->n_occ >= NR_TAG_MAX_TERM_HITS && !keep_hit(s, term, f))
        return;
    if (nr_try_grow((void **)&s->occ, &s->cap_occ, s->n_occ + 1, sizeof(*s->occ)) < 0) {
        s->oom = true;
        return;
    }
    touch(s, tm->topic);
    s->occ[s->n_occ++] = (struct tocc){.term = term,
                                       .topic = tm->topic,
                                       .start = a,
                                       .end = e,
                                       .field = (uint8_t)f,
                                       .role = tm->role};
}
