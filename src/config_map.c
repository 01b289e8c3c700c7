/*
 * config_map.c - the generic typed loader of the configuration (see
 * config_map.h), as Fluent Bit's flb_config_map.
 *
 * Every mapping of every file is read against a declarative option table
 * (struct section: key, type, default, range, help): the same tables reject
 * unknown keys (listing the allowed ones), reject duplicates, apply defaults,
 * check ranges and generate docs/configuration.md (cm_print_sections), so
 * docs cannot drift. Defaults are stored as text and parsed by the same code
 * as user values. This file knows no option: the tables are in config.c, the
 * meaning of lists (entities, topics, rules) in config_watchlist.c,
 * config_rules.c and config_lexicon.c.
 *
 * Files are read whole (at most 64 MiB) and parsed into a small tree
 * (config_yaml.c, with an alias budget). Cost: a few allocations per value.
 */
#include "config_map.h"
#include "newsradar/article.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (64u << 20)

size_t cm_opt_idx(const struct section *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->opts[i].key, key) == 0)
            return i;
    abort(); /* a typo in this file, not an input error */
}

size_t *cm_strmap_slot(struct cm_strmap *m, const char *key, bool insert)
{
    if (insert && (m->n + 1) * 2 > m->cap) {
        struct cm_strmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->keys = nr_xcalloc(m->cap, sizeof(char *));
        m->vals = nr_xcalloc(m->cap, sizeof(size_t));
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.keys[i])
                continue;
            size_t h = nr_hash64(old.keys[i], strlen(old.keys[i]), 0) & (m->cap - 1);
            while (m->keys[h])
                h = (h + 1) & (m->cap - 1);
            m->keys[h] = old.keys[i];
            m->vals[h] = old.vals[i];
            m->n++;
        }
        free(old.keys);
        free(old.vals);
    }
    if (!m->cap)
        return NULL;
    size_t h = nr_hash64(key, strlen(key), 0) & (m->cap - 1);
    while (m->keys[h]) {
        if (strcmp(m->keys[h], key) == 0)
            return &m->vals[h];
        h = (h + 1) & (m->cap - 1);
    }
    if (!insert)
        return NULL;
    m->keys[h] = nr_xstrdup(key);
    m->vals[h] = (size_t)-1;
    m->n++;
    return &m->vals[h];
}

void cm_strmap_free(struct cm_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

struct nr_srcpos cm_srcpos(const struct cm_ctx *c, const struct cy_node *n)
{
    struct nr_srcpos p = {c->file, n->line, n->col};
    return p;
}

bool cm_is_null(const struct cy_node *n)
{
    if (n->type != CY_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

static int parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        *out = true;
        return 0;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        *out = false;
        return 0;
    }
    return -1;
}

static int parse_number(const char *s, double *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return -1;
    /* strtod accepts hex floats and "infinity"; configs should not */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            return -1;
    *out = v;
    return 0;
}

const char *cm_kind_of(const struct cy_node *n)
{
    double dv;
    bool bv;
    if (n->type == CY_SEQ)
        return "sequence";
    if (n->type == CY_MAP)
        return "mapping";
    if (!n->plain)
        return "string";
    if (cm_is_null(n))
        return "null";
    if (parse_bool(n->str, &bv) == 0)
        return "boolean";
    if (parse_number(n->str, &dv) == 0)
        return "number";
    return "string";
}

void cm_type_error(struct cm_ctx *c, const struct cy_node *n, const char *key, const char *expected)
{
    if (n->type == CY_SCALAR && !cm_is_null(n))
        ERR(c, n, "%s: expected %s, got %s \"%.40s%s\"", key, expected, cm_kind_of(n), n->str,
            n->len > 40 ? "..." : "");
    else
        ERR(c, n, "%s: expected %s, got %s", key, expected, cm_kind_of(n));
}

/* Replace ${NAME} from the environment. Returns a new string or NULL (error
 * reported at the scalar). */
static char *subst_env(struct cm_ctx *c, const struct cy_node *n, const char *key)
{
    const char *s = n->str;
    if (!strstr(s, "${"))
        return nr_xstrdup(s);
    size_t cap = n->len + 64, len = 0;
    char *out = nr_xmalloc(cap);
    while (*s) {
        const char *st = strstr(s, "${");
        size_t lit = st ? (size_t)(st - s) : strlen(s);
        nr_grow((void **)&out, &cap, len + lit + 1, 1);
        memcpy(out + len, s, lit);
        len += lit;
        s += lit;
        if (!st)
            break;
        const char *name = st + 2, *end = strchr(name, '}');
        if (!end) {
            ERR(c, n, "%s: unterminated \"${\" in \"%s\"", key, n->str);
            goto fail;
        }
        size_t nl = (size_t)(end - name);
        bool ok = nl > 0 && !(name[0] >= '0' && name[0] <= '9');
        for (size_t i = 0; i < nl; i++) {
            char ch = name[i];
            if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '_'))
                ok = false;
        }
        if (!ok) {
            ERR(c, n, "%s: invalid variable name \"${%.*s}\"", key, (int)nl, name);
            goto fail;
        }
        char *var = nr_xstrndup(name, nl);
        const char *val = getenv(var);
        if (!val) {
            ERR(c, n, "%s: environment variable %s is not set", key, var);
            free(var);
            goto fail;
        }
        free(var);
        size_t vl = strlen(val);
        nr_grow((void **)&out, &cap, len + vl + 1, 1);
        memcpy(out + len, val, vl);
        len += vl;
        s = end + 1;
    }
    out[len] = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

