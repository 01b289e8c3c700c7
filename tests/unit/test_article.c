/*
 * test_article.c - the article decoder: fields through JSON pointers,
 * unescaping, every rejection reason and its message, and agreement with
 * jansson on what is valid JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/article.h"

static struct nr_config cfg;

static void cfg_defaults(void)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_article_bytes = 1 << 20;
    cfg.field_ptr[NR_FIELD_ID] = "/id";
    cfg.field_ptr[NR_FIELD_TITLE] = "/title";
    cfg.field_ptr[NR_FIELD_BODY] = "/body";
    cfg.field_ptr[NR_FIELD_URL] = "/url";
    cfg.field_ptr[NR_FIELD_SOURCE] = "/source";
    cfg.field_ptr[NR_FIELD_LANGUAGE] = "/language";
    cfg.field_ptr[NR_FIELD_PUBLISHED_AT] = "/published_at";
    cfg.invalid_utf8 = "reject"; /* the strict checks below; repair has its own test */
}

static int setup(void **state)
{
    cfg_defaults();
    *state = nr_decoder_new(&cfg);
    return 0;
}

static int teardown(void **state)
{
    nr_decoder_free(*state);
    return 0;
}

static enum nr_reject decode(void **state, const char *s, struct nr_article *a,
                             struct nr_error *err)
{
    return nr_article_decode(*state, s, strlen(s), a, err);
}

#define assert_field(a, f, want)                                                                   \
    do {                                                                                           \
        assert_non_null((a).field[f].p);                                                           \
        assert_int_equal((a).field[f].len, strlen(want));                                          \
        assert_memory_equal((a).field[f].p, want, strlen(want));                                   \
    } while (0)

