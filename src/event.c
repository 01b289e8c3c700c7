/*
 * event.c - stage 1 (tagged article -> count events) and the wire form of an
 * event.
 *
 * Building: for each rule, the article must carry the rule's topic (if any);
 * the key is the cross product of the article's entities of each `by` kind,
 * enumerated like an odometer in config order (deterministic) and capped at
 * NR_EVENTS_PER_RULE, so an article naming 30 countries cannot flood the
 * window store. `by: country` also counts the countries of the places and
 * officials named (rule option places_count_for_country), each country once. Cost: O(rules x
 * entities) per article, no allocation.
 *
 * Wire form (format 2, laid out in event.h): a little-endian binary record
 * written and read by hand. The repartition topic carries ~3 events per
 * article, and the JSON form of earlier builds cost about as much per event
 * as decoding the whole article (~7 us each way with jansson); this one is
 * a size pass, one buffer grow (amortised away) and memcpy on encode, and on
 * decode a bounds-checked cursor, id lookups in a hash index and one copy of
 * the article strings into the caller's reusable buffer. Ids, not indices,
 * travel: a consumer running a reloaded config resolves them by id, and an
 * id it does not know is an error (rule, dimension) or dropped (evidence).
 *
 * The id index lives in struct nr_event_buf and is rebuilt when the config
 * (pointer, arrays or counts) changes. A hit is confirmed by comparing the
 * id, so it is always right; a miss is confirmed by a linear scan before it
 * is believed, so a new config allocated where the old one was (same
 * addresses, same counts) costs a rebuild, not a wrong rejection.
 */
#include "newsradar/event.h"

#include "newsradar/bytes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t nr_event_id_hash(const char *id, size_t len)
{
    return nr_hash64(id, len, 0x6e72696473ULL);
}

static int co_cmp(const void *a, const void *b)
{
    const struct nr_event_co *x = a, *y = b;
    if (x->mentions != y->mentions)
        return x->mentions > y->mentions ? -1 : 1;
    return x->entity < y->entity ? -1 : x->entity > y->entity;
}

static bool kind_matches(const char *want, const char *kind)
{
    return strcmp(want, "entity") == 0 || strcmp(want, kind) == 0;
}

#define DIM_CAND_MAX 64
#define DIM_DYN      (1u << 31) /* a candidate that is a role-derived official */

static size_t cand_add(uint32_t *out, size_t n, uint32_t e)
{
    for (size_t i = 0; i < n; i++)
        if (out[i] == e)
            return n; /* one article counts once per key */
    if (n < DIM_CAND_MAX)
        out[n++] = e;
    return n;
}

/* Does a place or official count for its country under this rule? */
static bool counts_for_country(const struct nr_entity *e)
{
    return e->country_index != NR_NO_ENTITY && e->kind &&
           (strcmp(e->kind, "place") == 0 || strcmp(e->kind, "official") == 0);
}

/* The entities of the article that a dimension `by` keys by, in tag order,
 * each once (role-derived officials as DIM_DYN | index into t->officials).
 * With places_count_for_country, `by: country` also takes the
 * country of each place and official (watchlist or role-derived) the
 * article names: Peshawar counts for Pakistan, and an article naming
 * Pakistan, Peshawar and Quetta counts once for Pakistan. */
static size_t dim_candidates(const struct nr_config *cfg, const struct nr_alert_rule *rule,
                             const char *by, const struct nr_tags *t, uint32_t out[DIM_CAND_MAX])
{
    size_t n = 0;
    bool by_country = rule->places_count_for_country && strcmp(by, "country") == 0;
    for (size_t i = 0; i < t->n_entities; i++) {
        const struct nr_entity *ent = &cfg->entities[t->entities[i].entity];
        if (kind_matches(by, ent->kind))
            n = cand_add(out, n, t->entities[i].entity);
        else if (by_country && counts_for_country(ent) &&
                 kind_matches(by, cfg->entities[ent->country_index].kind))
            n = cand_add(out, n, ent->country_index);
    }
    for (size_t i = 0; by_country && i < t->n_officials; i++) {
        uint32_t c = t->officials[i].country;
        if (c < cfg->n_entities && kind_matches(by, cfg->entities[c].kind))
            n = cand_add(out, n, c);
    }
    /* role-derived officials (not in the config): DIM_DYN | their index */
    for (size_t i = 0; kind_matches(by, "official") && i < t->n_officials; i++)
        n = cand_add(out, n, DIM_DYN | (uint32_t)i);
    return n;
}

/* Is the article's language (lang.h tag, "" unknown) one of the rule's? */
static bool in_languages(const struct nr_strlist *l, const char *lang)
{
    for (size_t i = 0; *lang && i < l->n; i++)
        if (strcmp(l->v[i], lang) == 0)
            return true;
    return false;
}

