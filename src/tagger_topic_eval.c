/*
 * tagger_topic_eval.c - topic scores from the verified term matches of one
 * article (tagger_topic.h): scoped exclusions, signals, weights, the title
 * boost, the threshold and the evidence.
 *
 * After the scan the matches are sorted twice: by position, to number their
 * words (spaces before them in the normalized field; whitespace runs are one
 * space), then by topic, so each touched topic sees its matches as one run
 * in (field, position) order. Per topic:
 *   1. masking: a term match overlapping an `exclude` match, or within
 *      `exclude_near.within` words of an `exclude_near` match (same field),
 *      is masked; the other matches stand ("heart attack" masks that
 *      "attack" only);
 *   2. each term gets a bit per field with an unmasked match;
 *   3. each signal is evaluated over both fields (it counts) and over the
 *      title alone (it counts weight x title_boost): terms test their bits,
 *      NEAR/n looks for a pair of unmasked matches at most n words apart in
 *      one field (either order, not overlapping);
 *   4. the topic is tagged when the sum reaches the threshold; its evidence
 *      is the terms that made each counted signal true (both sides of the
 *      pair found for NEAR, nothing under NOT), each text once.
 * Windows over sorted runs (matches starting at most n + longest-term words
 * before) keep masking and NEAR linear in the matches for any input.
 * A topic with exclude_near.past_years gets, before step 1, one exclusion
 * match per year before the article's (find_years): a digit scan of both
 * fields, only for touched topics that have it.
 */
#include "tagger_topic.h"

#include <jansson.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Spaces in p[0..n), 8 bytes per step (exact zero-byte test, no carries
 * between bytes). */
static uint32_t count_spaces(const char *p, size_t n)
{
    uint32_t c = 0;
    size_t i = 0;
#ifdef __SSE2__
    /* 16 bytes per step: a compare gives -1 per space, subtracted into byte
     * counters that are summed (SAD against zero) before they can wrap */
    const __m128i sp = _mm_set1_epi8(' '), zero = _mm_setzero_si128();
    __m128i total = zero;
    while (i + 16 <= n) {
        __m128i acc = zero;
        for (int k = 0; k < 255 && i + 16 <= n; k++, i += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), sp));
        total = _mm_add_epi64(total, _mm_sad_epu8(acc, zero));
    }
    c += (uint32_t)_mm_cvtsi128_si32(total) + (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(total, 8));
#endif
    while (i + 8 <= n) {
        /* per-byte 0/1 flags summed in byte lanes, folded every 255 words */
        uint64_t lanes = 0;
        for (int k = 0; k < 255 && i + 8 <= n; k++, i += 8) {
            uint64_t x;
            memcpy(&x, p + i, 8);
            x ^= 0x2020202020202020ULL;
            uint64_t t = ((x & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL) | x;
            lanes += (~t & 0x8080808080808080ULL) >> 7;
        }
        /* widen to 16-bit lanes (<= 510 each), then sum them by multiply */
        uint64_t w = (lanes & 0x00ff00ff00ff00ffULL) + ((lanes >> 8) & 0x00ff00ff00ff00ffULL);
        c += (uint32_t)((w * 0x0001000100010001ULL) >> 48);
    }
    for (; i < n; i++)
        c += p[i] == ' ';
    return c;
}

static int cmp_pos(const void *x, const void *y)
{
    const struct tocc *a = x, *b = y;
    if (a->field != b->field)
        return a->field < b->field ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return a->term < b->term ? -1 : a->term > b->term;
}

static int cmp_topic(const void *x, const void *y)
{
    const struct tocc *a = x, *b = y;
    if (a->topic != b->topic)
        return a->topic < b->topic ? -1 : 1;
    return cmp_pos(x, y);
}

static void number_words(struct nr_topics_scratch *s)
{
    SMALL_SORT(s->occ, s->n_occ, cmp_pos);
    int f = -1;
    uint32_t pos = 0, words = 0;
    for (size_t i = 0; i < s->n_occ; i++) {
        struct tocc *o = &s->occ[i];
        if (o->field != f) {
            f = o->field;
            pos = 0;
            words = 0;
        }
        words += count_spaces(s->text[f].buf + pos, o->start - pos);
        pos = o->start;
        o->w0 = words;
        o->w1 = words + count_spaces(s->text[f].buf + o->start, o->end - o->start);
    }
    SMALL_SORT(s->occ, s->n_occ, cmp_topic);
}

