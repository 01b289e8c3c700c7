/*
 * config.c - the configuration schema and the order of loading (see
 * config.h).
 *
 * The option tables below are the schema: one row (key, type, default,
 * range, help) per key of every file, read by the generic loader
 * (config_map.c, as Fluent Bit's config_map) and printed as
 * docs/configuration.md, so docs cannot drift. To add a config key, add a
 * row here and the field to struct nr_config (config.h).
 *
 * nr_config_load() reads the main file, applies the article preset, then the
 * watchlists (config_watchlist.c), lexicons (config_lexicon.c) and rule files
 * (config_rules.c), each kind followed by its cross-file checks. Errors never
 * stop the walk: each one is added to nr_diags with its 1-based
 * file:line:col and the loader goes on, so one run reports them all. Files
 * are parsed into a small tree (config_yaml.c), walked once and freed; the
 * config keeps plain structs. Load time is dominated by libyaml (~16 ms per
 * MB, see shared/limits.md).
 */
#include "config_int.h"
#include "newsradar/article.h"
#include "newsradar/event.h"
#include "newsradar/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const nr_field_names[NR_FIELD_COUNT] = {"id",     "title",    "body",        "url",
                                                    "source", "language", "published_at"};

/* ------------------------------------------------------------------------
 * Option tables
 * ---------------------------------------------------------------------- */

#define CFG(m)       offsetof(struct nr_config, m)
#define FIELD_OFF(i) (offsetof(struct nr_config, field_ptr) + (i) * sizeof(char *))

#define FIELD_MORE(i) (offsetof(struct nr_config, field_more) + (i) * sizeof(struct nr_strlist))
#define FIELD_OPT(name, i, def, help)                                                              \
    {                                                                                              \
        name, OT_PTRS, FIELD_OFF(i), FIELD_MORE(i), def, OF_DOCDEF | OF_JSONPTR, 0, 0, 0, 0,       \
            "JSON pointer or list", help                                                           \
    }
static const struct opt opts_fields[] = {
    FIELD_OPT("id", NR_FIELD_ID, "`/id` (or the preset's)",
              "the article's id (every article must have one)"),
    FIELD_OPT("title", NR_FIELD_TITLE, "`/title` (or the preset's)",
              "headline, tagged (\"\" = not read)"),
    FIELD_OPT("body", NR_FIELD_BODY, "`/body` (or the preset's)",
              "text, tagged; a list is joined with blank lines; an article needs a title or a "
              "body (\"\" = not read)"),
    FIELD_OPT("url", NR_FIELD_URL, "`/url` (or the preset's)",
              "link shown in alert evidence (\"\" = not read)"),
    FIELD_OPT("source", NR_FIELD_SOURCE, "`/source` (or the preset's)",
              "publisher shown in alert evidence; an object's `name` (\"\" = not read)"),
    FIELD_OPT("language", NR_FIELD_LANGUAGE, "`/language` (or the preset's)",
              "language code; an array's first string (\"\" = not read)"),
    FIELD_OPT("published_at", NR_FIELD_PUBLISHED_AT, "`/published_at` (or the preset's)",
              "event time, any form of docs/article.md; a list: the first readable (\"\" = not "
              "read: message or arrival time)"),
};
SECTION(sec_fields, "article.fields", "main file, under `article:`", opts_fields);

static const struct opt opts_article[] = {
    {"max_bytes", OT_SIZE, CFG(max_article_bytes), 0, "1048576", OF_MIN | OF_MAX, 1024, 1073741824,
     0, 0, 0, "larger articles are rejected (dead letter, reason too_large)"},
    {"preset", OT_ENUM, CFG(article_preset), 0, "none", 0, 0, 0, nr_article_preset_names, 0, 0,
     "field map of a common feed shape (docs/article.md); `fields` and `records` override it"},
    {"records", OT_STR, CFG(records_ptr), 0, "\"\" (or the preset's)", OF_DOCDEF | OF_JSONPTR, 0, 0,
     0, 0, "JSON pointer",
     "where an envelope keeps its array of articles (`/articles`); \"\" = the message is one "
     "article or a JSON array of them"},
    {"invalid_utf8", OT_ENUM, CFG(invalid_utf8), 0, "repair", 0, 0, 0, "repair|reject", 0, 0,
     "repair: invalid bytes become U+FFFD (counted); reject: the article is rejected"},
    {"default_timezone", OT_STR, CFG(default_timezone), CFG(default_tz_s), "UTC", OF_TZ, 0, 0, 0, 0,
     "zone", "zone of dates written without one: UTC, +05:00, -0330 (fixed offsets only)"},
    {"boilerplate_min_articles", OT_U32, CFG(boilerplate_min_articles), 0, "4", OF_MIN | OF_MAX, 0,
     8, 0, 0, 0,
     "a line or sentence of the body seen in this many articles of one source (distinct titles) "
     "is boilerplate: blanked before tagging and near-duplicate detection (0 = off)"},
    {"boilerplate_entries", OT_U32, CFG(boilerplate_entries), 0, "65536", OF_MIN | OF_MAX, 64,
     16777216, 0, 0, 0,
     "segments the boilerplate model remembers (16 + 4 x min_articles bytes each: 32 at the "
     "default; one model per process, learnt "
     "anew at each start and kept by a reload that leaves both keys as they are)"},
    {"fields", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_fields, 0,
     "where each field is found in the article JSON"},
};
SECTION(sec_article, "article", "main file", opts_article);

