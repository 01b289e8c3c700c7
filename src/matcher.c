/*
 * matcher.c - the matcher front end (pattern collection, engine ops table)
 * and the hand-written Aho-Corasick engine.
 *
 * Why hand-written: this loop is the hot core of the whole pipeline (every
 * byte of every article goes through it), Hyperscan is optional (not on every
 * platform, a large dependency), and a plain DFA we control lets us scan
 * several lanes interleaved, which hides the cache misses that dominate
 * large automata and beats Hyperscan on this workload (docs/performance.md).
 *
 * Design: a byte DFA over the first AC_DEPTH (6) bytes of every pattern;
 * the rest of a longer pattern is verified with a compare when its prefix
 * is seen (Hyperscan's "prefilter + confirm" idea in its simplest form).
 *   - Alphabet compression: each byte maps to a class; bytes that occur in
 *     no pattern share class 0 (and ASCII letters/digits in no pattern class
 *     1 in word-start mode), so a row has only as many columns as there are
 *     distinct pattern bytes (~30-60 for Latin watchlists).
 *   - Transitions are uint32: the target state number premultiplied by the
 *     class count (so the next lookup is table[v + class], no multiply),
 *     and the states with output numbered last, from a power of two
 *     (out_min) on, so "has output" is v >= out_min. The inner loop is one
 *     class load, one add, one table load and one test per byte.
 *   - Outputs (own prefix-patterns plus every dictionary-suffix pattern,
 *     resolved at build time) are flattened into one id array per state.
 *   - Word-start mode (NR_MATCHER_WORD_START): the fallback of a failed
 *     prefix never lands inside an ASCII word; a second root state ("inside
 *     a word") absorbs the rest of the word. Matches that start inside a word
 *     would be rejected by the caller anyway, and the automaton no longer
 *     walks the trie from every letter.
 *   - States are numbered breadth-first, so the shallow states the text
 *     keeps visiting share cache lines; the table sits on huge pages when
 *     large.
 *   - Texts of >= 1 KiB are cut into 4 lanes scanned in lockstep (hides the
 *     latency of table loads); each lane starts AC_DEPTH - 1 bytes early so
 *     no prefix across a cut is lost, and reports only prefixes that end
 *     inside its own range.
 * Memory: states x classes x 4 bytes, states <= distinct prefixes + 2.
 * 10,000 word-like aliases give ~35k states x ~30 classes = 4.1 MB (a
 * full-depth DFA: 18.7 MB, 3-4x slower here as its rows miss the cache);
 * plus the pattern bytes and one 32-byte record per output for verification
 * (the rows of the gap below out_min are address space only, never
 * touched). Build time is linear in the table
 * (~20 ms for 10,000 aliases).
 */
#include "matcher_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NR_MATCHER_MAX_PATTERN 65536

/* ---- front end ------------------------------------------------------------ */

struct nr_matcher {
    const struct nr_matcher_ops *ops;
    unsigned flags;
    void *impl;
    bool frozen;
    /* patterns as added, in insertion order */
    char *bytes;
    size_t n_bytes, cap_bytes;
    uint32_t *p_off, *p_len, *p_id;
    size_t n, cap;
};

struct nr_match_scratch {
    const struct nr_matcher *m;
    void *impl;
    struct nr_match_buf buf;
};

static const struct nr_matcher_ops *engine_ops(enum nr_matcher_engine e)
{
    switch (e) {
    case NR_MATCHER_AC:
        return &nr_matcher_ac_ops;
    case NR_MATCHER_HS:
#ifdef NR_HAVE_HYPERSCAN
        return &nr_matcher_hs_ops;
#else
        return NULL;
#endif
    }
    return NULL;
}

bool nr_matcher_engine_available(enum nr_matcher_engine engine)
{
    return engine_ops(engine) != NULL;
}

const char *nr_matcher_engine_name(enum nr_matcher_engine engine)
{
    return engine == NR_MATCHER_AC ? "aho-corasick" : engine == NR_MATCHER_HS ? "hyperscan" : "?";
}

