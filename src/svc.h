/*
 * svc.h - the Kafka service (`newsradar run`): private to the binary.
 */
#ifndef NEWSRADAR_SVC_H
#define NEWSRADAR_SVC_H

#include <signal.h>
#include <stdbool.h>

#include "newsradar/config.h"
#include "newsradar/metrics.h"

struct nr_svc;

/* Flags set by signal handlers; the service loop reads them. */
extern volatile sig_atomic_t nr_svc_stop_requested;
extern volatile sig_atomic_t nr_svc_reload_requested;

/* Run until SIGTERM/SIGINT (exit status 0) or a fatal Kafka error (1).
 * Takes ownership of cfg; config_path is re-read on SIGHUP. */
int nr_svc_run(const char *config_path, struct nr_config *cfg);

/* Validate the kafka.properties of cfg against librdkafka: every property
 * librdkafka rejects becomes a "file:line:col: message" diagnostic. */
int nr_svc_check_properties(const struct nr_config *cfg, struct nr_diags *diags);

/* ---- HTTP endpoint (svc_http.c) ------------------------------------------ */

struct nr_http;
/* Readiness is asked through a callback so that the HTTP thread reads only
 * atomics owned by the service. */
typedef bool (*nr_ready_fn)(void *ud, char *why, size_t len);
struct nr_http *nr_http_start(const char *listen, unsigned port, struct nr_metrics *m,
                              nr_ready_fn ready, void *ud, struct nr_error *err);
void nr_http_stop(struct nr_http *h);

#endif
