/*
 * test_sqlapi.c - the read-only SQL endpoint of `serve` (Hrana over HTTP)
 * on a copy of the old database, over loopback: the dashboard's reads give
 * the rows sqlite3 gives; every kind of write is refused and the data is
 * unchanged; malformed input, a runaway query and a huge answer get
 * protocol errors; the read token and CORS.
 */
#include "testutil.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"

static char *work, *db;
static int server, port;

static const char *const env[] = {"TURSO_DATABASE_URL=", "CRYPTIC_BENCH_SQL_STATEMENT_MS=1000",
                                  "CRYPTIC_BENCH_SQL_MAX_ROWS=5000", NULL};

static int setup(void **state)
{
    (void)state;
    if (!tu_shared_dir())
        return 0;
    work = tu_mkdtemp();
    db = tu_path(work, "old.db");
    tu_upgraded_old_db(db, env);
    server = tu_start_server(env, (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron",
                                                        NULL},
                             &port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_stop_fake(server);
    if (work)
        tu_rmtree(work);
    free(work);
    free(db);
    work = db = NULL;
    return 0;
}

/* POSTs body to path; returns the status and the body in *out (caller frees). */
static long post(int to_port, const char *path, const char *body, const char *auth, char **out)
{
    struct http_client *http = NULL;
    struct err err = {{0}};
    struct http_client_opts o = {.retries = 0, .timeout_ms = 20000};
    assert_int_equal(http_client_new(&o, &http, &err), 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", to_port, path);
    const char *headers[] = {"Content-Type: application/json", auth, NULL};
    struct http_request req = {"POST", url, headers, body, strlen(body)};
    struct http_response resp;
    if (http_do(http, &req, &resp, &err) != 0)
        fail_msg("%s", err.msg);
    long status = resp.status;
    *out = strdup(resp.body.data ? resp.body.data : "");
    http_response_free(&resp);
    http_client_free(http);
    return status;
}

/* The rows of one execute's result, as tu_sql prints them. */
static char *rows_text(const json_t *result)
{
    size_t cap = 1 << 16, used = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    size_t i, k;
    json_t *row, *v;
    json_array_foreach(json_object_get(result, "rows"), i, row) {
        json_array_foreach(row, k, v) {
            const char *type = json_string_value(json_object_get(v, "type"));
            char cell[64];
            const char *t = cell;
            if (strcmp(type, "null") == 0)
                t = "NULL";
            else if (strcmp(type, "float") == 0)
                snprintf(cell, sizeof cell, "%.17g", json_number_value(json_object_get(v, "value")));
            else
                t = json_string_value(json_object_get(v, "value"));
            size_t need = used + strlen(t) + 2;
            if (need > cap) {
                cap = need * 2;
                out = realloc(out, cap);
            }
            used += (size_t)sprintf(out + used, "%s%c", t, k + 1 < json_array_size(row) ? '|' : '\n');
        }
    }
    return out;
}

static json_t *execute(const char *sql, long expect_status)
{
    json_t *req = json_pack("{s:[{s:s, s:{s:s}}, {s:s}]}", "requests", "type", "execute", "stmt", "sql", sql, "type",
                            "close");
    char *body = json_dumps(req, JSON_COMPACT), *out = NULL;
    json_decref(req);
    long status = post(port, "/v2/pipeline", body, NULL, &out);
    free(body);
    if (status != expect_status)
        fail_msg("HTTP %ld for [%s]: %s", status, sql, out);
    json_t *doc = json_loads(out, 0, NULL);
    if (!doc)
        fail_msg("not JSON: %s", out);
    free(out);
    return doc;
}

static const json_t *first(const json_t *doc)
{
    return json_array_get(json_object_get(doc, "results"), 0);
}

static void test_reads_match_sqlite(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    static const char *const reads[] = {
        "SELECT DISTINCT week_id FROM weekly_rankings ORDER BY week_id DESC",
        "SELECT week_id, rank, accuracy FROM weekly_rankings WHERE model_id = 1 ORDER BY week_id DESC LIMIT 52",
        "SELECT t.rank_position, m.display_name, t.weeks_count, t.start_week FROM rank_tenure t "
        "JOIN models m ON m.id = t.model_id WHERE t.is_current AND t.rank_position <= 3 "
        "ORDER BY t.weeks_count DESC, t.rank_position",
        "SELECT id, setter, url, title FROM puzzles WHERE week_id = '2026-W07' ORDER BY id",
        "SELECT c.clue_number, c.direction, c.clue_text, c.answer, e.extracted_answer, e.outcome "
        "FROM evaluations e JOIN clues c ON c.id = e.clue_id WHERE e.model_id = 2 AND e.week_id = '2026-W01' "
        "ORDER BY c.id",
        "SELECT week_id, count(*), sum(is_correct), avg(response_time_ms), sum(cost) FROM evaluations GROUP BY 1 ORDER BY 1",
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        json_t *doc = execute(reads[i], 200);
        const json_t *r = first(doc);
        if (strcmp(json_string_value(json_object_get(r, "type")), "ok") != 0)
            fail_msg("read %zu failed: %s", i, json_dumps(r, 0));
        char *got = rows_text(json_object_get(json_object_get(r, "response"), "result"));
        char *want = tu_sql(db, reads[i]);
        if (strcmp(got, want) != 0)
            fail_msg("read %zu differs:\n%s---\n%s", i, got, want);
        assert_true(strlen(want) > 0);
        free(got);
        free(want);
        json_decref(doc);
    }
    /* A batch as @libsql/client sends batch([...], "read"), with stored SQL. */
    const char *batch =
        "{\"requests\":[{\"type\":\"store_sql\",\"sql_id\":0,\"sql\":\"SELECT count(*) FROM clues WHERE puzzle_id = ?\"},"
        "{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"BEGIN TRANSACTION READONLY\",\"args\":[],"
        "\"named_args\":[],\"want_rows\":false}},{\"condition\":{\"type\":\"ok\",\"step\":0},\"stmt\":{\"sql_id\":0,"
        "\"args\":[{\"type\":\"float\",\"value\":1}],\"named_args\":[],\"want_rows\":true}},{\"condition\":{\"type\":"
        "\"ok\",\"step\":1},\"stmt\":{\"sql\":\"SELECT :w AS w\",\"args\":[],\"named_args\":[{\"name\":\"w\",\"value\":"
        "{\"type\":\"text\",\"value\":\"2026-W01\"}}],\"want_rows\":true}},{\"condition\":{\"type\":\"ok\",\"step\":2},"
        "\"stmt\":{\"sql\":\"COMMIT\",\"args\":[],\"named_args\":[],\"want_rows\":false}},{\"condition\":{\"type\":\"not\","
        "\"cond\":{\"type\":\"ok\",\"step\":3}},\"stmt\":{\"sql\":\"ROLLBACK\",\"args\":[],\"named_args\":[],\"want_rows\":"
        "false}}]}},{\"type\":\"close\"}]}";
    char *out = NULL;
    assert_int_equal(post(port, "/v2/pipeline", batch, NULL, &out), 200);
    json_t *doc = json_loads(out, 0, NULL);
    json_t *res = json_object_get(json_object_get(json_array_get(json_object_get(doc, "results"), 1), "response"), "result");
    char *count = rows_text(json_array_get(json_object_get(res, "step_results"), 1));
    char *want = tu_sql(db, "SELECT count(*) FROM clues WHERE puzzle_id = 1");
    assert_string_equal(count, want);
    char *w = rows_text(json_array_get(json_object_get(res, "step_results"), 2));
    assert_string_equal(w, "2026-W01\n");
    assert_true(json_is_null(json_array_get(json_object_get(res, "step_results"), 4))); /* no ROLLBACK: committed */
    free(count);
    free(want);
    free(w);
    json_decref(doc);
    free(out);
}

/* One cell of each side equal: the same text, or the same number (the
 * client prints doubles shortest-first, sqlite3 with 17 digits). */
static int same_cell(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 1;
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    return *a && *b && !*ea && !*eb && x == y;
}

/* The rows sqlite3 itself gives, as arrays of text or null (numbers as text). */
static json_t *sqlite_rows(const char *path, const char *sql)
{
    sqlite3 *conn = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("sqlite3: %s", sqlite3_errmsg(conn));
    json_t *rows = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *row = json_array();
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            char cell[64];
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_NULL:
                json_array_append_new(row, json_null());
                break;
            case SQLITE_FLOAT:
                snprintf(cell, sizeof cell, "%.17g", sqlite3_column_double(st, c));
                json_array_append_new(row, json_string(cell));
                break;
            default:
                json_array_append_new(row, json_string((const char *)sqlite3_column_text(st, c)));
            }
        }
        json_array_append_new(rows, row);
    }
    sqlite3_finalize(st);
    sqlite3_close(conn);
    return rows;
}

