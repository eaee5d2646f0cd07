/*
 * test_operate.c - running a paid weekly benchmark: curation (quarantining
 * the old system's Prize post changes its week's ranking exactly as worked
 * out here from the stored data, and restoring it restores every derived
 * table; excluding one clue), spend control (a run over its budget, or with
 * too little credit left at the provider, is refused before any call), and
 * backfill (a newly activated model is evaluated once on every past week
 * and ranked in each, through benchmark/model.added, resuming after
 * SIGKILL).
 */
#include "testutil.h"
#include "pipeline_fakes.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *work;

static const char *const env[] = {"TURSO_DATABASE_URL=", "DATABASE_PATH=", NULL};

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

/* Every derived table, without ids and timestamps. */
static char *derived(const char *db)
{
    static const char *const queries[] = {
        "SELECT week_id, model_id, total_clues, correct_count, accuracy, rank, previous_rank, rank_change, "
        "ci_low, ci_high, tenure_weeks FROM weekly_rankings ORDER BY 1, 2",
        "SELECT week_id, status, reason, clue_count, models_ranked FROM week_status ORDER BY 1",
        "SELECT week_id, model_id, clues, evaluated, errors, coverage FROM week_coverage ORDER BY 1, 2",
        "SELECT model_id, weeks, total_clues, correct_count, accuracy, rank FROM alltime_rankings ORDER BY 1",
        "SELECT model_id, rank_position, start_week, end_week, weeks_count, is_current FROM rank_tenure ORDER BY 1, 2, 3",
    };
    return tu_sql_many(db, queries, sizeof queries / sizeof queries[0]);
}

static struct tu_run cli(const char *db, const char *const *args)
{
    const char *full[16] = {"--db", db};
    size_t n = 2;
    for (; *args && n < 15; args++)
        full[n++] = *args;
    full[n] = NULL;
    return tu_run_cli(work, env, full);
}
#define CLI(db, ...) cli(db, (const char *const[]){__VA_ARGS__, NULL})

static void expect_ok(struct tu_run r, const char *what)
{
    if (r.status != 0)
        fail_msg("%s failed (%d): %s\n%s", what, r.status, r.err, r.out);
    tu_run_free(&r);
}

/* ---- curation ------------------------------------------------------------------------------ */

