/*
 * config_yaml.h - private to the config module: a YAML file as a small tree.
 *
 * Built from libyaml events (not yaml_document_t) so that aliases can be
 * budgeted while they are read: an alias node is a second pointer to the
 * anchored node, and every alias adds the anchored subtree's size to a
 * per-file count that is refused beyond NR_YAML_ALIAS_BUDGET. Nodes are owned
 * by the document's flat list, so shared subtrees are freed exactly once.
 */
#ifndef NEWSRADAR_CONFIG_YAML_H
#define NEWSRADAR_CONFIG_YAML_H

#include "newsradar/config.h"

#define NR_YAML_ALIAS_BUDGET 10000 /* nodes reachable through aliases, per file */
#define NR_YAML_MAX_DEPTH    64
#define NR_YAML_MAX_ANCHORS  1000

enum cy_type { CY_SCALAR, CY_SEQ, CY_MAP };
enum cy_style { CY_PLAIN, CY_SQUOTED, CY_DQUOTED, CY_LITERAL, CY_FOLDED };

struct cy_node {
    enum cy_type type;
    uint32_t line, col; /* 1-based */
    char *str;          /* scalar text (NUL-terminated) */
    size_t len;
    bool plain;      /* unquoted scalar: may be null/bool/number */
    uint8_t style;   /* scalar: enum cy_style */
    const char *src; /* scalar: its source bytes (in cy_doc.owned), or NULL */
    size_t src_len;
    struct cy_node **items; /* seq: items; map: key, value, key, value ... */
    size_t n, cap;          /* n counts pointers (2 per map pair) */
    size_t size;            /* nodes after alias expansion, this one included */
    bool done;              /* end event seen (alias to an open node = cycle) */
};

struct cy_doc {
    struct cy_node *root; /* NULL for an empty file */
    struct cy_node **all;
    size_t n_all, cap_all;
    char *owned; /* the source buffer, when the caller hands it over (scalar src) */
};

/* Parse buf into doc. Errors go to diags under `file`; returns 0 / -1. */
int cy_load(const char *buf, size_t len, const char *file, struct cy_doc *doc,
            struct nr_diags *diags);
void cy_doc_free(struct cy_doc *doc); /* also frees doc->owned */

/* Where byte `off` of a scalar's value stands in the file (1-based line and
 * column in characters, as libyaml counts). Exact for scalars on one line
 * (plain, '' or "" with \" and '' escapes) and for literal blocks (|);
 * folded blocks (>) and scalars wrapped over lines are mapped by aligning
 * the value with the source, which is exact unless an escape other than
 * \" \\ '' stands before the offset. Without source bytes: the scalar's
 * start. */
void cy_scalar_pos(const struct cy_node *n, size_t off, uint32_t *line, uint32_t *col);

#endif
