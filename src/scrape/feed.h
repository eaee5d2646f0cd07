/*
 * feed.h - a page of the blog's RSS feed.
 *
 * WordPress serves the newest posts first, ten or so a page; older ones are
 * on /feed/?paged=2 and on. The feed is parsed as XML with libxml2, with no
 * network access and no entity expansion beyond the predefined ones.
 */
#ifndef CB_SCRAPE_FEED_H
#define CB_SCRAPE_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct scrape_feed_item {
    char *title;          /* entities decoded */
    char *link;
    int64_t published_ms; /* pubDate; 0 when missing or unreadable */
    char **categories;
    size_t ncategories;
};

struct scrape_feed {
    struct scrape_feed_item *items; /* in feed order (newest first) */
    size_t n;
};

/* Parses one feed page. Fails with a clear reason when the bytes are not
 * RSS ("not an RSS feed: the document is <html>", an XML error with its
 * line). A feed with no items is valid and empty. */
int scrape_feed_parse(const char *xml, size_t len, struct scrape_feed *out, struct err *err);

void scrape_feed_free(struct scrape_feed *feed);

/* The series of an item from its title (and a "Prize" category for a
 * Guardian prize post titled like a weekday one), or NULL. */
const char *scrape_feed_item_series(const struct scrape_feed_item *item, int64_t *number);

#endif
