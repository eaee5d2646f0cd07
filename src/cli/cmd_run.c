/* cmd_run.c - `cryptic-bench run`: scrape -> evaluate -> rank now, on the engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pipeline_env.h"
#include "cli/report.h"
#include "core/log.h"
#include "core/utc.h"
#include "flow/flow.h"
#include "pipeline/functions.h"

struct progress {
    struct store *store;
    int64_t since_ms; /* this run's start: earlier runs are not counted */
    int tty;          /* stderr is a terminal: redraw one line in place */
    char last[512];   /* the line shown last */
};

/* Runs done per function, steps, evaluations, errors, cost: one line, for
 * this run only. Off a terminal a line is written only when it changed. */
static void tick(void *ctx)
{
    struct progress *p = ctx;
    char line[512];
    struct err err = {{0}};
    if (report_run_progress(p->store, p->since_ms, line, sizeof line, &err) < 0 || strcmp(line, p->last) == 0)
        return;
    snprintf(p->last, sizeof p->last, "%s", line);
    if (p->tty && log_get_level() >= LOG_INFO) {
        fprintf(stderr, "\r\033[K%s", line);
        fflush(stderr);
    } else {
        log_info("%s", line);
    }
}

int cmd_run(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *week = NULL;
    for (int i = 0; i < argc;) {
        int taken = cli_take_value(argc, argv, &i, "--week", &week);
        if (taken < 0)
            return cli_usage_error(cmd, "--week needs a week id such as 2026-W14");
        if (taken == 0)
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
    }
    struct err err = {{0}};
    if (week) {
        struct utc_date monday;
        if (utc_week_monday(week, &monday, &err) < 0)
            return cli_usage_error(cmd, "--week: %s", err.msg);
    }
    struct pipeline_config cfg;
    struct flow_engine *engine = NULL;
    struct store *store = NULL;
    int status = CLI_FAILED;
    if (pipeline_env_open(ctx, &cfg, &store, &err) < 0)
        goto out;
    struct flow_engine_opts eo = {.workers = 16, .poll_ms = 50, .lease_ms = 300000};
    char owner[PIPELINE_ENV_OWNER_SIZE];
    pipeline_env_engine_opts(&eo, "run", owner);
    if (flow_engine_new(ctx->config.db_location, ctx->config.db_token, &eo, &engine, &err) < 0 ||
        pipeline_register(engine, &cfg, PIPELINE_ALL, &err) < 0)
        goto out;
    int64_t started = utc_now_real_ms();
    json_t *data = week ? json_pack("{s:s}", "week_id", week) : json_object();
    char id[64];
    int rc = flow_engine_send(engine, "benchmark/scrape.requested", data, NULL, id, &err);
    json_decref(data);
    if (rc < 0 || flow_engine_start(engine, &err) < 0)
        goto out;
    struct progress p = {flow_engine_store(engine), started, isatty(STDERR_FILENO), ""};
    rc = flow_engine_wait_idle(engine, 24LL * 3600 * 1000, tick, &p, &err);
    flow_engine_stop(engine);
    tick(&p); /* the final counts */
    if (p.tty && p.last[0] && log_get_level() >= LOG_INFO)
        fputc('\n', stderr);
    if (rc < 0)
        goto out;
    char summary[4096];
    int failed = 0;
    if (report_run_summary(flow_engine_store(engine), started, summary, sizeof summary, &failed, &err) < 0)
        goto out;
    printf("%s", summary);
    if (failed) {
        fflush(stdout);
        snprintf(err.msg, sizeof err.msg, "%d workflow run%s failed (see above, and `cryptic-bench runs`)", failed,
                 failed == 1 ? "" : "s");
        goto out;
    }
    status = CLI_OK;
out:
    flow_engine_free(engine);
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
