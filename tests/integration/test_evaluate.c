/*
 * test_evaluate.c - `evaluate`, `rescore` and `extract` end to end against
 * the fake chat-completions server (tests/fakes/llm.py on loopback): the
 * request as the protocol says, every outcome and error class, faults that
 * never become wrong answers, a 402 that stops every model, a 404 that
 * stops one while the others finish, successes never overwritten, and API
 * keys that never reach the output or the database.
 */
#include "testutil.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static char *work;
static char *db;
static int port;
static int fake_pid;

#define KEY "sk-or-test-SECRET-0123456789abcdef"
#define LOCAL_KEY "local-SECRET-key-9876543210"

static const char *const clues[][3] = {
    /* text, enumeration, answer */
    {"Predator in river, a nasty one", "(7)", "PIRANHA"},
    {"Kind of story that\xe2\x80\x99s scientific, briefly", "(3-2)", "SCIFI"},
    {"Monument in Paris & arc with triumph redone", "(3,2,8)", "ARCDETRIOMPHE"},
    {"Posh & Becks\xe2\x80\x99 first spot", "(5)", "PLACE"},
    {"Go back in, ere entering", "(2-5)", "REENTER"},
    {"Big Apple\xe2\x80\x99s new work", "(3,4)", "NEWYORK"},
};
static const char *const displays[] = {"PIRANHA", "SCI-FI", "ARC DE TRIOMPHE", "PLACE", "RE-ENTER", "NEW YORK"};
#define NCLUES 6

/* Whether needle occurs in len bytes (which may hold NULs). */
static const char *find_bytes(const char *bytes, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(bytes + i, needle, n) == 0)
            return bytes + i;
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    db = tu_path(work, "eval.db");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_stop_all_fakes();
    fake_pid = 0;
    tu_rmtree(work);
    free(work);
    free(db);
    return 0;
}

/* Starts the fake with the given "models" and "faults" (JSON text). */
static void start_llm(const char *models_json, const char *faults_json, int latency_ms)
{
    json_t *solutions = json_object();
    for (int i = 0; i < NCLUES; i++)
        json_object_set_new(solutions, clues[i][0], json_string(displays[i]));
    char *log = tu_path(work, "llm.jsonl");
    json_t *config = json_pack("{s:i, s:o, s:o, s:o, s:s}", "latency_ms", latency_ms, "solutions", solutions,
                               "models", json_loads(models_json ? models_json : "{}", 0, NULL), "faults",
                               json_loads(faults_json ? faults_json : "[]", 0, NULL), "log", log);
    char *path = tu_path(work, "llm.json");
    json_dump_file(config, path, 0);
    json_decref(config);
    remove(log);
    fake_pid = tu_start_fake("llm.py", path, &port);
    free(path);
    free(log);
}

/* The database: a models file naming the fake's own endpoint, init-db, and
 * one week of clues (another week too, which must not be touched). */
