/* test_store.c - schema versions, migrations and the models sync. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "store/internal.h"
#include "store/migrations.h"
#include "store/store.h"

struct fixture {
    char *dir;
    char *path; /* a file, or the URL of a sqld */
    int sqld;   /* its pid; 0 for a file */
};

static int open_fixture(void **state, int remote)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp();
    if (remote) {
        int port;
        f->sqld = tu_start_sqld(f->dir, &port);
        f->path = malloc(64);
        snprintf(f->path, 64, "http://127.0.0.1:%d", port);
    } else {
        f->path = tu_path(f->dir, "s.db");
    }
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return open_fixture(state, 0);
}

/* The same tests on a real libSQL server (Hrana over HTTP). */
static int setup_remote(void **state)
{
    return open_fixture(state, 1);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tu_stop_fake(f->sqld);
    tu_rmtree(f->dir);
    free(f->path);
    free(f->dir);
    free(f);
    return 0;
}

/* SQL on the fixture's database, outside the store: a file through
 * libsqlite3 (tu_sql), a server through the db API (a write as a batch).
 * Rows as tu_sql gives them. Caller frees. */
static char *sql(struct fixture *f, const char *text)
{
    if (!f->sqld)
        return tu_sql(f->path, text);
    struct db *db = NULL;
    struct db_result *r = NULL;
    struct err err = {{0}};
    if (db_open(f->path, NULL, &db, &err) != 0)
        fail_msg("%s", err.msg);
    if (db_query(db, &DB_SQL(text), &r, &err) != 0) {
        if (!strstr(err.msg, "writes go in a batch") || db_batch(db, &DB_SQL(text), 1, &r, &err) != 0)
            fail_msg("%s", err.msg);
    }
    size_t cap = 64, used = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (size_t row = 0; row < r->nrows; row++)
        for (size_t c = 0; c < r->ncols; c++) {
            const struct db_value *v = db_result_value(r, row, c);
            char cell[64];
            const char *t = cell;
            if (v->type == DB_NULL)
                t = "NULL";
            else if (v->type == DB_INTEGER)
                snprintf(cell, sizeof cell, "%lld", (long long)v->i);
            else if (v->type == DB_REAL)
                snprintf(cell, sizeof cell, "%.17g", v->r);
            else if (v->type == DB_TEXT)
                t = v->p;
            else
                t = "(blob)";
            size_t need = used + strlen(t) + 2;
            if (need >= cap) {
                cap = need * 2;
                out = realloc(out, cap);
            }
            used += (size_t)sprintf(out + used, "%s%c", t, c + 1 < r->ncols ? '|' : '\n');
        }
    db_result_free(r);
    db_close(db);
    return out;
}

static int64_t sql_int(struct fixture *f, const char *text)
{
    char *rows = sql(f, text);
    int64_t n = strtoll(rows, NULL, 10);
    free(rows);
    return n;
}

/* What must not change when a database is refused: the file's bytes, or
 * on a server its schema and metadata. */
