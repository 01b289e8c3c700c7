/*
 * tagger_roles_surname.c - surname-only mentions of the people of an
 * article (tagger_roles_int.h): "Blinken said" after "Antony Blinken", for
 * role-found persons and watchlist officials alike, and the dropping of an
 * ambiguous surname alias right after another given name ("Nawaz Naqvi" is
 * not Mohsin Naqvi).
 *
 * A person's surname is the last word of its folded name; it is searched
 * in the normalized text of each field, accepted capitalised, not right
 * after another capitalised name word and not right before one in prose,
 * and not at all when two people of the article share it. A role-found
 * person's surname is kept in the text's own script (its key writes
 * Cyrillic in Latin letters).
 *
 * Cost, linear in the text and the mentions (an article may name hundreds
 * of officials, each many times, up to the mention caps): the hits of all
 * surnames are found first, by one memchr-led scan per surname when there
 * are few (SCAN_FEW) or else by one pass over each field's words with a
 * hash of the surnames; they are then taken in the order of one target
 * after the other (as a scan per target finds them, so the result does
 * not depend on the method). "Is this offset inside a mention" and "does
 * this span overlap a counted one" are answered by a hash of 64-byte
 * buckets (struct sidx) instead of a walk over all mentions: O(1) per hit.
 * Targets are deduplicated and shared surnames found by sorting.
 */
#include "tagger_roles_int.h"

#include <stdlib.h>
#include <string.h>

static const char *find(const char *h, size_t hl, const char *n, size_t nl)
{
    while (hl >= nl) {
        const char *p = memchr(h, n[0], hl - nl + 1);
        if (!p)
            return NULL;
        if (memcmp(p, n, nl) == 0)
            return p;
        hl -= (size_t)(p - h) + 1;
        h = p + 1;
    }
    return NULL;
}

static const char *target_surname(const struct nr_roles *r, const struct nr_roles_scratch *rs,
                                  uint32_t t)
{
    if (t & 1u << 31)
        return r->sur_text[t & ~(1u << 31)];
    return rs->pers[t].sur_off == NO_SUR ? NULL : rs->arena + rs->pers[t].sur_off;
}

static const char *target_key(const struct nr_roles *r, const struct nr_roles_scratch *rs,
                              uint32_t t, char *buf, size_t cap)
{
    if (t & 1u << 31) {
        const struct nr_entity *e = &r->cfg->entities[t & ~(1u << 31)];
        nr_name_fold(e->name, strlen(e->name), buf, cap);
        return buf;
    }
    return rs->arena + rs->pers[t].key_off;
}

