/*
 * config.h - the configuration model and its loader (libyaml).
 *
 * The main file (config/newsradar.yaml) names watchlist and rule files by
 * paths relative to itself. Every mapping is checked against a declared
 * option table (key, type, default, range, help): unknown keys are rejected
 * with the allowed keys listed, duplicates rejected, and every error is
 * reported as "file:line:col: message" (1-based). The loader collects as many
 * errors as it can in one run. `${NAME}` inside string values is replaced from
 * the environment; an unset variable is an error. YAML anchors/aliases are
 * refused beyond a small expansion budget (billion-laughs).
 *
 * ---- main file ----------------------------------------------------------
 *   watchlists: [watchlists/countries.yaml, ...]   # required, >= 1 file
 *   rules:      [rules/security.yaml, ...]         # files with topics:/alerts:
 *   lexicons:   [lexicon/roles.yaml, ...]          # name lexicons (optional)
 *   article:
 *     max_bytes: 1048576        # larger messages are rejected (too_large)
 *     preset: none              # none|news-please|newsapi|gdelt-doc field maps
 *     records: ""               # pointer to an array of articles (envelope)
 *     invalid_utf8: repair      # repair (U+FFFD) | reject
 *     default_timezone: UTC     # zone of dates written without one
 *     boilerplate_min_articles: 4   # a sentence in 4 articles of a source: blanked
 *     boilerplate_entries: 65536    # segments the boilerplate model keeps
 *     fields:                   # JSON pointers (RFC 6901) into the article;
 *                               # a list joins (body) or falls back (others)
 *       id: /id                 # required field in every article
 *       title: /title
 *       body: /body             # at least one of title/body must be present
 *       url: /url
 *       source: /source
 *       language: /language
 *       published_at: /published_at   # see docs/article.md for the forms
 *   engine:
 *     max_keys: 100000          # window keys kept; idle keys evicted first
 *     idle_evict: 7d            # a key without events this long is dropped
 *     grace: 5m                 # lateness accepted before a bucket closes
 *     near_duplicate_bits: 8    # simhash Hamming distance for "same story"
 *     history: 64               # recent articles remembered per key
 *     evidence_articles: 10     # articles listed in an alert
 *     evidence_entities: 5      # co-mentioned entities listed in an alert
 *     max_future: 1h            # published later than arrival + this: future
 *     future_policy: clamp      # clamp (to the fallback time) | reject
 *     hold_bytes: 16777216      # replay: undated articles held for a stream time
 *   kafka: ...                  # the service (newsradar run); see docs
 *   http:  ...
 *   log:   { level: info, format: logfmt }
 *
 * ---- watchlist file -------------------------------------------------------
 *   entities:
 *     - id: PK                  # unique over all watchlists
 *       kind: country           # country|group|official|place|<any word>
 *       name: Pakistan          # canonical name; always also an alias
 *       code: PK                # ISO 3166-1 alpha-2 (countries)
 *       country: PK             # optional: id of the entity's country
 *       role: Defence Minister  # optional (officials)
 *       aliases:                # strings, or mappings with options:
 *         - Islamic Republic of Pakistan
 *         - { text: TTP, case: true }          # case-sensitive acronym
 *         - { text: Asif, ambiguous: true }    # counts only with another
 *                                              # unambiguous alias present
 *       demonyms: [Pakistani, Pakistanis]      # also accept options
 *
 * ---- rule file --------------------------------------------------------------
 *   topics:
 *     - id: border_closure
 *       name: Border closure
 *       query:                                       # signals (query.h)
 *         - '"border closure" OR "closed the border"'          # weight 1
 *         - { q: 'border NEAR/6 (close OR shut OR seal)', weight: 2 }
 *       any: [border closure, closed the border]     # literal phrases, 1 point each
 *       near:                                        # proximity, 1 point each
 *         - terms: [border, border crossing]
 *           with: [closed, shut, sealed]
 *           within: 6                                # words apart, 1..50
 *       exclude: [border collie]                     # masks the matches it overlaps
 *       exclude_near: { terms: [collie], within: 3 } # masks matches within 3 words
 *                                    # (past_years: true: and near a past year)
 *       threshold: 1                                 # points needed (old: min_score)
 *       title_boost: 1.5                             # a signal in the title counts x1.5
 *       language: en                                 # stems of the query words
 *   language: fr               # the language of this file's `extend:` items
 *   extend:                    # a topic's terms in another language
 *     - topic: border_closure  # id of a topic of any rule file
 *       language: fr           # default: the file's `language`
 *       query: ['"poste frontiere" NEAR/4 (ferme OR fermeture)']
 *       exclude: [...]         # and exclude_near, as in a topic
 *   alerts:
 *     - id: border_closure_by_country
 *       topic: border_closure   # optional: without it every article counts
 *       by: [country]           # entity kinds to key by; [] = one global key
 *       window: 1h              # short sliding window
 *       bucket: 5m              # window resolution (window % bucket == 0)
 *       baseline: 7d            # long window, excludes the short one
 *       baseline_bucket: 1h
 *       baseline_floor: 0.5     # expected count per window never below this
 *       min_count: 3
 *       min_ratio: 3.0          # count / expected; optional
 *       max_p: 0.01             # Poisson tail P(X >= count); optional
 *                               # (at least one of min_ratio / max_p)
 *       cooldown: 2h            # no new episode this soon after the last
 *       seasonality: daily      # none | daily | weekly: expected count per
 *                               # hour of day / of week (detect_season.c)
 *       exclude_alerts: true    # past alert episodes of a key stay out of
 *                               # its baseline (window.c)
 *       severity: { medium: 6, high: 12, critical: 24 }   # ratio thresholds
 *       languages: [fr, ar]     # only articles in these languages (default all)
 *
 * ---- lexicon file (docs/watchlists.md) -----------------------------------
 *   roles: [president, foreign minister, secretary of state, ...]
 *   weak_roles: [general, commander, king]  # need a name of >= 2 words
 *   particles: [bin, al, de, van, von, ur]  # lower-case words inside names
 *   not_names: [Said, Monday, The, ...]    # never a name word
 *   org_words: [Assembly, Motors, Council]  # end an organisation's name
 *   governing: [Taliban, Houthis]            # groups whose office-holders
 *                                            # are officials
 *   company_words: [carmaker, shares, Inc]  # "Kestrel president" is a
 *                                            # company's head near these
 *   local_roles: [deputy commissioner, igp] # a place may follow the role
 *   company_roles: [president]              # companies have them too
 *   portfolio_words: [Education, Health]    # "Minister of Education Jane
 *                                            # Doe": the portfolio
 *   body_words: [police, ministry]          # "the spokesman for the Nangarhar
 *                                            # police, Jane Doe"
 *   namesake_words: [Stadium, Airport]      # "<official> Stadium" is a
 *                                            # place, not the official
 *   first_names: [Michael, Chad, ...]       # given names (context rules)
 *   person_like: [Jordan, Chad, Georgia]    # aliases that are also names
 *   contexts:                               # alias-specific context
 *     - alias: Georgia
 *       not_after: [Atlanta, Savannah]      # "Atlanta, Georgia" is no GE
 *       not_before: [Tech, Bulldogs]
 *     - alias: Pak
 *       only_before: [Afghan, India]        # "Pak-Afghan" is PK, "Pak" alone no
 *       only_after: [Indo]                  # "Indo-Pak"
 *
 * Durations: "<int><unit>" with unit ms, s, m, h, d ("90s", "15m", "1h", "7d").
 */
