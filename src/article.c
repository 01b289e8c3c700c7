/*
 * article.c - check one article message and find the articles it holds.
 *
 * Why not jansson: a full json_loads() builds a tree of every value and costs
 * ~37 us per 4 KB article, the largest per-article cost of the pipeline. We
 * need at most seven strings, so we:
 *
 *   1. check the size and the UTF-8 of the whole message (ASCII fast path);
 *      invalid sequences are replaced by U+FFFD into a copy (counted in
 *      nr_article.utf8_repairs) unless article.invalid_utf8 is reject; a
 *      UTF-8 byte order mark at the start is skipped;
 *   2. tokenize with jsmn (strict mode, parent links: closing a bracket is
 *      O(depth), not O(tokens)) into a token array owned by the decoder;
 *   3. validate the grammar over the tokens. jsmn alone accepts far too much
 *      (missing commas and colons, `tru`, `01`, raw control characters,
 *      several top-level values, anything after a NUL byte), so a single
 *      non-recursive walk checks every byte between tokens, every primitive
 *      and every string (escapes, \u surrogate pairs, control characters),
 *      and records for each token the index just past its subtree, so that
 *      skipping a value is O(1). The text drives the walk (jsmn's child
 *      counts are only checked), and it also runs over the partial tokens
 *      when jsmn fails, so an error names the first byte that departs from
 *      the grammar and what was expected there;
 *   4. find the records: the top-level object, the elements of a top-level
 *      array, or the array at article.records (an envelope; without that
 *      member, an object is one article and a top-level array holds the
 *      records);
 *   5. (article_shape.c) resolve the configured JSON pointers (RFC 6901,
 *      pre-split at nr_decoder_new) from each record's token and unescape
 *      only the strings we return, into one reused buffer.
 *
 * Nesting deeper than 128 is rejected as invalid_json before jsmn runs (jsmn
 * closes a bracket in O(depth), so unbounded depth would be quadratic).
 *
 * Memory: tokens (<= one per input byte in the worst case `[[[[...`), the
 * subtree table, the walk stack, the string buffer and the repaired copy all
 * grow to the largest message seen and are reused, so the steady state does
 * no malloc. A message is bounded by max_article_bytes (and by INT_MAX,
 * jsmn's offsets are int). Nothing recurses.
 */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "article_int.h"

#include <limits.h>
#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

/* Deeper nesting is rejected as invalid_json (see depth_scan). jansson's own
 * limit is 2048; no news article comes near either. */
#define NR_ARTICLE_MAX_DEPTH 128

static const char *const reject_names[NR_REJECT_COUNT] = {
    [NR_REJECT_NONE] = "none",
    [NR_REJECT_TOO_LARGE] = "too_large",
    [NR_REJECT_BAD_UTF8] = "invalid_utf8",
    [NR_REJECT_BAD_JSON] = "invalid_json",
    [NR_REJECT_NOT_OBJECT] = "not_an_object",
    [NR_REJECT_FIELD_TYPE] = "wrong_field_type",
    [NR_REJECT_MISSING_ID] = "missing_id",
    [NR_REJECT_NO_TEXT] = "missing_text",
    [NR_REJECT_BAD_TIME] = "invalid_published_at",
    [NR_REJECT_FUTURE] = "future_published_at",
};

const char *nr_reject_name(enum nr_reject r)
{
    if ((unsigned)r >= NR_REJECT_COUNT)
        return "unknown";
    return reject_names[r];
}

static struct nr_decoder *decoder_new(const struct nr_config *cfg)
{
    struct nr_decoder *d = nr_xcalloc(1, sizeof(*d));
    d->max_bytes = cfg->max_article_bytes;
    d->utf8_reject = cfg->invalid_utf8 && strcmp(cfg->invalid_utf8, "reject") == 0;
    d->default_tz = cfg->default_tz_s;
    for (int f = 0; f < NR_FIELD_COUNT; f++) {
        const char *first = cfg->field_ptr[f];
        if (first && *first)
            nr__ptr_parse(&d->ptr[f][d->n_ptr[f]++], first);
        for (size_t k = 0; k < cfg->field_more[f].n && d->n_ptr[f] < NR_FIELD_PTRS_MAX; k++)
            nr__ptr_parse(&d->ptr[f][d->n_ptr[f]++], cfg->field_more[f].v[k]);
    }
    nr__ptr_parse(&d->records, cfg->records_ptr);
    return d;
}

