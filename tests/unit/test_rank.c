/* test_rank.c - the ranking rules on plain data: ties, newcomers, gaps,
 * drop-outs, incomplete coverage, all-error weeks, no-answers, tenure,
 * intervals, all-time, answer quality; the exact tests against values
 * computed with exact rational arithmetic (Python's fractions), rank
 * ranges, significant movement and the head-to-head matrix. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "rank/cluetype.h"
#include "rank/rank.h"

static struct rank_model models[] = {{1, "Alpha"}, {2, "Bravo"}, {3, "Charlie"}, {4, "Delta"}, {5, "Echo"}};

static struct rank_cell cell(const char *week, int64_t model, int correct, int wrong, int no_answer, int errors)
{
    struct rank_cell c = {.model_id = model, .correct = correct, .wrong = wrong, .no_answer = no_answer,
                          .errors = errors, .avg_latency_ms = 100, .cost = 0.01};
    snprintf(c.week, sizeof c.week, "%s", week);
    return c;
}

static struct rank_output compute(const struct rank_week_in *weeks, size_t nweeks, const struct rank_cell *cells,
                                  size_t ncells, const struct rank_error_in *errors, size_t nerrors, double threshold)
{
    struct rank_input in = {weeks, nweeks, models, 5, cells, ncells, errors, nerrors, threshold, NULL, 0};
    struct rank_output out;
    memset(&out, 0xa5, sizeof out); /* whatever the caller's struct held */
    struct err err = {{0}};
    if (rank_compute(&in, &out, &err) != 0)
        fail_msg("%s", err.msg);
    return out;
}

static const struct rank_row *row_of(const struct rank_output *o, const char *week, int64_t model)
{
    for (size_t i = 0; i < o->nrows; i++)
        if (strcmp(o->rows[i].week, week) == 0 && o->rows[i].model_id == model)
            return &o->rows[i];
    return NULL;
}

static void test_ties_share_a_rank(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W01", 4}};
    struct rank_cell cells[] = {cell("2026-W01", 5, 2, 2, 0, 0), cell("2026-W01", 2, 2, 2, 0, 0),
                                cell("2026-W01", 1, 1, 3, 0, 0), cell("2026-W01", 4, 1, 3, 0, 0),
                                cell("2026-W01", 3, 0, 4, 0, 0)};
    struct rank_output o = compute(weeks, 1, cells, 5, NULL, 0, 0);
    assert_int_equal(o.nrows, 5);
    /* 1, 1, 3, 3, 5, ties listed by display name */
    int64_t order[] = {2, 5, 1, 4, 3};
    int ranks[] = {1, 1, 3, 3, 5};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(o.rows[i].model_id, order[i]);
        assert_int_equal(o.rows[i].rank, ranks[i]);
        assert_int_equal(o.rows[i].previous_rank, 0);
        assert_int_equal(o.rows[i].rank_change, 0); /* NEW: no movement */
        assert_int_equal(o.rows[i].tenure_weeks, 1);
    }
    assert_true(fabs(o.rows[0].accuracy - 50.0) < 1e-9);
    /* The week's latency and cost per model go on the board as they came. */
    assert_true(fabs(o.rows[0].avg_latency_ms - 100) < 1e-9 && fabs(o.rows[0].cost - 0.01) < 1e-12);
    assert_int_equal(o.weeks[0].ranked, 1);
    assert_string_equal(o.weeks[0].reason, "2026-W01: 5 of 5 models complete");
    rank_output_free(&o);
}

