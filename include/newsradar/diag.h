/*
 * diag.h - diagnostics: "file:line:col: message" lists that the config
 * loader collects (so one run reports every error) and prints in file order.
 */
#ifndef NEWSRADAR_DIAG_H
#define NEWSRADAR_DIAG_H

#include "newsradar/common.h"

/* Where a value came from, for error messages at later stages. */
struct nr_srcpos {
    const char *file; /* owned by the config (interned) */
    uint32_t line, col;
};

/* One diagnostic; the loader collects a list. pos.file points into
 * nr_diags.files (so diagnostics outlive a config that failed to load). */
struct nr_diag {
    struct nr_srcpos pos;
    char *msg;
};

struct nr_diags {
    struct nr_diag *v;
    size_t n, cap;
    char **files; /* interned file names in reading order (diag.pos.file) */
    size_t n_files, cap_files;
};
void nr_diags_add(struct nr_diags *d, const char *file, uint32_t line, uint32_t col,
                  const char *fmt, ...) NR_PRINTF(5, 6);
/* Print "file:line:col: message\n" for each diagnostic, in file order. */
void nr_diags_print(const struct nr_diags *d, void *stdio_file);
/* Note that `file` is being read now: diagnostics print in this order. The
 * loader calls it; files never noted sort after, in order of first diag. */
void nr_diags_note_file(struct nr_diags *d, const char *file);
void nr_diags_free(struct nr_diags *d);

#endif
