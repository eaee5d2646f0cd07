/*
 * db_backend.h - what a db backend provides (internal to db/).
 *
 * db.c owns the struct db, its lock and the dispatch; a backend implements
 * the three operations on its own state (impl) and builds results with the
 * helpers below.
 */
#ifndef CB_DB_DB_BACKEND_H
#define CB_DB_DB_BACKEND_H

#include "db/db.h"

struct db_backend_ops {
    const char *name;
    int (*query)(void *impl, const struct db_stmt *stmt, struct db_result **out, struct err *err);
    int (*batch)(void *impl, const struct db_stmt *stmts, size_t n, struct db_result **results,
                 struct err *err);
    void (*close)(void *impl);
    /* db_backup(); NULL for a backend that cannot copy itself to a file. */
    int (*backup)(void *impl, const char *path, const struct db_backup_opts *opts,
                  struct db_backup_report *report, struct err *err);
};

/* The SQLite backend. */
int db_sqlite_open(const char *path, const struct db_open_opts *opts, void **impl,
                   struct err *err);
extern const struct db_backend_ops db_sqlite_ops;

/* The remote backend: a libsql://, https:// or http:// URL of a libSQL
 * server, spoken to with Hrana over HTTP. Opening checks the server
 * answers (and accepts the token) with one read. */
int db_hrana_open(const char *url, const struct db_open_opts *opts, void **impl, struct err *err);
extern const struct db_backend_ops db_hrana_ops;

/* Result building: a new empty result with ncols named columns. */
struct db_result *db_result_new(size_t ncols, struct err *err);
int db_result_set_col(struct db_result *r, size_t col, const char *name, struct err *err);
/* Appends a row of ncols values, copying text and blob bytes. */
int db_result_add_row(struct db_result *r, const struct db_value *values, struct err *err);

/* A short one-line form of a statement for error messages. */
void db_sql_snippet(const char *sql, char *out, size_t size);

#endif
