/*
 * test_scrape_post.c - post pages to puzzles: every page of the shared
 * corpus (real and generated) and of tests/fixtures/posts (one per layout)
 * parses exactly, row for row against each folder's expected.tsv; the
 * corpus's documented examples hold; bad pages are rejected with reasons.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/post.h"

static struct scrape_puzzle *parse_file(const char *path)
{
    size_t len;
    char *html = tu_read_file(path, &len);
    struct scrape_puzzle *p = NULL;
    struct err err = {{0}};
    if (scrape_post_parse(html, len, NULL, &p, &err) != 0)
        fail_msg("%s: %s", path, err.msg);
    free(html);
    return p;
}

static const struct scrape_clue *find_clue(const struct scrape_puzzle *p, const char *number,
                                           const char *direction)
{
    for (size_t i = 0; i < p->nclues; i++)
        if (strcmp(p->clues[i].number, number) == 0 && strcmp(p->clues[i].direction, direction) == 0)
            return &p->clues[i];
    fail_msg("clue %s %s not found", number, direction);
    return NULL;
}

static size_t count_direction(const struct scrape_puzzle *p, const char *direction)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nclues; i++)
        n += strcmp(p->clues[i].direction, direction) == 0;
    return n;
}

/* Parses every page of dir, checks each passes validation, and compares
 * with dir/expected.tsv where there is one. Returns the pages checked. */
static int check_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int pages = 0;
    struct dirent *e;
    char *expected_path = tu_path(dir, "expected.tsv");
    char *expected = tu_exists(expected_path) ? tu_read_file(expected_path, NULL) : NULL;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".html") != 0 || strncmp(e->d_name, "bad-", 4) == 0)
            continue;
        char *path = tu_path(dir, e->d_name);
        struct scrape_puzzle *p = parse_file(path);
        struct err err = {{0}};
        if (scrape_puzzle_validate(p, 0, &err) != 0)
            fail_msg("%s: %s", path, err.msg);
        if (expected) {
            size_t row = 0, matched = 0;
            char *copy = strdup(expected);
            for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
                if (line[0] == '#')
                    continue;
                /* six columns; a seventh, where given, is the lights of a linked answer */
                char *f[7] = {0};
                char *q = line;
                for (int i = 0; i < 7 && q; i++) {
                    f[i] = q;
                    q = strchr(q, '\t');
                    if (q)
                        *q++ = '\0';
                    else if (i < 5)
                        fail_msg("%s: bad line", expected_path);
                }
                if (strcmp(f[0], e->d_name) != 0)
                    continue;
                if (row >= p->nclues)
                    fail_msg("%s: only %zu clues parsed", path, p->nclues);
                const struct scrape_clue *c = &p->clues[row++];
                if (strcmp(c->number, f[1]) || strcmp(c->direction, f[2]) || strcmp(c->text, f[3]) ||
                    strcmp(c->enumeration, f[4]) || strcmp(c->answer, f[5]))
                    fail_msg("%s clue %zu:\n  got      %s|%s|%s|%s|%s\n  expected %s|%s|%s|%s|%s", path,
                             row, c->number, c->direction, c->text, c->enumeration, c->answer, f[1], f[2],
                             f[3], f[4], f[5]);
                char linked[64];
                if (f[6] && strcmp(scrape_clue_linked(c, linked, sizeof linked), f[6]) != 0)
                    fail_msg("%s clue %s %s: linked lights \"%s\", expected \"%s\"", path, c->number,
                             c->direction, linked, f[6]);
                matched++;
            }
            free(copy);
            if (matched && matched != p->nclues)
                fail_msg("%s: %zu clues parsed, %zu expected", path, p->nclues, matched);
        }
        scrape_puzzle_free(p);
        free(path);
        pages++;
    }
    closedir(d);
    free(expected);
    free(expected_path);
    return pages;
}

static void test_shared_corpus_folders(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    const char *folders[] = {"corpus/fifteensquared", "corpus/fifteensquared-generated"};
    for (size_t i = 0; i < 2; i++) {
        char *dir = tu_path(tu_shared_dir(), folders[i]);
        int pages = check_folder(dir);
        if (pages < 0)
            fprintf(stderr, "SKIPPED: %s is absent\n", dir);
        else
            fprintf(stderr, "checked %d pages in %s\n", pages, dir);
        free(dir);
    }
}

static void test_fixture_layouts(void **state)
{
    (void)state;
    char *dir = tu_path(getenv("CB_FIXTURES"), "posts");
    /* 9 layouts, and 4 ways of writing a linked entry in each of 4 layouts */
    assert_int_equal(check_folder(dir), 9 + 16);
    free(dir);
}