static void fingerprint(struct fixture *f, char out[65])
{
    if (!f->sqld) {
        tu_sha256_file(f->path, out);
        return;
    }
    char *rows = sql(f, "SELECT group_concat(name || ':' || coalesce(sql, ''), ';') FROM "
                        "(SELECT name, sql FROM sqlite_schema ORDER BY name)");
    char *meta = sql(f, "SELECT group_concat(key || '=' || value, ';') FROM (SELECT * FROM metadata ORDER BY key)");
    snprintf(out, 65, "%016llx%016llx", (unsigned long long)strlen(rows), (unsigned long long)strlen(meta));
    unsigned long long h = 1469598103934665603ULL;
    for (const char *p = rows; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = meta; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    snprintf(out + 32, 33, "%016llx%016llx", h, (unsigned long long)sql_int(f, "SELECT count(*) FROM models"));
    free(rows);
    free(meta);
}

static struct store *open_store(const char *path, int create)
{
    struct store *s = NULL;
    struct err err = {{0}};
    struct store_open_opts opts = {.create = create};
    if (store_open(path, &opts, &s, &err) != 0)
        fail_msg("%s", err.msg);
    return s;
}

static void migrate(struct store *s)
{
    struct err err = {{0}};
    if (store_migrate(s, NULL, NULL, &err) != 0)
        fail_msg("%s", err.msg);
}

static void test_migrations_are_numbered_in_order(void **state)
{
    (void)state;
    for (size_t i = 0; i < store_migrations_count; i++)
        assert_int_equal(store_migrations[i].version, (int)i + 1);
    assert_int_equal(store_migrations[store_migrations_count - 1].version, STORE_SCHEMA_VERSION);
}

static void count_report(void *ctx, const struct store_migration_report *report)
{
    int *n = ctx;
    assert_int_equal(report->version, *n + 1);
    (*n)++;
}

static void test_fresh_database_gets_every_column(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_store(f->path, 1);
    assert_int_equal(store_schema_version(s), 0);
    struct err err = {{0}};
    assert_int_equal(store_require_current(s, &err), -1);
    tu_assert_contains(err.msg, "init-db");
    int applied = 0;
    assert_int_equal(store_migrate(s, count_report, &applied, &err), 0);
    assert_int_equal(applied, STORE_SCHEMA_VERSION);
    assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
    assert_int_equal(store_require_current(s, &err), 0);
    store_close(s);

    assert_int_equal(sql_int(f, "SELECT value FROM metadata WHERE key = 'schema_version'"),
                     STORE_SCHEMA_VERSION);
    const char *columns[][2] = {
        {"puzzles", "series"}, {"puzzles", "url"}, {"puzzles", "title"}, {"puzzles", "guardian_id"},
        {"clues", "display_answer"}, {"clues", "explanation"}, {"clues", "definitions"},
        {"evaluations", "outcome"}, {"evaluations", "prompt_tokens"},
        {"evaluations", "completion_tokens"}, {"evaluations", "reasoning_tokens"},
        {"evaluations", "finish_reason"}, {"evaluations", "attempts"},
        {"evaluations", "prompt_version"}, {"models", "options"},
    };
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
                 columns[i][0], columns[i][1]);
        if (sql_int(f, sql) != 1)
            fail_msg("column %s.%s is missing", columns[i][0], columns[i][1]);
    }
    /* (series, number) is the identity: the same number in two series is fine. */
    char *rows = sql(f, "SELECT sql FROM sqlite_schema WHERE name = 'puzzles'");
    tu_assert_contains(rows, "UNIQUE(series, guardian_id)");
    free(rows);
    /* Foreign keys still point at the rebuilt table. */
    rows = sql(f, "PRAGMA foreign_key_list(clues)");
    tu_assert_contains(rows, "puzzles");
    free(rows);

    /* Opening again finds it current and migrating again does nothing. */
    s = open_store(f->path, 0);
    applied = STORE_SCHEMA_VERSION;
    assert_int_equal(store_migrate(s, count_report, &applied, &err), 0);
    assert_int_equal(applied, STORE_SCHEMA_VERSION);
    store_close(s);
}

static void test_outcome_is_checked(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_store(f->path, 1);
    migrate(s);
    struct err err = {{0}};
    struct db_stmt stmts[] = {
        DB_SQL("INSERT INTO puzzles (guardian_id, publication_date, week_id) VALUES (1, '2026-01-01', '2026-W01')"),
        DB_SQL("INSERT INTO clues (puzzle_id, clue_number, direction, clue_text, answer, letter_count) "
               "VALUES (1, '1', 'across', 'c', 'A', '(1)')"),
        DB_SQL("INSERT INTO models (openrouter_id, provider, model_name, display_name) VALUES ('a/b', 'a', 'b', 'B')"),
        DB_SQL("INSERT INTO evaluations (clue_id, model_id, week_id, is_correct, outcome) "
               "VALUES (1, 1, '2026-W01', 0, 'maybe')"),
    };
    assert_int_equal(db_batch(store_db(s), stmts, 4, NULL, &err), -1);
    tu_assert_contains(err.msg, "CHECK constraint failed");
    stmts[3] = DB_SQL("INSERT INTO evaluations (clue_id, model_id, week_id, is_correct, outcome) "
                      "VALUES (1, 1, '2026-W01', 0, 'no_answer')");
    assert_int_equal(db_batch(store_db(s), stmts, 4, NULL, &err), 0);
    store_close(s);
}