static void test_quarantine_the_prize_post(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *db = tu_path(work, "curate.db");
    tu_upgraded_old_db(db, env);
    expect_ok(CLI(db, "rank", "--all"), "rank --all");
    char *before = derived(db);
    /* The Prize post: the guardian-prize puzzle, the only one of its week. */
    int64_t prize = tu_sql_int(db, "SELECT id FROM puzzles WHERE series = 'guardian-prize'");
    char *week = tu_sql(db, "SELECT week_id FROM puzzles WHERE series = 'guardian-prize'");
    week[strcspn(week, "\n")] = '\0';
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM puzzles WHERE week_id = (SELECT week_id FROM puzzles "
                                    "WHERE series = 'guardian-prize')"), 1);

    /* Worked out from the stored data before the change: the ranked weeks
     * either side of the Prize week, and what their boards must become. */
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT max(week_id) FROM week_status WHERE status = 'ranked' AND week_id < '%s'", week);
    char *prev = tu_sql(db, sql);
    prev[strcspn(prev, "\n")] = '\0';
    snprintf(sql, sizeof sql, "SELECT min(week_id) FROM week_status WHERE status = 'ranked' AND week_id > '%s'", week);
    char *next = tu_sql(db, sql);
    next[strcspn(next, "\n")] = '\0';
    assert_true(prev[0] && next[0]);
    /* The next week's movement is now against the previous week; its tenure
     * continues the previous week's when the rank is the same. */
    snprintf(sql, sizeof sql,
             "SELECT n.model_id, n.rank, p.rank, CASE WHEN p.rank IS NULL THEN NULL ELSE p.rank - n.rank END, "
             "CASE WHEN p.rank = n.rank THEN p.tenure_weeks + 1 ELSE 1 END, n.total_clues, n.correct_count "
             "FROM weekly_rankings n LEFT JOIN weekly_rankings p ON p.model_id = n.model_id AND p.week_id = '%s' "
             "WHERE n.week_id = '%s' ORDER BY n.model_id",
             prev, next);
    char *want_next = tu_sql(db, sql);
    /* All time loses the Prize week's answers. */
    snprintf(sql, sizeof sql,
             "SELECT a.model_id, a.total_clues - coalesce(w.total_clues, 0), a.correct_count - coalesce(w.correct_count, 0), "
             "a.weeks - (w.model_id IS NOT NULL) FROM alltime_rankings a LEFT JOIN weekly_rankings w "
             "ON w.model_id = a.model_id AND w.week_id = '%s' ORDER BY a.model_id",
             week);
    char *want_alltime = tu_sql(db, sql);
    char sha_before[65];
    tu_sha256_file(db, sha_before);

    /* Bad input changes nothing. */
    struct tu_run r = CLI(db, "puzzles", "quarantine", "3");
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "--reason");
    tu_run_free(&r);
    r = CLI(db, "puzzles", "quarantine", "99999", "--reason", "x");
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "no puzzle with id 99999");
    tu_run_free(&r);
    r = CLI(db, "clues", "exclude", "abc", "--reason", "x");
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    char sha_after[65];
    tu_sha256_file(db, sha_after);
    assert_string_equal(sha_before, sha_after);

    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)prize);
    r = CLI(db, "puzzles", "quarantine", id, "--reason", "a Prize post whose table gives 8 of its clues");
    if (r.status != 0)
        fail_msg("quarantine failed: %s", r.err);
    tu_assert_contains(r.out, "taken out of scoring");
    tu_run_free(&r);
    r = CLI(db, "puzzles", "list");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "quarantined: a Prize post whose table gives 8 of its clues");
    tu_run_free(&r);

    /* The Prize week has no ranking and says why; the next week's board is as worked out. */
    snprintf(sql, sizeof sql, "SELECT status, reason FROM week_status WHERE week_id = '%s'", week);
    char *status = tu_sql(db, sql);
    tu_assert_contains(status, "no-ranking|");
    tu_assert_contains(status, "quarantined or excluded");
    free(status);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM weekly_rankings WHERE week_id = '%s'", week);
    assert_int_equal(tu_sql_int(db, sql), 0);
    snprintf(sql, sizeof sql,
             "SELECT model_id, rank, previous_rank, rank_change, tenure_weeks, total_clues, correct_count "
             "FROM weekly_rankings WHERE week_id = '%s' ORDER BY model_id",
             next);
    char *got_next = tu_sql(db, sql);
    assert_string_equal(got_next, want_next);
    char *got_alltime = tu_sql(db, "SELECT model_id, total_clues, correct_count, weeks FROM alltime_rankings "
                                    "ORDER BY model_id");
    assert_string_equal(got_alltime, want_alltime);
    /* Weeks before it are untouched; the stored clues and answers too. */
    snprintf(sql, sizeof sql, "SELECT * FROM weekly_rankings WHERE week_id < '%s' ORDER BY week_id, model_id", week);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM clues WHERE puzzle_id = 3"), 8);

    /* Restoring it restores every derived table. */
    r = CLI(db, "puzzles", "restore", id);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char *after = derived(db);
    assert_string_equal(after, before);
    free(after);

    /* One clue out: the known faulty answer (SPECIAL for a (7,13) clue). */
    int64_t special = tu_sql_int(db, "SELECT id FROM clues WHERE answer = 'SPECIAL'");
    assert_true(special > 0);
    snprintf(id, sizeof id, "%lld", (long long)special);
    snprintf(sql, sizeof sql,
             "SELECT s.clue_count FROM week_status s JOIN puzzles p ON p.week_id = s.week_id JOIN clues c "
             "ON c.puzzle_id = p.id WHERE c.id = %lld",
             (long long)special);
    int64_t clues_before = tu_sql_int(db, sql);
    r = CLI(db, "clues", "exclude", id, "--reason", "the blog's table gives SPECIAL for a (7,13)");
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, sql), clues_before - 1);
    r = CLI(db, "clues", "restore", id);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    after = derived(db);
    assert_string_equal(after, before);
    free(after);

    free(got_next);
    free(got_alltime);
    free(want_next);
    free(want_alltime);
    free(prev);
    free(next);
    free(week);
    free(before);
    free(db);
}

