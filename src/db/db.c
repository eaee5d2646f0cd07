/* db.c - the connection API and its dispatch to a backend; see db.h. */
#include "db/db.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/http.h"
#include "core/log.h"
#include "db/db_backend.h"

struct db {
    char *location;
    const struct db_backend_ops *ops;
    void *impl;
    pthread_mutex_t lock; /* serialises calls: a batch must not interleave */
};

struct db_value db_text(const char *s)
{
    if (!s)
        return db_null();
    struct db_value v = {.type = DB_TEXT, .p = s, .len = strlen(s)};
    return v;
}

int db_is_remote(const char *location)
{
    return strncasecmp(location, "libsql://", 9) == 0 || strncasecmp(location, "https://", 8) == 0 ||
           strncasecmp(location, "http://", 7) == 0;
}

void db_redact_location(const char *location, char *out, size_t size)
{
    http_redact_url(location, out, size);
}

int db_open(const char *location, const struct db_open_opts *opts, struct db **out, struct err *err)
{
    static const struct db_open_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    if (!location || !*location)
        return err_set(err, "no database location given");
    struct db *db = calloc(1, sizeof *db);
    if (!db)
        return err_set(err, "out of memory");
    char shown[1024];
    db_redact_location(location, shown, sizeof shown);
    db->location = strdup(shown);
    if (!db->location) {
        free(db);
        return err_set(err, "out of memory");
    }
    int remote = db_is_remote(location);
    db->ops = remote ? &db_hrana_ops : &db_sqlite_ops;
    if ((remote ? db_hrana_open(location, opts, &db->impl, err) : db_sqlite_open(location, opts, &db->impl, err)) < 0) {
        free(db->location);
        free(db);
        return -1;
    }
    pthread_mutex_init(&db->lock, NULL);
    log_debug("opened %s (%s backend)", location, db->ops->name);
    *out = db;
    return 0;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    db->ops->close(db->impl);
    pthread_mutex_destroy(&db->lock);
    free(db->location);
    free(db);
}

const char *db_location(const struct db *db)
{
    return db->location;
}

const char *db_backend(const struct db *db)
{
    return db->ops->name;
}

