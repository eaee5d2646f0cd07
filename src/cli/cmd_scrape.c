/* cmd_scrape.c - `cryptic-bench scrape`: new puzzles from Fifteensquared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/utc.h"
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
    }
    fflush(stdout);
}

/* A whole number from the environment, or fallback. */
static long env_long(const char *name, long fallback)
{
    const char *v = config_env(name);
    if (!v)
        return fallback;
    char *end;
    long n = strtol(v, &end, 10);
    return *end == '\0' && n >= 0 ? n : fallback;
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
    struct pipeline_scrape_opts opts = {0};
    const char *since = NULL, *max = NULL, *series = NULL;
    char series_copy[512];
    for (int i = 0; i < argc;) {
        int taken;
        if ((taken = cli_take_value(argc, argv, &i, "--since", &since)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--max", &max)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--series", &series)) != 0) {
            if (taken < 0)
                return cli_usage_error(cmd, "%s needs a value", argv[i]);
            continue;
        }
        return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
    }
    if (since) {
        struct err e = {{0}};
        if (utc_parse_datetime(since, &opts.since_ms, &e) < 0)
            return cli_usage_error(cmd, "--since: %s", e.msg);
    }
    if (max) {
        char *end;
        long n = strtol(max, &end, 10);
        if (*end || n <= 0 || n > 100000)
            return cli_usage_error(cmd, "--max must be a whole number from 1 to 100000");
        opts.max_posts = (int)n;
    }
    if (series) {
        snprintf(series_copy, sizeof series_copy, "%s", series);
        if (parse_series(cmd, series_copy, &opts) != 0)
            return CLI_USAGE;
    }
    opts.base_url = config_env("FIFTEENSQUARED_URL");
    opts.min_interval_ms = env_long("FIFTEENSQUARED_MIN_INTERVAL_MS", 500);
    opts.retries = (int)env_long("FIFTEENSQUARED_RETRIES", 3);
    opts.backoff_ms = env_long("FIFTEENSQUARED_BACKOFF_MS", 1000);
    opts.timeout_ms = env_long("FIFTEENSQUARED_TIMEOUT_MS", 30000);
    if (opts.min_interval_ms == 0)
        opts.min_interval_ms = 1; /* 0 means the default below */

    struct err err = {{0}};
    struct store *store = NULL;
    struct store_open_opts sopts = {.token = ctx->config.db_token, .create = 0};
    if (store_open(ctx->config.db_location, &sopts, &store, &err) < 0 ||
        store_migrate(store, NULL, NULL, &err) < 0 || store_require_current(store, &err) < 0) {
        store_close(store);
        return cli_fail(cmd, err.msg);
    }
    struct pipeline_scrape_report report;
    int rc = pipeline_scrape(store, &opts, on_event, NULL, &report, &err);
    store_close(store);
    printf("scrape since %s: %d feed pages, %d posts seen, %d found, %d saved, %d skipped "
           "(already stored), %d rejected\n",
           report.since, report.pages, report.seen, report.found, report.saved, report.skipped,
           report.rejected);
    if (rc < 0) {
        fflush(stdout);
        return cli_fail(cmd, err.msg);
    }
    return CLI_OK;
}
