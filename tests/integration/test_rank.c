/*
 * test_rank.c - `rank` and `leaderboard` on real files: the old database
 * (exactly the weeks with a complete model are ranked, the all-error weeks
 * are not, one real week's board pinned as computed by hand from the
 * data), idempotence, `--week` recomputing that week and later only, and a
 * failure injected mid-write that leaves the previous tables intact.
 */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static char *work, *db;

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    db = tu_path(work, "rank.db");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(work);
    free(work);
    free(db);
    return 0;
}

static struct tu_run cli(const char *const *args)
{
    const char *full[16] = {"--db", db};
    size_t n = 2;
    for (; *args && n < 15; args++)
        full[n++] = *args;
    full[n] = NULL;
    return tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", "CRYPTIC_BENCH_COVERAGE_THRESHOLD=", NULL}, full);
}

#define CLI(...) cli((const char *const[]){__VA_ARGS__, NULL})

/* Every derived column, without row ids and timestamps. */
static char *derived(void)
{
    static const char *const queries[] = {
        "SELECT week_id, model_id, total_clues, correct_count, accuracy, rank, previous_rank, rank_change, "
        "ci_low, ci_high, tenure_weeks, avg_latency_ms, cost FROM weekly_rankings ORDER BY week_id, model_id",
        "SELECT week_id, status, reason, clue_count, models_ranked FROM week_status ORDER BY week_id",
        "SELECT * FROM week_coverage ORDER BY week_id, model_id",
        "SELECT model_id, rank_position, start_week, end_week, weeks_count, is_current FROM rank_tenure "
        "ORDER BY model_id, start_week",
        "SELECT model_id, weeks, total_clues, correct_count, accuracy, ci_low, ci_high, rank FROM alltime_rankings "
        "ORDER BY model_id",
    };
    return tu_sql_many(db, queries, sizeof queries / sizeof queries[0]);
}

static void upgraded_old_database(void)
{
    tu_upgraded_old_db(db, (const char *const[]){"TURSO_DATABASE_URL=", "CRYPTIC_BENCH_COVERAGE_THRESHOLD=", NULL});
}