static void make_db(const char *model_ids[], int n)
{
    json_t *models = json_array();
    for (int i = 0; i < n; i++) {
        json_t *m = json_pack("{s:s, s:s, s:s}", "id", model_ids[i], "provider", "test", "display_name", model_ids[i]);
        if (strcmp(model_ids[i], "test/correct") == 0)
            json_object_set_new(m, "extra", json_pack("{s:{s:s}}", "reasoning", "effort", "low"));
        if (strncmp(model_ids[i], "local/", 6) == 0) {
            char url[128];
            snprintf(url, sizeof url, "http://127.0.0.1:%d/own/v1", port);
            json_object_set_new(m, "base_url", json_string(url));
            json_object_set_new(m, "api_key_env", json_string("LOCAL_LLM_KEY"));
        }
        json_array_append_new(models, m);
    }
    json_t *file = json_pack("{s:{s:i, s:i}, s:o}", "defaults", "max_tokens", 300, "min_interval_ms", 10,
                             "models", models);
    char *path = tu_path(work, "models.json");
    json_dump_file(file, path, 0);
    json_decref(file);
    struct tu_run r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                                 (const char *const[]){"--db", db, "init-db", "--models", path, NULL});
    if (r.status != 0)
        fail_msg("init-db: %s", r.err);
    tu_run_free(&r);
    free(path);
    free(tu_sql(db, "INSERT INTO puzzles (guardian_id, setter, publication_date, week_id, series) "
                    "VALUES (29971, 'Yank', '2026-04-03', '2026-W14', 'guardian-cryptic')"));
    free(tu_sql(db, "INSERT INTO puzzles (guardian_id, setter, publication_date, week_id, series) "
                    "VALUES (29800, 'Old', '2026-03-01', '2026-W09', 'guardian-cryptic')"));
    for (int i = 0; i < NCLUES; i++) {
        char *sql = sqlite3_mprintf("INSERT INTO clues (puzzle_id, clue_number, direction, clue_text, answer, "
                                    "letter_count) VALUES (1, '%d', 'across', %Q, %Q, %Q)",
                                    i + 1, clues[i][0], clues[i][2], clues[i][1]);
        free(tu_sql(db, sql));
        sqlite3_free(sql);
    }
    free(tu_sql(db, "INSERT INTO clues (puzzle_id, clue_number, direction, clue_text, answer, letter_count) "
                    "VALUES (2, '1', 'across', 'An old clue', 'OLD', '(3)')"));
}

static struct tu_run evaluate(const char *const *extra)
{
    char base[96], dbarg[1024];
    snprintf(base, sizeof base, "OPENROUTER_BASE_URL=http://127.0.0.1:%d/api/v1", port);
    snprintf(dbarg, sizeof dbarg, "%s", db);
    const char *env[] = {base, "OPENROUTER_API_KEY=" KEY, "LOCAL_LLM_KEY=" LOCAL_KEY,
                         "CRYPTIC_BENCH_EVAL_RETRIES=2", "CRYPTIC_BENCH_EVAL_BACKOFF_MS=5",
                         "CRYPTIC_BENCH_EVAL_TIMEOUT_MS=5000", "TURSO_DATABASE_URL=", "DATABASE_PATH=", NULL};
    const char *args[24] = {"--db", dbarg, "evaluate"};
    size_t n = 3;
    for (; extra && *extra && n < 23; extra++)
        args[n++] = *extra;
    args[n] = NULL;
    struct tu_run r = tu_run_cli(work, env, args);
    /* The key never reaches the output. */
    assert_null(strstr(r.out, "SECRET"));
    assert_null(strstr(r.err, "SECRET"));
    return r;
}

static json_t *requests(void)
{
    char *path = tu_path(work, "llm.jsonl");
    json_t *list = json_array();
    if (tu_exists(path)) {
        char *text = tu_read_file(path, NULL);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
            json_array_append_new(list, json_loads(line, 0, NULL));
        free(text);
    }
    free(path);
    return list;
}

static char *outcomes(void)
{
    return tu_sql(db, "SELECT m.openrouter_id, c.clue_number, e.outcome FROM evaluations e "
                      "JOIN models m ON m.id = e.model_id JOIN clues c ON c.id = e.clue_id ORDER BY m.id, c.id");
}

