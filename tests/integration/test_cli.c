/*
 * test_cli.c - the cryptic-bench binary end to end: help and usage errors,
 * init-db on a new file and on the old system's real database (every old
 * row kept, the week repair exact, the old dashboard's reads still
 * working), status, models, .env and precedence, and bad input that must
 * fail clearly and leave the database untouched.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Every run gets a scratch working directory and an environment without
 * the developer's settings. */
static char *work;

static const char *const clean_env[] = {"TURSO_DATABASE_URL=", "DATABASE_PATH=", "MODELS_FILE=",
                                        "TURSO_AUTH_TOKEN=", NULL};

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(work);
    free(work);
    work = NULL;
    return 0;
}

#define RUN(...) tu_run_cli(work, clean_env, (const char *const[]){__VA_ARGS__, NULL})

static const char *models_json(void)
{
    const char *p = getenv("CB_MODELS_JSON");
    assert_non_null(p);
    return p;
}

static char *fixture(const char *name)
{
    const char *dir = getenv("CB_FIXTURES");
    assert_non_null(dir);
    return tu_path(dir, name);
}

/* ---- help and usage ----------------------------------------------------- */

static void test_help_and_usage_errors(void **state)
{
    (void)state;
    struct tu_run r = RUN("--help");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "usage: cryptic-bench");
    tu_assert_contains(r.out, "init-db");
    tu_assert_contains(r.out, "status");
    tu_assert_contains(r.out, "models");
    tu_run_free(&r);

    r = RUN("init-db", "--help");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "usage: cryptic-bench init-db [--models FILE]");
    tu_run_free(&r);

    const char *const *cases[] = {
        (const char *const[]){"frobnicate", NULL},
        (const char *const[]){"--bogus", "status", NULL},
        (const char *const[]){"status", "--bogus", NULL},
        (const char *const[]){"init-db", "--models", NULL},
        (const char *const[]){"--db", NULL},
        (const char *const[]){NULL},
    };
    const char *expect[] = {"unknown command \"frobnicate\"", "unknown option --bogus",
                            "unknown argument \"--bogus\"", "--models needs a file",
                            "--db needs a value", "no command given"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r = tu_run_cli(work, clean_env, cases[i]);
        if (r.status != 2)
            fail_msg("case %zu: expected exit 2, got %d (%s)", i, r.status, r.err);
        tu_assert_contains(r.err, expect[i]);
        tu_assert_contains(r.err, "usage: cryptic-bench");
        assert_string_equal(r.out, "");
        tu_run_free(&r);
    }
}

static void test_log_levels(void **state)
{
    (void)state;
    struct tu_run r = RUN("-v", "--db", "v.db", "init-db", "--models", models_json());
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.err, "cryptic-bench: debug: opened v.db (sqlite backend)");
    tu_assert_contains(r.err, "debug: applying migration 6");
    tu_run_free(&r);
    r = RUN("--db", "v.db", "status");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    tu_run_free(&r);
    r = RUN("-q", "-v", "--db", "v.db", "status"); /* the last one wins */
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.err, "debug:");
    tu_run_free(&r);
    r = RUN("-v", "-q", "--db", "v.db", "status");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    tu_run_free(&r);
}

/* ---- a new database ----------------------------------------------------- */

