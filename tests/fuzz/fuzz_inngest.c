/*
 * fuzz_inngest.c - libFuzzer harness for the Inngest serve endpoint's call
 * handling: any bytes as a call request's body go through the parser, the
 * memoized-state loader, a replay of a small function (serial steps, three
 * parallel ones, a wait) and the opcode writer, once as discovery and once
 * asking for a planned step; the first line also goes through the
 * signature check as an X-Inngest-Signature header. No crash, no leak, no
 * undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow/flow.h"
#include "flow/inngest.h"
#include "store/store.h"
#include "flow/inngest_sig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct flow_engine *engine;
static struct flow_inngest *inngest;
static char db_path[64];

static void remove_db(void)
{
    char p[80];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

static int echo_step(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    *out = json_string(arg);
    return 0;
}

static int body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    const json_t *a, *p[3], *w;
    if (flow_step_run(ctx, "a", echo_step, "a", 2, &a) == FLOW_PENDING)
        return flow_yield(ctx);
    int pending = 0;
    pending |= flow_step_run(ctx, "p", echo_step, "p", 2, &p[0]);
    pending |= flow_step_run(ctx, "p", echo_step, "p", 2, &p[1]);
    pending |= flow_step_invoke(ctx, "i", "f", json_object_get(event, "data"), &p[2]);
    if (pending)
        return flow_yield(ctx);
    if (flow_step_wait_for_event(ctx, "w", "x/y", "data.id", 1000, &w) == FLOW_PENDING ||
        flow_step_sleep(ctx, "s", 1500) == FLOW_PENDING)
        return flow_yield(ctx);
    if (flow_step_failed(a))
        return flow_fail(ctx, flow_step_failed(a));
    return flow_complete(ctx, w ? w : a);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char path[] = "/tmp/fuzz-inngest-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    unlink(path);
    snprintf(db_path, sizeof db_path, "%s", path);
    atexit(remove_db);
    struct err err = {{0}};
    struct store *store = NULL;
    struct store_open_opts so = {.create = 1};
    if (store_open(path, &so, &store, &err) < 0 || store_migrate(store, NULL, NULL, &err) < 0) {
        fprintf(stderr, "fuzz_inngest: %s\n", err.msg);
        abort();
    }
    store_close(store);
    struct flow_engine_opts eo = {.owner = "fuzz", .workers = 1};
    struct flow_function f = {.id = "f", .event = "x/f", .retries = 2, .body = body};
    struct flow_inngest_opts io = {.app_id = "fz", .dev = 1, .api_origin = "http://127.0.0.1:9",
                                   .event_origin = "http://127.0.0.1:9"};
    if (flow_engine_new(path, NULL, &eo, &engine, &err) < 0 || flow_engine_register(engine, &f, &err) < 0 ||
        flow_inngest_new(engine, &io, &inngest, &err) < 0) {
        fprintf(stderr, "fuzz_inngest: %s\n", err.msg);
        abort();
    }
    return 0;
}

static int contains(const uint8_t *data, size_t size, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, word, n) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    /* use_api would make a network call: a fuzzer must not. */
    if (contains(data, size, "use_api"))
        return 0;
    static const char *const steps[] = {"step", "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8", "nothing"};
    for (size_t i = 0; i < 3; i++) {
        struct flow_inngest_request req = {.method = "POST", .fn_id = "fz-f", .step_id = steps[i], .body = text,
                                           .body_len = size};
        struct flow_inngest_reply reply;
        flow_inngest_handle(inngest, &req, &reply);
        flow_inngest_reply_clear(&reply);
    }
    const char *nl = memchr(data, '\n', size);
    if (nl && (size_t)(nl - text) < 256) {
        char header[256];
        memcpy(header, text, (size_t)(nl - text));
        header[nl - text] = '\0';
        struct err err;
        inngest_verify("signkey-test-00ff", NULL, header, nl + 1, size - (size_t)(nl - text) - 1, 1700000000, &err);
    }
    return 0;
}
