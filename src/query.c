/*
 * query.c - parser of the topic query language (see query.h).
 *
 * A hand-written lexer and a recursive-descent parser, one function per
 * precedence level (OR < AND < NEAR < NOT < primary). Why not a generator:
 * the grammar has a dozen productions, and the errors are the product: every
 * one names what was expected and points at the byte where it went wrong
 * (the config loader turns that into file:line:col). AND and OR chains are
 * n-ary nodes, so "a OR b OR ... OR z" is one node with 26 children and the
 * tree's depth is bounded by the parentheses (NR_QUERY_MAX_DEPTH), which
 * also bounds the recursion of every walk over it.
 *
 * Children are collected on a stack inside the parser and copied into
 * `kids` when their node is complete, so each node's children are
 * contiguous. Cost: linear in the query, one normalization per word; a query
 * is parsed once when the configuration loads.
 */
#include "newsradar/query.h"

#include "newsradar/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tk { T_END, T_WORD, T_PHRASE, T_LP, T_RP, T_AND, T_OR, T_NOT, T_NEAR };

struct tok {
    enum tk t;
    size_t off, len; /* the token's bytes; a phrase's are inside the quotes */
    size_t at;       /* where errors about the token point (a phrase's quote) */
    uint32_t near;
    bool ordered; /* NEAR/nf */
};

struct parser {
    const char *q;
    size_t len, pos;
    struct tok cur;
    struct nr_query *out;
    size_t cap_nodes, cap_kids, cap_terms, cap_words;
    uint32_t *stack;
    size_t n_stack, cap_stack;
    int depth;
    bool failed;
    struct nr_query_error *err;
    struct nr_text norm;
};

static void fail_at(struct parser *p, size_t off, const char *fmt, ...) NR_PRINTF(3, 4);

