/* flow.c - the workflow engine's state; see store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "store/internal.h"
#include "store/store.h"

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void store_flow_run_clear(struct store_flow_run *r)
{
    free(r->event);
    free(r->output);
    free(r->error);
    memset(r, 0, sizeof *r);
}

void store_flow_steps_free(struct store_flow_step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(steps[i].name);
        free(steps[i].output);
        free(steps[i].error);
        free(steps[i].wait_event);
        free(steps[i].wait_field);
        free(steps[i].wait_value);
    }
    free(steps);
}

#define RUN_COLUMNS                                                                                \
    "id, function_id, event_id, event, status, attempt, output, error, parent_run_id, parent_step, " \
    "created_at, started_at, ended_at, ready_at, error_class, coalesce(error_status, 0)"

static void read_run(const struct db_result *r, size_t i, struct store_flow_run *out)
{
    memset(out, 0, sizeof *out);
    copy(out->id, sizeof out->id, db_result_text(r, i, 0));
    copy(out->function_id, sizeof out->function_id, db_result_text(r, i, 1));
    copy(out->event_id, sizeof out->event_id, db_result_text(r, i, 2));
    out->event = str_dup_or_null(db_result_text(r, i, 3));
    copy(out->status, sizeof out->status, db_result_text(r, i, 4));
    out->attempt = (int)db_result_int(r, i, 5);
    out->output = str_dup_or_null(db_result_text(r, i, 6));
    out->error = str_dup_or_null(db_result_text(r, i, 7));
    copy(out->parent_run_id, sizeof out->parent_run_id, db_result_text(r, i, 8));
    copy(out->parent_step, sizeof out->parent_step, db_result_text(r, i, 9));
    out->created_at = db_result_int(r, i, 10);
    out->started_at = db_result_int(r, i, 11);
    out->ended_at = db_result_int(r, i, 12);
    out->ready_at = db_result_int(r, i, 13);
    out->error_class = err_class_from_name(db_result_text(r, i, 14));
    out->error_status = (int)db_result_int(r, i, 15);
}

static const char *const sql_event_exists = "SELECT count(*) FROM flow_events WHERE id = ?";
static const char *const sql_event_insert =
    "INSERT OR IGNORE INTO flow_events (id, name, data, ts) VALUES (?, ?, ?, ?)";
static const char *const sql_run_insert =
    "INSERT OR IGNORE INTO flow_runs (id, function_id, event_id, event, status, concurrency_key,\n"
    "    concurrency_limit, ready_at, parent_run_id, parent_step, created_at)\n"
    "VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)";
/* A waiting step matches when its event name is this one and, if it names
 * a field, the event's field has the value it waits for. */
static const char *const sql_wake_steps =
    "UPDATE flow_steps SET status = 'done', output = ?, ended_at = ?\n"
    "WHERE status = 'waiting' AND kind = 'wait' AND wait_event = ?\n"
    "  AND (wait_field IS NULL OR wait_value IS json_extract(?, wait_field))\n"
    "RETURNING run_id";
/* A run that is running right now gets the wake flag: its release then
 * requeues it instead of leaving it waiting for what already came. */
static const char *const sql_wake_runs =
    "UPDATE flow_runs SET wake = 1,\n"
    "    ready_at = CASE WHEN status = 'waiting' THEN ? ELSE ready_at END,\n"
    "    status = CASE WHEN status = 'waiting' THEN 'queued' ELSE status END\n"
    "WHERE id IN (SELECT run_id FROM flow_steps WHERE kind = 'wait'\n"
    "             AND status = 'done' AND ended_at = ? AND output = ?)";

