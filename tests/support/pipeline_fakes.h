/*
 * pipeline_fakes.h - the weekly pipeline's outside world for the tests that
 * run it end to end: the Fifteensquared fake serving three feed pages and
 * eight posts (5 puzzles, 44 clues, in the default series), the
 * chat-completions fake answering every fixture clue correctly, a database
 * with the three test models, and the environment pointing a command at
 * them. Fakes are stopped by tu_stop_all_fakes().
 */
#ifndef CB_TESTS_PIPELINE_FAKES_H
#define CB_TESTS_PIPELINE_FAKES_H

#define PF_NMODELS 3
#define PF_NCLUES 44
extern const char *const pf_models[PF_NMODELS];

/* The ports of the running fakes. */
extern int pf_fs_port, pf_llm_port;

/* Starts the Fifteensquared fake, its config in work. */
void pf_start_fifteensquared(const char *work);
/* Starts the LLM fake with extra config (a JSON object, may be NULL) and a
 * latency; it logs each request to work/llm.jsonl. */
void pf_start_llm(const char *work, const char *extra_json, int latency_ms);
/* init-db at location (a file path or a server URL) with the test models. */
void pf_init_db(const char *work, const char *db);
/* A database file work/name made by pf_init_db; caller frees. */
char *pf_make_db(const char *work, const char *name);
/* The environment of a pipeline command against the fakes (static storage). */
const char *const *pf_env(const char *retries);

#endif
