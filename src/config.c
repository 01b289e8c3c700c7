/*
 * config.c - load and validate the YAML configuration (see config.h).
 *
 * Every mapping is read against a declarative option table (struct section:
 * key, type, default, range, help), as Fluent Bit's config_map does: the same
 * tables reject unknown keys (listing the allowed ones), apply defaults,
 * check ranges and generate docs/configuration.md, so docs cannot drift.
 * Defaults are stored as text and parsed by the same code as user values.
 *
 * Files are parsed into a small tree (config_yaml.c, with an alias budget),
 * walked once, and freed; the config keeps plain structs. Errors never stop
 * the walk: each one is added to nr_diags with its 1-based file:line:col and
 * the loader goes on, so one run reports them all. Cross-file checks
 * (duplicate ids, aliases claimed twice, unknown topics and kinds) run after
 * every file is read, with hashed lookups so a 100k-entity watchlist stays
 * linear. Cost: a few allocations per value; load time is dominated by
 * libyaml (~16 ms per MB, see shared/limits.md).
 */
#include "newsradar/config.h"
#include "newsradar/article.h"
#include "newsradar/query.h"
#include "newsradar/stem.h"
#include "newsradar/text.h"
#include "config_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (64u << 20)

const char *const nr_field_names[NR_FIELD_COUNT] = {"id",     "title",    "body",        "url",
                                                    "source", "language", "published_at"};

/* ------------------------------------------------------------------------
 * Diagnostics
 * ---------------------------------------------------------------------- */

static const char *diags_intern(struct nr_diags *d, const char *file)
{
    if (!file)
        file = "<config>";
    for (size_t i = 0; i < d->n_files; i++)
        if (strcmp(d->files[i], file) == 0)
            return d->files[i];
    nr_grow((void **)&d->files, &d->cap_files, d->n_files + 1, sizeof(char *));
    d->files[d->n_files] = nr_xstrdup(file);
    return d->files[d->n_files++];
}

void nr_diags_note_file(struct nr_diags *d, const char *file)
{
    if (d)
        (void)diags_intern(d, file);
}

void nr_diags_add(struct nr_diags *d, const char *file, uint32_t line, uint32_t col,
                  const char *fmt, ...)
{
    if (!d)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = nr_xmalloc(n > 0 ? (size_t)n + 1 : 1);
    va_start(ap, fmt);
    vsnprintf(msg, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    va_end(ap);
    nr_grow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v));
    d->v[d->n].pos.file = diags_intern(d, file);
    d->v[d->n].pos.line = line;
    d->v[d->n].pos.col = col;
    d->v[d->n].msg = msg;
    d->n++;
}

struct diag_ref {
    const struct nr_diag *d;
    size_t file_rank, seq;
};

static int diag_cmp(const void *a, const void *b)
{
    const struct diag_ref *x = a, *y = b;
    if (x->file_rank != y->file_rank)
        return x->file_rank < y->file_rank ? -1 : 1;
    if (x->d->pos.line != y->d->pos.line)
        return x->d->pos.line < y->d->pos.line ? -1 : 1;
    if (x->d->pos.col != y->d->pos.col)
        return x->d->pos.col < y->d->pos.col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void nr_diags_print(const struct nr_diags *d, void *stdio_file)
{
    FILE *f = stdio_file;
    if (!d || d->n == 0)
        return;
    struct diag_ref *r = nr_xmalloc(d->n * sizeof(*r));
    for (size_t i = 0; i < d->n; i++) {
        r[i].d = &d->v[i];
        r[i].seq = i;
        r[i].file_rank = 0;
        for (size_t k = 0; k < d->n_files; k++)
            if (d->files[k] == d->v[i].pos.file)
                r[i].file_rank = k;
    }
    qsort(r, d->n, sizeof(*r), diag_cmp);
    for (size_t i = 0; i < d->n; i++) {
        const struct nr_diag *g = r[i].d;
        /* a subtree shared through a YAML alias reports its errors once */
        if (i > 0 && r[i - 1].d->pos.file == g->pos.file && r[i - 1].d->pos.line == g->pos.line &&
            r[i - 1].d->pos.col == g->pos.col && strcmp(r[i - 1].d->msg, g->msg) == 0)
            continue;
        fprintf(f, "%s:%u:%u: %s\n", g->pos.file, g->pos.line, g->pos.col, g->msg);
    }
    free(r);
}

void nr_diags_free(struct nr_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].msg);
    for (size_t i = 0; i < d->n_files; i++)
        free(d->files[i]);
    free(d->v);
    free(d->files);
    memset(d, 0, sizeof(*d));
}

/* ------------------------------------------------------------------------
 * Option tables
 * ---------------------------------------------------------------------- */

enum opt_type {
    OT_STR,
    OT_ENUM,
    OT_U32,
    OT_SIZE,
    OT_DOUBLE,
    OT_BOOL,
    OT_DUR,
    OT_STRLIST,
    OT_MAP,     /* string -> string, into (nr_kv *, size_t) at off, off2 */
    OT_SECTION, /* nested table, same target object */
    OT_LIST,    /* list of something read by the caller (seen[]) */
    OT_PTRS,    /* a JSON pointer or a list of 1-4: first at off (char *), rest at off2 */
};

#define OF_REQ      (1u << 0)
#define OF_MIN      (1u << 1)
#define OF_MAX      (1u << 2)
#define OF_MINX     (1u << 3) /* min is exclusive */
#define OF_MAXX     (1u << 4) /* max is exclusive */
#define OF_DOCDEF   (1u << 5) /* default is derived at load; `def` only documents it */
#define OF_NONEMPTY (1u << 6) /* string or list must not be empty */
#define OF_JSONPTR  (1u << 7) /* "" or an RFC 6901 JSON pointer */
#define OF_TZ       (1u << 8) /* a zone for nr_article_tz_parse; offset (int32_t) at off2 */

#define NO_OFF ((size_t)-1)

struct section;

struct opt {
    const char *key;
    enum opt_type type;
    size_t off, off2;
    const char *def;
    unsigned flags;
    double min, max;
    const char *choices;       /* OT_ENUM: "a|b|c" */
    const struct section *sub; /* OT_SECTION; OT_LIST items (docs) */
    const char *tname;         /* type name for docs, when not the default */
    const char *help;
};

struct section {
    const char *name; /* in messages and as the docs heading */
    const char *where;
    const struct opt *opts;
    size_t n;
};

#define SECTION(var, nm, wh, arr) static const struct section var = {nm, wh, arr, NR_ARRAY_LEN(arr)}

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
     "future-dated: clamp (its time becomes the fallback: message or stream time) or reject "
     "(future_published_at); never moves stream time"},
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
    {"tag_threads", OT_U32, CFG(kafka.tag_threads), 0, "0", OF_MIN | OF_MAX, 0, 64, 0, 0, 0,
     "threads that decode and tag articles (0 = one per usable CPU)"},
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

/* alias options, read into this temporary */
struct alias_opts {
    char *text;
    bool cs, ambiguous;
};

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
     "the query (docs/watchlists.md: words, \"phrases\", AND OR NOT NEAR/n, ( ), word*)"},
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
    {"by", OT_STRLIST, RULE(by), 0, "[]", 0, 0, 0, 0, 0, "list of kinds",
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
    {"severity", OT_SECTION, NO_OFF, 0, 0, 0, 0, 0, 0, &sec_severity, 0,
     "ratio thresholds (medium <= high <= critical)"},
    {"places_count_for_country", OT_BOOL, RULE(places_count_for_country), 0, "true", 0, 0, 0, 0, 0,
     0,
     "with `by: [country]`, a place or official with `country:` counts for that country (once "
     "per article and country)"},
};
SECTION(sec_alert, "alert rule", "an item of `alerts:` in a rule file", opts_alert);

static const struct opt opts_rulefile[] = {
    {"topics", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_topic, "list of topic",
     "topic definitions"},
    {"alerts", OT_LIST, NO_OFF, 0, "[]", 0, 0, 0, 0, &sec_alert, "list of alert rule",
     "alert rules; may name topics of any rule file"},
};
SECTION(sec_rulefile, "rule file", "each file of `rules:`", opts_rulefile);

