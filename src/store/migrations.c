/*
 * migrations.c - the schema, as numbered migrations; see migrations.h.
 *
 * Never edit a migration that has shipped: add a new one. Migration 1 is
 * the old TypeScript system's schema exactly (tables, columns, defaults,
 * indexes), so its database files are version 1 and upgrade from there.
 */
#include "store/migrations.h"

/* 1: the old system's schema. */
static const char *const m1_old_schema[] = {
    "CREATE TABLE puzzles (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    guardian_id INTEGER UNIQUE NOT NULL,\n"
    "    puzzle_type TEXT NOT NULL DEFAULT 'cryptic',\n"
    "    setter TEXT,\n"
    "    publication_date DATE NOT NULL,\n"
    "    week_id TEXT NOT NULL,\n"
    "    scraped_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
    "    raw_json TEXT\n"
    ")",
    "CREATE TABLE clues (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    puzzle_id INTEGER NOT NULL REFERENCES puzzles(id),\n"
    "    clue_number TEXT NOT NULL,\n"
    "    direction TEXT NOT NULL,\n"
    "    clue_text TEXT NOT NULL,\n"
    "    answer TEXT NOT NULL,\n"
    "    letter_count TEXT NOT NULL,\n"
    "    UNIQUE(puzzle_id, clue_number, direction)\n"
    ")",
    "CREATE TABLE models (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    openrouter_id TEXT UNIQUE NOT NULL,\n"
    "    provider TEXT NOT NULL,\n"
    "    model_name TEXT NOT NULL,\n"
    "    display_name TEXT NOT NULL,\n"
    "    is_active BOOLEAN DEFAULT TRUE,\n"
    "    added_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP\n"
    ")",
    "CREATE TABLE evaluations (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    clue_id INTEGER NOT NULL REFERENCES clues(id),\n"
    "    model_id INTEGER NOT NULL REFERENCES models(id),\n"
    "    week_id TEXT NOT NULL,\n"
    "    model_response TEXT,\n"
    "    extracted_answer TEXT,\n"
    "    is_correct BOOLEAN NOT NULL,\n"
    "    response_time_ms INTEGER,\n"
    "    tokens_used INTEGER,\n"
    "    cost REAL,\n"
    "    error_message TEXT,\n"
    "    evaluated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
    "    UNIQUE(clue_id, model_id)\n"
    ")",
    "CREATE TABLE weekly_rankings (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    week_id TEXT NOT NULL,\n"
    "    model_id INTEGER NOT NULL REFERENCES models(id),\n"
    "    total_clues INTEGER NOT NULL,\n"
    "    correct_count INTEGER NOT NULL,\n"
    "    accuracy REAL NOT NULL,\n"
    "    rank INTEGER NOT NULL,\n"
    "    previous_rank INTEGER,\n"
    "    rank_change INTEGER,\n"
    "    calculated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
    "    UNIQUE(week_id, model_id)\n"
    ")",
    "CREATE TABLE rank_tenure (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    model_id INTEGER NOT NULL REFERENCES models(id),\n"
    "    rank_position INTEGER NOT NULL,\n"
    "    start_week TEXT NOT NULL,\n"
    "    end_week TEXT,\n"
    "    weeks_count INTEGER NOT NULL DEFAULT 1,\n"
    "    is_current BOOLEAN DEFAULT TRUE,\n"
    "    UNIQUE(model_id, rank_position, start_week)\n"
    ")",
    "CREATE TABLE metadata (\n"
    "    key TEXT PRIMARY KEY,\n"
    "    value TEXT,\n"
    "    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP\n"
    ")",
    "CREATE INDEX idx_puzzles_week ON puzzles(week_id)",
    "CREATE INDEX idx_puzzles_date ON puzzles(publication_date)",
    "CREATE INDEX idx_clues_puzzle ON clues(puzzle_id)",
    "CREATE INDEX idx_evaluations_model ON evaluations(model_id)",
    "CREATE INDEX idx_evaluations_week ON evaluations(week_id)",
    "CREATE INDEX idx_evaluations_correct ON evaluations(is_correct)",
    "CREATE INDEX idx_rankings_week ON weekly_rankings(week_id)",
    "CREATE INDEX idx_rankings_model ON weekly_rankings(model_id)",
    "CREATE INDEX idx_tenure_model ON rank_tenure(model_id)",
    "CREATE INDEX idx_tenure_current ON rank_tenure(is_current)",
    "INSERT INTO metadata (key, value) VALUES ('schema_version', '0')",
    NULL,
};

