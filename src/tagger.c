/*
 * tagger.c - article -> entities and topics (see tagger.h).
 *
 * Build: every entity alias (name, aliases, demonyms) and every topic phrase
 * (any, near terms/with, exclude) is normalized (text.h) and interned: one
 * matcher pattern per distinct normalized string, carrying a list of refs
 * (what the string means: alias k of entity i, `any` phrase of topic j, ...).
 * So "Taliban" as an alias of two entities, or a phrase that is also an
 * alias, costs one pattern and is found by one scan.
 *
 * Tag (per article, all memory in the scratch and reused):
 *   1. normalize title and body, scan each with the one automaton;
 *   2. keep matches standing on word boundaries (text.h), so "Pakistan's"
 *      yields Pakistan and "Tirana" does not yield Iran;
 *   3. aliases: drop case-sensitive refs whose original bytes differ in case
 *      ("against us" is not the US), then resolve overlaps leftmost-longest
 *      ("Pakistani Taliban" is the group, not Pakistan + Taliban);
 *      ambiguous aliases count only if an unambiguous alias of the same
 *      entity occurs in the article;
 *   4. topics are resolved separately (a phrase may overlap an alias): each
 *      distinct `any` phrase found is a point, each `near` clause with a term
 *      within `within` words of a `with` term (same field, either order) is a
 *      point, an `exclude` phrase vetoes the topic;
 *   5. simhash of the lead of the normalized body (title when there is no
 *      body), see nr_text_simhash().
 *
 * Text repeated in an article (a pull quote, a title restated in the lead)
 * is counted twice on purpose: mentions measure emphasis, and the repeat is
 * in what readers see. Spans let a consumer collapse repeats if it wants.
 *
 * Cost: normalize (~1-2 ns/byte ASCII) + scan (one table lookup per byte) +
 * work proportional to the matches; sorting only the (few) candidates.
 */
#include "newsradar/tagger.h"

#include "newsradar/matcher.h"
#include "newsradar/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ref_kind { REF_ALIAS, REF_ANY, REF_NEAR_TERM, REF_NEAR_WITH, REF_EXCLUDE };

struct ref {
    uint8_t kind;
    uint8_t flags;    /* alias flags (enum nr_alias_flag) */
    uint32_t owner;   /* entity or topic index */
    uint32_t sub;     /* alias index, phrase index or near clause index */
    uint32_t order;   /* evidence order within the topic */
    const char *text; /* config text (evidence) */
    char *cs;         /* NR_ALIAS_CASE: case-kept normalized alias, else NULL */
    size_t cs_len;
};

struct pinfo {
    uint32_t ref_off, ref_n;
    bool alias, topic, cased;
};

struct nr_tagger {
    const struct nr_config *cfg;
    struct nr_matcher *m;
    struct pinfo *pat;
    size_t n_pat;
    struct ref *refs;
    size_t n_refs;
};

/* ---- build ---------------------------------------------------------------- */

struct builder {
    /* interned normalized strings */
    char *bytes;
    size_t n_bytes, cap_bytes;
    uint32_t *off, *len;
    size_t n, cap;
    uint32_t *slots; /* open addressing: pattern id + 1, 0 = empty */
    size_t n_slots;
    /* (pattern, ref) pairs */
    struct pref {
        uint32_t pat;
        struct ref r;
    } * pr;
    size_t n_pr, cap_pr;
    struct nr_text norm;
};

static void slots_insert(struct builder *b, uint32_t id)
{
    uint64_t h = nr_hash64(b->bytes + b->off[id], b->len[id], 0);
    size_t mask = b->n_slots - 1, i = (size_t)h & mask;
    while (b->slots[i])
        i = (i + 1) & mask;
    b->slots[i] = id + 1;
}

