/*
 * test_fuzz_query.c - runs the libFuzzer target tests/fuzz/fuzz_query.c
 * without clang: over its seed corpus (tests/fuzz/corpus-query), every
 * prefix and one-byte mutation of the seeds, and inputs built to be nasty
 * (deep nesting, long phrases, huge NEAR distances, many terms, text that
 * repeats a term thousands of times). The target aborts on any broken
 * invariant, which fails the test; under ASan+UBSan it is the fuzz smoke
 * test of CI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>

#include "../fuzz/fuzz_query.c"

static size_t runs;

static void run(const void *p, size_t n)
{
    uint8_t *buf = malloc(n ? n : 1); /* a private copy: ASan sees overreads */
    memcpy(buf, p, n);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    runs++;
}

static void run_mutations(const char *s, size_t n)
{
    static const char alphabet[] = {'"', '(', ')', '*', ' ', '-', 'N', '/', '\0', (char)0xc3};
    char *m = malloc(n + 1);
    for (size_t cut = 0; cut <= n; cut++)
        run(s, cut);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof(alphabet); k++) {
            memcpy(m, s, n);
            m[i] = alphabet[k];
            run(m, n);
        }
    }
    free(m);
}

static void test_seed_corpus(void **state)
{
    (void)state;
    const char *root = getenv("NR_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus-query", root ? root : "..");
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
        assert_non_null(f);
        char buf[4096];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        run_mutations(buf, n);
        files++;
    }
    closedir(dh);
    assert_true(files >= 5);
}

static void test_nasty(void **state)
{
    (void)state;
    size_t cap = 1 << 20;
    char *s = malloc(cap);
    /* nesting at and over the limit */
    for (int d = 31; d <= 34; d++) {
        size_t n = 0;
        for (int i = 0; i < d; i++)
            s[n++] = '(';
        s[n++] = 'a';
        for (int i = 0; i < d; i++)
            s[n++] = ')';
        run(s, n);
    }
    /* a term repeated: many matches of one term and of the NEAR window */
    size_t n = 0;
    while (n + 64 < 4096)
        n += (size_t)snprintf(s + n, cap - n, "bomb NEAR/50 bombs OR \"bomb bomb\" OR ");
    n += (size_t)snprintf(s + n, cap - n, "bombing");
    run(s, n);
    /* many OR'ed terms, then the longest query */
    n = 0;
    while (n + 16 < NR_QUERY_MAX_BYTES) {
        n += (size_t)snprintf(s + n, cap - n, "%sw%zu", n ? " OR " : "", n);
    }
    run(s, n);
    memset(s, 'x', NR_QUERY_MAX_BYTES + 1);
    run(s, NR_QUERY_MAX_BYTES + 1);
    /* phrases at and over the word limit, a prefix of only marks */
    run("\"a b c d e f g h i j k l m n o p\" OR q", 37);
    run("\"a b c d e f g h i j k l m n o p q\"", 35);
    run("\xcc\x81\xcc\x81\xcc\x81* OR x", 13);
    run("NEAR/50 NEAR/51 NEAR/00000050", 29);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_corpus),
        cmocka_unit_test(test_nasty),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    printf("fuzz_query: %zu inputs\n", runs);
    return rc;
}
