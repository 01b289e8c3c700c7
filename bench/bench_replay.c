/*
 * bench_replay.c - the whole engine (decode, tag, count events, windows,
 * dedup, detect, alert JSON) over a generated corpus, against the cost of a
 * bare jansson json_loads of the same lines, in one run.
 *
 * Generated, deterministic (xorshift PRNG): a watchlist of 250 entities x 4
 * aliases (1,000 aliases: 100 countries, 100 groups, 50 officials), three
 * topics and four alert rules (by country, by country x group, global), and
 * N article JSON lines of ~4 KB (English-like filler, 3-8 entity mentions,
 * topic phrases in about a third), published ~2 s apart so windows roll and
 * spikes fire and resolve. The config is written to a temporary directory
 * and loaded with nr_config_load, as `newsradar replay` does.
 *
 * Prints articles/s for nr_engine_process (target >= 50,000 on one core),
 * for the same with the boilerplate model off (like-for-like with builds
 * from before the model) and for json_loads alone, CPU time of this thread. Stage 2 is also timed
 * on its own: the count events of the corpus are built once (stage 1), then fed to a fresh
 * detector, with and without encoding the alerts as JSON, so its figure does not depend on the
 * tagger or on noise in a subtraction. A mixed-language corpus of the same size (articles in fr ru
 * ar zh ur es de tr fa and en, half declaring their language and half left to detection, the topics
 * extended in each language) runs through the engine in the same rounds: its speed is printed as a
 * ratio to the English corpus (issue 8: >= 0.75). BENCH_ALL_DECLARED=1 in the environment declares
 * every mixed article's language (no detection). The repartition codec (nr_event_encode_buf /
 * nr_event_decode) is timed on those events too. Usage: bench_replay [articles] [rounds]
 */
#include "newsradar/detect.h"
#include "newsradar/engine.h"
#include "newsradar/event.h"

#include <jansson.h>
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_ENT 250

static const char *const syl[] = {"ka", "ro", "mi",  "zan", "tel", "vos",
                                  "ur", "bi", "den", "qua", "lor", "shi"};

static void ent_name(int i, char *out, size_t n)
{
    snprintf(out, n, "%c%s%s%sia", 'A' + i % 26, syl[i % 12], syl[(i / 12) % 12],
             syl[(i / 144) % 12]);
}

/* The languages of the mixed corpus: filler words, the topic words of the
 * articles and the `extend:` query of each topic. */
