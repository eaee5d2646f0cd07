/* cmd_init_db.c - `cryptic-bench init-db`: create or upgrade, then sync models. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/models_file.h"
#include "core/fsutil.h"
#include "store/store.h"

static void print_migration(void *ctx, const struct store_migration_report *report)
{
    (void)ctx;
    if (report->counted)
        printf("  migration %d: %s (%lld %s)\n", report->version, report->name,
               (long long)report->rows, report->counted);
    else
        printf("  migration %d: %s\n", report->version, report->name);
}

static void print_model_change(void *ctx, const char *kind, const char *id, const char *detail)
{
    (void)ctx;
    if (detail)
        printf("  %s %s (%s)\n", kind, id, detail);
    else
        printf("  %s %s\n", kind, id);
}

/* A database file this command created must not survive its failure. */
static void remove_created_file(const char *path)
{
    char side[4096];
    remove(path);
    snprintf(side, sizeof side, "%s-wal", path);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", path);
    remove(side);
    snprintf(side, sizeof side, "%s-journal", path);
    remove(side);
}

/* Before an upgrade: the file as it was, next to it (<db>.schema-N.bak),
 * through SQLite's online backup (a consistent copy even with a server
 * writing). An existing copy is never replaced: it may be the only one. */
static int keep_copy(struct store *store, const char *location, int from, struct err *err)
{
    if (db_is_remote(location)) {
        printf("  no copy kept of the remote database: take one first with "
               "`cryptic-bench migrate --from %s --to FILE` if you need it\n", location);
        return 0;
    }
    char copy[4096];
    if ((size_t)snprintf(copy, sizeof copy, "%s.schema-%d.bak", location, from) >= sizeof copy)
        return err_set(err, "path too long: %s", location);
    if (fs_exists(copy))
        return err_set(err, "%s already exists (a copy from an earlier upgrade): move it away, then run "
                            "init-db again", copy);
    struct db_backup_opts bopts = {0};
    struct db_backup_report report = {0};
    if (store_backup(store, copy, &bopts, &report, err) < 0)
        return err_prefix(err, "cannot keep a copy before the upgrade (nothing was changed)");
    printf("  kept a copy of schema version %d: %s (%.1f MB)\n", from, copy, (double)report.bytes / 1e6);
    return 0;
}

int cmd_init_db(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *models_path = config_env("MODELS_FILE");
    if (!models_path)
        models_path = CONFIG_DEFAULT_MODELS_FILE;
    for (int i = 0; i < argc;) {
        int taken = cli_take_value(argc, argv, &i, "--models", &models_path);
        if (taken < 0)
            return cli_usage_error(cmd, "--models needs a file");
        if (taken == 0)
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
    }

    struct err err = {{0}};
    struct store_model_list models = {0};
    struct store *store = NULL;
    int status = CLI_FAILED;
    const char *location = ctx->config.db_location;
    int created = !db_is_remote(location) && !fs_exists(location);

    /* Everything that can be checked without the database is checked first,
     * so bad input never reaches it. */
    if (models_file_load(models_path, &models, &err) < 0)
        goto out;
    struct store_open_opts opts = {.token = ctx->config.db_token, .create = 1, .check = 1};
    if (store_open(location, &opts, &store, &err) < 0)
        goto out;
    int from = store_schema_version(store);
    if (from == STORE_SCHEMA_VERSION)
        printf("database %s (%s): schema version %d, up to date\n", store_location(store),
               store_backend(store), from);
    else if (from == 0)
        printf("database %s (%s): creating schema version %d\n", store_location(store),
               store_backend(store), STORE_SCHEMA_VERSION);
    else
        printf("database %s (%s): upgrading from schema version %d to %d\n", store_location(store),
               store_backend(store), from, STORE_SCHEMA_VERSION);
    if (from != 0 && from != STORE_SCHEMA_VERSION && keep_copy(store, location, from, &err) < 0)
        goto out;
    if (store_migrate(store, from == 0 ? NULL : print_migration, NULL, &err) < 0)
        goto out;

    struct store_models_sync_result sync = {0};
    printf("models from %s:\n", models_path);
    if (store_models_sync(store, models.items, models.n, print_model_change, NULL, &sync, &err) < 0)
        goto out;
    printf("  %zu active: %d added, %d updated, %d activated, %d deactivated, %d unchanged\n",
           models.n, sync.added, sync.updated, sync.activated, sync.deactivated, sync.unchanged);
    status = CLI_OK;
out:
    store_close(store);
    store_model_list_free(&models);
    if (status != CLI_OK) {
        if (created)
            remove_created_file(location);
        fflush(stdout);
        return cli_fail(cmd, err.msg);
    }
    return status;
}