int store_flow_send(struct store *store, const char *event_id, const char *name, const char *event_json,
                    int64_t now, const struct store_flow_new_run *runs, size_t nruns, int *duplicate,
                    struct err *err)
{
    struct db_result *r = NULL;
    if (db_query(store_db(store), &DB_STMT(sql_event_exists, db_text(event_id)), &r, err) < 0)
        return -1;
    *duplicate = db_result_int(r, 0, 0) > 0;
    db_result_free(r);
    if (*duplicate)
        return 0;
    size_t n = 3 + nruns;
    struct db_stmt *stmts = calloc(n, sizeof *stmts);
    struct db_value *args = calloc(n * 10, sizeof *args);
    if (!stmts || !args) {
        free(stmts);
        free(args);
        return err_set(err, "out of memory");
    }
    struct db_value *a = args;
    a[0] = db_text(event_id);
    a[1] = db_text(name);
    a[2] = db_text(event_json);
    a[3] = db_int(now);
    stmts[0] = (struct db_stmt){sql_event_insert, a, 4};
    for (size_t i = 0; i < nruns; i++) {
        a = &args[(i + 1) * 10];
        a[0] = db_text(runs[i].id);
        a[1] = db_text(runs[i].function_id);
        a[2] = db_text(event_id);
        a[3] = db_text(event_json);
        a[4] = db_text(runs[i].concurrency_key);
        a[5] = db_int(runs[i].concurrency_limit);
        a[6] = db_int(now);
        a[7] = db_text(runs[i].parent_run_id);
        a[8] = db_text(runs[i].parent_step);
        a[9] = db_int(now);
        stmts[i + 1] = (struct db_stmt){sql_run_insert, a, 10};
    }
    a = &args[(nruns + 1) * 10];
    a[0] = db_text(event_json);
    a[1] = db_int(now);
    a[2] = db_text(name);
    a[3] = db_text(event_json);
    stmts[nruns + 1] = (struct db_stmt){sql_wake_steps, a, 4};
    a = &args[(nruns + 2) * 10];
    a[0] = db_int(now);
    a[1] = db_int(now);
    a[2] = db_text(event_json);
    stmts[nruns + 2] = (struct db_stmt){sql_wake_runs, a, 3};
    int rc = db_batch(store_db(store), stmts, n, NULL, err);
    free(stmts);
    free(args);
    return rc < 0 ? err_prefix(err, "cannot store event %s", name) : 0;
}

/* The next runnable run: ready queued runs, sleeping or waiting runs past
 * their wake time, running runs whose lease expired; within its function's
 * concurrency limit for its key. */
static const char *const sql_claim =
    "UPDATE flow_runs SET status = 'running', lease_owner = ?, lease_until = ?, wake = 0,\n"
    "    started_at = coalesce(started_at, ?)\n"
    "WHERE id = (\n"
    "  SELECT r.id FROM flow_runs r\n"
    "  WHERE ((r.status IN ('queued', 'sleeping', 'waiting') AND r.ready_at <= ?)\n"
    "         OR (r.status = 'running' AND r.lease_until < ?))\n"
    "    AND r.function_id IN (SELECT value FROM json_each(?))\n"
    "    AND (r.concurrency_limit = 0 OR (SELECT count(*) FROM flow_runs x\n"
    "         WHERE x.function_id = r.function_id AND x.concurrency_key IS r.concurrency_key\n"
    "           AND x.status = 'running' AND x.lease_until >= ? AND x.id <> r.id) < r.concurrency_limit)\n"
    "  ORDER BY r.ready_at, r.created_at, r.id LIMIT 1)\n"
    "RETURNING " RUN_COLUMNS;

int store_flow_claim(struct store *store, const char *owner, int64_t now, int64_t lease_ms,
                     const char *functions_json, struct store_flow_run *out, int *found, struct err *err)
{
    struct db_stmt stmt = DB_STMT(sql_claim, db_text(owner), db_int(now + lease_ms), db_int(now), db_int(now),
                                  db_int(now), db_text(functions_json), db_int(now));
    struct db_result *r = NULL;
    if (db_batch(store_db(store), &stmt, 1, &r, err) < 0)
        return err_prefix(err, "cannot claim a run");
    *found = r->nrows > 0;
    if (*found)
        read_run(r, 0, out);
    db_result_free(r);
    return 0;
}

