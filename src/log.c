/*
 * log.c - leveled, structured, rate-limited logging (see log.h).
 *
 * Rate limiting: a fixed table of 256 slots keyed by a 64-bit hash of the
 * call site (file + line, or module + facility for routed library logs),
 * 4-way linear probing, the slot of the oldest second evicted when all four
 * are taken. A site's counter restarts every wall-clock second; records over
 * the burst are dropped and counted, and the count rides on the site's next
 * record. If the site never logs again the count is lost: acceptable for a
 * flood guard, and it keeps the logger free of timers. Cost of a record: one
 * mutex, one hash, formatting into a stack buffer of 8 KB (longer records are
 * cut) and one fwrite.
 */
#include "newsradar/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define RATE_SLOTS     256
#define RATE_PROBE     4
#define LINE_MAX_BYTES 8192

struct rate_slot {
    uint64_t key; /* 0 = empty */
    int64_t sec;
    unsigned count;      /* records seen in `sec` */
    unsigned suppressed; /* dropped and not yet reported */
};

static _Atomic int g_level = NR_LOG_INFO;
static enum nr_log_format g_format = NR_LOG_LOGFMT;
static unsigned g_burst = 10;
static FILE *g_out;
static int64_t (*g_clock)(void);
static struct rate_slot g_rate[RATE_SLOTS];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

int nr_log_level_parse(const char *s, enum nr_log_level *out)
{
    for (int i = NR_LOG_DEBUG; i <= NR_LOG_OFF; i++) {
        if (s && strcmp(s, level_names[i]) == 0) {
            *out = (enum nr_log_level)i;
            return 0;
        }
    }
    if (s && strcmp(s, "warning") == 0) {
        *out = NR_LOG_WARN;
        return 0;
    }
    return -1;
}

int nr_log_format_parse(const char *s, enum nr_log_format *out)
{
    if (s && strcmp(s, "logfmt") == 0)
        *out = NR_LOG_LOGFMT;
    else if (s && strcmp(s, "json") == 0)
        *out = NR_LOG_JSON;
    else
        return -1;
    return 0;
}

const char *nr_log_level_name(enum nr_log_level lvl)
{
    return (unsigned)lvl <= NR_LOG_OFF ? level_names[lvl] : "unknown";
}

void nr_log_set_level(enum nr_log_level lvl)
{
    atomic_store_explicit(&g_level, (int)lvl, memory_order_relaxed);
}

void nr_log_set_format(enum nr_log_format fmt)
{
    pthread_mutex_lock(&g_lock);
    g_format = fmt;
    pthread_mutex_unlock(&g_lock);
}

void nr_log_set_burst(unsigned per_second)
{
    pthread_mutex_lock(&g_lock);
    g_burst = per_second;
    pthread_mutex_unlock(&g_lock);
}

void nr_log_set_output(FILE *f)
{
    pthread_mutex_lock(&g_lock);
    g_out = f;
    pthread_mutex_unlock(&g_lock);
}

void nr_log_set_clock(int64_t (*now_ms)(void))
{
    pthread_mutex_lock(&g_lock);
    g_clock = now_ms;
    pthread_mutex_unlock(&g_lock);
}

void nr_log_reset(void)
{
    nr_log_set_level(NR_LOG_INFO);
    pthread_mutex_lock(&g_lock);
    g_format = NR_LOG_LOGFMT;
    g_burst = 10;
    g_out = NULL;
    g_clock = NULL;
    memset(g_rate, 0, sizeof(g_rate));
    pthread_mutex_unlock(&g_lock);
}

bool nr_log_enabled(enum nr_log_level lvl)
{
    return (int)lvl >= atomic_load_explicit(&g_level, memory_order_relaxed) && lvl < NR_LOG_OFF;
}

static int64_t real_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under g_lock. Returns false when the record must be dropped; otherwise
 * *report is the number dropped earlier at this site (then reset). */
static bool rate_admit(uint64_t key, int64_t now_ms, unsigned *report)
{
    *report = 0;
    if (g_burst == 0)
        return true;
    key |= 1; /* 0 marks an empty slot */
    int64_t sec = now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000;
    size_t h = (size_t)(key >> 8) % RATE_SLOTS;
    struct rate_slot *s = NULL, *oldest = NULL;
    for (size_t i = 0; i < RATE_PROBE; i++) {
        struct rate_slot *c = &g_rate[(h + i) % RATE_SLOTS];
        if (c->key == key) {
            s = c;
            break;
        }
        /* prefer an empty slot, else the one idle the longest */
        if (c->key == 0) {
            if (!oldest || oldest->key != 0)
                oldest = c;
        } else if (!oldest || (oldest->key != 0 && c->sec < oldest->sec)) {
            oldest = c;
        }
    }
    if (!s) {
        s = oldest;
        *s = (struct rate_slot){.key = key, .sec = sec};
    }
    if (s->sec != sec) {
        s->sec = sec;
        s->count = 0;
    }
    if (s->count >= g_burst) {
        s->suppressed++;
        return false;
    }
    s->count++;
    *report = s->suppressed;
    s->suppressed = 0;
    return true;
}

/* A bounded line builder; output past the end is dropped. */
struct line {
    char b[LINE_MAX_BYTES];
    size_t n;
};

