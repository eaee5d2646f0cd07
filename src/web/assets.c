/* assets.c - finding an embedded dashboard file; see assets.h. */
#include "web/assets.h"

#include <string.h>

const struct web_asset *web_asset_find(const char *path)
{
    if (!path)
        return NULL;
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    size_t n = 0;
    const struct web_asset *all = web_assets(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].path, path) == 0)
            return &all[i];
    return NULL;
}
