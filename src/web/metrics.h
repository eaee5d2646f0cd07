/*
 * metrics.h - GET /metrics: the Prometheus text exposition format (0.0.4).
 *
 * One job: render. The database's aggregates come from store_metrics_read()
 * and the read-only SQL endpoint's counters from the server, which counts
 * them under its lock and passes a copy here. Every family is prefixed
 * cryptic_bench_ and has its # HELP and # TYPE before its samples; label
 * values are only ids (models, functions, series), statuses and outcomes,
 * escaped as the format wants (backslash, double quote, newline), never
 * a clue, a reply, an error message or a secret.
 */
#ifndef CB_WEB_METRICS_H
#define CB_WEB_METRICS_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* Upper bounds, in seconds, of the SQL endpoint's latency buckets: a read
 * answers in about a millisecond; the statement limit is 5 s by default. */
#define WEB_METRICS_SQL_BUCKETS 13
extern const double web_metrics_sql_bucket_s[WEB_METRICS_SQL_BUCKETS];

/* The smallest and largest HTTP status counted per status. */
#define WEB_METRICS_STATUS_MIN 100
#define WEB_METRICS_STATUS_MAX 599

/* The SQL endpoint's requests since the server started. */
struct web_metrics_sql {
    uint64_t requests[WEB_METRICS_STATUS_MAX - WEB_METRICS_STATUS_MIN + 1]; /* by status - STATUS_MIN */
    uint64_t bucket[WEB_METRICS_SQL_BUCKETS + 1]; /* NOT cumulative: requests in (bound[i-1], bound[i]];
                                                     the last slot counts those above the top bound */
    double sum_s;                                 /* total seconds */
};

/* Counts one request answered with status after seconds (statuses outside
 * 100..599 count only in the histogram). Not thread-safe: the caller locks. */
void web_metrics_sql_observe(struct web_metrics_sql *m, unsigned status, double seconds);

/* The whole exposition, ending in a newline, into *out (the caller frees).
 * Fails only when memory runs out or the text would pass 16 MB. */
int web_metrics_render(const struct store_metrics *db, const struct web_metrics_sql *sql, char **out,
                       struct err *err);

#endif
