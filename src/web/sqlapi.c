/* sqlapi.c - a read-only Hrana-over-HTTP endpoint; see sqlapi.h. */
#include "web/sqlapi.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"

#define MAX_STORED_SQL 50

struct session {
    sqlite3 *db;
    const struct sqlapi_limits *limits;
    int version;
    char *stored[MAX_STORED_SQL];
    long rows;          /* rows answered so far */
    size_t bytes;       /* an estimate of the answer's size so far */
};

static json_t *error_obj(const char *message, const char *code)
{
    return json_pack("{s:s, s:s}", "message", message, "code", code);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The running statement's deadline, per server thread. */
static __thread int64_t thread_deadline;

static int progress(void *arg)
{
    (void)arg;
    return now_ms() > thread_deadline;
}

/* Reads only, whatever the statement says: no attaching other files, no
 * writes, no pragma assignments. */
static int authorize(void *arg, int action, const char *a, const char *b, const char *db, const char *trigger)
{
    (void)arg;
    (void)db;
    (void)trigger;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
        return SQLITE_OK;
    case SQLITE_PRAGMA: {
        /* PRAGMA x = y sets; only the schema readers may take an argument. */
        static const char *const readers[] = {"table_info", "table_xinfo", "index_list", "index_info",
                                              "index_xinfo", "foreign_key_list", NULL};
        if (!b)
            return SQLITE_OK;
        for (const char *const *r = readers; *r; r++)
            if (a && strcmp(a, *r) == 0)
                return SQLITE_OK;
        return SQLITE_DENY;
    }
    default:
        return SQLITE_DENY;
    }
}

/* ---- values --------------------------------------------------------------- */

static json_t *value_json(sqlite3_stmt *st, int col, size_t *bytes)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER: {
        char n[32];
        snprintf(n, sizeof n, "%lld", (long long)sqlite3_column_int64(st, col));
        *bytes += strlen(n) + 32;
        return json_pack("{s:s, s:s}", "type", "integer", "value", n);
    }
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, col);
        *bytes += 48;
        return isfinite(d) ? json_pack("{s:s, s:f}", "type", "float", "value", d)
                           : json_pack("{s:s, s:n}", "type", "float", "value");
    }
    case SQLITE_TEXT: {
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        *bytes += n + 32;
        return json_pack("{s:s, s:s%}", "type", "text", "value", (const char *)sqlite3_column_text(st, col), n);
    }
    case SQLITE_BLOB: {
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        char *b64 = base64_encode(sqlite3_column_blob(st, col), n);
        if (!b64)
            return NULL;
        *bytes += strlen(b64) + 32;
        json_t *v = json_pack("{s:s, s:s}", "type", "blob", "base64", b64);
        free(b64);
        return v;
    }
    default:
        *bytes += 16;
        return json_pack("{s:s}", "type", "null");
    }
}

static int bind_value(sqlite3_stmt *st, int i, const json_t *v, const char **why)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    json_t *value = json_object_get(v, "value");
    if (!type) {
        *why = "a value without a type";
        return -1;
    }
    if (strcmp(type, "null") == 0)
        return sqlite3_bind_null(st, i);
    if (strcmp(type, "integer") == 0) {
        const char *s = json_string_value(value);
        char *end;
        long long n = s ? strtoll(s, &end, 10) : 0;
        if (!s || *end || !*s) {
            *why = "an integer value must be a decimal string";
            return -1;
        }
        return sqlite3_bind_int64(st, i, n);
    }
    if (strcmp(type, "float") == 0) {
        if (!json_is_number(value)) {
            *why = "a float value must be a number";
            return -1;
        }
        return sqlite3_bind_double(st, i, json_number_value(value));
    }
    if (strcmp(type, "text") == 0) {
        if (!json_is_string(value)) {
            *why = "a text value must be a string";
            return -1;
        }
        return sqlite3_bind_text(st, i, json_string_value(value), (int)json_string_length(value), SQLITE_TRANSIENT);
    }
    if (strcmp(type, "blob") == 0) {
        const char *b64 = json_string_value(json_object_get(v, "base64"));
        if (!b64) {
            *why = "a blob value needs base64";
            return -1;
        }
        unsigned char *out = NULL;
        size_t len = 0;
        if (base64_decode(b64, &out, &len) < 0) {
            *why = "a blob value with bad base64";
            return -1;
        }
        return sqlite3_bind_blob(st, i, out, (int)len, free);
    }
    *why = "a value of unknown type";
    return -1;
}