static void test_old_database(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    upgraded_old_database();
    struct tu_run r = CLI("rank", "--all");
    if (r.status != 0)
        fail_msg("rank --all: %s", r.err);
    tu_assert_contains(r.out, "no ranking  2026-W24: 0 of 11 models complete; 308 of 308 calls failed "
                              "(HTTP 402 \xc3\x97" "280, 404 \xc3\x97" "28)");
    tu_assert_contains(r.out, "no ranking  2026-W29: 0 of 11 models complete; 330 of 330 calls failed");
    tu_assert_contains(r.out, "ranked      2026-W01 (28 clues): 9 models ranked; incomplete: GPT-5.2 71.4% (8 errors), "
                              "MiniMax M2.1 42.9% (16 errors)");
    tu_assert_contains(r.out, "5 weeks ranked, 2 without a ranking");
    tu_run_free(&r);

    /* Exactly the weeks with a complete model; the run-weeks of the old table are gone. */
    char *weeks = tu_sql(db, "SELECT week_id, status FROM week_status ORDER BY week_id");
    assert_string_equal(weeks, "2026-W01|ranked\n2026-W04|ranked\n2026-W07|ranked\n2026-W08|ranked\n2026-W14|ranked\n"
                               "2026-W24|no-ranking\n2026-W29|no-ranking\n");
    free(weeks);
    weeks = tu_sql(db, "SELECT DISTINCT week_id FROM weekly_rankings ORDER BY week_id");
    assert_string_equal(weeks, "2026-W01\n2026-W04\n2026-W07\n2026-W08\n2026-W14\n");
    free(weeks);
    /* Incomplete models with their coverage. */
    char *cov = tu_sql(db, "SELECT m.openrouter_id, printf('%.2f', w.coverage), w.errors FROM week_coverage w "
                           "JOIN models m ON m.id = w.model_id WHERE w.week_id = '2026-W14' AND w.coverage < 100 "
                           "ORDER BY m.id");
    assert_string_equal(cov, "openai/gpt-5.2|59.38|13\nminimax/minimax-m2.1|6.25|30\n");
    free(cov);

    /* 2026-W01, computed by hand from the data: the complete models' correct
     * answers out of 28 (stored verdicts), competition ranks, Wilson intervals. */
    r = CLI("leaderboard", "--week", "2026-W01", "--json");
    assert_int_equal(r.status, 0);
    json_t *board = json_loads(r.out, 0, NULL);
    tu_run_free(&r);
    assert_string_equal(json_string_value(json_object_get(board, "status")), "ranked");
    static const struct {
        int rank;
        const char *model, *model_id;
        int correct;
        double low, high;
    } expect[] = {
        {1, "Grok 4.1 Fast", "x-ai/grok-4.1-fast", 21, 56.6, 87.3},
        {2, "Gemini 3 Flash", "google/gemini-3-flash-preview", 17, 42.4, 76.4},
        {3, "Claude Opus 4.5", "anthropic/claude-opus-4.5", 13, 29.5, 64.2},
        {4, "DeepSeek V3.2", "deepseek/deepseek-v3.2", 11, 23.6, 57.6},
        {5, "Claude Haiku 4.5", "anthropic/claude-haiku-4.5", 8, 15.3, 47.1},
        {6, "Qwen3 Max", "qwen/qwen3-max", 5, 7.9, 35.6},
        {7, "Llama 3.3 70B", "meta-llama/llama-3.3-70b-instruct", 3, 3.7, 27.2},
        {7, "Mistral Large 3", "mistralai/mistral-large-2512", 3, 3.7, 27.2},
        {9, "Claude Sonnet 4.5", "anthropic/claude-sonnet-4.5", 1, 0.6, 17.7},
    };
    json_t *rows = json_object_get(board, "rows");
    assert_int_equal(json_array_size(rows), 9);
    for (size_t i = 0; i < 9; i++) {
        json_t *row = json_array_get(rows, i);
        assert_int_equal(json_integer_value(json_object_get(row, "rank")), expect[i].rank);
        assert_string_equal(json_string_value(json_object_get(row, "model")), expect[i].model);
        assert_string_equal(json_string_value(json_object_get(row, "model_id")), expect[i].model_id);
        assert_int_equal(json_integer_value(json_object_get(row, "correct")), expect[i].correct);
        assert_int_equal(json_integer_value(json_object_get(row, "total")), 28);
        double acc = json_number_value(json_object_get(row, "accuracy"));
        assert_true(acc > 100.0 * expect[i].correct / 28 - 1e-9 && acc < 100.0 * expect[i].correct / 28 + 1e-9);
        assert_true(fabs(json_number_value(json_object_get(row, "ci_low")) - expect[i].low) < 0.05);
        assert_true(fabs(json_number_value(json_object_get(row, "ci_high")) - expect[i].high) < 0.05);
        assert_true(json_is_null(json_object_get(row, "previous_rank")));
        assert_true(json_is_null(json_object_get(row, "rank_change")));
        assert_int_equal(json_integer_value(json_object_get(row, "tenure_weeks")), 1);
        assert_true(json_is_number(json_object_get(row, "avg_latency_ms")));
    }
    json_t *incomplete = json_object_get(board, "incomplete");
    assert_int_equal(json_array_size(incomplete), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(incomplete, 0), "model_id")), "openai/gpt-5.2");
    json_decref(board);

    /* Tenure counts consecutive ranked weeks: Opus was 3rd in all five. */
    assert_int_equal(tu_sql_int(db, "SELECT r.tenure_weeks FROM weekly_rankings r JOIN models m ON m.id = r.model_id "
                                    "WHERE m.openrouter_id = 'anthropic/claude-opus-4.5' AND r.week_id = '2026-W14'"), 5);
    char *tenure = tu_sql(db, "SELECT t.rank_position, t.start_week, t.end_week, t.weeks_count, t.is_current "
                              "FROM rank_tenure t JOIN models m ON m.id = t.model_id "
                              "WHERE m.openrouter_id = 'anthropic/claude-opus-4.5'");
    assert_string_equal(tenure, "3|2026-W01|NULL|5|1\n");
    free(tenure);

    /* The default board is the newest ranked week; a week without clues is an error. */
    r = CLI("leaderboard");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "Week 2026-W14 (32 clues): ranked");
    tu_assert_contains(r.out, "5 weeks at #3");
    tu_run_free(&r);
    r = CLI("leaderboard", "--week", "2026-W24");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "no-ranking");
    tu_assert_contains(r.out, "308 of 308 calls failed");
    tu_run_free(&r);
    r = CLI("leaderboard", "--week", "2026-W30");
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "week 2026-W30 has no clues");
    tu_run_free(&r);
    r = CLI("leaderboard", "--all-time", "--json");
    assert_int_equal(r.status, 0);
    json_t *all = json_loads(r.out, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(all, "weeks_ranked")), 5);
    json_t *first = json_array_get(json_object_get(all, "rows"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "model_id")), "x-ai/grok-4.1-fast");
    assert_int_equal(json_integer_value(json_object_get(first, "weeks")), 5);
    json_decref(all);
    tu_run_free(&r);

    /* Idempotence: a second run leaves every derived column identical. */
    char *before = derived();
    r = CLI("rank", "--all");
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char *after = derived();
    assert_string_equal(before, after);
    free(after);

    /* A failure injected mid-write keeps the previous tables. */
    free(tu_sql(db, "CREATE TRIGGER fail_rank AFTER INSERT ON week_status WHEN NEW.week_id = '2026-W08' "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"));
    free(tu_sql(db, "UPDATE evaluations SET outcome = 'wrong', is_correct = 0 WHERE outcome = 'correct'"));
    r = CLI("rank", "--all");
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "injected failure");
    tu_assert_contains(r.err, "the previous ones are kept");
    tu_run_free(&r);
    after = derived();
    assert_string_equal(before, after);
    free(after);
    free(before);
}

