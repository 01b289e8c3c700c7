/*
 * event.c - stage 1 (tagged article -> count events) and the wire form of an
 * event.
 *
 * Building: for each rule, the article must carry the rule's topic (if any);
 * the key is the cross product of the article's entities of each `by` kind,
 * enumerated like an odometer in config order (deterministic) and capped at
 * NR_EVENTS_PER_RULE, so an article naming 30 countries cannot flood the
 * window store. Cost: O(rules x entities) per article, no allocation.
 *
 * Wire form: a compact JSON object built with jansson (~2 us). Indices are
 * sent together with the rule and entity ids, and decode checks that both
 * agree with the local config: an instance running a different config
 * rejects the event instead of counting it under the wrong key.
 */
#include "newsradar/event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t nr_event_id_hash(const char *id, size_t len)
{
    return nr_hash64(id, len, 0x6e72696473ULL);
}

static int co_cmp(const void *a, const void *b)
{
    const struct nr_event_co *x = a, *y = b;
    if (x->mentions != y->mentions)
        return x->mentions > y->mentions ? -1 : 1;
    return x->entity < y->entity ? -1 : x->entity > y->entity;
}

static bool kind_matches(const char *want, const char *kind)
{
    return strcmp(want, "entity") == 0 || strcmp(want, kind) == 0;
}

static bool has_topic(const struct nr_tags *t, int topic)
{
    for (size_t i = 0; i < t->n_topics; i++)
        if ((int)t->topics[i].topic == topic)
            return true;
    return false;
}

int nr_event_key(const struct nr_config *cfg, const struct nr_alert_rule *r,
                 const struct nr_event_dim *dims, uint32_t n_dims, char key[NR_EVENT_KEY_MAX])
{
    size_t kl = 0;
    key[0] = '\0';
    for (uint32_t d = 0; d < n_dims; d++) {
        int n = snprintf(key + kl, NR_EVENT_KEY_MAX - kl, "%s%s=%s", d ? "," : "",
                         r->by.v[dims[d].by], cfg->entities[dims[d].entity].id);
        if (n < 0 || (size_t)n >= NR_EVENT_KEY_MAX - kl) {
            key[0] = '\0';
            return -1;
        }
        kl += (size_t)n;
    }
    return (int)kl;
}

size_t nr_event_build(const struct nr_config *cfg, const struct nr_article *a,
                      const struct nr_tags *t, int64_t event_ms, nr_event_cb fn, void *ud,
                      size_t *n_skipped)
{
    struct nr_count_event ev;
    size_t produced = 0;
    memset(&ev, 0, sizeof(ev));
    ev.event_ms = event_ms;
    ev.article.id = a->field[NR_FIELD_ID];
    ev.article.title = a->field[NR_FIELD_TITLE];
    ev.article.url = a->field[NR_FIELD_URL];
    ev.article.source = a->field[NR_FIELD_SOURCE];
    ev.article.published_ms = a->published_ms;
    ev.article.simhash = t->simhash;
    ev.id_hash = a->field[NR_FIELD_ID].p
                     ? nr_event_id_hash(a->field[NR_FIELD_ID].p, a->field[NR_FIELD_ID].len)
                     : 0;

    /* co-mentioned entities: the article's most mentioned, ties by config order */
    struct nr_event_co all[64];
    size_t n_all = 0;
    for (size_t i = 0; i < t->n_entities && n_all < NR_ARRAY_LEN(all); i++) {
        all[n_all].entity = t->entities[i].entity;
        all[n_all].mentions = t->entities[i].mentions;
        n_all++;
    }
    qsort(all, n_all, sizeof(all[0]), co_cmp);
    ev.n_co = (uint32_t)(n_all < NR_EVENT_MAX_CO ? n_all : NR_EVENT_MAX_CO);
    memcpy(ev.co, all, ev.n_co * sizeof(all[0]));

    for (size_t r = 0; r < cfg->n_rules; r++) {
        const struct nr_alert_rule *rule = &cfg->rules[r];
        if (rule->topic_index >= 0 && !has_topic(t, rule->topic_index))
            continue;
        size_t nd = rule->by.n;
        if (nd > NR_EVENT_MAX_DIMS)
            continue; /* config validation keeps this from happening */
        /* candidates per dimension: positions in t->entities */
        size_t cand[NR_EVENT_MAX_DIMS][64], n_cand[NR_EVENT_MAX_DIMS];
        bool empty = false;
        for (size_t d = 0; d < nd; d++) {
            n_cand[d] = 0;
            for (size_t i = 0; i < t->n_entities && n_cand[d] < 64; i++) {
                const struct nr_entity *ent = &cfg->entities[t->entities[i].entity];
                if (kind_matches(rule->by.v[d], ent->kind))
                    cand[d][n_cand[d]++] = i;
            }
            if (n_cand[d] == 0)
                empty = true;
        }
        if (empty)
            continue;
        size_t pos[NR_EVENT_MAX_DIMS] = {0};
        size_t made = 0;
        for (;;) {
            /* one combination; skip ones that use the same entity twice */
            bool repeat = false;
            for (size_t d = 0; d < nd && !repeat; d++)
                for (size_t d2 = 0; d2 < d; d2++)
                    if (cand[d][pos[d]] == cand[d2][pos[d2]])
                        repeat = true;
            if (!repeat) {
                ev.rule = (uint32_t)r;
                ev.n_dims = (uint32_t)nd;
                for (size_t d = 0; d < nd; d++) {
                    ev.dims[d].by = (uint32_t)d;
                    ev.dims[d].entity = t->entities[cand[d][pos[d]]].entity;
                }
                if (nr_event_key(cfg, rule, ev.dims, ev.n_dims, ev.key) >= 0) {
                    fn(ud, &ev);
                    produced++;
                } else if (n_skipped) {
                    (*n_skipped)++;
                }
                if (++made >= NR_EVENTS_PER_RULE)
                    break;
            }
            /* odometer step, last dimension fastest; nd == 0 is one global event */
            bool done = true;
            for (size_t d = nd; d-- > 0;) {
                if (++pos[d] < n_cand[d]) {
                    done = false;
                    break;
                }
                pos[d] = 0;
            }
            if (done)
                break;
        }
    }
    return produced;
}

