/*
 * test_flow.c - the embedded workflow engine on a real SQLite file: memoized
 * replay, parallel steps, sequential steps run in the call (and parallel ones
 * after them still in parallel), retries (backoff, Retry-After, non-retriable,
 * exhausted), sleep and wake-up across a restart, send-event, invoke (output
 * and failure), wait-for-event (match and timeout), concurrency per key,
 * idempotent event ids, the step cap, cancel and retry, cron across DST.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/report.h"
#include "core/utc.h"
#include "flow/cron.h"
#include "flow/flow.h"

static char *dir, *db;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int calls[64];
static int fail_times[64];
static int64_t call_times[64][8];
static int in_flight, max_in_flight;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    db = tu_path(dir, "flow.db");
    /* The schema as store/ makes it (no binary: this tests the engine). */
    struct store *st = NULL;
    struct store_open_opts so = {.create = 1};
    struct err err = {{0}};
    if (store_open(db, &so, &st, &err) != 0 || store_migrate(st, NULL, NULL, &err) != 0)
        fail_msg("%s: %s", db, err.msg);
    store_close(st);
    memset(calls, 0, sizeof calls);
    memset(fail_times, 0, sizeof fail_times);
    memset(call_times, 0, sizeof call_times);
    in_flight = max_in_flight = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    free(dir);
    free(db);
    return 0;
}

static struct flow_engine *engine(int workers)
{
    struct flow_engine_opts o = {.owner = "test", .workers = workers, .lease_ms = 5000, .poll_ms = 10,
                                 .backoff_base_ms = 20, .backoff_cap_ms = 200};
    struct flow_engine *e;
    struct err err = {{0}};
    if (flow_engine_new(db, NULL, &o, &e, &err) != 0)
        fail_msg("%s", err.msg);
    return e;
}

static void reg(struct flow_engine *e, struct flow_function f)
{
    struct err err = {{0}};
    if (flow_engine_register(e, &f, &err) != 0)
        fail_msg("%s", err.msg);
}

static void send(struct flow_engine *e, const char *name, json_t *data, const char *id)
{
    struct err err = {{0}};
    if (flow_engine_send(e, name, data, id, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    json_decref(data);
}

/* The cap of a drain that waits for the work to be done: generous, for a
 * loaded machine (drain returns as soon as nothing is left to run), and
 * still short of the 60 s naps some tests count on not being awaited. The
 * few shorter drains are meant to stop before a sleeping run wakes. */
#define DONE_MS 30000

static void drain(struct flow_engine *e, int64_t ms)
{
    struct err err = {{0}};
    if (flow_engine_drain(e, ms, &err) != 0)
        fail_msg("%s", err.msg);
}

static char *run_row(const char *function)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT status, coalesce(output, ''), coalesce(error, '') FROM flow_runs "
                              "WHERE function_id = '%s' ORDER BY created_at", function);
    return tu_sql(db, sql);
}

/* Cancels or retries run id from outside the engine, on a connection of
 * its own, as `runs cancel` / `runs retry` do; returns whether it changed. */
static int from_outside(int (*change)(struct store *, const char *, int64_t, int *, struct err *), const char *id)
{
    struct store *st = NULL;
    struct store_open_opts so = {0};
    struct err err = {{0}};
    int changed = 0;
    if (store_open(db, &so, &st, &err) != 0 || change(st, id, utc_now_real_ms(), &changed, &err) != 0)
        fail_msg("%s: %s", id, err.msg);
    store_close(st);
    return changed;
}

/* ---- step bodies ---- */

/* Counts calls of step N; fails the first fail_times[N] calls. */
static int counted(void *arg, json_t **out, struct flow_step_error *e)
{
    int n = (int)(intptr_t)arg;
    pthread_mutex_lock(&lock);
    int call = calls[n]++;
    if (call < 8)
        call_times[n][call] = utc_mono_ms();
    int fail = call < fail_times[n];
    pthread_mutex_unlock(&lock);
    if (fail) {
        snprintf(e->message, sizeof e->message, "step %d failed on call %d", n, call + 1);
        e->retriable = 1;
        e->retry_after_ms = -1;
        return -1;
    }
    *out = json_integer(n * 10);
    return 0;
}

static int slow(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    pthread_mutex_lock(&lock);
    calls[(intptr_t)arg]++;
    if (++in_flight > max_in_flight)
        max_in_flight = in_flight;
    pthread_mutex_unlock(&lock);
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&lock);
    in_flight--;
    pthread_mutex_unlock(&lock);
    *out = json_true();
    return 0;
}

/* Like slow, but instead of sleeping waits until all four parts of
 * test_parallel_steps are in flight (a generous cap, for a loaded machine):
 * they can only all get there if the engine runs them at once. Proving it
 * by state, not by a time bound on the run that load could break. */
static pthread_cond_t all_in = PTHREAD_COND_INITIALIZER;

static int gather(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&lock);
    calls[(intptr_t)arg]++;
    if (++in_flight > max_in_flight)
        max_in_flight = in_flight;
    pthread_cond_broadcast(&all_in);
    while (max_in_flight < 4 && pthread_cond_timedwait(&all_in, &lock, &until) == 0)
        ;
    in_flight--;
    pthread_mutex_unlock(&lock);
    *out = json_true();
    return 0;
}

static int fatal(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)arg;
    (void)out;
    pthread_mutex_lock(&lock);
    calls[40]++;
    pthread_mutex_unlock(&lock);
    snprintf(e->message, sizeof e->message, "bad input: not retried");
    e->retriable = 0;
    return -1;
}

static int after_header(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    int call = calls[41]++;
    if (call < 8)
        call_times[41][call] = utc_mono_ms();
    pthread_mutex_unlock(&lock);
    if (call == 0) {
        snprintf(e->message, sizeof e->message, "HTTP 429");
        e->retriable = 1;
        e->retry_after_ms = 300;
        return -1;
    }
    *out = json_string("ok");
    return 0;
}

/* ---- function bodies ---- */

static int three_steps(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *a, *b, *c;
    if (flow_step_run(ctx, "a", counted, (void *)1, 0, &a) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "b", counted, (void *)2, 0, &b) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "a", counted, (void *)3, 0, &c) == FLOW_PENDING) /* a repeated id: "a:1" */
        return flow_yield(ctx);
    json_t *out = json_integer(json_integer_value(a) + json_integer_value(b) + json_integer_value(c));
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

static void test_memoized_replay(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "three", .event = "test/three", .retries = -1, .body = three_steps});
    send(e, "test/three", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("three");
    assert_string_equal(row, "completed|60|\n");
    free(row);
    /* Each step's callback ran once, although the body replayed four times. */
    assert_int_equal(calls[1], 1);
    assert_int_equal(calls[2], 1);
    assert_int_equal(calls[3], 1);
    char *steps = tu_sql(db, "SELECT name, status, output, attempts FROM flow_steps ORDER BY seq");
    assert_string_equal(steps, "a|done|10|1\nb|done|20|1\na:1|done|30|1\n");
    free(steps);
    /* Step state is keyed by the hex SHA-1 of the id. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_steps WHERE hash = '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8'"), 1);
    flow_engine_free(e);
}

/* The step each of parallel_body's four parts runs: a function's user, if
 * it has one (gather_step), else slow. */
static flow_step_fn gather_step = gather;

static int parallel_body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    flow_step_fn fn = user ? *(flow_step_fn *)user : slow;
    int pending = 0;
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "part-%d", i);
        pending |= flow_step_run(ctx, id, fn, (void *)(intptr_t)(10 + i), 0, NULL) == FLOW_PENDING;
    }
    if (pending)
        return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}


