/*
 * matcher_hs.c - the optional Hyperscan engine (compiled only when
 * NR_HAVE_HYPERSCAN): hs_compile_lit_multi in block mode, every match
 * reported (no HS_FLAG_SINGLEMATCH), no start-of-match tracking (the start
 * of a literal is end - length, which costs nothing). Patterns are already
 * normalized (lower case), so no HS_FLAG_CASELESS either.
 */
#include "matcher_int.h"

#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>

struct hs_impl {
    hs_database_t *db;
    uint32_t *pat_len;
    size_t n;
};

struct hs_scan_ctx {
    const struct hs_impl *h;
    struct nr_match_buf *out;
};

static void hs_impl_free(void *impl)
{
    struct hs_impl *h = impl;
    if (!h)
        return;
    hs_free_database(h->db);
    free(h->pat_len);
    free(h);
}

static void *hs_impl_compile(const struct nr_pattern_set *ps, struct nr_error *err)
{
    struct hs_impl *h = nr_xcalloc(1, sizeof(*h));
    const char **exprs = nr_xmalloc((ps->n + 1) * sizeof(char *));
    size_t *lens = nr_xmalloc((ps->n + 1) * sizeof(size_t));
    unsigned *flags = nr_xcalloc(ps->n + 1, sizeof(unsigned));
    unsigned *ids = nr_xmalloc((ps->n + 1) * sizeof(unsigned));
    h->pat_len = nr_xmalloc((ps->n + 1) * sizeof(uint32_t));
    h->n = ps->n;
    for (size_t i = 0; i < ps->n; i++) {
        exprs[i] = ps->bytes + ps->off[i];
        lens[i] = ps->len[i];
        ids[i] = (unsigned)i;
        h->pat_len[i] = ps->len[i];
    }
    if (ps->n > 0) {
        hs_compile_error_t *ce = NULL;
        if (hs_compile_lit_multi(exprs, flags, ids, lens, (unsigned)ps->n, HS_MODE_BLOCK, NULL,
                                 &h->db, &ce) != HS_SUCCESS) {
            nr_error_set(err, "hyperscan: %s", ce ? ce->message : "compile failed");
            hs_free_compile_error(ce);
            hs_impl_free(h);
            h = NULL;
        }
    }
    free(exprs);
    free(lens);
    free(flags);
    free(ids);
    return h;
}

static size_t hs_impl_memory(const void *impl)
{
    const struct hs_impl *h = impl;
    size_t sz = 0;
    if (h->db)
        hs_database_size(h->db, &sz);
    return sz + h->n * sizeof(uint32_t);
}

static void *hs_impl_scratch_new(const void *impl)
{
    const struct hs_impl *h = impl;
    hs_scratch_t *s = NULL;
    if (h->db && hs_alloc_scratch(h->db, &s) != HS_SUCCESS)
        return NULL;
    return s;
}

static void hs_impl_scratch_free(void *scratch)
{
    hs_free_scratch(scratch);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
                    void *ctx)
{
    (void)from;
    (void)fl;
    struct hs_scan_ctx *c = ctx;
    uint32_t end = (uint32_t)to;
    nr_match_buf_push(c->out, id, end - c->h->pat_len[id], end);
    return 0;
}

static void hs_impl_scan(const void *impl, void *scratch, const char *text, size_t len,
                         struct nr_match_buf *out)
{
    const struct hs_impl *h = impl;
    if (!h->db || !scratch)
        return;
    struct hs_scan_ctx c = {h, out};
    hs_scan(h->db, text, (unsigned)len, 0, scratch, on_match, &c);
}

const struct nr_matcher_ops nr_matcher_hs_ops = {
    .name = "hyperscan",
    .compile = hs_impl_compile,
    .free = hs_impl_free,
    .memory = hs_impl_memory,
    .scratch_new = hs_impl_scratch_new,
    .scratch_free = hs_impl_scratch_free,
    .scan = hs_impl_scan,
};
