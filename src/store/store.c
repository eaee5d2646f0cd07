/* store.c - opening the database, schema versions and migrations; see store.h. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/internal.h"
#include "store/migrations.h"

struct store {
    struct db *db;
    int version;
};

static const char *const sql_table_count =
    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
static const char *const sql_has_metadata =
    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'metadata'";
static const char *const sql_schema_version =
    "SELECT value FROM metadata WHERE key = 'schema_version'";

/* Reads the schema version: 0 for an empty database, the metadata value for
 * ours, an error for anything else. */
static int read_version(struct db *db, int *version, struct err *err)
{
    struct db_result *r = NULL;
    int rc = -1;
    if (db_query(db, &DB_SQL(sql_table_count), &r, err) < 0)
        goto out;
    int64_t tables = db_result_int(r, 0, 0);
    db_result_free(r);
    r = NULL;
    if (tables == 0) {
        *version = 0;
        rc = 0;
        goto out;
    }
    if (db_query(db, &DB_SQL(sql_has_metadata), &r, err) < 0)
        goto out;
    int64_t has_metadata = db_result_int(r, 0, 0);
    db_result_free(r);
    r = NULL;
    if (!has_metadata) {
        err_set(err, "it holds %lld tables but no metadata table: not a cryptic-bench database",
                (long long)tables);
        goto out;
    }
    if (db_query(db, &DB_SQL(sql_schema_version), &r, err) < 0)
        goto out;
    const char *text = r->nrows ? db_result_text(r, 0, 0) : NULL;
    char *end = NULL;
    long v = text ? strtol(text, &end, 10) : -1;
    if (!text || *end != '\0' || v < 0) {
        err_set(err, "metadata.schema_version is %s%s%s, not a version number", text ? "\"" : "",
                text ? text : "missing", text ? "\"" : "");
        goto out;
    }
    *version = (int)v;
    rc = 0;
out:
    db_result_free(r);
    return rc;
}

int store_open(const char *location, const struct store_open_opts *opts, struct store **out,
               struct err *err)
{
    struct db_open_opts db_opts = {0};
    if (opts) {
        db_opts.token = opts->token;
        db_opts.create = opts->create;
        db_opts.readonly = opts->readonly;
        db_opts.check = opts->check;
    }
    struct store *store = calloc(1, sizeof *store);
    if (!store)
        return err_set(err, "out of memory");
    if (db_open(location, &db_opts, &store->db, err) < 0)
        goto fail;
    if (read_version(store->db, &store->version, err) < 0) {
        err_prefix(err, "%s", location);
        goto fail;
    }
    log_debug("%s: schema version %d (this binary: %d)", location, store->version,
              STORE_SCHEMA_VERSION);
    if (store->version > STORE_SCHEMA_VERSION) {
        err_set(err, "%s has schema version %d, newer than this cryptic-bench knows (%d); "
                     "use a newer cryptic-bench",
                location, store->version, STORE_SCHEMA_VERSION);
        goto fail;
    }
    *out = store;
    return 0;
fail:
    db_close(store->db);
    free(store);
    return -1;
}

void store_close(struct store *store)
{
    if (!store)
        return;
    db_close(store->db);
    free(store);
}

struct db *store_db(struct store *store)
{
    return store->db;
}

const char *store_location(const struct store *store)
{
    return db_location(store->db);
}

const char *store_backend(const struct store *store)
{
    return db_backend(store->db);
}

int store_backup(struct store *store, const char *path, const struct db_backup_opts *opts,
                 struct db_backup_report *report, struct err *err)
{
    return db_backup(store->db, path, opts, report, err);
}

int store_schema_version(const struct store *store)
{
    return store->version;
}

int store_require_current(const struct store *store, struct err *err)
{
    if (store->version == STORE_SCHEMA_VERSION)
        return 0;
    if (store->version == 0)
        return err_set(err, "%s is empty: run `cryptic-bench init-db` first", db_location(store->db));
    return err_set(err, "%s has schema %d, this program needs %d: run `cryptic-bench init-db` "
                        "(it keeps a copy of the file first)",
                   db_location(store->db), store->version, STORE_SCHEMA_VERSION);
}

