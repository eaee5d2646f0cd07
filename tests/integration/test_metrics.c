/*
 * test_metrics.c - GET /metrics of `serve`, the Prometheus text format
 * (0.0.4). The pipeline runs end to end against the Fifteensquared and LLM
 * fakes (one model answering wrong, one hit by a 400 and one by two 500s,
 * so every outcome and some retries are there), then `serve --no-cron` on
 * that database takes a few SQL endpoint requests and is scraped. The text
 * must pass tests/support/promparse.py, a strict parser of the format, which
 * itself must reject a set of broken expositions; every counter must equal
 * what libsqlite3 reads from the database directly; the SQL counters must
 * equal the requests made; no clue text and no key may appear; a model id
 * needing every escape must come back intact; the answer quality gauges
 * must equal tu_quality's independent computation from the evaluations.
 * With --read-token /metrics wants the token, as the SQL endpoint does.
 */
#include "testutil.h"
#include "pipeline_fakes.h"

#include <jansson.h>
#include <math.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"

static char *work;

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_stop_all_fakes();
    tu_rmtree(work);
    free(work);
    return 0;
}

/* A request to the server; returns the status and the body in *out (caller frees). */
static long request(int port, const char *method, const char *path, const char *body, const char *auth, char **out)
{
    struct http_client *http = NULL;
    struct err err = {{0}};
    struct http_client_opts o = {.retries = 0, .timeout_ms = 20000};
    assert_int_equal(http_client_new(&o, &http, &err), 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    const char *headers[] = {"Content-Type: application/json", auth, NULL};
    struct http_request req = {method, url, headers, body, body ? strlen(body) : 0};
    struct http_response resp;
    if (http_do(http, &req, &resp, &err) != 0)
        fail_msg("%s %s: %s", method, path, err.msg);
    long status = resp.status;
    *out = strdup(resp.body.data ? resp.body.data : "");
    http_response_free(&resp);
    http_client_free(http);
    return status;
}

/* Runs the strict parser on text. Returns its exit status; *parsed gets
 * its JSON when it passed (else NULL), *message its stderr (caller frees). */
static int promparse(const char *text, json_t **parsed, char **message)
{
    char *in = tu_path(work, "prom.in"), *out = tu_path(work, "prom.out"), *errp = tu_path(work, "prom.err");
    char *script = tu_path(getenv("CB_TESTS_DIR"), "support/promparse.py");
    tu_write_file(in, text);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 '%s' < '%s' > '%s' 2> '%s'", script, in, out, errp);
    int rc = system(cmd);
    assert_true(rc != -1 && WIFEXITED(rc));
    rc = WEXITSTATUS(rc);
    *message = tu_read_file(errp, NULL);
    *parsed = NULL;
    if (rc == 0) {
        json_error_t jerr;
        *parsed = json_load_file(out, 0, &jerr);
        if (!*parsed)
            fail_msg("promparse printed no JSON: %s", jerr.text);
    }
    free(in);
    free(out);
    free(errp);
    free(script);
    return rc;
}

/* The value of one series (key as promparse builds it), failing when absent. */
static double value_of(json_t *parsed, const char *key)
{
    const char *text = json_string_value(json_object_get(json_object_get(parsed, "series"), key));
    if (!text)
        fail_msg("no series %s in /metrics", key);
    return strtod(text, NULL);
}

static size_t samples_of(json_t *parsed, const char *family)
{
    json_t *fam = json_object_get(json_object_get(parsed, "families"), family);
    if (!fam)
        fail_msg("no family %s in /metrics", family);
    return json_array_size(json_object_get(fam, "samples"));
}

static const char *type_of(json_t *parsed, const char *family)
{
    const char *t = json_string_value(json_object_get(json_object_get(json_object_get(parsed, "families"), family), "type"));
    if (!t)
        fail_msg("no family %s in /metrics", family);
    return t;
}

/* Splits tu_sql's output into rows of '|'-separated cells: calls fn for each. */
static void each_row(char *rows, void (*fn)(char **cells, void *ctx), void *ctx)
{
    for (char *line = strtok(rows, "\n"); line; line = strtok(NULL, "\n")) {
        char *cells[8] = {0};
        int n = 0;
        for (char *p = line; n < 8;) {
            cells[n++] = p;
            p = strchr(p, '|');
            if (!p)
                break;
            *p++ = '\0';
        }
        fn(cells, ctx);
    }
}

static void check_int(json_t *parsed, const char *key, const char *expect)
{
    double got = value_of(parsed, key);
    if (got != strtod(expect, NULL))
        fail_msg("%s is %.17g in /metrics, %s in the database", key, got, expect);
}

static void check_run_row(char **c, void *parsed)
{
    char key[512];
    snprintf(key, sizeof key, "cryptic_bench_flow_runs{function=\"%s\",status=\"%s\"}", c[0], c[1]);
    check_int(parsed, key, c[2]);
}

static void check_call_row(char **c, void *parsed)
{
    char key[512];
    snprintf(key, sizeof key, "cryptic_bench_llm_calls_total{model=\"%s\",outcome=\"%s\"}", c[0], c[1]);
    check_int(parsed, key, c[2]);
}

static void check_cost_row(char **c, void *parsed)
{
    char key[512];
    snprintf(key, sizeof key, "cryptic_bench_llm_cost_usd_total{model=\"%s\"}", c[0]);
    double got = value_of(parsed, key), want = strtod(c[1], NULL);
    if (fabs(got - want) > 1e-9 * (1 + fabs(want)))
        fail_msg("%s is %.17g in /metrics, %.17g in the database", key, got, want);
}

static void check_latency_row(char **c, void *parsed)
{
    char key[512];
    snprintf(key, sizeof key, "cryptic_bench_llm_call_duration_seconds_count{model=\"%s\"}", c[0]);
    check_int(parsed, key, c[1]);
    snprintf(key, sizeof key, "cryptic_bench_llm_call_duration_seconds_bucket{le=\"+Inf\",model=\"%s\"}", c[0]);
    check_int(parsed, key, c[1]);
    snprintf(key, sizeof key, "cryptic_bench_llm_call_duration_seconds_bucket{le=\"1\",model=\"%s\"}", c[0]);
    check_int(parsed, key, c[2]);
}

static void check_series_row(char **c, void *parsed)
{
    char key[256];
    snprintf(key, sizeof key, "cryptic_bench_puzzles{series=\"%s\"}", c[0]);
    check_int(parsed, key, c[1]);
}

static void check_step_row(char **c, void *parsed)
{
    char key[256];
    snprintf(key, sizeof key, "cryptic_bench_flow_step_retries_total{function=\"%s\"}", c[0]);
    check_int(parsed, key, c[1]);
    snprintf(key, sizeof key, "cryptic_bench_flow_step_duration_seconds_count{function=\"%s\"}", c[0]);
    check_int(parsed, key, c[2]);
}

static void check_absent_row(char **c, void *text)
{
    if (c[0][0] && strstr(text, c[0]))
        fail_msg("/metrics carries the clue text \"%s\"", c[0]);
}

/* The four answer quality gauges of every model of one scope (week: the
 * newest ranked week; NULL: all time) against tu_quality. Returns how many
 * models there were. */
static size_t check_quality_scope(json_t *parsed, const char *db, const char *week)
{
    static const char *const families[] = {"cryptic_bench_wrong_length_rate", "cryptic_bench_no_answer_rate",
                                           "cryptic_bench_error_rate", "cryptic_bench_avg_completion_tokens"};
    char *models = tu_sql(db, week ? "SELECT m.openrouter_id FROM week_coverage w JOIN models m ON m.id = w.model_id"
                                     " WHERE w.week_id = (SELECT max(week_id) FROM week_status WHERE status = 'ranked')"
                                   : "SELECT m.openrouter_id FROM alltime_quality q JOIN models m ON m.id = q.model_id");
    size_t n = 0;
    for (char *model = strtok(models, "\n"); model; model = strtok(NULL, "\n")) {
        struct tu_quality q;
        tu_quality(db, week, model, &q);
        const double want[] = {q.wrong_length_rate, q.no_answer_rate, q.error_rate, q.avg_completion_tokens};
        for (size_t f = 0; f < 4; f++) {
            char key[512];
            if (week)
                snprintf(key, sizeof key, "%s{model=\"%s\",scope=\"week\",week=\"%s\"}", families[f], model, week);
            else
                snprintf(key, sizeof key, "%s{model=\"%s\",scope=\"all-time\"}", families[f], model);
            json_t *got = json_object_get(json_object_get(parsed, "series"), key);
            if (want[f] < 0) { /* no tokens reported: no sample */
                if (got)
                    fail_msg("%s is in /metrics, but no reply reported tokens", key);
                continue;
            }
            double v = value_of(parsed, key);
            if (fabs(v - want[f]) > 1e-9)
                fail_msg("%s is %.17g in /metrics, %.17g computed from the evaluations", key, v, want[f]);
        }
        n++;
    }
    free(models);
    return n;
}

/* A model id needing every escape of a label value: ", \ and a newline. */
#define ODD_MODEL "odd/\"q\"\\b\nx"
#define ODD_MODEL_ESCAPED "odd/\\\"q\\\"\\\\b\\nx"

static void test_metrics_match_the_database(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work,
                 "{\"models\": {\"test/b\": {\"mode\": \"wrong\"}},"
                 " \"faults\": [{\"model\": \"test/c\", \"status\": 500, \"times\": 2},"
                 "              {\"model\": \"test/a\", \"status\": 400, \"times\": 1}]}",
                 0);
    char *db = pf_make_db(work, "metrics.db");
    struct tu_run r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "run", NULL});
    if (r.status != 0)
        fail_msg("run failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_run_free(&r);
    /* Every outcome but no_answer is there. */
    assert_true(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'wrong'") > 0);
    assert_true(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error'") > 0);
    /* The fakes' faults are ridden out inside a step (the HTTP clients
     * retry), so no step needed a second attempt: give the scrape step
     * three, as a flaky blog would. */
    free(tu_sql(db, "UPDATE flow_steps SET attempts = 3 WHERE name = 'scrape'"));
    /* Two posts waiting for a parser fix. */
    free(tu_sql(db, "INSERT INTO rejected_posts (url, series, number, reason) VALUES "
                    "('http://127.0.0.1/a/', 'guardian-cryptic', 29903, 'clue numbers do not cover 1 to 8'), "
                    "('http://127.0.0.1/b/', NULL, NULL, 'HTTP 404')"));
    free(tu_sql(db, "INSERT INTO models (openrouter_id, provider, model_name, display_name, is_active) "
                    "VALUES ('odd/\"q\"\\b' || char(10) || 'x', 'odd', 'odd', 'odd', 0)"));

    int port;
    int pid = tu_start_server((const char *const[]){"TURSO_DATABASE_URL=", NULL},
                              (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron", NULL},
                              &port);
    char *body = NULL;
    const char *good = "{\"requests\": [{\"type\": \"execute\", \"stmt\": {\"sql\": \"SELECT count(*) FROM clues\"}}]}";
    for (int i = 0; i < 3; i++) {
        assert_int_equal(request(port, "POST", "/v2/pipeline", good, NULL, &body), 200);
        free(body);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(request(port, "POST", "/v3/pipeline", "not json", NULL, &body), 400);
        free(body);
    }
    char *text = NULL;
    assert_int_equal(request(port, "GET", "/metrics", NULL, NULL, &text), 200);
    tu_stop_fake(pid);

    /* (1) The format, strictly. */
    json_t *parsed;
    char *message;
    if (promparse(text, &parsed, &message) != 0)
        fail_msg("/metrics is not valid exposition text: %s\n%s", message, text);
    free(message);
    const char *const families[][2] = {
        {"cryptic_bench_up", "gauge"},
        {"cryptic_bench_build_info", "gauge"},
        {"cryptic_bench_flow_runs", "gauge"},
        {"cryptic_bench_flow_step_duration_seconds", "histogram"},
        {"cryptic_bench_flow_step_retries_total", "counter"},
        {"cryptic_bench_llm_calls_total", "counter"},
        {"cryptic_bench_llm_call_duration_seconds", "histogram"},
        {"cryptic_bench_llm_cost_usd_total", "counter"},
        {"cryptic_bench_wrong_length_rate", "gauge"},
        {"cryptic_bench_no_answer_rate", "gauge"},
        {"cryptic_bench_error_rate", "gauge"},
        {"cryptic_bench_avg_completion_tokens", "gauge"},
        {"cryptic_bench_puzzles", "gauge"},
        {"cryptic_bench_clues", "gauge"},
        {"cryptic_bench_scrape_posts_total", "counter"},
        {"cryptic_bench_rejected_posts", "gauge"},
        {"cryptic_bench_sql_requests_total", "counter"},
        {"cryptic_bench_sql_request_duration_seconds", "histogram"},
    };
    size_t nfam = sizeof families / sizeof families[0];
    for (size_t i = 0; i < nfam; i++)
        assert_string_equal(type_of(parsed, families[i][0]), families[i][1]);
    assert_int_equal(json_object_size(json_object_get(parsed, "families")), nfam);
    assert_true(value_of(parsed, "cryptic_bench_up") == 1);
    assert_true(value_of(parsed, "cryptic_bench_build_info{version=\"" CB_VERSION "\"}") == 1);

    /* (2) Every figure against the database, read with libsqlite3. */
    char *rows = tu_sql(db, "SELECT function_id, status, count(*) FROM flow_runs GROUP BY 1, 2");
    each_row(rows, check_run_row, parsed);
    free(rows);
    assert_int_equal(samples_of(parsed, "cryptic_bench_flow_runs"),
                     tu_sql_int(db, "SELECT count(*) FROM (SELECT 1 FROM flow_runs GROUP BY function_id, status)"));
    assert_true(value_of(parsed, "cryptic_bench_flow_runs{function=\"evaluate-model\",status=\"completed\"}") == 9);

    rows = tu_sql(db, "SELECT r.function_id, sum(max(s.attempts - 1, 0)),"
                      "       sum(s.kind = 'run' AND s.status IN ('done', 'failed'))"
                      " FROM flow_steps s JOIN flow_runs r ON r.id = s.run_id GROUP BY 1");
    each_row(rows, check_step_row, parsed);
    free(rows);
    assert_true(value_of(parsed, "cryptic_bench_flow_step_retries_total{function=\"scrape-puzzles\"}") == 2);

    rows = tu_sql(db, "SELECT m.openrouter_id, o.outcome,"
                      "       (SELECT count(*) FROM evaluations e WHERE e.model_id = m.id AND e.outcome = o.outcome)"
                      " FROM models m, (SELECT 'correct' AS outcome UNION ALL SELECT 'wrong' UNION ALL"
                      "                 SELECT 'no_answer' UNION ALL SELECT 'error') o"
                      " WHERE instr(m.openrouter_id, char(10)) = 0");
    each_row(rows, check_call_row, parsed);
    free(rows);
    assert_int_equal(samples_of(parsed, "cryptic_bench_llm_calls_total"), 4 * tu_sql_int(db, "SELECT count(*) FROM models"));
    assert_true(value_of(parsed, "cryptic_bench_llm_calls_total{model=\"test/b\",outcome=\"wrong\"}") > 0);
    assert_true(value_of(parsed, "cryptic_bench_llm_calls_total{model=\"test/a\",outcome=\"error\"}") > 0);

    rows = tu_sql(db, "SELECT m.openrouter_id, printf('%.17g', coalesce(sum(e.cost), 0)) FROM models m"
                      " LEFT JOIN evaluations e ON e.model_id = m.id WHERE instr(m.openrouter_id, char(10)) = 0 GROUP BY m.id");
    each_row(rows, check_cost_row, parsed);
    free(rows);
    assert_true(value_of(parsed, "cryptic_bench_llm_cost_usd_total{model=\"test/a\"}") > 0);

    rows = tu_sql(db, "SELECT m.openrouter_id, count(e.response_time_ms), count(CASE WHEN e.response_time_ms <= 1000 THEN 1 END)"
                      " FROM models m LEFT JOIN evaluations e ON e.model_id = m.id"
                      " WHERE instr(m.openrouter_id, char(10)) = 0 GROUP BY m.id");
    each_row(rows, check_latency_row, parsed);
    free(rows);

    rows = tu_sql(db, "SELECT series, count(*) FROM puzzles GROUP BY 1");
    each_row(rows, check_series_row, parsed);
    free(rows);
    assert_true(value_of(parsed, "cryptic_bench_clues") == (double)tu_sql_int(db, "SELECT count(*) FROM clues"));
    /* A fresh database: every post saved is a stored puzzle. */
    assert_true(value_of(parsed, "cryptic_bench_scrape_posts_total{outcome=\"saved\"}") ==
                (double)tu_sql_int(db, "SELECT count(*) FROM puzzles"));
    assert_true(value_of(parsed, "cryptic_bench_scrape_posts_total{outcome=\"skipped\"}") ==
                (double)tu_sql_int(db, "SELECT coalesce(sum(json_extract(output, '$.skipped')), 0) FROM flow_steps"
                                       " WHERE name = 'scrape' AND status = 'done'"));
    assert_true(value_of(parsed, "cryptic_bench_scrape_posts_total{outcome=\"rejected\"}") ==
                (double)tu_sql_int(db, "SELECT coalesce(sum(json_extract(output, '$.rejected')), 0) FROM flow_steps"
                                       " WHERE name = 'scrape' AND status = 'done'"));

    /* Answer quality: the newest ranked week and all time, every model there. */
    char *week = tu_sql(db, "SELECT max(week_id) FROM week_status WHERE status = 'ranked'");
    week[strcspn(week, "\n")] = '\0';
    assert_true(week[0] == '2'); /* a week, not NULL */
    size_t quality = check_quality_scope(parsed, db, week) + check_quality_scope(parsed, db, NULL);
    free(week);
    assert_int_equal(samples_of(parsed, "cryptic_bench_error_rate"), quality);
    assert_int_equal(quality, 2 * tu_sql_int(db, "SELECT count(DISTINCT model_id) FROM evaluations"));
    assert_true(value_of(parsed, "cryptic_bench_error_rate{model=\"test/a\",scope=\"all-time\"}") > 0);
    assert_true(samples_of(parsed, "cryptic_bench_avg_completion_tokens") > 0);

    assert_true(value_of(parsed, "cryptic_bench_rejected_posts") ==
                (double)tu_sql_int(db, "SELECT count(*) FROM rejected_posts"));
    assert_true(value_of(parsed, "cryptic_bench_rejected_posts") == 2);

    /* The SQL endpoint's counters: exactly the requests made. */
    assert_true(value_of(parsed, "cryptic_bench_sql_requests_total{status=\"200\"}") == 3);
    assert_true(value_of(parsed, "cryptic_bench_sql_requests_total{status=\"400\"}") == 2);
    assert_int_equal(samples_of(parsed, "cryptic_bench_sql_requests_total"), 2);
    assert_true(value_of(parsed, "cryptic_bench_sql_request_duration_seconds_count") == 5);
    assert_true(value_of(parsed, "cryptic_bench_sql_request_duration_seconds_bucket{le=\"+Inf\"}") == 5);
    assert_true(value_of(parsed, "cryptic_bench_sql_request_duration_seconds_sum") > 0);

    /* The odd model id, escaped in the text and intact once parsed. */
    tu_assert_contains(text, "{model=\"" ODD_MODEL_ESCAPED "\",outcome=\"correct\"} 0\n");
    assert_true(value_of(parsed, "cryptic_bench_llm_calls_total{model=\"" ODD_MODEL_ESCAPED "\",outcome=\"error\"}") == 0);
    int found = 0;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(json_object_get(json_object_get(parsed, "families"), "cryptic_bench_llm_cost_usd_total"), "samples"), i, s)
        found += strcmp(json_string_value(json_object_get(json_object_get(s, "labels"), "model")), ODD_MODEL) == 0;
    assert_int_equal(found, 1);

    /* (3) No clue text, no key. */
    rows = tu_sql(db, "SELECT replace(clue_text, char(10), ' ') FROM clues");
    each_row(rows, check_absent_row, text);
    free(rows);
    assert_null(strstr(text, "test-key"));

    json_decref(parsed);
    free(text);
    free(db);
}

/* The parser must be strict: each of these breaks one rule of the format. */
static void test_parser_rejects_broken_text(void **state)
{
    (void)state;
    static const char good[] =
        "# a plain comment\n"
        "# HELP g A gauge; help with \\\\ and \\n.\n"
        "# TYPE g gauge\n"
        "g{a=\"x\\\\y\\\"z\\nw\",b=\"\"} NaN\n"
        "g{a=\"2\",} -Inf 1700000000000\n"
        "g +Inf\n"
        "\n"
        "# HELP c_total A counter.\n"
        "# TYPE c_total counter\n"
        "c_total 1.5e3\n"
        "# HELP h A histogram.\n"
        "# TYPE h histogram\n"
        "h_bucket{le=\"0.1\"} 1\n"
        "h_bucket{le=\"1\"} 1\n"
        "h_bucket{le=\"+Inf\"} 2\n"
        "h_sum 3.5\n"
        "h_count 2\n";
    json_t *parsed;
    char *message;
    if (promparse(good, &parsed, &message) != 0)
        fail_msg("a valid exposition was refused: %s", message);
    free(message);
    assert_string_equal(json_string_value(json_object_get(json_object_get(parsed, "series"),
                                                          "g{a=\"x\\\\y\\\"z\\nw\",b=\"\"}")), "NaN");
    json_t *first = json_array_get(
        json_object_get(json_object_get(json_object_get(parsed, "families"), "g"), "samples"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first, "labels"), "a")), "x\\y\"z\nw");
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(parsed, "families"), "g"), "help")),
                        "A gauge; help with \\ and \n.");
    json_decref(parsed);

