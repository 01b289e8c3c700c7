/*
 * tagger_int.h - private to the tagger: how tagger.c (entities, the one
 * automaton) and tagger_topic.c (topics: queries, stems, scores) meet.
 *
 * The topic engine compiles every topic term into anchor patterns that it
 * hands to the tagger's pattern table (nr_pattern_sink), so one scan of the
 * article finds aliases and topic terms together. The tagger passes every
 * match of a topic pattern back with nr_topics_hit() and asks for the topic
 * tags with nr_topics_resolve().
 *
 * The role detector (tagger_roles.c) and the context rules
 * (tagger_context.c) read the article's alias mentions through a view
 * (struct nr_tag_view): they veto mentions or add some before mentions are
 * grouped into entity tags.
 */
#ifndef NEWSRADAR_TAGGER_INT_H
#define NEWSRADAR_TAGGER_INT_H

#include "newsradar/names.h"
#include "newsradar/tagger.h"
#include "newsradar/text.h"

#include <stdlib.h>

struct nr_topics;
struct nr_topics_scratch;

/* Adds a normalized pattern for topic term `term`. prefix: the pattern may
 * end inside a word (a stem's or wildcard's prefix): its matches need a word
 * boundary at the start only. */
struct nr_pattern_sink {
    void *ctx;
    void (*add)(void *ctx, const char *s, size_t len, uint32_t term, bool prefix);
};

struct nr_topics *nr_topics_new(const struct nr_config *cfg, struct nr_pattern_sink *sink,
                                struct nr_error *err);
void nr_topics_free(struct nr_topics *tp);
size_t nr_topics_memory(const struct nr_topics *tp);

struct nr_topics_scratch *nr_topics_scratch_new(const struct nr_topics *tp);
void nr_topics_scratch_free(struct nr_topics_scratch *s);

/* Start an article whose normalized title and body are text[0], text[1],
 * normalized from orig[0], orig[1] (all kept by the caller until the next
 * begin; an absent field has orig[f].p NULL), published in `year` (0:
 * unknown; exclude_near.past_years masks near the years before it). */
void nr_topics_begin(const struct nr_topics *tp, struct nr_topics_scratch *s,
                     const struct nr_text *text, const struct nr_str *orig, const char *lang,
                     int year);
/* A match [start, end) of term's pattern in normalized field f (0 title,
 * 1 body); full: word boundaries at both ends. */
void nr_topics_hit(const struct nr_topics *tp, struct nr_topics_scratch *s, uint32_t term, int f,
                   uint32_t start, uint32_t end, bool full);
/* Did memory run out while recording the last article's term matches? */
bool nr_topics_scratch_failed(const struct nr_topics_scratch *s);
/* Score the touched topics; fills tags->topics and tags->evidence (arrays
 * owned by the scratch). */
void nr_topics_resolve(const struct nr_topics *tp, struct nr_topics_scratch *s,
                       struct nr_tags *tags);

/* For `tag --explain` (tagger_explain.c). */
const struct nr_topics *nr_tagger_topics(const struct nr_tagger *t);
struct nr_topics_scratch *nr_tag_scratch_topics(struct nr_tag_scratch *s);
/* The topics part of the explanation as a JSON array (a jansson json_t *),
 * for every topic with a term match in the last article tagged. */
void *nr_topics_explain(const struct nr_topics *tp, struct nr_topics_scratch *s,
                        const struct nr_article *a);

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

/* One alias mention: original offsets into field (0 title, 1 body). */
struct nr_tag_mention {
    uint32_t entity, start, end;
    uint8_t field;
    bool ambiguous; /* counts only with an unambiguous mention of the entity */
};

/* A byte span [a, e) of an original field. */
struct nr_span32 {
    uint32_t a, e;
};

/* Link lines of a body kept per article (tagger_links.c): more are text. */
#define NR_MAX_LINKS 8

/* How a field is written: normal prose, Title Case or ALL CAPS (headlines). */
enum nr_field_shape { NR_SHAPE_PROSE, NR_SHAPE_TITLE, NR_SHAPE_CAPS };

