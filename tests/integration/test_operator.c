/*
 * test_operator.c - what an operator meets first and every week after
 * (issue 20): settings parsed strictly (a bad value of every numeric
 * setting exits 2 naming it; an unknown CRYPTIC_BENCH_* variable is
 * warned about with the closest name); --db refuses a URL that is not
 * libSQL's; only init-db upgrades (the old file byte-identical after every
 * other command, init-db's copy of it); read-only commands write nothing
 * (a read-only file; a corrupt file, refused by every command with the
 * same advice); bad events refused by `send` and POST /e/ with nothing
 * stored; --version, help, every --help complete, the man page; and
 * `make start`'s script serving on the LISTEN and DATABASE_PATH it is
 * given, stopping cleanly on SIGINT.
 */
#include "testutil.h"
#include "core/utc.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/http.h"
#include "core/pct.h"
#include "pipeline_fakes.h"

static char *work;

/* Nothing of the caller's database settings leaks in. */
static const char *const clean_env[] = {"TURSO_DATABASE_URL=", "DATABASE_PATH=", "OPENROUTER_API_KEY=", NULL};

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

static struct tu_run cli_db(const char *db, const char *const *env, const char *const *args)
{
    const char *full[24] = {"--db", db};
    size_t n = 2;
    for (; *args && n < 23; args++)
        full[n++] = *args;
    full[n] = NULL;
    return tu_run_cli(work, env ? env : clean_env, full);
}

/* An upgraded copy of the old database, as work/name; caller frees. */
static char *upgraded(const char *name)
{
    char *db = tu_path(work, name);
    tu_upgraded_old_db(db, clean_env);
    return db;
}

/* ---- settings ------------------------------------------------------- */

static void test_bad_setting_values_exit_2_naming_them(void **state)
{
    (void)state;
    static const char *const whole[] = {
        "CRYPTIC_BENCH_MAX_MODELS",       "CRYPTIC_BENCH_EVAL_RETRIES",     "CRYPTIC_BENCH_EVAL_TIMEOUT_MS",
        "CRYPTIC_BENCH_EVAL_BACKOFF_MS",  "CRYPTIC_BENCH_FLOW_POLL_MS",     "CRYPTIC_BENCH_FLOW_LEASE_MS",
        "CRYPTIC_BENCH_FLOW_BACKOFF_MS",  "CRYPTIC_BENCH_FLOW_WORKERS",     "CRYPTIC_BENCH_BACKUP_STEP_PAGES",
        "CRYPTIC_BENCH_MIGRATE_BATCH_ROWS", "CRYPTIC_BENCH_SQL_MAX_ROWS",   "CRYPTIC_BENCH_SQL_STATEMENT_MS",
        "FIFTEENSQUARED_MIN_INTERVAL_MS", "FIFTEENSQUARED_RETRIES",         "FIFTEENSQUARED_BACKOFF_MS",
        "FIFTEENSQUARED_TIMEOUT_MS",
    };
    static const char *const bad_whole[] = {"-1", "-2", "abc", "99999999999999999999", "1.5", "10ms", " 3"};
    static const char *const decimal[] = {"CRYPTIC_BENCH_RUN_BUDGET_USD", "CRYPTIC_BENCH_COST_PER_CALL_USD",
                                          "CRYPTIC_BENCH_COVERAGE_THRESHOLD"};
    static const char *const bad_decimal[] = {"$0.0005", "0,0005", "0.0005USD", "-1", "1e3", "abc", "."};
    char *db = upgraded("s.db");
    char before[65], after[65];
    tu_sha256_file(db, before);
    for (int kind = 0; kind < 2; kind++) {
        const char *const *names = kind ? decimal : whole;
        size_t nnames = kind ? 3 : sizeof whole / sizeof whole[0];
        const char *const *values = kind ? bad_decimal : bad_whole;
        size_t nvalues = kind ? sizeof bad_decimal / sizeof bad_decimal[0] : sizeof bad_whole / sizeof bad_whole[0];
        for (size_t i = 0; i < nnames; i++)
            for (size_t k = 0; k < nvalues; k++) {
                char setting[160];
                snprintf(setting, sizeof setting, "%s=%s", names[i], values[k]);
                const char *env[] = {"TURSO_DATABASE_URL=", "DATABASE_PATH=", setting, NULL};
                struct tu_run r = cli_db(db, env, (const char *const[]){"rank", "--all", NULL});
                if (r.status != 2)
                    fail_msg("%s: exit %d, expected 2; stderr: %s", setting, r.status, r.err);
                char quoted[160];
                snprintf(quoted, sizeof quoted, "%s=\"%s\"", names[i], values[k]);
                tu_assert_contains(r.err, quoted);
                tu_assert_contains(r.err, kind ? "a number" : "a whole number from");
                assert_int_equal(tu_count_lines(r.err), 1);
                tu_run_free(&r);
            }
    }
    /* The same values in .env are refused the same way. */
    char *dotenv = tu_path(work, ".env");
    tu_write_file(dotenv, "CRYPTIC_BENCH_RUN_BUDGET_USD=$0.0005\n");
    struct tu_run r = cli_db(db, NULL, (const char *const[]){"status", NULL});
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "CRYPTIC_BENCH_RUN_BUDGET_USD=\"$0.0005\"");
    tu_run_free(&r);
    /* A good value passes. */
    tu_write_file(dotenv, "CRYPTIC_BENCH_RUN_BUDGET_USD=0.0005\nCRYPTIC_BENCH_MAX_MODELS=4\n");
    r = cli_db(db, NULL, (const char *const[]){"status", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    remove(dotenv);
    free(dotenv);
    /* Other kinds: yes/no, URLs, addresses, cron, dates. */
    static const char *const others[] = {"CRYPTIC_BENCH_PUBLIC_SQL=maybe", "CRYPTIC_BENCH_CHECK_CREDITS=2",
                                         "OPENROUTER_BASE_URL=openrouter.ai", "LISTEN=nonsense",
                                         "CRYPTIC_BENCH_SCRAPE_CRON=every sunday", "CRYPTIC_BENCH_NOW=yesterday",
                                         "DATABASE_PATH=ftp://x/y.db"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        const char *env[] = {"TURSO_DATABASE_URL=", others[i], NULL};
        r = tu_run_cli(work, env, (const char *const[]){"status", NULL});
        if (r.status != 2)
            fail_msg("%s: exit %d, expected 2; stderr: %s", others[i], r.status, r.err);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(strchr(others[i], '=') - others[i]), others[i]);
        tu_assert_contains(r.err, name);
        tu_run_free(&r);
    }
    tu_sha256_file(db, after);
    assert_string_equal(before, after);
    free(db);
}