struct nr_matcher *nr_matcher_new(enum nr_matcher_engine engine, unsigned flags,
                                  struct nr_error *err)
{
    const struct nr_matcher_ops *ops = engine_ops(engine);
    if (!ops) {
        nr_error_set(err, "matcher engine %s is not built in", nr_matcher_engine_name(engine));
        return NULL;
    }
    struct nr_matcher *m = nr_xcalloc(1, sizeof(*m));
    m->ops = ops;
    m->flags = flags;
    return m;
}

void nr_matcher_free(struct nr_matcher *m)
{
    if (!m)
        return;
    if (m->impl)
        m->ops->free(m->impl);
    free(m->bytes);
    free(m->p_off);
    free(m->p_len);
    free(m->p_id);
    free(m);
}

int nr_matcher_add(struct nr_matcher *m, const char *pat, size_t len, uint32_t id)
{
    if (m->frozen || len == 0 || len > NR_MATCHER_MAX_PATTERN || m->n >= UINT32_MAX / 2)
        return -1;
    if (m->n == m->cap) {
        size_t c = m->cap;
        nr_grow((void **)&m->p_off, &c, m->n + 1, sizeof(uint32_t));
        c = m->cap;
        nr_grow((void **)&m->p_len, &c, m->n + 1, sizeof(uint32_t));
        c = m->cap;
        nr_grow((void **)&m->p_id, &c, m->n + 1, sizeof(uint32_t));
        m->cap = c;
    }
    nr_grow((void **)&m->bytes, &m->cap_bytes, m->n_bytes + len, 1);
    memcpy(m->bytes + m->n_bytes, pat, len);
    m->p_off[m->n] = (uint32_t)m->n_bytes;
    m->p_len[m->n] = (uint32_t)len;
    m->p_id[m->n] = id;
    m->n_bytes += len;
    m->n++;
    return 0;
}

int nr_matcher_freeze(struct nr_matcher *m, struct nr_error *err)
{
    if (m->frozen) {
        nr_error_set(err, "matcher already frozen");
        return -1;
    }
    /* Reorder by id so that engines see ids 0..n-1 densely. */
    uint32_t *off = nr_xmalloc((m->n + 1) * sizeof(uint32_t));
    uint32_t *len = nr_xmalloc((m->n + 1) * sizeof(uint32_t));
    bool *seen = nr_xcalloc(m->n + 1, sizeof(bool));
    int rc = -1;
    for (size_t i = 0; i < m->n; i++) {
        uint32_t id = m->p_id[i];
        if (id >= m->n || seen[id]) {
            nr_error_set(err, "pattern ids must be dense and unique (id %u of %zu)", id, m->n);
            goto out;
        }
        seen[id] = true;
        off[id] = m->p_off[i];
        len[id] = m->p_len[i];
    }
    struct nr_pattern_set ps = {m->bytes, off, len, m->n, m->flags};
    m->impl = m->ops->compile(&ps, err);
    if (!m->impl)
        goto out;
    m->frozen = true;
    rc = 0;
out:
    free(off);
    free(len);
    free(seen);
    return rc;
}

size_t nr_matcher_patterns(const struct nr_matcher *m)
{
    return m->n;
}

size_t nr_matcher_memory(const struct nr_matcher *m)
{
    return m->impl ? m->ops->memory(m->impl) : 0;
}

struct nr_match_scratch *nr_match_scratch_new(const struct nr_matcher *m)
{
    if (!m->frozen)
        return NULL;
    struct nr_match_scratch *s = nr_xcalloc(1, sizeof(*s));
    s->m = m;
    s->impl = m->ops->scratch_new(m->impl);
    return s;
}

void nr_match_scratch_free(struct nr_match_scratch *s)
{
    if (!s)
        return;
    if (s->impl)
        s->m->ops->scratch_free(s->impl);
    free(s->buf.v);
    free(s);
}

size_t nr_matcher_scan(const struct nr_matcher *m, struct nr_match_scratch *s, const char *text,
                       size_t len, const struct nr_match **out)
{
    s->buf.n = 0;
    s->buf.oom = false;
    if (len > UINT32_MAX - 1)
        len = UINT32_MAX - 1;
    if (m->frozen && m->n > 0 && len > 0)
        m->ops->scan(m->impl, s->impl, text, len, &s->buf);
    *out = s->buf.v;
    return s->buf.n;
}