static const struct opt opts_lexctx[] = {
    {"alias", OT_STR, offsetof(struct nr_lex_context, alias), 0, 0, OF_REQ | OF_NONEMPTY, 0, 0, 0,
     0, 0, "an alias of some entity (compared normalized)"},
    {"not_after", OT_STRLIST, offsetof(struct nr_lex_context, not_after), 0, "[]", 0, 0, 0, 0, 0, 0,
     "phrases right before the alias (a comma between allowed) that make it not the entity"},
    {"not_before", OT_STRLIST, offsetof(struct nr_lex_context, not_before), 0, "[]", 0, 0, 0, 0, 0,
     0, "phrases right after the alias that make it not the entity"},
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
    &sec_main,     &sec_article,  &sec_fields,  &sec_engine, &sec_kafka,
    &sec_http,     &sec_log,      &sec_wlfile,  &sec_entity, &sec_alias,
    &sec_rulefile, &sec_topic,    &sec_signal,  &sec_near,   &sec_exclude_near,
    &sec_alert,    &sec_severity, &sec_lexfile, &sec_lexctx,
};

static size_t opt_idx(const struct section *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->opts[i].key, key) == 0)
            return i;
    abort(); /* a typo in this file, not an input error */
}

#define MAX_OPTS 16

/* ------------------------------------------------------------------------
 * Loader context and small helpers
 * ---------------------------------------------------------------------- */

/* string -> index, open addressing; keys owned by the map */
struct strmap {
    char **keys;
    size_t *vals;
    size_t cap, n;
};

static size_t *strmap_slot(struct strmap *m, const char *key, bool insert)
{
    if (insert && (m->n + 1) * 2 > m->cap) {
        struct strmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->keys = nr_xcalloc(m->cap, sizeof(char *));
        m->vals = nr_xcalloc(m->cap, sizeof(size_t));
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.keys[i])
                continue;
            size_t h = nr_hash64(old.keys[i], strlen(old.keys[i]), 0) & (m->cap - 1);
            while (m->keys[h])
                h = (h + 1) & (m->cap - 1);
            m->keys[h] = old.keys[i];
            m->vals[h] = old.vals[i];
            m->n++;
        }
        free(old.keys);
        free(old.vals);
    }
    if (!m->cap)
        return NULL;
    size_t h = nr_hash64(key, strlen(key), 0) & (m->cap - 1);
    while (m->keys[h]) {
        if (strcmp(m->keys[h], key) == 0)
            return &m->vals[h];
        h = (h + 1) & (m->cap - 1);
    }
    if (!insert)
        return NULL;
    m->keys[h] = nr_xstrdup(key);
    m->vals[h] = (size_t)-1;
    m->n++;
    return &m->vals[h];
}

static void strmap_free(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

struct pos_ref {
    struct nr_srcpos pos;
    bool set;
};

struct ctx {
    struct nr_config *cfg;
    struct nr_diags *d;
    const char *file; /* interned in cfg->files */
    struct strmap entity_ids, topic_ids, rule_ids;
    /* positions the plain structs have no room for, by entity / rule index */
    struct pos_ref *country_pos, *topic_pos, *by_pos;
    size_t cap_country, cap_topic, cap_by;
    size_t cap_entities, cap_topics, cap_rules; /* nr_config has no cap fields */
};

#define ERR(c, node, ...) nr_diags_add((c)->d, (c)->file, (node)->line, (node)->col, __VA_ARGS__)

static struct nr_srcpos srcpos(const struct ctx *c, const struct cy_node *n)
{
    struct nr_srcpos p = {c->file, n->line, n->col};
    return p;
}

static bool is_null(const struct cy_node *n)
{
    if (n->type != CY_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

static int parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        *out = true;
        return 0;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        *out = false;
        return 0;
    }
    return -1;
}

static int parse_number(const char *s, double *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return -1;
    /* strtod accepts hex floats and "infinity"; configs should not */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            return -1;
    *out = v;
    return 0;
}

static const char *kind_of(const struct cy_node *n)
{
    double dv;
    bool bv;
    if (n->type == CY_SEQ)
        return "sequence";
    if (n->type == CY_MAP)
        return "mapping";
    if (!n->plain)
        return "string";
    if (is_null(n))
        return "null";
    if (parse_bool(n->str, &bv) == 0)
        return "boolean";
    if (parse_number(n->str, &dv) == 0)
        return "number";
    return "string";
}

static void type_error(struct ctx *c, const struct cy_node *n, const char *key,
                       const char *expected)
{
    if (n->type == CY_SCALAR && !is_null(n))
        ERR(c, n, "%s: expected %s, got %s \"%.40s%s\"", key, expected, kind_of(n), n->str,
            n->len > 40 ? "..." : "");
    else
        ERR(c, n, "%s: expected %s, got %s", key, expected, kind_of(n));
}

/* Replace ${NAME} from the environment. Returns a new string or NULL (error
 * reported at the scalar). */
static char *subst_env(struct ctx *c, const struct cy_node *n, const char *key)
{
    const char *s = n->str;
    if (!strstr(s, "${"))
        return nr_xstrdup(s);
    size_t cap = n->len + 64, len = 0;
    char *out = nr_xmalloc(cap);
    while (*s) {
        const char *st = strstr(s, "${");
        size_t lit = st ? (size_t)(st - s) : strlen(s);
        nr_grow((void **)&out, &cap, len + lit + 1, 1);
        memcpy(out + len, s, lit);
        len += lit;
        s += lit;
        if (!st)
            break;
        const char *name = st + 2, *end = strchr(name, '}');
        if (!end) {
            ERR(c, n, "%s: unterminated \"${\" in \"%s\"", key, n->str);
            goto fail;
        }
        size_t nl = (size_t)(end - name);
        bool ok = nl > 0 && !(name[0] >= '0' && name[0] <= '9');
        for (size_t i = 0; i < nl; i++) {
            char ch = name[i];
            if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '_'))
                ok = false;
        }
        if (!ok) {
            ERR(c, n, "%s: invalid variable name \"${%.*s}\"", key, (int)nl, name);
            goto fail;
        }
        char *var = nr_xstrndup(name, nl);
        const char *val = getenv(var);
        if (!val) {
            ERR(c, n, "%s: environment variable %s is not set", key, var);
            free(var);
            goto fail;
        }
        free(var);
        size_t vl = strlen(val);
        nr_grow((void **)&out, &cap, len + vl + 1, 1);
        memcpy(out + len, val, vl);
        len += vl;
        s = end + 1;
    }
    out[len] = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

/* A string value: any non-null scalar (a plain 42 is the string "42"). */
static char *get_string(struct ctx *c, const struct cy_node *n, const char *key, bool nonempty)
{
    if (n->type != CY_SCALAR || is_null(n)) {
        type_error(c, n, key, "string");
        return NULL;
    }
    char *s = subst_env(c, n, key);
    if (s && nonempty && !*s) {
        ERR(c, n, "%s: must not be empty", key);
        free(s);
        return NULL;
    }
    return s;
}

static void fmt_value(const struct opt *o, double v, char *buf, size_t len)
{
    if (o->type == OT_DUR)
        nr_duration_format((int64_t)v, buf, len);
    else
        snprintf(buf, len, "%.15g", v);
}

static void range_text(const struct opt *o, char *buf, size_t len)
{
    char a[32], b[32];
    fmt_value(o, o->min, a, sizeof(a));
    fmt_value(o, o->max, b, sizeof(b));
    bool hmin = o->flags & OF_MIN, hmax = o->flags & OF_MAX;
    bool xmin = o->flags & OF_MINX, xmax = o->flags & OF_MAXX;
    if (hmin && hmax && !xmin && !xmax)
        snprintf(buf, len, "%s..%s", a, b);
    else if (hmin && hmax)
        snprintf(buf, len, "%s%s, %s%s", xmin ? "(" : "[", a, b, xmax ? ")" : "]");
    else if (hmin)
        snprintf(buf, len, "%s %s", xmin ? ">" : ">=", a);
    else if (hmax)
        snprintf(buf, len, "%s %s", xmax ? "<" : "<=", b);
    else
        buf[0] = '\0';
}

static bool in_range(const struct opt *o, double v)
{
    if (o->flags & OF_MIN) {
        if ((o->flags & OF_MINX) ? !(v > o->min) : !(v >= o->min))
            return false;
    }
    if (o->flags & OF_MAX) {
        if ((o->flags & OF_MAXX) ? !(v < o->max) : !(v <= o->max))
            return false;
    }
    return true;
}

static void range_msg(const struct opt *o, char *buf, size_t len)
{
    char r[80];
    range_text(o, r, sizeof(r));
    if ((o->flags & OF_MIN) && (o->flags & OF_MAX))
        snprintf(buf, len, "is out of range %s", r);
    else if (r[0])
        snprintf(buf, len, "must be %s", r);
    else
        snprintf(buf, len, "is out of range");
}

