/*
 * window_snapshot.c - a window key's snapshot and its restore: the record
 * the Kafka service writes to its compacted changelog and reads back on
 * another instance, or into a detector built from a reloaded config. The
 * detector state and the dedup history write and read their own parts
 * (detect.c, dedup.c); the little-endian codec is bytes.h.
 *
 * Format version 5, little-endian; str = u32 length + bytes (no NUL).
 *
 *   u32 magic "NRWK", u32 version
 *   str rule id, str key
 *   u32 n_by, n_by x str     the rule's `by` words when written
 *   u32 n_ent, n_ent x str   entity ids the key refers to (table T)
 *   u32 n_dims, n_dims x (u32 by index, u32 index into T)
 *     or, for a role-derived official, (u32 by index | 1 << 31, str its
 *     folded name: the dimension's id, not in the config)
 *   u64 last_event_ms
 *   2 x ring: u32 n, u64 width ms, u64 head bucket, n x u32 counts (slot order)
 *   ceil(coarse n / 64) x u64   the coarse ring's episode bits (bit i of
 *     word i / 64 = slot i's bucket was in an alert episode)
 *   u8 firing, u8 severity, u64 episode_start, last_fire, last_eval_bucket,
 *   u64 alert_id
 *   u32 n_hist, each: u64 id_hash, simhash, event_ms, published_ms, u8 present,
 *     u8 duplicate, u8 language length (0 unknown, else 2 or 3), that many
 *     lowercase ASCII letters (the lang.h tag), 5 x u32 string length,
 *     str strings (5 NUL-terminated), u32 n_co, n_co x (u32 index into T,
 *     u32 mentions)
 *
 * Version 5 added the language (alert evidence shows it); versions 2 to 4
 * are read as entries of unknown language. Version 4 added the episode bits
 * (rule option exclude_alerts). Version 3 (no bits: past episodes are
 * forgotten, the one firing now is still known from the detector state) is
 * still read. Version 3 added the five lengths: an id or title may hold a
 * NUL (JSON's \u0000), so the strings cannot be found by their terminators.
 * Version 2 (no lengths; strings without NULs inside) is still read.
 *
 * Rules and entities are named by id and resolved against the config of the
 * store restored into, so a snapshot survives rules and entities being
 * reordered, added or removed. Per key, restore rejects: a rule that is
 * gone, a changed `by`, a dimension entity that is gone or changed kind, a
 * bucket width that is not a multiple of the stored one. A ring whose
 * length changed (window or baseline) or whose bucket width became a
 * multiple of the old one is re-bucketed: counts move to the bucket holding
 * their time, those older than the new ring are dropped, and a longer ring
 * starts with zeros for the time the old one did not cover. Co-mentioned
 * entities that are gone are dropped from the history entry; a shorter
 * `history` keeps the newest entries.
 */
#include "window_int.h"

#include <stdlib.h>
#include <string.h>

#define SNAP_MAGIC     0x4b57524eu /* "NRWK" little-endian */
#define SNAP_VERSION   5u
#define SNAP_VERSION_4 4u                      /* read too: no language */
#define SNAP_VERSION_3 3u                      /* read too: no episode bits */
#define SNAP_VERSION_2 2u                      /* read too: strings found by their NULs */
#define SNAP_ID_MAX    4096u                   /* bytes of an id or `by` word */
#define SNAP_DIM_DYN   (1u << 31)              /* dimension flag: a role-derived official */
#define SNAP_WIDTH_MAX (INT64_C(1) << 40)      /* ms per bucket, ~35 years */
#define SNAP_HIST_MIN  (4 * 8 + 2 + 4 + 5 + 4) /* bytes of the smallest entry */

