/*
 * watermark.c - event-time synchronisation across input partitions
 * (watermark.h): stage 1's pacing advice, the watermark header of a
 * repartition message, stage 2's table of source watermarks and its queue
 * of count events held in event-time order.
 *
 * Why a queue in stage 2 and not only pacing in stage 1: pacing bounds how
 * far sources drift apart (and so the queue's size), but fetches, poll
 * batches and several stage-1 instances still interleave events of one key
 * in whatever order they come; the queue puts them back in event-time order
 * and counts an event only when no source can still send an earlier one.
 * The table's minimum is recomputed per message: a few sources (input
 * partitions) per repartition partition, so a linear scan is cheapest.
 *
 * Why the queue holds encoded records: they are small (the wire form) and
 * decoding again at release costs ~0.1 us, while a decoded event is 4 KB of
 * fixed arrays. The heap is keyed by (event time, arrival) so ties keep the
 * order they came in.
 */
#include "newsradar/watermark.h"

#include "newsradar/bytes.h"

#include <stdlib.h>
#include <string.h>

/* ---- stage 1 ---------------------------------------------------------------- */

void nr_wm_src_init(struct nr_wm_src *s, double now)
{
    memset(s, 0, sizeof(*s));
    s->wm = NR_TIME_NONE;
    s->first_ms = NR_TIME_NONE;
    s->active_at = now;
}

void nr_wm_src_article(struct nr_wm_src *s, int64_t t, bool with_events, double now)
{
    if (t != NR_TIME_NONE) {
        if (s->wm == NR_TIME_NONE || t > s->wm)
            s->wm = t;
        if (with_events && (s->first_ms == NR_TIME_NONE || t < s->first_ms))
            s->first_ms = t;
    }
    s->active_at = now;
}

bool nr_wm_src_idle(const struct nr_wm_src *s, double now, double idle_s)
{
    return !s->paused && !s->behind && now - s->active_at >= idle_s;
}

size_t nr_wm_pace(const struct nr_wm_src *src, size_t n, double now, double idle_s, int64_t lead_ms,
                  bool *want)
{
    bool any = false, blocked = false;
    int64_t low = 0;
    for (size_t i = 0; i < n; i++) {
        const struct nr_wm_src *s = &src[i];
        if (s->paused || nr_wm_src_idle(s, now, idle_s))
            continue;
        if (s->wm == NR_TIME_NONE) {
            blocked = true; /* not read yet: may hold the earliest articles */
            continue;
        }
        if (!any || s->wm < low)
            low = s->wm;
        any = true;
    }
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        const struct nr_wm_src *s = &src[i];
        bool w;
        if (s->wm == NR_TIME_NONE)
            w = false; /* never pause what has not been read */
        else if (blocked)
            w = true;
        else if (!any)
            w = false; /* every other source is idle: nothing to wait for */
        else if (s->paused)
            w = s->wm > low + lead_ms / 2;
        else
            w = s->wm > low + lead_ms;
        want[i] = w;
        changed += w != s->paused;
    }
    return changed;
}

/* ---- the header ------------------------------------------------------------------ */

#define WM_VERSION 1u

static void put(uint8_t **buf, size_t *cap, size_t *len, const void *p, size_t n)
{
    nr_grow((void **)buf, cap, *len + n, 1);
    memcpy(*buf + *len, p, n);
    *len += n;
}

static void put_le(uint8_t **buf, size_t *cap, size_t *len, uint64_t v, int bytes)
{
    uint8_t b[8];
    nr_le_put(b, v, bytes);
    put(buf, cap, len, b, (size_t)bytes);
}

