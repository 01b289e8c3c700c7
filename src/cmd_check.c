/*
 * cmd_check.c - `newsradar check -c FILE`: load the configuration with every
 * watchlist and rule file, print a one-line summary (exit 0) or every
 * diagnostic as "file:line:col: message" on stderr (exit 2).
 * `newsradar check --print-options` writes the option tables as Markdown
 * (the generated part of docs/configuration.md). Also the load of a
 * configuration and its tagger that `tag` and `eval` share
 * (nr_cli_load_tagger), so the three report a bad config alike, and
 * their reading of `-c FILE` (nr_cli_file_arg).
 */
#include "cmd.h"
#include "svc.h"
#include "newsradar/config.h"
#include "newsradar/tagger.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: newsradar check -c FILE\n"
               "       newsradar check --print-options\n"
               "\n"
               "  -c, --config FILE   the main configuration file\n"
               "      --print-options write every configuration option as Markdown\n"
               "\n"
               "exit status: 0 valid, 2 invalid (diagnostics on stderr), 64 usage error\n");
}

int nr_cmd_check(int argc, char **argv)
{
    const char *path = NULL;
    bool print_options = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int got = nr_cli_file_arg("check", argc, argv, &i, "-c", "--config", &path);
        if (got < 0) {
            usage(stderr);
            return NR_EXIT_USAGE;
        }
        if (got > 0)
            continue;
        if (strcmp(a, "--print-options") == 0) {
            print_options = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return NR_EXIT_OK;
        } else {
            fprintf(stderr, "newsradar check: unexpected argument '%s'\n", a);
            usage(stderr);
            return NR_EXIT_USAGE;
        }
    }
    if (print_options) {
        if (path) {
            fprintf(stderr, "newsradar check: --print-options takes no config file\n");
            return NR_EXIT_USAGE;
        }
        nr_config_print_options(stdout);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            perror("newsradar check: writing the options");
            return NR_EXIT_FAILURE;
        }
        return NR_EXIT_OK;
    }
    if (!path || !*path) {
        fprintf(stderr, "newsradar check: -c FILE is required\n");
        usage(stderr);
        return NR_EXIT_USAGE;
    }
    struct nr_diags diags = {0};
    struct nr_config *cfg = nr_config_load(path, &diags);
    /* librdkafka is the judge of its own properties (kafka.properties) */
    if (cfg && nr_svc_check_properties(cfg, &diags) != 0) {
        nr_config_free(cfg);
        cfg = NULL;
    }
    if (!cfg) {
        nr_diags_print(&diags, stderr);
        nr_diags_free(&diags);
        return NR_EXIT_CONFIG;
    }
    char line[256];
    nr_config_summary(cfg, line, sizeof(line));
    printf("%s\n", line);
    nr_config_free(cfg);
    nr_diags_free(&diags);
    return NR_EXIT_OK;
}

int nr_cli_file_arg(const char *cmd, int argc, char **argv, int *i, const char *shrt,
                    const char *lng, const char **file)
{
    const char *a = argv[*i];
    size_t n = strlen(lng);
    if (strncmp(a, lng, n) == 0 && a[n] == '=') {
        *file = a + n + 1;
        return 1;
    }
    if (strcmp(a, lng) != 0 && !(shrt && strcmp(a, shrt) == 0))
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "newsradar %s: %s needs a FILE\n", cmd, a);
        return -1;
    }
    *file = argv[++*i];
    return 1;
}

int nr_cli_load_tagger(const char *cmd, const char *path, struct nr_config **cfg,
                       struct nr_tagger **tagger)
{
    struct nr_diags diags = {0};
    struct nr_error err = {{0}};
    *tagger = NULL;
    *cfg = nr_config_load(path, &diags);
    if (!*cfg) {
        nr_diags_print(&diags, stderr);
        nr_diags_free(&diags);
        return NR_EXIT_CONFIG;
    }
    nr_diags_free(&diags);
    *tagger = nr_tagger_new(*cfg, &err);
    if (!*tagger) {
        fprintf(stderr, "newsradar %s: %s: %s\n", cmd, path, err.msg);
        return NR_EXIT_CONFIG;
    }
    return 0;
}
