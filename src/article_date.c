/*
 * article_date.c - read the published date of an article in the forms real
 * feeds use (docs/article.md lists them with examples).
 *
 * Forms are tried in a fixed order, each one a strict parser of its own
 * (no sscanf, no strptime: both accept more than they say and strptime
 * depends on the locale):
 *
 *   1. a JSON number, or a string of ASCII digits (optionally with a
 *      fraction): exactly 4 digits are a year alone, which is not a time of
 *      publication (as epoch seconds it would be 1970-01-01 00:33; as Jan 1
 *      it would be months late or move stream time by months), so it is
 *      unreadable; exactly 8 or 14 digits that make a valid date of the
 *      years 1900-2999 are `YYYYMMDD[HHMMSS]` in the default zone (GDELT writes them; as epoch
 *      values they would be 1970-1973 seconds or year-2500 milliseconds);
 *      else Unix epoch, below 1e11 seconds, from 1e11 milliseconds (1e11 s
 *      would be the year 5138, 1e11 ms is 1973);
 *   2. ISO 8601 / RFC 3339 with dashes: `YYYY-MM-DD`, then optionally `T` or
 *      a space and `HH:MM[:SS[.frac]]`, then optionally a zone `Z`, `+HH:MM`,
 *      `+HHMM`, `+HH` or ` UTC`/` GMT`;
 *   3. ISO 8601 basic: `YYYYMMDDTHHMM[SS]` with an optional zone (GDELT's
 *      `20240301T093000Z`);
 *   4. RFC 2822 / RFC 822 (RSS): `[Mon, ]06 Jun 2016 10:00[:00] ZONE` with a
 *      numeric zone or a name, a two-digit year read as 19xx/20xx (RFC 5322
 *      sec. 4.3).
 *
 * Zone names (zone_names below, docs/article.md): those of RFC 2822 sec. 4.3
 * (UT, GMT, Z, EST/EDT, CST/CDT, MST/MDT, PST/PDT) with their RFC meaning,
 * plus UTC and names news sites in Europe and South Asia write (CET/CEST,
 * EET/EEST, WET/WEST, BST as British Summer Time, PKT, MSK, JST). A name
 * that means several offsets (IST: India +05:30, Irish +01:00, Israel
 * +02:00) is unreadable, never a guess; so is an unknown name. Either way the
 * reason goes into the caller's warning.
 *
 * A date or time without a zone is in the default zone (article.
 * default_timezone, a fixed offset; UTC by default). Only fixed offsets are
 * supported: an IANA zone needs the tz database read from disk and the
 * process-wide TZ of localtime(3), neither of which belongs in the engine.
 * Cost: one pass over at most ~40 bytes, no allocation.
 */
#include "newsradar/article.h"

#include <string.h>

#define EPOCH_MS_FROM 100000000000.0 /* numbers at or above are milliseconds */
#define YEAR_MAX      9999

struct cur {
    const char *s;
    size_t i, n;
    const char *why; /* a reason more precise than "not a date", or NULL */
    char zone[8];    /* the zone name that `why` is about */
};

static bool at_end(const struct cur *c)
{
    return c->i >= c->n;
}

static char peek(const struct cur *c)
{
    return c->i < c->n ? c->s[c->i] : '\0';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Exactly k digits. */
static bool num(struct cur *c, int k, int *out)
{
    int v = 0;
    for (int j = 0; j < k; j++) {
        if (c->i >= c->n || !is_digit(c->s[c->i]))
            return false;
        v = v * 10 + (c->s[c->i++] - '0');
    }
    *out = v;
    return true;
}

/* A whole run of digits, min to max of them, into *out and its length
 * into *len; false (past the run) when it is shorter or longer. */
static bool run_num(struct cur *c, size_t min, size_t max, int *out, size_t *len)
{
    size_t d0 = c->i;
    while (is_digit(peek(c)))
        c->i++;
    *len = c->i - d0;
    if (*len < min || *len > max)
        return false;
    int v = 0;
    for (size_t k = d0; k < c->i; k++)
        v = v * 10 + (c->s[k] - '0');
    *out = v;
    return true;
}

static bool eat(struct cur *c, char ch)
{
    if (peek(c) != ch)
        return false;
    c->i++;
    return true;
}

static void skip_spaces(struct cur *c)
{
    while (peek(c) == ' ' || peek(c) == '\t')
        c->i++;
}

struct civil {
    int Y, M, D, h, m, sec;
    int64_t frac_ms;
    bool has_zone;
    int32_t off_s; /* east of UTC */
};

static bool civil_ok(const struct civil *t)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (t->Y < 1 || t->Y > YEAR_MAX || t->M < 1 || t->M > 12 || t->D < 1 ||
        t->D > mdays[t->M - 1] || t->h > 23 || t->m > 59 || t->sec > 60)
        return false;
    bool leap = (t->Y % 4 == 0 && t->Y % 100 != 0) || t->Y % 400 == 0;
    return !(t->M == 2 && t->D == 29 && !leap);
}

