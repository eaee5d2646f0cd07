/* clues.c - clue entries from the lines of a post body; see clues.h. */
#include "scrape/clues.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scrape/links.h"
#include "scrape/text.h"

#define EXPLANATION_MAX (64 * 1024)

static char *dup_range(const char *s, size_t start, size_t end)
{
    while (start < end && s[start] == ' ')
        start++;
    while (end > start && s[end - 1] == ' ')
        end--;
    return strndup(s + start, end - start);
}

static int add_definition(struct scrape_clue *c, char *text, struct err *err)
{
    if (!text)
        return err_set(err, "out of memory");
    if (!text[0]) {
        free(text);
        return 0;
    }
    char **defs = realloc(c->definitions, (c->ndefinitions + 1) * sizeof *defs);
    if (!defs) {
        free(text);
        return err_set(err, "out of memory");
    }
    c->definitions = defs;
    c->definitions[c->ndefinitions++] = text;
    return 0;
}

/* Starts a clue from a clue line: caption consumed bytes, enumeration at
 * enum_start. */
static int start_clue(struct scrape_puzzle *p, const struct scrape_line *line,
                      const struct scrape_caption *cap, size_t cap_len, size_t enum_start,
                      char direction, struct err *err)
{
    struct scrape_clue *clues = realloc(p->clues, (p->nclues + 1) * sizeof *clues);
    if (!clues)
        return err_set(err, "out of memory");
    p->clues = clues;
    struct scrape_clue *c = &p->clues[p->nclues++];
    memset(c, 0, sizeof *c);
    const char *t = line->text;
    size_t enum_end = strlen(t);
    while (enum_end && t[enum_end - 1] == ' ')
        enum_end--;
    c->number = strdup(cap->number);
    c->direction = strdup(direction == 'd' ? "down" : "across");
    c->text = dup_range(t, cap_len, enum_start);
    c->enumeration = dup_range(t, enum_start, enum_end);
    c->explanation = strdup("");
    if (!c->number || !c->direction || !c->text || !c->enumeration || !c->explanation)
        return err_set(err, "out of memory");
    /* Normalise the enumeration's inner spaces away: "(5, 10)" -> "(5,10)". */
    char *w = c->enumeration;
    for (const char *r = c->enumeration; *r; r++)
        if (*r != ' ')
            *w++ = *r;
    *w = '\0';
    c->nnumbers = cap->nnumbers < 8 ? cap->nnumbers : 8;
    memcpy(c->numbers, cap->numbers, (size_t)c->nnumbers * sizeof(int));
    for (size_t i = 0; i < line->nspans; i++) {
        const struct scrape_span *s = &line->spans[i];
        if (!(s->flags & SCRAPE_SPAN_UNDERLINE))
            continue;
        size_t start = s->start < cap_len ? cap_len : s->start;
        size_t end = s->end > enum_start ? enum_start : s->end;
        /* Stretches that touch (split only by markup) are one definition. */
        while (i + 1 < line->nspans && (line->spans[i + 1].flags & SCRAPE_SPAN_UNDERLINE) &&
               line->spans[i + 1].start == s->end) {
            i++;
            s = &line->spans[i];
            end = s->end > enum_start ? enum_start : s->end;
        }
        if (start >= end)
            continue;
        if (add_definition(c, dup_range(t, start, end), err) < 0)
            return -1;
    }
    return 0;
}

/* Adds a line to the explanation; one longer than EXPLANATION_MAX is cut. */
static int append_explanation(struct scrape_clue *c, const char *text, struct err *err)
{
    while (*text == ' ')
        text++;
    size_t have = strlen(c->explanation), add = strlen(text);
    if (!add || have + add + 1 > EXPLANATION_MAX)
        return 0;
    char *grown = realloc(c->explanation, have + add + 2);
    if (!grown)
        return err_set(err, "out of memory");
    if (have)
        grown[have++] = '\n';
    memcpy(grown + have, text, add + 1);
    c->explanation = grown;
    return 0;
}