static const struct opt opts_engine[] = {
    {"max_keys", OT_U32, CFG(engine.max_keys), 0, "100000", OF_MIN | OF_MAX, 1, 100000000, 0, 0, 0,
     "window keys kept in memory; idle keys are evicted first"},
    {"idle_evict", OT_DUR, CFG(engine.idle_evict_ms), 0, "7d", OF_MIN, 60000, 0, 0, 0, 0,
     "a key without events for this long is dropped"},
    {"grace", OT_DUR, CFG(engine.grace_ms), 0, "5m", OF_MIN | OF_MAX, 0, 86400000.0 * 7, 0, 0, 0,
     "lateness accepted before a bucket closes"},
    {"near_duplicate_bits", OT_U32, CFG(engine.near_duplicate_bits), 0, "8", OF_MIN | OF_MAX, 0, 32,
     0, 0, 0, "simhash Hamming distance under which two articles are the same story"},
    {"history", OT_U32, CFG(engine.history), 0, "64", OF_MIN | OF_MAX, 1, 10000, 0, 0, 0,
     "recent articles remembered per key (alert evidence)"},
    {"evidence_articles", OT_U32, CFG(engine.evidence_articles), 0, "10", OF_MIN | OF_MAX, 0, 1000,
     0, 0, 0, "articles listed in an alert"},
    {"evidence_entities", OT_U32, CFG(engine.evidence_entities), 0, "5", OF_MIN | OF_MAX, 0, 1000,
     0, 0, 0, "co-mentioned entities listed in an alert"},
    {"max_future", OT_DUR, CFG(engine.max_future_ms), 0, "1h", OF_MIN, 0, 0, 0, 0, 0,
     "an article published more than this after its arrival time is future-dated (0 = no check)"},
    {"future_policy", OT_ENUM, CFG(engine.future_policy), 0, "clamp", 0, 0, 0, "clamp|reject", 0, 0,
     "future-dated: clamp (its time becomes the stream time before it) or reject "
     "(future_published_at); never moves stream time"},
    {"hold_bytes", OT_SIZE, CFG(engine.hold_bytes), 0, "16777216", OF_MIN | OF_MAX, 0, 1073741824,
     0, 0, 0,
     "replay: undated articles held (copied) until the first dated one gives the stream time; "
     "past this, they take their arrival time"},
};
SECTION(sec_engine, "engine", "main file", opts_engine);

static const struct opt opts_kafka[] = {
    {"brokers", OT_STR, CFG(kafka.brokers), 0, "127.0.0.1:9092", OF_NONEMPTY, 0, 0, 0, 0, 0,
     "bootstrap servers (host:port, comma-separated)"},
    {"group_id", OT_STR, CFG(kafka.group_id), 0, "newsradar", OF_NONEMPTY, 0, 0, 0, 0, 0,
     "consumer group of all instances"},
    {"input_topics", OT_STRLIST, CFG(kafka.input_topics), 0, "[articles]", OF_NONEMPTY, 0, 0, 0, 0,
     0, "topics the articles are read from"},
    {"alert_topic", OT_STR, CFG(kafka.alert_topic), 0, "alerts", OF_NONEMPTY, 0, 0, 0, 0, 0,
     "alerts are produced here"},
    {"dead_letter_topic", OT_STR, CFG(kafka.dead_letter_topic), 0, "articles.dlq", OF_NONEMPTY, 0,
     0, 0, 0, 0, "undecodable articles are produced here, with the reason"},
    {"repartition_topic", OT_STR, CFG(kafka.repartition_topic), 0, "newsradar.counts", OF_NONEMPTY,
     0, 0, 0, 0, 0, "count events, batched, partitioned by window key"},
    {"enriched_topic", OT_STR, CFG(kafka.enriched_topic), 0, "\"\"", 0, 0, 0, 0, 0, 0,
     "tagged articles are produced here (\"\" = off)"},
    {"changelog_topic", OT_STR, CFG(kafka.changelog_topic), 0, "newsradar.windows", OF_NONEMPTY, 0,
     0, 0, 0, 0, "compacted topic holding window state snapshots"},
    {"repartition_partitions", OT_U32, CFG(kafka.repartition_partitions), 0, "12", OF_MIN | OF_MAX,
     1, 10000, 0, 0, 0, "partitions of the repartition and changelog topics"},
    {"create_topics", OT_BOOL, CFG(kafka.create_topics), 0, "false", 0, 0, 0, 0, 0, 0,
     "create missing topics at start"},
    {"topic_partitions", OT_U32, CFG(kafka.topic_partitions), 0, "6", OF_MIN | OF_MAX, 1, 10000, 0,
     0, 0, "partitions of other topics created by create_topics"},
    {"replication", OT_U32, CFG(kafka.replication), 0, "1", OF_MIN | OF_MAX, 1, 32, 0, 0, 0,
     "replication factor of topics created by create_topics"},
    {"commit_interval", OT_DUR, CFG(kafka.commit_interval_ms), 0, "5s", OF_MIN | OF_MAX, 100,
     3600000, 0, 0, 0, "how often delivered offsets are committed"},
    {"flush_timeout", OT_DUR, CFG(kafka.flush_timeout_ms), 0, "10s", OF_MIN | OF_MAX, 0, 3600000, 0,
     0, 0, "deadline for flushing the producer at shutdown"},
    {"partition_idle", OT_DUR, CFG(kafka.partition_idle_ms), 0, "2s", OF_MIN | OF_MAX, 100, 3600000,
     0, 0, 0,
     "an input partition read to its end that got nothing for this long is idle: it no longer "
     "holds back the others' events (as Kafka Streams' max.task.idle.ms)"},
    {"tag_threads", OT_U32, CFG(kafka.tag_threads), 0, "0", OF_MIN | OF_MAX, 0, 64, 0, 0, 0,
     "threads that decode and tag articles (0 = one per usable CPU)"},
    {"guarantee", OT_ENUM, CFG(kafka.guarantee), 0, "at_least_once", 0, 0, 0,
     "at_least_once|exactly_once", 0, 0,
     "at_least_once: a crash may repeat alerts (same alert_id); exactly_once: transactions, "
     "read_committed readers see each alert once (docs/operations.md)"},
    {"instance_id", OT_STR, CFG(kafka.instance_id), 0, "\"\"", 0, 0, 0, 0, 0, 0,
     "exactly_once: this instance's name in its transactional.id, stable across restarts and "
     "unique in the group (\"\" = the host name)"},
    {"properties", OT_MAP, CFG(kafka.properties), CFG(kafka.n_properties), "{}", 0, 0, 0, 0, 0, 0,
     "librdkafka properties passed through as is (e.g. security.protocol)"},
};
SECTION(sec_kafka, "kafka", "main file (used by `newsradar run`)", opts_kafka);

