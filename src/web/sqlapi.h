/*
 * sqlapi.h - a read-only Hrana-over-HTTP endpoint over the embedded SQLite
 * file (docs/hrana.md): what @libsql/client sends to
 * `POST /v2/pipeline` (and /v3/pipeline) — execute, batch with conditions,
 * store_sql / close_sql, sequence, describe, close — answered in the
 * protocol's shape, so the dashboard (or any libSQL client) reads the live
 * database the way it would read Turso.
 *
 * Read-only for real, in layers: the connection is opened read-only;
 * every statement must satisfy sqlite3_stmt_readonly(); an authorizer
 * denies ATTACH, DETACH, every write and pragma assignments. Streams are
 * not kept: the answer's baton is always null (a request carrying a baton
 * is refused), and a transaction a pipeline leaves open is rolled back at
 * its end. Each server thread keeps one such connection between requests.
 *
 * Limits, answered as protocol errors: one deadline per request covering
 * every statement of the pipeline (checked by a progress handler, and
 * enforced from outside by a watchdog calling sqlite3_interrupt, since one
 * long function call never reaches the progress handler), rows and bytes
 * per response (every cell counted as it is produced), and sqlite3_limit()s
 * sized for a reader: values of 1 MB, SQL texts of 100 KB, expression depth
 * 100, 50 compound terms, no attached files. The body size is the
 * server's.
 */
#ifndef CB_WEB_SQLAPI_H
#define CB_WEB_SQLAPI_H

#include <stddef.h>

#include "core/err.h"

struct sqlapi_limits {
    long statement_ms;   /* per statement; default: request_ms */
    long max_rows;       /* per response; default 10000 */
    size_t max_bytes;    /* per response; default 10 MB */
    long request_ms;     /* the whole pipeline, every statement; default 5000 */
};

/* The largest value (text or blob) a statement may make or read, and the
 * longest SQL text: a reader needs no more, and a function call over
 * bigger inputs could run for minutes without a chance to interrupt it. */
#define SQLAPI_MAX_VALUE (1000 * 1000)
#define SQLAPI_MAX_SQL (100 * 1000)

/* A thread that interrupts (sqlite3_interrupt) every running pipeline past
 * its deadline, every 10 ms until it ends. NULL when it cannot start. */
struct sqlapi_watchdog;
int sqlapi_watchdog_start(struct sqlapi_watchdog **out, struct err *err);
/* Stops and frees it; no pipeline may still be running under it. */
void sqlapi_watchdog_stop(struct sqlapi_watchdog *w);

/* Runs one pipeline request body against the database file at path.
 * Returns the HTTP status (200, or 400 for a malformed request) and a JSON
 * body in *response (caller frees). version is 2 or 3 (3 adds
 * get_autocommit and the is_autocommit condition). */
unsigned sqlapi_pipeline(const char *path, const struct sqlapi_limits *limits, int version, const char *body,
                         size_t len, char **response);
/* The same, with the request registered with watchdog (may be NULL) while
 * it runs. */
unsigned sqlapi_pipeline_guarded(const char *path, const struct sqlapi_limits *limits,
                                 struct sqlapi_watchdog *watchdog, int version, const char *body, size_t len,
                                 char **response);

#endif