static void test_init_db_new_then_again_changes_nothing(void **state)
{
    (void)state;
    char *db = tu_path(work, "nested/dir/new.db");
    struct tu_run r = RUN("--db", db, "init-db", "--models", models_json());
    if (r.status != 0)
        fail_msg("init-db failed: %s", r.err);
    tu_assert_contains(r.out, "creating schema version 12");
    tu_assert_contains(r.out, "added anthropic/claude-opus-4.5");
    tu_assert_contains(r.out, "11 added");
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM models WHERE is_active"), 11);
    assert_int_equal(tu_sql_int(db, "SELECT value FROM metadata WHERE key = 'schema_version'"), 12);

    char before[65], after[65];
    char *rows_before = tu_sql(db, "SELECT * FROM models ORDER BY id");
    char *meta_before = tu_sql(db, "SELECT * FROM metadata ORDER BY key");
    tu_sha256_file(db, before);
    r = RUN("--db", db, "init-db", "--models", models_json());
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "schema version 12, up to date");
    tu_assert_contains(r.out, "0 added, 0 updated, 0 activated, 0 deactivated, 11 unchanged");
    tu_run_free(&r);
    tu_sha256_file(db, after);
    assert_string_equal(before, after);
    char *rows_after = tu_sql(db, "SELECT * FROM models ORDER BY id");
    char *meta_after = tu_sql(db, "SELECT * FROM metadata ORDER BY key");
    assert_string_equal(rows_before, rows_after);
    assert_string_equal(meta_before, meta_after);
    free(rows_before);
    free(rows_after);
    free(meta_before);
    free(meta_after);

    r = RUN("--db", db, "status", "--json");
    assert_int_equal(r.status, 0);
    json_t *st = json_loads(r.out, 0, NULL);
    assert_non_null(st);
    assert_int_equal(json_integer_value(json_object_get(st, "schema_version")), 12);
    assert_true(json_is_true(json_object_get(st, "schema_current")));
    assert_int_equal(json_integer_value(json_object_get(st, "active_models")), 11);
    assert_int_equal(json_integer_value(json_object_get(st, "puzzles")), 0);
    assert_true(json_is_null(json_object_get(st, "last_scrape")));
    assert_string_equal(json_string_value(json_object_get(st, "backend")), "sqlite");
    json_decref(st);
    tu_run_free(&r);
    free(db);
}

static void test_models_list_follows_models_json(void **state)
{
    (void)state;
    char *db = tu_path(work, "m.db");
    char *two = fixture("models-two.json");
    struct tu_run r = RUN("--db", db, "init-db", "--models", models_json());
    assert_int_equal(r.status, 0);
    tu_run_free(&r);

    r = RUN("--db", db, "init-db", "--models", two);
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "updated openai/gpt-5.2 (display_name)");
    tu_assert_contains(r.out, "deactivated x-ai/grok-4.1-fast");
    tu_assert_contains(r.out, "9 deactivated, 1 unchanged");
    tu_run_free(&r);

    r = RUN("--db", db, "models");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "GPT 5.2 (renamed)");
    assert_int_equal(tu_count_lines(r.out), 12); /* header + 11 models, none deleted */
    tu_run_free(&r);

    r = RUN("--db", db, "models", "--json");
    assert_int_equal(r.status, 0);
    json_t *list = json_loads(r.out, 0, NULL);
    assert_int_equal(json_array_size(list), 11);
    size_t active = 0;
    for (size_t i = 0; i < json_array_size(list); i++)
        active += json_is_true(json_object_get(json_array_get(list, i), "active"));
    assert_int_equal(active, 2);
    json_t *gpt = json_array_get(list, 4);
    assert_string_equal(json_string_value(json_object_get(gpt, "id")), "openai/gpt-5.2");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(gpt, "options"), "max_tokens")), 4000);
    json_decref(list);
    tu_run_free(&r);

    r = RUN("--db", db, "init-db", "--models", models_json());
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "activated x-ai/grok-4.1-fast");
    tu_assert_contains(r.out, "9 activated");
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM models WHERE is_active"), 11);
    free(two);
    free(db);
}

/* ---- the old system's database ------------------------------------------ */

/* The old columns of a table: the ones the original file has. */
static char *old_columns(const char *original, const char *table, const char *except)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT group_concat(name, ', ') FROM (SELECT name FROM pragma_table_info('%s') "
             "WHERE name <> '%s' ORDER BY cid)",
             table, except ? except : "");
    char *cols = tu_sql(original, sql);
    cols[strcspn(cols, "\n")] = '\0';
    return cols;
}

static char *select_old(const char *db, const char *original, const char *table, const char *except,
                        const char *order)
{
    char *cols = old_columns(original, table, except);
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", cols, table, order);
    free(cols);
    return tu_sql(db, sql);
}

static void assert_same_old_rows(const char *a, const char *b, const char *original,
                                 const char *table, const char *except, const char *order)
{
    char *before = select_old(a, original, table, except, order);
    char *after = select_old(b, original, table, except, order);
    if (strcmp(before, after) != 0)
        fail_msg("table %s: old columns changed by the upgrade", table);
    assert_true(strlen(before) > 0);
    free(before);
    free(after);
}

