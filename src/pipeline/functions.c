/* functions.c - the weekly pipeline as workflow functions; see functions.h. */
#include "pipeline/functions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "core/log.h"
#include "core/utc.h"
#include "eval/client.h"
#include "pipeline/ranking.h"

/* ---- scrape-puzzles -------------------------------------------------------- */

struct scrape_arg {
    struct pipeline_config *cfg;
    const json_t *data; /* the event's data: since, max, series */
};


/* A step's failure from an err: the message, whether a retry may help, and
 * the engine's own backoff. Returns -1 for the step to return. */
/* The output fields of the steps that others sum (pipeline_step_fields). */
#define OUT_OUTCOME "outcome" /* an eval step's: "correct" | "wrong" | "no_answer" | "error" */
#define OUT_COST "cost"       /* an eval step's, US dollars */
#define OUT_SAVED "saved"     /* the scrape report's post counts */
#define OUT_REJECTED "rejected"
#define OUT_SKIPPED "skipped"

const struct store_step_fields *pipeline_step_fields(void)
{
    static const struct store_step_fields fields = {
        .eval_function = PIPELINE_FN_EVALUATE_MODEL,
        .eval_steps = PIPELINE_STEP_EVAL_PREFIX "%",
        .eval_outcome = "$." OUT_OUTCOME,
        .eval_cost = "$." OUT_COST,
        .scrape_function = PIPELINE_FN_SCRAPE,
        .scrape_step = PIPELINE_STEP_SCRAPE,
        .scrape_saved = "$." OUT_SAVED,
        .scrape_rejected = "$." OUT_REJECTED,
        .scrape_skipped = "$." OUT_SKIPPED,
    };
    return &fields;
}

static int step_error(struct flow_step_error *e, const struct err *err, int retriable)
{
    snprintf(e->message, sizeof e->message, "%.500s", err->msg);
    e->retriable = retriable;
    e->retry_after_ms = -1;
    return -1;
}
/* A week's alert. The step builds the JSON body from these with jansson
 * (any text stays valid JSON, however long); the engine copies the struct
 * for the step, so the texts are held here, cut at their sizes. */
struct alert_arg {
    const char *url;
    char week[16];
    char status[16];            /* "failed" | "partial" */
    char run_id[64];
    char detail[2400];          /* why: the week's message, or the models that stopped */
};

/* POSTs a JSON alert body to the webhook; fails on no answer or a non-2xx.
 * Not retried here: the step's retries are the only ones. */
static int post_alert(const char *url, const char *body, struct err *err)
{
    struct http_client *http = NULL;
    struct http_client_opts ho = {.retries = 0, .timeout_ms = 15000};
    struct http_response resp = {0};
    const char *headers[] = {"Content-Type: application/json", NULL};
    int rc = http_client_new(&ho, &http, err);
    if (rc == 0) {
        struct http_request req = {"POST", url, headers, body, strlen(body)};
        rc = http_do(http, &req, &resp, err);
    }
    http_client_free(http);
    long status = resp.status;
    http_response_free(&resp);
    if (rc == 0 && status / 100 != 2)
        rc = err_set(err, "the alert webhook answered HTTP %ld", status);
    return rc;
}

/* POSTs {text, week_id, status, detail, run_id}; a webhook that keeps
 * failing must not hold the week up: the step's retries run out and the
 * week ends anyway. */
static int alert_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct alert_arg *a = arg;
    struct err err = {{0}};
    const char *what = strcmp(a->status, "failed") == 0 ? "failed" : "finished with models missing";
    size_t size = strlen(a->week) + strlen(what) + strlen(a->detail) + 32;
    char *text = malloc(size);
    json_t *body = NULL;
    char *dumped = NULL;
    if (text) {
        snprintf(text, size, "cryptic-bench: week %s %s: %s", a->week, what, a->detail);
        body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "text", text, "week_id", a->week, "status", a->status,
                         "detail", a->detail, "run_id", a->run_id);
    }
    dumped = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc = dumped ? post_alert(a->url, dumped, &err)
                    : err_set(&err, "alert: cannot encode the body (out of memory, or text not UTF-8)");
    free(dumped);
    json_decref(body);
    free(text);
    if (rc < 0)
        return step_error(e, &err, 1);
    *out = json_true();
    return 0;
}