static void test_newer_database_is_refused_untouched(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_store(f->path, 1);
    migrate(s);
    struct err err = {{0}};
    struct db_stmt bump = DB_SQL("UPDATE metadata SET value = '99' WHERE key = 'schema_version'");
    assert_int_equal(db_batch(store_db(s), &bump, 1, NULL, &err), 0);
    store_close(s);
    char before[65], after[65];
    fingerprint(f, before);
    struct store_open_opts opts = {.create = 1};
    assert_int_equal(store_open(f->path, &opts, &s, &err), -1);
    tu_assert_contains(err.msg, "schema version 99, newer than this cryptic-bench knows");
    fingerprint(f, after);
    assert_string_equal(before, after);
}

static void test_foreign_database_is_refused(void **state)
{
    struct fixture *f = *state;
    char *rows = sql(f, "CREATE TABLE notes (body TEXT)");
    free(rows);
    struct store *s = NULL;
    struct err err = {{0}};
    struct store_open_opts opts = {.create = 1};
    assert_int_equal(store_open(f->path, &opts, &s, &err), -1);
    tu_assert_contains(err.msg, "not a cryptic-bench database");
}

static struct store_model model(const char *id, const char *display, const char *options)
{
    struct store_model m = {0};
    m.openrouter_id = (char *)id;
    m.provider = "p";
    m.model_name = (char *)display;
    m.display_name = (char *)display;
    m.options = (char *)options;
    m.is_active = 1;
    return m;
}

struct changes {
    char text[1024];
};

static void record_change(void *ctx, const char *kind, const char *id, const char *detail)
{
    struct changes *c = ctx;
    size_t used = strlen(c->text);
    snprintf(c->text + used, sizeof c->text - used, "%s %s%s%s;", kind, id, detail ? ":" : "",
             detail ? detail : "");
}

static void test_models_sync(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_store(f->path, 1);
    migrate(s);
    struct err err = {{0}};
    struct store_models_sync_result res;
    struct changes c = {""};

    struct store_model first[] = {model("a/one", "One", "{\"max_tokens\":500}"),
                                  model("b/two", "Two", NULL)};
    assert_int_equal(store_models_sync(s, first, 2, record_change, &c, &res, &err), 0);
    assert_int_equal(res.added, 2);
    assert_string_equal(c.text, "added a/one;added b/two;");

    /* The same list again writes nothing. */
    c.text[0] = '\0';
    char *before = sql(f, "SELECT * FROM models ORDER BY id");
    assert_int_equal(store_models_sync(s, first, 2, record_change, &c, &res, &err), 0);
    assert_int_equal(res.unchanged, 2);
    assert_int_equal(res.added + res.updated + res.activated + res.deactivated, 0);
    assert_string_equal(c.text, "");
    char *after = sql(f, "SELECT * FROM models ORDER BY id");
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* Dropping one deactivates it (never deletes); changing one updates it. */
    c.text[0] = '\0';
    struct store_model second[] = {model("a/one", "One!", "{\"max_tokens\":900}")};
    assert_int_equal(store_models_sync(s, second, 1, record_change, &c, &res, &err), 0);
    assert_string_equal(c.text, "updated a/one:model_name, display_name, options;deactivated b/two;");
    char *rows = sql(f, "SELECT openrouter_id, display_name, is_active, options FROM models ORDER BY id");
    assert_string_equal(rows, "a/one|One!|1|{\"max_tokens\":900}\nb/two|Two|0|NULL\n");
    free(rows);

    /* Listing it again activates it, keeping its id. */
    c.text[0] = '\0';
    assert_int_equal(store_models_sync(s, first, 2, record_change, &c, &res, &err), 0);
    assert_int_equal(res.activated, 1);
    assert_int_equal(res.updated, 1);
    rows = sql(f, "SELECT id, openrouter_id, is_active FROM models ORDER BY id");
    assert_string_equal(rows, "1|a/one|1\n2|b/two|1\n");
    free(rows);

    struct store_model_list list;
    assert_int_equal(store_models_list(s, &list, &err), 0);
    assert_int_equal(list.n, 2);
    assert_string_equal(list.items[1].openrouter_id, "b/two");
    assert_non_null(list.items[1].added_at);
    store_model_list_free(&list);
    store_close(s);
}

