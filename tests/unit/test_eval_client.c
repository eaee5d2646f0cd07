/* test_eval_client.c - error classes by status, key redaction, the prompt of protocol 1. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "eval/client.h"
#include "eval/prompt.h"

static void test_error_classes(void **state)
{
    (void)state;
    struct {
        long status;
        enum eval_error_class c;
    } cases[] = {
        {200, EVAL_OK}, {400, EVAL_CALL_FATAL}, {401, EVAL_RUN_FATAL}, {402, EVAL_RUN_FATAL},
        {403, EVAL_MODEL_FATAL}, {404, EVAL_MODEL_FATAL}, {408, EVAL_RETRIABLE}, {409, EVAL_CALL_FATAL},
        {413, EVAL_CALL_FATAL}, {422, EVAL_CALL_FATAL}, {429, EVAL_RETRIABLE}, {500, EVAL_RETRIABLE},
        {502, EVAL_RETRIABLE}, {503, EVAL_RETRIABLE}, {504, EVAL_RETRIABLE}, {0, EVAL_RETRIABLE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (eval_classify_status(cases[i].status) != cases[i].c)
            fail_msg("HTTP %ld: expected %s, got %s", cases[i].status, eval_error_class_name(cases[i].c),
                     eval_error_class_name(eval_classify_status(cases[i].status)));
}

static void test_redaction(void **state)
{
    (void)state;
    char msg[256] = "HTTP 401: bad key sk-or-v1-abcdef123456 (sent sk-or-v1-abcdef123456)";
    eval_redact(msg, sizeof msg, "sk-or-v1-abcdef123456");
    assert_string_equal(msg, "HTTP 401: bad key [redacted] (sent [redacted])");
    char tiny[16] = "key=abcdefghij";
    eval_redact(tiny, sizeof tiny, "abcdefghij");
    assert_null(strstr(tiny, "abcdefghij"));
    char untouched[32] = "no key here";
    eval_redact(untouched, sizeof untouched, NULL);
    assert_string_equal(untouched, "no key here");
}

static void test_prompt_version_1(void **state)
{
    (void)state;
    assert_int_equal(EVAL_PROMPT_VERSION, 1);
    assert_string_equal(eval_prompt_system,
                        "You are solving cryptic crossword clues. For each clue, provide ONLY the answer - no "
                        "explanation, no punctuation, just the word(s). If the answer is multiple words, "
                        "separate them with spaces.");
    char *user = eval_prompt_user("Policeman's undercover operation", "(5)");
    assert_string_equal(user, "Solve this cryptic crossword clue:\n\n\"Policeman's undercover operation\" (5)\n\nAnswer:");
    free(user);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_classes),
        cmocka_unit_test(test_redaction),
        cmocka_unit_test(test_prompt_version_1),
    };
    return cmocka_run_group_tests_name("eval/client", tests, NULL, NULL);
}
