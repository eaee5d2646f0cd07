/* cmd_scrape.c - `cryptic-bench scrape`: new puzzles from Fifteensquared,
 * as the scrape-puzzles workflow on the engine (the evaluations it asks for
 * are recorded as events; `run` or `serve` picks them up). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "core/log.h"
#include "core/utc.h"
#include "pipeline/run.h"
#include "pipeline/scrape.h"
#include "scrape/title.h"

static void on_event(void *ctx, enum pipeline_scrape_event event, const char *url, const char *detail)
{
    (void)ctx;
    switch (event) {
    case PIPELINE_SCRAPE_PAGE:
        log_info("feed %s", detail);
        break;
    case PIPELINE_SCRAPE_SAVED:
        printf("saved     %s  %s\n", detail, url);
        break;
    case PIPELINE_SCRAPE_SKIPPED:
        log_info("skipped %s: %s", url, detail);
        break;
    case PIPELINE_SCRAPE_REJECTED:
        printf("rejected  %s: %s\n", url, detail);
        break;
    case PIPELINE_SCRAPE_WARNING:
        break; /* the pipeline logs it as a warning on stderr */
    }
    fflush(stdout);
}

static int parse_series(const struct cli_command *cmd, char *list, struct pipeline_scrape_opts *opts)
{
    int n = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        const char *name = scrape_series_name(tok);
        if (!name) {
            char known[512] = "";
            for (const char *const *s = scrape_series_names; *s; s++) {
                strncat(known, *s, sizeof known - strlen(known) - 1);
                if (s[1])
                    strncat(known, ", ", sizeof known - strlen(known) - 1);
            }
            return cli_usage_error(cmd, "unknown series \"%s\" (known: %s)", tok, known);
        }
        if (n >= PIPELINE_SCRAPE_MAX_SERIES - 1)
            return cli_usage_error(cmd, "too many series");
        opts->series[n++] = name;
    }
    opts->series[n] = NULL;
    if (n == 0)
        return cli_usage_error(cmd, "--series needs at least one series");
    return 0;
}

int cmd_scrape(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *since = NULL, *max = NULL, *series = NULL, *max_pages = NULL;
    char series_copy[512];
    const struct cli_value_flag flags[] = {
        {"--since", &since}, {"--max", &max}, {"--series", &series}, {"--max-pages", &max_pages}};
    int usage = cli_value_flags(cmd, argc, argv, flags, sizeof flags / sizeof flags[0]);
    if (usage != CLI_OK)
        return usage;
    json_t *data = json_object();
    if (since) {
        struct err e = {{0}};
        int64_t since_ms;
        if (utc_parse_datetime(since, &since_ms, &e) < 0) {
            json_decref(data);
            return cli_usage_error(cmd, "--since: %s", e.msg);
        }
        json_object_set_new(data, "since", json_integer(since_ms));
    }
    if (max) {
        char *end;
        long n = strtol(max, &end, 10);
        if (*end || n <= 0 || n > 100000) {
            json_decref(data);
            return cli_usage_error(cmd, "--max must be a whole number from 1 to 100000");
        }
        json_object_set_new(data, "max", json_integer(n));
    }
    /* The flag wins over the environment; a bad value of either is a usage error. */
    struct err env_err = {{0}};
    int env_pages;
    if (max_pages) {
        char *end;
        long n = strtol(max_pages, &end, 10);
        if (!*max_pages || *end || n < 1 || n > 100000) {
            json_decref(data);
            return cli_usage_error(cmd, "--max-pages must be a whole number from 1 to 100000");
        }
        json_object_set_new(data, "max_pages", json_integer(n));
    } else if (cli_scrape_max_pages(&env_pages, &env_err) < 0) {
        json_decref(data);
        return cli_usage_error(cmd, "%s", env_err.msg);
    }
    if (series) {
        struct pipeline_scrape_opts opts = {0};
        snprintf(series_copy, sizeof series_copy, "%s", series);
        if (parse_series(cmd, series_copy, &opts) != 0) {
            json_decref(data);
            return CLI_USAGE;
        }
        json_t *list = json_array();
        for (int k = 0; opts.series[k]; k++)
            json_array_append_new(list, json_string(opts.series[k]));
        json_object_set_new(data, "series", list);
    }

    struct err err = {{0}};
    struct store *store = NULL;
    struct pipeline_config cfg;
    struct store_flow_run run = {0};
    json_t *report = NULL;
    int status = CLI_FAILED;
    if (cli_pipeline_config(ctx, &cfg, &store, &err) < 0)
        goto done;
    cfg.step_retries = 0; /* the feed reader retries requests itself; a command reports, not waits */
    cfg.on_scrape = on_event;
    struct pipeline_job job = {.which = PIPELINE_SCRAPE, .role = "scrape", .workers = 1,
                               .event = "benchmark/scrape.requested", .data = data, .function_id = PIPELINE_FN_SCRAPE};
    if (pipeline_run_job(&cfg, &job, &run, &err) < 0 || pipeline_run_completed(&run, &err) < 0)
        goto done;
    report = run.output ? json_loads(run.output, 0, NULL) : NULL;
    if (!report) {
        err_set(&err, "the scrape run %s left no report", run.id);
        goto done;
    }
#define FIELD(name) ((int)json_integer_value(json_object_get(report, name)))
    printf("scrape since %s: %d feed pages, %d posts seen, %d found, %d saved, %d skipped "
           "(already stored), %d rejected\n",
           json_string_value(json_object_get(report, "since")), FIELD("pages"), FIELD("seen"), FIELD("found"),
           FIELD("saved"), FIELD("skipped"), FIELD("rejected"));
#undef FIELD
    const char *warning = json_string_value(json_object_get(report, "warning"));
    if (warning && *warning)
        printf("stopped early: %s\n", warning);
    status = CLI_OK;
done:
    fflush(stdout);
    json_decref(report);
    json_decref(data);
    store_flow_run_clear(&run);
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