static const char *const sql_moved =
    "SELECT e.id, p.week_id FROM evaluations e JOIN clues c ON c.id = e.clue_id "
    "JOIN puzzles p ON p.id = c.puzzle_id WHERE e.week_id <> p.week_id ORDER BY e.id";

static void test_upgrade_old_database_keeps_every_row(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *original = tu_path(tu_shared_dir(), "data/original-cryptic-bench.db");
    char *db = tu_path(work, "old.db");
    tu_copy_file(original, db);

    /* Before: what the repair must move, computed independently. */
    char *expected_moves = tu_sql(db, sql_moved);
    int64_t expected_count = tu_count_lines(expected_moves);
    assert_true(expected_count > 0);
    char *weeks_before = tu_sql(db, "SELECT id, week_id FROM evaluations ORDER BY id");
    int64_t errors = tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE error_message IS NOT NULL");
    int64_t correct = tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE is_correct AND error_message IS NULL");
    int64_t total = tu_sql_int(db, "SELECT count(*) FROM evaluations");

    /* status reads a version 1 file without changing it. */
    char h1[65], h2[65];
    tu_sha256_file(db, h1);
    struct tu_run r = RUN("--db", db, "status");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "schema version:   1 (older than this binary's");
    tu_assert_contains(r.out, "clues:            185");
    tu_run_free(&r);
    tu_sha256_file(db, h2);
    assert_string_equal(h1, h2);

    r = RUN("--db", db, "init-db", "--models", models_json());
    if (r.status != 0)
        fail_msg("init-db failed: %s", r.err);
    tu_assert_contains(r.out, "upgrading from schema version 1 to 12");
    char moved_line[128];
    snprintf(moved_line, sizeof moved_line, "(%lld evaluations moved to their puzzle's week)",
             (long long)expected_count);
    tu_assert_contains(r.out, moved_line);
    tu_run_free(&r);

    /* Old columns identical. */
    assert_same_old_rows(original, db, original, "puzzles", NULL, "id");
    assert_same_old_rows(original, db, original, "clues", NULL, "id");
    assert_same_old_rows(original, db, original, "weekly_rankings", NULL, "id");
    assert_same_old_rows(original, db, original, "rank_tenure", NULL, "id");
    assert_same_old_rows(original, db, original, "evaluations", "week_id", "id");
    /* models: the sync found the same eleven, so old columns are unchanged. */
    assert_same_old_rows(original, db, original, "models", NULL, "id");
    /* metadata: only the version row changes. */
    char *meta_before = tu_sql(original, "SELECT key, value, updated_at FROM metadata "
                                         "WHERE key <> 'schema_version' ORDER BY key");
    char *meta_after = tu_sql(db, "SELECT key, value, updated_at FROM metadata "
                                  "WHERE key <> 'schema_version' ORDER BY key");
    assert_string_equal(meta_before, meta_after);
    assert_int_equal(tu_sql_int(db, "SELECT value FROM metadata WHERE key = 'schema_version'"), 12);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM metadata"),
                     tu_sql_int(original, "SELECT count(*) FROM metadata"));

    /* week_id: exactly the expected rows moved, each to its puzzle's week. */
    char *weeks_after = tu_sql(db, "SELECT id, week_id FROM evaluations ORDER BY id");
    {
        /* Walk both listings line by line: a changed line must be in the
         * expected moves with the new week; an unchanged one must not. */
        char *b = weeks_before, *a = weeks_after;
        int64_t moved = 0;
        while (*b && *a) {
            char *bn = strchr(b, '\n'), *an = strchr(a, '\n');
            *bn = '\0';
            *an = '\0';
            char needle[64];
            snprintf(needle, sizeof needle, "\n%s\n", a);
            char *haystack = malloc(strlen(expected_moves) + 2);
            haystack[0] = '\n';
            strcpy(haystack + 1, expected_moves);
            int expected_here = strstr(haystack, needle) != NULL;
            if (strcmp(a, b) != 0) {
                moved++;
                if (!expected_here)
                    fail_msg("evaluation moved unexpectedly: %s -> %s", b, a);
            } else if (expected_here) {
                fail_msg("evaluation should have moved: %s", b);
            }
            free(haystack);
            b = bn + 1;
            a = an + 1;
        }
        assert_int_equal(moved, expected_count);
    }
    char *mismatch = tu_sql(db, sql_moved);
    assert_string_equal(mismatch, "");
    free(mismatch);

    /* New columns filled from the old data. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error'"), errors);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'correct'"), correct);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'wrong'"),
                     total - errors - correct);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error' AND is_correct <> 0"), 0);
    char *series = tu_sql(db, "SELECT id, series FROM puzzles WHERE series <> 'guardian-cryptic'");
    assert_string_equal(series, "3|guardian-prize\n");
    free(series);
    char *titles = tu_sql(db, "SELECT title, url FROM puzzles WHERE id IN (1, 5) ORDER BY id");
    assert_string_equal(titles,
                        "Guardian 29,890 \xe2\x80\x93 Ramsay|https://www.fifteensquared.net/2025/12/30/guardian-29890-ramsay/\n"
                        "Guardian 29,971: Yank|https://www.fifteensquared.net/2026/04/03/guardian-29971-yank/\n");
    free(titles);
    char *check = tu_sql(db, "PRAGMA foreign_key_check");
    assert_string_equal(check, "");
    free(check);
    check = tu_sql(db, "PRAGMA integrity_check");
    assert_string_equal(check, "ok\n");
    free(check);

    r = RUN("--db", db, "status");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "schema version:   12 (current)");
    tu_assert_contains(r.out, "evaluations:      2035 (763 errors)");
    tu_assert_contains(r.out, "puzzles:          7");
    tu_run_free(&r);

    free(weeks_before);
    free(weeks_after);
    free(meta_before);
    free(meta_after);
    free(expected_moves);
    free(db);
    free(original);
}

/* The old dashboard's reads (DESIGN §8), written from their description,
 * run on the upgraded file; those that do not depend on evaluation weeks
 * return exactly what they returned on the old file. */
