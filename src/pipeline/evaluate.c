/* evaluate.c - the evaluate job; see evaluate.h. */
#include "pipeline/evaluate.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/http.h"
#include "core/log.h"
#include "core/utc.h"
#include "eval/client.h"
#include "eval/extract.h"
#include "eval/prompt.h"

/* One model's endpoint, key and options. */
struct model_work {
    int64_t model_id;
    char id[128];
    char base_url[512];
    char *api_key;           /* owned copy of the key's value */
    int max_tokens;
    long min_interval_ms;
    json_t *extra;           /* owned */
};

static int configure(struct model_work *w, const struct store_model *m,
                     const struct pipeline_evaluate_opts *o, struct err *err);

/* Extracts, checks and stores one reply (or its error). */
static int store_reply(struct store *store, int64_t model_id, const struct store_week_clue *clue,
                       const struct eval_reply *reply, struct pipeline_clue_result *res, struct err *err)
{
    memset(res, 0, sizeof *res);
    struct store_evaluation_row row = {
        .clue_id = clue->id,
        .model_id = model_id,
        .week_id = clue->week_id,
        .response_time_ms = reply->latency_ms,
        .prompt_tokens = reply->prompt_tokens,
        .completion_tokens = reply->completion_tokens,
        .reasoning_tokens = reply->reasoning_tokens,
        .total_tokens = reply->total_tokens,
        .cost = reply->cost,
        .finish_reason = reply->finish_reason,
        .provider_model = reply->provider_model,
        .attempts = reply->attempts,
        .prompt_version = EVAL_PROMPT_VERSION,
    };
    struct eval_extraction x;
    if (reply->error_class == EVAL_OK) {
        eval_extract(reply->content, clue->enumeration, &x);
        row.model_response = reply->content;
        row.reasoning = reply->reasoning;
        row.extracted_answer = x.found ? x.answer : NULL;
        row.extract_rule = eval_rule_name(x.rule);
        row.is_correct = x.found && eval_check(x.answer, clue->answer);
        row.outcome = !x.found ? "no_answer" : row.is_correct ? "correct" : "wrong";
    } else {
        row.outcome = "error";
        row.error_message = reply->error;
        row.error_class = (enum err_class)reply->error_class;
        /* The status of a failed reply; a 2xx whose body failed (malformed,
         * empty) or no reply at all has none. */
        row.error_status = reply->http_status >= 300 ? (int)reply->http_status : 0;
    }
    if (store_evaluation_save(store, &row, &res->kept, err) < 0)
        return -1;
    res->outcome = row.outcome;
    res->error_class = reply->error_class;
    res->http_status = (int)reply->http_status;
    snprintf(res->error, sizeof res->error, "%s", reply->error_class == EVAL_OK ? "" : reply->error);
    res->cost = reply->cost;
    return 0;
}

/* Reads a model's options (models.options JSON) into w. */
static int configure(struct model_work *w, const struct store_model *m,
                     const struct pipeline_evaluate_opts *o, struct err *err)
{
    snprintf(w->id, sizeof w->id, "%s", m->openrouter_id);
    w->model_id = m->id;
    w->max_tokens = 500;
    w->min_interval_ms = o->min_interval_ms;
    snprintf(w->base_url, sizeof w->base_url, "%s", o->base_url);
    const char *key = o->api_key, *key_name = "OPENROUTER_API_KEY";
    json_t *options = m->options ? json_loads(m->options, 0, NULL) : NULL;
    if (options) {
        json_t *v;
        if (json_is_integer(v = json_object_get(options, "max_tokens")))
            w->max_tokens = (int)json_integer_value(v);
        if (json_is_integer(v = json_object_get(options, "min_interval_ms")))
            w->min_interval_ms = (long)json_integer_value(v);
        if (json_is_object(v = json_object_get(options, "extra")))
            w->extra = json_incref(v);
        if (json_is_string(v = json_object_get(options, "base_url")))
            snprintf(w->base_url, sizeof w->base_url, "%s", json_string_value(v));
        if (json_is_string(v = json_object_get(options, "api_key_env"))) {
            key_name = json_string_value(v);
            key = getenv(key_name);
            if (!key || !*key) {
                int rc = err_set(err, "%s: its key variable %s is not set", m->openrouter_id, key_name);
                json_decref(options);
                return rc;
            }
        }
        json_decref(options);
    }
    if ((!key || !*key) && strcmp(w->base_url, o->base_url) == 0)
        return err_set(err, "%s: no API key: set OPENROUTER_API_KEY (in the environment or .env)",
                       m->openrouter_id);
    w->api_key = key ? strdup(key) : NULL;
    if (w->min_interval_ms <= 0)
        w->min_interval_ms = 1;
    return 0;
}

