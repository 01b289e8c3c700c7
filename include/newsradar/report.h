/*
 * report.h - the back-test report of `newsradar replay --report FILE.html`:
 * one self-contained HTML page (inline CSS and SVG; no script, font, image
 * or link fetched from anywhere) built from what a replay saw.
 *
 * The report is fed three ways while the replay runs: every detector
 * evaluation (nr_report_observe, a detect.h observer) for the timelines,
 * every tagged article (nr_report_tagged, an engine tag hook) for the
 * matched terms of evidence articles, and every alert (nr_report_alert).
 * nr_report_write renders the page at the end. Memory is bounded (the
 * limits are in report.c and printed at the foot of the page).
 */
#ifndef NEWSRADAR_REPORT_H
#define NEWSRADAR_REPORT_H

#include "newsradar/alert.h"
#include "newsradar/article.h"
#include "newsradar/config.h"
#include "newsradar/detect.h"
#include "newsradar/engine.h"
#include "newsradar/tagger.h"

#include <stdio.h>

struct nr_report;

/* What the replay itself counted, for the page's summary. */
struct nr_report_run {
    const char *input, *config; /* names as given */
    uint64_t articles, skipped;
    uint64_t by_reason[NR_REJECT_COUNT]; /* rejected articles by reason */
    struct nr_engine_stats stats;
    bool sorted; /* --sort */
    int stopped; /* signal that stopped the run, 0 if none */
};

/* cfg must outlive the report. */
struct nr_report *nr_report_new(const struct nr_config *cfg);
void nr_report_free(struct nr_report *r);

/* Callbacks: ud is the report. */
void nr_report_observe(void *ud, const struct nr_detect_obs *o);
void nr_report_tagged(void *ud, const struct nr_article *a, const struct nr_tags *t,
                      int64_t event_ms);
void nr_report_alert(void *ud, const struct nr_alert *a);

/* Write the page; 0, or -1 when writing failed (errno set by stdio). */
int nr_report_write(const struct nr_report *r, const struct nr_report_run *run, FILE *f);

/* Text HTML-escaped into f: & < > " ' as entities, control characters and
 * bytes that are not valid UTF-8 as U+FFFD (a NUL too). For any bytes. */
void nr_report_escape(FILE *f, const char *p, size_t n);

#endif
