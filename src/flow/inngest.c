/* inngest.c - an Inngest serve endpoint for the engine's functions; see inngest.h. */
#include "flow/inngest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/http.h"
#include "core/log.h"
#include "core/utc.h"
#include "flow/inngest_sig.h"
#include "flow/internal.h"

#define SDK_HEADER "cryptic-bench:v" CB_VERSION
#define SDK_PAYLOAD "c:v" CB_VERSION
/* Inngest's default when a function sets none: 4 retries, 5 attempts. */
#define DEFAULT_RETRIES 4

struct flow_inngest {
    struct flow_engine *engine;
    struct flow_inngest_opts opts; /* strings below are owned copies */
    char *strings[10];
    char hashed_key[160];
    char hashed_fallback[160];
};

const char *flow_inngest_sdk_header(void)
{
    return SDK_HEADER;
}

void inngest_resolve_origins(struct flow_inngest_opts *o, const char *base_url, const char *dev_value)
{
    if (base_url && *base_url) {
        o->api_origin = o->event_origin = base_url;
    } else if (o->dev) {
        const char *url = dev_value && strncmp(dev_value, "http", 4) == 0 ? dev_value : INNGEST_DEFAULT_DEV_URL;
        o->api_origin = o->event_origin = url;
    } else {
        o->api_origin = INNGEST_DEFAULT_API;
        o->event_origin = INNGEST_DEFAULT_EVENT_API;
    }
}

static char *keep(struct flow_inngest *ig, int slot, const char *s)
{
    if (!s)
        return NULL;
    ig->strings[slot] = strdup(s);
    return ig->strings[slot];
}

int flow_inngest_new(struct flow_engine *engine, const struct flow_inngest_opts *opts, struct flow_inngest **out,
                     struct err *err)
{
    if (!opts->dev && (!opts->signing_key || !*opts->signing_key))
        return err_set(err, "Inngest mode needs INNGEST_SIGNING_KEY (or INNGEST_DEV for a dev server)");
    struct flow_inngest *ig = calloc(1, sizeof *ig);
    if (!ig)
        return err_set(err, "out of memory");
    ig->engine = engine;
    ig->opts.dev = opts->dev;
    ig->opts.app_id = keep(ig, 0, opts->app_id && *opts->app_id ? opts->app_id : "cryptic-bench");
    ig->opts.signing_key = keep(ig, 1, opts->signing_key && *opts->signing_key ? opts->signing_key : NULL);
    ig->opts.signing_key_fallback =
        keep(ig, 2, opts->signing_key_fallback && *opts->signing_key_fallback ? opts->signing_key_fallback : NULL);
    ig->opts.event_key = keep(ig, 3, opts->event_key && *opts->event_key ? opts->event_key : NULL);
    ig->opts.api_origin = keep(ig, 4, opts->api_origin ? opts->api_origin : INNGEST_DEFAULT_API);
    ig->opts.event_origin = keep(ig, 5, opts->event_origin ? opts->event_origin : INNGEST_DEFAULT_EVENT_API);
    ig->opts.serve_origin = keep(ig, 6, opts->serve_origin && *opts->serve_origin ? opts->serve_origin : NULL);
    ig->opts.serve_path = keep(ig, 7, opts->serve_path && *opts->serve_path ? opts->serve_path : "/api/inngest");
    ig->opts.env = keep(ig, 8, opts->env && *opts->env ? opts->env : NULL);
    if (ig->opts.signing_key && inngest_hash_signing_key(ig->opts.signing_key, ig->hashed_key, sizeof ig->hashed_key) < 0) {
        flow_inngest_free(ig);
        return err_set(err, "INNGEST_SIGNING_KEY is not a signing key (hex after signkey-<env>-)");
    }
    if (ig->opts.signing_key_fallback &&
        inngest_hash_signing_key(ig->opts.signing_key_fallback, ig->hashed_fallback, sizeof ig->hashed_fallback) < 0) {
        flow_inngest_free(ig);
        return err_set(err, "INNGEST_SIGNING_KEY_FALLBACK is not a signing key (hex after signkey-<env>-)");
    }
    *out = ig;
    return 0;
}

void flow_inngest_default_origin(struct flow_inngest *ig, const char *origin)
{
    if (!ig || ig->opts.serve_origin || !origin)
        return;
    size_t n = strlen(origin);
    while (n && origin[n - 1] == '/')
        n--;
    ig->strings[9] = strndup(origin, n);
    ig->opts.serve_origin = ig->strings[9];
}

