/*
 * store.h - the cryptic-bench database: schema, migrations and the domain's
 * queries. No SQL lives outside store/ (the dashboard's read-only queries
 * excepted: they go through the SQL endpoint as they would to Turso).
 *
 * Schema versions are numbered migrations recorded in
 * metadata.schema_version. Version 1 is exactly the old TypeScript system's
 * schema, so its database file opens here and upgrades in place; each later
 * migration is one atomic batch (all of it or none). A database newer than
 * this binary is refused before anything is written to it.
 */
#ifndef CB_STORE_STORE_H
#define CB_STORE_STORE_H

#include <stdint.h>

#include "core/err.h"
#include "db/db.h"

#include <jansson.h>

/* The schema version this binary writes and reads. */
#define STORE_SCHEMA_VERSION 17

struct store;

struct store_open_opts {
    const char *token; /* remote database token, or NULL */
    int create;        /* create a missing database file */
    int readonly;      /* a file is opened read-only: the command cannot write */
    int check;         /* refuse a corrupt file (PRAGMA quick_check) before anything */
};

/* Opens the database at location and checks that it is empty or a
 * cryptic-bench database no newer than this binary. It does NOT migrate:
 * only init-db calls store_migrate(); every other command refuses an older
 * schema with store_require_current(). *out is the caller's, released with
 * store_close(). */
int store_open(const char *location, const struct store_open_opts *opts, struct store **out,
               struct err *err);

void store_close(struct store *store);

/* Where the database is (a file path or a URL, no token) and which
 * backend serves it ("sqlite" or "remote"); owned by the store. */
const char *store_location(const struct store *store);
const char *store_backend(const struct store *store);

/* A consistent copy of the database, while it stays in use, at path: the
 * db layer's online backup (db_backup() in db.h: SQLite files only, never
 * half a copy at path). */
int store_backup(struct store *store, const char *path, const struct db_backup_opts *opts,
                 struct db_backup_report *report, struct err *err);

/* The version found at open time, updated by store_migrate(); 0 for an
 * empty database. */
int store_schema_version(const struct store *store);

/* One applied migration, as reported to the caller. */
struct store_migration_report {
    int version;
    const char *name;     /* what it does, e.g. "repair: re-stamp ..." */
    const char *counted;  /* what `rows` counts, or NULL */
    int64_t rows;         /* rows the migration's counted statement changed */
};

typedef void (*store_migration_fn)(void *ctx, const struct store_migration_report *report);

/* Brings the schema to STORE_SCHEMA_VERSION, one migration per atomic
 * batch, calling on_applied (may be NULL) after each. A failure leaves the
 * database at the last completed version and names the failing migration. */
int store_migrate(struct store *store, store_migration_fn on_applied, void *ctx, struct err *err);

/* Fails unless the schema is current, saying "schema N, this program needs
 * M: run `cryptic-bench init-db` ..." (every command but init-db). */
int store_require_current(const struct store *store, struct err *err);

/* ---- models (store/models.c) ------------------------------------------ */

struct store_model {
    int64_t id;            /* row id; 0 when not stored */
    char *openrouter_id;   /* the model's id everywhere: "anthropic/claude-opus-4.5" */
    char *provider;
    char *model_name;
    char *display_name;
    char *options;         /* canonical JSON object of per-model options, or NULL */
    int is_active;
    char *added_at;        /* NULL when not stored */
    char *retired_reason;  /* why the provider retired it (it is skipped until reactivated), or NULL */
    char *release_date;    /* YYYY-MM-DD: results on clues published before it may have been seen in
                              training; NULL: unknown */
};

struct store_model_list {
    struct store_model *items;
    size_t n;
};

void store_model_list_free(struct store_model_list *list);

/* All models, ordered by id. */
int store_models_list(struct store *store, struct store_model_list *out, struct err *err);

/* One change made by a sync. kind is "added", "updated", "activated" or
 * "deactivated"; detail says which fields changed (or NULL). */
typedef void (*store_model_change_fn)(void *ctx, const char *kind, const char *openrouter_id,
                                      const char *detail);

struct store_models_sync_result {
    int added, updated, activated, deactivated, unchanged;
};

/* Makes the models table match the wanted list, as the old system did:
 * every listed model is inserted or updated and active, every other model
 * inactive (never deleted: evaluations reference it). Only rows that differ
 * are written, all in one atomic batch, so a second sync of the same list
 * writes nothing. Reports each change through on_change (may be NULL). */
int store_models_sync(struct store *store, const struct store_model *wanted, size_t n,
                      store_model_change_fn on_change, void *ctx,
                      struct store_models_sync_result *result, struct err *err);

/* ---- puzzles (store/puzzles.c) ---------------------------------------- */

