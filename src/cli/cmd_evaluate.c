/* cmd_evaluate.c - `cryptic-bench evaluate`: models on a week's clues. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/utc.h"
#include "eval/client.h"
#include "pipeline/evaluate.h"

struct progress {
    int tty;
    int drawn;         /* lines drawn last time (tty) */
    int64_t last_draw_ms;
    int logged[PIPELINE_MAX_MODELS];
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void format_line(const struct pipeline_model_progress *m, char *out, size_t size)
{
    int64_t end = m->finished_ms ? m->finished_ms : mono_ms();
    double secs = m->started_ms ? (double)(end - m->started_ms) / 1000.0 : 0;
    double rate = secs > 0 ? m->done / secs * 60 : 0;
    snprintf(out, size, "%-36s %3d/%-3d correct %3d  errors %2d  %5.1f/min%s%s", m->model, m->done,
             m->total, m->correct, m->errors, rate,
             m->stopped ? "  STOPPED" : m->finished_ms ? "  done" : "", m->stopped ? "" : "");
}

/* Redraws one line per model on a terminal; logs now and then otherwise. */
static void on_progress(void *ctx, const struct pipeline_model_progress *models, int n)
{
    struct progress *p = ctx;
    char line[256];
    if (p->tty) {
        int64_t now = mono_ms();
        int all_done = 1;
        for (int i = 0; i < n; i++)
            all_done &= models[i].finished_ms != 0 || models[i].stopped;
        if (now - p->last_draw_ms < 100 && !all_done)
            return;
        p->last_draw_ms = now;
        if (p->drawn)
            fprintf(stderr, "\033[%dA", p->drawn);
        for (int i = 0; i < n; i++) {
            format_line(&models[i], line, sizeof line);
            fprintf(stderr, "\r\033[K%s\n", line);
        }
        p->drawn = n;
        fflush(stderr);
        return;
    }
    for (int i = 0; i < n && i < PIPELINE_MAX_MODELS; i++) {
        const struct pipeline_model_progress *m = &models[i];
        int finished = m->finished_ms != 0 || m->stopped;
        int step = m->done / 10;
        if ((finished && p->logged[i] >= 0) || (!finished && step > p->logged[i] && m->done < m->total)) {
            format_line(m, line, sizeof line);
            log_info("%s", line);
            p->logged[i] = finished ? -1 : step;
        }
    }
}

static long env_long(const char *name, long fallback)
{
    const char *v = config_env(name);
    if (!v)
        return fallback;
    char *end;
    long n = strtol(v, &end, 10);
    return *end == '\0' && n >= 0 ? n : fallback;
}

int cmd_evaluate(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    struct pipeline_evaluate_opts opts = {0};
    const char *week = NULL, *model = NULL;
    int nmodels = 0;
    for (int i = 0; i < argc;) {
        int taken;
        if ((taken = cli_take_value(argc, argv, &i, "--week", &week)) != 0) {
            if (taken < 0)
                return cli_usage_error(cmd, "--week needs a week id such as 2026-W14");
            continue;
        }
        if ((taken = cli_take_value(argc, argv, &i, "--model", &model)) != 0) {
            if (taken < 0)
                return cli_usage_error(cmd, "--model needs a model id");
            if (nmodels >= PIPELINE_MAX_MODELS - 1)
                return cli_usage_error(cmd, "too many --model");
            opts.models[nmodels++] = model;
            continue;
        }
        if (strcmp(argv[i], "--no-skip") == 0)
            opts.no_skip = 1;
        else if (strcmp(argv[i], "--retry-no-answer") == 0)
            opts.retry_no_answer = 1;
        else
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
        i++;
    }
    struct err err = {{0}};
    if (week) {
        struct utc_date monday;
        if (utc_week_monday(week, &monday, &err) < 0)
            return cli_usage_error(cmd, "--week: %s", err.msg);
    }
    opts.api_key = config_env("OPENROUTER_API_KEY");
    opts.base_url = config_env("OPENROUTER_BASE_URL");
    opts.retries = (int)env_long("CRYPTIC_BENCH_EVAL_RETRIES", 3);
    opts.backoff_ms = env_long("CRYPTIC_BENCH_EVAL_BACKOFF_MS", 1000);
    opts.timeout_ms = env_long("CRYPTIC_BENCH_EVAL_TIMEOUT_MS", 120000);
    opts.max_models = (int)env_long("CRYPTIC_BENCH_MAX_MODELS", 16);
    opts.max_in_flight = (int)env_long("CRYPTIC_BENCH_MAX_IN_FLIGHT", 32);

    struct store *store = NULL;
    struct store_open_opts sopts = {.token = ctx->config.db_token};
    char newest[16];
    if (store_open(ctx->config.db_location, &sopts, &store, &err) < 0 ||
        store_migrate(store, NULL, NULL, &err) < 0 || store_require_current(store, &err) < 0)
        goto fail;
    if (!week) {
        if (store_newest_week(store, newest, &err) < 0)
            goto fail;
        if (!newest[0]) {
            err_set(&err, "no puzzles stored yet: run `cryptic-bench scrape` first");
            goto fail;
        }
        week = newest;
    }
    opts.week_id = week;

    struct progress progress = {.tty = isatty(2) && log_get_level() >= LOG_INFO};
    struct pipeline_evaluate_report *report = calloc(1, sizeof *report);
    if (!report) {
        err_set(&err, "out of memory");
        goto fail;
    }
    log_info("evaluating week %s", week);
    if (pipeline_evaluate(store, &opts, on_progress, &progress, report, &err) < 0) {
        free(report);
        goto fail;
    }
    store_close(store);

    printf("week %s: %d clues\n", week, report->clues);
    printf("%-36s %9s %7s %6s %9s %6s %9s  %s\n", "MODEL", "DONE", "CORRECT", "WRONG", "NO-ANSWER",
           "ERRORS", "COST", "STATUS");
    int stopped = 0;
    for (int i = 0; i < report->nmodels; i++) {
        const struct pipeline_model_progress *m = &report->models[i];
        char done[32];
        snprintf(done, sizeof done, "%d/%d", m->done, m->total);
        printf("%-36s %9s %7d %6d %9d %6d %9.4f  %s%s\n", m->model, done, m->correct, m->wrong,
               m->no_answer, m->errors, m->cost,
               m->stopped ? "stopped: " : m->done == m->total ? "complete" : "incomplete",
               m->stopped ? m->stop_reason : "");
        stopped += m->stopped;
    }
    printf("total cost: $%.4f\n", report->cost);
    int status = CLI_OK;
    if (report->run_failed) {
        fflush(stdout);
        snprintf(err.msg, sizeof err.msg, "every model stopped: %.900s", report->run_error);
        status = cli_fail(cmd, err.msg);
    } else if (stopped) {
        fflush(stdout);
        snprintf(err.msg, sizeof err.msg, "%d of %d models stopped (see STATUS above); the others finished",
                 stopped, report->nmodels);
        status = cli_fail(cmd, err.msg);
    }
    free(report);
    return status;
fail:
    store_close(store);
    return cli_fail(cmd, err.msg);
}
