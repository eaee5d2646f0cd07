/*
 * test_rank.c - `rank` and `leaderboard` on real files: the old database
 * (exactly the weeks with a complete model are ranked, the all-error weeks
 * are not, one real week's board pinned as computed by hand from the
 * data), idempotence, `--week` recomputing that week and later only, a
 * failure injected mid-write that leaves the previous tables intact, and
 * the answer quality of every board row (wrong-length, no-answer and error
 * rates, average completion tokens) against tu_quality's independent
 * computation, on the old database and on constructed data with a case of
 * each kind; rank ranges (weekly and all-time) and the head-to-head
 * matrix against an independent computation of the rule written here.
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

/* ---- answer quality ----------------------------------------------------- */

static json_t *board_json(const char *const *args)
{
    struct tu_run r = cli(args);
    if (r.status != 0)
        fail_msg("%s: %s", args[0], r.err);
    json_t *o = json_loads(r.out, 0, NULL);
    assert_non_null(o);
    tu_run_free(&r);
    return o;
}

static void check_rate(const json_t *row, const char *name, double want, const char *what)
{
    json_t *v = json_object_get(row, name);
    if (want < 0) {
        if (!json_is_null(v))
            fail_msg("%s: %s is %g, computed none", what, name, json_number_value(v));
        return;
    }
    if (!json_is_number(v) || fabs(json_number_value(v) - want) > 1e-9)
        fail_msg("%s: %s is %s%g, computed %.12g", what, name, json_is_number(v) ? "" : "not a number: ",
                 json_number_value(v), want);
}

/* A board row's four fields against the independent computation. */
static void check_quality(const json_t *row, const char *week, struct tu_quality *q)
{
    char what[160];
    const char *model = json_string_value(json_object_get(row, "model_id"));
    snprintf(what, sizeof what, "%s %s", week ? week : "all time", model);
    tu_quality(db, week, model, q);
    assert_true(q->clues > 0);
    check_rate(row, "wrong_length_rate", q->wrong_length_rate, what);
    check_rate(row, "no_answer_rate", q->no_answer_rate, what);
    check_rate(row, "error_rate", q->error_rate, what);
    check_rate(row, "avg_completion_tokens", q->avg_completion_tokens, what);
    if (!week) {
        assert_int_equal(json_integer_value(json_object_get(row, "rates_weeks")), q->weeks);
        assert_int_equal(json_integer_value(json_object_get(row, "rates_clues")), q->clues);
    }
}

/* Every row, ranked and incomplete, of a week's board (week) or of the
 * all-time board (NULL). Returns how many rows were checked. */
static size_t check_board_quality(const char *week)
{
    json_t *b = week ? board_json((const char *const[]){"leaderboard", "--week", week, "--json", NULL})
                     : board_json((const char *const[]){"leaderboard", "--all-time", "--json", NULL});
    size_t n = 0, i;
    json_t *row;
    struct tu_quality q;
    json_array_foreach(json_object_get(b, "rows"), i, row) {
        check_quality(row, week, &q);
        n++;
    }
    json_array_foreach(json_object_get(b, "incomplete"), i, row) {
        check_quality(row, week, &q);
        n++;
    }
    json_decref(b);
    return n;
}