static void test_unknown_setting_is_warned_with_the_closest_name(void **state)
{
    (void)state;
    char *db = upgraded("u.db");
    const char *env[] = {"TURSO_DATABASE_URL=", "DATABASE_PATH=", "CRYPTIC_BENCH_MAX_MODEL=3", NULL};
    struct tu_run r = cli_db(db, env, (const char *const[]){"status", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.err, "CRYPTIC_BENCH_MAX_MODEL is not a setting");
    tu_assert_contains(r.err, "CRYPTIC_BENCH_MAX_MODELS");
    tu_run_free(&r);
    free(db);
}

static void test_db_location_must_be_a_path_or_a_libsql_url(void **state)
{
    (void)state;
    struct tu_run r = tu_run_cli(work, clean_env, (const char *const[]){"--db", "ftp://x/y.db", "init-db", NULL});
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "ftp://x/y.db");
    tu_assert_contains(r.err, "libsql://, https:// or http://");
    tu_run_free(&r);
    char *made = tu_path(work, "ftp:");
    assert_false(tu_exists(made));
    free(made);
    /* The scheme is read in any case: HTTP:// is a server (here, none). */
    r = tu_run_cli(work, clean_env, (const char *const[]){"--db", "HTTP://127.0.0.1:1", "status", NULL});
    assert_int_equal(r.status, 1);
    made = tu_path(work, "HTTP:");
    assert_false(tu_exists(made));
    free(made);
    tu_run_free(&r);
}

/* ---- schema: only init-db upgrades ------------------------------------ */

