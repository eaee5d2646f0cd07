/* cluetype.c - wordplay types from the blog's explanation; see cluetype.h.
 *
 * The rule set. Each rule is a list of markers looked for in the
 * explanation's wordplay part (from the start to a line opening "Defn:", where
 * some bloggers start describing the definition, whose words would
 * otherwise read as wordplay). Case-insensitive markers are lower case;
 * the bracket and symbol conventions are exact:
 *
 *   anagram    "anagram", "anag", "(...)*" and "*(" (Fifteensquared's
 *              star after the fodder), "word*"
 *   hidden     "hidden", "concealed in", "[lower]UPPER UPPER[lower]"
 *              (removed letters bracketed around a run across words)
 *   reversal   "revers", "<" (the "(REV)<" convention), "backwards",
 *              "going back", "palindrome"
 *   homophone  "homophone", "sounds like", "sound of", "we hear",
 *              "spooner" (a spoonerism swaps sounds)
 *   container  "contain", "inside", "within", "holds", "holding",
 *              "carrying", "around", "outside", "to board", "adopted by",
 *              "replac" (a substitution puts letters in), " in X" with X
 *              a capital or a quote ("TEG in INNER")
 *   deletion   "minus", "without", "missing", "losing", "deleted",
 *              "headless", "curtailed", "remove", "absolved", "dropping",
 *              "lacking", "replac" (letters go), and removed letters
 *              bracketed next to two or more capitals ("C[r]OWD",
 *              "[b]OTHER"; "R[equiring]" is a first letter, not a deletion)
 *   charade    "+", "plus", "followed by", "after", "next to", and
 *              " on X", " with X", " over X", " by X" with X a capital or
 *              a quote
 *   double def "double def", "double (cryptic) def", "dd", "two
 *              definitions": the rest of such an
 *              explanation describes the two meanings, so only
 *              cryptic definition and &lit are looked for besides
 *   cryptic    "cryptic def", "cd"
 *   &lit       "&lit", "& lit", "and lit", "all-in-one"
 */
#include "rank/cluetype.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const names[RANK_CT_COUNT] = {
    "anagram",  "hidden",   "charade",           "container",          "reversal", "homophone",
    "deletion", "double_definition", "cryptic_definition", "and_lit",  "other",    "unknown",
};

const char *rank_clue_type_name(int i)
{
    return i >= 0 && i < RANK_CT_COUNT ? names[i] : NULL;
}

void rank_clue_types_text(unsigned types, char *out, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    out[0] = '\0';
    for (int i = 0; i < RANK_CT_COUNT; i++) {
        if (!(types & (1u << i)))
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= size - used) {
            out[used] = '\0'; /* whole names only */
            return;
        }
        used += (size_t)n;
    }
}

/* Case-insensitive search of a lower-case needle in the first len bytes. */
static const char *find_ci(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        size_t k = 0;
        while (k < n && tolower((unsigned char)s[i + k]) == needle[k])
            k++;
        if (k == n)
            return s + i;
    }
    return NULL;
}

static int any_ci(const char *s, size_t len, const char *const *needles)
{
    for (; *needles; needles++)
        if (find_ci(s, len, *needles))
            return 1;
    return 0;
}

/* A whole word (letters only around it), case-insensitive: "dd", "cd", "anag". */
static int word_ci(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = s; (p = find_ci(p, len - (size_t)(p - s), word)); p++) {
        int before = p > s && isalpha((unsigned char)p[-1]);
        int after = (size_t)(p - s) + n < len && isalpha((unsigned char)p[n]);
        if (!before && !after)
            return 1;
    }
    return 0;
}

/* " on X", " with X", ...: the marker (with its spaces) followed by a
 * capital letter or a quote. Case-sensitive: a linking word before an
 * answer fragment ("with [s]COP[e]" inside an anagram's fodder is not). */
static int before_fragment(const char *s, size_t len, const char *marker)
{
    size_t n = strlen(marker);
    for (size_t i = 0; i + n < len; i++)
        if (memcmp(s + i, marker, n) == 0) {
            unsigned char c = (unsigned char)s[i + n];
            if (isupper(c) || c == '"')
                return 1;
        }
    return 0;
}

static size_t upper_run(const char *s, size_t len, size_t i)
{
    size_t k = i;
    while (k < len && isupper((unsigned char)s[k]))
        k++;
    return k - i;
}

/* "[master]MIND FUL[ly]": a run of capitals after a bracketed lower-case
 * part, a space, capitals, then another bracketed part. */
