/*
 * text.h - reading the parts of a clue entry out of plain text.
 *
 * These work on text already taken out of the HTML (never on markup):
 * the caption that starts a clue line ("1.", "12", "1,24", "5/14", "9a"),
 * the enumeration that ends it ("(5,10)", "(4-11)", "(3,2,8)"), and an answer
 * written in capitals ("FIRST APPEARANCE", "SCI-FI", "I'D").
 */
#ifndef CB_SCRAPE_TEXT_H
#define CB_SCRAPE_TEXT_H

#include <stddef.h>

#define SCRAPE_CAPTION_MAX_NUMBERS 8

struct scrape_caption {
    char number[48];   /* as printed, without direction letters or spaces: "1", "1,24", "5/14" */
    int numbers[SCRAPE_CAPTION_MAX_NUMBERS]; /* every grid number it names */
    int nnumbers;
    char direction;    /* 'a' or 'd' when the caption says so ("9a", "1D"), else 0 */
};

/* Reads a caption at the start of s. In line mode (whole_cell = 0) the
 * caption must be followed by optional "." / ":" / ")" and white space,
 * and a direction is only read when attached ("9a", "12dn"). With
 * whole_cell = 1 the caption must be all of s (a table's number cell), and
 * "12 across" is understood too. Returns the bytes consumed (including the
 * separator and the white space after it), 0 when there is no caption. */
size_t scrape_caption_parse(const char *s, int whole_cell, struct scrape_caption *out);

/* Finds an enumeration at the very end of s (trailing white space
 * allowed): "(", digits separated by ",", "-", "–", "'", ".", " ", ")".
 * Returns 1 and sets *start (offset of "(") and *letters (the sum of the
 * numbers), or 0. */
int scrape_enumeration_at_end(const char *s, size_t *start, int *letters);

/* The letter count an enumeration such as "(5,10)" stands for, or -1. */
int scrape_enumeration_letters(const char *enumeration);

/* Length in bytes of the answer written in capitals at the start of s:
 * words of capital letters, hyphens and apostrophes separated by single
 * spaces, stopping at the first word that is not (a lower-case word, ":",
 * "–", "(" ...). Trailing spaces are not counted. 0 when s does not start
 * with such a word. */
size_t scrape_answer_prefix(const char *s);

/* Writes the letters A-Z of display (upper-cased; accents on Latin
 * letters dropped) into out (size bytes incl. NUL). Returns their count. */
size_t scrape_answer_letters(const char *display, char *out, size_t size);

/* 1 when s (trimmed, case-insensitive, optional trailing ":") is a
 * direction heading; sets *direction to 'a' or 'd'. */
int scrape_heading(const char *s, char *direction);

#endif
