/*
 * tagger_roles.c - officials found by their role (tagger_int.h).
 *
 * The role phrases of the lexicon ("foreign minister", "secretary of
 * state", ...) are compiled into the tagger's one automaton, so finding
 * them costs nothing beyond the scan every article gets. Around each role
 * match (leftmost-longest; adjacent roles chain: "army chief General Asim
 * Munir") the detector reads a personal name from the original text, where
 * capitalisation shows:
 *
 *   A  <role> <Name>                 Foreign Minister Amir Khan Muttaqi
 *      <country> <role> <Name>       Pakistani Prime Minister Shehbaz Sharif,
 *                                    Iran's foreign minister Abbas Araghchi
 *      <role> of <country>, <Name>   the President of Iran, Masoud Pezeshkian
 *      <role>, <Name>                Pakistan's foreign minister, Ishaq Dar,
 *   C  <Name>, [the] [<country>] <role> [of <country>]
 *                                    Ishaq Dar, Pakistan's foreign minister
 *
 * Other languages put the country after the role, with or without a
 * preposition ("el presidente de Brasil", "o ministro da Defesa do
 * Paquistão", "министр иностранных дел России Сергей Лавров", "le
 * président ukrainien"), or between the two halves of a title ("le
 * ministre pakistanais des Affaires étrangères"): the country, with the
 * "of" words below before it, is read after a role, and a role phrase
 * that starts with an "of" word ("des affaires étrangères") is a
 * complement that continues the role before it, across such a country,
 * and is no role alone.
 *
 * Between a role and its name a short parenthesis ("(IGP)") is skipped,
 * and after a local role a known place ("Deputy Commissioner Swat"),
 * which gives the country. A bare "president" right after a capitalised
 * word that is no entity is a company's ("Toyota president"): none.
 *
 * A name is 1..5 capitalised words separated by spaces only (particles such
 * as bin, al, de, van inside; initials and Jr/III dropped), stopping at a
 * lower-case word, punctuation, an all-caps word, a word of `not_names`
 * (Assembly, Motors, Cup, Said) or another entity's alias (a country is
 * not part of a name), and after a lower-case suffix glued by an apostrophe
 * (Turkish "Keçeli'den" is Keçeli). "President's Cup" is possessive, not a
 * name; weak roles (general, commander) need two name words ("General
 * Motors" has one). Pattern C and the comma form of A need two words, since a single
 * capitalised word before a comma is often a sentence adverb. Title Case
 * and ALL CAPS headlines capitalise verbs ("Minister Says"), so no new
 * person is read there; people found in the body are still counted there.
 *
 * Leading styles ("Barrister", "Alhaji", "Mr Prince") are not part of a
 * name when two name words follow them and the whole is no watchlist
 * name. A detected name folds (names.h) to a key. If the key is a watchlist
 * official's (name or unambiguous alias, folded), the mention is that
 * entity's; if the span overlaps a watchlist official's mention, it is
 * already counted. A one-word name ("Minister Iwaya") is the surname of
 * the one person of the article with it (the body is read before the
 * title, so a headline's surname finds the body's full name), else of the
 * one watchlist official with it. Otherwise it is a role-derived official
 * of the article. Then every person of the article (role-derived, or a watchlist official
 * with an unambiguous mention) also gets its surname-only mentions
 * ("Blinken said"): the last word of the folded name, capitalised, not
 * preceded by another capitalised name word ("Nawaz Sharif" is not
 * "Shehbaz Sharif"), and only when no other person of the article has the
 * same surname.
 *
 * Cost: nothing per byte; per role match a few word reads and set lookups;
 * the surnames of all persons in one pass over each normalized field
 * (tagger_roles_surname.c; linear in text and mentions).
 */
#include <stdlib.h>
#include <string.h>

#include "tagger_roles_int.h"

/* ---- build ---------------------------------------------------------- */

size_t nr_roles_count(const struct nr_config *cfg)
{
    return cfg->lex.roles.n + cfg->lex.weak_roles.n;
}

const char *nr_roles_phrase(const struct nr_config *cfg, size_t i)
{
    return i < cfg->lex.roles.n ? cfg->lex.roles.v[i] : cfg->lex.weak_roles.v[i - cfg->lex.roles.n];
}

static size_t slot(char *const *keys, size_t cap, const char *k)
{
    size_t mask = cap - 1, i = (size_t)nr_hash64(k, strlen(k), 0) & mask;
    while (keys[i] && strcmp(keys[i], k) != 0)
        i = (i + 1) & mask;
    return i;
}

static size_t fslot(const struct nr_roles *r, const char *k)
{
    return slot(r->fkeys, r->fcap, k);
}

static void fput(struct nr_roles *r, char *k, uint32_t ent)
{
    size_t i = fslot(r, k);
    if (r->fkeys[i] || !*k) { /* first official keeps a shared key */
        free(k);
        return;
    }
    r->fkeys[i] = k;
    r->fent[i] = ent + 1;
}

static uint32_t flookup(const struct nr_roles *r, const char *k)
{
    if (!r->fcap)
        return NR_NO_ENTITY;
    size_t i = fslot(r, k);
    return r->fkeys[i] ? r->fent[i] - 1 : NR_NO_ENTITY;
}

/* The one watchlist official whose surname is k, else NR_NO_ENTITY. */
static uint32_t slookup(const struct nr_roles *r, const char *k)
{
    size_t i = slot(r->skeys, r->scap, k);
    return r->skeys[i] && r->sent[i] != SHARED ? r->sent[i] - 1 : NR_NO_ENTITY;
}

