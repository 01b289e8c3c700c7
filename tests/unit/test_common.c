/*
 * test_common.c - src/common.c: durations, RFC 3339 time, UTF-8 validation,
 * the stable hash and the small allocation helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/common.h"

static void test_duration_parse(void **state)
{
    (void)state;
    assert_int_equal(nr_duration_parse("500ms"), 500);
    assert_int_equal(nr_duration_parse("90s"), 90000);
    assert_int_equal(nr_duration_parse("15m"), 900000);
    assert_int_equal(nr_duration_parse("1h"), 3600000);
    assert_int_equal(nr_duration_parse("7d"), 7LL * 86400000);
    assert_int_equal(nr_duration_parse("0s"), 0);
    static const char *const bad[] = {"",
                                      "5",
                                      "h",
                                      "-1s",
                                      "1.5h",
                                      "1x",
                                      "1 h",
                                      " 1h",
                                      "1hh",
                                      "1H",
                                      "ms",
                                      "1sm",
                                      "1d ",
                                      "99999999999999999999d",
                                      "9223372036854775807ms"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (nr_duration_parse(bad[i]) != -1)
            fail_msg("\"%s\" parsed", bad[i]);
    }
    assert_int_equal(nr_duration_parse(NULL), -1);
}

static void test_duration_format(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *want;
    } cases[] = {{3600000, "1h"}, {90000, "90s"},         {1500, "1500ms"},
                 {0, "0ms"},      {7LL * 86400000, "7d"}, {86400000 + 3600000, "25h"},
                 {120000, "2m"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[32];
        nr_duration_format(cases[i].ms, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].want);
        if (cases[i].ms > 0)
            assert_int_equal(nr_duration_parse(buf), cases[i].ms);
    }
}

static void test_rfc3339_parse(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t want;
    } ok[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2024-03-01T12:00:00Z", 1709294400000LL},
        {"2024-03-01t12:00:00z", 1709294400000LL},
        {"2024-03-01 12:00:00Z", 1709294400000LL},
        {"2024-03-01T12:00:00.5Z", 1709294400500LL},
        {"2024-03-01T12:00:00.123456Z", 1709294400123LL},
        {"2024-03-01T14:30:00+02:30", 1709294400000LL},
        {"2024-03-01T07:00:00-05:00", 1709294400000LL},
        {"2024-02-29T00:00:00Z", 1709164800000LL},
        {"2000-02-29T00:00:00Z", 951782400000LL},
        {"1969-12-31T23:59:59Z", -1000},
        {"2016-12-31T23:59:60Z", 1483228799000LL}, /* leap second folds onto :59 */
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t ms = 42;
        if (nr_time_parse_rfc3339(ok[i].s, strlen(ok[i].s), &ms) != 0)
            fail_msg("\"%s\" rejected", ok[i].s);
        if (ms != ok[i].want)
            fail_msg("\"%s\" -> %lld, want %lld", ok[i].s, (long long)ms, (long long)ok[i].want);
    }
    static const char *const bad[] = {
        "",
        "2024-03-01",
        "2024-03-01T12:00:00",  /* no zone */
        "2024-03-01T12:00Z",    /* no seconds */
        "2024-13-01T12:00:00Z", /* month */
        "2024-00-01T12:00:00Z",
        "2024-04-31T12:00:00Z", /* day */
        "2023-02-29T12:00:00Z", /* not a leap year */
        "1900-02-29T12:00:00Z", /* century, not a leap year */
        "2024-03-01T24:00:00Z",
        "2024-03-01T12:60:00Z",
        "2024-03-01T12:00:61Z",
        "2024-03-01T12:00:00.Z", /* empty fraction */
        "2024-03-01T12:00:00+2:00",
        "2024-03-01T12:00:00+24:00",
        "2024-03-01T12:00:00+02:60",
        "2024-03-01T12:00:00+0200",
        "2024-03-01T12:00:00Zjunk",
        "2024-03-01X12:00:00Z",
        "2024/03/01T12:00:00Z",
        "+024-03-01T12:00:00Z",
        "2024-03-01T12:00:00 Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms;
        if (nr_time_parse_rfc3339(bad[i], strlen(bad[i]), &ms) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
    }
    /* the length is honoured: no reading past it, no NUL needed */
    const char buf[] = "2024-03-01T12:00:00Zgarbage";
    int64_t ms;
    assert_int_equal(nr_time_parse_rfc3339(buf, 20, &ms), 0);
    assert_int_equal(ms, 1709294400000LL);
    assert_int_equal(nr_time_parse_rfc3339(buf, 19, &ms), -1);
}