void flow_inngest_free(struct flow_inngest *ig)
{
    if (!ig)
        return;
    for (size_t i = 0; i < sizeof ig->strings / sizeof ig->strings[0]; i++)
        free(ig->strings[i]);
    free(ig);
}

void flow_inngest_reply_clear(struct flow_inngest_reply *reply)
{
    free(reply->body);
    memset(reply, 0, sizeof *reply);
    reply->retry_after_s = -1;
}

/* ---- replies -------------------------------------------------------------------- */

static void set_reply(struct flow_inngest_reply *r, unsigned status, json_t *body, const char *no_retry)
{
    r->status = status;
    r->body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(body);
    if (!r->body)
        r->body = strdup("null");
    r->no_retry = no_retry;
}

static void error_reply(struct flow_inngest_reply *r, unsigned status, const char *message, const char *no_retry)
{
    set_reply(r, status, json_pack("{s:s, s:s, s:s}", "name", "Error", "message", message, "stack", ""), no_retry);
}

/* A serialized error as the JS SDK writes one, plus the class and HTTP
 * status as fields of their own (flow_error_json), so they survive the
 * round trip through Inngest as data. */
static json_t *sdk_error(const char *message, enum err_class error_class, int status)
{
    json_t *e = flow_error_json(message, error_class, status);
    json_object_set_new(e, "name", json_string("Error"));
    json_object_set_new(e, "stack", json_string(""));
    return e;
}

/* ---- the call request ---------------------------------------------------------------- */

void flow_inngest_call_clear(struct flow_inngest_call *call)
{
    json_decref(call->event);
    json_decref(call->steps);
    memset(call, 0, sizeof *call);
}

int flow_inngest_parse_call(const char *body, size_t len, struct flow_inngest_call *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(body ? body : "", len, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(err, "the call body is not a JSON object");
    }
    json_t *ctx = json_object_get(root, "ctx");
    json_t *steps = json_object_get(root, "steps");
    json_t *event = json_object_get(root, "event");
    json_t *events = json_object_get(root, "events");
    if (ctx && !json_is_object(ctx)) {
        json_decref(root);
        return err_set(err, "ctx is not an object");
    }
    if (steps && !json_is_object(steps) && !json_is_null(steps)) {
        json_decref(root);
        return err_set(err, "steps is not an object");
    }
    const char *run_id = json_string_value(json_object_get(ctx, "run_id"));
    if (!run_id || !*run_id || strlen(run_id) >= sizeof out->run_id) {
        json_decref(root);
        return err_set(err, "ctx.run_id is missing or too long");
    }
    snprintf(out->run_id, sizeof out->run_id, "%s", run_id);
    json_t *attempt = json_object_get(ctx, "attempt");
    json_t *max_attempts = json_object_get(ctx, "max_attempts");
    out->attempt = json_is_integer(attempt) && json_integer_value(attempt) >= 0 && json_integer_value(attempt) < 1000
                       ? (int)json_integer_value(attempt) : 0;
    out->max_attempts = json_is_integer(max_attempts) && json_integer_value(max_attempts) > 0 &&
                                json_integer_value(max_attempts) < 1000
                            ? (int)json_integer_value(max_attempts) : 0;
    out->disable_immediate = json_is_true(json_object_get(ctx, "disable_immediate_execution"));
    out->use_api = json_is_true(json_object_get(root, "use_api")) || json_is_true(json_object_get(ctx, "use_api"));
    if (!json_is_object(event) && json_is_array(events))
        event = json_array_get(events, 0);
    if (!json_is_object(event) && !out->use_api) {
        json_decref(root);
        return err_set(err, "the call has no event");
    }
    out->event = json_is_object(event) ? json_incref(event) : json_object();
    out->steps = json_is_object(steps) ? json_incref(steps) : json_object();
    json_decref(root);
    return 0;
}

/* ---- replaying a body against the memoized state ----------------------------------- */

static const struct flow_function *find_function(struct flow_inngest *ig, const char *composite)
{
    size_t n = strlen(ig->opts.app_id);
    if (!composite || strncmp(composite, ig->opts.app_id, n) != 0 || composite[n] != '-')
        return NULL;
    int count = 0;
    const struct flow_function *fns = flow_engine_functions(ig->engine, &count);
    for (int i = 0; i < count; i++)
        if (strcmp(fns[i].id, composite + n + 1) == 0)
            return &fns[i];
    return NULL;
}