static void test_old_dashboard_reads_work_after_upgrade(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *original = tu_path(tu_shared_dir(), "data/original-cryptic-bench.db");
    char *db = tu_path(work, "old.db");
    tu_copy_file(original, db);
    struct tu_run r = RUN("--db", db, "init-db", "--models", models_json());
    assert_int_equal(r.status, 0);
    tu_run_free(&r);

    static const char *const unchanged_reads[] = {
        /* weeks that have rankings, newest first */
        "SELECT DISTINCT week_id FROM weekly_rankings ORDER BY week_id DESC",
        /* a model's history: last 52 ranked weeks */
        "SELECT week_id, rank, accuracy FROM weekly_rankings WHERE model_id = 1 "
        "ORDER BY week_id DESC LIMIT 52",
        /* tenure leaders */
        "SELECT t.rank_position, m.display_name, t.weeks_count, t.start_week FROM rank_tenure t "
        "JOIN models m ON m.id = t.model_id WHERE t.is_current AND t.rank_position <= 3 "
        "ORDER BY t.weeks_count DESC, t.rank_position",
        /* a week's puzzles with the post url and title from raw_json */
        "SELECT id, setter, json_extract(raw_json, '$.url'), json_extract(raw_json, '$.title') "
        "FROM puzzles WHERE week_id = '2026-W07' ORDER BY id",
        /* a week's summary */
        "SELECT count(DISTINCT p.id), count(DISTINCT c.id), "
        "(SELECT count(*) FROM weekly_rankings WHERE week_id = '2026-W01') "
        "FROM puzzles p JOIN clues c ON c.puzzle_id = p.id WHERE p.week_id = '2026-W01'",
    };
    for (size_t i = 0; i < sizeof unchanged_reads / sizeof unchanged_reads[0]; i++) {
        char *before = tu_sql(original, unchanged_reads[i]);
        char *after = tu_sql(db, unchanged_reads[i]);
        if (strcmp(before, after) != 0)
            fail_msg("read %zu differs after the upgrade:\n%s\n---\n%s", i, before, after);
        assert_true(strlen(after) > 0);
        free(before);
        free(after);
    }

    /* A week's leaderboard, with averages over that week's evaluations. */
    char *board = tu_sql(db,
                         "SELECT wr.rank, m.display_name, m.provider, wr.accuracy, wr.correct_count, "
                         "wr.total_clues, "
                         "(SELECT weeks_count FROM rank_tenure t WHERE t.model_id = wr.model_id "
                         "  AND t.rank_position = wr.rank AND t.is_current), "
                         "(SELECT avg(response_time_ms) FROM evaluations e WHERE e.model_id = wr.model_id "
                         "  AND e.week_id = wr.week_id), "
                         "(SELECT sum(cost) FROM evaluations e WHERE e.model_id = wr.model_id "
                         "  AND e.week_id = wr.week_id) "
                         "FROM weekly_rankings wr JOIN models m ON m.id = wr.model_id "
                         "WHERE wr.week_id = '2026-W01' ORDER BY wr.rank");
    assert_int_equal(tu_count_lines(board), 11);
    free(board);

    /* A model's clue results for a week, wrong ones first: after the repair
     * they are the clues of that week's puzzles. */
    int64_t results = tu_sql_int(db,
                                 "SELECT count(*) FROM (SELECT c.clue_text, c.letter_count, c.answer, "
                                 "e.model_response, e.extracted_answer, e.is_correct, p.setter "
                                 "FROM evaluations e JOIN clues c ON c.id = e.clue_id "
                                 "JOIN puzzles p ON p.id = c.puzzle_id "
                                 "WHERE e.model_id = 1 AND e.week_id = '2026-W01' "
                                 "ORDER BY e.is_correct, c.id)");
    assert_int_equal(results, tu_sql_int(db, "SELECT count(*) FROM evaluations e JOIN clues c "
                                             "ON c.id = e.clue_id WHERE e.model_id = 1 AND c.puzzle_id = 1"));
    assert_true(results > 0);
    free(db);
    free(original);
}

