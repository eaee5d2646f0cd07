/*
 * pipeline_env.h - the pipeline's settings from the environment (the same
 * variables `scrape` and `evaluate` read), for the commands that run it
 * on the engine (`run`, `serve`, `send`).
 */
#ifndef CB_CLI_PIPELINE_ENV_H
#define CB_CLI_PIPELINE_ENV_H

#include "cli/cli.h"
#include "flow/flow.h"
#include "flow/inngest.h"
#include "pipeline/functions.h"

/* A whole number >= 0 from the environment (or .env), else fallback. */
long pipeline_env_long(const char *name, long fallback);

/* CRYPTIC_BENCH_SCRAPE_MAX_PAGES, the feed pages a scrape walk reads at
 * most: *out 0 when unset (the default), else a whole number from 1 to
 * 100000; anything else fails naming the variable. */
int pipeline_env_scrape_max_pages(int *out, struct err *err);

/* Opens the database, creating nothing: a corrupt file, an empty one and
 * an older schema are refused (only init-db upgrades). */
int pipeline_env_open_store(struct cli_ctx *ctx, struct store **store, struct err *err);

/* The same for the commands that only read (status, leaderboard, runs
 * list/show, puzzles list, models): a file is opened read-only, so
 * nothing they do can write to it. */
int pipeline_env_open_readonly(struct cli_ctx *ctx, struct store **store, struct err *err);

/* Opens the database (as pipeline_env_open_store) and
 * fills cfg; *store is the caller's and must outlive the engine. */
int pipeline_env_open(struct cli_ctx *ctx, struct pipeline_config *cfg, struct store **store, struct err *err);

#define PIPELINE_ENV_OWNER_SIZE 300

/* Engine durations from CRYPTIC_BENCH_FLOW_POLL_MS, _LEASE_MS, _BACKOFF_MS,
 * _WORKERS (when set), and the lease owner "<host>:<role>": stable across
 * restarts of the same command, different from a `serve` on the same host.
 * The owner is written into the caller's owner buffer (opts->owner points
 * at it; flow_engine_new copies it), so no two callers share one. */
void pipeline_env_engine_opts(struct flow_engine_opts *opts, const char *role, char owner[PIPELINE_ENV_OWNER_SIZE]);

/* Inngest mode: on when INNGEST_SIGNING_KEY is set or INNGEST_DEV is (not
 * "0" or "false"); fills opts from INNGEST_SIGNING_KEY(_FALLBACK),
 * INNGEST_EVENT_KEY, INNGEST_APP_ID, INNGEST_BASE_URL, INNGEST_DEV,
 * INNGEST_SERVE_ORIGIN, INNGEST_SERVE_PATH, INNGEST_ENV. Returns 1 when on. */
int pipeline_env_inngest(struct flow_inngest_opts *opts);

/* Runs one job on the engine in this process: registers the functions in
 * which, sends the event, works until the runs of those functions are
 * done, and returns the run of function_id that the event started in *run
 * (the caller clears it). */
int pipeline_env_run_job(struct cli_ctx *ctx, struct pipeline_config *cfg, unsigned which, const char *role,
                         int workers, const char *event, const json_t *data, const char *function_id,
                         struct store_flow_run *run, struct err *err);

/* The same with an event id: sending it again (a command run again after
 * it was killed) starts nothing new, and the run it started goes on. */
int pipeline_env_run_job_id(struct cli_ctx *ctx, struct pipeline_config *cfg, unsigned which, const char *role,
                            int workers, const char *event, const char *id, const json_t *data,
                            const char *function_id, struct store_flow_run *run, struct err *err);

/* Recomputes the rankings from week on (NULL: all weeks) on the engine, as
 * `rank` does, and prints the report of the weeks that changed. */
int pipeline_env_rank(struct cli_ctx *ctx, const char *week, struct err *err);

#endif