/* Loads Inngest's memoized values into ctx as done / failed steps:
 * {"data": X} is X, {"error": E} a failure, any other value itself (a
 * sleep's null, a waited-for event), as the JS SDK reads them. */
static int load_memo(struct flow_ctx *ctx, const json_t *steps, struct err *err)
{
    size_t n = json_object_size(steps);
    ctx->steps = calloc(n + 1, sizeof *ctx->steps);
    ctx->results = calloc(n + 1, sizeof *ctx->results);
    ctx->scratch = json_array();
    if (!ctx->steps || !ctx->results || !ctx->scratch)
        return err_set(err, "out of memory");
    const char *hash;
    json_t *v;
    json_object_foreach((json_t *)steps, hash, v) {
        if (strlen(hash) >= sizeof ctx->steps[0].hash)
            continue;
        json_t *data = json_object_size(v) == 1 ? json_object_get(v, "data") : NULL;
        json_t *error = json_object_size(v) == 1 ? json_object_get(v, "error") : NULL;
        if (json_object_size(v) == 1 && json_object_get(v, "input"))
            continue; /* an input without an output yet: not done */
        struct store_flow_step *s = &ctx->steps[ctx->nsteps];
        snprintf(s->hash, sizeof s->hash, "%s", hash);
        if (error) {
            snprintf(s->status, sizeof s->status, "failed");
            const char *msg = json_string_value(json_object_get(error, "message"));
            s->error = msg ? strdup(msg) : json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
            s->error_class = err_class_from_name(json_string_value(json_object_get(error, "class")));
            s->error_status = (int)json_integer_value(json_object_get(error, "status"));
        } else {
            snprintf(s->status, sizeof s->status, "done");
            ctx->results[ctx->nsteps] = json_incref(data ? data : v);
        }
        snprintf(s->kind, sizeof s->kind, "run");
        ctx->nsteps++;
    }
    return 0;
}

/* Replays fn's body once; returns what it returned (FLOW_RETURN_*). */
static int replay(const struct flow_function *fn, struct flow_inngest_call *call, struct store_flow_run *run,
                  struct flow_ctx *ctx, struct err *err)
{
    memset(ctx, 0, sizeof *ctx);
    memset(run, 0, sizeof *run);
    snprintf(run->id, sizeof run->id, "%.39s", call->run_id);
    snprintf(run->function_id, sizeof run->function_id, "%s", fn->id);
    ctx->run = run;
    ctx->fn = fn;
    ctx->event = call->event;
    if (load_memo(ctx, call->steps, err) < 0)
        return -1;
    return fn->body(ctx, ctx->event, fn->user);
}

/* ---- opcodes ------------------------------------------------------------------------ */

static json_t *userland(const struct pending *p)
{
    json_t *u = json_pack("{s:s}", "id", p->user_id ? p->user_id : p->name);
    if (p->index > 0)
        json_object_set_new(u, "index", json_integer(p->index));
    return u;
}

static json_t *op_base(const char *op, const struct pending *p)
{
    const char *user_id = p->user_id ? p->user_id : p->name;
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "op", op, "id", p->hash, "name", user_id, "displayName", user_id,
                     "userland", userland(p));
}

/* Inngest's time string, as the SDKs write it ("1h", "2h30m10s"), in whole
 * seconds rounded up (at least one). */
