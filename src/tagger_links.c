/*
 * tagger_links.c - link lines: the lines of links to other stories that a
 * CMS puts in a body ("Related: ...", "Lire aussi : ...", "Читайте также:
 * ...", "اقرأ أيضا: ...", "相关新闻：..."). They name other stories' events,
 * so the tagger drops their topic and entity matches (tagger.c).
 *
 * A link line is a label from link_labels[] below at the start of the body,
 * of a line or of a sentence, then a colon (':' or the full-width '：'; white
 * space may come before it, as French and Arabic-script copy put it) or a
 * '|' ("Also Read | ..."), and runs to the end of its line, or to the first
 * sentence end when the body was flattened to one line and text follows. A
 * label alone on its line, with or without its colon (a heading:
 * "Noticias relacionadas", "相关阅读", "Related:", "Most read", "More from
 * Africa"), makes the next non-blank line a link line, if it is short
 * enough to be a headline (MAX_HEADLINE bytes) and no sentence (a story
 * under a digest's "Headlines" is text), and the lines after it too while
 * they look like a list of headlines (list_end); a common-word label
 * ("Next", "Watch", marked "~") heads a list of two or more only. Link
 * lines side by side are one span.
 *
 * Labels are the words a CMS or feed puts before such links, not sites. They
 * are compared with the normalized body (text.h: case folded, diacritics,
 * full-width forms and the Arabic-script letter variants folded), and
 * normalized at build time with the same function, so "À LIRE AUSSI",
 * "a lire aussi", "اقرأ أيضاً" and "اقرا ایضا" are one label. Line and
 * sentence structure, which normalization flattens to spaces, is read in the
 * original bytes through the offset map.
 *
 * Cost: one memchr pass over the normalized body for ':' (colons are rare in
 * copy) and one over the original for '\n'. At a colon, one byte test (can
 * the byte before it end a label?) rejects almost all; then a first-byte test
 * before each label's memcmp. A line is normalized (into the scratch) only
 * when it could be a heading: short, a first byte that can start a label, no
 * digit or ASCII punctuation, at most five words. Matches cost one offset
 * lookup. Measured (callgrind, December
 * 2026): +0.2 % instructions per article on the eval corpus, +0.4 % on
 * bench_tag; +36 % on a body of 3,000 short "Speaker N: ..." lines (two
 * memchr calls and a few byte tests per line, against ~700 instructions of
 * tagging per line). The '|' separator, "+" labels whose last extra word
 * may end in any letter (only those labels are tried past the first word)
 * and list headings (December 2026): +0.2 % instructions on 3 bodies of
 * 3,000 "Speaker N: ... 10:30 | ..." lines (callgrind, whole replay run
 * including the configuration load; +2-3 % of their tagging), none seen on
 * 200 scraped pages.
 */
#include "tagger_int.h"

#include <stdint.h>
#include <string.h>

/* The words before links, grouped by language; the order does not matter.
 * To add one: add the string (any case and accents; it is normalized) and a
 * tests/data/tag case. A label that ends in "+" may be followed by up to three
 * more words before the colon ("Related stories:", "Trending on Africa
 * Desk:") or on its heading line ("More from Horn of Africa"). A label that
 * ends in "~" is a common word ("Headlines", "Next", "Watch"): with its
 * colon or '|' it is a label as any other, but alone on its line it heads a
 * list only when two or more headlines follow it (a news digest's
 * "Headlines" over one story is the story). */
