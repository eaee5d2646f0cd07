/* lines.c - a post body as structured lines; see lines.h. */
#include "scrape/lines.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "scrape/text.h"
#include "scrape/xml.h"

#define LINE_MAX_BYTES (256 * 1024)
#define MAX_DEPTH 200

/* The line being built. */
struct builder {
    struct buf text;
    struct scrape_span *spans;
    size_t nspans, cap;
    int pending_space; /* white space seen since the last character */
};

static void builder_init(struct builder *b)
{
    memset(b, 0, sizeof *b);
    buf_init(&b->text, LINE_MAX_BYTES);
}

static void builder_free(struct builder *b)
{
    buf_free(&b->text);
    free(b->spans);
    memset(b, 0, sizeof *b);
}

static int add_span(struct builder *b, size_t start, size_t end, unsigned flags, struct err *err)
{
    if (!flags || end <= start)
        return 0;
    if (b->nspans && b->spans[b->nspans - 1].flags == flags && b->spans[b->nspans - 1].end == start) {
        b->spans[b->nspans - 1].end = end;
        return 0;
    }
    if (b->nspans == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        struct scrape_span *s = realloc(b->spans, cap * sizeof *s);
        if (!s)
            return err_set(err, "out of memory");
        b->spans = s;
        b->cap = cap;
    }
    b->spans[b->nspans++] = (struct scrape_span){start, end, flags};
    return 0;
}

/* Appends text with white space collapsed. A styled stretch covers the
 * characters written, not the white space around them, so a bold answer
 * followed by a space ends at its last letter. */
static int builder_text(struct builder *b, const char *text, unsigned flags, struct err *err)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t span_start = (size_t)-1;
    while (*p) {
        int space = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f';
        size_t n = 1;
        if (p[0] == 0xc2 && p[1] == 0xa0) { /* NBSP */
            space = 1;
            n = 2;
        }
        if (space) {
            b->pending_space = 1;
            p += n;
            continue;
        }
        if (b->pending_space && b->text.len > 0 && buf_append(&b->text, " ", 1, err) < 0)
            return -1;
        b->pending_space = 0;
        if (span_start == (size_t)-1)
            span_start = b->text.len;
        if (buf_append(&b->text, p, 1, err) < 0)
            return -1;
        p++;
    }
    if (span_start != (size_t)-1 && add_span(b, span_start, b->text.len, flags, err) < 0)
        return -1;
    return 0;
}

static int push_line(struct scrape_lines *out, struct scrape_line *line, struct err *err)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        struct scrape_line *items = realloc(out->items, cap * sizeof *items);
        if (!items)
            return err_set(err, "out of memory");
        out->items = items;
        out->cap = cap;
    }
    out->items[out->n++] = *line;
    return 0;
}

/* Ends the line being built: emits it if it has text. */
static int builder_flush(struct builder *b, struct scrape_lines *out, enum scrape_line_kind kind,
                         struct err *err)
{
    b->pending_space = 0;
    if (b->text.len == 0) {
        b->nspans = 0;
        return 0;
    }
    struct scrape_line line = {0};
    line.kind = kind;
    line.text = buf_take(&b->text);
    if (!line.text)
        return err_set(err, "out of memory");
    if (b->nspans) {
        line.spans = malloc(b->nspans * sizeof *line.spans);
        if (!line.spans) {
            free(line.text);
            return err_set(err, "out of memory");
        }
        memcpy(line.spans, b->spans, b->nspans * sizeof *line.spans);
        line.nspans = b->nspans;
    }
    b->nspans = 0;
    if (push_line(out, &line, err) < 0) {
        free(line.text);
        free(line.spans);
        return -1;
    }
    return 0;
}

static int push_break(struct scrape_lines *out, struct err *err)
{
    if (out->n && out->items[out->n - 1].kind == SCRAPE_LINE_BREAK)
        return 0;
    struct scrape_line line = {0};
    line.kind = SCRAPE_LINE_BREAK;
    line.text = strdup("");
    if (!line.text)
        return err_set(err, "out of memory");
    if (push_line(out, &line, err) < 0) {
        free(line.text);
        return -1;
    }
    return 0;
}

void scrape_lines_free(struct scrape_lines *lines)
{
    for (size_t i = 0; i < lines->n; i++) {
        free(lines->items[i].text);
        free(lines->items[i].spans);
    }
    free(lines->items);
    memset(lines, 0, sizeof *lines);
}

/* ---- element classification ---------------------------------------- */

static int name_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->name && strcasecmp((const char *)n->name, name) == 0;
}

