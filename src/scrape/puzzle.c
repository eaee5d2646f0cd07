/* puzzle.c - puzzles read from posts: release, validation, JSON; see puzzle.h. */
#include "scrape/puzzle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/text.h"

void scrape_puzzle_free(struct scrape_puzzle *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nclues; i++) {
        struct scrape_clue *c = &p->clues[i];
        free(c->number);
        free(c->direction);
        free(c->text);
        free(c->enumeration);
        free(c->answer);
        free(c->display_answer);
        free(c->explanation);
        for (size_t d = 0; d < c->ndefinitions; d++)
            free(c->definitions[d]);
        free(c->definitions);
    }
    free(p->clues);
    free(p->continuations);
    free(p->series);
    free(p->setter);
    free(p->date);
    free(p->title);
    free(p->url);
    free(p);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int scrape_puzzle_validate(const struct scrape_puzzle *p, int require_identity, struct err *err)
{
    if (p->nclues == 0)
        return err_set(err, "no clues found in the post body");
    int across = 0, down = 0;
    for (size_t i = 0; i < p->nclues; i++) {
        const struct scrape_clue *c = &p->clues[i];
        if (!c->answer || !c->answer[0])
            return err_set(err, "clue %s %s: no answer found after the clue", c->number, c->direction);
        int want = scrape_enumeration_letters(c->enumeration);
        int have = (int)strlen(c->answer);
        if (want != have)
            return err_set(err, "clue %s %s: answer %s has %d letters, enumeration %s", c->number,
                           c->direction, c->display_answer ? c->display_answer : c->answer, have,
                           c->enumeration);
        across += strcmp(c->direction, "across") == 0;
        down += strcmp(c->direction, "down") == 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->clues[j].number, c->number) == 0 &&
                strcmp(p->clues[j].direction, c->direction) == 0)
                return err_set(err, "clue %s %s appears twice", c->number, c->direction);
    }
    if (!across || !down)
        return err_set(err, "no %s clues found (%zu %s clues): the page is incomplete or not a "
                            "crossword post",
                       across ? "down" : "across", p->nclues, across ? "across" : "down");

    /* Every grid number from 1 to the highest starts an entry, or is a
     * light of a linked clue's answer. */
    size_t n = 0;
    for (size_t i = 0; i < p->nclues; i++)
        n += (size_t)p->clues[i].nnumbers + (size_t)p->clues[i].nlinked;
    for (size_t i = 0; i < p->ncontinuations; i++)
        n += (size_t)p->continuations[i].nnumbers;
    int *numbers = malloc(n * sizeof *numbers);
    if (!numbers)
        return err_set(err, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < p->nclues; i++) {
        for (int j = 0; j < p->clues[i].nnumbers; j++)
            numbers[k++] = p->clues[i].numbers[j];
        for (int j = 0; j < p->clues[i].nlinked; j++)
            numbers[k++] = p->clues[i].linked[j];
    }
    for (size_t i = 0; i < p->ncontinuations; i++)
        for (int j = 0; j < p->continuations[i].nnumbers; j++)
            numbers[k++] = p->continuations[i].numbers[j];
    qsort(numbers, n, sizeof *numbers, cmp_int);
    int expect = 1, rc = 0;
    char missing[256] = "";
    size_t used = 0;
    int nmissing = 0;
    for (size_t i = 0; i < n; i++) {
        while (numbers[i] > expect) {
            if (nmissing < 10) {
                int w = snprintf(missing + used, sizeof missing - used, "%s%d", used ? ", " : "", expect);
                if (w > 0 && (size_t)w < sizeof missing - used)
                    used += (size_t)w;
            }
            nmissing++;
            expect++;
        }
        if (numbers[i] == expect)
            expect++;
    }
    if (nmissing)
        rc = err_set(err, "clue numbers do not cover 1 to %d: %s missing (%s%s), and no clue of the post "
                          "links to %s; a truncated page?",
                     numbers[n - 1], nmissing == 1 ? "number" : "numbers", missing,
                     nmissing > 10 ? ", ..." : "", nmissing == 1 ? "it" : "them");
    free(numbers);
    if (rc < 0)
        return rc;

    if (require_identity) {
        if (!p->series)
            return err_set(err, "the post's series is unknown (title \"%s\")", p->title ? p->title : "");
        if (p->number <= 0)
            return err_set(err, "the puzzle number is unknown (title \"%s\")", p->title ? p->title : "");
        if (!p->date)
            return err_set(err, "the post's date is unknown");
    }
    return 0;
}

json_t *scrape_puzzle_to_json(const struct scrape_puzzle *p)
{
    json_t *clues = json_array();
    for (size_t i = 0; i < p->nclues; i++) {
        const struct scrape_clue *c = &p->clues[i];
        json_t *defs = json_array();
        for (size_t d = 0; d < c->ndefinitions; d++)
            json_array_append_new(defs, json_string(c->definitions[d]));
        char linked[128];
        scrape_clue_linked(c, linked, sizeof linked);
        json_array_append_new(clues, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:o, s:s?}",
                                               "number", c->number, "direction", c->direction,
                                               "text", c->text, "enumeration", c->enumeration,
                                               "answer", c->answer, "display_answer",
                                               c->display_answer, "explanation", c->explanation,
                                               "definitions", defs, "linked",
                                               linked[0] ? linked : NULL));
    }
    json_t *number = p->number > 0 ? json_integer(p->number) : json_null();
    return json_pack("{s:s?, s:o, s:s?, s:s?, s:s?, s:s?, s:o}", "series", p->series, "number",
                     number, "setter", p->setter, "date", p->date, "title", p->title, "url", p->url,
                     "clues", clues);
}

char *scrape_clue_linked(const struct scrape_clue *c, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    if (c->nnumbers + c->nlinked < 2)
        return out;
    for (int i = 0; i < c->nnumbers + c->nlinked; i++) {
        int n = i < c->nnumbers ? c->numbers[i] : c->linked[i - c->nnumbers];
        int w = snprintf(out + used, size - used, "%s%d", i ? "/" : "", n);
        if (w < 0 || (size_t)w >= size - used) {
            out[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
    return out;
}
