/*
 * tagger_roles_around.c - what stands around a role in the text
 * (tagger_roles_int.h): an organisation word after the name ("... Public
 * Relations"), a short parenthesis after the role ("(IGP)"), a place after
 * a local role ("Deputy Commissioner Swat", "Inspector General of Police,
 * Mardan,"), a company before a role that companies have too ("Toyota
 * president"), a portfolio after a role ("Minister of Education",
 * "Minister of Foreign Affairs, Foreign Employment and Tourism"), a body
 * after one ("the spokesman for the Nangarhar police,"), whether a group
 * governs. tagger_roles.c reads the name;
 * these decide where it starts and whether it is an official's.
 */
#define _GNU_SOURCE /* memmem */
#include "tagger_roles_int.h"

#include <string.h>

/* Does an organisation word follow the name ("... Inter-Services Public
 * Relations")? Then the capitalised words were the organisation's name. */
bool nr_roles_org_follows(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                          uint32_t end)
{
    const char *s = v->orig[f].p;
    struct nr_word w;
    return nr_word_next(s, v->orig[f].len, end, &w) && is_space_run(s, end, w.start) && w.upper &&
           nr_wordset_has_orig(&r->org_words, s + w.start, w.end - w.start);
}

/* After a role, a short parenthesis: its acronym or a qualifier ("(IGP)",
 * "(Regional Cooperation)"), at most MAX_PAREN_WORDS words on one
 * sentence's line -> the offset after it, else p. */
#define MAX_PAREN_WORDS 6
uint32_t nr_roles_skip_paren(const char *s, size_t len, uint32_t p)
{
    uint32_t q = skip_spaces(s, len, p), words = 0;
    if (q >= len || s[q] != '(')
        return p;
    bool in_word = false;
    for (uint32_t i = q + 1; i < len && i < q + 120; i++) {
        char c = s[i];
        if (c == ')')
            return words > 0 ? i + 1 : p;
        if (c == '(' || c == '.' || c == '\n' || c == '"')
            return p;
        bool sp = c == ' ' || c == '\t' || c == ',';
        if (!sp && !in_word && ++words > MAX_PAREN_WORDS)
            return p;
        in_word = !sp;
    }
    return p;
}

/* Roles of a district, province or city that the press of South Asia
 * writes with the place right after them ("Deputy Commissioner Swat",
 * "SSP Malir", "IGP Punjab"): the lexicon's local_roles. */
bool nr_roles_local_role(const struct nr_roles *r, uint32_t role)
{
    return r->kind[role] & ROLE_LOCAL;
}

/* After a local role, a place the watchlists know (its mention, ambiguous
 * or not: "Punjab") -> the offset after it and *country its country, else
 * p. Words that are no known place are read as the name, as before. */
uint32_t nr_roles_skip_place(const struct nr_tag_view *v, int f, uint32_t p, uint32_t *country)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    uint32_t q = skip_spaces(s, len, p);
    /* "Inspector General of Police, Kashmir, Jane Doe": between commas */
    bool comma = q < len && s[q] == ',';
    if (comma)
        q = skip_spaces(s, len, q + 1);
    const struct nr_tag_mention *m = mention_at(v, f, q);
    if (!m || m->start != q || !kind_is(v->cfg, m->entity, "place") ||
        (comma && (m->end >= len || s[m->end] != ',')))
        return p;
    if (*country == NR_NO_ENTITY)
        *country = v->cfg->entities[m->entity].country_index;
    return m->end;
}

/* Is entity e a group that governs (its office-holders are officials:
 * "Taliban spokesman Zabihullah Mujahid")? */
bool nr_roles_governing(const struct nr_roles *r, uint32_t e)
{
    const struct nr_entity *en = &r->cfg->entities[e];
    for (size_t a = 0; a < en->n_aliases; a++)
        if (nr_wordset_has_orig(&r->governing, en->aliases[a].text, strlen(en->aliases[a].text)))
            return true;
    return false;
}

static bool word_is(const char *s, const struct nr_word *w, const char *lit)
{
    size_t n = strlen(lit);
    return w->end - w->start == n && memcmp(s + w->start, lit, n) == 0;
}

