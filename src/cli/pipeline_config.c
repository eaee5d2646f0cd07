/* pipeline_config.c - the pipeline's settings from flags and the environment; see pipeline_config.h. */
#include "cli/pipeline_config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "pipeline/run.h"

int cli_scrape_max_pages(int *out, struct err *err)
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

int cli_open_store(struct cli_ctx *ctx, int readonly, struct store **store, struct err *err)
{
    struct store_open_opts opts = {.token = ctx->config.db_token, .readonly = readonly, .check = 1};
    if (store_open(ctx->config.db_location, &opts, store, err) < 0 || store_require_current(*store, err) < 0)
        return -1;
    return 0;
}

int cli_pipeline_config(struct cli_ctx *ctx, struct pipeline_config *cfg, struct store **store, struct err *err)
{
    memset(cfg, 0, sizeof *cfg);
    if (cli_open_store(ctx, 0, store, err) < 0)
        return -1;
    cfg->store = *store;
    cfg->engine.db_location = ctx->config.db_location;
    cfg->engine.db_token = ctx->config.db_token;
    cfg->engine.poll_ms = config_long("CRYPTIC_BENCH_FLOW_POLL_MS", -1);
    cfg->engine.lease_ms = config_long("CRYPTIC_BENCH_FLOW_LEASE_MS", -1);
    cfg->engine.backoff_base_ms = config_long("CRYPTIC_BENCH_FLOW_BACKOFF_MS", -1);
    cfg->engine.workers = (int)config_long("CRYPTIC_BENCH_FLOW_WORKERS", -1);
    cfg->scrape.base_url = config_env("FIFTEENSQUARED_URL");
    cfg->scrape.min_interval_ms = config_long("FIFTEENSQUARED_MIN_INTERVAL_MS", 500);
    if (cfg->scrape.min_interval_ms == 0)
        cfg->scrape.min_interval_ms = 1;
    cfg->scrape.retries = (int)config_long("FIFTEENSQUARED_RETRIES", 3);
    cfg->scrape.backoff_ms = config_long("FIFTEENSQUARED_BACKOFF_MS", 1000);
    cfg->scrape.timeout_ms = config_long("FIFTEENSQUARED_TIMEOUT_MS", 30000);
    if (cli_scrape_max_pages(&cfg->scrape.max_pages, err) < 0)
        return -1;
    cfg->evaluate.api_key = config_env("OPENROUTER_API_KEY");
    cfg->evaluate.base_url = config_env("OPENROUTER_BASE_URL");
    cfg->evaluate.retries = (int)config_long("CRYPTIC_BENCH_EVAL_RETRIES", 3);
    cfg->evaluate.backoff_ms = config_long("CRYPTIC_BENCH_EVAL_BACKOFF_MS", 1000);
    cfg->evaluate.timeout_ms = config_long("CRYPTIC_BENCH_EVAL_TIMEOUT_MS", 120000);
    cfg->coverage_threshold = config_double("CRYPTIC_BENCH_COVERAGE_THRESHOLD", 100);
    cfg->scrape_cron = config_env("CRYPTIC_BENCH_SCRAPE_CRON");
    cfg->step_retries = -1;
    cfg->alert_webhook = config_env("CRYPTIC_BENCH_ALERT_WEBHOOK");
    cfg->spend.budget_usd = config_double("CRYPTIC_BENCH_RUN_BUDGET_USD", 0);
    cfg->spend.default_cost_per_call = config_double("CRYPTIC_BENCH_COST_PER_CALL_USD", 0.005);
    cfg->spend.skip_credits = !config_bool("CRYPTIC_BENCH_CHECK_CREDITS", 1);
    return 0;
}

int cli_inngest_opts(struct flow_inngest_opts *o)
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

int cli_rank(struct cli_ctx *ctx, const char *week, struct err *err)
{
    struct store *store = NULL;
    struct pipeline_config cfg;
    int rc = -1;
    if (cli_pipeline_config(ctx, &cfg, &store, err) == 0 && pipeline_rank(&cfg, week, err) == 0 &&
        report_rank(store, week, stdout, err) == 0)
        rc = 0;
    store_close(store);
    return rc;
}