static void fail_at(struct parser *p, size_t off, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    p->err->off = off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
    va_end(ap);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool word_end(char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"';
}

static bool is_op(const char *s, size_t n, const char *op)
{
    return n == strlen(op) && memcmp(s, op, n) == 0;
}

static void lex_word(struct parser *p, struct tok *t)
{
    const char *s = p->q + t->off;
    size_t n = t->len;
    if (is_op(s, n, "AND"))
        t->t = T_AND;
    else if (is_op(s, n, "OR"))
        t->t = T_OR;
    else if (is_op(s, n, "NOT"))
        t->t = T_NOT;
    else if (n >= 4 && memcmp(s, "NEAR", 4) == 0 && (n == 4 || s[4] == '/')) {
        t->t = T_NEAR;
        uint32_t v = 0;
        t->ordered = n > 6 && s[n - 1] == 'f'; /* NEAR/3f, as Brandwatch writes it */
        size_t digits_end = n - t->ordered;
        bool ok = digits_end > 5 && n <= 9;
        for (size_t i = 5; ok && i < digits_end; i++) {
            if (s[i] < '0' || s[i] > '9')
                ok = false;
            else
                v = v * 10 + (uint32_t)(s[i] - '0');
        }
        if (!ok)
            fail_at(p, t->off,
                    "NEAR needs a distance in words: NEAR/n (either order) or NEAR/nf (left "
                    "first) with n from 1 to %d",
                    NR_QUERY_MAX_NEAR);
        else if (v < 1 || v > NR_QUERY_MAX_NEAR)
            fail_at(p, t->off + 5, "NEAR/%u: the distance must be from 1 to %d words", v,
                    NR_QUERY_MAX_NEAR);
        t->near = v;
    } else {
        t->t = T_WORD;
    }
}

static void next(struct parser *p)
{
    struct tok t = {T_END, p->len, 0, p->len, 0, false};
    while (p->pos < p->len && is_space(p->q[p->pos]))
        p->pos++;
    if (p->pos >= p->len) {
        p->cur = t;
        return;
    }
    char c = p->q[p->pos];
    t.off = t.at = p->pos;
    if (c == '(' || c == ')') {
        t.t = c == '(' ? T_LP : T_RP;
        t.len = 1;
        p->pos++;
    } else if (c == '"') {
        const char *close = memchr(p->q + p->pos + 1, '"', p->len - p->pos - 1);
        if (!close) {
            fail_at(p, p->pos, "unterminated phrase: no closing '\"'");
            p->pos = p->len;
            t.t = T_END;
        } else {
            t.t = T_PHRASE;
            t.off = p->pos + 1;
            t.len = (size_t)(close - (p->q + t.off));
            p->pos = (size_t)(close - p->q) + 1;
        }
    } else {
        size_t e = p->pos;
        while (e < p->len && !word_end(p->q[e]))
            e++;
        t.len = e - p->pos;
        p->pos = e;
        lex_word(p, &t);
    }
    p->cur = t;
}

static uint32_t utf8_chars(const char *s, size_t n)
{
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Normalize one raw word (no spaces) and append its words (a hyphen splits
 * it). Returns the number of words appended, 0 on error. */
static uint32_t add_words(struct parser *p, size_t off, size_t len)
{
    const char *s = p->q + off;
    bool wild = false, exact = false;
    if (len > 0 && s[0] == '=') { /* =word: this form only, no stem */
        exact = true;
        s++;
        off++;
        len--;
        if (len == 0 || s[0] == '=') {
            fail_at(p, off - 1, "'=' needs a word right after it: =close");
            return 0;
        }
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=') {
            fail_at(p, off + i, "'=' is allowed only at the start of a word: =close");
            return 0;
        }
        if (s[i] != '*')
            continue;
        if (i + 1 != len) {
            fail_at(p, off + i, "'*' is allowed only at the end of a word");
            return 0;
        }
        if (exact) {
            fail_at(p, off + i, "a word cannot be both exact '=' and a wildcard '*'");
            return 0;
        }
        wild = true;
    }
    size_t body = wild ? len - 1 : len;
    nr_text_normalize(&p->norm, s, body, 0);
    struct nr_query *q = p->out;
    uint32_t added = 0;
    const char *b = p->norm.buf, *e = b + p->norm.len;
    while (b < e) {
        while (b < e && *b == ' ')
            b++;
        const char *w = b;
        while (b < e && *b != ' ')
            b++;
        if (b == w)
            break;
        nr_grow((void **)&q->words, &p->cap_words, q->n_words + 1, sizeof(*q->words));
        struct nr_qword *qw = &q->words[q->n_words++];
        qw->norm = nr_xstrndup(w, (size_t)(b - w));
        qw->len = (uint32_t)(b - w);
        uint32_t r0 = nr_text_orig(&p->norm, (size_t)(w - p->norm.buf));
        uint32_t r1 = nr_text_orig(&p->norm, (size_t)(b - p->norm.buf));
        qw->raw = nr_xstrndup(s + r0, r1 - r0);
        qw->raw_len = r1 - r0;
        qw->wildcard = false;
        qw->exact = exact;
        added++;
    }
    if (added == 0) {
        if (wild && body == 0)
            fail_at(p, off, "a wildcard needs at least %d characters before '*'",
                    NR_QUERY_MIN_PREFIX);
        else
            fail_at(p, off, "\"%.*s\" has no letters or digits", (int)len, s);
        return 0;
    }
    if (wild) {
        struct nr_qword *last = &q->words[q->n_words - 1];
        last->wildcard = true;
        if (utf8_chars(last->norm, last->len) < NR_QUERY_MIN_PREFIX) {
            fail_at(p, off, "a wildcard needs at least %d characters before '*'",
                    NR_QUERY_MIN_PREFIX);
            return 0;
        }
    }
    return added;
}

static uint32_t new_node(struct parser *p, enum nr_qop op, uint32_t arg, size_t off)
{
    struct nr_query *q = p->out;
    nr_grow((void **)&q->nodes, &p->cap_nodes, q->n_nodes + 1, sizeof(*q->nodes));
    struct nr_qnode *n = &q->nodes[q->n_nodes];
    memset(n, 0, sizeof(*n));
    n->op = (uint8_t)op;
    n->arg = arg;
    n->off = (uint32_t)off;
    return (uint32_t)q->n_nodes++;
}

/* A term from the token's bytes: a word (maybe hyphenated) or a phrase. */
static uint32_t make_term(struct parser *p, const struct tok *t)
{
    struct nr_query *q = p->out;
    uint32_t first = (uint32_t)q->n_words, n = 0;
    if (t->t == T_WORD) {
        n = add_words(p, t->off, t->len);
    } else {
        size_t i = t->off, e = t->off + t->len;
        while (i < e && !p->failed) {
            while (i < e && is_space(p->q[i]))
                i++;
            size_t w = i;
            while (i < e && !is_space(p->q[i]))
                i++;
            if (i > w)
                n += add_words(p, w, i - w);
        }
        if (!p->failed && n == 0)
            fail_at(p, t->at, "empty phrase");
    }
    if (p->failed)
        return 0;
    if (n > NR_QUERY_MAX_PHRASE) {
        fail_at(p, t->at, "phrase of %u words: at most %d", n, NR_QUERY_MAX_PHRASE);
        return 0;
    }
    nr_grow((void **)&q->terms, &p->cap_terms, q->n_terms + 1, sizeof(*q->terms));
    struct nr_qterm *qt = &q->terms[q->n_terms];
    qt->first_word = first;
    qt->n_words = n;
    qt->text = nr_xstrndup(p->q + t->off, t->len);
    qt->off = (uint32_t)t->at;
    return new_node(p, NR_QOP_TERM, (uint32_t)q->n_terms++, qt->off);
}

static void push(struct parser *p, uint32_t id)
{
    nr_grow((void **)&p->stack, &p->cap_stack, p->n_stack + 1, sizeof(*p->stack));
    p->stack[p->n_stack++] = id;
}

/* Make a node of the children stack[base..]; a single child is returned as
 * it is. */
static uint32_t pop_node(struct parser *p, size_t base, enum nr_qop op, uint32_t arg)
{
    size_t k = p->n_stack - base;
    if (k == 1 && op != NR_QOP_NOT) {
        p->n_stack = base;
        return p->stack[base];
    }
    struct nr_query *q = p->out;
    uint32_t id = new_node(p, op, arg, q->nodes[p->stack[base]].off);
    nr_grow((void **)&q->kids, &p->cap_kids, q->n_kids + k, sizeof(*q->kids));
    memcpy(q->kids + q->n_kids, p->stack + base, k * sizeof(uint32_t));
    q->nodes[id].first = (uint32_t)q->n_kids;
    q->nodes[id].n = (uint32_t)k;
    q->n_kids += k;
    p->n_stack = base;
    return id;
}

static const char *tok_name(enum tk t)
{
    switch (t) {
    case T_AND:
        return "AND";
    case T_OR:
        return "OR";
    case T_NOT:
        return "NOT";
    case T_NEAR:
        return "NEAR/n";
    default:
        return "(";
    }
}

static uint32_t parse_or(struct parser *p);

static uint32_t parse_primary(struct parser *p, enum tk after)
{
    struct tok t = p->cur;
    switch (t.t) {
    case T_WORD:
    case T_PHRASE:
        next(p);
        return make_term(p, &t);
    case T_LP: {
        if (++p->depth > NR_QUERY_MAX_DEPTH) {
            fail_at(p, t.off, "query nested deeper than %d levels", NR_QUERY_MAX_DEPTH);
            return 0;
        }
        next(p);
        uint32_t n = parse_or(p);
        if (p->failed)
            return 0;
        if (p->cur.t != T_RP) {
            fail_at(p, t.off, "unclosed '(': no matching ')'");
            return 0;
        }
        p->depth--;
        next(p);
        p->out->nodes[n].off = (uint32_t)t.off; /* errors about the group point at '(' */
        return n;
    }
    case T_END:
        if (after == T_END)
            fail_at(p, t.off, "empty query");
        else
            fail_at(p, t.off, "%s needs a term, phrase or '(' after it", tok_name(after));
        return 0;
    case T_RP:
        fail_at(p, t.off, "expected a term, phrase or '(' before ')'");
        return 0;
    default:
        if (after == T_END || after == T_LP)
            fail_at(p, t.off, "%s needs a term before it", tok_name(t.t));
        else
            fail_at(p, t.off, "%s after %s: expected a term, phrase or '('", tok_name(t.t),
                    tok_name(after));
        return 0;
    }
}

static uint32_t parse_unary(struct parser *p, enum tk after)
{
    if (p->cur.t != T_NOT)
        return parse_primary(p, after);
    size_t off = p->cur.off;
    if (++p->depth > NR_QUERY_MAX_DEPTH) {
        fail_at(p, off, "query nested deeper than %d levels", NR_QUERY_MAX_DEPTH);
        return 0;
    }
    next(p);
    uint32_t c = parse_unary(p, T_NOT);
    p->depth--;
    if (p->failed)
        return 0;
    size_t base = p->n_stack;
    push(p, c);
    uint32_t id = pop_node(p, base, NR_QOP_NOT, 0);
    p->out->nodes[id].off = (uint32_t)off;
    return id;
}

/* A term, or an OR of NEAR operands. */
static bool is_operand(const struct nr_query *q, uint32_t id)
{
    const struct nr_qnode *n = &q->nodes[id];
    if (n->op == NR_QOP_TERM)
        return true;
    if (n->op != NR_QOP_OR)
        return false;
    for (uint32_t k = 0; k < n->n; k++)
        if (!is_operand(q, q->kids[n->first + k]))
            return false;
    return true;
}

static uint32_t parse_near(struct parser *p, enum tk after)
{
    uint32_t a = parse_unary(p, after);
    while (!p->failed && p->cur.t == T_NEAR) {
        uint32_t n = p->cur.near;
        bool ordered = p->cur.ordered;
        next(p);
        uint32_t b = parse_unary(p, T_NEAR);
        if (p->failed)
            return 0;
        const struct nr_query *q = p->out;
        for (int side = 0; side < 2; side++) {
            uint32_t id = side ? b : a;
            if (!is_operand(q, id)) {
                fail_at(p, q->nodes[id].off,
                        "NEAR operands must be terms, phrases or OR-groups of them "
                        "(put AND, NOT and other NEARs outside)");
                return 0;
            }
        }
        size_t base = p->n_stack;
        push(p, a);
        push(p, b);
        a = pop_node(p, base, NR_QOP_NEAR, n);
        p->out->nodes[a].ordered = ordered;
    }
    return a;
}

static uint32_t parse_and(struct parser *p, enum tk after)
{
    size_t base = p->n_stack;
    uint32_t a = parse_near(p, after);
    if (p->failed)
        return 0;
    push(p, a);
    while (p->cur.t == T_AND) {
        next(p);
        uint32_t b = parse_near(p, T_AND);
        if (p->failed)
            return 0;
        push(p, b);
    }
    return pop_node(p, base, NR_QOP_AND, 0);
}

static uint32_t parse_or(struct parser *p)
{
    size_t base = p->n_stack;
    uint32_t a = parse_and(p, p->depth ? T_LP : T_END);
    if (p->failed)
        return 0;
    push(p, a);
    while (p->cur.t == T_OR) {
        next(p);
        uint32_t b = parse_and(p, T_OR);
        if (p->failed)
            return 0;
        push(p, b);
    }
    switch (p->cur.t) {
    case T_WORD:
    case T_PHRASE:
    case T_LP:
        if (p->cur.t == T_WORD && p->cur.off > 0 && p->q[p->cur.off - 1] == '"')
            fail_at(p, p->cur.off - 1,
                    "a phrase closes at this '\"' right before a word: is a '\"' missing?");
        else
            fail_at(p, p->cur.at,
                    "two terms side by side: put AND, OR or NEAR/n between them, or quote a "
                    "phrase (operators are upper case)");
        return 0;
    case T_NOT:
        fail_at(p, p->cur.off, "NOT here needs AND before it (A AND NOT B)");
        return 0;
    default:
        break;
    }
    return pop_node(p, base, NR_QOP_OR, 0);
}

void nr_query_free(struct nr_query *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n_words; i++) {
        free(q->words[i].norm);
        free(q->words[i].raw);
    }
    for (size_t i = 0; i < q->n_terms; i++)
        free(q->terms[i].text);
    free(q->words);
    free(q->terms);
    free(q->nodes);
    free(q->kids);
    free(q);
}

