/*
 * tagger_context.c - context rules for ambiguous names and all-caps text
 * (tagger_int.h).
 *
 * Some country names are also people's or US states' names. The lexicon
 * says which (docs/watchlists.md):
 *   - `person_like` aliases are not their entity right after a given name
 *     of `first_names` ("Michael Jordan"), nor, when they are a given name
 *     themselves, right before a capitalised word that could be a surname
 *     ("Chad Smith"; not "Chad's army", not in a Title Case headline where
 *     every word is capitalised); once an article has used the alias as
 *     a person's surname, its later bare mentions there are the person too
 *     ("Michael Jordan ... Jordan said"); once an article has used the alias as
 *     a person's surname, its later bare mentions there are the person too
 *     ("Michael Jordan ... Jordan said");
 *   - `contexts` rules veto an alias right after (a comma between allowed)
 *     or right before a phrase: "Atlanta, Georgia", "Georgia Tech"; or,
 *     with only_after / only_before, admit it only there: "Pak" is
 *     Pakistan in "Pak-Afghan" and "Indo-Pak", not alone.
 * The tests compare normalized text, the form the scan already made, so a
 * rule costs a few byte compares, and only for the few aliases that have
 * one (marked on the alias's refs when the tagger is built).
 *
 * ALL CAPS fields (headlines) lose the case that case-sensitive aliases
 * rely on. A case-sensitive alias that is a word ("Turkey", kept
 * case-sensitive so the bird is not the country) matches its upper-case
 * form there ("TURKEY CLOSES BORDER"). An acronym alias ("US", "UAE") that
 * is also an English word needs support: it counts as a proper noun when it
 * opens the field, follows "THE" or "<country> AND", or is glued to a hyphen or possessive
 * ("US-LED", "US'S"); anywhere else ("THEY TOLD US NOTHING") it is treated
 * as ambiguous, so it counts only if the article names the entity another
 * way too.
 *
 * Field shape is found in one pass with early exit: prose bodies stop at
 * their first lower-case long word.
 */
#include "tagger_int.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct actx {
    char *alias; /* normalized */
    bool person_like, first_name;
    uint32_t *rules; /* indices into cfg->lex.contexts */
    size_t n_rules;
};

struct phrase {
    char *p;
    size_t len;
};

struct nr_tagctx {
    const struct nr_config *cfg;
    struct actx *a;
    size_t n_a;
    struct nr_wordset first_names, not_names;
    /* normalized phrases per lexicon context rule: not_after, not_before,
     * only_after, only_before */
    struct phrase *(*lists)[4];
};

static char *norm_dup(const char *s)
{
    struct nr_text t;
    nr_text_init(&t);
    char *o = nr_text_dup(&t, s, strlen(s));
    nr_text_fini(&t);
    return o;
}

static struct actx *actx_get(struct nr_tagctx *c, const char *alias)
{
    char *k = norm_dup(alias);
    for (size_t i = 0; i < c->n_a; i++)
        if (strcmp(c->a[i].alias, k) == 0) {
            free(k);
            return &c->a[i];
        }
    c->a = nr_xrealloc(c->a, (c->n_a + 1) * sizeof(*c->a));
    struct actx *x = &c->a[c->n_a++];
    memset(x, 0, sizeof(*x));
    x->alias = k;
    return x;
}

static struct phrase *phrases(const struct nr_strlist *l)
{
    struct phrase *p = nr_xcalloc(l->n + 1, sizeof(*p));
    for (size_t i = 0; i < l->n; i++) {
        p[i].p = norm_dup(l->v[i]);
        p[i].len = strlen(p[i].p);
    }
    return p;
}

struct nr_tagctx *nr_tagctx_new(const struct nr_config *cfg)
{
    const struct nr_lexicon *lx = &cfg->lex;
    struct nr_tagctx *c = nr_xcalloc(1, sizeof(*c));
    c->cfg = cfg;
    for (size_t i = 0; i < lx->first_names.n; i++)
        nr_wordset_add(&c->first_names, lx->first_names.v[i]);
    for (size_t i = 0; i < lx->not_names.n; i++)
        nr_wordset_add(&c->not_names, lx->not_names.v[i]);
    for (size_t i = 0; i < lx->person_like.n; i++) {
        struct actx *x = actx_get(c, lx->person_like.v[i]);
        x->person_like = true;
        x->first_name = nr_wordset_has(&c->first_names, x->alias, strlen(x->alias));
    }
    c->lists = nr_xcalloc(lx->n_contexts + 1, sizeof(*c->lists));
    for (size_t i = 0; i < lx->n_contexts; i++) {
        const struct nr_lex_context *r = &lx->contexts[i];
        const struct nr_strlist *l[4] = {&r->not_after, &r->not_before, &r->only_after,
                                         &r->only_before};
        for (int k = 0; k < 4; k++)
            c->lists[i][k] = phrases(l[k]);
        struct actx *x = actx_get(c, r->alias);
        x->rules = nr_xrealloc(x->rules, (x->n_rules + 1) * sizeof(uint32_t));
        x->rules[x->n_rules++] = (uint32_t)i;
    }
    return c;
}

