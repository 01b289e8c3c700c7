/*
 * matcher_int.h - the engine interface behind matcher.h (private to
 * matcher*.c). An engine compiles a frozen pattern set and scans into a
 * match buffer.
 */
#ifndef NEWSRADAR_MATCHER_INT_H
#define NEWSRADAR_MATCHER_INT_H

#include "newsradar/matcher.h"

struct nr_pattern_set {
    const char *bytes;   /* all patterns, concatenated */
    const uint32_t *off; /* pattern id -> offset in bytes */
    const uint32_t *len; /* pattern id -> length */
    size_t n;
    unsigned flags; /* enum nr_matcher_flags */
};

struct nr_match_buf {
    struct nr_match *v;
    size_t n, cap;
    bool oom; /* a match was dropped: memory ran out */
};

static inline void nr_match_buf_push(struct nr_match_buf *b, uint32_t id, uint32_t start,
                                     uint32_t end)
{
    if (b->n == b->cap && nr_try_grow((void **)&b->v, &b->cap, b->n + 1, sizeof(*b->v)) < 0) {
        b->oom = true;
        return;
    }
    b->v[b->n].id = id;
    b->v[b->n].start = start;
    b->v[b->n].end = end;
    b->n++;
}

struct nr_matcher_ops {
    const char *name;
    void *(*compile)(const struct nr_pattern_set *ps, struct nr_error *err);
    void (*free)(void *impl);
    size_t (*memory)(const void *impl);
    void *(*scratch_new)(const void *impl);
    void (*scratch_free)(void *scratch);
    void (*scan)(const void *impl, void *scratch, const char *text, size_t len,
                 struct nr_match_buf *out);
};

extern const struct nr_matcher_ops nr_matcher_ac_ops;
#ifdef NR_HAVE_HYPERSCAN
extern const struct nr_matcher_ops nr_matcher_hs_ops;
#endif

#endif