static const char *const link_labels[] = {
    /* en */
    "related+",
    "read more",
    "read also",
    "also read",
    "see also",
    "also see",
    "further reading",
    "read next",
    "recommended",
    "you may also like",
    "more on this",
    "more stories",
    "more news",
    "also on+",
    "watch~",
    "watch live~",
    /* en page furniture: widgets, teasers, tag lists, pagers */
    "trending+~",
    "most read",
    "most popular",
    "most viewed",
    "most shared",
    "top stories~",
    "top news~",
    "latest news~",
    "latest stories~",
    "latest press releases",
    "editor's picks",
    "more from+",
    "more in+",
    "headlines~",
    "tags~",
    "previous~",
    "next~",
    "previous article",
    "next article",
    "previous story",
    "next story",
    "previous post",
    "next post",
    /* fr */
    "lire aussi",
    "à lire aussi",
    "voir aussi",
    "à voir aussi",
    "lire également",
    "à lire également",
    "sur le même sujet",
    "à lire",
    "pour aller plus loin",
    /* es */
    "lea también",
    "lee también",
    "te puede interesar",
    "le puede interesar",
    "puede interesarte",
    "noticias relacionadas",
    "noticia relacionada",
    "ver también",
    "leer más",
    "te recomendamos",
    /* pt */
    "leia também",
    "leia mais",
    "leia ainda",
    "veja também",
    "veja mais",
    "veja ainda",
    "saiba mais",
    "notícias relacionadas",
    "notícia relacionada",
    /* de */
    "lesen sie auch",
    "lesen sie mehr",
    "mehr zum thema",
    "zum thema",
    "auch interessant",
    "siehe auch",
    "mehr dazu",
    "weitere artikel",
    "das könnte sie auch interessieren",
    /* ru */
    "читайте также",
    "смотрите также",
    "по теме",
    "новости по теме",
    "материалы по теме",
    "читайте еще",
    "см. также",
    /* tr */
    "ilgili haber",
    "ilgili haberler",
    "bunlar da ilginizi çekebilir",
    "ayrıca okuyun",
    "ayrıca bakınız",
    "bu haberi de okuyun",
    /* ar */
    "اقرأ أيضا",
    "اقرأ المزيد",
    "ذات صلة",
    "مواضيع ذات صلة",
    "أخبار ذات صلة",
    "مقالات ذات صلة",
    "شاهد أيضا",
    "طالع أيضا",
    /* fa */
    "بیشتر بخوانید",
    "بخوانید",
    "همچنین بخوانید",
    "مطالب مرتبط",
    "اخبار مرتبط",
    /* ur */
    "مزید پڑھیں",
    "یہ بھی پڑھیں",
    "متعلقہ خبریں",
    "یہ بھی دیکھیں",
    "مزید خبریں",
    /* ps */
    "نور ولولئ",
    "دا هم ولولئ",
    "اړوند خبرونه",
    "اړوند مطالب",
    /* zh (simplified and traditional) */
    "相关新闻",
    "延伸阅读",
    "相关阅读",
    "推荐阅读",
    "相关报道",
    "更多阅读",
    "扩展阅读",
    "相关链接",
    "相關新聞",
    "延伸閱讀",
    "相關閱讀",
    "推薦閱讀",
    "相關報導",
};

#define N_LABELS (sizeof(link_labels) / sizeof(*link_labels))
#define MAX_WORD 16 /* bytes of each extra word after a "+" label */
/* A format limit, not a tunable: the line after a heading label ("Related:")
 * is a link line only if it is short enough to be one headline. Headlines
 * run 40-120 characters (wire style, CMS title fields, search-result cuts
 * at ~70), so 400 bytes is 130 CJK characters, 200 Arabic-script or
 * Cyrillic letters, 400 Latin ones: more than any headline, less than most
 * paragraphs. A longer line is prose and keeps its topic matches, which is
 * the safe side; nothing is dropped and no article is rejected for it. */
#define MAX_HEADLINE 400
#define MAX_ITEM     200 /* bytes of each further headline of a list */
#define MAX_ITEMS    12  /* further headlines of a list after a heading */

struct label {
    char *s; /* normalized */
    uint32_t len;
    bool more; /* up to three more words may follow */
    bool weak; /* alone on its line, heads a list of two or more */
};

struct nr_links {
    struct label lab[N_LABELS];
    size_t n;
    uint8_t last[256];       /* bytes that end some label */
    uint16_t more[N_LABELS]; /* the "+" labels, which more words may follow */
    size_t n_more;
    uint8_t first[256]; /* original bytes that may start a heading line */
    size_t max_heading; /* original bytes of the longest heading line */
};

/* The original first bytes that may normalize to a label starting with c:
 * both cases of an ASCII letter and the lead bytes of accented Latin
 * letters ("À", "İ"); both Cyrillic lead bytes (upper and lower case); the
 * whole Arabic block (its letter variants fold to one); else c itself. */
static void first_bytes(uint8_t *first, unsigned char c)
{
    first[c] = 1;
    if (c < 0x80 && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
        first[c & ~0x20u] = 1;
        first[0xC3] = first[0xC4] = first[0xC5] = 1;
    } else if (c == 0xD0 || c == 0xD1) {
        first[0xD0] = first[0xD1] = 1;
    } else if (c >= 0xD8 && c <= 0xDB) {
        first[0xD8] = first[0xD9] = first[0xDA] = first[0xDB] = 1;
    }
}