static bool bytes_overlap(const struct tocc *a, const struct tocc *b)
{
    return a->start < b->end && b->start < a->end;
}

/* Words between two matches of one field; -1 when they overlap. Two
 * matches in one run without spaces (Chinese, Japanese: 关闭托尔哈姆口岸)
 * are 0 words apart, so NEAR/n there counts the punctuation breaks. */
static int64_t gap(const struct tocc *a, const struct tocc *b)
{
    if (b->w0 > a->w1)
        return (int64_t)b->w0 - a->w1;
    if (a->w0 > b->w1)
        return (int64_t)a->w0 - b->w1;
    return bytes_overlap(a, b) ? -1 : 0;
}

static void mask(const struct nr_topics *tp, struct nr_topics_scratch *s, uint32_t topic)
{
    const struct ttopic *tt = &tp->topics[topic];
    size_t nx = 0;
    for (size_t i = s->lo; i < s->hi; i++)
        if (s->occ[i].role != R_POS) {
            nr_grow((void **)&s->tmp_a, &s->cap_a, nx + 1, sizeof(uint32_t));
            s->tmp_a[nx++] = (uint32_t)i;
        }
    if (nx == 0)
        return;
    uint32_t reach = tt->xnear + tt->maxw + 1;
    size_t lo = 0;
    for (size_t i = s->lo; i < s->hi; i++) {
        struct tocc *o = &s->occ[i];
        if (o->role != R_POS || tp->terms[o->term].negated)
            continue; /* exclusions mask evidence for the topic, not against it */
        while (lo < nx &&
               (s->occ[s->tmp_a[lo]].field < o->field || (s->occ[s->tmp_a[lo]].field == o->field &&
                                                          s->occ[s->tmp_a[lo]].w0 + reach < o->w0)))
            lo++;
        for (size_t j = lo; j < nx; j++) {
            const struct tocc *x = &s->occ[s->tmp_a[j]];
            if (x->field != o->field || x->w0 > o->w1 + tt->xnear + 1)
                break;
            bool hit = x->role == R_EXCL ? bytes_overlap(o, x)
                                         : gap(o, x) <= (int64_t)tp->terms[x->term].within;
            if (hit) {
                o->masked_by = s->tmp_a[j] + 1;
                break;
            }
        }
    }
}

