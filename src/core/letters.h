/*
 * letters.h - the letters of an answer, as the benchmark compares them.
 *
 * Answers are compared as their letters A-Z only, upper-cased, with the
 * accents of Latin letters dropped: "four-dimensional", "FOUR DIMENSIONAL"
 * and "Four‑Dimensional" are the same answer (DESIGN §9).
 */
#ifndef CB_CORE_LETTERS_H
#define CB_CORE_LETTERS_H

#include <stddef.h>

/* Writes the letters of text into out (size bytes incl. NUL; cut when too
 * small). Returns how many letters text has. */
size_t letters_az(const char *text, char *out, size_t size);

/* The letter count an enumeration such as "(5,10)", "(4-11)" or "(1'1)"
 * stands for, or -1 when it is not one. */
int letters_enumeration_total(const char *enumeration);

#endif
