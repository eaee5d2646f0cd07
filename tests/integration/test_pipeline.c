/*
 * test_pipeline.c - the weekly pipeline on the engine, end to end with the
 * fakes (Fifteensquared with several weeks of posts, the chat-completions
 * API) on loopback: `run` scrapes, evaluates every active model on every
 * clue once and ranks every week; an API outage ridden out by retries gives
 * the same rankings as a clean run; a 402 after N calls stops every model
 * with one message, nothing counted wrong, only complete models ranked;
 * `serve` killed with SIGKILL ten times finishes with exactly one
 * evaluation per (model, clue) and few duplicate requests; `send` and the
 * server's routes; a job run through pipeline/run.h hands back its failed
 * run with the error's class and HTTP status as data.
 */
#include "testutil.h"
#include "pipeline_fakes.h"
#include "core/utc.h"
#include "pipeline/run.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *work;

#define NMODELS PF_NMODELS
#define NCLUES PF_NCLUES /* the 5 puzzles of the default series in tests/fixtures/feed */

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    return 0;
}

/* The serve a test started last, killed at teardown when a failed
 * assertion left it running (it would go on writing for ever). */
static pid_t serve_pid;

static int teardown(void **state)
{
    (void)state;
    if (serve_pid > 0 && waitpid(serve_pid, NULL, WNOHANG) == 0) {
        kill(serve_pid, SIGKILL);
        waitpid(serve_pid, NULL, 0);
    }
    serve_pid = 0;
    tu_stop_all_fakes();
    tu_rmtree(work);
    free(work);
    return 0;
}

static char *rankings(const char *db)
{
    return tu_sql(db, "SELECT r.week_id, m.openrouter_id, r.total_clues, r.correct_count, r.rank, r.previous_rank, "
                      "r.tenure_weeks FROM weekly_rankings r JOIN models m ON m.id = r.model_id ORDER BY 1, 2");
}

static void test_run_end_to_end(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, NULL, 0);
    char *db = pf_make_db(work, "run.db");
    struct tu_run r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "run", NULL});
    if (r.status != 0)
        fail_msg("run failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_assert_contains(r.out, "scrape-puzzles               1      0         0");
    tu_assert_contains(r.out, "2026-W14 ranked");
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM clues"), NCLUES);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations"), NCLUES * NMODELS);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'correct'"), NCLUES * NMODELS);
    char *weeks = tu_sql(db, "SELECT week_id, status FROM week_status ORDER BY week_id");
    assert_string_equal(weeks, "2026-W01|ranked\n2026-W07|ranked\n2026-W14|ranked\n");
    free(weeks);
    /* The scrape reports the weeks it saved, in its run and its event. */
    char *scraped = tu_sql(db, "SELECT group_concat(w, ' ') FROM (SELECT j.value AS w FROM flow_runs r, "
                               "json_each(r.output, '$.weeks') j WHERE r.function_id = 'scrape-puzzles' ORDER BY 1)");
    assert_string_equal(scraped, "2026-W01 2026-W07 2026-W14\n");
    free(scraped);
    /* Each (model, clue) asked once. */
    char *log = tu_path(work, "llm.jsonl");
    char *text = tu_read_file(log, NULL);
    int requests = 0;
    for (char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        requests++;
    if (requests != NCLUES * NMODELS) {
        char *runs = tu_sql(db, "SELECT function_id, status, event_id, coalesce(error, '') FROM flow_runs ORDER BY created_at");
        char *att = tu_sql(db, "SELECT attempts, count(*) FROM evaluations GROUP BY 1");
        char *steps = tu_sql(db, "SELECT name, attempts, status FROM flow_steps WHERE attempts > 1");
        fail_msg("%d requests for %d evaluations\nruns:\n%s\nattempts:\n%s\nsteps:\n%s", requests, NCLUES * NMODELS, runs, att, steps);
    }
    free(text);
    free(log);
    /* A second run reads back from 8 days before the newest stored post, finds
     * one older post the first run did not reach, and asks only its clues. */
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "run", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    int64_t clues = tu_sql_int(db, "SELECT count(*) FROM clues");
    assert_int_equal(clues, NCLUES + 9);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations"), clues * NMODELS);
    free(db);
}

/* The same pipeline with the database on a real libSQL server (sqld,
 * Hrana over HTTP): the engine's state and the data all live there. */