/* The official client's rows against sqlite3's, cell by cell. */
static void expect_rows(const json_t *got, const json_t *want, const char *what)
{
    if (json_array_size(got) != json_array_size(want))
        fail_msg("%s: the client has %zu rows, sqlite3 %zu", what, json_array_size(got), json_array_size(want));
    for (size_t i = 0; i < json_array_size(want); i++) {
        json_t *g = json_array_get(got, i), *w = json_array_get(want, i);
        if (json_array_size(g) != json_array_size(w))
            fail_msg("%s: row %zu has %zu columns, sqlite3 %zu", what, i, json_array_size(g), json_array_size(w));
        for (size_t k = 0; k < json_array_size(w); k++) {
            json_t *a = json_array_get(g, k), *b = json_array_get(w, k);
            if (json_is_null(a) && json_is_null(b))
                continue;
            if (!json_is_string(a) || !json_is_string(b) || !same_cell(json_string_value(a), json_string_value(b)))
                fail_msg("%s: row %zu column %zu: client %s, sqlite3 %s", what, i, k,
                         json_is_string(a) ? json_string_value(a) : "null",
                         json_is_string(b) ? json_string_value(b) : "null");
        }
    }
}

/* The dashboard's reads through the official @libsql/client, one by one
 * and as batch([...], "read"): the rows sqlite3 gives. */
