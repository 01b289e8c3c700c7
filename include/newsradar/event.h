/*
 * event.h - count events: what stage 1 (tagging) hands to stage 2 (windows).
 *
 * One tagged article yields one event per alert rule whose topic matched,
 * times the cross product of the rule's `by` dimensions (capped). An event is
 * self-contained: the key string, the dimensions, the event time, a reference
 * to the article (for evidence) and the entities co-mentioned in it, so that
 * the Kafka service can ship it through a repartition topic keyed by `key`.
 *
 * Strings in struct nr_count_event are borrowed (struct nr_str); they point
 * into the decoder's buffer (stage 1) or into a struct nr_event_buf (decoded
 * from the wire). nr_event_encode/nr_event_decode use a small JSON object
 * (~2 us each); decode validates every field against the config and rejects
 * garbage with a message.
 */
#ifndef NEWSRADAR_EVENT_H
#define NEWSRADAR_EVENT_H

#include "newsradar/article.h"
#include "newsradar/common.h"
#include "newsradar/config.h"
#include "newsradar/tagger.h"

#define NR_EVENT_KEY_MAX   256 /* bytes of the key string, NUL included */
#define NR_EVENT_MAX_DIMS  4   /* `by` kinds per rule that make a key */
#define NR_EVENT_MAX_CO    16  /* co-mentioned entities carried per event */
#define NR_EVENTS_PER_RULE 16  /* cap on the cross product per article */

struct nr_event_dim {
    uint32_t by;     /* index into rule->by (the kind, or "entity" = any kind) */
    uint32_t entity; /* index into cfg->entities */
};

struct nr_event_co {
    uint32_t entity; /* index into cfg->entities */
    uint32_t mentions;
};

struct nr_article_ref {
    struct nr_str id, title, url, source; /* p == NULL when absent */
    int64_t published_ms;                 /* NR_TIME_NONE when absent */
    uint64_t simhash;
};

struct nr_count_event {
    uint32_t rule;              /* index into cfg->rules */
    char key[NR_EVENT_KEY_MAX]; /* "country=PK,group=TTP"; "" = the global key */
    uint32_t n_dims;
    struct nr_event_dim dims[NR_EVENT_MAX_DIMS];
    int64_t event_ms;
    struct nr_article_ref article;
    uint64_t id_hash; /* nr_hash64 of the article id */
    uint32_t n_co;
    struct nr_event_co co[NR_EVENT_MAX_CO]; /* most mentioned first */
};

/* The article id hash used for exact dedup everywhere. */
uint64_t nr_event_id_hash(const char *id, size_t len);

/* The key string of dims under rule r ("country=PK,group=TTP": the rule's
 * `by` word and the entity id per dimension, in order; "" without dims).
 * dims[i].by indexes r->by, dims[i].entity cfg->entities (both trusted).
 * Returns its length, or -1 (key = "") if it would not fit. */
int nr_event_key(const struct nr_config *cfg, const struct nr_alert_rule *r,
                 const struct nr_event_dim *dims, uint32_t n_dims, char key[NR_EVENT_KEY_MAX]);

/* Stage 1 without the engine: call fn for every event of one tagged article.
 * Returns the number of events produced. Events whose key would not fit in
 * NR_EVENT_KEY_MAX are skipped (counted in *n_skipped if not NULL). */
typedef void (*nr_event_cb)(void *ud, const struct nr_count_event *ev);
size_t nr_event_build(const struct nr_config *cfg, const struct nr_article *a,
                      const struct nr_tags *t, int64_t event_ms, nr_event_cb fn, void *ud,
                      size_t *n_skipped);

/* Wire form (JSON text, NUL-terminated, caller frees). */
char *nr_event_encode(const struct nr_config *cfg, const struct nr_count_event *ev);

/* A decoded event and the memory its strings live in. */
struct nr_event_buf {
    struct nr_count_event ev;
    char *mem;
    size_t cap;
};
void nr_event_buf_free(struct nr_event_buf *b); /* frees mem, not b */

/* 0 and fills b->ev, or -1 with a message. b may be reused between calls. */
int nr_event_decode(const struct nr_config *cfg, const char *buf, size_t len,
                    struct nr_event_buf *b, struct nr_error *err);

#endif