static void test_quality_old_database(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    upgraded_old_database();
    struct tu_run r = CLI("rank", "--all");
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    /* Every (week, model) with evaluations is on its week's board, ranked or
     * incomplete, and every model with evaluations on the all-time board. */
    char *weeks = tu_sql(db, "SELECT week_id FROM week_status ORDER BY week_id");
    size_t rows = 0;
    for (char *w = strtok(weeks, "\n"); w; w = strtok(NULL, "\n"))
        rows += check_board_quality(w);
    free(weeks);
    assert_int_equal(rows, tu_sql_int(db, "SELECT count(*) FROM week_coverage"));
    assert_int_equal(check_board_quality(NULL),
                     tu_sql_int(db, "SELECT count(DISTINCT model_id) FROM evaluations"));
    /* The old data has every kind but no_answer (the old system had none). */
    assert_true(tu_sql_int(db, "SELECT count(*) FROM week_coverage WHERE wrong_length_rate > 0") > 0);
    assert_true(tu_sql_int(db, "SELECT count(*) FROM week_coverage WHERE error_rate > 0") > 0);
    r = CLI("leaderboard", "--all-time");
    tu_assert_contains(r.out, "Never ranked: GPT-5.2 (7 weeks, 106 errors)");
    tu_run_free(&r);

    /* Rows stored before the quality columns existed get them from the next
     * `rank --week`, earlier weeks included, with nothing else changed. */
    static const char *const coverage[] = {"SELECT * FROM week_coverage ORDER BY week_id, model_id"};
    char *before = tu_sql_many(db, coverage, 1);
    free(tu_sql(db, "UPDATE week_coverage SET wrong_length = NULL, no_answer = NULL, wrong_length_rate = NULL, "
                    "no_answer_rate = NULL, error_rate = NULL, avg_completion_tokens = NULL"));
    r = CLI("rank", "--week", "2026-W14");
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char *after = tu_sql_many(db, coverage, 1);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* Three models over two weeks, one quarantined puzzle and one excluded
 * clue; the expected rates worked out by hand in the comments. */
static const char *const constructed[] = {
    "INSERT INTO puzzles (id, guardian_id, publication_date, week_id, series, quarantine_reason) VALUES\n"
    " (1, 101, '2026-03-02', '2026-W10', 'guardian-cryptic', NULL),\n"
    " (2, 102, '2026-03-03', '2026-W10', 'guardian-cryptic', 'test: quarantined'),\n"
    " (3, 103, '2026-03-09', '2026-W11', 'guardian-cryptic', NULL)",
    "INSERT INTO clues (id, puzzle_id, clue_number, direction, clue_text, answer, letter_count, exclude_reason)\n"
    "VALUES (1, 1, '1', 'across', 'c1', 'CRANE', '(5)', NULL),\n"
    " (2, 1, '2', 'across', 'c2', 'ICE CREAM', '3,5', NULL),\n"
    " (3, 1, '3', 'across', 'c3', 'CAFE', '(4)', NULL),\n"
    " (4, 1, '4', 'across', 'c4', 'ABSENCE', '(7)', NULL),\n"
    " (5, 1, '5', 'across', 'c5', 'BUTTER', '(6)', NULL),\n"
    " (6, 1, '6', 'across', 'c6', 'EXCLUDED', '(8)', 'test: excluded'),\n"
    " (7, 2, '1', 'across', 'c7', 'QUART', '(5)', NULL),\n"
    " (8, 3, '1', 'across', 'c8', 'EIGHT', '(5)', NULL),\n"
    " (9, 3, '2', 'across', 'c9', 'NINE', '(4)', NULL)",
    "INSERT INTO evaluations (clue_id, model_id, week_id, extracted_answer, is_correct, outcome,\n"
    "                         completion_tokens, error_message)\n"
    "SELECT v.column1, m.id, p.week_id, v.column3, v.column4 = 'correct', v.column4, v.column5, v.column6\n"
    "FROM (VALUES\n"
    /* A: W10 incomplete (the error): wrong length 1, no answer 1, error 1 of 5; tokens 25 */
    "  (1, 'A', 'crane', 'correct', 10, NULL),\n"
    "  (2, 'A', 'ICE-CREAMS', 'wrong', 20, NULL),\n"          /* 9 letters for 3,5 */
    "  (3, 'A', 'CAF\xc3\x89', 'correct', 30, NULL),\n"      /* accented: 4 letters, right */
    "  (4, 'A', NULL, 'no_answer', 40, NULL),\n"
    "  (5, 'A', NULL, 'error', NULL, 'HTTP 500: upstream'),\n"
    "  (6, 'A', 'X', 'wrong', 50, NULL),\n"                   /* excluded clue: not counted */
    "  (7, 'A', 'AB', 'wrong', 60, NULL),\n"                  /* quarantined puzzle: not counted */
    /* A: W11 ranked: wrong length 1 of 2; tokens 8 */
    "  (8, 'A', 'AB', 'wrong', 7, NULL),\n"
    "  (9, 'A', 'abcd', 'wrong', 9, NULL),\n"
    /* B: W10 ranked: wrong length 1 of 5 (CAFES), no tokens reported */
    "  (1, 'B', 'CRATE', 'wrong', NULL, NULL),\n"
    "  (2, 'B', 'ice cream', 'correct', NULL, NULL),\n"
    "  (3, 'B', 'CAFES', 'wrong', NULL, NULL),\n"
    "  (4, 'B', '?!?', 'wrong', NULL, NULL),\n"               /* no letters: not a wrong length */
    "  (5, 'B', 'BUTTER', 'correct', NULL, NULL),\n"
    "  (6, 'B', 'TOOLONGANSWER', 'wrong', NULL, NULL),\n"
    "  (7, 'B', NULL, 'error', NULL, 'HTTP 402: credits'),\n"
    /* C: W11 incomplete: no answer 1 (its stray text is no wrong length), error 1 of 2; tokens 5 */
    "  (8, 'C', NULL, 'error', NULL, 'HTTP 404: gone'),\n"
    "  (9, 'C', 'ZZ', 'no_answer', 5, NULL)\n"
    ") v JOIN models m ON m.openrouter_id = CASE v.column2 WHEN 'A' THEN 'anthropic/claude-opus-4.5'\n"
    "                                      WHEN 'B' THEN 'x-ai/grok-4.1-fast' ELSE 'openai/gpt-5.2' END\n"
    "JOIN clues c ON c.id = v.column1 JOIN puzzles p ON p.id = c.puzzle_id",
};

/* The row of model in a board's array, or fail. */
static json_t *row_of(json_t *board, const char *array, const char *model)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(board, array), i, row) if (strcmp(json_string_value(json_object_get(row, "model_id")),
                                                                         model) == 0) return row;
    fail_msg("no %s row for %s", array, model);
    return NULL;
}