static int64_t civil_ms(const struct civil *t, int32_t default_off_s)
{
    int64_t days = nr_days_from_civil(t->Y, (unsigned)t->M, (unsigned)t->D);
    int64_t off = t->has_zone ? t->off_s : default_off_s;
    int64_t secs = days * 86400 + t->h * 3600 + t->m * 60 + (t->sec == 60 ? 59 : t->sec) - off;
    return secs * 1000 + t->frac_ms;
}

/* ".123" or ",123" (ISO 8601 allows both); digits past milliseconds are
 * read and dropped. */
static bool fraction(struct cur *c, int64_t *ms)
{
    *ms = 0;
    if (peek(c) != '.' && peek(c) != ',')
        return true;
    c->i++;
    size_t start = c->i;
    int64_t scale = 100;
    while (is_digit(peek(c))) {
        *ms += (c->s[c->i] - '0') * scale;
        scale /= 10;
        c->i++;
    }
    return c->i > start;
}

/* Numeric zone after the sign: HH, HHMM or HH:MM. */
static bool num_zone(struct cur *c, int32_t *off_s)
{
    int sign = c->s[c->i] == '-' ? -1 : 1;
    int oh, om = 0;
    c->i++;
    if (!num(c, 2, &oh))
        return false;
    if (eat(c, ':')) {
        if (!num(c, 2, &om))
            return false;
    } else if (is_digit(peek(c)) && !num(c, 2, &om)) {
        return false;
    }
    if (oh > 23 || om > 59)
        return false;
    *off_s = sign * (oh * 3600 + om * 60);
    return true;
}

static bool word_ci(const struct cur *c, const char *w)
{
    size_t l = strlen(w);
    if (c->n - c->i < l)
        return false;
    for (size_t j = 0; j < l; j++) {
        char a = c->s[c->i + j];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != w[j])
            return false;
    }
    return true;
}

/* Zone names and their offsets, in quarter hours east of UTC. */
static const struct {
    const char *name;
    int q; /* quarter hours */
} zone_names[] = {
    /* RFC 2822 sec. 4.3, plus UTC */
    {"utc", 0},
    {"gmt", 0},
    {"ut", 0},
    {"z", 0},
    {"est", -5 * 4},
    {"edt", -4 * 4},
    {"cst", -6 * 4},
    {"cdt", -5 * 4},
    {"mst", -7 * 4},
    {"mdt", -6 * 4},
    {"pst", -8 * 4},
    {"pdt", -7 * 4},
    /* common in news dates; each means one offset in practice */
    {"wet", 0},
    {"west", 1 * 4},
    {"bst", 1 * 4}, /* British Summer Time (not Bangladesh, which writes +06) */
    {"cet", 1 * 4},
    {"cest", 2 * 4},
    {"eet", 2 * 4},
    {"eest", 3 * 4},
    {"msk", 3 * 4},
    {"pkt", 5 * 4},
    {"jst", 9 * 4},
};

/* Names with several meanings: read as none of them. */
static const char *const zone_ambiguous[][2] = {
    {"ist", "is ambiguous (India +05:30, Irish +01:00 or Israel +02:00); write the offset"},
    {"ast", "is ambiguous (Atlantic -04:00 or Arabia +03:00); write the offset"},
};

/* A zone name: letters up to the end of the text. Sets c->why for a name
 * that is ambiguous or unknown. */
