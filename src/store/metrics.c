/* metrics.c - the aggregates GET /metrics reports from the database; see store.h. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "store/store.h"

const int64_t store_metrics_bucket_ms[STORE_METRICS_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000,
};

/* One cumulative bucket count per bound of store_metrics_bucket_ms, bound
 * as parameters so the bounds are written once: exactly
 * STORE_METRICS_BUCKETS placeholders (checked in query_buckets). */
#define LE1(col) "sum(" col " <= ?)"
#define LE5(col) LE1(col) ", " LE1(col) ", " LE1(col) ", " LE1(col) ", " LE1(col)
#define LE15(col) LE5(col) ", " LE5(col) ", " LE5(col)

static const char *const sql_runs =
    "SELECT function_id, status, count(*) FROM flow_runs\n"
    "GROUP BY function_id, status ORDER BY function_id, status";

/* Durations only of run steps that finished: a sleep's or a wait's span is
 * idle time, an invoke's is its child's whole run. */
static const char *const sql_steps =
    "SELECT function_id, sum(retries), count(ms), coalesce(sum(ms), 0), " LE15("ms") "\n"
    "FROM (SELECT r.function_id AS function_id, max(s.attempts - 1, 0) AS retries,\n"
    "             CASE WHEN s.kind = 'run' AND s.status IN ('done', 'failed') AND s.ended_at >= s.started_at\n"
    "                  THEN s.ended_at - s.started_at END AS ms\n"
    "      FROM flow_steps s JOIN flow_runs r ON r.id = s.run_id)\n"
    "GROUP BY function_id ORDER BY function_id";

/* Every model, so a model that has not been asked yet shows zeros rather
 * than no series at all. */
static const char *const sql_models =
    "SELECT m.openrouter_id,\n"
    "       count(CASE WHEN e.outcome = 'correct' THEN 1 END),\n"
    "       count(CASE WHEN e.outcome = 'wrong' THEN 1 END),\n"
    "       count(CASE WHEN e.outcome = 'no_answer' THEN 1 END),\n"
    "       count(CASE WHEN e.outcome = 'error' THEN 1 END),\n"
    "       coalesce(sum(e.cost), 0.0),\n"
    "       count(e.response_time_ms), coalesce(sum(e.response_time_ms), 0), " LE15("e.response_time_ms") "\n"
    "FROM models m LEFT JOIN evaluations e ON e.model_id = m.id\n"
    "GROUP BY m.id ORDER BY m.openrouter_id";

/* Two scopes only, whatever the history's length: the newest ranked week
 * and all time. Rows without quality yet (stored before migration 11 and
 * not ranked since) are left out rather than shown as zeros. */
static const char *const sql_quality =
    "SELECT * FROM (\n"
    "  SELECT m.openrouter_id AS model, w.week_id AS week, w.wrong_length_rate, w.no_answer_rate, w.error_rate,\n"
    "         w.avg_completion_tokens\n"
    "  FROM week_coverage w JOIN models m ON m.id = w.model_id\n"
    "  WHERE w.week_id = (SELECT max(week_id) FROM week_status WHERE status = 'ranked')\n"
    "    AND w.wrong_length_rate IS NOT NULL\n"
    "  UNION ALL\n"
    "  SELECT m.openrouter_id, NULL, q.wrong_length_rate, q.no_answer_rate, q.error_rate, q.avg_completion_tokens\n"
    "  FROM alltime_quality q JOIN models m ON m.id = q.model_id)\n"
    "ORDER BY week IS NULL, model";

static const char *const sql_series =
    "SELECT series, count(*) FROM puzzles GROUP BY series ORDER BY series";

/* The function, its report step and the report's fields are pipeline/'s
 * (struct store_step_fields): ?1 function, ?2 step, ?3-?5 JSON paths of
 * the saved, rejected and skipped counts. */
static const char *const sql_totals =
    "SELECT (SELECT count(*) FROM clues),\n"
    "       coalesce(sum(json_extract(s.output, ?3)), 0),\n"
    "       coalesce(sum(json_extract(s.output, ?4)), 0),\n"
    "       coalesce(sum(json_extract(s.output, ?5)), 0),\n"
    "       (SELECT count(*) FROM rejected_posts)\n"
    "FROM flow_steps s JOIN flow_runs r ON r.id = s.run_id\n"
    "WHERE r.function_id = ?1 AND s.name = ?2 AND s.kind = 'run'\n"
    "  AND s.status = 'done' AND json_valid(s.output)";

/* Runs a statement whose only parameters are the bucket bounds. */
static int query_buckets(struct store *store, const char *sql, struct db_result **r, struct err *err)
{
    size_t marks = 0;
    for (const char *p = sql; *p; p++)
        marks += *p == '?';
    if (marks != STORE_METRICS_BUCKETS)
        return err_set(err, "metrics query has %zu placeholders for %d buckets", marks, STORE_METRICS_BUCKETS);
    struct db_value args[STORE_METRICS_BUCKETS];
    for (int i = 0; i < STORE_METRICS_BUCKETS; i++)
        args[i] = db_int(store_metrics_bucket_ms[i]);
    struct db_stmt st = {sql, args, STORE_METRICS_BUCKETS};
    return db_query(store_db(store), &st, r, err);
}

/* Fills h from columns col (count), col + 1 (sum), col + 2... (buckets). */
static void histogram(const struct db_result *r, size_t row, size_t col, struct store_metrics_histogram *h)
{
    h->count = db_result_int(r, row, col);
    h->sum_ms = db_result_int(r, row, col + 1);
    for (size_t i = 0; i < STORE_METRICS_BUCKETS; i++)
        h->le[i] = db_result_int(r, row, col + 2 + i);
}