int store_flow_reclaim(struct store *store, const char *owner, int64_t now, struct err *err)
{
    /* The engine holds each claim as "<owner>/<claim id>". */
    struct db_stmt stmt = DB_STMT("UPDATE flow_runs SET status = 'queued', ready_at = ?1, lease_owner = NULL,\n"
                                  "    lease_until = NULL WHERE status = 'running'\n"
                                  "    AND (lease_owner = ?2 OR substr(lease_owner, 1, length(?2) + 1) = ?2 || '/')",
                                  db_int(now), db_text(owner));
    return db_batch(store_db(store), &stmt, 1, NULL, err);
}

static const char *const sql_steps =
    "SELECT hash, name, kind, status, output, error, attempts, coalesce(wake_at, 0), wait_event, wait_field,\n"
    "       wait_value, seq, coalesce(started_at, 0), coalesce(ended_at, 0), error_class,\n"
    "       coalesce(error_status, 0)\n"
    "FROM flow_steps WHERE run_id = ? ORDER BY seq";

int store_flow_steps(struct store *store, const char *run_id, struct store_flow_step **out, size_t *n,
                     struct err *err)
{
    struct db_result *r = NULL;
    *out = NULL;
    *n = 0;
    if (db_query(store_db(store), &DB_STMT(sql_steps, db_text(run_id)), &r, err) < 0)
        return -1;
    struct store_flow_step *steps = calloc(r->nrows + 1, sizeof *steps);
    if (!steps) {
        db_result_free(r);
        return err_set(err, "out of memory");
    }
    for (size_t i = 0; i < r->nrows; i++) {
        struct store_flow_step *s = &steps[i];
        copy(s->hash, sizeof s->hash, db_result_text(r, i, 0));
        s->name = str_dup_or_null(db_result_text(r, i, 1));
        copy(s->kind, sizeof s->kind, db_result_text(r, i, 2));
        copy(s->status, sizeof s->status, db_result_text(r, i, 3));
        s->output = str_dup_or_null(db_result_text(r, i, 4));
        s->error = str_dup_or_null(db_result_text(r, i, 5));
        s->attempts = (int)db_result_int(r, i, 6);
        s->wake_at = db_result_int(r, i, 7);
        s->wait_event = str_dup_or_null(db_result_text(r, i, 8));
        s->wait_field = str_dup_or_null(db_result_text(r, i, 9));
        s->wait_value = str_dup_or_null(db_result_text(r, i, 10));
        s->seq = (int)db_result_int(r, i, 11);
        s->started_at = db_result_int(r, i, 12);
        s->ended_at = db_result_int(r, i, 13);
        s->error_class = err_class_from_name(db_result_text(r, i, 14));
        s->error_status = (int)db_result_int(r, i, 15);
    }
    *n = r->nrows;
    *out = steps;
    db_result_free(r);
    return 0;
}

/* Written only while owner still holds the run: after a lost lease another
 * worker owns it, and this one's late result must not land. */
static const char *const sql_step_put =
    "INSERT INTO flow_steps (run_id, hash, name, kind, status, output, error, attempts, wake_at,\n"
    "    wait_event, wait_field, wait_value, seq, started_at, ended_at, error_class, error_status)\n"
    "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?\n"
    "WHERE EXISTS (SELECT 1 FROM flow_runs WHERE id = ? AND lease_owner = ? AND status = 'running')\n"
    "ON CONFLICT (run_id, hash) DO UPDATE SET status = excluded.status, output = excluded.output,\n"
    "    error = excluded.error, error_class = excluded.error_class, error_status = excluded.error_status,\n"
    "    attempts = excluded.attempts, wake_at = excluded.wake_at,\n"
    "    wait_event = excluded.wait_event, wait_field = excluded.wait_field,\n"
    "    wait_value = excluded.wait_value, started_at = excluded.started_at, ended_at = excluded.ended_at";