void nr_wm_encode(const struct nr_wm_mark *m, size_t n, uint8_t **buf, size_t *cap, size_t *len)
{
    *len = 0;
    if (n > UINT16_MAX)
        n = UINT16_MAX;
    put_le(buf, cap, len, WM_VERSION, 1);
    put_le(buf, cap, len, n, 2);
    for (size_t i = 0; i < n; i++) {
        size_t tl = m[i].topic_len > UINT16_MAX ? UINT16_MAX : m[i].topic_len;
        put_le(buf, cap, len, tl, 2);
        put(buf, cap, len, m[i].topic, tl);
        put_le(buf, cap, len, (uint32_t)m[i].partition, 4);
        put_le(buf, cap, len, (uint64_t)m[i].wm, 8);
        put_le(buf, cap, len, (uint64_t)m[i].first_ms, 8);
        put_le(buf, cap, len, m[i].flags, 1);
    }
}

int nr_wm_decode(const void *buf, size_t len, nr_wm_mark_fn fn, void *ud, struct nr_error *err)
{
    const uint8_t *p = buf;
    if (!p || len < 3) {
        nr_error_set(err, "watermark header: truncated");
        return -1;
    }
    if (p[0] != WM_VERSION) {
        nr_error_set(err, "watermark header format %u, this build reads %u", p[0], WM_VERSION);
        return -1;
    }
    size_t n = (size_t)nr_le_get(p + 1, 2), off = 3;
    /* validate the whole header first: nothing is reported from a bad one */
    for (int pass = 0; pass < 2; pass++) {
        off = 3;
        for (size_t i = 0; i < n; i++) {
            if (len - off < 2)
                goto truncated;
            size_t tl = (size_t)nr_le_get(p + off, 2);
            if (len - off - 2 < tl + 21)
                goto truncated;
            struct nr_wm_mark m = {
                .topic = (const char *)p + off + 2,
                .topic_len = tl,
                .partition = (int32_t)(uint32_t)nr_le_get(p + off + 2 + tl, 4),
                .wm = (int64_t)nr_le_get(p + off + 6 + tl, 8),
                .first_ms = (int64_t)nr_le_get(p + off + 14 + tl, 8),
                .flags = p[off + 22 + tl],
            };
            off += 23 + tl;
            if (tl == 0 || memchr(m.topic, 0, tl) || m.partition < 0) {
                nr_error_set(err, "watermark header: bad source %zu", i);
                return -1;
            }
            if (pass == 1 && fn)
                fn(ud, &m);
        }
        if (off != len) {
            nr_error_set(err, "watermark header: %zu trailing bytes", len - off);
            return -1;
        }
    }
    return 0;
truncated:
    nr_error_set(err, "watermark header: truncated");
    return -1;
}

/* ---- stage 2: the table ---------------------------------------------------------- */

static struct nr_wm_entry *table_get(struct nr_wm_table *t, const char *topic, size_t tl,
                                     int32_t partition, double now)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].partition == partition && strlen(t->v[i].topic) == tl &&
            memcmp(t->v[i].topic, topic, tl) == 0)
            return &t->v[i];
    nr_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v));
    struct nr_wm_entry *e = &t->v[t->n++];
    memset(e, 0, sizeof(*e));
    e->topic = nr_xstrndup(topic, tl);
    e->partition = partition;
    e->wm = e->first_ms = NR_TIME_NONE;
    e->heard_at = now;
    return e;
}

void nr_wm_table_free(struct nr_wm_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].topic);
    free(t->v);
    memset(t, 0, sizeof(*t));
}

void nr_wm_table_expect(struct nr_wm_table *t, const char *topic, int32_t partition, double now)
{
    (void)table_get(t, topic, strlen(topic), partition, now);
}

void nr_wm_table_update(struct nr_wm_table *t, const struct nr_wm_mark *m, double now)
{
    struct nr_wm_entry *e = table_get(t, m->topic, m->topic_len, m->partition, now);
    if (m->wm != NR_TIME_NONE && (e->wm == NR_TIME_NONE || m->wm > e->wm))
        e->wm = m->wm;
    if (m->first_ms != NR_TIME_NONE && (e->first_ms == NR_TIME_NONE || m->first_ms < e->first_ms))
        e->first_ms = m->first_ms;
    e->idle = (m->flags & NR_WM_IDLE) != 0;
    e->heard = true;
    e->heard_at = now;
}

