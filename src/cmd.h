/*
 * cmd.h - the subcommands of the newsradar program (private to the binary).
 *
 * Each command gets argv with argv[0] = the command name and returns the
 * process exit status; only main() exits. The exit codes are a contract
 * (docs/cli.md, `newsradar --help`).
 */
#ifndef NEWSRADAR_CMD_H
#define NEWSRADAR_CMD_H

#define NR_EXIT_OK       0  /* success */
#define NR_EXIT_FAILURE  1  /* runtime or I/O failure */
#define NR_EXIT_CONFIG   2  /* invalid configuration */
#define NR_EXIT_REJECTED 3  /* finished, but some input was rejected */
#define NR_EXIT_USAGE    64 /* usage error (EX_USAGE) */

int nr_cmd_check(int argc, char **argv);
int nr_cmd_tag(int argc, char **argv);
int nr_cmd_replay(int argc, char **argv);
int nr_cmd_eval(int argc, char **argv);
int nr_cmd_run(int argc, char **argv);

#endif
