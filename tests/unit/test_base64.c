/* test_base64.c - base64 as libSQL's wire format uses it: padded out,
 * padded or unpadded in, bad text refused. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/base64.h"

static void test_round_trips_every_length(void **state)
{
    (void)state;
    unsigned char data[70];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof data; n++) {
        char *text = base64_encode(data, n);
        assert_non_null(text);
        assert_int_equal(strlen(text), 4 * ((n + 2) / 3));
        unsigned char *back = NULL;
        size_t len = 0;
        assert_int_equal(base64_decode(text, &back, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(back, data, n);
        free(back);
        /* The same without its padding, as sqld sends it. */
        char *eq = strchr(text, '=');
        if (eq)
            *eq = '\0';
        assert_int_equal(base64_decode(text, &back, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(back, data, n);
        free(back);
        free(text);
    }
}

static void test_known_values_and_bad_text(void **state)
{
    (void)state;
    static const unsigned char bytes[] = {0, 1, 2, 255};
    char *text = base64_encode(bytes, 4);
    assert_string_equal(text, "AAEC/w==");
    free(text);
    unsigned char *out = NULL;
    size_t len = 0;
    assert_int_equal(base64_decode("AAEC/w", &out, &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(out, bytes, 4);
    free(out);
    assert_int_equal(base64_decode("A", &out, &len), -1);
    assert_int_equal(base64_decode("AA!C", &out, &len), -1);
    assert_int_equal(base64_decode("", &out, &len), 0);
    assert_int_equal(len, 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips_every_length),
        cmocka_unit_test(test_known_values_and_bad_text),
    };
    return cmocka_run_group_tests_name("core/base64", tests, NULL, NULL);
}