/* ---- wire form ---------------------------------------------------------- */

static json_t *jstr(struct nr_str s)
{
    return s.p ? json_stringn(s.p, s.len) : json_null();
}

static void hex64(uint64_t v, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)v);
}

static int parse_hex64(const char *s, uint64_t *out)
{
    if (strlen(s) != 16)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

char *nr_event_encode(const struct nr_config *cfg, const struct nr_count_event *ev)
{
    char h1[17], h2[17];
    if (ev->rule >= cfg->n_rules)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "rule", json_string(cfg->rules[ev->rule].id));
    json_object_set_new(o, "ri", json_integer(ev->rule));
    json_object_set_new(o, "key", json_string(ev->key));
    json_t *dims = json_array();
    for (uint32_t i = 0; i < ev->n_dims && i < NR_EVENT_MAX_DIMS; i++) {
        uint32_t e = ev->dims[i].entity;
        json_array_append_new(dims, json_pack("[IIs]", (json_int_t)ev->dims[i].by, (json_int_t)e,
                                              e < cfg->n_entities ? cfg->entities[e].id : ""));
    }
    json_object_set_new(o, "dims", dims);
    json_object_set_new(o, "t", json_integer(ev->event_ms));
    json_t *a = json_object();
    json_object_set_new(a, "id", jstr(ev->article.id));
    json_object_set_new(a, "title", jstr(ev->article.title));
    json_object_set_new(a, "url", jstr(ev->article.url));
    json_object_set_new(a, "source", jstr(ev->article.source));
    json_object_set_new(a, "pub",
                        ev->article.published_ms == NR_TIME_NONE
                            ? json_null()
                            : json_integer(ev->article.published_ms));
    hex64(ev->article.simhash, h1);
    json_object_set_new(a, "sh", json_string(h1));
    json_object_set_new(o, "a", a);
    hex64(ev->id_hash, h2);
    json_object_set_new(o, "ih", json_string(h2));
    json_t *co = json_array();
    for (uint32_t i = 0; i < ev->n_co && i < NR_EVENT_MAX_CO; i++)
        json_array_append_new(
            co, json_pack("[II]", (json_int_t)ev->co[i].entity, (json_int_t)ev->co[i].mentions));
    json_object_set_new(o, "co", co);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

void nr_event_buf_free(struct nr_event_buf *b)
{
    if (!b)
        return;
    free(b->mem);
    b->mem = NULL;
    b->cap = 0;
}

/* Copy an optional string into the buffer; offsets are fixed up later since
 * the buffer may move while growing. */
static int take_str(json_t *v, struct nr_event_buf *b, size_t *used, size_t *off, size_t *len)
{
    if (!v || json_is_null(v)) {
        *off = SIZE_MAX;
        *len = 0;
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    nr_grow((void **)&b->mem, &b->cap, *used + n + 1, 1);
    memcpy(b->mem + *used, json_string_value(v), n);
    b->mem[*used + n] = '\0';
    *off = *used;
    *len = n;
    *used += n + 1;
    return 0;
}

static bool get_int(json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!json_is_integer(v))
        return false;
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

int nr_event_decode(const struct nr_config *cfg, const char *buf, size_t len,
                    struct nr_event_buf *b, struct nr_error *err)
{
    json_error_t je;
    struct nr_count_event *ev = &b->ev;
    json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    int64_t x;
    if (!o) {
        nr_error_set(err, "event: invalid JSON: %s", je.text);
        return -1;
    }
    memset(ev, 0, sizeof(*ev));
    if (!json_is_object(o)) {
        nr_error_set(err, "event: not an object");
        goto fail;
    }
    if (!get_int(json_object_get(o, "v"), 1, 1, &x)) {
        nr_error_set(err, "event: unsupported version");
        goto fail;
    }
    json_t *rule = json_object_get(o, "rule");
    if (!get_int(json_object_get(o, "ri"), 0, (int64_t)cfg->n_rules - 1, &x) ||
        !json_is_string(rule) || strcmp(json_string_value(rule), cfg->rules[x].id) != 0) {
        nr_error_set(err, "event: unknown rule");
        goto fail;
    }
    ev->rule = (uint32_t)x;
    const struct nr_alert_rule *r = &cfg->rules[x];
    json_t *key = json_object_get(o, "key");
    if (!json_is_string(key) || json_string_length(key) >= NR_EVENT_KEY_MAX ||
        strlen(json_string_value(key)) != json_string_length(key)) {
        nr_error_set(err, "event: bad key");
        goto fail;
    }
    memcpy(ev->key, json_string_value(key), json_string_length(key) + 1);
    json_t *dims = json_object_get(o, "dims");
    if (!json_is_array(dims) || json_array_size(dims) != r->by.n ||
        json_array_size(dims) > NR_EVENT_MAX_DIMS) {
        nr_error_set(err, "event: bad dims");
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(dims); i++) {
        json_t *d = json_array_get(dims, i);
        int64_t by, ent;
        json_t *id = json_array_get(d, 2);
        if (!json_is_array(d) || json_array_size(d) != 3 ||
            !get_int(json_array_get(d, 0), 0, (int64_t)r->by.n - 1, &by) ||
            !get_int(json_array_get(d, 1), 0, (int64_t)cfg->n_entities - 1, &ent) ||
            !json_is_string(id) || strcmp(json_string_value(id), cfg->entities[ent].id) != 0) {
            nr_error_set(err, "event: bad dimension %zu", i);
            goto fail;
        }
        ev->dims[i].by = (uint32_t)by;
        ev->dims[i].entity = (uint32_t)ent;
    }
    ev->n_dims = (uint32_t)json_array_size(dims);
    if (!get_int(json_object_get(o, "t"), INT64_MIN / 4, INT64_MAX / 4, &ev->event_ms)) {
        nr_error_set(err, "event: bad time");
        goto fail;
    }
    json_t *a = json_object_get(o, "a");
    json_t *sh = json_object_get(a, "sh"), *ih = json_object_get(o, "ih");
    if (!json_is_object(a) || !json_is_string(sh) ||
        parse_hex64(json_string_value(sh), &ev->article.simhash) || !json_is_string(ih) ||
        parse_hex64(json_string_value(ih), &ev->id_hash)) {
        nr_error_set(err, "event: bad article reference");
        goto fail;
    }
    json_t *pub = json_object_get(a, "pub");
    if (!pub || json_is_null(pub))
        ev->article.published_ms = NR_TIME_NONE;
    else if (!get_int(pub, INT64_MIN / 4, INT64_MAX / 4, &ev->article.published_ms)) {
        nr_error_set(err, "event: bad published time");
        goto fail;
    }
    static const char *const names[4] = {"id", "title", "url", "source"};
    struct nr_str *dst[4] = {&ev->article.id, &ev->article.title, &ev->article.url,
                             &ev->article.source};
    size_t off[4], lens[4], used = 0;
    for (int i = 0; i < 4; i++) {
        if (take_str(json_object_get(a, names[i]), b, &used, &off[i], &lens[i])) {
            nr_error_set(err, "event: article %s: expected a string", names[i]);
            goto fail;
        }
    }
    for (int i = 0; i < 4; i++) {
        dst[i]->p = off[i] == SIZE_MAX ? NULL : b->mem + off[i];
        dst[i]->len = lens[i];
    }
    if (!ev->article.id.p) {
        nr_error_set(err, "event: article without id");
        goto fail;
    }
    json_t *co = json_object_get(o, "co");
    if (!json_is_array(co) || json_array_size(co) > NR_EVENT_MAX_CO) {
        nr_error_set(err, "event: bad co-mentions");
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(co); i++) {
        json_t *c = json_array_get(co, i);
        int64_t ent, m;
        if (!json_is_array(c) || json_array_size(c) != 2 ||
            !get_int(json_array_get(c, 0), 0, (int64_t)cfg->n_entities - 1, &ent) ||
            !get_int(json_array_get(c, 1), 0, UINT32_MAX, &m)) {
            nr_error_set(err, "event: bad co-mention %zu", i);
            goto fail;
        }
        ev->co[i].entity = (uint32_t)ent;
        ev->co[i].mentions = (uint32_t)m;
    }
    ev->n_co = (uint32_t)json_array_size(co);
    json_decref(o);
    return 0;
fail:
    json_decref(o);
    memset(ev, 0, sizeof(*ev));
    return -1;
}
