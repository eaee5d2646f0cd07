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

struct candidate {
    int line;
    char text[EVAL_ANSWER_MAX];
    const char *method;
};

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

/* Does a note after an answer take it back? "(no, that's 10)", "- but that's 8 letters". */
static int is_retraction(const char *note)
{
    static const char *const words[] = {"no,", "no ", "no)", "no.", "not ", "but ", "wait", "hmm",
                                        "doesn't", "does not", "that's not", "that is not", "wrong",
                                        "too ", "only ", "incorrect", NULL};
    while (*note == ' ' || *note == '(' || *note == '-' || *note == ',')
        note++;
    for (const char *const *w = words; *w; w++)
        if (starts_ci(note, *w))
            return 1;
    return 0;
}

static const char *const not_answers[] = {"likely", "unclear", "unknown", "uncertain", "none",
                                          "n/a", "or", "the", "a", "an", "is", "this", "that",
                                          "it", "correct", "incorrect", "yes", "no", NULL};

/* Cleans a candidate: markup, surrounding quotes, trailing notes and
 * punctuation. Returns 1 when what is left looks like an answer (letters,
 * spaces, hyphens, apostrophes; at most six words); sets *retracted when a
 * note takes it back. */
static int clean_candidate(const char *in, char *out, size_t size, int *retracted)
{
    char buf[LINE_MAX];
    snprintf(buf, sizeof buf, "%s", in);
    *retracted = 0;
    remove_all(buf, "**");
    remove_all(buf, "__");
    remove_all(buf, "`");
    trim(buf);
    while (buf[0] == '#')
        memmove(buf, buf + 1, strlen(buf));
    trim(buf);
    /* Notes after the answer: "(...)", " - ...", " because ...". */
    static const char *const cuts[] = {" (", "(", " - ", " \xe2\x80\x93 ", " \xe2\x80\x94 ", " because",
                                       ", which", ", as ", "; ", ", but", " but ", NULL};
    for (const char *const *c = cuts; *c; c++) {
        char *p = strstr(buf, *c);
        if (p && p > buf) {
            if (is_retraction(p + strlen(*c)) || is_retraction(p))
                *retracted = 1;
            *p = '\0';
        }
    }
    trim(buf);
    size_t len = strlen(buf);
    while (len && (buf[len - 1] == '.' || buf[len - 1] == '!' || buf[len - 1] == ',' ||
                   buf[len - 1] == ':' || buf[len - 1] == ';' || is_space(buf[len - 1])))
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
                /* an apostrophe ending a word ("JONES'") is kept only if unquoted */
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
                return 0;
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
            return 0;
        }
    }
    if (letters == 0 || words > 6)
        return 0;
    for (const char *const *w = not_answers; *w; w++)
        if (strcasecmp(buf, *w) == 0)
            return 0;
    if (len >= size)
        return 0; /* longer than any answer */
    memcpy(out, buf, len + 1);
    return 1;
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

/* A line opening a revision. strong = one that withdraws what came before. */
static int revision_at(const char *line, int *strong)
{
    static const char *const strong_words[] = {
        "wait", "hmm", "no,", "no.", "no -", "no!", "let me reconsider", "let me re-", "let me try",
        "let me think", "let me check", "on second thought", "scratch that", "correction", "but wait",
        "oops", "that's not", "that doesn't", NULL};
    static const char *const weak_words[] = {"actually", "however", "alternatively", "or maybe",
                                             "rethinking", "reconsidering", NULL};
    while (*line == ' ' || *line == '-' || *line == '*' || *line == '(' || *line == '>' ||
           (unsigned char)*line == 0xe2) {
        if ((unsigned char)*line == 0xe2) {
            if ((unsigned char)line[1] == 0x80 && (unsigned char)line[2] == 0xa2)
                line += 3; /* bullet */
            else
                break;
        } else {
            line++;
        }
    }
    for (const char *const *w = strong_words; *w; w++)
        if (starts_ci(line, *w)) {
            *strong = 1;
            return 1;
        }
    for (const char *const *w = weak_words; *w; w++)
        if (starts_ci(line, *w)) {
            *strong = 0;
            return 1;
        }
    return 0;
}

