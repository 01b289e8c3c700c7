/*
 * tagger.c - article -> entities and topics (see tagger.h).
 *
 * Build: every entity alias (name, aliases, demonyms) and every pattern of
 * the topic engine (tagger_topic.c: query words, stems' prefixes, legacy
 * phrases, exclusions) is normalized (text.h) and interned: one matcher
 * pattern per distinct normalized string, carrying a list of refs (what the
 * string means: alias k of entity i, term t of the topics, ...). So
 * "Taliban" as an alias of two entities, or a phrase that is also an alias,
 * costs one pattern and is found by one scan.
 *
 * Tag (per article, all memory in the scratch and reused):
 *   1. normalize title and body, scan each with the one automaton;
 *   2. keep matches standing on word boundaries (text.h), so "Pakistan's"
 *      yields Pakistan and "Tirana" does not yield Iran (a topic prefix
 *      pattern needs the boundary at its start only);
 *   3. aliases: drop matches inside a link line of the body ("Related:
 *      ...", tagger_links.c: furniture naming other stories) and
 *      case-sensitive refs whose original bytes differ in case
 *      ("against us" is not the US), then resolve overlaps leftmost-longest
 *      ("Pakistani Taliban" is the group, not Pakistan + Taliban);
 *      ambiguous aliases count only if an unambiguous alias of the same
 *      entity occurs in the article;
 *   4. topic matches go to the topic engine (tagger_topic.c), resolved
 *      separately (a phrase may overlap an alias): signals, weights, title
 *      boost, scoped exclusions (tagger_topic_eval.c); those inside a link
 *      line of the body ("Related: ...", tagger_links.c) are dropped;
 *   5. simhash of the normalized title and body lead together (near
 *      duplicates: lead_simhash(), nr_text_simhash()).
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
#include "tagger_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ref_kind { REF_ALIAS, REF_TOPIC, REF_ROLE };

struct ref {
    uint8_t kind;
    uint8_t flags;    /* alias flags (enum nr_alias_flag) */
    uint32_t owner;   /* entity or topic index */
    uint32_t sub;     /* alias index, or topic term (REF_TOPIC) */
    uint32_t order;   /* evidence order within the topic */
    const char *text; /* config text (evidence) */
    char *cs;         /* NR_ALIAS_CASE: case-kept normalized alias, else NULL */
    size_t cs_len;
    uint32_t ctx; /* aliases: context rule set (tagger_context.c), 0 = none */
};

struct pinfo {
    uint32_t ref_off, ref_n;
    bool alias, topic, cased, role;
    bool prefix; /* a topic ref may end inside a word */
};

struct nr_tagger {
    const struct nr_config *cfg;
    struct nr_matcher *m;
    struct pinfo *pat;
    size_t n_pat;
    struct ref *refs;
    size_t n_refs;
    struct nr_topics *topics;
    struct nr_roles *roles; /* officials by role (tagger_roles.c) */
    struct nr_tagctx *tctx; /* context rules (tagger_context.c) */
    struct nr_links *links; /* link line labels (tagger_links.c) */
    uint32_t max_pat;       /* longest pattern: the overlap of scan chunks */
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
    const struct nr_tagctx *tctx;
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
    if (r.kind == REF_ALIAS)
        r.ctx = nr_tagctx_for_alias(b->tctx, n.p, n.len);
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
    nr_topics_free(t->topics);
    nr_roles_free(t->roles);
    nr_tagctx_free(t->tctx);
    nr_links_free(t->links);
    free(t);
}

/* The topic engine's patterns come normalized (tagger_int.h). */
static void sink_add(void *ctx, const char *s, size_t len, uint32_t term, bool prefix)
{
    struct builder *b = ctx;
    uint32_t pat = intern(b, s, len);
    nr_grow((void **)&b->pr, &b->cap_pr, b->n_pr + 1, sizeof(*b->pr));
    b->pr[b->n_pr].pat = pat;
    b->pr[b->n_pr].r = (struct ref){.kind = REF_TOPIC, .flags = prefix, .sub = term};
    b->n_pr++;
}

