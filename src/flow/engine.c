/*
 * engine.c - the embedded durable workflow engine; see flow.h and docs/flow.md.
 *
 * A worker claims a runnable run with a lease, loads its checkpointed steps,
 * and replays the body. Steps the body asks for that are not checkpointed
 * are pending; after the body returns, the worker executes them (run steps
 * in parallel threads), checkpoints each result at once, and replays again
 * while that made progress. When only waiting is left (a retry's backoff, a
 * sleep, an event, a child run) the run is released with the time it can
 * go on, and any worker picks it up then.
 */
#include "flow/flow.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/str.h"
#include "core/utc.h"
#include "flow/cron.h"
#include "flow/internal.h"

#define MAX_FUNCTIONS 64
#define MAX_WORKERS 64
#define FAR_FUTURE (INT64_C(1) << 62)

struct flow_engine {
    struct store *store;
    struct flow_engine_opts opts;
    char owner[128];
    struct flow_function fns[MAX_FUNCTIONS];
    struct cron_expr crons[MAX_FUNCTIONS];
    int nfns;
    pthread_t threads[MAX_WORKERS + 1];
    int nthreads;
    int started;
    _Atomic int stopping;   /* set by flow_engine_stop, read by every worker */
    pthread_mutex_t lock;
    unsigned seed;
    char functions_json[4096]; /* the registered function ids, for claims */
};

static const char *const kind_names[] = {"run", "sleep", "send", "invoke", "wait"};

/* The real clock: CRYPTIC_BENCH_NOW fixes "today" for the jobs, but sleeps,
 * leases and backoffs must see time pass. */
static int64_t now_ms(void)
{
    return utc_now_real_ms();
}

