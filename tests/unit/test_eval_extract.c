/*
 * test_eval_extract.c - answer extraction and checking: each rule on
 * replies written for it, then every stored non-error reply of the old
 * database against hand labels (tests/fixtures/extract/labels.tsv) or, for
 * a plain one-line reply, the answer it plainly is. Prints the agreement and
 * the data faults met on the way.
 */
#include "testutil.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/letters.h"
#include "eval/extract.h"

static void expect(const char *reply, const char *enumeration, const char *answer, const char *method)
{
    struct eval_extraction x;
    eval_extract(reply, enumeration, &x);
    if (answer) {
        if (!x.found || strcmp(x.answer, answer) != 0)
            fail_msg("reply %s\n  expected %s, got %s (%s)", reply, answer, x.found ? x.answer : "none",
                     x.method);
    } else if (x.found) {
        fail_msg("reply %s\n  expected no answer, got %s (%s)", reply, x.answer, x.method);
    }
    if (method)
        tu_assert_contains(x.method, method);
}

static void test_rules(void **state)
{
    (void)state;
    expect("PIRANHA", "(7)", "PIRANHA", "whole reply");
    expect("  piranha.  ", "(7)", "PIRANHA", "whole reply");
    expect("**Das Boot**", "(3,4)", "DAS BOOT", "bold line");
    expect("The answer is: HALF HITCH", "(4,5)", "HALF HITCH", "answer marker");
    expect("Answer: HALF-HITCH", "(4,5)", "HALF-HITCH", "answer marker");
    expect("Let me think.\n\nFinal answer: REACTION TIME (8,4)", "(8,4)", "REACTION TIME", "answer marker");
    expect("Some reasoning here.\n\n# STAIR", "(5)", "STAIR", "heading");
    expect("Reasoning about the clue.\nMore reasoning.\n\nSTAIR", "(5)", "STAIR", "bare answer line");
    /* A later explicit revision overrides an earlier answer. */
    expect("STAIN\n\nWait, let me reconsider.\n\nSTAIR", "(5)", "STAIR", "last answer after revisions");
    expect("The answer is STAIN.\nActually, no: the answer is STAIR.", "(5)", "STAIR", NULL);
    /* Trailing junk after a committed answer is not an answer. */
    expect("SPINSTER\n\n+++++ notes.md\nHere are the answers:\n1. clue (5)\nNESTS\nCENTIMO", "(8)", "SPINSTER",
           "bare answer line");
    expect("Rim\n\n(Note: the explanation is omitted here.)", "(4)", "RIM", "bare answer line");
    expect("The answer is **PLASTERING**.\n\nBreaking it down:\n- PLASTER contains AS", "(10)", "PLASTERING",
           "answer marker");
    /* "The answer is:" with the answer on the next line. */
    expect("The answer to the clue \"x\" (4) is:\n\nBANN\n\nThis works because...", "(4)", "BANN", NULL);
    /* Candidates fitting the enumeration are preferred among equals. */
    expect("The answer is FULFILERS or TSHIRTFILLERS", "(13)", "TSHIRTFILLERS", NULL);
    expect("The answer is FULFILERS or TSHIRTFILLERS", "(9)", "FULFILERS", NULL);
    /* A commitment withdrawn in the same breath. */
    expect("The answer is: REPLETIONS (no, that's 10)\n\nREPLETION", "(9)", "REPLETION", NULL);
    /* Nothing, not a guess, when the reply never commits. */
    expect("", "(5)", NULL, "empty");
    expect("   \n\n  ", "(5)", NULL, "empty");
    expect("I need to parse this clue.\n- \"Team leader\" = T\n- requests = ASKS\n\nSo the wordplay gives", "(5)", NULL,
           "never commits");
    expect("FIELDS OF GOLDEN\n(Wait, \"FIELDS OF GOLDEN\" is not a", "(6,2,8)", NULL, "withdrew");
    expect(" RE\n    *   \"casual shirts\" = TEES\n    *   Wait, \"", "(9)", NULL, NULL);
    expect(" \"FORBID\"\n    *   \"cheat\" = \"SHARK\"", "(9)", NULL, NULL);
    expect("The answer is 9 letters long and I cannot find it.", "(9)", NULL, NULL);
    /* One-line oddities. */
    expect("Ranch gear stays crisp, trimmed this way \xe2\x86\x92 Rehar", "(5)", "REHAR", "arrow");
    expect("WHAT IS THE POINT?", "(5,2,5)", "WHAT IS THE POINT", NULL);
    expect("The answer is \"I C U\".", "(1,3,3)", "I C U", NULL);
    expect("I\xe2\x80\x99" "D", "(1'1)", "I\xe2\x80\x99" "D", NULL);
}