bool nr_match_scratch_failed(const struct nr_match_scratch *s)
{
    return s->buf.oom;
}

/* ---- Aho-Corasick engine -------------------------------------------------- */

#define AC_MASK      0x7fffffffu
#define AC_NONE      0xffffffffu
#define AC_LANES     4
#define AC_LANE_MIN  1024 /* shorter texts: one lane */
#define AC_ROOT_WORD 1u
/* Bytes of each pattern in the DFA; the rest is verified with memcmp. */
#ifndef AC_DEPTH
#define AC_DEPTH 6u
#endif /* word-start mode: inside a word, no start allowed */

static bool ascii_word(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* One output of a state, with what verifying it needs: ac_emit reads this
 * record only, not three arrays indexed by pattern (each a cache miss at
 * 10,000 patterns, the table having pushed them out), and rejects most
 * longer patterns on `tail` without reading pat_bytes. */
struct ac_out {
    uint32_t id, len;
    uint32_t off; /* the pattern in pat_bytes */
    uint32_t pad;
    uint64_t tail; /* pattern bytes [AC_DEPTH, AC_DEPTH + 8), zero-padded */
    uint64_t mask; /* the bytes of tail that are pattern bytes (any byte order) */
};

struct ac {
    uint8_t cls[256];
    uint32_t nc;       /* classes */
    uint64_t nc_recip; /* ceil(2^32 / nc) */
    uint32_t n_states;
    uint32_t n_rows;     /* frozen table rows: n_states plus the gap before out_min */
    uint64_t out_min;    /* frozen: a premultiplied state >= this has outputs */
    uint32_t *delta;     /* n_rows * nc, premultiplied targets (state numbers while building) */
    uint32_t *out_off;   /* state -> first output (n_rows + 1 entries) */
    uint32_t *out_ids;   /* flattened outputs */
    struct ac_out *outs; /* out_ids[k] and its pattern, for ac_emit */
    uint32_t *pat_len;   /* pattern id -> length */
    uint32_t *pat_off;   /* pattern id -> offset in pat_bytes */
    char *pat_bytes;     /* patterns, for verifying the part beyond the DFA */
    uint32_t maxlen;     /* longest prefix in the DFA (<= AC_DEPTH) */
    size_t n_out;
    size_t delta_bytes; /* 0 while delta is a malloc'ed build table */
};

/* The frozen table: mmap'ed so that a large one can sit on transparent huge
 * pages (a 16 MB table over 4 KB pages misses the TLB on most lookups). */
static uint32_t *ac_table_alloc(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    size_t len = bytes >= huge ? bytes + huge : bytes;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "newsradar: out of memory (%zu bytes)\n", bytes);
        abort(); /* like nr_xmalloc: exhaustion is not an input error */
    }
    if (len != bytes) {
        /* keep a 2 MB aligned window so whole huge pages fit */
        char *q = (char *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
        if (q > p)
            munmap(p, (size_t)(q - p));
        size_t tail = (size_t)(p + len - (q + bytes));
        if (tail)
            munmap(q + bytes, tail);
        p = q;
#ifdef MADV_HUGEPAGE
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
    }
    return (uint32_t *)p;
}

static void ac_table_free(uint32_t *p, size_t bytes)
{
    munmap(p, bytes);
}

static void ac_free(void *impl)
{
    struct ac *a = impl;
    if (!a)
        return;
    if (a->delta_bytes)
        ac_table_free(a->delta, a->delta_bytes);
    else
        free(a->delta);
    free(a->out_off);
    free(a->out_ids);
    free(a->outs);
    free(a->pat_len);
    free(a->pat_off);
    free(a->pat_bytes);
    free(a);
}

/* The scratch of one ac_compile. */
struct ac_build {
    const struct nr_pattern_set *ps;
    struct ac *a;
    bool ws;            /* NR_MATCHER_WORD_START */
    bool cls_word[258]; /* class -> holds ASCII word bytes */
    size_t total;       /* pattern bytes in the DFA: bounds the states */
    uint32_t *own_head; /* state -> its first own pattern, AC_NONE */
    uint32_t *own_next; /* pattern -> the state's next own pattern */
    uint32_t *fail;     /* state -> fail state */
    uint32_t *queue;    /* the states in BFS order */
    uint32_t *out_n;    /* state -> outputs */
};

