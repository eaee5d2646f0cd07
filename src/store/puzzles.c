/* puzzles.c - puzzles and their clues; see store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "store/store.h"

static const char *const sql_exists =
    "SELECT count(*) FROM puzzles WHERE series = ? AND guardian_id = ?";

static const char *const sql_insert_puzzle =
    "INSERT INTO puzzles (guardian_id, puzzle_type, setter, publication_date, week_id, raw_json,\n"
    "                     series, url, title)\n"
    "VALUES (?, 'cryptic', ?, ?, ?, ?, ?, ?, ?)";

static const char *const sql_insert_clue =
    "INSERT INTO clues (puzzle_id, clue_number, direction, clue_text, answer, letter_count,\n"
    "                   display_answer, explanation, definitions, linked)\n"
    "VALUES ((SELECT id FROM puzzles WHERE series = ? AND guardian_id = ?),\n"
    "        ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* The post passed: it is no longer a rejected one. */
static const char *const sql_forget_rejection =
    "DELETE FROM rejected_posts WHERE url IN (?1, ?4) OR (series = ?2 AND number = ?3)";

static const char *const sql_newest = "SELECT max(publication_date) FROM puzzles";

int store_puzzle_exists(struct store *store, const char *series, int64_t number, int *exists,
                        struct err *err)
{
    struct db_result *r = NULL;
    if (db_query(store_db(store), &DB_STMT(sql_exists, db_text(series), db_int(number)), &r, err) < 0)
        return -1;
    *exists = db_result_int(r, 0, 0) > 0;
    db_result_free(r);
    return 0;
}

enum { CLUE_ARGS = 11 };

int store_puzzle_save(struct store *store, const struct store_puzzle_row *p, int64_t *id,
                      struct err *err)
{
    size_t n = p->nclues + 2;
    struct db_stmt *stmts = calloc(n, sizeof *stmts);
    struct db_value *args = calloc(n * CLUE_ARGS, sizeof *args);
    struct db_result *first = NULL;
    int rc = -1;
    if (!stmts || !args) {
        err_set(err, "out of memory");
        goto out;
    }
    struct db_value *a = args;
    a[0] = db_int(p->number);
    a[1] = db_text(p->setter);
    a[2] = db_text(p->date);
    a[3] = db_text(p->week_id);
    a[4] = db_text(p->raw_json);
    a[5] = db_text(p->series);
    a[6] = db_text(p->url);
    a[7] = db_text(p->title);
    stmts[0] = (struct db_stmt){sql_insert_puzzle, a, 8};
    for (size_t i = 0; i < p->nclues; i++) {
        const struct store_clue_row *c = &p->clues[i];
        a = &args[(i + 1) * CLUE_ARGS];
        a[0] = db_text(p->series);
        a[1] = db_int(p->number);
        a[2] = db_text(c->number);
        a[3] = db_text(c->direction);
        a[4] = db_text(c->text);
        a[5] = db_text(c->answer);
        a[6] = db_text(c->enumeration);
        a[7] = db_text(c->display_answer);
        a[8] = db_text(c->explanation);
        a[9] = db_text(c->definitions);
        a[10] = db_text(c->linked);
        stmts[i + 1] = (struct db_stmt){sql_insert_clue, a, CLUE_ARGS};
    }
    a = &args[(p->nclues + 1) * CLUE_ARGS];
    a[0] = db_text(p->url ? p->url : "");
    a[1] = db_text(p->series);
    a[2] = db_int(p->number);
    a[3] = db_text(p->fetched_from ? p->fetched_from : "");
    stmts[p->nclues + 1] = (struct db_stmt){sql_forget_rejection, a, 4};
    struct db_result **results = calloc(n, sizeof *results);
    if (!results) {
        err_set(err, "out of memory");
        goto out;
    }
    if (db_batch(store_db(store), stmts, n, results, err) < 0) {
        free(results);
        err_prefix(err, "cannot store %s %lld", p->series, (long long)p->number);
        goto out;
    }
    first = results[0];
    results[0] = NULL;
    db_results_free(results, n);
    free(results);
    if (id)
        *id = first->last_insert_rowid;
    rc = 0;
out:
    db_result_free(first);
    free(args);
    free(stmts);
    return rc;
}

int store_newest_puzzle_date(struct store *store, char out[11], struct err *err)
{
    return store_query_text(store, &DB_SQL(sql_newest), out, 11, err);
}
