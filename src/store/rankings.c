/* rankings.c - the rows rankings are computed from, the derived tables written and read; see store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "store/internal.h"
#include "store/store.h"

/* Only clues that count: not in a quarantined puzzle, not excluded. A week
 * whose every clue is out still appears, with none. */
#define SCORED "p.quarantine_reason IS NULL AND c.exclude_reason IS NULL"

static const char *const sql_weeks =
    "SELECT p.week_id, count(c.id) FROM puzzles p LEFT JOIN clues c ON c.puzzle_id = p.id AND " SCORED "\n"
    "GROUP BY p.week_id ORDER BY p.week_id";

static const char *const sql_models = "SELECT id, display_name FROM models ORDER BY id";

/* An evaluation counts for the week of its clue's puzzle. */
static const char *const sql_cells =
    "SELECT p.week_id, e.model_id,\n"
    "       sum(e.outcome = 'correct'), sum(e.outcome = 'wrong'), sum(e.outcome = 'no_answer'),\n"
    "       sum(e.outcome = 'error' OR e.outcome IS NULL),\n"
    "       avg(CASE WHEN e.outcome <> 'error' THEN e.response_time_ms END), sum(e.cost),\n"
    "       coalesce(sum(CASE WHEN e.outcome <> 'error' THEN e.completion_tokens END), 0),\n"
    "       count(CASE WHEN e.outcome <> 'error' THEN e.completion_tokens END)\n"
    "FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id\n"
    "WHERE " SCORED "\n"
    "GROUP BY p.week_id, e.model_id ORDER BY p.week_id, e.model_id";

/* By the typed status (migration 17), never by the message's text. */
static const char *const sql_errors =
    "SELECT p.week_id, coalesce(e.error_status, 0), count(*)\n"
    "FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id\n"
    "WHERE e.outcome = 'error' AND " SCORED " GROUP BY p.week_id, coalesce(e.error_status, 0)";

/* The answers whose length is checked: SQL cannot count letters as the
 * benchmark does (accents dropped), so each answer comes out once per
 * ranking; same order as sql_cells. */
static const char *const sql_answers =
    "SELECT p.week_id, e.model_id, e.extracted_answer, c.letter_count\n"
    "FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id\n"
    "WHERE e.outcome IN ('correct', 'wrong') AND e.extracted_answer IS NOT NULL AND " SCORED "\n"
    "ORDER BY p.week_id, e.model_id";

/* Every scored answer, for the paired tests (errors are no answer to
 * compare) and the accuracy by wordplay type (from the explanation). */
static const char *const sql_paired =
    "SELECT p.week_id, c.id, e.model_id, e.outcome = 'correct', c.explanation, e.cost, e.response_time_ms\n"
    "FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id\n"
    "WHERE e.outcome IN ('correct', 'wrong', 'no_answer') AND " SCORED "\n"
    "ORDER BY p.week_id, c.id, e.model_id";

/* A text cell into a fixed-size field ("" for NULL). */
static void copy_text(char *out, size_t size, const struct db_result *r, size_t row, size_t col)
{
    const char *t = db_result_text(r, row, col);
    snprintf(out, size, "%s", t ? t : "");
}

/* A real cell, or -1 for NULL (unknown). */
static double real_or_unknown(const struct db_result *r, size_t row, size_t col)
{
    return db_result_is_null(r, row, col) ? -1 : db_result_real(r, row, col);
}

void store_ranking_source_free(struct store_ranking_source *s)
{
    for (size_t i = 0; s->lengths && i < s->nlengths; i++) {
        free(s->lengths[i].answer);
        free(s->lengths[i].enumeration);
    }
    for (size_t i = 0; s->answers && i < s->nanswers; i++)
        free(s->answers[i].explanation);
    free(s->weeks);
    free(s->models);
    free(s->cells);
    free(s->errors);
    free(s->lengths);
    free(s->answers);
    memset(s, 0, sizeof *s);
}

