/*
 * test_json_tokens.c - the decoder's tokenizer takes long strings from jsmn
 * (article.c: jsmn runs up to each one's opening quote and the string is
 * made a token as jsmn makes it). Its result must be jsmn's own, token for
 * token, with the same return, stop byte and count of filled tokens, on
 * well-formed messages with long strings (escapes, \u, keys, arrays, more
 * than the fast path takes) and on thousands of mutations of them: quotes,
 * backslashes, NULs and literal letters dropped in, bytes cut off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jsmn as article.c builds it (static, strict, parent links) */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "../../src/article_int.h"
#include "newsradar/config.h"

struct ref {
    int r, nparsed;
    size_t stop;
};

/* jsmn alone, growing its array as tokenize does */
static struct ref reference(const char *s, size_t len, jsmntok_t **tok, size_t *cap)
{
    jsmn_parser p;
    jsmn_init(&p);
    for (;;) {
        int r = jsmn_parse(&p, s, len, *tok, (unsigned)*cap);
        if (r != JSMN_ERROR_NOMEM || *cap > len + 1)
            return (struct ref){r == JSMN_ERROR_NOMEM ? JSMN_ERROR_INVAL : r, (int)p.toknext,
                                p.pos};
        *cap *= 2;
        *tok = realloc(*tok, *cap * sizeof(**tok));
        assert_non_null(*tok);
    }
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void check(struct nr_decoder *d, const char *s, size_t len, const char *what)
{
    static jsmntok_t *rt;
    static size_t rcap;
    if (!rt) {
        rcap = 4;
        rt = malloc(rcap * sizeof(*rt));
    }
    struct ref want = reference(s, len, &rt, &rcap);
    size_t stop = 0;
    int nparsed = 0;
    int r = nr__tokenize(d, s, len, &stop, &nparsed);
    if (r != want.r || stop != want.stop || nparsed != want.nparsed)
        fail_msg("%s: got r %d stop %zu tokens %d, jsmn r %d stop %zu tokens %d (%.*s)", what, r,
                 stop, nparsed, want.r, want.stop, want.nparsed, (int)(len < 200 ? len : 200), s);
    for (int i = 0; i < nparsed; i++) {
        const jsmntok_t *a = &d->tok[i], *b = &rt[i];
        if (a->type != b->type || a->start != b->start || a->end != b->end || a->size != b->size ||
            a->parent != b->parent)
            fail_msg("%s: token %d differs: %d [%d,%d) size %d parent %d vs jsmn %d [%d,%d) "
                     "size %d parent %d",
                     what, i, a->type, a->start, a->end, a->size, a->parent, b->type, b->start,
                     b->end, b->size, b->parent);
    }
}

static size_t filler(char *out, size_t n, int esc)
{
    static const char *const words[] = {
        "border ",          "talks ",  "minister ", "said ", "the ",        "\\\"quoted\\\" ",
        "\\u00e9t\\u00E9 ", "a\\\\b ", "\\n",       "\\/",   "caf\xc3\xa9 "};
    size_t o = 0;
    while (o + 16 < n) {
        const char *w = words[next() % (esc ? 11 : 5)];
        memcpy(out + o, w, strlen(w));
        o += strlen(w);
    }
    return o;
}

/* A message with `n_long` long strings (values, keys, array elements). */
static size_t build(char *buf, size_t cap, int n_long, int esc)
{
    size_t o = (size_t)snprintf(buf, cap, "{\"id\":\"a1\",\"n\":12,\"ok\":true,\"list\":[");
    for (int i = 0; i < n_long; i++) {
        if (i)
            buf[o++] = ',';
        buf[o++] = '"';
        o += filler(buf + o, 70 + next() % 300, esc);
        buf[o++] = '"';
    }
    o += (size_t)snprintf(buf + o, cap - o, "],\"");
    o += filler(buf + o, 90, esc); /* a long key */
    o += (size_t)snprintf(buf + o, cap - o, "\":null,\"body\":\"");
    o += filler(buf + o, 2000, esc);
    o += (size_t)snprintf(buf + o, cap - o, "\",\"x\":{\"y\":[1,-2.5e3,false]}}");
    assert_true(o < cap);
    return o;
}

static void test_well_formed(void **state)
{
    struct nr_decoder *d = *state;
    char *buf = malloc(1 << 16);
    for (int n_long = 0; n_long <= NR_LONG_STRINGS_MAX + 4; n_long++)
        for (int esc = 0; esc < 2; esc++) {
            size_t len = build(buf, 1 << 16, n_long, esc);
            check(d, buf, len, "well-formed");
            size_t stop;
            int np;
            assert_true(nr__tokenize(d, buf, len, &stop, &np) > 0);
        }
    /* a top-level long string, and one alone in an array */
    char s[300];
    memset(s, 'x', sizeof(s));
    s[0] = '"';
    s[sizeof(s) - 1] = '"';
    check(d, s, sizeof(s), "top-level string");
    s[0] = '[';
    s[1] = '"';
    s[sizeof(s) - 2] = '"';
    s[sizeof(s) - 1] = ']';
    check(d, s, sizeof(s), "array of one string");
    free(buf);
}

static void test_mutations(void **state)
{
    struct nr_decoder *d = *state;
    static const char put[] = {'"', '\\', '\0', 't', 'u', '0', ',', ':',
                               '{', '}',  '[',  ']', ' ', 'x', '\n'};
    char *base = malloc(1 << 16), *buf = malloc(1 << 16);
    for (int round = 0; round < 6000; round++) {
        size_t len =
            build(base, 1 << 16, (int)(next() % (NR_LONG_STRINGS_MAX + 3)), (int)(next() % 2));
        memcpy(buf, base, len);
        int edits = 1 + (int)(next() % 3);
        for (int e = 0; e < edits; e++) {
            size_t at = next() % len;
            /* half the edits near a string's start or end */
            if (next() % 2) {
                const char *q = memchr(buf + at, '"', len - at);
                if (q)
                    at = (size_t)(q - buf) + (next() % 3) - 1 + (q == buf);
            }
            if (at < len)
                buf[at] = put[next() % sizeof(put)];
        }
        if (round % 5 == 0)
            len = next() % len + 1; /* cut short */
        char what[32];
        snprintf(what, sizeof(what), "mutation %d", round);
        check(d, buf, len, what);
    }
    free(base);
    free(buf);
}

static int setup(void **state)
{
    static struct nr_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_article_bytes = 1 << 20;
    cfg.field_ptr[NR_FIELD_ID] = "/id";
    *state = nr_decoder_new(&cfg);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    nr_decoder_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_well_formed),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
