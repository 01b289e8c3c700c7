/*
 * tagger_roles_int.h - the private parts of the role detector shared by
 * tagger_roles.c (build, name reading, people, emit) and
 * tagger_roles_surname.c (surname-only mentions). Not installed.
 */
#ifndef NEWSRADAR_TAGGER_ROLES_INT_H
#define NEWSRADAR_TAGGER_ROLES_INT_H

#include "tagger_int.h"

#include <string.h>

#define MAX_NAME_WORDS      5
#define MAX_NAME_WORD_BYTES 48 /* longer is no person's name word (4 words fit display_name) */

struct nr_roles {
    const struct nr_config *cfg;
    size_t n_strong; /* roles [0, n_strong) are `roles`, the rest `weak_roles` */
    struct nr_wordset particles, not_names, org_words, governing, modifiers, honorifics;
    struct nr_wordset styles; /* words before a name that are not part of it */
    struct nr_wordset of_words, articles;
    struct nr_wordset company_words; /* near a "<Word> president": a company's */
    struct nr_wordset portfolio;     /* "Minister of <Education> Jane Doe" */
    bool *portfolio_role;            /* per role: names its portfolio (" of ", " for ") */
    struct nr_wordset namesake;      /* "<Official> Stadium": a place */
    struct nr_wordset body;          /* "the spokesman for the Nangarhar <police>, Jane Doe" */
    bool *complement;                /* per role: starts with an "of" word, only continues a role */
    uint8_t *kind;                   /* per role: ROLE_LOCAL | ROLE_COMPANY */
    /* folded official name or alias -> entity index + 1 (open addressing) */
    char **fkeys;
    uint32_t *fent;
    size_t fcap;
    char **surname;    /* per entity: folded surname of officials, else NULL */
    uint8_t *official; /* per entity: 1 if an official (a byte read per mention, not a strcmp) */
    char **sur_text;   /* ... in the text's letters (nr_name_fold_script): searched */
    /* folded surname -> the one official with it + 1, or SHARED */
    char **skeys;
    uint32_t *sent;
    size_t scap;
};

/* Role properties from the lexicon (local_roles, company_roles), one byte
 * per role. */
#define ROLE_LOCAL   1u
#define ROLE_COMPANY 2u

#define SHARED UINT32_MAX
#define NO_SUR UINT32_MAX

struct rcand {
    uint32_t start, end, role; /* normalized offsets */
    uint8_t field;
};

struct person {
    uint32_t key_off, name_off; /* into arena */
    uint32_t sur_off;           /* surname in the text's script, or NO_SUR */
    uint32_t role, country, entity;
    uint32_t first_field, first_start;
};

struct pspan {
    uint32_t person, start, end;
    uint8_t field;
};

struct nr_roles_scratch {
    struct rcand *rc;
    size_t n_rc, cap_rc;
    struct person *pers;
    size_t n_pers, cap_pers;
    struct pspan *ps;
    size_t n_ps, cap_ps;
    char *arena;
    size_t n_arena, cap_arena;
    struct nr_official_tag *out;
    size_t cap_out;
    /* surname targets: person index, or entity | 1u << 31 */
    uint32_t *tg;
    size_t n_tg, cap_tg;
    struct sur_scratch *sur; /* tagger_roles_surname.c's buffers, or NULL */
};

static inline bool gap_run(const char *s, uint32_t a, uint32_t b, bool dots)
{
    for (uint32_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || (dots && c == '.'))
            continue;
        if (c == 0xC2 && i + 1 < b && (unsigned char)s[i + 1] == 0xA0) { /* NBSP */
            i++;
            continue;
        }
        return false;
    }
    return true;
}

static inline bool is_space_run(const char *s, uint32_t a, uint32_t b)
{
    return gap_run(s, a, b, false);
}

static inline uint32_t skip_spaces_back(const char *s, uint32_t p)
{
    while (p > 0 && (s[p - 1] == ' ' || s[p - 1] == '\t'))
        p--;
    return p;
}

static inline uint32_t skip_spaces(const char *s, size_t len, uint32_t p)
{
    while (p < len && (s[p] == ' ' || s[p] == '\t'))
        p++;
    return p;
}

/* The mention (any entity) of field f covering original offset p. */
static inline const struct nr_tag_mention *mention_at(const struct nr_tag_view *v, int f,
                                                      uint32_t p)
{
    for (size_t i = 0; i < *v->n_ment; i++) {
        const struct nr_tag_mention *m = &(*v->ment)[i];
        if (m->field == f && m->start <= p && p < m->end)
            return m;
    }
    return NULL;
}

static inline bool kind_is(const struct nr_config *cfg, uint32_t e, const char *kind)
{
    return cfg->entities[e].kind && strcmp(cfg->entities[e].kind, kind) == 0;
}

static inline void add_pspan(struct nr_roles_scratch *rs, uint32_t person, int f, uint32_t a,
                             uint32_t b)
{
    if (rs->n_ps >= NR_TAG_MAX_ROLE_HITS)
        return; /* tagger.h */
    for (size_t i = 0; i < rs->n_ps; i++)
        if (rs->ps[i].field == f && rs->ps[i].start < b && a < rs->ps[i].end)
            return; /* already counted */
    nr_grow((void **)&rs->ps, &rs->cap_ps, rs->n_ps + 1, sizeof(*rs->ps));
    rs->ps[rs->n_ps++] = (struct pspan){person, a, b, (uint8_t)f};
}

/* What stands around a role (tagger_roles_around.c): an organisation word
 * after the name, a parenthesis or a place after the role, a company
 * before it. */
/* After a role, " of|for [the] <portfolio words>" ("Minister of Education"),
 * or with and_ok " and <portfolio words>" -> the offset after them, else p. */
uint32_t nr_roles_skip_portfolio(const struct nr_roles *r, const char *s, size_t len, uint32_t p,
                                 bool and_ok);
bool nr_roles_org_follows(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                          uint32_t end);
uint32_t nr_roles_skip_paren(const char *s, size_t len, uint32_t p);
bool nr_roles_local_role(const struct nr_roles *r, uint32_t role);
uint32_t nr_roles_skip_place(const struct nr_tag_view *v, int f, uint32_t p, uint32_t *country);
bool nr_roles_governing(const struct nr_roles *r, uint32_t e);
/* A one-word place ending a name ("Esther Mwanza said"), tagger_roles_around.c. */
bool nr_roles_place_surname(const struct nr_tag_view *v, int f, const struct nr_word *w);
/* Drop the place mentions inside a role-found name ("Esther Mwanza": no
 * Mwanza for Tanzania), tagger_roles_around.c. */
void nr_roles_drop_places_in_names(const struct nr_roles_scratch *rs, struct nr_tag_view *v);
/* After a role, " of|for [the] <body>" followed by a comma or a name -> the
 * offset after the body, else p (tagger_roles_around.c). */
uint32_t nr_roles_skip_body(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                            uint32_t p, uint32_t role, bool need_of, uint32_t *country);
bool nr_roles_company_before(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                             uint32_t role, uint32_t os);

/* Drop ambiguous surname aliases right after another given name. */
void nr_roles_drop_other_given(const struct nr_roles *r, struct nr_tag_view *v);
/* Surname-only mentions of every person of the article. */
void nr_roles_sur_free(struct sur_scratch *ss);
void nr_roles_surnames(const struct nr_roles *r, struct nr_roles_scratch *rs,
                       struct nr_tag_view *v);

#endif
