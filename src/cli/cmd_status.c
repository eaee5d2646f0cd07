/* cmd_status.c - `cryptic-bench status`: what the database holds, read only. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/utc.h"
#include "store/store.h"

static const char *version_note(int version)
{
    if (version == STORE_SCHEMA_VERSION)
        return "current";
    if (version == 0)
        return "empty: run `cryptic-bench init-db`";
    return "older than this binary's: `cryptic-bench init-db` upgrades it";
}

int cmd_status(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    int json = 0;
    if (cli_json_flag(cmd, argc, argv, &json) != CLI_OK)
        return CLI_USAGE;
    struct err err = {{0}};
    struct store *store = NULL;
    struct store_open_opts opts = {.token = ctx->config.db_token, .readonly = 1, .check = 1};
    if (store_open(ctx->config.db_location, &opts, &store, &err) < 0)
        return cli_fail(cmd, err.msg);
    struct store_status st;
    if (store_status(store, &st, &err) < 0) {
        store_close(store);
        return cli_fail(cmd, err.msg);
    }
    int version = store_schema_version(store);
    char week[UTC_WEEK_ID_SIZE];
    utc_week_id(utc_date_from_ms(utc_now_ms()), week);

    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?, s:s?, s:s?, s:s}",
                              "database", store_location(store),
                              "database_from", ctx->config.db_source,
                              "backend", store_backend(store),
                              "schema_version", version,
                              "binary_schema_version", STORE_SCHEMA_VERSION,
                              "schema_current", version == STORE_SCHEMA_VERSION,
                              "puzzles", (json_int_t)st.puzzles,
                              "clues", (json_int_t)st.clues,
                              "models", (json_int_t)st.models,
                              "active_models", (json_int_t)st.active_models,
                              "evaluations", (json_int_t)st.evaluations,
                              "evaluation_errors", (json_int_t)st.evaluation_errors,
                              "weekly_rankings", (json_int_t)st.weekly_rankings,
                              "rejected_posts", (json_int_t)st.rejected_posts,
                              "last_scrape", st.last_scrape[0] ? st.last_scrape : NULL,
                              "last_evaluation", st.last_evaluation[0] ? st.last_evaluation : NULL,
                              "newest_puzzle_week", st.newest_week[0] ? st.newest_week : NULL,
                              "current_week", week);
        if (o)
            json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("\n");
        json_decref(o);
    } else {
        printf("database:         %s (%s, from %s)\n", store_location(store),
               store_backend(store), ctx->config.db_source);
        printf("schema version:   %d (%s)\n", version, version_note(version));
        printf("puzzles:          %lld\n", (long long)st.puzzles);
        printf("clues:            %lld\n", (long long)st.clues);
        printf("models:           %lld (%lld active)\n", (long long)st.models, (long long)st.active_models);
        printf("evaluations:      %lld (%lld errors)\n", (long long)st.evaluations,
               (long long)st.evaluation_errors);
        printf("weekly rankings:  %lld\n", (long long)st.weekly_rankings);
        printf("rejected posts:   %lld%s\n", (long long)st.rejected_posts,
               st.rejected_posts ? " (`cryptic-bench puzzles rejected`)" : "");
        printf("last scrape:      %s\n", st.last_scrape[0] ? st.last_scrape : "never");
        printf("last evaluation:  %s\n", st.last_evaluation[0] ? st.last_evaluation : "never");
        printf("newest puzzle:    %s\n", st.newest_week[0] ? st.newest_week : "none");
        printf("current week:     %s\n", week);
    }
    store_close(store);
    return CLI_OK;
}