/* A string value: any non-null scalar (a plain 42 is the string "42"). */
char *cm_get_string(struct cm_ctx *c, const struct cy_node *n, const char *key, bool nonempty)
{
    if (n->type != CY_SCALAR || cm_is_null(n)) {
        cm_type_error(c, n, key, "string");
        return NULL;
    }
    char *s = subst_env(c, n, key);
    if (s && nonempty && !*s) {
        ERR(c, n, "%s: must not be empty", key);
        free(s);
        return NULL;
    }
    return s;
}

static void fmt_value(const struct opt *o, double v, char *buf, size_t len)
{
    if (o->type == OT_DUR)
        nr_duration_format((int64_t)v, buf, len);
    else
        snprintf(buf, len, "%.15g", v);
}

static void range_text(const struct opt *o, char *buf, size_t len)
{
    char a[32], b[32];
    fmt_value(o, o->min, a, sizeof(a));
    fmt_value(o, o->max, b, sizeof(b));
    bool hmin = o->flags & OF_MIN, hmax = o->flags & OF_MAX;
    bool xmin = o->flags & OF_MINX, xmax = o->flags & OF_MAXX;
    if (o->type == OT_STRLIST && hmax)
        snprintf(buf, len, "at most %s items", b);
    else if (o->type == OT_STRLIST)
        buf[0] = '\0';
    else if (hmin && hmax && !xmin && !xmax)
        snprintf(buf, len, "%s..%s", a, b);
    else if (hmin && hmax)
        snprintf(buf, len, "%s%s, %s%s", xmin ? "(" : "[", a, b, xmax ? ")" : "]");
    else if (hmin)
        snprintf(buf, len, "%s %s", xmin ? ">" : ">=", a);
    else if (hmax)
        snprintf(buf, len, "%s %s", xmax ? "<" : "<=", b);
    else
        buf[0] = '\0';
}

static bool in_range(const struct opt *o, double v)
{
    if (o->flags & OF_MIN) {
        if ((o->flags & OF_MINX) ? !(v > o->min) : !(v >= o->min))
            return false;
    }
    if (o->flags & OF_MAX) {
        if ((o->flags & OF_MAXX) ? !(v < o->max) : !(v <= o->max))
            return false;
    }
    return true;
}

static void range_msg(const struct opt *o, char *buf, size_t len)
{
    char r[80];
    range_text(o, r, sizeof(r));
    if ((o->flags & OF_MIN) && (o->flags & OF_MAX))
        snprintf(buf, len, "is out of range %s", r);
    else if (r[0])
        snprintf(buf, len, "must be %s", r);
    else
        snprintf(buf, len, "is out of range");
}

static int range_check(struct cm_ctx *c, const struct cy_node *n, const struct opt *o, double v)
{
    if (in_range(o, v))
        return 0;
    char r[100];
    range_msg(o, r, sizeof(r));
    ERR(c, n, "%s: %s %s", o->key, n->str, r);
    return -1;
}