static void test_run_on_a_libsql_server(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, NULL, 0);
    int port;
    int sqld = tu_start_sqld(work, &port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    pf_init_db(work, url);
    struct tu_run r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", url, "run", NULL});
    if (r.status != 0)
        fail_msg("run failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_assert_contains(r.out, "2026-W14 ranked");
    tu_run_free(&r);
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                   (const char *const[]){"--db", url, "status", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "(remote, from --db)");
    char expect[64];
    snprintf(expect, sizeof expect, "evaluations:      %d (0 errors)", NCLUES * NMODELS);
    tu_assert_contains(r.out, expect);
    tu_run_free(&r);
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                   (const char *const[]){"--db", url, "leaderboard", "--week", "2026-W07", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "Week 2026-W07");
    tu_assert_contains(r.out, "test/a");
    tu_run_free(&r);
    tu_stop_fake(sqld);
}

static void test_outage_gives_the_same_rankings(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, NULL, 0);
    char *clean = pf_make_db(work, "clean.db");
    struct tu_run r = tu_run_cli(work, pf_env("6"), (const char *const[]){"--db", clean, "run", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    tu_stop_all_fakes();
    pf_start_fifteensquared(work);
    pf_start_llm(work, "{\"outage_seconds\": 1.5}", 0);
    char *db = pf_make_db(work, "outage.db");
    r = tu_run_cli(work, pf_env("6"), (const char *const[]){"--db", db, "run", NULL});
    if (r.status != 0)
        fail_msg("run failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_run_free(&r);
    assert_true(tu_sql_int(db, "SELECT max(attempts) FROM evaluations") > 1); /* the outage was met */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error'"), 0);
    char *a = rankings(clean), *b = rankings(db);
    assert_string_equal(a, b);
    assert_true(strlen(a) > 0);
    free(a);
    free(b);
    free(db);
    free(clean);
}

static void test_credits_run_out(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, "{\"fail_after\": {\"calls\": 60, \"status\": 402, \"message\": \"Insufficient credits\"}}", 20);
    char *db = pf_make_db(work, "credits.db");
    struct tu_run r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "run", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.out, "every model stopped");
    tu_assert_contains(r.out, "HTTP 402: Insufficient credits");
    tu_assert_contains(r.err, "failed");
    tu_run_free(&r);
    /* Nothing counts as wrong; the 402s are errors. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'wrong'"), 0);
    assert_true(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error' AND error_message LIKE '%402%'") >= 1);
    /* ...stored with their class and status as data (what rank counts them by). */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error' AND error_message LIKE 'HTTP 402%'"),
                     tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'error' AND error_status = 402 "
                                    "AND error_class = 'run-fatal'"));
    /* Only the models complete before the 402 are ranked: exactly the (week,
     * model) pairs with a non-error outcome for every clue of the week. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM weekly_rankings WHERE total_clues < "
                                    "(SELECT clue_count FROM week_status s WHERE s.week_id = weekly_rankings.week_id)"), 0);
    int64_t complete = tu_sql_int(db, "SELECT count(*) FROM (SELECT p.week_id, e.model_id FROM evaluations e "
                                      "JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id "
                                      "WHERE e.outcome <> 'error' GROUP BY 1, 2 HAVING count(*) = "
                                      "(SELECT count(*) FROM clues c2 JOIN puzzles p2 ON p2.id = c2.puzzle_id "
                                      " WHERE p2.week_id = p.week_id))");
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM weekly_rankings"), complete);
    assert_true(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome = 'correct'") > 0);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM week_status"), 3);
    /* Every model stopped at once: no call after the 402 beyond those in flight. */
    char *log = tu_path(work, "llm.jsonl");
    char *text = tu_read_file(log, NULL);
    int requests = 0;
    for (char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        requests++;
    assert_true(requests <= 60 + NMODELS + NMODELS);
    free(text);
    free(log);
    /* `runs` shows the failed weeks with their reason, and an operator can
     * retry or cancel one (the engine's side is tested in test_flow). */
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "runs", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "evaluate-week");
    tu_assert_contains(r.out, "failed");
    tu_run_free(&r);
    char *id = tu_sql(db, "SELECT id FROM flow_runs WHERE function_id = 'evaluate-week' AND status = 'failed' "
                          "AND error_class = 'run-fatal' AND error_status = 402 LIMIT 1");
    id[strcspn(id, "\n")] = '\0';
    assert_true(id[0]);
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "runs", "show", id, NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "every model stopped");
    tu_assert_contains(r.out, "evaluate-test/a");
    tu_run_free(&r);
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "runs", "retry", id, NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "queued again");
    tu_run_free(&r);
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "runs", "cancel", id, NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "runs", "show", id, NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "cancelled");
    tu_run_free(&r);
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "runs", "show", "nope", NULL});
    assert_int_equal(r.status, 1);
    tu_run_free(&r);
    free(id);
    free(db);
}