struct store_clue_row {
    const char *number;         /* as printed: "1", "1,24" */
    const char *direction;      /* "across" | "down" */
    const char *text;
    const char *answer;         /* letters A-Z */
    const char *enumeration;    /* stored in the old letter_count column: "(5,10)" */
    const char *display_answer;
    const char *explanation;
    const char *definitions;    /* a JSON array */
    const char *linked;         /* the lights of a linked answer, "13/18"; NULL: one light */
};

struct store_puzzle_row {
    const char *series;
    int64_t number;             /* stored in guardian_id, the number within the series */
    const char *setter;
    const char *date;           /* publication_date, YYYY-MM-DD */
    const char *week_id;        /* the ISO week of date */
    const char *title;
    const char *url;
    const char *raw_json;       /* {"title","url","clueCount"}, as the old readers expect */
    const struct store_clue_row *clues;
    size_t nclues;
    const char *fetched_from;   /* the link it was fetched from, if not url (its rejection is forgotten
                                   too); may be NULL */
};

/* Whether a puzzle (series, number) is stored. */
int store_puzzle_exists(struct store *store, const char *series, int64_t number, int *exists,
                        struct err *err);

/* Stores a puzzle and its clues in one atomic batch; *id gets its row id.
 * The same batch forgets an earlier rejection of the post (same url, or
 * same series and number): it passed now. A puzzle already stored fails
 * with a UNIQUE message (check first). */
int store_puzzle_save(struct store *store, const struct store_puzzle_row *puzzle, int64_t *id,
                      struct err *err);

/* The newest stored publication date ("" when none), into out[11]. */
int store_newest_puzzle_date(struct store *store, char out[11], struct err *err);

/* ---- rejected posts (store/rejected.c) --------------------------------- */

/* A post that failed to be fetched, parsed or validated. It stays listed
 * (reason, first and last seen, attempts) until a later scrape or `parse
 * --retry-rejected` stores it. */
struct store_rejected_row {
    const char *url;    /* the post; one row per url */
    const char *series; /* from the feed item's title; NULL: unknown */
    int64_t number;     /* 0: unknown */
    const char *title;  /* the feed item's title, or NULL */
    const char *reason; /* why, as the user is told */
};

/* Records a rejection: a new row, or the row of the same url updated
 * (reason, last_seen) with one more attempt. *attempts (may be NULL) gets
 * the attempts counted so far. */
int store_rejected_record(struct store *store, const struct store_rejected_row *row, int64_t *attempts,
                          struct err *err);

/* Every rejected post, most recently seen first: [{id, url, series,
 * number, title, reason, first_seen, last_seen, attempts, alerted_at}]. */
int store_rejected_json(struct store *store, json_t **out, struct err *err);

/* The same for the posts rejected at least attempts times that no alert
 * has reported yet, oldest first. */
int store_rejected_due_alert(struct store *store, int64_t attempts, json_t **out, struct err *err);

/* Notes that an alert reported the rejected post id. */
int store_rejected_mark_alerted(struct store *store, int64_t id, struct err *err);

int store_rejected_count(struct store *store, int64_t *n, struct err *err);

/* Forgets the rejection of url (if any): the post is stored after all. */
int store_rejected_forget(struct store *store, const char *url, struct err *err);

/* ---- evaluations (store/evaluations.c) --------------------------------- */

/* A clue as the evaluator needs it. */
struct store_week_clue {
    int64_t id;
    char *text;
    char *enumeration;
    char *answer;
    char *week_id; /* its puzzle's week */
};

struct store_week_clues {
    struct store_week_clue *items;
    size_t n;
};

void store_week_clues_free(struct store_week_clues *list);

/* The clues of the puzzles of a week, in puzzle and clue order. */
int store_week_clues(struct store *store, const char *week_id, struct store_week_clues *out,
                     struct err *err);

/* One clue by id (*found 0 when there is none); release with the list's free. */
int store_clue_get(struct store *store, int64_t id, struct store_week_clues *out, int *found, struct err *err);

/* The weeks with clues for which some active model has a clue without a
 * non-error outcome, oldest first (out: a malloc'd array of week ids). */
int store_weeks_to_evaluate(struct store *store, char (**weeks)[16], size_t *n, struct err *err);
/* Every week with clues that count (not quarantined or excluded), oldest
 * first. *weeks is the caller's. */
int store_weeks_with_clues(struct store *store, char (**weeks)[16], size_t *n, struct err *err);

/* The newest week that has clues ("" when none), into out[16]. */
int store_newest_week(struct store *store, char out[16], struct err *err);

/* The stored outcome of (clue, model), or "" when none, into out[16]. */
int store_evaluation_outcome(struct store *store, int64_t clue_id, int64_t model_id, char out[16],
                             struct err *err);

