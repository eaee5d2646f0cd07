/*
 * db.h - one connection API over the libSQL backends.
 *
 * The contract every backend keeps, so code above runs unchanged on an
 * embedded SQLite file and on a remote libSQL server (Hrana over HTTP):
 *
 *  - Reads: db_query() runs one read-only statement and returns all its rows.
 *  - Writes: db_batch() runs a list of statements as ONE atomic unit: every
 *    statement commits or none does. There is deliberately no API for a
 *    transaction held open across calls (over HTTP that costs round trips,
 *    expires after 10 s idle and holds the server's write lock); whatever
 *    must be atomic is sent as one batch. Claims and counters use
 *    `UPDATE ... RETURNING`, whose rows come back in the batch's results.
 *  - Parameters are always bound, never spliced into SQL text.
 *  - Values are typed: null, 64-bit integer, double, text, blob.
 *
 * A struct db may be shared between threads; calls on it are serialised.
 */
#ifndef CB_DB_DB_H
#define CB_DB_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum db_type {
    DB_NULL = 0,
    DB_INTEGER,
    DB_REAL,
    DB_TEXT,
    DB_BLOB,
};

/* A typed value. As an argument, p points to caller-owned bytes that only
 * need to live for the call; in a result, the result owns them. Text is
 * NUL-terminated (len excludes the NUL). */
struct db_value {
    enum db_type type;
    int64_t i;     /* DB_INTEGER */
    double r;      /* DB_REAL */
    const char *p; /* DB_TEXT, DB_BLOB */
    size_t len;    /* DB_TEXT, DB_BLOB */
};

static inline struct db_value db_null(void)
{
    struct db_value v = {.type = DB_NULL};
    return v;
}

static inline struct db_value db_int(int64_t i)
{
    struct db_value v = {.type = DB_INTEGER, .i = i};
    return v;
}

static inline struct db_value db_real(double r)
{
    struct db_value v = {.type = DB_REAL, .r = r};
    return v;
}

/* Text, or NULL for a SQL NULL. */
struct db_value db_text(const char *s);

static inline struct db_value db_blob(const void *p, size_t len)
{
    struct db_value v = {.type = DB_BLOB, .p = (const char *)p, .len = len};
    return v;
}

/* One SQL statement with its positional (?) parameters. */
struct db_stmt {
    const char *sql;
    const struct db_value *args;
    size_t nargs;
};

/* DB_STMT("... ? ...", db_int(1), db_text(x)): a statement with arguments.
 * DB_SQL("..."): one without. */
#define DB_STMT(sql_, ...)                                                          \
    ((struct db_stmt){(sql_), (const struct db_value[]){__VA_ARGS__},               \
                      sizeof((const struct db_value[]){__VA_ARGS__}) / sizeof(struct db_value)})
#define DB_SQL(sql_) ((struct db_stmt){(sql_), NULL, 0})

/* All rows of one statement, materialised. Owns every name and value. */
struct db_result {
    size_t ncols;
    char **cols;             /* column names */
    size_t nrows;
    struct db_value *cells;  /* nrows * ncols values, row-major */
    int64_t changes;         /* rows inserted/updated/deleted by this statement */
    int64_t last_insert_rowid; /* after an INSERT, else 0 */
    size_t row_cap;          /* internal: rows allocated in cells */
};

struct db;

struct db_open_opts {
    const char *token; /* bearer token for a remote server; NULL for none */
    int create;        /* create the database file (and its directory) if missing */
    int readonly;      /* file: nothing can write through it (PRAGMA query_only; batches
                          refused; not with create) */
    int check;         /* file: run PRAGMA quick_check first and refuse a corrupt one */
};

/* Opens location: a file path for the embedded SQLite backend, or a
 * libsql://, https:// or http:// URL for a remote libSQL server. Fails with
 * a message naming the location: no such file (without create), a file that
 * is not an SQLite database, a directory that cannot be made. *out is owned
 * by the caller and released with db_close(). */
int db_open(const char *location, const struct db_open_opts *opts, struct db **out,
            struct err *err);

void db_close(struct db *db);

/* Whether location names a remote libSQL server (libsql://, https://,
 * http://) rather than a database file. */
int db_is_remote(const char *location);

/* location for people to read (out: size bytes): a URL's user:password@
 * becomes REDACTED@ and every query value (?authToken=...) REDACTED; a
 * file path is unchanged. Messages and `status` show only this form. */
void db_redact_location(const char *location, char *out, size_t size);

/* The location as given (redacted: db_redact_location), and the backend's
 * name ("sqlite" or "remote"). */
const char *db_location(const struct db *db);
const char *db_backend(const struct db *db);

/* Runs one read-only statement. Statements that would write are refused:
 * writes go through db_batch(). On success *out is owned by the caller. */
int db_query(struct db *db, const struct db_stmt *stmt, struct db_result **out, struct err *err);

/* Runs n statements as one atomic batch. If results is not NULL it must have
 * room for n pointers; on success each holds that statement's result (owned
 * by the caller), on failure all are NULL. On failure nothing of the batch is
 * applied and the message names the failing statement ("statement 3 of 5:
 * UNIQUE constraint failed: ... [INSERT INTO models ...]"). */
int db_batch(struct db *db, const struct db_stmt *stmts, size_t n, struct db_result **results,
             struct err *err);

/* Options of db_backup(); zero values take the defaults. */
struct db_backup_opts {
    int step_pages;   /* pages copied per step (default 64): between steps the
                       * source is not locked, so other processes keep writing */
    int max_restarts; /* after this many restarts (default 3), or when a
                       * step meets a writer's lock, the rest is copied in
                       * one step under a read transaction of the backup's
                       * own (waiting up to 120 s for it), so a writer that
                       * never pauses cannot starve the backup */
};

/* What db_backup() did. */
struct db_backup_report {
    int64_t pages;     /* pages in the copy */
    int64_t page_size; /* bytes per page */
    int64_t bytes;     /* size of the finished file */
    int restarts;      /* times a write by another connection restarted the copy */
};

/* Copies the database, while it stays in use, to a new database file at
 * path with SQLite's online backup API: a consistent snapshot, written to
 * "<path>.tmp" (a stale one from an interrupted backup is replaced), checked
 * with PRAGMA integrity_check, fsynced and renamed onto path (replacing a
 * file there), so path never holds half a copy. The SQLite backend only: a
 * remote database fails with a message pointing to `migrate`. Fails, with
 * nothing left at path or path.tmp, when path or path.tmp is the database
 * file itself, the copy cannot be written, or the check finds a fault.
 * Refusing an existing path is the caller's decision. report may be NULL. */
int db_backup(struct db *db, const char *path, const struct db_backup_opts *opts,
              struct db_backup_report *report, struct err *err);

void db_result_free(struct db_result *r);

/* Frees n results of a batch (NULL entries allowed). */
void db_results_free(struct db_result **results, size_t n);

/* Cell access; row and col must be in range (asserted). */
const struct db_value *db_result_value(const struct db_result *r, size_t row, size_t col);
/* The integer of a cell (reals truncated, text parsed, NULL gives 0). */
int64_t db_result_int(const struct db_result *r, size_t row, size_t col);
double db_result_real(const struct db_result *r, size_t row, size_t col);
/* The text of a cell, or NULL for a NULL cell (numbers come back as NULL
 * too: select them as integers). Owned by the result. */
const char *db_result_text(const struct db_result *r, size_t row, size_t col);
int db_result_is_null(const struct db_result *r, size_t row, size_t col);
/* Index of a column by name, or -1. */
int db_result_col(const struct db_result *r, const char *name);

#endif
