/* client.c - one chat-completions call, classified; see client.h. */
#include "eval/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/utc.h"

const char *eval_error_class_name(enum eval_error_class c)
{
    switch (c) {
    case EVAL_OK: return "ok";
    case EVAL_RETRIABLE: return "retriable";
    case EVAL_CALL_FATAL: return "call-fatal";
    case EVAL_MODEL_FATAL: return "model-fatal";
    case EVAL_RUN_FATAL: return "run-fatal";
    }
    return "?";
}

enum eval_error_class eval_classify_status(long status)
{
    if (status >= 200 && status < 300)
        return EVAL_OK;
    if (status == 401 || status == 402)
        return EVAL_RUN_FATAL;
    if (status == 403 || status == 404)
        return EVAL_MODEL_FATAL;
    if (status == 408 || status == 429 || status >= 500 || status == 0)
        return EVAL_RETRIABLE;
    return EVAL_CALL_FATAL;
}

void eval_redact(char *s, size_t size, const char *secret)
{
    static const char mask[] = "[redacted]";
    size_t n = secret ? strlen(secret) : 0;
    if (n < 4)
        return;
    char *p;
    while ((p = strstr(s, secret)) != NULL) {
        size_t tail = strlen(p + n);
        size_t need = (size_t)(p - s) + strlen(mask) + tail + 1;
        if (need > size) { /* no room: blank it out instead */
            memset(p, '*', n);
            continue;
        }
        memmove(p + strlen(mask), p + n, tail + 1);
        memcpy(p, mask, strlen(mask));
    }
}

void eval_reply_free(struct eval_reply *r)
{
    if (!r)
        return;
    free(r->content);
    free(r->reasoning);
    free(r->finish_reason);
    free(r->provider_model);
    r->content = r->reasoning = r->finish_reason = r->provider_model = NULL;
}

