/* metrics.c - the Prometheus text exposition of GET /metrics; see metrics.h. */
#include "web/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#ifndef CB_VERSION
#define CB_VERSION "unknown"
#endif

/* A few hundred bytes per model and function: 16 MB is far beyond any
 * real database, and a cap all the same. */
#define METRICS_MAX (16u * 1024 * 1024)

const double web_metrics_sql_bucket_s[WEB_METRICS_SQL_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

void web_metrics_sql_observe(struct web_metrics_sql *m, unsigned status, double seconds)
{
    if (status >= WEB_METRICS_STATUS_MIN && status <= WEB_METRICS_STATUS_MAX)
        m->requests[status - WEB_METRICS_STATUS_MIN]++;
    int i = 0;
    while (i < WEB_METRICS_SQL_BUCKETS && seconds > web_metrics_sql_bucket_s[i])
        i++;
    m->bucket[i]++;
    m->sum_s += seconds;
}

/* ---- writing ------------------------------------------------------------ */

/* The text so far; the first failure sticks and later writes do nothing,
 * so the render reads as a list of lines with one check at the end. */
struct writer {
    struct buf b;
    struct err *err;
    int failed;
};

static void put(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct writer *w, const char *fmt, ...)
{
    if (w->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (buf_vprintf(&w->b, w->err, fmt, ap) < 0)
        w->failed = 1;
    va_end(ap);
}

static void put_bytes(struct writer *w, const char *p, size_t n)
{
    if (!w->failed && buf_append(&w->b, p, n, w->err) < 0)
        w->failed = 1;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* Text escaped for the format: backslash and newline always, the double
 * quote inside label values. The format is UTF-8, so a byte that is not
 * (a database may hold anything) becomes U+FFFD rather than breaking the
 * scrape. */
static void put_escaped(struct writer *w, const char *s, int quote)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        size_t len = utf8_len(p, n);
        if (len == 0) {
            put_bytes(w, "\xef\xbf\xbd", 3);
            len = 1;
        } else if (*p == '\\') {
            put_bytes(w, "\\\\", 2);
        } else if (*p == '\n') {
            put_bytes(w, "\\n", 2);
        } else if (*p == '"' && quote) {
            put_bytes(w, "\\\"", 2);
        } else {
            put_bytes(w, (const char *)p, len);
        }
        p += len;
        n -= len;
    }
}

/* A float as the format spells it: NaN, +Inf, -Inf, or the shortest of
 * %.15g / %.17g that reads back as the same double. */
static void format_double(char *out, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(out, size, "NaN");
    } else if (isinf(v)) {
        snprintf(out, size, v > 0 ? "+Inf" : "-Inf");
    } else {
        snprintf(out, size, "%.15g", v);
        if (strtod(out, NULL) != v)
            snprintf(out, size, "%.17g", v);
    }
}

static void family(struct writer *w, const char *name, const char *type, const char *help)
{
    put(w, "# HELP %s ", name);
    put_escaped(w, help, 0);
    put(w, "\n# TYPE %s %s\n", name, type);
}

/* One sample: name, labels as NULL-terminated pairs (key, value, ...; NULL:
 * none), and the value already formatted. */
static void sample(struct writer *w, const char *name, const char *const *labels, const char *value)
{
    put(w, "%s", name);
    if (labels && labels[0]) {
        put(w, "{");
        for (size_t i = 0; labels[i]; i += 2) {
            put(w, "%s%s=\"", i ? "," : "", labels[i]);
            put_escaped(w, labels[i + 1], 1);
            put(w, "\"");
        }
        put(w, "}");
    }
    put(w, " %s\n", value);
}

static void sample_int(struct writer *w, const char *name, const char *const *labels, int64_t v)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, v);
    sample(w, name, labels, text);
}

static void sample_double(struct writer *w, const char *name, const char *const *labels, double v)
{
    char text[40];
    format_double(text, sizeof text, v);
    sample(w, name, labels, text);
}

/* A histogram's samples: cumulative buckets (le[i] observations <=
 * bound_s[i]), +Inf = count, _sum, _count; with one optional label
 * (key NULL: none). */
static void histogram(struct writer *w, const char *base, const char *key, const char *value, const double *bound_s,
                      const int64_t *le, size_t nb, int64_t count, double sum_s)
{
    char name[128], le_text[40];
    const char *labels[] = {key, value, "le", le_text, NULL};
    const char *const *bucket_labels = key ? labels : labels + 2;
    const char *const *plain = key ? labels : NULL;
    snprintf(name, sizeof name, "%s_bucket", base);
    for (size_t i = 0; i < nb; i++) {
        format_double(le_text, sizeof le_text, bound_s[i]);
        sample_int(w, name, bucket_labels, le[i]);
    }
    snprintf(le_text, sizeof le_text, "+Inf");
    sample_int(w, name, bucket_labels, count);
    labels[2] = NULL; /* the key alone for _sum and _count */
    snprintf(name, sizeof name, "%s_sum", base);
    sample_double(w, name, plain, sum_s);
    snprintf(name, sizeof name, "%s_count", base);
    sample_int(w, name, plain, count);
}

