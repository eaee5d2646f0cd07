/*
 * copy.h - copying a whole database from one backend to another (a file
 * to a libSQL server and back), verified, resumable.
 *
 * The target gets the source's schema as it is (tables first, then, after
 * the rows, its indexes, triggers and views), every table's rows in rowid
 * order in bounded batches keeping their ids and rowids, parents before children (by
 * the foreign keys). Each batch also records how far its table got in a
 * progress table on the target (_cb_copy), so a copy that is killed
 * resumes where it stopped when run again with the same source. At the end
 * both sides' row counts and checksums are compared per table and the
 * progress table is dropped. The source is only read.
 *
 * Checksum of a table: SHA-256 over its rows in rowid order, the rowid
 * first and then each column, each value as a type letter and its
 * canonical text (n; i<decimal>; r<%.17g>;
 * t<length>:<bytes>; b<length>:<bytes>), a '\n' after each row.
 */
#ifndef CB_DB_COPY_H
#define CB_DB_COPY_H

#include <stdint.h>

#include "db/db.h"

#define DB_COPY_MAX_TABLES 64

struct db_copy_table {
    char name[128];
    int64_t source_rows, target_rows;
    char source_sha256[65], target_sha256[65];
};

struct db_copy_report {
    struct db_copy_table tables[DB_COPY_MAX_TABLES];
    size_t ntables;
    int resumed; /* an unfinished copy from the same source was found and continued */
};

struct db_copy_opts {
    const char *source_name; /* recorded on the target to recognise a resume */
    int force;               /* replace a target that has tables */
    int batch_rows;          /* rows per batch; default 200 */
    /* Called after every batch; may be NULL. */
    void (*on_progress)(void *ctx, const char *table, int64_t copied, int64_t total);
    void *ctx;
};

/* Copies src into dst. Fails, changing nothing, when dst has tables and
 * neither force is set nor it holds an unfinished copy of the same source;
 * fails after the copy when a count or checksum differs (the report says
 * which). */
int db_copy(struct db *src, struct db *dst, const struct db_copy_opts *opts, struct db_copy_report *report,
            struct err *err);

/* The row count and checksum of one table. */
int db_table_checksum(struct db *db, const char *table, int64_t *rows, char sha256[65], struct err *err);

#endif