struct nr_decoder *nr_decoder_new(const struct nr_config *cfg)
{
    struct nr_decoder *d = decoder_new(cfg);
    d->boiler = nr_boiler_new(cfg->boilerplate_min_articles, cfg->boilerplate_entries);
    return d;
}

/* Not nr_decoder_new and then a swap: each tagging worker would allocate
 * a model of boilerplate_entries (2 MiB by default) only to free it. */
struct nr_decoder *nr_decoder_new_shared(const struct nr_config *cfg, struct nr_boiler *b,
                                         nr_boiler_gate_fn gate, void *ud)
{
    struct nr_decoder *d = decoder_new(cfg);
    d->boiler = b;
    d->boiler_shared = true;
    d->gate = gate;
    d->gate_ud = ud;
    return d;
}

void nr_decoder_free(struct nr_decoder *d)
{
    if (!d)
        return;
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        for (size_t k = 0; k < d->n_ptr[f]; k++)
            nr__ptr_free(&d->ptr[f][k]);
    nr__ptr_free(&d->records);
    if (!d->boiler_shared)
        nr_boiler_free(d->boiler);
    free(d->tok);
    free(d->next);
    free(d->stk);
    free(d->buf);
    free(d->key);
    free(d->fix);
    free(d->rec);
    free(d);
}

/* ---- lexical checks ------------------------------------------------------ */

static size_t skip_ws(const char *s, size_t pos, size_t len)
{
    while (pos < len && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
        pos++;
    return pos;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 4 hex digits at s[0..3] (caller guarantees 4 bytes), or -1. */
static long hex4(const char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Check a string body s[a..b) (between the quotes). Returns the offset of the
 * first bad byte, or (size_t)-1 when the string is valid. */
static size_t check_string(const char *s, size_t a, size_t b, const char **why)
{
    size_t i = a;
    while (i < b) {
#ifdef __SSE2__
        /* 16 bytes at a time: no byte below 0x20 (signed: 0x80.. are
         * negative, so the range test is 0 <= c < 0x20) and no backslash */
        const __m128i ctl = _mm_set1_epi8(0x20), neg = _mm_set1_epi8(-1),
                      bsl16 = _mm_set1_epi8('\\');
        while (b - i >= 16) {
            __m128i w = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i bad = _mm_and_si128(_mm_cmpgt_epi8(w, neg), _mm_cmplt_epi8(w, ctl));
            bad = _mm_or_si128(bad, _mm_cmpeq_epi8(w, bsl16));
            if (_mm_movemask_epi8(bad))
                break;
            i += 16;
        }
#endif
        /* 8 bytes at a time: no control character and no backslash */
        while (b - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            uint64_t ctl = (w - ONES * 0x20) & ~w & HIGHS;
            uint64_t x = w ^ (ONES * '\\');
            uint64_t bsl = (x - ONES) & ~x & HIGHS;
            if (ctl | bsl)
                break;
            i += 8;
        }
        if (i >= b)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20) {
            *why = "control character in a string";
            return i;
        }
        if (c != '\\') {
            i++;
            continue;
        }
        if (i + 1 >= b) {
            *why = "bad escape";
            return i;
        }
        switch (s[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            i += 2;
            continue;
        case 'u':
            break;
        default:
            *why = "bad escape";
            return i;
        }
        long cp = i + 6 <= b ? hex4(s + i + 2) : -1;
        if (cp < 0) {
            *why = "bad \\u escape";
            return i;
        }
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            *why = "lone low surrogate escape";
            return i;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = i + 12 <= b && s[i + 6] == '\\' && s[i + 7] == 'u' ? hex4(s + i + 8) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                *why = "lone high surrogate escape";
                return i;
            }
            i += 12;
        } else {
            i += 6;
        }
    }
    return (size_t)-1;
}

/* true, false, null or an RFC 8259 number. */
static bool check_primitive(const char *s, size_t a, size_t b)
{
    size_t n = b - a;
    s += a;
    if (n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "null", 4) == 0))
        return true;
    if (n == 5 && memcmp(s, "false", 5) == 0)
        return true;
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* ---- tokenize and validate ------------------------------------------------ */

