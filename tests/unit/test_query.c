/*
 * test_query.c - the query parser (query.h): the tree it builds, operator
 * precedence, evaluation, and every error with the byte it points at (the
 * config loader adds the scalar's position: tests/data/config/err_query*).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/query.h"

static struct nr_query *parse(const char *s)
{
    struct nr_query_error e;
    struct nr_query *q = nr_query_parse(s, strlen(s), &e);
    if (!q)
        fail_msg("\"%s\": unexpected error at %zu: %s", s, e.off, e.msg);
    return q;
}

/* The query must fail at byte `off` with a message containing `part`. */
static void expect_error(const char *s, size_t len, size_t off, const char *part)
{
    struct nr_query_error e;
    struct nr_query *q = nr_query_parse(s, len, &e);
    if (q) {
        nr_query_free(q);
        fail_msg("\"%s\": parsed, expected an error at %zu (%s)", s, off, part);
    }
    if (e.off != off || !strstr(e.msg, part))
        fail_msg("\"%s\": want \"%s\" at %zu, got \"%s\" at %zu", s, part, off, e.msg, e.off);
}

#define ERR(s, off, part) expect_error((s), strlen(s), (off), (part))

/* The tree as a string: (OR a b), (AND ...), (NOT x), (NEAR/3 a b);
 * terms as their words joined by '_' and a trailing '*' for wildcards. */
static void show(const struct nr_query *q, uint32_t node, char *buf, size_t cap)
{
    const struct nr_qnode *n = &q->nodes[node];
    size_t l = strlen(buf);
    if (n->op == NR_QOP_TERM) {
        const struct nr_qterm *t = &q->terms[n->arg];
        for (uint32_t k = 0; k < t->n_words; k++) {
            const struct nr_qword *w = &q->words[t->first_word + k];
            l = strlen(buf);
            snprintf(buf + l, cap - l, "%s%s%s%s", k ? "_" : "", w->exact ? "=" : "", w->norm,
                     w->wildcard ? "*" : "");
        }
        return;
    }
    static const char *const names[] = {"", "OR", "AND", "NOT", "NEAR"};
    if (n->op == NR_QOP_NEAR)
        snprintf(buf + l, cap - l, "(NEAR/%u%s", n->arg, n->ordered ? "f" : "");
    else
        snprintf(buf + l, cap - l, "(%s", names[n->op]);
    for (uint32_t k = 0; k < n->n; k++) {
        l = strlen(buf);
        snprintf(buf + l, cap - l, " ");
        show(q, q->kids[n->first + k], buf, cap);
    }
    l = strlen(buf);
    snprintf(buf + l, cap - l, ")");
}

static void expect_tree(const char *s, const char *want)
{
    struct nr_query *q = parse(s);
    char buf[1024] = "";
    show(q, q->root, buf, sizeof(buf));
    if (strcmp(buf, want) != 0)
        fail_msg("\"%s\": want %s, got %s", s, want, buf);
    nr_query_free(q);
}

static void test_trees(void **state)
{
    (void)state;
    expect_tree("bomb", "bomb");
    expect_tree("a OR b OR c", "(OR a b c)");
    expect_tree("a AND b OR c", "(OR (AND a b) c)");
    expect_tree("a OR b AND c", "(OR a (AND b c))");
    expect_tree("a AND NOT b", "(AND a (NOT b))");
    expect_tree("a NEAR/3 b AND c", "(AND (NEAR/3 a b) c)");
    expect_tree("(a OR b) NEAR/8 (c OR \"d e\")", "(NEAR/8 (OR a b) (OR c d_e))");
    expect_tree("((a OR b) OR c) NEAR/2 d", "(NEAR/2 (OR (OR a b) c) d)");
    expect_tree("(a OR b) NEAR/2f \"c d\"", "(NEAR/2f (OR a b) c_d)");
    expect_tree("\"Suicide Bomb*\" OR clos*", "(OR suicide_bomb* clos*)");
    expect_tree("al-Shabaab", "al_shabaab"); /* a hyphen is a space */
    expect_tree("\"cross-border  fire\"", "cross_border_fire");
    expect_tree("Peshāwar AND (x)", "(AND peshawar x)"); /* normalized like aliases */
    expect_tree("  a\n\tOR\r\nb  ", "(OR a b)");
    expect_tree("NEARBY OR ANDES", "(OR nearby andes)"); /* operators are whole words */
    expect_tree("and", "and");                           /* lower case is a word */
    expect_tree("=Close OR \"=held talks\"", "(OR =close =held_talks)");
}