static int range_check(struct ctx *c, const struct cy_node *n, const struct opt *o, double v)
{
    if (in_range(o, v))
        return 0;
    char r[100];
    range_msg(o, r, sizeof(r));
    ERR(c, n, "%s: %s %s", o->key, n->str, r);
    return -1;
}

static void strlist_free(struct nr_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int get_strlist(struct ctx *c, const struct cy_node *n, const char *key, bool nonempty,
                       struct nr_strlist *out)
{
    if (n->type != CY_SEQ) {
        type_error(c, n, key, "sequence of strings");
        return -1;
    }
    if (nonempty && n->n == 0) {
        ERR(c, n, "%s: must not be empty", key);
        return -1;
    }
    int rc = 0;
    strlist_free(out);
    out->v = nr_xcalloc(n->n, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        char *s = get_string(c, n->items[i], key, true);
        if (!s) {
            rc = -1;
            continue;
        }
        out->v[out->n++] = s;
    }
    return rc;
}

static int get_map(struct ctx *c, const struct cy_node *n, const struct opt *o, void *obj)
{
    struct nr_kv **kv = (struct nr_kv **)((char *)obj + o->off);
    size_t *nkv = (size_t *)((char *)obj + o->off2);
    if (n->type != CY_MAP) {
        type_error(c, n, o->key, "mapping of strings");
        return -1;
    }
    int rc = 0;
    *kv = nr_xcalloc(n->n / 2 + 1, sizeof(**kv));
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const struct cy_node *k = n->items[i], *v = n->items[i + 1];
        if (k->type != CY_SCALAR) {
            ERR(c, k, "%s: keys must be strings", o->key);
            rc = -1;
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < *nkv; j++) {
            if (strcmp((*kv)[j].key, k->str) == 0) {
                ERR(c, k, "duplicate key \"%s\" (first at %s:%u:%u)", k->str, (*kv)[j].pos.file,
                    (*kv)[j].pos.line, (*kv)[j].pos.col);
                dup = true;
            }
        }
        char *val = get_string(c, v, k->str, false);
        if (dup || !val) {
            free(val);
            rc = -1;
            continue;
        }
        struct nr_kv *e = &(*kv)[(*nkv)++];
        e->key = nr_xstrdup(k->str);
        e->value = val;
        e->pos = srcpos(c, k);
    }
    return rc;
}

/* "" (field not read) or "/"-separated reference tokens where '~' is only
 * followed by '0' or '1'. */
static bool json_pointer_ok(const char *s)
{
    if (!*s)
        return true;
    if (*s != '/')
        return false;
    for (; *s; s++)
        if (*s == '~' && s[1] != '0' && s[1] != '1')
            return false;
    return true;
}

/* OT_PTRS: one pointer, or a list of 1-4 (the first at off, the rest at
 * off2); an empty list is "" (not read). */
static int get_ptrs(struct ctx *c, const struct cy_node *n, const struct opt *o, void *obj)
{
    char **first = (char **)((char *)obj + o->off);
    struct nr_strlist *more = (struct nr_strlist *)((char *)obj + o->off2);
    struct nr_strlist l = {0};
    if (n->type == CY_SCALAR) {
        char *s = get_string(c, n, o->key, false);
        if (!s)
            return -1;
        l.v = nr_xcalloc(1, sizeof(char *));
        l.v[l.n++] = s;
    } else if (get_strlist(c, n, o->key, false, &l) < 0) {
        strlist_free(&l);
        return -1;
    }
    if (l.n > 4) {
        ERR(c, n, "%s: at most 4 pointers, got %zu", o->key, l.n);
        strlist_free(&l);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        if (!json_pointer_ok(l.v[i]) || (l.n > 1 && !*l.v[i])) {
            const struct cy_node *at = n->type == CY_SEQ ? n->items[i] : n;
            ERR(c, at,
                "%s: \"%s\" is not a JSON pointer (RFC 6901: \"/a/b\", \"~0\" for ~, \"~1\" for /)",
                o->key, l.v[i]);
            strlist_free(&l);
            return -1;
        }
    }
    free(*first);
    strlist_free(more);
    *first = l.n ? l.v[0] : nr_xstrdup("");
    if (l.n > 1) {
        more->v = nr_xcalloc(l.n - 1, sizeof(char *));
        for (size_t i = 1; i < l.n; i++)
            more->v[more->n++] = l.v[i];
    }
    free(l.v);
    return 0;
}

/* Store one simple value; n is a node of the file or a default's text. */
static int store(struct ctx *c, const struct opt *o, const struct cy_node *n, void *obj)
{
    char *p = (char *)obj + o->off;
    switch (o->type) {
    case OT_STR:
    case OT_ENUM: {
        char *s = get_string(c, n, o->key, o->flags & OF_NONEMPTY);
        if (!s)
            return -1;
        if (o->type == OT_ENUM) {
            size_t l = strlen(s);
            const char *ch = o->choices;
            bool ok = false;
            while (*ch) {
                size_t cl = strcspn(ch, "|");
                if (cl == l && strncmp(ch, s, l) == 0)
                    ok = true;
                ch += cl + (ch[cl] == '|');
            }
            if (!ok) {
                ERR(c, n, "%s: invalid value \"%s\" (expected %s)", o->key, s, o->choices);
                free(s);
                return -1;
            }
        }
        if ((o->flags & OF_JSONPTR) && !json_pointer_ok(s)) {
            ERR(c, n,
                "%s: \"%s\" is not a JSON pointer (RFC 6901: \"/a/b\", \"~0\" for ~, \"~1\" for /)",
                o->key, s);
            free(s);
            return -1;
        }
        if ((o->flags & OF_TZ) && nr_article_tz_parse(s, (int32_t *)((char *)obj + o->off2)) < 0) {
            ERR(c, n,
                "%s: \"%s\" is not a zone this build reads (UTC, +05:00, -0330; IANA names "
                "such as Asia/Karachi are not supported: their offset changes with DST)",
                o->key, s);
            free(s);
            return -1;
        }
        free(*(char **)p);
        *(char **)p = s;
        return 0;
    }
    case OT_U32:
    case OT_SIZE: {
        const char *s = n->str;
        bool ok = n->type == CY_SCALAR && n->plain && *s;
        const char *q = s && (*s == '-' || *s == '+') ? s + 1 : s;
        if (ok && !*q)
            ok = false;
        for (; ok && *q; q++)
            if (*q < '0' || *q > '9')
                ok = false;
        if (!ok) {
            type_error(c, n, o->key, "integer");
            return -1;
        }
        errno = 0;
        double dv = strtod(s, NULL);
        double lim = o->type == OT_U32 ? 4294967295.0 : 9007199254740992.0;
        if (dv < 0 || dv > lim) {
            char r[100];
            range_msg(o, r, sizeof(r));
            ERR(c, n, "%s: %s %s", o->key, s, r);
            return -1;
        }
        if (range_check(c, n, o, dv) < 0)
            return -1;
        if (o->type == OT_U32)
            *(uint32_t *)p = (uint32_t)strtoul(s, NULL, 10);
        else
            *(size_t *)p = (size_t)strtoull(s, NULL, 10);
        return 0;
    }
    case OT_DOUBLE: {
        double v;
        if (n->type != CY_SCALAR || !n->plain || parse_number(n->str, &v) < 0) {
            type_error(c, n, o->key, "number");
            return -1;
        }
        if (range_check(c, n, o, v) < 0)
            return -1;
        *(double *)p = v;
        return 0;
    }
    case OT_BOOL: {
        bool v;
        if (n->type != CY_SCALAR || !n->plain || parse_bool(n->str, &v) < 0) {
            type_error(c, n, o->key, "boolean (true/false)");
            return -1;
        }
        *(bool *)p = v;
        return 0;
    }
    case OT_DUR: {
        if (n->type != CY_SCALAR || is_null(n)) {
            type_error(c, n, o->key, "duration");
            return -1;
        }
        int64_t v = nr_duration_parse(n->str);
        if (v < 0) {
            ERR(c, n, "%s: invalid duration \"%s\" (expected e.g. 500ms, 90s, 15m, 1h, 7d)", o->key,
                n->str);
            return -1;
        }
        if (range_check(c, n, o, (double)v) < 0)
            return -1;
        *(int64_t *)p = v;
        return 0;
    }
    case OT_STRLIST:
        return get_strlist(c, n, o->key, o->flags & OF_NONEMPTY, (struct nr_strlist *)p);
    case OT_PTRS:
        return get_ptrs(c, n, o, obj);
    case OT_MAP:
        return get_map(c, n, o, obj);
    default:
        return 0;
    }
}