static void test_only_init_db_upgrades_the_old_file(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *original = tu_path(tu_shared_dir(), "data/original-cryptic-bench.db");
    char *db = tu_path(work, "old.db");
    tu_copy_file(original, db);
    chmod(db, 0644);
    char before[65], after[65];
    tu_sha256_file(db, before);
    static const char *const commands[][6] = {
        {"leaderboard", NULL},
        {"leaderboard", "--all-time", NULL},
        {"models", NULL},
        {"puzzles", "list", NULL},
        {"runs", "list", NULL},
        {"rank", "--all", NULL},
        {"rescore", NULL},
        {"evaluate", "--week", "2026-W10", NULL},
        {"run", NULL},
        {"send", "benchmark/scrape.requested", NULL},
        {"backfill", "anthropic/claude-opus-4.5", NULL},
        {"clues", "exclude", "1", "--reason", "x"},
        {"scrape", NULL},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        struct tu_run r = cli_db(db, NULL, commands[i]);
        if (r.status != 1)
            fail_msg("%s: exit %d, expected 1; stderr: %s", commands[i][0], r.status, r.err);
        tu_assert_contains(r.err, "schema 1, this program needs");
        tu_assert_contains(r.err, "run `cryptic-bench init-db` (it keeps a copy of the file first)");
        assert_int_equal(tu_count_lines(r.err), 1);
        tu_run_free(&r);
        tu_sha256_file(db, after);
        if (strcmp(before, after) != 0)
            fail_msg("%s changed the old file", commands[i][0]);
    }
    /* status reads it and says what to do. */
    struct tu_run r = cli_db(db, NULL, (const char *const[]){"status", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "schema version:   1");
    tu_assert_contains(r.out, "init-db");
    tu_run_free(&r);
    /* serve refuses it the same way. */
    r = cli_db(db, NULL, (const char *const[]){"serve", "--listen", "127.0.0.1:0", "--no-cron", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "schema 1, this program needs");
    tu_run_free(&r);
    tu_sha256_file(db, after);
    assert_string_equal(before, after);

    /* init-db keeps a copy first, as it was, and says so. */
    static const char *const content[] = {
        "SELECT * FROM puzzles ORDER BY id", "SELECT * FROM clues ORDER BY id",
        "SELECT * FROM evaluations ORDER BY id", "SELECT * FROM weekly_rankings ORDER BY id",
        "SELECT * FROM models ORDER BY id",
    };
    char *rows_before = tu_sql_many(original, content, 5);
    r = cli_db(db, NULL, (const char *const[]){"init-db", "--models", getenv("CB_MODELS_JSON"), NULL});
    assert_int_equal(r.status, 0);
    char *copy = tu_path(work, "old.db.schema-1.bak");
    tu_assert_contains(r.out, "kept a copy of schema version 1: ");
    tu_assert_contains(r.out, copy);
    tu_run_free(&r);
    assert_true(tu_exists(copy));
    char *rows_copy = tu_sql_many(copy, content, 5);
    assert_string_equal(rows_before, rows_copy);
    assert_int_equal(tu_sql_int(copy, "SELECT value FROM metadata WHERE key = 'schema_version'"), 1);
    /* Current now: a second init-db makes no copy. */
    r = cli_db(db, NULL, (const char *const[]){"init-db", "--models", getenv("CB_MODELS_JSON"), NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "up to date");
    assert_null(strstr(r.out, "kept a copy"));
    tu_run_free(&r);

    /* An existing copy is never replaced: init-db stops, the file unchanged. */
    char *db2 = tu_path(work, "old2.db"), *copy2 = tu_path(work, "old2.db.schema-1.bak");
    tu_copy_file(original, db2);
    tu_write_file(copy2, "an earlier copy");
    tu_sha256_file(db2, before);
    r = cli_db(db2, NULL, (const char *const[]){"init-db", "--models", getenv("CB_MODELS_JSON"), NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "old2.db.schema-1.bak already exists");
    tu_run_free(&r);
    tu_sha256_file(db2, after);
    assert_string_equal(before, after);
    char *kept = tu_read_file(copy2, NULL);
    assert_string_equal(kept, "an earlier copy");
    free(kept);
    free(db2);
    free(copy2);
    free(rows_before);
    free(rows_copy);
    free(copy);
    free(db);
    free(original);
}

/* ---- read-only commands write nothing --------------------------------- */

static const char *const readonly_commands[][5] = {
    {"status", NULL},       {"status", "--json", NULL}, {"leaderboard", NULL}, {"leaderboard", "--all-time", NULL},
    {"runs", "list", NULL}, {"runs", "list", "--json", NULL}, {"puzzles", "list", NULL}, {"models", NULL},
    {"models", "--json", NULL}, {"clues", "list", "--puzzle", "1", NULL},
};

static void test_read_only_commands_on_a_read_only_file(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *db = upgraded("ro.db");
    struct tu_run ranked = cli_db(db, NULL, (const char *const[]){"rank", "--all", NULL});
    assert_int_equal(ranked.status, 0);
    tu_run_free(&ranked);
    chmod(db, 0444);
    char before[65], after[65];
    tu_sha256_file(db, before);
    for (size_t i = 0; i < sizeof readonly_commands / sizeof readonly_commands[0]; i++) {
        struct tu_run r = cli_db(db, NULL, readonly_commands[i]);
        if (r.status != 0)
            fail_msg("%s: exit %d; stderr: %s", readonly_commands[i][0], r.status, r.err);
        tu_run_free(&r);
    }
    tu_sha256_file(db, after);
    assert_string_equal(before, after);
    chmod(db, 0644);
    free(db);
}

static void test_a_corrupt_file_is_refused_by_every_command(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *db = upgraded("bad.db");
    /* Page 41 (a table's b-tree page) overwritten with garbage. */
    FILE *f = fopen(db, "r+b");
    assert_non_null(f);
    char junk[4096];
    memset(junk, 0xff, sizeof junk);
    assert_int_equal(fseek(f, 4096L * 40, SEEK_SET), 0);
    assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    fclose(f);
    char before[65], after[65];
    tu_sha256_file(db, before);
    static const char *const commands[][4] = {
        {"status", NULL},      {"leaderboard", NULL}, {"runs", "list", NULL},
        {"puzzles", "list", NULL}, {"models", NULL},  {"rank", "--all", NULL},
        {"rescore", NULL},     {"run", NULL},         {"send", "benchmark/scrape.requested", NULL},
        {"evaluate", NULL},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        struct tu_run r = cli_db(db, NULL, commands[i]);
        if (r.status != 1)
            fail_msg("%s: exit %d, expected 1; stderr: %s", commands[i][0], r.status, r.err);
        tu_assert_contains(r.err, "is corrupt");
        tu_assert_contains(r.err, "restore the latest backup");
        assert_int_equal(tu_count_lines(r.err), 1);
        tu_run_free(&r);
        tu_sha256_file(db, after);
        if (strcmp(before, after) != 0)
            fail_msg("%s wrote to the corrupt file", commands[i][0]);
    }
    struct tu_run r = cli_db(db, NULL, (const char *const[]){"init-db", "--models", getenv("CB_MODELS_JSON"), NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "is corrupt");
    tu_run_free(&r);
    tu_sha256_file(db, after);
    assert_string_equal(before, after);
    free(db);
}

static void test_clues_list_gives_the_ids_exclude_takes(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *db = upgraded("clues.db");
    struct tu_run r = cli_db(db, NULL, (const char *const[]){"clues", "list", "--puzzle", "2", "--json", NULL});
    assert_int_equal(r.status, 0);
    json_error_t jerr;
    json_t *list = json_loads(r.out, 0, &jerr);
    assert_true(json_is_array(list));
    /* The same clues as the table holds, read here with plain SQLite. */
    size_t n = json_array_size(list);
    assert_int_equal((int64_t)n, tu_sql_int(db, "SELECT count(*) FROM clues WHERE puzzle_id = 2"));
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(c, "id")));
        char q[128];
        snprintf(q, sizeof q, "SELECT puzzle_id FROM clues WHERE id = %s", id);
        assert_int_equal(tu_sql_int(db, q), 2);
    }
    char first[32];
    snprintf(first, sizeof first, "%lld", (long long)json_integer_value(json_object_get(json_array_get(list, 0), "id")));
    json_decref(list);
    tu_run_free(&r);
    /* The listed id is what exclude takes; the list then shows it excluded. */
    r = cli_db(db, NULL, (const char *const[]){"clues", "exclude", first, "--reason", "wrong answer in the blog", NULL});
    if (r.status != 0)
        fail_msg("clues exclude %s: %s", first, r.err);
    tu_run_free(&r);
    r = cli_db(db, NULL, (const char *const[]){"clues", "list", "--puzzle", "2", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "excluded: wrong answer in the blog");
    tu_run_free(&r);
    r = cli_db(db, NULL, (const char *const[]){"clues", "list", "--puzzle", "99999", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "no puzzle 99999");
    tu_run_free(&r);
    r = cli_db(db, NULL, (const char *const[]){"clues", "list", NULL});
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    free(db);
}

/* ---- percentages: the same in the CLI and the dashboard ------------------ */

static void test_cli_and_dashboard_round_percentages_alike(void **state)
{
    (void)state;
    /* The dashboard's pct(), taken from app.js as it ships, run by node. */
    const char *tests = getenv("CB_TESTS_DIR");
    assert_non_null(tests);
    char app[4096];
    snprintf(app, sizeof app, "%s/../src/web/dashboard/app.js", tests);
    char *js = tu_read_file(app, NULL);
    char *start = strstr(js, "const pct = ");
    assert_non_null(start);
    char *end = strstr(start, ";\n");
    assert_non_null(end);
    static const double values[] = {6.25, 0.05, 12.35, 99.95, 33.333333333333336, 66.66666666666667, 0.0, 100.0,
                                    18.75, 43.75};
    char script[8192];
    int n = snprintf(script, sizeof script, "%.*s;\nfor (const v of [", (int)(end - start), start);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        n += snprintf(script + n, sizeof script - (size_t)n, "%s%.17g", i ? "," : "", values[i]);
    snprintf(script + n, sizeof script - (size_t)n, "]) console.log(pct(v));\n");
    free(js);
    struct tu_run r = tu_run_program(work, NULL, (const char *const[]){"node", "-e", script, NULL});
    if (r.status != 0)
        fail_msg("node failed: %s", r.err);
    char want[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        used += (size_t)snprintf(want + used, sizeof want - used, "%.1f%%\n", pct_round1(values[i]));
    assert_string_equal(r.out, want);
    tu_assert_contains(r.out, "6.3%\n"); /* 6.25: a half rounds up, in both */
    tu_run_free(&r);

    /* And the CLI's leaderboard prints each accuracy that way. */
    TU_REQUIRE_SHARED();
    char *db = upgraded("pct.db");
    r = cli_db(db, NULL, (const char *const[]){"rank", "--all", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char *week = tu_sql(db, "SELECT max(week_id) FROM weekly_rankings");
    week[strcspn(week, "\n")] = '\0';
    r = cli_db(db, NULL, (const char *const[]){"leaderboard", "--week", week, NULL});
    assert_int_equal(r.status, 0);
    char q[256];
    snprintf(q, sizeof q, "SELECT accuracy FROM weekly_rankings WHERE week_id = '%s'", week);
    char *accs = tu_sql(db, q);
    for (char *line = accs, *next; *line; line = next) {
        next = strchr(line, '\n');
        *next++ = '\0';
        char shown[32];
        snprintf(shown, sizeof shown, " %.1f%%", pct_round1(strtod(line, NULL)));
        tu_assert_contains(r.out, shown);
    }
    free(accs);
    free(week);
    tu_run_free(&r);
    free(db);
}

/* ---- events ------------------------------------------------------------ */

static const char *const bad_events[][2] = {
    {"nosuch/event", "{}"},
    {"", "{}"},
    {"benchmark/evaluate.requested", "{\"week_id\":\"notaweek\"}"},
    {"benchmark/evaluate.requested", "{}"},
    {"benchmark/evaluate.requested", "{\"week_id\":\"2026-W07\",\"models\":[\"nobody/nothing\"]}"},
    {"benchmark/scrape.requested", "{\"series\":[\"nope\"]}"},
    {"benchmark/scrape.requested", "{\"weekid\":\"2026-W07\"}"},
    {"benchmark/model.added", "{\"model\":\"anthropic/claude-opus-4.5\",\"weeks\":[\"W07\"]}"},
};

static void test_send_refuses_bad_events(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *db = upgraded("ev.db");
    int64_t events = tu_sql_int(db, "SELECT count(*) FROM flow_events");
    for (size_t i = 0; i < sizeof bad_events / sizeof bad_events[0]; i++) {
        struct tu_run r = cli_db(db, NULL, (const char *const[]){"send", bad_events[i][0], "--data", bad_events[i][1], NULL});
        if (r.status != 2)
            fail_msg("send %s %s: exit %d, expected 2; stdout %s stderr %s", bad_events[i][0], bad_events[i][1],
                     r.status, r.out, r.err);
        assert_null(strstr(r.out, "\"status\":200"));
        tu_run_free(&r);
    }
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), events);
    /* A good one is stored. */
    struct tu_run r = cli_db(db, NULL,
                             (const char *const[]){"send", "benchmark/evaluate.requested", "--data",
                                                   "{\"week_id\":\"2026-W07\"}", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), events + 1);
    free(db);
}

/* The event key every HTTP sender needs (the servers below get it). */
#define EVENT_KEY "operator-test-key"

static long post(int port, const char *body, char **reply)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/e/" EVENT_KEY, port);
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct http_request req = {"POST", url, headers, body, strlen(body)};
    struct http_client *http = NULL;
    struct http_client_opts ho = {.retries = 0, .timeout_ms = 10000};
    struct http_response resp;
    struct err err = {{0}};
    assert_int_equal(http_client_new(&ho, &http, &err), 0);
    if (http_do(http, &req, &resp, &err) != 0)
        fail_msg("POST %s: %s", url, err.msg);
    long status = resp.status;
    *reply = strdup(resp.body.data ? resp.body.data : "");
    http_response_free(&resp);
    http_client_free(http);
    return status;
}

static void test_event_api_refuses_bad_events(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *db = upgraded("api.db");
    int64_t events = tu_sql_int(db, "SELECT count(*) FROM flow_events");
    int port = 0;
    const char *env[] = {"TURSO_DATABASE_URL=", "DATABASE_PATH=", "INNGEST_SIGNING_KEY=", "INNGEST_DEV=",
                         "INNGEST_EVENT_KEY=" EVENT_KEY, NULL};
    int pid = tu_start_server(env, (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron",
                                                        "--workers", "1", NULL},
                              &port);
    for (size_t i = 0; i < sizeof bad_events / sizeof bad_events[0]; i++) {
        char body[512], *reply = NULL;
        snprintf(body, sizeof body, "{\"name\":\"%s\",\"data\":%s}", bad_events[i][0], bad_events[i][1]);
        long status = post(port, body, &reply);
        if (status != 400)
            fail_msg("POST %s: HTTP %ld, expected 400: %s", body, status, reply);
        free(reply);
    }
    /* A batch with one bad event stores none of them. */
    char *reply = NULL;
    long status = post(port,
                       "[{\"name\":\"benchmark/evaluate.requested\",\"data\":{\"week_id\":\"2026-W07\"}},"
                       "{\"name\":\"nosuch/event\",\"data\":{}}]",
                       &reply);
    assert_int_equal(status, 400);
    tu_assert_contains(reply, "event 2");
    tu_assert_contains(reply, "nosuch/event");
    free(reply);
    tu_stop_fake(pid);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), events);
    free(db);
}

/* ---- run's progress ------------------------------------------------------ */

/* The last progress line ("runs: ...") of a run's stderr (malloc'd, NULL
 * when none), and whether two lines in a row were the same. */
static char *last_progress(const char *err, int *repeated)
{
    char *prev = NULL;
    *repeated = 0;
    for (const char *p = err; (p = strstr(p, "runs: ")); p++) {
        const char *eol = strchr(p, '\n');
        char *line = strndup(p, eol ? (size_t)(eol - p) : strlen(p));
        if (prev && strcmp(prev, line) == 0)
            *repeated = 1;
        free(prev);
        prev = line;
    }
    return prev; /* the caller's */
}

static void test_run_progress_counts_this_run_only(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, NULL, 0);
    char *db = pf_make_db(work, "progress.db");
    struct tu_run r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "run", NULL});
    if (r.status != 0)
        fail_msg("run failed (%d): %s", r.status, r.err);
    int repeated = 0;
    char *line = last_progress(r.err, &repeated);
    assert_non_null(line);
    assert_false(repeated);
    tu_run_free(&r);
    free(line);
    int64_t before = tu_sql_int(db, "SELECT count(*) FROM evaluations");
    /* The second run asks only the clues of the one post the first missed:
     * its progress counts those, not the database's history. */
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "run", NULL});
    assert_int_equal(r.status, 0);
    line = last_progress(r.err, &repeated);
    assert_non_null(line);
    if (repeated)
        fail_msg("the same progress line twice in a row off a terminal:\n%s", r.err);
    int64_t added = tu_sql_int(db, "SELECT count(*) FROM evaluations") - before;
    char want[64];
    snprintf(want, sizeof want, "; %lld evaluations (0 errors)", (long long)added);
    tu_assert_contains(line, "scrape-puzzles 1/1");
    tu_assert_contains(line, want);
    assert_null(strstr(line, "failures"));
    free(line);
    tu_run_free(&r);

    /* `runs` names each run's week and model, in text and in JSON. */
    r = cli_db(db, NULL, (const char *const[]){"runs", "list", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "WEEK");
    tu_assert_contains(r.out, "MODEL");
    tu_assert_contains(r.out, pf_models[0]);
    tu_assert_contains(r.out, "2026-W14");
    tu_run_free(&r);
    r = cli_db(db, NULL, (const char *const[]){"runs", "list", "--json", NULL});
    assert_int_equal(r.status, 0);
    json_error_t jerr;
    json_t *runs = json_loads(r.out, 0, &jerr);
    if (!json_is_array(runs))
        fail_msg("runs list --json is not a JSON array: %s", r.out);
    size_t i, models = 0;
    json_t *run;
    const char *one = NULL;
    json_array_foreach(runs, i, run) {
        const char *fn = json_string_value(json_object_get(run, "function"));
        char q[256];
        /* What the run's stored event names, read with plain SQLite. */
        snprintf(q, sizeof q, "SELECT coalesce(json_extract(event, '$.data.model'), ''), "
                              "coalesce(json_extract(event, '$.data.week_id'), '') FROM flow_runs WHERE id = '%s'",
                 json_string_value(json_object_get(run, "id")));
        char *stored = tu_sql(db, q);
        char got[256];
        snprintf(got, sizeof got, "%s|%s\n", json_string_value(json_object_get(run, "model")) ?
                 json_string_value(json_object_get(run, "model")) : "",
                 json_string_value(json_object_get(run, "week")) ? json_string_value(json_object_get(run, "week")) : "");
        assert_string_equal(stored, got);
        free(stored);
        if (strcmp(fn, "evaluate-model") == 0) {
            models++;
            one = json_string_value(json_object_get(run, "id"));
        }
    }
    assert_true(models >= PF_NMODELS);
    struct tu_run shown = cli_db(db, NULL, (const char *const[]){"runs", "show", one, "--json", NULL});
    assert_int_equal(shown.status, 0);
    json_t *detail = json_loads(shown.out, 0, &jerr);
    assert_non_null(detail);
    assert_true(json_array_size(json_object_get(detail, "steps")) > 0);
    assert_non_null(json_string_value(json_object_get(detail, "model")));
    json_decref(detail);
    tu_run_free(&shown);
    json_decref(runs);
    tu_run_free(&r);
    free(db);
}

