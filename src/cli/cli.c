/* cli.c - global options and the command table; see cli.h. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/dotenv.h"
#include "core/log.h"
#include "core/utc.h"
#include "store/store.h"

static const struct cli_command commands[] = {
    {
        .name = "init-db",
        .usage = "[--models FILE]",
        .summary = "create or upgrade the database and sync models.json into it",
        .help = "Creates the database (and its directory) if missing, or upgrades an older one in\n"
                "place (an old TypeScript cryptic-bench file included), then makes the models\n"
                "table match the model list: listed models are added or updated and active,\n"
                "others inactive. Prints what changed; a second run changes nothing.\n"
                "Only this command upgrades: every other one refuses an older schema. Before an\n"
                "upgrade it keeps a copy of the file next to it, DB.schema-N.bak (SQLite's online\n"
                "backup), and refuses to go on when that file exists already.\n"
                "\n"
                "  --models FILE   the model list (default: MODELS_FILE or ./models.json)\n",
        .run = cmd_init_db,
    },
    {
        .name = "status",
        .usage = "[--json]",
        .summary = "database location, schema version, counts, last scrape and evaluation",
        .help = "Reads the database without changing it.\n"
                "\n"
                "  --json   print one JSON object instead of text\n",
        .run = cmd_status,
    },
    {
        .name = "models",
        .usage = "[--json] | activate ID",
        .summary = "list models and whether each is active; reactivate a retired one",
        .help = "Lists the models table (synced from models.json by init-db). A model whose\n"
                "provider answered 404 (deprecated, removed) is retired with that message and\n"
                "skipped until `models activate ID`.\n"
                "\n"
                "  --json   print a JSON array instead of a table\n",
        .run = cmd_models,
    },
    {
        .name = "scrape",
        .usage = "[--since DATE] [--max N] [--series LIST] [--max-pages N]",
        .summary = "read the Fifteensquared feed back to DATE and store every new valid puzzle",
        .help = "Reads {FIFTEENSQUARED_URL}/feed/ and its older pages (?paged=2, ...) until the\n"
                "posts are older than --since, fetches each new post of the chosen series,\n"
                "checks it, and stores it whole (a puzzle that fails a check is rejected with\n"
                "its reason and listed by `puzzles rejected`; one already stored is skipped).\n"
                "A page that repeats posts already read (a cache ignoring ?paged=), or the\n"
                "page limit, ends the walk with a warning; what was found is still saved.\n"
                "Prints each saved or rejected post and a summary; exits 1 only when the feed\n"
                "itself cannot be read.\n"
                "\n"
                "  --since DATE    oldest post date to read (default: 8 days before the newest\n"
                "                  stored puzzle, or 8 days ago on an empty database)\n"
                "  --max N         stop after N feed posts\n"
                "  --series LIST   comma-separated series (default guardian-cryptic,guardian-prize)\n"
                "  --max-pages N   feed pages to read at most (default CRYPTIC_BENCH_SCRAPE_MAX_PAGES,\n"
                "                  else 50)\n",
        .run = cmd_scrape,
    },
    {
        .name = "parse",
        .usage = "FILE_OR_URL [--url POST_URL] | --retry-rejected",
        .summary = "print one Fifteensquared post's puzzle as JSON, or why it is rejected",
        .help = "Reads a post page (a file, an http(s) URL, or - for standard input), finds its\n"
                "clues in the post body and checks them as `scrape` would before storing.\n"
                "Prints {series, number, setter, date, title, url, clues: [...]} (unknown\n"
                "metadata as null, e.g. for a bare fragment; a clue whose answer runs over\n"
                "several lights has linked: \"13/18\"), or exits 1 with the reason.\n"
                "\n"
                "  --url POST_URL    where the page came from (for its URL and date)\n"
                "  --retry-rejected  fetch and check again every post `puzzles rejected` lists\n"
                "                    (after a parser fix): those that pass now are stored\n",
        .run = cmd_parse,
    },
    {
        .name = "evaluate",
        .usage = "[--week W] [--model ID]... [--no-skip] [--retry-no-answer]",
        .summary = "ask the models every clue of a week and store checked answers",
        .help = "Sends every clue of the week (default: the newest week with clues) to every\n"
                "active model (or each --model, by OpenRouter id) through the chat-completions\n"
                "API (OPENROUTER_BASE_URL, key OPENROUTER_API_KEY; a model with its own base_url\n"
                "uses the key named by its api_key_env). Models run in parallel, each paced\n"
                "(min_interval_ms, default 500) with its clues in order. Every reply is\n"
                "extracted, checked and stored at once. A clue already answered is skipped;\n"
                "errors are always asked again. Errors never count as wrong answers and never\n"
                "replace a stored success. Then the rankings are recomputed from the week on\n"
                "(as `rank --week W`), or it says why they were not. Exits 1 when a model (404,\n"
                "403) or the whole run (401, 402) had to stop.\n"
                "\n"
                "  --week W            the week, e.g. 2026-W14\n"
                "  --model ID          only this model (repeatable)\n"
                "  --no-skip           ask again even where an answer is stored\n"
                "  --retry-no-answer   ask again where the model gave no answer\n",
        .run = cmd_evaluate,
    },
    {
        .name = "rescore",
        .usage = "[--week W]",
        .summary = "re-extract and re-check stored replies (no API calls)",
        .help = "Runs answer extraction and checking again over the stored replies (one week,\n"
                "or all) and stores the new verdicts and the rule that decided each in one batch;\n"
                "prints the verdicts that changed grouped by rule (\"wrong->correct 9 (answer-is 7,\n"
                "final-line 2)\") and per model, then recomputes the rankings from the earliest\n"
                "week whose verdicts changed, as `rank --week` does. Stored verdicts change only\n"
                "here.\n"
                "\n"
                "  --week W   only the replies of week W (default: every week)\n",
        .run = cmd_rescore,
    },
    {
        .name = "rank",
        .usage = "[--week W | --all]",
        .summary = "recompute rankings, coverage, movement and tenure from the evaluations",
        .help = "Rankings are derived data: computed from the stored verdicts and rewritten as\n"
                "one atomic batch (a failure keeps the previous tables). A model is ranked for a\n"
                "week only when every clue of the week has a non-error outcome for it\n"
                "(CRYPTIC_BENCH_COVERAGE_THRESHOLD, default 100 %); a week without a complete\n"
                "model gets no ranking, with the reason. Prints what was ranked and why weeks\n"
                "were not.\n"
                "\n"
                "  --week W   recompute W and every later week (default: the newest week)\n"
                "  --all      recompute every week\n",
        .run = cmd_rank,
    },
    {
        .name = "leaderboard",
        .usage = "[--week W | --all-time] [--json]",
        .summary = "print a week's board (default the newest ranked week), or the all-time one",
        .help = "Reads the tables `rank` writes. Exits 1 for a week with no clues.\n"
                "\n"
                "  --week W     that week\n"
                "  --all-time   pooled over the weeks each model was ranked\n"
                "  --json       {week, status, reason, rows: [...], incomplete: [...]}\n",
        .run = cmd_leaderboard,
    },
    {
        .name = "run",
        .usage = "[--week W]",
        .summary = "the whole pipeline now on the workflow engine: scrape, evaluate, rank",
        .help = "Sends benchmark/scrape.requested and runs the pipeline's workflow functions in\n"
                "this process until nothing is left: scrape-puzzles, evaluate-week for each week\n"
                "with unanswered clues, evaluate-model per model (one durable step per clue),\n"
                "calculate-rankings. Prints progress (runs done per function, steps,\n"
                "evaluations, errors, cost) and a summary; exits 1 when a run failed.\n"
                "Interrupted, it resumes from its checkpoints on the next `run` or `serve`.\n"
                "\n"
                "  --week W   evaluate and rank only this week (after scraping)\n",
        .run = cmd_run,
    },
    {
        .name = "serve",
        .usage = "[--listen ADDR] [--workers N] [--no-cron] [--read-token-file FILE] [--public-sql]\n"
                 "       [--public-host NAMES] [--allow-origin ORIGINS] [LIMITS] [--embedded]",
        .summary = "run the workflow workers, the cron schedule and the HTTP server",
        .help = "Serves GET /health, POST /e/{key} (events: one or an array of {name, data, id?};\n"
                "every client needs INNGEST_EVENT_KEY), GET /api/runs and\n"
                "/api/runs/{id}, the leaderboard dashboard at /, and the read-only SQL endpoint\n"
                "of the embedded database (POST /v2/pipeline, /v3/pipeline: Hrana over HTTP, as\n"
                "@libsql/client speaks it). Workers claim and run the\n"
                "pipeline's workflow runs; cron fires scrape-puzzles (TZ=UTC 0 6 * * 0, or\n"
                "CRYPTIC_BENCH_SCRAPE_CRON). SIGINT/SIGTERM: no new claims, running steps\n"
                "finish, leases released, exit 0.\n"
                "\n"
                "  --listen ADDR   default LISTEN or 127.0.0.1:8080 (loopback)\n"
                "  --workers N     worker threads (default 4)\n"
                "  --no-cron       do not fire cron triggers\n"
                "  --read-token-file FILE  the bearer token the SQL endpoint, /metrics and\n"
                "                  /api/runs require (or CRYPTIC_BENCH_READ_TOKEN; --read-token T\n"
                "                  works too but shows in ps); without one, local requests only\n"
                "                  (loopback peer and Host, no proxy headers)\n"
                "  --public-sql    any client may read through the SQL endpoint, so the dashboard\n"
                "                  works for every visitor (CRYPTIC_BENCH_PUBLIC_SQL=1); it stays\n"
                "                  read-only with its time and size limits\n"
                "  --public-host NAMES     the names clients use (comma-separated); other Host\n"
                "                  headers get 421; the first is the Inngest serve URL's host\n"
                "  --allow-origin ORIGINS  origins whose pages may read the SQL endpoint\n"
                "LIMITS (each also CRYPTIC_BENCH_<NAME>; docs/deployment.md, \"Running in public\"):\n"
                "  --sql-deadline-ms N (5000)  --sql-statement-ms N  --sql-max-rows N (10000)\n"
                "  --sql-threads N (2)  --sql-per-client N (2)  --body-budget-mb N (32)\n"
                "  --max-connections N (512)  --max-connections-per-ip N (64)\n"
                "  --header-timeout-s N (10)  --idle-timeout-s N (30)\n"
                "\n"
                "With INNGEST_SIGNING_KEY (or INNGEST_DEV) set, the functions run on Inngest:\n"
                "/api/inngest answers Inngest (introspection GET, sync PUT, signed calls POST),\n"
                "POST /e/{key} and send_event steps go to Inngest's event API, and the embedded\n"
                "workers and cron are off.\n"
                "  --embedded      run the embedded workers and cron as well\n",
        .run = cmd_serve,
    },
    {
        .name = "send",
        .usage = "NAME [--data JSON] [--url URL]",
        .summary = "send an event to a server, or into the database for a running server",
        .help = "With --url (or CRYPTIC_BENCH_URL) posts {name, data} to URL/e/{key}; otherwise\n"
                "stores the event and the runs it starts in the database, where a running\n"
                "`serve` picks them up. Prints {ids, status}.\n"
                "\n"
                "  --data JSON   the event's data object (default {})\n"
                "  --url URL     a server, e.g. http://127.0.0.1:8080\n",
        .run = cmd_send,
    },
    {
        .name = "migrate",
        .usage = "--from SRC --to DST [--force]",
        .summary = "copy a database between a file and a libSQL server, verified",
        .help = "Creates the source's schema on the target, copies every table in batches keeping\n"
                "ids, then compares row counts and SHA-256 checksums per table and prints them.\n"
                "SRC and DST are file paths or libsql://, https:// or http:// URLs (the token is\n"
                "TURSO_AUTH_TOKEN). The source is only read. A target with tables is refused\n"
                "unless --force (which replaces them) or it holds an unfinished copy of the same\n"
                "source, which is resumed.\n"
                "\n"
                "  --from SRC   the database to copy (a file or a URL); only read\n"
                "  --to DST     where to copy it (a file or a URL)\n"
                "  --force      replace the tables DST already has\n",
        .run = cmd_migrate,
    },
    {
        .name = "backup",
        .usage = "FILE [--force]",
        .summary = "copy the database file to FILE while it stays in use, verified",
        .help = "Copies the embedded database (--db / DATABASE_PATH) with SQLite's online backup\n"
                "API, a few pages at a time (CRYPTIC_BENCH_BACKUP_STEP_PAGES, default 64), so a\n"
                "running `serve` keeps writing; the copy is one consistent snapshot. It is\n"
                "written to FILE.tmp, checked with PRAGMA integrity_check, synced and renamed\n"
                "to FILE, so FILE never holds half a copy. Prints the pages copied and the size.\n"
                "A remote database is refused (use `migrate --from URL --to FILE`), and so is\n"
                "FILE when it is the database itself.\n"
                "\n"
                "  --force   replace FILE when it exists (refused otherwise)\n",
        .run = cmd_backup,
    },
    {
        .name = "export-data",
        .usage = "--out DIR [--week W]",
        .summary = "write the clues, replies and verdicts as open data (JSONL per week + datasheet)",
        .help = "Writes DIR/WEEK.jsonl for every week with clues (or only W), one JSON object per\n"
                "clue: the clue, enumeration, answer, the blog's explanation and its clue types,\n"
                "and per model the reply, extracted answer, extraction rule, verdict, tokens, cost\n"
                "and latency; and DIR/datasheet.md (sources, licence note, protocol and prompt\n"
                "version, how verdicts are made), so anyone can re-score the replies. The same\n"
                "database gives the same bytes. Exits 1 for a week with no clues.\n"
                "\n"
                "  --out DIR   the directory to write (created if missing; files replaced)\n"
                "  --week W    only that week (e.g. 2026-W14)\n",
        .run = cmd_export_data,
    },
    {
        .name = "export-dashboard",
        .usage = "--out DIR [--db-url URL] [--read-token T] [--token-header H] [--no-first-view]",
        .summary = "write the dashboard as a static site reading a remote database",
        .help = "Writes index.html, config.js, app.js and the rest into DIR: the same dashboard\n"
                "`serve` shows, reading URL (libsql://, https:// or http://; default: --db or\n"
                "TURSO_DATABASE_URL when that is a URL) straight from the browser. The read token\n"
                "(default TURSO_READ_TOKEN) ends up public in config.js, so it must be a JWT whose\n"
                "claims allow reading only (turso db tokens create DB --read-only); any other is\n"
                "refused. index.html carries a Content-Security-Policy that allows its own origin\n"
                "and the database's only, and the newest ranked week's board as it was at export\n"
                "time (read from URL with the read token, or --token), shown until the page has\n"
                "loaded the current one; when URL cannot be read then, a warning and no board.\n"
                "\n"
                "  --out DIR         the directory to write (created when missing)\n"
                "  --db-url URL      the database the page reads (default: --db or\n"
                "                    TURSO_DATABASE_URL when it is a URL)\n"
                "  --read-token T    the read-only JWT (default TURSO_READ_TOKEN)\n"
                "  --token-header H  Authorization (default, what libSQL clients send) or\n"
                "                    x-authorization, which sqld also reads: its CORS answer\n"
                "                    (Allow-Headers: *) covers that one in every browser\n"
                "  --no-first-view   read nothing now: index.html without the board (the page\n"
                "                    loads it), e.g. where the database is not reachable\n",
        .run = cmd_export_dashboard,
    },
    {
        .name = "backfill",
        .usage = "MODEL [--weeks LIST]",
        .summary = "evaluate a newly activated model on past weeks, then re-rank",
        .help = "Sends benchmark/model.added {model, weeks?} and runs backfill-model on the engine\n"
                "in this process: the model (an OpenRouter id, active in models.json) is asked\n"
                "every clue it still lacks of every week with clues, or of the weeks in LIST\n"
                "(comma-separated, e.g. 2026-W01,2026-W04), one evaluate-model run per week, and\n"
                "the rankings are recomputed from the earliest of them. The estimated cost is\n"
                "printed first and checked against CRYPTIC_BENCH_RUN_BUDGET_USD and the credits\n"
                "left. Killed, the same command again resumes where it stopped.\n"
                "\n"
                "  --weeks LIST   only these weeks (comma-separated week ids)\n",
        .run = cmd_backfill,
    },
    {
        .name = "puzzles",
        .usage = "[list [--json] | rejected [--json] | quarantine ID --reason TEXT | restore ID]",
        .summary = "list puzzles or rejected posts; take a bad puzzle out of scoring, or put it back",
        .help = "  list          every puzzle: id, week, series, number, setter, clues, and whether\n"
                "                it is scored, quarantined (with the reason) or has excluded clues\n"
                "  rejected      every post that failed validation and is not stored: url, series,\n"
                "                number, reason, first and last seen, attempts (`parse\n"
                "                --retry-rejected` or the next `scrape` brings them in once fixed)\n"
                "  quarantine    its clues stop counting (rankings, coverage, what models are\n"
                "                asked) but stay stored; the reason is kept and shown\n"
                "  restore       it counts again\n"
                "After a change the rankings are recomputed from the puzzle's week on.\n"
                "\n"
                "  --json          list: print a JSON array\n"
                "  --reason TEXT   quarantine: why (kept and shown)\n",
        .run = cmd_puzzles,
    },
    {
        .name = "clues",
        .usage = "list --puzzle ID [--json] | exclude ID --reason TEXT | restore ID",
        .summary = "list a puzzle's clues; take one bad clue out of scoring, or put it back",
        .help = "  list        a puzzle's clues with their ids (the ids exclude takes)\n"
                "  exclude     as `puzzles quarantine` for a single clue (e.g. a wrong answer in\n"
                "              the blog's table); the rankings are recomputed from its week on\n"
                "  restore     it counts again\n"
                "\n"
                "  --puzzle ID     list: the puzzle (ids from `puzzles list`)\n"
                "  --json          list: print a JSON array\n"
                "\n"
                "  --reason TEXT   exclude: why (kept and shown)\n",
        .run = cmd_clues,
    },
    {
        .name = "runs",
        .usage = "[list [--json] | show ID [--json] | cancel ID | retry ID]",
        .summary = "workflow runs, and one run's steps as a timeline",
        .help = "  list         the 50 newest runs (default): function, week, status, model,\n"
                "               when, how long, error\n"
                "  show ID      one run: status, output or error, its steps (kind, status,\n"
                "               attempts, duration, error)\n"
                "  cancel ID    stop a run that has not finished\n"
                "  retry ID     queue a failed or cancelled run again: its checkpointed steps\n"
                "               are kept, its failed ones run again\n"
                "  --json       list: a JSON array of runs; show: the run with its steps\n",
        .run = cmd_runs,
    },
    {
        .name = "extract",
        .usage = "--enumeration E [--answer A] [--explain]",
        .summary = "read one model reply on stdin and print the answer it committed to",
        .help = "Prints {\"answer\": \"HALF HITCH\" | null, \"rule\": \"answer-is\", \"method\": \"...\",\n"
                "\"correct\": true | false | null}: the answer the reply finally committed to (null\n"
                "when it never did), the rule that decided (as stored in evaluations.extract_rule)\n"
                "and what it means, and with --answer whether it is right (letters A-Z compared).\n"
                "\n"
                "  --enumeration E   the clue's enumeration, e.g. \"(4,5)\"\n"
                "  --answer A        the correct answer, to check against\n"
                "  --explain         first print every candidate met, kept or dropped and why\n",
        .run = cmd_extract,
    },
};

static const size_t ncommands = sizeof commands / sizeof commands[0];

static void print_global_usage(FILE *out)
{
    fprintf(out, "usage: cryptic-bench [--db PATH|URL] [--token TOKEN] [-v|-q] COMMAND [ARGS]\n");
}

static const char about[] = "A weekly benchmark of language models on fresh cryptic crossword clues.";

/* The global options, for --help and the man page alike. */
static const char global_options[] =
    "  --db PATH|URL   the database: a file, or a libsql://, https:// or http:// URL\n"
    "                  (default: TURSO_DATABASE_URL, else DATABASE_PATH, else\n"
    "                  " CONFIG_DEFAULT_DATABASE_PATH ")\n"
    "  --token TOKEN   auth token for a remote database (default: TURSO_AUTH_TOKEN)\n"
    "  -v, --verbose   debug detail on stderr\n"
    "  -q, --quiet     only warnings and errors on stderr\n"
    "  -h, --help      this help (help COMMAND, or COMMAND --help: a command's)\n"
    "  --version       the program's version\n";

