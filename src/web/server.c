/* server.c - the HTTP server of `serve`; see server.h. */
#include "web/server.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/log.h"
#include "web/assets.h"
#include "web/firstrow.h"
#include "web/metrics.h"
#include "web/sqlapi.h"

#define BODY_MAX (1024 * 1024)
/* Inngest sends run state inline up to 4 MiB (then it asks the SDK to fetch it). */
#define INNGEST_BODY_MAX (5 * 1024 * 1024)

struct web_server {
    struct MHD_Daemon *daemon;
    struct flow_engine *engine;
    char event_key[256];
    char *sql_db;
    char *read_token;
    int public_sql;
    struct sqlapi_limits sql_limits;
    struct flow_inngest *inngest;
    const struct flow_inngest_opts *inngest_events;
    char inngest_path[256];
    int port;
    pthread_mutex_t metrics_lock; /* guards sql_metrics: every pool thread counts into it */
    struct web_metrics_sql sql_metrics;
};

struct request {
    struct buf body;
    int too_large;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    enum MHD_Result rc = reply(c, status, "application/json", text ? text : "{}");
    free(text);
    return rc;
}

static enum MHD_Result error_json(struct MHD_Connection *c, unsigned status, const char *message)
{
    return reply_json(c, status, json_pack("{s:s, s:i}", "error", message, "status", status));
}

static int is_loopback(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return 0;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

static json_t *run_json(const struct store_flow_run *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I}", "id", r->id, "function_id", r->function_id,
                          "event_id", r->event_id, "status", r->status, "attempt", r->attempt, "created_at",
                          (json_int_t)r->created_at, "started_at", (json_int_t)r->started_at, "ended_at",
                          (json_int_t)r->ended_at);
    json_object_set_new(o, "output", r->output ? json_loads(r->output, JSON_DECODE_ANY, NULL) : json_null());
    json_object_set_new(o, "error", r->error ? json_string(r->error) : json_null());
    json_object_set_new(o, "parent_run_id", r->parent_run_id[0] ? json_string(r->parent_run_id) : json_null());
    return o;
}

static enum MHD_Result handle_runs(struct web_server *s, struct MHD_Connection *c, const char *id)
{
    struct store *store = flow_engine_store(s->engine);
    struct err err = {{0}};
    if (!id) {
        struct store_flow_run *runs = NULL;
        size_t n = 0;
        if (store_flow_runs_list(store, 200, &runs, &n, &err) < 0)
            return error_json(c, 500, err.msg);
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(arr, run_json(&runs[i]));
            store_flow_run_clear(&runs[i]);
        }
        free(runs);
        return reply_json(c, 200, json_pack("{s:o}", "runs", arr));
    }
    struct store_flow_run run;
    int found = 0;
    if (store_flow_run_get(store, id, &run, &found, &err) < 0)
        return error_json(c, 500, err.msg);
    if (!found)
        return error_json(c, 404, "no such run");
    json_t *o = run_json(&run);
    struct store_flow_step *steps = NULL;
    size_t n = 0;
    if (store_flow_steps(store, run.id, &steps, &n, &err) < 0) {
        json_decref(o);
        store_flow_run_clear(&run);
        return error_json(c, 500, err.msg);
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct store_flow_step *st = &steps[i];
        json_t *so = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I}", "name", st->name ? st->name : "", "kind", st->kind,
                               "status", st->status, "attempts", st->attempts, "started_at",
                               (json_int_t)st->started_at, "ended_at", (json_int_t)st->ended_at);
        json_object_set_new(so, "output", st->output ? json_loads(st->output, JSON_DECODE_ANY, NULL) : json_null());
        json_object_set_new(so, "error", st->error ? json_string(st->error) : json_null());
        json_array_append_new(arr, so);
    }
    json_object_set_new(o, "steps", arr);
    store_flow_steps_free(steps, n);
    store_flow_run_clear(&run);
    return reply_json(c, 200, o);
}