int store_ranking_source_read(struct store *store, struct store_ranking_source *out, struct err *err)
{
    struct db *db = store_db(store);
    struct db_result *w = NULL, *m = NULL, *c = NULL, *e = NULL, *a = NULL, *pr = NULL;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (db_query(db, &DB_SQL(sql_weeks), &w, err) < 0 || db_query(db, &DB_SQL(sql_models), &m, err) < 0 ||
        db_query(db, &DB_SQL(sql_cells), &c, err) < 0 || db_query(db, &DB_SQL(sql_errors), &e, err) < 0 ||
        db_query(db, &DB_SQL(sql_answers), &a, err) < 0 || db_query(db, &DB_SQL(sql_paired), &pr, err) < 0) {
        err_prefix(err, "cannot read evaluations for ranking");
        goto out;
    }
    out->weeks = calloc(w->nrows + 1, sizeof *out->weeks);
    out->models = calloc(m->nrows + 1, sizeof *out->models);
    out->cells = calloc(c->nrows + 1, sizeof *out->cells);
    out->errors = calloc(e->nrows + 1, sizeof *out->errors);
    out->lengths = calloc(a->nrows + 1, sizeof *out->lengths);
    out->answers = calloc(pr->nrows + 1, sizeof *out->answers);
    if (!out->weeks || !out->models || !out->cells || !out->errors || !out->lengths || !out->answers) {
        err_set(err, "out of memory");
        goto out;
    }
    out->nweeks = w->nrows;
    for (size_t i = 0; i < w->nrows; i++) {
        copy_text(out->weeks[i].week, sizeof out->weeks[i].week, w, i, 0);
        out->weeks[i].clues = (int)db_result_int(w, i, 1);
    }
    out->nmodels = m->nrows;
    for (size_t i = 0; i < m->nrows; i++) {
        out->models[i].id = db_result_int(m, i, 0);
        copy_text(out->models[i].name, sizeof out->models[i].name, m, i, 1);
    }
    out->ncells = c->nrows;
    for (size_t i = 0; i < c->nrows; i++) {
        struct store_ranking_cell *cell = &out->cells[i];
        copy_text(cell->week, sizeof cell->week, c, i, 0);
        cell->model_id = db_result_int(c, i, 1);
        cell->correct = (int)db_result_int(c, i, 2);
        cell->wrong = (int)db_result_int(c, i, 3);
        cell->no_answer = (int)db_result_int(c, i, 4);
        cell->errors = (int)db_result_int(c, i, 5);
        cell->avg_latency_ms = real_or_unknown(c, i, 6);
        cell->cost = real_or_unknown(c, i, 7);
        cell->completion_tokens = db_result_int(c, i, 8);
        cell->token_replies = (int)db_result_int(c, i, 9);
    }
    out->nerrors = e->nrows;
    for (size_t i = 0; i < e->nrows; i++) {
        copy_text(out->errors[i].week, sizeof out->errors[i].week, e, i, 0);
        out->errors[i].status = (int)db_result_int(e, i, 1);
        out->errors[i].count = (int)db_result_int(e, i, 2);
    }
    for (size_t i = 0; i < a->nrows; i++) {
        struct store_ranking_length *l = &out->lengths[i];
        out->nlengths++; /* counted first, so the free releases a half-filled row */
        copy_text(l->week, sizeof l->week, a, i, 0);
        l->model_id = db_result_int(a, i, 1);
        l->answer = str_dup_or_null(db_result_text(a, i, 2));
        l->enumeration = str_dup_or_null(db_result_text(a, i, 3));
        if ((!l->answer && db_result_text(a, i, 2)) || (!l->enumeration && db_result_text(a, i, 3))) {
            err_set(err, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < pr->nrows; i++) {
        struct store_ranking_answer *x = &out->answers[i];
        out->nanswers++;
        copy_text(x->week, sizeof x->week, pr, i, 0);
        x->clue_id = db_result_int(pr, i, 1);
        x->model_id = db_result_int(pr, i, 2);
        x->correct = db_result_int(pr, i, 3) != 0;
        x->explanation = str_dup_or_null(db_result_text(pr, i, 4));
        if (!x->explanation && db_result_text(pr, i, 4)) {
            err_set(err, "out of memory");
            goto out;
        }
        x->cost = real_or_unknown(pr, i, 5);
        x->latency_ms = real_or_unknown(pr, i, 6);
    }
    rc = 0;
out:
    if (rc < 0)
        store_ranking_source_free(out);
    db_result_free(pr);
    db_result_free(w);
    db_result_free(m);
    db_result_free(c);
    db_result_free(e);
    db_result_free(a);
    return rc;
}

static const char *const sql_insert_ranking =
    "INSERT INTO weekly_rankings (week_id, model_id, total_clues, correct_count, accuracy, rank,\n"
    "    previous_rank, rank_change, ci_low, ci_high, tenure_weeks, avg_latency_ms, cost, rank_lo, rank_hi,\n"
    "    move_significant, ahead_significant, tenure_significant_weeks)\n"
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char *const sql_insert_status =
    "INSERT INTO week_status (week_id, status, reason, clue_count, models_ranked) VALUES (?, ?, ?, ?, ?)";
static const char *const sql_insert_coverage =
    "INSERT INTO week_coverage (week_id, model_id, clues, evaluated, errors, coverage, wrong_length, no_answer,\n"
    "    wrong_length_rate, no_answer_rate, error_rate, avg_completion_tokens)\n"
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char *const sql_insert_tenure =
    "INSERT INTO rank_tenure (model_id, rank_position, start_week, end_week, weeks_count, is_current,\n"
    "    significant_weeks)\n"
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char *const sql_insert_alltime =
    "INSERT INTO alltime_rankings (model_id, weeks, total_clues, correct_count, accuracy, ci_low, ci_high, rank,\n"
    "    rank_lo, rank_hi, cost_per_clue, median_latency_ms)\n"
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char *const sql_insert_type =
    "INSERT INTO alltime_type_accuracy (model_id, clue_type, total, correct, accuracy, ci_low, ci_high)\n"
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char *const sql_insert_h2h =
    "INSERT INTO alltime_head_to_head (model_id, opponent_id, wins, losses, ties, p_value, significant)\n"
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char *const sql_insert_alltime_quality =
    "INSERT INTO alltime_quality (model_id, weeks, clues, evaluated, errors, wrong_length, no_answer,\n"
    "    wrong_length_rate, no_answer_rate, error_rate, avg_completion_tokens)\n"
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

enum { MAX_ARGS = 18 };

struct batch {
    struct db_stmt *stmts;
    struct db_value *args;
    size_t n, cap;
};

static struct db_value *add(struct batch *b, const char *sql, size_t nargs)
{
    struct db_value *a = &b->args[b->n * MAX_ARGS];
    b->stmts[b->n] = (struct db_stmt){sql, a, nargs};
    b->n++;
    return a;
}

/* Rows of earlier weeks stored before migration 11 have no quality yet:
 * they get it without any stored value changing. */
static const char *const sql_unfilled_quality =
    "SELECT count(*) FROM week_coverage WHERE week_id < ? AND wrong_length_rate IS NULL";
static const char *const sql_fill_quality =
    "UPDATE week_coverage SET wrong_length = ?, no_answer = ?, wrong_length_rate = ?, no_answer_rate = ?,\n"
    "    error_rate = ?, avg_completion_tokens = ?\n"
    "WHERE week_id = ? AND model_id = ? AND wrong_length_rate IS NULL";

static void quality_args(struct db_value *a, const struct store_ranking_quality *q)
{
    a[0] = db_int(q->wrong_length);
    a[1] = db_int(q->no_answer);
    a[2] = db_real(q->wrong_length_rate);
    a[3] = db_real(q->no_answer_rate);
    a[4] = db_real(q->error_rate);
    a[5] = q->avg_completion_tokens < 0 ? db_null() : db_real(q->avg_completion_tokens);
}

int store_rank_write(struct store *store, const struct store_rankings *o, const char *from, struct err *err)
{
    int64_t unfilled = 0;
    if (from) {
        struct db_result *r = NULL;
        if (db_query(store_db(store), &DB_STMT(sql_unfilled_quality, db_text(from)), &r, err) < 0)
            return err_prefix(err, "cannot store the rankings (the previous ones are kept)");
        unfilled = db_result_int(r, 0, 0);
        db_result_free(r);
    }
    struct batch b = {0};
    b.cap = 12 + o->nweeks + o->nrows + o->ncoverage + o->ntenures + o->nalltime + o->nalltime_quality + o->nh2h +
            o->ntypes;
    b.stmts = calloc(b.cap, sizeof *b.stmts);
    b.args = calloc(b.cap * MAX_ARGS, sizeof *b.args);
    if (!b.stmts || !b.args) {
        free(b.stmts);
        free(b.args);
        return err_set(err, "out of memory");
    }
    struct db_value *a;
    if (from) {
        static const char *const deletes[] = {"DELETE FROM weekly_rankings WHERE week_id >= ?",
                                              "DELETE FROM week_status WHERE week_id >= ?",
                                              "DELETE FROM week_coverage WHERE week_id >= ?"};
        for (size_t i = 0; i < 3; i++) {
            a = add(&b, deletes[i], 1);
            a[0] = db_text(from);
        }
    } else {
        add(&b, "DELETE FROM weekly_rankings", 0);
        add(&b, "DELETE FROM week_status", 0);
        add(&b, "DELETE FROM week_coverage", 0);
    }
    add(&b, "DELETE FROM rank_tenure", 0);
    add(&b, "DELETE FROM alltime_rankings", 0);
    add(&b, "DELETE FROM alltime_quality", 0);
    add(&b, "DELETE FROM alltime_head_to_head", 0);
    add(&b, "DELETE FROM alltime_type_accuracy", 0);
    for (size_t i = 0; i < o->nweeks; i++) {
        const struct store_week_status_row *s = &o->weeks[i];
        if (from && strcmp(s->week, from) < 0)
            continue;
        a = add(&b, sql_insert_status, 5);
        a[0] = db_text(s->week);
        a[1] = db_text(s->status);
        a[2] = db_text(s->reason);
        a[3] = db_int(s->clues);
        a[4] = db_int(s->models_ranked);
    }
    for (size_t i = 0; i < o->nrows; i++) {
        const struct store_ranking_row *r = &o->rows[i];
        if (from && strcmp(r->week, from) < 0)
            continue;
        a = add(&b, sql_insert_ranking, 18);
        a[0] = db_text(r->week);
        a[1] = db_int(r->model_id);
        a[2] = db_int(r->total);
        a[3] = db_int(r->correct);
        a[4] = db_real(r->accuracy);
        a[5] = db_int(r->rank);
        a[6] = r->previous_rank ? db_int(r->previous_rank) : db_null();
        a[7] = r->previous_rank ? db_int(r->rank_change) : db_null();
        a[8] = db_real(r->ci_low);
        a[9] = db_real(r->ci_high);
        a[10] = db_int(r->tenure_weeks);
        a[11] = r->avg_latency_ms < 0 ? db_null() : db_real(r->avg_latency_ms);
        a[12] = r->cost < 0 ? db_null() : db_real(r->cost);
        a[13] = db_int(r->rank_lo);
        a[14] = db_int(r->rank_hi);
        a[15] = db_int(r->move_significant);
        a[16] = db_int(r->ahead_significant);
        a[17] = db_int(r->tenure_significant_weeks);
    }
    for (size_t i = 0; i < o->ncoverage; i++) {
        const struct store_coverage_row *c = &o->coverage[i];
        if (from && strcmp(c->week, from) < 0) {
            if (unfilled) {
                a = add(&b, sql_fill_quality, 8);
                quality_args(a, &c->quality);
                a[6] = db_text(c->week);
                a[7] = db_int(c->model_id);
            }
            continue;
        }
        a = add(&b, sql_insert_coverage, 12);
        a[0] = db_text(c->week);
        a[1] = db_int(c->model_id);
        a[2] = db_int(c->clues);
        a[3] = db_int(c->evaluated);
        a[4] = db_int(c->errors);
        a[5] = db_real(c->coverage);
        quality_args(a + 6, &c->quality);
    }
    for (size_t i = 0; i < o->ntenures; i++) {
        const struct store_tenure_row *t = &o->tenures[i];
        a = add(&b, sql_insert_tenure, 7);
        a[0] = db_int(t->model_id);
        a[1] = db_int(t->rank);
        a[2] = db_text(t->start_week);
        a[3] = db_text(t->end_week);
        a[4] = db_int(t->weeks);
        a[5] = db_int(t->current);
        a[6] = db_int(t->significant_weeks);
    }
    for (size_t i = 0; i < o->nalltime; i++) {
        const struct store_alltime_row *t = &o->alltime[i];
        a = add(&b, sql_insert_alltime, 12);
        a[0] = db_int(t->model_id);
        a[1] = db_int(t->weeks);
        a[2] = db_int(t->total);
        a[3] = db_int(t->correct);
        a[4] = db_real(t->accuracy);
        a[5] = db_real(t->ci_low);
        a[6] = db_real(t->ci_high);
        a[7] = db_int(t->rank);
        a[8] = db_int(t->rank_lo);
        a[9] = db_int(t->rank_hi);
        a[10] = t->cost_per_clue < 0 ? db_null() : db_real(t->cost_per_clue);
        a[11] = t->median_latency_ms < 0 ? db_null() : db_real(t->median_latency_ms);
    }
    for (size_t i = 0; i < o->nh2h; i++) {
        const struct store_h2h_row *h = &o->h2h[i];
        a = add(&b, sql_insert_h2h, 7);
        a[0] = db_int(h->model_id);
        a[1] = db_int(h->opponent_id);
        a[2] = db_int(h->wins);
        a[3] = db_int(h->losses);
        a[4] = db_int(h->ties);
        a[5] = db_real(h->p_value);
        a[6] = db_int(h->significant);
    }
    for (size_t i = 0; i < o->ntypes; i++) {
        const struct store_type_accuracy_row *t = &o->types[i];
        a = add(&b, sql_insert_type, 7);
        a[0] = db_int(t->model_id);
        a[1] = db_text(t->clue_type);
        a[2] = db_int(t->total);
        a[3] = db_int(t->correct);
        a[4] = db_real(t->accuracy);
        a[5] = db_real(t->ci_low);
        a[6] = db_real(t->ci_high);
    }
    for (size_t i = 0; i < o->nalltime_quality; i++) {
        const struct store_alltime_quality_row *q = &o->alltime_quality[i];
        a = add(&b, sql_insert_alltime_quality, 11);
        a[0] = db_int(q->model_id);
        a[1] = db_int(q->weeks);
        a[2] = db_int(q->clues);
        a[3] = db_int(q->evaluated);
        a[4] = db_int(q->errors);
        quality_args(a + 5, &q->quality);
    }
    int rc = db_batch(store_db(store), b.stmts, b.n, NULL, err);
    if (rc < 0)
        err_prefix(err, "cannot store the rankings (the previous ones are kept)");
    free(b.stmts);
    free(b.args);
    return rc;
}

/* ---- reading the boards ------------------------------------------------- */

#include <jansson.h>

static const char *const sql_newest_ranked =
    "SELECT max(week_id) FROM week_status WHERE status = 'ranked'";
static const char *const sql_week_clues_count =
    "SELECT count(c.id) FROM puzzles p JOIN clues c ON c.puzzle_id = p.id WHERE p.week_id = ?";
static const char *const sql_week_status =
    "SELECT status, reason, clue_count FROM week_status WHERE week_id = ?";
/* The answer quality columns of week_coverage (w) and alltime_quality (q), as JSON names them. */
#define QUALITY(t) t ".wrong_length_rate, " t ".no_answer_rate, " t ".error_rate, " t ".avg_completion_tokens"
#define QUALITY_NAMES "wrong_length_rate", "no_answer_rate", "error_rate", "avg_completion_tokens"

static const char *const sql_board =
    "SELECT r.rank, m.display_name, m.openrouter_id, m.provider, r.correct_count, r.total_clues,\n"
    "       r.accuracy, r.ci_low, r.ci_high, r.previous_rank, r.rank_change, r.tenure_weeks,\n"
    "       r.avg_latency_ms, r.cost, " QUALITY("w") ",\n"
    "       r.rank_lo, r.rank_hi, r.move_significant, r.ahead_significant, r.tenure_significant_weeks\n"
    "FROM weekly_rankings r JOIN models m ON m.id = r.model_id\n"
    "LEFT JOIN week_coverage w ON w.week_id = r.week_id AND w.model_id = r.model_id\n"
    "WHERE r.week_id = ? ORDER BY r.rank, m.display_name, m.id";
static const char *const sql_incomplete =
    "SELECT m.display_name, m.openrouter_id, w.coverage, w.errors, " QUALITY("w") "\n"
    "FROM week_coverage w JOIN models m ON m.id = w.model_id\n"
    "WHERE w.week_id = ? AND NOT EXISTS (SELECT 1 FROM weekly_rankings r\n"
    "                                    WHERE r.week_id = w.week_id AND r.model_id = w.model_id)\n"
    "ORDER BY w.coverage DESC, m.display_name";
static const char *const sql_alltime =
    "SELECT a.rank, m.display_name, m.openrouter_id, m.provider, a.weeks, a.correct_count,\n"
    "       a.total_clues, a.accuracy, a.ci_low, a.ci_high, q.weeks, q.clues, " QUALITY("q") ",\n"
    "       a.rank_lo, a.rank_hi, a.cost_per_clue, a.median_latency_ms\n"
    "FROM alltime_rankings a JOIN models m ON m.id = a.model_id\n"
    "LEFT JOIN alltime_quality q ON q.model_id = a.model_id ORDER BY a.rank, m.display_name";
/* Models with evaluations but never ranked. */
static const char *const sql_alltime_incomplete =
    "SELECT m.display_name, m.openrouter_id, m.provider, q.weeks, q.clues, q.evaluated, q.errors, " QUALITY("q") "\n"
    "FROM alltime_quality q JOIN models m ON m.id = q.model_id\n"
    "WHERE NOT EXISTS (SELECT 1 FROM alltime_rankings a WHERE a.model_id = q.model_id)\n"
    "ORDER BY m.display_name, m.id";
/* Both directions, in all-time order of the model, then of the opponent. */
static const char *const sql_h2h =
    "SELECT m.openrouter_id, o.openrouter_id, h.wins, h.losses, h.ties, h.p_value, h.significant\n"
    "FROM alltime_head_to_head h JOIN models m ON m.id = h.model_id JOIN models o ON o.id = h.opponent_id\n"
    "JOIN alltime_rankings am ON am.model_id = h.model_id JOIN alltime_rankings ao ON ao.model_id = h.opponent_id\n"
    "ORDER BY am.rank, m.display_name, ao.rank, o.display_name";
static const char *const sql_types =
    "SELECT m.openrouter_id, t.clue_type, t.total, t.correct, t.accuracy, t.ci_low, t.ci_high\n"
    "FROM alltime_type_accuracy t JOIN models m ON m.id = t.model_id\n"
    "JOIN alltime_rankings a ON a.model_id = t.model_id ORDER BY a.rank, m.display_name, t.clue_type";
static const char *const sql_weeks_ranked =
    "SELECT count(*) FROM week_status WHERE status = 'ranked'";

int store_newest_ranked_week(struct store *store, char out[16], struct err *err)
{
    return store_query_text(store, &DB_SQL(sql_newest_ranked), out, 16, err);
}

/* Columns that are flags: JSON true/false (null stays null). */
static int is_flag(const char *name)
{
    static const char *const flags[] = {"move_significant", "ahead_significant", "significant", NULL};
    for (const char *const *f = flags; *f; f++)
        if (strcmp(name, *f) == 0)
            return 1;
    return 0;
}

static json_t *rows_json(const struct db_result *r, const char *const *names)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < r->nrows; i++) {
        json_t *o = json_object();
        for (size_t c = 0; c < r->ncols && names[c]; c++)
            json_object_set_new(o, names[c],
                                is_flag(names[c]) && !db_result_is_null(r, i, c) ? json_boolean(db_result_int(r, i, c))
                                                                                 : store_cell_json(r, i, c));
        json_array_append_new(rows, o);
    }
    return rows;
}

