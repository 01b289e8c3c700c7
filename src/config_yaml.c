/*
 * config_yaml.c - libyaml events to a small tree, with an alias budget.
 *
 * Why events and not yaml_parser_load(): the document API resolves aliases to
 * node ids, and a walk over it expands "billion laughs" documents without
 * bound. Here every alias costs the size of the subtree it names (computed
 * when that subtree closed, so nested aliases are already included), and the
 * file is refused once the total passes NR_YAML_ALIAS_BUDGET. Any walk of the
 * tree is therefore bounded by (events + budget). Cost: one node per event,
 * one pointer per child; anchors are looked up linearly (capped at
 * NR_YAML_MAX_ANCHORS) because real configs have a handful.
 */
#include "config_yaml.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct anchor {
    char *name;
    struct cy_node *node;
};

struct builder {
    struct cy_doc *doc;
    const char *file;
    struct nr_diags *diags;
    struct cy_node *stack[NR_YAML_MAX_DEPTH];
    size_t depth;
    struct anchor *anchors;
    size_t n_anchors, cap_anchors;
    size_t alias_nodes;
    /* libyaml marks count characters: a cursor turns them into bytes */
    const char *buf;
    size_t len, cur_chars, cur_bytes;
};

/* Byte offset of character index `chars` (marks only move forward, so the
 * cursor walks the file once; it restarts if one ever goes back). */
static size_t mark_bytes(struct builder *b, size_t chars)
{
    if (chars < b->cur_chars)
        b->cur_chars = b->cur_bytes = 0;
    while (b->cur_chars < chars && b->cur_bytes < b->len) {
        b->cur_bytes++;
        while (b->cur_bytes < b->len && ((unsigned char)b->buf[b->cur_bytes] & 0xC0) == 0x80)
            b->cur_bytes++;
        b->cur_chars++;
    }
    return b->cur_bytes;
}

static struct cy_node *node_new(struct builder *b, enum cy_type t, yaml_mark_t m)
{
    struct cy_node *n = nr_xcalloc(1, sizeof(*n));
    n->type = t;
    n->line = (uint32_t)m.line + 1;
    n->col = (uint32_t)m.column + 1;
    n->size = 1;
    nr_grow((void **)&b->doc->all, &b->doc->cap_all, b->doc->n_all + 1, sizeof(n));
    b->doc->all[b->doc->n_all++] = n;
    return n;
}

static void attach(struct builder *b, struct cy_node *n)
{
    if (b->depth == 0) {
        if (!b->doc->root)
            b->doc->root = n;
        return;
    }
    struct cy_node *p = b->stack[b->depth - 1];
    nr_grow((void **)&p->items, &p->cap, p->n + 1, sizeof(n));
    p->items[p->n++] = n;
}

static int anchor_add(struct builder *b, const yaml_char_t *name, struct cy_node *n, yaml_mark_t m)
{
    if (!name)
        return 0;
    if (b->n_anchors >= NR_YAML_MAX_ANCHORS) {
        nr_diags_add(b->diags, b->file, (uint32_t)m.line + 1, (uint32_t)m.column + 1,
                     "too many YAML anchors (more than %d)", NR_YAML_MAX_ANCHORS);
        return -1;
    }
    nr_grow((void **)&b->anchors, &b->cap_anchors, b->n_anchors + 1, sizeof(*b->anchors));
    b->anchors[b->n_anchors].name = nr_xstrdup((const char *)name);
    b->anchors[b->n_anchors].node = n;
    b->n_anchors++;
    return 0;
}

static struct cy_node *anchor_find(struct builder *b, const char *name)
{
    /* from the end: a redefined anchor names the latest node */
    for (size_t i = b->n_anchors; i-- > 0;)
        if (strcmp(b->anchors[i].name, name) == 0)
            return b->anchors[i].node;
    return NULL;
}