/* Defaults go through store() too, parsed from their documented text. */
static void store_default(struct ctx *c, const struct opt *o, void *obj)
{
    if (!o->def || (o->flags & OF_DOCDEF) || o->off == NO_OFF)
        return;
    if (o->type == OT_STRLIST) {
        struct nr_strlist *l = (struct nr_strlist *)((char *)obj + o->off);
        const char *s = o->def + 1; /* "[a, b]" */
        size_t n = strlen(s) - 1;
        strlist_free(l);
        l->v = nr_xcalloc(4, sizeof(char *));
        while (n > 0 && l->n < 4) {
            size_t w = strcspn(s, ",]");
            if (w > n)
                w = n;
            l->v[l->n++] = nr_xstrndup(s, w);
            s += w;
            n -= w;
            while (n > 0 && (*s == ',' || *s == ' ')) {
                s++;
                n--;
            }
        }
        return;
    }
    if (o->type == OT_MAP)
        return; /* "{}" */
    char text[64];
    snprintf(text, sizeof(text), "%s", strcmp(o->def, "\"\"") == 0 ? "" : o->def);
    struct cy_node fake = {
        .type = CY_SCALAR, .line = 1, .col = 1, .str = text, .len = strlen(text), .plain = true};
    /* an empty default ("") is allowed even for strings */
    if ((o->type == OT_STR || o->type == OT_ENUM) && !*text) {
        char **p = (char **)((char *)obj + o->off);
        free(*p);
        *p = nr_xstrdup("");
        return;
    }
    (void)store(c, o, &fake, obj);
}

static void allowed_keys(const struct section *s, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n && k + 1 < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", s->opts[i].key);
}

/* Read mapping `map` (NULL: absent) against section `s` into obj. Simple
 * values and nested sections are stored; OT_LIST values are left in seen[]
 * for the caller. Returns the number of errors found. */
static int parse_section(struct ctx *c, const struct cy_node *map, const struct section *s,
                         void *obj, const struct cy_node **seen, const struct cy_node *at)
{
    const struct cy_node *keys[MAX_OPTS] = {0};
    const struct cy_node *local[MAX_OPTS];
    int errs = 0;
    if (s->n > MAX_OPTS)
        abort(); /* a table in this file outgrew MAX_OPTS */
    if (!seen)
        seen = local;
    for (size_t i = 0; i < s->n; i++)
        seen[i] = NULL;
    if (map && map->type != CY_MAP) {
        type_error(c, map, s->name, "mapping");
        return 1;
    }
    for (size_t i = 0; map && i + 1 < map->n; i += 2) {
        const struct cy_node *k = map->items[i], *v = map->items[i + 1];
        if (k->type != CY_SCALAR) {
            ERR(c, k, "keys in %s must be strings, got %s", s->name, kind_of(k));
            errs++;
            continue;
        }
        size_t j;
        for (j = 0; j < s->n; j++)
            if (strcmp(s->opts[j].key, k->str) == 0)
                break;
        if (j == s->n) {
            char allowed[512];
            allowed_keys(s, allowed, sizeof(allowed));
            ERR(c, k, "unknown key \"%s\" in %s (allowed: %s)", k->str, s->name, allowed);
            errs++;
            continue;
        }
        if (keys[j]) {
            ERR(c, k, "duplicate key \"%s\" (first at %s:%u:%u)", k->str, c->file, keys[j]->line,
                keys[j]->col);
            errs++;
            continue;
        }
        keys[j] = k;
        seen[j] = v;
        const struct opt *o = &s->opts[j];
        if (o->type == OT_SECTION) {
            if (!is_null(v))
                errs += parse_section(c, v, o->sub, obj, NULL, v);
            else
                errs += parse_section(c, NULL, o->sub, obj, NULL, v);
        } else if (o->type != OT_LIST && o->off != NO_OFF) {
            if (store(c, o, v, obj) < 0)
                errs++;
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        const struct opt *o = &s->opts[i];
        if (keys[i])
            continue;
        if (o->flags & OF_REQ) {
            const struct cy_node *p = map ? map : at;
            ERR(c, p, "missing required key \"%s\" in %s", o->key, s->name);
            errs++;
        } else if (o->type == OT_SECTION) {
            errs += parse_section(c, NULL, o->sub, obj, NULL, at);
        } else {
            store_default(c, o, obj);
        }
    }
    return errs;
}

/* ------------------------------------------------------------------------
 * Files
 * ---------------------------------------------------------------------- */

static const char *intern_file(struct nr_config *cfg, const char *path)
{
    /* cfg has no cap field: grow to exactly n+1 (a config has few files) */
    cfg->files = nr_xrealloc(cfg->files, (cfg->n_files + 1) * sizeof(char *));
    cfg->files[cfg->n_files] = nr_xstrdup(path);
    return cfg->files[cfg->n_files++];
}

static char *join_path(const char *base_file, const char *rel)
{
    const char *slash = strrchr(base_file, '/');
    if (rel[0] == '/' || !slash)
        return nr_xstrdup(rel);
    size_t dl = (size_t)(slash - base_file) + 1, rl = strlen(rel);
    char *p = nr_xmalloc(dl + rl + 1);
    memcpy(p, base_file, dl);
    memcpy(p + dl, rel, rl + 1);
    return p;
}

static char *read_file(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = nr_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_FILE_BYTES) {
                *err = EFBIG;
                goto fail;
            }
            cap *= 2;
            buf = nr_xrealloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                *err = errno ? errno : EIO;
                goto fail;
            }
            break;
        }
    }
    fclose(f);
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

/* Read and parse `path`. `from` is the path's scalar in the including file
 * (NULL for the main file). On success c->file is the new file. */
static int open_doc(struct ctx *c, const char *path, const struct cy_node *from, struct cy_doc *doc)
{
    for (size_t i = 0; i < c->cfg->n_files; i++) {
        if (strcmp(c->cfg->files[i], path) == 0) {
            ERR(c, from, "\"%s\" is already included", from->str);
            return -1;
        }
    }
    size_t len = 0;
    int err = 0;
    char *buf = read_file(path, &len, &err);
    if (!buf) {
        if (from)
            ERR(c, from, "cannot read \"%s\": %s", path, strerror(err));
        else
            nr_diags_add(c->d, path, 1, 1, "cannot read config file: %s", strerror(err));
        return -1;
    }
    c->file = intern_file(c->cfg, path);
    nr_diags_note_file(c->d, c->file);
    int rc = cy_load(buf, len, c->file, doc, c->d);
    doc->owned = buf; /* scalars point into it (query error positions) */
    if (rc < 0) {
        cy_doc_free(doc);
        return -1;
    }
    return 0;
}

/* The root mapping, or an empty one for an empty file. */
static const struct cy_node *doc_root(struct ctx *c, const struct cy_doc *doc,
                                      const struct cy_node *empty)
{
    if (!doc->root || is_null(doc->root))
        return empty;
    if (doc->root->type != CY_MAP) {
        ERR(c, doc->root, "expected a mapping at the top of the file, got %s", kind_of(doc->root));
        return NULL;
    }
    return doc->root;
}

/* ------------------------------------------------------------------------
 * Watchlists
 * ---------------------------------------------------------------------- */

static void pos_set(struct pos_ref **arr, size_t *cap, size_t i, struct nr_srcpos p)
{
    if (i >= *cap) {
        size_t old = *cap;
        nr_grow((void **)arr, cap, i + 1, sizeof(**arr));
        memset(*arr + old, 0, (*cap - old) * sizeof(**arr));
    }
    (*arr)[i].pos = p;
    (*arr)[i].set = true;
}

/* The key under which two aliases are "the same" for the conflict check:
 * the tagger's own normalization (text.h: case fold, compatibility forms,
 * marks stripped, apostrophes unified, dashes as spaces, white space
 * collapsed), trimmed, so that what the loader accepts as distinct never
 * lands on one pattern of the automaton. */
static char *alias_key(const char *s)
{
    struct nr_text t;
    nr_text_init(&t);
    nr_text_normalize(&t, s, strlen(s), 0);
    size_t b = 0, e = t.len;
    while (b < e && t.buf[b] == ' ')
        b++;
    while (e > b && t.buf[e - 1] == ' ')
        e--;
    char *o = nr_xstrndup(t.buf + b, e - b);
    nr_text_fini(&t);
    return o;
}

