/*
 * server.h - the HTTP server of `serve` (libmicrohttpd, a thread pool).
 *
 * Routes: GET /health; POST /e/{key} (Inngest's event API: one event or an
 * array of {name, data, id?}, answered {ids, status}; from a client that
 * is not on loopback only with key = INNGEST_EVENT_KEY); GET /api/runs and
 * GET /api/runs/{id} (runs and one run's steps as JSON); GET / (a
 * placeholder page until the dashboard lands).
 */
#ifndef CB_WEB_SERVER_H
#define CB_WEB_SERVER_H

#include "core/err.h"
#include "flow/flow.h"

struct web_server_opts {
    const char *listen;     /* "127.0.0.1:8080" (default); port 0 picks a free one */
    int threads;            /* default 4 */
    const char *event_key;  /* INNGEST_EVENT_KEY, or NULL: then only loopback clients may send */
};

struct web_server;

int web_server_start(struct flow_engine *engine, const struct web_server_opts *opts, struct web_server **out,
                     struct err *err);
/* The port it listens on. */
int web_server_port(const struct web_server *server);
void web_server_stop(struct web_server *server);

#endif
