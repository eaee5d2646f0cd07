/* cmd_backup.c - `cryptic-bench backup FILE [--force]`: a consistent copy of
 * the embedded database while it stays in use (db_backup(): SQLite's online
 * backup API, a temporary file, an integrity check, fsync and rename). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "db/db.h"

/* 1 when a and b are the same existing file. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int cmd_backup(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *file = NULL;
    int force = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0)
            force = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
        else if (file)
            return cli_usage_error(cmd, "one FILE only, got \"%s\" and \"%s\"", file, argv[i]);
        else
            file = argv[i];
    }
    if (!file || !*file)
        return cli_usage_error(cmd, "the backup FILE is needed");

    const char *location = ctx->config.db_location;
    struct err err = {{0}};
    struct db *db = NULL;
    int status = CLI_FAILED;
    /* Refused before opening: a remote server is not contacted for nothing,
     * and `migrate` is the command that copies one into a file. */
    if (db_is_remote(location)) {
        err_set(&err, "%s is a remote database: back it up with "
                      "`cryptic-bench migrate --from %s --to %s`",
                location, location, file);
        goto done;
    }
    struct db_open_opts opts = {.token = NULL, .create = 0};
    if (db_open(location, &opts, &db, &err) < 0)
        goto done;
    /* The database itself is refused even with --force: replacing it with
     * its own copy would destroy it halfway. */
    if (same_file(file, location)) {
        err_set(&err, "%s is the database itself; back it up to another file", file);
        goto done;
    }
    struct stat st;
    if (stat(file, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            err_set(&err, "%s is a directory; give the backup's file name", file);
            goto done;
        }
        if (!force) {
            err_set(&err, "%s already exists (--force replaces it)", file);
            goto done;
        }
    }

    struct db_backup_opts bopts = {
        .step_pages = (int)config_long("CRYPTIC_BENCH_BACKUP_STEP_PAGES", 64),
    };
    struct db_backup_report report = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (db_backup(db, file, &bopts, &report, &err) < 0)
        goto done;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("backed up %s to %s: %lld pages of %lld bytes (%.1f MB), integrity ok, in %.1f s",
           location, file, (long long)report.pages, (long long)report.page_size,
           (double)report.bytes / 1e6,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (report.restarts)
        printf(" (restarted %d times by concurrent writes)", report.restarts);
    printf("\n");
    status = CLI_OK;
done:
    fflush(stdout);
    db_close(db);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
