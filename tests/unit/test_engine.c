/* test_engine.c - stage 1 (count events from tags) and the engine end to end
 * on the replay config; the event wire format is in test_event.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_fixture.h"
#include "newsradar/engine.h"

#include <jansson.h>
#include <stdlib.h>

struct evs {
    struct nr_count_event v[64];
    size_t n;
};

static void keep(void *ud, const struct nr_count_event *ev)
{
    struct evs *e = ud;
    assert_true(e->n < 64);
    e->v[e->n++] = *ev;
}

static struct nr_article article(void)
{
    struct nr_article a;
    memset(&a, 0, sizeof(a));
    a.field[NR_FIELD_ID] = (struct nr_str){"art-1", 5};
    a.field[NR_FIELD_TITLE] = (struct nr_str){"Blast \"near\" border", 19};
    a.field[NR_FIELD_URL] = (struct nr_str){"https://x.org/1", 15};
    a.published_ms = FX_T0;
    return a;
}

static void test_build(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_entity_tag ents[3] = {
        {.entity = 0, .mentions = 2}, {.entity = 1, .mentions = 1}, {.entity = 2, .mentions = 5}};
    struct nr_topic_tag topics[1] = {{.topic = 0, .score = 1}};
    struct nr_tags t = {
        .entities = ents, .n_entities = 3, .topics = topics, .n_topics = 1, .simhash = 0xabcdef};
    struct nr_article a = article();
    struct evs e = {0};
    assert_int_equal(nr_event_build(&f.cfg, &a, &t, FX_T0, keep, &e, NULL), 5);
    assert_string_equal(e.v[0].key, "country=PK");
    assert_string_equal(e.v[1].key, "country=AF");
    assert_string_equal(e.v[2].key, "");
    assert_int_equal(e.v[2].n_dims, 0);
    assert_string_equal(e.v[3].key, "country=PK,group=TTP");
    assert_string_equal(e.v[4].key, "country=AF,group=TTP");
    assert_int_equal(e.v[4].dims[1].entity, 2);
    /* co-mentions, most mentioned first */
    assert_int_equal(e.v[0].n_co, 3);
    assert_int_equal(e.v[0].co[0].entity, 2);
    assert_int_equal(e.v[0].co[1].entity, 0);
    assert_true(e.v[0].id_hash == nr_event_id_hash("art-1", 5));
    assert_int_equal(e.v[0].article.simhash, 0xabcdef);
    /* without the topic only the topic-less rule counts */
    t.n_topics = 0;
    e.n = 0;
    assert_int_equal(nr_event_build(&f.cfg, &a, &t, FX_T0, keep, &e, NULL), 1);
    assert_int_equal(e.v[0].rule, 1);
    /* no group: no event for the country x group rule */
    t.n_topics = 1;
    t.n_entities = 2;
    e.n = 0;
    assert_int_equal(nr_event_build(&f.cfg, &a, &t, FX_T0, keep, &e, NULL), 3);
}

/* A rule with `languages:` counts only the articles in those languages. */
static void test_build_languages(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_entity_tag ents[3] = {
        {.entity = 0, .mentions = 2}, {.entity = 1, .mentions = 1}, {.entity = 2, .mentions = 5}};
    struct nr_topic_tag topics[1] = {{.topic = 0, .score = 1}};
    struct nr_tags t = {.entities = ents, .n_entities = 3, .topics = topics, .n_topics = 1};
    struct nr_article a = article();
    char *langs[2] = {"ur", "ps"};
    f.cfg.rules[0].languages = (struct nr_strlist){langs, 2}; /* by country: 2 events */
    struct evs e = {0};
    assert_int_equal(nr_event_build(&f.cfg, &a, &t, FX_T0, keep, &e, NULL), 3); /* unknown */
    memcpy(t.lang, "en", 3);
    e.n = 0;
    assert_int_equal(nr_event_build(&f.cfg, &a, &t, FX_T0, keep, &e, NULL), 3);
    for (size_t i = 0; i < e.n; i++)
        assert_int_not_equal(e.v[i].rule, 0);
    memcpy(t.lang, "ps", 3);
    e.n = 0;
    assert_int_equal(nr_event_build(&f.cfg, &a, &t, FX_T0, keep, &e, NULL), 5);
    assert_int_equal(e.v[0].rule, 0);
    f.cfg.rules[0].languages = (struct nr_strlist){0};
}

/* Evidence strings are cut to NR_EVENT_STR_MAX bytes on a character
 * boundary; the id hash still covers the whole id. */