/* Byte classes. Class 0: non-word bytes in no pattern; class 1 (word-start
 * mode): ASCII letters and digits in no pattern; then one class per byte
 * some pattern uses in its DFA part. */
static void ac_classes(struct ac_build *bd)
{
    const struct nr_pattern_set *ps = bd->ps;
    struct ac *a = bd->a;
    bool used[256] = {false};
    for (size_t p = 0; p < ps->n; p++) {
        uint32_t tl = ps->len[p] < AC_DEPTH ? ps->len[p] : AC_DEPTH;
        bd->total += tl;
        if (tl > a->maxlen)
            a->maxlen = tl;
        const unsigned char *b = (const unsigned char *)ps->bytes + ps->off[p];
        for (uint32_t k = 0; k < tl; k++)
            used[b[k]] = true;
    }
    bool ws = bd->ws;
    size_t n_used = 0;
    for (int c = 0; c < 256; c++)
        n_used += used[c];
    if (n_used + 2 > 256) {
        /* (nearly) every byte in some pattern: one class per byte */
        a->nc = 256;
        for (int c = 0; c < 256; c++) {
            a->cls[c] = (uint8_t)c;
            bd->cls_word[c] = ws && c < 0x80 && ascii_word(c);
        }
    } else {
        a->nc = ws ? 2 : 1;
        bd->cls_word[1] = ws;
        for (int c = 0; c < 256; c++) {
            bool w = ws && c < 0x80 && ascii_word(c);
            if (used[c]) {
                bd->cls_word[a->nc] = w;
                a->cls[c] = (uint8_t)a->nc++;
            } else {
                a->cls[c] = w ? 1 : 0;
            }
        }
    }
    a->nc_recip = (((uint64_t)1 << 32) + a->nc - 1) / a->nc;
}

/* The patterns' lengths and bytes, for verifying the part beyond the DFA. */
static void ac_copy_patterns(struct ac_build *bd)
{
    const struct nr_pattern_set *ps = bd->ps;
    struct ac *a = bd->a;
    a->pat_len = nr_xmalloc((ps->n + 1) * sizeof(uint32_t));
    a->pat_off = nr_xmalloc((ps->n + 1) * sizeof(uint32_t));
    size_t nb = 0;
    for (size_t p = 0; p < ps->n; p++)
        nb += ps->len[p];
    a->pat_bytes = nr_xmalloc(nb + 1);
    nb = 0;
    for (size_t p = 0; p < ps->n; p++) {
        memcpy(a->pat_bytes + nb, ps->bytes + ps->off[p], ps->len[p]);
        a->pat_off[p] = (uint32_t)nb;
        a->pat_len[p] = ps->len[p];
        nb += ps->len[p];
    }
}

/* The trie of the patterns' first AC_DEPTH bytes; delta holds plain state
 * numbers (AC_NONE = no edge) for now, each state its own patterns. */
static void ac_trie(struct ac_build *bd)
{
    const struct nr_pattern_set *ps = bd->ps;
    struct ac *a = bd->a;
    uint32_t nc = a->nc;
    size_t max_states = bd->total + 2;
    a->delta = nr_xmalloc(max_states * nc * sizeof(uint32_t));
    bd->own_head = nr_xmalloc(max_states * sizeof(uint32_t));
    bd->own_next = nr_xmalloc((ps->n + 1) * sizeof(uint32_t));
    memset(a->delta, 0xff, 2 * nc * sizeof(uint32_t));
    bd->own_head[0] = bd->own_head[1] = AC_NONE;
    a->n_states = bd->ws ? 2 : 1; /* state 1: ROOT_WORD, no trie edges */
    for (size_t p = 0; p < ps->n; p++) {
        const unsigned char *b = (const unsigned char *)ps->bytes + ps->off[p];
        uint32_t s = 0, tl = ps->len[p] < AC_DEPTH ? ps->len[p] : AC_DEPTH;
        for (uint32_t k = 0; k < tl; k++) {
            uint32_t *e = &a->delta[(size_t)s * nc + a->cls[b[k]]];
            if (*e == AC_NONE) {
                uint32_t ns = a->n_states++;
                memset(&a->delta[(size_t)ns * nc], 0xff, nc * sizeof(uint32_t));
                bd->own_head[ns] = AC_NONE;
                *e = ns;
            }
            s = *e;
        }
        bd->own_next[p] = bd->own_head[s];
        bd->own_head[s] = (uint32_t)p;
    }
}