/* ---- configuration ---------------------------------------------------------- */

static void test_dotenv_and_precedence(void **state)
{
    (void)state;
    char *env_file = tu_path(work, ".env");
    tu_write_file(env_file, "# the database for this directory\nDATABASE_PATH=from-env.db\n");
    struct tu_run r = RUN("init-db", "--models", models_json());
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "database from-env.db (sqlite)");
    tu_run_free(&r);
    char *made = tu_path(work, "from-env.db");
    assert_true(tu_exists(made));

    r = RUN("status");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "from-env.db (sqlite, from DATABASE_PATH)");
    tu_run_free(&r);

    r = RUN("--db", "flag.db", "status");
    tu_assert_failed_with(&r, "no database at flag.db");
    tu_run_free(&r);

    /* The real environment wins over .env, and TURSO_DATABASE_URL over DATABASE_PATH. */
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=http://127.0.0.1:1",
                                               "DATABASE_PATH=", "MODELS_FILE=", NULL},
                   (const char *const[]){"status", NULL});
    tu_assert_failed_with(&r, "cannot open database http://127.0.0.1:1");
    tu_run_free(&r);

    /* MODELS_FILE names the list when --models is not given. */
    char *two = fixture("models-two.json");
    char models_env[1024];
    snprintf(models_env, sizeof models_env, "MODELS_FILE=%s", two);
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", models_env, NULL},
                   (const char *const[]){"init-db", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "9 deactivated");
    tu_run_free(&r);

    /* Without any list: a clear error. */
    r = RUN("init-db");
    tu_assert_failed_with(&r, "cannot read models.json");
    tu_run_free(&r);

    tu_write_file(env_file, "DATABASE_PATH from-env.db\n");
    r = RUN("status");
    tu_assert_failed_with(&r, ".env line 1");
    tu_run_free(&r);
    free(two);
    free(made);
    free(env_file);
}

/* ---- bad input: clear error, exit 1, database untouched ------------------------- */

static void test_unwritable_database_path(void **state)
{
    (void)state;
    char *file = tu_path(work, "plain-file");
    tu_write_file(file, "x");
    char *db = tu_path(file, "sub/x.db");
    struct tu_run r = RUN("--db", db, "init-db", "--models", models_json());
    tu_assert_failed_with(&r, "cannot create directory");
    tu_assert_contains(r.err, "plain-file");
    tu_run_free(&r);
    r = RUN("--db", "/proc/cryptic-bench-test.db", "init-db", "--models", models_json());
    tu_assert_failed_with(&r, "/proc/cryptic-bench-test.db");
    tu_run_free(&r);
    assert_false(tu_exists("/proc/cryptic-bench-test.db"));
    free(db);
    free(file);
}

