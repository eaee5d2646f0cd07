/*
 * test_export_data.c - `export-data` on the upgraded old database: every
 * week's JSONL and the datasheet are written, a second export gives the
 * same bytes, and the round trip: every reply in the JSONL, re-scored from
 * the JSONL alone (the benchmark's extraction and check on the reply, the
 * enumeration and the answer), gives the verdict stored in the database
 * (after `rescore`, so the stored verdicts are the current rules'; the
 * old system stored some verdicts without their reply, which nobody can
 * re-score: they are counted and exported as stored). Also
 * --week, and bad input.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "eval/extract.h"

static char *work, *db;

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    db = tu_path(work, "export.db");
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

static const char *const env[] = {"TURSO_DATABASE_URL=", NULL};

static struct tu_run cli(const char *const *args)
{
    const char *full[16] = {"--db", db};
    size_t n = 2;
    for (; *args && n < 15; args++)
        full[n++] = *args;
    full[n] = NULL;
    return tu_run_cli(work, env, full);
}

#define CLI(...) cli((const char *const[]){__VA_ARGS__, NULL})

static void test_round_trip(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    tu_upgraded_old_db(db, env);
    struct tu_run r = CLI("rescore");
    if (r.status != 0)
        fail_msg("rescore: %s", r.err);
    tu_run_free(&r);
    char *a = tu_path(work, "a"), *b = tu_path(work, "b");
    r = CLI("export-data", "--out", a);
    if (r.status != 0)
        fail_msg("export-data: %s", r.err);
    tu_assert_contains(r.out, "exported 7 weeks");
    tu_run_free(&r);
    r = CLI("export-data", "--out", b);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);

    char *weeks = tu_sql(db, "SELECT DISTINCT p.week_id FROM puzzles p JOIN clues c ON c.puzzle_id = p.id "
                             "ORDER BY 1"),
         *save = NULL;
    int64_t clues = 0, evaluations = 0, rescored = 0, no_reply = 0;
    for (char *w = strtok_r(weeks, "\n", &save); w; w = strtok_r(NULL, "\n", &save)) {
        char name[64];
        snprintf(name, sizeof name, "%s.jsonl", w);
        char *pa = tu_path(a, name), *pb = tu_path(b, name);
        size_t la, lb;
        char *ta = tu_read_file(pa, &la), *tb = tu_read_file(pb, &lb);
        /* Same database, same bytes. */
        assert_int_equal(la, lb);
        assert_memory_equal(ta, tb, la);
        /* Every line re-scored from itself; the verdicts listed as the database stores them. */
        size_t cap = 1 << 20, used = 0;
        char *mine = calloc(cap, 1);
        assert_non_null(mine);
        char *lsave = NULL;
        for (char *line = strtok_r(ta, "\n", &lsave); line; line = strtok_r(NULL, "\n", &lsave)) {
            json_error_t jerr;
            json_t *clue = json_loads(line, 0, &jerr);
            if (!clue)
                fail_msg("%s: a line is not JSON: %s", name, jerr.text);
            clues++;
            assert_string_equal(json_string_value(json_object_get(clue, "week")), w);
            assert_true(json_is_array(json_object_get(clue, "clue_types")));
            const char *answer = json_string_value(json_object_get(clue, "answer"));
            const char *enumeration = json_string_value(json_object_get(clue, "enumeration"));
            size_t i;
            json_t *e;
            json_array_foreach(json_object_get(clue, "evaluations"), i, e) {
                evaluations++;
                const char *verdict = json_string_value(json_object_get(e, "verdict"));
                const char *reply = json_string_value(json_object_get(e, "reply"));
                assert_non_null(verdict);
                int n = snprintf(mine + used, cap - used, "%lld|%s|%s\n",
                                 (long long)json_integer_value(json_object_get(clue, "clue_id")),
                                 json_string_value(json_object_get(e, "model")), verdict);
                assert_true(n > 0 && (size_t)n < cap - used);
                used += (size_t)n;
                if (strcmp(verdict, "error") == 0)
                    continue;
                if (!reply) { /* the old system stored some verdicts without their reply */
                    no_reply++;
                    continue;
                }
                struct eval_extraction x;
                eval_extract(reply, enumeration, &x);
                const char *again = !x.found ? "no_answer" : eval_check(x.answer, answer) ? "correct" : "wrong";
                if (strcmp(again, verdict) != 0)
                    fail_msg("%s clue %lld %s: re-scored %s, exported %s", w,
                             (long long)json_integer_value(json_object_get(clue, "clue_id")),
                             json_string_value(json_object_get(e, "model")), again, verdict);
                rescored++;
            }
            json_decref(clue);
        }
        char sql[700];
        snprintf(sql, sizeof sql,
                 "SELECT e.clue_id, m.openrouter_id, e.outcome FROM evaluations e JOIN clues c ON c.id = e.clue_id "
                 "JOIN puzzles p ON p.id = c.puzzle_id JOIN models m ON m.id = e.model_id WHERE p.week_id = '%s' "
                 "ORDER BY p.publication_date, p.id, c.id, m.openrouter_id",
                 w);
        char *stored = tu_sql(db, sql);
        assert_string_equal(mine, stored);
        free(stored);
        free(mine);
        free(ta);
        free(tb);
        free(pa);
        free(pb);
    }
    free(weeks);
    assert_int_equal(clues, tu_sql_int(db, "SELECT count(*) FROM clues"));
    assert_int_equal(evaluations, tu_sql_int(db, "SELECT count(*) FROM evaluations"));
    fprintf(stderr, "export-data: %lld of %lld evaluations re-scored from the JSONL alone, all as stored; %lld "
                    "verdicts without a reply (old data)\n",
            (long long)rescored, (long long)evaluations, (long long)no_reply);
    assert_int_equal(rescored, tu_sql_int(db, "SELECT count(*) FROM evaluations WHERE outcome <> 'error' AND "
                                              "model_response IS NOT NULL"));
    assert_true(rescored > 1000); /* most of the 2035 calls answered */

    /* The datasheet, the same twice, says what it holds. */
    char *da = tu_path(a, "datasheet.md"), *dbp = tu_path(b, "datasheet.md");
    char *sa = tu_read_file(da, NULL), *sb = tu_read_file(dbp, NULL);
    assert_string_equal(sa, sb);
    tu_assert_contains(sa, "7 weeks, 185 clues and 2035 evaluations of 11 models");
    tu_assert_contains(sa, "prompt version 1");
    tu_assert_contains(sa, "Fifteensquared");
    free(sa);
    free(sb);
    free(da);
    free(dbp);

    /* The extraction rule is exported as stored (evaluations.extract_rule):
     * first as rescore left it, then as changed in the database. */
    json_t *first = NULL;
    {
        char *w14 = tu_path(a, "2026-W14.jsonl"), *text14 = tu_read_file(w14, NULL);
        first = json_loads(text14, JSON_DISABLE_EOF_CHECK, NULL);
        const json_t *rule = json_object_get(json_array_get(json_object_get(first, "evaluations"), 0), "rule");
        assert_true(json_is_string(rule) || json_is_null(rule));
        assert_true(!json_is_string(rule) || strcmp(json_string_value(rule), "bare-line") != 0);
        json_decref(first);
        free(text14);
        free(w14);
    }
    free(tu_sql(db, "UPDATE evaluations SET extract_rule = 'bare-line' WHERE model_response IS NOT NULL"));
    char *d = tu_path(work, "d");
    r = CLI("export-data", "--out", d, "--week", "2026-W14");
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char *w14 = tu_path(d, "2026-W14.jsonl"), *text14 = tu_read_file(w14, NULL);
    first = json_loads(text14, JSON_DISABLE_EOF_CHECK, NULL);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(first, "evaluations"), 0), "rule")),
                        "bare-line");
    json_decref(first);
    free(text14);
    free(w14);
    free(d);

    /* One week only. */
    char *c = tu_path(work, "c");
    r = CLI("export-data", "--out", c, "--week", "2026-W14");
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    char *one = tu_path(c, "2026-W14.jsonl"), *other = tu_path(c, "2026-W01.jsonl");
    assert_true(tu_exists(one));
    assert_false(tu_exists(other));
    free(one);
    free(other);
    free(c);
    free(a);
    free(b);
}

static void test_bad_input(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    tu_upgraded_old_db(db, env);
    struct tu_run r = CLI("export-data");
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "--out DIR is needed");
    tu_run_free(&r);
    r = CLI("export-data", "--out", work, "--week", "W14");
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    r = CLI("export-data", "--out", work, "--bogus");
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    r = CLI("export-data", "--out", work, "--week", "2026-W30");
    tu_assert_failed_with(&r, "week 2026-W30 has no clues");
    tu_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests_name("export_data", tests, NULL, NULL);
}
