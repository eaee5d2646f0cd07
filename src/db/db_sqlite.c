/*
 * db_sqlite.c - the embedded backend: one SQLite file through libsqlite3.
 *
 * The connection runs with foreign_keys=ON and a busy timeout, so a second
 * process (a server and a CLI command on the same file) waits for the write
 * lock instead of failing at once. Journal mode is switched to WAL by the
 * first write batch, not at open, so opening and reading never modifies a
 * file (an old database we refuse, or a read-only `status`, stays
 * byte-for-byte as it was).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "db/db_backend.h"

#define BUSY_TIMEOUT_MS 10000

struct sqlite_impl {
    sqlite3 *conn;
    char *path;
    int wal_checked; /* journal mode set to WAL (or found unchangeable) */
};

static int fail_sqlite(struct sqlite_impl *s, struct err *err, const char *what, const char *sql)
{
    char snippet[160];
    db_sql_snippet(sql ? sql : "", snippet, sizeof snippet);
    if (sql)
        return err_set(err, "%s: %s [%s]", what, sqlite3_errmsg(s->conn), snippet);
    return err_set(err, "%s: %s", what, sqlite3_errmsg(s->conn));
}

int db_sqlite_open(const char *path, const struct db_open_opts *opts, void **impl, struct err *err)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return err_set(err, "%s is a directory, not a database file", path);
    if (!exists && !opts->create)
        return err_set(err, "no database at %s (create it with `cryptic-bench init-db`)", path);
    if (!exists && fs_make_parent_dirs(path, err) < 0)
        return err_prefix(err, "cannot create database %s", path);

    struct sqlite_impl *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return err_set(err, "out of memory");
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (opts->create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &s->conn, flags, NULL);
    if (rc != SQLITE_OK) {
        if (s->conn)
            err_set(err, "cannot open database %s: %s", path, sqlite3_errmsg(s->conn));
        else
            err_set(err, "cannot open database %s: %s", path, sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(s->conn, 1);
    sqlite3_busy_timeout(s->conn, BUSY_TIMEOUT_MS);
    if (sqlite3_exec(s->conn, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
        fail_sqlite(s, err, path, NULL);
        goto fail;
    }
    /* Reading the schema is the first access to the file: this is where a
     * file that is not a database is found out, before anything writes. */
    rc = sqlite3_exec(s->conn, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_NOTADB)
            err_set(err, "%s is not an SQLite database", path);
        else
            fail_sqlite(s, err, path, NULL);
        goto fail;
    }
    *impl = s;
    return 0;
fail:
    sqlite3_close(s->conn);
    if (!exists) {
        /* Leave no empty file behind from a failed create. */
        remove(path);
    }
    free(s->path);
    free(s);
    return -1;
}

static void sqlite_close(void *impl)
{
    struct sqlite_impl *s = impl;
    if (!s)
        return;
    sqlite3_close(s->conn);
    free(s->path);
    free(s);
}

static int bind_args(struct sqlite_impl *s, sqlite3_stmt *st, const struct db_stmt *stmt,
                     struct err *err)
{
    int expected = sqlite3_bind_parameter_count(st);
    if ((size_t)expected != stmt->nargs) {
        char snippet[160];
        db_sql_snippet(stmt->sql, snippet, sizeof snippet);
        return err_set(err, "statement takes %d parameters, %zu given [%s]", expected, stmt->nargs,
                       snippet);
    }
    for (size_t i = 0; i < stmt->nargs; i++) {
        const struct db_value *v = &stmt->args[i];
        int idx = (int)i + 1;
        int rc;
        switch (v->type) {
        case DB_NULL: rc = sqlite3_bind_null(st, idx); break;
        case DB_INTEGER: rc = sqlite3_bind_int64(st, idx, v->i); break;
        case DB_REAL: rc = sqlite3_bind_double(st, idx, v->r); break;
        case DB_TEXT: rc = sqlite3_bind_text64(st, idx, v->p, v->len, SQLITE_TRANSIENT, SQLITE_UTF8); break;
        case DB_BLOB: rc = sqlite3_bind_blob64(st, idx, v->p, v->len, SQLITE_TRANSIENT); break;
        default: return err_set(err, "parameter %d has an unknown type", idx);
        }
        if (rc != SQLITE_OK)
            return fail_sqlite(s, err, "cannot bind a parameter", stmt->sql);
    }
    return 0;
}

static int prepare(struct sqlite_impl *s, const struct db_stmt *stmt, sqlite3_stmt **out,
                   struct err *err)
{
    const char *tail = NULL;
    if (sqlite3_prepare_v2(s->conn, stmt->sql, -1, out, &tail) != SQLITE_OK)
        return fail_sqlite(s, err, "cannot prepare", stmt->sql);
    if (!*out)
        return err_set(err, "empty statement");
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && *tail) {
        sqlite3_finalize(*out);
        *out = NULL;
        char snippet[160];
        db_sql_snippet(stmt->sql, snippet, sizeof snippet);
        return err_set(err, "one statement at a time, found more [%s]", snippet);
    }
    if (bind_args(s, *out, stmt, err) < 0) {
        sqlite3_finalize(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Steps st to the end, collecting its rows into a new result. */
static int collect(struct sqlite_impl *s, sqlite3_stmt *st, const char *sql, struct db_result **out,
                   struct err *err)
{
    int ncols = sqlite3_column_count(st);
    struct db_result *r = db_result_new((size_t)ncols, err);
    struct db_value *row = ncols ? calloc((size_t)ncols, sizeof *row) : NULL;
    if (!r || (ncols && !row)) {
        err_set(err, "out of memory");
        goto fail;
    }
    for (int c = 0; c < ncols; c++)
        if (db_result_set_col(r, (size_t)c, sqlite3_column_name(st, c), err) < 0)
            goto fail;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < ncols; c++) {
            struct db_value v = {.type = DB_NULL};
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER:
                v.type = DB_INTEGER;
                v.i = sqlite3_column_int64(st, c);
                break;
            case SQLITE_FLOAT:
                v.type = DB_REAL;
                v.r = sqlite3_column_double(st, c);
                break;
            case SQLITE_TEXT:
                v.type = DB_TEXT;
                v.p = (const char *)sqlite3_column_text(st, c);
                v.len = (size_t)sqlite3_column_bytes(st, c);
                break;
            case SQLITE_BLOB:
                v.type = DB_BLOB;
                v.p = sqlite3_column_blob(st, c);
                v.len = (size_t)sqlite3_column_bytes(st, c);
                break;
            default: break;
            }
            row[c] = v;
        }
        if (db_result_add_row(r, row, err) < 0)
            goto fail;
    }
    if (rc != SQLITE_DONE) {
        fail_sqlite(s, err, "statement failed", sql);
        goto fail;
    }
    if (!sqlite3_stmt_readonly(st)) {
        r->changes = sqlite3_changes64(s->conn);
        r->last_insert_rowid = sqlite3_last_insert_rowid(s->conn);
    }
    free(row);
    *out = r;
    return 0;
fail:
    free(row);
    db_result_free(r);
    return -1;
}