static void test_file_that_is_not_a_database(void **state)
{
    (void)state;
    char *path = tu_path(work, "notes.db");
    tu_write_file(path, "Guardian 29,890 - Ramsay: clue notes, not a database.\n"
                        "1a Unveiling trees, touch fruit with bent cane (5,10)\n");
    char before[65], after[65];
    tu_sha256_file(path, before);
    const char *const *cmds[] = {
        (const char *const[]){"--db", path, "init-db", "--models", models_json(), NULL},
        (const char *const[]){"--db", path, "status", NULL},
        (const char *const[]){"--db", path, "models", NULL},
    };
    for (size_t i = 0; i < 3; i++) {
        struct tu_run r = tu_run_cli(work, clean_env, cmds[i]);
        tu_assert_failed_with(&r, "is not an SQLite database");
        tu_assert_contains(r.err, "notes.db");
        tu_run_free(&r);
    }
    tu_sha256_file(path, after);
    assert_string_equal(before, after);
    char *wal = tu_path(work, "notes.db-wal");
    assert_false(tu_exists(wal));
    free(wal);
    free(path);
}

static void test_database_newer_than_binary(void **state)
{
    (void)state;
    char *db = tu_path(work, "future.db");
    struct tu_run r = RUN("--db", db, "init-db", "--models", models_json());
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    free(tu_sql(db, "UPDATE metadata SET value = '42' WHERE key = 'schema_version'"));
    char before[65], after[65];
    tu_sha256_file(db, before);
    r = RUN("--db", db, "init-db", "--models", models_json());
    tu_assert_failed_with(&r, "schema version 42, newer than this cryptic-bench knows (12)");
    tu_run_free(&r);
    r = RUN("--db", db, "status");
    tu_assert_failed_with(&r, "newer than this cryptic-bench");
    tu_run_free(&r);
    tu_sha256_file(db, after);
    assert_string_equal(before, after);
    free(db);
}

/* A bad models.json is refused before the database is opened: an existing
 * file keeps every byte and a new path is not created. */
static void check_bad_models_file(const char *name, const char *needle)
{
    char *models = fixture(name);
    char *db = tu_path(work, "keep.db");
    struct tu_run r = RUN("--db", db, "init-db", "--models", models_json());
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char before[65], after[65];
    tu_sha256_file(db, before);
    r = RUN("--db", db, "init-db", "--models", models);
    tu_assert_failed_with(&r, needle);
    tu_assert_contains(r.err, name);
    tu_run_free(&r);
    tu_sha256_file(db, after);
    assert_string_equal(before, after);

    char *fresh = tu_path(work, "fresh.db");
    r = RUN("--db", fresh, "init-db", "--models", models);
    tu_assert_failed_with(&r, needle);
    tu_run_free(&r);
    assert_false(tu_exists(fresh));
    free(fresh);
    free(db);
    free(models);
}

static void test_malformed_models_json(void **state)
{
    (void)state;
    check_bad_models_file("models-malformed.json", "line 3");
}

static void test_models_json_with_literal_key(void **state)
{
    (void)state;
    check_bad_models_file("models-literal-key.json", "looks like a literal API key");
}

static void test_commands_need_a_database(void **state)
{
    (void)state;
    struct tu_run r = RUN("--db", "absent.db", "models");
    tu_assert_failed_with(&r, "no database at absent.db (create it with `cryptic-bench init-db`)");
    tu_run_free(&r);
    char *absent = tu_path(work, "absent.db");
    assert_false(tu_exists(absent));
    free(absent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_help_and_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_db_new_then_again_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_list_follows_models_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_old_database_keeps_every_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_dashboard_reads_work_after_upgrade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dotenv_and_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_database_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_that_is_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_database_newer_than_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_models_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_json_with_literal_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commands_need_a_database, setup, teardown),
    };
    return cmocka_run_group_tests_name("cli (the cryptic-bench binary)", tests, NULL, NULL);
}
