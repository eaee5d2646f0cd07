/* cmd_export_dashboard.c - `cryptic-bench export-dashboard`: the dashboard
 * as a static site that reads a remote libSQL database (web/export.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "db/db.h"
#include "store/store.h"
#include "web/export.h"

/* The database the site will read, for the first view index.html carries
 * (web/export.h); NULL, with a warning, when it cannot be read now: the
 * site still works, its first row just waits for the first query. The
 * read-only token is enough to read; without one, --token /
 * TURSO_AUTH_TOKEN. */
static struct store *first_view_store(struct cli_ctx *ctx, const char *db_url, const char *token)
{
    struct err err = {{0}};
    struct store_open_opts opts = {.token = token && *token ? token : ctx->config.db_token, .readonly = 1};
    struct store *store = NULL;
    if (store_open(db_url, &opts, &store, &err) < 0 || store_require_current(store, &err) < 0) {
        log_warn("index.html without the first view (the page loads it): %s", err.msg);
        store_close(store);
        return NULL;
    }
    return store;
}

int cmd_export_dashboard(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *out = NULL, *db_url = NULL, *token = NULL, *token_header = NULL;
    /* --no-first-view is the one flag without a value: taken out before
     * the value flags are read. */
    int first_view = 1, n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--no-first-view") == 0)
            first_view = 0;
        else
            argv[n++] = argv[i];
    }
    argc = n;
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
    /* Arguments export_dashboard() would refuse are refused before any
     * database is opened (or any host looked up) for the first view. */
    struct err err = {{0}};
    char origin[512];
    if (export_check(db_url, token, token_header, origin, sizeof origin, &err) < 0)
        return cli_fail(cmd, err.msg);
    struct store *store = first_view ? first_view_store(ctx, db_url, token) : NULL;
    int rc = export_dashboard(out, db_url, token, token_header, store, &err);
    store_close(store);
    if (rc < 0)
        return cli_fail(cmd, err.msg);
    printf("dashboard written to %s, reading %s%s\n", out, db_url, token && *token ? " with a read-only token" : "");
    return CLI_OK;
}
