/*
 * assets.h - the dashboard's files (src/web/dashboard/), compiled into the
 * binary by scripts/embed-assets.py through a Meson custom_target, so
 * `serve` and `export-dashboard` need nothing from disk.
 */
#ifndef CB_WEB_ASSETS_H
#define CB_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *path; /* "/index.html", "/app.js", ... */
    const char *type; /* the Content-Type */
    const char *etag; /* a quoted hash of the bytes */
    const unsigned char *data;
    size_t len;
};

/* Every embedded file (generated). */
const struct web_asset *web_assets(size_t *count);
/* The file served at PATH ("/" is "/index.html"), or NULL. */
const struct web_asset *web_asset_find(const char *path);

#endif