static void expect_rates(json_t *row, double wrong_length, double no_answer, double error, double tokens)
{
    const char *what = json_string_value(json_object_get(row, "model_id"));
    check_rate(row, "wrong_length_rate", wrong_length, what);
    check_rate(row, "no_answer_rate", no_answer, what);
    check_rate(row, "error_rate", error, what);
    check_rate(row, "avg_completion_tokens", tokens, what);
}

static void test_quality_constructed(void **state)
{
    (void)state;
    struct tu_run r = CLI("init-db", "--models", getenv("CB_MODELS_JSON"));
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    for (size_t i = 0; i < sizeof constructed / sizeof constructed[0]; i++)
        free(tu_sql(db, constructed[i]));
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations"), 18);
    r = CLI("rank", "--all");
    if (r.status != 0)
        fail_msg("rank --all: %s", r.err);
    tu_run_free(&r);

    /* By hand... */
    const char *a = "anthropic/claude-opus-4.5", *b = "x-ai/grok-4.1-fast", *c = "openai/gpt-5.2";
    json_t *w10 = board_json((const char *const[]){"leaderboard", "--week", "2026-W10", "--json", NULL});
    assert_int_equal(json_integer_value(json_object_get(w10, "clues")), 7);        /* stored */
    assert_int_equal(json_integer_value(json_object_get(w10, "scored_clues")), 5); /* the denominator */
    expect_rates(row_of(w10, "rows", b), 20, 0, 0, -1);
    expect_rates(row_of(w10, "incomplete", a), 20, 20, 20, 25);
    json_t *w11 = board_json((const char *const[]){"leaderboard", "--week", "2026-W11", "--json", NULL});
    expect_rates(row_of(w11, "rows", a), 50, 0, 0, 8);
    expect_rates(row_of(w11, "incomplete", c), 0, 50, 50, 5);
    json_t *all = board_json((const char *const[]){"leaderboard", "--all-time", "--json", NULL});
    expect_rates(row_of(all, "rows", a), 200.0 / 7, 100.0 / 7, 100.0 / 7, 116.0 / 6);
    expect_rates(row_of(all, "rows", b), 20, 0, 0, -1);
    expect_rates(row_of(all, "incomplete", c), 0, 50, 50, 5);
    assert_int_equal(json_integer_value(json_object_get(row_of(all, "rows", a), "rates_weeks")), 2);
    assert_int_equal(json_integer_value(json_object_get(row_of(all, "rows", a), "rates_clues")), 7);
    assert_int_equal(json_array_size(json_object_get(all, "rows")), 2);
    assert_int_equal(json_array_size(json_object_get(all, "incomplete")), 1);
    json_decref(w10);
    json_decref(w11);
    json_decref(all);

    /* ...and as the independent computation has them, every row. */
    assert_int_equal(check_board_quality("2026-W10"), 2);
    assert_int_equal(check_board_quality("2026-W11"), 2);
    assert_int_equal(check_board_quality(NULL), 3);
}

/* ---- rank ranges, computed here from the evaluations ------------------- */

