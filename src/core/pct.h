/*
 * pct.h - how a percentage is shown: one decimal, a half rounded up
 * (6.25 -> 6.3), the same in the command line and the dashboard (its
 * pct() in web/dashboard/app.js does Math.round(v * 10) / 10 likewise).
 * printf's "%.1f" alone would round 6.25 to even, 6.2.
 */
#ifndef CB_CORE_PCT_H
#define CB_CORE_PCT_H

#include <math.h>

/* v rounded to one decimal, halves up (for the values >= 0 shown here). */
static inline double pct_round1(double v)
{
    return floor(v * 10.0 + 0.5) / 10.0;
}

#endif
