/*
 * db_hrana.c - the remote backend: a libSQL server (Turso, sqld) over
 * Hrana over HTTP (docs/hrana.md).
 *
 * Every call is one `POST {base}/v2/pipeline` that opens a stream and
 * closes it again (a pipeline ending in `close`): no baton is ever kept,
 * so nothing expires between calls and a server restart costs nothing.
 *
 *  - A write batch goes as @libsql/client sends one: `BEGIN IMMEDIATE`,
 *    each statement conditioned on the previous one being ok, `COMMIT` on
 *    the last, `ROLLBACK` unless the COMMIT was ok. The server applies it
 *    or nothing of it, and the response says which.
 *  - A read is the statement between `BEGIN DEFERRED` and an unconditional
 *    `ROLLBACK`, so a statement that would write has no effect whatever it
 *    is; one that reports written rows is refused, as on SQLite.
 *  - Reads are retried on transport errors and 5xx (they change nothing);
 *    a write batch is not, since its outcome is then unknown: the message
 *    says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/base64.h"
#include "core/http.h"
#include "db/db_backend.h"

struct hrana_impl {
    char *endpoint;   /* {base}/v2/pipeline */
    char shown[512];  /* the endpoint for messages (db_redact_location) */
    char *auth;       /* "Authorization: Bearer ..." or NULL */
    struct http_client *reads, *writes;
};

/* ---- values ------------------------------------------------------------ */

static json_t *encode_value(const struct db_value *v)
{
    char num[32];
    switch (v->type) {
    case DB_NULL:
        return json_pack("{s:s}", "type", "null");
    case DB_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)v->i);
        return json_pack("{s:s, s:s}", "type", "integer", "value", num);
    case DB_REAL:
        return json_pack("{s:s, s:f}", "type", "float", "value", v->r);
    case DB_TEXT:
        return json_pack("{s:s, s:s%}", "type", "text", "value", v->p, v->len);
    case DB_BLOB: {
        char *b64 = base64_encode(v->p, v->len);
        if (!b64)
            return NULL;
        json_t *out = json_pack("{s:s, s:s}", "type", "blob", "base64", b64);
        free(b64);
        return out;
    }
    }
    return NULL;
}

/* A Hrana value into *out; text and blob bytes point into scratch memory
 * that the caller frees after copying (db_result_add_row copies). */
static int decode_value(const json_t *j, struct db_value *out, char **scratch, struct err *err)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    json_t *value = json_object_get(j, "value");
    *scratch = NULL;
    if (!type)
        return err_set(err, "a value without a type");
    if (strcmp(type, "null") == 0) {
        *out = db_null();
    } else if (strcmp(type, "integer") == 0) {
        const char *s = json_string_value(value);
        char *end;
        if (!s)
            return err_set(err, "an integer value that is not a string");
        *out = db_int(strtoll(s, &end, 10));
        if (*end)
            return err_set(err, "an integer value \"%.40s\" that is not a number", s);
    } else if (strcmp(type, "float") == 0) {
        /* sqld writes null for an infinity. */
        *out = db_real(json_is_null(value) ? 1.0 / 0.0 : json_number_value(value));
    } else if (strcmp(type, "text") == 0) {
        if (!json_is_string(value))
            return err_set(err, "a text value that is not a string");
        out->type = DB_TEXT;
        out->p = json_string_value(value);
        out->len = json_string_length(value);
    } else if (strcmp(type, "blob") == 0) {
        const char *b64 = json_string_value(json_object_get(j, "base64"));
        if (!b64)
            return err_set(err, "a blob value without base64");
        unsigned char *bytes = NULL;
        size_t len = 0;
        if (base64_decode(b64, &bytes, &len) < 0)
            return err_set(err, "a blob value with bad base64");
        *scratch = (char *)bytes;
        *out = db_blob(bytes, len);
    } else {
        return err_set(err, "a value of unknown type \"%.20s\"", type);
    }
    return 0;
}

static json_t *encode_stmt(const char *sql, const struct db_value *args, size_t nargs, int want_rows)
{
    json_t *list = json_array();
    for (size_t i = 0; i < nargs; i++)
        json_array_append_new(list, encode_value(&args[i]));
    return json_pack("{s:s, s:o, s:[], s:b}", "sql", sql, "args", list, "named_args", "want_rows", want_rows);
}