/* A post rejected on this many scrapes is worth a human look. */
#define REJECTED_ALERT_ATTEMPTS 3

/* Posts {text, rejected: [{url, series, number, reason, attempts}]} for the
 * posts rejected on REJECTED_ALERT_ATTEMPTS scrapes that no alert reported
 * yet, then marks them reported (a failed POST leaves them for the next
 * scrape). The result is how many were reported. */
static int rejected_alert_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct pipeline_config *cfg = arg;
    struct err err = {{0}};
    json_t *due = NULL;
    if (store_rejected_due_alert(cfg->store, REJECTED_ALERT_ATTEMPTS, &due, &err) < 0)
        return step_error(e, &err, 1);
    size_t n = json_array_size(due);
    if (n == 0) {
        json_decref(due);
        *out = json_integer(0);
        return 0;
    }
    char text[1500];
    int used = snprintf(text, sizeof text, "cryptic-bench: %zu post%s rejected on %d scrapes or more "
                                           "(`cryptic-bench puzzles rejected`):", n, n == 1 ? "" : "s",
                        REJECTED_ALERT_ATTEMPTS);
    json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(due, i, row) {
        const char *url = json_string_value(json_object_get(row, "url"));
        const char *reason = json_string_value(json_object_get(row, "reason"));
        if (used > 0 && (size_t)used < sizeof text)
            used += snprintf(text + used, sizeof text - (size_t)used, " %s: %.200s;", url, reason);
        json_array_append_new(list, json_pack("{s:s, s:O, s:O, s:s, s:O}", "url", url, "series",
                                              json_object_get(row, "series"), "number",
                                              json_object_get(row, "number"), "reason", reason, "attempts",
                                              json_object_get(row, "attempts")));
    }
    json_t *body = json_pack("{s:s, s:s, s:o}", "text", text, "status", "rejected-posts", "rejected", list);
    char *dumped = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    int rc = dumped ? post_alert(cfg->alert_webhook, dumped, &err) : err_set(&err, "out of memory");
    free(dumped);
    json_array_foreach(due, i, row) {
        if (rc == 0 && store_rejected_mark_alerted(cfg->store, json_integer_value(json_object_get(row, "id")),
                                                   &err) < 0)
            rc = -1;
    }
    json_decref(due);
    if (rc < 0)
        return step_error(e, &err, 1);
    *out = json_integer((json_int_t)n);
    return 0;
}

static int scrape_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct scrape_arg *a = arg;
    struct pipeline_config *cfg = a->cfg;
    struct pipeline_scrape_opts opts = cfg->scrape;
    json_t *v;
    if (json_is_integer(v = json_object_get(a->data, "since")))
        opts.since_ms = json_integer_value(v);
    if (json_is_integer(v = json_object_get(a->data, "max")))
        opts.max_posts = (int)json_integer_value(v);
    if (json_is_integer(v = json_object_get(a->data, "max_pages")))
        opts.max_pages = (int)json_integer_value(v);
    if (json_is_array(v = json_object_get(a->data, "series"))) {
        size_t i, n = 0;
        json_t *name;
        json_array_foreach(v, i, name)
            if (json_is_string(name) && n < PIPELINE_SCRAPE_MAX_SERIES - 1)
                opts.series[n++] = json_string_value(name);
        opts.series[n] = NULL;
    }
    struct pipeline_scrape_report report;
    struct err err = {{0}};
    /* Not retried as a step: every fetch already had its retries
     * (FIFTEENSQUARED_RETRIES, with backoff). Retrying the step on top
     * would multiply them (a name that does not resolve: 4 x 3 attempts). */
    if (pipeline_scrape(cfg->store, &opts, cfg->on_scrape, NULL, &report, &err) < 0) {
        return step_error(e, &err, 0);
    }
    json_t *weeks = json_array();
    for (int i = 0; i < report.nweeks; i++)
        json_array_append_new(weeks, json_string(report.weeks[i]));
    *out = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:s?}", "since", report.since, "pages",
                     report.pages, "seen", report.seen, "found", report.found, OUT_SAVED, report.saved, OUT_SKIPPED,
                     report.skipped, OUT_REJECTED, report.rejected, "weeks", weeks, "warning",
                     report.warning[0] ? report.warning : NULL);
    return 0;
}

