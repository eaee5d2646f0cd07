/* links.c - linked entries of a puzzle read from a post; see links.h. */
#include "scrape/links.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scrape/text.h"

/* Grid numbers are small (text.c refuses captions over 3 digits). */
#define NUMBER_MAX 999
#define GROUP_MAX 8

struct ref {
    int number;
    char direction; /* 'a', 'd' or 0 */
};

/* Reads a direction right after a number: attached ("13a", "18dn") or as
 * a word ("13 across", "18 Down"). Returns the bytes read, 0 if none. */
static size_t read_direction(const char *p, char *dir)
{
    static const struct {
        const char *word;
        char dir;
    } words[] = {{"across", 'a'}, {"down", 'd'}, {"ac", 'a'}, {"dn", 'd'}, {"a", 'a'}, {"d", 'd'}};
    size_t skip = 0;
    for (int spaced = 0; spaced < 2; spaced++) {
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
            size_t n = strlen(words[i].word);
            /* Spaced, only the full words: "13 a" is text. */
            if (spaced && n < 4)
                continue;
            if (strncasecmp(p + skip, words[i].word, n) == 0 && !isalnum((unsigned char)p[skip + n])) {
                *dir = words[i].dir;
                return skip + n;
            }
        }
        if (*p != ' ')
            break;
        skip = 1;
    }
    return 0;
}

/* Reads a grid number of 1 to 3 digits at p (not part of a longer number)
 * and its direction. Returns the bytes read, 0 if none. */
static size_t read_ref(const char *p, struct ref *out)
{
    size_t n = 0;
    int value = 0;
    while (isdigit((unsigned char)p[n])) {
        if (n < 4)
            value = value * 10 + (p[n] - '0');
        n++;
    }
    if (n == 0 || n > 3 || value == 0 || p[0] == '0')
        return 0;
    out->number = value;
    out->direction = 0;
    n += read_direction(p + n, &out->direction);
    return n;
}

/* Reads a reference group at s ("13/18", "13a,18d", "13 across/18"): grid
 * numbers joined by "/" or ",". Returns how many it holds (1 for a lone
 * number, 0 for none) and sets *used to the bytes read. */
static int read_group(const char *s, struct ref group[GROUP_MAX], size_t *used)
{
    int n = 0;
    const char *p = s;
    for (;;) {
        struct ref r;
        size_t k = read_ref(p, &r);
        if (k == 0)
            break;
        if (n < GROUP_MAX)
            group[n++] = r;
        p += k;
        const char *q = p;
        while (*q == ' ')
            q++;
        if (*q != '/' && *q != ',')
            break;
        q++;
        while (*q == ' ')
            q++;
        if (!isdigit((unsigned char)*q))
            break;
        p = q;
    }
    /* "1,000" or "3/4ths" is not a reference. */
    if (isdigit((unsigned char)*p) || isalpha((unsigned char)*p))
        n = 0;
    *used = (size_t)(p - s) ? (size_t)(p - s) : 1;
    return n;
}

/* ---- who holds which number ---------------------------------------- */

struct grid {
    unsigned char has_entry[NUMBER_MAX + 1]; /* a caption or continuation names it */
    unsigned char linked[NUMBER_MAX + 1];    /* a clue's linked light */
    int highest;
};

static int clue_names(const struct scrape_clue *c, int number)
{
    for (int i = 0; i < c->nnumbers; i++)
        if (c->numbers[i] == number)
            return 1;
    for (int i = 0; i < c->nlinked; i++)
        if (c->linked[i] == number)
            return 1;
    return 0;
}

/* The clue whose caption starts with number (in direction when given),
 * else one whose caption names it; NULL when none. */
static struct scrape_clue *clue_for(struct scrape_puzzle *p, int number, char direction)
{
    struct scrape_clue *named = NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < p->nclues; i++) {
            struct scrape_clue *c = &p->clues[i];
            if (direction && c->direction[0] != direction)
                continue;
            if (c->nnumbers > 0 && c->numbers[0] == number)
                return c;
            if (!named && clue_names(c, number))
                named = c;
        }
        if (named || !direction)
            break;
        direction = 0; /* "See 13 across" when 13 is written under Down */
    }
    return named;
}

static void link(struct grid *g, struct scrape_clue *c, int number)
{
    if (number < 1 || number > NUMBER_MAX || clue_names(c, number) ||
        c->nlinked >= (int)(sizeof c->linked / sizeof c->linked[0]))
        return;
    c->linked[c->nlinked++] = number;
    g->linked[number] = 1;
}

/* ---- the rules ------------------------------------------------------ */

