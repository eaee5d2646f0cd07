/*
 * internal.h - what the files of store/ share: the connection. Not for use
 * outside store/ (its unit tests and benches excepted, which seed and
 * inspect a database directly): every other module asks store/ for what it
 * needs (store.h), so no SQL runs anywhere else.
 */
#ifndef CB_STORE_INTERNAL_H
#define CB_STORE_INTERNAL_H

#include "db/db.h"
#include "store/store.h"

/* The store's connection; owned by the store. */
struct db *store_db(struct store *store);

/* store_migrate() up to version (at most STORE_SCHEMA_VERSION) only: for
 * the tests of a migration, which need the database as it was before it. */
int store_migrate_to(struct store *store, int version, store_migration_fn on_applied, void *ctx, struct err *err);

/* The first column of a query's first row: store_query_int sets *out to
 * if_null when there is no row or the cell is NULL; store_query_text
 * copies the text into out (size bytes, cut to fit) or leaves "" when
 * there is none. -1 (err set) when the query fails. */
int store_query_int(struct store *store, const struct db_stmt *stmt, int64_t if_null, int64_t *out,
                    struct err *err);
int store_query_text(struct store *store, const struct db_stmt *stmt, char *out, size_t size, struct err *err);

/* A field of a step descriptor as a bound value: NULL (matches nothing)
 * when the descriptor or the field is absent. */
#define STORE_STEP_FIELD(fields, name) db_text((fields) ? (fields)->name : NULL)

/* One cell as JSON: integers, reals and text as such, anything else null.
 * The caller owns the value. */
json_t *store_cell_json(const struct db_result *r, size_t row, size_t col);

/* The rows of r as a JSON array of objects, column c under names[c]
 * (NULL-terminated, at most r's columns), each cell as store_cell_json.
 * The caller owns the array. */
json_t *store_rows_json(const struct db_result *r, const char *const *names);

#endif