#ifndef NEWSRADAR_CONFIG_H
#define NEWSRADAR_CONFIG_H

#include "newsradar/common.h"
#include "newsradar/diag.h"

enum nr_alias_flag {
    NR_ALIAS_CASE = 1u << 0,      /* match the original text case-sensitively */
    NR_ALIAS_AMBIGUOUS = 1u << 1, /* needs an unambiguous alias of the entity too */
    NR_ALIAS_DEMONYM = 1u << 2,   /* from `demonyms:` */
    NR_ALIAS_NAME = 1u << 3,      /* the canonical name */
};

struct nr_alias {
    char *text;
    unsigned flags;
    struct nr_srcpos pos;
};

#define NR_NO_ENTITY UINT32_MAX

struct nr_entity {
    char *id, *kind, *name;
    char *code;               /* NULL if none */
    char *country;            /* NULL if none */
    char *role;               /* NULL if none */
    uint32_t country_index;   /* index of `country` in cfg->entities, or NR_NO_ENTITY */
    struct nr_alias *aliases; /* the name first, then aliases, then demonyms */
    size_t n_aliases;
    struct nr_srcpos pos;
};

struct nr_strlist {
    char **v;
    size_t n;
};

struct nr_topic_near {
    struct nr_strlist terms, with;
    uint32_t within;
};

