/* cmd_rank.c - `cryptic-bench rank` and `cryptic-bench leaderboard`. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "core/pct.h"
#include "rank/rank.h"
#include "store/store.h"

/* rank's and leaderboard's flags: --week W, or instead the flag every (all
 * weeks), and --json where json is not NULL. CLI_OK, or the usage error. */
static int week_flags(const struct cli_command *cmd, int argc, char **argv, const char *every, const char **week,
                      int *all, int *json)
{
    *week = NULL;
    *all = 0;
    for (int i = 0; i < argc;) {
        int taken = cli_take_value(argc, argv, &i, "--week", week);
        if (taken < 0)
            return cli_usage_error(cmd, "--week needs a week id such as 2026-W14");
        if (taken > 0)
            continue;
        if (strcmp(argv[i], every) == 0)
            *all = 1;
        else if (json && strcmp(argv[i], "--json") == 0)
            *json = 1;
        else
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
        i++;
    }
    if (*all && *week)
        return cli_usage_error(cmd, "--week and %s exclude each other", every);
    return cli_check_week(cmd, *week);
}

int cmd_rank(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *week;
    int all;
    int usage = week_flags(cmd, argc, argv, "--all", &week, &all, NULL);
    if (usage != CLI_OK)
        return usage;
    struct err err = {{0}};
    char newest[16] = "";
    if (!all && !week) {
        /* Default: the newest week with clues (and nothing before it changes). */
        struct store *store = NULL;
        int rc = cli_open_store(ctx, 0, &store, &err) < 0 ? -1 : store_newest_week(store, newest, &err);
        store_close(store);
        if (rc < 0)
            return cli_fail(cmd, err.msg);
        if (!newest[0])
            return cli_fail(cmd, "no puzzles stored yet: run `cryptic-bench scrape` first");
        week = newest;
    }
    if (cli_rank(ctx, all ? NULL : week, &err) < 0)
        return cli_fail(cmd, err.msg);
    return CLI_OK;
}

static void movement(const json_t *row, char *out, size_t size)
{
    json_t *prev = json_object_get(row, "previous_rank");
    if (json_is_null(prev) || !prev) {
        snprintf(out, size, "NEW");
        return;
    }
    int change = (int)(json_integer_value(json_object_get(row, "rank_change")) % 10000);
    if (change > 0)
        snprintf(out, size, "up %d", change);
    else if (change < 0)
        snprintf(out, size, "down %d", -change);
    else
        snprintf(out, size, "=");
}

/* "4 (2–9)": the rank and its range, padded to 10 columns (the en dash is
 * 3 bytes, 1 column); the rank alone when ranked before the ranges existed. */
static void rank_with_range(const json_t *row, char *out, size_t size)
{
    long rank = (long)json_integer_value(json_object_get(row, "rank"));
    const json_t *lo = json_object_get(row, "rank_lo"), *hi = json_object_get(row, "rank_hi");
    int n;
    if (json_is_integer(lo) && json_is_integer(hi))
        n = snprintf(out, size, "%ld (%lld\xe2\x80\x93%lld)", rank, (long long)json_integer_value(lo) % 100000,
                     (long long)json_integer_value(hi) % 100000);
    else
        n = snprintf(out, size, "%ld", rank);
    int visible = n - (json_is_integer(lo) ? 2 : 0);
    while (visible < 10 && (size_t)n + 1 < size) {
        out[n++] = ' ';
        out[n] = '\0';
        visible++;
    }
}

