/* extract.c - the committed answer in a model's reply; see extract.h. */
#include "eval/extract.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/letters.h"

#define MAX_LINES 2000
#define LINE_MAX 1024
#define MAX_CANDS 4096
#define MAX_REVS 4096

/* ---- names ------------------------------------------------------------- */

static const char *const rule_names[EVAL_RULE_COUNT] = {
    [EVAL_RULE_NONE] = "none",
    [EVAL_RULE_EMPTY] = "empty",
    [EVAL_RULE_WITHDRAWN] = "withdrawn",
    [EVAL_RULE_WHOLE_REPLY] = "whole-reply",
    [EVAL_RULE_ARROW] = "arrow",
    [EVAL_RULE_FIRST_LINE] = "first-line",
    [EVAL_RULE_FINAL_LINE] = "final-line",
    [EVAL_RULE_BARE_LINE] = "bare-line",
    [EVAL_RULE_ANSWER_IS] = "answer-is",
    [EVAL_RULE_BOLD] = "bold",
    [EVAL_RULE_HEADING] = "heading",
    [EVAL_RULE_REVISION] = "revision",
    [EVAL_RULE_SENTENCE] = "sentence",
};

static const char *const rule_sentences[EVAL_RULE_COUNT] = {
    [EVAL_RULE_NONE] = "the reply never commits to an answer",
    [EVAL_RULE_EMPTY] = "the reply is empty",
    [EVAL_RULE_WITHDRAWN] = "the reply withdrew its answer and never settled",
    [EVAL_RULE_WHOLE_REPLY] = "the whole one-line reply is the answer",
    [EVAL_RULE_ARROW] = "the answer after an arrow in a one-line reply",
    [EVAL_RULE_FIRST_LINE] = "the answer on the first line, then notes",
    [EVAL_RULE_FINAL_LINE] = "a bare answer line ends the reply",
    [EVAL_RULE_BARE_LINE] = "a line in capitals fitting the enumeration, the last commitment",
    [EVAL_RULE_ANSWER_IS] = "an answer marker (\"The answer is X\", \"Answer: X\")",
    [EVAL_RULE_BOLD] = "a line all in bold",
    [EVAL_RULE_HEADING] = "a heading",
    [EVAL_RULE_REVISION] = "the last commitment after the reply revised an earlier one",
    [EVAL_RULE_SENTENCE] = "a commitment in a sentence (\"I'm going with X\", \"No, X is right\", \\boxed{X})",
};

static const char *const drop_names[EVAL_DROP_COUNT] = {
    [EVAL_KEPT] = "kept",
    [EVAL_DROP_RETRACTED] = "taken back in the same breath",
    [EVAL_DROP_QUESTION] = "asked, not answered",
    [EVAL_DROP_PROSE] = "prose after a marker, not an answer",
    [EVAL_DROP_HEDGE] = "X or Y, not exactly one fitting the enumeration",
    [EVAL_DROP_MATERIAL] = "introduced as material (fodder, letters)",
    [EVAL_DROP_NO_FIT] = "a bare line in the reasoning that does not fit the enumeration",
    [EVAL_DROP_EXPLANATION] = "a bare line in the explanation after an explicit answer",
    [EVAL_DROP_SUPERSEDED] = "a later commitment replaces it",
    [EVAL_DROP_WITHDRAWN] = "a later revision withdrew it and nothing followed",
};

const char *eval_rule_name(enum eval_rule rule)
{
    return rule >= 0 && rule < EVAL_RULE_COUNT ? rule_names[rule] : "unknown";
}

const char *eval_rule_describe(enum eval_rule rule)
{
    return rule >= 0 && rule < EVAL_RULE_COUNT ? rule_sentences[rule] : "unknown";
}

const char *eval_drop_name(enum eval_drop drop)
{
    return drop >= 0 && drop < EVAL_DROP_COUNT ? drop_names[drop] : "unknown";
}

/* ---- text helpers ------------------------------------------------------ */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(char *s)
{
    size_t start = 0, len = strlen(s);
    while (start < len && is_space(s[start]))
        start++;
    while (len > start && is_space(s[len - 1]))
        len--;
    memmove(s, s + start, len - start);
    s[len - start] = '\0';
}

static int starts_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static const char *find_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return s;
    return NULL;
}

/* Removes every occurrence of token. */
static void remove_all(char *s, const char *token)
{
    size_t n = strlen(token);
    char *p;
    while ((p = strstr(s, token)) != NULL)
        memmove(p, p + n, strlen(p + n) + 1);
}

/* Length of a quote character at p (ASCII or curly), or 0. */
static size_t quote_at(const unsigned char *p)
{
    if (*p == '"' || *p == '\'' || *p == '`')
        return 1;
    if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99 || p[2] == 0x9c || p[2] == 0x9d))
        return 3;
    return 0;
}

static int has_lowercase(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            return 1;
        if (p[0] == 0xc3 && p[1] >= 0xa0 && p[1] <= 0xbf)
            return 1;
    }
    return 0;
}

static int count_words(const char *s)
{
    int words = *s ? 1 : 0;
    for (; *s; s++)
        words += *s == ' ';
    return words;
}

/* Does text have exactly the enumeration's letter count? */
static int fits(const char *text, int want)
{
    char tmp[EVAL_ANSWER_MAX];
    return want > 0 && (int)letters_az(text, tmp, sizeof tmp) == want;
}

/* Are text's words the enumeration's, one for one: "Oral Health" for
 * (4,6), "look-see" for (4-3)? Words split at spaces, hyphens and
 * apostrophes; separators in the enumeration at any of ",-' ". */
static int has_shape(const char *text, const char *enumeration)
{
    if (!enumeration || *enumeration != '(')
        return 0;
    const char *e = enumeration + 1;
    const unsigned char *t = (const unsigned char *)text;
    for (;;) {
        while (*e && !isdigit((unsigned char)*e) && *e != ')')
            e++;
        while (*t && !(*t < 0x80 && isalpha(*t)))
            t++;
        if (!isdigit((unsigned char)*e) || !*t)
            return !isdigit((unsigned char)*e) && !*t;
        long part = strtol(e, (char **)&e, 10), n = 0;
        while (*t && *t != ' ' && *t != '-' && *t != '\'')
            n += *t < 0x80 && isalpha(*t), t++;
        if (n != part)
            return 0;
    }
}

/* ---- one candidate's text ---------------------------------------------- */

