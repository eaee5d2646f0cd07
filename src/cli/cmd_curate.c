/* cmd_curate.c - `cryptic-bench puzzles` and `cryptic-bench clues`: take a
 * bad puzzle or clue out of scoring without deleting it, or put it back;
 * the rankings are recomputed from its week on. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "store/store.h"

static int parse_id(const char *text, int64_t *id)
{
    char *end;
    long long v = text ? strtoll(text, &end, 10) : 0;
    if (!text || !*text || *end || v <= 0)
        return -1;
    *id = v;
    return 0;
}

typedef int (*set_reason_fn)(struct store *, int64_t, const char *, char[16], int *, struct err *);

/* ACTION ID [--reason TEXT]: sets or clears the reason, then re-ranks. */
static int change(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv, const char *what,
                  set_reason_fn set, int restore)
{
    const char *id_text = NULL, *reason = NULL;
    for (int i = 1; i < argc;) {
        int taken = cli_take_value(argc, argv, &i, "--reason", &reason);
        if (taken < 0)
            return cli_usage_error(cmd, "--reason needs a text");
        if (taken > 0)
            continue;
        if (id_text || argv[i][0] == '-')
            return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[i]);
        id_text = argv[i++];
    }
    int64_t id;
    if (parse_id(id_text, &id) < 0)
        return cli_usage_error(cmd, "%s %s needs a %s id (a number)", cmd->name, argv[0], what);
    if (restore && reason)
        return cli_usage_error(cmd, "%s restore takes no --reason", cmd->name);
    if (!restore && (!reason || !*reason))
        return cli_usage_error(cmd, "say why with --reason TEXT (it is kept and shown)");
    struct err err = {{0}};
    struct store *store = NULL;
    char week[16];
    int found = 0;
    int rc = cli_open_store(ctx, 0, &store, &err) < 0 ? -1 : set(store, id, restore ? NULL : reason, week, &found, &err);
    store_close(store);
    if (rc < 0)
        return cli_fail(cmd, err.msg);
    if (!found) {
        char msg[128];
        snprintf(msg, sizeof msg, "no %s with id %lld (see `cryptic-bench puzzles list`)", what, (long long)id);
        return cli_fail(cmd, msg);
    }
    printf("%s %lld %s (week %s); recomputing the rankings from %s\n", what, (long long)id,
           restore ? "restored to scoring" : "taken out of scoring", week, week);
    fflush(stdout);
    if (cli_rank(ctx, week, &err) < 0)
        return cli_fail(cmd, err.msg);
    return CLI_OK;
}

/* A list read from the database, opened read-only; the caller frees *list. */
static int read_list(struct cli_ctx *ctx, int (*read)(struct store *, json_t **, struct err *), json_t **list,
                     struct err *err)
{
    struct store *store = NULL;
    int rc = cli_open_store(ctx, 1, &store, err) < 0 ? -1 : read(store, list, err);
    store_close(store);
    return rc;
}