void cm_strlist_free(struct nr_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int get_strlist(struct cm_ctx *c, const struct cy_node *n, const char *key, bool nonempty,
                       struct nr_strlist *out)
{
    if (n->type != CY_SEQ) {
        cm_type_error(c, n, key, "sequence of strings");
        return -1;
    }
    if (nonempty && n->n == 0) {
        ERR(c, n, "%s: must not be empty", key);
        return -1;
    }
    int rc = 0;
    cm_strlist_free(out);
    out->v = nr_xcalloc(n->n, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        char *s = cm_get_string(c, n->items[i], key, true);
        if (!s) {
            rc = -1;
            continue;
        }
        out->v[out->n++] = s;
    }
    return rc;
}

static int get_map(struct cm_ctx *c, const struct cy_node *n, const struct opt *o, void *obj)
{
    struct nr_kv **kv = (struct nr_kv **)((char *)obj + o->off);
    size_t *nkv = (size_t *)((char *)obj + o->off2);
    if (n->type != CY_MAP) {
        cm_type_error(c, n, o->key, "mapping of strings");
        return -1;
    }
    int rc = 0;
    *kv = nr_xcalloc(n->n / 2 + 1, sizeof(**kv));
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const struct cy_node *k = n->items[i], *v = n->items[i + 1];
        if (k->type != CY_SCALAR) {
            ERR(c, k, "%s: keys must be strings", o->key);
            rc = -1;
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < *nkv; j++) {
            if (strcmp((*kv)[j].key, k->str) == 0) {
                ERR(c, k, "duplicate key \"%s\" (first at %s:%u:%u)", k->str, (*kv)[j].pos.file,
                    (*kv)[j].pos.line, (*kv)[j].pos.col);
                dup = true;
            }
        }
        char *val = cm_get_string(c, v, k->str, false);
        if (dup || !val) {
            free(val);
            rc = -1;
            continue;
        }
        struct nr_kv *e = &(*kv)[(*nkv)++];
        e->key = nr_xstrdup(k->str);
        e->value = val;
        e->pos = cm_srcpos(c, k);
    }
    return rc;
}

/* "" (field not read) or "/"-separated reference tokens where '~' is only
 * followed by '0' or '1'. */
static bool json_pointer_ok(const char *s)
{
    if (!*s)
        return true;
    if (*s != '/')
        return false;
    for (; *s; s++)
        if (*s == '~' && s[1] != '0' && s[1] != '1')
            return false;
    return true;
}

/* OT_PTRS: one pointer, or a list of 1-4 (the first at off, the rest at
 * off2); an empty list is "" (not read). */
static int get_ptrs(struct cm_ctx *c, const struct cy_node *n, const struct opt *o, void *obj)
{
    char **first = (char **)((char *)obj + o->off);
    struct nr_strlist *more = (struct nr_strlist *)((char *)obj + o->off2);
    struct nr_strlist l = {0};
    if (n->type == CY_SCALAR) {
        char *s = cm_get_string(c, n, o->key, false);
        if (!s)
            return -1;
        l.v = nr_xcalloc(1, sizeof(char *));
        l.v[l.n++] = s;
    } else if (get_strlist(c, n, o->key, false, &l) < 0) {
        cm_strlist_free(&l);
        return -1;
    }
    if (l.n > 4) {
        ERR(c, n, "%s: at most 4 pointers, got %zu", o->key, l.n);
        cm_strlist_free(&l);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        if (!json_pointer_ok(l.v[i]) || (l.n > 1 && !*l.v[i])) {
            const struct cy_node *at = n->type == CY_SEQ ? n->items[i] : n;
            ERR(c, at,
                "%s: \"%s\" is not a JSON pointer (RFC 6901: \"/a/b\", \"~0\" for ~, \"~1\" for /)",
                o->key, l.v[i]);
            cm_strlist_free(&l);
            return -1;
        }
    }
    free(*first);
    cm_strlist_free(more);
    *first = l.n ? l.v[0] : nr_xstrdup("");
    if (l.n > 1) {
        more->v = nr_xcalloc(l.n - 1, sizeof(char *));
        for (size_t i = 1; i < l.n; i++)
            more->v[more->n++] = l.v[i];
    }
    free(l.v);
    return 0;
}

static int store_value(struct cm_ctx *c, const struct opt *o, const struct cy_node *n, void *obj);

