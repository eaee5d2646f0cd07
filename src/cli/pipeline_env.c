/* pipeline_env.c - the pipeline's settings from the environment; see pipeline_env.h. */
#include "cli/pipeline_env.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/report.h"
#include "core/utc.h"

long pipeline_env_long(const char *name, long fallback)
{
    return config_long(name, fallback);
}

static int open_store(struct cli_ctx *ctx, int readonly, struct store **store, struct err *err)
{
    struct store_open_opts opts = {.token = ctx->config.db_token, .readonly = readonly, .check = 1};
    if (store_open(ctx->config.db_location, &opts, store, err) < 0 || store_require_current(*store, err) < 0)
        return -1;
    return 0;
}

int pipeline_env_scrape_max_pages(int *out, struct err *err)
{
    const char *v = config_env("CRYPTIC_BENCH_SCRAPE_MAX_PAGES");
    *out = 0;
    if (!v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > 100000)
        return err_set(err, "CRYPTIC_BENCH_SCRAPE_MAX_PAGES must be a whole number from 1 to 100000 (feed pages "
                            "per scrape walk), not \"%.40s\"", v);
    *out = (int)n;
    return 0;
}

int pipeline_env_open_store(struct cli_ctx *ctx, struct store **store, struct err *err)
{
    return open_store(ctx, 0, store, err);
}

int pipeline_env_open_readonly(struct cli_ctx *ctx, struct store **store, struct err *err)
{
    return open_store(ctx, 1, store, err);
}

int pipeline_env_open(struct cli_ctx *ctx, struct pipeline_config *cfg, struct store **store, struct err *err)
{
    memset(cfg, 0, sizeof *cfg);
    if (pipeline_env_open_store(ctx, store, err) < 0)
        return -1;
    cfg->store = *store;
    cfg->scrape.base_url = config_env("FIFTEENSQUARED_URL");
    cfg->scrape.min_interval_ms = pipeline_env_long("FIFTEENSQUARED_MIN_INTERVAL_MS", 500);
    if (cfg->scrape.min_interval_ms == 0)
        cfg->scrape.min_interval_ms = 1;
    cfg->scrape.retries = (int)pipeline_env_long("FIFTEENSQUARED_RETRIES", 3);
    cfg->scrape.backoff_ms = pipeline_env_long("FIFTEENSQUARED_BACKOFF_MS", 1000);
    cfg->scrape.timeout_ms = pipeline_env_long("FIFTEENSQUARED_TIMEOUT_MS", 30000);
    if (pipeline_env_scrape_max_pages(&cfg->scrape.max_pages, err) < 0)
        return -1;
    cfg->evaluate.api_key = config_env("OPENROUTER_API_KEY");
    cfg->evaluate.base_url = config_env("OPENROUTER_BASE_URL");
    cfg->evaluate.retries = (int)pipeline_env_long("CRYPTIC_BENCH_EVAL_RETRIES", 3);
    cfg->evaluate.backoff_ms = pipeline_env_long("CRYPTIC_BENCH_EVAL_BACKOFF_MS", 1000);
    cfg->evaluate.timeout_ms = pipeline_env_long("CRYPTIC_BENCH_EVAL_TIMEOUT_MS", 120000);
    cfg->coverage_threshold = config_double("CRYPTIC_BENCH_COVERAGE_THRESHOLD", 100);
    cfg->scrape_cron = config_env("CRYPTIC_BENCH_SCRAPE_CRON");
    cfg->step_retries = -1;
    cfg->alert_webhook = config_env("CRYPTIC_BENCH_ALERT_WEBHOOK");
    cfg->spend.budget_usd = config_double("CRYPTIC_BENCH_RUN_BUDGET_USD", 0);
    cfg->spend.default_cost_per_call = config_double("CRYPTIC_BENCH_COST_PER_CALL_USD", 0.005);
    cfg->spend.skip_credits = !config_bool("CRYPTIC_BENCH_CHECK_CREDITS", 1);
    return 0;
}

void pipeline_env_engine_opts(struct flow_engine_opts *opts, const char *role, char owner[PIPELINE_ENV_OWNER_SIZE])
{
    char host[256] = "cryptic-bench";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(owner, PIPELINE_ENV_OWNER_SIZE, "%.250s:%s", host, role);
    opts->owner = owner;
    opts->poll_ms = pipeline_env_long("CRYPTIC_BENCH_FLOW_POLL_MS", opts->poll_ms);
    opts->lease_ms = pipeline_env_long("CRYPTIC_BENCH_FLOW_LEASE_MS", opts->lease_ms);
    opts->backoff_base_ms = pipeline_env_long("CRYPTIC_BENCH_FLOW_BACKOFF_MS", opts->backoff_base_ms);
    opts->workers = (int)pipeline_env_long("CRYPTIC_BENCH_FLOW_WORKERS", opts->workers);
}