static void test_official_client_reads(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    /* DESIGN §8, each read as the old dashboard made it. */
    static const char *const reads[] = {
        /* weeks that have rankings, newest first */
        "SELECT DISTINCT week_id FROM weekly_rankings ORDER BY week_id DESC",
        /* a week's leaderboard */
        "SELECT wr.rank, m.display_name, m.provider, wr.accuracy, wr.correct_count, wr.total_clues, "
        "(SELECT weeks_count FROM rank_tenure t WHERE t.model_id = wr.model_id AND t.rank_position = wr.rank "
        "AND t.is_current), "
        "(SELECT avg(response_time_ms) FROM evaluations e WHERE e.model_id = wr.model_id AND e.week_id = wr.week_id), "
        "(SELECT sum(cost) FROM evaluations e WHERE e.model_id = wr.model_id AND e.week_id = wr.week_id) "
        "FROM weekly_rankings wr JOIN models m ON m.id = wr.model_id WHERE wr.week_id = '2026-W01' ORDER BY wr.rank, m.id",
        /* a model's clue results for a week, wrong ones first */
        "SELECT c.clue_text, c.letter_count, c.answer, e.model_response, e.extracted_answer, e.is_correct, p.setter "
        "FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id "
        "WHERE e.model_id = 1 AND e.week_id = '2026-W01' ORDER BY e.is_correct, c.id",
        /* a week's summary */
        "SELECT count(DISTINCT p.id), count(DISTINCT c.id), "
        "(SELECT count(*) FROM weekly_rankings WHERE week_id = '2026-W01') "
        "FROM puzzles p JOIN clues c ON c.puzzle_id = p.id WHERE p.week_id = '2026-W01'",
        /* a model's history */
        "SELECT week_id, rank, accuracy FROM weekly_rankings WHERE model_id = 1 ORDER BY week_id DESC LIMIT 52",
        /* tenure leaders */
        "SELECT t.rank_position, m.display_name, t.weeks_count, t.start_week FROM rank_tenure t "
        "JOIN models m ON m.id = t.model_id WHERE t.is_current AND t.rank_position <= 3 "
        "ORDER BY t.weeks_count DESC, t.rank_position, m.id",
        /* a week's puzzles */
        "SELECT id, setter, json_extract(raw_json, '$.url'), json_extract(raw_json, '$.title') "
        "FROM puzzles WHERE week_id = '2026-W07' ORDER BY id",
    };

    json_t *list = json_array();
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
        json_array_append_new(list, json_string(reads[i]));
    char *input = tu_path(work, "reads.json"), *output = tu_path(work, "client.json");
    json_dump_file(list, input, 0);
    json_decref(list);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "node '%s' http://127.0.0.1:%d < '%s' > '%s' 2> '%s.err'", getenv("CB_LIBSQL_READS"), port,
             input, output, output);
    if (system(cmd) != 0) {
        char err_path[1024];
        snprintf(err_path, sizeof err_path, "%s.err", output);
        fail_msg("the official client failed: %s", tu_read_file(err_path, NULL));
    }
    json_t *doc = json_load_file(output, 0, NULL);
    assert_non_null(doc);
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        json_t *want = sqlite_rows(db, reads[i]);
        assert_true(json_array_size(want) > 0);
        char what[64];
        snprintf(what, sizeof what, "read %zu (execute)", i);
        expect_rows(json_array_get(json_object_get(doc, "single"), i), want, what);
        snprintf(what, sizeof what, "read %zu (batch)", i);
        expect_rows(json_array_get(json_object_get(doc, "batch"), i), want, what);
        json_decref(want);
    }
    json_decref(doc);
    free(input);
    free(output);
}

