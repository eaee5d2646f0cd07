/* test_buf.c - bounded buffers: growth, the cap, ownership hand-over, files. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static void test_append_and_printf(void **state)
{
    (void)state;
    struct buf b;
    struct err err = {{0}};
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_printf(&b, &err, "%d,", i), 0);
    assert_int_equal(b.len, strlen(b.data));
    assert_memory_equal(b.data, "0,1,2,", 6);
    tu_assert_contains(b.data, "998,999,");
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    buf_free(&b);
}

static void test_cap_is_an_error_and_leaves_content(void **state)
{
    (void)state;
    struct buf b;
    struct err err = {{0}};
    buf_init(&b, 8);
    assert_int_equal(buf_append_str(&b, "12345", &err), 0);
    assert_int_equal(buf_append_str(&b, "6789", &err), -1);
    tu_assert_contains(err.msg, "limit of 8 bytes");
    assert_string_equal(b.data, "12345");
    assert_int_equal(buf_append_str(&b, "678", &err), 0);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(buf_printf(&b, &err, "%s", "x"), -1);
    assert_string_equal(b.data, "12345678");
    buf_free(&b);
}

static void test_take_transfers_ownership(void **state)
{
    (void)state;
    struct buf b;
    struct err err = {{0}};
    buf_init(&b, 100);
    char *empty = buf_take(&b);
    assert_string_equal(empty, "");
    free(empty);
    assert_int_equal(buf_append(&b, "a\0b", 3, &err), 0);
    assert_int_equal(b.len, 3);
    char *p = buf_take(&b);
    assert_memory_equal(p, "a\0b", 4);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(p);
    buf_free(&b);
}

static void test_read_file_respects_cap(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, "f.txt");
    tu_write_file(path, "hello, world");
    struct buf b;
    struct err err = {{0}};
    buf_init(&b, 5);
    assert_int_equal(buf_read_file(&b, path, &err), -1);
    tu_assert_contains(err.msg, path);
    tu_assert_contains(err.msg, "limit of 5 bytes");
    buf_free(&b);
    buf_init(&b, 100);
    assert_int_equal(buf_read_file(&b, path, &err), 0);
    assert_string_equal(b.data, "hello, world");
    buf_free(&b);
    char *missing = tu_path(dir, "missing.txt");
    assert_int_equal(buf_read_file(&b, missing, &err), -1);
    tu_assert_contains(err.msg, "No such file");
    free(missing);
    tu_rmtree(dir);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_printf),
        cmocka_unit_test(test_cap_is_an_error_and_leaves_content),
        cmocka_unit_test(test_take_transfers_ownership),
        cmocka_unit_test(test_read_file_respects_cap),
    };
    return cmocka_run_group_tests_name("core/buf", tests, NULL, NULL);
}