static const struct opt opts_http[] = {
    {"listen", OT_STR, CFG(http.listen), 0, "127.0.0.1", OF_NONEMPTY, 0, 0, 0, 0, 0,
     "address of /metrics, /healthz, /readyz"},
    {"port", OT_U32, CFG(http.port), 0, "9464", OF_MIN | OF_MAX, 0, 65535, 0, 0, 0,
     "TCP port (0 = no HTTP server)"},
};
SECTION(sec_http, "http", "main file", opts_http);

static const struct opt opts_log[] = {
    {"level", OT_ENUM, CFG(log.level), 0, "info", 0, 0, 0, "debug|info|warn|error", 0, 0,
     "lowest level written"},
    {"format", OT_ENUM, CFG(log.format), 0, "logfmt", 0, 0, 0, "logfmt|json", 0, 0,
     "log line format (stderr)"},
};
SECTION(sec_log, "log", "main file", opts_log);

static const struct opt opts_main[] = {
    {"watchlists", OT_LIST, NO_OFF, 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, "list of paths",
     "watchlist files (relative to this file); at least one"},
    {"rules", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, 0, "list of paths",
     "rule files with `topics:` and `alerts:` (relative to this file)"},
    {"lexicons", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, 0, "list of paths",
     "name lexicon files: roles that introduce officials, context word lists (relative to "
     "this file)"},
    {"article", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_article, 0, "article decoding"},
    {"engine", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_engine, 0, "windows, dedup, evidence"},
    {"kafka", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_kafka, 0, "the Kafka service"},
    {"http", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_http, 0, "metrics and health endpoints"},
    {"log", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_log, 0, "logging"},
};
SECTION(sec_main, "main file", "the file given with -c", opts_main);

static const struct opt opts_alias[] = {
    {"text", OT_STR, offsetof(struct alias_opts, text), 0, 0, OF_REQ, 0, 0, 0, 0, 0,
     "the alias as written"},
    {"case", OT_BOOL, offsetof(struct alias_opts, cs), 0, "false", 0, 0, 0, 0, 0, 0,
     "match case-sensitively (acronyms such as TTP)"},
    {"ambiguous", OT_BOOL, offsetof(struct alias_opts, ambiguous), 0, "false", 0, 0, 0, 0, 0, 0,
     "counts only when an unambiguous alias of the same entity is also present"},
};
SECTION(sec_alias, "alias", "an item of `aliases:` or `demonyms:` given as a mapping", opts_alias);

#define ENT(m) offsetof(struct nr_entity, m)
static const struct opt opts_entity[] = {
    {"id", OT_STR, ENT(id), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, 0,
     "unique over all watchlists"},
    {"kind", OT_STR, ENT(kind), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, "word",
     "country, group, official, place or any lowercase word; alert rules key by it"},
    {"name", OT_STR, ENT(name), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, 0,
     "canonical name; always also an alias"},
    {"code", OT_STR, ENT(code), 0, 0, 0, 0, 0, 0, 0, 0, "ISO 3166-1 alpha-2 code (countries)"},
    {"country", OT_STR, ENT(country), 0, 0, 0, 0, 0, 0, 0, 0, "id of the entity's country"},
    {"role", OT_STR, ENT(role), 0, 0, 0, 0, 0, 0, 0, 0, "role (officials)"},
    {"aliases", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_alias, "list of strings or alias",
     "other names; no alias may belong to two entities (compared case-insensitively)"},
    {"demonyms", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_alias, "list of strings or alias",
     "demonyms (Pakistani, Pakistanis), counted as mentions"},
};
SECTION(sec_entity, "entity", "an item of `entities:` in a watchlist file", opts_entity);

static const struct opt opts_wlfile[] = {
    {"entities", OT_LIST, NO_OFF, 0, 0, OF_REQ, 0, 0, 0, &sec_entity, "list of entity",
     "the entities of this watchlist"},
};
SECTION(sec_wlfile, "watchlist file", "each file of `watchlists:`", opts_wlfile);

