/* prompt.c - the benchmark protocol, version 1; see prompt.h. */
#include "eval/prompt.h"

#include <stdio.h>
#include <stdlib.h>

const char *const eval_prompt_system =
    "You are solving cryptic crossword clues. For each clue, provide ONLY the answer - no "
    "explanation, no punctuation, just the word(s). If the answer is multiple words, separate them "
    "with spaces.";

char *eval_prompt_user(const char *clue, const char *enumeration)
{
    const char *fmt = "Solve this cryptic crossword clue:\n\n\"%s\" %s\n\nAnswer:";
    int n = snprintf(NULL, 0, fmt, clue, enumeration);
    if (n < 0)
        return NULL;
    char *out = malloc((size_t)n + 1);
    if (out)
        snprintf(out, (size_t)n + 1, fmt, clue, enumeration);
    return out;
}