static bool named_zone(struct cur *c, int32_t *off_s)
{
    size_t l = 0;
    while (c->i + l < c->n && ((c->s[c->i + l] >= 'a' && c->s[c->i + l] <= 'z') ||
                               (c->s[c->i + l] >= 'A' && c->s[c->i + l] <= 'Z')))
        l++;
    if (l == 0 || c->i + l != c->n)
        return false;
    for (size_t k = 0; k < NR_ARRAY_LEN(zone_names); k++) {
        if (strlen(zone_names[k].name) == l && word_ci(c, zone_names[k].name)) {
            c->i += l;
            *off_s = zone_names[k].q * 900;
            return true;
        }
    }
    size_t zl = l < sizeof(c->zone) - 1 ? l : sizeof(c->zone) - 1;
    memcpy(c->zone, c->s + c->i, zl);
    c->zone[zl] = '\0';
    c->why = l <= 5 ? "is not a zone name this build reads (docs/article.md lists them)" : NULL;
    for (size_t k = 0; k < NR_ARRAY_LEN(zone_ambiguous); k++)
        if (strlen(zone_ambiguous[k][0]) == l && word_ci(c, zone_ambiguous[k][0]))
            c->why = zone_ambiguous[k][1];

    return false;
}

/* An optional zone, then the end of the text. */
static bool zone_end(struct cur *c, struct civil *t)
{
    size_t before = c->i;
    skip_spaces(c);
    if (at_end(c)) {
        c->i = before;
        return true;
    }
    char ch = peek(c);
    if (ch == '+' || ch == '-') {
        if (!num_zone(c, &t->off_s))
            return false;
        t->has_zone = true;
    } else if (named_zone(c, &t->off_s)) {
        t->has_zone = true;
    } else {
        return false;
    }
    skip_spaces(c);
    return at_end(c);
}

/* HH:MM[:SS[.frac]] */
static bool clock_ext(struct cur *c, struct civil *t)
{
    if (!num(c, 2, &t->h) || !eat(c, ':') || !num(c, 2, &t->m))
        return false;
    if (eat(c, ':') && !num(c, 2, &t->sec))
        return false;
    return fraction(c, &t->frac_ms);
}

/* Form 2: YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][zone] */
static bool iso_extended(struct cur *c, struct civil *t)
{
    if (!num(c, 4, &t->Y) || !eat(c, '-') || !num(c, 2, &t->M) || !eat(c, '-') || !num(c, 2, &t->D))
        return false;
    if (at_end(c))
        return true;
    char sep = peek(c);
    if (sep == 'T' || sep == 't' || (sep == ' ' && c->i + 1 < c->n && is_digit(c->s[c->i + 1]))) {
        c->i++;
        if (!clock_ext(c, t))
            return false;
        if (peek(c) == 'Z' || peek(c) == 'z') {
            c->i++;
            t->has_zone = true;
            t->off_s = 0;
            return at_end(c);
        }
    }
    return zone_end(c, t);
}

/* Form 3: YYYYMMDDTHHMM[SS][zone] */
static bool iso_basic(struct cur *c, struct civil *t)
{
    if (!num(c, 4, &t->Y) || !num(c, 2, &t->M) || !num(c, 2, &t->D))
        return false;
    if (!eat(c, 'T') && !eat(c, 't'))
        return false;
    if (!num(c, 2, &t->h) || !num(c, 2, &t->m))
        return false;
    if (is_digit(peek(c)) && !num(c, 2, &t->sec))
        return false;
    if (!fraction(c, &t->frac_ms))
        return false;
    if (peek(c) == 'Z' || peek(c) == 'z') {
        c->i++;
        t->has_zone = true;
        return at_end(c);
    }
    return zone_end(c, t);
}

static int month_name(struct cur *c)
{
    static const char *const mon[] = {"january",   "february", "march",    "april",
                                      "may",       "june",     "july",     "august",
                                      "september", "october",  "november", "december"};
    for (int k = 0; k < 12; k++) {
        size_t full = strlen(mon[k]);
        if (word_ci(c, mon[k])) {
            c->i += full;
            return k + 1;
        }
    }
    for (int k = 0; k < 12; k++) {
        char ab[4] = {mon[k][0], mon[k][1], mon[k][2], '\0'};
        if (word_ci(c, ab)) {
            c->i += 3;
            eat(c, '.');
            return k + 1;
        }
    }
    return 0;
}

