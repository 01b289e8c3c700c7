/*
 * test_shape.c - the field shape (prose, Title Case, all caps) of
 * nr_tagctx_shape, which skips from ASCII letter to ASCII letter once a
 * field is not Title Case (tagger_context.c), must equal the plain reading
 * of every word (below, the loop it replaced) on mixed-script texts: Latin
 * names in Cyrillic, Arabic and CJK prose, hyphenated and possessive words,
 * all-caps runs, short fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tagger_int.h"
#include "newsradar/names.h"

static enum nr_field_shape reference(const char *s, size_t len)
{
    size_t upper = 0, lower = 0, long_words = 0;
    bool title = true;
    struct nr_word w;
    size_t pos = 0;
    while (nr_word_next(s, len, pos, &w)) {
        pos = w.end + 1;
        size_t n = w.end - w.start;
        for (size_t i = w.start; i < w.end; i++) {
            unsigned char ch = (unsigned char)s[i];
            upper += ch >= 'A' && ch <= 'Z';
            lower += ch >= 'a' && ch <= 'z';
        }
        if (n >= 4 && w.alpha) {
            long_words++;
            if (!w.upper)
                title = false;
        }
        if (!title && lower * 10 > upper + lower)
            return NR_SHAPE_PROSE;
    }
    if (upper >= 4 && lower * 10 <= upper + lower)
        return NR_SHAPE_CAPS;
    if (title && long_words >= 3)
        return NR_SHAPE_TITLE;
    return NR_SHAPE_PROSE;
}

static void test_shape_matches_reference(void **state)
{
    (void)state;
    static const char *const tok[] = {"Karachi",
                                      "KARACHI",
                                      "talks",
                                      "Modi's",
                                      "Sharif-led",
                                      "Kabul-based",
                                      "U.S.",
                                      "NATO",
                                      "said",
                                      "Пакистан",
                                      "закрыл",
                                      "ПЕРЕХОД",
                                      "Торхам",
                                      "باكستان",
                                      "طورخم",
                                      "巴基斯坦",
                                      "关闭边境",
                                      "2024",
                                      "-",
                                      "\xE2\x80\x94",
                                      "O\xE2\x80\x99Neil",
                                      "\xC3\x89tat",
                                      "état",
                                      "a",
                                      "IS",
                                      "x-ray",
                                      "ab'c",
                                      "Ωmega",
                                      ",",
                                      ".",
                                      "Quetta",
                                      "QUETTA",
                                      "\xC2\xA0",
                                      "ŁÓDŹ",
                                      "łódź"};
    const size_t ntok = sizeof(tok) / sizeof(tok[0]);
    uint64_t r = 0x9E3779B97F4A7C15ULL;
    char s[2048];
    int seen[3] = {0, 0, 0};
    for (int it = 0; it < 30000; it++) {
        size_t n = 0;
        int words = 1 + it % 60;
        /* some texts are mostly one kind of token, so all shapes occur */
        size_t bias = (size_t)(it / 60) % ntok;
        for (int k = 0; k < words && n + 64 < sizeof(s); k++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            const char *t = tok[(r % 3 == 0) ? bias : (size_t)(r >> 8) % ntok];
            size_t l = strlen(t);
            memcpy(s + n, t, l);
            n += l;
            if ((r >> 40) % 5)
                s[n++] = ' ';
        }
        enum nr_field_shape want = reference(s, n);
        assert_int_equal(nr_tagctx_shape(s, n), want);
        seen[want == NR_SHAPE_PROSE ? 0 : want == NR_SHAPE_TITLE ? 1 : 2]++;
    }
    /* the corpus exercises every outcome */
    assert_true(seen[0] > 100 && seen[1] > 100 && seen[2] > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