/* A copy of a text cell; a NULL cell becomes "" (a label must have a value). */
static char *dup_text(const struct db_result *r, size_t row, size_t col)
{
    const char *s = db_result_text(r, row, col);
    return strdup(s ? s : "");
}

void store_metrics_free(struct store_metrics *m)
{
    for (size_t i = 0; i < m->nruns; i++) {
        free(m->runs[i].function);
        free(m->runs[i].status);
    }
    for (size_t i = 0; i < m->nsteps; i++)
        free(m->steps[i].function);
    for (size_t i = 0; i < m->nmodels; i++)
        free(m->models[i].model);
    for (size_t i = 0; i < m->nseries; i++)
        free(m->series[i].series);
    for (size_t i = 0; i < m->nquality; i++) {
        free(m->quality[i].model);
        free(m->quality[i].week);
    }
    free(m->quality);
    free(m->runs);
    free(m->steps);
    free(m->models);
    free(m->series);
    memset(m, 0, sizeof *m);
}

/* calloc that is not NULL for zero rows, so "no rows" and "no memory" differ. */
static void *rows(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

int store_metrics_read(struct store *store, const struct store_step_fields *fields, struct store_metrics *out,
                       struct err *err)
{
    struct db_result *r = NULL;
    const char *what = "runs";
    memset(out, 0, sizeof *out);

    if (db_query(store_db(store), &DB_SQL(sql_runs), &r, err) < 0)
        goto fail;
    if (!(out->runs = rows(r->nrows, sizeof *out->runs)))
        goto oom;
    for (size_t i = 0; i < r->nrows; i++) {
        struct store_metrics_runs *x = &out->runs[i];
        out->nruns++; /* counted first, so the free releases a half-filled row */
        x->function = dup_text(r, i, 0);
        x->status = dup_text(r, i, 1);
        if (!x->function || !x->status)
            goto oom;
        x->runs = db_result_int(r, i, 2);
    }
    db_result_free(r);
    r = NULL;

    what = "steps";
    if (query_buckets(store, sql_steps, &r, err) < 0)
        goto fail;
    if (!(out->steps = rows(r->nrows, sizeof *out->steps)))
        goto oom;
    for (size_t i = 0; i < r->nrows; i++) {
        struct store_metrics_steps *x = &out->steps[i];
        out->nsteps++;
        if (!(x->function = dup_text(r, i, 0)))
            goto oom;
        x->retries = db_result_int(r, i, 1);
        histogram(r, i, 2, &x->duration);
    }
    db_result_free(r);
    r = NULL;

    what = "LLM calls";
    if (query_buckets(store, sql_models, &r, err) < 0)
        goto fail;
    if (!(out->models = rows(r->nrows, sizeof *out->models)))
        goto oom;
    for (size_t i = 0; i < r->nrows; i++) {
        struct store_metrics_model *x = &out->models[i];
        out->nmodels++;
        if (!(x->model = dup_text(r, i, 0)))
            goto oom;
        x->correct = db_result_int(r, i, 1);
        x->wrong = db_result_int(r, i, 2);
        x->no_answer = db_result_int(r, i, 3);
        x->error = db_result_int(r, i, 4);
        x->cost_usd = db_result_real(r, i, 5);
        histogram(r, i, 6, &x->latency);
    }
    db_result_free(r);
    r = NULL;

    what = "answer quality";
    if (db_query(store_db(store), &DB_SQL(sql_quality), &r, err) < 0)
        goto fail;
    if (!(out->quality = rows(r->nrows, sizeof *out->quality)))
        goto oom;
    for (size_t i = 0; i < r->nrows; i++) {
        struct store_metrics_quality *x = &out->quality[i];
        out->nquality++;
        if (!(x->model = dup_text(r, i, 0)) || (!db_result_is_null(r, i, 1) && !(x->week = dup_text(r, i, 1))))
            goto oom;
        x->wrong_length_rate = db_result_real(r, i, 2);
        x->no_answer_rate = db_result_real(r, i, 3);
        x->error_rate = db_result_real(r, i, 4);
        x->avg_completion_tokens = db_result_is_null(r, i, 5) ? -1 : db_result_real(r, i, 5);
    }
    db_result_free(r);
    r = NULL;

    what = "puzzles";
    if (db_query(store_db(store), &DB_SQL(sql_series), &r, err) < 0)
        goto fail;
    if (!(out->series = rows(r->nrows, sizeof *out->series)))
        goto oom;
    for (size_t i = 0; i < r->nrows; i++) {
        struct store_metrics_series *x = &out->series[i];
        out->nseries++;
        if (!(x->series = dup_text(r, i, 0)))
            goto oom;
        x->puzzles = db_result_int(r, i, 1);
    }
    db_result_free(r);
    r = NULL;

    what = "clues and scrapes";
    if (db_query(store_db(store),
                 &DB_STMT(sql_totals, STORE_STEP_FIELD(fields, scrape_function), STORE_STEP_FIELD(fields, scrape_step),
                          STORE_STEP_FIELD(fields, scrape_saved), STORE_STEP_FIELD(fields, scrape_rejected),
                          STORE_STEP_FIELD(fields, scrape_skipped)),
                 &r, err) < 0)
        goto fail;
    out->clues = db_result_int(r, 0, 0);
    out->scrape_saved = db_result_int(r, 0, 1);
    out->scrape_rejected = db_result_int(r, 0, 2);
    out->scrape_skipped = db_result_int(r, 0, 3);
    out->rejected_posts = db_result_int(r, 0, 4);
    db_result_free(r);
    return 0;

oom:
    err_set(err, "out of memory");
fail:
    db_result_free(r);
    store_metrics_free(out);
    return err_prefix(err, "cannot read the metrics of %s", what);
}
