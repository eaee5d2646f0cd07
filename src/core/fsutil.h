/*
 * fsutil.h - small file-system helpers.
 */
#ifndef CB_CORE_FSUTIL_H
#define CB_CORE_FSUTIL_H

#include "core/err.h"

/* Creates the directory that will hold path (and its parents), like
 * `mkdir -p $(dirname path)`. Nothing to do for a bare file name. */
int fs_make_parent_dirs(const char *path, struct err *err);

/* 1 if path exists (any type), 0 if not. */
int fs_exists(const char *path);

#endif
