/*
 * report_int.h - private to the report module: what a replay's report
 * collects (report.c) and the page writer reads (report_html.c), and the
 * bounds on it (the list is in report.c's note).
 */
#ifndef NEWSRADAR_REPORT_INT_H
#define NEWSRADAR_REPORT_INT_H

#include "newsradar/report.h"

#include <stdbool.h>
#include <stdint.h>

#define SERIES_FOLLOWED       2048 /* keys without an alert followed at a time */
#define SERIES_POINTS_ALERTED 4096 /* alerted keys that keep their timeline */
#define POINTS_MAX            600
#define ALERTS_MAX            100000
#define EVIDENCE_PER_EPISODE  20
#define EVIDENCE_BYTES_MAX    ((size_t)64 << 20)
#define TERMS_SLOTS           65536
#define TERMS_LEN             160
#define TIMELINES_MAX         500
#define STR_ID_MAX            200
#define STR_TITLE_MAX         300
#define STR_URL_MAX           600
#define STR_SOURCE_MAX        120
#define SERIES_TAB            8192 /* hash buckets of the key table */

struct pt {
    int64_t t;
    float count, expected, threshold;
};

struct series {
    uint32_t rule;
    uint64_t hash;
    char *key, *label;
    struct series *hnext, *lru_prev, *lru_next;
    struct pt *pts;
    uint32_t n, cap;
    int64_t min_dt;
    bool alerted, no_points, late_start;
    uint32_t n_episodes;
};

struct ev_art {
    char *id, *title, *url, *source, *terms;
    int64_t published_ms;
    bool dup;
};

struct episode {
    uint64_t id;
    struct series *s;
    int64_t start_ms, esc_ms, end_ms;
    uint8_t severity;
    struct ev_art *arts;
    uint32_t n_arts;
};

struct ralert {
    char id[17];
    uint8_t state, severity;
    uint32_t episode;
    int64_t detected_ms, ws, we;
    uint32_t count;
    double baseline, ratio, p;
};

struct terms_slot {
    uint64_t hash;
    char text[TERMS_LEN];
};

struct rule_count {
    uint64_t state[3], severity[4];
    uint64_t keys;
};

struct nr_report {
    const struct nr_config *cfg;
    struct series *tab[SERIES_TAB];
    size_t n_followed, n_alerted, n_with_points;
    struct series *lru_head, *lru_tail; /* keys without an alert */
    uint64_t series_evicted;
    struct series **all; /* alerted keys, in order of first alert */
    size_t cap_all;
    struct episode *eps;
    size_t n_eps, cap_eps;
    uint32_t *ep_tab; /* episode index + 1, open addressing on the id */
    size_t ep_mask;
    struct ralert *alerts;
    size_t n_alerts, cap_alerts;
    uint64_t alerts_unlisted, episodes_unlisted;
    size_t ev_bytes;
    uint64_t ev_dropped;
    struct terms_slot *terms;
    int64_t t_min, t_max;
    struct rule_count *rc;
};

#endif