int store_leaderboard_json(struct store *store, const char *week, json_t **out, struct err *err)
{
    static const char *const board_names[] = {"rank", "model", "model_id", "provider", "correct", "total",
                                              "accuracy", "ci_low", "ci_high", "previous_rank",
                                              "rank_change", "tenure_weeks", "avg_latency_ms", "cost",
                                              QUALITY_NAMES, "rank_lo", "rank_hi", "move_significant",
                                              "ahead_significant", "tenure_significant_weeks", NULL};
    static const char *const incomplete_names[] = {"model", "model_id", "coverage", "errors", QUALITY_NAMES, NULL};
    struct db *db = store_db(store);
    struct db_result *count = NULL, *status = NULL, *board = NULL, *incomplete = NULL;
    int rc = -1;
    if (db_query(db, &DB_STMT(sql_week_clues_count, db_text(week)), &count, err) < 0)
        goto out;
    int64_t clues = db_result_int(count, 0, 0);
    if (clues == 0) {
        err_set(err, "week %s has no clues", week);
        goto out;
    }
    if (db_query(db, &DB_STMT(sql_week_status, db_text(week)), &status, err) < 0 ||
        db_query(db, &DB_STMT(sql_board, db_text(week)), &board, err) < 0 ||
        db_query(db, &DB_STMT(sql_incomplete, db_text(week)), &incomplete, err) < 0)
        goto out;
    json_t *o = json_object();
    json_object_set_new(o, "week", json_string(week));
    json_object_set_new(o, "clues", json_integer(clues));
    json_object_set_new(o, "status", status->nrows ? store_cell_json(status, 0, 0) : json_null());
    json_object_set_new(o, "reason", status->nrows ? store_cell_json(status, 0, 1) : json_null());
    json_object_set_new(o, "scored_clues", status->nrows ? store_cell_json(status, 0, 2) : json_null());
    json_object_set_new(o, "rows", rows_json(board, board_names));
    json_object_set_new(o, "incomplete", rows_json(incomplete, incomplete_names));
    *out = o;
    rc = 0;
out:
    db_result_free(count);
    db_result_free(status);
    db_result_free(board);
    db_result_free(incomplete);
    return rc;
}