static void test_outcomes_and_protocol(void **state)
{
    (void)state;
    start_llm("{\"test/wrong\": {\"mode\": \"wrong\"}, \"test/reasoner\": {\"mode\": \"reason\"},"
              " \"test/short\": {\"mode\": \"length\"}, \"test/dither\": {\"mode\": \"uncommitted\"}}",
              NULL, 0);
    const char *ids[] = {"test/correct", "test/wrong", "test/reasoner", "test/short", "test/dither", "local/own"};
    make_db(ids, 6);
    struct tu_run r = evaluate(NULL);
    if (r.status != 0)
        fail_msg("evaluate failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_assert_contains(r.out, "week 2026-W14: 6 clues");
    tu_assert_contains(r.out, "total cost: $0.0036");
    tu_run_free(&r);

    /* Outcomes: right, wrong, reasoned-then-right, no answer (cut off, never commits). */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations"), 36);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations e JOIN models m ON m.id = e.model_id "
                                    "WHERE m.openrouter_id IN ('test/correct', 'test/reasoner', 'local/own') "
                                    "AND e.outcome = 'correct' AND e.is_correct = 1"), 18);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations e JOIN models m ON m.id = e.model_id "
                                    "WHERE m.openrouter_id = 'test/wrong' AND e.outcome = 'wrong'"), 6);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations e JOIN models m ON m.id = e.model_id "
                                    "WHERE m.openrouter_id IN ('test/short', 'test/dither') AND e.outcome = 'no_answer' "
                                    "AND e.is_correct = 0 AND e.error_message IS NULL"), 12);
    /* Each evaluation records the extraction rule that decided it. */
    char *rules = tu_sql(db, "SELECT m.openrouter_id, group_concat(DISTINCT e.extract_rule) FROM evaluations e "
                             "JOIN models m ON m.id = e.model_id GROUP BY m.openrouter_id ORDER BY m.openrouter_id");
    assert_string_equal(rules, "local/own|whole-reply\ntest/correct|whole-reply\ntest/dither|none\n"
                               "test/reasoner|answer-is\ntest/short|empty\ntest/wrong|whole-reply\n");
    free(rules);
    char *row = tu_sql(db, "SELECT e.week_id, e.prompt_version, e.prompt_tokens, e.completion_tokens, e.reasoning_tokens, "
                           "e.tokens_used, e.cost, e.finish_reason, e.provider_model, e.attempts, e.extracted_answer, "
                           "e.reasoning FROM evaluations e JOIN models m ON m.id = e.model_id "
                           "WHERE m.openrouter_id = 'test/reasoner' ORDER BY e.clue_id LIMIT 1 OFFSET 2");
    assert_string_equal(row, "2026-W14|1|50|25|20|75|0.0001|stop|test/reasoner-20260101|1|ARC DE TRIOMPHE|thinking about it\n");
    free(row);
    row = tu_sql(db, "SELECT DISTINCT e.finish_reason FROM evaluations e JOIN models m ON m.id = e.model_id "
                     "WHERE m.openrouter_id = 'test/short'");
    assert_string_equal(row, "length\n");
    free(row);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE week_id = '2026-W09'"), 0);

    /* The request, as the protocol and the models file say. */
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 36);
    int own = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        json_t *q = json_array_get(reqs, i);
        json_t *body = json_object_get(q, "body");
        const char *model = json_string_value(json_object_get(q, "model"));
        const char *auth = json_string_value(json_object_get(q, "authorization"));
        if (strcmp(model, "local/own") == 0) {
            own++;
            assert_string_equal(json_string_value(json_object_get(q, "path")), "/own/v1/chat/completions");
            assert_string_equal(auth, "Bearer " LOCAL_KEY);
        } else {
            assert_string_equal(json_string_value(json_object_get(q, "path")), "/api/v1/chat/completions");
            assert_string_equal(auth, "Bearer " KEY);
        }
        assert_true(strlen(json_string_value(json_object_get(q, "referer"))) > 0);
        assert_string_equal(json_string_value(json_object_get(q, "title")), "cryptic-bench");
        assert_int_equal(json_integer_value(json_object_get(body, "temperature")), 0);
        assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")), 300);
        assert_true(json_is_true(json_object_get(json_object_get(body, "usage"), "include")));
        json_t *messages = json_object_get(body, "messages");
        assert_string_equal(json_string_value(json_object_get(json_array_get(messages, 0), "content")),
                            "You are solving cryptic crossword clues. For each clue, provide ONLY the answer - "
                            "no explanation, no punctuation, just the word(s). If the answer is multiple words, "
                            "separate them with spaces.");
        const char *clue = json_string_value(json_object_get(q, "clue"));
        if (strcmp(clue, clues[0][0]) == 0)
            assert_string_equal(json_string_value(json_object_get(json_array_get(messages, 1), "content")),
                                "Solve this cryptic crossword clue:\n\n\"Predator in river, a nasty one\" (7)\n\nAnswer:");
        if (strcmp(model, "test/correct") == 0)
            assert_string_equal(json_string_value(json_object_get(json_object_get(body, "reasoning"), "effort")), "low");
        else
            assert_null(json_object_get(body, "reasoning"));
    }
    assert_int_equal(own, 6);
    /* Each model's clues in order. */
    const char *last_clue = NULL;
    int order = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        json_t *q = json_array_get(reqs, i);
        if (strcmp(json_string_value(json_object_get(q, "model")), "test/correct") != 0)
            continue;
        const char *clue = json_string_value(json_object_get(q, "clue"));
        assert_string_equal(clue, clues[order++][0]);
        last_clue = clue;
    }
    assert_non_null(last_clue);
    json_decref(reqs);

    /* A second run asks nothing: every clue has an answer or a no-answer. */
    char *log = tu_path(work, "llm.jsonl");
    remove(log);
    r = evaluate(NULL);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    reqs = requests();
    assert_int_equal(json_array_size(reqs), 0);
    json_decref(reqs);
    /* --retry-no-answer asks the no-answers again; --model picks one model. */
    r = evaluate((const char *const[]){"--retry-no-answer", "--model", "test/short", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    reqs = requests();
    assert_int_equal(json_array_size(reqs), 6);
    json_decref(reqs);
    remove(log);
    r = evaluate((const char *const[]){"--no-skip", "--model", "test/correct", "--week", "2026-W14", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    reqs = requests();
    assert_int_equal(json_array_size(reqs), 6);
    json_decref(reqs);
    free(log);
}

static void test_retriable_and_call_fatal_errors(void **state)
{
    (void)state;
    char faults[2048];
    snprintf(faults, sizeof faults,
             "[{\"model\": \"test/a\", \"clue\": \"%s\", \"status\": 429, \"retry_after\": 0, \"times\": 2},"
             " {\"model\": \"test/a\", \"clue\": \"%s\", \"status\": 503, \"times\": 1},"
             " {\"model\": \"test/a\", \"clue\": \"%s\", \"malformed\": true, \"times\": 1},"
             " {\"model\": \"test/a\", \"clue\": \"%s\", \"empty\": true, \"times\": 1},"
             " {\"model\": \"test/b\", \"clue\": \"%s\", \"status\": 500, \"times\": 4},"
             " {\"model\": \"test/b\", \"clue\": \"%s\", \"status\": 400, \"times\": 1, \"echo_key\": true}]",
             clues[0][0], clues[1][0], clues[2][0], clues[3][0], clues[0][0], clues[1][0]);
    start_llm(NULL, faults, 0);
    const char *ids[] = {"test/a", "test/b"};
    make_db(ids, 2);
    struct tu_run r = evaluate(NULL);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    /* test/a: every fault retried away. */
    char *rows = tu_sql(db, "SELECT c.clue_number, e.outcome, e.attempts FROM evaluations e JOIN models m "
                            "ON m.id = e.model_id JOIN clues c ON c.id = e.clue_id WHERE m.openrouter_id = 'test/a' "
                            "ORDER BY c.id");
    assert_string_equal(rows, "1|correct|3\n2|correct|2\n3|correct|2\n4|correct|2\n5|correct|1\n6|correct|1\n");
    free(rows);
    /* test/b: retries ran out on clue 1 (error), 400 on clue 2 at once (error); it went on. */
    rows = tu_sql(db, "SELECT c.clue_number, e.outcome, e.attempts, e.is_correct FROM evaluations e JOIN models m "
                      "ON m.id = e.model_id JOIN clues c ON c.id = e.clue_id WHERE m.openrouter_id = 'test/b' "
                      "ORDER BY c.id");
    assert_string_equal(rows, "1|error|3|0\n2|error|1|0\n3|correct|1|1\n4|correct|1|1\n5|correct|1|1\n6|correct|1|1\n");
    free(rows);
    char *msg = tu_sql(db, "SELECT e.error_message FROM evaluations e JOIN clues c ON c.id = e.clue_id "
                           "WHERE e.outcome = 'error' ORDER BY c.id");
    tu_assert_contains(msg, "HTTP 500: fault injected (after 3 attempts)");
    tu_assert_contains(msg, "HTTP 400: fault injected (key: Bearer [redacted])");
    free(msg);
    /* Faults are never wrong answers. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'wrong'"), 0);
    /* Each model's run reports what it asked, got right and failed (runs show). */
    char *outs = tu_sql(db, "SELECT json_extract(output, '$.model'), json_extract(output, '$.asked'), "
                            "json_extract(output, '$.correct'), json_extract(output, '$.errors') FROM flow_runs "
                            "WHERE function_id = 'evaluate-model' ORDER BY 1");
    assert_string_equal(outs, "test/a|6|6|0\ntest/b|6|4|2\n");
    free(outs);
    /* Keys never reach the database. */
    size_t len;
    char *bytes = tu_read_file(db, &len);
    assert_null(find_bytes(bytes, len, "SECRET"));
    free(bytes);
    char *wal = tu_path(work, "eval.db-wal");
    if (tu_exists(wal)) {
        bytes = tu_read_file(wal, &len);
        assert_null(find_bytes(bytes, len, "SECRET"));
        free(bytes);
    }
    free(wal);
    /* Errors are asked again on the next run (and now succeed). */
    r = evaluate(NULL);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error'"), 0);
}

static void test_model_fatal_stops_one_model(void **state)
{
    (void)state;
    start_llm("{\"test/retired\": {\"status\": 404, \"after\": 2, "
              "\"message\": \"Retired Model is deprecated. Use another model.\"}, "
              "\"test/forbidden\": {\"status\": 403, \"after\": 1, \"message\": \"Not allowed for this key\"}}",
              NULL, 0);
    const char *ids[] = {"test/a", "test/retired", "test/b", "test/forbidden"};
    make_db(ids, 4);
    struct tu_run r = evaluate(NULL);
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "2 of 4 models stopped");
    tu_assert_contains(r.out, "stopped: HTTP 403: Not allowed for this key");
    tu_assert_contains(r.out, "stopped: HTTP 404: Retired Model is deprecated");
    /* The evaluation ends with the rankings step: the others are complete,
     * the retired one is not, so the week is ranked without it. */
    tu_assert_contains(r.out, "rankings recomputed from ");
    tu_run_free(&r);
    assert_true(tu_sql_int(db, "SELECT count(*) FROM week_status") > 0);
    /* Evaluated again, the retired model is shown as skipped, with why and
     * how to bring it back, not as "0/0 complete". */
    r = evaluate(NULL);
    const char *row = strstr(r.out, "test/retired ");
    if (!row)
        fail_msg("no row for test/retired:\n%s", r.out);
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(strchr(row, '\n') - row), row);
    tu_assert_contains(line, "skipped: retired (");
    tu_assert_contains(line, "models activate test/retired");
    assert_null(strstr(line, "complete"));
    assert_null(strstr(line, "0/0"));
    tu_run_free(&r);
    char *rows = outcomes();
    tu_assert_contains(rows, "test/retired|1|correct\ntest/retired|2|correct\ntest/retired|3|error\n");
    assert_null(strstr(rows, "test/retired|4"));
    free(rows);
    /* The others finished. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations e JOIN models m ON m.id = e.model_id "
                                    "WHERE m.openrouter_id IN ('test/a', 'test/b') AND e.outcome = 'correct'"), 12);
    /* One request after the 404, none: the model stopped at once. */
    json_t *reqs = requests();
    int retired = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++)
        retired += strcmp(json_string_value(json_object_get(json_array_get(reqs, i), "model")), "test/retired") == 0;
    assert_int_equal(retired, 3);
    json_decref(reqs);
    /* Only the model the provider says is gone (404) is retired; a 403 (this
     * key may not use it) stops this run but keeps the model for the next. */
    char *retired_models = tu_sql(db, "SELECT openrouter_id FROM models WHERE retired_reason IS NOT NULL");
    assert_string_equal(retired_models, "test/retired\n");
    free(retired_models);
    /* runs show: the retirement is one step, done at once. */
    char *retire = tu_sql(db, "SELECT status, attempts FROM flow_steps WHERE name = 'retire'");
    assert_string_equal(retire, "done|1\n");
    free(retire);
    r = evaluate(NULL);
    tu_run_free(&r);
    reqs = requests();
    int asked_retired = 0, asked_forbidden = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        const char *m = json_string_value(json_object_get(json_array_get(reqs, i), "model"));
        asked_retired += strcmp(m, "test/retired") == 0;
        asked_forbidden += strcmp(m, "test/forbidden") == 0;
    }
    json_decref(reqs);
    assert_int_equal(asked_retired, 3);   /* skipped both later times */
    assert_int_equal(asked_forbidden, 4); /* asked again each later time (two more evaluations) */
    rows = outcomes();
    tu_assert_contains(rows, "test/forbidden|1|correct\ntest/forbidden|2|error\n");
    assert_null(strstr(rows, "test/forbidden|3"));
    free(rows);
}