void nr_tagctx_free(struct nr_tagctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_a; i++) {
        free(c->a[i].alias);
        free(c->a[i].rules);
    }
    free(c->a);
    for (size_t i = 0; i < c->cfg->lex.n_contexts; i++)
        for (int k = 0; k < 4; k++) {
            for (struct phrase *p = c->lists[i][k]; p && p->p; p++)
                free(p->p);
            free(c->lists[i][k]);
        }
    free(c->lists);
    nr_wordset_fini(&c->first_names);
    nr_wordset_fini(&c->not_names);
    free(c);
}

uint32_t nr_tagctx_for_alias(const struct nr_tagctx *c, const char *norm, size_t len)
{
    for (size_t i = 0; i < c->n_a; i++)
        if (strlen(c->a[i].alias) == len && memcmp(c->a[i].alias, norm, len) == 0)
            return (uint32_t)i + 1;
    return 0;
}

/* Does normalized buf[0..end) end with phrase p at a word boundary, after
 * spaces and at most one comma? */
static bool ends_with(const char *buf, size_t end, const struct phrase *p)
{
    while (end > 0 && buf[end - 1] == ' ')
        end--;
    if (end > 0 && buf[end - 1] == ',')
        end--;
    while (end > 0 && buf[end - 1] == ' ')
        end--;
    if (end < p->len || memcmp(buf + end - p->len, p->p, p->len) != 0)
        return false;
    return end == p->len || !nr_text_word_before(buf, end - p->len);
}

/* Does normalized buf[start..len) start with phrase p at a word boundary? */
static bool starts_with(const char *buf, size_t len, size_t start, const struct phrase *p)
{
    while (start < len && buf[start] == ' ')
        start++;
    if (start < len && buf[start] == ',')
        start++;
    while (start < len && buf[start] == ' ')
        start++;
    if (len - start < p->len || memcmp(buf + start, p->p, p->len) != 0)
        return false;
    return start + p->len == len || !nr_text_word_at(buf, len, start + p->len);
}

/* 1: the alias is a surname after a given name ("Michael Jordan"), 2: it
 * is a given name before a surname ("Chad Smith"), 0: neither. */
static int person_context(const struct nr_tagctx *c, const struct actx *x,
                          const struct nr_tag_view *v, int f, uint32_t os, uint32_t oe)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    struct nr_word w;
    if (nr_word_prev(s, os, &w) && w.end < os && os - w.end == 1 && s[w.end] == ' ' && w.upper &&
        !w.caps && nr_wordset_has_orig(&c->first_names, s + w.start, w.end - w.start))
        return 1;
    if (x->first_name && v->shape[f] == NR_SHAPE_PROSE && nr_word_next(s, len, oe, &w) &&
        w.start == oe + 1 && s[oe] == ' ' && w.upper && !w.caps && w.alpha &&
        !nr_wordset_has_orig(&c->not_names, s + w.start, w.end - w.start)) {
        for (size_t i = 0; i < *v->n_ment; i++) {
            const struct nr_tag_mention *m = &(*v->ment)[i];
            if (m->field == f && m->start == w.start)
                return 0; /* "Jordan Pakistan talks": another entity, not a surname */
        }
        return 2;
    }
    return 0;
}

bool nr_tagctx_reject(const struct nr_tagctx *c, uint32_t rule, struct nr_tag_view *v, int f,
                      uint32_t ns, uint32_t ne)
{
    if (rule == 0 || rule > c->n_a || !v->orig[f].p)
        return false;
    const struct actx *x = &c->a[rule - 1];
    const struct nr_text *tx = v->text[f];
    for (size_t i = 0; i < v->n_person_rules; i++)
        if (v->person_rules[i] == rule)
            return true; /* "Michael Jordan ... Jordan said" */
    int pc =
        x->person_like ? person_context(c, x, v, f, nr_text_orig(tx, ns), nr_text_orig(tx, ne)) : 0;
    if (pc) {
        /* a surname goes on naming the person ("Jordan said"); a given
         * name does not ("Chad Smith ... Chad's army") */
        if (pc == 1 && v->n_person_rules < NR_ARRAY_LEN(v->person_rules))
            v->person_rules[v->n_person_rules++] = rule;
        return true;
    }
    for (size_t i = 0; i < x->n_rules; i++) {
        struct phrase *const *l = c->lists[x->rules[i]];
        for (const struct phrase *p = l[0]; p->p; p++)
            if (ends_with(tx->buf, ns, p))
                return true;
        for (const struct phrase *p = l[1]; p->p; p++)
            if (starts_with(tx->buf, tx->len, ne, p))
                return true;
        if (!l[2]->p && !l[3]->p)
            continue;
        bool admitted = false; /* an only_ rule: the alias needs its context */
        for (const struct phrase *p = l[2]; p->p && !admitted; p++)
            admitted = ends_with(tx->buf, ns, p);
        for (const struct phrase *p = l[3]; p->p && !admitted; p++)
            admitted = starts_with(tx->buf, tx->len, ne, p);
        if (!admitted)
            return true;
    }
    return false;
}

