/* cmd_backfill.c - `cryptic-bench backfill MODEL [--weeks LIST]`: a newly
 * activated model on past weeks, as the backfill-model workflow runs it
 * (benchmark/model.added), then the rankings from the earliest week. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "cli/report.h"
#include "core/utc.h"
#include "pipeline/run.h"
#include "store/store.h"

int cmd_backfill(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *model = NULL, *weeks_text = NULL;
    for (int i = 0; i < argc;) {
        int taken = cli_take_value(argc, argv, &i, "--weeks", &weeks_text);
        if (taken < 0)
            return cli_usage_error(cmd, "--weeks needs a list such as 2026-W01,2026-W04");
        if (taken > 0)
            continue;
        if (model || argv[i][0] == '-')
            return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[i]);
        model = argv[i++];
    }
    if (!model)
        return cli_usage_error(cmd, "which model? its OpenRouter id, e.g. openai/gpt-5.2");
    json_t *weeks = NULL;
    if (weeks_text) {
        weeks = json_array();
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", weeks_text);
        for (char *save = NULL, *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
            struct utc_date monday;
            struct err werr = {{0}};
            if (utc_week_monday(w, &monday, &werr) < 0) {
                json_decref(weeks);
                return cli_usage_error(cmd, "--weeks: %s", werr.msg);
            }
            json_array_append_new(weeks, json_string(w));
        }
    }
    struct err err = {{0}};
    struct store *store = NULL;
    struct pipeline_config cfg;
    struct store_flow_run run = {0};
    int status = CLI_FAILED;
    json_t *data = NULL;
    if (cli_pipeline_config(ctx, &cfg, &store, &err) < 0)
        goto done;
    /* The event id names this backfill: the same command again (after a
     * crash) resumes its run instead of starting another; a later backfill,
     * with more weeks stored, is a new one. */
    char(*all)[16] = NULL;
    size_t nall = 0;
    if (store_weeks_with_clues(store, &all, &nall, &err) < 0)
        goto done;
    free(all);
    char id[4300];
    snprintf(id, sizeof id, "backfill:%s:%s:%zu", model, weeks_text ? weeks_text : "all", nall);
    data = weeks ? json_pack("{s:s, s:O}", "model", model, "weeks", weeks) : json_pack("{s:s}", "model", model);
    printf("backfilling %s on %s\n", model, weeks_text ? weeks_text : "every week with clues");
    fflush(stdout);
    struct pipeline_job job = {.which = PIPELINE_BACKFILL | PIPELINE_EVALUATE | PIPELINE_RANK,
                               .role = "backfill",
                               .workers = 3,
                               .event = PIPELINE_EVENT_MODEL_ADDED,
                               .id = id,
                               .data = data,
                               .function_id = "backfill-model"};
    if (pipeline_run_job(&cfg, &job, &run, &err) < 0 || pipeline_run_completed(&run, &err) < 0)
        goto done;
    json_t *out = json_loads(run.output ? run.output : "{}", 0, NULL);
    json_t *w = json_object_get(out, "weeks");
    printf("%s evaluated on %zu week(s)", model, json_array_size(w));
    if (json_array_size(json_object_get(out, "stopped")))
        printf("; stopped in %zu", json_array_size(json_object_get(out, "stopped")));
    printf("; rankings recomputed from %s\n", json_string_value(json_array_get(w, 0)));
    if (report_rank(store, json_string_value(json_array_get(w, 0)), stdout, &err) < 0) {
        json_decref(out);
        goto done;
    }
    json_decref(out);
    status = CLI_OK;
done:
    json_decref(weeks);
    json_decref(data);
    store_flow_run_clear(&run);
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