/* Store one simple value; n is a node of the file or a default's text. A
 * plain number, boolean or duration may hold ${NAME} too (http.port:
 * ${NEWSRADAR_HTTP_PORT} in the container image): it is expanded first, and
 * the result is read as if it had been written there. */
static int store(struct cm_ctx *c, const struct opt *o, const struct cy_node *n, void *obj)
{
    bool scalar_type = o->type == OT_U32 || o->type == OT_SIZE || o->type == OT_DOUBLE ||
                       o->type == OT_BOOL || o->type == OT_DUR;
    if (!scalar_type || n->type != CY_SCALAR || !n->plain || !n->str || !strstr(n->str, "${"))
        return store_value(c, o, n, obj);
    char *s = subst_env(c, n, o->key);
    if (!s)
        return -1;
    struct cy_node sub = *n;
    sub.str = s;
    sub.len = strlen(s);
    int rc = store_value(c, o, &sub, obj);
    free(s);
    return rc;
}

/* An enum's value is one of o->choices ("a|b|c"). */
static bool enum_ok(const struct opt *o, const char *s)
{
    size_t l = strlen(s);
    for (const char *ch = o->choices; *ch;) {
        size_t cl = strcspn(ch, "|");
        if (cl == l && strncmp(ch, s, l) == 0)
            return true;
        ch += cl + (ch[cl] == '|');
    }
    return false;
}

/* OT_STR and OT_ENUM: a string, one of the choices for an enum, a JSON
 * pointer or a zone when the flags say so; it replaces the old value. */
static int store_string(struct cm_ctx *c, const struct opt *o, const struct cy_node *n, void *obj)
{
    char *s = cm_get_string(c, n, o->key, o->flags & OF_NONEMPTY);
    if (!s)
        return -1;
    if (o->type == OT_ENUM && !enum_ok(o, s)) {
        ERR(c, n, "%s: invalid value \"%s\" (expected %s)", o->key, s, o->choices);
        goto fail;
    }
    if ((o->flags & OF_JSONPTR) && !json_pointer_ok(s)) {
        ERR(c, n,
            "%s: \"%s\" is not a JSON pointer (RFC 6901: \"/a/b\", \"~0\" for ~, \"~1\" for /)",
            o->key, s);
        goto fail;
    }
    if ((o->flags & OF_TZ) && nr_article_tz_parse(s, (int32_t *)((char *)obj + o->off2)) < 0) {
        ERR(c, n,
            "%s: \"%s\" is not a zone this build reads (UTC, +05:00, -0330; IANA names "
            "such as Asia/Karachi are not supported: their offset changes with DST)",
            o->key, s);
        goto fail;
    }
    char **p = (char **)((char *)obj + o->off);
    free(*p);
    *p = s;
    return 0;
fail:
    free(s);
    return -1;
}

/* OT_U32 and OT_SIZE: a plain decimal integer within the type and the
 * option's range. */
static int store_integer(struct cm_ctx *c, const struct opt *o, const struct cy_node *n, void *obj)
{
    const char *s = n->str;
    bool ok = n->type == CY_SCALAR && n->plain && *s;
    const char *q = s && (*s == '-' || *s == '+') ? s + 1 : s;
    if (ok && !*q)
        ok = false;
    for (; ok && *q; q++)
        if (*q < '0' || *q > '9')
            ok = false;
    if (!ok) {
        cm_type_error(c, n, o->key, "integer");
        return -1;
    }
    errno = 0;
    double dv = strtod(s, NULL);
    double lim = o->type == OT_U32 ? 4294967295.0 : 9007199254740992.0;
    if (dv < 0 || dv > lim) {
        char r[100];
        range_msg(o, r, sizeof(r));
        ERR(c, n, "%s: %s %s", o->key, s, r);
        return -1;
    }
    if (range_check(c, n, o, dv) < 0)
        return -1;
    char *p = (char *)obj + o->off;
    if (o->type == OT_U32)
        *(uint32_t *)p = (uint32_t)strtoul(s, NULL, 10);
    else
        *(size_t *)p = (size_t)strtoull(s, NULL, 10);
    return 0;
}