static char *body_for(const struct eval_target *t, const char *system, const char *user)
{
    json_t *body = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:i, s:i, s:{s:b}}", "model", t->model,
                             "messages", "role", "system", "content", system, "role", "user", "content",
                             user, "max_tokens", t->max_tokens, "temperature", 0, "usage", "include", 1);
    if (!body)
        return NULL;
    if (t->extra && json_is_object(t->extra))
        json_object_update(body, (json_t *)t->extra);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static int64_t int_or(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static char *string_or_null(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? strdup(s) : NULL;
}

/* The provider's error message in a body: {"error": {"message": ...}}. */
static void error_message(const json_t *root, const char *raw, char *out, size_t size)
{
    json_t *e = json_object_get(root, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (!msg)
        msg = json_string_value(e);
    if (msg)
        snprintf(out, size, "%.300s", msg);
    else
        snprintf(out, size, "%.200s", raw ? raw : "");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

/* Reads a 2xx body. Returns the class: OK, or RETRIABLE for malformed JSON,
 * a body without choices, or empty content not explained by "length". */
static enum eval_error_class read_success(const char *raw, size_t len, struct eval_reply *out)
{
    json_error_t jerr;
    json_t *root = json_loadb(raw, len, 0, &jerr);
    enum eval_error_class c = EVAL_RETRIABLE;
    if (!root) {
        snprintf(out->error, sizeof out->error, "malformed JSON in the reply (line %d: %s)", jerr.line,
                 jerr.text);
        return c;
    }
    json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    json_t *message = json_object_get(choice, "message");
    if (!json_is_object(message)) {
        if (json_object_get(root, "error")) {
            char msg[400];
            error_message(root, raw, msg, sizeof msg);
            json_t *code = json_object_get(json_object_get(root, "error"), "code");
            long status = json_is_integer(code) ? (long)json_integer_value(code) : 502;
            c = eval_classify_status(status);
            if (c == EVAL_OK)
                c = EVAL_RETRIABLE;
            snprintf(out->error, sizeof out->error, "error in the reply (code %ld): %s", status, msg);
        } else {
            snprintf(out->error, sizeof out->error, "the reply has no choices[0].message");
        }
        json_decref(root);
        return c;
    }
    const char *content = json_string_value(json_object_get(message, "content"));
    free(out->content);
    out->content = strdup(content ? content : "");
    free(out->reasoning);
    out->reasoning = string_or_null(message, "reasoning");
    if (!out->reasoning)
        out->reasoning = string_or_null(message, "reasoning_content");
    free(out->finish_reason);
    out->finish_reason = string_or_null(choice, "finish_reason");
    free(out->provider_model);
    out->provider_model = string_or_null(root, "model");
    json_t *usage = json_object_get(root, "usage");
    out->prompt_tokens = int_or(usage, "prompt_tokens");
    out->completion_tokens = int_or(usage, "completion_tokens");
    out->total_tokens = int_or(usage, "total_tokens");
    out->reasoning_tokens = int_or(json_object_get(usage, "completion_tokens_details"), "reasoning_tokens");
    json_t *cost = json_object_get(usage, "cost");
    out->cost = json_is_number(cost) ? json_number_value(cost) : -1;
    int empty = !content || !*content;
    int length = out->finish_reason && strcmp(out->finish_reason, "length") == 0;
    if (empty && !length)
        snprintf(out->error, sizeof out->error, "empty content (finish reason %s)",
                 out->finish_reason ? out->finish_reason : "none");
    else
        c = EVAL_OK;
    json_decref(root);
    return c;
}

int eval_call(struct http_client *http, const struct eval_target *t, const char *system, const char *user,
              const struct eval_call_opts *opts, struct eval_reply *out)
{
    memset(out, 0, sizeof *out);
    out->prompt_tokens = out->completion_tokens = out->reasoning_tokens = out->total_tokens = -1;
    out->cost = -1;
    char url[1024], auth[1024], referer[512], title[256];
    size_t blen = strlen(t->base_url);
    snprintf(url, sizeof url, "%.*s/chat/completions",
             (int)(blen && t->base_url[blen - 1] == '/' ? blen - 1 : blen), t->base_url);
    snprintf(referer, sizeof referer, "HTTP-Referer: %s",
             opts->referer ? opts->referer : "https://github.com/cryptic-bench/cryptic-bench");
    snprintf(title, sizeof title, "X-Title: %s", opts->title ? opts->title : "cryptic-bench");
    const char *headers[5] = {"Content-Type: application/json", referer, title, NULL, NULL};
    if (t->api_key && *t->api_key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", t->api_key);
        headers[3] = auth;
    }
    char *body = body_for(t, system, user);
    if (!body)
        return -1;
    struct http_request req = {"POST", url, headers, body, strlen(body)};
    unsigned seed = (unsigned)utc_mono_ms() ^ (unsigned)(uintptr_t)out;
    int max_attempts = opts->retries + 1;
    for (int attempt = 1; attempt <= max_attempts; attempt++) {
        struct http_response resp;
        struct err err = {{0}};
        int64_t start = utc_mono_ms();
        int rc = http_do(http, &req, &resp, &err);
        out->latency_ms = utc_mono_ms() - start;
        out->attempts = attempt;
        long retry_after = -1;
        out->error[0] = '\0';
        if (rc < 0) {
            out->http_status = 0;
            out->error_class = EVAL_RETRIABLE;
            snprintf(out->error, sizeof out->error, "%.480s", err.msg);
        } else {
            out->http_status = resp.status;
            retry_after = resp.retry_after_ms;
            out->error_class = eval_classify_status(resp.status);
            if (out->error_class == EVAL_OK) {
                out->error_class = read_success(resp.body.data, resp.body.len, out);
            } else {
                json_t *root = json_loadb(resp.body.data, resp.body.len, 0, NULL);
                char msg[400];
                error_message(root, resp.body.data, msg, sizeof msg);
                json_decref(root);
                snprintf(out->error, sizeof out->error, "HTTP %ld: %s", resp.status, msg);
            }
        }
        http_response_free(&resp);
        eval_redact(out->error, sizeof out->error, t->api_key);
        if (out->error_class != EVAL_RETRIABLE || attempt == max_attempts)
            break;
        int64_t delay = opts->backoff_ms > 0 ? opts->backoff_ms : 1000;
        for (int i = 1; i < attempt && delay < 60000; i++)
            delay *= 2;
        delay += delay / 4 ? (int64_t)(rand_r(&seed) % (unsigned)(delay / 4 + 1)) : 0;
        if (retry_after >= 0)
            delay = retry_after;
        log_debug("%s: %s; retrying in %lld ms (attempt %d of %d)", t->model, out->error,
                  (long long)delay, attempt + 1, max_attempts);
        utc_sleep_ms(delay);
    }
    free(body);
    if (out->error_class != EVAL_OK) {
        free(out->content);
        out->content = NULL;
        if (out->attempts > 1) {
            char msg[sizeof out->error];
            snprintf(msg, sizeof msg, "%.470s (after %d attempts)", out->error, out->attempts % 1000);
            memcpy(out->error, msg, sizeof msg);
        }
    }
    return 0;
}
