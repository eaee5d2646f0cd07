/*
 * title.h - the series, puzzle number and setter in a post's title.
 *
 * Fifteensquared titles are written by hand and vary: "Guardian 29,890 –
 * Ramsay", "Guardian 29,971: Yank", "Guardian Cryptic crossword No 29,889 by
 * Omnibus", "Guardian Prize Prize crossword No 29,924 by Tramp", "Guardian
 * Quiptic 1,357/Hectence", "Guardian 29,968 / Maskarade", "Guardian Cryptic
 * 29970 Brummie", "Independent on Sunday 1888 Filbert", "Financial Times
 * 17,727 by Bobcat". The reading is: series words, filler words ("Cryptic",
 * "crossword", "No"), the number (thousands written with "," or "."), a
 * separator ("–", ":", "/", "by", ...), the setter.
 */
#ifndef CB_SCRAPE_TITLE_H
#define CB_SCRAPE_TITLE_H

#include <stdint.h>

struct scrape_title {
    const char *series; /* static string, e.g. "guardian-prize"; NULL if unknown */
    int64_t number;     /* 0 if none */
    char setter[128];   /* "" if none */
};

/* Reads title (entities already decoded). Returns 0 when a series and a
 * number were found, -1 otherwise (out holds what was found). */
int scrape_title_parse(const char *title, struct scrape_title *out);

/* Validates a --series name; returns the static name or NULL. */
const char *scrape_series_name(const char *name);

/* The names of every known series, NULL-terminated. */
extern const char *const scrape_series_names[];

#endif
