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
 * from the wire).
 *
 * Wire form (the repartition topic), format 2: a little-endian binary record
 * written and read by hand, ~0.1 us each way, no allocation once the
 * buffers have grown. Rule and entities travel as id strings, so a consumer
 * running a reloaded config resolves them by id (a hash index kept in
 * struct nr_event_buf); indices never cross the wire. All integers are
 * little-endian; strN = uN byte length + bytes (not NUL-terminated).
 *
 *   u8  magic 0xCE          u8  version (2; 1 is read too)
 *   u8  n_dims (<= 4)       u8  n_co (<= 16)
 *   u8  present: bit 0 article id, 1 title, 2 url, 3 source, 4 published,
 *       5 language (format 2 only); other bits must be 0
 *   u8  0 (reserved)
 *   i64 event_ms            i64 published_ms (0 when absent)
 *   u64 simhash             u64 id_hash
 *   str16 rule id
 *   n_dims x { u8 by (index into the rule's `by`), str16 entity id }
 *       (by | 0x80: a role-derived official, the string is its folded
 *       name; the rule's `by` must be official or entity)
 *   n_co   x { u32 mentions, str16 entity id }
 *   str32 id, title, url, source: those present, in this order
 *   str8  language (bit 5): 2 or 3 lowercase ASCII letters (lang.h tag)
 *
 * Format 2 added the language (alert evidence shows it); a format-1 record
 * (earlier builds, in flight during an upgrade) is read as one without.
 *
 * The record ends exactly there. The key string is not sent: decode
 * rebuilds it from the dimensions under the local config (the Kafka message
 * key carries "rule|key" anyway). Decode checks every length against the
 * buffer and rejects, with a message: another magic or version ("count
 * event format version 3, this build reads 1 and 2"), truncation, trailing bytes,
 * an unknown rule or dimension entity, an entity no longer of the kind its
 * dimension names, a dimension count that is not the rule's, bad times,
 * invalid UTF-8 in article strings, a missing article id. A co-mentioned
 * entity that is no longer in the config is dropped (as window snapshots
 * do): it is evidence only, and the count must survive a reload.
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
/* Evidence strings (id, title, url, source) an event carries are cut to
 * this many bytes (on a UTF-8 boundary), so an event stays small whatever
 * the article; exact dedup hashes the whole id (id_hash). */
#define NR_EVENT_STR_MAX 2048

struct nr_event_dim {
    uint32_t by;     /* index into rule->by (the kind, or "entity" = any kind) */
    uint32_t entity; /* index into cfg->entities, or NR_NO_ENTITY: a role-derived official */
    /* a role-derived official: its folded name (the dimension's id) is
     * key[key_off, key_off + key_len) of the event's (or window key's) key
     * string; offsets, not a pointer, so a copy of the key carries it */
    uint16_t key_off, key_len;
};

struct nr_event_co {
    uint32_t entity; /* index into cfg->entities */
    uint32_t mentions;
};

struct nr_article_ref {
    struct nr_str id, title, url, source; /* p == NULL when absent */
    int64_t published_ms;                 /* NR_TIME_NONE when absent */
    uint64_t simhash;
    char lang[NR_LANG_TAG_MAX]; /* the article's language (lang.h), "" unknown */
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
/* The same with role-derived officials: names[i] (length lens[i]) is the
 * folded name of dims[i] when dims[i].entity is NR_NO_ENTITY; their
 * key_off/key_len are set. -1 (key = "") also for a dynamic dimension
 * without a name. */
int nr_event_key_dyn(const struct nr_config *cfg, const struct nr_alert_rule *r,
                     struct nr_event_dim *dims, uint32_t n_dims, const char *const *names,
                     const size_t *lens, char key[NR_EVENT_KEY_MAX]);

/* Longest folded name of a role-derived official in a key (bytes). */
#define NR_EVENT_DYN_MAX 128
/* May dimension `by` of rule r be the role-derived official `name`? (by in
 * range, the rule keys by official or entity, 1..NR_EVENT_DYN_MAX bytes of
 * valid UTF-8 without NUL or comma.) For decoders of the wire and of
 * snapshots. */
bool nr_event_dyn_ok(const struct nr_alert_rule *r, uint32_t by, const void *name, size_t len);

/* Stage 1 without the engine: call fn for every event of one tagged article.
 * Returns the number of events produced. Events whose key would not fit in
 * NR_EVENT_KEY_MAX are skipped (counted in *n_skipped if not NULL). */
typedef void (*nr_event_cb)(void *ud, const struct nr_count_event *ev);
size_t nr_event_build(const struct nr_config *cfg, const struct nr_article *a,
                      const struct nr_tags *t, int64_t event_ms, nr_event_cb fn, void *ud,
                      size_t *n_skipped);

#define NR_EVENT_WIRE_MAGIC     0xCE
#define NR_EVENT_WIRE_VERSION   2
#define NR_EVENT_WIRE_VERSION_1 1 /* read too: no language */

/* Binary wire form (format 2) into *buf (of *cap bytes, grown with
 * nr_grow; may start NULL/0 and is reused between calls); *len = bytes
 * written. -1 (nothing written) if the event does not fit the config (rule
 * or entity index out of range, too many dims or co-mentions) or a string
 * does not fit its length field. The caller frees *buf. */
int nr_event_encode_buf(const struct nr_config *cfg, const struct nr_count_event *ev, uint8_t **buf,
                        size_t *cap, size_t *len);

/* Batches. Stage 1 sends the events of one repartition partition that a
 * poll of articles made as one Kafka message: one message per partition and
 * poll instead of one per event, which is most of the Kafka cost otherwise.
 *
 *   u8 magic 0xCB   u8 version (1)   u16 0 (reserved)   u32 n_events (>= 1)
 *   n_events x { u32 length, one count-event record of that length }
 *
 * A reader accepts a batch or one bare record (magic 0xCE, what
 * earlier versions sent), so a rolling upgrade reads what is in flight. */
#define NR_EVENT_BATCH_MAGIC   0xCB
#define NR_EVENT_BATCH_VERSION 1

struct nr_event_batch {
    uint8_t *buf; /* header + records; buf[0..len) is a complete batch when n > 0 */
    size_t len, cap;
    uint32_t n;
    size_t last_off; /* the record added last: buf[last_off .. + last_len) */
    uint32_t last_len;
};
/* Append ev; -1 (nothing appended) as nr_event_encode_buf. */
int nr_event_batch_add(const struct nr_config *cfg, struct nr_event_batch *b,
                       const struct nr_count_event *ev);
/* Append a record encoded elsewhere (by nr_event_batch_add into another
 * batch; len <= UINT32_MAX), copied as is. */
void nr_event_batch_add_raw(struct nr_event_batch *b, const void *rec, size_t len);
void nr_event_batch_clear(struct nr_event_batch *b); /* empty, memory kept */
void nr_event_batch_free(struct nr_event_batch *b);

struct nr_event_reader {
    const uint8_t *p;
    size_t len, off;
    uint32_t n, i;
    bool single;
};
/* Open a message: the number of records it announces (>= 1; capped at
 * INT32_MAX), or -1 with a message (bad magic, version, header). */
int nr_event_reader_open(struct nr_event_reader *r, const char *buf, size_t len,
                         struct nr_error *err);
/* The next record, for nr_event_decode: 1, or 0 at the end, or -1 with a
 * message (a record runs past the message, or bytes are left after the
 * last); nothing more is read after -1. */
int nr_event_reader_next(struct nr_event_reader *r, const char **rec, size_t *rlen,
                         struct nr_error *err);

/* A decoded event, the memory its strings live in, and the id index of the
 * config last decoded against (rebuilt when the config changes). Start from
 * all zeroes. */
struct nr_event_buf {
    struct nr_count_event ev;
    char *mem;
    size_t cap;
    /* private: open-addressing tables of index + 1, for idx_cfg */
    const struct nr_config *idx_cfg;
    const void *idx_ents, *idx_rules;
    size_t idx_n_ents, idx_n_rules;
    uint32_t *ent_tab, *rule_tab;
    size_t ent_mask, rule_mask;
};
void nr_event_buf_free(struct nr_event_buf *b); /* frees its memory, not b */

/* Format 2 or 1 -> b->ev: 0, or -1 with a message. b may be reused
 * between calls (no allocation once its buffers have grown). */
int nr_event_decode(const struct nr_config *cfg, const char *buf, size_t len,
                    struct nr_event_buf *b, struct nr_error *err);

#endif
