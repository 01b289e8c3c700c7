/*
 * test_article_forms.c - what real feeds send: every date form of
 * tests/data/article/dates.tsv (one case per line, through the parser and
 * through a whole article), optional fields that cannot be read (absent, with
 * a warning, never a reject), UTF-8 repair, "" pointers, body lists, arrays
 * and envelopes of articles, a byte order mark, and the presets.
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

static const char *g_data;
static struct nr_config cfg;

static void cfg_defaults(void)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_article_bytes = 1 << 20;
    const struct nr_article_preset *p = nr_article_preset_find("none");
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        cfg.field_ptr[f] = (char *)p->fields[f][0];
    cfg.records_ptr = (char *)"";
}

#define assert_field(a, f, want)                                                                   \
    do {                                                                                           \
        assert_non_null((a).field[f].p);                                                           \
        assert_int_equal((a).field[f].len, strlen(want));                                          \
        assert_memory_equal((a).field[f].p, want, strlen(want));                                   \
    } while (0)

static void unescape_nl(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] == 'n') {
            *o++ = '\n';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static void test_dates(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof(path), "%s/article/dates.tsv", g_data);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    int n = 0, lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *kind = strtok(line, "\t"), *in = strtok(NULL, "\t"), *want = strtok(NULL, "\t");
        char *reason = strtok(NULL, "\t"); /* optional: in the warning of a reject */
        static char empty[1];
        if (!want) { /* an empty input: strtok skips the empty field */
            want = in;
            in = empty;
        }
        assert_non_null(kind);
        assert_non_null(want);
        unescape_nl(in);
        bool number = kind[0] == 'n';
        int32_t tz = kind[1] ? (int32_t)atoi(kind + 1) : 0;
        int64_t ms = 0;
        struct nr_error why;
        int rc = nr_article_date_parse(in, strlen(in), number, tz, &ms, &why);
        char got[40] = "reject";
        if (rc == 0)
            nr_time_format_rfc3339(ms, got, sizeof(got));
        if (strcmp(got, want) != 0)
            fail_msg("dates.tsv:%d: \"%s\": got %s, want %s", lineno, in, got, want);

        /* the same through a whole article: a date never rejects it */
        cfg_defaults();
        cfg.default_tz_s = tz;
        struct nr_decoder *d = nr_decoder_new(&cfg);
        /* a number goes in as written (jansson would rewrite 1.4652072e9) */
        json_t *js = json_string(in);
        char *q = json_dumps(js, JSON_ENCODE_ANY);
        char doc[600];
        snprintf(doc, sizeof(doc), "{\"id\":\"x\",\"title\":\"t\",\"published_at\":%s}",
                 number ? in : q);
        free(q);
        json_decref(js);
        struct nr_article a;
        struct nr_error err;
        {
            assert_int_equal(nr_article_decode(d, doc, strlen(doc), &a, &err), NR_REJECT_NONE);
            if (rc == 0) {
                assert_true(a.published_ms == ms);
                assert_int_equal(a.field_errors, 0);
            } else {
                assert_true(a.published_ms == NR_TIME_NONE);
                assert_null(a.field[NR_FIELD_PUBLISHED_AT].p);
                assert_int_equal(a.field_errors, 1u << NR_FIELD_PUBLISHED_AT);
                assert_non_null(strstr(a.warn[NR_FIELD_PUBLISHED_AT], "/published_at: "));
                if (reason && !strstr(a.warn[NR_FIELD_PUBLISHED_AT], reason))
                    fail_msg("dates.tsv:%d: warning \"%s\" does not say \"%s\"", lineno,
                             a.warn[NR_FIELD_PUBLISHED_AT], reason);
            }
        }
        nr_decoder_free(d);
        n++;
    }
    fclose(f);
    assert_true(n >= 50);
}

