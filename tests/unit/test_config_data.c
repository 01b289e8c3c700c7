/*
 * test_config_data.c - configuration behaviour as data.
 *
 * Every tests/data/config/NAME.yaml with a sibling NAME.expect is one test:
 * the loader runs with tests/data/config as the working directory (so paths
 * in diagnostics are relative and machine-independent) and its output must
 * equal NAME.expect byte for byte: the diagnostics as nr_diags_print writes
 * them, or for a valid configuration the `check` summary line. Adding a case
 * is adding two files. The environment holds NR_TEST_SECRET=s3cret and never
 * NR_TEST_UNSET_VARIABLE, for the ${NAME} cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "newsradar/config.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static char *run_case(const char *yaml)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct nr_diags diags = {0};
    struct nr_config *cfg = nr_config_load(yaml, &diags);
    if (cfg) {
        char line[256];
        nr_config_summary(cfg, line, sizeof(line));
        fprintf(f, "%s\n", line);
        /* a valid config reports nothing */
        if (diags.n != 0)
            fprintf(f, "(unexpected: %zu diagnostics with a loaded config)\n", diags.n);
    } else if (diags.n == 0) {
        fprintf(f, "(unexpected: load failed without diagnostics)\n");
    }
    nr_diags_print(&diags, f);
    nr_diags_free(&diags);
    nr_config_free(cfg);
    fclose(f);
    return out;
}

static void test_case(void **state)
{
    const char *yaml = *state;
    char expect_path[512];
    snprintf(expect_path, sizeof(expect_path), "%.*s.expect", (int)(strlen(yaml) - 5), yaml);
    char *expected = slurp(expect_path);
    assert_non_null(expected);
    char *got = run_case(yaml);
    if (strcmp(got, expected) != 0)
        print_error("%s\n--- expected\n%s--- got\n%s", yaml, expected, got);
    assert_string_equal(got, expected);
    /* loading twice gives the same answer (no hidden state) */
    char *again = run_case(yaml);
    assert_string_equal(again, got);
    free(again);
    free(got);
    free(expected);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TESTS_DATA_DIR\n", argv[0]);
        return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/config", argv[1]);
    if (chdir(dir) != 0) {
        perror(dir);
        return 2;
    }
    setenv("NR_TEST_SECRET", "s3cret", 1);
    unsetenv("NR_TEST_UNSET_VARIABLE");

    DIR *d = opendir(".");
    if (!d) {
        perror(dir);
        return 2;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l <= 5 || strcmp(de->d_name + l - 5, ".yaml") != 0)
            continue;
        char ex[512];
        snprintf(ex, sizeof(ex), "%.*s.expect", (int)(l - 5), de->d_name);
        if (access(ex, R_OK) != 0)
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_name);
    if (n < 20) {
        fprintf(stderr, "only %zu config cases found in %s\n", n, dir);
        return 1;
    }
    struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    for (size_t i = 0; i < n; i++) {
        tests[i].name = names[i];
        tests[i].test_func = test_case;
        tests[i].initial_state = names[i];
    }
    int rc = _cmocka_run_group_tests("config_data", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(tests);
    return rc;
}
