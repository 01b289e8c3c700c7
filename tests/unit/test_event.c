/* test_event.c - the binary wire form of count events (format 1): round
 * trips over generated events, every truncation, every bit flip, random
 * bytes, each rejection with its message, id resolution under a reloaded
 * config, and the format-0 (JSON) transition path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_fixture.h"

#include <stdlib.h>

static uint64_t rng = 0x243F6A8885A308D3ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A config with UTF-8 and long ids and a rule of NR_EVENT_MAX_DIMS
 * dimensions, on top of the fixture's entities and rules. */
#define G_ENTS 12
struct gen {
    struct nr_config cfg;
    struct nr_entity ents[G_ENTS];
    struct nr_alert_rule rules[5];
    char *by_country[1], *by_cg[2], *by_any[NR_EVENT_MAX_DIMS], *by_long[1];
    char long_id[201];
};

static void gen_init(struct gen *g)
{
    memset(g, 0, sizeof(*g));
    static const char *const ids[G_ENTS - 1] = {"PK",
                                                "AF",
                                                "TTP",
                                                "IN",
                                                "C\xc3\xb4te-d\xe2\x80\x99Ivoire",
                                                "\xe4\xb8\xad\xe5\x9b\xbd",
                                                "G1",
                                                "G2",
                                                "O1",
                                                "\xf0\x9f\x8c\x8d",
                                                "X"};
    static const char *const kinds[G_ENTS] = {"country",  "country", "group",    "country",
                                              "country",  "country", "group",    "group",
                                              "official", "place",   "official", "group"};
    memset(g->long_id, 'L', 200);
    for (int i = 0; i < G_ENTS; i++) {
        g->ents[i].id = i < G_ENTS - 1 ? (char *)ids[i] : g->long_id;
        g->ents[i].kind = (char *)kinds[i];
        g->ents[i].name = g->ents[i].id;
    }
    g->by_country[0] = "country";
    g->by_cg[0] = "country";
    g->by_cg[1] = "group";
    for (int i = 0; i < NR_EVENT_MAX_DIMS; i++)
        g->by_any[i] = "entity";
    g->by_long[0] = "group";
    fx_rule(&g->rules[0], "attack_by_country", "attack", 0);
    g->rules[0].by = (struct nr_strlist){g->by_country, 1};
    fx_rule(&g->rules[1], "everything", NULL, -1);
    fx_rule(&g->rules[2], "country_group", "attack", 0);
    g->rules[2].by = (struct nr_strlist){g->by_cg, 2};
    fx_rule(&g->rules[3], "r\xc3\xa8gle_4d", NULL, -1);
    g->rules[3].by = (struct nr_strlist){g->by_any, NR_EVENT_MAX_DIMS};
    fx_rule(&g->rules[4], "by_group", NULL, -1);
    g->rules[4].by = (struct nr_strlist){g->by_long, 1};
    g->cfg.entities = g->ents;
    g->cfg.n_entities = G_ENTS;
    g->cfg.rules = g->rules;
    g->cfg.n_rules = 5;
}

/* Random valid UTF-8 (NUL included) of up to max pieces into out. */
static size_t gen_utf8(char *out, size_t max)
{
    static const char *const piece[] = {
        "a", "Z", " ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e", "\"", "\\"};
    size_t n = 0, k = max ? next() % (max + 1) : 0;
    for (size_t i = 0; i < k; i++) {
        if (next() % 50 == 0) {
            out[n++] = '\0';
            continue;
        }
        const char *p = piece[next() % NR_ARRAY_LEN(piece)];
        size_t l = strlen(p);
        memcpy(out + n, p, l);
        n += l;
    }
    return n;
}

struct gen_ev {
    struct nr_count_event ev;
    char strs[4][4 * 400 + 1];
};

static int64_t gen_time(void)
{
    switch (next() % 4) {
    case 0:
        return INT64_MIN / 4;
    case 1:
        return INT64_MAX / 4;
    case 2:
        return -(int64_t)(next() % 100000000000LL);
    default:
        return FX_T0 + (int64_t)(next() % 1000000);
    }
}

