/*
 * server.h - the HTTP server of `serve` (libmicrohttpd, a thread pool).
 *
 * Routes: GET /health; POST /e/{key} (Inngest's event API: one event or an
 * array of {name, data, id?}, answered {ids, status}; every client, loopback
 * too, needs key = INNGEST_EVENT_KEY); GET /api/runs and
 * GET /api/runs/{id} (runs and one run's steps as JSON; the SQL endpoint's
 * access rule); GET / and the
 * dashboard's files (web/assets.h, with a Content-Security-Policy); the read-only SQL endpoint
 * (web/sqlapi.h): POST /v2/pipeline and /v3/pipeline, GET /v2 and /v3,
 * with CORS (preflight lists Authorization and Content-Type); GET /metrics
 * (Prometheus text format, web/metrics.h; the SQL endpoint's access rule); in Inngest
 * mode, GET/PUT/POST /api/inngest (flow/inngest.h), and POST /e/{key}
 * forwards to Inngest's event API.
 */
#ifndef CB_WEB_SERVER_H
#define CB_WEB_SERVER_H

#include "core/err.h"
#include "flow/flow.h"
#include "flow/inngest.h"
#include "web/sqlapi.h"

/* The most --allow-origin and --public-host entries. */
#define WEB_SERVER_LIST_MAX 16

struct web_server_opts {
    const char *listen;     /* "127.0.0.1:8080" (default); port 0 picks a free one */
    int threads;            /* default 4 */
    const char *event_key;  /* INNGEST_EVENT_KEY, or NULL: then no HTTP client may send events */
    const char *sql_db;     /* the SQLite file the read-only SQL endpoint serves; NULL: none */
    const char *read_token; /* bearer token for the SQL endpoint, /metrics and /api/runs; NULL: local
                               requests only (loopback peer, loopback Host, no proxy headers) */
    int public_sql;         /* any client may read through the SQL endpoint (a public dashboard);
                               also the only case answered with Access-Control-Allow-Origin: * */
    const char *const *allow_origins; /* NULL-terminated: origins whose pages may read the SQL endpoint
                                         (an exported dashboard's host); may be NULL */
    const char *const *public_hosts;  /* NULL-terminated: the names clients reach this server by; any
                                         other Host (but loopback and the listen address) gets 421 */
    struct sqlapi_limits sql_limits; /* zeros: the defaults */
    int sql_threads;        /* threads running SQL pipelines, apart from the HTTP threads; default 2 */
    int sql_queue;          /* pipelines that may wait for one; default 16 (then 503) */
    int sql_per_client;
    int max_connections;    /* open at once; default 512, always below the descriptor limit */
    int max_connections_per_ip; /* default 64 (behind a proxy every client is the proxy: raise it) */
    int idle_timeout_s;     /* a silent connection is closed; default 30 */
    int header_timeout_s;   /* a request's headers must be complete within; default 10 */
    size_t body_budget;     /* bytes of request bodies held at once, all connections; default 32 MB (then 503) */     /* pipelines one client may have queued or running; default 2 (then 429) */
    struct flow_inngest *inngest; /* Inngest mode: serves /api/inngest (or serve_path); NULL: off */
    const struct flow_inngest_opts *inngest_events; /* Inngest mode: POST /e/ goes to Inngest's event API */
    /* Checks each event of a POST /e/ before any is stored or forwarded
     * (pipeline_event_check_hook); a failure answers 400 with err's text.
     * NULL: no check. */
    int (*event_check)(void *ctx, const char *name, const json_t *data, struct err *err);
    void *event_check_ctx;
    /* What /metrics sums of the pipeline's step outputs (pipeline_step_fields();
     * web/ does not know pipeline/). NULL: those counts are 0. */
    const struct store_step_fields *step_fields;
};

struct web_server;

int web_server_start(struct flow_engine *engine, const struct web_server_opts *opts, struct web_server **out,
                     struct err *err);
/* The port it listens on. */
int web_server_port(const struct web_server *server);
void web_server_stop(struct web_server *server);

#endif
