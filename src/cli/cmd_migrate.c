/* cmd_migrate.c - `cryptic-bench migrate`: copy a database between a file
 * and a libSQL server, verified, resumable (db/copy.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "core/log.h"
#include "db/copy.h"

static void on_progress(void *ctx, const char *table, int64_t copied, int64_t total)
{
    (void)ctx;
    log_info("%s: %lld of %lld rows", table, (long long)copied, (long long)total);
}

int cmd_migrate(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *from = NULL, *to = NULL;
    int force = 0;
    for (int i = 0; i < argc;) {
        int taken;
        if ((taken = cli_take_value(argc, argv, &i, "--from", &from)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--to", &to)) != 0) {
            if (taken < 0)
                return cli_usage_error(cmd, "%s needs a file path or a libSQL URL", argv[i]);
            continue;
        }
        if (strcmp(argv[i], "--force") == 0)
            force = 1;
        else
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
        i++;
    }
    if (!from || !to)
        return cli_usage_error(cmd, "both --from and --to are needed");
    if (strcmp(from, to) == 0)
        return cli_usage_error(cmd, "--from and --to are the same database");
    struct err err = {{0}};
    struct db *src = NULL, *dst = NULL;
    struct db_open_opts sopts = {.token = db_is_remote(from) ? ctx->config.db_token : NULL, .create = 0};
    struct db_open_opts dopts = {.token = db_is_remote(to) ? ctx->config.db_token : NULL, .create = 1};
    struct db_copy_report *report = calloc(1, sizeof *report);
    int status = CLI_FAILED;
    if (!report) {
        err_set(&err, "out of memory");
        goto done;
    }
    if (db_open(from, &sopts, &src, &err) < 0 || db_open(to, &dopts, &dst, &err) < 0)
        goto done;
    struct db_copy_opts opts = {.source_name = from, .force = force, .on_progress = on_progress};
    opts.batch_rows = (int)config_long("CRYPTIC_BENCH_MIGRATE_BATCH_ROWS", 200);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = db_copy(src, dst, &opts, report, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (report->resumed)
        printf("resumed an unfinished copy from %s\n", from);
    if (report->ntables) {
        printf("%-20s %10s %10s  %-16s %-16s  %s\n", "TABLE", "SOURCE", "TARGET", "SOURCE SHA-256", "TARGET SHA-256",
               "");
        for (size_t i = 0; i < report->ntables; i++) {
            const struct db_copy_table *t = &report->tables[i];
            int same = t->source_rows == t->target_rows && strcmp(t->source_sha256, t->target_sha256) == 0;
            printf("%-20s %10lld %10lld  %.16s %.16s  %s\n", t->name, (long long)t->source_rows,
                   (long long)t->target_rows, t->source_sha256, t->target_sha256, same ? "equal" : "DIFFERENT");
        }
    }
    if (rc < 0)
        goto done;
    printf("copied %s to %s: %zu tables verified in %.1f s\n", from, to, report->ntables,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    status = CLI_OK;
done:
    fflush(stdout);
    free(report);
    db_close(src);
    db_close(dst);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