/* A random event that encode accepts: false if its key would not fit. */
static bool gen_event(const struct gen *g, struct gen_ev *ge)
{
    struct nr_count_event *ev = &ge->ev;
    memset(ev, 0, sizeof(*ev));
    ev->rule = (uint32_t)(next() % g->cfg.n_rules);
    const struct nr_alert_rule *r = &g->cfg.rules[ev->rule];
    ev->n_dims = (uint32_t)r->by.n;
    /* role-derived officials (not in the config) where a rule keys by entity */
    static const char *const officials[] = {"antony blinken", "mohammed bin salman",
                                            "jos\xc3\xa9 p\xc3\xa9rez", "o'brien"};
    const char *names[NR_EVENT_MAX_DIMS] = {NULL};
    size_t lens[NR_EVENT_MAX_DIMS] = {0};
    for (uint32_t d = 0; d < ev->n_dims; d++) {
        uint32_t e;
        do
            e = (uint32_t)(next() % G_ENTS);
        while (strcmp(r->by.v[d], "entity") != 0 && strcmp(r->by.v[d], g->ents[e].kind) != 0);
        ev->dims[d].by = d;
        ev->dims[d].entity = e;
        if (strcmp(r->by.v[d], "entity") == 0 && next() % 4 == 0) {
            ev->dims[d].entity = NR_NO_ENTITY;
            names[d] = officials[next() % NR_ARRAY_LEN(officials)];
            lens[d] = strlen(names[d]);
        }
    }
    if (nr_event_key_dyn(&g->cfg, r, ev->dims, ev->n_dims, names, lens, ev->key) < 0)
        return false;
    ev->event_ms = gen_time();
    ev->article.published_ms = next() % 3 == 0 ? NR_TIME_NONE : gen_time();
    ev->article.simhash = next();
    static const char *const langs[] = {"", "en", "ur", "fil"};
    strcpy(ev->article.lang, langs[next() % 4]);
    struct nr_str *s[4] = {&ev->article.id, &ev->article.title, &ev->article.url,
                           &ev->article.source};
    for (int i = 0; i < 4; i++) {
        if (i > 0 && next() % 4 == 0)
            continue; /* absent */
        size_t l = gen_utf8(ge->strs[i], next() % 8 == 0 ? 400 : 12);
        *s[i] = (struct nr_str){ge->strs[i], l};
    }
    ev->id_hash = nr_event_id_hash(ev->article.id.p, ev->article.id.len);
    ev->n_co = next() % 3 == 0 ? NR_EVENT_MAX_CO : (uint32_t)(next() % (NR_EVENT_MAX_CO + 1));
    for (uint32_t i = 0; i < ev->n_co; i++) {
        ev->co[i].entity = (uint32_t)(next() % G_ENTS);
        ev->co[i].mentions = next() % 5 == 0 ? UINT32_MAX : (uint32_t)(next() % 100);
    }
    return true;
}

static void assert_str_eq(struct nr_str a, struct nr_str b)
{
    assert_true((a.p == NULL) == (b.p == NULL));
    assert_int_equal(a.len, b.len);
    if (a.len)
        assert_memory_equal(a.p, b.p, a.len);
}

static void assert_event_eq(const struct nr_count_event *a, const struct nr_count_event *b)
{
    assert_int_equal(a->rule, b->rule);
    assert_string_equal(a->key, b->key);
    assert_int_equal(a->n_dims, b->n_dims);
    for (uint32_t i = 0; i < a->n_dims; i++) {
        assert_int_equal(a->dims[i].by, b->dims[i].by);
        assert_int_equal(a->dims[i].entity, b->dims[i].entity);
        if (a->dims[i].entity == NR_NO_ENTITY) { /* the name travels in the key */
            assert_int_equal(a->dims[i].key_off, b->dims[i].key_off);
            assert_int_equal(a->dims[i].key_len, b->dims[i].key_len);
        }
    }
    assert_true(a->event_ms == b->event_ms);
    assert_true(a->article.published_ms == b->article.published_ms);
    assert_true(a->article.simhash == b->article.simhash);
    assert_true(a->id_hash == b->id_hash);
    assert_str_eq(a->article.id, b->article.id);
    assert_str_eq(a->article.title, b->article.title);
    assert_str_eq(a->article.url, b->article.url);
    assert_str_eq(a->article.source, b->article.source);
    assert_string_equal(a->article.lang, b->article.lang);
    assert_int_equal(a->n_co, b->n_co);
    for (uint32_t i = 0; i < a->n_co; i++) {
        assert_int_equal(a->co[i].entity, b->co[i].entity);
        assert_int_equal(a->co[i].mentions, b->co[i].mentions);
    }
}