static void test_writes_are_refused(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *before = tu_sql(db, "SELECT (SELECT count(*) FROM clues), (SELECT count(*) FROM evaluations), "
                              "(SELECT group_concat(name) FROM sqlite_schema), (SELECT value FROM metadata "
                              "WHERE key = 'schema_version'), (SELECT user_version FROM pragma_user_version)");
    char vacuum[512], attach[512];
    snprintf(vacuum, sizeof vacuum, "VACUUM INTO '%s/copy.db'", work);
    snprintf(attach, sizeof attach, "ATTACH '%s/other.db' AS other", work);
    const char *const writes[] = {
        "INSERT INTO metadata (key, value) VALUES ('x', 'y')",
        "UPDATE clues SET answer = 'X'",
        "DELETE FROM evaluations",
        "REPLACE INTO metadata (key, value) VALUES ('schema_version', '1')",
        "WITH x AS (SELECT 1) DELETE FROM clues",
        "CREATE TABLE sneaky (x)",
        "CREATE TEMP TABLE t (x)",
        "DROP TABLE clues",
        "ALTER TABLE clues ADD COLUMN y",
        "CREATE INDEX i ON clues (answer)",
        attach,
        "PRAGMA user_version = 7",
        "PRAGMA journal_mode = DELETE",
        vacuum,
        "VACUUM",
        "SELECT 1; DELETE FROM clues",
        "REINDEX",
        "ANALYZE",
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        json_t *doc = execute(writes[i], 200);
        const char *type = json_string_value(json_object_get(first(doc), "type"));
        if (strcmp(type, "error") != 0)
            fail_msg("the write [%s] was not refused", writes[i]);
        json_decref(doc);
    }
    /* In a sequence after a read, and in a batch after BEGIN. */
    const char *more[] = {
        "{\"requests\":[{\"type\":\"sequence\",\"sql\":\"SELECT 1; DELETE FROM clues; SELECT 2\"}]}",
        "{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
        "{\"condition\":{\"type\":\"ok\",\"step\":0},\"stmt\":{\"sql\":\"DELETE FROM clues\"}},"
        "{\"condition\":{\"type\":\"ok\",\"step\":1},\"stmt\":{\"sql\":\"COMMIT\"}},"
        "{\"condition\":{\"type\":\"not\",\"cond\":{\"type\":\"ok\",\"step\":2}},\"stmt\":{\"sql\":\"ROLLBACK\"}}]}}]}",
    };
    for (size_t i = 0; i < 2; i++) {
        char *out = NULL;
        assert_int_equal(post(port, "/v2/pipeline", more[i], NULL, &out), 200);
        json_t *doc = json_loads(out, 0, NULL);
        const json_t *r = first(doc);
        if (i == 0) {
            assert_string_equal(json_string_value(json_object_get(r, "type")), "error");
        } else {
            /* BEGIN IMMEDIATE may itself fail on the read-only connection; the DELETE never succeeds. */
            json_t *res = json_object_get(json_object_get(r, "response"), "result");
            assert_true(json_is_null(json_array_get(json_object_get(res, "step_results"), 1)));
            assert_true(json_is_object(json_array_get(json_object_get(res, "step_errors"), 0)) ||
                        json_is_object(json_array_get(json_object_get(res, "step_errors"), 1)));
        }
        json_decref(doc);
        free(out);
    }
    char *after = tu_sql(db, "SELECT (SELECT count(*) FROM clues), (SELECT count(*) FROM evaluations), "
                             "(SELECT group_concat(name) FROM sqlite_schema), (SELECT value FROM metadata "
                             "WHERE key = 'schema_version'), (SELECT user_version FROM pragma_user_version)");
    assert_string_equal(before, after);
    char *copy = tu_path(work, "copy.db"), *other = tu_path(work, "other.db");
    assert_false(tu_exists(copy));
    assert_false(tu_exists(other));
    char *mode = tu_sql(db, "PRAGMA journal_mode");
    assert_string_equal(mode, "wal\n");
    free(mode);
    free(copy);
    free(other);
    free(before);
    free(after);
}

