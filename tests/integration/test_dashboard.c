/*
 * test_dashboard.c - the dashboard in a real browser. Debian's chromium,
 * driven by playwright-core (tests/dashboard/e2e.mjs, which only reports
 * what the page shows), reads a ranked copy of the old database twice:
 * through `serve` and as an exported static site reading a real sqld. Each
 * time this test compares the page with `leaderboard --json` and with the
 * database read by plain libsqlite3: two ranked weeks row by row, a week
 * without a ranking, an expanded row's clue results, a model page's charts
 * and answer quality, the all-time board, the runs page. A clue, explanation and answer carrying
 * markup show as text and run nothing. Screenshots are kept as artifacts.
 * Also: the files' headers, --public-sql, and export-dashboard's refusals.
 */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static char *work, *db;
static char weeks[3][16];  /* two ranked weeks (newest first), then a week without a ranking or "" */
static char expand_model[128], xss_model[128];
static int xss_clue;

static const char *const env[] = {"TURSO_DATABASE_URL=", "TURSO_AUTH_TOKEN=", "TURSO_READ_TOKEN=", NULL};

static const char xss_clue_suffix[] = " <script>window.__xss=1</script>\"><img src=x onerror=\"window.__xss=2\">";
static const char xss_explanation[] = "\"><img src=x onerror=alert(1)><svg onload=\"window.__xss=4\">";
static const char xss_answer[] = "<script>window.__xss=3</script>";

static json_t *cli_json(const char *const *args)
{
    struct tu_run r = tu_run_cli(work, env, args);
    if (r.status != 0)
        fail_msg("%s failed: %s", args[2], r.err);
    json_error_t jerr;
    json_t *o = json_loads(r.out, 0, &jerr);
    if (!o)
        fail_msg("not JSON (%s): %s", jerr.text, r.out);
    tu_run_free(&r);
    return o;
}