static int is_block(const xmlNode *n)
{
    static const char *const blocks[] = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5",
                                         "h6", "blockquote", "section", "article", "header",
                                         "footer", "dl", "dt", "dd", "pre", "figure", "figcaption",
                                         "tr", "td", "th", "tbody", "thead", "tfoot", "caption",
                                         "address", "main", "aside", "center", NULL};
    for (const char *const *b = blocks; *b; b++)
        if (name_is(n, *b))
            return 1;
    return 0;
}

static int is_skipped(const xmlNode *n)
{
    static const char *const skipped[] = {"script", "style", "noscript", "template", "svg",
                                          "iframe", "object", "button", "select", "textarea",
                                          "input", "img", "head", NULL};
    for (const char *const *s = skipped; *s; s++)
        if (name_is(n, *s))
            return 1;
    return 0;
}

/* 1 when the class attribute holds the token (classes may carry leading
 * spaces, as the fts generator writes them). */
static int has_class(const xmlNode *n, const char *token)
{
    const struct scrape_xml *x = scrape_xml(NULL); /* loaded by whoever parsed the document */
    xmlChar *cls = x ? x->get_prop(n, (const xmlChar *)"class") : NULL;
    int found = 0;
    if (cls) {
        size_t len = strlen(token);
        const char *p = (const char *)cls;
        while (*p && !found) {
            while (*p == ' ' || *p == '\t' || *p == '\n')
                p++;
            const char *start = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\n')
                p++;
            found = (size_t)(p - start) == len && strncasecmp(start, token, len) == 0;
        }
        (*x->free)(cls);
    }
    return found;
}

/* Does the style attribute set property to one of the values? Matched
 * loosely: WordPress rewrites "color: x;" as "color: x", the generator
 * writes leading spaces. */
static const char *find_nocase(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack; haystack++)
        if (strncasecmp(haystack, needle, n) == 0)
            return haystack;
    return NULL;
}

static int style_has(const char *style, const char *property, const char *const *values)
{
    size_t plen = strlen(property);
    const char *p = style;
    while ((p = find_nocase(p, property)) != NULL) {
        int at_start = p == style || p[-1] == ';' || p[-1] == ' ' || p[-1] == '"';
        const char *v = p + plen;
        p = v;
        if (!at_start)
            continue;
        while (*v == ' ')
            v++;
        if (*v != ':')
            continue;
        v++;
        while (*v == ' ')
            v++;
        for (const char *const *val = values; *val; val++)
            if (strncasecmp(v, *val, strlen(*val)) == 0)
                return 1;
    }
    return 0;
}

static unsigned element_flags(const xmlNode *n)
{
    static const char *const bold[] = {"bold", "bolder", "600", "700", "800", "900", NULL};
    static const char *const underline[] = {"underline", NULL};
    unsigned flags = 0;
    if (name_is(n, "b") || name_is(n, "strong"))
        flags |= SCRAPE_SPAN_BOLD;
    if (name_is(n, "u") || name_is(n, "ins") || has_class(n, "fts-definition"))
        flags |= SCRAPE_SPAN_UNDERLINE;
    const struct scrape_xml *x = scrape_xml(NULL);
    xmlChar *style = x ? x->get_prop(n, (const xmlChar *)"style") : NULL;
    if (style) {
        if (style_has((const char *)style, "font-weight", bold))
            flags |= SCRAPE_SPAN_BOLD;
        if (style_has((const char *)style, "text-decoration", underline) ||
            style_has((const char *)style, "text-decoration-line", underline))
            flags |= SCRAPE_SPAN_UNDERLINE;
        (*x->free)(style);
    }
    return flags;
}

/* ---- walking --------------------------------------------------------- */

static int walk(xmlNode *n, unsigned flags, struct builder *b, struct scrape_lines *out, int depth,
                struct err *err);
static int walk_table(xmlNode *table, struct scrape_lines *out, int depth, struct err *err);

static int walk_children(xmlNode *n, unsigned flags, struct builder *b, struct scrape_lines *out,
                         int depth, struct err *err)
{
    for (xmlNode *c = n->children; c; c = c->next)
        if (walk(c, flags, b, out, depth + 1, err) < 0)
            return -1;
    return 0;
}

static int walk(xmlNode *n, unsigned flags, struct builder *b, struct scrape_lines *out, int depth,
                struct err *err)
{
    if (depth > MAX_DEPTH)
        return err_set(err, "the page nests elements more than %d deep", MAX_DEPTH);
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
        return n->content ? builder_text(b, (const char *)n->content, flags, err) : 0;
    if (n->type != XML_ELEMENT_NODE || is_skipped(n))
        return 0;
    if (name_is(n, "br"))
        return builder_flush(b, out, SCRAPE_LINE_TEXT, err);
    if (name_is(n, "hr")) {
        if (builder_flush(b, out, SCRAPE_LINE_TEXT, err) < 0)
            return -1;
        return push_break(out, err);
    }
    if (name_is(n, "table")) {
        if (builder_flush(b, out, SCRAPE_LINE_TEXT, err) < 0 || walk_table(n, out, depth, err) < 0)
            return -1;
        return push_break(out, err);
    }
    flags |= element_flags(n);
    if (!is_block(n))
        return walk_children(n, flags, b, out, depth, err);
    if (builder_flush(b, out, SCRAPE_LINE_TEXT, err) < 0 ||
        walk_children(n, flags, b, out, depth, err) < 0 ||
        builder_flush(b, out, SCRAPE_LINE_TEXT, err) < 0)
        return -1;
    if (has_class(n, "fts"))
        return push_break(out, err);
    return 0;
}