static void test_bad_input_and_limits(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    static const char *const bad[] = {
        "{\"requests\": [",
        "[1, 2]",
        "{\"requests\": 5}",
        "{\"requests\": [{\"type\": \"explode\"}]}",
        "{\"requests\": [{\"type\": \"execute\", \"stmt\": {\"sql\": \"SELECT ?\", \"args\": [{\"type\": \"integer\", \"value\": 5}]}}]}",
        "{\"baton\": \"abc\", \"requests\": []}",
        "{\"requests\": [{\"type\": \"execute\", \"stmt\": {\"sql\": \"SELECT ?, ?\"}}]}",
        "{\"requests\": [{\"type\": \"batch\", \"batch\": {\"steps\": [{\"condition\": {\"type\": \"ok\", \"step\": 3}, \"stmt\": {\"sql\": \"SELECT 1\"}}]}}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL;
        long status = post(port, "/v2/pipeline", bad[i], NULL, &out);
        json_t *doc = json_loads(out, 0, NULL);
        /* A protocol error (400 {message, code}) or a per-request error; never a crash. */
        if (status == 400) {
            assert_non_null(json_string_value(json_object_get(doc, "message")));
        } else {
            assert_int_equal(status, 200);
            assert_string_equal(json_string_value(json_object_get(first(doc), "type")), "error");
        }
        json_decref(doc);
        free(out);
    }
    /* A body over the limit. */
    size_t big = 2u << 20;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    char *out = NULL;
    assert_int_equal(post(port, "/v2/pipeline", huge, NULL, &out), 413);
    free(out);
    free(huge);
    /* A runaway query is interrupted (CRYPTIC_BENCH_SQL_STATEMENT_MS=1000). */
    json_t *doc = execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n", 200);
    tu_assert_contains(json_string_value(json_object_get(json_object_get(first(doc), "error"), "code")), "INTERRUPT");
    json_decref(doc);
    /* What the authorizer refuses is named by SQLite's code (SQLITE_AUTH), the
     * same whatever words the message has; any other mistake is SQLITE_ERROR. */
    doc = execute("SELECT load_extension('x')", 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first(doc), "error"), "code")),
                        "SQLITE_AUTH");
    json_decref(doc);
    doc = execute("SELECT no_such_column FROM models", 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first(doc), "error"), "code")),
                        "SQLITE_ERROR");
    json_decref(doc);
    /* Too many rows for one answer (CRYPTIC_BENCH_SQL_MAX_ROWS=5000). */
    doc = execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 6000) SELECT i FROM n", 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first(doc), "error"), "code")),
                        "RESPONSE_TOO_LARGE");
    json_decref(doc);
    /* v3 adds get_autocommit and the is_autocommit condition; v2 refuses them. */
    const char *v3 = "{\"requests\":[{\"type\":\"get_autocommit\"},{\"type\":\"batch\",\"batch\":{\"steps\":["
                     "{\"condition\":{\"type\":\"is_autocommit\"},\"stmt\":{\"sql\":\"SELECT 7\"}}]}}]}";
    assert_int_equal(post(port, "/v3/pipeline", v3, NULL, &out), 200);
    doc = json_loads(out, 0, NULL);
    assert_true(json_is_true(json_object_get(json_object_get(first(doc), "response"), "is_autocommit")));
    char *seven = rows_text(json_array_get(json_object_get(json_object_get(json_object_get(
        json_array_get(json_object_get(doc, "results"), 1), "response"), "result"), "step_results"), 0));
    assert_string_equal(seven, "7\n");
    free(seven);
    json_decref(doc);
    free(out);
    assert_int_equal(post(port, "/v2/pipeline", v3, NULL, &out), 400);
    free(out);
    /* The server is still there. */
    doc = execute("SELECT 42", 200);
    assert_string_equal(json_string_value(json_object_get(first(doc), "type")), "ok");
    json_decref(doc);
}

static void test_read_token_and_cors(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    int tport;
    int other = tu_start_server(env, (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron",
                                                           "--read-token", "s3cret-token", "--allow-origin",
                                                           "http://example.test", NULL},
                                &tport);
    const char *body = "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}}]}";
    char *out = NULL;
    assert_int_equal(post(tport, "/v2/pipeline", body, NULL, &out), 401);
    free(out);
    assert_int_equal(post(tport, "/v2/pipeline", body, "Authorization: Bearer s3cret-tokem", &out), 401);
    free(out);
    assert_int_equal(post(tport, "/v2/pipeline", body, "Authorization: Bearer s3cret-token", &out), 200);
    tu_assert_contains(out, "\"results\"");
    free(out);
    /* The preflight from an allowed origin (--allow-origin) names
     * Authorization and Content-Type; no origin gets a wildcard without
     * --public-sql (tests/security covers the rest). */
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "curl -s -i -X OPTIONS -H 'Origin: http://example.test' -H 'Access-Control-Request-Method: POST' "
             "http://127.0.0.1:%d/v2/pipeline > %s/preflight.txt",
             tport, work);
    assert_int_equal(system(cmd), 0);
    tu_stop_fake(other);
    char *path = tu_path(work, "preflight.txt");
    char *text = tu_read_file(path, NULL);
    tu_assert_contains(text, "Access-Control-Allow-Headers: Authorization, Content-Type");
    tu_assert_contains(text, "Access-Control-Allow-Origin: http://example.test");
    assert_null(strstr(text, "Access-Control-Allow-Origin: *"));
    free(text);
    free(path);
}