struct nr_links *nr_links_new(void)
{
    struct nr_links *l = nr_xcalloc(1, sizeof(*l));
    struct nr_text t;
    nr_text_init(&t);
    for (size_t k = 0; k < N_LABELS; k++) {
        size_t n = strlen(link_labels[k]);
        bool weak = n && link_labels[k][n - 1] == '~';
        n -= weak;
        bool more = n && link_labels[k][n - 1] == '+';
        char *s = nr_text_dup(&t, link_labels[k], n - more);
        if (!*s) {
            free(s);
            continue;
        }
        l->lab[l->n++] = (struct label){s, (uint32_t)strlen(s), more, weak};
        l->last[(unsigned char)s[strlen(s) - 1]] = 1;
        if (more)
            l->more[l->n_more++] = (uint16_t)(l->n - 1);
        first_bytes(l->first, (unsigned char)s[0]);
        /* room for the accents and letter forms the normalization dropped */
        size_t room = 2 * strlen(s) + (more ? 3 * (MAX_WORD + 1) : 0);
        if (l->max_heading < room)
            l->max_heading = room;
    }
    nr_text_fini(&t);
    return l;
}

void nr_links_free(struct nr_links *l)
{
    if (!l)
        return;
    for (size_t k = 0; k < l->n; k++)
        free(l->lab[k].s);
    free(l);
}

static bool is_space(const unsigned char *u, size_t j)
{
    return u[j - 1] == ' ' || u[j - 1] == '\t' || (j >= 2 && u[j - 2] == 0xC2 && u[j - 1] == 0xA0);
}

enum { END_NONE, END_STOP, END_CLOSE, END_CJK };

/* What the character ending just before u[j] is for sentences: a stop (. ! ?
 * ... and the Arabic-script question mark and Urdu full stop), a closing mark
 * (quotes, bracket, '|'), or an ideographic or full-width stop, which needs
 * no space after it. */
static int sentence_mark(const unsigned char *u, size_t j)
{
    unsigned char c = u[j - 1];
    if (c == '.' || c == '!' || c == '?')
        return END_STOP;
    if (c == '"' || c == '|' || c == ')')
        return END_CLOSE;
    if (c < 0x80 || j < 2)
        return END_NONE;
    if ((u[j - 2] == 0xD8 && c == 0x9F) || (u[j - 2] == 0xDB && c == 0x94)) /* ؟ ۔ */
        return END_STOP;
    if (u[j - 2] == 0xC2 && c == 0xBB) /* » */
        return END_CLOSE;
    if (j < 3)
        return END_NONE;
    if (u[j - 3] == 0xE2 && u[j - 2] == 0x80)
        return c == 0xA6 ? END_STOP : c == 0x9D || c == 0x9C ? END_CLOSE : END_NONE; /* … ” “ */
    if ((u[j - 3] == 0xE3 && u[j - 2] == 0x80 && c == 0x82) ||                       /* 。 */
        (u[j - 3] == 0xEF && u[j - 2] == 0xBC && (c == 0x81 || c == 0x9F)))          /* ！ ？ */
        return END_CJK;
    return END_NONE;
}

/* Is original offset i the start of the text, of a line or of a sentence? */
static bool sentence_start(const char *p, size_t i)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t j = i;
    while (j > 0 && is_space(u, j))
        j -= u[j - 1] == 0xA0 ? 2 : 1;
    if (j == 0 || u[j - 1] == '\n' || u[j - 1] == '\r')
        return true;
    int m = sentence_mark(u, j);
    return m == END_CJK || (m != END_NONE && j < i);
}

/* The end of the link line that starts at original offset i: its line end,
 * or in a flattened body the first sentence end. */
static size_t line_end(const char *p, size_t n, size_t i)
{
    const char *nl = memchr(p + i, '\n', n - i);
    size_t e = nl ? (size_t)(nl - p) : n;
    if (e > i && p[e - 1] == '\r')
        e--;
    if (nl)
        return e;
    const unsigned char *u = (const unsigned char *)p;
    for (size_t q = i + 1; q < n; q++) {
        int m = sentence_mark(u, q);
        if (m == END_CJK || (m == END_STOP && (u[q] == ' ' || u[q] == '\t')))
            return q;
    }
    return n;
}