/* The examples SOURCES.md documents for the two real pages. */
static void test_real_pages_as_documented(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *path = tu_path(tu_shared_dir(), "corpus/fifteensquared/ft-17727-bobcat-2024-05-06.entry-content.html");
    if (!tu_exists(path)) {
        fprintf(stderr, "SKIPPED: %s is absent\n", path);
        free(path);
        skip();
    }
    struct scrape_puzzle *p = parse_file(path);
    assert_int_equal(count_direction(p, "across"), 14);
    assert_int_equal(count_direction(p, "down"), 14);
    const struct scrape_clue *c = find_clue(p, "1", "across");
    assert_string_equal(c->text, "Measure of response from mate in erotic novel");
    assert_string_equal(c->enumeration, "(8,4)");
    assert_string_equal(c->display_answer, "REACTION TIME");
    assert_string_equal(c->answer, "REACTIONTIME");
    assert_int_equal(c->ndefinitions, 1);
    assert_string_equal(c->definitions[0], "Measure of response");
    assert_string_equal(c->explanation, "(MATE IN EROTIC)* (*novel)");
    c = find_clue(p, "5", "down");
    assert_string_equal(c->text, "Domestic appliance, one of two on boat");
    assert_string_equal(c->display_answer, "TWIN-TUB");
    c = find_clue(p, "13", "across");
    assert_string_equal(c->text, "Get put off as dons\xe2\x80\x99 vices serially exposed");
    assert_string_equal(c->enumeration, "(2,3)");
    assert_string_equal(c->display_answer, "ON ICE");
    c = find_clue(p, "6", "down");
    assert_string_equal(c->text, "Observant mastermind fully apprehends \xe2\x80\xa6");
    assert_string_equal(c->answer, "MINDFUL");
    /* A bare fragment names no puzzle. */
    assert_null(p->series);
    assert_null(p->title);
    assert_null(p->date);
    scrape_puzzle_free(p);
    free(path);

    path = tu_path(tu_shared_dir(), "corpus/fifteensquared/independent-on-sunday-1888-filbert-2026-05-03.main-excerpt.html");
    p = parse_file(path);
    assert_int_equal(count_direction(p, "across"), 13);
    assert_int_equal(count_direction(p, "down"), 16);
    assert_string_equal(p->clues[0].number, "8"); /* there is no 1 across */
    assert_string_equal(p->series, "independent-on-sunday");
    assert_int_equal(p->number, 1888);
    assert_string_equal(p->setter, "Filbert");
    assert_string_equal(p->date, "2026-05-03"); /* the blog's day, 00:01 +01:00 */
    c = find_clue(p, "8", "across");
    assert_string_equal(c->text, "Senior clergyman intimate with very becoming maidens");
    assert_string_equal(c->answer, "PRIMATE");
    assert_string_equal(c->definitions[0], "Senior clergyman");
    c = find_clue(p, "1", "down");
    assert_string_equal(c->text, "Difficult crossword arrived? Bugger, you might say");
    assert_string_equal(c->enumeration, "(8-2)");
    assert_string_equal(c->display_answer, "LISTENER-IN");
    c = find_clue(p, "15", "across");
    assert_string_equal(c->text, "Heroic term interchangeable with \xe2\x80\x9c" "Centre of roundabout west of Paris\xe2\x80\x9d");
    assert_string_equal(c->enumeration, "(3,2,8)");
    assert_string_equal(c->display_answer, "ARC DE TRIOMPHE");
    assert_string_equal(c->definitions[0], "Heroic term interchangeable with \xe2\x80\x9c" "Centre of roundabout");
    c = find_clue(p, "10", "across");
    assert_string_equal(c->display_answer, "PUT PAID TO");
    c = find_clue(p, "13", "down");
    assert_string_equal(c->display_answer, "SET STORE BY");
    c = find_clue(p, "18", "down");
    assert_int_equal(c->ndefinitions, 2);
    assert_string_equal(c->definitions[0], "Too");
    assert_string_equal(c->definitions[1], "near");
    /* Capitals in the reader comments below the post are not answers. */
    for (size_t i = 0; i < p->nclues; i++)
        assert_null(strstr(p->clues[i].explanation, "my pick of the bunch"));
    scrape_puzzle_free(p);
    free(path);
}

