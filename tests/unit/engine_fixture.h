/*
 * engine_fixture.h - a small config built in C and hand-made count events,
 * for the unit tests of window, dedup, detect, alert and event (no YAML,
 * no tagger needed).
 *
 * Entities: 0 PK country, 1 AF country, 2 TTP group, 3 IN country.
 * Topics:   0 attack, 1 border_closure.
 * Rules:    0 attack_by_country (topic attack, by [country], 1h/5m, 1d/1h,
 *             floor 0.5, min_count 3, min_ratio 3, cooldown 2h,
 *             severity medium 6 / high 12 / critical 24)
 *           1 everything (no topic, by [], same windows, max_p 0.001)
 *           2 country_group (topic attack, by [country, group])
 * fx_config_b: the same reordered, with AF removed (a config reload).
 */
#ifndef NR_ENGINE_FIXTURE_H
#define NR_ENGINE_FIXTURE_H

#include "newsradar/config.h"
#include "newsradar/event.h"

#include <stdio.h>
#include <string.h>

#define FX_MIN  (60 * 1000LL)
#define FX_HOUR (60 * FX_MIN)
#define FX_T0   1700000400000LL /* 2023-11-14T22:20:00Z, on a 5 min boundary */

struct fixture {
    struct nr_config cfg;
    struct nr_entity ents[4];
    struct nr_topic topics[2];
    struct nr_alert_rule rules[3];
    char *by_country[1], *by_cg[2];
};

static inline void fx_rule(struct nr_alert_rule *r, const char *id, const char *topic,
                           int topic_index)
{
    memset(r, 0, sizeof(*r));
    r->id = (char *)id;
    r->topic = (char *)topic;
    r->topic_index = topic_index;
    r->window_ms = FX_HOUR;
    r->bucket_ms = 5 * FX_MIN;
    r->baseline_ms = 24 * FX_HOUR;
    r->baseline_bucket_ms = FX_HOUR;
    r->cooldown_ms = 2 * FX_HOUR;
    r->baseline_floor = 0.5;
    r->min_count = 3;
    r->min_ratio = 3.0;
    r->severity_ratio[NR_SEV_MEDIUM] = 6;
    r->severity_ratio[NR_SEV_HIGH] = 12;
    r->severity_ratio[NR_SEV_CRITICAL] = 24;
}

static inline void fx_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    static const char *const ids[4] = {"PK", "AF", "TTP", "IN"};
    static const char *const kinds[4] = {"country", "country", "group", "country"};
    static const char *const names[4] = {"Pakistan", "Afghanistan", "Tehrik-i-Taliban Pakistan",
                                         "India"};
    static const char *const codes[4] = {"PK", "AF", NULL, "IN"};
    for (int i = 0; i < 4; i++) {
        f->ents[i].id = (char *)ids[i];
        f->ents[i].kind = (char *)kinds[i];
        f->ents[i].name = (char *)names[i];
        f->ents[i].code = (char *)codes[i];
    }
    f->topics[0].id = "attack";
    f->topics[0].name = "Attack";
    f->topics[1].id = "border_closure";
    f->topics[1].name = "Border closure";
    f->by_country[0] = "country";
    f->by_cg[0] = "country";
    f->by_cg[1] = "group";
    fx_rule(&f->rules[0], "attack_by_country", "attack", 0);
    f->rules[0].by.v = f->by_country;
    f->rules[0].by.n = 1;
    fx_rule(&f->rules[1], "everything", NULL, -1);
    f->rules[1].min_ratio = 0;
    f->rules[1].max_p = 0.001;
    fx_rule(&f->rules[2], "country_group", "attack", 0);
    f->rules[2].by.v = f->by_cg;
    f->rules[2].by.n = 2;
    f->cfg.entities = f->ents;
    f->cfg.n_entities = 4;
    f->cfg.topics = f->topics;
    f->cfg.n_topics = 2;
    f->cfg.rules = f->rules;
    f->cfg.n_rules = 3;
    f->cfg.engine.max_keys = 100;
    f->cfg.engine.idle_evict_ms = 7 * 24 * FX_HOUR;
    f->cfg.engine.grace_ms = 5 * FX_MIN;
    f->cfg.engine.near_duplicate_bits = 3;
    f->cfg.engine.history = 64;
    f->cfg.engine.evidence_articles = 10;
    f->cfg.engine.evidence_entities = 5;
}

/* Config B (a reloaded config): A's rules in reverse order and entity AF
 * removed, so every index of a rule or entity other than PK differs:
 * entities 0 PK, 1 TTP, 2 IN; rules 0 country_group, 1 everything,
 * 2 attack_by_country. */
static inline void fx_config_b(struct fixture *g)
{
    fx_init(g);
    struct nr_alert_rule r0 = g->rules[0];
    g->rules[0] = g->rules[2];
    g->rules[2] = r0;
    g->ents[1] = g->ents[2]; /* TTP */
    g->ents[2] = g->ents[3]; /* IN */
    g->cfg.n_entities = 3;
}

/* An event of rule 0 (by country) for entity `ent`, article `id`. The id
 * string must outlive the event. */
static inline struct nr_count_event fx_event(const struct fixture *f, uint32_t rule, uint32_t ent,
                                             int64_t t, const char *id, uint64_t simhash)
{
    struct nr_count_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.rule = rule;
    const struct nr_alert_rule *r = &f->cfg.rules[rule];
    ev.n_dims = (uint32_t)r->by.n;
    if (r->by.n == 1) {
        ev.dims[0].by = 0;
        ev.dims[0].entity = ent;
        snprintf(ev.key, sizeof(ev.key), "%s=%s", r->by.v[0], f->cfg.entities[ent].id);
    } else if (r->by.n == 2) {
        ev.dims[0].by = 0;
        ev.dims[0].entity = ent;
        ev.dims[1].by = 1;
        ev.dims[1].entity = 2;
        snprintf(ev.key, sizeof(ev.key), "country=%s,group=TTP", f->cfg.entities[ent].id);
    }
    ev.event_ms = t;
    ev.article.id.p = id;
    ev.article.id.len = strlen(id);
    ev.article.title.p = "A title";
    ev.article.title.len = 7;
    ev.article.url.p = "https://example.org/a";
    ev.article.url.len = 21;
    ev.article.published_ms = t;
    ev.article.simhash = simhash;
    ev.id_hash = nr_event_id_hash(id, strlen(id));
    ev.n_co = 2;
    ev.co[0].entity = ent;
    ev.co[0].mentions = 3;
    ev.co[1].entity = 2;
    ev.co[1].mentions = 1;
    return ev;
}

/* Simhashes far apart from each other (>= 20 bits): distinct stories. */
static inline uint64_t fx_story(unsigned i)
{
    return nr_hash64(&i, sizeof(i), 99);
}

#endif