struct nr_tagger *nr_tagger_new_engine(const struct nr_config *cfg, enum nr_matcher_engine engine,
                                       struct nr_error *err)
{
    struct builder b;
    memset(&b, 0, sizeof(b));
    nr_text_init(&b.norm);
    struct nr_tagger *t = nr_xcalloc(1, sizeof(*t));
    t->cfg = cfg;
    t->roles = nr_roles_new(cfg);
    t->tctx = nr_tagctx_new(cfg);
    t->links = nr_links_new();
    b.tctx = t->tctx;

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
    struct nr_pattern_sink sink = {&b, sink_add};
    t->topics = nr_topics_new(cfg, &sink, err);
    if (!t->topics)
        goto fail;

    for (size_t i = 0; i < nr_roles_count(cfg); i++) {
        struct ref r = {.kind = REF_ROLE, .owner = (uint32_t)i};
        if (add_ref(&b, nr_roles_phrase(cfg, i), r, err, "lexicon: role") < 0)
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
        } else if (t->refs[i].kind == REF_ROLE) {
            p->role = true;
        } else {
            p->topic = true;
            if (t->refs[i].flags)
                p->prefix = true;
        }
    }
    t->n_refs = b.n_pr;

    t->m = nr_matcher_new(engine, NR_MATCHER_WORD_START, err);
    if (!t->m)
        goto fail;
    for (size_t i = 0; i < b.n; i++)
        if (b.len[i] > t->max_pat)
            t->max_pat = b.len[i];
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
           t->n_refs * sizeof(struct ref) + nr_topics_memory(t->topics);
}

/* ---- scratch -------------------------------------------------------------- */

struct cand {
    uint32_t start, end, pat; /* normalized offsets */
    uint8_t field;            /* 0 title, 1 body */
};

#define MAX_DROPS 32

/* Mentions of one entity beyond NR_TAG_MAX_MENTIONS (tagger.h): counted,
 * not stored. */
struct ovf {
    uint32_t count;
    uint32_t start, end; /* the last one (two aliases on one span count once) */
    uint8_t field;
    bool unamb, in_title;
};

struct nr_tag_scratch {
    struct nr_match_scratch *ms;
    struct nr_text text[2], tmp;
    struct cand *cand;
    size_t n_cand, cap_cand;
    struct nr_tag_mention *ment;
    size_t n_ment, cap_ment;
    /* leftmost-longest across scan chunks: the last alias chosen */
    uint32_t last_end;
    int last_field;
    struct ovf *ovf; /* per entity, when the article has too many mentions */
    size_t n_ovf;
    bool overflow; /* this article: ovf in use */
    bool oom;      /* this article: memory ran out (nr_tag_scratch_failed) */
    /* alias matches dropped in link lines, kept for `tag --explain` only
     * (the first MAX_DROPS) */
    struct cand drop[MAX_DROPS];
    size_t n_drop;
    struct nr_roles_scratch *roles;
    struct nr_tag_view view;
    struct nr_topics_scratch *ts;
    /* result */
    struct nr_tags tags;
    size_t cap_ent, cap_spans;
    char lead[NR_SIMHASH_LEAD + 1]; /* title + body lead, for the simhash */
};