static void test_roundtrip_generated(void **state)
{
    (void)state;
    struct gen g;
    gen_init(&g);
    static struct gen_ev ge;
    struct nr_event_buf b = {0};
    struct nr_error err;
    uint8_t *w = NULL, *w2 = NULL;
    size_t cap = 0, cap2 = 0, len, len2, made = 0, max_dims = 0, max_co = 0, dyn = 0;
    for (int i = 0; i < 5000; i++) {
        if (!gen_event(&g, &ge))
            continue;
        made++;
        max_dims += ge.ev.n_dims == NR_EVENT_MAX_DIMS;
        max_co += ge.ev.n_co == NR_EVENT_MAX_CO;
        for (uint32_t d = 0; d < ge.ev.n_dims; d++)
            dyn += ge.ev.dims[d].entity == NR_NO_ENTITY;
        assert_int_equal(nr_event_encode_buf(&g.cfg, &ge.ev, &w, &cap, &len), 0);
        assert_int_equal(w[0], NR_EVENT_WIRE_MAGIC);
        assert_int_equal(w[1], NR_EVENT_WIRE_VERSION);
        if (nr_event_decode(&g.cfg, (const char *)w, len, &b, &err) != 0)
            fail_msg("event %d: %s", i, err.msg);
        assert_event_eq(&ge.ev, &b.ev);
        /* encode(decode(x)) == x, byte for byte */
        assert_int_equal(nr_event_encode_buf(&g.cfg, &b.ev, &w2, &cap2, &len2), 0);
        assert_int_equal(len, len2);
        assert_memory_equal(w, w2, len);
    }
    assert_true(made > 4000);
    assert_true(max_dims > 100 && max_co > 1000 && dyn > 100);
    free(w);
    free(w2);
    nr_event_buf_free(&b);
}

/* The buffers stop growing: the steady state allocates nothing. */
static void test_buffer_reuse(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_count_event ev = fx_event(&f, 2, 1, FX_T0, "id-1", 7);
    struct nr_event_buf b = {0};
    struct nr_error err;
    uint8_t *w = NULL;
    size_t cap = 0, len;
    assert_int_equal(nr_event_encode_buf(&f.cfg, &ev, &w, &cap, &len), 0);
    assert_int_equal(nr_event_decode(&f.cfg, (const char *)w, len, &b, &err), 0);
    uint8_t *w0 = w;
    char *m0 = b.mem;
    uint32_t *t0 = b.ent_tab;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(nr_event_encode_buf(&f.cfg, &ev, &w, &cap, &len), 0);
        assert_int_equal(nr_event_decode(&f.cfg, (const char *)w, len, &b, &err), 0);
    }
    assert_ptr_equal(w, w0);
    assert_ptr_equal(b.mem, m0);
    assert_ptr_equal(b.ent_tab, t0);
    free(w);
    nr_event_buf_free(&b);
    nr_event_buf_free(&b); /* twice is fine */
    nr_event_buf_free(NULL);
}

static void encode_ok(const struct nr_config *cfg, const struct nr_count_event *ev, uint8_t **w,
                      size_t *cap, size_t *len)
{
    assert_int_equal(nr_event_encode_buf(cfg, ev, w, cap, len), 0);
}

