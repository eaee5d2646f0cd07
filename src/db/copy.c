/* copy.c - a verified, resumable copy between databases; see copy.h. */
#include "db/copy.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define PROGRESS_TABLE "_cb_copy"

struct object {
    char type[16];
    char name[128];
    char *sql;
};

struct schema {
    struct object *items;
    size_t n;
};

static void schema_free(struct schema *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i].sql);
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

/* The user objects of a database (not SQLite's own, not our progress table), in creation order. */
static int read_schema(struct db *db, struct schema *out, struct err *err)
{
    struct db_result *r = NULL;
    memset(out, 0, sizeof *out);
    if (db_query(db,
                 &DB_SQL("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE "
                         "'sqlite\\_%' ESCAPE '\\' AND name <> '" PROGRESS_TABLE "' ORDER BY rowid"),
                 &r, err) < 0)
        return -1;
    out->items = calloc(r->nrows + 1, sizeof *out->items);
    if (!out->items) {
        db_result_free(r);
        return err_set(err, "out of memory");
    }
    for (size_t i = 0; i < r->nrows; i++) {
        struct object *o = &out->items[out->n++];
        snprintf(o->type, sizeof o->type, "%s", db_result_text(r, i, 0));
        snprintf(o->name, sizeof o->name, "%s", db_result_text(r, i, 1));
        o->sql = strdup(db_result_text(r, i, 2));
    }
    db_result_free(r);
    return 0;
}

/* "name" with embedded quotes doubled. */
static void quote(const char *name, char *out, size_t size)
{
    size_t k = 0;
    out[k++] = '"';
    for (const char *p = name; *p && k + 3 < size; p++) {
        if (*p == '"')
            out[k++] = '"';
        out[k++] = *p;
    }
    out[k++] = '"';
    out[k] = '\0';
}

/* Tables ordered parents first (by their foreign keys), else in creation order. */
static int order_tables(struct db *src, const struct schema *s, size_t *order, size_t *n, struct err *err)
{
    size_t tables[DB_COPY_MAX_TABLES], ntables = 0;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i].type, "table") == 0) {
            if (ntables == DB_COPY_MAX_TABLES)
                return err_set(err, "more than %d tables", DB_COPY_MAX_TABLES);
            tables[ntables++] = i;
        }
    int placed[DB_COPY_MAX_TABLES] = {0};
    *n = 0;
    for (size_t round = 0; round < ntables && *n < ntables; round++) {
        for (size_t t = 0; t < ntables; t++) {
            if (placed[t])
                continue;
            struct db_result *r = NULL;
            if (db_query(src,
                         &DB_STMT("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)",
                                  db_text(s->items[tables[t]].name)),
                         &r, err) < 0)
                return -1;
            int ready = 1;
            for (size_t k = 0; k < r->nrows && ready; k++)
                for (size_t u = 0; u < ntables; u++)
                    if (u != t && !placed[u] && strcmp(s->items[tables[u]].name, db_result_text(r, k, 0)) == 0)
                        ready = 0;
            db_result_free(r);
            if (ready) {
                placed[t] = 1;
                order[(*n)++] = tables[t];
            }
        }
    }
    if (*n < ntables)
        return err_set(err, "the tables' foreign keys form a cycle; cannot order the copy");
    return 0;
}

static int progress_get(struct db *dst, const char *key, char *out, size_t size, int *found, struct err *err)
{
    struct db_result *r = NULL;
    if (db_query(dst, &DB_STMT("SELECT value FROM " PROGRESS_TABLE " WHERE key = ?", db_text(key)), &r, err) < 0)
        return -1;
    *found = r->nrows > 0;
    if (*found)
        snprintf(out, size, "%s", db_result_text(r, 0, 0) ? db_result_text(r, 0, 0) : "");
    db_result_free(r);
    return 0;
}

static int count_rows(struct db *db, const char *table, int64_t *n, struct err *err)
{
    char q[160], sql[256];
    quote(table, q, sizeof q);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", q);
    struct db_result *r = NULL;
    if (db_query(db, &DB_SQL(sql), &r, err) < 0)
        return -1;
    *n = db_result_int(r, 0, 0);
    db_result_free(r);
    return 0;
}