/* The four steps asked for in one round run at once: all four are in
 * flight together (gather), which four steps one after another never are. */
static void test_parallel_steps(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "parallel", .event = "test/parallel", .retries = -1, .body = parallel_body,
                                  .user = &gather_step});
    send(e, "test/parallel", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("parallel");
    assert_string_equal(row, "completed|null|\n");
    free(row);
    assert_int_equal(max_in_flight, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(calls[10 + i], 1);
    flow_engine_free(e);
}

/* Sequential steps from one call site: after the first round, the engine
 * executes each new step during the call (no replay per step). Each step
 * checks, through a connection of its own, that every earlier step's
 * result is already committed: nothing runs before what it depends on is
 * durable. */
static int body_calls;
static int committed_before[64];

static int sequential_step(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    int n = (int)(intptr_t)arg;
    committed_before[n] = (int)tu_sql_int(db, "SELECT count(*) FROM flow_steps WHERE status = 'done'");
    pthread_mutex_lock(&lock);
    calls[n]++;
    pthread_mutex_unlock(&lock);
    *out = json_integer(n);
    return 0;
}

static int sequential_body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    body_calls++;
    json_int_t sum = 0;
    for (int i = 0; i < 30; i++) {
        const json_t *r;
        char id[16];
        snprintf(id, sizeof id, "s-%d", i);
        if (flow_step_run(ctx, id, sequential_step, (void *)(intptr_t)i, 0, &r) == FLOW_PENDING)
            return flow_yield(ctx);
        sum += json_integer_value(r);
    }
    json_t *out = json_integer(sum);
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

static void test_sequential_steps_run_in_the_call(void **state)
{
    (void)state;
    body_calls = 0;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "seq", .event = "test/seq", .retries = -1, .body = sequential_body});
    send(e, "test/seq", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("seq");
    assert_string_equal(row, "completed|435|\n"); /* 0 + 1 + ... + 29 */
    free(row);
    for (int i = 0; i < 30; i++) {
        assert_int_equal(calls[i], 1);
        assert_int_equal(committed_before[i], i);
    }
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_steps WHERE status = 'done'"), 30);
    assert_int_equal(tu_sql_int(db, "SELECT count(DISTINCT seq) FROM flow_steps"), 30);
    /* One round to learn that the call site is sequential, one for the rest:
     * not one replay per step. */
    assert_int_equal(body_calls, 2);
    flow_engine_free(e);
}

/* A sequential step, then parallel ones from another call site: the
 * parallel ones still run at the same time. */
static int plan_then_parallel(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    if (flow_step_run(ctx, "plan", counted, (void *)30, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "plan-2", counted, (void *)31, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    int pending = 0;
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "part-%d", i);
        pending |= flow_step_run(ctx, id, slow, (void *)(intptr_t)(10 + i), 0, NULL) == FLOW_PENDING;
    }
    if (pending)
        return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}

static void test_parallel_after_sequential(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "mixed", .event = "test/mixed", .retries = -1, .body = plan_then_parallel});
    send(e, "test/mixed", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("mixed");
    assert_string_equal(row, "completed|null|\n");
    free(row);
    assert_true(max_in_flight >= 2);
    assert_int_equal(calls[30], 1);
    assert_int_equal(calls[31], 1);
    for (int i = 0; i < 4; i++)
        assert_int_equal(calls[10 + i], 1);
    flow_engine_free(e);
}

static int retry_body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *r1, *r2, *r3;
    int pending = flow_step_run(ctx, "flaky", counted, (void *)20, 0, &r1) == FLOW_PENDING;
    pending |= flow_step_run(ctx, "fatal", fatal, NULL, 0, &r2) == FLOW_PENDING;
    pending |= flow_step_run(ctx, "hopeless", counted, (void *)21, 0, &r3) == FLOW_PENDING;
    if (pending)
        return flow_yield(ctx);
    json_t *out = json_pack("{s:O, s:s?, s:s?}", "flaky", (json_t *)r1, "fatal", flow_step_failed(r2), "hopeless",
                            flow_step_failed(r3));
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

/* parallel_steps caps how many run steps of one run execute at once. */
static void test_parallel_steps_are_capped(void **state)
{
    (void)state;
    struct flow_engine_opts o = {.owner = "test", .workers = 1, .lease_ms = 5000, .poll_ms = 10,
                                 .backoff_base_ms = 20, .backoff_cap_ms = 200, .parallel_steps = 2};
    struct flow_engine *e;
    struct err err = {{0}};
    if (flow_engine_new(db, NULL, &o, &e, &err) != 0)
        fail_msg("%s", err.msg);
    reg(e, (struct flow_function){.id = "parallel", .event = "test/parallel", .retries = -1, .body = parallel_body});
    send(e, "test/parallel", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("parallel");
    assert_string_equal(row, "completed|null|\n");
    free(row);
    assert_int_equal(max_in_flight, 2);
    for (int i = 0; i < 4; i++)
        assert_int_equal(calls[10 + i], 1);
    flow_engine_free(e);
}

static void test_retries(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "retry", .event = "test/retry", .retries = 2, .body = retry_body});
    fail_times[20] = 2;   /* succeeds on the third call */
    fail_times[21] = 100; /* never: retries run out */
    send(e, "test/retry", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("retry");
    assert_string_equal(row, "completed|{\"flaky\":200,\"fatal\":\"bad input: not retried\",\"hopeless\":"
                             "\"step 21 failed on call 3\"}|\n");
    free(row);
    assert_int_equal(calls[20], 3);
    assert_int_equal(calls[40], 1); /* non-retriable: once */
    assert_int_equal(calls[21], 3); /* 1 + 2 retries */
    /* Exponential backoff: about 20 ms, then 40 ms (plus jitter). */
    assert_true(call_times[20][1] - call_times[20][0] >= 20);
    assert_true(call_times[20][2] - call_times[20][1] >= 40);
    char *steps = tu_sql(db, "SELECT name, status, attempts FROM flow_steps ORDER BY name");
    assert_string_equal(steps, "fatal|failed|1\nflaky|done|3\nhopeless|failed|3\n");
    free(steps);
    flow_engine_free(e);
}

static int retry_after_body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    if (flow_step_run(ctx, "limited", after_header, NULL, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}

static void test_retry_after_wins(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "after", .event = "test/after", .retries = -1, .body = retry_after_body});
    send(e, "test/after", json_object(), NULL);
    drain(e, DONE_MS);
    assert_int_equal(calls[41], 2);
    assert_true(call_times[41][1] - call_times[41][0] >= 300); /* not the 20 ms backoff */
    flow_engine_free(e);
}