static char *trim_dup(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t l = strlen(s);
    while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\n' || s[l - 1] == '\r'))
        l--;
    return nr_xstrndup(s, l);
}

static void alias_add(struct ctx *c, struct nr_entity *e, char *text, unsigned flags,
                      const struct cy_node *at)
{
    char *t = trim_dup(text);
    free(text);
    if (!*t) {
        ERR(c, at, "empty alias in entity \"%s\"", e->id ? e->id : "?");
        free(t);
        return;
    }
    /* a repeat inside one entity (name listed again as an alias) is harmless */
    char *k = alias_key(t);
    for (size_t i = 0; i < e->n_aliases; i++) {
        char *k2 = alias_key(e->aliases[i].text);
        bool same = strcmp(k, k2) == 0;
        free(k2);
        if (same) {
            e->aliases[i].flags |= flags & (NR_ALIAS_DEMONYM | NR_ALIAS_NAME);
            free(k);
            free(t);
            return;
        }
    }
    free(k);
    e->aliases = nr_xrealloc(e->aliases, (e->n_aliases + 1) * sizeof(*e->aliases));
    e->aliases[e->n_aliases].text = t;
    e->aliases[e->n_aliases].flags = flags;
    e->aliases[e->n_aliases].pos = srcpos(c, at);
    e->n_aliases++;
}

static void parse_aliases(struct ctx *c, struct nr_entity *e, const struct cy_node *n,
                          const char *key, unsigned flags)
{
    if (n->type != CY_SEQ) {
        type_error(c, n, key, "sequence of aliases");
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        const struct cy_node *it = n->items[i];
        if (it->type == CY_MAP) {
            struct alias_opts ao = {0};
            const struct cy_node *as[MAX_OPTS];
            int errs = parse_section(c, it, &sec_alias, &ao, as, it);
            if (errs == 0 && ao.text) {
                unsigned f =
                    flags | (ao.cs ? NR_ALIAS_CASE : 0) | (ao.ambiguous ? NR_ALIAS_AMBIGUOUS : 0);
                alias_add(c, e, ao.text, f, as[opt_idx(&sec_alias, "text")]);
            } else {
                free(ao.text);
            }
            continue;
        }
        char *s = get_string(c, it, key, false);
        if (s)
            alias_add(c, e, s, flags, it);
    }
}

static bool is_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

static void parse_entity(struct ctx *c, const struct cy_node *item)
{
    struct nr_config *cfg = c->cfg;
    if (item->type != CY_MAP) {
        type_error(c, item, "entities item", "mapping");
        return;
    }
    nr_grow((void **)&cfg->entities, &c->cap_entities, cfg->n_entities + 1, sizeof(*cfg->entities));
    size_t idx = cfg->n_entities++;
    struct nr_entity *e = &cfg->entities[idx];
    memset(e, 0, sizeof(*e));
    const struct cy_node *es[MAX_OPTS];
    parse_section(c, item, &sec_entity, e, es, item);
    const struct cy_node *id_n = es[opt_idx(&sec_entity, "id")];
    e->pos = srcpos(c, id_n ? id_n : item);
    if (e->kind && !is_word(e->kind))
        ERR(c, es[opt_idx(&sec_entity, "kind")],
            "kind: \"%s\" is not a lowercase word (a-z, 0-9, _ and -)", e->kind);
    const struct cy_node *code_n = es[opt_idx(&sec_entity, "code")];
    if (e->code && !(strlen(e->code) == 2 && e->code[0] >= 'A' && e->code[0] <= 'Z' &&
                     e->code[1] >= 'A' && e->code[1] <= 'Z'))
        ERR(c, code_n, "code: \"%s\" is not an ISO 3166-1 alpha-2 code (two capital letters)",
            e->code);
    if (e->country)
        pos_set(&c->country_pos, &c->cap_country, idx,
                srcpos(c, es[opt_idx(&sec_entity, "country")]));
    if (e->id) {
        size_t *slot = strmap_slot(&c->entity_ids, e->id, true);
        if (*slot != (size_t)-1) {
            const struct nr_srcpos *p = &cfg->entities[*slot].pos;
            ERR(c, id_n, "duplicate entity id \"%s\" (first defined at %s:%u:%u)", e->id, p->file,
                p->line, p->col);
        } else {
            *slot = idx;
        }
    }
    if (e->name)
        alias_add(c, e, nr_xstrdup(e->name), NR_ALIAS_NAME, es[opt_idx(&sec_entity, "name")]);
    const struct cy_node *al = es[opt_idx(&sec_entity, "aliases")];
    if (al && !is_null(al))
        parse_aliases(c, e, al, "aliases", 0);
    const struct cy_node *dm = es[opt_idx(&sec_entity, "demonyms")];
    if (dm && !is_null(dm))
        parse_aliases(c, e, dm, "demonyms", NR_ALIAS_DEMONYM);
}

static void load_watchlist(struct ctx *c, const struct cy_doc *doc)
{
    struct cy_node empty = {.type = CY_MAP, .line = 1, .col = 1};
    const struct cy_node *root = doc_root(c, doc, &empty);
    if (!root)
        return;
    const struct cy_node *seen[MAX_OPTS];
    parse_section(c, root, &sec_wlfile, NULL, seen, root);
    const struct cy_node *ents = seen[0];
    if (!ents || is_null(ents))
        return;
    if (ents->type != CY_SEQ) {
        type_error(c, ents, "entities", "sequence of entities");
        return;
    }
    for (size_t i = 0; i < ents->n; i++)
        parse_entity(c, ents->items[i]);
}

/* After every watchlist: aliases claimed twice, country references. */
static void check_entities(struct ctx *c)
{
    struct nr_config *cfg = c->cfg;
    struct strmap owners = {0}; /* alias key -> entity index << 20 | alias index */
    for (size_t i = 0; i < cfg->n_entities; i++) {
        struct nr_entity *e = &cfg->entities[i];
        for (size_t a = 0; a < e->n_aliases; a++) {
            char *k = alias_key(e->aliases[a].text);
            if (!*k) { /* e.g. "--": nothing left to match */
                const struct nr_srcpos *p = &e->aliases[a].pos;
                nr_diags_add(c->d, p->file, p->line, p->col,
                             "alias \"%s\" of entity \"%s\" has no letters or digits to match",
                             e->aliases[a].text, e->id ? e->id : "?");
                free(k);
                continue;
            }
            size_t *slot = strmap_slot(&owners, k, true);
            free(k);
            if (*slot == (size_t)-1) {
                *slot = i << 20 | (a & 0xFFFFF);
                continue;
            }
            const struct nr_entity *o = &cfg->entities[*slot >> 20];
            const struct nr_alias *oa = &o->aliases[*slot & 0xFFFFF];
            const struct nr_srcpos *p = &e->aliases[a].pos;
            nr_diags_add(c->d, p->file, p->line, p->col,
                         "alias \"%s\" of entity \"%s\" is already claimed by entity \"%s\" "
                         "(\"%s\" at %s:%u:%u)",
                         e->aliases[a].text, e->id ? e->id : "?", o->id ? o->id : "?", oa->text,
                         oa->pos.file, oa->pos.line, oa->pos.col);
        }
    }
    strmap_free(&owners);
    for (size_t i = 0; i < cfg->n_entities; i++) {
        const struct nr_entity *e = &cfg->entities[i];
        cfg->entities[i].country_index = NR_NO_ENTITY;
        if (!e->country || i >= c->cap_country || !c->country_pos[i].set)
            continue;
        const size_t *slot = strmap_slot(&c->entity_ids, e->country, false);
        if (!slot) {
            const struct nr_srcpos *p = &c->country_pos[i].pos;
            nr_diags_add(c->d, p->file, p->line, p->col, "country: unknown entity id \"%s\"",
                         e->country);
        } else {
            cfg->entities[i].country_index = (uint32_t)*slot;
        }
    }
}

/* ------------------------------------------------------------------------
 * Rules
 * ---------------------------------------------------------------------- */

/* A parse error of a query or exclusion phrase, at its place in the file. */
static void query_error(struct ctx *c, const struct cy_node *n, const char *key,
                        const struct nr_query_error *qe)
{
    uint32_t line, col;
    cy_scalar_pos(n, qe->off, &line, &col);
    nr_diags_add(c->d, c->file, line, col, "%s: %s", key, qe->msg);
}

