/*
 * test_flow_crash.c - kill -9 the engine at random moments (at least ten
 * times) while a 200-step function runs; after restarts the run completes,
 * every step's side effect happened at least once, and no step that was
 * checkpointed before a kill ran again after it.
 */
#include "testutil.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STEPS 200

static pid_t spawn(const char *bin, const char *db, const char *log)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(bin, bin, db, log, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static size_t file_size(const char *path)
{
    if (!tu_exists(path))
        return 0;
    size_t len;
    free(tu_read_file(path, &len));
    return len;
}

static void test_crashes(void **state)
{
    (void)state;
    const char *bin = getenv("CB_CRASH_WORKER");
    assert_non_null(bin);
    char *dir = tu_mkdtemp();
    char *db = tu_path(dir, "crash.db");
    char *log = tu_path(dir, "effects.log");
    struct tu_run r = tu_run_cli(dir, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                                 (const char *const[]){"--db", db, "init-db", "--models", getenv("CB_MODELS_JSON"), NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);

    enum { KILLS = 12 };
    char *done_before[KILLS];
    size_t log_at[KILLS];
    int kills = 0;
    /* Random kill times; the seed is printed, and CB_KILL_SEED replays one. */
    const char *seed_env = getenv("CB_KILL_SEED");
    unsigned seed = seed_env && *seed_env ? (unsigned)strtoul(seed_env, NULL, 10)
                                          : (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    fprintf(stderr, "crash test (CB_KILL_SEED=%u): killing the engine at random moments:", seed);
    while (kills < KILLS) {
        pid_t pid = spawn(bin, db, log);
        long wait = 30 + rand() % 120;
        sleep_ms(wait);
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) /* finished before the kill */
            break;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        /* What was checkpointed at the kill, and where the log stood. */
        done_before[kills] = tu_sql(db, "SELECT '|' || group_concat(name, '|') || '|' FROM flow_steps WHERE status = 'done'");
        log_at[kills] = file_size(log);
        fprintf(stderr, " %ldms", wait);
        kills++;
    }
    fprintf(stderr, " (%d kills)\n", kills);
    assert_true(kills >= 10);
    /* Let it finish. */
    pid_t pid = spawn(bin, db, log);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *row = tu_sql(db, "SELECT status, output FROM flow_runs WHERE function_id = 'crash'");
    assert_string_equal(row, "completed|19900\n"); /* 0 + 1 + ... + 199 */
    free(row);

    size_t len;
    char *effects = tu_read_file(log, &len);
    int count[STEPS] = {0};
    int total = 0;
    for (char *p = effects; *p;) {
        int n = atoi(p);
        assert_true(n >= 0 && n < STEPS);
        count[n]++;
        total++;
        p = strchr(p, '\n') + 1;
    }
    for (int i = 0; i < STEPS; i++)
        if (count[i] < 1)
            fail_msg("step %d never ran", i);
    /* After each kill, no step checkpointed before it ran again. */
    for (int k = 0; k < kills; k++) {
        for (char *p = effects + log_at[k]; *p;) {
            char name[32];
            snprintf(name, sizeof name, "|step-%03d|", atoi(p));
            if (strstr(done_before[k], name))
                fail_msg("step %s ran again after kill %d although it was checkpointed", name, k + 1);
            p = strchr(p, '\n') + 1;
        }
        free(done_before[k]);
    }
    fprintf(stderr, "crash test: %d step executions for %d steps over %d kills\n", total, STEPS, kills);
    free(effects);
    tu_rmtree(dir);
    free(dir);
    free(db);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crashes),
    };
    return cmocka_run_group_tests_name("flow crash test (SIGKILL)", tests, NULL, NULL);
}
