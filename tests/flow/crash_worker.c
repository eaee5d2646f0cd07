/*
 * crash_worker.c - the program the crash test kills: it sends the event
 * "test/crash" (id "crash-1": sending it again on every start changes
 * nothing) and drains the engine, whose function has 200 steps; each step
 * appends its number to a log file (its side effect) before it returns.
 * Exits 0 once the run is finished.
 *
 *   crash_worker DB LOG
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flow/flow.h"

#define STEPS 200

static int log_fd = -1;

static int side_effect(void *arg, json_t **out, struct flow_step_error *e)
{
    int n = (int)(intptr_t)arg;
    char line[32];
    int len = snprintf(line, sizeof line, "%d\n", n);
    if (write(log_fd, line, (size_t)len) != len) {
        snprintf(e->message, sizeof e->message, "cannot write the log");
        e->retriable = 1;
        return -1;
    }
    struct timespec ts = {0, 10 * 1000000L}; /* a little work, so kills land mid-run */
    nanosleep(&ts, NULL);
    *out = json_integer(n);
    return 0;
}

static int body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    json_int_t sum = 0;
    for (int i = 0; i < STEPS; i++) {
        char id[32];
        const json_t *r;
        snprintf(id, sizeof id, "step-%03d", i);
        if (flow_step_run(ctx, id, side_effect, (void *)(intptr_t)i, 0, &r) == FLOW_PENDING)
            return flow_yield(ctx);
        sum += json_integer_value(r);
    }
    json_t *out = json_integer(sum);
    int rc = flow_complete(ctx, out);
    json_decref(out);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: crash_worker DB LOG\n");
        return 2;
    }
    log_fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log_fd < 0)
        return 1;
    struct flow_engine_opts o = {.owner = "crash-worker", .workers = 1, .poll_ms = 5, .lease_ms = 60000};
    struct flow_engine *e = NULL;
    struct err err = {{0}};
    struct flow_function f = {.id = "crash", .event = "test/crash", .retries = -1, .body = body};
    if (flow_engine_new(argv[1], NULL, &o, &e, &err) < 0 || flow_engine_register(e, &f, &err) < 0 ||
        flow_engine_send(e, "test/crash", NULL, "crash-1", NULL, &err) < 0 || flow_engine_drain(e, 120000, &err) < 0) {
        fprintf(stderr, "crash_worker: %s\n", err.msg);
        flow_engine_free(e);
        return 1;
    }
    flow_engine_free(e);
    close(log_fd);
    return 0;
}
