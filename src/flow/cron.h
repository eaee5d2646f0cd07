/*
 * cron.h - five-field cron expressions with an optional "TZ=Area/City "
 * prefix, as Inngest takes them ("TZ=Europe/London 0 6 * * 0").
 *
 * The only code in cryptic-bench that is not UTC: fields are matched on the
 * wall clock of the zone, so a 06:00 schedule stays at 06:00 across a DST
 * change. A wall time that does not exist (the hour skipped in spring) does
 * not fire; one that happens twice (autumn) fires once.
 */
#ifndef CB_FLOW_CRON_H
#define CB_FLOW_CRON_H

#include <stdint.h>

#include "core/err.h"

struct cron_expr {
    char zone[64];          /* "" for UTC */
    uint64_t minutes;       /* bit m set: minute m matches (0-59) */
    uint32_t hours;         /* 0-23 */
    uint32_t days;          /* 1-31 */
    uint16_t months;        /* 1-12 */
    uint8_t weekdays;       /* 0-6, Sunday = 0 */
    int dom_any, dow_any;   /* "*" given: cron's day-of-month / day-of-week OR rule */
};

int cron_parse(const char *text, struct cron_expr *out, struct err *err);

/* The first firing strictly after after_ms (ms since the epoch, UTC), or -1
 * when none within five years. */
int64_t cron_next(const struct cron_expr *expr, int64_t after_ms);

#endif
