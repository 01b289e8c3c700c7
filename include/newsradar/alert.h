/*
 * alert.h - an alert and its JSON form (docs/alerts.md, docs/alert.schema.json).
 *
 * struct nr_alert borrows every string (config text, the key's history); it
 * is valid only during the callback that receives it. nr_alert_to_json
 * returns a compact JSON object with the keys in a fixed order, so the same
 * alert always has the same bytes.
 */
#ifndef NEWSRADAR_ALERT_H
#define NEWSRADAR_ALERT_H

#include "newsradar/common.h"
#include "newsradar/config.h"

enum nr_alert_state { NR_ALERT_FIRING, NR_ALERT_ESCALATED, NR_ALERT_RESOLVED };

struct nr_alert_dim {
    const char *kind; /* the rule's `by` word ("country", "entity", ...) */
    const char *id, *name;
    const char *code; /* NULL if none */
};

struct nr_alert_article {
    struct nr_str id, title, url, source; /* p NULL -> null; may hold a NUL */
    int64_t published_ms;                 /* NR_TIME_NONE -> null */
    struct nr_str duplicate_of;           /* p NULL -> key absent */
    const char *language;                 /* lang.h tag; NULL or "" -> null */
};

struct nr_alert_entity {
    const char *id, *kind, *name;
    uint32_t mentions;
};

struct nr_alert {
    char alert_id[17]; /* 16 lowercase hex digits */
    const char *rule;
    enum nr_alert_state state;
    enum nr_severity severity;
    const char *topic; /* NULL -> null */
    const char *key;   /* the window key ("" = global); not in the JSON */
    const struct nr_alert_dim *dims;
    size_t n_dims;
    int64_t window_start_ms, window_end_ms;
    uint32_t count;
    double baseline; /* expected count per window */
    double ratio, p_value;
    const struct nr_alert_article *articles; /* newest first */
    size_t n_articles;
    const struct nr_alert_entity *entities;
    size_t n_entities;
    int64_t detected_ms; /* stream time at detection */
};

typedef void (*nr_alert_cb)(void *ud, const struct nr_alert *alert);

const char *nr_alert_state_name(enum nr_alert_state s);
const char *nr_severity_name(enum nr_severity s);

/* Compact JSON, keys in a fixed order; caller frees. NULL only if the alert
 * is malformed (e.g. an id that is not UTF-8). */
char *nr_alert_to_json(const struct nr_alert *a);

#endif
