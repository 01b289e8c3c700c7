/*
 * watermark.h - event-time synchronisation across input partitions, so that
 * a backlog spread over several partitions gives the alerts of `replay`.
 *
 * A source is one input partition. Its watermark is the largest event time
 * of the articles read from it so far (every article, tagged or not: in
 * replay every article moves stream time). Stage 1 reads its partitions in
 * event-time order by pausing those whose watermark runs ahead of the
 * slowest by more than a lead (nr_wm_pace), and every repartition message
 * carries the watermarks of the sources its instance owns (a header,
 * nr_wm_encode). Stage 2 keeps, per repartition partition, the latest
 * watermark of every source (struct nr_wm_table) and holds count events in
 * event-time order (struct nr_evq) until the minimum watermark over the
 * sources has passed them (Flink's rule; Kafka Streams picks the smallest
 * head timestamp the same way). A source that has no more data is reported
 * idle by stage 1 (Kafka Streams' max.task.idle.ms) and no longer holds the
 * others back; one stage 2 has not heard of for a while is ignored.
 *
 * Each source also reports the earliest event time it produced a count
 * event for: the detectors scale their baselines by the time observed since
 * the first event of the whole stream, which replay knows and one
 * repartition partition alone does not.
 *
 * Pure logic and buffers, no I/O, no clock: times in seconds are passed in.
 */
#ifndef NEWSRADAR_WATERMARK_H
#define NEWSRADAR_WATERMARK_H

#include "newsradar/common.h"

/* ---- stage 1: pacing the input partitions ---------------------------------- */

struct nr_wm_src {
    int64_t wm;       /* largest event time read, NR_TIME_NONE before the first */
    int64_t first_ms; /* earliest event time of a count event made, or NR_TIME_NONE */
    double active_at; /* last time a message arrived or the partition was resumed */
    bool paused;      /* by nr_wm_pace's advice (the caller applies it) */
    bool behind;      /* not known to be read to its end (lag > 0, or position unknown) */
};

void nr_wm_src_init(struct nr_wm_src *s, double now);
/* One article of the source read, at event time t; with_events: it made
 * count events. */
void nr_wm_src_article(struct nr_wm_src *s, int64_t t, bool with_events, double now);
/* Idle: not paused, known to be read to its end, nothing arrived for idle_s. */
bool nr_wm_src_idle(const struct nr_wm_src *s, double now, double idle_s);

/* Which of n sources should be paused now: those whose watermark is more
 * than lead_ms ahead of the slowest source that is neither idle nor paused
 * (a paused one is resumed once within lead_ms / 2, so that a source does
 * not flap). A source without a watermark yet, not idle, holds every other
 * one back. want[i] gets the advice; returns how many changed. */
size_t nr_wm_pace(const struct nr_wm_src *src, size_t n, double now, double idle_s, int64_t lead_ms,
                  bool *want);

/* ---- the watermark header of a repartition message ------------------------ */

#define NR_WM_IDLE 1u /* flag: the source has no more data for now */

struct nr_wm_mark {
    const char *topic; /* borrowed (decode: points into the header) */
    size_t topic_len;
    int32_t partition;
    int64_t wm, first_ms; /* NR_TIME_NONE when unknown */
    uint8_t flags;
};

/* Format 1: u8 version (1), u16 n, n x { u16 topic length, topic, i32
 * partition, i64 wm, i64 first_ms, u8 flags }, little-endian. */
void nr_wm_encode(const struct nr_wm_mark *m, size_t n, uint8_t **buf, size_t *cap, size_t *len);
/* Calls fn for each mark; 0, or -1 with a message (nothing reported). */
typedef void (*nr_wm_mark_fn)(void *ud, const struct nr_wm_mark *m);
int nr_wm_decode(const void *buf, size_t len, nr_wm_mark_fn fn, void *ud, struct nr_error *err);

/* ---- stage 2: the minimum over the sources --------------------------------- */

struct nr_wm_entry {
    char *topic;
    int32_t partition;
    int64_t wm, first_ms;
    bool idle, heard;
    double heard_at; /* or the time it was expected */
};

struct nr_wm_table {
    struct nr_wm_entry *v;
    size_t n, cap;
};

void nr_wm_table_free(struct nr_wm_table *t);
/* A source that exists (from metadata): it holds the others back until it
 * is heard of, or silent_s passed (nr_wm_table_min). */
void nr_wm_table_expect(struct nr_wm_table *t, const char *topic, int32_t partition, double now);
/* A mark read from a message; watermarks and first times never go back. */
void nr_wm_table_update(struct nr_wm_table *t, const struct nr_wm_mark *m, double now);

struct nr_wm_now {
    int64_t release;  /* events at or before this time may be counted (INT64_MAX: all) */
    int64_t advance;  /* stream time may move to this (NR_TIME_NONE: not yet) */
    int64_t first_ms; /* earliest count event of any source, NR_TIME_NONE */
    size_t waiting;   /* sources holding the others back */
    int64_t strict;   /* release if silent sources were waited for too */
};
/* The minimum watermark over the sources that are heard of within silent_s
 * and not idle; a source expected or heard without a watermark blocks
 * (release = INT64_MIN). With no source holding back, everything may be
 * released and stream time moves to the largest watermark. */
void nr_wm_table_min(const struct nr_wm_table *t, double now, double silent_s,
                     struct nr_wm_now *out);

/* ---- stage 2: count events held until the watermark passes them ------------ */

struct nr_evq_item {
    int64_t t;      /* event time */
    uint64_t seq;   /* arrival order, for ties */
    int64_t offset; /* of the message it came in */
    void *opaque;   /* the caller's (its offset-tracker entry) */
    uint8_t *rec;   /* a copy of the encoded event */
    uint32_t len;
    uint64_t src;     /* its position (srcpos.h): input partition, 0 unknown, */
    int64_t src_off;  /* offset there */
    uint32_t src_idx; /* and index among that message's records */
};

struct nr_evq {
    struct nr_evq_item *h; /* binary min-heap on (t, seq) */
    size_t n, cap;
    size_t bytes; /* held in rec copies */
    uint64_t seq;
};

void nr_evq_push(struct nr_evq *q, int64_t t, int64_t offset, void *opaque, const void *rec,
                 size_t len);
/* The same with the position of the event's article (srcpos.h). */
void nr_evq_push_src(struct nr_evq *q, int64_t t, int64_t offset, void *opaque, const void *rec,
                     size_t len, uint64_t src, int64_t src_off, uint32_t src_idx);
/* The earliest item, or NULL when empty. */
const struct nr_evq_item *nr_evq_top(const struct nr_evq *q);
/* Remove the earliest into *out (the caller frees out->rec); false if empty. */
bool nr_evq_pop(struct nr_evq *q, struct nr_evq_item *out);
/* Smallest message offset still held, or -1 when empty (O(n)). */
int64_t nr_evq_min_offset(const struct nr_evq *q);
void nr_evq_clear(struct nr_evq *q); /* drop everything held, memory of the heap kept */
void nr_evq_free(struct nr_evq *q);

#endif