#define NEAR(m) offsetof(struct nr_topic_near, m)
static const struct opt opts_near[] = {
    {"terms", OT_STRLIST, NEAR(terms), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, 0,
     "one of these phrases ..."},
    {"with", OT_STRLIST, NEAR(with), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, 0,
     "... near one of these phrases"},
    {"within", OT_U32, NEAR(within), 0, "6", OF_MIN | OF_MAX, 1, 50, 0, 0, 0,
     "at most this many words apart"},
};
SECTION(sec_near, "near", "an item of a topic's `near:`", opts_near);

#define SIG(m) offsetof(struct nr_topic_signal, m)
static const struct opt opts_signal[] = {
    {"q", OT_STR, SIG(q), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, "query",
     "the query (docs/watchlists.md: words, \"phrases\", AND OR NOT NEAR/n NEAR/nf, ( ), word*)"},
    {"weight", OT_DOUBLE, SIG(weight), 0, "1", OF_MIN | OF_MINX | OF_MAX, 0, 1000, 0, 0, 0,
     "points when the query matches (x title_boost when it matches in the title)"},
};
SECTION(sec_signal, "signal", "an item of a topic's `query:` written as a mapping", opts_signal);

#define TOP(m) offsetof(struct nr_topic, m)
static const struct opt opts_exclude_near[] = {
    {"terms", OT_STRLIST, TOP(exclude_near.terms), 0, "[]", 0, 0, 0, 0, 0, 0,
     "phrases (written as in `exclude`) ..."},
    {"within", OT_U32, TOP(exclude_near.within), 0, "3", OF_MIN | OF_MAX, 1, 50, 0, 0, 0,
     "... that mask the topic's term matches at most this many words away"},
    {"past_years", OT_BOOL, TOP(exclude_near.past_years), 0, "false", 0, 0, 0, 0, 0, 0,
     "a year before the article's own (1900 to the year before its published_at: \"the "
     "January 2023 bombing\") masks like the terms: background, not news"},
};
SECTION(sec_exclude_near, "exclude_near", "a topic's `exclude_near:`", opts_exclude_near);

static const struct opt opts_topic[] = {
    {"id", OT_STR, TOP(id), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, 0,
     "unique over all rule files"},
    {"name", OT_STR, TOP(name), 0, "the id", OF_DOCDEF, 0, 0, 0, 0, 0, "display name"},
    {"query", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_signal, "query or list of signal",
     "Boolean queries, each a signal of weight 1 (a string) or `weight` (a mapping)"},
    {"any", OT_STRLIST, TOP(any), 0, "[]", 0, 0, 0, 0, 0, 0,
     "literal phrases, each a signal of weight 1"},
    {"near", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_near, "list of near",
     "literal proximity pairs, each a signal of weight 1; a topic needs `query`, `any` or `near`"},
    {"exclude", OT_STRLIST, TOP(exclude), 0, "[]", 0, 0, 0, 0, 0, 0,
     "phrases (stemmed like query words, `*` allowed) that mask the term matches they overlap"},
    {"exclude_near", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_exclude_near, 0,
     "phrases that mask the term matches near them"},
    {"threshold", OT_DOUBLE, TOP(min_score), 0, "1", OF_DOCDEF | OF_MIN | OF_MINX, 0, 0, 0, 0, 0,
     "summed score of the matched signals needed"},
    {"min_score", OT_DOUBLE, TOP(min_score), 0, "1", OF_DOCDEF | OF_MIN | OF_MINX, 0, 0, 0, 0, 0,
     "old name of `threshold`"},
    {"title_boost", OT_DOUBLE, TOP(title_boost), 0, "1.5", OF_MIN | OF_MINX | OF_MAX, 0, 100, 0, 0,
     0, "a signal that matches in the title counts its weight times this"},
    {"language", OT_STR, TOP(language), 0, "en", OF_NONEMPTY, 0, 0, 0, 0, 0,
     "language of the query words' stems (ISO 639-1 code of a Snowball stemmer) or `none`"},
};
SECTION(sec_topic, "topic", "an item of `topics:` in a rule file", opts_topic);

/* An `extend:` item fills a struct nr_topic of its own (config.h). */
static const struct opt opts_extend[] = {
    {"topic", OT_STR, TOP(id), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, 0,
     "id of the topic these terms extend (defined in any rule file)"},
    {"language", OT_STR, TOP(language), 0, "the file's `language`", OF_DOCDEF | OF_NONEMPTY, 0, 0,
     0, 0, 0,
     "language of the terms (ISO 639-1, or a name: `fr`, `French`, `fr-FR`): they score the "
     "articles in this language only and are stemmed with its Snowball stemmer when there is one"},
    {"query", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_signal, "query or list of signal",
     "Boolean queries, as a topic's `query:`"},
    {"exclude", OT_STRLIST, TOP(exclude), 0, "[]", 0, 0, 0, 0, 0, 0,
     "phrases that mask the term matches of this language they overlap"},
    {"exclude_near", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_exclude_near, 0,
     "phrases that mask the term matches of this language near them"},
};
SECTION(sec_extend, "topic extension", "an item of `extend:` in a rule file", opts_extend);