static bool in_list(const uint32_t *l, uint32_t n, uint32_t term)
{
    for (uint32_t i = 0; i < n; i++)
        if (l[i] == term)
            return true;
    return false;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* The unmasked matches of the terms in l[0..n) within scope, in (field,
 * position) order: the terms' chains (topic_prepare) merged by index, since
 * the topic's run is in that order already. */
static size_t collect(struct nr_topics_scratch *s, uint32_t **out, size_t *cap, const uint32_t *l,
                      uint32_t n, unsigned scope)
{
    size_t k = 0;
    uint32_t from = 0;
    for (uint32_t t = 0; t < n; t++) {
        if (s->term_stamp[l[t]] != s->stamp || !(s->term_bits[l[t]] & scope))
            continue;
        from += k > 0;
        for (uint32_t i = s->term_head[l[t]]; i != UINT32_MAX; i = s->occ_next[i]) {
            if (!(scope & (1u << s->occ[i].field)))
                continue;
            nr_grow((void **)out, cap, k + 1, sizeof(uint32_t));
            (*out)[k++] = i;
        }
    }
    if (from > 0) /* several chains: restore the order */
        SMALL_SORT(*out, k, cmp_u32);
    return k;
}

static bool term_on(const struct nr_topics_scratch *s, uint32_t term, unsigned scope)
{
    return s->term_stamp[term] == s->stamp && (s->term_bits[term] & scope);
}

static bool any_on(const struct nr_topics_scratch *s, const uint32_t *l, uint32_t n, unsigned scope)
{
    for (uint32_t i = 0; i < n; i++)
        if (term_on(s, l[i], scope))
            return true;
    return false;
}

/* Is an unmasked match of list A within `within` words of one of list B
 * (pool entry at off), and after it when `ordered` (NEAR/nf)? The pair
 * found goes to *pa, *pb. */
static bool near_pair(const struct nr_topics *tp, struct nr_topics_scratch *s, uint32_t off,
                      uint32_t within, bool ordered, unsigned scope, uint32_t *pa, uint32_t *pb)
{
    const uint32_t *la = tp->pool + off + 1, na = tp->pool[off];
    const uint32_t *lb = la + na + 1, nb = la[na];
    if (!any_on(s, la, na, scope) || !any_on(s, lb, nb, scope))
        return false; /* a side without matches: no need to look at positions */
    size_t ka = collect(s, &s->tmp_a, &s->cap_a, la, na, scope);
    if (ka == 0)
        return false;
    size_t kb = collect(s, &s->tmp_b, &s->cap_b, lb, nb, scope);
    uint32_t reach = within + tp->topics[s->occ[s->lo].topic].maxw + 1;
    size_t lo = 0;
    for (size_t i = 0; i < ka; i++) {
        const struct tocc *a = &s->occ[s->tmp_a[i]];
        while (lo < kb &&
               (s->occ[s->tmp_b[lo]].field < a->field || (s->occ[s->tmp_b[lo]].field == a->field &&
                                                          s->occ[s->tmp_b[lo]].w0 + reach < a->w0)))
            lo++;
        for (size_t j = lo; j < kb; j++) {
            const struct tocc *b = &s->occ[s->tmp_b[j]];
            if (b->field != a->field || b->w0 > a->w1 + within)
                break;
            int64_t g = gap(a, b);
            if (g >= 0 && g <= (int64_t)within && (!ordered || b->w0 > a->w1)) {
                *pa = s->tmp_a[i];
                *pb = s->tmp_b[j];
                return true;
            }
        }
    }
    return false;
}

static void push_evidence(struct nr_topics_scratch *s, size_t first, const char *text)
{
    for (size_t k = first; k < s->n_evidence; k++)
        if (strcmp(s->evidence[k], text) == 0)
            return;
    nr_grow((void **)&s->evidence, &s->cap_evidence, s->n_evidence + 1, sizeof(*s->evidence));
    s->evidence[s->n_evidence++] = text;
}

struct qctx {
    const struct nr_topics *tp;
    struct nr_topics_scratch *s;
    const struct tsig *g;
    unsigned scope;
};

static bool q_term(void *ctx, uint32_t k)
{
    struct qctx *c = ctx;
    return term_on(c->s, c->g->term + k, c->scope);
}

static bool q_near(void *ctx, const struct nr_query *q, uint32_t node)
{
    struct qctx *c = ctx;
    uint32_t a, b;
    const struct nr_qnode *n = &q->nodes[node];
    return near_pair(c->tp, c->s, c->g->near_of[node], n->arg, n->ordered, c->scope, &a, &b);
}

static void evidence_pair(const struct nr_topics *tp, struct nr_topics_scratch *s, size_t first,
                          uint32_t a, uint32_t b)
{
    push_evidence(s, first, tp->terms[s->occ[a].term].text);
    push_evidence(s, first, tp->terms[s->occ[b].term].text);
}

/* The terms that make node true (it is true). */
static void q_evidence(struct qctx *c, uint32_t node, size_t first)
{
    const struct nr_query *q = c->g->q;
    const struct nr_qnode *n = &q->nodes[node];
    switch (n->op) {
    case NR_QOP_TERM:
        push_evidence(c->s, first, c->tp->terms[c->g->term + n->arg].text);
        return;
    case NR_QOP_NEAR: {
        uint32_t a, b;
        if (near_pair(c->tp, c->s, c->g->near_of[node], n->arg, n->ordered, c->scope, &a, &b))
            evidence_pair(c->tp, c->s, first, a, b);
        return;
    }
    case NR_QOP_AND:
    case NR_QOP_OR:
        for (uint32_t k = 0; k < n->n; k++) {
            uint32_t ch = q->kids[n->first + k];
            if (nr_query_eval(q, ch, q_term, q_near, c))
                q_evidence(c, ch, first);
        }
        return;
    default: /* NOT: what is absent is no evidence */
        return;
    }
}

bool nr_topic_sig_eval(const struct nr_topics *tp, struct nr_topics_scratch *s,
                       const struct tsig *g, unsigned scope, bool ev)
{
    size_t first = s->n_evidence;
    uint32_t a, b;
    switch (g->kind) {
    case S_TERM:
        if (!term_on(s, g->term, scope))
            return false;
        if (ev)
            push_evidence(s, s->n_evidence, tp->terms[g->term].text);
        return true;
    case S_NEAR:
        if (!near_pair(tp, s, g->near, g->within, false, scope, &a, &b))
            return false;
        if (ev)
            evidence_pair(tp, s, first, a, b);
        return true;
    default: {
        struct qctx c = {tp, s, g, scope};
        if (!nr_query_eval(g->q, g->q->root, q_term, q_near, &c))
            return false;
        if (ev)
            q_evidence(&c, g->q->root, first);
        return true;
    }
    }
}

/* Sort the touched topics: output in config order. */
static void sort_touched(struct nr_topics_scratch *s)
{
    uint32_t *tt = s->touched;
    for (size_t i = 1; i < s->n_touched; i++) {
        uint32_t v = tt[i];
        size_t j = i;
        while (j > 0 && tt[j - 1] > v) {
            tt[j] = tt[j - 1];
            j--;
        }
        tt[j] = v;
    }
}

/* Prepare topic `topic` (occurrences from s->lo): mask and set term bits;
 * returns the end of its run. */
static size_t topic_prepare(const struct nr_topics *tp, struct nr_topics_scratch *s, size_t lo,
                            uint32_t topic)
{
    while (lo < s->n_occ && s->occ[lo].topic < topic)
        lo++;
    size_t hi = lo;
    while (hi < s->n_occ && s->occ[hi].topic == topic)
        hi++;
    s->lo = lo;
    s->hi = hi;
    if (tp->topics[topic].has_excl)
        mask(tp, s, topic);
    nr_grow((void **)&s->occ_next, &s->cap_next, hi + 1, sizeof(uint32_t));
    for (size_t i = lo; i < hi; i++) /* forget an earlier preparation (explain) */
        s->term_stamp[s->occ[i].term] = 0;
    for (size_t i = lo; i < hi; i++) {
        const struct tocc *o = &s->occ[i];
        if (o->role != R_POS || o->masked_by)
            continue;
        s->occ_next[i] = UINT32_MAX;
        if (s->term_stamp[o->term] != s->stamp) {
            s->term_stamp[o->term] = s->stamp;
            s->term_bits[o->term] = 0;
            s->term_head[o->term] = (uint32_t)i;
        } else {
            s->occ_next[s->term_tail[o->term]] = (uint32_t)i;
        }
        s->term_tail[o->term] = (uint32_t)i;
        s->term_bits[o->term] |= (uint8_t)(1u << o->field);
    }
    return hi;
}

/* A signal's points in this article (0 if it does not match). */
static double sig_points(const struct nr_topics *tp, struct nr_topics_scratch *s,
                         const struct tsig *g, bool *in_title)
{
    *in_title = false;
    if (g->set != nr_topic_set(tp, s, g->topic) || !nr_topic_sig_eval(tp, s, g, 3, false))
        return 0;
    *in_title = nr_topic_sig_eval(tp, s, g, 1, false);
    return g->weight * (*in_title ? tp->cfg->topics[g->topic].title_boost : 1.0);
}

static bool word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* Offset of the first ASCII digit in b[i..n), or n; 16 bytes a step. */
static size_t next_digit(const unsigned char *b, size_t i, size_t n)
{
#ifdef __SSE2__
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
    for (; i + 16 <= n; i += 16) {
        __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(b + i)), zero);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, nine), d));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && (b[i] < '0' || b[i] > '9'))
        i++;
    return i;
}

