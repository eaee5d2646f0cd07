/* post.c - a Fifteensquared post page to a puzzle; see post.h. */
#include "scrape/post.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/clues.h"
#include "scrape/lines.h"
#include "scrape/title.h"
#include "scrape/xml.h"

/* Collapses white space (NBSP included) and trims, in place. */
static void squeeze(char *s)
{
    char *w = s;
    int space = 0;
    for (const unsigned char *r = (const unsigned char *)s; *r;) {
        if (isspace(*r) || (r[0] == 0xc2 && r[1] == 0xa0)) {
            r += *r == 0xc2 ? 2 : 1;
            space = 1;
            continue;
        }
        if (space && w > s)
            *w++ = ' ';
        space = 0;
        *w++ = (char)*r++;
    }
    *w = '\0';
}

/* The string value of an XPath expression, squeezed; NULL when empty. */
static char *xpath_string(xmlXPathContext *ctx, const char *expr)
{
    const struct scrape_xml *x = scrape_xml(NULL); /* loaded by scrape_post_parse */
    xmlXPathObject *obj = x ? x->xpath_eval((const xmlChar *)expr, ctx) : NULL;
    if (!obj)
        return NULL;
    char *out = NULL;
    xmlChar *value = x->xpath_cast_to_string(obj);
    if (value) {
        out = strdup((const char *)value);
        (*x->free)(value);
    }
    x->xpath_free_object(obj);
    if (out) {
        squeeze(out);
        if (!out[0]) {
            free(out);
            out = NULL;
        }
    }
    return out;
}

static xmlNode *xpath_first(xmlXPathContext *ctx, const char *expr)
{
    const struct scrape_xml *x = scrape_xml(NULL); /* loaded by scrape_post_parse */
    xmlXPathObject *obj = x ? x->xpath_eval((const xmlChar *)expr, ctx) : NULL;
    xmlNode *node = NULL;
    if (obj && obj->nodesetval && obj->nodesetval->nodeNr > 0)
        node = obj->nodesetval->nodeTab[0];
    if (obj)
        x->xpath_free_object(obj);
    return node;
}

#define HAS_CLASS(c) "contains(concat(' ', normalize-space(@class), ' '), ' " c " ')"

/* "YYYY-MM-DD" at the start of s, or in a URL path "/YYYY/MM/DD/". */
static char *date_from(const char *s, int in_path)
{
    if (!s)
        return NULL;
    if (!in_path) {
        if (strlen(s) >= 10 && isdigit((unsigned char)s[0]) && s[4] == '-' && s[7] == '-')
            return strndup(s, 10);
        return NULL;
    }
    for (const char *p = s; *p; p++) {
        if (p[0] == '/' && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
            isdigit((unsigned char)p[3]) && isdigit((unsigned char)p[4]) && p[5] == '/' &&
            isdigit((unsigned char)p[6]) && isdigit((unsigned char)p[7]) && p[8] == '/' &&
            isdigit((unsigned char)p[9]) && isdigit((unsigned char)p[10]) && p[11] == '/') {
            char *d = malloc(11);
            if (!d)
                return NULL;
            memcpy(d, p + 1, 4);
            d[4] = '-';
            memcpy(d + 5, p + 6, 2);
            d[7] = '-';
            memcpy(d + 8, p + 9, 2);
            d[10] = '\0';
            return d;
        }
    }
    return NULL;
}

/* Non-HTML bytes: a NUL, or no markup at all in what should be a page. */
static int looks_like_html(const char *html, size_t len)
{
    if (memchr(html, '\0', len))
        return 0;
    return memchr(html, '<', len) != NULL;
}