static int sqlite_query(void *impl, const struct db_stmt *stmt, struct db_result **out, struct err *err)
{
    struct sqlite_impl *s = impl;
    sqlite3_stmt *st = NULL;
    if (prepare(s, stmt, &st, err) < 0)
        return -1;
    int rc = -1;
    if (!sqlite3_stmt_readonly(st)) {
        char snippet[160];
        db_sql_snippet(stmt->sql, snippet, sizeof snippet);
        err_set(err, "a query must only read; writes go in a batch [%s]", snippet);
        goto out;
    }
    rc = collect(s, st, stmt->sql, out, err);
out:
    sqlite3_finalize(st);
    return rc;
}

/* WAL lets readers (the dashboard's server) run while a batch writes. */
static void ensure_wal(struct sqlite_impl *s)
{
    if (s->wal_checked)
        return;
    s->wal_checked = 1;
    sqlite3_exec(s->conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
}

static int sqlite_batch(void *impl, const struct db_stmt *stmts, size_t n, struct db_result **results,
                        struct err *err)
{
    struct sqlite_impl *s = impl;
    ensure_wal(s);
    if (sqlite3_exec(s->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail_sqlite(s, err, "cannot start a write", NULL);
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = NULL;
        struct db_result *r = NULL;
        int rc = prepare(s, &stmts[i], &st, err);
        if (rc == 0)
            rc = collect(s, st, stmts[i].sql, &r, err);
        sqlite3_finalize(st);
        if (rc < 0) {
            err_prefix(err, "statement %zu of %zu", i + 1, n);
            goto rollback;
        }
        if (results)
            results[i] = r;
        else
            db_result_free(r);
    }
    if (sqlite3_exec(s->conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail_sqlite(s, err, "cannot commit", NULL);
        goto rollback;
    }
    return 0;
rollback:
    if (!sqlite3_get_autocommit(s->conn))
        sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
    db_results_free(results, n);
    return -1;
}

const struct db_backend_ops db_sqlite_ops = {
    .name = "sqlite",
    .query = sqlite_query,
    .batch = sqlite_batch,
    .close = sqlite_close,
};
