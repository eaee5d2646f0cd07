/* cmd_rescore.c - `cryptic-bench rescore`: new verdicts from stored replies,
 * a summary of the changes by rule, and the rankings of the weeks they touch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "core/letters.h"
#include "eval/extract.h"
#include "store/store.h"

enum outcome { OUT_CORRECT, OUT_WRONG, OUT_NO_ANSWER, OUT_COUNT };

static const char *const outcome_names[OUT_COUNT] = {"correct", "wrong", "no_answer"};

static int outcome_of(const char *name)
{
    for (int k = 0; k < OUT_COUNT; k++)
        if (strcmp(name, outcome_names[k]) == 0)
            return k;
    return -1;
}

struct model_count {
    const char *model;
    int replies, changed, now_correct, now_wrong, now_no_answer;
};

/* Verdict changes: [from][to][rule that decided the new one]. */
struct changes {
    int n[OUT_COUNT][OUT_COUNT][EVAL_RULE_COUNT];
    int total;
    char first_week[16]; /* the earliest week with a change ("" when none) */
};

/* "12 verdicts changed: wrong->correct 9 (answer-is 7, final-line 2), ..." */
static void print_changes(const struct changes *c)
{
    printf("%d verdict%s changed", c->total, c->total == 1 ? "" : "s");
    const char *sep = ": ";
    for (int from = 0; from < OUT_COUNT; from++)
        for (int to = 0; to < OUT_COUNT; to++) {
            int sum = 0;
            for (int r = 0; r < EVAL_RULE_COUNT; r++)
                sum += c->n[from][to][r];
            if (!sum)
                continue;
            printf("%s%s->%s %d (", sep, outcome_names[from], outcome_names[to], sum);
            const char *inner = "";
            for (int r = 0; r < EVAL_RULE_COUNT; r++)
                if (c->n[from][to][r]) {
                    printf("%s%s %d", inner, eval_rule_name((enum eval_rule)r), c->n[from][to][r]);
                    inner = ", ";
                }
            printf(")");
            sep = ", ";
        }
    printf("\n");
}

int cmd_rescore(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *week;
    int usage = cli_week_flag(cmd, argc, argv, &week);
    if (usage != CLI_OK)
        return usage;
    struct err err = {{0}};
    struct store *store = NULL;
    struct store_stored_replies replies = {0};
    struct store_rescore *updates = NULL;
    struct model_count *counts = NULL;
    struct changes *changes = calloc(1, sizeof *changes);
    char (*answers)[EVAL_ANSWER_MAX] = NULL;
    int ncounts = 0, status = CLI_FAILED;
    size_t nupdates = 0;
    if (!changes) {
        err_set(&err, "out of memory");
        goto out;
    }
    if (cli_open_store(ctx, 0, &store, &err) < 0 || store_stored_replies(store, week, &replies, &err) < 0)
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
        int now = !x.found ? OUT_NO_ANSWER : correct ? OUT_CORRECT : OUT_WRONG;
        int before = outcome_of(r->outcome);
        const char *rule = eval_rule_name(x.rule);
        char old_letters[256], new_letters[256];
        letters_az(r->extracted_answer ? r->extracted_answer : "", old_letters, sizeof old_letters);
        letters_az(x.found ? x.answer : "", new_letters, sizeof new_letters);
        int verdict_changed = now != before || correct != r->is_correct;
        if (!verdict_changed && strcmp(old_letters, new_letters) == 0 && r->extract_rule &&
            strcmp(r->extract_rule, rule) == 0)
            continue;
        snprintf(answers[nupdates], EVAL_ANSWER_MAX, "%s", x.answer);
        updates[nupdates] = (struct store_rescore){r->id, x.found ? answers[nupdates] : NULL, rule, correct,
                                                   outcome_names[now]};
        nupdates++;
        if (verdict_changed) {
            c->changed++;
            c->now_correct += now == OUT_CORRECT;
            c->now_wrong += now == OUT_WRONG;
            c->now_no_answer += now == OUT_NO_ANSWER;
            if (before >= 0)
                changes->n[before][now][x.rule]++;
            changes->total++;
            if (!changes->first_week[0] || strcmp(r->week_id, changes->first_week) < 0)
                snprintf(changes->first_week, sizeof changes->first_week, "%s", r->week_id);
        }
    }
    if (store_rescore_apply(store, updates, nupdates, &err) < 0)
        goto out;
    printf("rescored %zu stored replies%s%s (no API calls)\n", replies.n, week ? " of " : "", week ? week : "");
    print_changes(changes);
    if (ncounts)
        printf("%-36s %8s %8s %12s %10s %14s\n", "MODEL", "REPLIES", "CHANGED", "NOW CORRECT", "NOW WRONG",
               "NOW NO ANSWER");
    for (int k = 0; k < ncounts; k++)
        printf("%-36s %8d %8d %12d %10d %14d\n", counts[k].model, counts[k].replies, counts[k].changed,
               counts[k].now_correct, counts[k].now_wrong, counts[k].now_no_answer);
    printf("%zu rows updated (extracted answers and rules included)\n", nupdates);
    /* Rankings are derived from verdicts: recompute from the earliest week
     * that changed (later weeks' movement and tenure depend on it), as `rank`. */
    store_close(store);
    store = NULL;
    if (changes->first_week[0]) {
        printf("recomputing rankings from %s\n", changes->first_week);
        fflush(stdout);
        if (cli_rank(ctx, changes->first_week, &err) < 0)
            goto out;
    } else {
        printf("rankings unchanged: no verdict changed\n");
    }
    status = CLI_OK;
out:
    free(answers);
    free(counts);
    free(updates);
    free(changes);
    store_stored_replies_free(&replies);
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
