/*
 * tagger_int.h - private to the tagger: how tagger.c (entities, the one
 * automaton) and tagger_topic.c (topics: queries, stems, scores) meet.
 *
 * The topic engine compiles every topic term into anchor patterns that it
 * hands to the tagger's pattern table (nr_pattern_sink), so one scan of the
 * article finds aliases and topic terms together. The tagger passes every
 * match of a topic pattern back with nr_topics_hit() and asks for the topic
 * tags with nr_topics_resolve().
 */
#ifndef NEWSRADAR_TAGGER_INT_H
#define NEWSRADAR_TAGGER_INT_H

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

/* Start an article whose normalized title and body are text[0], text[1]
 * (kept by the caller until the next begin). */
void nr_topics_begin(struct nr_topics_scratch *s, const struct nr_text *text);
/* A match [start, end) of term's pattern in normalized field f (0 title,
 * 1 body); full: word boundaries at both ends. */
void nr_topics_hit(const struct nr_topics *tp, struct nr_topics_scratch *s, uint32_t term, int f,
                   uint32_t start, uint32_t end, bool full);
/* Score the touched topics; fills tags->topics and tags->evidence (arrays
 * owned by the scratch). */
void nr_topics_resolve(const struct nr_topics *tp, struct nr_topics_scratch *s,
                       struct nr_tags *tags);

/* For `tag --explain` (tagger_explain.c). */
const struct nr_topics *nr_tagger_topics(const struct nr_tagger *t);
struct nr_topics_scratch *nr_tag_scratch_topics(struct nr_tag_scratch *s);
/* The topics part of the explanation as a JSON array (a jansson json_t *),
 * for every topic with a term match in the last article tagged. */
void *nr_topics_explain(const struct nr_topics *tp, struct nr_topics_scratch *s);

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

#endif
