/* test_models_file.c - models.json: the repo's list, defaults, and every way
 * a hand-edited file goes wrong (including a secret written into it). */
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/models_file.h"

static char *scratch;

static int setup(void **state)
{
    (void)state;
    scratch = tu_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(scratch);
    free(scratch);
    return 0;
}

/* Loads text as a models file; returns the status, the error in err. */
static int load_text(const char *text, struct store_model_list *list, struct err *err)
{
    char *path = tu_path(scratch, "models.json");
    tu_write_file(path, text);
    int rc = models_file_load(path, list, err);
    free(path);
    return rc;
}

static void expect_error(const char *text, const char *needle)
{
    struct store_model_list list = {0};
    struct err err = {{0}};
    if (load_text(text, &list, &err) == 0)
        fail_msg("expected an error containing \"%s\" for %s", needle, text);
    tu_assert_contains(err.msg, needle);
    assert_int_equal(list.n, 0);
    assert_null(list.items);
}

static void test_repo_models_json(void **state)
{
    (void)state;
    const char *path = getenv("CB_MODELS_JSON");
    assert_non_null(path);
    struct store_model_list list = {0};
    struct err err = {{0}};
    if (models_file_load(path, &list, &err) != 0)
        fail_msg("%s", err.msg);
    static const char *const ids[] = {
        "anthropic/claude-opus-4.5", "anthropic/claude-sonnet-4.5", "anthropic/claude-haiku-4.5",
        "google/gemini-3-flash-preview", "openai/gpt-5.2", "x-ai/grok-4.1-fast",
        "deepseek/deepseek-v3.2", "qwen/qwen3-max", "mistralai/mistral-large-2512",
        "meta-llama/llama-3.3-70b-instruct", "minimax/minimax-m2.1"};
    assert_int_equal(list.n, 11);
    for (size_t i = 0; i < 11; i++) {
        assert_string_equal(list.items[i].openrouter_id, ids[i]);
        assert_true(list.items[i].is_active);
        json_t *options = json_loads(list.items[i].options, 0, NULL);
        assert_non_null(options);
        assert_true(json_integer_value(json_object_get(options, "max_tokens")) > 0);
        assert_non_null(json_object_get(options, "min_interval_ms"));
        json_decref(options);
    }
    assert_string_equal(list.items[0].display_name, "Claude Opus 4.5");
    assert_string_equal(list.items[5].provider, "xai");
    store_model_list_free(&list);
}

static void test_defaults_and_options(void **state)
{
    (void)state;
    struct store_model_list list = {0};
    struct err err = {{0}};
    int rc = load_text("{\"defaults\": {\"max_tokens\": 700, \"min_interval_ms\": 250},\n"
                       " \"models\": [\n"
                       "  {\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\"},\n"
                       "  {\"id\": \"local/llama\", \"provider\": \"local\", \"display_name\": \"Local\",\n"
                       "   \"max_tokens\": 64, \"extra\": {\"reasoning\": {\"max_tokens\": 32}},\n"
                       "   \"base_url\": \"http://127.0.0.1:8000/v1\", \"api_key_env\": \"LOCAL_KEY\"}]}",
                       &list, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(list.n, 2);
    assert_string_equal(list.items[0].model_name, "X"); /* defaults to the display name */
    assert_string_equal(list.items[0].options, "{\"max_tokens\":700,\"min_interval_ms\":250}");
    assert_string_equal(list.items[1].options,
                        "{\"api_key_env\":\"LOCAL_KEY\",\"base_url\":\"http://127.0.0.1:8000/v1\","
                        "\"extra\":{\"reasoning\":{\"max_tokens\":32}},\"max_tokens\":64,"
                        "\"min_interval_ms\":250}");
    store_model_list_free(&list);
}

static void test_malformed_files(void **state)
{
    (void)state;
    expect_error("{\"models\": [\n  {\"id\": \"a/x\" \"provider\": \"a\"}\n]}", "line 2");
    expect_error("[]", "expected an object with a \"models\" list");
    expect_error("{\"models\": []}", "non-empty list");
    expect_error("{\"modles\": []}", "unknown field \"modles\"");
    expect_error("{\"models\": [42]}", "entry 1: expected an object, got an integer");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\"}]}",
                 "entry 1 (a/x): field \"display_name\" is missing");
    expect_error("{\"models\": [{\"id\": \"claude\", \"provider\": \"a\", \"display_name\": \"C\"}]}",
                 "not a model id");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"max_tokens\": \"500\"}]}",
                 "field \"max_tokens\": expected an integer, got a string");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"max_tokens\": 0}]}",
                 "\"max_tokens\" is 0");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"maxtokens\": 10}]}",
                 "unknown field \"maxtokens\"");
    /* A typo that ends like a key name is still a typo, with the known fields. */
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"max_token\": 500}]}",
                 "unknown field \"max_token\" (known: id, provider, model_name, display_name, max_tokens");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"max_token\": \"500\"}]}",
                 "unknown field \"max_token\"");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\"},"
                 "{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"Y\"}]}",
                 "listed twice (entries 1 and 2)");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"base_url\": \"ftp://h\"}]}",
                 "must start with http:// or https://");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"extra\": [1]}]}",
                 "expected an object of request fields");
}

static void test_literal_keys_are_refused(void **state)
{
    (void)state;
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"api_key\": \"abc123\"}]}",
                 "field \"api_key\" would put a secret in a file");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"base_url\": \"http://127.0.0.1:9/v1\", \"api_key_env\": \"sk-or-v1-0123456789abcdef\"}]}",
                 "looks like a literal API key");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"base_url\": \"http://127.0.0.1:9/v1\", \"api_key_env\": \"my key=123\"}]}",
                 "must be the NAME of an environment variable");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"extra\": {\"headers\": {\"Authorization\": \"Bearer abc\"}}}]}",
                 "extra.headers.Authorization");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"extra\": {\"provider\": {\"order\": [\"sk-ant-api03-abc\"]}}}]}",
                 "looks like a literal API key");
    expect_error("{\"models\": [{\"id\": \"a/x\", \"provider\": \"a\", \"display_name\": \"X\", "
                 "\"openrouter_token\": \"x\"}]}",
                 "would put a secret in a file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repo_models_json),
        cmocka_unit_test_setup_teardown(test_defaults_and_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_literal_keys_are_refused, setup, teardown),
    };
    return cmocka_run_group_tests_name("cli/models_file", tests, NULL, NULL);
}
