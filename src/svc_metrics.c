/*
 * svc_metrics.c - the service's Prometheus metrics (atomics, rendered by
 * the HTTP thread), their periodic updates and /readyz.
 */
#include "svc_int.h"

void svc_metrics_init(struct svc *s)
{
    struct metrics *m = &s->mt;
    m->reg = nr_metrics_new();
#define C(f, name, help)     m->f = nr_metrics_counter(m->reg, name, help, NULL)
#define G(f, name, help, lb) m->f = nr_metrics_gauge(m->reg, name, help, lb)
    C(in, "newsradar_articles_in_total", "Messages read from the article topics.");
    C(bytes, "newsradar_articles_in_bytes_total", "Bytes read from the article topics.");
    C(tagged, "newsradar_articles_tagged_total", "Articles with at least one entity or topic.");
    C(dlq, "newsradar_dead_letters_total", "Messages sent to the dead-letter topic.");
    C(events, "newsradar_count_events_total", "Count events produced to the repartition topic.");
    C(late, "newsradar_late_events_total", "Events older than stream time minus grace.");
    C(late_dropped, "newsradar_late_dropped_total", "Events older than the whole window ring.");
    C(dups, "newsradar_duplicates_total", "Exact and near duplicate articles per key.");
    C(deliv_fail, "newsradar_delivery_failures_total", "Produced messages that failed for good.");
    C(reloads, "newsradar_reloads_total", "Successful configuration reloads (SIGHUP).");
    C(reload_fail, "newsradar_reload_failures_total", "Rejected configuration reloads.");
    C(ckpt_records, "newsradar_checkpoint_records_total",
      "Window states written to the changelog.");
    C(restored, "newsradar_restored_keys_total", "Window keys restored from the changelog.");
    C(wm_forced, "newsradar_watermark_forced_total",
      "Count events counted before the minimum watermark passed them (too many held).");
    C(wm_silent, "newsradar_watermark_silent_total",
      "Count events counted while an input partition they may follow was silent (not heard of for "
      "30 s).");
    C(repeats, "newsradar_repeated_events_total",
      "Count events not counted again: their article's events had reached the partition before "
      "(stage 1 read its input again after a restart or a rebalance).");
    C(rewinds, "newsradar_transaction_rewinds_total",
      "exactly_once: aborted transactions after which a stage read again from the committed "
      "offsets.");
    G(wm_paused, "newsradar_paused_partitions",
      "Input partitions paused because they ran ahead in event time.", NULL);
    G(held, "newsradar_held_events",
      "Count events held until the minimum watermark of the input partitions passes them.", NULL);
    C(future, "newsradar_future_articles_total",
      "Articles published more than engine.max_future after arrival (clamped or rejected).");
    C(utf8_repairs, "newsradar_utf8_repairs_total",
      "Invalid UTF-8 sequences replaced by U+FFFD (article.invalid_utf8: repair).");
    C(boilerplate, "newsradar_boilerplate_total",
      "Body segments blanked as their source's boilerplate (article.boilerplate_min_articles).");
    for (int f = 0; f < NR_FIELD_COUNT; f++) {
        char lb[64];
        snprintf(lb, sizeof(lb), "field=\"%s\"", nr_field_names[f]);
        m->field_errors[f] = nr_metrics_counter(
            m->reg, "newsradar_field_errors_total",
            "Optional article fields present but unreadable, read as absent.", lb);
    }
    G(lag_articles, "newsradar_consumer_lag", "Consumer lag (messages) from librdkafka statistics.",
      "stage=\"articles\"");
    G(lag_counts, "newsradar_consumer_lag", "Consumer lag (messages) from librdkafka statistics.",
      "stage=\"counts\"");
    G(keys, "newsradar_window_keys", "Window keys held by this instance.", NULL);
    G(rss, "newsradar_resident_memory_bytes", "Resident set size of the process.", NULL);
    G(assigned_articles, "newsradar_assigned_partitions", "Partitions assigned.",
      "stage=\"articles\"");
    G(assigned_counts, "newsradar_assigned_partitions", "Partitions assigned.", "stage=\"counts\"");
    G(restoring, "newsradar_restoring_partitions",
      "Repartition partitions paused while their window state is read from the changelog.", NULL);
#undef C
#undef G
    static const double b[] = {0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005,
                               0.01,    0.05,    0.1,    0.5,    1};
    m->latency =
        nr_metrics_histogram(m->reg, "newsradar_processing_seconds",
                             "Time to decode, tag and hand on one article.", b, NR_ARRAY_LEN(b));
}

/* Stage 2's share of the metrics (its detectors), on its thread. */
void svc_metrics_update2(struct stage *st)
{
    struct metrics *mt = &st->s->mt;
    uint64_t keys = 0, held = 0;
    size_t n2 = 0;
    for (size_t i = 0; i < st->cnt.n_p2; i++) {
        struct p2 *p = &st->cnt.p2[i];
        if (!p->active)
            continue;
        n2++;
        struct nr_detect_stats ds;
        nr_detector_stats(nr_stage2_detector(p->s2), &ds);
        nr_counter_add(mt->late, ds.late - p->last_stats.late);
        nr_counter_add(mt->late_dropped, ds.late_dropped - p->last_stats.late_dropped);
        nr_counter_add(mt->dups, ds.duplicates - p->last_stats.duplicates);
        keys += ds.keys;
        held += p->held.n;
        p->last_stats = ds;
    }
    nr_gauge_set(mt->keys, (double)keys);
    nr_gauge_set(mt->held, (double)held);
    nr_gauge_set(mt->assigned_counts, (double)n2);
    nr_gauge_set(mt->restoring, (double)st->cnt.n_restoring);
}

/* The process-wide part, on the main thread. */
void svc_metrics_update_main(struct svc *s)
{
    nr_gauge_set(s->mt.assigned_articles, s->n_assigned1);
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        unsigned long size, rss;
        if (fscanf(f, "%lu %lu", &size, &rss) == 2)
            nr_gauge_set(s->mt.rss, (double)rss * (double)sysconf(_SC_PAGESIZE));
        fclose(f);
    }
}

/* Ready: both consumers have been given their share of partitions (an
 * instance beyond the partition count is ready with none: it is a standby
 * that takes over on the next rebalance) and no fatal error stopped the
 * producers or consumers. */
bool svc_ready_cb(void *ud, char *why, size_t len)
{
    struct svc *s = ud;
    if (s->fatal) {
        snprintf(why, len, "fatal Kafka error");
        return false;
    }
    if (!s->topics_ok) {
        int e = s->kafka_err;
        snprintf(why, len, "waiting for Kafka: %s",
                 e ? rd_kafka_err2str((rd_kafka_resp_err_t)e) : "checking the topics");
        return false;
    }
    if (!s->st1.joined || !s->st2.joined) {
        snprintf(why, len, "waiting for partition assignment (articles: %s, counts: %s)",
                 s->st1.joined ? "done" : "pending", s->st2.joined ? "done" : "pending");
        return false;
    }
    snprintf(why, len, "%d article partition(s) assigned", (int)s->n_assigned1);
    return true;
}