static bool has_topic(const struct nr_tags *t, int topic)
{
    for (size_t i = 0; i < t->n_topics; i++)
        if ((int)t->topics[i].topic == topic)
            return true;
    return false;
}

bool nr_event_dyn_ok(const struct nr_alert_rule *r, uint32_t by, const void *name, size_t len)
{
    return by < r->by.n && len > 0 && len <= NR_EVENT_DYN_MAX && nr_utf8_valid(name, len) &&
           !memchr(name, 0, len) && !memchr(name, ',', len) &&
           kind_matches(r->by.v[by], "official");
}

int nr_event_key_dyn(const struct nr_config *cfg, const struct nr_alert_rule *r,
                     struct nr_event_dim *dims, uint32_t n_dims, const char *const *names,
                     const size_t *lens, char key[NR_EVENT_KEY_MAX])
{
    size_t kl = 0;
    key[0] = '\0';
    for (uint32_t d = 0; d < n_dims; d++) {
        bool dyn = dims[d].entity == NR_NO_ENTITY;
        if (dyn && (!names || !names[d]))
            goto fail;
        const char *id = dyn ? names[d] : cfg->entities[dims[d].entity].id;
        size_t il = dyn ? lens[d] : strlen(id);
        int n =
            snprintf(key + kl, NR_EVENT_KEY_MAX - kl, "%s%s=", d ? "," : "", r->by.v[dims[d].by]);
        if (n < 0 || (size_t)n + il >= NR_EVENT_KEY_MAX - kl)
            goto fail;
        kl += (size_t)n;
        if (dyn) {
            dims[d].key_off = (uint16_t)kl;
            dims[d].key_len = (uint16_t)il;
        }
        memcpy(key + kl, id, il);
        kl += il;
        key[kl] = '\0';
    }
    return (int)kl;
fail:
    key[0] = '\0';
    return -1;
}

int nr_event_key(const struct nr_config *cfg, const struct nr_alert_rule *r,
                 const struct nr_event_dim *dims, uint32_t n_dims, char key[NR_EVENT_KEY_MAX])
{
    struct nr_event_dim d[NR_EVENT_MAX_DIMS];
    if (n_dims > NR_EVENT_MAX_DIMS) {
        key[0] = '\0';
        return -1;
    }
    memcpy(d, dims, n_dims * sizeof(*d));
    return nr_event_key_dyn(cfg, r, d, n_dims, NULL, NULL, key);
}

/* The first NR_EVENT_STR_MAX bytes of s, cut on a UTF-8 character boundary. */
static struct nr_str clip(struct nr_str s)
{
    if (s.p && s.len > NR_EVENT_STR_MAX) {
        size_t n = NR_EVENT_STR_MAX;
        while (n > 0 && ((unsigned char)s.p[n] & 0xC0) == 0x80)
            n--;
        s.len = n;
    }
    return s;
}