#define RULE(m)    offsetof(struct nr_alert_rule, m)
#define SEV_OFF(i) (offsetof(struct nr_alert_rule, severity_ratio) + (i) * sizeof(double))
static const struct opt opts_severity[] = {
    {"medium", OT_DOUBLE, SEV_OFF(NR_SEV_MEDIUM), 0, "2 x min_ratio", OF_DOCDEF | OF_MIN, 1, 0, 0,
     0, 0, "ratio from which the alert is medium (below: low); 6 when only max_p is set"},
    {"high", OT_DOUBLE, SEV_OFF(NR_SEV_HIGH), 0, "4 x min_ratio", OF_DOCDEF | OF_MIN, 1, 0, 0, 0, 0,
     "ratio from which the alert is high; 12 when only max_p is set"},
    {"critical", OT_DOUBLE, SEV_OFF(NR_SEV_CRITICAL), 0, "8 x min_ratio", OF_DOCDEF | OF_MIN, 1, 0,
     0, 0, 0, "ratio from which the alert is critical; 24 when only max_p is set"},
};
SECTION(sec_severity, "severity", "an alert rule's `severity:`", opts_severity);

static const struct opt opts_alert[] = {
    {"id", OT_STR, RULE(id), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0, 0, 0,
     "unique over all rule files; part of the alert id"},
    {"topic", OT_STR, RULE(topic), 0, 0, 0, 0, 0, 0, 0, 0,
     "count articles with this topic (absent: every tagged article)"},
    {"by", OT_STRLIST, RULE(by), 0, "[]", OF_MAX, 0, NR_EVENT_MAX_DIMS, 0, 0, "list of kinds",
     "entity kinds to key by ([] = one global key)"},
    {"window", OT_DUR, RULE(window_ms), 0, "1h", OF_MIN, 1000, 0, 0, 0, 0,
     "short sliding window; a multiple of bucket"},
    {"bucket", OT_DUR, RULE(bucket_ms), 0, "5m", OF_MIN, 1000, 0, 0, 0, 0, "window resolution"},
    {"baseline", OT_DUR, RULE(baseline_ms), 0, "7d", OF_MIN, 60000, 0, 0, 0, 0,
     "long window (excludes the short one); longer than window, a multiple of baseline_bucket"},
    {"baseline_bucket", OT_DUR, RULE(baseline_bucket_ms), 0, "1h", OF_MIN, 1000, 0, 0, 0, 0,
     "baseline resolution"},
    {"baseline_floor", OT_DOUBLE, RULE(baseline_floor), 0, "0.5", OF_MIN | OF_MINX, 0, 0, 0, 0, 0,
     "expected count per window never below this"},
    {"min_count", OT_U32, RULE(min_count), 0, "3", OF_MIN, 1, 0, 0, 0, 0,
     "articles needed in the window"},
    {"min_ratio", OT_DOUBLE, RULE(min_ratio), 0, "3 (when max_p is not set)", OF_DOCDEF | OF_MIN, 1,
     0, 0, 0, 0, "count / expected must reach this"},
    {"max_p", OT_DOUBLE, RULE(max_p), 0, "not tested",
     OF_DOCDEF | OF_MIN | OF_MINX | OF_MAX | OF_MAXX, 0, 1, 0, 0, 0,
     "Poisson tail P(X >= count) must be below this"},
    {"cooldown", OT_DUR, RULE(cooldown_ms), 0, "2h", OF_MIN, 0, 0, 0, 0, 0,
     "no new episode this soon after the last one for the same key"},
    {"score", OT_ENUM, RULE(score_name), 0, "poisson", 0, 0, 0, "poisson|negbin", 0, 0,
     "the tail P(X >= count) that max_p tests: poisson, or negbin (negative binomial whose "
     "variance is the baseline's, over-dispersed news; docs/alerts.md)"},
    {"seasonality", OT_ENUM, RULE(seasonality), 0, "none", 0, 0, 0, "none|daily|weekly", 0, 0,
     "none: the expected count is the baseline's flat mean; daily / weekly: it is learned per "
     "baseline bucket of the day / of the week (UTC), shrunk toward the flat mean while there "
     "is little history (docs/alerts.md); the baseline must cover the period"},
    {"exclude_alerts", OT_BOOL, RULE(exclude_alerts), 0, "true", 0, 0, 0, 0, 0, 0,
     "the baseline buckets of a key's past alert episodes (first firing to resolved) do not "
     "feed its expected count, seasonal profile or dispersion, so one big story does not blind "
     "the rule for the baseline's length (docs/alerts.md)"},
    {"severity", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_severity, 0,
     "ratio thresholds (medium <= high <= critical)"},
    {"places_count_for_country", OT_BOOL, RULE(places_count_for_country), 0, "true", 0, 0, 0, 0, 0,
     0,
     "with `by: [country]`, a place or official with `country:` counts for that country (once "
     "per article and country)"},
    {"languages", OT_STRLIST, RULE(languages), 0, "[]", 0, 0, 0, 0, 0, "list of languages",
     "count only articles in these languages (ISO 639-1 codes or names, compared with the "
     "article's language; [] = every article)"},
};
SECTION(sec_alert, "alert rule", "an item of `alerts:` in a rule file", opts_alert);

static const struct opt opts_rulefile[] = {
    {"topics", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_topic, "list of topic",
     "topic definitions"},
    {"alerts", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_alert, "list of alert rule",
     "alert rules; may name topics of any rule file"},
    {"language", OT_STR, NO_OFF, 0, "none", OF_NONEMPTY, 0, 0, 0, 0, 0,
     "the language of this file's `extend:` items (one file per language: rules/i18n/fr.yaml)"},
    {"extend", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_extend, "list of topic extension",
     "terms of topics of any rule file in another language (docs/watchlists.md)"},
};
SECTION(sec_rulefile, "rule file", "each file of `rules:`", opts_rulefile);