struct nr_tag_scratch *nr_tag_scratch_new(const struct nr_tagger *t)
{
    struct nr_tag_scratch *s = nr_xcalloc(1, sizeof(*s));
    s->ms = nr_match_scratch_new(t->m);
    nr_text_init(&s->text[0]);
    nr_text_init(&s->text[1]);
    nr_text_init(&s->tmp);
    s->roles = nr_roles_scratch_new();
    s->view.cfg = t->cfg;
    s->view.text[0] = &s->text[0];
    s->view.text[1] = &s->text[1];
    s->view.ment = &s->ment;
    s->view.n_ment = &s->n_ment;
    s->view.cap_ment = &s->cap_ment;
    s->ts = nr_topics_scratch_new(t->topics);
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
    free(s->ovf);
    nr_roles_scratch_free(s->roles);
    nr_topics_scratch_free(s->ts);
    free(s->tags.entities);
    free(s->tags.spans);
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

/* ---- link lines (tagger_links.c) ------------------------------------------ */

static bool in_links(const struct nr_span32 *l, size_t n, uint32_t o)
{
    for (size_t i = 0; i < n; i++)
        if (o >= l[i].a && o < l[i].e)
            return true;
    return false;
}

static void resolve_chunk(const struct nr_tagger *t, struct nr_tag_scratch *s,
                          const struct nr_article *a);

/* Matches of [from, to) of field f whose start is before `upto`; alias,
 * role and topic matches inside links[] (original offsets) are dropped: a
 * link to another story names its countries, groups and events, not this
 * one's (the alias ones are kept aside for `tag --explain`). */
static void scan_chunk(const struct nr_tagger *t, struct nr_tag_scratch *s, int f, uint32_t from,
                       uint32_t to, uint32_t upto, const struct nr_span32 *links, size_t n_links)
{
    struct nr_text *tx = &s->text[f];
    const struct nr_match *m;
    size_t n = nr_matcher_scan(t->m, s->ms, tx->buf + from, to - from, &m);
    if (nr_match_scratch_failed(s->ms))
        s->oom = true;
    /* The pattern and ref tables are large and read at random (one miss
     * each per match, ~45% of this function's time at 10,000 aliases): ask
     * for all the matches' pattern entries at once, so their misses overlap
     * instead of queueing one after another in the loop below, and for each
     * candidate's refs when it is kept (resolve_chunk reads them later). */
    for (size_t i = 0; i < n; i++)
        __builtin_prefetch(&t->pat[m[i].id]);
    for (size_t i = 0; i < n; i++) {
        struct nr_match mi = {m[i].id, m[i].start + from, m[i].end + from};
        if (mi.start >= upto)
            continue; /* the next chunk's */
        const struct nr_match *mp = &mi;
        const struct pinfo *p = &t->pat[mp->id];
        bool full = nr_text_boundary_ok(tx->buf, tx->len, mp->start, mp->end) ||
                    nr_text_zwnj_boundary_ok(tx, s->view.orig[f].p, mp->start, mp->end);
        if (!full && !(p->prefix && (!nr_text_word_before(tx->buf, mp->start) ||
                                     nr_text_arabic_prefix_ok(tx->buf, tx->len, mp->start))))
            continue; /* a prefix pattern needs a word start (or an Arabic-script clitic) */
        if (n_links && in_links(links, n_links, nr_text_orig(tx, mp->start))) {
            if (p->alias && full && s->n_drop < MAX_DROPS)
                s->drop[s->n_drop++] = (struct cand){mp->start, mp->end, mp->id, (uint8_t)f};
            continue; /* a link to another story */
        }
        if (p->role && full)
            for (uint32_t k = p->ref_off; k < p->ref_off + p->ref_n; k++)
                if (t->refs[k].kind == REF_ROLE)
                    nr_roles_note(s->roles, f, mp->start, mp->end, t->refs[k].owner);
        if (p->alias && full) {
            if (nr_try_grow((void **)&s->cand, &s->cap_cand, s->n_cand + 1, sizeof(*s->cand)) < 0) {
                s->oom = true;
                continue;
            }
            s->cand[s->n_cand++] = (struct cand){mp->start, mp->end, mp->id, (uint8_t)f};
            __builtin_prefetch(&t->refs[p->ref_off]);
        }
        if (!p->topic)
            continue;
        for (uint32_t k = p->ref_off; k < p->ref_off + p->ref_n; k++)
            if (t->refs[k].kind == REF_TOPIC)
                nr_topics_hit(t->topics, s->ts, t->refs[k].sub, f, mp->start, mp->end, full);
    }
}

/* Scan field f in chunks of SCAN_CHUNK bytes, so that the matches and alias
 * candidates held at once stay bounded however large the article: a chunk
 * is scanned with max_pat - 1 bytes of the next one and keeps the matches
 * that start inside it; its candidates are resolved (leftmost-longest, in
 * order) before the next chunk. An article below SCAN_CHUNK is one chunk. */
#define SCAN_CHUNK (256u << 10)

static void scan_field(const struct nr_tagger *t, struct nr_tag_scratch *s, int f,
                       const struct nr_article *a)
{
    const struct nr_text *tx = &s->text[f];
    /* link lines: once per field, on the original text (in_links compares
     * original offsets) */
    const struct nr_str *orig = &a->field[field_id[f]];
    struct nr_span32 *links = s->view.links;
    size_t n_links = f == 1 && orig->p ? nr_links_find(t->links, tx, &s->tmp, orig->p, orig->len,
                                                       links, NR_MAX_LINKS)
                                       : 0;
    if (f == 1)
        s->view.n_links = n_links;
    uint32_t len = tx->len > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)tx->len;
    uint32_t from = 0;
    do {
        uint32_t upto = len;
        if (len - from > SCAN_CHUNK) {
            upto = from + SCAN_CHUNK;
            while (upto < len && ((unsigned char)tx->buf[upto] & 0xC0) == 0x80)
                upto++; /* not inside a UTF-8 sequence */
        }
        uint32_t to = len - upto > t->max_pat ? upto + t->max_pat : len;
        scan_chunk(t, s, f, from, to, upto, links, n_links);
        resolve_chunk(t, s, a);
        from = upto;
    } while (from < len);
}

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
    const struct nr_tag_mention *a = x, *b = y;
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

