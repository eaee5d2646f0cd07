/*
 * lines.h - the text of a post body as a list of lines that keep the
 * structure a clue parser needs.
 *
 * Block elements, <br> and table cells end lines; white space is collapsed
 * (NBSP included) and lines are trimmed; empty lines are dropped. Each line
 * keeps which stretches were bold (b, strong, font-weight: bold) and
 * underlined (u, text-decoration: underline, class fts-definition): the
 * answer and the definitions are found by structure, never by colour.
 *
 * Tables are read row by row. In a row with a number cell and a clue cell
 * (a cell whose first line ends with an enumeration), the line emitted
 * first is "<number> <clue>", then the answer cell (kind
 * SCRAPE_LINE_ANSWER), then the rest of the clue cell, then the other
 * cells; so every layout reaches the clue parser in the same order:
 * caption and clue, answer, explanation. A column headed "Definition"
 * gives lines of kind SCRAPE_LINE_DEFINITION. The end of a table or of an
 * fts block, and <hr>, give a SCRAPE_LINE_BREAK line (no text).
 */
#ifndef CB_SCRAPE_LINES_H
#define CB_SCRAPE_LINES_H

#include <libxml/tree.h>
#include <stddef.h>

#include "core/err.h"

enum {
    SCRAPE_SPAN_BOLD = 1,
    SCRAPE_SPAN_UNDERLINE = 2,
};

struct scrape_span {
    size_t start, end; /* byte offsets into the line's text */
    unsigned flags;
};

enum scrape_line_kind {
    SCRAPE_LINE_TEXT = 0,
    SCRAPE_LINE_ANSWER,     /* a table's answer cell */
    SCRAPE_LINE_DEFINITION, /* a table's "Definition" column */
    SCRAPE_LINE_BREAK,      /* the end of a table / fts block, or <hr> */
};

struct scrape_line {
    char *text;                 /* UTF-8, trimmed, NUL-terminated; "" for a break */
    struct scrape_span *spans;  /* styled stretches, in order, not overlapping */
    size_t nspans;
    enum scrape_line_kind kind;
};

struct scrape_lines {
    struct scrape_line *items;
    size_t n, cap;
};

/* Appends the lines of node's subtree to out. */
int scrape_lines_from_node(xmlNode *node, struct scrape_lines *out, struct err *err);

void scrape_lines_free(struct scrape_lines *lines);

#endif