static void test_truncation_and_flips(void **state)
{
    (void)state;
    struct gen g;
    gen_init(&g);
    static struct gen_ev ge;
    struct nr_event_buf b = {0};
    struct nr_error err;
    uint8_t *w = NULL, *x = NULL, *w2 = NULL;
    size_t cap = 0, len, cap2 = 0, len2;
    for (int round = 0; round < 40; round++) {
        while (!gen_event(&g, &ge))
            ;
        encode_ok(&g.cfg, &ge.ev, &w, &cap, &len);
        /* every prefix, in a buffer of exactly that size (ASan sees overreads) */
        for (size_t cut = 0; cut < len; cut++) {
            x = realloc(x, cut ? cut : 1);
            memcpy(x, w, cut);
            err.msg[0] = '\0';
            assert_int_equal(nr_event_decode(&g.cfg, (const char *)x, cut, &b, &err), -1);
            assert_true(err.msg[0] != '\0');
        }
        /* every single bit flip: a clean error, or an event that encodes again */
        x = realloc(x, len);
        for (size_t bit = 0; bit < len * 8; bit++) {
            memcpy(x, w, len);
            x[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (nr_event_decode(&g.cfg, (const char *)x, len, &b, &err) == 0)
                assert_int_equal(nr_event_encode_buf(&g.cfg, &b.ev, &w2, &cap2, &len2), 0);
            else
                assert_true(err.msg[0] != '\0');
        }
    }
    free(w);
    free(w2);
    free(x);
    nr_event_buf_free(&b);
}

static void test_random_bytes(void **state)
{
    (void)state;
    struct gen g;
    gen_init(&g);
    struct nr_event_buf b = {0};
    struct nr_error err;
    size_t accepted = 0;
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(next() % 200);
        uint8_t *x = malloc(len ? len : 1);
        for (size_t j = 0; j < len; j++)
            x[j] = (uint8_t)next();
        /* mostly past the magic and version, so the deeper checks run */
        if (len >= 2 && i % 4 != 0) {
            x[0] = NR_EVENT_WIRE_MAGIC;
            x[1] = NR_EVENT_WIRE_VERSION;
        }
        if (len >= 6 && i % 2 == 0) {
            x[2] %= 5;
            x[3] %= 17;
            x[4] = (uint8_t)(x[4] & 0x1f) | 1u;
            x[5] = 0;
        }
        accepted += nr_event_decode(&g.cfg, (const char *)x, len, &b, &err) == 0;
        free(x);
    }
    assert_int_equal(accepted, 0); /* random ids never name a rule */
    nr_event_buf_free(&b);
}

/* Decode x (a patched copy of a good encoding) and expect a message. */
static void expect_reject(const struct nr_config *cfg, const uint8_t *x, size_t len,
                          const char *want)
{
    struct nr_event_buf b = {0};
    struct nr_error err = {{0}};
    assert_int_equal(nr_event_decode(cfg, (const char *)x, len, &b, &err), -1);
    if (!strstr(err.msg, want))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
    assert_int_equal(b.ev.n_dims, 0); /* nothing half-decoded left behind */
    nr_event_buf_free(&b);
}

/* Format 2 carries the language; a format-1 record (an earlier build's, in
 * flight during an upgrade) is read as one of unknown language, and one
 * claiming the language bit is rejected, as a bad language is. */
static void test_language_versions(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0, "x", 1);
    struct nr_event_buf b = {0};
    struct nr_error err;
    uint8_t *w = NULL, x[512];
    size_t cap = 0, len, len0;
    /* no language: the record is what format 1 wrote, bar the version */
    encode_ok(&f.cfg, &ev, &w, &cap, &len0);
    assert_int_equal(w[1], 2);
    assert_int_equal(w[4] & 0x20, 0);
    memcpy(x, w, len0);
    x[1] = 1;
    if (nr_event_decode(&f.cfg, (const char *)x, len0, &b, &err) != 0)
        fail_msg("format 1: %s", err.msg);
    assert_string_equal(b.ev.article.lang, "");
    assert_str_eq(b.ev.article.id, ev.article.id);
    /* with a language: two more bytes and one flag */
    strcpy(ev.article.lang, "ps");
    encode_ok(&f.cfg, &ev, &w, &cap, &len);
    assert_int_equal(len, len0 + 3);
    assert_int_equal(w[4] & 0x20, 0x20);
    assert_memory_equal(w + len - 3, "\x02ps", 3);
    assert_int_equal(nr_event_decode(&f.cfg, (const char *)w, len, &b, &err), 0);
    assert_string_equal(b.ev.article.lang, "ps");
    memcpy(x, w, len);
    x[1] = 1; /* format 1 has no language bit */
    expect_reject(&f.cfg, x, len, "bad header");
    memcpy(x, w, len);
    x[len - 1] = 'S';
    expect_reject(&f.cfg, x, len, "bad language \"pS\"");
    memcpy(x, w, len);
    x[len - 3] = 1;
    expect_reject(&f.cfg, x, len - 1, "bad language \"p\"");
    memcpy(x, w, len);
    x[len - 3] = 3;
    expect_reject(&f.cfg, x, len, "truncated");
    /* a language that does not fit its field is not encoded */
    memcpy(ev.article.lang, "abcd", 4);
    size_t len3 = 0;
    assert_int_equal(nr_event_encode_buf(&f.cfg, &ev, &w, &cap, &len3), -1);
    free(w);
    nr_event_buf_free(&b);
}