/* A mention of an article that already holds NR_TAG_MAX_MENTIONS: counted
 * in s->ovf, not stored. */
static void add_overflow(const struct nr_tagger *t, struct nr_tag_scratch *s, uint32_t e,
                         uint8_t field, uint32_t os, uint32_t oe, bool amb)
{
    if (!s->overflow) {
        size_t n = t->cfg->n_entities;
        if (s->n_ovf < n) {
            struct ovf *v = nr_try_realloc(s->ovf, n * sizeof(*v));
            if (!v) {
                s->oom = true;
                return;
            }
            s->ovf = v;
            s->n_ovf = n;
        }
        memset(s->ovf, 0, n * sizeof(*s->ovf));
        s->overflow = true;
        s->view.overflow = true;
        s->view.ovf_field = field;
        s->view.ovf_start = os;
    }
    struct ovf *v = &s->ovf[e];
    v->unamb |= !amb;
    if (v->count > 0 && v->field == field && v->start == os && v->end == oe)
        return; /* two aliases of one entity on one span */
    v->count++;
    v->in_title |= field == 0;
    v->field = field;
    v->start = os;
    v->end = oe;
}

/* The alias candidates of one scan chunk, in order: leftmost-longest, case
 * and context tests, into mentions. */
static void resolve_chunk(const struct nr_tagger *t, struct nr_tag_scratch *s,
                          const struct nr_article *a)
{
    SMALL_SORT(s->cand, s->n_cand, cmp_cand);
    for (size_t i = 0; i < s->n_cand; i++) {
        const struct cand *c = &s->cand[i];
        if (c->field == s->last_field && c->start < s->last_end)
            continue; /* overlaps a longer or earlier chosen alias */
        const struct nr_text *tx = &s->text[c->field];
        uint32_t os = nr_text_orig(tx, c->start), oe = nr_text_orig(tx, c->end);
        const struct pinfo *p = &t->pat[c->pat];
        const char *orig = a->field[field_id[c->field]].p;
        size_t before = s->n_ment;
        bool counted = false, full = s->n_ment >= NR_TAG_MAX_MENTIONS;
        for (uint32_t k = p->ref_off; k < p->ref_off + p->ref_n; k++) {
            const struct ref *r = &t->refs[k];
            if (r->kind != REF_ALIAS)
                continue;
            bool amb = (r->flags & NR_ALIAS_AMBIGUOUS) != 0;
            if (r->flags & NR_ALIAS_CASE) {
                int cr = nr_tagctx_case(&s->view, c->field, os, oe, r->cs, r->cs_len,
                                        case_ok(s, r, orig, os, oe));
                if (cr == 0)
                    continue;
                amb |= cr == 2;
            }
            if (r->ctx && nr_tagctx_reject(t->tctx, r->ctx, &s->view, c->field, c->start, c->end))
                continue;
            if (full) {
                add_overflow(t, s, r->owner, c->field, os, oe, amb);
                counted = true;
                continue;
            }
            if (nr_try_grow((void **)&s->ment, &s->cap_ment, s->n_ment + 1, sizeof(*s->ment)) < 0) {
                s->oom = true;
                continue;
            }
            s->ment[s->n_ment++] = (struct nr_tag_mention){r->owner, os, oe, c->field, amb};
        }
        if (s->n_ment == before && !counted)
            continue; /* every ref failed its case test: not an alias here */
        s->last_end = c->end;
        s->last_field = c->field;
    }
    s->n_cand = 0;
}