/* Form 4: [Day[,]] DD Mon YYYY HH:MM[:SS] [zone] */
static bool rfc2822(struct cur *c, struct civil *t)
{
    skip_spaces(c);
    /* an optional day name: letters, then an optional comma */
    size_t w = c->i;
    while (w < c->n && ((c->s[w] >= 'a' && c->s[w] <= 'z') || (c->s[w] >= 'A' && c->s[w] <= 'Z')))
        w++;
    if (w > c->i) {
        if (w - c->i < 3)
            return false;
        c->i = w;
        eat(c, '.');
        eat(c, ',');
        skip_spaces(c);
    }
    size_t len;
    if (!run_num(c, 1, 2, &t->D, &len))
        return false;
    skip_spaces(c);
    if (!(t->M = month_name(c)))
        return false;
    skip_spaces(c);
    if (!run_num(c, 2, 4, &t->Y, &len) || len == 3)
        return false;
    if (len == 2)
        t->Y += t->Y < 50 ? 2000 : 1900;
    skip_spaces(c);
    if (at_end(c))
        return true; /* a date alone */
    if (!run_num(c, 1, 2, &t->h, &len))
        return false;
    if (!eat(c, ':') || !num(c, 2, &t->m))
        return false;
    if (eat(c, ':') && !num(c, 2, &t->sec))
        return false;
    return zone_end(c, t);
}

/* Form 1: digits[.digits] as a string, or a JSON number. */
static int epoch(const char *s, size_t n, bool json_number, int64_t *out_ms)
{
    size_t i = 0;
    double v = 0;
    if (json_number && i < n && s[i] == '-')
        return -1; /* before 1970: not a news date */
    while (i < n && is_digit(s[i]))
        v = v * 10 + (s[i++] - '0');
    if (i == 0 || v > 1e17)
        return -1;
    double frac = 0, scale = 0.1;
    if (i < n && s[i] == '.') {
        size_t f0 = ++i;
        while (i < n && is_digit(s[i])) {
            frac += (s[i++] - '0') * scale;
            scale /= 10;
        }
        if (i == f0)
            return -1;
    }
    if (i != n)
        return -1; /* JSON exponents (1.4e9) are not dates anyone writes */
    v += frac;
    double ms = v >= EPOCH_MS_FROM ? v : v * 1000.0;
    if (ms > 253402300799999.0)
        return -1;
    *out_ms = (int64_t)ms;
    return 0;
}

static bool four_digits(const char *s, size_t n)
{
    if (n != 4)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

int nr_article_date_parse(const char *s, size_t len, bool json_number, int32_t default_off_s,
                          int64_t *out_ms, struct nr_error *why)
{
    if (why)
        why->msg[0] = '\0';
    /* surrounding white space is common in scraped feeds */
    while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        len--;
    }
    while (len > 0 &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    if (len == 0 || len > 64)
        return -1;
    if (four_digits(s, len)) {
        nr_error_set(why, "a year alone is not a time of publication");
        return -1;
    }
    if (len == 8 || len == 14) {
        struct cur c = {s, 0, len, NULL, ""};
        struct civil t = {0};
        if (num(&c, 4, &t.Y) && num(&c, 2, &t.M) && num(&c, 2, &t.D) &&
            (len == 8 || (num(&c, 2, &t.h) && num(&c, 2, &t.m) && num(&c, 2, &t.sec))) &&
            t.Y >= 1900 && t.Y <= 2999 && civil_ok(&t)) {
            *out_ms = civil_ms(&t, default_off_s);
            return 0;
        }
    }
    if (json_number)
        return epoch(s, len, true, out_ms);
    if (epoch(s, len, false, out_ms) == 0)
        return 0;
    typedef bool (*form_fn)(struct cur *, struct civil *);
    static const form_fn forms[] = {iso_extended, iso_basic, rfc2822};
    for (size_t k = 0; k < NR_ARRAY_LEN(forms); k++) {
        struct cur c = {s, 0, len, NULL, ""};
        struct civil t = {0};
        if (forms[k](&c, &t) && at_end(&c) && civil_ok(&t)) {
            *out_ms = civil_ms(&t, default_off_s);
            return 0;
        }
        if (c.why && why && !why->msg[0])
            nr_error_set(why, "zone \"%s\" %s", c.zone, c.why);
    }
    return -1;
}

int nr_article_tz_parse(const char *s, int32_t *off_s)
{
    struct cur c = {s, 0, strlen(s), NULL, ""};
    *off_s = 0;
    if (c.n == 0)
        return 0;
    if (peek(&c) == '+' || peek(&c) == '-')
        return num_zone(&c, off_s) && at_end(&c) ? 0 : -1;
    return named_zone(&c, off_s) ? 0 : -1;
}