/* "18 See 13": 18 joins clue 13. */
static void link_continuations(struct scrape_puzzle *p, struct grid *g)
{
    for (size_t i = 0; i < p->ncontinuations; i++) {
        const struct scrape_continuation *k = &p->continuations[i];
        struct scrape_clue *head = k->target ? clue_for(p, k->target, 0) : NULL;
        for (int j = 0; head && j < k->nnumbers; j++)
            link(g, head, k->numbers[j]);
    }
}

/* "... in 13/18": a number without an entry of its own, referred to with
 * a clue that is there, joins that clue. */
static void link_references(struct scrape_puzzle *p, struct grid *g)
{
    for (size_t i = 0; i < p->nclues; i++) {
        const char *t = p->clues[i].text;
        for (size_t at = 0; t[at];) {
            if (!isdigit((unsigned char)t[at]) || (at > 0 && isalnum((unsigned char)t[at - 1]))) {
                at++;
                continue;
            }
            struct ref group[GROUP_MAX];
            size_t used;
            int n = read_group(t + at, group, &used);
            at += used;
            if (n < 2)
                continue;
            struct scrape_clue *head = NULL;
            for (int j = 0; j < n && !head; j++)
                if (group[j].number <= NUMBER_MAX && g->has_entry[group[j].number])
                    head = clue_for(p, group[j].number, group[j].direction);
            for (int j = 0; head && j < n; j++)
                if (group[j].number <= NUMBER_MAX && !g->has_entry[group[j].number] &&
                    !g->linked[group[j].number])
                    link(g, head, group[j].number);
        }
    }
}

/* How many more lights a clue's answer must or may run on: an answer
 * longer than one light spans at least total / 15 of them and at most one
 * per part of its enumeration. 0 for an answer that fits its caption. */
static int spare_lights(const struct scrape_clue *c)
{
    if (c->nnumbers != 1 || c->nlinked != 0)
        return 0; /* the post already said which lights it fills */
    int total = scrape_enumeration_letters(c->enumeration);
    if (total <= SCRAPE_LIGHT_MAX)
        return 0;
    int parts = 0;
    for (const char *s = c->enumeration; *s;) {
        if (isdigit((unsigned char)*s)) {
            parts++;
            while (isdigit((unsigned char)*s))
                s++;
        } else {
            s++;
        }
    }
    int least = (total + SCRAPE_LIGHT_MAX - 1) / SCRAPE_LIGHT_MAX;
    return (parts > least ? parts : least) - 1;
}

/* A gap left over joins an answer too long for one light: the nearest
 * such clue numbered before it, else the nearest after it. */
static void link_long_answers(struct scrape_puzzle *p, struct grid *g)
{
    int *spare = calloc(p->nclues ? p->nclues : 1, sizeof *spare);
    if (!spare)
        return; /* the gaps stay unexplained: validation refuses the page */
    int any = 0;
    for (size_t i = 0; i < p->nclues; i++)
        any |= (spare[i] = spare_lights(&p->clues[i])) > 0;
    for (int m = 1; any && m <= g->highest; m++) {
        if (g->has_entry[m] || g->linked[m])
            continue;
        long best = -1;
        for (size_t i = 0; i < p->nclues; i++) {
            if (spare[i] <= 0)
                continue;
            int at = p->clues[i].numbers[0];
            if (best < 0) {
                best = (long)i;
                continue;
            }
            int was = p->clues[best].numbers[0];
            /* before m beats after m; then the closer one */
            int before = at < m, best_before = was < m;
            if (before != best_before ? before : abs(m - at) < abs(m - was))
                best = (long)i;
        }
        if (best < 0)
            break;
        link(g, &p->clues[best], m);
        spare[best]--;
    }
    free(spare);
}

void scrape_links_resolve(struct scrape_puzzle *p)
{
    struct grid *g = calloc(1, sizeof *g);
    if (!g)
        return;
    for (size_t i = 0; i < p->nclues; i++) {
        struct scrape_clue *c = &p->clues[i];
        c->nlinked = 0;
        for (int j = 0; j < c->nnumbers; j++)
            if (c->numbers[j] >= 1 && c->numbers[j] <= NUMBER_MAX) {
                g->has_entry[c->numbers[j]] = 1;
                if (c->numbers[j] > g->highest)
                    g->highest = c->numbers[j];
            }
    }
    for (size_t i = 0; i < p->ncontinuations; i++)
        for (int j = 0; j < p->continuations[i].nnumbers; j++) {
            int n = p->continuations[i].numbers[j];
            if (n >= 1 && n <= NUMBER_MAX) {
                g->has_entry[n] = 1;
                if (n > g->highest)
                    g->highest = n;
            }
        }
    link_continuations(p, g);
    link_references(p, g);
    link_long_answers(p, g);
    free(g);
}
