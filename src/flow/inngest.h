/*
 * inngest.h - the engine's functions behind an Inngest serve endpoint, so a
 * hosted or self-hosted Inngest server schedules, retries and fans them
 * out (docs/inngest-protocol.md; where the written spec and the server
 * disagree, this follows the server and the official JS SDK).
 *
 * The same C bodies run here as in the embedded engine: each call request
 * replays the body against the memoized step state the request carries,
 * and the steps it finds new become opcodes (StepRun when one run step can
 * execute at once, StepPlanned for several, Sleep, WaitForEvent,
 * InvokeFunction; StepError / StepFailed when a step throws). Nothing of a
 * run is kept here: the state lives in Inngest.
 *
 *   GET  introspection (unauthenticated, or the authenticated body when the
 *        request is signed)
 *   PUT  sync: POSTs the function configs to {api}/fn/register
 *   POST a call: fnId and stepId in the query, X-Inngest-Signature checked
 *        over the raw body (5 minutes either way, constant time, fallback key)
 */
#ifndef CB_FLOW_INNGEST_H
#define CB_FLOW_INNGEST_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "flow/flow.h"

#define INNGEST_SCHEMA_VERSION "2024-05-24"
#define INNGEST_DEFAULT_API "https://api.inngest.com"
#define INNGEST_DEFAULT_EVENT_API "https://inn.gs"
#define INNGEST_DEFAULT_DEV_URL "http://localhost:8288"

struct flow_inngest_opts {
    const char *app_id;               /* default "cryptic-bench"; function ids are "<app>-<fn>" */
    const char *signing_key;          /* INNGEST_SIGNING_KEY ("signkey-<env>-<hex>", or bare hex) */
    const char *signing_key_fallback; /* INNGEST_SIGNING_KEY_FALLBACK */
    const char *event_key;            /* INNGEST_EVENT_KEY */
    int dev;                          /* INNGEST_DEV: a dev server; signatures not required */
    const char *api_origin;           /* register and run state; see inngest_resolve_origins() */
    const char *event_origin;         /* the event API */
    const char *serve_origin;         /* INNGEST_SERVE_ORIGIN: how Inngest reaches us; default: what
                                         flow_inngest_default_origin() gives, never a request's Host */
    const char *serve_path;           /* INNGEST_SERVE_PATH; default "/api/inngest" */
    const char *env;                  /* INNGEST_ENV: a branch environment (X-Inngest-Env) */
};

/* Fills api_origin and event_origin the way the SDKs do, from base_url
 * (INNGEST_BASE_URL), then dev (INNGEST_DEV: "1", or a dev server's URL),
 * then Inngest Cloud. Strings are borrowed. */
void inngest_resolve_origins(struct flow_inngest_opts *opts, const char *base_url, const char *dev_value);

struct flow_inngest;

/* Serves engine's registered functions (the engine need not be started). */
int flow_inngest_new(struct flow_engine *engine, const struct flow_inngest_opts *opts, struct flow_inngest **out,
                     struct err *err);
void flow_inngest_free(struct flow_inngest *ig);
/* The serve origin ("https://bench.example.org", "http://127.0.0.1:8080")
 * when INNGEST_SERVE_ORIGIN set none: serve gives its --public-host or the
 * address it listens on once it knows its port. A request header never
 * chooses it: an unsigned PUT with a forged Host would otherwise make us
 * register our functions, with the hashed signing key, at the forger's URL. */
void flow_inngest_default_origin(struct flow_inngest *ig, const char *origin);

struct flow_inngest_request {
    const char *method;      /* "GET", "PUT", "POST" */
    const char *fn_id;       /* query fnId */
    const char *step_id;     /* query stepId */
    const char *deploy_id;   /* query deployId */
    const char *probe;       /* query probe */
    const char *signature;   /* X-Inngest-Signature */
    const char *server_kind; /* X-Inngest-Server-Kind */
    const char *body;
    size_t body_len;
};

struct flow_inngest_reply {
    unsigned status;
    char *body;            /* JSON; owned */
    const char *no_retry;  /* X-Inngest-No-Retry: "true", "false", or NULL for none */
    long retry_after_s;    /* Retry-After, or -1 */
};

/* Answers one request to the serve endpoint. Always fills reply (release
 * it with flow_inngest_reply_clear); the caller adds the headers every
 * reply carries: flow_inngest_sdk_header() and X-Inngest-Req-Version: 2. */
void flow_inngest_handle(struct flow_inngest *ig, const struct flow_inngest_request *req,
                         struct flow_inngest_reply *reply);
void flow_inngest_reply_clear(struct flow_inngest_reply *reply);

/* "cryptic-bench:v<version>", for X-Inngest-SDK. */
const char *flow_inngest_sdk_header(void);

/* Posts events (an object or an array of {name, data, id?}) to Inngest's
 * event API ({event_origin}/e/{event_key}); ids (may be NULL) gets the
 * answer's ids appended. */
int flow_inngest_send_events(const struct flow_inngest_opts *opts, const json_t *events, json_t *ids,
                             struct err *err);

/* A call request's body, parsed (the part of the protocol outside input
 * reaches first; fuzzed). */
struct flow_inngest_call {
    json_t *event;           /* the triggering event */
    json_t *steps;           /* hashed step id -> memoized value; an object */
    char run_id[128];
    int attempt;             /* this step's attempt, from 0 */
    int max_attempts;        /* 0 when not given */
    int disable_immediate;   /* every step must be planned */
    int use_api;             /* events and steps must be fetched from the API */
};

/* Parses body; -1 with a message for anything that is not a call request. */
int flow_inngest_parse_call(const char *body, size_t len, struct flow_inngest_call *out, struct err *err);
void flow_inngest_call_clear(struct flow_inngest_call *call);

#endif