static void duration_text(int64_t ms, char *out, size_t size)
{
    static const struct {
        const char *unit;
        int64_t s;
    } periods[] = {{"w", 604800}, {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}};
    int64_t left = ms < 1000 ? 1 : (ms + 999) / 1000;
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof periods / sizeof periods[0] && used < size; i++) {
        int64_t n = left / periods[i].s;
        if (n == 0)
            continue;
        left %= periods[i].s;
        int w = snprintf(out + used, size - used, "%lld%s", (long long)n, periods[i].unit);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static json_t *planned_op(struct flow_inngest *ig, const struct pending *p)
{
    char text[64];
    json_t *op;
    switch (p->kind) {
    case STEP_SLEEP:
        duration_text(p->until - utc_now_real_ms(), text, sizeof text);
        op = op_base("Sleep", p);
        json_object_set_new(op, "name", json_string(text));
        json_object_set_new(op, "opts", json_pack("{s:s}", "duration", text));
        return op;
    case STEP_WAIT: {
        duration_text(p->until - utc_now_real_ms(), text, sizeof text);
        op = op_base("WaitForEvent", p);
        json_object_set_new(op, "name", json_string(p->target));
        json_t *opts = json_pack("{s:s, s:s}", "event", p->target, "timeout", text);
        if (p->field) {
            const char *path = strncmp(p->field, "$.", 2) == 0 ? p->field + 2 : p->field;
            char cel[600];
            snprintf(cel, sizeof cel, "event.%s == async.%s", path, path);
            json_object_set_new(opts, "if", json_string(cel));
        }
        json_object_set_new(op, "opts", opts);
        return op;
    }
    case STEP_INVOKE: {
        char target[300];
        snprintf(target, sizeof target, "%s-%s", ig->opts.app_id, p->target);
        op = op_base("InvokeFunction", p);
        json_object_set_new(op, "opts", json_pack("{s:s, s:{s:O}}", "function_id", target, "payload", "data",
                                                  p->payload ? p->payload : json_null()));
        return op;
    }
    case STEP_SEND:
        op = op_base("StepPlanned", p);
        json_object_set_new(op, "opts", json_pack("{s:s}", "type", "step.sendEvent"));
        return op;
    default:
        op = op_base("StepPlanned", p);
        json_object_set_new(op, "opts", json_object());
        return op;
    }
}

/* Executes a run (or send-event) step and answers with its outcome. */
static void execute_step(struct flow_inngest *ig, const struct flow_function *fn, const struct flow_inngest_call *call,
                         struct pending *p, struct flow_inngest_reply *reply)
{
    if (p->kind == STEP_SEND) {
        struct err err = {{0}};
        json_t *ids = json_array();
        memset(&p->error, 0, sizeof p->error);
        if (flow_inngest_send_events(&ig->opts, p->payload, ids, &err) == 0) {
            p->ok = 1;
            p->output = json_pack("{s:o}", "ids", ids);
        } else {
            json_decref(ids);
            p->ok = 0;
            snprintf(p->error.message, sizeof p->error.message, "%.500s", err.msg);
            p->error.retriable = 1;
            p->error.retry_after_ms = -1;
        }
    } else {
        flow_execute_run_step(p);
    }
    if (p->ok) {
        json_t *op = op_base("StepRun", p);
        json_object_set(op, "data", p->output ? p->output : json_null());
        if (p->kind == STEP_SEND)
            json_object_set_new(op, "opts", json_pack("{s:s}", "type", "step.sendEvent"));
        set_reply(reply, 206, json_pack("[o]", op), NULL);
        return;
    }
    int retries = fn->retries < 0 ? DEFAULT_RETRIES : fn->retries;
    int max_attempts = call->max_attempts > 0 ? call->max_attempts : retries + 1;
    int retry = p->error.retriable && call->attempt + 1 < max_attempts;
    json_t *op = op_base(retry ? "StepError" : "StepFailed", p);
    /* As the JS SDK writes them: the error serialized, and for the last
     * attempt also as the op's data. */
    json_t *error = sdk_error(p->error.message, p->error.error_class, p->error.status);
    json_object_set_new(error, "__serialized", json_true());
    if (!retry)
        json_object_set(op, "data", error);
    json_object_set_new(op, "error", error);
    set_reply(reply, 206, json_pack("[o]", op), retry ? "false" : "true");
    if (retry && p->error.retry_after_ms >= 0)
        reply->retry_after_s = (p->error.retry_after_ms + 999) / 1000;
    log_debug("inngest: %s step %s attempt %d failed: %s", fn->id, p->name, call->attempt, p->error.message);
}

/* Fetches the run's state from the API when the request did not carry it. */
static int fetch_state(struct flow_inngest *ig, struct flow_inngest_call *call, struct err *err)
{
    struct http_client *http = NULL;
    struct http_client_opts ho = {.retries = 2, .timeout_ms = 30000};
    if (http_client_new(&ho, &http, err) < 0)
        return -1;
    char auth[256], url[1024];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ig->hashed_key);
    const char *headers[] = {auth, NULL};
    int rc = -1;
    for (int part = 0; part < 2; part++) {
        snprintf(url, sizeof url, "%s/v0/runs/%s/%s", ig->opts.api_origin, call->run_id, part ? "batch" : "actions");
        struct http_request req = {"GET", url, ig->hashed_key[0] ? headers : NULL, NULL, 0};
        struct http_response resp;
        if (http_do(http, &req, &resp, err) < 0) {
            http_response_free(&resp);
            goto out;
        }
        json_t *v = resp.status == 200 ? json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL) : NULL;
        long status = resp.status;
        http_response_free(&resp);
        if (!v) {
            err_set(err, "reading the run's state from %s: HTTP %ld", url, status);
            goto out;
        }
        if (part == 0 && json_is_object(v)) {
            json_decref(call->steps);
            call->steps = v;
        } else if (part == 1 && json_is_array(v) && json_is_object(json_array_get(v, 0))) {
            json_decref(call->event);
            call->event = json_incref(json_array_get(v, 0));
            json_decref(v);
        } else {
            json_decref(v);
            err_set(err, "the run's state from %s is not what the protocol says", url);
            goto out;
        }
    }
    rc = 0;