size_t nr_event_build(const struct nr_config *cfg, const struct nr_article *a,
                      const struct nr_tags *t, int64_t event_ms, nr_event_cb fn, void *ud,
                      size_t *n_skipped)
{
    struct nr_count_event ev;
    size_t produced = 0;
    memset(&ev, 0, sizeof(ev));
    ev.event_ms = event_ms;
    ev.article.id = clip(a->field[NR_FIELD_ID]);
    ev.article.title = clip(a->field[NR_FIELD_TITLE]);
    ev.article.url = clip(a->field[NR_FIELD_URL]);
    ev.article.source = clip(a->field[NR_FIELD_SOURCE]);
    ev.article.published_ms = a->published_ms;
    ev.article.simhash = t->simhash;
    memcpy(ev.article.lang, t->lang, sizeof(ev.article.lang));
    ev.article.lang[sizeof(ev.article.lang) - 1] = '\0';
    ev.id_hash = a->field[NR_FIELD_ID].p
                     ? nr_event_id_hash(a->field[NR_FIELD_ID].p, a->field[NR_FIELD_ID].len)
                     : 0;

    /* co-mentioned entities: the article's most mentioned, ties by config order */
    struct nr_event_co all[64];
    size_t n_all = 0;
    for (size_t i = 0; i < t->n_entities && n_all < NR_ARRAY_LEN(all); i++) {
        all[n_all].entity = t->entities[i].entity;
        all[n_all].mentions = t->entities[i].mentions;
        n_all++;
    }
    qsort(all, n_all, sizeof(all[0]), co_cmp);
    ev.n_co = (uint32_t)(n_all < NR_EVENT_MAX_CO ? n_all : NR_EVENT_MAX_CO);
    memcpy(ev.co, all, ev.n_co * sizeof(all[0]));

    for (size_t r = 0; r < cfg->n_rules; r++) {
        const struct nr_alert_rule *rule = &cfg->rules[r];
        if (rule->topic_index >= 0 && !has_topic(t, rule->topic_index))
            continue;
        if (rule->languages.n > 0 && !in_languages(&rule->languages, t->lang))
            continue; /* `languages:` names other languages */
        size_t nd = rule->by.n;
        if (nd > NR_EVENT_MAX_DIMS)
            continue; /* config validation keeps this from happening */
        /* candidates per dimension: entity indices */
        uint32_t cand[NR_EVENT_MAX_DIMS][DIM_CAND_MAX];
        size_t n_cand[NR_EVENT_MAX_DIMS];
        bool empty = false;
        for (size_t d = 0; d < nd; d++) {
            n_cand[d] = dim_candidates(cfg, rule, rule->by.v[d], t, cand[d]);
            if (n_cand[d] == 0)
                empty = true;
        }
        if (empty)
            continue;
        size_t pos[NR_EVENT_MAX_DIMS] = {0};
        size_t made = 0;
        for (;;) {
            /* one combination; skip ones that use the same entity twice */
            bool repeat = false;
            for (size_t d = 0; d < nd && !repeat; d++)
                for (size_t d2 = 0; d2 < d; d2++)
                    if (cand[d][pos[d]] == cand[d2][pos[d2]])
                        repeat = true;
            if (!repeat) {
                ev.rule = (uint32_t)r;
                ev.n_dims = (uint32_t)nd;
                const char *names[NR_EVENT_MAX_DIMS];
                size_t lens[NR_EVENT_MAX_DIMS];
                for (size_t d = 0; d < nd; d++) {
                    uint32_t c = cand[d][pos[d]];
                    ev.dims[d] = (struct nr_event_dim){.by = (uint32_t)d, .entity = c};
                    names[d] = NULL;
                    if (c & DIM_DYN) {
                        ev.dims[d].entity = NR_NO_ENTITY;
                        names[d] = t->officials[c & ~DIM_DYN].key;
                        lens[d] = strlen(names[d]);
                    }
                }
                if (nr_event_key_dyn(cfg, rule, ev.dims, ev.n_dims, names, lens, ev.key) >= 0) {
                    fn(ud, &ev);
                    produced++;
                } else if (n_skipped) {
                    (*n_skipped)++;
                }
                if (++made >= NR_EVENTS_PER_RULE)
                    break;
            }
            /* odometer step, last dimension fastest; nd == 0 is one global event */
            bool done = true;
            for (size_t d = nd; d-- > 0;) {
                if (++pos[d] < n_cand[d]) {
                    done = false;
                    break;
                }
                pos[d] = 0;
            }
            if (done)
                break;
        }
    }
    return produced;
}

/* ---- format 2: binary -------------------------------------------------- */

#define HDR_LEN       38u  /* magic .. id_hash */
#define DYN_BY        0x80 /* `by` byte flag: a role-derived official's folded name */
#define BATCH_HDR_LEN 8u
#define P_ID          (1u << 0)
#define P_TITLE       (1u << 1)
#define P_URL         (1u << 2)
#define P_SOURCE      (1u << 3)
#define P_PUB         (1u << 4)
#define P_LANG        (1u << 5) /* format 2 */
#define P_ALL_1       0x1fu     /* the bits format 1 knew */
#define P_ALL         0x3fu
#define ID_MAX        UINT16_MAX
#define TIME_LO       (INT64_MIN / 4)
#define TIME_HI       (INT64_MAX / 4)

static uint8_t *put_id(uint8_t *p, const char *id, size_t n)
{
    p = nr_le16_put(p, (uint32_t)n);
    memcpy(p, id, n);
    return p + n;
}