static bool is_official(const struct nr_entity *e)
{
    return e->kind && strcmp(e->kind, "official") == 0;
}

/* Set `bit` for every role written as an item of `list` (the lexicon
 * checked that each is a role). */
static void mark_roles(uint8_t *kind, const struct nr_config *cfg, const struct nr_strlist *list,
                       uint8_t bit)
{
    size_t n = nr_roles_count(cfg);
    for (size_t k = 0; k < list->n; k++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(nr_roles_phrase(cfg, i), list->v[k]) == 0)
                kind[i] |= bit;
}

static void add_words(struct nr_wordset *ws, const struct nr_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        nr_wordset_add(ws, l->v[i]);
}

/* The lexicon's word lists (org_words and namesake_words also end names). */
static void lexicon_words(struct nr_roles *r, const struct nr_lexicon *lx)
{
    add_words(&r->particles, &lx->particles);
    add_words(&r->not_names, &lx->not_names);
    add_words(&r->not_names, &lx->org_words);
    add_words(&r->org_words, &lx->org_words);
    add_words(&r->governing, &lx->governing);
    add_words(&r->company_words, &lx->company_words);
    add_words(&r->portfolio, &lx->portfolio_words);
    add_words(&r->namesake, &lx->namesake_words);
    add_words(&r->body, &lx->body_words);
    add_words(&r->org_words, &lx->namesake_words);
    add_words(&r->not_names, &lx->namesake_words);
}

struct nr_roles *nr_roles_new(const struct nr_config *cfg)
{
    struct nr_roles *r = nr_xcalloc(1, sizeof(*r));
    const struct nr_lexicon *lx = &cfg->lex;
    r->cfg = cfg;
    r->n_strong = lx->roles.n;
    lexicon_words(r, lx);
    /* grammar, not vocabulary: words between a country and its role; the
     * articles also let "Jane Doe, a spokeswoman for the ministry" read */
    static const char *const mods[] = {
        "acting", "interim", "caretaker", "former", "then",  "outgoing", "incoming",
        "new",    "newly",   "appointed", "top",    "the",   "its",      "their",
        "chief",  "senior",  "a",         "an",     "le",    "la",       "el",
        "o",      "un",      "une",       "una",    "um",    "uma",      "der",
        "die",    "ancien",  "ancienne",  "nuevo",  "nueva", "novo",     "nova"};
    for (size_t i = 0; i < NR_ARRAY_LEN(mods); i++)
        nr_wordset_add(&r->modifiers, mods[i]);
    /* "of" between a role and its country, in the languages of the
     * shipped lexicon (d' elides), and the articles after it */
    static const char *const ofs[] = {"of", "de", "du",  "des", "d",   "del",
                                      "da", "do", "dos", "das", "von", "der"};
    for (size_t i = 0; i < NR_ARRAY_LEN(ofs); i++)
        nr_wordset_add(&r->of_words, ofs[i]);
    static const char *const arts[] = {"the", "la", "l", "le", "les", "el", "los",
                                       "las", "a",  "o", "os", "as",  "die"};
    for (size_t i = 0; i < NR_ARRAY_LEN(arts); i++)
        nr_wordset_add(&r->articles, arts[i]);
    size_t n_roles = nr_roles_count(cfg);
    r->complement = nr_xcalloc(n_roles + 1, sizeof(bool));
    r->portfolio_role = nr_xcalloc(n_roles + 1, sizeof(bool));
    r->kind = nr_xcalloc(n_roles + 1, 1);
    mark_roles(r->kind, cfg, &lx->local_roles, ROLE_LOCAL);
    mark_roles(r->kind, cfg, &lx->company_roles, ROLE_COMPANY);
    for (size_t i = 0; i < n_roles; i++) {
        const char *ph = nr_roles_phrase(cfg, i), *sp = strchr(ph, ' ');
        r->complement[i] = sp && nr_wordset_has_orig(&r->of_words, ph, (size_t)(sp - ph));
        r->portfolio_role[i] = strstr(ph, " of ") || strstr(ph, " for ");
    }
    static const char *const hon[] = {"mr",      "mrs",  "ms",        "dr",
                                      "sir",     "dame", "president", "minister",
                                      "general", "gen",  "secretary", "ambassador"};
    for (size_t i = 0; i < NR_ARRAY_LEN(hon); i++)
        nr_wordset_add(&r->honorifics, hon[i]);
    /* Styles the press of Nigeria, Pakistan and the Gulf writes before a
     * name ("Barrister Caleb Mutfwang", "Alhaji Musa Danjuma", "Engr. Jane
     * Doe") and the ranks that are no role of the lexicon ("Capt.",
     * "Major"): not part of the name when two name words follow (see
     * strip_styles). Prince, Chief and Sheikh are given names or part of
     * a name too ("Prince Harry", "Sheikh Hasina"), hence the two words. */
    static const char *const sty[] = {
        "mr",      "mrs",    "ms",    "dr",         "sir",       "dame",     "barrister", "sardar",
        "alhaji",  "alhaja", "malam", "mallam",     "maulana",   "mufti",    "sheikh",    "shaikh",
        "engr",    "arc",    "chief", "prince",     "princess",  "captain",  "capt",      "major",
        "maj",     "lt",     "col",   "brig",       "gen",       "cdr",      "cmdr",      "hajiya",
        "senator", "sen",    "hon",   "honourable", "honorable", "inspector"};
    for (size_t i = 0; i < NR_ARRAY_LEN(sty); i++)
        nr_wordset_add(&r->styles, sty[i]);