static void test_run_fatal_stops_every_model(void **state)
{
    (void)state;
    char faults[512];
    snprintf(faults, sizeof faults,
             "[{\"model\": \"test/a\", \"clue\": \"%s\", \"status\": 402, \"times\": 1, "
             "\"message\": \"Insufficient credits. Add more using https://openrouter.ai/settings/credits\"}]",
             clues[1][0]);
    start_llm(NULL, faults, 100);
    const char *ids[] = {"test/a", "test/b", "test/c"};
    make_db(ids, 3);
    struct tu_run r = evaluate(NULL);
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "every model stopped: test/a: HTTP 402: Insufficient credits");
    /* One message says why the run stopped; every model shows it stopped. */
    int messages = 0;
    for (const char *p = r.err; (p = strstr(p, "cryptic-bench evaluate:")) != NULL; p++)
        messages++;
    assert_int_equal(messages, 1);
    /* The model table: its rows end at the total (the rankings step's
     * report follows). */
    char *total = strstr(r.out, "total cost:");
    assert_non_null(total);
    *total = '\0';
    assert_int_equal(tu_count_lines(r.out) - 2, 3);
    for (const char *p = r.out; (p = strstr(p, "test/")) != NULL; p++) {
        const char *eol = strchr(p, '\n');
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(eol - p), p);
        tu_assert_contains(line, "stopped:");
        p = eol;
    }
    tu_run_free(&r);
    /* Nobody finished the week; nothing after the 402 but calls already in flight. */
    assert_true(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'correct'") < 3 * NCLUES - 3);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'wrong'"), 0);
    json_t *reqs = requests();
    double fatal_at = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        json_t *q = json_array_get(reqs, i);
        if (strcmp(json_string_value(json_object_get(q, "model")), "test/a") == 0 &&
            strcmp(json_string_value(json_object_get(q, "clue")), clues[1][0]) == 0)
            fatal_at = json_real_value(json_object_get(q, "time"));
    }
    int after = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++)
        after += json_real_value(json_object_get(json_array_get(reqs, i), "time")) > fatal_at + 0.05;
    if (after > 2)
        fail_msg("%d requests after the 402", after);
    assert_true(after <= 2); /* at most the other two models' calls in flight */
    json_decref(reqs);
}