static const char *const sql_set_version =
    "UPDATE metadata SET value = ?, updated_at = CURRENT_TIMESTAMP WHERE key = 'schema_version'";

static int apply_migration(struct store *store, const struct store_migration *m,
                           struct store_migration_report *report, struct err *err)
{
    size_t n = 0;
    while (m->stmts[n])
        n++;
    struct db_stmt *stmts = calloc(n + 1, sizeof *stmts);
    struct db_result **results = calloc(n + 1, sizeof *results);
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    struct db_value version_arg = db_text(version);
    int rc = -1;
    if (!stmts || !results) {
        err_set(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        stmts[i] = DB_SQL(m->stmts[i]);
    stmts[n] = (struct db_stmt){sql_set_version, &version_arg, 1};
    if (db_batch(store->db, stmts, n + 1, results, err) < 0) {
        err_prefix(err, "migration %d (%s)", m->version, m->name);
        goto out;
    }
    report->version = m->version;
    report->name = m->name;
    report->counted = m->counted;
    report->rows = m->counted_stmt >= 0 ? results[m->counted_stmt]->changes : 0;
    rc = 0;
out:
    if (results)
        db_results_free(results, n + 1);
    free(results);
    free(stmts);
    return rc;
}

int store_migrate(struct store *store, store_migration_fn on_applied, void *ctx, struct err *err)
{
    return store_migrate_to(store, STORE_SCHEMA_VERSION, on_applied, ctx, err);
}

int store_migrate_to(struct store *store, int version, store_migration_fn on_applied, void *ctx, struct err *err)
{
    for (size_t i = 0; i < store_migrations_count; i++) {
        const struct store_migration *m = &store_migrations[i];
        if (m->version <= store->version || m->version > version)
            continue;
        struct store_migration_report report = {0};
        log_debug("applying migration %d: %s", m->version, m->name);
        if (apply_migration(store, m, &report, err) < 0)
            return err_prefix(err, "cannot upgrade %s from version %d", db_location(store->db),
                              store->version);
        store->version = m->version;
        if (on_applied)
            on_applied(ctx, &report);
    }
    return 0;
}

int store_query_int(struct store *store, const struct db_stmt *stmt, int64_t if_null, int64_t *out,
                    struct err *err)
{
    struct db_result *r = NULL;
    if (db_query(store->db, stmt, &r, err) < 0)
        return -1;
    *out = r->nrows && !db_result_is_null(r, 0, 0) ? db_result_int(r, 0, 0) : if_null;
    db_result_free(r);
    return 0;
}

int store_query_text(struct store *store, const struct db_stmt *stmt, char *out, size_t size, struct err *err)
{
    struct db_result *r = NULL;
    out[0] = '\0';
    if (db_query(store->db, stmt, &r, err) < 0)
        return -1;
    const char *t = r->nrows ? db_result_text(r, 0, 0) : NULL;
    if (t)
        snprintf(out, size, "%s", t);
    db_result_free(r);
    return 0;
}

json_t *store_cell_json(const struct db_result *r, size_t row, size_t col)
{
    const struct db_value *v = db_result_value(r, row, col);
    switch (v->type) {
    case DB_INTEGER: return json_integer(v->i);
    case DB_REAL: return json_real(v->r);
    case DB_TEXT: return json_stringn(v->p, v->len);
    default: return json_null();
    }
}

json_t *store_rows_json(const struct db_result *r, const char *const *names)
{
    json_t *list = json_array();
    for (size_t i = 0; i < r->nrows; i++) {
        json_t *o = json_object();
        for (size_t c = 0; names[c]; c++)
            json_object_set_new(o, names[c], store_cell_json(r, i, c));
        json_array_append_new(list, o);
    }
    return list;
}