/* ---- statements ------------------------------------------------------------- */

static const char *stmt_sql(struct session *s, const json_t *stmt, const char **why)
{
    json_t *sql = json_object_get(stmt, "sql"), *id = json_object_get(stmt, "sql_id");
    if (json_is_string(sql) && !id)
        return json_string_value(sql);
    if (json_is_integer(id) && !sql) {
        json_int_t n = json_integer_value(id);
        if (n >= 0 && n < MAX_STORED_SQL && s->stored[n])
            return s->stored[n];
        *why = "SQL text not found for that sql_id";
        return NULL;
    }
    *why = "a statement needs exactly one of sql and sql_id";
    return NULL;
}

/* Prepares exactly one read-only statement; on error sets *error. */
static sqlite3_stmt *prepare(struct session *s, const char *sql, json_t **error)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, &tail) != SQLITE_OK) {
        const char *msg = sqlite3_errmsg(s->db);
        *error = error_obj(msg, strstr(msg, "not authorized") ? "SQLITE_AUTH" : "SQLITE_ERROR");
        return NULL;
    }
    if (!st) {
        *error = error_obj("no SQL statement", "SQL_NO_STATEMENT");
        return NULL;
    }
    while (tail && (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && *tail) {
        sqlite3_finalize(st);
        *error = error_obj("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
        return NULL;
    }
    if (!sqlite3_stmt_readonly(st)) {
        sqlite3_finalize(st);
        *error = error_obj("this endpoint is read-only: the statement would write", "SQLITE_READONLY");
        return NULL;
    }
    return st;
}

static json_t *run_stmt(struct session *s, const json_t *stmt, json_t **error)
{
    const char *why = NULL;
    const char *sql = stmt_sql(s, stmt, &why);
    if (!sql) {
        *error = error_obj(why, "PROTOCOL_ERROR");
        return NULL;
    }
    sqlite3_stmt *st = prepare(s, sql, error);
    if (!st)
        return NULL;
    json_t *args = json_object_get(stmt, "args"), *named = json_object_get(stmt, "named_args");
    size_t nargs = json_array_size(args), nnamed = json_array_size(named);
    if (nargs && nnamed) {
        sqlite3_finalize(st);
        *error = error_obj("positional and named arguments in one statement", "ARGS_BOTH_POSITIONAL_AND_NAMED");
        return NULL;
    }
    int nparams = sqlite3_bind_parameter_count(st);
    if (!nnamed && (int)nargs != nparams) {
        char msg[128];
        snprintf(msg, sizeof msg, "the statement takes %d arguments, %zu given", nparams, nargs);
        sqlite3_finalize(st);
        *error = error_obj(msg, "ARGS_INVALID");
        return NULL;
    }
    for (size_t i = 0; i < nargs; i++)
        if (bind_value(st, (int)i + 1, json_array_get(args, i), &why) != SQLITE_OK) {
            sqlite3_finalize(st);
            *error = error_obj(why ? why : "cannot bind an argument", "ARGS_INVALID");
            return NULL;
        }
    for (size_t i = 0; i < nnamed; i++) {
        json_t *a = json_array_get(named, i);
        const char *name = json_string_value(json_object_get(a, "name"));
        int idx = 0;
        if (name) {
            idx = sqlite3_bind_parameter_index(st, name);
            for (const char *p = ":@$"; !idx && *p; p++) {
                char full[256];
                snprintf(full, sizeof full, "%c%s", *p, name);
                idx = sqlite3_bind_parameter_index(st, full);
            }
        }
        if (!idx || bind_value(st, idx, json_object_get(a, "value"), &why) != SQLITE_OK) {
            sqlite3_finalize(st);
            *error = error_obj(idx ? (why ? why : "cannot bind an argument") : "no such named parameter",
                               "ARGS_INVALID");
            return NULL;
        }
    }
    int ncols = sqlite3_column_count(st);
    json_t *cols = json_array(), *rows = json_array();
    for (int c = 0; c < ncols; c++) {
        const char *decl = sqlite3_column_decltype(st, c);
        json_array_append_new(cols, json_pack("{s:s, s:s?}", "name", sqlite3_column_name(st, c), "decltype", decl));
    }
    thread_deadline = now_ms() + (s->limits->statement_ms > 0 ? s->limits->statement_ms : 5000);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (++s->rows > s->limits->max_rows || s->bytes > s->limits->max_bytes) {
            rc = -2;
            break;
        }
        json_t *row = json_array();
        for (int c = 0; c < ncols; c++)
            json_array_append_new(row, value_json(st, c, &s->bytes));
        json_array_append_new(rows, row);
    }
    if (rc != SQLITE_DONE) {
        if (rc == -2)
            *error = error_obj("the response is too large: narrow the query or page it", "RESPONSE_TOO_LARGE");
        else if (rc == SQLITE_INTERRUPT)
            *error = error_obj("the statement ran too long and was interrupted", "SQLITE_INTERRUPT");
        else
            *error = error_obj(sqlite3_errmsg(s->db), "SQLITE_ERROR");
        sqlite3_finalize(st);
        json_decref(cols);
        json_decref(rows);
        return NULL;
    }
    sqlite3_finalize(st);
    return json_pack("{s:o, s:o, s:i, s:n, s:i, s:i}", "cols", cols, "rows", rows, "affected_row_count", 0,
                     "last_insert_rowid", "rows_read", 0, "rows_written", 0);
}