void nr_wm_table_min(const struct nr_wm_table *t, double now, double silent_s,
                     struct nr_wm_now *out)
{
    bool any = false, blocked = false, any_strict = false, strict_blocked = false;
    int64_t low = 0, high = NR_TIME_NONE, low_strict = 0;
    out->first_ms = NR_TIME_NONE;
    out->waiting = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct nr_wm_entry *e = &t->v[i];
        if (e->first_ms != NR_TIME_NONE &&
            (out->first_ms == NR_TIME_NONE || e->first_ms < out->first_ms))
            out->first_ms = e->first_ms;
        if (e->wm != NR_TIME_NONE && (high == NR_TIME_NONE || e->wm > high))
            high = e->wm;
        if (e->idle)
            continue;
        if (now - e->heard_at >= silent_s) {
            if (e->wm == NR_TIME_NONE)
                strict_blocked = true;
            else if (!any_strict || e->wm < low_strict)
                low_strict = e->wm, any_strict = true;
            continue;
        }
        out->waiting++;
        if (e->wm == NR_TIME_NONE) {
            blocked = true;
            continue;
        }
        if (!any || e->wm < low)
            low = e->wm;
        any = true;
    }
    if (blocked) {
        out->release = INT64_MIN;
        out->advance = NR_TIME_NONE;
    } else if (any) {
        out->release = low;
        out->advance = low;
    } else {
        out->release = INT64_MAX;
        out->advance = high;
        out->waiting = 0;
    }
    /* what the silent sources would allow: a release past it counts events
     * that a silent source may still precede (newsradar_watermark_silent_total) */
    out->strict = out->release;
    if (strict_blocked)
        out->strict = INT64_MIN;
    else if (any_strict && low_strict < out->strict)
        out->strict = low_strict;
}

/* ---- stage 2: the queue ------------------------------------------------------------ */

static bool before(const struct nr_evq_item *a, const struct nr_evq_item *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

void nr_evq_push(struct nr_evq *q, int64_t t, int64_t offset, void *opaque, const void *rec,
                 size_t len)
{
    nr_evq_push_src(q, t, offset, opaque, rec, len, 0, -1, 0);
}

void nr_evq_push_src(struct nr_evq *q, int64_t t, int64_t offset, void *opaque, const void *rec,
                     size_t len, uint64_t src, int64_t src_off, uint32_t src_idx)
{
    nr_grow((void **)&q->h, &q->cap, q->n + 1, sizeof(*q->h));
    struct nr_evq_item it = {
        t,   q->seq++, offset, opaque, nr_xmalloc(len ? len : 1), (uint32_t)len,
        src, src_off,  src_idx};
    if (len)
        memcpy(it.rec, rec, len);
    q->bytes += len;
    size_t i = q->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!before(&it, &q->h[up]))
            break;
        q->h[i] = q->h[up];
        i = up;
    }
    q->h[i] = it;
}

const struct nr_evq_item *nr_evq_top(const struct nr_evq *q)
{
    return q->n ? &q->h[0] : NULL;
}

bool nr_evq_pop(struct nr_evq *q, struct nr_evq_item *out)
{
    if (!q->n)
        return false;
    *out = q->h[0];
    q->bytes -= out->len;
    struct nr_evq_item last = q->h[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && before(&q->h[c + 1], &q->h[c]))
            c++;
        if (!before(&q->h[c], &last))
            break;
        q->h[i] = q->h[c];
        i = c;
    }
    if (q->n)
        q->h[i] = last;
    return true;
}

int64_t nr_evq_min_offset(const struct nr_evq *q)
{
    int64_t m = -1;
    for (size_t i = 0; i < q->n; i++)
        if (m < 0 || q->h[i].offset < m)
            m = q->h[i].offset;
    return m;
}

void nr_evq_clear(struct nr_evq *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->h[i].rec);
    q->n = 0;
    q->bytes = 0;
}

void nr_evq_free(struct nr_evq *q)
{
    nr_evq_clear(q);
    free(q->h);
    memset(q, 0, sizeof(*q));
}
