/* cmd_export_dashboard.c - `cryptic-bench export-dashboard`: the dashboard
 * as a static site that reads a remote libSQL database (web/export.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "db/db.h"
#include "web/export.h"

int cmd_export_dashboard(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *out = NULL, *db_url = NULL, *token = NULL, *token_header = NULL;
    const struct cli_value_flag flags[] = {
        {"--out", &out}, {"--db-url", &db_url}, {"--read-token", &token}, {"--token-header", &token_header}};
    int usage = cli_value_flags(cmd, argc, argv, flags, sizeof flags / sizeof flags[0]);
    if (usage != CLI_OK)
        return usage;
    if (!out || !*out)
        return cli_usage_error(cmd, "--out DIR is needed");
    if (!db_url && db_is_remote(ctx->config.db_location))
        db_url = ctx->config.db_location;
    if (!db_url)
        return cli_fail(cmd, "no remote database: give --db-url libsql://... (or set TURSO_DATABASE_URL); "
                             "a database file is read through `serve`, whose dashboard needs no export");
    if (!token)
        token = config_env("TURSO_READ_TOKEN");
    struct err err = {{0}};
    if (export_dashboard(out, db_url, token, token_header, &err) < 0)
        return cli_fail(cmd, err.msg);
    printf("dashboard written to %s, reading %s%s\n", out, db_url, token && *token ? " with a read-only token" : "");
    return CLI_OK;
}