/* State s's outputs: its own patterns, then its fail state's (final before
 * s is visited). */
static void ac_outputs(struct ac_build *bd, uint32_t s, size_t *out_cap)
{
    struct ac *a = bd->a;
    a->out_off[s] = (uint32_t)a->n_out;
    for (uint32_t p = bd->own_head[s]; p != AC_NONE; p = bd->own_next[p]) {
        nr_grow((void **)&a->out_ids, out_cap, a->n_out + 1, sizeof(uint32_t));
        a->out_ids[a->n_out++] = p;
    }
    if (s != 0) {
        uint32_t f = bd->fail[s], fo = a->out_off[f];
        nr_grow((void **)&a->out_ids, out_cap, a->n_out + bd->out_n[f], sizeof(uint32_t));
        for (uint32_t k = 0; k < bd->out_n[f]; k++)
            a->out_ids[a->n_out++] = a->out_ids[fo + k];
    }
    bd->out_n[s] = (uint32_t)(a->n_out - a->out_off[s]);
}

/* BFS: complete the DFA and compute the outputs; bd->queue ends up holding
 * every state in BFS order. */
static void ac_bfs(struct ac_build *bd)
{
    struct ac *a = bd->a;
    uint32_t nc = a->nc, ns = a->n_states;
    bool ws = bd->ws;
    uint32_t *fail = bd->fail = nr_xmalloc(ns * sizeof(uint32_t));
    uint32_t *queue = bd->queue = nr_xmalloc(ns * sizeof(uint32_t));
    a->out_off = nr_xmalloc((ns + 1) * sizeof(uint32_t));
    bd->out_n = nr_xcalloc(ns, sizeof(uint32_t));
    size_t out_cap = 0, qh = 0, qt = 0;
    fail[0] = 0;
    queue[qt++] = 0;
    if (ws) {
        fail[AC_ROOT_WORD] = 0;
        queue[qt++] = AC_ROOT_WORD;
    }
    while (qh < qt) {
        uint32_t s = queue[qh++];
        ac_outputs(bd, s, &out_cap);
        for (uint32_t c = 0; c < nc; c++) {
            uint32_t *e = &a->delta[(size_t)s * nc + c];
            /* where a failed prefix falls to: the longest allowed proper
             * suffix, computed from the parent's fallback as in plain AC;
             * from the roots: stay in-word (ROOT_WORD) after a word byte */
            uint32_t fb;
            if (s == 0)
                fb = bd->cls_word[c] ? AC_ROOT_WORD : 0;
            else if (ws && s == AC_ROOT_WORD)
                fb = bd->cls_word[c] ? AC_ROOT_WORD : a->delta[c];
            else
                fb = a->delta[(size_t)fail[s] * nc + c];
            if (*e == AC_NONE) {
                *e = fb;
            } else {
                fail[*e] = fb;
                queue[qt++] = *e;
            }
        }
    }
}

/* Renumber states in BFS order (root, depth 1, depth 2, ...): the text
 * keeps the automaton in shallow states most of the time, so their rows
 * end up packed in few cache lines and pages. States without outputs come
 * first, those with outputs after them from out_min on, a power of two of
 * premultiplied value: "has outputs" is then v >= out_min, and for four
 * lanes at once (v0 | v1 | v2 | v3) >= out_min, so the scan loop needs no
 * flag bit to mask off before each lookup (one operation fewer on the
 * per-byte dependency chain). The rows of the gap below out_min are never
 * read or written (mmap'ed, so untouched). Outputs are rebuilt in the new
 * order so that out_off[s + 1] - out_off[s] is the count; delta is
 * premultiplied, into a table on huge pages when large. */