struct store_evaluation_row {
    int64_t clue_id, model_id;
    const char *week_id;         /* the clue's puzzle week */
    const char *outcome;         /* "correct" | "wrong" | "no_answer" | "error" */
    const char *model_response;  /* NULL for an error */
    const char *reasoning;
    const char *extracted_answer;
    const char *extract_rule;    /* eval_rule_name() of the rule that decided; NULL for an error */
    int is_correct;
    int64_t response_time_ms;
    int64_t prompt_tokens, completion_tokens, reasoning_tokens, total_tokens; /* -1: unknown */
    double cost;                 /* < 0: unknown */
    const char *finish_reason;
    const char *provider_model;
    const char *error_message;   /* for an error: what failed, for people */
    enum err_class error_class;  /* for an error: its class; ERR_CLASS_NONE: unknown */
    int error_status;            /* for an error: the HTTP status of the failed reply; 0: none
                                    (no reply, or a 2xx reply whose body failed) */
    int attempts;
    int prompt_version;
};

/* Stores the evaluation of (clue, model), replacing an earlier one, except
 * that an error never replaces a success (correct / wrong / no_answer):
 * then the stored row is kept and *kept_success is set. */
int store_evaluation_save(struct store *store, const struct store_evaluation_row *row,
                          int *kept_success, struct err *err);

/* A stored reply, for rescoring. */
struct store_stored_reply {
    int64_t id, model_id;
    char *model;             /* OpenRouter id */
    char *reply;
    char *enumeration;
    char *answer;            /* the clue's answer */
    char *extracted_answer;  /* may be NULL */
    char *extract_rule;      /* NULL before rescore recorded one */
    char *week_id;           /* the clue's puzzle week */
    int is_correct;
    char *outcome;
};

struct store_stored_replies {
    struct store_stored_reply *items;
    size_t n;
};

void store_stored_replies_free(struct store_stored_replies *list);

/* Non-error evaluations with a stored reply, of one week (NULL: all). */
int store_stored_replies(struct store *store, const char *week_id, struct store_stored_replies *out,
                         struct err *err);

struct store_rescore {
    int64_t id;
    const char *extracted_answer; /* NULL when the reply has none */
    const char *extract_rule;     /* the rule that decided */
    int is_correct;
    const char *outcome;          /* "correct" | "wrong" | "no_answer" */
};

/* Applies new verdicts (answer, rule, correctness, outcome) in one atomic batch. */
int store_rescore_apply(struct store *store, const struct store_rescore *updates, size_t n,
                        struct err *err);

/* ---- rankings (store/rankings.c) -------------------------------------- */

/* What the rankings are computed from, as rows: store/ knows nothing of
 * rank/ (pipeline/ranking.c turns these rows into rank_input and rank/'s
 * output into store_rankings below). Only clues that count: not in a
 * quarantined puzzle, not excluded; an evaluation counts for its clue's
 * puzzle week. Weeks are ISO week ids ("2026-W33"). */
#define STORE_WEEK_SIZE 16

struct store_ranking_source {
    struct store_ranking_week {          /* every week with puzzles, by week */
        char week[STORE_WEEK_SIZE];
        int clues;                       /* scored clues (0 when every clue is out) */
    } *weeks;
    size_t nweeks;
    struct store_ranking_model {         /* every model, by id */
        int64_t id;
        char name[128];                  /* display name */
    } *models;
    size_t nmodels;
    struct store_ranking_cell {          /* per (week, model) with evaluations, by week then model id */
        char week[STORE_WEEK_SIZE];
        int64_t model_id;
        int correct, wrong, no_answer, errors; /* outcomes (errors: also rows without an outcome) */
        double avg_latency_ms;           /* of the non-error calls; < 0 when none */
        double cost;                     /* summed; < 0 when unknown */
        int64_t completion_tokens;       /* summed over the non-error calls that report them */
        int token_replies;               /* how many calls those are */
    } *cells;
    size_t ncells;
    struct store_ranking_error {         /* failed calls by week and HTTP status */
        char week[STORE_WEEK_SIZE];
        int status;                      /* evaluations.error_status; 0: none known */
        int count;
    } *errors;
    size_t nerrors;
    struct store_ranking_length {        /* each correct or wrong answer with its enumeration, */
        char week[STORE_WEEK_SIZE];      /* by week then model id (the cells' order), for the */
        int64_t model_id;                /* wrong-length count: SQL cannot count letters as */
        char *answer;                    /* the benchmark does (accents dropped) */
        char *enumeration;               /* clues.letter_count as stored */
    } *lengths;
    size_t nlengths;
    struct store_ranking_answer {        /* every scored answer (not errors), by week, clue, model */
        char week[STORE_WEEK_SIZE];
        int64_t clue_id, model_id;
        int correct;                     /* 1 correct; 0 wrong or no answer */
        char *explanation;               /* the clue's, or NULL (its wordplay types) */
        double cost;                     /* < 0 unknown */
        double latency_ms;               /* < 0 unknown */
    } *answers;
    size_t nanswers;
};