struct nr_query;

/* One item of a topic's `query:` (docs/watchlists.md). */
struct nr_topic_signal {
    char *q;                /* the query text */
    double weight;          /* points when it matches (x title_boost in the title) */
    struct nr_query *query; /* parsed (query.h) */
    struct nr_srcpos pos;
};

struct nr_topic_exclude_near {
    struct nr_strlist terms;
    uint32_t within;
    bool past_years;     /* a year before the article's masks too (docs/watchlists.md) */
    struct nr_query **q; /* terms.n parsed phrases */
};

struct nr_topic {
    char *id, *name;
    struct nr_strlist any, exclude;
    struct nr_query **exclude_q; /* exclude.n parsed phrases */
    struct nr_topic_exclude_near exclude_near;
    struct nr_topic_near *near;
    size_t n_near;
    struct nr_topic_signal *signals;
    size_t n_signals;
    double min_score;   /* `threshold` (old name min_score) */
    double title_boost; /* weight factor of a signal matched in the title */
    char *language;     /* of the query stems: ISO 639-1 or "none" */
    int stem_lang;      /* stem.h language id, -1 = no stemming */
    struct nr_srcpos pos;
    /* Terms in other languages (`extend:` items of rule files, in reading
     * order). Each is a struct nr_topic of its own holding only id (the
     * topic extended), language, stem_lang, signals, exclude, exclude_q,
     * exclude_near and pos. An article in one of these languages is scored
     * with that language's signals (and the topic's own when its language
     * is the same); any other article with the topic's own signals. */
    struct nr_topic *langs;
    size_t n_langs;
};

enum nr_severity { NR_SEV_LOW, NR_SEV_MEDIUM, NR_SEV_HIGH, NR_SEV_CRITICAL };

#define NR_RULE_ID_MAX 128 /* bytes; rule ids are part of every window key */
/* buckets per key of a rule's window (window / bucket) and of its baseline
 * (baseline / baseline_bucket): the loader rejects more, the detector too */
#define NR_RULE_MAX_BUCKETS 100000

struct nr_alert_rule {
    char *id;
    char *topic;          /* NULL: every tagged article counts */
    int topic_index;      /* index into cfg->topics, -1 if topic is NULL */
    struct nr_strlist by; /* entity kinds; empty = one global key */
    int64_t window_ms, bucket_ms, baseline_ms, baseline_bucket_ms, cooldown_ms;
    double baseline_floor;
    uint32_t min_count;
    double min_ratio;              /* 0 = not tested */
    double max_p;                  /* 0 = not tested */
    double severity_ratio[4];      /* [NR_SEV_MEDIUM..CRITICAL] thresholds; [0] unused */
    bool places_count_for_country; /* by country: a place/official counts for its country */
    struct nr_strlist languages;   /* count only articles in these languages; empty = all */
    char *seasonality;             /* "none" | "daily" | "weekly" (the option's text) */
    int season;                    /* enum nr_season, from seasonality */
    char *score_name;              /* "poisson" | "negbin" (the option's text) */
    int score;                     /* enum nr_score, from score_name */
    bool exclude_alerts;           /* past alert episodes stay out of the baseline */
    struct nr_srcpos pos;
};

/* Seasonal baselines (detect_season.c): the period whose phases are learned. */
enum nr_season { NR_SEASON_NONE, NR_SEASON_DAILY, NR_SEASON_WEEKLY };

/* The tail test of max_p: Poisson, or negative binomial with the dispersion
 * of the baseline (detect.c, detect_season.c). */
enum nr_score { NR_SCORE_POISSON, NR_SCORE_NEGBIN };

/* A context rule of the lexicon: the alias (as written in the lexicon; it
 * is compared normalized) is not its entity right after / before one of
 * the not_ phrases; with only_ phrases it is its entity only right after /
 * before one of those ("Pak" only in "Pak-Afghan", "Indo-Pak"). */
struct nr_lex_context {
    char *alias;
    struct nr_strlist not_after, not_before;
    struct nr_strlist only_after, only_before;
    struct nr_srcpos pos;
};

