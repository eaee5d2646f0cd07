/*
 * extract.h - the answer a model finally committed to, out of its reply.
 *
 * Models do not always answer with one bare word: they reason aloud, quote
 * the clue and its anagram fodder, spell words out, try candidates, revise
 * ("Wait, let me reconsider"), mark the answer ("The answer is X",
 * "Answer: X", **X**, "# X"), trail notes after it, or run on into a
 * made-up transcript of other clues. The old benchmark took the first line
 * and so scored reasoned correct answers 0. The rules, in order:
 *
 *  1. Only what answers this clue counts: the reply is cut where it runs on
 *     into other clues (the prompt's own words again, a quoted clue with
 *     its enumeration after an answer, a numbered list of clues, "+++++").
 *  2. Commitments are found line by line: an answer marker ("the answer
 *     is", "answer:", "final answer", "I'll go with", "X is the answer";
 *     the answer may be on the next line), \boxed{X}, a commitment in a
 *     sentence ("I believe it's X", "I'm going with X", "That gives X",
 *     "No, X is right", "X it is", "So X after all", "X? Yes!"; the
 *     impersonal ones must fit the enumeration in a longer reply, and a
 *     hedge before them, "maybe it's X", makes them none), a line that is
 *     all bold or a heading, a last line deriving the answer ("OIL + CLOT
 *     + H = OILCLOTH", fitting), and bare answer lines (the whole reply when it is one line;
 *     the first line; the final line; a line in capitals between; "So: X",
 *     "-> X", "X fits" count as the last kind; a one-line sentence, "I'm not
 *     sure.", is none). Quoted words, bullets, spellings
 *     (G-A-R-L-I-C) and prose after a marker ("the answer is an anagram of
 *     garlic oil") are never commitments. "X or Y" commits only when
 *     exactly one fits the enumeration.
 *  3. A commitment taken back in the same breath ("X (no, that's 10)",
 *     "X? No", "X - but that's only 8 letters") does not count.
 *  4. Bare lines are weaker than explicit commitments: the first line of a
 *     longer reply counts when it fits the enumeration (else it is a
 *     fragment of reasoning, like a component word) or only notes follow
 *     it; a capitals line between the first and the last counts when it
 *     fits the enumeration, is not introduced as material ("Anagram of:"),
 *     and does not sit in the explanation after an explicit answer.
 *  5. The last commitment wins: reasoning replies answer last, and what
 *     they wrote before was fodder, components or candidates tried.
 *  6. If a strong revision ("Wait", "Hmm", "No,", "Let me reconsider",
 *     "that's not a word") comes after the winning commitment, the reply
 *     never settled: no answer, never a guess. So is a reply that never
 *     commits at all. A check or confirmation ("Wait, let me
 *     double-check", "Hmm, that works") withdraws nothing.
 *
 * The enumeration only decides fit (rules 2 and 4): an explicit answer of
 * the wrong length is still the model's answer and is scored wrong.
 */
#ifndef CB_EVAL_EXTRACT_H
#define CB_EVAL_EXTRACT_H

#include <stddef.h>

#define EVAL_ANSWER_MAX 128

/* The rule that decided an extraction; stored with each evaluation
 * (evaluations.extract_rule) under eval_rule_name(). */
enum eval_rule {
    EVAL_RULE_NONE = 0,      /* "none": the reply never commits */
    EVAL_RULE_EMPTY,         /* "empty": nothing but white space */
    EVAL_RULE_WITHDRAWN,     /* "withdrawn": it ends in an unresolved revision */
    EVAL_RULE_WHOLE_REPLY,   /* "whole-reply": a one-line reply that is an answer */
    EVAL_RULE_ARROW,         /* "arrow": one line "wordplay -> ANSWER" */
    EVAL_RULE_FIRST_LINE,    /* "first-line": the answer first, then notes */
    EVAL_RULE_FINAL_LINE,    /* "final-line": a bare answer line ends the reply */
    EVAL_RULE_BARE_LINE,     /* "bare-line": a capitals line fitting the enumeration */
    EVAL_RULE_ANSWER_IS,     /* "answer-is": an answer marker */
    EVAL_RULE_BOLD,          /* "bold": a line all in bold */
    EVAL_RULE_HEADING,       /* "heading": a markdown heading */
    EVAL_RULE_REVISION,      /* "revision": the commitment after the reply revised an earlier one */
    EVAL_RULE_SENTENCE,      /* "sentence": a commitment in a sentence ("it's X", "No, X is right", \boxed{X}) */
    EVAL_RULE_COUNT
};

/* Why a candidate was dropped (EVAL_KEPT: it was not). */
enum eval_drop {
    EVAL_KEPT = 0,
    EVAL_DROP_RETRACTED,     /* taken back in the same breath */
    EVAL_DROP_QUESTION,      /* asked, not answered: "X?" */
    EVAL_DROP_PROSE,         /* words after a marker that are prose, not an answer */
    EVAL_DROP_HEDGE,         /* "X or Y" with not exactly one fitting */
    EVAL_DROP_MATERIAL,      /* introduced as material: fodder, letters */
    EVAL_DROP_NO_FIT,        /* a bare line in the reasoning that does not fit */
    EVAL_DROP_EXPLANATION,   /* a bare line in the explanation after an explicit answer */
    EVAL_DROP_SUPERSEDED,    /* a later commitment replaces it */
    EVAL_DROP_WITHDRAWN,     /* a later revision withdrew it and nothing followed */
    EVAL_DROP_COUNT
};

/* One candidate met on the way, for `extract --explain`. */
struct eval_candidate {
    int line;                      /* 1-based line of the reply */
    enum eval_rule kind;           /* how it was found: one of the non-none rules but revision */
    enum eval_drop drop;
    char text[EVAL_ANSWER_MAX];
};

#define EVAL_EXPLAIN_MAX 64

/* What eval_extract_explained() saw: the first EVAL_EXPLAIN_MAX candidates
 * (n_total counts them all) and where the reply was cut. */
struct eval_explain {
    struct eval_candidate items[EVAL_EXPLAIN_MAX];
    int n, n_total;
    int lines;                     /* non-empty lines of the reply */
    int cut_line;                  /* 1-based line where other clues begin; 0: not cut */
};

struct eval_extraction {
    int found;                     /* 1 when the reply committed to an answer */
    char answer[EVAL_ANSWER_MAX];  /* upper-cased, markup removed ("HALF HITCH"); "" if none */
    enum eval_rule rule;           /* the rule that decided */
};

/* Extracts the committed answer from reply (NULL is an empty reply);
 * enumeration (may be NULL: nothing fits) decides which bare lines and
 * alternatives fit. Never fails: no answer is a result. */
void eval_extract(const char *reply, const char *enumeration, struct eval_extraction *out);

/* The same, also filling *why (may be NULL) with the candidates. */
void eval_extract_explained(const char *reply, const char *enumeration, struct eval_extraction *out,
                            struct eval_explain *why);

/* Stable names, as stored and printed: "answer-is", "final-line", ... */
const char *eval_rule_name(enum eval_rule rule);
/* A sentence for people: "the last commitment after the reply revised itself". */
const char *eval_rule_describe(enum eval_rule rule);
const char *eval_drop_name(enum eval_drop drop);

/* 1 when the answer's letters A-Z equal the expected answer's (DESIGN §9). */
int eval_check(const char *answer, const char *expected);

#endif