    size_t n_keys = 0;
    for (size_t i = 0; i < cfg->n_entities; i++)
        if (is_official(&cfg->entities[i]))
            n_keys += cfg->entities[i].n_aliases;
    r->fcap = 16;
    while (r->fcap < n_keys * 2 + 2)
        r->fcap *= 2;
    r->fkeys = nr_xcalloc(r->fcap, sizeof(char *));
    r->fent = nr_xcalloc(r->fcap, sizeof(uint32_t));
    r->surname = nr_xcalloc(cfg->n_entities + 1, sizeof(char *));
    r->official = nr_xcalloc(cfg->n_entities + 1, 1);
    r->sur_text = nr_xcalloc(cfg->n_entities + 1, sizeof(char *));
    r->scap = 16;
    while (r->scap < cfg->n_entities * 2 + 2)
        r->scap *= 2;
    r->skeys = nr_xcalloc(r->scap, sizeof(char *));
    r->sent = nr_xcalloc(r->scap, sizeof(uint32_t));
    for (size_t i = 0; i < cfg->n_entities; i++) {
        const struct nr_entity *e = &cfg->entities[i];
        if (!is_official(e))
            continue;
        r->official[i] = 1;
        for (size_t a = 0; a < e->n_aliases; a++)
            if (!(e->aliases[a].flags & NR_ALIAS_AMBIGUOUS))
                fput(r, nr_name_fold_dup(e->aliases[a].text), (uint32_t)i);
        char *f = nr_name_fold_dup(e->name);
        char *sp = strrchr(f, ' ');
        if (sp) { /* a one-word name has no separate surname */
            r->surname[i] = nr_xstrdup(sp + 1);
            size_t nl = strlen(e->name), cap = nl * 3 + 16;
            char *fs = nr_xmalloc(cap);
            nr_name_fold_script(e->name, nl, fs, cap);
            char *ss = strrchr(fs, ' ');
            r->sur_text[i] = nr_xstrdup(ss ? ss + 1 : fs);
            free(fs);
            /* a surname the watchlist marks ambiguous names others too */
            bool amb = false;
            for (size_t a = 0; a < e->n_aliases && !amb; a++) {
                if (!(e->aliases[a].flags & NR_ALIAS_AMBIGUOUS))
                    continue;
                char *af = nr_name_fold_dup(e->aliases[a].text);
                amb = strcmp(af, sp + 1) == 0;
                free(af);
            }
            size_t k = slot(r->skeys, r->scap, sp + 1);
            if (r->skeys[k] || amb) {
                if (!r->skeys[k])
                    r->skeys[k] = nr_xstrdup(sp + 1);
                r->sent[k] = SHARED;
            } else {
                r->skeys[k] = nr_xstrdup(sp + 1);
                r->sent[k] = (uint32_t)i + 1;
            }
        }
        free(f);
    }
    return r;
}

void nr_roles_free(struct nr_roles *r)
{
    if (!r)
        return;
    nr_wordset_fini(&r->particles);
    nr_wordset_fini(&r->not_names);
    nr_wordset_fini(&r->org_words);
    nr_wordset_fini(&r->governing);
    nr_wordset_fini(&r->company_words);
    nr_wordset_fini(&r->portfolio);
    nr_wordset_fini(&r->namesake);
    nr_wordset_fini(&r->body);
    nr_wordset_fini(&r->modifiers);
    nr_wordset_fini(&r->honorifics);
    nr_wordset_fini(&r->styles);
    nr_wordset_fini(&r->of_words);
    nr_wordset_fini(&r->articles);
    free(r->complement);
    free(r->kind);
    for (size_t i = 0; i < r->fcap; i++)
        free(r->fkeys[i]);
    free(r->fkeys);
    free(r->fent);
    for (size_t i = 0; i < r->cfg->n_entities; i++)
        free(r->surname[i]);
    for (size_t i = 0; i < r->cfg->n_entities; i++)
        free(r->sur_text[i]);
    free(r->surname);
    free(r->official);
    free(r->portfolio_role);
    free(r->sur_text);
    for (size_t i = 0; i < r->scap; i++)
        free(r->skeys[i]);
    free(r->skeys);
    free(r->sent);
    free(r);
}

struct nr_roles_scratch *nr_roles_scratch_new(void)
{
    return nr_xcalloc(1, sizeof(struct nr_roles_scratch));
}

void nr_roles_scratch_free(struct nr_roles_scratch *rs)
{
    if (!rs)
        return;
    free(rs->rc);
    free(rs->pers);
    free(rs->ps);
    free(rs->arena);
    free(rs->out);
    free(rs->tg);
    nr_roles_sur_free(rs->sur);
    free(rs);
}

void nr_roles_begin(struct nr_roles_scratch *rs)
{
    rs->n_rc = rs->n_pers = rs->n_ps = rs->n_arena = rs->n_tg = 0;
}

void nr_roles_note(struct nr_roles_scratch *rs, int f, uint32_t start, uint32_t end, uint32_t role)
{
    if (rs->n_rc >= NR_TAG_MAX_ROLE_HITS)
        return; /* a body of role phrases (tagger.h) */
    nr_grow((void **)&rs->rc, &rs->cap_rc, rs->n_rc + 1, sizeof(*rs->rc));
    rs->rc[rs->n_rc++] = (struct rcand){start, end, role, (uint8_t)f};
}

/* ---- reading names ------------------------------------------------------ */

struct name {
    uint32_t start, end; /* original offsets */
    uint32_t words;      /* counted words (not particles, initials, suffixes) */
};

/* Between two roles of one chain: spaces, periods, at most one comma
 * ("army chief, General Asim Munir"; "Lt. Gen."). */