struct nr_tag_view {
    const struct nr_config *cfg;
    const struct nr_text *text[2]; /* normalized title, body */
    struct nr_str orig[2];         /* original title, body (p may be NULL) */
    enum nr_field_shape shape[2];
    struct nr_tag_mention **ment; /* the mentions so far (may be appended to) */
    size_t *n_ment, *cap_ment;
    /* past NR_TAG_MAX_MENTIONS (tagger.h) from original offset ovf_start of
     * field ovf_field on: alias mentions there are only counted, and
     * nr_tag_view_add() drops mentions there (they could not be told apart
     * from an alias mention on the same span) */
    bool overflow;
    uint8_t ovf_field;
    uint32_t ovf_start;
    /* context rule sets found to be a person's name in this article
     * ("Michael Jordan"): their later bare mentions are that person too */
    uint32_t person_rules[8];
    size_t n_person_rules;
    /* the body's link lines (original offsets): no mention counts there */
    struct nr_span32 links[NR_MAX_LINKS];
    size_t n_links;
};

/* Append a mention to the view's list. */
void nr_tag_view_add(struct nr_tag_view *v, uint32_t entity, uint8_t field, uint32_t start,
                     uint32_t end, bool ambiguous);

/* For `tag --explain`: the watchlist alias matches of the last article
 * tagged that were dropped for standing in a link line (leftmost-longest
 * among themselves, case-sensitive aliases tested, context rules not), at
 * most max into out, in text order; returns how many. */
size_t nr_tag_link_drops(const struct nr_tagger *t, struct nr_tag_scratch *s,
                         const struct nr_article *a, struct nr_tag_mention *out, size_t max);

/* ---- context rules (tagger_context.c) ---- */

struct nr_tagctx;
struct nr_tagctx *nr_tagctx_new(const struct nr_config *cfg);
void nr_tagctx_free(struct nr_tagctx *c);
/* The context rule set of an alias (its normalized text), 0 = none. */
uint32_t nr_tagctx_for_alias(const struct nr_tagctx *c, const char *norm, size_t len);
/* Is the alias mention at normalized [ns, ne) of field f vetoed by its
 * context? */
bool nr_tagctx_reject(const struct nr_tagctx *c, uint32_t rule, struct nr_tag_view *v, int f,
                      uint32_t ns, uint32_t ne);
/* The shape of a field (all caps, title case or prose). */
enum nr_field_shape nr_tagctx_shape(const char *s, size_t len);
/* A case-sensitive alias (kept-case normalized text cs) matched at
 * orig[os, oe): 0 = not this alias, 1 = a mention, 2 = a mention that
 * needs support (an acronym in an all-caps field outside a proper-noun
 * context: treated as ambiguous). */
int nr_tagctx_case(const struct nr_tag_view *v, int f, uint32_t os, uint32_t oe, const char *cs,
                   size_t cs_len, bool exact);

/* ---- officials by role (tagger_roles.c) ---- */

struct nr_roles;
struct nr_roles_scratch;
struct nr_roles *nr_roles_new(const struct nr_config *cfg);
void nr_roles_free(struct nr_roles *r);
/* Role phrases to compile into the tagger's automaton: n and the i-th. */
size_t nr_roles_count(const struct nr_config *cfg);
const char *nr_roles_phrase(const struct nr_config *cfg, size_t i);
struct nr_roles_scratch *nr_roles_scratch_new(void);
void nr_roles_scratch_free(struct nr_roles_scratch *rs);
/* Per article: forget the last one. */
void nr_roles_begin(struct nr_roles_scratch *rs);
/* The scan found role phrase `role` at normalized [start, end) of field f. */
void nr_roles_note(struct nr_roles_scratch *rs, int f, uint32_t start, uint32_t end, uint32_t role);
/* After alias mentions are chosen: find officials by role, add mentions of
 * watchlist officials (a role-detected name, a later surname) to the view. */
void nr_roles_resolve(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tag_view *v);
/* After entity tags are built: the role-derived officials into tg. */
void nr_roles_emit(const struct nr_roles *r, struct nr_roles_scratch *rs, struct nr_tags *tg,
                   size_t *cap_spans);

/* ---- link lines (tagger_links.c) ---- */

struct nr_links;
struct nr_links *nr_links_new(void);
void nr_links_free(struct nr_links *l);
/* The link lines of a body, as original byte spans, at most max: tx is the
 * body normalized, orig[0..n) the original; tmp is a scratch text. */
size_t nr_links_find(const struct nr_links *l, const struct nr_text *tx, struct nr_text *tmp,
                     const char *orig, size_t n, struct nr_span32 *out, size_t max);

#endif
