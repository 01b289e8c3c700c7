/*
 * offsets.c - in-order offset tracking for at-least-once delivery (see
 * offsets.h). Every operation is O(1) amortised; memory is one fixed ring per
 * partition (cap entries), allocated when the partition is first seen.
 */
#include "newsradar/offsets.h"

#include <stdlib.h>
#include <string.h>

void nr_otrack_init(struct nr_otrack *t, uint32_t cap_per_part)
{
    t->parts = NULL;
    t->cap_per_part = cap_per_part ? cap_per_part : 1;
}

void nr_otrack_destroy(struct nr_otrack *t)
{
    struct nr_opart *p = t->parts;
    while (p) {
        struct nr_opart *next = p->next;
        free(p->topic);
        free(p->ring);
        for (size_t i = 0; i < p->n_retired; i++)
            free(p->retired[i]);
        free(p->retired);
        free(p);
        p = next;
    }
    t->parts = NULL;
}

struct nr_opart *nr_otrack_part(struct nr_otrack *t, const char *topic, int32_t partition,
                                bool create)
{
    for (struct nr_opart *p = t->parts; p; p = p->next)
        if (p->partition == partition && strcmp(p->topic, topic) == 0)
            return p;
    if (!create)
        return NULL;
    struct nr_opart *p = nr_xcalloc(1, sizeof(*p));
    p->topic = nr_xstrdup(topic);
    p->partition = partition;
    p->cap = t->cap_per_part;
    p->ring = nr_xcalloc(p->cap, sizeof(*p->ring));
    p->committed = -1;
    p->durable_upto = -1;
    p->next = t->parts;
    t->parts = p;
    return p;
}

struct nr_oentry *nr_opart_begin(struct nr_opart *p, int64_t offset)
{
    if (p->n == p->cap)
        return NULL;
    struct nr_oentry *e = &p->ring[(p->head + p->n) % p->cap];
    p->n++;
    e->part = p;
    e->offset = offset;
    e->pending = 1;
    e->failed = false;
    return e;
}

void nr_oentry_done(struct nr_oentry *e, bool ok)
{
    if (e->pending > 0)
        e->pending--;
    if (!ok)
        e->failed = true;
}

void nr_opart_durable(struct nr_opart *p, int64_t upto)
{
    if (upto > p->durable_upto)
        p->durable_upto = upto;
}

struct nr_ockpt nr_opart_ckpt_begin(struct nr_opart *p)
{
    return (struct nr_ockpt){p->gen, p->ckpt_next++};
}

void nr_opart_ckpt_end(struct nr_opart *p, struct nr_ockpt c, int64_t upto, bool ok)
{
    if (c.gen != p->gen)
        return; /* from before a reset */
    if (!ok) {
        p->ckpt_min = p->ckpt_next;
        return;
    }
    if (c.seq >= p->ckpt_min)
        nr_opart_durable(p, upto);
}

int64_t nr_opart_advance(struct nr_opart *p)
{
    int64_t next = -1;
    while (p->n > 0) {
        struct nr_oentry *e = &p->ring[p->head];
        if (e->pending > 0 || e->failed)
            break;
        if (p->hold && e->offset > p->durable_upto)
            break;
        next = e->offset + 1;
        p->head = (p->head + 1) % p->cap;
        p->n--;
    }
    if (next < 0 || next <= p->committed)
        return -1;
    p->committed = next;
    return next;
}

uint32_t nr_opart_inflight(const struct nr_opart *p)
{
    return p->n;
}

bool nr_opart_failed(const struct nr_opart *p)
{
    for (uint32_t i = 0; i < p->n; i++)
        if (p->ring[(p->head + i) % p->cap].failed)
            return true;
    return false;
}

bool nr_otrack_has_retired(const struct nr_otrack *t)
{
    for (const struct nr_opart *p = t->parts; p; p = p->next)
        if (p->n_retired)
            return true;
    return false;
}

void nr_otrack_free_retired(struct nr_otrack *t)
{
    for (struct nr_opart *p = t->parts; p; p = p->next) {
        for (size_t i = 0; i < p->n_retired; i++)
            free(p->retired[i]);
        free(p->retired);
        p->retired = NULL;
        p->n_retired = 0;
    }
}

void nr_opart_reset(struct nr_opart *p)
{
    if (p->n > 0) {
        p->retired = nr_xrealloc(p->retired, (p->n_retired + 1) * sizeof(*p->retired));
        p->retired[p->n_retired++] = p->ring;
        p->ring = nr_xcalloc(p->cap, sizeof(*p->ring));
    }
    p->head = 0;
    p->n = 0;
    p->committed = -1;
    p->durable_upto = -1;
    p->gen++;
    p->ckpt_min = p->ckpt_next;
}