/* Skips what separates an answer from its explanation: " : ", " – ", "=". */
static const char *skip_separator(const char *s)
{
    for (;;) {
        if (*s == ' ' || *s == ':' || *s == '-' || *s == '=' || *s == ';' || *s == ',')
            s++;
        else if ((unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
                 ((unsigned char)s[2] == 0x93 || (unsigned char)s[2] == 0x94))
            s += 3; /* en or em dash */
        else
            return s;
    }
}

/* Takes the answer from the line after a clue. Returns 1 when found. */
static int take_answer(struct scrape_clue *c, const struct scrape_line *line, struct err *err)
{
    const char *t = line->text;
    size_t len = 0;
    if (line->kind == SCRAPE_LINE_ANSWER) {
        len = strlen(t);
    } else if (line->nspans && line->spans[0].start == 0 && (line->spans[0].flags & SCRAPE_SPAN_BOLD)) {
        /* A bold stretch opens the line: the answer is its capitals. */
        char *bold = strndup(t, line->spans[0].end);
        if (!bold)
            return err_set(err, "out of memory");
        len = scrape_answer_prefix(bold);
        free(bold);
        if (len == 0)
            len = scrape_answer_prefix(t);
    } else {
        len = scrape_answer_prefix(t);
    }
    if (len == 0)
        return 0;
    c->display_answer = dup_range(t, 0, len);
    if (!c->display_answer)
        return err_set(err, "out of memory");
    char letters[256];
    scrape_answer_letters(c->display_answer, letters, sizeof letters);
    c->answer = strdup(letters);
    if (!c->answer)
        return err_set(err, "out of memory");
    if (append_explanation(c, skip_separator(t + len), err) < 0)
        return -1;
    return 1;
}

/* Skips what may stand between a caption and "See": "(", "-", "–", ":". */
static const char *skip_see_lead(const char *s)
{
    for (;;) {
        if (*s == ' ' || *s == '(' || *s == '-' || *s == ':' || *s == '[')
            s++;
        else if ((unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
                 ((unsigned char)s[2] == 0x93 || (unsigned char)s[2] == 0x94))
            s += 3;
        else
            return s;
    }
}

/* Reads "See 1", "see 12 across", "(See 13/18)" at s, up to limit (the
 * enumeration's start, or the end): a continuation entry when nothing
 * but punctuation follows the reference. Before an enumeration (exact) it
 * must be the reference alone: "See 1 and run (5)" is a clue. Sets
 * *target (0 if unreadable). */
static int read_see_reference(const char *s, size_t limit, int exact, int *target)
{
    const char *end = s + limit;
    s = skip_see_lead(s);
    if (s >= end || strncasecmp(s, "see", 3) != 0 || isalpha((unsigned char)s[3]))
        return 0;
    s += 3;
    while (*s == ' ' || *s == ':')
        s++;
    if (s >= end || !isdigit((unsigned char)*s))
        return 0;
    struct scrape_caption cap;
    char ref[64];
    size_t n = (size_t)(end - s) < sizeof ref ? (size_t)(end - s) : sizeof ref - 1;
    memcpy(ref, s, n);
    ref[n] = '\0';
    /* the reference reads as a caption: "13", "13 across", "13/18" */
    char *tail = ref;
    while (*tail && (isalnum((unsigned char)*tail) || *tail == '/' || *tail == ',' || *tail == ' '))
        tail++;
    for (const char *q = tail; *q; q++)
        if (isalnum((unsigned char)*q))
            return 0;
    *tail = '\0';
    *target = scrape_caption_parse(ref, 1, &cap) > 0 ? cap.numbers[0] : 0;
    if (!*target && exact)
        return 0;
    if (!*target) {
        /* "See 13 Across and note": keep the number, ignore the rest */
        *target = atoi(ref);
        if (*target <= 0 || *target > 999)
            *target = 0;
    }
    return 1;
}

static int add_continuation(struct scrape_puzzle *p, const struct scrape_caption *cap, int target,
                            struct err *err)
{
    struct scrape_continuation *k =
        realloc(p->continuations, (p->ncontinuations + 1) * sizeof *k);
    if (!k)
        return err_set(err, "out of memory");
    p->continuations = k;
    k = &p->continuations[p->ncontinuations++];
    memset(k, 0, sizeof *k);
    k->nnumbers = cap->nnumbers < 8 ? cap->nnumbers : 8;
    memcpy(k->numbers, cap->numbers, (size_t)k->nnumbers * sizeof(int));
    k->target = target;
    return 0;
}

/* Makes "<caption> <clue>" of a caption line and the clue line after it. */
static int join_lines(const struct scrape_line *caption, const struct scrape_line *clue,
                      struct scrape_line *out, struct err *err)
{
    size_t clen = strlen(caption->text), tlen = strlen(clue->text);
    out->kind = SCRAPE_LINE_TEXT;
    out->text = malloc(clen + tlen + 2);
    out->spans = clue->nspans ? malloc(clue->nspans * sizeof *out->spans) : NULL;
    if (!out->text || (clue->nspans && !out->spans)) {
        free(out->text);
        free(out->spans);
        return err_set(err, "out of memory");
    }
    memcpy(out->text, caption->text, clen);
    out->text[clen] = ' ';
    memcpy(out->text + clen + 1, clue->text, tlen + 1);
    for (size_t k = 0; k < clue->nspans; k++) {
        out->spans[k] = clue->spans[k];
        out->spans[k].start += clen + 1;
        out->spans[k].end += clen + 1;
    }
    out->nspans = clue->nspans;
    return 0;
}

static int read_line(const struct scrape_line *line, struct scrape_puzzle *p, char *direction,
                     struct scrape_clue **current, int *want_answer, struct err *err);

/* Reads one line in the state (direction, current clue, whether its
 * answer is still due). */
static int read_line(const struct scrape_line *line, struct scrape_puzzle *p, char *direction,
                     struct scrape_clue **current, int *want_answer, struct err *err)
{
    if (line->kind == SCRAPE_LINE_BREAK) {
        *current = NULL;
        return 0;
    }
    char dir;
    if (line->kind == SCRAPE_LINE_TEXT && scrape_heading(line->text, &dir)) {
        *direction = dir;
        *current = NULL;
        return 0;
    }
    struct scrape_caption cap;
    size_t cap_len = scrape_caption_parse(line->text, 0, &cap);
    if (cap_len > 0 && line->kind == SCRAPE_LINE_TEXT) {
        size_t enum_start;
        int letters, target;
        int has_enum = scrape_enumeration_at_end(line->text, &enum_start, &letters) && enum_start > cap_len;
        /* "18 See 13", even with the linked answer's enumeration after it */
        if (read_see_reference(line->text + cap_len, (has_enum ? enum_start : strlen(line->text)) - cap_len,
                               has_enum, &target)) {
            *current = NULL;
            return add_continuation(p, &cap, target, err);
        }
        if (has_enum) {
            char d = cap.direction ? cap.direction : *direction ? *direction : 'a';
            if (start_clue(p, line, &cap, cap_len, enum_start, d, err) < 0)
                return -1;
            *current = &p->clues[p->nclues - 1];
            *want_answer = 1;
            return 0;
        }
    }
    struct scrape_clue *c = *current;
    if (!c)
        return 0;
    /* The blogger's closing thanks is not part of the last explanation. */
    if (!*want_answer && line->kind == SCRAPE_LINE_TEXT &&
        (strncasecmp(line->text, "thanks ", 7) == 0 || strncasecmp(line->text, "thank you", 9) == 0)) {
        *current = NULL;
        return 0;
    }
    if (*want_answer) {
        *want_answer = 0;
        int found = take_answer(c, line, err);
        if (found != 0)
            return found < 0 ? -1 : 0;
    }
    if (line->kind == SCRAPE_LINE_DEFINITION) {
        /* A Definition column replaces the underlined guesses. */
        for (size_t d = 0; d < c->ndefinitions; d++)
            free(c->definitions[d]);
        c->ndefinitions = 0;
        return add_definition(c, strdup(line->text), err);
    }
    return append_explanation(c, line->text, err);
}

int scrape_clues_read(const struct scrape_lines *lines, struct scrape_puzzle *p, struct err *err)
{
    char direction = 0;
    struct scrape_clue *current = NULL;
    int want_answer = 0;
    for (size_t i = 0; i < lines->n; i++) {
        const struct scrape_line *line = &lines->items[i];
        /* A number alone on its line, the clue (or "See 13") on the next: read them as one. */
        struct scrape_line joined = {0};
        size_t enum_start;
        int letters, target;
        const char *next = i + 1 < lines->n ? lines->items[i + 1].text : NULL;
        if (line->kind == SCRAPE_LINE_TEXT && next && lines->items[i + 1].kind == SCRAPE_LINE_TEXT &&
            scrape_caption_parse(line->text, 1, NULL) > 0 && scrape_caption_parse(next, 0, NULL) == 0 &&
            (scrape_enumeration_at_end(next, &enum_start, &letters) ||
             read_see_reference(next, strlen(next), 0, &target))) {
            if (join_lines(line, &lines->items[i + 1], &joined, err) < 0)
                return -1;
            line = &joined;
            i++;
        }
        int rc = read_line(line, p, &direction, &current, &want_answer, err);
        free(joined.text);
        free(joined.spans);
        if (rc < 0)
            return -1;
    }
    scrape_links_resolve(p);
    return 0;
}
