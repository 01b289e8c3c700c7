/*
 * fuzz_article.c - libFuzzer target for the article decoder.
 *
 * Beyond "does not crash" (ASan/UBSan catch the rest) it checks invariants
 * and differential agreement with jansson on what is valid JSON:
 *   - the decoder accepts or rejects, always with a message on rejection;
 *   - an accepted article has a non-empty id, text in title or body, every
 *     field valid UTF-8, and published_ms set iff published_at was there;
 *   - if jansson parses the input, we never say invalid_utf8/invalid_json
 *     (except nesting beyond our documented depth limit, and raw NUL bytes,
 *     which jansson lets through after a number);
 *   - if we get past the JSON checks, jansson parses it too (except numbers
 *     jansson cannot represent and keys containing \u0000, both of which
 *     RFC 8259 allows).
 * The field map uses nested pointers and an array index so that pointer
 * resolution is exercised. A second decoder in the default mode (UTF-8
 * repaired, records at /articles or a top-level array, a body of two
 * pointers) checks the lenient paths: every record decodes or is rejected
 * with a message, a field with a warning is absent, repaired text is UTF-8
 * (also after a source's boilerplate is blanked);
 * and the input itself goes through the date parser. tests/unit/test_fuzz_corpus.c runs this same
 * function over a corpus without clang.
 */
#include "newsradar/article.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct nr_decoder *fuzz_lenient(void)
{
    static struct nr_config cfg;
    static struct nr_decoder *d;
    static char *more[] = {(char *)"/content"};
    if (!d) {
        cfg.max_article_bytes = 256 * 1024;
        cfg.field_ptr[NR_FIELD_ID] = "/id";
        cfg.field_ptr[NR_FIELD_TITLE] = "/title";
        cfg.field_ptr[NR_FIELD_BODY] = "/body";
        cfg.field_more[NR_FIELD_BODY] = (struct nr_strlist){more, 1};
        cfg.field_ptr[NR_FIELD_URL] = "/url";
        cfg.field_ptr[NR_FIELD_SOURCE] = "/source";
        cfg.field_ptr[NR_FIELD_LANGUAGE] = "/language";
        cfg.field_ptr[NR_FIELD_PUBLISHED_AT] = "/published_at";
        cfg.records_ptr = "/articles";
        cfg.default_tz_s = 18000;
        /* a small boilerplate model: it learns across inputs (and across
         * the records of one envelope), and what it blanks must keep every
         * invariant below */
        cfg.boilerplate_min_articles = 2;
        cfg.boilerplate_entries = 256;
        d = nr_decoder_new(&cfg);
    }
    return d;
}

static struct nr_decoder *fuzz_decoder(void)
{
    static struct nr_config cfg;
    static struct nr_decoder *d;
    if (!d) {
        cfg.invalid_utf8 = "reject";
        cfg.max_article_bytes = 256 * 1024;
        cfg.field_ptr[NR_FIELD_ID] = "/id";
        cfg.field_ptr[NR_FIELD_TITLE] = "/title";
        cfg.field_ptr[NR_FIELD_BODY] = "/body";
        cfg.field_ptr[NR_FIELD_URL] = "/links/0";
        cfg.field_ptr[NR_FIELD_SOURCE] = "/meta/source";
        cfg.field_ptr[NR_FIELD_LANGUAGE] = "/m~1l";
        cfg.field_ptr[NR_FIELD_PUBLISHED_AT] = "/published_at";
        d = nr_decoder_new(&cfg);
    }
    return d;
}

static void check(int ok, const char *what, const uint8_t *data, size_t size)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_article: invariant failed: %s\ninput (%zu bytes): %.*s\n", what, size,
            (int)(size < 500 ? size : 500), (const char *)data);
    abort();
}

