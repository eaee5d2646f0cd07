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
    struct store_open_opts opts = {.token = ctx->config.db_token, .create = 1};
    if (store_open(location, &opts, &store, &err) < 0)
        goto out;
    int from = store_schema_version(store);
    if (from == STORE_SCHEMA_VERSION)
        printf("database %s (%s): schema version %d, up to date\n", db_location(store_db(store)),
               db_backend(store_db(store)), from);
    else if (from == 0)
        printf("database %s (%s): creating schema version %d\n", db_location(store_db(store)),
               db_backend(store_db(store)), STORE_SCHEMA_VERSION);
    else
        printf("database %s (%s): upgrading from schema version %d to %d\n", db_location(store_db(store)),
               db_backend(store_db(store)), from, STORE_SCHEMA_VERSION);
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