/* The word of b ending right before i (over one punctuation mark and
 * spaces: "13, 2015"), as [*ws, *we); false at the start. */
static bool word_before(const unsigned char *b, size_t i, size_t *ws, size_t *we)
{
    size_t e = i;
    while (e > 0 && b[e - 1] == ' ')
        e--;
    if (e > 0 && (b[e - 1] == ',' || b[e - 1] == '.'))
        e--;
    size_t st = e;
    while (st > 0 && word_byte(b[st - 1]) && b[st - 1] < 0x80)
        st--;
    *ws = st;
    *we = e;
    return st < e;
}

static bool word_in(const unsigned char *w, size_t n, const char *const *list, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (strlen(list[i]) == n && memcmp(w, list[i], n) == 0)
            return true;
    return false;
}

/* Is the number at b[i..i+4) written as a year? After a month ("January
 * 2023", "November 13, 2015": a day between), a preposition or "the" ("in
 * 2015", "since 2019", "the 2008 attacks"), or with a decade's "s"; not a
 * count ("more than 2000 gunmen"), a flight or a time ("at 1930 hours"). */
static bool year_context(const unsigned char *b, size_t n, size_t i, bool decade)
{
    static const char *const months[] = {
        "january",   "february", "march",    "april",    "may",  "june", "july", "august",
        "september", "october",  "november", "december", "jan",  "feb",  "mar",  "apr",
        "jun",       "jul",      "aug",      "sep",      "sept", "oct",  "nov",  "dec"};
    static const char *const before[] = {"in",     "since",  "of",      "from",  "until", "till",
                                         "by",     "during", "the",     "early", "late",  "mid",
                                         "before", "after",  "between", "and",   "to",    "year",
                                         "summer", "spring", "autumn",  "winter"};
    static const char *const after[] = {"hours", "hrs", "hour", "gmt", "utc", "pkt", "ist"};
    size_t e = i + 4;
    while (e < n && b[e] == ' ')
        e++;
    size_t ae = e;
    while (ae < n && word_byte(b[ae]) && b[ae] < 0x80)
        ae++;
    if (word_in(b + e, ae - e, after, NR_ARRAY_LEN(after)))
        return false;
    if (decade)
        return true;
    size_t ws, we;
    if (!word_before(b, i, &ws, &we))
        return false;
    if (we - ws <= 2 && b[ws] >= '0' && b[ws] <= '9' && word_before(b, ws, &ws, &we))
        return word_in(b + ws, we - ws, months, NR_ARRAY_LEN(months)); /* a day between */
    return word_in(b + ws, we - ws, months, NR_ARRAY_LEN(months)) ||
           word_in(b + ws, we - ws, before, NR_ARRAY_LEN(before));
}