int store_flow_step_put(struct store *store, const char *run_id, const char *owner,
                        const struct store_flow_step *s, int64_t lease_until, int *held, struct err *err)
{
    struct db_value args[] = {
        db_text(run_id), db_text(s->hash), db_text(s->name), db_text(s->kind), db_text(s->status),
        db_text(s->output), db_text(s->error), db_int(s->attempts),
        s->wake_at ? db_int(s->wake_at) : db_null(), db_text(s->wait_event), db_text(s->wait_field),
        db_text(s->wait_value), db_int(s->seq), s->started_at ? db_int(s->started_at) : db_null(),
        s->ended_at ? db_int(s->ended_at) : db_null(), db_text(err_class_name(s->error_class)),
        s->error_status ? db_int(s->error_status) : db_null(), db_text(run_id), db_text(owner),
    };
    struct db_stmt stmts[2] = {
        {sql_step_put, args, sizeof args / sizeof args[0]},
        DB_STMT("UPDATE flow_runs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
                db_int(lease_until), db_text(run_id), db_text(owner)),
    };
    struct db_result *r[2] = {0};
    if (db_batch(store_db(store), stmts, 2, r, err) < 0)
        return -1;
    *held = r[1]->changes > 0;
    db_results_free(r, 2);
    return 0;
}

/* Waiting for something that already came (wake set while this round ran):
 * queued instead, to replay now. */
static const char *const sql_release =
    "UPDATE flow_runs SET\n"
    "    ready_at = CASE WHEN wake = 1 AND ?1 IN ('waiting', 'sleeping') THEN ?6 ELSE ?2 END,\n"
    "    status = CASE WHEN wake = 1 AND ?1 IN ('waiting', 'sleeping') THEN 'queued' ELSE ?1 END,\n"
    "    wake = 0, output = coalesce(?3, output), error = ?4, lease_owner = NULL, lease_until = NULL,\n"
    "    ended_at = CASE WHEN ?5 IN ('completed', 'failed') THEN ?6 ELSE ended_at END,\n"
    "    error_class = ?9, error_status = ?10\n"
    "WHERE id = ?7 AND lease_owner = ?8 AND status = 'running'";
/* A finished child resolves its parent's invoke step, and the parent goes on. */
static const char *const sql_parent_step =
    "UPDATE flow_steps SET status = ?, output = ?, error = ?, ended_at = ?, error_class = ?, error_status = ?\n"
    "WHERE run_id = ? AND hash = ? AND status = 'waiting' AND kind = 'invoke'\n"
    "  AND EXISTS (SELECT 1 FROM flow_runs WHERE id = ? AND status IN ('completed', 'failed'))";
static const char *const sql_parent_run =
    "UPDATE flow_runs SET wake = 1,\n"
    "    ready_at = CASE WHEN status = 'waiting' THEN ? ELSE ready_at END,\n"
    "    status = CASE WHEN status = 'waiting' THEN 'queued' ELSE status END\n"
    "WHERE id = ?";

int store_flow_run_release(struct store *store, const struct store_flow_run *run, const char *owner,
                           const char *status, int64_t ready_at, const char *output, const char *error,
                           int64_t now, struct err *err)
{
    int finished = strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0;
    int parent = finished && run->parent_run_id[0];
    int completed = strcmp(status, "completed") == 0;
    int failed = strcmp(status, "failed") == 0;
    const char *cls = failed ? err_class_name(run->error_class) : NULL;
    struct db_value code = failed && run->error_status ? db_int(run->error_status) : db_null();
    struct db_value a0[] = {db_text(status), db_int(ready_at), db_text(output), db_text(error), db_text(status),
                            db_int(now), db_text(run->id), db_text(owner), db_text(cls), code};
    struct db_value a1[] = {db_text(completed ? "done" : "failed"), db_text(completed ? output : NULL),
                            db_text(completed ? NULL : error), db_int(now), db_text(cls), code,
                            db_text(run->parent_run_id), db_text(run->parent_step), db_text(run->id)};
    struct db_value a2[] = {db_int(now), db_text(run->parent_run_id)};
    struct db_stmt stmts[3] = {
        {sql_release, a0, 10},
        {sql_parent_step, a1, 9},
        {sql_parent_run, a2, 2},
    };
    return db_batch(store_db(store), stmts, parent ? 3 : 1, NULL, err);
}