static bool chain_gap(const char *s, uint32_t a, uint32_t b)
{
    const char *c = a < b ? memchr(s + a, ',', b - a) : NULL;
    if (!c)
        return gap_run(s, a, b, true);
    uint32_t k = (uint32_t)(c - s);
    return gap_run(s, a, k, true) && gap_run(s, k + 1, b, true);
}

/* "al-Sudani", "bin-Zayed": a lower-case particle glued to a capitalised word */
static bool glued_particle(const struct nr_roles *r, const char *s, size_t len,
                           const struct nr_word *w)
{
    const char *h = memchr(s + w->start, '-', w->end - w->start);
    if (!h)
        return false;
    size_t pl = (size_t)(h - (s + w->start));
    return nr_wordset_has_orig(&r->particles, s + w->start, pl) &&
           nr_name_upper_at(s, len, (size_t)(h - s) + 1, NULL);
}

enum wclass { W_STOP, W_NAME, W_PARTICLE, W_DROP };

static enum wclass classify(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                            const struct nr_word *w)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len, n = w->end - w->start;
    if (!w->alpha || n > MAX_NAME_WORD_BYTES)
        return W_STOP; /* not a name's word (and its display form must fit) */
    const struct nr_tag_mention *m = mention_at(v, f, w->start);
    if (m && !r->official[m->entity])
        return W_STOP; /* a country, group or place is not part of a name */
    if (!w->upper) {
        if (glued_particle(r, s, len, w))
            return W_NAME;
        return nr_wordset_has_orig(&r->particles, s + w->start, n) ? W_PARTICLE : W_STOP;
    }
    if (nr_name_droppable(s, w))
        return W_DROP;
    if (w->caps || nr_wordset_has_orig(&r->not_names, s + w->start, n))
        return W_STOP;
    return W_NAME;
}

/* Where a name word ends before a lower-case suffix glued by an
 * apostrophe (Turkish cases: "Keçeli'den", "Fidan’ın"), else w->end;
 * "O'Brien", "d'Arc" keep theirs. */
static uint32_t suffix_start(const char *s, size_t len, const struct nr_word *w)
{
    for (uint32_t i = w->start + 1; i < w->end; i++) {
        uint32_t k = s[i] == '\''                                                 ? i + 1
                     : (i + 3 <= w->end && memcmp(s + i, "\xE2\x80\x99", 3) == 0) ? i + 3
                                                                                  : 0;
        if (k && k < w->end && !nr_name_upper_at(s, len, k, NULL))
            return i;
    }
    return w->end;
}

/* Is w, the first word after a role, a word of not_names that is a given
 * name here: capitalised (no all-caps), no organisation word, and followed
 * by two name words ("President Said Abdullahi Deni"; "Said" is also the
 * verb of Title Case lines, "Minister Said Talks Were Useful", where the
 * next two are not both name words)? */
static bool given_not_name(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                           const struct nr_word *w)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len, n = w->end - w->start;
    if (!w->upper || w->caps || w->dot || !w->alpha || mention_at(v, f, w->start) ||
        nr_wordset_has_orig(&r->org_words, s + w->start, n) ||
        !nr_wordset_has_orig(&r->not_names, s + w->start, n))
        return false;
    struct nr_word a, b;
    return nr_word_next(s, len, w->end, &a) && is_space_run(s, w->end, a.start) &&
           classify(r, v, f, &a) == W_NAME && !a.dot && nr_word_next(s, len, a.end, &b) &&
           is_space_run(s, a.end, b.start) && classify(r, v, f, &b) == W_NAME;
}

/* Read a name forward from original offset pos (space-separated words). */
static bool name_fwd(const struct nr_roles *r, const struct nr_tag_view *v, int f, uint32_t pos,
                     struct name *out)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    struct nr_word w;
    uint32_t prev_end = pos, end = 0, words = 0, start = 0;
    while (words < MAX_NAME_WORDS && nr_word_next(s, len, prev_end, &w)) {
        if (!is_space_run(s, prev_end, w.start))
            break;
        enum wclass c = classify(r, v, f, &w);
        if (c == W_STOP && words == 0 && start == 0 && given_not_name(r, v, f, &w))
            c = W_NAME; /* "President Said Abdullahi Deni" */
        if (c == W_STOP && words > 0 && nr_roles_place_surname(v, f, &w))
            c = W_NAME; /* "Esther Mwanza said": a place's name as the surname */
        if (c == W_STOP)
            break;
        if (c == W_PARTICLE && words == 0)
            break;
        if (c == W_DROP && words == 0 && w.end - w.start > 1)
            break; /* "III" cannot start a name */
        if (words == 0 && start == 0)
            start = w.start;
        prev_end = w.end + (w.dot ? 1 : 0);
        if (c == W_PARTICLE) /* a trailing particle is left out: end stops before it */
            continue;
        if (c == W_NAME)
            words++;
        end = c == W_DROP && w.dot ? w.end + 1 : w.end;
        if (c == W_NAME && suffix_start(s, len, &w) < w.end) {
            end = suffix_start(s, len, &w); /* the suffix ends the name */
            break;
        }
    }
    if (words == 0)
        return false;
    /* a possessive or a word glued by an apostrophe ends the name cleanly */
    out->start = start;
    out->end = end;
    out->words = words;
    return true;
}

