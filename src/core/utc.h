/*
 * utc.h - UTC dates, timestamps and ISO-8601 week ids.
 *
 * Everything in cryptic-bench is UTC; only the scheduler evaluates cron in a
 * named zone. A benchmark week is an ISO-8601 week ("2026-W01"): weeks start
 * on Monday and week 1 is the week holding the year's first Thursday, so the
 * days around New Year can belong to the neighbouring year's week
 * (2025-12-29 is in 2026-W01, 2021-01-03 in 2020-W53).
 *
 * Date arithmetic is done on day numbers (days since 1970-01-01) with the
 * proleptic Gregorian calendar, independent of the process time zone.
 */
#ifndef CB_CORE_UTC_H
#define CB_CORE_UTC_H

#include <stdint.h>

#include "core/err.h"

#define UTC_WEEK_ID_SIZE 9     /* "2026-W01" + NUL */
#define UTC_DATE_SIZE 11       /* "2026-01-01" + NUL */
#define UTC_TIMESTAMP_SIZE 20  /* "2026-01-01 06:00:00" + NUL (SQLite's format) */
#define UTC_ISO_SIZE 25        /* "2026-01-01T06:00:00.000Z" + NUL */

struct utc_date {
    int year;
    int month; /* 1-12 */
    int day;   /* 1-31 */
};

/* Milliseconds since the epoch, now. CRYPTIC_BENCH_NOW (an ISO date or
 * date-time, read on every call) replaces the clock, so tests and reruns of
 * a past week see a fixed "now"; an unparsable value is ignored with a
 * warning. */
int64_t utc_now_ms(void);

/* Milliseconds since the epoch from the real clock, ignoring
 * CRYPTIC_BENCH_NOW: for sleeps, leases and timings. */
int64_t utc_now_real_ms(void);

/* Milliseconds on the monotonic clock (CLOCK_MONOTONIC, from an arbitrary
 * start): for deadlines, pacing and durations inside one process, where
 * the wall clock may jump. */
int64_t utc_mono_ms(void);

/* Sleeps ms milliseconds (nothing when ms <= 0), resuming after a signal
 * until the whole time has passed. */
void utc_sleep_ms(int64_t ms);

/* Day number of a date (0 = 1970-01-01), and back. */
int64_t utc_days_from_date(struct utc_date d);
struct utc_date utc_date_from_days(int64_t days);

/* The date of an instant. */
struct utc_date utc_date_from_ms(int64_t ms);

/* ISO weekday, 1 = Monday ... 7 = Sunday. */
int utc_weekday(struct utc_date d);

/* Parses "YYYY-MM-DD" (a real calendar date). */
int utc_parse_date(const char *s, struct utc_date *out, struct err *err);

/* Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SS" with
 * optional fraction and optional "Z" or "+HH:MM"/"-HH:MM" offset. */
int utc_parse_datetime(const char *s, int64_t *ms_out, struct err *err);

/* Parses an RFC 822 / RFC 1123 date as RSS feeds write it ("Sun, 03 May
 * 2026 00:01:14 +0000"; the weekday is optional; zones +hhmm, GMT, UT, Z). */
int utc_parse_rfc822(const char *s, int64_t *ms_out, struct err *err);

/* Writes the ISO week id of a date into out. */
void utc_week_id(struct utc_date d, char out[UTC_WEEK_ID_SIZE]);

/* Parses a week id ("2026-W01"), checking the week exists in that year
 * (W53 only in long years), and gives its Monday. */
int utc_week_monday(const char *week_id, struct utc_date *monday, struct err *err);

/* Formatting. */
void utc_format_date(struct utc_date d, char out[UTC_DATE_SIZE]);
void utc_format_timestamp(int64_t ms, char out[UTC_TIMESTAMP_SIZE]);
void utc_format_iso(int64_t ms, char out[UTC_ISO_SIZE]);

#endif
