/*
 * common.c - allocation, hashing, durations, RFC 3339 time and UTF-8
 * validation shared by the engine modules.
 */
#include "newsradar/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void nr_error_set(struct nr_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

static void *oom(size_t n)
{
    fprintf(stderr, "newsradar: out of memory (%zu bytes)\n", n);
    abort();
}

void *nr_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    return p ? p : oom(n);
}

void *nr_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    return p ? p : oom(n * size);
}

void *nr_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    return q ? q : oom(n);
}

char *nr_xstrdup(const char *s)
{
    return nr_xstrndup(s, strlen(s));
}

char *nr_xstrndup(const char *s, size_t n)
{
    char *p = nr_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void nr_grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    *v = nr_xrealloc(*v, c * elem);
    *cap = c;
}

static bool (*fault_fn)(size_t n, void *ud);
static void *fault_ud;

void nr_alloc_set_fault(bool (*fn)(size_t n, void *ud), void *ud)
{
    fault_fn = fn;
    fault_ud = ud;
}

void *nr_try_realloc(void *p, size_t n)
{
    if (fault_fn && fault_fn(n, fault_ud))
        return NULL;
    return realloc(p, n ? n : 1);
}

int nr_try_grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    if (elem == 0 || need > SIZE_MAX / 2 / elem)
        return -1;
    size_t c;
    if (need * elem >= ((size_t)1 << 20)) {
        c = need + need / 8;
    } else {
        c = *cap ? *cap : 8;
        while (c < need)
            c *= 2;
    }
    void *q = nr_try_realloc(*v, c * elem);
    if (!q)
        return -1;
    *v = q;
    *cap = c;
    return 0;
}

uint64_t nr_hash64(const void *p, size_t len, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    /* final avalanche (splitmix64) so that low bits are usable as buckets */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

int64_t nr_duration_parse(const char *s)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    int64_t v = 0;
    while (*s >= '0' && *s <= '9') {
        if (v > INT64_MAX / 100000000)
            return -1;
        v = v * 10 + (*s++ - '0');
    }
    int64_t unit;
    if (strcmp(s, "ms") == 0)
        unit = 1;
    else if (strcmp(s, "s") == 0)
        unit = 1000;
    else if (strcmp(s, "m") == 0)
        unit = 60 * 1000;
    else if (strcmp(s, "h") == 0)
        unit = 3600 * 1000;
    else if (strcmp(s, "d") == 0)
        unit = 86400 * 1000;
    else
        return -1;
    if (v > INT64_MAX / unit / 4)
        return -1;
    return v * unit;
}

