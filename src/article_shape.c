/*
 * article_shape.c - the field map: JSON pointers, how each field's value is
 * read from one record, and the presets of common feed shapes.
 *
 * A field has one to four pointers (`body: [/description, /content]`). The
 * body joins every readable value with a blank line ("\n\n"), so spans are
 * offsets into that joined text; any other field takes the first pointer
 * that yields a value. Values are read leniently, because real feeds vary
 * (docs/article.md has the table): a string is itself; null is absent; a
 * number is the id's text or an epoch date, else unreadable; an object with
 * a string `name` is that name (NewsAPI's source); an array is its first
 * string (a language list), or for the body all its strings joined.
 * Only the id must be readable: another field that is not is treated as
 * absent and its reason kept in nr_article.warn (the tag output's
 * `warnings`, the service's newsradar_field_errors_total).
 *
 * Values are unescaped into one decoder buffer grown as needed; offsets are
 * kept while it grows and turned into pointers at the end. Cost: one pass
 * over each record's members per pointer segment, no allocation once the
 * buffer has grown.
 */
#include "article_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON pointers ------------------------------------------------------ */

/* Split an RFC 6901 pointer. A malformed pointer (no leading '/', or '~' not
 * followed by 0 or 1) leaves the field unset: the config loader validates
 * pointers, this only keeps a bad one from matching anything. "" (and
 * NULL) means the field is not read. */