/* Encode ev at byte `off` of *buf (grown as needed); *len = its length. */
static int encode_at(const struct nr_config *cfg, const struct nr_count_event *ev, uint8_t **buf,
                     size_t *cap, size_t off, size_t *len)
{
    /* size pass, which is also the validation: nothing is written on error */
    if (ev->rule >= cfg->n_rules || ev->n_dims > NR_EVENT_MAX_DIMS || ev->n_co > NR_EVENT_MAX_CO)
        return -1;
    const struct nr_alert_rule *r = &cfg->rules[ev->rule];
    size_t rule_len = strlen(r->id), ent_len[NR_EVENT_MAX_DIMS + NR_EVENT_MAX_CO];
    size_t need = HDR_LEN + 2 + rule_len;
    if (rule_len > ID_MAX)
        return -1;
    for (uint32_t i = 0; i < ev->n_dims + ev->n_co; i++) {
        uint32_t e = i < ev->n_dims ? ev->dims[i].entity : ev->co[i - ev->n_dims].entity;
        if (i < ev->n_dims && ev->dims[i].by >= DYN_BY)
            return -1;
        if (i < ev->n_dims && e == NR_NO_ENTITY) {
            const struct nr_event_dim *dm = &ev->dims[i];
            if (dm->key_len == 0 || (size_t)dm->key_off + dm->key_len >= NR_EVENT_KEY_MAX)
                return -1;
            ent_len[i] = dm->key_len;
            need += 3 + ent_len[i];
            continue;
        }
        if (e >= cfg->n_entities)
            return -1;
        ent_len[i] = strlen(cfg->entities[e].id);
        if (ent_len[i] > ID_MAX)
            return -1;
        need += (i < ev->n_dims ? 3 : 6) + ent_len[i];
    }
    const struct nr_str *str[4] = {&ev->article.id, &ev->article.title, &ev->article.url,
                                   &ev->article.source};
    unsigned present = ev->article.published_ms != NR_TIME_NONE ? P_PUB : 0;
    for (unsigned i = 0; i < 4; i++) {
        if (!str[i]->p)
            continue;
        if (str[i]->len > UINT32_MAX)
            return -1;
        present |= 1u << i;
        need += 4 + str[i]->len;
    }
    size_t lang_len = strnlen(ev->article.lang, sizeof(ev->article.lang));
    if (lang_len == sizeof(ev->article.lang))
        return -1; /* not NUL-terminated */
    if (lang_len) {
        present |= P_LANG;
        need += 1 + lang_len;
    }
    nr_grow((void **)buf, cap, off + need, 1);

    uint8_t *p = *buf + off;
    p[0] = NR_EVENT_WIRE_MAGIC;
    p[1] = NR_EVENT_WIRE_VERSION;
    p[2] = (uint8_t)ev->n_dims;
    p[3] = (uint8_t)ev->n_co;
    p[4] = (uint8_t)present;
    p[5] = 0;
    p = nr_le64_put(p + 6, (uint64_t)ev->event_ms);
    p = nr_le64_put(p, present & P_PUB ? (uint64_t)ev->article.published_ms : 0);
    p = nr_le64_put(p, ev->article.simhash);
    p = nr_le64_put(p, ev->id_hash);
    p = put_id(p, r->id, rule_len);
    for (uint32_t i = 0; i < ev->n_dims; i++) {
        const struct nr_event_dim *dm = &ev->dims[i];
        bool dyn = dm->entity == NR_NO_ENTITY;
        *p++ = (uint8_t)(dm->by | (dyn ? DYN_BY : 0));
        p = put_id(p, dyn ? ev->key + dm->key_off : cfg->entities[dm->entity].id, ent_len[i]);
    }
    for (uint32_t i = 0; i < ev->n_co; i++) {
        p = nr_le32_put(p, ev->co[i].mentions);
        p = put_id(p, cfg->entities[ev->co[i].entity].id, ent_len[ev->n_dims + i]);
    }
    for (unsigned i = 0; i < 4; i++) {
        if (!str[i]->p)
            continue;
        p = nr_le32_put(p, (uint32_t)str[i]->len);
        if (str[i]->len) /* memcpy from a NULL source is UB even for 0 bytes */
            memcpy(p, str[i]->p, str[i]->len);
        p += str[i]->len;
    }
    if (lang_len) {
        *p++ = (uint8_t)lang_len;
        memcpy(p, ev->article.lang, lang_len);
        p += lang_len;
    }
    *len = (size_t)(p - (*buf + off));
    return 0;
}

int nr_event_encode_buf(const struct nr_config *cfg, const struct nr_count_event *ev, uint8_t **buf,
                        size_t *cap, size_t *len)
{
    return encode_at(cfg, ev, buf, cap, 0, len);
}

/* ---- batches ------------------------------------------------------------ */

/* The record of rlen bytes at off + 4 joins the batch: header (first
 * record), length prefix, count. */
static void batch_seal(struct nr_event_batch *b, size_t off, size_t rlen)
{
    uint8_t *p = b->buf;
    if (b->len == 0) {
        p[0] = NR_EVENT_BATCH_MAGIC;
        p[1] = NR_EVENT_BATCH_VERSION;
        p[2] = p[3] = 0;
    }
    nr_le32_put(p + off, (uint32_t)rlen);
    b->last_off = off + 4;
    b->last_len = (uint32_t)rlen;
    b->len = off + 4 + rlen;
    nr_le32_put(p + 4, ++b->n);
}

int nr_event_batch_add(const struct nr_config *cfg, struct nr_event_batch *b,
                       const struct nr_count_event *ev)
{
    size_t off = b->len ? b->len : BATCH_HDR_LEN, rlen;
    if (b->n == UINT32_MAX || encode_at(cfg, ev, &b->buf, &b->cap, off + 4, &rlen) != 0 ||
        rlen > UINT32_MAX)
        return -1;
    batch_seal(b, off, rlen);
    return 0;
}

void nr_event_batch_add_raw(struct nr_event_batch *b, const void *rec, size_t len)
{
    size_t off = b->len ? b->len : BATCH_HDR_LEN;
    nr_grow((void **)&b->buf, &b->cap, off + 4 + len, 1);
    if (len)
        memcpy(b->buf + off + 4, rec, len);
    batch_seal(b, off, len);
}