static const char exit_status[] =
    "0 success, 1 failure (one line on stderr says what failed), 2 usage error: an unknown\n"
    "command or option, or a bad value of an option or a setting (the message names it\n"
    "and what is allowed).\n";

static void print_global_help(void)
{
    print_global_usage(stdout);
    printf("\n%s\n\nCommands:\n", about);
    for (size_t i = 0; i < ncommands; i++)
        printf("  %-16s %s\n", commands[i].name, commands[i].summary);
    printf("\nOptions:\n%s"
           "\nSettings are also read from a .env file in the working directory; `man\n"
           "cryptic-bench` lists them. Run `cryptic-bench help COMMAND` for a command's options.\n",
           global_options);
}

/* ---- the man page, from the same table ------------------------------- */

/* A preformatted block (the --help text keeps its columns). */
static void man_block(FILE *out, const char *text)
{
    fputs(".nf\n", out);
    config_man_text(out, text);
    if (text[0] && text[strlen(text) - 1] != '\n')
        fputc('\n', out);
    fputs(".fi\n", out);
}

static void print_man(FILE *out)
{
    fprintf(out, ".TH CRYPTIC\\-BENCH 1 \"\" \"cryptic-bench %s\" \"User Commands\"\n", CB_VERSION);
    fputs(".SH NAME\ncryptic\\-bench \\- ", out);
    config_man_text(out, about);
    fputs("\n.SH SYNOPSIS\n.B cryptic\\-bench\n[\\-\\-db PATH|URL] [\\-\\-token TOKEN] [\\-v|\\-q] "
          "COMMAND [ARGS]\n.SH OPTIONS\n", out);
    man_block(out, global_options);
    fputs(".SH COMMANDS\n", out);
    for (size_t i = 0; i < ncommands; i++) {
        const struct cli_command *c = &commands[i];
        fputs(".SS ", out);
        config_man_text(out, c->name);
        fputc(' ', out);
        config_man_text(out, c->usage);
        fputc('\n', out);
        config_man_text(out, c->summary);
        fputs(".\n", out);
        if (c->help[0])
            man_block(out, c->help);
    }
    fputs(".SH ENVIRONMENT\nSettings come from the environment and from a .env file in the working "
          "directory; flags win. Every value is checked before a command runs: a bad one stops the "
          "program with exit status 2.\n", out);
    config_print_man(out);
    fputs(".SH EXIT STATUS\n", out);
    config_man_text(out, exit_status);
    fputs(".SH FILES\n.TP\n.I models.json\nthe model list init\\-db syncs into the database\n"
          ".TP\n.I .env\nsettings, one NAME=VALUE a line\n", out);
}