static int sleeper(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    if (flow_step_run(ctx, "before", counted, (void *)30, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_sleep(ctx, "nap", 3000) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "after", counted, (void *)31, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}

static void test_sleep_survives_a_restart(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    struct flow_function f = {.id = "sleeper", .event = "test/sleep", .retries = -1, .body = sleeper};
    reg(e, f);
    send(e, "test/sleep", json_object(), NULL);
    int64_t start = utc_mono_ms();
    drain(e, 1500); /* runs "before", then the run sleeps (3 s: not awaited, even on a loaded machine) */
    char *row = run_row("sleeper");
    assert_string_equal(row, "sleeping||\n");
    free(row);
    flow_engine_free(e); /* the process goes away */
    e = engine(1);
    reg(e, f);
    drain(e, DONE_MS);
    row = run_row("sleeper");
    assert_string_equal(row, "completed|null|\n");
    free(row);
    assert_true(utc_mono_ms() - start >= 3000);
    assert_int_equal(calls[30], 1);
    assert_int_equal(calls[31], 1);
    flow_engine_free(e);
}

static int pinger(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    json_t *ev = json_pack("{s:s, s:{s:O}}", "name", "test/ping", "data", "week",
                           json_object_get(json_object_get(event, "data"), "week"));
    const json_t *ids;
    int rc = flow_step_send_event(ctx, "ping", ev, &ids);
    json_decref(ev);
    if (rc == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, ids);
}

static int ponger(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    return flow_complete(ctx, json_object_get(event, "data"));
}

static int doubler(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    json_int_t n = json_integer_value(json_object_get(json_object_get(event, "data"), "n"));
    if (n < 0)
        return flow_fail(ctx, "negative input");
    json_t *out = json_pack("{s:I}", "doubled", n * 2);
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

static int invoker(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *ok, *bad;
    json_t *d1 = json_pack("{s:i}", "n", 21), *d2 = json_pack("{s:i}", "n", -1);
    int pending = flow_step_invoke(ctx, "good", "double", d1, &ok) == FLOW_PENDING;
    pending |= flow_step_invoke(ctx, "bad", "double", d2, &bad) == FLOW_PENDING;
    json_decref(d1);
    json_decref(d2);
    if (pending)
        return flow_yield(ctx);
    json_t *out = json_pack("{s:O, s:s?}", "good", (json_t *)ok, "bad", flow_step_failed(bad));
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

static void test_send_event_and_invoke(void **state)
{
    (void)state;
    struct flow_engine *e = engine(2);
    reg(e, (struct flow_function){.id = "ping", .event = "test/start", .retries = -1, .body = pinger});
    reg(e, (struct flow_function){.id = "pong", .event = "test/ping", .retries = -1, .body = ponger});
    reg(e, (struct flow_function){.id = "double", .retries = -1, .body = doubler});
    reg(e, (struct flow_function){.id = "invoker", .event = "test/invoke", .retries = -1, .body = invoker});
    send(e, "test/start", json_pack("{s:s}", "week", "2026-W14"), NULL);
    send(e, "test/invoke", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("pong");
    assert_string_equal(row, "completed|{\"week\":\"2026-W14\"}|\n");
    free(row);
    row = run_row("invoker");
    assert_string_equal(row, "completed|{\"good\":{\"doubled\":42},\"bad\":\"negative input\"}|\n");
    free(row);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE function_id = 'double' AND parent_run_id IS NOT NULL"), 2);
    flow_engine_free(e);
}

/* A step that fails for good with a class and a status, as data. */
static int no_credits(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)arg;
    (void)out;
    snprintf(e->message, sizeof e->message, "HTTP 402: Insufficient credits");
    e->retriable = 0;
    e->error_class = ERR_CLASS_RUN_FATAL;
    e->status = 402;
    return -1;
}

/* n 1: passes its step's classified failure on as the run's; n 2: fails
 * model-fatal 404 itself. */
static int classified(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    if (json_integer_value(json_object_get(json_object_get(event, "data"), "n")) == 2)
        return flow_fail_error(ctx, ERR_CLASS_MODEL_FATAL, 404, "HTTP 404: gone");
    const json_t *r;
    if (flow_step_run(ctx, "charge", no_credits, NULL, 0, &r) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_fail_error(ctx, flow_step_error_class(r), flow_step_error_status(r), flow_step_failed(r));
}

static json_t *error_of(const json_t *r)
{
    const char *cls = err_class_name(flow_step_error_class(r));
    return json_pack("{s:s, s:i, s:s?}", "class", cls ? cls : "none", "status", flow_step_error_status(r),
                     "message", flow_step_failed(r));
}

static int classifier(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *a, *b;
    json_t *d1 = json_pack("{s:i}", "n", 1), *d2 = json_pack("{s:i}", "n", 2);
    int pending = flow_step_invoke(ctx, "a", "classified", d1, &a) == FLOW_PENDING;
    pending |= flow_step_invoke(ctx, "b", "classified", d2, &b) == FLOW_PENDING;
    json_decref(d1);
    json_decref(d2);
    if (pending)
        return flow_yield(ctx);
    json_t *out = json_pack("{s:o, s:o}", "a", error_of(a), "b", error_of(b));
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

/* A step's and a run's failure carry {class, status, message} as data:
 * stored with the step and the run, and seen by a parent that invoked it,
 * with no class written into the message. */
static void test_errors_carry_class_and_status(void **state)
{
    (void)state;
    struct flow_engine *e = engine(2);
    reg(e, (struct flow_function){.id = "classified", .retries = 0, .body = classified});
    reg(e, (struct flow_function){.id = "classifier", .event = "test/classify", .retries = -1, .body = classifier});
    send(e, "test/classify", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("classifier");
    assert_string_equal(row, "completed|{\"a\":{\"class\":\"run-fatal\",\"status\":402,"
                             "\"message\":\"HTTP 402: Insufficient credits\"},\"b\":{\"class\":\"model-fatal\","
                             "\"status\":404,\"message\":\"HTTP 404: gone\"}}|\n");
    free(row);
    row = tu_sql(db, "SELECT error, error_class, error_status FROM flow_runs WHERE function_id = 'classified' "
                     "ORDER BY error_status");
    assert_string_equal(row, "HTTP 402: Insufficient credits|run-fatal|402\nHTTP 404: gone|model-fatal|404\n");
    free(row);
    row = tu_sql(db, "SELECT status, error_class, error_status FROM flow_steps WHERE name = 'charge'");
    assert_string_equal(row, "failed|run-fatal|402\n");
    free(row);
    flow_engine_free(e);
}

static int waiter(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    int64_t timeout = json_integer_value(json_object_get(json_object_get(event, "data"), "timeout"));
    const json_t *got;
    if (flow_step_wait_for_event(ctx, "approval", "test/approved", "data.week", timeout, &got) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, got ? json_object_get(got, "data") : NULL);
}

static void test_wait_for_event(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "wait", .event = "test/wait", .retries = -1, .body = waiter});
    send(e, "test/wait", json_pack("{s:s, s:i}", "week", "2026-W14", "timeout", 10000), "w1");
    send(e, "test/wait", json_pack("{s:s, s:i}", "week", "2026-W15", "timeout", 200), "w2");
    drain(e, 50);
    /* An event for another week does not match the first. */
    send(e, "test/approved", json_pack("{s:s, s:s}", "week", "2026-W99", "by", "nobody"), NULL);
    drain(e, 50);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE status = 'waiting' AND event_id = 'w1'"), 1);
    send(e, "test/approved", json_pack("{s:s, s:s}", "week", "2026-W14", "by", "editor"), NULL);
    drain(e, DONE_MS);
    char *rows = tu_sql(db, "SELECT event_id, status, output FROM flow_runs ORDER BY event_id");
    assert_string_equal(rows, "w1|completed|{\"week\":\"2026-W14\",\"by\":\"editor\"}\nw2|completed|null\n");
    free(rows);
    flow_engine_free(e);
}

static int limited(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    const char *model = json_string_value(json_object_get(json_object_get(event, "data"), "model"));
    intptr_t slot = strcmp(model, "a") == 0 ? 50 : 51;
    if (flow_step_run(ctx, "work", slow, (void *)slot, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}

static void test_concurrency_per_key(void **state)
{
    (void)state;
    struct flow_engine *e = engine(4);
    reg(e, (struct flow_function){.id = "limited", .event = "test/limited", .retries = -1, .concurrency = 1,
                                  .concurrency_key = "data.model", .body = limited});
    for (int i = 0; i < 3; i++)
        send(e, "test/limited", json_pack("{s:s}", "model", "a"), NULL);
    send(e, "test/limited", json_pack("{s:s}", "model", "b"), NULL);
    struct err err = {{0}};
    assert_int_equal(flow_engine_start(e, &err), 0);
    int64_t start = utc_mono_ms();
    while (tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE status <> 'completed'") > 0 && utc_mono_ms() - start < DONE_MS) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    flow_engine_stop(e);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE status = 'completed'"), 4);
    /* Model a's three runs never overlapped: at most 2 at once overall (a and b). */
    assert_true(max_in_flight <= 2);
    assert_true(utc_mono_ms() - start >= 3 * 150);
    flow_engine_free(e);
}

static void test_idempotent_event_ids(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "three", .event = "test/three", .retries = -1, .body = three_steps});
    send(e, "test/three", json_object(), "same-id");
    send(e, "test/three", json_object(), "same-id");
    drain(e, DONE_MS);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs"), 1);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 1);
    assert_int_equal(calls[1], 1);
    flow_engine_free(e);
}

static int many_steps(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    for (int i = 0; i < 20; i++)
        if (flow_step_run(ctx, "step", counted, (void *)60, 0, NULL) == FLOW_PENDING)
            return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}

static void test_step_cap(void **state)
{
    (void)state;
    struct flow_engine_opts o = {.owner = "test", .workers = 1, .poll_ms = 10, .max_steps = 10};
    struct flow_engine *e;
    struct err err = {{0}};
    assert_int_equal(flow_engine_new(db, NULL, &o, &e, &err), 0);
    reg(e, (struct flow_function){.id = "many", .event = "test/many", .retries = -1, .body = many_steps});
    send(e, "test/many", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("many");
    assert_string_equal(row, "failed||the run exceeded 10 steps\n");
    free(row);
    assert_true(calls[60] <= 11);
    flow_engine_free(e);
}

static int fails_then_works(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *r;
    if (flow_step_run(ctx, "once", counted, (void *)61, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "flaky", counted, (void *)62, 0, &r) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_failed(r))
        return flow_fail(ctx, flow_step_failed(r));
    if (flow_step_sleep(ctx, "long-nap", 60000) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}

static void test_cancel_and_retry(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "ftw", .event = "test/ftw", .retries = 0, .body = fails_then_works});
    fail_times[62] = 1;
    send(e, "test/ftw", json_object(), "r1");
    drain(e, DONE_MS);
    char *row = run_row("ftw");
    assert_string_equal(row, "failed||step 62 failed on call 1\n");
    free(row);
    char *id = tu_sql(db, "SELECT id FROM flow_runs WHERE event_id = 'r1'");
    id[strcspn(id, "\n")] = '\0';
    assert_true(from_outside(store_flow_run_retry, id));
    drain(e, DONE_MS);
    /* The checkpointed step did not run again; the failed one did; now it sleeps. */
    assert_int_equal(calls[61], 1);
    assert_int_equal(calls[62], 2);
    row = run_row("ftw");
    assert_string_equal(row, "sleeping||\n");
    free(row);
    assert_true(from_outside(store_flow_run_cancel, id));
    row = run_row("ftw");
    assert_string_equal(row, "cancelled||cancelled\n");
    free(row);
    assert_false(from_outside(store_flow_run_cancel, id)); /* once */
    free(id);
    flow_engine_free(e);
}

/* Cancels the (only) "selfcancel" run from outside the engine, as `runs cancel` does. */
static int cancel_from_outside(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)arg;
    (void)e;
    char *id = tu_sql(db, "SELECT id FROM flow_runs WHERE function_id = 'selfcancel'");
    id[strcspn(id, "\n")] = '\0';
    assert_true(from_outside(store_flow_run_cancel, id));
    free(id);
    *out = json_true();
    return 0;
}

static int cancelled_midway(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        int rc = i == 2 ? flow_step_run(ctx, name, cancel_from_outside, NULL, 0, NULL)
                        : flow_step_run(ctx, name, counted, (void *)63, 0, NULL);
        if (rc == FLOW_PENDING)
            return flow_yield(ctx);
    }
    return flow_complete(ctx, NULL);
}

/* A run cancelled while a worker holds it stops at its next checkpoint:
 * no step after it runs (an evaluation's calls stop at once). */
static void test_cancel_while_running(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "selfcancel", .event = "test/selfcancel", .retries = 0,
                                  .body = cancelled_midway});
    send(e, "test/selfcancel", json_object(), NULL);
    drain(e, DONE_MS);
    assert_int_equal(calls[63], 2);
    char *row = run_row("selfcancel");
    assert_string_equal(row, "cancelled||cancelled\n");
    free(row);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_steps"), 2);
    flow_engine_free(e);
}