struct blang {
    const char *code;
    const char *words[16];
    const char *attack_word, *protest_word;
    const char *attack, *protest;
};
static const struct blang langs[] = {
    {"en", {0}, 0, 0, 0, 0}, /* the English corpus's own generator */
    {"fr",
     {"le", "de", "la", "et", "les", "des", "ministre", "a déclaré", "gouvernement", "police",
      "ville", "région", "sécurité", "forces", "semaine", "frontière"},
     "attentat",
     "manifestants",
     "attentat* OR explosion*",
     "manifestants OR manifestation*"},
    {"ru",
     {"в", "и", "на", "что", "по", "министр", "заявил", "правительство", "полиция", "город",
      "регион", "безопасности", "силы", "неделе", "границы", "переговоры"},
     "теракт",
     "протестующие",
     "теракт* OR взрыв*",
     "протестующ* OR митинг*"},
    {"ar",
     {"في", "من", "على", "إلى", "أن", "الوزير", "وقال", "الحكومة", "الشرطة", "المدينة", "المنطقة",
      "الأمن", "قوات", "الأسبوع", "الحدود", "محادثات"},
     "تفجير",
     "المتظاهرين",
     "تفجير* OR هجوم",
     "متظاهرين OR احتجاج*"},
    {"zh",
     {"的", "在", "和", "了", "部长", "表示", "政府", "警方", "城市", "地区", "安全", "部队",
      "本周", "边境", "会谈", "当局"},
     "自杀式袭击",
     "抗议者",
     "自杀式袭击 OR 恐怖袭击",
     "抗议者 OR 示威"},
    {"ur",
     {"کے", "میں", "کی", "اور", "نے", "وزیر", "کہا", "حکومت", "پولیس", "شہر", "علاقے", "سیکیورٹی",
      "فورسز", "ہفتے", "سرحد", "مذاکرات"},
     "دھماکہ",
     "مظاہرین",
     "دھماکہ OR \"خودکش حملہ\"",
     "مظاہرین OR احتجاج"},
    {"es",
     {"el", "de", "la", "y", "los", "en", "ministro", "dijo", "gobierno", "policía", "ciudad",
      "región", "seguridad", "fuerzas", "semana", "frontera"},
     "atentado",
     "manifestantes",
     "atentado* OR explosión",
     "manifestantes OR protesta*"},
    {"de",
     {"der", "die", "und", "in", "den", "von", "Minister", "sagte", "Regierung", "Polizei", "Stadt",
      "Region", "Sicherheit", "Kräfte", "Woche", "Grenze"},
     "Anschlag",
     "Demonstranten",
     "anschlag* OR explosion*",
     "demonstranten OR protest*"},
    {"tr",
     {"ve", "bir", "bu", "ile", "için", "bakan", "açıkladı", "hükümet", "polis", "şehir", "bölge",
      "güvenlik", "güçleri", "hafta", "sınır", "görüşme"},
     "saldırı",
     "protestocular",
     "saldırı* OR patlama*",
     "protestocu* OR gösteri*"},
    {"fa",
     {"در", "از", "به", "و", "که", "وزیر", "گفت", "دولت", "پلیس", "شهر", "منطقه", "امنیت",
      "نیروهای", "هفته", "مرز", "مذاکرات"},
     "انفجار",
     "معترضان",
     "انفجار OR \"حمله انتحاری\"",
     "معترضان OR اعتراض"},
};
#define N_LANG (sizeof(langs) / sizeof(langs[0]))

static int write_config(const char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/newsradar.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "watchlists: [watchlist.yaml]\nrules: [rules.yaml]\n");
    fclose(f);
    snprintf(path, sizeof(path), "%s/watchlist.yaml", dir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "entities:\n");
    for (int i = 0; i < N_ENT; i++) {
        char name[64];
        ent_name(i, name, sizeof(name));
        const char *kind = i < 100 ? "country" : i < 200 ? "group" : "official";
        fprintf(f,
                "  - id: E%d\n    kind: %s\n    name: %s\n    aliases: [\"Greater %s\", "
                "\"%sland\"]\n    demonyms: [\"%sese\"]\n",
                i, kind, name, name, name, name);
    }
    fclose(f);
    snprintf(path, sizeof(path), "%s/rules.yaml", dir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("topics:\n"
          "  - id: attack\n    any: [attack, bombing, explosion]\n"
          "  - id: border_closure\n    any: [closed the border, border closure]\n"
          "  - id: protest\n    any: [protest, demonstrators]\n"
          "alerts:\n"
          "  - id: attack_by_country\n    topic: attack\n    by: [country]\n"
          "  - id: border_by_country\n    topic: border_closure\n    by: [country]\n"
          "  - id: attack_country_group\n    topic: attack\n    by: [country, group]\n"
          "    max_p: 0.01\n"
          "  - id: protest_global\n    topic: protest\n    by: []\n",
          f);
    /* the topics in the languages of the mixed corpus (query form, stemmed) */
    fputs("extend:\n", f);
    for (size_t l = 1; l < N_LANG; l++)
        fprintf(f,
                "  - {topic: attack, language: %s, query: '%s'}\n"
                "  - {topic: protest, language: %s, query: '%s'}\n",
                langs[l].code, langs[l].attack, langs[l].code, langs[l].protest);
    fclose(f);
    return 0;
}