static const char *skip_space(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* Does a note after an answer take it back? "(no, that's 10)", "- but that's 8 letters". */
static int is_retraction(const char *note)
{
    static const char *const words[] = {"no,", "no ", "no)", "no.", "no!", "not ", "but ", "wait", "hmm",
                                        "doesn't", "does not", "that's not", "that is not", "wrong",
                                        "too ", "only ", "incorrect", "scratch", "\xe2\x9c\x97", "\xe2\x9d\x8c",
                                        NULL};
    while (*note == ' ' || *note == '(' || *note == '-' || *note == ',' || *note == '.')
        note++;
    for (const char *const *w = words; *w; w++)
        if (starts_ci(note, *w))
            return 1;
    return 0;
}

/* Does a note after a bare line say it is material, not an answer?
 * "(anagram fodder)"; not "(anagram of HALE HARLOT)", which derives it. */
static int is_material_note(const char *note)
{
    static const char *const words[] = {"fodder", "to be rearranged", "to rearrange", "to anagram", "letters to",
                                        "the letters", "letters available", NULL};
    while (*note == ' ' || *note == '(' || *note == '-' || *note == ',')
        note++;
    for (const char *const *w = words; *w; w++)
        if (find_ci(note, *w))
            return 1;
    return 0;
}

static const char *const not_answers[] = {"likely", "unclear", "unknown", "uncertain", "none", "n/a", "or", "the",
                                          "a", "an", "is", "this", "that", "it", "correct", "incorrect", "yes",
                                          "no", "answer", "solution", NULL};

enum clean {
    CLEAN_OK,
    CLEAN_NOT,        /* not answer-like */
    CLEAN_RETRACTED,  /* answer-like, taken back by its note */
    CLEAN_QUESTION,   /* answer-like, followed by a question mark */
    CLEAN_MATERIAL,   /* answer-like, its note says it is material */
};

/* Letter-by-letter: three or more single letters in a row, "G-A-R-L-I-C", "G A R". */
static int is_spelling(const char *s)
{
    int run = 0;
    for (const char *p = s; *p;) {
        const char *q = p;
        while (*q && *q != ' ' && *q != '-')
            q++;
        run = q - p == 1 ? run + 1 : 0;
        if (run >= 3)
            return 1;
        p = *q ? q + 1 : q;
    }
    return 0;
}

/* Cleans a candidate: markup, surrounding quotes, a note after it
 * (cut at the first "(", " - ", ". ", "?", ...) and punctuation. Writes
 * what is left into out when it looks like an answer (letters, spaces,
 * hyphens, apostrophes; at most six words; no spelling unless
 * after_marker, which also cuts at a comma) and says what the note made of it. */
static enum clean clean_candidate(const char *in, char *out, size_t size, int after_marker)
{
    char buf[LINE_MAX];
    snprintf(buf, sizeof buf, "%s", in);
    remove_all(buf, "**");
    remove_all(buf, "__");
    remove_all(buf, "`");
    trim(buf);
    while (buf[0] == '#')
        memmove(buf, buf + 1, strlen(buf));
    trim(buf);
    /* Single emphasis around it: "*SILVER LINING*". */
    size_t wrap = strlen(buf);
    if (wrap > 2 && buf[wrap - 1] == '.')
        wrap--;
    if (wrap > 2 && (buf[0] == '*' || buf[0] == '_') && buf[wrap - 1] == buf[0] && buf[1] != ' ') {
        memmove(buf, buf + 1, wrap - 2);
        buf[wrap - 2] = '\0';
    }
    /* The note after the answer starts at the earliest of these. */
    static const char *const cuts[] = {" (", "(", " - ", " \xe2\x80\x93 ", " \xe2\x80\x94 ", " because", ", which",
                                       ", as ", "; ", ", but", " but ", ". ", "! ", "?", "...", "\xe2\x80\xa6",
                                       ", no", ", not ", ", I think", ", I believe", ", I guess", ", I reckon",
                                       ", I'd say", ", probably", ", perhaps", " \xe2\x9c\x93", " \xe2\x9c\x94",
                                       " \xe2\x9c\x97", " \xe2\x9d\x8c", NULL};
    char *cut = NULL;
    const char *cut_token = NULL;
    for (const char *const *c = cuts; *c; c++) {
        char *p = strstr(buf, *c);
        if (p && p > buf && (!cut || p < cut)) {
            cut = p;
            cut_token = *c;
        }
    }
    /* After a marker the answer ends at a comma or a colon ("The answer
     * must be X, a covering", "gives X: NI(PP)Y"); a bare line keeps it
     * whole ("Lace up, doc" is one). */
    for (const char *const *c = (const char *const[]){", ", ": ", NULL}; after_marker && *c; c++) {
        char *p = strstr(buf, *c);
        if (p && p > buf && (!cut || p < cut)) {
            cut = p;
            cut_token = *c;
        }
    }
    enum clean verdict = CLEAN_OK;
    if (cut) {
        const char *note = cut + strlen(cut_token);
        if (strcmp(cut_token, "?") == 0)
            verdict = is_retraction(note)          ? CLEAN_RETRACTED /* "X? No, ..." */
                      : starts_ci(skip_space(note), "yes") ? CLEAN_OK  /* "X? Yes!" answers itself */
                                                             : CLEAN_QUESTION;
        else if (is_retraction(note) || is_retraction(cut))
            verdict = CLEAN_RETRACTED;
        else if (is_material_note(note))
            verdict = CLEAN_MATERIAL;
        *cut = '\0';
    }
    trim(buf);
    size_t len = strlen(buf);
    while (len && (buf[len - 1] == '.' || buf[len - 1] == '!' || buf[len - 1] == ',' || buf[len - 1] == ':' ||
                   buf[len - 1] == ';' || is_space(buf[len - 1])))
        buf[--len] = '\0';
    /* Surrounding quotes. */
    size_t q;
    while ((q = quote_at((const unsigned char *)buf)) > 0 && len > q) {
        memmove(buf, buf + q, len - q + 1);
        len -= q;
    }
    for (int again = 1; again && len;) {
        again = 0;
        for (size_t k = 1; k <= 3 && k <= len; k++)
            if (quote_at((const unsigned char *)buf + len - k) == k) {
                buf[len - k] = '\0';
                len -= k;
                again = 1;
                break;
            }
        while (len && (buf[len - 1] == '.' || buf[len - 1] == '!' || buf[len - 1] == ','))
            buf[--len] = '\0';
    }
    trim(buf);
    len = strlen(buf);
    int letters = 0, words = len ? 1 : 0;
    for (const unsigned char *p = (const unsigned char *)buf; *p;) {
        if (*p < 0x80 && isalpha(*p)) {
            letters++;
            p++;
        } else if (*p == ' ') {
            if (p[1] == ' ')
                return CLEAN_NOT;
            words++;
            p++;
        } else if (*p == '-' || *p == '\'') {
            p++;
        } else if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0xbf && p[1] != 0x97 && p[1] != 0xb7) {
            letters++;
            p += 2;
        } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0x99 || p[2] == 0x90 || p[2] == 0x91)) {
            p += 3; /* curly apostrophe, hyphens */
        } else {
            return CLEAN_NOT;
        }
    }
    if (letters == 0 || words > 6 || len >= size)
        return CLEAN_NOT;
    if (!after_marker && is_spelling(buf))
        return CLEAN_NOT;
    for (const char *const *w = not_answers; *w; w++)
        if (strcasecmp(buf, *w) == 0)
            return CLEAN_NOT;
    memcpy(out, buf, len + 1);
    return verdict;
}

/* Words after a marker that are prose, not an answer: lower case with
 * function words, and not the enumeration's length ("an anagram of
 * garlic oil"; "piece of eight" for a (5,2,5) is an answer). */
static int is_prose(const char *text, int want)
{
    static const char *const function_words[] = {"a", "an", "the", "of", "to", "in", "that", "which", "with",
                                                 "for", "from", "is", "are", "be", "not", "word", "words",
                                                 "letters", "phrase", "clue", "something", "one", "it", "this",
                                                 "and", "as", "by", NULL};
    if (!has_lowercase(text) || fits(text, want))
        return 0;
    char buf[EVAL_ANSWER_MAX];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
        for (const char *const *f = function_words; *f; f++)
            if (strcmp(w, *f) == 0)
                return 1;
    return 0;
}

/* A one-line reply that is a sentence about the answer, not one: lower
 * case, not the enumeration's length, with the words of a sentence
 * ("I'm not sure", "I believe it's STING"). */
static int is_sentence(const char *text, int want)
{
    static const char *const words[] = {"i", "i'm", "i'd", "i'll", "it's", "it", "is", "was", "think", "believe",
                                        "answer", "not", "sure", "maybe", "probably", "this", "that", "that's",
                                        "must", "be", "can't", "don't", "clue", "sorry", "let", "let's", "me",
                                        "the", "wait", "hmm", "okay", "ok", "done", "well", NULL};
    if (!has_lowercase(text) || fits(text, want))
        return 0;
    char buf[EVAL_ANSWER_MAX];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
        for (const char *const *f = words; *f; f++)
            if (strcasecmp(w, *f) == 0)
                return 1;
    return 0;
}

/* Is a one-line reply line, cleaned to text, a sentence rather than an
 * answer: text is one (is_sentence) and the line ends like a sentence or
 * goes on after it ("I'm not sure.", "Let me think. It's ..."); "I'll
 * bar" alone is an answer, if a wrong one. */
static int sentence_not_answer(const char *line, const char *text, int want)
{
    char a[LINE_MAX], b[LINE_MAX];
    size_t len = strlen(line);
    if (!is_sentence(text, want))
        return 0;
    return (len && strchr(".!", line[len - 1])) || letters_az(line, a, sizeof a) > letters_az(text, b, sizeof b);
}

