/*
 * migrations.h - the numbered schema migrations (internal to store/).
 *
 * migrations[i] takes the schema from version i to i + 1. Each is a list of
 * single statements that store_migrate() sends as one atomic batch together
 * with the schema_version update. The first statement of each is DDL that
 * fails if the migration was already applied, so two processes upgrading
 * the same file at once cannot apply one twice: the loser's batch rolls back.
 */
#ifndef CB_STORE_MIGRATIONS_H
#define CB_STORE_MIGRATIONS_H

#include <stddef.h>

struct store_migration {
    int version;               /* the version this migration produces */
    const char *name;          /* said in reports and in the README */
    const char *const *stmts;  /* NULL-terminated */
    int counted_stmt;          /* index of the statement whose changes are reported, or -1 */
    const char *counted;       /* what that count means */
};

extern const struct store_migration store_migrations[];
extern const size_t store_migrations_count;

#endif
