/* cmd_runs.c - `cryptic-bench runs`: workflow runs and their steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pipeline_env.h"
#include "core/utc.h"
#include "store/store.h"

static void when(int64_t ms, char *out, size_t size)
{
    if (ms <= 0) {
        snprintf(out, size, "-");
        return;
    }
    char ts[UTC_TIMESTAMP_SIZE];
    utc_format_timestamp(ms, ts);
    snprintf(out, size, "%s", ts);
}

static void duration(int64_t from, int64_t to, char *out, size_t size)
{
    if (from <= 0 || to <= 0 || to < from)
        snprintf(out, size, "-");
    else if (to - from < 10000)
        snprintf(out, size, "%lld ms", (long long)(to - from));
    else
        snprintf(out, size, "%.1f s", (double)(to - from) / 1000.0);
}

int cmd_runs(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *action = argc > 0 ? argv[0] : "list";
    const char *id = argc > 1 ? argv[1] : NULL;
    int needs_id = strcmp(action, "show") == 0 || strcmp(action, "cancel") == 0 || strcmp(action, "retry") == 0;
    if (strcmp(action, "list") != 0 && !needs_id)
        return cli_usage_error(cmd, "unknown action \"%s\"", action);
    if (needs_id && !id)
        return cli_usage_error(cmd, "%s needs a run id", action);
    if (argc > (needs_id ? 2 : 1))
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[needs_id ? 2 : 1]);

    struct err err = {{0}};
    struct store *store = NULL;
    int status = CLI_FAILED;
    int readonly = strcmp(action, "list") == 0 || strcmp(action, "show") == 0;
    if ((readonly ? pipeline_env_open_readonly(ctx, &store, &err) : pipeline_env_open_store(ctx, &store, &err)) < 0)
        goto out;
    int64_t now = utc_now_ms();
    if (strcmp(action, "list") == 0) {
        struct store_flow_run *runs = NULL;
        size_t n = 0;
        if (store_flow_runs_list(store, 50, &runs, &n, &err) < 0)
            goto out;
        printf("%-28s %-22s %-10s %-20s %-9s %s\n", "RUN", "FUNCTION", "STATUS", "CREATED", "DURATION", "ERROR");
        for (size_t i = 0; i < n; i++) {
            char created[32], took[32];
            when(runs[i].created_at, created, sizeof created);
            duration(runs[i].started_at, runs[i].ended_at, took, sizeof took);
            printf("%-28s %-22s %-10s %-20s %-9s %.60s\n", runs[i].id, runs[i].function_id, runs[i].status, created,
                   took, runs[i].error ? runs[i].error : "");
            store_flow_run_clear(&runs[i]);
        }
        free(runs);
        if (n == 0)
            printf("(no runs)\n");
    } else if (strcmp(action, "show") == 0) {
        struct store_flow_run run;
        int found = 0;
        if (store_flow_run_get(store, id, &run, &found, &err) < 0)
            goto out;
        if (!found) {
            err_set(&err, "no run %s (see `cryptic-bench runs list`)", id);
            goto out;
        }
        char created[32], took[32];
        when(run.created_at, created, sizeof created);
        duration(run.started_at, run.ended_at, took, sizeof took);
        printf("run %s: %s, %s (attempt %d)\n", run.id, run.function_id, run.status, run.attempt + 1);
        printf("  event %s, created %s, took %s\n", run.event_id, created, took);
        if (run.parent_run_id[0])
            printf("  invoked by run %s\n", run.parent_run_id);
        if (run.output)
            printf("  output: %.300s\n", run.output);
        if (run.error)
            printf("  error: %s\n", run.error);
        struct store_flow_step *steps = NULL;
        size_t n = 0;
        if (store_flow_steps(store, run.id, &steps, &n, &err) < 0) {
            store_flow_run_clear(&run);
            goto out;
        }
        printf("  %-4s %-28s %-7s %-9s %8s %9s  %s\n", "#", "STEP", "KIND", "STATUS", "ATTEMPTS", "DURATION", "ERROR / WAKES");
        for (size_t i = 0; i < n; i++) {
            const struct store_flow_step *s = &steps[i];
            char took_s[32], wake[64] = "";
            duration(s->started_at, s->ended_at, took_s, sizeof took_s);
            if (s->wake_at && strcmp(s->status, "done") != 0 && strcmp(s->status, "failed") != 0) {
                char w[32];
                when(s->wake_at, w, sizeof w);
                snprintf(wake, sizeof wake, "%s %s", s->wake_at > now ? "until" : "since", w);
            }
            printf("  %-4d %-28.28s %-7s %-9s %8d %9s  %.80s%s%s\n", s->seq + 1, s->name ? s->name : "", s->kind,
                   s->status, s->attempts, took_s, s->error ? s->error : "", s->error && wake[0] ? "; " : "", wake);
        }
        store_flow_steps_free(steps, n);
        store_flow_run_clear(&run);
    } else {
        int changed = 0;
        int rc = strcmp(action, "cancel") == 0 ? store_flow_run_cancel(store, id, now, &changed, &err)
                                               : store_flow_run_retry(store, id, now, &changed, &err);
        if (rc < 0)
            goto out;
        if (!changed) {
            err_set(&err, "run %s cannot be %s (unknown, or %s)", id,
                    strcmp(action, "cancel") == 0 ? "cancelled" : "retried",
                    strcmp(action, "cancel") == 0 ? "already finished" : "not failed or cancelled");
            goto out;
        }
        printf("run %s %s\n", id, strcmp(action, "cancel") == 0 ? "cancelled" : "queued again (checkpointed steps kept)");
    }
    status = CLI_OK;
out:
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