/* Can u[y, x) be one of the extra words of a "+" label? Letters and digits
 * only (not "this," of "Related to this, he said:"). */
static bool plain_word(const char *b, size_t y, size_t x)
{
    if (y == x || x - y > MAX_WORD)
        return false;
    for (size_t i = y; i < x; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c < 0x80 && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

/* The label ending at normalized offset e of b (before a colon), whose start
 * is a sentence start of the original: its normalized start, or SIZE_MAX. */
static size_t label_before(const struct nr_links *l, const struct nr_text *tx, const char *orig,
                           size_t e)
{
    const char *b = tx->buf;
    size_t x = e;
    for (int w = 0; w < 4; w++) {
        /* no extra word: every label whose last byte this is; after extra
         * words ("Trending now:"), the "+" labels only */
        size_t nk = w ? l->n_more : l->last[(unsigned char)b[x - 1]] ? l->n : 0;
        for (size_t i = 0; i < nk; i++) {
            const struct label *L = &l->lab[w ? l->more[i] : i];
            if (L->len > x)
                continue;
            size_t a = x - L->len;
            if (b[a] != L->s[0] || memcmp(b + a, L->s, L->len) != 0)
                continue;
            if (a && nr_text_word_before(b, a))
                continue; /* the end of a longer word */
            if (sentence_start(orig, nr_text_orig(tx, a)))
                return a;
        }
        /* "related stories": step back over one more word */
        size_t y = x;
        while (y > 0 && b[y - 1] != ' ' && x - y <= MAX_WORD)
            y--;
        if (y == 0 || !plain_word(b, y, x))
            break;
        x = y - 1;
    }
    return SIZE_MAX;
}

/* A line of this many words or more that ends in '?' or '!' is a sentence:
 * headlines ask questions too ("Can the truce hold?"), in fewer words. */
#define SENTENCE_WORDS 12

/* Does original line [a, e) end as a sentence does, with '.' (or '…'),
 * maybe inside closing quotes or a bracket, or with '?' or '!' when it is
 * long? Headlines do not. */
static bool ends_sentence(const char *p, size_t a, size_t e)
{
    const unsigned char *u = (const unsigned char *)p;
    while (e > a && (u[e - 1] == ' ' || u[e - 1] == '\t' || u[e - 1] == '\r'))
        e--;
    for (;;) {
        if (e > a && (u[e - 1] == '"' || u[e - 1] == '\'' || u[e - 1] == ')'))
            e--;
        else if (e >= a + 3 && u[e - 3] == 0xE2 && u[e - 2] == 0x80 &&
                 (u[e - 1] == 0x9D || u[e - 1] == 0x99))
            e -= 3; /* ” ’ */
        else
            break;
    }
    if (e == a)
        return false;
    if (u[e - 1] == '.' || (e >= a + 3 && u[e - 3] == 0xE2 && u[e - 2] == 0x80 && u[e - 1] == 0xA6))
        return true;
    if (u[e - 1] != '?' && u[e - 1] != '!')
        return false;
    int words = 1;
    for (size_t i = a; i + 1 < e && words < SENTENCE_WORDS; i++)
        words += u[i] == ' ' && u[i + 1] != ' ';
    return words >= SENTENCE_WORDS;
}

/* The end of the list whose first headline is original line [a, e), or
 * SIZE_MAX when that line is a sentence (a story under a "Headlines"
 * heading, not a link). A heading ("Most read", "Related:") often stands
 * over several headlines, one a line. The list runs on over the next lines
 * while each is non-blank, short (MAX_ITEM bytes) and ends as no sentence
 * does, up to MAX_ITEMS; *items counts its lines. */
static size_t list_end(const char *p, size_t n, size_t a, size_t e, int *items)
{
    *items = 1;
    if (ends_sentence(p, a, e))
        return SIZE_MAX;
    for (int k = 0; k < MAX_ITEMS && e < n; k++) {
        size_t i = e + 1; /* past the '\n' */
        const char *nl = memchr(p + i, '\n', n - i);
        size_t f = nl ? (size_t)(nl - p) : n, q = i;
        while (q < f && (p[q] == ' ' || p[q] == '\t' || p[q] == '\r'))
            q++;
        if (q == f || f - i > MAX_ITEM || ends_sentence(p, i, f))
            break; /* a blank line, a paragraph, a sentence */
        e = f;
        ++*items;
    }
    return e;
}

/* Is original [e, a) white space only (two link lines side by side)? */
static bool adjacent(const char *p, size_t e, size_t a)
{
    for (; e < a; e++)
        if (p[e] != ' ' && p[e] != '\t' && p[e] != '\r' && p[e] != '\n')
            return false;
    return true;
}

/* The line after the one ending at original offset i, skipping blank
 * lines, if it is short enough to be a headline: its end, or 0. */
static size_t next_line(const char *p, size_t n, size_t i, size_t *a)
{
    while (i < n && (p[i] == '\n' || p[i] == '\r' || p[i] == ' ' || p[i] == '\t'))
        i++;
    const char *nl = memchr(p + i, '\n', n - i);
    size_t e = nl ? (size_t)(nl - p) : n;
    *a = i;
    return e > i && e - i <= MAX_HEADLINE ? e : 0; /* a headline, not a paragraph */
}

static size_t colon_lines(const struct nr_links *l, const struct nr_text *tx, const char *orig,
                          size_t n, struct nr_span32 *out, size_t max)
{
    size_t k = 0;
    const char *b = tx->buf, *end = b + tx->len, *c = b;
    /* the next ':' and the next '|' ("Also Read | ...", a CMS's separator) */
    const char *nc = memchr(b, ':', tx->len), *np = memchr(b, '|', tx->len);
    while (k < max && (nc || np)) {
        c = !np || (nc && nc < np) ? nc : np;
        if (c == nc)
            nc = memchr(c + 1, ':', (size_t)(end - c - 1));
        else
            np = memchr(c + 1, '|', (size_t)(end - c - 1));
        size_t ci = (size_t)(c - b), e = ci;
        while (e > 0 && b[e - 1] == ' ')
            e--;
        if (e == 0 || (!l->last[(unsigned char)b[e - 1]] && !nr_text_word_before(b, e)))
            continue; /* no label's last byte, nor a word that may follow a "+" label */
        size_t a = label_before(l, tx, orig, e);
        if (a == SIZE_MAX)
            continue;
        size_t oa = nr_text_orig(tx, a), oc = nr_text_orig(tx, ci + 1);
        /* a colon inside the previous link line: skipped before its end is
         * looked for, so that each byte is walked by one line_end (a body
         * of labels after marks line_end does not end at, "Related: x) "
         * repeated, was quadratic) */
        if (k && oa < out[k - 1].e)
            continue;
        size_t oe = line_end(orig, n, oc), q = oc, h;
        while (q < oe && (orig[q] == ' ' || orig[q] == '\t'))
            q++;
        int items;
        if (q == oe && oe < n && (h = next_line(orig, n, oe, &q)) != 0 &&
            (h = list_end(orig, n, q, h, &items)) != SIZE_MAX)
            oe = h; /* "Related:" alone: the links follow */
        if (k && adjacent(orig, out[k - 1].e, oa))
            out[k - 1].e = (uint32_t)oe; /* one span for a run of link lines */
        else
            out[k++] = (struct nr_span32){(uint32_t)oa, (uint32_t)oe};
    }
    return k;
}

enum heading { NOT_HEADING, HEADING, WEAK_HEADING };

/* Is original line [a, e) a label alone (a heading), and of which kind? */
static enum heading heading(const struct nr_links *l, struct nr_text *tmp, const char *p, size_t a,
                            size_t e)
{
    while (a < e && (p[a] == ' ' || p[a] == '\t'))
        a++;
    while (e > a && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r'))
        e--;
    if (e == a || e - a > l->max_heading || !l->first[(unsigned char)p[a]])
        return NOT_HEADING; /* most lines: too long, or no label starts so */
    int spaces = 0;
    for (size_t i = a; i < e; i++) {
        unsigned char c = (unsigned char)p[i];
        spaces += c == ' ';
        if (spaces > 4 || (c < 0x80 && c != ' ' && c != '.' && c != '\'' &&
                           !((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
            return NOT_HEADING; /* digits, punctuation, more words: text ("Speaker 2: yes.") */
    }
    nr_text_normalize(tmp, p + a, e - a, 0);
    size_t x = 0, y = tmp->len;
    while (x < y && tmp->buf[x] == ' ')
        x++;
    while (y > x && tmp->buf[y - 1] == ' ')
        y--;
    for (size_t k = 0; k < l->n; k++) {
        const struct label *L = &l->lab[k];
        if (L->len > y - x || tmp->buf[x] != L->s[0] || memcmp(tmp->buf + x, L->s, L->len) != 0)
            continue;
        if (L->len == y - x)
            return L->weak ? WEAK_HEADING : HEADING;
        /* "Related articles", "More from Horn of Africa": up to three more */
        if (!L->more || tmp->buf[x + L->len] != ' ')
            continue;
        int words = 1;
        for (size_t i = x + L->len + 1; i < y; i++)
            words += tmp->buf[i] == ' ';
        if (words <= 3)
            return L->weak ? WEAK_HEADING : HEADING;
    }
    return NOT_HEADING;
}

static size_t heading_lines(const struct nr_links *l, struct nr_text *tmp, const char *p, size_t n,
                            struct nr_span32 *out, size_t k, size_t max)
{
    size_t a = 0;
    while (k < max && a < n) {
        const char *nl = memchr(p + a, '\n', n - a);
        if (!nl)
            break; /* the last line has no line after it */
        size_t e = (size_t)(nl - p), next = e + 1;
        size_t h, q;
        int items;
        enum heading kind = heading(l, tmp, p, a, e);
        if (kind != NOT_HEADING && (h = next_line(p, n, next, &q)) != 0 &&
            (h = list_end(p, n, q, h, &items)) != SIZE_MAX && (kind == HEADING || items >= 2)) {
            next = q;
            if (k && out[k - 1].e <= next && adjacent(p, out[k - 1].e, next))
                out[k - 1].e = (uint32_t)h;
            else
                out[k++] = (struct nr_span32){(uint32_t)next, (uint32_t)h};
            a = h; /* past the list */
            continue;
        }
        a = next;
    }
    return k;
}

/* A wire service's credit: "(Reporting by Jane Doe in Kabul; Editing by
 * John Roe)", "(Additional reporting by ...)", "(Compiled by ...)", at the
 * start of a line or after a sentence's end (a parenthesis inside a
 * sentence, "(reported by local media in Kabul)", is the story's). The
 * names are the journalists' and the places where they file, not the
 * story's: the parenthesis, to its ')' or the end of its line, counts like
 * a link line. One memchr pass for '(' and a first-byte test per
 * parenthesis. */
static const char *const credits[] = {"reporting by ", "additional reporting by ",
                                      "writing by ",   "editing by ",
                                      "compiled by ",  "reported by "};

static size_t credit_lines(const char *p, size_t n, struct nr_span32 *out, size_t k, size_t max)
{
    for (const char *c = memchr(p, '(', n); c && k < max;
         c = memchr(c + 1, '(', n - (size_t)(c + 1 - p))) {
        size_t a = (size_t)(c - p), i = a + 1;
        if (i >= n)
            break;
        unsigned char f = (unsigned char)p[i] | 0x20;
        if (f != 'r' && f != 'a' && f != 'w' && f != 'e' && f != 'c')
            continue;
        size_t b = a;
        while (b > 0 && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r'))
            b--;
        unsigned char before = b > 0 ? (unsigned char)p[b - 1] : '\n';
        /* . ! ? a quote or a bracket closing a sentence, or ” (E2 80 9D) */
        if (before != '\n' && before != '.' && before != '!' && before != '?' && before != '"' &&
            before != ')' && !(before == 0x9D && b >= 3 && (unsigned char)p[b - 3] == 0xE2))
            continue;
        size_t j = 0;
        for (; j < NR_ARRAY_LEN(credits); j++) {
            size_t L = strlen(credits[j]), x = 0;
            while (x < L && i + x < n &&
                   ((unsigned char)p[i + x] | 0x20) == (unsigned char)credits[j][x])
                x++;
            if (x == L)
                break;
        }
        if (j == NR_ARRAY_LEN(credits))
            continue;
        size_t e = i;
        while (e < n && p[e] != ')' && p[e] != '\n')
            e++;
        out[k++] = (struct nr_span32){(uint32_t)a, (uint32_t)(e < n && p[e] == ')' ? e + 1 : e)};
        c = p + (e < n ? e : n - 1);
    }
    return k;
}

size_t nr_links_find(const struct nr_links *l, const struct nr_text *tx, struct nr_text *tmp,
                     const char *orig, size_t n, struct nr_span32 *out, size_t max)
{
    size_t k = colon_lines(l, tx, orig, n, out, max);
    k = heading_lines(l, tmp, orig, n, out, k, max);
    return credit_lines(orig, n, out, k, max);
}