static enum MHD_Result handle_events(struct web_server *s, struct MHD_Connection *c, const char *key,
                                     struct request *req)
{
    if (!is_loopback(c) && (!s->event_key[0] || strcmp(key, s->event_key) != 0))
        return error_json(c, 401, "event key required");
    if (req->too_large)
        return error_json(c, 413, "body larger than 1 MB");
    json_error_t jerr;
    json_t *body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
    if (!body)
        return error_json(c, 400, "the body is not JSON");
    json_t *ids = json_array();
    if (s->inngest_events) {
        struct err err = {{0}};
        int rc = flow_inngest_send_events(s->inngest_events, body, ids, &err);
        json_decref(body);
        if (rc < 0) {
            json_decref(ids);
            return error_json(c, 502, err.msg);
        }
        return reply_json(c, 200, json_pack("{s:o, s:i}", "ids", ids, "status", 200));
    }
    size_t n = json_is_array(body) ? json_array_size(body) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_is_array(body) ? json_array_get(body, i) : body;
        const char *name = json_string_value(json_object_get(ev, "name"));
        if (!name || !*name) {
            json_decref(body);
            json_decref(ids);
            return error_json(c, 400, "an event needs a name");
        }
        char id[64];
        struct err err = {{0}};
        if (flow_engine_send(s->engine, name, json_object_get(ev, "data"), json_string_value(json_object_get(ev, "id")),
                             id, &err) < 0) {
            json_decref(body);
            json_decref(ids);
            return error_json(c, 500, err.msg);
        }
        json_array_append_new(ids, json_string(id));
    }
    json_decref(body);
    return reply_json(c, 200, json_pack("{s:o, s:i}", "ids", ids, "status", 200));
}

