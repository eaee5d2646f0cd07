/*
 * test_inngest.c - the Inngest serve endpoint (flow/inngest.h).
 *
 * First the fake executor (tests/fakes/inngest_executor.py, a small Inngest
 * server) is proved against the real thing: its protocol suite runs against
 * tests/inngest/ref_app.mjs, an app on the official `inngest` SDK's own
 * serve handler. Then the same suite runs against the same functions
 * written in C behind our endpoint (tests/flow/inngest_app.c), and the two
 * apps' opcodes are compared scenario by scenario. Then the pipeline runs on
 * the executor end to end through `cryptic-bench serve` in Inngest mode
 * (with the Fifteensquared and LLM fakes), including a run-fatal 402 that
 * cancels the week's model runs through the cancel event. Also: the SDK's
 * own step-id hashes, signatures and key hashes equal ours for the same
 * inputs, and the SDK's inngest.send() delivers to our event API.
 */
#include "testutil.h"
#include "pipeline_fakes.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/http.h"
#include "flow/flow.h"
#include "flow/inngest.h"
#include "flow/inngest_sig.h"
#include "store/store.h"

static char *work;

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_stop_all_fakes();
    tu_rmtree(work);
    free(work);
    return 0;
}

/* Runs a node script from tests/ with input on stdin; returns its JSON output. */
static json_t *node_json(const char *script, const json_t *input)
{
    char in[1024], out[1024], cmd[4096];
    snprintf(in, sizeof in, "%s/node-in.json", work);
    snprintf(out, sizeof out, "%s/node-out.json", work);
    assert_int_equal(json_dump_file(input, in, 0), 0);
    const char *tests = getenv("CB_TESTS_DIR");
    assert_non_null(tests);
    snprintf(cmd, sizeof cmd, "cd '%s' && node '%s' < '%s' > '%s' 2> '%s.err'", tests, script, in, out, out);
    if (system(cmd) != 0) {
        char err_path[1100];
        snprintf(err_path, sizeof err_path, "%s.err", out);
        fail_msg("node %s failed: %s", script, tu_read_file(err_path, NULL));
    }
    json_t *o = json_load_file(out, 0, NULL);
    assert_non_null(o);
    return o;
}

/* ---- the SDK's hashes and signatures equal ours -------------------------------------------- */

static int echo_step(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    *out = json_string(arg);
    return 0;
}

/* Runs the steps named in data.sequence, in order. */
static int sequence_body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)user;
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(json_object_get(event, "data"), "sequence"), i, id) {
        const char *name = json_string_value(id);
        if (flow_step_run(ctx, name, echo_step, name, strlen(name) + 1, NULL) == FLOW_PENDING)
            return flow_yield(ctx);
    }
    return flow_complete(ctx, json_null());
}

static struct flow_engine *scratch_engine(const char *name)
{
    char *db = tu_path(work, name);
    struct err err = {{0}};
    struct store *store = NULL;
    struct store_open_opts so = {.create = 1};
    assert_int_equal(store_open(db, &so, &store, &err), 0);
    assert_int_equal(store_migrate(store, NULL, NULL, &err), 0);
    store_close(store);
    struct flow_engine_opts eo = {.owner = "test", .workers = 1};
    struct flow_engine *e = NULL;
    if (flow_engine_new(db, NULL, &eo, &e, &err) < 0)
        fail_msg("%s", err.msg);
    free(db);
    return e;
}