static struct nr_query **parse_phrases(struct ctx *c, const struct nr_strlist *l,
                                       const struct cy_node *seq, const char *key)
{
    struct nr_query **v = nr_xcalloc(l->n + 1, sizeof(*v));
    for (size_t k = 0; k < l->n; k++) {
        struct nr_query_error qe;
        v[k] = nr_query_parse_phrase(l->v[k], strlen(l->v[k]), &qe);
        if (!v[k] && seq && seq->type == CY_SEQ && seq->n == l->n)
            query_error(c, seq->items[k], key, &qe);
        else if (!v[k])
            ERR(c, seq, "%s: %s", key, qe.msg);
    }
    return v;
}

static void parse_signal(struct ctx *c, struct nr_topic *t, const struct cy_node *n)
{
    struct nr_topic_signal *sg = &t->signals[t->n_signals];
    memset(sg, 0, sizeof(*sg));
    const struct cy_node *qn = n;
    if (n->type == CY_MAP) {
        const struct cy_node *seen[MAX_OPTS];
        if (parse_section(c, n, &sec_signal, sg, seen, n) > 0) {
            free(sg->q);
            return;
        }
        qn = seen[opt_idx(&sec_signal, "q")];
    } else if (n->type == CY_SCALAR) {
        sg->q = get_string(c, n, "query", true);
        sg->weight = 1;
    } else {
        type_error(c, n, "query", "string or {q, weight}");
        return;
    }
    if (!sg->q)
        return;
    struct nr_query_error qe;
    sg->query = nr_query_parse(sg->q, strlen(sg->q), &qe);
    if (!sg->query) {
        query_error(c, qn, "query", &qe);
        free(sg->q);
        return;
    }
    sg->pos = srcpos(c, qn);
    t->n_signals++;
}

/* `query:` (a string or a list of strings and {q, weight}), `threshold`
 * against its old name, exclusions and the stemming language. */
static void parse_topic_query(struct ctx *c, struct nr_topic *t, const struct cy_node **ts)
{
    const struct cy_node *qn = ts[opt_idx(&sec_topic, "query")];
    if (qn && !is_null(qn)) {
        size_t n = qn->type == CY_SEQ ? qn->n : 1;
        t->signals = nr_xcalloc(n + 1, sizeof(*t->signals));
        if (qn->type == CY_SEQ) {
            for (size_t i = 0; i < qn->n; i++)
                parse_signal(c, t, qn->items[i]);
        } else {
            parse_signal(c, t, qn); /* a string, or one {q, weight} */
        }
    }
    const struct cy_node *th = ts[opt_idx(&sec_topic, "threshold")];
    const struct cy_node *ms = ts[opt_idx(&sec_topic, "min_score")];
    if (th && ms)
        ERR(c, ms, "give `threshold` or its old name `min_score`, not both");
    t->exclude_q = parse_phrases(c, &t->exclude, ts[opt_idx(&sec_topic, "exclude")], "exclude");
    const struct cy_node *en = ts[opt_idx(&sec_topic, "exclude_near")];
    const struct cy_node *ent = NULL;
    for (size_t i = 0; en && en->type == CY_MAP && i + 1 < en->n; i += 2)
        if (en->items[i]->type == CY_SCALAR && strcmp(en->items[i]->str, "terms") == 0)
            ent = en->items[i + 1];
    t->exclude_near.q = parse_phrases(c, &t->exclude_near.terms, ent, "exclude_near");
    t->stem_lang = -1;
    if (t->language && strcmp(t->language, "none") != 0) {
        t->stem_lang = nr_stem_lang(t->language);
        if (t->stem_lang < 0)
            ERR(c, ts[opt_idx(&sec_topic, "language")],
                "language: no Snowball stemmer for \"%s\" (ISO 639-1 code such as en, fr, es, "
                "de, ru, ar, tr, pt; or none)",
                t->language);
    }
}

static void parse_topic(struct ctx *c, const struct cy_node *item)
{
    struct nr_config *cfg = c->cfg;
    if (item->type != CY_MAP) {
        type_error(c, item, "topics item", "mapping");
        return;
    }
    nr_grow((void **)&cfg->topics, &c->cap_topics, cfg->n_topics + 1, sizeof(*cfg->topics));
    size_t idx = cfg->n_topics++;
    struct nr_topic *t = &cfg->topics[idx];
    memset(t, 0, sizeof(*t));
    t->min_score = 1; /* threshold and min_score share it: no table default */
    const struct cy_node *ts[MAX_OPTS];
    parse_section(c, item, &sec_topic, t, ts, item);
    const struct cy_node *id_n = ts[opt_idx(&sec_topic, "id")];
    t->pos = srcpos(c, id_n ? id_n : item);
    if (!t->name && t->id)
        t->name = nr_xstrdup(t->id);
    const struct cy_node *near = ts[opt_idx(&sec_topic, "near")];
    if (near && !is_null(near)) {
        if (near->type != CY_SEQ) {
            type_error(c, near, "near", "sequence");
        } else {
            t->near = nr_xcalloc(near->n + 1, sizeof(*t->near));
            for (size_t i = 0; i < near->n; i++) {
                const struct cy_node *it = near->items[i];
                if (it->type != CY_MAP) {
                    type_error(c, it, "near item", "mapping");
                    continue;
                }
                parse_section(c, it, &sec_near, &t->near[t->n_near++], NULL, it);
            }
        }
    }
    parse_topic_query(c, t, ts);
    if (t->any.n == 0 && t->n_near == 0 && t->n_signals == 0 &&
        !(near && near->type == CY_SEQ && near->n > 0) && !ts[opt_idx(&sec_topic, "query")])
        ERR(c, item, "topic \"%s\" has no phrases (give `query:`, `any:` or `near:`)",
            t->id ? t->id : "?");
    if (t->id) {
        size_t *slot = strmap_slot(&c->topic_ids, t->id, true);
        if (*slot != (size_t)-1) {
            const struct nr_srcpos *p = &cfg->topics[*slot].pos;
            ERR(c, id_n, "duplicate topic id \"%s\" (first defined at %s:%u:%u)", t->id, p->file,
                p->line, p->col);
        } else {
            *slot = idx;
        }
    }
}

static const struct cy_node *at_or(const struct cy_node *n, const struct cy_node *dflt)
{
    return n ? n : dflt;
}

static void parse_alert(struct ctx *c, const struct cy_node *item)
{
    struct nr_config *cfg = c->cfg;
    if (item->type != CY_MAP) {
        type_error(c, item, "alerts item", "mapping");
        return;
    }
    nr_grow((void **)&cfg->rules, &c->cap_rules, cfg->n_rules + 1, sizeof(*cfg->rules));
    size_t idx = cfg->n_rules++;
    struct nr_alert_rule *r = &cfg->rules[idx];
    memset(r, 0, sizeof(*r));
    r->topic_index = -1;
    const struct cy_node *rs[MAX_OPTS];
    int errs = parse_section(c, item, &sec_alert, r, rs, item);
#define RS(k) at_or(rs[opt_idx(&sec_alert, k)], item)
    const struct cy_node *id_n = RS("id");
    r->pos = srcpos(c, id_n);
    if (r->topic)
        pos_set(&c->topic_pos, &c->cap_topic, idx, srcpos(c, RS("topic")));
    if (r->by.n)
        pos_set(&c->by_pos, &c->cap_by, idx, srcpos(c, RS("by")));
    if (r->id) {
        size_t *slot = strmap_slot(&c->rule_ids, r->id, true);
        if (*slot != (size_t)-1) {
            const struct nr_srcpos *p = &cfg->rules[*slot].pos;
            ERR(c, id_n, "duplicate alert rule id \"%s\" (first defined at %s:%u:%u)", r->id,
                p->file, p->line, p->col);
        } else {
            *slot = idx;
        }
    }
    if (errs)
        return; /* the checks below would only repeat a bad value */
    char a[32], b[32];
    if (r->window_ms % r->bucket_ms != 0) {
        nr_duration_format(r->window_ms, a, sizeof(a));
        nr_duration_format(r->bucket_ms, b, sizeof(b));
        ERR(c, RS("window"), "window (%s) is not a multiple of bucket (%s)", a, b);
    }
    if (r->baseline_ms <= r->window_ms) {
        nr_duration_format(r->baseline_ms, a, sizeof(a));
        nr_duration_format(r->window_ms, b, sizeof(b));
        ERR(c, RS("baseline"), "baseline (%s) must be longer than window (%s)", a, b);
    } else if (r->baseline_ms % r->baseline_bucket_ms != 0) {
        nr_duration_format(r->baseline_ms, a, sizeof(a));
        nr_duration_format(r->baseline_bucket_ms, b, sizeof(b));
        ERR(c, RS("baseline"), "baseline (%s) is not a multiple of baseline_bucket (%s)", a, b);
    }
    if (r->min_ratio == 0 && r->max_p == 0)
        r->min_ratio = 3.0;
    double base = r->min_ratio > 0 ? r->min_ratio : 3.0;
    for (int s = NR_SEV_MEDIUM; s <= NR_SEV_CRITICAL; s++)
        if (r->severity_ratio[s] == 0)
            r->severity_ratio[s] = base * (double)(1 << (s - NR_SEV_MEDIUM + 1));
    if (!(r->severity_ratio[NR_SEV_MEDIUM] <= r->severity_ratio[NR_SEV_HIGH] &&
          r->severity_ratio[NR_SEV_HIGH] <= r->severity_ratio[NR_SEV_CRITICAL]))
        ERR(c, RS("severity"),
            "severity: thresholds must not decrease (medium %g, high %g, critical %g)",
            r->severity_ratio[NR_SEV_MEDIUM], r->severity_ratio[NR_SEV_HIGH],
            r->severity_ratio[NR_SEV_CRITICAL]);
#undef RS
}