/* ---- spend control --------------------------------------------------------------------------- */

/* The pipeline's environment plus one more setting. */
static const char *const *env_plus(const char *extra)
{
    static const char *list[32];
    size_t n = 0;
    for (const char *const *e = pf_env("2"); *e && n < 30; e++)
        list[n++] = *e;
    list[n++] = extra;
    list[n] = NULL;
    return list;
}

static int llm_requests(void)
{
    char *log = tu_path(work, "llm.jsonl");
    int n = 0;
    if (tu_exists(log)) {
        char *text = tu_read_file(log, NULL);
        for (char *p = text; (p = strchr(p, '\n')) != NULL; p++)
            n++;
        free(text);
    }
    unlink(log);
    free(log);
    return n;
}

static void test_spend_is_checked_before_any_call(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    /* Over the budget: 3 models x 44 clues at the default $0.005 a call is about $0.66. */
    pf_start_llm(work, NULL, 0);
    llm_requests();
    char *db = pf_make_db(work, "budget.db");
    struct tu_run r = tu_run_cli(work, env_plus("CRYPTIC_BENCH_RUN_BUDGET_USD=0.05"), (const char *const[]){"--db", db, "run", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.out, "refused before any call");
    tu_assert_contains(r.out, "per-run budget of $0.0500");
    tu_run_free(&r);
    assert_int_equal(llm_requests(), 0);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations"), 0);
    free(db);
    tu_stop_all_fakes();

    /* The provider reports too little credit left. */
    pf_start_fifteensquared(work);
    pf_start_llm(work, "{\"credits\": {\"total_credits\": 1.0, \"total_usage\": 0.99}}", 0);
    db = pf_make_db(work, "credits.db");
    r = tu_run_cli(work, env_plus("CRYPTIC_BENCH_RUN_BUDGET_USD="), (const char *const[]){"--db", db, "run", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.out, "refused before any call");
    tu_assert_contains(r.out, "$0.0100 of credits left");
    tu_run_free(&r);
    assert_int_equal(llm_requests(), 0);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations"), 0);
    free(db);
    tu_stop_all_fakes();

    /* Enough of both: the run goes ahead and says what it expects to spend. */
    pf_start_fifteensquared(work);
    pf_start_llm(work, "{\"credits\": {\"total_credits\": 50, \"total_usage\": 1}}", 0);
    db = pf_make_db(work, "enough.db");
    r = tu_run_cli(work, env_plus("CRYPTIC_BENCH_RUN_BUDGET_USD=5"), (const char *const[]){"--db", db, "run", NULL});
    if (r.status != 0)
        fail_msg("run failed: %s\n%s", r.err, r.out);
    tu_assert_contains(r.err, "about $");
    tu_assert_contains(r.err, "$49.0000 of credits left");
    tu_run_free(&r);
    assert_int_equal(llm_requests(), PF_NCLUES * PF_NMODELS);
    free(db);
    tu_stop_all_fakes();
}

/* ---- backfill ------------------------------------------------------------------------------ */

/* Starts the binary with args and the pipeline's environment, its output
 * in work/spawned.out; returns its pid. */
static pid_t spawn(const char *const *args)
{
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
        if (chdir(work) != 0)
            _exit(126);
        int out = open("spawned.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        const char *argv[16] = {getenv("CRYPTIC_BENCH_BIN")};
        size_t n = 1;
        for (; *args && n < 15; args++)
            argv[n++] = *args;
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Requests the LLM fake logged for model so far. */
static int requests_for(const char *model)
{
    char *log = tu_path(work, "llm.jsonl");
    int n = 0;
    if (tu_exists(log)) {
        char *text = tu_read_file(log, NULL);
        char needle[160];
        snprintf(needle, sizeof needle, "\"model\": \"%s\"", model);
        /* One line per request; the model may appear more than once in it. */
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
            n += strstr(line, needle) != NULL;
        free(text);
    }
    free(log);
    return n;
}

static void test_backfill_a_new_model(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    /* The new model answers every clue wrong, so it ranks last in every week. */
    pf_start_llm(work, "{\"models\": {\"test/d\": {\"mode\": \"wrong\"}}}", 25);
    char *db = pf_make_db(work, "backfill.db");
    struct tu_run r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "run", NULL});
    if (r.status != 0)
        fail_msg("run failed: %s", r.err);
    tu_run_free(&r);
    const char *old_rows = "SELECT w.week_id, m.openrouter_id, w.rank, w.previous_rank, w.tenure_weeks, w.total_clues "
                           "FROM weekly_rankings w JOIN models m ON m.id = w.model_id "
                           "WHERE m.openrouter_id <> 'test/d' ORDER BY 1, 2";
    char *before = tu_sql(db, old_rows);
    assert_int_equal(requests_for("test/d"), 0);

    /* Activate it: models.json with a fourth model, synced. */
    json_t *list = json_array();
    for (int i = 0; i < PF_NMODELS; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", pf_models[i], "provider", "test", "display_name",
                                              pf_models[i]));
    json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "id", "test/d", "provider", "test", "display_name",
                                          "D", "release_date", "2026-03-01"));
    json_t *file = json_pack("{s:{s:i, s:i}, s:o}", "defaults", "max_tokens", 300, "min_interval_ms", 5, "models", list);
    char *models = tu_path(work, "models4.json");
    json_dump_file(file, models, 0);
    json_decref(file);
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "init-db", "--models", models, NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "test/d");
    tu_run_free(&r);
    /* Its release date is kept: clues published before it may have been seen in training. */
    char *release = tu_sql(db, "SELECT release_date FROM models WHERE openrouter_id = 'test/d'");
    assert_string_equal(release, "2026-03-01\n");
    free(release);
    assert_true(tu_sql_int(db, "SELECT count(*) FROM puzzles WHERE publication_date < '2026-03-01'") > 0);

    /* Killed mid-way... */
    pid_t pid = spawn((const char *const[]){"--db", db, "backfill", "test/d", NULL});
    int64_t start = time(NULL);
    while (requests_for("test/d") < 10 && time(NULL) - start < 300) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    int asked_before_kill = requests_for("test/d");
    if (!(asked_before_kill >= 10 && asked_before_kill < PF_NCLUES))
        fail_msg("expected backfill killed mid-way (10 to %d of its calls made, waited up to 300 s), saw %d",
                 PF_NCLUES - 1, asked_before_kill);
    /* ...the same command resumes the same run. */
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "backfill", "test/d", NULL});
    if (r.status != 0)
        fail_msg("backfill failed: %s\n%s", r.err, r.out);
    tu_assert_contains(r.out, "test/d evaluated on 3 week(s)");
    tu_run_free(&r);
    /* The first attempt printed the estimate before its first call. */
    char *spawned = tu_path(work, "spawned.out");
    char *first = tu_read_file(spawned, NULL);
    tu_assert_contains(first, "about $");
    tu_assert_contains(first, "for 44 calls (1 model, 3 weeks)");
    free(first);
    free(spawned);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE function_id = 'backfill-model'"), 1);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE function_id = 'backfill-model' "
                                    "AND status = 'completed'"), 1);

    /* Evaluated once on every past week's clues: one stored result per clue;
     * requests beyond that only the one in flight at the kill. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations e JOIN models m ON m.id = e.model_id "
                                    "WHERE m.openrouter_id = 'test/d'"), PF_NCLUES);
    assert_int_equal(tu_sql_int(db, "SELECT count(DISTINCT e.clue_id) FROM evaluations e JOIN models m "
                                    "ON m.id = e.model_id WHERE m.openrouter_id = 'test/d'"), PF_NCLUES);
    int asked = requests_for("test/d");
    if (asked < PF_NCLUES || asked > PF_NCLUES + 1)
        fail_msg("test/d was asked %d times for %d clues (%d before the kill)", asked, PF_NCLUES, asked_before_kill);
    /* Ranked in each week, last, NEW then unchanged, its tenure growing. */
    char *d = tu_sql(db, "SELECT w.week_id, w.rank, w.previous_rank, w.rank_change, w.tenure_weeks, w.correct_count "
                         "FROM weekly_rankings w JOIN models m ON m.id = w.model_id "
                         "WHERE m.openrouter_id = 'test/d' ORDER BY 1");
    assert_string_equal(d, "2026-W01|4|NULL|NULL|1|0\n2026-W07|4|4|0|2|0\n2026-W14|4|4|0|3|0\n");
    free(d);
    char *after = tu_sql(db, old_rows);
    assert_string_equal(after, before);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM week_status WHERE models_ranked = 4"), 3);
    /* The dashboard's flag: its results on clues from before its release. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations e JOIN models m ON m.id = e.model_id "
                                    "JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id "
                                    "WHERE m.openrouter_id = 'test/d' AND p.publication_date < m.release_date"),
                     tu_sql_int(db, "SELECT count(*) FROM clues c JOIN puzzles p ON p.id = c.puzzle_id "
                                    "WHERE p.publication_date < '2026-03-01'"));
    free(after);
    free(before);
    free(models);
    free(db);
    tu_stop_all_fakes();
}

/* A backfill of a model the database does not know fails with the reason
 * and asks nothing. */
