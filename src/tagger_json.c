/*
 * tagger_json.c - the tags of one article as JSON, the output of
 * `newsradar tag` (schema in docs/article.md). In the library so that the
 * command and the data-driven tests print exactly the same thing.
 *
 * Spans are [start, end, field]: byte offsets into the original (decoded)
 * title or body, end exclusive, and the field's name. A tuple and not a
 * parallel "fields" array, because a consumer filtering spans (jq
 * `map(select(...))`) cannot get a tuple out of step; [0] and [1] are still
 * the design's [start, end].
 *
 * Every entity says where it came from: "source": "watchlist" (an entity of
 * the config, with its `role` and `country` when it has them) or "role"
 * (an official found by a role pattern, not in any watchlist; its id is the
 * folded name, and `role`/`country` are what the text stated).
 */
#include "newsradar/tagger.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static json_t *str_json(struct nr_str s)
{
    return s.p ? json_stringn(s.p, s.len) : json_null();
}

static json_t *spans_json(const struct nr_tags *t, uint32_t first, uint32_t n)
{
    json_t *spans = json_array();
    for (uint32_t k = 0; k < n; k++) {
        const struct nr_span *sp = &t->spans[first + k];
        json_array_append_new(spans, json_pack("[IIs]", (json_int_t)sp->start, (json_int_t)sp->end,
                                               sp->field == NR_FIELD_TITLE ? "title" : "body"));
    }
    return spans;
}

static json_t *country_json(const struct nr_config *cfg, uint32_t c)
{
    return c < cfg->n_entities ? json_string(cfg->entities[c].id) : json_null();
}

/* Role-derived officials (tagger_roles.c): "source": "role", id = the
 * folded name (the key alert rules count them by). */
static void officials_json(const struct nr_config *cfg, const struct nr_tags *t, json_t *ents)
{
    for (size_t i = 0; i < t->n_officials; i++) {
        const struct nr_official_tag *o = &t->officials[i];
        json_t *je = json_object();
        json_object_set_new(je, "id", json_string(o->key));
        json_object_set_new(je, "kind", json_string("official"));
        json_object_set_new(je, "name", json_string(o->name));
        json_object_set_new(je, "code", json_null());
        json_object_set_new(je, "source", json_string("role"));
        json_object_set_new(je, "role", json_string(o->role));
        json_object_set_new(je, "country", country_json(cfg, o->country));
        json_object_set_new(je, "mentions", json_integer(o->mentions));
        json_object_set_new(je, "in_title", json_boolean(o->in_title));
        json_object_set_new(je, "spans", spans_json(t, o->first_span, o->n_spans));
        json_array_append_new(ents, je);
    }
}

char *nr_tags_to_json(const struct nr_config *cfg, const struct nr_article *a,
                      const struct nr_tags *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", str_json(a->field[NR_FIELD_ID]));
    json_object_set_new(o, "language", t->lang[0] ? json_string(t->lang) : json_null());
    json_object_set_new(o, "language_source",
                        json_string(nr_lang_source_name((enum nr_lang_source)t->lang_source)));
    json_t *ents = json_array();
    for (size_t i = 0; i < t->n_entities; i++) {
        const struct nr_entity_tag *et = &t->entities[i];
        const struct nr_entity *e = &cfg->entities[et->entity];
        json_t *je = json_object();
        json_object_set_new(je, "id", json_string(e->id));
        json_object_set_new(je, "kind", json_string(e->kind));
        json_object_set_new(je, "name", json_string(e->name));
        json_object_set_new(je, "code", e->code ? json_string(e->code) : json_null());
        json_object_set_new(je, "source", json_string("watchlist"));
        if (e->role)
            json_object_set_new(je, "role", json_string(e->role));
        if (e->country)
            json_object_set_new(je, "country", country_json(cfg, e->country_index));
        json_object_set_new(je, "mentions", json_integer(et->mentions));
        json_object_set_new(je, "in_title", json_boolean(et->in_title));
        json_object_set_new(je, "spans", spans_json(t, et->first_span, et->n_spans));
        json_array_append_new(ents, je);
    }
    officials_json(cfg, t, ents);
    json_object_set_new(o, "entities", ents);
    json_t *tops = json_array();
    for (size_t i = 0; i < t->n_topics; i++) {
        const struct nr_topic_tag *tt = &t->topics[i];
        json_t *jt = json_object();
        json_object_set_new(jt, "id", json_string(cfg->topics[tt->topic].id));
        double sc = tt->score;
        /* scores are whole points today: print 2, not 2.0 */
        json_object_set_new(jt, "score",
                            sc == (double)(json_int_t)sc ? json_integer((json_int_t)sc)
                                                         : json_real(sc));
        json_t *ev = json_array();
        for (uint32_t k = 0; k < tt->n_evidence; k++)
            json_array_append_new(ev, json_string(t->evidence[tt->first_evidence + k]));
        json_object_set_new(jt, "evidence", ev);
        json_array_append_new(tops, jt);
    }
    json_object_set_new(o, "topics", tops);
    /* what the decoder read as absent or repaired (docs/article.md) */
    json_t *warn = json_array();
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        if ((a->field_errors & (1u << f)) && a->warn[f])
            json_array_append_new(
                warn, json_pack("{s:s,s:s}", "field", nr_field_names[f], "message", a->warn[f]));
    if (a->utf8_repairs) {
        char m[96];
        snprintf(m, sizeof(m), "%u invalid UTF-8 sequence%s replaced by U+FFFD",
                 (unsigned)a->utf8_repairs, a->utf8_repairs == 1 ? "" : "s");
        json_array_append_new(warn, json_pack("{s:n,s:s}", "field", "message", m));
    }
    json_object_set_new(o, "warnings", warn);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}