/* ---- batches ------------------------------------------------------------------ */

static int eval_cond(struct session *s, const json_t *cond, const json_t *results, const json_t *errors,
                     size_t step, int *ok)
{
    const char *type = json_string_value(json_object_get(cond, "type"));
    if (!type)
        return -1;
    if (strcmp(type, "ok") == 0 || strcmp(type, "error") == 0) {
        json_t *n = json_object_get(cond, "step");
        if (!json_is_integer(n) || json_integer_value(n) < 0 || (size_t)json_integer_value(n) >= step)
            return -1;
        size_t k = (size_t)json_integer_value(n);
        *ok = strcmp(type, "ok") == 0 ? !json_is_null(json_array_get(results, k))
                                      : !json_is_null(json_array_get(errors, k));
        return 0;
    }
    if (strcmp(type, "not") == 0) {
        int inner;
        if (eval_cond(s, json_object_get(cond, "cond"), results, errors, step, &inner) < 0)
            return -1;
        *ok = !inner;
        return 0;
    }
    if (strcmp(type, "and") == 0 || strcmp(type, "or") == 0) {
        int is_and = strcmp(type, "and") == 0;
        json_t *conds = json_object_get(cond, "conds");
        if (!json_is_array(conds))
            return -1;
        *ok = is_and;
        size_t i;
        json_t *c;
        json_array_foreach(conds, i, c) {
            int v;
            if (eval_cond(s, c, results, errors, step, &v) < 0)
                return -1;
            *ok = is_and ? (*ok && v) : (*ok || v);
        }
        return 0;
    }
    if (strcmp(type, "is_autocommit") == 0 && s->version >= 3) {
        *ok = sqlite3_get_autocommit(s->db) != 0;
        return 0;
    }
    return -1;
}

static json_t *run_batch(struct session *s, const json_t *batch, const char **bad)
{
    json_t *steps = json_object_get(batch, "steps");
    if (!json_is_array(steps)) {
        *bad = "a batch needs steps";
        return NULL;
    }
    json_t *results = json_array(), *errors = json_array();
    size_t i;
    json_t *step;
    json_array_foreach(steps, i, step) {
        json_t *cond = json_object_get(step, "condition");
        int run = 1;
        if (cond && !json_is_null(cond) && eval_cond(s, cond, results, errors, i, &run) < 0) {
            json_decref(results);
            json_decref(errors);
            *bad = "a batch condition is malformed or names a later step";
            return NULL;
        }
        json_t *result = NULL, *error = NULL;
        if (run)
            result = run_stmt(s, json_object_get(step, "stmt"), &error);
        json_array_append_new(results, result ? result : json_null());
        json_array_append_new(errors, error ? error : json_null());
    }
    return json_pack("{s:o, s:o}", "step_results", results, "step_errors", errors);
}