/* ---- one retry policy per call ------------------------------------------------- */

static void test_a_failing_feed_is_retried_by_one_policy(void **state)
{
    (void)state;
    /* The feed answers 503 every time; the fake logs each request. */
    char *log = tu_path(work, "feed.jsonl"), *config = tu_path(work, "down.json");
    json_t *c = json_pack("{s:{s:i, s:s}, s:s}", "feed", "status", 503, "body", "down for maintenance", "log", log);
    json_dump_file(c, config, 0);
    json_decref(c);
    int port = 0;
    tu_start_fake("fifteensquared.py", config, &port);
    char *db = pf_make_db(work, "retry.db");
    char url[96];
    snprintf(url, sizeof url, "FIFTEENSQUARED_URL=http://127.0.0.1:%d", port);
    const char *env[] = {url, "FIFTEENSQUARED_RETRIES=2", "FIFTEENSQUARED_BACKOFF_MS=10",
                         "FIFTEENSQUARED_MIN_INTERVAL_MS=1", "CRYPTIC_BENCH_FLOW_BACKOFF_MS=10",
                         "TURSO_DATABASE_URL=", "DATABASE_PATH=", "OPENROUTER_API_KEY=x", NULL};
    struct tu_run r = cli_db(db, env, (const char *const[]){"run", NULL});
    assert_int_equal(r.status, 1);
    tu_run_free(&r);
    /* 1 request + FIFTEENSQUARED_RETRIES retries, not multiplied by the
     * step's retries. */
    char *text = tu_read_file(log, NULL);
    assert_int_equal(tu_count_lines(text), 3);
    free(text);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_steps WHERE status = 'failed'"), 1);
    assert_int_equal(tu_sql_int(db, "SELECT max(attempts) FROM flow_steps"), 1);

    /* A refused connection: reported once, after those retries, quickly. */
    char refused[96];
    snprintf(refused, sizeof refused, "FIFTEENSQUARED_URL=http://127.0.0.1:%d", tu_free_port());
    env[0] = refused;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = cli_db(db, env, (const char *const[]){"run", NULL});
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(r.status, 1);
    assert_int_equal(tu_count_lines(r.err) >= 1, 1);
    assert_true(t1.tv_sec - t0.tv_sec < 20);
    assert_int_equal(tu_sql_int(db, "SELECT max(attempts) FROM flow_steps"), 1);
    tu_run_free(&r);
    free(db);
    free(config);
    free(log);
}

