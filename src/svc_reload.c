/*
 * svc_reload.c - SIGHUP: the new configuration is loaded and built on the
 * main thread, posted to stage 2 then stage 1, each swaps between two
 * batches, and the old one is freed when both have.
 */
#include "svc_int.h"

/* ---- reload ------------------------------------------------------------------------------ */

/* Settings bound into the running clients, subscriptions and offset
 * bookkeeping: a reload must not change them behind the clients' back. */
static const char *restart_only_change(const struct nr_config *a, const struct nr_config *b)
{
    const struct nr_kafka_opts *x = &a->kafka, *y = &b->kafka;
#define SAME(f) ((x->f == NULL && y->f == NULL) || (x->f && y->f && strcmp(x->f, y->f) == 0))
    if (!SAME(brokers))
        return "kafka.brokers";
    if (!SAME(group_id))
        return "kafka.group_id";
    if (!SAME(alert_topic) || !SAME(dead_letter_topic) || !SAME(repartition_topic) ||
        !SAME(changelog_topic) || !SAME(enriched_topic))
        return "a kafka.*_topic";
#undef SAME
    if (x->input_topics.n != y->input_topics.n)
        return "kafka.input_topics";
    for (size_t i = 0; i < x->input_topics.n; i++)
        if (strcmp(x->input_topics.v[i], y->input_topics.v[i]) != 0)
            return "kafka.input_topics";
    return NULL;
}

bool svc_reload_pending(struct svc *s)
{
    return s->cfg_old != NULL;
}

/* Main thread, on SIGHUP: load and validate the new configuration, build
 * what can be built here (stage 1's shared part with the tagger; a trial
 * nr_stage2, so that stage 2's own builds cannot fail), then post it to both
 * stages. Anything rejected leaves both stages untouched. */
void svc_reload_begin(struct svc *s)
{
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(s->path, &d);
    if (cfg && nr_svc_check_properties(cfg, &d) != 0) {
        nr_config_free(cfg);
        cfg = NULL;
    }
    if (!cfg) {
        for (size_t i = 0; i < d.n; i++)
            NR_ERROR("config", "reload rejected: %s:%u:%u: %s", d.v[i].pos.file, d.v[i].pos.line,
                     d.v[i].pos.col, d.v[i].msg);
        nr_diags_free(&d);
        nr_counter_add(s->mt.reload_fail, 1);
        NR_ERROR("config", "reload of %s failed: still running on the previous configuration",
                 s->path);
        return;
    }
    nr_diags_free(&d);
    const char *changed = restart_only_change(s->cfg, cfg);
    if (changed) {
        NR_ERROR("config", "reload rejected: %s changed; restart to apply it", changed);
        nr_config_free(cfg);
        nr_counter_add(s->mt.reload_fail, 1);
        return;
    }
    struct nr_error err = {{0}};
    struct nr_stage1_shared *sh = nr_stage1_shared_new(cfg, &err);
    struct nr_stage2 *trial = sh ? nr_stage2_new(cfg, &err) : NULL;
    if (!trial) {
        NR_ERROR("config", "reload rejected: %s", err.msg);
        nr_stage1_shared_free(sh);
        nr_config_free(cfg);
        nr_counter_add(s->mt.reload_fail, 1);
        return;
    }
    nr_stage2_free(trial);
    struct stage *a = &s->st1, *b = &s->st2;
    a->rl_cfg = cfg;
    a->art.rl_sh = sh;
    b->rl_cfg = cfg;
    b->cnt.rl_kept = b->cnt.rl_dropped = 0;
    s->cfg_old = s->cfg;
    s->cfg = cfg;
    /* Stage 2 first: stage 1 may send events of a rule the reload adds
     * only once this instance's stage 2 knows it (reload_finish posts
     * stage 1's part). Events of a rule it removes that are still in
     * flight cannot be counted by the new stage 2: they become
     * invalid_event dead letters (docs/operations.md). */
    s->rl_hold1 = true;
    atomic_store_explicit(&b->rl_posted, 1, memory_order_release);
}

/* Stage 1, between batches: swap in the tagger built by the main thread;
 * the duplicate set, stream time and boilerplate model carry over (taken
 * first: the new workers' decoders use the model they find). */
bool svc_s1_reload(struct stage *st)
{
    struct nr_error err = {{0}};
    nr_stage1_shared_take(st->art.rl_sh, st->art.sh);
    struct nr_stage1 **nw = nr_xcalloc(st->art.n_w, sizeof(*nw));
    for (unsigned k = 0; k < st->art.n_w; k++) {
        nw[k] = nr_stage1_new(st->art.rl_sh, &err);
        if (!nw[k]) { /* out of memory only */
            NR_ERROR("config", "reload: stage 1: %s", err.msg);
            for (unsigned j = 0; j < k; j++)
                nr_stage1_free(nw[j]);
            free(nw);
            st->s->fatal = 1;
            return false;
        }
    }
    for (unsigned k = 0; k < st->art.n_w; k++) { /* the pool is idle between polls */
        nr_stage1_free(st->art.w[k].s1);
        st->art.w[k].s1 = nw[k];
    }
    free(nw);
    nr_stage1_shared_free(st->art.sh);
    st->cfg = st->rl_cfg;
    st->art.sh = st->art.rl_sh;
    st->rl_cfg = NULL;
    st->art.rl_sh = NULL;
    return true;
}

