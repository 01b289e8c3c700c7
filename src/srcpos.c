/*
 * srcpos.c - source positions of count events (srcpos.h): the header that
 * says which input article each record of a repartition message came from,
 * and stage 2's table of the highest offset seen per source.
 *
 * The table is a plain array searched linearly: its sources are the input
 * partitions (tens), and it is looked up once per record, a few compares
 * next to decoding the record.
 */
#include "newsradar/srcpos.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/bytes.h"

#define SRCPOS_VERSION 1
#define RUN_BYTES      24 /* u64 + i64 + u32 + u32 */
#define ENTRY_BYTES    20 /* u64 + i64 + u32 */

uint64_t nr_srcpos_id(const char *topic, int32_t partition)
{
    uint64_t h = nr_hash64(topic, strlen(topic), (uint64_t)(uint32_t)partition + 1);
    return h ? h : 1;
}

void nr_srcpos_add(struct nr_srcpos_runs *r, uint64_t src, int64_t offset, uint32_t index)
{
    r->records++;
    struct nr_srcpos_run *l = r->n ? &r->v[r->n - 1] : NULL;
    if (l && l->src == src && l->offset == offset && l->n < UINT32_MAX &&
        (uint64_t)l->first + l->n == index) {
        l->n++;
        return;
    }
    nr_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v));
    r->v[r->n++] = (struct nr_srcpos_run){src, offset, index, 1};
}

void nr_srcpos_clear(struct nr_srcpos_runs *r)
{
    r->n = 0;
    r->records = 0;
}

void nr_srcpos_free(struct nr_srcpos_runs *r)
{
    free(r->v);
    memset(r, 0, sizeof(*r));
}

void nr_srcpos_encode(const struct nr_srcpos_runs *r, uint8_t **out, size_t *len)
{
    size_t n = r->n > UINT16_MAX ? UINT16_MAX : r->n; /* not reached: see srcpos.h */
    uint8_t *p = nr_xmalloc(3 + n * RUN_BYTES), *q = p;
    *q++ = SRCPOS_VERSION;
    q = nr_le16_put(q, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        q = nr_le64_put(q, r->v[i].src);
        q = nr_le64_put(q, (uint64_t)r->v[i].offset);
        q = nr_le32_put(q, r->v[i].first);
        q = nr_le32_put(q, r->v[i].n);
    }
    *out = p;
    *len = (size_t)(q - p);
}

int nr_srcpos_decode(struct nr_srcpos_runs *r, const void *buf, size_t len, struct nr_error *err)
{
    nr_srcpos_clear(r);
    struct nr_rbuf rb = {buf, len, 0, false};
    uint8_t ver = nr_rbuf_u8(&rb);
    uint32_t n = nr_rbuf_u16(&rb);
    if (rb.bad || ver != SRCPOS_VERSION) {
        nr_error_set(err, "%s header: %s", NR_SRCPOS_HEADER,
                     rb.bad ? "truncated" : "unknown version");
        return -1;
    }
    if (nr_rbuf_left(&rb) != (size_t)n * RUN_BYTES) {
        nr_error_set(err, "%s header: %zu bytes for %" PRIu32 " runs", NR_SRCPOS_HEADER,
                     nr_rbuf_left(&rb), n);
        return -1;
    }
    nr_grow((void **)&r->v, &r->cap, n ? n : 1, sizeof(*r->v));
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct nr_srcpos_run run;
        run.src = nr_rbuf_u64(&rb);
        run.offset = (int64_t)nr_rbuf_u64(&rb);
        run.first = nr_rbuf_u32(&rb);
        run.n = nr_rbuf_u32(&rb);
        if (run.n == 0 || run.offset < 0 || run.src == 0 ||
            (uint64_t)run.first + run.n - 1 >= UINT32_MAX) {
            nr_error_set(err, "%s header: run %" PRIu32 " is invalid", NR_SRCPOS_HEADER, i);
            nr_srcpos_clear(r);
            return -1;
        }
        total += run.n;
        r->v[r->n++] = run;
    }
    if (total > UINT32_MAX) {
        nr_error_set(err, "%s header: too many records", NR_SRCPOS_HEADER);
        nr_srcpos_clear(r);
        return -1;
    }
    r->records = (uint32_t)total;
    return 0;
}