static const char *const filler[] = {
    "the",    "of",       "and",    "to",        "in",         "a",         "is",      "that",
    "for",    "it",       "as",     "was",       "with",       "be",        "by",      "on",
    "not",    "he",       "this",   "are",       "or",         "his",       "from",    "at",
    "which",  "but",      "have",   "an",        "had",        "they",      "you",     "were",
    "their",  "one",      "all",    "we",        "can",        "her",       "has",     "there",
    "been",   "if",       "more",   "when",      "will",       "would",     "who",     "so",
    "no",     "minister", "said",   "officials", "government", "police",    "city",    "region",
    "report", "security", "forces", "people",    "week",       "statement", "local",   "capital",
    "market", "talks",    "trade",  "meeting",   "province",   "district",  "council", "army"};

/* One article JSON line into buf; returns its length. */
static size_t gen_article(char *buf, size_t cap, int idx, int64_t t_ms)
{
    char ts[40];
    nr_time_format_rfc3339(t_ms, ts, sizeof(ts));
    size_t n = (size_t)snprintf(buf, cap,
                                "{\"id\":\"art-%d\",\"title\":\"Report %d from the region\","
                                "\"url\":\"https://news.example.org/%d\",\"source\":\"wire-%d\","
                                "\"published_at\":\"%s\",\"language\":\"en\",\"body\":\"",
                                idx, idx, idx, idx % 17, ts);
    int mentions = 3 + (int)(next() % 6);
    /* hot entities so that some keys spike */
    int hot = (idx / 500) % 20;
    while (n < 4000) {
        uint64_t r = next() % 1000;
        char w[80];
        if (r < 12 && mentions > 0) {
            int e = next() % 3 == 0 ? hot : (int)(next() % N_ENT);
            if (e >= 100 && next() % 2)
                e = hot; /* keep countries frequent */
            ent_name(e, w, sizeof(w));
            mentions--;
        } else if (r < 14) {
            snprintf(w, sizeof(w), "%s", (idx % 3 == 0) ? "attack" : "protest");
        } else if (r < 15 && idx % 7 == 0) {
            snprintf(w, sizeof(w), "closed the border");
        } else {
            snprintf(w, sizeof(w), "%s", filler[next() % (sizeof(filler) / sizeof(*filler))]);
        }
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", w, next() % 12 == 0 ? ". " : " ");
    }
    n += (size_t)snprintf(buf + n, cap - n, "\"}");
    return n;
}

/* One article of the mixed corpus: language idx % N_LANG (English from
 * gen_article), declared on odd articles and detected on even ones; the
 * same entity names (Latin) and topic density as the English corpus. */
static size_t gen_mixed(char *buf, size_t cap, int idx, int64_t t_ms)
{
    const struct blang *L = &langs[(size_t)idx % N_LANG];
    if (!L->words[0])
        return gen_article(buf, cap, idx, t_ms);
    char ts[40];
    nr_time_format_rfc3339(t_ms, ts, sizeof(ts));
    char decl[32] = "";
    if (idx % 2 || getenv("BENCH_ALL_DECLARED"))
        snprintf(decl, sizeof(decl), "\"language\":\"%s\",", L->code);
    size_t n = (size_t)snprintf(buf, cap,
                                "{\"id\":\"mix-%d\",\"title\":\"%s %s %d\","
                                "\"url\":\"https://news.example.org/m%d\",\"source\":\"wire-%d\","
                                "\"published_at\":\"%s\",%s\"body\":\"",
                                idx, L->words[6], L->words[10], idx, idx, idx % 17, ts, decl);
    int mentions = 3 + (int)(next() % 6);
    int hot = (idx / 500) % 20;
    while (n < 4000) {
        uint64_t r = next() % 1000;
        char w[80];
        if (r < 12 && mentions > 0) {
            int e = next() % 3 == 0 ? hot : (int)(next() % N_ENT);
            ent_name(e, w, sizeof(w));
            mentions--;
        } else if (r < 14) {
            snprintf(w, sizeof(w), "%s", (idx % 3 == 0) ? L->attack_word : L->protest_word);
        } else {
            snprintf(w, sizeof(w), "%s", L->words[next() % 16]);
        }
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", w, next() % 12 == 0 ? ". " : " ");
    }
    n += (size_t)snprintf(buf + n, cap - n, "\"}");
    return n;
}

