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
    json_t *input = json_pack("{s:s, s:s, s:[{s:s, s:{s:s, s:i}}, {s:s, s:s, s:{s:s}}]}", "base_url", base,
                              "event_key", "sdk-key", "events", "name", "test/from-sdk", "data", "week_id",
                              "2026-W14", "n", 7, "name", "benchmark/evaluate.complete", "id", "dedup-1", "data",
                              "week_id", "2026-W14");
    json_t *out = node_json("inngest/sdk_send.mjs", input);
    assert_int_equal(json_array_size(json_object_get(out, "ids")), 2);
    /* Stored as sent; the second started the function it triggers. */
    char *stored = tu_sql(db, "SELECT name, json_extract(data, '$.data.week_id'), json_extract(data, '$.data.n') FROM flow_events "
                              "ORDER BY name");
    assert_string_equal(stored, "benchmark/evaluate.complete|2026-W14|NULL\ntest/from-sdk|2026-W14|7\n");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes_and_signatures_equal_the_sdk),
        cmocka_unit_test(test_sdk_send_reaches_our_event_api),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