static void test_status_counts(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_store(f->path, 1);
    struct store_status st;
    struct err err = {{0}};
    assert_int_equal(store_status(s, &st, &err), 0); /* empty database */
    assert_int_equal(st.puzzles, 0);
    migrate(s);
    struct store_model m = model("a/one", "One", NULL);
    assert_int_equal(store_models_sync(s, &m, 1, NULL, NULL, NULL, &err), 0);
    assert_int_equal(store_status(s, &st, &err), 0);
    assert_int_equal(st.models, 1);
    assert_int_equal(st.active_models, 1);
    assert_string_equal(st.last_scrape, "");
    store_close(s);
}

static void save(struct store *s, const char *outcome, const char *response, const char *error, int *kept)
{
    struct store_evaluation_row row = {.clue_id = 1, .model_id = 1, .week_id = "2026-W01", .outcome = outcome,
                                       .model_response = response, .extracted_answer = response,
                                       .is_correct = strcmp(outcome, "correct") == 0, .response_time_ms = -1,
                                       .prompt_tokens = -1, .completion_tokens = -1, .reasoning_tokens = -1,
                                       .total_tokens = -1, .cost = -1, .error_message = error, .attempts = 1,
                                       .prompt_version = 1};
    struct err err = {{0}};
    if (store_evaluation_save(s, &row, kept, &err) != 0)
        fail_msg("%s", err.msg);
}

/* An error never replaces a success (DESIGN §3); an error replaces an
 * error, and a success replaces anything. */
static void test_error_never_overwrites_a_success(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_store(f->path, 1);
    migrate(s);
    struct err err = {{0}};
    struct db_stmt stmts[] = {
        DB_SQL("INSERT INTO puzzles (guardian_id, publication_date, week_id) VALUES (1, '2026-01-01', '2026-W01')"),
        DB_SQL("INSERT INTO clues (puzzle_id, clue_number, direction, clue_text, answer, letter_count) "
               "VALUES (1, '1', 'across', 'c', 'A', '(1)')"),
        DB_SQL("INSERT INTO models (openrouter_id, provider, model_name, display_name) VALUES ('a/b', 'a', 'b', 'B')"),
    };
    assert_int_equal(db_batch(store_db(s), stmts, 3, NULL, &err), 0);
    const char *q = "SELECT outcome, coalesce(model_response, '-'), coalesce(error_message, '-'), is_correct "
                    "FROM evaluations";
    int kept = -1;
    save(s, "error", NULL, "HTTP 500: first", &kept);
    assert_int_equal(kept, 0);
    save(s, "error", NULL, "HTTP 502: second", &kept);
    assert_int_equal(kept, 0);
    char *rows = sql(f, q);
    assert_string_equal(rows, "error|-|HTTP 502: second|0\n");
    free(rows);
    save(s, "wrong", "B", NULL, &kept);
    assert_int_equal(kept, 0);
    save(s, "error", NULL, "HTTP 402: no credits", &kept);
    assert_int_equal(kept, 1);
    rows = sql(f, q);
    assert_string_equal(rows, "wrong|B|-|0\n");
    free(rows);
    save(s, "correct", "A", NULL, &kept);
    assert_int_equal(kept, 0);
    save(s, "error", NULL, "HTTP 429: later", &kept);
    assert_int_equal(kept, 1);
    rows = sql(f, q);
    assert_string_equal(rows, "correct|A|-|1\n");
    free(rows);
    /* Unknown counts (-1) and cost (< 0) are stored as NULL, not as numbers
     * an average would take in. */
    rows = sql(f, "SELECT count(*) FROM evaluations WHERE response_time_ms IS NULL AND prompt_tokens IS NULL "
                  "AND completion_tokens IS NULL AND reasoning_tokens IS NULL AND tokens_used IS NULL AND cost IS NULL");
    assert_string_equal(rows, "1\n");
    free(rows);
    /* ...but a zero is a zero. */
    struct store_evaluation_row zero = {.clue_id = 1, .model_id = 1, .week_id = "2026-W01", .outcome = "correct",
                                        .model_response = "A", .extracted_answer = "A", .is_correct = 1,
                                        .response_time_ms = 0, .prompt_tokens = 0, .completion_tokens = 0,
                                        .reasoning_tokens = 0, .total_tokens = 0, .cost = 0, .attempts = 1,
                                        .prompt_version = 1};
    assert_int_equal(store_evaluation_save(s, &zero, NULL, &err), 0);
    rows = sql(f, "SELECT response_time_ms, prompt_tokens, completion_tokens, reasoning_tokens, tokens_used, cost "
                  "FROM evaluations");
    assert_string_equal(rows, "0|0|0|0|0|0\n");
    free(rows);
    char outcome[16];
    assert_int_equal(store_evaluation_outcome(s, 1, 1, outcome, &err), 0);
    assert_string_equal(outcome, "correct");
    store_close(s);
}

