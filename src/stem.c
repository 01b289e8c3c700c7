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
 *
 * Accents. Snowball's French, Spanish, Portuguese, Turkish and Russian
 * stemmers read accented endings: "fermée" stems to "ferm" but the folded
 * "fermee" to "ferme", so folding before stemming lost the match of a rule
 * word "fermer" (stem "ferm"); Spanish "evacuaciones" is "evacu" and the
 * folded "evacuacion" stays whole; Turkish "yasağı" is "yasak"; Russian
 * "закрытый" loses its -ый only with the й. nr_stem_word_folded() stems
 * first and folds the stem afterwards, for rule words and text words alike.
 * Lower-casing one code point at a time (utf8proc_tolower) keeps the marks;
 * a decomposed word (NFD, rare in news) is composed first, since the
 * stemmers compare precomposed letters.
 */
#include "newsradar/stem.h"

#include "newsradar/text.h"

#include <libstemmer.h>
#include <pthread.h>
#include <utf8proc.h>
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
    struct nr_text fold;                  /* the normalized stem */
    char lower[4 * NR_STEM_MAX_WORD + 8]; /* the lower-cased word */
};

struct nr_stem *nr_stem_new(void)
{
    size_t n = nr_stem_languages();
    struct nr_stem *s = nr_xcalloc(1, sizeof(*s));
    s->by_lang = nr_xcalloc(n + 1, sizeof(*s->by_lang));
    s->failed = nr_xcalloc(n + 1, sizeof(bool));
    nr_text_init(&s->fold);
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
    nr_text_fini(&s->fold);
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

static int lang_english = -2, lang_arabic = -2, lang_turkish = -2;
static pthread_once_t special_once = PTHREAD_ONCE_INIT;

static void special_init(void)
{
    lang_english = nr_stem_lang("en");
    lang_arabic = nr_stem_lang("ar");
    lang_turkish = nr_stem_lang("tr");
}

bool nr_stem_reads_marks(int lang)
{
    if (lang < 0 || (size_t)lang >= nr_stem_languages())
        return false;
    pthread_once(&special_once, special_init);
    return lang != lang_english && lang != lang_arabic;
}

/* raw[0..len) lower-cased into s->lower, marks kept; its length, or -1
 * when it does not fit (or is no valid UTF-8). */
static utf8proc_ssize_t lower_word(struct nr_stem *s, bool turkish, const char *raw, size_t len)
{
    size_t o = 0;
    bool marks = false;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)raw + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0)
            return -1;
        i += (size_t)k;
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat == UTF8PROC_CATEGORY_CF)
            continue; /* soft hyphen, ZWJ: the normalizer drops them too */
        marks |= cat == UTF8PROC_CATEGORY_MN;
        if (turkish && cp == 'I')
            cp = 0x131; /* ı */
        else if (turkish && cp == 0x130)
            cp = 'i';
        else
            cp = utf8proc_tolower(cp);
        if (o + 4 >= sizeof(s->lower))
            return -1;
        o += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)s->lower + o);
    }
    if (marks) {
        utf8proc_uint8_t *c = NULL;
        utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s->lower, (utf8proc_ssize_t)o,
                                          &c, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        if (n < 0 || (size_t)n >= sizeof(s->lower)) {
            free(c);
            return -1;
        }
        memcpy(s->lower, c, (size_t)n);
        o = (size_t)n;
        free(c);
    }
    return (utf8proc_ssize_t)o;
}

const char *nr_stem_word_folded(struct nr_stem *s, int lang, const char *raw, size_t len,
                                size_t *out_len)
{
    pthread_once(&special_once, special_init);
    const char *w = raw;
    size_t n = len;
    utf8proc_ssize_t l = lower_word(s, lang >= 0 && lang == lang_turkish, raw, len);
    if (l >= 0)
        w = nr_stem_word(s, lang, s->lower, (size_t)l, &n);
    nr_text_normalize(&s->fold, w, n, 0);
    *out_len = s->fold.len;
    return s->fold.buf;
}