/* A capitalised word of a body at original offset at: false when it names a
 * group that does not govern ("a spokesman for the TTP"); a place's or a
 * country's mention gives *c its country, if none yet ("the Kandahar
 * police"). */
static bool body_mention(const struct nr_roles *r, const struct nr_tag_view *v, int f, uint32_t at,
                         uint32_t *c)
{
    const struct nr_tag_mention *m = mention_at(v, f, at);
    if (!m)
        return true;
    if (kind_is(v->cfg, m->entity, "group") && !nr_roles_governing(r, m->entity))
        return false;
    if (*c == NR_NO_ENTITY)
        *c = kind_is(v->cfg, m->entity, "country") ? m->entity
                                                   : v->cfg->entities[m->entity].country_index;
    return true;
}

static uint32_t body_end(uint32_t p, uint32_t end, uint32_t c, uint32_t *country)
{
    if (end != p && *country == NR_NO_ENTITY)
        *country = c;
    return end;
}

/* After a role (not a company's): " of|for [the] <body>" (or, !need_of,
 * after "of <country>", the body's words alone) where the body is
 * capitalised words, words of the lexicon's body_words and of/and/the/in
 * ("the spokesman for the Nangarhar police", "the deputy spokesman of the
 * Afghan foreign ministry", "The Sector Commander of the Federal Road Safety
 * Corps in Kogi") -> the offset after it when a comma follows, or when a
 * capitalised word follows a body word ("Station House Officer of the
 * Saddar police station Jane Doe"); else p. A body with a group's name
 * that does not govern is the group's: its members are no officials. */
uint32_t nr_roles_skip_body(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                            uint32_t p, uint32_t role, bool need_of, uint32_t *country)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    struct nr_word w;
    if (r->body.n == 0 || (r->kind[role] & ROLE_COMPANY) || p >= len || s[p] != ' ')
        return p;
    uint32_t q = skip_spaces(s, len, p);
    if (!nr_word_next(s, len, q, &w) || w.start != q)
        return p;
    if (!need_of) { /* after "of <country>": a body word first ("of the Afghan foreign ministry") */
        if (w.upper || !nr_wordset_has_orig(&r->body, s + w.start, w.end - w.start))
            return p;
        w.end = w.start; /* read it in the loop */
    } else if (!(word_is(s, &w, "of") || word_is(s, &w, "for"))) {
        return p;
    }
    /* low: the word before was a lower-case body word; cap: a capitalised
     * word came before it ("the Saddar police station Jane Doe", not "the
     * SHO of police station Civil Lines"); body: a body_words word, in any
     * case ("Corps", "Ministry"), so "the spokesman for Amnesty
     * International, Human Rights Watch" is no body; a local role's
     * place is ("Chief District Officer of Parsa, Jane Doe") */
    bool low = false, cap = !need_of, body = (r->kind[role] & ROLE_LOCAL) != 0; /* "of Parsa," */
    uint32_t end = p, c = NR_NO_ENTITY;
    for (int k = 0; k < 12; k++) {
        q = skip_spaces(s, len, w.end);
        if (q >= len || s[q] == ',')
            return body ? body_end(p, end, c, country) : p;
        if (!nr_word_next(s, len, q, &w) || w.start != q)
            return p;
        bool fn = word_is(s, &w, "of") || word_is(s, &w, "and") || word_is(s, &w, "the") ||
                  word_is(s, &w, "in");
        bool bw = !fn && nr_wordset_has_orig(&r->body, s + w.start, w.end - w.start);
        if (w.upper && low && cap)
            return body_end(p, end, c, country); /* the name */
        if (!fn && !w.upper && !bw)
            return p;
        if (w.upper && !body_mention(r, v, f, w.start, &c)) /* capitalised words only */
            return p;
        body |= bw;
        cap |= w.upper && !low;
        low = !fn && !w.upper;
        end = fn ? end : w.end;
        if (w.end >= len || (s[w.end] != ' ' && s[w.end] != ','))
            return p;
    }
    return p;
}

/* Is w, after a name's first words, a one-word place that ends the name
 * ("District Commissioner Esther Mwanza said", "Deputy Commissioner Khalid
 * Mehmood Orakzai later met"): a place's mention of exactly that word,
 * followed by no capitalised word? Tribal and town names are surnames. */