static void test_rfc3339_format(void **state)
{
    (void)state;
    char buf[40];
    nr_time_format_rfc3339(1709294400123LL, buf, sizeof(buf));
    assert_string_equal(buf, "2024-03-01T12:00:00.123Z");
    nr_time_format_rfc3339(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    nr_time_format_rfc3339(-1, buf, sizeof(buf));
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    nr_time_format_rfc3339(951782400000LL, buf, sizeof(buf));
    assert_string_equal(buf, "2000-02-29T00:00:00.000Z");
    /* round trip over 400 years in uneven steps */
    for (int64_t ms = -2208988800000LL; ms < 10413792000000LL; ms += 86400000LL * 97 + 3723004) {
        int64_t back;
        nr_time_format_rfc3339(ms, buf, sizeof(buf));
        if (nr_time_parse_rfc3339(buf, strlen(buf), &back) != 0 || back != ms)
            fail_msg("%lld -> %s -> %lld", (long long)ms, buf, (long long)back);
    }
}

static void test_utf8(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "",
        "plain ascii",
        "\xc3\xa9t\xc3\xa9",         /* 2 bytes */
        "\xe2\x82\xac \xe0\xa0\x80", /* 3 bytes, smallest 3-byte */
        "\xf0\x9f\x98\x80",          /* 4 bytes */
        "\xf4\x8f\xbf\xbf",          /* U+10FFFF */
        "\xed\x9f\xbf \xee\x80\x80", /* around the surrogates */
        "\xc2\x80",                  /* smallest 2-byte */
        "\xf0\x90\x80\x80",          /* smallest 4-byte */
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!nr_utf8_valid(ok[i], strlen(ok[i])))
            fail_msg("ok case %zu rejected", i);
    }
    static const char *const bad[] = {
        "\x80", /* lone continuation */
        "\xbf",
        "\xc0\xaf", /* overlong '/' */
        "\xc1\xbf",
        "\xe0\x80\xaf",     /* overlong 3 */
        "\xf0\x80\x80\xaf", /* overlong 4 */
        "\xed\xa0\x80",     /* U+D800 */
        "\xed\xbf\xbf",     /* U+DFFF */
        "\xf4\x90\x80\x80", /* > U+10FFFF */
        "\xf5\x80\x80\x80",
        "\xff",
        "\xfe",
        "\xc3", /* truncated */
        "\xe2\x82",
        "\xf0\x9f\x98",
        "\xc3\x28", /* bad continuation */
        "\xe2\x28\xa1",
        "\xf8\x88\x80\x80\x80", /* 5-byte form */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (nr_utf8_valid(bad[i], strlen(bad[i])))
            fail_msg("bad case %zu accepted", i);
    }
    /* the 8-byte ASCII fast path: a bad byte at every offset of a long run */
    char buf[64];
    for (size_t pos = 0; pos < sizeof(buf); pos++) {
        memset(buf, 'a', sizeof(buf));
        assert_true(nr_utf8_valid(buf, sizeof(buf)));
        buf[pos] = (char)0x80;
        if (nr_utf8_valid(buf, sizeof(buf)))
            fail_msg("0x80 at %zu accepted", pos);
        /* a sequence cut by the length is invalid, whole it is valid */
        memset(buf, 'a', sizeof(buf));
        if (pos + 2 <= sizeof(buf)) {
            memcpy(buf + pos, "\xc3\xa9", 2);
            assert_true(nr_utf8_valid(buf, sizeof(buf)));
            assert_false(nr_utf8_valid(buf, pos + 1));
        }
    }
    /* the run of 3-byte sequences (CJK): each bad or cut form after two
     * good ones, and good runs ending in other sequences */
    static const char *const run_bad[] = {"\xe0\x80\xaf", "\xed\xa0\x80", "\xe2\x28\xa1",
                                          "\xe2\x82\x28", "\xe2\x82",     "\xe2"};
    for (size_t i = 0; i < sizeof(run_bad) / sizeof(run_bad[0]); i++) {
        char r[16];
        int k = snprintf(r, sizeof(r), "\xe4\xb8\xad\xe6\x96\x87%s", run_bad[i]);
        if (nr_utf8_valid(r, (size_t)k))
            fail_msg("3-byte run with bad case %zu accepted", i);
    }
    static const char *const run_ok[] = {"\xe4\xb8\xad\xe6\x96\x87\xe3\x80\x82"
                                         "a",
                                         "\xe4\xb8\xad\xf0\x9f\x98\x80\xe4\xb8\xad\xc3\xa9",
                                         "\xe4\xb8\xad\xed\x9f\xbf\xee\x80\x80"};
    for (size_t i = 0; i < sizeof(run_ok) / sizeof(run_ok[0]); i++)
        if (!nr_utf8_valid(run_ok[i], strlen(run_ok[i])))
            fail_msg("3-byte run ok case %zu rejected", i);
    /* embedded NUL is valid UTF-8 (U+0000); the length rules, not strlen */
    assert_true(nr_utf8_valid("a\0b", 3));
}

