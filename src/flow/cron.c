/* cron.c - cron expressions and their next firing; see cron.h. */
#include "flow/cron.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Parses one field into a bit set within [lo, hi]. */
static int parse_field(const char *f, int lo, int hi, uint64_t *bits, int *any, struct err *err)
{
    *bits = 0;
    *any = strcmp(f, "*") == 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", f);
    for (char *save = NULL, *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        int step = 1, a = lo, b = hi;
        char *slash = strchr(part, '/');
        if (slash) {
            *slash = '\0';
            step = atoi(slash + 1);
            if (step <= 0)
                return err_set(err, "bad step in cron field \"%s\"", f);
        }
        if (strcmp(part, "*") != 0) {
            char *dash = strchr(part, '-');
            char *end;
            a = (int)strtol(part, &end, 10);
            if (end == part)
                return err_set(err, "bad cron field \"%s\"", f);
            b = a;
            if (dash) {
                b = (int)strtol(dash + 1, &end, 10);
                if (end == dash + 1 || *end)
                    return err_set(err, "bad range in cron field \"%s\"", f);
            } else if (*end) {
                return err_set(err, "bad cron field \"%s\"", f);
            } else if (slash) {
                b = hi;
            }
        }
        if (a < lo || b > hi || a > b)
            return err_set(err, "cron field \"%s\" is out of range %d-%d", f, lo, hi);
        for (int v = a; v <= b; v += step)
            *bits |= 1ULL << v;
    }
    return 0;
}

int cron_parse(const char *text, struct cron_expr *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (strncmp(p, "TZ=", 3) == 0 || strncmp(p, "CRON_TZ=", 8) == 0) {
        p = strchr(p, '=') + 1;
        size_t n = strcspn(p, " \t");
        if (n == 0 || n >= sizeof out->zone)
            return err_set(err, "cron \"%s\": bad time zone", text);
        memcpy(out->zone, p, n);
        out->zone[n] = '\0';
        p += n;
        /* The path by lengths, not snprintf: n < sizeof out->zone, so it
         * always fits (and gcc's format checks, confused under the
         * sanitizers at -O2, have nothing to guess). */
        static const char zoneinfo[] = "/usr/share/zoneinfo/";
        char path[sizeof zoneinfo + sizeof out->zone];
        memcpy(path, zoneinfo, sizeof zoneinfo - 1);
        memcpy(path + sizeof zoneinfo - 1, out->zone, n + 1);
        FILE *f = fopen(path, "rb");
        if (!f && strcmp(out->zone, "UTC") != 0)
            return err_set(err, "cron \"%s\": unknown time zone %s", text, out->zone);
        if (f)
            fclose(f);
    }
    char fields[5][64];
    int n = sscanf(p, "%63s %63s %63s %63s %63s", fields[0], fields[1], fields[2], fields[3], fields[4]);
    if (n != 5)
        return err_set(err, "cron \"%s\": expected five fields (minute hour day month weekday)", text);
    uint64_t bits;
    int any;
    if (parse_field(fields[0], 0, 59, &out->minutes, &any, err) < 0)
        return err_prefix(err, "cron \"%s\"", text);
    if (parse_field(fields[1], 0, 23, &bits, &any, err) < 0)
        return err_prefix(err, "cron \"%s\"", text);
    out->hours = (uint32_t)bits;
    if (parse_field(fields[2], 1, 31, &bits, &out->dom_any, err) < 0)
        return err_prefix(err, "cron \"%s\"", text);
    out->days = (uint32_t)bits;
    if (parse_field(fields[3], 1, 12, &bits, &any, err) < 0)
        return err_prefix(err, "cron \"%s\"", text);
    out->months = (uint16_t)bits;
    if (parse_field(fields[4], 0, 7, &bits, &out->dow_any, err) < 0)
        return err_prefix(err, "cron \"%s\"", text);
    if (bits & (1ULL << 7))
        bits |= 1; /* 7 is Sunday too */
    out->weekdays = (uint8_t)(bits & 0x7f);
    return 0;
}

/* localtime depends on TZ, which is process-wide: zone switches are
 * serialised here, and nothing else in the program reads local time. */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

static int day_matches(const struct cron_expr *e, const struct tm *t)
{
    int dom = (e->days >> t->tm_mday) & 1, dow = (e->weekdays >> t->tm_wday) & 1;
    if (e->dom_any || e->dow_any)
        return dom && dow;
    return dom || dow;
}

int64_t cron_next(const struct cron_expr *e, int64_t after_ms)
{
    pthread_mutex_lock(&tz_lock);
    char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", e->zone[0] ? e->zone : "UTC", 1);
    tzset();
    /* Walk UTC minutes, jumping by hours and days where a field cannot
     * match; matching on the zone's wall clock. */
    time_t t = (time_t)(after_ms / 1000);
    t = t - t % 60 + 60;
    time_t limit = t + (time_t)5 * 366 * 86400;
    int64_t result = -1;
    while (t < limit) {
        struct tm lt;
        localtime_r(&t, &lt);
        if (!((e->months >> (lt.tm_mon + 1)) & 1) || !day_matches(e, &lt)) {
            t += (time_t)((23 - lt.tm_hour) * 3600 + (59 - lt.tm_min) * 60 + 60 - lt.tm_sec);
            continue;
        }
        if (!((e->hours >> lt.tm_hour) & 1)) {
            t += (time_t)((59 - lt.tm_min) * 60 + 60 - lt.tm_sec);
            continue;
        }
        if (!((e->minutes >> lt.tm_min) & 1ULL)) {
            t += 60 - lt.tm_sec;
            continue;
        }
        /* In the autumn hour that repeats, fire only on its first pass:
         * walking forward, the first pass was met (or fired before). */
        struct tm earlier;
        time_t back = t - 3600;
        localtime_r(&back, &earlier);
        if (earlier.tm_hour == lt.tm_hour && earlier.tm_min == lt.tm_min && earlier.tm_mday == lt.tm_mday) {
            t += 60;
            continue;
        }
        result = (int64_t)t * 1000;
        break;
    }
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
    pthread_mutex_unlock(&tz_lock);
    return result;
}