static int store_value(struct cm_ctx *c, const struct opt *o, const struct cy_node *n, void *obj)
{
    char *p = (char *)obj + o->off;
    switch (o->type) {
    case OT_STR:
    case OT_ENUM:
        return store_string(c, o, n, obj);
    case OT_U32:
    case OT_SIZE:
        return store_integer(c, o, n, obj);
    case OT_DOUBLE: {
        double v;
        if (n->type != CY_SCALAR || !n->plain || parse_number(n->str, &v) < 0) {
            cm_type_error(c, n, o->key, "number");
            return -1;
        }
        if (range_check(c, n, o, v) < 0)
            return -1;
        *(double *)p = v;
        return 0;
    }
    case OT_BOOL: {
        bool v;
        if (n->type != CY_SCALAR || !n->plain || parse_bool(n->str, &v) < 0) {
            cm_type_error(c, n, o->key, "boolean (true/false)");
            return -1;
        }
        *(bool *)p = v;
        return 0;
    }
    case OT_DUR: {
        if (n->type != CY_SCALAR || cm_is_null(n)) {
            cm_type_error(c, n, o->key, "duration");
            return -1;
        }
        int64_t v = nr_duration_parse(n->str);
        if (v < 0) {
            ERR(c, n, "%s: invalid duration \"%s\" (expected e.g. 500ms, 90s, 15m, 1h, 7d)", o->key,
                n->str);
            return -1;
        }
        if (range_check(c, n, o, (double)v) < 0)
            return -1;
        *(int64_t *)p = v;
        return 0;
    }
    case OT_STRLIST: {
        struct nr_strlist *l = (struct nr_strlist *)p;
        if (get_strlist(c, n, o->key, o->flags & OF_NONEMPTY, l) < 0)
            return -1;
        if ((o->flags & OF_MAX) && (double)l->n > o->max) {
            ERR(c, n, "%s: %zu items, at most %.0f", o->key, l->n, o->max);
            return -1;
        }
        return 0;
    }
    case OT_PTRS:
        return get_ptrs(c, n, o, obj);
    case OT_MAP:
        return get_map(c, n, o, obj);
    default:
        return 0;
    }
}

/* Defaults go through store() too, parsed from their documented text. */
static void store_default(struct cm_ctx *c, const struct opt *o, void *obj)
{
    if (!o->def || (o->flags & OF_DOCDEF) || o->off == NO_OFF)
        return;
    if (o->type == OT_STRLIST) {
        struct nr_strlist *l = (struct nr_strlist *)((char *)obj + o->off);
        const char *s = o->def + 1; /* "[a, b]" */
        size_t n = strlen(s) - 1;
        cm_strlist_free(l);
        l->v = nr_xcalloc(4, sizeof(char *));
        while (n > 0 && l->n < 4) {
            size_t w = strcspn(s, ",]");
            if (w > n)
                w = n;
            l->v[l->n++] = nr_xstrndup(s, w);
            s += w;
            n -= w;
            while (n > 0 && (*s == ',' || *s == ' ')) {
                s++;
                n--;
            }
        }
        return;
    }
    if (o->type == OT_MAP)
        return; /* "{}" */
    char text[64];
    snprintf(text, sizeof(text), "%s", strcmp(o->def, "\"\"") == 0 ? "" : o->def);
    struct cy_node fake = {
        .type = CY_SCALAR, .line = 1, .col = 1, .str = text, .len = strlen(text), .plain = true};
    /* an empty default ("") is allowed even for strings */
    if ((o->type == OT_STR || o->type == OT_ENUM) && !*text) {
        char **p = (char **)((char *)obj + o->off);
        free(*p);
        *p = nr_xstrdup("");
        return;
    }
    (void)store(c, o, &fake, obj);
}

static void allowed_keys(const struct section *s, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n && k + 1 < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", s->opts[i].key);
}

/* Read mapping `map` (NULL: absent) against section `s` into obj. Simple
 * values and nested sections are stored; OT_LIST values are left in seen[]
 * for the caller. Returns the number of errors found. */
