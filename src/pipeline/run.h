/*
 * run.h - the pipeline on the embedded engine, for the commands: open an
 * engine with the pipeline's functions registered, send an event, work
 * until the runs are done, find the run an event started, close.
 *
 * The caller (cli/) turns flags and the environment into a struct
 * pipeline_config (functions.h), its engine settings included; nothing
 * here reads the environment. A run's failure comes back as the stored
 * run: its status, and its error as {error_class, error_status, error}
 * (the class and the HTTP status as data, next to the message).
 */
#ifndef CB_PIPELINE_RUN_H
#define CB_PIPELINE_RUN_H

#include <jansson.h>

#include "flow/flow.h"
#include "pipeline/functions.h"
#include "store/store.h"

/* An engine with the pipeline's functions registered on it. */
struct pipeline;

/* What one command wants of the engine. */
struct pipeline_open_opts {
    unsigned which;   /* the PIPELINE_* functions to register */
    const char *role; /* the lease owner is "<host>:<role>": stable across restarts of the same
                         command, different from a `serve` on the same host; NULL: the host name */
    /* The command's engine options (workers, poll_ms, lease_ms, cron, on_run, ...); the ones
     * cfg->engine sets (non-zero) win, the owner comes from role. */
    struct flow_engine_opts engine;
};

/* Creates the engine on cfg->engine.db_location and registers opts->which.
 * cfg must outlive the pipeline (the functions read it). On failure *out is
 * NULL and err says why. */
int pipeline_open(struct pipeline_config *cfg, const struct pipeline_open_opts *opts, struct pipeline **out,
                  struct err *err);

/* Stops the workers if started (running steps finish their round, leases
 * are released) and frees. NULL is allowed. */
void pipeline_close(struct pipeline *p);

/* Sends an event (id: an idempotency key, NULL for none); event_id (may be
 * NULL) gets the stored event's id (64 bytes). */
int pipeline_send(struct pipeline *p, const char *event, const json_t *data, const char *id, char *event_id,
                  struct err *err);

/* Starts the workers (and cron, when opts.engine.cron); they run until
 * pipeline_close. */
int pipeline_start(struct pipeline *p, struct err *err);

/* Starts the workers, waits until no run is left unfinished (0) or
 * timeout_ms passes (1), and stops them again; -1 on an error. on_tick
 * (may be NULL) is called about every 500 ms, for progress. */
int pipeline_wait(struct pipeline *p, int64_t timeout_ms, void (*on_tick)(void *ctx), void *tick_ctx,
                  struct err *err);

/* Does the work in the calling thread instead, until no run is runnable
 * or timeout_ms passes (0 either way); -1 on an error. */
int pipeline_drain(struct pipeline *p, int64_t timeout_ms, struct err *err);

/* The run of function_id that the event event_id started, into *run (the
 * caller clears it): 0, or 1 when the event started none, -1 when the
 * database could not say. */
int pipeline_run_of_event(struct pipeline *p, const char *function_id, const char *event_id,
                          struct store_flow_run *run, struct err *err);

/* The engine (serve hands it to the web server and Inngest) and its own
 * connection (for progress reads); owned by p. */
struct flow_engine *pipeline_engine(struct pipeline *p);
struct store *pipeline_store(struct pipeline *p);

/* One job, run to its end in this process. */
struct pipeline_job {
    unsigned which;          /* the functions it needs */
    const char *role;        /* as pipeline_open_opts */
    int workers;             /* 1: in the calling thread (pipeline_drain); more: that many workers */
    const char *event;       /* what starts it */
    const char *id;          /* the event's id: sending it again (a command run again after it was
                                killed) starts nothing new and the run it started goes on; NULL: none */
    const json_t *data;      /* the event's data */
    const char *function_id; /* the run to return */
};

/* Opens, sends job->event, works until every run is done (a week at most),
 * returns the run of job->function_id the event started in *run (the
 * caller clears it; a failed run is returned, not an error: its status and
 * typed error say how it ended) and closes. */
int pipeline_run_job(struct pipeline_config *cfg, const struct pipeline_job *job, struct store_flow_run *run,
                     struct err *err);

/* 0 when run completed; else -1 with err holding the run's message (or its
 * status when it has none). The class and HTTP status stay in run. */
int pipeline_run_completed(const struct store_flow_run *run, struct err *err);

/* Recomputes the rankings from week on (NULL: all weeks) with the
 * calculate-rankings function, as the pipeline does after an evaluation;
 * fails when that run does not complete. */
int pipeline_rank(struct pipeline_config *cfg, const char *week, struct err *err);

#endif