int cli_print_help(const struct cli_command *cmd)
{
    printf("usage: cryptic-bench %s %s\n\n%s\n%s", cmd->name, cmd->usage, cmd->summary,
           cmd->help[0] ? "\n" : "");
    printf("%s", cmd->help);
    return CLI_OK;
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "cryptic-bench %s: %s\nusage: cryptic-bench %s %s\n", cmd->name, msg, cmd->name,
            cmd->usage);
    return CLI_USAGE;
}

int cli_fail(const struct cli_command *cmd, const char *msg)
{
    fprintf(stderr, "cryptic-bench %s: %s\n", cmd->name, msg);
    return CLI_FAILED;
}

int cli_take_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t len = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, len) != 0)
        return 0;
    if (arg[len] == '=') {
        *value = arg + len + 1;
        (*i)++;
        return 1;
    }
    if (arg[len] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[*i + 1];
    *i += 2;
    return 1;
}

int cli_json_flag(const struct cli_command *cmd, int argc, char **argv, int *json)
{
    *json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") != 0)
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
        *json = 1;
    }
    return CLI_OK;
}

int cli_value_flags(const struct cli_command *cmd, int argc, char **argv, const struct cli_value_flag *flags,
                    size_t nflags)
{
    for (int i = 0; i < argc;) {
        int taken = 0;
        for (size_t k = 0; k < nflags && !taken; k++)
            taken = cli_take_value(argc, argv, &i, flags[k].name, flags[k].value);
        if (taken < 0)
            return cli_usage_error(cmd, "%s needs a value", argv[i]);
        if (!taken)
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
    }
    return CLI_OK;
}