int cm_parse_section(struct cm_ctx *c, const struct cy_node *map, const struct section *s,
                     void *obj, const struct cy_node **seen, const struct cy_node *at)
{
    const struct cy_node *keys[MAX_OPTS] = {0};
    const struct cy_node *local[MAX_OPTS];
    int errs = 0;
    if (s->n > MAX_OPTS)
        abort(); /* a table in this file outgrew MAX_OPTS */
    if (!seen)
        seen = local;
    for (size_t i = 0; i < s->n; i++)
        seen[i] = NULL;
    if (map && map->type != CY_MAP) {
        cm_type_error(c, map, s->name, "mapping");
        return 1;
    }
    for (size_t i = 0; map && i + 1 < map->n; i += 2) {
        const struct cy_node *k = map->items[i], *v = map->items[i + 1];
        if (k->type != CY_SCALAR) {
            ERR(c, k, "keys in %s must be strings, got %s", s->name, cm_kind_of(k));
            errs++;
            continue;
        }
        size_t j;
        for (j = 0; j < s->n; j++)
            if (strcmp(s->opts[j].key, k->str) == 0)
                break;
        if (j == s->n) {
            char allowed[512];
            allowed_keys(s, allowed, sizeof(allowed));
            ERR(c, k, "unknown key \"%s\" in %s (allowed: %s)", k->str, s->name, allowed);
            errs++;
            continue;
        }
        if (keys[j]) {
            ERR(c, k, "duplicate key \"%s\" (first at %s:%u:%u)", k->str, c->file, keys[j]->line,
                keys[j]->col);
            errs++;
            continue;
        }
        keys[j] = k;
        seen[j] = v;
        const struct opt *o = &s->opts[j];
        if (o->type == OT_SECTION) {
            if (!cm_is_null(v))
                errs += cm_parse_section(c, v, o->sub, obj, NULL, v);
            else
                errs += cm_parse_section(c, NULL, o->sub, obj, NULL, v);
        } else if (o->type != OT_LIST && o->off != NO_OFF) {
            if (store(c, o, v, obj) < 0)
                errs++;
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        const struct opt *o = &s->opts[i];
        if (keys[i])
            continue;
        if (o->flags & OF_REQ) {
            const struct cy_node *p = map ? map : at;
            ERR(c, p, "missing required key \"%s\" in %s", o->key, s->name);
            errs++;
        } else if (o->type == OT_SECTION) {
            errs += cm_parse_section(c, NULL, o->sub, obj, NULL, at);
        } else {
            store_default(c, o, obj);
        }
    }
    return errs;
}
static const char *intern_file(struct nr_config *cfg, const char *path)
{
    /* cfg has no cap field: grow to exactly n+1 (a config has few files) */
    cfg->files = nr_xrealloc(cfg->files, (cfg->n_files + 1) * sizeof(char *));
    cfg->files[cfg->n_files] = nr_xstrdup(path);
    return cfg->files[cfg->n_files++];
}

char *cm_join_path(const char *base_file, const char *rel)
{
    const char *slash = strrchr(base_file, '/');
    if (rel[0] == '/' || !slash)
        return nr_xstrdup(rel);
    size_t dl = (size_t)(slash - base_file) + 1, rl = strlen(rel);
    char *p = nr_xmalloc(dl + rl + 1);
    memcpy(p, base_file, dl);
    memcpy(p + dl, rel, rl + 1);
    return p;
}

static char *read_file(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = nr_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_FILE_BYTES) {
                *err = EFBIG;
                goto fail;
            }
            cap *= 2;
            buf = nr_xrealloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                *err = errno ? errno : EIO;
                goto fail;
            }
            break;
        }
    }
    fclose(f);
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

/* Read and parse `path`. `from` is the path's scalar in the including file
 * (NULL for the main file). On success c->file is the new file. */
int cm_open_doc(struct cm_ctx *c, const char *path, const struct cy_node *from, struct cy_doc *doc)
{
    for (size_t i = 0; i < c->cfg->n_files; i++) {
        if (strcmp(c->cfg->files[i], path) == 0) {
            ERR(c, from, "\"%s\" is already included", from->str);
            return -1;
        }
    }
    size_t len = 0;
    int err = 0;
    char *buf = read_file(path, &len, &err);
    if (!buf) {
        if (from)
            ERR(c, from, "cannot read \"%s\": %s", path, strerror(err));
        else
            nr_diags_add(c->d, path, 1, 1, "cannot read config file: %s", strerror(err));
        return -1;
    }
    c->file = intern_file(c->cfg, path);
    nr_diags_note_file(c->d, c->file);
    int rc = cy_load(buf, len, c->file, doc, c->d);
    doc->owned = buf; /* scalars point into it (query error positions) */
    if (rc < 0) {
        cy_doc_free(doc);
        return -1;
    }
    return 0;
}