static json_t *board(const char *week)
{
    return cli_json((const char *const[]){"--db", db, "leaderboard", "--week", week, "--json", NULL});
}

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    if (!tu_shared_dir())
        return 0;
    db = tu_path(work, "ranked.db");
    tu_upgraded_old_db(db, env);
    /* The old system kept no completion tokens: give the replies some, so
     * the model page has averages to show. */
    free(tu_sql(db, "UPDATE evaluations SET completion_tokens = 3 + id % 41 WHERE outcome <> 'error'"));
    struct tu_run r = tu_run_cli(work, env, (const char *const[]){"--db", db, "rank", "--all", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    /* Every reply gets the extraction rule that decided it. */
    r = tu_run_cli(work, env, (const char *const[]){"--db", db, "rescore", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);

    /* The weeks and models come from the data, not from this file. */
    char *ranked = tu_sql(db, "SELECT week_id FROM week_status WHERE status = 'ranked' ORDER BY week_id DESC LIMIT 2");
    assert_int_equal(sscanf(ranked, "%15s\n%15s", weeks[0], weeks[1]), 2);
    free(ranked);
    char *unranked = tu_sql(db, "SELECT week_id FROM week_status WHERE status = 'no-ranking' ORDER BY week_id LIMIT 1");
    sscanf(unranked, "%15s", weeks[2]);
    free(unranked);
    for (int i = 0; i < 2; i++) {
        json_t *b = board(weeks[i]);
        snprintf(i == 0 ? expand_model : xss_model, sizeof expand_model, "%s",
                 json_string_value(json_object_get(json_array_get(json_object_get(b, "rows"), 0), "model_id")));
        json_decref(b);
    }
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT min(c.id) FROM clues c JOIN puzzles p ON p.id = c.puzzle_id JOIN evaluations e ON e.clue_id = c.id "
             "JOIN models m ON m.id = e.model_id WHERE p.week_id = '%s' AND m.openrouter_id = '%s' "
             "AND e.outcome <> 'error'",
             weeks[1], xss_model);
    xss_clue = (int)tu_sql_int(db, sql);
    assert_true(xss_clue > 0);
    /* One reply of the expanded row keeps no rule, as before rescore. */
    snprintf(sql, sizeof sql,
             "UPDATE evaluations SET extract_rule = NULL WHERE id = (SELECT min(e.id) FROM evaluations e "
             "JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id JOIN models m ON m.id = e.model_id "
             "WHERE p.week_id = '%s' AND m.openrouter_id = '%s' AND coalesce(e.model_response, '') <> '')",
             weeks[0], expand_model);
    free(tu_sql(db, sql));
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE extract_rule IS NULL "
                                    "AND coalesce(model_response, '') <> ''"),
                     1);
    /* The first model was released the day after its newest week's puzzle:
     * every result it has may have been seen in training. */
    snprintf(sql, sizeof sql,
             "UPDATE models SET release_date = date((SELECT max(publication_date) FROM puzzles WHERE week_id = '%s'), "
             "'+1 day') WHERE openrouter_id = '%s'",
             weeks[0], expand_model);
    free(tu_sql(db, sql));
    /* Markup in every kind of text the page shows; none of it changes a score. */
    snprintf(sql, sizeof sql, "UPDATE clues SET clue_text = clue_text || '%s', explanation = '%s' WHERE id = %d",
             xss_clue_suffix, xss_explanation, xss_clue);
    free(tu_sql(db, sql));
    snprintf(sql, sizeof sql,
             "UPDATE evaluations SET extracted_answer = '%s' WHERE clue_id = %d AND model_id = "
             "(SELECT id FROM models WHERE openrouter_id = '%s')",
             xss_answer, xss_clue, xss_model);
    free(tu_sql(db, sql));
    /* The markup answer has another length than its clue: ranked again, the
     * stored answer quality counts it as the evaluations now have it. */
    r = tu_run_cli(work, env, (const char *const[]){"--db", db, "rank", "--all", NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_stop_all_fakes();
    if (work)
        tu_rmtree(work);
    free(work);
    free(db);
    work = db = NULL;
    return 0;
}

enum tour { TOUR_FULL, TOUR_QUICK, TOUR_EMPTY };

/* Runs e2e.mjs against URL and returns its report; TOKEN: expect the token form and fill it in. */
static json_t *drive(const char *name, const char *url, const char *const *origins, enum tour tour, const char *token)
{
    int quick = tour != TOUR_FULL;
    const char *artifacts_root = getenv("CB_ARTIFACTS");
    char artifacts[1024], spec_path[1024], out_path[1024], cmd[4096];
    snprintf(artifacts, sizeof artifacts, "%s/dashboard-%s", artifacts_root ? artifacts_root : work, name);
    json_t *allowed = json_array();
    for (size_t i = 0; origins[i]; i++)
        json_array_append_new(allowed, json_string(origins[i]));
    json_t *spec = json_pack("{s:s, s:[s,s,s], s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:o, s:s}", "url", url, "weeks",
                             weeks[0], weeks[1], weeks[2][0] ? weeks[2] : weeks[0], "expand", "week", weeks[0],
                             "model_id", expand_model, "xss", "week", weeks[1], "model_id", xss_model, "model_id",
                             expand_model, "allowed_origins", allowed, "artifacts", artifacts);
    json_object_set_new(spec, "quick", json_boolean(quick));
    json_object_set_new(spec, "empty", json_boolean(tour == TOUR_EMPTY));
    if (token)
        json_object_set_new(spec, "token", json_string(token));
    snprintf(spec_path, sizeof spec_path, "%s/spec-%s.json", work, name);
    snprintf(out_path, sizeof out_path, "%s/report-%s.json", work, name);
    assert_int_equal(json_dump_file(spec, spec_path, 0), 0);
    json_decref(spec);
    snprintf(cmd, sizeof cmd, "node '%s' '%s' > '%s' 2> '%s.err'", getenv("CB_DASHBOARD_E2E"), spec_path, out_path,
             out_path);
    if (system(cmd) != 0) {
        char err_path[1100];
        snprintf(err_path, sizeof err_path, "%s.err", out_path);
        fail_msg("e2e.mjs failed (is chromium at /usr/bin/chromium? scripts/bootstrap installs it): %s",
                 tu_read_file(err_path, NULL));
    }
    json_t *report = json_load_file(out_path, 0, NULL);
    assert_non_null(report);
    const char *failure = json_string_value(json_object_get(report, "failure"));
    if (failure)
        fail_msg("the browser run stopped (screenshot in %s): %s", artifacts, failure);
    fprintf(stderr, "screenshots: %s\n", artifacts);
    const char *shots[] = {"week-", "expanded", "xss", "model", "all-time", "runs", "phone"};
    size_t expected = tour == TOUR_FULL ? sizeof shots / sizeof shots[0] : tour == TOUR_QUICK ? 1 : 0;
    for (size_t i = 0; i < expected; i++) {
        char path[1200];
        if (strcmp(shots[i], "week-") == 0)
            snprintf(path, sizeof path, "%s/week-%s.png", artifacts, weeks[0]);
        else
            snprintf(path, sizeof path, "%s/%s.png", artifacts, shots[i]);
        if (!tu_exists(path))
            fail_msg("no screenshot %s", path);
    }
    return report;
}

static void movement_of(const json_t *row, char *out, size_t size)
{
    json_t *prev = json_object_get(row, "previous_rank");
    long change = (long)json_integer_value(json_object_get(row, "rank_change"));
    if (!prev || json_is_null(prev))
        snprintf(out, size, "new");
    else if (change > 0)
        snprintf(out, size, "up %ld", change);
    else if (change < 0)
        snprintf(out, size, "down %ld", -change);
    else
        snprintf(out, size, "unchanged");
}

static void check_week(const json_t *report, const char *week)
{
    json_t *page = json_object_get(json_object_get(report, "weeks"), week);
    assert_non_null(page);
    json_t *want = board(week);
    json_t *rows = json_object_get(page, "rows"), *want_rows = json_object_get(want, "rows");
    if (json_array_size(rows) != json_array_size(want_rows))
        fail_msg("%s: the page shows %zu rows, leaderboard --json %zu", week, json_array_size(rows),
                 json_array_size(want_rows));
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *w = json_array_get(want_rows, i);
        char correct[64], move[32];
        snprintf(correct, sizeof correct, "%lld/%lld", (long long)json_integer_value(json_object_get(w, "correct")),
                 (long long)json_integer_value(json_object_get(w, "total")));
        movement_of(w, move, sizeof move);
        assert_int_equal(json_integer_value(json_object_get(row, "rank")), json_integer_value(json_object_get(w, "rank")));
        assert_string_equal(json_string_value(json_object_get(row, "model_id")), json_string_value(json_object_get(w, "model_id")));
        assert_string_equal(json_string_value(json_object_get(row, "model")), json_string_value(json_object_get(w, "model")));
        assert_string_equal(json_string_value(json_object_get(row, "correct")), correct);
        assert_string_equal(json_string_value(json_object_get(row, "movement")), move);
        /* The rank range as stored, and arrows muted unless the move is significant. */
        long lo = (long)json_integer_value(json_object_get(w, "rank_lo")), hi = (long)json_integer_value(json_object_get(w, "rank_hi"));
        char range[64];
        snprintf(range, sizeof range, "(%ld\xe2\x80\x93%ld)", lo, hi);
        assert_int_equal(json_integer_value(json_object_get(row, "rank_lo")), lo);
        assert_int_equal(json_integer_value(json_object_get(row, "rank_hi")), hi);
        assert_string_equal(json_string_value(json_object_get(row, "rank_range")), range);
        assert_int_equal(json_is_true(json_object_get(row, "move_muted")),
                         strcmp(move, "new") != 0 && !json_is_true(json_object_get(w, "move_significant")));
        /* A new shading group starts exactly where the ranges stop overlapping. */
        if (i > 0) {
            json_t *pw = json_array_get(want_rows, i - 1);
            int overlap = lo <= json_integer_value(json_object_get(pw, "rank_hi"));
            assert_int_equal(json_integer_value(json_object_get(row, "group")),
                             json_integer_value(json_object_get(json_array_get(rows, i - 1), "group")) + !overlap);
        }
        assert_true(json_is_true(json_object_get(row, "ci_bar")));
        char sql[700], note[64] = "";
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = "
                 "c.puzzle_id JOIN models m ON m.id = e.model_id WHERE p.week_id = '%s' AND m.openrouter_id = '%s' "
                 "AND p.publication_date < m.release_date",
                 week, json_string_value(json_object_get(w, "model_id")));
        int64_t before = tu_sql_int(db, sql);
        if (before > 0)
            snprintf(note, sizeof note, "%lld %s from before its release", (long long)before,
                     before == 1 ? "clue" : "clues");
        const char *shown_note = json_string_value(json_object_get(row, "before_release"));
        assert_string_equal(shown_note ? shown_note : "", note);
        /* One decimal as shown; JavaScript and printf round exact halves differently. */
        double shown = atof(json_string_value(json_object_get(row, "accuracy")));
        double value = json_number_value(json_object_get(w, "accuracy"));
        if (fabs(shown - value) > 0.05 + 1e-9)
            fail_msg("%s %s: accuracy shown %.1f, stored %.4f", week, correct, shown, value);
    }
    /* The tenure leaders say how many of their weeks were significantly ahead, as stored. */
    json_t *sig = json_object_get(page, "tenure_significant");
    json_int_t sum = 0;
    json_array_foreach(sig, i, row)
        sum += json_integer_value(row);
    assert_int_equal(json_array_size(sig), tu_sql_int(db, "SELECT count(*) FROM rank_tenure WHERE is_current AND rank_position <= 3"));
    assert_int_equal(sum, tu_sql_int(db, "SELECT coalesce(sum(significant_weeks), 0) FROM rank_tenure "
                                         "WHERE is_current AND rank_position <= 3"));
    if (json_array_size(want_rows))
        assert_true(json_is_true(json_object_get(page, "range_note")));
    /* The models left out, and what stopped them. */
    json_t *inc = json_object_get(page, "incomplete"), *want_inc = json_object_get(want, "incomplete");
    assert_int_equal(json_array_size(inc), json_array_size(want_inc));
    json_array_foreach(inc, i, row) {
        assert_string_equal(json_string_value(json_object_get(row, "model_id")),
                            json_string_value(json_object_get(json_array_get(want_inc, i), "model_id")));
        assert_true(strlen(json_string_value(json_object_get(row, "stopped_by"))) > 0);
    }
    char clues[64];
    snprintf(clues, sizeof clues, "%lld clues", (long long)json_integer_value(json_object_get(want, "clues")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(page, "counts"), "clues")), clues);
    const char *reason = json_string_value(json_object_get(want, "reason"));
    const char *notice = json_string_value(json_object_get(page, "notice"));
    if (strcmp(json_string_value(json_object_get(want, "status")), "ranked") == 0)
        assert_null(notice);
    else
        tu_assert_contains(notice, reason);
    json_decref(want);
}

