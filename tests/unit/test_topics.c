/*
 * test_topics.c - the topic engine (tagger_topic*.c) through the loader:
 * stems, wildcards, phrases, NEAR, NOT, weights, the title boost, the
 * threshold, scoped exclusions and the legacy any/near, with both matcher
 * engines. Config: tests/data/topics (one topic per feature).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "newsradar/stem.h"
#include "newsradar/tagger.h"

static struct nr_config *cfg;
static struct nr_tagger *taggers[2];
static struct nr_tag_scratch *scratches[2];
static int n_engines;

static const struct nr_tags *tag(int e, const char *title, const char *body)
{
    struct nr_article a;
    memset(&a, 0, sizeof(a));
    a.field[NR_FIELD_ID] = (struct nr_str){"t", 1};
    if (title)
        a.field[NR_FIELD_TITLE] = (struct nr_str){title, strlen(title)};
    if (body)
        a.field[NR_FIELD_BODY] = (struct nr_str){body, strlen(body)};
    a.published_ms = NR_TIME_NONE;
    return nr_tagger_tag(taggers[e], scratches[e], &a);
}

/* The score of topic id (0 when not tagged), the same with every engine. */
static double score(const char *id, const char *title, const char *body)
{
    double first = -1;
    for (int e = 0; e < n_engines; e++) {
        const struct nr_tags *t = tag(e, title, body);
        double sc = 0;
        for (size_t i = 0; i < t->n_topics; i++)
            if (strcmp(cfg->topics[t->topics[i].topic].id, id) == 0)
                sc = t->topics[i].score;
        if (e > 0 && sc != first)
            fail_msg("%s: engines disagree: %g vs %g", id, first, sc);
        first = sc;
    }
    return first;
}

#define BODY(id, text) score((id), NULL, (text))

/* The score of topic id in an article declared in language lang. */
static double lang_score(const char *id, const char *lang, const char *body)
{
    struct nr_article a;
    memset(&a, 0, sizeof(a));
    a.field[NR_FIELD_ID] = (struct nr_str){"t", 1};
    a.field[NR_FIELD_BODY] = (struct nr_str){body, strlen(body)};
    if (lang)
        a.field[NR_FIELD_LANGUAGE] = (struct nr_str){lang, strlen(lang)};
    a.published_ms = NR_TIME_NONE;
    double first = -1;
    for (int e = 0; e < n_engines; e++) {
        const struct nr_tags *t = nr_tagger_tag(taggers[e], scratches[e], &a);
        double sc = 0;
        for (size_t i = 0; i < t->n_topics; i++)
            if (strcmp(cfg->topics[t->topics[i].topic].id, id) == 0)
                sc = t->topics[i].score;
        if (e > 0 && sc != first)
            fail_msg("%s: engines disagree: %g vs %g", id, first, sc);
        first = sc;
    }
    return first;
}

static void test_stem_module(void **state)
{
    (void)state;
    int en = nr_stem_lang("en");
    assert_true(en >= 0);
    assert_int_equal(nr_stem_lang("english"), en);
    assert_true(nr_stem_lang("fr") >= 0 && nr_stem_lang("fr") != en);
    assert_int_equal(nr_stem_lang("xx"), -1);
    assert_int_equal(nr_stem_lang(NULL), -1);
    assert_string_equal(nr_stem_lang_name(en), "english");
    assert_null(nr_stem_lang_name(-1));
    struct nr_stem *s = nr_stem_new();
    static const char *const pairs[][2] = {
        {"bombing", "bomb"}, {"bombings", "bomb"}, {"bombed", "bomb"},    {"closed", "close"},
        {"closes", "close"}, {"closing", "close"}, {"strikes", "strike"}, {"kidnapped", "kidnap"},
    };
    for (size_t i = 0; i < NR_ARRAY_LEN(pairs); i++) {
        size_t n;
        const char *st = nr_stem_word(s, en, pairs[i][0], strlen(pairs[i][0]), &n);
        assert_int_equal(n, strlen(pairs[i][1]));
        assert_memory_equal(st, pairs[i][1], n);
    }
    size_t n;
    const char *w = "bombing";
    assert_ptr_equal(nr_stem_word(s, -1, w, 7, &n), w); /* no language: the word */
    assert_int_equal(n, 7);
    nr_stem_free(s);
    nr_stem_free(NULL);
}