/* Skips what may stand between an answer marker and the answer. */
static const char *skip_filler(const char *p)
{
    static const char *const filler[] = {"likely", "probably", "definitely", "clearly", "simply",
                                         "therefore", "then", "now", "indeed", "still", "most likely",
                                         "actually", NULL};
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

/* Finds an answer marker in line; returns the text after it (may be ""),
 * or NULL when the line has none. */
static const char *marker_rest(const char *line)
{
    static const char *const simple[] = {"final answer:", "final answer is", "conclusion:",
                                         "solution:", "i'll go with", "i will go with",
                                         "i'm going with", "going with:", NULL};
    for (const char *const *m = simple; *m; m++) {
        const char *p = find_ci(line, *m);
        if (p && (p == line || !isalpha((unsigned char)p[-1])))
            return skip_filler(p + strlen(*m));
    }
    for (const char *p = line; (p = find_ci(p, "answer")) != NULL; p += 6) {
        if (p > line && isalpha((unsigned char)p[-1]))
            continue;
        const char *q = p + 6;
        if (*q == ':')
            return skip_filler(q + 1);
        if (*q != ' ')
            continue;
        q++;
        static const char *const verbs[] = {"is:", "is ", "would be", "should be", "might be",
                                            "must be", "could be", "here is", NULL};
        for (const char *const *v = verbs; *v; v++)
            if (starts_ci(q, *v))
                return skip_filler(q + strlen(*v));
        if (starts_ci(q, "to ")) {
            /* "The answer to the clue \"...\" (5) is:" */
            const char *is = find_ci(q, " is:");
            if (!is)
                is = find_ci(q, " is ");
            if (is)
                return skip_filler(is + 4);
        }
    }
    return NULL;
}

/* Picks from "X or Y" the alternative that fits the enumeration. */
static void choose_alternative(char *text, int want)
{
    char *or = strstr(text, " or ");
    if (!or)
        or = strstr(text, " OR ");
    if (!or || want <= 0)
        return;
    char first[EVAL_ANSWER_MAX], second[EVAL_ANSWER_MAX], tmp[EVAL_ANSWER_MAX];
    snprintf(first, sizeof first, "%.*s", (int)(or - text), text);
    snprintf(second, sizeof second, "%s", or + 4);
    int a = (int)letters_az(first, tmp, sizeof tmp), b = (int)letters_az(second, tmp, sizeof tmp);
    if (a == want || b != want)
        memcpy(text, first, strlen(first) + 1);
    else
        memcpy(text, second, strlen(second) + 1);
}

static int add(struct candidate *c, int *n, int max, int line, const char *text, const char *method)
{
    if (*n >= max)
        return 0;
    c[*n].line = line;
    snprintf(c[*n].text, sizeof c[*n].text, "%s", text);
    c[*n].method = method;
    (*n)++;
    return 1;
}

/* "**X**" (or "**X**."): the whole line in bold. */
static int is_bold_line(const char *line)
{
    size_t len = strlen(line);
    if (len < 5 || strncmp(line, "**", 2) != 0)
        return 0;
    const char *close = strstr(line + 2, "**");
    return close && (close[2] == '\0' || (close[2] == '.' && close[3] == '\0'));
}

static int starts_with_quote(const char *s)
{
    return quote_at((const unsigned char *)s) > 0;
}

void eval_extract(const char *reply, const char *enumeration, struct eval_extraction *out)
{
    memset(out, 0, sizeof *out);
    out->method = "none: empty reply";
    int want = enumeration ? letters_enumeration_total(enumeration) : -1;

    /* Split into trimmed non-empty lines. */
    char **lines = calloc(MAX_LINES, sizeof *lines);
    struct candidate *cands = calloc(MAX_LINES, sizeof *cands);
    int nlines = 0, ncands = 0;
    if (!lines || !cands) {
        out->method = "none: out of memory";
        goto done;
    }
    for (const char *p = reply ? reply : ""; *p && nlines < MAX_LINES;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len < LINE_MAX - 1 ? len : LINE_MAX - 1);
        if (!line)
            break;
        trim(line);
        if (line[0])
            lines[nlines++] = line;
        else
            free(line);
        p = nl ? nl + 1 : p + len;
    }
    if (nlines == 0)
        goto done;

    int last_strong_revision = -1;
    int any_revision_line[MAX_LINES];
    memset(any_revision_line, 0, sizeof any_revision_line);
    for (int i = 0; i < nlines; i++) {
        const char *line = lines[i];
        char text[EVAL_ANSWER_MAX];
        int retracted = 0, strong = 0;
        if (revision_at(line, &strong)) {
            any_revision_line[i] = 1;
            if (strong)
                last_strong_revision = i;
        }
        /* An answer marker. */
        const char *rest = marker_rest(line);
        if (rest) {
            const char *source = rest;
            if (!*rest && i + 1 < nlines)
                source = lines[i + 1]; /* "The answer is:" then the answer */
            if (clean_candidate(source, text, sizeof text, &retracted)) {
                if (retracted) {
                    any_revision_line[i] = 1;
                    last_strong_revision = i;
                } else {
                    choose_alternative(text, want);
                    add(cands, &ncands, MAX_LINES, i, text, "answer marker");
                }
                continue;
            }
        }
        /* A line that is all bold, or a heading. */
        size_t len = strlen(line);
        if ((is_bold_line(line) || line[0] == '#') &&
            clean_candidate(line, text, sizeof text, &retracted) && !retracted) {
            add(cands, &ncands, MAX_LINES, i, text, line[0] == '#' ? "heading" : "bold line");
            continue;
        }
        /* A bare answer line. */
        if (line[0] != '-' && line[0] != '*' && line[0] != '>' && !starts_with_quote(line) &&
            clean_candidate(line, text, sizeof text, &retracted) && !retracted) {
            int words = 1;
            for (const char *w = text; *w; w++)
                words += *w == ' ';
            int caps = !has_lowercase(text);
            /* A short first line in any case ("Rim") when it ends without
             * punctuation, as answers do and sentences do not. */
            int short_first = i == 0 && words <= 4 && strchr(".:;?", line[len - 1]) == NULL;
            if (caps || nlines == 1 || short_first)
                add(cands, &ncands, MAX_LINES, i, text, nlines == 1 ? "whole reply" : "bare answer line");
        }
    }

    /* A one-line reply in another form: "wordplay -> ANSWER", "Lace up, doc", "WHAT IS IT?". */
    if (ncands == 0 && nlines == 1) {
        char text[EVAL_ANSWER_MAX], buf[LINE_MAX];
        int retracted;
        const char *arrow = NULL;
        for (const char *p = lines[0]; (p = strstr(p, "\xe2\x86\x92")) != NULL; p += 3)
            arrow = p + 3;
        if (!arrow)
            for (const char *p = lines[0]; (p = strstr(p, "=>")) != NULL; p += 2)
                arrow = p + 2;
        if (arrow && clean_candidate(arrow, text, sizeof text, &retracted) && !retracted) {
            add(cands, &ncands, MAX_LINES, 0, text, "after an arrow");
        } else {
            snprintf(buf, sizeof buf, "%s", lines[0]);
            remove_all(buf, ",");
            size_t len = strlen(buf);
            if (len && buf[len - 1] == '?' && !has_lowercase(buf))
                buf[len - 1] = '\0';
            if (clean_candidate(buf, text, sizeof text, &retracted) && !retracted)
                add(cands, &ncands, MAX_LINES, 0, text, "whole reply");
        }
    }

    if (ncands == 0) {
        out->method = "none: the reply never commits to an answer";
        goto done;
    }
    /* Revised after the first commitment: the last one stands, unless a
     * revision withdrew it and nothing followed. */
    int first = cands[0].line, revised = 0;
    for (int i = first + 1; i < nlines; i++)
        revised |= any_revision_line[i];
    const struct candidate *winner = &cands[0];
    if (revised) {
        winner = &cands[ncands - 1];
        if (last_strong_revision > winner->line) {
            out->method = "none: the reply withdrew its answer and never settled";
            goto done;
        }
    }
    out->found = 1;
    size_t n = 0;
    for (const char *p = winner->text; *p && n + 1 < sizeof out->answer; p++)
        out->answer[n++] = (char)toupper((unsigned char)*p);
    out->answer[n] = '\0';
    out->method = revised ? (strcmp(winner->method, "answer marker") == 0 ? "last answer marker after revisions"
                                                                             : "last answer after revisions")
                          : winner->method;
done:
    if (lines)
        for (int i = 0; i < nlines; i++)
            free(lines[i]);
    free(lines);
    free(cands);
}

int eval_check(const char *answer, const char *expected)
{
    char a[256], b[256];
    if (!answer || !expected)
        return 0;
    size_t na = letters_az(answer, a, sizeof a), nb = letters_az(expected, b, sizeof b);
    return na > 0 && na == nb && strcmp(a, b) == 0;
}