/* Stage 1's events, deep-copied (their strings point into the decoder). */
struct evlist {
    struct nr_count_event *v;
    char **mem;
    size_t n, cap;
};

static struct nr_str dup_str(struct nr_str s, char **p)
{
    if (!s.p)
        return s;
    memcpy(*p, s.p, s.len);
    struct nr_str d = {*p, s.len};
    *p += s.len;
    return d;
}

static void keep_event(void *ud, const struct nr_count_event *ev)
{
    struct evlist *l = ud;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        l->mem = realloc(l->mem, l->cap * sizeof(*l->mem));
        if (!l->v || !l->mem)
            abort();
    }
    struct nr_count_event *c = &l->v[l->n];
    *c = *ev;
    char *m = malloc(ev->article.id.len + ev->article.title.len + ev->article.url.len +
                     ev->article.source.len + 1);
    if (!m)
        abort();
    l->mem[l->n++] = m;
    c->article.id = dup_str(ev->article.id, &m);
    c->article.title = dup_str(ev->article.title, &m);
    c->article.url = dup_str(ev->article.url, &m);
    c->article.source = dup_str(ev->article.source, &m);
}

static uint64_t n_alerts;
static void on_alert(void *ud, const struct nr_alert *a)
{
    (void)ud;
    char *s = nr_alert_to_json(a); /* part of the cost, as in replay */
    n_alerts += s != NULL;
    free(s);
}

/* Feeds lines[0..n) to e; the thread CPU seconds it took, or -1 (told on
 * stderr) when e is NULL or an article is rejected. */
static double feed_engine(struct nr_engine *e, const struct nr_error *made, char **lines,
                          const size_t *lens, int n, const char *what)
{
    struct nr_error err;
    if (!e) {
        fprintf(stderr, "bench_replay: %s\n", made->msg);
        return -1;
    }
    double t0 = cpu_now();
    for (int i = 0; i < n; i++)
        if (nr_engine_process(e, lines[i], lens[i], NR_TIME_NONE, on_alert, NULL, &err) !=
            NR_REJECT_NONE) {
            fprintf(stderr, "bench_replay: %s %d rejected: %s\n", what, i, err.msg);
            return -1;
        }
    return cpu_now() - t0;
}

/* The repartition codec alone on stage 1's events: encode all (into one
 * reused buffer per event slot, as a producer would), then decode all, best
 * of `rounds`, per event. */
struct codec_res {
    double enc, dec, bytes;
};

static void bench_codec(const struct nr_config *cfg, const struct evlist *evs, int rounds,
                        struct codec_res *res)
{
    struct nr_event_buf b = {0};
    struct nr_error err;
    if (evs->n == 0)
        return;
    uint8_t **wire = calloc(evs->n, sizeof(*wire));
    size_t *lens = calloc(evs->n, sizeof(*lens)), *caps = calloc(evs->n, sizeof(*caps));
    res->enc = res->dec = 1e30;
    for (int r = 0; r < rounds; r++) {
        size_t bytes = 0;
        double t0 = cpu_now();
        for (size_t i = 0; i < evs->n; i++)
            if (nr_event_encode_buf(cfg, &evs->v[i], &wire[i], &caps[i], &lens[i]) != 0)
                exit(1);
        double dt = cpu_now() - t0;
        res->enc = dt < res->enc ? dt : res->enc;
        t0 = cpu_now();
        for (size_t i = 0; i < evs->n; i++) {
            bytes += lens[i];
            if (nr_event_decode(cfg, (const char *)wire[i], lens[i], &b, &err) != 0) {
                fprintf(stderr, "bench_replay: event decode: %s\n", err.msg);
                exit(1);
            }
        }
        dt = cpu_now() - t0;
        res->dec = dt < res->dec ? dt : res->dec;
        res->bytes = (double)bytes / (double)evs->n;
    }
    res->enc /= (double)evs->n;
    res->dec /= (double)evs->n;
    for (size_t i = 0; i < evs->n; i++)
        free(wire[i]);
    free(wire);
    free(lens);
    free(caps);
    nr_event_buf_free(&b);
}

