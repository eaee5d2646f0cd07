/*
 * flow.h - durable workflows, embedded (docs/flow.md).
 *
 * A function is a C body that is replayed from the top until it finishes.
 * Its side effects happen only inside steps; a step never blocks: it
 * returns FLOW_DONE with its memoized result, or FLOW_PENDING. A body may
 * start several independent steps and then `return flow_yield(ctx)`; the
 * engine executes what is pending (run steps in parallel), checkpoints
 * each result in the database, and replays the body, which now finds
 * those steps DONE. A crash loses at most the steps that were executing:
 * they run again (at least once), and checkpointed steps never do.
 * Semantics follow Inngest's so the same bodies can run there.
 */
#ifndef CB_FLOW_FLOW_H
#define CB_FLOW_FLOW_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

enum {
    FLOW_DONE = 0,
    FLOW_PENDING = 1,
};

/* What a body returns (via the calls below). */
enum flow_return {
    FLOW_RETURN_YIELD = 100,
    FLOW_RETURN_COMPLETE,
    FLOW_RETURN_FAIL,
};

struct flow_ctx;

/* A failed step: the message, whether a retry may help, how long to wait
 * first (-1: the engine's backoff), and what kind of failure it is with
 * the HTTP status behind it (data the body decides on, next to the
 * message people read; see flow_step_error_class). */
struct flow_step_error {
    char message[512];
    int retriable;
    long retry_after_ms;
    enum err_class error_class;   /* ERR_CLASS_NONE: not classified */
    int status;                   /* HTTP status; 0: none */
};

/* A run step's work. On success set *output (a new reference, may be
 * json_null()) and return 0; on failure fill *error and return -1. */
typedef int (*flow_step_fn)(void *arg, json_t **output, struct flow_step_error *error);

/* A function body: returns flow_yield(), flow_complete() or flow_fail(). */
typedef int (*flow_body_fn)(struct flow_ctx *ctx, const json_t *event, void *user);

struct flow_function {
    const char *id;
    const char *event;            /* triggering event name, or NULL */
    const char *cron;             /* "TZ=Europe/London 0 6 * * 0", or NULL */
    int retries;                  /* per step; -1: the default 4 (as Inngest) */
    int concurrency;              /* runs at once; 0: no limit */
    const char *concurrency_key;  /* JSON path in the event, e.g. "data.model"; NULL: one limit */
    const char *cancel_event;     /* an event that cancels this function's unfinished runs, or NULL */
    const char *cancel_match;     /* ...those whose event has the same value at this path ("data.week_id");
                                     needed with cancel_event */
    const char *cancel_except;    /* ...but not those with the same value here ("data.model"), so a run can
                                     stop its siblings and end in its own way; NULL: none */
    flow_body_fn body;
    void *user;
};

/* ---- inside a body ------------------------------------------------------ */

/* Each returns FLOW_DONE with the step's result in *out (owned by ctx,
 * valid until the body returns; may be NULL), or FLOW_PENDING. A run step
 * whose retries ran out is DONE with {"error": {"message": ...}} as its
 * result: see flow_step_failed(). Ids repeated in one run get ":1", ":2".
 * A run step executes after the body has returned: with arg_size > 0 the
 * engine copies arg_size bytes of arg and hands the copy to fn (pointers in
 * it must point into the event or outlive the run); with 0, arg itself.
 * On the embedded engine a new run step may instead execute during the
 * call, with arg itself, when the engine has seen the body return right
 * after a pending step from the same call site (a sequential body): the
 * result is checkpointed before the call returns DONE. */
int flow_step_run(struct flow_ctx *ctx, const char *id, flow_step_fn fn, const void *arg, size_t arg_size,
                  const json_t **out);
int flow_step_sleep(struct flow_ctx *ctx, const char *id, int64_t duration_ms);
int flow_step_sleep_until(struct flow_ctx *ctx, const char *id, int64_t until_ms);
/* Sends events (an object or an array of {"name", "data", "id"?}); the
 * result is {"ids": [...]}. */
int flow_step_send_event(struct flow_ctx *ctx, const char *id, const json_t *events, const json_t **out);
/* Runs another function with {"data": data} as its event; the result is
 * the child's output, or {"error": ...} when it failed. */
int flow_step_invoke(struct flow_ctx *ctx, const char *id, const char *function_id, const json_t *data,
                     const json_t **out);
