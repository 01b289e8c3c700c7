/*
 * metrics.h - a small Prometheus metrics registry.
 *
 * Values are C11 atomics: the service's processing thread updates them with
 * relaxed stores and the HTTP thread renders them without locks. Series are
 * registered up front (or when a rule appears on reload) under a mutex;
 * registering the same (name, labels) twice returns the same series. Render
 * produces the Prometheus text exposition format 0.0.4, families in
 * registration order.
 */
#ifndef NEWSRADAR_METRICS_H
#define NEWSRADAR_METRICS_H

#include <stdatomic.h>

#include "newsradar/common.h"

enum nr_metric_type { NR_METRIC_COUNTER, NR_METRIC_GAUGE, NR_METRIC_HISTOGRAM };

struct nr_metrics;
struct nr_histogram;

struct nr_metrics *nr_metrics_new(void);
void nr_metrics_free(struct nr_metrics *m);

/* labels: NULL or a Prometheus label list without braces, e.g.
 * `rule="x",state="firing"` (values already escaped: see nr_metrics_escape). */
_Atomic uint64_t *nr_metrics_counter(struct nr_metrics *m, const char *name, const char *help,
                                     const char *labels);
/* Gauges hold a double (stored as its bits). */
_Atomic uint64_t *nr_metrics_gauge(struct nr_metrics *m, const char *name, const char *help,
                                   const char *labels);
/* bounds: ascending upper bounds (without +Inf). */
struct nr_histogram *nr_metrics_histogram(struct nr_metrics *m, const char *name, const char *help,
                                          const double *bounds, size_t n_bounds);

static inline void nr_counter_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}
void nr_gauge_set(_Atomic uint64_t *g, double v);
void nr_histogram_observe(struct nr_histogram *h, double v);

/* Escape a label value (backslash, quote, newline) into buf. */
void nr_metrics_escape(const char *value, char *buf, size_t len);

/* The whole exposition; caller frees. */
char *nr_metrics_render(struct nr_metrics *m, size_t *len);

#endif