/* pos is the first byte where the text departs from the grammar; at the end
 * of the message that means it was cut short. */
static enum nr_reject json_error(struct nr_error *err, size_t pos, size_t len, const char *what)
{
    if (pos >= len)
        nr_error_set(err, "invalid JSON at byte %zu: truncated (%s)", pos, what);
    else
        nr_error_set(err, "invalid JSON at byte %zu: %s", pos, what);
    return NR_REJECT_BAD_JSON;
}

/* Offset of the first bracket nested deeper than NR_ARTICLE_MAX_DEPTH, or
 * (size_t)-1. Needed because jsmn closes a bracket by walking up from the
 * last token: a chain of depth D costs O(D^2), so `[[[[...]]]]` of 1 MB would
 * take minutes. Strings are skipped with memchr (an escaped quote has an odd
 * run of backslashes before it); cost ~0.1 us per 4 KB. The first
 * NR_LONG_STRINGS_MAX strings longer than NR_LONG_STRING bytes are kept in
 * *ls for tokenize. */
static size_t depth_scan(const char *s, size_t len, struct long_strings *ls)
{
    size_t depth = 0, i = 0;
    ls->n = 0;
    while (i < len) {
        char c = s[i];
        if (c == '"') {
            size_t open = i++;
            for (;;) {
                const char *q = memchr(s + i, '"', len - i);
                if (!q)
                    return (size_t)-1; /* unterminated: jsmn reports it */
                size_t j = (size_t)(q - s), bs = 0;
                while (j - bs - 1 > open && s[j - bs - 1] == '\\')
                    bs++;
                i = j + 1;
                if (bs % 2 == 0)
                    break;
            }
            if (i - open > NR_LONG_STRING && ls->n < NR_LONG_STRINGS_MAX) {
                ls->open[ls->n] = open;
                ls->close[ls->n++] = i - 1;
            }
        } else if (c == '[' || c == '{') {
            if (++depth > NR_ARTICLE_MAX_DEPTH)
                return i;
            i++;
        } else {
            if ((c == ']' || c == '}') && depth > 0)
                depth--;
            i++;
        }
    }
    return (size_t)-1;
}

/* Not a jsmn code: the token array could not grow (memory). */
#define TOK_NOMEM (-100)

/* The reason and message of an allocation that failed for one message. */
static enum nr_reject no_memory(struct nr_error *err, size_t len, const char *what)
{
    nr_error_set(err, "out of memory for the %s of a %zu-byte message", what, len);
    return NR_REJECT_TOO_LARGE;
}

/* The string s[open..close] (quotes included) as jsmn would take it: no NUL
 * and only escapes jsmn accepts (its loop then ends at the same quote
 * depth_scan found). Anything else is left to jsmn, whose error it is. */
static bool plain_for_jsmn(const char *s, size_t open, size_t close)
{
    size_t a = open + 1;
    if (memchr(s + a, '\0', close - a))
        return false;
    for (const char *q; (q = memchr(s + a, '\\', close - a)) != NULL;) {
        size_t i = (size_t)(q - s);
        char e = s[i + 1]; /* i + 1 < close: the quote is not escaped */
        if (e == 'u') {
            if (i + 6 > close || hex4(s + i + 2) < 0)
                return false;
            a = i + 6;
        } else if (e && strchr("\"/\\bfrnt", e)) {
            a = i + 2;
        } else {
            return false;
        }
    }
    return true;
}

/* Take the string at s[open..close] as jsmn's string branch would: one
 * token under toksuper, which gains a child. -1 when the array is full. */
