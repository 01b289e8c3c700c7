/*
 * alert.c - alert -> JSON, written directly into one growing buffer.
 *
 * Why not jansson: building the object tree and dumping it cost ~270k
 * instructions per alert with its evidence (10 articles, 5 entities), more
 * than all of stage 2's counting for the events between two alerts
 * (bench/bench_replay). Writing the bytes directly costs a few thousand.
 *
 * The output is exactly what the previous jansson encoder produced (compact,
 * keys in a fixed order, reals as "%.6g" with jansson's fix-ups), so a
 * replay produces the same bytes on every run and across this change;
 * tests/unit/test_alert.c keeps the jansson encoder as a reference and
 * compares bytes on generated alerts. Strings that are not valid UTF-8 (an
 * article title cut by the source) are emitted as null rather than failing
 * the whole alert; an invalid `by` word drops that dimension.
 */
#include "newsradar/alert.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

const char *nr_alert_state_name(enum nr_alert_state s)
{
    switch (s) {
    case NR_ALERT_FIRING:
        return "firing";
    case NR_ALERT_ESCALATED:
        return "escalated";
    case NR_ALERT_RESOLVED:
        return "resolved";
    }
    return "firing";
}

const char *nr_severity_name(enum nr_severity s)
{
    static const char *const names[] = {"low", "medium", "high", "critical"};
    return (unsigned)s < 4 ? names[s] : "low";
}

struct jbuf {
    char *p;
    size_t n, cap;
};

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
    if (b->cap - b->n < n + 1)
        nr_grow((void **)&b->p, &b->cap, b->n + n + 1, 1);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void jb_lit(struct jbuf *b, const char *s)
{
    jb_put(b, s, strlen(s));
}

static bool utf8_okn(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = nr_utf8_seq(p + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

static bool utf8_ok(const char *s)
{
    return utf8_okn(s, strlen(s));
}

/* A JSON string of valid UTF-8 s[0..n), escaped as jansson does by default
 * (a NUL inside becomes \u0000: lengths, not strlen, say where it ends). */
static void jb_strn(struct jbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    jb_put(b, "\"", 1);
    const char *run = s, *end = s + n;
    for (const char *p = s; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        jb_put(b, run, (size_t)(p - run));
        run = p + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            el = 6;
        }
        jb_put(b, esc, el);
    }
    jb_put(b, run, (size_t)(end - run));
    jb_put(b, "\"", 1);
}

static void jb_str(struct jbuf *b, const char *s)
{
    jb_strn(b, s, strlen(s));
}

static void jb_str_or_null(struct jbuf *b, const char *s)
{
    if (s && utf8_ok(s))
        jb_str(b, s);
    else
        jb_lit(b, "null");
}

static void jb_nstr_or_null(struct jbuf *b, struct nr_str s)
{
    if (s.p && utf8_okn(s.p, s.len))
        jb_strn(b, s.p, s.len);
    else
        jb_lit(b, "null");
}

/* "key": (keys are literals of this file: nothing to escape) */
static void jb_key(struct jbuf *b, const char *k, bool first)
{
    if (!first)
        jb_put(b, ",", 1);
    jb_put(b, "\"", 1);
    jb_lit(b, k);
    jb_put(b, "\":", 2);
}

static void jb_time(struct jbuf *b, int64_t ms)
{
    if (ms == NR_TIME_NONE) {
        jb_lit(b, "null");
        return;
    }
    char buf[40];
    nr_time_format_rfc3339(ms, buf, sizeof(buf));
    jb_str(b, buf);
}

static void jb_uint(struct jbuf *b, uint64_t v)
{
    char buf[24];
    size_t i = sizeof(buf);
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    jb_put(b, buf + i, sizeof(buf) - i);
}

/* A real as jansson writes it with JSON_REAL_PRECISION(6): "%.6g", the
 * locale's decimal point as '.', ".0" appended when there is neither '.'
 * nor 'e', and the exponent without '+' or leading zeros. Not finite (which
 * jansson refuses) becomes 1e308 or 0 so an alert always goes out. */
static void jb_real(struct jbuf *b, double v)
{
    if (!isfinite(v))
        v = v > 0 ? 1e308 : 0;
    char buf[48];
    int n = snprintf(buf, sizeof(buf) - 3, "%.6g", v);
    if (n < 0 || (size_t)n >= sizeof(buf) - 3) {
        jb_lit(b, "0.0");
        return;
    }
    size_t len = (size_t)n;
    for (size_t i = 0; i < len; i++)
        if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == 'e' || buf[i] == '-' || buf[i] == '+'))
            buf[i] = '.';
    if (!memchr(buf, '.', len) && !memchr(buf, 'e', len)) {
        buf[len++] = '.';
        buf[len++] = '0';
        buf[len] = '\0';
    }
    char *e = memchr(buf, 'e', len);
    if (e) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - buf) + 1);
            len -= (size_t)(end - start);
        }
    }
    jb_put(b, buf, len);
}

/* "dimensions": one member per kind; a later dimension of a kind seen
 * before replaces its value in place, as in an object. */
