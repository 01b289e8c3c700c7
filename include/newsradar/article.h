/*
 * article.h - decode one article JSON message into the fields we use.
 *
 * Fields are found through the JSON pointers of the config (cfg->field_ptr).
 * Strings in struct nr_article are unescaped UTF-8 owned by the decoder and
 * valid until the next nr_article_decode() on the same decoder. A decoder is
 * per-thread scratch; reuse it (no per-article malloc in steady state).
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
    NR_REJECT_BAD_TIME,   /* "invalid_published_at" */
    NR_REJECT_COUNT
};
const char *nr_reject_name(enum nr_reject r);

struct nr_article {
    struct nr_str field[NR_FIELD_COUNT]; /* p == NULL when absent */
    int64_t published_ms;                /* NR_TIME_NONE when absent */
};

struct nr_decoder;

struct nr_decoder *nr_decoder_new(const struct nr_config *cfg);
void nr_decoder_free(struct nr_decoder *d);

/* Returns NR_REJECT_NONE and fills *out, or a reason and a human message in
 * err ("field /title: expected a string, got a number"). Never crashes on
 * any input. */
enum nr_reject nr_article_decode(struct nr_decoder *d, const char *msg, size_t len,
                                 struct nr_article *out, struct nr_error *err);

#endif
