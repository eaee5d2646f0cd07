/* cmd_extract.c - `cryptic-bench extract`: one reply on stdin to its answer. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/letters.h"
#include "eval/extract.h"

#define REPLY_MAX_BYTES (1024 * 1024)

int cmd_extract(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    (void)ctx;
    const char *enumeration = NULL, *expected = NULL;
    for (int i = 0; i < argc;) {
        int taken;
        if ((taken = cli_take_value(argc, argv, &i, "--enumeration", &enumeration)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--answer", &expected)) != 0) {
            if (taken < 0)
                return cli_usage_error(cmd, "%s needs a value", argv[i]);
            continue;
        }
        return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
    }
    if (!enumeration)
        return cli_usage_error(cmd, "--enumeration is required, e.g. --enumeration \"(4,5)\"");
    if (letters_enumeration_total(enumeration) < 0)
        return cli_usage_error(cmd, "--enumeration \"%s\" is not an enumeration such as (4,5)",
                               enumeration);
    struct buf reply;
    struct err err = {{0}};
    buf_init(&reply, REPLY_MAX_BYTES);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (buf_append(&reply, chunk, n, &err) < 0) {
            buf_free(&reply);
            return cli_fail(cmd, "the reply on standard input is larger than 1 MB");
        }
    }
    struct eval_extraction x;
    eval_extract(reply.data ? reply.data : "", enumeration, &x);
    buf_free(&reply);
    json_t *o = json_object();
    json_object_set_new(o, "answer", x.found ? json_string(x.answer) : json_null());
    json_object_set_new(o, "method", json_string(x.method));
    json_object_set_new(o, "correct", expected ? json_boolean(x.found && eval_check(x.answer, expected))
                                               : json_null());
    json_dumpf(o, stdout, JSON_COMPACT);
    printf("\n");
    json_decref(o);
    return CLI_OK;
}