static uint32_t intern(struct builder *b, const char *s, size_t len)
{
    if (b->n * 2 >= b->n_slots) {
        free(b->slots);
        b->n_slots = b->n_slots ? b->n_slots * 2 : 1024;
        b->slots = nr_xcalloc(b->n_slots, sizeof(uint32_t));
        for (uint32_t k = 0; k < b->n; k++)
            slots_insert(b, k);
    }
    uint64_t h = nr_hash64(s, len, 0);
    size_t mask = b->n_slots - 1, i = (size_t)h & mask;
    while (b->slots[i]) {
        uint32_t id = b->slots[i] - 1;
        if (b->len[id] == len && memcmp(b->bytes + b->off[id], s, len) == 0)
            return id;
        i = (i + 1) & mask;
    }
    if (b->n == b->cap) {
        size_t c = b->cap;
        nr_grow((void **)&b->off, &c, b->n + 1, sizeof(uint32_t));
        c = b->cap;
        nr_grow((void **)&b->len, &c, b->n + 1, sizeof(uint32_t));
        b->cap = c;
    }
    nr_grow((void **)&b->bytes, &b->cap_bytes, b->n_bytes + len, 1);
    memcpy(b->bytes + b->n_bytes, s, len);
    uint32_t id = (uint32_t)b->n++;
    b->off[id] = (uint32_t)b->n_bytes;
    b->len[id] = (uint32_t)len;
    b->n_bytes += len;
    b->slots[i] = id + 1;
    return id;
}

/* Normalize and trim the surrounding space. */
static struct nr_str norm_trim(struct nr_text *t, const char *s, unsigned flags)
{
    nr_text_normalize(t, s, strlen(s), flags);
    size_t a = 0, e = t->len;
    while (a < e && t->buf[a] == ' ')
        a++;
    while (e > a && t->buf[e - 1] == ' ')
        e--;
    return (struct nr_str){t->buf + a, e - a};
}

static int add_ref(struct builder *b, const char *text, struct ref r, struct nr_error *err,
                   const char *what)
{
    struct nr_str n = norm_trim(&b->norm, text, 0);
    if (n.len == 0) {
        nr_error_set(err, "%s \"%s\" is empty after normalization", what, text);
        return -1;
    }
    uint32_t pat = intern(b, n.p, n.len);
    if (r.kind == REF_ALIAS && (r.flags & NR_ALIAS_CASE)) {
        struct nr_str c = norm_trim(&b->norm, text, NR_TEXT_KEEP_CASE);
        r.cs = nr_xstrndup(c.p, c.len);
        r.cs_len = c.len;
    }
    r.text = text;
    nr_grow((void **)&b->pr, &b->cap_pr, b->n_pr + 1, sizeof(*b->pr));
    b->pr[b->n_pr].pat = pat;
    b->pr[b->n_pr].r = r;
    b->n_pr++;
    return 0;
}

static int cmp_pref(const void *x, const void *y)
{
    const struct pref *a = x, *b = y;
    if (a->pat != b->pat)
        return a->pat < b->pat ? -1 : 1;
    /* keep insertion order inside one pattern: compare addresses of the
     * stable sequence numbers stored in `order` high bits is overkill;
     * owner/sub give a deterministic order */
    if (a->r.kind != b->r.kind)
        return a->r.kind < b->r.kind ? -1 : 1;
    if (a->r.owner != b->r.owner)
        return a->r.owner < b->r.owner ? -1 : 1;
    if (a->r.sub != b->r.sub)
        return a->r.sub < b->r.sub ? -1 : 1;
    return a->r.order < b->r.order ? -1 : a->r.order > b->r.order;
}

static void builder_free(struct builder *b)
{
    for (size_t i = 0; i < b->n_pr; i++)
        free(b->pr[i].r.cs);
    free(b->pr);
    free(b->bytes);
    free(b->off);
    free(b->len);
    free(b->slots);
    nr_text_fini(&b->norm);
}

void nr_tagger_free(struct nr_tagger *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_refs; i++)
        free(t->refs[i].cs);
    free(t->refs);
    free(t->pat);
    nr_matcher_free(t->m);
    free(t);
}

static int add_list(struct builder *b, const struct nr_strlist *l, enum ref_kind kind,
                    uint32_t topic, uint32_t sub, uint32_t *order, struct nr_error *err,
                    const char *what)
{
    for (size_t k = 0; k < l->n; k++) {
        struct ref r = {.kind = (uint8_t)kind, .owner = topic, .sub = sub, .order = (*order)++};
        if (add_ref(b, l->v[k], r, err, what) < 0)
            return -1;
    }
    return 0;
}

struct nr_tagger *nr_tagger_new_engine(const struct nr_config *cfg, enum nr_matcher_engine engine,
                                       struct nr_error *err)
{
    struct builder b;
    memset(&b, 0, sizeof(b));
    nr_text_init(&b.norm);
    struct nr_tagger *t = nr_xcalloc(1, sizeof(*t));
    t->cfg = cfg;

