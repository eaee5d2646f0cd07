/* test_scrape_text.c - captions, enumerations, answers and headings in plain text. */
#include "testutil.h"

#include <string.h>

#include "scrape/text.h"

static void test_captions_in_lines(void **state)
{
    (void)state;
    struct {
        const char *line;
        const char *number;
        int nnumbers;
        char direction;
        const char *rest;
    } cases[] = {
        {"1. Measure of response (8,4)", "1", 1, 0, "Measure of response (8,4)"},
        {"8 Senior clergyman (7)", "8", 1, 0, "Senior clergyman (7)"},
        {"1,24 Linked clue (5,4)", "1,24", 2, 0, "Linked clue (5,4)"},
        {"1, 24 Linked clue (5,4)", "1,24", 2, 0, "Linked clue (5,4)"},
        {"5/14 Linked clue (5,4)", "5/14", 2, 0, "Linked clue (5,4)"},
        {"9a Clue (3)", "9", 1, 'a', "Clue (3)"},
        {"12dn Clue (3)", "12", 1, 'd', "Clue (3)"},
        {"1A Clue (3)", "1", 1, 'a', "Clue (3)"},
        {"21 Avoid (4)", "21", 1, 0, "Avoid (4)"},
        {"6 See 2", "6", 1, 0, "See 2"},
        {"3: clue (4)", "3", 1, 0, "clue (4)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct scrape_caption c;
        size_t n = scrape_caption_parse(cases[i].line, 0, &c);
        if (n == 0)
            fail_msg("no caption in \"%s\"", cases[i].line);
        assert_string_equal(c.number, cases[i].number);
        assert_int_equal(c.nnumbers, cases[i].nnumbers);
        assert_int_equal(c.direction, cases[i].direction);
        assert_string_equal(cases[i].line + n, cases[i].rest);
    }
    struct scrape_caption c;
    const char *not_captions[] = {"Across", "1984 was a year (4)", "A clue (3)", "0 clue (3)",
                                  "12th man (3)", "1adorn (4)", "", "(5)"};
    for (size_t i = 0; i < sizeof not_captions / sizeof not_captions[0]; i++)
        if (scrape_caption_parse(not_captions[i], 0, &c) != 0)
            fail_msg("\"%s\" read as a caption", not_captions[i]);
}

static void test_captions_in_cells(void **state)
{
    (void)state;
    struct scrape_caption c;
    assert_true(scrape_caption_parse("12", 1, &c) > 0);
    assert_true(scrape_caption_parse(" 12 across ", 1, &c) > 0);
    assert_int_equal(c.direction, 'a');
    assert_true(scrape_caption_parse("1D", 1, &c) > 0);
    assert_int_equal(c.direction, 'd');
    assert_true(scrape_caption_parse("2,6", 1, &c) > 0);
    assert_int_equal(c.numbers[1], 6);
    /* a number cell naming the lights of a linked answer, however separated */
    assert_true(scrape_caption_parse("13/18", 1, &c) > 0);
    assert_true(scrape_caption_parse("13 & 18", 1, &c) > 0);
    assert_int_equal(c.nnumbers, 2);
    assert_true(scrape_caption_parse("13 18", 1, &c) > 0);
    assert_string_equal(c.number, "13,18");
    assert_int_equal(c.numbers[1], 18);
    assert_int_equal(scrape_caption_parse("13 18 Clue", 1, &c), 0);
    assert_int_equal(scrape_caption_parse("12 Clue", 1, &c), 0);
    assert_int_equal(scrape_caption_parse("PIRANHA", 1, &c), 0);
}

static void test_enumerations(void **state)
{
    (void)state;
    struct {
        const char *line;
        int letters;
        size_t start;
    } ok[] = {
        {"trees, touch fruit with bent cane (5,10)", 15, 34},
        {"x (4-11)", 15, 2},
        {"x (3,2,8) ", 13, 2},
        {"x (1'1)", 2, 2},
        {"x (1\xe2\x80\x99" "1)", 2, 2},
        {"x (5, 10)", 15, 2},
        {"x (4\xe2\x80\x93" "3)", 7, 2},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t start;
        int letters;
        if (!scrape_enumeration_at_end(ok[i].line, &start, &letters))
            fail_msg("no enumeration in \"%s\"", ok[i].line);
        assert_int_equal(letters, ok[i].letters);
        assert_int_equal(start, ok[i].start);
    }
    const char *bad[] = {"no enumeration", "x (see 2)", "x (5) more", "x ()", "x (5", "x 5)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t start;
        int letters;
        if (scrape_enumeration_at_end(bad[i], &start, &letters))
            fail_msg("\"%s\" read as ending in an enumeration", bad[i]);
    }
    assert_int_equal(scrape_enumeration_letters("(5,10)"), 15);
    assert_int_equal(scrape_enumeration_letters("(7)"), 7);
    assert_int_equal(scrape_enumeration_letters("7"), -1);
}

static void test_answers(void **state)
{
    (void)state;
    struct {
        const char *line;
        const char *answer;
    } cases[] = {
        {"PRIMATE : \xe2\x80\x9cprivate\xe2\x80\x9d", "PRIMATE"},
        {"PUT PAID TO : [PUT TO](suggested)", "PUT PAID TO"},
        {"SCI-FI", "SCI-FI"},
        {"I\xe2\x80\x99" "D \xe2\x80\x93 contraction", "I\xe2\x80\x99" "D"},
        {"ARC DE TRIOMPHE", "ARC DE TRIOMPHE"},
        {"CAF\xc3\x89 society", "CAF\xc3\x89"},
        {"Definition and wordplay", ""},
        {"a lower case line", ""},
        {"PIRANHA1", ""},
        {"(MATE IN EROTIC)*", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = scrape_answer_prefix(cases[i].line);
        if (n != strlen(cases[i].answer) || strncmp(cases[i].line, cases[i].answer, n) != 0)
            fail_msg("\"%s\": expected answer \"%s\", got %zu bytes", cases[i].line, cases[i].answer, n);
    }
    char letters[64];
    assert_int_equal(scrape_answer_letters("I\xe2\x80\x99" "D", letters, sizeof letters), 2);
    assert_string_equal(letters, "ID");
    scrape_answer_letters("four-dimensional", letters, sizeof letters);
    assert_string_equal(letters, "FOURDIMENSIONAL");
    scrape_answer_letters("CAF\xc3\x89", letters, sizeof letters);
    assert_string_equal(letters, "CAFE");
}

static void test_headings(void **state)
{
    (void)state;
    char d = 0;
    assert_true(scrape_heading("Across", &d));
    assert_int_equal(d, 'a');
    assert_true(scrape_heading(" DOWN: ", &d));
    assert_int_equal(d, 'd');
    assert_true(scrape_heading("Down clues", &d));
    assert_false(scrape_heading("Down the hatch (4)", &d));
    assert_false(scrape_heading("", &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captions_in_lines),
        cmocka_unit_test(test_captions_in_cells),
        cmocka_unit_test(test_enumerations),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_headings),
    };
    return cmocka_run_group_tests_name("scrape/text", tests, NULL, NULL);
}