int cli_check_week(const struct cli_command *cmd, const char *week)
{
    struct utc_date monday;
    struct err err = {{0}};
    if (week && utc_week_monday(week, &monday, &err) < 0)
        return cli_usage_error(cmd, "--week: %s", err.msg);
    return CLI_OK;
}

int cli_week_flag(const struct cli_command *cmd, int argc, char **argv, const char **week)
{
    *week = NULL;
    for (int i = 0; i < argc;) {
        int taken = cli_take_value(argc, argv, &i, "--week", week);
        if (taken < 0)
            return cli_usage_error(cmd, "--week needs a week id such as 2026-W14");
        if (taken == 0)
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
    }
    return cli_check_week(cmd, *week);
}

static const struct cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < ncommands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int cli_main(int argc, char **argv)
{
    const char *db_flag = NULL, *token_flag = NULL;
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        const char *arg = argv[i];
        int taken;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            print_global_help();
            return CLI_OK;
        } else if (strcmp(arg, "--version") == 0) {
            printf("cryptic-bench %s (database schema %d)\n", CB_VERSION, STORE_SCHEMA_VERSION);
            return CLI_OK;
        } else if (strcmp(arg, "--man") == 0) {
            /* Undocumented: the build writes cryptic-bench.1 with it. */
            print_man(stdout);
            return CLI_OK;
        } else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
            log_set_level(LOG_DEBUG);
            i++;
        } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            log_set_level(LOG_WARN);
            i++;
        } else if ((taken = cli_take_value(argc, argv, &i, "--db", &db_flag)) != 0 ||
                   (taken = cli_take_value(argc, argv, &i, "--token", &token_flag)) != 0) {
            if (taken < 0) {
                fprintf(stderr, "cryptic-bench: %s needs a value\n", arg);
                print_global_usage(stderr);
                return CLI_USAGE;
            }
        } else {
            fprintf(stderr, "cryptic-bench: unknown option %s\n", arg);
            print_global_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "cryptic-bench: no command given\n");
        print_global_usage(stderr);
        fprintf(stderr, "Run `cryptic-bench --help` for the commands.\n");
        return CLI_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        if (i + 1 >= argc) {
            print_global_help();
            return CLI_OK;
        }
        const struct cli_command *topic = find_command(argv[i + 1]);
        if (!topic || i + 2 < argc) {
            fprintf(stderr, "cryptic-bench help: no command \"%s\"\nusage: cryptic-bench help [COMMAND]\n",
                    topic ? argv[i + 2] : argv[i + 1]);
            return CLI_USAGE;
        }
        return cli_print_help(topic);
    }
    const struct cli_command *cmd = find_command(argv[i]);
    if (!cmd) {
        fprintf(stderr, "cryptic-bench: unknown command \"%s\"\n", argv[i]);
        print_global_usage(stderr);
        fprintf(stderr, "Run `cryptic-bench --help` for the commands.\n");
        return CLI_USAGE;
    }
    for (int k = i + 1; k < argc; k++)
        if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0)
            return cli_print_help(cmd);

    struct err err = {{0}};
    if (dotenv_load(".env", 1, &err) < 0) {
        fprintf(stderr, "cryptic-bench: %s\n", err.msg);
        return CLI_FAILED;
    }
    if (config_check_env(&err) < 0) {
        fprintf(stderr, "cryptic-bench: %s\n", err.msg);
        return CLI_USAGE;
    }
    struct cli_ctx ctx = {{0}};
    config_resolve(&ctx.config, db_flag, token_flag);
    if (config_check_db_location(ctx.config.db_location, &err) < 0) {
        fprintf(stderr, "cryptic-bench: %s %s\n", ctx.config.db_source, err.msg);
        print_global_usage(stderr);
        return CLI_USAGE;
    }
    return cmd->run(&ctx, cmd, argc - i - 1, argv + i + 1);
}