/* The years before `year` in normalized field f of s: four digits from 1900
 * written as a year (year_context) -> s->years. */
static void find_years(struct nr_topics_scratch *s, int f)
{
    const unsigned char *b = (const unsigned char *)s->text[f].buf;
    size_t n = s->text[f].len;
    for (size_t i = next_digit(b, 0, n); i < n; i = next_digit(b, i, n)) {
        size_t e = i;
        while (e < n && b[e] >= '0' && b[e] <= '9')
            e++;
        bool decade = e < n && b[e] == 's';
        size_t t = decade ? e + 1 : e;
        if (e - i == 4 && (i == 0 || !word_byte(b[i - 1])) && (t == n || !word_byte(b[t]))) {
            int y = (b[i] - '0') * 1000 + (b[i + 1] - '0') * 100 + (b[i + 2] - '0') * 10 +
                    (b[i + 3] - '0');
            if (y >= 1900 && y < s->year && year_context(b, n, i, decade)) {
                if (nr_try_grow((void **)&s->years, &s->cap_years, s->n_years + 1,
                                sizeof(*s->years)) < 0) {
                    s->oom = true;
                    return;
                }
                s->years[s->n_years++] = (struct tyear){(uint32_t)i, (uint32_t)e, (uint8_t)f};
            }
        }
        i = e;
    }
}