/* Is the original word w one of the words of the folded key? */
static bool word_in_key(const char *s, const struct nr_word *w, const char *key)
{
    char f[128];
    size_t n = nr_name_fold(s + w->start, w->end - w->start, f, sizeof(f));
    if (n == 0)
        return nr_name_droppable(s, w); /* an initial inside the full name */
    for (const char *p = key; (p = strstr(p, f)) != NULL; p++)
        if ((p == key || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* May a period after w stay inside a name: an initial ("J.") or an
 * honorific ("Gen.", "Dr.")? Any other word's period ends a sentence. */
static bool abbrev_dot(const struct nr_roles *r, const char *s, const struct nr_word *w)
{
    return (w->end - w->start == 1 && w->upper) ||
           nr_wordset_has_orig(&r->honorifics, s + w->start, w->end - w->start);
}

/* An ambiguous surname alias of a watchlist official ("Naqvi") right after
 * a capitalised given name that is not one of the official's names is
 * another person ("Nawaz Naqvi" is not Mohsin Naqvi), even when that given
 * name is itself some entity's alias. Such mentions are dropped. */
void nr_roles_drop_other_given(const struct nr_roles *r, struct nr_tag_view *v)
{
    size_t n = *v->n_ment, k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct nr_tag_mention *m = &(*v->ment)[i];
        bool drop = false;
        const char *s = v->orig[m->field].p;
        struct nr_word w;
        if (m->ambiguous && s && r->official[m->entity] && nr_word_prev(s, m->start, &w) &&
            is_space_run(s, w.end, m->start) && w.upper && !w.caps && !w.dot &&
            !nr_wordset_has_orig(&r->honorifics, s + w.start, w.end - w.start) &&
            !nr_wordset_has_orig(&r->not_names, s + w.start, w.end - w.start)) {
            char key[256];
            nr_name_fold(v->cfg->entities[m->entity].name, strlen(v->cfg->entities[m->entity].name),
                         key, sizeof(key));
            const struct nr_tag_mention *o = mention_at(v, m->field, w.start);
            /* sentence starters ("Later Naqvi said") are in not_names */
            drop = !word_in_key(s, &w, key) && (!o || r->official[o->entity]);
        }
        /* "the Godswill Akpabio International Stadium", "the Ishaq Dar
         * Foundation": a place or a body named after the official (lexicon
         * namesake_words; in prose only: a Title Case headline capitalises
         * every word) */
        if (!drop && s && r->official[m->entity] && v->shape[m->field] == NR_SHAPE_PROSE &&
            nr_word_next(s, v->orig[m->field].len, m->end, &w) &&
            is_space_run(s, m->end, w.start) && w.upper &&
            nr_wordset_has_orig(&r->namesake, s + w.start, w.end - w.start))
            drop = true;
        if (!drop)
            (*v->ment)[k++] = *m;
    }
    *v->n_ment = k;
}

/* ---- a bucket index of spans ------------------------------------------- */

#define BUCKET   64 /* bytes of text per bucket */
#define SCAN_FEW 8  /* up to this many surnames: one scan each */

/* Spans (of mentions or person spans, by their array index) per
 * (field, 64-byte bucket) of the text they touch: open addressing on the
 * bucket key, a chain of nodes per bucket. */
struct sidx {
    uint64_t *key;  /* (field << 32 | bucket) + 1; 0 is empty */
    uint32_t *head; /* node + 1 */
    size_t cap, n;
    uint32_t *item, *next; /* nodes */
    size_t n_nd, cap_nd;
};

struct hit {
    uint32_t ti, a; /* target index, normalized start */
    uint8_t f;
};

struct sur_scratch {
    struct sidx mi, pi; /* mentions, person spans */
    struct hit *hits;
    size_t n_hits, cap_hits;
    uint32_t *ord, *slot, *chain, *fl; /* per target / hash slots */
    size_t cap_t, cap_slot;
    char *keys;
    size_t n_keys, cap_keys;
    uint32_t *key_off;
};

static void sidx_free(struct sidx *x)
{
    free(x->key);
    free(x->head);
    free(x->item);
    free(x->next);
}

void nr_roles_sur_free(struct sur_scratch *ss)
{
    if (!ss)
        return;
    sidx_free(&ss->mi);
    sidx_free(&ss->pi);
    free(ss->hits);
    free(ss->ord);
    free(ss->slot);
    free(ss->chain);
    free(ss->fl);
    free(ss->keys);
    free(ss->key_off);
    free(ss);
}

static size_t sidx_slot(const struct sidx *x, uint64_t k)
{
    size_t mask = x->cap - 1, i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & mask;
    while (x->key[i] && x->key[i] != k)
        i = (i + 1) & mask;
    return i;
}

static void sidx_clear(struct sidx *x)
{
    if (x->cap)
        memset(x->key, 0, x->cap * sizeof(*x->key));
    x->n = x->n_nd = 0;
}

static void sidx_put(struct sidx *x, uint64_t k, uint32_t item)
{
    if ((x->n + 1) * 2 > x->cap) {
        struct sidx o = *x;
        x->cap = o.cap ? o.cap * 2 : 256;
        x->key = nr_xcalloc(x->cap, sizeof(*x->key));
        x->head = nr_xcalloc(x->cap, sizeof(*x->head));
        for (size_t i = 0; i < o.cap; i++)
            if (o.key[i]) {
                size_t j = sidx_slot(x, o.key[i]);
                x->key[j] = o.key[i];
                x->head[j] = o.head[i];
            }
        free(o.key);
        free(o.head);
    }
    nr_grow((void **)&x->item, &x->cap_nd, x->n_nd + 1, sizeof(*x->item));
    x->next = nr_xrealloc(x->next, x->cap_nd * sizeof(*x->next));
    size_t i = sidx_slot(x, k);
    if (!x->key[i]) {
        x->key[i] = k;
        x->head[i] = 0;
        x->n++;
    }
    x->item[x->n_nd] = item;
    x->next[x->n_nd] = x->head[i];
    x->head[i] = (uint32_t)++x->n_nd;
}

static uint64_t bkey(int f, uint32_t b)
{
    return ((uint64_t)(unsigned)f << 32 | b) + 1;
}

/* Index span [a, b) of field f as item. */
static void sidx_add(struct sidx *x, int f, uint32_t a, uint32_t b, uint32_t item)
{
    for (uint32_t k = a / BUCKET; k <= (b > a ? b - 1 : a) / BUCKET; k++)
        sidx_put(x, bkey(f, k), item);
}

/* The first node of bucket (f, k), + 1; 0 when none. */
static uint32_t sidx_first(const struct sidx *x, int f, uint32_t k)
{
    if (!x->cap)
        return 0;
    size_t i = sidx_slot(x, bkey(f, k));
    return x->key[i] ? x->head[i] : 0;
}

/* mention_at() through the index: the mention of field f covering p with
 * the lowest index (the one a walk over the array finds first). */
static const struct nr_tag_mention *imention_at(const struct sur_scratch *ss,
                                                const struct nr_tag_view *v, int f, uint32_t p)
{
    uint32_t best = UINT32_MAX;
    for (uint32_t n = sidx_first(&ss->mi, f, p / BUCKET); n; n = ss->mi.next[n - 1]) {
        uint32_t i = ss->mi.item[n - 1];
        const struct nr_tag_mention *m = &(*v->ment)[i];
        if (i < best && m->field == f && m->start <= p && p < m->end)
            best = i;
    }
    return best == UINT32_MAX ? NULL : &(*v->ment)[best];
}

static void add_mention(struct sur_scratch *ss, struct nr_tag_view *v, uint32_t ent, int f,
                        uint32_t a, uint32_t b)
{
    size_t n = *v->n_ment;
    nr_tag_view_add(v, ent, (uint8_t)f, a, b, false);
    if (*v->n_ment > n)
        sidx_add(&ss->mi, f, a, b, (uint32_t)n);
}

/* add_pspan() through the index. */
static void add_ipspan(struct sur_scratch *ss, struct nr_roles_scratch *rs, uint32_t person, int f,
                       uint32_t a, uint32_t b)
{
    if (rs->n_ps >= NR_TAG_MAX_ROLE_HITS)
        return; /* tagger.h */
    for (uint32_t k = a / BUCKET; k <= (b > a ? b - 1 : a) / BUCKET; k++)
        for (uint32_t n = sidx_first(&ss->pi, f, k); n; n = ss->pi.next[n - 1]) {
            const struct pspan *q = &rs->ps[ss->pi.item[n - 1]];
            if (q->field == f && q->start < b && a < q->end)
                return; /* already counted */
        }
    nr_grow((void **)&rs->ps, &rs->cap_ps, rs->n_ps + 1, sizeof(*rs->ps));
    rs->ps[rs->n_ps] = (struct pspan){person, a, b, (uint8_t)f};
    sidx_add(&ss->pi, f, a, b, (uint32_t)rs->n_ps++);
}

/* ---- surname hits ----------------------------------------------------------- */

static void put_hit(struct sur_scratch *ss, uint32_t ti, int f, size_t a)
{
    nr_grow((void **)&ss->hits, &ss->cap_hits, ss->n_hits + 1, sizeof(*ss->hits));
    ss->hits[ss->n_hits++] = (struct hit){ti, (uint32_t)a, (uint8_t)f};
}

/* Does sur stand as whole words at normalized byte a of tx? */
static bool whole_at(const struct nr_text *tx, size_t a, size_t sl)
{
    size_t b = a + sl;
    return nr_text_boundary_ok(tx->buf, tx->len, a, b) &&
           !(a > 0 && nr_text_word_before(tx->buf, a)) &&
           !(b < tx->len && nr_text_word_at(tx->buf, tx->len, b));
}

static size_t u8len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Bytes of the first run of word characters of p[0..n). */
static size_t first_run(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && nr_text_word_at(p, n, i))
        i += u8len((unsigned char)p[i]);
    return i < n ? i : n;
}

/* The hits of the targets ord[0..k) in field f by one pass over its word
 * runs: a run is looked up in a hash of the surnames' first runs. */
static void hits_by_words(struct sur_scratch *ss, const struct nr_text *tx, int f,
                          const char *const *sur, const size_t *sl, size_t k)
{
    size_t cap = 16;
    while (cap < 2 * k)
        cap *= 2;
    if (cap > ss->cap_slot) {
        ss->slot = nr_xrealloc(ss->slot, cap * sizeof(*ss->slot));
        ss->cap_slot = cap;
    }
    memset(ss->slot, 0, cap * sizeof(*ss->slot));
    for (size_t j = 0; j < k; j++) {
        uint32_t ti = ss->ord[j];
        size_t h = (size_t)nr_hash64(sur[ti], ss->fl[ti], 0) & (cap - 1);
        ss->chain[ti] = ss->slot[h];
        ss->slot[h] = ti + 1;
    }
    const char *b = tx->buf;
    for (size_t i = 0; i < tx->len;) {
        if (!nr_text_word_at(b, tx->len, i)) {
            i += u8len((unsigned char)b[i]);
            continue;
        }
        size_t a = i;
        while (i < tx->len && nr_text_word_at(b, tx->len, i))
            i += u8len((unsigned char)b[i]);
        if (i > tx->len)
            i = tx->len;
        size_t h = (size_t)nr_hash64(b + a, i - a, 0) & (cap - 1);
        for (uint32_t e = ss->slot[h]; e; e = ss->chain[e - 1]) {
            uint32_t ti = e - 1;
            if (ss->fl[ti] == i - a && a + sl[ti] <= tx->len &&
                memcmp(b + a, sur[ti], sl[ti]) == 0 && whole_at(tx, a, sl[ti]))
                put_hit(ss, ti, f, a);
        }
    }
}

static int cmp_hit(const void *x, const void *y)
{
    const struct hit *a = x, *b = y;
    if (a->ti != b->ti)
        return a->ti < b->ti ? -1 : 1;
    if (a->f != b->f)
        return a->f < b->f ? -1 : 1;
    return a->a < b->a ? -1 : a->a > b->a;
}

/* One surname hit [a, a + sl) of target t in field f (normalized bytes):
 * a mention of t unless it is counted already, lower case, or another
 * person's name ("Nawaz Sharif", "Blinken Street"). */
static void take_hit(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tag_view *v,
                     uint32_t t, int f, size_t a, size_t sl, const char *key)
{
    struct sur_scratch *ss = rs->sur;
    const struct nr_text *tx = v->text[f];
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    uint32_t os = nr_text_orig(tx, a), oe = nr_text_orig(tx, a + sl);
    if (!nr_name_upper_at(s, len, os, NULL))
        return;
    const struct nr_tag_mention *m = imention_at(ss, v, f, os);
    if (m && ((t & 1u << 31) || !r->official[m->entity]))
        return; /* counted already, or another entity's alias */
    /* extend back over the person's other words ("Antony J. Blinken") */
    struct nr_word w;
    uint32_t start = os;
    while (nr_word_prev(s, start, &w) && gap_run(s, w.end, start, true) && w.upper) {
        if (memchr(s + w.end, '.', start - w.end) && !abbrev_dot(r, s, &w))
            break; /* "at the Pentagon. Blinken said": a sentence ends */
        if (word_in_key(s, &w, key)) {
            start = w.start;
            continue;
        }
        if (!nr_wordset_has_orig(&r->honorifics, s + w.start, w.end - w.start) &&
            !nr_wordset_has_orig(&r->not_names, s + w.start, w.end - w.start) &&
            !imention_at(ss, v, f, w.start))
            return; /* "Nawaz Sharif" is not "Shehbaz Sharif" */
        break;
    }
    if (v->shape[f] == NR_SHAPE_PROSE && nr_word_next(s, len, oe, &w) &&
        is_space_run(s, oe, w.start) && w.upper && !w.caps &&
        !nr_wordset_has_orig(&r->not_names, s + w.start, w.end - w.start))
        return; /* "Blinken Street": another name goes on */
    if (t & 1u << 31)
        add_mention(ss, v, t & ~(1u << 31), f, start, oe);
    else
        add_ipspan(ss, rs, t, f, start, oe);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* The targets: every person of the article, then every watchlist official
 * with an unambiguous mention and a surname, in the order of its first
 * mention (sorted and deduplicated, not one walk per mention). */
static void collect_targets(const struct nr_roles *r, struct nr_roles_scratch *rs,
                            const struct nr_tag_view *v)
{
    rs->n_tg = 0;
    size_t n_ment = *v->n_ment;
    nr_grow((void **)&rs->tg, &rs->cap_tg, rs->n_pers + n_ment + 1, sizeof(*rs->tg));
    for (size_t p = 0; p < rs->n_pers; p++)
        rs->tg[rs->n_tg++] = (uint32_t)p;
    uint64_t *e = nr_xmalloc((n_ment + 1) * sizeof(*e));
    size_t k = 0;
    for (size_t i = 0; i < n_ment; i++) {
        const struct nr_tag_mention *m = &(*v->ment)[i];
        if (!m->ambiguous && r->surname[m->entity])
            e[k++] = (uint64_t)m->entity << 32 | i; /* entity, first mention */
    }
    qsort(e, k, sizeof(*e), cmp_u64);
    size_t u = 0;
    uint64_t prev = UINT64_MAX;
    for (size_t i = 0; i < k; i++) {
        uint64_t x = e[i];
        if (x >> 32 != prev >> 32 || i == 0)
            e[u++] = (x & 0xFFFFFFFFu) << 32 | x >> 32; /* by first mention */
        prev = x;
    }
    qsort(e, u, sizeof(*e), cmp_u64);
    for (size_t i = 0; i < u; i++)
        rs->tg[rs->n_tg++] = (uint32_t)(e[i] & 0xFFFFFFFFu) | 1u << 31;
    free(e);
}

struct sref {
    const char *s;
    uint32_t i;
};

static int cmp_sref(const void *x, const void *y)
{
    const struct sref *a = x, *b = y;
    int c = strcmp(a->s, b->s);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* Per target: its surname and length, and whether another target has the
 * same one (then neither is searched). Returns the searched ones, in
 * target order, in ss->ord. */
static size_t active_targets(const struct nr_roles *r, struct nr_roles_scratch *rs,
                             const char **sur, size_t *sl)
{
    struct sur_scratch *ss = rs->sur;
    size_t n = rs->n_tg, k = 0;
    struct sref *sr = nr_xmalloc((n + 1) * sizeof(*sr));
    bool *shared = nr_xcalloc(n + 1, sizeof(*shared));
    for (size_t i = 0; i < n; i++) {
        sur[i] = target_surname(r, rs, rs->tg[i]);
        sl[i] = sur[i] ? strlen(sur[i]) : 0;
        if (sur[i])
            sr[k++] = (struct sref){sur[i], (uint32_t)i};
    }
    qsort(sr, k, sizeof(*sr), cmp_sref);
    for (size_t i = 1; i < k; i++)
        if (strcmp(sr[i].s, sr[i - 1].s) == 0)
            shared[sr[i].i] = shared[sr[i - 1].i] = true;
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (sur[i] && !shared[i] && sl[i] > 0) {
            ss->ord[k++] = (uint32_t)i;
            ss->fl[i] = (uint32_t)first_run(sur[i], sl[i]);
        }
    free(sr);
    free(shared);
    return k;
}

/* The folded key of every searched target, into ss->keys. */
static void target_keys(const struct nr_roles *r, struct nr_roles_scratch *rs, size_t k)
{
    struct sur_scratch *ss = rs->sur;
    ss->n_keys = 0;
    for (size_t j = 0; j < k; j++) {
        uint32_t ti = ss->ord[j];
        char kb[256];
        const char *key = target_key(r, rs, rs->tg[ti], kb, sizeof(kb));
        size_t n = strlen(key);
        nr_grow((void **)&ss->keys, &ss->cap_keys, ss->n_keys + n + 1, 1);
        memcpy(ss->keys + ss->n_keys, key, n + 1);
        ss->key_off[ti] = (uint32_t)ss->n_keys;
        ss->n_keys += n + 1;
    }
}

static void find_hits(struct nr_roles_scratch *rs, const struct nr_tag_view *v,
                      const char *const *sur, const size_t *sl, size_t k)
{
    struct sur_scratch *ss = rs->sur;
    ss->n_hits = 0;
    if (k <= SCAN_FEW) { /* one scan per surname, already in target order */
        for (size_t j = 0; j < k; j++) {
            uint32_t ti = ss->ord[j];
            for (int f = 0; f < 2; f++) {
                const struct nr_text *tx = v->text[f];
                if (!v->orig[f].p || tx->len < sl[ti])
                    continue;
                const char *b = tx->buf;
                for (const char *p = b; (p = find(p, tx->len - (size_t)(p - b), sur[ti], sl[ti]));
                     p++)
                    if (whole_at(tx, (size_t)(p - b), sl[ti]))
                        put_hit(ss, ti, f, (size_t)(p - b));
            }
        }
        return;
    }
    for (int f = 0; f < 2; f++)
        if (v->orig[f].p)
            hits_by_words(ss, v->text[f], f, sur, sl, k);
    qsort(ss->hits, ss->n_hits, sizeof(*ss->hits), cmp_hit);
}

void nr_roles_surnames(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tag_view *v)
{
    if (!rs->sur)
        rs->sur = nr_xcalloc(1, sizeof(*rs->sur));
    struct sur_scratch *ss = rs->sur;
    collect_targets(r, rs, v);
    size_t n = rs->n_tg;
    if (n == 0)
        return;
    if (n > ss->cap_t) {
        ss->cap_t = n;
        ss->ord = nr_xrealloc(ss->ord, n * sizeof(*ss->ord));
        ss->chain = nr_xrealloc(ss->chain, n * sizeof(*ss->chain));
        ss->fl = nr_xrealloc(ss->fl, n * sizeof(*ss->fl));
        ss->key_off = nr_xrealloc(ss->key_off, n * sizeof(*ss->key_off));
    }
    const char **sur = nr_xmalloc(n * sizeof(*sur));
    size_t *sl = nr_xmalloc(n * sizeof(*sl));
    size_t k = active_targets(r, rs, sur, sl);
    if (k > 0) {
        target_keys(r, rs, k);
        sidx_clear(&ss->mi);
        sidx_clear(&ss->pi);
        for (size_t i = 0; i < *v->n_ment; i++) {
            const struct nr_tag_mention *m = &(*v->ment)[i];
            sidx_add(&ss->mi, m->field, m->start, m->end, (uint32_t)i);
        }
        for (size_t i = 0; i < rs->n_ps; i++)
            sidx_add(&ss->pi, rs->ps[i].field, rs->ps[i].start, rs->ps[i].end, (uint32_t)i);
        find_hits(rs, v, sur, sl, k);
        for (size_t h = 0; h < ss->n_hits; h++) {
            const struct hit *x = &ss->hits[h];
            take_hit(r, rs, v, rs->tg[x->ti], x->f, x->a, sl[x->ti], ss->keys + ss->key_off[x->ti]);
        }
    }
    free(sur);
    free(sl);
}