static void test_stems(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "A bomb went off.",       "Two bombs went off.",         "The bombing was claimed.",
        "Bombings continued.",    "They bombed the bridge.",     "The road was closed.",
        "Iran closes the border", "Closing the crossing",        "He will close it",
        "Strikes hit the town.",  "a strike on the depot",       "Gunmen kidnapped two men",
        "the kidnapping of two",  "Peshawar bomb-disposal unit",
    };
    for (size_t i = 0; i < NR_ARRAY_LEN(yes); i++)
        if (BODY("stem", yes[i]) != 1)
            fail_msg("stem: \"%s\" should match", yes[i]);
    /* other words that start alike, inside words, other stems */
    static const char *const no[] = {
        "The bomber fled.", "Bombay and Mumbai", "a closet door", "the abomb",
        "enclosed spaces",  "a striker scored",  "closure",       "",
    };
    for (size_t i = 0; i < NR_ARRAY_LEN(no); i++)
        if (BODY("stem", no[i]) != 0)
            fail_msg("stem: \"%s\" should not match", no[i]);
    /* language: none matches the word exactly */
    assert_true(BODY("nostem", "the bomb") == 1);
    assert_true(BODY("nostem", "the bombs") == 0);
}

static void test_phrases(void **state)
{
    (void)state;
    assert_true(BODY("phrase", "a car bomb exploded") == 1);
    assert_true(BODY("phrase", "two car bombs exploded") == 1); /* stemmed words */
    assert_true(BODY("phrase", "a car-bomb exploded") == 1);    /* hyphen = space */
    assert_true(BODY("phrase", "a car, bomb") == 0);            /* not consecutive */
    assert_true(BODY("phrase", "a car and a bomb") == 0);
    assert_true(BODY("phrase", "the suicide bombers struck") == 1); /* bomb* */
    assert_true(BODY("phrase", "Suicide-bombing") == 1);
    assert_true(BODY("phrase", "an attack on the embassy") == 1);
    assert_true(BODY("phrase", "attacks on the embassy") == 1);
    assert_true(BODY("phrase", "an attack on their embassy") == 0); /* "the" is exact */
    assert_true(BODY("phrase", "attack on the embassy's gate") == 1);
    assert_true(BODY("exact", "they held the talks") == 1);
    assert_true(BODY("exact", "they held these talks") == 0);
    assert_true(BODY("exact", "the UN said") == 1);
    assert_true(BODY("exact", "the unit said") == 0);
    /* =word: that form only */
    assert_true(BODY("exactword", "they will close the road") == 1);
    assert_true(BODY("exactword", "CLOSE to the edge") == 1);
    assert_true(BODY("exactword", "they closed the road") == 0);
    assert_true(BODY("exactword", "they watched closely") == 0);
    assert_true(BODY("exactword", "it closes at six") == 0);
    assert_true(BODY("exactword", "troops sealed the borders") == 1); /* only "sealed" is exact */
    assert_true(BODY("exactword", "troops seal the border") == 0);
    assert_true(BODY("exactword", "a cease-fire held") == 1);
    assert_true(BODY("exactword", "a cease fire held") == 1);
    assert_true(BODY("exactword", "cease fires") == 0);
}

static void test_near(void **state)
{
    (void)state;
    assert_true(BODY("near", "the attack killed four") == 1);
    assert_true(BODY("near", "four were killed in the attack") == 1); /* either order */
    assert_true(BODY("near", "a blast, which security forces said") == 1);
    assert_true(BODY("near", "attack a b killed") == 1);   /* 3 words apart */
    assert_true(BODY("near", "attack a b c killed") == 0); /* 4 */
    assert_true(BODY("near", "the attack. Elsewhere a man was killed") == 0);
    assert_true(score("near", "Attack on town", "Four killed") == 0); /* same field only */
    assert_true(BODY("near", "attack") == 0);
    /* words counted over long texts: a lead of 6,000 bytes before the pair,
     * long words between (gaps of thousands of bytes, few words) */
    char *buf = malloc(40000);
    assert_non_null(buf);
    for (int between = 2; between <= 3; between++)
        for (int wlen = 1; wlen <= 3000; wlen = wlen * 7 + 3) {
            size_t o = 0;
            for (int k = 0; k < 1000; k++)
                o += (size_t)sprintf(buf + o, "%s ", k % 3 ? "lead" : "w");
            o += (size_t)sprintf(buf + o, "attack");
            for (int k = 0; k < between; k++) {
                buf[o++] = ' ';
                memset(buf + o, 'x', (size_t)wlen);
                o += (size_t)wlen;
            }
            sprintf(buf + o, " killed");
            if (BODY("near", buf) != (between <= 2 ? 1 : 0))
                fail_msg("NEAR/3 over %d words of %d bytes after a long lead", between, wlen);
        }
    free(buf);
}