static void test_build_clips_strings(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_topic_tag topics[1] = {{.topic = 0, .score = 1}};
    struct nr_tags t = {.topics = topics, .n_topics = 1};
    static char title[3 * 1000], id[NR_EVENT_STR_MAX + 10];
    for (size_t i = 0; i < sizeof(title); i += 3) /* U+20AC, 3 bytes: 2048 is mid-character */
        memcpy(title + i, "\xE2\x82\xAC", 3);
    memset(id, 'i', sizeof(id));
    struct nr_article a = article();
    a.field[NR_FIELD_TITLE] = (struct nr_str){title, sizeof(title)};
    a.field[NR_FIELD_ID] = (struct nr_str){id, sizeof(id)};
    struct evs e = {0};
    assert_int_equal(nr_event_build(&f.cfg, &a, &t, FX_T0, keep, &e, NULL), 1);
    assert_int_equal(e.v[0].article.title.len, NR_EVENT_STR_MAX - NR_EVENT_STR_MAX % 3);
    assert_ptr_equal(e.v[0].article.title.p, title);
    assert_int_equal(e.v[0].article.id.len, NR_EVENT_STR_MAX);
    assert_true(e.v[0].id_hash == nr_event_id_hash(id, sizeof(id)));
    assert_int_equal(e.v[0].article.url.len, 15); /* short ones are whole */
}

static void test_build_cap(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_entity many[40];
    char ids[40][8];
    struct nr_entity_tag tags[40];
    for (int i = 0; i < 40; i++) {
        snprintf(ids[i], sizeof(ids[i]), "C%d", i);
        memset(&many[i], 0, sizeof(many[i]));
        many[i].id = ids[i];
        many[i].kind = "country";
        many[i].name = ids[i];
        tags[i] = (struct nr_entity_tag){.entity = (uint32_t)i, .mentions = 1};
    }
    f.cfg.entities = many;
    f.cfg.n_entities = 40;
    f.cfg.n_rules = 1;
    struct nr_topic_tag topics[1] = {{.topic = 0}};
    struct nr_tags t = {.entities = tags, .n_entities = 40, .topics = topics, .n_topics = 1};
    struct nr_article a = article();
    struct evs e = {0};
    assert_int_equal(nr_event_build(&f.cfg, &a, &t, FX_T0, keep, &e, NULL), NR_EVENTS_PER_RULE);
    assert_int_equal(e.v[0].n_co, NR_EVENT_MAX_CO);
}

/* ---- end to end on the replay config ------------------------------------- */

static int n_alerts;

static void count_alert(void *ud, const struct nr_alert *a)
{
    (void)ud;
    (void)a;
    n_alerts++;
}

/* Evidence of every alert, kept as JSON for test_evidence_nul. */
struct evid {
    json_t *arts; /* every article object of every alert */
};

static void keep_evidence(void *ud, const struct nr_alert *a)
{
    struct evid *ev = ud;
    char *s = nr_alert_to_json(a);
    assert_non_null(s);
    json_error_t jerr;
    json_t *j = json_loads(s, JSON_ALLOW_NUL, &jerr);
    if (!j)
        fail_msg("alert JSON does not parse: %s: %s", jerr.text, s);
    json_array_extend(ev->arts, json_object_get(j, "articles"));
    json_decref(j);
    free(s);
}

static struct nr_config *load_cfg(void)
{
    const char *src = getenv("NR_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/replay/config/newsradar.yaml", src ? src : ".");
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(path, &d);
    if (!cfg)
        nr_diags_print(&d, stderr);
    nr_diags_free(&d);
    return cfg;
}