static int take_string(jsmn_parser *p, jsmntok_t *tok, size_t cap, size_t open, size_t close)
{
    if (p->toknext >= cap)
        return -1;
    jsmntok_t *t = &tok[p->toknext++];
    t->type = JSMN_STRING;
    t->start = (int)open + 1;
    t->end = (int)close;
    t->size = 0;
    t->parent = p->toksuper;
    if (p->toksuper != -1)
        tok[p->toksuper].size++;
    p->pos = (unsigned)close + 1;
    return 0;
}

/* *nparsed gets the number of tokens jsmn filled, also on error (the
 * partial tokens let the grammar walk name the first bad byte).
 *
 * jsmn reads a string byte by byte (~12 instructions a byte, most of the
 * decoder's time on a 4 KB body), so the long strings depth_scan found are
 * taken here: jsmn runs up to the opening quote (it resumes where it
 * stopped, as on JSMN_ERROR_NOMEM) and, when it stopped exactly there, the
 * string becomes a token as jsmn would have made it. When jsmn stopped
 * before it (an error, a NUL, a primitive such as tr"ue running into the
 * quote: depth_scan's view of the text is not jsmn's), the rest of the
 * message is left to jsmn alone, so every result is jsmn's own. */
static int tokenize(struct nr_decoder *d, const char *s, size_t len, size_t *stop, int *nparsed)
{
    jsmn_parser p;
    jsmn_init(&p);
    *stop = 0;
    *nparsed = 0;
    if (d->tok_cap == 0 && nr_try_grow((void **)&d->tok, &d->tok_cap, 256, sizeof(*d->tok)) < 0)
        return TOK_NOMEM;
    d->tok[0].start = d->tok[0].end = -1; /* no token yet (errors look at it) */
    size_t fast = 0;
    for (;;) {
        size_t end = fast < d->longs.n ? d->longs.open[fast] : len;
        int r = jsmn_parse(&p, s, end, d->tok, (unsigned)d->tok_cap);
        *stop = p.pos;
        *nparsed = (int)p.toknext;
        if (r == JSMN_ERROR_NOMEM) {
            /* every token starts at a distinct byte: never more than len + 1 */
            if (d->tok_cap > len + 1)
                return JSMN_ERROR_INVAL;
            if (nr_try_grow((void **)&d->tok, &d->tok_cap, d->tok_cap * 2, sizeof(*d->tok)) < 0)
                return TOK_NOMEM;
            continue;
        }
        if (end == len)
            return r < 0 ? r : (int)p.toknext;
        if (r == JSMN_ERROR_INVAL)
            return r;
        size_t open = d->longs.open[fast], close = d->longs.close[fast];
        if (p.pos != open || !plain_for_jsmn(s, open, close)) {
            fast = d->longs.n; /* jsmn alone from here */
            continue;
        }
        if (take_string(&p, d->tok, d->tok_cap, open, close) < 0) {
            if (nr_try_grow((void **)&d->tok, &d->tok_cap, d->tok_cap * 2, sizeof(*d->tok)) < 0)
                return TOK_NOMEM;
            continue; /* jsmn stops at once (end == pos), then the string */
        }
        fast++;
    }
}

int nr__tokenize(struct nr_decoder *d, const char *s, size_t len, size_t *stop, int *nparsed)
{
    if (depth_scan(s, len, &d->longs) != (size_t)-1)
        return JSMN_ERROR_INVAL;
    return tokenize(d, s, len, stop, nparsed);
}

static size_t tok_begin(const jsmntok_t *t)
{
    return (size_t)t->start - (t->type == JSMN_STRING ? 1 : 0);
}

/* No token starts where a value must (only after jsmn failed can that be
 * text jsmn dropped): a bad literal such as `tr\u00e9`, or a good one at the
 * very end, which jsmn does not emit (cut short after it); else no value. */
