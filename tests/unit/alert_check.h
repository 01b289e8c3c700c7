/*
 * alert_check.h - structural check of one alert JSON object against
 * docs/alert.schema.json, written out in C (required keys, no unknown keys,
 * types, enums, ranges). Not a general JSON Schema validator: when the schema
 * changes, change this too (tests/cli/alert_schema.sh checks the schema file
 * itself with Python's jsonschema when it is installed).
 *
 * Returns NULL when the alert is valid, else a static message.
 */
#ifndef NR_ALERT_CHECK_H
#define NR_ALERT_CHECK_H

#include "newsradar/common.h"

#include <jansson.h>
#include <string.h>

static inline bool ac_only_keys(json_t *o, const char *const *keys, size_t n)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < n; i++)
            known |= strcmp(k, keys[i]) == 0;
        if (!known)
            return false;
    }
    return true;
}

static inline bool ac_time(json_t *v)
{
    int64_t ms;
    return json_is_string(v) &&
           nr_time_parse_rfc3339(json_string_value(v), json_string_length(v), &ms) == 0;
}

static inline bool ac_str_or_null(json_t *v)
{
    return v && (json_is_string(v) || json_is_null(v));
}

static inline bool ac_in(json_t *v, const char *const *vals, size_t n)
{
    if (!json_is_string(v))
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(json_string_value(v), vals[i]) == 0)
            return true;
    return false;
}

static inline const char *alert_check(json_t *a)
{
    static const char *const top[] = {"alert_id",   "rule",     "state",      "severity", "topic",
                                      "dimensions", "window",   "count",      "baseline", "score",
                                      "articles",   "entities", "detected_at"};
    static const char *const states[] = {"firing", "escalated", "resolved"};
    static const char *const sevs[] = {"low", "medium", "high", "critical"};
    if (!json_is_object(a))
        return "not an object";
    for (size_t i = 0; i < NR_ARRAY_LEN(top); i++)
        if (!json_object_get(a, top[i]))
            return "a required key is missing";
    if (!ac_only_keys(a, top, NR_ARRAY_LEN(top)))
        return "unknown top-level key";
    json_t *id = json_object_get(a, "alert_id");
    if (!json_is_string(id) || json_string_length(id) != 16 ||
        strspn(json_string_value(id), "0123456789abcdef") != 16)
        return "alert_id: 16 lowercase hex digits";
    json_t *rule = json_object_get(a, "rule");
    if (!json_is_string(rule) || json_string_length(rule) == 0)
        return "rule: non-empty string";
    if (!ac_in(json_object_get(a, "state"), states, 3))
        return "state: enum";
    if (!ac_in(json_object_get(a, "severity"), sevs, 4))
        return "severity: enum";
    if (!ac_str_or_null(json_object_get(a, "topic")))
        return "topic: string or null";
    const char *k;
    json_t *v;
    json_t *dims = json_object_get(a, "dimensions");
    if (!json_is_object(dims))
        return "dimensions: object";
    json_object_foreach(dims, k, v)
    {
        static const char *const dk[] = {"id", "name", "code"};
        if (!json_is_object(v) || !json_is_string(json_object_get(v, "id")) ||
            !json_is_string(json_object_get(v, "name")) || !ac_only_keys(v, dk, 3))
            return "dimensions: {id, name, code?}";
        json_t *code = json_object_get(v, "code");
        if (code && !json_is_string(code))
            return "dimensions: code is a string";
    }
    json_t *w = json_object_get(a, "window");
    static const char *const wk[] = {"start", "end"};
    if (!json_is_object(w) || !ac_time(json_object_get(w, "start")) ||
        !ac_time(json_object_get(w, "end")) || !ac_only_keys(w, wk, 2) ||
        strcmp(json_string_value(json_object_get(w, "start")),
               json_string_value(json_object_get(w, "end"))) >= 0)
        return "window: {start < end} RFC 3339";
    json_t *count = json_object_get(a, "count");
    if (!json_is_integer(count) || json_integer_value(count) < 0)
        return "count: integer >= 0";
    json_t *base = json_object_get(a, "baseline");
    if (!json_is_number(base) || json_number_value(base) <= 0)
        return "baseline: number > 0";
    json_t *score = json_object_get(a, "score");
    static const char *const sk[] = {"ratio", "p_value"};
    json_t *ratio = json_object_get(score, "ratio"), *p = json_object_get(score, "p_value");
    if (!json_is_object(score) || !ac_only_keys(score, sk, 2) || !json_is_number(ratio) ||
        json_number_value(ratio) < 0 || !json_is_number(p) || json_number_value(p) < 0 ||
        json_number_value(p) > 1)
        return "score: {ratio >= 0, 0 <= p_value <= 1}";
    json_t *arts = json_object_get(a, "articles");
    if (!json_is_array(arts))
        return "articles: array";
    size_t i;
    json_array_foreach(arts, i, v)
    {
        static const char *const ak[] = {"id",       "title",        "url",         "source",
                                         "language", "published_at", "duplicate_of"};
        json_t *pub = json_object_get(v, "published_at"), *dup = json_object_get(v, "duplicate_of");
        json_t *lang = json_object_get(v, "language");
        if (!json_is_object(v) || !ac_only_keys(v, ak, 7) || !lang ||
            !(json_is_null(lang) || (json_is_string(lang) && json_string_length(lang) >= 2 &&
                                     json_string_length(lang) <= 3)) ||
            !json_is_string(json_object_get(v, "id")) ||
            !ac_str_or_null(json_object_get(v, "title")) ||
            !ac_str_or_null(json_object_get(v, "url")) ||
            !ac_str_or_null(json_object_get(v, "source")) || !pub ||
            !(json_is_null(pub) || ac_time(pub)) || (dup && !json_is_string(dup)))
            return "articles: {id, title, url, source, language, published_at, duplicate_of?}";
    }
    json_t *ents = json_object_get(a, "entities");
    if (!json_is_array(ents))
        return "entities: array";
    json_array_foreach(ents, i, v)
    {
        static const char *const ek[] = {"id", "kind", "name", "mentions"};
        json_t *m = json_object_get(v, "mentions");
        if (!json_is_object(v) || !ac_only_keys(v, ek, 4) ||
            !json_is_string(json_object_get(v, "id")) ||
            !json_is_string(json_object_get(v, "kind")) ||
            !json_is_string(json_object_get(v, "name")) || !json_is_integer(m) ||
            json_integer_value(m) < 1)
            return "entities: {id, kind, name, mentions >= 1}";
    }
    if (!ac_time(json_object_get(a, "detected_at")))
        return "detected_at: RFC 3339";
    return NULL;
}

#endif