/* The refusals at their edges, as a client sees them: ATTACH of a database
 * file that exists (the read-only open alone would read it), a token that
 * merely starts with the read token or is a prefix of it, and the row
 * limit exactly reached and just passed. */
static void test_refusals_at_the_edges(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *secret = tu_path(work, "secret.db");
    const char *const make[] = {"CREATE TABLE secret (x)", "INSERT INTO secret VALUES ('leaked-value')"};
    free(tu_sql_many(secret, make, 2));
    char body[1024];
    snprintf(body, sizeof body,
             "{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":["
             "{\"stmt\":{\"sql\":\"ATTACH '%s' AS other\"}},"
             "{\"stmt\":{\"sql\":\"SELECT x FROM other.secret\"}}]}}]}",
             secret);
    char *out = NULL;
    assert_int_equal(post(port, "/v2/pipeline", body, NULL, &out), 200);
    if (strstr(out, "leaked-value"))
        fail_msg("ATTACH of an existing file let a read through: %s", out);
    json_t *doc = json_loads(out, 0, NULL);
    json_t *res = json_object_get(json_object_get(first(doc), "response"), "result");
    assert_true(json_is_object(json_array_get(json_object_get(res, "step_errors"), 0)));
    assert_true(json_is_null(json_array_get(json_object_get(res, "step_results"), 1)));
    json_decref(doc);
    free(out);
    free(secret);

    /* CRYPTIC_BENCH_SQL_MAX_ROWS=5000: 5000 rows are an answer, 5001 are not. */
    doc = execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 5000) SELECT i FROM n", 200);
    assert_string_equal(json_string_value(json_object_get(first(doc), "type")), "ok");
    assert_int_equal(json_array_size(json_object_get(json_object_get(json_object_get(first(doc), "response"),
                                                                     "result"), "rows")), 5000);
    json_decref(doc);
    doc = execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 5001) SELECT i FROM n", 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first(doc), "error"), "code")),
                        "RESPONSE_TOO_LARGE");
    json_decref(doc);

    /* A stored SQL text under an id out of range is refused; in range it runs. */
    const char *stored = "{\"requests\":[{\"type\":\"store_sql\",\"sql_id\":100000,\"sql\":\"SELECT 1\"},"
                         "{\"type\":\"store_sql\",\"sql_id\":-1,\"sql\":\"SELECT 1\"},"
                         "{\"type\":\"store_sql\",\"sql_id\":3,\"sql\":\"SELECT 33\"},"
                         "{\"type\":\"execute\",\"stmt\":{\"sql_id\":3}}]}";
    assert_int_equal(post(port, "/v2/pipeline", stored, NULL, &out), 200);
    doc = json_loads(out, 0, NULL);
    free(out);
    const json_t *results = json_object_get(doc, "results");
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(results, i), "error"),
                                                              "code")), "SQL_STORE_TOO_MANY");
    assert_string_equal(json_string_value(json_object_get(json_array_get(results, 2), "type")), "ok");
    char *thirty_three = rows_text(json_object_get(json_object_get(json_array_get(results, 3), "response"), "result"));
    assert_string_equal(thirty_three, "33\n");
    free(thirty_three);
    json_decref(doc);

    /* describe: the columns and parameters of a statement, or its error. */
    const char *describe = "{\"requests\":[{\"type\":\"describe\",\"sql\":\"SELECT 1 AS one, :who AS who\"},"
                           "{\"type\":\"describe\",\"sql\":\"SELECT nope FROM nowhere\"}]}";
    assert_int_equal(post(port, "/v2/pipeline", describe, NULL, &out), 200);
    doc = json_loads(out, 0, NULL);
    free(out);
    results = json_object_get(doc, "results");
    const json_t *desc = json_object_get(json_object_get(json_array_get(results, 0), "response"), "result");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(desc, "cols"), 1), "name")),
                        "who");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(desc, "params"), 0), "name")),
                        ":who");
    assert_string_equal(json_string_value(json_object_get(json_array_get(results, 1), "type")), "error");
    json_decref(doc);

    int tport;
    int other = tu_start_server(env, (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron",
                                                           "--read-token", "s3cret-token", NULL},
                                &tport);
    const char *read = "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}}]}";
    const char *const wrong[] = {"Authorization: Bearer s3cret-token-and-more", "Authorization: Bearer s3cret-toke",
                                 "Authorization: Bearer ", "Authorization: s3cret-token"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        long status = post(tport, "/v2/pipeline", read, wrong[i], &out);
        if (status != 401)
            fail_msg("[%s] got HTTP %ld: %s", wrong[i], status, out);
        free(out);
    }
    assert_int_equal(post(tport, "/v2/pipeline", read, "Authorization: Bearer s3cret-token", &out), 200);
    free(out);
    tu_stop_fake(other);
}

