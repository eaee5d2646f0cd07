/*
 * evaluate.h - evaluating models on a week's clues, the parts the
 * evaluate-model workflow (pipeline/functions.h) is built from: which clues
 * a model must still be asked, and asking one clue as one durable step.
 *
 * Each answer is extracted and checked as it arrives and stored at once,
 * so an interrupted run keeps what it did. What a failure means follows
 * its class (eval/client.h): a call error is stored as outcome "error" and
 * the model goes on; a model-fatal error stops that model; a run-fatal
 * error stops every model. An error is never stored over a success.
 */
#ifndef CB_PIPELINE_EVALUATE_H
#define CB_PIPELINE_EVALUATE_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define PIPELINE_MAX_MODELS 64

struct pipeline_evaluate_opts {
    const char *week_id;
    const char *models[PIPELINE_MAX_MODELS]; /* OpenRouter ids, NULL-terminated; empty: all active */
    int no_skip;              /* ask again even where a success is stored */
    int retry_no_answer;      /* ask again where no_answer is stored */
    const char *base_url;     /* OPENROUTER_BASE_URL; default the OpenRouter API */
    const char *api_key;      /* OPENROUTER_API_KEY, for models without their own endpoint */
    int max_models;           /* models at once; default 16 */
    long min_interval_ms;     /* default spacing when a model's options give none; default 500 */
    int retries;              /* per call, retriable failures; -1: default 3 */
    long backoff_ms;          /* default 1000 */
    long timeout_ms;          /* per request; default 120 000 */
};

/* One model's progress, as the run goes. */
struct pipeline_model_progress {
    char model[128];
    int total;        /* clues to ask */
    int done;         /* asked (any outcome) */
    int correct, wrong, no_answer, errors;
    int kept;         /* errors not stored because a success was */
    double cost;
    int64_t started_ms, finished_ms;
    int stopped;      /* a model-fatal or run-fatal error stopped it */
    char stop_reason[512];
};

/* The result of asking one clue. */
struct pipeline_clue_result {
    const char *outcome;  /* "correct" | "wrong" | "no_answer" | "error" (static) */
    int error_class;      /* enum eval_error_class */
    int http_status;      /* of the call's last attempt; 0 without a response */
    char error[512];      /* for an error */
    double cost;          /* < 0: unknown */
    int kept;             /* an error not stored because a success was */
};

/* Progress of evaluate-model runs, from the engine's worker threads:
 * planned >= 0 (res NULL) once a model's clues to ask are known, then
 * planned -1 with res after each clue. */
typedef void (*pipeline_clue_fn)(void *ctx, const char *model, int planned, const struct pipeline_clue_result *res);

struct pipeline_evaluate_report {
    struct pipeline_model_progress models[PIPELINE_MAX_MODELS];
    int nmodels;
    int clues;            /* clues in the week */
    double cost;
};

/* What evaluating a week checks before any call: the week has clues, every
 * named model is known, some model is chosen (the named ones, else every
 * active one) and each has its endpoint and key. Fills report->clues and
 * report->models[].model (the chosen ids, in the models' order). */
int pipeline_evaluate_preflight(struct store *store, const struct pipeline_evaluate_opts *opts,
                                struct pipeline_evaluate_report *report, struct err *err);

/* The ids of the clues of week_id that model must still be asked, by the
 * same rules as pipeline_evaluate (successes skipped unless no_skip,
 * no-answers unless retry_no_answer, errors always). *ids is the caller's. */
int pipeline_clues_to_ask(struct store *store, const struct pipeline_evaluate_opts *opts, const char *model,
                          const char *week_id, int64_t **ids, size_t *n, struct err *err);

/* Asks model one clue and stores the checked answer (or the error): the
 * body of one evaluate-model step. Paces the model inside the call: it
 * waits until its min_interval_ms has passed since this process last
 * started a request for it. Fails only for setup errors (unknown model or
 * clue, no key, database). */
int pipeline_evaluate_clue(struct store *store, const struct pipeline_evaluate_opts *opts, const char *model,
                           int64_t clue_id, struct pipeline_clue_result *out, struct err *err);

/* Fills the defaults of opts in place. */
void pipeline_evaluate_defaults(struct pipeline_evaluate_opts *opts);

#endif