void pipeline_evaluate_defaults(struct pipeline_evaluate_opts *opts)
{
    if (!opts->base_url || !*opts->base_url)
        opts->base_url = EVAL_DEFAULT_BASE_URL;
    if (opts->max_models <= 0)
        opts->max_models = 16;
    if (opts->min_interval_ms <= 0)
        opts->min_interval_ms = 500;
    if (opts->retries < 0)
        opts->retries = 3;
    if (opts->backoff_ms <= 0)
        opts->backoff_ms = 1000;
    if (opts->timeout_ms <= 0)
        opts->timeout_ms = 120000;
}

/* The model's row, by OpenRouter id. */
static int find_model(struct store *store, const char *model, struct store_model_list *list,
                      const struct store_model **out, struct err *err)
{
    if (store_models_list(store, list, err) < 0)
        return -1;
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->items[i].openrouter_id, model) == 0) {
            *out = &list->items[i];
            return 0;
        }
    return err_set(err, "unknown model %s (see `cryptic-bench models`)", model);
}

int pipeline_clues_to_ask(struct store *store, const struct pipeline_evaluate_opts *opts, const char *model,
                          const char *week_id, int64_t **ids, size_t *n, struct err *err)
{
    struct store_model_list models = {0};
    struct store_week_clues clues = {0};
    const struct store_model *m = NULL;
    *ids = NULL;
    *n = 0;
    int rc = -1;
    if (find_model(store, model, &models, &m, err) < 0 || store_week_clues(store, week_id, &clues, err) < 0)
        goto out;
    *ids = calloc(clues.n + 1, sizeof **ids);
    if (!*ids) {
        err_set(err, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < clues.n; c++) {
        char outcome[16];
        if (store_evaluation_outcome(store, clues.items[c].id, m->id, outcome, err) < 0)
            goto out;
        int success = strcmp(outcome, "correct") == 0 || strcmp(outcome, "wrong") == 0;
        int skip = (success && !opts->no_skip) ||
                   (strcmp(outcome, "no_answer") == 0 && !opts->retry_no_answer && !opts->no_skip);
        if (!skip)
            (*ids)[(*n)++] = clues.items[c].id;
    }
    rc = 0;
out:
    if (rc < 0) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    store_week_clues_free(&clues);
    store_model_list_free(&models);
    return rc;
}

static pthread_mutex_t pace_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char model[128];
    int64_t next_start;
} pace[PIPELINE_MAX_MODELS];