static void test_engine_process(void **state)
{
    (void)state;
    struct nr_config *cfg = load_cfg();
    assert_non_null(cfg);
    struct nr_error err;
    struct nr_engine *e = nr_engine_new(cfg, &err);
    assert_non_null(e);
    static const char *const bad[] = {"", "{", "[1,2]", "{\"title\":\"no id\"}", "\xff"};
    for (size_t i = 0; i < NR_ARRAY_LEN(bad); i++)
        assert_int_not_equal(
            nr_engine_process(e, bad[i], strlen(bad[i]), FX_T0, count_alert, NULL, &err),
            NR_REJECT_NONE);
    char line[512];
    for (int i = 0; i < 3; i++) {
        int n = snprintf(line, sizeof(line),
                         "{\"id\":\"e%d\",\"title\":\"Bombing in Pakistan\",\"body\":\"Story "
                         "number %d about a bombing near Peshawar, Pakistan, with %s.\"}",
                         i, i,
                         i == 0   ? "trucks"
                         : i == 1 ? "buses and rain"
                                  : "no injuries");
        assert_int_equal(
            nr_engine_process(e, line, (size_t)n, FX_T0 + i * FX_MIN, count_alert, NULL, &err),
            NR_REJECT_NONE);
    }
    assert_int_equal(n_alerts, 1); /* PK fires at the third article */
    struct nr_engine_stats st;
    nr_engine_stats_get(e, &st);
    assert_int_equal(st.rejected, NR_ARRAY_LEN(bad) + 1); /* [1,2]: two articles, both bad */
    assert_int_equal(st.articles, 3);
    assert_int_equal(st.tagged, 3);
    assert_int_equal(st.events, 3);
    assert_int_equal(st.alerts[NR_ALERT_FIRING], 1);
    assert_int_equal(st.keys, 1);
    assert_int_equal(st.keys_firing, 1); /* open at this end of input */
    assert_int_equal(st.late_dropped, 0);
    assert_int_equal(st.keys_evicted, 0);
    /* advancing stream time resolves it */
    nr_engine_advance(e, FX_T0 + 2 * FX_HOUR, count_alert, NULL);
    assert_int_equal(n_alerts, 2);
    /* an article older than every ring: counted as late_dropped only */
    int n = snprintf(line, sizeof(line),
                     "{\"id\":\"old\",\"title\":\"Bombing in Pakistan\",\"published_at\":"
                     "\"2023-11-01T00:00:00Z\"}");
    assert_int_equal(nr_engine_process(e, line, (size_t)n, FX_T0, count_alert, NULL, &err),
                     NR_REJECT_NONE);
    nr_engine_stats_get(e, &st);
    assert_int_equal(st.keys_firing, 0);
    assert_int_equal(st.late_dropped, 1);
    assert_int_equal(st.late, 1);
    nr_engine_free(e);
    nr_engine_free(NULL);
    nr_config_free(cfg);
}

/* Stage 1 and stage 2 split through the wire form (what the Kafka service
 * does: nr_stage1 -> event batch -> nr_stage2_feed) give the same alerts as
 * the in-process path. */
static void count_reject2(void *ud, long index, const char *msg, struct nr_str record)
{
    (void)index;
    (void)msg;
    (void)record;
    (*(size_t *)ud)++;
}

struct split {
    const struct nr_config *cfg;
    struct nr_stage2 *s2;
    size_t counted;
};

static void split_counted(void *ud, const struct nr_count_event *ev)
{
    (void)ev;
    ((struct split *)ud)->counted++;
}

static void split_reject(void *ud, long index, const char *msg, struct nr_str record)
{
    (void)ud;
    (void)record;
    fail_msg("event %ld rejected: %s", index, msg);
}

static void via_wire(void *ud, const struct nr_count_event *ev)
{
    struct split *sp = ud;
    struct nr_event_batch b = {0};
    assert_int_equal(nr_event_batch_add(sp->cfg, &b, ev), 0);
    const struct nr_stage2_out out = {
        .ud = sp, .alert = count_alert, .counted = split_counted, .reject = split_reject};
    assert_int_equal(nr_stage2_feed(sp->s2, (const char *)b.buf, b.len, &out), 1);
    nr_event_batch_free(&b);
}

static void test_engine_split(void **state)
{
    (void)state;
    struct nr_config *cfg = load_cfg();
    assert_non_null(cfg);
    struct nr_error err;
    struct nr_stage1_shared *sh = nr_stage1_shared_new(cfg, &err);
    assert_non_null(sh);
    assert_non_null(nr_stage1_shared_tagger(sh));
    struct nr_stage1 *s1 = nr_stage1_new(sh, &err);
    struct split sp = {cfg, nr_stage2_new(cfg, &err), 0};
    assert_non_null(s1);
    assert_non_null(sp.s2);
    const struct nr_stage1_out out = {.ud = &sp, .event = via_wire};
    n_alerts = 0;
    char line[512];
    for (int i = 0; i < 4; i++) {
        /* the last is a redelivery of the first: dropped by stage 1 */
        int n = snprintf(line, sizeof(line),
                         "{\"id\":\"s%d\",\"title\":\"Explosion\",\"body\":\"Afghanistan: "
                         "an explosion, report %d, %s.\"}",
                         i % 3, i % 3,
                         i % 3 == 0   ? "market"
                         : i % 3 == 1 ? "old bridge at dawn"
                                      : "schools shut");
        assert_int_equal(
            nr_stage1_feed(s1, line, (size_t)n, FX_T0 + i * FX_MIN, NR_TIME_NONE, &out), 1);
    }
    assert_int_equal(n_alerts, 1);
    assert_true(sp.counted >= 3);
    struct nr_engine_stats st = {0};
    nr_stage1_stats_add(s1, &st);
    assert_int_equal(st.articles, 3);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.events, sp.counted);
    /* a broken frame is rejected whole and counts nothing */
    size_t rejected = 0;
    assert_int_equal(nr_stage2_feed(sp.s2, "\xce\x01", 2,
                                    &(const struct nr_stage2_out){.ud = &rejected,
                                                                  .alert = count_alert,
                                                                  .reject = count_reject2}),
                     0);
    assert_int_equal(rejected, 1);
    nr_stage2_free(sp.s2);
    nr_stage1_free(s1);
    nr_stage1_shared_free(sh);
    nr_stage1_free(NULL);
    nr_stage1_shared_free(NULL);
    nr_stage2_free(NULL);
    nr_config_free(cfg);
}

