/*
 * bench_lang.c - language detection: CLD2 (the engine's choice, lang.h)
 * against libexttextcat, on the same labelled items, in one run.
 *
 * Reads JSONL files named lang_<tag>.jsonl (tests/data/eval/): the file name
 * is the truth, the text is title + "\n" + body (the `language` field is
 * ignored). Prints per language and overall: accuracy on all items and on
 * items of >= 200 characters (the measure), and the CPU time per
 * item (best of `rounds`), for CLD2 on the lead the engine reads (title +
 * NR_LANG_DETECT_BODY bytes) and on the whole text, and for textcat on the
 * whole text.
 * Usage: bench_lang [--textcat-conf FILE] [--rounds N] FILE...
 */
#include "newsradar/lang.h"

#include "bench_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef NR_HAVE_TEXTCAT
#include <libexttextcat/textcat.h>
#endif

struct item {
    char truth[8];
    char *text;
    size_t len, title_len, chars;
};

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static int load(const char *path, struct item **v, size_t *n, size_t *cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char truth[8] = "";
    if (sscanf(base, "lang_%7[a-z].jsonl", truth) != 1) {
        fprintf(stderr, "bench_lang: %s: expected a file named lang_<tag>.jsonl\n", path);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) > 0) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        if (!o)
            continue;
        const char *t = json_string_value(json_object_get(o, "title"));
        const char *b = json_string_value(json_object_get(o, "body"));
        t = t ? t : "";
        b = b ? b : "";
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *v = realloc(*v, *cap * sizeof(**v));
        }
        struct item *it = &(*v)[(*n)++];
        snprintf(it->truth, sizeof(it->truth), "%s", truth);
        it->title_len = strlen(t);
        it->len = it->title_len + 1 + strlen(b);
        it->text = malloc(it->len + 1);
        snprintf(it->text, it->len + 1, "%s\n%s", t, b);
        it->chars = utf8_chars(it->text, it->len);
        json_decref(o);
    }
    free(line);
    fclose(f);
    return 0;
}

/* "en--utf8", "zh-Hans", "fa--utf8" -> "en", "zh", "fa" */
static void textcat_tag(const char *name, char *tag)
{
    size_t k = 0;
    while (name[k] && name[k] != '-' && k < 3) {
        tag[k] = name[k];
        k++;
    }
    tag[k] = '\0';
}

enum { ENG_CLD2_LEAD, ENG_CLD2_FULL, ENG_TEXTCAT, N_ENG };
/* ENG_CLD2_LEAD is the engine: nr_lang_of_article (English fast path, then CLD2 on the lead) */
static const char *eng_name[N_ENG] = {"engine", "cld2 (whole)", "exttextcat"};

static void detect(int eng, void *tc, const struct item *it, char *tag)
{
    tag[0] = '\0';
    if (eng == ENG_CLD2_LEAD) {
        struct nr_article a;
        memset(&a, 0, sizeof(a));
        a.field[NR_FIELD_TITLE] = (struct nr_str){it->text, it->title_len};
        a.field[NR_FIELD_BODY] =
            (struct nr_str){it->text + it->title_len + 1, it->len - it->title_len - 1};
        nr_lang_of_article(&a, tag);
    } else if (eng == ENG_CLD2_FULL) {
        nr_lang_detect(it->text, it->len, tag, NULL);
    } else {
#ifdef NR_HAVE_TEXTCAT
        const char *r = textcat_Classify(tc, it->text, it->len);
        /* "[en--utf8][de--utf8]" or "UNKNOWN"/"SHORT" */
        if (r && r[0] == '[')
            textcat_tag(r + 1, tag);
#else
        (void)tc;
        (void)textcat_tag;
#endif
    }
}

int main(int argc, char **argv)
{
    const char *conf = "/usr/share/libexttextcat/fpdb.conf";
    int rounds = 5, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--textcat-conf") == 0 && i + 1 < argc)
            conf = argv[++i];
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_lang [--textcat-conf FILE] [--rounds N] FILE...\n");
            return 2;
        }
    }
    struct item *v = NULL;
    size_t n = 0, cap = 0;
    for (; i < argc; i++)
        if (load(argv[i], &v, &n, &cap) < 0)
            return 1;
    if (n == 0) {
        fprintf(stderr, "bench_lang: no items\n");
        return 2;
    }
    void *tc = NULL;
#ifdef NR_HAVE_TEXTCAT
    /* textcat reads the fingerprint files relative to the conf's folder */
    char prefix[1024];
    snprintf(prefix, sizeof(prefix), "%s", conf);
    char *slash = strrchr(prefix, '/');
    if (slash)
        slash[1] = '\0';
    tc = special_textcat_Init(conf, slash ? prefix : "");
    if (!tc)
        fprintf(stderr, "bench_lang: textcat: cannot read %s\n", conf);
#endif
    printf("%zu items\n", n);
    for (int e = 0; e < N_ENG; e++) {
        if (e == ENG_TEXTCAT && !tc) {
            printf("%-13s not built or no data\n", eng_name[e]);
            continue;
        }
        size_t ok = 0, ok200 = 0, n200 = 0, bytes = 0;
        char wrong[4096] = "";
        double best = 1e30;
        for (int r = 0; r < rounds; r++) {
            double t0 = cpu_now();
            for (size_t k = 0; k < n; k++) {
                char tag[8];
                detect(e, tc, &v[k], tag);
                if (r > 0)
                    continue;
                bool hit = strcmp(tag, v[k].truth) == 0;
                ok += hit;
                bytes += v[k].len;
                if (v[k].chars >= 200) {
                    n200++;
                    ok200 += hit;
                }
                if (!hit && strlen(wrong) + 16 < sizeof(wrong))
                    snprintf(wrong + strlen(wrong), sizeof(wrong) - strlen(wrong), " %s->%s",
                             v[k].truth, tag[0] ? tag : "?");
            }
            double dt = cpu_now() - t0;
            if (dt < best)
                best = dt;
        }
        printf("%-13s accuracy %zu/%zu = %.3f, on >= 200 chars %zu/%zu = %.3f; %.2f us/item "
               "(%.0f MB/s of whole text)%s%s\n",
               eng_name[e], ok, n, (double)ok / n, ok200, n200, n200 ? (double)ok200 / n200 : 0,
               best * 1e6 / n, (double)bytes / best / 1e6, wrong[0] ? "; wrong:" : "", wrong);
    }
#ifdef NR_HAVE_TEXTCAT
    if (tc)
        textcat_Done(tc);
#endif
    for (size_t k = 0; k < n; k++)
        free(v[k].text);
    free(v);
    return 0;
}