/* Reads the rows above. *out owns its arrays and strings; release with
 * store_ranking_source_free() (also after a failure). */
int store_ranking_source_read(struct store *store, struct store_ranking_source *out, struct err *err);
void store_ranking_source_free(struct store_ranking_source *s);

/* The derived tables' rows, as store_rank_write() writes them. Strings are
 * the caller's (borrowed for the call). Rates, accuracies, intervals and
 * coverage in percent. */
struct store_ranking_quality {
    int wrong_length, no_answer;
    double wrong_length_rate, no_answer_rate, error_rate;
    double avg_completion_tokens;        /* < 0: none reported (NULL) */
};

struct store_rankings {
    struct store_week_status_row {       /* week_status */
        const char *week, *status;       /* "ranked" | "no-ranking" */
        const char *reason;
        int clues, models_ranked;
    } *weeks;
    size_t nweeks;
    struct store_ranking_row {           /* weekly_rankings */
        const char *week;
        int64_t model_id;
        int total, correct, rank;
        int previous_rank;               /* 0: none (previous_rank and rank_change NULL) */
        int rank_change;
        double accuracy, ci_low, ci_high;
        int tenure_weeks;
        double avg_latency_ms, cost;     /* < 0: unknown (NULL) */
        int rank_lo, rank_hi, move_significant, ahead_significant, tenure_significant_weeks;
    } *rows;
    size_t nrows;
    struct store_coverage_row {          /* week_coverage */
        const char *week;
        int64_t model_id;
        int clues, evaluated, errors;
        double coverage;
        struct store_ranking_quality quality;
    } *coverage;
    size_t ncoverage;
    struct store_tenure_row {            /* rank_tenure */
        int64_t model_id;
        int rank;
        const char *start_week;
        const char *end_week;            /* NULL while held (the old meaning) */
        int weeks, current, significant_weeks;
    } *tenures;
    size_t ntenures;
    struct store_alltime_row {           /* alltime_rankings */
        int64_t model_id;
        int weeks, total, correct, rank, rank_lo, rank_hi;
        double accuracy, ci_low, ci_high;
        double cost_per_clue, median_latency_ms; /* < 0: none (NULL) */
    } *alltime;
    size_t nalltime;
    struct store_alltime_quality_row {   /* alltime_quality */
        int64_t model_id;
        int weeks, clues, evaluated, errors;
        struct store_ranking_quality quality;
    } *alltime_quality;
    size_t nalltime_quality;
    struct store_h2h_row {               /* alltime_head_to_head */
        int64_t model_id, opponent_id;
        int wins, losses, ties, significant;
        double p_value;
    } *h2h;
    size_t nh2h;
    struct store_type_accuracy_row {     /* alltime_type_accuracy */
        int64_t model_id;
        const char *clue_type;           /* its stored name ("anagram") */
        int total, correct;
        double accuracy, ci_low, ci_high;
    } *types;
    size_t ntypes;
};

/* Replaces the derived tables in one atomic batch: with from_week NULL,
 * everything; else the weekly rows of from_week and later (earlier weeks
 * stay as stored, except that their coverage rows without answer quality,
 * stored before migration 11, get it), with tenure and all-time rewritten
 * whole. A failure leaves the previous tables as they were. */
int store_rank_write(struct store *store, const struct store_rankings *rankings, const char *from_week,
                     struct err *err);

/* What `rank` reports, from the stored tables (from_week on, or all):
 * every week's status, and in the ranked weeks the models left out of the
 * ranking (coverage below the threshold). Owns its strings; release with
 * store_rank_weeks_free(). */
struct store_rank_week {
    char *week, *status; /* week_status: "ranked" or why not */
    char *reason;        /* why the week has no ranking, or NULL */
    int64_t clues, models_ranked;
};
struct store_rank_incomplete {
    char *week, *model;  /* model: its display name */
    double coverage;     /* percent of the week's clues answered */
    int64_t errors;
};
struct store_rank_weeks {
    struct store_rank_week *weeks;            /* by week */
    size_t nweeks;
    struct store_rank_incomplete *incomplete; /* by week, then model id */
    size_t nincomplete;
};
int store_rank_weeks(struct store *store, const char *from_week, struct store_rank_weeks *out, struct err *err);
void store_rank_weeks_free(struct store_rank_weeks *w);

