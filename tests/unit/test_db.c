/* test_db.c - the db API on both backends (a SQLite file, a real sqld over
 * Hrana): typed values, reads only in queries, atomic batches, RETURNING;
 * and on SQLite, files it must not touch. */
#include "testutil.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"

struct fixture {
    char *dir;
    char *path; /* a file, or the URL of a sqld */
    int sqld;   /* its pid, 0 for the file backend */
    struct db *db;
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
        f->path = tu_path(f->dir, "sub/dir/t.db");
    }
    struct err err = {{0}};
    struct db_open_opts opts = {.create = 1};
    if (db_open(f->path, &opts, &f->db, &err) != 0)
        fail_msg("%s", err.msg);
    struct db_stmt create[] = {
        DB_SQL("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, "
               "u TEXT UNIQUE)"),
        DB_SQL("CREATE TABLE counter (name TEXT PRIMARY KEY, n INTEGER NOT NULL)"),
    };
    if (db_batch(f->db, create, 2, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return open_fixture(state, 0);
}

/* The same contract on a real libSQL server (Hrana over HTTP). */
static int setup_remote(void **state)
{
    return open_fixture(state, 1);
}

/* A count through the backend under test. */
static int64_t count(struct fixture *f, const char *sql)
{
    struct db_result *r = NULL;
    struct err err = {{0}};
    if (db_query(f->db, &DB_SQL(sql), &r, &err) != 0)
        fail_msg("%s", err.msg);
    int64_t n = db_result_int(r, 0, 0);
    db_result_free(r);
    return n;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    tu_stop_fake(f->sqld);
    tu_rmtree(f->dir);
    free(f->path);
    free(f->dir);
    free(f);
    return 0;
}

static void test_values_round_trip(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    static const char blob[] = {0, 1, 2, (char)0xff, 0};
    const char *text = "Caf\xc3\xa9 \xe2\x80\x93 clue";
    struct db_stmt ins[] = {
        DB_STMT("INSERT INTO t (i, r, s, b) VALUES (?, ?, ?, ?)", db_int(INT64_MIN), db_real(-0.5),
                db_text(text), db_blob(blob, sizeof blob)),
        DB_STMT("INSERT INTO t (i, r, s, b) VALUES (?, ?, ?, ?)", db_int(INT64_MAX), db_null(),
                db_text(NULL), db_blob("", 0)),
    };
    struct db_result *res[2];
    assert_int_equal(db_batch(f->db, ins, 2, res, &err), 0);
    assert_int_equal(res[0]->changes, 1);
    assert_int_equal(res[0]->last_insert_rowid, 1);
    assert_int_equal(res[1]->last_insert_rowid, 2);
    db_results_free(res, 2);

    struct db_result *r = NULL;
    assert_int_equal(db_query(f->db, &DB_SQL("SELECT id, i, r, s, b FROM t ORDER BY id"), &r, &err), 0);
    assert_int_equal(r->nrows, 2);
    assert_int_equal(r->ncols, 5);
    assert_string_equal(r->cols[3], "s");
    assert_int_equal(db_result_col(r, "b"), 4);
    assert_int_equal(db_result_col(r, "nope"), -1);
    assert_int_equal(db_result_value(r, 0, 1)->type, DB_INTEGER);
    assert_true(db_result_int(r, 0, 1) == INT64_MIN);
    assert_true(db_result_int(r, 1, 1) == INT64_MAX);
    assert_int_equal(db_result_value(r, 0, 2)->type, DB_REAL);
    assert_true(db_result_real(r, 0, 2) == -0.5);
    assert_string_equal(db_result_text(r, 0, 3), text);
    const struct db_value *b = db_result_value(r, 0, 4);
    assert_int_equal(b->type, DB_BLOB);
    assert_int_equal(b->len, sizeof blob);
    assert_memory_equal(b->p, blob, sizeof blob);
    assert_true(db_result_is_null(r, 1, 2));
    assert_true(db_result_is_null(r, 1, 3));
    assert_null(db_result_text(r, 1, 3));
    assert_int_equal(db_result_value(r, 1, 4)->len, 0);
    db_result_free(r);
}

static void test_query_refuses_writes(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct db_result *r = NULL;
    assert_int_equal(db_query(f->db, &DB_STMT("INSERT INTO t (i) VALUES (?)", db_int(1)), &r, &err), -1);
    tu_assert_contains(err.msg, "writes go in a batch");
    assert_null(r);
    assert_int_equal(db_query(f->db, &DB_SQL("SELECT count(*) FROM t"), &r, &err), 0);
    assert_int_equal(db_result_int(r, 0, 0), 0);
    db_result_free(r);
}

static void test_batch_is_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct db_stmt stmts[] = {
        DB_STMT("INSERT INTO t (u) VALUES (?)", db_text("a")),
        DB_STMT("INSERT INTO counter (name, n) VALUES (?, ?)", db_text("c"), db_int(1)),
        DB_STMT("INSERT INTO t (u) VALUES (?)", db_text("a")), /* UNIQUE violation */
    };
    struct db_result *res[3] = {(void *)1, (void *)1, (void *)1};
    assert_int_equal(db_batch(f->db, stmts, 3, res, &err), -1);
    tu_assert_contains(err.msg, "statement 3 of 3");
    tu_assert_contains(err.msg, "UNIQUE constraint failed: t.u");
    tu_assert_contains(err.msg, "INSERT INTO t (u) VALUES (?)");
    assert_null(res[0]);
    assert_null(res[1]);
    assert_null(res[2]);
    assert_int_equal(count(f, "SELECT count(*) FROM t"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM counter"), 0);
    /* The connection is usable after a rolled-back batch. */
    assert_int_equal(db_batch(f->db, stmts, 2, NULL, &err), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM t"), 1);
}

static void test_returning_rows_come_back(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct db_stmt seed = DB_STMT("INSERT INTO counter (name, n) VALUES (?, 0)", db_text("runs"));
    assert_int_equal(db_batch(f->db, &seed, 1, NULL, &err), 0);
    for (int k = 1; k <= 3; k++) {
        struct db_stmt bump = DB_STMT("UPDATE counter SET n = n + 1 WHERE name = ? RETURNING n",
                                      db_text("runs"));
        struct db_result *r = NULL;
        assert_int_equal(db_batch(f->db, &bump, 1, &r, &err), 0);
        assert_int_equal(r->nrows, 1);
        assert_int_equal(db_result_int(r, 0, 0), k);
        assert_int_equal(r->changes, 1);
        db_result_free(r);
    }
}

static void test_statement_errors_are_clear(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct db_result *r = NULL;
    assert_int_equal(db_query(f->db, &DB_SQL("SELECT 1; SELECT 2"), &r, &err), -1);
    tu_assert_contains(err.msg, "one statement at a time");
    assert_int_equal(db_query(f->db, &DB_SQL("SELECT * FROM nowhere"), &r, &err), -1);
    tu_assert_contains(err.msg, "no such table: nowhere");
    assert_int_equal(db_query(f->db, &DB_STMT("SELECT ?, ?", db_int(1)), &r, &err), -1);
    tu_assert_contains(err.msg, f->sqld ? "value for parameter 2 not found" : "takes 2 parameters, 1 given");
    tu_assert_contains(err.msg, "SELECT ?, ?");
}

/* On a server, a read runs inside a transaction that is rolled back:
 * DDL sent as a query has no effect either. */
static void test_query_cannot_change_schema(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct db_result *r = NULL;
    assert_int_equal(db_query(f->db, &DB_SQL("CREATE TABLE sneaky (x)"), &r, &err), -1);
    tu_assert_contains(err.msg, "writes go in a batch");
    assert_null(r);
    assert_int_equal(count(f, "SELECT count(*) FROM sqlite_schema WHERE name = 'sneaky'"), 0);
}

/* A server that wants a token: none or a wrong one fails at open with a
 * message that says so; a read-only token reads and is refused writes. */
static void test_remote_auth_errors(void **state)
{
    (void)state;
    char pub64[64];
    EVP_PKEY *key = tu_jwt_key(pub64);
    char *dir = tu_mkdtemp();
    setenv("SQLD_AUTH_JWT_KEY", pub64, 1);
    int port;
    int sqld = tu_start_sqld(dir, &port);
    unsetenv("SQLD_AUTH_JWT_KEY");
    char url[64], full[512], ro[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    tu_jwt_sign(key, "{}", full, sizeof full);
    tu_jwt_sign(key, "{\"a\":\"ro\"}", ro, sizeof ro);
    EVP_PKEY_free(key);

    struct db *db = NULL;
    struct err err = {{0}};
    assert_int_equal(db_open(url, NULL, &db, &err), -1);
    tu_assert_contains(err.msg, "refused the token (HTTP 401)");
    tu_assert_contains(err.msg, "TURSO_AUTH_TOKEN");
    struct db_open_opts bad = {.token = "not-a-jwt"};
    assert_int_equal(db_open(url, &bad, &db, &err), -1);
    tu_assert_contains(err.msg, "HTTP 401");

    struct db_open_opts rw = {.token = full};
    assert_int_equal(db_open(url, &rw, &db, &err), 0);
    assert_int_equal(db_batch(db, &DB_SQL("CREATE TABLE t (x)"), 1, NULL, &err), 0);
    db_close(db);
    struct db_open_opts rdonly = {.token = ro};
    assert_int_equal(db_open(url, &rdonly, &db, &err), 0);
    struct db_result *r = NULL;
    assert_int_equal(db_query(db, &DB_SQL("SELECT count(*) FROM t"), &r, &err), 0);
    db_result_free(r);
    assert_int_equal(db_batch(db, &DB_STMT("INSERT INTO t VALUES (?)", db_int(1)), 1, NULL, &err), -1);
    tu_assert_contains(err.msg, "HTTP 403");
    tu_assert_contains(err.msg, "read-only token");
    db_close(db);
    tu_stop_fake(sqld);
    tu_rmtree(dir);
    free(dir);
}

static void test_remote_open_errors(void **state)
{
    (void)state;
    struct db *db = NULL;
    struct err err = {{0}};
    /* Nothing listens on port 1. */
    assert_int_equal(db_open("http://127.0.0.1:1", NULL, &db, &err), -1);
    tu_assert_contains(err.msg, "cannot open database http://127.0.0.1:1");
    assert_null(db);
    assert_int_equal(db_open("libsql://", NULL, &db, &err), -1);
    tu_assert_contains(err.msg, "no host");
}

static void test_wal_after_first_write(void **state)
{
    struct fixture *f = *state;
    char *mode = tu_sql(f->path, "PRAGMA journal_mode");
    assert_string_equal(mode, "wal\n");
    free(mode);
    assert_string_equal(db_backend(f->db), "sqlite");
    assert_string_equal(db_location(f->db), f->path);
}

struct writer {
    const char *path;
    int done;
};

static void *write_counter(void *arg)
{
    struct writer *w = arg;
    struct err err = {{0}};
    struct db *db = NULL;
    struct db_open_opts opts = {0};
    if (db_open(w->path, &opts, &db, &err) != 0)
        return NULL;
    for (int i = 0; i < 50; i++) {
        struct db_stmt bump = DB_SQL("UPDATE counter SET n = n + 1 WHERE name = 'shared'");
        if (db_batch(db, &bump, 1, NULL, &err) == 0)
            w->done++;
    }
    db_close(db);
    return NULL;
}

/* Two connections writing at once wait for each other instead of failing. */
static void test_concurrent_writers_wait(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct db_stmt seed = DB_SQL("INSERT INTO counter (name, n) VALUES ('shared', 0)");
    assert_int_equal(db_batch(f->db, &seed, 1, NULL, &err), 0);
    struct writer a = {f->path, 0}, b = {f->path, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, write_counter, &a);
    pthread_create(&tb, NULL, write_counter, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.done + b.done, 100);
    assert_int_equal(tu_sql_int(f->path, "SELECT n FROM counter WHERE name = 'shared'"), 100);
}

static void test_open_errors(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    struct err err = {{0}};
    struct db *db = NULL;
    struct db_open_opts plain = {0}, create = {.create = 1};

    char *missing = tu_path(dir, "missing.db");
    assert_int_equal(db_open(missing, &plain, &db, &err), -1);
    tu_assert_contains(err.msg, "no database at");
    assert_false(tu_exists(missing));

    char *text = tu_path(dir, "notes.txt");
    tu_write_file(text, "these are not the pages of a database, but they are long enough to look\n"
                        "like a header to anyone who does not check the magic string at the start\n");
    char before[65], after[65];
    tu_sha256_file(text, before);
    assert_int_equal(db_open(text, &create, &db, &err), -1);
    tu_assert_contains(err.msg, "is not an SQLite database");
    tu_sha256_file(text, after);
    assert_string_equal(before, after);

    assert_int_equal(db_open(dir, &create, &db, &err), -1);
    tu_assert_contains(err.msg, "is a directory");

    char *blocked = tu_path(text, "x.db"); /* parent is a file */
    assert_int_equal(db_open(blocked, &create, &db, &err), -1);
    tu_assert_contains(err.msg, "cannot create");
    free(blocked);
    free(text);
    free(missing);
    tu_rmtree(dir);
    free(dir);
}

/* Opening and reading an existing rollback-journal file does not change a
 * byte of it: WAL is switched on by the first write only. */
static void test_reads_leave_file_untouched(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, "old.db");
    struct err err = {{0}};
    struct db *db = NULL;
    struct db_open_opts create = {.create = 1};
    assert_int_equal(db_open(path, &create, &db, &err), 0);
    db_close(db);
    /* Make a non-WAL database with libsqlite3 directly. */
    char *rows = tu_sql(path, "PRAGMA journal_mode=DELETE");
    free(rows);
    rows = tu_sql(path, "CREATE TABLE k (v TEXT)");
    free(rows);
    char before[65], after[65];
    tu_sha256_file(path, before);
    assert_int_equal(db_open(path, NULL, &db, &err), 0);
    struct db_result *r = NULL;
    assert_int_equal(db_query(db, &DB_SQL("SELECT count(*) FROM k"), &r, &err), 0);
    db_result_free(r);
    db_close(db);
    tu_sha256_file(path, after);
    assert_string_equal(before, after);
    tu_rmtree(dir);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_values_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_refuses_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_is_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_returning_rows_come_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_errors_are_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_after_first_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_wait, setup, teardown),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_reads_leave_file_untouched),
        cmocka_unit_test_setup_teardown(test_query_cannot_change_schema, setup, teardown),
    };
    const struct CMUnitTest remote[] = {
        cmocka_unit_test_setup_teardown(test_values_round_trip, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_query_refuses_writes, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_batch_is_all_or_nothing, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_returning_rows_come_back, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_statement_errors_are_clear, setup_remote, teardown),
        cmocka_unit_test_setup_teardown(test_query_cannot_change_schema, setup_remote, teardown),
        cmocka_unit_test(test_remote_open_errors),
        cmocka_unit_test(test_remote_auth_errors),
    };
    int failed = cmocka_run_group_tests_name("db (sqlite backend)", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("db (remote backend, a real sqld)", remote, NULL, NULL);
    return failed;
}