static void test_not(void **state)
{
    (void)state;
    assert_true(BODY("not", "The ministers held talks on Monday.") == 1);
    assert_true(BODY("not", "talks before the football match") == 0);
    assert_true(BODY("not", "peace talks resumed") == 0);
    assert_true(score("not", "Football", "talks resumed") == 0); /* NOT sees every field */
}

static void test_weights_title(void **state)
{
    (void)state;
    /* threshold 2: one airstrike (1) is not enough, in the title it is 1.5 */
    assert_true(BODY("weights", "an airstrike hit the town") == 0);
    assert_true(score("weights", "Airstrike hits town", NULL) == 0);
    assert_true(BODY("weights", "a bomb killed two") == 2);
    assert_true(BODY("weights", "an airstrike; a bomb killed two") == 3);
    assert_true(score("weights", "Airstrike and bomb kill two", NULL) == 4.5);
    /* a signal counts once however often it matches */
    assert_true(BODY("weights", "a bomb killed two. A bomb killed three. airstrike, airstrike") ==
                3);
    assert_true(score("weights", "Airstrike", "a bomb killed two; another airstrike") == 3.5);
}

static void test_masking(void **state)
{
    (void)state;
    assert_true(BODY("mask", "He died of a heart attack.") == 0);
    assert_true(BODY("mask", "Heart attacks are common.") == 0); /* stemmed exclusion */
    assert_true(BODY("mask", "a panic attack") == 0);
    assert_true(BODY("mask", "Gunmen attacked a checkpoint.") == 1);
    /* scoped: the heart attack masks its own "attack" only */
    assert_true(BODY("mask", "A man died of a heart attack; later an attack killed five.") == 1);
    /* exclude_near: within 2 words of "budget" */
    assert_true(BODY("mask", "The opposition attacked the budget.") == 0);
    assert_true(BODY("mask", "The budget was attacked by all.") == 0);
    assert_true(BODY("mask", "attacked x y the budget") == 1); /* 4 words away */
    assert_true(BODY("mask", "The budget passed. Rebels attacked a convoy.") == 1);
    /* the exclusion's own field only */
    assert_true(score("mask", "Budget attacked", "Rebels attacked a convoy") == 1);
}

/* A line of links to other stories ("Related: ...") does not count for
 * topics (tagger.c, link lines). */
static void test_link_lines(void **state)
{
    (void)state;
    assert_true(BODY("weights", "The minister opened a school. Related: A bomb killed two") == 0);
    assert_true(BODY("weights", "Read more: a bomb killed two") == 0);
    assert_true(BODY("weights", "Quiet day.\nRELATED STORIES: a bomb killed two\nMarkets rose.") ==
                0);
    assert_true(BODY("weights", "a bomb killed two. Related: markets rose") == 2);
    assert_true(BODY("weights", "See also: markets rose\na bomb killed two") == 2);
    /* flattened: the links end at the first sentence end */
    assert_true(BODY("weights", "Read more: markets rose. A bomb killed two.") == 2);
    /* no colon, or not at a sentence start: text */
    assert_true(BODY("weights", "Read more about it as a bomb killed two") == 2);
    assert_true(BODY("weights", "He said related: a bomb killed two") == 2);
    /* the title is not a link line */
    assert_true(score("weights", "Related: a bomb killed two", NULL) == 3);
    /* any case, "related" with up to two more words, the full-width colon */
    assert_true(BODY("weights", "Quiet day. Related Coverage: a bomb killed two") == 0);
    assert_true(BODY("weights", "Quiet day.\nSEE ALSO\uFF1A a bomb killed two") == 0);
    assert_true(BODY("weights", "Related to this, he said: a bomb killed two") == 2);
    /* a label alone on its line heads the next line; not a long paragraph */
    assert_true(BODY("weights", "Quiet day.\nRead more\na bomb killed two\nMarkets rose.") == 0);
    assert_true(BODY("weights", "Quiet day.\nWatch\nMarkets rose.\na bomb killed two") == 2);
    assert_true(BODY("weights", "Quiet day.\nRelated:\n\na bomb killed two\nMarkets rose.") == 0);
    assert_true(BODY("weights", "Quiet day.\nRelated:\nMarkets rose.\na bomb killed two") == 2);
    /* page furniture: a '|' after the label, widget and tag labels, "+"
     * labels with up to three more words, a heading over a list of
     * headlines (until a blank line or a line ending as a sentence) */
    assert_true(BODY("weights", "Quiet day.\nAlso Read | a bomb killed two") == 0);
    assert_true(BODY("weights", "Quiet day.\nTrending now: a bomb killed two") == 0);
    assert_true(BODY("weights", "Quiet day.\nTags: bomb, killed") == 0);
    assert_true(BODY("weights",
                     "Quiet day.\nMore from Horn of Africa\nMarkets rise\na bomb killed two") == 0);
    assert_true(BODY("weights", "Quiet day.\nMost read\nMarkets rise\n\na bomb killed two") == 2);
    assert_true(BODY("weights", "Quiet day.\nMost read\nMarkets rise\nA bomb killed two.") == 2);
    assert_true(BODY("weights", "Quiet day.\nHome | World | Sport\na bomb killed two") == 2);
}