/* The newest week with status "ranked" ("" when none), into out[16]. */
int store_newest_ranked_week(struct store *store, char out[16], struct err *err);

/* A week's board as stored by rank/: {"week", "clues" (stored), "status"
 * ("ranked" | "no-ranking", or null when not ranked yet), "reason",
 * "scored_clues" (those that count: not excluded, puzzle not quarantined;
 * null when not ranked yet), "rows": [{"rank", "model", "model_id",
 * "provider", "correct", "total", "accuracy", "ci_low", "ci_high",
 * "previous_rank", "rank_change", "tenure_weeks", "avg_latency_ms",
 * "cost", QUALITY, "rank_lo", "rank_hi", "move_significant",
 * "ahead_significant" (booleans), "tenure_significant_weeks"; the last
 * five null on rows ranked before migration 13 until the next `rank`; see
 * rank.h}], "incomplete": [{"model", "model_id",
 * "coverage", "errors", QUALITY}]}, where QUALITY is "wrong_length_rate",
 * "no_answer_rate", "error_rate" (percent of scored_clues) and
 * "avg_completion_tokens" (null when no reply reported them; all four null
 * on rows ranked before migration 11 until the next `rank`). Fails when the
 * week has no clues. *out is a new reference. */
int store_leaderboard_json(struct store *store, const char *week, json_t **out, struct err *err);

/* The all-time board: {"weeks_ranked", "rows": [{"rank", "model",
 * "model_id", "provider", "weeks", "correct", "total", "accuracy",
 * "ci_low", "ci_high", "rates_weeks", "rates_clues", QUALITY, "rank_lo",
 * "rank_hi", "cost_per_clue" (USD), "median_latency_ms" (null when no
 * pooled answer reports one)}], "incomplete": [{"model", "model_id", "provider",
 * "rates_weeks", "rates_clues", "evaluated", "errors", QUALITY}],
 * "head_to_head": [{"model_id", "opponent_id" (OpenRouter ids), "wins",
 * "losses", "ties", "p_value", "significant" (boolean)}] (both directions
 * of every pair of ranked models, in board order), "clue_types":
 * [{"model_id", "clue_type" (as written by store_rank_write), "total", "correct",
 * "accuracy", "ci_low", "ci_high"}] (per ranked model, the types its
 * pooled answers' clues have)}: QUALITY as above but
 * pooled over the rates_weeks weeks the model has evaluations in (their
 * rates_clues scored clues), ranked or not; "incomplete" lists the models
 * with evaluations that were never ranked. */
int store_alltime_json(struct store *store, json_t **out, struct err *err);

/* ---- open data (store/export.c) ----------------------------------------- */

/* The weeks with clues, oldest first (only week when given and it has
 * clues: then *n is 0 or 1), into a new array the caller frees. */
int store_export_weeks(struct store *store, const char *week, char (**weeks)[16], size_t *n, struct err *err);

/* A week's clues for `export-data`, in puzzle then clue order, as a new
 * JSON array: {"week", "clue_id", "series", "number", "setter", "url",
 * "publication_date", "clue_number", "direction", "clue", "enumeration",
 * "answer" (what verdicts check against), "display_answer" (as the blog
 * shows it), "explanation", "clue_types" (null, a place for
 * the caller to fill), "counted" (false when the puzzle
 * is quarantined or the clue excluded), "evaluations": [{"model" (the
 * OpenRouter id), "reply", "extracted_answer", "rule" (the extraction
 * rule, null where the schema has no evaluations.extract_rule), "verdict"
 * (correct | wrong | no_answer | error), "error", "prompt_tokens",
 * "completion_tokens", "reasoning_tokens", "cost", "latency_ms",
 * "finish_reason", "prompt_version"}] by model id}. */
int store_export_week(struct store *store, const char *week, json_t **out, struct err *err);

struct store_export_summary {
    int64_t weeks, clues, evaluations, models;
    char series[512];                  /* "guardian-cryptic, guardian-prize", sorted */
};

/* What an export holds (week NULL: everything), for its datasheet. */
int store_export_summary(struct store *store, const char *week, struct store_export_summary *out, struct err *err);

/* Retires a model with the provider's reason (it is skipped until
 * reactivated), or with reason NULL reactivates it. *found: the id exists. */
int store_model_retire(struct store *store, const char *openrouter_id, const char *reason, int *found,
                       struct err *err);

/* A model's average cost per call over its last 200 calls with a cost;
 * *known 0 when it has none. */
int store_model_cost_per_call(struct store *store, const char *model, double *cost, int *known, struct err *err);

/* ---- curation: taking puzzles and clues out of scoring ----------------- */

