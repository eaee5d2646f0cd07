/*
 * puzzle.h - a puzzle as read from a Fifteensquared post, and the rules a
 * puzzle must pass before it is stored.
 */
#ifndef CB_SCRAPE_PUZZLE_H
#define CB_SCRAPE_PUZZLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct scrape_clue {
    char *number;         /* as printed: "1", "1,24", "5/14" */
    char *direction;      /* "across" or "down" */
    char *text;           /* the clue without number and enumeration */
    char *enumeration;    /* as printed: "(5,10)" */
    char *answer;         /* letters A-Z only; NULL when none was found */
    char *display_answer; /* as shown: "FIRST APPEARANCE"; NULL when none */
    char *explanation;    /* the blogger's parsing, lines joined by "\n"; may be "" */
    char **definitions;   /* the underlined parts (two for a double definition) */
    size_t ndefinitions;
    int numbers[8];       /* grid numbers its caption names */
    int nnumbers;
};

struct scrape_puzzle {
    char *series;   /* "guardian-cryptic", ...; NULL when unknown */
    int64_t number; /* 0 when unknown */
    char *setter;   /* NULL when unknown */
    char *date;     /* "YYYY-MM-DD", the post's date; NULL when unknown */
    char *title;    /* the post's title; NULL when unknown */
    char *url;      /* NULL when unknown */
    struct scrape_clue *clues;
    size_t nclues;
    int *linked_numbers; /* numbers of continuation entries ("24 See 1") */
    size_t nlinked;
};

void scrape_puzzle_free(struct scrape_puzzle *p);

/* Checks the rules; on the first broken one fails with a reason naming the
 * clue ("clue 14 down: answer PIRANHA has 7 letters, enumeration (6)"):
 * at least one clue; every clue has an answer whose letter count is its
 * enumeration's; across and down both present; no clue twice; the clue
 * numbers, with those of continuation entries, cover 1..N with no gap (a
 * truncated page fails here). With require_identity, series, number and
 * date must be known too (what `scrape` needs to store it). */
int scrape_puzzle_validate(const struct scrape_puzzle *p, int require_identity, struct err *err);

/* {series, number, setter, date, title, url, clues: [{number, direction,
 * text, enumeration, answer, display_answer, explanation, definitions}]},
 * unknown values as null. A new reference. */
json_t *scrape_puzzle_to_json(const struct scrape_puzzle *p);

#endif
