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
 * carries, in its `newsradar.src` header, the input partition (a 64-bit id
 * of topic and partition) and offset of the article of each of its
 * records. One stage 1 at a time owns an input partition and sends its
 * articles in offset order, and a repartition partition keeps that order,
 * so within one repartition partition the offsets of a source only grow,
 * except where an article is sent again. Stage 2 keeps, per repartition
 * partition, the highest offset of each source seen in earlier messages
 * (a message's records all come from one stage-1 poll, so none of them is a
 * repeat of another) and drops a record at or below it. The table is
 * checkpointed with the window state: in at_least_once as of the
 * checkpoint's committed offset (lowered below the events still held,
 * whose messages are read again), in exactly_once as it stands (the held
 * events are in the checkpoint).
 *
 * Header form, little-endian: u8 version (1), u16 n_runs, then n_runs x
 * { u64 source id, i64 offset, u32 n_records }: the records of the message
 * in order, consecutive ones of one article as one run. A message without
 * the header (earlier versions) is counted as before.
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
    uint32_t n;
};

/* The runs of one message, stage 1 side (built) or stage 2 side (decoded). */
struct nr_srcpos_runs {
    struct nr_srcpos_run *v;
    size_t n, cap;
    uint32_t records; /* sum of v[].n */
};
/* One more record of (src, offset): extends the last run or starts one. */
void nr_srcpos_add(struct nr_srcpos_runs *r, uint64_t src, int64_t offset);
void nr_srcpos_clear(struct nr_srcpos_runs *r);
void nr_srcpos_free(struct nr_srcpos_runs *r);
/* The header value; *out is malloc'd (the caller frees it). */
void nr_srcpos_encode(const struct nr_srcpos_runs *r, uint8_t **out, size_t *len);
/* Replace r by the runs of a header value: 0, or -1 with a message (r is
 * then empty). */
int nr_srcpos_decode(struct nr_srcpos_runs *r, const void *buf, size_t len, struct nr_error *err);
/* The run of record i (0-based), NULL past the end. */
const struct nr_srcpos_run *nr_srcpos_at(const struct nr_srcpos_runs *r, uint32_t i);

/* Per repartition partition: the highest offset of each source seen. */
struct nr_srcpos_entry {
    uint64_t src;
    int64_t hi;
};
struct nr_srcpos_table {
    struct nr_srcpos_entry *v; /* unsorted; sources are few (input partitions) */
    size_t n, cap;
};
/* True when (src, offset) is at or below what was seen: a repeat. */
bool nr_srcpos_seen(const struct nr_srcpos_table *t, uint64_t src, int64_t offset);
/* A message's records are in: raise each run's source to its offset. */
void nr_srcpos_note(struct nr_srcpos_table *t, const struct nr_srcpos_runs *r);
/* Lower src's entry to below offset (an event still held, whose message is
 * read again after a restart); no entry: nothing. */
void nr_srcpos_lower(struct nr_srcpos_table *t, uint64_t src, int64_t offset);
void nr_srcpos_table_free(struct nr_srcpos_table *t);
/* Checkpoint form: u8 version (1), u32 n, n x { u64 src, i64 hi }. */
void nr_srcpos_table_encode(const struct nr_srcpos_table *t, uint8_t **out, size_t *len);
/* Replace t by a checkpoint: 0, or -1 with a message (t is then empty). */
int nr_srcpos_table_decode(struct nr_srcpos_table *t, const void *buf, size_t len,
                           struct nr_error *err);

#endif
