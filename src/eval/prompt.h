/*
 * prompt.h - the benchmark protocol (DESIGN §9), version 1: the published
 * prompt of the old benchmark, unchanged, so results stay comparable.
 */
#ifndef CB_EVAL_PROMPT_H
#define CB_EVAL_PROMPT_H

#include <stddef.h>

#define EVAL_PROMPT_VERSION 1

extern const char *const eval_prompt_system;

/* Writes the user message for a clue: "Solve this cryptic crossword
 * clue:\n\n\"<clue>\" <enumeration>\n\nAnswer:". Returns a malloc'd string
 * the caller frees, or NULL if memory runs out. */
char *eval_prompt_user(const char *clue, const char *enumeration);

#endif
