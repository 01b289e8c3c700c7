/*
 * config_int.h - private to the config module: how config.c (the option
 * tables, the main file and the order of loading) meets the rooms that give
 * the lists of each file their meaning: config_watchlist.c (entities),
 * config_lexicon.c (name lexicons) and config_rules.c (topics, alert rules).
 *
 * Each room has a load function, called once per file, and a check function,
 * called once after every file of its kind is read, for the checks that
 * cross files (duplicate aliases, unknown references).
 */
#ifndef NEWSRADAR_CONFIG_INT_H
#define NEWSRADAR_CONFIG_INT_H

#include "config_map.h"

/* alias options given as a mapping, read into this temporary */
struct alias_opts {
    char *text;
    bool cs, ambiguous;
};

/* The tables the rooms read (config.c). */
extern const struct section sec_wlfile, sec_entity, sec_alias;
extern const struct section sec_rulefile, sec_topic, sec_extend, sec_signal, sec_near, sec_alert;
extern const struct section sec_lexfile, sec_lexctx;

void cfg_load_watchlist(struct cm_ctx *c, const struct cy_doc *doc);
void cfg_check_entities(struct cm_ctx *c);
/* The key under which two aliases are the same (the tagger's normalization,
 * trimmed); the caller frees it. */
char *cfg_alias_key(const char *s);

void cfg_load_lexicon(struct cm_ctx *c, const struct cy_doc *doc);
void cfg_check_lexicon(struct cm_ctx *c);
void cfg_lexicon_free(struct nr_lexicon *lx);

void cfg_load_rules(struct cm_ctx *c, const struct cy_doc *doc);
void cfg_check_rules(struct cm_ctx *c);
/* Free what a topic (or one of its `extend:` items) owns, not the struct. */
void cfg_topic_free(struct nr_topic *t);

#endif
