/* evaluations.c - clues to evaluate, evaluations stored and rescored; see store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "store/internal.h"
#include "store/store.h"

static const char *const sql_week_clues =
    "SELECT c.id, c.clue_text, c.letter_count, c.answer, p.week_id\n"
    "FROM clues c JOIN puzzles p ON p.id = c.puzzle_id\n"
    "WHERE p.week_id = ? AND p.quarantine_reason IS NULL AND c.exclude_reason IS NULL\n"
    "ORDER BY p.publication_date, p.id, c.id";

static const char *const sql_newest_week =
    "SELECT max(p.week_id) FROM puzzles p WHERE EXISTS (SELECT 1 FROM clues c WHERE c.puzzle_id = p.id)";

static const char *const sql_outcome =
    "SELECT outcome FROM evaluations WHERE clue_id = ? AND model_id = ?";

/* An error never replaces a success: the WHERE of the upsert keeps it. */
static const char *const sql_save =
    "INSERT INTO evaluations (clue_id, model_id, week_id, model_response, extracted_answer,\n"
    "    is_correct, response_time_ms, tokens_used, cost, error_message, prompt_tokens,\n"
    "    completion_tokens, reasoning_tokens, finish_reason, attempts, prompt_version, outcome,\n"
    "    reasoning, provider_model, extract_rule, error_class, error_status, evaluated_at)\n"
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)\n"
    "ON CONFLICT (clue_id, model_id) DO UPDATE SET\n"
    "    week_id = excluded.week_id, model_response = excluded.model_response,\n"
    "    extracted_answer = excluded.extracted_answer, is_correct = excluded.is_correct,\n"
    "    response_time_ms = excluded.response_time_ms, tokens_used = excluded.tokens_used,\n"
    "    cost = excluded.cost, error_message = excluded.error_message,\n"
    "    prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,\n"
    "    reasoning_tokens = excluded.reasoning_tokens, finish_reason = excluded.finish_reason,\n"
    "    attempts = excluded.attempts, prompt_version = excluded.prompt_version,\n"
    "    outcome = excluded.outcome, reasoning = excluded.reasoning,\n"
    "    provider_model = excluded.provider_model, extract_rule = excluded.extract_rule,\n"
    "    error_class = excluded.error_class, error_status = excluded.error_status,\n"
    "    evaluated_at = excluded.evaluated_at\n"
    "WHERE excluded.outcome <> 'error' OR evaluations.outcome IS NULL OR evaluations.outcome = 'error'";

static const char *const sql_replies =
    "SELECT e.id, e.model_id, m.openrouter_id, e.model_response, c.letter_count, c.answer,\n"
    "       e.extracted_answer, e.is_correct, e.outcome, e.extract_rule, e.week_id\n"
    "FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN models m ON m.id = e.model_id\n"
    "WHERE e.outcome <> 'error' AND e.model_response IS NOT NULL AND (? IS NULL OR e.week_id = ?)\n"
    "ORDER BY e.id";

static const char *const sql_rescore =
    "UPDATE evaluations SET extracted_answer = ?, extract_rule = ?, is_correct = ?, outcome = ? WHERE id = ?";

