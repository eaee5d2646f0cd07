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
    int linked[8];        /* the other lights its answer runs on, that its caption does not
                             name: 18 for a clue captioned "13" whose answer fills 13 and 18
                             (set by scrape_links_resolve, see links.h) */
    int nlinked;
};

/* A continuation entry: "18 See 13" names 18 as part of 13's answer. */
struct scrape_continuation {
    int numbers[8]; /* the entry's own numbers (18) */
    int nnumbers;
    int target;     /* the clue it points to (13); 0 when unreadable */
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
    struct scrape_continuation *continuations; /* "24 See 1" lines, in page order */
    size_t ncontinuations;
};

void scrape_puzzle_free(struct scrape_puzzle *p);

/* Checks the rules; on the first broken one fails with a reason naming the
 * clue ("clue 14 down: answer PIRANHA has 7 letters, enumeration (6)"):
 * at least one clue; every clue has an answer whose letter count is its
 * enumeration's; across and down both present; no clue twice; the clue
 * numbers, with those of continuation entries and of the lights linked to
 * a clue (links.h), cover 1..N with no gap: a gap the post does not
 * explain as a linked entry means a truncated page, and fails here. With
 * require_identity, series, number and date must be known too (what
 * `scrape` needs to store it). */
int scrape_puzzle_validate(const struct scrape_puzzle *p, int require_identity, struct err *err);

/* {series, number, setter, date, title, url, clues: [{number, direction,
 * text, enumeration, answer, display_answer, explanation, definitions,
 * linked}]}, unknown values as null; linked is scrape_clue_linked() or
 * null. A new reference. */
json_t *scrape_puzzle_to_json(const struct scrape_puzzle *p);

/* Every light of a linked clue's answer, its caption's numbers then the
 * linked ones, joined by "/" ("13/18", "2/6") into out (size bytes); ""
 * when the answer fills one light. Returns out. */
char *scrape_clue_linked(const struct scrape_clue *c, char *out, size_t size);

#endif