/* Not rank/'s code: the exact two-sided binomial tail at 1/2 by the pmf
 * recurrence in long double (rank/ sums in log space). */
static long double sign_test_p(int b, int c)
{
    int n = b + c, k = b < c ? b : c;
    if (n == 0)
        return 1;
    long double pmf = ldexpl(1, -n), sum = 0;
    for (int i = 0; i <= k; i++) {
        sum += pmf;
        pmf = pmf * (n - i) / (i + 1);
    }
    return 2 * sum > 1 ? 1 : 2 * sum;
}

/* Not rank/'s code: two-sided Fisher exact test by plain products of
 * binomial coefficients in long double (week-sized tables only). */
static long double choose(int n, int k)
{
    long double c = 1;
    for (int i = 1; i <= k; i++)
        c = c * (n - k + i) / i;
    return c;
}

static long double fisher_p(int c1, int t1, int c2, int t2)
{
    int n = t1 + t2, k = c1 + c2;
    long double all = choose(n, t1), obs = choose(k, c1) * choose(n - k, t1 - c1) / all, p = 0;
    for (int x = 0; x <= t1 && x <= k; x++) {
        if (t1 - x > n - k)
            continue;
        long double px = choose(k, x) * choose(n - k, t1 - x) / all;
        if (px <= obs * (1 + 1e-7L))
            p += px;
    }
    return p;
}

enum { MAXM = 32 };

struct pairs {
    size_t n;
    char models[MAXM][128];
    int d[MAXM][MAXM];      /* clues i right, j wrong */
    int shared[MAXM][MAXM]; /* clues both answered */
};

/* Counts the scored answers of the ranked (week, model) rows, of one week
 * or (week NULL) of all, for the models already in p. */
static void count_pairs(const char *week, struct pairs *p)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT c.id, m.openrouter_id, e.outcome = 'correct' FROM weekly_rankings r\n"
             "JOIN models m ON m.id = r.model_id JOIN evaluations e ON e.model_id = r.model_id\n"
             "JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id AND p.week_id = r.week_id\n"
             "WHERE e.outcome IN ('correct', 'wrong', 'no_answer') AND p.quarantine_reason IS NULL\n"
             "AND c.exclude_reason IS NULL %s%s%s ORDER BY c.id",
             week ? "AND r.week_id = '" : "", week ? week : "", week ? "'" : "");
    char *rows = tu_sql(db, sql), *save = NULL;
    int state[MAXM];
    long clue = -1;
    for (size_t i = 0; i < p->n; i++)
        state[i] = -1;
    for (char *line = strtok_r(rows, "\n", &save);; line = strtok_r(NULL, "\n", &save)) {
        long id = line ? strtol(line, NULL, 10) : -2;
        if (id != clue) { /* a clue's answers are done */
            for (size_t i = 0; i < p->n; i++)
                for (size_t j = 0; j < p->n; j++)
                    if (i != j && state[i] >= 0 && state[j] >= 0) {
                        p->shared[i][j]++;
                        p->d[i][j] += state[i] == 1 && state[j] == 0;
                    }
            for (size_t i = 0; i < p->n; i++)
                state[i] = -1;
            clue = id;
        }
        if (!line)
            break;
        char *model = strchr(line, '|') + 1, *bar = strchr(model, '|');
        *bar = '\0';
        for (size_t i = 0; i < p->n; i++)
            if (strcmp(p->models[i], model) == 0)
                state[i] = atoi(bar + 1);
    }
    free(rows);
}

/* Checks every row's rank_lo/rank_hi against the rule; returns p's counts. */
static void check_ranges(const char *week, json_t *rows, struct pairs *p)
{
    memset(p, 0, sizeof *p);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        assert_true(i < MAXM);
        snprintf(p->models[i], sizeof p->models[i], "%s", json_string_value(json_object_get(row, "model_id")));
        p->n++;
    }
    count_pairs(week, p);
    int n = (int)p->n;
    json_array_foreach(rows, i, row) {
        int better = 0, worse = 0;
        for (size_t j = 0; j < p->n; j++) {
            better += p->d[j][i] > p->d[i][j] && sign_test_p(p->d[j][i], p->d[i][j]) < 0.05L;
            worse += p->d[i][j] > p->d[j][i] && sign_test_p(p->d[i][j], p->d[j][i]) < 0.05L;
        }
        int rank = (int)json_integer_value(json_object_get(row, "rank"));
        int lo = (int)json_integer_value(json_object_get(row, "rank_lo"));
        int hi = (int)json_integer_value(json_object_get(row, "rank_hi"));
        if (lo != 1 + better || hi != n - worse)
            fail_msg("%s %s: rank_lo/rank_hi %d-%d, the rule gives %d-%d", week ? week : "all-time", p->models[i],
                     lo, hi, 1 + better, n - worse);
        assert_true(lo <= rank && rank <= hi);
    }
}