static bool absent(void *ctx, uint32_t term)
{
    (void)ctx;
    (void)term;
    return false;
}

static struct nr_query *finish(struct parser *p, uint32_t root)
{
    free(p->stack);
    nr_text_fini(&p->norm);
    if (p->failed) {
        nr_query_free(p->out);
        return NULL;
    }
    p->out->root = root;
    return p->out;
}

static bool start(struct parser *p, const char *q, size_t len, struct nr_query_error *err)
{
    memset(p, 0, sizeof(*p));
    p->q = q;
    p->len = len;
    p->err = err;
    err->off = 0;
    err->msg[0] = '\0';
    p->out = nr_xcalloc(1, sizeof(*p->out));
    nr_text_init(&p->norm);
    if (len > NR_QUERY_MAX_BYTES) {
        fail_at(p, 0, "query of %zu bytes: at most %d", len, NR_QUERY_MAX_BYTES);
        return false;
    }
    if (memchr(q, '\0', len)) {
        fail_at(p, (size_t)((const char *)memchr(q, '\0', len) - q), "NUL byte in the query");
        return false;
    }
    return true;
}

struct nr_query *nr_query_parse(const char *q, size_t len, struct nr_query_error *err)
{
    struct parser p;
    uint32_t root = 0;
    if (!start(&p, q, len, err))
        return finish(&p, 0);
    next(&p);
    if (!p.failed)
        root = parse_or(&p);
    if (!p.failed && p.cur.t == T_RP)
        fail_at(&p, p.cur.off, "unexpected ')' without a matching '('");
    if (!p.failed && p.cur.t != T_END)
        fail_at(&p, p.cur.off, "%s needs a term before it", tok_name(p.cur.t));
    if (!p.failed && nr_query_eval(p.out, root, absent, NULL, NULL))
        fail_at(&p, 0,
                "the query matches articles without any of its terms: NOT needs a term "
                "beside it (A AND NOT B)");
    return finish(&p, root);
}