out:
    http_client_free(http);
    return rc;
}

static void handle_call(struct flow_inngest *ig, const struct flow_inngest_request *req, struct flow_inngest_reply *reply)
{
    const struct flow_function *fn = find_function(ig, req->fn_id);
    if (!fn) {
        char msg[400];
        snprintf(msg, sizeof msg, "no function %.200s in app %.100s", req->fn_id ? req->fn_id : "(none)",
                 ig->opts.app_id);
        set_reply(reply, 500, json_pack("{s:s, s:s, s:s}", "type", "internal", "name", "Error", "message", msg), NULL);
        return;
    }
    struct err err = {{0}};
    struct flow_inngest_call call;
    if (flow_inngest_parse_call(req->body, req->body_len, &call, &err) < 0) {
        error_reply(reply, 400, err.msg, "true");
        return;
    }
    if (call.use_api && fetch_state(ig, &call, &err) < 0) {
        error_reply(reply, 500, err.msg, "false");
        flow_inngest_call_clear(&call);
        return;
    }
    struct flow_ctx ctx;
    struct store_flow_run run;
    int ret = replay(fn, &call, &run, &ctx, &err);
    const char *step_id = req->step_id && *req->step_id ? req->step_id : "step";
    if (ret < 0) {
        error_reply(reply, 500, err.msg, "false");
    } else if (ctx.oom) { /* the plan lost a part: Inngest retries the call */
        error_reply(reply, 500, "memory ran out while the function planned its steps", "false");
    } else if (ret == FLOW_RETURN_COMPLETE) {
        set_reply(reply, 200, json_incref(ctx.output ? ctx.output : json_null()), NULL);
    } else if (ret == FLOW_RETURN_FAIL) {
        set_reply(reply, 400, sdk_error(ctx.fail_message, run.error_class, run.error_status), "true");
    } else if (strcmp(step_id, "step") != 0) {
        /* One planned step, by its hash. */
        struct pending *p = NULL;
        for (size_t i = 0; i < ctx.npending && !p; i++)
            if (strcmp(ctx.pending[i].hash, step_id) == 0 &&
                (ctx.pending[i].kind == STEP_RUN || ctx.pending[i].kind == STEP_SEND))
                p = &ctx.pending[i];
        if (p) {
            execute_step(ig, fn, &call, p, reply);
        } else {
            json_t *found = json_array();
            for (size_t i = 0; i < ctx.npending; i++)
                json_array_append_new(found, json_string(ctx.pending[i].hash));
            set_reply(reply, 500, json_pack("{s:s, s:s, s:o, s:i}", "error", "the requested step was not found",
                                            "requestedStep", step_id, "foundSteps", found, "totalFoundSteps",
                                            (int)ctx.npending),
                      "false");
        }
    } else if (ctx.npending == 0) {
        error_reply(reply, 500, "the function waited with no step to report", "false");
    } else if (ctx.npending == 1 && !call.disable_immediate &&
               (ctx.pending[0].kind == STEP_RUN || ctx.pending[0].kind == STEP_SEND)) {
        execute_step(ig, fn, &call, &ctx.pending[0], reply);
    } else {
        json_t *ops = json_array();
        for (size_t i = 0; i < ctx.npending; i++)
            json_array_append_new(ops, planned_op(ig, &ctx.pending[i]));
        set_reply(reply, 206, ops, NULL);
    }
    json_decref(ctx.output);
    ctx.event = NULL; /* the call's */
    flow_ctx_clear(&ctx);
    flow_inngest_call_clear(&call);
}