/* The port serve prints once it listens (a generous cap for a loaded
 * machine: a restarted serve first takes back its runs; a failure says
 * what serve wrote). */
static int wait_for_port(const char *out_path)
{
    int64_t until = utc_mono_ms() + 120000;
    do {
        if (tu_exists(out_path)) {
            char *t = tu_read_file(out_path, NULL);
            char *p = strstr(t, "127.0.0.1:");
            int port = p ? atoi(p + 10) : 0;
            free(t);
            if (port > 0)
                return port;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    } while (utc_mono_ms() < until);
    char err_path[1024];
    snprintf(err_path, sizeof err_path, "%s.err", out_path);
    char *out = tu_exists(out_path) ? tu_read_file(out_path, NULL) : NULL;
    char *err = tu_exists(err_path) ? tu_read_file(err_path, NULL) : NULL;
    size_t len = err ? strlen(err) : 0;
    fail_msg("serve printed no port within 120 s; its stdout:\n%s\nits stderr ends:\n%s", out ? out : "(none)",
             err ? (len > 2000 ? err + len - 2000 : err) : "(none)");
    return 0;
}

static pid_t start_serve(const char *db, const char *out_path)
{
    remove(out_path); /* wait_for_port must not read the previous process's line */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (const char *const *e = pf_env("2"); *e; e++) {
            char name[128];
            const char *eq = strchr(*e, '=');
            snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
            if (eq[1])
                setenv(name, eq + 1, 1);
            else
                unsetenv(name);
        }
        /* Every HTTP client of the event API needs the key (issue 17). */
        setenv("INNGEST_EVENT_KEY", "pipeline-key", 1);
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char err_path[1024];
        snprintf(err_path, sizeof err_path, "%s.err", out_path);
        int err_fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(err_fd, 2);
        const char *bin = getenv("CRYPTIC_BENCH_BIN");
        execl(bin, bin, "--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron", "--workers", "4", (char *)NULL);
        _exit(127);
    }
    serve_pid = pid;
    return pid;
}

static json_t *llm_stats(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/stats", pf_llm_port);
    FILE *p = popen(cmd, "r");
    char buf[256] = "";
    if (p) {
        if (!fgets(buf, sizeof buf, p))
            buf[0] = '\0';
        pclose(p);
    }
    return json_loads(buf, 0, NULL);
}

/* Waits until no run is left and the three weeks are ranked: a generous
 * cap (five minutes, for a loaded machine), then a failure saying what it saw. */
