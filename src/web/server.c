/* server.c - the HTTP server of `serve`; see server.h. */
#include "web/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/utc.h"
#include "web/assets.h"
#include "web/firstrow.h"
#include "web/metrics.h"
#include "web/pool.h"
#include "web/sqlapi.h"

#define BODY_MAX (1024 * 1024)
/* Inngest sends run state inline up to 4 MiB (then it asks the SDK to fetch it). */
#define INNGEST_BODY_MAX (5 * 1024 * 1024)
/* The bytes of request bodies all connections together may hold at once. */
#define BODY_BUDGET_DEFAULT (32u * 1024 * 1024)
/* The longest event id: the engine answers ids in 64 bytes. */
#define WEB_EVENT_ID_MAX 63

/* One open connection, for the header timeout: libmicrohttpd's own
 * timeout is for silence, and a client sending a header line every few
 * seconds is never silent. */
struct conn_track {
    struct conn_track *prev, *next;
    int fd;
    int64_t since_ms;   /* when it opened, or finished its last request */
    int in_request;     /* headers complete: its handler is running */
    int cut;            /* shut down by the reaper */
};

struct web_server {
    struct MHD_Daemon *daemon;
    struct flow_engine *engine;
    char event_key[256];
    char *sql_db;
    char *read_token;
    int public_sql;
    char allow_origins[WEB_SERVER_LIST_MAX][256]; /* --allow-origin */
    int n_allow_origins;
    char public_hosts[WEB_SERVER_LIST_MAX][256];  /* --public-host: names the Host header may carry */
    int n_public_hosts;
    char listen_host[64];                         /* the address listened on, a Host too */
    struct sqlapi_limits sql_limits;
    struct sqlapi_watchdog *watchdog; /* interrupts pipelines past their deadline */
    struct web_pool *sql_pool;        /* runs the pipelines, off the HTTP threads */
    struct flow_inngest *inngest;
    const struct flow_inngest_opts *inngest_events;
    int (*event_check)(void *ctx, const char *name, const json_t *data, struct err *err);
    void *event_check_ctx;
    const struct store_step_fields *step_fields; /* /metrics' sums of step outputs; may be NULL */
    char inngest_path[256];
    int port;
    size_t body_budget;          /* bytes of bodies in flight, at most */
    size_t body_inflight;        /* reserved now; guarded by body_lock */
    pthread_mutex_t body_lock;
    /* The header timeout: a reaper thread shuts down connections whose
     * headers take longer than header_timeout_ms. */
    long header_timeout_ms;
    pthread_mutex_t conn_lock;   /* guards conns and reaper_stop */
    pthread_cond_t reaper_wake;
    struct conn_track conns;     /* list head */
    int reaper_stop;
    pthread_t reaper;
    int reaper_running;
    pthread_mutex_t metrics_lock; /* guards sql_metrics: every pool thread counts into it */
    struct web_metrics_sql sql_metrics;
};

struct request {
    struct buf body;
    size_t reserved;             /* bytes of the body budget this request holds */
    /* A SQL pipeline handed to the pool: the connection is suspended
     * until the pool thread has filled sql_status and sql_out. */
    struct web_server *server;
    struct MHD_Connection *conn;
    int sql_version;
    int sql_done;
    unsigned sql_status;
    char *sql_out;
    struct timespec t0;
};

static int sql_allowed(struct web_server *s, struct MHD_Connection *c);

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

/* Whether a Host header names this machine's loopback: localhost,
 * 127.0.0.0/8 or [::1], with or without a port. */