static void load_rules(struct ctx *c, const struct cy_doc *doc)
{
    struct cy_node empty = {.type = CY_MAP, .line = 1, .col = 1};
    const struct cy_node *root = doc_root(c, doc, &empty);
    if (!root)
        return;
    const struct cy_node *seen[MAX_OPTS];
    parse_section(c, root, &sec_rulefile, NULL, seen, root);
    for (int w = 0; w < 2; w++) {
        const struct cy_node *l = seen[w];
        if (!l || is_null(l))
            continue;
        if (l->type != CY_SEQ) {
            type_error(c, l, sec_rulefile.opts[w].key, "sequence");
            continue;
        }
        for (size_t i = 0; i < l->n; i++) {
            if (w == 0)
                parse_topic(c, l->items[i]);
            else
                parse_alert(c, l->items[i]);
        }
    }
}

/* After every rule file: topic references and entity kinds. */
static void check_rules(struct ctx *c)
{
    struct nr_config *cfg = c->cfg;
    struct strmap kinds = {0};
    for (size_t i = 0; i < cfg->n_entities; i++)
        if (cfg->entities[i].kind)
            *strmap_slot(&kinds, cfg->entities[i].kind, true) = i;
    for (size_t i = 0; i < cfg->n_rules; i++) {
        struct nr_alert_rule *r = &cfg->rules[i];
        /* a rule id is part of every window key and Kafka message key */
        if (r->id && strlen(r->id) > NR_RULE_ID_MAX)
            nr_diags_add(c->d, r->pos.file, r->pos.line, r->pos.col,
                         "id: rule id \"%.40s...\" is %zu bytes, at most %d", r->id, strlen(r->id),
                         NR_RULE_ID_MAX);
        if (r->topic && i < c->cap_topic && c->topic_pos[i].set) {
            size_t *slot = strmap_slot(&c->topic_ids, r->topic, false);
            if (slot) {
                r->topic_index = (int)*slot;
            } else {
                const struct nr_srcpos *p = &c->topic_pos[i].pos;
                nr_diags_add(c->d, p->file, p->line, p->col, "topic: unknown topic \"%s\"",
                             r->topic);
            }
        }
        /* without entities (no watchlist read) every kind would be unknown */
        if (cfg->n_entities > 0 && i < c->cap_by && c->by_pos[i].set) {
            for (size_t k = 0; k < r->by.n; k++) {
                if (strmap_slot(&kinds, r->by.v[k], false))
                    continue;
                if (strcmp(r->by.v[k], "official") == 0 &&
                    cfg->lex.roles.n + cfg->lex.weak_roles.n > 0)
                    continue; /* officials found by their role */
                const struct nr_srcpos *p = &c->by_pos[i].pos;
                nr_diags_add(c->d, p->file, p->line, p->col, "by: no entity has kind \"%s\"",
                             r->by.v[k]);
            }
        }
    }
    strmap_free(&kinds);
}

/* ------------------------------------------------------------------------
 * Main file
 * ---------------------------------------------------------------------- */

/* ------------------------------------------------------------------------
 * Lexicon files
 * ---------------------------------------------------------------------- */

static void strlist_append(struct nr_strlist *to, struct nr_strlist *from)
{
    to->v = nr_xrealloc(to->v, (to->n + from->n + 1) * sizeof(char *));
    if (from->n)
        memcpy(to->v + to->n, from->v, from->n * sizeof(char *));
    to->n += from->n;
    free(from->v);
    from->v = NULL;
    from->n = 0;
}

/* Every word list item must leave something to match after normalization. */
static void lex_check_list(struct ctx *c, const struct cy_node *list, const char *key)
{
    if (!list || list->type != CY_SEQ)
        return;
    for (size_t i = 0; i < list->n; i++) {
        const struct cy_node *it = list->items[i];
        if (it->type != CY_SCALAR)
            continue; /* get_strlist reported it */
        char *k = alias_key(it->str);
        if (!*k)
            ERR(c, it, "%s: \"%s\" has no letters or digits to match", key, it->str);
        free(k);
    }
}

static void load_lexicon(struct ctx *c, const struct cy_doc *doc)
{
    struct cy_node empty = {.type = CY_MAP, .line = 1, .col = 1};
    const struct cy_node *root = doc_root(c, doc, &empty);
    if (!root)
        return;
    struct nr_lexicon tmp;
    memset(&tmp, 0, sizeof(tmp));
    const struct cy_node *seen[MAX_OPTS];
    parse_section(c, root, &sec_lexfile, &tmp, seen, root);
    for (size_t k = 0; k < sec_lexfile.n; k++)
        if (sec_lexfile.opts[k].type == OT_STRLIST)
            lex_check_list(c, seen[k], sec_lexfile.opts[k].key);
    struct nr_lexicon *lx = &c->cfg->lex;
    strlist_append(&lx->roles, &tmp.roles);
    strlist_append(&lx->weak_roles, &tmp.weak_roles);
    strlist_append(&lx->particles, &tmp.particles);
    strlist_append(&lx->not_names, &tmp.not_names);
    strlist_append(&lx->org_words, &tmp.org_words);
    strlist_append(&lx->governing, &tmp.governing);
    strlist_append(&lx->first_names, &tmp.first_names);
    strlist_append(&lx->person_like, &tmp.person_like);
    const struct cy_node *ctxs = seen[opt_idx(&sec_lexfile, "contexts")];
    if (!ctxs || is_null(ctxs))
        return;
    if (ctxs->type != CY_SEQ) {
        type_error(c, ctxs, "contexts", "sequence of context rules");
        return;
    }
    lx->contexts =
        nr_xrealloc(lx->contexts, (lx->n_contexts + ctxs->n + 1) * sizeof(*lx->contexts));
    for (size_t i = 0; i < ctxs->n; i++) {
        const struct cy_node *it = ctxs->items[i];
        struct nr_lex_context *x = &lx->contexts[lx->n_contexts++];
        memset(x, 0, sizeof(*x));
        x->pos = srcpos(c, it);
        const struct cy_node *xs[MAX_OPTS];
        if (parse_section(c, it, &sec_lexctx, x, xs, it) == 0 && x->not_after.n == 0 &&
            x->not_before.n == 0)
            ERR(c, it, "context rule for \"%s\" has neither not_after nor not_before", x->alias);
        lex_check_list(c, xs[opt_idx(&sec_lexctx, "not_after")], "not_after");
        lex_check_list(c, xs[opt_idx(&sec_lexctx, "not_before")], "not_before");
    }
}

/* After watchlists and lexicons: a context rule must name an alias. */
static void check_lexicon(struct ctx *c)
{
    const struct nr_config *cfg = c->cfg;
    if (cfg->lex.n_contexts == 0)
        return;
    struct strmap aliases = {0};
    for (size_t i = 0; i < cfg->n_entities; i++)
        for (size_t a = 0; a < cfg->entities[i].n_aliases; a++) {
            char *k = alias_key(cfg->entities[i].aliases[a].text);
            *strmap_slot(&aliases, k, true) = i;
            free(k);
        }
    for (size_t i = 0; i < cfg->lex.n_contexts; i++) {
        const struct nr_lex_context *x = &cfg->lex.contexts[i];
        if (!x->alias)
            continue;
        char *k = alias_key(x->alias);
        if (!strmap_slot(&aliases, k, false))
            nr_diags_add(c->d, x->pos.file, x->pos.line, x->pos.col,
                         "context rule: \"%s\" is no alias of any entity", x->alias);
        free(k);
    }
    strmap_free(&aliases);
}

