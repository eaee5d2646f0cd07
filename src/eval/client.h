/*
 * client.h - one call to an OpenAI-compatible chat-completions API
 * (OpenRouter by default), classified by what its failure means.
 *
 * The error classes (DESIGN §4):
 *  - retriable: 408, 429 (Retry-After honoured), 5xx, connect/timeout,
 *    malformed JSON, empty content with a finish reason other than
 *    "length": retried with exponential backoff and jitter; when retries run
 *    out the call is an error and the model goes on;
 *  - call-fatal: 400 and other 4xx not below: an error for this clue only;
 *  - model-fatal: 403, 404 (model unknown or retired): this model stops;
 *  - run-fatal: 401, 402 (bad key, no credits): every model stops.
 * Empty content at finish reason "length" is not an error: the model ran
 * out of tokens, which is no answer (the caller's outcome no_answer).
 *
 * The API key is sent as a bearer header and never written anywhere: error
 * messages that echo it have it replaced by "[redacted]".
 */
#ifndef CB_EVAL_CLIENT_H
#define CB_EVAL_CLIENT_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "core/http.h"

#define EVAL_DEFAULT_BASE_URL "https://openrouter.ai/api/v1"

/* A call's outcome: core's error classes (core/err.h), with the same
 * values, so (enum err_class)c is the class a failure carries on. */
enum eval_error_class {
    EVAL_OK = ERR_CLASS_NONE,
    EVAL_RETRIABLE = ERR_CLASS_RETRIABLE,
    EVAL_CALL_FATAL = ERR_CLASS_CALL_FATAL,
    EVAL_MODEL_FATAL = ERR_CLASS_MODEL_FATAL,
    EVAL_RUN_FATAL = ERR_CLASS_RUN_FATAL,
};

const char *eval_error_class_name(enum eval_error_class c);

struct eval_target {
    const char *model;      /* the id sent as "model" */
    const char *base_url;   /* API base, e.g. https://openrouter.ai/api/v1 */
    const char *api_key;    /* may be NULL for a local server without auth */
    int max_tokens;
    const json_t *extra;    /* fields merged into the request body; may be NULL */
};

struct eval_call_opts {
    int retries;            /* extra attempts for retriable failures */
    long backoff_ms;        /* first delay, doubled each retry, plus jitter */
    const char *referer;    /* HTTP-Referer header (OpenRouter's app attribution) */
    const char *title;      /* X-Title header */
};

struct eval_reply {
    enum eval_error_class error_class;
    char error[512];        /* for an error: "HTTP 402: Insufficient credits ..." */
    long http_status;       /* of the last attempt; 0 without a response */
    int attempts;
    char *content;          /* "" when empty; NULL on error */
    char *reasoning;        /* reasoning text if the API returned it, else NULL */
    char *finish_reason;    /* may be NULL */
    char *provider_model;   /* the model id the provider reports; may be NULL */
    int64_t prompt_tokens, completion_tokens, reasoning_tokens, total_tokens; /* -1: unknown */
    double cost;            /* -1: unknown */
    int64_t latency_ms;     /* of the successful attempt (or the last one) */
};

/* Calls the API. Always fills *out (release with eval_reply_free); the
 * outcome is out->error_class. Returns -1 only if memory runs out. */
int eval_call(struct http_client *http, const struct eval_target *target, const char *system,
              const char *user, const struct eval_call_opts *opts, struct eval_reply *out);

void eval_reply_free(struct eval_reply *reply);

/* Classifies an HTTP status. */
enum eval_error_class eval_classify_status(long status);

/* Replaces every occurrence of secret in s by "[redacted]" (in place, s
 * has room for size bytes). */
void eval_redact(char *s, size_t size, const char *secret);

#endif