/* ---- sync ---------------------------------------------------------------------------- */

/* From configuration only (flow_inngest_default_origin). */
static void serve_url(struct flow_inngest *ig, char *out, size_t size)
{
    snprintf(out, size, "%s%s", ig->opts.serve_origin ? ig->opts.serve_origin : "http://127.0.0.1",
             ig->opts.serve_path);
}

static json_t *function_config(struct flow_inngest *ig, const struct flow_function *fn, const char *url)
{
    char composite[300], step_url[1400];
    snprintf(composite, sizeof composite, "%s-%s", ig->opts.app_id, fn->id);
    snprintf(step_url, sizeof step_url, "%s?fnId=%s&stepId=step", url, composite);
    json_t *triggers = json_array();
    if (fn->event)
        json_array_append_new(triggers, json_pack("{s:s}", "event", fn->event));
    if (fn->cron)
        json_array_append_new(triggers, json_pack("{s:s}", "cron", fn->cron));
    json_t *c = json_pack("{s:s, s:s, s:o, s:{s:{s:s, s:s, s:{s:s, s:s}, s:{s:i}}}}", "id", composite, "name", fn->id,
                          "triggers", triggers, "steps", "step", "id", "step", "name", "step", "runtime", "type",
                          "http", "url", step_url, "retries", "attempts",
                          fn->retries < 0 ? DEFAULT_RETRIES : fn->retries);
    if (fn->concurrency > 0) {
        json_t *limit = json_pack("{s:i}", "limit", fn->concurrency);
        if (fn->concurrency_key) {
            char key[300];
            snprintf(key, sizeof key, "event.%s", fn->concurrency_key);
            json_object_set_new(limit, "key", json_string(key));
        }
        json_object_set_new(c, "concurrency", json_pack("[o]", limit));
    }
    if (fn->cancel_event) {
        char cel[600];
        int n = snprintf(cel, sizeof cel, "event.%s == async.%s", fn->cancel_match, fn->cancel_match);
        if (fn->cancel_except && n > 0 && (size_t)n < sizeof cel)
            snprintf(cel + n, sizeof cel - (size_t)n, " && event.%s != async.%s", fn->cancel_except, fn->cancel_except);
        json_object_set_new(c, "cancel", json_pack("[{s:s, s:s}]", "event", fn->cancel_event, "if", cel));
    }
    return c;
}

static void handle_sync(struct flow_inngest *ig, const struct flow_inngest_request *req, struct flow_inngest_reply *reply)
{
    char url[1024];
    serve_url(ig, url, sizeof url);
    json_t *functions = json_array();
    int count = 0;
    const struct flow_function *fns = flow_engine_functions(ig->engine, &count);
    for (int i = 0; i < count; i++)
        json_array_append_new(functions, function_config(ig, &fns[i], url));
    json_t *payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "url", url, "deployType", "ping", "appName",
                                ig->opts.app_id, "sdk", SDK_PAYLOAD, "v", "0.1", "framework", "libmicrohttpd",
                                "functions", functions);
    char *body = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    char register_url[1400];
    snprintf(register_url, sizeof register_url, "%s/fn/register%s%s", ig->opts.api_origin,
             req->deploy_id && *req->deploy_id ? "?deployId=" : "", req->deploy_id ? req->deploy_id : "");
    char auth[256], kind[128], env[300];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ig->hashed_key);
    snprintf(kind, sizeof kind, "X-Inngest-Expected-Server-Kind: %.64s",
             req->server_kind && *req->server_kind ? req->server_kind : (ig->opts.dev ? "dev" : "cloud"));
    snprintf(env, sizeof env, "X-Inngest-Env: %.200s", ig->opts.env ? ig->opts.env : "");
    const char *headers[] = {"Content-Type: application/json", "X-Inngest-SDK: " SDK_HEADER,
                             "X-Inngest-Sync-Kind: out_of_band", kind, ig->hashed_key[0] ? auth : NULL, NULL, NULL};
    if (ig->opts.env) {
        if (headers[4])
            headers[5] = env;
        else
            headers[4] = env;
    }
    struct http_client *http = NULL;
    struct http_client_opts ho = {.retries = 2, .timeout_ms = 30000};
    struct err err = {{0}};
    struct http_response resp = {0};
    int rc = http_client_new(&ho, &http, &err);
    if (rc == 0) {
        struct http_request hr = {"POST", register_url, headers, body, strlen(body)};
        rc = http_do(http, &hr, &resp, &err);
    }
    free(body);
    http_client_free(http);
    if (rc < 0) {
        http_response_free(&resp);
        set_reply(reply, 500, json_pack("{s:s, s:b}", "message", err.msg, "modified", 0), NULL);
        return;
    }
    json_t *answer = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
    if (resp.status / 100 == 2) {
        set_reply(reply, 200, json_pack("{s:s, s:b}", "message", "Successfully registered", "modified",
                                        json_is_true(json_object_get(answer, "modified"))),
                  NULL);
        log_info("inngest: synced %d functions of %s to %s", count, ig->opts.app_id, ig->opts.api_origin);
    } else {
        const char *why = json_string_value(json_object_get(answer, "error"));
        char msg[700];
        snprintf(msg, sizeof msg, "registering at %.150s answered HTTP %ld%s%.500s", register_url, resp.status,
                 why ? ": " : "", why ? why : "");
        set_reply(reply, 500, json_pack("{s:s, s:b}", "message", msg, "modified", 0), NULL);
        log_error("inngest: %s", msg);
    }
    json_decref(answer);
    http_response_free(&resp);
}

