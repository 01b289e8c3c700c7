/* test_tagger.c - the tagger against a hand-built configuration (no loader),
 * with both matcher engines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/tagger.h"
#include "newsradar/text.h"

/* ---- a tiny config builder ------------------------------------------------ */

static void add_alias(struct nr_entity *e, const char *text, unsigned flags)
{
    e->aliases = realloc(e->aliases, (e->n_aliases + 1) * sizeof(*e->aliases));
    e->aliases[e->n_aliases++] = (struct nr_alias){.text = strdup(text), .flags = flags};
}

static struct nr_entity *add_entity(struct nr_config *c, const char *id, const char *kind,
                                    const char *name)
{
    c->entities = realloc(c->entities, (c->n_entities + 1) * sizeof(*c->entities));
    struct nr_entity *e = &c->entities[c->n_entities++];
    memset(e, 0, sizeof(*e));
    e->id = strdup(id);
    e->kind = strdup(kind);
    e->name = strdup(name);
    add_alias(e, name, NR_ALIAS_NAME);
    return e;
}

static struct nr_strlist list(const char *const *v)
{
    struct nr_strlist l = {0};
    while (v && v[l.n])
        l.n++;
    l.v = calloc(l.n + 1, sizeof(char *));
    for (size_t i = 0; i < l.n; i++)
        l.v[i] = strdup(v[i]);
    return l;
}

static struct nr_topic *add_topic(struct nr_config *c, const char *id, const char *const *any,
                                  const char *const *exclude, double min_score)
{
    c->topics = realloc(c->topics, (c->n_topics + 1) * sizeof(*c->topics));
    struct nr_topic *t = &c->topics[c->n_topics++];
    memset(t, 0, sizeof(*t));
    t->id = strdup(id);
    t->name = strdup(id);
    t->any = list(any);
    t->exclude = list(exclude);
    t->min_score = min_score;
    t->title_boost = 1.5;
    t->stem_lang = -1;
    return t;
}

static void add_near(struct nr_topic *t, const char *const *terms, const char *const *with,
                     uint32_t within)
{
    t->near = realloc(t->near, (t->n_near + 1) * sizeof(*t->near));
    t->near[t->n_near++] = (struct nr_topic_near){list(terms), list(with), within};
}