static int host_is_loopback(const char *host)
{
    if (!host)
        return 0;
    char name[256];
    size_t n;
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (!end || (end[1] && end[1] != ':'))
            return 0;
        n = (size_t)(end - host - 1);
        if (n >= sizeof name)
            return 0;
        memcpy(name, host + 1, n);
        name[n] = '\0';
        struct in6_addr a6;
        return inet_pton(AF_INET6, name, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    n = strcspn(host, ":");
    if (n == 0 || n >= sizeof name)
        return 0;
    memcpy(name, host, n);
    name[n] = '\0';
    if (strcasecmp(name, "localhost") == 0)
        return 1;
    struct in_addr a4;
    return inet_pton(AF_INET, name, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* Whether Host names this server: a loopback name, a --public-host name,
 * or the address it listens on (a name an attacker's DNS can point here,
 * rebinding, is none of these). Compared without the port. */
static int host_allowed(const struct web_server *s, const char *host)
{
    if (!host)
        return 0;
    if (host_is_loopback(host))
        return 1;
    size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
    if (host[0] == '[' && !strchr(host, ']'))
        return 0;
    for (int i = 0; i < s->n_public_hosts; i++)
        if (strlen(s->public_hosts[i]) == n && strncasecmp(host, s->public_hosts[i], n) == 0)
            return 1;
    return s->listen_host[0] && strlen(s->listen_host) == n && strncmp(host, s->listen_host, n) == 0;
}

/* A request an operator made on this machine: a loopback peer, a loopback
 * Host, and none of the headers a proxy adds. Behind a reverse proxy every
 * peer is loopback, so the peer alone proves nothing; a proxy that adds no
 * header and rewrites Host to the upstream's still passes, which is why
 * the README says to set the read token or --public-sql behind one. */
static int is_local_request(struct MHD_Connection *c)
{
    static const char *const forwarded[] = {"Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host", NULL};
    if (!is_loopback(c))
        return 0;
    for (const char *const *h = forwarded; *h; h++)
        if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, *h))
            return 0;
    return host_is_loopback(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST));
}

/* Compares a secret someone sent with ours without leaking, through the
 * time taken, how much of it matched. */
static int secret_equal(const char *given, const char *secret)
{
    size_t n = strlen(given), m = strlen(secret);
    return n == m && CRYPTO_memcmp(given, secret, m) == 0;
}


/* ---- connections: the header timeout ----------------------------------------------- */

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    struct web_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_track *t = calloc(1, sizeof *t);
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!t || !info) {
            free(t);
            return;
        }
        t->fd = info->connect_fd;
        t->since_ms = utc_mono_ms();
        pthread_mutex_lock(&s->conn_lock);
        t->next = s->conns.next;
        t->prev = &s->conns;
        s->conns.next->prev = t;
        s->conns.next = t;
        pthread_mutex_unlock(&s->conn_lock);
        *socket_context = t;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        /* Called before libmicrohttpd closes the socket: the reaper never
         * shuts down a descriptor that was reused. */
        struct conn_track *t = *socket_context;
        pthread_mutex_lock(&s->conn_lock);
        t->prev->next = t->next;
        t->next->prev = t->prev;
        pthread_mutex_unlock(&s->conn_lock);
        free(t);
        *socket_context = NULL;
    }
}

/* Marks the connection as in a request (headers complete) or between requests. */
static void track_request(struct web_server *s, struct MHD_Connection *c, int in_request)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_track *t = info ? info->socket_context : NULL;
    if (!t)
        return;
    pthread_mutex_lock(&s->conn_lock);
    t->in_request = in_request;
    t->since_ms = utc_mono_ms();
    pthread_mutex_unlock(&s->conn_lock);
}

static void *reaper(void *arg)
{
    struct web_server *s = arg;
    pthread_mutex_lock(&s->conn_lock);
    while (!s->reaper_stop) {
        int64_t now = utc_mono_ms();
        for (struct conn_track *t = s->conns.next; t != &s->conns; t = t->next)
            if (!t->in_request && !t->cut && now - t->since_ms > s->header_timeout_ms) {
                /* libmicrohttpd sees the end of the stream and closes it. */
                shutdown(t->fd, SHUT_RDWR);
                t->cut = 1;
            }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->reaper_wake, &s->conn_lock, &ts);
    }
    pthread_mutex_unlock(&s->conn_lock);
    return NULL;
}

static void reaper_stop(struct web_server *s)
{
    if (!s->reaper_running)
        return;
    pthread_mutex_lock(&s->conn_lock);
    s->reaper_stop = 1;
    pthread_cond_signal(&s->reaper_wake);
    pthread_mutex_unlock(&s->conn_lock);
    pthread_join(s->reaper, NULL);
    s->reaper_running = 0;
}