int scrape_post_parse(const char *html, size_t len, const char *url, struct scrape_puzzle **out,
                      struct err *err)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)html[i]))
        i++;
    if (i == len)
        return err_set(err, "the page is empty");
    if (!looks_like_html(html, len))
        return err_set(err, "the page is not HTML (%s)",
                       memchr(html, '\0', len) ? "binary data" : "no markup at all");
    if (len > (size_t)INT32_MAX)
        return err_set(err, "the page is too large");

    const struct scrape_xml *x = scrape_xml(err);
    if (!x)
        return -1;
    int rc = -1;
    struct scrape_puzzle *p = calloc(1, sizeof *p);
    struct scrape_lines lines = {0};
    xmlXPathContext *ctx = NULL;
    htmlDocPtr doc = x->html_read_memory(html, (int)len, url ? url : "post.html", "UTF-8",
                                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                             HTML_PARSE_NONET);
    if (!p) {
        err_set(err, "out of memory");
        goto out;
    }
    if (!doc) {
        err_set(err, "the page could not be parsed as HTML");
        goto out;
    }
    ctx = x->xpath_new_context(doc);
    if (!ctx) {
        err_set(err, "out of memory");
        goto out;
    }

    /* Metadata. */
    char *title = xpath_string(ctx, "string((//h1[" HAS_CLASS("entry-title") "])[1])");
    if (!title) {
        title = xpath_string(ctx, "string((//title)[1])");
        if (title) {
            /* "<post title> – Fifteensquared" / " - Fifteensquared" */
            static const char *const suffixes[] = {" \xe2\x80\x93 Fifteensquared", " - Fifteensquared",
                                                   " | Fifteensquared", NULL};
            size_t tl = strlen(title);
            for (const char *const *s = suffixes; *s; s++) {
                size_t sl = strlen(*s);
                if (tl > sl && strcmp(title + tl - sl, *s) == 0)
                    title[tl - sl] = '\0';
            }
        }
    }
    p->title = title;
    char *canonical = xpath_string(ctx, "string((//link[@rel='canonical']/@href)[1])");
    if (!canonical)
        canonical = xpath_string(ctx, "string((//meta[@property='og:url']/@content)[1])");
    p->url = canonical ? canonical : url && strstr(url, "://") ? strdup(url) : NULL;
    /* The post's own publication time first: a sidebar can hold other <time>s. */
    char *when = xpath_string(ctx, "string((//article//time[" HAS_CLASS("published") "]/@datetime)[1])");
    if (!when)
        when = xpath_string(ctx, "string((//meta[@property='article:published_time']/@content)[1])");
    if (!when)
        when = xpath_string(ctx, "string((//article//time/@datetime)[1])");
    if (!when)
        when = xpath_string(ctx, "string((//time/@datetime)[1])");
    /* The date as the blog wrote it (its local day), not converted to UTC. */
    p->date = date_from(when, 0);
    free(when);
    if (!p->date)
        p->date = date_from(p->url, 1);
    if (p->title) {
        struct scrape_title t;
        scrape_title_parse(p->title, &t);
        if (t.series && t.number > 0) {
            p->series = strdup(t.series);
            p->number = t.number;
            if (t.setter[0])
                p->setter = strdup(t.setter);
        }
        /* Prize posts may be titled like the weekday puzzle; the category says so. */
        if (p->series && strcmp(p->series, "guardian-cryptic") == 0 &&
            xpath_first(ctx, "//a[contains(@rel, 'category')][contains(translate(., 'PRIZE', 'prize'), 'prize')]")) {
            free(p->series);
            p->series = strdup("guardian-prize");
        }
    }

    /* The clues: only in the post body. */
    xmlNode *body = xpath_first(ctx, "(//div[" HAS_CLASS("entry-content") "])[1]");
    if (!body)
        body = xpath_first(ctx, "(//body)[1]");
    if (!body)
        body = x->doc_root(doc);
    if (body) {
        if (scrape_lines_from_node(body, &lines, err) < 0 || scrape_clues_read(&lines, p, err) < 0)
            goto out;
    }
    *out = p;
    p = NULL;
    rc = 0;
out:
    scrape_lines_free(&lines);
    x->xpath_free_context(ctx);
    if (doc)
        x->free_doc(doc);
    scrape_puzzle_free(p);
    return rc;
}
