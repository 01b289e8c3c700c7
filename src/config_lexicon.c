/*
 * config_lexicon.c - name lexicon files: role titles, name particles, word
 * lists and alias-specific context rules (tables sec_lexfile, sec_lexctx in
 * config.c). Lists of several files are concatenated; every item must leave
 * something to match after normalization, and a context rule must name an
 * alias of some entity (checked after watchlists and lexicons are read).
 */
#include "config_int.h"

#include <stdlib.h>
#include <string.h>

static void strlist_append(struct nr_strlist *to, struct nr_strlist *from)
{
    to->v = nr_xrealloc(to->v, (to->n + from->n + 1) * sizeof(char *));
    if (from->n)
        memcpy(to->v + to->n, from->v, from->n * sizeof(char *));
    to->n += from->n;
    free(from->v);
    from->v = NULL;
    from->n = 0;
}

/* Every word list item must leave something to match after normalization. */
static void lex_check_list(struct cm_ctx *c, const struct cy_node *list, const char *key)
{
    if (!list || list->type != CY_SEQ)
        return;
    for (size_t i = 0; i < list->n; i++) {
        const struct cy_node *it = list->items[i];
        if (it->type != CY_SCALAR)
            continue; /* get_strlist reported it */
        char *k = cfg_alias_key(it->str);
        if (!*k)
            ERR(c, it, "%s: \"%s\" has no letters or digits to match", key, it->str);
        free(k);
    }
}