int store_alltime_json(struct store *store, json_t **out, struct err *err)
{
    static const char *const names[] = {"rank", "model", "model_id", "provider", "weeks", "correct",
                                        "total", "accuracy", "ci_low", "ci_high", "rates_weeks", "rates_clues",
                                        QUALITY_NAMES, "rank_lo", "rank_hi", "cost_per_clue", "median_latency_ms",
                                        NULL};
    static const char *const type_names[] = {"model_id", "clue_type", "total", "correct", "accuracy", "ci_low",
                                             "ci_high", NULL};
    static const char *const h2h_names[] = {"model_id", "opponent_id", "wins", "losses", "ties", "p_value",
                                            "significant", NULL};
    static const char *const incomplete_names[] = {"model", "model_id", "provider", "rates_weeks", "rates_clues",
                                                   "evaluated", "errors", QUALITY_NAMES, NULL};
    struct db_result *rows = NULL, *weeks = NULL, *incomplete = NULL, *h2h = NULL, *types = NULL;
    int rc = -1;
    if (db_query(store_db(store), &DB_SQL(sql_alltime), &rows, err) < 0 ||
        db_query(store_db(store), &DB_SQL(sql_types), &types, err) < 0 ||
        db_query(store_db(store), &DB_SQL(sql_h2h), &h2h, err) < 0 ||
        db_query(store_db(store), &DB_SQL(sql_weeks_ranked), &weeks, err) < 0 ||
        db_query(store_db(store), &DB_SQL(sql_alltime_incomplete), &incomplete, err) < 0)
        goto out;
    json_t *o = json_object();
    json_object_set_new(o, "weeks_ranked", store_cell_json(weeks, 0, 0));
    json_object_set_new(o, "rows", rows_json(rows, names));
    json_object_set_new(o, "incomplete", rows_json(incomplete, incomplete_names));
    json_object_set_new(o, "head_to_head", rows_json(h2h, h2h_names));
    json_object_set_new(o, "clue_types", rows_json(types, type_names));
    *out = o;
    rc = 0;
out:
    db_result_free(h2h);
    db_result_free(types);
    db_result_free(rows);
    db_result_free(weeks);
    db_result_free(incomplete);
    return rc;
}

