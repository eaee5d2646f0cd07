/*
 * export.h - the dashboard as a static site for a remote database
 * (`export-dashboard`): the embedded files, a config.js naming the database
 * and read token, and a Content-Security-Policy that lets the page talk to
 * its own origin and that database only.
 */
#ifndef CB_WEB_EXPORT_H
#define CB_WEB_EXPORT_H

#include "core/err.h"
#include "store/store.h"

/* Checks that TOKEN is a JWT whose claims only allow reading, the way sqld
 * and Turso read them: "a": "ro" (or "roa"), or a "p" permission set with
 * read grants only. A token with no access claim has full access there.
 * Returns 0 when read-only; -1 with the reason in err otherwise (not a JWT,
 * unreadable claims, or claims that allow writes). */
int export_check_read_token(const char *token, struct err *err);

/* The origin ("https://host[:port]") a browser connects to for DB_URL
 * (libsql://, https:// or http://); -1 for any other URL. */
int export_db_origin(const char *db_url, char *out, size_t size, struct err *err);

/* Every check export_dashboard makes of its arguments before it writes
 * (TOKEN_HEADER, DB_URL's origin into out, TOKEN read-only), so a caller
 * can refuse them before it opens anything: 0, or -1 with the reason. */
int export_check(const char *db_url, const char *token, const char *token_header, char *origin, size_t size,
                 struct err *err);

/* Writes index.html, config.js and the other files into DIR (created when
 * missing; our files replaced, nothing else touched). TOKEN may be NULL;
 * TOKEN_HEADER is the header the browser sends it in: NULL or
 * "Authorization", or "x-authorization" (sqld reads both). With STORE (the
 * database the site reads, opened by the caller; NULL for none),
 * index.html holds its newest ranked week's board as `serve` renders it
 * (firstrow.h), so the first row shows before any query; app.js then
 * loads the current data over it. */
int export_dashboard(const char *dir, const char *db_url, const char *token, const char *token_header,
                     struct store *store, struct err *err);

#endif