/* A text cell as the page prints it: empty and NULL as a dash. */
static const char *shown(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t && *t ? t : "—";
}

/* The expanded row's clue results against the evaluations table. */
static void check_results(const json_t *expanded, const char *week, const char *model)
{
    assert_string_equal(json_string_value(json_object_get(expanded, "expanded")), "true");
    json_t *rows = json_object_get(expanded, "rows");
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT c.id, c.clue_text, c.letter_count, p.setter,\n"
                                        "       coalesce(c.display_answer, c.answer), e.extracted_answer, e.outcome,\n"
                                        "       c.explanation, e.error_message,\n"
                                        "       coalesce(p.publication_date < m.release_date, 0),\n"
                                        "       coalesce(e.model_response, '') <> '', e.extract_rule\n"
                                        "FROM evaluations e JOIN clues c ON c.id = e.clue_id\n"
                                        "JOIN puzzles p ON p.id = c.puzzle_id JOIN models m ON m.id = e.model_id\n"
                                        "WHERE p.week_id = ? AND m.openrouter_id = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, week, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
    size_t count = 0;
    int wrong_seen_after_right = 0, right_seen = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        count++;
        int id = sqlite3_column_int(st, 0);
        json_t *row = NULL, *r;
        size_t i;
        json_array_foreach(rows, i, r) if (json_integer_value(json_object_get(r, "clue_id")) == id) row = r;
        if (!row)
            fail_msg("clue %d is not in the expanded row", id);
        const char *lc = shown(st, 2);
        char enumeration[128];
        snprintf(enumeration, sizeof enumeration, lc[0] == '(' ? "%s" : "(%s)", lc);
        const char *outcome = (const char *)sqlite3_column_text(st, 6);
        assert_string_equal(json_string_value(json_object_get(row, "clue")), (const char *)sqlite3_column_text(st, 1));
        assert_string_equal(json_string_value(json_object_get(row, "enumeration")), enumeration);
        assert_string_equal(json_string_value(json_object_get(row, "setter")), shown(st, 3));
        assert_string_equal(json_string_value(json_object_get(row, "answer")), shown(st, 4));
        assert_string_equal(json_string_value(json_object_get(row, "outcome")), outcome);
        assert_string_equal(json_string_value(json_object_get(row, "model_answer")),
                            strcmp(outcome, "error") == 0 ? (sqlite3_column_text(st, 8) ? shown(st, 8) : "error")
                                                          : shown(st, 5));
        assert_string_equal(json_string_value(json_object_get(row, "explanation")), shown(st, 7));
        /* Marked when published before the model's release. */
        assert_int_equal(json_is_true(json_object_get(row, "before_release")), sqlite3_column_int(st, 9));
        /* The reply view shows the rule that decided, as stored. */
        const char *rule = json_string_value(json_object_get(row, "rule"));
        if (!sqlite3_column_int(st, 10))
            assert_null(rule);
        else if (sqlite3_column_text(st, 11))
            assert_string_equal(rule, (const char *)sqlite3_column_text(st, 11));
        else
            assert_string_equal(rule, "not recorded (run rescore)");
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_true(count > 0);
    assert_int_equal(json_array_size(rows), count);
    /* Wrong answers first. */
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        const char *o = json_string_value(json_object_get(r, "outcome"));
        if (strcmp(o, "correct") == 0)
            right_seen = 1;
        else if (right_seen)
            wrong_seen_after_right = 1;
    }
    assert_false(wrong_seen_after_right);
}

