/*
 * pipeline_config.h - the pipeline's settings from flags and the
 * environment (the same variables `scrape` and `evaluate` read), for the
 * commands that run it through pipeline/run.h (`run`, `serve`, `send`,
 * `scrape`, `evaluate`, `rank`, `backfill`, ...). cli/ reads the
 * environment; pipeline/ only gets the struct.
 */
#ifndef CB_CLI_PIPELINE_CONFIG_H
#define CB_CLI_PIPELINE_CONFIG_H

#include "cli/cli.h"
#include "flow/inngest.h"
#include "pipeline/functions.h"
#include "store/store.h"

/* CRYPTIC_BENCH_SCRAPE_MAX_PAGES, the feed pages a scrape walk reads at
 * most: *out 0 when unset (the default), else a whole number from 1 to
 * 100000; anything else fails naming the variable. */
int cli_scrape_max_pages(int *out, struct err *err);

/* Opens the database, creating nothing: a corrupt file, an empty one and
 * an older schema are refused (only init-db upgrades). With readonly (the
 * commands that only read: status, leaderboard, runs list/show, puzzles
 * list, models) a file is opened read-only, so nothing they do can write
 * to it. */
int cli_open_store(struct cli_ctx *ctx, int readonly, struct store **store, struct err *err);

/* Opens the database (as cli_open_store, for writing) and fills cfg from
 * the environment: the scrape, evaluation, spend and alert settings, and
 * the engine's (its database, CRYPTIC_BENCH_FLOW_POLL_MS, _LEASE_MS,
 * _BACKOFF_MS, _WORKERS). *store is the caller's and must outlive any
 * pipeline opened on cfg. */
int cli_pipeline_config(struct cli_ctx *ctx, struct pipeline_config *cfg, struct store **store, struct err *err);

/* Inngest mode: on when INNGEST_SIGNING_KEY is set or INNGEST_DEV is (not
 * "0" or "false"); fills opts from INNGEST_SIGNING_KEY(_FALLBACK),
 * INNGEST_EVENT_KEY, INNGEST_APP_ID, INNGEST_BASE_URL, INNGEST_DEV,
 * INNGEST_SERVE_ORIGIN, INNGEST_SERVE_PATH, INNGEST_ENV. Returns 1 when on. */
int cli_inngest_opts(struct flow_inngest_opts *opts);

/* Recomputes the rankings from week on (NULL: all weeks) with
 * pipeline_rank, as `rank` does, and prints the report of the weeks that
 * changed. */
int cli_rank(struct cli_ctx *ctx, const char *week, struct err *err);

#endif