/* 2: a puzzle is identified by (series, number). The old UNIQUE(guardian_id)
 * cannot be dropped in place, so the table is rebuilt keeping every id and
 * row. Migrations run inside a transaction, where PRAGMA foreign_keys cannot
 * change; defer_foreign_keys lets the clues' references dangle for the
 * moment between DROP and re-INSERT (re-inserting the parents settles the
 * deferred count before COMMIT checks it). guardian_id keeps its old name
 * for old readers and holds the puzzle's number in its series. The post's
 * url and title come out of the old raw_json; the title loses the
 * " - Fifteensquared" that the old scraper kept from the page's <title>.
 * The first ALTER only serves as the guard against a second application. */
static const char *const m2_series[] = {
    "ALTER TABLE puzzles ADD COLUMN series TEXT",
    "CREATE TABLE puzzles_before_v2 AS SELECT * FROM puzzles",
    "PRAGMA defer_foreign_keys = ON",
    "DROP TABLE puzzles",
    "CREATE TABLE puzzles (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    guardian_id INTEGER NOT NULL,\n"
    "    puzzle_type TEXT NOT NULL DEFAULT 'cryptic',\n"
    "    setter TEXT,\n"
    "    publication_date DATE NOT NULL,\n"
    "    week_id TEXT NOT NULL,\n"
    "    scraped_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
    "    raw_json TEXT,\n"
    "    series TEXT NOT NULL DEFAULT 'guardian-cryptic',\n"
    "    url TEXT,\n"
    "    title TEXT,\n"
    "    UNIQUE(series, guardian_id)\n"
    ")",
    "INSERT INTO puzzles (id, guardian_id, puzzle_type, setter, publication_date, week_id,\n"
    "                     scraped_at, raw_json, series, url, title)\n"
    "SELECT id, guardian_id, puzzle_type, setter, publication_date, week_id, scraped_at, raw_json,\n"
    "       CASE WHEN json_valid(raw_json)\n"
    "             AND json_extract(raw_json, '$.title') LIKE 'Guardian Prize%'\n"
    "            THEN 'guardian-prize' ELSE 'guardian-cryptic' END,\n"
    "       CASE WHEN json_valid(raw_json) THEN json_extract(raw_json, '$.url') END,\n"
    "       CASE WHEN NOT json_valid(raw_json) THEN NULL\n"
    "            WHEN json_extract(raw_json, '$.title') LIKE '% - Fifteensquared'\n"
    "            THEN substr(json_extract(raw_json, '$.title'), 1,\n"
    "                        length(json_extract(raw_json, '$.title')) - 17)\n"
    "            ELSE json_extract(raw_json, '$.title') END\n"
    "FROM puzzles_before_v2",
    "DROP TABLE puzzles_before_v2",
    "CREATE INDEX idx_puzzles_week ON puzzles(week_id)",
    "CREATE INDEX idx_puzzles_date ON puzzles(publication_date)",
    NULL,
};

/* 3: what the blog says about each clue. */
static const char *const m3_clue_details[] = {
    "ALTER TABLE clues ADD COLUMN display_answer TEXT",
    "ALTER TABLE clues ADD COLUMN explanation TEXT",
    "ALTER TABLE clues ADD COLUMN definitions TEXT",
    NULL,
};

/* 4: what a call cost and how it ended. outcome separates errors from
 * wrong answers: the old system stored failed calls as is_correct = 0, so
 * old rows with an error message become 'error', never 'wrong'. The old
 * rows were made with the published prompt, which is protocol version 1. */
static const char *const m4_evaluation_outcome[] = {
    "ALTER TABLE evaluations ADD COLUMN outcome TEXT\n"
    "    CHECK (outcome IS NULL OR outcome IN ('correct', 'wrong', 'no_answer', 'error'))",
    "ALTER TABLE evaluations ADD COLUMN prompt_tokens INTEGER",
    "ALTER TABLE evaluations ADD COLUMN completion_tokens INTEGER",
    "ALTER TABLE evaluations ADD COLUMN reasoning_tokens INTEGER",
    "ALTER TABLE evaluations ADD COLUMN finish_reason TEXT",
    "ALTER TABLE evaluations ADD COLUMN attempts INTEGER",
    "ALTER TABLE evaluations ADD COLUMN prompt_version INTEGER",
    "UPDATE evaluations SET\n"
    "    outcome = CASE WHEN error_message IS NOT NULL THEN 'error'\n"
    "                   WHEN is_correct THEN 'correct' ELSE 'wrong' END,\n"
    "    prompt_version = 1",
    "CREATE INDEX idx_evaluations_outcome ON evaluations(outcome)",
    NULL,
};