static int weeks_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct pipeline_config *cfg = arg;
    char(*weeks)[16] = NULL;
    size_t n = 0;
    struct err err = {{0}};
    if (store_weeks_to_evaluate(cfg->store, &weeks, &n, &err) < 0) {
        return step_error(e, &err, 1);
    }
    *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(*out, json_string(weeks[i]));
    free(weeks);
    return 0;
}

static int scrape_puzzles(struct flow_ctx *ctx, const json_t *event, void *user)
{
    struct pipeline_config *cfg = user;
    const json_t *scraped, *weeks;
    struct scrape_arg sa = {cfg, json_object_get(event, "data")};
    if (flow_step_run(ctx, PIPELINE_STEP_SCRAPE, scrape_step, &sa, sizeof sa, &scraped) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_failed(scraped))
        return flow_fail(ctx, flow_step_failed(scraped));
    /* A webhook that fails does not fail the scrape: the alert is due again next time. */
    if (cfg->alert_webhook && *cfg->alert_webhook &&
        flow_step_run(ctx, "alert-rejected", rejected_alert_step, cfg, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "weeks-to-evaluate", weeks_step, cfg, 0, &weeks) == FLOW_PENDING)
        return flow_yield(ctx);
    const char *only = json_string_value(json_object_get(json_object_get(event, "data"), "week_id"));
    json_t *events = json_array();
    json_array_append_new(events, json_pack("{s:s, s:{s:O}}", "name", "benchmark/scrape.complete", "data", "weeks",
                                            json_object_get(scraped, "weeks")));
    size_t i;
    json_t *w;
    json_array_foreach(weeks, i, w) {
        if (only && strcmp(only, json_string_value(w)) != 0)
            continue;
        char id[160];
        snprintf(id, sizeof id, "evaluate-%s-%s", json_string_value(w), flow_run_id(ctx));
        json_array_append_new(events, json_pack("{s:s, s:s, s:{s:O}}", "id", id, "name", "benchmark/evaluate.requested",
                                                "data", "week_id", w));
    }
    int rc = flow_step_send_event(ctx, "request-evaluations", events, NULL);
    json_decref(events);
    if (rc == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, scraped);
}

/* ---- evaluate-model -------------------------------------------------------------- */

struct clue_arg {
    struct pipeline_config *cfg;
    const char *model, *week;
    int64_t clue_id;
    int no_skip, retry_no_answer;
};

static int plan_model_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct clue_arg *a = arg;
    struct pipeline_evaluate_opts opts = a->cfg->evaluate;
    opts.no_skip = a->no_skip;
    opts.retry_no_answer = a->retry_no_answer;
    int64_t *ids = NULL;
    size_t n = 0;
    struct err err = {{0}};
    if (pipeline_clues_to_ask(a->cfg->store, &opts, a->model, a->week, &ids, &n, &err) < 0) {
        return step_error(e, &err, 0);
    }
    *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(*out, json_integer(ids[i]));
    free(ids);
    if (a->cfg->on_clue)
        a->cfg->on_clue(a->cfg->progress_ctx, a->model, (int)n, NULL);
    return 0;
}

static int clue_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct clue_arg *a = arg;
    struct pipeline_clue_result res;
    struct err err = {{0}};
    if (pipeline_evaluate_clue(a->cfg->store, &a->cfg->evaluate, a->model, a->clue_id, &res, &err) < 0) {
        return step_error(e, &err, 0);
    }
    if (a->cfg->on_clue)
        a->cfg->on_clue(a->cfg->progress_ctx, a->model, -1, &res);
    *out = json_pack("{s:s, s:s, s:i, s:s, s:f}", OUT_OUTCOME, res.outcome, "class",
                     eval_error_class_name((enum eval_error_class)res.error_class), "status", res.http_status,
                     "error", res.error, OUT_COST, res.cost > 0 ? res.cost : 0.0);
    return 0;
}

