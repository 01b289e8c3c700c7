/*
 * tagger_topic.h - private to tagger_topic.c (build, matching) and
 * tagger_topic_eval.c (scores, evidence, explanations): the compiled topics.
 *
 * A topic is a list of signals (its `query:` items, each `any` phrase, each
 * `near` clause). A signal is a Boolean expression over terms; a term is a
 * phrase of words (a single word is a phrase of one). Exclusions are terms
 * too, with a role that masks the topic's other term matches instead of
 * scoring.
 *
 * Languages: a topic's terms and signals come in sets, one per language
 * (set 0: the topic's own `query:`, in its `language`; then one per other
 * language of its `extend:` items, which may merge several files). An
 * article is scored with one set per topic: the set of its language if the
 * topic has one, else set 0. Term matches of the other sets are dropped in
 * nr_topics_hit() before anything is recorded, and their signals score 0.
 */
#ifndef NEWSRADAR_TAGGER_TOPIC_H
#define NEWSRADAR_TAGGER_TOPIC_H

#include "tagger_int.h"

#include "newsradar/query.h"
#include "newsradar/stem.h"

enum tword_mode {
    W_LIT,    /* these bytes, on word boundaries (legacy phrases, "u.s.") */
    W_EXACT,  /* this whole word (short and function words) */
    W_PREFIX, /* a word starting with these bytes (word*) */
    W_STEM,   /* a word starting with s whose stem is `stem` */
};

struct tword {
    uint8_t mode;
    uint32_t len, stem_len;
    char *s;    /* pattern bytes (W_STEM: the prefix every inflection shares) */
    char *stem; /* W_STEM only */
};

enum trole { R_POS, R_EXCL, R_EXCL_NEAR };

struct tterm {
    uint32_t topic;
    uint32_t w0, nw;  /* words[w0 .. w0+nw) */
    uint32_t anchor;  /* the word in the automaton (the longest pattern) */
    uint8_t role;     /* enum trole */
    uint8_t set;      /* language set (above) */
    bool negated;     /* under a NOT of its query: exclusions do not mask it */
    int lang;         /* stem.h language of W_STEM words */
    uint32_t within;  /* R_EXCL_NEAR: the exclude_near.within of its topic or extension */
    const char *text; /* as written (evidence), owned by the config */
};

enum sig_kind { S_TERM, S_NEAR, S_QUERY };

struct tsig {
    uint8_t kind;
    uint8_t set; /* language set */
    uint32_t topic;
    double weight;
    uint32_t term;     /* S_TERM: the term; S_QUERY: global id of the query's term 0 */
    uint32_t near;     /* S_NEAR: pool offset of the two term lists */
    uint32_t within;   /* S_NEAR */
    uint32_t *near_of; /* S_QUERY: pool offset per query node (NEAR nodes) */
    const struct nr_query *q;
    const char *text; /* the query or phrase as written */
};

struct ttopic {
    uint32_t sig0, nsig;
    uint32_t maxw;      /* most words in one term */
    uint32_t xnear;     /* the largest exclude_near.within of the topic and its extensions */
    uint32_t year_term; /* exclude_near.past_years: its R_EXCL_NEAR term, else NO_TERM */
    bool has_excl;
    uint8_t *set_of; /* per language code (nr_topics.codes): its set, SET_NONE = set 0 */
    char (*seen)[NR_LANG_TAG_MAX]; /* while building: the code of each set */
    uint32_t n_seen;
};

#define SET_NONE 0xFF
#define NO_TERM  UINT32_MAX
#define MAX_SETS 64 /* languages per topic */

struct nr_topics {
    const struct nr_config *cfg;
    struct tword *words;
    size_t n_words, cap_words;
    struct tterm *terms;
    size_t n_terms, cap_terms;
    struct tsig *sigs;
    size_t n_sigs, cap_sigs;
    struct ttopic *topics;
    /* near operand lists: [na, a..., nb, b...] (global term ids) */
    uint32_t *pool;
    size_t n_pool, cap_pool;
    struct nr_query **owned; /* exclusions parsed here (configs built by code) */
    size_t n_owned, cap_owned;
    char (*codes)[NR_LANG_TAG_MAX]; /* every language some topic has a set for */
    size_t n_codes, cap_codes;
    uint8_t cur_set; /* while building: the set of new terms and signals */
    bool past_years; /* some topic masks near past years */
};

/* One verified term match; offsets in normalized text, words by index. */
struct tocc {
    uint32_t term, topic;
    uint32_t start, end;
    uint32_t w0, w1; /* first and last word */
    uint8_t field;
    uint8_t role;
    uint32_t masked_by; /* occurrence index + 1 of the exclusion, 0 = not masked */
};

/* A year before the article's (exclude_near.past_years) in field `field`. */
struct tyear {
    uint32_t start, end;
    uint8_t field;
};

struct nr_topics_scratch {
    const struct nr_text *text; /* [2]: title, body */
    const struct nr_str *orig;  /* [2]: their original bytes (stems of accented words) */
    struct nr_stem *stem;
    struct tocc *occ;
    size_t n_occ, cap_occ;
    /* over NR_TAG_MAX_TERM_HITS (tagger.h): matches kept per term and field */
    uint32_t *kept;
    bool over;
    bool oom; /* a match was dropped: memory ran out */
    uint32_t *topic_stamp, *touched;
    size_t n_touched;
    uint8_t *term_bits; /* bit f: the term has an unmasked match in field f */
    uint32_t *term_stamp;
    uint32_t *term_head, *term_tail; /* a term's unmasked matches: a chain */
    uint32_t *occ_next;              /* through occ_next, in occ order */
    size_t cap_next;
    uint32_t stamp;
    int lang_code;       /* the article's language in nr_topics.codes, -1 = none */
    int year;            /* of the article's published_at, 0 = unknown */
    struct tyear *years; /* found in this article (tagger_topic_eval.c) */
    size_t n_years, cap_years;
    size_t n_topics, n_terms;
    /* the last word stemmed (refs of one pattern ask for the same word) */
    int c_field, c_lang;
    uint32_t c_start, c_end;
    char c_stem[NR_STEM_MAX_WORD + 1];
    size_t c_len;
    /* output */
    struct nr_topic_tag *tags;
    size_t cap_tags;
    const char **evidence;
    size_t n_evidence, cap_evidence;
    /* the topic being evaluated: its occurrences [lo, hi) */
    size_t lo, hi;
    uint32_t *tmp_a, *tmp_b;
    size_t cap_a, cap_b;
};

/* The language set topic `topic` scores the current article with. */
static inline uint8_t nr_topic_set(const struct nr_topics *tp, const struct nr_topics_scratch *s,
                                   uint32_t topic)
{
    if (s->lang_code < 0)
        return 0;
    uint8_t v = tp->topics[topic].set_of[s->lang_code];
    return v == SET_NONE ? 0 : v;
}

/* Evaluate signal g over fields `scope` (bit 0 title, bit 1 body) of the
 * topic whose occurrences are s->lo..hi; with ev, also append the terms
 * that made it true to the evidence. */
bool nr_topic_sig_eval(const struct nr_topics *tp, struct nr_topics_scratch *s,
                       const struct tsig *g, unsigned scope, bool ev);

#endif