/* A failed call's class and HTTP status are stored as data, as
 * store_evaluation_save was given them (status 0: NULL). */
static void test_error_status_is_typed(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_store(f->path, 1);
    migrate(s);
    struct err err = {{0}};
    struct db_stmt stmts[] = {
        DB_SQL("INSERT INTO puzzles (guardian_id, publication_date, week_id) VALUES (1, '2026-01-01', '2026-W01')"),
        DB_SQL("INSERT INTO clues (puzzle_id, clue_number, direction, clue_text, answer, letter_count) "
               "VALUES (1, '1', 'across', 'c', 'A', '(1)'), (1, '2', 'across', 'd', 'B', '(1)')"),
        DB_SQL("INSERT INTO models (openrouter_id, provider, model_name, display_name) VALUES ('a/b', 'a', 'b', 'B')"),
    };
    assert_int_equal(db_batch(store_db(s), stmts, 3, NULL, &err), 0);
    struct store_evaluation_row row = {.clue_id = 1, .model_id = 1, .week_id = "2026-W01", .outcome = "error",
                                       .response_time_ms = -1, .prompt_tokens = -1, .completion_tokens = -1,
                                       .reasoning_tokens = -1, .total_tokens = -1, .cost = -1,
                                       /* a message naming another status: the typed one counts */
                                       .error_message = "upstream said status 503", .attempts = 1,
                                       .prompt_version = 1, .error_class = ERR_CLASS_RUN_FATAL,
                                       .error_status = 402};
    assert_int_equal(store_evaluation_save(s, &row, NULL, &err), 0);
    row.clue_id = 2;
    row.error_message = "GET x: Couldn't connect to server";
    row.error_class = ERR_CLASS_RETRIABLE;
    row.error_status = 0;
    assert_int_equal(store_evaluation_save(s, &row, NULL, &err), 0);
    char *rows = sql(f, "SELECT clue_id, error_class, coalesce(error_status, 'NULL') FROM evaluations ORDER BY clue_id");
    assert_string_equal(rows, "1|run-fatal|402\n2|retriable|NULL\n");
    free(rows);
    /* A success replacing the error clears both. */
    row.clue_id = 1;
    row.outcome = "correct";
    row.model_response = row.extracted_answer = "A";
    row.is_correct = 1;
    row.error_message = NULL;
    row.error_class = ERR_CLASS_NONE;
    assert_int_equal(store_evaluation_save(s, &row, NULL, &err), 0);
    rows = sql(f, "SELECT coalesce(error_class, 'NULL'), coalesce(error_status, 'NULL') FROM evaluations "
                  "WHERE clue_id = 1");
    assert_string_equal(rows, "NULL|NULL\n");
    free(rows);
    store_close(s);
}