struct retire_arg {
    struct pipeline_config *cfg;
    const char *model;
    char reason[520];
};

static int retire_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct retire_arg *a = arg;
    struct err err = {{0}};
    int found = 0;
    if (store_model_retire(a->cfg->store, a->model, a->reason, &found, &err) < 0) {
        return step_error(e, &err, 1);
    }
    log_warn("%s retired: %s (skipped until `cryptic-bench models activate %s`)", a->model, a->reason, a->model);
    *out = json_true();
    return 0;
}

/* Runs a body's "plan" step: 0 with *plan its result; 1 when the body must
 * return *ret instead (the step pending: yield; failed: fail with its error). */
static int plan_step(struct flow_ctx *ctx, flow_step_fn fn, const void *arg, size_t size, const json_t **plan,
                     int *ret)
{
    if (flow_step_run(ctx, "plan", fn, arg, size, plan) == FLOW_PENDING) {
        *ret = flow_yield(ctx);
        return 1;
    }
    if (flow_step_failed(*plan)) {
        *ret = flow_fail(ctx, flow_step_failed(*plan));
        return 1;
    }
    return 0;
}

/* Invokes evaluate-model with child (taken) as the step "evaluate-<what>";
 * FLOW_DONE with its result (or its error) in *result, or FLOW_PENDING. */
static int invoke_evaluate_model(struct flow_ctx *ctx, const char *what, json_t *child, const json_t **result)
{
    char step[192];
    snprintf(step, sizeof step, "evaluate-%s", what);
    int rc = flow_step_invoke(ctx, step, PIPELINE_FN_EVALUATE_MODEL, child, result);
    json_decref(child);
    return rc;
}

/* Sends benchmark/evaluate.complete {week_id} as the step step_id, so the
 * rankings are recomputed from week on; FLOW_DONE or FLOW_PENDING. */
static int send_evaluate_complete(struct flow_ctx *ctx, const char *step_id, const char *week)
{
    json_t *done = json_pack("{s:s, s:{s:s}}", "name", "benchmark/evaluate.complete", "data", "week_id", week);
    int rc = flow_step_send_event(ctx, step_id, done, NULL);
    json_decref(done);
    return rc;
}

