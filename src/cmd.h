/*
 * cmd.h - the subcommands of the newsradar program (private to the binary).
 *
 * Each command gets argv with argv[0] = the command name and returns the
 * process exit status; only main() exits. The exit codes are a contract
 * (docs/cli.md, `newsradar --help`).
 */
#ifndef NEWSRADAR_CMD_H
#define NEWSRADAR_CMD_H

#include <stddef.h>

#define NR_EXIT_OK       0  /* success */
#define NR_EXIT_FAILURE  1  /* runtime or I/O failure */
#define NR_EXIT_CONFIG   2  /* invalid configuration */
#define NR_EXIT_REJECTED 3  /* finished, but some input was rejected */
#define NR_EXIT_USAGE    64 /* usage error (EX_USAGE) */

/* Per-article error messages a command prints before it only counts them. */
#define NR_CLI_MAX_MESSAGES 100

int nr_cmd_check(int argc, char **argv);
int nr_cmd_tag(int argc, char **argv);
int nr_cmd_replay(int argc, char **argv);
int nr_cmd_eval(int argc, char **argv);
int nr_cmd_run(int argc, char **argv);

/* "256M", "1G", "4096": bytes; 0 or -1 (cmd_sort.c). */
int nr_cli_parse_size(const char *s, size_t *out);

/* argv[*i] as `SHORT FILE`, `LONG FILE` or `LONG=FILE` (short may be
 * NULL): 1 with *file set and *i on the last word read, 0 when argv[*i] is
 * another argument, -1 after "newsradar CMD: OPTION needs a FILE" on
 * stderr (cmd_check.c). */
int nr_cli_file_arg(const char *cmd, int argc, char **argv, int *i, const char *shrt,
                    const char *lng, const char **file);

struct nr_config;
struct nr_tagger;
/* Load the configuration at path and build its tagger into *cfg and
 * *tagger (each NULL on failure; the caller frees what is set). Returns 0,
 * or NR_EXIT_CONFIG with the diagnostics or "newsradar CMD: path: why" on
 * stderr (cmd_check.c). */
int nr_cli_load_tagger(const char *cmd, const char *path, struct nr_config **cfg,
                       struct nr_tagger **tagger);

#endif