static void test_timezone_names(void **state)
{
    (void)state;
    int32_t off;
    assert_int_equal(nr_article_tz_parse("", &off), 0);
    assert_int_equal(off, 0);
    assert_int_equal(nr_article_tz_parse("UTC", &off), 0);
    assert_int_equal(nr_article_tz_parse("+05:00", &off), 0);
    assert_int_equal(off, 18000);
    assert_int_equal(nr_article_tz_parse("-0330", &off), 0);
    assert_int_equal(off, -12600);
    assert_int_equal(nr_article_tz_parse("EST", &off), 0);
    assert_int_equal(off, -18000);
    assert_int_equal(nr_article_tz_parse("CEST", &off), 0);
    assert_int_equal(off, 7200);
    assert_int_equal(nr_article_tz_parse("pkt", &off), 0);
    assert_int_equal(off, 18000);
    assert_int_equal(nr_article_tz_parse("IST", &off), -1); /* India, Ireland or Israel */
    assert_int_equal(nr_article_tz_parse("Asia/Karachi", &off), -1);
    assert_int_equal(nr_article_tz_parse("+25:00", &off), -1);
    assert_int_equal(nr_article_tz_parse("+05:00x", &off), -1);
}

struct lenient_case {
    const char *doc;
    int field;           /* the field with a warning, or -1 */
    const char *warning; /* substring */
    int check;           /* field whose value is checked, or -1 */
    const char *value;
};

/* Optional fields that cannot be read are absent with a warning; those with
 * a shape we know (an object's name, an array's first string) are read. */
static const struct lenient_case lenient[] = {
    {"{\"id\":\"1\",\"title\":\"t\",\"source\":{\"id\":null,\"name\":\"BBC News\"}}", -1, NULL,
     NR_FIELD_SOURCE, "BBC News"},
    {"{\"id\":\"1\",\"title\":\"t\",\"source\":{\"id\":\"bbc\"}}", NR_FIELD_SOURCE,
     "/source: expected a string, got an object without a string \"name\"", -1, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"language\":[\"en\",\"fr\"]}", -1, NULL, NR_FIELD_LANGUAGE,
     "en"},
    {"{\"id\":\"1\",\"title\":\"t\",\"language\":[1,\"ur\"]}", -1, NULL, NR_FIELD_LANGUAGE, "ur"},
    {"{\"id\":\"1\",\"title\":\"t\",\"language\":[]}", -1, NULL, -1, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"language\":[1,2]}", NR_FIELD_LANGUAGE,
     "an array without a string", -1, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"url\":12345}", NR_FIELD_URL,
     "/url: expected a string, got a number", -1, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"url\":true}", NR_FIELD_URL, "got a boolean", -1, NULL},
    {"{\"id\":\"1\",\"body\":\"b\",\"title\":7}", NR_FIELD_TITLE, "/title: expected a string", -1,
     NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"body\":[\"one\",2,\"two\"]}", -1, NULL, NR_FIELD_BODY,
     "one\n\ntwo"},
    {"{\"id\":\"1\",\"title\":\"t\",\"body\":{}}", NR_FIELD_BODY, "got an object", -1, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"published_at\":false}", NR_FIELD_PUBLISHED_AT,
     "got a boolean", -1, NULL},
    {"{\"id\":\"1\",\"title\":\"t\",\"published_at\":\"soon\"}", NR_FIELD_PUBLISHED_AT,
     "/published_at: not a date: \"soon\"", -1, NULL},
    {"{\"id\":7,\"title\":\"t\"}", -1, NULL, NR_FIELD_ID, "7"},
};

static void test_optional_fields(void **state)
{
    (void)state;
    cfg_defaults();
    struct nr_decoder *d = nr_decoder_new(&cfg);
    for (size_t i = 0; i < NR_ARRAY_LEN(lenient); i++) {
        const struct lenient_case *c = &lenient[i];
        struct nr_article a;
        struct nr_error err;
        enum nr_reject r = nr_article_decode(d, c->doc, strlen(c->doc), &a, &err);
        if (r != NR_REJECT_NONE)
            fail_msg("case %zu: rejected %s: %s", i, nr_reject_name(r), err.msg);
        if (c->field < 0) {
            assert_int_equal(a.field_errors, 0);
        } else {
            assert_int_equal(a.field_errors, 1u << c->field);
            assert_null(a.field[c->field].p);
            if (!strstr(a.warn[c->field], c->warning))
                fail_msg("case %zu: warning \"%s\" lacks \"%s\"", i, a.warn[c->field], c->warning);
        }
        if (c->check >= 0)
            assert_field(a, c->check, c->value);
    }
    nr_decoder_free(d);
}