/* 5: per-model options from models.json (max tokens, extra request
 * fields, pacing, endpoint), as one canonical JSON object. */
static const char *const m5_model_options[] = {
    "ALTER TABLE models ADD COLUMN options TEXT",
    NULL,
};

/* 6: a repair. The old system stamped each evaluation with the week the
 * job ran; an evaluation belongs to its clue's puzzle week. The index is
 * the guard against applying this twice in a race. */
static const char *const m6_repair_weeks[] = {
    "CREATE INDEX idx_evaluations_clue ON evaluations(clue_id)",
    "UPDATE evaluations SET week_id = (\n"
    "    SELECT p.week_id FROM clues c JOIN puzzles p ON p.id = c.puzzle_id\n"
    "    WHERE c.id = evaluations.clue_id)\n"
    "WHERE week_id IS NOT (\n"
    "    SELECT p.week_id FROM clues c JOIN puzzles p ON p.id = c.puzzle_id\n"
    "    WHERE c.id = evaluations.clue_id)\n"
    "  AND EXISTS (SELECT 1 FROM clues c JOIN puzzles p ON p.id = c.puzzle_id\n"
    "              WHERE c.id = evaluations.clue_id)",
    NULL,
};

/* 7: what the chat-completions API returned beyond the content. */
static const char *const m7_reply_details[] = {
    "ALTER TABLE evaluations ADD COLUMN reasoning TEXT",
    "ALTER TABLE evaluations ADD COLUMN provider_model TEXT",
    NULL,
};

/* 8: the derived tables rank/ writes (recomputed, never patched). */
static const char *const m8_rankings[] = {
    "CREATE TABLE week_status (\n"
    "    week_id TEXT PRIMARY KEY,\n"
    "    status TEXT NOT NULL CHECK (status IN ('ranked', 'no-ranking')),\n"
    "    reason TEXT,\n"
    "    clue_count INTEGER NOT NULL,\n"
    "    models_ranked INTEGER NOT NULL,\n"
    "    calculated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP\n"
    ")",
    "CREATE TABLE week_coverage (\n"
    "    week_id TEXT NOT NULL,\n"
    "    model_id INTEGER NOT NULL REFERENCES models(id),\n"
    "    clues INTEGER NOT NULL,\n"
    "    evaluated INTEGER NOT NULL,\n"
    "    errors INTEGER NOT NULL,\n"
    "    coverage REAL NOT NULL,\n"
    "    PRIMARY KEY (week_id, model_id)\n"
    ")",
    "CREATE TABLE alltime_rankings (\n"
    "    model_id INTEGER PRIMARY KEY REFERENCES models(id),\n"
    "    weeks INTEGER NOT NULL,\n"
    "    total_clues INTEGER NOT NULL,\n"
    "    correct_count INTEGER NOT NULL,\n"
    "    accuracy REAL NOT NULL,\n"
    "    ci_low REAL,\n"
    "    ci_high REAL,\n"
    "    rank INTEGER NOT NULL,\n"
    "    calculated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP\n"
    ")",
    "ALTER TABLE weekly_rankings ADD COLUMN ci_low REAL",
    "ALTER TABLE weekly_rankings ADD COLUMN ci_high REAL",
    "ALTER TABLE weekly_rankings ADD COLUMN tenure_weeks INTEGER",
    "ALTER TABLE weekly_rankings ADD COLUMN avg_latency_ms REAL",
    "ALTER TABLE weekly_rankings ADD COLUMN cost REAL",
    NULL,
};

