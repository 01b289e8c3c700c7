/*
 * dedup.h - exact and near duplicates, so that redeliveries and syndicated
 * copies do not inflate counts.
 *
 * Exact: struct nr_idset, a bounded set of recent article id hashes (one
 * per process, shared by the stage-1 workers, checked before tagging) that
 * forgets the oldest entry when full and entries older than a retention in
 * stream time. Each key's history catches the same id again too (several
 * instances of the Kafka service have no single view).
 *
 * Near: struct nr_history, per key, the last `history` articles (id hash,
 * 64-bit simhash, event time, and the reference used as alert evidence). An
 * article whose simhash differs in at most `bits` bits from one remembered
 * inside the current window is the same story: it is kept (and listed with
 * duplicate_of) but not counted.
 */
#ifndef NEWSRADAR_DEDUP_H
#define NEWSRADAR_DEDUP_H

#include "newsradar/bytes.h"
#include "newsradar/common.h"
#include "newsradar/event.h"

/* ---- engine-wide exact set ------------------------------------------------ */

struct nr_idset;

/* cap entries at most; entries older than retention_ms (stream time) expire. */
struct nr_idset *nr_idset_new(size_t cap, int64_t retention_ms);
void nr_idset_free(struct nr_idset *s);
/* true if h was already present (then nothing changes); else remembers it. */
bool nr_idset_seen(struct nr_idset *s, uint64_t h, int64_t now_ms);
size_t nr_idset_count(const struct nr_idset *s);
/* Forget every id (the state of a new set of the same size). */
void nr_idset_clear(struct nr_idset *s);

/* ---- per-key history -------------------------------------------------------- */

struct nr_hist_entry {
    uint64_t id_hash, simhash;
    int64_t event_ms, published_ms;
    /* both point into mem: co first, then the strings
     * id \0 title \0 url \0 source \0 duplicate_of \0 */
    struct nr_event_co *co;
    char *strs;
    uint32_t n_co;
    uint32_t strs_len;          /* bytes of strs, the five NULs included */
    uint32_t slen[5];           /* length of each string: a string may hold a NUL (\u0000) */
    uint8_t present;            /* bit i: string i present (id always) */
    bool duplicate;             /* near duplicate: not counted */
    char lang[NR_LANG_TAG_MAX]; /* the article's language (lang.h tag), "" unknown */
    /* the slot's buffer: kept when the ring overwrites the slot, so a key in
     * steady state stores an article without allocating */
    void *mem;
    uint32_t mem_cap;
};

struct nr_history {
    struct nr_hist_entry *v; /* ring; slots allocated as needed up to cap */
    uint32_t cap, n, head;   /* head = index of the oldest */
    uint32_t alloc;          /* slots allocated (<= cap) */
};

enum nr_dup { NR_DUP_NONE, NR_DUP_EXACT, NR_DUP_NEAR };

/* Is ev a duplicate of what the key remembers? For NR_DUP_NEAR, *orig is the
 * id of the original story (with its length, owned by the history). Near
 * duplicates are searched among entries with event_ms >= window_start_ms;
 * bits == 0 or simhash == 0 (no text) disables the near test. */
enum nr_dup nr_history_check(const struct nr_history *h, const struct nr_count_event *ev,
                             uint32_t bits, int64_t window_start_ms, struct nr_str *orig);

/* Remember ev (overwriting the oldest entry when full). dup_of.p is NULL or
 * the id of the original (copied; it may point into this history). */
void nr_history_add_dup(struct nr_history *h, uint32_t cap, const struct nr_count_event *ev,
                        struct nr_str dup_of);
/* The same with dup_of a C string (or NULL). */
void nr_history_add(struct nr_history *h, uint32_t cap, const struct nr_count_event *ev,
                    const char *dup_of);
void nr_history_clear(struct nr_history *h);

/* i-th entry, 0 = oldest. */
const struct nr_hist_entry *nr_history_at(const struct nr_history *h, uint32_t i);
/* String k of an entry (0 id, 1 title, 2 url, 3 source, 4 duplicate_of) or NULL;
 * NUL-terminated, but it may hold a NUL: nr_hist_strn has its length. */
const char *nr_hist_str(const struct nr_hist_entry *e, int k);
struct nr_str nr_hist_strn(const struct nr_hist_entry *e, int k);
/* Set e->slen from strs as five NUL-terminated strings without NULs inside
 * (the window snapshot format 2); -1 if strs is not that. */
int nr_hist_entry_split(struct nr_hist_entry *e);

/* Restore path: the slot of a new newest entry (the oldest is dropped when
 * the ring holds cap entries), with its buffer kept; NULL if cap == 0.
 * Size it with nr_hist_entry_reserve, then fill every field but mem. */
struct nr_hist_entry *nr_history_append(struct nr_history *h, uint32_t cap);
/* Make e->co hold n_co entries and e->strs strs_len bytes (contents
 * undefined); sets e->n_co and e->strs_len (the caller sets e->slen). */
void nr_hist_entry_reserve(struct nr_hist_entry *e, uint32_t n_co, size_t strs_len);

/* The history's part of a window key snapshot (format in window_snapshot.c):
 * u32 n, then each entry; a co-mentioned entity is written as ent_index(its
 * config index, ud), its position in the snapshot's entity table. */
void nr_history_write(struct nr_wbuf *w, const struct nr_history *h,
                      uint32_t (*ent_index)(uint32_t entity, const void *ud), const void *ud);

/* Read nh entries (the count already read by the caller) into h, keeping
 * the newest cap. ent_idx[t] is the config index of snapshot entity t (-1:
 * gone; its co-mentions are dropped); v2: format version 2 (strings found by
 * their NULs, no lengths); lang: version 5 on (each entry has its
 * language; before, unknown). Returns 0, -1 with err set (a bad entry), or 1
 * when the bytes ran out (r->bad; the caller says where). */
int nr_history_read(struct nr_rbuf *r, struct nr_history *h, uint32_t nh, uint32_t cap, bool v2,
                    bool lang, const int *ent_idx, uint32_t n_ent, struct nr_error *err);

#endif