/* A member of a group: the stopper sends the group's cancel event and
 * fails; a sleeper would sleep for a minute. */
static int member(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    const json_t *data = json_object_get(event, "data");
    const char *role = json_string_value(json_object_get(data, "role"));
    if (strcmp(role, "stopper") == 0) {
        json_t *stop = json_pack("{s:s, s:{s:O, s:O, s:s}}", "name", "test/stop", "data", "group",
                                 json_object_get(data, "group"), "name", json_object_get(data, "name"), "reason",
                                 "run-fatal: no credits");
        int rc = flow_step_send_event(ctx, "stop-the-group", stop, NULL);
        json_decref(stop);
        if (rc == FLOW_PENDING)
            return flow_yield(ctx);
        return flow_fail(ctx, "run-fatal: no credits (the stopper)");
    }
    if (flow_step_sleep(ctx, "nap", 60000) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, json_string("woke"));
}

/* "member" runs member(); the event "test/stop" cancels those of its
 * data.group, except the one named by its data.name. */
static void reg_member(struct flow_engine *e)
{
    reg(e, (struct flow_function){.id = "member", .event = "test/member", .retries = 0, .cancel_event = "test/stop",
                                  .cancel_match = "data.group", .cancel_except = "data.name", .body = member});
}

/* Invokes a sleeper and a second member (data.role of the event: a
 * stopper, or another sleeper) in the group data.group. */
