/* status.c - counts and dates for `status`; see store.h. */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"
#include "store/store.h"

/* Only columns of the old schema, so this reads a version 1 file too. */
static const char *const sql_status =
    "SELECT\n"
    "  (SELECT count(*) FROM puzzles),\n"
    "  (SELECT count(*) FROM clues),\n"
    "  (SELECT count(*) FROM models),\n"
    "  (SELECT count(*) FROM models WHERE is_active),\n"
    "  (SELECT count(*) FROM evaluations),\n"
    "  (SELECT count(*) FROM evaluations WHERE error_message IS NOT NULL),\n"
    "  (SELECT count(*) FROM weekly_rankings),\n"
    "  (SELECT max(scraped_at) FROM puzzles),\n"
    "  (SELECT max(evaluated_at) FROM evaluations),\n"
    "  (SELECT max(week_id) FROM puzzles)";

static const char *const sql_has_rejected =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'rejected_posts'";

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

int store_status(struct store *store, struct store_status *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    if (store_schema_version(store) == 0)
        return 0;
    struct db_result *r = NULL;
    if (db_query(store_db(store), &DB_SQL(sql_status), &r, err) < 0)
        return err_prefix(err, "cannot read status");
    out->puzzles = db_result_int(r, 0, 0);
    out->clues = db_result_int(r, 0, 1);
    out->models = db_result_int(r, 0, 2);
    out->active_models = db_result_int(r, 0, 3);
    out->evaluations = db_result_int(r, 0, 4);
    out->evaluation_errors = db_result_int(r, 0, 5);
    out->weekly_rankings = db_result_int(r, 0, 6);
    copy_text(out->last_scrape, sizeof out->last_scrape, db_result_text(r, 0, 7));
    copy_text(out->last_evaluation, sizeof out->last_evaluation, db_result_text(r, 0, 8));
    copy_text(out->newest_week, sizeof out->newest_week, db_result_text(r, 0, 9));
    db_result_free(r);
    /* An older file has no rejected_posts table yet: none are recorded. */
    r = NULL;
    if (db_query(store_db(store), &DB_SQL(sql_has_rejected), &r, err) < 0)
        return err_prefix(err, "cannot read status");
    int has = db_result_int(r, 0, 0) > 0;
    db_result_free(r);
    if (has && store_rejected_count(store, &out->rejected_posts, err) < 0)
        return err_prefix(err, "cannot read status");
    return 0;
}