static enum nr_reject no_value(const struct nr_decoder *d, const char *s, size_t pos, size_t len,
                               size_t depth, struct nr_error *err)
{
    if (pos < len && s[pos] == '"') {
        /* jsmn drops a string it rejects: cut short, or a bad escape */
        size_t e = pos + 1;
        while (e < len && s[e] != '"')
            e += s[e] == '\\' ? 2 : 1;
        if (e >= len)
            return json_error(err, len, len, "unterminated string");
        const char *why;
        size_t bad = check_string(s, pos + 1, e, &why);
        if (bad != (size_t)-1)
            return json_error(err, bad, len, why);
        return json_error(err, pos, len, "expected a value");
    }
    size_t e = pos;
    while (e < len && !strchr(" \t\r\n,:]}[{\"", s[e]))
        e++;
    if (e == pos)
        return json_error(err, pos, len, "expected a value");
    if (!check_primitive(s, pos, e))
        return json_error(err, pos, len, "bad literal or number");
    if (e == len && depth > 0)
        return json_error(err, e, len,
                          d->stk[depth - 1].obj ? "expected ',' or '}'" : "expected ',' or ']'");
    return json_error(err, pos, len, "expected a value");
}

/* The validator's place in the document: the next token and byte, and the
 * containers open (d->stk[0..depth)). */
struct walk {
    struct nr_decoder *d;
    const char *s;
    size_t len;
    int ntok;
    struct nr_error *err;
    size_t pos; /* the next byte to read */
    size_t depth;
    int i; /* the next token */
};

/* The value expected at pos: a scalar, checked and stepped over, or a
 * container, opened. jsmn may hang stray tokens under a scalar
 * (`"a":"b":"c"`); walk_next finds them as text out of place, with its
 * offset. */
static enum nr_reject walk_value(struct walk *w)
{
    const jsmntok_t *t = w->d->tok;
    if (w->i >= w->ntok || tok_begin(&t[w->i]) != w->pos)
        return no_value(w->d, w->s, w->pos, w->len, w->depth, w->err);
    const jsmntok_t *v = &t[w->i];
    if (v->type == JSMN_STRING) {
        const char *why;
        size_t bad = check_string(w->s, (size_t)v->start, (size_t)v->end, &why);
        if (bad != (size_t)-1)
            return json_error(w->err, bad, w->len, why);
        w->pos = (size_t)v->end + 1;
    } else if (v->type == JSMN_PRIMITIVE) {
        if (!check_primitive(w->s, (size_t)v->start, (size_t)v->end))
            return json_error(w->err, w->pos, w->len, "bad literal or number");
        w->pos = (size_t)v->end;
    } else {
        struct nr_decoder *d = w->d;
        nr_grow((void **)&d->stk, &d->stk_cap, w->depth + 1, sizeof(*d->stk));
        d->stk[w->depth++] = (struct walk_frame){
            .tok = w->i, .left = v->size, .obj = v->type == JSMN_OBJECT, .first = true};
        w->pos = (size_t)v->start + 1;
        w->i++;
        return NR_REJECT_NONE;
    }
    w->d->next[w->i] = w->i + 1;
    w->i++;
    return NR_REJECT_NONE;
}

/* A member name at token i: checked, then past the ':' that must follow. */
static enum nr_reject walk_key(struct walk *w)
{
    const jsmntok_t *k = &w->d->tok[w->i];
    const char *why;
    size_t bad = check_string(w->s, (size_t)k->start, (size_t)k->end, &why);
    if (bad != (size_t)-1)
        return json_error(w->err, bad, w->len, why);
    w->pos = skip_ws(w->s, (size_t)k->end + 1, w->len);
    w->d->next[w->i] = w->i + 1;
    w->i++;
    if (w->pos >= w->len || w->s[w->pos] != ':')
        return json_error(w->err, w->pos, w->len, "expected ':'");
    w->pos = skip_ws(w->s, w->pos + 1, w->len);
    return NR_REJECT_NONE;
}

/* After '[' or '{' (first) or after a value: close the container, or find
 * where the next member or element starts; depth 0 when the top-level value
 * is complete. The text drives this, not jsmn's child counts: jsmn does not
 * count a trailing comma and hangs stray values under the previous token,
 * so a count can only be checked against the text, never used to predict it
 * (that reported `{"a":1,}` at the comma instead of at the '}'). */