static void test_hashes_and_signatures_equal_the_sdk(void **state)
{
    (void)state;
    static const char *const sequence[] = {"add-one", "loop", "loop", "double", "loop", "eval-17", "plan", "plan"};
    json_t *seq = json_array();
    for (size_t i = 0; i < sizeof sequence / sizeof sequence[0]; i++)
        json_array_append_new(seq, json_string(sequence[i]));
    static const char *const keys[] = {"signkey-test-8c1f3a0b9d2e4f5061728394a5b6c7d8e9f001122334455667788990aabbccdd",
                                       "signkey-prod-00ff", "0123456789abcdef"};
    static const char *const bodies[] = {"{\"event\":{\"data\":{\"x\":1},\"name\":\"test/serial\"}}", "",
                                         "{\"text\":\"caf\xc3\xa9 \xe2\x80\x94 \\\"quoted\\\"\"}"};
    json_t *signs = json_array(), *key_list = json_array();
    for (size_t k = 0; k < 3; k++) {
        json_array_append_new(key_list, json_string(keys[k]));
        for (size_t b = 0; b < 3; b++)
            json_array_append_new(signs, json_pack("{s:s, s:s, s:I}", "key", keys[k], "body", bodies[b], "t",
                                                   (json_int_t)(1764000000 + 7 * k + b)));
    }
    json_t *input = json_pack("{s:o, s:o, s:o, s:[s,s]}", "sequence", seq, "signs", signs, "keys", key_list,
                              "event_keys", "evt-key-1", "another key");
    json_t *sdk = node_json("inngest/sdk_crypto.mjs", input);

    /* Our endpoint names the same steps the same way: replay the body step by step. */
    struct flow_engine *engine = scratch_engine("hash.db");
    struct err err = {{0}};
    struct flow_function f = {.id = "seq", .event = "test/seq", .retries = 0, .body = sequence_body};
    assert_int_equal(flow_engine_register(engine, &f, &err), 0);
    struct flow_inngest_opts io = {.app_id = "t", .dev = 1, .api_origin = "http://127.0.0.1:9",
                                   .event_origin = "http://127.0.0.1:9"};
    struct flow_inngest *ig = NULL;
    assert_int_equal(flow_inngest_new(engine, &io, &ig, &err), 0);
    json_t *memo = json_object();
    size_t n = sizeof sequence / sizeof sequence[0];
    for (size_t i = 0; i <= n; i++) {
        json_t *call = json_pack("{s:{s:s, s:{s:O}}, s:O, s:{s:s, s:i}}", "event", "name", "test/seq", "data",
                                 "sequence", json_object_get(input, "sequence"), "steps", memo, "ctx", "run_id",
                                 "01SEQ", "attempt", 0);
        char *body = json_dumps(call, JSON_COMPACT);
        json_decref(call);
        struct flow_inngest_request req = {.method = "POST", .fn_id = "t-seq", .step_id = "step", .body = body,
                                           .body_len = strlen(body)};
        struct flow_inngest_reply reply;
        flow_inngest_handle(ig, &req, &reply);
        free(body);
        json_t *ops = json_loads(reply.body, 0, NULL);
        if (i == n) {
            assert_int_equal(reply.status, 200);
        } else {
            if (reply.status != 206)
                fail_msg("step %zu: HTTP %u %s", i, reply.status, reply.body);
            json_t *op = json_array_get(ops, 0);
            json_t *want = json_array_get(json_object_get(sdk, "steps"), i);
            assert_string_equal(json_string_value(json_object_get(op, "op")), "StepRun");
            assert_string_equal(json_string_value(json_object_get(op, "id")),
                                json_string_value(json_object_get(want, "hash")));
            /* The SDK's final id is "loop:1"; ours reports name "loop" with userland.index 1. */
            json_t *u = json_object_get(op, "userland");
            char id[128];
            if (json_integer_value(json_object_get(u, "index")) > 0)
                snprintf(id, sizeof id, "%s:%lld", json_string_value(json_object_get(u, "id")),
                         (long long)json_integer_value(json_object_get(u, "index")));
            else
                snprintf(id, sizeof id, "%s", json_string_value(json_object_get(u, "id")));
            assert_string_equal(id, json_string_value(json_object_get(want, "id")));
            json_object_set_new(memo, json_string_value(json_object_get(op, "id")),
                                json_pack("{s:O}", "data", json_object_get(op, "data")));
        }
        json_decref(ops);
        flow_inngest_reply_clear(&reply);
    }
    json_decref(memo);
    flow_inngest_free(ig);
    flow_engine_free(engine);

    /* Signatures, verified both ways; the window; the fallback key. */
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(input, "signs"), i, s) {
        const char *key = json_string_value(json_object_get(s, "key"));
        const char *body = json_string_value(json_object_get(s, "body"));
        int64_t t = json_integer_value(json_object_get(s, "t"));
        char mine[65];
        inngest_sign(key, body, strlen(body), t, mine);
        const char *theirs = json_string_value(json_array_get(json_object_get(sdk, "signatures"), i));
        assert_string_equal(mine, theirs);
        char header[128];
        snprintf(header, sizeof header, "t=%lld&s=%s", (long long)t, theirs);
        assert_int_equal(inngest_verify(key, NULL, header, body, strlen(body), t + 299, &err), 0);
        assert_int_equal(inngest_verify(key, NULL, header, body, strlen(body), t + 301, &err), -1);
        assert_int_equal(inngest_verify(key, NULL, header, body, strlen(body), t - 301, &err), -1);
        assert_int_equal(inngest_verify("signkey-test-ffff", NULL, header, body, strlen(body), t, &err), -1);
        assert_int_equal(inngest_verify("signkey-test-ffff", key, header, body, strlen(body), t, &err), 0);
    }
    json_array_foreach(json_object_get(input, "keys"), i, s) {
        char hashed[200];
        assert_int_equal(inngest_hash_signing_key(json_string_value(s), hashed, sizeof hashed), 0);
        assert_string_equal(hashed, json_string_value(json_array_get(json_object_get(sdk, "hashed_keys"), i)));
    }
    json_array_foreach(json_object_get(input, "event_keys"), i, s) {
        char hashed[65];
        inngest_sha256_hex(json_string_value(s), hashed);
        assert_string_equal(hashed, json_string_value(json_array_get(json_object_get(sdk, "event_key_hashes"), i)));
    }
    json_decref(sdk);
    json_decref(input);
}