bool nr_roles_place_surname(const struct nr_tag_view *v, int f, const struct nr_word *w)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    const struct nr_tag_mention *m = mention_at(v, f, w->start);
    if (!m || m->start != w->start || m->end != w->end || !kind_is(v->cfg, m->entity, "place"))
        return false;
    uint32_t q = skip_spaces(s, len, w->end);
    return q == w->end || !nr_name_upper_at(s, len, q, NULL);
}

void nr_roles_drop_places_in_names(const struct nr_roles_scratch *rs, struct nr_tag_view *v)
{
    size_t n = *v->n_ment, k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct nr_tag_mention *m = &(*v->ment)[i];
        bool inside = false;
        for (size_t j = 0; j < rs->n_ps && !inside && kind_is(v->cfg, m->entity, "place"); j++)
            inside = rs->ps[j].field == m->field && rs->ps[j].start <= m->start &&
                     m->end <= rs->ps[j].end;
        if (!inside)
            (*v->ment)[k++] = *m;
    }
    *v->n_ment = k;
}

/* Does a word shaped like a demonym end at p..n ("Malawian", "Congolese",
 * "Israeli", "Danish", "Dutch")? A country the watchlists do not list. */
static bool demonym_shape(const char *p, size_t n)
{
    static const char *const suf[] = {"an", "ese", "ish", "i", "ch", "ic"};
    for (size_t i = 0; i < NR_ARRAY_LEN(suf); i++) {
        size_t l = strlen(suf[i]);
        if (n > l + 2 && memcmp(p + n - l, suf[i], l) == 0)
            return true;
    }
    return false;
}

/* Is [p, p + n) a word followed anywhere in the field by a company word
 * ("Kestrel Motors", "Kestrel Inc.")? */
static bool named_with_company_word(const struct nr_roles *r, const char *s, size_t len,
                                    const char *p, size_t n)
{
    for (const char *q = s; (q = memmem(q, len - (size_t)(q - s), p, n)) != NULL; q += n) {
        uint32_t e = (uint32_t)(q - s + n);
        struct nr_word w;
        if ((q == s || !nr_text_word_before(s, (size_t)(q - s))) && e < len && s[e] == ' ' &&
            nr_word_next(s, len, e, &w) && w.start == e + 1 &&
            nr_wordset_has_orig(&r->company_words, s + w.start, w.end - w.start))
            return true;
    }
    return false;
}

/* Is there a company word (lexicon company_words: "carmaker", "shares",
 * "recall") in the sentence around original offset os? */
static bool sentence_has_company_word(const struct nr_roles *r, const char *s, size_t len,
                                      uint32_t os)
{
    uint32_t a = os, e = os;
    while (a > 0 &&
           !(s[a - 1] == '\n' ||
             ((s[a - 1] == '.' || s[a - 1] == '!' || s[a - 1] == '?') && a < len && s[a] == ' ')))
        a--;
    while (e < len && s[e] != '\n' &&
           !((s[e] == '.' || s[e] == '!' || s[e] == '?') && (e + 1 == len || s[e + 1] == ' ')))
        e++;
    struct nr_word w;
    for (uint32_t p = a; p < e && nr_word_next(s, e, p, &w); p = w.end + w.dot)
        if (nr_wordset_has_orig(&r->company_words, s + w.start, w.end - w.start))
            return true;
    return false;
}

/* "Toyota president Koji Sato", "Microsoft president Brad Smith": a role
 * that companies have too (lexicon company_roles) right after a
 * capitalised word that is no entity (role_left took those: "Iranian",
 * "Kenya's"), no modifier, no organisation word ("Senate", "Bundestag",
 * "Commission" of org_words), no acronym ("ANC president", a party) and
 * not shaped like a demonym is the company's head, no official, when the
 * article says it is a company: a company word (lexicon company_words) in
 * the role's sentence ("apologised for the recall", "the carmaker's
 * shares") or right after the word anywhere ("Toyota Motor", "Kestrel
 * Inc."). Without one the word is as likely a place or a house the
 * watchlists do not list ("Kosovo President", "Catalonia President"): the
 * official is kept, the side analysts asked for. */