/* Read a name backward, ending at original offset pos. */
static bool name_back(const struct nr_roles *r, const struct nr_tag_view *v, int f, uint32_t pos,
                      struct name *out)
{
    const char *s = v->orig[f].p;
    struct nr_word w;
    uint32_t left = pos, start = pos, end = 0, words = 0;
    while (words < MAX_NAME_WORDS && nr_word_prev(s, left, &w)) {
        uint32_t wend = w.end + (w.dot ? 1 : 0);
        if (!is_space_run(s, wend, left))
            break;
        enum wclass c = classify(r, v, f, &w);
        if (c == W_STOP)
            break;
        if (c == W_PARTICLE && words == 0)
            break;
        if (end == 0)
            end = wend;
        left = w.start;
        if (c == W_NAME) {
            words++;
            start = w.start;
        }
    }
    if (words == 0)
        return false;
    out->start = start;
    out->end = end;
    out->words = words;
    return true;
}

/* Original offset just before "'s" / "’s" ending at p, else p. */
static uint32_t strip_possessive(const char *s, uint32_t p)
{
    if (p >= 2 && (s[p - 1] == 's' || s[p - 1] == 'S') && s[p - 2] == '\'')
        return p - 2;
    if (p >= 4 && (s[p - 1] == 's' || s[p - 1] == 'S') && memcmp(s + p - 4, "\xE2\x80\x99", 3) == 0)
        return p - 4;
    return p;
}

static bool possessive_at(const char *s, size_t len, uint32_t p)
{
    return (p + 2 <= len && s[p] == '\'' && (s[p + 1] == 's' || s[p + 1] == 'S')) ||
           (p + 4 <= len && memcmp(s + p, "\xE2\x80\x99", 3) == 0 &&
            (s[p + 3] == 's' || s[p + 3] == 'S'));
}

/* The mention ending at p (after spaces and "'s"), else NULL. */
static const struct nr_tag_mention *mention_ending(const struct nr_tag_view *v, int f, uint32_t p)
{
    const char *s = v->orig[f].p;
    p = strip_possessive(s, skip_spaces_back(s, p));
    for (size_t i = 0; i < *v->n_ment; i++) {
        const struct nr_tag_mention *m = &(*v->ment)[i];
        if (m->field == f && m->end == p)
            return m;
    }
    return NULL;
}

struct left {
    uint32_t p;       /* where the role's left context starts */
    uint32_t country; /* stated country, or NR_NO_ENTITY */
    bool group;       /* a (non-governing) group's role: a member, not an official */
};

/* Walk back from a role over modifiers ("acting", "the"), a country or place
 * ("Iran's", "Punjab"), and with org, over capitalised words of an
 * organisation ("the State Department spokesman"). */
static struct left role_left(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                             uint32_t p, bool org)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    struct left l = {p, NR_NO_ENTITY, false};
    struct nr_word w;
    for (int k = 0; k < 5; k++) {
        const struct nr_tag_mention *m = mention_ending(v, f, l.p);
        if (m) {
            const struct nr_entity *e = &v->cfg->entities[m->entity];
            uint32_t c = kind_is(v->cfg, m->entity, "country") ? m->entity : e->country_index;
            if (kind_is(v->cfg, m->entity, "group") && !nr_roles_governing(r, m->entity)) {
                l.group = true;
                return l;
            }
            if (l.country == NR_NO_ENTITY)
                l.country = c;
            l.p = m->start;
            continue;
        }
        /* "Iran's foreign minister" with Iran in no watchlist: the word
         * before the possessive */
        uint32_t q = org ? strip_possessive(s, skip_spaces_back(s, l.p)) : l.p;
        if (!nr_word_prev(s, q, &w) || !is_space_run(s, w.end, q == l.p ? l.p : q))
            break;
        bool mod = nr_wordset_has_orig(&r->modifiers, s + w.start, w.end - w.start);
        if (!mod && !(org && nr_name_upper_at(s, len, w.start, NULL)))
            break;
        l.p = w.start;
    }
    return l;
}

/* After original offset p, a word of set ws and the spaces after it
 * ("of ", "de "), or an elided one ("d'Iran", "l’Inde": one word for
 * nr_word_next): the offset after it, else p. */
static uint32_t skip_word_of(const struct nr_wordset *ws, const char *s, size_t len, uint32_t p)
{
    struct nr_word w;
    uint32_t q = skip_spaces(s, len, p);
    if (!nr_word_next(s, len, q, &w) || w.start != q)
        return p;
    if (q + 2 < w.end && nr_wordset_has_orig(ws, s + q, 1)) {
        if (s[q + 1] == '\'')
            return q + 2;
        if (q + 4 < w.end && memcmp(s + q + 1, "\xE2\x80\x99", 3) == 0)
            return q + 4;
    }
    if (!nr_wordset_has_orig(ws, s + w.start, w.end - w.start) || w.end >= len ||
        (s[w.end] != ' ' && s[w.end] != '\t'))
        return p;
    return skip_spaces(s, len, w.end);
}

/* After a role: "[of [the]] <country>" ("of the United States", "de
 * Brasil", "do Paquistão", "d'Iran", Russian "России", "ukrainien") -> the
 * offset after it, and *country; else p. With need_of the "of" word must
 * be there ("Ambassador Li Wei of China", not "... Pakistani officials"). */
static uint32_t role_of_country(const struct nr_roles *r, const struct nr_tag_view *v, int f,
                                uint32_t p, uint32_t *country, bool need_of)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    uint32_t q = skip_word_of(&r->of_words, s, len, p);
    if (q == p && need_of)
        return p;
    if (q != p)
        q = skip_word_of(&r->articles, s, len, q);
    q = skip_spaces(s, len, q);
    const struct nr_tag_mention *m = mention_at(v, f, q);
    if (!m || m->start != q || !kind_is(v->cfg, m->entity, "country"))
        return p;
    if (*country == NR_NO_ENTITY)
        *country = m->entity;
    return m->end;
}

