/*
 * window_int.h - private to the window module: the key store's layout and
 * the key helpers that window.c (rings, store) and window_snapshot.c (a
 * key's snapshot and restore) share.
 */
#ifndef NEWSRADAR_WINDOW_INT_H
#define NEWSRADAR_WINDOW_INT_H

#include "newsradar/window.h"

struct nr_wstore {
    const struct nr_config *cfg;
    struct nr_wkey **tab;
    size_t mask, n, max;
    struct nr_wkey *lru_head, *lru_tail; /* head = most recently updated */
    struct nr_wkey *fire_head;
    size_t n_fire;
    uint64_t evicted;
    /* entity id -> index + 1 (0 = empty), built on the first restore */
    uint32_t *ent_tab;
    size_t ent_mask;
};

/* Slot of bucket index b in ring r. */
static inline size_t window_slot(const struct nr_ring *r, int64_t b)
{
    int64_t m = b % (int64_t)r->n;
    return (size_t)(m < 0 ? m + (int64_t)r->n : m);
}

/* u64 words of the episode bits of an n-bucket ring. */
static inline size_t window_excl_words(uint32_t n)
{
    return ((size_t)n + 63) / 64;
}

/* A new, empty key, not yet in the store: one allocation holds the key,
 * the episode bits, both rings' counters and the key string. */
struct nr_wkey *window_key_alloc(const struct nr_alert_rule *r, uint32_t rule, const char *key);
/* Free a key that is in no store (NULL: nothing). */
void window_key_free(struct nr_wkey *k);
/* Link k into the store (evicting first if full). */
void window_key_link(struct nr_wstore *s, struct nr_wkey *k);
/* Unlink k from the store and free it. */
void window_key_remove(struct nr_wstore *s, struct nr_wkey *k);

#endif