bool nr_roles_company_before(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                             uint32_t role, uint32_t os)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    struct nr_word w;
    if (!(r->kind[role] & ROLE_COMPANY) || !nr_word_prev(s, os, &w) ||
        !is_space_run(s, w.end, os) || !w.upper || w.caps || w.dot)
        return false;
    size_t n = w.end - w.start;
    if (nr_wordset_has_orig(&r->modifiers, s + w.start, n) ||
        nr_wordset_has_orig(&r->org_words, s + w.start, n) ||
        nr_wordset_has_orig(&r->not_names, s + w.start, n) || demonym_shape(s + w.start, n) ||
        mention_at(v, f, w.start))
        return false;
    return sentence_has_company_word(r, s, len, os) ||
           named_with_company_word(r, s, len, s + w.start, n);
}

/* Where a portfolio may start after a role ending at p: after " of|for",
 * or with and_ok (a role that names its portfolio with of/for already:
 * "Minister of Information and Culture") after " and" or a comma (a list:
 * "Minister of Foreign Affairs, Foreign Employment and Tourism Jane Doe";
 * a name after the comma is no portfolio word); not after another role
 * ("Deputy Prime Minister and Foreign Minister"). 0: nowhere. */
static uint32_t portfolio_start(const char *s, size_t len, uint32_t p, bool and_ok)
{
    if (and_ok && p + 1 < len && s[p] == ',' && s[p + 1] == ' ')
        return skip_spaces(s, len, p + 1);
    if (p >= len || s[p] != ' ')
        return 0;
    struct nr_word w;
    uint32_t q = skip_spaces(s, len, p);
    if (!nr_word_next(s, len, q, &w) || w.start != q || w.upper ||
        !(word_is(s, &w, "of") || word_is(s, &w, "for") || (and_ok && word_is(s, &w, "and"))))
        return 0;
    return skip_spaces(s, len, w.end);
}

/* After a role: " of|for|and [the] <Portfolio>" ("Minister of Education",
 * "Minister for Women Affairs and Social Development", "Commissioner of
 * Police"): capitalised words of the lexicon's portfolio_words, with "and",
 * "&" or a comma between them (a comma only in a list that "and" or "&"
 * closes) -> the offset after the last one, else p. The portfolio is read as part of the role, so
 * the name after it reads as after any role. */
uint32_t nr_roles_skip_portfolio(const struct nr_roles *r, const char *s, size_t len, uint32_t p,
                                 bool and_ok)
{
    uint32_t q = portfolio_start(s, len, p, and_ok);
    if (r->portfolio.n == 0 || q == 0)
        return p;
    struct nr_word w;
    if (nr_word_next(s, len, q, &w) && w.start == q && w.end - w.start == 3 &&
        memcmp(s + q, "the", 3) == 0)
        q = skip_spaces(s, len, w.end);
    /* a list's commas count only when "and" or "&" closes it before the
     * name ("Foreign Affairs, Foreign Employment and Tourism"); else the
     * portfolio ends before its first comma ("Minister of Education,
     * Health Secretary Jane Doe") */
    bool closed = s[p] != ','; /* a list after the role's comma must close too */
    uint32_t end = p, before_comma = p;
    bool need = true; /* a portfolio word must come next */
    while (q < len) {
        uint32_t e;
        if (s[q] == '&') {
            e = q + 1;
            if (need)
                break;
            need = closed = true;
        } else {
            if (!nr_word_next(s, len, q, &w) || w.start != q)
                break;
            e = w.end;
            if (!need && word_is(s, &w, "and")) {
                need = closed = true;
            } else if (w.upper && !w.dot &&
                       (!w.caps || word_is(s, &w, "IT") || word_is(s, &w, "ICT")) &&
                       nr_wordset_has_orig(&r->portfolio, s + w.start, w.end - w.start)) {
                end = w.end; /* capitals: "IT", "ICT" only (not a headline's words) */
                need = false;
            } else {
                break;
            }
        }
        if (e + 1 < len && s[e] == ',' && s[e + 1] == ' ' && !need) {
            if (closed)
                before_comma = end;
            need = true;
            closed = false;
            e++;
        }
        if (e >= len || s[e] != ' ')
            break;
        q = skip_spaces(s, len, e);
    }
    return closed ? end : before_comma;
}
