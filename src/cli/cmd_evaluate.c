/* cmd_evaluate.c - `cryptic-bench evaluate`: models on a week's clues, as the
 * evaluate-week workflow (one evaluate-model run per model) on the engine. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "cli/report.h"
#include "core/log.h"
#include "core/utc.h"
#include "eval/client.h"
#include "pipeline/functions.h"
#include "pipeline/run.h"

struct progress {
    int tty;
    int drawn;         /* lines drawn last time (tty) */
    int64_t last_draw_ms;
    int logged[PIPELINE_MAX_MODELS];
};

static void format_line(const struct pipeline_model_progress *m, char *out, size_t size)
{
    int64_t end = m->finished_ms ? m->finished_ms : utc_mono_ms();
    double secs = m->started_ms ? (double)(end - m->started_ms) / 1000.0 : 0;
    double rate = secs > 0 ? m->done / secs * 60 : 0;
    snprintf(out, size, "%-36s %3d/%-3d correct %3d  errors %2d  %5.1f/min%s", m->model, m->done,
             m->total, m->correct, m->errors, rate,
             m->stopped ? "  STOPPED" : m->finished_ms ? "  done" : "");
}

/* Redraws one line per model on a terminal; logs now and then otherwise. */
static void on_progress(void *ctx, const struct pipeline_model_progress *models, int n)
{
    struct progress *p = ctx;
    char line[256];
    if (p->tty) {
        int64_t now = utc_mono_ms();
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

/* The command's tally of every model, fed by the engine's worker threads. */
struct tally {
    pthread_mutex_t lock;
    struct pipeline_evaluate_report report;
    struct progress progress;
};

static void on_clue(void *ctx, const char *model, int planned, const struct pipeline_clue_result *res)
{
    struct tally *t = ctx;
    pthread_mutex_lock(&t->lock);
    struct pipeline_evaluate_report *r = &t->report;
    for (int i = 0; i < r->nmodels; i++) {
        struct pipeline_model_progress *m = &r->models[i];
        if (strcmp(m->model, model) != 0)
            continue;
        if (!res) {
            m->total = planned;
            m->started_ms = utc_mono_ms();
        } else {
            m->done++;
            m->correct += strcmp(res->outcome, "correct") == 0;
            m->wrong += strcmp(res->outcome, "wrong") == 0;
            m->no_answer += strcmp(res->outcome, "no_answer") == 0;
            m->errors += strcmp(res->outcome, "error") == 0;
            m->kept += res->kept;
            m->cost += res->cost > 0 ? res->cost : 0;
            r->cost += res->cost > 0 ? res->cost : 0;
        }
        if (m->done >= m->total && !m->finished_ms)
            m->finished_ms = utc_mono_ms();
        break;
    }
    on_progress(&t->progress, r->models, r->nmodels);
    pthread_mutex_unlock(&t->lock);
}

/* Marks the models whose evaluate-model run failed or was cancelled; a
 * run-fatal failure (its class, as data) puts "every model stopped: m:
 * why" into fatal. A model's run fails with the reason alone. */
static int mark_stopped(struct store *store, const char *week_run, struct pipeline_evaluate_report *r,
                        char *fatal, size_t fatal_size, struct err *err)
{
    struct store_flow_run *children = NULL;
    size_t n = 0;
    if (store_flow_children(store, week_run, &children, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct store_flow_run *c = &children[i];
        if (strcmp(c->status, "failed") != 0 && strcmp(c->status, "cancelled") != 0)
            continue;
        json_t *ev = c->event ? json_loads(c->event, 0, NULL) : NULL;
        const char *model = json_string_value(json_object_get(json_object_get(ev, "data"), "model"));
        for (int k = 0; model && k < r->nmodels; k++) {
            struct pipeline_model_progress *m = &r->models[k];
            if (strcmp(m->model, model) != 0)
                continue;
            const char *reason = c->error ? c->error : c->status;
            if (c->error_class == ERR_CLASS_RUN_FATAL && !fatal[0])
                snprintf(fatal, fatal_size, "every model stopped: %s: %s", model, reason);
            m->stopped = 1;
            snprintf(m->stop_reason, sizeof m->stop_reason, "%s", reason);
        }
        json_decref(ev);
    }
    for (size_t i = 0; i < n; i++)
        store_flow_run_clear(&children[i]);
    free(children);
    return 0;
}

/* A model's STATUS: what happened to it, in words. A model that was never
 * asked anything says why (retired, the week's run refused), not
 * "complete". */
static void model_status(const struct pipeline_model_progress *m, const struct store_model_list *models,
                         const struct store_flow_run *week_run, char *out, size_t size)
{
    if (m->stopped) {
        snprintf(out, size, "stopped: %s", m->stop_reason);
        return;
    }
    if (!m->started_ms) {
        const char *retired = NULL;
        for (size_t i = 0; i < models->n; i++)
            if (strcmp(models->items[i].openrouter_id, m->model) == 0)
                retired = models->items[i].retired_reason;
        if (retired)
            snprintf(out, size, "skipped: retired (%.300s); `cryptic-bench models activate %s` brings it back",
                     retired, m->model);
        else if (strcmp(week_run->status, "completed") != 0)
            snprintf(out, size, "not asked: %.400s", week_run->error ? week_run->error : week_run->status);
        else
            snprintf(out, size, "not asked");
        return;
    }
    if (m->total == 0)
        snprintf(out, size, "nothing to ask: every clue already answered");
    else
        snprintf(out, size, "%s", m->done == m->total ? "complete" : "incomplete");
}

/* The rankings step that followed the evaluation (calculate-rankings, from
 * the benchmark/evaluate.complete the week's run sent): its report, or why
 * the rankings were not recomputed. */
static void report_rankings(struct store *store, const char *week, int64_t since_ms)
{
    struct store_flow_run *runs = NULL;
    size_t n = 0;
    struct err err = {{0}};
    const struct store_flow_run *rank = NULL;
    if (store_flow_runs_list(store, 50, &runs, &n, &err) == 0)
        for (size_t i = 0; i < n && !rank; i++)
            if (strcmp(runs[i].function_id, "calculate-rankings") == 0 && runs[i].created_at >= since_ms)
                rank = &runs[i];
    if (rank && strcmp(rank->status, "completed") == 0) {
        printf("rankings recomputed from %s:\n", week);
        if (report_rank(store, week, stdout, &err) < 0)
            printf("  (cannot show them: %s)\n", err.msg);
    } else if (rank) {
        printf("rankings NOT recomputed: %s; `cryptic-bench rank --week %s` recomputes them\n",
               rank->error ? rank->error : rank->status, week);
    } else {
        printf("rankings NOT recomputed (the week's evaluation did not finish); `cryptic-bench rank --week %s` "
               "recomputes them\n", week);
    }
    for (size_t i = 0; i < n; i++)
        store_flow_run_clear(&runs[i]);
    free(runs);
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
    if (cli_check_week(cmd, week) != CLI_OK)
        return CLI_USAGE;
    struct err err = {{0}};

    struct store *store = NULL;
    struct pipeline_config cfg;
    struct store_flow_run run = {0};
    char fatal[800] = "";
    struct store_model_list models = {0};
    struct tally *t = calloc(1, sizeof *t);
    json_t *data = NULL;
    char newest[16];
    int status = CLI_FAILED;
    if (!t) {
        err_set(&err, "out of memory");
        goto done;
    }
    pthread_mutex_init(&t->lock, NULL);
    t->progress.tty = isatty(2) && log_get_level() >= LOG_INFO;
    if (cli_pipeline_config(ctx, &cfg, &store, &err) < 0)
        goto done;
    if (!week) {
        if (store_newest_week(store, newest, &err) < 0)
            goto done;
        if (!newest[0]) {
            err_set(&err, "no puzzles stored yet: run `cryptic-bench scrape` first");
            goto done;
        }
        week = newest;
    }
    cfg.evaluate.no_skip = opts.no_skip;
    cfg.evaluate.retry_no_answer = opts.retry_no_answer;
    memcpy(cfg.evaluate.models, opts.models, sizeof opts.models);
    cfg.evaluate.week_id = week;
    if (pipeline_evaluate_preflight(store, &cfg.evaluate, &t->report, &err) < 0)
        goto done;
    cfg.step_retries = 0; /* calls retry inside their step; a command reports, not waits */
    cfg.on_clue = on_clue;
    cfg.progress_ctx = t;

    data = json_pack("{s:s, s:b, s:b}", "week_id", week, "no_skip", opts.no_skip, "retry_no_answer",
                     opts.retry_no_answer);
    if (nmodels) {
        json_t *list = json_array();
        for (int i = 0; i < nmodels; i++)
            json_array_append_new(list, json_string(opts.models[i]));
        json_object_set_new(data, "models", list);
    }
    /* One worker per model at once (the week's run waits without one). */
    int workers = (int)config_long("CRYPTIC_BENCH_MAX_MODELS", 16);
    if (workers <= 0 || workers > t->report.nmodels)
        workers = t->report.nmodels;
    log_info("evaluating week %s", week);
    int64_t started = utc_now_real_ms();
    /* With calculate-rankings: the evaluation ends with the rankings step,
     * as it does in `run` and `serve`. */
    struct pipeline_job job = {.which = PIPELINE_EVALUATE | PIPELINE_RANK, .role = "evaluate", .workers = workers + 1,
                               .event = "benchmark/evaluate.requested", .data = data, .function_id = "evaluate-week"};
    if (pipeline_run_job(&cfg, &job, &run, &err) < 0 ||
        mark_stopped(store, run.id, &t->report, fatal, sizeof fatal, &err) < 0 || store_models_list(store, &models, &err) < 0)
        goto done;

    struct pipeline_evaluate_report *report = &t->report;
    printf("week %s: %d clues\n", week, report->clues);
    printf("%-36s %9s %7s %6s %9s %6s %9s  %s\n", "MODEL", "DONE", "CORRECT", "WRONG", "NO-ANSWER",
           "ERRORS", "COST", "STATUS");
    int stopped = 0;
    for (int i = 0; i < report->nmodels; i++) {
        const struct pipeline_model_progress *m = &report->models[i];
        char done[32], what[1024];
        if (m->started_ms)
            snprintf(done, sizeof done, "%d/%d", m->done, m->total < 0 ? 0 : m->total);
        else
            snprintf(done, sizeof done, "-");
        model_status(m, &models, &run, what, sizeof what);
        printf("%-36s %9s %7d %6d %9d %6d %9.4f  %s\n", m->model, done, m->correct, m->wrong, m->no_answer,
               m->errors, m->cost, what);
        stopped += m->stopped;
    }
    printf("total cost: $%.4f\n", report->cost);
    report_rankings(store, week, started);
    fflush(stdout);
    if (strcmp(run.status, "completed") != 0) {
        /* A run-fatal error: the model that met it says why. */
        err_set(&err, "%s", fatal[0] ? fatal : run.error ? run.error : run.status);
        goto done;
    }
    if (stopped) {
        err_set(&err, "%d of %d models stopped (see STATUS above); the others finished", stopped, report->nmodels);
        goto done;
    }
    status = CLI_OK;
done:
    json_decref(data);
    store_flow_run_clear(&run);
    store_model_list_free(&models);
    store_close(store);
    if (t) {
        pthread_mutex_destroy(&t->lock);
        free(t);
    }
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