static void wait_until_done(const char *db)
{
    int64_t open_runs = -1, weeks = -1;
    for (int i = 0; i < 3000; i++) {
        open_runs = tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE status IN ('queued', 'running', 'sleeping', "
                                   "'waiting')");
        weeks = tu_sql_int(db, "SELECT count(*) FROM week_status");
        if (open_runs == 0 && weeks == 3)
            return;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    char *runs = tu_sql(db, "SELECT function_id, status, count(*) FROM flow_runs GROUP BY 1, 2");
    fail_msg("gave up after 5 minutes: %lld runs not finished, %lld of 3 weeks with a status; runs:\n%s",
             (long long)open_runs, (long long)weeks, runs);
}

static void test_serve_survives_kills(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, NULL, 60);
    char *db = pf_make_db(work, "serve.db");
    char *out = tu_path(work, "serve.out");
    pid_t pid = start_serve(db, out);
    int port = wait_for_port(out);
    assert_true(port > 0);
    /* The event API and the routes. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "curl -s -X POST http://127.0.0.1:%d/e/pipeline-key -d '{\"name\": \"benchmark/scrape.requested\", \"data\": {}}' > %s/sent.json",
             port, work);
    assert_int_equal(system(cmd), 0);
    char *sent_path = tu_path(work, "sent.json");
    char *sent = tu_read_file(sent_path, NULL);
    tu_assert_contains(sent, "\"ids\":[\"");
    tu_assert_contains(sent, "\"status\":200");
    free(sent);
    free(sent_path);
    /* Events without a name, or bodies that are not JSON, are refused. */
    snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -w '%%{http_code}' -X POST http://127.0.0.1:%d/e/pipeline-key -d '{\"data\": {}}' "
             "| grep -qx 400 && curl -s -o /dev/null -w '%%{http_code}' -X POST http://127.0.0.1:%d/e/pipeline-key -d '{\"name\": ' "
             "| grep -qx 400", port, port);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/health | grep -q ok && curl -s http://127.0.0.1:%d/api/runs | grep -q scrape-puzzles && "
             "curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:%d/nope | grep -q 404", port, port, port);
    assert_int_equal(system(cmd), 0);

    /* Random kill times; the seed is printed, and CB_KILL_SEED replays one. */
    const char *seed_env = getenv("CB_KILL_SEED");
    unsigned seed = seed_env && *seed_env ? (unsigned)strtoul(seed_env, NULL, 10)
                                          : (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    int kills = 0;
    fprintf(stderr, "serve crash test (CB_KILL_SEED=%u):", seed);
    while (kills < 10) {
        struct timespec ts = {0, (200 + rand() % 300) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        kills++;
        fprintf(stderr, " kill %d", kills);
        pid = start_serve(db, out);
        assert_true(wait_for_port(out) > 0);
    }
    /* Let it finish. */
    wait_until_done(db);
    /* A run's page lists its steps. */
    char *scrape_run = tu_sql(db, "SELECT id FROM flow_runs WHERE function_id = 'scrape-puzzles' LIMIT 1");
    scrape_run[strcspn(scrape_run, "\n")] = '\0';
    snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/api/runs/%s | grep -q weeks-to-evaluate", wait_for_port(out),
             scrape_run);
    if (system(cmd) != 0)
        fail_msg("/api/runs/%s does not list the run's steps", scrape_run);
    free(scrape_run);
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { /* a clean stop on SIGTERM */
        char *err_path = tu_path(work, "serve.out.err");
        char *log = tu_read_file(err_path, NULL);
        size_t len = strlen(log);
        fail_msg("serve ended with status %d (signal %d); its stderr ends:\n%s", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0, len > 2000 ? log + len - 2000 : log);
    }
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations"), NCLUES * NMODELS);
    assert_int_equal(tu_sql_int(db, "SELECT count(DISTINCT clue_id || '-' || model_id) FROM evaluations"), NCLUES * NMODELS);
    char *weeks = tu_sql(db, "SELECT week_id, status FROM week_status ORDER BY week_id");
    assert_string_equal(weeks, "2026-W01|ranked\n2026-W07|ranked\n2026-W14|ranked\n");
    free(weeks);
    json_t *stats = llm_stats();
    int requests = (int)json_integer_value(json_object_get(stats, "requests"));
    /* What a kill costs: the calls the killed process left in flight (the
     * fake counts them after the kill, when their answer finds the client
     * gone) and answers received but not yet checkpointed; all are asked
     * again. Each evaluate-model run asks one clue at a time, and one run per
     * model goes at once, so a kill loses at most one call per model.
     * Anything beyond is checkpointed work done twice. Counted, not timed:
     * a call that starts just before a kill is still counted. */
    int abandoned = (int)json_integer_value(json_object_get(stats, "abandoned"));
    json_decref(stats);
    int duplicates = requests - NCLUES * NMODELS;
    fprintf(stderr, "; %d requests for %d (model, clue) pairs: %d duplicates; %d left in flight by the kills\n",
            requests, NCLUES * NMODELS, duplicates, abandoned);
    assert_true(abandoned <= duplicates);
    assert_true(duplicates <= kills * NMODELS);
    free(out);
    free(db);
}

/* SIGTERM in the middle of an evaluation: serve stops claiming, lets the
 * running steps finish, gives its runs back and exits 0; the next serve
 * finishes the work without asking any (model, clue) twice. */
static void test_serve_stops_cleanly_mid_run(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, NULL, 60);
    char *db = pf_make_db(work, "term.db");
    char *out = tu_path(work, "term.out");
    pid_t pid = start_serve(db, out);
    int port = wait_for_port(out);
    assert_true(port > 0);
    /* `send --url` posts to the running server. */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    struct tu_run r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", "INNGEST_EVENT_KEY=pipeline-key", NULL},
                                 (const char *const[]){"send", "benchmark/scrape.requested", "--url", url, NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "\"ids\":[\"");
    tu_run_free(&r);
    /* Until the run is well under way (generous cap for a loaded machine). */
    for (int i = 0; i < 6000 && tu_sql_int(db, "SELECT count(*) FROM evaluations") < 10; i++) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    int before = tu_sql_int(db, "SELECT count(*) FROM evaluations");
    if (!(before >= 10 && before < NCLUES * NMODELS))
        fail_msg("expected a run under way (10 to %d evaluations) before SIGTERM, saw %d", NCLUES * NMODELS - 1,
                 before);
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* Nothing is left held by the stopped process; the work is not done. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE status = 'running' OR lease_owner IS NOT NULL"), 0);
    assert_true(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE status IN ('queued', 'waiting', 'sleeping')") > 0);
    json_t *stats = llm_stats();
    int requests_at_stop = (int)json_integer_value(json_object_get(stats, "requests"));
    json_decref(stats);
    int stored_at_stop = tu_sql_int(db, "SELECT count(*) FROM evaluations");
    assert_int_equal(requests_at_stop, stored_at_stop); /* every call that was made, landed */

    pid = start_serve(db, out);
    assert_true(wait_for_port(out) > 0);
    wait_until_done(db);
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(tu_sql_int(db, "SELECT count(DISTINCT clue_id || '-' || model_id) FROM evaluations"), NCLUES * NMODELS);
    stats = llm_stats();
    assert_int_equal((int)json_integer_value(json_object_get(stats, "requests")), NCLUES * NMODELS);
    json_decref(stats);
    char *weeks = tu_sql(db, "SELECT week_id, status FROM week_status ORDER BY week_id");
    assert_string_equal(weeks, "2026-W01|ranked\n2026-W07|ranked\n2026-W14|ranked\n");
    free(weeks);
    free(out);
    free(db);
}