/* ---- tables ---------------------------------------------------------- */

struct cell {
    struct scrape_lines lines;
    char *text; /* all lines joined by spaces */
};

static void cells_free(struct cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        scrape_lines_free(&cells[i].lines);
        free(cells[i].text);
    }
    free(cells);
}

static char *join_lines(const struct scrape_lines *lines)
{
    struct buf b;
    buf_init(&b, LINE_MAX_BYTES);
    for (size_t i = 0; i < lines->n; i++) {
        if (lines->items[i].kind == SCRAPE_LINE_BREAK)
            continue;
        if ((b.len && buf_append(&b, " ", 1, NULL) < 0) ||
            buf_append_str(&b, lines->items[i].text, NULL) < 0)
            break;
    }
    return buf_take(&b);
}

/* Moves a line into out, as kind. */
static int move_line(struct scrape_lines *out, struct scrape_line *line, enum scrape_line_kind kind,
                     struct err *err)
{
    struct scrape_line copy = *line;
    if (copy.kind != SCRAPE_LINE_BREAK)
        copy.kind = kind;
    if (push_line(out, &copy, err) < 0)
        return -1;
    line->text = NULL;
    line->spans = NULL;
    line->nspans = 0;
    return 0;
}

/* Emits "<caption> <clue line>" as one line, spans shifted. */
static int emit_captioned(struct scrape_lines *out, const char *caption, struct scrape_line *clue,
                          struct err *err)
{
    size_t clen = strlen(caption), tlen = strlen(clue->text);
    struct scrape_line line = {0};
    line.text = malloc(clen + 1 + tlen + 1);
    if (!line.text)
        return err_set(err, "out of memory");
    memcpy(line.text, caption, clen);
    line.text[clen] = ' ';
    memcpy(line.text + clen + 1, clue->text, tlen + 1);
    if (clue->nspans) {
        line.spans = malloc(clue->nspans * sizeof *line.spans);
        if (!line.spans) {
            free(line.text);
            return err_set(err, "out of memory");
        }
        for (size_t i = 0; i < clue->nspans; i++) {
            line.spans[i] = clue->spans[i];
            line.spans[i].start += clen + 1;
            line.spans[i].end += clen + 1;
        }
        line.nspans = clue->nspans;
    }
    if (push_line(out, &line, err) < 0) {
        free(line.text);
        free(line.spans);
        return -1;
    }
    return 0;
}

static int is_answer_like(const char *text)
{
    size_t n = scrape_answer_prefix(text);
    return n > 0 && text[n] == '\0';
}

static int cell_has_enumeration(const struct cell *c)
{
    size_t start;
    int letters;
    return c->lines.n > 0 && c->lines.items[0].kind != SCRAPE_LINE_BREAK &&
           scrape_enumeration_at_end(c->lines.items[0].text, &start, &letters);
}

/* The cell after the caption that reads "See N", or -1. */
static int see_cell(const struct cell *cells, size_t ncells, int caption)
{
    for (size_t i = (size_t)caption + 1; i < ncells; i++) {
        const char *t = cells[i].text;
        while (*t == '(' || *t == '[' || *t == '-' || *t == ' ')
            t++;
        if (cells[i].lines.n && strncasecmp(t, "see ", 4) == 0)
            return (int)i;
    }
    return -1;
}

/* The rows of a table, not of tables nested in it. */
static size_t collect_rows(xmlNode *table, xmlNode **rows, size_t max)
{
    size_t n = 0;
    for (xmlNode *c = table->children; c; c = c->next) {
        if (name_is(c, "tr")) {
            if (n < max)
                rows[n] = c;
            n++;
        } else if (name_is(c, "tbody") || name_is(c, "thead") || name_is(c, "tfoot")) {
            for (xmlNode *r = c->children; r; r = r->next)
                if (name_is(r, "tr")) {
                    if (n < max)
                        rows[n] = r;
                    n++;
                }
        }
    }
    return n;
}