/* ---- serve's log -------------------------------------------------------------- */

static void test_serve_logs_each_run_start_and_end(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, NULL, 0);
    char *db = pf_make_db(work, "served.db");
    char *log = tu_path(work, "serve.log");
    char redirect[4200];
    snprintf(redirect, sizeof redirect, "exec \"$0\" \"$@\" 2>%s", log);
    /* The pipeline's environment, with the server's stderr kept in a file. */
    const char *const *penv = pf_env("2");
    const char *env[24];
    size_t n = 0;
    for (; penv[n] && n < 20; n++)
        env[n] = penv[n];
    env[n++] = "INNGEST_SIGNING_KEY=";
    env[n++] = "INNGEST_DEV=";
    env[n++] = "INNGEST_EVENT_KEY=" EVENT_KEY;
    env[n] = NULL;
    int port = 0;
    int pid = tu_start_program(work, env,
                               (const char *const[]){"sh", "-c", redirect, getenv("CRYPTIC_BENCH_BIN"), "--db", db,
                                                     "serve", "--listen", "127.0.0.1:0", "--no-cron", NULL},
                               &port);
    char *reply = NULL;
    assert_int_equal(post(port, "{\"name\":\"benchmark/scrape.requested\",\"data\":{}}", &reply), 200);
    free(reply);
    /* Wait for every run the event started to finish. */
    int64_t open_runs = -1, runs = 0;
    for (int64_t until = utc_mono_ms() + 300000; utc_mono_ms() < until;) {
        runs = tu_sql_int(db, "SELECT count(*) FROM flow_runs");
        open_runs = tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE status NOT IN ('completed', 'failed', "
                                   "'cancelled')");
        if (runs >= 6 && open_runs == 0)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (open_runs != 0 || runs < 6) {
        char *seen = tu_sql(db, "SELECT function_id, status FROM flow_runs");
        fail_msg("the pipeline did not finish within 300 s: %s", seen);
    }
    /* The end of the last run is logged after its status is stored: wait
     * for the log to say so, rather than a fixed time. */
    char *text = NULL;
    int ended = 0;
    for (int64_t until = utc_mono_ms() + 60000; ended < runs && utc_mono_ms() < until;) {
        free(text);
        text = tu_read_file(log, NULL);
        ended = 0;
        for (const char *p = text; (p = strstr(p, " completed: ")); p++)
            ended++;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    tu_stop_fake(pid);
    free(text);
    text = tu_read_file(log, NULL);
    tu_assert_contains(text, "started: scrape-puzzles");
    tu_assert_contains(text, "completed: scrape-puzzles in ");
    char want[200];
    snprintf(want, sizeof want, "started: evaluate-model (week 2026-W14, model %s)", pf_models[0]);
    tu_assert_contains(text, want);
    snprintf(want, sizeof want, "completed: evaluate-model (week 2026-W14, model %s) in ", pf_models[0]);
    tu_assert_contains(text, want);
    tu_assert_contains(text, "completed: evaluate-week (week 2026-W14) in ");
    tu_assert_contains(text, "completed: calculate-rankings (week ");
    /* Each run: one start and one end line. */
    int starts = 0;
    for (const char *p = text; (p = strstr(p, " started: ")); p++)
        starts++;
    assert_int_equal(starts, (int)runs);
    int ends = 0;
    for (const char *p = text; (p = strstr(p, " completed: ")); p++)
        ends++;
    assert_int_equal(ends, (int)runs);
    free(text);
    free(log);
    free(db);
}

/* ---- the command line itself ----------------------------------------- */

/* The commands, from the global --help. */
static size_t list_commands(char names[][32], size_t max)
{
    struct tu_run r = tu_run_cli(work, clean_env, (const char *const[]){"--help", NULL});
    assert_int_equal(r.status, 0);
    const char *p = strstr(r.out, "Commands:\n");
    assert_non_null(p);
    p += strlen("Commands:\n");
    size_t n = 0;
    while (*p == ' ' && n < max) {
        sscanf(p, " %31s", names[n++]);
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    tu_run_free(&r);
    return n;
}

static void test_version_help_and_usage_errors(void **state)
{
    (void)state;
    struct tu_run r = tu_run_cli(work, clean_env, (const char *const[]){"--version", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "cryptic-bench ");
    tu_run_free(&r);
    r = tu_run_cli(work, clean_env, (const char *const[]){"help", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "Commands:");
    tu_run_free(&r);
    r = tu_run_cli(work, clean_env, (const char *const[]){"help", "nosuch", NULL});
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    r = tu_run_cli(work, clean_env, (const char *const[]){"serve", "--listen", "nonsense", NULL});
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "--listen");
    tu_run_free(&r);

    char names[64][32];
    size_t n = list_commands(names, 64);
    assert_true(n >= 15);
    for (size_t i = 0; i < n; i++) {
        /* help COMMAND is COMMAND --help. */
        struct tu_run h = tu_run_cli(work, clean_env, (const char *const[]){"help", names[i], NULL});
        struct tu_run o = tu_run_cli(work, clean_env, (const char *const[]){names[i], "--help", NULL});
        assert_int_equal(h.status, 0);
        assert_string_equal(h.out, o.out);
        /* Every flag of the usage line has its own line in the help. */
        const char *eol = strchr(h.out, '\n');
        for (const char *p = h.out; (p = strstr(p, "--")) && p < eol; p++) {
            char flag[40], want[48];
            size_t len = strspn(p, "-abcdefghijklmnopqrstuvwxyz");
            snprintf(flag, sizeof flag, "%.*s", (int)len, p);
            snprintf(want, sizeof want, "\n  %s", flag);
            char *at = strstr(eol, want);
            if (!at)
                fail_msg("`%s --help` does not explain %s:\n%s", names[i], flag, h.out);
            p += len - 1;
        }
        /* An unknown option is a usage error. */
        struct tu_run u = tu_run_cli(work, clean_env, (const char *const[]){names[i], "--no-such-flag", NULL});
        if (u.status != 2)
            fail_msg("%s --no-such-flag: exit %d, expected 2", names[i], u.status);
        tu_run_free(&u);
        tu_run_free(&h);
        tu_run_free(&o);
    }
}

static void test_man_page_shows_every_command(void **state)
{
    (void)state;
    const char *bin = getenv("CRYPTIC_BENCH_BIN");
    assert_non_null(bin);
    char *dir = strdup(bin);
    *strrchr(dir, '/') = '\0';
    char *page_path = tu_path(dir, "cryptic-bench.1");
    char *page = tu_read_file(page_path, NULL);
    tu_assert_contains(page, ".TH CRYPTIC");
    tu_assert_contains(page, ".SH ENVIRONMENT");
    tu_assert_contains(page, "CRYPTIC_BENCH_RUN_BUDGET_USD");
    char names[64][32];
    size_t n = list_commands(names, 64);
    for (size_t i = 0; i < n; i++) {
        /* roff spells a hyphen \- */
        char roff[64] = ".SS ", *o = roff + 4;
        for (const char *c = names[i]; *c && o < roff + sizeof roff - 3; c++) {
            if (*c == '-')
                *o++ = '\\';
            *o++ = *c;
        }
        *o = '\0';
        tu_assert_contains(page, roff);
    }
    free(page);
    free(page_path);
    free(dir);
}

/* ---- make start -------------------------------------------------------- */

static int health(int port)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/health", port);
    struct http_request req = {"GET", url, NULL, NULL, 0};
    struct http_client *http = NULL;
    struct http_client_opts ho = {.retries = 0, .timeout_ms = 2000};
    struct http_response resp;
    struct err err = {{0}};
    int ok = 0;
    if (http_client_new(&ho, &http, &err) == 0 && http_do(http, &req, &resp, &err) == 0) {
        ok = resp.status == 200;
        http_response_free(&resp);
    }
    http_client_free(http);
    return ok;
}

static void test_start_serves_on_listen_and_database_path(void **state)
{
    (void)state;
    const char *tests = getenv("CB_TESTS_DIR");
    assert_non_null(tests);
    char script[4096];
    snprintf(script, sizeof script, "%s/../scripts/start", tests);
    int want = tu_free_port();
    char listen[64], models[4200];
    snprintf(listen, sizeof listen, "LISTEN=127.0.0.1:%d", want);
    snprintf(models, sizeof models, "MODELS_FILE=%s", getenv("CB_MODELS_JSON"));
    const char *env[] = {listen, "DATABASE_PATH=state/bench.db", models, "TURSO_DATABASE_URL=", "OPENROUTER_API_KEY=",
                         "INNGEST_SIGNING_KEY=", "INNGEST_DEV=", NULL};
    int port = 0;
    int pid = tu_start_program(work, env, (const char *const[]){"sh", script, getenv("CRYPTIC_BENCH_BIN"), NULL}, &port);
    assert_int_equal(port, want);
    int up = 0;
    for (int64_t until = utc_mono_ms() + 120000; !(up = health(port)) && utc_mono_ms() < until;) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!up)
        fail_msg("no answer on /health at 127.0.0.1:%d within 120 s", port);
    char *db = tu_path(work, "state/bench.db");
    assert_true(tu_exists(db));
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM models WHERE is_active = 1") > 0, 1);
    /* Ctrl-C: a clean stop, exit 0. */
    kill(pid, SIGINT);
    int wstatus = 0, reaped = 0;
    for (int64_t until = utc_mono_ms() + 120000; !(reaped = waitpid(pid, &wstatus, WNOHANG)) && utc_mono_ms() < until;) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (reaped != pid)
        fail_msg("serve did not stop within 120 s of SIGINT");
    assert_true(WIFEXITED(wstatus));
    assert_int_equal(WEXITSTATUS(wstatus), 0);
    tu_stop_fake(pid); /* forget it (already reaped) */
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_setting_values_exit_2_naming_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_setting_is_warned_with_the_closest_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_location_must_be_a_path_or_a_libsql_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_init_db_upgrades_the_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_commands_on_a_read_only_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_corrupt_file_is_refused_by_every_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clues_list_gives_the_ids_exclude_takes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_and_dashboard_round_percentages_alike, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_refuses_bad_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_api_refuses_bad_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_progress_counts_this_run_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failing_feed_is_retried_by_one_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_logs_each_run_start_and_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_help_and_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_man_page_shows_every_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_serves_on_listen_and_database_path, setup, teardown),
    };
    return cmocka_run_group_tests_name("the operator's first hour (issue 20)", tests, NULL, NULL);
}