/* ---- people --------------------------------------------------------------- */

static uint32_t arena_put(struct nr_roles_scratch *rs, const char *p, size_t n)
{
    nr_grow((void **)&rs->arena, &rs->cap_arena, rs->n_arena + n + 1, 1);
    uint32_t off = (uint32_t)rs->n_arena;
    memcpy(rs->arena + off, p, n);
    rs->arena[off + n] = '\0';
    rs->n_arena += n + 1;
    return off;
}

/* Bytes of an invisible character nr_word_next keeps inside a word (soft
 * hyphen U+00AD, U+200B..U+200D, U+2060, U+FEFF) at p[0..n), else 0. */
static size_t invisible_len(const unsigned char *p, size_t n)
{
    if (n >= 2 && p[0] == 0xC2 && p[1] == 0xAD)
        return 2;
    if (n >= 3 && p[0] == 0xE2 &&
        ((p[1] == 0x80 && p[2] >= 0x8B && p[2] <= 0x8D) || (p[1] == 0x81 && p[2] == 0xA0)))
        return 3;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        return 3;
    return 0;
}

/* Is the word a style only Mr, Mrs, Ms, Dr, Sir, Dame (which folding
 * drops, names.h) are not? */
static bool new_style(const char *p, size_t n)
{
    static const char *const old[] = {"mr", "mrs", "ms", "dr", "sir", "dame"};
    for (size_t i = 0; i < NR_ARRAY_LEN(old); i++) {
        size_t l = strlen(old[i]), k = 0;
        while (k < n && l == n && (p[k] | 0x20) == old[i][k])
            k++;
        if (l == n && k == n)
            return false;
    }
    return true;
}

/* The display form: the name's words without initials, suffixes, invisible
 * characters ("Sha\u00ADrif" is "Sharif") or a leading Mr, Dr before two. */
static uint32_t display_name(struct nr_roles_scratch *rs, const char *s, const struct name *nm)
{
    char buf[256];
    size_t o = 0;
    struct nr_word w;
    uint32_t pos = nm->start, k = 0;
    while (pos < nm->end && nr_word_next(s, nm->end, pos, &w)) {
        pos = w.end + (w.dot ? 1 : 0);
        /* "Dr Tunji Alausa" is shown as Tunji Alausa (the key drops it too) */
        bool mr = k++ == 0 && nm->words >= 3 && !new_style(s + w.start, w.end - w.start);
        if (mr || nr_name_droppable(s, &w))
            continue;
        size_t n = w.end - w.start;
        if (o + n + 1 >= sizeof(buf))
            break;
        if (o)
            buf[o++] = ' ';
        for (size_t i = w.start; i < w.end;) {
            size_t k = invisible_len((const unsigned char *)s + i, w.end - i);
            if (k) {
                i += k;
                continue;
            }
            buf[o++] = s[i++];
        }
    }
    return arena_put(rs, buf, o);
}

/* "Minister Iwaya", "President Putin": a one-word name after a role is the
 * surname of a person the article names in full, when exactly one has it;
 * when nobody in the article has it, of the one watchlist official with
 * that surname ("el presidente Milei", "Kanzler Merz": other languages'
 * titles are no aliases). Returns the watchlist official, else
 * NR_NO_ENTITY and *person the role-derived person or NR_NO_ENTITY. */
static uint32_t surname_owner(const struct nr_roles *r, const struct nr_roles_scratch *rs,
                              const struct nr_tag_view *v, const char *key, uint32_t *person)
{
    uint32_t ent = NR_NO_ENTITY;
    size_t n = 0;
    for (size_t i = 0; i < *v->n_ment; i++) {
        const struct nr_tag_mention *m = &(*v->ment)[i];
        if (m->ambiguous || m->entity == ent || !r->surname[m->entity] ||
            strcmp(r->surname[m->entity], key) != 0)
            continue;
        ent = m->entity;
        n++;
    }
    *person = NR_NO_ENTITY;
    for (size_t p = 0; p < rs->n_pers; p++) {
        const char *k = rs->arena + rs->pers[p].key_off;
        const char *sp = strrchr(k, ' ');
        if (sp && strcmp(sp + 1, key) == 0) {
            *person = (uint32_t)p;
            n++;
        }
    }
    if (n == 0)
        return slookup(r, key);
    if (n != 1) {
        *person = NR_NO_ENTITY;
        return NR_NO_ENTITY;
    }
    return *person != NR_NO_ENTITY ? NR_NO_ENTITY : ent;
}

/* "Mr Prince Dotun Oyelade", "Barrister Caleb Mutfwang": the styles
 * leading the name (one at least not Mr-like, whose span stays as it
 * was) are not part of it when two name words remain ("Prince Harry",
 * "Sheikh Hasina" keep theirs). */
static void strip_styles(const struct nr_roles *r, const char *s, struct name *nm)
{
    struct nr_word w;
    uint32_t pos = nm->start, start = nm->start, k = 0;
    bool any_new = false;
    while (pos < nm->end && nr_word_next(s, nm->end, pos, &w) && w.upper &&
           nr_wordset_has_orig(&r->styles, s + w.start, w.end - w.start)) {
        any_new |= new_style(s + w.start, w.end - w.start);
        pos = w.end + (w.dot ? 1 : 0);
        k++;
        struct nr_word x;
        if (!nr_word_next(s, nm->end, pos, &x))
            return;
        start = x.start;
    }
    if (!any_new || k == 0 || nm->words < k + 2)
        return;
    nm->start = start;
    nm->words -= k;
}