/* Name lexicons (`lexicons:` files), merged in reading order. */
struct nr_lexicon {
    struct nr_strlist roles, weak_roles, particles, not_names, org_words, governing, first_names,
        person_like, company_words, local_roles, company_roles, portfolio_words, namesake_words,
        body_words;
    struct nr_lex_context *contexts;
    size_t n_contexts;
};

enum nr_field {
    NR_FIELD_ID,
    NR_FIELD_TITLE,
    NR_FIELD_BODY,
    NR_FIELD_URL,
    NR_FIELD_SOURCE,
    NR_FIELD_LANGUAGE,
    NR_FIELD_PUBLISHED_AT,
    NR_FIELD_COUNT
};
extern const char *const nr_field_names[NR_FIELD_COUNT]; /* "id", "title", ... */

struct nr_engine_opts {
    uint32_t max_keys;
    int64_t idle_evict_ms;
    int64_t grace_ms;
    uint32_t near_duplicate_bits;
    uint32_t history;
    uint32_t evidence_articles;
    uint32_t evidence_entities;
    int64_t max_future_ms; /* published this far past arrival: future */
    char *future_policy;   /* clamp|reject */
    size_t hold_bytes;     /* replay: undated articles held before the first dated one */
};

struct nr_kv {
    char *key, *value;
    struct nr_srcpos pos;
};

struct nr_kafka_opts {
    char *brokers, *group_id;
    struct nr_strlist input_topics;
    char *alert_topic, *dead_letter_topic, *repartition_topic, *enriched_topic, *changelog_topic;
    uint32_t repartition_partitions;
    bool create_topics;
    uint32_t topic_partitions, replication;
    int64_t commit_interval_ms, flush_timeout_ms;
    int64_t partition_idle_ms; /* an input partition read to its end, quiet this long, is idle */
    uint32_t tag_threads;      /* stage-1 decode/tag threads; 0 = one per CPU */
    char *guarantee;           /* at_least_once|exactly_once */
    char *instance_id;         /* exactly_once: part of the transactional.id ("" = host name) */
    struct nr_kv *properties;  /* pass-through librdkafka properties */
    size_t n_properties;
    struct nr_srcpos pos;
};

struct nr_http_opts {
    char *listen;
    uint32_t port; /* 0 = disabled */
};

struct nr_log_opts {
    char *level;  /* debug|info|warn|error */
    char *format; /* logfmt|json */
};

struct nr_config {
    char *path;   /* the main file as given */
    char **files; /* every file read, interned (srcpos.file points here) */
    size_t n_files;

    size_t max_article_bytes;
    char *field_ptr[NR_FIELD_COUNT];              /* JSON pointer; "" or NULL = not read */
    struct nr_strlist field_more[NR_FIELD_COUNT]; /* further pointers (`body: [/a, /b]`) */
    char *article_preset;                         /* article.preset */
    char *records_ptr;                            /* article.records; "" = the document */
    char *invalid_utf8;                           /* repair|reject */
    char *default_timezone;                       /* as written */
    int32_t default_tz_s;                         /* its offset, seconds east of UTC */
    uint32_t boilerplate_min_articles;            /* 0 = no boilerplate model (boiler.h) */
    uint32_t boilerplate_entries;                 /* its table size */

    struct nr_engine_opts engine;

    struct nr_entity *entities;
    size_t n_entities;
    struct nr_topic *topics;
    size_t n_topics;
    struct nr_alert_rule *rules;
    size_t n_rules;
    struct nr_lexicon lex;

    struct nr_kafka_opts kafka;
    struct nr_http_opts http;
    struct nr_log_opts log;
};

/* Load and validate. On error returns NULL and fills diags (every problem
 * found, not just the first). */
struct nr_config *nr_config_load(const char *path, struct nr_diags *diags);
void nr_config_free(struct nr_config *cfg);

/* Lookups (linear or hashed; not on the hot path). -1 if absent. */
int nr_config_entity_index(const struct nr_config *cfg, const char *id);
int nr_config_topic_index(const struct nr_config *cfg, const char *id);

/* Write the option tables as Markdown (docs/configuration.md is generated by
 * `newsradar check --print-options`). */
void nr_config_print_options(void *stdio_file);

/* One line for `newsradar check`: "ok: 260 entities (4 kinds), 9 topics,
 * 12 alert rules from 5 files" (no newline). */
void nr_config_summary(const struct nr_config *cfg, char *buf, size_t len);

#endif