static int leader(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    const json_t *data = json_object_get(event, "data");
    const char *group = json_string_value(json_object_get(data, "group"));
    const char *role = json_string_value(json_object_get(data, "role"));
    const json_t *r1, *r2;
    json_t *d1 = json_pack("{s:s, s:s, s:s}", "group", group, "name", "sleeper", "role", "sleeper");
    json_t *d2 = json_pack("{s:s, s:s, s:s}", "group", group, "name", role, "role", role);
    int pending = flow_step_invoke(ctx, "sleeper", "member", d1, &r1) == FLOW_PENDING;
    pending |= flow_step_invoke(ctx, "stopper", "member", d2, &r2) == FLOW_PENDING;
    json_decref(d1);
    json_decref(d2);
    if (pending)
        return flow_yield(ctx);
    json_t *out = json_pack("{s:s?, s:s?}", "sleeper", flow_step_failed(r1), "second", flow_step_failed(r2));
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

/* A declared cancel event stops the matching runs at once, spares the
 * sender and other groups, and wakes the parent waiting for them, whether
 * it comes from outside or from one of the group. */
static void test_cancel_event(void **state)
{
    (void)state;
    struct flow_engine *e = engine(2);
    reg_member(e);
    reg(e, (struct flow_function){.id = "leader", .event = "test/lead", .retries = 0, .body = leader});
    send(e, "test/member", json_pack("{s:s, s:s, s:s}", "group", "g3", "name", "other", "role", "sleeper"), NULL);
    /* From outside: both members asleep, the leader waiting; only the event can wake it. */
    send(e, "test/lead", json_pack("{s:s, s:s}", "group", "g1", "role", "second-sleeper"), NULL);
    drain(e, DONE_MS);
    send(e, "test/stop", json_pack("{s:s}", "group", "g1"), NULL);
    drain(e, DONE_MS);
    char *row = run_row("leader");
    assert_string_equal(row, "completed|{\"sleeper\":\"cancelled by test/stop\",\"second\":\"cancelled by test/stop\"}|\n");
    free(row);
    /* From one of the group: the stopper is spared and fails with its own message. */
    send(e, "test/lead", json_pack("{s:s, s:s}", "group", "g2", "role", "stopper"), NULL);
    drain(e, DONE_MS);
    char *rows = tu_sql(db, "SELECT status, output FROM flow_runs WHERE function_id = 'leader' ORDER BY created_at");
    assert_string_equal(rows, "completed|{\"sleeper\":\"cancelled by test/stop\",\"second\":\"cancelled by test/stop\"}\n"
                              "completed|{\"sleeper\":\"run-fatal: no credits\",\"second\":\"run-fatal: no credits (the "
                              "stopper)\"}\n");
    free(rows);
    char *members = tu_sql(db, "SELECT json_extract(event, '$.data.group'), json_extract(event, '$.data.name'), status, "
                               "coalesce(error, '') FROM flow_runs WHERE function_id = 'member' ORDER BY 1, 2");
    assert_string_equal(members, "g1|second-sleeper|cancelled|cancelled by test/stop\n"
                                 "g1|sleeper|cancelled|cancelled by test/stop\n"
                                 "g2|sleeper|cancelled|run-fatal: no credits\n"
                                 "g2|stopper|failed|run-fatal: no credits (the stopper)\n"
                                 "g3|other|sleeping|\n");
    free(members);
    flow_engine_free(e);
}

/* store_flow_cancel_matching() for the group "g" from sender under holder,
 * sparing the sender's name; how many runs it stopped. */
static int64_t cancel_from(struct store *st, const char *sender, const char *name, const char *holder)
{
    struct err err = {{0}};
    int64_t n = -1;
    if (store_flow_cancel_matching(st, "member", "$.data.group", "g", "$.data.name", name, sender, holder, "stop",
                                   utc_now_real_ms(), &n, &err) != 0)
        fail_msg("%s", err.msg);
    return n;
}

/* A run's cancel event cancels only while that run is still its worker's,
 * checked in the cancel's own batch: of two runs sending their group's
 * cancel at once (two models meeting a 402 together), the one cancelled
 * first cancels nobody. Without the check each cancelled the other, neither
 * failed with the reason, and the week they belong to "completed". */
static void test_cancelled_sender_cancels_nobody(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg_member(e);
    send(e, "test/member", json_pack("{s:s, s:s, s:s}", "group", "g", "name", "a", "role", "sleeper"), NULL);
    send(e, "test/member", json_pack("{s:s, s:s, s:s}", "group", "g", "name", "b", "role", "sleeper"), NULL);
    struct store *st = NULL;
    struct store_open_opts so = {0};
    struct err err = {{0}};
    if (store_open(db, &so, &st, &err) != 0)
        fail_msg("%s", err.msg);
    /* Both queued: a run nobody holds cancels nothing. */
    char *a = tu_sql(db, "SELECT id FROM flow_runs WHERE json_extract(event, '$.data.name') = 'a'");
    a[strcspn(a, "\n")] = '\0';
    assert_int_equal(cancel_from(st, a, "a", "w1"), 0);
    /* Claimed by w1: not w2's to send from, w1's it is. */
    struct store_flow_run run;
    int found = 0;
    if (store_flow_claim(st, "w1", utc_now_real_ms(), 60000, "[\"member\"]", &run, &found, &err) != 0)
        fail_msg("%s", err.msg);
    assert_true(found);
    char *held_name = tu_sql(db, "SELECT json_extract(event, '$.data.name') FROM flow_runs WHERE status = 'running'");
    held_name[strcspn(held_name, "\n")] = '\0';
    const char *other_name = strcmp(held_name, "a") == 0 ? "b" : "a";
    char *other = tu_sql(db, "SELECT id FROM flow_runs WHERE status = 'queued'");
    other[strcspn(other, "\n")] = '\0';
    assert_int_equal(cancel_from(st, run.id, held_name, "w2"), 0);
    assert_int_equal(cancel_from(st, run.id, held_name, "w1"), 1);
    /* The cancelled one, sending its own cancel a moment later, stops nobody. */
    assert_int_equal(cancel_from(st, other, other_name, "w1"), 0);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT status FROM flow_runs WHERE id = '%s'", run.id);
    char *status = tu_sql(db, sql);
    assert_string_equal(status, "running\n");
    free(status);
    snprintf(sql, sizeof sql, "SELECT status || '|' || error FROM flow_runs WHERE id = '%s'", other);
    status = tu_sql(db, sql);
    assert_string_equal(status, "cancelled|stop\n");
    free(status);
    store_flow_run_clear(&run);
    store_close(st);
    free(a);
    free(held_name);
    free(other);
    flow_engine_free(e);
}

/* The invoker's invoke steps back to waiting and the invoker handed back
 * for a replay (as a restart's reclaim does). */
static void rewind_invoker(void)
{
    free(tu_sql(db, "UPDATE flow_steps SET status = 'waiting', output = NULL, error = NULL, error_class = NULL, "
                    "error_status = NULL, ended_at = NULL WHERE kind = 'invoke'"));
    free(tu_sql(db, "UPDATE flow_runs SET status = 'queued', output = NULL, ended_at = NULL, ready_at = 0 "
                    "WHERE function_id = 'invoker'"));
}

/* A process killed between an invoke step's two writes (the step
 * checkpointed waiting, the child not yet created) leaves a parent waiting
 * for a child that does not exist. The next replay sends the child's event
 * again (its id is the step's): the child starts then, and the parent
 * finishes. (test_serve_survives_kills met this under load: every week
 * waiting, each for one model that never ran.) */
static void test_invoke_killed_between_its_writes(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "double", .retries = -1, .body = doubler});
    reg(e, (struct flow_function){.id = "invoker", .event = "test/invoke", .retries = -1, .body = invoker});
    send(e, "test/invoke", json_object(), NULL);
    drain(e, DONE_MS);
    char *row = run_row("invoker");
    const char *done = "completed|{\"good\":{\"doubled\":42},\"bad\":\"negative input\"}|\n";
    assert_string_equal(row, done);
    free(row);
    /* Back to the moment of the kill: both steps waiting, no child, no
     * child event, the parent handed back (as a restart's reclaim does). */
    free(tu_sql(db, "DELETE FROM flow_steps WHERE run_id IN (SELECT id FROM flow_runs WHERE function_id = 'double')"));
    free(tu_sql(db, "DELETE FROM flow_runs WHERE function_id = 'double'"));
    free(tu_sql(db, "DELETE FROM flow_events WHERE id LIKE 'invoke-%'"));
    rewind_invoker();
    drain(e, DONE_MS);
    row = run_row("invoker");
    assert_string_equal(row, done);
    free(row);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE function_id = 'double'"), 2);
    /* Replays of a parent whose children exist start no second child. */
    rewind_invoker();
    drain(e, DONE_MS);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE function_id = 'double'"), 2);
    row = run_row("invoker");
    assert_string_equal(row, "waiting||\n");
    free(row);
    flow_engine_free(e);
}

