/*
 * text.h - UTF-8 normalization for matching, with an offset map back to the
 * original, word-boundary tests and a simhash for near-duplicate detection.
 *
 * Normalized form (the same function normalizes patterns and articles, so
 * both sides always agree):
 *   - case folded (Unicode full case folding; ASCII by table);
 *   - compatibility forms decomposed (NFKD: ligatures, full-width, ...);
 *   - diacritics stripped (combining marks of the generic diacritics blocks
 *     and Arabic harakat; marks that carry letters, e.g. Devanagari vowel
 *     signs, are kept), so "Peshāwar" == "Peshawar";
 *   - apostrophes (’ ‘ ʼ ` ´ ′) -> ', double quotes (“ ” „ « ») -> ";
 *   - hyphens and dashes (- ‐ ‑ ‒ – — ― −) -> space, so "al-Qaida",
 *     "al Qaida" and "al–Qaida" are the same string;
 *   - every whitespace run (incl. NBSP, Unicode spaces, controls) -> one space;
 *   - invisible characters (soft hyphen, ZWSP, ZWJ, ZWNJ, BOM, tatweel) dropped;
 *   - Arabic script (text_arabic.c and below): kaf and yeh folded to their
 *     Persian/Urdu forms (ك ڪ->ک, ي ى ئ->ی), alef forms to bare alef
 *     (أ إ آ ٱ->ا), the heh family and teh marbuta to heh (ہ ە ھ ۃ ة->ه),
 *     hamza on waw dropped (ؤ->و), Arabic-Indic and Persian/Urdu digits to
 *     ASCII (٣ ۳->3), tatweel, harakat, ZWNJ and bidi marks (LRM, RLM, ALM,
 *     embeddings, isolates) dropped, so one alias covers the Arabic, Persian,
 *     Urdu and Pashto spellings of a name and "می‌شود" == "میشود".
 * Hangul syllables are kept composed (decomposing them would only triple the
 * bytes of Korean text).
 *
 * nr_text_orig(t, i) is the original byte offset of the character that
 * produced normalized byte i; nr_text_orig(t, len) is the original length.
 * A match [s, e) in normalized bytes is [orig(s), orig(e)) in the original.
 * The map is stored compactly (text.c): 4 bits per byte for the step from
 * the previous byte's origin, a full offset every 32 bytes, and the rare
 * step of 15 or more bytes (a long white-space run) as an exception.
 *
 * Word characters are Unicode letters, marks and decimal digits, except the
 * scripts written without spaces between words (Han, kana, Hangul, Thai, Lao,
 * Khmer, Myanmar): those count as non-word, so a name inside unspaced text is
 * still found (a boundary test there would reject every match).
 */
#ifndef NEWSRADAR_TEXT_H
#define NEWSRADAR_TEXT_H

#include "newsradar/common.h"

/* Reusable normalization buffers: no allocation once they are large enough. */
struct nr_text {
    char *buf; /* normalized bytes, NUL-terminated */
    size_t len;
    size_t cap;                 /* of buf (bytes) and of the map (entries) */
    struct nr_fold_slot *folds; /* non-ASCII code points seen (text.c), or NULL */
    /* the offset map (read with nr_text_orig) */
    uint32_t *base; /* origin of byte 32k */
    uint8_t *nib;   /* per byte: origin step from the byte before; 15: in exc */
    uint32_t *exc;  /* (index, origin) pairs of the steps >= 15, by index */
    size_t n_exc;   /* pairs */
    size_t exc_cap; /* pairs */
    size_t n_map;   /* entries written (len + 1 when complete) */
    uint32_t last;  /* origin of the last entry written */
};

/* The original byte offset of normalized byte i (i <= len). Cost: up to 31
 * nibble additions, plus a binary search when a long white-space run is in
 * the block. */
uint32_t nr_text_orig(const struct nr_text *t, size_t i);

enum nr_text_flags {
    NR_TEXT_KEEP_CASE = 1u << 0, /* everything except case folding */
};