static void ac_renumber(struct ac_build *bd)
{
    struct ac *a = bd->a;
    const uint32_t *queue = bd->queue, *out_n = bd->out_n;
    uint32_t nc = a->nc, ns = a->n_states;
    uint32_t n_plain = 0;
    for (uint32_t q = 0; q < ns; q++)
        n_plain += out_n[queue[q]] == 0;
    uint64_t out_min = 1;
    while (out_min < (uint64_t)n_plain * nc)
        out_min *= 2;
    uint32_t q_out = (uint32_t)((out_min + nc - 1) / nc); /* first row with outputs */
    uint32_t rows = q_out + (ns - n_plain);
    uint32_t *nid = nr_xmalloc(ns * sizeof(uint32_t));
    for (uint32_t q = 0, qp = 0, qo = q_out; q < ns; q++)
        nid[queue[q]] = out_n[queue[q]] ? qo++ : qp++;
    uint32_t *ids = nr_xmalloc((a->n_out + 1) * sizeof(uint32_t));
    uint32_t *offs = nr_xcalloc((size_t)rows + 1, sizeof(uint32_t));
    size_t k = 0;
    for (uint32_t pass = 0; pass < 2; pass++) /* plain states have none */
        for (uint32_t q = 0; q < ns; q++) {
            uint32_t s = queue[q];
            if ((out_n[s] != 0) != (pass == 1))
                continue;
            offs[nid[s]] = (uint32_t)k;
            if (out_n[s])
                memcpy(ids + k, a->out_ids + a->out_off[s], out_n[s] * sizeof(uint32_t));
            k += out_n[s];
            offs[nid[s] + 1] = (uint32_t)k;
        }
    offs[rows] = (uint32_t)k;
    free(a->out_ids);
    free(a->out_off);
    a->out_ids = ids;
    a->out_off = offs;
    size_t bytes = (size_t)rows * nc * sizeof(uint32_t);
    uint32_t *nd = ac_table_alloc(bytes);
    for (uint32_t q = 0; q < ns; q++) {
        const uint32_t *row = &a->delta[(size_t)queue[q] * nc];
        uint32_t *nrow = &nd[(size_t)nid[queue[q]] * nc];
        for (uint32_t c = 0; c < nc; c++)
            nrow[c] = nid[row[c]] * nc;
    }
    free(a->delta);
    a->delta = nd;
    a->delta_bytes = bytes;
    a->n_rows = rows;
    a->out_min = out_min;
    free(nid);
}

/* The output records (struct ac_out) from out_ids. */
static void ac_out_records(struct ac *a)
{
    a->outs = nr_xcalloc(a->n_out + 1, sizeof(*a->outs));
    for (size_t k = 0; k < a->n_out; k++) {
        struct ac_out *o = &a->outs[k];
        o->id = a->out_ids[k];
        o->len = a->pat_len[o->id];
        o->off = a->pat_off[o->id];
        if (o->len > AC_DEPTH) {
            uint32_t r = o->len - AC_DEPTH < 8 ? o->len - AC_DEPTH : 8;
            memcpy(&o->tail, a->pat_bytes + o->off + AC_DEPTH, r);
            memset(&o->mask, 0xff, r);
        }
    }
}

static void *ac_compile(const struct nr_pattern_set *ps, struct nr_error *err)
{
    struct ac_build bd = {.ps = ps,
                          .a = nr_xcalloc(1, sizeof(struct ac)),
                          .ws = (ps->flags & NR_MATCHER_WORD_START) != 0};
    struct ac *a = bd.a;
    ac_classes(&bd);
    size_t max_states = bd.total + 2;
    if (max_states * a->nc >= AC_MASK) {
        nr_error_set(err, "automaton too large (%zu states x %u classes)", max_states, a->nc);
        ac_free(a);
        return NULL;
    }
    ac_copy_patterns(&bd);
    ac_trie(&bd);
    ac_bfs(&bd);
    ac_renumber(&bd);
    ac_out_records(a);
    free(bd.out_n);
    free(bd.fail);
    free(bd.queue);
    free(bd.own_head);
    free(bd.own_next);
    return a;
}

