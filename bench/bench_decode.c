/*
 * bench_decode.c - article decoding: nr_article_decode (jsmn tokens + strict
 * validation + pointer lookup + unescape) against jansson (json_loadb and
 * json_object_get of the same seven fields), on generated ~4 KB articles.
 *
 * usage: bench_decode [ARTICLES]   (default 200000 decodes per contender)
 * Prints us/article and articles/s for both and their ratio, from the best of
 * ten interleaved rounds (and over all rounds). The articles are
 * synthetic but shaped like a wire feed: metadata first, an 3.5 KB body with
 * a few escapes and non-ASCII letters, authors/tags arrays, a nested object.
 */
#include "newsradar/article.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_DOCS 64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: other load does not count */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *const words[] = {
    "the",
    "border",
    "crossing",
    "was",
    "closed",
    "on",
    "Monday",
    "after",
    "officials",
    "said",
    "clashes",
    "near",
    "province",
    "ministry",
    "statement",
    "troops",
    "reported",
    "residents",
    "capital",
    "\\\"quoted\\\"",
    "caf\xc3\xa9",
    "\xd0\xbc\xd0\xb8\xd1\x80",
    "\\u00e9t\\u00e9",
    "line\\nbreak",
    "2024",
};

static char *make_article(unsigned seed, size_t body_bytes)
{
    char *s = malloc(body_bytes + 2048);
    size_t n = (size_t)sprintf(
        s,
        "{\"id\":\"wire-%08u\",\"version\":3,\"kind\":\"article\",\"authors\":[{\"name\":\"A. "
        "Writer\",\"role\":\"staff\"},{\"name\":\"B. Editor\",\"role\":\"desk\"}],"
        "\"title\":\"Border crossing closed after clashes near the capital, officials say\","
        "\"url\":\"https:\\/\\/news.example.org\\/world\\/%u\",\"source\":\"Example Wire\","
        "\"language\":\"en\",\"published_at\":\"2024-03-%02uT%02u:%02u:00Z\","
        "\"tags\":[\"world\",\"security\",\"borders\"],\"geo\":{\"lat\":33.6,\"lon\":73.1,"
        "\"precision\":\"city\"},\"body\":\"",
        seed, seed, 1 + seed % 28, seed % 24, seed % 60);
    unsigned x = seed * 2654435761u + 1;
    while (n < body_bytes) {
        x = x * 1103515245u + 12345u;
        const char *w = words[(x >> 16) % (sizeof(words) / sizeof(words[0]))];
        n += (size_t)sprintf(s + n, "%s%s", w, (x >> 8) % 9 == 0 ? ". " : " ");
    }
    n += (size_t)sprintf(s + n, "\",\"word_count\":%u,\"paywall\":false,\"extra\":null}",
                         (unsigned)(n / 6));
    return s;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    struct nr_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_article_bytes = 1 << 20;
    const char *ptrs[NR_FIELD_COUNT] = {"/id",     "/title",    "/body",        "/url",
                                        "/source", "/language", "/published_at"};
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        cfg.field_ptr[f] = (char *)ptrs[f];

    char *docs[N_DOCS];
    size_t lens[N_DOCS], total = 0;
    for (int i = 0; i < N_DOCS; i++) {
        docs[i] = make_article((unsigned)i + 1, 3600);
        lens[i] = strlen(docs[i]);
        total += lens[i];
    }
    double avg = (double)total / N_DOCS;

    /* both contenders must accept every article and see the same body */
    struct nr_decoder *d = nr_decoder_new(&cfg);
    for (int i = 0; i < N_DOCS; i++) {
        struct nr_article a;
        struct nr_error err;
        json_error_t jerr;
        json_t *j = json_loadb(docs[i], lens[i], 0, &jerr);
        if (nr_article_decode(d, docs[i], lens[i], &a, &err) != NR_REJECT_NONE || !j) {
            fprintf(stderr, "bench_decode: article %d rejected: %s / %s\n", i, err.msg, jerr.text);
            return 1;
        }
        const char *jb = json_string_value(json_object_get(j, "body"));
        if (strlen(jb) != a.field[NR_FIELD_BODY].len ||
            memcmp(jb, a.field[NR_FIELD_BODY].p, a.field[NR_FIELD_BODY].len) != 0) {
            fprintf(stderr, "bench_decode: body of article %d differs\n", i);
            return 1;
        }
        json_decref(j);
    }

    /* interleaved rounds, so load from other processes hits both alike;
     * the best round approximates an idle core */
    enum { ROUNDS = 10 };
    long block = iters / ROUNDS > 0 ? iters / ROUNDS : 1;
    double best_nr = 1e30, best_js = 1e30, sum_nr = 0, sum_js = 0;
    size_t sink = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now_s();
        for (long k = 0; k < block; k++) {
            struct nr_article a;
            struct nr_error err;
            int i = (int)(k % N_DOCS);
            if (nr_article_decode(d, docs[i], lens[i], &a, &err) == NR_REJECT_NONE)
                sink += a.field[NR_FIELD_BODY].len + (size_t)a.published_ms;
        }
        double t_nr = now_s() - t0;

        t0 = now_s();
        for (long k = 0; k < block; k++) {
            int i = (int)(k % N_DOCS);
            json_error_t jerr;
            json_t *j = json_loadb(docs[i], lens[i], 0, &jerr);
            for (int f = 0; f < NR_FIELD_COUNT; f++) {
                const char *v = json_string_value(json_object_get(j, ptrs[f] + 1));
                sink += v ? (size_t)v[0] : 0;
            }
            json_decref(j);
        }
        double t_js = now_s() - t0;
        sum_nr += t_nr;
        sum_js += t_js;
        best_nr = t_nr < best_nr ? t_nr : best_nr;
        best_js = t_js < best_js ? t_js : best_js;
    }

    double us_nr = best_nr * 1e6 / (double)block, us_js = best_js * 1e6 / (double)block;
    printf("articles: %d distinct, %.0f bytes on average, %d rounds of %ld decodes each\n", N_DOCS,
           avg, ROUNDS, block);
    printf("best round:\n");
    printf("  nr_article_decode : %7.2f us/article  %9.0f articles/s  %6.0f MB/s\n", us_nr,
           1e6 / us_nr, avg / us_nr);
    printf("  jansson + lookups : %7.2f us/article  %9.0f articles/s  %6.0f MB/s\n", us_js,
           1e6 / us_js, avg / us_js);
    printf("  ratio             : %7.1fx\n", us_js / us_nr);
    printf("all rounds: nr %.2f us, jansson %.2f us, ratio %.1fx\n",
           sum_nr * 1e6 / (double)(block * ROUNDS), sum_js * 1e6 / (double)(block * ROUNDS),
           sum_js / sum_nr);
    nr_decoder_free(d);
    for (int i = 0; i < N_DOCS; i++)
        free(docs[i]);
    return sink == 42 ? 2 : 0; /* keep the loops alive */
}
