/*
 * fuzz_query.c - libFuzzer target for the topic query language: the input
 * is parsed as a query and as an exclusion phrase; a query that parses is
 * compiled into a tagger (one topic, the input's phrase as its exclusion
 * when that parses too) and the input itself is tagged as an article, so
 * the phrase walks, stems, NEAR windows and masking run on hostile text.
 * Invariants: an error points inside the input and says something; a parsed
 * tree is well formed (children and words in range, wildcards long enough,
 * depth bounded); nothing crashes, hangs or leaks.
 * Also run without clang over seeds and mutations by tests/unit/test_fuzz_query.c.
 */
#include "newsradar/query.h"
#include "newsradar/stem.h"
#include "newsradar/tagger.h"

#include <stdlib.h>
#include <string.h>

static void check_error(const struct nr_query_error *e, size_t size)
{
    if (e->off > size || e->msg[0] == '\0')
        abort();
}

static int depth_of(const struct nr_query *q, uint32_t node, int d)
{
    if (d > 3 * NR_QUERY_MAX_DEPTH + 4)
        abort(); /* deeper than the parser allows */
    const struct nr_qnode *n = &q->nodes[node];
    int m = d;
    for (uint32_t k = 0; k < n->n; k++) {
        int c = depth_of(q, q->kids[n->first + k], d + 1);
        m = c > m ? c : m;
    }
    return m;
}

static void check_tree(const struct nr_query *q)
{
    if (q->root >= q->n_nodes || q->n_terms == 0)
        abort();
    for (size_t i = 0; i < q->n_nodes; i++) {
        const struct nr_qnode *n = &q->nodes[i];
        if ((size_t)n->first + n->n > q->n_kids)
            abort();
        for (uint32_t k = 0; k < n->n; k++)
            if (q->kids[n->first + k] >= q->n_nodes)
                abort();
        if (n->op == NR_QOP_TERM && n->arg >= q->n_terms)
            abort();
        if (n->op == NR_QOP_NEAR && (n->n != 2 || n->arg < 1 || n->arg > NR_QUERY_MAX_NEAR))
            abort();
    }
    for (size_t i = 0; i < q->n_terms; i++) {
        const struct nr_qterm *t = &q->terms[i];
        if (t->n_words == 0 || t->n_words > NR_QUERY_MAX_PHRASE ||
            (size_t)t->first_word + t->n_words > q->n_words)
            abort();
    }
    for (size_t i = 0; i < q->n_words; i++)
        if (q->words[i].len == 0 || strlen(q->words[i].norm) != q->words[i].len)
            abort();
    depth_of(q, q->root, 0);
}

static void tag_with(struct nr_query *q, struct nr_query *phrase, const char *text, size_t size)
{
    char *qtext = strndup(text, size);
    char *ex = strndup(text, size);
    struct nr_topic_signal sig = {.q = qtext, .weight = 2, .query = q};
    char *exv[1] = {ex};
    struct nr_query *exq[1] = {phrase};
    struct nr_topic topic = {.id = "t",
                             .name = "t",
                             .signals = &sig,
                             .n_signals = 1,
                             .min_score = 1,
                             .title_boost = 1.5,
                             .stem_lang = nr_stem_lang("en")};
    if (phrase) {
        topic.exclude = (struct nr_strlist){exv, 1};
        topic.exclude_q = exq;
    }
    struct nr_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.topics = &topic;
    cfg.n_topics = 1;
    struct nr_error err;
    struct nr_tagger *t = nr_tagger_new(&cfg, &err);
    if (t) {
        struct nr_tag_scratch *s = nr_tag_scratch_new(t);
        struct nr_article a;
        memset(&a, 0, sizeof(a));
        a.field[NR_FIELD_ID] = (struct nr_str){"f", 1};
        a.field[NR_FIELD_TITLE] = (struct nr_str){text, size < 200 ? size : 200};
        a.field[NR_FIELD_BODY] = (struct nr_str){text, size};
        const struct nr_tags *tg = nr_tagger_tag(t, s, &a);
        for (size_t i = 0; i < tg->n_topics; i++)
            if (tg->topics[i].score <= 0 || tg->topics[i].topic != 0)
                abort();
        char *js = nr_tagger_explain_json(&cfg, t, s, &a, tg);
        if (!js)
            abort();
        free(js);
        nr_tag_scratch_free(s);
        nr_tagger_free(t);
    }
    free(qtext);
    free(ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct nr_query_error e;
    struct nr_query *q = nr_query_parse(text, size, &e);
    if (!q)
        check_error(&e, size);
    else
        check_tree(q);
    struct nr_query *ph = nr_query_parse_phrase(text, size, &e);
    if (!ph)
        check_error(&e, size);
    else if (ph->n_terms != 1 || ph->nodes[ph->root].op != NR_QOP_TERM)
        abort();
    if (q && !memchr(text, '\0', size))
        tag_with(q, ph, text, size);
    nr_query_free(q);
    nr_query_free(ph);
    return 0;
}