int db_query(struct db *db, const struct db_stmt *stmt, struct db_result **out, struct err *err)
{
    pthread_mutex_lock(&db->lock);
    int rc = db->ops->query(db->impl, stmt, out, err);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

int db_batch(struct db *db, const struct db_stmt *stmts, size_t n, struct db_result **results,
             struct err *err)
{
    if (results)
        for (size_t i = 0; i < n; i++)
            results[i] = NULL;
    if (n == 0)
        return 0;
    pthread_mutex_lock(&db->lock);
    int rc = db->ops->batch(db->impl, stmts, n, results, err);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

int db_backup(struct db *db, const char *path, const struct db_backup_opts *opts,
              struct db_backup_report *report, struct err *err)
{
    static const struct db_backup_opts defaults = {0};
    struct db_backup_report scratch;
    if (!opts)
        opts = &defaults;
    if (!report)
        report = &scratch;
    memset(report, 0, sizeof *report);
    if (!db->ops->backup)
        return err_set(err, "%s is a remote database: back it up with "
                            "`cryptic-bench migrate --from URL --to FILE`",
                       db->location);
    /* Held for the whole copy: the backup reads through this connection,
     * which must not run another statement meanwhile. Other processes
     * (a running serve) are not held up by it. */
    pthread_mutex_lock(&db->lock);
    int rc = db->ops->backup(db->impl, path, opts, report, err);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

/* ---- results --------------------------------------------------------- */

struct db_result *db_result_new(size_t ncols, struct err *err)
{
    struct db_result *r = calloc(1, sizeof *r);
    if (!r || (ncols && !(r->cols = calloc(ncols, sizeof *r->cols)))) {
        free(r);
        err_set(err, "out of memory");
        return NULL;
    }
    r->ncols = ncols;
    return r;
}

int db_result_set_col(struct db_result *r, size_t col, const char *name, struct err *err)
{
    assert(col < r->ncols);
    free(r->cols[col]);
    r->cols[col] = strdup(name ? name : "");
    if (!r->cols[col])
        return err_set(err, "out of memory");
    return 0;
}

int db_result_add_row(struct db_result *r, const struct db_value *values, struct err *err)
{
    if (r->ncols == 0) {
        r->nrows++;
        return 0;
    }
    if (r->nrows == r->row_cap) {
        size_t cap = r->row_cap ? r->row_cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof(struct db_value) / r->ncols)
            return err_set(err, "result too large");
        struct db_value *cells = realloc(r->cells, cap * r->ncols * sizeof *cells);
        if (!cells)
            return err_set(err, "out of memory reading %zu rows", r->nrows);
        r->cells = cells;
        r->row_cap = cap;
    }
    struct db_value *row = r->cells + r->nrows * r->ncols;
    for (size_t c = 0; c < r->ncols; c++) {
        row[c] = values[c];
        if (values[c].type == DB_TEXT || values[c].type == DB_BLOB) {
            char *copy = malloc(values[c].len + 1);
            if (!copy) {
                for (size_t k = 0; k < c; k++)
                    if (row[k].type == DB_TEXT || row[k].type == DB_BLOB)
                        free((char *)row[k].p);
                return err_set(err, "out of memory");
            }
            if (values[c].len)
                memcpy(copy, values[c].p, values[c].len);
            copy[values[c].len] = '\0';
            row[c].p = copy;
        }
    }
    r->nrows++;
    return 0;
}

void db_result_free(struct db_result *r)
{
    if (!r)
        return;
    if (r->cells) {
        for (size_t i = 0; i < r->nrows * r->ncols; i++)
            if (r->cells[i].type == DB_TEXT || r->cells[i].type == DB_BLOB)
                free((char *)r->cells[i].p);
        free(r->cells);
    }
    for (size_t c = 0; c < r->ncols; c++)
        free(r->cols[c]);
    free(r->cols);
    free(r);
}

void db_results_free(struct db_result **results, size_t n)
{
    if (!results)
        return;
    for (size_t i = 0; i < n; i++) {
        db_result_free(results[i]);
        results[i] = NULL;
    }
}

const struct db_value *db_result_value(const struct db_result *r, size_t row, size_t col)
{
    assert(row < r->nrows && col < r->ncols);
    return &r->cells[row * r->ncols + col];
}

int64_t db_result_int(const struct db_result *r, size_t row, size_t col)
{
    const struct db_value *v = db_result_value(r, row, col);
    switch (v->type) {
    case DB_INTEGER: return v->i;
    case DB_REAL: return (int64_t)v->r;
    case DB_TEXT: return strtoll(v->p, NULL, 10);
    default: return 0;
    }
}

double db_result_real(const struct db_result *r, size_t row, size_t col)
{
    const struct db_value *v = db_result_value(r, row, col);
    switch (v->type) {
    case DB_INTEGER: return (double)v->i;
    case DB_REAL: return v->r;
    case DB_TEXT: return strtod(v->p, NULL);
    default: return 0.0;
    }
}

const char *db_result_text(const struct db_result *r, size_t row, size_t col)
{
    const struct db_value *v = db_result_value(r, row, col);
    return v->type == DB_TEXT ? v->p : NULL;
}

int db_result_is_null(const struct db_result *r, size_t row, size_t col)
{
    return db_result_value(r, row, col)->type == DB_NULL;
}

int db_result_col(const struct db_result *r, const char *name)
{
    for (size_t c = 0; c < r->ncols; c++)
        if (strcmp(r->cols[c], name) == 0)
            return (int)c;
    return -1;
}

void db_sql_snippet(const char *sql, char *out, size_t size)
{
    if (size < 4) {
        if (size)
            out[0] = '\0';
        return;
    }
    size_t used = 0;
    int space = 0, cut = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            space = used > 0;
            continue;
        }
        size_t need = space ? 2 : 1;
        if (used + need + 4 > size) { /* keep room for "..." and the NUL */
            cut = 1;
            break;
        }
        if (space) {
            out[used++] = ' ';
            space = 0;
        }
        out[used++] = *p;
    }
    if (cut) {
        memcpy(out + used, "...", 3);
        used += 3;
    }
    out[used] = '\0';
}