void nr_duration_format(int64_t ms, char *buf, size_t len)
{
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; i < NR_ARRAY_LEN(units); i++) {
        if (ms != 0 && ms % units[i].ms == 0) {
            snprintf(buf, len, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
            return;
        }
    }
    snprintf(buf, len, "%lldms", (long long)ms);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
int64_t nr_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* The civil fields of "YYYY-MM-DDTHH:MM:SS" (T, t or a space) at s[0..19),
 * a valid date (leap years) and time (a leap second allowed). */
struct civil {
    int Y, M, D, h, m, sec;
};

static int parse_civil(const char *s, struct civil *c)
{
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return -1;
    if (digits(s, 4, &c->Y) || digits(s + 5, 2, &c->M) || digits(s + 8, 2, &c->D) ||
        digits(s + 11, 2, &c->h) || digits(s + 14, 2, &c->m) || digits(s + 17, 2, &c->sec))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (c->M < 1 || c->M > 12 || c->D < 1 || c->D > mdays[c->M - 1] || c->h > 23 || c->m > 59 ||
        c->sec > 60)
        return -1;
    bool leap = (c->Y % 4 == 0 && c->Y % 100 != 0) || c->Y % 400 == 0;
    if (c->M == 2 && c->D == 29 && !leap)
        return -1;
    return 0;
}

/* An optional ".ddd..." at s[*i] (at least one digit; milliseconds kept). */
static int parse_fraction(const char *s, size_t len, size_t *i, int64_t *frac_ms)
{
    *frac_ms = 0;
    if (*i >= len || s[*i] != '.')
        return 0;
    size_t k = *i + 1, start = k;
    int64_t scale = 100;
    while (k < len && s[k] >= '0' && s[k] <= '9') {
        *frac_ms += (s[k] - '0') * scale;
        scale /= 10;
        k++;
    }
    if (k == start)
        return -1;
    *i = k;
    return 0;
}

/* The zone at s[i..len): "Z" or "z", or "+HH:MM" / "-HH:MM" ending the
 * string; its offset from UTC in seconds. */
static int parse_zone(const char *s, size_t len, size_t i, int64_t *offset_s)
{
    *offset_s = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z'))
        return i + 1 == len ? 0 : -1;
    if (i + 6 != len || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
        return -1;
    int oh, om;
    if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
        return -1;
    *offset_s = (int64_t)(oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    return 0;
}

int nr_time_parse_rfc3339(const char *s, size_t len, int64_t *out_ms)
{
    struct civil c;
    size_t i = 19;
    int64_t frac_ms, offset_s;
    if (len < 20 || parse_civil(s, &c) || parse_fraction(s, len, &i, &frac_ms) ||
        parse_zone(s, len, i, &offset_s))
        return -1;
    int64_t days = nr_days_from_civil(c.Y, (unsigned)c.M, (unsigned)c.D);
    int64_t secs = days * 86400 + c.h * 3600 + c.m * 60 + (c.sec == 60 ? 59 : c.sec) - offset_s;
    *out_ms = secs * 1000 + frac_ms;
    return 0;
}

/* The civil date of day z since 1970-01-01 (Howard Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void nr_time_format_rfc3339(int64_t ms, char *buf, size_t len)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int64_t msr = ms - secs * 1000;
    int64_t z = (secs >= 0 ? secs / 86400 : (secs - 86399) / 86400);
    int64_t sod = secs - z * 86400, y;
    unsigned m, d;
    civil_from_days(z, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)msr);
}

int64_t nr_time_year(int64_t ms)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000, y;
    unsigned m, d;
    civil_from_days(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400, &y, &m, &d);
    return y;
}

#ifdef __SSE2__
/* One bit per lane of v whose bits under mask equal val. */
static inline unsigned lanes_masked(__m128i v, unsigned char mask, unsigned char val)
{
    return (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)mask)), _mm_set1_epi8((char)val)));
}

/* One bit per lane of v that is >= val (unsigned). */
static inline unsigned lanes_at_least(__m128i v, unsigned char val)
{
    return (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8((char)val)), v));
}
#endif

