/*
 * names.h - personal names in Latin-script text: words, capitalisation,
 * folding, and small word sets for the name lexicon.
 *
 * A word of the original text is a run of letters and digits (any UTF-8
 * character from U+00C0 up counts as a letter, except the punctuation,
 * symbol and space blocks), with an apostrophe or hyphen inside it
 * ("O'Brien", "al-Sudani", "Jean-Yves") or invisible characters between
 * its letters (soft hyphen, ZWSP, ZWNJ, ZWJ, WORD JOINER, BOM: "Sha\u00ADrif"
 * is one word, folded "sharif"), and a trailing period when the word
 * is a single letter or a known abbreviation ("J.", "Jr.", "Gen."). The
 * tagger reads names from the original bytes because capitalisation is
 * what marks a name, and normalization folds it away.
 *
 * Folding is how two spellings of one person compare equal: normalize
 * (case, diacritics, hyphens as spaces; text.h), drop initials ("J."),
 * generational suffixes (Jr, Sr, II, III, IV) and leading honorifics (Mr,
 * Mrs, Ms, Dr, Sir), join the rest with single spaces. So "Antony J.
 * Blinken" and "Antony Blinken" fold to "antony blinken", "Lloyd J. Austin
 * III" to "lloyd austin". Cyrillic is written in Latin letters, as the
 * English-language press spells Russian names ("Сергей Лавров" is "sergey
 * lavrov"), so a name read from Russian copy meets the same person's Latin
 * label or watchlist name where the spellings agree. The eval command
 * matches official labels with the same function.
 */
#ifndef NEWSRADAR_NAMES_H
#define NEWSRADAR_NAMES_H

#include "newsradar/common.h"

/* One word of original text: bytes [start, end), end excluding a trailing
 * period, which `dot` records. */
struct nr_word {
    uint32_t start, end;
    bool dot;   /* a period follows immediately (part of "J.", "Gen.") */
    bool upper; /* the first letter is upper case */
    bool caps;  /* every letter is upper case (and there are >= 2) */
    bool alpha; /* at least one letter */
};

/* The first word starting at or after pos; false at the end. */
bool nr_word_next(const char *s, size_t len, size_t pos, struct nr_word *w);
/* The last word ending at or before pos; false at the start. */
bool nr_word_prev(const char *s, size_t pos, struct nr_word *w);

/* Is the character at s[pos] an upper-case letter (ASCII, Latin-1,
 * Latin Extended-A, Greek, Cyrillic)? *n = its byte length. */
bool nr_name_upper_at(const char *s, size_t len, size_t pos, size_t *n);

/* Is the word an initial ("J", "J.") or a generational suffix (Jr, Sr, II,
 * III, IV)? Both are dropped by folding. */
bool nr_name_droppable(const char *s, const struct nr_word *w);

/* Fold a name (see above) into out (NUL-terminated, cut at cap - 1
 * bytes); returns the folded length (0 when nothing is left). */
size_t nr_name_fold(const char *name, size_t len, char *out, size_t cap);
/* The same without writing Cyrillic in Latin letters: the form of the
 * text's own script, to search normalized text for a surname. */
size_t nr_name_fold_script(const char *name, size_t len, char *out, size_t cap);
/* The same, malloc'ed; the caller frees. */
char *nr_name_fold_dup(const char *name);

/* A display form of a folded name: each word capitalised (ASCII letters)
 * except the usual particles ("mohammed bin salman" -> "Mohammed bin
 * Salman"); for alerts keyed by a role-derived official. */
void nr_name_display(const char *fold, size_t len, char *out, size_t cap);

/* A set of normalized words or phrases (open addressing; build once, read
 * from any thread). */
struct nr_wordset {
    char **keys;
    size_t cap, n;
};
/* Add the normalized form of s (text.h, trimmed); empty forms are ignored. */
void nr_wordset_add(struct nr_wordset *ws, const char *s);
/* Is the normalized text p[0..len) in the set? */
bool nr_wordset_has(const struct nr_wordset *ws, const char *p, size_t len);
/* Normalize the original bytes p[0..len) and look them up. */
bool nr_wordset_has_orig(const struct nr_wordset *ws, const char *p, size_t len);
void nr_wordset_fini(struct nr_wordset *ws);

#endif