struct nr_query *nr_query_parse_phrase(const char *s, size_t len, struct nr_query_error *err)
{
    struct parser p;
    uint32_t root = 0;
    if (!start(&p, s, len, err))
        return finish(&p, 0);
    size_t a = 0, e = len;
    while (a < e && is_space(s[a]))
        a++;
    while (e > a && is_space(s[e - 1]))
        e--;
    if (e - a >= 2 && s[a] == '"' && s[e - 1] == '"') {
        a++;
        e--;
    }
    if (memchr(s + a, '"', e - a)) {
        fail_at(&p, (size_t)((const char *)memchr(s + a, '"', e - a) - s), "'\"' inside a phrase");
        return finish(&p, 0);
    }
    struct tok t = {T_PHRASE, a, e - a, a > 0 && s[a - 1] == '"' ? a - 1 : a, 0, false};
    if (e == a) {
        fail_at(&p, 0, "empty phrase");
        return finish(&p, 0);
    }
    root = make_term(&p, &t);
    return finish(&p, root);
}

bool nr_query_eval(const struct nr_query *q, uint32_t node, nr_query_term_fn term,
                   nr_query_near_fn near, void *ctx)
{
    const struct nr_qnode *n = &q->nodes[node];
    switch (n->op) {
    case NR_QOP_TERM:
        return term(ctx, n->arg);
    case NR_QOP_NOT:
        return !nr_query_eval(q, q->kids[n->first], term, near, ctx);
    case NR_QOP_NEAR:
        return near ? near(ctx, q, node) : false;
    case NR_QOP_AND:
        for (uint32_t k = 0; k < n->n; k++)
            if (!nr_query_eval(q, q->kids[n->first + k], term, near, ctx))
                return false;
        return true;
    default: /* OR */
        for (uint32_t k = 0; k < n->n; k++)
            if (nr_query_eval(q, q->kids[n->first + k], term, near, ctx))
                return true;
        return false;
    }
}

size_t nr_query_operand_terms(const struct nr_query *q, uint32_t node, uint32_t *out, size_t cap)
{
    const struct nr_qnode *n = &q->nodes[node];
    if (n->op == NR_QOP_TERM) {
        if (cap > 0)
            out[0] = n->arg;
        return 1;
    }
    size_t total = 0;
    if (n->op != NR_QOP_OR)
        return 0;
    for (uint32_t k = 0; k < n->n; k++)
        total += nr_query_operand_terms(q, q->kids[n->first + k], out + (total < cap ? total : cap),
                                        total < cap ? cap - total : 0);
    return total;
}