static void test_backfill_an_unknown_model(void **state)
{
    (void)state;
    pf_start_fifteensquared(work);
    pf_start_llm(work, NULL, 0);
    char *db = pf_make_db(work, "unknown.db");
    struct tu_run r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "backfill", "test/nope", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "no model test/nope");
    tu_run_free(&r);
    assert_int_equal(requests_for("test/nope"), 0);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE function_id = 'backfill-model' "
                                    "AND status = 'failed'"), 1);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations"), 0);
    free(db);
    tu_stop_all_fakes();
}

/* The pipeline's fakes (the LLM with extra config), a fresh database and a
 * webhook receiver logging to work/hooks_name; hook_env gets the setting
 * that points the alerts at it. Returns the database path. */
static char *start_with_webhook(const char *llm_extra, const char *db_name, const char *hooks_name, const char *path,
                                char hook_env[128])
{
    char *log = tu_path(work, "llm.jsonl");
    unlink(log);
    free(log);
    pf_start_fifteensquared(work);
    pf_start_llm(work, llm_extra, 0);
    char *db = pf_make_db(work, db_name);
    char *hooks = tu_path(work, hooks_name);
    int hook_port;
    tu_start_fake("webhook.py", hooks, &hook_port);
    free(hooks);
    snprintf(hook_env, 128, "CRYPTIC_BENCH_ALERT_WEBHOOK=http://127.0.0.1:%d%s", hook_port, path);
    return db;
}