static void wait_turn(const char *model, long interval_ms)
{
    pthread_mutex_lock(&pace_lock);
    int slot = -1;
    for (int i = 0; i < PIPELINE_MAX_MODELS && slot < 0; i++)
        if (strcmp(pace[i].model, model) == 0 || !pace[i].model[0])
            slot = i;
    if (slot < 0)
        slot = 0;
    if (!pace[slot].model[0])
        snprintf(pace[slot].model, sizeof pace[slot].model, "%s", model);
    int64_t now = utc_mono_ms(), start = pace[slot].next_start > now ? pace[slot].next_start : now;
    pace[slot].next_start = start + interval_ms;
    pthread_mutex_unlock(&pace_lock);
    if (start > now) {
        struct timespec ts = {(time_t)((start - now) / 1000), (long)((start - now) % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* One HTTP client per model, kept between that model's calls (which are
 * sequential: wait_turn paces them) instead of one per call: its
 * connection stays open and, over HTTPS, its TLS context and the CA
 * bundle libcurl parsed into it (about 400 KB of heap and 10 ms of CPU
 * per parse) are reused. A new client per call parsed the bundle for
 * every call, and the 11 calls in flight at once left evaluate's heap at
 * 14 MB (docs/benchmarks.md). A client is used by one call at a time: it
 * leaves the table while in use. */
static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char model[128];
    long timeout_ms;
    struct http_client *client; /* NULL while a call uses it */
} clients[PIPELINE_MAX_MODELS];

static int take_client(const char *model, long timeout_ms, struct http_client **out, struct err *err)
{
    *out = NULL;
    pthread_mutex_lock(&clients_lock);
    for (int i = 0; i < PIPELINE_MAX_MODELS && !*out; i++)
        if (clients[i].client && clients[i].timeout_ms == timeout_ms && strcmp(clients[i].model, model) == 0) {
            *out = clients[i].client;
            clients[i].client = NULL;
        }
    pthread_mutex_unlock(&clients_lock);
    if (*out)
        return 0;
    struct http_client_opts hopts = {.retries = 0, .timeout_ms = timeout_ms, .connect_timeout_ms = 10000};
    return http_client_new(&hopts, out, err);
}

/* Back into the table for the model's next call; freed when the table has
 * no room (more models than slots, or another client already waiting). */
static void give_back(const char *model, long timeout_ms, struct http_client *client)
{
    if (!client)
        return;
    pthread_mutex_lock(&clients_lock);
    int slot = -1, free_slot = -1;
    for (int i = 0; i < PIPELINE_MAX_MODELS && slot < 0; i++) {
        if (clients[i].timeout_ms == timeout_ms && strcmp(clients[i].model, model) == 0)
            slot = i;
        else if (free_slot < 0 && !clients[i].model[0])
            free_slot = i;
    }
    if (slot < 0 && free_slot >= 0 && strlen(model) < sizeof clients[free_slot].model) {
        slot = free_slot;
        snprintf(clients[slot].model, sizeof clients[slot].model, "%s", model);
        clients[slot].timeout_ms = timeout_ms;
    }
    if (slot >= 0 && !clients[slot].client) {
        clients[slot].client = client;
        client = NULL;
    }
    pthread_mutex_unlock(&clients_lock);
    http_client_free(client);
}

int pipeline_evaluate_clue(struct store *store, const struct pipeline_evaluate_opts *in, const char *model,
                           int64_t clue_id, struct pipeline_clue_result *out, struct err *err)
{
    struct pipeline_evaluate_opts opts = *in;
    pipeline_evaluate_defaults(&opts);
    struct store_model_list models = {0};
    struct store_week_clues clue = {0};
    const struct store_model *m = NULL;
    struct model_work w = {0};
    struct http_client *http = NULL;
    int found = 0, rc = -1;
    memset(out, 0, sizeof *out);
    if (find_model(store, model, &models, &m, err) < 0 || configure(&w, m, &opts, err) < 0 ||
        store_clue_get(store, clue_id, &clue, &found, err) < 0)
        goto out;
    if (!found) {
        err_set(err, "no clue %lld", (long long)clue_id);
        goto out;
    }
    if (take_client(w.id, opts.timeout_ms, &http, err) < 0)
        goto out;
    wait_turn(w.id, w.min_interval_ms);
    struct eval_target target = {w.id, w.base_url, w.api_key, w.max_tokens, w.extra};
    struct eval_call_opts copts = {opts.retries, opts.backoff_ms, NULL, NULL};
    char *user = eval_prompt_user(clue.items[0].text, clue.items[0].enumeration);
    struct eval_reply reply;
    if (!user || eval_call(http, &target, eval_prompt_system, user, &copts, &reply) < 0) {
        free(user);
        err_set(err, "out of memory");
        goto out;
    }
    free(user);
    rc = store_reply(store, w.model_id, &clue.items[0], &reply, out, err);
    if (rc == 0 && reply.error_class != EVAL_OK)
        log_warn("%s: clue %lld: %s", w.id, (long long)clue_id, reply.error);
    eval_reply_free(&reply);
out:
    give_back(w.id, opts.timeout_ms, http);
    json_decref(w.extra);
    free(w.api_key);
    store_week_clues_free(&clue);
    store_model_list_free(&models);
    return rc;
}

int pipeline_evaluate_preflight(struct store *store, const struct pipeline_evaluate_opts *in,
                                struct pipeline_evaluate_report *report, struct err *err)
{
    struct pipeline_evaluate_opts opts = *in;
    pipeline_evaluate_defaults(&opts);
    memset(report, 0, sizeof *report);
    struct store_model_list models = {0};
    struct store_week_clues clues = {0};
    int rc = -1;
    if (store_models_list(store, &models, err) < 0 || store_week_clues(store, opts.week_id, &clues, err) < 0)
        goto out;
    if (clues.n == 0) {
        err_set(err, "week %s has no clues (scrape it first)", opts.week_id);
        goto out;
    }
    report->clues = (int)clues.n;
    /* The models: the named ones, or every active one; each must have its endpoint and key. */
    for (size_t i = 0; i < models.n; i++) {
        const struct store_model *m = &models.items[i];
        int chosen = 0;
        if (opts.models[0]) {
            for (int k = 0; opts.models[k]; k++)
                chosen |= strcmp(opts.models[k], m->openrouter_id) == 0;
        } else {
            chosen = m->is_active;
        }
        if (!chosen)
            continue;
        if (report->nmodels >= PIPELINE_MAX_MODELS) {
            err_set(err, "more than %d models", PIPELINE_MAX_MODELS);
            goto out;
        }
        struct model_work w = {0};
        int ok = configure(&w, m, &opts, err);
        json_decref(w.extra);
        free(w.api_key);
        if (ok < 0)
            goto out;
        snprintf(report->models[report->nmodels++].model, sizeof report->models[0].model, "%s", m->openrouter_id);
    }
    for (int k = 0; opts.models[k]; k++) {
        int known = 0;
        for (int i = 0; i < report->nmodels; i++)
            known |= strcmp(report->models[i].model, opts.models[k]) == 0;
        if (!known) {
            err_set(err, "unknown model %s (see `cryptic-bench models`)", opts.models[k]);
            goto out;
        }
    }
    if (report->nmodels == 0) {
        err_set(err, "no active models (run `cryptic-bench init-db` to sync models.json)");
        goto out;
    }
    rc = 0;
out:
    store_week_clues_free(&clues);
    store_model_list_free(&models);
    return rc;
}
