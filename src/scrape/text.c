/* text.c - captions, enumerations and answers in plain text; see text.h. */
#include "scrape/text.h"

#include "core/letters.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Reads an attached direction ("a", "d", "ac", "dn", "across", "down")
 * right after digits; returns its length (0 if none). A letter right
 * after it means it was the start of a word, not a direction. */
static size_t attached_direction(const char *p, char *dir)
{
    static const struct {
        const char *word;
        char dir;
    } words[] = {{"across", 'a'}, {"down", 'd'}, {"ac", 'a'}, {"dn", 'd'}, {"a", 'a'}, {"d", 'd'}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if (strncasecmp(p, words[i].word, n) == 0 && !isalpha((unsigned char)p[n])) {
            *dir = words[i].dir;
            return n;
        }
    }
    return 0;
}

/* Reads a spaced direction word ("across", "down") for whole cells. */
static size_t spaced_direction(const char *p, char *dir)
{
    const char *q = p;
    while (is_space(*q))
        q++;
    if (q == p)
        return 0;
    if (strncasecmp(q, "across", 6) == 0 && !isalpha((unsigned char)q[6])) {
        *dir = 'a';
        return (size_t)(q - p) + 6;
    }
    if (strncasecmp(q, "down", 4) == 0 && !isalpha((unsigned char)q[4])) {
        *dir = 'd';
        return (size_t)(q - p) + 4;
    }
    return 0;
}

size_t scrape_caption_parse(const char *s, int whole_cell, struct scrape_caption *out)
{
    struct scrape_caption c;
    memset(&c, 0, sizeof c);
    const char *p = s;
    size_t used = 0;
    if (whole_cell)
        while (is_space(*p))
            p++;
    for (;;) {
        if (!isdigit((unsigned char)*p))
            return 0;
        int value = 0, digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 4)
                value = value * 10 + (*p - '0');
            digits++;
            if (used + 1 < sizeof c.number)
                c.number[used++] = *p;
            p++;
        }
        if (digits > 3 || value == 0)
            return 0; /* grid numbers are small: a year or 0 is text, not a caption */
        if (c.nnumbers < SCRAPE_CAPTION_MAX_NUMBERS)
            c.numbers[c.nnumbers++] = value;
        char dir = 0;
        size_t n = attached_direction(p, &dir);
        if (!n && whole_cell)
            n = spaced_direction(p, &dir);
        if (n) {
            p += n;
            if (!c.direction)
                c.direction = dir;
        }
        /* Another number after a separator makes a linked caption. */
        const char *q = p;
        while (*q == ' ')
            q++;
        char sep = 0;
        if (*q == ',' || *q == '/' || *q == '&') {
            sep = *q == '&' ? ',' : *q;
            q++;
        } else if (strncasecmp(q, "and ", 4) == 0 && q > p) {
            sep = ',';
            q += 4;
        } else if (whole_cell && q > p && isdigit((unsigned char)*q)) {
            sep = ','; /* a number cell "13 18": nothing else in the cell, so a list */
        }
        if (!sep)
            break;
        while (*q == ' ')
            q++;
        if (!isdigit((unsigned char)*q))
            break;
        if (used + 1 < sizeof c.number)
            c.number[used++] = sep;
        p = q;
    }
    c.number[used] = '\0';
    if (whole_cell) {
        if (*p == '.' || *p == ':')
            p++;
        while (is_space(*p))
            p++;
        if (*p != '\0')
            return 0;
    } else {
        if (*p == '.' || *p == ':' || *p == ')')
            p++;
        if (*p != '\0' && !is_space(*p))
            return 0;
        while (is_space(*p))
            p++;
    }
    if (out)
        *out = c;
    return (size_t)(p - s);
}

int scrape_enumeration_letters(const char *e)
{
    return letters_enumeration_total(e);
}

int scrape_enumeration_at_end(const char *s, size_t *start, int *letters)
{
    size_t len = strlen(s);
    while (len && is_space(s[len - 1]))
        len--;
    if (!len || s[len - 1] != ')')
        return 0;
    size_t open = len - 1;
    while (open > 0 && s[open - 1] != '(' && s[open - 1] != ')')
        open--;
    if (open == 0 || s[open - 1] != '(')
        return 0;
    open--;
    char enumeration[64];
    if (len - open >= sizeof enumeration)
        return 0;
    memcpy(enumeration, s + open, len - open);
    enumeration[len - open] = '\0';
    int total = scrape_enumeration_letters(enumeration);
    if (total <= 0)
        return 0;
    *start = open;
    *letters = total;
    return 1;
}

/* Length of an apostrophe at p (ASCII or U+2019), or 0. */
static size_t apostrophe(const unsigned char *p)
{
    if (*p == '\'')
        return 1;
    if (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0x99)
        return 3;
    return 0;
}

/* An upper-case Latin letter with a diacritic in UTF-8 (U+00C0-U+00DE
 * except U+00D7), returning its length. */
static size_t accented_capital(const unsigned char *p)
{
    if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e && p[1] != 0x97)
        return 2;
    return 0;
}

size_t scrape_answer_prefix(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t end = 0; /* end of the last accepted word */
    for (;;) {
        const unsigned char *w = p;
        int letters = 0;
        for (;;) {
            size_t n;
            if (*w >= 'A' && *w <= 'Z') {
                letters++;
                w++;
            } else if ((n = accented_capital(w)) > 0) {
                letters++;
                w += n;
            } else if (*w == '-' && letters) {
                w++;
            } else if ((n = apostrophe(w)) > 0 && letters) {
                w += n;
            } else {
                break;
            }
        }
        /* A word ends at a space, the end, or punctuation that ends the
         * answer (":" "," ";" "." "(" "–" ...); a lower-case letter or a
         * digit glued to it means it was not an answer word. */
        if (!letters || isalnum(*w) || (*w >= 0x80 && accented_capital(w) == 0 && *w != 0xe2))
            break;
        if (*w >= 'a' && *w <= 'z')
            break;
        end = (size_t)(w - (const unsigned char *)s);
        if (*w != ' ' || !((w[1] >= 'A' && w[1] <= 'Z') || accented_capital(w + 1)))
            break;
        p = w + 1;
    }
    return end;
}

size_t scrape_answer_letters(const char *display, char *out, size_t size)
{
    return letters_az(display, out, size);
}

int scrape_heading(const char *s, char *direction)
{
    while (is_space(*s))
        s++;
    size_t len = strlen(s);
    while (len && (is_space(s[len - 1]) || s[len - 1] == ':'))
        len--;
    char word[16];
    if (len == 0 || len >= sizeof word)
        return 0;
    memcpy(word, s, len);
    word[len] = '\0';
    if (strcasecmp(word, "across") == 0 || strcasecmp(word, "across clues") == 0) {
        *direction = 'a';
        return 1;
    }
    if (strcasecmp(word, "down") == 0 || strcasecmp(word, "down clues") == 0) {
        *direction = 'd';
        return 1;
    }
    return 0;
}