static int hidden_brackets(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ']')
            continue;
        size_t a = upper_run(s, len, i + 1);
        if (a == 0 || i + 1 + a >= len || s[i + 1 + a] != ' ')
            continue;
        size_t j = i + 2 + a, b = upper_run(s, len, j);
        if (b > 0 && j + b < len && s[j + b] == '[')
            return 1;
    }
    return 0;
}

/* Removed letters bracketed beside two or more capitals: "C[r]OWD" has
 * "[r]OWD", "GARDE[n]" has "GARDE[". */
static int deletion_brackets(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '[' && i >= 2 && isupper((unsigned char)s[i - 1]) && isupper((unsigned char)s[i - 2]) &&
            i + 1 < len && islower((unsigned char)s[i + 1]))
            return 1;
        if (s[i] == ']' && i >= 1 && islower((unsigned char)s[i - 1]) && upper_run(s, len, i + 1) >= 2)
            return 1;
    }
    return 0;
}

/* The star convention: ")*", "*(", or a capital word followed by '*'. */
static int anagram_star(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '*')
            continue;
        if (i > 0 && (s[i - 1] == ')' || isupper((unsigned char)s[i - 1])))
            return 1;
        if (i + 1 < len && s[i + 1] == '(')
            return 1;
        if (i > 0 && s[i - 1] == '(') /* "(*novel)": the indicator after a starred fodder */
            return 1;
    }
    return 0;
}

unsigned rank_clue_types(const char *explanation)
{
    if (!explanation)
        return RANK_CT_UNKNOWN;
    const char *s = explanation;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    if (len == 0)
        return RANK_CT_UNKNOWN;
    const char *defn = find_ci(s, len, "\ndefn:");
    if (defn)
        len = (size_t)(defn - s);
    unsigned t = 0;
    static const char *const dd[] = {"double def", "double (cryptic) def", "two definitions", NULL};
    static const char *const cd[] = {"cryptic def", NULL};
    static const char *const andlit[] = {"&lit", "& lit", "and lit", "all-in-one", NULL};
    if (any_ci(s, len, dd) || word_ci(s, len, "dd"))
        t |= RANK_CT_DOUBLE_DEFINITION;
    if (any_ci(s, len, cd) || word_ci(s, len, "cd"))
        t |= RANK_CT_CRYPTIC_DEFINITION;
    if (any_ci(s, len, andlit))
        t |= RANK_CT_AND_LIT;
    if (t & RANK_CT_DOUBLE_DEFINITION)
        return t;

    static const char *const anagram[] = {"anagram", NULL};
    static const char *const hidden[] = {"hidden", "concealed in", NULL};
    static const char *const reversal[] = {"revers", "<", "backwards", "going back", "palindrome", NULL};
    static const char *const homophone[] = {"homophone", "sounds like", "sound of", "we hear", "spooner", NULL};
    static const char *const container[] = {"contain", "inside", "within", "holds", "holding", "carrying",
                                            "around", "outside", "to board", "adopted by", "replac", NULL};
    static const char *const deletion[] = {"minus", "without", "missing", "losing", "deleted", "headless",
                                           "curtailed", "remove", "absolved", "dropping", "lacking", "replac",
                                           NULL};
    static const char *const charade[] = {"+", "plus", "followed by", "after", "next to", NULL};
    int hidden_bracketed = hidden_brackets(s, len);
    if (any_ci(s, len, anagram) || word_ci(s, len, "anag") || anagram_star(s, len))
        t |= RANK_CT_ANAGRAM;
    if (any_ci(s, len, hidden) || hidden_bracketed)
        t |= RANK_CT_HIDDEN;
    if (any_ci(s, len, reversal))
        t |= RANK_CT_REVERSAL;
    if (any_ci(s, len, homophone))
        t |= RANK_CT_HOMOPHONE;
    if (any_ci(s, len, container) || before_fragment(s, len, " in "))
        t |= RANK_CT_CONTAINER;
    /* Brackets that mark a hidden word's ends are not a deletion. */
    if (any_ci(s, len, deletion) || (!hidden_bracketed && deletion_brackets(s, len)))
        t |= RANK_CT_DELETION;
    if (any_ci(s, len, charade) || before_fragment(s, len, " on ") || before_fragment(s, len, " with ") ||
        before_fragment(s, len, " over ") || before_fragment(s, len, " by "))
        t |= RANK_CT_CHARADE;
    return t ? t : RANK_CT_OTHER;
}
