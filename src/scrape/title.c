/* title.c - series, number and setter from a post title; see title.h. */
#include "scrape/title.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const scrape_series_names[] = {
    "guardian-cryptic", "guardian-prize", "guardian-quiptic", "guardian-genius", "everyman",
    "independent", "independent-on-sunday", "ft", "times", "azed", NULL,
};

/* Series by the words a title starts with; longest first. */
static const struct {
    const char *words;
    const char *series;
} prefixes[] = {
    {"guardian prize", "guardian-prize"},
    {"guardian quiptic", "guardian-quiptic"},
    {"guardian genius", "guardian-genius"},
    {"guardian cryptic", "guardian-cryptic"},
    {"guardian everyman", "everyman"},
    {"guardian", "guardian-cryptic"},
    {"observer everyman", "everyman"},
    {"everyman", "everyman"},
    {"observer azed", "azed"},
    {"azed", "azed"},
    {"independent on sunday", "independent-on-sunday"},
    {"inquisitor", NULL}, /* a puzzle we do not benchmark: known, so not mistaken for another */
    {"independent", "independent"},
    {"financial times", "ft"},
    {"ft", "ft"},
    {"the times", "times"},
    {"times", "times"},
};

const char *scrape_series_name(const char *name)
{
    for (const char *const *s = scrape_series_names; *s; s++)
        if (strcmp(*s, name) == 0)
            return *s;
    return NULL;
}

/* A copy with dashes made "-", NBSP made a space and runs of spaces single
 * (case kept: matching below ignores it). */
static void normalise(const char *in, char *out, size_t size)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)in;
    int space = 0;
    while (*p && n + 2 < size) {
        if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] >= 0x90 && p[2] <= 0x95)) {
            p += 3; /* hyphens and dashes U+2010..U+2015 */
            if (n && !space)
                out[n++] = ' ';
            out[n++] = '-';
            space = 0;
            continue;
        }
        if (p[0] == 0xc2 && p[1] == 0xa0) {
            p += 2;
            space = 1;
            continue;
        }
        if (isspace(*p)) {
            space = 1;
            p++;
            continue;
        }
        if (space && n)
            out[n++] = ' ';
        space = 0;
        out[n++] = (char)*p++;
    }
    out[n] = '\0';
}

static int word_at(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncasecmp(s, word, n) == 0 && !isalnum((unsigned char)s[n]);
}

int scrape_title_parse(const char *title, struct scrape_title *out)
{
    char norm[512];
    memset(out, 0, sizeof *out);
    normalise(title, norm, sizeof norm);
    /* The page's <title> ends with the blog's name. */
    size_t len = strlen(norm);
    static const char *const suffixes[] = {" - fifteensquared", " | fifteensquared", NULL};
    for (const char *const *s = suffixes; *s; s++) {
        size_t sl = strlen(*s);
        if (len > sl && strcasecmp(norm + len - sl, *s) == 0)
            norm[len -= sl] = '\0';
    }
    const char *p = norm;
    int known = 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        if (word_at(p, prefixes[i].words)) {
            out->series = prefixes[i].series;
            p += strlen(prefixes[i].words);
            known = 1;
            break;
        }
    }
    if (!known)
        return -1;
    /* Filler between the series and the number. */
    for (;;) {
        while (*p == ' ')
            p++;
        if (word_at(p, "prize") || word_at(p, "cryptic") || word_at(p, "crossword") ||
            word_at(p, "puzzle") || word_at(p, "number")) {
            while (isalpha((unsigned char)*p))
                p++;
        } else if (word_at(p, "no")) {
            p += 2;
            if (*p == '.')
                p++;
        } else if (*p == '#' || *p == '-' || *p == ':') {
            p++;
        } else {
            break;
        }
    }
    /* The number: digits, thousands separated by "," or ".". */
    if (!isdigit((unsigned char)*p))
        return -1;
    int64_t number = 0;
    int digits = 0;
    while (isdigit((unsigned char)*p) || ((*p == ',' || *p == '.') && isdigit((unsigned char)p[1]) &&
                                          isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) &&
                                          !isdigit((unsigned char)p[4]))) {
        if (isdigit((unsigned char)*p)) {
            number = number * 10 + (*p - '0');
            digits++;
        }
        p++;
        if (digits > 9)
            return -1;
    }
    out->number = number;
    /* The separator, then the setter as written in the original title. */
    while (*p == ' ' || *p == '-' || *p == ':' || *p == '/' || *p == ',' || *p == '|')
        p++;
    if (word_at(p, "by"))
        p += 2;
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    if (n >= sizeof out->setter) {
        n = sizeof out->setter - 1;
        while (n && ((unsigned char)p[n] & 0xc0) == 0x80)
            n--; /* do not cut a UTF-8 character */
    }
    memcpy(out->setter, p, n);
    out->setter[n] = '\0';
    return out->series ? 0 : -1;
}
