/* test_text_scripts.c - normalization and matching per script: Arabic-script
 * letter variants, digits, invisible marks and clitics (Arabic, Persian,
 * Urdu, Pashto), Cyrillic, and the unspaced CJK scripts, through the real
 * tagger where matching is what counts; the normalizer's run loops against
 * a reference made one character at a time; its fast steps (the 2-byte
 * table, CJK ideographs) against nr_text_fold_cp on every code point they
 * cover. */
#include <utf8proc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/text.h"
#include "../../src/text_int.h"

static char *norm(const char *s)
{
    struct nr_text t;
    nr_text_init(&t);
    nr_text_normalize(&t, s, strlen(s), 0);
    char *out = strdup(t.buf);
    nr_text_fini(&t);
    return out;
}

#define ASSERT_SAME(a, b)                                                                          \
    do {                                                                                           \
        char *x_ = norm(a), *y_ = norm(b);                                                         \
        assert_string_equal(x_, y_);                                                               \
        free(x_);                                                                                  \
        free(y_);                                                                                  \
    } while (0)

#define ASSERT_NORM(in, want)                                                                      \
    do {                                                                                           \
        char *got_ = norm(in);                                                                     \
        assert_string_equal(got_, want);                                                           \
        free(got_);                                                                                \
    } while (0)

static void test_arabic_letters(void **state)
{
    (void)state;
    /* yeh: Arabic ي, alef maksura ى, Farsi ی, yeh with hamza ئ */
    ASSERT_SAME("علي", "علی");
    ASSERT_SAME("مصطفى", "مصطفی");
    /* kaf: Arabic ك, keheh ک, swash kaf ڪ */
    ASSERT_SAME("باكستان", "باکستان");
    ASSERT_SAME("ڪراچي", "کراچی");
    /* heh family and teh marbuta: ہ (Urdu), ه, ە, ھ, ة */
    ASSERT_SAME("حملہ", "حمله");
    ASSERT_SAME("القاعدة", "القاعده");
    ASSERT_SAME("طالبانە", "طالبانه");
    ASSERT_SAME("بھارت", "بهارت");
    /* alef forms */
    ASSERT_SAME("أفغانستان", "افغانستان");
    ASSERT_SAME("إسلام آباد", "اسلام اباد");
    ASSERT_SAME("ٱلله", "الله");
    ASSERT_SAME("مؤتمر", "موتمر");
    /* harakat, tatweel */
    ASSERT_SAME("مُحَمَّد", "محمد");
    ASSERT_SAME("باكـــستان", "باکستان");
    ASSERT_SAME("شرطياً", "شرطیا");
}

static void test_arabic_digits_and_marks(void **state)
{
    (void)state;
    ASSERT_NORM("١٢٣٤٥٦٧٨٩٠", "1234567890"); /* Arabic-Indic */
    ASSERT_NORM("۱۲ کشته", "12 کشته");       /* Persian/Urdu */
    ASSERT_SAME("۲۰۲۶", "2026");
    /* ZWNJ dropped: "می‌شود" (with ZWNJ) == "میشود" */
    ASSERT_SAME("می\xe2\x80\x8cشود", "میشود");
    ASSERT_SAME("دست‌کم", "دستکم");
    /* bidi marks: RLM, LRM, ALM, embeddings, isolates */
    ASSERT_SAME("پاکستان\xe2\x80\x8f", "پاکستان");
    ASSERT_SAME("\xe2\x80\x8e\xd8\xb7\xd9\x88\xd8\xb1\xd8\xae\xd9\x85", "طورخم");
    ASSERT_SAME("\xd8\x9c"
                "کابل",
                "کابل");
    ASSERT_SAME("\xe2\x80\xab"
                "کابل"
                "\xe2\x80\xac",
                "کابل");
    ASSERT_SAME("\xe2\x81\xa7"
                "کابل"
                "\xe2\x81\xa9",
                "کابل");
    /* Arabic presentation forms decompose to the letters */
    ASSERT_SAME("\xef\xbb\xb7", "لا");
}

static bool bok(const char *text, const char *alias)
{
    char *t = norm(text), *a = norm(alias);
    const char *p = strstr(t, a);
    bool ok = false;
    while (p && !ok) {
        ok = nr_text_boundary_ok(t, strlen(t), (size_t)(p - t), (size_t)(p - t) + strlen(a));
        p = strstr(p + 1, a);
    }
    free(t);
    free(a);
    return ok;
}