int pipeline_env_run_job(struct cli_ctx *ctx, struct pipeline_config *cfg, unsigned which, const char *role,
                         int workers, const char *event, const json_t *data, const char *function_id,
                         struct store_flow_run *run, struct err *err)
{
    return pipeline_env_run_job_id(ctx, cfg, which, role, workers, event, NULL, data, function_id, run, err);
}

int pipeline_env_run_job_id(struct cli_ctx *ctx, struct pipeline_config *cfg, unsigned which, const char *role,
                            int workers, const char *event, const char *id, const json_t *data,
                            const char *function_id, struct store_flow_run *run, struct err *err)
{
    struct flow_engine *engine = NULL;
    struct flow_engine_opts eo = {.workers = workers, .poll_ms = 20, .lease_ms = 300000, .backoff_base_ms = 1000};
    char owner[PIPELINE_ENV_OWNER_SIZE];
    pipeline_env_engine_opts(&eo, role, owner);
    char event_id[64];
    int rc = -1;
    memset(run, 0, sizeof *run);
    if (flow_engine_new(ctx->config.db_location, ctx->config.db_token, &eo, &engine, err) < 0 ||
        pipeline_register(engine, cfg, which, err) < 0 ||
        flow_engine_send(engine, event, data, id, event_id, err) < 0)
        goto out;
    if (workers > 1) {
        if (flow_engine_start(engine, err) < 0)
            goto out;
        int waited = flow_engine_wait_idle(engine, INT64_C(7) * 24 * 3600 * 1000, NULL, NULL, err);
        flow_engine_stop(engine);
        if (waited < 0)
            goto out;
    } else if (flow_engine_drain(engine, INT64_C(7) * 24 * 3600 * 1000, err) < 0) {
        goto out;
    }
    int found = 0;
    if (store_flow_run_by_event(flow_engine_store(engine), function_id, event_id, run, &found, err) < 0)
        goto out;
    if (!found) {
        err_set(err, "the event %s started no %s run", event, function_id);
        goto out;
    }
    rc = 0;
out:
    flow_engine_free(engine);
    return rc;
}

int pipeline_env_inngest(struct flow_inngest_opts *o)
{
    memset(o, 0, sizeof *o);
    const char *dev = config_env("INNGEST_DEV");
    o->dev = dev && strcmp(dev, "0") != 0 && strcmp(dev, "false") != 0;
    o->signing_key = config_env("INNGEST_SIGNING_KEY");
    o->signing_key_fallback = config_env("INNGEST_SIGNING_KEY_FALLBACK");
    o->event_key = config_env("INNGEST_EVENT_KEY");
    o->app_id = config_env("INNGEST_APP_ID");
    o->serve_origin = config_env("INNGEST_SERVE_ORIGIN");
    o->serve_path = config_env("INNGEST_SERVE_PATH");
    o->env = config_env("INNGEST_ENV");
    inngest_resolve_origins(o, config_env("INNGEST_BASE_URL"), dev);
    return o->signing_key || o->dev;
}

int pipeline_env_rank(struct cli_ctx *ctx, const char *week, struct err *err)
{
    double threshold = config_double("CRYPTIC_BENCH_COVERAGE_THRESHOLD", 100);
    struct store *store = NULL;
    struct pipeline_config cfg;
    struct store_flow_run run = {0};
    int rc = -1;
    if (pipeline_env_open(ctx, &cfg, &store, err) < 0)
        goto done;
    cfg.coverage_threshold = threshold;
    cfg.step_retries = 0;
    /* calculate-rankings on the engine, as the pipeline runs it. */
    json_t *data = week ? json_pack("{s:s}", "week_id", week) : json_object();
    rc = pipeline_env_run_job(ctx, &cfg, PIPELINE_RANK, "rank", 1, "benchmark/evaluate.complete", data,
                              "calculate-rankings", &run, err);
    json_decref(data);
    if (rc < 0)
        goto done;
    rc = -1;
    if (strcmp(run.status, "completed") != 0) {
        err_set(err, "%s", run.error ? run.error : run.status);
        goto done;
    }
    if (report_rank(store, week, stdout, err) < 0)
        goto done;
    rc = 0;
done:
    store_flow_run_clear(&run);
    store_close(store);
    return rc;
}