/* Stage 2, between batches: move every key whose rule still exists into a
 * new detector. Snapshots name rules and entities by id, so indices may
 * change. All new detectors are built before any is swapped in. */
bool svc_s2_reload(struct stage *st)
{
    struct nr_config *cfg = st->rl_cfg;
    struct nr_error err = {{0}};
    struct nr_stage2 **nd = nr_xcalloc(st->cnt.n_p2 ? st->cnt.n_p2 : 1, sizeof(*nd));
    for (size_t i = 0; i < st->cnt.n_p2; i++) {
        if (!st->cnt.p2[i].active)
            continue;
        nd[i] = nr_stage2_new(cfg, &err);
        if (!nd[i]) {
            /* cannot happen: the main thread built one from the same cfg */
            NR_ERROR("config", "reload: stage 2: %s", err.msg);
            for (size_t j = 0; j < i; j++)
                nr_stage2_free(nd[j]);
            free(nd);
            st->s->fatal = 1; /* stop; the old config stays in use until then */
            return false;
        }
    }
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < st->cnt.n_p2; i++) {
        struct p2 *p = &st->cnt.p2[i];
        if (!p->active)
            continue;
        struct nr_detector *od = nr_stage2_detector(p->s2), *ndet = nr_stage2_detector(nd[i]);
        struct nr_wstore *old = nr_detector_store(od), *fresh = nr_detector_store(ndet);
        for (struct nr_wkey *k = nr_wstore_first(old); k; k = nr_wstore_next(old, k)) {
            uint8_t *buf = NULL;
            size_t len = 0;
            struct nr_wkey *nk;
            if (nr_window_key_snapshot(old, k, &buf, &len) == 0 &&
                nr_window_key_restore(fresh, buf, len, &nk, &err) == 0) {
                kept++;
            } else {
                if (dropped++ < 5)
                    NR_WARN("config", "reload: key %s of rule %s dropped: %s", k->key,
                            st->cfg->rules[k->rule].id, err.msg);
            }
            free(buf);
        }
        int64_t a, b;
        nr_detector_meta(od, &a, &b);
        nr_detector_set_meta(ndet, a, b);
        nr_stage2_free(p->s2);
        p->s2 = nd[i];
        /* the new detector's counters start at zero */
        memset(&p->last_stats, 0, sizeof(p->last_stats));
        /* every key may have changed identity: checkpoint them all */
        svc_dirty_clear(&p->dirty);
        for (struct nr_wkey *k = nr_wstore_first(fresh); k; k = nr_wstore_next(fresh, k))
            svc_dirty_add(&p->dirty, cfg->rules[k->rule].id, k->key);
    }
    free(nd);
    st->cfg = cfg;
    st->rl_cfg = NULL;
    st->cnt.rl_kept = kept;
    st->cnt.rl_dropped = dropped;
    return true;
}

/* On a stage thread, between batches. */
bool svc_reload_take(struct stage *st)
{
    if (!atomic_load_explicit(&st->rl_posted, memory_order_acquire))
        return false;
    if (!st->ops->reload(st))
        return false; /* rl_posted stays set: the old config is never freed under us */
    atomic_store_explicit(&st->rl_posted, 0, memory_order_release);
    return true;
}

/* Main thread: once both stages swapped, nobody uses the old config. */
void svc_reload_finish(struct svc *s)
{
    if (!svc_reload_pending(s))
        return;
    if (s->rl_hold1 && !atomic_load_explicit(&s->st2.rl_posted, memory_order_acquire)) {
        s->rl_hold1 = false;
        atomic_store_explicit(&s->st1.rl_posted, 1, memory_order_release);
    }
    if (s->rl_hold1 || atomic_load_explicit(&s->st1.rl_posted, memory_order_acquire) ||
        atomic_load_explicit(&s->st2.rl_posted, memory_order_acquire))
        return;
    nr_config_free(s->cfg_old);
    s->cfg_old = NULL;
    nr_counter_add(s->mt.reloads, 1);
    NR_INFO("config",
            "reloaded %s: %zu entities, %zu topics, %zu rules; %zu keys kept, %zu dropped", s->path,
            s->cfg->n_entities, s->cfg->n_topics, s->cfg->n_rules, s->st2.cnt.rl_kept,
            s->st2.cnt.rl_dropped);
}