/* exclude_near.past_years: each year before the article's is a match of the
 * topic's year term, for every touched topic that has one (in every
 * language: a year reads the same in all). */
static void add_years(const struct nr_topics *tp, struct nr_topics_scratch *s)
{
    bool scanned = false;
    for (size_t q = 0; q < s->n_touched; q++) {
        uint32_t topic = s->touched[q], term = tp->topics[topic].year_term;
        if (term == NO_TERM)
            continue;
        if (!scanned) {
            s->n_years = 0;
            find_years(s, 0);
            find_years(s, 1);
            scanned = true;
        }
        for (size_t k = 0; k < s->n_years; k++) {
            if (nr_try_grow((void **)&s->occ, &s->cap_occ, s->n_occ + 1, sizeof(*s->occ)) < 0) {
                s->oom = true;
                return;
            }
            s->occ[s->n_occ++] = (struct tocc){.term = term,
                                               .topic = topic,
                                               .start = s->years[k].start,
                                               .end = s->years[k].end,
                                               .field = s->years[k].field,
                                               .role = R_EXCL_NEAR};
        }
    }
}

void nr_topics_resolve(const struct nr_topics *tp, struct nr_topics_scratch *s,
                       struct nr_tags *tags)
{
    tags->n_topics = 0;
    tags->n_evidence = 0;
    tags->topics = s->tags;
    tags->evidence = s->evidence;
    if (s->n_occ == 0)
        return;
    if (tp->past_years && s->year > 0)
        add_years(tp, s);
    number_words(s);
    sort_touched(s);
    size_t lo = 0, n_tags = 0;
    for (size_t q = 0; q < s->n_touched; q++) {
        uint32_t topic = s->touched[q];
        const struct ttopic *tt = &tp->topics[topic];
        const struct nr_topic *ct = &tp->cfg->topics[topic];
        lo = topic_prepare(tp, s, lo, topic);
        double score = 0;
        for (uint32_t k = 0; k < tt->nsig; k++) {
            bool in_title;
            score += sig_points(tp, s, &tp->sigs[tt->sig0 + k], &in_title);
        }
        if (score <= 0 || score < ct->min_score)
            continue;
        size_t first = s->n_evidence;
        uint8_t set = nr_topic_set(tp, s, topic);
        for (uint32_t k = 0; k < tt->nsig; k++)
            if (tp->sigs[tt->sig0 + k].set == set)
                nr_topic_sig_eval(tp, s, &tp->sigs[tt->sig0 + k], 3, true);
        /* the evidence of every signal, each text once */
        size_t w = first;
        for (size_t k = first; k < s->n_evidence; k++) {
            bool dup = false;
            for (size_t j = first; j < w && !dup; j++)
                dup = strcmp(s->evidence[j], s->evidence[k]) == 0;
            if (!dup)
                s->evidence[w++] = s->evidence[k];
        }
        s->n_evidence = w;
        nr_grow((void **)&s->tags, &s->cap_tags, n_tags + 1, sizeof(*s->tags));
        s->tags[n_tags++] =
            (struct nr_topic_tag){topic, score, (uint32_t)first, (uint32_t)(s->n_evidence - first)};
    }
    tags->topics = s->tags;
    tags->n_topics = n_tags;
    tags->evidence = s->evidence;
    tags->n_evidence = s->n_evidence;
}

/* ---- explain -------------------------------------------------------------- */

static json_t *occ_json(const struct nr_topics *tp, const struct nr_topics_scratch *s,
                        const struct nr_article *a, const struct tocc *o)
{
    const struct nr_text *tx = &s->text[o->field];
    uint32_t os = nr_text_orig(tx, o->start), oe = nr_text_orig(tx, o->end);
    const struct nr_str *f = &a->field[o->field ? NR_FIELD_BODY : NR_FIELD_TITLE];
    json_t *text = f->p && oe <= f->len && os <= oe ? json_stringn(f->p + os, oe - os) : NULL;
    json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:o}", "term", tp->terms[o->term].text, "field",
                          o->field ? "body" : "title", "start", (json_int_t)os, "end",
                          (json_int_t)oe, "text", text ? text : json_null());
    if (o->masked_by) {
        const struct tocc *x = &s->occ[o->masked_by - 1];
        json_object_set_new(j, "masked_by",
                            json_pack("{s:s,s:s}", "kind",
                                      x->role == R_EXCL ? "exclude" : "exclude_near", "term",
                                      tp->terms[x->term].text));
    }
    return j;
}