/* Migration 17 reads the status of the errors stored before it out of
 * their messages, once, by the rule the rankings used until then (the
 * cases rank_error_status was tested on); rows without an error keep
 * none, and the class stays unknown. */
static void test_old_error_rows_get_their_status(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *message;
        int status; /* 0: NULL */
    } cases[] = {
        {"HTTP 402: Insufficient credits", 402},
        {"OpenRouter API error: 404 - {\"error\":...}", 404},
        {"GET x: Couldn't connect to server", 0},
        {"upstream status 503 from the provider", 503},
        {"Error: 429 Too Many Requests", 429},
        {"HTTP 4021: not a status", 0},
        {"HTTP 40", 0},
        {"HTTP 4x2 odd", 0},
        {"HTTP 40x odd", 0},
        {"HTTP x02 odd", 0},
        {"HTTP v12 beta; status 429", 429},
        {NULL, 0},
    };
    const size_t n = sizeof cases / sizeof cases[0];
    struct store *s = open_store(f->path, 1);
    struct err err = {{0}};
    assert_int_equal(store_migrate_to(s, STORE_SCHEMA_VERSION - 1, NULL, NULL, &err), 0);
    assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION - 1);
    struct db_stmt seed[] = {
        DB_SQL("INSERT INTO puzzles (guardian_id, publication_date, week_id) VALUES (1, '2026-01-01', '2026-W01')"),
        DB_SQL("INSERT INTO models (openrouter_id, provider, model_name, display_name) VALUES ('a/b', 'a', 'b', 'B')"),
    };
    assert_int_equal(db_batch(store_db(s), seed, 2, NULL, &err), 0);
    for (size_t i = 0; i < n; i++) {
        struct db_stmt rows[] = {
            DB_STMT("INSERT INTO clues (id, puzzle_id, clue_number, direction, clue_text, answer, letter_count) "
                    "VALUES (?, 1, ?, 'across', 'c', 'A', '(1)')", db_int((int64_t)i + 1), db_int((int64_t)i + 1)),
            DB_STMT("INSERT INTO evaluations (clue_id, model_id, week_id, is_correct, outcome, error_message) "
                    "VALUES (?, 1, '2026-W01', 0, ?, ?)", db_int((int64_t)i + 1),
                    db_text(cases[i].message ? "error" : "wrong"), db_text(cases[i].message)),
        };
        if (db_batch(store_db(s), rows, 2, NULL, &err) != 0)
            fail_msg("%s", err.msg);
    }
    assert_int_equal(store_migrate(s, NULL, NULL, &err), 0);
    assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
    store_close(s);
    for (size_t i = 0; i < n; i++) {
        char q[160], want[32];
        snprintf(q, sizeof q, "SELECT coalesce(error_status, 'NULL'), coalesce(error_class, 'NULL') "
                 "FROM evaluations WHERE clue_id = %zu", i + 1);
        if (cases[i].status)
            snprintf(want, sizeof want, "%d|NULL\n", cases[i].status);
        else
            snprintf(want, sizeof want, "NULL|NULL\n");
        char *got = sql(f, q);
        if (strcmp(got, want) != 0)
            fail_msg("\"%s\": status %s, expected %s", cases[i].message ? cases[i].message : "(none)", got, want);
        free(got);
    }
}

static char *weeks_text(char (*weeks)[16], size_t n)
{
    char *out = calloc(n * 17 + 1, 1);
    for (size_t i = 0; i < n; i++) {
        strcat(out, weeks[i]);
        strcat(out, " ");
    }
    free(weeks);
    return out;
}

/* Which weeks the pipeline evaluates: those where an active model lacks a
 * non-error outcome on a clue that counts; quarantined puzzles, excluded
 * clues and retired models do not make a week to evaluate. */