/* Copies the rows of one table after rowid *last, batch by batch. */
static int copy_table(struct db *src, struct db *dst, const char *table, int64_t last, const struct db_copy_opts *o,
                      struct err *err)
{
    char q[160], select[400], key[160];
    quote(table, q, sizeof q);
    snprintf(select, sizeof select, "SELECT rowid AS _cb_rowid, * FROM %s WHERE rowid > ? ORDER BY rowid LIMIT ?", q);
    snprintf(key, sizeof key, "table:%s", table);
    int64_t total = 0, copied = 0;
    if (count_rows(src, table, &total, err) < 0)
        return -1;
    if (count_rows(dst, table, &copied, err) < 0)
        return -1;
    int batch_rows = o->batch_rows > 0 ? o->batch_rows : 200;
    /* A table whose rowid is not one of its columns (no INTEGER PRIMARY KEY)
     * gets it copied explicitly, so the copy has the same rowids. */
    struct db_result *pk = NULL;
    if (db_query(src, &DB_STMT("SELECT count(*), max(upper(type)) FROM pragma_table_info(?) WHERE pk > 0",
                               db_text(table)), &pk, err) < 0)
        return -1;
    int explicit_rowid = !(db_result_int(pk, 0, 0) == 1 && db_result_text(pk, 0, 1) &&
                           strcmp(db_result_text(pk, 0, 1), "INTEGER") == 0);
    db_result_free(pk);
    for (;;) {
        struct db_result *r = NULL;
        if (db_query(src, &DB_STMT(select, db_int(last), db_int(batch_rows)), &r, err) < 0)
            return err_prefix(err, "reading %s", table);
        if (r->nrows == 0) {
            db_result_free(r);
            break;
        }
        size_t ncols = r->ncols - 1;
        struct buf insert;
        buf_init(&insert, 1u << 20);
        buf_printf(&insert, err, "INSERT INTO %s (%s", q, explicit_rowid ? "rowid" : "");
        for (size_t c = 0; c < ncols; c++) {
            char col[160];
            quote(r->cols[c + 1], col, sizeof col);
            buf_printf(&insert, err, "%s%s", c || explicit_rowid ? ", " : "", col);
        }
        buf_printf(&insert, err, ") VALUES (%s", explicit_rowid ? "?" : "");
        for (size_t c = 0; c < ncols; c++)
            buf_printf(&insert, err, "%s?", c || explicit_rowid ? ", " : "");
        buf_printf(&insert, err, ")");
        struct db_stmt *stmts = calloc(r->nrows + 1, sizeof *stmts);
        if (!stmts || !insert.data) {
            free(stmts);
            buf_free(&insert);
            db_result_free(r);
            return err_set(err, "out of memory");
        }
        for (size_t row = 0; row < r->nrows; row++)
            stmts[row] = explicit_rowid ? (struct db_stmt){insert.data, db_result_value(r, row, 0), ncols + 1}
                                        : (struct db_stmt){insert.data, db_result_value(r, row, 1), ncols};
        last = db_result_int(r, r->nrows - 1, 0);
        char last_text[32];
        snprintf(last_text, sizeof last_text, "%lld", (long long)last);
        stmts[r->nrows] = DB_STMT("INSERT OR REPLACE INTO " PROGRESS_TABLE " (key, value) VALUES (?, ?)",
                                  db_text(key), db_text(last_text));
        int rc = db_batch(dst, stmts, r->nrows + 1, NULL, err);
        copied += (int64_t)r->nrows;
        free(stmts);
        buf_free(&insert);
        db_result_free(r);
        if (rc < 0)
            return err_prefix(err, "writing %s", table);
        if (o->on_progress)
            o->on_progress(o->ctx, table, copied, total);
    }
    char done_key[160];
    snprintf(done_key, sizeof done_key, "done:%s", table);
    return db_batch(dst, &DB_STMT("INSERT OR REPLACE INTO " PROGRESS_TABLE " (key, value) VALUES (?, '1')",
                                  db_text(done_key)),
                    1, NULL, err);
}