static void test_arabic_clitics(void **state)
{
    (void)state;
    /* prefixes: wa-, bi-, li-, ka-, fa-, al- and combinations */
    assert_true(bok("وباكستان", "باكستان"));
    assert_true(bok("لباكستان", "باكستان"));
    assert_true(bok("بباكستان", "باكستان"));
    assert_true(bok("والقاعدة", "القاعدة"));
    assert_true(bok("بالقاعدة", "القاعدة"));
    assert_true(bok("وأفغانستان", "أفغانستان"));
    assert_true(bok("الباكستانية", "باكستان"));
    /* suffixes: nisba, plurals, Urdu/Persian/Pashto endings */
    assert_true(bok("السلطات الباكستانية", "باكستان"));
    assert_true(bok("مسؤول باكستاني", "باكستان"));
    assert_true(bok("پاکستانی حکام", "پاکستان"));
    assert_true(bok("پاکستانیوں کے", "پاکستان"));
    assert_true(bok("د طالبانو حکومت", "طالبان"));
    assert_true(bok("طالبان‌ها", "طالبان"));
    assert_true(bok("د ترکیې او", "ترکی"));
    /* not clitics: other letters glued on either side */
    assert_false(bok("سباكستان", "باكستان"));
    assert_false(bok("باكستانستان", "باكستان"));
    assert_false(bok("تالباكستان", "باكستان")); /* more than a clitic before */
    assert_false(bok("ایرانشهر", "ایران"));
    assert_false(bok("abcپاکستان", "پاکستان")); /* only between Arabic letters */
    /* plain boundaries still work */
    assert_true(bok("از پاکستان و", "پاکستان"));
    assert_true(bok("(پاکستان)", "پاکستان"));
}

static void test_cyrillic(void **state)
{
    (void)state;
    ASSERT_SAME("Ещё", "еще"); /* ё == е (diaeresis stripped) */
    ASSERT_NORM("ПАКИСТАН", "пакистан");
    assert_true(bok("в Пакистане", "Пакистане"));
    assert_false(bok("пакистанец", "пакистан")); /* inflections are aliases, not glue */
}

static void test_cjk(void **state)
{
    (void)state;
    /* no spaces between words: a name inside a run of Han still counts */
    assert_true(bok("巴基斯坦关闭了托尔哈姆边境口岸", "巴基斯坦"));
    assert_true(bok("巴基斯坦关闭了托尔哈姆边境口岸", "托尔哈姆"));
    assert_true(bok("据报道，塔利班发表声明", "塔利班"));
    /* Japanese: kana and kanji */
    assert_true(bok("パキスタンとアフガニスタンの国境", "アフガニスタン"));
    assert_true(bok("パキスタン政府は", "パキスタン"));
    /* full-width forms fold to ASCII */
    ASSERT_NORM("ＴＴＰ", "ttp");
    /* a Latin name glued to Han is still found (no word char on the Han side) */
    assert_true(bok("据TTP称", "ttp"));
}

/* Runs of words in one script with single ASCII bytes between them, and
 * ASCII text with an accent or a hyphen every few bytes (the normalizer's
 * run loops), against a reference made one character at a time: each
 * character normalized alone in a fresh text (so without the fold cache and
 * the run loops), space runs collapsed across characters, every output byte
 * mapped to its character. Texts up to ~12 KB cross several map windows. */
