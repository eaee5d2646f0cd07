/*
 * models_file.h - reading models.json, the list of benchmarked models.
 *
 * {
 *   "defaults": {"max_tokens": 500, "min_interval_ms": 500},
 *   "models": [
 *     {"id": "anthropic/claude-opus-4.5", "provider": "anthropic",
 *      "model_name": "Claude Opus 4.5", "display_name": "Claude Opus 4.5",
 *      "max_tokens": 500, "min_interval_ms": 500,
 *      "extra": {"reasoning": {"max_tokens": 1024}},
 *      "base_url": "http://127.0.0.1:8000/v1", "api_key_env": "LOCAL_LLM_KEY"}
 *   ]
 * }
 *
 * Every field is checked (unknown ones are errors, so typos do not pass
 * silently), and the file must never hold a secret: api_key_env names an
 * environment variable, and any field or value that looks like a key or
 * token is refused with a message saying so.
 */
#ifndef CB_CLI_MODELS_FILE_H
#define CB_CLI_MODELS_FILE_H

#include "core/err.h"
#include "store/store.h"

#define MODELS_FILE_MAX_BYTES (1024 * 1024)
#define MODELS_DEFAULT_MAX_TOKENS 500   /* the old benchmark's */
#define MODELS_DEFAULT_MIN_INTERVAL_MS 500

/* Reads and validates path into out (entries with id 0, active, options
 * as canonical JSON with defaults applied). Fails with "<path>: entry N
 * (<id>): ..." naming the first problem; out is empty then. */
int models_file_load(const char *path, struct store_model_list *out, struct err *err);

#endif
