/* utc.c - UTC dates, timestamps and ISO-8601 week ids; see utc.h. */
#include "core/utc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"

/* Howard Hinnant's days_from_civil / civil_from_days: exact for every
 * proleptic Gregorian date, no time zone or libc calendar involved. */
int64_t utc_days_from_date(struct utc_date d)
{
    int64_t y = d.year - (d.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (d.month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct utc_date utc_date_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    struct utc_date out = {(int)(y + (m <= 2)), (int)m, (int)d};
    return out;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

struct utc_date utc_date_from_ms(int64_t ms)
{
    return utc_date_from_days(floor_div(ms, 86400000));
}

int utc_weekday(struct utc_date d)
{
    /* 1970-01-01 was a Thursday (4). */
    int64_t days = utc_days_from_date(d);
    int64_t wd = (days % 7 + 7 + 3) % 7; /* 0 = Monday */
    return (int)wd + 1;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static int parse_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parses the leading "YYYY-MM-DD" of s. */
static int parse_date_prefix(const char *s, struct utc_date *out)
{
    struct utc_date d;
    if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    if (parse_digits(s, 4, &d.year) < 0 || parse_digits(s + 5, 2, &d.month) < 0 ||
        parse_digits(s + 8, 2, &d.day) < 0)
        return -1;
    if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(d.year, d.month))
        return -1;
    *out = d;
    return 0;
}

int utc_parse_date(const char *s, struct utc_date *out, struct err *err)
{
    if (!s || strlen(s) != 10 || parse_date_prefix(s, out) < 0)
        return err_set(err, "\"%s\" is not a date (expected YYYY-MM-DD)", s ? s : "");
    return 0;
}

int utc_parse_datetime(const char *s, int64_t *ms_out, struct err *err)
{
    struct utc_date d;
    int hh = 0, mi = 0, ss = 0, ms = 0, offset_min = 0;
    if (!s || parse_date_prefix(s, &d) < 0)
        goto bad;
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (strlen(p) < 8 || p[2] != ':' || p[5] != ':' || parse_digits(p, 2, &hh) < 0 ||
            parse_digits(p + 3, 2, &mi) < 0 || parse_digits(p + 6, 2, &ss) < 0)
            goto bad;
        if (hh > 23 || mi > 59 || ss > 60)
            goto bad;
        p += 8;
        if (*p == '.') {
            p++;
            int digits = 0, frac = 0;
            while (*p >= '0' && *p <= '9') {
                if (digits < 3)
                    frac = frac * 10 + (*p - '0');
                digits++;
                p++;
            }
            if (digits == 0)
                goto bad;
            for (int i = digits; i < 3; i++)
                frac *= 10;
            ms = frac;
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (strlen(p) != 6 || p[3] != ':' || parse_digits(p + 1, 2, &oh) < 0 ||
                parse_digits(p + 4, 2, &om) < 0 || oh > 23 || om > 59)
                goto bad;
            offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
            p += 6;
        }
    }
    if (*p != '\0')
        goto bad;
    *ms_out = ((utc_days_from_date(d) * 86400 + hh * 3600 + mi * 60 + ss) - offset_min * 60) * 1000 + ms;
    return 0;
bad:
    return err_set(err, "\"%s\" is not a date or date-time (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
                   s ? s : "");
}

int utc_parse_rfc822(const char *s, int64_t *ms_out, struct err *err)
{
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
    const char *p = s ? s : "";
    while (*p == ' ')
        p++;
    const char *comma = strchr(p, ',');
    if (comma && comma - p <= 9)
        p = comma + 1;
    while (*p == ' ')
        p++;
    struct utc_date d = {0, 0, 0};
    int hh = 0, mi = 0, ss = 0, n = 0;
    char mon[4] = {0}, zone[8] = {0};
    if (sscanf(p, "%2d %3s %4d %2d:%2d:%2d %7s%n", &d.day, mon, &d.year, &hh, &mi, &ss, zone, &n) < 6)
        goto bad;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(mon, months[i], 3) == 0)
            d.month = i + 1;
    if (d.month == 0 || d.day < 1 || d.day > days_in_month(d.year, d.month) || hh > 23 || mi > 59 || ss > 60)
        goto bad;
    int offset_min = 0;
    if (zone[0] == '+' || zone[0] == '-') {
        int oh, om;
        if (strlen(zone) != 5 || parse_digits(zone + 1, 2, &oh) < 0 || parse_digits(zone + 3, 2, &om) < 0)
            goto bad;
        offset_min = (oh * 60 + om) * (zone[0] == '-' ? -1 : 1);
    } else if (zone[0] && strcasecmp(zone, "GMT") != 0 && strcasecmp(zone, "UT") != 0 &&
               strcasecmp(zone, "UTC") != 0 && strcasecmp(zone, "Z") != 0) {
        goto bad;
    }
    *ms_out = ((utc_days_from_date(d) * 86400 + hh * 3600 + mi * 60 + ss) - offset_min * 60) * 1000;
    return 0;
bad:
    return err_set(err, "\"%s\" is not an RFC 822 date", s ? s : "");
}

int64_t utc_now_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t utc_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void utc_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int64_t utc_now_ms(void)
{
    const char *fixed = getenv("CRYPTIC_BENCH_NOW");
    if (fixed && *fixed) {
        int64_t ms;
        struct err err;
        if (utc_parse_datetime(fixed, &ms, &err) == 0)
            return ms;
        log_warn("CRYPTIC_BENCH_NOW ignored: %s", err.msg);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The ISO year and week of a date: the week's Thursday decides the year. */
static void iso_week(struct utc_date d, int *iso_year, int *week)
{
    int64_t days = utc_days_from_date(d);
    int64_t thursday = days - utc_weekday(d) + 4;
    struct utc_date t = utc_date_from_days(thursday);
    struct utc_date jan1 = {t.year, 1, 1};
    *iso_year = t.year;
    *week = (int)((thursday - utc_days_from_date(jan1)) / 7) + 1;
}

void utc_week_id(struct utc_date d, char out[UTC_WEEK_ID_SIZE])
{
    int year, week;
    iso_week(d, &year, &week);
    snprintf(out, UTC_WEEK_ID_SIZE, "%04u-W%02u", (unsigned)year % 10000u, (unsigned)week % 100u);
}

int utc_week_monday(const char *week_id, struct utc_date *monday, struct err *err)
{
    int year, week;
    if (!week_id || strlen(week_id) != 8 || week_id[4] != '-' || week_id[5] != 'W' ||
        parse_digits(week_id, 4, &year) < 0 || parse_digits(week_id + 6, 2, &week) < 0 ||
        week < 1 || week > 53)
        return err_set(err, "\"%s\" is not a week id (expected YYYY-Www, e.g. 2026-W01)",
                       week_id ? week_id : "");
    /* Week 1 holds January 4th. */
    struct utc_date jan4 = {year, 1, 4};
    int64_t first_monday = utc_days_from_date(jan4) - (utc_weekday(jan4) - 1);
    struct utc_date m = utc_date_from_days(first_monday + (int64_t)(week - 1) * 7);
    int check_year, check_week;
    iso_week(m, &check_year, &check_week);
    if (check_year != year || check_week != week)
        return err_set(err, "week id %s does not exist: %04d has 52 ISO weeks", week_id, year);
    *monday = m;
    return 0;
}

void utc_format_date(struct utc_date d, char out[UTC_DATE_SIZE])
{
    snprintf(out, UTC_DATE_SIZE, "%04u-%02u-%02u", (unsigned)d.year % 10000u, (unsigned)d.month % 100u,
             (unsigned)d.day % 100u);
}

static void split_ms(int64_t ms, struct utc_date *d, int *hh, int *mi, int *ss, int *milli)
{
    int64_t days = floor_div(ms, 86400000);
    int64_t rest = ms - days * 86400000;
    *d = utc_date_from_days(days);
    *hh = (int)(rest / 3600000);
    *mi = (int)(rest / 60000 % 60);
    *ss = (int)(rest / 1000 % 60);
    *milli = (int)(rest % 1000);
}

/* "YYYY-MM-DD HH:MM:SS", or with iso "YYYY-MM-DDTHH:MM:SS.mmmZ". */
static void format_ms(int64_t ms, char *out, size_t size, int iso)
{
    struct utc_date d;
    int hh, mi, ss, milli;
    split_ms(ms, &d, &hh, &mi, &ss, &milli);
    int n = snprintf(out, size, "%04u-%02u-%02u%c%02u:%02u:%02u", (unsigned)d.year % 10000u,
                     (unsigned)d.month % 100u, (unsigned)d.day % 100u, iso ? 'T' : ' ', (unsigned)hh % 100u,
                     (unsigned)mi % 100u, (unsigned)ss % 100u);
    if (iso && n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, ".%03uZ", (unsigned)milli % 1000u);
}

void utc_format_timestamp(int64_t ms, char out[UTC_TIMESTAMP_SIZE])
{
    format_ms(ms, out, UTC_TIMESTAMP_SIZE, 0);
}

void utc_format_iso(int64_t ms, char out[UTC_ISO_SIZE])
{
    format_ms(ms, out, UTC_ISO_SIZE, 1);
}
