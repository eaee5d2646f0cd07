/*
 * bench_flow.c - what a checkpointed step of the embedded engine costs
 * against one bare SQLite commit on the same file system.
 *
 * For each run length (steps per run; default 50, 200 and 1000, the step
 * cap) it times runs of trivial sequential steps through the engine (one
 * thread, a database file in WAL mode: replay, checkpoint, claim, release,
 * all of it), and, in slices alternating with the runs, bare commits: one prepared
 * INSERT of a row the size of a checkpoint per BEGIN IMMEDIATE / COMMIT,
 * in a file next to the engine's, WAL mode, the same `synchronous` setting
 * as the engine's connection. It prints steps/s, microseconds per step and
 * the ratio step / commit (target: at most 2 at every length), and the
 * engine's CPU time per step next to a bare commit's (flat with the run's
 * length when a step costs no replay). The machine's
 * fsync speed sets both figures, so only the ratio compares across
 * machines.
 *
 *   ./build/bench_flow [STEPS_PER_RUN ...]    (from the repository root)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "flow/flow.h"
#include "store/internal.h"
#include "store/store.h"

#define STEPS_PER_LENGTH 2000 /* steps timed per run length */
#define BARE_COMMITS 400      /* commits timed per run length */
#define SLICES 8              /* ...in slices between the engine's runs */

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

/* CPU seconds of this process (user + system). */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds per bare commit: n transactions of one INSERT each, the
 * statement prepared once. */
static double bare_cpu; /* CPU seconds the bare commits took, in total */

static double bare_commit(sqlite3 *conn, int n)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(conn, "INSERT INTO t (run_id, hash, output) VALUES (?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
        return -1;
    static int serial;
    double start = now_s(), cpu_start = cpu_s();
    for (int i = 0; i < n; i++) {
        char hash[48];
        snprintf(hash, sizeof hash, "%040d", serial++);
        if (sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return -1;
        sqlite3_bind_text(st, 1, "0000019aeb3c4f2a1b2c3d4e5f60718", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, i);
        if (sqlite3_step(st) != SQLITE_DONE || sqlite3_reset(st) != SQLITE_OK ||
            sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            return -1;
    }
    double elapsed = now_s() - start;
    bare_cpu += cpu_s() - cpu_start;
    sqlite3_finalize(st);
    return elapsed / n;
}

/* The engine's `synchronous` setting, read through its own connection. */
static int engine_synchronous(struct flow_engine *e)
{
    struct db_result *r = NULL;
    struct err err = {{0}};
    if (db_query(store_db(flow_engine_store(e)), &DB_STMT("PRAGMA synchronous"), &r, &err) < 0)
        return -1;
    int v = r->nrows ? (int)db_result_int(r, 0, 0) : -1;
    db_result_free(r);
    return v;
}

int main(int argc, char **argv)
{
    int lengths[16] = {50, 200, 1000};
    int nlengths = 3;
    if (argc > 1) {
        nlengths = 0;
        for (int i = 1; i < argc && nlengths < 16; i++)
            if ((lengths[nlengths] = atoi(argv[i])) > 0)
                nlengths++;
    }
    char dir[] = "/tmp/bench-flow-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char db[128], bare[128], cmd[512];
    snprintf(db, sizeof db, "%s/flow.db", dir);
    snprintf(bare, sizeof bare, "%s/bare.db", dir);
    snprintf(cmd, sizeof cmd, "./build/cryptic-bench --db %s init-db --models models.json > /dev/null", db);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_flow: init-db failed (run from the repository root after building)\n");
        return 1;
    }
    struct flow_engine_opts o = {.owner = "bench", .workers = 1, .poll_ms = 2, .max_steps = 1000};
    struct flow_engine *e;
    struct err err = {{0}};
    struct flow_function f = {.id = "bench", .event = "bench/go", .retries = -1, .body = body};
    if (flow_engine_new(db, NULL, &o, &e, &err) < 0 || flow_engine_register(e, &f, &err) < 0) {
        fprintf(stderr, "bench_flow: %s\n", err.msg);
        return 1;
    }
    int sync = engine_synchronous(e);
    sqlite3 *conn = NULL;
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%d", sync);
    if (sync < 0 || sqlite3_open(bare, &conn) != SQLITE_OK ||
        sqlite3_exec(conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(conn, pragma, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(conn, "CREATE TABLE t (run_id TEXT, hash TEXT, output TEXT, PRIMARY KEY (run_id, hash))",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_flow: cannot set up the bare commit file %s\n", bare);
        return 1;
    }
    printf("bench_flow: sequential trivial steps, one worker thread, SQLite files in WAL mode under /tmp, "
           "synchronous=%d\n", sync);
    printf("  %-14s %10s %12s %14s %8s %18s\n", "steps per run", "steps/s", "us per step", "us per commit", "ratio",
           "CPU us step/commit");
    double worst = 0;
    for (int l = 0; l < nlengths; l++) {
        steps_per_run = lengths[l];
        int runs = STEPS_PER_LENGTH / steps_per_run > 0 ? STEPS_PER_LENGTH / steps_per_run : 1;
        /* Slices of bare commits and engine runs alternate, so that both
         * see the same load on a shared machine. */
        int slices = runs < SLICES ? runs : SLICES;
        double elapsed = 0, commit_total = 0, cpu = 0;
        bare_cpu = 0;
        for (int k = 0; k < slices; k++) {
            double c = bare_commit(conn, BARE_COMMITS / slices);
            if (c < 0) {
                fprintf(stderr, "bench_flow: a bare commit failed: %s\n", sqlite3_errmsg(conn));
                return 1;
            }
            commit_total += c;
            int n = runs / slices + (k < runs % slices);
            for (int i = 0; i < n; i++)
                if (flow_engine_send(e, "bench/go", NULL, NULL, NULL, &err) < 0) {
                    fprintf(stderr, "bench_flow: %s\n", err.msg);
                    return 1;
                }
            double start = now_s(), cpu_start = cpu_s();
            if (flow_engine_drain(e, 600000, &err) < 0) {
                fprintf(stderr, "bench_flow: %s\n", err.msg);
                return 1;
            }
            elapsed += now_s() - start;
            cpu += cpu_s() - cpu_start;
        }
        /* Every run must have finished, or the figure means nothing. */
        struct db_result *r = NULL;
        if (db_query(store_db(flow_engine_store(e)),
                     &DB_STMT("SELECT count(*) FROM flow_runs WHERE status <> 'completed'"), &r, &err) < 0)
            return 1;
        int64_t unfinished = db_result_int(r, 0, 0);
        db_result_free(r);
        if (unfinished) {
            fprintf(stderr, "bench_flow: %lld run(s) did not complete\n", (long long)unfinished);
            return 1;
        }
        double steps = (double)runs * steps_per_run;
        double commit = commit_total / slices;
        double ratio = elapsed / steps / commit;
        if (ratio > worst)
            worst = ratio;
        int commits = slices * (BARE_COMMITS / slices);
        printf("  %-14d %10.0f %12.1f %14.1f %7.2fx %11.1f/%.1f\n", steps_per_run, steps / elapsed,
               elapsed / steps * 1e6, commit * 1e6, ratio, cpu / steps * 1e6, bare_cpu / commits * 1e6);
    }
    flow_engine_free(e);
    sqlite3_close(conn);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  worst ratio %.2fx (target: at most 2x), peak RSS %.1f MB\n", worst, (double)ru.ru_maxrss / 1024);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