static void test_utf8_repair(void **state)
{
    (void)state;
    cfg_defaults();
    struct nr_decoder *d = nr_decoder_new(&cfg);
    struct nr_article a;
    struct nr_error err;
    /* a Latin-1 byte, a cut 3-byte sequence (one U+FFFD: its maximal
     * subpart), an overlong '/' (two: C0 starts nothing) */
    const char *doc = "{\"id\":\"1\",\"title\":\"caf\xe9 \xe2\x82 \xc0\xaf ok\"}";
    assert_int_equal(nr_article_decode(d, doc, strlen(doc), &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_TITLE, "caf\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd ok");
    assert_int_equal(a.utf8_repairs, 4);
    assert_true(nr_utf8_valid(a.field[NR_FIELD_TITLE].p, a.field[NR_FIELD_TITLE].len));
    const char *good = "{\"id\":\"1\",\"title\":\"caf\xc3\xa9\"}";
    assert_int_equal(nr_article_decode(d, good, strlen(good), &a, &err), NR_REJECT_NONE);
    assert_int_equal(a.utf8_repairs, 0);
    nr_decoder_free(d);

    cfg.invalid_utf8 = (char *)"reject";
    d = nr_decoder_new(&cfg);
    assert_int_equal(nr_article_decode(d, doc, strlen(doc), &a, &err), NR_REJECT_BAD_UTF8);
    nr_decoder_free(d);
}

static void test_records(void **state)
{
    (void)state;
    cfg_defaults();
    struct nr_decoder *d = nr_decoder_new(&cfg);
    struct nr_article a;
    struct nr_error err;
    enum nr_reject why;
    /* a JSON array of articles, with a BOM in front */
    const char *arr =
        "\xEF\xBB\xBF[{\"id\":\"a\",\"title\":\"one\"}, 5, {\"id\":\"b\",\"body\":\"two\"}]";
    assert_int_equal(nr_article_open(d, arr, strlen(arr), &why, &err), 3);
    assert_int_equal(why, NR_REJECT_NONE);
    assert_int_equal(nr_article_record(d, 0, &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "a");
    assert_int_equal(nr_article_record(d, 1, &a, &err), NR_REJECT_NOT_OBJECT);
    assert_string_equal(err.msg, "article 2 is a number, not an object");
    assert_int_equal(nr_article_record(d, 2, &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_BODY, "two");
    assert_int_equal(nr_article_record(d, 3, &a, &err), NR_REJECT_NOT_OBJECT);
    assert_int_equal(nr_article_open(d, "[]", 2, &why, &err), 0);
    assert_int_equal(why, NR_REJECT_NONE);
    /* a BOM before one object */
    const char *one = "\xEF\xBB\xBF{\"id\":\"c\",\"title\":\"t\"}";
    assert_int_equal(nr_article_decode(d, one, strlen(one), &a, &err), NR_REJECT_NONE);
    nr_decoder_free(d);

    /* an envelope */
    cfg.records_ptr = (char *)"/articles";
    d = nr_decoder_new(&cfg);
    const char *env = "{\"status\":\"ok\",\"totalResults\":2,\"articles\":["
                      "{\"id\":\"e1\",\"title\":\"x\"},{\"id\":\"e2\",\"title\":\"y\"}]}";
    assert_int_equal(nr_article_open(d, env, strlen(env), &why, &err), 2);
    assert_int_equal(nr_article_record(d, 1, &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "e2");
    /* an object without the array is one article (an error response is
     * then rejected for what it lacks) */
    const char *bad = "{\"status\":\"error\",\"code\":\"apiKeyInvalid\"}";
    assert_int_equal(nr_article_open(d, bad, strlen(bad), &why, &err), 1);
    assert_int_equal(nr_article_record(d, 0, &a, &err), NR_REJECT_MISSING_ID);
    /* a bare array is the records themselves: records set for an API's
     * envelope still reads the same feed saved as an array */
    const char *bare = "[{\"id\":\"b1\",\"title\":\"x\"},{\"id\":\"b2\",\"title\":\"y\"},7]";
    assert_int_equal(nr_article_open(d, bare, strlen(bare), &why, &err), 3);
    assert_int_equal(why, NR_REJECT_NONE);
    assert_int_equal(nr_article_record(d, 0, &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "b1");
    assert_int_equal(nr_article_record(d, 1, &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_ID, "b2");
    assert_int_equal(nr_article_record(d, 2, &a, &err), NR_REJECT_NOT_OBJECT);
    /* an array of envelopes is not unwrapped: each element is an article */
    const char *envs = "[{\"articles\":[{\"id\":\"n\",\"title\":\"x\"}]}]";
    assert_int_equal(nr_article_open(d, envs, strlen(envs), &why, &err), 1);
    assert_int_equal(nr_article_record(d, 0, &a, &err), NR_REJECT_MISSING_ID);
    assert_int_equal(nr_article_open(d, "\"x\"", 3, &why, &err), 0);
    assert_int_equal(why, NR_REJECT_NOT_OBJECT);
    assert_string_equal(err.msg, "no /articles in the message (article.records)");
    const char *str = "{\"articles\":\"none\"}";
    assert_int_equal(nr_article_open(d, str, strlen(str), &why, &err), 0);
    assert_string_equal(err.msg, "/articles is a string, not an array of articles");
    nr_decoder_free(d);
}

static void test_field_lists(void **state)
{
    (void)state;
    cfg_defaults();
    cfg.field_ptr[NR_FIELD_BODY] = (char *)"/description";
    char *more[] = {(char *)"/content", (char *)"/extra"};
    cfg.field_more[NR_FIELD_BODY] = (struct nr_strlist){more, 2};
    cfg.field_ptr[NR_FIELD_PUBLISHED_AT] = (char *)"/date_publish";
    char *pub_more[] = {(char *)"/date_download"};
    cfg.field_more[NR_FIELD_PUBLISHED_AT] = (struct nr_strlist){pub_more, 1};
    cfg.field_ptr[NR_FIELD_LANGUAGE] = (char *)""; /* not read */
    struct nr_decoder *d = nr_decoder_new(&cfg);
    struct nr_article a;
    struct nr_error err;
    const char *doc = "{\"id\":\"1\",\"description\":\"Lead.\",\"content\":\"Rest [+12 chars]\","
                      "\"extra\":\"\",\"language\":\"en\",\"date_publish\":null,"
                      "\"date_download\":\"2016-06-06 10:00:00\"}";
    assert_int_equal(nr_article_decode(d, doc, strlen(doc), &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_BODY, "Lead.\n\nRest [+12 chars]");
    assert_null(a.field[NR_FIELD_LANGUAGE].p);
    char ts[40];
    nr_time_format_rfc3339(a.published_ms, ts, sizeof(ts));
    assert_string_equal(ts, "2016-06-06T10:00:00.000Z");
    /* only the second present, and a bad first one */
    const char *doc2 = "{\"id\":\"1\",\"description\":3,\"content\":[\"p1\",\"p2\"]}";
    assert_int_equal(nr_article_decode(d, doc2, strlen(doc2), &a, &err), NR_REJECT_NONE);
    assert_field(a, NR_FIELD_BODY, "p1\n\np2");
    nr_decoder_free(d);
}

/* Each preset reads a sample of its shape (written for this test). */
static void test_presets(void **state)
{
    (void)state;
    static const struct {
        const char *preset, *doc, *id, *title, *body, *source;
        size_t n;
        const char *published;
    } cases[] = {
        {"news-please",
         "{\"authors\":[\"A. Writer\"],\"date_download\":\"2016-06-06 11:00:00\","
         "\"date_modify\":null,\"date_publish\":\"2016-06-06 10:00:00\","
         "\"description\":\"Lead.\",\"filename\":\"x.json\",\"language\":\"en\","
         "\"maintext\":\"Body text.\",\"source_domain\":\"example.org\","
         "\"title\":\"Headline\",\"url\":\"https://example.org/a/1\"}",
         "https://example.org/a/1", "Headline", "Lead.\n\nBody text.", "example.org", 1,
         "2016-06-06T10:00:00.000Z"},
        /* no date_publish: the download date (months after a crawl's
         * publication) is not the event time; the driver's fallback is */
        {"news-please",
         "{\"date_download\":\"2016-12-06 11:00:00\",\"date_publish\":null,"
         "\"maintext\":\"Body text.\",\"source_domain\":\"example.org\","
         "\"title\":\"Headline\",\"url\":\"https://example.org/a/9\"}",
         "https://example.org/a/9", "Headline", "Body text.", "example.org", 1, NULL},
        {"newsapi",
         "{\"status\":\"ok\",\"totalResults\":1,\"articles\":[{\"source\":{\"id\":null,"
         "\"name\":\"Example News\"},\"author\":null,\"title\":\"Headline\","
         "\"description\":\"Lead.\",\"url\":\"https://example.org/a/2\",\"urlToImage\":null,"
         "\"publishedAt\":\"2024-03-01T09:30:00Z\",\"content\":\"Body [+120 chars]\"}]}",
         "https://example.org/a/2", "Headline", "Lead.\n\nBody [+120 chars]", "Example News", 1,
         "2024-03-01T09:30:00.000Z"},
        {"gdelt-doc",
         "{\"articles\":[{\"url\":\"https://example.org/a/3\",\"url_mobile\":\"\","
         "\"title\":\"Headline\",\"seendate\":\"20240301T093000Z\",\"socialimage\":\"\","
         "\"domain\":\"example.org\",\"language\":\"English\",\"sourcecountry\":\"Pakistan\"},"
         "{\"url\":\"https://example.org/a/4\",\"title\":\"Second\","
         "\"seendate\":\"20240301T100000Z\",\"domain\":\"example.org\"}]}",
         "https://example.org/a/3", "Headline", NULL, "example.org", 2, "2024-03-01T09:30:00.000Z"},
    };
    for (size_t i = 0; i < NR_ARRAY_LEN(cases); i++) {
        const struct nr_article_preset *p = nr_article_preset_find(cases[i].preset);
        assert_non_null(p);
        memset(&cfg, 0, sizeof(cfg));
        cfg.max_article_bytes = 1 << 20;
        char *more[NR_FIELD_COUNT][3];
        for (int f = 0; f < NR_FIELD_COUNT; f++) {
            cfg.field_ptr[f] = (char *)(p->fields[f][0] ? p->fields[f][0] : "");
            size_t n = 0;
            for (int k = 1; k < 4 && p->fields[f][k]; k++)
                more[f][n++] = (char *)p->fields[f][k];
            cfg.field_more[f] = (struct nr_strlist){more[f], n};
        }
        cfg.records_ptr = (char *)p->records;
        struct nr_decoder *d = nr_decoder_new(&cfg);
        struct nr_article a;
        struct nr_error err;
        enum nr_reject why;
        const char *doc = cases[i].doc;
        assert_int_equal(nr_article_open(d, doc, strlen(doc), &why, &err), cases[i].n);
        enum nr_reject r = nr_article_record(d, 0, &a, &err);
        if (r != NR_REJECT_NONE)
            fail_msg("%s: %s", cases[i].preset, err.msg);
        assert_field(a, NR_FIELD_ID, cases[i].id);
        assert_field(a, NR_FIELD_TITLE, cases[i].title);
        if (cases[i].body)
            assert_field(a, NR_FIELD_BODY, cases[i].body);
        else
            assert_null(a.field[NR_FIELD_BODY].p);
        assert_field(a, NR_FIELD_SOURCE, cases[i].source);
        char ts[40];
        if (cases[i].published) {
            nr_time_format_rfc3339(a.published_ms, ts, sizeof(ts));
            assert_string_equal(ts, cases[i].published);
        } else {
            assert_true(a.published_ms == NR_TIME_NONE);
        }
        assert_int_equal(a.field_errors, 0);
        nr_decoder_free(d);
    }
    assert_null(nr_article_preset_find("rss"));
}

int main(int argc, char **argv)
{
    g_data = argc > 1 ? argv[1] : "tests/data";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),           cmocka_unit_test(test_timezone_names),
        cmocka_unit_test(test_optional_fields), cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_records),         cmocka_unit_test(test_field_lists),
        cmocka_unit_test(test_presets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
