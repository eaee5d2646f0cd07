/*
 * extract.h - the answer a model finally committed to, out of its reply.
 *
 * Models do not always answer with one bare word: they reason aloud, revise
 * ("Wait, let me reconsider"), mark the answer ("The answer is X",
 * "Answer: X", **X**, "# X"), or trail notes after it. The old benchmark
 * took the first line and so scored reasoned correct answers 0. The rules,
 * in order:
 *
 *  1. Commitments are found line by line: an answer marker ("the answer
 *     is", "final answer:", "answer:", "conclusion:", "I'll go with"), a
 *     line that is all bold or a heading, and bare answer lines (capitals,
 *     or the whole reply when it is one line). A commitment followed by a
 *     retraction in the same breath ("REPLETIONS (no, that's 10)") is not
 *     one. "X or Y" offers two: the one fitting the enumeration wins.
 *  2. If the reply revises itself after its first commitment (lines opening
 *     with "Wait", "Actually", "Hmm", "No,", "Let me reconsider", ...), the
 *     last commitment wins; if a revision comes after the last commitment,
 *     the reply never settled and there is no answer.
 *  3. Otherwise the first commitment wins: what follows it is explanation
 *     or junk, not an answer.
 *  4. No commitment at all (reasoning cut off, prose) is no answer, never a
 *     guess.
 */
#ifndef CB_EVAL_EXTRACT_H
#define CB_EVAL_EXTRACT_H

#include <stddef.h>

#define EVAL_ANSWER_MAX 128

struct eval_extraction {
    int found;                     /* 1 when the reply committed to an answer */
    char answer[EVAL_ANSWER_MAX];  /* as written, markup removed ("HALF HITCH"); "" if none */
    const char *method;            /* the rule that fired (static string) */
};

/* Extracts the committed answer from reply; enumeration (may be NULL) is
 * used only to choose between equal candidates. */
void eval_extract(const char *reply, const char *enumeration, struct eval_extraction *out);

/* 1 when the answer's letters A-Z equal the expected answer's (DESIGN §9). */
int eval_check(const char *answer, const char *expected);

#endif
