/*
 * lang.h - the language of an article: its declared `language` field
 * normalized to a BCP 47 primary language subtag, or else detected from the
 * text (CLD2, see lang.c for the choice).
 *
 * A tag is the ISO 639-1 code in lower case ("en", "ur", "zh"), or the
 * ISO 639-3 code for a language without one; the region, script and
 * variant subtags are dropped ("en-US", "zh-Hant-TW" -> "en", "zh"): rules
 * and stemmers are per language, not per region. Individual languages of
 * a macrolanguage map to it (Dari "prs" -> "fa", Northern Pashto "pbu" ->
 * "ps", Mandarin "cmn" -> "zh"). Unknown or empty -> "" (and "und", "mul",
 * "zxx" are unknown).
 *
 * Thread-safe; no allocation after the first call.
 */
#ifndef NEWSRADAR_LANG_H
#define NEWSRADAR_LANG_H

#include "newsradar/article.h"
#include "newsradar/common.h"

#define NR_LANG_TAG_MAX 4 /* "en" / "fil" + NUL */

enum nr_lang_source {
    NR_LANG_UNKNOWN = 0,  /* neither declared nor detectable */
    NR_LANG_DECLARED = 1, /* the article's language field */
    NR_LANG_DETECTED = 2, /* detected from title and body */
    NR_LANG_SCRIPT = 3,   /* detection unsure: the language the script stands for */
};
/* "unknown", "declared", "detected", "script" */
const char *nr_lang_source_name(enum nr_lang_source s);

/* Normalize a declared language value to a tag: a code ("en", "en-US",
 * "en_us", "eng", "fre"), a name in English or the language's own ("English",
 * "français", "русский", "اردو"), a name with a qualifier ("Brazilian
 * Portuguese", "English (UK)"), or a list ("en, fr", "[\"ur\",\"en\"]": the
 * first known one). Returns 0 and writes tag, or -1 (tag = ""). */
int nr_lang_normalize(const char *s, size_t len, char tag[NR_LANG_TAG_MAX]);

/* Bytes of the body read by detection (after the title): detection cost is
 * linear in its input and a lead this long is already conclusive (768 ->
 * 384: the same language on every own item, 118 of 179 longer than 256
 * bytes; docs/performance.md). */
#define NR_LANG_DETECT_BODY 384

/* Bytes of the body read by detection's first pass: CLD2 reads the title
 * and this much of the body first, and the whole lead (NR_LANG_DETECT_BODY)
 * only when it is not sure of that (docs/performance.md). */
#define NR_LANG_DETECT_FIRST 64

/* Detect the language of UTF-8 text (invalid UTF-8 -> -1). Returns 0 and
 * writes tag, or -1 when the text is too short or mixed to tell (tag = "").
 * *reliable (may be NULL) is CLD2's own verdict. */
int nr_lang_detect(const char *text, size_t len, char tag[NR_LANG_TAG_MAX], bool *reliable);

/* The language a text's script stands for, for a text CLD2 cannot tell
 * (lang.c: Cyrillic ru, Han zh, Arabic script ps/ur/fa/ar by their own
 * letters, ...): 0 and tag, or -1 (tag "") for Latin script or no script
 * holding most letters. */
int nr_lang_script_guess(const char *s, size_t n, char tag[NR_LANG_TAG_MAX]);

/* The language of a decoded article: the declared field if it normalizes,
 * else detected from the title and the first NR_LANG_DETECT_BODY bytes of
 * the body (Russian or Chinese by their script alone when it holds the
 * lead; CLD2 on the first NR_LANG_DETECT_FIRST bytes when it is sure of
 * them); when detection is unsure (or says English of a text not in Latin
 * script), the script's language (NR_LANG_SCRIPT). */
enum nr_lang_source nr_lang_of_article(const struct nr_article *a, char tag[NR_LANG_TAG_MAX]);

#endif
