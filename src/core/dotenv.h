/*
 * dotenv.h - loading a .env file into the environment.
 *
 * Lines are KEY=VALUE, optionally prefixed with "export ". Values may be
 * bare (trailing spaces and a " #comment" dropped), 'single-quoted' (taken
 * literally) or "double-quoted" (\n, \t, \", \\ understood). Blank lines and
 * lines starting with # are skipped. A variable already set in the
 * environment wins over the file, so a shell export overrides .env.
 */
#ifndef CB_CORE_DOTENV_H
#define CB_CORE_DOTENV_H

#include "core/err.h"

/* Loads path. A missing file is not an error when optional is nonzero.
 * A malformed line fails with "<path> line N: ..." and sets nothing at all
 * (the file is checked whole before the first variable is set). */
int dotenv_load(const char *path, int optional, struct err *err);

#endif