static void put(struct line *l, const char *s, size_t n)
{
    size_t room = sizeof(l->b) - 1 - l->n; /* keep one byte for '\n' */
    if (n > room)
        n = room;
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void puts_(struct line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* JSON-style escaping, used inside quotes by both formats. Bytes of invalid
 * UTF-8 become '?' so a JSON line always parses. */
static void put_escaped(struct line *l, const char *s)
{
    size_t len = strlen(s);
    bool utf8 = nr_utf8_valid(s, len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];
        switch (c) {
        case '"':
            put(l, "\\\"", 2);
            break;
        case '\\':
            put(l, "\\\\", 2);
            break;
        case '\n':
            put(l, "\\n", 2);
            break;
        case '\r':
            put(l, "\\r", 2);
            break;
        case '\t':
            put(l, "\\t", 2);
            break;
        default:
            if (c < 0x20) {
                snprintf(tmp, sizeof(tmp), "\\u%04x", c);
                put(l, tmp, 6);
            } else if (c >= 0x80 && !utf8) {
                put(l, "?", 1);
            } else {
                put(l, (const char *)&s[i], 1);
            }
        }
    }
}

static bool logfmt_needs_quotes(const char *s)
{
    if (*s == '\0')
        return true;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c >= 0x80)
            return true;
    }
    return false;
}

static void put_field(struct line *l, bool first, const char *key, const char *value)
{
    if (g_format == NR_LOG_JSON) {
        put(l, first ? "{\"" : ",\"", 2);
        put_escaped(l, key);
        put(l, "\":\"", 3);
        put_escaped(l, value);
        put(l, "\"", 1);
        return;
    }
    if (!first)
        put(l, " ", 1);
    puts_(l, key);
    put(l, "=", 1);
    if (logfmt_needs_quotes(value)) {
        put(l, "\"", 1);
        put_escaped(l, value);
        put(l, "\"", 1);
    } else {
        puts_(l, value);
    }
}

static void emit(enum nr_log_level lvl, const char *module, const char *src, uint64_t site,
                 const struct nr_log_kv *kv, size_t nkv, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&g_lock);
    int64_t now = g_clock ? g_clock() : real_clock_ms();
    unsigned dropped;
    if (!rate_admit(site, now, &dropped)) {
        pthread_mutex_unlock(&g_lock);
        return;
    }
    char msg[4096];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    char ts[40];
    nr_time_format_rfc3339(now, ts, sizeof(ts));

    struct line l;
    l.n = 0;
    put_field(&l, true, "ts", ts);
    put_field(&l, false, "level", nr_log_level_name(lvl));
    put_field(&l, false, "module", module ? module : "-");
    if (src)
        put_field(&l, false, "src", src);
    put_field(&l, false, "msg", msg);
    for (size_t i = 0; i < nkv; i++)
        put_field(&l, false, kv[i].key, kv[i].value ? kv[i].value : "");
    if (dropped) {
        char n[24];
        snprintf(n, sizeof(n), "%u", dropped);
        put_field(&l, false, "suppressed", n);
    }
    if (g_format == NR_LOG_JSON) {
        /* a cut line must still close its object */
        if (l.n > sizeof(l.b) - 3)
            l.n = sizeof(l.b) - 3;
        put(&l, "}", 1);
    }
    l.b[l.n++] = '\n';
    FILE *out = g_out ? g_out : stderr;
    fwrite(l.b, 1, l.n, out);
    fflush(out);
    pthread_mutex_unlock(&g_lock);
}

void nr_log_write(enum nr_log_level lvl, const char *module, const char *file, int line,
                  const struct nr_log_kv *kv, size_t nkv, const char *fmt, ...)
{
    if (!nr_log_enabled(lvl))
        return;
    const char *base = file ? strrchr(file, '/') : NULL;
    base = base ? base + 1 : (file ? file : "?");
    char src[256];
    snprintf(src, sizeof(src), "%s:%d", base, line);
    uint64_t site = nr_hash64(src, strlen(src), 0x51);
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, module, src, site, kv, nkv, fmt, ap);
    va_end(ap);
}

static void emit_fixed(enum nr_log_level lvl, const char *module, uint64_t site,
                       const struct nr_log_kv *kv, size_t nkv, const char *fmt, ...)
    NR_PRINTF(6, 7);

static void emit_fixed(enum nr_log_level lvl, const char *module, uint64_t site,
                       const struct nr_log_kv *kv, size_t nkv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, module, NULL, site, kv, nkv, fmt, ap);
    va_end(ap);
}

void nr_log_syslog(int syslog_level, const char *module, const char *fac, const char *buf)
{
    enum nr_log_level lvl = syslog_level <= 3   ? NR_LOG_ERROR
                            : syslog_level == 4 ? NR_LOG_WARN
                            : syslog_level <= 6 ? NR_LOG_INFO
                                                : NR_LOG_DEBUG;
    if (!nr_log_enabled(lvl))
        return;
    module = module ? module : "lib";
    fac = fac ? fac : "";
    uint64_t site = nr_hash64(fac, strlen(fac), nr_hash64(module, strlen(module), 0x5e));
    struct nr_log_kv kv = {"fac", fac};
    emit_fixed(lvl, module, site, &kv, 1, "%s", buf ? buf : "");
}