int cmd_leaderboard(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *week;
    int alltime, json = 0;
    int usage = week_flags(cmd, argc, argv, "--all-time", &week, &alltime, &json);
    if (usage != CLI_OK)
        return usage;
    struct err err = {{0}};
    struct store *store = NULL;
    json_t *board = NULL;
    char newest[16];
    int status = CLI_FAILED;
    if (cli_open_store(ctx, 1, &store, &err) < 0)
        goto done;
    if (alltime) {
        if (store_alltime_json(store, &board, &err) < 0)
            goto done;
    } else {
        if (!week) {
            if (store_newest_ranked_week(store, newest, &err) < 0)
                goto done;
            if (!newest[0]) {
                err_set(&err, "no week is ranked yet: run `cryptic-bench rank --all`");
                goto done;
            }
            week = newest;
        }
        if (store_leaderboard_json(store, week, &board, &err) < 0)
            goto done;
    }
    if (json) {
        json_dumpf(board, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("\n");
        status = CLI_OK;
        goto done;
    }
    json_t *rows = json_object_get(board, "rows");
    if (alltime) {
        printf("All time (%lld ranked weeks)\n", (long long)json_integer_value(json_object_get(board, "weeks_ranked")));
        printf("%-10s  %-24s %-10s %5s %9s %8s  %s\n", "RANK", "MODEL", "PROVIDER", "WEEKS", "CORRECT", "ACCURACY",
               "95% CI");
    } else {
        const char *st = json_string_value(json_object_get(board, "status"));
        printf("Week %s (%lld clues): %s\n", week, (long long)json_integer_value(json_object_get(board, "clues")),
               st ? st : "not ranked yet (run `cryptic-bench rank`)");
        if (st && strcmp(st, "no-ranking") == 0)
            printf("%s\n", json_string_value(json_object_get(board, "reason")));
        if (json_array_size(rows))
            printf("%-10s  %-24s %-10s %9s %8s  %-14s %-8s %s\n", "RANK", "MODEL", "PROVIDER", "CORRECT", "ACCURACY",
                   "95% CI", "MOVE", "TENURE");
    }
    size_t i;
    json_t *row;
    int significant_moves = 0;
    json_array_foreach(rows, i, row) {
        char correct[32], ci[32], move[32], ranked[48];
        rank_with_range(row, ranked, sizeof ranked);
        snprintf(correct, sizeof correct, "%lld/%lld", (long long)json_integer_value(json_object_get(row, "correct")),
                 (long long)json_integer_value(json_object_get(row, "total")));
        snprintf(ci, sizeof ci, "[%.1f, %.1f]", pct_round1(json_number_value(json_object_get(row, "ci_low"))),
                 pct_round1(json_number_value(json_object_get(row, "ci_high"))));
        long rank = (long)json_integer_value(json_object_get(row, "rank"));
        if (alltime) {
            printf("%s  %-24s %-10s %5lld %9s %7.1f%%  %s\n", ranked, json_string_value(json_object_get(row, "model")),
                   json_string_value(json_object_get(row, "provider")),
                   (long long)json_integer_value(json_object_get(row, "weeks")), correct,
                   pct_round1(json_number_value(json_object_get(row, "accuracy"))), ci);
            continue;
        }
        movement(row, move, sizeof move);
        if (json_is_true(json_object_get(row, "move_significant"))) {
            strncat(move, "*", sizeof move - strlen(move) - 1);
            significant_moves = 1;
        }
        long tenure = (long)json_integer_value(json_object_get(row, "tenure_weeks"));
        printf("%s  %-24s %-10s %9s %7.1f%%  %-14s %-8s %ld week%s at #%ld\n", ranked,
               json_string_value(json_object_get(row, "model")), json_string_value(json_object_get(row, "provider")),
               correct, pct_round1(json_number_value(json_object_get(row, "accuracy"))), ci, move, tenure,
               tenure == 1 ? "" : "s", rank);
    }
    if (json_array_size(rows))
        printf("RANK (lo\xe2\x80\x93hi): the ranks the paired tests allow (exact McNemar, p < 0.05)%s\n",
               significant_moves ? "; * a significant change from the previous ranked week (Fisher exact)" : "");
    json_t *incomplete = json_object_get(board, "incomplete");
    if (alltime && json_array_size(incomplete)) {
        printf("Never ranked:");
        json_array_foreach(incomplete, i, row)
            printf("%s %s (%lld weeks, %lld errors)", i ? "," : "", json_string_value(json_object_get(row, "model")),
                   (long long)json_integer_value(json_object_get(row, "rates_weeks")),
                   (long long)json_integer_value(json_object_get(row, "errors")));
        printf("\n");
    } else if (json_array_size(incomplete)) {
        printf("Incomplete (not ranked):");
        json_array_foreach(incomplete, i, row)
            printf("%s %s %.1f%% of clues (%lld errors)", i ? "," : "", json_string_value(json_object_get(row, "model")),
                   pct_round1(json_number_value(json_object_get(row, "coverage"))),
                   (long long)json_integer_value(json_object_get(row, "errors")));
        printf("\n");
    }
    status = CLI_OK;
done:
    json_decref(board);
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
