/*
 * diag.c - diagnostics of the configuration loader (see diag.h).
 *
 * Messages are collected, never printed as they are found, so that one run
 * reports every error and the output is sorted by file (in reading order),
 * line and column whatever order the loader's passes found them in. File
 * names are interned so a diagnostic outlives the config that failed.
 */
#include "newsradar/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *diags_intern(struct nr_diags *d, const char *file)
{
    if (!file)
        file = "<config>";
    for (size_t i = 0; i < d->n_files; i++)
        if (strcmp(d->files[i], file) == 0)
            return d->files[i];
    nr_grow((void **)&d->files, &d->cap_files, d->n_files + 1, sizeof(char *));
    d->files[d->n_files] = nr_xstrdup(file);
    return d->files[d->n_files++];
}

void nr_diags_note_file(struct nr_diags *d, const char *file)
{
    if (d)
        (void)diags_intern(d, file);
}

void nr_diags_add(struct nr_diags *d, const char *file, uint32_t line, uint32_t col,
                  const char *fmt, ...)
{
    if (!d)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = nr_xmalloc(n > 0 ? (size_t)n + 1 : 1);
    va_start(ap, fmt);
    vsnprintf(msg, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    va_end(ap);
    nr_grow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v));
    d->v[d->n].pos.file = diags_intern(d, file);
    d->v[d->n].pos.line = line;
    d->v[d->n].pos.col = col;
    d->v[d->n].msg = msg;
    d->n++;
}

struct diag_ref {
    const struct nr_diag *d;
    size_t file_rank, seq;
};

static int diag_cmp(const void *a, const void *b)
{
    const struct diag_ref *x = a, *y = b;
    if (x->file_rank != y->file_rank)
        return x->file_rank < y->file_rank ? -1 : 1;
    if (x->d->pos.line != y->d->pos.line)
        return x->d->pos.line < y->d->pos.line ? -1 : 1;
    if (x->d->pos.col != y->d->pos.col)
        return x->d->pos.col < y->d->pos.col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void nr_diags_print(const struct nr_diags *d, void *stdio_file)
{
    FILE *f = stdio_file;
    if (!d || d->n == 0)
        return;
    struct diag_ref *r = nr_xmalloc(d->n * sizeof(*r));
    for (size_t i = 0; i < d->n; i++) {
        r[i].d = &d->v[i];
        r[i].seq = i;
        r[i].file_rank = 0;
        for (size_t k = 0; k < d->n_files; k++)
            if (d->files[k] == d->v[i].pos.file)
                r[i].file_rank = k;
    }
    qsort(r, d->n, sizeof(*r), diag_cmp);
    for (size_t i = 0; i < d->n; i++) {
        const struct nr_diag *g = r[i].d;
        /* a subtree shared through a YAML alias reports its errors once */
        if (i > 0 && r[i - 1].d->pos.file == g->pos.file && r[i - 1].d->pos.line == g->pos.line &&
            r[i - 1].d->pos.col == g->pos.col && strcmp(r[i - 1].d->msg, g->msg) == 0)
            continue;
        fprintf(f, "%s:%u:%u: %s\n", g->pos.file, g->pos.line, g->pos.col, g->msg);
    }
    free(r);
}

void nr_diags_free(struct nr_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].msg);
    for (size_t i = 0; i < d->n_files; i++)
        free(d->files[i]);
    free(d->v);
    free(d->files);
    memset(d, 0, sizeof(*d));
}
