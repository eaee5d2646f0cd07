/*
 * evaluate.h - the evaluate job: every chosen model on every clue of a week.
 *
 * Models run in parallel (at most max_models at once), each model's clues
 * in order with at least its min_interval_ms between request starts, and
 * never more than max_in_flight requests at once overall. Each answer is
 * extracted and checked as it arrives and stored at once, so an
 * interrupted run keeps what it did. What a failure means follows its
 * class (eval/client.h): a call error is stored as outcome "error" and the
 * model goes on; a model-fatal error stops that model; a run-fatal error
 * stops every model. An error is never stored over a success.
 *
 * Until the workflow engine lands this is a plain loop of threads; the
 * engine issue moves it onto durable steps without changing behaviour.
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
    int max_in_flight;        /* requests at once; default 32 */
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

typedef void (*pipeline_evaluate_fn)(void *ctx, const struct pipeline_model_progress *models, int n);

struct pipeline_evaluate_report {
    struct pipeline_model_progress models[PIPELINE_MAX_MODELS];
    int nmodels;
    int clues;            /* clues in the week */
    int run_failed;       /* a run-fatal error stopped everything */
    char run_error[512];
    double cost;
};

/* Runs the job. Returns -1 for what stops it before any call (unknown
 * model, no API key, no clues, database errors) with the reason; a
 * run-fatal API error returns 0 with report->run_failed set. on_progress
 * (may be NULL) is called after every call, from the calling threads,
 * serialised. */
int pipeline_evaluate(struct store *store, const struct pipeline_evaluate_opts *opts,
                      pipeline_evaluate_fn on_progress, void *ctx,
                      struct pipeline_evaluate_report *report, struct err *err);

#endif