static json_t *describe(struct session *s, const json_t *req, json_t **error)
{
    const char *why = NULL;
    const char *sql = stmt_sql(s, req, &why);
    if (!sql) {
        *error = error_obj(why, "PROTOCOL_ERROR");
        return NULL;
    }
    sqlite3_stmt *st = prepare(s, sql, error);
    if (!st)
        return NULL;
    json_t *params = json_array(), *cols = json_array();
    for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++)
        json_array_append_new(params, json_pack("{s:s?}", "name", sqlite3_bind_parameter_name(st, i)));
    for (int c = 0; c < sqlite3_column_count(st); c++)
        json_array_append_new(cols, json_pack("{s:s, s:s?}", "name", sqlite3_column_name(st, c), "decltype",
                                              sqlite3_column_decltype(st, c)));
    json_t *out = json_pack("{s:o, s:o, s:b, s:b}", "params", params, "cols", cols, "is_explain",
                            sqlite3_stmt_isexplain(st) != 0, "is_readonly", 1);
    sqlite3_finalize(st);
    return out;
}

/* One request of the pipeline; NULL with *bad for a protocol error that loses the whole pipeline. */
static json_t *run_request(struct session *s, const json_t *req, const char **bad)
{
    const char *type = json_string_value(json_object_get(req, "type"));
    json_t *response = NULL, *error = NULL;
    if (!type) {
        *bad = "a request without a type";
        return NULL;
    }
    if (strcmp(type, "execute") == 0) {
        json_t *r = run_stmt(s, json_object_get(req, "stmt"), &error);
        if (r)
            response = json_pack("{s:s, s:o}", "type", "execute", "result", r);
    } else if (strcmp(type, "batch") == 0) {
        json_t *r = run_batch(s, json_object_get(req, "batch"), bad);
        if (!r)
            return NULL;
        response = json_pack("{s:s, s:o}", "type", "batch", "result", r);
    } else if (strcmp(type, "sequence") == 0) {
        const char *why = NULL;
        const char *sql = stmt_sql(s, req, &why);
        if (!sql) {
            *bad = why;
            return NULL;
        }
        /* Each statement of the text, one at a time, under the same rules. */
        const char *rest = sql;
        while (rest && *rest && !error) {
            sqlite3_stmt *st = NULL;
            const char *tail = NULL;
            if (sqlite3_prepare_v2(s->db, rest, -1, &st, &tail) != SQLITE_OK) {
                error = error_obj(sqlite3_errmsg(s->db), "SQLITE_ERROR");
                break;
            }
            if (!st)
                break;
            if (!sqlite3_stmt_readonly(st)) {
                error = error_obj("this endpoint is read-only: the statement would write", "SQLITE_READONLY");
            } else {
                thread_deadline = now_ms() + (s->limits->statement_ms > 0 ? s->limits->statement_ms : 5000);
                int rc;
                while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                    ;
                if (rc != SQLITE_DONE)
                    error = error_obj(sqlite3_errmsg(s->db), "SQLITE_ERROR");
            }
            sqlite3_finalize(st);
            rest = tail;
        }
        if (!error)
            response = json_pack("{s:s}", "type", "sequence");
    } else if (strcmp(type, "describe") == 0) {
        json_t *r = describe(s, req, &error);
        if (r)
            response = json_pack("{s:s, s:o}", "type", "describe", "result", r);
    } else if (strcmp(type, "store_sql") == 0) {
        json_t *id = json_object_get(req, "sql_id"), *sql = json_object_get(req, "sql");
        if (!json_is_integer(id) || !json_is_string(sql)) {
            *bad = "store_sql needs sql_id and sql";
            return NULL;
        }
        json_int_t n = json_integer_value(id);
        if (n < 0 || n >= MAX_STORED_SQL) {
            error = error_obj("too many stored SQL texts", "SQL_STORE_TOO_MANY");
        } else {
            free(s->stored[n]);
            s->stored[n] = strdup(json_string_value(sql));
            response = json_pack("{s:s}", "type", "store_sql");
        }
    } else if (strcmp(type, "close_sql") == 0) {
        json_int_t n = json_integer_value(json_object_get(req, "sql_id"));
        if (n >= 0 && n < MAX_STORED_SQL) {
            free(s->stored[n]);
            s->stored[n] = NULL;
        }
        response = json_pack("{s:s}", "type", "close_sql");
    } else if (strcmp(type, "close") == 0) {
        response = json_pack("{s:s}", "type", "close");
    } else if (strcmp(type, "get_autocommit") == 0 && s->version >= 3) {
        response = json_pack("{s:s, s:b}", "type", "get_autocommit", "is_autocommit", sqlite3_get_autocommit(s->db));
    } else {
        *bad = "unknown request type";
        return NULL;
    }
    if (response)
        return json_pack("{s:s, s:o}", "type", "ok", "response", response);
    return json_pack("{s:s, s:o}", "type", "error", "error", error ? error : error_obj("failed", "UNKNOWN"));
}