static void store_histogram(struct writer *w, const char *base, const char *key, const char *value,
                            const struct store_metrics_histogram *h)
{
    double bound_s[STORE_METRICS_BUCKETS];
    for (size_t i = 0; i < STORE_METRICS_BUCKETS; i++)
        bound_s[i] = (double)store_metrics_bucket_ms[i] / 1000.0;
    histogram(w, base, key, value, bound_s, h->le, STORE_METRICS_BUCKETS, h->count, (double)h->sum_ms / 1000.0);
}

/* ---- the exposition ----------------------------------------------------- */

/* Row i of an array that two families report by one label: the label's
 * value, the row's histogram, and its counter's sample as text. */
typedef void (*keyed_row_fn)(const void *rows, size_t i, const char **key, const struct store_metrics_histogram **h,
                             char *count, size_t size);

/* A histogram family and then a counter family over the same n rows,
 * each sample labelled label="the row's key". */
static void keyed_families(struct writer *w, const char *label, const void *rows, size_t n, keyed_row_fn row,
                           const char *hist_name, const char *hist_help, const char *count_name,
                           const char *count_help)
{
    const char *key;
    const struct store_metrics_histogram *h;
    char count[40];
    family(w, hist_name, "histogram", hist_help);
    for (size_t i = 0; i < n; i++) {
        row(rows, i, &key, &h, count, sizeof count);
        store_histogram(w, hist_name, label, key, h);
    }
    family(w, count_name, "counter", count_help);
    for (size_t i = 0; i < n; i++) {
        row(rows, i, &key, &h, count, sizeof count);
        sample(w, count_name, (const char *const[]){label, key, NULL}, count);
    }
}

static void step_row(const void *rows, size_t i, const char **key, const struct store_metrics_histogram **h,
                     char *count, size_t size)
{
    const struct store_metrics_steps *s = (const struct store_metrics_steps *)rows + i;
    *key = s->function;
    *h = &s->duration;
    snprintf(count, size, "%" PRId64, s->retries);
}

static void model_row(const void *rows, size_t i, const char **key, const struct store_metrics_histogram **h,
                      char *count, size_t size)
{
    const struct store_metrics_model *m = (const struct store_metrics_model *)rows + i;
    *key = m->model;
    *h = &m->latency;
    format_double(count, size, m->cost_usd);
}

static void render_flow(struct writer *w, const struct store_metrics *db)
{
    family(w, "cryptic_bench_flow_runs", "gauge", "Workflow runs in the database by function and status.");
    for (size_t i = 0; i < db->nruns; i++)
        sample_int(w, "cryptic_bench_flow_runs",
                   (const char *const[]){"function", db->runs[i].function, "status", db->runs[i].status, NULL},
                   db->runs[i].runs);

    keyed_families(w, "function", db->steps, db->nsteps, step_row, "cryptic_bench_flow_step_duration_seconds",
                   "Duration of finished run steps (their last attempt) by function.",
                   "cryptic_bench_flow_step_retries_total", "Step attempts beyond the first, by function.");
}

static void render_llm(struct writer *w, const struct store_metrics *db)
{
    family(w, "cryptic_bench_llm_calls_total", "counter",
           "Stored evaluations (one per model and clue) by model and outcome.");
    for (size_t i = 0; i < db->nmodels; i++) {
        const struct store_metrics_model *m = &db->models[i];
        static const char *const outcomes[] = {"correct", "wrong", "no_answer", "error"};
        const int64_t counts[] = {m->correct, m->wrong, m->no_answer, m->error};
        for (size_t k = 0; k < 4; k++)
            sample_int(w, "cryptic_bench_llm_calls_total",
                       (const char *const[]){"model", m->model, "outcome", outcomes[k], NULL}, counts[k]);
    }

    keyed_families(w, "model", db->models, db->nmodels, model_row, "cryptic_bench_llm_call_duration_seconds",
                   "Response time of stored evaluations, every outcome, by model.", "cryptic_bench_llm_cost_usd_total",
                   "Cost in US dollars of stored evaluations (as the API reported it), by model.");
}

/* Answer quality, one gauge family per measure, labelled by model and
 * scope: "week" (the newest ranked week, named in the week label) or
 * "all-time". Two scopes keep the series count at twice the models. */
