/*
 * bench_tag.c - tagging throughput against Hyperscan, in one run.
 *
 * Builds a generated watchlist of 10,000 word-like aliases (1-4 words) and a
 * generated corpus of 4 KB articles (deterministic xorshift PRNG, word-like
 * text with some alias occurrences), then prints:
 *   - AC scan MB/s: the Aho-Corasick matcher over pre-normalized bodies;
 *   - tagging MB/s: nr_tagger_tag (normalize + scan + boundaries + resolve
 *     + topics + simhash) over title + body;
 *   - Hyperscan MB/s: hs_compile_lit_multi of the same aliases as case-less
 *     literals, block scan of the raw bodies (the baseline);
 *   - the ratios. Target: tagging >= 0.5 x Hyperscan.
 * Usage: bench_tag [aliases] [articles] [rounds] [news|hard]
 *   news (default): 85% frequent English words, 13% generated words, 2% aliases
 *   hard: 38% frequent words, 60% generated words shaped like the aliases
 */
#include "newsradar/matcher.h"
#include "newsradar/tagger.h"
#include "newsradar/text.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef NR_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

/* A pronounceable word of min..min+7 letters. */
static void gen_word(char *out, size_t *len, bool cap, size_t min)
{
    static const char *cons = "bcdfghjklmnprstvwyzkhshq";
    static const char *vow = "aeiouaeiy";
    size_t n = min + next() % 8, k = 0;
    bool v = next() & 1;
    while (k < n) {
        out[k++] = v ? vow[next() % 9] : cons[next() % 24];
        v = !v;
    }
    if (cap)
        out[0] = (char)(out[0] - 32);
    *len = n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#ifdef NR_HAVE_HYPERSCAN
static int on_hs_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
                       void *ctx)
{
    (void)id, (void)from, (void)to, (void)fl;
    ++*(size_t *)ctx;
    return 0;
}
#endif

struct corpus {
    char **title, **body;
    size_t *title_len, *body_len;
    size_t n, bytes;
};