static void put_ring(struct nr_wbuf *w, const struct nr_ring *r)
{
    nr_wbuf_u32(w, r->n);
    nr_wbuf_u64(w, (uint64_t)r->width);
    nr_wbuf_u64(w, (uint64_t)r->head);
    for (uint32_t i = 0; i < r->n; i++)
        nr_wbuf_u32(w, r->count[i]);
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

struct ent_table {
    const uint32_t *t;
    size_t n;
};

/* Position of config entity e in the sorted table. */
static uint32_t tab_index(uint32_t e, const void *ud)
{
    const struct ent_table *et = ud;
    size_t lo = 0, hi = et->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (et->t[mid] < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

/* The entity table: every config entity the key refers to, once, sorted
 * (role-derived officials go inline). NULL when one is out of range. */
static uint32_t *key_entities(const struct nr_config *cfg, const struct nr_wkey *k, size_t *n_out)
{
    size_t n_refs = k->n_dims;
    for (uint32_t i = 0; i < k->hist.n; i++)
        n_refs += nr_history_at(&k->hist, i)->n_co;
    uint32_t *ents = nr_xmalloc((n_refs ? n_refs : 1) * sizeof(uint32_t));
    size_t n_ent = 0;
    for (uint32_t i = 0; i < k->n_dims; i++)
        if (k->dims[i].entity != NR_NO_ENTITY)
            ents[n_ent++] = k->dims[i].entity;
    for (uint32_t i = 0; i < k->hist.n; i++) {
        const struct nr_hist_entry *e = nr_history_at(&k->hist, i);
        for (uint32_t j = 0; j < e->n_co; j++)
            ents[n_ent++] = e->co[j].entity;
    }
    qsort(ents, n_ent, sizeof(*ents), u32_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n_ent; i++)
        if (m == 0 || ents[m - 1] != ents[i])
            ents[m++] = ents[i];
    n_ent = m;
    for (size_t i = 0; i < n_ent; i++)
        if (ents[i] >= cfg->n_entities) {
            free(ents);
            return NULL;
        }
    *n_out = n_ent;
    return ents;
}

int nr_window_key_snapshot(const struct nr_wstore *s, const struct nr_wkey *k, uint8_t **out,
                           size_t *out_len)
{
    const struct nr_config *cfg = s->cfg;
    *out = NULL;
    *out_len = 0;
    if (k->rule >= cfg->n_rules || k->n_dims > NR_EVENT_MAX_DIMS)
        return -1;
    const struct nr_alert_rule *r = &cfg->rules[k->rule];
    size_t n_ent = 0;
    uint32_t *ents = key_entities(cfg, k, &n_ent);
    if (!ents)
        return -1;
    struct ent_table et = {ents, n_ent};

    struct nr_wbuf w = {0};
    nr_wbuf_u32(&w, SNAP_MAGIC);
    nr_wbuf_u32(&w, SNAP_VERSION);
    nr_wbuf_str(&w, r->id, strlen(r->id));
    nr_wbuf_str(&w, k->key, strlen(k->key));
    nr_wbuf_u32(&w, (uint32_t)r->by.n);
    for (size_t i = 0; i < r->by.n; i++)
        nr_wbuf_str(&w, r->by.v[i], strlen(r->by.v[i]));
    nr_wbuf_u32(&w, (uint32_t)n_ent);
    for (size_t i = 0; i < n_ent; i++) {
        const char *id = cfg->entities[ents[i]].id;
        nr_wbuf_str(&w, id, strlen(id));
    }
    nr_wbuf_u32(&w, k->n_dims);
    for (uint32_t i = 0; i < k->n_dims; i++) {
        const struct nr_event_dim *d = &k->dims[i];
        nr_wbuf_u32(&w, d->by | (d->entity == NR_NO_ENTITY ? SNAP_DIM_DYN : 0));
        if (d->entity == NR_NO_ENTITY) /* a role-derived official: its name inline */
            nr_wbuf_str(&w, k->key + d->key_off, d->key_len);
        else
            nr_wbuf_u32(&w, tab_index(d->entity, &et));
    }
    nr_wbuf_u64(&w, (uint64_t)k->last_event_ms);
    put_ring(&w, &k->fine);
    put_ring(&w, &k->coarse);
    for (size_t i = 0; i < window_excl_words(k->coarse.n); i++)
        nr_wbuf_u64(&w, k->coarse.excl[i]);
    nr_detect_state_write(&w, &k->det);
    nr_history_write(&w, &k->hist, tab_index, &et);
    free(ents);
    *out = w.p;
    *out_len = w.n;
    return 0;
}

/* ---- restore ---------------------------------------------------------------- */

static bool str_is(const uint8_t *p, size_t len, const char *s)
{
    return s && strlen(s) == len && memcmp(p, s, len) == 0;
}

/* A printable copy of untrusted bytes for an error message. */
static const char *show(const uint8_t *p, size_t len, char *out, size_t cap)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    out[n] = '\0';
    return out;
}

static uint64_t ent_hash(const void *p, size_t len)
{
    return nr_hash64(p, len, 0x656e74);
}

/* Config entity index of an id, or -1; the id table is built on first use
 * (restore is rare: a rebalance or a reload). */
static int ent_lookup(struct nr_wstore *s, const uint8_t *id, size_t len)
{
    const struct nr_config *cfg = s->cfg;
    if (!s->ent_tab) {
        size_t sz = 16;
        while (sz < cfg->n_entities * 2)
            sz *= 2;
        s->ent_tab = nr_xcalloc(sz, sizeof(*s->ent_tab));
        s->ent_mask = sz - 1;
        for (size_t i = 0; i < cfg->n_entities; i++) {
            const char *e = cfg->entities[i].id;
            if (!e)
                continue;
            size_t h = (size_t)ent_hash(e, strlen(e)) & s->ent_mask;
            while (s->ent_tab[h])
                h = (h + 1) & s->ent_mask;
            s->ent_tab[h] = (uint32_t)i + 1;
        }
    }
    size_t h = (size_t)ent_hash(id, len) & s->ent_mask;
    for (; s->ent_tab[h]; h = (h + 1) & s->ent_mask)
        if (str_is(id, len, cfg->entities[s->ent_tab[h] - 1].id))
            return (int)s->ent_tab[h] - 1;
    return -1;
}

struct snap_ring {
    uint32_t n;
    int64_t width, head;
    const uint8_t *counts; /* n little-endian u32 in slot order */
    const uint8_t *excl;   /* the episode bits, little-endian u64 words; NULL: none */
};

/* The episode bits of a ring just read (version 4 on; before, none). */
static bool get_excl(struct nr_rbuf *r, struct snap_ring *sr, uint32_t version)
{
    sr->excl = NULL;
    if (version < SNAP_VERSION_4)
        return true;
    size_t n = window_excl_words(sr->n) * 8;
    if (!nr_rbuf_need(r, n))
        return false;
    sr->excl = r->p + r->off;
    r->off += n;
    return true;
}

static bool snap_excl(const struct snap_ring *sr, int64_t b)
{
    if (!sr->excl)
        return false;
    int64_t m = b % (int64_t)sr->n;
    size_t i = (size_t)(m < 0 ? m + (int64_t)sr->n : m);
    return (sr->excl[i >> 3] >> (i & 7)) & 1u;
}

static void set_excl(struct nr_ring *ring, int64_t b)
{
    size_t i = window_slot(ring, b);
    ring->excl[i >> 6] |= UINT64_C(1) << (i & 63);
}

static bool get_ring(struct nr_rbuf *r, struct snap_ring *sr)
{
    sr->excl = NULL;
    sr->n = nr_rbuf_u32(r);
    sr->width = (int64_t)nr_rbuf_u64(r);
    sr->head = (int64_t)nr_rbuf_u64(r);
    if (r->bad || sr->n == 0 || sr->width <= 0 || sr->width > SNAP_WIDTH_MAX ||
        nr_rbuf_left(r) / 4 < sr->n || !nr_snap_time_ok(sr->head))
        return false;
    /* every bucket index b in (head - n, head] must keep b x width in range */
    if (sr->head != NR_TIME_NONE) {
        uint64_t mag = sr->head < 0 ? (uint64_t)(-sr->head) : (uint64_t)sr->head;
        if (mag + sr->n > (uint64_t)(NR_SNAP_TIME_LIM / sr->width))
            return false;
    }
    sr->counts = r->p + r->off;
    r->off += (size_t)sr->n * 4;
    return true;
}

static uint32_t snap_count(const struct snap_ring *sr, int64_t b)
{
    int64_t m = b % (int64_t)sr->n;
    return nr_le32_get(sr->counts + 4 * (size_t)(m < 0 ? m + (int64_t)sr->n : m));
}

/* Put the stored counts into ring (the rule's current geometry). */
static int ring_fit(struct nr_ring *ring, const struct snap_ring *sr, const char *what,
                    struct nr_error *err)
{
    if (sr->head == NR_TIME_NONE)
        return 0; /* never written: the fresh ring is the same */
    if (sr->width == ring->width && sr->n == ring->n) {
        ring->head = sr->head;
        for (uint32_t i = 0; i < sr->n; i++) {
            ring->count[i] = snap_count(sr, i);
            if (ring->excl && snap_excl(sr, i))
                set_excl(ring, i);
        }
        return 0;
    }
    if (ring->width % sr->width != 0) {
        nr_error_set(err,
                     "snapshot: %s bucket changed from %lld ms to %lld ms (not a multiple): "
                     "cannot re-bucket",
                     what, (long long)sr->width, (long long)ring->width);
        return -1;
    }
    ring->head = nr_floordiv(sr->head * sr->width, ring->width);
    for (int64_t b = sr->head - (int64_t)sr->n + 1; b <= sr->head; b++) {
        int64_t nb = nr_floordiv(b * sr->width, ring->width);
        if (nb <= ring->head - (int64_t)ring->n)
            continue; /* older than the new ring */
        uint32_t c = snap_count(sr, b);
        uint32_t *dst = &ring->count[window_slot(ring, nb)];
        *dst = UINT32_MAX - *dst < c ? UINT32_MAX : *dst + c;
        if (ring->excl && snap_excl(sr, b)) /* a bucket holding any of an episode is one */
            set_excl(ring, nb);
    }
    return 0;
}

/* The restore in progress: the cursor and what the record said so far. */
struct restore {
    struct nr_rbuf r;
    const struct nr_config *cfg;
    uint32_t version;
    int rule;
    const struct nr_alert_rule *ru;
    uint32_t n_by, n_ent, nd;
    const uint8_t **ent_id; /* the snapshot's entity table T */
    size_t *ent_len;
    int *ent_idx; /* T's entities in the config restored into, -1 if gone */
    struct nr_event_dim dims[NR_EVENT_MAX_DIMS];
    char key[NR_EVENT_KEY_MAX];
};

enum { R_OK = 0, R_FAIL = -1, R_TRUNC = 1 }; /* R_FAIL: err says why */

/* Magic, version, rule, key and `by`. */
static int read_head(struct restore *rs, struct nr_error *err)
{
    struct nr_rbuf *r = &rs->r;
    const struct nr_config *cfg = rs->cfg;
    char txt[80];
    size_t l;
    uint32_t magic = nr_rbuf_u32(r);
    rs->version = nr_rbuf_u32(r);
    if (r->bad || magic != SNAP_MAGIC) {
        nr_error_set(err, "snapshot: not a window key snapshot");
        return R_FAIL;
    }
    if (rs->version < SNAP_VERSION_2 || rs->version > SNAP_VERSION) {
        nr_error_set(err, "snapshot: format version %u, this build reads versions %u to %u",
                     rs->version, SNAP_VERSION_2, SNAP_VERSION);
        return R_FAIL;
    }
    const uint8_t *rid = nr_rbuf_str(r, SNAP_ID_MAX, &l);
    if (r->bad)
        return R_TRUNC;
    rs->rule = -1;
    for (size_t i = 0; i < cfg->n_rules && rs->rule < 0; i++)
        if (str_is(rid, l, cfg->rules[i].id))
            rs->rule = (int)i;
    if (rs->rule < 0) {
        nr_error_set(err, "snapshot: rule \"%s\" is not in the config",
                     show(rid, l, txt, sizeof(txt)));
        return R_FAIL;
    }
    const struct nr_alert_rule *ru = rs->ru = &cfg->rules[rs->rule];
    const uint8_t *kp = nr_rbuf_str(r, NR_EVENT_KEY_MAX - 1, &l);
    if (r->bad)
        return R_TRUNC;
    if (memchr(kp, 0, l)) {
        nr_error_set(err, "snapshot: bad key");
        return R_FAIL;
    }
    memcpy(rs->key, kp, l);
    rs->key[l] = '\0';
    rs->n_by = nr_rbuf_u32(r);
    if (r->bad)
        return R_TRUNC;
    if (rs->n_by > NR_EVENT_MAX_DIMS) {
        nr_error_set(err, "snapshot: bad dimensions");
        return R_FAIL;
    }
    bool same_by = rs->n_by == ru->by.n;
    for (uint32_t i = 0; i < rs->n_by; i++) {
        const uint8_t *w = nr_rbuf_str(r, SNAP_ID_MAX, &l);
        if (r->bad)
            return R_TRUNC;
        if (same_by && !str_is(w, l, ru->by.v[i]))
            same_by = false;
    }
    if (!same_by) {
        nr_error_set(err, "snapshot: rule %s: `by` changed; key \"%s\" dropped", ru->id,
                     show((const uint8_t *)rs->key, strlen(rs->key), txt, sizeof(txt)));
        return R_FAIL;
    }
    return R_OK;
}

/* The entity table T, resolved against the config. */
static int read_entities(struct nr_wstore *s, struct restore *rs)
{
    struct nr_rbuf *r = &rs->r;
    rs->n_ent = nr_rbuf_u32(r);
    if (r->bad || rs->n_ent > nr_rbuf_left(r) / 4)
        return R_TRUNC;
    size_t n = rs->n_ent ? rs->n_ent : 1;
    rs->ent_id = nr_xmalloc(n * sizeof(*rs->ent_id));
    rs->ent_len = nr_xmalloc(n * sizeof(*rs->ent_len));
    rs->ent_idx = nr_xmalloc(n * sizeof(*rs->ent_idx));
    for (uint32_t i = 0; i < rs->n_ent; i++) {
        rs->ent_id[i] = nr_rbuf_str(r, SNAP_ID_MAX, &rs->ent_len[i]);
        if (r->bad)
            return R_TRUNC;
        rs->ent_idx[i] = ent_lookup(s, rs->ent_id[i], rs->ent_len[i]);
    }
    return R_OK;
}

/* One dimension that names a config entity: u32 index into T. */
static int read_entity_dim(struct restore *rs, uint32_t i, uint32_t by, struct nr_error *err)
{
    char chk[NR_EVENT_KEY_MAX], txt[80];
    uint32_t ti = nr_rbuf_u32(&rs->r);
    if (rs->r.bad)
        return R_TRUNC;
    if (by >= rs->n_by || ti >= rs->n_ent) {
        nr_error_set(err, "snapshot: bad dimension %u", i);
        return R_FAIL;
    }
    if (rs->ent_idx[ti] < 0) {
        nr_error_set(err, "snapshot: key \"%s\": entity \"%s\" is not in the config",
                     show((const uint8_t *)rs->key, strlen(rs->key), chk, sizeof(txt)),
                     show(rs->ent_id[ti], rs->ent_len[ti], txt, sizeof(txt)));
        return R_FAIL;
    }
    const struct nr_entity *e = &rs->cfg->entities[rs->ent_idx[ti]];
    if (strcmp(rs->ru->by.v[by], "entity") != 0 && strcmp(rs->ru->by.v[by], e->kind) != 0) {
        nr_error_set(err, "snapshot: key \"%s\": entity %s is no longer a %s", rs->key, e->id,
                     rs->ru->by.v[by]);
        return R_FAIL;
    }
    rs->dims[i] = (struct nr_event_dim){.by = by, .entity = (uint32_t)rs->ent_idx[ti]};
    return R_OK;
}

/* The dimensions, which must make the key again. */
static int read_dims(struct restore *rs, struct nr_error *err)
{
    struct nr_rbuf *r = &rs->r;
    const char *names[NR_EVENT_MAX_DIMS] = {NULL};
    size_t lens[NR_EVENT_MAX_DIMS] = {0};
    char chk[NR_EVENT_KEY_MAX], txt[80];
    size_t l;
    rs->nd = nr_rbuf_u32(r);
    if (r->bad)
        return R_TRUNC;
    if (rs->nd != rs->n_by) {
        nr_error_set(err, "snapshot: bad dimensions");
        return R_FAIL;
    }
    for (uint32_t i = 0; i < rs->nd; i++) {
        uint32_t by = nr_rbuf_u32(r);
        if (r->bad)
            return R_TRUNC;
        if (!(by & SNAP_DIM_DYN)) {
            int rc = read_entity_dim(rs, i, by, err);
            if (rc != R_OK)
                return rc;
            continue;
        }
        by &= ~SNAP_DIM_DYN; /* a role-derived official */
        const uint8_t *nm = nr_rbuf_str(r, NR_EVENT_DYN_MAX, &l);
        if (r->bad)
            return R_TRUNC;
        if (!nr_event_dyn_ok(rs->ru, by, nm, l)) {
            nr_error_set(err, "snapshot: bad dimension %u", i);
            return R_FAIL;
        }
        names[i] = (const char *)nm; /* nr_event_key_dyn copies lens[i] bytes */
        lens[i] = l;
        rs->dims[i] = (struct nr_event_dim){.by = by, .entity = NR_NO_ENTITY};
    }
    if (nr_event_key_dyn(rs->cfg, rs->ru, rs->dims, rs->nd, names, lens, chk) < 0 ||
        strcmp(chk, rs->key) != 0) {
        nr_error_set(err, "snapshot: key \"%s\" does not match its dimensions",
                     show((const uint8_t *)rs->key, strlen(rs->key), txt, sizeof(txt)));
        return R_FAIL;
    }
    return R_OK;
}

/* Rings, detector state and history into the new key k. */
static int read_state(struct restore *rs, struct nr_wkey *k, struct nr_error *err)
{
    struct nr_rbuf *r = &rs->r;
    k->last_event_ms = (int64_t)nr_rbuf_u64(r);
    struct snap_ring fine, coarse;
    if (!get_ring(r, &fine) || !get_ring(r, &coarse) || !get_excl(r, &coarse, rs->version)) {
        nr_error_set(err, "snapshot: bad or truncated ring");
        return R_FAIL;
    }
    if (ring_fit(&k->fine, &fine, "window", err) != 0 ||
        ring_fit(&k->coarse, &coarse, "baseline", err) != 0)
        return R_FAIL;
    nr_detect_state_read(r, &k->det);
    uint32_t nh = nr_rbuf_u32(r);
    if (r->bad)
        return R_TRUNC;
    if (!nr_detect_state_valid(&k->det) || nh > nr_rbuf_left(r) / SNAP_HIST_MIN ||
        !nr_snap_time_ok(k->last_event_ms)) {
        nr_error_set(err, "snapshot: bad detector state or history length");
        return R_FAIL;
    }
    if (fine.width != k->fine.width)
        k->det.last_eval_bucket = NR_TIME_NONE; /* another bucket grid: evaluate again */
    int rc =
        nr_history_read(r, &k->hist, nh, rs->cfg->engine.history, rs->version == SNAP_VERSION_2,
                        rs->version >= SNAP_VERSION, rs->ent_idx, rs->n_ent, err);
    if (rc != R_OK)
        return rc;
    if (r->off != r->n) {
        nr_error_set(err, "snapshot: %zu trailing bytes", r->n - r->off);
        return R_FAIL;
    }
    return R_OK;
}

int nr_window_key_restore(struct nr_wstore *s, const uint8_t *buf, size_t len, struct nr_wkey **out,
                          struct nr_error *err)
{
    struct restore rs = {.r = {buf, len, 0, false}, .cfg = s->cfg};
    struct nr_wkey *k = NULL;
    if (out)
        *out = NULL;
    int rc = read_head(&rs, err);
    if (rc == R_OK)
        rc = read_entities(s, &rs);
    if (rc == R_OK)
        rc = read_dims(&rs, err);
    if (rc == R_OK) {
        k = window_key_alloc(rs.ru, (uint32_t)rs.rule, rs.key);
        k->n_dims = rs.nd;
        memcpy(k->dims, rs.dims, rs.nd * sizeof(rs.dims[0]));
        rc = read_state(&rs, k, err);
    }
    free(rs.ent_id);
    free(rs.ent_len);
    free(rs.ent_idx);
    if (rc != R_OK) {
        if (rc == R_TRUNC)
            nr_error_set(err, "snapshot: truncated or malformed at byte %zu of %zu", rs.r.off, len);
        window_key_free(k);
        return -1;
    }
    struct nr_wkey *old = nr_wstore_find(s, (uint32_t)rs.rule, rs.key);
    if (old)
        window_key_remove(s, old);
    window_key_link(s, k);
    if (k->det.firing)
        nr_wstore_fire_add(s, k);
    if (out)
        *out = k;
    return 0;
}