static bool strlist_has(const struct nr_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

/* Every item of a role property list (local_roles, ...) must be a role of
 * this file or of a lexicon read before it, written the same way. */
static void lex_check_roles(struct cm_ctx *c, const struct cy_node *list, const char *key,
                            const struct nr_lexicon *lx, const struct nr_lexicon *tmp)
{
    if (!list || list->type != CY_SEQ)
        return;
    for (size_t i = 0; i < list->n; i++) {
        const struct cy_node *it = list->items[i];
        if (it->type == CY_SCALAR && !strlist_has(&lx->roles, it->str) &&
            !strlist_has(&lx->weak_roles, it->str) && !strlist_has(&tmp->roles, it->str) &&
            !strlist_has(&tmp->weak_roles, it->str))
            ERR(c, it,
                "%s: \"%s\" is no role of roles or weak_roles (in this file or a lexicon "
                "read before it)",
                key, it->str);
    }
}

void cfg_load_lexicon(struct cm_ctx *c, const struct cy_doc *doc)
{
    struct cy_node empty = {.type = CY_MAP, .line = 1, .col = 1};
    const struct cy_node *root = cm_doc_root(c, doc, &empty);
    if (!root)
        return;
    struct nr_lexicon tmp;
    memset(&tmp, 0, sizeof(tmp));
    const struct cy_node *seen[MAX_OPTS];
    cm_parse_section(c, root, &sec_lexfile, &tmp, seen, root);
    for (size_t k = 0; k < sec_lexfile.n; k++)
        if (sec_lexfile.opts[k].type == OT_STRLIST)
            lex_check_list(c, seen[k], sec_lexfile.opts[k].key);
    struct nr_lexicon *lx = &c->cfg->lex;
    static const char *const role_lists[] = {"local_roles", "company_roles"};
    for (size_t k = 0; k < NR_ARRAY_LEN(role_lists); k++)
        lex_check_roles(c, seen[cm_opt_idx(&sec_lexfile, role_lists[k])], role_lists[k], lx, &tmp);
    strlist_append(&lx->roles, &tmp.roles);
    strlist_append(&lx->weak_roles, &tmp.weak_roles);
    strlist_append(&lx->particles, &tmp.particles);
    strlist_append(&lx->not_names, &tmp.not_names);
    strlist_append(&lx->org_words, &tmp.org_words);
    strlist_append(&lx->governing, &tmp.governing);
    strlist_append(&lx->first_names, &tmp.first_names);
    strlist_append(&lx->person_like, &tmp.person_like);
    strlist_append(&lx->company_words, &tmp.company_words);
    strlist_append(&lx->local_roles, &tmp.local_roles);
    strlist_append(&lx->company_roles, &tmp.company_roles);
    strlist_append(&lx->portfolio_words, &tmp.portfolio_words);
    strlist_append(&lx->namesake_words, &tmp.namesake_words);
    strlist_append(&lx->body_words, &tmp.body_words);
    const struct cy_node *ctxs = seen[cm_opt_idx(&sec_lexfile, "contexts")];
    if (!ctxs || cm_is_null(ctxs))
        return;
    if (ctxs->type != CY_SEQ) {
        cm_type_error(c, ctxs, "contexts", "sequence of context rules");
        return;
    }
    lx->contexts =
        nr_xrealloc(lx->contexts, (lx->n_contexts + ctxs->n + 1) * sizeof(*lx->contexts));
    for (size_t i = 0; i < ctxs->n; i++) {
        const struct cy_node *it = ctxs->items[i];
        struct nr_lex_context *x = &lx->contexts[lx->n_contexts++];
        memset(x, 0, sizeof(*x));
        x->pos = cm_srcpos(c, it);
        const struct cy_node *xs[MAX_OPTS];
        if (cm_parse_section(c, it, &sec_lexctx, x, xs, it) == 0 && x->not_after.n == 0 &&
            x->not_before.n == 0 && x->only_after.n == 0 && x->only_before.n == 0)
            ERR(c, it,
                "context rule for \"%s\" has none of not_after, not_before, only_after, "
                "only_before",
                x->alias);
        lex_check_list(c, xs[cm_opt_idx(&sec_lexctx, "not_after")], "not_after");
        lex_check_list(c, xs[cm_opt_idx(&sec_lexctx, "not_before")], "not_before");
        lex_check_list(c, xs[cm_opt_idx(&sec_lexctx, "only_after")], "only_after");
        lex_check_list(c, xs[cm_opt_idx(&sec_lexctx, "only_before")], "only_before");
    }
}

/* After watchlists and lexicons: a context rule must name an alias. */
void cfg_check_lexicon(struct cm_ctx *c)
{
    const struct nr_config *cfg = c->cfg;
    if (cfg->lex.n_contexts == 0)
        return;
    struct cm_strmap aliases = {0};
    for (size_t i = 0; i < cfg->n_entities; i++)
        for (size_t a = 0; a < cfg->entities[i].n_aliases; a++) {
            char *k = cfg_alias_key(cfg->entities[i].aliases[a].text);
            *cm_strmap_slot(&aliases, k, true) = i;
            free(k);
        }
    for (size_t i = 0; i < cfg->lex.n_contexts; i++) {
        const struct nr_lex_context *x = &cfg->lex.contexts[i];
        if (!x->alias)
            continue;
        char *k = cfg_alias_key(x->alias);
        if (!cm_strmap_slot(&aliases, k, false))
            nr_diags_add(c->d, x->pos.file, x->pos.line, x->pos.col,
                         "context rule: \"%s\" is no alias of any entity", x->alias);
        free(k);
    }
    cm_strmap_free(&aliases);
}

void cfg_lexicon_free(struct nr_lexicon *lx)
{
    cm_strlist_free(&lx->roles);
    cm_strlist_free(&lx->weak_roles);
    cm_strlist_free(&lx->particles);
    cm_strlist_free(&lx->not_names);
    cm_strlist_free(&lx->org_words);
    cm_strlist_free(&lx->governing);
    cm_strlist_free(&lx->first_names);
    cm_strlist_free(&lx->person_like);
    cm_strlist_free(&lx->company_words);
    cm_strlist_free(&lx->local_roles);
    cm_strlist_free(&lx->company_roles);
    cm_strlist_free(&lx->portfolio_words);
    cm_strlist_free(&lx->namesake_words);
    cm_strlist_free(&lx->body_words);
    for (size_t i = 0; i < lx->n_contexts; i++) {
        free(lx->contexts[i].alias);
        cm_strlist_free(&lx->contexts[i].not_after);
        cm_strlist_free(&lx->contexts[i].not_before);
        cm_strlist_free(&lx->contexts[i].only_after);
        cm_strlist_free(&lx->contexts[i].only_before);
    }
    free(lx->contexts);
}
