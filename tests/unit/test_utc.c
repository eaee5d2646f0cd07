/* test_utc.c - UTC dates, ISO-8601 week ids, parsing and formatting. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/utc.h"

static struct utc_date date(const char *s)
{
    struct utc_date d;
    struct err err = {{0}};
    if (utc_parse_date(s, &d, &err) != 0)
        fail_msg("%s", err.msg);
    return d;
}

static void expect_week(const char *day, const char *week)
{
    char got[UTC_WEEK_ID_SIZE];
    utc_week_id(date(day), got);
    if (strcmp(got, week) != 0)
        fail_msg("%s: expected %s, got %s", day, week, got);
}

static void test_week_id_year_boundaries(void **state)
{
    (void)state;
    expect_week("2025-12-29", "2026-W01");
    expect_week("2021-01-03", "2020-W53");
    expect_week("2020-12-31", "2020-W53");
    expect_week("2024-12-30", "2025-W01");
    expect_week("2026-01-01", "2026-W01");
    expect_week("2025-12-28", "2025-W52");
    expect_week("2027-01-03", "2026-W53"); /* 2026 starts on a Thursday: 53 weeks */
    expect_week("2027-01-04", "2027-W01");
    expect_week("2016-01-03", "2015-W53");
    expect_week("2008-12-29", "2009-W01");
    expect_week("2026-11-28", "2026-W48");
    /* The old database's puzzle weeks. */
    expect_week("2026-02-14", "2026-W07");
    expect_week("2026-07-17", "2026-W29");
}

static void expect_monday(const char *week, const char *monday)
{
    struct utc_date d;
    struct err err = {{0}};
    if (utc_week_monday(week, &d, &err) != 0)
        fail_msg("%s: %s", week, err.msg);
    char got[UTC_DATE_SIZE];
    utc_format_date(d, got);
    if (strcmp(got, monday) != 0)
        fail_msg("%s: expected Monday %s, got %s", week, monday, got);
}

static void test_week_monday(void **state)
{
    (void)state;
    expect_monday("2026-W01", "2025-12-29");
    expect_monday("2020-W53", "2020-12-28");
    expect_monday("2025-W01", "2024-12-30");
    expect_monday("2026-W53", "2026-12-28");
    expect_monday("2026-W48", "2026-11-23");
}

static void test_week_monday_rejects_bad_ids(void **state)
{
    (void)state;
    const char *bad[] = {"2021-W53", "2026-W00", "2026-W54", "2026W01", "2026-01", "2026-w01",
                         "", "2026-W1", "abcd-W01", "2026-W011"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct utc_date d;
        struct err err = {{0}};
        assert_int_equal(utc_week_monday(bad[i], &d, &err), -1);
        assert_true(strlen(err.msg) > 0);
    }
    struct utc_date d;
    struct err err = {{0}};
    utc_week_monday("2021-W53", &d, &err);
    tu_assert_contains(err.msg, "52 ISO weeks");
}

/* Every day over three decades sits in the week whose Monday is at most six
 * days before it, and the week id round-trips. */
static void test_week_roundtrip_every_day(void **state)
{
    (void)state;
    struct utc_date start = {1999, 1, 1}, end = {2031, 12, 31};
    for (int64_t day = utc_days_from_date(start); day <= utc_days_from_date(end); day++) {
        struct utc_date d = utc_date_from_days(day);
        assert_int_equal(utc_days_from_date(d), day);
        char week[UTC_WEEK_ID_SIZE];
        utc_week_id(d, week);
        struct utc_date monday;
        struct err err = {{0}};
        if (utc_week_monday(week, &monday, &err) != 0)
            fail_msg("%s: %s", week, err.msg);
        int64_t offset = day - utc_days_from_date(monday);
        assert_true(offset >= 0 && offset <= 6);
        assert_int_equal(utc_weekday(monday), 1);
        assert_int_equal(utc_weekday(d), offset + 1);
    }
}