bool nr_srcpos_at(const struct nr_srcpos_runs *r, uint32_t i, uint64_t *src, int64_t *offset,
                  uint32_t *index)
{
    for (size_t k = 0; k < r->n; k++) {
        if (i < r->v[k].n) {
            *src = r->v[k].src;
            *offset = r->v[k].offset;
            *index = r->v[k].first + i;
            return true;
        }
        i -= r->v[k].n;
    }
    return false;
}

static struct nr_srcpos_entry *find(const struct nr_srcpos_table *t, uint64_t src)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].src == src)
            return &t->v[i];
    return NULL;
}

/* (o, i) at or before (e->hi, e->hi_idx) */
static bool not_after(const struct nr_srcpos_entry *e, int64_t o, uint32_t i)
{
    return o < e->hi || (o == e->hi && i <= e->hi_idx);
}

bool nr_srcpos_seen(const struct nr_srcpos_table *t, uint64_t src, int64_t offset, uint32_t index)
{
    const struct nr_srcpos_entry *e = find(t, src);
    return e && not_after(e, offset, index);
}

void nr_srcpos_note(struct nr_srcpos_table *t, const struct nr_srcpos_runs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct nr_srcpos_run *run = &r->v[i];
        uint32_t last = run->first + run->n - 1;
        struct nr_srcpos_entry *e = find(t, run->src);
        if (!e) {
            nr_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v));
            e = &t->v[t->n++];
            *e = (struct nr_srcpos_entry){run->src, run->offset, last};
        } else if (!not_after(e, run->offset, last)) {
            e->hi = run->offset;
            e->hi_idx = last;
        }
    }
}

void nr_srcpos_lower(struct nr_srcpos_table *t, uint64_t src, int64_t offset, uint32_t index)
{
    struct nr_srcpos_entry *e = find(t, src);
    if (!e || !not_after(e, offset, index))
        return;
    if (index > 0) {
        e->hi = offset;
        e->hi_idx = index - 1;
    } else {
        e->hi = offset - 1;
        e->hi_idx = UINT32_MAX;
    }
}

void nr_srcpos_table_free(struct nr_srcpos_table *t)
{
    free(t->v);
    memset(t, 0, sizeof(*t));
}

void nr_srcpos_table_encode(const struct nr_srcpos_table *t, uint8_t **out, size_t *len)
{
    uint8_t *p = nr_xmalloc(5 + t->n * ENTRY_BYTES), *q = p;
    *q++ = SRCPOS_VERSION;
    q = nr_le32_put(q, (uint32_t)t->n);
    for (size_t i = 0; i < t->n; i++) {
        q = nr_le64_put(q, t->v[i].src);
        q = nr_le64_put(q, (uint64_t)t->v[i].hi);
        q = nr_le32_put(q, t->v[i].hi_idx);
    }
    *out = p;
    *len = (size_t)(q - p);
}

int nr_srcpos_table_decode(struct nr_srcpos_table *t, const void *buf, size_t len,
                           struct nr_error *err)
{
    t->n = 0;
    struct nr_rbuf rb = {buf, len, 0, false};
    uint8_t ver = nr_rbuf_u8(&rb);
    uint32_t n = nr_rbuf_u32(&rb);
    if (rb.bad || ver != SRCPOS_VERSION || nr_rbuf_left(&rb) != (size_t)n * ENTRY_BYTES) {
        nr_error_set(err, "source positions: %s",
                     rb.bad                  ? "truncated"
                     : ver != SRCPOS_VERSION ? "unknown version"
                                             : "length does not match the count");
        return -1;
    }
    if (n > NR_SRCPOS_TABLE_MAX) {
        nr_error_set(err, "source positions: %" PRIu32 " entries, at most %d", n,
                     NR_SRCPOS_TABLE_MAX);
        return -1;
    }
    nr_grow((void **)&t->v, &t->cap, n ? n : 1, sizeof(*t->v));
    for (uint32_t i = 0; i < n; i++) {
        uint64_t src = nr_rbuf_u64(&rb);
        int64_t hi = (int64_t)nr_rbuf_u64(&rb);
        uint32_t hi_idx = nr_rbuf_u32(&rb);
        if (rb.bad || src == 0 || find(t, src)) {
            nr_error_set(err, "source positions: entry %" PRIu32 " is invalid", i);
            t->n = 0;
            return -1;
        }
        t->v[t->n++] = (struct nr_srcpos_entry){src, hi, hi_idx};
    }
    return 0;
}
