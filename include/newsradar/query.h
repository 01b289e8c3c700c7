/*
 * query.h - the topic query language (Boolean queries as media-monitoring
 * analysts write them), parsed into a small tree.
 *
 *   word          the word and its inflections (stemmed by the tagger)
 *   word*         trailing wildcard: words starting with "word" (>= 3 chars)
 *   =word         exactly this word: no stem, no other form (=close is not
 *                 "closed" or "closely"); also inside phrases ("=close ties")
 *   "two words"   a phrase: consecutive words, each as above ('*' allowed)
 *   A AND B, A OR B, NOT A, A AND NOT B, ( ... )
 *   A NEAR/n B    an occurrence of A within n words (1..50) of one of B,
 *                 same field, either order; A and B are terms, phrases or
 *                 OR-groups of them
 *
 * Operators are upper case; precedence NOT > NEAR > AND > OR; two terms side
 * by side without an operator are an error (quote a phrase). A hyphen is a
 * space ("al-Shabaab" = "al Shabaab", a two-word phrase).
 *
 * The parser is syntactic: words are normalized (text.h) and split, but the
 * choice between stemmed, exact and wildcard matching is the tagger's. An
 * error carries the byte offset in the query it points at, which the
 * config loader turns into file:line:col.
 */
#ifndef NEWSRADAR_QUERY_H
#define NEWSRADAR_QUERY_H

#include "newsradar/common.h"

#define NR_QUERY_MAX_BYTES  16384 /* of one query */
#define NR_QUERY_MAX_DEPTH  32    /* nested parentheses / NOT */
#define NR_QUERY_MAX_PHRASE 16    /* words in one phrase */
#define NR_QUERY_MAX_NEAR   50    /* largest n of NEAR/n */
#define NR_QUERY_MIN_PREFIX 3     /* characters before a trailing '*' */

struct nr_qword {
    char *norm; /* normalized (text.h), without the '*' */
    uint32_t len;
    char *raw; /* the same word as written (case, accents): what stems read */
    uint32_t raw_len;
    bool wildcard; /* was written with a trailing '*' */
    bool exact;    /* was written with a leading '=' (hyphenated: every part) */
};

struct nr_qterm {
    uint32_t first_word, n_words; /* into nr_query.words */
    char *text;                   /* as written, without the quotes (evidence) */
    uint32_t off;                 /* byte offset in the query */
};

enum nr_qop { NR_QOP_TERM, NR_QOP_OR, NR_QOP_AND, NR_QOP_NOT, NR_QOP_NEAR };

struct nr_qnode {
    uint8_t op;
    bool ordered;      /* NEAR/nf: the left operand comes first */
    uint32_t arg;      /* TERM: term index; NEAR: n */
    uint32_t first, n; /* children: nr_query.kids[first .. first+n) */
    uint32_t off;      /* byte offset of the node's first token */
};

struct nr_query {
    struct nr_qnode *nodes;
    size_t n_nodes;
    uint32_t *kids;
    size_t n_kids;
    struct nr_qterm *terms;
    size_t n_terms;
    struct nr_qword *words;
    size_t n_words;
    uint32_t root;
};

struct nr_query_error {
    size_t off; /* byte offset into the query text */
    char msg[256];
};

/* Parse a query; NULL and err set on error. */
struct nr_query *nr_query_parse(const char *q, size_t len, struct nr_query_error *err);
/* Parse one phrase without quotes and operators (an item of `exclude:`):
 * the words of s, '*' allowed at the end of a word; surrounding double
 * quotes are accepted. The result has one term and a TERM root. */
struct nr_query *nr_query_parse_phrase(const char *s, size_t len, struct nr_query_error *err);
void nr_query_free(struct nr_query *q);

/* Evaluate node `node`: term(ctx, term) says whether a term is present,
 * near(ctx, q, node) evaluates a NEAR node. */
typedef bool (*nr_query_term_fn)(void *ctx, uint32_t term);
typedef bool (*nr_query_near_fn)(void *ctx, const struct nr_query *q, uint32_t node);
bool nr_query_eval(const struct nr_query *q, uint32_t node, nr_query_term_fn term,
                   nr_query_near_fn near, void *ctx);

/* The terms under an operand of NEAR (a term or an OR-group of them), in
 * query order, appended to out (up to cap); returns how many there are. */
size_t nr_query_operand_terms(const struct nr_query *q, uint32_t node, uint32_t *out, size_t cap);

#endif
