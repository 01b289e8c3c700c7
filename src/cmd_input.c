/*
 * cmd_input.c - cut a file into JSON texts for `replay` and `tag`.
 *
 * Real files are JSONL (one article per line), pretty-printed objects one
 * after another (a JSON text stream, what `jq .` writes), a JSON array or an
 * envelope over many lines, sometimes with a UTF-8 byte order mark. One
 * scanner serves them all: a text starts at its first non-blank byte; one
 * that starts with `{` or `[` ends where its brackets close (strings and
 * escapes tracked), one that starts with anything else ends at the end of
 * the line (the decoder then says what is wrong with it). After a closed
 * text, the rest of its line is kept with it unless it starts another text,
 * so `{...} junk` is still one bad line, and `{...}{...}` two texts.
 *
 * A broken line must not swallow the file: a raw newline inside a string
 * (never valid JSON) ends the text there, and so does a line that starts at
 * column 0 with `{` while brackets are still open (pretty-printers indent
 * everything inside the top-level value, so that is the next article after
 * a line cut short). Each text carries the line it starts on, for messages.
 *
 * Memory: one buffer, grown to the longest text up to `limit`; a longer
 * text is skipped as it streams past (its scanner state kept, its bytes
 * dropped), so a multi-gigabyte line costs one buffer, not its size.
 */
#include "cmd_input.h"

#include "newsradar/common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void input_init(struct input *in, int fd, size_t limit)
{
    memset(in, 0, sizeof(*in));
    in->fd = fd;
    in->limit = limit;
    in->cap = 64 * 1024;
    in->buf = nr_xmalloc(in->cap);
}

void input_free(struct input *in)
{
    free(in->buf);
    in->buf = NULL;
}

/* Read more: keep buf[beg, end) (moved to the front), grow when full.
 * -2: the buffer could not grow (memory); the caller drops the text. */
static int fill(struct input *in)
{
    if (in->eof)
        return 0;
    if (in->beg > 0) {
        memmove(in->buf, in->buf + in->beg, in->end - in->beg);
        in->end -= in->beg;
        in->beg = 0;
    }
    if (in->end == in->cap) {
        /* double, but not far past the longest text kept whole */
        size_t c = in->cap * 2;
        if (c > in->limit + 65536 && in->limit + 65536 > in->cap)
            c = in->limit + 65536;
        char *b = nr_try_realloc(in->buf, c);
        if (!b)
            return -2;
        in->buf = b;
        in->cap = c;
    }
    ssize_t got;
    do {
        got = read(in->fd, in->buf + in->end, in->cap - in->end);
        if (got < 0 && errno == EINTR && in->stop && *in->stop)
            return -1;
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return -1;
    if (got == 0)
        in->eof = true;
    in->end += (size_t)got;
    return (int)(got > 0);
}

static bool blank_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip blank bytes and lines (and a byte order mark at the very start). */
static int skip_blank(struct input *in)
{
    if (!in->started) {
        while (in->end - in->beg < 3 && !in->eof)
            if (fill(in) < 0)
                return INPUT_ERROR;
        in->started = true;
        if (in->end - in->beg >= 3 && memcmp(in->buf + in->beg, "\xEF\xBB\xBF", 3) == 0) {
            in->beg += 3;
            in->bytes += 3;
        }
    }
    for (;;) {
        while (in->beg < in->end && blank_byte(in->buf[in->beg])) {
            in->line += in->buf[in->beg] == '\n';
            in->beg++;
            in->bytes++;
        }
        if (in->beg < in->end)
            return INPUT_OK;
        if (in->eof)
            return INPUT_EOF;
        if (fill(in) < 0)
            return INPUT_ERROR;
    }
}

enum mode { M_BRACKETS, M_REST_OF_LINE, M_AFTER };

struct scan {
    enum mode mode;
    int depth;
    bool str, esc, nl_open; /* nl_open: a newline seen with brackets open */
    size_t end;             /* the text's length once known */
};

/* Look at byte c at offset i of the text; returns 1 when the text ends:
 * *len is its length, *used the bytes consumed (the text and what follows
 * it on its line). */
static int step(struct scan *s, char c, size_t i, size_t *len, size_t *used, uint64_t *lines)
{
    switch (s->mode) {
    case M_BRACKETS:
        if (s->nl_open) {
            s->nl_open = false;
            if (c == '{') { /* the next article after a line cut short */
                *len = i - 1;
                *used = i;
                return 1;
            }
        }
        if (s->str) {
            if (s->esc)
                s->esc = false;
            else if (c == '\\')
                s->esc = true;
            else if (c == '"')
                s->str = false;
            else if (c == '\n') { /* raw newline in a string: broken line */
                (*lines)++;
                *len = i;
                *used = i + 1;
                return 1;
            }
            return 0;
        }
        if (c == '"') {
            s->str = true;
        } else if (c == '{' || c == '[') {
            s->depth++;
        } else if (c == '}' || c == ']') {
            if (--s->depth <= 0) {
                s->mode = M_AFTER;
                s->end = i + 1;
            }
        } else if (c == '\n') {
            (*lines)++;
            s->nl_open = true;
        }
        return 0;
    case M_AFTER:
        if (c == ' ' || c == '\t' || c == '\r')
            return 0;
        if (c == '\n') {
            (*lines)++;
            *len = s->end;
            *used = i + 1;
            return 1;
        }
        if (c == '{' || c == '[') { /* another text on the same line */
            *len = s->end;
            *used = i;
            return 1;
        }
        s->mode = M_REST_OF_LINE; /* junk after the value: keep it with it */
        return 0;
    case M_REST_OF_LINE:
        if (c == '\n') {
            (*lines)++;
            *len = i;
            *used = i + 1;
            return 1;
        }
        return 0;
    }
    return 0;
}

int input_next(struct input *in, char **p, size_t *n, uint64_t *line)
{
    int r = skip_blank(in);
    if (r != INPUT_OK)
        return r;
    *line = in->line + 1;
    in->oom = false;
    char first = in->buf[in->beg];
    struct scan s = {.mode = first == '{' || first == '[' ? M_BRACKETS : M_REST_OF_LINE};
    size_t i = 0, dropped = 0, len = 0, used = 0;
    uint64_t lines = 0;
    bool dropping = false;
    for (;;) {
        for (; in->beg + i < in->end; i++)
            if (step(&s, in->buf[in->beg + i], dropped + i, &len, &used, &lines))
                goto done;
        if (in->eof) {
            len = s.mode == M_AFTER ? s.end : dropped + i;
            used = dropped + i;
            goto done;
        }
        int f = 0;
        if (i <= in->limit && (f = fill(in)) != -2) {
            if (f < 0)
                return INPUT_ERROR;
            continue;
        }
        /* too long, or too large for memory: forget the bytes, keep the
         * scanner's state (the text is reported as too long) */
        in->oom |= f == -2;
        dropping = true;
        dropped += i;
        in->bytes += i;
        in->beg = in->end;
        i = 0;
        if (fill(in) < 0)
            return INPUT_ERROR;
    }
done:
    in->line += lines;
    *p = in->buf + in->beg;
    *n = len;
    size_t here = used - dropped; /* bytes of this buffer consumed */
    in->beg += here;
    in->bytes += here;
    while (!dropping && *n > 0 && blank_byte((*p)[*n - 1]))
        (*n)--;
    return dropping || len > in->limit ? INPUT_TOO_LONG : INPUT_OK;
}
