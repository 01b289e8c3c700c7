/*
 * text_int.h - private to the text rooms (include/newsradar/text.h is the
 * public side):
 *   text.c          buffers, the offset map, the normalizer's driver and its
 *                   ASCII fast path, word boundaries;
 *   text_fold.c     the normalized form of one non-ASCII code point (our
 *                   folds around utf8proc's NFKD), cached by text.c;
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

#endif
