/*
 * test_log.c - the logger: levels (checked before formatting), logfmt and
 * JSON lines, quoting, file:line, rate limiting per call site with the
 * suppressed count, and the syslog-level hook for librdkafka.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "newsradar/log.h"

static int64_t fake_now = 1709294400000LL; /* 2024-03-01T12:00:00Z */
static int64_t fake_clock(void)
{
    return fake_now;
}

static FILE *out;

static int setup(void **state)
{
    (void)state;
    nr_log_reset();
    out = tmpfile();
    fake_now = 1709294400000LL;
    nr_log_set_output(out);
    nr_log_set_clock(fake_clock);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nr_log_reset();
    fclose(out);
    return 0;
}

/* Everything written since the last call, as a malloc'd string. */
static char *take(void)
{
    long n = ftell(out);
    char *s = malloc((size_t)n + 1);
    rewind(out);
    size_t got = fread(s, 1, (size_t)n, out);
    s[got] = '\0';
    rewind(out);
    if (ftruncate(fileno(out), 0) != 0)
        fail_msg("ftruncate");
    return s;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int side_effects;
static int touch(void)
{
    return ++side_effects;
}

static void test_logfmt(void **state)
{
    (void)state;
    int line = __LINE__ + 1;
    NR_INFO("kafka", "assigned %d partitions", 3);
    char *s = take();
    char want[256];
    snprintf(want, sizeof(want),
             "ts=2024-03-01T12:00:00.000Z level=info module=kafka src=test_log.c:%d "
             "msg=\"assigned 3 partitions\"\n",
             line);
    assert_string_equal(s, want);
    free(s);

    struct nr_log_kv kv[] = {{"topic", "news"}, {"note", "a \"quoted\" = value"}, {"e", ""}};
    NR_LOG_KV(NR_LOG_WARN, "engine", kv, 3, "plain");
    s = take();
    assert_non_null(strstr(s, " level=warn module=engine "));
    assert_non_null(strstr(s, " msg=plain topic=news note=\"a \\\"quoted\\\" = value\" e=\"\"\n"));
    free(s);
}

static void test_levels_checked_first(void **state)
{
    (void)state;
    side_effects = 0;
    NR_DEBUG("x", "%d", touch()); /* info is the default: not even formatted */
    assert_int_equal(side_effects, 0);
    char *s = take();
    assert_string_equal(s, "");
    free(s);

    nr_log_set_level(NR_LOG_DEBUG);
    NR_DEBUG("x", "%d", touch());
    assert_int_equal(side_effects, 1);
    s = take();
    assert_non_null(strstr(s, "level=debug"));
    free(s);

    nr_log_set_level(NR_LOG_ERROR);
    NR_WARN("x", "no");
    NR_ERROR("x", "yes");
    s = take();
    assert_int_equal(count_lines(s), 1);
    assert_non_null(strstr(s, "level=error"));
    free(s);

    nr_log_set_level(NR_LOG_OFF);
    NR_ERROR("x", "no");
    s = take();
    assert_string_equal(s, "");
    free(s);

    enum nr_log_level l;
    assert_int_equal(nr_log_level_parse("warn", &l), 0);
    assert_int_equal(l, NR_LOG_WARN);
    assert_int_equal(nr_log_level_parse("debug", &l), 0);
    assert_int_equal(l, NR_LOG_DEBUG);
    assert_int_equal(nr_log_level_parse("loud", &l), -1);
    enum nr_log_format f;
    assert_int_equal(nr_log_format_parse("json", &f), 0);
    assert_int_equal(f, NR_LOG_JSON);
    assert_int_equal(nr_log_format_parse("xml", &f), -1);
}

static void test_json_lines(void **state)
{
    (void)state;
    nr_log_set_format(NR_LOG_JSON);
    struct nr_log_kv kv[] = {{"path", "a\\b\n\"c\""}, {"bytes", "\xff\xfe"}};
    NR_LOG_KV(NR_LOG_ERROR, "http", kv, 2, "tab\there");
    char *s = take();
    assert_int_equal(count_lines(s), 1);
    json_error_t jerr;
    json_t *j = json_loads(s, 0, &jerr);
    if (!j)
        fail_msg("not JSON: %s (%s)", s, jerr.text);
    assert_string_equal(json_string_value(json_object_get(j, "ts")), "2024-03-01T12:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
    assert_string_equal(json_string_value(json_object_get(j, "module")), "http");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "tab\there");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "a\\b\n\"c\"");
    assert_string_equal(json_string_value(json_object_get(j, "bytes")), "??");
    assert_non_null(strstr(json_string_value(json_object_get(j, "src")), "test_log.c:"));
    json_decref(j);
    free(s);

    /* a record longer than the line buffer is cut but stays one JSON object */
    char *big = malloc(20000);
    memset(big, 'x', 19999);
    big[19999] = '\0';
    struct nr_log_kv bkv[] = {{"big", big}};
    NR_LOG_KV(NR_LOG_ERROR, "http", bkv, 1, "long");
    s = take();
    assert_int_equal(count_lines(s), 1);
    assert_true(strlen(s) <= 8192);
    free(big);
    free(s);
}

static void log_from_one_site(int n)
{
    for (int i = 0; i < n; i++)
        NR_WARN("kafka", "flood %d", i);
}

static void test_rate_limit(void **state)
{
    (void)state;
    nr_log_set_burst(3);
    log_from_one_site(10); /* 3 pass, 7 dropped */
    NR_WARN("kafka", "another site");
    char *s = take();
    assert_int_equal(count_lines(s), 4);
    assert_non_null(strstr(s, "flood 2"));
    assert_null(strstr(s, "flood 3"));
    assert_null(strstr(s, "suppressed"));
    free(s);

    fake_now += 1000; /* next second: the first record reports the drops */
    log_from_one_site(2);
    s = take();
    assert_int_equal(count_lines(s), 2);
    char *first_nl = strchr(s, '\n');
    *first_nl = '\0';
    assert_non_null(strstr(s, "msg=\"flood 0\" suppressed=7"));
    assert_null(strstr(first_nl + 1, "suppressed"));
    free(s);

    nr_log_set_burst(0); /* off */
    log_from_one_site(50);
    s = take();
    assert_int_equal(count_lines(s), 50);
    free(s);
}

static void test_syslog_hook(void **state)
{
    (void)state;
    nr_log_syslog(3, "rdkafka", "FAIL", "broker down");
    nr_log_syslog(4, "rdkafka", "REQTMOUT", "timed out");
    nr_log_syslog(6, "rdkafka", "CONF", "ok");
    nr_log_syslog(7, "rdkafka", "DEBUG", "not shown at info");
    char *s = take();
    assert_int_equal(count_lines(s), 3);
    assert_non_null(strstr(s, "level=error module=rdkafka msg=\"broker down\" fac=FAIL\n"));
    assert_non_null(strstr(s, "level=warn module=rdkafka msg=\"timed out\" fac=REQTMOUT\n"));
    assert_non_null(strstr(s, "level=info module=rdkafka msg=ok fac=CONF\n"));
    free(s);

    /* rate-limited per facility */
    nr_log_set_burst(2);
    for (int i = 0; i < 5; i++)
        nr_log_syslog(4, "rdkafka", "FLOOD", "again");
    nr_log_syslog(4, "rdkafka", "OTHER", "once");
    s = take();
    assert_int_equal(count_lines(s), 3);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_logfmt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_levels_checked_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syslog_hook, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