static void test_terms_and_offsets(void **state)
{
    (void)state;
    struct nr_query *q = parse("bomb* OR \"car bomb\"");
    assert_int_equal(q->n_terms, 2);
    assert_string_equal(q->terms[0].text, "bomb*");
    assert_int_equal(q->terms[0].off, 0);
    assert_string_equal(q->terms[1].text, "car bomb");
    assert_int_equal(q->terms[1].off, 9); /* the opening quote */
    assert_true(q->words[0].wildcard);
    assert_string_equal(q->words[0].norm, "bomb");
    nr_query_free(q);

    struct nr_query_error e;
    q = nr_query_parse_phrase(" \"attack on goal\" ", 18, &e);
    assert_non_null(q);
    assert_int_equal(q->n_terms, 1);
    assert_int_equal(q->terms[0].n_words, 3);
    assert_string_equal(q->terms[0].text, "attack on goal");
    nr_query_free(q);
    q = nr_query_parse_phrase("closed-door", 11, &e);
    assert_non_null(q);
    assert_int_equal(q->terms[0].n_words, 2);
    nr_query_free(q);
    assert_null(nr_query_parse_phrase("a\"b", 3, &e));
    assert_int_equal(e.off, 1);
    assert_null(nr_query_parse_phrase("  ", 2, &e));
    assert_non_null(strstr(e.msg, "empty phrase"));
    assert_null(nr_query_parse_phrase("x ab*", 5, &e));
    assert_int_equal(e.off, 2);
}

static bool present[8];

static bool term_fn(void *ctx, uint32_t t)
{
    (void)ctx;
    return present[t];
}

static bool near_fn(void *ctx, const struct nr_query *q, uint32_t node)
{
    (void)ctx;
    (void)q;
    (void)node;
    return true; /* positions are the tagger's: here, any NEAR holds */
}

static bool eval(const char *s, const char *on)
{
    struct nr_query *q = parse(s);
    memset(present, 0, sizeof(present));
    for (const char *p = on; *p; p++)
        present[*p - 'a'] = true; /* terms a, b, c... in query order */
    bool r = nr_query_eval(q, q->root, term_fn, near_fn, NULL);
    nr_query_free(q);
    return r;
}

static void test_eval(void **state)
{
    (void)state;
    assert_true(eval("a AND NOT b", "a"));
    assert_false(eval("a AND NOT b", "ab"));
    assert_false(eval("a AND NOT b", "b"));
    assert_true(eval("a OR b AND c", "a"));
    assert_false(eval("a OR b AND c", "b"));
    assert_true(eval("a OR b AND c", "bc"));
    assert_true(eval("(a OR b) AND NOT (c OR d)", "b"));
    assert_false(eval("(a OR b) AND NOT (c OR d)", "bd"));
    assert_true(eval("a NEAR/3 b", ""));
    struct nr_query *q = parse("(a OR \"b c\") NEAR/5 (d OR e OR f)");
    uint32_t l[8];
    const struct nr_qnode *n = &q->nodes[q->root];
    assert_int_equal(nr_query_operand_terms(q, q->kids[n->first], l, 8), 2);
    assert_int_equal(l[0], 0);
    assert_int_equal(l[1], 1);
    assert_int_equal(nr_query_operand_terms(q, q->kids[n->first + 1], l, 8), 3);
    assert_int_equal(l[2], 4);
    assert_int_equal(nr_query_operand_terms(q, q->kids[n->first + 1], l, 1), 3); /* capped */
    nr_query_free(q);
}