static const struct opt opts_lexctx[] = {
    {"alias", OT_STR, offsetof(struct nr_lex_context, alias), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0,
     0, 0, "an alias of some entity (compared normalized)"},
    {"not_after", OT_STRLIST, offsetof(struct nr_lex_context, not_after), 0, "[]", 0, 0, 0, 0, 0, 0,
     "phrases right before the alias (a comma between allowed) that make it not the entity"},
    {"not_before", OT_STRLIST, offsetof(struct nr_lex_context, not_before), 0, "[]", 0, 0, 0, 0, 0,
     0, "phrases right after the alias that make it not the entity"},
    {"only_after", OT_STRLIST, offsetof(struct nr_lex_context, only_after), 0, "[]", 0, 0, 0, 0, 0,
     0,
     "with only_before: phrases right before the alias; it is the entity only after or before one"},
    {"only_before", OT_STRLIST, offsetof(struct nr_lex_context, only_before), 0, "[]", 0, 0, 0, 0,
     0, 0, "phrases right after the alias; it is the entity only after or before one (only_after)"},
};
SECTION(sec_lexctx, "context rule", "an item of `contexts:` in a lexicon file", opts_lexctx);

#define LEX(m) offsetof(struct nr_lexicon, m)
static const struct opt opts_lexfile[] = {
    {"roles", OT_STRLIST, LEX(roles), 0, "[]", 0, 0, 0, 0, 0, 0,
     "role titles that introduce an official's name (case-insensitive)"},
    {"weak_roles", OT_STRLIST, LEX(weak_roles), 0, "[]", 0, 0, 0, 0, 0, 0,
     "role titles that are also common words (general, commander): they need a name of at "
     "least two words"},
    {"particles", OT_STRLIST, LEX(particles), 0, "[]", 0, 0, 0, 0, 0, 0,
     "lower-case words allowed inside a name (bin, al, de, van)"},
    {"not_names", OT_STRLIST, LEX(not_names), 0, "[]", 0, 0, 0, 0, 0, 0,
     "capitalised words that are never part of a person's name (Assembly, Motors, Said)"},
    {"org_words", OT_STRLIST, LEX(org_words), 0, "[]", 0, 0, 0, 0, 0, 0,
     "capitalised words that end an organisation's name (Council, Motors, Relations): never in a "
     "name, and capitalised words right before one are no name either"},
    {"governing", OT_STRLIST, LEX(governing), 0, "[]", 0, 0, 0, 0, 0, 0,
     "aliases of groups that govern (Taliban): their office-holders are officials; other "
     "groups' spokesmen and commanders are not"},
    {"company_words", OT_STRLIST, LEX(company_words), 0, "[]", 0, 0, 0, 0, 0, 0,
     "words that show a company (carmaker, shares, Inc): near them, \"Kestrel president Jane "
     "Doe\" is a company's head, no official"},
    {"local_roles", OT_STRLIST, LEX(local_roles), 0, "[]", 0, 0, 0, 0, 0, 0,
     "roles of a district, province or city that a place may follow (\"Deputy Commissioner "
     "Swat Jane Doe\"); each must be a role of roles or weak_roles"},
    {"portfolio_words", OT_STRLIST, LEX(portfolio_words), 0, "[]", 0, 0, 0, 0, 0, 0,
     "capitalised words of a portfolio after a role and of/for (\"Minister of Education Jane "
     "Doe\", \"Minister for Women Affairs and Social Development\"): read as part of the "
     "role, the name after them"},
    {"body_words", OT_STRLIST, LEX(body_words), 0, "[]", 0, 0, 0, 0, 0, 0,
     "lower-case words of a body after a role and of/for (\"the spokesman for the Nangarhar "
     "police, Jane Doe\", \"Station House Officer of the Saddar police station Jane Doe\"): "
     "with capitalised words, of, and, the, in, read as part of the role"},
    {"namesake_words", OT_STRLIST, LEX(namesake_words), 0, "[]", 0, 0, 0, 0, 0, 0,
     "capitalised words of places and bodies named after people (Stadium, Airport, "
     "Foundation): a watchlist official's name right before one, in prose, is the place; "
     "also org_words"},
    {"company_roles", OT_STRLIST, LEX(company_roles), 0, "[]", 0, 0, 0, 0, 0, 0,
     "roles that companies have too (president): after an unknown capitalised word "
     "near a company word, a company's head; each must be a role of roles or weak_roles"},
    {"first_names", OT_STRLIST, LEX(first_names), 0, "[]", 0, 0, 0, 0, 0, 0,
     "given names, for the person_like context rule"},
    {"person_like", OT_STRLIST, LEX(person_like), 0, "[]", 0, 0, 0, 0, 0, 0,
     "aliases that are also people's names: not the entity after a first name (Michael "
     "Jordan) or, when a first name itself, before a surname (Chad Smith)"},
    {"contexts", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_lexctx, "list of context rule",
     "alias-specific context rules"},
};
SECTION(sec_lexfile, "lexicon file", "each file of `lexicons:`", opts_lexfile);