void store_rank_weeks_free(struct store_rank_weeks *w)
{
    for (size_t i = 0; i < w->nweeks; i++) {
        free(w->weeks[i].week);
        free(w->weeks[i].status);
        free(w->weeks[i].reason);
    }
    free(w->weeks);
    for (size_t i = 0; i < w->nincomplete; i++) {
        free(w->incomplete[i].week);
        free(w->incomplete[i].model);
    }
    free(w->incomplete);
    memset(w, 0, sizeof *w);
}

int store_rank_weeks(struct store *store, const char *from, struct store_rank_weeks *out, struct err *err)
{
    struct db_result *weeks = NULL, *inc = NULL;
    struct db *db = store_db(store);
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (db_query(db, &DB_STMT("SELECT week_id, status, reason, clue_count, models_ranked FROM week_status\n"
                              "WHERE ? IS NULL OR week_id >= ? ORDER BY week_id", db_text(from), db_text(from)),
                 &weeks, err) < 0 ||
        db_query(db, &DB_STMT("SELECT w.week_id, m.display_name, w.coverage, w.errors FROM week_coverage w\n"
                              "JOIN models m ON m.id = w.model_id\n"
                              "WHERE (? IS NULL OR w.week_id >= ?) AND NOT EXISTS (SELECT 1 FROM weekly_rankings r\n"
                              "  WHERE r.week_id = w.week_id AND r.model_id = w.model_id)\n"
                              "ORDER BY w.week_id, w.model_id", db_text(from), db_text(from)),
                 &inc, err) < 0)
        goto out;
    if ((weeks->nrows && !(out->weeks = calloc(weeks->nrows, sizeof *out->weeks))) ||
        (inc->nrows && !(out->incomplete = calloc(inc->nrows, sizeof *out->incomplete)))) {
        store_rank_weeks_free(out);
        err_set(err, "out of memory");
        goto out;
    }
    out->nweeks = weeks->nrows;
    for (size_t i = 0; i < weeks->nrows; i++) {
        struct store_rank_week *w = &out->weeks[i];
        w->week = str_dup_or_null(db_result_text(weeks, i, 0));
        w->status = str_dup_or_null(db_result_text(weeks, i, 1));
        w->reason = str_dup_or_null(db_result_text(weeks, i, 2));
        w->clues = db_result_int(weeks, i, 3);
        w->models_ranked = db_result_int(weeks, i, 4);
    }
    out->nincomplete = inc->nrows;
    for (size_t k = 0; k < inc->nrows; k++) {
        struct store_rank_incomplete *m = &out->incomplete[k];
        m->week = str_dup_or_null(db_result_text(inc, k, 0));
        m->model = str_dup_or_null(db_result_text(inc, k, 1));
        m->coverage = db_result_real(inc, k, 2);
        m->errors = db_result_int(inc, k, 3);
    }
    rc = 0;
out:
    db_result_free(weeks);
    db_result_free(inc);
    return rc;
}
