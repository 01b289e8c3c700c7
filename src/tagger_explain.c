/*
 * tagger_explain.c - `newsradar tag --explain`: why each entity and topic
 * was (or was not quite) tagged, as JSON (docs/article.md).
 *
 * The explanation is rebuilt from what the last nr_tagger_tag() left in the
 * scratch (spans; the topic engine's verified term matches), so tagging
 * itself pays nothing for it. Entities list the original text of each span;
 * the watchlist matches dropped for standing in a link line ("Trending
 * now: ...", tagger_links.c) are listed apart, under "link_lines", so an
 * analyst can see why a country named on the page is not tagged;
 * topics come from the topic engine (nr_topics_explain), which re-scores
 * every touched topic signal by signal. A tool for analysts, not the hot
 * path: the tag object is built once as text and read back.
 */
#include "tagger_int.h"

#include <jansson.h>
#include <stdlib.h>

/* The original text of spans [first, first + n). */
static json_t *span_matches(const struct nr_article *a, const struct nr_tags *t, uint32_t first,
                            uint32_t n)
{
    json_t *m = json_array();
    for (uint32_t k = 0; k < n; k++) {
        const struct nr_span *sp = &t->spans[first + k];
        const struct nr_str *f = &a->field[sp->field];
        json_t *text = f->p && sp->end <= f->len && sp->start <= sp->end
                           ? json_stringn(f->p + sp->start, sp->end - sp->start)
                           : json_null();
        json_array_append_new(m, json_pack("{s:s,s:I,s:I,s:o}", "field",
                                           sp->field == NR_FIELD_TITLE ? "title" : "body", "start",
                                           (json_int_t)sp->start, "end", (json_int_t)sp->end,
                                           "text", text ? text : json_null()));
    }
    return m;
}

/* Watchlist entities, then officials found by role (id = their key, as in
 * the tag output). */
static json_t *entities_explain(const struct nr_config *cfg, const struct nr_article *a,
                                const struct nr_tags *t)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < t->n_entities; i++) {
        const struct nr_entity_tag *et = &t->entities[i];
        json_array_append_new(arr,
                              json_pack("{s:s,s:o}", "id", cfg->entities[et->entity].id, "matches",
                                        span_matches(a, t, et->first_span, et->n_spans)));
    }
    for (size_t i = 0; i < t->n_officials; i++) {
        const struct nr_official_tag *o = &t->officials[i];
        json_array_append_new(arr, json_pack("{s:s,s:o}", "id", o->key, "matches",
                                             span_matches(a, t, o->first_span, o->n_spans)));
    }
    return arr;
}

/* Watchlist alias matches dropped in link lines: id, span and text. */
static json_t *link_drops_explain(const struct nr_config *cfg, const struct nr_tagger *t,
                                  struct nr_tag_scratch *s, const struct nr_article *a)
{
    struct nr_tag_mention d[32];
    size_t n = nr_tag_link_drops(t, s, a, d, sizeof(d) / sizeof(d[0]));
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct nr_str *f = &a->field[d[i].field ? NR_FIELD_BODY : NR_FIELD_TITLE];
        json_t *text = f->p && d[i].end <= f->len && d[i].start <= d[i].end
                           ? json_stringn(f->p + d[i].start, d[i].end - d[i].start)
                           : json_null();
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:I,s:I,s:o}", "id", cfg->entities[d[i].entity].id, "field",
                           d[i].field ? "body" : "title", "start", (json_int_t)d[i].start, "end",
                           (json_int_t)d[i].end, "text", text ? text : json_null()));
    }
    return arr;
}

char *nr_tagger_explain_json(const struct nr_config *cfg, const struct nr_tagger *t,
                             struct nr_tag_scratch *s, const struct nr_article *a,
                             const struct nr_tags *tags)
{
    char *base = nr_tags_to_json(cfg, a, tags);
    json_t *o = base ? json_loads(base, 0, NULL) : NULL;
    free(base);
    if (!o)
        return NULL;
    json_t *topics = nr_topics_explain(nr_tagger_topics(t), nr_tag_scratch_topics(s), a);
    json_object_set_new(o, "explain",
                        json_pack("{s:o,s:o,s:o}", "entities", entities_explain(cfg, a, tags),
                                  "link_lines", link_drops_explain(cfg, t, s, a), "topics",
                                  topics));
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}
