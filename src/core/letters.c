/* letters.c - answer letters and enumeration totals; see letters.h. */
#include "core/letters.h"

#include <ctype.h>

size_t letters_az(const char *text, char *out, size_t size)
{
    /* Base letters of U+00C0..U+00FF ("*" and "/" are the two non-letters). */
    static const char latin1[] = "AAAAAAACEEEEIIIIDNOOOOO*OUUUUYPSaaaaaaaceeeeiiiidnooooo/ouuuuypy";
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        char c = 0;
        if (*p < 0x80 && isalpha(*p)) {
            c = (char)toupper(*p);
            p++;
        } else if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0xbf) {
            char base = latin1[p[1] - 0x80];
            if (isalpha((unsigned char)base) && base != 'P' && base != 'p')
                c = (char)toupper((unsigned char)base);
            p += 2;
        } else {
            p++;
        }
        if (c) {
            if (n + 1 < size)
                out[n] = c;
            n++;
        }
    }
    if (size)
        out[n < size ? n : size - 1] = '\0';
    return n;
}

/* Length of an enumeration separator at p, or 0. */
static int separator(const unsigned char *p)
{
    if (*p == ',' || *p == '-' || *p == '\'' || *p == '.' || *p == ' ')
        return 1;
    if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0x93 || p[2] == 0x90 || p[2] == 0x91 || p[2] == 0x99))
        return 3; /* en dash, hyphen, non-breaking hyphen, right single quote */
    return 0;
}

int letters_enumeration_total(const char *enumeration)
{
    const unsigned char *p = (const unsigned char *)enumeration;
    if (*p != '(')
        return -1;
    p++;
    int total = 0, numbers = 0;
    while (*p && *p != ')') {
        if (isdigit(*p)) {
            int v = 0;
            while (isdigit(*p)) {
                v = v * 10 + (*p - '0');
                if (v > 1000)
                    return -1;
                p++;
            }
            total += v;
            numbers++;
            continue;
        }
        int n = separator(p);
        if (!n)
            return -1;
        p += n;
    }
    if (*p != ')' || p[1] != '\0' || numbers == 0)
        return -1;
    return total;
}