static void test_runs_reference(void **state)
{
    (void)state;
    static const uint32_t word_cp[] = {
        0x0430, 0x0439, 0x0451,  0x0416, 0x044F, 0x0401,         /* Cyrillic, й ё Ж Ё */
        0x0628, 0x064A, 0x0643,  0x0629, 0x0623, 0x064E, 0x0640, /* Arabic, haraka, tatweel */
        0x06CC, 0x06A9, 0x067E,  0x00E9, 0x00DF, 0x00C4, 0x0131, /* Persian, Latin-1, ı */
        0x4E2D, 0x6587, 0xAC00,  0x200C, 0x00A0, 0x2014, 0x201C, /* CJK, Hangul, ZWNJ, spaces */
        0xFB01, 0x00BD, 0x1F600, 0x0301, 0x2003, 0x0660, 0x06F5, /* ligature, ½, emoji, marks */
    };
    static const char ascii[] = " ,.-'`\t\nAbz09";
    uint64_t r = 0x9E3779B97F4A7C15ULL;
    size_t cap = 13000;
    char *s = malloc(cap), *want = malloc(4 * cap);
    uint32_t *wmap = malloc(4 * cap * sizeof(*wmap));
    size_t *start = malloc(cap * sizeof(*start));
    assert_true(s && want && wmap && start);
    struct nr_text warm;
    nr_text_init(&warm);
    for (int it = 0; it < 300; it++) {
        unsigned fl = it % 3 == 2 ? NR_TEXT_KEEP_CASE : 0;
        size_t n = 0, pieces = 0, len = it % 10 == 9 ? 12000 : 20 + (size_t)it * 7;
        int latin = it % 2; /* ASCII words with an odd character, or words in a script */
        while (n + 8 < len) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            size_t wl = 1 + (size_t)(r % 9);
            for (size_t q = 0; q < wl && n + 8 < len; q++) {
                r ^= r << 13, r ^= r >> 7, r ^= r << 17;
                start[pieces++] = n;
                if (latin && r % 11)
                    s[n++] = (char)('a' + r % 26 - ((r >> 9) % 5 ? 0 : 32));
                else
                    n += (size_t)utf8proc_encode_char(
                        (utf8proc_int32_t)word_cp[(r >> 8) % NR_ARRAY_LEN(word_cp)],
                        (utf8proc_uint8_t *)s + n);
            }
            size_t gap = (r >> 20) % 8 ? 1 : 2 + (r >> 24) % 3; /* mostly one ASCII byte */
            for (size_t q = 0; q < gap && n + 8 < len; q++) {
                start[pieces++] = n;
                s[n++] = ascii[(r >> (28 + q)) % (sizeof(ascii) - 1)];
            }
        }
        start[pieces] = n;
        size_t m = 0;
        bool last = false;
        for (size_t k = 0; k < pieces; k++) {
            struct nr_text one;
            nr_text_init(&one);
            nr_text_normalize(&one, s + start[k], start[k + 1] - start[k], fl);
            for (size_t q = 0; q < one.len; q++) {
                if (one.buf[q] == ' ' && last)
                    continue;
                last = one.buf[q] == ' ';
                want[m] = one.buf[q];
                wmap[m++] = (uint32_t)start[k];
            }
            nr_text_fini(&one);
        }
        nr_text_normalize(&warm, s, n, fl);
        assert_int_equal(warm.len, m);
        assert_memory_equal(warm.buf, want, m);
        for (size_t k = 0; k < m; k++)
            assert_int_equal(nr_text_orig(&warm, k), wmap[k]);
        assert_int_equal(nr_text_orig(&warm, m), n);
    }
    nr_text_fini(&warm);
    free(s);
    free(want);
    free(wmap);
    free(start);
}

/* The fast steps of the normalizer (text.c fold2_run: the 2-byte table
 * nr_text_fold2 and the CJK ideographs of nr_text_cjk_same; ascii_run's
 * 2-byte step) against the reference, nr_text_fold_cp of the code point
 * alone (utf8proc's NFKD and our folds), on every code point of
 * U+0080..U+07FF, U+3400..U+4DBF and U+4E00..U+9FFF, in both case modes:
 * the table entries themselves, and each code point between two Cyrillic
 * letters or inside a run of ASCII letters in one long text (so the run
 * loops take it, across the map windows), bytes and offsets. */