static void hash_value(EVP_MD_CTX *md, const struct db_value *v)
{
    char head[64];
    switch (v->type) {
    case DB_NULL:
        EVP_DigestUpdate(md, "n", 1);
        return;
    case DB_INTEGER:
        snprintf(head, sizeof head, "i%lld", (long long)v->i);
        EVP_DigestUpdate(md, head, strlen(head));
        return;
    case DB_REAL:
        snprintf(head, sizeof head, "r%.17g", v->r);
        EVP_DigestUpdate(md, head, strlen(head));
        return;
    case DB_TEXT:
    case DB_BLOB:
        snprintf(head, sizeof head, "%c%zu:", v->type == DB_TEXT ? 't' : 'b', v->len);
        EVP_DigestUpdate(md, head, strlen(head));
        EVP_DigestUpdate(md, v->p, v->len);
        return;
    }
}

int db_table_checksum(struct db *db, const char *table, int64_t *rows, char sha256[65], struct err *err)
{
    char q[160], select[400];
    quote(table, q, sizeof q);
    snprintf(select, sizeof select, "SELECT rowid AS _cb_rowid, * FROM %s WHERE rowid > ? ORDER BY rowid LIMIT 1000",
             q);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return err_set(err, "cannot start SHA-256");
    }
    int64_t last = INT64_MIN, n = 0;
    for (;;) {
        struct db_result *r = NULL;
        if (db_query(db, &DB_STMT(select, db_int(last)), &r, err) < 0) {
            EVP_MD_CTX_free(md);
            return err_prefix(err, "checksum of %s", table);
        }
        for (size_t row = 0; row < r->nrows; row++) {
            for (size_t c = 0; c < r->ncols; c++)
                hash_value(md, db_result_value(r, row, c));
            EVP_DigestUpdate(md, "\n", 1);
        }
        n += (int64_t)r->nrows;
        size_t got = r->nrows;
        if (got)
            last = db_result_int(r, got - 1, 0);
        db_result_free(r);
        if (got < 1000)
            break;
    }
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md, digest, &len);
    EVP_MD_CTX_free(md);
    for (unsigned int i = 0; i < 32; i++)
        snprintf(sha256 + 2 * i, 3, "%02x", digest[i]);
    *rows = n;
    return 0;
}

/* Drops every user table of dst (children first), for --force. */
static int clear_target(struct db *dst, const struct schema *target, struct err *err)
{
    size_t order[DB_COPY_MAX_TABLES], n = 0;
    if (order_tables(dst, target, order, &n, err) < 0)
        return -1;
    struct db_stmt stmts[DB_COPY_MAX_TABLES + 1];
    char sql[DB_COPY_MAX_TABLES + 1][200];
    size_t k = 0;
    for (size_t i = n; i-- > 0;) {
        char q[160];
        quote(target->items[order[i]].name, q, sizeof q);
        snprintf(sql[k], sizeof sql[k], "DROP TABLE %s", q);
        stmts[k] = DB_SQL(sql[k]);
        k++;
    }
    snprintf(sql[k], sizeof sql[k], "DROP TABLE IF EXISTS " PROGRESS_TABLE);
    stmts[k] = DB_SQL(sql[k]);
    k++;
    return db_batch(dst, stmts, k, NULL, err);
}