static void render_quality(struct writer *w, const struct store_metrics *db)
{
    static const struct {
        const char *name, *help;
    } families[] = {
        {"cryptic_bench_wrong_length_rate",
         "Percent (0-100) of the scored clues answered with a wrong letter count, by model: in the newest ranked "
         "week (scope=\"week\") and over every week with evaluations (scope=\"all-time\")."},
        {"cryptic_bench_no_answer_rate",
         "Percent (0-100) of the scored clues with outcome no_answer, by model and scope."},
        {"cryptic_bench_error_rate", "Percent (0-100) of the scored clues with outcome error, by model and scope."},
        {"cryptic_bench_avg_completion_tokens",
         "Average completion tokens of the non-error replies that report them, by model and scope."},
    };
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        family(w, families[f].name, "gauge", families[f].help);
        for (size_t i = 0; i < db->nquality; i++) {
            const struct store_metrics_quality *q = &db->quality[i];
            const double values[] = {q->wrong_length_rate, q->no_answer_rate, q->error_rate, q->avg_completion_tokens};
            if (values[f] < 0) /* unknown: no sample rather than a made-up one */
                continue;
            const char *labels[] = {"model", q->model, "scope", q->week ? "week" : "all-time", "week", q->week, NULL};
            if (!q->week)
                labels[4] = NULL;
            sample_double(w, families[f].name, labels, values[f]);
        }
    }
}

static void render_scrape(struct writer *w, const struct store_metrics *db)
{
    family(w, "cryptic_bench_puzzles", "gauge", "Stored puzzles by series.");
    for (size_t i = 0; i < db->nseries; i++)
        sample_int(w, "cryptic_bench_puzzles", (const char *const[]){"series", db->series[i].series, NULL},
                   db->series[i].puzzles);

    family(w, "cryptic_bench_clues", "gauge", "Stored clues.");
    sample_int(w, "cryptic_bench_clues", NULL, db->clues);

    family(w, "cryptic_bench_scrape_posts_total", "counter",
           "Posts found by scrape-puzzles runs, by what became of them: saved, rejected (failed validation), "
           "skipped (already stored or another series).");
    sample_int(w, "cryptic_bench_scrape_posts_total", (const char *const[]){"outcome", "saved", NULL},
               db->scrape_saved);
    sample_int(w, "cryptic_bench_scrape_posts_total", (const char *const[]){"outcome", "rejected", NULL},
               db->scrape_rejected);
    sample_int(w, "cryptic_bench_scrape_posts_total", (const char *const[]){"outcome", "skipped", NULL},
               db->scrape_skipped);

    family(w, "cryptic_bench_rejected_posts", "gauge",
           "Posts that failed validation and are not stored (`cryptic-bench puzzles rejected` lists them).");
    sample_int(w, "cryptic_bench_rejected_posts", NULL, db->rejected_posts);
}

static void render_sql(struct writer *w, const struct web_metrics_sql *sql)
{
    family(w, "cryptic_bench_sql_requests_total", "counter",
           "Requests to the read-only SQL endpoint since the server started, by HTTP status.");
    for (unsigned s = WEB_METRICS_STATUS_MIN; s <= WEB_METRICS_STATUS_MAX; s++) {
        uint64_t n = sql->requests[s - WEB_METRICS_STATUS_MIN];
        if (n == 0 && s != 200) /* 200 always: a series that exists from the start rates cleanly */
            continue;
        char status[8];
        snprintf(status, sizeof status, "%u", s);
        sample_int(w, "cryptic_bench_sql_requests_total", (const char *const[]){"status", status, NULL}, (int64_t)n);
    }

    family(w, "cryptic_bench_sql_request_duration_seconds", "histogram",
           "Time to answer a request to the read-only SQL endpoint, since the server started.");
    int64_t le[WEB_METRICS_SQL_BUCKETS], total = 0;
    for (size_t i = 0; i < WEB_METRICS_SQL_BUCKETS; i++) {
        total += (int64_t)sql->bucket[i];
        le[i] = total;
    }
    total += (int64_t)sql->bucket[WEB_METRICS_SQL_BUCKETS];
    histogram(w, "cryptic_bench_sql_request_duration_seconds", NULL, NULL, web_metrics_sql_bucket_s, le,
              WEB_METRICS_SQL_BUCKETS, total, sql->sum_s);
}

int web_metrics_render(const struct store_metrics *db, const struct web_metrics_sql *sql, char **out,
                       struct err *err)
{
    struct writer w = {.err = err};
    buf_init(&w.b, METRICS_MAX);
    *out = NULL;

    family(&w, "cryptic_bench_up", "gauge", "1 while the server answers.");
    sample_int(&w, "cryptic_bench_up", NULL, 1);
    family(&w, "cryptic_bench_build_info", "gauge", "The running cryptic-bench's version; always 1.");
    sample_int(&w, "cryptic_bench_build_info", (const char *const[]){"version", CB_VERSION, NULL}, 1);
    render_flow(&w, db);
    render_llm(&w, db);
    render_quality(&w, db);
    render_scrape(&w, db);
    render_sql(&w, sql);

    int rc = -1;
    if (w.failed) {
        err_prefix(err, "metrics");
        goto out;
    }
    if (!(*out = buf_take(&w.b))) {
        err_set(err, "metrics: out of memory");
        goto out;
    }
    rc = 0;
out:
    buf_free(&w.b);
    return rc;
}