#define G "# HELP g g\n# TYPE g gauge\n"
#define C "# HELP c_total c\n# TYPE c_total counter\n"
#define H "# HELP h h\n# TYPE h histogram\n"
    static const char *const bad[][2] = {
        {G "g 1", "does not end with a newline"},
        {"", "empty exposition"},
        {G "1g 1\n", "expected a metric name"},
        {G "g-x 1\n", "is followed by"},
        {G "g{1a=\"x\"} 1\n", "expected a label name"},
        {G "g{__a=\"x\"} 1\n", "reserved"},
        {G "g{a=x} 1\n", "double quotes"},
        {G "g{a=\"\\t\"} 1\n", "bad escape"},
        {G "g{a=\"x\"y\"} 1\n", "expected ',' or '}'"},
        {G "g{a=\"x} 1\n", "unterminated value"},
        {G "g{a=\"1\",a=\"2\"} 1\n", "appears twice"},
        {G "g 1.2.3\n", "is not a float"},
        {G "g Inf\n", "is not a float"},
        {G "g nan\n", "is not a float"},
        {G "g 1 2.5\n", "timestamp"},
        {G "g 1 2 3\n", "after the timestamp"},
        {G "g{a=\"1\"} 1\ng{a=\"1\"} 2\n", "duplicate series"},
        {"# HELP g g\ng 1\n", "no TYPE line"},
        {"# TYPE g gauge\ng 1\n", "no HELP line"},
        {G "# TYPE g gauge\ng 1\n", "second TYPE"},
        {G "# HELP g again\ng 1\n", "second HELP"},
        {G "g 1\n# HELP g late\n", "comes after its samples"},
        {G "# TYPE x gauge\n", "has a TYPE but no HELP"},
        {"# HELP g g\n# TYPE g meter\ng 1\n", "unknown type"},
        {"# HELP 9g g\n", "bad metric name"},
        {"# HELP g bad \\t escape\n# TYPE g gauge\n", "HELP text has the escape"},
        {G "g{a=\"1\"} 1\n" C "c_total 1\ng{a=\"2\"} 1\n", "resumes after other lines"},
        {"# HELP c c\n# TYPE c counter\nc 1\n", "is not named *_total"},
        {C "c_total -1\n", "has the value"},
        {C "c_total NaN\n", "has the value"},
        {H "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not cumulative"},
        {H "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "not le=\"+Inf\""},
        {H "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "but _count is"},
        {H "h_bucket{le=\"+Inf\"} 1\nh_count 1\n", "has no _sum"},
        {H "h_bucket{le=\"+Inf\"} 1\nh_sum 1\n", "has no _count"},
        {H "h_bucket 1\nh_sum 1\nh_count 1\n", "has no le label"},
        {H "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not above"},
        {H "h 1\n", "is a histogram"},
        {G "g{le=\"1\"} 1\n", "label le on a gauge"},
        {G "g{a=\"\xff\"} 1\n", "not UTF-8"},
        {G "g 1\r\n", "carriage return"},
    };
#undef G
#undef C
#undef H
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = promparse(bad[i][0], &parsed, &message);
        if (rc != 1)
            fail_msg("broken input %zu was accepted (exit %d):\n%s", i, rc, bad[i][0]);
        if (!strstr(message, bad[i][1]))
            fail_msg("broken input %zu: expected a message with \"%s\", got: %s", i, bad[i][1], message);
        if (!strstr(message, "promparse: "))
            fail_msg("broken input %zu: message without the parser's name: %s", i, message);
        free(message);
    }
}