    for (size_t i = 0; i < cfg->n_entities; i++) {
        const struct nr_entity *e = &cfg->entities[i];
        for (size_t k = 0; k < e->n_aliases; k++) {
            struct ref r = {.kind = REF_ALIAS,
                            .flags = (uint8_t)e->aliases[k].flags,
                            .owner = (uint32_t)i,
                            .sub = (uint32_t)k};
            char what[300];
            snprintf(what, sizeof(what), "entity %s: alias", e->id);
            if (add_ref(&b, e->aliases[k].text, r, err, what) < 0)
                goto fail;
        }
    }
    for (size_t i = 0; i < cfg->n_topics; i++) {
        const struct nr_topic *tp = &cfg->topics[i];
        char what[300];
        snprintf(what, sizeof(what), "topic %s: phrase", tp->id);
        uint32_t order = 0;
        if (add_list(&b, &tp->any, REF_ANY, (uint32_t)i, 0, &order, err, what) < 0)
            goto fail;
        for (size_t c = 0; c < tp->n_near; c++) {
            if (add_list(&b, &tp->near[c].terms, REF_NEAR_TERM, (uint32_t)i, (uint32_t)c, &order,
                         err, what) < 0 ||
                add_list(&b, &tp->near[c].with, REF_NEAR_WITH, (uint32_t)i, (uint32_t)c, &order,
                         err, what) < 0)
                goto fail;
        }
        if (add_list(&b, &tp->exclude, REF_EXCLUDE, (uint32_t)i, 0, &order, err, what) < 0)
            goto fail;
    }

    qsort(b.pr, b.n_pr, sizeof(*b.pr), cmp_pref);
    t->n_pat = b.n;
    t->pat = nr_xcalloc(b.n + 1, sizeof(*t->pat));
    t->refs = nr_xcalloc(b.n_pr + 1, sizeof(*t->refs));
    for (size_t i = 0; i < b.n_pr; i++) {
        struct pinfo *p = &t->pat[b.pr[i].pat];
        if (p->ref_n == 0)
            p->ref_off = (uint32_t)i;
        p->ref_n++;
        t->refs[i] = b.pr[i].r;
        b.pr[i].r.cs = NULL; /* moved */
        if (t->refs[i].kind == REF_ALIAS) {
            p->alias = true;
            if (t->refs[i].flags & NR_ALIAS_CASE)
                p->cased = true;
        } else {
            p->topic = true;
        }
    }
    t->n_refs = b.n_pr;

    t->m = nr_matcher_new(engine, NR_MATCHER_WORD_START, err);
    if (!t->m)
        goto fail;
    for (size_t i = 0; i < b.n; i++)
        if (nr_matcher_add(t->m, b.bytes + b.off[i], b.len[i], (uint32_t)i) < 0) {
            nr_error_set(err, "pattern of %u bytes rejected by the matcher", b.len[i]);
            goto fail;
        }
    if (nr_matcher_freeze(t->m, err) < 0)
        goto fail;
    builder_free(&b);
    return t;
fail:
    builder_free(&b);
    nr_tagger_free(t);
    return NULL;
}

struct nr_tagger *nr_tagger_new(const struct nr_config *cfg, struct nr_error *err)
{
    return nr_tagger_new_engine(cfg, NR_MATCHER_AC, err);
}

size_t nr_tagger_patterns(const struct nr_tagger *t)
{
    return t->n_pat;
}

size_t nr_tagger_memory(const struct nr_tagger *t)
{
    return nr_matcher_memory(t->m) + t->n_pat * sizeof(struct pinfo) +
           t->n_refs * sizeof(struct ref);
}

/* ---- scratch -------------------------------------------------------------- */

struct cand {
    uint32_t start, end, pat; /* normalized offsets */
    uint8_t field;            /* 0 title, 1 body */
};

struct mention {
    uint32_t entity, start, end; /* original offsets */
    uint8_t field;
    bool ambiguous;
};

struct occ {
    uint32_t topic, clause, start, word;
    uint8_t field, side; /* side: 0 term, 1 with */
    const char *text;
    uint32_t order;
};

struct evid {
    uint32_t topic, order;
    const char *text;
};

#define GROW(s, arr, need) nr_grow((void **)&(s)->arr, &(s)->cap_##arr, (need), sizeof(*(s)->arr))

