/* pipeline_fakes.c - the pipeline's outside world for tests; see pipeline_fakes.h. */
#include "pipeline_fakes.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

const char *const pf_models[PF_NMODELS] = {"test/a", "test/b", "test/c"};
int pf_fs_port, pf_llm_port;

void pf_start_fifteensquared(const char *work)
{
    static const char *const routes[][2] = {
        {"/2026/04/10/guardian-29890-ramsay/", "fts-table-linked.html"},
        {"/2026/04/09/guardian-cryptic-crossword-no-29889-by-omnibus/", "fts-list-classes.html"},
        {"/2026/04/08/financial-times-17727-by-bobcat/", "paragraph-separate.html"},
        {"/2026/04/07/guardian-29971-yank/", "cellpadding-table.html"},
        {"/2026/04/06/guardian-quiptic-1357-hectence/", "header-row-table.html"},
        {"/2026/04/05/guardian-cryptic-crossword-no-29924-by-tramp/", "alternate-rows-table.html"},
        {"/2026/04/04/guardian-cryptic-29970-brummie/", "paragraph-inline.html"},
        {"/2026/04/03/guardian-29968-maskarade/", "two-column-table.html"},
    };
    const char *fixtures = getenv("CB_FIXTURES");
    json_t *pages = json_array(), *posts = json_array();
    for (int i = 1; i <= 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "feed/page-%d.xml", i);
        char *p = tu_path(fixtures, name);
        json_array_append_new(pages, json_string(p));
        free(p);
    }
    char *dir = tu_path(fixtures, "posts");
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char *f = tu_path(dir, routes[i][1]);
        json_array_append_new(posts, json_pack("{s:s, s:s}", "path", routes[i][0], "file", f));
        free(f);
    }
    free(dir);
    char *path = tu_path(work, "fs.json");
    json_t *config = json_pack("{s:o, s:o}", "feed_pages", pages, "posts", posts);
    json_dump_file(config, path, 0);
    json_decref(config);
    tu_start_fake("fifteensquared.py", path, &pf_fs_port);
    free(path);
}

/* The LLM fake answers every fixture clue correctly, plus extra config. */
void pf_start_llm(const char *work, const char *extra_json, int latency_ms)
{
    char *expected = tu_path(getenv("CB_FIXTURES"), "posts/expected.tsv");
    char *text = tu_read_file(expected, NULL);
    json_t *solutions = json_object();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *f[6];
        char *p = line;
        for (int i = 0; i < 6; i++) {
            f[i] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        json_object_set_new(solutions, f[3], json_string(f[5]));
    }
    free(text);
    free(expected);
    char *log = tu_path(work, "llm.jsonl");
    json_t *config = json_pack("{s:o, s:i, s:s}", "solutions", solutions, "latency_ms", latency_ms, "log", log);
    if (extra_json) {
        json_t *extra = json_loads(extra_json, 0, NULL);
        json_object_update(config, extra);
        json_decref(extra);
    }
    char *path = tu_path(work, "llm.json");
    json_dump_file(config, path, 0);
    json_decref(config);
    tu_start_fake("llm.py", path, &pf_llm_port);
    free(path);
    free(log);
}

/* A database at location (a file path or a server URL) with the test models. */
void pf_init_db(const char *work, const char *db)
{
    json_t *list = json_array();
    for (int i = 0; i < PF_NMODELS; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", pf_models[i], "provider", "test", "display_name", pf_models[i]));
    json_t *file = json_pack("{s:{s:i, s:i}, s:o}", "defaults", "max_tokens", 300, "min_interval_ms", 5, "models", list);
    char *path = tu_path(work, "models.json");
    json_dump_file(file, path, 0);
    json_decref(file);
    struct tu_run r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                                 (const char *const[]){"--db", db, "init-db", "--models", path, NULL});
    if (r.status != 0)
        fail_msg("init-db failed: %s", r.err);
    tu_run_free(&r);
    free(path);
}

char *pf_make_db(const char *work, const char *name)
{
    char *db = tu_path(work, name);
    pf_init_db(work, db);
    return db;
}

/* The environment of a pipeline command against the fakes. */
const char *const *pf_env(const char *retries)
{
    static char fs[96], llm[96], retry[64];
    snprintf(fs, sizeof fs, "FIFTEENSQUARED_URL=http://127.0.0.1:%d", pf_fs_port);
    snprintf(llm, sizeof llm, "OPENROUTER_BASE_URL=http://127.0.0.1:%d/api/v1", pf_llm_port);
    snprintf(retry, sizeof retry, "CRYPTIC_BENCH_EVAL_RETRIES=%s", retries);
    static const char *env[16];
    const char *list[] = {fs, llm, retry, "OPENROUTER_API_KEY=test-key", "FIFTEENSQUARED_MIN_INTERVAL_MS=2",
                          "CRYPTIC_BENCH_NOW=2026-04-12T00:00:00Z", "CRYPTIC_BENCH_EVAL_BACKOFF_MS=100",
                          "CRYPTIC_BENCH_FLOW_POLL_MS=20", "TURSO_DATABASE_URL=", "DATABASE_PATH=", NULL};
    memcpy(env, list, sizeof list);
    return env;
}