/* Every puzzle with its clue count, excluded clues and quarantine reason. */
int store_puzzles_json(struct store *store, json_t **out, struct err *err);
/* One puzzle's clues as a JSON array of {id, number, direction, clue,
 * enumeration, answer, exclude_reason} in the puzzle's order (across, then
 * down, by number); *found is 0 (and *out NULL) when there is no such
 * puzzle. The caller owns *out. */
int store_clues_json(struct store *store, int64_t puzzle_id, json_t **out, int *found, struct err *err);
/* Quarantines a puzzle with reason (NULL: restores it): its clues stop
 * counting (rankings, coverage, what is asked) but stay stored. week gets
 * the puzzle's week; *found says whether the id exists. */
int store_puzzle_quarantine(struct store *store, int64_t id, const char *reason, char week[16], int *found,
                            struct err *err);
/* The same for one clue. */
int store_clue_exclude(struct store *store, int64_t id, const char *reason, char week[16], int *found,
                       struct err *err);

/* ---- workflow state (store/flow.c) ------------------------------------- */

struct store_flow_run {
    char id[40];
    char function_id[128];
    char event_id[72];
    char *event;            /* the triggering event as JSON */
    char status[16];
    int attempt;
    char *output, *error;   /* error: the message people read */
    enum err_class error_class; /* a failed run's class (flow_fail_error); ERR_CLASS_NONE: none */
    int error_status;       /* ...and the HTTP status behind it; 0: none */
    char parent_run_id[40];
    char parent_step[48];
    int64_t created_at, started_at, ended_at, ready_at;
};

struct store_flow_step {
    char hash[48];
    char *name;
    char kind[16];          /* run | sleep | send | invoke | wait */
    char status[16];        /* done | failed | retrying | sleeping | waiting */
    char *output, *error;
    enum err_class error_class; /* a failed step's class; ERR_CLASS_NONE: none */
    int error_status;       /* ...and its HTTP status; 0: none */
    int attempts;
    int64_t wake_at;        /* 0: none */
    char *wait_event, *wait_field, *wait_value;
    int seq;
    int64_t started_at, ended_at;
};

void store_flow_run_clear(struct store_flow_run *run);
void store_flow_steps_free(struct store_flow_step *steps, size_t n);

/* A run to create for an event. */
struct store_flow_new_run {
    const char *id, *function_id;
    const char *concurrency_key; /* NULL: none */
    int concurrency_limit;
    const char *parent_run_id, *parent_step; /* for invoke */
};

/* Stores an event and the runs it starts, and wakes the runs waiting for
 * it, in one batch. An event id seen before changes nothing (*duplicate). */
int store_flow_send(struct store *store, const char *event_id, const char *name, const char *event_json,
                    int64_t now, const struct store_flow_new_run *runs, size_t nruns, int *duplicate,
                    struct err *err);

/* Claims the next runnable run for owner (queued and ready, or sleeping /
 * waiting past its wake time, or running with an expired lease), of one of
 * the functions in functions_json (a JSON array of ids: the ones this
 * process runs), honouring concurrency limits. *found is 0 when there is none. */
int store_flow_claim(struct store *store, const char *owner, int64_t now, int64_t lease_ms,
                     const char *functions_json, struct store_flow_run *out, int *found, struct err *err);

/* Requeues the runs owner holds, as owner itself or as "<owner>/<anything>"
 * (one claim of it): a restart reclaims its own at once. */
int store_flow_reclaim(struct store *store, const char *owner, int64_t now, struct err *err);

int store_flow_steps(struct store *store, const char *run_id, struct store_flow_step **out, size_t *n,
                     struct err *err);

/* Checkpoints a step, only while owner still holds the run: *held 0 when
 * it no longer does (the run was cancelled, or its lease expired and
 * another worker took it) and nothing was written. */
int store_flow_step_put(struct store *store, const char *run_id, const char *owner,
                        const struct store_flow_step *step, int64_t lease_until, int *held, struct err *err);

/* Ends a round: sets the run's status, ready time, output and error and
 * releases the lease (only while owner holds it). A failed run's class and
 * status are run->error_class and run->error_status (stored with status
 * "failed" only). A finished child run (completed / failed) also resolves
 * its parent's invoke step, error, class and status included, and queues
 * the parent, in the same batch. */
int store_flow_run_release(struct store *store, const struct store_flow_run *run, const char *owner,
                           const char *status, int64_t ready_at, const char *output, const char *error,
                           int64_t now, struct err *err);

/* Cancels the unfinished runs of function_id whose event has value at path
 * (a JSON path such as "$.data.week_id"; compared as text), except those
 * whose event has except_value at except_path (both NULL: no exception),
 * with reason as their error; in the same batch fails the invoke steps of
 * parents still waiting for them and wakes those parents. With sender_id,
 * only while that run is running under the lease sender_holder, checked in
 * the same batch: a run that was cancelled itself cancels nobody (two runs
 * cancelling each other at once would leave neither to report why).
 * *cancelled (may be NULL) gets how many runs stopped. */