/* "X or Y": the whole when it fits, else the one alternative that fits;
 * 0 (a hedge) when both or neither do. */
static int choose_alternative(char *text, int want)
{
    char *or = strstr(text, " or ");
    if (!or)
        or = strstr(text, " OR ");
    if (!or || want <= 0 || fits(text, want))
        return 1;
    char first[EVAL_ANSWER_MAX], second[EVAL_ANSWER_MAX];
    snprintf(first, sizeof first, "%.*s", (int)(or - text), text);
    snprintf(second, sizeof second, "%s", or + 4);
    int a = fits(first, want), b = fits(second, want);
    if (a == b)
        return 0;
    memcpy(text, a ? first : second, strlen(a ? first : second) + 1);
    return 1;
}

/* ---- revisions --------------------------------------------------------- */

/* Skips bullets and punctuation opening a line. */
static const char *skip_bullets(const char *line)
{
    for (;;) {
        if (*line == ' ' || *line == '-' || *line == '*' || *line == '(' || *line == '>' || *line == '_')
            line++;
        else if ((unsigned char)line[0] == 0xe2 && (unsigned char)line[1] == 0x80 &&
                 (unsigned char)line[2] == 0xa2)
            line += 3; /* bullet */
        else
            return line;
    }
}

/* Does a line opening like a revision ("Wait, let me double-check",
 * "Hmm, that works") check or confirm instead of withdrawing? */
static int confirms(const char *whole)
{
    static const char *const checks[] = {"verify", "double-check", "double check", "confirm", "check", NULL};
    /* Its first sentence only: "Hmm, that doesn't work. Let me check" withdraws. */
    char line[LINE_MAX];
    snprintf(line, sizeof line, "%s", whole);
    for (char *p = line; *p; p++)
        if ((*p == '.' || *p == '?' || *p == '!') && (p[1] == ' ' || p[1] == '\0')) {
            *p = '\0';
            break;
        }
    static const char *const good[] = {"works", "fits", "correct", "that's it", "yes", "perfect", NULL};
    static const char *const bad[] = {"n't", "not ", "no ", "no,", "wrong", "but ", "also ", NULL};
    for (const char *const *c = checks; *c; c++)
        if (find_ci(line, *c))
            return 1;
    for (const char *const *b = bad; *b; b++)
        if (find_ci(line, *b))
            return 0;
    for (const char *const *g = good; *g; g++)
        if (find_ci(line, *g))
            return 1;
    return 0;
}

/* A line opening a revision: 2 strong (withdraws what came before), 1
 * weak (reconsiders), 0 none. */
static int revision_at(const char *line)
{
    static const char *const strong_words[] = {
        "wait", "hmm", "no,", "no.", "no -", "no!", "no wait", "nope", "let me reconsider", "let me re-",
        "let me try again", "let me try another", "let me think again", "let me think differently",
        "let me think about this differently", "on second thought", "scratch that", "correction", "but wait",
        "oops", "that's not", "that doesn't", "that isn't", "this doesn't", "that does not", "not quite",
        "doesn't work", "doesn't fit", NULL};
    static const char *const weak_words[] = {"actually", "however", "alternatively", "or maybe", "rethinking",
                                             "reconsidering", "instead", NULL};
    line = skip_bullets(line);
    for (const char *const *w = strong_words; *w; w++)
        if (starts_ci(line, *w))
            return confirms(line) ? 0 : 2;
    for (const char *const *w = weak_words; *w; w++)
        if (starts_ci(line, *w))
            return 1;
    return 0;
}

/* A clear withdrawal inside a line ("... No wait, ..."); its offset or -1. */
static long inline_withdrawal(const char *line)
{
    static const char *const phrases[] = {"no wait", "no, wait", " wait,", " wait -", " wait.", " wait!",
                                          "hmm", "that's not right", "not a word", "that's wrong",
                                          "scratch that", "let me reconsider", "let me think again",
                                          "let me try again", "on second thought", "actually, no", "actually no,",
                                          NULL};
    long best = -1;
    for (const char *const *p = phrases; *p; p++) {
        const char *at = find_ci(line, *p);
        if (at && at > line && (best < 0 || at - line < best))
            best = at - line;
    }
    return best;
}

/* ---- answer markers ---------------------------------------------------- */

/* Skips what may stand between an answer marker and the answer. */
static const char *skip_filler(const char *p)
{
    static const char *const filler[] = {"likely", "probably", "definitely", "clearly", "simply", "therefore",
                                         "then", "now", "indeed", "still", "most likely", "actually", "thus",
                                         NULL};
    for (int again = 1; again;) {
        again = 0;
        while (*p == ' ' || *p == ':' || *p == '\t')
            p++;
        for (const char *const *f = filler; *f; f++) {
            size_t n = strlen(*f);
            if (strncasecmp(p, *f, n) == 0 && !isalpha((unsigned char)p[n])) {
                p += n;
                again = 1;
                break;
            }
        }
    }
    return p;
}

/* After "answer to the clue \"...\" (5)", the verb that introduces the
 * answer, outside quotes and within the sentence; NULL if none. */
static const char *verb_after(const char *p)
{
    static const char *const verbs[] = {" is:", " is ", " would be", " should be", " must be", " could be",
                                        " might be", " will be", " has to be", " appears to be", " seems to be",
                                        " ought to be", NULL};
    int in_quote = 0;
    for (; *p; p++) {
        size_t q = quote_at((const unsigned char *)p);
        if (q && *p != '\'') {
            in_quote = !in_quote;
            p += q - 1;
            continue;
        }
        if (in_quote)
            continue;
        if (p[0] == '.' && (p[1] == ' ' || p[1] == '\0'))
            return NULL;
        for (const char *const *v = verbs; *v; v++)
            if (starts_ci(p, *v))
                return p + strlen(*v);
    }
    return NULL;
}

/* Finds the first answer marker in line at or after from; returns where
 * it starts (NULL: none) and sets *rest to the text after it (may be ""). */
static const char *next_marker(const char *line, const char *from, const char **rest)
{
    static const char *const simple[] = {"final answer:", "final answer is", "final answer -", "conclusion:",
                                         "solution:", "the solution is", "ans:", "i'll go with", "i will go with",
                                         "i'm going with", "going with:", "the word is", "the word must be", NULL};
    const char *best = NULL, *best_rest = NULL;
    for (const char *const *m = simple; *m; m++) {
        const char *p = find_ci(from, *m);
        if (p && (p == line || !isalpha((unsigned char)p[-1])) && (!best || p < best)) {
            best = p;
            best_rest = p + strlen(*m);
        }
    }
    for (const char *p = from; (p = find_ci(p, "answer")) != NULL && (!best || p < best); p += 6) {
        if (p > line && isalpha((unsigned char)p[-1]))
            continue;
        /* "X is the answer: ..." names X before it (answer_before). */
        if ((p - line >= 7 && (strncasecmp(p - 7, "is the ", 7) == 0 || strncasecmp(p - 7, "be the ", 7) == 0)) ||
            (p - line >= 6 && strncasecmp(p - 6, "is my ", 6) == 0))
            continue;
        const char *q = p + 6;
        const char *r = NULL;
        static const char *const openers[] = {"to ", "for ", "here ", "is", "would", "should", "must", "could",
                                              "might", "will", "has ", "appears", "seems", "ought", NULL};
        if (*q == ':')
            r = q + 1;
        else if (starts_ci(q, " - ") || starts_ci(q, " = "))
            r = q + 3; /* "Answer - X" */
        else if (starts_ci(q, " \xe2\x80\x93 ") || starts_ci(q, " \xe2\x80\x94 "))
            r = q + 5; /* en and em dashes */
        else if (*q == ' ')
            for (const char *const *o = openers; *o && !r; o++)
                if (starts_ci(q + 1, *o))
                    r = verb_after(q);
        if (r) {
            best = p;
            best_rest = r;
            break;
        }
    }
    if (best)
        *rest = skip_filler(best_rest);
    return best;
}