static int ticker(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    return flow_complete(ctx, json_object_get(event, "name"));
}

/* A fresh schedule has no missed fires; fires missed while down happen once. */
static void test_cron_fires(void **state)
{
    (void)state;
    struct flow_engine_opts o = {.owner = "test", .workers = 1, .poll_ms = 20, .cron = 1};
    struct flow_function f = {.id = "tick", .cron = "TZ=Europe/London * * * * *", .retries = -1, .body = ticker};
    struct flow_engine *e;
    struct err err = {{0}};
    /* Not across a minute boundary, where the schedule would rightly fire
     * (10 s of margin: a loaded machine may take seconds to get going). */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec % 60 >= 50) {
        struct timespec wait = {61 - now.tv_sec % 60, 0};
        nanosleep(&wait, NULL);
    }
    assert_int_equal(flow_engine_new(db, NULL, &o, &e, &err), 0);
    reg(e, f);
    assert_int_equal(flow_engine_start(e, &err), 0);
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    flow_engine_stop(e);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs"), 0);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_schedules WHERE function_id = 'tick'"), 1);
    flow_engine_free(e);
    /* Down for three minutes: one fire at start-up, not three. */
    free(tu_sql(db, "UPDATE flow_schedules SET last_fire = last_fire - 180000"));
    assert_int_equal(flow_engine_new(db, NULL, &o, &e, &err), 0);
    reg(e, f);
    assert_int_equal(flow_engine_start(e, &err), 0);
    int64_t start = utc_mono_ms();
    while (tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE status = 'completed'") < 1 && utc_mono_ms() - start < DONE_MS)
        nanosleep(&ts, NULL);
    flow_engine_stop(e);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs"), 1);
    char *row = tu_sql(db, "SELECT status, output FROM flow_runs");
    assert_string_equal(row, "completed|\"inngest/scheduled.timer\"\n");
    free(row);
    flow_engine_free(e);
}

/* A run leased by a process that died is taken over once its lease expires. */
static void test_expired_lease_is_recovered(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "three", .event = "test/three", .retries = -1, .body = three_steps});
    send(e, "test/three", json_object(), "orphan");
    free(tu_sql(db, "UPDATE flow_runs SET status = 'running', lease_owner = 'dead-host', "
                    "lease_until = (strftime('%s', 'now') * 1000) + 60000"));
    drain(e, 100);
    char *row = run_row("three");
    assert_string_equal(row, "running||\n"); /* someone else's live lease: left alone */
    free(row);
    free(tu_sql(db, "UPDATE flow_runs SET lease_until = (strftime('%s', 'now') * 1000) - 1"));
    drain(e, DONE_MS);
    row = run_row("three");
    assert_string_equal(row, "completed|60|\n");
    free(row);
    flow_engine_free(e);
}

/* ---- several workers: a stalled worker's lease -------------------------- */

/* Gates the test opens: a step callback waits on its gate on its first call
 * only (the stalled worker), later calls go straight through. */
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open[2], gate_waiting[2], probe_ran;

static void open_gate(int g)
{
    pthread_mutex_lock(&lock);
    gate_open[g] = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&lock);
}

/* Step 60 ("stuck") waits at gate 0, step 62 ("after") at gate 1; each
 * returns which call of it this was, so the output names who committed. */
static int gated(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    int n = (int)(intptr_t)arg, g = n == 60 ? 0 : 1;
    pthread_mutex_lock(&lock);
    int call = ++calls[n];
    if (call == 1) {
        gate_waiting[g] = 1;
        pthread_cond_broadcast(&gate_cond);
        while (!gate_open[g])
            pthread_cond_wait(&gate_cond, &lock);
    }
    pthread_mutex_unlock(&lock);
    *out = json_integer(call);
    return 0;
}

static int stalling_body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *stuck;
    if (flow_step_run(ctx, "before", counted, (void *)61, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "stuck", gated, (void *)60, 0, &stuck) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "after", gated, (void *)62, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, stuck);
}

static int probe_step(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)arg;
    (void)e;
    pthread_mutex_lock(&lock);
    probe_ran = 1;
    pthread_mutex_unlock(&lock);
    *out = json_true();
    return 0;
}