void nr_event_batch_clear(struct nr_event_batch *b)
{
    b->len = 0;
    b->n = 0;
}

void nr_event_batch_free(struct nr_event_batch *b)
{
    free(b->buf);
    memset(b, 0, sizeof(*b));
}

int nr_event_reader_open(struct nr_event_reader *r, const char *buf, size_t len,
                         struct nr_error *err)
{
    memset(r, 0, sizeof(*r));
    const uint8_t *p = (const uint8_t *)buf;
    if (len > 0 && p[0] == NR_EVENT_WIRE_MAGIC) { /* one bare record */
        r->p = p;
        r->len = len;
        r->n = 1;
        r->single = true;
        return 1;
    }
    if (len == 0 || p[0] != NR_EVENT_BATCH_MAGIC) {
        nr_error_set(err, "event: not a count event (%s)",
                     len ? "bad magic byte" : "empty message");
        return -1;
    }
    if (len < BATCH_HDR_LEN) {
        nr_error_set(err, "event batch: truncated header (%zu bytes)", len);
        return -1;
    }
    if (p[1] != NR_EVENT_BATCH_VERSION) {
        nr_error_set(err, "event batch format version %u, this build reads %u", p[1],
                     NR_EVENT_BATCH_VERSION);
        return -1;
    }
    if (p[2] || p[3]) {
        nr_error_set(err, "event batch: reserved bytes are not 0");
        return -1;
    }
    r->n = nr_le32_get(p + 4);
    if (r->n == 0) {
        nr_error_set(err, "event batch: no events");
        return -1;
    }
    r->p = p;
    r->len = len;
    r->off = BATCH_HDR_LEN;
    return (int)(r->n > INT32_MAX ? INT32_MAX : r->n);
}

int nr_event_reader_next(struct nr_event_reader *r, const char **rec, size_t *rlen,
                         struct nr_error *err)
{
    if (r->i >= r->n) {
        if (!r->single && r->off != r->len) {
            nr_error_set(err, "event batch: %zu trailing bytes after %" PRIu32 " events",
                         r->len - r->off, r->n);
            r->off = r->len;
            return -1;
        }
        return 0;
    }
    if (r->single) {
        r->i = 1;
        *rec = (const char *)r->p;
        *rlen = r->len;
        return 1;
    }
    size_t left = r->len - r->off;
    uint32_t n = left >= 4 ? nr_le32_get(r->p + r->off) : 0;
    if (left < 4 || n > left - 4) {
        nr_error_set(err, "event batch: event %" PRIu32 " of %" PRIu32 " truncated at byte %zu",
                     r->i + 1, r->n, r->off);
        r->i = r->n;
        r->off = r->len;
        return -1;
    }
    *rec = (const char *)r->p + r->off + 4;
    *rlen = n;
    r->off += 4 + (size_t)n;
    r->i++;
    return 1;
}

/* ---- the id index ---------------------------------------------------- */

static uint64_t id_hash(const uint8_t *p, size_t n)
{
    return nr_hash64(p, n, 0x6964);
}

static bool id_is(const uint8_t *p, size_t n, const char *id)
{
    /* strnlen first: the wire bytes may hold a NUL, the id may be shorter */
    return id && strnlen(id, n + 1) == n && memcmp(id, p, n) == 0;
}

/* A table of index + 1 (0 = empty) at least twice the size of n. */
static uint32_t *tab_build(const char *(*get)(const struct nr_config *, size_t),
                           const struct nr_config *cfg, size_t n, size_t *mask)
{
    size_t sz = 16;
    while (sz < n * 2)
        sz *= 2;
    uint32_t *t = nr_xcalloc(sz, sizeof(*t));
    *mask = sz - 1;
    for (size_t i = 0; i < n; i++) {
        const char *id = get(cfg, i);
        if (!id)
            continue;
        size_t h = (size_t)id_hash((const uint8_t *)id, strlen(id)) & *mask;
        while (t[h])
            h = (h + 1) & *mask;
        t[h] = (uint32_t)i + 1;
    }
    return t;
}

static const char *ent_id(const struct nr_config *cfg, size_t i)
{
    return cfg->entities[i].id;
}

static const char *rule_id(const struct nr_config *cfg, size_t i)
{
    return cfg->rules[i].id;
}

static void index_drop(struct nr_event_buf *b)
{
    free(b->ent_tab);
    free(b->rule_tab);
    b->ent_tab = b->rule_tab = NULL;
    b->idx_cfg = NULL;
}

