/*
 * post.h - reading a Fifteensquared post page (or a bare fragment of one).
 *
 * The page is parsed with libxml2's HTML parser, the input declared UTF-8
 * (pages and fragments may carry no charset). Clues are read only inside
 * the post body (div.entry-content): the reader comments below it are full
 * of answers in capitals. Metadata comes from the page: the title
 * (h1.entry-title, else <title>), the date (the article's published <time>,
 * else article:published_time, else any <time>, else the URL's /YYYY/MM/DD/), the URL
 * (link rel=canonical, else og:url, else the one given), the categories
 * (rel="category tag" links).
 */
#ifndef CB_SCRAPE_POST_H
#define CB_SCRAPE_POST_H

#include <stddef.h>

#include "core/err.h"
#include "scrape/puzzle.h"

/* Parses len bytes of HTML. url (may be NULL) is where it came from: used
 * when the page names no canonical URL, and for the date in its path.
 * Fails only when the bytes are not an HTML page at all (empty, binary);
 * a page without clues parses to a puzzle with none, for
 * scrape_puzzle_validate() to reject with its reason. *out is the
 * caller's (scrape_puzzle_free). */
int scrape_post_parse(const char *html, size_t len, const char *url, struct scrape_puzzle **out,
                      struct err *err);

#endif