int store_flow_cancel_matching(struct store *store, const char *function_id, const char *path, const char *value,
                               const char *except_path, const char *except_value, const char *sender_id,
                               const char *sender_holder, const char *reason, int64_t now, int64_t *cancelled,
                               struct err *err);

/* How many runs of the functions in functions_json (a JSON array of ids)
 * have not finished (queued, running, sleeping, waiting). */
int store_flow_active_runs(struct store *store, const char *functions_json, int64_t *n, struct err *err);

/* Cron schedules (flow_schedules), one row per function with a cron.
 * store_flow_schedule_last: *last_fire is when the function last fired, -1
 * when it has no row yet. store_flow_schedule_init: a fresh schedule, whose
 * last fire is now (it has no missed fires); a row already there is kept.
 * store_flow_schedule_fired: records a fire at now (and the current cron
 * text). Each write is its own one-statement batch. */
int store_flow_schedule_last(struct store *store, const char *function_id, int64_t *last_fire, struct err *err);
int store_flow_schedule_init(struct store *store, const char *function_id, const char *cron, int64_t now,
                             struct err *err);
int store_flow_schedule_fired(struct store *store, const char *function_id, const char *cron, int64_t now,
                              struct err *err);

/* The earliest ready_at among the runs of functions_json (a JSON array of
 * ids) that wait to run (queued, sleeping, waiting); *next is -1 when none. */
int store_flow_next_ready(struct store *store, const char *functions_json, int64_t *next, struct err *err);

/* What the pipeline's steps report, named by pipeline/ (it owns its
 * function ids, step names and output fields: pipeline_step_fields()):
 * store/ only sums the checkpointed outputs these point at. JSON paths are
 * SQLite's ("$.cost"); a NULL descriptor, or a NULL field, matches
 * nothing (the sums are 0). */
struct store_step_fields {
    const char *eval_function;   /* the function whose steps each ask one clue */
    const char *eval_steps;      /* LIKE pattern of those steps' names */
    const char *eval_outcome;    /* JSON path of such a step's outcome ("error": the call failed) */
    const char *eval_cost;       /* JSON path of its cost in US dollars */
    const char *scrape_function; /* the function that scrapes */
    const char *scrape_step;     /* its step whose output is the scrape's report */
    const char *scrape_saved;    /* JSON paths of the report's post counts */
    const char *scrape_rejected;
    const char *scrape_skipped;
};

/* Runs of one function created since a time (see below). */
struct store_run_count {
    char *function;                       /* flow_runs.function_id */
    int64_t completed, failed, cancelled; /* cancelled: store_run_summary only (0 in progress) */
    int64_t runs;                         /* every run, whatever its status */
};

/* What `run` shows while it works, counting only the runs created at
 * since_ms or later (this run, not the database's history): runs per
 * function (oldest first), their steps checkpointed, the evaluations their
 * evaluation steps (fields) stored (errors among them), and the cost. Owns
 * its strings; release with store_run_progress_free(). */
struct store_run_progress {
    struct store_run_count *functions;
    size_t nfunctions;
    int64_t steps_done, evaluations, evaluation_errors;
    double cost; /* US dollars */
};
int store_run_progress(struct store *store, const struct store_step_fields *fields, int64_t since_ms,
                       struct store_run_progress *out, struct err *err);
void store_run_progress_free(struct store_run_progress *p);

/* The outcome of the runs created since since_ms: per function how many
 * completed, failed and were cancelled; the first 20 failures (oldest
 * first, error may be NULL); and every week's status (reason may be NULL).
 * Owns its strings; release with store_run_summary_free(). */
struct store_run_summary {
    struct store_run_count *functions;
    size_t nfunctions;
    struct { char *function, *error; } *failures;
    size_t nfailures;
    struct { char *week, *status, *reason; } *weeks;
    size_t nweeks;
};
int store_run_summary(struct store *store, int64_t since_ms, struct store_run_summary *out, struct err *err);
void store_run_summary_free(struct store_run_summary *s);

/* Listing and control for `runs`. */
int store_flow_runs_list(struct store *store, int limit, struct store_flow_run **out, size_t *n,
                         struct err *err);
int store_flow_run_get(struct store *store, const char *id, struct store_flow_run *out, int *found,
                       struct err *err);
/* What a run and the runs it invoked spent: the cost their evaluation
 * steps (fields) report, in US dollars. */
int store_flow_run_cost(struct store *store, const struct store_step_fields *fields, const char *id, double *cost,
                        struct err *err);