/* ---- the SDK's inngest.send() reaches our event API ---------------------------------------- */

static void test_sdk_send_reaches_our_event_api(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "events.db");
    int port;
    int pid = tu_start_server((const char *const[]){"TURSO_DATABASE_URL=", "INNGEST_SIGNING_KEY=", "INNGEST_DEV=",
                                                    "INNGEST_EVENT_KEY=sdk-key", NULL},
                              (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron",
                                                    "--workers", "1", NULL},
                              &port);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    /* Events a function listens for (the event API refuses others): a
     * cancellation, which starts nothing, and a rankings request. */
    json_t *input = json_pack("{s:s, s:s, s:[{s:s, s:{s:s, s:s}}, {s:s, s:s, s:{s:s}}]}", "base_url", base,
                              "event_key", "sdk-key", "events", "name", "benchmark/evaluate.cancelled", "data",
                              "week_id", "2026-W14", "reason", "7", "name", "benchmark/evaluate.complete", "id",
                              "dedup-1", "data", "week_id", "2026-W14");
    json_t *out = node_json("inngest/sdk_send.mjs", input);
    assert_int_equal(json_array_size(json_object_get(out, "ids")), 2);
    /* Stored as sent; the second started the function it triggers. */
    char *stored = tu_sql(db, "SELECT name, json_extract(data, '$.data.week_id'), json_extract(data, '$.data.reason') "
                              "FROM flow_events ORDER BY name");
    assert_string_equal(stored, "benchmark/evaluate.cancelled|2026-W14|7\nbenchmark/evaluate.complete|2026-W14|NULL\n");
    free(stored);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE function_id = 'calculate-rankings'"), 1);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events WHERE id = 'dedup-1'"), 1);
    json_decref(out);
    /* The same id again is the same event: nothing new starts. */
    out = node_json("inngest/sdk_send.mjs", input);
    json_decref(out);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE function_id = 'calculate-rankings'"), 1);
    json_decref(input);
    tu_stop_fake(pid);
    free(db);
}

