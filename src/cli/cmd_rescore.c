/* cmd_rescore.c - `cryptic-bench rescore`: new verdicts from stored replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/letters.h"
#include "core/utc.h"
#include "eval/extract.h"
#include "store/store.h"

struct model_count {
    const char *model;
    int replies, changed, now_correct, now_wrong, now_no_answer;
};

int cmd_rescore(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *week = NULL;
    for (int i = 0; i < argc;) {
        int taken = cli_take_value(argc, argv, &i, "--week", &week);
        if (taken < 0)
            return cli_usage_error(cmd, "--week needs a week id such as 2026-W14");
        if (taken == 0)
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
    }
    struct err err = {{0}};
    if (week) {
        struct utc_date monday;
        if (utc_week_monday(week, &monday, &err) < 0)
            return cli_usage_error(cmd, "--week: %s", err.msg);
    }
    struct store *store = NULL;
    struct store_stored_replies replies = {0};
    struct store_rescore *updates = NULL;
    struct model_count *counts = NULL;
    char (*answers)[EVAL_ANSWER_MAX] = NULL;
    int ncounts = 0, status = CLI_FAILED;
    size_t nupdates = 0;
    struct store_open_opts sopts = {.token = ctx->config.db_token, .check = 1};
    if (store_open(ctx->config.db_location, &sopts, &store, &err) < 0 || store_require_current(store, &err) < 0 ||
        store_stored_replies(store, week, &replies, &err) < 0)
        goto out;
    updates = calloc(replies.n + 1, sizeof *updates);
    counts = calloc(replies.n + 1, sizeof *counts);
    answers = calloc(replies.n + 1, sizeof *answers);
    if (!updates || !counts || !answers) {
        err_set(&err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < replies.n; i++) {
        const struct store_stored_reply *r = &replies.items[i];
        struct model_count *c = NULL;
        for (int k = 0; k < ncounts; k++)
            if (strcmp(counts[k].model, r->model) == 0)
                c = &counts[k];
        if (!c) {
            c = &counts[ncounts++];
            c->model = r->model;
        }
        c->replies++;
        struct eval_extraction x;
        eval_extract(r->reply, r->enumeration, &x);
        int correct = x.found && eval_check(x.answer, r->answer);
        const char *outcome = !x.found ? "no_answer" : correct ? "correct" : "wrong";
        char old_letters[256], new_letters[256];
        letters_az(r->extracted_answer ? r->extracted_answer : "", old_letters, sizeof old_letters);
        letters_az(x.found ? x.answer : "", new_letters, sizeof new_letters);
        if (strcmp(outcome, r->outcome) == 0 && correct == r->is_correct &&
            strcmp(old_letters, new_letters) == 0)
            continue;
        snprintf(answers[nupdates], EVAL_ANSWER_MAX, "%s", x.answer);
        updates[nupdates] = (struct store_rescore){r->id, x.found ? answers[nupdates] : NULL, correct, outcome};
        nupdates++;
        if (strcmp(outcome, r->outcome) != 0 || correct != r->is_correct) {
            c->changed++;
            c->now_correct += strcmp(outcome, "correct") == 0;
            c->now_wrong += strcmp(outcome, "wrong") == 0;
            c->now_no_answer += strcmp(outcome, "no_answer") == 0;
        }
    }
    if (store_rescore_apply(store, updates, nupdates, &err) < 0)
        goto out;
    printf("rescored %zu stored replies%s%s (no API calls)\n", replies.n, week ? " of " : "", week ? week : "");
    printf("%-36s %8s %8s %12s %10s %14s\n", "MODEL", "REPLIES", "CHANGED", "NOW CORRECT", "NOW WRONG",
           "NOW NO ANSWER");
    int changed = 0;
    for (int k = 0; k < ncounts; k++) {
        printf("%-36s %8d %8d %12d %10d %14d\n", counts[k].model, counts[k].replies, counts[k].changed,
               counts[k].now_correct, counts[k].now_wrong, counts[k].now_no_answer);
        changed += counts[k].changed;
    }
    printf("%d verdicts changed; %zu rows updated (extracted answers included)\n", changed, nupdates);
    status = CLI_OK;
out:
    free(answers);
    free(counts);
    free(updates);
    store_stored_replies_free(&replies);
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