/* The step results of a one-batch pipeline: "o" for a result, "e" for an
 * error, "-" for a step that did not run. */
static char *batch_shape(const char *steps)
{
    char *body = malloc(strlen(steps) + 128), *out = NULL;
    sprintf(body, "{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[%s]}}]}", steps);
    assert_int_equal(post(port, "/v2/pipeline", body, NULL, &out), 200);
    free(body);
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    json_t *res = json_object_get(json_object_get(first(doc), "response"), "result");
    size_t n = json_array_size(json_object_get(res, "step_results"));
    char *shape = calloc(n + 1, 1);
    for (size_t i = 0; i < n; i++)
        shape[i] = json_is_object(json_array_get(json_object_get(res, "step_results"), i))  ? 'o'
                   : json_is_object(json_array_get(json_object_get(res, "step_errors"), i)) ? 'e'
                                                                                             : '-';
    json_decref(doc);
    return shape;
}

/* The protocol as a client sees it: batch conditions (ok, error, not, and,
 * or), every value type through arguments and back, and a transaction a
 * pipeline leaves open ends with it (connections are kept per server
 * thread, so it would otherwise hold a stale snapshot for the next
 * client). */
static void test_protocol_conditions_values_and_transactions(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *shape = batch_shape(
        "{\"stmt\":{\"sql\":\"SELECT 1\"}},"
        "{\"stmt\":{\"sql\":\"SELECT nope FROM nowhere\"}},"
        "{\"condition\":{\"type\":\"error\",\"step\":1},\"stmt\":{\"sql\":\"SELECT 2\"}},"
        "{\"condition\":{\"type\":\"error\",\"step\":0},\"stmt\":{\"sql\":\"SELECT 3\"}},"
        "{\"condition\":{\"type\":\"and\",\"conds\":[{\"type\":\"ok\",\"step\":0},{\"type\":\"ok\",\"step\":1}]},"
        "\"stmt\":{\"sql\":\"SELECT 4\"}},"
        "{\"condition\":{\"type\":\"or\",\"conds\":[{\"type\":\"ok\",\"step\":1},{\"type\":\"ok\",\"step\":0}]},"
        "\"stmt\":{\"sql\":\"SELECT 5\"}},"
        "{\"condition\":{\"type\":\"not\",\"cond\":{\"type\":\"ok\",\"step\":1}},\"stmt\":{\"sql\":\"SELECT 6\"}},"
        "{\"condition\":{\"type\":\"and\",\"conds\":[]},\"stmt\":{\"sql\":\"SELECT 7\"}},"
        "{\"condition\":{\"type\":\"or\",\"conds\":[]},\"stmt\":{\"sql\":\"SELECT 8\"}},"
        "{\"condition\":{\"type\":\"and\",\"conds\":[{\"type\":\"ok\",\"step\":0},{\"type\":\"error\",\"step\":1}]},"
        "\"stmt\":{\"sql\":\"SELECT 9\"}}");
    assert_string_equal(shape, "oeo--ooo-o");
    free(shape);

    /* A condition that is malformed anywhere, even inside a not, refuses the request. */
    const char *bad_not = "{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"SELECT 1\"}},"
                          "{\"condition\":{\"type\":\"not\",\"cond\":{\"type\":\"bogus\"}},\"stmt\":{\"sql\":\"SELECT 2\"}}]}}]}";
    char *refused = NULL;
    assert_int_equal(post(port, "/v2/pipeline", bad_not, NULL, &refused), 400);
    free(refused);

    /* Each value type goes in as an argument and comes back as itself. */
    const char *values =
        "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT ?, ?, ?, ?, ?, typeof(?5)\",\"args\":["
        "{\"type\":\"integer\",\"value\":\"9007199254740993\"},{\"type\":\"float\",\"value\":2.5},"
        "{\"type\":\"text\",\"value\":\"h\\u00e9llo\"},{\"type\":\"blob\",\"base64\":\"AAEC\"},{\"type\":\"null\"}]}}]}";
    char *out = NULL;
    assert_int_equal(post(port, "/v2/pipeline", values, NULL, &out), 200);
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    const json_t *row = json_array_get(json_object_get(json_object_get(json_object_get(first(doc), "response"),
                                                                       "result"), "rows"), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 0), "type")), "integer");
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 0), "value")), "9007199254740993");
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 1), "type")), "float");
    assert_true(json_number_value(json_object_get(json_array_get(row, 1), "value")) == 2.5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 2), "value")), "h\xc3\xa9llo");
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 3), "type")), "blob");
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 3), "base64")), "AAEC");
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 4), "type")), "null");
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 5), "value")), "null");
    json_decref(doc);
    /* A bad argument is refused with the reason, not bound as something else. */
    doc = execute("SELECT 1", 200);
    json_decref(doc);
    const char *bad_int = "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT ?\",\"args\":["
                          "{\"type\":\"integer\",\"value\":\"12abc\"}]}}]}";
    assert_int_equal(post(port, "/v2/pipeline", bad_int, NULL, &out), 200);
    tu_assert_contains(out, "\"type\":\"error\"");
    free(out);

    /* Transactions left open by several pipelines (so by every server
     * thread, whichever answers) do not outlive them. */
    const char *open_tx = "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN\"}},"
                          "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM metadata\"}}]}";
    for (int i = 0; i < 12; i++) {
        assert_int_equal(post(port, "/v2/pipeline", open_tx, NULL, &out), 200);
        free(out);
    }
    free(tu_sql(db, "INSERT INTO metadata (key, value) VALUES ('probe', 'after')"));
    const char *check = "{\"requests\":[{\"type\":\"get_autocommit\"},"
                        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT value FROM metadata WHERE key = 'probe'\"}}]}";
    for (int i = 0; i < 12; i++) {
        assert_int_equal(post(port, "/v3/pipeline", check, NULL, &out), 200);
        doc = json_loads(out, 0, NULL);
        if (!json_is_true(json_object_get(json_object_get(first(doc), "response"), "is_autocommit")))
            fail_msg("a transaction outlived its pipeline: %s", out);
        char *probe = rows_text(json_object_get(json_object_get(json_array_get(json_object_get(doc, "results"), 1),
                                                                "response"), "result"));
        if (strcmp(probe, "after\n") != 0)
            fail_msg("a stale snapshot: %s", out);
        free(probe);
        json_decref(doc);
        free(out);
    }
}