/* With --read-token, /metrics wants the token (it summarises the same data
 * as the SQL endpoint); a refused SQL request is counted under its status. */
static void test_metrics_want_the_read_token(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "token.db");
    int port;
    int pid = tu_start_server((const char *const[]){"TURSO_DATABASE_URL=", "CRYPTIC_BENCH_READ_TOKEN=", NULL},
                              (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron",
                                                    "--read-token", "sekrit", NULL},
                              &port);
    char *body = NULL;
    assert_int_equal(request(port, "GET", "/metrics", NULL, NULL, &body), 401);
    assert_null(strstr(body, "cryptic_bench_"));
    free(body);
    assert_int_equal(request(port, "GET", "/metrics", NULL, "Authorization: Bearer wrong", &body), 401);
    free(body);
    assert_int_equal(request(port, "POST", "/v2/pipeline", "{\"requests\": []}", NULL, &body), 401);
    free(body);
    char *text = NULL;
    assert_int_equal(request(port, "GET", "/metrics", NULL, "Authorization: Bearer sekrit", &text), 200);
    tu_stop_fake(pid);
    json_t *parsed;
    char *message;
    if (promparse(text, &parsed, &message) != 0)
        fail_msg("/metrics is not valid exposition text: %s\n%s", message, text);
    free(message);
    /* The 200 series exists from the start; the refusal is counted. */
    assert_true(value_of(parsed, "cryptic_bench_sql_requests_total{status=\"200\"}") == 0);
    assert_true(value_of(parsed, "cryptic_bench_sql_requests_total{status=\"401\"}") == 1);
    assert_true(value_of(parsed, "cryptic_bench_clues") == 0);
    assert_int_equal(samples_of(parsed, "cryptic_bench_flow_runs"), 0);
    assert_null(strstr(text, "sekrit"));
    json_decref(parsed);
    free(text);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parser_rejects_broken_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_want_the_read_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_match_the_database, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
