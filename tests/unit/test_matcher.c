/* test_matcher.c - both engines against a naive reference matcher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/matcher.h"

static int cmp_match(const void *x, const void *y)
{
    const struct nr_match *a = x, *b = y;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Every occurrence of every pattern, the slow way. */
static size_t naive(const char **pats, size_t np, const char *text, size_t len,
                    struct nr_match **out)
{
    size_t n = 0, cap = 16;
    struct nr_match *v = malloc(cap * sizeof(*v));
    for (size_t p = 0; p < np; p++) {
        size_t pl = strlen(pats[p]);
        for (size_t i = 0; i + pl <= len; i++) {
            if (memcmp(text + i, pats[p], pl) == 0) {
                if (n == cap)
                    v = realloc(v, (cap *= 2) * sizeof(*v));
                v[n++] = (struct nr_match){(uint32_t)p, (uint32_t)i, (uint32_t)(i + pl)};
            }
        }
    }
    qsort(v, n, sizeof(*v), cmp_match);
    *out = v;
    return n;
}

static bool aword(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool contains(const struct nr_match *v, size_t n, const struct nr_match *x)
{
    return bsearch(x, v, n, sizeof(*v), cmp_match) != NULL;
}

/* With NR_MATCHER_WORD_START the engine may omit occurrences starting inside
 * an ASCII word: what it reports must lie between "all occurrences that do
 * not start inside a word" and "all occurrences". */
static void check_word_start(const struct nr_match *g, size_t n, const struct nr_match *all,
                             size_t nall, const char *text)
{
    for (size_t i = 0; i < n; i++)
        assert_true(contains(all, nall, &g[i]));
    for (size_t i = 0; i < nall; i++) {
        uint32_t s = all[i].start;
        bool inside = s > 0 && aword((unsigned char)text[s - 1]) && aword((unsigned char)text[s]);
        if (!inside)
            assert_true(contains(g, n, &all[i]));
    }
}

static void check_engine(enum nr_matcher_engine e, unsigned flags, const char **pats, size_t np,
                         const char *text, size_t len)
{
    struct nr_error err;
    struct nr_matcher *m = nr_matcher_new(e, flags, &err);
    assert_non_null(m);
    /* add in reverse order: ids, not insertion order, name patterns */
    for (size_t p = np; p-- > 0;)
        assert_int_equal(nr_matcher_add(m, pats[p], strlen(pats[p]), (uint32_t)p), 0);
    assert_int_equal(nr_matcher_freeze(m, &err), 0);
    assert_int_equal(nr_matcher_add(m, "x", 1, (uint32_t)np), -1); /* frozen */
    assert_int_equal(nr_matcher_patterns(m), np);
    struct nr_match_scratch *s = nr_match_scratch_new(m);
    assert_non_null(s);
    const struct nr_match *got;
    size_t n = nr_matcher_scan(m, s, text, len, &got);
    struct nr_match *want;
    size_t nw = naive(pats, np, text, len, &want);
    struct nr_match *g = malloc((n + 1) * sizeof(*g));
    if (n)
        memcpy(g, got, n * sizeof(*g));
    qsort(g, n, sizeof(*g), cmp_match);
    if (flags & NR_MATCHER_WORD_START) {
        check_word_start(g, n, want, nw, text);
        n = nw = 0;
    }
    assert_int_equal(n, nw);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(g[i].id, want[i].id);
        assert_int_equal(g[i].start, want[i].start);
        assert_int_equal(g[i].end, want[i].end);
    }
    free(g);
    free(want);
    nr_match_scratch_free(s);
    nr_matcher_free(m);
}

static void check_all(const char **pats, size_t np, const char *text, size_t len)
{
    for (unsigned flags = 0; flags <= NR_MATCHER_WORD_START; flags++) {
        check_engine(NR_MATCHER_AC, flags, pats, np, text, len);
        if (nr_matcher_engine_available(NR_MATCHER_HS))
            check_engine(NR_MATCHER_HS, flags, pats, np, text, len);
    }
}

static void test_basic(void **state)
{
    (void)state;
    const char *pats[] = {"he",      "she", "his", "hers", "pakistan", "pakistani taliban",
                          "taliban", "a",   "aa"};
    const char *text = "ushers and his pakistani taliban aaa she. a,aa";
    check_all(pats, NR_ARRAY_LEN(pats), text, strlen(text));
    check_all(pats, NR_ARRAY_LEN(pats), "", 0);
}

static void test_utf8_and_binary(void **state)
{
    (void)state;
    const char *pats[] = {"پاکستان", "москва", "é", "\x01\x02"};
    const char text[] = "از پاکستان в москва é\x01\x02\x01\x02";
    check_all(pats, NR_ARRAY_LEN(pats), text, sizeof(text) - 1);
}

/* Long random texts exercise the interleaved lanes and their cut overlaps. */
static void test_random_lanes(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    for (int round = 0; round < 20; round++) {
        size_t np = 1 + (size_t)(round * 7 % 60);
        char **pats = malloc(np * sizeof(char *));
        for (size_t p = 0; p < np; p++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t l = 1 + (size_t)(x % (round < 10 ? 6 : 40));
            pats[p] = malloc(l + 1);
            for (size_t k = 0; k < l; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                pats[p][k] = (char)(x % 5 == 0 ? ' ' : 'a' + x % 3);
            }
            pats[p][l] = 0;
            for (size_t q = 0; q < p; q++) /* ids must name distinct strings */
                if (strcmp(pats[q], pats[p]) == 0)
                    pats[p][0] = (char)(0x80 + p); /* unique first byte */
        }
        size_t len = 500 + (size_t)round * 731;
        char *text = malloc(len + 1);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            text[i] = (char)(x % 5 == 0 ? ' ' : x % 7 == 0 ? '.' : 'a' + x % 3);
        }
        check_all((const char **)pats, np, text, len);
        for (size_t p = 0; p < np; p++)
            free(pats[p]);
        free(pats);
        free(text);
    }
}

static void test_errors(void **state)
{
    (void)state;
    struct nr_error err;
    struct nr_matcher *m = nr_matcher_new(NR_MATCHER_AC, 0, &err);
    assert_int_equal(nr_matcher_add(m, "", 0, 0), -1);
    assert_int_equal(nr_matcher_add(m, "a", 1, 0), 0);
    assert_int_equal(nr_matcher_add(m, "b", 1, 5), 0); /* gap */
    assert_int_equal(nr_matcher_freeze(m, &err), -1);
    nr_matcher_free(m);
    /* empty matcher: valid, never matches */
    m = nr_matcher_new(NR_MATCHER_AC, 0, &err);
    assert_int_equal(nr_matcher_freeze(m, &err), 0);
    struct nr_match_scratch *s = nr_match_scratch_new(m);
    const struct nr_match *out;
    assert_int_equal(nr_matcher_scan(m, s, "abc", 3, &out), 0);
    nr_match_scratch_free(s);
    nr_matcher_free(m);
    nr_matcher_free(NULL);
    nr_match_scratch_free(NULL);
    if (!nr_matcher_engine_available(NR_MATCHER_HS))
        assert_null(nr_matcher_new(NR_MATCHER_HS, 0, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_utf8_and_binary),
        cmocka_unit_test(test_random_lanes),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
