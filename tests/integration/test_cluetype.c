/*
 * test_cluetype.c - the wordplay-type rules (src/rank/cluetype.c) against
 * real clues labelled by hand (tests/fixtures/cluetypes.tsv): the real
 * corpus pages are parsed with `cryptic-bench parse`, each labelled clue's
 * explanation classified, and the rules must agree with the labels (the
 * whole set of types equal) on at least 90 % of the clues; every
 * disagreement is printed. Plus the edge cases on plain strings.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/cluetype.h"

/* The types named in "charade,deletion". */
static unsigned types_of(const char *names)
{
    unsigned t = 0;
    char copy[256], *save = NULL;
    snprintf(copy, sizeof copy, "%s", names);
    for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int i = 0; i < RANK_CT_COUNT; i++)
            if (strcmp(rank_clue_type_name(i), n) == 0) {
                t |= 1u << i;
                found = 1;
            }
        if (!found)
            fail_msg("fixture names an unknown type \"%s\"", n);
    }
    return t;
}

static void test_edge_cases(void **state)
{
    (void)state;
    assert_int_equal(rank_clue_types(NULL), RANK_CT_UNKNOWN);
    assert_int_equal(rank_clue_types("  \n"), RANK_CT_UNKNOWN);
    assert_int_equal(rank_clue_types("DD"), RANK_CT_DOUBLE_DEFINITION);
    assert_int_equal(rank_clue_types("Cryptic definition"), RANK_CT_CRYPTIC_DEFINITION);
    assert_int_equal(rank_clue_types("(TEAR)* &lit"), RANK_CT_ANAGRAM | RANK_CT_AND_LIT);
    assert_int_equal(rank_clue_types("sounds like \"knight\""), RANK_CT_HOMOPHONE);
    assert_int_equal(rank_clue_types("first letters of each word"), RANK_CT_OTHER);
    /* A definition line describes the answer, not the wordplay. */
    assert_int_equal(rank_clue_types("CH + EERY\nDefn: concealed in a box"), RANK_CT_CHARADE);
    char text[128];
    rank_clue_types_text(RANK_CT_CHARADE | RANK_CT_DELETION, text, sizeof text);
    assert_string_equal(text, "charade,deletion");
    rank_clue_types_text(RANK_CT_UNKNOWN, text, 4);
    assert_string_equal(text, ""); /* truncated: nothing half-written */
}

static void test_labelled_sample(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *fixture = tu_path(getenv("CB_FIXTURES"), "cluetypes.tsv");
    char *text = tu_read_file(fixture, NULL);
    char *work = tu_mkdtemp();
    json_t *pages = json_object();
    int total = 0, agree = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *answer = strchr(line, '\t'), *labels = answer ? strchr(answer + 1, '\t') : NULL;
        assert_non_null(labels);
        *answer++ = '\0';
        *labels++ = '\0';
        json_t *page = json_object_get(pages, line);
        if (!page) {
            char *path = tu_path(tu_shared_dir(), "corpus/fifteensquared");
            char *file = tu_path(path, line);
            struct tu_run r = tu_run_cli(work, NULL, (const char *const[]){"parse", file, NULL});
            if (r.status != 0)
                fail_msg("parse %s: %s", file, r.err);
            page = json_loads(r.out, 0, NULL);
            assert_non_null(page);
            json_object_set_new(pages, line, page);
            tu_run_free(&r);
            free(file);
            free(path);
        }
        const char *explanation = NULL;
        size_t i;
        json_t *clue;
        json_array_foreach(json_object_get(page, "clues"), i, clue)
            if (strcmp(json_string_value(json_object_get(clue, "answer")), answer) == 0)
                explanation = json_string_value(json_object_get(clue, "explanation"));
        if (!explanation)
            fail_msg("%s: no clue %s with an explanation", line, answer);
        unsigned want = types_of(labels), got = rank_clue_types(explanation);
        total++;
        if (got == want) {
            agree++;
            continue;
        }
        char shown[256];
        rank_clue_types_text(got, shown, sizeof shown);
        fprintf(stderr, "disagreement: %s labelled %s, rules say %s\n", answer, labels, shown);
    }
    fprintf(stderr, "clue types: %d of %d labelled clues agree (%.1f %%)\n", agree, total, 100.0 * agree / total);
    assert_true(total >= 50);
    assert_true(agree * 10 >= total * 9);
    json_decref(pages);
    tu_rmtree(work);
    free(work);
    free(text);
    free(fixture);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_labelled_sample),
    };
    return cmocka_run_group_tests_name("cluetype", tests, NULL, NULL);
}
