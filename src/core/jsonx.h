/*
 * jsonx.h - helpers over jansson for reading outside JSON with clear errors.
 *
 * Every getter checks the type of what it finds and, on failure, says which
 * field was wrong and what was expected ("field \"max_tokens\": expected an
 * integer, got a string"). Callers prefix the context (file, entry).
 * Borrowed pointers (const char *) point into the json_t and live as long as
 * it does.
 */
#ifndef CB_CORE_JSONX_H
#define CB_CORE_JSONX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Parses a file of at most max_bytes. On failure the message names the path,
 * line and column. *out is a new reference the caller owns. */
int jsonx_load_file(const char *path, size_t max_bytes, json_t **out, struct err *err);

/* Parses len bytes of text; what names the text in errors. */
int jsonx_loads(const char *text, size_t len, const char *what, json_t **out, struct err *err);

/* Fails on the first key of obj that is not in allowed (NULL-terminated),
 * so typos in hand-written files are caught instead of silently ignored. */
int jsonx_check_keys(const json_t *obj, const char *const *allowed, struct err *err);

/* Getters: when the key is absent, fail if required, else leave *out as is
 * and return 0. A present JSON null counts as absent. */
int jsonx_get_string(const json_t *obj, const char *key, int required, const char **out,
                     struct err *err);
int jsonx_get_int(const json_t *obj, const char *key, int required, int64_t *out, struct err *err);
int jsonx_get_bool(const json_t *obj, const char *key, int required, int *out, struct err *err);

/* A name for the type of a value, for messages ("an object", "a string"). */
const char *jsonx_type_name(const json_t *value);

/* Compact text with sorted keys: equal values give equal strings, so stored
 * JSON can be compared as text. Caller frees; NULL if memory runs out. */
char *jsonx_dumps_canonical(const json_t *value);

#endif
