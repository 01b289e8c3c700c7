/*
 * offsets.h - which input offsets may be committed (at-least-once).
 *
 * An input message may cause several produced messages (count events, dead
 * letters, alerts, changelog records). Its offset may be stored only after
 * every one of them is acknowledged by a delivery report, and offsets of one
 * partition are committed in order, so a partition's tracker is a ring of
 * in-flight messages in offset order, each with a count of what it still
 * waits for. The head advances over finished entries; the committable offset
 * is the head's offset (the next one to read after a restart).
 *
 * A partition may additionally be "held" (stage 2: window state is durable
 * only once its changelog checkpoint is delivered): then entries are
 * released only up to the last durable checkpoint.
 *
 * The ring never reallocates, so a delivery report's opaque can point at an
 * entry. A full ring means "stop consuming until deliveries catch up": that
 * is the service's backpressure. No I/O; the Kafka service drives it.
 */
#ifndef NEWSRADAR_OFFSETS_H
#define NEWSRADAR_OFFSETS_H

#include "newsradar/common.h"

struct nr_opart;

struct nr_oentry {
    struct nr_opart *part;
    int64_t offset;
    uint32_t pending; /* the processing hold + produced messages not yet acknowledged */
    bool failed;      /* a delivery failed for good: never committable */
};

struct nr_opart {
    char *topic;
    int32_t partition;
    bool hold;            /* stage 2: release only up to durable_upto */
    int64_t durable_upto; /* highest offset covered by a delivered checkpoint */
    uint32_t cap, head, n;
    struct nr_oentry *ring;
    int64_t committed;            /* last value returned by nr_opart_advance, -1 none */
    uint64_t gen;                 /* bumped by nr_opart_reset */
    uint64_t ckpt_next, ckpt_min; /* checkpoint numbers: next to start, lowest valid */
    struct nr_oentry **retired;   /* rings replaced by nr_opart_reset */
    size_t n_retired;
    struct nr_opart *next;
};

struct nr_otrack {
    struct nr_opart *parts;
    uint32_t cap_per_part;
};

void nr_otrack_init(struct nr_otrack *t, uint32_t cap_per_part);
void nr_otrack_destroy(struct nr_otrack *t);

/* Find the tracker of (topic, partition); create it when create is true.
 * Parts are never freed before nr_otrack_destroy (a late delivery report may
 * still point into one). */
struct nr_opart *nr_otrack_part(struct nr_otrack *t, const char *topic, int32_t partition,
                                bool create);

/* Start tracking offset (must be > the previous one). Returns the entry with
 * pending = 1 (the processing hold), or NULL when the ring is full. */
struct nr_oentry *nr_opart_begin(struct nr_opart *p, int64_t offset);
static inline void nr_oentry_expect(struct nr_oentry *e)
{
    e->pending++;
}
/* One awaited thing finished (ok == false: it failed for good). */
void nr_oentry_done(struct nr_oentry *e, bool ok);

/* A checkpoint covering every offset <= upto is durable now (hold mode). */
void nr_opart_durable(struct nr_opart *p, int64_t upto);

/* Checkpoints in flight (hold mode). They are numbered as they start. One
 * that fails makes worthless every checkpoint started before the failure was
 * known (they may lack what the failed one carried; the caller writes
 * everything again in its next checkpoint), and a reset starts a new
 * generation so that a late report from an earlier assignment changes
 * nothing. */
struct nr_ockpt {
    uint64_t gen, seq;
};
struct nr_ockpt nr_opart_ckpt_begin(struct nr_opart *p);
/* The checkpoint ended: ok -> offsets <= upto are durable, if it still
 * counts; !ok -> every checkpoint started so far no longer counts. */
void nr_opart_ckpt_end(struct nr_opart *p, struct nr_ockpt c, int64_t upto, bool ok);

/* Drop finished entries from the head; return the offset to commit (the
 * next to read), or -1 when nothing new is committable. */
int64_t nr_opart_advance(struct nr_opart *p);

/* Entries still in flight; whether a failure blocks this partition. */
uint32_t nr_opart_inflight(const struct nr_opart *p);
bool nr_opart_failed(const struct nr_opart *p);

/* Forget everything in flight (partition revoked after a flush deadline).
 * The old ring is retired, not reused: late reports land in memory nobody
 * reads any more. */
void nr_opart_reset(struct nr_opart *p);

/* Rings retired by resets, and freeing them: only once nothing can report
 * into them any more (the service: its producer's out-queue is empty, so
 * every delivery report has been served). */
bool nr_otrack_has_retired(const struct nr_otrack *t);
void nr_otrack_free_retired(struct nr_otrack *t);

#endif