/* The runs a query over RUN_COLUMNS returns, as an array the caller owns. */
static int query_runs(struct store *store, const struct db_stmt *stmt, struct store_flow_run **out, size_t *n,
                      struct err *err)
{
    struct db_result *r = NULL;
    *out = NULL;
    *n = 0;
    if (db_query(store_db(store), stmt, &r, err) < 0)
        return -1;
    struct store_flow_run *runs = calloc(r->nrows + 1, sizeof *runs);
    if (!runs) {
        db_result_free(r);
        return err_set(err, "out of memory");
    }
    for (size_t i = 0; i < r->nrows; i++)
        read_run(r, i, &runs[i]);
    *out = runs;
    *n = r->nrows;
    db_result_free(r);
    return 0;
}

int store_flow_runs_list(struct store *store, int limit, struct store_flow_run **out, size_t *n,
                         struct err *err)
{
    return query_runs(store,
                      &DB_STMT("SELECT " RUN_COLUMNS " FROM flow_runs ORDER BY created_at DESC, id DESC LIMIT ?",
                               db_int(limit)),
                      out, n, err);
}

/* The first run a query of RUN_COLUMNS finds (*found 0: none). */
static int query_run(struct store *store, const struct db_stmt *stmt, struct store_flow_run *out, int *found,
                     struct err *err)
{
    struct db_result *r = NULL;
    if (db_query(store_db(store), stmt, &r, err) < 0)
        return -1;
    *found = r->nrows > 0;
    if (*found)
        read_run(r, 0, out);
    db_result_free(r);
    return 0;
}

int store_flow_run_get(struct store *store, const char *id, struct store_flow_run *out, int *found,
                       struct err *err)
{
    return query_run(store, &DB_STMT("SELECT " RUN_COLUMNS " FROM flow_runs WHERE id = ?", db_text(id)), out,
                     found, err);
}

int store_flow_run_cost(struct store *store, const struct store_step_fields *fields, const char *id, double *cost,
                        struct err *err)
{
    struct db_result *r = NULL;
    *cost = 0;
    if (db_query(store_db(store),
                 &DB_STMT("WITH RECURSIVE tree(id) AS (SELECT ?1 UNION ALL\n"
                          "  SELECT r.id FROM flow_runs r JOIN tree t ON r.parent_run_id = t.id)\n"
                          "SELECT coalesce(sum(json_extract(s.output, ?3)), 0) FROM flow_steps s\n"
                          "WHERE s.run_id IN (SELECT id FROM tree) AND s.status = 'done' AND s.name LIKE ?2",
                          db_text(id), STORE_STEP_FIELD(fields, eval_steps), STORE_STEP_FIELD(fields, eval_cost)),
                 &r, err) < 0)
        return -1;
    *cost = db_result_real(r, 0, 0);
    db_result_free(r);
    return 0;
}

int store_flow_run_cancel(struct store *store, const char *id, int64_t now, int *changed, struct err *err)
{
    struct db_stmt stmt = DB_STMT("UPDATE flow_runs SET status = 'cancelled', ended_at = ?, lease_owner = NULL,\n"
                                  "    lease_until = NULL, error = 'cancelled'\n"
                                  "WHERE id = ? AND status NOT IN ('completed', 'failed', 'cancelled')",
                                  db_int(now), db_text(id));
    struct db_result *r = NULL;
    if (db_batch(store_db(store), &stmt, 1, &r, err) < 0)
        return -1;
    *changed = r->changes > 0;
    db_result_free(r);
    return 0;
}

int store_flow_run_retry(struct store *store, const char *id, int64_t now, int *changed, struct err *err)
{
    struct db_stmt stmts[2] = {
        DB_STMT("DELETE FROM flow_steps WHERE run_id = ? AND status IN ('failed', 'retrying')\n"
                "  AND EXISTS (SELECT 1 FROM flow_runs WHERE id = ? AND status IN ('failed', 'cancelled'))",
                db_text(id), db_text(id)),
        DB_STMT("UPDATE flow_runs SET status = 'queued', ready_at = ?, attempt = attempt + 1, error = NULL,\n"
                "    error_class = NULL, error_status = NULL, ended_at = NULL\n"
                "WHERE id = ? AND status IN ('failed', 'cancelled')",
                db_int(now), db_text(id)),
    };
    struct db_result *r[2] = {0};
    if (db_batch(store_db(store), stmts, 2, r, err) < 0)
        return -1;
    *changed = r[1]->changes > 0;
    db_results_free(r, 2);
    return 0;
}