/* 9: the durable workflow engine's state (flow/). Times in ms since the epoch. */
static const char *const m9_flow[] = {
    "CREATE TABLE flow_events (\n"
    "    id TEXT PRIMARY KEY,\n"
    "    name TEXT NOT NULL,\n"
    "    data TEXT NOT NULL,\n"
    "    ts INTEGER NOT NULL\n"
    ")",
    "CREATE TABLE flow_runs (\n"
    "    id TEXT PRIMARY KEY,\n"
    "    function_id TEXT NOT NULL,\n"
    "    event_id TEXT NOT NULL,\n"
    "    event TEXT NOT NULL,\n"
    "    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'sleeping', 'waiting',\n"
    "                                           'completed', 'failed', 'cancelled')),\n"
    "    attempt INTEGER NOT NULL DEFAULT 0,\n"
    "    concurrency_key TEXT,\n"
    "    concurrency_limit INTEGER NOT NULL DEFAULT 0,\n"
    "    ready_at INTEGER NOT NULL,\n"
    "    lease_owner TEXT,\n"
    "    lease_until INTEGER,\n"
    "    output TEXT,\n"
    "    error TEXT,\n"
    "    parent_run_id TEXT,\n"
    "    parent_step TEXT,\n"
    "    wake INTEGER NOT NULL DEFAULT 0,\n"
    "    created_at INTEGER NOT NULL,\n"
    "    started_at INTEGER,\n"
    "    ended_at INTEGER,\n"
    "    UNIQUE (function_id, event_id)\n"
    ")",
    "CREATE INDEX idx_flow_runs_ready ON flow_runs(status, ready_at)",
    "CREATE TABLE flow_steps (\n"
    "    run_id TEXT NOT NULL REFERENCES flow_runs(id),\n"
    "    hash TEXT NOT NULL,\n"
    "    name TEXT NOT NULL,\n"
    "    kind TEXT NOT NULL,\n"
    "    status TEXT NOT NULL CHECK (status IN ('done', 'failed', 'retrying', 'sleeping', 'waiting')),\n"
    "    output TEXT,\n"
    "    error TEXT,\n"
    "    attempts INTEGER NOT NULL DEFAULT 0,\n"
    "    wake_at INTEGER,\n"
    "    wait_event TEXT,\n"
    "    wait_field TEXT,\n"
    "    wait_value TEXT,\n"
    "    seq INTEGER NOT NULL,\n"
    "    started_at INTEGER,\n"
    "    ended_at INTEGER,\n"
    "    PRIMARY KEY (run_id, hash)\n"
    ")",
    "CREATE INDEX idx_flow_steps_wait ON flow_steps(status, wait_event)",
    "CREATE TABLE flow_schedules (\n"
    "    function_id TEXT PRIMARY KEY,\n"
    "    cron TEXT NOT NULL,\n"
    "    last_fire INTEGER\n"
    ")",
    NULL,
};

/* Operating a paid benchmark: when a model was released (results on older
 * clues may have been seen in training), a model retired by its provider,
 * and puzzles and clues taken out of scoring without deleting them. */
static const char *const m10_operations[] = {
    "ALTER TABLE models ADD COLUMN release_date TEXT",
    "ALTER TABLE models ADD COLUMN retired_at TIMESTAMP",
    "ALTER TABLE models ADD COLUMN retired_reason TEXT",
    "ALTER TABLE puzzles ADD COLUMN quarantine_reason TEXT",
    "ALTER TABLE puzzles ADD COLUMN quarantined_at TIMESTAMP",
    "ALTER TABLE clues ADD COLUMN exclude_reason TEXT",
    "ALTER TABLE clues ADD COLUMN excluded_at TIMESTAMP",
    NULL,
};

/* Answer quality per (week, model) and all-time, derived by rank/ like
 * coverage (DESIGN §9: wrong-length answers and no-answers are counted
 * separately). Rates are percent of the week's scored clues; the columns
 * stay NULL on existing rows until the next `rank`. All-time quality has
 * its own table: it covers every model with evaluations, ranked or not. */
static const char *const m11_answer_quality[] = {
    "ALTER TABLE week_coverage ADD COLUMN wrong_length INTEGER",
    "ALTER TABLE week_coverage ADD COLUMN no_answer INTEGER",
    "ALTER TABLE week_coverage ADD COLUMN wrong_length_rate REAL",
    "ALTER TABLE week_coverage ADD COLUMN no_answer_rate REAL",
    "ALTER TABLE week_coverage ADD COLUMN error_rate REAL",
    "ALTER TABLE week_coverage ADD COLUMN avg_completion_tokens REAL",
    "CREATE TABLE alltime_quality (\n"
    "    model_id INTEGER PRIMARY KEY REFERENCES models(id),\n"
    "    weeks INTEGER NOT NULL,\n"
    "    clues INTEGER NOT NULL,\n"
    "    evaluated INTEGER NOT NULL,\n"
    "    errors INTEGER NOT NULL,\n"
    "    wrong_length INTEGER NOT NULL,\n"
    "    no_answer INTEGER NOT NULL,\n"
    "    wrong_length_rate REAL NOT NULL,\n"
    "    no_answer_rate REAL NOT NULL,\n"
    "    error_rate REAL NOT NULL,\n"
    "    avg_completion_tokens REAL,\n"
    "    calculated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP\n"
    ")",
    NULL,
};

