/*
 * spend.h - what a run will cost, checked before it makes a call: an
 * estimate from each model's recent cost per call (a default for a model
 * without any), against a per-run budget and against the credits the
 * provider says are left (`GET {base}/credits`, where it offers it, as
 * OpenRouter does; a server without it is not asked again).
 */
#ifndef CB_PIPELINE_SPEND_H
#define CB_PIPELINE_SPEND_H

#include "core/err.h"
#include "pipeline/evaluate.h"
#include "store/store.h"

struct pipeline_spend_opts {
    double budget_usd;            /* per run; <= 0: none (CRYPTIC_BENCH_RUN_BUDGET_USD) */
    double default_cost_per_call; /* for a model with no cost yet (CRYPTIC_BENCH_COST_PER_CALL_USD) */
    int skip_credits;             /* do not ask the provider (CRYPTIC_BENCH_CHECK_CREDITS=0) */
};

struct pipeline_spend_estimate {
    int calls;
    double cost_usd;
    int credits_known;
    double credits_left_usd;
    char summary[256];            /* "about $0.66 for 132 calls (3 models); $4.20 of credits left" */
};

/* Estimates asking each of models (n) the clues of each of weeks (nweeks)
 * it still must be asked, by the rules of pipeline_clues_to_ask. */
int pipeline_spend_estimate(struct store *store, const struct pipeline_evaluate_opts *eopts,
                            const struct pipeline_spend_opts *sopts, const char *const *weeks, size_t nweeks,
                            const char *const *models, size_t n, struct pipeline_spend_estimate *out,
                            struct err *err);

/* Asks the provider for the credits left (fills est->credits_*), then
 * refuses (-1, the reason in err) an estimate over the budget or over the
 * credits left. */
int pipeline_spend_check(const struct pipeline_evaluate_opts *eopts, const struct pipeline_spend_opts *sopts,
                         struct pipeline_spend_estimate *est, struct err *err);

#endif