/* Hex SHA-1 of a step id (Inngest keys step state the same way). */
void flow_hash_id(const char *id, char out[48])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(id, strlen(id), md, &len, EVP_sha1(), NULL);
    for (unsigned int i = 0; i < len && i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* A new id: milliseconds then random bytes, in hex, so ids sort by time. */
static void new_id(char out[40])
{
    unsigned char rnd[8];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        memset(rnd, 0, sizeof rnd);
    int n = snprintf(out, 40, "%012llx", (unsigned long long)now_ms());
    for (size_t i = 0; i < sizeof rnd && n + 2 < 40; i++, n += 2)
        snprintf(out + n, 3, "%02x", rnd[i]);
}

/* ---- the body's side --------------------------------------------------- */

const char *flow_run_id(const struct flow_ctx *ctx)
{
    return ctx->run->id;
}

/* p, noting in ctx when an allocation the round's plan needs failed: a
 * missing id map entry would give two steps one id, a missing field a NULL
 * argument, so the round is not acted on (ctx->oom, see process_run). */
static void *need(struct flow_ctx *ctx, void *p)
{
    if (!p)
        ctx->oom = 1;
    return p;
}

/* The step's full id ("name", then "name:1", "name:2" for repeats) and hash.
 * Replays ask for the same ids again and again: the repeat count and the
 * hash of each are looked up, not recomputed. */
static int step_identity(struct flow_ctx *ctx, const char *name, char *full, size_t size, char hash[48])
{
    struct stepmap_entry *nc = need(ctx, stepmap_put(&ctx->names, name));
    int count = 0;
    if (nc) {
        if (nc->round != ctx->round) {
            nc->round = ctx->round;
            nc->count = 0;
        }
        count = nc->count++;
    }
    if (count == 0)
        snprintf(full, size, "%s", name);
    else
        snprintf(full, size, "%s:%d", name, count);
    struct stepmap_entry *id = stepmap_put(&ctx->ids, full);
    if (id && id->hash[0]) {
        memcpy(hash, id->hash, sizeof id->hash);
        return count;
    }
    flow_hash_id(full, hash);
    if (id)
        memcpy(id->hash, hash, sizeof id->hash);
    return count;
}

static struct store_flow_step *find_step(struct flow_ctx *ctx, const char *hash, size_t *index)
{
    /* Steps are only ever appended (or updated in place, same hash). */
    for (; ctx->indexed < ctx->nsteps; ctx->indexed++) {
        struct stepmap_entry *e = stepmap_put(&ctx->by_hash, ctx->steps[ctx->indexed].hash);
        if (!e)
            break;
        e->index = ctx->indexed;
    }
    struct stepmap_entry *e = stepmap_get(&ctx->by_hash, hash);
    if (e && e->index < ctx->nsteps) {
        if (index)
            *index = e->index;
        return &ctx->steps[e->index];
    }
    /* Out of memory while indexing: the rest by a search. */
    for (size_t i = ctx->indexed; i < ctx->nsteps; i++)
        if (strcmp(ctx->steps[i].hash, hash) == 0) {
            if (index)
                *index = i;
            return &ctx->steps[i];
        }
    return NULL;
}

static struct pending *add_pending(struct flow_ctx *ctx, enum step_kind kind, const char *user_id, int index,
                                   const char *full, const char *hash)
{
    if (ctx->npending == ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap * 2 : 8;
        struct pending *p = need(ctx, realloc(ctx->pending, cap * sizeof *p));
        if (!p)
            return NULL;
        ctx->pending = p;
        ctx->cap = cap;
    }
    struct pending *p = &ctx->pending[ctx->npending++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->name = need(ctx, strdup(full));
    p->user_id = need(ctx, strdup(user_id));
    p->index = index;
    snprintf(p->hash, sizeof p->hash, "%s", hash);
    return p;
}

static void block_until(struct flow_ctx *ctx, int64_t when, int wait_only)
{
    if (!ctx->blocked || when < ctx->wake_at)
        ctx->wake_at = when;
    if (!ctx->blocked)
        ctx->waits_only = wait_only;
    else if (!wait_only)
        ctx->waits_only = 0;
    ctx->blocked = 1;
}

/* Looks a step up: FLOW_DONE with its result, or FLOW_PENDING (then
 * *existing tells whether it was seen before and still waits). */
static int lookup(struct flow_ctx *ctx, const char *hash, const json_t **out, struct store_flow_step **existing)
{
    size_t i;
    struct store_flow_step *s = find_step(ctx, hash, &i);
    *existing = s;
    if (!s)
        return FLOW_PENDING;
    if (strcmp(s->status, "done") == 0) {
        if (out)
            *out = ctx->results[i];
        return FLOW_DONE;
    }
    if (strcmp(s->status, "failed") == 0) {
        if (out) {
            json_t *e = json_pack("{s:o}", "error", flow_error_json(s->error ? s->error : "step failed",
                                                                  s->error_class, s->error_status));
            json_array_append_new(ctx->scratch, e);
            *out = e;
        }
        return FLOW_DONE;
    }
    return FLOW_PENDING;
}

/* ---- inline execution ----------------------------------------------------
 *
 * Replaying a body from the top after every step makes a run of n
 * sequential steps cost n^2 step calls. Most bodies are sequential: they
 * ask for one step and, if it is pending, return at once. When the engine
 * has seen a call site do that (the body returned right after that site's
 * pending step, with nothing else asked for), the next new run step from
 * that site executes during the call: its result is checkpointed (the
 * same single write as after a round) and the call returns DONE, so the
 * body goes on without a replay. A site whose pending step was followed by
 * another step call is starting steps in parallel (the Promise.all shape)
 * and is never executed inline, so parallel rounds stay parallel. What a
 * site did is learnt per claim, from the return address of the call; a
 * site's first pending step always goes through a round. */

static int checkpoint_run_step(struct flow_ctx *ctx, struct pending *p, int *progressed, struct err *err);

static struct call_site *call_site(struct flow_ctx *ctx, const void *addr)
{
    for (int i = 0; i < ctx->nsites; i++)
        if (ctx->sites[i].addr == addr)
            return &ctx->sites[i];
    if (ctx->nsites == MAX_CALL_SITES)
        return NULL;
    struct call_site *site = &ctx->sites[ctx->nsites++];
    memset(site, 0, sizeof *site);
    site->addr = addr;
    return site;
}

/* Every step call: a pending step followed by another call was parallel. */
static void note_call(struct flow_ctx *ctx)
{
    if (ctx->open_site) {
        ctx->open_site->parallel = 1;
        ctx->open_site = NULL;
    }
}

/* The body returned: the site that gave the round's only pending step, with
 * nothing asked after it, is sequential. */
static void note_return(struct flow_ctx *ctx)
{
    if (ctx->open_site && ctx->npending == 1)
        ctx->open_site->sequential = 1;
    ctx->open_site = NULL;
}

static int may_inline(struct flow_ctx *ctx, const struct call_site *site)
{
    return ctx->inline_ok && site && site->sequential && !site->parallel && ctx->npending == 0 && !ctx->blocked &&
           !ctx->lost && !ctx->inline_failed && !ctx->oom && !ctx->engine->stopping &&
           ctx->nsteps < (size_t)ctx->engine->opts.max_steps;
}

/* Executes a new run step now and checkpoints it; the step's state then
 * answers as on a replay. */
static int run_inline(struct flow_ctx *ctx, const char *full, const char *hash, flow_step_fn fn, void *arg,
                      int attempts, const json_t **out)
{
    struct pending p = {.kind = STEP_RUN, .name = (char *)full, .fn = fn, .arg = arg, .attempts = attempts};
    snprintf(p.hash, sizeof p.hash, "%s", hash);
    flow_execute_run_step(&p);
    int progressed = 0;
    int rc = checkpoint_run_step(ctx, &p, &progressed, &ctx->inline_err);
    json_decref(p.output);
    if (rc < 0) {
        ctx->inline_failed = 1;
        return FLOW_PENDING;
    }
    struct store_flow_step *s;
    if (ctx->lost || lookup(ctx, hash, out, &s) != FLOW_DONE) {
        if (out)
            *out = NULL;
        return FLOW_PENDING; /* retrying (the round is blocked), or no longer ours */
    }
    return FLOW_DONE;
}

/* What a step call knows of its step: its full name and hash (its
 * identity, with the repeat index of its name) and its checkpoint, if any. */
struct step_call {
    char full[256], hash[48];
    int index;
    struct store_flow_step *s; /* NULL: never checkpointed */
};

/* The start of every step call: notes the call, finds the step's identity
 * and checkpoint; FLOW_DONE when that holds the result (in *out when out
 * is not NULL; otherwise *out is NULL). */
static int step_begin(struct flow_ctx *ctx, const char *id, struct step_call *c, const json_t **out)
{
    note_call(ctx);
    c->index = step_identity(ctx, id, c->full, sizeof c->full, c->hash);
    if (out)
        *out = NULL;
    return lookup(ctx, c->hash, out, &c->s);
}

int flow_step_run(struct flow_ctx *ctx, const char *id, flow_step_fn fn, const void *arg, size_t arg_size,
                  const json_t **out)
{
    const void *addr = __builtin_return_address(0);
    struct step_call c;
    if (step_begin(ctx, id, &c, out) == FLOW_DONE)
        return FLOW_DONE;
    const struct store_flow_step *s = c.s;
    if (s && s->wake_at > now_ms()) { /* a retry whose backoff has not passed */
        block_until(ctx, s->wake_at, 0);
        return FLOW_PENDING;
    }
    struct call_site *site = ctx->inline_ok ? call_site(ctx, addr) : NULL;
    if (may_inline(ctx, site))
        return run_inline(ctx, c.full, c.hash, fn, (void *)arg, s ? s->attempts : 0, out);
    struct pending *p = add_pending(ctx, STEP_RUN, id, c.index, c.full, c.hash);
    if (p) {
        p->fn = fn;
        p->arg = (void *)arg;
        if (arg_size > 0) {
            p->arg_copy = need(ctx, malloc(arg_size));
            if (p->arg_copy)
                memcpy(p->arg_copy, arg, arg_size);
            p->arg = p->arg_copy;
        }
        p->attempts = s ? s->attempts : 0;
        if (site && ctx->npending == 1)
            ctx->open_site = site;
    }
    return FLOW_PENDING;
}

int flow_step_sleep_until(struct flow_ctx *ctx, const char *id, int64_t until_ms)
{
    struct step_call c;
    if (step_begin(ctx, id, &c, NULL) == FLOW_DONE)
        return FLOW_DONE;
    struct pending *p = add_pending(ctx, STEP_SLEEP, id, c.index, c.full, c.hash);
    if (p)
        p->until = c.s ? c.s->wake_at : until_ms;
    return FLOW_PENDING;
}

int flow_step_sleep(struct flow_ctx *ctx, const char *id, int64_t duration_ms)
{
    return flow_step_sleep_until(ctx, id, now_ms() + duration_ms);
}

int flow_step_send_event(struct flow_ctx *ctx, const char *id, const json_t *events, const json_t **out)
{
    struct step_call c;
    if (step_begin(ctx, id, &c, out) == FLOW_DONE)
        return FLOW_DONE;
    struct pending *p = add_pending(ctx, STEP_SEND, id, c.index, c.full, c.hash);
    if (p)
        p->payload = need(ctx, json_deep_copy(events));
    return FLOW_PENDING;
}

int flow_step_invoke(struct flow_ctx *ctx, const char *id, const char *function_id, const json_t *data,
                     const json_t **out)
{
    struct step_call c;
    if (step_begin(ctx, id, &c, out) == FLOW_DONE)
        return FLOW_DONE;
    /* Checkpointed waiting: the child was started, unless the process
     * stopped between execute_invoke's two writes; sending the child's
     * event again (the same id) starts it then, and does nothing otherwise. */
    struct pending *p = add_pending(ctx, STEP_INVOKE, id, c.index, c.full, c.hash);
    if (p) {
        p->resend = c.s != NULL;
        p->target = need(ctx, strdup(function_id));
        p->payload = need(ctx, data ? json_deep_copy(data) : json_object());
    }
    return FLOW_PENDING;
}

/* The text of a field ("data.week_id") of an event, for matching. */
char *flow_field_text(const json_t *event, const char *field)
{
    const json_t *v = event;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", field);
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part && v; part = strtok_r(NULL, ".", &save))
        v = json_object_get(v, part);
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

int flow_step_wait_for_event(struct flow_ctx *ctx, const char *id, const char *name, const char *field,
                             int64_t timeout_ms, const json_t **out)
{
    struct step_call c;
    if (step_begin(ctx, id, &c, out) == FLOW_DONE) {
        if (out && *out && json_is_null(*out))
            *out = NULL;
        return FLOW_DONE;
    }
    const struct store_flow_step *s = c.s;
    if (s) {
        if (s->wake_at <= now_ms()) { /* timed out: done with no event */
            struct pending *p = add_pending(ctx, STEP_WAIT, id, c.index, c.full, c.hash);
            if (p)
                p->until = 0;
        } else {
            block_until(ctx, s->wake_at, 1);
        }
        return FLOW_PENDING;
    }
    struct pending *p = add_pending(ctx, STEP_WAIT, id, c.index, c.full, c.hash);
    if (p) {
        p->until = now_ms() + timeout_ms;
        p->target = need(ctx, strdup(name));
        if (field) {
            p->field = need(ctx, malloc(strlen(field) + 3));
            if (p->field)
                sprintf(p->field, "$.%s", field);
            p->value = flow_field_text(ctx->event, field);
        }
    }
    return FLOW_PENDING;
}

const char *flow_step_failed(const json_t *result)
{
    json_t *e = json_object_get(result, "error");
    return e ? json_string_value(json_object_get(e, "message")) : NULL;
}

enum err_class flow_step_error_class(const json_t *result)
{
    return err_class_from_name(json_string_value(json_object_get(json_object_get(result, "error"), "class")));
}

int flow_step_error_status(const json_t *result)
{
    return (int)json_integer_value(json_object_get(json_object_get(result, "error"), "status"));
}

json_t *flow_error_json(const char *message, enum err_class error_class, int status)
{
    json_t *e = json_pack("{s:s}", "message", message ? message : "");
    if (e && err_class_name(error_class))
        json_object_set_new(e, "class", json_string(err_class_name(error_class)));
    if (e && status)
        json_object_set_new(e, "status", json_integer(status));
    return e;
}

int flow_yield(struct flow_ctx *ctx)
{
    (void)ctx;
    return FLOW_RETURN_YIELD;
}

int flow_complete(struct flow_ctx *ctx, const json_t *output)
{
    json_decref(ctx->output);
    ctx->output = need(ctx, output ? json_deep_copy(output) : json_null());
    return FLOW_RETURN_COMPLETE;
}

int flow_fail(struct flow_ctx *ctx, const char *message)
{
    return flow_fail_error(ctx, ERR_CLASS_NONE, 0, message);
}

/* The class and status go with the run record, which the release stores. */
int flow_fail_error(struct flow_ctx *ctx, enum err_class error_class, int status, const char *message)
{
    snprintf(ctx->fail_message, sizeof ctx->fail_message, "%s", message);
    ctx->run->error_class = error_class;
    ctx->run->error_status = status;
    return FLOW_RETURN_FAIL;
}

/* ---- executing a round ----------------------------------------------------- */

static const struct flow_function *find_function(struct flow_engine *e, const char *id)
{
    for (int i = 0; i < e->nfns; i++)
        if (strcmp(e->fns[i].id, id) == 0)
            return &e->fns[i];
    return NULL;
}

void flow_execute_run_step(struct pending *p)
{
    p->started_at = now_ms();
    memset(&p->error, 0, sizeof p->error);
    p->error.retriable = 1;
    p->error.retry_after_ms = -1;
    p->output = NULL;
    p->ok = p->fn(p->arg, &p->output, &p->error) == 0;
    if (p->ok && !p->output)
        p->output = json_null();
    p->ended_at = now_ms();
}

static void *execute_run_step_thread(void *arg)
{
    flow_execute_run_step(arg);
    return NULL;
}

static int64_t backoff(struct flow_engine *e, int attempt)
{
    int64_t d = e->opts.backoff_base_ms;
    for (int i = 1; i < attempt && d < e->opts.backoff_cap_ms; i++)
        d *= 2;
    if (d > e->opts.backoff_cap_ms)
        d = e->opts.backoff_cap_ms;
    pthread_mutex_lock(&e->lock);
    int64_t jitter = d / 4 > 0 ? (int64_t)(rand_r(&e->seed) % (unsigned)(d / 4 + 1)) : 0;
    pthread_mutex_unlock(&e->lock);
    return d + jitter;
}

/* Checkpoints a step and keeps the checkpoint in the round's memory, so
 * the next replay of this claim needs no reload. */
static int put(struct flow_ctx *ctx, struct store_flow_step *s, struct err *err)
{
    int held = 0;
    if (store_flow_step_put(ctx->engine->store, ctx->run->id, ctx->holder, s,
                            now_ms() + ctx->engine->opts.lease_ms, &held, err) < 0)
        return -1;
    if (!held)
        ctx->lost = 1;
    size_t i = 0;
    struct store_flow_step *mine = find_step(ctx, s->hash, &i);
    if (mine == s) { /* updated in place */
        json_decref(ctx->results[i]);
        ctx->results[i] = strcmp(s->status, "done") == 0 && s->output
                              ? json_loads(s->output, JSON_DECODE_ANY, NULL) : NULL;
        return 0;
    }
    if (!mine) {
        struct store_flow_step *steps = realloc(ctx->steps, (ctx->nsteps + 1) * sizeof *steps);
        json_t **results = realloc(ctx->results, (ctx->nsteps + 1) * sizeof *results);
        if (steps)
            ctx->steps = steps;
        if (results)
            ctx->results = results;
        if (!steps || !results)
            return err_set(err, "out of memory");
        i = ctx->nsteps++;
        mine = &ctx->steps[i];
        memset(mine, 0, sizeof *mine);
        ctx->results[i] = NULL;
    } else {
        free(mine->name);
        free(mine->output);
        free(mine->error);
        free(mine->wait_event);
        free(mine->wait_field);
        free(mine->wait_value);
        json_decref(ctx->results[i]);
        ctx->results[i] = NULL;
    }
    *mine = *s;
    mine->name = str_dup_or_null(s->name);
    mine->output = str_dup_or_null(s->output);
    mine->error = str_dup_or_null(s->error);
    mine->wait_event = str_dup_or_null(s->wait_event);
    mine->wait_field = str_dup_or_null(s->wait_field);
    mine->wait_value = str_dup_or_null(s->wait_value);
    if (strcmp(mine->status, "done") == 0 && mine->output)
        ctx->results[i] = json_loads(mine->output, JSON_DECODE_ANY, NULL);
    return 0;
}

static int send_event(struct flow_engine *e, const char *name, const json_t *data, const char *id, char *id_out,
                      const char *sender_id, const char *sender_holder, struct err *err);

/* Sends events (one object or an array) for the run of ctx, starting the
 * runs they trigger; the cancellations they declare happen only while
 * that run is still this worker's. */
static int send_events(struct flow_ctx *ctx, const json_t *events, json_t *ids, struct err *err)
{
    size_t n = json_is_array(events) ? json_array_size(events) : 1;
    for (size_t i = 0; i < n; i++) {
        const json_t *ev = json_is_array(events) ? json_array_get(events, i) : events;
        const char *name = json_string_value(json_object_get(ev, "name"));
        if (!name)
            return err_set(err, "an event to send has no name");
        char id_out[64];
        if (send_event(ctx->engine, name, json_object_get(ev, "data"), json_string_value(json_object_get(ev, "id")),
                       id_out, ctx->run->id, ctx->holder, err) < 0)
            return -1;
        json_array_append_new(ids, json_string(id_out));
    }
    return 0;
}

/* Checkpoints the result of an executed run step: done, retrying (with its
 * wake time, blocking the round) or failed. Sets *progressed when the body
 * can go on. */
static int checkpoint_run_step(struct flow_ctx *ctx, struct pending *p, int *progressed, struct err *err)
{
    struct flow_engine *e = ctx->engine;
    int retries = ctx->fn->retries < 0 ? 4 : ctx->fn->retries;
    struct store_flow_step s = {0};
    snprintf(s.hash, sizeof s.hash, "%s", p->hash);
    s.name = p->name;
    snprintf(s.kind, sizeof s.kind, "run");
    s.attempts = p->attempts + 1;
    s.seq = ctx->seq++;
    s.started_at = p->started_at;
    s.ended_at = p->ended_at;
    s.error_class = p->error.error_class;
    s.error_status = p->error.status;
    char *text = NULL;
    if (p->ok) {
        snprintf(s.status, sizeof s.status, "done");
        text = json_dumps(p->output, JSON_COMPACT | JSON_ENCODE_ANY);
        s.output = text;
        *progressed = 1;
    } else if (p->error.retriable && s.attempts <= retries) {
        snprintf(s.status, sizeof s.status, "retrying");
        s.error = p->error.message;
        int64_t delay = p->error.retry_after_ms >= 0 ? p->error.retry_after_ms : backoff(e, s.attempts);
        s.wake_at = now_ms() + delay;
        block_until(ctx, s.wake_at, 0);
        log_debug("run %s: step %s failed (attempt %d): %s; retrying in %lld ms", ctx->run->id, p->name,
                  s.attempts, p->error.message, (long long)delay);
    } else {
        snprintf(s.status, sizeof s.status, "failed");
        s.error = p->error.message;
        *progressed = 1;
    }
    int rc = put(ctx, &s, err);
    free(text);
    return rc;
}

/* Runs the round's run steps, in parallel batches of parallel_steps, and
 * checkpoints each; *progressed set when one finished. */
static int execute_run_steps(struct flow_ctx *ctx, int *progressed, struct err *err)
{
    struct flow_engine *e = ctx->engine;
    size_t batch[64];
    size_t limit = e->opts.parallel_steps < 64 ? (size_t)e->opts.parallel_steps : 64;
    for (size_t next = 0; next < ctx->npending;) {
        size_t nbatch = 0;
        for (; next < ctx->npending && nbatch < limit; next++)
            if (ctx->pending[next].kind == STEP_RUN)
                batch[nbatch++] = next;
        if (nbatch == 0)
            break;
        pthread_t threads[64];
        int started[64] = {0};
        for (size_t k = 0; k < nbatch; k++) {
            if (nbatch > 1 && pthread_create(&threads[k], NULL, execute_run_step_thread, &ctx->pending[batch[k]]) == 0)
                started[k] = 1;
            else
                flow_execute_run_step(&ctx->pending[batch[k]]);
        }
        for (size_t k = 0; k < nbatch; k++)
            if (started[k])
                pthread_join(threads[k], NULL);
        for (size_t k = 0; k < nbatch; k++)
            if (checkpoint_run_step(ctx, &ctx->pending[batch[k]], progressed, err) < 0)
                return -1;
    }
    return 0;
}

/* Marks a step done now with output (borrowed until it is put). */
static void step_done(struct store_flow_step *s, char *output, int *progressed)
{
    snprintf(s->status, sizeof s->status, "done");
    s->output = output;
    s->ended_at = now_ms();
    *progressed = 1;
}

/* The executors of the other kinds: each fills in s (its hash, name,
 * kind, seq and start already set) and checkpoints it; *progressed set
 * when the step finished. -1 when a checkpoint or a send failed. */

static int execute_sleep(struct flow_ctx *ctx, const struct pending *p, struct store_flow_step *s, int *progressed,
                         struct err *err)
{
    if (p->until <= now_ms()) {
        step_done(s, "null", progressed);
    } else {
        snprintf(s->status, sizeof s->status, "sleeping");
        s->wake_at = p->until;
        block_until(ctx, p->until, 0);
    }
    return put(ctx, s, err);
}

static int execute_send(struct flow_ctx *ctx, const struct pending *p, struct store_flow_step *s, int *progressed,
                        struct err *err)
{
    char *text = NULL;
    json_t *ids = json_array();
    int rc = send_events(ctx, p->payload, ids, err);
    if (rc == 0) {
        json_t *result = json_pack("{s:O}", "ids", ids);
        text = json_dumps(result, JSON_COMPACT);
        json_decref(result);
        step_done(s, text, progressed);
        rc = put(ctx, s, err);
    }
    json_decref(ids);
    free(text);
    return rc;
}

static int execute_invoke(struct flow_ctx *ctx, const struct pending *p, struct store_flow_step *s, int *progressed,
                          struct err *err)
{
    struct flow_engine *e = ctx->engine;
    const struct flow_function *child = find_function(e, p->target);
    if (!child && p->resend) { /* as it was: waiting for a child another process runs */
        block_until(ctx, FAR_FUTURE, 1);
        return 0;
    }
    if (!child) {
        char msg[300];
        snprintf(msg, sizeof msg, "invoke: no function %s", p->target);
        snprintf(s->status, sizeof s->status, "failed");
        s->error = msg;
        s->ended_at = now_ms();
        *progressed = 1;
        return put(ctx, s, err);
    }
    /* The child's event: {"name": "inngest/function.invoked", "data": data}; its id ties it
     * to this step so a replay never starts a second child. */
    char event_id[128], run_id[40];
    snprintf(event_id, sizeof event_id, "invoke-%s-%s", ctx->run->id, p->hash);
    new_id(run_id);
    json_t *ev = json_pack("{s:s, s:s, s:O, s:I}", "id", event_id, "name", "inngest/function.invoked",
                           "data", p->payload, "ts", (json_int_t)now_ms());
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    json_t *child_event = json_loads(text, 0, NULL);
    char *key = child->concurrency_key && child_event ? flow_field_text(child_event, child->concurrency_key) : NULL;
    json_decref(child_event);
    struct store_flow_new_run nr = {run_id, child->id, key, child->concurrency, ctx->run->id, p->hash};
    int duplicate;
    /* The step first (waiting), then the child: a child that finishes at once
     * finds it. Two writes: a kill between them leaves the step waiting with
     * no child, which the next replay's resend repairs. A resend never writes
     * the step: the child may have finished it since the replay read it. */
    snprintf(s->status, sizeof s->status, "waiting");
    s->output = NULL;
    int rc = p->resend ? 0 : put(ctx, s, err);
    if (rc == 0)
        rc = store_flow_send(e->store, event_id, "inngest/function.invoked", text, now_ms(), &nr, 1, &duplicate,
                             err);
    free(key);
    free(text);
    if (rc < 0)
        return -1;
    block_until(ctx, FAR_FUTURE, 1);
    return 0;
}

static int execute_wait(struct flow_ctx *ctx, const struct pending *p, struct store_flow_step *s, int *progressed,
                        struct err *err)
{
    if (p->until == 0) { /* timed out */
        step_done(s, "null", progressed);
        struct store_flow_step *old = find_step(ctx, p->hash, NULL);
        if (old)
            s->seq = old->seq;
    } else {
        snprintf(s->status, sizeof s->status, "waiting");
        s->wake_at = p->until;
        s->wait_event = p->target;
        s->wait_field = p->field;
        s->wait_value = p->value;
        block_until(ctx, p->until, 1);
    }
    return put(ctx, s, err);
}

/* Executes the pending steps of a round; returns 1 when a step finished
 * (the body should replay now), 0 when all that is left waits. */
static int execute_pending(struct flow_ctx *ctx, struct err *err)
{
    int progressed = 0;
    if (execute_run_steps(ctx, &progressed, err) < 0)
        return -1;
    /* The other kinds, in order. */
    for (size_t i = 0; i < ctx->npending; i++) {
        struct pending *p = &ctx->pending[i];
        if (p->kind == STEP_RUN)
            continue;
        struct store_flow_step s = {0};
        snprintf(s.hash, sizeof s.hash, "%s", p->hash);
        s.name = p->name;
        snprintf(s.kind, sizeof s.kind, "%s", kind_names[p->kind]);
        s.seq = ctx->seq++;
        s.started_at = now_ms();
        s.attempts = 1;
        int rc = 0;
        switch (p->kind) {
        case STEP_SLEEP:
            rc = execute_sleep(ctx, p, &s, &progressed, err);
            break;
        case STEP_SEND:
            rc = execute_send(ctx, p, &s, &progressed, err);
            break;
        case STEP_INVOKE:
            rc = execute_invoke(ctx, p, &s, &progressed, err);
            break;
        case STEP_WAIT:
            rc = execute_wait(ctx, p, &s, &progressed, err);
            break;
        case STEP_RUN:
            break;
        }
        if (rc < 0)
            return -1;
    }
    return progressed;
}

/* Frees what the pending steps hold; none is left pending. */
static void pending_clear(struct flow_ctx *ctx)
{
    for (size_t i = 0; i < ctx->npending; i++) {
        struct pending *p = &ctx->pending[i];
        free(p->name);
        free(p->user_id);
        free(p->arg_copy);
        json_decref(p->payload);
        json_decref(p->output);
        free(p->target);
        free(p->field);
        free(p->value);
    }
    ctx->npending = 0;
}

/* Forgets what one replay asked for (the checkpoints stay). */
static void round_clear(struct flow_ctx *ctx)
{
    pending_clear(ctx);
    ctx->round++; /* every name's repeat count starts again */
    json_decref(ctx->scratch);
    ctx->scratch = json_array();
    ctx->blocked = 0;
    ctx->wake_at = 0;
    ctx->waits_only = 0;
    ctx->oom = 0;
}

void flow_ctx_clear(struct flow_ctx *ctx)
{
    pending_clear(ctx);
    free(ctx->pending);
    ctx->pending = NULL;
    ctx->npending = ctx->cap = 0;
    stepmap_free(&ctx->names);
    stepmap_free(&ctx->ids);
    stepmap_free(&ctx->by_hash);
    ctx->indexed = 0;
    if (ctx->results)
        for (size_t i = 0; i < ctx->nsteps; i++)
            json_decref(ctx->results[i]);
    free(ctx->results);
    ctx->results = NULL;
    store_flow_steps_free(ctx->steps, ctx->nsteps);
    ctx->steps = NULL;
    ctx->nsteps = 0;
    json_decref(ctx->scratch);
    ctx->scratch = NULL;
}

/* Loads the checkpointed steps; wakes those whose time has come. */
static int load_steps(struct flow_ctx *ctx, struct err *err)
{
    if (store_flow_steps(ctx->engine->store, ctx->run->id, &ctx->steps, &ctx->nsteps, err) < 0)
        return -1;
    ctx->results = calloc(ctx->nsteps + 1, sizeof *ctx->results);
    ctx->scratch = json_array();
    if (!ctx->results || !ctx->scratch)
        return err_set(err, "out of memory");
    ctx->seq = 0;
    int64_t now = now_ms();
    for (size_t i = 0; i < ctx->nsteps; i++) {
        struct store_flow_step *s = &ctx->steps[i];
        if (s->seq >= ctx->seq)
            ctx->seq = s->seq + 1;
        if (strcmp(s->status, "sleeping") == 0 && s->wake_at <= now) {
            snprintf(s->status, sizeof s->status, "done");
            free(s->output);
            s->output = strdup("null");
            if (!s->output)
                return err_set(err, "out of memory");
            s->ended_at = now;
            if (put(ctx, s, err) < 0)
                return -1;
        }
        if (strcmp(s->status, "done") == 0 && s->output)
            ctx->results[i] = json_loads(s->output, JSON_DECODE_ANY, NULL);
    }
    return 0;
}

/* Ends the claimed run as failed, with a message of its own (not a
 * step's): the run's release, as every such end in process_run. */
static int fail_run(struct flow_ctx *ctx, struct err *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_run(struct flow_ctx *ctx, struct err *err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return store_flow_run_release(ctx->engine->store, ctx->run, ctx->holder, "failed", now_ms(), NULL, msg,
                                  now_ms(), err);
}

/* Replays a claimed run until it finishes or only waiting is left. */
static int process_run(struct flow_engine *e, struct store_flow_run *run, const char *holder, struct err *err)
{
    const struct flow_function *fn = find_function(e, run->function_id);
    if (!fn)
        return store_flow_run_release(e->store, run, holder, "failed", now_ms(), NULL,
                                      "no such function in this process", now_ms(), err);
    struct flow_ctx ctx = {0};
    ctx.engine = e;
    ctx.run = run;
    ctx.holder = holder;
    ctx.fn = fn;
    ctx.inline_ok = 1;
    ctx.event = json_loads(run->event ? run->event : "{}", 0, NULL);
    int rc = 0;
    if (!ctx.event) { /* the body would get a NULL event */
        rc = fail_run(&ctx, err, "the run's event is not readable JSON (or memory ran out)");
        flow_ctx_clear(&ctx);
        return rc;
    }
    if (load_steps(&ctx, err) < 0) {
        flow_ctx_clear(&ctx);
        json_decref(ctx.event);
        return -1;
    }
    for (int round = 0;; round++) {
        if (ctx.lost)
            break;
        if (e->stopping && round > 0) {
            rc = store_flow_run_release(e->store, run, holder, "queued", now_ms(), NULL, NULL, now_ms(), err);
            break;
        }
        round_clear(&ctx);
        if ((int)ctx.nsteps > e->opts.max_steps) {
            rc = fail_run(&ctx, err, "the run exceeded %d steps", e->opts.max_steps);
            break;
        }
        int result = fn->body(&ctx, ctx.event, fn->user);
        note_return(&ctx);
        if (ctx.oom) { /* the round's plan lost a part: acting on it could collide or pass NULL */
            rc = fail_run(&ctx, err, "memory ran out while the run planned its steps");
            break;
        }
        if (ctx.inline_failed) { /* a checkpoint inside a step call failed */
            *err = ctx.inline_err;
            rc = -1;
            break;
        }
        if (ctx.lost) {
            log_info("run %s (%s) is no longer this worker's: stopped", run->id, run->function_id);
            break;
        }
        if (result == FLOW_RETURN_COMPLETE) {
            char *out = json_dumps(ctx.output, JSON_COMPACT | JSON_ENCODE_ANY);
            rc = store_flow_run_release(e->store, run, holder, "completed", now_ms(), out, NULL, now_ms(), err);
            free(out);
            break;
        }
        if (result == FLOW_RETURN_FAIL) {
            rc = store_flow_run_release(e->store, run, holder, "failed", now_ms(), NULL, ctx.fail_message,
                                        now_ms(), err);
            break;
        }
        if (ctx.nsteps + ctx.npending > (size_t)e->opts.max_steps) {
            rc = fail_run(&ctx, err, "the run exceeded %d steps", e->opts.max_steps);
            break;
        }
        if (ctx.npending == 0 && !ctx.blocked) {
            rc = fail_run(&ctx, err, "the body yielded with no step pending");
            break;
        }
        int progressed = execute_pending(&ctx, err);
        if (progressed < 0) {
            rc = -1;
            break;
        }
        if (ctx.lost) {
            /* Cancelled, or another worker took it over: no more of its steps here. */
            log_info("run %s (%s) is no longer this worker's: stopped", run->id, run->function_id);
            break;
        }
        if (progressed)
            continue;
        /* Only waiting is left. */
        const char *status = ctx.waits_only ? "waiting" : "sleeping";
        rc = store_flow_run_release(e->store, run, holder, status, ctx.wake_at, NULL, NULL, now_ms(), err);
        break;
    }
    flow_ctx_clear(&ctx);
    json_decref(ctx.event);
    json_decref(ctx.output);
    return rc;
}

/* ---- the engine ----------------------------------------------------------- */

int flow_engine_new(const char *location, const char *token, const struct flow_engine_opts *opts,
                    struct flow_engine **out, struct err *err)
{
    struct flow_engine *e = calloc(1, sizeof *e);
    if (!e)
        return err_set(err, "out of memory");
    if (opts)
        e->opts = *opts;
    if (e->opts.workers <= 0)
        e->opts.workers = 4;
    if (e->opts.workers > MAX_WORKERS)
        e->opts.workers = MAX_WORKERS;
    if (e->opts.lease_ms <= 0)
        e->opts.lease_ms = 60000;
    if (e->opts.poll_ms <= 0)
        e->opts.poll_ms = 200;
    if (e->opts.backoff_base_ms <= 0)
        e->opts.backoff_base_ms = 1000;
    if (e->opts.backoff_cap_ms <= 0)
        e->opts.backoff_cap_ms = 2 * 3600 * 1000;
    if (e->opts.max_steps <= 0)
        e->opts.max_steps = 1000;
    if (e->opts.parallel_steps <= 0)
        e->opts.parallel_steps = 8;
    if (e->opts.owner)
        snprintf(e->owner, sizeof e->owner, "%s", e->opts.owner);
    else if (gethostname(e->owner, sizeof e->owner) != 0)
        snprintf(e->owner, sizeof e->owner, "cryptic-bench");
    e->opts.owner = e->owner;
    e->seed = (unsigned)now_ms() ^ (unsigned)getpid();
    pthread_mutex_init(&e->lock, NULL);
    snprintf(e->functions_json, sizeof e->functions_json, "[]");
    struct store_open_opts sopts = {.token = token};
    /* A new, empty database gets the schema; an older one is init-db's to
     * upgrade (after its backup), never the engine's. */
    if (store_open(location, &sopts, &e->store, err) < 0 ||
        (store_schema_version(e->store) == 0 && store_migrate(e->store, NULL, NULL, err) < 0) ||
        store_require_current(e->store, err) < 0) {
        store_close(e->store);
        pthread_mutex_destroy(&e->lock);
        free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void flow_engine_free(struct flow_engine *e)
{
    if (!e)
        return;
    flow_engine_stop(e);
    store_close(e->store);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

int flow_engine_register(struct flow_engine *e, const struct flow_function *fn, struct err *err)
{
    if (e->nfns >= MAX_FUNCTIONS)
        return err_set(err, "more than %d functions", MAX_FUNCTIONS);
    if (!fn->id || !fn->body)
        return err_set(err, "a function needs an id and a body");
    if (find_function(e, fn->id))
        return err_set(err, "function %s is registered twice", fn->id);
    if (fn->cancel_event && !fn->cancel_match)
        return err_set(err, "function %s: a cancel event needs the field to match", fn->id);
    if (fn->cron && cron_parse(fn->cron, &e->crons[e->nfns], err) < 0)
        return err_prefix(err, "function %s", fn->id);
    e->fns[e->nfns++] = *fn;
    json_t *ids = json_array();
    for (int i = 0; i < e->nfns; i++)
        json_array_append_new(ids, json_string(e->fns[i].id));
    char *text = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    if (!text || strlen(text) >= sizeof e->functions_json) {
        free(text);
        e->nfns--;
        return err_set(err, "too many function ids");
    }
    strcpy(e->functions_json, text);
    free(text);
    return 0;
}

int flow_engine_send(struct flow_engine *e, const char *name, const json_t *data, const char *id, char *id_out,
                     struct err *err)
{
    return send_event(e, name, data, id, id_out, NULL, NULL, err);
}

/* flow_engine_send(), from the run sender_id under the lease sender_holder
 * when not NULL: its cancellations are made only while that run is still
 * held, in the same batch. Two evaluate-model runs meeting a 402 at once
 * each send the week's cancel event; without the check each cancelled the
 * other, neither failed with the reason, and the week "completed". */
static int send_event(struct flow_engine *e, const char *name, const json_t *data, const char *id, char *id_out,
                      const char *sender_id, const char *sender_holder, struct err *err)
{
    char gen[40];
    if (!id || !*id) {
        new_id(gen);
        id = gen;
    }
    int64_t now = now_ms();
    json_t *ev = json_pack("{s:s, s:s, s:o, s:I}", "id", id, "name", name, "data",
                           data ? json_deep_copy(data) : json_object(), "ts", (json_int_t)now);
    char *text = json_dumps(ev, JSON_COMPACT);
    struct store_flow_new_run runs[MAX_FUNCTIONS];
    char run_ids[MAX_FUNCTIONS][40];
    char *keys[MAX_FUNCTIONS] = {0};
    size_t nruns = 0;
    for (int i = 0; i < e->nfns; i++) {
        if (!e->fns[i].event || strcmp(e->fns[i].event, name) != 0)
            continue;
        new_id(run_ids[nruns]);
        keys[nruns] = e->fns[i].concurrency_key ? flow_field_text(ev, e->fns[i].concurrency_key) : NULL;
        runs[nruns] = (struct store_flow_new_run){run_ids[nruns], e->fns[i].id, keys[nruns], e->fns[i].concurrency,
                                                  NULL, NULL};
        nruns++;
    }
    int duplicate = 0;
    int rc = store_flow_send(e->store, id, name, text, now, runs, nruns, &duplicate, err);
    for (size_t i = 0; i < nruns; i++)
        free(keys[i]);
    /* Cancellations the functions declare (Inngest's `cancel`). */
    for (int i = 0; rc == 0 && !duplicate && i < e->nfns; i++) {
        const struct flow_function *f = &e->fns[i];
        if (!f->cancel_event || strcmp(f->cancel_event, name) != 0)
            continue;
        char *value = flow_field_text(ev, f->cancel_match);
        if (!value)
            continue;
        char path[256], except[256], reason[700];
        snprintf(path, sizeof path, "$.%s", f->cancel_match);
        snprintf(except, sizeof except, "$.%s", f->cancel_except ? f->cancel_except : "");
        char *except_value = f->cancel_except ? flow_field_text(ev, f->cancel_except) : NULL;
        /* The reason the event gives becomes the cancelled runs' error. */
        const char *why = json_string_value(json_object_get(json_object_get(ev, "data"), "reason"));
        if (why)
            snprintf(reason, sizeof reason, "%.690s", why);
        else
            snprintf(reason, sizeof reason, "cancelled by %s", name);
        int64_t n = 0;
        rc = store_flow_cancel_matching(e->store, f->id, path, value, except_value ? except : NULL, except_value,
                                        sender_id, sender_holder, reason, now, &n, err);
        free(except_value);
        if (rc == 0 && n > 0)
            log_info("%s: cancelled %lld run(s) of %s", name, (long long)n, f->id);
        free(value);
    }
    free(text);
    json_decref(ev);
    if (rc == 0 && id_out)
        snprintf(id_out, 64, "%s", id);
    if (rc == 0 && duplicate)
        log_debug("event %s (%s) was already received: ignored", id, name);
    return rc;
}

/* Claims and processes one run; 1 when there was one. Each claim holds the
 * lease under a name of its own, the owner then a fresh id: when a stalled
 * worker's lease expires and another worker of the same owner (this
 * process, or its restart) takes the run, the stalled one's late
 * checkpoints and release no longer match and do not land. A restart still
 * reclaims everything its owner held (store_flow_reclaim matches the
 * prefix). */
static int work_once(struct flow_engine *e, struct err *err)
{
    struct store_flow_run run;
    int found = 0;
    char claim[40], holder[sizeof e->owner + 48];
    new_id(claim);
    snprintf(holder, sizeof holder, "%s/%s", e->owner, claim);
    int64_t claimed_at = now_ms();
    if (store_flow_claim(e->store, holder, claimed_at, e->opts.lease_ms, e->functions_json, &run, &found, err) < 0)
        return -1;
    if (!found)
        return 0;
    log_debug("run %s (%s) claimed", run.id, run.function_id);
    if (e->opts.on_run && run.started_at == claimed_at) /* the claim set started_at: its first start */
        e->opts.on_run(e->opts.on_run_ctx, e->store, &run);
    int rc = process_run(e, &run, holder, err);
    if (e->opts.on_run && rc >= 0) {
        struct store_flow_run after;
        struct err ignored = {{0}};
        int still = 0;
        if (store_flow_run_get(e->store, run.id, &after, &still, &ignored) == 0 && still) {
            if (strcmp(after.status, "completed") == 0 || strcmp(after.status, "failed") == 0 ||
                strcmp(after.status, "cancelled") == 0)
                e->opts.on_run(e->opts.on_run_ctx, e->store, &after);
            store_flow_run_clear(&after);
        }
    }
    store_flow_run_clear(&run);
    return rc < 0 ? -1 : 1;
}

static void *worker_main(void *arg)
{
    struct flow_engine *e = arg;
    while (!e->stopping) {
        struct err err = {{0}};
        int rc = work_once(e, &err);
        if (rc < 0)
            log_warn("workflow worker: %s", err.msg);
        if (rc <= 0)
            utc_sleep_ms(e->opts.poll_ms);
    }
    return NULL;
}

/* Starts the runs of the cron functions that are due. A database error is
 * logged and that function is tried again on the next tick. */
static void fire_due_crons(struct flow_engine *e, int64_t now)
{
    for (int i = 0; i < e->nfns; i++) {
        const struct flow_function *fn = &e->fns[i];
        if (!fn->cron)
            continue;
        struct err err = {{0}};
        int64_t last;
        if (store_flow_schedule_last(e->store, fn->id, &last, &err) < 0) {
            log_warn("cron: %s: reading its schedule: %s", fn->id, err.msg);
            continue;
        }
        if (last < 0) { /* a fresh schedule has no missed fires */
            if (store_flow_schedule_init(e->store, fn->id, fn->cron, now, &err) < 0)
                log_warn("cron: %s: starting its schedule: %s", fn->id, err.msg);
            continue;
        }
        int64_t next = cron_next(&e->crons[i], last);
        if (next < 0 || next > now)
            continue;
        /* Fire once, even if several were missed while the process was down. */
        char iso[UTC_ISO_SIZE], id[160];
        utc_format_iso(next, iso);
        snprintf(id, sizeof id, "cron-%s-%s", fn->id, iso);
        json_t *data = json_pack("{s:s, s:s}", "cron", fn->cron, "scheduledAt", iso);
        json_t *ev = json_pack("{s:s, s:s, s:O, s:I}", "id", id, "name", "inngest/scheduled.timer", "data", data,
                               "ts", (json_int_t)now);
        char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
        char run_id[40];
        new_id(run_id);
        struct store_flow_new_run nr = {run_id, fn->id, NULL, fn->concurrency, NULL, NULL};
        int duplicate;
        if (!text)
            log_warn("cron: %s: out of memory for its event; tried again on the next tick", fn->id);
        else if (store_flow_send(e->store, id, "inngest/scheduled.timer", text, now, &nr, 1, &duplicate, &err) < 0)
            log_warn("cron: %s: starting its run: %s", fn->id, err.msg);
        else if (store_flow_schedule_fired(e->store, fn->id, fn->cron, now, &err) < 0)
            log_warn("cron: %s fired (%s), but its schedule was not updated: %s", fn->id, iso, err.msg);
        else
            log_info("cron: %s fired (%s)", fn->id, iso);
        free(text);
        json_decref(ev);
        json_decref(data);
    }
}

static void *scheduler_main(void *arg)
{
    struct flow_engine *e = arg;
    fire_due_crons(e, now_ms());
    while (!e->stopping) {
        utc_sleep_ms(e->opts.poll_ms);
        fire_due_crons(e, now_ms());
    }
    return NULL;
}

int flow_engine_start(struct flow_engine *e, struct err *err)
{
    if (e->started)
        return 0;
    if (store_flow_reclaim(e->store, e->owner, now_ms(), err) < 0)
        return err_prefix(err, "cannot reclaim this process's runs");
    e->stopping = 0;
    for (int i = 0; i < e->opts.workers; i++)
        if (pthread_create(&e->threads[e->nthreads], NULL, worker_main, e) == 0)
            e->nthreads++;
    if (e->opts.cron && pthread_create(&e->threads[e->nthreads], NULL, scheduler_main, e) == 0)
        e->nthreads++;
    e->started = 1;
    return 0;
}

void flow_engine_stop(struct flow_engine *e)
{
    if (!e->started)
        return;
    e->stopping = 1;
    for (int i = 0; i < e->nthreads; i++)
        pthread_join(e->threads[i], NULL);
    e->nthreads = 0;
    e->started = 0;
    struct err err = {{0}};
    store_flow_reclaim(e->store, e->owner, now_ms(), &err);
}

int flow_engine_drain(struct flow_engine *e, int64_t timeout_ms, struct err *err)
{
    int64_t deadline = now_ms() + timeout_ms;
    if (!e->started && store_flow_reclaim(e->store, e->owner, now_ms(), err) < 0)
        return -1;
    while (now_ms() < deadline) {
        int rc = work_once(e, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            /* Nothing runnable now: done unless something sleeps briefly. */
            int64_t next;
            if (store_flow_next_ready(e->store, e->functions_json, &next, err) < 0)
                return -1;
            if (next < 0 || next > deadline)
                return 0;
            utc_sleep_ms(next - now_ms() > e->opts.poll_ms ? e->opts.poll_ms : next - now_ms());
        }
    }
    return 0;
}

struct store *flow_engine_store(struct flow_engine *e)
{
    return e->store;
}

int flow_engine_wait_idle(struct flow_engine *e, int64_t timeout_ms, void (*on_tick)(void *ctx), void *ctx,
                          struct err *err)
{
    int64_t deadline = now_ms() + timeout_ms, next_tick = now_ms() + 500;
    for (;;) {
        int64_t active;
        if (store_flow_active_runs(e->store, e->functions_json, &active, err) < 0)
            return -1;
        if (active == 0)
            return 0;
        if (now_ms() >= deadline)
            return 1;
        if (on_tick && now_ms() >= next_tick) {
            on_tick(ctx);
            next_tick = now_ms() + 500;
        }
        utc_sleep_ms(e->opts.poll_ms < 50 ? e->opts.poll_ms : 50);
    }
}

const struct flow_function *flow_engine_functions(const struct flow_engine *e, int *count)
{
    *count = e->nfns;
    return e->fns;
}
