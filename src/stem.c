/*
 * stem.c - Snowball stemmers per thread and language (see stem.h).
 *
 * libstemmer's stemmers are small state machines generated from the
 * Snowball scripts: a stem costs a few hundred nanoseconds for a short word
 * and no allocation once the stemmer's buffer is large enough. The handle
 * creates a stemmer the first time a language is asked for and keeps it
 * until nr_stem_free(), so a thread pays sb_stemmer_new() once per language.
 *
 * The language table is libstemmer's own list (sb_stemmer_list()), read
 * once; ISO 639-1 codes map to its names through a small table.
 */
#include "newsradar/stem.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char **langs;
static size_t n_langs;
static pthread_once_t langs_once = PTHREAD_ONCE_INIT;

static void langs_init(void)
{
    langs = sb_stemmer_list();
    while (langs && langs[n_langs])
        n_langs++;
}

size_t nr_stem_languages(void)
{
    pthread_once(&langs_once, langs_init);
    return n_langs;
}

const char *nr_stem_lang_name(int lang)
{
    if (lang < 0 || (size_t)lang >= nr_stem_languages())
        return NULL;
    return langs[lang];
}

/* ISO 639-1 codes of libstemmer's algorithms (its own list has the English
 * names only). */
static const char *const codes[][2] = {
    {"ar", "arabic"},     {"hy", "armenian"},   {"eu", "basque"},    {"ca", "catalan"},
    {"da", "danish"},     {"nl", "dutch"},      {"en", "english"},   {"fi", "finnish"},
    {"fr", "french"},     {"de", "german"},     {"el", "greek"},     {"hi", "hindi"},
    {"hu", "hungarian"},  {"id", "indonesian"}, {"ga", "irish"},     {"it", "italian"},
    {"lt", "lithuanian"}, {"ne", "nepali"},     {"no", "norwegian"}, {"nb", "norwegian"},
    {"pt", "portuguese"}, {"ro", "romanian"},   {"ru", "russian"},   {"sr", "serbian"},
    {"es", "spanish"},    {"sv", "swedish"},    {"ta", "tamil"},     {"tr", "turkish"},
    {"yi", "yiddish"},
};

int nr_stem_lang(const char *code)
{
    size_t n = nr_stem_languages();
    if (!code)
        return -1;
    const char *name = code;
    for (size_t i = 0; i < NR_ARRAY_LEN(codes); i++)
        if (strcmp(codes[i][0], code) == 0)
            name = codes[i][1];
    for (size_t i = 0; i < n; i++)
        if (strcmp(langs[i], name) == 0)
            return (int)i;
    return -1;
}

struct nr_stem {
    struct sb_stemmer **by_lang; /* n_langs entries, NULL until first use */
    bool *failed;
};

struct nr_stem *nr_stem_new(void)
{
    size_t n = nr_stem_languages();
    struct nr_stem *s = nr_xcalloc(1, sizeof(*s));
    s->by_lang = nr_xcalloc(n + 1, sizeof(*s->by_lang));
    s->failed = nr_xcalloc(n + 1, sizeof(bool));
    return s;
}

void nr_stem_free(struct nr_stem *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < n_langs; i++)
        sb_stemmer_delete(s->by_lang[i]);
    free(s->by_lang);
    free(s->failed);
    free(s);
}

const char *nr_stem_word(struct nr_stem *s, int lang, const char *word, size_t len, size_t *out_len)
{
    *out_len = len;
    if (lang < 0 || (size_t)lang >= n_langs || len == 0 || len > NR_STEM_MAX_WORD ||
        s->failed[lang])
        return word;
    struct sb_stemmer *st = s->by_lang[lang];
    if (!st) {
        st = s->by_lang[lang] = sb_stemmer_new(langs[lang], NULL);
        if (!st) {
            s->failed[lang] = true;
            return word;
        }
    }
    const sb_symbol *r = sb_stemmer_stem(st, (const sb_symbol *)word, (int)len);
    if (!r)
        return word;
    *out_len = (size_t)sb_stemmer_length(st);
    return (const char *)r;
}