static void test_movement_newcomers_gaps_and_dropouts(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W03", 2}, {"2026-W01", 2}, {"2026-W02", 2}, {"2026-W04", 2}};
    struct rank_cell cells[] = {
        /* W01: Alpha 1st, Bravo 2nd */
        cell("2026-W01", 1, 2, 0, 0, 0), cell("2026-W01", 2, 1, 1, 0, 0),
        /* W02: every call failed: no ranking, a gap */
        cell("2026-W02", 1, 0, 0, 0, 2), cell("2026-W02", 2, 0, 0, 0, 2),
        /* W03: Alpha 1st again (tenure goes on over the gap), Bravo drops out
         * (one error), Charlie new at 2nd */
        cell("2026-W03", 1, 2, 0, 0, 0), cell("2026-W03", 2, 1, 0, 0, 1), cell("2026-W03", 3, 1, 1, 0, 0),
        /* W04: Bravo back at 1st with Alpha: tie; Charlie 3rd */
        cell("2026-W04", 1, 2, 0, 0, 0), cell("2026-W04", 2, 2, 0, 0, 0), cell("2026-W04", 3, 0, 2, 0, 0),
    };
    struct rank_error_in errors[] = {{"2026-W02", 402, 3}, {"2026-W02", 404, 1}};
    struct rank_output o = compute(weeks, 4, cells, sizeof cells / sizeof cells[0], errors, 2, 0);
    assert_int_equal(o.nweeks, 4);
    assert_string_equal(o.weeks[1].week, "2026-W02");
    assert_false(o.weeks[1].ranked);
    assert_string_equal(o.weeks[1].reason,
                        "2026-W02: 0 of 2 models complete; 4 of 4 calls failed (HTTP 402 \xc3\x97" "3, 404 \xc3\x97" "1)");
    assert_null(row_of(&o, "2026-W02", 1));

    const struct rank_row *a3 = row_of(&o, "2026-W03", 1);
    assert_int_equal(a3->rank, 1);
    assert_int_equal(a3->previous_rank, 1); /* from W01: the gap is skipped */
    assert_int_equal(a3->rank_change, 0);
    assert_int_equal(a3->tenure_weeks, 2);  /* W01 and W03 are consecutive ranked weeks */
    assert_null(row_of(&o, "2026-W03", 2)); /* incomplete: not ranked */
    const struct rank_row *c3 = row_of(&o, "2026-W03", 3);
    assert_int_equal(c3->rank, 2);
    assert_int_equal(c3->previous_rank, 0); /* NEW */

    const struct rank_row *b4 = row_of(&o, "2026-W04", 2);
    assert_int_equal(b4->rank, 1);
    assert_int_equal(b4->previous_rank, 2); /* its latest ranked week: W01 */
    assert_int_equal(b4->rank_change, 1);
    assert_int_equal(b4->tenure_weeks, 1);  /* absent from W03: its tenure ended */
    const struct rank_row *a4 = row_of(&o, "2026-W04", 1);
    assert_int_equal(a4->rank, 1);
    assert_int_equal(a4->tenure_weeks, 3);
    const struct rank_row *c4 = row_of(&o, "2026-W04", 3);
    assert_int_equal(c4->rank, 3);
    assert_int_equal(c4->rank_change, -1);

    /* Tenure stints as the old table means them. */
    int found = 0;
    for (size_t i = 0; i < o.ntenures; i++) {
        const struct rank_tenure *t = &o.tenures[i];
        if (t->model_id == 1) {
            assert_int_equal(t->rank, 1);
            assert_string_equal(t->start_week, "2026-W01");
            assert_string_equal(t->end_week, "2026-W04");
            assert_int_equal(t->weeks, 3);
            assert_true(t->current);
            found++;
        }
        if (t->model_id == 2 && strcmp(t->start_week, "2026-W01") == 0) {
            assert_int_equal(t->weeks, 1);
            assert_false(t->current);
            found++;
        }
    }
    assert_int_equal(found, 2);

    /* Coverage of the drop-out. */
    for (size_t i = 0; i < o.ncoverage; i++)
        if (strcmp(o.coverage[i].week, "2026-W03") == 0 && o.coverage[i].model_id == 2) {
            assert_true(fabs(o.coverage[i].coverage - 50.0) < 1e-9);
            assert_int_equal(o.coverage[i].errors, 1);
            assert_false(o.coverage[i].ranked);
        }

    /* All-time: pooled over the weeks each was ranked. */
    assert_int_equal(o.nalltime, 3);
    assert_int_equal(o.alltime[0].model_id, 1);
    assert_int_equal(o.alltime[0].weeks, 3);
    assert_int_equal(o.alltime[0].correct, 6);
    assert_int_equal(o.alltime[0].total, 6);
    assert_int_equal(o.alltime[1].model_id, 2);
    assert_int_equal(o.alltime[1].weeks, 2);
    assert_int_equal(o.alltime[1].correct, 3);
    rank_output_free(&o);
}

static void test_coverage_threshold_and_no_answers(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W10", 10}};
    struct rank_cell cells[] = {cell("2026-W10", 1, 3, 5, 2, 0),  /* no-answers count as wrong */
                                cell("2026-W10", 2, 9, 0, 0, 1)}; /* 90 % coverage */
    struct rank_output o = compute(weeks, 1, cells, 2, NULL, 0, 0);
    assert_int_equal(o.nrows, 1);
    assert_int_equal(o.rows[0].model_id, 1);
    assert_int_equal(o.rows[0].total, 10);
    assert_true(fabs(o.rows[0].accuracy - 30.0) < 1e-9);
    rank_output_free(&o);
    o = compute(weeks, 1, cells, 2, NULL, 0, 90);
    assert_int_equal(o.nrows, 2);
    assert_int_equal(o.rows[0].model_id, 2); /* 9 of 9 scored */
    assert_int_equal(o.rows[0].total, 9);
    rank_output_free(&o);
}

static void test_week_without_calls(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W20", 30}};
    struct rank_output o = compute(weeks, 1, NULL, 0, NULL, 0, 0);
    assert_false(o.weeks[0].ranked);
    /* A week nobody was asked about yet says so (issue 20), not "0 of 0
     * models complete; no calls made". */
    assert_string_equal(o.weeks[0].reason, "2026-W20: not evaluated yet");
    rank_output_free(&o);
}

