/*
 * calibrate.h - `newsradar replay --calibrate RATE`: per rule, how often it
 * alerted in the back-test (alerts per day, per key) and the min_ratio that
 * would have given RATE episodes per day (src/calibrate.c).
 */
#ifndef NEWSRADAR_CALIBRATE_H
#define NEWSRADAR_CALIBRATE_H

#include "newsradar/alert.h"
#include "newsradar/config.h"
#include "newsradar/detect.h"

#include <stdio.h>

struct nr_calib;

/* rate: target episodes per day per rule (> 0). cfg must outlive it. */
struct nr_calib *nr_calib_new(const struct nr_config *cfg, double rate);
void nr_calib_free(struct nr_calib *c);

/* Callbacks (ud is the calibration): every evaluation, every alert. */
void nr_calib_observe(void *ud, const struct nr_detect_obs *o);
void nr_calib_alert(void *ud, const struct nr_alert *a);

/* The table (text) or one JSON object; 0, or -1 when writing failed. */
int nr_calib_write_text(struct nr_calib *c, FILE *f);
int nr_calib_write_json(struct nr_calib *c, FILE *f);

#endif
