/* feed.c - RSS feed pages; see feed.h. */
#include "scrape/feed.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utc.h"
#include "scrape/title.h"
#include "scrape/xml.h"

static int is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 && !n->ns;
}

static char *text_of(xmlNode *n)
{
    const struct scrape_xml *x = scrape_xml(NULL); /* loaded by scrape_feed_parse */
    xmlChar *t = x ? x->node_content(n) : NULL;
    if (!t)
        return NULL;
    /* trim */
    char *s = (char *)t;
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    char *out = strndup(s, len);
    (*x->free)(t);
    return out;
}

void scrape_feed_free(struct scrape_feed *feed)
{
    for (size_t i = 0; i < feed->n; i++) {
        struct scrape_feed_item *it = &feed->items[i];
        free(it->title);
        free(it->link);
        for (size_t c = 0; c < it->ncategories; c++)
            free(it->categories[c]);
        free(it->categories);
    }
    free(feed->items);
    feed->items = NULL;
    feed->n = 0;
}

static int read_item(xmlNode *item, struct scrape_feed_item *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    for (xmlNode *c = item->children; c; c = c->next) {
        if (is(c, "title")) {
            free(out->title);
            out->title = text_of(c);
        } else if (is(c, "link")) {
            free(out->link);
            out->link = text_of(c);
        } else if (is(c, "pubDate")) {
            char *when = text_of(c);
            if (when && utc_parse_rfc822(when, &out->published_ms, NULL) < 0)
                out->published_ms = 0;
            free(when);
        } else if (is(c, "category")) {
            char **cats = realloc(out->categories, (out->ncategories + 1) * sizeof *cats);
            if (!cats)
                return err_set(err, "out of memory");
            out->categories = cats;
            out->categories[out->ncategories] = text_of(c);
            if (out->categories[out->ncategories])
                out->ncategories++;
        }
    }
    return 0;
}

int scrape_feed_parse(const char *xml, size_t len, struct scrape_feed *out, struct err *err)
{
    out->items = NULL;
    out->n = 0;
    size_t i = 0;
    while (i < len && (xml[i] == ' ' || xml[i] == '\n' || xml[i] == '\r' || xml[i] == '\t'))
        i++;
    if (i == len)
        return err_set(err, "not an RSS feed: the response is empty");
    if (len > (size_t)INT32_MAX)
        return err_set(err, "not an RSS feed: too large");
    const struct scrape_xml *x = scrape_xml(err);
    if (!x)
        return -1;
    xmlDocPtr doc = x->read_memory(xml, (int)len, "feed.xml", NULL,
                                   XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc) {
        const xmlError *e = x->get_last_error();
        if (e && e->message)
            return err_set(err, "not an RSS feed: XML error at line %d: %.*s", e->line,
                           (int)strcspn(e->message, "\n"), e->message);
        return err_set(err, "not an RSS feed: not XML");
    }
    int rc = -1;
    xmlNode *root = x->doc_root(doc);
    xmlNode *channel = NULL;
    if (root && is(root, "rss"))
        for (xmlNode *c = root->children; c && !channel; c = c->next)
            if (is(c, "channel"))
                channel = c;
    if (!channel) {
        err_set(err, "not an RSS feed: the document is <%s>%s", root ? (const char *)root->name : "?",
                root && is(root, "rss") ? " without a <channel>" : "");
        goto out;
    }
    for (xmlNode *c = channel->children; c; c = c->next) {
        if (!is(c, "item"))
            continue;
        struct scrape_feed_item *items = realloc(out->items, (out->n + 1) * sizeof *items);
        if (!items) {
            err_set(err, "out of memory");
            goto out;
        }
        out->items = items;
        if (read_item(c, &out->items[out->n], err) < 0) {
            out->n++;
            goto out;
        }
        out->n++;
    }
    rc = 0;
out:
    if (rc < 0)
        scrape_feed_free(out);
    x->free_doc(doc);
    return rc;
}

static int contains_nocase(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack; haystack++)
        if (strncasecmp(haystack, needle, n) == 0)
            return 1;
    return 0;
}

const char *scrape_feed_item_series(const struct scrape_feed_item *item, int64_t *number)
{
    struct scrape_title t;
    *number = 0;
    if (!item->title || scrape_title_parse(item->title, &t) < 0)
        return NULL;
    *number = t.number;
    if (strcmp(t.series, "guardian-cryptic") == 0)
        for (size_t i = 0; i < item->ncategories; i++)
            if (contains_nocase(item->categories[i], "prize"))
                return "guardian-prize";
    return t.series;
}