static void test_fast_steps_reference(void **state)
{
    (void)state;
    static const uint32_t ranges[][2] = {{0x80, 0x7FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}};
    for (unsigned keep = 0; keep < 2; keep++) {
        const utf8proc_option_t opts =
            UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | (keep ? 0 : UTF8PROC_CASEFOLD);
        const unsigned char *tbl = nr_text_ascii_fold_table(keep);
        const uint32_t *f2 = nr_text_fold2(keep);
        unsigned char out[96];
        for (uint32_t cp = 0; cp < NR_FOLD2_N; cp++) {
            uint32_t e = f2[cp];
            if (cp < 0x80) {
                assert_int_equal(e, NR_FOLD2_SLOW);
                continue;
            }
            size_t m = nr_text_fold_cp((int32_t)cp, opts, tbl, out);
            bool fits = (m == 1 || m == 2) && !memchr(out, ' ', m);
            if (!fits) {
                assert_int_equal(e, NR_FOLD2_SLOW);
                continue;
            }
            assert_int_equal(e >> 16, m);
            assert_int_equal(e & 0xFF, out[0]);
            if (m == 2)
                assert_int_equal((e >> 8) & 0xFF, out[1]);
        }
        for (size_t r = 0; r < NR_ARRAY_LEN(ranges); r++) {
            size_t n_cp = ranges[r][1] - ranges[r][0] + 1;
            char *s = malloc(n_cp * 32), *want = malloc(n_cp * 200);
            uint32_t *wmap = malloc(n_cp * 200 * sizeof(*wmap));
            assert_true(s && want && wmap);
            size_t n = 0, m = 0;
            bool last = false;
            for (uint32_t cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
                if (r > 0)
                    assert_true(nr_text_cjk_same(cp));
                /* ж cp ж space, or cp inside ASCII letters (ascii_run's
                 * block loop), by turns */
                const uint32_t cyr[] = {0x0436, cp, 0x0436, ' '};
                const uint32_t lat[] = {'a', 'b', 'c', 'D', 'e', 'f', 'g', 'h', cp,
                                        'i', 'j', 'k', 'l', 'M', 'n', 'o', 'p', 'q',
                                        'r', 's', 't', 'u', 'v', 'w', ' '};
                const uint32_t *piece = cp % 2 ? lat : cyr;
                size_t n_piece = cp % 2 ? NR_ARRAY_LEN(lat) : NR_ARRAY_LEN(cyr);
                for (size_t q = 0; q < n_piece; q++) {
                    size_t start = n;
                    n += (size_t)utf8proc_encode_char((utf8proc_int32_t)piece[q],
                                                      (utf8proc_uint8_t *)s + n);
                    size_t k = piece[q] < 0x80 ? (out[0] = tbl[piece[q]], 1)
                                               : nr_text_fold_cp((int32_t)piece[q], opts, tbl, out);
                    for (size_t b = 0; b < k; b++) {
                        if (out[b] == ' ' && last)
                            continue;
                        last = out[b] == ' ';
                        want[m] = (char)out[b];
                        wmap[m++] = (uint32_t)start;
                    }
                }
            }
            struct nr_text t;
            nr_text_init(&t);
            nr_text_normalize(&t, s, n, keep ? NR_TEXT_KEEP_CASE : 0);
            assert_int_equal(t.len, m);
            assert_memory_equal(t.buf, want, m);
            for (size_t k = 0; k < m; k++)
                if (nr_text_orig(&t, k) != wmap[k])
                    fail_msg("range %zu, keep %u: byte %zu maps to %u, want %u", r, keep, k,
                             (unsigned)nr_text_orig(&t, k), (unsigned)wmap[k]);
            nr_text_fini(&t);
            free(s);
            free(want);
            free(wmap);
        }
    }
}

/* A 2-byte character or a lead byte in the last lanes of the last 16-byte
 * block: nothing past s[0..len) is read (the text is copied into a buffer
 * of exactly its length, so ASan sees a read past it). */
static void test_fast_step_block_end(void **state)
{
    (void)state;
    const char *cases[] = {"\xc3\xa9 abcdefghijklm\xc3\xa9", "abcdefghijklmno\xc3\xa9",
                           "abcdefghijklmnopqrstuvwxyz01234\xc3", "abcdefghijklmn\xc3\xa9"};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t n = strlen(cases[k]);
        char *exact = malloc(n);
        assert_non_null(exact);
        memcpy(exact, cases[k], n);
        struct nr_text t;
        nr_text_init(&t);
        nr_text_normalize(&t, exact, n, 0);
        char *ref = norm(cases[k]); /* the same bytes, NUL after them */
        assert_string_equal(t.buf, ref);
        free(ref);
        nr_text_fini(&t);
        free(exact);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arabic_letters),
        cmocka_unit_test(test_arabic_digits_and_marks),
        cmocka_unit_test(test_arabic_clitics),
        cmocka_unit_test(test_cyrillic),
        cmocka_unit_test(test_cjk),
        cmocka_unit_test(test_runs_reference),
        cmocka_unit_test(test_fast_steps_reference),
        cmocka_unit_test(test_fast_step_block_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
