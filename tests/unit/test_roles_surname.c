/*
 * test_roles_surname.c - surname-only mentions (tagger_roles_surname.c) on
 * an adversarial article: hundreds of role-found officials, each named
 * once in full and then by surname dozens of times, with two officials
 * sharing a surname (neither gets surname mentions) and a watchlist
 * official (Javier Milei, tests/data/tag/config) named by surname too. The
 * search is one pass over each field for all surnames, so this is quick;
 * the test checks that every count is still exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/tagger.h"

#define PEOPLE 1500
#define REPEAT 9

static const char *data_dir = "tests/data";

/* A capitalised made-up word for number i (base 20 in consonant-vowel
 * syllables): "Bax", "Dafex", ... distinct for distinct i. */
static void word(unsigned i, char *out)
{
    static const char cons[] = "bdfgklmnprstvz", vow[] = "aeiou";
    size_t o = 0;
    do {
        out[o++] = cons[i % 14];
        i /= 14;
        out[o++] = vow[i % 5];
        i /= 5;
    } while (i);
    out[o++] = 'x';
    out[o] = '\0';
    out[0] = (char)(out[0] - 32);
}

static void put(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

static void test_many_officials_many_surnames(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof(path), "%s/tag/config/newsradar.yaml", data_dir);
    struct nr_diags diags = {0};
    struct nr_config *cfg = nr_config_load(path, &diags);
    if (!cfg)
        nr_diags_print(&diags, stderr);
    nr_diags_free(&diags);
    assert_non_null(cfg);
    struct nr_error err;
    struct nr_tagger *tg = nr_tagger_new(cfg, &err);
    assert_non_null(tg);
    struct nr_tag_scratch *sc = nr_tag_scratch_new(tg);
    struct nr_decoder *dec = nr_decoder_new(cfg);

    /* people 0..PEOPLE-1: given name word(PEOPLE + i), surname word(i);
     * person PEOPLE-1 takes person 0's surname (shared: no surname
     * mentions for either) */
    char *body = NULL;
    size_t len = 0, cap = 0;
    char g[32], s[32], line[128];
    for (unsigned i = 0; i < PEOPLE; i++) {
        word(PEOPLE + i, g);
        word(i == PEOPLE - 1 ? 0 : i, s);
        snprintf(line, sizeof(line), "Foreign Minister %s %s arrived. ", g, s);
        put(&body, &len, &cap, line);
    }
    put(&body, &len, &cap, "President Javier Milei spoke. ");
    for (unsigned r = 0; r < REPEAT; r++) {
        for (unsigned i = 0; i < PEOPLE - 1; i++) {
            word(i, s);
            snprintf(line, sizeof(line), "We heard %s say so. ", s);
            put(&body, &len, &cap, line);
        }
        put(&body, &len, &cap, "We heard Milei agree. ");
    }
    char *json = malloc(len + 64);
    int jl = snprintf(json, len + 64, "{\"id\":\"x\",\"title\":\"Talks\",\"body\":\"%s\"}", body);
    struct nr_article a;
    assert_int_equal(nr_article_decode(dec, json, (size_t)jl, &a, &err), NR_REJECT_NONE);
    const struct nr_tags *t = nr_tagger_tag(tg, sc, &a);

    assert_int_equal(t->n_officials, PEOPLE);
    unsigned seen = 0;
    for (size_t k = 0; k < t->n_officials; k++) {
        const struct nr_official_tag *o = &t->officials[k];
        char want[80];
        for (unsigned i = 0; i < PEOPLE; i++) {
            word(PEOPLE + i, g);
            word(i == PEOPLE - 1 ? 0 : i, s);
            snprintf(want, sizeof(want), "%s %s", g, s);
            if (strcmp(o->name, want) != 0)
                continue;
            seen++;
            unsigned m = i == 0 || i == PEOPLE - 1 ? 1 : 1 + REPEAT;
            if (o->mentions != m)
                fail_msg("%s: %u mentions, want %u", o->name, o->mentions, m);
        }
    }
    assert_int_equal(seen, PEOPLE);
    bool milei = false;
    for (size_t k = 0; k < t->n_entities; k++)
        if (strcmp(cfg->entities[t->entities[k].entity].id, "AR-MILEI") == 0) {
            milei = true;
            assert_int_equal(t->entities[k].mentions, 1 + REPEAT);
        }
    assert_true(milei);

    free(json);
    free(body);
    nr_decoder_free(dec);
    nr_tag_scratch_free(sc);
    nr_tagger_free(tg);
    nr_config_free(cfg);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_officials_many_surnames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
