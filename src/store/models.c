/* models.c - the models table: listing and syncing models.json; see store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/str.h"
#include "store/internal.h"
#include "store/store.h"

static const char *const sql_list =
    "SELECT id, openrouter_id, provider, model_name, display_name, options,\n"
    "       COALESCE(is_active, 0), added_at, retired_reason, release_date\n"
    "FROM models ORDER BY id";

static const char *const sql_insert =
    "INSERT INTO models (openrouter_id, provider, model_name, display_name, options, release_date, is_active)\n"
    "VALUES (?, ?, ?, ?, ?, ?, 1)";

static const char *const sql_update =
    "UPDATE models SET provider = ?, model_name = ?, display_name = ?, options = ?, release_date = ?,\n"
    "    is_active = 1\n"
    "WHERE openrouter_id = ?";

static const char *const sql_deactivate =
    "UPDATE models SET is_active = 0 WHERE openrouter_id = ?";

void store_model_list_free(struct store_model_list *list)
{
    for (size_t i = 0; i < list->n; i++) {
        struct store_model *m = &list->items[i];
        free(m->openrouter_id);
        free(m->provider);
        free(m->model_name);
        free(m->display_name);
        free(m->options);
        free(m->added_at);
        free(m->retired_reason);
        free(m->release_date);
    }
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

int store_models_list(struct store *store, struct store_model_list *out, struct err *err)
{
    struct db_result *r = NULL;
    out->items = NULL;
    out->n = 0;
    if (db_query(store_db(store), &DB_SQL(sql_list), &r, err) < 0)
        return err_prefix(err, "cannot list models");
    int rc = -1;
    if (r->nrows) {
        out->items = calloc(r->nrows, sizeof *out->items);
        if (!out->items) {
            err_set(err, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < r->nrows; i++) {
        struct store_model *m = &out->items[i];
        out->n++;
        m->id = db_result_int(r, i, 0);
        m->openrouter_id = str_dup_or_null(db_result_text(r, i, 1));
        m->provider = str_dup_or_null(db_result_text(r, i, 2));
        m->model_name = str_dup_or_null(db_result_text(r, i, 3));
        m->display_name = str_dup_or_null(db_result_text(r, i, 4));
        m->options = str_dup_or_null(db_result_text(r, i, 5));
        m->is_active = db_result_int(r, i, 6) != 0;
        m->added_at = str_dup_or_null(db_result_text(r, i, 7));
        m->retired_reason = str_dup_or_null(db_result_text(r, i, 8));
        m->release_date = str_dup_or_null(db_result_text(r, i, 9));
        if (!m->openrouter_id || !m->provider || !m->model_name || !m->display_name) {
            err_set(err, "model row %lld has a missing field or memory ran out", (long long)m->id);
            goto out;
        }
    }
    rc = 0;
out:
    db_result_free(r);
    if (rc < 0)
        store_model_list_free(out);
    return rc;
}

static int same(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Names the fields of want that differ from have, into detail. */
static void describe_difference(const struct store_model *have, const struct store_model *want,
                                char *detail, size_t size)
{
    struct {
        const char *name;
        int differs;
    } fields[] = {
        {"provider", !same(have->provider, want->provider)},
        {"model_name", !same(have->model_name, want->model_name)},
        {"display_name", !same(have->display_name, want->display_name)},
        {"options", !same(have->options, want->options)},
        {"release_date", !same(have->release_date, want->release_date)},
    };
    size_t used = 0;
    detail[0] = '\0';
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!fields[i].differs)
            continue;
        int n = snprintf(detail + used, size - used, "%s%s", used ? ", " : "", fields[i].name);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

enum { MAX_ARGS = 6 };

struct change {
    const char *kind;
    const char *openrouter_id;
    char detail[96];
};

int store_models_sync(struct store *store, const struct store_model *wanted, size_t n,
                      store_model_change_fn on_change, void *ctx,
                      struct store_models_sync_result *result, struct err *err)
{
    struct store_model_list have = {0};
    struct store_models_sync_result counts = {0};
    struct db_stmt *stmts = NULL;
    struct db_value *args = NULL;
    struct change *changes = NULL;
    size_t nstmts = 0;
    int rc = -1;