static void test_check(void **state)
{
    (void)state;
    assert_true(eval_check("four-dimensional", "FOURDIMENSIONAL"));
    assert_true(eval_check("Half Hitch", "HALF-HITCH"));
    assert_true(eval_check("CAF\xc3\x89", "CAFE"));
    assert_false(eval_check("STAIN", "STAIR"));
    assert_false(eval_check("STAIRS", "STAIR"));
    assert_false(eval_check("", "STAIR"));
    assert_false(eval_check(NULL, "STAIR"));
}

struct label {
    int id;
    char answer[128];
};

static void test_old_database_replies(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *path = tu_path(getenv("CB_FIXTURES"), "extract/labels.tsv");
    char *text = tu_read_file(path, NULL);
    struct label labels[256];
    int nlabels = 0;
    for (char *line = strtok(text, "\n"); line && nlabels < 256; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        char *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
        if (!tab || !tab2)
            fail_msg("labels.tsv: bad line %s", line);
        *tab2 = '\0';
        labels[nlabels].id = atoi(line);
        snprintf(labels[nlabels].answer, sizeof labels[nlabels].answer, "%s", tab + 1);
        nlabels++;
    }
    free(text);
    free(path);

    char *db_path = tu_path(tu_shared_dir(), "data/original-cryptic-bench.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT e.id, c.letter_count, e.model_response, e.extracted_answer "
                                        "FROM evaluations e JOIN clues c ON c.id = e.clue_id "
                                        "WHERE e.error_message IS NULL AND e.model_response IS NOT NULL "
                                        "ORDER BY e.id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    int labelled = 0, labelled_agree = 0, plain = 0, plain_agree = 0, old_first_line_right = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int id = sqlite3_column_int(st, 0);
        const char *enumeration = (const char *)sqlite3_column_text(st, 1);
        const char *reply = (const char *)sqlite3_column_text(st, 2);
        const char *old = (const char *)sqlite3_column_text(st, 3);
        struct eval_extraction x;
        eval_extract(reply, enumeration, &x);
        const struct label *label = NULL;
        for (int i = 0; i < nlabels; i++)
            if (labels[i].id == id)
                label = &labels[i];
        char got[128], want[128];
        letters_az(x.found ? x.answer : "", got, sizeof got);
        if (label) {
            labelled++;
            int none = strcmp(label->answer, "-") == 0;
            letters_az(none ? "" : label->answer, want, sizeof want);
            int agree = none ? !x.found : x.found && strcmp(got, want) == 0;
            labelled_agree += agree;
            if (!agree)
                fprintf(stderr, "  disagree with label: evaluation %d: label %s, extracted %s (%s)\n", id,
                        label->answer, x.found ? x.answer : "none", x.method);
            char first[128];
            letters_az(old ? old : "", first, sizeof first);
            old_first_line_right += agree && strcmp(first, none ? "" : want) == 0;
        } else {
            /* A plain one-line reply is its own answer. */
            plain++;
            letters_az(old ? old : "", want, sizeof want);
            int agree = x.found && strcmp(got, want) == 0;
            plain_agree += agree;
            if (!agree)
                fprintf(stderr, "  disagree: evaluation %d: reply \"%s\", extracted %s (%s)\n", id, reply,
                        x.found ? x.answer : "none", x.method);
        }
    }
    sqlite3_finalize(st);
    fprintf(stderr, "extraction on the old database: %d/%d hand-labelled replies agree "
                    "(the old first-line rule: %d/%d); %d/%d plain one-line replies agree\n",
            labelled_agree, labelled, old_first_line_right, labelled, plain_agree, plain);

    /* Data faults met: a stored answer that does not fit its enumeration. */
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, clue_number, direction, answer, letter_count FROM clues",
                                        -1, &st, NULL),
                     SQLITE_OK);
    int faults = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *answer = (const char *)sqlite3_column_text(st, 3);
        const char *enumeration = (const char *)sqlite3_column_text(st, 4);
        char letters[128];
        int have = (int)letters_az(answer, letters, sizeof letters);
        if (have != letters_enumeration_total(enumeration)) {
            fprintf(stderr, "data fault: clue %d (%s %s): stored answer %s has %d letters, enumeration %s\n",
                    sqlite3_column_int(st, 0), sqlite3_column_text(st, 1), sqlite3_column_text(st, 2), answer,
                    have, enumeration);
            faults++;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(db_path);
    assert_true(faults >= 1); /* SPECIAL for a (7,13) clue is known */
    assert_int_equal(labelled, nlabels);
    assert_int_equal(labelled_agree, labelled);
    assert_int_equal(plain_agree, plain);
    assert_true(plain > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_old_database_replies),
    };
    return cmocka_run_group_tests_name("eval/extract", tests, NULL, NULL);
}
