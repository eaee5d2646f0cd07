/*
 * pool.h - a small bounded pool of threads for slow requests (the SQL
 * endpoint's pipelines), so they never occupy the HTTP server's own
 * threads: /health, the dashboard's files and /metrics answer however
 * many pipelines are running.
 *
 * Bounded three ways: `threads` jobs run at once, at most `queue_max` more
 * wait, and one client (an address string the caller chooses) has at most
 * `per_client` jobs queued or running. A job is reserved first (which may
 * be refused), then started: the caller suspends its connection in between,
 * so a job never finishes before the caller is ready to be woken.
 */
#ifndef CB_WEB_POOL_H
#define CB_WEB_POOL_H

#include "core/err.h"

struct web_pool;
struct web_pool_job;

enum web_pool_refusal {
    WEB_POOL_OK = 0,
    WEB_POOL_BUSY = -1,       /* every thread busy and the queue full, or stopping */
    WEB_POOL_CLIENT_CAP = -2, /* this client has per_client jobs already */
};

int web_pool_start(int threads, int queue_max, int per_client, struct web_pool **out, struct err *err);

/* Reserves a place for client's job; *job is set on WEB_POOL_OK. */
enum web_pool_refusal web_pool_reserve(struct web_pool *pool, const char *client, struct web_pool_job **job);
/* Queues a reserved job: fn(arg) runs on a pool thread, once; then the job
 * stops counting against its client and done(arg) runs (so a client woken
 * by done may send its next request at once). The pool frees the job. */
void web_pool_run(struct web_pool *pool, struct web_pool_job *job, void (*fn)(void *arg), void (*done)(void *arg),
                  void *arg);

/* Refuses new reservations, runs every queued job, joins the threads and
 * frees the pool. */
void web_pool_stop(struct web_pool *pool);

#endif
