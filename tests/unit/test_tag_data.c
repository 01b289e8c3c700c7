/*
 * test_tag_data.c - tagging behaviour as data: every tests/data/tag/NAME.json
 *
 *   {"article": {...article JSON...},
 *    "expect": {"entities": [{"id": "PK", "mentions": 2, ...}, ...],
 *               "topics":   [{"id": "border_closure", "score": 1, ...}],
 *               "absent":   ["US", "attack", ...],
 *               "only":     ["PK", "antony blinken"]}}
 *
 * is one test case run against tests/data/tag/config/newsradar.yaml with the
 * real loader, decoder and tagger (both matcher engines when Hyperscan is
 * built in). Listed entities/topics must be present, and every key given
 * must equal the output of `newsradar tag` (so "spans" can be checked too);
 * ids in "absent" (entity or topic) must not be present; when "only" is
 * given, the entity ids must be exactly those (any order). Adding a case is
 * adding a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/tagger.h"

static struct nr_config *cfg;
static struct nr_decoder *dec;
static struct nr_tagger *taggers[2];
static struct nr_tag_scratch *scratches[2];
static int n_engines;

static json_t *find_by_id(json_t *arr, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *vid = json_string_value(json_object_get(v, "id"));
        if (vid && strcmp(vid, id) == 0)
            return v;
    }
    return NULL;
}

static void check_subset(json_t *got_arr, json_t *want_arr, const char *what, const char *name)
{
    size_t i;
    json_t *want;
    json_array_foreach(want_arr, i, want)
    {
        const char *id = json_string_value(json_object_get(want, "id"));
        assert_non_null(id);
        json_t *got = find_by_id(got_arr, id);
        if (!got)
            fail_msg("%s: %s %s not found", name, what, id);
        const char *key;
        json_t *wv;
        json_object_foreach(want, key, wv)
        {
            json_t *gv = json_object_get(got, key);
            if (!gv || !json_equal(gv, wv)) {
                char *a = json_dumps(wv, JSON_COMPACT | JSON_ENCODE_ANY);
                char *b = gv ? json_dumps(gv, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("(none)");
                print_error("%s: %s %s: %s: want %s, got %s\n", name, what, id, key, a, b);
                free(a);
                free(b);
                fail();
            }
        }
    }
}

static void run_case(void **state)
{
    const char *path = *state;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    json_t *article = json_object_get(root, "article");
    json_t *expect = json_object_get(root, "expect");
    assert_non_null(article);
    assert_non_null(expect);
    char *msg = json_dumps(article, JSON_COMPACT);
    for (int e = 0; e < n_engines; e++) {
        struct nr_article a;
        struct nr_error err = {{0}};
        enum nr_reject rj = nr_article_decode(dec, msg, strlen(msg), &a, &err);
        if (rj != NR_REJECT_NONE)
            fail_msg("%s: article rejected: %s", name, err.msg);
        const struct nr_tags *t = nr_tagger_tag(taggers[e], scratches[e], &a);
        char *out = nr_tags_to_json(cfg, &a, t);
        json_t *got = json_loads(out, 0, &jerr);
        assert_non_null(got);
        json_t *ents = json_object_get(got, "entities"), *tops = json_object_get(got, "topics");
        check_subset(ents, json_object_get(expect, "entities"), "entity", name);
        check_subset(tops, json_object_get(expect, "topics"), "topic", name);
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(expect, "absent"), i, v)
        {
            const char *id = json_string_value(v);
            assert_non_null(id);
            if (find_by_id(ents, id) || find_by_id(tops, id))
                fail_msg("%s: %s should be absent; got %s", name, id, out);
        }
        json_t *only = json_object_get(expect, "only");
        if (only) {
            json_array_foreach(ents, i, v)
            {
                const char *id = json_string_value(json_object_get(v, "id"));
                bool listed = false;
                size_t k;
                json_t *w;
                json_array_foreach(only, k, w) listed |=
                    id && json_string_value(w) && strcmp(id, json_string_value(w)) == 0;
                if (!listed)
                    fail_msg("%s: entity %s is not in \"only\"; got %s", name, id, out);
            }
            json_array_foreach(only, i, v) if (!find_by_id(ents, json_string_value(v))) fail_msg(
                "%s: entity %s of \"only\" not found; got %s", name, json_string_value(v), out);
        }
        json_decref(got);
        free(out);
    }
    free(msg);
    json_decref(root);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *data = argc > 1 ? argv[1] : "tests/data";
    char dir[4096], cfg_path[4096];
    snprintf(dir, sizeof(dir), "%s/tag", data);
    snprintf(cfg_path, sizeof(cfg_path), "%s/tag/config/newsradar.yaml", data);

    struct nr_diags diags = {0};
    cfg = nr_config_load(cfg_path, &diags);
    if (!cfg) {
        nr_diags_print(&diags, stderr);
        nr_diags_free(&diags);
        return 1;
    }
    nr_diags_free(&diags);
    struct nr_error err;
    taggers[n_engines] = nr_tagger_new(cfg, &err);
    if (!taggers[n_engines]) {
        fprintf(stderr, "tagger: %s\n", err.msg);
        return 1;
    }
    n_engines++;
    if (nr_matcher_engine_available(NR_MATCHER_HS)) {
        taggers[n_engines] = nr_tagger_new_engine(cfg, NR_MATCHER_HS, &err);
        if (!taggers[n_engines]) {
            fprintf(stderr, "tagger (hyperscan): %s\n", err.msg);
            return 1;
        }
        n_engines++;
    }
    for (int e = 0; e < n_engines; e++)
        scratches[e] = nr_tag_scratch_new(taggers[e]);
    dec = nr_decoder_new(cfg);

    char **files = NULL;
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return 1;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) {
            files = realloc(files, (n + 1) * sizeof(char *));
            files[n] = malloc(strlen(dir) + l + 2);
            sprintf(files[n], "%s/%s", dir, de->d_name);
            n++;
        }
    }
    closedir(d);
    if (n < 12) {
        fprintf(stderr, "expected at least 12 cases in %s, found %zu\n", dir, n);
        return 1;
    }
    qsort(files, n, sizeof(char *), cmp_str);
    struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    for (size_t i = 0; i < n; i++) {
        tests[i].name = strrchr(files[i], '/') + 1;
        tests[i].test_func = run_case;
        tests[i].initial_state = files[i];
    }
    int rc = _cmocka_run_group_tests("tag_data", tests, n, NULL, NULL);
    free(tests);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
    nr_decoder_free(dec);
    for (int e = 0; e < n_engines; e++) {
        nr_tag_scratch_free(scratches[e]);
        nr_tagger_free(taggers[e]);
    }
    nr_config_free(cfg);
    return rc;
}
