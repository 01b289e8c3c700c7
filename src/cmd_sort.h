/*
 * cmd_sort.h - `replay --sort`: hand the articles of an input to a callback
 * in event-time order, with bounded memory (cmd_sort.c).
 */
#ifndef NEWSRADAR_CMD_SORT_H
#define NEWSRADAR_CMD_SORT_H

#include "cmd_input.h"

#include "newsradar/common.h"
#include "newsradar/config.h"

/* One article (or a text that is not one: the engine will say why) with the
 * line it started on. Returns false to stop. */
typedef bool (*nr_sorted_fn)(void *ud, const char *p, size_t n, uint64_t line);

/* Read all of in, then call fn for each article ordered by published time
 * (ties and articles without a time keep their input order; an article
 * without a time sorts with the article before it). At most mem bytes of
 * articles are held in memory; past that, sorted runs go to temporary files
 * and are merged. Texts longer than the limit are passed on as they are
 * (the caller reports too_large): *too_long counts them. 0, or -1 and err. */
int nr_cli_sort(const struct nr_config *cfg, struct input *in, size_t mem, nr_sorted_fn fn,
                void *ud, uint64_t *too_long, struct nr_error *err);

#endif
