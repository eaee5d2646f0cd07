/* config.c - settings from flags, environment and defaults; see config.h. */
#include "cli/config.h"

#include <stdlib.h>

const char *config_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void config_resolve(struct config *cfg, const char *db_flag, const char *token_flag)
{
    if (db_flag) {
        cfg->db_location = db_flag;
        cfg->db_source = "--db";
    } else if (config_env("TURSO_DATABASE_URL")) {
        cfg->db_location = config_env("TURSO_DATABASE_URL");
        cfg->db_source = "TURSO_DATABASE_URL";
    } else if (config_env("DATABASE_PATH")) {
        cfg->db_location = config_env("DATABASE_PATH");
        cfg->db_source = "DATABASE_PATH";
    } else {
        cfg->db_location = CONFIG_DEFAULT_DATABASE_PATH;
        cfg->db_source = "default";
    }
    cfg->db_token = token_flag ? token_flag : config_env("TURSO_AUTH_TOKEN");
}