/* A percentage as the page shows it ("21.9%", one decimal; "—" for none) against the stored value. */
static void check_shown(const char *what, const char *shown_text, const char *stored, double tolerance)
{
    if (strcmp(stored, "NULL") == 0) {
        assert_string_equal(shown_text, "—");
        return;
    }
    double shown = atof(shown_text), value = strtod(stored, NULL);
    if (strcmp(shown_text, "—") == 0 || fabs(shown - value) > tolerance + 1e-9)
        fail_msg("%s: the model page shows %s, the database has %s", what, shown_text, stored);
}

/* The model page's answer quality: all time, then each week with
 * evaluations (newest first, up to 52), as rank/ stored them; the stored
 * values as computed independently from the evaluations. */
static void check_model_quality(const json_t *model)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT 'all-time', q.wrong_length_rate, q.no_answer_rate, q.error_rate, q.avg_completion_tokens "
             "FROM alltime_quality q JOIN models m ON m.id = q.model_id WHERE m.openrouter_id = '%s' "
             "UNION ALL SELECT * FROM (SELECT w.week_id, w.wrong_length_rate, w.no_answer_rate, w.error_rate, "
             "w.avg_completion_tokens FROM week_coverage w JOIN models m ON m.id = w.model_id "
             "WHERE m.openrouter_id = '%s' ORDER BY w.week_id DESC LIMIT 52)",
             expand_model, expand_model);
    char *rows = tu_sql(db, sql);
    json_t *shown = json_object_get(model, "quality");
    static const char *const names[] = {"wrong_length_rate", "no_answer_rate", "error_rate", "avg_completion_tokens"};
    size_t n = 0;
    int tokens_seen = 0;
    for (char *line = strtok(rows, "\n"); line; line = strtok(NULL, "\n"), n++) {
        char *cells[5];
        for (int c = 0; c < 5; c++) {
            cells[c] = line;
            line = strchr(line, '|');
            if (line)
                *line++ = '\0';
            else
                assert_int_equal(c, 4);
        }
        json_t *row = json_array_get(shown, n);
        if (!row)
            fail_msg("the model page has no answer quality row for %s", cells[0]);
        assert_string_equal(json_string_value(json_object_get(row, "week")), cells[0]);
        struct tu_quality q;
        tu_quality(db, strcmp(cells[0], "all-time") == 0 ? NULL : cells[0], expand_model, &q);
        const double computed[] = {q.wrong_length_rate, q.no_answer_rate, q.error_rate, q.avg_completion_tokens};
        for (int f = 0; f < 4; f++) {
            char what[128];
            snprintf(what, sizeof what, "%s %s", cells[0], names[f]);
            /* tokens as a whole number, rates to one decimal */
            check_shown(what, json_string_value(json_object_get(row, names[f])), cells[f + 1], f == 3 ? 0.5 : 0.05);
            if (strcmp(cells[f + 1], "NULL") == 0)
                assert_true(computed[f] < 0);
            else if (fabs(strtod(cells[f + 1], NULL) - computed[f]) > 1e-9)
                fail_msg("%s: stored %s, computed %.12g from the evaluations", what, cells[f + 1], computed[f]);
        }
        tokens_seen += strcmp(cells[4], "NULL") != 0;
    }
    free(rows);
    assert_true(n > 1);
    assert_true(tokens_seen > 0);
    assert_int_equal(json_array_size(shown), n);
}