/* ---- a model gone at the provider ---------------------------------------------------------- */

static void test_a_deprecated_model_is_retired(void **state)
{
    (void)state;
    char hook[128];
    char *db = start_with_webhook(
        "{\"models\": {\"test/c\": {\"status\": 404, \"message\": \"This model is deprecated\", \"after\": 0}}}",
        "retire.db", "hooks.jsonl", "/alerts", hook);
    char *hooks = tu_path(work, "hooks.jsonl");
    struct tu_run r = tu_run_cli(work, env_plus(hook), (const char *const[]){"--db", db, "run", NULL});
    tu_run_free(&r);
    int asked = requests_for("test/c");
    /* Each week with a model missing posted one alert saying which and why. */
    char *posted = tu_read_file(hooks, NULL);
    int alerts = 0;
    for (char *line = strtok(posted, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *a = json_loads(line, 0, NULL);
        json_t *body = json_object_get(a, "body");
        assert_string_equal(json_string_value(json_object_get(a, "path")), "/alerts");
        assert_string_equal(json_string_value(json_object_get(body, "status")), "partial");
        tu_assert_contains(json_string_value(json_object_get(body, "text")), "test/c stopped");
        tu_assert_contains(json_string_value(json_object_get(body, "text")), "deprecated");
        assert_non_null(json_string_value(json_object_get(body, "week_id")));
        json_decref(a);
        alerts++;
    }
    assert_int_equal(alerts, asked);
    free(posted);
    free(hooks);
    assert_true(asked >= 1 && asked <= 3); /* at most one per week already under way */
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "models", "--json", NULL});
    assert_int_equal(r.status, 0);
    json_t *list = json_loads(r.out, 0, NULL);
    tu_run_free(&r);
    json_t *c = json_array_get(list, 2);
    assert_string_equal(json_string_value(json_object_get(c, "id")), "test/c");
    assert_false(json_is_true(json_object_get(c, "active")));
    tu_assert_contains(json_string_value(json_object_get(c, "retired")), "HTTP 404");
    tu_assert_contains(json_string_value(json_object_get(c, "retired")), "deprecated");
    json_decref(list);
    /* The others were ranked without it; the next run does not ask it again. */
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM week_status WHERE status = 'ranked' AND models_ranked = 2"), 3);
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "run", NULL});
    tu_run_free(&r);
    assert_int_equal(requests_for("test/c"), asked);
    /* Until an operator reactivates it. */
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "models", "activate", "test/c", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "models", NULL});
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "retired"));
    tu_run_free(&r);
    r = tu_run_cli(work, pf_env("2"), (const char *const[]){"--db", db, "models", "activate", "nope/x", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "no model nope/x");
    tu_run_free(&r);
    tu_stop_all_fakes();
    free(db);
}

