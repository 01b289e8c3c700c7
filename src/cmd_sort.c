/*
 * cmd_sort.c - `replay --sort`: order the articles of an input by event time
 * with bounded memory.
 *
 * Unsorted input changes the alerts (articles behind stream time by more
 * than the grace are late), so a shuffled archive must be sorted before it
 * is replayed. Each JSON text is opened with the engine's own decoder; every
 * article of an array or envelope becomes its own item (its JSON text, its
 * key = published time, its input sequence number and line). Items collect
 * in an arena; when the arena passes the memory cap they are sorted (qsort
 * on key, then sequence: stable) and written as a run to an unlinked
 * temporary file (tmpfile(3), in $TMPDIR). At the end the runs are merged
 * with a binary heap, one record per run in memory: O(N log N) time,
 * `mem` + one record per run of memory, the input's size on disk. An input
 * that fits is sorted in memory and never touches the disk.
 *
 * An article without a usable time takes the key of the article before it,
 * so it stays beside its neighbours (replay gives it the stream time
 * anyway). A text that is not valid JSON is kept as it is, in its place,
 * for the replay to report with its line.
 */
#include "cmd_sort.h"

#include "cmd.h"

#include "newsradar/article.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
    int64_t key;
    uint64_t seq, line;
    size_t off, len;
};

/* a record in a run file */
struct rec_hdr {
    int64_t key;
    uint64_t seq, line, len;
};

struct run {
    FILE *f;
    struct rec_hdr h;
    char *buf;
    size_t cap;
    bool done;
};

struct sorter {
    struct item *v;
    size_t n, cap;
    char *arena;
    size_t used, acap, mem;
    struct run *runs;
    size_t n_runs, runs_cap;
    uint64_t seq;
    int64_t last_key;
};

int nr_cli_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || *s == '-')
        return -1;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end || v > (~0ULL >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

static int item_cmp(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int spill(struct sorter *s, struct nr_error *err)
{
    qsort(s->v, s->n, sizeof(*s->v), item_cmp);
    FILE *f = tmpfile();
    if (!f) {
        nr_error_set(err, "cannot create a temporary file: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        const struct item *it = &s->v[i];
        struct rec_hdr h = {it->key, it->seq, it->line, it->len};
        if (fwrite(&h, sizeof(h), 1, f) != 1 ||
            fwrite(s->arena + it->off, 1, it->len, f) != it->len) {
            nr_error_set(err, "writing a sorted run: %s", strerror(errno));
            fclose(f);
            return -1;
        }
    }
    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
        nr_error_set(err, "writing a sorted run: %s", strerror(errno));
        fclose(f);
        return -1;
    }
    nr_grow((void **)&s->runs, &s->runs_cap, s->n_runs + 1, sizeof(*s->runs));
    s->runs[s->n_runs++] = (struct run){.f = f};
    s->n = 0;
    s->used = 0;
    return 0;
}

static int add(struct sorter *s, const char *p, size_t n, int64_t key, uint64_t line,
               struct nr_error *err)
{
    if (s->used + n > s->mem && s->n > 0 && spill(s, err) < 0)
        return -1;
    nr_grow((void **)&s->arena, &s->acap, s->used + n, 1);
    memcpy(s->arena + s->used, p, n);
    nr_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
    s->v[s->n++] = (struct item){key, s->seq++, line, s->used, n};
    s->used += n;
    return 0;
}

/* Split one text into its articles and add each with its key. */
static int add_text(struct sorter *s, struct nr_decoder *d, const char *p, size_t n, uint64_t line,
                    struct nr_error *err)
{
    enum nr_reject why;
    struct nr_error derr;
    size_t k = nr_article_open(d, p, n, &why, &derr);
    if (why != NR_REJECT_NONE || k == 0)
        return why != NR_REJECT_NONE ? add(s, p, n, s->last_key, line, err) : 0;
    for (size_t i = 0; i < k; i++) {
        struct nr_article a;
        if (nr_article_record(d, i, &a, &derr) == NR_REJECT_NONE && a.published_ms != NR_TIME_NONE)
            s->last_key = a.published_ms;
        struct nr_str t = nr_article_record_text(d, i);
        if (add(s, t.p, t.len, s->last_key, line, err) < 0)
            return -1;
    }
    return 0;
}

static bool run_read(struct run *r)
{
    if (fread(&r->h, sizeof(r->h), 1, r->f) != 1) {
        r->done = true;
        return false;
    }
    nr_grow((void **)&r->buf, &r->cap, (size_t)r->h.len + 1, 1);
    if (fread(r->buf, 1, (size_t)r->h.len, r->f) != r->h.len) {
        r->done = true;
        return false;
    }
    return true;
}

static bool run_less(const struct run *a, const struct run *b)
{
    if (a->h.key != b->h.key)
        return a->h.key < b->h.key;
    return a->h.seq < b->h.seq;
}

static void sift_down(struct run **heap, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && run_less(heap[l], heap[m]))
            m = l;
        if (r < n && run_less(heap[r], heap[m]))
            m = r;
        if (m == i)
            return;
        struct run *t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

static void merge(struct sorter *s, nr_sorted_fn fn, void *ud)
{
    struct run **heap = nr_xcalloc(s->n_runs ? s->n_runs : 1, sizeof(*heap));
    size_t n = 0;
    for (size_t i = 0; i < s->n_runs; i++)
        if (run_read(&s->runs[i]))
            heap[n++] = &s->runs[i];
    for (size_t i = n; i-- > 0;)
        sift_down(heap, n, i);
    while (n > 0) {
        struct run *r = heap[0];
        if (!fn(ud, r->buf, (size_t)r->h.len, r->h.line))
            break;
        if (!run_read(r))
            heap[0] = heap[--n];
        sift_down(heap, n, 0);
    }
    free(heap);
}

int nr_cli_sort(const struct nr_config *cfg, struct input *in, size_t mem, nr_sorted_fn fn,
                void *ud, uint64_t *too_long, struct nr_error *err)
{
    struct sorter s = {.mem = mem, .last_key = INT64_MIN};
    struct nr_decoder *d = nr_decoder_new(cfg);
    int rc = -1;
    *too_long = 0;
    for (;;) {
        char *p;
        size_t n;
        uint64_t line;
        int got = input_next(in, &p, &n, &line);
        if (got == INPUT_EOF)
            break;
        if (got == INPUT_ERROR) {
            nr_error_set(err, "read error: %s", strerror(errno));
            goto out;
        }
        if (got == INPUT_TOO_LONG) {
            (*too_long)++;
            if (!fn(ud, NULL, n, line))
                goto done;
            continue;
        }
        if (add_text(&s, d, p, n, line, err) < 0)
            goto out;
    }
    if (s.n_runs == 0) {
        qsort(s.v, s.n, sizeof(*s.v), item_cmp);
        for (size_t i = 0; i < s.n; i++)
            if (!fn(ud, s.arena + s.v[i].off, s.v[i].len, s.v[i].line))
                break;
    } else {
        if (s.n > 0 && spill(&s, err) < 0)
            goto out;
        free(s.arena); /* the merge needs one record per run, not the arena */
        s.arena = NULL;
        s.acap = 0;
        merge(&s, fn, ud);
    }
done:
    rc = 0;
out:
    for (size_t i = 0; i < s.n_runs; i++) {
        fclose(s.runs[i].f);
        free(s.runs[i].buf);
    }
    free(s.runs);
    free(s.v);
    free(s.arena);
    nr_decoder_free(d);
    return rc;
}