/* All-time ranks compare pooled accuracy, not counts: 3 of 6 ties with 5 of
 * 10, and 5 of 12 comes after both although it has as many correct. */
static void test_alltime_ties_on_accuracy(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W01", 6}, {"2026-W02", 4}, {"2026-W03", 2}};
    struct rank_cell cells[] = {
        /* Alpha: 3 of 6 in one week. Bravo: 4 of 6 + 1 of 4 = 5 of 10.
         * Charlie: 2 of 6 + 3 of 4 + 0 of 2 = 5 of 12. Delta: 6 of 6 + 0 of 4 = 6 of 10. */
        cell("2026-W01", 1, 3, 3, 0, 0), cell("2026-W01", 2, 4, 2, 0, 0), cell("2026-W01", 3, 2, 4, 0, 0),
        cell("2026-W01", 4, 6, 0, 0, 0),
        cell("2026-W02", 2, 1, 3, 0, 0), cell("2026-W02", 3, 3, 1, 0, 0), cell("2026-W02", 4, 0, 4, 0, 0),
        cell("2026-W03", 3, 0, 2, 0, 0),
    };
    struct rank_output o = compute(weeks, 3, cells, sizeof cells / sizeof cells[0], NULL, 0, 0);
    assert_int_equal(o.nalltime, 4);
    int64_t order[] = {4, 1, 2, 3};
    int ranks[] = {1, 2, 2, 4};
    int totals[] = {10, 6, 10, 12};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(o.alltime[i].model_id, order[i]);
        assert_int_equal(o.alltime[i].rank, ranks[i]);
        assert_int_equal(o.alltime[i].total, totals[i]);
    }
    assert_true(fabs(o.alltime[1].accuracy - 50.0) < 1e-9 && fabs(o.alltime[2].accuracy - 50.0) < 1e-9);
    /* The intervals of the pooled counts: 3 of 6 is wider than 5 of 10. */
    double lo, hi;
    rank_wilson(5, 10, &lo, &hi);
    assert_true(fabs(o.alltime[2].ci_low - lo) < 1e-9 && fabs(o.alltime[2].ci_high - hi) < 1e-9);
    rank_wilson(3, 6, &lo, &hi);
    assert_true(fabs(o.alltime[1].ci_low - lo) < 1e-9 && fabs(o.alltime[1].ci_high - hi) < 1e-9);
    assert_true(o.alltime[1].ci_low < o.alltime[2].ci_low && o.alltime[0].ci_high > 60);
    rank_output_free(&o);
}

/* A model absent from a ranked week loses its tenure even when it comes
 * back at the same rank; a week with no ranking at all does not break it. */
static void test_tenure_restarts_after_an_absence(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W01", 2}, {"2026-W02", 2}, {"2026-W03", 2}, {"2026-W04", 2},
                                   {"2026-W05", 2}, {"2026-W06", 2}};
    struct rank_cell cells[] = {
        cell("2026-W01", 1, 2, 0, 0, 0), cell("2026-W01", 2, 1, 1, 0, 0),
        /* W02: Alpha incomplete, Bravo ranked alone (1st) */
        cell("2026-W02", 1, 1, 0, 0, 1), cell("2026-W02", 2, 1, 1, 0, 0),
        /* W03: Alpha back at 1st, Bravo 2nd */
        cell("2026-W03", 1, 2, 0, 0, 0), cell("2026-W03", 2, 0, 2, 0, 0),
        /* W04: every call failed */
        cell("2026-W04", 1, 0, 0, 0, 2), cell("2026-W04", 2, 0, 0, 0, 2),
        /* W05: Alpha 1st again */
        cell("2026-W05", 1, 2, 0, 0, 0), cell("2026-W05", 2, 0, 2, 0, 0),
        /* W06, the latest: Bravo incomplete, so it holds no current tenure */
        cell("2026-W06", 1, 2, 0, 0, 0), cell("2026-W06", 2, 1, 0, 0, 1),
    };
    struct rank_output o = compute(weeks, 6, cells, sizeof cells / sizeof cells[0], NULL, 0, 0);
    for (size_t i = 0; i < o.ntenures; i++)
        if (o.tenures[i].model_id == 2 && o.tenures[i].current)
            fail_msg("Bravo is absent from the latest ranked week but holds a current tenure from %s",
                     o.tenures[i].start_week);
    const struct rank_row *a3 = row_of(&o, "2026-W03", 1);
    assert_int_equal(a3->rank, 1);
    assert_int_equal(a3->previous_rank, 1);
    assert_int_equal(a3->tenure_weeks, 1);
    assert_int_equal(row_of(&o, "2026-W05", 1)->tenure_weeks, 2);
    assert_int_equal(row_of(&o, "2026-W06", 1)->tenure_weeks, 3);
    assert_int_equal(row_of(&o, "2026-W02", 2)->tenure_weeks, 1); /* 2nd then 1st: a new stint */
    assert_int_equal(row_of(&o, "2026-W03", 2)->tenure_weeks, 1);
    int stints = 0;
    for (size_t i = 0; i < o.ntenures; i++) {
        const struct rank_tenure *t = &o.tenures[i];
        if (t->model_id != 1)
            continue;
        stints++;
        assert_int_equal(t->rank, 1);
        if (stints == 1) {
            assert_string_equal(t->start_week, "2026-W01");
            assert_string_equal(t->end_week, "2026-W01");
            assert_int_equal(t->weeks, 1);
            assert_false(t->current);
        } else {
            assert_string_equal(t->start_week, "2026-W03");
            assert_string_equal(t->end_week, "2026-W06");
            assert_int_equal(t->weeks, 3);
            assert_true(t->current);
        }
    }
    assert_int_equal(stints, 2);
    rank_output_free(&o);
}