/* ---- introspection ---------------------------------------------------------------- */

static void handle_introspection(struct flow_inngest *ig, const struct flow_inngest_request *req, int signed_ok,
                                 struct flow_inngest_reply *reply)
{
    int count = 0;
    flow_engine_functions(ig->engine, &count);
    json_t *o = json_pack("{s:i, s:b, s:b, s:b, s:s, s:s}", "function_count", count, "has_event_key",
                          ig->opts.event_key != NULL, "has_signing_key", ig->opts.signing_key != NULL,
                          "has_signing_key_fallback", ig->opts.signing_key_fallback != NULL, "mode",
                          ig->opts.dev ? "dev" : "cloud", "schema_version", INNGEST_SCHEMA_VERSION);
    if (!signed_ok) {
        json_object_set_new(o, "authentication_succeeded", req->signature ? json_false() : json_null());
        set_reply(reply, 200, o, NULL);
        return;
    }
    char url[1024], origin[1024], event_key_hash[65];
    serve_url(ig, url, sizeof url);
    snprintf(origin, sizeof origin, "%.*s", (int)(strlen(url) - strlen(ig->opts.serve_path)), url);
    size_t plen = strlen(ig->hashed_key) >= 64 ? strlen(ig->hashed_key) - 64 : 0;
    size_t flen = strlen(ig->hashed_fallback) >= 64 ? strlen(ig->hashed_fallback) - 64 : 0;
    json_object_set_new(o, "authentication_succeeded", json_true());
    json_object_set_new(o, "api_origin", json_string(ig->opts.api_origin));
    json_object_set_new(o, "app_id", json_string(ig->opts.app_id));
    json_object_set_new(o, "capabilities", json_object());
    json_object_set_new(o, "env", ig->opts.env ? json_string(ig->opts.env) : json_null());
    json_object_set_new(o, "event_api_origin", json_string(ig->opts.event_origin));
    if (ig->opts.event_key)
        inngest_sha256_hex(ig->opts.event_key, event_key_hash);
    json_object_set_new(o, "event_key_hash", ig->opts.event_key ? json_string(event_key_hash) : json_null());
    json_object_set_new(o, "framework", json_string("libmicrohttpd"));
    json_object_set_new(o, "sdk_language", json_string("c"));
    json_object_set_new(o, "sdk_version", json_string(CB_VERSION));
    json_object_set_new(o, "serve_origin", json_string(origin));
    json_object_set_new(o, "serve_path", json_string(ig->opts.serve_path));
    /* As the JS SDK: the first 12 hex digits of the hashed keys. */
    json_object_set_new(o, "signing_key_hash",
                        ig->hashed_key[0] ? json_stringn(ig->hashed_key + plen, 12) : json_null());
    json_object_set_new(o, "signing_key_fallback_hash",
                        ig->hashed_fallback[0] ? json_stringn(ig->hashed_fallback + flen, 12) : json_null());
    set_reply(reply, 200, o, NULL);
}