static int evaluate_model(struct flow_ctx *ctx, const json_t *event, void *user)
{
    struct pipeline_config *cfg = user;
    const json_t *data = json_object_get(event, "data");
    struct clue_arg a = {cfg, json_string_value(json_object_get(data, "model")),
                         json_string_value(json_object_get(data, "week_id")), 0,
                         json_is_true(json_object_get(data, "no_skip")),
                         json_is_true(json_object_get(data, "retry_no_answer"))};
    if (!a.model || !a.week)
        return flow_fail(ctx, "evaluate-model needs {model, week_id}");
    const json_t *plan;
    int ret;
    if (plan_step(ctx, plan_model_step, &a, sizeof a, &plan, &ret))
        return ret;
    int asked = 0, correct = 0, errors = 0;
    size_t i;
    json_t *id;
    json_array_foreach(plan, i, id) {
        char step[64];
        snprintf(step, sizeof step, PIPELINE_STEP_EVAL_PREFIX "%lld", (long long)json_integer_value(id));
        a.clue_id = json_integer_value(id);
        const json_t *r;
        if (flow_step_run(ctx, step, clue_step, &a, sizeof a, &r) == FLOW_PENDING)
            return flow_yield(ctx);
        if (flow_step_failed(r))
            return flow_fail(ctx, flow_step_failed(r));
        asked++;
        const char *outcome = json_string_value(json_object_get(r, OUT_OUTCOME));
        correct += outcome && strcmp(outcome, "correct") == 0;
        errors += outcome && strcmp(outcome, "error") == 0;
        /* The class and status are data of the step's result; the run fails
         * with the reason alone and its class, which the week reads. */
        enum err_class cls = err_class_from_name(json_string_value(json_object_get(r, "class")));
        int status = (int)json_integer_value(json_object_get(r, "status"));
        const char *why = json_string_value(json_object_get(r, "error"));
        if (cls == ERR_CLASS_RUN_FATAL) {
            char reason[700];
            snprintf(reason, sizeof reason, "run-fatal: %s: %s", a.model, why);
            /* No credits or a bad key stops every model of the week at once:
             * the cancel event this function declares, sparing this run so it
             * fails with the reason (the same on Inngest). */
            json_t *stop = json_pack("{s:s, s:{s:s, s:s, s:s}}", "name", PIPELINE_EVENT_CANCEL_WEEK, "data", "week_id",
                                     a.week, "model", a.model, "reason", reason);
            int rc = flow_step_send_event(ctx, "stop-the-week", stop, NULL);
            json_decref(stop);
            if (rc == FLOW_PENDING)
                return flow_yield(ctx);
            return flow_fail_error(ctx, cls, status, why);
        }
        if (cls == ERR_CLASS_MODEL_FATAL) {
            /* Gone at the provider (404: deprecated, removed): retired, and
             * skipped from now on until reactivated. */
            if (status == 404) {
                struct retire_arg ra = {a.cfg, a.model, ""};
                snprintf(ra.reason, sizeof ra.reason, "%.500s", why);
                if (flow_step_run(ctx, "retire", retire_step, &ra, sizeof ra, NULL) == FLOW_PENDING)
                    return flow_yield(ctx);
            }
            return flow_fail_error(ctx, cls, status, why);
        }
    }
    json_t *out = json_pack("{s:s, s:s, s:i, s:i, s:i}", "model", a.model, "week_id", a.week, "asked", asked,
                            "correct", correct, "errors", errors);
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

/* ---- evaluate-week ------------------------------------------------------------ */

/* How an invoked evaluate-model run's failure reads in a list, composed
 * from its class (the run's message is the reason alone): "m stopped: why"
 * (model-fatal), "run-fatal: m: why", or the message as it is. */
static void describe_stop(char *out, size_t size, const char *model, const json_t *result)
{
    const char *why = flow_step_failed(result);
    switch (flow_step_error_class(result)) {
    case ERR_CLASS_MODEL_FATAL:
        snprintf(out, size, "%s stopped: %s", model, why);
        break;
    case ERR_CLASS_RUN_FATAL:
        snprintf(out, size, "run-fatal: %s: %s", model, why);
        break;
    default:
        snprintf(out, size, "%s", why ? why : "failed");
    }
}

struct week_arg {
    struct pipeline_config *cfg;
    const char *week;
    const json_t *models;
};

/* Estimates the calls about to be made and refuses them over the budget or
 * the credits left: the step fails for good, before any call. */
static int spend_gate(struct pipeline_config *cfg, const char *const *weeks, size_t nweeks, json_t *models,
                      struct flow_step_error *e)
{
    const char *ids[PIPELINE_MAX_MODELS];
    size_t n = 0, i;
    json_t *m;
    json_array_foreach(models, i, m) if (n < PIPELINE_MAX_MODELS) ids[n++] = json_string_value(m);
    struct pipeline_spend_estimate est;
    struct err err = {{0}};
    int rc = pipeline_spend_estimate(cfg->store, &cfg->evaluate, &cfg->spend, weeks, nweeks, ids, n, &est, &err);
    if (rc == 0)
        rc = pipeline_spend_check(&cfg->evaluate, &cfg->spend, &est, &err);
    if (rc < 0) {
        return step_error(e, &err, 0);
    }
    log_info("%s%s: %s", weeks[0], nweeks > 1 ? " and on" : "", est.summary);
    return 0;
}

static int plan_week_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct week_arg *a = arg;
    struct err err = {{0}};
    struct store_model_list models = {0};
    if (store_models_list(a->cfg->store, &models, &err) < 0) {
        return step_error(e, &err, 1);
    }
    *out = json_array();
    for (size_t i = 0; i < models.n; i++) {
        const struct store_model *m = &models.items[i];
        int chosen = m->is_active;
        if (m->retired_reason) /* skipped until an operator reactivates it */
            continue;
        if (json_is_array(a->models)) {
            chosen = 0;
            size_t k;
            json_t *v;
            json_array_foreach(a->models, k, v)
                chosen |= json_is_string(v) && strcmp(json_string_value(v), m->openrouter_id) == 0;
        }
        if (chosen)
            json_array_append_new(*out, json_string(m->openrouter_id));
    }
    store_model_list_free(&models);
    if (spend_gate(a->cfg, &a->week, 1, *out, e) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Posts {text, week_id, status, detail, run_id} (alert_step) when the week
 * failed or some model stopped; returns FLOW_PENDING while the step is not
 * done. */
static int alert_week(struct flow_ctx *ctx, struct pipeline_config *cfg, const char *week, const char *status,
                      const char *detail)
{
    if (!cfg->alert_webhook || !*cfg->alert_webhook)
        return FLOW_DONE;
    struct alert_arg a = {.url = cfg->alert_webhook};
    snprintf(a.week, sizeof a.week, "%s", week);
    snprintf(a.status, sizeof a.status, "%s", status);
    snprintf(a.run_id, sizeof a.run_id, "%s", flow_run_id(ctx));
    snprintf(a.detail, sizeof a.detail, "%s", detail);
    return flow_step_run(ctx, "alert", alert_step, &a, sizeof a, NULL);
}

static int evaluate_week(struct flow_ctx *ctx, const json_t *event, void *user)
{
    struct pipeline_config *cfg = user;
    const json_t *data = json_object_get(event, "data");
    struct week_arg a = {cfg, json_string_value(json_object_get(data, "week_id")), json_object_get(data, "models")};
    if (!a.week)
        return flow_fail(ctx, "evaluate-week needs {week_id}");
    const json_t *models;
    int ret;
    if (plan_step(ctx, plan_week_step, &a, sizeof a, &models, &ret))
        return ret;
    int pending = 0;
    const char *run_fatal = NULL, *fatal_model = NULL;
    int fatal_status = 0;
    char stopped[2048] = "";
    size_t used = 0, i;
    json_t *model;
    json_array_foreach(models, i, model) {
        json_t *child = json_pack("{s:O, s:s, s:b, s:b}", "model", model, "week_id", a.week, "no_skip",
                                  json_is_true(json_object_get(data, "no_skip")), "retry_no_answer",
                                  json_is_true(json_object_get(data, "retry_no_answer")));
        const json_t *result;
        if (invoke_evaluate_model(ctx, json_string_value(model), child, &result) == FLOW_PENDING) {
            pending = 1;
            continue;
        }
        const char *failed = flow_step_failed(result);
        if (failed && flow_step_error_class(result) == ERR_CLASS_RUN_FATAL && !run_fatal) {
            run_fatal = failed;
            fatal_model = json_string_value(model);
            fatal_status = flow_step_error_status(result);
        }
        if (failed && used + 4 < sizeof stopped) {
            char line[700];
            describe_stop(line, sizeof line, json_string_value(model), result);
            int n = snprintf(stopped + used, sizeof stopped - used, "%s%s", used ? "; " : "", line);
            if (n > 0)
                used += (size_t)n < sizeof stopped - used ? (size_t)n : sizeof stopped - used - 1;
        }
    }
    if (pending)
        return flow_yield(ctx);
    if (send_evaluate_complete(ctx, "evaluation-complete", a.week) == FLOW_PENDING)
        return flow_yield(ctx);
    if (run_fatal) {
        char msg[700];
        snprintf(msg, sizeof msg, "%s: every model stopped: %s: %.500s", a.week, fatal_model, run_fatal);
        if (alert_week(ctx, cfg, a.week, "failed", msg) == FLOW_PENDING)
            return flow_yield(ctx);
        return flow_fail_error(ctx, ERR_CLASS_RUN_FATAL, fatal_status, msg);
    }
    if (used && alert_week(ctx, cfg, a.week, "partial", stopped) == FLOW_PENDING)
        return flow_yield(ctx);
    json_t *out = json_pack("{s:s, s:O, s:s?}", "week_id", a.week, "models", models, "stopped",
                            used ? stopped : NULL);
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

/* ---- calculate-rankings ------------------------------------------------------------- */

struct rank_arg {
    struct pipeline_config *cfg;
    const char *week;
};

static int rank_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct rank_arg *a = arg;
    struct err err = {{0}};
    int ranked = 0;
    if (pipeline_rankings_recompute(a->cfg->store, a->cfg->coverage_threshold, a->week, &ranked, &err) < 0)
        return step_error(e, &err, 1);
    *out = json_pack("{s:s?, s:i}", "from_week", a->week, "weeks_ranked", ranked);
    return 0;
}

static int calculate_rankings(struct flow_ctx *ctx, const json_t *event, void *user)
{
    struct rank_arg a = {user, json_string_value(json_object_get(json_object_get(event, "data"), "week_id"))};
    const json_t *r;
    if (flow_step_run(ctx, "rank", rank_step, &a, sizeof a, &r) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_failed(r))
        return flow_fail(ctx, flow_step_failed(r));
    return flow_complete(ctx, r);
}

/* ---- backfill-model ------------------------------------------------------------------ */

struct backfill_arg {
    struct pipeline_config *cfg;
    const char *model;
    const json_t *weeks; /* the event's list, or NULL: every week with clues */
};

static int plan_backfill_step(void *arg, json_t **out, struct flow_step_error *e)
{
    struct backfill_arg *a = arg;
    struct err err = {{0}};
    struct store_model_list models = {0};
    char(*all)[16] = NULL;
    size_t nall = 0;
    e->retriable = 0;
    if (store_models_list(a->cfg->store, &models, &err) < 0 ||
        store_weeks_with_clues(a->cfg->store, &all, &nall, &err) < 0) {
        store_model_list_free(&models);
        return step_error(e, &err, 1);
    }
    const struct store_model *m = NULL;
    for (size_t i = 0; i < models.n; i++)
        if (strcmp(models.items[i].openrouter_id, a->model) == 0)
            m = &models.items[i];
    int rc = -1;
    if (!m) {
        snprintf(e->message, sizeof e->message, "no model %.200s: add it to models.json and run `cryptic-bench init-db`",
                 a->model);
        goto out;
    }
    if (!m->is_active) {
        snprintf(e->message, sizeof e->message, "model %.200s is not active: list it in models.json and run init-db",
                 a->model);
        goto out;
    }
    const char *weeks[512];
    size_t n = 0;
    if (json_is_array(a->weeks)) {
        size_t i;
        json_t *w;
        json_array_foreach(a->weeks, i, w) {
            const char *id = json_string_value(w);
            int known = 0;
            for (size_t k = 0; id && k < nall && !known; k++)
                known = strcmp(all[k], id) == 0;
            if (!known) {
                snprintf(e->message, sizeof e->message, "week %.100s has no clues that count", id ? id : "(not text)");
                goto out;
            }
            if (n < 512)
                weeks[n++] = id;
        }
    } else {
        for (size_t k = 0; k < nall && n < 512; k++)
            weeks[n++] = all[k];
    }
    if (n == 0) {
        snprintf(e->message, sizeof e->message, "no week has clues yet: run `cryptic-bench scrape` first");
        goto out;
    }
    json_t *one = json_pack("[s]", a->model);
    rc = spend_gate(a->cfg, weeks, n, one, e);
    json_decref(one);
    if (rc == 0) {
        *out = json_array();
        for (size_t k = 0; k < n; k++)
            json_array_append_new(*out, json_string(weeks[k]));
    }
out:
    free(all);
    store_model_list_free(&models);
    return rc;
}

static int backfill_model(struct flow_ctx *ctx, const json_t *event, void *user)
{
    const json_t *data = json_object_get(event, "data");
    struct backfill_arg a = {user, json_string_value(json_object_get(data, "model")), json_object_get(data, "weeks")};
    if (!a.model)
        return flow_fail(ctx, "backfill-model needs {model, weeks?}");
    const json_t *weeks;
    int ret;
    if (plan_step(ctx, plan_backfill_step, &a, sizeof a, &weeks, &ret))
        return ret;
    int pending = 0;
    char run_fatal[700] = "";
    int fatal_status = 0;
    json_t *stopped = json_array();
    size_t i;
    json_t *week;
    json_array_foreach(weeks, i, week) {
        json_t *child = json_pack("{s:s, s:O}", "model", a.model, "week_id", week);
        const json_t *result;
        if (invoke_evaluate_model(ctx, json_string_value(week), child, &result) == FLOW_PENDING) {
            pending = 1;
            continue;
        }
        if (flow_step_failed(result)) {
            char line[700];
            describe_stop(line, sizeof line, a.model, result);
            json_array_append_new(stopped, json_pack("{s:O, s:s}", "week_id", week, "error", line));
            if (flow_step_error_class(result) == ERR_CLASS_RUN_FATAL && !run_fatal[0]) {
                snprintf(run_fatal, sizeof run_fatal, "%s", line);
                fatal_status = flow_step_error_status(result);
            }
        }
    }
    if (pending) {
        json_decref(stopped);
        return flow_yield(ctx);
    }
    /* Rankings from the earliest week the model now has results in. */
    if (send_evaluate_complete(ctx, "rank-from-the-first-week", json_string_value(json_array_get(weeks, 0))) ==
        FLOW_PENDING) {
        json_decref(stopped);
        return flow_yield(ctx);
    }
    if (run_fatal[0]) {
        char msg[700];
        snprintf(msg, sizeof msg, "backfill of %s stopped: %.600s", a.model, run_fatal);
        json_decref(stopped);
        return flow_fail_error(ctx, ERR_CLASS_RUN_FATAL, fatal_status, msg);
    }
    json_t *out = json_pack("{s:s, s:O, s:o}", "model", a.model, "weeks", weeks, "stopped", stopped);
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

int pipeline_register(struct flow_engine *e, struct pipeline_config *cfg, unsigned which, struct err *err)
{
    int retries = cfg->step_retries < 0 ? 2 : cfg->step_retries;
    if (which & PIPELINE_SCRAPE) {
        struct flow_function f = {.id = PIPELINE_FN_SCRAPE, .event = "benchmark/scrape.requested",
                                  .cron = cfg->scrape_cron ? cfg->scrape_cron : "TZ=UTC 0 6 * * 0", .retries = retries,
                                  .concurrency = 1, .body = scrape_puzzles, .user = cfg};
        if (flow_engine_register(e, &f, err) < 0)
            return -1;
    }
    if (which & PIPELINE_EVALUATE) {
        struct flow_function week = {.id = "evaluate-week", .event = "benchmark/evaluate.requested", .retries = retries,
                                     .concurrency = 1, .concurrency_key = "data.week_id", .body = evaluate_week,
                                     .user = cfg};
        struct flow_function model = {.id = PIPELINE_FN_EVALUATE_MODEL, .event = PIPELINE_EVENT_EVALUATE_MODEL,
                                      .retries = retries, .concurrency = 1, .concurrency_key = "data.model",
                                      .cancel_event = PIPELINE_EVENT_CANCEL_WEEK, .cancel_match = "data.week_id",
                                      .cancel_except = "data.model",
                                      .body = evaluate_model, .user = cfg};
        if (flow_engine_register(e, &week, err) < 0 || flow_engine_register(e, &model, err) < 0)
            return -1;
    }
    if (which & PIPELINE_BACKFILL) {
        struct flow_function f = {.id = "backfill-model", .event = PIPELINE_EVENT_MODEL_ADDED, .retries = retries,
                                  .concurrency = 1, .concurrency_key = "data.model", .body = backfill_model,
                                  .user = cfg};
        if (flow_engine_register(e, &f, err) < 0)
            return -1;
    }
    if (which & PIPELINE_RANK) {
        struct flow_function f = {.id = "calculate-rankings", .event = "benchmark/evaluate.complete", .retries = retries,
                                  .concurrency = 1, .body = calculate_rankings, .user = cfg};
        if (flow_engine_register(e, &f, err) < 0)
            return -1;
    }
    return 0;
}
