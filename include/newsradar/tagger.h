/*
 * tagger.h - article -> entities and topics.
 *
 * nr_tagger_new() compiles every alias and topic phrase of the config into
 * one matcher automaton (see matcher.h). nr_tagger_tag() normalizes title and
 * body (text.h), scans them, keeps matches at word boundaries, resolves
 * overlaps (longest wins), applies case-sensitive and ambiguous-alias rules,
 * and evaluates topic rules. All per-article memory lives in the scratch,
 * which is reused between articles (one scratch per thread).
 */
#ifndef NEWSRADAR_TAGGER_H
#define NEWSRADAR_TAGGER_H

#include "newsradar/article.h"
#include "newsradar/common.h"
#include "newsradar/config.h"
#include "newsradar/lang.h"
#include "newsradar/matcher.h"

struct nr_span {
    uint8_t field;       /* NR_FIELD_TITLE or NR_FIELD_BODY */
    uint32_t start, end; /* byte offsets into the original (decoded) field */
};

/* Bounds on what one article keeps, so that its memory stays within 4 x
 * its size plus a constant however dense its matches (docs/performance.md,
 * "Memory per article"). No press article comes near them:
 *   - an entity keeps the spans of its first NR_TAG_MAX_SPANS mentions;
 *     `mentions` counts them all;
 *   - an article stores its first NR_TAG_MAX_MENTIONS alias mentions; later
 *     ones are counted per entity (and not seen by the role and context
 *     rules);
 *   - the topics store NR_TAG_MAX_TERM_HITS term matches; beyond that, a
 *     term that already has NR_TAG_TERM_HITS_KEPT matches in a field keeps
 *     no more there;
 *   - the role detector reads the first NR_TAG_MAX_ROLE_HITS role phrases
 *     and counts at most as many mentions of role-derived officials. */
#define NR_TAG_MAX_SPANS      256
#define NR_TAG_MAX_MENTIONS   65536
#define NR_TAG_MAX_TERM_HITS  65536
#define NR_TAG_TERM_HITS_KEPT 64
#define NR_TAG_MAX_ROLE_HITS  16384

struct nr_entity_tag {
    uint32_t entity; /* index into cfg->entities */
    uint32_t mentions;
    bool in_title;
    uint32_t first_span, n_spans; /* into nr_tags.spans; n_spans <= NR_TAG_MAX_SPANS */
};

/* An official found by a role pattern ("Foreign Minister Amir Khan
 * Muttaqi", "Ishaq Dar, Pakistan's foreign minister") whom no watchlist
 * has (a watchlist official found that way is an nr_entity_tag). Strings
 * are owned by the scratch. */
struct nr_official_tag {
    const char *name; /* as first written, initials and suffixes dropped */
    const char *key;  /* nr_name_fold() of the name: event key, eval match */
    const char *role; /* the lexicon's role phrase ("foreign minister") */
    uint32_t country; /* index into cfg->entities, or NR_NO_ENTITY */
    uint32_t mentions;
    bool in_title;
    uint32_t first_span, n_spans; /* into nr_tags.spans */
};

struct nr_topic_tag {
    uint32_t topic; /* index into cfg->topics */
    double score;
    uint32_t first_evidence, n_evidence; /* into nr_tags.evidence */
};

/* The result of tagging one article; owned by the scratch. Entities are in
 * config order; topics in config order. */
struct nr_tags {
    struct nr_entity_tag *entities;
    size_t n_entities;
    struct nr_topic_tag *topics;
    size_t n_topics;
    struct nr_official_tag *officials; /* role-derived, in order of first mention */
    size_t n_officials;
    struct nr_span *spans;
    size_t n_spans;
    const char **evidence; /* phrase strings owned by the tagger (config text) */
    size_t n_evidence;
    char lang[NR_LANG_TAG_MAX]; /* the article's language (lang.h), "" unknown */
    uint8_t lang_source;        /* enum nr_lang_source */
    uint64_t simhash;           /* of the normalized title and the body's lead (2 KB in
                                 * all), over word 3-shingles: for near-duplicate dedup */
};

struct nr_tagger;
struct nr_tag_scratch;

struct nr_tagger *nr_tagger_new(const struct nr_config *cfg, struct nr_error *err);
void nr_tagger_free(struct nr_tagger *t);
/* The same with an explicit matcher engine (benchmarks, tests); nr_tagger_new
 * uses the hand-written Aho-Corasick. */
struct nr_tagger *nr_tagger_new_engine(const struct nr_config *cfg, enum nr_matcher_engine engine,
                                       struct nr_error *err);
/* Distinct normalized patterns, and bytes of compiled tables. */
size_t nr_tagger_patterns(const struct nr_tagger *t);
size_t nr_tagger_memory(const struct nr_tagger *t);

struct nr_tag_scratch *nr_tag_scratch_new(const struct nr_tagger *t);
void nr_tag_scratch_free(struct nr_tag_scratch *s);

/* Make room in s for the text of a (title and body, normalized), fallibly:
 * 0, or -1 when memory runs out; the caller then rejects the article as
 * too_large rather than let nr_tagger_tag() abort on it. What tagging
 * allocates beyond that grows with the matches, within the bounds above,
 * and fallibly (nr_tag_scratch_failed). */
int nr_tag_scratch_reserve(struct nr_tag_scratch *s, const struct nr_article *a);

/* Tag one decoded article. The result is valid until the next call with the
 * same scratch. */
const struct nr_tags *nr_tagger_tag(const struct nr_tagger *t, struct nr_tag_scratch *s,
                                    const struct nr_article *a);
/* Did memory run out while tagging the last article (its match, mention or
 * span buffers)? Its tags are then incomplete: the caller rejects it as
 * too_large, and the scratch is fine for the next article. */
bool nr_tag_scratch_failed(const struct nr_tag_scratch *s);

/* The tags as one compact JSON object (the output of `newsradar tag`,
 * docs/article.md); malloc'ed, the caller frees. */
char *nr_tags_to_json(const struct nr_config *cfg, const struct nr_article *a,
                      const struct nr_tags *t);

/* The same object with an "explain" member (`newsradar tag --explain`,
 * docs/article.md): per entity the text of each span; per topic with any
 * term match its signals (query, weight, matched, in_title, points, the
 * term matches with field, byte span and what masked them), exclusion
 * matches, score, threshold and title boost. Call right after
 * nr_tagger_tag() with the same scratch; malloc'ed, the caller frees. */
char *nr_tagger_explain_json(const struct nr_config *cfg, const struct nr_tagger *t,
                             struct nr_tag_scratch *s, const struct nr_article *a,
                             const struct nr_tags *tags);

#endif