static size_t ac_memory(const void *impl)
{
    const struct ac *a = impl;
    return sizeof(*a) + (size_t)a->n_states * a->nc * 4 + ((size_t)a->n_rows + 1) * 4 +
           a->n_out * (4 + sizeof(struct ac_out));
}

static void *ac_scratch_new(const void *impl)
{
    (void)impl;
    return NULL; /* the DFA needs no per-thread state beyond the match buffer */
}

static void ac_scratch_free(void *scratch)
{
    (void)scratch;
}

/* p[0..n) == q[0..n), 8 bytes at a time: the tails are short, a libc call
 * would cost more than the compare. */
static inline bool tail_equal(const unsigned char *p, const char *q, uint32_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, p, 8);
        memcpy(&y, q, 8);
        if (x != y)
            return false;
        p += 8, q += 8, n -= 8;
    }
    while (n > 0) {
        if (*p != (unsigned char)*q)
            return false;
        p++, q++, n--;
    }
    return true;
}

/* Rare path: the state reached after byte end-1 has outputs, i.e. the
 * DFA prefixes (first AC_DEPTH bytes) of these patterns end here. Shorter
 * patterns match; longer ones are verified against the text. Prefixes ending
 * at or before `min_end` belong to the previous lane. */
static void ac_emit(const struct ac *a, uint32_t v, const unsigned char *t, uint32_t n,
                    uint32_t end, uint32_t min_end, struct nr_match_buf *out)
{
    if (end <= min_end)
        return;
    /* state = premultiplied / nc without a divide: the value is an exact
     * multiple s * nc below 2^32 (states below 2^31 / nc plus the out_min
     * gap), and with recip = ceil(2^32 / nc) the error s * (nc * recip -
     * 2^32) / 2^32 stays below 1, so the 32.32 reciprocal is exact */
    uint32_t s = (uint32_t)(((uint64_t)v * a->nc_recip) >> 32);
    for (uint32_t k = a->out_off[s]; k < a->out_off[s + 1]; k++) {
        const struct ac_out *o = &a->outs[k];
        uint32_t len = o->len;
        if (len <= AC_DEPTH) {
            nr_match_buf_push(out, o->id, end - len, end);
            continue;
        }
        uint32_t start = end - AC_DEPTH, rest = len - AC_DEPTH;
        if (len > n - start)
            continue;
        if (end + 8 <= n) {
            /* the first 8 tail bytes against the record: most candidates
             * fail here, and a tail of at most 8 bytes is decided here */
            uint64_t x;
            memcpy(&x, t + end, 8);
            if ((x & o->mask) != o->tail)
                continue;
            if (rest <= 8) {
                nr_match_buf_push(out, o->id, start, start + len);
                continue;
            }
        }
        if (tail_equal(t + end, a->pat_bytes + o->off + AC_DEPTH, rest))
            nr_match_buf_push(out, o->id, start, start + len);
    }
}

/* One DFA step. v is the previous transition as stored (the target
 * premultiplied, >= out_min when it has outputs: ac_renumber), so it is the
 * next row's index as it is. 64-bit arithmetic spares the zero-extensions a
 * uint32 index costs. */
#define AC_STEP(v, c) ((uint64_t)delta[(v) + cls[(c)]])

static void ac_scan_one(const struct ac *a, const unsigned char *t, uint32_t to_n, uint32_t from,
                        uint32_t to, uint32_t min_end, struct nr_match_buf *out)
{
    const uint32_t *delta = a->delta;
    const uint8_t *cls = a->cls;
    const uint64_t omin = a->out_min;
    uint64_t v = 0;
    for (uint32_t i = from; i < to; i++) {
        v = AC_STEP(v, t[i]);
        if (__builtin_expect(v >= omin, 0))
            ac_emit(a, (uint32_t)v, t, to_n, i + 1, min_end, out);
    }
}

/* The lanes whose state has outputs, after `done` lockstep bytes. Out of
 * line: inlined, the compiler keeps a position per lane up to date in the
 * hot loop for this rare path. */