static void test_a_failed_week_alerts(void **state)
{
    (void)state;
    char hook[128];
    char *db = start_with_webhook("{\"fail_after\": {\"calls\": 10, \"status\": 402, \"message\": \"Insufficient credits\"}}",
                                  "alert.db", "failed-hooks.jsonl", "/hook", hook);
    char *hooks = tu_path(work, "failed-hooks.jsonl");
    struct tu_run r = tu_run_cli(work, env_plus(hook), (const char *const[]){"--db", db, "run", NULL});
    assert_int_equal(r.status, 1);
    tu_run_free(&r);
    char *posted = tu_read_file(hooks, NULL);
    tu_assert_contains(posted, "\"status\": \"failed\"");
    tu_assert_contains(posted, "every model stopped");
    tu_assert_contains(posted, "HTTP 402");
    assert_null(strstr(posted, "test-key")); /* no key in an alert */
    /* One alert per failed week: a webhook that answers 200 is not posted to again. */
    json_t *seen = json_object();
    for (char *line = strtok(posted, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *entry = json_loads(line, 0, NULL);
        const char *week = json_string_value(json_object_get(json_object_get(entry, "body"), "week_id"));
        assert_non_null(week);
        if (json_object_get(seen, week))
            fail_msg("week %s was alerted twice", week);
        json_object_set_new(seen, week, json_true());
        json_decref(entry);
    }
    assert_true(json_object_size(seen) >= 1);
    json_decref(seen);
    free(posted);
    free(hooks);
    tu_stop_all_fakes();
    free(db);
}

/* A webhook that keeps failing does not hold the week up: each alert is
 * tried as often as the policy says (the step's 3 attempts, each one request:
 * one retry policy per call), no more and no fewer, and the run ends all the same. */
static void test_a_failing_webhook_does_not_hold_the_week(void **state)
{
    (void)state;
    char hook[128];
    char *db = start_with_webhook("{\"fail_after\": {\"calls\": 10, \"status\": 402, \"message\": \"Insufficient credits\"}}",
                                  "failhook.db", "fail-hooks.jsonl", "/fail/hook", hook);
    char *hooks = tu_path(work, "fail-hooks.jsonl");
    struct tu_run r = tu_run_cli(work, env_plus(hook), (const char *const[]){"--db", db, "run", NULL});
    assert_int_equal(r.status, 1);
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_runs WHERE status IN ('queued', 'running', 'sleeping', "
                                    "'waiting')"), 0);
    char *posted = tu_read_file(hooks, NULL);
    json_t *per_week = json_object();
    for (char *line = strtok(posted, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *entry = json_loads(line, 0, NULL);
        const char *week = json_string_value(json_object_get(json_object_get(entry, "body"), "week_id"));
        assert_non_null(week);
        json_object_set_new(per_week, week, json_integer(json_integer_value(json_object_get(per_week, week)) + 1));
        json_decref(entry);
    }
    assert_true(json_object_size(per_week) >= 1);
    const char *week;
    json_t *count;
    json_object_foreach(per_week, week, count)
        if (json_integer_value(count) != 3)
            fail_msg("the alert for %s was posted %lld times, not 3 attempts of one request", week,
                     (long long)json_integer_value(count));
    json_decref(per_week);
    free(posted);
    free(hooks);
    tu_stop_all_fakes();
    free(db);
}

/* An alert far longer than any fixed buffer, full of characters JSON must
 * escape, still reaches the webhook as one valid JSON object: every model
 * stops (403) with a long message of quotes and backslashes. */
static void test_a_long_alert_is_valid_json(void **state)
{
    (void)state;
    char message[700] = "";
    while (strlen(message) + 10 < sizeof message)
        strcat(message, "q\\\"\\\\"); /* q"\ in the JSON text: the reply's message is q"\ repeated */
    char config[2400];
    snprintf(config, sizeof config,
             "{\"models\": {\"test/a\": {\"status\": 403, \"message\": \"%s\", \"after\": 0}, "
             "\"test/b\": {\"status\": 403, \"message\": \"%s\", \"after\": 0}, "
             "\"test/c\": {\"status\": 403, \"message\": \"%s\", \"after\": 0}}}",
             message, message, message);
    char hook[128];
    char *db = start_with_webhook(config, "long-alert.db", "long-hooks.jsonl", "/long", hook);
    char *hooks = tu_path(work, "long-hooks.jsonl");
    struct tu_run r = tu_run_cli(work, env_plus(hook), (const char *const[]){"--db", db, "run", NULL});
    tu_run_free(&r);
    char *posted = tu_read_file(hooks, NULL);
    int alerts = 0;
    for (char *line = strtok(posted, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *a = json_loads(line, 0, NULL);
        json_t *body = json_object_get(a, "body"); /* the receiver's json.loads of what was posted */
        if (!json_is_object(body))
            fail_msg("the webhook got a body that is not JSON: %.300s", line);
        const char *detail = json_string_value(json_object_get(body, "detail"));
        assert_non_null(detail);
        tu_assert_contains(detail, "test/a stopped: HTTP 403: q\"\\q\"\\");
        tu_assert_contains(detail, "test/c stopped: HTTP 403: q\"\\");
        tu_assert_contains(json_string_value(json_object_get(body, "text")), "test/c stopped");
        char *sent = json_dumps(body, JSON_COMPACT); /* about what went over the wire */
        assert_true(strlen(sent) > 3000);            /* past the fixed 3000-byte body it once was cut to */
        free(sent);
        json_decref(a);
        alerts++;
    }
    assert_true(alerts >= 1);
    free(posted);
    free(hooks);
    tu_stop_all_fakes();
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quarantine_the_prize_post),
        cmocka_unit_test(test_spend_is_checked_before_any_call),
        cmocka_unit_test(test_backfill_a_new_model),
        cmocka_unit_test(test_backfill_an_unknown_model),
        cmocka_unit_test(test_a_deprecated_model_is_retired),
        cmocka_unit_test(test_a_failed_week_alerts),
        cmocka_unit_test(test_a_long_alert_is_valid_json),
        cmocka_unit_test(test_a_failing_webhook_does_not_hold_the_week),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