/* The run of function_id that event_id started. */
int store_flow_run_by_event(struct store *store, const char *function_id, const char *event_id,
                            struct store_flow_run *out, int *found, struct err *err);
/* The child runs of a run, oldest first. */
int store_flow_children(struct store *store, const char *parent_id, struct store_flow_run **out, size_t *n,
                        struct err *err);
/* Cancels a run that has not finished; *changed 0 when it had. */
int store_flow_run_cancel(struct store *store, const char *id, int64_t now, int *changed, struct err *err);
/* Requeues a failed or cancelled run: its failed steps run again, its
 * checkpointed ones stay. */
int store_flow_run_retry(struct store *store, const char *id, int64_t now, int *changed, struct err *err);

/* ---- metrics (store/metrics.c) ----------------------------------------- */

/* Upper bounds, in ms, of the buckets of every duration histogram read
 * here (steps and LLM calls): 5 ms to 5 min, as Prometheus' defaults widened
 * to the minutes a slow model takes. */
#define STORE_METRICS_BUCKETS 15
extern const int64_t store_metrics_bucket_ms[STORE_METRICS_BUCKETS];

struct store_metrics_histogram {
    int64_t le[STORE_METRICS_BUCKETS]; /* cumulative: observations <= store_metrics_bucket_ms[i] */
    int64_t count;                     /* every observation (the +Inf bucket) */
    int64_t sum_ms;
};

struct store_metrics_runs {
    char *function, *status;    /* flow_runs.function_id, .status */
    int64_t runs;
};

struct store_metrics_steps {
    char *function;
    int64_t retries;            /* sum over its steps of attempts - 1 */
    struct store_metrics_histogram duration; /* finished run steps: last attempt's ended_at - started_at */
};

struct store_metrics_model {
    char *model;                /* OpenRouter id */
    int64_t correct, wrong, no_answer, error; /* evaluations by outcome */
    double cost_usd;            /* sum of known costs */
    struct store_metrics_histogram latency;   /* evaluations.response_time_ms, every outcome */
};

struct store_metrics_series {
    char *series;
    int64_t puzzles;
};

/* A model's answer quality as rank/ stored it (percent; see
 * store_leaderboard_json), for the newest ranked week or all time. */
struct store_metrics_quality {
    char *model;                /* OpenRouter id */
    char *week;                 /* the week id; NULL: all time */
    double wrong_length_rate, no_answer_rate, error_rate;
    double avg_completion_tokens; /* < 0: unknown */
};

/* What GET /metrics reports from the database: aggregates only, never a
 * row of text (no clue, reply or error message). Owns every array and
 * string; release with store_metrics_free(). */
struct store_metrics {
    struct store_metrics_runs *runs;     /* by function and status */
    size_t nruns;
    struct store_metrics_steps *steps;   /* by function */
    size_t nsteps;
    struct store_metrics_model *models;  /* every model, evaluated or not, by OpenRouter id */
    size_t nmodels;
    struct store_metrics_series *series; /* stored puzzles by series */
    size_t nseries;
    /* Every model with quality in the newest ranked week (ranked or
     * incomplete), then every model with all-time quality. */
    struct store_metrics_quality *quality;
    size_t nquality;
    int64_t clues;
    /* Summed over the checkpointed outputs of the scrape step (fields):
     * posts saved, rejected, skipped. */
    int64_t scrape_saved, scrape_rejected, scrape_skipped;
    int64_t rejected_posts; /* rows of rejected_posts: posts waiting for a parser fix */
};

/* Reads the metrics with a few aggregate queries (a scan of evaluations
 * and flow_steps each, no rows returned per call); the scrape counts from
 * the steps fields names (NULL: 0). On failure *out is empty and the
 * message names the query that failed. */
int store_metrics_read(struct store *store, const struct store_step_fields *fields, struct store_metrics *out,
                       struct err *err);
void store_metrics_free(struct store_metrics *m);

/* ---- status (store/status.c) ------------------------------------------ */

struct store_status {
    int64_t puzzles, clues, models, active_models;
    int64_t evaluations, evaluation_errors;
    int64_t weekly_rankings;
    int64_t rejected_posts;    /* posts that failed validation and are not stored (0 before the
                                  schema has the table) */
    char last_scrape[32];      /* newest puzzles.scraped_at, "" when none */
    char last_evaluation[32];  /* newest evaluations.evaluated_at, "" when none */
    char newest_week[16];      /* newest puzzle week_id, "" when none */
};

/* Counts and dates for `status`. Works on any version this binary can
 * read (including the old schema before it is upgraded). */
int store_status(struct store *store, struct store_status *out, struct err *err);

#endif