/* The next entity from e on with overflow mentions, or UINT32_MAX. */
static uint32_t next_overflow(const struct nr_tag_scratch *s, uint32_t e)
{
    if (!s->overflow)
        return UINT32_MAX;
    for (; e < s->n_ovf; e++)
        if (s->ovf[e].count > 0)
            return e;
    return UINT32_MAX;
}

static void push_span(struct nr_tag_scratch *s, struct nr_span sp)
{
    struct nr_tags *tg = &s->tags;
    if (nr_try_grow((void **)&tg->spans, &s->cap_spans, tg->n_spans + 1, sizeof(*tg->spans)) < 0) {
        s->oom = true;
        return;
    }
    tg->spans[tg->n_spans++] = sp;
}

/* Officials found by role: their later surname mentions in a link line
 * (tagger_roles_surname.c finds them in the text) do not count; an official
 * left with none is dropped. Their role phrases there were never noted. */
static void drop_link_officials(struct nr_tag_scratch *s)
{
    struct nr_tags *tg = &s->tags;
    if (s->view.n_links == 0 || tg->n_officials == 0)
        return;
    size_t k = 0;
    for (size_t i = 0; i < tg->n_officials; i++) {
        struct nr_official_tag o = tg->officials[i];
        uint32_t w = o.first_span;
        for (uint32_t j = o.first_span; j < o.first_span + o.n_spans; j++) {
            const struct nr_span sp = tg->spans[j];
            if (sp.field == NR_FIELD_BODY && in_links(s->view.links, s->view.n_links, sp.start))
                continue; /* a link to another story */
            tg->spans[w++] = sp;
        }
        uint32_t dropped = o.first_span + o.n_spans - w;
        o.n_spans -= dropped;
        o.mentions = o.mentions > dropped ? o.mentions - dropped : 0;
        if (o.mentions > 0)
            tg->officials[k++] = o;
    }
    tg->n_officials = k;
}

/* Mentions -> entity tags: every mention counted, the first
 * NR_TAG_MAX_SPANS of an entity with their spans. */