static const struct section *const all_sections[] = {
    &sec_main,         &sec_article, &sec_fields,   &sec_engine,  &sec_kafka,
    &sec_http,         &sec_log,     &sec_wlfile,   &sec_entity,  &sec_alias,
    &sec_rulefile,     &sec_topic,   &sec_extend,   &sec_signal,  &sec_near,
    &sec_exclude_near, &sec_alert,   &sec_severity, &sec_lexfile, &sec_lexctx,
};

enum include_kind { INC_WATCHLISTS, INC_RULES, INC_LEXICONS };

static void load_includes(struct cm_ctx *c, const struct cy_node *list, const char *key,
                          enum include_kind kind)
{
    bool watchlists = kind == INC_WATCHLISTS;
    const char *main_file = c->file;
    if (!list || cm_is_null(list))
        return;
    if (list->type != CY_SEQ) {
        cm_type_error(c, list, key, "sequence of paths");
        return;
    }
    if (watchlists && list->n == 0) {
        ERR(c, list, "%s: at least one watchlist file is required", key);
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        c->file = main_file;
        char *rel = cm_get_string(c, list->items[i], key, true);
        if (!rel)
            continue;
        char *path = cm_join_path(main_file, rel);
        free(rel);
        struct cy_doc doc;
        if (cm_open_doc(c, path, list->items[i], &doc) == 0) {
            if (kind == INC_WATCHLISTS)
                cfg_load_watchlist(c, &doc);
            else if (kind == INC_RULES)
                cfg_load_rules(c, &doc);
            else
                cfg_load_lexicon(c, &doc);
            cy_doc_free(&doc);
        }
        free(path);
    }
    c->file = main_file;
}

/* Fields and records not given take the preset's map (article.preset). */
static void apply_preset(struct nr_config *cfg)
{
    const struct nr_article_preset *p = nr_article_preset_find(cfg->article_preset);
    if (!p)
        p = nr_article_preset_find("none");
    for (int f = 0; f < NR_FIELD_COUNT; f++) {
        if (cfg->field_ptr[f])
            continue;
        cfg->field_ptr[f] = nr_xstrdup(p->fields[f][0] ? p->fields[f][0] : "");
        for (int k = 1; k < 4 && p->fields[f][k]; k++) {
            struct nr_strlist *l = &cfg->field_more[f];
            l->v = nr_xrealloc(l->v, (l->n + 1) * sizeof(char *));
            l->v[l->n++] = nr_xstrdup(p->fields[f][k]);
        }
    }
    if (!cfg->records_ptr)
        cfg->records_ptr = nr_xstrdup(p->records);
}

static const struct cy_node *map_get(const struct cy_node *m, const char *key)
{
    if (!m || m->type != CY_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->items[i]->type == CY_SCALAR && strcmp(m->items[i]->str, key) == 0)
            return m->items[i + 1];
    return NULL;
}

/* A field map that rejects every article is a configuration error, not a
 * run of missing_id or missing_text rejections: the id must be read, and a
 * title or a body. */
static void check_field_map(struct cm_ctx *c, const struct cy_node *article)
{
    const struct nr_config *cfg = c->cfg;
    const struct cy_node *fields = map_get(article, "fields");
    const struct cy_node *at = fields ? fields : article;
    if (!at)
        return; /* the presets read an id and text */
    const char *id = cfg->field_ptr[NR_FIELD_ID];
    if (id && !*id && cfg->field_more[NR_FIELD_ID].n == 0) {
        const struct cy_node *n = map_get(fields, "id");
        ERR(c, n ? n : at,
            "article.fields.id: \"\" (not read) would reject every article as missing_id: "
            "every article needs an id");
    }
    const char *ti = cfg->field_ptr[NR_FIELD_TITLE], *bo = cfg->field_ptr[NR_FIELD_BODY];
    if (ti && bo && !*ti && !*bo && cfg->field_more[NR_FIELD_TITLE].n == 0 &&
        cfg->field_more[NR_FIELD_BODY].n == 0) {
        const struct cy_node *n = map_get(fields, "body");
        if (!n)
            n = map_get(fields, "title");
        ERR(c, n ? n : at,
            "article.fields: neither title nor body is read (\"\" or []): every article would "
            "be rejected as missing_text; read at least one of them");
    }
}