/* A \u0000 in id, title, url or source is carried by length through the
 * count event, the key's history and the alert: the evidence fields of an
 * alert are exactly the article's, never shifted into each other (they
 * once were: the history was read back with strlen). Random NUL positions,
 * many rounds. */
static void test_evidence_nul(void **state)
{
    (void)state;
    struct nr_config *cfg = load_cfg();
    assert_non_null(cfg);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 40; round++) {
        struct nr_error err;
        struct nr_engine *e = nr_engine_new(cfg, &err);
        assert_non_null(e);
        struct evid ev = {json_array()};
        json_t *want = json_object(); /* id -> article as written */
        for (int i = 0; i < 6; i++) {
            char f[4][64];
            static const char *const name[4] = {"id", "title", "url", "source"};
            json_t *art = json_object();
            for (int k = 0; k < 4; k++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                int n = snprintf(f[k], sizeof(f[k]), "%s-%d-%d%s", name[k], round, i,
                                 k == 1 ? " Attack reported in Pakistan" : "");
                int at = (int)((seed >> 33) % (uint64_t)(n + 1)); /* where the NUL goes */
                if ((seed >> 20) % 3 == 0 && at < n)
                    f[k][at] = '\0';
                json_object_set_new(art, name[k], json_stringn(f[k], (size_t)n));
            }
            char body[200];
            snprintf(body, sizeof(body), "An attack was reported in Pakistan, story %d of %d, %s.",
                     i, round, i % 2 ? "with trucks" : "near a school");
            json_object_set_new(art, "body", json_string(body));
            char ts[40];
            nr_time_format_rfc3339(FX_T0 + i * FX_MIN, ts, sizeof(ts));
            json_object_set_new(art, "published_at", json_string(ts));
            char *line = json_dumps(art, JSON_COMPACT);
            assert_int_equal(
                nr_engine_process(e, line, strlen(line), NR_TIME_NONE, keep_evidence, &ev, &err),
                NR_REJECT_NONE);
            free(line);
            json_t *id = json_object_get(art, "id");
            json_object_setn_new(want, json_string_value(id), json_string_length(id), art);
        }
        assert_true(json_array_size(ev.arts) > 0); /* the attacks fired */
        size_t i;
        json_t *a;
        json_array_foreach(ev.arts, i, a)
        {
            json_t *id = json_object_get(a, "id");
            assert_non_null(id);
            json_t *w = json_object_getn(want, json_string_value(id), json_string_length(id));
            if (!w)
                fail_msg("round %d: evidence id not in the input", round);
            static const char *const keys[] = {"title", "url", "source"};
            for (size_t k = 0; k < 3; k++)
                if (!json_equal(json_object_get(a, keys[k]), json_object_get(w, keys[k]))) {
                    char *x = json_dumps(a, JSON_COMPACT), *y = json_dumps(w, JSON_COMPACT);
                    fail_msg("round %d: evidence %s differs from the article's: %s vs %s", round,
                             keys[k], x, y);
                }
        }
        json_decref(want);
        json_decref(ev.arts);
        nr_engine_free(e);
    }
    nr_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evidence_nul),        cmocka_unit_test(test_build),
        cmocka_unit_test(test_build_languages),     cmocka_unit_test(test_build_cap),
        cmocka_unit_test(test_build_clips_strings), cmocka_unit_test(test_engine_process),
        cmocka_unit_test(test_engine_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