static int walk_table(xmlNode *table, struct scrape_lines *out, int depth, struct err *err)
{
    enum { MAX_ROWS = 4096, MAX_CELLS = 32 };
    size_t nrows = collect_rows(table, NULL, 0);
    if (nrows > MAX_ROWS)
        return err_set(err, "a table has more than %d rows", MAX_ROWS);
    xmlNode **rows = nrows ? calloc(nrows, sizeof *rows) : NULL;
    if (nrows && !rows)
        return err_set(err, "out of memory");
    collect_rows(table, rows, nrows);
    int rc = -1;
    int definition_col = -1;
    for (size_t r = 0; r < nrows; r++) {
        struct cell *cells = calloc(MAX_CELLS, sizeof *cells);
        size_t ncells = 0;
        if (!cells) {
            err_set(err, "out of memory");
            goto out;
        }
        for (xmlNode *c = rows[r]->children; c && ncells < MAX_CELLS; c = c->next) {
            if (!name_is(c, "td") && !name_is(c, "th"))
                continue;
            struct builder b;
            builder_init(&b);
            unsigned flags = element_flags(c);
            int ok = walk_children(c, flags, &b, &cells[ncells].lines, depth, err) == 0 &&
                     builder_flush(&b, &cells[ncells].lines, SCRAPE_LINE_TEXT, err) == 0;
            builder_free(&b);
            cells[ncells].text = join_lines(&cells[ncells].lines);
            ncells++;
            if (!ok) {
                cells_free(cells, ncells);
                goto out;
            }
        }
        /* A header row names the columns ("Clue No / Solution / Clue / Definition"). */
        int header = 0;
        for (size_t i = 0; i < ncells; i++)
            if (strcasecmp(cells[i].text, "solution") == 0 || strcasecmp(cells[i].text, "answer") == 0)
                header = 1;
        if (header) {
            for (size_t i = 0; i < ncells; i++)
                if (strncasecmp(cells[i].text, "definition", 10) == 0)
                    definition_col = (int)i;
            cells_free(cells, ncells);
            continue;
        }
        int caption = -1, clue = -1, see;
        for (size_t i = 0; i < ncells; i++) {
            if (caption < 0 && clue < 0 && scrape_caption_parse(cells[i].text, 1, NULL) > 0) {
                caption = (int)i;
                continue;
            }
            if (clue < 0 && cell_has_enumeration(&cells[i]) && (int)i != definition_col)
                clue = (int)i;
        }
        int failed = 0;
        if (caption >= 0 && clue >= 0) {
            failed = emit_captioned(out, cells[caption].text, &cells[clue].lines.items[0], err) < 0;
            /* the answer cell */
            int answer = -1;
            for (size_t i = 0; i < ncells && !failed && answer < 0; i++)
                if ((int)i != caption && (int)i != clue && (int)i != definition_col &&
                    cells[i].lines.n == 1 && is_answer_like(cells[i].text))
                    answer = (int)i;
            if (answer >= 0)
                failed = move_line(out, &cells[answer].lines.items[0], SCRAPE_LINE_ANSWER, err) < 0;
            for (size_t k = 1; k < cells[clue].lines.n && !failed; k++)
                failed = move_line(out, &cells[clue].lines.items[k], SCRAPE_LINE_TEXT, err) < 0;
            for (size_t i = 0; i < ncells && !failed; i++) {
                if ((int)i == caption || (int)i == clue || (int)i == answer)
                    continue;
                enum scrape_line_kind kind =
                    (int)i == definition_col ? SCRAPE_LINE_DEFINITION : SCRAPE_LINE_TEXT;
                for (size_t k = 0; k < cells[i].lines.n && !failed; k++)
                    failed = move_line(out, &cells[i].lines.items[k], kind, err) < 0;
            }
        } else if (caption >= 0 && (see = see_cell(cells, ncells, caption)) >= 0) {
            /* A continuation entry of a linked clue: "6 | See 2". */
            failed = emit_captioned(out, cells[caption].text, &cells[see].lines.items[0], err) < 0;
        } else {
            for (size_t i = 0; i < ncells && !failed; i++) {
                enum scrape_line_kind kind =
                    (int)i == definition_col ? SCRAPE_LINE_DEFINITION : SCRAPE_LINE_TEXT;
                for (size_t k = 0; k < cells[i].lines.n && !failed; k++)
                    failed = move_line(out, &cells[i].lines.items[k], kind, err) < 0;
            }
        }
        cells_free(cells, ncells);
        if (failed)
            goto out;
    }
    rc = 0;
out:
    free(rows);
    return rc;
}

int scrape_lines_from_node(xmlNode *node, struct scrape_lines *out, struct err *err)
{
    struct builder b;
    builder_init(&b);
    int rc = walk(node, 0, &b, out, 0, err);
    if (rc == 0)
        rc = builder_flush(&b, out, SCRAPE_LINE_TEXT, err);
    builder_free(&b);
    return rc;
}
