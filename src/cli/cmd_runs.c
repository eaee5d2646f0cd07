/* cmd_runs.c - `cryptic-bench runs`: workflow runs and their steps. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
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

/* The week and the model a run is about, from its event's data ("" when
 * it names none). */
static void subject(const struct store_flow_run *run, char *week, size_t wsize, char *model, size_t msize)
{
    json_t *event = run->event ? json_loads(run->event, 0, NULL) : NULL;
    const json_t *data = json_object_get(event, "data");
    const char *w = json_string_value(json_object_get(data, "week_id"));
    const char *m = json_string_value(json_object_get(data, "model"));
    snprintf(week, wsize, "%s", w ? w : "");
    snprintf(model, msize, "%s", m ? m : "");
    json_decref(event);
}

/* One run as JSON (the caller's). */
static json_t *run_json(const struct store_flow_run *run)
{
    char week[32], model[160];
    subject(run, week, sizeof week, model, sizeof model);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:i, s:s, s:I, s:I, s:I, s:s?, s:s?}", "id", run->id,
                          "function", run->function_id, "status", run->status, "week", week[0] ? week : NULL,
                          "model", model[0] ? model : NULL, "attempt", run->attempt + 1, "event_id", run->event_id,
                          "created_at", (json_int_t)run->created_at, "started_at", (json_int_t)run->started_at,
                          "ended_at", (json_int_t)run->ended_at, "parent_run", run->parent_run_id[0] ? run->parent_run_id : NULL,
                          "error", run->error);
    if (o && run->output) {
        json_t *out = json_loads(run->output, JSON_DECODE_ANY, NULL);
        json_object_set_new(o, "output", out ? out : json_string(run->output));
    }
    return o;
}

static void print_json(json_t *value)
{
    if (value)
        json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("\n");
    json_decref(value);
}

int cmd_runs(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    int json = 0;
    if (argc > 0 && strcmp(argv[argc - 1], "--json") == 0) {
        json = 1;
        argc--;
    }
    const char *action = argc > 0 ? argv[0] : "list";
    const char *id = argc > 1 ? argv[1] : NULL;
    if (json && strcmp(action, "list") != 0 && strcmp(action, "show") != 0)
        return cli_usage_error(cmd, "--json is for list and show");
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
    if (cli_open_store(ctx, readonly, &store, &err) < 0)
        goto out;
    int64_t now = utc_now_ms();
    if (strcmp(action, "list") == 0) {
        struct store_flow_run *runs = NULL;
        size_t n = 0;
        if (store_flow_runs_list(store, 50, &runs, &n, &err) < 0)
            goto out;
        json_t *list = json ? json_array() : NULL;
        if (!json)
            printf("%-28s %-19s %-9s %-10s %-28s %-20s %-9s %s\n", "RUN", "FUNCTION", "WEEK", "STATUS", "MODEL",
                   "CREATED", "DURATION", "ERROR");
        for (size_t i = 0; i < n; i++) {
            char created[32], took[32], week[32], model[160];
            if (json) {
                json_array_append_new(list, run_json(&runs[i]));
            } else {
                when(runs[i].created_at, created, sizeof created);
                duration(runs[i].started_at, runs[i].ended_at, took, sizeof took);
                subject(&runs[i], week, sizeof week, model, sizeof model);
                printf("%-28s %-19s %-9s %-10s %-28s %-20s %-9s %.60s\n", runs[i].id, runs[i].function_id,
                       week[0] ? week : "-", runs[i].status, model[0] ? model : "-", created, took,
                       runs[i].error ? runs[i].error : "");
            }
            store_flow_run_clear(&runs[i]);
        }
        free(runs);
        if (json)
            print_json(list);
        else if (n == 0)
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
        struct store_flow_step *steps = NULL;
        size_t n = 0;
        if (store_flow_steps(store, run.id, &steps, &n, &err) < 0) {
            store_flow_run_clear(&run);
            goto out;
        }
        if (json) {
            json_t *o = run_json(&run), *arr = json_array();
            for (size_t i = 0; i < n; i++) {
                const struct store_flow_step *s = &steps[i];
                json_array_append_new(arr, json_pack("{s:i, s:s?, s:s, s:s, s:i, s:I, s:I, s:s?}", "seq", s->seq + 1,
                                                     "name", s->name, "kind", s->kind, "status", s->status,
                                                     "attempts", s->attempts, "started_at", (json_int_t)s->started_at,
                                                     "ended_at", (json_int_t)s->ended_at, "error", s->error));
            }
            json_object_set_new(o, "steps", arr);
            print_json(o);
            store_flow_steps_free(steps, n);
            store_flow_run_clear(&run);
            status = CLI_OK;
            goto out;
        }
        char created[32], took[32], week[32], model[160];
        when(run.created_at, created, sizeof created);
        duration(run.started_at, run.ended_at, took, sizeof took);
        subject(&run, week, sizeof week, model, sizeof model);
        printf("run %s: %s, %s (attempt %d)\n", run.id, run.function_id, run.status, run.attempt + 1);
        if (week[0] || model[0])
            printf("  %s%s%s%s\n", week[0] ? "week " : "", week, week[0] && model[0] ? ", model " : model[0] ? "model " : "",
                   model);
        printf("  event %s, created %s, took %s\n", run.event_id, created, took);
        if (run.parent_run_id[0])
            printf("  invoked by run %s\n", run.parent_run_id);
        if (run.output)
            printf("  output: %.300s\n", run.output);
        if (run.error)
            printf("  error: %s\n", run.error);
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