void store_week_clues_free(struct store_week_clues *list)
{
    for (size_t i = 0; i < list->n; i++) {
        free(list->items[i].text);
        free(list->items[i].enumeration);
        free(list->items[i].answer);
        free(list->items[i].week_id);
    }
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

int store_week_clues(struct store *store, const char *week_id, struct store_week_clues *out,
                     struct err *err)
{
    struct db_result *r = NULL;
    out->items = NULL;
    out->n = 0;
    if (db_query(store_db(store), &DB_STMT(sql_week_clues, db_text(week_id)), &r, err) < 0)
        return err_prefix(err, "cannot read the clues of %s", week_id);
    int rc = 0;
    if (r->nrows && !(out->items = calloc(r->nrows, sizeof *out->items)))
        rc = err_set(err, "out of memory");
    for (size_t i = 0; rc == 0 && i < r->nrows; i++) {
        struct store_week_clue *c = &out->items[out->n++];
        c->id = db_result_int(r, i, 0);
        c->text = str_dup_or_null(db_result_text(r, i, 1));
        c->enumeration = str_dup_or_null(db_result_text(r, i, 2));
        c->answer = str_dup_or_null(db_result_text(r, i, 3));
        c->week_id = str_dup_or_null(db_result_text(r, i, 4));
        if (!c->text || !c->enumeration || !c->answer || !c->week_id)
            rc = err_set(err, "clue %lld has a missing field", (long long)c->id);
    }
    db_result_free(r);
    if (rc < 0)
        store_week_clues_free(out);
    return rc;
}

int store_newest_week(struct store *store, char out[16], struct err *err)
{
    return store_query_text(store, &DB_SQL(sql_newest_week), out, 16, err);
}

int store_evaluation_outcome(struct store *store, int64_t clue_id, int64_t model_id, char out[16],
                             struct err *err)
{
    return store_query_text(store, &DB_STMT(sql_outcome, db_int(clue_id), db_int(model_id)), out, 16, err);
}

static struct db_value opt_int(int64_t v)
{
    return v < 0 ? db_null() : db_int(v);
}

int store_evaluation_save(struct store *store, const struct store_evaluation_row *e, int *kept_success,
                          struct err *err)
{
    struct db_value args[] = {
        db_int(e->clue_id),
        db_int(e->model_id),
        db_text(e->week_id),
        db_text(e->model_response),
        db_text(e->extracted_answer),
        db_int(e->is_correct),
        opt_int(e->response_time_ms),
        opt_int(e->total_tokens),
        e->cost < 0 ? db_null() : db_real(e->cost),
        db_text(e->error_message),
        opt_int(e->prompt_tokens),
        opt_int(e->completion_tokens),
        opt_int(e->reasoning_tokens),
        db_text(e->finish_reason),
        db_int(e->attempts),
        db_int(e->prompt_version),
        db_text(e->outcome),
        db_text(e->reasoning),
        db_text(e->provider_model),
        db_text(e->extract_rule),
        db_text(err_class_name(e->error_class)),
        e->error_status > 0 ? db_int(e->error_status) : db_null(),
    };
    struct db_stmt stmt = {sql_save, args, sizeof args / sizeof args[0]};
    struct db_result *r = NULL;
    if (db_batch(store_db(store), &stmt, 1, &r, err) < 0)
        return err_prefix(err, "cannot store the evaluation of clue %lld", (long long)e->clue_id);
    if (kept_success)
        *kept_success = r->changes == 0;
    db_result_free(r);
    return 0;
}

void store_stored_replies_free(struct store_stored_replies *list)
{
    for (size_t i = 0; i < list->n; i++) {
        struct store_stored_reply *s = &list->items[i];
        free(s->model);
        free(s->reply);
        free(s->enumeration);
        free(s->answer);
        free(s->extracted_answer);
        free(s->outcome);
        free(s->extract_rule);
        free(s->week_id);
    }
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

int store_stored_replies(struct store *store, const char *week_id, struct store_stored_replies *out,
                         struct err *err)
{
    struct db_result *r = NULL;
    out->items = NULL;
    out->n = 0;
    if (db_query(store_db(store), &DB_STMT(sql_replies, db_text(week_id), db_text(week_id)), &r, err) < 0)
        return err_prefix(err, "cannot read stored replies");
    int rc = 0;
    if (r->nrows && !(out->items = calloc(r->nrows, sizeof *out->items)))
        rc = err_set(err, "out of memory");
    for (size_t i = 0; rc == 0 && i < r->nrows; i++) {
        struct store_stored_reply *s = &out->items[out->n++];
        s->id = db_result_int(r, i, 0);
        s->model_id = db_result_int(r, i, 1);
        s->model = str_dup_or_null(db_result_text(r, i, 2));
        s->reply = str_dup_or_null(db_result_text(r, i, 3));
        s->enumeration = str_dup_or_null(db_result_text(r, i, 4));
        s->answer = str_dup_or_null(db_result_text(r, i, 5));
        s->extracted_answer = str_dup_or_null(db_result_text(r, i, 6));
        s->is_correct = db_result_int(r, i, 7) != 0;
        s->outcome = str_dup_or_null(db_result_text(r, i, 8));
        s->extract_rule = str_dup_or_null(db_result_text(r, i, 9));
        s->week_id = str_dup_or_null(db_result_text(r, i, 10));
        if (!s->model || !s->reply || !s->enumeration || !s->answer || !s->outcome || !s->week_id)
            rc = err_set(err, "evaluation %lld has a missing field", (long long)s->id);
    }
    db_result_free(r);
    if (rc < 0)
        store_stored_replies_free(out);
    return rc;
}

int store_rescore_apply(struct store *store, const struct store_rescore *u, size_t n, struct err *err)
{
    if (n == 0)
        return 0;
    struct db_stmt *stmts = calloc(n, sizeof *stmts);
    struct db_value *args = calloc(n * 5, sizeof *args);
    int rc = -1;
    if (!stmts || !args) {
        err_set(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct db_value *a = &args[i * 5];
        a[0] = db_text(u[i].extracted_answer);
        a[1] = db_text(u[i].extract_rule);
        a[2] = db_int(u[i].is_correct);
        a[3] = db_text(u[i].outcome);
        a[4] = db_int(u[i].id);
        stmts[i] = (struct db_stmt){sql_rescore, a, 5};
    }
    rc = db_batch(store_db(store), stmts, n, NULL, err);
    if (rc < 0)
        err_prefix(err, "cannot store new verdicts");
out:
    free(stmts);
    free(args);
    return rc;
}

int store_clue_get(struct store *store, int64_t id, struct store_week_clues *out, int *found, struct err *err)
{
    struct db_result *r = NULL;
    out->items = NULL;
    out->n = 0;
    *found = 0;
    if (db_query(store_db(store),
                 &DB_STMT("SELECT c.id, c.clue_text, c.letter_count, c.answer, p.week_id FROM clues c "
                          "JOIN puzzles p ON p.id = c.puzzle_id WHERE c.id = ?", db_int(id)),
                 &r, err) < 0)
        return -1;
    int rc = 0;
    if (r->nrows) {
        out->items = calloc(1, sizeof *out->items);
        if (!out->items) {
            db_result_free(r);
            return err_set(err, "out of memory");
        }
        out->n = 1;
        out->items[0].id = db_result_int(r, 0, 0);
        out->items[0].text = str_dup_or_null(db_result_text(r, 0, 1));
        out->items[0].enumeration = str_dup_or_null(db_result_text(r, 0, 2));
        out->items[0].answer = str_dup_or_null(db_result_text(r, 0, 3));
        out->items[0].week_id = str_dup_or_null(db_result_text(r, 0, 4));
        *found = 1;
    }
    db_result_free(r);
    return rc;
}

/* The week ids a query returns, oldest first. */
static int week_list(struct store *store, const char *sql, char (**weeks)[16], size_t *n, struct err *err)
{
    struct db_result *r = NULL;
    *weeks = NULL;
    *n = 0;
    if (db_query(store_db(store), &DB_SQL(sql), &r, err) < 0)
        return -1;
    char (*out)[16] = calloc(r->nrows + 1, sizeof *out);
    if (!out) {
        db_result_free(r);
        return err_set(err, "out of memory");
    }
    for (size_t i = 0; i < r->nrows; i++)
        snprintf(out[i], 16, "%s", db_result_text(r, i, 0) ? db_result_text(r, i, 0) : "");
    *weeks = out;
    *n = r->nrows;
    db_result_free(r);
    return 0;
}

int store_weeks_to_evaluate(struct store *store, char (**weeks)[16], size_t *n, struct err *err)
{
    return week_list(store,
                     "SELECT DISTINCT p.week_id FROM puzzles p JOIN clues c ON c.puzzle_id = p.id\n"
                     "  AND p.quarantine_reason IS NULL AND c.exclude_reason IS NULL\n"
                     "JOIN models m ON m.is_active AND m.retired_at IS NULL\n"
                     "WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.clue_id = c.id\n"
                     "                  AND e.model_id = m.id AND e.outcome <> 'error')\n"
                     "ORDER BY p.week_id",
                     weeks, n, err);
}

int store_model_cost_per_call(struct store *store, const char *model, double *cost, int *known, struct err *err)
{
    struct db_result *r = NULL;
    /* The recent calls tell the current price; a model's price changes. */
    if (db_query(store_db(store),
                 &DB_STMT("SELECT avg(cost), count(*) FROM (SELECT e.cost FROM evaluations e\n"
                          "  JOIN models m ON m.id = e.model_id\n"
                          "  WHERE m.openrouter_id = ? AND e.cost > 0 ORDER BY e.id DESC LIMIT 200)",
                          db_text(model)),
                 &r, err) < 0)
        return -1;
    *known = db_result_int(r, 0, 1) > 0;
    *cost = *known ? db_result_real(r, 0, 0) : 0;
    db_result_free(r);
    return 0;
}

int store_weeks_with_clues(struct store *store, char (**weeks)[16], size_t *n, struct err *err)
{
    return week_list(store,
                     "SELECT DISTINCT p.week_id FROM puzzles p JOIN clues c ON c.puzzle_id = p.id\n"
                     "WHERE p.quarantine_reason IS NULL AND c.exclude_reason IS NULL ORDER BY p.week_id",
                     weeks, n, err);
}