#define CANCEL_MATCH                                                                   \
    "function_id = ? AND status NOT IN ('completed', 'failed', 'cancelled')\n"             \
    "  AND CAST(json_extract(event, ?) AS TEXT) = ?\n"                                     \
    "  AND (? IS NULL OR CAST(json_extract(event, ?) AS TEXT) IS NOT ?)\n"                 \
    "  AND (? IS NULL OR EXISTS (SELECT 1 FROM flow_runs g\n"                              \
    "       WHERE g.id = ? AND g.lease_owner = ? AND g.status = 'running'))"

int store_flow_cancel_matching(struct store *store, const char *function_id, const char *path, const char *value,
                               const char *except_path, const char *except_value, const char *sender_id,
                               const char *sender_holder, const char *reason, int64_t now, int64_t *cancelled,
                               struct err *err)
{
#define MATCH_ARGS db_text(function_id), db_text(path), db_text(value), db_text(except_path), db_text(except_path), \
                   db_text(except_value), db_text(sender_id), db_text(sender_id), db_text(sender_holder)
    struct db_stmt stmts[3] = {
        DB_STMT("UPDATE flow_steps SET status = 'failed', error = ?, ended_at = ?\n"
                "WHERE kind = 'invoke' AND status = 'waiting' AND EXISTS (SELECT 1 FROM flow_runs\n"
                "  WHERE parent_run_id = flow_steps.run_id AND parent_step = flow_steps.hash AND " CANCEL_MATCH ")",
                db_text(reason), db_int(now), MATCH_ARGS),
        /* A parent must replay to see its children's ends: cancelled
         * children stop where they are and will not wake it. A waiting parent
         * is queued; a running one gets the wake flag for its release. */
        DB_STMT("UPDATE flow_runs SET wake = 1,\n"
                "    ready_at = CASE WHEN status = 'waiting' THEN ? ELSE ready_at END,\n"
                "    status = CASE WHEN status = 'waiting' THEN 'queued' ELSE status END\n"
                "WHERE id IN (SELECT parent_run_id FROM flow_runs WHERE parent_run_id IS NOT NULL AND " CANCEL_MATCH ")",
                db_int(now), MATCH_ARGS),
        DB_STMT("UPDATE flow_runs SET status = 'cancelled', error = ?, ended_at = ?, lease_owner = NULL,\n"
                "    lease_until = NULL\n"
                "WHERE " CANCEL_MATCH,
                db_text(reason), db_int(now), MATCH_ARGS),
    };
#undef MATCH_ARGS
    struct db_result *results[3] = {0};
    if (db_batch(store_db(store), stmts, 3, results, err) < 0)
        return -1;
    if (cancelled)
        *cancelled = results[2]->changes;
    for (int i = 0; i < 3; i++)
        db_result_free(results[i]);
    return 0;
}

int store_flow_active_runs(struct store *store, const char *functions_json, int64_t *n, struct err *err)
{
    return store_query_int(store,
                           &DB_STMT("SELECT count(*) FROM flow_runs\n"
                                    "WHERE status IN ('queued', 'running', 'sleeping', 'waiting')\n"
                                    "  AND function_id IN (SELECT value FROM json_each(?))",
                                    db_text(functions_json)),
                           0, n, err);
}

static const char *const sql_schedule_last =
    "SELECT coalesce(last_fire, 0) FROM flow_schedules WHERE function_id = ?";
static const char *const sql_schedule_init =
    "INSERT OR IGNORE INTO flow_schedules (function_id, cron, last_fire) VALUES (?, ?, ?)";
static const char *const sql_schedule_fired =
    "UPDATE flow_schedules SET last_fire = ?, cron = ? WHERE function_id = ?";

int store_flow_schedule_last(struct store *store, const char *function_id, int64_t *last_fire, struct err *err)
{
    return store_query_int(store, &DB_STMT(sql_schedule_last, db_text(function_id)), -1, last_fire, err);
}

