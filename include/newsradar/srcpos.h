/*
 * srcpos.h - source positions: which input article each count event came
 * from, so that stage 2 counts an article's events once however often
 * stage 1 sends them.
 *
 * In at_least_once, a stage 1 that restarts (a crash, a rebalance) reads
 * its input again from the last committed offset and sends the count
 * events of those articles a second time; a stage 2 that restarts reads the
 * repartition topic again from its last committed offset, past events its
 * restored state already counted. The per-key history (dedup.c) catches a
 * repeat only among the key's last `engine.history` articles: a busy key
 * (a global rule during a backlog) counted some twice, its baseline grew,
 * and episodes fired at other times or not at all (test_eos, 50,000
 * articles: 13 of replay's alerts missing after 10 crashes).
 *
 * The remedy is the idempotent consumer's: every repartition message
 * carries, in its `newsradar.src` header, the position of each of its
 * records: the input partition (a 64-bit id of topic and partition) and
 * offset of its input message, and its index among the records that
 * message gave this repartition partition (an input message may hold many
 * articles, and its records may be split over two batches). One stage 1
 * at a time owns an input partition and sends its messages in offset
 * order, and a repartition partition keeps that order, so within one
 * repartition partition the positions of a source only grow, except where
 * a message is sent again. Stage 2 keeps, per repartition partition, the
 * highest position of each source and drops a record at or below it. The
 * table is checkpointed with the window state: in at_least_once as of the
 * checkpoint's committed offset (lowered below the events still held,
 * whose messages are read again), in exactly_once as it stands (the held
 * events are in the checkpoint).
 *
 * What this assumes: a repartition message that failed for good is never
 * followed by a delivered one of the same source (stage 1 stops the
 * instance on such a failure: svc_produce.c), and an input partition's
 * offsets only grow (a topic recreated, or a group's offsets reset to
 * re-read, needs its changelog reset too: docs/operations.md).
 *
 * Header form, little-endian: u8 version (1), u16 n_runs, then n_runs x
 * { u64 source id, i64 offset, u32 first index, u32 n_records }: the
 * records of the message in order, consecutive positions as one run. A
 * message without the header (earlier versions) is counted as before.
 */
#ifndef NEWSRADAR_SRCPOS_H
#define NEWSRADAR_SRCPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newsradar/common.h"

#define NR_SRCPOS_HEADER "newsradar.src"

/* The id of an input partition (never 0). */
uint64_t nr_srcpos_id(const char *topic, int32_t partition);

struct nr_srcpos_run {
    uint64_t src;
    int64_t offset;
    uint32_t first; /* index of its first record among those of (src, offset) */
    uint32_t n;
};

/* The runs of one message, stage 1 side (built) or stage 2 side (decoded). */
struct nr_srcpos_runs {
    struct nr_srcpos_run *v;
    size_t n, cap;
    uint32_t records; /* sum of v[].n */
};
/* One more record at (src, offset, index): extends the last run or starts
 * one. */
void nr_srcpos_add(struct nr_srcpos_runs *r, uint64_t src, int64_t offset, uint32_t index);
void nr_srcpos_clear(struct nr_srcpos_runs *r);
void nr_srcpos_free(struct nr_srcpos_runs *r);
/* The header value; *out is malloc'd (the caller frees it). */
void nr_srcpos_encode(const struct nr_srcpos_runs *r, uint8_t **out, size_t *len);
/* Replace r by the runs of a header value: 0, or -1 with a message (r is
 * then empty). Encoded runs are at most UINT16_MAX (a stage-1 batch comes
 * from one poll of at most a few hundred input messages). */
int nr_srcpos_decode(struct nr_srcpos_runs *r, const void *buf, size_t len, struct nr_error *err);
/* The position of record i (0-based) of the message: false past the end. */
bool nr_srcpos_at(const struct nr_srcpos_runs *r, uint32_t i, uint64_t *src, int64_t *offset,
                  uint32_t *index);

/* Per repartition partition: the highest position of each source seen. */
struct nr_srcpos_entry {
    uint64_t src;
    int64_t hi;      /* offset */
    uint32_t hi_idx; /* and index there (UINT32_MAX: all of that offset) */
};
struct nr_srcpos_table {
    struct nr_srcpos_entry *v; /* unsorted; sources are few (input partitions) */
    size_t n, cap;
};
/* True when (src, offset, index) is at or below what was seen: a repeat. */
bool nr_srcpos_seen(const struct nr_srcpos_table *t, uint64_t src, int64_t offset, uint32_t index);
/* A message's records are in: raise each run's source to its last
 * position. */
void nr_srcpos_note(struct nr_srcpos_table *t, const struct nr_srcpos_runs *r);
/* Lower src's entry to just below (offset, index) (an event still held,
 * whose message is read again after a restart); no entry: nothing. */
void nr_srcpos_lower(struct nr_srcpos_table *t, uint64_t src, int64_t offset, uint32_t index);
void nr_srcpos_table_free(struct nr_srcpos_table *t);
/* Checkpoint form: u8 version (1), u32 n, n x { u64 src, i64 hi, u32
 * hi_idx }. */
void nr_srcpos_table_encode(const struct nr_srcpos_table *t, uint8_t **out, size_t *len);
/* Replace t by a checkpoint: 0, or -1 with a message (t is then empty).
 * A table holds one entry per input partition: at most this many. */
#define NR_SRCPOS_TABLE_MAX 65536
int nr_srcpos_table_decode(struct nr_srcpos_table *t, const void *buf, size_t len,
                           struct nr_error *err);

#endif
