/* test_dotenv.c - .env loading: syntax, precedence of the real environment, errors. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/dotenv.h"

static void test_values_and_quotes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, ".env");
    tu_write_file(path,
                  "# settings\n"
                  "\n"
                  "CB_T_PLAIN=data/x.db\n"
                  "export CB_T_EXPORTED = spaced value   # comment\n"
                  "CB_T_SINGLE='a # not a comment \\n'\n"
                  "CB_T_DOUBLE=\"line1\\nline2 \\\"q\\\"\"\r\n"
                  "CB_T_EMPTY=\n"
                  "CB_T_HASH=abc#def\n");
    struct err err = {{0}};
    assert_int_equal(dotenv_load(path, 0, &err), 0);
    assert_string_equal(getenv("CB_T_PLAIN"), "data/x.db");
    assert_string_equal(getenv("CB_T_EXPORTED"), "spaced value");
    assert_string_equal(getenv("CB_T_SINGLE"), "a # not a comment \\n");
    assert_string_equal(getenv("CB_T_DOUBLE"), "line1\nline2 \"q\"");
    assert_string_equal(getenv("CB_T_EMPTY"), "");
    assert_string_equal(getenv("CB_T_HASH"), "abc#def");
    tu_rmtree(dir);
    free(path);
    free(dir);
}

static void test_environment_wins(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, ".env");
    tu_write_file(path, "CB_T_WINS=from-file\n");
    setenv("CB_T_WINS", "from-shell", 1);
    struct err err = {{0}};
    assert_int_equal(dotenv_load(path, 0, &err), 0);
    assert_string_equal(getenv("CB_T_WINS"), "from-shell");
    tu_rmtree(dir);
    free(path);
    free(dir);
}

static void test_malformed_line_sets_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, ".env");
    tu_write_file(path, "CB_T_FIRST=1\nthis is not a setting\nCB_T_THIRD=3\n");
    struct err err = {{0}};
    assert_int_equal(dotenv_load(path, 0, &err), -1);
    tu_assert_contains(err.msg, "line 2");
    tu_assert_contains(err.msg, ".env");
    assert_null(getenv("CB_T_FIRST"));
    tu_write_file(path, "CB_T_Q=\"unterminated\n");
    assert_int_equal(dotenv_load(path, 0, &err), -1);
    tu_assert_contains(err.msg, "unterminated");
    tu_rmtree(dir);
    free(path);
    free(dir);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct err err = {{0}};
    assert_int_equal(dotenv_load("/nonexistent/.env", 1, &err), 0);
    assert_int_equal(dotenv_load("/nonexistent/.env", 0, &err), -1);
    tu_assert_contains(err.msg, "/nonexistent/.env");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_quotes),
        cmocka_unit_test(test_environment_wins),
        cmocka_unit_test(test_malformed_line_sets_nothing),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests_name("core/dotenv", tests, NULL, NULL);
}
