/* runlog.c - a run's start and end in the log; see runlog.h. */
#include "pipeline/runlog.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "pipeline/functions.h"

/* " (week 2026-W14, model a/b)" from the triggering event's data, or "". */
static void subject(const struct store_flow_run *run, char *out, size_t size)
{
    out[0] = '\0';
    json_t *event = run->event ? json_loads(run->event, 0, NULL) : NULL;
    const json_t *data = json_object_get(event, "data");
    const char *week = json_string_value(json_object_get(data, "week_id"));
    const char *model = json_string_value(json_object_get(data, "model"));
    if (week && model)
        snprintf(out, size, " (week %.20s, model %.120s)", week, model);
    else if (week)
        snprintf(out, size, " (week %.20s)", week);
    else if (model)
        snprintf(out, size, " (model %.120s)", model);
    json_decref(event);
}

void pipeline_log_run(void *ctx, struct store *store, const struct store_flow_run *run)
{
    (void)ctx;
    char about[200];
    subject(run, about, sizeof about);
    if (strcmp(run->status, "running") == 0) {
        log_info("run %s started: %s%s", run->id, run->function_id, about);
        return;
    }
    double cost = 0, secs = 0;
    struct err err = {{0}};
    if (store_flow_run_cost(store, pipeline_step_fields(), run->id, &cost, &err) < 0)
        cost = 0;
    if (run->started_at && run->ended_at >= run->started_at)
        secs = (double)(run->ended_at - run->started_at) / 1000.0;
    log_info("run %s %s: %s%s in %.1f s, cost $%.4f%s%.300s", run->id, run->status, run->function_id, about, secs,
             cost, run->error ? ": " : "", run->error ? run->error : "");
}
