/*
 * matcher.h - multi-pattern literal matching over normalized text.
 *
 * Lifecycle (Suricata MPM style): add patterns -> freeze -> one scratch per
 * thread -> scan. The engine is chosen at run time through a small ops table:
 * the hand-written Aho-Corasick DFA (always built) or Hyperscan (only when
 * built with NR_HAVE_HYPERSCAN). Patterns are byte strings (already
 * normalized by the caller with text.h); ids are dense (0..n-1) and assigned
 * by the caller, who also removes duplicate strings. Matching is exact
 * bytewise; word boundaries are the caller's business.
 *
 * A frozen matcher is immutable and may be shared by threads; a scratch is
 * not.
 */
#ifndef NEWSRADAR_MATCHER_H
#define NEWSRADAR_MATCHER_H

#include "newsradar/common.h"

enum nr_matcher_engine {
    NR_MATCHER_AC = 0, /* hand-written Aho-Corasick DFA */
    NR_MATCHER_HS = 1, /* Hyperscan literal API */
};

/* One occurrence: pattern id and [start, end) in bytes of the scanned text. */
struct nr_match {
    uint32_t id;
    uint32_t start, end;
};

struct nr_matcher;
struct nr_match_scratch;

enum nr_matcher_flags {
    /* A hint: the engine may omit occurrences that start inside an ASCII
     * word (the byte before and the first byte both ASCII letters/digits),
     * which a caller that wants word boundaries rejects anyway. The AC
     * engine then stays in one "inside a word" state until the word ends
     * instead of walking the trie on every suffix: fewer table lookups miss
     * the cache and far fewer useless matches are reported. Non-ASCII text
     * is matched everywhere (word boundaries there need Unicode classes). */
    NR_MATCHER_WORD_START = 1u << 0,
};

/* NULL (and err set) if the engine is not built in. */
struct nr_matcher *nr_matcher_new(enum nr_matcher_engine engine, unsigned flags,
                                  struct nr_error *err);
void nr_matcher_free(struct nr_matcher *m);

bool nr_matcher_engine_available(enum nr_matcher_engine engine);
const char *nr_matcher_engine_name(enum nr_matcher_engine engine);

/* Add one pattern (copied). -1 if empty, longer than 64 KiB, or frozen. */
int nr_matcher_add(struct nr_matcher *m, const char *pat, size_t len, uint32_t id);
/* Compile. Pattern ids must be 0..n-1 without gaps (any order). A matcher
 * without patterns is valid and never matches. */
int nr_matcher_freeze(struct nr_matcher *m, struct nr_error *err);

size_t nr_matcher_patterns(const struct nr_matcher *m);
/* Bytes of compiled tables (for logs and docs). */
size_t nr_matcher_memory(const struct nr_matcher *m);

struct nr_match_scratch *nr_match_scratch_new(const struct nr_matcher *m);
void nr_match_scratch_free(struct nr_match_scratch *s);

/* Find every occurrence of every pattern in text (overlapping ones too).
 * The matches live in the scratch until its next scan; their order is
 * unspecified (the AC engine scans long texts as interleaved lanes).
 * Returns the number of matches and sets *out. */
size_t nr_matcher_scan(const struct nr_matcher *m, struct nr_match_scratch *s, const char *text,
                       size_t len, const struct nr_match **out);
/* Did the last scan drop matches because memory ran out? */
bool nr_match_scratch_failed(const struct nr_match_scratch *s);

#endif