/* ---- the fake executor: proved on the SDK, then run against our endpoint ------------------ */

struct keys {
    char signing[96], fallback[96], event[80];
    char env[8][200];
    const char *list[9];
};

static void random_hex(char *out, size_t bytes)
{
    FILE *f = fopen("/dev/urandom", "rb");
    assert_non_null(f);
    for (size_t i = 0; i < bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", (unsigned)fgetc(f) & 0xff);
    fclose(f);
}

/* Fresh keys, an executor holding them, and the INNGEST_* environment of an
 * app pointed at it (keys->list). */
static int start_executor(struct keys *k, int *port)
{
    char hex[65];
    random_hex(hex, 32);
    snprintf(k->signing, sizeof k->signing, "signkey-test-%s", hex);
    random_hex(hex, 32);
    snprintf(k->fallback, sizeof k->fallback, "signkey-test-%s", hex);
    random_hex(hex, 16);
    snprintf(k->event, sizeof k->event, "evt-%s", hex);
    json_t *config = json_pack("{s:s, s:s, s:s, s:i, s:i}", "signing_key", k->signing, "signing_key_fallback",
                               k->fallback, "event_key", k->event, "sleep_cap_ms", 200, "retry_delay_ms", 50);
    char *path = tu_path(work, "executor.json");
    assert_int_equal(json_dump_file(config, path, 0), 0);
    json_decref(config);
    int pid = tu_start_fake("inngest_executor.py", path, port);
    free(path);
    snprintf(k->env[0], sizeof k->env[0], "INNGEST_SIGNING_KEY=%s", k->signing);
    snprintf(k->env[1], sizeof k->env[1], "INNGEST_SIGNING_KEY_FALLBACK=%s", k->fallback);
    snprintf(k->env[2], sizeof k->env[2], "INNGEST_EVENT_KEY=%s", k->event);
    snprintf(k->env[3], sizeof k->env[3], "INNGEST_BASE_URL=http://127.0.0.1:%d", *port);
    snprintf(k->env[4], sizeof k->env[4], "INNGEST_DEV=");
    snprintf(k->env[5], sizeof k->env[5], "INNGEST_SERVE_ORIGIN=");
    snprintf(k->env[6], sizeof k->env[6], "TURSO_DATABASE_URL=");
    for (int i = 0; i < 7; i++)
        k->list[i] = k->env[i];
    k->list[7] = NULL;
    return pid;
}

/* POST /_test/run: the executor runs a suite against serve_url and reports. */
static json_t *run_suite(int executor_port, json_t *request)
{
    struct http_client *http = NULL;
    struct err err = {{0}};
    struct http_client_opts o = {.retries = 0, .timeout_ms = 400000};
    assert_int_equal(http_client_new(&o, &http, &err), 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/_test/run", executor_port);
    char *body = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct http_request req = {"POST", url, headers, body, strlen(body)};
    struct http_response resp;
    if (http_do(http, &req, &resp, &err) != 0)
        fail_msg("%s", err.msg);
    json_t *report = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
    if (!report)
        fail_msg("the executor's report is not JSON (HTTP %ld): %.500s", resp.status, resp.body.data);
    http_response_free(&resp);
    http_client_free(http);
    free(body);
    return report;
}

/* Keeps a report beside the other test artifacts. */
static void save_report(const char *name, const json_t *report)
{
    const char *dir = getenv("CB_ARTIFACTS");
    if (!dir)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/inngest-%s.json", dir, name);
    char *parent = tu_path(dir, "x");
    free(parent);
    mkdir(dir, 0755);
    if (json_dump_file(report, path, JSON_INDENT(1)) == 0)
        fprintf(stderr, "executor report: %s\n", path);
}

/* Fails with every failed check of a report. */
static void expect_passed(const json_t *report, const char *what)
{
    if (json_is_true(json_object_get(report, "ok")))
        return;
    char failed[8192] = "";
    size_t used = 0, i;
    json_t *c;
    json_array_foreach(json_object_get(report, "checks"), i, c) {
        if (json_is_true(json_object_get(c, "ok")))
            continue;
        char *detail = json_dumps(json_object_get(c, "detail"), JSON_COMPACT | JSON_ENCODE_ANY);
        int n = snprintf(failed + used, sizeof failed - used, "\n  %s: %.700s", json_string_value(json_object_get(c, "name")),
                         detail ? detail : "");
        free(detail);
        if (n > 0 && used + (size_t)n < sizeof failed)
            used += (size_t)n;
    }
    fail_msg("%s: the executor's checks failed:%s", what, failed);
}

/* One run's requests as the app answered them: status, whether it was a
 * discovery, the opcodes with their ids and data, and X-Inngest-No-Retry. */
static json_t *answers(const json_t *run)
{
    json_t *out = json_array();
    size_t i, k;
    json_t *h, *op;
    json_array_foreach(json_object_get(run, "history"), i, h) {
        json_t *ops = json_array();
        json_array_foreach(json_object_get(h, "ops"), k, op) {
            /* Event ids are the event API's, new on every run. */
            int sent = json_string_value(json_object_get(json_object_get(op, "opts"), "type")) != NULL;
            json_array_append_new(ops, json_pack("{s:O?, s:O?, s:O?}", "op", json_object_get(op, "op"), "id",
                                                 json_object_get(op, "id"), "data",
                                                 sent ? NULL : json_object_get(op, "data")));
        }
        json_t *no_retry = json_object_get(json_object_get(h, "headers"), "x-inngest-no-retry");
        json_array_append_new(out, json_pack("{s:O, s:O, s:o, s:O?}", "status", json_object_get(h, "status"),
                                             "step_id", json_object_get(h, "step_id"), "ops", ops, "no_retry",
                                             no_retry));
    }
    return out;
}

static int compare_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The runs of a report by function (app prefix removed), each as answers(). */
static json_t *runs_by_function(const json_t *report)
{
    const char *app = json_string_value(json_object_get(report, "app"));
    json_t *by = json_object();
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        const char *fn = json_string_value(json_object_get(run, "function_id"));
        const char *name = fn + (app && strncmp(fn, app, strlen(app)) == 0 ? strlen(app) + 1 : 0);
        json_t *list = json_object_get(by, name);
        if (!list) {
            list = json_array();
            json_object_set_new(by, name, list);
        }
        /* Parallel steps' requests arrive in any order: compare them as a set. */
        json_t *a = answers(run);
        size_t n = json_array_size(a);
        char **texts = calloc(n + 1, sizeof *texts);
        for (size_t k = 0; k < n; k++)
            texts[k] = json_dumps(json_array_get(a, k), JSON_COMPACT | JSON_SORT_KEYS);
        qsort(texts, n, sizeof *texts, compare_text);
        json_t *sorted = json_array();
        for (size_t k = 0; k < n; k++) {
            json_array_append_new(sorted, json_string(texts[k]));
            free(texts[k]);
        }
        free(texts);
        json_decref(a);
        json_array_append_new(list, sorted);
    }
    return by;
}

static void test_protocol_suite_on_the_sdk_then_on_ours(void **state)
{
    (void)state;
    /* The official SDK's app. */
    struct keys k;
    int exec_port;
    int executor = start_executor(&k, &exec_port);
    int app_port;
    int app = tu_start_program(getenv("CB_TESTS_DIR"), k.list, (const char *const[]){"node", "inngest/ref_app.mjs", NULL},
                               &app_port);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/inngest", app_port);
    json_t *sdk = run_suite(exec_port, json_pack("{s:s, s:s, s:i}", "serve_url", url, "suite", "protocol", "timeout_s", 120));
    save_report("protocol-sdk", sdk);
    expect_passed(sdk, "the official SDK's app");
    tu_stop_fake(app);
    tu_stop_fake(executor);

    /* The same functions in C behind our endpoint, on a fresh executor. */
    executor = start_executor(&k, &exec_port);
    char *db = tu_path(work, "app.db");
    app = tu_start_program(NULL, k.list, (const char *const[]){getenv("CB_INNGEST_APP"), db, NULL}, &app_port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/inngest", app_port);
    json_t *ours = run_suite(exec_port, json_pack("{s:s, s:s, s:i}", "serve_url", url, "suite", "protocol", "timeout_s", 120));
    save_report("protocol-ours", ours);
    expect_passed(ours, "our endpoint");
    tu_stop_fake(app);
    tu_stop_fake(executor);
    free(db);

    /* Scenario by scenario, the two apps answered alike: the same statuses,
     * opcodes, step ids, step data and no-retry headers, request by request. */
    json_t *a = runs_by_function(sdk), *b = runs_by_function(ours);
    assert_int_equal(json_object_size(a), 10);
    const char *fn;
    json_t *runs;
    json_object_foreach(a, fn, runs) {
        json_t *mine = json_object_get(b, fn);
        if (!json_equal(runs, mine)) {
            char *x = json_dumps(runs, JSON_COMPACT), *y = json_dumps(mine, JSON_COMPACT);
            fail_msg("%s answered differently:\nSDK:  %.1500s\nours: %.1500s", fn, x, y ? y : "(no runs)");
        }
    }
    json_decref(a);
    json_decref(b);
    json_decref(sdk);
    json_decref(ours);
}

/* The pipeline on the executor through `serve` in Inngest mode. */
static json_t *pipeline_on_inngest(const char *db, int *requests_to_llm, const char *llm_extra, int latency_ms,
                                   int allow_failed)
{
    char *log = tu_path(work, "llm.jsonl");
    unlink(log); /* one test's requests only */
    pf_start_fifteensquared(work);
    pf_start_llm(work, llm_extra, latency_ms);
    struct keys k;
    int exec_port;
    start_executor(&k, &exec_port);
    const char *env[32];
    size_t n = 0;
    for (const char *const *e = pf_env("2"); *e && n < 20; e++)
        env[n++] = *e;
    for (int i = 0; k.list[i] && n < 31; i++)
        env[n++] = k.list[i];
    env[n] = NULL;
    int port;
    tu_start_server(env, (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", NULL}, &port);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/inngest", port);
    json_t *report = run_suite(exec_port, json_pack("{s:s, s:s, s:{s:s, s:{}}, s:i, s:b}", "serve_url", url, "suite",
                                                    "pipeline", "event", "name", "benchmark/scrape.requested", "data",
                                                    "timeout_s", 240, "allow_failed", allow_failed));
    tu_stop_all_fakes();
    char *text = tu_read_file(log, NULL);
    *requests_to_llm = 0;
    for (char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        (*requests_to_llm)++;
    free(text);
    free(log);
    return report;
}

static int count_runs(const json_t *report, const char *function, const char *status)
{
    int n = 0;
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        const char *fn = json_string_value(json_object_get(run, "function_id"));
        size_t fl = strlen(fn), gl = strlen(function);
        n += fl >= gl && strcmp(fn + fl - gl, function) == 0 &&
             (!status || strcmp(json_string_value(json_object_get(run, "status")), status) == 0);
    }
    return n;
}

static void test_pipeline_end_to_end_on_inngest(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "inngest.db");
    int requests = 0;
    json_t *report = pipeline_on_inngest(db, &requests, NULL, 0, 0);
    save_report("pipeline", report);
    expect_passed(report, "the pipeline on Inngest");
    /* Every function ran where Inngest put it: one scrape, a week each, a model per week, a ranking per week. */
    assert_int_equal(count_runs(report, "cryptic-bench-scrape-puzzles", "completed"), 1);
    assert_int_equal(count_runs(report, "cryptic-bench-evaluate-week", "completed"), 3);
    assert_int_equal(count_runs(report, "cryptic-bench-evaluate-model", "completed"), 3 * PF_NMODELS);
    assert_int_equal(count_runs(report, "cryptic-bench-calculate-rankings", "completed"), 3);
    /* The data is what the embedded engine makes of the same week: every clue asked once, every week ranked. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM clues"), PF_NCLUES);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'correct'"), PF_NCLUES * PF_NMODELS);
    assert_int_equal(requests, PF_NCLUES * PF_NMODELS);
    char *weeks = tu_sql(db, "SELECT week_id, status, models_ranked FROM week_status ORDER BY week_id");
    assert_string_equal(weeks, "2026-W01|ranked|3\n2026-W07|ranked|3\n2026-W14|ranked|3\n");
    free(weeks);
    /* Nothing ran on the embedded engine. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs"), 0);
    json_decref(report);
    free(db);
}

/* No credits (HTTP 402) on Inngest: the week sends its cancel event, Inngest
 * cancels the other models' runs of that week at once, the week fails with
 * one message, and no failure is counted as a wrong answer. Here the key of
 * one model runs dry while the others are mid-week. */
static void test_run_fatal_cancels_through_inngest(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "credits.db");
    int requests = 0;
    json_t *report = pipeline_on_inngest(
        db, &requests,
        "{\"models\": {\"test/a\": {\"mode\": \"correct\", \"status\": 402, \"message\": \"Insufficient credits\", "
        "\"after\": 2}}}",
        40, 1);
    save_report("run-fatal", report);
    int weeks_failed = count_runs(report, "cryptic-bench-evaluate-week", "failed");
    int cancelled = count_runs(report, "cryptic-bench-evaluate-model", "cancelled");
    if (weeks_failed != 3 || cancelled < 1) {
        char *runs = json_dumps(json_object_get(report, "runs"), JSON_COMPACT);
        fail_msg("%d weeks failed, %d model runs cancelled; runs: %.3000s", weeks_failed, cancelled, runs);
    }
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        const char *fn = json_string_value(json_object_get(run, "function_id"));
        if (strcmp(fn, "cryptic-bench-evaluate-week") != 0)
            continue;
        char *err = json_dumps(json_object_get(run, "error"), JSON_COMPACT | JSON_ENCODE_ANY);
        if (!strstr(err, "every model stopped") || !strstr(err, "402"))
            fail_msg("the week failed with: %s", err);
        /* The class came back from Inngest as data (the model run's error
         * object), not parsed from the text: the week names it too. */
        const json_t *e = json_object_get(run, "error");
        const char *cls = json_string_value(json_object_get(e, "class"));
        if (!cls || strcmp(cls, "run-fatal") != 0 || json_integer_value(json_object_get(e, "status")) != 402)
            fail_msg("the week's error has no class run-fatal with status 402: %s", err);
        free(err);
    }
    /* The cancelled models stopped mid-week: fewer answers than clues, none wrong. */
    assert_true(tu_sql_int(db, "SELECT count(*) FROM evaluations e JOIN models m ON m.id = e.model_id "
                               "WHERE m.openrouter_id <> 'test/a'") < 2 * PF_NCLUES);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'wrong'"), 0);
    assert_true(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error' AND error_message LIKE '%402%'") >= 1);
    assert_true(requests < PF_NCLUES * PF_NMODELS);
    json_decref(report);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes_and_signatures_equal_the_sdk),
        cmocka_unit_test(test_sdk_send_reaches_our_event_api),
        cmocka_unit_test(test_protocol_suite_on_the_sdk_then_on_ours),
        cmocka_unit_test(test_pipeline_end_to_end_on_inngest),
        cmocka_unit_test(test_run_fatal_cancels_through_inngest),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