/* Longest input accepted; longer input is normalized up to this length only
 * (offsets are uint32_t; the article decoder caps sizes far below). */
#define NR_TEXT_MAX_INPUT ((size_t)1 << 28)

void nr_text_init(struct nr_text *t);
/* Make room for need bytes of normalized text, fallibly: 0, or -1 when
 * memory runs out. nr_text_normalize() of n input bytes first reserves
 * n + 64 (more only when folding expands the text), so reserving that
 * beforehand lets a caller turn an article too large for memory into a
 * rejection instead of an abort. */
int nr_text_reserve(struct nr_text *t, size_t need);
void nr_text_fini(struct nr_text *t); /* frees the buffers; t may be reused after init */
/* s[0..len) normalized (no flags) with t's buffers, as a fresh string
 * without leading or trailing spaces (nr_xstrndup: "" when nothing is
 * left). For config words and labels compared with normalized text. */
char *nr_text_dup(struct nr_text *t, const char *s, size_t len);

/* Normalize s[0..len) into t (replacing its previous content). Invalid UTF-8
 * bytes become spaces; never fails. */
void nr_text_normalize(struct nr_text *t, const char *s, size_t len, unsigned flags);

/* Is the character starting at byte pos of buf[0..len) a word character? */
bool nr_text_word_at(const char *buf, size_t len, size_t pos);
/* Is the character ending just before byte pos a word character? */
bool nr_text_word_before(const char *buf, size_t pos);

/* Does the match [start, end) of buf[0..len) stand on word boundaries, i.e.
 * is it not glued to a word character on either side by a word character of
 * its own? ("Pakistan" in "Pakistan's": yes; "Iran" in "Tirana": no.) */
bool nr_text_boundary_ok(const char *buf, size_t len, size_t start, size_t end);

/* Arabic-script clitics (text_arabic.c): nr_text_boundary_ok() also
 * accepts a match glued to the rest of its word when that rest is a
 * clitic: a prefix (و ف ب ل ک ال and their combinations: والقاعده,
 * لپاکستان) before start, or a suffix (nisba ی/یه, plurals, possessives,
 * Urdu and Pashto oblique endings: پاکستانی, پاکستانیوں, طالبانو) after end.
 * Both take normalized text. */
bool nr_text_arabic_prefix_ok(const char *buf, size_t len, size_t start);
bool nr_text_arabic_suffix_ok(const char *buf, size_t len, size_t end);
/* nr_text_boundary_ok() of t's normalized text, where a ZWNJ of orig (the
 * text t normalized) between two Arabic-script letters right after end
 * also ends a word: Persian writes it between a stem and its suffixes or
 * the next part of a compound (هیئت‌هایشان, هیئت‌مدیره), so the stem
 * before it is a word (the part after it is not: زنان, women, in توپ‌زنان,
 * batsmen). The normalizer drops the ZWNJ, so a term written without it
 * still matches the joined word. Ask only when nr_text_boundary_ok() said
 * no (it decodes offsets). */
bool nr_text_zwnj_boundary_ok(const struct nr_text *t, const char *orig, size_t start, size_t end);

/* Bytes of normalized text that nr_text_simhash() reads: the lead. */
#define NR_SIMHASH_LEAD 2048

/* 64-bit simhash over the word 3-shingles of the lead of normalized text: its
 * first NR_SIMHASH_LEAD bytes, cut back to a space (~300 words). Syndicated
 * copies keep the lead and trim or pad the end, so the lead is both the
 * robust part and a bounded cost. Texts of 1 or 2 words use those words as
 * the single shingle; empty text -> 0. Words are
 * the space-separated runs of normalized text without ASCII punctuation at
 * either end ("said," == "said"). Similar texts give hashes at small Hamming
 * distance. Stable across releases only as long as this function is
 * unchanged: do not persist simhashes beyond a process's lifetime.
 * Cost: ~1.5 us (~28,000 instructions) for a full 2 KB lead. */
uint64_t nr_text_simhash(const char *buf, size_t len);

/* Hamming distance of two simhashes. */
static inline int nr_simhash_distance(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}

#endif
