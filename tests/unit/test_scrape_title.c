/* test_scrape_title.c - every post-title form in tests/fixtures/titles.tsv. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "scrape/title.h"

static void test_title_forms(void **state)
{
    (void)state;
    char *path = tu_path(getenv("CB_FIXTURES"), "titles.tsv");
    char *text = tu_read_file(path, NULL);
    int checked = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *fields[4] = {0};
        char *p = line;
        for (int i = 0; i < 4; i++) {
            fields[i] = p;
            p = strchr(p, '\t');
            if (!p && i < 3)
                fail_msg("titles.tsv: bad line \"%s\"", line);
            if (p)
                *p++ = '\0';
        }
        struct scrape_title t;
        int rc = scrape_title_parse(fields[0], &t);
        if (strcmp(fields[1], "-") == 0) {
            if (rc == 0)
                fail_msg("\"%s\": expected no series, got %s", fields[0], t.series);
        } else {
            if (rc != 0 || !t.series || strcmp(t.series, fields[1]) != 0)
                fail_msg("\"%s\": expected series %s, got %s", fields[0], fields[1],
                         t.series ? t.series : "none");
            assert_int_equal(t.number, atoll(fields[2]));
            const char *setter = strcmp(fields[3], "-") == 0 ? "" : fields[3];
            if (strcmp(t.setter, setter) != 0)
                fail_msg("\"%s\": expected setter \"%s\", got \"%s\"", fields[0], setter, t.setter);
        }
        checked++;
    }
    assert_true(checked >= 20);
    free(text);
    free(path);
}

static void test_series_names(void **state)
{
    (void)state;
    assert_non_null(scrape_series_name("guardian-prize"));
    assert_non_null(scrape_series_name("independent-on-sunday"));
    assert_null(scrape_series_name("guardian"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_title_forms),
        cmocka_unit_test(test_series_names),
    };
    return cmocka_run_group_tests_name("scrape/title", tests, NULL, NULL);
}