/* The same server's dashboard files: a client holding the current ETag
 * gets 304 and no body; any other ETag gets the file. */
static void test_dashboard_files_revalidate(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "curl -s -D %s/head.txt -o /dev/null http://127.0.0.1:%d/", work, port);
    assert_int_equal(system(cmd), 0);
    char *path = tu_path(work, "head.txt");
    char *head = tu_read_file(path, NULL);
    char *etag = strstr(head, "ETag: ");
    if (!etag)
        etag = strstr(head, "etag: ");
    if (!etag)
        fail_msg("no ETag on the dashboard: %s", head);
    etag += 6;
    etag[strcspn(etag, "\r\n")] = '\0';
    const char *cases[][2] = {{etag, "304 0"}, {"\"not-it\"", "200 "}};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd,
                 "curl -s -o /dev/null -w '%%{http_code} %%{size_download}' -H 'If-None-Match: %s' "
                 "http://127.0.0.1:%d/ > %s/code.txt", cases[i][0], port, work);
        assert_int_equal(system(cmd), 0);
        char *code_path = tu_path(work, "code.txt");
        char *code = tu_read_file(code_path, NULL);
        if (strncmp(code, cases[i][1], strlen(cases[i][1])) != 0 || (i == 1 && strcmp(code, "200 0") == 0))
            fail_msg("If-None-Match %s: got [%s]", cases[i][0], code);
        free(code);
        free(code_path);
    }
    free(head);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_match_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_official_client_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_token_and_cors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_at_the_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protocol_conditions_values_and_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dashboard_files_revalidate, setup, teardown),
    };
    return cmocka_run_group_tests_name("read-only SQL endpoint", tests, NULL, NULL);
}
