/*
 * article_int.h - what article.c (JSON checks, tokens) and article_shape.c
 * (field map, records, presets) share. Not a public header.
 */
#ifndef NEWSRADAR_ARTICLE_INT_H
#define NEWSRADAR_ARTICLE_INT_H

/* article.c includes jsmn itself (static, strict, parent links); the other
 * parts need only its token type, with the same layout */
#ifndef JSMN_H
#define JSMN_PARENT_LINKS
#define JSMN_HEADER
#include <jsmn.h>
#endif

#include "newsradar/article.h"
#include "newsradar/boiler.h"

#define NR_FIELD_PTRS_MAX 4 /* pointers per field (`body: [/description, /content]`) */

struct ptr_seg {
    char *s; /* unescaped reference token (~0 ~1 resolved) */
    size_t len;
    long idx; /* array index, or -1 when the token is not one */
};

struct json_ptr {
    bool set;         /* configured, non-empty and well-formed */
    const char *text; /* as configured, for messages */
    struct ptr_seg *seg;
    size_t n;
};

struct walk_frame {
    int tok;
    int left; /* children (object: members) still to read */
    bool obj, first;
};

/* Strings tokenize takes from jsmn (article.c): longer than NR_LONG_STRING
 * bytes, at most NR_LONG_STRINGS_MAX per message (jsmn's final check walks
 * its tokens at each stop, so the number of stops is bounded). */
#define NR_LONG_STRING      64
#define NR_LONG_STRINGS_MAX 16
struct long_strings {
    size_t open[NR_LONG_STRINGS_MAX], close[NR_LONG_STRINGS_MAX];
    size_t n;
};

struct nr_decoder {
    size_t max_bytes;
    bool utf8_reject;   /* article.invalid_utf8: reject (else repair) */
    int32_t default_tz; /* seconds east of UTC for dates without a zone */
    struct json_ptr ptr[NR_FIELD_COUNT][NR_FIELD_PTRS_MAX];
    size_t n_ptr[NR_FIELD_COUNT];
    struct json_ptr records;  /* article.records; unset: the document */
    struct nr_boiler *boiler; /* per-source boilerplate, NULL = off */
    bool boiler_shared;       /* nr_decoder_new_shared: not ours to free */
    nr_boiler_gate_fn gate;   /* around each use of a shared one, or NULL */
    void *gate_ud;
    bool peek; /* nr_article_peek: the boilerplate model is not run */

    jsmntok_t *tok;
    size_t tok_cap;
    struct long_strings longs; /* of the message being tokenized */
    int *next;                 /* index of the token after i's subtree */
    size_t next_cap;
    struct walk_frame *stk;
    size_t stk_cap;
    char *buf; /* unescaped field values, NUL-terminated each */
    size_t buf_cap;
    bool oom;  /* a buffer of this record could not grow */
    char *key; /* scratch for object keys that contain escapes */
    size_t key_cap;
    char *fix; /* the message with invalid UTF-8 replaced by U+FFFD */
    size_t fix_cap;

    /* the message last opened (nr_article_open) */
    const char *msg;
    size_t len;
    uint32_t repairs;
    int *rec; /* token index of each record */
    size_t n_rec, rec_cap;
    char warn[NR_FIELD_COUNT][256];
};

/* depth_scan and tokenize of article.c (tests: jsmn's own result, token for
 * token); JSMN_ERROR_INVAL when nested too deep. */
int nr__tokenize(struct nr_decoder *d, const char *s, size_t len, size_t *stop, int *nparsed);
size_t nr__unescape(const char *s, size_t a, size_t b, char *out);
void nr__ptr_parse(struct json_ptr *p, const char *text);
void nr__ptr_free(struct json_ptr *p);
/* Token index the pointer refers to from token root, or -1. */
int nr__resolve(struct nr_decoder *d, int root, const struct json_ptr *p);
const char *nr__type_name(const char *s, const jsmntok_t *t);

#endif
