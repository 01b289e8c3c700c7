/*
 * metrics.c - Prometheus registry (see metrics.h). Families are a linked
 * list in registration order, each with its series; a few dozen series at
 * most, so lookups are linear and happen only at registration.
 */
#include "newsradar/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nr_histogram {
    size_t n_bounds;
    double *bounds;
    _Atomic uint64_t *buckets; /* n_bounds + 1 (the last is +Inf) */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_bits; /* double, updated with CAS */
};

struct series {
    char *labels; /* NULL = none */
    _Atomic uint64_t value;
    struct nr_histogram *hist;
    struct series *next;
};

struct family {
    char *name, *help;
    enum nr_metric_type type;
    struct series *series, **tail;
    struct family *next;
};

struct nr_metrics {
    pthread_mutex_t lock;
    struct family *families, **tail;
};

struct nr_metrics *nr_metrics_new(void)
{
    struct nr_metrics *m = nr_xcalloc(1, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    m->tail = &m->families;
    return m;
}

void nr_metrics_free(struct nr_metrics *m)
{
    if (!m)
        return;
    struct family *f = m->families;
    while (f) {
        struct family *fn = f->next;
        struct series *s = f->series;
        while (s) {
            struct series *sn = s->next;
            if (s->hist) {
                free(s->hist->bounds);
                free(s->hist->buckets);
                free(s->hist);
            }
            free(s->labels);
            free(s);
            s = sn;
        }
        free(f->name);
        free(f->help);
        free(f);
        f = fn;
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static struct series *get_series(struct nr_metrics *m, const char *name, const char *help,
                                 enum nr_metric_type type, const char *labels)
{
    struct family *f;
    for (f = m->families; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            break;
    if (!f) {
        f = nr_xcalloc(1, sizeof(*f));
        f->name = nr_xstrdup(name);
        f->help = nr_xstrdup(help);
        f->type = type;
        f->tail = &f->series;
        *m->tail = f;
        m->tail = &f->next;
    }
    for (struct series *s = f->series; s; s = s->next)
        if ((!s->labels && !labels) || (s->labels && labels && strcmp(s->labels, labels) == 0))
            return s;
    struct series *s = nr_xcalloc(1, sizeof(*s));
    s->labels = labels ? nr_xstrdup(labels) : NULL;
    *f->tail = s;
    f->tail = &s->next;
    return s;
}

static _Atomic uint64_t *series_value(struct nr_metrics *m, const char *name, const char *help,
                                      enum nr_metric_type type, const char *labels)
{
    pthread_mutex_lock(&m->lock);
    struct series *s = get_series(m, name, help, type, labels);
    pthread_mutex_unlock(&m->lock);
    return &s->value;
}

_Atomic uint64_t *nr_metrics_counter(struct nr_metrics *m, const char *name, const char *help,
                                     const char *labels)
{
    return series_value(m, name, help, NR_METRIC_COUNTER, labels);
}

_Atomic uint64_t *nr_metrics_gauge(struct nr_metrics *m, const char *name, const char *help,
                                   const char *labels)
{
    return series_value(m, name, help, NR_METRIC_GAUGE, labels);
}

struct nr_histogram *nr_metrics_histogram(struct nr_metrics *m, const char *name, const char *help,
                                          const double *bounds, size_t n_bounds)
{
    pthread_mutex_lock(&m->lock);
    struct series *s = get_series(m, name, help, NR_METRIC_HISTOGRAM, NULL);
    if (!s->hist) {
        struct nr_histogram *h = nr_xcalloc(1, sizeof(*h));
        h->n_bounds = n_bounds;
        h->bounds = nr_xmalloc(n_bounds * sizeof(double));
        memcpy(h->bounds, bounds, n_bounds * sizeof(double));
        h->buckets = nr_xcalloc(n_bounds + 1, sizeof(*h->buckets));
        s->hist = h;
    }
    pthread_mutex_unlock(&m->lock);
    return s->hist;
}

static uint64_t dbits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof(b));
    return b;
}

static double bitsd(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof(v));
    return v;
}

void nr_gauge_set(_Atomic uint64_t *g, double v)
{
    atomic_store_explicit(g, dbits(v), memory_order_relaxed);
}

void nr_histogram_observe(struct nr_histogram *h, double v)
{
    size_t i = 0;
    while (i < h->n_bounds && v > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    uint64_t old = atomic_load_explicit(&h->sum_bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&h->sum_bits, &old, dbits(bitsd(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void nr_metrics_escape(const char *value, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = value; *p && o + 3 < len; p++) {
        if (*p == '\\' || *p == '"') {
            buf[o++] = '\\';
            buf[o++] = *p;
        } else if (*p == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else {
            buf[o++] = *p;
        }
    }
    buf[o] = '\0';
}

static const char *type_name(enum nr_metric_type t)
{
    return t == NR_METRIC_COUNTER ? "counter" : t == NR_METRIC_GAUGE ? "gauge" : "histogram";
}

char *nr_metrics_render(struct nr_metrics *m, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    pthread_mutex_lock(&m->lock);
    for (struct family *fam = m->families; fam; fam = fam->next) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
                type_name(fam->type));
        for (struct series *s = fam->series; s; s = s->next) {
            const char *lb = s->labels ? s->labels : "";
            const char *o = s->labels ? "{" : "", *c = s->labels ? "}" : "";
            uint64_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
            if (fam->type == NR_METRIC_COUNTER) {
                fprintf(f, "%s%s%s%s %llu\n", fam->name, o, lb, c, (unsigned long long)v);
            } else if (fam->type == NR_METRIC_GAUGE) {
                fprintf(f, "%s%s%s%s %.17g\n", fam->name, o, lb, c, bitsd(v));
            } else {
                struct nr_histogram *h = s->hist;
                uint64_t cum = 0;
                for (size_t i = 0; i <= h->n_bounds; i++) {
                    cum += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
                    if (i < h->n_bounds)
                        fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", fam->name, h->bounds[i],
                                (unsigned long long)cum);
                    else
                        fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", fam->name,
                                (unsigned long long)cum);
                }
                fprintf(f, "%s_sum %.17g\n%s_count %llu\n", fam->name,
                        bitsd(atomic_load_explicit(&h->sum_bits, memory_order_relaxed)), fam->name,
                        (unsigned long long)cum);
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    fclose(f);
    if (len)
        *len = size;
    return buf;
}
