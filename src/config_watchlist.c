/*
 * config_watchlist.c - watchlist files: entities, their aliases and
 * demonyms (the tables are sec_wlfile, sec_entity and sec_alias in config.c).
 *
 * Aliases are compared by the tagger's own normalization (cfg_alias_key), so
 * what the loader accepts as distinct never lands on one pattern of the
 * automaton. Cross-file checks (an alias claimed by two entities, unknown
 * country references) run after every watchlist is read, with hashed lookups
 * so a 100k-entity watchlist stays linear.
 */
#include "config_int.h"
#include "newsradar/text.h"

#include <stdlib.h>
#include <string.h>

/* The key under which two aliases are "the same" for the conflict check:
 * the tagger's own normalization (text.h: case fold, compatibility forms,
 * marks stripped, apostrophes unified, dashes as spaces, white space
 * collapsed), trimmed, so that what the loader accepts as distinct never
 * lands on one pattern of the automaton. */
char *cfg_alias_key(const char *s)
{
    struct nr_text t;
    nr_text_init(&t);
    nr_text_normalize(&t, s, strlen(s), 0);
    size_t b = 0, e = t.len;
    while (b < e && t.buf[b] == ' ')
        b++;
    while (e > b && t.buf[e - 1] == ' ')
        e--;
    char *o = nr_xstrndup(t.buf + b, e - b);
    nr_text_fini(&t);
    return o;
}

static char *trim_dup(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t l = strlen(s);
    while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\n' || s[l - 1] == '\r'))
        l--;
    return nr_xstrndup(s, l);
}

/* `keys` maps the entity's alias keys to their index in e->aliases, so a
 * country with hundreds of translated aliases is checked for repeats in
 * linear time (it was a rescan of every earlier alias: 29k aliases took
 * most of the startup time, 10 s and more under ASan). */
static void alias_add(struct cm_ctx *c, struct nr_entity *e, struct cm_strmap *keys, char *text,
                      unsigned flags, const struct cy_node *at)
{
    char *t = trim_dup(text);
    free(text);
    if (!*t) {
        ERR(c, at, "empty alias in entity \"%s\"", e->id ? e->id : "?");
        free(t);
        return;
    }
    /* a repeat inside one entity (name listed again as an alias) is harmless */
    char *k = cfg_alias_key(t);
    size_t *slot = cm_strmap_slot(keys, k, true);
    free(k);
    if (*slot != (size_t)-1) {
        e->aliases[*slot].flags |= flags & (NR_ALIAS_DEMONYM | NR_ALIAS_NAME);
        free(t);
        return;
    }
    *slot = e->n_aliases;
    e->aliases = nr_xrealloc(e->aliases, (e->n_aliases + 1) * sizeof(*e->aliases));
    e->aliases[e->n_aliases].text = t;
    e->aliases[e->n_aliases].flags = flags;
    e->aliases[e->n_aliases].pos = cm_srcpos(c, at);
    e->n_aliases++;
}

static void parse_aliases(struct cm_ctx *c, struct nr_entity *e, struct cm_strmap *keys,
                          const struct cy_node *n, const char *key, unsigned flags)
{
    if (n->type != CY_SEQ) {
        cm_type_error(c, n, key, "sequence of aliases");
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        const struct cy_node *it = n->items[i];
        if (it->type == CY_MAP) {
            struct alias_opts ao = {0};
            const struct cy_node *as[MAX_OPTS];
            int errs = cm_parse_section(c, it, &sec_alias, &ao, as, it);
            if (errs == 0 && ao.text) {
                unsigned f =
                    flags | (ao.cs ? NR_ALIAS_CASE : 0) | (ao.ambiguous ? NR_ALIAS_AMBIGUOUS : 0);
                alias_add(c, e, keys, ao.text, f, as[cm_opt_idx(&sec_alias, "text")]);
            } else {
                free(ao.text);
            }
            continue;
        }
        char *s = cm_get_string(c, it, key, false);
        if (s)
            alias_add(c, e, keys, s, flags, it);
    }
}

static bool is_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