static void test_rejections(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_count_event ev = fx_event(&f, 0, 0, FX_T0, "x", 1);
    uint8_t *w = NULL, x[512];
    size_t cap = 0, len;
    encode_ok(&f.cfg, &ev, &w, &cap, &len);
    assert_true(len < sizeof(x));
    /* offsets of format 2 (as of 1): header 38, rule id at 40 ("attack_by_country",
     * 17 bytes), dim at 57: by, u16 len, "PK" */
    assert_int_equal(w[38], 17);
    assert_memory_equal(w + 40, "attack_by_country", 17);

    memcpy(x, w, len);
    x[1] = 3;
    expect_reject(&f.cfg, x, len, "count event format version 3, this build reads 1 and 2");
    memcpy(x, w, len);
    x[0] = 0x7a;
    expect_reject(&f.cfg, x, len, "not a count event");
    expect_reject(&f.cfg, x, 0, "empty message");
    memcpy(x, w, len);
    x[2] = NR_EVENT_MAX_DIMS + 1;
    expect_reject(&f.cfg, x, len, "bad header");
    memcpy(x, w, len);
    x[4] |= 0x40;
    expect_reject(&f.cfg, x, len, "bad header");
    memcpy(x, w, len);
    x[4] &= (uint8_t)~1u;
    expect_reject(&f.cfg, x, len, "article without id");
    memcpy(x, w, len);
    x[13] = 0x7f; /* event_ms far beyond any sane time */
    expect_reject(&f.cfg, x, len, "bad time");
    memcpy(x, w, len);
    x[40] = 'b';
    expect_reject(&f.cfg, x, len, "unknown rule \"bttack_by_country\"");
    memcpy(x, w, len);
    x[2] = 0; /* a by-country rule without its dimension */
    expect_reject(&f.cfg, x, len, "rule attack_by_country has 1 dimensions, the event 0");
    memcpy(x, w, len);
    x[57] = 1;
    expect_reject(&f.cfg, x, len, "bad dimension 0");
    memcpy(x, w, len);
    memcpy(x + 60, "ZZ", 2);
    expect_reject(&f.cfg, x, len, "unknown entity \"ZZ\"");
    memcpy(x, w, len);
    x[61] = '\0'; /* "P\0": the id check must not stop at the NUL */
    expect_reject(&f.cfg, x, len, "unknown entity \"P?\"");
    memcpy(x, w, len);
    x[len] = 0;
    expect_reject(&f.cfg, x, len + 1, "1 trailing bytes");
    expect_reject(&f.cfg, w, 20, "truncated (20 bytes");
    expect_reject(&f.cfg, w, 50, "truncated at byte");

    /* a country dimension naming a group */
    ev.dims[0].entity = 2;
    encode_ok(&f.cfg, &ev, &w, &cap, &len);
    expect_reject(&f.cfg, w, len, "entity TTP is no longer a country");

    /* invalid UTF-8 in the title: the last string before the url */
    ev = fx_event(&f, 0, 0, FX_T0, "x", 1);
    ev.article.url = (struct nr_str){NULL, 0};
    ev.article.title = (struct nr_str){"ab\xff", 3};
    encode_ok(&f.cfg, &ev, &w, &cap, &len);
    expect_reject(&f.cfg, w, len, "article title: invalid UTF-8");

    /* a key that the local config cannot hold */
    struct gen g;
    gen_init(&g);
    ev = fx_event(&f, 0, 0, FX_T0, "x", 1);
    ev.rule = 4; /* by [group] */
    ev.dims[0].entity = G_ENTS - 1;
    char big[201];
    memset(big, 'L', 200);
    big[200] = '\0';
    g.ents[G_ENTS - 1].id = big;
    encode_ok(&g.cfg, &ev, &w, &cap, &len); /* "group=" + 200 fits */
    struct nr_event_buf b = {0};
    struct nr_error err;
    assert_int_equal(nr_event_decode(&g.cfg, (const char *)w, len, &b, &err), 0);
    assert_int_equal(strlen(b.ev.key), 206);
    nr_event_buf_free(&b);
    ev.rule = 3; /* four dims of 200-byte ids do not fit */
    ev.n_dims = 4;
    for (int i = 0; i < 4; i++)
        ev.dims[i] = (struct nr_event_dim){.by = (uint32_t)i, .entity = G_ENTS - 1};
    encode_ok(&g.cfg, &ev, &w, &cap, &len);
    expect_reject(&g.cfg, w, len, "key longer than 255 bytes");

    /* encode refuses what the config cannot name, and writes nothing */
    size_t len0 = len = 12345;
    ev = fx_event(&f, 0, 0, FX_T0, "x", 1);
    ev.rule = 3;
    assert_int_equal(nr_event_encode_buf(&f.cfg, &ev, &w, &cap, &len), -1);
    ev.rule = 0;
    ev.dims[0].entity = 4;
    assert_int_equal(nr_event_encode_buf(&f.cfg, &ev, &w, &cap, &len), -1);
    ev.dims[0].entity = 0;
    ev.co[1].entity = 99;
    assert_int_equal(nr_event_encode_buf(&f.cfg, &ev, &w, &cap, &len), -1);
    ev.co[1].entity = 0;
    ev.n_co = NR_EVENT_MAX_CO + 1;
    assert_int_equal(nr_event_encode_buf(&f.cfg, &ev, &w, &cap, &len), -1);
    assert_int_equal(len, len0);
    free(w);
}

