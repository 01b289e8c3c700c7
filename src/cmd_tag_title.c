/*
 * cmd_tag_title.c - which line of a plain-text article (`tag --text`) is
 * its title (cmd_tag_title.h).
 *
 * A story pasted from a wire starts with its headline; a page saved from a
 * browser starts with the site: its name, a slogan, menu lines ("Home |
 * World | Sport"), a "Donate" button, and then the headline, often twice
 * (the page title and the story's heading, a photo caption between them).
 * Within the head of the text (the first HEAD_LINES non-blank lines, up to
 * the first paragraph), in this order:
 *
 *  1. the first headline-like line that occurs again, identical, in the
 *     head: a repeated headline is the surest sign there is;
 *  2. else, after the leading masthead lines (at most MASTHEAD_WORDS words
 *     and no sentence punctuation at the end: "The Media Line", "Donate";
 *     or menu lines, items between | • · » › separators), the first line
 *     if it is headline-like and the masthead is two lines or more or has
 *     a menu line (one short line alone may be a short headline, with its
 *     deck after it);
 *  3. else the first non-blank line, unless it is a paragraph.
 *
 * A byline ("By Staff Reporter") is never a masthead line: it comes after
 * the headline, so "Torkham shut / By Staff Reporter / deck" keeps the
 * first line.
 *
 * Headline-like: 4 to 40 words, at most NR_TEXT_TITLE_MAX bytes, not
 * ending in . , ; : (headlines have no full stop; a line ending in one is
 * prose). A paragraph (over NR_TEXT_TITLE_MAX bytes, or a sentence of 15
 * or more words) ends the head: the body has begun. Cost: a pass over the
 * head's lines and, for rule 1, a compare of each candidate with the lines
 * after it (at most HEAD_LINES^2 / 2 memcmp of a line).
 */
#include "cmd_tag_title.h"

#include <string.h>

#define HEAD_LINES     40 /* non-blank lines looked at */
#define HEAD_BYTES     16384
#define MASTHEAD_WORDS 3
#define PARA_WORDS     15

struct line {
    size_t s, e; /* trimmed bytes [s, e) */
    size_t next; /* start of the next line */
    unsigned words;
};

/* white space and control bytes (a stray one ends a pasted line) */
static bool space(char c)
{
    return c == ' ' || ((unsigned char)c < 0x20);
}

static unsigned count_words(const char *t, size_t s, size_t e)
{
    unsigned w = 0;
    for (size_t i = s; i < e; i++)
        w += !space(t[i]) && (i == s || space(t[i - 1]));
    return w;
}

static char last(const char *t, const struct line *l)
{
    return t[l->e - 1];
}

static bool headline_like(const char *t, const struct line *l)
{
    char c = last(t, l);
    return l->e - l->s <= NR_TEXT_TITLE_MAX && l->words >= 4 && l->words <= 40 && c != '.' &&
           c != ',' && c != ';' && c != ':';
}

static bool paragraph(const char *t, const struct line *l)
{
    char c = last(t, l);
    return l->e - l->s > NR_TEXT_TITLE_MAX ||
           (l->words >= PARA_WORDS && (c == '.' || c == '!' || c == '?' || c == '"'));
}

/* Items between separators: two or more of | • · » › (as words). */
static bool menu(const char *t, const struct line *l)
{
    static const char *const sep[] = {"|", "\xE2\x80\xA2", "\xC2\xB7", "\xC2\xBB", "\xE2\x80\xBA"};
    unsigned n = 0;
    for (size_t i = l->s; i < l->e; i++)
        for (size_t k = 0; k < sizeof(sep) / sizeof(sep[0]); k++) {
            size_t m = strlen(sep[k]);
            if (i + m <= l->e && memcmp(t + i, sep[k], m) == 0 && (i == l->s || space(t[i - 1])) &&
                (i + m == l->e || space(t[i + m])))
                n++;
        }
    return n >= 2;
}

/* "By Staff Reporter", "By Jane Doe and John Roe": a byline follows the
 * headline (or its deck), so it ends a masthead rather than being part of it */
static bool byline(const char *t, const struct line *l)
{
    return l->e - l->s > 3 && (t[l->s] == 'B' || t[l->s] == 'b') && t[l->s + 1] == 'y' &&
           t[l->s + 2] == ' ' && l->words <= 8;
}

static bool masthead(const char *t, const struct line *l)
{
    if (byline(t, l))
        return false;
    char c = last(t, l);
    return (l->words <= MASTHEAD_WORDS && c != '.' && c != '!' && c != '?') || menu(t, l);
}

/* The non-blank lines of the head of t[a..n); returns their count. */
static size_t head_lines(const char *t, size_t a, size_t n, struct line *v)
{
    size_t k = 0;
    for (size_t p = a; p < n && k < HEAD_LINES && p < a + HEAD_BYTES;) {
        const char *nl = memchr(t + p, '\n', n - p);
        size_t e = nl ? (size_t)(nl - t) : n, s = p;
        struct line l = {s, e, nl ? e + 1 : n, 0};
        while (l.s < l.e && space(t[l.s]))
            l.s++;
        while (l.e > l.s && space(t[l.e - 1]))
            l.e--;
        p = l.next;
        if (l.s == l.e)
            continue;
        l.words = count_words(t, l.s, l.e);
        v[k++] = l;
        if (paragraph(t, &l))
            break;
    }
    return k;
}

/* Is there text after byte p of t[0..n)? */
static bool more_after(const char *t, size_t p, size_t n)
{
    for (size_t i = p; i < n; i++)
        if (!space(t[i]))
            return true;
    return false;
}

bool nr_text_title(const char *t, size_t n, size_t a, size_t *ts, size_t *te, size_t *next)
{
    struct line v[HEAD_LINES];
    size_t k = head_lines(t, a, n, v), pick = k;
    for (size_t i = 0; i < k && pick == k; i++) {
        if (!headline_like(t, &v[i]) || paragraph(t, &v[i]))
            continue;
        for (size_t j = i + 1; j < k; j++)
            if (v[j].e - v[j].s == v[i].e - v[i].s &&
                memcmp(t + v[j].s, t + v[i].s, v[i].e - v[i].s) == 0) {
                pick = i;
                break;
            }
    }
    if (pick == k) {
        size_t i = 0;
        bool menus = false;
        while (i < k && masthead(t, &v[i]) && !paragraph(t, &v[i]))
            menus |= menu(t, &v[i++]);
        /* one short line alone may be a short headline ("Torkham shut")
         * before its deck: a masthead is two lines or a menu */
        if ((i >= 2 || menus) && i < k && headline_like(t, &v[i]))
            pick = i;
    }
    if (pick == k) { /* the first non-blank line, if it is no paragraph */
        if (k == 0 || paragraph(t, &v[0]))
            return false;
        pick = 0;
    }
    if (!more_after(t, v[pick].next, n))
        return false;
    *ts = v[pick].s;
    *te = v[pick].e;
    *next = v[pick].next;
    return true;
}
