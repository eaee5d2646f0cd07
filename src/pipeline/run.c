/* run.c - the pipeline on the embedded engine; see run.h. */
#include "pipeline/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A job waits this long at most for its runs: a week of wall clock. */
#define JOB_TIMEOUT_MS (INT64_C(7) * 24 * 3600 * 1000)

struct pipeline {
    struct flow_engine *engine;
    char owner[300]; /* the lease owner; the engine copies it, kept here for the opts' lifetime */
};

int pipeline_open(struct pipeline_config *cfg, const struct pipeline_open_opts *opts, struct pipeline **out,
                  struct err *err)
{
    *out = NULL;
    struct pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return err_set(err, "out of memory");
    struct flow_engine_opts eo = opts->engine;
    const struct pipeline_engine_config *ec = &cfg->engine;
    if (ec->poll_ms >= 0)
        eo.poll_ms = ec->poll_ms;
    if (ec->lease_ms >= 0)
        eo.lease_ms = ec->lease_ms;
    if (ec->backoff_base_ms >= 0)
        eo.backoff_base_ms = ec->backoff_base_ms;
    if (ec->workers >= 0)
        eo.workers = ec->workers;
    if (opts->role) {
        /* "<host>:<role>" in this pipeline's own buffer: no two callers share one. */
        char host[256] = "cryptic-bench";
        gethostname(host, sizeof host);
        host[sizeof host - 1] = '\0';
        snprintf(p->owner, sizeof p->owner, "%.250s:%s", host, opts->role);
        eo.owner = p->owner;
    }
    if (flow_engine_new(ec->db_location, ec->db_token, &eo, &p->engine, err) < 0 ||
        pipeline_register(p->engine, cfg, opts->which, err) < 0) {
        pipeline_close(p);
        return -1;
    }
    *out = p;
    return 0;
}

void pipeline_close(struct pipeline *p)
{
    if (!p)
        return;
    flow_engine_free(p->engine); /* stops the workers after their current round, releases leases */
    free(p);
}

int pipeline_send(struct pipeline *p, const char *event, const json_t *data, const char *id, char *event_id,
                  struct err *err)
{
    char ignored[64];
    return flow_engine_send(p->engine, event, data, id, event_id ? event_id : ignored, err);
}

int pipeline_start(struct pipeline *p, struct err *err)
{
    return flow_engine_start(p->engine, err);
}

int pipeline_wait(struct pipeline *p, int64_t timeout_ms, void (*on_tick)(void *ctx), void *tick_ctx,
                  struct err *err)
{
    if (flow_engine_start(p->engine, err) < 0)
        return -1;
    int rc = flow_engine_wait_idle(p->engine, timeout_ms, on_tick, tick_ctx, err);
    flow_engine_stop(p->engine);
    return rc;
}

int pipeline_drain(struct pipeline *p, int64_t timeout_ms, struct err *err)
{
    return flow_engine_drain(p->engine, timeout_ms, err);
}

int pipeline_run_of_event(struct pipeline *p, const char *function_id, const char *event_id,
                          struct store_flow_run *run, struct err *err)
{
    int found = 0;
    if (store_flow_run_by_event(flow_engine_store(p->engine), function_id, event_id, run, &found, err) < 0)
        return -1;
    return found ? 0 : 1;
}

struct flow_engine *pipeline_engine(struct pipeline *p)
{
    return p->engine;
}

struct store *pipeline_store(struct pipeline *p)
{
    return flow_engine_store(p->engine);
}

int pipeline_run_job(struct pipeline_config *cfg, const struct pipeline_job *job, struct store_flow_run *run,
                     struct err *err)
{
    struct pipeline_open_opts po = {
        .which = job->which,
        .role = job->role,
        .engine = {.workers = job->workers, .poll_ms = 20, .lease_ms = 300000, .backoff_base_ms = 1000},
    };
    struct pipeline *p = NULL;
    char event_id[64];
    int rc = -1;
    memset(run, 0, sizeof *run);
    if (pipeline_open(cfg, &po, &p, err) < 0 || pipeline_send(p, job->event, job->data, job->id, event_id, err) < 0 ||
        (job->workers > 1 ? pipeline_wait(p, JOB_TIMEOUT_MS, NULL, NULL, err)
                          : pipeline_drain(p, JOB_TIMEOUT_MS, err)) < 0)
        goto out;
    int none = pipeline_run_of_event(p, job->function_id, event_id, run, err);
    if (none < 0)
        goto out;
    if (none) {
        err_set(err, "the event %s started no %s run", job->event, job->function_id);
        goto out;
    }
    rc = 0;
out:
    pipeline_close(p);
    return rc;
}

int pipeline_run_completed(const struct store_flow_run *run, struct err *err)
{
    if (strcmp(run->status, "completed") == 0)
        return 0;
    return err_set(err, "%s", run->error ? run->error : run->status);
}

int pipeline_rank(struct pipeline_config *cfg, const char *week, struct err *err)
{
    struct store_flow_run run = {0};
    int saved_retries = cfg->step_retries;
    cfg->step_retries = 0; /* a command reports, not waits */
    json_t *data = week ? json_pack("{s:s}", "week_id", week) : json_object();
    struct pipeline_job job = {.which = PIPELINE_RANK,
                               .role = "rank",
                               .workers = 1,
                               .event = "benchmark/evaluate.complete",
                               .data = data,
                               .function_id = "calculate-rankings"};
    int rc = data ? pipeline_run_job(cfg, &job, &run, err) : err_set(err, "out of memory");
    json_decref(data);
    cfg->step_retries = saved_retries;
    if (rc == 0)
        rc = pipeline_run_completed(&run, err);
    store_flow_run_clear(&run);
    return rc;
}
