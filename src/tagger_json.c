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
 */
#include "newsradar/tagger.h"

#include <jansson.h>
#include <stdlib.h>

static json_t *str_json(struct nr_str s)
{
    return s.p ? json_stringn(s.p, s.len) : json_null();
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
        json_object_set_new(je, "mentions", json_integer(et->mentions));
        json_object_set_new(je, "in_title", json_boolean(et->in_title));
        json_t *spans = json_array();
        for (uint32_t k = 0; k < et->n_spans; k++) {
            const struct nr_span *sp = &t->spans[et->first_span + k];
            json_array_append_new(spans,
                                  json_pack("[IIs]", (json_int_t)sp->start, (json_int_t)sp->end,
                                            sp->field == NR_FIELD_TITLE ? "title" : "body"));
        }
        json_object_set_new(je, "spans", spans);
        json_array_append_new(ents, je);
    }
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
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}