/* The reasons a week has no ranking, as the dashboard shows them. */
static void test_no_ranking_reasons(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W30", 0}, {"2026-W31", 3}, {"2026-W32", 1}};
    struct rank_cell cells[] = {cell("2026-W30", 1, 0, 0, 0, 0), cell("2026-W31", 1, 1, 0, 0, 2),
                                cell("2026-W31", 2, 0, 0, 0, 3), cell("2026-W31", 3, 0, 0, 0, 3),
                                cell("2026-W32", 1, 0, 0, 0, 1)};
    /* Equal counts are listed by status; errors with no status known are "other". */
    struct rank_error_in errors[] = {{"2026-W31", 503, 2}, {"2026-W31", 0, 2}, {"2026-W31", 429, 2},
                                     {"2026-W31", 503, 1}, {"2026-W30", 402, 9}, {"2026-W32", 500, 1}};
    struct rank_output o = compute(weeks, 3, cells, 5, errors, 6, 0);
    /* A week of one clue whose only call failed is a week with calls, not one without clues. */
    assert_string_equal(o.weeks[2].reason, "2026-W32: 0 of 1 models complete; 1 of 1 calls failed (HTTP 500 \xc3\x97" "1)");
    assert_false(o.weeks[0].ranked);
    assert_string_equal(o.weeks[0].reason, "2026-W30: no clue of the week counts (quarantined or excluded)");
    assert_false(o.weeks[1].ranked);
    assert_string_equal(o.weeks[1].reason, "2026-W31: 0 of 3 models complete; 8 of 9 calls failed "
                                           "(HTTP 503 \xc3\x97" "3, other \xc3\x97" "2, 429 \xc3\x97" "2)");
    assert_int_equal(o.weeks[1].clues, 3);
    assert_int_equal(o.coverage[0].clues, 0); /* 2026-W30, no clue counts: 0 %, not a division by zero */
    assert_true(o.coverage[0].coverage == 0);
    assert_int_equal(o.coverage[1].clues, 3);
    assert_int_equal(o.weeks[1].models_ranked, 0);
    assert_int_equal(o.nrows, 0);
    assert_int_equal(o.nalltime, 0);
    /* Coverage is still listed for every model that has results. */
    assert_int_equal(o.ncoverage, 5);
    rank_output_free(&o);
}

/* Coverage is capped at 100 %, a model with no scored answer is never
 * ranked (whatever the threshold), and a threshold just reached ranks. */
static void test_coverage_edges(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W40", 3}};
    struct rank_cell cells[] = {cell("2026-W40", 1, 2, 2, 0, 0),  /* 4 answers for 3 clues (a re-scrape) */
                                cell("2026-W40", 2, 0, 0, 0, 3),  /* errors only */
                                cell("2026-W40", 3, 1, 1, 0, 1)}; /* 2 of 3: 66.67 % */
    struct rank_output o = compute(weeks, 1, cells, 3, NULL, 0, 1);
    assert_int_equal(o.ncoverage, 3);
    assert_true(fabs(o.coverage[0].coverage - 100.0) < 1e-9);
    assert_int_equal(o.coverage[0].ranked, 1); /* stored as is: 1 or 0 */
    assert_int_equal(o.coverage[0].evaluated, 4);
    assert_false(o.coverage[1].ranked);
    assert_int_equal(o.coverage[1].errors, 3);
    assert_true(fabs(o.coverage[1].coverage) < 1e-9);
    assert_true(o.coverage[2].ranked);
    assert_int_equal(o.nrows, 2);
    rank_output_free(&o);
    o = compute(weeks, 1, cells, 3, NULL, 0, 200.0 / 3);
    assert_true(o.coverage[2].ranked); /* exactly 2 of 3 */
    rank_output_free(&o);
    o = compute(weeks, 1, cells, 3, NULL, 0, 66.7);
    assert_false(o.coverage[2].ranked);
    assert_string_equal(o.weeks[0].reason, "2026-W40: 1 of 3 models complete");
    rank_output_free(&o);
    /* 199 of 200 is not complete; 201 answers for 200 clues are 100 %. */
    struct rank_week_in big[] = {{"2026-W41", 200}};
    struct rank_cell near[] = {cell("2026-W41", 1, 199, 0, 0, 1), cell("2026-W41", 2, 150, 51, 0, 0)};
    o = compute(big, 1, near, 2, NULL, 0, 0);
    assert_false(o.coverage[0].ranked);
    assert_true(fabs(o.coverage[0].coverage - 99.5) < 1e-9);
    assert_true(o.coverage[1].ranked);
    assert_true(o.coverage[1].coverage == 100);
    rank_output_free(&o);
    /* A cell naming a model nobody listed is an error, not a silent drop. */
    struct rank_cell stray[] = {cell("2026-W40", 99, 3, 0, 0, 0)};
    struct rank_input in = {weeks, 1, models, 5, stray, 1, NULL, 0, 0, NULL, 0};
    struct err err = {{0}};
    assert_int_equal(rank_compute(&in, &o, &err), -1);
    tu_assert_contains(err.msg, "unknown model 99");
}