static void jb_dimensions(struct jbuf *b, const struct nr_alert *a)
{
    jb_put(b, "{", 1);
    bool first = true;
    for (size_t i = 0; i < a->n_dims; i++) {
        const char *kind = a->dims[i].kind;
        if (!kind || !utf8_ok(kind))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = a->dims[j].kind && strcmp(a->dims[j].kind, kind) == 0;
        if (seen)
            continue;
        size_t m = i;
        for (size_t j = i + 1; j < a->n_dims; j++)
            if (a->dims[j].kind && strcmp(a->dims[j].kind, kind) == 0)
                m = j;
        const struct nr_alert_dim *d = &a->dims[m];
        if (!first)
            jb_put(b, ",", 1);
        first = false;
        jb_str(b, kind);
        jb_put(b, ":", 1);
        jb_put(b, "{", 1);
        jb_key(b, "id", true);
        jb_str_or_null(b, d->id);
        jb_key(b, "name", false);
        jb_str_or_null(b, d->name);
        if (d->code) {
            jb_key(b, "code", false);
            jb_str_or_null(b, d->code);
        }
        jb_put(b, "}", 1);
    }
    jb_put(b, "}", 1);
}

/* "articles": the evidence, in the alert's order. */
static void jb_articles(struct jbuf *b, const struct nr_alert *a)
{
    jb_put(b, "[", 1);
    for (size_t i = 0; i < a->n_articles; i++) {
        const struct nr_alert_article *x = &a->articles[i];
        if (i)
            jb_put(b, ",", 1);
        jb_put(b, "{", 1);
        jb_key(b, "id", true);
        jb_nstr_or_null(b, x->id);
        jb_key(b, "title", false);
        jb_nstr_or_null(b, x->title);
        jb_key(b, "url", false);
        jb_nstr_or_null(b, x->url);
        jb_key(b, "source", false);
        jb_nstr_or_null(b, x->source);
        jb_key(b, "language", false);
        jb_nstr_or_null(b, x->language && *x->language
                               ? (struct nr_str){x->language, strlen(x->language)}
                               : (struct nr_str){NULL, 0});
        jb_key(b, "published_at", false);
        jb_time(b, x->published_ms);
        if (x->duplicate_of.p) {
            jb_key(b, "duplicate_of", false);
            jb_nstr_or_null(b, x->duplicate_of);
        }
        jb_put(b, "}", 1);
    }
    jb_put(b, "]", 1);
}

/* "entities": the co-mentioned entities. */
static void jb_entities(struct jbuf *b, const struct nr_alert *a)
{
    jb_put(b, "[", 1);
    for (size_t i = 0; i < a->n_entities; i++) {
        const struct nr_alert_entity *x = &a->entities[i];
        if (i)
            jb_put(b, ",", 1);
        jb_put(b, "{", 1);
        jb_key(b, "id", true);
        jb_str_or_null(b, x->id);
        jb_key(b, "kind", false);
        jb_str_or_null(b, x->kind);
        jb_key(b, "name", false);
        jb_str_or_null(b, x->name);
        jb_key(b, "mentions", false);
        jb_uint(b, x->mentions);
        jb_put(b, "}", 1);
    }
    jb_put(b, "]", 1);
}

char *nr_alert_to_json(const struct nr_alert *a)
{
    if (!a->rule || !utf8_ok(a->rule) || !utf8_ok(a->alert_id))
        return NULL;
    struct jbuf b = {0};
    nr_grow((void **)&b.p, &b.cap, 2048, 1);
    jb_put(&b, "{", 1);
    jb_key(&b, "alert_id", true);
    jb_str(&b, a->alert_id);
    jb_key(&b, "rule", false);
    jb_str(&b, a->rule);
    jb_key(&b, "state", false);
    jb_str(&b, nr_alert_state_name(a->state));
    jb_key(&b, "severity", false);
    jb_str(&b, nr_severity_name(a->severity));
    jb_key(&b, "topic", false);
    jb_str_or_null(&b, a->topic);
    jb_key(&b, "dimensions", false);
    jb_dimensions(&b, a);
    jb_key(&b, "window", false);
    jb_put(&b, "{", 1);
    jb_key(&b, "start", true);
    jb_time(&b, a->window_start_ms);
    jb_key(&b, "end", false);
    jb_time(&b, a->window_end_ms);
    jb_put(&b, "}", 1);
    jb_key(&b, "count", false);
    jb_uint(&b, a->count);
    jb_key(&b, "baseline", false);
    jb_real(&b, a->baseline);
    jb_key(&b, "score", false);
    jb_put(&b, "{", 1);
    jb_key(&b, "ratio", true);
    jb_real(&b, a->ratio);
    jb_key(&b, "p_value", false);
    jb_real(&b, a->p_value);
    jb_put(&b, "}", 1);
    jb_key(&b, "articles", false);
    jb_articles(&b, a);
    jb_key(&b, "entities", false);
    jb_entities(&b, a);
    jb_key(&b, "detected_at", false);
    jb_time(&b, a->detected_ms);
    jb_put(&b, "}", 1);
    b.p[b.n] = '\0';
    return b.p;
}