static int probe_body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    if (flow_step_run(ctx, "probe", probe_step, NULL, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}

/* Polls (10 ms apart, at most cap_ms) until *flag is set under the lock. */
static int wait_for_flag(const int *flag, int64_t cap_ms)
{
    int64_t until = utc_mono_ms() + cap_ms;
    for (;;) {
        pthread_mutex_lock(&lock);
        int v = *flag;
        pthread_mutex_unlock(&lock);
        if (v)
            return 1;
        if (utc_mono_ms() > until)
            return 0;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static char *steps_text(void)
{
    return tu_sql(db, "SELECT s.name, s.output FROM flow_steps s JOIN flow_runs r ON r.id = s.run_id "
                      "WHERE r.function_id = 'stall' ORDER BY s.seq");
}

/* Two workers. The first stalls inside a step past its lease; the second
 * takes the run over (once), finds the checkpointed step done, runs the
 * stalled one again and goes on. When the first wakes while the second
 * still holds the run, its late result must not land and it must run
 * nothing more: each side effect happens once after the takeover, and the
 * run completes with the second worker's result. */
static void test_stalled_worker_is_taken_over_once(void **state)
{
    (void)state;
    struct flow_engine_opts o = {.owner = "test", .workers = 2, .lease_ms = 1500, .poll_ms = 10,
                                 .backoff_base_ms = 20, .backoff_cap_ms = 200};
    struct flow_engine *e;
    struct err err = {{0}};
    if (flow_engine_new(db, NULL, &o, &e, &err) != 0)
        fail_msg("%s", err.msg);
    reg(e, (struct flow_function){.id = "stall", .event = "test/stall", .retries = -1, .body = stalling_body});
    reg(e, (struct flow_function){.id = "probe", .event = "test/probe", .retries = -1, .body = probe_body});
    memset(gate_open, 0, sizeof gate_open);
    memset(gate_waiting, 0, sizeof gate_waiting);
    probe_ran = 0;
    send(e, "test/stall", json_object(), NULL);
    assert_int_equal(flow_engine_start(e, &err), 0);
    /* The second worker reaches "after" only by taking the run over. */
    if (!wait_for_flag(&gate_waiting[1], 20000)) {
        open_gate(0);
        open_gate(1);
        flow_engine_stop(e);
        fail_msg("no takeover within 20 s: stuck ran %d times, steps:\n%s", calls[60], steps_text());
    }
    /* Wake the stalled worker while the other holds the run. When it is
     * done with the run it is free to take the probe (the other one waits
     * at gate 1), so the probe running means its attempt is over. */
    open_gate(0);
    send(e, "test/probe", json_object(), NULL);
    int probed = wait_for_flag(&probe_ran, 20000);
    pthread_mutex_lock(&lock);
    int before = calls[61], stuck = calls[60], after = calls[62];
    pthread_mutex_unlock(&lock);
    char *steps = steps_text();
    open_gate(1);
    if (!probed) {
        flow_engine_stop(e);
        fail_msg("the woken worker never came back for other work; steps:\n%s", steps);
    }
    if (before != 1 || stuck != 2 || after != 1)
        fail_msg("before ran %d times, stuck %d, after %d (want 1, 2 and 1); steps:\n%s", before, stuck, after, steps);
    assert_string_equal(steps, "before|610\nstuck|2\n"); /* the takeover's result, not the late one */
    free(steps);
    if (flow_engine_wait_idle(e, 20000, NULL, NULL, &err) != 0)
        fail_msg("the run did not finish: %s", err.msg);
    flow_engine_stop(e);
    char *row = run_row("stall");
    assert_string_equal(row, "completed|2|\n");
    free(row);
    steps = steps_text();
    assert_string_equal(steps, "before|610\nstuck|2\nafter|1\n");
    free(steps);
    assert_int_equal(calls[61], 1);
    assert_int_equal(calls[60], 2);
    assert_int_equal(calls[62], 1);
    flow_engine_free(e);
}

/* Checkpoints renew the lease: a run whose steps together take longer than
 * the lease, each well within it, is never taken over by the other worker,
 * so every step runs once. */
static int many_slow_steps(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    for (int i = 0; i < 8; i++) {
        char id[16];
        snprintf(id, sizeof id, "slow-%d", i);
        if (flow_step_run(ctx, id, slow, (void *)(intptr_t)(50 + i), 0, NULL) == FLOW_PENDING)
            return flow_yield(ctx);
    }
    return flow_complete(ctx, NULL);
}

static void test_checkpoints_renew_the_lease(void **state)
{
    (void)state;
    struct flow_engine_opts o = {.owner = "test", .workers = 2, .lease_ms = 600, .poll_ms = 10,
                                 .backoff_base_ms = 20, .backoff_cap_ms = 200};
    struct flow_engine *e;
    struct err err = {{0}};
    if (flow_engine_new(db, NULL, &o, &e, &err) != 0)
        fail_msg("%s", err.msg);
    reg(e, (struct flow_function){.id = "long", .event = "test/long", .retries = -1, .body = many_slow_steps});
    send(e, "test/long", json_object(), NULL);
    assert_int_equal(flow_engine_start(e, &err), 0);
    if (flow_engine_wait_idle(e, 30000, NULL, NULL, &err) != 0)
        fail_msg("the run did not finish: %s", err.msg);
    flow_engine_stop(e);
    char *row = run_row("long");
    assert_string_equal(row, "completed|null|\n");
    free(row);
    for (int i = 0; i < 8; i++)
        if (calls[50 + i] != 1)
            fail_msg("step slow-%d ran %d times: the lease lapsed between checkpoints", i, calls[50 + i]);
    flow_engine_free(e);
}

/* Stopping the engine lets the step that is running finish and be
 * checkpointed, joins the workers, and gives the run back for later. */
static int slow_then_more(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    if (flow_step_run(ctx, "slow", slow, (void *)20, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "later", counted, (void *)21, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}

static void test_stop_waits_for_the_running_step(void **state)
{
    (void)state;
    struct flow_engine *e = engine(2);
    reg(e, (struct flow_function){.id = "stopper", .event = "test/stopper", .retries = -1, .body = slow_then_more});
    send(e, "test/stopper", json_object(), NULL);
    struct err err = {{0}};
    assert_int_equal(flow_engine_start(e, &err), 0);
    int64_t until = utc_mono_ms() + 20000;
    for (;;) {
        pthread_mutex_lock(&lock);
        int started = calls[20];
        pthread_mutex_unlock(&lock);
        if (started)
            break;
        if (utc_mono_ms() > until)
            fail_msg("the step never started");
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    flow_engine_stop(e);
    pthread_mutex_lock(&lock);
    int still_running = in_flight;
    pthread_mutex_unlock(&lock);
    assert_int_equal(still_running, 0);
    char *steps = tu_sql(db, "SELECT name, status FROM flow_steps");
    assert_string_equal(steps, "slow|done\n");
    free(steps);
    char *row = tu_sql(db, "SELECT status, coalesce(lease_owner, '-') FROM flow_runs");
    assert_string_equal(row, "queued|-\n");
    free(row);
    assert_int_equal(calls[21], 0);
    flow_engine_free(e);
}

/* ---- lease holders ---- */

static char holders[2][256];

/* Records who holds this test's only run while the step executes. */
static int record_holder(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    char *h = tu_sql(db, "SELECT lease_owner FROM flow_runs WHERE function_id = 'holder'");
    snprintf(holders[(intptr_t)arg], sizeof holders[0], "%s", h);
    free(h);
    *out = json_null();
    return 0;
}

static int holder_body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    if (flow_step_run(ctx, "first", record_holder, (void *)0, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_sleep(ctx, "nap", 20) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_run(ctx, "second", record_holder, (void *)1, 0, NULL) == FLOW_PENDING)
        return flow_yield(ctx);
    return flow_complete(ctx, NULL);
}

/* Each claim holds the lease under a name of its own, starting with the
 * owner (the host name by default), so a restart can find its runs and
 * no two claims, even of one worker, are confused. */
static void test_each_claim_holds_its_own_lease(void **state)
{
    (void)state;
    struct flow_engine_opts o = {.workers = 1, .lease_ms = 5000, .poll_ms = 10, .backoff_base_ms = 20,
                                 .backoff_cap_ms = 200};
    struct flow_engine *e;
    struct err err = {{0}};
    if (flow_engine_new(db, NULL, &o, &e, &err) != 0)
        fail_msg("%s", err.msg);
    reg(e, (struct flow_function){.id = "holder", .event = "test/holder", .retries = -1, .body = holder_body});
    send(e, "test/holder", json_object(), NULL);
    drain(e, DONE_MS);
    char host[128], prefix[140];
    assert_int_equal(gethostname(host, sizeof host), 0);
    host[sizeof host - 1] = '\0';
    snprintf(prefix, sizeof prefix, "%s/", host);
    for (int i = 0; i < 2; i++)
        if (strncmp(holders[i], prefix, strlen(prefix)) != 0 || strlen(holders[i]) <= strlen(prefix) + 1)
            fail_msg("claim %d was held as [%s], not as %s<claim id>", i, holders[i], prefix);
    if (strcmp(holders[0], holders[1]) == 0)
        fail_msg("two claims held the lease under one name: %s", holders[0]);
    char *row = run_row("holder");
    assert_string_equal(row, "completed|null|\n");
    free(row);
    flow_engine_free(e);
}

/* ---- what `run` prints about the runs ---- */

static int fails_at_once(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    return flow_fail(ctx, "nothing to do here");
}

static int never_done(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    return flow_step_sleep(ctx, "forever", 3600 * 1000) == FLOW_PENDING ? flow_yield(ctx) : flow_complete(ctx, NULL);
}

/* The counts per function (completed, failed, cancelled) and the failures'
 * reasons, as `run` prints them at the end and while it goes. */
static void test_run_summary_and_progress(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "three", .event = "test/three", .retries = -1, .body = three_steps});
    reg(e, (struct flow_function){.id = "doomed", .event = "test/doomed", .retries = -1, .body = fails_at_once});
    reg(e, (struct flow_function){.id = "napper", .event = "test/nap", .retries = -1, .body = never_done});
    send(e, "test/three", json_object(), NULL);
    send(e, "test/doomed", json_object(), NULL);
    send(e, "test/doomed", json_object(), NULL);
    send(e, "test/nap", json_object(), NULL);
    send(e, "test/nap", json_object(), NULL);
    drain(e, DONE_MS);
    free(tu_sql(db, "UPDATE flow_runs SET status = 'cancelled' WHERE rowid = (SELECT min(rowid) FROM flow_runs "
                    "WHERE function_id = 'napper')"));
    /* Two evaluations an evaluate-model run stored through its eval-<clue>
     * steps, one an error, and what they cost (progress counts them by the
     * steps of the runs it covers). */
    const char *const rows[] = {
        "INSERT INTO flow_runs (id, function_id, event_id, event, status, ready_at, created_at) "
        "SELECT 'em', 'evaluate-model', 'ev', '{}', 'completed', 0, max(created_at) + 1 FROM flow_runs",
        "INSERT INTO flow_steps (run_id, hash, name, kind, status, output, seq) VALUES "
        "('em', 'h1', 'eval-1', 'run', 'done', '{\"outcome\":\"correct\",\"cost\":0.0123}', 1), "
        "('em', 'h2', 'eval-2', 'run', 'done', '{\"outcome\":\"error\",\"cost\":0.002}', 2)",
    };
    free(tu_sql_many(db, rows, 2));
    char text[2048];
    int failed = -1;
    struct err err = {{0}};
    assert_int_equal(report_run_summary(flow_engine_store(e), 0, text, sizeof text, &failed, &err), 0);
    assert_int_equal(failed, 2);
    tu_assert_contains(text, "FUNCTION             COMPLETED FAILED CANCELLED\n");
    tu_assert_contains(text, "three                        1      0         0\n");
    tu_assert_contains(text, "doomed                       0      2         0\n");
    tu_assert_contains(text, "napper                       0      0         1\n");
    tu_assert_contains(text, "failed: doomed: nothing to do here\n");
    assert_int_equal(report_run_progress(flow_engine_store(e), 0, text, sizeof text, &err), 0);
    tu_assert_contains(text, "runs: three 1/1 doomed 0/2 (failures) napper 0/2 evaluate-model 1/1; 5 steps done; "
                             "2 evaluations (1 errors); cost $0.0143");
    flow_engine_free(e);
}

/* A run whose stored event cannot be read is failed with that said, and
 * its body never runs with a NULL event (it would have run before with an
 * empty one). */
static void test_unreadable_event_fails_the_run(void **state)
{
    (void)state;
    struct flow_engine *e = engine(1);
    reg(e, (struct flow_function){.id = "three", .event = "test/three", .retries = -1, .body = three_steps});
    free(tu_sql(db, "INSERT INTO flow_runs (id, function_id, event_id, event, status, ready_at, created_at) "
                    "VALUES ('bad', 'three', 'ev', '{not json', 'queued', 0, 0)"));
    drain(e, DONE_MS);
    char *row = tu_sql(db, "SELECT status, error, (SELECT count(*) FROM flow_steps WHERE run_id = 'bad') "
                           "FROM flow_runs WHERE id = 'bad'");
    assert_string_equal(row, "failed|the run's event is not readable JSON (or memory ran out)|0\n");
    free(row);
    flow_engine_free(e);
}

static int64_t at(const char *iso)
{
    int64_t ms;
    struct err err = {{0}};
    if (utc_parse_datetime(iso, &ms, &err) != 0)
        fail_msg("%s", err.msg);
    return ms;
}

static void expect_next(const char *cron, const char *after, const char *next)
{
    struct cron_expr e;
    struct err err = {{0}};
    if (cron_parse(cron, &e, &err) != 0)
        fail_msg("%s", err.msg);
    char got[UTC_ISO_SIZE];
    utc_format_iso(cron_next(&e, at(after)), got);
    if (strcmp(got, next) != 0)
        fail_msg("%s after %s: expected %s, got %s", cron, after, next, got);
}

static void test_cron_across_dst(void **state)
{
    (void)state;
    /* Sunday 06:00 in London: 05:00 UTC in summer time, 06:00 UTC in winter. */
    expect_next("TZ=Europe/London 0 6 * * 0", "2026-03-28T12:00:00Z", "2026-03-29T05:00:00.000Z");
    expect_next("TZ=Europe/London 0 6 * * 0", "2026-03-29T05:00:00Z", "2026-04-05T05:00:00.000Z");
    expect_next("TZ=Europe/London 0 6 * * 0", "2026-10-24T12:00:00Z", "2026-10-25T06:00:00.000Z");
    expect_next("TZ=UTC 0 6 * * 0", "2026-03-28T12:00:00Z", "2026-03-29T06:00:00.000Z");
    /* 01:30 does not exist on the spring day, and happens twice in autumn: once. */
    expect_next("TZ=Europe/London 30 1 * * *", "2026-03-28T12:00:00Z", "2026-03-30T00:30:00.000Z");
    expect_next("TZ=Europe/London 30 1 * * *", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00.000Z");
    expect_next("TZ=Europe/London 30 1 * * *", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00.000Z");
    expect_next("*/15 * * * *", "2026-01-01T00:07:00Z", "2026-01-01T00:15:00.000Z");
    expect_next("0 0 1 1 *", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00.000Z");
    struct cron_expr e;
    struct err err = {{0}};
    assert_int_equal(cron_parse("TZ=Mars/Olympus 0 6 * * 0", &e, &err), -1);
    tu_assert_contains(err.msg, "unknown time zone");
    assert_int_equal(cron_parse("0 6 * *", &e, &err), -1);
    assert_int_equal(cron_parse("61 6 * * *", &e, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_memoized_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequential_steps_run_in_the_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_after_sequential, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_steps_are_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sleep_survives_a_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_event_and_invoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invoke_killed_between_its_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_for_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrency_per_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_event_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_while_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_sender_cancels_nobody, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_carry_class_and_status, setup, teardown),
        cmocka_unit_test(test_cron_across_dst),
        cmocka_unit_test_setup_teardown(test_cron_fires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_lease_is_recovered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stalled_worker_is_taken_over_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_renew_the_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_summary_and_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_event_fails_the_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_claim_holds_its_own_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_waits_for_the_running_step, setup, teardown),
    };
    return cmocka_run_group_tests_name("flow (the embedded engine)", tests, NULL, NULL);
}