static enum nr_reject walk_next(struct walk *w)
{
    const jsmntok_t *t = w->d->tok;
    const char *s = w->s;
    size_t len = w->len;
    while (w->depth > 0) {
        struct walk_frame *f = &w->d->stk[w->depth - 1];
        const char *after = f->obj ? "expected ',' or '}'" : "expected ',' or ']'";
        const char *missing = f->obj ? "expected a member name" : "expected a value";
        char close = f->obj ? '}' : ']';
        w->pos = skip_ws(s, w->pos, len);
        if (w->pos < len && s[w->pos] == close) {
            /* the text closes here; jsmn must have found the same end and
             * counted every member (else the input is not the JSON the
             * tokens describe) */
            if (f->left != 0 || w->pos + 1 != (size_t)t[f->tok].end)
                return json_error(w->err, w->pos, len, after);
            w->pos++;
            w->d->next[f->tok] = w->i;
            w->depth--;
            continue;
        }
        if (!f->first) {
            if (w->pos >= len || s[w->pos] != ',')
                return json_error(w->err, w->pos, len, after);
            w->pos = skip_ws(s, w->pos + 1, len); /* no close after a comma */
            if (w->pos < len && s[w->pos] == close)
                return json_error(w->err, w->pos, len, missing);
        }
        f->first = false;
        bool tok_here = w->i < w->ntok && tok_begin(&t[w->i]) == w->pos;
        if (!tok_here && !f->obj)
            return no_value(w->d, s, w->pos, len, w->depth, w->err);
        if (!tok_here && w->pos < len && s[w->pos] == '"')
            return no_value(w->d, s, w->pos, len, w->depth, w->err); /* a key jsmn dropped */
        if (f->left <= 0 || (f->obj && (!tok_here || t[w->i].type != JSMN_STRING)))
            return json_error(w->err, w->pos, len, missing);
        f->left--;
        return f->obj ? walk_key(w) : NR_REJECT_NONE;
    }
    return NR_REJECT_NONE;
}

/* Walk the tokens in document order, checking every byte of the message
 * against the JSON grammar (see the design note). Fills d->next. */
static enum nr_reject validate(struct nr_decoder *d, const char *s, size_t len, int ntok,
                               struct nr_error *err)
{
    if (nr_try_grow((void **)&d->next, &d->next_cap, (size_t)ntok + 1, sizeof(*d->next)) < 0)
        return no_memory(err, len, "token table");
    struct walk w = {
        .d = d, .s = s, .len = len, .ntok = ntok, .err = err, .pos = skip_ws(s, 0, len)};
    do {
        enum nr_reject r = walk_value(&w);
        if (r == NR_REJECT_NONE)
            r = walk_next(&w);
        if (r != NR_REJECT_NONE)
            return r;
    } while (w.depth > 0);
    w.pos = skip_ws(s, w.pos, len);
    if (w.pos != len || w.i != ntok)
        return json_error(err, w.pos, len, "unexpected data after the top-level value");
    return NR_REJECT_NONE;
}

/* ---- strings -------------------------------------------------------------- */

/* Unescape a validated string body s[a..b) into out; returns the length. */
size_t nr__unescape(const char *s, size_t a, size_t b, char *out)
{
    size_t o = 0;
    while (a < b) {
        const char *bs = memchr(s + a, '\\', b - a);
        size_t run = bs ? (size_t)(bs - (s + a)) : b - a;
        memcpy(out + o, s + a, run);
        o += run;
        a += run;
        if (!bs)
            break;
        char c = s[a + 1];
        a += 2;
        switch (c) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            uint32_t cp = (uint32_t)hex4(s + a);
            a += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo = (uint32_t)hex4(s + a + 2);
                a += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xC0 | (cp >> 6));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xE0 | (cp >> 12));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[o++] = (char)(0xF0 | (cp >> 18));
                out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: /* '"', '\\', '/' */
            out[o++] = c;
            break;
        }
    }
    return o;
}

/* ---- UTF-8 repair ----------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[i] (no overlongs, no surrogates,
 * <= U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len)
{
    unsigned char c = s[i];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (len - i < n || s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((s[i + k] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* Bytes of the maximal subpart at s[i] (the longest prefix of a valid
 * sequence, at least 1): what one U+FFFD replaces (Unicode's recommended
 * practice, as WHATWG and Python's "replace" do). */