int db_copy(struct db *src, struct db *dst, const struct db_copy_opts *o, struct db_copy_report *report,
            struct err *err)
{
    struct schema source = {0}, target = {0};
    struct db_stmt *stmts = NULL;
    size_t order[DB_COPY_MAX_TABLES], ntables = 0;
    int rc = -1;
    memset(report, 0, sizeof *report);
    if (read_schema(src, &source, err) < 0 || read_schema(dst, &target, err) < 0 ||
        order_tables(src, &source, order, &ntables, err) < 0)
        goto out;
    if (ntables == 0) {
        err_set(err, "the source has no tables");
        goto out;
    }
    /* An unfinished copy of the same source is resumed; anything else in the way needs --force. */
    char value[1024] = "";
    int found = 0;
    struct db_result *marker = NULL;
    if (db_query(dst, &DB_SQL("SELECT count(*) FROM sqlite_schema WHERE name = '" PROGRESS_TABLE "'"), &marker, err) < 0)
        goto out;
    int has_progress = db_result_int(marker, 0, 0) > 0;
    db_result_free(marker);
    if (has_progress && progress_get(dst, "source", value, sizeof value, &found, err) < 0)
        goto out;
    report->resumed = has_progress && found && strcmp(value, o->source_name ? o->source_name : "") == 0;
    if (!report->resumed && target.n > 0) {
        if (!o->force) {
            err_set(err, "the target is not empty (%zu tables, indexes and triggers%s); use --force to replace it",
                    target.n, has_progress ? ", and an unfinished copy of another source" : "");
            goto out;
        }
        if (clear_target(dst, &target, err) < 0)
            goto out;
    }
    if (!report->resumed) {
        /* The tables and the progress record, at once. */
        stmts = calloc(ntables + 4, sizeof *stmts);
        if (!stmts) {
            err_set(err, "out of memory");
            goto out;
        }
        size_t k = 0;
        stmts[k++] = DB_SQL("DROP TABLE IF EXISTS " PROGRESS_TABLE);
        stmts[k++] = DB_SQL("CREATE TABLE " PROGRESS_TABLE " (key TEXT PRIMARY KEY, value TEXT)");
        for (size_t i = 0; i < source.n; i++)
            if (strcmp(source.items[i].type, "table") == 0)
                stmts[k++] = DB_SQL(source.items[i].sql);
        struct db_value name = db_text(o->source_name ? o->source_name : "");
        stmts[k++] = (struct db_stmt){"INSERT INTO " PROGRESS_TABLE " (key, value) VALUES ('source', ?)", &name, 1};
        if (db_batch(dst, stmts, k, NULL, err) < 0) {
            err_prefix(err, "creating the tables on the target");
            goto out;
        }
        free(stmts);
        stmts = NULL;
    }
    for (size_t t = 0; t < ntables; t++) {
        const char *name = source.items[order[t]].name;
        char key[160], last[32] = "";
        snprintf(key, sizeof key, "done:%s", name);
        if (progress_get(dst, key, last, sizeof last, &found, err) < 0)
            goto out;
        if (found)
            continue;
        snprintf(key, sizeof key, "table:%s", name);
        if (progress_get(dst, key, last, sizeof last, &found, err) < 0)
            goto out;
        if (copy_table(src, dst, name, found ? strtoll(last, NULL, 10) : INT64_MIN, o, err) < 0)
            goto out;
    }
    /* Indexes, triggers and views once the rows are in (a trigger must not fire on copied rows). */
    if (progress_get(dst, "objects", value, sizeof value, &found, err) < 0)
        goto out;
    if (!found) {
        stmts = calloc(source.n + 1, sizeof *stmts);
        if (!stmts) {
            err_set(err, "out of memory");
            goto out;
        }
        size_t k = 0;
        for (size_t i = 0; i < source.n; i++)
            if (strcmp(source.items[i].type, "table") != 0)
                stmts[k++] = DB_SQL(source.items[i].sql);
        stmts[k++] = DB_SQL("INSERT INTO " PROGRESS_TABLE " (key, value) VALUES ('objects', '1')");
        if (db_batch(dst, stmts, k, NULL, err) < 0) {
            err_prefix(err, "creating the indexes and triggers on the target");
            goto out;
        }
    }
    /* Verify, table by table. */
    int mismatches = 0;
    for (size_t t = 0; t < ntables; t++) {
        struct db_copy_table *ct = &report->tables[report->ntables++];
        snprintf(ct->name, sizeof ct->name, "%s", source.items[order[t]].name);
        if (db_table_checksum(src, ct->name, &ct->source_rows, ct->source_sha256, err) < 0 ||
            db_table_checksum(dst, ct->name, &ct->target_rows, ct->target_sha256, err) < 0)
            goto out;
        mismatches += ct->source_rows != ct->target_rows || strcmp(ct->source_sha256, ct->target_sha256) != 0;
    }
    if (mismatches) {
        err_set(err, "%d of %zu tables differ after the copy (see the figures)", mismatches, ntables);
        goto out;
    }
    if (db_batch(dst, &DB_SQL("DROP TABLE " PROGRESS_TABLE), 1, NULL, err) < 0)
        goto out;
    rc = 0;
out:
    free(stmts);
    schema_free(&source);
    schema_free(&target);
    return rc;
}