static void free_list(struct nr_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static void free_cfg(struct nr_config *c)
{
    for (size_t i = 0; i < c->n_entities; i++) {
        struct nr_entity *e = &c->entities[i];
        for (size_t k = 0; k < e->n_aliases; k++)
            free(e->aliases[k].text);
        free(e->aliases);
        free(e->id);
        free(e->kind);
        free(e->name);
    }
    free(c->entities);
    for (size_t i = 0; i < c->n_topics; i++) {
        struct nr_topic *t = &c->topics[i];
        free_list(&t->any);
        free_list(&t->exclude);
        for (size_t k = 0; k < t->n_near; k++) {
            free_list(&t->near[k].terms);
            free_list(&t->near[k].with);
        }
        free(t->near);
        free(t->id);
        free(t->name);
    }
    free(c->topics);
    free_list(&c->lex.not_names);
    free(c);
}

enum { PK, AF, US, IR, OM, TTP, TAL, QAIDA, ASIF, PESH };

static struct nr_config *make_cfg(void)
{
    struct nr_config *c = calloc(1, sizeof(*c));
    struct nr_entity *e = add_entity(c, "PK", "country", "Pakistan");
    add_alias(e, "Islamic Republic of Pakistan", 0);
    add_alias(e, "پاکستان", 0);
    add_alias(e, "Pakistani", NR_ALIAS_DEMONYM);
    add_alias(e, "Pakistanis", NR_ALIAS_DEMONYM);
    e = add_entity(c, "AF", "country", "Afghanistan");
    add_alias(e, "Afghan", NR_ALIAS_DEMONYM);
    e = add_entity(c, "US", "country", "United States");
    add_alias(e, "US", NR_ALIAS_CASE);
    add_alias(e, "U.S.", 0);
    e = add_entity(c, "IR", "country", "Iran");
    e = add_entity(c, "OM", "country", "Oman");
    e = add_entity(c, "TTP", "group", "Tehrik-i-Taliban Pakistan");
    add_alias(e, "TTP", NR_ALIAS_CASE);
    add_alias(e, "Pakistani Taliban", 0);
    e = add_entity(c, "TALIBAN", "group", "Taliban");
    e = add_entity(c, "AQ", "group", "al-Qaida");
    add_alias(e, "al-Qaeda", 0);
    e = add_entity(c, "ASIF", "official", "Khawaja Asif");
    add_alias(e, "Asif", NR_ALIAS_AMBIGUOUS);
    e = add_entity(c, "PESH", "place", "Peshawar");

    static const char *const not_names[] = {"Later", "The", NULL}; /* as the roles lexicon */
    c->lex.not_names = list(not_names);

    static const char *const bc_any[] = {"border closure", "closed the border", NULL};
    static const char *const bc_ex[] = {"border collie", NULL};
    struct nr_topic *t = add_topic(c, "border_closure", bc_any, bc_ex, 1);
    static const char *const terms[] = {"border", "border crossing", NULL};
    static const char *const with[] = {"closed", "shut", "sealed", NULL};
    add_near(t, terms, with, 3);
    static const char *const at_any[] = {"attack", "suicide bombing", "gunmen", NULL};
    add_topic(c, "attack", at_any, NULL, 2);
    return c;
}

struct fixture {
    struct nr_config *cfg;
    struct nr_tagger *t[2];
    struct nr_tag_scratch *s[2];
    int n;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->cfg = make_cfg();
    struct nr_error err;
    f->t[f->n] = nr_tagger_new(f->cfg, &err);
    assert_non_null(f->t[f->n]);
    f->s[f->n] = nr_tag_scratch_new(f->t[f->n]);
    f->n++;
    if (nr_matcher_engine_available(NR_MATCHER_HS)) {
        f->t[f->n] = nr_tagger_new_engine(f->cfg, NR_MATCHER_HS, &err);
        assert_non_null(f->t[f->n]);
        f->s[f->n] = nr_tag_scratch_new(f->t[f->n]);
        f->n++;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < f->n; i++) {
        nr_tag_scratch_free(f->s[i]);
        nr_tagger_free(f->t[i]);
    }
    free_cfg(f->cfg);
    free(f);
    return 0;
}

static struct nr_article art(const char *title, const char *body)
{
    struct nr_article a;
    memset(&a, 0, sizeof(a));
    a.field[NR_FIELD_ID] = (struct nr_str){"x", 1};
    if (title)
        a.field[NR_FIELD_TITLE] = (struct nr_str){title, strlen(title)};
    if (body)
        a.field[NR_FIELD_BODY] = (struct nr_str){body, strlen(body)};
    a.published_ms = NR_TIME_NONE;
    return a;
}

static const struct nr_entity_tag *find_ent(const struct nr_tags *t, uint32_t e)
{
    for (size_t i = 0; i < t->n_entities; i++)
        if (t->entities[i].entity == e)
            return &t->entities[i];
    return NULL;
}

static const struct nr_topic_tag *find_topic(const struct nr_tags *t, const char *id,
                                             const struct nr_config *c)
{
    for (size_t i = 0; i < t->n_topics; i++)
        if (strcmp(c->topics[t->topics[i].topic].id, id) == 0)
            return &t->topics[i];
    return NULL;
}

/* Run fn for every engine. */
#define EACH_ENGINE(f, tags, title, body)                                                          \
    for (int ei_ = 0; ei_ < (f)->n; ei_++)                                                         \
        for (struct nr_article a_ = art(title, body), *once_ = &a_; once_; once_ = NULL)           \
            for (const struct nr_tags *tags = nr_tagger_tag((f)->t[ei_], (f)->s[ei_], &a_); tags;  \
                 tags = NULL)

static void test_spans_and_possessive(void **state)
{
    struct fixture *f = *state;
    const char *body = "Pakistan’s army said Pakistan's border with Afghanistan was calm.";
    EACH_ENGINE(f, t, "Pakistan closes crossing", body)
    {
        const struct nr_entity_tag *pk = find_ent(t, PK);
        assert_non_null(pk);
        assert_int_equal(pk->mentions, 3);
        assert_true(pk->in_title);
        assert_int_equal(pk->n_spans, 3);
        const struct nr_span *sp = &t->spans[pk->first_span];
        assert_int_equal(sp[0].field, NR_FIELD_TITLE);
        assert_int_equal(sp[0].start, 0);
        assert_int_equal(sp[0].end, 8);
        assert_int_equal(sp[1].field, NR_FIELD_BODY);
        assert_memory_equal(body + sp[1].start, "Pakistan", sp[1].end - sp[1].start);
        assert_int_equal(sp[2].start, (uint32_t)(strstr(body, "Pakistan's") - body));
        const struct nr_entity_tag *af = find_ent(t, AF);
        assert_non_null(af);
        assert_false(af->in_title);
        /* entities in config order */
        for (size_t i = 1; i < t->n_entities; i++)
            assert_true(t->entities[i - 1].entity < t->entities[i].entity);
    }
}

static void test_longest_and_demonym(void **state)
{
    struct fixture *f = *state;
    EACH_ENGINE(f, t, NULL, "Pakistani Taliban fighters and Pakistanis; the Afghan Taliban.")
    {
        const struct nr_entity_tag *ttp = find_ent(t, TTP);
        assert_non_null(ttp);
        assert_int_equal(ttp->mentions, 1);
        const struct nr_entity_tag *pk = find_ent(t, PK);
        assert_non_null(pk);
        assert_int_equal(pk->mentions, 1); /* only "Pakistanis" */
        const struct nr_entity_tag *tal = find_ent(t, TAL);
        assert_non_null(tal);
        assert_int_equal(tal->mentions, 1); /* "Afghan Taliban", not inside the TTP span */
        assert_non_null(find_ent(t, AF));
    }
}

static void test_case_sensitive(void **state)
{
    struct fixture *f = *state;
    EACH_ENGINE(f, t, NULL, "He spoke against us and the ttp rumours.")
    {
        assert_null(find_ent(t, US));
        assert_null(find_ent(t, TTP));
    }
    EACH_ENGINE(f, t, NULL, "The US and the U.S. blamed the TTP.")
    {
        const struct nr_entity_tag *us = find_ent(t, US);
        assert_non_null(us);
        assert_int_equal(us->mentions, 2);
        assert_non_null(find_ent(t, TTP));
    }
}

static void test_ambiguous(void **state)
{
    struct fixture *f = *state;
    EACH_ENGINE(f, t, NULL, "Asif said nothing.")
    {
        assert_null(find_ent(t, ASIF));
    }
    EACH_ENGINE(f, t, "Khawaja Asif speaks", "Later Asif said more.")
    {
        const struct nr_entity_tag *a = find_ent(t, ASIF);
        assert_non_null(a);
        assert_int_equal(a->mentions, 2);
    }
}

static void test_boundaries_scripts(void **state)
{
    struct fixture *f = *state;
    EACH_ENGINE(f, t, NULL, "A woman from Tirana visited Omani ports.")
    {
        assert_null(find_ent(t, IR));
        assert_null(find_ent(t, OM));
    }
    EACH_ENGINE(f, t, NULL, "وزیر اعظم پاکستان نے کہا، PESHĀWAR and al–Qaeda / al Qaida")
    {
        assert_non_null(find_ent(t, PK));
        assert_non_null(find_ent(t, PESH));
        const struct nr_entity_tag *q = find_ent(t, QAIDA);
        assert_non_null(q);
        assert_int_equal(q->mentions, 2);
    }
}

static void test_topics(void **state)
{
    struct fixture *f = *state;
    const struct nr_config *c = f->cfg;
    EACH_ENGINE(f, t, NULL, "The border was quickly closed. Officials closed the border.")
    {
        const struct nr_topic_tag *bc = find_topic(t, "border_closure", c);
        assert_non_null(bc);
        assert_true(bc->score == 2.0);
        assert_int_equal(bc->n_evidence, 3);
        assert_string_equal(t->evidence[bc->first_evidence], "closed the border");
        assert_string_equal(t->evidence[bc->first_evidence + 1], "border");
        assert_string_equal(t->evidence[bc->first_evidence + 2], "closed");
    }
    /* too far apart: "border" ... 4 words ... "closed" with within 3 */
    EACH_ENGINE(f, t, NULL, "The border region has long been closed to visitors.")
    {
        assert_null(find_topic(t, "border_closure", c));
    }
    /* either order */
    EACH_ENGINE(f, t, NULL, "They sealed the border.")
    {
        assert_non_null(find_topic(t, "border_closure", c));
    }
    /* an exclusion masks the matches it overlaps, not the topic */
    EACH_ENGINE(f, t, NULL, "A border collie closed the border gate.")
    {
        const struct nr_topic_tag *bc = find_topic(t, "border_closure", c);
        assert_non_null(bc);
        /* "closed the border", and the second "border" near "closed" */
        assert_true(bc->score == 2.0);
    }
    EACH_ENGINE(f, t, NULL, "A border collie was closed in.")
    {
        assert_null(find_topic(t, "border_closure", c));
    }
    /* min_score 2: one phrase is not enough, repeats of it do not count */
    EACH_ENGINE(f, t, "Attack", "attack, attack")
    {
        assert_null(find_topic(t, "attack", c));
    }
    /* in the title each signal counts x title_boost (1.5) */
    EACH_ENGINE(f, t, "Gunmen attack", NULL)
    {
        const struct nr_topic_tag *at = find_topic(t, "attack", c);
        assert_non_null(at);
        assert_true(at->score == 3.0);
    }
    EACH_ENGINE(f, t, "Gunmen", "attack")
    {
        const struct nr_topic_tag *at = find_topic(t, "attack", c);
        assert_non_null(at);
        assert_true(at->score == 2.5);
    }
}

static void test_reuse_and_simhash(void **state)
{
    struct fixture *f = *state;
    uint64_t h1 = 0, h2 = 0;
    EACH_ENGINE(f, t, "Title only here", NULL)
    {
        h1 = t->simhash;
        assert_int_equal(t->n_entities, 0);
    }
    EACH_ENGINE(f, t, NULL, "Title only here")
    {
        h2 = t->simhash;
    }
    assert_true(h1 != 0);
    assert_int_equal(h1, h2); /* the lead is the title, then the body */
    /* the title is part of the lead: one teaser body under two titles is
     * two stories (issue 9: "Read the full story on our website.") */
    uint64_t h3 = 0, h4 = 0;
    EACH_ENGINE(f, t, "Pakistan shuts the Torkham crossing after clashes",
                "Read the full story on our website.")
    {
        h3 = t->simhash;
    }
    EACH_ENGINE(f, t, "Flooding closes the Karakoram highway for a week",
                "Read the full story on our website.")
    {
        h4 = t->simhash;
    }
    assert_true(nr_simhash_distance(h3, h4) > 8);
    /* empty article */
    EACH_ENGINE(f, t, NULL, NULL)
    {
        assert_int_equal(t->n_entities, 0);
        assert_int_equal(t->n_topics, 0);
        assert_int_equal(t->simhash, 0);
    }
}

/* A body of `reps` copies of unit, then tail; caller frees. */
static char *repeat(const char *unit, size_t reps, const char *tail)
{
    size_t u = strlen(unit), t = strlen(tail);
    char *b = malloc(u * reps + t + 1);
    assert_non_null(b);
    for (size_t i = 0; i < reps; i++)
        memcpy(b + i * u, unit, u);
    memcpy(b + u * reps, tail, t + 1);
    return b;
}

/* Bodies scanned in chunks (tagger.c, SCAN_CHUNK 256 KiB): an alias across
 * the cut is found whole, leftmost-longest across it ("Pakistani Taliban"
 * is the TTP, not Pakistan + Taliban), a NEAR pair across it still counts. */
static void test_chunk_boundary(void **state)
{
    struct fixture *f = *state;
    const uint32_t cut = 256u << 10;
    for (uint32_t d = 1; d <= 24; d++) {
        size_t p = cut - d; /* "Pakistani Taliban" starts here */
        const char *tail = "Pakistani Taliban closed the border.";
        char *b = malloc(p + strlen(tail) + 1);
        assert_non_null(b);
        for (size_t i = 0; i < p; i++)
            b[i] = i % 5 == 4 ? ' ' : 'x';
        b[p - 1] = ' ';
        if (p >= 2)
            b[p - 2] = 'x';
        strcpy(b + p, tail);
        EACH_ENGINE(f, t, NULL, b)
        {
            const struct nr_entity_tag *ttp = find_ent(t, TTP);
            assert_non_null(ttp);
            assert_int_equal(ttp->mentions, 1);
            assert_int_equal(t->spans[ttp->first_span].start, p);
            assert_null(find_ent(t, PK));
            assert_null(find_ent(t, TAL));
            assert_non_null(find_topic(t, "border_closure", f->cfg));
        }
        free(b);
    }
}

/* A body of nothing but aliases and topic terms (issue 9, memory): every
 * mention counted, the spans of the first NR_TAG_MAX_SPANS kept, mentions
 * past NR_TAG_MAX_MENTIONS counted per entity (an ambiguous alias still
 * counts once an unambiguous one comes, even there). */
static void test_dense_bounds(void **state)
{
    struct fixture *f = *state;
    const size_t reps = 40000; /* 120,000 mentions, 2 MB */
    char *b = repeat("Pakistan Iran Asif closed the border attack ", reps, "Khawaja Asif.");
    EACH_ENGINE(f, t, "Pakistan", b)
    {
        assert_false(nr_tag_scratch_failed(f->s[ei_]));
        const struct nr_entity_tag *pk = find_ent(t, PK), *ir = find_ent(t, IR);
        const struct nr_entity_tag *asif = find_ent(t, ASIF);
        assert_non_null(pk);
        assert_non_null(ir);
        assert_non_null(asif);
        assert_int_equal(pk->mentions, reps + 1);
        assert_true(pk->in_title);
        assert_int_equal(pk->n_spans, NR_TAG_MAX_SPANS);
        assert_int_equal(t->spans[pk->first_span].field, NR_FIELD_TITLE);
        assert_int_equal(ir->mentions, reps);
        assert_int_equal(ir->n_spans, NR_TAG_MAX_SPANS);
        assert_int_equal(asif->mentions, reps + 1);
        assert_non_null(find_topic(t, "border_closure", f->cfg));
    }
    /* without the unambiguous name at the end, Asif is not tagged */
    b[strlen(b) - strlen("Khawaja Asif.")] = '\0';
    EACH_ENGINE(f, t, NULL, b)
    {
        assert_null(find_ent(t, ASIF));
        assert_int_equal(find_ent(t, PK)->mentions, reps);
    }
    free(b);
}

static bool fail_big(size_t n, void *ud)
{
    (void)ud;
    return n >= 64 * 1024;
}

/* Memory running out for the matches of an article is reported (the
 * caller rejects it as too_large); the scratch tags the next one. */
static void test_dense_oom(void **state)
{
    struct fixture *f = *state;
    char *b = repeat("Pakistan Iran closed the border attack ", 20000, "");
    for (int e = 0; e < f->n; e++) {
        struct nr_tag_scratch *s = nr_tag_scratch_new(f->t[e]);
        struct nr_article a = art(NULL, b);
        assert_int_equal(nr_tag_scratch_reserve(s, &a), 0);
        nr_alloc_set_fault(fail_big, NULL);
        nr_tagger_tag(f->t[e], s, &a);
        nr_alloc_set_fault(NULL, NULL);
        assert_true(nr_tag_scratch_failed(s));
        const struct nr_tags *t = nr_tagger_tag(f->t[e], s, &a);
        assert_false(nr_tag_scratch_failed(s));
        assert_int_equal(find_ent(t, PK)->mentions, 20000);
        nr_tag_scratch_free(s);
    }
    free(b);
}

static void test_bad_config(void **state)
{
    (void)state;
    struct nr_config *c = calloc(1, sizeof(*c));
    add_entity(c, "X", "place", " — ");
    struct nr_error err;
    assert_null(nr_tagger_new(c, &err));
    assert_non_null(strstr(err.msg, "empty"));
    free_cfg(c);
    nr_tagger_free(NULL);
    nr_tag_scratch_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spans_and_possessive),
        cmocka_unit_test(test_longest_and_demonym),
        cmocka_unit_test(test_case_sensitive),
        cmocka_unit_test(test_ambiguous),
        cmocka_unit_test(test_boundaries_scripts),
        cmocka_unit_test(test_topics),
        cmocka_unit_test(test_reuse_and_simhash),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_chunk_boundary),
        cmocka_unit_test(test_dense_bounds),
        cmocka_unit_test(test_dense_oom),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
