/*
 * main.c - the newsradar program: dispatches to a command (cmd_*.c) and
 * answers --help and --version. Nothing else lives here.
 */
#include "cmd.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>
#include <yaml.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"check", nr_cmd_check, "validate the configuration and its watchlists and rules"},
    {"tag", nr_cmd_tag, "tag articles (a JSON object or JSONL) with entities and topics"},
    {"replay", nr_cmd_replay, "run the whole engine over a JSONL file in event time"},
    {"eval", nr_cmd_eval, "score the tagger against labelled articles (precision, recall, F1)"},
    {"run", nr_cmd_run, "the Kafka service"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: newsradar COMMAND [OPTIONS] [ARGS]\n"
               "       newsradar --help | --version\n"
               "\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n"
               "  newsradar check  -c FILE\n"
               "  newsradar tag    -c FILE [--explain] [--text] [ARTICLE|-]\n"
               "  newsradar replay -c FILE [OPTIONS] ARTICLES|-\n"
               "  newsradar eval   -c FILE [--json] [--floors FILE] LABELLED.jsonl...\n"
               "  newsradar run    -c FILE\n"
               "\n"
               "`newsradar COMMAND --help` describes a command's options.\n"
               "\n"
               "exit status:\n"
               "  0   success\n"
               "  1   runtime or I/O failure (eval: a metric below its floor)\n"
               "  2   invalid configuration\n"
               "  3   finished, but some input was rejected\n"
               "  64  usage error\n");
}

static void version(void)
{
    printf("newsradar %s\n", NR_VERSION);
    printf("librdkafka %s\n", rd_kafka_version_str());
    printf("jansson %s\n", jansson_version_str());
    printf("libyaml %s\n", yaml_get_version_string());
    printf("utf8proc %s\n", utf8proc_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return NR_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return NR_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        version();
        return NR_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "newsradar: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return NR_EXIT_USAGE;
}