int store_flow_schedule_init(struct store *store, const char *function_id, const char *cron, int64_t now,
                             struct err *err)
{
    struct db_stmt s = DB_STMT(sql_schedule_init, db_text(function_id), db_text(cron), db_int(now));
    return db_batch(store_db(store), &s, 1, NULL, err);
}

int store_flow_schedule_fired(struct store *store, const char *function_id, const char *cron, int64_t now,
                              struct err *err)
{
    struct db_stmt s = DB_STMT(sql_schedule_fired, db_int(now), db_text(cron), db_text(function_id));
    return db_batch(store_db(store), &s, 1, NULL, err);
}

int store_flow_next_ready(struct store *store, const char *functions_json, int64_t *next, struct err *err)
{
    return store_query_int(store,
                           &DB_STMT("SELECT min(ready_at) FROM flow_runs WHERE status IN ('queued', 'sleeping', 'waiting')\n"
                                    "  AND function_id IN (SELECT value FROM json_each(?))",
                                    db_text(functions_json)),
                           -1, next, err);
}

static void read_counts(const struct db_result *r, struct store_run_count *out, int summary)
{
    for (size_t i = 0; i < r->nrows; i++) {
        out[i].function = str_dup_or_null(db_result_text(r, i, 0));
        out[i].completed = db_result_int(r, i, 1);
        if (summary) {
            out[i].failed = db_result_int(r, i, 2);
            out[i].cancelled = db_result_int(r, i, 3);
            out[i].runs = db_result_int(r, i, 4);
        } else {
            out[i].runs = db_result_int(r, i, 2);
            out[i].failed = db_result_int(r, i, 3);
        }
    }
}

static void free_counts(struct store_run_count *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].function);
    free(c);
}

void store_run_progress_free(struct store_run_progress *p)
{
    free_counts(p->functions, p->nfunctions);
    memset(p, 0, sizeof *p);
}

int store_run_progress(struct store *store, const struct store_step_fields *fields, int64_t since_ms,
                       struct store_run_progress *out, struct err *err)
{
    struct db_result *runs = NULL, *totals = NULL;
    struct db *db = store_db(store);
    int rc = -1;
    memset(out, 0, sizeof *out);
    /* Functions in the order their first run was sent (rowid breaks a tie
     * of the same millisecond). The evaluations are those of this run's
     * evaluation steps (their outputs hold the outcome and cost; the names
     * are fields': ?2 function, ?3 step pattern, ?4 outcome, ?5 cost), not
     * rows by time: evaluated_at has whole seconds only, and a run started
     * just before would count. */
    if (db_query(db, &DB_STMT("SELECT function_id, sum(status = 'completed'), count(*), sum(status = 'failed')\n"
                              "FROM flow_runs WHERE created_at >= ? GROUP BY function_id\n"
                              "ORDER BY min(created_at), min(rowid)",
                              db_int(since_ms)),
                 &runs, err) < 0 ||
        db_query(db, &DB_STMT("SELECT (SELECT count(*) FROM flow_steps s JOIN flow_runs r ON r.id = s.run_id\n"
                              "        WHERE s.status = 'done' AND r.created_at >= ?1),\n"
                              "       count(*), coalesce(sum(json_extract(s.output, ?4) = 'error'), 0),\n"
                              "       coalesce(sum(json_extract(s.output, ?5)), 0)\n"
                              "FROM flow_steps s JOIN flow_runs r ON r.id = s.run_id\n"
                              "WHERE r.created_at >= ?1 AND r.function_id = ?2 AND s.status = 'done'\n"
                              "  AND s.name LIKE ?3",
                              db_int(since_ms), STORE_STEP_FIELD(fields, eval_function),
                              STORE_STEP_FIELD(fields, eval_steps), STORE_STEP_FIELD(fields, eval_outcome),
                              STORE_STEP_FIELD(fields, eval_cost)),
                 &totals, err) < 0)
        goto out;
    if (runs->nrows && !(out->functions = calloc(runs->nrows, sizeof *out->functions))) {
        err_set(err, "out of memory");
        goto out;
    }
    out->nfunctions = runs->nrows;
    read_counts(runs, out->functions, 0);
    out->steps_done = db_result_int(totals, 0, 0);
    out->evaluations = db_result_int(totals, 0, 1);
    out->evaluation_errors = db_result_int(totals, 0, 2);
    out->cost = db_result_real(totals, 0, 3);
    rc = 0;
out:
    db_result_free(runs);
    db_result_free(totals);
    return rc;
}