static void test_send_into_the_database(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "send.db");
    struct tu_run r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", "CRYPTIC_BENCH_URL=", NULL},
                                 (const char *const[]){"--db", db, "send", "benchmark/evaluate.requested", "--data",
                                                       "{\"week_id\": \"2026-W14\"}", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "\"status\":200");
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE function_id = 'evaluate-week' AND status = 'queued'"), 1);
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                   (const char *const[]){"--db", db, "send", "x", "--data", "[1]", NULL});
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                   (const char *const[]){"send", "benchmark/scrape.requested", "--url", "http://127.0.0.1:1", NULL});
    assert_int_equal(r.status, 1);
    tu_run_free(&r);
    free(db);
}

/* pipeline_run_job (pipeline/run.h), in this process: a 402 on every call
 * fails evaluate-week, and the run comes back failed with its error typed
 * (run-fatal, 402) next to the message, not to be parsed out of it. */
static void test_run_job_keeps_the_error_class(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, "{\"fail_after\": {\"calls\": 0, \"status\": 402, \"message\": \"Insufficient credits\"}}", 0);
    char *db = pf_make_db(work, "job.db");
    struct tu_run r = tu_run_cli(work, pf_env("0"), (const char *const[]){"--db", db, "scrape", NULL});
    if (r.status != 0)
        fail_msg("scrape failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_run_free(&r);
    char *week = tu_sql(db, "SELECT min(week_id) FROM puzzles");
    week[strcspn(week, "\n")] = '\0';
    assert_true(week[0]);

    struct err err = {{0}};
    struct store *store = NULL;
    struct store_open_opts so = {0};
    assert_int_equal(store_open(db, &so, &store, &err), 0);
    char llm[96];
    snprintf(llm, sizeof llm, "http://127.0.0.1:%d/api/v1", pf_llm_port);
    struct pipeline_config cfg = {
        .store = store,
        .engine = {.db_location = db, .poll_ms = -1, .lease_ms = -1, .backoff_base_ms = -1, .workers = -1},
        .evaluate = {.api_key = "test-key", .base_url = llm, .retries = 0, .backoff_ms = 1, .timeout_ms = 30000},
        .spend = {.skip_credits = 1},
        .step_retries = 0,
    };
    json_t *data = json_pack("{s:s}", "week_id", week);
    struct pipeline_job job = {.which = PIPELINE_EVALUATE,
                               .role = "test",
                               .workers = 4,
                               .event = "benchmark/evaluate.requested",
                               .data = data,
                               .function_id = "evaluate-week"};
    struct store_flow_run run;
    int rc = pipeline_run_job(&cfg, &job, &run, &err);
    json_decref(data);
    if (rc != 0)
        fail_msg("pipeline_run_job: %s", err.msg);
    assert_string_equal(run.status, "failed");
    assert_int_equal(run.error_class, ERR_CLASS_RUN_FATAL);
    assert_int_equal(run.error_status, 402);
    assert_non_null(run.error);
    tu_assert_contains(run.error, "every model stopped");
    /* The command's line is the run's message. */
    assert_int_equal(pipeline_run_completed(&run, &err), -1);
    assert_string_equal(err.msg, run.error);
    store_flow_run_clear(&run);
    store_close(store);
    free(week);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_end_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_on_a_libsql_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outage_gives_the_same_rankings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credits_run_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_job_keeps_the_error_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_into_the_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_survives_kills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_stops_cleanly_mid_run, setup, teardown),
    };
    return cmocka_run_group_tests_name("pipeline on the engine (run, serve, send)", tests, NULL, NULL);
}