bool nr_utf8_valid(const char *p, size_t len)
{
    const unsigned char *s = (const unsigned char *)p, *e = s + len;
    while (s < e) {
#ifdef __SSE2__
        /* 16 bytes at a time, any mix of ASCII and 2-, 3- and 4-byte
         * sequences, with bit masks of the byte classes (one bit a lane):
         * the continuations must be exactly the lanes each lead promises
         * (1 after a 2-byte lead, 2 after a 3-byte one, 3 after a 4-byte
         * one), every byte >= 0x80 is a lead or a continuation, and the
         * overlong, surrogate and > U+10FFFF forms are ruled out by their
         * first two bytes (C0 C1; E0 < A0, ED >= A0; F0 < 90, F4 >= 90,
         * F5..FF). A sequence that crosses the block is left for the next
         * one (s stays at the start of a character). Anything the test
         * refuses goes to nr_utf8_seq below, which decides. Why: Cyrillic,
         * Arabic-script and CJK text ran the 8-byte tests or a scalar loop
         * once per character (~40 instructions a CJK character); this is
         * ~25 instructions per 16 bytes of 2-byte text, ~50 of any other. */
        while (e - s >= 16) {
            const __m128i v = _mm_loadu_si128((const __m128i *)s);
            const unsigned hi = (unsigned)_mm_movemask_epi8(v);
            if (!hi) {
                s += 16;
                continue;
            }
            const unsigned cont = lanes_masked(v, 0xC0, 0x80);
            unsigned l2 = lanes_masked(v, 0xE0, 0xC0);
            if (!(hi & ~(cont | l2))) {
                /* ASCII and 2-byte sequences only (Latin, Cyrillic,
                 * Greek, Hebrew, Arabic script): the test is shorter */
                const unsigned lead = l2 & ~lanes_masked(v, 0xFE, 0xC0);
                if ((cont | lead) != hi || cont != ((lead << 1) & 0xFFFFu))
                    break;
                s += (lead & 0x8000u) ? 15 : 16;
                continue;
            }
            unsigned l3 = lanes_masked(v, 0xF0, 0xE0), l4 = lanes_masked(v, 0xF8, 0xF0);
            /* lanes before the first sequence that crosses the block */
            const unsigned cross = (l2 & 0x8000u) | (l3 & 0xC000u) | (l4 & 0xE000u);
            const unsigned take = cross ? (unsigned)__builtin_ctz(cross) : 16;
            const unsigned m = (1u << take) - 1;
            l2 &= m, l3 &= m, l4 &= m;
            const unsigned want = l2 << 1 | l3 << 1 | l3 << 2 | l4 << 1 | l4 << 2 | l4 << 3;
            if (want != (cont & m) || ((l2 | l3 | l4 | cont) & m) != (hi & m) ||
                (lanes_masked(v, 0xFE, 0xC0) & m))
                break;
            if (l3) {
                const unsigned a0 = lanes_at_least(v, 0xA0) >> 1; /* the next byte is >= A0 */
                if ((lanes_masked(v, 0xFF, 0xE0) & l3 & ~a0) |
                    (lanes_masked(v, 0xFF, 0xED) & l3 & a0))
                    break;
            }
            if (l4) {
                const unsigned b90 = lanes_at_least(v, 0x90) >> 1;
                if ((lanes_masked(v, 0xFF, 0xF0) & l4 & ~b90) |
                    (lanes_masked(v, 0xFF, 0xF4) & l4 & b90) | (lanes_at_least(v, 0xF5) & l4))
                    break;
            }
            s += take;
        }
#endif
        /* ASCII fast path, 8 bytes at a time; and 8 bytes of four 2-byte
         * sequences (Latin-1 to Arabic: most of Cyrillic, Greek, Hebrew,
         * Arabic-script text) checked in one test: leads 110xxxxx and not
         * C0/C1 (overlong), continuations 10xxxxxx. Lead bytes are the
         * even bytes, the low byte of each 16-bit lane (little-endian). */
        while (e - s >= 8) {
            uint64_t w;
            memcpy(&w, s, 8);
            if (w & 0x8080808080808080ULL) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                uint64_t t = w & 0x001E001E001E001EULL; /* lead bits that C0/C1 lack */
                if ((w & 0xC0E0C0E0C0E0C0E0ULL) == 0x80C080C080C080C0ULL &&
                    ((t + 0x7FFF7FFF7FFF7FFFULL) & 0x8000800080008000ULL) ==
                        0x8000800080008000ULL) {
                    s += 8;
                    continue;
                }
#endif
                break;
            }
            s += 8;
        }
        if (s >= e)
            break;
        size_t n = nr_utf8_seq(s, (size_t)(e - s));
        if (!n)
            return false;
        s += n;
        /* a run of 3-byte sequences (CJK text and its punctuation) is
         * checked here, as nr_utf8_seq would, instead of failing the tests
         * above once per character */
        while (e - s >= 3 && (s[0] & 0xF0) == 0xE0) {
            unsigned c1 = s[1], c2 = s[2];
            uint32_t cp = (s[0] & 0x0Fu) << 12 | (c1 & 0x3Fu) << 6 | (c2 & 0x3Fu);
            if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 || cp < 0x800 ||
                (cp >= 0xD800 && cp <= 0xDFFF))
                return false;
            s += 3;
        }
    }
    return true;
}

int64_t nr_clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double nr_clock_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