static void index_build(struct nr_event_buf *b, const struct nr_config *cfg)
{
    index_drop(b);
    b->ent_tab = tab_build(ent_id, cfg, cfg->n_entities, &b->ent_mask);
    b->rule_tab = tab_build(rule_id, cfg, cfg->n_rules, &b->rule_mask);
    b->idx_cfg = cfg;
    b->idx_ents = cfg->entities;
    b->idx_rules = cfg->rules;
    b->idx_n_ents = cfg->n_entities;
    b->idx_n_rules = cfg->n_rules;
}

/* Index of id among n ids (get), or -1. */
static int lookup(struct nr_event_buf *b, const struct nr_config *cfg, bool rules,
                  const uint8_t *id, size_t n)
{
    const char *(*get)(const struct nr_config *, size_t) = rules ? rule_id : ent_id;
    size_t count = rules ? cfg->n_rules : cfg->n_entities;
    const uint32_t *t = rules ? b->rule_tab : b->ent_tab;
    size_t mask = rules ? b->rule_mask : b->ent_mask;
    for (size_t h = (size_t)id_hash(id, n) & mask; t[h]; h = (h + 1) & mask)
        if (t[h] - 1 < count && id_is(id, n, get(cfg, t[h] - 1)))
            return (int)t[h] - 1;
    /* a miss: believe it only if a scan agrees (the index may be of a
     * config that was freed where this one now lives) */
    for (size_t i = 0; i < count; i++) {
        if (id_is(id, n, get(cfg, i))) {
            index_build(b, cfg);
            return (int)i;
        }
    }
    return -1;
}

void nr_event_buf_free(struct nr_event_buf *b)
{
    if (!b)
        return;
    free(b->mem);
    b->mem = NULL;
    b->cap = 0;
    index_drop(b);
}

/* ---- decode ------------------------------------------------------------ */

/* An id from the wire, printable for a message: at most 64 bytes, bytes
 * outside printable ASCII as '?'. */
static const char *show(const uint8_t *p, size_t n, char out[72])
{
    size_t k = 0;
    for (; k < n && k < 64; k++)
        out[k] = p[k] >= 0x20 && p[k] < 0x7f && p[k] != '"' ? (char)p[k] : '?';
    if (n > 64) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}

static bool sane_time(int64_t t)
{
    return t >= TIME_LO && t <= TIME_HI;
}

static bool kind_ok(const char *want, const struct nr_entity *e)
{
    return strcmp(want, "entity") == 0 || (e->kind && strcmp(want, e->kind) == 0);
}

/* key += [","] by "=" id, as nr_event_key writes it; false if too long */
static bool key_add(char *key, size_t *kl, bool comma, const char *by, const char *id)
{
    size_t bl = strlen(by), il = strlen(id), n = (comma ? 1 : 0) + bl + 1 + il;
    if (*kl + n >= NR_EVENT_KEY_MAX)
        return false;
    char *k = key + *kl;
    if (comma)
        *k++ = ',';
    memcpy(k, by, bl);
    k[bl] = '=';
    memcpy(k + bl + 1, id, il);
    *kl += n;
    key[*kl] = '\0';
    return true;
}

/* One decode_bin call. Its steps return 0, -1 with err set, or
 * DEC_TRUNCATED when the message ends inside a field. */
#define DEC_TRUNCATED (-2)
struct dec {
    const struct nr_config *cfg;
    struct nr_event_buf *b;
    struct nr_error *err;
    struct nr_rbuf c;
    uint32_t n_dims, n_co, present;
    const struct nr_alert_rule *rule;
    size_t kl; /* bytes of ev->key */
    /* the article strings (id, title, url, source), validated in place */
    const uint8_t *sp[4];
    size_t sl[4], total;
    char txt[72]; /* show() */
};

/* Magic (checked by the caller), version, counts and flags, times. */
static int dec_header(struct dec *d)
{
    struct nr_count_event *ev = &d->b->ev;
    const uint8_t *buf = d->c.p;
    if (d->c.n < HDR_LEN) {
        nr_error_set(d->err, "event: truncated (%zu bytes, header is %u)", d->c.n, HDR_LEN);
        return -1;
    }
    if (buf[1] != NR_EVENT_WIRE_VERSION && buf[1] != NR_EVENT_WIRE_VERSION_1) {
        nr_error_set(d->err, "event: count event format version %u, this build reads %u and %u",
                     buf[1], NR_EVENT_WIRE_VERSION_1, NR_EVENT_WIRE_VERSION);
        return -1;
    }
    uint32_t known = buf[1] == NR_EVENT_WIRE_VERSION_1 ? P_ALL_1 : P_ALL;
    d->c.off = 2;
    d->n_dims = nr_rbuf_u8(&d->c);
    d->n_co = nr_rbuf_u8(&d->c);
    d->present = nr_rbuf_u8(&d->c);
    uint32_t rsv = nr_rbuf_u8(&d->c);
    if (d->n_dims > NR_EVENT_MAX_DIMS || d->n_co > NR_EVENT_MAX_CO || (d->present & ~known) ||
        rsv) {
        nr_error_set(d->err, "event: bad header (%u dims, %u co-mentions, flags 0x%02x%02x)",
                     d->n_dims, d->n_co, d->present, rsv);
        return -1;
    }
    if (!(d->present & P_ID)) {
        nr_error_set(d->err, "event: article without id");
        return -1;
    }
    ev->event_ms = (int64_t)nr_rbuf_u64(&d->c);
    int64_t pub = (int64_t)nr_rbuf_u64(&d->c);
    ev->article.simhash = nr_rbuf_u64(&d->c);
    ev->id_hash = nr_rbuf_u64(&d->c);
    if (!sane_time(ev->event_ms)) {
        nr_error_set(d->err, "event: bad time");
        return -1;
    }
    if (!(d->present & P_PUB)) {
        ev->article.published_ms = NR_TIME_NONE;
    } else if (sane_time(pub)) {
        ev->article.published_ms = pub;
    } else {
        nr_error_set(d->err, "event: bad published time");
        return -1;
    }
    return 0;
}