/* Encoded under config A, decoded under B (rules reversed, AF removed):
 * rule and entities resolve by id to B's indices. */
static void test_reloaded_config(void **state)
{
    (void)state;
    struct fixture a, bcfg;
    fx_init(&a);
    fx_config_b(&bcfg);
    struct nr_event_buf b = {0};
    struct nr_error err;
    uint8_t *w = NULL;
    size_t cap = 0, len;

    struct nr_count_event ev = fx_event(&a, 2, 3, FX_T0, "r1", 5); /* country_group, IN x TTP */
    encode_ok(&a.cfg, &ev, &w, &cap, &len);
    assert_int_equal(nr_event_decode(&bcfg.cfg, (const char *)w, len, &b, &err), 0);
    assert_int_equal(b.ev.rule, 0);
    assert_string_equal(b.ev.key, "country=IN,group=TTP");
    assert_int_equal(b.ev.dims[0].entity, 2);
    assert_int_equal(b.ev.dims[1].entity, 1);
    assert_int_equal(b.ev.n_co, 2);
    assert_int_equal(b.ev.co[0].entity, 2);
    assert_int_equal(b.ev.co[1].entity, 1);

    /* a co-mentioned entity gone from the config is dropped, the count kept */
    ev = fx_event(&a, 0, 0, FX_T0, "r2", 5);
    ev.co[1].entity = 1; /* AF */
    encode_ok(&a.cfg, &ev, &w, &cap, &len);
    assert_int_equal(nr_event_decode(&bcfg.cfg, (const char *)w, len, &b, &err), 0);
    assert_int_equal(b.ev.rule, 2);
    assert_int_equal(b.ev.n_co, 1);
    assert_int_equal(b.ev.co[0].entity, 0);

    /* a dimension on an entity gone from the config: an error */
    ev = fx_event(&a, 0, 1, FX_T0, "r3", 5);
    encode_ok(&a.cfg, &ev, &w, &cap, &len);
    expect_reject(&bcfg.cfg, w, len, "rule attack_by_country: unknown entity \"AF\"");

    /* the same buffer against A again: the index follows the config */
    assert_int_equal(nr_event_decode(&a.cfg, (const char *)w, len, &b, &err), 0);
    assert_int_equal(b.ev.dims[0].entity, 1);

    /* a config changed in place (same addresses and counts, as when a new
     * config lands where the old one was freed): still resolved right */
    a.ents[1].id = "XX";
    a.ents[3].id = "AF";
    assert_int_equal(nr_event_decode(&a.cfg, (const char *)w, len, &b, &err), 0);
    assert_int_equal(b.ev.dims[0].entity, 3);
    assert_string_equal(b.ev.key, "country=AF");
    a.ents[3].id = "ZW";
    expect_reject(&a.cfg, w, len, "unknown entity \"AF\"");
    free(w);
    nr_event_buf_free(&b);
}

