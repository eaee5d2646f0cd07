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
    size_t cap = 1 << 20, used = 0;
    char *all = calloc(cap, 1);
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *part = tu_sql(db, queries[i]);
        size_t n = strlen(part);
        assert_true(used + n + 2 < cap);
        memcpy(all + used, part, n);
        used += n;
        all[used++] = '#';
        free(part);
    }
    return all;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quarantine_the_prize_post),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