static int jansson_limit(const json_error_t *e)
{
    /* numbers it cannot represent, its depth limit, and keys containing
     * \u0000 (jansson keys are C strings) */
    return strstr(e->text, "too big") || strstr(e->text, "overflow") || strstr(e->text, "depth") ||
           strstr(e->text, "NUL byte in object key");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_article(const struct nr_article *a, const uint8_t *data, size_t size)
{
    check(a->field[NR_FIELD_ID].p && a->field[NR_FIELD_ID].len > 0, "id present", data, size);
    check(a->field[NR_FIELD_TITLE].len > 0 || a->field[NR_FIELD_BODY].len > 0, "text present", data,
          size);
    for (int f = 0; f < NR_FIELD_COUNT; f++) {
        const struct nr_str *v = &a->field[f];
        if (a->field_errors & (1u << f))
            check(!v->p && a->warn[f] && a->warn[f][0], "a warned field is absent", data, size);
        if (!v->p)
            continue;
        check(nr_utf8_valid(v->p, v->len), "field is UTF-8", data, size);
        check(v->p[v->len] == '\0', "field NUL-terminated", data, size);
    }
    check((a->published_ms != NR_TIME_NONE) == (a->field[NR_FIELD_PUBLISHED_AT].p != NULL),
          "published_ms iff published_at", data, size);
}

/* The lenient decoder: records, repair, warnings; and the date parser. */
static void fuzz_lenient_paths(const uint8_t *data, size_t size)
{
    struct nr_decoder *d = fuzz_lenient();
    struct nr_error err;
    enum nr_reject why;
    size_t n = nr_article_open(d, (const char *)data, size, &why, &err);
    check(why < NR_REJECT_COUNT, "open: reason in range", data, size);
    check(why == NR_REJECT_NONE || (n == 0 && err.msg[0]), "open: rejection has a message", data,
          size);
    check(why != NR_REJECT_BAD_UTF8, "repair mode never rejects UTF-8", data, size);
    for (size_t i = 0; i < n && i < 64; i++) {
        struct nr_article a;
        enum nr_reject r = nr_article_record(d, i, &a, &err);
        check(r < NR_REJECT_COUNT, "record: reason in range", data, size);
        if (r != NR_REJECT_NONE)
            check(err.msg[0] != '\0', "record: rejection has a message", data, size);
        else
            check_article(&a, data, size);
    }
    int64_t ms;
    if (size <= 64) {
        struct nr_error why;
        if (nr_article_date_parse((const char *)data, size, false, 0, &ms, &why) == 0)
            check(ms >= -62135596800000LL - 86400000LL && ms <= 253402300799999LL + 86400000LL,
                  "string date in range (years 1-9999, a day of zone)", data, size);
        else
            check(memchr(why.msg, '\0', sizeof(why.msg)) != NULL, "date reason terminated", data,
                  size);
        if (nr_article_date_parse((const char *)data, size, true, -3600, &ms, NULL) == 0)
            check(ms >= -2208988800000LL - 86400000LL && ms <= 253402300799999LL,
                  "number date in range (1900 on, epoch >= 0)", data, size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nr_decoder *d = fuzz_decoder();
    struct nr_article a;
    struct nr_error err;
    enum nr_reject r = nr_article_decode(d, (const char *)data, size, &a, &err);
    check(r < NR_REJECT_COUNT, "reason in range", data, size);

    if (r != NR_REJECT_NONE) {
        check(err.msg[0] != '\0', "a rejection has a message", data, size);
        check(strlen(err.msg) < sizeof(err.msg), "message terminated", data, size);
    } else {
        check_article(&a, data, size);
    }
    fuzz_lenient_paths(data, size);

    if (size <= 256 * 1024) {
        json_error_t jerr;
        /* we skip a UTF-8 byte order mark, jansson does not */
        size_t bom = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        json_t *j = json_loadb((const char *)data + bom, size - bom,
                               JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        int ours_valid = r != NR_REJECT_BAD_JSON && r != NR_REJECT_BAD_UTF8;
        /* jansson accepts some raw NUL bytes (`{"a":1\0}`); RFC 8259 does not */
        if (j && !memchr(data, 0, size))
            check(ours_valid || strstr(err.msg, "nesting deeper"), "jansson accepts, we reject",
                  data, size);
        else
            check(!ours_valid || jansson_limit(&jerr), "we accept, jansson rejects", data, size);
        json_decref(j);
    }
    return 0;
}