struct nr_tag_scratch {
    struct nr_match_scratch *ms;
    struct nr_text text[2], tmp;
    struct cand *cand;
    size_t n_cand, cap_cand;
    struct mention *ment;
    size_t n_ment, cap_ment;
    struct occ *occ;
    size_t n_occ, cap_occ;
    struct evid *evid;
    size_t n_evid, cap_evid;
    /* per-topic state, valid when topic_stamp[i] == stamp */
    uint32_t *topic_stamp;
    uint32_t *topic_any;
    bool *topic_veto;
    uint32_t *touched;
    size_t n_touched;
    uint32_t *ref_stamp;
    uint32_t stamp;
    size_t n_topics, n_refs;
    /* result */
    struct nr_tags tags;
    size_t cap_ent, cap_top, cap_spans, cap_ev;
};

struct nr_tag_scratch *nr_tag_scratch_new(const struct nr_tagger *t)
{
    struct nr_tag_scratch *s = nr_xcalloc(1, sizeof(*s));
    s->ms = nr_match_scratch_new(t->m);
    nr_text_init(&s->text[0]);
    nr_text_init(&s->text[1]);
    nr_text_init(&s->tmp);
    s->n_topics = t->cfg->n_topics;
    s->n_refs = t->n_refs;
    s->topic_stamp = nr_xcalloc(s->n_topics + 1, sizeof(uint32_t));
    s->topic_any = nr_xcalloc(s->n_topics + 1, sizeof(uint32_t));
    s->topic_veto = nr_xcalloc(s->n_topics + 1, sizeof(bool));
    s->touched = nr_xcalloc(s->n_topics + 1, sizeof(uint32_t));
    s->ref_stamp = nr_xcalloc(s->n_refs + 1, sizeof(uint32_t));
    return s;
}

void nr_tag_scratch_free(struct nr_tag_scratch *s)
{
    if (!s)
        return;
    nr_match_scratch_free(s->ms);
    nr_text_fini(&s->text[0]);
    nr_text_fini(&s->text[1]);
    nr_text_fini(&s->tmp);
    free(s->cand);
    free(s->ment);
    free(s->occ);
    free(s->evid);
    free(s->topic_stamp);
    free(s->topic_any);
    free(s->topic_veto);
    free(s->touched);
    free(s->ref_stamp);
    free(s->tags.entities);
    free(s->tags.topics);
    free(s->tags.spans);
    free(s->tags.evidence);
    free(s);
}

/* ---- tag ------------------------------------------------------------------ */

static const uint8_t field_id[2] = {NR_FIELD_TITLE, NR_FIELD_BODY};

/* Does the original text of the span, normalized but not case folded, equal
 * the case-sensitive alias? */
static bool case_ok(struct nr_tag_scratch *s, const struct ref *r, const char *orig, uint32_t os,
                    uint32_t oe)
{
    nr_text_normalize(&s->tmp, orig + os, oe - os, NR_TEXT_KEEP_CASE);
    size_t a = 0, e = s->tmp.len;
    while (a < e && s->tmp.buf[a] == ' ')
        a++;
    while (e > a && s->tmp.buf[e - 1] == ' ')
        e--;
    return e - a == r->cs_len && memcmp(s->tmp.buf + a, r->cs, r->cs_len) == 0;
}

static void touch_topic(struct nr_tag_scratch *s, uint32_t topic)
{
    if (s->topic_stamp[topic] == s->stamp)
        return;
    s->topic_stamp[topic] = s->stamp;
    s->topic_any[topic] = 0;
    s->topic_veto[topic] = false;
    s->touched[s->n_touched++] = topic;
}

