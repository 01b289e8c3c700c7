/*
 * boiler.h - text a source repeats across its articles (navigation, cookie
 * banners, "Read more", subscription and donation blurbs, "Read the full
 * story on our website."), learnt from the stream and blanked before
 * tagging, so that it neither creates matches nor makes distinct stories
 * look like one.
 *
 * A body is cut into segments: lines, and sentences within a line (after
 * `.`, `!`, `?` or `…` followed by white space, and after `。！？`). A
 * segment is boilerplate for a source once it has been seen in
 * `min_articles` articles of that source with distinct titles (so a
 * redelivered or updated copy of one story never teaches anything, and the
 * paragraphs two versions of a story share are not boilerplate). From then
 * on it is overwritten with spaces in the body: byte offsets (spans) stay
 * the same, and normalization drops the blanks. Articles without a source
 * are left alone: without one, a sentence repeated by different outlets
 * (syndication) would look like boilerplate.
 *
 * Memory: a fixed table of `entries` segment fingerprints (8-way set
 * associative, 16 + 4 x min_articles bytes each: 2 MiB for the default
 * 65536 at the default min_articles 4), allocated when
 * the model is made; a full set replaces a segment seen in one article
 * first (most sentences are), else the least recently seen. Cost per
 * article: one pass over the body plus one hash probe per segment.
 * Learning is per model: one per process (the tagging workers of replay and
 * of the Kafka service share it, src/engine_stage1.c), kept by a
 * configuration reload that leaves min_articles and entries as they are,
 * else started afresh.
 */
#ifndef NEWSRADAR_BOILER_H
#define NEWSRADAR_BOILER_H

#include "newsradar/common.h"

#define NR_BOILER_MAX_ARTICLES 8 /* highest min_articles */

struct nr_boiler;

/* min_articles == 0 disables the model (nr_boiler_new returns NULL). */
struct nr_boiler *nr_boiler_new(uint32_t min_articles, uint32_t entries);
void nr_boiler_free(struct nr_boiler *b);

/* Learn from one article and blank (overwrite with spaces) each segment of
 * body[0..len) that is boilerplate for source. Returns the number of
 * segments blanked. b may be NULL (nothing happens); an empty source or
 * body is left alone. */
uint32_t nr_boiler_apply(struct nr_boiler *b, struct nr_str source, struct nr_str title, char *body,
                         size_t len);

#endif
