/*
 * cmd_run.c - `newsradar run -c FILE`: load and validate the configuration
 * (including the librdkafka properties), set up logging and signals, and
 * hand over to the Kafka service (svc_kafka.c).
 *
 * SIGTERM/SIGINT: drain and exit 0. SIGHUP: reload the configuration; an
 * invalid one is logged and the service keeps running on the old one.
 */
#include "cmd.h"
#include "svc.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "newsradar/log.h"

static void on_stop(int sig)
{
    (void)sig;
    nr_svc_stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    nr_svc_reload_requested = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: newsradar run -c FILE\n");
    return NR_EXIT_USAGE;
}

int nr_cmd_run(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fprintf(stdout, "usage: newsradar run -c FILE\n"
                            "Runs the Kafka service; see docs/operations.md.\n");
            return NR_EXIT_OK;
        } else {
            fprintf(stderr, "newsradar run: unexpected argument '%s'\n", argv[i]);
            return usage();
        }
    }
    if (!path)
        return usage();

    struct nr_diags diags = {0};
    struct nr_config *cfg = nr_config_load(path, &diags);
    if (cfg)
        nr_svc_check_properties(cfg, &diags);
    if (!cfg || diags.n) {
        nr_diags_print(&diags, stderr);
        nr_diags_free(&diags);
        nr_config_free(cfg);
        return NR_EXIT_CONFIG;
    }
    nr_diags_free(&diags);

    enum nr_log_level lvl;
    enum nr_log_format fmt;
    if (nr_log_level_parse(cfg->log.level, &lvl) == 0)
        nr_log_set_level(lvl);
    if (nr_log_format_parse(cfg->log.format, &fmt) == 0)
        nr_log_set_format(fmt);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    return nr_svc_run(path, cfg) == 0 ? NR_EXIT_OK : NR_EXIT_FAILURE;
}
