/*
 * common.h - small types shared by every engine module.
 *
 * Strings that point into a buffer owned by someone else are `struct nr_str`
 * (pointer + length, not NUL-terminated). Times are milliseconds since the
 * Unix epoch (UTC) in an int64_t; NR_TIME_NONE marks "unknown". The engine
 * never reads the wall clock: callers pass time in.
 */
#ifndef NEWSRADAR_COMMON_H
#define NEWSRADAR_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NR_TIME_NONE INT64_MIN

#define NR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct nr_str {
    const char *p;
    size_t len;
};

/* A single error for a caller that must say why (functions return 0 / -1). */
struct nr_error {
    char msg[512];
};

#if defined(__GNUC__)
#define NR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NR_PRINTF(a, b)
#endif

void nr_error_set(struct nr_error *err, const char *fmt, ...) NR_PRINTF(2, 3);

/* Allocation that aborts on exhaustion: the engine's memory is capped by
 * configuration, so running out of address space is not an input error. */
void *nr_xmalloc(size_t n);
void *nr_xcalloc(size_t n, size_t size);
void *nr_xrealloc(void *p, size_t n);
char *nr_xstrdup(const char *s);
char *nr_xstrndup(const char *s, size_t n);

/* Grow *v (of *cap elements of size elem) so that it holds at least need. */
void nr_grow(void **v, size_t *cap, size_t need, size_t elem);

/* Fallible allocation for the buffers that grow with one article (decoder
 * tokens and strings, normalized text, the input buffer): NULL / -1 when
 * memory runs out, *v and *cap unchanged, so the caller rejects that
 * article as too_large and the run goes on. nr_try_grow doubles small
 * buffers and grows large ones (>= 1 MiB) by an eighth beyond need, so a
 * big article costs close to its size, not the next power of two. */
void *nr_try_realloc(void *p, size_t n);
int nr_try_grow(void **v, size_t *cap, size_t need, size_t elem);
/* Tests: nr_try_realloc() fails whenever fn(n, ud) returns true (fault
 * injection); NULL restores normal allocation. Not thread-safe. */
void nr_alloc_set_fault(bool (*fn)(size_t n, void *ud), void *ud);

/* 64-bit FNV-1a, used for stable ids (alert ids, article id hashes). */
uint64_t nr_hash64(const void *p, size_t len, uint64_t seed);

/* The 64-bit finalizer of MurmurHash3 (fmix64): every input bit reaches
 * every output bit; for hashes built a word at a time. */
static inline uint64_t nr_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Parse "90s", "15m", "1h", "7d" (also "500ms") into milliseconds; -1 on error. */
int64_t nr_duration_parse(const char *s);
/* Format milliseconds as the shortest of the forms above ("1h", "90s"). */
void nr_duration_format(int64_t ms, char *buf, size_t len);

/* RFC 3339 timestamp ("2024-03-01T12:00:00Z", fractional seconds and
 * numeric offsets allowed) to epoch ms; -1 on error. */
int nr_time_parse_rfc3339(const char *s, size_t len, int64_t *out_ms);
/* Days from 1970-01-01 to y-m-d (m 1-12, d 1-31) in the proleptic Gregorian
 * calendar (Howard Hinnant's days_from_civil). */
int64_t nr_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Epoch ms to "2024-03-01T12:00:00.000Z" (buf >= 32 bytes). */
void nr_time_format_rfc3339(int64_t ms, char *buf, size_t len);
int64_t nr_time_year(int64_t ms); /* the UTC calendar year of ms since the epoch */

/* Clocks for the drivers (commands, service, progress lines). The engine
 * never calls them: it is handed event and arrival times (style.md). */
int64_t nr_clock_wall_ms(void); /* CLOCK_REALTIME, ms since the epoch */
double nr_clock_mono_s(void);   /* CLOCK_MONOTONIC, seconds */

/* Is [p, p+len) valid UTF-8 (no overlongs, no surrogates)? */
/* Length of the valid UTF-8 sequence at s (n > 0 bytes left), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF (as jansson).
 * The one UTF-8 reader: nr_utf8_valid, the alert JSON and the report use it. */
static inline size_t nr_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c < 0xc2)
        return 0;
    if (c < 0xe0) {
        len = 2;
        cp = c & 0x1f;
    } else if (c < 0xf0) {
        len = 3;
        cp = c & 0x0f;
    } else if (c < 0xf5) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

bool nr_utf8_valid(const char *p, size_t len);

#endif
