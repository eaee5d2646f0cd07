/* rejected.c - posts that failed validation, remembered until they pass; see store.h. */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"
#include "store/store.h"

/* One row per post URL: a later rejection updates the reason and counts
 * the attempt; first_seen stays. */
static const char *const sql_record =
    "INSERT INTO rejected_posts (url, series, number, title, reason) VALUES (?1, ?2, ?3, ?4, ?5)\n"
    "ON CONFLICT (url) DO UPDATE SET\n"
    "    series = coalesce(excluded.series, series), number = coalesce(excluded.number, number),\n"
    "    title = coalesce(excluded.title, title), reason = excluded.reason,\n"
    "    last_seen = CURRENT_TIMESTAMP, attempts = attempts + 1\n"
    "RETURNING attempts";

static const char *const sql_list =
    "SELECT id, url, series, number, title, reason, first_seen, last_seen, attempts, alerted_at\n"
    "FROM rejected_posts ORDER BY last_seen DESC, id DESC";

static const char *const sql_due =
    "SELECT id, url, series, number, title, reason, first_seen, last_seen, attempts, alerted_at\n"
    "FROM rejected_posts WHERE attempts >= ?1 AND alerted_at IS NULL ORDER BY id";

static const char *const sql_alerted =
    "UPDATE rejected_posts SET alerted_at = CURRENT_TIMESTAMP WHERE id = ?1";

static const char *const sql_forget = "DELETE FROM rejected_posts WHERE url = ?1";

static const char *const sql_count = "SELECT count(*) FROM rejected_posts";

int store_rejected_record(struct store *store, const struct store_rejected_row *row, int64_t *attempts,
                          struct err *err)
{
    struct db_result *r = NULL;
    struct db_stmt st = DB_STMT(sql_record, db_text(row->url), db_text(row->series),
                                row->number > 0 ? db_int(row->number) : db_null(), db_text(row->title),
                                db_text(row->reason));
    if (db_batch(store_db(store), &st, 1, &r, err) < 0)
        return err_prefix(err, "cannot record the rejection of %s", row->url);
    if (attempts)
        *attempts = r->nrows ? db_result_int(r, 0, 0) : 1;
    db_result_free(r);
    return 0;
}

static int list_json(struct store *store, const struct db_stmt *st, json_t **out, struct err *err)
{
    static const char *const names[] = {"id",     "url",        "series",    "number",   "title",
                                        "reason", "first_seen", "last_seen", "attempts", "alerted_at",
                                        NULL};
    struct db_result *r = NULL;
    if (db_query(store_db(store), st, &r, err) < 0)
        return err_prefix(err, "cannot list rejected posts");
    *out = store_rows_json(r, names);
    db_result_free(r);
    return 0;
}

int store_rejected_json(struct store *store, json_t **out, struct err *err)
{
    return list_json(store, &DB_SQL(sql_list), out, err);
}

int store_rejected_due_alert(struct store *store, int64_t attempts, json_t **out, struct err *err)
{
    return list_json(store, &DB_STMT(sql_due, db_int(attempts)), out, err);
}

int store_rejected_mark_alerted(struct store *store, int64_t id, struct err *err)
{
    struct db_stmt st = DB_STMT(sql_alerted, db_int(id));
    if (db_batch(store_db(store), &st, 1, NULL, err) < 0)
        return err_prefix(err, "cannot mark rejected post %lld alerted", (long long)id);
    return 0;
}

int store_rejected_count(struct store *store, int64_t *n, struct err *err)
{
    if (store_query_int(store, &DB_SQL(sql_count), 0, n, err) < 0)
        return err_prefix(err, "cannot count rejected posts");
    return 0;
}

int store_rejected_forget(struct store *store, const char *url, struct err *err)
{
    struct db_stmt st = DB_STMT(sql_forget, db_text(url ? url : ""));
    if (db_batch(store_db(store), &st, 1, NULL, err) < 0)
        return err_prefix(err, "cannot forget the rejection of %s", url ? url : "a post");
    return 0;
}