static void test_success_never_overwritten(void **state)
{
    (void)state;
    start_llm(NULL, NULL, 0);
    const char *ids[] = {"test/a"};
    make_db(ids, 1);
    struct tu_run r = evaluate(NULL);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char *before = tu_sql(db, "SELECT * FROM evaluations ORDER BY id");
    tu_stop_fake(fake_pid);
    /* Now every call fails: 500s (retried, then errors), asked again with --no-skip. */
    start_llm("{\"test/a\": {\"status\": 500}}", NULL, 0);
    r = evaluate((const char *const[]){"--no-skip", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "test/a");
    tu_run_free(&r);
    char *after = tu_sql(db, "SELECT * FROM evaluations ORDER BY id");
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* And a 402 on every call: the same. */
    tu_stop_fake(fake_pid);
    start_llm("{\"test/a\": {\"status\": 402}}", NULL, 0);
    r = evaluate((const char *const[]){"--no-skip", NULL});
    assert_int_equal(r.status, 1);
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'correct'"), NCLUES);
}

static void test_usage_and_setup_errors(void **state)
{
    (void)state;
    start_llm(NULL, NULL, 0);
    const char *ids[] = {"test/a"};
    make_db(ids, 1);
    char base[96];
    snprintf(base, sizeof base, "OPENROUTER_BASE_URL=http://127.0.0.1:%d/api/v1", port);
    struct tu_run r = tu_run_cli(work, (const char *const[]){base, "OPENROUTER_API_KEY=", "TURSO_DATABASE_URL=", NULL},
                                 (const char *const[]){"--db", db, "evaluate", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "no API key: set OPENROUTER_API_KEY");
    tu_run_free(&r);
    /* Nothing listening: connection errors are retried, then stored as errors, never as wrong. */
    r = tu_run_cli(work, (const char *const[]){"OPENROUTER_BASE_URL=http://127.0.0.1:1/api/v1",
                                               "OPENROUTER_API_KEY=" KEY, "CRYPTIC_BENCH_EVAL_RETRIES=1",
                                               "CRYPTIC_BENCH_EVAL_BACKOFF_MS=1", "TURSO_DATABASE_URL=", NULL},
                   (const char *const[]){"--db", db, "evaluate", NULL});
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.err, "SECRET"));
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error' AND attempts = 2 "
                                    "AND error_message LIKE '%127.0.0.1%'"), NCLUES);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome <> 'error'"), 0);
    free(tu_sql(db, "DELETE FROM evaluations"));
    r = evaluate((const char *const[]){"--model", "nobody/none", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "unknown model nobody/none");
    tu_run_free(&r);
    r = evaluate((const char *const[]){"--week", "2026-14", NULL});
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    r = evaluate((const char *const[]){"--week", "2026-W30", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "week 2026-W30 has no clues");
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations"), 0);
}

static void test_rescore_and_extract_commands(void **state)
{
    (void)state;
    start_llm("{\"test/reasoner\": {\"mode\": \"reason\"}}", NULL, 0);
    const char *ids[] = {"test/reasoner"};
    make_db(ids, 1);
    struct tu_run r = evaluate(NULL);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    /* Verdicts as the old first-line rule would have stored them: rescore fixes them. */
    free(tu_sql(db, "UPDATE evaluations SET outcome = 'wrong', is_correct = 0, extracted_answer = 'LET ME PARSE THIS CLUE'"));
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                   (const char *const[]){"--db", db, "rescore", "--week", "2026-W14", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "rescored 6 stored replies of 2026-W14");
    tu_assert_contains(r.out, "6 verdicts changed: wrong->correct 6 (answer-is 6)\n");
    tu_assert_contains(r.out, "recomputing rankings from 2026-W14");
    /* Per model: its replies, how many changed, now correct / wrong / no answer. */
    tu_assert_contains(r.out, "test/reasoner                               6        6            6          0              0\n");
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE extract_rule = 'answer-is'"), 6);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM weekly_rankings WHERE week_id = '2026-W14'"), 1);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'correct' AND is_correct = 1"), 6);
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                   (const char *const[]){"--db", db, "rescore", NULL});
    tu_assert_contains(r.out, "0 verdicts changed\n");
    tu_assert_contains(r.out, "0 rows updated");
    tu_assert_contains(r.out, "rankings unchanged");
    tu_run_free(&r);
    /* A rule lost (a row stored before the rules were) is filled in without a verdict change. */
    free(tu_sql(db, "UPDATE evaluations SET extract_rule = NULL WHERE id = (SELECT min(id) FROM evaluations)"));
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                   (const char *const[]){"--db", db, "rescore", NULL});
    tu_assert_contains(r.out, "0 verdicts changed\n");
    tu_assert_contains(r.out, "1 rows updated");
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE extract_rule IS NULL"), 0);

    char *reply = tu_path(work, "reply.txt");
    tu_write_file(reply, "HALF NELSON\n\nWait, let me reconsider.\n\nThe answer is: **HALF HITCH**\n");
    /* extract reads stdin: run it through a shell redirect. */
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s extract --enumeration '(4,5)' --answer half-hitch < %s > %s/out.json",
             getenv("CRYPTIC_BENCH_BIN"), reply, work);
    assert_int_equal(system(cmd), 0);
    char *out_path = tu_path(work, "out.json");
    char *out = tu_read_file(out_path, NULL);
    assert_string_equal(out, "{\"answer\":\"HALF HITCH\",\"rule\":\"revision\",\"method\":\"the last commitment after "
                             "the reply revised an earlier one\",\"correct\":true}\n");
    free(out);
    /* --explain: every candidate, kept or dropped and why, then the JSON. */
    snprintf(cmd, sizeof cmd, "%s extract --enumeration '(4,5)' --explain < %s > %s/out.json",
             getenv("CRYPTIC_BENCH_BIN"), reply, work);
    assert_int_equal(system(cmd), 0);
    out = tu_read_file(out_path, NULL);
    tu_assert_contains(out, "3 non-empty lines\n2 candidates:\n");
    tu_assert_contains(out, "  line 1    first-line   HALF NELSON              a bare line in the reasoning that does "
                            "not fit the enumeration\n");
    tu_assert_contains(out, "  line 3    answer-is    HALF HITCH               kept\n");
    tu_assert_contains(out, "rule: revision (the last commitment after the reply revised an earlier one)\n");
    tu_assert_contains(out, "{\"answer\":\"HALF HITCH\",\"rule\":\"revision\",");
    free(out);
    snprintf(cmd, sizeof cmd, "%s extract --enumeration '(4,5)' --answer half-hitch < %s > %s/out.json",
             getenv("CRYPTIC_BENCH_BIN"), reply, work);
    tu_write_file(reply, "Let me think about the wordplay here. The first part");
    assert_int_equal(system(cmd), 0);
    out = tu_read_file(out_path, NULL);
    tu_assert_contains(out, "{\"answer\":null,");
    tu_assert_contains(out, "\"correct\":false}");
    free(out);
    free(out_path);
    free(reply);
    r = tu_run_cli(work, NULL, (const char *const[]){"extract", NULL});
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "--enumeration is required");
    tu_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outcomes_and_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retriable_and_call_fatal_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_fatal_stops_one_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_fatal_stops_every_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_success_never_overwritten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_and_setup_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rescore_and_extract_commands, setup, teardown),
    };
    return cmocka_run_group_tests_name("evaluate (the binary against a fake chat-completions API)", tests, NULL, NULL);
}