struct nr_config *nr_config_load(const char *path, struct nr_diags *diags)
{
    struct nr_config *cfg = nr_xcalloc(1, sizeof(*cfg));
    struct nr_diags local = {0};
    if (!diags)
        diags = &local;
    size_t errs0 = diags->n;
    struct cm_ctx c = {.cfg = cfg, .d = diags};
    cfg->path = nr_xstrdup(path);
    struct cy_doc doc;
    if (cm_open_doc(&c, path, NULL, &doc) == 0) {
        struct cy_node empty = {.type = CY_MAP, .line = 1, .col = 1};
        const struct cy_node *root = cm_doc_root(&c, &doc, &empty);
        if (root) {
            const struct cy_node *seen[MAX_OPTS];
            cm_parse_section(&c, root, &sec_main, cfg, seen, root);
            apply_preset(cfg);
            check_field_map(&c, seen[cm_opt_idx(&sec_main, "article")]);
            /* each stage's producer gets its own transactional.id (svc_txn.c):
             * one set by hand would be shared by both stages and instances */
            for (size_t i = 0; i < cfg->kafka.n_properties; i++) {
                const struct nr_kv *kv = &cfg->kafka.properties[i];
                if (strcmp(kv->key, "transactional.id") == 0)
                    nr_diags_add(diags, kv->pos.file, kv->pos.line, kv->pos.col,
                                 "kafka.properties.transactional.id: set by newsradar (from "
                                 "group_id, the stage and instance_id); use kafka.guarantee: "
                                 "exactly_once and kafka.instance_id instead");
            }
            const char *main_file = c.file;
            load_includes(&c, seen[cm_opt_idx(&sec_main, "watchlists")], "watchlists",
                          INC_WATCHLISTS);
            cfg_check_entities(&c);
            c.file = main_file;
            load_includes(&c, seen[cm_opt_idx(&sec_main, "lexicons")], "lexicons", INC_LEXICONS);
            cfg_check_lexicon(&c);
            c.file = main_file;
            load_includes(&c, seen[cm_opt_idx(&sec_main, "rules")], "rules", INC_RULES);
            cfg_check_rules(&c);
        }
        cy_doc_free(&doc);
    }
    cm_strmap_free(&c.entity_ids);
    cm_strmap_free(&c.topic_ids);
    cm_strmap_free(&c.rule_ids);
    free(c.country_pos);
    free(c.topic_pos);
    free(c.by_pos);
    for (size_t i = 0; i < c.n_ext; i++) /* cfg_check_rules not reached */
        cfg_topic_free(&c.ext[i]);
    free(c.ext);
    bool failed = diags->n > errs0;
    nr_diags_free(&local);
    if (failed) {
        nr_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void nr_config_free(struct nr_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    for (size_t i = 0; i < cfg->n_files; i++)
        free(cfg->files[i]);
    free(cfg->files);
    for (int i = 0; i < NR_FIELD_COUNT; i++) {
        free(cfg->field_ptr[i]);
        cm_strlist_free(&cfg->field_more[i]);
    }
    free(cfg->article_preset);
    free(cfg->records_ptr);
    free(cfg->invalid_utf8);
    free(cfg->default_timezone);
    free(cfg->engine.future_policy);
    for (size_t i = 0; i < cfg->n_entities; i++) {
        struct nr_entity *e = &cfg->entities[i];
        free(e->id);
        free(e->kind);
        free(e->name);
        free(e->code);
        free(e->country);
        free(e->role);
        for (size_t a = 0; a < e->n_aliases; a++)
            free(e->aliases[a].text);
        free(e->aliases);
    }
    free(cfg->entities);
    for (size_t i = 0; i < cfg->n_topics; i++)
        cfg_topic_free(&cfg->topics[i]);
    free(cfg->topics);
    for (size_t i = 0; i < cfg->n_rules; i++) {
        free(cfg->rules[i].id);
        free(cfg->rules[i].topic);
        free(cfg->rules[i].seasonality);
        free(cfg->rules[i].score_name);
        cm_strlist_free(&cfg->rules[i].by);
        cm_strlist_free(&cfg->rules[i].languages);
    }
    free(cfg->rules);
    cfg_lexicon_free(&cfg->lex);
    struct nr_kafka_opts *k = &cfg->kafka;
    free(k->brokers);
    free(k->group_id);
    cm_strlist_free(&k->input_topics);
    free(k->alert_topic);
    free(k->dead_letter_topic);
    free(k->repartition_topic);
    free(k->enriched_topic);
    free(k->changelog_topic);
    free(k->guarantee);
    free(k->instance_id);
    for (size_t i = 0; i < k->n_properties; i++) {
        free(k->properties[i].key);
        free(k->properties[i].value);
    }
    free(k->properties);
    free(cfg->http.listen);
    free(cfg->log.level);
    free(cfg->log.format);
    free(cfg);
}

int nr_config_entity_index(const struct nr_config *cfg, const char *id)
{
    for (size_t i = 0; cfg && id && i < cfg->n_entities; i++)
        if (cfg->entities[i].id && strcmp(cfg->entities[i].id, id) == 0)
            return (int)i;
    return -1;
}

int nr_config_topic_index(const struct nr_config *cfg, const char *id)
{
    for (size_t i = 0; cfg && id && i < cfg->n_topics; i++)
        if (cfg->topics[i].id && strcmp(cfg->topics[i].id, id) == 0)
            return (int)i;
    return -1;
}

void nr_config_summary(const struct nr_config *cfg, char *buf, size_t len)
{
    size_t kinds = 0;
    struct cm_strmap seen = {0};
    for (size_t i = 0; i < cfg->n_entities; i++) {
        size_t *slot = cm_strmap_slot(&seen, cfg->entities[i].kind, true);
        if (*slot == (size_t)-1) {
            *slot = i;
            kinds++;
        }
    }
    cm_strmap_free(&seen);
    snprintf(buf, len, "ok: %zu %s (%zu %s), %zu %s, %zu alert %s from %zu %s", cfg->n_entities,
             cfg->n_entities == 1 ? "entity" : "entities", kinds, kinds == 1 ? "kind" : "kinds",
             cfg->n_topics, cfg->n_topics == 1 ? "topic" : "topics", cfg->n_rules,
             cfg->n_rules == 1 ? "rule" : "rules", cfg->n_files,
             cfg->n_files == 1 ? "file" : "files");
}
void nr_config_print_options(void *stdio_file)
{
    cm_print_sections(stdio_file, all_sections, NR_ARRAY_LEN(all_sections));
}