/* ---- the reply --------------------------------------------------------- */

struct cand {
    long pos;             /* reading order: line * LINE_MAX + column */
    int line;             /* 0-based */
    enum eval_rule kind;
    enum eval_drop drop;
    char text[EVAL_ANSWER_MAX];
};

struct rev {
    long pos;
    int strong;
};

struct work {
    char **lines;
    int n;        /* lines considered (after the cut) */
    int all;      /* all non-empty lines */
    int want;     /* the enumeration's letters, -1 unknown */
    const char *enumeration; /* may be NULL */
    struct cand *c;
    int nc;
    struct rev *r;
    int nr;
};

static void add_rev(struct work *w, long pos, int strong)
{
    if (w->nr < MAX_REVS)
        w->r[w->nr++] = (struct rev){pos, strong};
}

static struct cand *add_cand(struct work *w, int line, long col, enum eval_rule kind, const char *text,
                             enum eval_drop drop)
{
    if (w->nc >= MAX_CANDS)
        return NULL;
    struct cand *c = &w->c[w->nc++];
    c->pos = (long)line * LINE_MAX + col;
    c->line = line;
    c->kind = kind;
    c->drop = drop;
    snprintf(c->text, sizeof c->text, "%s", text);
    return c;
}

/* A cleaning verdict as a drop reason; a retraction is also a revision. */
static enum eval_drop drop_of(struct work *w, enum clean cl, long pos)
{
    switch (cl) {
    case CLEAN_RETRACTED:
        add_rev(w, pos + 1, 2);
        return EVAL_DROP_RETRACTED;
    case CLEAN_QUESTION:
        return EVAL_DROP_QUESTION;
    case CLEAN_MATERIAL:
        return EVAL_DROP_MATERIAL;
    default:
        return EVAL_KEPT;
    }
}

