/*
 * article.h - decode article JSON messages into the fields we use.
 *
 * Fields are found through the JSON pointers of the config (cfg->field_ptr,
 * cfg->field_more). Strings in struct nr_article are unescaped UTF-8 owned
 * by the decoder and valid until the next decode on the same decoder. A
 * decoder is per-thread scratch; reuse it (no per-article malloc in steady
 * state).
 *
 * A message holds one article (an object) or several: a top-level array of
 * articles, or an envelope whose array is at `article.records`
 * (NewsAPI's {"status":"ok","articles":[...]}). nr_article_open() checks the
 * message and finds its records; nr_article_record() decodes one of them.
 * nr_article_decode() is both for a message that must hold one article.
 *
 * Only the id and some text (title or body) are required. An optional field
 * that is there but cannot be read (a number where a URL should be, a date
 * in no known form) is treated as absent and reported in nr_article.warn;
 * invalid UTF-8 is replaced by U+FFFD unless article.invalid_utf8 is reject.
 * The decoder learns each source's boilerplate (boiler.h) and blanks it in
 * the body with spaces (offsets unchanged): it is per-stream state, so one
 * decoder must see one stream in order.
 * Implementation: article.c (JSON checks), article_shape.c (field map,
 * records, presets), article_date.c (dates).
 */
#ifndef NEWSRADAR_ARTICLE_H
#define NEWSRADAR_ARTICLE_H

#include "newsradar/common.h"
#include "newsradar/config.h"

/* Why a message was rejected; the names are stable (dead-letter headers). */
enum nr_reject {
    NR_REJECT_NONE = 0,
    NR_REJECT_TOO_LARGE,  /* "too_large" */
    NR_REJECT_BAD_UTF8,   /* "invalid_utf8" */
    NR_REJECT_BAD_JSON,   /* "invalid_json" */
    NR_REJECT_NOT_OBJECT, /* "not_an_object" */
    NR_REJECT_FIELD_TYPE, /* "wrong_field_type" */
    NR_REJECT_MISSING_ID, /* "missing_id" */
    NR_REJECT_NO_TEXT,    /* "missing_text" */
    NR_REJECT_BAD_TIME,   /* "invalid_published_at" (no time at all) */
    NR_REJECT_FUTURE,     /* "future_published_at" (engine.future_policy: reject) */
    NR_REJECT_COUNT
};
const char *nr_reject_name(enum nr_reject r);

struct nr_article {
    struct nr_str field[NR_FIELD_COUNT]; /* p == NULL when absent */
    int64_t published_ms;                /* NR_TIME_NONE when absent */
    uint32_t field_errors;               /* bit f: field f was there but unreadable */
    uint32_t utf8_repairs;               /* invalid sequences replaced by U+FFFD */
    uint32_t boilerplate;                /* body segments blanked as the source's
                                            boilerplate (boiler.h) */
    const char *warn[NR_FIELD_COUNT];    /* why, for each bit of field_errors */
};

struct nr_decoder;

/* A decoder with a boilerplate model of its own (cfg->boilerplate_*). */
struct nr_decoder *nr_decoder_new(const struct nr_config *cfg);
/* A decoder that learns and blanks boilerplate with b, a model shared with
 * other decoders (it does not free it; NULL: off), calling gate(ud, true)
 * before and gate(ud, false) after each use so that its users can take
 * turns (engine_stage1.c). */
struct nr_boiler;
typedef void (*nr_boiler_gate_fn)(void *ud, bool enter);
struct nr_decoder *nr_decoder_new_shared(const struct nr_config *cfg, struct nr_boiler *b,
                                         nr_boiler_gate_fn gate, void *ud);
void nr_decoder_free(struct nr_decoder *d);

/* Check msg (size, UTF-8, JSON) and find its records. Returns the number of
 * articles it holds (0 for an empty array) and sets *why to NR_REJECT_NONE,
 * or returns 0 with the reason in *why and a message in err. msg must stay
 * valid while its records are decoded. Never crashes on any input. */
size_t nr_article_open(struct nr_decoder *d, const char *msg, size_t len, enum nr_reject *why,
                       struct nr_error *err);
/* Decode record i of the message last opened. Returns NR_REJECT_NONE and
 * fills *out, or a reason and a human message in err ("/id: missing"). */
enum nr_reject nr_article_record(struct nr_decoder *d, size_t i, struct nr_article *out,
                                 struct nr_error *err);

/* nr_article_record without the boilerplate step: the body is left as it
 * is and the decoder's boilerplate model learns nothing, so the record can
 * be decoded again for real (e.g. to look at its fields first). */
enum nr_reject nr_article_peek(struct nr_decoder *d, size_t i, struct nr_article *out,
                               struct nr_error *err);

/* The JSON text of record i of the message last opened (after UTF-8
 * repair), e.g. to store it; {NULL, 0} if there is no such record. */
struct nr_str nr_article_record_text(const struct nr_decoder *d, size_t i);

/* Open and decode a message that holds exactly one article (a message of
 * several is rejected as not_an_object, saying how many it holds). */
enum nr_reject nr_article_decode(struct nr_decoder *d, const char *msg, size_t len,
                                 struct nr_article *out, struct nr_error *err);

/* A published date in any form of docs/article.md: epoch seconds or
 * milliseconds (json_number: the text of a JSON number), ISO 8601 with or
 * without a zone, RFC 2822. default_off_s: the zone of a date without one,
 * in seconds east of UTC. 0 and *out_ms, or -1 with, when known, a reason
 * more precise than "not a date" in why (may be NULL; "" when none). */
int nr_article_date_parse(const char *s, size_t len, bool json_number, int32_t default_off_s,
                          int64_t *out_ms, struct nr_error *why);
/* article.default_timezone: "" or "UTC" (0), "+05:00", "-0330", "+05", or
 * a zone name of docs/article.md (GMT, EST, CET, ...). 0 or -1. */
int nr_article_tz_parse(const char *s, int32_t *off_s);

/* A field map preset (article.preset): the pointers of field f (up to 4,
 * NULL-terminated; {NULL} = not read) and the records pointer, or NULL if
 * the name is unknown. "none" is the default map (/id, /title, ...). */
struct nr_article_preset {
    const char *name;
    const char *records; /* "" = the document is the article */
    const char *fields[NR_FIELD_COUNT][4];
};
const struct nr_article_preset *nr_article_preset_find(const char *name);
/* "none|news-please|newsapi|gdelt-doc" */
extern const char nr_article_preset_names[];

#endif
