/*
 * firstrow.h - the dashboard's first view in the first response: `serve`
 * answers GET / with index.html holding the newest ranked week's
 * leaderboard, rendered here from the stored rankings, so the first row is
 * on screen as soon as the HTML arrives; app.js then loads the same view
 * through the SQL endpoint and replaces it.
 */
#ifndef CB_WEB_FIRSTROW_H
#define CB_WEB_FIRSTROW_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

/* index.html (the embedded asset, whose <main> holds the markers
 * <!--first-view--> ... <!--/first-view-->) with the text between the
 * markers replaced by the newest ranked week's board. Every string from
 * the database is escaped as text. Returns 1 with a new string in *out
 * (caller frees) and its length in *len; 0 when there is nothing to show
 * yet (no ranked week: serve the asset as it is); -1 on failure. */
int web_firstrow_page(struct store *store, char **out, size_t *len, struct err *err);

/* The same for any page holding those markers (export-dashboard's
 * index.html, which carries its own Content-Security-Policy): html with
 * the newest ranked week's board between them. Same returns. */
int web_firstrow_render(struct store *store, const char *html, char **out, size_t *len, struct err *err);

/* Appends text to b escaped for HTML text and attribute values. */
int web_html_escape(struct buf *b, const char *text, struct err *err);

#endif