/* Every real puzzle kept: posts that failed validation are remembered
 * (reason, when, how often) instead of vanishing into a log line, and a
 * clue whose answer runs over several lights says which ("13/18"). */
static const char *const m12_rejected_posts[] = {
    "CREATE TABLE rejected_posts (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    url TEXT NOT NULL UNIQUE,\n"
    "    series TEXT,\n"
    "    number INTEGER,\n"
    "    title TEXT,\n"
    "    reason TEXT NOT NULL,\n"
    "    first_seen TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
    "    last_seen TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
    "    attempts INTEGER NOT NULL DEFAULT 1,\n"
    "    alerted_at TIMESTAMP\n"
    ")",
    "ALTER TABLE clues ADD COLUMN linked TEXT",
    NULL,
};

/* The extraction rule that decided each answer ("answer-is", "final-line",
 * "revision", "none", ...: eval_rule_name()), so a reviewer can audit any
 * verdict. Rows stored before it have none until `rescore` fills it in. */
static const char *const m13_extract_rule[] = {
    "ALTER TABLE evaluations ADD COLUMN extract_rule TEXT",
    NULL,
};

/* The model page reads a model's weeks newest first (history, answer
 * quality, weeks left unranked): week_coverage's key starts with the week,
 * so without an index each of those reads scanned every week of every
 * model, and weekly_rankings' index by model alone left a sort of all of
 * the model's weeks (bench/bench_scale.py). */
static const char *const m14_by_model[] = {
    "CREATE INDEX idx_week_coverage_model ON week_coverage(model_id, week_id)",
    "CREATE INDEX idx_rankings_model_week ON weekly_rankings(model_id, week_id)",
    NULL,
};

/* A workflow failure's class and HTTP status as data (issue 18): the
 * message stays in `error` as people read it; what the pipeline decides on
 * (run-fatal stops the week, a 404 retires the model) is here, never
 * parsed back out of the text. NULL: not classified (and older rows). */
static const char *const m15_flow_error_class[] = {
    "ALTER TABLE flow_runs ADD COLUMN error_class TEXT",
    "ALTER TABLE flow_runs ADD COLUMN error_status INTEGER",
    "ALTER TABLE flow_steps ADD COLUMN error_class TEXT",
    "ALTER TABLE flow_steps ADD COLUMN error_status INTEGER",
    NULL,
};

/* Rankings no finer than the data (issue 16): rank ranges from exact
 * paired tests, significant movement, the all-time head-to-head matrix
 * and accuracy by wordplay type.
 * Rows ranked before this migration have NULL ranges until the next
 * `rank`. */
static const char *const m16_rank_ranges[] = {
    "ALTER TABLE weekly_rankings ADD COLUMN rank_lo INTEGER",
    "ALTER TABLE weekly_rankings ADD COLUMN rank_hi INTEGER",
    "ALTER TABLE weekly_rankings ADD COLUMN move_significant INTEGER",
    "ALTER TABLE weekly_rankings ADD COLUMN ahead_significant INTEGER",
    "ALTER TABLE weekly_rankings ADD COLUMN tenure_significant_weeks INTEGER",
    "ALTER TABLE rank_tenure ADD COLUMN significant_weeks INTEGER",
    "ALTER TABLE alltime_rankings ADD COLUMN rank_lo INTEGER",
    "ALTER TABLE alltime_rankings ADD COLUMN rank_hi INTEGER",
    "ALTER TABLE alltime_rankings ADD COLUMN cost_per_clue REAL",
    "ALTER TABLE alltime_rankings ADD COLUMN median_latency_ms REAL",
    "CREATE TABLE alltime_head_to_head (\n"
    "    model_id INTEGER NOT NULL REFERENCES models(id),\n"
    "    opponent_id INTEGER NOT NULL REFERENCES models(id),\n"
    "    wins INTEGER NOT NULL,\n"
    "    losses INTEGER NOT NULL,\n"
    "    ties INTEGER NOT NULL,\n"
    "    p_value REAL NOT NULL,\n"
    "    significant INTEGER NOT NULL,\n"
    "    PRIMARY KEY (model_id, opponent_id)\n"
    ")",
    "CREATE TABLE alltime_type_accuracy (\n"
    "    model_id INTEGER NOT NULL REFERENCES models(id),\n"
    "    clue_type TEXT NOT NULL,\n"
    "    total INTEGER NOT NULL,\n"
    "    correct INTEGER NOT NULL,\n"
    "    accuracy REAL NOT NULL,\n"
    "    ci_low REAL NOT NULL,\n"
    "    ci_high REAL NOT NULL,\n"
    "    PRIMARY KEY (model_id, clue_type)\n"
    ")",
    NULL,
};

