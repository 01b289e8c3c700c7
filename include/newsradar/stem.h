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
 * nr_stem_word() takes a word as it is given (UTF-8). The tagger's words are
 * normalized text (text.h: case folded, marks stripped), which is what the
 * English stemmer reads; the stemmers of the other languages read endings
 * with accents (French -ée, Spanish -ó, Turkish -ı), so for them the tagger
 * stems the word as written with nr_stem_word_folded(): lower case with its
 * accents, stemmed, then normalized like the text it is compared with.
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

/* Does lang stem the accented word (nr_stem_word_folded)? Every Snowball
 * language but English (its stems of normalized words stay as they were)
 * and Arabic: the normalizer's Arabic folds (hamza seats, yeh, kaf) are
 * spellings joined across Arabic, Persian and Urdu on purpose, and the
 * Arabic stemmer rewrites a seated hamza to a bare ء the normalizer keeps
 * apart, so stemming the written form would split what folding joins. */
bool nr_stem_reads_marks(int lang);

/* The normalized (text.h) stem of raw[0..len), a word as written (any case,
 * accents, NFC or NFD): lower-cased with its marks kept (Turkish I is ı,
 * İ is i), invisible format characters dropped, stemmed in lang, and the
 * stem normalized. A word of lang stems to the same string whether it
 * comes from a rule or an article. Valid until the next call with the same
 * handle; a word that cannot be stemmed is returned normalized. */
const char *nr_stem_word_folded(struct nr_stem *s, int lang, const char *raw, size_t len,
                                size_t *out_len);

#endif
