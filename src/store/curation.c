/* curation.c - taking puzzles and clues out of scoring and back; see store.h. */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"
#include "store/store.h"

static const char *const sql_puzzles =
    "SELECT p.id, p.series, p.guardian_id, p.week_id, p.publication_date, p.setter, p.title,\n"
    "       (SELECT count(*) FROM clues c WHERE c.puzzle_id = p.id),\n"
    "       (SELECT count(*) FROM clues c WHERE c.puzzle_id = p.id AND c.exclude_reason IS NOT NULL),\n"
    "       p.quarantine_reason\n"
    "FROM puzzles p ORDER BY p.week_id, p.publication_date, p.id";

/* The reason and its time set together, or both cleared (restore). */
static const char *const sql_quarantine =
    "UPDATE puzzles SET quarantine_reason = ?1,\n"
    "    quarantined_at = CASE WHEN ?1 IS NULL THEN NULL ELSE CURRENT_TIMESTAMP END\n"
    "WHERE id = ?2 RETURNING week_id, (quarantine_reason IS NOT NULL)";

static const char *const sql_exclude =
    "UPDATE clues SET exclude_reason = ?1,\n"
    "    excluded_at = CASE WHEN ?1 IS NULL THEN NULL ELSE CURRENT_TIMESTAMP END\n"
    "WHERE id = ?2 RETURNING (SELECT week_id FROM puzzles p WHERE p.id = clues.puzzle_id)";

int store_puzzles_json(struct store *store, json_t **out, struct err *err)
{
    static const char *const names[] = {"id", "series", "number", "week_id", "publication_date", "setter",
                                        "title", "clues", "excluded_clues", "quarantine_reason", NULL};
    struct db_result *r = NULL;
    if (db_query(store_db(store), &DB_SQL(sql_puzzles), &r, err) < 0)
        return err_prefix(err, "cannot list puzzles");
    *out = store_rows_json(r, names);
    db_result_free(r);
    return 0;
}

static const char *const sql_puzzle_exists = "SELECT count(*) FROM puzzles WHERE id = ?";

static const char *const sql_puzzle_clues =
    "SELECT id, clue_number, direction, clue_text, letter_count, coalesce(display_answer, answer), exclude_reason\n"
    "FROM clues WHERE puzzle_id = ?\n"
    "ORDER BY direction <> 'across', CAST(clue_number AS INTEGER), clue_number, id";

int store_clues_json(struct store *store, int64_t puzzle_id, json_t **out, int *found, struct err *err)
{
    static const char *const names[] = {"id", "number", "direction", "clue", "enumeration", "answer",
                                        "exclude_reason", NULL};
    struct db_result *r = NULL;
    *out = NULL;
    *found = 0;
    if (db_query(store_db(store), &DB_STMT(sql_puzzle_exists, db_int(puzzle_id)), &r, err) < 0)
        return err_prefix(err, "cannot read puzzle %lld", (long long)puzzle_id);
    *found = db_result_int(r, 0, 0) > 0;
    db_result_free(r);
    r = NULL;
    if (!*found)
        return 0;
    if (db_query(store_db(store), &DB_STMT(sql_puzzle_clues, db_int(puzzle_id)), &r, err) < 0)
        return err_prefix(err, "cannot list the clues of puzzle %lld", (long long)puzzle_id);
    *out = store_rows_json(r, names);
    db_result_free(r);
    return 0;
}

static int set_reason(struct store *store, const char *sql, int64_t id, const char *reason, char week[16],
                      int *found, struct err *err)
{
    struct db_result *r = NULL;
    week[0] = '\0';
    *found = 0;
    struct db_stmt st = DB_STMT(sql, db_text(reason), db_int(id));
    if (db_batch(store_db(store), &st, 1, &r, err) < 0)
        return -1;
    if (r->nrows) {
        *found = 1;
        snprintf(week, 16, "%s", db_result_text(r, 0, 0) ? db_result_text(r, 0, 0) : "");
    }
    db_result_free(r);
    return 0;
}

int store_puzzle_quarantine(struct store *store, int64_t id, const char *reason, char week[16], int *found,
                            struct err *err)
{
    return set_reason(store, sql_quarantine, id, reason, week, found, err);
}

int store_clue_exclude(struct store *store, int64_t id, const char *reason, char week[16], int *found,
                       struct err *err)
{
    return set_reason(store, sql_exclude, id, reason, week, found, err);
}
