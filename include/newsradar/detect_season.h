/*
 * detect_season.h - seasonal baselines: the expected count of a window
 * learned per phase (baseline bucket of the day or of the week, UTC) from a
 * key's baseline ring, shrunk toward the flat mean (src/detect_season.c,
 * docs/alerts.md).
 */
#ifndef NEWSRADAR_DETECT_SEASON_H
#define NEWSRADAR_DETECT_SEASON_H

#include "newsradar/config.h"
#include "newsradar/window.h"

/* Pseudo-observations of the flat mean added to each phase's history. */
#define NR_SEASON_PRIOR 2.0

/* Expected count of the window [window_start, + r->window) under r's
 * seasonality (NR_SEASON_NONE: nr_window_expected), never below
 * r->baseline_floor. Same inputs as nr_window_expected. */
double nr_season_expected(const struct nr_wkey *k, const struct nr_alert_rule *r,
                          int64_t window_start_ms, int64_t first_seen_ms);

/* The same, and when phi is not NULL the baseline's index of dispersion
 * (residual variance / mean of its buckets around the model, >= 1): the
 * negative binomial of `score: negbin` has variance phi x expected. */
double nr_baseline_expected(const struct nr_wkey *k, const struct nr_alert_rule *r,
                            int64_t window_start_ms, int64_t first_seen_ms, double *phi);

#endif