static void test_weeks_to_evaluate(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_store(f->path, 1);
    migrate(s);
    struct err err = {{0}};
    char none[16];
    memset(none, 'x', sizeof none);
    assert_int_equal(store_newest_week(s, none, &err), 0);
    assert_string_equal(none, ""); /* no clue yet: no week */
    struct db_stmt stmts[] = {
        DB_SQL("INSERT INTO puzzles (id, guardian_id, publication_date, week_id) VALUES (1, 1, '2026-01-01', '2026-W01'), "
               "(2, 2, '2026-01-08', '2026-W02'), (3, 3, '2026-01-15', '2026-W03'), (4, 4, '2026-01-22', '2026-W04'), "
               "(5, 5, '2026-01-29', '2026-W05')"),
        DB_SQL("UPDATE puzzles SET quarantine_reason = 'a Prize post with 8 of its clues' WHERE id = 3"),
        DB_SQL("INSERT INTO clues (id, puzzle_id, clue_number, direction, clue_text, answer, letter_count) VALUES "
               "(1, 1, '1', 'across', 'c', 'A', '(1)'), (2, 2, '1', 'across', 'c', 'A', '(1)'), "
               "(3, 3, '1', 'across', 'c', 'A', '(1)'), (4, 4, '1', 'across', 'c', 'A', '(1)'), "
               "(5, 5, '1', 'across', 'c', 'A', '(1)')"),
        DB_SQL("UPDATE clues SET exclude_reason = 'answer does not fit' WHERE id = 4"),
        DB_SQL("INSERT INTO models (id, openrouter_id, provider, model_name, display_name, is_active) VALUES "
               "(1, 'a/on', 'a', 'on', 'On', 1), (2, 'a/off', 'a', 'off', 'Off', 0), (3, 'a/gone', 'a', 'gone', 'Gone', 1)"),
        DB_SQL("UPDATE models SET retired_at = CURRENT_TIMESTAMP, retired_reason = 'HTTP 404' WHERE id = 3"),
        DB_SQL("INSERT INTO evaluations (clue_id, model_id, week_id, is_correct, outcome) VALUES "
               "(1, 1, '2026-W01', 0, 'wrong'), (2, 1, '2026-W02', 0, 'error'), (5, 1, '2026-W05', 1, 'correct')"),
    };
    if (db_batch(store_db(s), stmts, sizeof stmts / sizeof stmts[0], NULL, &err) != 0)
        fail_msg("%s", err.msg);
    char newest[16];
    memset(newest, 'x', sizeof newest);
    assert_int_equal(store_newest_week(s, newest, &err), 0);
    assert_string_equal(newest, "2026-W05");
    char (*weeks)[16] = NULL;
    size_t n = 0;
    assert_int_equal(store_weeks_to_evaluate(s, &weeks, &n, &err), 0);
    char *text = weeks_text(weeks, n);
    assert_string_equal(text, "2026-W02 ");
    free(text);
    assert_int_equal(store_weeks_with_clues(s, &weeks, &n, &err), 0);
    text = weeks_text(weeks, n);
    assert_string_equal(text, "2026-W01 2026-W02 2026-W05 ");
    free(text);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations_are_numbered_in_order),
        cmocka_unit_test_setup_teardown(test_fresh_database_gets_every_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_is_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_never_overwrites_a_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_status_is_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_error_rows_get_their_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weeks_to_evaluate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_database_is_refused_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_database_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_counts, setup, teardown),
    };
    const struct CMUnitTest remote[] = {
        cmocka_unit_test_setup_teardown(test_fresh_database_gets_every_column, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_is_checked, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_error_never_overwrites_a_success, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_error_status_is_typed, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_old_error_rows_get_their_status, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_weeks_to_evaluate, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_newer_database_is_refused_untouched, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_database_is_refused, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_models_sync, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_status_counts, setup_remote, teardown),
    };
    int failed = cmocka_run_group_tests_name("store (SQLite file)", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store (remote backend, a real sqld)", remote, NULL, NULL);
    return failed;
}
