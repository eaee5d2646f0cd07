/*
 * clues.h - reading clue entries from the lines of a post body.
 *
 * One reader for every layout (lines.h puts them all in one order): a
 * heading line ("Across", "DOWN") sets the direction; a line that starts
 * with a caption and ends with an enumeration starts a clue; the next line
 * gives the answer (a table's answer cell, a bold stretch at its start, or
 * capitals at its start), the rest of it and the lines after it are the
 * explanation, until the next clue, heading or block end. A line that
 * starts with a caption followed by "See N" is a continuation entry of a
 * linked clue: its numbers count for coverage, it is not a clue.
 * Definitions are the underlined stretches of the clue (or a table's
 * Definition column).
 */
#ifndef CB_SCRAPE_CLUES_H
#define CB_SCRAPE_CLUES_H

#include "core/err.h"
#include "scrape/lines.h"
#include "scrape/puzzle.h"

/* Adds the clues (and continuation numbers) found in lines to p. */
int scrape_clues_read(const struct scrape_lines *lines, struct scrape_puzzle *p, struct err *err);

#endif
