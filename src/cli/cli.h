/*
 * cli.h - the cryptic-bench command line: global options and a table of
 * subcommands, each parsing its own flags and printing its own --help.
 *
 * Exit status: 0 success, 1 failure (one clear line on stderr), 2 usage
 * error (usage on stderr).
 */
#ifndef CB_CLI_CLI_H
#define CB_CLI_CLI_H

#include "cli/config.h"

enum {
    CLI_OK = 0,
    CLI_FAILED = 1,
    CLI_USAGE = 2,
};

struct cli_ctx {
    struct config config;
};

struct cli_command {
    const char *name;
    const char *usage;   /* the arguments after the name */
    const char *summary; /* one line for the command list */
    const char *help;    /* the rest of COMMAND --help */
    int (*run)(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
};

/* Runs the program; returns the exit status. */
int cli_main(int argc, char **argv);

/* For handlers: prints "cryptic-bench COMMAND: message" and the usage line
 * on stderr, and returns CLI_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For handlers: prints "cryptic-bench COMMAND: message" on stderr and
 * returns CLI_FAILED. */
int cli_fail(const struct cli_command *cmd, const char *msg);

/* Prints the command's --help on stdout; returns CLI_OK. */
int cli_print_help(const struct cli_command *cmd);

/* Flag parsing for handlers: if argv[*i] is `name` (taking the next
 * argument) or `name=VALUE`, sets *value, advances *i past it and returns 1;
 * returns 0 when it is another argument, -1 when the value is missing. */
int cli_take_value(int argc, char **argv, int *i, const char *name, const char **value);

/* For commands whose only option is --json: sets *json, or prints the
 * usage error and returns CLI_USAGE for anything else. */
int cli_json_flag(const struct cli_command *cmd, int argc, char **argv, int *json);

/* A flag that takes a value, for cli_value_flags. */
struct cli_value_flag {
    const char *name;   /* "--out" */
    const char **value; /* set when given */
};

/* For commands whose flags all take a value (NAME VALUE or NAME=VALUE):
 * sets the ones given, or prints the usage error ("--out needs a value",
 * "unknown argument") and returns CLI_USAGE. */
int cli_value_flags(const struct cli_command *cmd, int argc, char **argv, const struct cli_value_flag *flags,
                    size_t nflags);

/* A --week value: CLI_OK when NULL or a week id such as 2026-W14, else
 * prints the usage error naming what is wrong and returns CLI_USAGE. */
int cli_check_week(const struct cli_command *cmd, const char *week);

/* For commands whose only option is --week: sets *week (NULL when absent)
 * and checks it (cli_check_week); else the usage error, CLI_USAGE. */
int cli_week_flag(const struct cli_command *cmd, int argc, char **argv, const char **week);

/* The commands. */
int cmd_init_db(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_status(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_models(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_scrape(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_extract(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_evaluate(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_rescore(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_rank(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_leaderboard(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_runs(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_migrate(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_backup(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_run(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_serve(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_send(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_export_dashboard(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_export_data(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_backfill(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_puzzles(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_clues(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);
int cmd_parse(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv);

#endif
