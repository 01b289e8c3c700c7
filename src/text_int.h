/*
 * text_int.h - private to the text rooms (include/newsradar/text.h is the
 * public side):
 *   text.c          buffers, the offset map, the normalizer's driver and its
 *                   ASCII fast path, word boundaries;
 *   text_fold.c     the normalized form of one non-ASCII code point (our
 *                   folds around utf8proc's NFKD), cached by text.c, and
 *                   its table of the 2-byte code points;
 *   text_simhash.c  the simhash of a normalized lead;
 *   text_arabic.c   Arabic-script clitics at match time.
 */
#ifndef NEWSRADAR_TEXT_INT_H
#define NEWSRADAR_TEXT_INT_H

#include "newsradar/text.h"

#include <utf8proc.h>

/* 1 for bytes that separate simhash words (ASCII space and punctuation;
 * not letters, digits, apostrophe, underscore; non-ASCII never); 256
 * entries so the test needs no range check. Valid after
 * nr_text_tables_init(). */
extern unsigned char nr_text_ascii_sep[256];

/* Fill the byte tables once (idempotent, thread-safe). */
void nr_text_tables_init(void);

/* The normalized form of one non-ASCII code point cp, before the collapse
 * of space runs, into out (at most 96 bytes); returns how many bytes. opts:
 * utf8proc's NFKD options (with or without case folding); tbl: the ASCII
 * fold table for ASCII code points of the result. */
size_t nr_text_fold_cp(int32_t cp, utf8proc_option_t opts, const unsigned char *tbl,
                       unsigned char *out);

/* The ASCII fold table of nr_text_normalize (keep: NR_TEXT_KEEP_CASE):
 * the output byte of each ASCII byte, ' ' for a collapsible space. */
const unsigned char *nr_text_ascii_fold_table(unsigned keep);

/* nr_text_fold_cp precomputed for U+0000..U+07FF (keep: NR_TEXT_KEEP_CASE;
 * utf8proc's options follow from it): entry cp is the form's bytes (byte 0
 * in bits 0-7, byte 1 in bits 8-15) and their count (1 or 2) in bits 16-23,
 * or NR_FOLD2_SLOW when the form is empty (a dropped mark: the space logic
 * is the cache's), longer, holds a space, or cp < 0x80.
 * Filled at the first call (thread-safe). */
#define NR_FOLD2_N    0x800u
#define NR_FOLD2_SLOW 0x80000000u
const uint32_t *nr_text_fold2(unsigned keep);

/* True for the CJK ideographs (U+3400..U+4DBF, U+4E00..U+9FFF), whose
 * normalized form is the code point itself with or without case folding
 * (no decomposition, no case; tests/unit/test_text_scripts.c checks every
 * one against nr_text_fold_cp). */
static inline bool nr_text_cjk_same(uint32_t cp)
{
    return cp - 0x4E00u < 0x5200u || cp - 0x3400u < 0x19C0u;
}

#endif
