/*
 * inngest_app.c - the protocol scenarios of tests/inngest/ref_app.mjs (the
 * official SDK's app) as C bodies behind our Inngest serve endpoint, so the
 * fake executor runs the very same suite against both. Configured like
 * `serve` by the INNGEST_* variables; prints "PORT <n>" once listening and
 * runs until SIGTERM.
 *
 *   inngest_app DB
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pipeline_config.h"
#include "flow/flow.h"
#include "flow/inngest.h"
#include "store/store.h"
#include "web/server.h"

/* ---- step functions ------------------------------------------------------------ */

static int int_step(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    *out = json_integer(*(json_int_t *)arg);
    return 0;
}

static int text_step(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    *out = json_string(arg);
    return 0;
}

static int boom_step(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)arg;
    (void)out;
    snprintf(e->message, sizeof e->message, "boom");
    e->retriable = 1;
    return -1;
}

/* flaky: fails its first two executions within a run. */
static pthread_mutex_t flaky_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char run[64];
    int count;
} flaky_runs[64];

static int flaky_step(void *arg, json_t **out, struct flow_step_error *e)
{
    const char *run = arg;
    int k = 0;
    pthread_mutex_lock(&flaky_lock);
    for (size_t i = 0; i < sizeof flaky_runs / sizeof flaky_runs[0]; i++)
        if (strcmp(flaky_runs[i].run, run) == 0 || !flaky_runs[i].run[0]) {
            snprintf(flaky_runs[i].run, sizeof flaky_runs[i].run, "%s", run);
            k = ++flaky_runs[i].count;
            break;
        }
    pthread_mutex_unlock(&flaky_lock);
    if (k <= 2) {
        snprintf(e->message, sizeof e->message, "transient %d", k);
        e->retriable = 1;
        return -1;
    }
    char text[32];
    snprintf(text, sizeof text, "ok after %d", k);
    *out = json_string(text);
    return 0;
}

static json_int_t data_int(const json_t *event, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(event, "data"), key));
}