int main(int argc, char **argv)
{
    size_t n_alias = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    size_t n_art = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    struct nr_error err;

    /* ---- watchlist: one entity per alias group of ~3 aliases ---- */
    struct nr_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    size_t n_ent = (n_alias + 2) / 3;
    cfg.entities = calloc(n_ent, sizeof(*cfg.entities));
    char **alias_text = calloc(n_alias, sizeof(char *));
    for (size_t a = 0; a < n_alias; a++) {
        char buf[128];
        size_t len = 0, words = 1 + next() % 4;
        if (words == 4 && next() % 2)
            words = 2; /* fewer long names */
        for (size_t w = 0; w < words; w++) {
            size_t wl;
            if (w)
                buf[len++] = ' ';
            gen_word(buf + len, &wl, true, words == 1 ? 6 : 4);
            len += wl;
        }
        buf[len] = 0;
        alias_text[a] = strdup(buf);
        struct nr_entity *e = &cfg.entities[a / 3];
        if (!e->aliases) {
            e->aliases = calloc(3, sizeof(*e->aliases));
            e->id = strdup(buf);
            e->kind = "group";
            e->name = e->id;
            cfg.n_entities++;
        }
        e->aliases[e->n_aliases++] = (struct nr_alias){.text = alias_text[a], .flags = 0};
    }
    /* two topics, as in production */
    static char *bc_any[] = {"border closure", "closed the border"};
    static char *bc_terms[] = {"border"}, *bc_with[] = {"closed", "shut"};
    static char *at_any[] = {"attack", "gunmen", "suicide bombing"};
    struct nr_topic_near near = {{bc_terms, 1}, {bc_with, 2}, 6};
    struct nr_topic topics[2] = {
        {.id = "border_closure",
         .any = {bc_any, 2},
         .near = &near,
         .n_near = 1,
         .min_score = 1,
         .title_boost = 1.5,
         .stem_lang = -1},
        {.id = "attack", .any = {at_any, 3}, .min_score = 1, .title_boost = 1.5, .stem_lang = -1},
    };
    cfg.topics = topics;
    cfg.n_topics = 2;

    /* ---- corpus: 4 KB articles ---- */
    size_t vocab_n = 5000;
    char **vocab = calloc(vocab_n, sizeof(char *));
    for (size_t i = 0; i < vocab_n; i++) {
        char w[16];
        size_t wl;
        gen_word(w, &wl, false, 2);
        w[wl] = 0;
        vocab[i] = strdup(w);
    }
    /* Frequent English words (news text is mostly these); in the "hard"
     * corpus the rest is generated words shaped like the aliases, so nearly
     * every word walks a few levels into the automaton. */
    static const char *common[] = {
        "the",      "of",        "and",       "to",        "in",         "a",        "said",
        "on",       "for",       "was",       "border",    "closed",     "attack",   "with",
        "by",       "that",      "is",        "at",        "from",       "his",      "it",
        "as",       "were",      "after",     "officials", "government", "minister", "people",
        "police",   "security",  "forces",    "two",       "have",       "has",      "had",
        "not",      "but",       "be",        "are",       "they",       "their",    "which",
        "would",    "an",        "this",      "also",      "been",       "more",     "who",
        "year",     "last",      "new",       "told",      "one",        "over",     "against",
        "killed",   "military",  "talks",     "week",      "country",    "city",     "region",
        "province", "state",     "members",   "group",     "leader",     "since",    "about",
        "than",     "when",      "there",     "will",      "could",      "into",     "under",
        "while",    "president", "statement", "according", "reported",   "capital",  "district",
        "local",    "former",    "spokesman", "official",  "news",       "agency",   "on",
        "monday",   "tuesday",   "wednesday", "thursday",  "friday",     "during",   "near"};
    bool hard = argc > 4 && strcmp(argv[4], "hard") == 0;
    unsigned common_pct = hard ? 38 : 85;
    struct corpus c = {0};
    c.n = n_art;
    c.title = calloc(n_art, sizeof(char *));
    c.body = calloc(n_art, sizeof(char *));
    c.title_len = calloc(n_art, sizeof(size_t));
    c.body_len = calloc(n_art, sizeof(size_t));
    for (size_t i = 0; i < n_art; i++) {
        for (int f = 0; f < 2; f++) {
            size_t target = f == 0 ? 60 : 4096, len = 0;
            char *p = malloc(target + 128);
            while (len < target) {
                const char *w;
                uint64_t r = next() % 100;
                if (r < 2)
                    w = alias_text[next() % n_alias];
                else if (r < 2 + common_pct)
                    w = common[next() % NR_ARRAY_LEN(common)];
                else
                    w = vocab[next() % vocab_n];
                size_t wl = strlen(w);
                if (len + wl + 2 > target + 100)
                    break;
                memcpy(p + len, w, wl);
                len += wl;
                p[len++] = next() % 12 == 0 ? ',' : ' ';
                if (p[len - 1] == ',')
                    p[len++] = ' ';
            }
            p[len] = 0;
            if (f == 0) {
                p[0] = (char)(p[0] >= 'a' && p[0] <= 'z' ? p[0] - 32 : p[0]);
                c.title[i] = p;
                c.title_len[i] = len;
            } else {
                c.body[i] = p;
                c.body_len[i] = len;
            }
            c.bytes += len;
        }
    }
    size_t body_bytes = 0;
    for (size_t i = 0; i < n_art; i++)
        body_bytes += c.body_len[i];

    /* ---- tagger build ---- */
    double t0 = cpu_now();
    struct nr_tagger *tg = nr_tagger_new(&cfg, &err);
    if (!tg) {
        fprintf(stderr, "tagger: %s\n", err.msg);
        return 1;
    }
    double t_build = cpu_now() - t0;
    struct nr_tag_scratch *ts = nr_tag_scratch_new(tg);
    printf("watchlist: %zu aliases, %zu patterns, automaton %.1f MB, build %.0f ms\n", n_alias,
           nr_tagger_patterns(tg), nr_tagger_memory(tg) / 1e6, t_build * 1e3);
    printf("corpus (%s): %zu articles, %.1f MB (bodies %.1f MB)\n", hard ? "hard" : "news", n_art,
           c.bytes / 1e6, body_bytes / 1e6);

    /* ---- AC scan over pre-normalized bodies ---- */
    struct nr_matcher *m = nr_matcher_new(NR_MATCHER_AC, NR_MATCHER_WORD_START, &err);
    struct nr_text nt;
    nr_text_init(&nt);
    char **normed = calloc(n_alias, sizeof(char *));
    for (size_t a = 0; a < n_alias; a++) {
        nr_text_normalize(&nt, alias_text[a], strlen(alias_text[a]), 0);
        normed[a] = strdup(nt.buf);
    }
    /* generated aliases may repeat: ids are dense over distinct strings */
    qsort(normed, n_alias, sizeof(char *), cmp_str);
    for (size_t a = 0, id = 0; a < n_alias; a++) {
        if (a > 0 && strcmp(normed[a], normed[a - 1]) == 0)
            continue;
        if (nr_matcher_add(m, normed[a], strlen(normed[a]), (uint32_t)id++) < 0)
            return 1;
    }
    if (nr_matcher_freeze(m, &err) < 0) {
        fprintf(stderr, "matcher: %s\n", err.msg);
        return 1;
    }
    struct nr_match_scratch *ms = nr_match_scratch_new(m);
    char **norm = calloc(n_art, sizeof(char *));
    size_t *norm_len = calloc(n_art, sizeof(size_t));
    for (size_t i = 0; i < n_art; i++) {
        nr_text_normalize(&nt, c.body[i], c.body_len[i], 0);
        norm[i] = strdup(nt.buf);
        norm_len[i] = nt.len;
    }
#ifdef NR_HAVE_HYPERSCAN
    hs_database_t *db = NULL;
    hs_scratch_t *hs = NULL;
    {
        const char **ex = calloc(n_alias, sizeof(char *));
        size_t *lens = calloc(n_alias, sizeof(size_t));
        unsigned *flags = calloc(n_alias, sizeof(unsigned));
        unsigned *ids = calloc(n_alias, sizeof(unsigned));
        for (size_t a = 0; a < n_alias; a++) {
            ex[a] = alias_text[a];
            lens[a] = strlen(alias_text[a]);
            flags[a] = HS_FLAG_CASELESS;
            ids[a] = (unsigned)a;
        }
        hs_compile_error_t *ce = NULL;
        if (hs_compile_lit_multi(ex, flags, ids, lens, (unsigned)n_alias, HS_MODE_BLOCK, NULL, &db,
                                 &ce) != HS_SUCCESS) {
            fprintf(stderr, "hyperscan: %s\n", ce->message);
            return 1;
        }
        hs_alloc_scratch(db, &hs);
        free(ex);
        free(lens);
        free(flags);
        free(ids);
    }
#endif

    /* Every round runs every phase, so that load from other processes hits
     * all of them alike; the best round of each phase is reported. Times are
     * thread CPU time. */
    double best_ac = 1e9, best_tag = 1e9, best_norm = 1e9, best_hs = 1e9, best_sim = 1e9;
    uint64_t simx = 0;
    size_t matches = 0, mentions = 0, n_topics = 0, hs_matches = 0;
    for (int r = 0; r < rounds; r++) {
        t0 = cpu_now();
        matches = 0;
        for (size_t i = 0; i < n_art; i++) {
            const struct nr_match *out;
            matches += nr_matcher_scan(m, ms, norm[i], norm_len[i], &out);
        }
        double dt = cpu_now() - t0;
        best_ac = dt < best_ac ? dt : best_ac;

        t0 = cpu_now();
        mentions = n_topics = 0;
        for (size_t i = 0; i < n_art; i++) {
            struct nr_article a;
            memset(&a, 0, sizeof(a));
            a.field[NR_FIELD_TITLE] = (struct nr_str){c.title[i], c.title_len[i]};
            a.field[NR_FIELD_BODY] = (struct nr_str){c.body[i], c.body_len[i]};
            const struct nr_tags *t = nr_tagger_tag(tg, ts, &a);
            for (size_t k = 0; k < t->n_entities; k++)
                mentions += t->entities[k].mentions;
            n_topics += t->n_topics;
        }
        dt = cpu_now() - t0;
        best_tag = dt < best_tag ? dt : best_tag;

        t0 = cpu_now();
        for (size_t i = 0; i < n_art; i++)
            nr_text_normalize(&nt, c.body[i], c.body_len[i], 0);
        dt = cpu_now() - t0;
        best_norm = dt < best_norm ? dt : best_norm;

        t0 = cpu_now();
        for (size_t i = 0; i < n_art; i++)
            simx ^= nr_text_simhash(norm[i], norm_len[i]);
        dt = cpu_now() - t0;
        best_sim = dt < best_sim ? dt : best_sim;

#ifdef NR_HAVE_HYPERSCAN
        t0 = cpu_now();
        hs_matches = 0;
        for (size_t i = 0; i < n_art; i++)
            hs_scan(db, c.body[i], (unsigned)c.body_len[i], 0, hs, on_hs_match, &hs_matches);
        dt = cpu_now() - t0;
        best_hs = dt < best_hs ? dt : best_hs;
#endif
    }
    double ac_mbs = body_bytes / best_ac / 1e6;
    double tag_mbs = c.bytes / best_tag / 1e6;
    printf("normalize:       %8.0f MB/s\n", body_bytes / best_norm / 1e6);
    printf("simhash:         %8.0f MB/s  (of normalized bodies; %016llx)\n",
           body_bytes / best_sim / 1e6, (unsigned long long)simx);
    printf("AC scan:         %8.0f MB/s  (%zu raw matches/pass)\n", ac_mbs, matches);
    printf("tagging:         %8.0f MB/s  (%.0f articles/s, %zu mentions, %zu topics/pass)\n",
           tag_mbs, n_art / best_tag, mentions, n_topics);
#ifdef NR_HAVE_HYPERSCAN
    double hs_mbs = body_bytes / best_hs / 1e6;
    printf("Hyperscan scan:  %8.0f MB/s  (baseline: case-less literals, raw text, %zu "
           "matches/pass)\n",
           hs_mbs, hs_matches);
    printf("ratio AC scan / Hyperscan: %.2f\n", ac_mbs / hs_mbs);
    printf("ratio tagging / Hyperscan: %.2f  (target >= 0.50)\n", tag_mbs / hs_mbs);
    hs_free_scratch(hs);
    hs_free_database(db);
#else
    (void)best_hs;
    (void)hs_matches;
    printf("Hyperscan scan:  not built in\n");
#endif
    nr_match_scratch_free(ms);
    nr_matcher_free(m);
    nr_text_fini(&nt);
    nr_tag_scratch_free(ts);
    nr_tagger_free(tg);
    /* the generated data, so leak checkers see a clean run */
    for (size_t i = 0; i < cfg.n_entities; i++) {
        free(cfg.entities[i].aliases);
        free(cfg.entities[i].id);
    }
    free(cfg.entities);
    for (size_t a = 0; a < n_alias; a++) {
        free(alias_text[a]);
        free(normed[a]);
    }
    free(alias_text);
    free(normed);
    for (size_t i = 0; i < vocab_n; i++)
        free(vocab[i]);
    free(vocab);
    for (size_t i = 0; i < n_art; i++) {
        free(c.title[i]);
        free(c.body[i]);
        free(norm[i]);
    }
    free(c.title);
    free(c.body);
    free(c.title_len);
    free(c.body_len);
    free(norm);
    free(norm_len);
    return 0;
}