/* A StmtResult into a db_result. */
static int decode_result(const json_t *j, struct db_result **out, struct err *err)
{
    json_t *cols = json_object_get(j, "cols"), *rows = json_object_get(j, "rows");
    if (!json_is_array(cols) || !json_is_array(rows))
        return err_set(err, "a statement result without cols and rows");
    size_t ncols = json_array_size(cols);
    struct db_result *r = db_result_new(ncols, err);
    struct db_value *values = calloc(ncols + 1, sizeof *values);
    char **scratch = calloc(ncols + 1, sizeof *scratch);
    int rc = -1;
    if (!r || !values || !scratch) {
        err_set(err, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < ncols; c++) {
        const char *name = json_string_value(json_object_get(json_array_get(cols, c), "name"));
        if (db_result_set_col(r, c, name ? name : "", err) < 0)
            goto out;
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        if (json_array_size(row) != ncols) {
            err_set(err, "row %zu has %zu values for %zu columns", i, json_array_size(row), ncols);
            goto out;
        }
        int bad = 0;
        for (size_t c = 0; c < ncols && !bad; c++)
            bad = decode_value(json_array_get(row, c), &values[c], &scratch[c], err) < 0;
        int added = bad ? -1 : db_result_add_row(r, values, err);
        for (size_t c = 0; c < ncols; c++) {
            free(scratch[c]);
            scratch[c] = NULL;
        }
        if (added < 0)
            goto out;
    }
    r->changes = json_integer_value(json_object_get(j, "affected_row_count"));
    const char *rowid = json_string_value(json_object_get(j, "last_insert_rowid"));
    r->last_insert_rowid = rowid ? strtoll(rowid, NULL, 10) : 0;
    *out = r;
    r = NULL;
    rc = 0;
out:
    db_result_free(r);
    free(values);
    free(scratch);
    return rc;
}

/* "message (CODE)" of a Hrana error object. */
static void error_text(const json_t *e, char *out, size_t size)
{
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *code = json_string_value(json_object_get(e, "code"));
    if (!msg)
        msg = json_string_value(json_object_get(e, "error"));
    /* sqld prefixes SQLite's own messages; the code says the same. */
    if (msg && strncmp(msg, "SQLite error: ", 14) == 0)
        msg += 14;
    /* The words the SQLite backend uses for the same mistake. */
    const char *lead = code && strcmp(code, "SQL_MANY_STATEMENTS") == 0 ? "one statement at a time: " : "";
    snprintf(out, size, "%s%s%s%s%s", lead, msg ? msg : "unknown error", code ? " (" : "", code ? code : "",
             code ? ")" : "");
}

/* ---- the pipeline ---------------------------------------------------------- */

/* Posts one pipeline of requests (a close is appended) and returns the
 * response of the first request in *response (a reference into *doc). */
static int pipeline(struct hrana_impl *h, struct http_client *http, int is_write, json_t *request, json_t **doc,
                    json_t **response, struct err *err)
{
    json_t *body = json_pack("{s:[O, {s:s}]}", "requests", request, "type", "close");
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return err_set(err, "out of memory");
    const char *headers[] = {"Content-Type: application/json", h->auth, NULL};
    struct http_request req = {"POST", h->endpoint, headers, text, strlen(text)};
    struct http_response resp;
    int rc = http_do(http, &req, &resp, err);
    free(text);
    *doc = NULL;
    if (rc < 0) {
        if (is_write)
            err_prefix(err, "the write's outcome is unknown (no answer from the server)");
        goto out;
    }
    rc = -1;
    json_t *parsed = json_loadb(resp.body.data, resp.body.len, 0, NULL);
    if (resp.status != 200) {
        char detail[600];
        if (parsed)
            error_text(parsed, detail, sizeof detail);
        else
            snprintf(detail, sizeof detail, "%.300s", resp.body.len ? resp.body.data : "empty body");
        json_decref(parsed);
        if (resp.status == 401)
            err_set(err, "%s: the server refused the token (HTTP 401): %s; check TURSO_AUTH_TOKEN", h->shown,
                    detail);
        else if (resp.status == 403)
            err_set(err, "%s: the token may not do this (HTTP 403, a read-only token?): %s", h->shown, detail);
        else
            err_set(err, "%s: HTTP %ld: %s", h->shown, resp.status, detail);
        goto out;
    }
    json_t *result = json_array_get(json_object_get(parsed, "results"), 0);
    const char *type = json_string_value(json_object_get(result, "type"));
    if (!type) {
        json_decref(parsed);
        err_set(err, "%s: not a Hrana pipeline response", h->shown);
        goto out;
    }
    if (strcmp(type, "ok") != 0) {
        char detail[600];
        error_text(json_object_get(result, "error"), detail, sizeof detail);
        json_decref(parsed);
        err_set(err, "%s", detail);
        goto out;
    }
    *doc = parsed;
    *response = json_object_get(result, "response");
    rc = 0;
out:
    http_response_free(&resp);
    return rc;
}

static json_t *step(json_t *stmt, int cond_kind, int cond_step)
{
    /* cond_kind: 0 none, 1 ok(step), 2 not ok(step) */
    if (cond_kind == 0)
        return json_pack("{s:o}", "stmt", stmt);
    json_t *ok = json_pack("{s:s, s:i}", "type", "ok", "step", cond_step);
    json_t *cond = cond_kind == 1 ? ok : json_pack("{s:s, s:o}", "type", "not", "cond", ok);
    return json_pack("{s:o, s:o}", "condition", cond, "stmt", stmt);
}

/* The step error of step i, if any, as text. */
static int step_failed(const json_t *batch, size_t i, char *out, size_t size)
{
    json_t *e = json_array_get(json_object_get(batch, "step_errors"), i);
    if (!json_is_object(e))
        return 0;
    error_text(e, out, size);
    return 1;
}

static int run_query(struct hrana_impl *h, struct http_client *http, const struct db_stmt *stmt,
                     struct db_result **out, struct err *err)
{
    json_t *steps = json_array();
    json_array_append_new(steps, step(encode_stmt("BEGIN DEFERRED", NULL, 0, 0), 0, 0));
    json_array_append_new(steps, step(encode_stmt(stmt->sql, stmt->args, stmt->nargs, 1), 1, 0));
    json_array_append_new(steps, step(encode_stmt("ROLLBACK", NULL, 0, 0), 0, 0));
    json_t *request = json_pack("{s:s, s:{s:o}}", "type", "batch", "batch", "steps", steps);
    json_t *doc = NULL, *response;
    char snippet[160], detail[600];
    db_sql_snippet(stmt->sql, snippet, sizeof snippet);
    int rc = pipeline(h, http, 0, request, &doc, &response, err);
    json_decref(request);
    if (rc < 0)
        return err_prefix(err, "query failed [%s]", snippet);
    rc = -1;
    json_t *batch = json_object_get(response, "result");
    if (step_failed(batch, 1, detail, sizeof detail) || step_failed(batch, 0, detail, sizeof detail)) {
        err_set(err, "query failed: %s [%s]", detail, snippet);
        goto out;
    }
    json_t *result = json_array_get(json_object_get(batch, "step_results"), 1);
    if (!json_is_object(result)) {
        err_set(err, "query failed: the server skipped it [%s]", snippet);
        goto out;
    }
    if (json_integer_value(json_object_get(result, "rows_written")) > 0 ||
        json_integer_value(json_object_get(result, "affected_row_count")) > 0) {
        err_set(err, "query refused: the statement writes; writes go in a batch [%s]", snippet);
        goto out;
    }
    rc = decode_result(result, out, err);
    if (rc < 0)
        err_prefix(err, "query [%s]", snippet);
out:
    json_decref(doc);
    return rc;
}

static int hrana_query(void *impl, const struct db_stmt *stmt, struct db_result **out, struct err *err)
{
    struct hrana_impl *h = impl;
    return run_query(h, h->reads, stmt, out, err);
}

static int hrana_batch(void *impl, const struct db_stmt *stmts, size_t n, struct db_result **results,
                       struct err *err)
{
    struct hrana_impl *h = impl;
    json_t *steps = json_array();
    json_array_append_new(steps, step(encode_stmt("BEGIN IMMEDIATE", NULL, 0, 0), 0, 0));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(steps, step(encode_stmt(stmts[i].sql, stmts[i].args, stmts[i].nargs, 1), 1, (int)i));
    json_array_append_new(steps, step(encode_stmt("COMMIT", NULL, 0, 0), 1, (int)n));
    json_array_append_new(steps, step(encode_stmt("ROLLBACK", NULL, 0, 0), 2, (int)n + 1));
    json_t *request = json_pack("{s:s, s:{s:o}}", "type", "batch", "batch", "steps", steps);
    json_t *doc = NULL, *response;
    int rc = pipeline(h, h->writes, 1, request, &doc, &response, err);
    json_decref(request);
    if (rc < 0)
        return err_prefix(err, "batch of %zu statements failed", n);
    rc = -1;
    json_t *batch = json_object_get(response, "result");
    char detail[600], snippet[160];
    if (step_failed(batch, 0, detail, sizeof detail)) {
        err_set(err, "batch not started: %s", detail);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (step_failed(batch, i + 1, detail, sizeof detail)) {
            db_sql_snippet(stmts[i].sql, snippet, sizeof snippet);
            err_set(err, "statement %zu of %zu: %s [%s]", i + 1, n, detail, snippet);
            goto out;
        }
    json_t *step_results = json_object_get(batch, "step_results");
    if (step_failed(batch, n + 1, detail, sizeof detail) || !json_is_object(json_array_get(step_results, n + 1))) {
        err_set(err, "batch not committed: %s", step_failed(batch, n + 1, detail, sizeof detail) ? detail : "skipped");
        goto out;
    }
    if (results) {
        for (size_t i = 0; i < n; i++)
            if (decode_result(json_array_get(step_results, i + 1), &results[i], err) < 0) {
                db_results_free(results, n);
                err_prefix(err, "statement %zu of %zu (committed)", i + 1, n);
                goto out;
            }
    }
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

static void hrana_close(void *impl)
{
    struct hrana_impl *h = impl;
    if (!h)
        return;
    http_client_free(h->reads);
    http_client_free(h->writes);
    free(h->endpoint);
    free(h->auth);
    free(h);
}

/* No backup: a remote database is copied to a file with `migrate`. */
const struct db_backend_ops db_hrana_ops = {"remote", hrana_query, hrana_batch, hrana_close, NULL};

int db_hrana_open(const char *url, const struct db_open_opts *opts, void **impl, struct err *err)
{
    struct hrana_impl *h = calloc(1, sizeof *h);
    if (!h)
        return err_set(err, "out of memory");
    /* libsql://host is https://host, as the official clients read it. */
    const char *rest = url;
    const char *scheme = "https://";
    if (strncasecmp(url, "libsql://", 9) == 0)
        rest = url + 9;
    else if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7, scheme = "http://";
    size_t len = strcspn(rest, "?#");
    while (len && rest[len - 1] == '/')
        len--;
    if (len == 0) {
        hrana_close(h);
        char shown[512];
        db_redact_location(url, shown, sizeof shown);
        return err_set(err, "%s: no host in the database URL", shown);
    }
    size_t size = strlen(scheme) + len + sizeof "/v2/pipeline";
    h->endpoint = malloc(size);
    if (h->endpoint) {
        snprintf(h->endpoint, size, "%s%.*s/v2/pipeline", scheme, (int)len, rest);
        db_redact_location(h->endpoint, h->shown, sizeof h->shown);
    }
    if (opts->token && *opts->token) {
        size_t asize = strlen(opts->token) + sizeof "Authorization: Bearer ";
        if ((h->auth = malloc(asize)) != NULL)
            snprintf(h->auth, asize, "Authorization: Bearer %s", opts->token);
    }
    if (!h->endpoint || (opts->token && *opts->token && !h->auth)) {
        hrana_close(h);
        return err_set(err, "out of memory");
    }
    struct http_client_opts ro = {.retries = 3, .backoff_ms = 250, .timeout_ms = 30000, .max_body = 64u << 20};
    struct http_client_opts rw = {.retries = 0, .timeout_ms = 30000, .max_body = 64u << 20};
    if (http_client_new(&ro, &h->reads, err) < 0 || http_client_new(&rw, &h->writes, err) < 0) {
        hrana_close(h);
        return -1;
    }
    /* Say now, at open, when the server cannot be reached or refuses us
     * (once, without retries: a wrong URL should fail fast). */
    struct db_result *probe = NULL;
    if (run_query(h, h->writes, &DB_SQL("SELECT 1"), &probe, err) < 0) {
        hrana_close(h);
        char shown[512];
        db_redact_location(url, shown, sizeof shown);
        return err_prefix(err, "cannot open database %s", shown);
    }
    db_result_free(probe);
    *impl = h;
    return 0;
}