static void check_report(const json_t *report)
{
    /* Nothing left the page's own origin and the database's. */
    if (json_array_size(json_object_get(report, "external")))
        fail_msg("requests outside the allowed origins: %s", json_dumps(json_object_get(report, "external"), 0));
    assert_int_equal(json_array_size(json_object_get(report, "page_errors")), 0);
    if (json_array_size(json_object_get(report, "console_errors")))
        fail_msg("console errors: %s", json_dumps(json_object_get(report, "console_errors"), 0));
    assert_int_equal(json_array_size(json_object_get(report, "dialogs")), 0);

    /* The first view is the newest ranked week; the selector lists every week with clues, newest first. */
    json_t *first = json_object_get(report, "first_view");
    assert_string_equal(json_string_value(json_object_get(first, "week")), weeks[0]);
    assert_int_equal(json_array_size(json_object_get(first, "options")),
                     tu_sql_int(db, "SELECT count(DISTINCT p.week_id) FROM puzzles p JOIN clues c ON c.puzzle_id = p.id"));
    char *newest = tu_sql(db, "SELECT max(week_id) FROM puzzles");
    newest[strcspn(newest, "\n")] = '\0';
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(first, "options"), 0), "value")),
                        newest);
    free(newest);

    for (int i = 0; i < 3 && weeks[i][0]; i++)
        check_week(report, weeks[i]);

    check_results(json_object_get(report, "expanded"), weeks[0], expand_model);
    /* The keyboard opened the row with the markup: it shows as text and ran nothing. */
    json_t *kb = json_object_get(report, "keyboard");
    check_results(kb, weeks[1], xss_model);
    json_t *xss = json_object_get(report, "xss");
    assert_true(json_is_null(json_object_get(xss, "fired")));
    assert_int_equal(json_integer_value(json_object_get(xss, "images")), 0);
    assert_int_equal(json_integer_value(json_object_get(xss, "scripts")), 0);
    int found = 0;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(kb, "rows"), i, r) {
        if (json_integer_value(json_object_get(r, "clue_id")) != xss_clue)
            continue;
        found = 1;
        tu_assert_contains(json_string_value(json_object_get(r, "clue")), xss_clue_suffix);
        assert_string_equal(json_string_value(json_object_get(r, "explanation")), xss_explanation);
        assert_string_equal(json_string_value(json_object_get(r, "model_answer")), xss_answer);
    }
    assert_true(found);

    /* The model page: one point per ranked week (up to 52) in each chart, an interval on each. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT min(52, count(*)) FROM weekly_rankings r JOIN models m ON m.id = r.model_id "
             "WHERE m.openrouter_id = '%s'",
             expand_model);
    json_int_t ranked = tu_sql_int(db, sql);
    json_t *model = json_object_get(report, "model");
    assert_int_equal(json_integer_value(json_object_get(model, "charts")), 2);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(model, "points"), 0)), ranked);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(model, "points"), 1)), ranked);
    assert_int_equal(json_integer_value(json_object_get(model, "whiskers")), 3 * ranked);
    assert_int_equal(json_integer_value(json_object_get(model, "history_rows")), ranked);
    check_model_quality(model);

    /* The all-time board as `leaderboard --all-time --json` has it. */
    json_t *want = cli_json((const char *const[]){"--db", db, "leaderboard", "--all-time", "--json", NULL});
    json_t *alltime = json_object_get(report, "alltime");
    assert_int_equal(json_array_size(alltime), json_array_size(json_object_get(want, "rows")));
    json_array_foreach(alltime, i, r) {
        json_t *w = json_array_get(json_object_get(want, "rows"), i);
        char correct[64];
        snprintf(correct, sizeof correct, "%lld/%lld", (long long)json_integer_value(json_object_get(w, "correct")),
                 (long long)json_integer_value(json_object_get(w, "total")));
        assert_string_equal(json_string_value(json_object_get(r, "model_id")), json_string_value(json_object_get(w, "model_id")));
        assert_int_equal(json_integer_value(json_object_get(r, "rank")), json_integer_value(json_object_get(w, "rank")));
        assert_int_equal(json_integer_value(json_object_get(r, "rank_lo")), json_integer_value(json_object_get(w, "rank_lo")));
        assert_int_equal(json_integer_value(json_object_get(r, "rank_hi")), json_integer_value(json_object_get(w, "rank_hi")));
        assert_string_equal(json_string_value(json_object_get(r, "correct")), correct);
    }
    /* The head-to-head matrix: every ordered pair, the significant cells marked as stored. */
    json_t *h2h = json_object_get(want, "head_to_head"), *shown_h2h = json_object_get(report, "head_to_head");
    json_int_t significant = 0;
    json_array_foreach(h2h, i, r)
        significant += json_is_true(json_object_get(r, "significant"));
    assert_int_equal(json_integer_value(json_object_get(shown_h2h, "cells")), json_array_size(h2h));
    assert_int_equal(json_integer_value(json_object_get(shown_h2h, "significant")), significant);
    assert_true(json_array_size(h2h) > 0);
    /* Accuracy by clue type: the model page's rows and the type x model table, as stored. */
    json_t *types = json_object_get(want, "clue_types"), *shown_types = json_object_get(model, "types");
    size_t k = 0;
    json_array_foreach(types, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "model_id")), expand_model) != 0)
            continue;
        json_t *s = json_array_get(shown_types, k++);
        char c[64];
        snprintf(c, sizeof c, "%lld/%lld", (long long)json_integer_value(json_object_get(r, "correct")),
                 (long long)json_integer_value(json_object_get(r, "total")));
        assert_non_null(s);
        assert_string_equal(json_string_value(json_object_get(s, "type")), json_string_value(json_object_get(r, "clue_type")));
        assert_string_equal(json_string_value(json_object_get(s, "correct")), c);
    }
    assert_true(k > 0);
    assert_int_equal(json_array_size(shown_types), k);
    /* The scatter charts: one dot per model reporting a cost (a latency), as stored. */
    size_t with_cost = 0, with_latency = 0;
    json_array_foreach(json_object_get(want, "rows"), i, r) {
        with_cost += json_number_value(json_object_get(r, "cost_per_clue")) > 0;
        with_latency += json_is_number(json_object_get(r, "median_latency_ms"));
    }
    json_t *scatter = json_object_get(report, "scatter");
    assert_int_equal(json_array_size(scatter), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(scatter, 0), "title")), "Accuracy against cost per clue");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(scatter, 0), "dots")), with_cost);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(scatter, 1), "dots")), with_latency);
    assert_true(with_cost > 0 && with_latency > 0);
    json_t *matrix = json_object_get(report, "type_matrix");
    assert_int_equal(json_array_size(matrix), json_array_size(json_object_get(want, "rows")));
    size_t cells = 0;
    json_array_foreach(matrix, i, r)
        cells += json_array_size(json_object_get(r, "cells"));
    assert_int_equal(cells, json_array_size(types));
    json_decref(want);

    /* The runs page lists the flow runs (rank --all made one), and a run shows its steps. */
    json_t *runs = json_object_get(json_object_get(report, "runs"), "rows");
    assert_int_equal(json_array_size(runs), tu_sql_int(db, "SELECT min(100, count(*)) FROM flow_runs"));
    assert_true(json_array_size(runs) > 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM flow_steps WHERE run_id = '%s'",
             json_string_value(json_array_get(runs, 0)));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(report, "run"), "steps")), tu_sql_int(db, sql));

    /* Phone width: the page itself does not scroll sideways. */
    assert_false(json_is_true(json_object_get(json_object_get(report, "phone"), "overflow")));
    assert_false(json_is_true(json_object_get(json_object_get(report, "phone_alltime"), "overflow")));
    assert_true(json_integer_value(json_object_get(json_object_get(report, "phone_alltime"), "rows")) > 0);
    /* The scatter charts fit a phone: drawn at most 360 px wide, so their text is not shrunk. */
    json_t *widths = json_object_get(json_object_get(report, "phone_alltime"), "scatter_widths");
    assert_int_equal(json_array_size(widths), 2);
    json_array_foreach(widths, i, r)
        assert_true(json_number_value(r) > 250 && json_number_value(r) <= 360);
}