static int complete(struct flow_ctx *ctx, json_t *out)
{
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

/* ---- bodies ------------------------------------------------------------------------ */

static int serial(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    const json_t *a, *b, *loop[3];
    json_int_t v = data_int(event, "x") + 1;
    if (flow_step_run(ctx, "add-one", int_step, &v, sizeof v, &a) == FLOW_PENDING)
        return flow_yield(ctx);
    v = json_integer_value(a) * 2;
    if (flow_step_run(ctx, "double", int_step, &v, sizeof v, &b) == FLOW_PENDING)
        return flow_yield(ctx);
    for (json_int_t i = 0; i < 3; i++)
        if (flow_step_run(ctx, "loop", int_step, &i, sizeof i, &loop[i]) == FLOW_PENDING)
            return flow_yield(ctx);
    return complete(ctx, json_pack("{s:O, s:O, s:[O,O,O]}", "a", a, "b", b, "loops", loop[0], loop[1], loop[2]));
}

static int parallel(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *r[3], *joined;
    int pending = 0;
    pending |= flow_step_run(ctx, "p1", text_step, "one", 4, &r[0]);
    pending |= flow_step_run(ctx, "p2", text_step, "two", 4, &r[1]);
    pending |= flow_step_run(ctx, "p3", text_step, "three", 6, &r[2]);
    if (pending)
        return flow_yield(ctx);
    char all[64];
    snprintf(all, sizeof all, "%s+%s+%s", json_string_value(r[0]), json_string_value(r[1]), json_string_value(r[2]));
    if (flow_step_run(ctx, "join", text_step, all, strlen(all) + 1, &joined) == FLOW_PENDING)
        return flow_yield(ctx);
    return complete(ctx, json_pack("{s:O}", "joined", joined));
}

static int sleepy(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    json_int_t one = 1, two = 2;
    if (flow_step_run(ctx, "before", int_step, &one, sizeof one, NULL) == FLOW_PENDING ||
        flow_step_sleep(ctx, "nap", 2000) == FLOW_PENDING ||
        flow_step_run(ctx, "after", int_step, &two, sizeof two, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    return complete(ctx, json_pack("{s:b}", "done", 1));
}

static int waiter(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *ev;
    if (flow_step_wait_for_event(ctx, "approval", "test/approved", "data.id", 3600 * 1000, &ev) == FLOW_PENDING)
        return flow_yield(ctx);
    json_t *by = ev ? json_object_get(json_object_get(ev, "data"), "by") : NULL;
    return complete(ctx, json_pack("{s:O}", "approved_by", by ? by : json_null()));
}

static int child(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    const json_t *d;
    json_int_t v = data_int(event, "n") * 2;
    if (flow_step_run(ctx, "double", int_step, &v, sizeof v, &d) == FLOW_PENDING)
        return flow_yield(ctx);
    return complete(ctx, json_pack("{s:O}", "doubled", d));
}

static int parent(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    const json_t *r;
    json_t *data = json_pack("{s:I}", "n", data_int(event, "n"));
    int rc = flow_step_invoke(ctx, "call-child", "child", data, &r);
    json_decref(data);
    if (rc == FLOW_PENDING)
        return flow_yield(ctx);
    return complete(ctx, json_pack("{s:O}", "child", r ? r : json_null()));
}

static int flaky(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    char run[64];
    snprintf(run, sizeof run, "%s", flow_run_id(ctx));
    const json_t *r;
    if (flow_step_run(ctx, "flaky", flaky_step, run, sizeof run, &r) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_failed(r))
        return flow_fail(ctx, flow_step_failed(r));
    return complete(ctx, json_pack("{s:O}", "result", r));
}

static int doomed(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *r;
    if (flow_step_run(ctx, "explode", boom_step, NULL, 0, &r) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_fail(ctx, flow_step_failed(r) ? flow_step_failed(r) : "boom");
}

static int sender(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *out;
    json_t *ev = json_pack("{s:s, s:{s:s}}", "name", "test/emitted", "data", "from", "sender");
    int rc = flow_step_send_event(ctx, "emit", ev, &out);
    json_decref(ev);
    if (rc == FLOW_PENDING)
        return flow_yield(ctx);
    return complete(ctx, json_pack("{s:i}", "sent", (int)json_array_size(json_object_get(out, "ids"))));
}

static int scheduled(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *r;
    if (flow_step_run(ctx, "tick", text_step, "tick", 5, &r) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, r);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: inngest_app DB\n");
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    const struct flow_function fns[] = {
        {.id = "serial", .event = "test/serial", .retries = 2, .concurrency = 1, .concurrency_key = "data.key",
         .body = serial},
        {.id = "parallel", .event = "test/parallel", .retries = -1, .body = parallel},
        {.id = "sleepy", .event = "test/sleepy", .retries = -1, .body = sleepy},
        {.id = "waiter", .event = "test/wait", .retries = -1, .cancel_event = "test/cancel", .cancel_match = "data.id",
         .body = waiter},
        {.id = "child", .event = "test/child", .retries = -1, .body = child},
        {.id = "parent", .event = "test/parent", .retries = -1, .body = parent},
        {.id = "flaky", .event = "test/flaky", .retries = 3, .body = flaky},
        {.id = "doomed", .event = "test/doomed", .retries = 1, .body = doomed},
        {.id = "sender", .event = "test/send", .retries = -1, .body = sender},
        {.id = "scheduled", .cron = "TZ=Europe/Paris 0 12 * * 5", .retries = -1, .body = scheduled},
    };
    struct flow_engine_opts eo = {.owner = "inngest-app", .workers = 1};
    struct flow_engine *engine = NULL;
    struct flow_inngest *inngest = NULL;
    struct web_server *server = NULL;
    struct flow_inngest_opts io;
    struct err err = {{0}};
    int status = 1;
    if (!cli_inngest_opts(&io)) {
        fprintf(stderr, "inngest_app: set INNGEST_SIGNING_KEY or INNGEST_DEV\n");
        return 2;
    }
    /* The engine wants a database; on Inngest it only holds the function list. */
    struct store *store = NULL;
    struct store_open_opts so = {.create = 1};
    if (store_open(argv[1], &so, &store, &err) < 0 || store_migrate(store, NULL, NULL, &err) < 0) {
        store_close(store);
        goto out;
    }
    store_close(store);
    if (flow_engine_new(argv[1], NULL, &eo, &engine, &err) < 0)
        goto out;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (flow_engine_register(engine, &fns[i], &err) < 0)
            goto out;
    if (flow_inngest_new(engine, &io, &inngest, &err) < 0)
        goto out;
    struct web_server_opts wo = {.listen = "127.0.0.1:0", .threads = 8, .inngest = inngest, .inngest_events = &io};
    if (web_server_start(engine, &wo, &server, &err) < 0)
        goto out;
    printf("PORT %d\n", web_server_port(server));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    status = 0;
out:
    if (status)
        fprintf(stderr, "inngest_app: %s\n", err.msg);
    web_server_stop(server);
    flow_inngest_free(inngest);
    flow_engine_free(engine);
    return status;
}