static void test_legacy(void **state)
{
    (void)state;
    assert_true(BODY("legacy", "a border closure") == 1);
    assert_true(BODY("legacy", "border closures") == 0); /* literal, no stems */
    assert_true(BODY("legacy", "the border was closed") == 1);
    assert_true(BODY("legacy", "the border was closed; a border closure") == 2);
    assert_true(BODY("legacy", "the border gate was later closed") == 0);
}

static void test_evidence(void **state)
{
    (void)state;
    for (int e = 0; e < n_engines; e++) {
        const struct nr_tags *t =
            tag(e, NULL, "An airstrike hit. Later a bomb killed two; bombs killed more.");
        const struct nr_topic_tag *w = NULL;
        for (size_t i = 0; i < t->n_topics; i++)
            if (strcmp(cfg->topics[t->topics[i].topic].id, "weights") == 0)
                w = &t->topics[i];
        assert_non_null(w);
        assert_int_equal(w->n_evidence, 3);
        assert_string_equal(t->evidence[w->first_evidence], "airstrike");
        assert_string_equal(t->evidence[w->first_evidence + 1], "bomb");
        assert_string_equal(t->evidence[w->first_evidence + 2], "kill");
    }
}

static json_t *find_id(json_t *arr, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "id")), id) == 0)
            return v;
    }
    return NULL;
}

static void test_explain(void **state)
{
    (void)state;
    const char *title = "Airstrike in Pakistan";
    const char *body = "A bomb killed two. He died of a heart attack.";
    struct nr_article a;
    memset(&a, 0, sizeof(a));
    a.field[NR_FIELD_ID] = (struct nr_str){"x", 1};
    a.field[NR_FIELD_TITLE] = (struct nr_str){title, strlen(title)};
    a.field[NR_FIELD_BODY] = (struct nr_str){body, strlen(body)};
    const struct nr_tags *t = nr_tagger_tag(taggers[0], scratches[0], &a);
    char *js = nr_tagger_explain_json(cfg, taggers[0], scratches[0], &a, t);
    assert_non_null(js);
    json_t *o = json_loads(js, 0, NULL);
    assert_non_null(o);
    json_t *ex = json_object_get(o, "explain");
    json_t *pk = find_id(json_object_get(ex, "entities"), "PK");
    assert_non_null(pk);
    json_t *m0 = json_array_get(json_object_get(pk, "matches"), 0);
    assert_string_equal(json_string_value(json_object_get(m0, "text")), "Pakistan");
    assert_string_equal(json_string_value(json_object_get(m0, "field")), "title");
    assert_int_equal(json_integer_value(json_object_get(m0, "start")), 13);

    /* weights: airstrike in the title (1 x 1.5) + bomb NEAR kill (2) */
    json_t *w = find_id(json_object_get(ex, "topics"), "weights");
    assert_non_null(w);
    assert_true(json_is_true(json_object_get(w, "detected")));
    assert_true(json_number_value(json_object_get(w, "score")) == 3.5);
    assert_true(json_number_value(json_object_get(w, "threshold")) == 2);
    json_t *sigs = json_object_get(w, "signals");
    assert_int_equal(json_array_size(sigs), 2);
    json_t *s0 = json_array_get(sigs, 0), *s1 = json_array_get(sigs, 1);
    assert_string_equal(json_string_value(json_object_get(s0, "query")), "airstrike");
    assert_true(json_is_true(json_object_get(s0, "in_title")));
    assert_true(json_number_value(json_object_get(s0, "points")) == 1.5);
    assert_true(json_number_value(json_object_get(s1, "weight")) == 2);
    assert_true(json_number_value(json_object_get(s1, "points")) == 2);
    json_t *k = json_array_get(json_object_get(s1, "matches"), 1);
    assert_string_equal(json_string_value(json_object_get(k, "term")), "kill");
    assert_string_equal(json_string_value(json_object_get(k, "text")), "killed");
    assert_int_equal(json_integer_value(json_object_get(k, "start")), 7);
    assert_int_equal(json_integer_value(json_object_get(k, "end")), 13);

    /* a topic below its threshold is explained too, with what masked what */
    json_t *mk = find_id(json_object_get(ex, "topics"), "mask");
    assert_non_null(mk);
    assert_false(json_is_true(json_object_get(mk, "detected")));
    json_t *mms = json_object_get(json_array_get(json_object_get(mk, "signals"), 0), "matches");
    size_t i, masked = 0;
    json_t *mm;
    json_array_foreach(mms, i, mm)
    {
        json_t *by = json_object_get(mm, "masked_by");
        if (!by)
            continue;
        masked++;
        assert_string_equal(json_string_value(json_object_get(mm, "text")), "attack");
        assert_string_equal(json_string_value(json_object_get(by, "term")), "heart attack");
        assert_string_equal(json_string_value(json_object_get(by, "kind")), "exclude");
    }
    assert_int_equal(masked, 2); /* the query names "attack" twice: two terms */
    assert_int_equal(json_array_size(json_object_get(mk, "exclusions")), 1);
    json_decref(o);
    free(js);
}