static void test_ranges_old_database(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    upgraded_old_database();
    struct tu_run r = CLI("rank", "--all");
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char *weeks = tu_sql(db, "SELECT week_id FROM week_status WHERE status = 'ranked' ORDER BY week_id"), *save = NULL;
    int checked = 0, narrow = 0, moves = 0, significant_moves = 0;
    static struct pairs p;
    for (char *w = strtok_r(weeks, "\n", &save); w; w = strtok_r(NULL, "\n", &save)) {
        r = CLI("leaderboard", "--week", w, "--json");
        assert_int_equal(r.status, 0);
        json_t *b = json_loads(r.out, 0, NULL);
        tu_run_free(&r);
        json_t *rows = json_object_get(b, "rows");
        check_ranges(w, rows, &p);
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            checked++;
            narrow += json_integer_value(json_object_get(row, "rank_hi")) <
                      json_integer_value(json_object_get(row, "rank_lo")) + 8;
            /* NEW is never a significant move; the others by the Fisher test against the previous ranked week. */
            if (json_is_null(json_object_get(row, "previous_rank"))) {
                assert_true(json_is_false(json_object_get(row, "move_significant")));
            } else {
                char sql[600];
                snprintf(sql, sizeof sql,
                         "SELECT r.correct_count * 100000 + r.total_clues FROM weekly_rankings r JOIN models m "
                         "ON m.id = r.model_id WHERE m.openrouter_id = '%s' AND r.week_id < '%s' "
                         "ORDER BY r.week_id DESC LIMIT 1",
                         json_string_value(json_object_get(row, "model_id")), w);
                int64_t prev = tu_sql_int(db, sql);
                int sig = fisher_p((int)json_integer_value(json_object_get(row, "correct")),
                                   (int)json_integer_value(json_object_get(row, "total")), (int)(prev / 100000),
                                   (int)(prev % 100000)) < 0.05L;
                assert_int_equal(json_is_true(json_object_get(row, "move_significant")), sig);
                moves++;
                significant_moves += sig;
            }
            if (strcmp(w, "2026-W14") == 0 &&
                strcmp(json_string_value(json_object_get(row, "model_id")), "x-ai/grok-4.1-fast") == 0) {
                assert_int_equal(json_integer_value(json_object_get(row, "rank_lo")), 1);
                assert_int_equal(json_integer_value(json_object_get(row, "rank_hi")), 1);
            }
        }
        json_decref(b);
    }
    free(weeks);
    assert_int_equal(checked, tu_sql_int(db, "SELECT count(*) FROM weekly_rankings"));
    assert_true(narrow > 0); /* the data does separate some models */
    assert_true(moves > 0 && significant_moves > 0); /* Haiku's 8/28 to 0/27 in 2026-W04 */
    r = CLI("leaderboard", "--week", "2026-W04");
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "down 4*");
    tu_assert_contains(r.out, "* a significant change from the previous ranked week");
    tu_run_free(&r);

    /* All time: the same rule over every clue both answered in weeks both were ranked, and the matrix. */
    r = CLI("leaderboard", "--all-time", "--json");
    assert_int_equal(r.status, 0);
    json_t *all = json_loads(r.out, 0, NULL);
    tu_run_free(&r);
    check_ranges(NULL, json_object_get(all, "rows"), &p);
    json_t *h2h = json_object_get(all, "head_to_head");
    assert_int_equal(json_array_size(h2h), p.n * (p.n - 1));
    size_t i;
    json_t *cell;
    json_array_foreach(h2h, i, cell) {
        size_t a = MAXM, o = MAXM;
        for (size_t k = 0; k < p.n; k++) {
            if (strcmp(p.models[k], json_string_value(json_object_get(cell, "model_id"))) == 0)
                a = k;
            if (strcmp(p.models[k], json_string_value(json_object_get(cell, "opponent_id"))) == 0)
                o = k;
        }
        assert_true(a < p.n && o < p.n);
        assert_int_equal(json_integer_value(json_object_get(cell, "wins")), p.d[a][o]);
        assert_int_equal(json_integer_value(json_object_get(cell, "losses")), p.d[o][a]);
        assert_int_equal(json_integer_value(json_object_get(cell, "ties")), p.shared[a][o] - p.d[a][o] - p.d[o][a]);
        assert_int_equal(json_is_true(json_object_get(cell, "significant")), sign_test_p(p.d[a][o], p.d[o][a]) < 0.05L);
    }
    /* Cost per clue and median latency over the pooled answers, as SQL computes them here. */
    json_array_foreach(json_object_get(all, "rows"), i, cell) {
        char sql[1400];
        const char *pooled =
            "FROM weekly_rankings r JOIN models m ON m.id = r.model_id JOIN evaluations e ON e.model_id = r.model_id\n"
            "JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id AND p.week_id = r.week_id\n"
            "WHERE e.outcome IN ('correct', 'wrong', 'no_answer') AND p.quarantine_reason IS NULL\n"
            "AND c.exclude_reason IS NULL AND m.openrouter_id = ";
        const char *model = json_string_value(json_object_get(cell, "model_id"));
        snprintf(sql, sizeof sql, "SELECT printf('%%.9e', avg(e.cost)) %s'%s' AND e.cost IS NOT NULL", pooled, model);
        char *want = tu_sql(db, sql), got[64];
        snprintf(got, sizeof got, "%.9e\n", json_number_value(json_object_get(cell, "cost_per_clue")));
        assert_string_equal(got, want);
        free(want);
        snprintf(sql, sizeof sql,
                 "SELECT e.response_time_ms %s'%s' AND e.response_time_ms IS NOT NULL ORDER BY 1 LIMIT 1 OFFSET "
                 "(SELECT (count(*) - 1) / 2 %s'%s' AND e.response_time_ms IS NOT NULL)",
                 pooled, model, pooled, model);
        assert_int_equal((int64_t)json_number_value(json_object_get(cell, "median_latency_ms")), tu_sql_int(db, sql));
    }

    /* The old data has no explanations: every pooled answer is of an unknown type. */
    json_t *types = json_object_get(all, "clue_types"), *row;
    assert_int_equal(json_array_size(types), json_array_size(json_object_get(all, "rows")));
    json_array_foreach(types, i, row)
        assert_string_equal(json_string_value(json_object_get(row, "clue_type")), "unknown");
    json_decref(all);

    /* With explanations on a third of the clues, each model's anagram
     * count is its pooled answers on those clues, counted here in SQL. */
    free(tu_sql(db, "UPDATE clues SET explanation = '(ETC)* (*broken)' WHERE id % 3 = 0"));
    r = CLI("rank", "--all");
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    r = CLI("leaderboard", "--all-time", "--json");
    assert_int_equal(r.status, 0);
    all = json_loads(r.out, 0, NULL);
    tu_run_free(&r);
    int anagram_rows = 0;
    json_array_foreach(json_object_get(all, "clue_types"), i, row) {
        if (strcmp(json_string_value(json_object_get(row, "clue_type")), "anagram") != 0)
            continue;
        anagram_rows++;
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) || '|' || sum(e.outcome = 'correct') FROM weekly_rankings r\n"
                 "JOIN models m ON m.id = r.model_id JOIN evaluations e ON e.model_id = r.model_id\n"
                 "JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id AND p.week_id = r.week_id\n"
                 "WHERE e.outcome IN ('correct', 'wrong', 'no_answer') AND c.id %% 3 = 0 AND m.openrouter_id = '%s'",
                 json_string_value(json_object_get(row, "model_id")));
        char *want = tu_sql(db, sql), got[64];
        snprintf(got, sizeof got, "%lld|%lld\n", (long long)json_integer_value(json_object_get(row, "total")),
                 (long long)json_integer_value(json_object_get(row, "correct")));
        assert_string_equal(got, want);
        free(want);
    }
    assert_int_equal(anagram_rows, json_array_size(json_object_get(all, "rows")));
    json_decref(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_old_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rank_from_a_week, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quality_old_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quality_constructed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges_old_database, setup, teardown),
    };
    return cmocka_run_group_tests_name("rank and leaderboard (the binary on real files)", tests, NULL, NULL);
}
