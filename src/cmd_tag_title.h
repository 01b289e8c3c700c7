/*
 * cmd_tag_title.h - the title line of a plain-text article, for
 * `tag --text` (cmd_tag_title.c).
 */
#ifndef NEWSRADAR_CMD_TAG_TITLE_H
#define NEWSRADAR_CMD_TAG_TITLE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest title line, in bytes. */
#define NR_TEXT_TITLE_MAX 300

/* The title line of t[0..n), looked for from byte a (the first non-blank
 * one): its trimmed bytes [*ts, *te) and the start of the line after it
 * (*next). false when there is none (one line of text, or the text opens
 * with a paragraph): all of it is the body. */
bool nr_text_title(const char *t, size_t n, size_t a, size_t *ts, size_t *te, size_t *next);

#endif