/* The rule id, resolved in the config (the index rebuilt when the config
 * is another one), and its dimension count. */
static int dec_rule(struct dec *d)
{
    const struct nr_config *cfg = d->cfg;
    struct nr_event_buf *b = d->b;
    if (b->idx_cfg != cfg || b->idx_ents != cfg->entities || b->idx_rules != cfg->rules ||
        b->idx_n_ents != cfg->n_entities || b->idx_n_rules != cfg->n_rules)
        index_build(b, cfg);
    size_t n = nr_rbuf_u16(&d->c);
    const uint8_t *id = nr_rbuf_bytes(&d->c, n);
    if (!id)
        return DEC_TRUNCATED;
    int ri = lookup(b, cfg, true, id, n);
    if (ri < 0) {
        nr_error_set(d->err, "event: unknown rule \"%s\"", show(id, n, d->txt));
        return -1;
    }
    d->rule = &cfg->rules[ri];
    b->ev.rule = (uint32_t)ri;
    if (d->n_dims != d->rule->by.n) {
        nr_error_set(d->err, "event: rule %s has %zu dimensions, the event %u", d->rule->id,
                     d->rule->by.n, d->n_dims);
        return -1;
    }
    return 0;
}

/* Dimension i: a role-derived official (the name is the id) or an entity
 * of the kind the rule counts; appended to the key. */
static int dec_dim(struct dec *d, uint32_t i)
{
    const struct nr_alert_rule *r = d->rule;
    struct nr_count_event *ev = &d->b->ev;
    uint32_t by = nr_rbuf_u8(&d->c);
    size_t n = nr_rbuf_u16(&d->c);
    const uint8_t *id = nr_rbuf_bytes(&d->c, n);
    if (!id)
        return DEC_TRUNCATED;
    bool dyn = (by & DYN_BY) != 0;
    by &= ~(uint32_t)DYN_BY;
    if (by >= r->by.n) {
        nr_error_set(d->err, "event: rule %s: bad dimension %u", r->id, i);
        return -1;
    }
    const char *name;
    char nm[NR_EVENT_DYN_MAX + 1];
    int ei = -1;
    if (dyn) {
        if (!nr_event_dyn_ok(r, by, id, n)) {
            nr_error_set(d->err, "event: rule %s: bad official \"%s\"", r->id, show(id, n, d->txt));
            return -1;
        }
        memcpy(nm, id, n);
        nm[n] = '\0';
        name = nm;
    } else {
        ei = lookup(d->b, d->cfg, false, id, n);
        if (ei < 0) {
            nr_error_set(d->err, "event: rule %s: unknown entity \"%s\"", r->id,
                         show(id, n, d->txt));
            return -1;
        }
        const struct nr_entity *e = &d->cfg->entities[ei];
        if (!kind_ok(r->by.v[by], e)) {
            nr_error_set(d->err, "event: rule %s: entity %s is no longer a %s", r->id, e->id,
                         r->by.v[by]);
            return -1;
        }
        name = e->id;
    }
    size_t at = d->kl + (i > 0) + strlen(r->by.v[by]) + 1;
    if (!key_add(ev->key, &d->kl, i > 0, r->by.v[by], name)) {
        nr_error_set(d->err, "event: rule %s: key longer than %d bytes", r->id,
                     NR_EVENT_KEY_MAX - 1);
        return -1;
    }
    if (dyn)
        ev->dims[i] = (struct nr_event_dim){by, NR_NO_ENTITY, (uint16_t)at, (uint16_t)n};
    else
        ev->dims[i] = (struct nr_event_dim){.by = by, .entity = (uint32_t)ei};
    return 0;
}

/* The co-mentioned entities (evidence only: one gone in a reload is
 * dropped). */