/* --week W rewrites W and later weeks, and leaves earlier ones as stored. */
static void test_rank_from_a_week(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    upgraded_old_database();
    struct tu_run r = CLI("rank", "--all");
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char *w01 = tu_sql(db, "SELECT * FROM weekly_rankings WHERE week_id < '2026-W08' ORDER BY id");
    /* Grok loses every W08 and W14 answer. */
    free(tu_sql(db, "UPDATE evaluations SET outcome = 'wrong', is_correct = 0 WHERE outcome = 'correct' AND model_id = "
                    "(SELECT id FROM models WHERE openrouter_id = 'x-ai/grok-4.1-fast') AND clue_id IN "
                    "(SELECT c.id FROM clues c JOIN puzzles p ON p.id = c.puzzle_id WHERE p.week_id >= '2026-W08')"));
    r = CLI("rank", "--week", "2026-W08");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "ranked      2026-W08");
    assert_null(strstr(r.out, "2026-W01"));
    tu_run_free(&r);
    char *w01_after = tu_sql(db, "SELECT * FROM weekly_rankings WHERE week_id < '2026-W08' ORDER BY id");
    assert_string_equal(w01, w01_after);
    free(w01);
    free(w01_after);
    char *grok = tu_sql(db, "SELECT r.week_id, r.rank, r.previous_rank, r.correct_count FROM weekly_rankings r "
                            "JOIN models m ON m.id = r.model_id WHERE m.openrouter_id = 'x-ai/grok-4.1-fast' "
                            "AND r.week_id >= '2026-W08' ORDER BY r.week_id");
    assert_string_equal(grok, "2026-W08|9|2|0\n2026-W14|9|9|0\n");
    free(grok);
    r = CLI("rank", "--week", "2026-14");
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    r = CLI("rank", "--week", "2026-W14", "--all");
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_old_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rank_from_a_week, setup, teardown),
    };
    return cmocka_run_group_tests_name("rank and leaderboard (the binary on real files)", tests, NULL, NULL);
}