/* Per-language terms (`extend:`): an article is scored with the terms of
 * its language, stemmed in that language; other articles with the
 * topic's own. */
static void test_languages(void **state)
{
    (void)state;
    const struct nr_topic *t = NULL;
    for (size_t i = 0; i < cfg->n_topics; i++)
        if (strcmp(cfg->topics[i].id, "multi") == 0)
            t = &cfg->topics[i];
    assert_non_null(t);
    assert_int_equal(t->n_langs, 6);
    assert_string_equal(t->langs[2].language, "ar"); /* names normalized */
    assert_string_equal(t->langs[5].language, "fr");
    assert_true(t->langs[0].stem_lang >= 0);
    assert_int_equal(t->langs[3].stem_lang, -1); /* zh: no stemmer */
    /* the topic's own terms: English, and any language without a set */
    assert_true(lang_score("multi", "en", "The attack on the convoy") == 1);
    assert_true(lang_score("multi", "de", "The attack on the convoy") == 1);
    assert_true(lang_score("multi", "en", "Two bombings in the city") == 1); /* en extension */
    assert_true(lang_score("multi", "en", "un attentat dans la ville") == 0);
    /* French: French terms only, French stems, both files */
    assert_true(lang_score("multi", "fr", "Deux attentats ont frappé la ville") == 1);
    assert_true(lang_score("multi", "fr-FR", "après la frappe aérienne") == 1);
    assert_true(lang_score("multi", "fr", "The attack on the convoy") == 0);
    assert_true(lang_score("multi", "fr", "l'attaque du convoi") == 1);
    /* the French exclusion masks French matches */
    assert_true(lang_score("multi", "fr", "il est mort d'une attaque cardiaque") == 0);
    /* Russian stems: взрыв = взрывы, взрывом; wildcard */
    assert_true(lang_score("multi", "ru", "Два взрыва прогремели в городе") == 1);
    assert_true(lang_score("multi", "ru", "произошел теракт") == 1);
    assert_true(lang_score("multi", "ru", "The attack on the convoy") == 0);
    /* an extension's exclude_near masks within its own `within` (6), not the topic's */
    assert_true(lang_score("multi", "ru", "на учениях прогремел один мощный взрыв") == 0);
    assert_true(lang_score("multi", "ru",
                           "учения прошли спокойно, но через неделю в другом районе "
                           "города прогремел взрыв") == 1);
    /* Arabic: a stemmed word behind clitics */
    assert_true(lang_score("multi", "ar", "والهجوم على الشرطة") == 1);
    assert_true(lang_score("multi", "ar", "بعد الهجوم") == 1);
    /* Chinese: substrings, NEAR inside a run without spaces */
    assert_true(lang_score("multi", "zh", "发生自杀式袭击事件") == 1);
    assert_true(lang_score("multi", "zh", "巴基斯坦关闭托尔哈姆口岸") == 1);
    assert_true(lang_score("multi", "zh", "巴基斯坦关闭 托尔哈姆 今天 口岸") == 0);
}

