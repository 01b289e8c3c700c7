/*
 * eval.h - score the tagger against labelled articles (`newsradar eval`).
 *
 * An evaluation article is an ordinary article with a "labels" object
 * (docs/watchlists.md, "Measuring your rules"):
 *   "labels": {"countries": ["PK"], "groups": ["TTP"],
 *              "officials": ["Shehbaz Sharif"], "topics": ["attack"]}
 * nr_eval_add() compares the labels of one article with what the tagger
 * found and accumulates micro counts (true positives, false positives,
 * false negatives) per kind, per topic, overall and per article language,
 * and keeps every miss so a person can see which article went wrong.
 *
 * Matching: a label and a tagged entity of the kind's entity kind (country,
 * group, official) are the same when the label, normalized like every alias
 * (text.h: case, marks, dashes), equals the normalized id, name, code or any
 * alias of the entity. Officials also match by nr_name_fold() (names.h:
 * "Antony J. Blinken" = "Antony Blinken"), and match the officials the
 * tagger found by their role, by folded name or, for one known only by a
 * surname ("Defence Minister Gallant"), by the label's last word. Each
 * entity and each label is used once (one-to-one),
 * so an article labelled "TTP" and "Tehrik-i-Taliban Pakistan" that tags the
 * group once has one true positive and one false negative. Topics match by
 * id. Places are not scored: they count for their country in alert rules, but
 * a country label means the text names the country.
 *
 * Cost: the config's aliases are normalized once and sorted; each label is
 * one binary search. Memory: the counts, plus one record per miss.
 */
#ifndef NEWSRADAR_EVAL_H
#define NEWSRADAR_EVAL_H

#include "newsradar/article.h"
#include "newsradar/common.h"
#include "newsradar/config.h"
#include "newsradar/tagger.h"

#include <jansson.h>

enum nr_eval_kind {
    NR_EVAL_COUNTRIES,
    NR_EVAL_GROUPS,
    NR_EVAL_OFFICIALS,
    NR_EVAL_TOPICS, /* every topic together */
    NR_EVAL_KINDS
};
extern const char *const nr_eval_kind_names[NR_EVAL_KINDS]; /* "countries", ... */

struct nr_eval_counts {
    uint64_t tp, fp, fn;
};
/* NAN when undefined: precision with nothing found, recall with nothing
 * labelled, F1 (2tp / (2tp + fp + fn)) with neither. */
double nr_eval_precision(const struct nr_eval_counts *c);
double nr_eval_recall(const struct nr_eval_counts *c);
double nr_eval_f1(const struct nr_eval_counts *c);

struct nr_eval_scores {
    uint64_t articles;
    struct nr_eval_counts kind[NR_EVAL_KINDS];
    struct nr_eval_counts *topic; /* nr_eval.n_topics entries */
};

/* One label not found (fp false) or one thing found but not labelled. */
struct nr_eval_miss {
    uint32_t article; /* index into nr_eval.article_ids */
    uint8_t kind;     /* enum nr_eval_kind */
    bool fp;
    bool unlisted; /* fn only: no entity or topic of the config has this label */
    char *text;    /* the label as written (fn), or the entity name / code (fp) */
};

struct nr_eval_lang {
    char *lang; /* "" for articles whose language is unknown */
    struct nr_eval_scores s;
};

struct nr_eval {
    struct nr_eval_scores all;
    char **topic_ids; /* the config's topics, then unknown label topics */
    size_t n_topics, n_config_topics;
    struct nr_eval_lang *langs; /* by the tagger's language (declared or
                                 * detected, lang.h), in order of first
                                 * appearance */
    size_t n_langs;
    struct nr_eval_miss *misses;
    size_t n_misses;
    char **article_ids;
    size_t n_articles;
    bool any_language; /* some article declared a language */
    struct nr_eval_priv *priv;
};

struct nr_eval *nr_eval_new(const struct nr_config *cfg);
void nr_eval_free(struct nr_eval *ev);

/* Score one article: its decoded fields, the tags of nr_tagger_tag() and the
 * "labels" value of its JSON (NULL when absent). Returns -1 (and counts
 * nothing) when labels are missing or malformed, or the id was seen before. */
int nr_eval_add(struct nr_eval *ev, const struct nr_article *a, const struct nr_tags *tags,
                const json_t *labels, struct nr_error *err);

/* ---- floors ------------------------------------------------------------
 * A floors file holds one `METRIC VALUE` per line (`METRIC: VALUE` and
 * `METRIC = VALUE` too); `#` starts a comment. METRIC is SCOPE.p, SCOPE.r or
 * SCOPE.f1 where SCOPE is countries, groups, officials, topics (all topics
 * together) or a topic id of the configuration, optionally followed by
 * @LANG to hold one language only (`countries.r@en`); VALUE is in [0, 1]. */
enum nr_eval_metric { NR_EVAL_P, NR_EVAL_R, NR_EVAL_F1 };

struct nr_eval_floor {
    char *name;   /* "countries.p", "attack.f1@ur" */
    char *lang;   /* NULL: every language */
    int scope;    /* enum nr_eval_kind, or NR_EVAL_KINDS + topic index */
    int metric;   /* enum nr_eval_metric */
    double min;   /* the floor */
    double value; /* filled by nr_eval_floors_check(); NAN when undefined */
    bool below;
};

struct nr_eval_floors {
    struct nr_eval_floor *v;
    size_t n;
};

/* Parse a floors file's text; errors go to diags as file:line:col. Topic
 * scopes are resolved against ev's topics. -1 on any error. */
int nr_eval_floors_parse(struct nr_eval_floors *out, const struct nr_eval *ev, const char *file,
                         const char *buf, size_t len, struct nr_diags *diags);
/* Fill value/below of every floor; returns how many are below. A metric that
 * is undefined (NAN: nothing found and nothing labelled) is not below. */
size_t nr_eval_floors_check(struct nr_eval_floors *f, const struct nr_eval *ev);
void nr_eval_floors_free(struct nr_eval_floors *f);

/* The value of one metric over all articles (lang NULL) or those of one
 * language; NAN when undefined or no article has that language. */
double nr_eval_metric_value(const struct nr_eval *ev, const char *lang, int scope, int metric);

#endif
