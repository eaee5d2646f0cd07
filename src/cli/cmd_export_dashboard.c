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
    for (int i = 0; i < argc;) {
        int taken;
        if ((taken = cli_take_value(argc, argv, &i, "--out", &out)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--db-url", &db_url)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--read-token", &token)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--token-header", &token_header)) != 0) {
            if (taken < 0)
                return cli_usage_error(cmd, "%s needs a value", argv[i]);
            continue;
        }
        return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
    }
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