static enum MHD_Result reply_cors(struct MHD_Connection *c, unsigned status, const char *type, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    /* Listed by name: a wildcard does not cover Authorization. */
    MHD_add_response_header(r, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Anyone when public; else the read token in constant time, or loopback
 * when none is set. */
static int sql_allowed(struct web_server *s, struct MHD_Connection *c)
{
    if (s->public_sql)
        return 1;
    if (!s->read_token)
        return is_loopback(c);
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return 0;
    size_t n = strlen(auth + 7), m = strlen(s->read_token);
    return n == m && CRYPTO_memcmp(auth + 7, s->read_token, m) == 0;
}

/* The SQL route; *status gets the HTTP status it answered, for the counters. */
static enum MHD_Result sql_route(struct web_server *s, struct MHD_Connection *c, int version, struct request *req,
                                 unsigned *status)
{
    if (!s->sql_db)
        return reply_cors(c, *status = 404, "application/json",
                          "{\"message\":\"no SQL endpoint: the database is not an embedded file\",\"code\":\"NOT_FOUND\"}");
    if (!sql_allowed(s, c))
        return reply_cors(c, *status = 401, "application/json",
                          s->read_token ? "{\"message\":\"a valid read token is required\",\"code\":\"UNAUTHORIZED\"}"
                                        : "{\"message\":\"only loopback clients without --read-token\",\"code\":\"UNAUTHORIZED\"}");
    if (req->too_large)
        return reply_cors(c, *status = 413, "application/json", "{\"message\":\"the request body is too large\",\"code\":\"PROTOCOL_ERROR\"}");
    char *out = NULL;
    *status = sqlapi_pipeline(s->sql_db, &s->sql_limits, version, req->body.data ? req->body.data : "",
                              req->body.len, &out);
    enum MHD_Result rc = reply_cors(c, *status, "application/json", out ? out : "{}");
    free(out);
    return rc;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The SQL route, counted for /metrics: every answer, refusals included
 * (a burst of 401s is what an operator wants to see). */
static enum MHD_Result handle_sql(struct web_server *s, struct MHD_Connection *c, int version, struct request *req)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned status = 0;
    enum MHD_Result rc = sql_route(s, c, version, req, &status);
    double took = seconds_since(&t0);
    pthread_mutex_lock(&s->metrics_lock);
    web_metrics_sql_observe(&s->sql_metrics, status, took);
    pthread_mutex_unlock(&s->metrics_lock);
    return rc;
}

/* GET /metrics: the same access rule as the SQL endpoint, since it
 * summarises the same data (model ids, costs). The counters are copied
 * under the lock and rendered outside it, so a scrape never holds up a
 * SQL request. */
static enum MHD_Result handle_metrics(struct web_server *s, struct MHD_Connection *c)
{
    if (!sql_allowed(s, c))
        return reply(c, 401, "text/plain; charset=utf-8",
                     s->read_token ? "a valid read token is required\n" : "only loopback clients without --read-token\n");
    struct web_metrics_sql *sql = malloc(sizeof *sql); /* ~5 KB: off the pool thread's stack */
    struct store_metrics db = {0};
    struct err err = {{0}};
    char *text = NULL;
    enum MHD_Result rc;
    if (!sql) {
        rc = reply(c, 500, "text/plain; charset=utf-8", "out of memory\n");
        goto out;
    }
    pthread_mutex_lock(&s->metrics_lock);
    *sql = s->sql_metrics;
    pthread_mutex_unlock(&s->metrics_lock);
    if (store_metrics_read(flow_engine_store(s->engine), &db, &err) < 0 ||
        web_metrics_render(&db, sql, &text, &err) < 0) {
        log_error("GET /metrics: %s", err.msg);
        /* A failed scrape must look failed to Prometheus, not like zeros. */
        rc = reply(c, 500, "text/plain; charset=utf-8", "cannot read the metrics; the server log says why\n");
        goto out;
    }
    rc = reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", text);
out:
    free(text);
    store_metrics_free(&db);
    free(sql);
    return rc;
}

/* The page may talk to its own origin only: even a string that slipped into
 * the DOM as markup could neither run inline script nor send data away. */
static const char dashboard_csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static enum MHD_Result handle_asset(struct MHD_Connection *c, const struct web_asset *a)
{
    const char *match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    int fresh = match && strcmp(match, a->etag) == 0;
    struct MHD_Response *r = MHD_create_response_from_buffer(fresh ? 0 : a->len, fresh ? (void *)"" : (void *)a->data,
                                                             MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", a->type);
    MHD_add_response_header(r, "ETag", a->etag);
    /* Revalidated on every load: a new binary serves new files at once. */
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy", dashboard_csp);
    enum MHD_Result rc = MHD_queue_response(c, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* GET /: index.html with the newest ranked week's board in it (firstrow.h)
 * for a client that may read the data anyway; the plain file otherwise, or
 * when there is nothing ranked yet or the read fails. Only on an embedded
 * file (the SQL endpoint's), so the page never waits on a remote database. */
static enum MHD_Result handle_index(struct web_server *s, struct MHD_Connection *c, const struct web_asset *a)
{
    char *page = NULL;
    size_t len = 0;
    struct err err = {{0}};
    int rc = s->sql_db && sql_allowed(s, c) ? web_firstrow_page(flow_engine_store(s->engine), &page, &len, &err) : 0;
    if (rc < 0)
        log_warn("GET /: %s", err.msg);
    if (rc <= 0)
        return handle_asset(c, a);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(page);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", a->type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy", dashboard_csp);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle_inngest(struct web_server *s, struct MHD_Connection *c, const char *method,
                                      struct request *req)
{
    if (req->too_large)
        return error_json(c, 413, "body larger than the limit");
    struct flow_inngest_request ir = {
        .method = method,
        .fn_id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fnId"),
        .step_id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "stepId"),
        .deploy_id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "deployId"),
        .probe = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "probe"),
        .signature = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Inngest-Signature"),
        .server_kind = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Inngest-Server-Kind"),
        .host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host"),
        .body = req->body.data ? req->body.data : "",
        .body_len = req->body.len,
    };
    struct flow_inngest_reply out;
    flow_inngest_handle(s->inngest, &ir, &out);
    const char *text = out.body ? out.body : "null";
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_NO;
    if (r) {
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "X-Inngest-SDK", flow_inngest_sdk_header());
        MHD_add_response_header(r, "X-Inngest-Req-Version", "2");
        if (out.no_retry)
            MHD_add_response_header(r, "X-Inngest-No-Retry", out.no_retry);
        if (out.retry_after_s >= 0) {
            char ra[32];
            snprintf(ra, sizeof ra, "%ld", out.retry_after_s);
            MHD_add_response_header(r, "Retry-After", ra);
        }
        rc = MHD_queue_response(c, out.status, r);
        MHD_destroy_response(r);
    }
    flow_inngest_reply_clear(&out);
    return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct web_server *s = cls;
    if (!*con_cls) {
        struct request *req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        buf_init(&req->body, s->inngest && strcmp(url, s->inngest_path) == 0 ? INNGEST_BODY_MAX : BODY_MAX);
        *con_cls = req;
        return MHD_YES;
    }
    struct request *req = *con_cls;
    if (*upload_size) {
        if (buf_append(&req->body, upload_data, *upload_size, NULL) < 0)
            req->too_large = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (s->inngest && strcmp(url, s->inngest_path) == 0)
        return handle_inngest(s, c, method, req);
    if (strcmp(method, "OPTIONS") == 0)
        return reply_cors(c, 204, "text/plain", "");
    if (strcmp(method, "POST") == 0 && (strcmp(url, "/v2/pipeline") == 0 || strcmp(url, "/v3/pipeline") == 0))
        return handle_sql(s, c, url[2] == '3' ? 3 : 2, req);
    if (strcmp(method, "GET") == 0) {
        if (strcmp(url, "/v2") == 0 || strcmp(url, "/v3") == 0)
            return reply_cors(c, 200, "text/plain", "Hello, this is HTTP API v2 (Hrana over HTTP), read-only");
        if (strcmp(url, "/health") == 0)
            return reply(c, 200, "application/json", "{\"status\":\"ok\"}");
        if (strcmp(url, "/metrics") == 0)
            return handle_metrics(s, c);
        if (strcmp(url, "/api/runs") == 0)
            return handle_runs(s, c, NULL);
        if (strncmp(url, "/api/runs/", 10) == 0 && url[10])
            return handle_runs(s, c, url + 10);
        const struct web_asset *asset = web_asset_find(url);
        if (asset && strcmp(asset->path, "/index.html") == 0)
            return handle_index(s, c, asset);
        if (asset)
            return handle_asset(c, asset);
    } else if (strcmp(method, "POST") == 0 && strncmp(url, "/e/", 3) == 0) {
        return handle_events(s, c, url + 3, req);
    }
    return error_json(c, 404, "not found");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct request *req = *con_cls;
    if (req) {
        buf_free(&req->body);
        free(req);
        *con_cls = NULL;
    }
}

int web_server_start(struct flow_engine *engine, const struct web_server_opts *opts, struct web_server **out,
                     struct err *err)
{
    const char *listen = opts && opts->listen ? opts->listen : "127.0.0.1:8080";
    char host[64];
    int port;
    const char *colon = strrchr(listen, ':');
    if (!colon || colon - listen >= (long)sizeof host || sscanf(colon + 1, "%d", &port) != 1 || port < 0 || port > 65535)
        return err_set(err, "--listen %s: expected ADDRESS:PORT, e.g. 127.0.0.1:8080", listen);
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host[0] ? host : "127.0.0.1", &addr.sin_addr) != 1)
        return err_set(err, "--listen %s: %s is not an IPv4 address", listen, host);
    struct web_server *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(err, "out of memory");
    s->engine = engine;
    pthread_mutex_init(&s->metrics_lock, NULL);
    if (opts && opts->event_key)
        snprintf(s->event_key, sizeof s->event_key, "%s", opts->event_key);
    if (opts && opts->sql_db)
        s->sql_db = strdup(opts->sql_db);
    if (opts && opts->read_token && *opts->read_token)
        s->read_token = strdup(opts->read_token);
    if (opts) {
        s->sql_limits = opts->sql_limits;
        s->public_sql = opts->public_sql;
        s->inngest = opts->inngest;
        s->inngest_events = opts->inngest_events;
        snprintf(s->inngest_path, sizeof s->inngest_path, "%s",
                 opts->inngest_events && opts->inngest_events->serve_path ? opts->inngest_events->serve_path
                                                                          : "/api/inngest");
    }
    unsigned threads = opts && opts->threads > 0 ? (unsigned)opts->threads : 4;
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handler, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)30, MHD_OPTION_END);
    if (!s->daemon) {
        pthread_mutex_destroy(&s->metrics_lock);
        free(s->sql_db);
        free(s->read_token);
        free(s);
        return err_set(err, "cannot listen on %s (in use, or not an address of this machine)", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    *out = s;
    return 0;
}

int web_server_port(const struct web_server *s)
{
    return s->port;
}

void web_server_stop(struct web_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    pthread_mutex_destroy(&s->metrics_lock);
    free(s->sql_db);
    free(s->read_token);
    free(s);
}