/* Waits for the next event called name whose field (a path such as
 * "data.week_id"; NULL: any) equals the same field of this run's event;
 * the result is that event, or NULL after timeout_ms. */
int flow_step_wait_for_event(struct flow_ctx *ctx, const char *id, const char *name, const char *field,
                             int64_t timeout_ms, const json_t **out);

/* The error message of a step result, or NULL when it succeeded. A failed
 * result is {"error": {"message", "class"?, "status"?}} on both engines:
 * a run step's flow_step_error, or an invoked child's flow_fail_error. */
const char *flow_step_failed(const json_t *result);
/* The class of a failed step result (ERR_CLASS_NONE: succeeded, or not
 * classified) and its HTTP status (0: none). */
enum err_class flow_step_error_class(const json_t *result);
int flow_step_error_status(const json_t *result);

int flow_yield(struct flow_ctx *ctx);
/* Finishes the run with output (a new reference is taken: pass a borrowed one). */
int flow_complete(struct flow_ctx *ctx, const json_t *output);
int flow_fail(struct flow_ctx *ctx, const char *message);
/* Fails the run with a class and HTTP status as data (stored with the run;
 * a parent that invoked it sees them in its step's error; on Inngest they
 * travel in the error object). flow_fail is this with ERR_CLASS_NONE, 0. */
int flow_fail_error(struct flow_ctx *ctx, enum err_class error_class, int status, const char *message);

/* This run's id. */
const char *flow_run_id(const struct flow_ctx *ctx);

/* ---- the engine ---------------------------------------------------------- */

struct flow_engine_opts {
    const char *owner;       /* lease owner; a restart with the same owner reclaims its runs at once.
                                Default: the host name */
    int workers;             /* default 4 */
    long lease_ms;           /* default 60 000 */
    long poll_ms;            /* idle wait between claims; default 200 */
    long backoff_base_ms;    /* first retry delay, doubled per attempt, plus up to 25 % jitter; default 1 000 */
    long backoff_cap_ms;     /* default 2 hours */
    int max_steps;           /* per run; default 1 000 */
    int parallel_steps;      /* run steps executed at once for one run; default 8 */
    int cron;                /* fire cron triggers (serve --no-cron turns this off) */
    /* Told, from a worker thread, when a run starts for the first time
     * (status "running") and when it ends ("completed", "failed",
     * "cancelled"); for `serve`'s log. NULL: nobody. */
    void (*on_run)(void *ctx, struct store *store, const struct store_flow_run *run);
    void *on_run_ctx;
};

struct flow_engine;

/* The engine owns its own connection to the database at location. */
int flow_engine_new(const char *location, const char *token, const struct flow_engine_opts *opts,
                    struct flow_engine **out, struct err *err);
void flow_engine_free(struct flow_engine *engine);

/* Registers a function (its strings must outlive the engine). */
int flow_engine_register(struct flow_engine *engine, const struct flow_function *fn, struct err *err);

/* Starts the workers (and the scheduler when opts.cron); reclaims this
 * owner's leased runs first. */
int flow_engine_start(struct flow_engine *engine, struct err *err);

/* Stops claiming, lets running bodies finish their step round, joins the
 * threads and releases leases. */
void flow_engine_stop(struct flow_engine *engine);

/* Sends an event: stores it (its id, when given, is an idempotency key: the
 * same id again does nothing), starts a run of every function it triggers
 * and wakes runs waiting for it. ids_out (may be NULL) gets the event id
 * (size 64). */
int flow_engine_send(struct flow_engine *engine, const char *name, const json_t *data, const char *id,
                     char *id_out, struct err *err);

/* Processes runnable runs in the calling thread until none is left (or
 * timeout_ms passes); for commands that run a job now and for tests. Like
 * start, it first reclaims the runs this owner held. */
int flow_engine_drain(struct flow_engine *engine, int64_t timeout_ms, struct err *err);

/* With the workers started: waits until no run is left unfinished (or
 * timeout_ms passes: returns 1 then, 0 when idle). on_tick (may be NULL)
 * is called about every 500 ms, for progress. */
int flow_engine_wait_idle(struct flow_engine *engine, int64_t timeout_ms, void (*on_tick)(void *ctx), void *ctx,
                          struct err *err);

/* The engine's connection (for progress queries). */
struct store *flow_engine_store(struct flow_engine *engine);

#endif