/* The enumeration ending a line ("... (5)"), or -1. */
static int line_enumeration(const char *line)
{
    size_t len = strlen(line);
    while (len && (line[len - 1] == '.' || line[len - 1] == ':' || is_space(line[len - 1])))
        len--;
    if (!len || line[len - 1] != ')')
        return -1;
    const char *open = NULL;
    for (const char *p = line; p < line + len; p++)
        if (*p == '(')
            open = p;
    if (!open)
        return -1;
    char buf[64];
    if ((size_t)(line + len - open) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%.*s", (int)(line + len - open), open);
    return letters_enumeration_total(buf);
}

/* Does line i start a run-on into other clues? after_candidate: a
 * commitment came before it. Before one, only a clue that is clearly
 * another (another length, with its own "Answer:" line) starts one: the
 * prompt or this clue quoted first ("Clue: \"...\" (5)" then "Answer: X")
 * is this clue's. */
static int runs_on_at(const struct work *w, int i, int after_candidate)
{
    const char *line = w->lines[i];
    static const char *const openers[] = {"+++", "solve this cryptic", "human:", "user:", "assistant:",
                                          "here are the answers", "sure, here are", "next clue", NULL};
    if (after_candidate)
        for (const char *const *o = openers; *o; o++)
            if (starts_ci(line, *o))
                return 1;
    const char *p = line;
    int numbered = 0;
    if (isdigit((unsigned char)*p)) {
        while (isdigit((unsigned char)*p))
            p++;
        if (*p != '.' && *p != ')')
            return 0;
        p++;
        while (*p == ' ')
            p++;
        numbered = 1;
    }
    p = skip_bullets(p);
    int labelled = starts_ci(p, "clue");
    int enumeration = line_enumeration(line);
    if (enumeration < 0 || !(labelled || numbered || quote_at((const unsigned char *)p)))
        return 0;
    int answer_follows = 0;
    for (int j = i + 1; j < w->all && j <= i + 3; j++)
        answer_follows |= starts_ci(skip_bullets(w->lines[j]), "answer:");
    if (!after_candidate)
        return answer_follows && enumeration != w->want;
    /* After an answer, a clue with its enumeration (quoted, numbered or
     * "Clue 2: ...") is another clue when numbered, when an "Answer:" line
     * follows it, or when of another length; this clue quoted again has
     * none of these. */
    return numbered || answer_follows || enumeration != w->want;
}

/* Only notes ("(...)", "Note: ...") after line i. */
static int only_notes_after(const struct work *w, int i)
{
    for (int j = i + 1; j < w->n; j++) {
        const char *l = w->lines[j];
        while (*l == '*' || *l == '_' || *l == '[')
            l++;
        if (*l != '(' && !starts_ci(l, "note"))
            return 0;
    }
    return 1;
}

/* Is the bare line i introduced, or followed, as material or something to
 * try? "Anagram of:", "Let me try:", "HALE HARLOT" / "rearranged gives ...". */
static int material_around(const struct work *w, int i)
{
    static const char *const intro[] = {"anagram", "letters", "fodder", "rearrang", "spell", "unscrambl",
                                        "jumble", "reverse", "hidden", "try", "what about", "could", "maybe",
                                        "perhaps", "consider", "check", "test", "candidate", "possib",
                                        "option", "alternative", "choices", "ideas", NULL};
    static const char *const after[] = {"\xe2\x86\x92", "->", "=>", "=", "rearrang", "anagram", "reversed",
                                        "becomes", "gives", NULL};
    /* A list of candidates in capitals under one introduction. */
    int j = i - 1;
    while (j > 0 && !has_lowercase(w->lines[j]) && w->lines[j][strlen(w->lines[j]) - 1] != ':')
        j--;
    if (j >= 0) {
        const char *prev = w->lines[j];
        size_t len = strlen(prev);
        if (len && prev[len - 1] == ':' && !next_marker(prev, prev, &(const char *){NULL}))
            for (const char *const *m = intro; *m; m++)
                if (find_ci(prev, *m))
                    return 1;
    }
    if (i + 1 < w->n)
        for (const char *const *m = after; *m; m++)
            if (starts_ci(w->lines[i + 1], *m))
                return 1;
    return 0;
}

/* "**X**", "*X*", "_X_" (or with a full stop after): the whole line
 * emphasised; writes X into inner. A bullet ("* X") is not. */
static int is_bold_line(const char *line, char *inner, size_t size)
{
    size_t len = strlen(line), d = strncmp(line, "**", 2) == 0 || strncmp(line, "__", 2) == 0 ? 2 : 1;
    if (len && line[len - 1] == '.')
        len--;
    if (len < 2 * d + 1 || (line[0] != '*' && line[0] != '_') || line[d] == ' ' || line[d] == line[0] ||
        strncmp(line + len - d, line, d) != 0 || line[len - d - 1] == ' ')
        return 0;
    snprintf(inner, size, "%.*s", (int)(len - 2 * d), line + d);
    return strstr(inner, d == 2 ? (line[0] == '*' ? "**" : "__") : (line[0] == '*' ? "*" : "_")) == NULL;
}

/* A conclusion in another form: "So: X", "Therefore: X", "-> X"; the
 * text after it, or NULL. */
static const char *conclusion_at(const char *line)
{
    static const char *const leads[] = {"\xe2\x86\x92", "->", "=>", "so:", "therefore:", "thus:", "hence:",
                                        "result:", "giving:", "which gives:", "that gives:", "final:",
                                        "reconsidering:", "correction:", "corrected:", NULL};
    for (const char *const *l = leads; *l; l++)
        if (starts_ci(line, *l))
            return skip_filler(line + strlen(*l));
    return NULL;
}

/* "X fits", "X works", "X it is": the capitals opening the line, into
 * out; 0 when none. A bare line, as weak as one: fodder fits too. */
static int affirmed_before(const char *line, char *out, size_t size)
{
    static const char *const tails[] = {" fits", " works", " seems right", " seems correct", " is correct",
                                        " is right", " it is", " checks out", NULL};
    for (const char *const *t = tails; *t; t++) {
        const char *p = find_ci(line, *t);
        if (p && p > line && (size_t)(p - line) < size && !isalpha((unsigned char)p[strlen(*t)])) {
            snprintf(out, size, "%.*s", (int)(p - line), line);
            return !has_lowercase(out);
        }
    }
    return 0;
}

/* "X is the answer": the X opening the line, into out; 0 when none. */
static int answer_before(const char *line, char *out, size_t size)
{
    static const char *const tails[] = {" is the answer", " is my answer", " is the final answer",
                                        " is the correct answer", " is the right answer", " is my final answer",
                                        " must be the answer", " is the solution", NULL};
    for (const char *const *t = tails; *t; t++) {
        const char *p = find_ci(line, *t);
        if (p && p > line && (size_t)(p - line) < size) {
            snprintf(out, size, "%.*s", (int)(p - line), line);
            return 1;
        }
    }
    return 0;
}

/* ---- commitments in sentences ----------------------------------------- */

/* Phrases that commit to what follows them in a sentence ("I believe it's
 * X", "I'm going with X", "That gives X"). Weaker than an answer marker:
 * what follows must read as an answer (capitals, or the enumeration's
 * length), not be negated ("it's not X"), and the sentence must not hedge
 * before it ("maybe it's X", "if it's X"). */
/* "\342\200\231" is the curly apostrophe (octal: "\\x99d" would read as one escape). */
static const char *const sentence_markers[] = {
    "i'd say", "i\342\200\231d say", "i'll say", "i\342\200\231ll say", "i would say", "i'm confident:",
    "i am confident:", "going with", "go with", "stick with", "sticking with", "i'll keep", "back to", "best guess:",
    "best guess is", "my guess:", "my guess is", "settle on", "settling on", "settled on", "landed on", "opt for",
    "opting for", "definitely", "certainly", "going to say", "going to go with", "got it -", "got it:",
    "got it \342\200\224", "here it is:", NULL};

/* Impersonal ones, which reasoning also uses for components ("it's TEES
 * reversed", "it must be S"): in a longer reply what follows must fit
 * the enumeration. */
static const char *const sentence_markers_fit[] = {
    "it's", "it\xe2\x80\x99s", "it is", "it must be", "it has to be", "must be", "it would be", "it should be",
    "i think", "i believe", NULL};

/* Phrases that also introduce components and fodder ("that's S + TING",
 * "this is an anagram", "we get SRELLIF"): what follows must be in
 * capitals, and fit in a longer reply. */
static const char *const sentence_markers_caps[] = {
    "that's", "that\xe2\x80\x99s", "that gives", "which gives", "this gives", "that makes it", "which makes it",
    "that's it:", "that\xe2\x80\x99s it:", "this is it:", "result:", "result -", "result is", "which spells",
    "that spells", "points to", "leads to", "gives us", "we get", "this is", "this must be", "gives",
    "resolves to", "looking for is", NULL};

/* Words that make a sentence a hedge or a question before a commitment. */
static const char *const hedges[] = {"maybe", "perhaps", "possibly", "if ", "whether", "could", "might", "unless",
                                     "suppose", "not sure", "wonder", "what about", "is it", "either", NULL};

/* Where the sentence holding p starts in line: after ". ", "? ", "! ",
 * "; " or ", " (so "No, X is right" is a sentence of its own). */
static const char *sentence_start(const char *line, const char *p, int commas)
{
    const char *start = line;
    for (const char *q = line; q + 1 < p; q++)
        if ((q[0] == '.' || q[0] == '?' || q[0] == '!' || q[0] == ';' || (commas && q[0] == ',') ||
             (q[0] == '-' && q > line && q[-1] == ' ')) &&
            q[1] == ' ')
            start = q + 2;
    return start;
}

/* Does the sentence hedge between start and p? */
static int hedged(const char *start, const char *p)
{
    char buf[LINE_MAX];
    snprintf(buf, sizeof buf, "%.*s", (int)(p - start), start);
    for (const char *const *h = hedges; *h; h++)
        if (find_ci(buf, *h))
            return 1;
    return 0;
}

/* Skips connectives opening a sentence ("No, ", "So ", "Yes - "); sets
 * *yes when one says what follows is the answer ("yes", "so", "thus"). */
static const char *skip_connectives(const char *p, int *yes)
{
    static const char *const words[] = {"no", "yes", "so", "ok", "okay", "well", "then", "and", "right", "good",
                                        "great", "therefore", "thus", "hence", "ah", "oh", NULL};
    *yes = 0;
    for (int again = 1; again;) {
        again = 0;
        while (*p == ' ' || *p == ',' || *p == '-' || *p == ':')
            p++;
        for (const char *const *w = words; *w; w++) {
            size_t n = strlen(*w);
            if (strncasecmp(p, *w, n) == 0 && (p[n] == ',' || p[n] == ' ' || p[n] == '!')) {
                *yes |= strcmp(*w, "yes") == 0 || strcmp(*w, "so") == 0 || strcmp(*w, "therefore") == 0 ||
                        strcmp(*w, "thus") == 0 || strcmp(*w, "hence") == 0;
                p += n;
                again = 1;
                break;
            }
        }
    }
    return p;
}

/* A sentence naming its answer before an affirmation: "X it is", "X is
 * right", "X after all", "X fits best", "X is the correct answer"; the
 * capitals before it into out. */
static int affirmation(const char *sentence, char *out, size_t size)
{
    static const char *const tails[] = {" it is", " it must be", " is right", " is correct", " is the correct answer",
                                        " is the right answer", " is the answer", " after all", " fits best",
                                        " is the best fit", " seems most likely", " seems likely",
                                        " is most likely", " is my answer", " is my final answer", " - yes",
                                        " \xe2\x80\x94 yes", " \xe2\x80\x93 yes", " - that's it", " - that's right",
                                        " - that works", ": yes", NULL};
    int yes;
    const char *s = skip_connectives(sentence, &yes);
    for (const char *const *t = tails; *t; t++) {
        const char *p = find_ci(s, *t);
        if (p && p > s && (size_t)(p - s) < size && !isalpha((unsigned char)p[strlen(*t)])) {
            snprintf(out, size, "%.*s", (int)(p - s), s);
            return !has_lowercase(out);
        }
    }
    return 0;
}

/* "ENTICE means to tempt - that's our answer!": the capitals opening a
 * sentence that ends by calling it the answer, into out. */
static int answer_named_after(const char *sentence, char *out, size_t size)
{
    static const char *const tails[] = {"that's our answer", "that's the answer", "that's my answer",
                                        "that is the answer", "that is our answer", "which is the answer", NULL};
    int yes;
    const char *s = skip_connectives(sentence, &yes);
    const char *end = s;
    while (*end && (isupper((unsigned char)*end) || *end == ' ' || *end == '-' || *end == '\''))
        end++;
    while (end > s && (end[-1] == ' ' || end[-1] == '-'))
        end--;
    if (end == s || (size_t)(end - s) >= size)
        return 0;
    size_t n = strcspn(s, ".?;");
    for (const char *const *t = tails; *t; t++) {
        const char *p = find_ci(s, *t);
        if (p && (size_t)(p - s) < n) {
            snprintf(out, size, "%.*s", (int)(end - s), s);
            return 1;
        }
    }
    return 0;
}

/* "So the state is MAINE.": a sentence opening with a conclusion word and
 * ending in capitals after " is ", " = " or " gives " that fit the
 * enumeration; those into out. */
static int concluding_sentence(const char *sentence, char *out, size_t size, int want)
{
    static const char *const leads[] = {"so ", "therefore", "thus", "hence", "which means", NULL};
    static const char *const links[] = {" is ", " = ", " gives ", " makes ", " be ", NULL};
    int opens = 0;
    for (const char *const *l = leads; *l; l++)
        opens |= starts_ci(sentence, *l);
    if (!opens)
        return 0;
    size_t len = strcspn(sentence, "?");
    if (sentence[len] == '?')
        return 0;
    for (const char *p = sentence + len; p > sentence; p--)
        for (const char *const *k = links; *k; k++)
            if (strncmp(p, *k, strlen(*k)) == 0) {
                const char *x = p + strlen(*k);
                size_t n = strcspn(x, ".!,;");
                if (n == 0 || n >= size)
                    return 0;
                snprintf(out, size, "%.*s", (int)n, x);
                return !has_lowercase(out) && (want <= 0 || fits(out, want)); /* not a component: "= TING" */
            }
    return 0;
}

/* "\boxed{X}", "\boxed{\text{X}}" (LaTeX, as DeepSeek and Qwen answer):
 * X into out. */
static int boxed(const char *line, char *out, size_t size)
{
    const char *p = strstr(line, "\\boxed{");
    if (!p)
        return 0;
    p += 7;
    size_t n = 0;
    for (int depth = 1; *p && depth > 0 && n + 1 < size; p++) {
        if (*p == '{') {
            depth++;
        } else if (*p == '}') {
            depth--;
        } else if (*p == '\\') {
            while (isalpha((unsigned char)p[1]))
                p++; /* \text, \mathrm: the command, not its text */
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return n > 0;
}

/* "That's my final answer." alone on line i: the answer is the line
 * before it ("1. PIRANHA"), when that is one in capitals; into out. */
static int answer_on_line_before(const struct work *w, int i, const char *norm, char *out, size_t size)
{
    static const char *const lines[] = {"that's my final answer", "that's my answer", "that is my final answer",
                                        "that is my answer", "that's the answer", "that is the answer",
                                        "that's it", "final answer", NULL};
    char buf[LINE_MAX];
    snprintf(buf, sizeof buf, "%s", norm);
    size_t len = strlen(buf);
    while (len && (buf[len - 1] == '.' || buf[len - 1] == '!' || buf[len - 1] == '*'))
        buf[--len] = '\0';
    int match = 0;
    for (const char *const *l = lines; *l && !match; l++)
        match = strcasecmp(buf, *l) == 0;
    if (!match || i == 0)
        return 0;
    const char *prev = w->lines[i - 1];
    while (isdigit((unsigned char)*prev))
        prev++;
    if (prev != w->lines[i - 1] && (*prev == '.' || *prev == ')'))
        prev++;
    prev = skip_bullets(prev);
    return clean_candidate(prev, out, size, 0) == CLEAN_OK && !has_lowercase(out);
}

/* In a reply longer than a line, with a known enumeration, does text fit
 * it? Weak commitments in reasoning name components too. */
static int fits_strictly(const struct work *w, const char *text)
{
    return w->all == 1 || w->want <= 0 || fits(text, w->want);
}

/* The commitments after the phrases of markers in line i. mode: 0
 * personal; 1 must fit in a longer reply, in capitals there or when
 * quoted ("must be \"ant-eater\"" quotes the clue); 2 capitals, and must
 * fit in a longer reply. */
static void scan_marker_list(struct work *w, int i, const char *norm, const char *const *markers, int mode)
{
    char text[EVAL_ANSWER_MAX];
    for (const char *const *m = markers; *m; m++) {
        size_t n = strlen(*m);
        for (const char *p = norm; (p = find_ci(p, *m)) != NULL; p += n) {
            if ((p > norm && isalpha((unsigned char)p[-1])) || isalpha((unsigned char)p[n]))
                continue;
            const char *rest = skip_filler(p + n);
            if (starts_ci(rest, "a ") || starts_ci(rest, "an "))
                rest = skip_space(strchr(rest, ' ')); /* "It's a piranha." */
            if (starts_ci(rest, "not") || starts_ci(rest, "n't") || hedged(sentence_start(norm, p, 0), p))
                continue;
            enum clean cl = clean_candidate(rest, text, sizeof text, 1);
            int lower_ok = fits(text, w->want) &&
                           (mode == 0 || (mode == 1 && w->all == 1 && !quote_at((const unsigned char *)rest)));
            if (cl == CLEAN_NOT || (has_lowercase(text) && !lower_ok) || (mode > 0 && !fits_strictly(w, text)) ||
                is_prose(text, w->want))
                continue;
            long col = rest - norm;
            enum eval_drop drop = drop_of(w, cl, (long)i * LINE_MAX + col);
            if (drop == EVAL_KEPT && !choose_alternative(text, w->want))
                drop = EVAL_DROP_HEDGE;
            add_cand(w, i, col, EVAL_RULE_SENTENCE, text, drop);
        }
    }
}

/* Commitments in sentences of line i (sentence_markers, affirmation,
 * concluding_sentence, ...) at column from or later; how many. */
static int scan_sentences(struct work *w, int i, const char *norm, long from)
{
    char text[EVAL_ANSWER_MAX], inner[LINE_MAX];
    int first = w->nc;
    /* In a bullet ("- ", "* ", "• "), "it's X" and "that gives X" are steps
     * of the reasoning; a line in bold is no bullet. */
    const char *l = w->lines[i];
    int bullet = ((l[0] == '-' || l[0] == '*') && l[1] == ' ') || strncmp(l, "\xe2\x80\xa2", 3) == 0;
    scan_marker_list(w, i, norm, sentence_markers, 0);
    if (!bullet) {
        scan_marker_list(w, i, norm, sentence_markers_fit, 1);
        scan_marker_list(w, i, norm, sentence_markers_caps, 2);
    }
    /* Each sentence, the line's first too ("So X after all."); a bounded
     * number, as a hostile line can be all commas. */
    int sentences = 0;
    for (const char *p = norm; *p && sentences < 64; p++) {
        if (p != norm && !((p[0] == '.' || p[0] == '?' || p[0] == '!' || p[0] == ';' || p[0] == ',' ||
                            (p[0] == '-' && p > norm && p[-1] == ' ')) &&
                           p[1] == ' '))
            continue;
        const char *s = p == norm ? p : p + 2;
        int yes, found = 0;
        sentences++;
        const char *body = skip_connectives(s, &yes);
        const char *lead = p == norm ? NULL : conclusion_at(s); /* "... Reconsidering: X." */
        if (lead) {
            snprintf(inner, sizeof inner, "%.*s", (int)strcspn(lead, ".!?;,"), lead);
            found = !has_lowercase(inner) && fits_strictly(w, inner) && lead[strlen(inner)] != '?';
        }
        if (!found && ((affirmation(s, inner, sizeof inner) && fits_strictly(w, inner)) ||
                       concluding_sentence(s, inner, sizeof inner, w->want) ||
                       (answer_named_after(s, inner, sizeof inner) && fits_strictly(w, inner))))
            found = 1;
        else if (!found && yes && body > s) {
            snprintf(inner, sizeof inner, "%.*s", (int)strcspn(body, ".!?;,"), body);
            found = body[strlen(inner)] != '?' && !has_lowercase(inner) && fits_strictly(w, inner);
        }
        if (!found)
            continue;
        enum clean cl = clean_candidate(inner, text, sizeof text, 0);
        if (cl == CLEAN_NOT)
            continue;
        long col = s - norm;
        enum eval_drop drop = drop_of(w, cl, (long)i * LINE_MAX + col);
        if (drop == EVAL_KEPT && !choose_alternative(text, w->want))
            drop = EVAL_DROP_HEDGE;
        add_cand(w, i, col, EVAL_RULE_SENTENCE, text, drop);
    }
    /* In reading order: the last commitment wins. */
    for (int a = first + 1; a < w->nc; a++)
        for (int b = a; b > first && w->c[b - 1].pos > w->c[b].pos; b--) {
            struct cand t = w->c[b];
            w->c[b] = w->c[b - 1];
            w->c[b - 1] = t;
        }
    /* Only what follows from: before it, the line's answer marker decided. */
    int keep = first;
    for (int k = first; k < w->nc; k++)
        if (w->c[k].pos >= (long)i * LINE_MAX + from)
            w->c[keep++] = w->c[k];
    w->nc = keep;
    return keep - first;
}

/* Finds the candidates and revisions of line i; sets *consumed when the
 * answer of a marker ending the line is on the next line. */
static void scan_line(struct work *w, int i, int *consumed)
{
    const char *line = w->lines[i];
    char norm[LINE_MAX], text[EVAL_ANSWER_MAX];
    int rev = revision_at(line);
    if (rev)
        add_rev(w, (long)i * LINE_MAX, rev == 2);
    long inline_rev = inline_withdrawal(line);
    if (inline_rev > 0)
        add_rev(w, (long)i * LINE_MAX + inline_rev, 1);

    /* \boxed{X}: the answer, whatever surrounds it. */
    if (boxed(line, norm, sizeof norm)) {
        enum clean cl = clean_candidate(norm, text, sizeof text, 1);
        if (cl != CLEAN_NOT) {
            long col = strstr(line, "\\boxed{") - line;
            add_cand(w, i, col, EVAL_RULE_SENTENCE, text, drop_of(w, cl, (long)i * LINE_MAX + col));
            return;
        }
    }

    /* Answer markers, in markup-free text. */
    snprintf(norm, sizeof norm, "%s", line);
    remove_all(norm, "**");
    remove_all(norm, "__");
    int markers = 0;
    const char *rest;
    for (const char *m, *from = norm; (m = next_marker(norm, from, &rest)) != NULL; from = m + 1) {
        markers++;
        int at = i;
        long col = rest - norm;
        const char *source = rest;
        if (!*rest) {
            if (i + 1 >= w->n)
                continue;
            at = i + 1; /* "The answer is:" then the answer */
            col = 0;
            source = w->lines[i + 1];
            *consumed = 1;
        }
        enum clean cl = clean_candidate(source, text, sizeof text, 1);
        if (cl == CLEAN_NOT)
            continue;
        enum eval_drop drop = drop_of(w, cl, (long)at * LINE_MAX + col);
        if (drop == EVAL_KEPT && is_prose(text, w->want))
            drop = EVAL_DROP_PROSE;
        if (drop == EVAL_KEPT && !choose_alternative(text, w->want))
            drop = EVAL_DROP_HEDGE;
        add_cand(w, at, col, EVAL_RULE_ANSWER_IS, text, drop);
    }
    if (markers) {
        /* "The answer is X. No wait, it's Y.": commitments after the last marker's. */
        if (w->nc > 0 && w->c[w->nc - 1].line == i)
            scan_sentences(w, i, norm, w->c[w->nc - 1].pos - (long)i * LINE_MAX + 1);
        return;
    }
    char inner[LINE_MAX];
    if (answer_before(norm, inner, sizeof inner)) {
        enum clean cl = clean_candidate(inner, text, sizeof text, 0);
        if (cl != CLEAN_NOT) {
            enum eval_drop drop = drop_of(w, cl, (long)i * LINE_MAX);
            if (drop == EVAL_KEPT && is_prose(text, w->want))
                drop = EVAL_DROP_PROSE;
            if (drop == EVAL_KEPT && !choose_alternative(text, w->want))
                drop = EVAL_DROP_HEDGE;
            add_cand(w, i, 0, EVAL_RULE_ANSWER_IS, text, drop);
            return;
        }
    }
    if (answer_on_line_before(w, i, norm, text, sizeof text)) {
        add_cand(w, i, 0, EVAL_RULE_SENTENCE, text, EVAL_KEPT);
        return;
    }
    if (scan_sentences(w, i, norm, 0))
        return;

    /* A line all in bold, or a heading: explicit, when it reads as an answer. */
    int bold = is_bold_line(line, inner, sizeof inner);
    if (bold || line[0] == '#') {
        enum clean cl = clean_candidate(bold ? inner : line, text, sizeof text, 0);
        if (cl != CLEAN_NOT && (!has_lowercase(text) || fits(text, w->want))) {
            enum eval_drop drop = drop_of(w, cl, (long)i * LINE_MAX);
            if (drop == EVAL_KEPT && !choose_alternative(text, w->want))
                drop = EVAL_DROP_HEDGE;
            add_cand(w, i, 0, line[0] == '#' ? EVAL_RULE_HEADING : EVAL_RULE_BOLD, text, drop);
        }
        return;
    }

    /* A bare answer line: not a bullet, a numbered item or a quotation;
     * or a conclusion in capitals ("So: X", "-> X"). */
    /* The last line deriving the answer: "T' + ROUSSEAU -> TROUSSEAU",
     * "OIL + CLOT + H = OILCLOTH", when what it derives is in capitals and
     * fits (mid-reasoning, derivations give components and fodder). */
    if (i == w->n - 1 && !conclusion_at(line)) {
        const char *derived = NULL;
        static const char *const arrows[] = {"\xe2\x86\x92", "->", "=>", " = ", NULL};
        for (const char *const *a = arrows; *a; a++)
            for (const char *p = line; (p = strstr(p, *a)) != NULL; p += strlen(*a))
                if (!derived || p + strlen(*a) > derived)
                    derived = p + strlen(*a);
        if (derived && clean_candidate(derived, text, sizeof text, 0) == CLEAN_OK && !has_lowercase(text) &&
            fits(text, w->want)) {
            add_cand(w, i, derived - line, EVAL_RULE_FINAL_LINE, text, EVAL_KEPT);
            return;
        }
    }
    const char *conclusion = conclusion_at(line);
    if (line[0] == '>' && !has_lowercase(line) && !conclusion)
        line = skip_space(line + 1); /* "> AARDVARK": a blockquote of the answer */
    if (!conclusion && (line[0] == '-' || line[0] == '*' || line[0] == '>' || quote_at((const unsigned char *)line) ||
                        (unsigned char)line[0] == 0xe2 || isdigit((unsigned char)line[0])))
        return;
    char affirmed[LINE_MAX];
    if (!conclusion && affirmed_before(line, affirmed, sizeof affirmed))
        conclusion = affirmed;
    char buf[LINE_MAX];
    snprintf(buf, sizeof buf, "%s", conclusion ? conclusion : line);
    size_t len = strlen(buf);
    /* A one-line reply in capitals ending in "?" is an answer that asks ("WHAT IS THE POINT?"). */
    if (w->all == 1 && len > 1 && buf[len - 1] == '?' && !has_lowercase(buf))
        buf[--len] = '\0';
    if (len && buf[len - 1] == ':')
        return; /* "GARLIC OIL:" introduces what follows */
    enum clean cl = clean_candidate(buf, text, sizeof text, 0);
    if (cl == CLEAN_NOT)
        return;
    int words = count_words(text);
    /* A short first line in any case ("Rim") when it ends without
     * punctuation, as answers do and sentences do not; a final line in
     * any case when its words are the enumeration's ("Oral Health"). */
    int short_first = i == 0 && words <= 4 && len && strchr(".:;", buf[len - 1]) == NULL;
    int shaped_last = i == w->n - 1 && len && strchr(":;", buf[len - 1]) == NULL &&
                      has_shape(text, w->enumeration);
    int shaped = has_shape(text, w->enumeration);
    if (has_lowercase(text) && ((conclusion && !shaped) || (w->all != 1 && !short_first && !shaped_last)))
        return;
    if (w->all == 1 && sentence_not_answer(buf, text, w->want))
        return;
    enum eval_rule kind = w->all == 1            ? EVAL_RULE_WHOLE_REPLY
                          : i == 0               ? EVAL_RULE_FIRST_LINE
                          : i == w->n - 1 && !conclusion ? EVAL_RULE_FINAL_LINE
                                                 : EVAL_RULE_BARE_LINE;
    enum eval_drop drop = drop_of(w, cl, (long)i * LINE_MAX);
    if (drop == EVAL_KEPT && !choose_alternative(text, w->want))
        drop = EVAL_DROP_HEDGE;
    add_cand(w, i, 0, kind, text, drop);
}

static int explicit_kind(enum eval_rule k)
{
    return k == EVAL_RULE_ANSWER_IS || k == EVAL_RULE_BOLD || k == EVAL_RULE_HEADING || k == EVAL_RULE_SENTENCE;
}

/* A revision strictly between two positions: 2 strong, 1 weak, 0 none. */
static int revision_between(const struct work *w, long from, long to)
{
    int best = 0;
    for (int k = 0; k < w->nr; k++)
        if (w->r[k].pos > from && w->r[k].pos < to)
            best = w->r[k].strong ? 2 : best > 1 ? best : 1;
    return best;
}

/* Rule 4: which bare lines are commitments. */
static void judge_bare_lines(struct work *w)
{
    const struct cand *last_explicit = NULL;
    for (int k = 0; k < w->nc; k++) {
        struct cand *c = &w->c[k];
        if (c->drop != EVAL_KEPT) {
            continue;
        } else if (c->kind == EVAL_RULE_FIRST_LINE) {
            if (!fits(c->text, w->want) && !only_notes_after(w, c->line))
                c->drop = EVAL_DROP_NO_FIT;
        } else if (c->kind == EVAL_RULE_BARE_LINE) {
            if (material_around(w, c->line))
                c->drop = EVAL_DROP_MATERIAL;
            else if (last_explicit && !revision_between(w, last_explicit->pos, c->pos))
                c->drop = EVAL_DROP_EXPLANATION;
            else if (!fits(c->text, w->want))
                c->drop = EVAL_DROP_NO_FIT;
        } else if (c->kind == EVAL_RULE_FINAL_LINE) {
            if (material_around(w, c->line))
                c->drop = EVAL_DROP_MATERIAL;
        }
        /* A first line that fits is a commitment too: capitals after it explain it. */
        if (c->drop == EVAL_KEPT && (explicit_kind(c->kind) || c->kind == EVAL_RULE_FIRST_LINE))
            last_explicit = c;
    }
}

/* A one-line reply in another form: "wordplay -> ANSWER", "Lace up, doc". */
static void one_line_forms(struct work *w)
{
    char text[EVAL_ANSWER_MAX], buf[LINE_MAX];
    const char *arrow = NULL;
    for (const char *p = w->lines[0]; (p = strstr(p, "\xe2\x86\x92")) != NULL; p += 3)
        arrow = p + 3;
    if (!arrow)
        for (const char *p = w->lines[0]; (p = strstr(p, "=>")) != NULL; p += 2)
            arrow = p + 2;
    if (arrow) {
        if (clean_candidate(arrow, text, sizeof text, 0) == CLEAN_OK)
            add_cand(w, 0, arrow - w->lines[0], EVAL_RULE_ARROW, text, EVAL_KEPT);
        return;
    }
    snprintf(buf, sizeof buf, "%s", w->lines[0]);
    remove_all(buf, ",");
    if (clean_candidate(buf, text, sizeof text, 0) == CLEAN_OK && !sentence_not_answer(buf, text, w->want))
        add_cand(w, 0, 0, EVAL_RULE_WHOLE_REPLY, text, EVAL_KEPT);
}

/* Rules 5 and 6: the last commitment, unless withdrawn; names the rule. */
static void decide(struct work *w, struct eval_extraction *out)
{
    int winner = -1;
    for (int k = 0; k < w->nc; k++)
        if (w->c[k].drop == EVAL_KEPT) {
            if (winner >= 0)
                w->c[winner].drop = EVAL_DROP_SUPERSEDED;
            winner = k;
        }
    if (winner < 0) {
        out->rule = EVAL_RULE_NONE;
        return;
    }
    struct cand *win = &w->c[winner];
    for (int k = 0; k < w->nr; k++)
        if (w->r[k].strong && w->r[k].pos > win->pos) {
            win->drop = EVAL_DROP_WITHDRAWN;
            out->rule = EVAL_RULE_WITHDRAWN;
            return;
        }
    out->found = 1;
    size_t n = 0;
    for (const char *p = win->text; *p && n + 1 < sizeof out->answer; p++)
        out->answer[n++] = (char)toupper((unsigned char)*p);
    out->answer[n] = '\0';
    /* Revised: an earlier, different answer-like candidate, then a revision, then this one. */
    char mine[EVAL_ANSWER_MAX], theirs[EVAL_ANSWER_MAX];
    letters_az(win->text, mine, sizeof mine);
    out->rule = win->kind;
    for (int k = 0; k < winner; k++) {
        const struct cand *c = &w->c[k];
        if (c->drop != EVAL_DROP_SUPERSEDED && c->drop != EVAL_DROP_RETRACTED && c->drop != EVAL_DROP_QUESTION &&
            c->drop != EVAL_DROP_NO_FIT)
            continue;
        letters_az(c->text, theirs, sizeof theirs);
        if (strcmp(mine, theirs) != 0 && revision_between(w, c->pos, win->pos + 1)) {
            out->rule = EVAL_RULE_REVISION;
            break;
        }
    }
}

/* Splits reply into trimmed non-empty lines, each cut at LINE_MAX. */
static void split_lines(struct work *w, const char *reply)
{
    for (const char *p = reply ? reply : ""; *p && w->all < MAX_LINES;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len < LINE_MAX - 1 ? len : LINE_MAX - 1);
        if (!line)
            return;
        trim(line);
        if (line[0])
            w->lines[w->all++] = line;
        else
            free(line);
        p = nl ? nl + 1 : p + len;
    }
}

/* Rule 1: the 0-based line where the reply runs on into other clues, or
 * w->all. Scans what comes before it only to know whether a commitment
 * did; the caller scans again over what stays. */
static int find_cut(struct work *w)
{
    w->n = w->all;
    for (int i = 1; i < w->all; i++) {
        int consumed = 0;
        scan_line(w, i - 1, &consumed);
        if (runs_on_at(w, i, w->nc > 0))
            return i;
    }
    return w->all;
}

void eval_extract_explained(const char *reply, const char *enumeration, struct eval_extraction *out,
                            struct eval_explain *why)
{
    memset(out, 0, sizeof *out);
    out->rule = EVAL_RULE_EMPTY;
    if (why)
        memset(why, 0, sizeof *why);
    struct work w = {0};
    w.want = enumeration ? letters_enumeration_total(enumeration) : -1;
    w.enumeration = enumeration;
    w.lines = calloc(MAX_LINES, sizeof *w.lines);
    w.c = calloc(MAX_CANDS, sizeof *w.c);
    w.r = calloc(MAX_REVS, sizeof *w.r);
    if (!w.lines || !w.c || !w.r) {
        out->rule = EVAL_RULE_NONE;
        goto done;
    }
    split_lines(&w, reply);
    if (w.all == 0)
        goto done;
    int cut = find_cut(&w);
    w.n = cut;
    w.nc = w.nr = 0;
    for (int i = 0; i < w.n; i++) {
        int consumed = 0;
        scan_line(&w, i, &consumed);
        if (consumed && i + 1 < w.n && revision_at(w.lines[i + 1]) == 0)
            i++; /* the marker's answer line is not a bare line of its own */
    }
    if (w.nc == 0 && w.all == 1)
        one_line_forms(&w);
    judge_bare_lines(&w);
    decide(&w, out);
    if (why)
        why->cut_line = cut < w.all ? cut + 1 : 0;
done:
    if (why) {
        why->lines = w.all;
        why->n_total = w.nc;
        for (int k = 0; k < w.nc && why->n < EVAL_EXPLAIN_MAX; k++) {
            struct eval_candidate *e = &why->items[why->n++];
            e->line = w.c[k].line + 1;
            e->kind = w.c[k].kind;
            e->drop = w.c[k].drop;
            snprintf(e->text, sizeof e->text, "%s", w.c[k].text);
        }
    }
    if (w.lines)
        for (int i = 0; i < w.all; i++)
            free(w.lines[i]);
    free(w.lines);
    free(w.c);
    free(w.r);
}

void eval_extract(const char *reply, const char *enumeration, struct eval_extraction *out)
{
    eval_extract_explained(reply, enumeration, out, NULL);
}

int eval_check(const char *answer, const char *expected)
{
    char a[256], b[256];
    if (!answer || !expected)
        return 0;
    size_t na = letters_az(answer, a, sizeof a), nb = letters_az(expected, b, sizeof b);
    return na > 0 && na == nb && strcmp(a, b) == 0;
}