/* nr_utf8_valid's 16-byte blocks against the one-sequence-at-a-time
 * reference (nr_utf8_seq): random texts of ASCII, 2-, 3- and 4-byte
 * sequences and the edge forms around each rule, mutated at random, every
 * prefix length (so sequences cross blocks at every lane). */
static bool utf8_ref(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    while (n) {
        size_t l = nr_utf8_seq(s, n);
        if (!l)
            return false;
        s += l, n -= l;
    }
    return true;
}

static void test_utf8_blocks(void **state)
{
    (void)state;
    static const char *const piece[] = {
        "a",
        " ",
        "Z",
        "\xc3\xa9",
        "\xd0\xb6",
        "\xd9\x8a",
        "\xc2\x80",
        "\xdf\xbf",
        "\xe4\xb8\xad",
        "\xe0\xa0\x80",
        "\xed\x9f\xbf",
        "\xee\x80\x80",
        "\xef\xbf\xbf",
        "\xf0\x90\x80\x80",
        "\xf0\x9f\x98\x80",
        "\xf4\x8f\xbf\xbf",
        "\xe2\x80\x8c",
        "\xc0\xaf",
        "\xe0\x9f\xbf",
        "\xed\xa0\x80",
        "\xf0\x8f\xbf\xbf",
        "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80",
        "\xff",
        "\x80",
        "\xc3",
        "\xe4\xb8",
        "\xf0\x9f\x98",
    };
    uint64_t r = 0x2545F4914F6CDD1DULL;
    char buf[96];
    for (int it = 0; it < 20000; it++) {
        size_t n = 0;
        while (n < 80) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            /* mostly valid pieces; an invalid one in about a third of texts */
            size_t k = (size_t)(r % (it % 3 ? 17 : NR_ARRAY_LEN(piece)));
            size_t l = strlen(piece[k]);
            memcpy(buf + n, piece[k], l);
            n += l;
        }
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        if (it % 4 == 3)
            buf[r % n] = (char)(r >> 32); /* one random byte */
        for (size_t len = 0; len <= n; len++)
            if (nr_utf8_valid(buf, len) != utf8_ref(buf, len))
                fail_msg("text %d, length %zu: nr_utf8_valid says %d", it, len,
                         (int)nr_utf8_valid(buf, len));
    }
}

static void test_hash(void **state)
{
    (void)state;
    /* alert ids and dedup keys derive from this hash: its values must never
     * change between versions (golden values) */
    assert_true(nr_hash64("", 0, 0) == 0x552d3fb62b3c344fULL);
    assert_true(nr_hash64("newsradar", 9, 0) == 0x5178872aab17f608ULL);
    assert_true(nr_hash64("newsradar", 9, 1) != nr_hash64("newsradar", 9, 0));
    assert_true(nr_hash64("a", 1, 0) != nr_hash64("b", 1, 0));
    assert_true(nr_hash64("ab", 2, 0) != nr_hash64("ba", 2, 0));
    /* low bits are spread: 4096 sequential keys over 256 buckets, none empty */
    unsigned buckets[256] = {0};
    for (unsigned i = 0; i < 4096; i++) {
        char k[16];
        int n = snprintf(k, sizeof(k), "k%u", i);
        buckets[nr_hash64(k, (size_t)n, 0) & 255]++;
    }
    for (int b = 0; b < 256; b++)
        assert_true(buckets[b] > 0);
}

static void test_helpers(void **state)
{
    (void)state;
    struct nr_error err;
    nr_error_set(&err, "x=%d %s", 5, "y");
    assert_string_equal(err.msg, "x=5 y");
    char big[1000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    nr_error_set(&err, "%s", big); /* truncated, terminated */
    assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
    nr_error_set(NULL, "ignored");

    char *s = nr_xstrndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = nr_xstrdup("");
    assert_string_equal(s, "");
    free(s);

    int *v = NULL;
    size_t cap = 0;
    nr_grow((void **)&v, &cap, 3, sizeof(*v));
    assert_true(cap >= 3);
    size_t c1 = cap;
    nr_grow((void **)&v, &cap, 2, sizeof(*v)); /* never shrinks */
    assert_int_equal(cap, c1);
    nr_grow((void **)&v, &cap, 1000, sizeof(*v));
    assert_true(cap >= 1000);
    v[999] = 7;
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_parse), cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_rfc3339_parse),  cmocka_unit_test(test_rfc3339_format),
        cmocka_unit_test(test_utf8),           cmocka_unit_test(test_utf8_blocks),
        cmocka_unit_test(test_hash),           cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
