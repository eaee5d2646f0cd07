/* cmd_extract.c - `cryptic-bench extract`: one reply on stdin to its answer;
 * with --explain, first the candidates and why each was kept or dropped. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
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
    int explain = 0;
    for (int i = 0; i < argc;) {
        int taken;
        if (strcmp(argv[i], "--explain") == 0) {
            explain = 1;
            i++;
            continue;
        }
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
    struct eval_explain *why = explain ? calloc(1, sizeof *why) : NULL;
    if (explain && !why) {
        buf_free(&reply);
        return cli_fail(cmd, "out of memory");
    }
    eval_extract_explained(reply.data ? reply.data : "", enumeration, &x, why);
    buf_free(&reply);
    if (why) {
        printf("%d non-empty lines", why->lines);
        if (why->cut_line)
            printf("; from line %d on the reply runs on into other clues and is ignored", why->cut_line);
        printf("\n%d candidate%s%s\n", why->n_total, why->n_total == 1 ? "" : "s", why->n_total ? ":" : "");
        for (int k = 0; k < why->n; k++)
            printf("  line %-4d %-12s %-24s %s\n", why->items[k].line, eval_rule_name(why->items[k].kind),
                   why->items[k].text, eval_drop_name(why->items[k].drop));
        if (why->n < why->n_total)
            printf("  ... %d more\n", why->n_total - why->n);
        printf("rule: %s (%s)\n", eval_rule_name(x.rule), eval_rule_describe(x.rule));
        free(why);
    }
    json_t *o = json_object();
    json_object_set_new(o, "answer", x.found ? json_string(x.answer) : json_null());
    json_object_set_new(o, "rule", json_string(eval_rule_name(x.rule)));
    json_object_set_new(o, "method", json_string(eval_rule_describe(x.rule)));
    json_object_set_new(o, "correct", expected ? json_boolean(x.found && eval_check(x.answer, expected))
                                               : json_null());
    json_dumpf(o, stdout, JSON_COMPACT);
    printf("\n");
    json_decref(o);
    return CLI_OK;
}