/* ---- the endpoint ---------------------------------------------------------------- */

void flow_inngest_handle(struct flow_inngest *ig, const struct flow_inngest_request *req,
                         struct flow_inngest_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->retry_after_s = -1;
    const char *method = req->method ? req->method : "";
    /* Signed requests verify; without a key only a dev server may call. */
    struct err why = {{0}};
    int signed_ok = 0;
    if (ig->opts.signing_key)
        signed_ok = inngest_verify(ig->opts.signing_key, ig->opts.signing_key_fallback, req->signature, req->body,
                                   req->body_len, (int64_t)time(NULL), &why) == 0;
    else
        err_set(&why, "no signing key is configured");
    if (strcmp(method, "GET") == 0) {
        handle_introspection(ig, req, signed_ok, reply);
    } else if (strcmp(method, "PUT") == 0) {
        /* A sync registers our functions, with the hashed signing key, at the
         * configured URL: with a signing key only when signed; unsigned only
         * against a dev server without one. */
        if (ig->opts.signing_key && !signed_ok) {
            log_warn("inngest: refused a sync: %s", req->signature ? why.msg : "unsigned (sign it, or use INNGEST_DEV)");
            set_reply(reply, 401, json_pack("{s:s}", "message", "Unauthorized: a sync must be signed"), NULL);
        } else {
            handle_sync(ig, req, reply);
        }
    } else if (strcmp(method, "POST") == 0) {
        if (!signed_ok && !(ig->opts.dev && !ig->opts.signing_key && !req->signature)) {
            log_warn("inngest: refused a call: %s", why.msg);
            set_reply(reply, 401, json_pack("{s:s}", "message", "Unauthorized"), NULL);
        } else if (req->probe && strcmp(req->probe, "trust") == 0) {
            set_reply(reply, 200, json_object(), NULL);
        } else {
            handle_call(ig, req, reply);
        }
    } else {
        set_reply(reply, 405, json_pack("{s:s}", "message", "use GET, PUT or POST"), NULL);
    }
}

/* ---- events ------------------------------------------------------------------------- */

int flow_inngest_send_events(const struct flow_inngest_opts *opts, const json_t *events, json_t *ids, struct err *err)
{
    if (!opts->event_key && !opts->dev)
        return err_set(err, "sending events to Inngest needs INNGEST_EVENT_KEY");
    json_t *list = json_is_array(events) ? json_deep_copy(events) : json_pack("[O]", events);
    size_t i;
    json_t *ev;
    int64_t now = utc_now_real_ms();
    json_array_foreach(list, i, ev) {
        if (!json_string_value(json_object_get(ev, "name"))) {
            json_decref(list);
            return err_set(err, "an event to send has no name");
        }
        if (!json_object_get(ev, "data"))
            json_object_set_new(ev, "data", json_object());
        if (!json_object_get(ev, "ts"))
            json_object_set_new(ev, "ts", json_integer(now));
    }
    char *body = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    char url[1200];
    snprintf(url, sizeof url, "%s/e/%s", opts->event_origin ? opts->event_origin : INNGEST_DEFAULT_EVENT_API,
             opts->event_key ? opts->event_key : "dev");
    char env[300];
    snprintf(env, sizeof env, "X-Inngest-Env: %.200s", opts->env ? opts->env : "");
    const char *headers[] = {"Content-Type: application/json", "X-Inngest-SDK: " SDK_HEADER, opts->env ? env : NULL,
                             NULL};
    struct http_client *http = NULL;
    struct http_client_opts ho = {.retries = 4, .backoff_ms = 100, .timeout_ms = 30000};
    struct http_response resp = {0};
    int rc = http_client_new(&ho, &http, err);
    if (rc == 0) {
        struct http_request req = {"POST", url, headers, body, strlen(body)};
        rc = http_do(http, &req, &resp, err);
    }
    free(body);
    http_client_free(http);
    if (rc == 0 && resp.status / 100 != 2) {
        /* The key is in the URL: name the origin only. */
        rc = err_set(err, "Inngest's event API at %s answered HTTP %ld", opts->event_origin, resp.status);
    }
    if (rc == 0 && ids) {
        json_t *answer = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
        json_t *got = json_object_get(answer, "ids");
        json_t *id;
        json_array_foreach(got, i, id) json_array_append(ids, id);
        json_decref(answer);
    }
    http_response_free(&resp);
    return rc;
}