static size_t utf8_bad_len(const unsigned char *s, size_t i, size_t len)
{
    unsigned char c = s[i], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 1;
    size_t k = 1;
    if (i + 1 < len && s[i + 1] >= lo && s[i + 1] <= hi) {
        k = 2;
        while (k < n && i + k < len && (s[i + k] & 0xC0) == 0x80)
            k++;
    }
    return k;
}

/* Copy msg into d->fix with each maximal subpart of an invalid sequence
 * replaced by U+FFFD (3 bytes). Returns the number of replacements, or -1
 * when the copy cannot be allocated. The copy is sized exactly (a first
 * pass counts), not 3 x len. */
static int64_t utf8_repair(struct nr_decoder *d, const char *msg, size_t len, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)msg;
    size_t o = 0;
    uint32_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(s, i, len);
        o += k ? k : 3;
        i += k ? k : utf8_bad_len(s, i, len);
    }
    if (nr_try_grow((void **)&d->fix, &d->fix_cap, o + 1, 1) < 0)
        return -1;
    o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(s, i, len);
        if (k) {
            memcpy(d->fix + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(d->fix + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += utf8_bad_len(s, i, len);
            n++;
        }
    }
    *out_len = o;
    return n;
}

/* ---- open: check the message, find its records ------------------------------ */

static enum nr_reject check_json(struct nr_decoder *d, const char *msg, size_t len,
                                 struct nr_error *err)
{
    size_t first = skip_ws(msg, 0, len);
    if (first == len) {
        nr_error_set(err, "invalid JSON: empty message");
        return NR_REJECT_BAD_JSON;
    }
    size_t deep = depth_scan(msg, len, &d->longs);
    if (deep != (size_t)-1) {
        char what[64];
        snprintf(what, sizeof(what), "nesting deeper than %d", NR_ARTICLE_MAX_DEPTH);
        return json_error(err, deep, len, what);
    }
    size_t stop;
    int nparsed;
    int ntok = tokenize(d, msg, len, &stop, &nparsed);
    if (ntok < 0) {
        /* jsmn strict cannot end a document with a bare primitive; tell a
         * valid top-level scalar (not_an_object) from broken JSON */
        size_t last = len;
        while (last > first && (msg[last - 1] == ' ' || msg[last - 1] == '\t' ||
                                msg[last - 1] == '\n' || msg[last - 1] == '\r'))
            last--;
        if (check_primitive(msg, first, last)) {
            nr_error_set(err, "top-level value is not an object");
            return NR_REJECT_NOT_OBJECT;
        }
        /* jsmn stops at a byte it cannot take, which is not always the
         * first bad byte nor says what was expected: walk the tokens it did
         * produce, the walk stops at the first departure from the grammar */
        if (ntok == TOK_NOMEM)
            return no_memory(err, len, "tokens");
        enum nr_reject vr = nparsed > 0 ? validate(d, msg, len, nparsed, err) : NR_REJECT_NONE;
        if (vr != NR_REJECT_NONE)
            return vr;
        if (d->tok[0].start >= 0 && d->tok[0].end >= 0 && stop >= (size_t)d->tok[0].end)
            return json_error(err, stop, len, "unexpected data after the top-level value");
        return json_error(err, stop, len,
                          ntok == JSMN_ERROR_PART ? "truncated" : "unexpected character");
    }
    return validate(d, msg, len, ntok, err);
}

/* Records: the top-level object; the elements of a top-level array; with
 * article.records, the elements of the array there (or the object there),
 * and when the message has no such member, as without it. */