/* The connection limit: the configured one, but always below the
 * descriptors this process may open (the database and the workers' sockets
 * need some too), so a flood is refused at accept, not by a failing open. */
static unsigned connection_limit(unsigned wanted)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        rlim_t room = rl.rlim_cur > 128 ? rl.rlim_cur - 64 : rl.rlim_cur / 2;
        if (room < wanted)
            wanted = room > 0 ? (unsigned)room : 1;
    }
    return wanted;
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

/* GET /api/runs: run outputs and errors, under the SQL endpoint's rule. */
static enum MHD_Result handle_runs(struct web_server *s, struct MHD_Connection *c, const char *id)
{
    if (!sql_allowed(s, c))
        return error_json(c, 401, s->read_token ? "a valid read token is required"
                                                : "without --read-token or --public-sql only local requests "
                                                  "(loopback, no proxy headers)");
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

static int refuse_events(char *why, size_t size, const char *fmt, size_t i)
{
    snprintf(why, size, fmt, i, WEB_EVENT_ID_MAX);
    return 1;
}

/* Whether a body of events (one or an array) is unfit to store, with why:
 * every event needs a name, data (if any) an object, an id (if any) a
 * string of 1 to WEB_EVENT_ID_MAX characters: stored and answered alike. */
static int events_invalid(const json_t *body, char *why, size_t size)
{
    size_t n = json_is_array(body) ? json_array_size(body) : 1;
    if (json_is_array(body) && n == 0) {
        snprintf(why, size, "no events in the array");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *ev = json_is_array(body) ? json_array_get(body, i) : body;
        const char *name = json_string_value(json_object_get(ev, "name"));
        const json_t *data = json_object_get(ev, "data"), *id = json_object_get(ev, "id");
        if (!json_is_object(ev) || !name || !*name)
            return refuse_events(why, size, "event %zu needs a name; nothing was stored", i);
        if (data && !json_is_object(data) && !json_is_null(data))
            return refuse_events(why, size, "event %zu: data must be an object; nothing was stored", i);
        if (id && !json_is_null(id) &&
            (!json_is_string(id) || json_string_length(id) == 0 || json_string_length(id) > WEB_EVENT_ID_MAX))
            return refuse_events(why, size, "event %zu: an id is a string of 1 to %d characters; nothing was stored",
                                 i);
    }
    return 0;
}

/* Every event of the body, before any is stored: all or nothing. */
static int check_events(struct web_server *s, const json_t *body, struct err *err)
{
    size_t n = json_is_array(body) ? json_array_size(body) : 1;
    for (size_t i = 0; i < n; i++) {
        const json_t *ev = json_is_array(body) ? json_array_get(body, i) : body;
        if (!json_is_object(ev))
            return err_set(err, "event %zu: expected an object {name, data}", i + 1);
        if (s->event_check(s->event_check_ctx, json_string_value(json_object_get(ev, "name")),
                           json_object_get(ev, "data"), err) < 0)
            return n > 1 ? err_prefix(err, "event %zu", i + 1) : -1;
    }
    return 0;
}

static enum MHD_Result handle_events(struct web_server *s, struct MHD_Connection *c, const char *key,
                                     struct request *req)
{
    /* Every HTTP client needs the key, loopback too: behind a proxy every
     * client is loopback, and an event starts paid work. */
    if (!s->event_key[0])
        return error_json(c, 401, "the event API needs INNGEST_EVENT_KEY: set it for the server and post to "
                                  "/e/{key} (`send` without --url writes into the database directly)");
    if (!secret_equal(key, s->event_key))
        return error_json(c, 401, "event key required: post to /e/{INNGEST_EVENT_KEY}");
    json_error_t jerr;
    json_t *body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
    if (!body)
        return error_json(c, 400, "the body is not JSON");
    /* All or nothing: every event is checked before any is stored, first
     * its shape, then whether a function reads it (name and data). */
    char why[160];
    if (events_invalid(body, why, sizeof why)) {
        json_decref(body);
        return error_json(c, 400, why);
    }
    struct err bad = {{0}};
    if (s->event_check && check_events(s, body, &bad) < 0) {
        json_decref(body);
        return error_json(c, 400, bad.msg);
    }
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
        char id[WEB_EVENT_ID_MAX + 1];
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

static enum MHD_Result reply_cors_response(struct web_server *s, struct MHD_Connection *c, unsigned status,
                                          const char *type, struct MHD_Response *r);

static enum MHD_Result reply_cors(struct web_server *s, struct MHD_Connection *c, unsigned status, const char *type,
                                  const char *body)
{
    return reply_cors_response(s, c, status, type,
                               MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY));
}

/* The origin a browser page may read the SQL endpoint from: any (*) only
 * with --public-sql; else the request's Origin when it is on the
 * --allow-origin list (an exported dashboard's host); else none, and the
 * browser keeps the answer from the page. The dashboard served here is on
 * the same origin and needs no header. */
static const char *cors_origin(const struct web_server *s, struct MHD_Connection *c)
{
    if (s->public_sql)
        return "*";
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (!origin)
        return NULL;
    for (int i = 0; i < s->n_allow_origins; i++)
        if (strcasecmp(origin, s->allow_origins[i]) == 0)
            return origin;
    return NULL;
}

static enum MHD_Result reply_cors_response(struct web_server *s, struct MHD_Connection *c, unsigned status,
                                          const char *type, struct MHD_Response *r)
{
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    const char *origin = cors_origin(s, c);
    if (origin) {
        MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        /* Listed by name: a wildcard does not cover Authorization. */
        MHD_add_response_header(r, "Access-Control-Allow-Headers", "Authorization, Content-Type");
        MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
    }
    if (!s->public_sql)
        MHD_add_response_header(r, "Vary", "Origin");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Anyone when public; else the read token in constant time, or a local
 * request (is_local_request) when none is set. */
static int sql_allowed(struct web_server *s, struct MHD_Connection *c)
{
    if (s->public_sql)
        return 1;
    if (!s->read_token)
        return is_local_request(c);
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return 0;
    return secret_equal(auth + 7, s->read_token);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Counts one SQL answer for /metrics: every answer, refusals included (a
 * burst of 401s is what an operator wants to see). */
static void sql_observe(struct web_server *s, unsigned status, const struct timespec *t0)
{
    double took = seconds_since(t0);
    pthread_mutex_lock(&s->metrics_lock);
    web_metrics_sql_observe(&s->sql_metrics, status, took);
    pthread_mutex_unlock(&s->metrics_lock);
}

static enum MHD_Result sql_refuse(struct web_server *s, struct MHD_Connection *c, struct request *req,
                                  unsigned status, const char *body)
{
    sql_observe(s, status, &req->t0);
    return reply_cors(s, c, status, "application/json", body);
}

/* Who a client is, for the per-client cap: the peer's address, or behind a
 * proxy on loopback the address the proxy appended last to
 * X-Forwarded-For (the one entry a client cannot choose). */
static void client_key(struct MHD_Connection *c, char *out, size_t size)
{
    snprintf(out, size, "?");
    const char *xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
    if (xff && is_loopback(c)) {
        const char *last = strrchr(xff, ',');
        last = last ? last + 1 : xff;
        while (*last == ' ')
            last++;
        snprintf(out, size, "xff:%.*s", (int)strcspn(last, " "), last);
        return;
    }
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

/* On a pool thread: runs the pipeline. */
static void sql_job(void *arg)
{
    struct request *req = arg;
    struct web_server *s = req->server;
    req->sql_status = sqlapi_pipeline_guarded(s->sql_db, &s->sql_limits, s->watchdog, req->sql_version,
                                              req->body.data ? req->body.data : "", req->body.len, &req->sql_out);
    req->sql_done = 1;
}

/* Then, its client's count released: wakes the connection, whose handler
 * is called again and answers (handle_sql). */
static void sql_job_done(void *arg)
{
    struct request *req = arg;
    MHD_resume_connection(req->conn);
}

/* The SQL route. The pipeline runs on the SQL pool with this connection
 * suspended, so a runaway query holds a pool thread and never one of the
 * HTTP threads that serve /health and the dashboard. */
static enum MHD_Result handle_sql(struct web_server *s, struct MHD_Connection *c, int version, struct request *req)
{
    if (req->sql_done) {
        sql_observe(s, req->sql_status, &req->t0);
        if (!req->sql_out)
            return reply_cors(s, c, req->sql_status, "application/json", "{}");
        /* The answer (up to the response limit) is handed over, not copied. */
        char *out = req->sql_out;
        req->sql_out = NULL;
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_FREE);
        if (!r)
            free(out);
        return reply_cors_response(s, c, req->sql_status, "application/json", r);
    }
    if (!s->sql_db)
        return sql_refuse(s, c, req, 404,
                          "{\"message\":\"no SQL endpoint: the database is not an embedded file\",\"code\":\"NOT_FOUND\"}");
    if (!sql_allowed(s, c))
        return sql_refuse(s, c, req, 401,
                          s->read_token ? "{\"message\":\"a valid read token is required\",\"code\":\"UNAUTHORIZED\"}"
                                        : "{\"message\":\"without --read-token or --public-sql only local requests "
                                          "(loopback, no proxy headers)\",\"code\":\"UNAUTHORIZED\"}");
    char client[80];
    client_key(c, client, sizeof client);
    struct web_pool_job *job = NULL;
    enum web_pool_refusal why = web_pool_reserve(s->sql_pool, client, &job);
    if (why == WEB_POOL_CLIENT_CAP)
        return sql_refuse(s, c, req, 429,
                          "{\"message\":\"too many SQL requests from this client at once: wait for one to finish\","
                          "\"code\":\"TOO_MANY_REQUESTS\"}");
    if (why != WEB_POOL_OK)
        return sql_refuse(s, c, req, 503,
                          "{\"message\":\"every SQL thread is busy and the queue is full: retry shortly\","
                          "\"code\":\"SERVICE_UNAVAILABLE\"}");
    req->server = s;
    req->conn = c;
    req->sql_version = version;
    MHD_suspend_connection(c);
    web_pool_run(s->sql_pool, job, sql_job, sql_job_done, req);
    return MHD_YES;
}

/* GET /metrics: the same access rule as the SQL endpoint, since it
 * summarises the same data (model ids, costs). The counters are copied
 * under the lock and rendered outside it, so a scrape never holds up a
 * SQL request. */
static enum MHD_Result handle_metrics(struct web_server *s, struct MHD_Connection *c)
{
    if (!sql_allowed(s, c))
        return reply(c, 401, "text/plain; charset=utf-8",
                     s->read_token ? "a valid read token is required\n"
                                   : "without --read-token or --public-sql only local requests (loopback, no proxy headers)\n");
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
    if (store_metrics_read(flow_engine_store(s->engine), s->step_fields, &db, &err) < 0 ||
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
    struct flow_inngest_request ir = {
        .method = method,
        .fn_id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fnId"),
        .step_id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "stepId"),
        .deploy_id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "deployId"),
        .probe = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "probe"),
        .signature = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Inngest-Signature"),
        .server_kind = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Inngest-Server-Kind"),
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

/* The largest body a route takes (0: none): decided from the request line
 * alone, before a byte of the body is read. */
static size_t body_max(const struct web_server *s, const char *url, const char *method)
{
    if (s->inngest && strcmp(url, s->inngest_path) == 0)
        return INNGEST_BODY_MAX;
    if (strcmp(method, "POST") == 0 &&
        (strcmp(url, "/v2/pipeline") == 0 || strcmp(url, "/v3/pipeline") == 0 || strncmp(url, "/e/", 3) == 0))
        return BODY_MAX;
    return 0;
}

static void body_release(struct web_server *s, struct request *req)
{
    if (!req->reserved)
        return;
    pthread_mutex_lock(&s->body_lock);
    s->body_inflight -= req->reserved;
    pthread_mutex_unlock(&s->body_lock);
    req->reserved = 0;
}

/* The first call for a request, headers read, body not: a body larger than
 * its route takes is refused by its Content-Length (413), and one that
 * would pass the memory budget of all bodies in flight waits outside
 * (503). A body without Content-Length reserves its route's cap. */
static enum MHD_Result begin_request(struct web_server *s, struct MHD_Connection *c, const char *url,
                                     const char *method, void **con_cls)
{
    track_request(s, c, 1);
    /* A page on another site can make a visitor's browser send requests
     * here, under a name its DNS points at this address: refuse names that
     * are not ours. /health answers any (load balancers probe by address). */
    if (strcmp(url, "/health") != 0 && !host_allowed(s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host")))
        return error_json(c, 421, "this server does not answer to that Host: name it with --public-host");
    size_t max = body_max(s, url, method);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    unsigned long long declared = 0;
    if (cl) {
        char *end;
        errno = 0;
        declared = strtoull(cl, &end, 10);
        if (*cl == '-' || *end || errno)
            return error_json(c, 400, "Content-Length is not a number");
    }
    if (declared > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is larger than this route takes (%zu bytes)", max);
        return error_json(c, 413, msg);
    }
    struct request *req = calloc(1, sizeof *req);
    if (!req)
        return MHD_NO;
    buf_init(&req->body, max);
    clock_gettime(CLOCK_MONOTONIC, &req->t0);
    size_t need = cl ? (size_t)declared : te ? max : 0;
    if (need) {
        pthread_mutex_lock(&s->body_lock);
        int fits = s->body_inflight + need <= s->body_budget;
        if (fits)
            s->body_inflight += need;
        pthread_mutex_unlock(&s->body_lock);
        if (!fits) {
            buf_free(&req->body);
            free(req);
            return error_json(c, 503, "the server is receiving as many request bodies as it may hold: retry shortly");
        }
        req->reserved = need;
    }
    *con_cls = req;
    return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct web_server *s = cls;
    if (!*con_cls)
        return begin_request(s, c, url, method, con_cls);
    struct request *req = *con_cls;
    if (*upload_size) {
        /* Only a body without Content-Length gets here past its cap
         * (begin_request refused the others): end the connection. */
        if (buf_append(&req->body, upload_data, *upload_size, NULL) < 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    if (s->inngest && strcmp(url, s->inngest_path) == 0)
        return handle_inngest(s, c, method, req);
    if (strcmp(method, "OPTIONS") == 0)
        return reply_cors(s, c, 204, "text/plain", "");
    if (strcmp(method, "POST") == 0 && (strcmp(url, "/v2/pipeline") == 0 || strcmp(url, "/v3/pipeline") == 0))
        return handle_sql(s, c, url[2] == '3' ? 3 : 2, req);
    /* HEAD as GET: libmicrohttpd sends the headers only. */
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
        if (strcmp(url, "/v2") == 0 || strcmp(url, "/v3") == 0)
            return reply_cors(s, c, 200, "text/plain", "Hello, this is HTTP API v2 (Hrana over HTTP), read-only");
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
    struct web_server *s = cls;
    (void)c;
    (void)toe;
    track_request(s, c, 0);
    struct request *req = *con_cls;
    if (req) {
        body_release(s, req);
        buf_free(&req->body);
        free(req->sql_out);
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
    pthread_mutex_init(&s->body_lock, NULL);
    s->body_budget = opts && opts->body_budget ? opts->body_budget : BODY_BUDGET_DEFAULT;
    if (opts && opts->event_key)
        snprintf(s->event_key, sizeof s->event_key, "%s", opts->event_key);
    if (opts && opts->sql_db)
        s->sql_db = strdup(opts->sql_db);
    if (opts && opts->read_token && *opts->read_token)
        s->read_token = strdup(opts->read_token);
    for (int i = 0; opts && opts->allow_origins && opts->allow_origins[i] && i < WEB_SERVER_LIST_MAX; i++)
        snprintf(s->allow_origins[s->n_allow_origins++], sizeof s->allow_origins[0], "%s", opts->allow_origins[i]);
    for (int i = 0; opts && opts->public_hosts && opts->public_hosts[i] && i < WEB_SERVER_LIST_MAX; i++)
        snprintf(s->public_hosts[s->n_public_hosts++], sizeof s->public_hosts[0], "%s", opts->public_hosts[i]);
    if (strcmp(host, "0.0.0.0") != 0)
        snprintf(s->listen_host, sizeof s->listen_host, "%s", host);
    if (opts) {
        s->sql_limits = opts->sql_limits;
        s->public_sql = opts->public_sql;
        s->inngest = opts->inngest;
        s->inngest_events = opts->inngest_events;
        s->event_check = opts->event_check;
        s->event_check_ctx = opts->event_check_ctx;
        s->step_fields = opts->step_fields;
        snprintf(s->inngest_path, sizeof s->inngest_path, "%s",
                 opts->inngest_events && opts->inngest_events->serve_path ? opts->inngest_events->serve_path
                                                                          : "/api/inngest");
    }
    unsigned threads = opts && opts->threads > 0 ? (unsigned)opts->threads : 4;
    if (sqlapi_watchdog_start(&s->watchdog, err) < 0 ||
        web_pool_start(opts ? opts->sql_threads : 0, opts && opts->sql_queue > 0 ? opts->sql_queue : 16,
                       opts ? opts->sql_per_client : 0, &s->sql_pool, err) < 0) {
        sqlapi_watchdog_stop(s->watchdog);
        pthread_mutex_destroy(&s->body_lock);
        pthread_mutex_destroy(&s->metrics_lock);
        free(s->sql_db);
        free(s->read_token);
        free(s);
        return -1;
    }
    s->conns.next = s->conns.prev = &s->conns;
    pthread_mutex_init(&s->conn_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->reaper_wake, &ca);
    pthread_condattr_destroy(&ca);
    s->header_timeout_ms = (opts && opts->header_timeout_s > 0 ? opts->header_timeout_s : 10) * 1000L;
    s->reaper_running = pthread_create(&s->reaper, NULL, reaper, s) == 0;
    unsigned idle_s = opts && opts->idle_timeout_s > 0 ? (unsigned)opts->idle_timeout_s : 30;
    unsigned max_conns = connection_limit(opts && opts->max_connections > 0 ? (unsigned)opts->max_connections : 512);
    unsigned per_ip = opts && opts->max_connections_per_ip > 0 ? (unsigned)opts->max_connections_per_ip : 64;
    /* Thread pool: the limit is split between the threads, each needs one. */
    if (max_conns < threads)
        max_conns = threads;
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
                                 NULL, handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                                 MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s, MHD_OPTION_CONNECTION_TIMEOUT,
                                 idle_s, MHD_OPTION_CONNECTION_LIMIT, max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                 per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_END);
    if (!s->daemon) {
        reaper_stop(s);
        pthread_cond_destroy(&s->reaper_wake);
        pthread_mutex_destroy(&s->conn_lock);
        pthread_mutex_destroy(&s->body_lock);
        web_pool_stop(s->sql_pool);
        sqlapi_watchdog_stop(s->watchdog);
        pthread_mutex_destroy(&s->metrics_lock);
        free(s->sql_db);
        free(s->read_token);
        free(s);
        return err_set(err, "cannot listen on %s (in use, or not an address of this machine)", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    if (s->inngest) {
        /* Where Inngest reaches us, unless configured: the first public
         * name (behind TLS), else the address listened on. Never a Host. */
        char origin[320];
        if (s->n_public_hosts)
            snprintf(origin, sizeof origin, "https://%s", s->public_hosts[0]);
        else
            snprintf(origin, sizeof origin, "http://%s:%d", s->listen_host[0] ? s->listen_host : "127.0.0.1", s->port);
        flow_inngest_default_origin(s->inngest, origin);
    }
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
    /* The pool first: its last pipelines (each within its deadline) wake
     * their connections while the daemon still runs. */
    web_pool_stop(s->sql_pool);
    reaper_stop(s);
    MHD_stop_daemon(s->daemon);
    sqlapi_watchdog_stop(s->watchdog);
    pthread_cond_destroy(&s->reaper_wake);
    pthread_mutex_destroy(&s->conn_lock);
    pthread_mutex_destroy(&s->body_lock);
    pthread_mutex_destroy(&s->metrics_lock);
    free(s->sql_db);
    free(s->read_token);
    free(s);
}