/* --json: the list as the store returned it. */
static void print_json(const json_t *list)
{
    json_dumpf(list, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
}

/* `puzzles rejected [--json]`: the posts that failed validation. */
static int list_rejected(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    int json;
    int usage = cli_json_flag(cmd, argc - 1, argv + 1, &json);
    if (usage != CLI_OK)
        return usage;
    struct err err = {{0}};
    json_t *list = NULL;
    if (read_list(ctx, store_rejected_json, &list, &err) < 0)
        return cli_fail(cmd, err.msg);
    if (json) {
        print_json(list);
    } else if (json_array_size(list) == 0) {
        printf("no rejected posts\n");
    } else {
        printf("%-17s %-8s %8s  %-19s  %-19s  %s\n", "series", "number", "attempts", "first seen", "last seen",
               "url / reason");
        size_t i;
        json_t *p;
        json_array_foreach(list, i, p) {
            const char *series = json_string_value(json_object_get(p, "series"));
            json_int_t number = json_integer_value(json_object_get(p, "number"));
            char num[24] = "-";
            if (number > 0)
                snprintf(num, sizeof num, "%lld", (long long)number);
            printf("%-17s %-8s %8lld  %-19s  %-19s  %s\n%77s  %s\n", series ? series : "-", num,
                   (long long)json_integer_value(json_object_get(p, "attempts")),
                   json_string_value(json_object_get(p, "first_seen")),
                   json_string_value(json_object_get(p, "last_seen")),
                   json_string_value(json_object_get(p, "url")), "",
                   json_string_value(json_object_get(p, "reason")));
        }
        printf("%zu rejected post%s\n", json_array_size(list), json_array_size(list) == 1 ? "" : "s");
    }
    json_decref(list);
    return CLI_OK;
}

int cmd_puzzles(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *action = argc > 0 ? argv[0] : "list";
    if (strcmp(action, "quarantine") == 0 || strcmp(action, "restore") == 0)
        return change(ctx, cmd, argc, argv, "puzzle", store_puzzle_quarantine, strcmp(action, "restore") == 0);
    if (strcmp(action, "rejected") == 0)
        return list_rejected(ctx, cmd, argc, argv);
    if (strcmp(action, "list") != 0 && strcmp(action, "--json") != 0)
        return cli_usage_error(cmd, "unknown action \"%s\"", action);
    int json, skip = strcmp(action, "list") == 0;
    int usage = cli_json_flag(cmd, argc - skip, argv + skip, &json);
    if (usage != CLI_OK)
        return usage;
    struct err err = {{0}};
    json_t *list = NULL;
    if (read_list(ctx, store_puzzles_json, &list, &err) < 0)
        return cli_fail(cmd, err.msg);
    if (json) {
        print_json(list);
    } else {
        printf("%5s  %-9s %-17s %-8s %-14s %5s  %s\n", "id", "week", "series", "number", "setter", "clues", "status");
        size_t i;
        json_t *p;
        json_array_foreach(list, i, p) {
            const char *q = json_string_value(json_object_get(p, "quarantine_reason"));
            long long excluded = (long long)json_integer_value(json_object_get(p, "excluded_clues"));
            char status[300];
            if (q)
                snprintf(status, sizeof status, "quarantined: %.280s", q);
            else if (excluded)
                snprintf(status, sizeof status, "%lld clue(s) excluded", excluded);
            else
                snprintf(status, sizeof status, "scored");
            const char *setter = json_string_value(json_object_get(p, "setter"));
            printf("%5lld  %-9s %-17s %-8lld %-14.14s %5lld  %s\n", (long long)json_integer_value(json_object_get(p, "id")),
                   json_string_value(json_object_get(p, "week_id")), json_string_value(json_object_get(p, "series")),
                   (long long)json_integer_value(json_object_get(p, "number")), setter ? setter : "-",
                   (long long)json_integer_value(json_object_get(p, "clues")), status);
        }
    }
    json_decref(list);
    return CLI_OK;
}

/* clues list --puzzle ID [--json]: the ids `clues exclude` takes. */
static int list_clues(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *puzzle = NULL;
    int json = 0;
    for (int i = 1; i < argc;) {
        int taken = cli_take_value(argc, argv, &i, "--puzzle", &puzzle);
        if (taken < 0)
            return cli_usage_error(cmd, "--puzzle needs a puzzle id (see `cryptic-bench puzzles list`)");
        if (taken > 0)
            continue;
        if (strcmp(argv[i], "--json") != 0)
            return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[i]);
        json = 1;
        i++;
    }
    int64_t id;
    if (parse_id(puzzle, &id) < 0)
        return cli_usage_error(cmd, "clues list needs --puzzle ID, a puzzle id (see `cryptic-bench puzzles list`)");
    struct err err = {{0}};
    struct store *store = NULL;
    json_t *list = NULL;
    int found = 0;
    int rc = cli_open_store(ctx, 1, &store, &err) < 0 ? -1 : store_clues_json(store, id, &list, &found, &err);
    store_close(store);
    if (rc < 0)
        return cli_fail(cmd, err.msg);
    if (!found) {
        char msg[160];
        snprintf(msg, sizeof msg, "no puzzle %lld (see `cryptic-bench puzzles list`)", (long long)id);
        return cli_fail(cmd, msg);
    }
    if (json) {
        print_json(list);
    } else {
        printf("%6s  %-10s %-6s %-44s %-16s %s\n", "id", "clue", "enum", "text", "answer", "status");
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c) {
            const char *why = json_string_value(json_object_get(c, "exclude_reason"));
            char where[32];
            snprintf(where, sizeof where, "%s %s", json_string_value(json_object_get(c, "number")),
                     json_string_value(json_object_get(c, "direction")));
            printf("%6lld  %-10s %-6s %-44.44s %-16.16s %s%.200s\n",
                   (long long)json_integer_value(json_object_get(c, "id")), where,
                   json_string_value(json_object_get(c, "enumeration")), json_string_value(json_object_get(c, "clue")),
                   json_string_value(json_object_get(c, "answer")), why ? "excluded: " : "scored", why ? why : "");
        }
    }
    json_decref(list);
    return CLI_OK;
}

int cmd_clues(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    if (argc == 0)
        return cli_usage_error(cmd, "which action? list --puzzle ID, exclude ID --reason TEXT, or restore ID");
    if (strcmp(argv[0], "list") == 0)
        return list_clues(ctx, cmd, argc, argv);
    if (strcmp(argv[0], "exclude") == 0 || strcmp(argv[0], "restore") == 0)
        return change(ctx, cmd, argc, argv, "clue", store_clue_exclude, strcmp(argv[0], "restore") == 0);
    return cli_usage_error(cmd, "unknown action \"%s\"", argv[0]);
}
