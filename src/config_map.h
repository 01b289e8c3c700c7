/*
 * config_map.h - private to the config module: the generic typed loader
 * (config_map.c) that every room of the loader reads its mappings with.
 *
 * A section is a table of options (key, type, offset in the target struct,
 * default as text, flags, range, help). cm_parse_section() reads one YAML
 * mapping against it: simple values and nested sections are stored into the
 * target object, OT_LIST values are handed back in seen[] for the caller to
 * interpret (entities, topics, rules ...). Errors go to the loader context's
 * diagnostics with their file:line:col and never stop the walk.
 */
#ifndef NEWSRADAR_CONFIG_MAP_H
#define NEWSRADAR_CONFIG_MAP_H

#include "config_yaml.h"
#include "newsradar/config.h"

#include <stdio.h>

enum opt_type {
    OT_STR,
    OT_ENUM,
    OT_U32,
    OT_SIZE,
    OT_DOUBLE,
    OT_BOOL,
    OT_DUR,
    OT_STRLIST,
    OT_MAP,     /* string -> string, into (nr_kv *, size_t) at off, off2 */
    OT_SECTION, /* nested table, same target object */
    OT_LIST,    /* list of something read by the caller (seen[]) */
    OT_PTRS,    /* a JSON pointer or a list of 1-4: first at off (char *), rest at off2 */
};

#define OF_REQ      (1u << 0)
#define OF_MIN      (1u << 1)
#define OF_MAX      (1u << 2)
#define OF_MINX     (1u << 3) /* min is exclusive */
#define OF_MAXX     (1u << 4) /* max is exclusive */
#define OF_DOCDEF   (1u << 5) /* default is derived at load; `def` only documents it */
#define OF_NONEMPTY (1u << 6) /* string or list must not be empty */
#define OF_JSONPTR  (1u << 7) /* "" or an RFC 6901 JSON pointer */
#define OF_TZ       (1u << 8) /* a zone for nr_article_tz_parse; offset (int32_t) at off2 */

#define NO_OFF ((size_t)-1)

struct section;

struct opt {
    const char *key;
    enum opt_type type;
    size_t off, off2;
    const char *def;
    unsigned flags;
    double min, max;
    const char *choices;       /* OT_ENUM: "a|b|c" */
    const struct section *sub; /* OT_SECTION; OT_LIST items (docs) */
    const char *tname;         /* type name for docs, when not the default */
    const char *help;
};

struct section {
    const char *name; /* in messages and as the docs heading */
    const char *where;
    const struct opt *opts;
    size_t n;
};

/* Tables are defined in config.c; the rooms reach the ones they read through
 * config_int.h. */
#define SECTION(var, nm, wh, arr) const struct section var = {nm, wh, arr, NR_ARRAY_LEN(arr)}

#define MAX_OPTS 24 /* options per section (cm_parse_section's seen[]) */

/* string -> index, open addressing; keys owned by the map */
struct cm_strmap {
    char **keys;
    size_t *vals;
    size_t cap, n;
};

/* The slot of key (NULL when absent and !insert); a new slot holds
 * (size_t)-1. */
size_t *cm_strmap_slot(struct cm_strmap *m, const char *key, bool insert);
void cm_strmap_free(struct cm_strmap *m);

struct cm_pos_ref {
    struct nr_srcpos pos;
    bool set;
};

/* The loader's state while files are read (config.c owns it). */
struct cm_ctx {
    struct nr_config *cfg;
    struct nr_diags *d;
    const char *file; /* interned in cfg->files */
    struct cm_strmap entity_ids, topic_ids, rule_ids;
    /* positions the plain structs have no room for, by entity / rule index */
    struct cm_pos_ref *country_pos, *topic_pos, *by_pos;
    size_t cap_country, cap_topic, cap_by;
    size_t cap_entities, cap_topics, cap_rules; /* nr_config has no cap fields */
    struct nr_topic *ext; /* `extend:` items, attached to their topics by cfg_check_rules */
    size_t n_ext, cap_ext;
};

#define ERR(c, node, ...) nr_diags_add((c)->d, (c)->file, (node)->line, (node)->col, __VA_ARGS__)

/* Index of key in s; aborts on a key the table lacks (a typo in the code). */
size_t cm_opt_idx(const struct section *s, const char *key);
struct nr_srcpos cm_srcpos(const struct cm_ctx *c, const struct cy_node *n);
bool cm_is_null(const struct cy_node *n);
/* "sequence", "mapping", "null", "boolean", "number" or "string". */
const char *cm_kind_of(const struct cy_node *n);
void cm_type_error(struct cm_ctx *c, const struct cy_node *n, const char *key,
                   const char *expected);
/* A string value: any non-null scalar, ${ENV} replaced; NULL on error. */
char *cm_get_string(struct cm_ctx *c, const struct cy_node *n, const char *key, bool nonempty);
void cm_strlist_free(struct nr_strlist *l);
void cm_pos_set(struct cm_pos_ref **arr, size_t *cap, size_t i, struct nr_srcpos p);
/* A new zeroed element at the end of a list of sections (*arr, *n, *cap)
 * for `item`; NULL, reported, when item is not a mapping. `what` names the
 * item in the message ("topics item"). */
void *cm_list_add(struct cm_ctx *c, const struct cy_node *item, const char *what, void **arr,
                  size_t *n, size_t *cap, size_t size);
/* Claim `id` (NULL: none) for item idx of a list whose ids are in `ids`:
 * (size_t)-1, or the index of the earlier item that holds it. */
size_t cm_claim_id(struct cm_strmap *ids, const char *id, size_t idx);
/* Report `duplicate <what> id "<id>" (first defined at file:line:col)` at n. */
void cm_dup_id(struct cm_ctx *c, const struct cy_node *n, const char *what, const char *id,
               const struct nr_srcpos *first);

/* Read mapping `map` (NULL: absent) against section `s` into obj. Simple
 * values and nested sections are stored; OT_LIST values are left in seen[]
 * (MAX_OPTS entries, may be NULL) for the caller. `at` is where a missing
 * key is reported when map is NULL. Returns the number of errors found. */
int cm_parse_section(struct cm_ctx *c, const struct cy_node *map, const struct section *s,
                     void *obj, const struct cy_node **seen, const struct cy_node *at);

/* rel relative to the directory of base_file (rel when absolute). */
char *cm_join_path(const char *base_file, const char *rel);
/* Read and parse `path`. `from` is the path's scalar in the including file
 * (NULL for the main file). On success c->file is the new file. */
int cm_open_doc(struct cm_ctx *c, const char *path, const struct cy_node *from, struct cy_doc *doc);
/* The root mapping, `empty` for an empty file, NULL (reported) otherwise. */
const struct cy_node *cm_doc_root(struct cm_ctx *c, const struct cy_doc *doc,
                                  const struct cy_node *empty);

/* Markdown tables of the sections (docs/configuration.md). */
void cm_print_sections(FILE *f, const struct section *const *secs, size_t n_secs);

#endif
