/* cmd_export_data.c - `cryptic-bench export-data`: the benchmark's data as
 * open data, one JSONL file per week plus a datasheet, so that anyone can
 * re-score the replies. Same database, same bytes: rows in a fixed order,
 * keys in a fixed order, no timestamps of the export itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "core/fsutil.h"
#include "eval/prompt.h"
#include "rank/cluetype.h"
#include "store/store.h"

static json_t *types_json(const char *explanation)
{
    unsigned types = rank_clue_types(explanation);
    json_t *list = json_array();
    for (int i = 0; i < RANK_CT_COUNT; i++)
        if (types & (1u << i))
            json_array_append_new(list, json_string(rank_clue_type_name(i)));
    return list;
}

/* Writes text to path through a temporary file renamed into place, so a
 * reader never sees half a file. */
static int write_file(const char *path, const char *text, size_t len, struct err *err)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return err_set(err, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return err_set(err, "cannot write %s: %s", tmp, strerror(errno));
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return err_set(err, "cannot write %s", path);
    }
    return 0;
}

static int export_week(struct store *store, const char *dir, const char *week, struct err *err)
{
    json_t *clues = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    int rc = -1;
    if (store_export_week(store, week, &clues, err) < 0)
        goto out;
    mem = open_memstream(&text, &len);
    if (!mem) {
        err_set(err, "out of memory");
        goto out;
    }
    size_t i;
    json_t *clue;
    json_array_foreach(clues, i, clue) {
        json_object_set_new(clue, "clue_types", types_json(json_string_value(json_object_get(clue, "explanation"))));
        if (json_dumpf(clue, mem, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0) {
            err_set(err, "cannot encode clue %lld of %s", (long long)json_integer_value(json_object_get(clue, "clue_id")),
                    week);
            goto out;
        }
        fputc('\n', mem);
    }
    if (fclose(mem) != 0) {
        mem = NULL;
        err_set(err, "out of memory");
        goto out;
    }
    mem = NULL;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s.jsonl", dir, week);
    if (n < 0 || (size_t)n >= sizeof path) {
        err_set(err, "%s: path too long", dir);
        goto out;
    }
    rc = write_file(path, text ? text : "", len, err);
out:
    if (mem)
        fclose(mem);
    free(text);
    json_decref(clues);
    return rc;
}

static const char datasheet_body[] =
    "## Files\n"
    "\n"
    "One `WEEK.jsonl` per ISO week (the week of the puzzle's publication), one JSON object per line, one line\n"
    "per clue, in puzzle then clue order:\n"
    "\n"
    "| field | meaning |\n"
    "|---|---|\n"
    "| `week`, `clue_id` | the week and the clue's id in the benchmark's database |\n"
    "| `series`, `number`, `setter`, `url`, `publication_date` | the puzzle, and the Fifteensquared post it was read from |\n"
    "| `clue_number`, `direction`, `clue`, `enumeration` | the clue as the models saw it |\n"
    "| `answer`, `display_answer` | the answer verdicts are checked against, and as the blog displays it |\n"
    "| `explanation` | the blogger's parsing of the clue (null when the post gave none) |\n"
    "| `clue_types` | wordplay types read from the explanation by the benchmark's rule set (`src/rank/cluetype.c`): anagram, hidden, charade, container, reversal, homophone, deletion, double_definition, cryptic_definition, and_lit; `other` when none is recognised, `unknown` without an explanation |\n"
    "| `counted` | false when the clue or its puzzle was taken out of the rankings (quarantined or excluded) |\n"
    "| `evaluations` | one per model, by model id: `model` (OpenRouter id), `reply` (the model's whole reply), `extracted_answer`, `rule` (the extraction rule that decided, null where the database does not record it), `verdict` (`correct`, `wrong`, `no_answer` or `error`), `error` (what failed, for errors), `prompt_tokens`, `completion_tokens`, `reasoning_tokens`, `cost` (USD, as the API reported), `latency_ms`, `finish_reason`, `prompt_version` |\n"
    "\n"
    "## How verdicts are made\n"
    "\n"
    "The answer is extracted from the reply (the answer the model finally committed to: answer markers, bold\n"
    "or heading lines, bare answer lines; the last commitment wins after a revision; no commitment is\n"
    "`no_answer`, never a guess; see `src/eval/extract.h`). It is correct when its letters A-Z equal the\n"
    "answer's letters A-Z, case-insensitive; there is no partial credit. A `no_answer` counts as wrong. An\n"
    "`error` is a failed call (HTTP or network), never a wrong answer: rankings leave errors out and rank a\n"
    "model for a week only when it has a verdict for every counted clue. `cryptic-bench rescore` re-applies\n"
    "the current extraction to stored replies, so verdicts of replies stored by the old benchmark (which\n"
    "took the reply's first line) may differ until it has run. The old benchmark also stored some verdicts\n"
    "without their reply (`reply` null): those are exported as stored and cannot be re-scored.\n"
    "\n"
    "To re-score: for each evaluation with a `reply`, extract the answer and compare its letters with\n"
    "`answer`'s. `cryptic-bench extract --enumeration E --answer A` reads a reply on stdin and prints the\n"
    "benchmark's own `{answer, method, correct}`.\n"
    "\n"
    "## Sources and licence\n"
    "\n"
    "Clues, answers and explanations come from the Fifteensquared blog (fifteensquared.net), whose\n"
    "bloggers explain published cryptic crosswords; the clues are the setters' and the newspapers'. They\n"
    "are included for research on the benchmark's results; the text remains theirs and is not licensed by\n"
    "this export. The models' replies, verdicts and measurements are the benchmark's own.\n";

static int write_datasheet(struct store *store, const char *dir, const char *week, struct err *err)
{
    struct store_export_summary s;
    if (store_export_summary(store, week, &s, err) < 0)
        return -1;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return err_set(err, "out of memory");
    fprintf(mem, "# cryptic-bench open data: datasheet\n\n");
    fprintf(mem, "Cryptic crossword clues, the answers of language models to them, and the verdicts of the\n"
                 "cryptic-bench benchmark. This export holds %lld %s, %lld clues and %lld evaluations of %lld models%s%s.\n"
                 "Series: %s.\n\n",
            (long long)s.weeks, s.weeks == 1 ? "week" : "weeks", (long long)s.clues, (long long)s.evaluations,
            (long long)s.models, week ? "; week " : "", week ? week : "", s.series[0] ? s.series : "none");
    fprintf(mem, "## Protocol (prompt version %d)\n\n", EVAL_PROMPT_VERSION);
    fprintf(mem, "Each model answers each clue once, at temperature 0, with this system message:\n\n> %s\n\n",
            eval_prompt_system);
    char *user = eval_prompt_user("CLUE", "(ENUMERATION)");
    if (user) {
        fprintf(mem, "and this user message (CLUE and ENUMERATION replaced):\n\n```\n%s\n```\n\n", user);
        free(user);
    }
    fputs(datasheet_body, mem);
    if (fclose(mem) != 0) {
        free(text);
        return err_set(err, "out of memory");
    }
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/datasheet.md", dir);
    int rc = n < 0 || (size_t)n >= sizeof path ? err_set(err, "%s: path too long", dir)
                                               : write_file(path, text, len, err);
    free(text);
    return rc;
}

int cmd_export_data(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *out = NULL, *week = NULL;
    const struct cli_value_flag flags[] = {{"--out", &out}, {"--week", &week}};
    int usage = cli_value_flags(cmd, argc, argv, flags, sizeof flags / sizeof flags[0]);
    if (usage != CLI_OK)
        return usage;
    if (!out || !*out)
        return cli_usage_error(cmd, "--out DIR is needed");
    if (cli_check_week(cmd, week) != CLI_OK)
        return CLI_USAGE;
    struct err err = {{0}};
    struct store *store = NULL;
    char(*weeks)[16] = NULL;
    size_t nweeks = 0;
    int status = CLI_FAILED;
    char probe[4096];
    int n = snprintf(probe, sizeof probe, "%s/datasheet.md", out);
    if (n < 0 || (size_t)n >= sizeof probe) {
        err_set(&err, "--out: path too long");
        goto done;
    }
    if (cli_open_store(ctx, 0, &store, &err) < 0 || store_export_weeks(store, week, &weeks, &nweeks, &err) < 0)
        goto done;
    if (week && nweeks == 0) {
        err_set(&err, "week %s has no clues", week);
        goto done;
    }
    if (fs_make_parent_dirs(probe, &err) < 0)
        goto done;
    for (size_t i = 0; i < nweeks; i++)
        if (export_week(store, out, weeks[i], &err) < 0)
            goto done;
    if (write_datasheet(store, out, week, &err) < 0)
        goto done;
    printf("exported %zu %s to %s (one WEEK.jsonl each, and datasheet.md)\n", nweeks, nweeks == 1 ? "week" : "weeks",
           out);
    status = CLI_OK;
done:
    free(weeks);
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