static void test_served(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    int port;
    int pid = tu_start_server(env, (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron", NULL},
                              &port);
    char url[64], origin[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    snprintf(origin, sizeof origin, "http://127.0.0.1:%d", port);
    json_t *report = drive("served", url, (const char *const[]){origin, NULL}, TOUR_FULL, NULL);
    check_report(report);
    json_decref(report);
    tu_stop_fake(pid);
}

/* The exported index.html holds the newest ranked week's board as
 * `leaderboard --json` gives it: its week, every row in rank order, the
 * first row's model. */
static void check_exported_first_view(const char *site)
{
    struct tu_run r = tu_run_cli(work, env, (const char *const[]){"--db", db, "leaderboard", "--json", NULL});
    if (r.status != 0)
        fail_msg("leaderboard --json: %s", r.err);
    json_error_t jerr;
    json_t *board = json_loads(r.out, 0, &jerr);
    tu_run_free(&r);
    if (!board)
        fail_msg("leaderboard --json: %s", jerr.text);
    json_t *rows = json_object_get(board, "rows");
    assert_true(json_array_size(rows) > 0);
    char *index_path = tu_path(site, "index.html");
    char *html = tu_read_file(index_path, NULL);
    char want[256];
    snprintf(want, sizeof want, "<div class=\"first-view\" data-week=\"%s\">",
             json_string_value(json_object_get(board, "week")));
    tu_assert_contains(html, want);
    const char *first = strstr(html, "<tr class=\"board-row\"");
    if (!first)
        fail_msg("the exported index.html has no board row");
    snprintf(want, sizeof want, "data-model-id=\"%s\"",
             json_string_value(json_object_get(json_array_get(rows, 0), "model_id")));
    const char *id = strstr(first, "data-model-id=\"");
    if (!id || strncmp(id, want, strlen(want)) != 0)
        fail_msg("the first exported row is not %s: %.120s", want, first);
    size_t shown = 0;
    for (const char *p = first; p; p = strstr(p + 1, "<tr class=\"board-row\""))
        shown++;
    assert_int_equal(shown, json_array_size(rows));
    free(html);
    free(index_path);
    json_decref(board);
}

/* The ranked database migrated to a fresh sqld (started with JWT auth when
 * pub64 is given, then written with full_token), exported with the extra
 * export-dashboard arguments, on a static host, toured by the browser. */
static json_t *tour_exported_site(const char *name, const char *pub64, const char *full_token,
                                  const char *const *export_args, enum tour tour)
{
    char *sqld_dir = tu_path(work, name);
    if (pub64)
        setenv("SQLD_AUTH_JWT_KEY", pub64, 1);
    int sqld_port;
    int sqld = tu_start_sqld(sqld_dir, &sqld_port);
    unsetenv("SQLD_AUTH_JWT_KEY");
    char sqld_url[64];
    snprintf(sqld_url, sizeof sqld_url, "http://127.0.0.1:%d", sqld_port);
    struct tu_run r = tu_run_cli(work, env, (const char *const[]){"--token", full_token ? full_token : "", "migrate",
                                                                  "--from", db, "--to", sqld_url, NULL});
    if (r.status != 0)
        fail_msg("migrate: %s", r.err);
    tu_run_free(&r);
    char *site = tu_path(sqld_dir, "site");
    const char *args[16] = {"export-dashboard", "--out", site, "--db-url", sqld_url};
    size_t n = 5;
    for (; export_args && *export_args && n < 15; export_args++)
        args[n++] = *export_args;
    args[n] = NULL;
    r = tu_run_cli(work, env, args);
    if (r.status != 0)
        fail_msg("export-dashboard: %s", r.err);
    tu_run_free(&r);
    check_exported_first_view(site);
    int port;
    int host = tu_start_fake("static_site.py", site, &port);
    char url[64], origin[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    snprintf(origin, sizeof origin, "http://127.0.0.1:%d", port);
    json_t *report = drive(name, url, (const char *const[]){origin, sqld_url, NULL}, tour, NULL);
    /* The page read the data from sqld, not from anywhere else. */
    size_t i;
    json_t *u;
    int to_sqld = 0;
    json_array_foreach(json_object_get(report, "requests"), i, u) to_sqld +=
        strncmp(json_string_value(u), sqld_url, strlen(sqld_url)) == 0;
    assert_true(to_sqld > 0);
    tu_stop_fake(host);
    tu_stop_fake(sqld);
    free(site);
    free(sqld_dir);
    return report;
}

static void test_exported_on_sqld(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    json_t *report = tour_exported_site("exported", NULL, NULL, NULL, TOUR_FULL);
    check_report(report);
    json_decref(report);
}

/* A database that wants a token: the exported site carries a read-only one
 * and the browser sends it in the header sqld's CORS answer covers. */
static void test_exported_with_read_token(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char pub64[64], full[1024], ro[1024];
    EVP_PKEY *key = tu_jwt_key(pub64);
    tu_jwt_sign(key, "{}", full, sizeof full);
    tu_jwt_sign(key, "{\"a\":\"ro\"}", ro, sizeof ro);
    EVP_PKEY_free(key);
    json_t *report = tour_exported_site("exported-token", pub64, full,
                                        (const char *const[]){"--read-token", ro, "--token-header", "x-authorization",
                                                              NULL},
                                        TOUR_QUICK);
    assert_int_equal(json_array_size(json_object_get(report, "external")), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(report, "first_view"), "week")), weeks[0]);
    check_week(report, weeks[0]);
    json_decref(report);
}

/* A signed JWT with the given claims; export reads the claims only. */
static char *jwt(const char *claims)
{
    char pub64[64];
    EVP_PKEY *key = tu_jwt_key(pub64);
    char *out = calloc(1, 2048);
    tu_jwt_sign(key, claims, out, 2048);
    EVP_PKEY_free(key);
    return out;
}

static void test_export_refuses_tokens_that_write(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *site = tu_path(dir, "site");
    char *index = tu_path(site, "index.html");
    struct {
        const char *claims; /* NULL: not a JWT */
        const char *why;
    } refused[] = {
        {"{\"a\":\"rw\",\"iat\":1}", "allows writes"},
        {"{\"iat\":1,\"id\":\"db\"}", "no access claim"},
        {"{\"p\":{\"ro\":{\"ns\":[\"a\"]},\"rw\":{\"ns\":[\"a\"]}}}", "allows writes"},
        {"[1,2]", "not a base64url JSON object"},
        {NULL, "not a JWT"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char *token = refused[i].claims ? jwt(refused[i].claims) : strdup("opaque-token-without-dots");
        struct tu_run r = tu_run_cli(dir, env, (const char *const[]){"export-dashboard", "--out", site, "--db-url",
                                                                     "libsql://bench-org.turso.io", "--read-token", token,
                                                                     NULL});
        assert_int_equal(r.status, 1);
        tu_assert_contains(r.err, refused[i].why);
        assert_null(strstr(r.err, token)); /* the token is not echoed */
        assert_false(tu_exists(index));
        tu_run_free(&r);
        free(token);
    }
    /* Not a database URL; no URL at all with a file database. */
    struct tu_run r = tu_run_cli(dir, env, (const char *const[]){"export-dashboard", "--out", site, "--db-url",
                                                                 "ftp://example.org/db", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "libsql://");
    tu_run_free(&r);
    r = tu_run_cli(dir, env, (const char *const[]){"--db", "x.db", "export-dashboard", "--out", site, NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "--db-url");
    tu_run_free(&r);
    r = tu_run_cli(dir, env, (const char *const[]){"export-dashboard", "--db-url", "libsql://x.turso.io", NULL});
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    r = tu_run_cli(dir, env, (const char *const[]){"export-dashboard", "--out", site, "--db-url", "libsql://x.turso.io",
                                                   "--token-header", "Cookie", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "Authorization or x-authorization");
    tu_run_free(&r);
    assert_false(tu_exists(index));

    /* Read-only tokens, both claim forms: written, with the CSP naming the database's origin. */
    const char *ro[] = {"{\"a\":\"ro\",\"iat\":1}", "{\"p\":{\"ro\":{\"ns\":[\"bench\"]}}}"};
    for (size_t i = 0; i < 2; i++) {
        char *token = jwt(ro[i]);
        /* --no-first-view: the test reaches no host but loopback. */
        r = tu_run_cli(dir, env, (const char *const[]){"export-dashboard", "--out", site, "--db-url",
                                                       "libsql://bench-org.turso.io/", "--read-token", token,
                                                       "--no-first-view", NULL});
        if (r.status != 0)
            fail_msg("a read-only token was refused: %s", r.err);
        tu_run_free(&r);
        char *config_path = tu_path(site, "config.js");
        char *config = tu_read_file(config_path, NULL);
        free(config_path);
        tu_assert_contains(config, token);
        tu_assert_contains(config, "libsql:\\/\\/bench-org.turso.io");
        char *html = tu_read_file(index, NULL);
        tu_assert_contains(html, "connect-src 'self' https://bench-org.turso.io;");
        assert_null(strstr(html, "<!--csp-->"));
        free(html);
        free(config);
        free(token);
    }
    const char *files[] = {"app.js", "hrana.js", "chart.js", "style.css"};
    for (size_t i = 0; i < 4; i++) {
        char *p = tu_path(site, files[i]);
        assert_true(tu_exists(p));
        free(p);
    }
    tu_rmtree(dir);
    free(index);
    free(site);
    free(dir);
}

/* `curl -i` of a URL, headers and body. */
static char *curl(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "curl -s -i %s", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap + 1);
    n = fread(out, 1, cap, p);
    out[n] = '\0';
    pclose(p);
    return out;
}

static void test_files_and_public_sql(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *file = tu_path(dir, "t.db");
    struct tu_run r = tu_run_cli(dir, env, (const char *const[]){"--db", file, "init-db", "--models",
                                                                 getenv("CB_MODELS_JSON"), NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    int port;
    int pid = tu_start_server(env, (const char *const[]){"--db", file, "serve", "--listen", "127.0.0.1:0", "--no-cron",
                                                         "--read-token", "sekrit", NULL},
                              &port);
    char args[256];
    snprintf(args, sizeof args, "http://127.0.0.1:%d/", port);
    char *page = curl(args);
    tu_assert_contains(page, "HTTP/1.1 200");
    tu_assert_contains(page, "Content-Security-Policy: default-src 'self'; script-src 'self';");
    tu_assert_contains(page, "X-Content-Type-Options: nosniff");
    tu_assert_contains(page, "<script type=\"module\" src=\"app.js\">");
    char etag[64] = "";
    const char *at = strstr(page, "ETag: ");
    assert_non_null(at);
    sscanf(at + 6, "%63s", etag);
    snprintf(args, sizeof args, "-H 'If-None-Match: %s' http://127.0.0.1:%d/index.html", etag, port);
    char *again = curl(args);
    tu_assert_contains(again, "HTTP/1.1 304");
    snprintf(args, sizeof args, "http://127.0.0.1:%d/app.js", port);
    char *js = curl(args);
    tu_assert_contains(js, "Content-Type: text/javascript");
    snprintf(args, sizeof args, "--path-as-is http://127.0.0.1:%d/../meson.build", port);
    char *missing = curl(args);
    tu_assert_contains(missing, "HTTP/1.1 404");
    /* With a read token the SQL endpoint wants it... */
    snprintf(args, sizeof args,
             "-X POST -d '{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}}]}' "
             "http://127.0.0.1:%d/v2/pipeline",
             port);
    char *refused = curl(args);
    tu_assert_contains(refused, "HTTP/1.1 401");
    /* The page asks for the token, then shows an empty database as such. */
    char url[64], origin[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    snprintf(origin, sizeof origin, "http://127.0.0.1:%d", port);
    json_t *report = drive("token-form", url, (const char *const[]){origin, NULL}, TOUR_EMPTY, "sekrit");
    assert_true(json_is_true(json_object_get(report, "token_form")));
    tu_assert_contains(json_string_value(json_object_get(report, "token_message")), "401");
    assert_string_equal(json_string_value(json_object_get(json_object_get(report, "first_view"), "empty")),
                        "No puzzles yet");
    assert_int_equal(json_array_size(json_object_get(report, "external")), 0);
    json_decref(report);
    tu_stop_fake(pid);
    /* ...unless it is public. */
    pid = tu_start_server(env, (const char *const[]){"--db", file, "serve", "--listen", "127.0.0.1:0", "--no-cron",
                                                     "--read-token", "sekrit", "--public-sql", NULL},
                          &port);
    snprintf(args, sizeof args,
             "-X POST -d '{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}}]}' "
             "http://127.0.0.1:%d/v2/pipeline",
             port);
    char *open_ = curl(args);
    tu_assert_contains(open_, "HTTP/1.1 200");
    tu_assert_contains(open_, "\"type\":\"ok\"");
    tu_stop_fake(pid);
    free(page);
    free(again);
    free(js);
    free(missing);
    free(refused);
    free(open_);
    tu_rmtree(dir);
    free(file);
    free(dir);
}

/* GET / holds the newest ranked week's board (src/web/firstrow.c) for a
 * client that may read the data: one row per ranked model, as the database
 * has them, markup in a model's name as text; with a read token, a
 * visitor without it gets the plain page and no data. */
static void test_first_view_in_the_html(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    static const char markup[] = "<img src=x onerror=\"window.__xss=5\"><script>window.__xss=6</script>";
    static const char escaped[] =
        "&lt;img src=x onerror=&quot;window.__xss=5&quot;&gt;&lt;script&gt;window.__xss=6&lt;/script&gt;";
    char sql[512], *name = NULL;
    snprintf(sql, sizeof sql, "SELECT display_name FROM models WHERE openrouter_id = '%s'", expand_model);
    name = tu_sql(db, sql);
    name[strcspn(name, "\n")] = '\0';
    snprintf(sql, sizeof sql, "UPDATE models SET display_name = display_name || '%s' WHERE openrouter_id = '%s'",
             markup, expand_model);
    free(tu_sql(db, sql));
    int port;
    int pid = tu_start_server(env, (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron", NULL},
                              &port);
    char args[256];
    snprintf(args, sizeof args, "http://127.0.0.1:%d/", port);
    char *page = curl(args);
    tu_assert_contains(page, "HTTP/1.1 200");
    tu_assert_contains(page, "Content-Security-Policy: default-src 'self'; script-src 'self';");
    tu_assert_contains(page, "<script type=\"module\" src=\"app.js\">");
    char want[128];
    snprintf(want, sizeof want, "<div class=\"first-view\" data-week=\"%s\">", weeks[0]);
    tu_assert_contains(page, want);
    /* Every ranked model of the week, in rank order, and nothing else. */
    snprintf(sql, sizeof sql,
             "SELECT m.openrouter_id FROM weekly_rankings r JOIN models m ON m.id = r.model_id WHERE r.week_id = '%s' "
             "ORDER BY r.rank, m.display_name, m.id",
             weeks[0]);
    char *ids = tu_sql(db, sql);
    int rows = 0;
    const char *at = page;
    for (char *save = NULL, *id = strtok_r(ids, "\n", &save); id; id = strtok_r(NULL, "\n", &save), rows++) {
        char attr[192];
        snprintf(attr, sizeof attr, "data-model-id=\"%s\"", id);
        const char *next = strstr(at, attr);
        if (!next)
            fail_msg("row %d (%s) is missing or out of order in the first view", rows + 1, id);
        at = next + 1;
    }
    assert_true(rows > 0);
    int shown = 0;
    for (const char *p = strstr(page, "<tr class=\"board-row\""); p; p = strstr(p + 1, "<tr class=\"board-row\""))
        shown++;
    assert_int_equal(shown, rows);
    /* The markup in the name is text. */
    tu_assert_contains(page, escaped);
    assert_null(strstr(page, "<img"));
    assert_null(strstr(page, "window.__xss=6</script>"));
    tu_stop_fake(pid);
    /* With a read token, no data for a visitor without it. */
    pid = tu_start_server(env, (const char *const[]){"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron",
                                                     "--read-token", "sekrit", NULL},
                          &port);
    snprintf(args, sizeof args, "http://127.0.0.1:%d/", port);
    char *closed = curl(args);
    tu_assert_contains(closed, "HTTP/1.1 200");
    tu_assert_contains(closed, "<p class=\"loading\" role=\"status\">");
    assert_null(strstr(closed, "board-row"));
    assert_null(strstr(closed, "window.__xss"));
    tu_stop_fake(pid);
    snprintf(sql, sizeof sql, "UPDATE models SET display_name = '%s' WHERE openrouter_id = '%s'", name, expand_model);
    free(tu_sql(db, sql));
    free(ids);
    free(page);
    free(closed);
    free(name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_and_public_sql),
        cmocka_unit_test(test_export_refuses_tokens_that_write),
        cmocka_unit_test(test_served),
        cmocka_unit_test(test_exported_on_sqld),
        cmocka_unit_test(test_exported_with_read_token),
        cmocka_unit_test(test_first_view_in_the_html),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