static bool sig_has_term(const struct tsig *g, const struct nr_topics *tp, uint32_t term)
{
    switch (g->kind) {
    case S_TERM:
        return g->term == term;
    case S_NEAR: {
        const uint32_t *p = tp->pool + g->near;
        return in_list(p + 1, p[0], term) || in_list(p + 2 + p[0], p[1 + p[0]], term);
    }
    default:
        return term >= g->term && term < g->term + g->q->n_terms;
    }
}

static json_t *num(double v)
{
    return v == (double)(json_int_t)v ? json_integer((json_int_t)v) : json_real(v);
}

static json_t *sig_json(const struct nr_topics *tp, struct nr_topics_scratch *s,
                        const struct nr_article *a, const struct tsig *g, double *score)
{
    bool in_title;
    double pts = sig_points(tp, s, g, &in_title);
    *score += pts;
    json_t *j = json_object();
    if (g->kind == S_NEAR) {
        const struct nr_topic_near *nr = NULL;
        const struct nr_topic *ct = &tp->cfg->topics[g->topic];
        uint32_t idx = 0;
        for (uint32_t k = tp->topics[g->topic].sig0; k < (uint32_t)(g - tp->sigs); k++)
            idx += tp->sigs[k].kind == S_NEAR;
        nr = &ct->near[idx];
        json_object_set_new(j, "near", json_pack("{s:I}", "within", (json_int_t)nr->within));
    } else {
        json_object_set_new(j, g->kind == S_TERM ? "any" : "query", json_string(g->text));
    }
    json_object_set_new(j, "weight", num(g->weight));
    json_object_set_new(j, "matched", json_boolean(pts > 0));
    json_object_set_new(j, "in_title", json_boolean(in_title));
    json_object_set_new(j, "points", num(pts));
    json_t *terms = json_array();
    for (size_t i = s->lo; i < s->hi; i++)
        if (s->occ[i].role == R_POS && sig_has_term(g, tp, s->occ[i].term))
            json_array_append_new(terms, occ_json(tp, s, a, &s->occ[i]));
    json_object_set_new(j, "matches", terms);
    return j;
}

void *nr_topics_explain(const struct nr_topics *tp, struct nr_topics_scratch *s,
                        const struct nr_article *a)
{
    json_t *arr = json_array();
    size_t lo = 0;
    for (size_t q = 0; q < s->n_touched; q++) {
        uint32_t topic = s->touched[q];
        const struct ttopic *tt = &tp->topics[topic];
        const struct nr_topic *ct = &tp->cfg->topics[topic];
        lo = topic_prepare(tp, s, lo, topic);
        double score = 0;
        json_t *sigs = json_array();
        uint8_t set = nr_topic_set(tp, s, topic);
        for (uint32_t k = 0; k < tt->nsig; k++) /* the signals of the article's language */
            if (tp->sigs[tt->sig0 + k].set == set)
                json_array_append_new(sigs, sig_json(tp, s, a, &tp->sigs[tt->sig0 + k], &score));
        json_t *ex = json_array();
        for (size_t i = s->lo; i < s->hi; i++)
            if (s->occ[i].role != R_POS) {
                json_t *o = occ_json(tp, s, a, &s->occ[i]);
                json_object_set_new(
                    o, "kind", json_string(s->occ[i].role == R_EXCL ? "exclude" : "exclude_near"));
                json_array_append_new(ex, o);
            }
        json_t *j = json_pack("{s:s,s:b,s:o,s:o,s:o,s:o,s:o}", "id", ct->id, "detected",
                              score > 0 && score >= ct->min_score, "score", num(score), "threshold",
                              num(ct->min_score), "title_boost", num(ct->title_boost), "signals",
                              sigs, "exclusions", ex);
        json_array_append_new(arr, j);
    }
    return arr;
}