/* Batches: what goes in comes out, in order, and equal to the bare record. */
static void test_batch_roundtrip(void **state)
{
    (void)state;
    struct gen g;
    gen_init(&g);
    static struct gen_ev ge[64];
    struct nr_event_batch bt = {0};
    struct nr_event_buf b = {0};
    struct nr_error err;
    uint8_t *w = NULL;
    size_t cap = 0, len;
    for (int round = 0; round < 50; round++) {
        nr_event_batch_clear(&bt);
        uint32_t n = 0, want = 1 + (uint32_t)(next() % 64);
        while (n < want)
            if (gen_event(&g, &ge[n])) {
                assert_int_equal(nr_event_batch_add(&g.cfg, &bt, &ge[n].ev), 0);
                /* last_off/last_len: the record just added, as encoded alone */
                assert_int_equal(nr_event_encode_buf(&g.cfg, &ge[n].ev, &w, &cap, &len), 0);
                assert_int_equal(bt.last_len, len);
                assert_memory_equal(bt.buf + bt.last_off, w, len);
                n++;
            }
        assert_int_equal(bt.n, n);
        struct nr_event_reader rd;
        assert_int_equal(nr_event_reader_open(&rd, (const char *)bt.buf, bt.len, &err), (int)n);
        const char *rec;
        size_t rlen;
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(nr_event_reader_next(&rd, &rec, &rlen, &err), 1);
            assert_int_equal(nr_event_encode_buf(&g.cfg, &ge[i].ev, &w, &cap, &len), 0);
            assert_int_equal(rlen, len);
            assert_memory_equal(rec, w, len);
            if (nr_event_decode(&g.cfg, rec, rlen, &b, &err) != 0)
                fail_msg("round %d event %u: %s", round, i, err.msg);
            assert_event_eq(&ge[i].ev, &b.ev);
        }
        assert_int_equal(nr_event_reader_next(&rd, &rec, &rlen, &err), 0);
        assert_int_equal(nr_event_reader_next(&rd, &rec, &rlen, &err), 0);
    }
    /* A bare record reads as a batch of one. */
    assert_int_equal(nr_event_encode_buf(&g.cfg, &ge[0].ev, &w, &cap, &len), 0);
    struct nr_event_reader rd;
    const char *rec;
    size_t rlen;
    assert_int_equal(nr_event_reader_open(&rd, (const char *)w, len, &err), 1);
    assert_int_equal(nr_event_reader_next(&rd, &rec, &rlen, &err), 1);
    assert_ptr_equal(rec, (const char *)w);
    assert_int_equal(rlen, len);
    assert_int_equal(nr_event_reader_next(&rd, &rec, &rlen, &err), 0);
    nr_event_batch_free(&bt);
    nr_event_batch_free(&bt); /* twice is fine */
    nr_event_buf_free(&b);
    free(w);
}