/* Every rule's seasonality (the A/B of seasonal baselines). */
static void set_season(struct nr_config *cfg, int season)
{
    for (size_t i = 0; i < cfg->n_rules; i++)
        cfg->rules[i].season = season;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (n <= 0 || rounds <= 0)
        return 2;
    char dir[] = "/tmp/nr-bench-replay-XXXXXX";
    if (!mkdtemp(dir) || write_config(dir) != 0) {
        perror("bench_replay: temp config");
        return 1;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/newsradar.yaml", dir);
    struct nr_diags diags = {0};
    struct nr_config *cfg = nr_config_load(path, &diags);
    const char *files[] = {"newsradar.yaml", "watchlist.yaml", "rules.yaml"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    if (!cfg) {
        nr_diags_print(&diags, stderr);
        nr_diags_free(&diags);
        return 1;
    }
    nr_diags_free(&diags);

    char **lines = malloc((size_t)n * sizeof(char *));
    size_t *lens = malloc((size_t)n * sizeof(size_t));
    size_t bytes = 0;
    int64_t t = 1709287200000LL; /* 2024-03-01T10:00:00Z */
    for (int i = 0; i < n; i++) {
        lines[i] = malloc(4400);
        t += 1000 + (int64_t)(next() % 2000);
        lens[i] = gen_article(lines[i], 4400, i, t);
        bytes += lens[i];
    }
    char **mixed = malloc((size_t)n * sizeof(char *));
    size_t *mlens = malloc((size_t)n * sizeof(size_t));
    size_t mbytes = 0;
    t = 1709287200000LL;
    for (int i = 0; i < n; i++) {
        mixed[i] = malloc(4400);
        t += 1000 + (int64_t)(next() % 2000);
        mlens[i] = gen_mixed(mixed[i], 4400, i, t);
        mbytes += mlens[i];
    }
    double best_mixed = 1e30;
    uint64_t mixed_tagged = 0;

    struct codec_res codec = {0, 0, 0};
    double best_engine = 1e30, best_json = 1e30, best_tag = 1e30, best_tag_off = 1e30,
           best_s2[2] = {1e30, 1e30};
    struct evlist evs = {0};
    size_t tag_sink = 0;
    struct nr_engine_stats st = {0};
    double best_season = 1e30, best_s2_season = 1e30, best_engine_off = 1e30;
    uint64_t alerts_ab[2] = {0, 0};
    for (int r = 0; r < rounds; r++) {
        struct nr_error err;
        struct nr_engine *e;
        double t0, dt;
        /* interleaved A/B: the rules as written (flat), then every rule
         * with `seasonality: daily` */
        for (int season = 0; season < 2; season++) {
            set_season(cfg, season ? NR_SEASON_DAILY : NR_SEASON_NONE);
            e = nr_engine_new(cfg, &err);
            n_alerts = 0;
            if ((dt = feed_engine(e, &err, lines, lens, n, "article")) < 0)
                return 1;
            double *best = season ? &best_season : &best_engine;
            if (dt < *best)
                *best = dt;
            alerts_ab[season] = n_alerts;
            if (!season)
                nr_engine_stats_get(e, &st);
            nr_engine_free(e);
        }
        set_season(cfg, NR_SEASON_NONE);

        /* the whole engine with the boilerplate model off: what a build
         * without the model (issue 9) does, so that the tagger's own cost
         * can be compared with binaries from before the model */
        {
            uint32_t keep = cfg->boilerplate_min_articles;
            cfg->boilerplate_min_articles = 0;
            e = nr_engine_new(cfg, &err);
            cfg->boilerplate_min_articles = keep;
            if ((dt = feed_engine(e, &err, lines, lens, n, "article")) < 0)
                return 1;
            if (dt < best_engine_off)
                best_engine_off = dt;
            nr_engine_free(e);
        }

        /* the mixed-language corpus through the same engine, same round */
        e = nr_engine_new(cfg, &err);
        if ((dt = feed_engine(e, &err, mixed, mlens, n, "mixed article")) < 0)
            return 1;
        if (dt < best_mixed)
            best_mixed = dt;
        {
            struct nr_engine_stats ms;
            nr_engine_stats_get(e, &ms);
            mixed_tagged = ms.tagged;
        }
        nr_engine_free(e);

        /* the same decode + tag without counting: what stage 2 adds; and
         * interleaved with it (order alternating by round) the same with
         * the boilerplate model off, to show what the model costs */
        uint32_t boiler_min = cfg->boilerplate_min_articles;
        for (int pass = 0; pass < 2; pass++) {
            bool off = (pass ^ (r & 1)) != 0;
            cfg->boilerplate_min_articles = off ? 0 : boiler_min;
            struct nr_stage1_shared *shp = nr_stage1_shared_new(cfg, &err);
            struct nr_decoder *dec = nr_decoder_new(cfg);
            struct nr_tag_scratch *sc = nr_tag_scratch_new(nr_stage1_shared_tagger(shp));
            t0 = cpu_now();
            for (int i = 0; i < n; i++) {
                struct nr_article a;
                if (nr_article_decode(dec, lines[i], lens[i], &a, &err) == NR_REJECT_NONE)
                    tag_sink += nr_tagger_tag(nr_stage1_shared_tagger(shp), sc, &a)->n_entities;
            }
            dt = cpu_now() - t0;
            double *best = off ? &best_tag_off : &best_tag;
            if (dt < *best)
                *best = dt;
            nr_tag_scratch_free(sc);
            nr_decoder_free(dec);
            nr_stage1_shared_free(shp);
        }
        cfg->boilerplate_min_articles = boiler_min;
        struct nr_stage1_shared *sh = nr_stage1_shared_new(cfg, &err);

        /* stage 2 alone, on the events stage 1 made (built in round 0) */
        if (r == 0) {
            struct nr_stage1 *s1 = nr_stage1_new(sh, &err);
            const struct nr_stage1_out out = {.ud = &evs, .event = keep_event};
            for (int i = 0; i < n; i++)
                nr_stage1_feed(s1, lines[i], lens[i], NR_TIME_NONE, NR_TIME_NONE, &out);
            nr_stage1_free(s1);
        }
        nr_stage1_shared_free(sh);
        for (int json = 0; json < 2; json++) {
            struct nr_detector *d = nr_detector_new(cfg, &err);
            n_alerts = 0;
            t0 = cpu_now();
            for (size_t i = 0; i < evs.n; i++)
                nr_detector_count(d, &evs.v[i], json ? on_alert : NULL, NULL);
            dt = cpu_now() - t0;
            if (dt < best_s2[json])
                best_s2[json] = dt;
            nr_detector_free(d);
        }
        set_season(cfg, NR_SEASON_DAILY);
        {
            struct nr_detector *d = nr_detector_new(cfg, &err);
            t0 = cpu_now();
            for (size_t i = 0; i < evs.n; i++)
                nr_detector_count(d, &evs.v[i], NULL, NULL);
            dt = cpu_now() - t0;
            if (dt < best_s2_season)
                best_s2_season = dt;
            nr_detector_free(d);
        }
        set_season(cfg, NR_SEASON_NONE);

        if (r == 0)
            bench_codec(cfg, &evs, rounds, &codec);

        t0 = cpu_now();
        size_t ok = 0;
        for (int i = 0; i < n; i++) {
            json_t *j = json_loadb(lines[i], lens[i], 0, NULL);
            ok += j != NULL;
            json_decref(j);
        }
        dt = cpu_now() - t0;
        if (ok != (size_t)n)
            return 1;
        if (dt < best_json)
            best_json = dt;
    }
    printf("bench_replay: %d articles, %.1f KB average, best of %d rounds (thread CPU time)\n", n,
           (double)bytes / n / 1024.0, rounds);
    printf("  engine (nr_engine_process): %10.0f articles/s  %7.1f MB/s  %6.2f us/article\n",
           n / best_engine, bytes / best_engine / 1e6, best_engine / n * 1e6);
    printf("  engine, boilerplate off:    %10.0f articles/s  %7.1f MB/s  %6.2f us/article\n",
           n / best_engine_off, bytes / best_engine_off / 1e6, best_engine_off / n * 1e6);
    printf("  decode + tag only:          %10.0f articles/s  %7.1f MB/s  %6.2f us/article\n",
           n / best_tag, bytes / best_tag / 1e6, best_tag / n * 1e6);
    printf("  decode + tag, boilerplate off: %7.0f articles/s  %7.1f MB/s  %6.2f us/article"
           "  (model on / off: %.2fx time)\n",
           n / best_tag_off, bytes / best_tag_off / 1e6, best_tag_off / n * 1e6,
           best_tag / best_tag_off);
    printf("  jansson json_loads only:    %10.0f articles/s  %7.1f MB/s  %6.2f us/article\n",
           n / best_json, bytes / best_json / 1e6, best_json / n * 1e6);
    printf("  engine - (decode + tag):    %.2f us/article (%zu entity tags)\n",
           (best_engine - best_tag) / n * 1e6, tag_sink);
    printf("  stage 2 alone, %zu events:  %.3f us/event, %.2f us/article with alert JSON; "
           "%.3f us/event without\n",
           evs.n, best_s2[1] / (double)evs.n * 1e6, best_s2[1] / n * 1e6,
           best_s2[0] / (double)evs.n * 1e6);
    printf("  seasonality daily on every rule (interleaved A/B): engine %.0f articles/s = "
           "%.3fx flat; stage 2 alone %.3f us/event = %.3fx flat; alerts %llu vs %llu flat\n",
           n / best_season, best_engine / best_season, best_s2_season / (double)evs.n * 1e6,
           best_s2[0] / best_s2_season, (unsigned long long)alerts_ab[1],
           (unsigned long long)alerts_ab[0]);
    printf("  event codec (binary): encode %.3f us/event, decode %.3f us/event, %.0f "
           "B/event\n",
           codec.enc * 1e6, codec.dec * 1e6, codec.bytes);
    printf("  mixed-language corpus (%zu languages, half detected): %10.0f articles/s  %7.1f "
           "MB/s = %.3fx the English corpus's articles/s (target >= 0.75); %llu tagged\n",
           (size_t)N_LANG, n / best_mixed, mbytes / best_mixed / 1e6, best_engine / best_mixed,
           (unsigned long long)mixed_tagged);
    printf("  engine / json_loads speed:  %.2fx   target: engine >= 50000 articles/s\n",
           best_json / best_engine);
    printf("  last round: %llu tagged, %llu events, %llu keys, %llu alerts (%llu firing, %llu "
           "escalated, %llu resolved)\n",
           (unsigned long long)st.tagged, (unsigned long long)st.events,
           (unsigned long long)st.keys, (unsigned long long)n_alerts,
           (unsigned long long)st.alerts[0], (unsigned long long)st.alerts[1],
           (unsigned long long)st.alerts[2]);
    for (size_t i = 0; i < evs.n; i++)
        free(evs.mem[i]);
    free(evs.mem);
    free(evs.v);
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    for (int i = 0; i < n; i++)
        free(mixed[i]);
    free(mixed);
    free(mlens);
    free(lens);
    nr_config_free(cfg);
    return 0;
}