static void resolve_aliases(const struct nr_tagger *t, struct nr_tag_scratch *s)
{
    nr_roles_resolve(t->roles, s->roles, &s->view);
    SMALL_SORT(s->ment, s->n_ment, cmp_ment);

    struct nr_tags *tg = &s->tags;
    uint32_t eo = next_overflow(s, 0);
    for (size_t i = 0; i < s->n_ment || eo != UINT32_MAX;) {
        uint32_t e = i < s->n_ment && s->ment[i].entity < eo ? s->ment[i].entity : eo;
        size_t j = i;
        bool any_unamb = false;
        while (j < s->n_ment && s->ment[j].entity == e) {
            any_unamb |= !s->ment[j].ambiguous;
            j++;
        }
        const struct ovf *ov = e == eo ? &s->ovf[e] : NULL;
        if (ov)
            any_unamb |= ov->unamb;
        if (any_unamb) {
            nr_grow((void **)&tg->entities, &s->cap_ent, tg->n_entities + 1, sizeof(*tg->entities));
            struct nr_entity_tag *et = &tg->entities[tg->n_entities++];
            et->entity = e;
            et->mentions = 0;
            et->in_title = false;
            et->first_span = (uint32_t)tg->n_spans;
            for (size_t k = i; k < j; k++) {
                const struct nr_tag_mention *mm = &s->ment[k];
                if (k > i && mm->field == s->ment[k - 1].field &&
                    mm->start == s->ment[k - 1].start && mm->end == s->ment[k - 1].end)
                    continue; /* two aliases of one entity on one span */
                if (et->mentions < NR_TAG_MAX_SPANS)
                    push_span(s, (struct nr_span){field_id[mm->field], mm->start, mm->end});
                et->mentions++;
                if (mm->field == 0)
                    et->in_title = true;
            }
            if (ov) {
                et->mentions += ov->count;
                et->in_title |= ov->in_title;
            }
            et->n_spans = (uint32_t)tg->n_spans - et->first_span;
        }
        i = j;
        if (ov)
            eo = next_overflow(s, e + 1);
    }
    nr_roles_emit(t->roles, s->roles, tg, &s->cap_spans);
    drop_link_officials(s);
}

/* Mentions added by the helpers (tagger_roles.c); none in a link line. */
void nr_tag_view_add(struct nr_tag_view *v, uint32_t entity, uint8_t field, uint32_t start,
                     uint32_t end, bool ambiguous)
{
    if (*v->n_ment >= NR_TAG_MAX_MENTIONS ||
        (v->overflow && (field > v->ovf_field || (field == v->ovf_field && start >= v->ovf_start))))
        return;
    if (field == 1 && v->n_links && in_links(v->links, v->n_links, start))
        return; /* a link to another story */
    nr_grow((void **)v->ment, v->cap_ment, *v->n_ment + 1, sizeof(**v->ment));
    (*v->ment)[(*v->n_ment)++] = (struct nr_tag_mention){entity, start, end, field, ambiguous};
}

/* The simhash of the title and the lead together: a feed whose bodies are
 * all one teaser ("Read the full story on our website.") still tells its
 * stories apart by their titles, and a copy that only retitles a story is
 * still near. The title takes at most a quarter of the lead (cut back to a
 * word), the body the rest; both are normalized text (single spaces). */
static uint64_t lead_simhash(struct nr_tag_scratch *s)
{
    const struct nr_text *ti = &s->text[0], *bo = &s->text[1];
    size_t n = ti->len;
    if (n > NR_SIMHASH_LEAD / 4) {
        n = NR_SIMHASH_LEAD / 4;
        while (n > 0 && ti->buf[n] != ' ')
            n--;
    }
    memcpy(s->lead, ti->buf, n);
    if (bo->len > 0) {
        if (n > 0)
            s->lead[n++] = ' ';
        size_t m = bo->len < NR_SIMHASH_LEAD - n ? bo->len : NR_SIMHASH_LEAD - n;
        while (m < bo->len && m > 0 && bo->buf[m] != ' ')
            m--; /* end on a word boundary */
        memcpy(s->lead + n, bo->buf, m);
        n += m;
    }
    s->lead[n] = '\0';
    return nr_text_simhash(s->lead, n);
}

int nr_tag_scratch_reserve(struct nr_tag_scratch *s, const struct nr_article *a)
{
    /* nr_text_normalize() reserves len + 64 first: the same here */
    if (nr_text_reserve(&s->text[0], a->field[NR_FIELD_TITLE].len + 64) < 0 ||
        nr_text_reserve(&s->text[1], a->field[NR_FIELD_BODY].len + 64) < 0)
        return -1;
    return 0;
}