static void test_fields(void **state)
{
    struct nr_article a;
    struct nr_error err;
    const char *doc = " {\"id\":\"a1\",\"title\":\"Border closed\",\"body\":\"Text here.\","
                      "\"url\":\"https:\\/\\/example.org\\/x\",\"source\":\"wire\","
                      "\"language\":\"en\",\"published_at\":\"2024-03-01T12:00:00Z\","
                      "\"extra\":{\"nested\":[1,2,{\"k\":null}]}}\n";
    assert_int_equal(decode(state, doc, &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "a1");
    assert_field(a, NR_FIELD_TITLE, "Border closed");
    assert_field(a, NR_FIELD_BODY, "Text here.");
    assert_field(a, NR_FIELD_URL, "https://example.org/x");
    assert_field(a, NR_FIELD_SOURCE, "wire");
    assert_field(a, NR_FIELD_LANGUAGE, "en");
    assert_int_equal(a.published_ms, 1709294400000LL);
    /* values are NUL-terminated too */
    assert_string_equal(a.field[NR_FIELD_TITLE].p, "Border closed");
}

static void test_absent_and_null(void **state)
{
    struct nr_article a;
    struct nr_error err;
    assert_int_equal(
        decode(state, "{\"id\":\"x\",\"body\":\"b\",\"title\":null,\"url\":null}", &a, &err),
        NR_REJECT_NONE);
    assert_null(a.field[NR_FIELD_TITLE].p);
    assert_null(a.field[NR_FIELD_URL].p);
    assert_null(a.field[NR_FIELD_SOURCE].p);
    assert_true(a.published_ms == NR_TIME_NONE);
    assert_field(a, NR_FIELD_BODY, "b");
}

static void test_unescape(void **state)
{
    struct nr_article a;
    struct nr_error err;
    const char *doc = "{\"id\":\"e\",\"title\":\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\","
                      "\"body\":\"caf\\u00e9 \\u20ac \\ud83d\\ude00 \\u0041 raw \xc3\xa9\"}";
    assert_int_equal(decode(state, doc, &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_TITLE, "q\"b\\s/n\nt\tr\rb\bf\f");
    assert_field(a, NR_FIELD_BODY, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 A raw \xc3\xa9");
    /* \u0000 is valid JSON: kept, the length says where the string ends */
    assert_int_equal(decode(state, "{\"id\":\"z\",\"title\":\"a\\u0000b\"}", &a, &err),
                     NR_REJECT_NONE);
    assert_int_equal(a.field[NR_FIELD_TITLE].len, 3);
    assert_memory_equal(a.field[NR_FIELD_TITLE].p, "a\0b", 3);
}

static void test_numeric_id(void **state)
{
    struct nr_article a;
    struct nr_error err;
    assert_int_equal(decode(state, "{\"id\":-12.5e3,\"title\":\"t\"}", &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "-12.5e3");
    assert_int_equal(decode(state, "{\"id\":true,\"title\":\"t\"}", &a, &err),
                     NR_REJECT_FIELD_TYPE);
    assert_string_equal(err.msg, "/id: expected a string, got a boolean");
}

static void test_duplicate_keys_first_wins(void **state)
{
    struct nr_article a;
    struct nr_error err;
    assert_int_equal(
        decode(state, "{\"id\":\"1\",\"title\":\"first\",\"title\":\"second\"}", &a, &err),
        NR_REJECT_NONE);
    assert_field(a, NR_FIELD_TITLE, "first");
    /* a wrong type in a later duplicate is never looked at */
    assert_int_equal(decode(state, "{\"id\":\"1\",\"title\":\"first\",\"title\":7}", &a, &err),
                     NR_REJECT_NONE);
}

static void test_escaped_key(void **state)
{
    struct nr_article a;
    struct nr_error err;
    assert_int_equal(decode(state, "{\"\\u0069d\":\"k\",\"t\\u0069tle\":\"T\"}", &a, &err),
                     NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "k");
    assert_field(a, NR_FIELD_TITLE, "T");
}

static void test_pointers(void **state)
{
    (void)state;
    cfg_defaults();
    cfg.field_ptr[NR_FIELD_ID] = "/meta/ids/1";
    cfg.field_ptr[NR_FIELD_TITLE] = "/a~1b";
    cfg.field_ptr[NR_FIELD_BODY] = "/m~0n/";
    cfg.field_ptr[NR_FIELD_URL] = "/links/-";
    cfg.field_ptr[NR_FIELD_SOURCE] = "/src/01";
    cfg.field_ptr[NR_FIELD_LANGUAGE] = "/bad~2";
    cfg.field_ptr[NR_FIELD_PUBLISHED_AT] = NULL;
    struct nr_decoder *d = nr_decoder_new(&cfg);
    const char *doc = "{\"meta\":{\"skip\":[[1],{\"a\":2}],\"ids\":[\"zero\",\"one\",\"two\"]},"
                      "\"a/b\":\"slash\",\"m~n\":{\"\":\"empty key\"},\"links\":[\"x\"],"
                      "\"src\":{\"01\":\"not an index\"},\"bad~2\":\"never\"}";
    struct nr_article a;
    struct nr_error err;
    assert_int_equal(nr_article_decode(d, doc, strlen(doc), &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "one");
    assert_field(a, NR_FIELD_TITLE, "slash");
    assert_field(a, NR_FIELD_BODY, "empty key");
    assert_null(a.field[NR_FIELD_URL].p);             /* "-" is past the end */
    assert_field(a, NR_FIELD_SOURCE, "not an index"); /* object member "01" */
    assert_null(a.field[NR_FIELD_LANGUAGE].p);        /* malformed pointer matches nothing */
    assert_true(a.published_ms == NR_TIME_NONE);

    /* "01" is not an array index (leading zero) */
    const char *arr = "{\"meta\":{\"ids\":[\"a\",\"b\"]},\"a/b\":\"t\",\"src\":[\"x\",\"y\"]}";
    assert_int_equal(nr_article_decode(d, arr, strlen(arr), &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "b");
    assert_null(a.field[NR_FIELD_SOURCE].p);
    nr_decoder_free(d);

    /* the empty pointer means "not read" (it used to be the whole document) */
    cfg_defaults();
    cfg.field_ptr[NR_FIELD_URL] = "";
    d = nr_decoder_new(&cfg);
    const char *s = "{\"id\":\"1\",\"title\":\"t\",\"url\":\"u\"}";
    assert_int_equal(nr_article_decode(d, s, strlen(s), &a, &err), NR_REJECT_NONE);
    assert_null(a.field[NR_FIELD_URL].p);
    assert_int_equal(a.field_errors, 0);
    nr_decoder_free(d);
    cfg_defaults();
}

struct bad_case {
    const char *doc;
    size_t len; /* 0: strlen */
    enum nr_reject want;
    const char *msg; /* substring expected in err.msg, or NULL */
};

static const struct bad_case bad_cases[] = {
    {"\xff{}", 0, NR_REJECT_BAD_UTF8, "UTF-8"},
    {"{\"id\":\"1\",\"title\":\"\xc0\xaf\"}", 0, NR_REJECT_BAD_UTF8, NULL},     /* overlong */
    {"{\"id\":\"1\",\"title\":\"\xed\xa0\x80\"}", 0, NR_REJECT_BAD_UTF8, NULL}, /* surrogate */
    {"", 0, NR_REJECT_BAD_JSON, "empty"},
    {"   \n", 0, NR_REJECT_BAD_JSON, "empty"},
    {"{", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\"", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"abc", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\" \"title\":\"t\"}", 0, NR_REJECT_BAD_JSON, NULL},  /* missing comma */
    {"{\"id\" \"1\",\"title\":\"t\"}", 0, NR_REJECT_BAD_JSON, NULL},  /* missing colon */
    {"{\"id\":\"1\",\"title\":\"t\",}", 0, NR_REJECT_BAD_JSON, NULL}, /* trailing comma */
    {"{,\"id\":\"1\"}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",,\"title\":\"t\"}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\"} x", 0, NR_REJECT_BAD_JSON, "after the top-level value"},
    {"{\"id\":\"1\",\"title\":\"t\"}{}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\"}\0{", 24, NR_REJECT_BAD_JSON, NULL}, /* NUL, then more */
    {"{\"id\":\"1\",\"title\":\"t\0\"}", 23, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"tab\there\"}", 0, NR_REJECT_BAD_JSON, "control character"},
    {"{\"id\":\"1\",\"title\":\"\\x\"}", 0, NR_REJECT_BAD_JSON, "at byte 19: bad escape"},
    {"{\"id\":\"1\",\"title\":\"\\u12\"}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"\\u12g4\"}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"\\ud800\"}", 0, NR_REJECT_BAD_JSON, "surrogate"},
    {"{\"id\":\"1\",\"title\":\"\\ud800\\u0041\"}", 0, NR_REJECT_BAD_JSON, "surrogate"},
    {"{\"id\":\"1\",\"title\":\"\\udc00\\ud800\"}", 0, NR_REJECT_BAD_JSON, "surrogate"},
    {"{\"id\":\"1\",\"x\":\"\\ud800x\",\"title\":\"t\"}", 0, NR_REJECT_BAD_JSON, "surrogate"},
    {"{\"id\":\"1\",\"title\":\"t\",\"n\":tru}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"n\":nulls}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"n\":01}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"n\":1.}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"n\":-}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"n\":1e}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"n\":+1}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"a\":[1 2]}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"a\":[1,]}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"a\":[1}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"a\":{\"k\"}}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"a\":{\"k\":1:2}}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"a\":{1:2}}", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":\"1\",\"title\":\"t\"]", 0, NR_REJECT_BAD_JSON, NULL},
    {"{\"id\":'1',\"title\":\"t\"}", 0, NR_REJECT_BAD_JSON, NULL},
    {"}", 0, NR_REJECT_BAD_JSON, NULL},
    {"[]", 0, NR_REJECT_NOT_OBJECT, "holds 0 articles"},
    {"[{\"id\":\"1\",\"title\":\"t\"},{\"id\":\"2\",\"title\":\"t\"}]", 0, NR_REJECT_NOT_OBJECT,
     "holds 2 articles"},
    {"[\"x\"]", 0, NR_REJECT_NOT_OBJECT, "article 1 is a string"},
    {"\"text\"", 0, NR_REJECT_NOT_OBJECT, "a string"},
    {"42", 0, NR_REJECT_NOT_OBJECT, NULL},
    {" true ", 0, NR_REJECT_NOT_OBJECT, NULL},
    {"null", 0, NR_REJECT_NOT_OBJECT, NULL},
    {"{\"id\":\"1\",\"title\":5}", 0, NR_REJECT_NO_TEXT, "neither /title nor /body"},
    {"{\"id\":[\"1\"],\"title\":\"t\"}", 0, NR_REJECT_FIELD_TYPE,
     "/id: expected a string, got an array"},
    {"{\"id\":{},\"title\":\"t\"}", 0, NR_REJECT_FIELD_TYPE,
     "/id: expected a string, got an object"},
    {"{\"title\":\"t\"}", 0, NR_REJECT_MISSING_ID, "/id: missing"},
    {"{\"id\":\"\",\"title\":\"t\"}", 0, NR_REJECT_MISSING_ID, "/id: empty"},
    {"{\"id\":null,\"title\":\"t\"}", 0, NR_REJECT_MISSING_ID, NULL},
    {"{\"id\":\"1\"}", 0, NR_REJECT_NO_TEXT, "neither /title nor /body"},
    {"{\"id\":\"1\",\"title\":\"\",\"body\":null}", 0, NR_REJECT_NO_TEXT, NULL},
    /* white space only is no text either */
    {"{\"id\":\"1\",\"title\":\"  \",\"body\":\"\\n\\t \"}", 0, NR_REJECT_NO_TEXT, NULL},
};

/* Grammar errors: the message names the first byte where the text departs
 * from JSON and what was expected there. jsmn tokenizes most of these
 * without complaint (a stray value is hung under the previous token, a
 * trailing comma is not counted), others make it stop at a later or less
 * telling byte; either way the offset must be the grammar's. */
struct grammar_case {
    const char *doc;
    const char *msg; /* the whole err.msg */
};

static const struct grammar_case grammar_cases[] = {
    /* missing comma: "body" is hung under "title" by jsmn */
    {"{\"id\":\"x1\",\"title\":\"broken\" \"body\":\"x\"}",
     "invalid JSON at byte 28: expected ',' or '}'"},
    {"{\"a\":\"b\" \"c\"}", "invalid JSON at byte 9: expected ',' or '}'"},
    {"{\"a\":1 \"b\" \"c\"}", "invalid JSON at byte 7: expected ',' or '}'"},
    {"{\"a\":{\"b\":1} \"c\":2}", "invalid JSON at byte 13: expected ',' or '}'"},
    {"{\"a\":1 2}", "invalid JSON at byte 7: expected ',' or '}'"},
    {"{\"a\":[1,2] 3}", "invalid JSON at byte 11: expected ',' or '}'"},
    {"{\"a\":\"b\":\"c\"}", "invalid JSON at byte 8: expected ',' or '}'"},
    {"{\"id\":\"x1\",\"title\":\"a\":\"b\":\"c\"}", "invalid JSON at byte 22: expected ',' or '}'"},
    {"[1 2]", "invalid JSON at byte 3: expected ',' or ']'"},
    {"{\"a\":[1 2]}", "invalid JSON at byte 8: expected ',' or ']'"},
    {"{\"a\":[\"x\" \"y\"]}", "invalid JSON at byte 10: expected ',' or ']'"},
    {"{\"a\":1]", "invalid JSON at byte 6: expected ',' or '}'"},
    /* missing colon */
    {"{\"a\" \"b\"}", "invalid JSON at byte 5: expected ':'"},
    {"{\"a\" 1}", "invalid JSON at byte 5: expected ':'"},
    {"{\"a\":1 , \"b\" }", "invalid JSON at byte 13: expected ':'"},
    /* trailing and doubled commas: at the byte after the comma */
    {"{\"a\":1,}", "invalid JSON at byte 7: expected a member name"},
    {"{\"a\":\"x\"  , }", "invalid JSON at byte 12: expected a member name"},
    {"{\"a\":1,,\"b\":2}", "invalid JSON at byte 7: expected a member name"},
    {"{,\"a\":1}", "invalid JSON at byte 1: expected a member name"},
    {"[1,]", "invalid JSON at byte 3: expected a value"},
    {"{\"a\":[1,]}", "invalid JSON at byte 8: expected a value"},
    {"[,1]", "invalid JSON at byte 1: expected a value"},
    /* bad tokens jsmn drops */
    {"{\"id\":'1'}", "invalid JSON at byte 6: bad literal or number"},
    {"{\"a\":tr\xc3\xa9}", "invalid JSON at byte 5: bad literal or number"},
    {"{\"a\":1,\"b\\q\":1}", "invalid JSON at byte 9: bad escape"},
    /* cut short */
    {"{\"a\":1", "invalid JSON at byte 6: truncated (expected ',' or '}')"},
    {"{\"a\":[1,2", "invalid JSON at byte 9: truncated (expected ',' or ']')"},
    {"{\"a\":1,", "invalid JSON at byte 7: truncated (expected a member name)"},
    {"{\"a\"", "invalid JSON at byte 4: truncated (expected ':')"},
    {"{\"a\":\"x", "invalid JSON at byte 7: truncated (unterminated string)"},
    {"{\"a\":1} x", "invalid JSON at byte 8: unexpected data after the top-level value"},
};

static void test_grammar_offsets(void **state)
{
    for (size_t i = 0; i < sizeof(grammar_cases) / sizeof(grammar_cases[0]); i++) {
        const struct grammar_case *c = &grammar_cases[i];
        struct nr_article a;
        struct nr_error err;
        enum nr_reject r = decode(state, c->doc, &a, &err);
        if (r != NR_REJECT_BAD_JSON || strcmp(err.msg, c->msg) != 0)
            fail_msg("case %zu (%s): got %s \"%s\", want invalid_json \"%s\"", i, c->doc,
                     nr_reject_name(r), err.msg, c->msg);
    }
    /* the decoder is reusable after an error: stale tokens do not leak in */
    struct nr_article a;
    struct nr_error err;
    assert_int_equal(decode(state, "{\"id\":\"ok\",\"title\":\"t\"}", &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "ok");
}

/* A control character or a bad escape anywhere in a long string (checked
 * 16 and 8 bytes at a time, then byte by byte) is found at its own byte;
 * DEL, spaces, UTF-8 and good escapes pass. */
static void test_long_string_bytes(void **state)
{
    static const char head[] = "{\"id\":\"1\",\"title\":\"";
    char doc[256], want[96];
    const size_t h = sizeof(head) - 1;
    for (size_t at = 0; at < 120; at++) {
        static const char *const put[] = {"\x01",     "\x1f", "\x7f",    " ",
                                          "\xc3\xa9", "\\n",  "\\u00e9", "\\q"};
        for (size_t k = 0; k < sizeof(put) / sizeof(put[0]); k++) {
            memcpy(doc, head, h);
            memset(doc + h, 'a', 120);
            memcpy(doc + h + at, put[k], strlen(put[k]));
            size_t end = h + (at + strlen(put[k]) > 120 ? at + strlen(put[k]) : 120);
            memcpy(doc + end, "\"}", 3);
            struct nr_article a;
            struct nr_error err;
            enum nr_reject r = decode(state, doc, &a, &err);
            if (k < 2) {
                snprintf(want, sizeof(want), "invalid JSON at byte %zu: control character", h + at);
                if (r != NR_REJECT_BAD_JSON || strncmp(err.msg, want, strlen(want)) != 0)
                    fail_msg("byte 0x%02x at %zu: got %s \"%s\"", (unsigned char)put[k][0], at,
                             nr_reject_name(r), err.msg);
            } else if (k == 7) {
                snprintf(want, sizeof(want), "invalid JSON at byte %zu: bad escape", h + at);
                if (r != NR_REJECT_BAD_JSON || strcmp(err.msg, want) != 0)
                    fail_msg("\\q at %zu: got %s \"%s\"", at, nr_reject_name(r), err.msg);
            } else if (r != NR_REJECT_NONE) {
                fail_msg("%s at %zu rejected: %s", put[k], at, err.msg);
            }
        }
    }
}

static void test_rejections(void **state)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t len = c->len ? c->len : strlen(c->doc);
        struct nr_article a;
        struct nr_error err;
        enum nr_reject r = nr_article_decode(*state, c->doc, len, &a, &err);
        if (r != c->want)
            fail_msg("case %zu (%s): got %s, want %s (%s)", i, c->doc, nr_reject_name(r),
                     nr_reject_name(c->want), err.msg);
        assert_true(err.msg[0] != '\0');
        if (c->msg && !strstr(err.msg, c->msg))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err.msg, c->msg);
    }
}

static void test_too_large(void **state)
{
    (void)state;
    cfg_defaults();
    cfg.max_article_bytes = 30;
    struct nr_decoder *d = nr_decoder_new(&cfg);
    struct nr_article a;
    struct nr_error err;
    const char *ok = "{\"id\":\"1\",\"title\":\"exactly30\"}";
    assert_int_equal(strlen(ok), 30);
    assert_int_equal(nr_article_decode(d, ok, 30, &a, &err), NR_REJECT_NONE);
    const char *big = "{\"id\":\"1\",\"title\":\"exactly31!\"}";
    assert_int_equal(nr_article_decode(d, big, strlen(big), &a, &err), NR_REJECT_TOO_LARGE);
    assert_string_equal(err.msg, "message is 31 bytes, limit 30");
    /* size is checked before UTF-8 */
    assert_int_equal(nr_article_decode(d,
                                       "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                                       "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                                       "\xff\xff\xff\xff\xff",
                                       31, &a, &err),
                     NR_REJECT_TOO_LARGE);
    nr_decoder_free(d);
    cfg_defaults();
}

static void test_reject_names(void **state)
{
    (void)state;
    static const char *const want[] = {"none",
                                       "too_large",
                                       "invalid_utf8",
                                       "invalid_json",
                                       "not_an_object",
                                       "wrong_field_type",
                                       "missing_id",
                                       "missing_text",
                                       "invalid_published_at",
                                       "future_published_at"};
    for (int i = 0; i < NR_REJECT_COUNT; i++)
        assert_string_equal(nr_reject_name((enum nr_reject)i), want[i]);
    assert_string_equal(nr_reject_name(NR_REJECT_COUNT), "unknown");
}

/* Nesting up to the limit is fine, deeper is rejected before jsmn runs
 * (its bracket closing is O(depth)); many tokens grow the token array. */
static void test_deep_and_wide(void **state)
{
    size_t cap = 1 << 20;
    char *s = malloc(cap);
    struct nr_article a;
    struct nr_error err;
    static const size_t depths[] = {127, 128, 200000};
    for (size_t k = 0; k < 3; k++) {
        size_t depth = depths[k];
        size_t n = (size_t)sprintf(s, "{\"id\":\"deep\",\"title\":\"t\",\"x\":");
        memset(s + n, '[', depth);
        n += depth;
        memset(s + n, ']', depth);
        n += depth;
        s[n++] = '}';
        enum nr_reject r = nr_article_decode(*state, s, n, &a, &err);
        if (depth == 127) {
            assert_int_equal(r, NR_REJECT_NONE);
            assert_field(a, NR_FIELD_ID, "deep");
            /* unbalanced by one */
            assert_int_equal(nr_article_decode(*state, s, n - 2, &a, &err), NR_REJECT_BAD_JSON);
        } else {
            assert_int_equal(r, NR_REJECT_BAD_JSON);
            assert_non_null(strstr(err.msg, "nesting deeper than 128"));
        }
    }
    /* brackets inside strings do not count, escaped quotes do not end them */
    size_t n = (size_t)sprintf(s, "{\"id\":\"q\\\\\",\"title\":\"\\\"[[[\\\\\",\"x\":\"");
    memset(s + n, '[', 1000);
    n += 1000;
    n += (size_t)sprintf(s + n, "\"}");
    assert_int_equal(nr_article_decode(*state, s, n, &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "q\\");
    assert_field(a, NR_FIELD_TITLE, "\"[[[\\");
    free(s);

    /* 50,000 members before the fields we want: skipping is by subtree */
    size_t members = 50000;
    s = malloc(members * 24 + 128);
    n = (size_t)sprintf(s, "{");
    for (size_t i = 0; i < members; i++)
        n += (size_t)sprintf(s + n, "\"k%zu\":[%zu],", i, i);
    n += (size_t)sprintf(s + n, "\"title\":\"last\",\"id\":\"w\"}");
    assert_int_equal(nr_article_decode(*state, s, n, &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_TITLE, "last");
    /* the decoder is reusable: a small article after a big one */
    assert_int_equal(decode(state, "{\"id\":\"s\",\"body\":\"small\"}", &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_BODY, "small");
    free(s);
}

/* Whatever jansson calls valid JSON, we do, and the other way round (except
 * numbers jansson cannot represent, which RFC 8259 allows). */
static void test_agrees_with_jansson(void **state)
{
    static const char *const docs[] = {
        "{\"id\":\"1\",\"title\":\"t\",\"n\":[0,-0,1.5e-3,2E+10,-7,0.0,true,false,null]}",
        "{\"id\":\"1\",\"title\":\"t\",\"o\":{\"a\":{\"b\":{}}},\"e\":[]}",
        "\t{ \"id\" : \"1\" ,\r\n \"title\" : \"t\" }  ",
        "{\"id\":\"1\",\"title\":\"t\",\"u\":\"\\uD834\\uDD1E\"}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_error_t jerr;
        json_t *j = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        assert_non_null(j);
        json_decref(j);
        struct nr_article a;
        struct nr_error err;
        assert_int_equal(decode(state, docs[i], &a, &err), NR_REJECT_NONE);
    }
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        if (bad_cases[i].want != NR_REJECT_BAD_JSON)
            continue;
        size_t len = bad_cases[i].len ? bad_cases[i].len : strlen(bad_cases[i].doc);
        json_error_t jerr;
        json_t *j = json_loadb(bad_cases[i].doc, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (j)
            fail_msg("jansson accepts case %zu (%s)", i, bad_cases[i].doc);
    }
    for (size_t i = 0; i < sizeof(grammar_cases) / sizeof(grammar_cases[0]); i++) {
        json_error_t jerr;
        json_t *j = json_loads(grammar_cases[i].doc, JSON_DECODE_ANY, &jerr);
        if (j)
            fail_msg("jansson accepts grammar case %zu (%s)", i, grammar_cases[i].doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absent_and_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unescape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numeric_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_keys_first_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaped_key, setup, teardown),
        cmocka_unit_test(test_pointers),
        cmocka_unit_test_setup_teardown(test_grammar_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_string_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_reject_names),
        cmocka_unit_test_setup_teardown(test_deep_and_wide, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agrees_with_jansson, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
