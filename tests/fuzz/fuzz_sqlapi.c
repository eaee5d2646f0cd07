/*
 * fuzz_sqlapi.c - libFuzzer harness for the SQL endpoint's request handling
 * (web/sqlapi.h): any bytes as a pipeline body, against a small database
 * made once; no crash, no leak, no undefined behaviour, and the database
 * never changes.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web/sqlapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static int64_t count(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) + (SELECT count(*) FROM sqlite_schema) FROM t", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void make_db(void)
{
    snprintf(path, sizeof path, "/tmp/fuzz-sqlapi-%d.db", (int)getpid());
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, s TEXT, r REAL, b BLOB);"
                     "INSERT INTO t (s, r, b) VALUES ('a', 1.5, x'00ff'), ('b', NULL, NULL);",
                     NULL, NULL, NULL) != SQLITE_OK)
        abort();
    sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int64_t expected = -1;
    if (expected < 0) {
        make_db();
        expected = count();
    }
    struct sqlapi_limits limits = {.statement_ms = 200, .max_rows = 1000, .max_bytes = 1u << 20, .request_ms = 1000};
    char *out = NULL;
    sqlapi_pipeline(path, &limits, 3, (const char *)data, size, &out);
    free(out);
    if (count() != expected)
        abort(); /* a request changed the database */
    return 0;
}