static void pos_from_offset(const char *buf, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static void report_parser_error(struct builder *b, const yaml_parser_t *p, const char *buf,
                                size_t len)
{
    uint32_t line, col;
    if (p->error == YAML_READER_ERROR) {
        pos_from_offset(buf, len, p->problem_offset, &line, &col);
    } else {
        line = (uint32_t)p->problem_mark.line + 1;
        col = (uint32_t)p->problem_mark.column + 1;
    }
    const char *problem = p->problem ? p->problem : "cannot parse";
    if (p->context)
        nr_diags_add(b->diags, b->file, line, col, "YAML syntax error: %s: %s", p->context,
                     problem);
    else
        nr_diags_add(b->diags, b->file, line, col, "YAML syntax error: %s", problem);
}

static int on_event(struct builder *b, yaml_event_t *ev)
{
    yaml_mark_t m = ev->start_mark;
    uint32_t line = (uint32_t)m.line + 1, col = (uint32_t)m.column + 1;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->doc->root) {
            nr_diags_add(b->diags, b->file, line, col,
                         "only one YAML document per file is supported");
            return -1;
        }
        return 0;
    case YAML_SCALAR_EVENT: {
        struct cy_node *n = node_new(b, CY_SCALAR, m);
        n->str = nr_xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        switch (ev->data.scalar.style) {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE:
            n->style = CY_SQUOTED;
            break;
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
            n->style = CY_DQUOTED;
            break;
        case YAML_LITERAL_SCALAR_STYLE:
            n->style = CY_LITERAL;
            break;
        case YAML_FOLDED_SCALAR_STYLE:
            n->style = CY_FOLDED;
            break;
        default:
            n->style = CY_PLAIN;
        }
        if (b->buf) {
            size_t s0 = mark_bytes(b, m.index), s1 = mark_bytes(b, ev->end_mark.index);
            if (s1 >= s0 && s1 <= b->len) {
                n->src = b->buf + s0;
                n->src_len = s1 - s0;
            }
        }
        if (ev->data.scalar.tag &&
            strcmp((const char *)ev->data.scalar.tag, "tag:yaml.org,2002:str") == 0)
            n->plain = false;
        n->done = true;
        attach(b, n);
        return anchor_add(b, ev->data.scalar.anchor, n, m);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        if (b->depth >= NR_YAML_MAX_DEPTH) {
            nr_diags_add(b->diags, b->file, line, col, "YAML nested deeper than %d levels",
                         NR_YAML_MAX_DEPTH);
            return -1;
        }
        bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
        struct cy_node *n = node_new(b, seq ? CY_SEQ : CY_MAP, m);
        attach(b, n);
        b->stack[b->depth++] = n;
        return anchor_add(b, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor,
                          n, m);
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        struct cy_node *n = b->stack[--b->depth];
        size_t size = 1;
        for (size_t i = 0; i < n->n; i++)
            size += n->items[i]->size; /* bounded: aliases are budgeted below */
        n->size = size;
        n->done = true;
        return 0;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        struct cy_node *t = anchor_find(b, name);
        if (!t) {
            nr_diags_add(b->diags, b->file, line, col, "unknown YAML anchor \"*%s\"", name);
            return -1;
        }
        if (!t->done) {
            nr_diags_add(b->diags, b->file, line, col,
                         "recursive YAML alias \"*%s\" (refers to its own ancestor)", name);
            return -1;
        }
        b->alias_nodes += t->size;
        if (b->alias_nodes > NR_YAML_ALIAS_BUDGET) {
            nr_diags_add(b->diags, b->file, line, col,
                         "YAML aliases expand to more than %d nodes (alias bomb?); refused",
                         NR_YAML_ALIAS_BUDGET);
            return -1;
        }
        attach(b, t);
        return 0;
    }
    default:
        return 0;
    }
}

int cy_load(const char *buf, size_t len, const char *file, struct cy_doc *doc,
            struct nr_diags *diags)
{
    struct builder b = {.doc = doc, .file = file, .diags = diags, .buf = buf, .len = len};
    yaml_parser_t p;
    int rc = -1;
    memset(doc, 0, sizeof(*doc));
    /* libyaml skips a UTF-8 byte order mark without counting it */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        b.buf += 3;
        b.len -= 3;
    }
    if (!yaml_parser_initialize(&p)) {
        nr_diags_add(diags, file, 1, 1, "cannot initialize the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            report_parser_error(&b, &p, buf, len);
            goto done;
        }
        int r = on_event(&b, &ev);
        bool end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (r < 0)
            goto done;
        if (end)
            break;
    }
    rc = 0;
done:
    for (size_t i = 0; i < b.n_anchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    yaml_parser_delete(&p);
    return rc;
}

void cy_doc_free(struct cy_doc *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < doc->n_all; i++) {
        free(doc->all[i]->str);
        free(doc->all[i]->items);
        free(doc->all[i]);
    }
    free(doc->all);
    free(doc->owned);
    memset(doc, 0, sizeof(*doc));
}

/* Source bytes that stand for no value byte: quotes, the second quote of
 * '', the backslash of an escape, indentation, a block header. */
static void pos_advance(const char *p, uint32_t *line, uint32_t *col)
{
    if (*p == '\n') {
        (*line)++;
        *col = 1;
    } else if (((unsigned char)*p & 0xC0) != 0x80) {
        (*col)++;
    }
}

void cy_scalar_pos(const struct cy_node *n, size_t off, uint32_t *line, uint32_t *col)
{
    *line = n->line;
    *col = n->col;
    if (!n->src || off > n->len)
        return;
    const char *r = n->src, *re = n->src + n->src_len;
    uint32_t l = n->line, c = n->col;
    bool block = n->style == CY_LITERAL || n->style == CY_FOLDED;
    if (block) { /* skip the header line (| or > and its indicators) */
        while (r < re && *r != '\n')
            pos_advance(r++, &l, &c);
    } else if (n->style != CY_PLAIN && r < re) {
        pos_advance(r++, &l, &c); /* the opening quote */
    }
    for (size_t i = 0; i < off && r < re; i++) {
        char v = n->str[i];
        /* align: skip source bytes until one that produced v; a folded line
         * break produced a space */
        while (r < re && !(*r == v || (*r == '\n' && (v == ' ' || v == '\n'))))
            pos_advance(r++, &l, &c);
        if (r >= re)
            return; /* lost: keep the scalar's start */
        pos_advance(r++, &l, &c);
    }
    /* the byte at off: skip what no value byte stands for before it */
    char v = off < n->len ? n->str[off] : 0;
    while (r < re && v && *r != v &&
           (*r == ' ' || *r == '\n' || *r == '\'' || *r == '"' || *r == '\\' || *r == '\r'))
        pos_advance(r++, &l, &c);
    if (r >= re && v)
        return;
    *line = l;
    *col = c;
}