static void found(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tag_view *v,
                  int f, const struct name *nm_in, uint32_t role, uint32_t country)
{
    const char *s = v->orig[f].p;
    struct name nm_s = *nm_in;
    const struct name *nm = &nm_s;
    /* the watchlist already has this person here ("Muhammad Shehbaz Sharif") */
    for (size_t i = 0; i < *v->n_ment; i++) {
        const struct nr_tag_mention *m = &(*v->ment)[i];
        if (m->field == f && m->start < nm->end && nm->start < m->end && !m->ambiguous &&
            r->official[m->entity])
            return;
    }
    char key[256];
    size_t kl = nr_name_fold(s + nm->start, nm->end - nm->start, key, sizeof(key));
    if (kl == 0)
        return;
    uint32_t ent = flookup(r, key), person = NR_NO_ENTITY;
    if (ent == NR_NO_ENTITY) { /* a watchlist name with its style stays whole */
        strip_styles(r, s, &nm_s);
        kl = nr_name_fold(s + nm->start, nm->end - nm->start, key, sizeof(key));
        ent = flookup(r, key);
    }
    if (ent == NR_NO_ENTITY && nm->words == 1)
        ent = surname_owner(r, rs, v, key, &person);
    if (person != NR_NO_ENTITY) {
        add_pspan(rs, person, f, nm->start, nm->end);
        return;
    }
    if (ent != NR_NO_ENTITY) {
        /* the full name replaces a bare-surname mention inside it */
        for (size_t i = 0; i < *v->n_ment;) {
            const struct nr_tag_mention *m = &(*v->ment)[i];
            if (m->field == f && m->entity == ent && nm->start <= m->start && m->end <= nm->end)
                (*v->ment)[i] = (*v->ment)[--*v->n_ment];
            else
                i++;
        }
        nr_tag_view_add(v, ent, (uint8_t)f, nm->start, nm->end, false);
        return;
    }
    size_t p;
    for (p = 0; p < rs->n_pers; p++)
        if (strcmp(rs->arena + rs->pers[p].key_off, key) == 0)
            break;
    if (p == rs->n_pers) {
        nr_grow((void **)&rs->pers, &rs->cap_pers, rs->n_pers + 1, sizeof(*rs->pers));
        struct person *pp = &rs->pers[rs->n_pers++];
        pp->key_off = arena_put(rs, key, kl);
        pp->name_off = display_name(rs, s, nm);
        /* the key spells Cyrillic in Latin letters (names.h); the surname
         * is searched in the text, so in its own script */
        char sk[256];
        size_t sl = nr_name_fold_script(s + nm->start, nm->end - nm->start, sk, sizeof(sk));
        const char *sp = strrchr(sk, ' ');
        pp->sur_off = sp ? arena_put(rs, sp + 1, sl - (size_t)(sp + 1 - sk)) : NO_SUR;
        pp->role = role;
        pp->country = country;
        pp->entity = NR_NO_ENTITY;
    } else if (rs->pers[p].country == NR_NO_ENTITY) {
        rs->pers[p].country = country;
    }
    add_pspan(rs, (uint32_t)p, f, nm->start, nm->end);
}

/* The body before the title: a headline's "Minister Iwaya" is the person
 * the body names in full, which must be known first. */
static int cmp_rcand(const void *x, const void *y)
{
    const struct rcand *a = x, *b = y;
    if (a->field != b->field)
        return a->field > b->field ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->end > b->end ? -1 : a->end < b->end;
}

/* One chain of roles at original [os, oe): try each pattern. */
static void try_role(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tag_view *v,
                     int f, uint32_t role, bool weak, uint32_t os, uint32_t oe,
                     uint32_t gap_country)
{
    const char *s = v->orig[f].p;
    size_t len = v->orig[f].len;
    struct left l = role_left(r, v, f, os, false);
    if (l.group || possessive_at(s, len, oe))
        return; /* "TTP spokesman ..."; "President's Cup" */
    if (l.p == os && nr_roles_company_before(r, v, f, role, os))
        return; /* "Toyota president Koji Sato" */
    uint32_t country = l.country != NR_NO_ENTITY ? l.country : gap_country;
    uint32_t after = role_of_country(r, v, f, oe, &country, false);
    if (after == oe) { /* the longer: "for the Federal Road Safety Corps, Jane Doe" */
        uint32_t pf = nr_roles_skip_portfolio(r, s, len, oe, r->portfolio_role[role]);
        after = nr_roles_skip_body(r, v, f, oe, role, true, &country);
        after = pf > after ? pf : after;
    } else {
        after = nr_roles_skip_body(r, v, f, after, role, false, &country);
    }
    if (after == oe) /* "Station House Officer (SHO) of the Saddar police station, ..." */
        after = nr_roles_skip_body(r, v, f, nr_roles_skip_paren(s, len, oe), role, true, &country);
    /* "Lt. Gen." ends in a dot; after "of <country>" a dot ends the sentence */
    uint32_t p = after == oe && after < len && s[after] == '.' ? after + 1 : after;
    /* "Inspector General of Police (IGP) Punjab, Dr Jane Doe", "SSP Malir
     * Jane Doe" */
    p = after = nr_roles_skip_paren(s, len, p);
    if (nr_roles_local_role(r, role))
        p = after = nr_roles_skip_place(v, f, p, &country);
    struct name nm;
    /* A: <role> <Name> */
    if (p < len && (s[p] == ' ' || (unsigned char)s[p] == 0xC2) && name_fwd(r, v, f, p, &nm)) {
        if (nm.words >= (weak ? 2u : 1u) && !nr_roles_org_follows(r, v, f, nm.end)) {
            role_of_country(r, v, f, nm.end, &country, true); /* "Ambassador Li Wei of China" */
            found(r, rs, v, f, &nm, role, country);
        }
        return;
    }
    /* A, comma form: <role>, <Name>  (two words) */
    uint32_t q = skip_spaces(s, len, after);
    if (q < len && s[q] == ',' && name_fwd(r, v, f, q + 1, &nm) && nm.words >= 2 &&
        !nr_roles_org_follows(r, v, f, nm.end)) {
        found(r, rs, v, f, &nm, role, country);
        return;
    }
    /* C: <Name>, [the] [<country>|<organisation>] <role> */
    struct left lc = role_left(r, v, f, os, true);
    if (lc.group)
        return;
    if (country == NR_NO_ENTITY)
        country = lc.country;
    uint32_t c = skip_spaces_back(s, lc.p);
    if (c > 0 && s[c - 1] == ',' && name_back(r, v, f, c - 1, &nm) && nm.words >= 2)
        found(r, rs, v, f, &nm, role, country);
}

