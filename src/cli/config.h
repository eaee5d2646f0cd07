/*
 * config.h - where settings come from: flags > environment (.env included)
 * > defaults (DESIGN §5).
 *
 * Every variable the program reads is a row of one table (config.c): its
 * name, its type and its range. config_check_env() parses every row that is
 * set before any command runs, so a bad value stops the program with exit 2
 * naming the variable, the value and what is allowed, instead of falling
 * back to a default. A new setting is one line in that table; the typed
 * getters below refuse (assert) a name that is not in it.
 */
#ifndef CB_CLI_CONFIG_H
#define CB_CLI_CONFIG_H

#include <stdio.h>

#include "core/err.h"

#define CONFIG_DEFAULT_DATABASE_PATH "data/cryptic-bench.db"
#define CONFIG_DEFAULT_MODELS_FILE "models.json"
#define CONFIG_DEFAULT_LISTEN "127.0.0.1:8080"

struct config {
    const char *db_location;   /* --db > TURSO_DATABASE_URL > DATABASE_PATH > default */
    const char *db_source;     /* which of those it came from, for `status` */
    const char *db_token;      /* --token > TURSO_AUTH_TOKEN; NULL for none */
};

/* Fills cfg from the flags given (NULL when absent) and the environment.
 * The strings are borrowed from argv, the environment or static storage. */
void config_resolve(struct config *cfg, const char *db_flag, const char *token_flag);

/* Checks a database location (--db, DATABASE_PATH, TURSO_DATABASE_URL): a
 * file path, or a libsql://, https:// or http:// URL (scheme in any case).
 * Anything else with "://" (ftp://x/y.db) is refused rather than taken for a
 * file path. Returns 0, or -1 with err saying what is allowed. */
int config_check_db_location(const char *location, struct err *err);

/* Checks a listen address: IPV4ADDRESS:PORT (what serve can bind), port
 * 0-65535. Returns 0 or -1. */
int config_check_listen(const char *listen);

/* Parses every known variable that is set (the environment after .env was
 * loaded). Returns 0, or -1 with err naming the first bad one, its value and
 * what is allowed. Each CRYPTIC_BENCH_* variable that is not in the table
 * gets one warning (log_warn) naming the closest known name. */
int config_check_env(struct err *err);

/* The environment variable's value, or NULL when unset or empty. */
const char *config_env(const char *name);

/* Typed reads of a checked setting (config_check_env passed): the value, or
 * fallback when it is unset or empty. */
long config_long(const char *name, long fallback);
double config_double(const char *name, double fallback);
/* A yes/no setting: 1, true, yes, on / 0, false, no, off. */
int config_bool(const char *name, int fallback);

/* Levenshtein distance between the first la bytes of a and b (names up to
 * 126 bytes; longer ones are (size_t)-1), to suggest the name meant. */
size_t config_edit_distance(const char *a, size_t la, const char *b);

/* Writes s as roff text: backslashes and hyphens escaped, a line starting
 * with '.' or '\'' protected (the man page's text, here and in cli.c). */
void config_man_text(FILE *out, const char *s);

/* The settings table as man page rows (".TP\n.B NAME\nwhat (allowed)"), for
 * the ENVIRONMENT section. */
void config_print_man(FILE *out);

#endif