static void lexicon_free(struct nr_lexicon *lx)
{
    strlist_free(&lx->roles);
    strlist_free(&lx->weak_roles);
    strlist_free(&lx->particles);
    strlist_free(&lx->not_names);
    strlist_free(&lx->org_words);
    strlist_free(&lx->governing);
    strlist_free(&lx->first_names);
    strlist_free(&lx->person_like);
    for (size_t i = 0; i < lx->n_contexts; i++) {
        free(lx->contexts[i].alias);
        strlist_free(&lx->contexts[i].not_after);
        strlist_free(&lx->contexts[i].not_before);
    }
    free(lx->contexts);
}

enum include_kind { INC_WATCHLISTS, INC_RULES, INC_LEXICONS };

static void load_includes(struct ctx *c, const struct cy_node *list, const char *key,
                          enum include_kind kind)
{
    bool watchlists = kind == INC_WATCHLISTS;
    const char *main_file = c->file;
    if (!list || is_null(list))
        return;
    if (list->type != CY_SEQ) {
        type_error(c, list, key, "sequence of paths");
        return;
    }
    if (watchlists && list->n == 0) {
        ERR(c, list, "%s: at least one watchlist file is required", key);
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        c->file = main_file;
        char *rel = get_string(c, list->items[i], key, true);
        if (!rel)
            continue;
        char *path = join_path(main_file, rel);
        free(rel);
        struct cy_doc doc;
        if (open_doc(c, path, list->items[i], &doc) == 0) {
            if (kind == INC_WATCHLISTS)
                load_watchlist(c, &doc);
            else if (kind == INC_RULES)
                load_rules(c, &doc);
            else
                load_lexicon(c, &doc);
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

struct nr_config *nr_config_load(const char *path, struct nr_diags *diags)
{
    struct nr_config *cfg = nr_xcalloc(1, sizeof(*cfg));
    struct nr_diags local = {0};
    if (!diags)
        diags = &local;
    size_t errs0 = diags->n;
    struct ctx c = {.cfg = cfg, .d = diags};
    cfg->path = nr_xstrdup(path);
    struct cy_doc doc;
    if (open_doc(&c, path, NULL, &doc) == 0) {
        struct cy_node empty = {.type = CY_MAP, .line = 1, .col = 1};
        const struct cy_node *root = doc_root(&c, &doc, &empty);
        if (root) {
            const struct cy_node *seen[MAX_OPTS];
            parse_section(&c, root, &sec_main, cfg, seen, root);
            apply_preset(cfg);
            const char *main_file = c.file;
            load_includes(&c, seen[opt_idx(&sec_main, "watchlists")], "watchlists", INC_WATCHLISTS);
            check_entities(&c);
            c.file = main_file;
            load_includes(&c, seen[opt_idx(&sec_main, "lexicons")], "lexicons", INC_LEXICONS);
            check_lexicon(&c);
            c.file = main_file;
            load_includes(&c, seen[opt_idx(&sec_main, "rules")], "rules", INC_RULES);
            check_rules(&c);
        }
        cy_doc_free(&doc);
    }
    strmap_free(&c.entity_ids);
    strmap_free(&c.topic_ids);
    strmap_free(&c.rule_ids);
    free(c.country_pos);
    free(c.topic_pos);
    free(c.by_pos);
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
        strlist_free(&cfg->field_more[i]);
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
    for (size_t i = 0; i < cfg->n_topics; i++) {
        struct nr_topic *t = &cfg->topics[i];
        free(t->id);
        free(t->name);
        strlist_free(&t->any);
        for (size_t k = 0; t->exclude_q && k < t->exclude.n; k++)
            nr_query_free(t->exclude_q[k]);
        free(t->exclude_q);
        for (size_t k = 0; t->exclude_near.q && k < t->exclude_near.terms.n; k++)
            nr_query_free(t->exclude_near.q[k]);
        free(t->exclude_near.q);
        strlist_free(&t->exclude_near.terms);
        strlist_free(&t->exclude);
        for (size_t k = 0; k < t->n_signals; k++) {
            free(t->signals[k].q);
            nr_query_free(t->signals[k].query);
        }
        free(t->signals);
        free(t->language);
        for (size_t k = 0; k < t->n_near; k++) {
            strlist_free(&t->near[k].terms);
            strlist_free(&t->near[k].with);
        }
        free(t->near);
    }
    free(cfg->topics);
    for (size_t i = 0; i < cfg->n_rules; i++) {
        free(cfg->rules[i].id);
        free(cfg->rules[i].topic);
        strlist_free(&cfg->rules[i].by);
    }
    free(cfg->rules);
    lexicon_free(&cfg->lex);
    struct nr_kafka_opts *k = &cfg->kafka;
    free(k->brokers);
    free(k->group_id);
    strlist_free(&k->input_topics);
    free(k->alert_topic);
    free(k->dead_letter_topic);
    free(k->repartition_topic);
    free(k->enriched_topic);
    free(k->changelog_topic);
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
    struct strmap seen = {0};
    for (size_t i = 0; i < cfg->n_entities; i++) {
        size_t *slot = strmap_slot(&seen, cfg->entities[i].kind, true);
        if (*slot == (size_t)-1) {
            *slot = i;
            kinds++;
        }
    }
    strmap_free(&seen);
    snprintf(buf, len, "ok: %zu %s (%zu %s), %zu %s, %zu alert %s from %zu %s", cfg->n_entities,
             cfg->n_entities == 1 ? "entity" : "entities", kinds, kinds == 1 ? "kind" : "kinds",
             cfg->n_topics, cfg->n_topics == 1 ? "topic" : "topics", cfg->n_rules,
             cfg->n_rules == 1 ? "rule" : "rules", cfg->n_files,
             cfg->n_files == 1 ? "file" : "files");
}

/* ------------------------------------------------------------------------
 * Documentation
 * ---------------------------------------------------------------------- */

static const char *type_name(const struct opt *o)
{
    if (o->tname)
        return o->tname;
    switch (o->type) {
    case OT_STR:
        return "string";
    case OT_ENUM:
        return "enum";
    case OT_U32:
        return "integer";
    case OT_SIZE:
        return "integer (bytes)";
    case OT_DOUBLE:
        return "number";
    case OT_BOOL:
        return "boolean";
    case OT_DUR:
        return "duration";
    case OT_STRLIST:
        return "list of strings";
    case OT_MAP:
        return "map of strings";
    case OT_SECTION:
        return "section";
    case OT_LIST:
        return "list";
    case OT_PTRS:
        return "JSON pointer or list";
    }
    return "?";
}

void nr_config_print_options(void *stdio_file)
{
    FILE *f = stdio_file;
    for (size_t s = 0; s < NR_ARRAY_LEN(all_sections); s++) {
        const struct section *sec = all_sections[s];
        fprintf(f, "### %s\n\nIn: %s.\n\n", sec->name, sec->where);
        fprintf(f, "| key | type | default | range | description |\n");
        fprintf(f, "| --- | --- | --- | --- | --- |\n");
        for (size_t i = 0; i < sec->n; i++) {
            const struct opt *o = &sec->opts[i];
            char range[80] = "";
            char tbuf[128];
            const char *tn = type_name(o);
            if (o->type == OT_ENUM) {
                snprintf(tbuf, sizeof(tbuf), "one of: %s", o->choices);
                for (char *p = tbuf; *p; p++)
                    if (*p == '|')
                        *p = ',';
                tn = tbuf;
            } else if (o->type == OT_SECTION) {
                snprintf(tbuf, sizeof(tbuf), "section (see %s)", o->sub->name);
                tn = tbuf;
            }
            range_text(o, range, sizeof(range));
            fprintf(f, "| `%s` | %s | ", o->key, tn);
            if (o->flags & OF_REQ)
                fprintf(f, "required");
            else if (o->def && (o->flags & OF_DOCDEF))
                fprintf(f, "%s", o->def);
            else if (o->def)
                fprintf(f, "`%s`", o->def);
            else if (o->type != OT_SECTION)
                fprintf(f, "none");
            fprintf(f, " | %s | %s |\n", range, o->help);
        }
        fprintf(f, "\n");
    }
}