void store_run_summary_free(struct store_run_summary *s)
{
    free_counts(s->functions, s->nfunctions);
    for (size_t i = 0; i < s->nfailures; i++) {
        free(s->failures[i].function);
        free(s->failures[i].error);
    }
    free(s->failures);
    for (size_t i = 0; i < s->nweeks; i++) {
        free(s->weeks[i].week);
        free(s->weeks[i].status);
        free(s->weeks[i].reason);
    }
    free(s->weeks);
    memset(s, 0, sizeof *s);
}

int store_run_summary(struct store *store, int64_t since_ms, struct store_run_summary *out, struct err *err)
{
    struct db_result *runs = NULL, *fails = NULL, *weeks = NULL;
    struct db *db = store_db(store);
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (db_query(db, &DB_STMT("SELECT function_id, sum(status = 'completed'), sum(status = 'failed'),\n"
                              "       sum(status = 'cancelled'), count(*)\n"
                              "FROM flow_runs WHERE created_at >= ? GROUP BY function_id\n"
                              "ORDER BY min(created_at), min(rowid)",
                              db_int(since_ms)),
                 &runs, err) < 0 ||
        db_query(db, &DB_STMT("SELECT function_id, error FROM flow_runs WHERE created_at >= ? AND status = 'failed'\n"
                              "ORDER BY created_at, rowid LIMIT 20", db_int(since_ms)),
                 &fails, err) < 0 ||
        db_query(db, &DB_SQL("SELECT week_id, status, reason FROM week_status ORDER BY week_id"), &weeks, err) < 0)
        goto out;
    if ((runs->nrows && !(out->functions = calloc(runs->nrows, sizeof *out->functions))) ||
        (fails->nrows && !(out->failures = calloc(fails->nrows, sizeof *out->failures))) ||
        (weeks->nrows && !(out->weeks = calloc(weeks->nrows, sizeof *out->weeks)))) {
        store_run_summary_free(out);
        err_set(err, "out of memory");
        goto out;
    }
    out->nfunctions = runs->nrows;
    read_counts(runs, out->functions, 1);
    out->nfailures = fails->nrows;
    for (size_t i = 0; i < fails->nrows; i++) {
        out->failures[i].function = str_dup_or_null(db_result_text(fails, i, 0));
        out->failures[i].error = str_dup_or_null(db_result_text(fails, i, 1));
    }
    out->nweeks = weeks->nrows;
    for (size_t i = 0; i < weeks->nrows; i++) {
        out->weeks[i].week = str_dup_or_null(db_result_text(weeks, i, 0));
        out->weeks[i].status = str_dup_or_null(db_result_text(weeks, i, 1));
        out->weeks[i].reason = str_dup_or_null(db_result_text(weeks, i, 2));
    }
    rc = 0;
out:
    db_result_free(runs);
    db_result_free(fails);
    db_result_free(weeks);
    return rc;
}

int store_flow_run_by_event(struct store *store, const char *function_id, const char *event_id,
                            struct store_flow_run *out, int *found, struct err *err)
{
    return query_run(store,
                     &DB_STMT("SELECT " RUN_COLUMNS " FROM flow_runs WHERE function_id = ? AND event_id = ?",
                              db_text(function_id), db_text(event_id)),
                     out, found, err);
}

int store_flow_children(struct store *store, const char *parent_id, struct store_flow_run **out, size_t *n,
                        struct err *err)
{
    return query_runs(store,
                      &DB_STMT("SELECT " RUN_COLUMNS " FROM flow_runs WHERE parent_run_id = ? ORDER BY created_at, id",
                               db_text(parent_id)),
                      out, n, err);
}