__attribute__((noinline)) static void ac_emit_lanes(const struct ac *a, const unsigned char *t,
                                                    uint32_t n, const uint32_t *pos,
                                                    const uint32_t *cut, uint32_t done, uint64_t v0,
                                                    uint64_t v1, uint64_t v2, uint64_t v3,
                                                    struct nr_match_buf *out)
{
    if (v0 >= a->out_min)
        ac_emit(a, (uint32_t)v0, t, n, pos[0] + done, cut[0], out);
    if (v1 >= a->out_min)
        ac_emit(a, (uint32_t)v1, t, n, pos[1] + done, cut[1], out);
    if (v2 >= a->out_min)
        ac_emit(a, (uint32_t)v2, t, n, pos[2] + done, cut[2], out);
    if (v3 >= a->out_min)
        ac_emit(a, (uint32_t)v3, t, n, pos[3] + done, cut[3], out);
}

static void ac_scan(const void *impl, void *scratch, const char *text, size_t len,
                    struct nr_match_buf *out)
{
    (void)scratch;
    const struct ac *a = impl;
    const unsigned char *t = (const unsigned char *)text;
    uint32_t n = (uint32_t)len;
    if (n < AC_LANE_MIN || a->maxlen * 4u > n) {
        ac_scan_one(a, t, n, 0, n, 0, out);
        return;
    }
    /* Lane k reports matches ending in (cut[k], cut[k+1]] and starts
     * maxlen - 1 bytes before its cut so a match spanning it is seen whole. */
    uint32_t cut[AC_LANES + 1], pos[AC_LANES];
    uint64_t st[AC_LANES];
    for (int k = 0; k <= AC_LANES; k++)
        cut[k] = (uint32_t)((uint64_t)n * (uint64_t)k / AC_LANES);
    for (int k = 0; k < AC_LANES; k++)
        pos[k] = k == 0 ? 0 : cut[k] - (a->maxlen - 1);
    uint32_t steps = UINT32_MAX;
    for (int k = 0; k < AC_LANES; k++)
        if (cut[k + 1] - pos[k] < steps)
            steps = cut[k + 1] - pos[k];
    const uint32_t *delta = a->delta;
    const uint8_t *cls = a->cls;
    const uint64_t omin = a->out_min;
    /* Lanes in locals (not arrays) so the loop keeps them in registers;
     * the pointers are at the lanes' lockstep ends and the index runs from
     * -steps up to 0, so no bound needs a register of its own. */
    const unsigned char *e0 = t + pos[0] + steps, *e1 = t + pos[1] + steps;
    const unsigned char *e2 = t + pos[2] + steps, *e3 = t + pos[3] + steps;
    uint64_t v0 = 0, v1 = 0, v2 = 0, v3 = 0;
    for (ptrdiff_t i = -(ptrdiff_t)steps; i < 0; i++) {
        v0 = AC_STEP(v0, e0[i]);
        v1 = AC_STEP(v1, e1[i]);
        v2 = AC_STEP(v2, e2[i]);
        v3 = AC_STEP(v3, e3[i]);
        if (__builtin_expect((v0 | v1 | v2 | v3) >= omin, 0))
            ac_emit_lanes(a, t, n, pos, cut, (uint32_t)(steps + i) + 1, v0, v1, v2, v3, out);
    }
    st[0] = v0, st[1] = v1, st[2] = v2, st[3] = v3;
    /* finish each lane alone */
    for (int k = 0; k < AC_LANES; k++) {
        uint64_t v = st[k];
        for (uint32_t i = pos[k] + steps; i < cut[k + 1]; i++) {
            v = AC_STEP(v, t[i]);
            if (__builtin_expect(v >= omin, 0))
                ac_emit(a, (uint32_t)v, t, n, i + 1, k == 0 ? 0 : cut[k], out);
        }
    }
}
#undef AC_STEP

const struct nr_matcher_ops nr_matcher_ac_ops = {
    .name = "aho-corasick",
    .compile = ac_compile,
    .free = ac_free,
    .memory = ac_memory,
    .scratch_new = ac_scratch_new,
    .scratch_free = ac_scratch_free,
    .scan = ac_scan,
};