static void test_errors(void **state)
{
    (void)state;
    ERR("", 0, "empty query");
    ERR("   ", 3, "empty query");
    ERR("bomb attack", 5, "two terms side by side");
    ERR("bomb \"car x\"", 5, "two terms side by side");
    ERR("bomb (x)", 5, "two terms side by side");
    ERR("(a b)", 3, "two terms side by side");
    ERR("bomb and attack", 5, "side by side");
    ERR("bomb AND", 8, "AND needs a term, phrase or '(' after it");
    ERR("a OR", 4, "OR needs a term");
    ERR("NOT", 3, "NOT needs a term");
    ERR("a NEAR/3", 8, "NEAR/n needs a term");
    ERR("AND bomb", 0, "AND needs a term before it");
    ERR("(OR b)", 1, "OR needs a term before it");
    ERR("NEAR/3 x", 0, "NEAR/n needs a term before it");
    ERR("a OR =", 5, "'=' needs a word");
    ERR("a OR ==b", 5, "'=' needs a word");
    ERR("a OR b=c", 6, "only at the start of a word");
    ERR("\"x =clos*\"", 8, "both exact");
    ERR("bomb OR OR x", 8, "OR after OR");
    ERR("a AND NEAR/2 b", 6, "NEAR/n after AND");
    ERR("(bomb", 0, "unclosed '('");
    ERR("x AND ((a OR b)", 6, "unclosed '('");
    ERR("bomb)", 4, "unexpected ')'");
    ERR("()", 1, "before ')'");
    ERR("a NEAR b", 2, "NEAR needs a distance");
    ERR("a NEAR/ b", 2, "NEAR needs a distance");
    ERR("a NEAR/x b", 2, "NEAR needs a distance");
    ERR("a NEAR/123456 b", 2, "NEAR needs a distance");
    ERR("a NEAR/0 b", 7, "from 1 to 50");
    ERR("a NEAR/0f b", 7, "from 1 to 50");
    ERR("a NEAR/f b", 2, "NEAR needs a distance");
    ERR("a NEAR/3x b", 2, "NEAR needs a distance");
    ERR("a NEAR/51 b", 7, "from 1 to 50");
    ERR("(a AND b) NEAR/3 c", 0, "NEAR operands");
    ERR("a NEAR/3 (b OR NOT c)", 9, "NEAR operands");
    ERR("a NEAR/3 NOT b", 9, "NEAR operands");
    ERR("NOT a NEAR/3 b", 0, "NEAR operands"); /* NOT binds tighter */
    ERR("a NEAR/2 b NEAR/2 c", 0, "NEAR operands");
    ERR("NOT a", 0, "matches articles without any of its terms");
    ERR("a OR NOT b", 0, "matches articles without any of its terms");
    ERR("a NOT b", 2, "NOT here needs AND");
    ERR("\"abc", 0, "unterminated phrase");
    ERR("a OR \"b", 5, "unterminated phrase");
    ERR("\"\"", 0, "empty phrase");
    ERR("x OR \" \"", 5, "empty phrase");
    ERR("b*mb", 1, "only at the end of a word");
    ERR("\"car b*mb\"", 6, "only at the end of a word");
    ERR("ab*", 0, "at least 3 characters");
    ERR("*", 0, "at least 3 characters");
    ERR("x OR al-b*", 5, "at least 3 characters");
    ERR("x OR -", 5, "has no letters or digits");
    ERR("\"a b c d e f g h i j k l m n o p q\"", 0, "at most 16");
    char deep[200] = "";
    for (int i = 0; i < 33; i++)
        strcat(deep, "(");
    strcat(deep, "a");
    for (int i = 0; i < 33; i++)
        strcat(deep, ")");
    ERR(deep, 32, "nested deeper than 32");
    char nots[300] = "a AND ";
    for (int i = 0; i < 33; i++)
        strcat(nots, "NOT ");
    strcat(nots, "b");
    ERR(nots, 6 + 32 * 4, "nested deeper than 32");
    char *big = malloc(NR_QUERY_MAX_BYTES + 2);
    memset(big, 'a', NR_QUERY_MAX_BYTES + 1);
    big[NR_QUERY_MAX_BYTES + 1] = '\0';
    ERR(big, 0, "at most");
    free(big);
    expect_error("a OR b\0c", 8, 6, "NUL byte");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trees),
        cmocka_unit_test(test_terms_and_offsets),
        cmocka_unit_test(test_eval),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