static enum nr_reject find_records(struct nr_decoder *d, struct nr_error *err)
{
    int root = 0;
    if (d->records.set) {
        root = nr__resolve(d, 0, &d->records);
        /* without the envelope, an object is one article (as `replay --sort`
         * writes them) and an array holds the records themselves (a feed
         * saved as a bare array); anything else says what is missing */
        if (root < 0 && d->tok[0].type != JSMN_OBJECT && d->tok[0].type != JSMN_ARRAY) {
            nr_error_set(err, "no %s in the message (article.records)", d->records.text);
            return NR_REJECT_NOT_OBJECT;
        }
        if (root < 0)
            root = 0;
    }
    const jsmntok_t *t = &d->tok[root];
    if (t->type == JSMN_OBJECT) {
        if (nr_try_grow((void **)&d->rec, &d->rec_cap, 1, sizeof(*d->rec)) < 0)
            return no_memory(err, d->len, "records");
        d->rec[0] = root;
        d->n_rec = 1;
        return NR_REJECT_NONE;
    }
    if (t->type != JSMN_ARRAY) {
        if (d->records.set)
            nr_error_set(err, "%s is %s, not an array of articles", d->records.text,
                         nr__type_name(d->msg, t));
        else
            nr_error_set(err, "top-level value is %s, not an object", nr__type_name(d->msg, t));
        return NR_REJECT_NOT_OBJECT;
    }
    if (nr_try_grow((void **)&d->rec, &d->rec_cap, (size_t)t->size + 1, sizeof(*d->rec)) < 0)
        return no_memory(err, d->len, "records");
    int j = root + 1;
    for (int m = 0; m < t->size; m++) {
        d->rec[m] = j;
        j = d->next[j];
    }
    d->n_rec = (size_t)t->size;
    return NR_REJECT_NONE;
}

size_t nr_article_open(struct nr_decoder *d, const char *msg, size_t len, enum nr_reject *why,
                       struct nr_error *err)
{
    d->msg = NULL;
    d->len = 0;
    d->n_rec = 0;
    d->repairs = 0;
    if (err)
        err->msg[0] = '\0';
    if (len > d->max_bytes || len >= INT_MAX) {
        nr_error_set(err, "message is %zu bytes, limit %zu", len, d->max_bytes);
        *why = NR_REJECT_TOO_LARGE;
        return 0;
    }
    if (len >= 3 && memcmp(msg, "\xEF\xBB\xBF", 3) == 0) {
        msg += 3; /* a byte order mark: Windows tools write one */
        len -= 3;
    }
    if (!nr_utf8_valid(msg, len)) {
        if (d->utf8_reject) {
            nr_error_set(err, "message is not valid UTF-8");
            *why = NR_REJECT_BAD_UTF8;
            return 0;
        }
        size_t fixed;
        int64_t nrep = utf8_repair(d, msg, len, &fixed);
        if (nrep < 0) {
            *why = no_memory(err, len, "UTF-8 repair");
            return 0;
        }
        d->repairs = (uint32_t)nrep;
        msg = d->fix;
        len = fixed;
        if (len >= INT_MAX) {
            nr_error_set(err, "message is %zu bytes after UTF-8 repair", len);
            *why = NR_REJECT_TOO_LARGE;
            return 0;
        }
    }
    *why = check_json(d, msg, len, err);
    if (*why != NR_REJECT_NONE)
        return 0;
    d->msg = msg;
    d->len = len;
    *why = find_records(d, err);
    return *why == NR_REJECT_NONE ? d->n_rec : 0;
}

struct nr_str nr_article_record_text(const struct nr_decoder *d, size_t i)
{
    if (!d->msg || i >= d->n_rec)
        return (struct nr_str){NULL, 0};
    const jsmntok_t *t = &d->tok[d->rec[i]];
    size_t a = tok_begin(t), b = (size_t)t->end + (t->type == JSMN_STRING ? 1 : 0);
    return (struct nr_str){d->msg + a, b - a};
}

enum nr_reject nr_article_decode(struct nr_decoder *d, const char *msg, size_t len,
                                 struct nr_article *out, struct nr_error *err)
{
    enum nr_reject why;
    memset(out, 0, sizeof(*out));
    out->published_ms = NR_TIME_NONE;
    size_t n = nr_article_open(d, msg, len, &why, err);
    if (why != NR_REJECT_NONE)
        return why;
    if (n != 1) {
        nr_error_set(err, "the message holds %zu articles, one was expected", n);
        return NR_REJECT_NOT_OBJECT;
    }
    return nr_article_record(d, 0, out, err);
}