/* Ties are listed by display name, whatever the ids; the same name, by id.
 * Coverage comes by week then model id, tenures by model then start week,
 * whatever order the cells came in; a one-clue week answered is ranked. */
static void test_orders_and_ties(void **state)
{
    (void)state;
    static const struct rank_model named[] = {{7, "Zulu"}, {3, "Mike"}, {9, "Alpha"}, {2, "Mike"}};
    struct rank_week_in weeks[] = {{"2026-W02", 1}, {"2026-W01", 2}};
    struct rank_cell cells[] = {cell("2026-W02", 7, 1, 0, 0, 0), cell("2026-W02", 3, 1, 0, 0, 0),
                                cell("2026-W02", 9, 1, 0, 0, 0), cell("2026-W02", 2, 1, 0, 0, 0),
                                cell("2026-W01", 9, 1, 1, 0, 0), cell("2026-W01", 7, 2, 0, 0, 0),
                                cell("2026-W01", 3, 1, 1, 0, 0), cell("2026-W01", 2, 0, 2, 0, 0)};
    struct rank_input in = {weeks, 2, named, 4, cells, 8, NULL, 0, 0, NULL, 0};
    struct rank_output o;
    struct err err = {{0}};
    if (rank_compute(&in, &o, &err) != 0)
        fail_msg("%s", err.msg);
    /* W01: Zulu 1st; Alpha and Mike (3) tie at 2nd, Alpha first; Mike (2) 4th. */
    int64_t w1[] = {7, 9, 3, 2};
    int r1[] = {1, 2, 2, 4};
    /* W02 (one clue, all right): all tie at 1st: Alpha, Mike (2), Mike (3), Zulu. */
    int64_t w2[] = {9, 2, 3, 7};
    assert_int_equal(o.nrows, 8);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(o.rows[i].week, "2026-W01");
        assert_int_equal(o.rows[i].model_id, w1[i]);
        assert_int_equal(o.rows[i].rank, r1[i]);
        assert_string_equal(o.rows[4 + i].week, "2026-W02");
        assert_int_equal(o.rows[4 + i].model_id, w2[i]);
        assert_int_equal(o.rows[4 + i].rank, 1);
    }
    /* Coverage by week, then id. */
    const char *cw[] = {"2026-W01", "2026-W01", "2026-W01", "2026-W01", "2026-W02", "2026-W02", "2026-W02", "2026-W02"};
    int64_t cid[] = {2, 3, 7, 9, 2, 3, 7, 9};
    assert_int_equal(o.ncoverage, 8);
    for (int i = 0; i < 8; i++) {
        assert_string_equal(o.coverage[i].week, cw[i]);
        assert_int_equal(o.coverage[i].model_id, cid[i]);
    }
    /* Tenures by model id, then start week. */
    assert_true(o.ntenures >= 2);
    for (size_t i = 1; i < o.ntenures; i++) {
        const struct rank_tenure *a = &o.tenures[i - 1], *b = &o.tenures[i];
        assert_true(a->model_id < b->model_id ||
                    (a->model_id == b->model_id && strcmp(a->start_week, b->start_week) < 0));
    }
    /* All-time: Zulu 3 of 3; Alpha and Mike (3) 2 of 3, by name; Mike (2) 1 of 3. */
    int64_t at[] = {7, 9, 3, 2};
    int ar[] = {1, 2, 2, 4};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(o.alltime[i].model_id, at[i]);
        assert_int_equal(o.alltime[i].rank, ar[i]);
    }
    rank_output_free(&o);
}

/* Failure reasons list the statuses by count, most first, whatever order
 * the counts came in. */
