/*
 * tagger_roles_surname.c - surname-only mentions of the people of an
 * article (tagger_roles_int.h): "Blinken said" after "Antony Blinken", for
 * role-found persons and watchlist officials alike, and the dropping of an
 * ambiguous surname alias right after another given name ("Nawaz Naqvi" is
 * not Mohsin Naqvi).
 *
 * A person's surname is the last word of its folded name; it is searched
 * in the normalized text of each field (one memmem-like scan per person
 * and field), accepted capitalised, not right after another capitalised
 * name word and not right before one in prose, and not at all when two
 * people of the article share it. A role-found person's surname is kept in
 * the text's own script (its key writes Cyrillic in Latin letters).
 */
#include "tagger_roles_int.h"

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
        return r->surname[t & ~(1u << 31)];
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
        if (m->ambiguous && s && kind_is(v->cfg, m->entity, "official") &&
            nr_word_prev(s, m->start, &w) && is_space_run(s, w.end, m->start) && w.upper &&
            !w.caps && !w.dot &&
            !nr_wordset_has_orig(&r->honorifics, s + w.start, w.end - w.start) &&
            !nr_wordset_has_orig(&r->not_names, s + w.start, w.end - w.start)) {
            char key[256];
            nr_name_fold(v->cfg->entities[m->entity].name, strlen(v->cfg->entities[m->entity].name),
                         key, sizeof(key));
            const struct nr_tag_mention *o = mention_at(v, m->field, w.start);
            /* sentence starters ("Later Naqvi said") are in not_names */
            drop = !word_in_key(s, &w, key) && (!o || kind_is(v->cfg, o->entity, "official"));
        }
        if (!drop)
            (*v->ment)[k++] = *m;
    }
    *v->n_ment = k;
}

/* Surname-only (or full-name) mentions of target t in field f. */
static void surname_field(const struct nr_roles *r, struct nr_roles_scratch *rs,
                          struct nr_tag_view *v, uint32_t t, int f, const char *sur,
                          const char *key)
{
    const struct nr_text *tx = v->text[f];
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len, sl = strlen(sur);
    if (!s || tx->len < sl)
        return;
    for (const char *p = tx->buf; (p = find(p, tx->len - (size_t)(p - tx->buf), sur, sl)); p++) {
        size_t a = (size_t)(p - tx->buf), b = a + sl;
        if (!nr_text_boundary_ok(tx->buf, tx->len, a, b) ||
            (a > 0 && nr_text_word_before(tx->buf, a)) ||
            (b < tx->len && nr_text_word_at(tx->buf, tx->len, b)))
            continue;
        uint32_t os = nr_text_orig(tx, a), oe = nr_text_orig(tx, b);
        if (!nr_name_upper_at(s, len, os, NULL))
            continue;
        const struct nr_tag_mention *m = mention_at(v, f, os);
        if (m && ((t & 1u << 31) || !kind_is(v->cfg, m->entity, "official")))
            continue; /* counted already, or another entity's alias */
        /* extend back over the person's other words ("Antony J. Blinken") */
        struct nr_word w;
        uint32_t start = os;
        bool other = false;
        while (nr_word_prev(s, start, &w) && gap_run(s, w.end, start, true) && w.upper) {
            if (memchr(s + w.end, '.', start - w.end) && !abbrev_dot(r, s, &w))
                break; /* "at the Pentagon. Blinken said": a sentence ends */
            if (word_in_key(s, &w, key)) {
                start = w.start;
                continue;
            }
            if (!nr_wordset_has_orig(&r->honorifics, s + w.start, w.end - w.start) &&
                !nr_wordset_has_orig(&r->not_names, s + w.start, w.end - w.start) &&
                !mention_at(v, f, w.start))
                other = true; /* "Nawaz Sharif" is not "Shehbaz Sharif" */
            break;
        }
        if (other)
            continue;
        if (v->shape[f] == NR_SHAPE_PROSE && nr_word_next(s, len, oe, &w) &&
            is_space_run(s, oe, w.start) && w.upper && !w.caps &&
            !nr_wordset_has_orig(&r->not_names, s + w.start, w.end - w.start))
            continue; /* "Blinken Street": another name goes on */
        if (t & 1u << 31)
            nr_tag_view_add(v, t & ~(1u << 31), (uint8_t)f, start, oe, false);
        else
            add_pspan(rs, t, f, start, oe);
    }
}

void nr_roles_surnames(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tag_view *v)
{
    rs->n_tg = 0;
    for (size_t p = 0; p < rs->n_pers; p++) {
        nr_grow((void **)&rs->tg, &rs->cap_tg, rs->n_tg + 1, sizeof(*rs->tg));
        rs->tg[rs->n_tg++] = (uint32_t)p;
    }
    size_t n_ment = *v->n_ment;
    for (size_t i = 0; i < n_ment; i++) {
        const struct nr_tag_mention *m = &(*v->ment)[i];
        if (m->ambiguous || !r->surname[m->entity])
            continue;
        uint32_t t = m->entity | 1u << 31;
        bool dup = false;
        for (size_t k = 0; k < rs->n_tg && !dup; k++)
            dup = rs->tg[k] == t;
        if (dup)
            continue;
        nr_grow((void **)&rs->tg, &rs->cap_tg, rs->n_tg + 1, sizeof(*rs->tg));
        rs->tg[rs->n_tg++] = t;
    }
    for (size_t i = 0; i < rs->n_tg; i++) {
        const char *sur = target_surname(r, rs, rs->tg[i]);
        if (!sur)
            continue;
        bool shared = false;
        for (size_t k = 0; k < rs->n_tg && !shared; k++) {
            const char *o = k == i ? NULL : target_surname(r, rs, rs->tg[k]);
            shared = o && strcmp(o, sur) == 0;
        }
        if (shared)
            continue;
        char kb[256];
        const char *key = target_key(r, rs, rs->tg[i], kb, sizeof(kb));
        for (int f = 0; f < 2; f++)
            surname_field(r, rs, v, rs->tg[i], f, sur, key);
    }
}