const struct nr_tags *nr_tagger_tag(const struct nr_tagger *t, struct nr_tag_scratch *s,
                                    const struct nr_article *a)
{
    s->n_cand = s->n_ment = s->n_drop = s->view.n_links = 0;
    s->last_end = 0;
    s->last_field = -1;
    s->overflow = s->oom = s->view.overflow = false;
    struct nr_tags *tg = &s->tags;
    tg->n_entities = tg->n_topics = tg->n_spans = tg->n_evidence = tg->n_officials = 0;
    tg->lang_source = (uint8_t)nr_lang_of_article(a, tg->lang);
    nr_roles_begin(s->roles);
    s->view.n_person_rules = 0;
    for (int f = 0; f < 2; f++) {
        s->view.orig[f] = a->field[field_id[f]];
        s->view.shape[f] = nr_tagctx_shape(s->view.orig[f].p, s->view.orig[f].len);
    }
    /* past_years masks the years before this one: a month back, so that
     * "on December 31, 2025" is news in a story of January 2026 */
    int64_t year = a->published_ms == NR_TIME_NONE
                       ? 0
                       : nr_time_year(a->published_ms - 31 * 86400 * INT64_C(1000));
    nr_topics_begin(t->topics, s->ts, s->text, s->view.orig, tg->lang,
                    year > 1900 && year < 10000 ? (int)year : 0);

    /* both fields first: the context rules of a title mention read the body */
    for (int f = 0; f < 2; f++) {
        const struct nr_str *o = &a->field[field_id[f]];
        nr_text_normalize(&s->text[f], o->p ? o->p : "", o->p ? o->len : 0, 0);
    }
    scan_field(t, s, 0, a);
    scan_field(t, s, 1, a);
    resolve_aliases(t, s);
    nr_topics_resolve(t->topics, s->ts, tg);
    tg->simhash = lead_simhash(s);
    return tg;
}

size_t nr_tag_link_drops(const struct nr_tagger *t, struct nr_tag_scratch *s,
                         const struct nr_article *a, struct nr_tag_mention *out, size_t max)
{
    SMALL_SORT(s->drop, s->n_drop, cmp_cand);
    size_t k = 0;
    uint32_t last_end = 0;
    for (size_t i = 0; i < s->n_drop && k < max; i++) {
        const struct cand *c = &s->drop[i];
        if (c->start < last_end)
            continue; /* overlaps a longer or earlier alias */
        const struct nr_text *tx = &s->text[c->field];
        uint32_t os = nr_text_orig(tx, c->start), oe = nr_text_orig(tx, c->end);
        const struct pinfo *p = &t->pat[c->pat];
        const char *orig = a->field[field_id[c->field]].p;
        size_t before = k;
        for (uint32_t r = p->ref_off; r < p->ref_off + p->ref_n && k < max; r++) {
            const struct ref *rf = &t->refs[r];
            if (rf->kind != REF_ALIAS ||
                ((rf->flags & NR_ALIAS_CASE) && !case_ok(s, rf, orig, os, oe)))
                continue;
            if (k > before && out[k - 1].entity == rf->owner)
                continue; /* two aliases of one entity on one span */
            out[k++] = (struct nr_tag_mention){rf->owner, os, oe, c->field,
                                               (rf->flags & NR_ALIAS_AMBIGUOUS) != 0};
        }
        if (k > before)
            last_end = c->end;
    }
    return k;
}

bool nr_tag_scratch_failed(const struct nr_tag_scratch *s)
{
    return s->oom || nr_topics_scratch_failed(s->ts);
}

const struct nr_topics *nr_tagger_topics(const struct nr_tagger *t)
{
    return t->topics;
}

struct nr_topics_scratch *nr_tag_scratch_topics(struct nr_tag_scratch *s)
{
    return s->ts;
}
