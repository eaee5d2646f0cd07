/*
 * fuzz_extract.c - libFuzzer harness for answer extraction, which reads
 * model replies (outside input): any bytes in, no crash, no leak, no
 * undefined behaviour, and the result is consistent with its rule. An
 * input opening with an enumeration line ("(4,5)\n") uses it; else (9).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *enumeration = "(9)", *reply = text;
    char *nl = strchr(text, '\n');
    if (text[0] == '(' && nl && nl - text < 32) {
        *nl = '\0';
        enumeration = text;
        reply = nl + 1;
    }
    struct eval_extraction x;
    struct eval_explain *why = malloc(sizeof *why);
    if (!why) {
        free(text);
        return 0;
    }
    eval_extract_explained(reply, enumeration, &x, why);
    int none = x.rule == EVAL_RULE_NONE || x.rule == EVAL_RULE_EMPTY || x.rule == EVAL_RULE_WITHDRAWN;
    if (x.found == none || (x.found && !x.answer[0]) || strlen(x.answer) >= EVAL_ANSWER_MAX ||
        why->n > EVAL_EXPLAIN_MAX || why->n > why->n_total || x.rule < 0 || x.rule >= EVAL_RULE_COUNT)
        abort();
    for (int k = 0; k < why->n; k++)
        if (!eval_drop_name(why->items[k].drop) || why->items[k].line < 1)
            abort();
    eval_check(x.answer, "CIGARILLO");
    free(why);
    free(text);
    return 0;
}
