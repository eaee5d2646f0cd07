/* cmd_models.c - `cryptic-bench models`: the models table. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

/* `models activate ID`: a retired (or inactive) model counts again. */
static int activate(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error(cmd, "models activate needs one model id");
    struct err err = {{0}};
    struct store *store = NULL;
    struct store_open_opts opts = {.token = ctx->config.db_token, .create = 0, .check = 1};
    int found = 0;
    int rc = store_open(ctx->config.db_location, &opts, &store, &err) < 0 || store_require_current(store, &err) < 0
                 ? -1
                 : store_model_retire(store, argv[1], NULL, &found, &err);
    store_close(store);
    if (rc < 0)
        return cli_fail(cmd, err.msg);
    if (!found) {
        char msg[300];
        snprintf(msg, sizeof msg, "no model %.200s (list them with `cryptic-bench models`)", argv[1]);
        return cli_fail(cmd, msg);
    }
    printf("%s is active again: the next evaluation asks it\n", argv[1]);
    return CLI_OK;
}

int cmd_models(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    if (argc > 0 && strcmp(argv[0], "activate") == 0)
        return activate(ctx, cmd, argc, argv);
    int json = 0;
    if (cli_json_flag(cmd, argc, argv, &json) != CLI_OK)
        return CLI_USAGE;
    struct err err = {{0}};
    struct store *store = NULL;
    struct store_model_list list = {0};
    struct store_open_opts opts = {.token = ctx->config.db_token, .readonly = 1, .check = 1};
    if (store_open(ctx->config.db_location, &opts, &store, &err) < 0 ||
        store_require_current(store, &err) < 0 || store_models_list(store, &list, &err) < 0) {
        store_close(store);
        return cli_fail(cmd, err.msg);
    }
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < list.n; i++) {
            const struct store_model *m = &list.items[i];
            json_t *options = m->options ? json_loads(m->options, 0, NULL) : NULL;
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:b, s:o?, s:s?, s:s?}",
                                                 "id", m->openrouter_id, "provider", m->provider,
                                                 "model_name", m->model_name, "display_name",
                                                 m->display_name, "active", m->is_active && !m->retired_reason,
                                                 "options", options, "added_at", m->added_at, "retired",
                                                 m->retired_reason));
        }
        json_dumpf(arr, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(arr);
    } else {
        printf("%-36s %-22s %-10s %s\n", "ID", "DISPLAY NAME", "PROVIDER", "ACTIVE");
        for (size_t i = 0; i < list.n; i++) {
            const struct store_model *m = &list.items[i];
            char active[600];
            if (m->retired_reason)
                snprintf(active, sizeof active, "retired: %.580s", m->retired_reason);
            else
                snprintf(active, sizeof active, "%s", m->is_active ? "yes" : "no");
            printf("%-36s %-22s %-10s %s\n", m->openrouter_id, m->display_name, m->provider, active);
        }
    }
    store_model_list_free(&list);
    store_close(store);
    return CLI_OK;
}