/* Evaluation errors carry their class and HTTP status as data (issue 18),
 * written by store_evaluation_save from the call's typed result, so that
 * nothing reads a status out of a message again. Rows stored before have
 * only the message: their status is read out of it here, once (legacy
 * data; the rule the rankings used until now: the first "HTTP ",
 * "error: ", "Error: " or "status " followed by exactly three digits, in
 * that order of markers; none: NULL). Their class stays NULL (unknown). */
#define M17_AFTER(marker, n) "substr(error_message, instr(error_message, '" marker "') + " #n
#define M17_STATUS(marker, n)                                                                      \
    "  WHEN instr(error_message, '" marker "') > 0\n"                                              \
    "   AND " M17_AFTER(marker, n) ", 3) GLOB '[0-9][0-9][0-9]'\n"                                   \
    "   AND " M17_AFTER(marker, n) " + 3, 1) NOT GLOB '[0-9]'\n"                                     \
    "  THEN CAST(" M17_AFTER(marker, n) ", 3) AS INTEGER)\n"
static const char *const m17_evaluation_error_status[] = {
    "ALTER TABLE evaluations ADD COLUMN error_status INTEGER",
    "ALTER TABLE evaluations ADD COLUMN error_class TEXT",
    "UPDATE evaluations SET error_status = CASE\n"
    M17_STATUS("HTTP ", 5) M17_STATUS("error: ", 7) M17_STATUS("Error: ", 7) M17_STATUS("status ", 7)
    "END\n"
    "WHERE error_message IS NOT NULL",
    NULL,
};
#undef M17_STATUS
#undef M17_AFTER

const struct store_migration store_migrations[] = {
    {1, "the old system's schema", m1_old_schema, -1, NULL},
    {2, "series and puzzle identity (series, number); puzzle url and title", m2_series, -1, NULL},
    {3, "clue display answer, explanation and definitions", m3_clue_details, -1, NULL},
    {4, "evaluation outcome, tokens, finish reason, attempts, prompt version",
     m4_evaluation_outcome, 7, "evaluations given an outcome"},
    {5, "per-model options", m5_model_options, -1, NULL},
    {6, "repair: re-stamp each evaluation with its clue's puzzle week", m6_repair_weeks, 1,
     "evaluations moved to their puzzle's week"},
    {7, "evaluation reasoning text and the provider's model id", m7_reply_details, -1, NULL},
    {8, "derived ranking tables: week status, coverage, all-time; intervals, tenure, latency and cost per ranking",
     m8_rankings, -1, NULL},
    {9, "durable workflow state: events, runs, steps, schedules", m9_flow, -1, NULL},
    {10, "model release dates and retirement; puzzle quarantine and clue exclusion", m10_operations, -1, NULL},
    {11, "answer quality per week and model and all-time: wrong-length, no-answer and error rates, "
         "average completion tokens",
     m11_answer_quality, -1, NULL},
    {12, "rejected posts (url, series, number, reason, first and last seen, attempts); linked lights of a clue",
     m12_rejected_posts, -1, NULL},
    {13, "evaluations record the extraction rule that decided each answer", m13_extract_rule, -1, NULL},
    {14, "a model's weeks by (model, week): week_coverage and weekly_rankings (the dashboard's model page)",
     m14_by_model, -1, NULL},
    {15, "workflow errors carry their class and HTTP status as data", m15_flow_error_class, -1, NULL},
    {16, "rank ranges from exact paired tests, significant movement, all-time ranges, head-to-head and accuracy "
         "by clue type, cost per clue and median latency",
     m16_rank_ranges, -1, NULL},
    {17, "evaluation errors carry their class and HTTP status as data (old rows: the status their message names)",
     m17_evaluation_error_status, -1, NULL},
};

const size_t store_migrations_count = sizeof store_migrations / sizeof store_migrations[0];