/* The first ASCII letter at or after pos, or len. */
static size_t next_ascii_letter(const char *s, size_t len, size_t pos)
{
#ifdef __SSE2__
    const __m128i c20 = _mm_set1_epi8(0x20), ca = _mm_set1_epi8('a' - 1),
                  cz = _mm_set1_epi8('z' + 1);
    while (pos + 16 <= len) {
        /* | 0x20 folds A-Z onto a-z; bytes >= 0x80 are negative, below 'a' */
        __m128i v = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + pos)), c20);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpgt_epi8(v, ca), _mm_cmplt_epi8(v, cz)));
        if (m)
            return pos + (size_t)__builtin_ctz(m);
        pos += 16;
    }
#endif
    while (pos < len && !((s[pos] | 0x20) >= 'a' && (s[pos] | 0x20) <= 'z'))
        pos++;
    return pos;
}

enum nr_field_shape nr_tagctx_shape(const char *s, size_t len)
{
    size_t upper = 0, lower = 0, long_words = 0;
    bool title = true;
    struct nr_word w;
    size_t pos = 0;
    if (!s)
        return NR_SHAPE_PROSE;
    while (title && nr_word_next(s, len, pos, &w)) {
        pos = w.end + 1;
        size_t n = w.end - w.start;
        for (size_t i = w.start; i < w.end; i++) {
            unsigned char ch = (unsigned char)s[i];
            upper += ch >= 'A' && ch <= 'Z';
            lower += ch >= 'a' && ch <= 'z';
        }
        if (n >= 4 && w.alpha) {
            long_words++;
            if (!w.upper)
                title = false;
        }
        if (!title && lower * 10 > upper + lower)
            return NR_SHAPE_PROSE;
    }
    /* Once the field is not Title Case, only the ASCII letter counts
     * matter, and they change only in words with an ASCII letter: the
     * test after any other word repeats the one before it. So go from
     * ASCII letter to ASCII letter; the word holding one ends where the
     * word read from that letter on ends (nr_word_next decides where a
     * word ends from the bytes at and after each position). In a body in
     * another script this reads a few Latin names instead of every word. */
    while (!title && (pos = next_ascii_letter(s, len, pos)) < len) {
        nr_word_next(s, len, pos, &w);
        for (size_t i = pos; i < w.end; i++) {
            unsigned char ch = (unsigned char)s[i];
            upper += ch >= 'A' && ch <= 'Z';
            lower += ch >= 'a' && ch <= 'z';
        }
        pos = w.end + 1;
        if (lower * 10 > upper + lower)
            return NR_SHAPE_PROSE;
    }
    if (upper >= 4 && lower * 10 <= upper + lower)
        return NR_SHAPE_CAPS;
    if (title && long_words >= 3)
        return NR_SHAPE_TITLE;
    return NR_SHAPE_PROSE;
}

static bool has_lower(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 'a' && p[i] <= 'z')
            return true;
    return false;
}

/* Do the original bytes, upper-cased (ASCII), equal the alias upper-cased? */
static bool upper_eq(const char *orig, size_t n, const char *cs, size_t cs_len)
{
    if (n != cs_len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = orig[i], b = cs[i];
        if (a >= 'a' && a <= 'z')
            a = (char)(a - 32);
        if (b >= 'a' && b <= 'z')
            b = (char)(b - 32);
        if (a != b)
            return false;
    }
    return true;
}

int nr_tagctx_case(const struct nr_tag_view *v, int f, uint32_t os, uint32_t oe, const char *cs,
                   size_t cs_len, bool exact)
{
    if (v->shape[f] != NR_SHAPE_CAPS)
        return exact ? 1 : 0;
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    if (!exact)
        return has_lower(cs, cs_len) && upper_eq(s + os, oe - os, cs, cs_len) ? 1 : 0;
    if (has_lower(cs, cs_len))
        return 1;
    /* an acronym in all caps: a proper noun only in a proper-noun place */
    struct nr_word w;
    if (!nr_word_prev(s, os, &w))
        return 1; /* opens the field */
    if (w.end - w.start == 3 && upper_eq(s + w.start, 3, "THE", 3))
        return 1;
    if (oe < len && (s[oe] == '-' || s[oe] == '\'' || (unsigned char)s[oe] == 0xE2))
        return 1;
    /* listed with another country: "UAE AND US SIGN DEAL" */
    struct nr_word w2;
    if (w.end - w.start == 3 && upper_eq(s + w.start, 3, "AND", 3) && nr_word_prev(s, w.start, &w2))
        for (size_t i = 0; i < *v->n_ment; i++) {
            const struct nr_tag_mention *m = &(*v->ment)[i];
            const char *k = v->cfg->entities[m->entity].kind;
            if (m->field == f && m->start == w2.start && m->end == w2.end && !m->ambiguous && k &&
                strcmp(k, "country") == 0)
                return 1;
        }
    return 2;
}
