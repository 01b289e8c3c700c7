/*
 * test_fuzz_corpus.c - runs the libFuzzer target (tests/fuzz/fuzz_article.c)
 * without clang: over the seed corpus in tests/fuzz/corpus and over inputs
 * built here to be nasty (every truncation of valid articles, deep nesting,
 * huge numbers, bad escapes, invalid UTF-8, one-byte mutations). Under the
 * ASan+UBSan build this is CI's fuzz smoke test; the target aborts on any
 * broken invariant, which fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>

#include "../fuzz/fuzz_article.c"

static size_t runs;

static void run(const void *p, size_t n)
{
    /* a private copy so ASan sees reads past the end */
    uint8_t *buf = malloc(n ? n : 1);
    memcpy(buf, p, n);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    runs++;
}

static void run_str(const char *s)
{
    run(s, strlen(s));
}

/* every prefix, and every single-byte substitution from a small alphabet */
static void run_mutations(const char *s)
{
    static const char alphabet[] = {'"', '\\', '{', '}', '[',  ']',  ':',        ',',
                                    ' ', '0',  'u', 'n', '\0', '\n', (char)0x80, (char)0xff};
    size_t n = strlen(s);
    char *m = malloc(n + 1);
    for (size_t cut = 0; cut <= n; cut++)
        run(s, cut);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof(alphabet); k++) {
            memcpy(m, s, n);
            m[i] = alphabet[k];
            run(m, n);
        }
        /* deletion of byte i */
        memcpy(m, s, i);
        memcpy(m + i, s + i + 1, n - i - 1);
        run(m, n - 1);
    }
    free(m);
}

static void test_generated(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B \\u00e9\\ud83d\\ude00\",\"links\":[\"u\"],"
        "\"meta\":{\"source\":\"s\"},\"m/l\":\"en\",\"published_at\":\"2024-03-01T12:00:00Z\"}",
        "{\"id\":7,\"body\":\"x\",\"n\":[1e999,-1e-999,123456789012345678901234567890]}",
        "{\"id\":\"e\",\"title\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"x\":{\"\":[[{}]]}}",
    };
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        run_mutations(seeds[i]);

    static const char *const nasty[] = {
        "",
        "{",
        "}",
        "[",
        "\"",
        "\\",
        "{\"",
        "{\"id\"",
        "{\"id\":",
        "{\"id\":\"",
        "nul",
        "-",
        "{\"id\":\"1\",\"title\":\"t\"}}",
        "{\"id\":\"1\",\"title\":\"t\"}]",
        "{\"id\":\"1\",\"title\":\"\\u\"}",
        "{\"id\":\"1\",\"title\":\"\\uD83D\\u\"}",
        "{\"id\":\"1\",\"title\":\"\\uDBFF\\uDFFF\"}",
        "{\"id\":\"1\",\"title\":\"\\uDFFF\"}",
        "{\"id\":\"1\",\"title\":\"\\uD800\\\\uDC00\"}",
        "{\"id\":\"1\",\"title\":\"\\",
        "{\"id\":\"1\",\"title\":\"t\",\"n\":1e999999999999}",
        "{\"id\":\"1\",\"title\":\"t\",\"n\":-0.000000000000000000000001}",
        "{\"id\":99999999999999999999999999999999999999,\"title\":\"t\"}",
        "{\"id\":\"1\",\"title\":\"\xf0\x9f\x98\"}",
        "{\"id\":\"1\",\"title\":\"\xed\xb0\x80\"}",
        "{\"id\":\"1\",\"title\":\"\xc0\x80\"}",
        "\xef\xbb\xbf{\"id\":\"1\",\"title\":\"t\"}",
        "{\"id\":\"1\",\"title\":\"t\",\"published_at\":\"9999-12-31T23:59:59.999999999Z\"}",
        "{\"id\":\"1\",\"title\":\"t\",\"published_at\":\"0000-01-01T00:00:00Z\"}",
        "{\"id\":\"1\",\"title\":\"t\",\"published_at\":\"2024-03-01T12:00:00+23:59\"}",
    };
    for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++)
        run_str(nasty[i]);

    /* nesting at, just over and far over the limit; unbalanced both ways */
    size_t depths[] = {127, 128, 129, 5000, 100000};
    for (size_t k = 0; k < sizeof(depths) / sizeof(depths[0]); k++) {
        size_t depth = depths[k];
        char *s = malloc(depth * 2 + 64);
        size_t n = (size_t)sprintf(s, "{\"id\":\"1\",\"title\":\"t\",\"x\":");
        memset(s + n, '[', depth);
        n += depth;
        memset(s + n, ']', depth);
        run(s, n + depth);
        s[n + depth] = '}';
        run(s, n + depth + 1);
        run(s, n + depth - 1);
        free(s);
    }
    /* a long string with escapes, many members, and one huge number */
    size_t big = 200000;
    char *s = malloc(big + 64);
    size_t n = (size_t)sprintf(s, "{\"id\":\"1\",\"title\":\"");
    while (n < big) {
        memcpy(s + n, "\\u00e9ab\\n", 10);
        n += 10;
    }
    n += (size_t)sprintf(s + n, "\"}");
    run(s, n);
    memset(s, '9', big);
    run(s, big);
    free(s);
}

static void test_seed_corpus(void **state)
{
    (void)state;
    const char *root = getenv("NR_SOURCE_DIR");
    if (!root)
        root = "..";
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus", root);
    DIR *dh = opendir(dir);
    if (!dh)
        fail_msg("cannot open %s (set NR_SOURCE_DIR to the source root)", dir);
    size_t files = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            fail_msg("cannot open %s", path);
        char *buf = malloc(1 << 20);
        size_t n = fread(buf, 1, 1 << 20, f);
        fclose(f);
        buf[n < (1u << 20) ? n : n - 1] = '\0';
        run(buf, n);
        if (n < 4096)
            run_mutations(buf);
        free(buf);
        files++;
    }
    closedir(dh);
    assert_true(files >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_seed_corpus),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    nr_decoder_free(fuzz_decoder());
    printf("fuzz corpus: %zu inputs\n", runs);
    return rc;
}