/* One read-only connection per server thread, kept between requests:
 * opening one and loading the schema costs more than a dashboard query.
 * Closed when its thread ends. */
struct cached_conn {
    sqlite3 *db;
    char path[1024];
};

static pthread_key_t conn_key;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;

static void conn_free(void *p)
{
    struct cached_conn *c = p;
    sqlite3_close(c->db);
    free(c);
}

static void conn_key_make(void)
{
    pthread_key_create(&conn_key, conn_free);
}

static sqlite3 *connection(const char *path, char *msg, size_t size)
{
    pthread_once(&conn_once, conn_key_make);
    struct cached_conn *c = pthread_getspecific(conn_key);
    if (c && strcmp(c->path, path) == 0)
        return c->db;
    if (c) {
        pthread_setspecific(conn_key, NULL);
        conn_free(c);
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(msg, size, "cannot open the database: %s", db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_set_authorizer(db, authorize, NULL);
    sqlite3_progress_handler(db, 1000, progress, NULL);
    c = calloc(1, sizeof *c);
    if (!c) {
        sqlite3_close(db);
        snprintf(msg, size, "out of memory");
        return NULL;
    }
    c->db = db;
    snprintf(c->path, sizeof c->path, "%s", path);
    pthread_setspecific(conn_key, c);
    return db;
}

static unsigned fail(char **response, unsigned status, const char *message, const char *code)
{
    json_t *e = error_obj(message, code);
    *response = json_dumps(e, JSON_COMPACT);
    json_decref(e);
    return status;
}

unsigned sqlapi_pipeline(const char *path, const struct sqlapi_limits *limits, int version, const char *body,
                         size_t len, char **response)
{
    static const struct sqlapi_limits defaults = {5000, 10000, 10u << 20};
    struct sqlapi_limits lim = limits ? *limits : defaults;
    if (lim.statement_ms <= 0)
        lim.statement_ms = defaults.statement_ms;
    if (lim.max_rows <= 0)
        lim.max_rows = defaults.max_rows;
    if (lim.max_bytes == 0)
        lim.max_bytes = defaults.max_bytes;
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return fail(response, 400, "the body is not a JSON object", "PROTOCOL_ERROR");
    }
    json_t *baton = json_object_get(doc, "baton"), *requests = json_object_get(doc, "requests");
    if (baton && !json_is_null(baton)) {
        json_decref(doc);
        return fail(response, 400, "streams are not kept here: send each pipeline without a baton", "BATON_INVALID");
    }
    if (!json_is_array(requests)) {
        json_decref(doc);
        return fail(response, 400, "the body needs a requests array", "PROTOCOL_ERROR");
    }
    struct session s = {.limits = &lim, .version = version};
    char msg[600];
    if (!(s.db = connection(path, msg, sizeof msg))) {
        json_decref(doc);
        return fail(response, 500, msg, "INTERNAL");
    }
    json_t *results = json_array();
    const char *bad = NULL;
    size_t i;
    json_t *req;
    json_array_foreach(requests, i, req) {
        json_t *r = run_request(&s, req, &bad);
        if (!r)
            break;
        json_array_append_new(results, r);
    }
    for (int k = 0; k < MAX_STORED_SQL; k++)
        free(s.stored[k]);
    /* No stream outlives its pipeline: a transaction left open ends here. */
    if (!sqlite3_get_autocommit(s.db))
        sqlite3_exec(s.db, "ROLLBACK", NULL, NULL, NULL);
    json_decref(doc);
    if (bad) {
        json_decref(results);
        return fail(response, 400, bad, "PROTOCOL_ERROR");
    }
    json_t *out = json_pack("{s:n, s:n, s:o}", "baton", "base_url", "results", results);
    *response = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    return *response ? 200 : fail(response, 500, "out of memory", "INTERNAL");
}
