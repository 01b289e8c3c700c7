/*
 * stem.h - Snowball stemming (libstemmer) behind a small per-thread handle.
 *
 * A stemmer object of libstemmer keeps its result in an internal buffer, so
 * it must not be shared by threads. struct nr_stem is one thread's set of
 * stemmers, one per language, created on first use: the tagger keeps one in
 * each tag scratch (scratches are per thread already) and one while it
 * builds. Languages are named by ISO 639-1 codes ("en", "fr", "es", "de",
 * "ru", "ar", "tr", "pt", ...) or Snowball's English names ("english").
 *
 * Words are normalized text (text.h: case folded, marks stripped), UTF-8.
 */
#ifndef NEWSRADAR_STEM_H
#define NEWSRADAR_STEM_H

#include "newsradar/common.h"

#define NR_STEM_MAX_WORD 64 /* longer words are returned unstemmed */

/* Language ids are small integers: 0..nr_stem_languages()-1. */
int nr_stem_lang(const char *code); /* -1 if libstemmer has no such language */
size_t nr_stem_languages(void);
const char *nr_stem_lang_name(int lang); /* Snowball's name ("english"), NULL if out of range */

struct nr_stem;
struct nr_stem *nr_stem_new(void);
void nr_stem_free(struct nr_stem *s);

/* The stem of word[0..len) in language lang. Returns a pointer valid until
 * the next call with the same handle and sets *out_len; the word itself
 * when it cannot be stemmed (unknown language, too long, out of memory). */
const char *nr_stem_word(struct nr_stem *s, int lang, const char *word, size_t len,
                         size_t *out_len);

#endif
