/*
 * functions.h - the weekly pipeline as durable workflow functions
 * (DESIGN §4 "The pipeline and its error classes"):
 *
 *  - scrape-puzzles (cron TZ=UTC 0 6 * * 0, event benchmark/scrape.requested
 *    {week_id?, since?, max?, max_pages?, series?}): reads the feed (one step;
 *    the event may narrow it as the `scrape` flags do), alerts the webhook
 *    once about posts rejected on 3 scrapes (step "alert-rejected", only
 *    with a webhook; its failure does not fail the scrape), then sends
 *    benchmark/scrape.complete {weeks}
 *    and one benchmark/evaluate.requested {week_id} per week with clues some
 *    active model still lacks an answer for;
 *  - evaluate-week (benchmark/evaluate.requested {week_id, models?};
 *    concurrency 1 per week): invokes evaluate-model for every model in
 *    parallel, waits for all, sends benchmark/evaluate.complete {week_id}; a
 *    run-fatal error (401, 402) in any model stops the others (see below)
 *    and fails the week with one message (rankings still follow, by the
 *    coverage rule);
 *  - evaluate-model (invoked with {model, week_id}, or the event
 *    benchmark/evaluate-model.requested; concurrency 1 per model): one step
 *    "eval-<clue id>" per clue still to ask, paced inside the step; a
 *    model-fatal error (403, 404) fails this model only; a run-fatal one
 *    sends benchmark/evaluate.cancelled {week_id, model, reason}, the cancel
 *    event this function declares (matching the week, sparing the sender),
 *    so the week's other model runs stop at once, then fails;
 *  - calculate-rankings (benchmark/evaluate.complete): recomputes the
 *    rankings from that week on, in one step;
 *  - backfill-model (benchmark/model.added {model, weeks?}; one run per
 *    model at a time): checks the model and the spend, invokes
 *    evaluate-model for every past week with clues (or the weeks named),
 *    then sends benchmark/evaluate.complete from the earliest of them.
 */
#ifndef CB_PIPELINE_FUNCTIONS_H
#define CB_PIPELINE_FUNCTIONS_H

#include "flow/flow.h"
#include "pipeline/evaluate.h"
#include "pipeline/scrape.h"
#include "pipeline/spend.h"

#define PIPELINE_EVENT_EVALUATE_MODEL "benchmark/evaluate-model.requested"
#define PIPELINE_EVENT_CANCEL_WEEK "benchmark/evaluate.cancelled"
#define PIPELINE_EVENT_MODEL_ADDED "benchmark/model.added"

/* Where and how the embedded engine runs (pipeline_open, run.h): the
 * caller's settings; each duration or count set (>= 0) wins over the
 * command's own default. */
struct pipeline_engine_config {
    const char *db_location;                /* the database the engine keeps its runs in */
    const char *db_token;                   /* its token; NULL: none */
    long poll_ms, lease_ms, backoff_base_ms; /* -1: the command's default */
    int workers;                            /* -1: the command's default */
};

/* The function ids and step names that other code reads the pipeline's
 * checkpoints by (store/ sums them through pipeline_step_fields()). */
#define PIPELINE_FN_SCRAPE "scrape-puzzles"
#define PIPELINE_FN_EVALUATE_MODEL "evaluate-model"
#define PIPELINE_STEP_SCRAPE "scrape"    /* its output: the scrape's report {saved, skipped, rejected, ...} */
#define PIPELINE_STEP_EVAL_PREFIX "eval-" /* + clue id; its output: {outcome, class, status, error, cost} */

struct pipeline_config {
    struct store *store;                    /* shared by the steps (calls are serialised) */
    struct pipeline_engine_config engine;   /* for run.h; pipeline_register does not read it */
    struct pipeline_scrape_opts scrape;
    struct pipeline_evaluate_opts evaluate; /* week_id and models are taken from events */
    double coverage_threshold;              /* 0: 100 */
    struct pipeline_spend_opts spend;       /* checked before a week's (or a backfill's) first call */
    const char *alert_webhook;              /* a failed or partial week POSTs a JSON message here; NULL: none */
    const char *scrape_cron;                /* default "TZ=UTC 0 6 * * 0" */
    int step_retries;                       /* engine-level retries of a failing step; -1: 2 */
    pipeline_scrape_fn on_scrape;           /* progress of scrape steps (commands print it); may be NULL */
    pipeline_clue_fn on_clue;               /* progress of evaluate-model steps; may be NULL */
    void *progress_ctx;                     /* for on_clue */
};

enum {
    PIPELINE_SCRAPE = 1,
    PIPELINE_EVALUATE = 2,
    PIPELINE_RANK = 4,
    PIPELINE_BACKFILL = 8,
    PIPELINE_ALL = 15,
};

/* Where the pipeline's step outputs keep what `run`, the run log and
 * /metrics sum: the functions and steps above and their output fields, for
 * store_run_progress, store_flow_run_cost and store_metrics_read. Static;
 * never NULL. */
const struct store_step_fields *pipeline_step_fields(void);

/* Registers the chosen functions; cfg must outlive the engine. */
int pipeline_register(struct flow_engine *engine, struct pipeline_config *cfg, unsigned which, struct err *err);

#endif
