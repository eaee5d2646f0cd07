/* cmd_run.c - `cryptic-bench run`: scrape -> evaluate -> rank now, on the engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "cli/report.h"
#include "core/log.h"
#include "core/utc.h"
#include "pipeline/run.h"

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
    const char *week;
    int usage = cli_week_flag(cmd, argc, argv, &week);
    if (usage != CLI_OK)
        return usage;
    struct err err = {{0}};
    struct pipeline_config cfg;
    struct pipeline *pl = NULL;
    struct store *store = NULL;
    int status = CLI_FAILED;
    struct pipeline_open_opts po = {.which = PIPELINE_ALL,
                                    .role = "run",
                                    .engine = {.workers = 16, .poll_ms = 50, .lease_ms = 300000}};
    if (cli_pipeline_config(ctx, &cfg, &store, &err) < 0 || pipeline_open(&cfg, &po, &pl, &err) < 0)
        goto out;
    int64_t started = utc_now_real_ms();
    json_t *data = week ? json_pack("{s:s}", "week_id", week) : json_object();
    int rc = pipeline_send(pl, "benchmark/scrape.requested", data, NULL, NULL, &err);
    json_decref(data);
    if (rc < 0)
        goto out;
    struct progress p = {pipeline_store(pl), started, isatty(STDERR_FILENO), ""};
    rc = pipeline_wait(pl, 24LL * 3600 * 1000, tick, &p, &err);
    tick(&p); /* the final counts */
    if (p.tty && p.last[0] && log_get_level() >= LOG_INFO)
        fputc('\n', stderr);
    if (rc < 0)
        goto out;
    char summary[4096];
    int failed = 0;
    if (report_run_summary(pipeline_store(pl), started, summary, sizeof summary, &failed, &err) < 0)
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
    pipeline_close(pl);
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