static void test_reason_lists_statuses_by_count(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W50", 2}};
    struct rank_cell cells[] = {cell("2026-W50", 1, 0, 0, 0, 10)};
    struct rank_error_in errors[] = {{"2026-W50", 500, 1}, {"2026-W50", 502, 2}, {"2026-W50", 429, 3},
                                     {"2026-W50", 404, 4}};
    struct rank_output o = compute(weeks, 1, cells, 1, errors, 4, 0);
    assert_string_equal(o.weeks[0].reason, "2026-W50: 0 of 1 models complete; 10 of 10 calls failed (HTTP 404 "
                                           "\xc3\x97" "4, 429 \xc3\x97" "3, 502 \xc3\x97" "2, 500 \xc3\x97" "1)");
    rank_output_free(&o);
}

/* (The HTTP status of a failed call is stored typed; the old messages'
 * statuses are read once by migration 17: tests/unit/test_store.c.) */
static void test_wilson(void **state)
{
    (void)state;
    double lo, hi;
    rank_wilson(21, 28, &lo, &hi);
    assert_true(fabs(lo - 56.6) < 0.05 && fabs(hi - 87.3) < 0.05);
    rank_wilson(0, 10, &lo, &hi);
    assert_true(fabs(lo) < 1e-9 && fabs(hi - 27.75) < 0.05);
    rank_wilson(10, 10, &lo, &hi);
    assert_true(fabs(lo - 72.25) < 0.05 && fabs(hi - 100) < 1e-9);
    rank_wilson(0, 0, &lo, &hi);
    assert_true(lo == 0 && hi == 0);
}