static void test_parse_date(void **state)
{
    (void)state;
    struct utc_date d;
    struct err err = {{0}};
    assert_int_equal(utc_parse_date("2024-02-29", &d, &err), 0);
    assert_int_equal(d.year, 2024);
    assert_int_equal(d.month, 2);
    assert_int_equal(d.day, 29);
    const char *bad[] = {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "26-01-01",
                         "2026-1-1", "2026-01-01x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_clear(&err);
        assert_int_equal(utc_parse_date(bad[i], &d, &err), -1);
        tu_assert_contains(err.msg, "not a date");
    }
}

static void test_parse_and_format_datetime(void **state)
{
    (void)state;
    int64_t ms;
    struct err err = {{0}};
    char iso[UTC_ISO_SIZE], ts[UTC_TIMESTAMP_SIZE];

    assert_int_equal(utc_parse_datetime("2026-08-16T06:41:55.846Z", &ms, &err), 0);
    utc_format_iso(ms, iso);
    assert_string_equal(iso, "2026-08-16T06:41:55.846Z");
    utc_format_timestamp(ms, ts);
    assert_string_equal(ts, "2026-08-16 06:41:55");

    assert_int_equal(utc_parse_datetime("2026-01-04 06:39:43", &ms, &err), 0);
    utc_format_iso(ms, iso);
    assert_string_equal(iso, "2026-01-04T06:39:43.000Z");

    /* An offset is converted to UTC, across a day boundary. */
    assert_int_equal(utc_parse_datetime("2026-01-01T01:30:00+02:00", &ms, &err), 0);
    utc_format_iso(ms, iso);
    assert_string_equal(iso, "2025-12-31T23:30:00.000Z");

    assert_int_equal(utc_parse_datetime("1970-01-01", &ms, &err), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(utc_parse_datetime("1969-12-31T23:59:59Z", &ms, &err), 0);
    assert_int_equal(ms, -1000);
    utc_format_iso(ms, iso);
    assert_string_equal(iso, "1969-12-31T23:59:59.000Z");

    const char *bad[] = {"2026-01-01T25:00:00Z", "2026-01-01T10:00", "2026-01-01T10:00:00+2",
                         "2026-01-01T10:00:00.Z", "yesterday"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_clear(&err);
        assert_int_equal(utc_parse_datetime(bad[i], &ms, &err), -1);
        tu_assert_contains(err.msg, bad[i]);
    }
}

static void test_now_can_be_fixed(void **state)
{
    (void)state;
    setenv("CRYPTIC_BENCH_NOW", "2026-01-04T12:00:00Z", 1);
    char week[UTC_WEEK_ID_SIZE];
    utc_week_id(utc_date_from_ms(utc_now_ms()), week);
    assert_string_equal(week, "2026-W01");
    setenv("CRYPTIC_BENCH_NOW", "not a time", 1);
    int64_t now = utc_now_ms();
    assert_true(now > 1700000000000LL); /* falls back to the real clock */
    unsetenv("CRYPTIC_BENCH_NOW");
}

/* The monotonic clock ignores CRYPTIC_BENCH_NOW (pacing and deadlines
 * must see time pass) and utc_sleep_ms sleeps at least what it is asked. */
static void test_mono_clock_and_sleep(void **state)
{
    (void)state;
    setenv("CRYPTIC_BENCH_NOW", "2026-05-03", 1);
    int64_t before = utc_mono_ms();
    utc_sleep_ms(30);
    int64_t after = utc_mono_ms();
    unsetenv("CRYPTIC_BENCH_NOW");
    assert_true(after - before >= 30);
    utc_sleep_ms(0);
    utc_sleep_ms(-5); /* nothing */
    assert_true(utc_mono_ms() >= after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_week_id_year_boundaries),
        cmocka_unit_test(test_week_monday),
        cmocka_unit_test(test_week_monday_rejects_bad_ids),
        cmocka_unit_test(test_week_roundtrip_every_day),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_parse_and_format_datetime),
        cmocka_unit_test(test_now_can_be_fixed),
        cmocka_unit_test(test_mono_clock_and_sleep),
    };
    return cmocka_run_group_tests_name("core/utc", tests, NULL, NULL);
}
