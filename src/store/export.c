/* export.c - the open-data export's reads (`export-data`); see store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/internal.h"
#include "store/store.h"

/* Weeks with clues, oldest first (the files' order). */
static const char *const sql_weeks =
    "SELECT DISTINCT p.week_id FROM puzzles p JOIN clues c ON c.puzzle_id = p.id\n"
    "WHERE ? IS NULL OR p.week_id = ? ORDER BY p.week_id";

static const char *const sql_clues =
    "SELECT c.id, p.series, p.guardian_id, p.setter, p.url, p.publication_date, c.clue_number, c.direction,\n"
    "       c.clue_text, c.letter_count, c.answer, coalesce(c.display_answer, c.answer), c.explanation,\n"
    "       p.quarantine_reason IS NULL AND c.exclude_reason IS NULL\n"
    "FROM clues c JOIN puzzles p ON p.id = c.puzzle_id WHERE p.week_id = ?\n"
    "ORDER BY p.publication_date, p.id, c.id";

/* The extraction rule column is another issue's (evaluations.extract_rule);
 * on a schema without it the rule is exported as null. */
static const char *const sql_has_rule =
    "SELECT count(*) FROM pragma_table_info('evaluations') WHERE name = 'extract_rule'";
#define EVALS(rule)                                                                                              \
    "SELECT e.clue_id, m.openrouter_id, e.model_response, e.extracted_answer, " rule ",\n"                       \
    "       coalesce(e.outcome, CASE WHEN e.error_message IS NOT NULL THEN 'error'\n"                            \
    "                                WHEN e.is_correct THEN 'correct' ELSE 'wrong' END),\n"                      \
    "       e.error_message, e.prompt_tokens, e.completion_tokens, e.reasoning_tokens, e.cost,\n"               \
    "       e.response_time_ms, e.finish_reason, e.prompt_version\n"                                             \
    "FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id\n"                 \
    "JOIN models m ON m.id = e.model_id WHERE p.week_id = ? ORDER BY e.clue_id, m.openrouter_id"
static const char *const sql_evals_rule = EVALS("e.extract_rule");
static const char *const sql_evals_no_rule = EVALS("NULL");

int store_export_weeks(struct store *store, const char *week, char (**weeks)[16], size_t *n, struct err *err)
{
    struct db_result *r = NULL;
    *weeks = NULL;
    *n = 0;
    if (db_query(store_db(store), &DB_STMT(sql_weeks, db_text(week), db_text(week)), &r, err) < 0)
        return err_prefix(err, "cannot list the weeks to export");
    *weeks = calloc(r->nrows + 1, sizeof **weeks);
    if (!*weeks) {
        db_result_free(r);
        return err_set(err, "out of memory");
    }
    for (size_t i = 0; i < r->nrows; i++)
        snprintf((*weeks)[i], sizeof (*weeks)[i], "%s", db_result_text(r, i, 0) ? db_result_text(r, i, 0) : "");
    *n = r->nrows;
    db_result_free(r);
    return 0;
}

static void set_cols(json_t *o, const struct db_result *r, size_t row, const char *const *names, size_t first)
{
    for (size_t c = 0; names[c]; c++)
        json_object_set_new(o, names[c], store_cell_json(r, row, first + c));
}

int store_export_week(struct store *store, const char *week, json_t **out, struct err *err)
{
    static const char *const clue_names[] = {"clue_id", "series", "number", "setter", "url", "publication_date",
                                             "clue_number", "direction", "clue", "enumeration", "answer",
                                             "display_answer", "explanation", NULL};
    static const char *const eval_names[] = {"model", "reply", "extracted_answer", "rule", "verdict", "error",
                                             "prompt_tokens", "completion_tokens", "reasoning_tokens", "cost",
                                             "latency_ms", "finish_reason", "prompt_version", NULL};
    struct db *db = store_db(store);
    struct db_result *has = NULL, *clues = NULL, *evals = NULL;
    json_t *list = NULL;
    int rc = -1;
    if (db_query(db, &DB_SQL(sql_has_rule), &has, err) < 0 ||
        db_query(db, &DB_STMT(sql_clues, db_text(week)), &clues, err) < 0 ||
        db_query(db, &DB_STMT(db_result_int(has, 0, 0) ? sql_evals_rule : sql_evals_no_rule, db_text(week)), &evals,
                 err) < 0) {
        err_prefix(err, "cannot read week %s for export", week);
        goto out;
    }
    list = json_array();
    size_t e = 0; /* evals are sorted by clue id; clues are not */
    for (size_t i = 0; i < clues->nrows; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "week", json_string(week));
        set_cols(o, clues, i, clue_names, 0);
        json_object_set_new(o, "clue_types", json_null()); /* a place kept for the caller (rank/cluetype.h) */
        json_object_set_new(o, "counted", json_boolean(db_result_int(clues, i, 13)));
        json_t *list_e = json_array();
        int64_t id = db_result_int(clues, i, 0);
        /* Binary search for the first evaluation of this clue. */
        size_t lo = 0, hi = evals->nrows;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (db_result_int(evals, mid, 0) < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (e = lo; e < evals->nrows && db_result_int(evals, e, 0) == id; e++) {
            json_t *ev = json_object();
            set_cols(ev, evals, e, eval_names, 1);
            json_array_append_new(list_e, ev);
        }
        json_object_set_new(o, "evaluations", list_e);
        json_array_append_new(list, o);
    }
    *out = list;
    list = NULL;
    rc = 0;
out:
    json_decref(list);
    db_result_free(has);
    db_result_free(clues);
    db_result_free(evals);
    return rc;
}

static const char *const sql_summary =
    "SELECT (SELECT count(DISTINCT p.week_id) FROM puzzles p JOIN clues c ON c.puzzle_id = p.id\n"
    "        WHERE ? IS NULL OR p.week_id = ?),\n"
    "       (SELECT count(*) FROM clues c JOIN puzzles p ON p.id = c.puzzle_id WHERE ? IS NULL OR p.week_id = ?),\n"
    "       (SELECT count(*) FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id\n"
    "        WHERE ? IS NULL OR p.week_id = ?),\n"
    "       (SELECT count(DISTINCT e.model_id) FROM evaluations e JOIN clues c ON c.id = e.clue_id\n"
    "        JOIN puzzles p ON p.id = c.puzzle_id WHERE ? IS NULL OR p.week_id = ?),\n"
    "       (SELECT group_concat(series, ', ') FROM (SELECT DISTINCT p.series FROM puzzles p\n"
    "        WHERE ? IS NULL OR p.week_id = ? ORDER BY p.series))";

int store_export_summary(struct store *store, const char *week, struct store_export_summary *out, struct err *err)
{
    struct db_result *r = NULL;
    memset(out, 0, sizeof *out);
    if (db_query(store_db(store),
                 &DB_STMT(sql_summary, db_text(week), db_text(week), db_text(week), db_text(week), db_text(week),
                          db_text(week), db_text(week), db_text(week), db_text(week), db_text(week)),
                 &r, err) < 0)
        return err_prefix(err, "cannot count what is exported");
    out->weeks = db_result_int(r, 0, 0);
    out->clues = db_result_int(r, 0, 1);
    out->evaluations = db_result_int(r, 0, 2);
    out->models = db_result_int(r, 0, 3);
    snprintf(out->series, sizeof out->series, "%s", db_result_text(r, 0, 4) ? db_result_text(r, 0, 4) : "");
    db_result_free(r);
    return 0;
}