static void test_fixture_metadata(void **state)
{
    (void)state;
    struct {
        const char *file, *series;
        int64_t number;
        const char *setter, *date;
    } cases[] = {
        {"fts-table-linked.html", "guardian-cryptic", 29890, "Ramsay", "2025-12-30"},
        {"fts-list-classes.html", "guardian-cryptic", 29889, "Omnibus", "2025-12-29"},
        {"cellpadding-table.html", "guardian-cryptic", 29971, "Yank", "2026-04-03"},
        {"alternate-rows-table.html", "guardian-prize", 29924, "Tramp", "2026-02-14"},
        {"header-row-table.html", "guardian-quiptic", 1357, "Hectence", "2026-03-30"},
        {"two-column-table.html", "guardian-cryptic", 29968, "Maskarade", "2026-03-31"},
        {"paragraph-inline.html", "guardian-cryptic", 29970, "Brummie", "2026-04-02"},
        {"paragraph-separate.html", "ft", 17727, "BOBCAT", "2024-05-06"},
        {"paragraph-number-line.html", "guardian-cryptic", 30061, "Vlad", "2026-07-17"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = tu_path(getenv("CB_FIXTURES"), "posts");
        char *path = tu_path(dir, cases[i].file);
        struct scrape_puzzle *p = parse_file(path);
        assert_string_equal(p->series, cases[i].series);
        assert_int_equal(p->number, cases[i].number);
        assert_string_equal(p->setter, cases[i].setter);
        assert_string_equal(p->date, cases[i].date);
        assert_non_null(p->url);
        assert_non_null(strstr(p->url, "https://www.fifteensquared.net/"));
        /* Entities decoded, the title without the blog's name. */
        assert_null(strstr(p->title, "&#"));
        assert_null(strstr(p->title, "Fifteensquared"));
        struct err err = {{0}};
        if (scrape_puzzle_validate(p, 1, &err) != 0)
            fail_msg("%s: %s", path, err.msg);
        /* Structure, not colour: the double definition and the apostrophe answer. */
        const struct scrape_clue *c = find_clue(p, "7", "across");
        assert_string_equal(c->display_answer, "I\xe2\x80\x99" "D");
        assert_string_equal(c->answer, "ID");
        c = find_clue(p, "1", "down");
        assert_string_equal(c->text, "Posh & Becks\xe2\x80\x99 first spot");
        if (strcmp(cases[i].file, "fts-table-linked.html") == 0) {
            c = find_clue(p, "2,6", "down");
            assert_string_equal(c->display_answer, "ON THE WAY");
            assert_int_equal(p->ncontinuations, 1);
            assert_int_equal(p->continuations[0].numbers[0], 6);
            assert_int_equal(p->continuations[0].target, 2);
            char linked[32];
            assert_string_equal(scrape_clue_linked(c, linked, sizeof linked), "2/6");
        } else if (strcmp(cases[i].file, "header-row-table.html") != 0) {
            c = find_clue(p, "6", "down");
            assert_int_equal(c->ndefinitions, 2);
            assert_string_equal(c->definitions[0], "Indebted");
            assert_string_equal(c->definitions[1], "due");
        }
        c = find_clue(p, "4", "down");
        if (strcmp(cases[i].file, "two-column-table.html") == 0)
            assert_string_equal(c->explanation, "NEW + YORK (explanation)\nMore on it.");
        else
            assert_string_equal(c->explanation, "NEW + YORK (explanation)");
        scrape_puzzle_free(p);
        free(path);
        free(dir);
    }
}

static void expect_rejection(const char *html, size_t len, const char *needle)
{
    struct scrape_puzzle *p = NULL;
    struct err err = {{0}};
    int rc = scrape_post_parse(html, len, NULL, &p, &err);
    if (rc == 0)
        rc = scrape_puzzle_validate(p, 0, &err);
    if (rc == 0)
        fail_msg("expected a rejection containing \"%s\"", needle);
    tu_assert_contains(err.msg, needle);
    scrape_puzzle_free(p);
}

static void expect_file_rejection(const char *name, const char *needle)
{
    char *dir = tu_path(getenv("CB_FIXTURES"), "posts");
    char *path = tu_path(dir, name);
    size_t len;
    char *html = tu_read_file(path, &len);
    expect_rejection(html, len, needle);
    free(html);
    free(path);
    free(dir);
}

static void test_bad_pages(void **state)
{
    (void)state;
    expect_rejection("", 0, "the page is empty");
    expect_rejection(" \n\t ", 4, "the page is empty");
    static const char binary[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR<html>";
    expect_rejection(binary, sizeof binary - 1, "not HTML (binary data)");
    expect_rejection("just some words", 15, "not HTML");
    expect_file_rejection("bad-no-clues.html", "no clues found in the post body");
    expect_file_rejection("bad-answer-mismatch.html",
                          "clue 1 across: answer PIRANHAS has 8 letters, enumeration (7)");
    expect_file_rejection("bad-truncated.html", "clue numbers do not cover 1 to 8");
    /* One clue missing is a truncation too, unless the post links it to a clue. */
    expect_file_rejection("bad-missing-one.html", "clue numbers do not cover 1 to 8: number missing (3)");
    expect_file_rejection("bad-linked-unexplained.html",
                          "clue numbers do not cover 1 to 11: number missing (10)");
    /* A clue with no answer line at all. */
    const char *no_answer = "<div class=\"entry-content\"><p>Across</p><p>1 A clue here (5)</p>"
                            "<p>an explanation in lower case</p><p>Down</p><p>1 Another (5)</p>"
                            "<p>ABCDE</p></div>";
    expect_rejection(no_answer, strlen(no_answer), "clue 1 across: no answer found");
    const char *across_only = "<div class=\"entry-content\"><p>Across</p><p>1 A clue here (5)</p>"
                              "<p>ABCDE</p></div>";
    expect_rejection(across_only, strlen(across_only), "no down clues found");
}

/* Parses a body of paragraphs; NULL and the reason in err when it fails
 * parsing or validation. */
static struct scrape_puzzle *parse_body(const char *body, struct err *err)
{
    char html[8192];
    snprintf(html, sizeof html, "<div class=\"entry-content\">%s</div>", body);
    struct scrape_puzzle *p = NULL;
    if (scrape_post_parse(html, strlen(html), NULL, &p, err) < 0)
        return NULL;
    if (scrape_puzzle_validate(p, 0, err) < 0) {
        scrape_puzzle_free(p);
        return NULL;
    }
    return p;
}

static void expect_linked(const char *body, const char *number, const char *direction, const char *lights)
{
    struct err err = {{0}};
    struct scrape_puzzle *p = parse_body(body, &err);
    if (!p)
        fail_msg("rejected: %s\n%s", err.msg, body);
    char linked[64];
    assert_string_equal(scrape_clue_linked(find_clue(p, number, direction), linked, sizeof linked), lights);
    scrape_puzzle_free(p);
}

#define DOWN_1_2 "<p>Down</p><p>1 First down (3)</p><p>ONE</p><p>2 Second down (3)</p><p>TWO</p>"

static void test_linked_entries(void **state)
{
    (void)state;
    /* The reference in another clue's text, in the forms setters write it. */
    expect_linked("<p>Across</p><p>3 Head of the pair (5,5)</p><p>ABCDE FGHIJ</p>"
                  "<p>5 Sees 3/4\xe2\x80\x99s end (4)</p><p>WXYZ</p>" DOWN_1_2,
                  "3", "across", "3/4");
    expect_linked("<p>Across</p><p>3 Head of the pair (5,5)</p><p>ABCDE FGHIJ</p>"
                  "<p>5 Found in 3 across, 4 (4)</p><p>WXYZ</p>" DOWN_1_2,
                  "3", "across", "3/4");
    expect_linked("<p>Across</p><p>3 Head of the pair (5,5)</p><p>ABCDE FGHIJ</p>"
                  "<p>5 Found in 3a/4d (4)</p><p>WXYZ</p>" DOWN_1_2,
                  "3", "across", "3/4");
    /* A "See" line in its looser forms. */
    expect_linked("<p>Across</p><p>3 Head of the pair (5,5)</p><p>ABCDE FGHIJ</p>"
                  "<p>5 Plain (4)</p><p>WXYZ</p>" DOWN_1_2 "<p>4 (See 3)</p>",
                  "3", "across", "3/4");
    expect_linked("<p>Across</p><p>3 Head of the pair (5,5)</p><p>ABCDE FGHIJ</p>"
                  "<p>4 \xe2\x80\x93 see 3 across (5,5)</p><p>5 Plain (4)</p><p>WXYZ</p>" DOWN_1_2,
                  "3", "across", "3/4");
    expect_linked("<p>Across</p><p>3 Head of the pair (5,5)</p><p>ABCDE FGHIJ</p>"
                  "<p><strong>4</strong><br />See 3</p><p>5 Plain (4)</p><p>WXYZ</p>" DOWN_1_2,
                  "3", "across", "3/4");
    /* A clue that merely starts with "See N" is a clue. */
    expect_linked("<p>Across</p><p>3 Head of the pair (5,5)</p><p>ABCDE FGHIJ</p><p>4 See 3 run off (4)</p>"
                  "<p>ABCD</p><p>5 Plain (4)</p><p>WXYZ</p>" DOWN_1_2,
                  "4", "across", "");
    /* Longer than one light: joins the gap after it, one light per part at most. */
    expect_linked("<p>Across</p><p>3 Long one (8,9)</p><p>ABCDEFGH IJKLMNOPQ</p>"
                  "<p>5 Plain (4)</p><p>WXYZ</p>" DOWN_1_2,
                  "3", "across", "3/4");
    expect_linked("<p>Across</p><p>3 Longer (6,2,8)</p><p>ABCDEF GH IJKLMNOP</p>"
                  "<p>6 Plain (4)</p><p>WXYZ</p>" DOWN_1_2,
                  "3", "across", "3/4/5");

    struct err err = {{0}};
    /* A gap nothing explains is a truncation, even a single one. */
    assert_null(parse_body("<p>Across</p><p>3 Head of the pair (5,5)</p><p>ABCDE FGHIJ</p>"
                           "<p>5 Plain (4)</p><p>WXYZ</p>" DOWN_1_2, &err));
    tu_assert_contains(err.msg, "number missing (4)");
    tu_assert_contains(err.msg, "a truncated page?");
    /* A reference with no clue of the post at its head explains nothing. */
    assert_null(parse_body("<p>Across</p><p>3 Plain one (5)</p><p>ABCDE</p>"
                           "<p>5 Quoting 4/7 (4)</p><p>WXYZ</p>" DOWN_1_2, &err));
    tu_assert_contains(err.msg, "number missing (4)");
    /* Numbers that are not grid references: "1,000", "3/4ths". */
    assert_null(parse_body("<p>Across</p><p>3 Costing 3,000 (5)</p><p>ABCDE</p>"
                           "<p>5 About 3/4ths (4)</p><p>WXYZ</p>" DOWN_1_2, &err));
    tu_assert_contains(err.msg, "number missing (4)");
    /* A (6,2,8) answer has three parts: it cannot explain three more lights. */
    assert_null(parse_body("<p>Across</p><p>3 Longer (6,2,8)</p><p>ABCDEF GH IJKLMNOP</p>"
                           "<p>7 Plain (4)</p><p>WXYZ</p>" DOWN_1_2, &err));
    tu_assert_contains(err.msg, "number missing (6)");
}

/* "(5, 10)" is "(5,10)": the same letter count, the same enumeration. */
static void test_enumeration_with_spaces(void **state)
{
    (void)state;
    struct err err = {{0}};
    struct scrape_puzzle *p = parse_body("<p>Across</p><p>1 Unveiling trees, touch fruit with bent cane (5, 10)</p>"
                                         "<p>FIRST APPEARANCE</p><p>Down</p><p>1 Formalised union (4 - 11)</p>"
                                         "<p>FOUR-DIMENSIONAL</p>", &err);
    if (!p)
        fail_msg("rejected: %s", err.msg);
    const struct scrape_clue *c = find_clue(p, "1", "across");
    assert_string_equal(c->text, "Unveiling trees, touch fruit with bent cane");
    assert_string_equal(c->enumeration, "(5,10)");
    assert_string_equal(c->answer, "FIRSTAPPEARANCE");
    c = find_clue(p, "1", "down");
    assert_string_equal(c->enumeration, "(4-11)");
    scrape_puzzle_free(p);
    /* And a wrong answer is still caught against the spaced enumeration. */
    assert_null(parse_body("<p>Across</p><p>1 Unveiling trees (5, 10)</p><p>FIRST APPEARANCES</p>"
                           "<p>Down</p><p>1 Formalised union (4-11)</p><p>FOUR-DIMENSIONAL</p>", &err));
    tu_assert_contains(err.msg, "clue 1 across: answer FIRST APPEARANCES has 16 letters, enumeration (5,10)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_corpus_folders),
        cmocka_unit_test(test_fixture_layouts),
        cmocka_unit_test(test_real_pages_as_documented),
        cmocka_unit_test(test_fixture_metadata),
        cmocka_unit_test(test_bad_pages),
        cmocka_unit_test(test_linked_entries),
        cmocka_unit_test(test_enumeration_with_spaces),
    };
    return cmocka_run_group_tests_name("scrape/post", tests, NULL, NULL);
}
