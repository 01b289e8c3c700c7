/*
 * log.h - leveled, structured, rate-limited logging to stderr.
 *
 * One line per record, logfmt or JSON lines:
 *
 *   ts=2024-03-01T12:00:00.000Z level=info module=kafka src=svc_kafka.c:88 msg="assigned"
 * topic=news
 *   {"ts":"2024-03-01T12:00:00.000Z","level":"info","module":"kafka","src":"svc_kafka.c:88","msg":"assigned","topic":"news"}
 *
 * The NR_LOG* macros test the level before any argument is formatted, so a
 * disabled debug line costs one load and a compare. Each call site (file:line,
 * or facility for routed librdkafka logs) may log at most `burst` records per
 * second (default 10); the excess is dropped and counted, and the site's
 * next record carries `suppressed=N`. Thread-safe (one mutex around the
 * rate table and the write); the output is unbuffered stderr by default.
 * The wall clock is read here, never in the engine.
 */
#ifndef NEWSRADAR_LOG_H
#define NEWSRADAR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "newsradar/common.h"

enum nr_log_level { NR_LOG_DEBUG, NR_LOG_INFO, NR_LOG_WARN, NR_LOG_ERROR, NR_LOG_OFF };
enum nr_log_format { NR_LOG_LOGFMT, NR_LOG_JSON };

/* An extra key=value pair (both NUL-terminated; value quoted as needed). */
struct nr_log_kv {
    const char *key;
    const char *value;
};

/* "debug|info|warn|error" / "logfmt|json"; 0, or -1 when unknown. */
int nr_log_level_parse(const char *s, enum nr_log_level *out);
int nr_log_format_parse(const char *s, enum nr_log_format *out);
const char *nr_log_level_name(enum nr_log_level lvl);

void nr_log_set_level(enum nr_log_level lvl);
void nr_log_set_format(enum nr_log_format fmt);
/* Records per second allowed per call site; 0 disables rate limiting. */
void nr_log_set_burst(unsigned per_second);
/* Where records go (default stderr); NULL restores stderr. Tests use this. */
void nr_log_set_output(FILE *f);
/* Clock in ms since the epoch (default: CLOCK_REALTIME); NULL restores it. */
void nr_log_set_clock(int64_t (*now_ms)(void));
/* Back to defaults: info, logfmt, burst 10, stderr, real clock, table empty. */
void nr_log_reset(void);

bool nr_log_enabled(enum nr_log_level lvl);

/* The function behind the macros; call it only through them (it formats
 * even when the level is disabled). kv may be NULL when nkv is 0. */
void nr_log_write(enum nr_log_level lvl, const char *module, const char *file, int line,
                  const struct nr_log_kv *kv, size_t nkv, const char *fmt, ...) NR_PRINTF(7, 8);

/* A log line from a library with syslog levels (0 emerg .. 7 debug), e.g.
 * librdkafka's log_cb(rk, level, fac, buf): routed under `module` with
 * fac=<fac>, rate-limited per facility. */
void nr_log_syslog(int syslog_level, const char *module, const char *fac, const char *buf);

#define NR_LOG(lvl, module, ...)                                                                   \
    do {                                                                                           \
        if (nr_log_enabled(lvl))                                                                   \
            nr_log_write((lvl), (module), __FILE__, __LINE__, NULL, 0, __VA_ARGS__);               \
    } while (0)

#define NR_LOG_KV(lvl, module, kv, nkv, ...)                                                       \
    do {                                                                                           \
        if (nr_log_enabled(lvl))                                                                   \
            nr_log_write((lvl), (module), __FILE__, __LINE__, (kv), (nkv), __VA_ARGS__);           \
    } while (0)

#define NR_DEBUG(module, ...) NR_LOG(NR_LOG_DEBUG, module, __VA_ARGS__)
#define NR_INFO(module, ...)  NR_LOG(NR_LOG_INFO, module, __VA_ARGS__)
#define NR_WARN(module, ...)  NR_LOG(NR_LOG_WARN, module, __VA_ARGS__)
#define NR_ERROR(module, ...) NR_LOG(NR_LOG_ERROR, module, __VA_ARGS__)

#endif