/* Stems of the accented word: the stemmers of fr, es, pt, tr and ru read
 * the accents (é, ó, ç, ğ, й), so the rule word and the text word are
 * stemmed as written and compared folded; the English stems (of the
 * folded word) stay as they were. */
static void test_accents(void **state)
{
    (void)state;
    /* French fermer: fermée, fermés, fermées (folded first, "fermee" kept
     * its e and missed); upper case and a decomposed é (NFD) alike */
    const char *fr[] = {"la frontière est fermée",
                        "les postes sont fermés",
                        "deux routes fermées",
                        "ils ont fermé la route",
                        "LA ROUTE FERMÉE",
                        "la route ferme\xcc\x81"
                        "e",
                        "route fer\xc2\xad"
                        "m\xc3\xa9"
                        "e"};
    for (size_t i = 0; i < NR_ARRAY_LEN(fr); i++)
        if (lang_score("accents", "fr", fr[i]) != 1)
            fail_msg("fr: \"%s\" should match fermer", fr[i]);
    assert_true(lang_score("accents", "fr", "le fermier") == 0); /* other stems */
    assert_true(lang_score("accents", "fr", "une fermeture") == 0);
    /* Spanish evacuación: the plural (stem evacu, not evacuacion) */
    assert_true(lang_score("accents", "es", "ordenó evacuaciones masivas") == 1);
    assert_true(lang_score("accents", "es", "la evacuación de civiles") == 1);
    assert_true(lang_score("accents", "es", "decidieron evacuar la zona") == 1);
    /* Portuguese negociação: negociações, negociar */
    assert_true(lang_score("accents", "pt", "as negociações de paz") == 1);
    assert_true(lang_score("accents", "pt", "aceitou negociar") == 1);
    assert_true(lang_score("accents", "pt", "um negócio") == 0);
    /* Turkish yasak: yasağı (ğ before the suffix), capital I is ı */
    assert_true(lang_score("accents", "tr", "sokağa çıkma yasağı ilan edildi") == 1);
    assert_true(lang_score("accents", "tr", "YASAĞI KALDIRDI") == 1);
    /* Russian закрытый: закрытой, закрытие (й was folded to и) */
    assert_true(lang_score("accents", "ru", "граница остается закрытой") == 1);
    assert_true(lang_score("accents", "ru", "после закрытия границы") == 1);
    /* English unchanged: close = closed, closing (folded, then stemmed) */
    assert_true(lang_score("accents", "en", "the border was closed") == 1);
    assert_true(lang_score("accents", "en", "the border is open") == 0);
}

int main(int argc, char **argv)
{
    const char *data = argc > 1 ? argv[1] : "tests/data";
    char path[4096];
    snprintf(path, sizeof(path), "%s/topics/newsradar.yaml", data);
    struct nr_diags diags = {0};
    cfg = nr_config_load(path, &diags);
    if (!cfg) {
        nr_diags_print(&diags, stderr);
        nr_diags_free(&diags);
        return 1;
    }
    nr_diags_free(&diags);
    struct nr_error err;
    taggers[n_engines++] = nr_tagger_new(cfg, &err);
    if (nr_matcher_engine_available(NR_MATCHER_HS))
        taggers[n_engines++] = nr_tagger_new_engine(cfg, NR_MATCHER_HS, &err);
    for (int e = 0; e < n_engines; e++) {
        if (!taggers[e]) {
            fprintf(stderr, "tagger: %s\n", err.msg);
            return 1;
        }
        scratches[e] = nr_tag_scratch_new(taggers[e]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stem_module), cmocka_unit_test(test_stems),
        cmocka_unit_test(test_phrases),     cmocka_unit_test(test_near),
        cmocka_unit_test(test_not),         cmocka_unit_test(test_weights_title),
        cmocka_unit_test(test_masking),     cmocka_unit_test(test_link_lines),
        cmocka_unit_test(test_legacy),      cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_explain),     cmocka_unit_test(test_languages),
        cmocka_unit_test(test_accents),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (int e = 0; e < n_engines; e++) {
        nr_tag_scratch_free(scratches[e]);
        nr_tagger_free(taggers[e]);
    }
    nr_config_free(cfg);
    return rc;
}