void nr__ptr_parse(struct json_ptr *p, const char *text)
{
    memset(p, 0, sizeof(*p));
    if (!text)
        return;
    p->text = text;
    if (*text == '\0')
        return; /* "" = not read (set stays false) */
    if (*text != '/')
        return;
    size_t n = 0;
    for (const char *c = text; *c; c++)
        n += *c == '/';
    p->seg = nr_xcalloc(n, sizeof(*p->seg));
    const char *c = text + 1;
    for (size_t k = 0; k < n; k++) {
        const char *end = strchr(c, '/');
        size_t raw = end ? (size_t)(end - c) : strlen(c);
        char *s = nr_xmalloc(raw + 1);
        size_t o = 0;
        for (size_t i = 0; i < raw; i++) {
            if (c[i] != '~') {
                s[o++] = c[i];
            } else if (i + 1 < raw && (c[i + 1] == '0' || c[i + 1] == '1')) {
                s[o++] = c[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                free(s);
                p->n = k;
                return; /* set stays false */
            }
        }
        s[o] = '\0';
        p->seg[k].s = s;
        p->seg[k].len = o;
        p->seg[k].idx = -1;
        /* array index: "0" or [1-9][0-9]* (no leading zeros, RFC 6901 sec. 4) */
        if (o > 0 && o < 10 && (o == 1 || s[0] != '0')) {
            long v = 0;
            size_t i = 0;
            while (i < o && s[i] >= '0' && s[i] <= '9')
                v = v * 10 + (s[i++] - '0');
            if (i == o)
                p->seg[k].idx = v;
        }
        c += raw + 1;
        p->n = k + 1;
    }
    p->set = true;
}

void nr__ptr_free(struct json_ptr *p)
{
    for (size_t k = 0; k < p->n; k++)
        free(p->seg[k].s);
    free(p->seg);
}

static bool key_equals(struct nr_decoder *d, const char *s, const jsmntok_t *k,
                       const struct ptr_seg *seg)
{
    size_t a = (size_t)k->start, b = (size_t)k->end;
    if (!memchr(s + a, '\\', b - a))
        return b - a == seg->len && memcmp(s + a, seg->s, seg->len) == 0;
    /* an escaped key ("\u0074itle") is rare: unescape it to compare */
    nr_grow((void **)&d->key, &d->key_cap, b - a + 1, 1);
    size_t n = nr__unescape(s, a, b, d->key);
    return n == seg->len && memcmp(d->key, seg->s, n) == 0;
}

int nr__resolve(struct nr_decoder *d, int root, const struct json_ptr *p)
{
    const jsmntok_t *t = d->tok;
    const char *s = d->msg;
    int cur = root;
    for (size_t k = 0; k < p->n; k++) {
        const struct ptr_seg *seg = &p->seg[k];
        if (t[cur].type == JSMN_OBJECT) {
            int j = cur + 1, found = -1;
            for (int m = 0; m < t[cur].size; m++) {
                if (key_equals(d, s, &t[j], seg)) {
                    found = j + 1; /* the first of duplicate keys wins */
                    break;
                }
                j = d->next[j + 1];
            }
            if (found < 0)
                return -1;
            cur = found;
        } else if (t[cur].type == JSMN_ARRAY) {
            if (seg->idx < 0 || seg->idx >= t[cur].size)
                return -1;
            int j = cur + 1;
            for (long m = 0; m < seg->idx; m++)
                j = d->next[j];
            cur = j;
        } else {
            return -1;
        }
    }
    return cur;
}

const char *nr__type_name(const char *s, const jsmntok_t *t)
{
    switch (t->type) {
    case JSMN_OBJECT:
        return "an object";
    case JSMN_ARRAY:
        return "an array";
    case JSMN_STRING:
        return "a string";
    default:
        return s[t->start] == 't' || s[t->start] == 'f' ? "a boolean" : "a number";
    }
}

/* Copy at most ~40 bytes of a value for a message, cut at a character
 * boundary, control characters shown as '?'. */
static void excerpt(const struct nr_str *v, char *out, size_t cap)
{
    size_t n = v->len < 40 ? v->len : 40;
    while (n < v->len && n > 0 && ((unsigned char)v->p[n] & 0xC0) == 0x80)
        n--;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++)
        out[o++] = (unsigned char)v->p[i] < 0x20 ? '?' : v->p[i];
    if (n < v->len && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* ---- reading one field ------------------------------------------------------ */

enum rd { RD_ABSENT, RD_OK, RD_BAD };

struct val {
    size_t off, len; /* in d->buf */
    bool number;     /* the text of a JSON number */
};

/* Room for n more bytes plus a NUL at d->buf + *used, or NULL when memory
 * runs out (d->oom is set; the record is then rejected as too_large and
 * nothing is written). */
static char *reserve(struct nr_decoder *d, size_t used, size_t n)
{
    if (d->oom || nr_try_grow((void **)&d->buf, &d->buf_cap, used + n + 1, 1) < 0) {
        d->oom = true;
        return NULL;
    }
    return d->buf + used;
}

static bool is_null_tok(const struct nr_decoder *d, const jsmntok_t *t)
{
    return t->type == JSMN_PRIMITIVE && d->msg[t->start] == 'n';
}

static bool is_number_tok(const struct nr_decoder *d, const jsmntok_t *t)
{
    char c = d->msg[t->start];
    return t->type == JSMN_PRIMITIVE && c != 'n' && c != 't' && c != 'f';
}

/* The string token i unescaped at d->buf + *used. */
static void put_string(struct nr_decoder *d, int i, size_t *used, struct val *v)
{
    const jsmntok_t *t = &d->tok[i];
    char *dst = reserve(d, *used, (size_t)(t->end - t->start));
    v->off = *used;
    v->len = 0;
    if (!dst)
        return;
    v->len = nr__unescape(d->msg, (size_t)t->start, (size_t)t->end, dst);
    dst[v->len] = '\0';
    *used += v->len + 1;
}

/* An object's string member `name`, or -1. */
static int name_member(struct nr_decoder *d, int obj)
{
    static const struct ptr_seg seg = {(char *)"name", 4, -1};
    struct json_ptr p = {true, "/name", (struct ptr_seg *)&seg, 1};
    int i = nr__resolve(d, obj, &p);
    return i >= 0 && d->tok[i].type == JSMN_STRING ? i : -1;
}

/* Read the value at token i for field f. On RD_BAD, why says what it was. */
static enum rd read_value(struct nr_decoder *d, int f, int i, size_t *used, struct val *v,
                          const char **why)
{
    const jsmntok_t *t = &d->tok[i];
    v->number = false;
    switch (t->type) {
    case JSMN_STRING:
        put_string(d, i, used, v);
        return RD_OK;
    case JSMN_PRIMITIVE:
        if (is_null_tok(d, t))
            return RD_ABSENT;
        if (is_number_tok(d, t) && (f == NR_FIELD_ID || f == NR_FIELD_PUBLISHED_AT)) {
            size_t n = (size_t)(t->end - t->start);
            char *dst = reserve(d, *used, n);
            if (!dst)
                return RD_ABSENT;
            memcpy(dst, d->msg + t->start, n);
            dst[n] = '\0';
            *v = (struct val){*used, n, true};
            *used += n + 1;
            return RD_OK;
        }
        *why = nr__type_name(d->msg, t);
        return RD_BAD;
    case JSMN_OBJECT: {
        int nm = f == NR_FIELD_ID ? -1 : name_member(d, i);
        if (nm < 0) {
            *why = "an object without a string \"name\"";
            return RD_BAD;
        }
        put_string(d, nm, used, v);
        return RD_OK;
    }
    case JSMN_ARRAY: {
        if (f == NR_FIELD_ID) {
            *why = "an array";
            return RD_BAD;
        }
        bool join = f == NR_FIELD_BODY, any = false;
        int j = i + 1;
        v->off = *used;
        v->len = 0;
        for (int m = 0; m < t->size; m++, j = d->next[j]) {
            if (d->tok[j].type != JSMN_STRING)
                continue;
            struct val e;
            if (any && join) {
                /* join in place: the separator, then the next string */
                char *sep = reserve(d, *used - 1, 2);
                if (!sep)
                    break;
                memcpy(sep, "\n\n", 2);
                *used += 1;
                put_string(d, j, used, &e);
                v->len += 2 + e.len;
                continue;
            }
            put_string(d, j, used, &e);
            v->len = e.len;
            any = true;
            if (!join)
                break;
        }
        if (!any && t->size > 0) {
            *why = "an array without a string";
            return RD_BAD;
        }
        return any ? RD_OK : RD_ABSENT;
    }
    default:
        *why = "an unknown value";
        return RD_BAD;
    }
}

/* Read field f from record root through each of its pointers. */
static enum rd read_field(struct nr_decoder *d, int root, int f, size_t *used, struct val *out)
{
    enum rd got = RD_ABSENT;
    bool bad = false;
    for (size_t k = 0; k < d->n_ptr[f]; k++) {
        const struct json_ptr *p = &d->ptr[f][k];
        int i = p->set ? nr__resolve(d, root, p) : -1;
        if (i < 0)
            continue;
        const char *why = NULL;
        size_t before = *used;
        struct val v;
        enum rd r = read_value(d, f, i, used, &v, &why);
        if (r == RD_BAD && !bad) {
            snprintf(d->warn[f], sizeof(d->warn[f]), "%s: expected a string, got %s", p->text, why);
            bad = true;
        }
        if (r != RD_OK || (f == NR_FIELD_BODY && v.len == 0)) {
            *used = before;
            continue;
        }
        if (f != NR_FIELD_BODY || got != RD_OK) {
            *out = v;
            got = RD_OK;
            if (f != NR_FIELD_BODY)
                break;
            continue;
        }
        /* body: append "\n\n" + v to the body so far, which ends at before */
        size_t tail = out->off + out->len;
        char *dst = reserve(d, tail, 2 + v.len);
        if (!dst)
            break;
        memmove(dst + 2, d->buf + v.off, v.len);
        memcpy(dst, "\n\n", 2);
        out->len += 2 + v.len;
        d->buf[out->off + out->len] = '\0';
        *used = out->off + out->len + 1;
    }
    if (got == RD_OK)
        return RD_OK;
    return bad ? RD_BAD : RD_ABSENT;
}

static void warn(struct nr_decoder *d, struct nr_article *out, int f)
{
    out->field_errors |= 1u << f;
    out->warn[f] = d->warn[f];
}

enum nr_reject nr_article_peek(struct nr_decoder *d, size_t i, struct nr_article *out,
                               struct nr_error *err)
{
    d->peek = true;
    enum nr_reject r = nr_article_record(d, i, out, err);
    d->peek = false;
    return r;
}

/* No readable text: empty, or ASCII white space only ("  ", "\n\t"). Stops
 * at the first other byte, the first of nearly every title. */
static bool blank(const struct nr_str *s)
{
    for (size_t i = 0; i < s->len; i++)
        if (s->p[i] != ' ' && s->p[i] != '\t' && s->p[i] != '\n' && s->p[i] != '\r' &&
            s->p[i] != '\f' && s->p[i] != '\v')
            return false;
    return true;
}

enum nr_reject nr_article_record(struct nr_decoder *d, size_t i, struct nr_article *out,
                                 struct nr_error *err)
{
    memset(out, 0, sizeof(*out));
    out->published_ms = NR_TIME_NONE;
    out->utf8_repairs = d->repairs;
    if (err)
        err->msg[0] = '\0';
    if (i >= d->n_rec || !d->msg) {
        nr_error_set(err, "no article %zu in the message", i);
        return NR_REJECT_NOT_OBJECT;
    }
    int root = d->rec[i];
    if (d->tok[root].type != JSMN_OBJECT) {
        nr_error_set(err, "article %zu is %s, not an object", i + 1,
                     nr__type_name(d->msg, &d->tok[root]));
        return NR_REJECT_NOT_OBJECT;
    }
    struct val v[NR_FIELD_COUNT];
    enum rd got[NR_FIELD_COUNT];
    size_t used = 0;
    d->oom = false;
    for (int f = 0; f < NR_FIELD_COUNT; f++) {
        d->warn[f][0] = '\0';
        got[f] = read_field(d, root, f, &used, &v[f]);
    }
    if (d->oom) {
        nr_error_set(err, "out of memory for the fields of a %zu-byte article",
                     nr_article_record_text(d, i).len);
        return NR_REJECT_TOO_LARGE;
    }
    /* the buffer has stopped growing: offsets become pointers */
    for (int f = 0; f < NR_FIELD_COUNT; f++)
        if (got[f] == RD_OK)
            out->field[f] = (struct nr_str){d->buf + v[f].off, v[f].len};

    const struct json_ptr *idp = d->n_ptr[NR_FIELD_ID] ? &d->ptr[NR_FIELD_ID][0] : NULL;
    const char *idt = idp ? idp->text : "id";
    if (got[NR_FIELD_ID] == RD_BAD) {
        nr_error_set(err, "%s", d->warn[NR_FIELD_ID]);
        return NR_REJECT_FIELD_TYPE;
    }
    if (!out->field[NR_FIELD_ID].p || out->field[NR_FIELD_ID].len == 0) {
        nr_error_set(err, "%s: %s", idt, out->field[NR_FIELD_ID].p ? "empty" : "missing");
        return NR_REJECT_MISSING_ID;
    }
    for (int f = NR_FIELD_TITLE; f < NR_FIELD_COUNT; f++)
        if (got[f] == RD_BAD)
            warn(d, out, f);
    if (blank(&out->field[NR_FIELD_TITLE]) && blank(&out->field[NR_FIELD_BODY])) {
        const char *tt = d->n_ptr[NR_FIELD_TITLE] ? d->ptr[NR_FIELD_TITLE][0].text : "title";
        const char *bt = d->n_ptr[NR_FIELD_BODY] ? d->ptr[NR_FIELD_BODY][0].text : "body";
        nr_error_set(err, "neither %s nor %s has text", tt, bt);
        return NR_REJECT_NO_TEXT;
    }
    struct nr_str *ts = &out->field[NR_FIELD_PUBLISHED_AT];
    if (ts->p) {
        int64_t ms;
        struct nr_error why;
        if (nr_article_date_parse(ts->p, ts->len, v[NR_FIELD_PUBLISHED_AT].number, d->default_tz,
                                  &ms, &why) == 0) {
            out->published_ms = ms;
        } else {
            char ex[64];
            excerpt(ts, ex, sizeof(ex));
            snprintf(d->warn[NR_FIELD_PUBLISHED_AT], sizeof(d->warn[0]),
                     "%s: not a date: \"%s\"%s%.120s%s", d->ptr[NR_FIELD_PUBLISHED_AT][0].text, ex,
                     why.msg[0] ? " (" : "", why.msg, why.msg[0] ? ")" : "");
            warn(d, out, NR_FIELD_PUBLISHED_AT);
            *ts = (struct nr_str){NULL, 0};
        }
    }
    /* the body lives in d->buf (ours): blank what its source repeats */
    struct nr_str *body = &out->field[NR_FIELD_BODY];
    if (d->boiler && !d->peek && body->len > 0) {
        struct nr_str story =
            out->field[NR_FIELD_TITLE].len ? out->field[NR_FIELD_TITLE] : out->field[NR_FIELD_ID];
        if (d->gate)
            d->gate(d->gate_ud, true);
        out->boilerplate = nr_boiler_apply(d->boiler, out->field[NR_FIELD_SOURCE], story,
                                           d->buf + (body->p - d->buf), body->len);
        if (d->gate)
            d->gate(d->gate_ud, false);
    }
    return NR_REJECT_NONE;
}

/* ---- presets ------------------------------------------------------------------ */

const char nr_article_preset_names[] = "none|news-please|newsapi|gdelt-doc";

static const struct nr_article_preset presets[] = {
    {"none",
     "",
     {[NR_FIELD_ID] = {"/id"},
      [NR_FIELD_TITLE] = {"/title"},
      [NR_FIELD_BODY] = {"/body"},
      [NR_FIELD_URL] = {"/url"},
      [NR_FIELD_SOURCE] = {"/source"},
      [NR_FIELD_LANGUAGE] = {"/language"},
      [NR_FIELD_PUBLISHED_AT] = {"/published_at"}}},
    /* news-please (fhamborg/news-please) writes one object per article. Not
     * date_download: a crawl of old news downloads it months after it was
     * published, and one such date would move stream time by months */
    {"news-please",
     "",
     {[NR_FIELD_ID] = {"/url"},
      [NR_FIELD_TITLE] = {"/title"},
      [NR_FIELD_BODY] = {"/description", "/maintext"},
      [NR_FIELD_URL] = {"/url"},
      [NR_FIELD_SOURCE] = {"/source_domain"},
      [NR_FIELD_LANGUAGE] = {"/language"},
      [NR_FIELD_PUBLISHED_AT] = {"/date_publish"}}},
    /* NewsAPI /v2/everything and /v2/top-headlines responses */
    {"newsapi",
     "/articles",
     {[NR_FIELD_ID] = {"/url"},
      [NR_FIELD_TITLE] = {"/title"},
      [NR_FIELD_BODY] = {"/description", "/content"},
      [NR_FIELD_URL] = {"/url"},
      [NR_FIELD_SOURCE] = {"/source"},
      [NR_FIELD_LANGUAGE] = {NULL},
      [NR_FIELD_PUBLISHED_AT] = {"/publishedAt"}}},
    /* the GDELT DOC 2.0 API, mode=ArtList&format=json */
    {"gdelt-doc",
     "/articles",
     {[NR_FIELD_ID] = {"/url"},
      [NR_FIELD_TITLE] = {"/title"},
      [NR_FIELD_BODY] = {NULL},
      [NR_FIELD_URL] = {"/url"},
      [NR_FIELD_SOURCE] = {"/domain"},
      [NR_FIELD_LANGUAGE] = {"/language"},
      [NR_FIELD_PUBLISHED_AT] = {"/seendate"}}},
};

const struct nr_article_preset *nr_article_preset_find(const char *name)
{
    for (size_t i = 0; i < NR_ARRAY_LEN(presets); i++)
        if (name && strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}