static void scan_field(const struct nr_tagger *t, struct nr_tag_scratch *s, int f,
                       const struct nr_str *orig)
{
    struct nr_text *tx = &s->text[f];
    nr_text_normalize(tx, orig->p ? orig->p : "", orig->p ? orig->len : 0, 0);
    const struct nr_match *m;
    size_t n = nr_matcher_scan(t->m, s->ms, tx->buf, tx->len, &m);
    for (size_t i = 0; i < n; i++) {
        if (!nr_text_boundary_ok(tx->buf, tx->len, m[i].start, m[i].end))
            continue;
        const struct pinfo *p = &t->pat[m[i].id];
        if (p->alias) {
            GROW(s, cand, s->n_cand + 1);
            s->cand[s->n_cand++] = (struct cand){m[i].start, m[i].end, m[i].id, (uint8_t)f};
        }
        if (!p->topic)
            continue;
        for (uint32_t k = p->ref_off; k < p->ref_off + p->ref_n; k++) {
            const struct ref *r = &t->refs[k];
            switch (r->kind) {
            case REF_ANY:
                touch_topic(s, r->owner);
                if (s->ref_stamp[k] != s->stamp) {
                    s->ref_stamp[k] = s->stamp;
                    s->topic_any[r->owner]++;
                    GROW(s, evid, s->n_evid + 1);
                    s->evid[s->n_evid++] = (struct evid){r->owner, r->order, r->text};
                }
                break;
            case REF_EXCLUDE:
                touch_topic(s, r->owner);
                s->topic_veto[r->owner] = true;
                break;
            case REF_NEAR_TERM:
            case REF_NEAR_WITH:
                touch_topic(s, r->owner);
                GROW(s, occ, s->n_occ + 1);
                s->occ[s->n_occ++] = (struct occ){.topic = r->owner,
                                                  .clause = r->sub,
                                                  .start = m[i].start,
                                                  .field = (uint8_t)f,
                                                  .side = r->kind == REF_NEAR_WITH,
                                                  .text = r->text,
                                                  .order = r->order};
                break;
            default:
                break;
            }
        }
    }
}

/* Sort small arrays by insertion (the usual case: a few to a few dozen
 * items, mostly in order already), larger ones with qsort. */
#define SMALL_SORT(arr, n, cmp)                                                                    \
    do {                                                                                           \
        if ((n) > 48) {                                                                            \
            qsort((arr), (n), sizeof(*(arr)), (cmp));                                              \
            break;                                                                                 \
        }                                                                                          \
        for (size_t i_ = 1; i_ < (n); i_++) {                                                      \
            __typeof__(*(arr)) v_ = (arr)[i_];                                                     \
            size_t j_ = i_;                                                                        \
            while (j_ > 0 && (cmp)(&(arr)[j_ - 1], &v_) > 0) {                                     \
                (arr)[j_] = (arr)[j_ - 1];                                                         \
                j_--;                                                                              \
            }                                                                                      \
            (arr)[j_] = v_;                                                                        \
        }                                                                                          \
    } while (0)

static int cmp_cand(const void *x, const void *y)
{
    const struct cand *a = x, *b = y;
    if (a->field != b->field)
        return a->field < b->field ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end > b->end ? -1 : 1; /* longest first */
    return a->pat < b->pat ? -1 : a->pat > b->pat;
}

static int cmp_ment(const void *x, const void *y)
{
    const struct mention *a = x, *b = y;
    if (a->entity != b->entity)
        return a->entity < b->entity ? -1 : 1;
    if (a->field != b->field)
        return a->field < b->field ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return (int)a->ambiguous - (int)b->ambiguous; /* unambiguous first */
}