/* The root mapping, or an empty one for an empty file. */
const struct cy_node *cm_doc_root(struct cm_ctx *c, const struct cy_doc *doc,
                                  const struct cy_node *empty)
{
    if (!doc->root || cm_is_null(doc->root))
        return empty;
    if (doc->root->type != CY_MAP) {
        ERR(c, doc->root, "expected a mapping at the top of the file, got %s",
            cm_kind_of(doc->root));
        return NULL;
    }
    return doc->root;
}

void cm_pos_set(struct cm_pos_ref **arr, size_t *cap, size_t i, struct nr_srcpos p)
{
    if (i >= *cap) {
        size_t old = *cap;
        nr_grow((void **)arr, cap, i + 1, sizeof(**arr));
        memset(*arr + old, 0, (*cap - old) * sizeof(**arr));
    }
    (*arr)[i].pos = p;
    (*arr)[i].set = true;
}

void *cm_list_add(struct cm_ctx *c, const struct cy_node *item, const char *what, void **arr,
                  size_t *n, size_t *cap, size_t size)
{
    if (item->type != CY_MAP) {
        cm_type_error(c, item, what, "mapping");
        return NULL;
    }
    nr_grow(arr, cap, *n + 1, size);
    void *el = (char *)*arr + *n * size;
    memset(el, 0, size);
    (*n)++;
    return el;
}

size_t cm_claim_id(struct cm_strmap *ids, const char *id, size_t idx)
{
    if (!id)
        return (size_t)-1;
    size_t *slot = cm_strmap_slot(ids, id, true);
    if (*slot != (size_t)-1)
        return *slot;
    *slot = idx;
    return (size_t)-1;
}

void cm_dup_id(struct cm_ctx *c, const struct cy_node *n, const char *what, const char *id,
               const struct nr_srcpos *first)
{
    ERR(c, n, "duplicate %s id \"%s\" (first defined at %s:%u:%u)", what, id, first->file,
        first->line, first->col);
}

static const char *type_name(const struct opt *o)
{
    if (o->tname)
        return o->tname;
    switch (o->type) {
    case OT_STR:
        return "string";
    case OT_ENUM:
        return "enum";
    case OT_U32:
        return "integer";
    case OT_SIZE:
        return "integer (bytes)";
    case OT_DOUBLE:
        return "number";
    case OT_BOOL:
        return "boolean";
    case OT_DUR:
        return "duration";
    case OT_STRLIST:
        return "list of strings";
    case OT_MAP:
        return "map of strings";
    case OT_SECTION:
        return "section";
    case OT_LIST:
        return "list";
    case OT_PTRS:
        return "JSON pointer or list";
    }
    return "?";
}

void cm_print_sections(FILE *f, const struct section *const *secs, size_t n_secs)
{
    for (size_t s = 0; s < n_secs; s++) {
        const struct section *sec = secs[s];
        fprintf(f, "### %s\n\nIn: %s.\n\n", sec->name, sec->where);
        fprintf(f, "| key | type | default | range | description |\n");
        fprintf(f, "| --- | --- | --- | --- | --- |\n");
        for (size_t i = 0; i < sec->n; i++) {
            const struct opt *o = &sec->opts[i];
            char range[80] = "";
            char tbuf[128];
            const char *tn = type_name(o);
            if (o->type == OT_ENUM) {
                snprintf(tbuf, sizeof(tbuf), "one of: %s", o->choices);
                for (char *p = tbuf; *p; p++)
                    if (*p == '|')
                        *p = ',';
                tn = tbuf;
            } else if (o->type == OT_SECTION) {
                snprintf(tbuf, sizeof(tbuf), "section (see %s)", o->sub->name);
                tn = tbuf;
            }
            range_text(o, range, sizeof(range));
            fprintf(f, "| `%s` | %s | ", o->key, tn);
            if (o->flags & OF_REQ)
                fprintf(f, "required");
            else if (o->def && (o->flags & OF_DOCDEF))
                fprintf(f, "%s", o->def);
            else if (o->def)
                fprintf(f, "`%s`", o->def);
            else if (o->type != OT_SECTION)
                fprintf(f, "none");
            fprintf(f, " | %s | %s |\n", range, o->help);
        }
        fprintf(f, "\n");
    }
}