static void detect(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tag_view *v)
{
    if (rs->n_rc > 1) /* qsort(NULL, 0) is undefined */
        qsort(rs->rc, rs->n_rc, sizeof(*rs->rc), cmp_rcand);
    /* leftmost-longest: drop roles inside a longer one ("minister" in
     * "foreign minister") */
    size_t k = 0;
    for (size_t i = 0; i < rs->n_rc; i++) {
        if (k > 0 && rs->rc[k - 1].field == rs->rc[i].field && rs->rc[i].start < rs->rc[k - 1].end)
            continue;
        rs->rc[k++] = rs->rc[i];
    }
    rs->n_rc = k;
    for (size_t i = 0; i < rs->n_rc;) {
        int f = rs->rc[i].field;
        const struct nr_text *tx = v->text[f];
        size_t j = i;
        uint32_t gap_country = NR_NO_ENTITY;
        /* chain adjacent roles: "Chief of Army Staff General Asim Munir";
         * a complement continues a role across a country ("ministre
         * pakistanais des Affaires étrangères") */
        while (j + 1 < rs->n_rc && rs->rc[j + 1].field == f) {
            uint32_t a = nr_text_orig(tx, rs->rc[j].end), b = nr_text_orig(tx, rs->rc[j + 1].start);
            if (!chain_gap(v->orig[f].p, a, b)) {
                uint32_t c = NR_NO_ENTITY, e = role_of_country(r, v, f, a, &c, false);
                if (!r->complement[rs->rc[j + 1].role] || e == a ||
                    !is_space_run(v->orig[f].p, e, b))
                    break;
                if (gap_country == NR_NO_ENTITY)
                    gap_country = c;
            }
            j++;
        }
        if (v->shape[f] == NR_SHAPE_PROSE && v->orig[f].p && !r->complement[rs->rc[i].role]) {
            uint32_t role = rs->rc[i].role;
            bool weak = rs->rc[j].role >= r->n_strong && rs->rc[i].role >= r->n_strong;
            try_role(r, rs, v, f, role, weak, nr_text_orig(tx, rs->rc[i].start),
                     nr_text_orig(tx, rs->rc[j].end), gap_country);
        }
        i = j + 1;
    }
}

void nr_roles_resolve(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tag_view *v)
{
    if (rs->n_rc == 0 && *v->n_ment == 0)
        return;
    nr_roles_drop_other_given(r, v);
    detect(r, rs, v);
    nr_roles_drop_places_in_names(rs, v);
    nr_roles_surnames(r, rs, v);
}

static int cmp_pspan(const void *x, const void *y)
{
    const struct pspan *a = x, *b = y;
    if (a->person != b->person)
        return a->person < b->person ? -1 : 1;
    if (a->field != b->field)
        return a->field < b->field ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

void nr_roles_emit(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tags *tg,
                   size_t *cap_spans)
{
    tg->n_officials = 0;
    if (rs->n_pers == 0)
        return;
    if (rs->n_ps > 1)
        qsort(rs->ps, rs->n_ps, sizeof(*rs->ps), cmp_pspan);
    nr_grow((void **)&rs->out, &rs->cap_out, rs->n_pers, sizeof(*rs->out));
    tg->officials = rs->out;
    size_t k = 0;
    for (size_t p = 0; p < rs->n_pers; p++) {
        const struct person *pp = &rs->pers[p];
        struct nr_official_tag *o = &rs->out[tg->n_officials++];
        o->name = rs->arena + pp->name_off;
        o->key = rs->arena + pp->key_off;
        o->role = nr_roles_phrase(r->cfg, pp->role);
        o->country = pp->country;
        o->mentions = 0;
        o->in_title = false;
        o->first_span = (uint32_t)tg->n_spans;
        for (; k < rs->n_ps && rs->ps[k].person == p; k++) {
            if (o->mentions < NR_TAG_MAX_SPANS) {
                nr_grow((void **)&tg->spans, cap_spans, tg->n_spans + 1, sizeof(*tg->spans));
                tg->spans[tg->n_spans++] =
                    (struct nr_span){rs->ps[k].field == 0 ? NR_FIELD_TITLE : NR_FIELD_BODY,
                                     rs->ps[k].start, rs->ps[k].end};
            }
            o->mentions++;
            o->in_title |= rs->ps[k].field == 0;
        }
        o->n_spans = (uint32_t)tg->n_spans - o->first_span;
        if (o->mentions == 0) /* its every span was another person's */
            tg->n_officials--;
    }
}
