/*
 * config.h - where settings come from: flags > environment (.env included)
 * > defaults (DESIGN §5).
 */
#ifndef CB_CLI_CONFIG_H
#define CB_CLI_CONFIG_H

#include "core/err.h"

#define CONFIG_DEFAULT_DATABASE_PATH "data/cryptic-bench.db"
#define CONFIG_DEFAULT_MODELS_FILE "models.json"

struct config {
    const char *db_location;   /* --db > TURSO_DATABASE_URL > DATABASE_PATH > default */
    const char *db_source;     /* which of those it came from, for `status` */
    const char *db_token;      /* --token > TURSO_AUTH_TOKEN; NULL for none */
};

/* Fills cfg from the flags given (NULL when absent) and the environment.
 * The strings are borrowed from argv, the environment or static storage. */
void config_resolve(struct config *cfg, const char *db_flag, const char *token_flag);

/* The environment variable's value, or NULL when unset or empty. */
const char *config_env(const char *name);

#endif