    if (store_require_current(store, err) < 0)
        return -1;
    if (store_models_list(store, &have, err) < 0)
        return -1;
    size_t most = n + have.n;
    stmts = calloc(most ? most : 1, sizeof *stmts);
    args = calloc((most ? most : 1) * MAX_ARGS, sizeof *args);
    changes = calloc(most ? most : 1, sizeof *changes);
    if (!stmts || !args || !changes) {
        err_set(err, "out of memory");
        goto out;
    }

    for (size_t i = 0; i < n; i++) {
        const struct store_model *want = &wanted[i];
        const struct store_model *found = NULL;
        for (size_t j = 0; j < have.n; j++)
            if (strcmp(have.items[j].openrouter_id, want->openrouter_id) == 0)
                found = &have.items[j];
        struct db_value *a = &args[nstmts * MAX_ARGS];
        struct change *c = &changes[nstmts];
        c->openrouter_id = want->openrouter_id;
        c->detail[0] = '\0';
        if (!found) {
            a[0] = db_text(want->openrouter_id);
            a[1] = db_text(want->provider);
            a[2] = db_text(want->model_name);
            a[3] = db_text(want->display_name);
            a[4] = db_text(want->options);
            a[5] = db_text(want->release_date);
            stmts[nstmts++] = (struct db_stmt){sql_insert, a, 6};
            c->kind = "added";
            counts.added++;
            continue;
        }
        describe_difference(found, want, c->detail, sizeof c->detail);
        if (!c->detail[0] && found->is_active) {
            counts.unchanged++;
            continue;
        }
        a[0] = db_text(want->provider);
        a[1] = db_text(want->model_name);
        a[2] = db_text(want->display_name);
        a[3] = db_text(want->options);
        a[4] = db_text(want->release_date);
        a[5] = db_text(want->openrouter_id);
        stmts[nstmts++] = (struct db_stmt){sql_update, a, 6};
        if (!found->is_active) {
            c->kind = "activated";
            counts.activated++;
        } else {
            c->kind = "updated";
            counts.updated++;
        }
    }
    for (size_t j = 0; j < have.n; j++) {
        const struct store_model *m = &have.items[j];
        int listed = 0;
        for (size_t i = 0; i < n && !listed; i++)
            listed = strcmp(wanted[i].openrouter_id, m->openrouter_id) == 0;
        if (listed || !m->is_active)
            continue;
        struct db_value *a = &args[nstmts * MAX_ARGS];
        a[0] = db_text(m->openrouter_id);
        changes[nstmts].kind = "deactivated";
        changes[nstmts].openrouter_id = m->openrouter_id;
        stmts[nstmts++] = (struct db_stmt){sql_deactivate, a, 1};
        counts.deactivated++;
    }

    if (nstmts && db_batch(store_db(store), stmts, nstmts, NULL, err) < 0) {
        err_prefix(err, "cannot sync models");
        goto out;
    }
    if (on_change)
        for (size_t i = 0; i < nstmts; i++)
            on_change(ctx, changes[i].kind, changes[i].openrouter_id,
                      changes[i].detail[0] ? changes[i].detail : NULL);
    if (result)
        *result = counts;
    rc = 0;
out:
    free(changes);
    free(args);
    free(stmts);
    store_model_list_free(&have);
    return rc;
}

int store_model_retire(struct store *store, const char *openrouter_id, const char *reason, int *found,
                       struct err *err)
{
    struct db_result *r = NULL;
    /* Reactivating makes it active again too: that is what the operator asks for. */
    struct db_stmt st = DB_STMT("UPDATE models SET retired_reason = ?1,\n"
                                "    retired_at = CASE WHEN ?1 IS NULL THEN NULL ELSE CURRENT_TIMESTAMP END,\n"
                                "    is_active = CASE WHEN ?1 IS NULL THEN 1 ELSE is_active END\n"
                                "WHERE openrouter_id = ?2 RETURNING id",
                                db_text(reason), db_text(openrouter_id));
    if (db_batch(store_db(store), &st, 1, &r, err) < 0)
        return -1;
    *found = r->nrows > 0;
    db_result_free(r);
    return 0;
}
