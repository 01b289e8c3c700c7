/*
 * cmd_input.h - the input of `replay` and `tag`: a file or stdin cut into
 * JSON texts (JSONL, pretty-printed objects one after another, or a mix),
 * with bounded memory. See cmd_input.c.
 */
#ifndef NEWSRADAR_CMD_INPUT_H
#define NEWSRADAR_CMD_INPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { INPUT_EOF = 0, INPUT_OK = 1, INPUT_TOO_LONG = 2, INPUT_ERROR = -1 };

struct input {
    int fd;
    char *buf;
    size_t cap, beg, end;
    size_t limit;   /* longest record returned whole */
    uint64_t line;  /* lines consumed so far */
    uint64_t bytes; /* bytes consumed so far (progress) */
    bool eof, started;
    bool oom;                    /* the last INPUT_TOO_LONG text did not fit in memory */
    volatile sig_atomic_t *stop; /* when set and non-zero, EINTR ends a read */
};

/* fd is read, never closed; limit is article.max_bytes. */
void input_init(struct input *in, int fd, size_t limit);
void input_free(struct input *in);

/* The next JSON text in *p, *n (valid until the next call) and the line it
 * starts on in *line. INPUT_TOO_LONG: *n is its length, *p unusable.
 * INPUT_ERROR with errno EINTR: interrupted by a signal that set *stop. */
int input_next(struct input *in, char **p, size_t *n, uint64_t *line);

#endif
