/* test_jsonx.c - JSON helpers: located parse errors, typed getters, canonical text. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"

static void test_parse_error_names_place(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, "x.json");
    tu_write_file(path, "{\n  \"a\": 1,\n  \"b\": [1, 2,]\n}\n");
    json_t *v = NULL;
    struct err err = {{0}};
    assert_int_equal(jsonx_load_file(path, 1024, &v, &err), -1);
    tu_assert_contains(err.msg, path);
    tu_assert_contains(err.msg, "line 3");
    tu_write_file(path, "{\"a\": 1, \"a\": 2}");
    assert_int_equal(jsonx_load_file(path, 1024, &v, &err), -1);
    tu_assert_contains(err.msg, "duplicate");
    tu_write_file(path, "[1,2,3,4,5,6,7,8,9,10]");
    assert_int_equal(jsonx_load_file(path, 8, &v, &err), -1);
    tu_assert_contains(err.msg, "limit of 8 bytes");
    tu_rmtree(dir);
    free(path);
    free(dir);
}

static void test_getters_check_types(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:s, s:i, s:b, s:n, s:s}", "name", "x", "count", 3, "on", 1, "none",
                          "num", "12");
    struct err err = {{0}};
    const char *s = "unchanged";
    int64_t i = -1;
    int b = -1;
    assert_int_equal(jsonx_get_string(o, "name", 1, &s, &err), 0);
    assert_string_equal(s, "x");
    assert_int_equal(jsonx_get_int(o, "count", 1, &i, &err), 0);
    assert_int_equal(i, 3);
    assert_int_equal(jsonx_get_bool(o, "on", 1, &b, &err), 0);
    assert_int_equal(b, 1);
    /* Absent or null: untouched when optional, an error when required. */
    s = "unchanged";
    assert_int_equal(jsonx_get_string(o, "none", 0, &s, &err), 0);
    assert_string_equal(s, "unchanged");
    assert_int_equal(jsonx_get_string(o, "missing", 1, &s, &err), -1);
    tu_assert_contains(err.msg, "\"missing\" is missing");
    assert_int_equal(jsonx_get_int(o, "num", 1, &i, &err), -1);
    tu_assert_contains(err.msg, "expected an integer, got a string");
    assert_int_equal(jsonx_get_string(o, "count", 1, &s, &err), -1);
    tu_assert_contains(err.msg, "expected a string, got an integer");
    json_decref(o);
}

static void test_check_keys(void **state)
{
    (void)state;
    static const char *const allowed[] = {"id", "name", NULL};
    json_t *o = json_pack("{s:i, s:i}", "id", 1, "nmae", 2);
    struct err err = {{0}};
    assert_int_equal(jsonx_check_keys(o, allowed, &err), -1);
    tu_assert_contains(err.msg, "unknown field \"nmae\"");
    tu_assert_contains(err.msg, "id, name");
    json_object_del(o, "nmae");
    assert_int_equal(jsonx_check_keys(o, allowed, &err), 0);
    json_decref(o);
}

static void test_canonical_text(void **state)
{
    (void)state;
    json_t *a = json_pack("{s:i, s:{s:s, s:i}}", "z", 1, "a", "y", "q", "b", 2);
    json_t *b = json_pack("{s:{s:i, s:s}, s:i}", "a", "b", 2, "y", "q", "z", 1);
    char *ta = jsonx_dumps_canonical(a), *tb = jsonx_dumps_canonical(b);
    assert_string_equal(ta, tb);
    assert_string_equal(ta, "{\"a\":{\"b\":2,\"y\":\"q\"},\"z\":1}");
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_error_names_place),
        cmocka_unit_test(test_getters_check_types),
        cmocka_unit_test(test_check_keys),
        cmocka_unit_test(test_canonical_text),
    };
    return cmocka_run_group_tests_name("core/jsonx", tests, NULL, NULL);
}