static int cmp_occ_pos(const void *x, const void *y)
{
    const struct occ *a = x, *b = y;
    if (a->field != b->field)
        return a->field < b->field ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

static int cmp_occ_group(const void *x, const void *y)
{
    const struct occ *a = x, *b = y;
    if (a->topic != b->topic)
        return a->topic < b->topic ? -1 : 1;
    if (a->clause != b->clause)
        return a->clause < b->clause ? -1 : 1;
    if (a->field != b->field)
        return a->field < b->field ? -1 : 1;
    if (a->word != b->word)
        return a->word < b->word ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return (int)a->side - (int)b->side;
}

static int cmp_evid(const void *x, const void *y)
{
    const struct evid *a = x, *b = y;
    if (a->topic != b->topic)
        return a->topic < b->topic ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static void resolve_aliases(const struct nr_tagger *t, struct nr_tag_scratch *s,
                            const struct nr_article *a)
{
    SMALL_SORT(s->cand, s->n_cand, cmp_cand);
    uint32_t last_end = 0;
    int last_field = -1;
    for (size_t i = 0; i < s->n_cand; i++) {
        const struct cand *c = &s->cand[i];
        if (c->field == last_field && c->start < last_end)
            continue; /* overlaps a longer or earlier chosen alias */
        const struct nr_text *tx = &s->text[c->field];
        uint32_t os = tx->map[c->start], oe = tx->map[c->end];
        const struct pinfo *p = &t->pat[c->pat];
        const char *orig = a->field[field_id[c->field]].p;
        size_t before = s->n_ment;
        for (uint32_t k = p->ref_off; k < p->ref_off + p->ref_n; k++) {
            const struct ref *r = &t->refs[k];
            if (r->kind != REF_ALIAS)
                continue;
            if ((r->flags & NR_ALIAS_CASE) && !case_ok(s, r, orig, os, oe))
                continue;
            GROW(s, ment, s->n_ment + 1);
            s->ment[s->n_ment++] =
                (struct mention){r->owner, os, oe, c->field, (r->flags & NR_ALIAS_AMBIGUOUS) != 0};
        }
        if (s->n_ment == before)
            continue; /* every ref failed its case test: not an alias here */
        last_end = c->end;
        last_field = c->field;
    }
    SMALL_SORT(s->ment, s->n_ment, cmp_ment);

    struct nr_tags *tg = &s->tags;
    for (size_t i = 0; i < s->n_ment;) {
        size_t j = i;
        bool any_unamb = false;
        while (j < s->n_ment && s->ment[j].entity == s->ment[i].entity) {
            any_unamb |= !s->ment[j].ambiguous;
            j++;
        }
        if (any_unamb) {
            nr_grow((void **)&tg->entities, &s->cap_ent, tg->n_entities + 1, sizeof(*tg->entities));
            struct nr_entity_tag *et = &tg->entities[tg->n_entities++];
            et->entity = s->ment[i].entity;
            et->mentions = 0;
            et->in_title = false;
            et->first_span = (uint32_t)tg->n_spans;
            for (size_t k = i; k < j; k++) {
                const struct mention *mm = &s->ment[k];
                if (k > i && mm->field == s->ment[k - 1].field &&
                    mm->start == s->ment[k - 1].start && mm->end == s->ment[k - 1].end)
                    continue; /* two aliases of one entity on one span */
                nr_grow((void **)&tg->spans, &s->cap_spans, tg->n_spans + 1, sizeof(*tg->spans));
                tg->spans[tg->n_spans++] =
                    (struct nr_span){field_id[mm->field], mm->start, mm->end};
                et->mentions++;
                if (mm->field == 0)
                    et->in_title = true;
            }
            et->n_spans = (uint32_t)tg->n_spans - et->first_span;
        }
        i = j;
    }
}

static bool evid_has(const struct nr_tags *tg, uint32_t first, const char *text)
{
    for (size_t k = first; k < tg->n_evidence; k++)
        if (strcmp(tg->evidence[k], text) == 0)
            return true;
    return false;
}

static void push_evidence(struct nr_tag_scratch *s, uint32_t first, const char *text)
{
    struct nr_tags *tg = &s->tags;
    if (evid_has(tg, first, text))
        return;
    nr_grow((void **)&tg->evidence, &s->cap_ev, tg->n_evidence + 1, sizeof(*tg->evidence));
    tg->evidence[tg->n_evidence++] = text;
}

/* Spaces in p[0..n), 8 bytes per step (exact zero-byte test, no carries
 * between bytes). */
static uint32_t count_spaces(const char *p, size_t n)
{
    uint32_t c = 0;
    size_t i = 0;
    while (i + 8 <= n) {
        /* per-byte 0/1 flags summed in byte lanes, folded every 255 words */
        uint64_t lanes = 0;
        for (int k = 0; k < 255 && i + 8 <= n; k++, i += 8) {
            uint64_t x;
            memcpy(&x, p + i, 8);
            x ^= 0x2020202020202020ULL;
            uint64_t t = ((x & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL) | x;
            lanes += (~t & 0x8080808080808080ULL) >> 7;
        }
        /* widen to 16-bit lanes (<= 510 each), then sum them by multiply */
        uint64_t w = (lanes & 0x00ff00ff00ff00ffULL) + ((lanes >> 8) & 0x00ff00ff00ff00ffULL);
        c += (uint32_t)((w * 0x0001000100010001ULL) >> 48);
    }
    for (; i < n; i++)
        c += p[i] == ' ';
    return c;
}

static void resolve_topics(const struct nr_tagger *t, struct nr_tag_scratch *s)
{
    /* word index of each proximity occurrence = spaces before it in its
     * normalized field (whitespace runs are collapsed, so one per gap) */
    if (s->n_occ > 0) {
        SMALL_SORT(s->occ, s->n_occ, cmp_occ_pos);
        int f = -1;
        uint32_t pos = 0, words = 0;
        for (size_t i = 0; i < s->n_occ; i++) {
            struct occ *o = &s->occ[i];
            if (o->field != f) {
                f = o->field;
                pos = 0;
                words = 0;
            }
            words += count_spaces(s->text[f].buf + pos, o->start - pos);
            pos = o->start;
            o->word = words;
        }
        SMALL_SORT(s->occ, s->n_occ, cmp_occ_group);
    }
    SMALL_SORT(s->evid, s->n_evid, cmp_evid);

    /* topics in config order: sort the touched list */
    uint32_t *tt = s->touched;
    for (size_t i = 1; i < s->n_touched; i++) { /* insertion sort: few topics */
        uint32_t v = tt[i];
        size_t j = i;
        while (j > 0 && tt[j - 1] > v) {
            tt[j] = tt[j - 1];
            j--;
        }
        tt[j] = v;
    }
    struct nr_tags *tg = &s->tags;
    size_t ei = 0, oi = 0;
    for (size_t q = 0; q < s->n_touched; q++) {
        uint32_t topic = tt[q];
        const struct nr_topic *tp = &t->cfg->topics[topic];
        uint32_t first = (uint32_t)tg->n_evidence;
        double score = s->topic_any[topic];
        while (ei < s->n_evid && s->evid[ei].topic < topic)
            ei++;
        for (; ei < s->n_evid && s->evid[ei].topic == topic; ei++)
            push_evidence(s, first, s->evid[ei].text);
        while (oi < s->n_occ && s->occ[oi].topic < topic)
            oi++;
        while (oi < s->n_occ && s->occ[oi].topic == topic) {
            uint32_t clause = s->occ[oi].clause;
            uint32_t within = clause < tp->n_near ? tp->near[clause].within : 0;
            bool hit = false;
            const struct occ *pa = NULL, *pb = NULL;
            /* sweep in word order per field: remember the last occurrence of
             * each side, a pair is close enough when words apart <= within */
            const struct occ *last[2] = {NULL, NULL};
            int f = -1;
            for (; oi < s->n_occ && s->occ[oi].topic == topic && s->occ[oi].clause == clause;
                 oi++) {
                const struct occ *o = &s->occ[oi];
                if (o->field != f) {
                    f = o->field;
                    last[0] = last[1] = NULL;
                }
                const struct occ *other = last[!o->side];
                if (!hit && other && other->start != o->start && o->word - other->word <= within) {
                    hit = true;
                    pa = o->side ? other : o;
                    pb = o->side ? o : other;
                }
                last[o->side] = o;
            }
            if (hit) {
                score += 1;
                push_evidence(s, first, pa->text);
                push_evidence(s, first, pb->text);
            }
        }
        if (s->topic_veto[topic] || score <= 0 || score < tp->min_score) {
            tg->n_evidence = first;
            continue;
        }
        nr_grow((void **)&tg->topics, &s->cap_top, tg->n_topics + 1, sizeof(*tg->topics));
        tg->topics[tg->n_topics++] =
            (struct nr_topic_tag){topic, score, first, (uint32_t)tg->n_evidence - first};
    }
}

const struct nr_tags *nr_tagger_tag(const struct nr_tagger *t, struct nr_tag_scratch *s,
                                    const struct nr_article *a)
{
    if (++s->stamp == 0) { /* wrapped: forget every old stamp */
        memset(s->topic_stamp, 0, (s->n_topics + 1) * sizeof(uint32_t));
        memset(s->ref_stamp, 0, (s->n_refs + 1) * sizeof(uint32_t));
        s->stamp = 1;
    }
    s->n_cand = s->n_ment = s->n_occ = s->n_evid = s->n_touched = 0;
    struct nr_tags *tg = &s->tags;
    tg->n_entities = tg->n_topics = tg->n_spans = tg->n_evidence = 0;
    tg->lang_source = (uint8_t)nr_lang_of_article(a, tg->lang);

    scan_field(t, s, 0, &a->field[NR_FIELD_TITLE]);
    scan_field(t, s, 1, &a->field[NR_FIELD_BODY]);
    resolve_aliases(t, s, a);
    resolve_topics(t, s);
    const struct nr_text *h = s->text[1].len > 0 ? &s->text[1] : &s->text[0];
    tg->simhash = nr_text_simhash(h->buf, h->len);
    return tg;
}