static int dec_co(struct dec *d)
{
    struct nr_count_event *ev = &d->b->ev;
    ev->n_co = 0;
    for (uint32_t i = 0; i < d->n_co; i++) {
        uint32_t m = nr_rbuf_u32(&d->c);
        size_t n = nr_rbuf_u16(&d->c);
        const uint8_t *id = nr_rbuf_bytes(&d->c, n);
        if (!id)
            return DEC_TRUNCATED;
        int ei = lookup(d->b, d->cfg, false, id, n);
        if (ei < 0)
            continue;
        ev->co[ev->n_co].entity = (uint32_t)ei;
        ev->co[ev->n_co].mentions = m;
        ev->n_co++;
    }
    return 0;
}

/* The article strings present (valid UTF-8, kept in place for now) and the
 * language (2 or more lower-case letters). */
static int dec_article(struct dec *d)
{
    static const char *const names[4] = {"id", "title", "url", "source"};
    struct nr_count_event *ev = &d->b->ev;
    for (unsigned i = 0; i < 4; i++) {
        if (!(d->present & (1u << i)))
            continue;
        d->sl[i] = nr_rbuf_u32(&d->c);
        d->sp[i] = nr_rbuf_bytes(&d->c, d->sl[i]);
        if (!d->sp[i])
            return DEC_TRUNCATED;
        if (!nr_utf8_valid((const char *)d->sp[i], d->sl[i])) {
            nr_error_set(d->err, "event: article %s: invalid UTF-8", names[i]);
            return -1;
        }
        d->total += d->sl[i] + 1;
    }
    ev->article.lang[0] = '\0';
    if (!(d->present & P_LANG))
        return 0;
    size_t ll = nr_rbuf_u8(&d->c);
    const uint8_t *lp = nr_rbuf_bytes(&d->c, ll);
    if (!lp)
        return DEC_TRUNCATED;
    bool ok = ll >= 2 && ll < NR_LANG_TAG_MAX;
    for (size_t i = 0; ok && i < ll; i++)
        ok = lp[i] >= 'a' && lp[i] <= 'z';
    if (!ok) {
        nr_error_set(d->err, "event: bad language \"%s\"", show(lp, ll, d->txt));
        return -1;
    }
    memcpy(ev->article.lang, lp, ll);
    ev->article.lang[ll] = '\0';
    return 0;
}

/* The article strings, one copy into b->mem. */
static void dec_copy_strings(struct dec *d)
{
    struct nr_event_buf *b = d->b;
    struct nr_count_event *ev = &b->ev;
    nr_grow((void **)&b->mem, &b->cap, d->total ? d->total : 1, 1);
    struct nr_str *dst[4] = {&ev->article.id, &ev->article.title, &ev->article.url,
                             &ev->article.source};
    char *m = b->mem;
    for (unsigned i = 0; i < 4; i++) {
        if (!d->sp[i]) {
            *dst[i] = (struct nr_str){NULL, 0};
            continue;
        }
        memcpy(m, d->sp[i], d->sl[i]);
        m[d->sl[i]] = '\0';
        *dst[i] = (struct nr_str){m, d->sl[i]};
        m += d->sl[i] + 1;
    }
}

static int decode_bin(const struct nr_config *cfg, const uint8_t *buf, size_t len,
                      struct nr_event_buf *b, struct nr_error *err)
{
    struct dec d = {.cfg = cfg, .b = b, .err = err, .c = {buf, len, 0, false}};
    int r = dec_header(&d);
    if (r == 0)
        r = dec_rule(&d);
    b->ev.key[0] = '\0';
    for (uint32_t i = 0; r == 0 && i < d.n_dims; i++)
        r = dec_dim(&d, i);
    if (r == 0) {
        b->ev.n_dims = d.n_dims;
        r = dec_co(&d);
    }
    if (r == 0)
        r = dec_article(&d);
    if (r == DEC_TRUNCATED) {
        nr_error_set(err, "event: truncated at byte %zu of %zu", d.c.off, len);
        return -1;
    }
    if (r != 0)
        return -1;
    if (d.c.off != d.c.n) {
        nr_error_set(err, "event: %zu trailing bytes", d.c.n - d.c.off);
        return -1;
    }
    dec_copy_strings(&d);
    return 0;
}

int nr_event_decode(const struct nr_config *cfg, const char *buf, size_t len,
                    struct nr_event_buf *b, struct nr_error *err)
{
    memset(&b->ev, 0, sizeof(b->ev));
    if (len == 0 || (uint8_t)buf[0] != NR_EVENT_WIRE_MAGIC) {
        nr_error_set(err, "event: not a count event (%s)",
                     len ? "bad magic byte" : "empty message");
        return -1;
    }
    if (decode_bin(cfg, (const uint8_t *)buf, len, b, err) != 0) {
        memset(&b->ev, 0, sizeof(b->ev));
        return -1;
    }
    return 0;
}