/* The wrong-length rule on single answers. */
static void test_wrong_length(void **state)
{
    (void)state;
    static const struct {
        const char *answer, *enumeration;
        int wrong;
    } cases[] = {
        {"CAT", "(5)", 1},
        {"CRANE", "(5)", 0},
        {"ice-cream", "(3,5)", 0},
        {"ICE CREAMS", "(3,5)", 1},
        {"ICE CREAMS", "3,5", 1},         /* stored without parentheses */
        {"ICE CREAM", "3,5", 0},
        {"four-dimensional", "(4-11)", 0},
        {"CAF\xc3\x89", "(4)", 0},       /* the accent is a letter */
        {"CAF\xc3\x89S", "(4)", 1},
        {NULL, "(5)", 0},                 /* no answer */
        {"", "(5)", 0},
        {"?!", "(5)", 0},                 /* no letters: no answer either */
        {"ABC", "five", 0},               /* nothing to compare with */
        {"ABC", NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (rank_wrong_length(cases[i].answer, cases[i].enumeration) != cases[i].wrong)
            fail_msg("%s for %s: expected %d", cases[i].answer ? cases[i].answer : "NULL",
                     cases[i].enumeration ? cases[i].enumeration : "NULL", cases[i].wrong);
}

static const struct rank_coverage *coverage_of(const struct rank_output *o, const char *week, int64_t model)
{
    for (size_t i = 0; i < o->ncoverage; i++)
        if (strcmp(o->coverage[i].week, week) == 0 && o->coverage[i].model_id == model)
            return &o->coverage[i];
    return NULL;
}

static void assert_quality(const struct rank_quality *q, double wrong_length, double no_answer, double errors,
                           double tokens)
{
    assert_true(fabs(q->wrong_length_rate - wrong_length) < 1e-9);
    assert_true(fabs(q->no_answer_rate - no_answer) < 1e-9);
    assert_true(fabs(q->error_rate - errors) < 1e-9);
    assert_true(fabs(q->avg_completion_tokens - tokens) < 1e-9);
}

/* Rates over the week's clues, ranked or not; all-time pooled over every
 * week with evaluations; a model without any is left out. */
static void test_answer_quality(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W01", 4}, {"2026-W02", 2}};
    struct rank_cell cells[] = {cell("2026-W01", 1, 1, 1, 1, 1), cell("2026-W01", 2, 2, 2, 0, 0),
                                cell("2026-W02", 1, 1, 1, 0, 0), cell("2026-W02", 3, 0, 0, 0, 1)};
    cells[0].wrong_length = 1;
    cells[0].completion_tokens = 30;
    cells[0].token_replies = 3;
    cells[1].wrong_length = 2;
    cells[2].completion_tokens = 50;
    cells[2].token_replies = 2;
    struct rank_output o = compute(weeks, 2, cells, 4, NULL, 0, 0);
    /* Alpha, incomplete in W01: each kind once of 4 clues; 30 tokens over 3 replies. */
    const struct rank_coverage *c = coverage_of(&o, "2026-W01", 1);
    assert_non_null(c);
    assert_false(c->ranked);
    assert_quality(&c->quality, 25, 25, 25, 10);
    assert_int_equal(c->quality.wrong_length, 1);
    /* Bravo, ranked: no tokens reported. */
    c = coverage_of(&o, "2026-W01", 2);
    assert_true(c->ranked);
    assert_quality(&c->quality, 50, 0, 0, -1);
    c = coverage_of(&o, "2026-W02", 3);
    assert_quality(&c->quality, 0, 0, 50, -1);
    /* All time: Alpha 1 wrong length, 1 no answer, 1 error of 6 clues; 80 tokens over 5 replies. */
    assert_int_equal(o.nalltime_quality, 3);
    const struct rank_alltime_quality *a = &o.alltime_quality[0];
    assert_int_equal(a->model_id, 1);
    assert_int_equal(a->weeks, 2);
    assert_int_equal(a->clues, 6);
    assert_quality(&a->quality, 100.0 / 6, 100.0 / 6, 100.0 / 6, 16);
    assert_int_equal(o.alltime_quality[1].model_id, 2);
    assert_int_equal(o.alltime_quality[2].model_id, 3); /* never ranked, still there */
    assert_int_equal(o.alltime_quality[2].clues, 2);
    rank_output_free(&o);
}

static int close_to(double got, double want)
{
    return fabs(got - want) <= 1e-9 * want;
}

static void test_exact_tests(void **state)
{
    (void)state;
    /* Reference values: exact binomial and hypergeometric sums in fractions. */
    assert_true(close_to(rank_mcnemar_p(1, 9), 0.021484375));
    assert_true(close_to(rank_mcnemar_p(9, 1), 0.021484375));
    assert_true(close_to(rank_mcnemar_p(0, 5), 0.0625));
    assert_true(close_to(rank_mcnemar_p(0, 6), 0.03125));
    assert_true(close_to(rank_mcnemar_p(40, 62), 0.037066767438560536));
    assert_true(close_to(rank_mcnemar_p(1000, 1100), 0.030720707864242296)); /* no underflow at 2^-2100 */
    assert_true(rank_mcnemar_p(5, 5) == 1 && rank_mcnemar_p(0, 0) == 1 && close_to(rank_mcnemar_p(3, 4), 1));
    assert_true(close_to(rank_fisher_p(3, 4, 1, 4), 0.4857142857142857));
    assert_true(close_to(rank_fisher_p(10, 20, 0, 20), 0.00043591979075850045));
    assert_true(close_to(rank_fisher_p(6, 32, 12, 30), 0.09386786894523305));
    assert_true(close_to(rank_fisher_p(300, 1000, 350, 1000), 0.01928432161451363));
    assert_true(rank_fisher_p(5, 10, 5, 10) > 0.999999 && rank_fisher_p(1, 0, 1, 2) == 1);
}

/* Week W01: Alpha right on all 20 clues, Bravo on clues 0-9, Charlie on
 * 0-8, Delta on none. W02: Alpha all, Bravo none, Charlie 0-8, Delta none. */
static void test_rank_ranges(void **state)
{
    (void)state;
    struct rank_week_in weeks[] = {{"2026-W01", 20}, {"2026-W02", 20}};
    struct rank_cell cells[] = {cell("2026-W01", 1, 20, 0, 0, 0), cell("2026-W01", 2, 10, 10, 0, 0),
                                cell("2026-W01", 3, 9, 11, 0, 0), cell("2026-W01", 4, 0, 20, 0, 0),
                                cell("2026-W02", 1, 20, 0, 0, 0), cell("2026-W02", 2, 0, 20, 0, 0),
                                cell("2026-W02", 3, 9, 11, 0, 0), cell("2026-W02", 4, 0, 20, 0, 0)};
    struct rank_answer answers[160];
    size_t n = 0;
    for (int w = 0; w < 2; w++)
        for (int clue = 0; clue < 20; clue++)
            for (int m = 4; m >= 1; m--) { /* any order */
                int right = m == 1 || (m == 2 && w == 0 && clue < 10) || (m == 3 && clue < 9);
                unsigned types = w == 1 ? 0 : clue < 10 ? RANK_CT_ANAGRAM : RANK_CT_CHARADE | RANK_CT_DELETION;
                answers[n] = (struct rank_answer){.clue_id = w * 100 + clue, .model_id = m, .correct = right,
                                                  .types = types, .cost = 0.001 * m, .latency_ms = clue * 10 + m};
                snprintf(answers[n].week, sizeof answers[n].week, "%s", weeks[w].week);
                n++;
            }
    struct rank_input in = {weeks, 2, models, 5, cells, 8, NULL, 0, 0, answers, n};
    struct rank_output o;
    struct err err = {{0}};
    if (rank_compute(&in, &o, &err) != 0)
        fail_msg("%s", err.msg);
    /* W01: Bravo and Charlie one discordant clue apart, the others 9+ apart. */
    static const struct {
        const char *week;
        int64_t model;
        int rank, lo, hi, ahead, move;
    } expect[] = {
        {"2026-W01", 1, 1, 1, 1, 1, 0}, {"2026-W01", 2, 2, 2, 3, 0, 0}, {"2026-W01", 3, 3, 2, 3, 1, 0},
        {"2026-W01", 4, 4, 4, 4, 0, 0}, {"2026-W02", 1, 1, 1, 1, 1, 0}, {"2026-W02", 3, 2, 2, 2, 1, 0},
        {"2026-W02", 2, 3, 3, 4, 0, 1}, {"2026-W02", 4, 3, 3, 4, 0, 0},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const struct rank_row *r = row_of(&o, expect[i].week, expect[i].model);
        assert_non_null(r);
        assert_int_equal(r->rank, expect[i].rank);
        assert_int_equal(r->rank_lo, expect[i].lo);
        assert_int_equal(r->rank_hi, expect[i].hi);
        assert_int_equal(r->ahead_significant, expect[i].ahead);
        assert_int_equal(r->move_significant, expect[i].move);
    }
    /* Alpha's two weeks at #1, significantly ahead in both. */
    for (size_t i = 0; i < o.ntenures; i++)
        if (o.tenures[i].model_id == 1) {
            assert_int_equal(o.tenures[i].weeks, 2);
            assert_int_equal(o.tenures[i].significant_weeks, 2);
        }
    /* All time: Alpha 40, Charlie 18, Bravo 10, Delta 0 of 40. Bravo v
     * Charlie: 10 to 9 in W01... pooled 1 win to 9 losses: Charlie
     * significantly better (p = 0.0215). */
    assert_int_equal(o.nalltime, 4);
    int64_t order[] = {1, 3, 2, 4};
    int lo[] = {1, 2, 3, 4}, hi[] = {1, 2, 3, 4};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(o.alltime[i].model_id, order[i]);
        assert_int_equal(o.alltime[i].rank_lo, lo[i]);
        assert_int_equal(o.alltime[i].rank_hi, hi[i]);
    }
    assert_int_equal(o.nh2h, 12);
    int seen = 0;
    for (size_t i = 0; i < o.nh2h; i++) {
        const struct rank_h2h *h = &o.h2h[i];
        if (h->model_id == 2 && h->opponent_id == 3) {
            assert_int_equal(h->wins, 1);
            assert_int_equal(h->losses, 9);
            assert_int_equal(h->ties, 30);
            assert_true(close_to(h->p_value, 0.021484375));
            assert_true(h->significant);
            seen++;
        }
        if (h->model_id == 1 && h->opponent_id == 4) {
            assert_int_equal(h->wins, 40);
            assert_int_equal(h->losses, 0);
            assert_int_equal(h->ties, 0);
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    /* By clue type: W01's clues 0-9 anagrams, 10-19 charades with a
     * deletion; W02's without an explanation. Bravo: 10/10, 0/10, 0/10, 0/20. */
    static const struct {
        int type, total, correct;
    } bravo[] = {{0, 10, 10}, {2, 10, 0}, {6, 10, 0}, {11, 20, 0}};
    int found = 0;
    for (size_t i = 0; i < o.ntypes; i++) {
        const struct rank_type_accuracy *t = &o.types[i];
        if (t->model_id != 2)
            continue;
        assert_true((size_t)found < sizeof bravo / sizeof bravo[0]);
        assert_int_equal(t->type, bravo[found].type);
        assert_int_equal(t->total, bravo[found].total);
        assert_int_equal(t->correct, bravo[found].correct);
        assert_true(t->ci_low <= t->accuracy + 1e-9 && t->accuracy <= t->ci_high + 1e-9);
        found++;
    }
    assert_int_equal(found, 4);
    assert_int_equal(o.ntypes, 16); /* four models, four types each */
    /* Bravo's 40 pooled answers: 0.002 each; latencies 2, 2, 12, 12, ... 192: lower middle 92. */
    for (size_t i = 0; i < o.nalltime; i++)
        if (o.alltime[i].model_id == 2) {
            assert_true(close_to(o.alltime[i].cost_per_clue, 0.002));
            assert_true(close_to(o.alltime[i].median_latency_ms, 92));
        }
    rank_output_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ties_share_a_rank),
        cmocka_unit_test(test_movement_newcomers_gaps_and_dropouts),
        cmocka_unit_test(test_coverage_threshold_and_no_answers),
        cmocka_unit_test(test_week_without_calls),
        cmocka_unit_test(test_alltime_ties_on_accuracy),
        cmocka_unit_test(test_tenure_restarts_after_an_absence),
        cmocka_unit_test(test_no_ranking_reasons),
        cmocka_unit_test(test_coverage_edges),
        cmocka_unit_test(test_orders_and_ties),
        cmocka_unit_test(test_reason_lists_statuses_by_count),
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_wrong_length),
        cmocka_unit_test(test_answer_quality),
        cmocka_unit_test(test_exact_tests),
        cmocka_unit_test(test_rank_ranges),
    };
    return cmocka_run_group_tests_name("rank", tests, NULL, NULL);
}