/* Read a whole message as stage 2 does: the records, or -1 with a message. */
static int read_all(const uint8_t *x, size_t len, struct nr_error *err)
{
    struct nr_event_reader rd;
    const char *rec;
    size_t rlen;
    int n = 0, k;
    memset(err, 0, sizeof(*err));
    if (nr_event_reader_open(&rd, (const char *)x, len, err) < 0)
        return -1;
    while ((k = nr_event_reader_next(&rd, &rec, &rlen, err)) > 0) {
        assert_true(rec >= (const char *)x && rec + rlen <= (const char *)x + len);
        n++;
    }
    return k < 0 ? -1 : n;
}

static void test_batch_framing(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct nr_event_batch bt = {0};
    struct nr_error err;
    for (int i = 0; i < 3; i++) {
        struct nr_count_event ev = fx_event(&f, 2, 1, FX_T0 + i, "id-1", 7);
        assert_int_equal(nr_event_batch_add(&f.cfg, &bt, &ev), 0);
    }
    assert_int_equal(bt.buf[0], NR_EVENT_BATCH_MAGIC);
    assert_int_equal(read_all(bt.buf, bt.len, &err), 3);
    /* every proper prefix is refused, with a reason */
    for (size_t l = 0; l < bt.len; l++) {
        assert_int_equal(read_all(bt.buf, l, &err), -1);
        assert_true(err.msg[0] != 0);
    }
    uint8_t *x = malloc(bt.len + 1);
    memcpy(x, bt.buf, bt.len);
    x[bt.len] = 0;
    assert_int_equal(read_all(x, bt.len + 1, &err), -1);
    assert_non_null(strstr(err.msg, "1 trailing bytes after 3 events"));
    x[1] = 9;
    assert_int_equal(read_all(x, bt.len, &err), -1);
    assert_non_null(strstr(err.msg, "format version 9"));
    x[1] = NR_EVENT_BATCH_VERSION;
    x[2] = 1;
    assert_int_equal(read_all(x, bt.len, &err), -1);
    assert_non_null(strstr(err.msg, "reserved"));
    x[2] = 0;
    memset(x + 4, 0, 4);
    assert_int_equal(read_all(x, bt.len, &err), -1);
    assert_non_null(strstr(err.msg, "no events"));
    x[4] = 4; /* announces 4, holds 3 */
    assert_int_equal(read_all(x, bt.len, &err), -1);
    assert_non_null(strstr(err.msg, "event 4 of 4 truncated"));
    x[4] = 3;
    x[11] = 0xFF; /* first record's length runs past the end */
    assert_int_equal(read_all(x, bt.len, &err), -1);
    assert_non_null(strstr(err.msg, "event 1 of 3 truncated at byte 8"));
    x[0] = 0x7B;
    assert_int_equal(read_all(x, bt.len, &err), -1);
    assert_non_null(strstr(err.msg, "bad magic"));
    assert_int_equal(read_all(x, 0, &err), -1);
    assert_non_null(strstr(err.msg, "empty message"));
    free(x);
    /* cleared, the batch starts over in the same memory */
    uint8_t *b0 = bt.buf;
    nr_event_batch_clear(&bt);
    struct nr_count_event ev = fx_event(&f, 2, 1, FX_T0, "id-2", 7);
    assert_int_equal(nr_event_batch_add(&f.cfg, &bt, &ev), 0);
    assert_ptr_equal(bt.buf, b0);
    assert_int_equal(read_all(bt.buf, bt.len, &err), 1);
    /* an event the config cannot hold adds nothing */
    size_t len0 = bt.len;
    ev.rule = (uint32_t)f.cfg.n_rules;
    assert_int_equal(nr_event_batch_add(&f.cfg, &bt, &ev), -1);
    assert_int_equal(bt.len, len0);
    assert_int_equal(bt.n, 1);
    nr_event_batch_free(&bt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_generated),  cmocka_unit_test(test_buffer_reuse),
        cmocka_unit_test(test_truncation_and_flips), cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_rejections),           cmocka_unit_test(test_language_versions),
        cmocka_unit_test(test_reloaded_config),      cmocka_unit_test(test_batch_roundtrip),
        cmocka_unit_test(test_batch_framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
