/*
 * bench_flow.c - checkpointed steps per second of the embedded engine, with
 * trivial step bodies, on a database file (WAL), and the engine's overhead
 * per step (wall time per step: replay, checkpoint, claim, all of it).
 *
 *   ./build/bench_flow [RUNS] [STEPS_PER_RUN]    (from the repository root)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "flow/flow.h"

static int steps_per_run = 200;

static int trivial(void *arg, json_t **out, struct flow_step_error *e)
{
    (void)e;
    *out = json_integer((json_int_t)(intptr_t)arg);
    return 0;
}

static int body(struct flow_ctx *ctx, const json_t *event, void *user)
{
    (void)event;
    (void)user;
    for (int i = 0; i < steps_per_run; i++) {
        char id[32];
        snprintf(id, sizeof id, "s%d", i);
        if (flow_step_run(ctx, id, trivial, (void *)(intptr_t)i, 0, NULL) == FLOW_PENDING)
            return flow_yield(ctx);
    }
    return flow_complete(ctx, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 10;
    steps_per_run = argc > 2 ? atoi(argv[2]) : 200;
    char dir[] = "/tmp/bench-flow-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char db[128], cmd[512];
    snprintf(db, sizeof db, "%s/flow.db", dir);
    snprintf(cmd, sizeof cmd, "./build/cryptic-bench --db %s init-db --models models.json > /dev/null", db);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_flow: init-db failed (run from the repository root after building)\n");
        return 1;
    }
    struct flow_engine_opts o = {.owner = "bench", .workers = 1, .poll_ms = 2, .max_steps = steps_per_run + 10};
    struct flow_engine *e;
    struct err err = {{0}};
    struct flow_function f = {.id = "bench", .event = "bench/go", .retries = -1, .body = body};
    if (flow_engine_new(db, NULL, &o, &e, &err) < 0 || flow_engine_register(e, &f, &err) < 0) {
        fprintf(stderr, "bench_flow: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < runs; i++)
        if (flow_engine_send(e, "bench/go", NULL, NULL, NULL, &err) < 0)
            return 1;
    double start = now_s();
    if (flow_engine_drain(e, 600000, &err) < 0) {
        fprintf(stderr, "bench_flow: %s\n", err.msg);
        return 1;
    }
    double elapsed = now_s() - start;
    flow_engine_free(e);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double steps = (double)runs * steps_per_run;
    printf("bench_flow: %d runs x %d steps, one thread, SQLite file in WAL mode\n", runs, steps_per_run);
    printf("  %.0f checkpointed steps/s, %.1f us per step (engine overhead), peak RSS %.1f MB\n", steps / elapsed,
           elapsed / steps * 1e6, (double)ru.ru_maxrss / 1024);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