static void parse_entity(struct cm_ctx *c, const struct cy_node *item)
{
    struct nr_config *cfg = c->cfg;
    struct nr_entity *e = cm_list_add(c, item, "entities item", (void **)&cfg->entities,
                                      &cfg->n_entities, &c->cap_entities, sizeof(*cfg->entities));
    if (!e)
        return;
    size_t idx = cfg->n_entities - 1;
    const struct cy_node *es[MAX_OPTS];
    cm_parse_section(c, item, &sec_entity, e, es, item);
    const struct cy_node *id_n = es[cm_opt_idx(&sec_entity, "id")];
    e->pos = cm_srcpos(c, id_n ? id_n : item);
    if (e->kind && !is_word(e->kind))
        ERR(c, es[cm_opt_idx(&sec_entity, "kind")],
            "kind: \"%s\" is not a lowercase word (a-z, 0-9, _ and -)", e->kind);
    const struct cy_node *code_n = es[cm_opt_idx(&sec_entity, "code")];
    if (e->code && !(strlen(e->code) == 2 && e->code[0] >= 'A' && e->code[0] <= 'Z' &&
                     e->code[1] >= 'A' && e->code[1] <= 'Z'))
        ERR(c, code_n, "code: \"%s\" is not an ISO 3166-1 alpha-2 code (two capital letters)",
            e->code);
    if (e->country)
        cm_pos_set(&c->country_pos, &c->cap_country, idx,
                   cm_srcpos(c, es[cm_opt_idx(&sec_entity, "country")]));
    size_t first = cm_claim_id(&c->entity_ids, e->id, idx);
    if (first != (size_t)-1)
        cm_dup_id(c, id_n, "entity", e->id, &cfg->entities[first].pos);
    struct cm_strmap keys = {0};
    if (e->name)
        alias_add(c, e, &keys, nr_xstrdup(e->name), NR_ALIAS_NAME,
                  es[cm_opt_idx(&sec_entity, "name")]);
    const struct cy_node *al = es[cm_opt_idx(&sec_entity, "aliases")];
    if (al && !cm_is_null(al))
        parse_aliases(c, e, &keys, al, "aliases", 0);
    const struct cy_node *dm = es[cm_opt_idx(&sec_entity, "demonyms")];
    if (dm && !cm_is_null(dm))
        parse_aliases(c, e, &keys, dm, "demonyms", NR_ALIAS_DEMONYM);
    cm_strmap_free(&keys);
}

void cfg_load_watchlist(struct cm_ctx *c, const struct cy_doc *doc)
{
    struct cy_node empty = {.type = CY_MAP, .line = 1, .col = 1};
    const struct cy_node *root = cm_doc_root(c, doc, &empty);
    if (!root)
        return;
    const struct cy_node *seen[MAX_OPTS];
    cm_parse_section(c, root, &sec_wlfile, NULL, seen, root);
    const struct cy_node *ents = seen[0];
    if (!ents || cm_is_null(ents))
        return;
    if (ents->type != CY_SEQ) {
        cm_type_error(c, ents, "entities", "sequence of entities");
        return;
    }
    for (size_t i = 0; i < ents->n; i++)
        parse_entity(c, ents->items[i]);
}

/* After every watchlist: aliases claimed twice, country references. */
void cfg_check_entities(struct cm_ctx *c)
{
    struct nr_config *cfg = c->cfg;
    struct cm_strmap owners = {0}; /* alias key -> entity index << 20 | alias index */
    for (size_t i = 0; i < cfg->n_entities; i++) {
        struct nr_entity *e = &cfg->entities[i];
        for (size_t a = 0; a < e->n_aliases; a++) {
            char *k = cfg_alias_key(e->aliases[a].text);
            if (!*k) { /* e.g. "--": nothing left to match */
                const struct nr_srcpos *p = &e->aliases[a].pos;
                nr_diags_add(c->d, p->file, p->line, p->col,
                             "alias \"%s\" of entity \"%s\" has no letters or digits to match",
                             e->aliases[a].text, e->id ? e->id : "?");
                free(k);
                continue;
            }
            size_t *slot = cm_strmap_slot(&owners, k, true);
            free(k);
            if (*slot == (size_t)-1) {
                *slot = i << 20 | (a & 0xFFFFF);
                continue;
            }
            const struct nr_entity *o = &cfg->entities[*slot >> 20];
            const struct nr_alias *oa = &o->aliases[*slot & 0xFFFFF];
            const struct nr_srcpos *p = &e->aliases[a].pos;
            nr_diags_add(c->d, p->file, p->line, p->col,
                         "alias \"%s\" of entity \"%s\" is already claimed by entity \"%s\" "
                         "(\"%s\" at %s:%u:%u)",
                         e->aliases[a].text, e->id ? e->id : "?", o->id ? o->id : "?", oa->text,
                         oa->pos.file, oa->pos.line, oa->pos.col);
        }
    }
    cm_strmap_free(&owners);
    for (size_t i = 0; i < cfg->n_entities; i++) {
        const struct nr_entity *e = &cfg->entities[i];
        cfg->entities[i].country_index = NR_NO_ENTITY;
        if (!e->country || i >= c->cap_country || !c->country_pos[i].set)
            continue;
        const size_t *slot = cm_strmap_slot(&c->entity_ids, e->country, false);
        if (!slot) {
            const struct nr_srcpos *p = &c->country_pos[i].pos;
            nr_diags_add(c->d, p->file, p->line, p->col, "country: unknown entity id \"%s\"",
                         e->country);
        } else {
            cfg->entities[i].country_index = (uint32_t)*slot;
        }
    }
}
