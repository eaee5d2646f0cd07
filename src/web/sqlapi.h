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
 * Limits, answered as protocol errors: statement run time (a progress
 * handler), rows and bytes per response; the body size is the server's.
 */
#ifndef CB_WEB_SQLAPI_H
#define CB_WEB_SQLAPI_H

#include <stddef.h>

#include "core/err.h"

struct sqlapi_limits {
    long statement_ms;   /* default 5000 */
    long max_rows;       /* per response; default 10000 */
    size_t max_bytes;    /* per response; default 10 MB */
};

/* Runs one pipeline request body against the database file at path.
 * Returns the HTTP status (200, or 400 for a malformed request) and a JSON
 * body in *response (caller frees). version is 2 or 3 (3 adds
 * get_autocommit and the is_autocommit condition). */
unsigned sqlapi_pipeline(const char *path, const struct sqlapi_limits *limits, int version, const char *body,
                         size_t len, char **response);

#endif
